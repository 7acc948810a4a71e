//! Ingest tests on the bundled fixtures (`data/fixtures`) (one per format), the real datasets, and bad input.
//!
//! Expected numbers are computed by hand from the files; comments show the arithmetic.
//! Paths are relative to the package root (cargo runs tests there).

use crate::common::*;

use std::io::Write;
use std::path::PathBuf;

use billcast::ingest::{
    CallRecord, ColumnMap, FailureClass, Finish, Format, IngestError, IngestOptions, Ingested,
    Status, Tokenizer, UsageConvention, ingest, sessions,
};
use billcast::usage::CallTokens;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/fixtures/transcripts");

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(FIXTURES).join(name)
}

fn read_with(paths: &[PathBuf], opts: &IngestOptions) -> Ingested {
    match ingest(paths, opts, &|_| {}) {
        Ok(got) => got,
        Err(e) => panic!("ingest {paths:?} failed: {e}"),
    }
}

fn read(names: &[&str]) -> Ingested {
    let paths: Vec<PathBuf> = names.iter().map(|n| fixture(n)).collect();
    let got = read_with(&paths, &IngestOptions::default());
    assert_eq!(got.bad_count, 0, "unexpected bad lines: {:?}", got.bad);
    got
}

fn tokens(r: &CallRecord) -> CallTokens {
    r.tokens
        .unwrap_or_else(|| panic!("record at line {} has no tokens", r.line))
}

fn tok(input: f64, cache_read: f64, cache_write: f64, output: f64, reasoning: f64) -> CallTokens {
    CallTokens {
        input,
        cache_read,
        cache_write,
        output,
        reasoning,
    }
}

/// Sums of (input, cache_read, cache_write, output, reasoning) over records with tokens.
fn totals(records: &[CallRecord]) -> CallTokens {
    let mut t = CallTokens::default();
    for r in records.iter().filter_map(|r| r.tokens) {
        t.input += r.input;
        t.cache_read += r.cache_read;
        t.cache_write += r.cache_write;
        t.output += r.output;
        t.reasoning += r.reasoning;
    }
    t
}

fn temp_file(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let path = dir.path().join(name);
    let mut f = std::fs::File::create(&path).unwrap_or_else(|e| panic!("create: {e}"));
    f.write_all(bytes).unwrap_or_else(|e| panic!("write: {e}"));
    (dir, path)
}

// ---------------------------------------------------------------------------------------
// OpenAI
// ---------------------------------------------------------------------------------------

#[test]
fn openai_chat_completion_splits_cached_input_and_counts_tool_calls() {
    let got = read(&["openai_chat_completion_response.json"]);
    assert_eq!(got.files[0].format, Format::OpenaiChat);
    assert_eq!(got.records.len(), 1);
    let r = &got.records[0];
    // prompt_tokens 1234 includes cached 1024 → 210 uncached; completion 57, reasoning 0.
    assert_eq!(tokens(r), tok(210.0, 1024.0, 0.0, 57.0, 0.0));
    assert_eq!(r.tool_calls, 2);
    assert_eq!(r.finish, Finish::ToolCalls);
    assert_eq!(r.model.as_deref(), Some("gpt-4o-2024-08-06"));
    assert_eq!(r.timestamp, Some(1_735_689_600.0));
    assert!(!r.tokens_counted);
}

#[test]
fn request_response_log_pairs_attempts_and_detects_the_retry() {
    let got = read(&["openai_chat_request_response_log.jsonl"]);
    assert_eq!(got.files[0].format, Format::OpenaiLog);
    let r = &got.records;
    assert_eq!(r.len(), 4);
    // Line 1: 1234 − 1024 cached = 210; 2 tool calls; request cap 1024.
    assert_eq!(tokens(&r[0]), tok(210.0, 1024.0, 0.0, 57.0, 0.0));
    assert_eq!(
        (r[0].tool_calls, r[0].finish, r[0].max_output_tokens),
        (2, Finish::ToolCalls, Some(1024))
    );
    assert_eq!(r[0].session.as_deref(), Some("conv-0001"));
    // Line 2: 429 rate_limit_exceeded, no usage.
    assert_eq!(r[1].status, Status::Failed(FailureClass::RateLimit));
    assert_eq!(r[1].tokens, None);
    assert_eq!(r[1].model.as_deref(), Some("gpt-4o"));
    // Line 3: the same request, attempt 2: 1352 − 1280 cached = 72.
    assert_eq!(r[2].attempt, Some(2));
    assert_eq!(r[2].request_key, r[1].request_key);
    assert_ne!(r[0].request_key, r[1].request_key);
    assert_eq!(tokens(&r[2]), tok(72.0, 1280.0, 0.0, 19.0, 0.0));
    assert_eq!(r[2].finish, Finish::Stop);
    // Line 4: o3-mini hits its 300-token cap: 300 completion = 256 reasoning + 44 visible.
    assert_eq!(tokens(&r[3]), tok(27.0, 0.0, 0.0, 44.0, 256.0));
    assert_eq!(
        (r[3].finish, r[3].max_output_tokens),
        (Finish::Length, Some(300))
    );
    assert_eq!(r[3].model.as_deref(), Some("o3-mini-2025-01-31"));
    assert_eq!(r[3].timestamp, Some(1_735_689_700.0));

    let s = sessions(&got.records);
    assert_eq!(s.len(), 2);
    assert_eq!(s[0].id, "conv-0001");
    assert_eq!(s[0].turns.len(), 1);
    // tool round (line 1) → 429 (line 2) → retry answers (line 3).
    assert_eq!(s[0].turns[0].calls, vec![0, 1, 2]);
    assert_eq!((s[0].turns[0].tool_rounds, s[0].turns[0].retries), (1, 1));
    assert_eq!(s[1].turns.len(), 1);
}

