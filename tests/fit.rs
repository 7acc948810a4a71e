//! `billcast fit` end to end (issue 4): real production and agent traces fit with their means
//! reproduced, a forecast from a fitted workload reproduces the data's own bill, fitted
//! caching and retries reach the scenario, and bad inputs fail with clear errors.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use billcast::engine::{self, SimOptions, summary};
use billcast::fit::observe::observe;
use billcast::fit::workload::{FittedWorkload, WorkloadFitOptions, fit_workload};
use billcast::ingest::{self, ColumnMap, IngestOptions};
use billcast::pricing::PriceBook;
use billcast::scenario::{Origin, Scenario};
use predicates::prelude::*;

const REAL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/real");

fn fit_file(path: &str, map: Option<&str>, caller: Option<&str>) -> FittedWorkload {
    let opts = IngestOptions {
        map: map.map(|m| m.parse::<ColumnMap>().expect("map")),
        ..IngestOptions::default()
    };
    let ing = ingest::ingest(&[PathBuf::from(path)], &opts, &|_| {}).expect("ingest");
    let sessions = ingest::sessions(&ing.records);
    let obs = observe(&ing.records, &sessions, caller);
    fit_workload(
        &obs,
        &WorkloadFitOptions {
            bootstrap: 20,
            ..WorkloadFitOptions::default()
        },
    )
    .expect("fit")
}

/// Every fitted quantity's mean is within 2% of the data's mean (uncensored quantities).
fn assert_means(w: &FittedWorkload, what: &str) {
    assert!(!w.quantities.is_empty(), "{what}: nothing fitted");
    for q in &w.quantities {
        if q.data.n_censored() * 100 > q.data.values.len() {
            continue; // capped data: the fitted law's mean is rightly above the capped mean
        }
        let data = q.data.values.iter().sum::<f64>() / q.data.values.len() as f64 + q.offset;
        let fitted = q.family.mean() + q.offset;
        let gap = (fitted - data) / data;
        assert!(
            gap.abs() <= 0.02,
            "{what} {}: fitted mean {fitted} vs data {data} ({:+.2}%)",
            q.key,
            gap * 100.0
        );
    }
}

#[test]
fn azure_production_traces_fit_with_their_means() {
    for f in [
        "AzureLLMInferenceTrace_code.csv",
        "AzureLLMInferenceTrace_conv.csv",
    ] {
        let w = fit_file(
            &format!("{REAL}/azure-llm-2023/{f}"),
            Some("input=ContextTokens,output=GeneratedTokens,time=TIMESTAMP"),
            None,
        );
        assert!(w.call_level, "{f}: one request per row");
        assert!(w.quantities.iter().any(|q| q.key == "input_tokens"));
        assert_means(&w, f);
    }
}

#[test]
fn tau2_agent_traces_fit_with_their_means() {
    let w = fit_file(
        &format!("{REAL}/tau2-bench-traces/calls.csv"),
        None,
        Some("agent"),
    );
    assert!(!w.call_level, "agent sessions re-send their history");
    for k in [
        "output_tokens",
        "turns_per_session",
        "user_message_tokens",
        "tool_rounds_per_turn",
        "tool_result_tokens",
    ] {
        assert!(w.quantities.iter().any(|q| q.key == k), "missing {k}");
    }
    assert_eq!(w.n_sessions, 280);
    assert_means(&w, "tau2 agent");
    // 22 billed format errors among 4,329 agent calls (0.51%).
    let inv = w
        .retries
        .iter()
        .find(|r| r.class == "invalid_output")
        .expect("format errors seen");
    assert_eq!((inv.failures, inv.attempts), (22, 4329));
}

#[test]
fn forecast_from_a_fitted_workload_reproduces_the_data_bill() {
    // Azure conversation hour at $2.50/$10 per 1M: 22,361,870 × 2.5e-6 + 4,088,665 × 1e-5
    // = $55.90 + $40.89 = $96.79 for 19,366 requests. Forecasting 19,366 requests a month
    // from the fitted workload must give that mean. Tolerance 1%: rounding draws up to whole
    // tokens adds ≈ +0.24% (half a token on a 211-token mean output), and the Monte Carlo
    // error of 40 trials with bootstrap replicates is ≈ 0.15% (3 SE ≈ 0.45%). The pilot-to-
    // production shift is set neutral: this checks the fit, not the calibrated default.
    let dir = tempfile::tempdir().unwrap();
    let w = fit_file(
        &format!("{REAL}/azure-llm-2023/AzureLLMInferenceTrace_conv.csv"),
        None,
        None,
    );
    let wpath = dir.path().join("conv.toml");
    std::fs::write(&wpath, w.to_toml(&[], &toml::Table::new())).unwrap();
    let scen = "schema_version = 1\nname = \"conv\"\nstart_month = \"2027-01\"\n[simulation]\ntrials = 40\nmode = \"exact\"\n[traffic]\nrequests_per_month = 19366\n[workload]\nfrom = \"conv.toml\"\n[shift]\nsize = 1\ncount = 1\n[[routes]]\nmodel = \"test/ref\"\n";
    let spath = dir.path().join("s.toml");
    std::fs::write(&spath, scen).unwrap();
    let s = Scenario::load(&spath, &[]).expect("scenario with a fitted workload");
    assert!(
        s.assumptions
            .iter()
            .any(|a| a.key == "workload.input_tokens" && a.origin == Origin::Fitted)
    );
    let book = PriceBook::load(&[PathBuf::from("tests/data/flat-prices.toml")]).unwrap();
    let sim = engine::simulate(&s, &book, &SimOptions::default()).unwrap();
    let (mean, _) = summary::mean_sd(&sim.totals[0]);
    assert!(
        (mean / 96.79 - 1.0).abs() < 0.01,
        "forecast mean {mean} vs the data's $96.79"
    );
}

