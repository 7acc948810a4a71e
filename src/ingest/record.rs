//! The normalised call record every parser produces, and the provider-neutral vocabularies
//! it uses: [`Format`], [`Finish`], [`Status`] and [`FailureClass`].
//!
//! This file owns the mapping from provider strings (finish reasons, HTTP statuses, error
//! codes and types) to those vocabularies, so all parsers classify the same way
//! (transcript-formats.md §1 "Retry detection", §5 error table, §6 error body, §11).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::IngestError;
use crate::usage::CallTokens;

/// One model call, normalised across providers.
///
/// Token counts are disjoint and in tokens ([`CallTokens`]); times are unix seconds (UTC).
#[derive(Clone, Debug, PartialEq)]
pub struct CallRecord {
    /// Index of the source file in [`super::Ingested::files`].
    pub file: u32,
    /// 1-based line of the record in its file (JSONL, CSV). For a file that is one JSON
    /// document: 1 for a single object, else the 1-based position of the item in the
    /// document's list (top-level array element, Langfuse `data` entry). Several records
    /// can share a line (spans of one OTLP request, assistant turns of one conversation).
    pub line: u64,
    /// Format the record was read as.
    pub format: Format,
    /// Session (conversation) id: conversation id, trace id, tau2 `sim_id`, batch `custom_id`.
    /// `None` when the source has no grouping; [`super::sessions`] then makes one session
    /// per record.
    pub session: Option<String>,
    /// Position of the call within its session (an ordering key such as tau2 `turn_idx` or
    /// the assistant-message index of a conversation), not a user-turn number:
    /// [`super::sessions`] derives turns from finish reasons.
    pub turn: Option<u32>,
    /// Identifies the request this call is an attempt of (a hash of the request body, or a
    /// batch `custom_id`), so retries of the same request can be recognised.
    pub request_key: Option<String>,
    /// When the call started (or was logged), unix seconds.
    pub timestamp: Option<f64>,
    /// Model name, the resolved version when the source reports it.
    pub model: Option<String>,
    /// Token usage, normalised with [`crate::usage::split_reported`]. `None` for failures
    /// without usage and for sources that report none.
    pub tokens: Option<CallTokens>,
    /// `true` when `tokens` were counted with the tokenizer from message text rather than
    /// reported by the provider (messages-only conversations).
    pub tokens_counted: bool,
    /// Client tool calls the model emitted (function / custom / tool_use / functionCall).
    pub tool_calls: u32,
    /// Server-side tool uses billed per request, by tool name (`web_search`, `web_fetch`,
    /// `code_execution`, `file_search`…), counts > 0 only.
    pub server_tools: Vec<(String, u32)>,
    /// Why generation stopped.
    pub finish: Finish,
    /// The request's output cap in tokens (`max_tokens`, `max_completion_tokens`,
    /// `max_output_tokens`), when known. With `finish == Length` the output is censored here.
    pub max_output_tokens: Option<u64>,
    /// Whether the call succeeded, and how it failed.
    pub status: Status,
    /// 1-based attempt number when the source logs it.
    pub attempt: Option<u32>,
    /// `true` for calls made through a batch API (discounted price, no latency meaning).
    pub batch: bool,
    /// Who made the call when a source mixes callers (tau2 `agent` vs `user_sim`).
    pub caller: Option<String>,
}

impl CallRecord {
    /// An empty successful record of `format`; parsers fill in what they know and the
    /// reader sets `file` and `line`.
    pub fn new(format: Format) -> Self {
        Self {
            file: 0,
            line: 0,
            format,
            session: None,
            turn: None,
            request_key: None,
            timestamp: None,
            model: None,
            tokens: None,
            tokens_counted: false,
            tool_calls: 0,
            server_tools: Vec::new(),
            finish: Finish::Stop,
            max_output_tokens: None,
            status: Status::Ok,
            attempt: None,
            batch: false,
            caller: None,
        }
    }

    /// `true` when the call failed.
    pub fn failed(&self) -> bool {
        matches!(self.status, Status::Failed(_))
    }

    /// Add `n` uses of server tool `name` (ignores zero).
    pub(crate) fn add_server_tool(&mut self, name: &str, n: u32) {
        if n == 0 {
            return;
        }
        match self.server_tools.iter_mut().find(|(k, _)| k == name) {
            Some((_, c)) => *c = c.saturating_add(n),
            None => self.server_tools.push((name.to_string(), n)),
        }
    }
}