#[test]
fn responses_api_counts_function_and_web_search_items() {
    let got = read(&[
        "openai_responses_api_response.json",
        "openai_responses_api_incomplete.json",
    ]);
    let r = &got.records;
    assert_eq!(r.len(), 2);
    // 2048 − 1536 cached = 512; 412 output = 320 reasoning + 92 visible.
    assert_eq!(tokens(&r[0]), tok(512.0, 1536.0, 0.0, 92.0, 320.0));
    assert_eq!(r[0].tool_calls, 1);
    assert_eq!(r[0].server_tools, vec![("web_search".to_string(), 1)]);
    assert_eq!(r[0].finish, Finish::ToolCalls);
    // status incomplete / max_output_tokens → Length, censored at 64.
    assert_eq!(tokens(&r[1]), tok(31.0, 0.0, 0.0, 64.0, 0.0));
    assert_eq!(
        (r[1].finish, r[1].max_output_tokens),
        (Finish::Length, Some(64))
    );
    assert_eq!(r[1].file, 1);
}

#[test]
fn batch_results_join_their_requests_on_custom_id() {
    // Results first, input last: the join does not depend on file or line order.
    let got = read(&[
        "openai_batch_error_file.jsonl",
        "openai_batch_output.jsonl",
        "openai_batch_input.jsonl",
    ]);
    assert!(got.files.iter().all(|f| f.format == Format::OpenaiBatch));
    assert_eq!(
        got.files[2].records, 0,
        "input lines are requests, not calls"
    );
    let by_id = |id: &str| {
        got.records
            .iter()
            .find(|r| r.session.as_deref() == Some(id))
            .unwrap_or_else(|| panic!("{id} missing"))
    };
    assert_eq!(got.records.len(), 4);
    assert!(got.records.iter().all(|r| r.batch));
    let r1 = by_id("req-0001");
    assert_eq!(tokens(r1), tok(31.0, 0.0, 0.0, 1.0, 0.0));
    assert_eq!(r1.max_output_tokens, Some(16));
    assert_eq!(r1.model.as_deref(), Some("gpt-4o-mini-2024-07-18"));
    assert_eq!(tokens(by_id("req-0002")), tok(30.0, 0.0, 0.0, 1.0, 0.0));
    // 400 context_length_exceeded: not retryable.
    let r3 = by_id("req-0003");
    assert_eq!(r3.status, Status::Failed(FailureClass::Client));
    assert_eq!(
        r3.model.as_deref(),
        Some("gpt-4o-mini"),
        "model joined from the input file"
    );
    assert_eq!(
        by_id("req-0004").status,
        Status::Failed(FailureClass::Expired)
    );
    assert_eq!(sessions(&got.records).len(), 4);
}

// ---------------------------------------------------------------------------------------
// Anthropic
// ---------------------------------------------------------------------------------------

