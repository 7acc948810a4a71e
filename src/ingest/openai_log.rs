//! Request/response log lines (transcript-formats.md §2 "Request/response log JSONL"): one
//! attempt per line, `{ts, trace_id, attempt, http_status, latency_ms, request, response,
//! error}`. A failed attempt has `response: null` and an `error`; a retry repeats the same
//! request with a higher `attempt`. The response may be a Chat Completion or a Responses
//! API object.
//!
//! The request body gives the model asked for, the output cap (`max_completion_tokens`,
//! `max_tokens`, `max_output_tokens`) and the request key (a hash of the body), so retries
//! are recognised even without `attempt`.

use serde::Deserialize;
use serde_json::Value;

use super::json::{self, Item};
use super::openai_chat::{self, ChatCompletion, ErrorBody};
use super::openai_responses::{self, ResponseObject};
use super::record::{CallRecord, FailureClass, Finish, Format, Status};
use super::{Cx, Fail, Parser};

#[derive(Deserialize)]
struct LogLine {
    #[serde(default, alias = "timestamp", alias = "time")]
    ts: Option<Value>,
    #[serde(default, alias = "conversation_id", alias = "session_id")]
    trace_id: Option<String>,
    #[serde(default)]
    attempt: Option<u32>,
    #[serde(default, alias = "status_code")]
    http_status: Option<u16>,
    #[serde(default)]
    request: Option<Value>,
    #[serde(default)]
    response: Option<Value>,
    #[serde(default)]
    error: Option<ErrorBody>,
}

/// Output cap of a request body, in tokens.
pub(crate) fn request_max_tokens(req: &Value) -> Option<u64> {
    ["max_completion_tokens", "max_tokens", "max_output_tokens"]
        .iter()
        .find_map(|k| req.get(k).and_then(json::lenient_u64))
}

/// Timestamp from a string (ISO) or number (unix seconds, or milliseconds above 1e11).
pub(crate) fn time_value(v: &Value) -> Option<f64> {
    match v {
        Value::String(s) => json::parse_time(s),
        Value::Number(n) => n.as_f64().map(|x| if x > 1e11 { x / 1000.0 } else { x }),
        _ => None,
    }
}

pub(crate) struct LogParser;

impl Parser for LogParser {
    fn item(&mut self, item: Item<'_>, cx: &mut Cx<'_>) -> Result<(), Fail> {
        let l: LogLine = json::parse(item)?;
        let failed_http = l.http_status.filter(|s| *s >= 400);
        let mut r = match (&l.response, failed_http) {
            (Some(resp), None) if !resp.is_null() => {
                if resp.get("object").and_then(Value::as_str) == Some("response") {
                    let resp = ResponseObject::deserialize(resp).map_err(|e| json::reason(&e))?;
                    openai_responses::record(&resp, cx.opts.usage_convention)?
                } else {
                    let resp = ChatCompletion::deserialize(resp).map_err(|e| json::reason(&e))?;
                    openai_chat::record(&resp, cx.opts.usage_convention)?
                }
            }
            _ => {
                if l.error.is_none() && failed_http.is_none() {
                    return Err(Fail::Bad("neither a response nor an error".into()));
                }
                let mut r = CallRecord::new(Format::OpenaiLog);
                let class = match &l.error {
                    Some(e) => e.class(failed_http, FailureClass::Server),
                    None => failed_http
                        .and_then(FailureClass::from_http)
                        .unwrap_or(FailureClass::Server),
                };
                r.status = Status::Failed(class);
                r.finish = Finish::Other;
                r
            }
        };
        if let Some(req) = &l.request {
            r.max_output_tokens = request_max_tokens(req);
            if r.model.is_none() {
                r.model = req.get("model").and_then(Value::as_str).map(str::to_string);
            }
            // The request as logged (key order preserved) identifies the attempt's request.
            r.request_key = serde_json::to_vec(req).ok().map(|b| json::request_key(&b));
        }
        if let Some(t) = l.ts.as_ref().and_then(time_value) {
            r.timestamp = Some(t);
        }
        r.session = l.trace_id;
        r.attempt = l.attempt;
        cx.emit(r);
        Ok(())
    }
}
