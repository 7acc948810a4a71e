//! LangSmith runs (transcript-formats.md §9): one Run per line, as `Client.list_runs()`
//! returns them.
//!
//! Only `run_type == "llm"` runs are calls: parent chain runs carry aggregated totals and
//! would double count. `prompt_tokens` includes `prompt_token_details.cache_read` (and
//! `cache_creation`), `completion_tokens` includes `completion_token_details.reasoning`
//! (LangChain's convention). Tool calls come from the LLM run's output message; `tool` runs
//! are counted as tool calls of the trace's latest earlier LLM run only when that run's
//! output is missing. `status: "error"` marks a failed attempt. The session is the
//! thread id in `extra.metadata` (`thread_id`, `session_id`, `conversation_id`), else the
//! trace id.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::json::{self, Item};
use super::record::{CallRecord, FailureClass, Finish, Format, Status};
use super::sink::Aux;
use super::{Cx, Fail, Parser};
use crate::usage::{UsageConvention, split_reported};

#[derive(Deserialize, Default)]
struct Run {
    #[serde(default)]
    trace_id: Option<String>,
    #[serde(default)]
    run_type: Option<String>,
    #[serde(default)]
    start_time: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    completion_tokens: Option<u64>,
    #[serde(default)]
    prompt_token_details: Option<BTreeMap<String, Value>>,
    #[serde(default)]
    completion_token_details: Option<BTreeMap<String, Value>>,
    #[serde(default)]
    outputs: Option<Value>,
    #[serde(default)]
    extra: Option<Value>,
}

fn detail(d: Option<&BTreeMap<String, Value>>, key: &str) -> f64 {
    d.and_then(|d| d.get(key))
        .and_then(json::lenient_u64)
        .unwrap_or(0) as f64
}

/// The first generation's message in `outputs.generations[0][0]`.
fn first_generation(outputs: &Value) -> Option<&Value> {
    outputs.get("generations")?.get(0)?.get(0)
}

fn run(r: Run, cx: &mut Cx<'_>) -> Result<(), Fail> {
    let start = r.start_time.as_deref().and_then(json::parse_time);
    match r.run_type.as_deref() {
        Some("tool") => {
            if let (Some(t), Some(ts)) = (r.trace_id, start) {
                cx.joins().tool_events.push((t, ts));
            }
            return Ok(());
        }
        Some("llm") => {}
        _ => return Ok(()),
    }
    let mut rec = CallRecord::new(Format::Langsmith);
    rec.timestamp = start;
    let meta = r.extra.as_ref().and_then(|e| e.get("metadata"));
    let params = r.extra.as_ref().and_then(|e| e.get("invocation_params"));
    let generation = r.outputs.as_ref().and_then(first_generation);
    let message = generation.and_then(|g| g.get("message"));
    // Serialised LangChain messages keep their fields under `kwargs`.
    let message = message.map(|m| m.get("kwargs").unwrap_or(m));
    let response_meta = message.and_then(|m| m.get("response_metadata"));
    rec.model = response_meta
        .and_then(|m| m.get("model_name"))
        .or_else(|| meta.and_then(|m| m.get("ls_model_name")))
        .or_else(|| params.and_then(|p| p.get("model")))
        .and_then(Value::as_str)
        .map(str::to_string);
    rec.max_output_tokens = meta
        .and_then(|m| m.get("ls_max_tokens"))
        .or_else(|| {
            params.and_then(|p| {
                p.get("max_completion_tokens")
                    .or_else(|| p.get("max_tokens"))
            })
        })
        .and_then(json::lenient_u64);
    let own_tools = message.map(|m| {
        let n = m
            .get("tool_calls")
            .and_then(Value::as_array)
            .or_else(|| {
                m.get("additional_kwargs")
                    .and_then(|a| a.get("tool_calls"))
                    .and_then(Value::as_array)
            })
            .map_or(0, Vec::len);
        u32::try_from(n).unwrap_or(u32::MAX)
    });
    rec.tool_calls = own_tools.unwrap_or(0);
    let finish = generation
        .and_then(|g| g.get("generation_info"))
        .and_then(|g| g.get("finish_reason"))
        .or_else(|| {
            response_meta.and_then(|m| m.get("finish_reason").or_else(|| m.get("stop_reason")))
        })
        .and_then(Value::as_str);
    rec.finish = super::openai_chat::finish_with_tools(finish, rec.tool_calls);
    if r.status.as_deref() == Some("error") {
        rec.status = Status::Failed(FailureClass::classify(
            None,
            &[r.error.as_deref()],
            FailureClass::Server,
        ));
        rec.finish = Finish::Other;
    }
    let (prompt, completion) = (
        r.prompt_tokens.unwrap_or(0),
        r.completion_tokens.unwrap_or(0),
    );
    // Zero usage on a run means "not recorded" (failed runs, runs without usage callbacks).
    if prompt > 0 || completion > 0 {
        let pd = r.prompt_token_details.as_ref();
        let cd = r.completion_token_details.as_ref();
        let tokens = split_reported(
            prompt as f64,
            detail(pd, "cache_read"),
            detail(pd, "cache_creation"),
            completion as f64,
            detail(cd, "reasoning"),
            cx.opts
                .usage_convention
                .unwrap_or(UsageConvention::InputIncludesCached),
        )
        .map_err(|e| format!("usage does not add up: {e}"))?;
        rec.tokens = Some(tokens);
    }
    let thread = meta
        .and_then(|m| {
            ["thread_id", "session_id", "conversation_id"]
                .iter()
                .find_map(|k| m.get(*k))
        })
        .and_then(Value::as_str)
        .map(str::to_string);
    let aux = Aux {
        trace: r.trace_id.clone(),
        wants_tools: own_tools.is_none(),
        finish_known: finish.is_some(),
        session_from_trace: false,
    };
    rec.session = thread.or(r.trace_id);
    cx.emit_aux(rec, aux);
    Ok(())
}

pub(crate) struct LangsmithParser;

impl Parser for LangsmithParser {
    fn item(&mut self, item: Item<'_>, cx: &mut Cx<'_>) -> Result<(), Fail> {
        run(json::parse(item)?, cx)
    }
}
