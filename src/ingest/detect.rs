//! Format detection from a file's first parsable record.
//!
//! The shape (JSONL, one JSON document, CSV) is decided by the reader in `mod.rs` from the
//! first line; this file decides which JSON format a record is, from the keys that are
//! unique to each (transcript-formats.md §2–§9). Checks go from the most specific marker to
//! the most generic, so a record that could match two formats gets the stricter one.

use serde_json::{Map, Value};

use super::record::Format;

/// The format of a JSON record (for an array, of its first element), or `None`.
pub fn detect_value(v: &Value) -> Option<Format> {
    let o = match v {
        Value::Object(o) => o,
        Value::Array(a) => return a.first().and_then(detect_value),
        _ => return None,
    };
    let has = |k: &str| o.contains_key(k);
    let str_of = |k: &str| o.get(k).and_then(Value::as_str);

    if has("resourceSpans") || has("resource_spans") || (has("traceId") && has("spanId")) {
        return Some(Format::Otel);
    }
    if let Some(Value::Array(data)) = o.get("data")
        && data
            .first()
            .and_then(Value::as_object)
            .is_some_and(is_langfuse_observation)
    {
        return Some(Format::Langfuse);
    }
    if is_langfuse_observation(o) {
        return Some(Format::Langfuse);
    }
    if has("custom_id") {
        return Some(if has("result") {
            Format::AnthropicBatch
        } else {
            Format::OpenaiBatch
        });
    }
    if has("request")
        && (has("response") || has("error") || has("http_status") || has("status_code"))
    {
        return Some(Format::OpenaiLog);
    }
    if has("run_type") {
        return Some(Format::Langsmith);
    }
    match str_of("object") {
        Some("chat.completion" | "chat.completion.chunk") => return Some(Format::OpenaiChat),
        Some("response") => return Some(Format::OpenaiResponses),
        _ => {}
    }
    match str_of("type") {
        Some("message") if o.get("content").is_some_and(Value::is_array) => {
            return Some(Format::Anthropic);
        }
        Some("error") if o.get("error").and_then(|e| e.get("type")).is_some() => {
            return Some(Format::Anthropic);
        }
        _ => {}
    }
    if [
        "candidates",
        "usageMetadata",
        "usage_metadata",
        "promptFeedback",
        "prompt_feedback",
        "modelVersion",
    ]
    .iter()
    .any(|k| has(k))
    {
        return Some(Format::Gemini);
    }
    if let Some(Value::Object(err)) = o.get("error") {
        // Google errors: {"code": 429, "status": "RESOURCE_EXHAUSTED"}; OpenAI: {"type", "code": "…"}.
        let google = err.get("status").is_some_and(Value::is_string)
            && err.get("code").is_some_and(Value::is_number);
        return Some(if google {
            Format::Gemini
        } else {
            Format::OpenaiChat
        });
    }
    if has("choices") {
        return Some(Format::OpenaiChat);
    }
    if o.get("output").is_some_and(Value::is_array) && has("usage") {
        return Some(Format::OpenaiResponses);
    }
    if has("content") && has("stop_reason") {
        return Some(Format::Anthropic);
    }
    if o.get("messages")
        .or_else(|| o.get("traj"))
        .is_some_and(Value::is_array)
    {
        return Some(Format::Messages);
    }
    if is_flat_with_numbers(o) {
        return Some(Format::UsageJsonl);
    }
    None
}

/// A Langfuse observation: `traceId`, a known `type`, and `usageDetails` or `startTime`.
pub(crate) fn is_langfuse_observation(o: &Map<String, Value>) -> bool {
    const TYPES: [&str; 10] = [
        "SPAN",
        "GENERATION",
        "EVENT",
        "AGENT",
        "TOOL",
        "CHAIN",
        "RETRIEVER",
        "EVALUATOR",
        "EMBEDDING",
        "GUARDRAIL",
    ];
    o.contains_key("traceId")
        && o.get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| TYPES.contains(&t))
        && (o.contains_key("usageDetails") || o.contains_key("startTime"))
}

/// A flat object (scalars and arrays of scalars) with at least one number: a usage-log row.
fn is_flat_with_numbers(o: &Map<String, Value>) -> bool {
    let flat = o.values().all(|v| match v {
        Value::Object(_) => false,
        Value::Array(a) => a.iter().all(|x| !x.is_object() && !x.is_array()),
        _ => true,
    });
    flat && o.values().any(Value::is_number)
}

/// A short description of a record for error messages: its first keys.
pub fn describe(v: &Value) -> String {
    match v {
        Value::Object(o) => {
            let keys: Vec<&str> = o.keys().take(8).map(String::as_str).collect();
            let more = if o.len() > 8 { ", …" } else { "" };
            format!("keys: {}{more}", keys.join(", "))
        }
        Value::Array(_) => "an array".into(),
        _ => "not an object".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect_file(name: &str) -> Option<Format> {
        let path = format!(
            "{}/data/fixtures/transcripts/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(path).ok()?;
        let v = serde_json::from_str::<Value>(&text).ok().or_else(|| {
            text.lines()
                .next()
                .and_then(|l| serde_json::from_str(l).ok())
        })?;
        detect_value(&v)
    }

    #[test]
    fn every_fixture_is_detected() {
        let cases = [
            ("openai_chat_completion_response.json", Format::OpenaiChat),
            ("openai_chat_request_response_log.jsonl", Format::OpenaiLog),
            (
                "openai_responses_api_response.json",
                Format::OpenaiResponses,
            ),
            (
                "openai_responses_api_incomplete.json",
                Format::OpenaiResponses,
            ),
            ("openai_batch_input.jsonl", Format::OpenaiBatch),
            ("openai_batch_output.jsonl", Format::OpenaiBatch),
            ("openai_batch_error_file.jsonl", Format::OpenaiBatch),
            ("anthropic_messages_response.json", Format::Anthropic),
            ("anthropic_error_overloaded_529.json", Format::Anthropic),
            ("anthropic_error_rate_limit_429.json", Format::Anthropic),
            (
                "anthropic_message_batch_results.jsonl",
                Format::AnthropicBatch,
            ),
            ("gemini_generate_content_response.json", Format::Gemini),
            ("gemini_error_503_unavailable.json", Format::Gemini),
            ("gemini_error_429_resource_exhausted.json", Format::Gemini),
            ("otel_genai_spans_otlp.json", Format::Otel),
            ("otel_genai_spans_legacy.jsonl", Format::Otel),
            ("openai_finetune_chat.jsonl", Format::Messages),
            ("langfuse_observations_export.json", Format::Langfuse),
            ("langsmith_runs_export.jsonl", Format::Langsmith),
        ];
        for (name, want) in cases {
            assert_eq!(detect_file(name), Some(want), "{name}");
        }
    }

    #[test]
    fn flat_numeric_rows_are_usage_logs() {
        let v: Value = serde_json::json!({"timestamp": 0, "input_length": 1, "output_length": 2, "hash_ids": [1, 2]});
        assert_eq!(detect_value(&v), Some(Format::UsageJsonl));
        assert_eq!(detect_value(&serde_json::json!({"a": "b"})), None);
        assert_eq!(detect_value(&serde_json::json!(3)), None);
    }
}
