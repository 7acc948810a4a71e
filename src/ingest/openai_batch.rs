//! OpenAI Batch API files (transcript-formats.md §4), read with one parser:
//!
//! - input lines `{custom_id, method, url, body}` give each request's model and output cap;
//!   they produce no records (a request is not a call until it has a result);
//! - output and error-file lines `{id, custom_id, response: {status_code, body} | null,
//!   error}` produce one record each. Output order is arbitrary, so every record is its own
//!   session keyed by `custom_id`, and the request parameters are joined on `custom_id`
//!   after all files are read (pass the input file with the results).
//!
//! Failures: `response.status_code ≥ 400` with an error envelope in the body, or
//! `response: null` with `error.code` (`batch_expired` → [`FailureClass::Expired`]).

use serde::Deserialize;
use serde_json::Value;

use super::json::{self, Item};
use super::openai_chat::{self, ChatCompletion, ChatUsage, ErrorBody};
use super::openai_log::request_max_tokens;
use super::openai_responses::{self, ResponseObject};
use super::record::{CallRecord, FailureClass, Finish, Format, Status};
use super::sink::BatchRequest;
use super::{Cx, Fail, Parser};
use crate::usage::UsageConvention;

#[derive(Deserialize)]
struct BatchLine {
    #[serde(default)]
    custom_id: Option<String>,
    /// Input lines only.
    #[serde(default)]
    body: Option<Value>,
    #[serde(default)]
    response: Option<BatchResponse>,
    #[serde(default)]
    error: Option<ErrorBody>,
}

#[derive(Deserialize)]
struct BatchResponse {
    #[serde(default)]
    status_code: Option<u16>,
    #[serde(default)]
    body: Option<Value>,
}

pub(crate) struct BatchParser;

fn result_record(
    status: u16,
    body: Option<&Value>,
    conv: Option<UsageConvention>,
) -> Result<CallRecord, Fail> {
    if let Some(class) = FailureClass::from_http(status) {
        let err = body
            .and_then(|b| ErrorBody::deserialize(b).ok())
            .unwrap_or_default();
        let mut r = CallRecord::new(Format::OpenaiBatch);
        r.status = Status::Failed(err.class(Some(status), class));
        r.finish = Finish::Other;
        return Ok(r);
    }
    let Some(body) = body else {
        return Err(Fail::Bad(format!("status {status} without a body")));
    };
    let r = match body.get("object").and_then(Value::as_str) {
        Some("response") => openai_responses::record(
            &ResponseObject::deserialize(body).map_err(|e| json::reason(&e))?,
            conv,
        )?,
        // Embeddings: input tokens only.
        Some("list") => {
            let mut r = CallRecord::new(Format::OpenaiBatch);
            let usage = body
                .get("usage")
                .map(ChatUsage::deserialize)
                .transpose()
                .map_err(|e| json::reason(&e))?;
            r.tokens = usage.map(|u| u.tokens(conv)).transpose()?;
            r
        }
        _ => openai_chat::record(
            &ChatCompletion::deserialize(body).map_err(|e| json::reason(&e))?,
            conv,
        )?,
    };
    Ok(r)
}

impl Parser for BatchParser {
    fn item(&mut self, item: Item<'_>, cx: &mut Cx<'_>) -> Result<(), Fail> {
        let l: BatchLine = json::parse(item)?;
        let Some(id) = l.custom_id else {
            return Err(Fail::Bad("no custom_id".into()));
        };
        if let Some(body) = &l.body {
            let req = BatchRequest {
                model: body
                    .get("model")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                max_output_tokens: request_max_tokens(body),
            };
            cx.joins().batch_requests.insert(id, req);
            return Ok(());
        }
        let mut r = match (&l.response, &l.error) {
            (Some(resp), _) => result_record(
                resp.status_code.unwrap_or(200),
                resp.body.as_ref(),
                cx.opts.usage_convention,
            )?,
            (None, Some(err)) => {
                let mut r = CallRecord::new(Format::OpenaiBatch);
                r.status = Status::Failed(err.class(None, FailureClass::Server));
                r.finish = Finish::Other;
                r
            }
            (None, None) => {
                return Err(Fail::Bad("neither response, error nor request body".into()));
            }
        };
        r.batch = true;
        r.request_key = Some(id.clone());
        r.session = Some(id);
        cx.emit(r);
        Ok(())
    }
}
