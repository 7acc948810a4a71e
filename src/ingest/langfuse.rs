//! Langfuse observations (transcript-formats.md §9): the `GET /api/public/observations`
//! export `{data: [Observation…], meta}` or one observation per line.
//!
//! Only `GENERATION` observations are calls (trace and agent totals would double count).
//! `usageDetails` is a `{key: int}` map whose `input` is **net** of every `input_*` detail
//! key and whose `output` is net of every `output_*` key: cache-read keys become cache
//! reads, cache-creation keys cache writes, reasoning keys reasoning, and other detail keys
//! (modalities, audio) are added back to input or output. `TOOL` observations count as tool
//! calls of the latest earlier generation of their trace when the generation's own output
//! does not list its tool calls. `level: ERROR` marks a failed attempt.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::json::{self, Item};
use super::record::{CallRecord, FailureClass, Finish, Format, Status};
use super::sink::Aux;
use super::{Cx, Fail, Parser};
use crate::usage::{CallTokens, UsageConvention, split_reported};

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Observation {
    #[serde(default)]
    trace_id: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    start_time: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    model_parameters: Option<Value>,
    #[serde(default)]
    level: Option<String>,
    #[serde(default)]
    status_message: Option<String>,
    #[serde(default)]
    usage_details: Option<BTreeMap<String, Value>>,
    /// Deprecated `{input, output, total, unit}`.
    #[serde(default)]
    usage: Option<LegacyUsage>,
    #[serde(default)]
    output: Option<Value>,
}

#[derive(Deserialize, Default)]
struct LegacyUsage {
    #[serde(default)]
    input: Option<f64>,
    #[serde(default)]
    output: Option<f64>,
}

/// Tokens from a `usageDetails` map (input and output net of their detail keys).
fn usage_details(d: &BTreeMap<String, Value>) -> Result<CallTokens, String> {
    let num = |v: &Value| json::lenient_u64(v).unwrap_or(0) as f64;
    let (mut input, mut cache_read, mut cache_write, mut output, mut reasoning) =
        (0.0, 0.0, 0.0, 0.0, 0.0);
    for (k, v) in d {
        let n = num(v);
        match k.as_str() {
            "input" => input += n,
            "output" => output += n,
            "total" => {}
            k if k.starts_with("input_") => {
                if k.contains("cache_read") || k.contains("cached") {
                    cache_read += n;
                } else if k.contains("cache_creation") || k.contains("cache_write") {
                    cache_write += n;
                } else {
                    input += n;
                }
            }
            k if k.starts_with("output_") => {
                if k.contains("reasoning") {
                    reasoning += n;
                } else {
                    output += n;
                }
            }
            _ => {}
        }
    }
    split_reported(
        input,
        cache_read,
        cache_write,
        output + reasoning,
        reasoning,
        UsageConvention::InputExcludesCached,
    )
    .map_err(|e| format!("usageDetails do not add up: {e}"))
}

/// Output cap from `modelParameters` (values are often strings).
fn max_tokens(p: &Value) -> Option<u64> {
    [
        "max_tokens",
        "max_completion_tokens",
        "max_output_tokens",
        "maxTokens",
        "maxOutputTokens",
    ]
    .iter()
    .find_map(|k| p.get(k).and_then(json::lenient_u64))
}

fn observation(o: Observation, cx: &mut Cx<'_>) -> Result<(), Fail> {
    let start = o.start_time.as_deref().and_then(json::parse_time);
    match o.kind.as_deref() {
        Some("TOOL") => {
            if let (Some(t), Some(ts)) = (o.trace_id, start) {
                cx.joins().tool_events.push((t, ts));
            }
            return Ok(());
        }
        Some("GENERATION") => {}
        _ => return Ok(()),
    }
    let mut r = CallRecord::new(Format::Langfuse);
    r.timestamp = start;
    r.model = o.model;
    r.max_output_tokens = o.model_parameters.as_ref().and_then(max_tokens);
    let own_tools = o
        .output
        .as_ref()
        .and_then(|out| out.get("tool_calls"))
        .and_then(Value::as_array)
        .map(Vec::len);
    r.tool_calls = own_tools.map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX));
    let finish = o
        .output
        .as_ref()
        .and_then(|out| out.get("finish_reason"))
        .and_then(Value::as_str);
    r.finish = super::openai_chat::finish_with_tools(finish, r.tool_calls);
    let failed = o.level.as_deref() == Some("ERROR");
    if failed {
        let class =
            FailureClass::classify(None, &[o.status_message.as_deref()], FailureClass::Server);
        r.status = Status::Failed(class);
        r.finish = Finish::Other;
    }
    r.tokens = match (&o.usage_details, &o.usage) {
        (Some(d), _) if !d.is_empty() => Some(usage_details(d)?),
        (_, Some(u)) if u.input.unwrap_or(0.0) > 0.0 || u.output.unwrap_or(0.0) > 0.0 => Some(
            split_reported(
                u.input.unwrap_or(0.0),
                0.0,
                0.0,
                u.output.unwrap_or(0.0),
                0.0,
                UsageConvention::InputExcludesCached,
            )
            .map_err(|e| format!("usage does not add up: {e}"))?,
        ),
        _ => None,
    };
    let aux = Aux {
        trace: o.trace_id.clone(),
        wants_tools: own_tools.is_none(),
        finish_known: finish.is_some() || own_tools.is_some(),
        session_from_trace: false,
    };
    r.session = o.trace_id;
    cx.emit_aux(r, aux);
    Ok(())
}

pub(crate) struct LangfuseParser;

impl Parser for LangfuseParser {
    fn item(&mut self, item: Item<'_>, cx: &mut Cx<'_>) -> Result<(), Fail> {
        let v: Value = match item {
            Item::Bytes(b) => serde_json::from_slice(b).map_err(|e| json::reason(&e))?,
            Item::Value(v) => v,
        };
        match v {
            Value::Object(mut o) if o.get("data").is_some_and(Value::is_array) => {
                let Some(Value::Array(data)) = o.remove("data") else {
                    return Ok(());
                };
                let base = cx.line;
                for (i, obs) in data.into_iter().enumerate() {
                    // Observations of an export are numbered by their position in `data`.
                    cx.line = i as u64 + 1;
                    let parsed = Observation::deserialize(obs).map_err(|e| json::reason(&e));
                    let res = match parsed {
                        Ok(o) => observation(o, cx),
                        Err(reason) => Err(Fail::Bad(format!("observation {}: {reason}", i + 1))),
                    };
                    if let Err(Fail::Bad(reason)) = res {
                        cx.bad(cx.line, reason).map_err(Fail::Fatal)?;
                    } else {
                        res?;
                    }
                }
                cx.line = base;
                Ok(())
            }
            other => observation(
                Observation::deserialize(other).map_err(|e| json::reason(&e))?,
                cx,
            ),
        }
    }
}
