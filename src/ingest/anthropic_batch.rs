//! Anthropic Message Batches results (transcript-formats.md §5): one line per request,
//! `{custom_id, result: {type: succeeded | errored | expired | canceled, …}}`. Each result is
//! its own session keyed by `custom_id` (results are unordered) and tagged `batch`.

use serde::Deserialize;

use super::anthropic::{self, Message};
use super::json::{self, Item};
use super::record::{CallRecord, FailureClass, Finish, Format, Status};
use super::{Cx, Fail, Parser};

#[derive(Deserialize)]
struct Line {
    #[serde(default)]
    custom_id: Option<String>,
    #[serde(default)]
    result: Option<BatchResult>,
}

#[derive(Deserialize)]
struct BatchResult {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    message: Option<Message>,
    /// An error body `{"type": "error", "error": {type, message}}`.
    #[serde(default)]
    error: Option<Message>,
}

pub(crate) struct AnthropicBatchParser;

fn failed(class: FailureClass) -> CallRecord {
    let mut r = CallRecord::new(Format::AnthropicBatch);
    r.status = Status::Failed(class);
    r.finish = Finish::Other;
    r
}

impl Parser for AnthropicBatchParser {
    fn item(&mut self, item: Item<'_>, cx: &mut Cx<'_>) -> Result<(), Fail> {
        let l: Line = json::parse(item)?;
        let Some(id) = l.custom_id else {
            return Err(Fail::Bad("no custom_id".into()));
        };
        let Some(res) = l.result else {
            return Err(Fail::Bad("no result".into()));
        };
        let mut r = match res.kind.as_deref() {
            Some("succeeded") => match &res.message {
                Some(m) => anthropic::record(m, cx.opts.usage_convention)?,
                None => return Err(Fail::Bad("succeeded result without a message".into())),
            },
            Some("errored") => {
                let class = res
                    .error
                    .as_ref()
                    .and_then(|e| e.error.as_ref())
                    .map_or(FailureClass::Server, anthropic::ErrorDetail::class);
                failed(class)
            }
            Some("expired") => failed(FailureClass::Expired),
            Some("canceled" | "cancelled") => failed(FailureClass::Cancelled),
            other => return Err(Fail::Bad(format!("unknown result type {other:?}"))),
        };
        r.batch = true;
        r.request_key = Some(id.clone());
        r.session = Some(id);
        cx.emit(r);
        Ok(())
    }
}
