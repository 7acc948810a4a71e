//! Fuzz the `usage_jsonl` parser: arbitrary bytes forced through it must give records, counted
//! bad lines or an `IngestError`, never a panic.
#![no_main]

use billcast::ingest::{Format, IngestOptions, Tokenizer, ingest_bytes, sessions};
use libfuzzer_sys::fuzz_target;

/// A first line naming every recognised column, so mutations reach the row parser.
const HEADER: &[u8] = b"{\"prompt_tokens\":1,\"completion_tokens\":2,\"cached_tokens\":0,\"reasoning_tokens\":0,\"n_tool_calls\":0,\"sim_id\":\"s\",\"turn_idx\":0,\"timestamp\":\"2025-01-01T00:00:00Z\",\"model\":\"m\",\"status\":\"ok\",\"finish_reason\":\"stop\",\"caller\":\"agent\"}\n";

fuzz_target!(|raw: &[u8]| {
    let data = &[HEADER, raw].concat()[..];
    let opts = IngestOptions {
        format: Some(Format::UsageJsonl),
        tokenizer: Tokenizer::Whitespace,
        max_records: 1_000,
        ..IngestOptions::default()
    };
    if let Ok(got) = ingest_bytes("fuzz-input", data, &opts) {
        let _ = sessions(&got.records);
    }
    // Detection must not panic either.
    let _ = ingest_bytes(
        "fuzz-input",
        data,
        &IngestOptions {
            tokenizer: Tokenizer::Whitespace,
            ..IngestOptions::default()
        },
    );
});
