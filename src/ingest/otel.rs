//! OpenTelemetry GenAI spans (transcript-formats.md §7): an OTLP/JSON
//! `ExportTraceServiceRequest` document, the collector file exporter's one request per
//! line, or one span per line.
//!
//! - Only leaf inference spans (`gen_ai.operation.name` `chat`, `generate_content`,
//!   `text_completion`; legacy spans without the name but with GenAI usage) become records:
//!   `invoke_agent` / workflow parents may carry aggregated usage and would double count.
//! - `execute_tool` spans count as tool calls of the latest earlier successful inference
//!   span of their trace (joined after all files are read), unless the inference span
//!   reports its own tool calls in `gen_ai.output.messages`.
//! - Attribute names of every semconv version are accepted: v1.26 `gen_ai.usage.prompt_tokens`
//!   / `completion_tokens` and `gen_ai.system`, v1.27+ `input_tokens` / `output_tokens`,
//!   v1.37+ `gen_ai.provider.name`, v1.40 cache and v1.41 reasoning counts, plus
//!   OpenLLMetry's `gen_ai.usage.cache_read_input_tokens` and OpenInference
//!   `llm.token_count.*`.
//! - Ids may be hex or base64 (normalised to lowercase hex); int64 values may be JSON
//!   strings or numbers.
//! - The session is `gen_ai.conversation.id` (from any span of the trace, usually the
//!   `invoke_agent` parent), else the trace id.
//!
//! Usage convention: semconv v1.40 says input includes cached tokens; an input smaller than
//! its cache counts can only mean the older "beside" reporting, and so does OpenLLMetry's
//! Anthropic spelling, so those are read with the Anthropic convention. Likewise reasoning
//! larger than output means reasoning was reported beside output.

use serde::Deserialize;
use serde_json::Value;

use super::json::{self, Item};
use super::record::{CallRecord, FailureClass, Finish, Format, Status};
use super::sink::Aux;
use super::{Cx, Fail, Parser};
use crate::usage::{UsageConvention, split_reported};

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Request {
    #[serde(default, alias = "resource_spans")]
    resource_spans: Vec<ResourceSpans>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ResourceSpans {
    #[serde(default, alias = "scope_spans", alias = "instrumentationLibrarySpans")]
    scope_spans: Vec<ScopeSpans>,
}

#[derive(Deserialize, Default)]
struct ScopeSpans {
    #[serde(default)]
    spans: Vec<Span>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Span {
    #[serde(default, alias = "trace_id")]
    trace_id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(
        default,
        alias = "start_time_unix_nano",
        deserialize_with = "json::de_lenient_u64"
    )]
    start_time_unix_nano: Option<u64>,
    #[serde(default)]
    attributes: Vec<KeyValue>,
    #[serde(default)]
    status: Option<SpanStatus>,
}

#[derive(Deserialize, Default)]
struct KeyValue {
    key: String,
    #[serde(default)]
    value: Option<AnyValue>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct AnyValue {
    #[serde(default, alias = "string_value")]
    string_value: Option<String>,
    #[serde(default, alias = "int_value")]
    int_value: Option<Value>,
    #[serde(default, alias = "double_value")]
    double_value: Option<f64>,
    #[serde(default, alias = "array_value")]
    array_value: Option<ArrayValue>,
}

#[derive(Deserialize, Default)]
struct ArrayValue {
    #[serde(default)]
    values: Vec<AnyValue>,
}

#[derive(Deserialize, Default)]
struct SpanStatus {
    /// 2 = ERROR; some exporters write `"STATUS_CODE_ERROR"`.
    #[serde(default)]
    code: Option<Value>,
    #[serde(default)]
    message: Option<String>,
}

impl AnyValue {
    fn as_str(&self) -> Option<&str> {
        self.string_value.as_deref()
    }

    fn as_u64(&self) -> Option<u64> {
        if let Some(v) = &self.int_value {
            return json::lenient_u64(v);
        }
        if let Some(d) = self.double_value.filter(|d| d.is_finite() && *d >= 0.0) {
            return Some(d as u64);
        }
        self.string_value
            .as_deref()
            .and_then(|s| s.trim().parse().ok())
    }
}

/// Attributes of one span.
struct Attrs<'a>(&'a [KeyValue]);

impl Attrs<'_> {
    fn get(&self, keys: &[&str]) -> Option<&AnyValue> {
        keys.iter().find_map(|k| {
            self.0
                .iter()
                .find(|kv| kv.key == *k)
                .and_then(|kv| kv.value.as_ref())
        })
    }
    fn str(&self, keys: &[&str]) -> Option<&str> {
        self.get(keys).and_then(AnyValue::as_str)
    }
    fn u64(&self, keys: &[&str]) -> Option<u64> {
        self.get(keys).and_then(AnyValue::as_u64)
    }
    fn first_of_array(&self, key: &str) -> Option<&str> {
        let v = self.get(&[key])?;
        match &v.array_value {
            Some(a) => a.values.first().and_then(AnyValue::as_str),
            None => v.as_str(),
        }
    }
}