#[test]
fn anthropic_cache_tokens_are_beside_input() {
    let got = read(&["anthropic_messages_response.json"]);
    let r = &got.records[0];
    // input_tokens 512 excludes cache: total input = 512 + 6200 read + 1800 written = 8512.
    assert_eq!(tokens(r), tok(512.0, 6200.0, 1800.0, 240.0, 0.0));
    assert_eq!(tokens(r).total_input(), 8512.0);
    assert_eq!(
        r.tool_calls, 1,
        "one tool_use block; server_tool_use is not a client call"
    );
    assert_eq!(r.server_tools, vec![("web_search".to_string(), 1)]);
    assert_eq!(r.finish, Finish::ToolCalls);
    // `cache_creation_input_tokens` is already the total over both TTLs; the split beside it
    // is not added again.
    let body = br#"{"type":"message","content":[],"stop_reason":"end_turn","usage":{"input_tokens":10,"cache_creation_input_tokens":1800,"cache_creation":{"ephemeral_5m_input_tokens":1000,"ephemeral_1h_input_tokens":800},"output_tokens":5}}"#;
    let got = billcast::ingest::ingest_bytes("m.json", body, &IngestOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(tokens(&got.records[0]), tok(10.0, 0.0, 1800.0, 5.0, 0.0));
}

#[test]
fn anthropic_error_bodies_are_classified() {
    let got = read(&[
        "anthropic_error_overloaded_529.json",
        "anthropic_error_rate_limit_429.json",
    ]);
    assert_eq!(
        got.records[0].status,
        Status::Failed(FailureClass::Overload)
    );
    assert_eq!(
        got.records[1].status,
        Status::Failed(FailureClass::RateLimit)
    );
    assert!(got.records.iter().all(|r| r.tokens.is_none()));
}

#[test]
fn anthropic_batch_results_cover_every_outcome() {
    let got = read(&["anthropic_message_batch_results.jsonl"]);
    let r = &got.records;
    assert_eq!(r.len(), 4);
    assert_eq!(tokens(&r[0]), tok(28.0, 0.0, 0.0, 4.0, 0.0));
    assert_eq!(r[0].status, Status::Ok);
    assert_eq!(r[1].status, Status::Failed(FailureClass::Client));
    assert_eq!(r[2].status, Status::Failed(FailureClass::Expired));
    assert_eq!(r[3].status, Status::Failed(FailureClass::Cancelled));
    assert!(r.iter().all(|r| r.batch));
    assert_eq!(r[3].session.as_deref(), Some("req-0004"));
}

// ---------------------------------------------------------------------------------------
// Gemini
// ---------------------------------------------------------------------------------------

#[test]
fn gemini_thoughts_are_billed_output_and_function_calls_end_with_stop() {
    let got = read(&["gemini_generate_content_response.json"]);
    let r = &got.records[0];
    // input = prompt 8812 + tool-use prompt 200 − cached 8192 = 820;
    // output = candidates 41 (thoughts 326 beside it, billed as reasoning).
    assert_eq!(tokens(r), tok(820.0, 8192.0, 0.0, 41.0, 326.0));
    // totalTokenCount 9379 = 8812 + 41 + 200 + 326.
    let t = tokens(r);
    assert_eq!(t.total_input() + t.total_output(), 9379.0);
    assert_eq!(r.tool_calls, 2);
    assert_eq!(
        r.finish,
        Finish::ToolCalls,
        "finishReason STOP with functionCall parts"
    );
    assert_eq!(r.model.as_deref(), Some("gemini-2.5-flash"));
}

#[test]
fn gemini_snake_case_and_streamed_chunks() {
    // The Python SDK's model_dump() spelling, streamed: usage is cumulative, keep the last.
    let lines = concat!(
        r#"{"response_id":"r1","candidates":[{"content":{"parts":[{"text":"Hi"}]}}],"usage_metadata":{"prompt_token_count":10,"candidates_token_count":1}}"#,
        "\n",
        r#"{"response_id":"r1","candidates":[{"content":{"parts":[{"function_call":{"name":"f","args":{}}}]},"finish_reason":"STOP"}],"usage_metadata":{"prompt_token_count":10,"candidates_token_count":5,"thoughts_token_count":2}}"#,
        "\n",
    );
    let (_d, path) = temp_file("gemini.jsonl", lines.as_bytes());
    let got = read_with(&[path], &IngestOptions::default());
    assert_eq!(got.files[0].format, Format::Gemini);
    assert_eq!(got.records.len(), 1);
    let r = &got.records[0];
    assert_eq!(tokens(r), tok(10.0, 0.0, 0.0, 5.0, 2.0));
    assert_eq!((r.tool_calls, r.finish, r.line), (1, Finish::ToolCalls, 2));
}

#[test]
fn gemini_error_bodies_are_classified() {
    let got = read(&[
        "gemini_error_503_unavailable.json",
        "gemini_error_429_resource_exhausted.json",
    ]);
    assert_eq!(
        got.records[0].status,
        Status::Failed(FailureClass::Overload)
    );
    assert_eq!(
        got.records[1].status,
        Status::Failed(FailureClass::RateLimit)
    );
}

// ---------------------------------------------------------------------------------------
// OpenTelemetry
// ---------------------------------------------------------------------------------------

#[test]
fn otel_leaf_spans_only_with_tool_spans_retries_and_failure_classes() {
    let got = read(&["otel_genai_spans_otlp.json"]);
    assert_eq!(got.files[0].format, Format::Otel);
    let r = &got.records;
    // invoke_agent and the two execute_tool spans are not calls: 4 chat spans remain.
    assert_eq!(r.len(), 4);
    // The parent carries conversation.id; every call belongs to it.
    assert!(r.iter().all(|r| r.session.as_deref() == Some("conv-0001")));
    // chat 1: intValue strings, 1234 − 1024 cached = 210; the two execute_tool spans after it.
    assert_eq!(tokens(&r[0]), tok(210.0, 1024.0, 0.0, 57.0, 0.0));
    assert_eq!(
        (r[0].tool_calls, r[0].finish, r[0].max_output_tokens),
        (2, Finish::ToolCalls, Some(1024))
    );
    assert_eq!(r[0].model.as_deref(), Some("gpt-4o-2024-08-06"));
    // chat 2: status 2 + error.type "429".
    assert_eq!(
        (r[1].status, r[1].tokens),
        (Status::Failed(FailureClass::RateLimit), None)
    );
    // chat 3: the retry, 1352 − 1280 = 72.
    assert_eq!(tokens(&r[2]), tok(72.0, 1280.0, 0.0, 19.0, 0.0));
    assert_eq!(r[2].tool_calls, 0);
    // chat 4: Anthropic overloaded_error.
    assert_eq!(r[3].status, Status::Failed(FailureClass::Overload));
    // Totals exclude the invoke_agent parent (no double counting).
    let t = totals(r);
    assert_eq!(
        (t.input, t.cache_read, t.output),
        (210.0 + 72.0, 1024.0 + 1280.0, 57.0 + 19.0)
    );

    let s = sessions(r);
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].turns.len(), 2);
    assert_eq!(s[0].turns[0].calls, vec![0, 1, 2]);
    assert_eq!((s[0].turns[0].tool_rounds, s[0].turns[0].retries), (1, 1));
    // The overloaded call is not retried in the trace: a failed turn of its own.
    assert_eq!(s[0].turns[1].calls, vec![3]);
    assert_eq!(s[0].turns[1].retries, 0);
}

