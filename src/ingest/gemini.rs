//! Google Gemini `generateContent` responses and error bodies (transcript-formats.md §6),
//! in the REST camelCase and the Python SDK's snake_case spellings.
//!
//! Usage convention: `promptTokenCount` includes `cachedContentTokenCount`;
//! `candidatesTokenCount` **excludes** `thoughtsTokenCount`, so billed output = candidates +
//! thoughts (passed to `split_reported` as output including reasoning). Results of built-in
//! tools fed back as input (`toolUsePromptTokenCount`) are billed input and added to it.
//! Function calls end with `finishReason: STOP`, so they are counted from `functionCall`
//! parts. Streams repeat `usageMetadata` in every chunk with running totals: consecutive
//! chunks of one `responseId` are merged and the last usage kept, never summed.

use serde::Deserialize;

use super::json::{self, Item};
use super::record::{CallRecord, FailureClass, Finish, Format, Status};
use super::sink::Aux;
use super::{Cx, Fail, Parser};
use crate::usage::{CallTokens, UsageConvention, split_reported};

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
struct Response {
    #[serde(default)]
    candidates: Option<Vec<Candidate>>,
    #[serde(default, alias = "usage_metadata")]
    usage_metadata: Option<UsageMetadata>,
    #[serde(default, alias = "model_version")]
    model_version: Option<String>,
    #[serde(default, alias = "response_id")]
    response_id: Option<String>,
    #[serde(default, alias = "prompt_feedback")]
    prompt_feedback: Option<PromptFeedback>,
    #[serde(default, alias = "create_time")]
    create_time: Option<String>,
    #[serde(default)]
    error: Option<GoogleError>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
struct Candidate {
    #[serde(default)]
    content: Option<Content>,
    #[serde(default, alias = "finish_reason")]
    finish_reason: Option<String>,
}

#[derive(Deserialize, Debug, Default)]
struct Content {
    #[serde(default)]
    parts: Option<Vec<Part>>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
struct Part {
    #[serde(default, alias = "function_call")]
    function_call: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
struct PromptFeedback {
    #[serde(default, alias = "block_reason")]
    block_reason: Option<String>,
}

#[derive(Deserialize, Debug, Default, Clone)]
#[serde(rename_all = "camelCase")]
struct UsageMetadata {
    #[serde(default, alias = "prompt_token_count")]
    prompt_token_count: Option<u64>,
    #[serde(default, alias = "candidates_token_count")]
    candidates_token_count: Option<u64>,
    #[serde(default, alias = "thoughts_token_count")]
    thoughts_token_count: Option<u64>,
    #[serde(default, alias = "cached_content_token_count")]
    cached_content_token_count: Option<u64>,
    #[serde(default, alias = "tool_use_prompt_token_count")]
    tool_use_prompt_token_count: Option<u64>,
}

/// `{"error": {code, message, status}}`.
#[derive(Deserialize, Debug, Default)]
struct GoogleError {
    #[serde(default)]
    code: Option<u16>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

impl UsageMetadata {
    /// Disjoint tokens: cached inside the prompt count, or `conv` when forced.
    fn tokens(&self, conv: Option<UsageConvention>) -> Result<CallTokens, String> {
        let thoughts = self.thoughts_token_count.unwrap_or(0) as f64;
        split_reported(
            (self.prompt_token_count.unwrap_or(0) + self.tool_use_prompt_token_count.unwrap_or(0))
                as f64,
            self.cached_content_token_count.unwrap_or(0) as f64,
            0.0,
            self.candidates_token_count.unwrap_or(0) as f64 + thoughts,
            thoughts,
            conv.unwrap_or(UsageConvention::InputIncludesCached),
        )
        .map_err(|e| format!("usage does not add up: {e}"))
    }
}

/// A response being assembled from stream chunks.
#[derive(Default)]
struct Pending {
    id: Option<String>,
    line: u64,
    model: Option<String>,
    timestamp: Option<f64>,
    finish: Option<String>,
    function_calls: u32,
    blocked: bool,
    usage: Option<UsageMetadata>,
}

impl Pending {
    fn add(&mut self, r: &Response, line: u64) {
        self.line = line;
        if r.model_version.is_some() {
            self.model.clone_from(&r.model_version);
        }
        self.timestamp = self
            .timestamp
            .or_else(|| r.create_time.as_deref().and_then(json::parse_time));
        // Candidate 0 is the answer; other candidates (candidateCount > 1) share the usage.
        for c in r.candidates.as_deref().unwrap_or(&[]) {
            if let Some(f) = &c.finish_reason {
                self.finish = Some(f.clone());
            }
            let parts = c
                .content
                .as_ref()
                .and_then(|c| c.parts.as_deref())
                .unwrap_or(&[]);
            let n = parts.iter().filter(|p| p.function_call.is_some()).count();
            self.function_calls = self
                .function_calls
                .saturating_add(u32::try_from(n).unwrap_or(u32::MAX));
        }
        self.blocked |= r
            .prompt_feedback
            .as_ref()
            .is_some_and(|p| p.block_reason.is_some());
        if r.usage_metadata.is_some() {
            self.usage.clone_from(&r.usage_metadata);
        }
    }

