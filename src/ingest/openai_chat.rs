//! OpenAI Chat Completions responses (transcript-formats.md §2): `chat.completion` objects,
//! streamed `chat.completion.chunk` lines (usage only in the final chunk, when the request
//! set `stream_options.include_usage`), and error envelopes `{"error": {…}}`.
//!
//! Usage convention: `prompt_tokens` includes `cached_tokens` (and the newest SDK's
//! `cache_write_tokens`); `completion_tokens` includes `reasoning_tokens`.
//! Only the fields needed are declared, so message text is skipped without allocation.

use serde::Deserialize;
use serde_json::Value;

use super::json::{self, Item};
use super::record::{CallRecord, FailureClass, Finish, Format, Status};
use super::sink::Aux;
use super::{Cx, Fail, Parser};
use crate::usage::{UsageConvention, split_reported};

/// A `chat.completion` (or chunk, or error envelope).
#[derive(Deserialize, Debug, Default)]
pub(crate) struct ChatCompletion {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub object: Option<String>,
    /// Unix seconds.
    #[serde(default)]
    pub created: Option<f64>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub choices: Option<Vec<Choice>>,
    #[serde(default)]
    pub usage: Option<ChatUsage>,
    #[serde(default)]
    pub error: Option<ErrorBody>,
}

#[derive(Deserialize, Debug, Default)]
pub(crate) struct Choice {
    #[serde(default)]
    pub finish_reason: Option<String>,
    #[serde(default)]
    pub message: Option<ChatMessage>,
    /// Stream chunks carry `delta` instead of `message`.
    #[serde(default)]
    pub delta: Option<ChatMessage>,
}

#[derive(Deserialize, Debug, Default)]
pub(crate) struct ChatMessage {
    #[serde(default)]
    pub tool_calls: Option<Vec<ToolCallRef>>,
    /// Deprecated single function call.
    #[serde(default)]
    pub function_call: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize, Debug, Default)]
pub(crate) struct ToolCallRef {
    /// Position of the call in a streamed response.
    #[serde(default)]
    pub index: Option<u32>,
}

/// Chat Completions usage block.
#[derive(Deserialize, Debug, Default)]
pub(crate) struct ChatUsage {
    #[serde(default)]
    pub prompt_tokens: Option<u64>,
    #[serde(default)]
    pub completion_tokens: Option<u64>,
    #[serde(default)]
    pub prompt_tokens_details: Option<PromptDetails>,
    #[serde(default)]
    pub completion_tokens_details: Option<CompletionDetails>,
}

#[derive(Deserialize, Debug, Default)]
pub(crate) struct PromptDetails {
    #[serde(default)]
    pub cached_tokens: Option<u64>,
    #[serde(default)]
    pub cache_write_tokens: Option<u64>,
}

#[derive(Deserialize, Debug, Default)]
pub(crate) struct CompletionDetails {
    #[serde(default)]
    pub reasoning_tokens: Option<u64>,
}

/// An OpenAI error object (`{"message", "type", "param", "code"}`), also used flat.
#[derive(Deserialize, Debug, Default, Clone)]
pub(crate) struct ErrorBody {
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub code: Option<Value>,
    /// A nested envelope (`{"error": {"error": {…}}}` in logs).
    #[serde(default)]
    pub error: Option<Box<ErrorBody>>,
}

impl ErrorBody {
    /// The innermost error object.
    pub(crate) fn inner(&self) -> &ErrorBody {
        match &self.error {
            Some(e) => e.inner(),
            None => self,
        }
    }

