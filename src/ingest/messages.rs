//! Messages-only conversations (transcript-formats.md §8): OpenAI fine-tuning chat JSONL
//! `{"messages": [...], "tools": [...]}`, and tau-bench trajectories `{"traj": [...]}`.
//! No usage is recorded, so tokens are counted with the tokenizer ([`super::tokens`]).
//!
//! Every assistant message is one call. For assistant message k:
//! - input = every message before it by the `num_tokens_from_messages` rules (3 per
//!   message + role + content + name + tool calls, + 3 reply priming), plus the cookbook
//!   estimate of the tool definitions the request would have carried;
//! - output = its content and its tool-call names and arguments;
//! - tool calls = its `tool_calls` (finish `ToolCalls` when there are any).
//!
//! Conversations are parsed in order and tokenised in parallel (rayon) in batches, so memory
//! stays bounded by the batch. Hidden reasoning tokens cannot be recovered from text.

use rayon::prelude::*;
use serde_json::Value;

use super::json::{self, Item};
use super::record::{CallRecord, Finish, Format};
use super::sink::Aux;
use super::tokens::{self, ChatMessage, Tokenizer};
use super::{Cx, Fail, Parser};
use crate::usage::CallTokens;

/// Conversations per parallel batch.
const BATCH_CONVERSATIONS: usize = 256;
/// Message text bytes per parallel batch (a batch is flushed once it holds this much).
const BATCH_BYTES: usize = 8 << 20;

struct Conversation {
    line: u64,
    /// Index within the line (a line may hold an array of conversations).
    sub: usize,
    model: Option<String>,
    messages: Vec<ChatMessage>,
    tools: Vec<Value>,
}

pub(crate) struct MessagesParser {
    tokenizer: Tokenizer,
    batch: Vec<Conversation>,
    batch_bytes: usize,
    last_line: u64,
    sub: usize,
}

impl MessagesParser {
    pub(crate) fn new(tokenizer: Tokenizer) -> Self {
        Self {
            tokenizer,
            batch: Vec::new(),
            batch_bytes: 0,
            last_line: 0,
            sub: 0,
        }
    }

    fn flush(&mut self, cx: &mut Cx<'_>) {
        if self.batch.is_empty() {
            return;
        }
        let tok = self.tokenizer;
        tok.warm();
        let batch = std::mem::take(&mut self.batch);
        self.batch_bytes = 0;
        let counted: Vec<Vec<(usize, CallTokens)>> =
            batch.par_iter().map(|c| count(tok, c)).collect();
        for (c, calls) in batch.iter().zip(counted) {
            for (turn, (msg_idx, tokens)) in calls.into_iter().enumerate() {
                let Some(m) = c.messages.get(msg_idx) else {
                    continue;
                };
                let mut r = CallRecord::new(Format::Messages);
                r.session = Some(if c.sub == 0 {
                    format!("{}:{}", cx.file, c.line)
                } else {
                    format!("{}:{}:{}", cx.file, c.line, c.sub)
                });
                r.turn = u32::try_from(turn).ok();
                r.model.clone_from(&c.model);
                r.tokens = Some(tokens);
                r.tokens_counted = true;
                r.tool_calls = u32::try_from(m.tool_calls.len()).unwrap_or(u32::MAX);
                r.finish = if r.tool_calls > 0 {
                    Finish::ToolCalls
                } else {
                    Finish::Stop
                };
                cx.emit_at(c.line, r, Aux::default());
            }
        }
    }
}

/// Token counts of every assistant call in a conversation: (message index, tokens).
fn count(tok: Tokenizer, c: &Conversation) -> Vec<(usize, CallTokens)> {
    let tools = tokens::tools_tokens(tok, &c.tools);
    let mut prefix = 0u64;
    let mut out = Vec::new();
    for (i, m) in c.messages.iter().enumerate() {
        if m.role == "assistant" {
            let input = prefix + tokens::REPLY_PRIMING + tools;
            let output = tokens::output_tokens(tok, m);
            out.push((
                i,
                CallTokens {
                    input: input as f64,
                    cache_read: 0.0,
                    cache_write: 0.0,
                    output: output as f64,
                    reasoning: 0.0,
                },
            ));
        }
        prefix += tokens::message_tokens(tok, m);
    }
    out
}

impl Parser for MessagesParser {
    fn item(&mut self, item: Item<'_>, cx: &mut Cx<'_>) -> Result<(), Fail> {
        let v: Value = match item {
            Item::Bytes(b) => serde_json::from_slice(b).map_err(|e| json::reason(&e))?,
            Item::Value(v) => v,
        };
        // Take the parts out of the value rather than copying them: a message can be as long
        // as the line (64 MiB).
        let Value::Object(mut obj) = v else {
            return Err(Fail::Bad("no \"messages\" array".into()));
        };
        let Some(Value::Array(list)) = obj.remove("messages").or_else(|| obj.remove("traj")) else {
            return Err(Fail::Bad("no \"messages\" array".into()));
        };
        let mut messages = Vec::with_capacity(list.len());
        let mut bytes = 0;
        for (i, m) in list.into_iter().enumerate() {
            match ChatMessage::from_value(m) {
                Some(m) => {
                    bytes += m.text_bytes();
                    messages.push(m);
                }
                None => {
                    return Err(Fail::Bad(format!(
                        "message {} has no string \"role\"",
                        i + 1
                    )));
                }
            }
        }
        let mut tools: Vec<Value> = Vec::new();
        for key in ["tools", "functions"] {
            if let Some(Value::Array(a)) = obj.remove(key) {
                tools.extend(a);
            }
        }
        // Several items on one line (an array line) need distinct session ids.
        self.sub = if cx.line == self.last_line {
            self.sub + 1
        } else {
            0
        };
        self.last_line = cx.line;
        let model = match obj.remove("model") {
            Some(Value::String(m)) => Some(m),
            _ => None,
        };
        self.batch.push(Conversation {
            line: cx.line,
            sub: self.sub,
            model,
            messages,
            tools,
        });
        self.batch_bytes += bytes;
        if self.batch.len() >= BATCH_CONVERSATIONS || self.batch_bytes >= BATCH_BYTES {
            self.flush(cx);
        }
        Ok(())
    }

    fn end(&mut self, cx: &mut Cx<'_>) -> Result<(), Fail> {
        self.flush(cx);
        Ok(())
    }
}
