//! Ingest throughput on a generated ~50 MB OpenAI Chat Completions JSONL file (usage with
//! cached and reasoning details, a third of the lines with tool calls), written to a temp
//! dir. The target is ≥ 50 MB/s on one core; chat JSONL is parsed on the calling thread.
//! The same responses as one single-line JSON array measure the streamed-document path
//! (serde_json reading from a reader, item by item).
//!
//! Run: `cargo bench --bench ingest` (add `-- --noplot` if criterion's plots are enabled).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

use billcast::ingest::{IngestOptions, ingest};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const TARGET_BYTES: usize = 50 << 20;

/// One realistic response line; `i` varies ids, counts, text length and tool calls.
fn line(i: usize, out: &mut String) {
    let prompt = 800 + (i * 7919) % 12_000;
    let cached = (prompt / 1024) * 1024 / 2;
    let completion = 20 + (i * 104_729) % 900;
    let reasoning = if i.is_multiple_of(5) {
        completion / 2
    } else {
        0
    };
    let words = 20 + i % 120;
    let text: String = (0..words)
        .map(|w| {
            [
                "the ",
                "answer ",
                "is ",
                "cached ",
                "tokens ",
                "\\\"quoted\\\" ",
            ][w % 6]
        })
        .collect();
    let (message, finish) = if i.is_multiple_of(3) {
        (
            format!(
                r#"{{"role":"assistant","content":null,"refusal":null,"annotations":[],"tool_calls":[{{"id":"call_{i:024}","type":"function","function":{{"name":"get_weather","arguments":"{{\"city\":\"Paris\",\"unit\":\"celsius\"}}"}}}},{{"id":"call_{i:024}b","type":"function","function":{{"name":"get_time","arguments":"{{\"tz\":\"Europe/Paris\"}}"}}}}]}}"#
            ),
            "tool_calls",
        )
    } else {
        (
            format!(r#"{{"role":"assistant","content":"{text}","refusal":null,"annotations":[]}}"#),
            "stop",
        )
    };
    let _ = writeln!(
        out,
        r#"{{"id":"chatcmpl-{i:029}","object":"chat.completion","created":{},"model":"gpt-4o-2024-08-06","choices":[{{"index":0,"message":{message},"logprobs":null,"finish_reason":"{finish}"}}],"usage":{{"prompt_tokens":{prompt},"completion_tokens":{completion},"total_tokens":{},"prompt_tokens_details":{{"cached_tokens":{cached},"audio_tokens":0}},"completion_tokens_details":{{"reasoning_tokens":{reasoning},"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}},"service_tier":"default","system_fingerprint":"fp_f9f4fb6dbf"}}"#,
        1_735_689_600 + i,
        prompt + completion
    );
}

/// Write ~50 MB of responses to a temp file: one per line (JSONL), or as the elements of one
/// JSON array on a single line (`array`).
fn write_file(array: bool) -> (tempfile::TempDir, PathBuf, u64) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let path = dir
        .path()
        .join(if array { "chat.json" } else { "chat.jsonl" });
    let mut f = std::io::BufWriter::new(
        std::fs::File::create(&path).unwrap_or_else(|e| panic!("create: {e}")),
    );
    let mut buf = String::new();
    let mut written = 0usize;
    let mut i = 0;
    if array {
        buf.push('[');
    }
    while written < TARGET_BYTES {
        if array && i > 0 {
            buf.push(',');
        }
        line(i, &mut buf);
        if array {
            buf.pop(); // the newline
        }
        f.write_all(buf.as_bytes())
            .unwrap_or_else(|e| panic!("write: {e}"));
        written += buf.len();
        buf.clear();
        i += 1;
    }
    if array {
        f.write_all(b"]").unwrap_or_else(|e| panic!("write: {e}"));
        written += 1;
    }
    f.flush().unwrap_or_else(|e| panic!("flush: {e}"));
    (dir, path, written as u64)
}

fn bench(c: &mut Criterion) {
    let (_dir, path, bytes) = write_file(false);
    let paths = vec![path];
    let opts = IngestOptions::default();
    // Sanity check once: every line is a record, none is bad.
    let got = ingest(&paths, &opts, &|_| {}).unwrap_or_else(|e| panic!("ingest: {e}"));
    assert_eq!(got.bad_count, 0);
    assert_eq!(got.files[0].lines, got.records.len() as u64);

    let mut g = c.benchmark_group("ingest");
    g.throughput(Throughput::Bytes(bytes));
    g.sample_size(10);
    g.bench_function("openai_chat_jsonl_50MB", |b| {
        b.iter(|| {
            let got = ingest(&paths, &opts, &|_| {}).unwrap_or_else(|e| panic!("ingest: {e}"));
            std::hint::black_box(got.records.len())
        })
    });
    // The same responses as one JSON array on one line: streamed element by element.
    let (_adir, apath, abytes) = write_file(true);
    let apaths = vec![apath];
    let got = ingest(&apaths, &opts, &|_| {}).unwrap_or_else(|e| panic!("ingest: {e}"));
    assert_eq!(got.bad_count, 0);
    assert_eq!(got.files[0].records, got.records.len() as u64);
    g.throughput(Throughput::Bytes(abytes));
    g.bench_function("openai_chat_json_array_50MB", |b| {
        b.iter(|| {
            let got = ingest(&apaths, &opts, &|_| {}).unwrap_or_else(|e| panic!("ingest: {e}"));
            std::hint::black_box(got.records.len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