#[test]
fn otel_legacy_attribute_names() {
    let got = read(&["otel_genai_spans_legacy.jsonl"]);
    let r = &got.records;
    assert_eq!(r.len(), 2);
    // v1.26 prompt/completion_tokens and v1.27+ input/output_tokens read the same.
    for rec in r {
        assert_eq!(tokens(rec), tok(812.0, 0.0, 0.0, 96.0, 0.0));
        assert_eq!(rec.finish, Finish::Stop);
        assert_eq!(rec.model.as_deref(), Some("gpt-4o-mini-2024-07-18"));
        assert_eq!(
            rec.session.as_deref(),
            Some("0af7651916cd43dd8448eb211c80319c")
        );
    }
    assert_eq!((r[0].line, r[1].line), (1, 2));
}

#[test]
fn otel_base64_ids_numeric_ints_and_cache_beside_input() {
    // One span per line, base64 trace id, intValue as a number, OpenLLMetry Anthropic
    // spelling with cache reads beside input (input 10 < cache 100).
    let line = r#"{"traceId":"W47/95gDgQPSabYzgT/GDA==","spanId":"AQIDBAUGBwg=","name":"chat claude","startTimeUnixNano":1735689600000000000,"attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},{"key":"gen_ai.system","value":{"stringValue":"anthropic"}},{"key":"gen_ai.usage.input_tokens","value":{"intValue":10}},{"key":"gen_ai.usage.output_tokens","value":{"intValue":"5"}},{"key":"gen_ai.usage.cache_read_input_tokens","value":{"intValue":100}}],"status":{"code":1}}"#;
    let (_d, path) = temp_file("spans.jsonl", format!("{line}\n").as_bytes());
    let got = read_with(&[path], &IngestOptions::default());
    let r = &got.records[0];
    assert_eq!(tokens(r), tok(10.0, 100.0, 0.0, 5.0, 0.0));
    assert_eq!(
        r.session.as_deref(),
        Some("5b8efff798038103d269b633813fc60c")
    );
    assert_eq!(r.timestamp, Some(1_735_689_600.0));
}

// ---------------------------------------------------------------------------------------
// Messages-only conversations
// ---------------------------------------------------------------------------------------

#[test]
fn finetune_conversations_are_counted_with_gpt4o_rules() {
    let got = read(&["openai_finetune_chat.jsonl"]);
    assert_eq!(got.files[0].format, Format::Messages);
    let r = &got.records;
    assert_eq!(
        r.len(),
        6,
        "two assistant messages on each of the three lines"
    );
    assert!(r.iter().all(|r| r.tokens_counted));
    // o200k counts: per message 3 + role (1) + content; a tool call adds name + args + 1.
    // Line 1: system 3+1+6 = 10, user 3+1+6 = 10, assistant 3+1+(2+6+1) = 13,
    //         tool 3+1+14 = 18, assistant 3+1+10 = 14; whole = 65 + 3 priming = 68.
    //         tools (cookbook, gpt-4o): 7 + "get_weather:Get current weather for a city" 8
    //         + prop_init 3 + [3 + "city:string:" 3] + [3 − 3 + (3+2) + (3+2) + "unit:string:" 3]
    //         + func_end 12 = 49.
    //   call 1: input 10 + 10 + 3 + 49 = 72,   output "get_weather" 2 + args 6 = 8
    //   call 2: input 10+10+13+18 + 3 + 49 = 103, output 10
    // Line 2: system 10, user 3+1+6 = 10, assistant 3+1+(2+6+1)+(2+9+1) = 25, tool 18,
    //         tool 3+1+9 = 13, assistant 3+1+16 = 20; whole = 96 + 3 = 99.
    //         tools: get_weather 37 + get_time (7 + 10 + 3 + [3 + 3]) 26 + 12 = 75.
    //   call 1: input 10 + 10 + 3 + 75 = 98,   output (2+6) + (2+9) = 19
    //   call 2: input 10+10+25+18+13 + 3 + 75 = 154, output 16
    // Line 3 (no tools): system 3+1+12 = 16, user 10, assistant 14, user 3+1+7 = 11,
    //         assistant 14; whole = 65 + 3 = 68.
    //   call 1: input 16 + 10 + 3 = 29, output 10
    //   call 2: input 16+10+14+11 + 3 = 54, output 10
    let io: Vec<(f64, f64)> = r
        .iter()
        .map(|r| (tokens(r).input, tokens(r).output))
        .collect();
    assert_eq!(
        io,
        vec![
            (72.0, 8.0),
            (103.0, 10.0),
            (98.0, 19.0),
            (154.0, 16.0),
            (29.0, 10.0),
            (54.0, 10.0)
        ]
    );
    let calls: Vec<(u32, Finish)> = r.iter().map(|r| (r.tool_calls, r.finish)).collect();
    assert_eq!(
        calls,
        vec![
            (1, Finish::ToolCalls),
            (0, Finish::Stop),
            (2, Finish::ToolCalls),
            (0, Finish::Stop),
            (0, Finish::Stop),
            (0, Finish::Stop)
        ]
    );
    let s = sessions(r);
    assert_eq!(s.len(), 3);
    // Line 1: one turn with one tool round; line 3: two user turns.
    assert_eq!((s[0].turns.len(), s[0].turns[0].tool_rounds), (1, 1));
    assert_eq!(s[2].turns.len(), 2);
}

