//! Fuzz the `usage_csv` parser: arbitrary bytes forced through it must give records, counted
//! bad lines or an `IngestError`, never a panic.
#![no_main]

use billcast::ingest::{Format, IngestOptions, Tokenizer, ingest_bytes, sessions};
use libfuzzer_sys::fuzz_target;

/// A first line naming every recognised column, so mutations reach the row parser.
const HEADER: &[u8] = b"prompt_tokens,completion_tokens,cached_tokens,reasoning_tokens,n_tool_calls,sim_id,turn_idx,timestamp,model,status,finish_reason,caller\n";

fuzz_target!(|raw: &[u8]| {
    let data = &[HEADER, raw].concat()[..];
    let opts = IngestOptions {
        format: Some(Format::UsageCsv),
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