/// Why generation stopped, normalised across providers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Finish {
    /// Natural end (`stop`, `end_turn`, `STOP`, `stop_sequence`).
    Stop,
    /// Output hit the token cap (`length`, `max_tokens`, `MAX_TOKENS`, Responses
    /// `incomplete`/`max_output_tokens`): the output length is right-censored.
    Length,
    /// The model emitted tool calls and expects their results (another call follows).
    ToolCalls,
    /// Blocked or refused (`content_filter`, `SAFETY`, `refusal`, …).
    ContentFilter,
    /// Anything else, including failed calls.
    Other,
}

impl Finish {
    /// Map a provider finish/stop reason (any case) to a [`Finish`].
    pub fn from_reason(reason: &str) -> Finish {
        match reason.to_ascii_lowercase().as_str() {
            "stop" | "end_turn" | "stop_sequence" | "finish_reason_stop" | "completed" | "eos"
            | "end" => Finish::Stop,
            "length"
            | "max_tokens"
            | "max_output_tokens"
            | "model_context_window_exceeded"
            | "incomplete" => Finish::Length,
            // `pause_turn`: Anthropic paused a server-tool loop and the client calls again to
            // continue, so the turn goes on exactly as after a tool round.
            "tool_calls" | "tool_use" | "function_call" | "tool_call" | "pause_turn" => {
                Finish::ToolCalls
            }
            "content_filter"
            | "safety"
            | "recitation"
            | "blocklist"
            | "prohibited_content"
            | "spii"
            | "refusal"
            | "image_safety"
            | "image_prohibited_content" => Finish::ContentFilter,
            _ => Finish::Other,
        }
    }
}

impl fmt::Display for Finish {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Finish::Stop => "stop",
            Finish::Length => "length",
            Finish::ToolCalls => "tool_calls",
            Finish::ContentFilter => "content_filter",
            Finish::Other => "other",
        })
    }
}

/// Outcome of a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The call returned a result.
    Ok,
    /// The call failed; the class decides billing and retry behaviour in the engine.
    Failed(FailureClass),
}

/// Failure classes, each with its own billing and retry rule (DESIGN.md §1.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureClass {
    /// HTTP 429 / `rate_limit_exceeded` / `RESOURCE_EXHAUSTED`: not billed, retried.
    RateLimit,
    /// HTTP 529 / 503, `overloaded_error`, `UNAVAILABLE`: not billed, retried.
    Overload,
    /// HTTP 504 / 408, `timeout`, `DEADLINE_EXCEEDED`: possibly billed, retried.
    Timeout,
    /// The response was produced (and billed) but rejected: bad format, malformed tool call.
    InvalidOutput,
    /// Other 5xx (`server_error`, `api_error`, `INTERNAL`): retried.
    Server,
    /// Non-retryable 4xx (`invalid_request_error`, `context_length_exceeded`, auth, quota).
    Client,
    /// A batch request that expired before it ran (`batch_expired`, Anthropic `expired`).
    Expired,
    /// A cancelled request or batch item.
    Cancelled,
}

impl FailureClass {
    /// Class of an HTTP status ≥ 400 (`None` below 400).
    pub fn from_http(status: u16) -> Option<FailureClass> {
        Some(match status {
            0..=399 => return None,
            429 => FailureClass::RateLimit,
            503 | 529 => FailureClass::Overload,
            408 | 504 => FailureClass::Timeout,
            500..=599 => FailureClass::Server,
            _ => FailureClass::Client,
        })
    }