    /// Failure class from code, type and message, then `http`, then `fallback`.
    pub(crate) fn class(&self, http: Option<u16>, fallback: FailureClass) -> FailureClass {
        let e = self.inner();
        let code = e.code.as_ref().map(|c| match c {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        FailureClass::classify(
            http,
            &[code.as_deref(), e.kind.as_deref(), e.message.as_deref()],
            fallback,
        )
    }
}

impl ChatUsage {
    /// Disjoint tokens under the OpenAI convention (cached inside `prompt_tokens`), or
    /// `conv` when the user forced one (`--usage-convention`).
    pub(crate) fn tokens(
        &self,
        conv: Option<UsageConvention>,
    ) -> Result<crate::usage::CallTokens, String> {
        let details = self.prompt_tokens_details.as_ref();
        split_reported(
            self.prompt_tokens.unwrap_or(0) as f64,
            details.and_then(|d| d.cached_tokens).unwrap_or(0) as f64,
            details.and_then(|d| d.cache_write_tokens).unwrap_or(0) as f64,
            self.completion_tokens.unwrap_or(0) as f64,
            self.completion_tokens_details
                .as_ref()
                .and_then(|d| d.reasoning_tokens)
                .unwrap_or(0) as f64,
            conv.unwrap_or(UsageConvention::InputIncludesCached),
        )
        .map_err(|e| format!("usage does not add up: {e}"))
    }
}

/// Client tool calls in a message (a legacy `function_call` counts as one).
fn message_tool_calls(m: &ChatMessage) -> u32 {
    let n = m.tool_calls.as_ref().map_or(0, Vec::len) + usize::from(m.function_call.is_some());
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Finish of a response with `tool_calls` client calls: forced tool choice returns `stop`
/// with tool calls, which is still a tool round.
pub(crate) fn finish_with_tools(reason: Option<&str>, tool_calls: u32) -> Finish {
    let f = reason.map_or(Finish::Stop, Finish::from_reason);
    if tool_calls > 0 && matches!(f, Finish::Stop | Finish::Other) {
        Finish::ToolCalls
    } else {
        f
    }
}

/// A record from a non-streamed `chat.completion` or error envelope; `conv` as in
/// [`ChatUsage::tokens`].
pub(crate) fn record(
    c: &ChatCompletion,
    conv: Option<UsageConvention>,
) -> Result<CallRecord, String> {
    let mut r = CallRecord::new(Format::OpenaiChat);
    r.model.clone_from(&c.model);
    r.timestamp = c.created;
    let choices = c.choices.as_deref().unwrap_or(&[]);
    if let Some(err) = &c.error
        && choices.is_empty()
    {
        r.status = Status::Failed(err.class(None, FailureClass::Server));
        r.finish = Finish::Other;
        r.tokens = c.usage.as_ref().map(|u| u.tokens(conv)).transpose()?;
        return Ok(r);
    }
    if choices.is_empty() && c.usage.is_none() {
        return Err("neither choices, usage nor error: not a chat completion".into());
    }
    // With n > 1 one usage block covers every choice; tool calls add up.
    r.tool_calls = choices
        .iter()
        .filter_map(|ch| ch.message.as_ref())
        .map(message_tool_calls)
        .sum();
    r.finish = finish_with_tools(
        choices.first().and_then(|ch| ch.finish_reason.as_deref()),
        r.tool_calls,
    );
    r.tokens = c.usage.as_ref().map(|u| u.tokens(conv)).transpose()?;
    Ok(r)
}

/// State of a streamed response whose usage chunk has not arrived yet.
#[derive(Default)]
struct Stream {
    id: Option<String>,
    line: u64,
    model: Option<String>,
    created: Option<f64>,
    finish: Option<String>,
    /// Highest tool-call index seen + 1.
    tool_calls: u32,
}

/// Parser for `openai_chat` files.
#[derive(Default)]
pub(crate) struct ChatParser {
    stream: Option<Stream>,
}

impl ChatParser {
    /// Emit a stream that ended without a usage chunk: the call happened, its usage is
    /// unknown.
    fn flush(&mut self, cx: &mut Cx<'_>) {
        if let Some(s) = self.stream.take() {
            cx.emit_at(s.line, stream_record(&s, None), Aux::default());
        }
    }

    fn chunk(&mut self, c: ChatCompletion, cx: &mut Cx<'_>) -> Result<(), Fail> {
        if self.stream.as_ref().is_some_and(|s| s.id != c.id) {
            self.flush(cx);
        }
        let s = self.stream.get_or_insert_with(|| Stream {
            id: c.id.clone(),
            ..Stream::default()
        });
        s.line = cx.line;
        if c.model.is_some() {
            s.model.clone_from(&c.model);
        }
        s.created = s.created.or(c.created);
        for ch in c.choices.as_deref().unwrap_or(&[]) {
            if let Some(f) = &ch.finish_reason {
                s.finish = Some(f.clone());
            }
            if let Some(calls) = ch.delta.as_ref().and_then(|d| d.tool_calls.as_ref()) {
                for (i, call) in calls.iter().enumerate() {
                    let idx = call.index.unwrap_or(u32::try_from(i).unwrap_or(u32::MAX));
                    s.tool_calls = s.tool_calls.max(idx.saturating_add(1));
                }
            }
        }
        if let Some(u) = &c.usage {
            let tokens = u.tokens(cx.opts.usage_convention)?;
            if let Some(s) = self.stream.take() {
                cx.emit(stream_record(&s, Some(tokens)));
            }
        }
        Ok(())
    }
}

fn stream_record(s: &Stream, tokens: Option<crate::usage::CallTokens>) -> CallRecord {
    let mut r = CallRecord::new(Format::OpenaiChat);
    r.model.clone_from(&s.model);
    r.timestamp = s.created;
    r.tool_calls = s.tool_calls;
    r.finish = finish_with_tools(s.finish.as_deref(), s.tool_calls);
    r.tokens = tokens;
    r
}

impl Parser for ChatParser {
    fn item(&mut self, item: Item<'_>, cx: &mut Cx<'_>) -> Result<(), Fail> {
        let c: ChatCompletion = json::parse(item)?;
        if c.object.as_deref() == Some("chat.completion.chunk") {
            return self.chunk(c, cx);
        }
        self.flush(cx);
        cx.emit(record(&c, cx.opts.usage_convention)?);
        Ok(())
    }

    fn end(&mut self, cx: &mut Cx<'_>) -> Result<(), Fail> {
        self.flush(cx);
        Ok(())
    }
}
