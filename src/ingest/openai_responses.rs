//! OpenAI Responses API `response` objects (transcript-formats.md §3).
//!
//! `status: incomplete` with `incomplete_details.reason = max_output_tokens` is the
//! analogue of `finish_reason = length` (censored output). Tool calls come from `output[]`
//! item types: client-executed items (`function_call`, `custom_tool_call`, `computer_call`,
//! shell and patch calls) count as tool calls; hosted tools (`web_search_call`,
//! `file_search_call`, …) are server tools billed per call. Usage convention as Chat:
//! `input_tokens` includes `cached_tokens`, `output_tokens` includes `reasoning_tokens`.

use serde::Deserialize;

use super::json::{self, Item};
use super::openai_chat::ErrorBody;
use super::record::{CallRecord, FailureClass, Finish, Format, Status};
use super::{Cx, Fail, Parser};
use crate::usage::{CallTokens, UsageConvention, split_reported};

#[derive(Deserialize, Debug, Default)]
pub(crate) struct ResponseObject {
    /// Unix seconds.
    #[serde(default)]
    created_at: Option<f64>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    error: Option<ErrorBody>,
    #[serde(default)]
    incomplete_details: Option<IncompleteDetails>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    output: Option<Vec<OutputItem>>,
    #[serde(default)]
    usage: Option<ResponsesUsage>,
    #[serde(default)]
    max_output_tokens: Option<u64>,
}

#[derive(Deserialize, Debug, Default)]
struct IncompleteDetails {
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Deserialize, Debug, Default)]
struct OutputItem {
    #[serde(default, rename = "type")]
    kind: Option<String>,
}

/// Responses-style usage (also the newest Batch object's `usage`).
#[derive(Deserialize, Debug, Default)]
pub(crate) struct ResponsesUsage {
    #[serde(default)]
    input_tokens: Option<u64>,
    #[serde(default)]
    input_tokens_details: Option<InputDetails>,
    #[serde(default)]
    output_tokens: Option<u64>,
    #[serde(default)]
    output_tokens_details: Option<OutputDetails>,
}

#[derive(Deserialize, Debug, Default)]
struct InputDetails {
    #[serde(default)]
    cached_tokens: Option<u64>,
    #[serde(default)]
    cache_write_tokens: Option<u64>,
}

#[derive(Deserialize, Debug, Default)]
struct OutputDetails {
    #[serde(default)]
    reasoning_tokens: Option<u64>,
}

impl ResponsesUsage {
    /// Disjoint tokens: cached inside `input_tokens`, or `conv` when forced.
    pub(crate) fn tokens(&self, conv: Option<UsageConvention>) -> Result<CallTokens, String> {
        let d = self.input_tokens_details.as_ref();
        split_reported(
            self.input_tokens.unwrap_or(0) as f64,
            d.and_then(|d| d.cached_tokens).unwrap_or(0) as f64,
            d.and_then(|d| d.cache_write_tokens).unwrap_or(0) as f64,
            self.output_tokens.unwrap_or(0) as f64,
            self.output_tokens_details
                .as_ref()
                .and_then(|d| d.reasoning_tokens)
                .unwrap_or(0) as f64,
            conv.unwrap_or(UsageConvention::InputIncludesCached),
        )
        .map_err(|e| format!("usage does not add up: {e}"))
    }
}

/// What an output item is, for counting.
enum ItemKind {
    Client,
    Server(&'static str),
    Neither,
}

fn item_kind(kind: &str) -> ItemKind {
    match kind {
        "function_call" | "custom_tool_call" | "computer_call" | "local_shell_call"
        | "shell_call" | "apply_patch_call" => ItemKind::Client,
        "web_search_call" => ItemKind::Server("web_search"),
        "file_search_call" => ItemKind::Server("file_search"),
        "code_interpreter_call" => ItemKind::Server("code_interpreter"),
        "image_generation_call" => ItemKind::Server("image_generation"),
        "mcp_call" => ItemKind::Server("mcp"),
        "tool_search_call" => ItemKind::Server("tool_search"),
        _ => ItemKind::Neither,
    }
}

/// A record from a `response` object; `conv` as in [`ResponsesUsage::tokens`].
pub(crate) fn record(
    resp: &ResponseObject,
    conv: Option<UsageConvention>,
) -> Result<CallRecord, String> {
    let mut r = CallRecord::new(Format::OpenaiResponses);
    r.model.clone_from(&resp.model);
    r.timestamp = resp.created_at;
    r.max_output_tokens = resp.max_output_tokens;
    for item in resp.output.as_deref().unwrap_or(&[]) {
        match item_kind(item.kind.as_deref().unwrap_or("")) {
            ItemKind::Client => r.tool_calls = r.tool_calls.saturating_add(1),
            ItemKind::Server(name) => r.add_server_tool(name, 1),
            ItemKind::Neither => {}
        }
    }
    let tools_finish = if r.tool_calls > 0 {
        Finish::ToolCalls
    } else {
        Finish::Stop
    };
    let default_status = if resp.error.is_some() {
        "failed"
    } else {
        "completed"
    };
    match resp.status.as_deref().unwrap_or(default_status) {
        "completed" => r.finish = tools_finish,
        "incomplete" => {
            let reason = resp
                .incomplete_details
                .as_ref()
                .and_then(|d| d.reason.as_deref());
            r.finish = match reason.map(Finish::from_reason) {
                Some(Finish::ContentFilter) => Finish::ContentFilter,
                // Any other incomplete response stopped short of its natural end.
                _ => Finish::Length,
            };
        }
        "failed" => {
            let class = resp.error.as_ref().map_or(FailureClass::Server, |e| {
                e.class(None, FailureClass::Server)
            });
            r.status = Status::Failed(class);
            r.finish = Finish::Other;
        }
        "cancelled" => {
            r.status = Status::Failed(FailureClass::Cancelled);
            r.finish = Finish::Other;
        }
        other => {
            return Err(format!(
                "response status '{other}' is not final; only finished responses are calls"
            ));
        }
    }
    r.tokens = resp.usage.as_ref().map(|u| u.tokens(conv)).transpose()?;
    Ok(r)
}

pub(crate) struct ResponsesParser;

impl Parser for ResponsesParser {
    fn item(&mut self, item: Item<'_>, cx: &mut Cx<'_>) -> Result<(), Fail> {
        let resp: ResponseObject = json::parse(item)?;
        cx.emit(record(&resp, cx.opts.usage_convention)?);
        Ok(())
    }
}