#[test]
fn whitespace_tokenizer_is_deterministic_and_tau_bench_trajectories_read() {
    // tau-bench's JSON array of trajectories (`traj` message lists): 2,454 agent calls with
    // 1,164 tool calls (its README).
    let opts = IngestOptions {
        tokenizer: Tokenizer::Whitespace,
        ..IngestOptions::default()
    };
    let path = PathBuf::from(REAL).join("tau-bench-gpt4o-airline/gpt-4o-airline.json");
    let got = read_with(&[path], &opts);
    assert_eq!(got.files[0].format, Format::Messages);
    assert_eq!(got.records.len(), 2454);
    assert_eq!(
        got.records
            .iter()
            .map(|r| u64::from(r.tool_calls))
            .sum::<u64>(),
        1164
    );
    assert_eq!(sessions(&got.records).len(), 200);
}

// ---------------------------------------------------------------------------------------
// Langfuse and LangSmith
// ---------------------------------------------------------------------------------------

/// 210 × $2.50/M + 1024 × $1.25/M + 57 × $10/M = $0.002375 (the fixtures' logged cost).
fn fixture_cost(t: CallTokens) -> f64 {
    t.input * 2.5e-6 + t.cache_read * 1.25e-6 + t.output * 1e-5
}

#[test]
fn langfuse_generations_only_with_net_usage_details() {
    let got = read(&["langfuse_observations_export.json"]);
    assert_eq!(got.files[0].format, Format::Langfuse);
    let r = &got.records;
    // AGENT and TOOL observations are not calls.
    assert_eq!(r.len(), 2);
    // usageDetails input 210 is net of input_cached_tokens 1024.
    assert_eq!(tokens(&r[0]), tok(210.0, 1024.0, 0.0, 57.0, 0.0));
    assert!((fixture_cost(tokens(&r[0])) - 0.002375).abs() < 1e-12);
    assert_eq!(
        (r[0].tool_calls, r[0].finish, r[0].max_output_tokens),
        (1, Finish::ToolCalls, Some(1024))
    );
    assert_eq!(r[1].status, Status::Failed(FailureClass::RateLimit));
    assert_eq!(r[1].tokens, None);
}

#[test]
fn langsmith_llm_runs_only() {
    let got = read(&["langsmith_runs_export.jsonl"]);
    assert_eq!(got.files[0].format, Format::Langsmith);
    let r = &got.records;
    // The chain run's aggregated 1234/57 is not counted a second time.
    assert_eq!(r.len(), 2);
    assert_eq!(tokens(&r[0]), tok(210.0, 1024.0, 0.0, 57.0, 0.0));
    assert!((fixture_cost(tokens(&r[0])) - 0.002375).abs() < 1e-12);
    assert_eq!((r[0].tool_calls, r[0].finish), (1, Finish::ToolCalls));
    assert_eq!(r[0].model.as_deref(), Some("gpt-4o-2024-08-06"));
    assert_eq!(r[0].max_output_tokens, Some(1024));
    assert_eq!(r[1].status, Status::Failed(FailureClass::RateLimit));
    assert_eq!(
        r[1].session.as_deref(),
        Some("018f2a4c-0000-7000-8000-000000000001")
    );
}

#[test]
fn every_fixture_ingests_together() {
    let mut names: Vec<String> = std::fs::read_dir(FIXTURES)
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    names.sort();
    let paths: Vec<PathBuf> = names.iter().map(|n| fixture(n)).collect();
    let got = read_with(&paths, &IngestOptions::default());
    assert_eq!(got.bad_count, 0, "{:?}", got.bad);
    assert_eq!(got.files.len(), names.len());
    assert!(
        got.files
            .iter()
            .all(|f| f.sha256.len() == 64 && f.lines > 0)
    );
    assert!(got.sampled.is_none());
}

// ---------------------------------------------------------------------------------------
// Real data
// ---------------------------------------------------------------------------------------

#[test]
fn azure_traces_ingest_with_exact_totals() {
    let dir = PathBuf::from(REAL).join("azure-llm-2023");
    for (file, rows, input, output) in [
        (
            "AzureLLMInferenceTrace_code.csv",
            8_819,
            18_059_974.0,
            245_896.0,
        ),
        (
            "AzureLLMInferenceTrace_conv.csv",
            19_366,
            22_361_870.0,
            4_088_665.0,
        ),
    ] {
        let got = read_with(&[dir.join(file)], &IngestOptions::default());
        assert_eq!(got.files[0].format, Format::UsageCsv);
        assert_eq!(got.bad_count, 0, "{:?}", got.bad);
        assert_eq!(got.records.len(), rows);
        assert_eq!(got.files[0].lines, rows as u64 + 1, "header + rows");
        let t = totals(&got.records);
        assert_eq!((t.input, t.output), (input, output), "{file}");
        // 2023-11-16 18:17:03.9799600 (no zone) read as UTC.
        if file.contains("code") {
            let ts = got.records[0].timestamp.unwrap_or_default();
            assert!((ts - 1_700_158_623.979_96).abs() < 1e-6, "{ts}");
        }
    }
    // The same file through an explicit map.
    let opts = IngestOptions {
        map: Some(
            "input=ContextTokens,output=GeneratedTokens,time=TIMESTAMP"
                .parse()
                .unwrap_or_default(),
        ),
        ..IngestOptions::default()
    };
    let got = read_with(&[dir.join("AzureLLMInferenceTrace_code.csv")], &opts);
    assert_eq!(totals(&got.records).input, 18_059_974.0);
}