const INPUT: &[&str] = &[
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.prompt_tokens",
    "llm.token_count.prompt",
];
const OUTPUT: &[&str] = &[
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.completion_tokens",
    "llm.token_count.completion",
];
const CACHE_READ_SEMCONV: &str = "gen_ai.usage.cache_read.input_tokens";
const CACHE_READ_OPENLLMETRY: &str = "gen_ai.usage.cache_read_input_tokens";
const CACHE_WRITE: &[&str] = &[
    "gen_ai.usage.cache_creation.input_tokens",
    "gen_ai.usage.cache_creation_input_tokens",
];
const REASONING: &[&str] = &["gen_ai.usage.reasoning.output_tokens"];

/// Lowercase hex of an id sent as hex or base64.
fn normalise_id(id: &str) -> String {
    let id = id.trim();
    if !id.is_empty() && id.len().is_multiple_of(2) && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return id.to_ascii_lowercase();
    }
    match base64_decode(id) {
        Some(bytes) if !bytes.is_empty() => bytes.iter().map(|b| format!("{b:02x}")).collect(),
        _ => id.to_string(),
    }
}

/// Standard or URL-safe base64, padding optional.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for c in s.bytes().filter(|&c| c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn nanos_to_secs(n: u64) -> f64 {
    (n / 1_000_000_000) as f64 + (n % 1_000_000_000) as f64 * 1e-9
}

/// Tool calls in `gen_ai.output.messages` (a JSON string of messages with typed parts).
fn output_tool_calls(attrs: &Attrs<'_>) -> Option<u32> {
    let text = attrs.str(&["gen_ai.output.messages"])?;
    let msgs: Value = serde_json::from_str(text).ok()?;
    let n = msgs
        .as_array()?
        .iter()
        .filter_map(|m| m.get("parts").and_then(Value::as_array))
        .flatten()
        .filter(|p| p.get("type").and_then(Value::as_str) == Some("tool_call"))
        .count();
    Some(u32::try_from(n).unwrap_or(u32::MAX))
}

