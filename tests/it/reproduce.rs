//! In-sample reproduction (issue 18, item 1): a workload fitted from a log and forecast at the
//! log's session count with no shift lands the totals of input tokens, output tokens, calls and
//! tool calls within 3% of the log's, on every trace in `data/real` and on the bundled pilot —
//! agent traces included, whose cost is quadratic in the calls of a session.
//!
//! Tolerance: the forecast mean of `T` trials has a Monte Carlo standard error `se` (trial SD
//! / √T); each trace's trials are enough that `3·se` is at most 1% of the total, so a mean
//! outside ±3% is a model error of at least 2%, not noise.

use crate::common::*;

use std::path::PathBuf;

use billcast::backtest::{Reproduced, in_sample};
use billcast::engine::{self, SimOptions};
use billcast::fit::workload::WorkloadFitOptions;
use billcast::ingest::{self, ColumnMap, IngestOptions, Tokenizer};
use billcast::pricing::PriceBook;
use billcast::scenario::Scenario;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const AZURE_MAP: &str = "input=ContextTokens,output=GeneratedTokens,time=TIMESTAMP";

/// A trace: name, path, column map, caller, tokenizer.
type Trace = (
    &'static str,
    String,
    Option<&'static str>,
    Option<&'static str>,
    Tokenizer,
);

fn traces() -> Vec<Trace> {
    vec![
        (
            "azure-code",
            format!("{REAL}/azure-llm-2023/AzureLLMInferenceTrace_code.csv"),
            Some(AZURE_MAP),
            None,
            Tokenizer::O200kBase,
        ),
        (
            "azure-conv",
            format!("{REAL}/azure-llm-2023/AzureLLMInferenceTrace_conv.csv"),
            Some(AZURE_MAP),
            None,
            Tokenizer::O200kBase,
        ),
        (
            "mooncake-conv",
            format!("{REAL}/mooncake-fast25-conversation/conversation_trace.jsonl"),
            None,
            None,
            Tokenizer::O200kBase,
        ),
        (
            "tau2-agent",
            format!("{REAL}/tau2-bench-traces/calls.csv"),
            None,
            Some("agent"),
            Tokenizer::O200kBase,
        ),
        (
            // Whitespace words keep the debug-build test fast; the session structure, which is
            // what this checks, does not depend on the tokenizer.
            "tau-bench-airline",
            format!("{REAL}/tau-bench-gpt4o-airline/gpt-4o-airline.json"),
            None,
            None,
            Tokenizer::Whitespace,
        ),
        (
            "pilot",
            format!("{ROOT}/examples/pilot/support-agent-calls.csv"),
            None,
            Some("agent"),
            Tokenizer::O200kBase,
        ),
    ]
}

fn reproduce(
    path: &str,
    map: Option<&str>,
    caller: Option<&str>,
    tokenizer: Tokenizer,
    trials: u64,
) -> Vec<Reproduced> {
    let opts = IngestOptions {
        map: map.map(|m| m.parse::<ColumnMap>().expect("map")),
        tokenizer,
        ..IngestOptions::default()
    };
    let ing = ingest::ingest(&[PathBuf::from(path)], &opts, &|_| {}).expect("ingest");
    let sessions = ingest::sessions(&ing.records);
    in_sample(
        &ing.records,
        &sessions,
        caller,
        &WorkloadFitOptions {
            bootstrap: 0,
            ..WorkloadFitOptions::default()
        },
        trials,
        7,
    )
    .expect("in-sample forecast")
}