#[test]
fn mooncake_trace_ingests_with_exact_totals() {
    let path = PathBuf::from(REAL).join("mooncake-fast25-conversation/conversation_trace.jsonl");
    let got = read_with(&[path], &IngestOptions::default());
    assert_eq!(got.files[0].format, Format::UsageJsonl);
    assert_eq!(got.bad_count, 0);
    assert_eq!(got.records.len(), 12_031);
    let t = totals(&got.records);
    assert_eq!((t.input, t.output), (144_793_823.0, 4_122_048.0));
    // Arrival times are milliseconds from trace start: the last is 3,536,999 ms.
    let last = got
        .records
        .iter()
        .filter_map(|r| r.timestamp)
        .fold(0.0, f64::max);
    assert!((last - 3_536.999).abs() < 1e-9, "{last}");
}

#[test]
fn tau2_calls_group_by_sim_id_with_agent_tool_share() {
    let path = PathBuf::from(REAL).join("tau2-bench-traces/calls.csv");
    // Recognised column names: sim_id, caller, n_tool_calls, turn_idx, …
    let got = read_with(std::slice::from_ref(&path), &IngestOptions::default());
    assert_eq!(got.bad_count, 0, "{:?}", got.bad);
    let r = &got.records;
    assert_eq!(r.len(), 6_900);
    let agent: Vec<&CallRecord> = r
        .iter()
        .filter(|r| r.caller.as_deref() == Some("agent"))
        .collect();
    assert_eq!(agent.len(), 4_329);
    let with_tools = agent.iter().filter(|r| r.tool_calls >= 1).count();
    // 2,719 of 4,329 = 62.8%.
    assert_eq!(
        format!("{:.1}", 100.0 * with_tools as f64 / agent.len() as f64),
        "62.8"
    );
    assert_eq!(
        agent
            .iter()
            .map(|r| r.tokens.map_or(0.0, |t| t.total_input()))
            .sum::<f64>(),
        32_544_669.0
    );
    // 22 format errors: billed, rejected output.
    let rejected = r
        .iter()
        .filter(|r| r.status == Status::Failed(FailureClass::InvalidOutput))
        .count();
    assert_eq!(rejected, 22);
    assert_eq!(sessions(r).len(), 280);

    // 1,886 agent calls read from the cache (`implied_cached_tokens`).
    let hits = |rs: &[CallRecord]| {
        rs.iter()
            .filter(|r| r.caller.as_deref() == Some("agent"))
            .filter(|r| r.tokens.is_some_and(|t| t.cache_read > 0.0))
            .count()
    };
    assert_eq!(hits(r), 1_886);

    // The map `billcast fit --help` shows for this file names five keys; the others (cached,
    // turn, time, status, finish, model) are still recognised, so the records are the same,
    // cache hits, format errors and call order included.
    let map: ColumnMap =
        "input=prompt_tokens,output=completion_tokens,session=sim_id,tool_calls=n_tool_calls,caller=caller"
            .parse()
            .unwrap_or_default();
    let mapped = read_with(
        &[path],
        &IngestOptions {
            map: Some(map),
            ..IngestOptions::default()
        },
    );
    assert_eq!(hits(&mapped.records), 1_886);
    assert_eq!(mapped.records, got.records);
}