#[test]
fn fitted_caching_and_retries_fill_in_what_the_scenario_leaves_out() {
    let s = Scenario::load(Path::new("scenarios/support-agent-pilot.toml"), &[])
        .expect("pilot scenario");
    let hit = s
        .assumptions
        .iter()
        .find(|a| a.key == "caching.hit_rate")
        .unwrap();
    assert_eq!(hit.origin, Origin::Fitted);
    assert!(hit.value.starts_with("beta("), "{}", hit.value);
    assert!(
        s.assumptions
            .iter()
            .any(|a| a.key == "retries.invalid_output.p" && a.origin == Origin::Fitted)
    );
    // An explicit scenario key wins over the fitted one.
    let s2 = Scenario::load(
        Path::new("scenarios/support-agent-pilot.toml"),
        &["caching.hit_rate=0.5".into()],
    )
    .unwrap();
    let hit2 = s2
        .assumptions
        .iter()
        .find(|a| a.key == "caching.hit_rate")
        .unwrap();
    assert_eq!(
        (hit2.origin, hit2.value.as_str()),
        (Origin::Override, "0.5")
    );
    assert!(
        !s.segments[0].workload.replicates.is_empty(),
        "bootstrap replicates travel with the workload"
    );
}

fn billcast() -> Command {
    Command::cargo_bin("billcast").expect("binary built")
}

#[test]
fn fit_cli_writes_a_workload_and_reports_the_fits() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("w.toml");
    billcast()
        .args([
            "fit",
            "examples/pilot/support-agent-calls.csv",
            "--caller",
            "agent",
            "--bootstrap",
            "5",
            "-q",
            "-o",
        ])
        .arg(&out)
        .assert()
        .success()
        .stdout(
            predicate::str::contains("output_tokens")
                .and(predicate::str::contains("turns_per_session")),
        );
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.contains("[workload]")
            && text.contains("[[workload.replicates]]")
            && text.contains("[caching]")
    );
    billcast()
        .args([
            "fit",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/data/fixtures/transcripts/openai_chat_request_response_log.jsonl"
            ),
            "--format",
            "json",
            "--bootstrap",
            "0",
            "-q",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("\"quantities\""));
}

#[test]
fn fit_max_records_keeps_whole_five_call_sessions() {
    // 500 sessions × 5 calls; --max-records 52 keeps 10 whole sessions (50 calls).
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("calls.csv");
    let mut csv = String::from("session_id,turn_idx,prompt_tokens,completion_tokens\n");
    for turn in 1..=5 {
        for s in 0..500 {
            csv.push_str(&format!("s{s},{turn},{},{}\n", 900 * turn + s, 40 + s % 9));
        }
    }
    std::fs::write(&log, csv).unwrap();
    let out = billcast()
        .arg("fit")
        .arg(&log)
        .args([
            "--max-records",
            "52",
            "--bootstrap",
            "0",
            "--format",
            "json",
            "-q",
        ])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "2,500 records read; a seeded sample of 10 whole sessions (50 records)",
        ))
        .get_output()
        .stdout
        .clone();
    let j: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        (j["calls"].as_u64(), j["sessions"].as_u64()),
        (Some(50), Some(10))
    );
    assert_eq!(j["sampled"]["kept"].as_u64(), Some(50));
}

#[test]
fn fit_bad_inputs_fail_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    billcast()
        .args(["fit"])
        .arg(&empty)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("empty"));
    billcast()
        .args([
            "fit",
            "examples/pilot/support-agent-calls.csv",
            "--input-format",
            "openai_chatt",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("openai_chat"));
    billcast()
        .args([
            "fit",
            "examples/pilot/support-agent-calls.csv",
            "--map",
            "input=NoSuchColumn,output=completion_tokens",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("NoSuchColumn"));
    billcast()
        .args([
            "fit",
            "examples/pilot/support-agent-calls.csv",
            "--caller",
            "nobody",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no successful calls"));
    billcast()
        .args(["fit", "no/such/file.jsonl"])
        .assert()
        .code(1);
}