#[test]
fn every_trace_reproduces_its_own_totals_within_3_percent() {
    let mut failures = Vec::new();
    let mut table = String::from("trace | quantity | log | forecast mean | error | 3 se\n");
    for (name, path, map, caller, tok) in traces() {
        for r in reproduce(&path, map, caller, tok, 800) {
            if !["input_tokens", "output_tokens", "calls", "tool_calls"].contains(&r.quantity) {
                continue;
            }
            if r.actual == 0.0 && r.mean == 0.0 {
                continue; // no tool calls in a request trace
            }
            let se = 3.0 * r.se / r.actual;
            table.push_str(&format!(
                "{name} | {} | {:.0} | {:.0} | {:+.2}% | {:.2}%\n",
                r.quantity,
                r.actual,
                r.mean,
                r.error * 100.0,
                se * 100.0
            ));
            if se > 0.01 {
                failures.push(format!(
                    "{name} {}: 3 se = {:.2}% (too few trials)",
                    r.quantity,
                    se * 100.0
                ));
            }
            if r.error.is_nan() || r.error.abs() > 0.03 {
                failures.push(format!("{name} {}: {:+.2}%", r.quantity, r.error * 100.0));
            }
        }
    }
    eprintln!("{table}");
    assert!(failures.is_empty(), "{failures:?}\n{table}");
}

/// A log of 120 agent sessions whose history is trimmed (as when reasoning blocks are dropped):
/// 1–4 turns of 0–4 tool rounds (1–2 tool calls each), and every call's input is a 1,500-token
/// prefix plus at most the last 1,200–3,200 tokens of the conversation, so inputs stop growing
/// and often shrink from one call to the next.
fn trimmed_log() -> String {
    let mut x: u64 = 99;
    let mut draw = |lo: u64, hi: u64| {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        lo + (x >> 33) % (hi - lo)
    };
    let mut csv = String::from(
        "session_id,turn_idx,prompt_tokens,completion_tokens,n_tool_calls,finish_reason\n",
    );
    let mut k = 0;
    for s in 0..120 {
        let mut conv = 0u64;
        for _ in 0..draw(1, 5) {
            conv += draw(30, 200);
            let rounds = draw(0, 5);
            for r in 0..=rounds {
                let input = 1_500 + conv.min(draw(1_200, 3_200));
                let output = draw(20, 300);
                let tools = if r < rounds { draw(1, 3) } else { 0 };
                let finish = if tools > 0 { "tool_calls" } else { "stop" };
                k += 1;
                csv.push_str(&format!("s{s},{k},{input},{output},{tools},{finish}\n"));
                conv += output + tools * draw(100, 900);
            }
        }
    }
    csv
}

#[test]
fn a_trimmed_history_keeps_its_session_structure() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trimmed.csv");
    std::fs::write(&path, trimmed_log()).unwrap();
    let ing = ingest::ingest(&[path], &IngestOptions::default(), &|_| {}).expect("ingest");
    let sessions = ingest::sessions(&ing.records);
    let obs = billcast::fit::observe::observe(&ing.records, &sessions, None);
    assert!(obs.call_level && !obs.one_call, "{:?}", obs.notes);
    let run = |resample: Option<bool>| {
        let opts = WorkloadFitOptions {
            bootstrap: 0,
            resample,
            ..WorkloadFitOptions::default()
        };
        let w = billcast::fit::workload::fit_workload(&obs, &opts).expect("fit");
        for k in ["input_tokens", "turns_per_session", "tool_rounds_per_turn"] {
            assert!(w.quantities.iter().any(|q| q.key == k), "{k} not fitted");
        }
        in_sample(&ing.records, &sessions, None, &opts, 800, 3).expect("forecast")
    };
    // Replayed sessions (the default): every total within 3% (3 se ≤ 1%, as above).
    for r in run(None) {
        if ["input_tokens", "output_tokens", "calls", "tool_calls"].contains(&r.quantity) {
            assert!(3.0 * r.se / r.actual <= 0.01, "{r:?}");
            assert!(r.error.abs() <= 0.03, "{r:?}");
        }
    }
    // The fitted laws alone (`--parametric`) keep several calls and tool calls per session:
    // before issue 18 they had one call and none. Independent draws of turns and rounds are
    // not exact, so only the scale is checked here (within 15%).
    for r in run(Some(false)) {
        if ["input_tokens", "calls", "tool_calls"].contains(&r.quantity) {
            assert!(r.error.abs() <= 0.15, "{r:?}");
        }
    }
}