#[test]
fn usage_convention_reads_input_that_excludes_cached_tokens() {
    // Anthropic-style numbers in a usage log: input_tokens leaves the cache reads out.
    let csv = "session_id,input_tokens,cache_read_input_tokens,output_tokens\n\
               a,20,3000,50\n\
               a,35,3100,40\n";
    let (_dir, path) = temp_file("anthropic_usage.csv", csv.as_bytes());
    // Read as OpenAI-style totals, the cache reads exceed the input: bad lines whose reason
    // names the flag.
    let got = read_with(std::slice::from_ref(&path), &IngestOptions::default());
    assert_eq!((got.records.len(), got.bad_count), (0, 2));
    assert!(
        got.bad[0]
            .reason
            .contains("--usage-convention input_excludes_cached"),
        "{}",
        got.bad[0].reason
    );
    let got = read_with(
        &[path],
        &IngestOptions {
            usage_convention: Some(UsageConvention::InputExcludesCached),
            ..IngestOptions::default()
        },
    );
    assert_eq!(got.bad_count, 0);
    assert_eq!(tokens(&got.records[0]), tok(20.0, 3000.0, 0.0, 50.0, 0.0));
    assert_eq!(tokens(&got.records[1]).total_input(), 3_135.0);
    // A provider format follows the flag too (an Anthropic body read as OpenAI-style).
    let body = br#"{"type":"message","content":[],"stop_reason":"end_turn","usage":{"input_tokens":4000,"cache_read_input_tokens":3000,"output_tokens":9}}"#;
    let forced = billcast::ingest::ingest_bytes(
        "m.json",
        body,
        &IngestOptions {
            usage_convention: Some(UsageConvention::InputIncludesCached),
            ..IngestOptions::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        tokens(&forced.records[0]),
        tok(1000.0, 3000.0, 0.0, 9.0, 0.0)
    );
}

#[test]
fn reservoir_keeps_a_seeded_sample_of_requests_beyond_max_records() {
    let path = PathBuf::from(REAL).join("azure-llm-2023/AzureLLMInferenceTrace_code.csv");
    let opts = IngestOptions {
        max_records: 1_000,
        seed: 42,
        ..IngestOptions::default()
    };
    let a = read_with(std::slice::from_ref(&path), &opts);
    assert_eq!(a.records.len(), 1_000);
    let s = a.sampled.unwrap_or_else(|| panic!("sample not reported"));
    // No session ids: every request is a session of its own, so 1,000 are kept.
    assert_eq!(
        (s.cap, s.seen, s.kept, s.sessions),
        (1_000, 8_819, 1_000, 1_000)
    );
    assert_eq!(a.files[0].records, 8_819);
    assert!(
        a.records.windows(2).all(|w| w[0].line < w[1].line),
        "kept in reading order"
    );
    // Mean input of the sample is near the file's 2,047.8.
    let mean = totals(&a.records).input / 1_000.0;
    assert!((mean - 2_047.8).abs() < 200.0, "{mean}");
    let b = read_with(&[path], &opts);
    assert_eq!(a.records, b.records, "same seed, same sample");
}

/// A usage log of `n` sessions × 5 calls, the sessions interleaved as in a live log (call k
/// of every session, then call k + 1 of every session).
fn five_call_sessions(n: usize) -> String {
    let mut csv = String::from("session_id,turn_idx,prompt_tokens,completion_tokens\n");
    for turn in 1..=5 {
        for s in 0..n {
            csv.push_str(&format!("s{s},{turn},{},{}\n", 1000 * turn + s, 50 + s % 7));
        }
    }
    csv
}

#[test]
fn max_records_keeps_whole_sessions() {
    // 2,000 sessions × 5 calls = 10,000 records with a bound of 1,003: the sample is 200
    // whole sessions (1,000 records), each with its 5 calls.
    let (_dir, path) = temp_file("sessions.csv", five_call_sessions(2_000).as_bytes());
    let run = |seed| {
        let got = read_with(
            std::slice::from_ref(&path),
            &IngestOptions {
                max_records: 1_003,
                seed,
                ..IngestOptions::default()
            },
        );
        let s = got.sampled.unwrap_or_else(|| panic!("sample not reported"));
        assert_eq!(
            (s.seen, s.kept, s.sessions, s.oversized),
            (10_000, 1_000, 200, 0)
        );
        let grouped = sessions(&got.records);
        assert_eq!(grouped.len(), 200);
        assert!(grouped.iter().all(|g| g.calls() == 5));
        let mut ids: Vec<String> = grouped.into_iter().map(|g| g.id).collect();
        ids.sort();
        ids
    };
    assert_eq!(run(9), run(9), "same seed, same sessions");
    assert_ne!(run(9), run(10));
}

// ---------------------------------------------------------------------------------------
// Bad input
// ---------------------------------------------------------------------------------------

const GOOD_LINE: &str = r#"{"object":"chat.completion","model":"m","choices":[{"finish_reason":"stop","message":{"content":"hi"}}],"usage":{"prompt_tokens":5,"completion_tokens":2}}"#;

#[test]
fn truncated_and_wrongly_typed_lines_are_counted_with_line_numbers() {
    let text = format!(
        "{GOOD_LINE}\n{}\n{}\n\n{GOOD_LINE}\n",
        &GOOD_LINE[..60],
        GOOD_LINE.replace("\"prompt_tokens\":5", "\"prompt_tokens\":\"five\"")
    );
    let (_d, path) = temp_file("chat.jsonl", text.as_bytes());
    let got = read_with(std::slice::from_ref(&path), &IngestOptions::default());
    assert_eq!(got.records.len(), 2);
    assert_eq!((got.records[0].line, got.records[1].line), (1, 5));
    assert_eq!(got.bad_count, 2);
    assert_eq!(got.files[0].bad_lines, 2);
    assert_eq!((got.bad[0].line, got.bad[1].line), (2, 3));
    assert!(
        got.bad[0].reason.starts_with("truncated JSON"),
        "{}",
        got.bad[0].reason
    );
    assert!(
        got.bad[1].reason.contains("invalid type"),
        "{}",
        got.bad[1].reason
    );
    assert_eq!(got.bad[0].file, path);

    // Strict: the first bad line is an error naming file and line.
    let err = ingest(
        &[path],
        &IngestOptions {
            strict: true,
            ..IngestOptions::default()
        },
        &|_| {},
    )
    .err();
    match err {
        Some(e @ IngestError::Strict { line: 2, .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("chat.jsonl' line 2: truncated JSON"), "{msg}");
            assert!(!msg.contains('\n'));
        }
        other => panic!("expected a strict error at line 2, got {other:?}"),
    }
}

#[test]
fn a_broken_first_line_does_not_hide_the_format() {
    let text = format!("{}\n{GOOD_LINE}\n", &GOOD_LINE[..30]);
    let (_d, path) = temp_file("chat.jsonl", text.as_bytes());
    let got = read_with(&[path], &IngestOptions::default());
    assert_eq!(
        (got.files[0].format, got.records.len(), got.bad_count),
        (Format::OpenaiChat, 1, 1)
    );
}

#[test]
fn only_the_first_twenty_bad_lines_are_kept_but_all_are_counted() {
    let text = "{\"choices\": [\n".repeat(30) + GOOD_LINE + "\n";
    let (_d, path) = temp_file("chat.jsonl", text.as_bytes());
    let got = read_with(
        &[path],
        &IngestOptions {
            format: Some(Format::OpenaiChat),
            ..IngestOptions::default()
        },
    );
    assert_eq!(
        (got.bad_count, got.bad.len(), got.records.len()),
        (30, 20, 1)
    );
}

#[test]
fn empty_files_are_errors() {
    for content in [&b""[..], b"\n  \n"] {
        let (_d, path) = temp_file("empty.jsonl", content);
        match ingest(&[path], &IngestOptions::default(), &|_| {}) {
            Err(e @ IngestError::Empty { .. }) => {
                assert!(e.to_string().contains("empty.jsonl' is empty"))
            }
            other => panic!("expected Empty, got {other:?}"),
        }
    }
    assert!(matches!(
        ingest(&[], &IngestOptions::default(), &|_| {}),
        Err(IngestError::NoInput)
    ));
}

#[test]
fn unknown_formats_are_errors_that_list_the_formats() {
    let e = "openai"
        .parse::<Format>()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.contains("unknown input format 'openai'") && e.contains("openai_chat"),
        "{e}"
    );

    let (_d, path) = temp_file("odd.jsonl", b"{\"hello\": \"world\"}\n");
    match ingest(&[path], &IngestOptions::default(), &|_| {}) {
        Err(e @ IngestError::Undetectable { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("keys: hello"), "{msg}");
            assert!(
                msg.contains("--input-format")
                    && msg.contains("usage_jsonl")
                    && msg.contains("--map"),
                "{msg}"
            );
        }
        other => panic!("expected Undetectable, got {other:?}"),
    }
}

