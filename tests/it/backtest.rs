//! Backtests on the bundled real traces (`data/real`) (issue 8): the calibrated pilot-to-production shift makes
//! nominal 90% bands cover close to 90% of what really happened, while the fit taken as the
//! truth does not; a backtest's actual values are the log's own totals; `billcast calibrate`
//! scores saved forecasts against bills; bad inputs exit 2 with a message that says what to do.
//!
//! Coverage over n scored outcomes has a binomial standard error of √(0.9·0.1/n) ≈ 2.8% at
//! n = 115, so the 80–97% acceptance band of the issue is about ±3.5 SE around 90%; the runs are
//! seeded, so the numbers are reproducible (README "Calibration" shows the same table).

use crate::common::*;

use std::collections::BTreeMap;
use std::path::Path;

use billcast::backtest::calibrate::{
    DEFAULT_SHIFT, backtest_traces, calibrate_volume, calibration_traces, load_traces,
};
use billcast::backtest::{ShiftSigma, VolumeRule};
use billcast::scenario::{Origin, Scenario};
use predicates::prelude::*;

const PILOT: &str = "examples/pilot/support-agent-calls.csv";

/// Per calibration trace: (name, covered, scored, mean over quantities of |median error| −
/// |naive error|).
type PerTrace = Vec<(&'static str, usize, usize, f64)>;

/// (covered, scored) pooled over the calibration traces, and per trace.
fn coverage(shift: ShiftSigma) -> (usize, usize, PerTrace) {
    let traces = load_traces(&calibration_traces(Path::new(REAL))).expect("traces read");
    let runs = backtest_traces(&traces, shift, VolumeRule::Known).expect("traces run");
    let mut per = Vec::new();
    let (mut c, mut n) = (0, 0);
    for (name, bt) in &runs {
        let covered = bt
            .splits
            .iter()
            .flat_map(|s| s.quantities.iter())
            .filter(|q| q.covered)
            .count();
        // The naive estimate is reported beside every scored outcome.
        for q in bt.splits.iter().flat_map(|s| s.quantities.iter()) {
            assert!(
                q.naive.is_finite() && q.naive_error.is_finite(),
                "{name}: {q:?}"
            );
            assert!(q.p5 <= q.p50 && q.p50 <= q.p95, "{name}: {q:?}");
        }
        assert_eq!(bt.splits.len(), 10, "{name}: ten rolling splits");
        let d: Vec<f64> = bt
            .summary
            .iter()
            .map(|q| q.median_abs_error - q.naive_abs_error)
            .collect();
        per.push((
            *name,
            covered,
            bt.scored,
            d.iter().sum::<f64>() / d.len() as f64,
        ));
        c += covered;
        n += bt.scored;
    }
    (c, n, per)
}

#[test]
fn calibrated_default_shift_covers_close_to_nominal_90_percent() {
    let (c, n, per) = coverage(DEFAULT_SHIFT);
    assert!(n >= 100, "too few scored outcomes: {n} ({per:?})");
    let cov = c as f64 / n as f64;
    assert!(
        (0.80..=0.97).contains(&cov),
        "calibrated coverage {cov:.3} ({c}/{n}) outside 80–97%: {per:?}"
    );
    // Every trace contributes: production request traces and agent sessions.
    assert_eq!(per.len(), 3);
    assert!(per.iter().all(|(_, _, k, _)| *k >= 25), "{per:?}");
    // Issue 18: each calibration trace on its own, not only the pool, covers within 80–97%
    // (per trace n is 30–55, a binomial SE of 4–5.5 points around 90%: the range is the
    // issue's acceptance range, not a statistical bound), and its median is no more than 2
    // points further from the truth than the naive per-session mean.
    for (name, c, n, vs_naive) in &per {
        let cov = *c as f64 / *n as f64;
        assert!(
            (0.80..=0.97).contains(&cov),
            "{name}: coverage {cov:.3} ({c}/{n}) outside 80–97%"
        );
        assert!(
            *vs_naive <= 0.02,
            "{name}: median vs naive {:+.1} pt",
            100.0 * vs_naive
        );
    }
}

#[test]
fn fit_taken_as_the_truth_is_overconfident() {
    // The "before" row of the calibration table: with no shift the bands are too narrow for
    // how the next window of the same service differs from the fitted one.
    let (c, n, per) = coverage(ShiftSigma::NONE);
    let cov = c as f64 / n as f64;
    assert!(cov < 0.75, "uncalibrated coverage {cov:.3}: {per:?}");
}

#[test]
fn arrival_rate_volume_shift_covers_the_call_count() {
    let traces = load_traces(&calibration_traces(Path::new(REAL))).expect("traces read");
    let rows = calibrate_volume(&traces, DEFAULT_SHIFT.size, &[0.0, DEFAULT_SHIFT.volume])
        .expect("volume backtests run");
    // A rate measured over the first 500 requests says little about the next 1,500 of a bursty
    // service: without a volume shift the forecast call count is almost never covered.
    assert!(rows[0].pooled < 0.5, "{rows:?}");
    assert!(rows[1].pooled >= 0.8, "{rows:?}");
    assert_eq!(rows[1].traces.iter().map(|t| t.2).sum::<usize>(), 20);
}

#[test]
fn fitted_workloads_carry_the_calibrated_shift_by_default() {
    let s = Scenario::load(Path::new("scenarios/support-agent-pilot.toml"), &[]).unwrap();
    for key in ["shift.size", "shift.count"] {
        let a = s
            .assumptions
            .iter()
            .find(|a| a.key == key)
            .unwrap_or_else(|| panic!("{key} missing from the assumptions"));
        assert_eq!(a.origin, Origin::Default, "{key}");
        assert!(a.non_neutral(), "{key} must be flagged as a default");
        let prior = billcast::scenario::FITTED_SHIFT_SIGMA.to_string();
        assert!(a.value.contains(&prior), "{key}: {}", a.value);
    }
    assert!(
        !s.assumptions.iter().any(|a| a.key == "shift.volume"),
        "traffic is the user's: no default volume shift"
    );
    // A hand-written workload is not a sample: no shift unless asked for.
    let s = Scenario::load(Path::new("scenarios/support-bot.toml"), &[]).unwrap();
    assert!(!s.assumptions.iter().any(|a| a.key.starts_with("shift.")));
    // An explicit [shift] wins.
    let s = Scenario::load(
        Path::new("scenarios/support-agent-pilot.toml"),
        &["shift.size=1".to_string(), "shift.count=1".to_string()],
    )
    .unwrap();
    assert!(!s.assumptions.iter().any(|a| a.key.starts_with("shift.")));
}

#[test]
fn fit_writes_the_data_drift_into_the_shift_and_scenarios_use_it() {
    // tau2 agent sessions drift (runs of different models and domains follow each other in the
    // log): `fit` writes a [shift] wider than the prior, its source in a comment, and a scenario
    // on the file carries it as a fitted input rather than the default.
    let dir = tempfile::tempdir().unwrap();
    let w = dir.path().join("w.toml");
    billcast()
        .args([
            "fit",
            &format!("{REAL}/tau2-bench-traces/calls.csv"),
            "--caller",
            "agent",
            "-q",
            "-o",
        ])
        .arg(&w)
        .assert()
        .success();
    let text = std::fs::read_to_string(&w).unwrap();
    assert!(
        text.contains("[shift]    # fit: between-window variance of per-session means"),
        "{text}"
    );
    let table: toml::Table = text.parse().unwrap();
    let prior = billcast::scenario::FITTED_SHIFT_SIGMA;
    for key in ["size", "count"] {
        let sigma = table["shift"][key]["sigma"].as_float().unwrap();
        assert!(sigma > prior && sigma < 1.0, "shift.{key} σ {sigma}");
    }
    let scen = write(
        &dir,
        "s.toml",
        "schema_version = 1\nname = \"t\"\nstart_month = \"2027-01\"\n[traffic]\nsessions_per_month = 100\n[workload]\nfrom = \"w.toml\"\n[[routes]]\nmodel = \"openai/gpt-4o\"\n",
    );
    let s = Scenario::load(&scen, &[]).unwrap();
    let a = s
        .assumptions
        .iter()
        .find(|a| a.key == "shift.size")
        .unwrap();
    assert_eq!(a.origin, Origin::Fitted);
    assert!(!a.non_neutral());
    // The scenario's own [shift] still wins.
    let s = Scenario::load(&scen, &["shift.size=1".to_string()]).unwrap();
    assert!(!s.assumptions.iter().any(|a| a.key == "shift.size"));
}

/// The agent calls of the pilot log by session, sessions in order of their first call:
/// (first timestamp, calls, output tokens).
fn pilot_sessions() -> Vec<(String, usize, f64)> {
    let text = std::fs::read_to_string(PILOT).unwrap();
    let mut by: BTreeMap<String, (String, usize, f64)> = BTreeMap::new();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (sid, caller, ts, out) = (
        col("sim_id"),
        col("caller"),
        col("timestamp"),
        col("completion_tokens"),
    );
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        let e = by
            .entry(f[sid].to_string())
            .or_insert((f[ts].to_string(), 0, 0.0));
        if f[ts] < e.0.as_str() {
            e.0 = f[ts].to_string();
        }
        if f[caller] == "agent" {
            e.1 += 1;
            e.2 += f[out].parse::<f64>().unwrap();
        }
    }
    let mut v: Vec<(String, usize, f64)> = by.into_values().filter(|s| s.1 > 0).collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[test]
fn backtest_scores_the_logs_own_remainder() {
    let out = billcast()
        .args([
            "backtest",
            PILOT,
            "--caller",
            "agent",
            "--fit-first",
            "200",
            "--format",
            "json",
            "-o",
            "-",
            "-q",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bt: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let split = &bt["splits"][0];
    // The fit window: the sessions holding the first 200 agent calls.
    let sessions = pilot_sessions();
    let (mut k, mut calls) = (0, 0);
    while calls < 200 {
        calls += sessions[k].1;
        k += 1;
    }
    assert_eq!(split["fit_sessions"], k);
    assert_eq!(split["fit_calls"], calls);
    assert_eq!(split["test_sessions"], sessions.len() - k);
    let q = |name: &str| {
        split["quantities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["quantity"] == name)
            .unwrap_or_else(|| panic!("{name} not scored: {split}"))
            .clone()
    };
    let real_out: f64 = sessions[k..].iter().map(|s| s.2).sum();
    let real_calls: usize = sessions[k..].iter().map(|s| s.1).sum();
    assert_eq!(q("output_tokens")["actual"].as_f64().unwrap(), real_out);
    assert_eq!(q("calls")["actual"].as_f64().unwrap(), real_calls as f64);
    // Naive: the fit window's calls per session × the real number of sessions.
    let naive = calls as f64 / k as f64 * (sessions.len() - k) as f64;
    assert!((q("calls")["naive"].as_f64().unwrap() / naive - 1.0).abs() < 1e-9);
    for name in ["input_tokens", "output_tokens", "calls", "dollars"] {
        let v = q(name);
        let covered = v["p5"].as_f64().unwrap() <= v["actual"].as_f64().unwrap()
            && v["actual"].as_f64().unwrap() <= v["p95"].as_f64().unwrap();
        assert_eq!(v["covered"].as_bool().unwrap(), covered, "{name}: {v}");
    }
}

#[test]
fn backtest_table_and_rolling_splits() {
    billcast()
        .args([
            "backtest",
            PILOT,
            "--caller",
            "agent",
            "--fit-first",
            "150",
            "--splits",
            "3",
            "--test-sessions",
            "10",
            "-q",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("3 rolling splits"))
        .stdout(predicate::str::contains("|Naive error|"))
        .stdout(predicate::str::contains("output tokens"));
}

#[test]
fn backtest_bad_inputs_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    billcast()
        .args(["backtest", PILOT])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--fit-first N"));
    billcast()
        .args(["backtest", PILOT, "--fit-first", "100000"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("must leave some to forecast"));
    billcast()
        .args([
            "backtest",
            PILOT,
            "--fit-first",
            "100",
            "--price",
            "input=cheap",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--price input"));
    billcast()
        .args(["backtest", PILOT, "--fit-until", "yesterday"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("2023-11-16T18:30:00"));
    let untimed = write(
        &dir,
        "untimed.csv",
        "prompt,completion\n100,20\n120,25\n90,30\n110,22\n",
    );
    billcast()
        .args(["backtest"])
        .arg(&untimed)
        .args([
            "--map",
            "input=prompt,output=completion",
            "--fit-until",
            "2023-11-16T18:30:00",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no timestamps"));
    billcast()
        .args(["backtest", "no-such-log.csv", "--fit-first", "10"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no-such-log.csv"));
}

#[test]
fn calibrate_scores_saved_forecasts_against_bills() {
    let dir = tempfile::tempdir().unwrap();
    let fc = dir.path().join("forecast.json");
    billcast()
        .args([
            "forecast",
            "scenarios/support-bot.toml",
            "-n",
            "300",
            "-q",
            "--format",
            "json",
            "-o",
        ])
        .arg(&fc)
        .assert()
        .success();
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&fc).unwrap()).unwrap();
    let m0 = &r["months"][0];
    let m1 = &r["months"][1];
    let p50 = m0["p50"].as_f64().unwrap();
    let far = m1["p95"].as_f64().unwrap() * 10.0;
    // Month 0 billed exactly its median, in two line items; month 1 far above its P95; a
    // month outside the forecast is listed, not scored.
    let bills = write(
        &dir,
        "bills.csv",
        &format!(
            "date,service,cost\n{}-03,chat,{}\n{}-17,embeddings,{}\n{}-01,chat,\"${}\"\n2031-01-01,chat,5\n",
            m0["month"].as_str().unwrap(),
            p50 / 2.0,
            m0["month"].as_str().unwrap(),
            p50 / 2.0,
            m1["month"].as_str().unwrap(),
            far
        ),
    );
    let out = billcast()
        .args(["calibrate", "--forecasts"])
        .arg(&fc)
        .arg("--actuals")
        .arg(&bills)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let c: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(c["rows"].as_array().unwrap().len(), 2);
    assert!(c["rows"][0]["bias"].as_f64().unwrap().abs() < 1e-9);
    assert!((c["rows"][0]["pit"].as_f64().unwrap() - 0.5).abs() < 0.011);
    assert_eq!(c["rows"][1]["covered_90"], false);
    assert_eq!(c["rows"][1]["pit"].as_f64().unwrap(), 1.0);
    assert_eq!(c["coverage_90"].as_f64().unwrap(), 0.5);
    assert_eq!(c["unmatched"][0], "2031-01");
    // The table says it in words.
    billcast()
        .args(["calibrate", "--forecasts"])
        .arg(&fc)
        .arg("--actuals")
        .arg(&bills)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "inside the P5–P95 band (nominal 90%)",
        ))
        .stdout(predicate::str::contains("not scored): 2031-01"));
    // Bad amounts name the line.
    let bad = write(&dir, "bad.csv", "month,amount\n2027-01,100\n2027-02,lots\n");
    billcast()
        .args(["calibrate", "--forecasts"])
        .arg(&fc)
        .arg("--actuals")
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("line 3"))
        .stderr(predicate::str::contains("'lots'"));
    let nomonth = write(&dir, "nomonth.csv", "when,amount\n2027-01,100\n");
    billcast()
        .args(["calibrate", "--forecasts"])
        .arg(&fc)
        .arg("--actuals")
        .arg(&nomonth)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no month column"));
}

#[test]
fn backtest_chart_draws_bands_against_the_truth() {
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str| {
        let p = dir.path().join(name);
        billcast()
            .args([
                "backtest",
                PILOT,
                "--caller",
                "agent",
                "--fit-first",
                "150",
                "--splits",
                "3",
                "--test-sessions",
                "10",
                "-q",
                "--chart",
            ])
            .arg(&p)
            .assert()
            .success();
        std::fs::read(&p).unwrap()
    };
    let a = run("a.svg");
    let svg = String::from_utf8(a.clone()).unwrap();
    assert!(svg.contains("<svg"), "not an SVG");
    for label in [
        "Did the forecast band contain what really happened?",
        "output tokens",
        "What really happened",
        "Naive estimate",
    ] {
        assert!(svg.contains(label), "missing {label}");
    }
    // Same inputs and seed, same bytes.
    assert_eq!(a, run("b.svg"));
    assert!(run("c.png").starts_with(b"\x89PNG"));
    billcast()
        .args(["backtest", PILOT, "--fit-first", "150", "--chart"])
        .arg(dir.path().join("missing-dir/x.svg"))
        .assert()
        .code(2);
}
