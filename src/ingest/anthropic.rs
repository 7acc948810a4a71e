//! Anthropic Messages API responses and error bodies (transcript-formats.md §5).
//!
//! Usage convention: `input_tokens` **excludes** cache reads and writes (they are reported
//! beside it), and `output_tokens` includes thinking. Client tool calls are `tool_use`
//! blocks; server tools are billed per request from `usage.server_tool_use.*_requests`
//! (falling back to counting `server_tool_use` blocks for tools the usage does not list).
//! Cache writes are `cache_creation_input_tokens`, the total over both TTLs; its split
//! (`cache_creation.ephemeral_5m/1h_input_tokens`, priced differently) is not read: a
//! [`crate::usage::CallTokens`] has one cache-write count, the fit estimates no write sizes
//! (the engine simulates writes), and the TTL a forecast bills is the scenario's
//! `[caching] write_ttl`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::json::{self, Item};
use super::record::{CallRecord, FailureClass, Finish, Format, Status};
use super::{Cx, Fail, Parser};
use crate::usage::{UsageConvention, split_reported};

/// A `message` or an error body `{"type": "error", "error": {type, message}}`.
#[derive(Deserialize, Debug, Default)]
pub(crate) struct Message {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    content: Option<Vec<Block>>,
    #[serde(default)]
    stop_reason: Option<String>,
    #[serde(default)]
    usage: Option<Usage>,
    #[serde(default)]
    pub(crate) error: Option<ErrorDetail>,
}

#[derive(Deserialize, Debug, Default)]
struct Block {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize, Debug, Default)]
struct Usage {
    #[serde(default)]
    input_tokens: Option<u64>,
    #[serde(default)]
    cache_creation_input_tokens: Option<u64>,
    #[serde(default)]
    cache_read_input_tokens: Option<u64>,
    #[serde(default)]
    output_tokens: Option<u64>,
    #[serde(default)]
    output_tokens_details: Option<OutputDetails>,
    /// `{web_search_requests, web_fetch_requests, …}`.
    #[serde(default)]
    server_tool_use: Option<BTreeMap<String, Value>>,
}

#[derive(Deserialize, Debug, Default)]
struct OutputDetails {
    #[serde(default)]
    thinking_tokens: Option<u64>,
}

/// `{type, message}` of an error body.
#[derive(Deserialize, Debug, Default)]
pub(crate) struct ErrorDetail {
    #[serde(default, rename = "type")]
    pub(crate) kind: Option<String>,
    #[serde(default)]
    pub(crate) message: Option<String>,
}

impl ErrorDetail {
    pub(crate) fn class(&self) -> FailureClass {
        FailureClass::classify(
            None,
            &[self.kind.as_deref(), self.message.as_deref()],
            FailureClass::Server,
        )
    }
}

/// A record from a message or error body. Cache counts are beside `input_tokens` unless
/// `conv` (`--usage-convention`) says otherwise.
pub(crate) fn record(m: &Message, conv: Option<UsageConvention>) -> Result<CallRecord, String> {
    let mut r = CallRecord::new(Format::Anthropic);
    r.model.clone_from(&m.model);
    if m.kind.as_deref() == Some("error") || (m.error.is_some() && m.content.is_none()) {
        r.status = Status::Failed(
            m.error
                .as_ref()
                .map_or(FailureClass::Server, ErrorDetail::class),
        );
        r.finish = Finish::Other;
        return Ok(r);
    }
    let mut server_blocks: BTreeMap<&str, u32> = BTreeMap::new();
    for b in m.content.as_deref().unwrap_or(&[]) {
        match b.kind.as_deref() {
            Some("tool_use") => r.tool_calls = r.tool_calls.saturating_add(1),
            Some("server_tool_use") => {
                *server_blocks
                    .entry(b.name.as_deref().unwrap_or("server_tool"))
                    .or_default() += 1
            }
            Some("mcp_tool_use") => *server_blocks.entry("mcp").or_default() += 1,
            _ => {}
        }
    }
    let Some(u) = &m.usage else {
        return Err("message without usage".into());
    };
    // Billed server-tool requests from usage; blocks only for tools the usage omits.
    for (key, v) in u.server_tool_use.iter().flatten() {
        if let Some(name) = key.strip_suffix("_requests") {
            let n = json::lenient_u64(v).unwrap_or(0);
            r.add_server_tool(name, u32::try_from(n).unwrap_or(u32::MAX));
            server_blocks.remove(name);
        }
    }
    for (name, n) in server_blocks {
        r.add_server_tool(name, n);
    }
    r.finish = super::openai_chat::finish_with_tools(m.stop_reason.as_deref(), r.tool_calls);
    r.tokens = Some(
        split_reported(
            u.input_tokens.unwrap_or(0) as f64,
            u.cache_read_input_tokens.unwrap_or(0) as f64,
            u.cache_creation_input_tokens.unwrap_or(0) as f64,
            u.output_tokens.unwrap_or(0) as f64,
            u.output_tokens_details
                .as_ref()
                .and_then(|d| d.thinking_tokens)
                .unwrap_or(0) as f64,
            conv.unwrap_or(UsageConvention::InputExcludesCached),
        )
        .map_err(|e| format!("usage does not add up: {e}"))?,
    );
    Ok(r)
}

pub(crate) struct AnthropicParser;

impl Parser for AnthropicParser {
    fn item(&mut self, item: Item<'_>, cx: &mut Cx<'_>) -> Result<(), Fail> {
        let m: Message = json::parse(item)?;
        cx.emit(record(&m, cx.opts.usage_convention)?);
        Ok(())
    }
}