#[test]
fn binary_garbage_is_undetectable_or_counted() {
    let garbage: Vec<u8> = (0u32..4096)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let (_d, path) = temp_file("garbage.bin", &garbage);
    match ingest(&[path], &IngestOptions::default(), &|_| {}) {
        Err(e @ IngestError::Undetectable { .. }) => {
            assert!(e.to_string().contains("binary"), "{e}")
        }
        other => panic!("expected Undetectable, got {other:?}"),
    }
    // Garbage between good lines is a counted bad line.
    let mut text = format!("{GOOD_LINE}\n").into_bytes();
    text.extend_from_slice(
        &garbage[..200]
            .iter()
            .map(|b| if *b == b'\n' { 0 } else { *b })
            .collect::<Vec<_>>(),
    );
    text.extend_from_slice(format!("\n{GOOD_LINE}\n").as_bytes());
    let (_d2, path) = temp_file("mixed.jsonl", &text);
    let got = read_with(&[path], &IngestOptions::default());
    assert_eq!(
        (got.records.len(), got.bad_count, got.bad[0].line),
        (2, 1, 2)
    );
}

#[test]
fn a_map_to_a_missing_column_names_it_and_lists_the_header() {
    let path = PathBuf::from(REAL).join("azure-llm-2023/AzureLLMInferenceTrace_code.csv");
    let map: ColumnMap = "input=ContextTokens,output=OutputTokens"
        .parse()
        .unwrap_or_default();
    match ingest(
        &[path],
        &IngestOptions {
            map: Some(map),
            ..IngestOptions::default()
        },
        &|_| {},
    ) {
        Err(e @ IngestError::MissingColumn { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("--map output=OutputTokens"), "{msg}");
            assert!(
                msg.contains("TIMESTAMP, ContextTokens, GeneratedTokens"),
                "{msg}"
            );
        }
        other => panic!("expected MissingColumn, got {other:?}"),
    }
    // JSONL usage logs name the keys of the first object.
    let path = PathBuf::from(REAL).join("mooncake-fast25-conversation/conversation_trace.jsonl");
    let map: ColumnMap = "input=prompt_tokens".parse().unwrap_or_default();
    let err = ingest(
        &[path],
        &IngestOptions {
            map: Some(map),
            ..IngestOptions::default()
        },
        &|_| {},
    )
    .err();
    let msg = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        msg.contains("input=prompt_tokens") && msg.contains("input_length"),
        "{msg}"
    );
}

#[test]
fn csv_rows_with_bad_numbers_are_counted() {
    let (_d, path) = temp_file(
        "u.csv",
        b"prompt_tokens,completion_tokens\n10,2\nx,3\n-1,2\n7\n5,1\n",
    );
    let got = read_with(&[path], &IngestOptions::default());
    assert_eq!(got.records.len(), 2);
    let lines: Vec<u64> = got.bad.iter().map(|b| b.line).collect();
    assert_eq!(lines, vec![3, 4, 5]);
    assert!(
        got.bad[0].reason.contains("'x' is not a number"),
        "{}",
        got.bad[0].reason
    );
    assert!(
        got.bad[2].reason.contains("completion_tokens' is empty"),
        "{}",
        got.bad[2].reason
    );
}

#[test]
fn progress_reports_bytes_read() {
    use std::sync::atomic::{AtomicU64, Ordering};
    let last = AtomicU64::new(0);
    let paths = [
        fixture("openai_chat_completion_response.json"),
        fixture("anthropic_messages_response.json"),
    ];
    let got = ingest(&paths, &IngestOptions::default(), &|b| {
        last.store(b, Ordering::Relaxed)
    });
    assert!(got.is_ok());
    let size: u64 = paths
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    assert_eq!(last.load(Ordering::Relaxed), size);
}

#[test]
fn in_memory_input_reads_like_a_file() {
    let bytes =
        std::fs::read(fixture("openai_chat_request_response_log.jsonl")).unwrap_or_default();
    let got = billcast::ingest::ingest_bytes("stdin", &bytes, &IngestOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((got.records.len(), got.files[0].lines), (4, 4));
    assert_eq!(got.files[0].path, PathBuf::from("stdin"));
    // A pretty-printed document is re-read from the start.
    let bytes = std::fs::read(fixture("otel_genai_spans_otlp.json")).unwrap_or_default();
    let got = billcast::ingest::ingest_bytes("stdin", &bytes, &IngestOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got.records.len(), 4);
}
