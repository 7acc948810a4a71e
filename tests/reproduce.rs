//! In-sample reproduction (issue 18, item 1): a workload fitted from a log and forecast at the
//! log's session count with no shift lands the totals of input tokens, output tokens, calls and
//! tool calls within 3% of the log's, on every trace in `data/real` and on the bundled pilot —
//! agent traces included, whose cost is quadratic in the calls of a session.
//!
//! Tolerance: the forecast mean of `T` trials has a Monte Carlo standard error `se` (trial SD
//! / √T); each trace's trials are enough that `3·se` is at most 1% of the total, so a mean
//! outside ±3% is a model error of at least 2%, not noise.

use std::path::PathBuf;

use billcast::backtest::{Reproduced, in_sample};
use billcast::fit::workload::WorkloadFitOptions;
use billcast::ingest::{self, ColumnMap, IngestOptions, Tokenizer};

const REAL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/real");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const AZURE_MAP: &str = "input=ContextTokens,output=GeneratedTokens,time=TIMESTAMP";

/// (name, path, column map, caller, tokenizer)
fn traces() -> Vec<(
    &'static str,
    String,
    Option<&'static str>,
    Option<&'static str>,
    Tokenizer,
)> {
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
            if !(r.error.abs() <= 0.03) {
                failures.push(format!("{name} {}: {:+.2}%", r.quantity, r.error * 100.0));
            }
        }
    }
    eprintln!("{table}");
    assert!(failures.is_empty(), "{failures:?}\n{table}");
}