    /// Class of a provider error code, error type or message, when it names one
    /// (`rate_limit_exceeded`, `overloaded_error`, `RESOURCE_EXHAUSTED`, `"429"`,
    /// `"RateLimitError: Error code: 429"`, `batch_expired`, …). Matching is
    /// case-insensitive and looks for known substrings, because exception names and
    /// messages wrap the codes in free text.
    pub fn from_text(text: &str) -> Option<FailureClass> {
        let t = text.trim().to_ascii_lowercase();
        if t.is_empty() {
            return None;
        }
        // Bare HTTP statuses (`error.type = "429"`).
        if let Ok(code) = t.parse::<u16>() {
            return FailureClass::from_http(code);
        }
        // Quota exhaustion is a 429 that retrying does not fix.
        if t.contains("insufficient_quota") {
            return Some(FailureClass::Client);
        }
        const TABLE: &[(&str, FailureClass)] = &[
            ("rate_limit", FailureClass::RateLimit),
            ("ratelimit", FailureClass::RateLimit),
            ("rate limit", FailureClass::RateLimit),
            ("resource_exhausted", FailureClass::RateLimit),
            ("too many requests", FailureClass::RateLimit),
            ("overloaded", FailureClass::Overload),
            ("unavailable", FailureClass::Overload),
            ("deadline_exceeded", FailureClass::Timeout),
            ("timeout", FailureClass::Timeout),
            ("timed out", FailureClass::Timeout),
            ("expired", FailureClass::Expired),
            ("cancel", FailureClass::Cancelled),
            ("format_error", FailureClass::InvalidOutput),
            ("invalid message format", FailureClass::InvalidOutput),
            ("invalid_output", FailureClass::InvalidOutput),
            ("malformed_function_call", FailureClass::InvalidOutput),
            ("unexpected_tool_call", FailureClass::InvalidOutput),
            ("json_validate_failed", FailureClass::InvalidOutput),
            ("server_error", FailureClass::Server),
            ("api_error", FailureClass::Server),
            ("internal", FailureClass::Server),
            ("apierror", FailureClass::Server),
            ("invalid_request", FailureClass::Client),
            ("context_length_exceeded", FailureClass::Client),
            ("invalid_prompt", FailureClass::Client),
            ("authentication", FailureClass::Client),
            ("permission", FailureClass::Client),
            ("billing", FailureClass::Client),
            ("not_found", FailureClass::Client),
            ("request_too_large", FailureClass::Client),
            ("bad_request", FailureClass::Client),
            ("badrequest", FailureClass::Client),
            ("invalid_argument", FailureClass::Client),
            ("failed_precondition", FailureClass::Client),
            ("permission_denied", FailureClass::Client),
            ("conflict", FailureClass::Client),
        ];
        for (needle, class) in TABLE {
            if t.contains(needle) {
                return Some(*class);
            }
        }
        // "Error code: 503 - …": an embedded HTTP status.
        if let Some(pos) = t.find("code: ") {
            let digits: String = t[pos + 6..]
                .chars()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            if let Ok(code) = digits.parse::<u16>() {
                return FailureClass::from_http(code);
            }
        }
        None
    }

    /// Best class from what a source tells: the most specific text first (an error code
    /// such as `insufficient_quota` overrides its 429 status), then the HTTP status, then
    /// `fallback`.
    pub fn classify(
        http: Option<u16>,
        texts: &[Option<&str>],
        fallback: FailureClass,
    ) -> FailureClass {
        texts
            .iter()
            .flatten()
            .find_map(|t| FailureClass::from_text(t))
            .or_else(|| http.and_then(FailureClass::from_http))
            .unwrap_or(fallback)
    }
}

impl fmt::Display for FailureClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FailureClass::RateLimit => "rate_limit",
            FailureClass::Overload => "overload",
            FailureClass::Timeout => "timeout",
            FailureClass::InvalidOutput => "invalid_output",
            FailureClass::Server => "server",
            FailureClass::Client => "client",
            FailureClass::Expired => "expired",
            FailureClass::Cancelled => "cancelled",
        })
    }
}

/// An input format, named as `--input-format` spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// OpenAI Chat Completions responses (`chat.completion`, stream chunks, error envelopes),
    /// one JSON document or JSONL.
    OpenaiChat,
    /// Request/response log lines `{ts, trace_id, attempt, http_status, request, response, error}`.
    OpenaiLog,
    /// OpenAI Responses API `response` objects.
    OpenaiResponses,
    /// OpenAI Batch input, output and error files (joined on `custom_id`).
    OpenaiBatch,
    /// Anthropic Messages responses and error bodies.
    Anthropic,
    /// Anthropic Message Batches results.
    AnthropicBatch,
    /// Gemini `generateContent` responses (camelCase or snake_case) and error bodies.
    Gemini,
    /// OpenTelemetry GenAI spans, OTLP/JSON or collector file-exporter JSONL.
    Otel,
    /// Messages-only conversations (`{"messages": [...]}`, fine-tuning JSONL); tokens counted.
    Messages,
    /// A CSV usage log with a column mapping.
    UsageCsv,
    /// A JSONL usage log (flat objects) with a column mapping.
    UsageJsonl,
    /// Langfuse observations export (`GET /api/public/observations`).
    Langfuse,
    /// LangSmith runs export (one Run per line).
    Langsmith,
}

impl Format {
    /// Every format, in `--input-format` order.
    pub const ALL: [Format; 13] = [
        Format::OpenaiChat,
        Format::OpenaiLog,
        Format::OpenaiResponses,
        Format::OpenaiBatch,
        Format::Anthropic,
        Format::AnthropicBatch,
        Format::Gemini,
        Format::Otel,
        Format::Messages,
        Format::UsageCsv,
        Format::UsageJsonl,
        Format::Langfuse,
        Format::Langsmith,
    ];

