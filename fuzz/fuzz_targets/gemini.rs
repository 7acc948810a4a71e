//! Fuzz the `gemini` parser: arbitrary bytes forced through it must give records, counted
//! bad lines or an `IngestError`, never a panic.
#![no_main]

use billcast::ingest::{Format, IngestOptions, Tokenizer, ingest_bytes, sessions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = IngestOptions {
        format: Some(Format::Gemini),
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