/// The pilot's workload fitted with its recorded sessions, written next to a scenario of 600
/// sessions with no shift; returns the scenario path (the directory must outlive it).
fn pilot_scenario(dir: &tempfile::TempDir) -> PathBuf {
    let path = format!("{ROOT}/examples/pilot/support-agent-calls.csv");
    let ing = ingest::ingest(&[PathBuf::from(path)], &IngestOptions::default(), &|_| {}).unwrap();
    let sessions = ingest::sessions(&ing.records);
    let obs = billcast::fit::observe::observe(&ing.records, &sessions, Some("agent"));
    let w = billcast::fit::workload::fit_workload(
        &obs,
        &WorkloadFitOptions {
            bootstrap: 0,
            ..WorkloadFitOptions::default()
        },
    )
    .unwrap();
    assert!(
        w.sessions.is_some(),
        "multi-call sessions are stored for replay"
    );
    std::fs::write(
        dir.path().join("w.toml"),
        w.to_toml(&[], &toml::Table::new()),
    )
    .unwrap();
    let scen = "schema_version = 1\nname = \"pilot\"\nstart_month = \"2027-01\"\n[simulation]\ntrials = 200\nmode = \"exact\"\n[traffic]\nsessions_per_month = 600\n[workload]\nfrom = \"w.toml\"\n[shift]\nsize = 1\ncount = 1\n[[routes]]\nmodel = \"test/ref\"\n";
    let p = dir.path().join("s.toml");
    std::fs::write(&p, scen).unwrap();
    p
}

fn mean_volumes(s: &Scenario) -> (f64, f64, f64) {
    let book =
        PriceBook::load(&[PathBuf::from(format!("{ROOT}/tests/data/flat-prices.toml"))]).unwrap();
    let sim = engine::simulate(s, &book, &SimOptions::default()).unwrap();
    let v = &sim.trial_volumes[0];
    let n = v.len() as f64;
    (
        v.iter()
            .map(|x| x.tokens[0] + x.tokens[1] + x.tokens[2])
            .sum::<f64>()
            / n,
        v.iter().map(|x| x.tokens[3]).sum::<f64>() / n,
        v.iter().map(|x| x.calls).sum::<f64>() / n,
    )
}

#[test]
fn what_ifs_apply_to_replayed_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let p = pilot_scenario(&dir);
    let mode = |s: &Scenario| {
        s.assumptions
            .iter()
            .find(|a| a.key == "workload.mode")
            .map(|a| a.value.clone())
            .unwrap_or_default()
    };
    let base = Scenario::load(&p, &[]).unwrap();
    assert!(
        mode(&base).starts_with("resample: replay 60 recorded sessions"),
        "{}",
        mode(&base)
    );
    let (input, output, calls) = mean_volumes(&base);
    // Outputs: the fitted mean is about 69 tokens; asking for a fixed 138 doubles every
    // replayed output (the ratio of the means), leaving inputs and calls as recorded. The
    // same seed replays the same sessions, so the ratio is exact up to rounding up to whole
    // tokens and the output cap.
    let fitted_mean = 47_022.0 / 682.0;
    let set = format!("workload.output_tokens={}", 2.0 * fitted_mean);
    let doubled = Scenario::load(&p, &[set]).unwrap();
    assert!(mode(&doubled).starts_with("resample"), "{}", mode(&doubled));
    let (input2, output2, calls2) = mean_volumes(&doubled);
    assert_eq!((input2, calls2), (input, calls));
    assert!(
        (output2 / output / 2.0 - 1.0).abs() < 0.01,
        "{output2} vs 2 × {output}"
    );
    // A changed session structure cannot be replayed: the fitted laws take over, and the
    // assumptions say so.
    let turns = Scenario::load(&p, &["workload.turns_per_session=3".to_string()]).unwrap();
    assert!(
        mode(&turns).starts_with("parametric: turns_per_session set by the scenario"),
        "{}",
        mode(&turns)
    );
    // A scenario can opt out of replay.
    let par = Scenario::load(&p, &["workload.mode=parametric".to_string()]).unwrap();
    assert!(par.segments[0].workload.resample.is_none());
}