    /// The `--input-format` name.
    pub fn name(self) -> &'static str {
        match self {
            Format::OpenaiChat => "openai_chat",
            Format::OpenaiLog => "openai_log",
            Format::OpenaiResponses => "openai_responses",
            Format::OpenaiBatch => "openai_batch",
            Format::Anthropic => "anthropic",
            Format::AnthropicBatch => "anthropic_batch",
            Format::Gemini => "gemini",
            Format::Otel => "otel",
            Format::Messages => "messages",
            Format::UsageCsv => "usage_csv",
            Format::UsageJsonl => "usage_jsonl",
            Format::Langfuse => "langfuse",
            Format::Langsmith => "langsmith",
        }
    }

    /// All names joined with ", " (for error messages).
    pub fn names() -> String {
        Format::ALL
            .iter()
            .map(|f| f.name())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = IngestError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_lowercase().replace('-', "_");
        Format::ALL
            .iter()
            .copied()
            .find(|f| f.name() == norm)
            .ok_or_else(|| {
                let suggestion =
                    crate::toml_util::closest(&norm, Format::ALL.iter().map(|f| f.name()))
                        .map(|c| format!("did you mean '{c}'? "))
                        .unwrap_or_default();
                IngestError::UnknownFormat {
                    name: s.to_string(),
                    suggestion,
                    known: Format::names(),
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_round_trip() {
        for f in Format::ALL {
            assert_eq!(f.to_string().parse::<Format>().ok(), Some(f));
        }
        assert_eq!(
            "OpenAI-Chat".parse::<Format>().ok(),
            Some(Format::OpenaiChat)
        );
    }

    #[test]
    fn unknown_format_suggests_the_closest_name() {
        let err = "openai_chats"
            .parse::<Format>()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("did you mean 'openai_chat'"), "{err}");
        assert!(err.contains("usage_csv"), "{err}");
    }

    #[test]
    fn finish_reasons_map_across_providers() {
        assert_eq!(Finish::from_reason("stop"), Finish::Stop);
        assert_eq!(Finish::from_reason("end_turn"), Finish::Stop);
        assert_eq!(Finish::from_reason("STOP"), Finish::Stop);
        assert_eq!(Finish::from_reason("length"), Finish::Length);
        assert_eq!(Finish::from_reason("max_tokens"), Finish::Length);
        assert_eq!(Finish::from_reason("MAX_TOKENS"), Finish::Length);
        assert_eq!(Finish::from_reason("tool_calls"), Finish::ToolCalls);
        assert_eq!(Finish::from_reason("tool_use"), Finish::ToolCalls);
        assert_eq!(Finish::from_reason("SAFETY"), Finish::ContentFilter);
        assert_eq!(Finish::from_reason("weird"), Finish::Other);
    }

    #[test]
    fn failure_classes_follow_the_status_tables() {
        use FailureClass::*;
        assert_eq!(FailureClass::from_http(429), Some(RateLimit));
        assert_eq!(FailureClass::from_http(529), Some(Overload));
        assert_eq!(FailureClass::from_http(503), Some(Overload));
        assert_eq!(FailureClass::from_http(504), Some(Timeout));
        assert_eq!(FailureClass::from_http(500), Some(Server));
        assert_eq!(FailureClass::from_http(400), Some(Client));
        assert_eq!(FailureClass::from_http(200), None);
        assert_eq!(
            FailureClass::from_text("rate_limit_exceeded"),
            Some(RateLimit)
        );
        assert_eq!(
            FailureClass::from_text("RESOURCE_EXHAUSTED"),
            Some(RateLimit)
        );
        assert_eq!(FailureClass::from_text("overloaded_error"), Some(Overload));
        assert_eq!(FailureClass::from_text("UNAVAILABLE"), Some(Overload));
        assert_eq!(FailureClass::from_text("DEADLINE_EXCEEDED"), Some(Timeout));
        assert_eq!(FailureClass::from_text("429"), Some(RateLimit));
        assert_eq!(FailureClass::from_text("batch_expired"), Some(Expired));
        assert_eq!(FailureClass::from_text("canceled"), Some(Cancelled));
        assert_eq!(FailureClass::from_text("insufficient_quota"), Some(Client));
        assert_eq!(
            FailureClass::from_text("Error code: 502 - bad gateway"),
            Some(Server)
        );
        assert_eq!(FailureClass::from_text("something odd"), None);
        assert_eq!(
            FailureClass::classify(Some(429), &[Some("insufficient_quota")], Server),
            Client
        );
        assert_eq!(
            FailureClass::classify(Some(500), &[None, Some("??")], Client),
            Server
        );
    }
}