fn span(s: &Span, cx: &mut Cx<'_>) -> Result<(), String> {
    let attrs = Attrs(&s.attributes);
    let trace = s
        .trace_id
        .as_deref()
        .map(normalise_id)
        .filter(|t| !t.is_empty());
    let start = s.start_time_unix_nano.map(nanos_to_secs);
    let op = attrs.str(&["gen_ai.operation.name"]);
    let name = s.name.as_deref().unwrap_or("");
    let conversation = attrs.str(&["gen_ai.conversation.id"]).map(str::to_string);
    if let (Some(t), Some(c)) = (&trace, &conversation) {
        cx.joins().trace_conversation.insert(t.clone(), c.clone());
    }
    let inference = match op {
        Some("chat" | "generate_content" | "text_completion") => true,
        Some("execute_tool") => {
            if let (Some(t), Some(ts)) = (&trace, start) {
                cx.joins().tool_events.push((t.clone(), ts));
            }
            return Ok(());
        }
        Some(_) => false,
        // Before v1.27 the operation was not an attribute: a GenAI span with usage or a
        // provider is an inference span unless its name says otherwise.
        None => {
            if name.starts_with("execute_tool") {
                if let (Some(t), Some(ts)) = (&trace, start) {
                    cx.joins().tool_events.push((t.clone(), ts));
                }
                return Ok(());
            }
            let genai = attrs.get(INPUT).is_some()
                || attrs.get(OUTPUT).is_some()
                || attrs
                    .get(&["gen_ai.system", "gen_ai.provider.name"])
                    .is_some();
            genai && !name.starts_with("invoke_agent") && !name.starts_with("create_agent")
        }
    };
    if !inference {
        return Ok(());
    }

    let mut r = CallRecord::new(Format::Otel);
    r.timestamp = start;
    r.model = attrs
        .str(&["gen_ai.response.model", "gen_ai.request.model"])
        .map(str::to_string);
    r.max_output_tokens = attrs.u64(&["gen_ai.request.max_tokens"]);
    let finish = attrs.first_of_array("gen_ai.response.finish_reasons");
    let own_tools = output_tool_calls(&attrs);
    r.tool_calls = own_tools.unwrap_or(0);
    r.finish = super::openai_chat::finish_with_tools(finish, r.tool_calls);

    let error_code = s
        .status
        .as_ref()
        .and_then(|st| st.code.as_ref())
        .is_some_and(|c| match c {
            Value::Number(n) => n.as_u64() == Some(2),
            Value::String(t) => t.to_ascii_uppercase().contains("ERROR"),
            _ => false,
        });
    let error_type = attrs.str(&["error.type"]);
    if error_code || error_type.is_some() {
        let message = s.status.as_ref().and_then(|st| st.message.as_deref());
        r.status = Status::Failed(FailureClass::classify(
            None,
            &[error_type, message],
            FailureClass::Server,
        ));
        r.finish = Finish::Other;
    }

    let input = attrs.u64(INPUT);
    let output = attrs.u64(OUTPUT);
    if input.is_some() || output.is_some() {
        let input = input.unwrap_or(0) as f64;
        let output = output.unwrap_or(0) as f64;
        let semconv_read = attrs.u64(&[CACHE_READ_SEMCONV]);
        let openllmetry_read = attrs.u64(&[CACHE_READ_OPENLLMETRY]);
        let cache_read = semconv_read.or(openllmetry_read).unwrap_or(0) as f64;
        let cache_write = attrs.u64(CACHE_WRITE).unwrap_or(0) as f64;
        let reasoning = attrs.u64(REASONING).unwrap_or(0) as f64;
        let provider = attrs
            .str(&["gen_ai.provider.name", "gen_ai.system"])
            .unwrap_or("");
        let beside = cache_read + cache_write > input
            || (semconv_read.is_none()
                && openllmetry_read.is_some()
                && provider.contains("anthropic"));
        let convention = match cx.opts.usage_convention {
            Some(forced) => forced,
            None if beside => UsageConvention::InputExcludesCached,
            None => UsageConvention::InputIncludesCached,
        };
        let output_incl = if reasoning > output {
            output + reasoning
        } else {
            output
        };
        let tokens = split_reported(
            input,
            cache_read,
            cache_write,
            output_incl,
            reasoning,
            convention,
        )
        .map_err(|e| format!("span '{name}': usage does not add up: {e}"))?;
        r.tokens = Some(tokens);
    }

    let aux = Aux {
        trace: trace.clone(),
        wants_tools: own_tools.is_none(),
        finish_known: finish.is_some(),
        session_from_trace: conversation.is_none(),
    };
    r.session = conversation.or(trace);
    cx.emit_aux(r, aux);
    Ok(())
}

pub(crate) struct OtelParser;

impl Parser for OtelParser {
    fn item(&mut self, item: Item<'_>, cx: &mut Cx<'_>) -> Result<(), Fail> {
        let v: Value = match item {
            Item::Bytes(b) => serde_json::from_slice(b).map_err(|e| json::reason(&e))?,
            Item::Value(v) => v,
        };
        // One span per line (traceId + spanId at the top) or a whole export request.
        let spans: Vec<Span> = if v.get("traceId").is_some() || v.get("trace_id").is_some() {
            vec![Span::deserialize(v).map_err(|e| json::reason(&e))?]
        } else {
            let req = Request::deserialize(v).map_err(|e| json::reason(&e))?;
            req.resource_spans
                .into_iter()
                .flat_map(|rs| rs.scope_spans)
                .flat_map(|ss| ss.spans)
                .collect()
        };
        for s in &spans {
            span(s, cx)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_hex_or_base64() {
        assert_eq!(
            normalise_id("5B8EFFF798038103D269B633813FC60C"),
            "5b8efff798038103d269b633813fc60c"
        );
        // base64 of the 16 bytes above.
        assert_eq!(
            normalise_id("W47/95gDgQPSabYzgT/GDA=="),
            "5b8efff798038103d269b633813fc60c"
        );
    }
}