    fn record(&self, conv: Option<UsageConvention>) -> Result<CallRecord, String> {
        let mut r = CallRecord::new(Format::Gemini);
        r.model.clone_from(&self.model);
        r.timestamp = self.timestamp;
        r.tool_calls = self.function_calls;
        let reason = self.finish.as_deref().unwrap_or("STOP");
        r.finish = match reason {
            // The model produced a call that does not parse or was not allowed: billed,
            // rejected output.
            "MALFORMED_FUNCTION_CALL" | "UNEXPECTED_TOOL_CALL" | "TOO_MANY_TOOL_CALLS" => {
                r.status = Status::Failed(FailureClass::InvalidOutput);
                Finish::Other
            }
            _ if self.blocked && self.finish.is_none() => Finish::ContentFilter,
            _ => super::openai_chat::finish_with_tools(Some(reason), self.function_calls),
        };
        r.tokens = self.usage.as_ref().map(|u| u.tokens(conv)).transpose()?;
        Ok(r)
    }
}

#[derive(Default)]
pub(crate) struct GeminiParser {
    pending: Option<Pending>,
}

impl GeminiParser {
    fn flush(&mut self, cx: &mut Cx<'_>) -> Result<(), Fail> {
        if let Some(p) = self.pending.take() {
            match p.record(cx.opts.usage_convention) {
                Ok(r) => cx.emit_at(p.line, r, Aux::default()),
                // Report the line the response came from, not the line that closed it.
                Err(reason) => cx.bad(p.line, reason).map_err(Fail::Fatal)?,
            }
        }
        Ok(())
    }
}

impl Parser for GeminiParser {
    fn item(&mut self, item: Item<'_>, cx: &mut Cx<'_>) -> Result<(), Fail> {
        let resp: Response = json::parse(item)?;
        if let Some(e) = &resp.error {
            self.flush(cx)?;
            let mut r = CallRecord::new(Format::Gemini);
            let class = FailureClass::classify(
                e.code,
                &[e.status.as_deref(), e.message.as_deref()],
                FailureClass::Server,
            );
            r.status = Status::Failed(class);
            r.finish = Finish::Other;
            cx.emit(r);
            return Ok(());
        }
        if resp.candidates.is_none()
            && resp.usage_metadata.is_none()
            && resp.prompt_feedback.is_none()
        {
            return Err(Fail::Bad("no candidates, usageMetadata or error".into()));
        }
        let same = match (&self.pending, &resp.response_id) {
            (Some(p), Some(id)) => p.id.as_ref() == Some(id),
            _ => false,
        };
        if !same {
            self.flush(cx)?;
        }
        let p = self.pending.get_or_insert_with(|| Pending {
            id: resp.response_id.clone(),
            ..Pending::default()
        });
        p.add(&resp, cx.line);
        // Without an id a chunk cannot be matched to the next one: it is a whole response.
        if resp.response_id.is_none() {
            self.flush(cx)?;
        }
        Ok(())
    }

    fn end(&mut self, cx: &mut Cx<'_>) -> Result<(), Fail> {
        self.flush(cx)
    }
}
