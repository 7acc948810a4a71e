//! Artifacts: the files a team has before launch — the system prompt, the tool definitions — read,
//! recognised and counted, so a scenario prices the prompt it ships instead of a hand-counted
//! number (`[workload] system_prompt = { file = "prompts/support.md" }`, `tools = { file =
//! "tools.json" }`) and `billcast tokens` can report their size per model.
//!
//! Three kinds of file are read:
//! - **text** (plain or Markdown): the tokens of the text itself, no message framing, so a file of
//!   N tokens bills exactly like `system_prompt_tokens = N`;
//! - **messages** (a JSON array of `{role, content}` messages, or `{"messages": [...]}`: system,
//!   developer and few-shot messages sent before every conversation): the
//!   `num_tokens_from_messages` rules per message (3 + role + content + name), without the 3
//!   reply-priming tokens, which every call pays whatever its prefix;
//! - **tool definitions**: OpenAI tools (`{"type": "function", "function": {...}}`, the flat
//!   Responses-API form, or legacy `functions`) or Anthropic tools (`{"name", "description",
//!   "input_schema"}`), told apart by their keys.
//!
//! Counts are in tokens of a [`Tokenizer`] (o200k_base, the reference, or cl100k_base), and
//! cached per artifact: a scenario loaded once counts each file at most once per encoding.
//! [`Counting::for_route`] says how a route's model tokens follow from them: exactly when the
//! route's tokenizer is one billcast can run, else the reference count × the route's tokenizer
//! ratio (an estimate, said so wherever it is shown).

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde_json::Value;

use crate::ingest::tokens::{self, ChatMessage, Tokenizer};
use crate::units::format_count;

/// Largest artifact read, bytes (16 MiB: the largest context windows hold about 4 MiB of text,
/// so anything bigger is not a prompt; the cap bounds memory and counting time).
pub const MAX_BYTES: u64 = 16 << 20;

/// A file that cannot be used as an artifact: the message names the file and the fix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ArtifactError {
    /// The file as named by the user.
    pub path: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Plain text or Markdown.
    Text,
    /// Chat messages (system, developer, few-shot).
    Messages,
    /// Tool definitions in the given format.
    Tools(ToolFormat),
}

/// The format of a tool-definition file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolFormat {
    /// OpenAI function tools (Chat Completions, Responses, or legacy `functions`).
    OpenAi,
    /// Anthropic tool definitions (`input_schema`), including server tools.
    Anthropic,
}

impl Kind {
    /// Short name for tables: `text`, `messages`, `OpenAI tools`, `Anthropic tools`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Messages => "messages",
            Kind::Tools(ToolFormat::OpenAi) => "OpenAI tools",
            Kind::Tools(ToolFormat::Anthropic) => "Anthropic tools",
        }
    }
}

/// What a caller expects a file to be; anything else is an error saying which key takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// `system_prompt = { file = … }`: text, Markdown or messages.
    SystemPrompt,
    /// `tools = { file = … }`: tool definitions.
    Tools,
    /// `billcast tokens`: any of the three.
    Any,
}

#[derive(Debug)]
enum Body {
    Text(String),
    Messages(Vec<ChatMessage>),
    Tools {
        /// As written (counted as compact JSON where no serialisation is documented).
        raw: Vec<Value>,
        /// In OpenAI's chat shape, for the cookbook count.
        openai: Vec<Value>,
    },
}

/// Cached counts: `[o200k, cl100k]`.
#[derive(Debug, Default)]
struct Counts {
    main: [OnceLock<u64>; 2],
    schema_json: [OnceLock<u64>; 2],
}

#[derive(Debug)]
struct Inner {
    body: Body,
    counts: Counts,
}

/// A read and recognised artifact. Cloning is cheap (the content is shared).
#[derive(Debug, Clone)]
pub struct Artifact {
    /// The path as written by the user (relative to the scenario file in a scenario).
    pub label: String,
    /// The path read.
    pub path: PathBuf,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
    /// Size, bytes.
    pub bytes: u64,
    /// What it holds.
    pub kind: Kind,
    inner: Arc<Inner>,
}

impl PartialEq for Artifact {
    /// Same file content under the same name.
    fn eq(&self, other: &Self) -> bool {
        self.label == other.label && self.sha256 == other.sha256 && self.kind == other.kind
    }
}

fn slot(tok: Tokenizer) -> Option<usize> {
    match tok {
        Tokenizer::O200kBase => Some(0),
        Tokenizer::Cl100kBase => Some(1),
        Tokenizer::Whitespace => None,
    }
}

impl Artifact {
    /// Read `path` (named `label` in messages) and recognise it as `expect` allows.
    ///
    /// # Errors
    /// [`ArtifactError`] naming the file for a missing or unreadable file, a folder, a file
    /// over [`MAX_BYTES`], a binary or non-UTF-8 file, invalid JSON in a `.json` file, JSON that
    /// is neither messages nor tool definitions, an invalid tool definition, or a kind that
    /// `expect` does not take.
    pub fn read(path: &Path, label: &str, expect: Expect) -> Result<Artifact, ArtifactError> {
        let bad = |message: String| ArtifactError {
            path: label.to_string(),
            message,
        };
        let meta = std::fs::metadata(path).map_err(|e| {
            bad(if e.kind() == std::io::ErrorKind::NotFound {
                "no such file; check the path".to_string()
            } else {
                format!("cannot read it: {e}")
            })
        })?;
        if meta.is_dir() {
            return Err(bad(
                "is a folder; give the file itself (e.g. prompts/system.md or tools.json)".into(),
            ));
        }
        if meta.len() > MAX_BYTES {
            return Err(bad(format!(
                "is {} bytes; an artifact is at most {} bytes (16 MiB — no context window holds more), so give the prompt or tool file itself",
                format_count(meta.len() as f64),
                format_count(MAX_BYTES as f64)
            )));
        }
        let bytes = std::fs::read(path).map_err(|e| bad(format!("cannot read it: {e}")))?;
        Artifact::from_bytes(path, label, &bytes, expect)
    }

    /// [`Artifact::read`] on bytes already read (`path` is recorded, not opened).
    ///
    /// # Errors
    /// As [`Artifact::read`], apart from the file-system ones.
    pub fn from_bytes(
        path: &Path,
        label: &str,
        bytes: &[u8],
        expect: Expect,
    ) -> Result<Artifact, ArtifactError> {
        let bad = |message: String| ArtifactError {
            path: label.to_string(),
            message,
        };
        let sha256 = crate::pricing::book::sha256_hex(bytes);
        if bytes.contains(&0) {
            return Err(bad(
                "is a binary file (it contains NUL bytes); give the prompt as UTF-8 text or Markdown, or the tools as JSON".into(),
            ));
        }
        let text = std::str::from_utf8(bytes).map_err(|e| {
            bad(format!(
                "is not UTF-8 text (invalid byte at offset {}); save it as UTF-8 (text, Markdown or JSON)",
                e.valid_up_to()
            ))
        })?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let text_ext = matches!(ext.as_str(), "md" | "markdown" | "txt" | "text" | "prompt");
        let json_ext = matches!(ext.as_str(), "json" | "jsonl");
        let looks_json = matches!(text.trim_start().chars().next(), Some('{' | '['));
        let (kind, body) = if text_ext || !(json_ext || looks_json) {
            if expect == Expect::Tools {
                return Err(bad(not_tools_message("is text")));
            }
            (Kind::Text, Body::Text(text.to_string()))
        } else {
            match serde_json::from_str::<Value>(text) {
                Ok(v) => classify(&v, expect).map_err(bad)?,
                Err(e) if json_ext || expect == Expect::Tools => {
                    return Err(bad(format!(
                        "is not valid JSON (line {}, column {}: {}); fix the JSON{}",
                        e.line(),
                        e.column(),
                        e.to_string().split(" at line").next().unwrap_or(""),
                        if expect == Expect::Tools {
                            ""
                        } else {
                            ", or rename it .md/.txt to count it as text"
                        }
                    )));
                }
                // Text that merely starts with a bracket.
                Err(_) => (Kind::Text, Body::Text(text.to_string())),
            }
        };
        Ok(Artifact {
            label: label.to_string(),
            path: path.to_path_buf(),
            sha256,
            bytes: bytes.len() as u64,
            kind,
            inner: Arc::new(Inner {
                body,
                counts: Counts::default(),
            }),
        })
    }

    /// Number of tool definitions (0 for text and messages).
    pub fn tool_count(&self) -> usize {
        match &self.inner.body {
            Body::Tools { raw, .. } => raw.len(),
            _ => 0,
        }
    }

    /// Number of messages (0 for text and tools).
    pub fn message_count(&self) -> usize {
        match &self.inner.body {
            Body::Messages(m) => m.len(),
            _ => 0,
        }
    }

    fn cached(&self, cell: &[OnceLock<u64>; 2], tok: Tokenizer, f: impl FnOnce() -> u64) -> u64 {
        match slot(tok) {
            Some(i) => *cell[i].get_or_init(f),
            None => f(),
        }
    }

    /// Tokens of the artifact in `tok`: the text; the messages with their framing; for tool
    /// definitions, OpenAI's cookbook count (`tools_tokens`: how OpenAI injects function
    /// definitions into the system message, an approximation OpenAI publishes).
    pub fn tokens(&self, tok: Tokenizer) -> u64 {
        self.cached(&self.inner.counts.main, tok, || match &self.inner.body {
            Body::Text(t) => tok.count(t),
            Body::Messages(ms) => ms.iter().map(|m| tokens::message_tokens(tok, m)).sum(),
            Body::Tools { openai, .. } => tokens::tools_tokens(tok, openai),
        })
    }

    /// Tool definitions only: the tokens of their JSON as written (compact), in `tok` — the
    /// count used where no provider documents how definitions are serialised. For text and
    /// messages, [`Artifact::tokens`].
    pub fn schema_json_tokens(&self, tok: Tokenizer) -> u64 {
        match &self.inner.body {
            Body::Tools { raw, .. } => self.cached(&self.inner.counts.schema_json, tok, || {
                raw.iter().map(|t| tok.count(&t.to_string())).sum()
            }),
            _ => self.tokens(tok),
        }
    }

    /// Model tokens of the artifact on a route counted as `c` (tool definitions: the cookbook
    /// count when exact, the schema JSON × ratio when estimated), with how they were obtained.
    pub fn route_tokens(&self, c: Counting) -> (u64, String) {
        let tools = matches!(self.kind, Kind::Tools(_));
        match c {
            Counting::Exact(tok) if tools => (
                self.tokens(tok),
                format!(
                    "exact: the function definitions as OpenAI injects them (cookbook count, {})",
                    tok.name()
                ),
            ),
            Counting::Exact(tok) => (self.tokens(tok), format!("exact ({})", tok.name())),
            Counting::Estimated { ratio } => {
                let (base, what) = if tools {
                    (
                        self.schema_json_tokens(Tokenizer::O200kBase),
                        "schema JSON, as no source documents how this provider serialises tool definitions: ",
                    )
                } else {
                    (self.tokens(Tokenizer::O200kBase), "")
                };
                (
                    scale(base, ratio),
                    format!(
                        "estimated: {what}{} o200k_base tokens × tokenizer ratio {ratio:.2}",
                        format_count(base as f64)
                    ),
                )
            }
        }
    }

    /// Whether it holds tool definitions.
    pub fn is_tools(&self) -> bool {
        matches!(self.kind, Kind::Tools(_))
    }

    /// What it holds: `text`, `3 messages`, `4 Anthropic tool definitions`.
    pub fn describe(&self) -> String {
        match self.kind {
            Kind::Text => "text".to_string(),
            Kind::Messages => format!("{} messages", self.message_count()),
            Kind::Tools(_) => format!(
                "{} {} definition{}",
                self.tool_count(),
                self.kind.name().trim_end_matches('s'),
                if self.tool_count() == 1 { "" } else { "s" }
            ),
        }
    }
}

/// `ceil(base × ratio)`: model tokens from reference tokens (whole tokens, rounding up as the
/// engine does for sampled sizes).
fn scale(base: u64, ratio: f64) -> u64 {
    let x = (base as f64 * ratio).ceil();
    if x.is_finite() && x >= 0.0 {
        x as u64
    } else {
        0
    }
}

/// How a route's model tokens follow from an artifact.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Counting {
    /// Counted with the model's own tokenizer.
    Exact(Tokenizer),
    /// The o200k_base count × the route's tokenizer ratio.
    Estimated {
        /// Model tokens per o200k_base token.
        ratio: f64,
    },
}

impl Counting {
    /// The counting of a route whose price table names tokenizer `family` (e.g. `o200k_base`,
    /// `anthropic-2026`) and ratio `ratio`; `ratio_overridden` when the scenario sets its own
    /// `tokenizer_ratio` (then the user's ratio is applied to the reference count).
    pub fn for_route(family: Option<&str>, ratio: f64, ratio_overridden: bool) -> Counting {
        if !ratio_overridden && let Some(f) = family {
            match f {
                "o200k_base" => return Counting::Exact(Tokenizer::O200kBase),
                "cl100k_base" => return Counting::Exact(Tokenizer::Cl100kBase),
                _ => {}
            }
        }
        Counting::Estimated { ratio }
    }

    /// Whether the count is exact.
    pub fn is_exact(self) -> bool {
        matches!(self, Counting::Exact(_))
    }
}

/// One artifact's size on one route, as reported.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RouteTokens {
    /// Route name.
    pub route: String,
    /// `provider/model`.
    pub model: String,
    /// Model tokens of the artifact on this route.
    pub tokens: u64,
    /// Counted with the model's tokenizer (else estimated from the o200k_base count).
    pub exact: bool,
    /// How `tokens` was obtained.
    pub method: String,
    /// Tool definitions only: the provider's hidden tool-use system prompt added to every call
    /// that offers tools, model tokens (0 when none is documented).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub tool_overhead_tokens: u64,
    /// Where the tool-use overhead comes from, or why there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_overhead: Option<String>,
}

fn is_zero(x: &u64) -> bool {
    *x == 0
}

impl RouteTokens {
    /// The size of artifact `a` on route `route` of `model`, counted as `counting`; for tool
    /// definitions plus the provider's tool-use system prompt `tool_overhead` (model tokens per
    /// call that offers tools; `None` when no source gives one: none is counted, and the row
    /// says so).
    pub fn of(
        a: &Artifact,
        route: &str,
        model: &str,
        counting: Counting,
        tool_overhead: Option<u64>,
    ) -> RouteTokens {
        let (tokens, method) = a.route_tokens(counting);
        let (tool_overhead_tokens, tool_overhead) = match (a.is_tools(), tool_overhead) {
            (false, _) => (0, None),
            (true, Some(n)) => (n, Some(format!("price table of {model}"))),
            (true, None) => (
                0,
                Some(format!("none counted: no source gives one for {model}")),
            ),
        };
        RouteTokens {
            route: route.to_string(),
            model: model.to_string(),
            tokens,
            exact: counting.is_exact(),
            method,
            tool_overhead_tokens,
            tool_overhead,
        }
    }

    /// Model tokens the artifact adds to every call's prefix on this route.
    pub fn total(&self) -> u64 {
        self.tokens + self.tool_overhead_tokens
    }

    /// One line for the assumptions table.
    pub fn describe(&self) -> String {
        match &self.tool_overhead {
            None => format!(
                "{} tokens ({})",
                format_count(self.tokens as f64),
                self.method
            ),
            Some(why) => format!(
                "{} tokens a call: definitions {} ({}) + tool-use system prompt {} ({why})",
                format_count(self.total() as f64),
                format_count(self.tokens as f64),
                self.method,
                format_count(self.tool_overhead_tokens as f64)
            ),
        }
    }
}

/// The tool-definition formats, for messages.
const TOOL_FORMATS: &str = "a JSON array of OpenAI tools ({\"type\": \"function\", \"function\": {\"name\": …, \"parameters\": {…}}}) or Anthropic tools ({\"name\": …, \"input_schema\": {…}})";

fn not_tools_message(what: &str) -> String {
    format!("{what}, not tool definitions; tools = {{ file = … }} takes {TOOL_FORMATS}")
}

/// What a parsed JSON file is, checked against `expect`.
fn classify(v: &Value, expect: Expect) -> Result<(Kind, Body), String> {
    // Unwrap {"tools": [...]}, {"functions": [...]}, {"messages": [...]}.
    let (list, wrapper): (Vec<Value>, Option<&str>) = match v {
        Value::Array(a) => (a.clone(), None),
        Value::Object(o) => {
            let keys: Vec<&str> = ["messages", "tools", "functions"]
                .into_iter()
                .filter(|k| o.get(*k).is_some_and(Value::is_array))
                .collect();
            match keys.as_slice() {
                [k] => (o[*k].as_array().cloned().unwrap_or_default(), Some(*k)),
                [] if o.contains_key("name") => (vec![v.clone()], None),
                [] => {
                    return Err(match expect {
                        Expect::Tools => not_tools_message("is a JSON object"),
                        _ => "is a JSON object but neither messages nor tool definitions; give an array of {\"role\", \"content\"} messages (or {\"messages\": [...]}), or a .md/.txt file for plain text".into(),
                    });
                }
                _ => {
                    return Err(format!(
                        "holds both {}; put the messages and the tools in separate files (system_prompt = {{ file = … }} and tools = {{ file = … }})",
                        keys.join(" and ")
                    ));
                }
            }
        }
        _ => {
            return Err(match expect {
                Expect::Tools => not_tools_message("is a single JSON value"),
                _ => "is a single JSON value; give an array of {\"role\", \"content\"} messages, or a .md/.txt file for plain text".into(),
            });
        }
    };
    if list.is_empty() {
        return Err(format!(
            "is an empty {} list; give at least one entry, or remove the key",
            wrapper.unwrap_or("JSON")
        ));
    }
    let is_message = |x: &Value| x.get("role").is_some_and(Value::is_string);
    let messages =
        wrapper == Some("messages") || (wrapper.is_none() && list.iter().all(is_message));
    if messages {
        if expect == Expect::Tools {
            return Err(not_tools_message("holds chat messages"));
        }
        let mut out = Vec::with_capacity(list.len());
        for (i, m) in list.iter().enumerate() {
            match ChatMessage::from_json(m) {
                Some(m) => out.push(m),
                None => {
                    return Err(format!(
                        "message {} has no string \"role\"; every message needs {{\"role\": \"system\" | \"developer\" | \"user\" | \"assistant\", \"content\": …}}",
                        i + 1
                    ));
                }
            }
        }
        return Ok((Kind::Messages, Body::Messages(out)));
    }
    if expect == Expect::SystemPrompt {
        return Err(if list.iter().any(|x| x.get("name").is_some()) {
            "holds tool definitions, not a system prompt; give them with tools = { file = … }"
                .into()
        } else {
            "is JSON but not a list of messages; give an array of {\"role\", \"content\"} messages (or {\"messages\": [...]}), or a .md/.txt file for plain text".into()
        });
    }
    tools_body(&list).map(|(f, openai)| {
        (
            Kind::Tools(f),
            Body::Tools {
                raw: list.clone(),
                openai,
            },
        )
    })
}

/// Check tool definitions and put them in OpenAI's chat shape for the cookbook count.
fn tools_body(list: &[Value]) -> Result<(ToolFormat, Vec<Value>), String> {
    let mut format: Option<ToolFormat> = None;
    let mut openai = Vec::with_capacity(list.len());
    for (i, t) in list.iter().enumerate() {
        let n = i + 1;
        let Some(o) = t.as_object() else {
            return Err(format!(
                "tool {n} is not a JSON object; give {TOOL_FORMATS}"
            ));
        };
        let (this, name, description, schema) = if let Some(f) = o.get("function") {
            // OpenAI Chat Completions: {"type": "function", "function": {name, description, parameters}}.
            let Some(f) = f.as_object() else {
                return Err(format!(
                    "tool {n}: \"function\" must be an object with a \"name\""
                ));
            };
            (
                ToolFormat::OpenAi,
                f.get("name"),
                f.get("description"),
                f.get("parameters").map(|p| ("parameters", p)),
            )
        } else if let Some(s) = o.get("input_schema") {
            (
                ToolFormat::Anthropic,
                o.get("name"),
                o.get("description"),
                Some(("input_schema", s)),
            )
        } else if o.contains_key("parameters")
            || o.get("type").and_then(Value::as_str) == Some("function")
        {
            // Responses API / legacy `functions`: flat {name, description, parameters}.
            (
                ToolFormat::OpenAi,
                o.get("name"),
                o.get("description"),
                o.get("parameters").map(|p| ("parameters", p)),
            )
        } else if o.get("type").and_then(Value::as_str).is_some() && o.contains_key("name") {
            // Anthropic server tools: {"type": "web_search_20250305", "name": "web_search"}.
            (ToolFormat::Anthropic, o.get("name"), None, None)
        } else if let Some(ty) = o.get("type").and_then(Value::as_str) {
            return Err(format!(
                "tool {n} is a built-in tool (\"type\": \"{ty}\") with no definition to count; leave it out of the file (its per-call fees are priced with [workload] priced_tools)"
            ));
        } else {
            return Err(format!(
                "tool {n} has neither \"function\" or \"parameters\" (OpenAI) nor \"input_schema\" (Anthropic); give {TOOL_FORMATS}"
            ));
        };
        let name = match name.and_then(Value::as_str) {
            Some(s) if !s.trim().is_empty() => s,
            _ => {
                return Err(format!(
                    "tool {n} has no \"name\"; every tool needs a non-empty string name"
                ));
            }
        };
        if let Some((key, s)) = schema
            && !s.is_object()
        {
            return Err(format!(
                "tool {n} ('{name}'): \"{key}\" must be a JSON Schema object ({{\"type\": \"object\", \"properties\": {{…}}}})"
            ));
        }
        if let Some(d) = description
            && !d.is_string()
        {
            return Err(format!(
                "tool {n} ('{name}'): \"description\" must be a string"
            ));
        }
        match format {
            None => format = Some(this),
            Some(f) if f != this => {
                return Err(format!(
                    "tool {n} ('{name}') is in {} format but the tools before it are in {} format; keep one provider's format per file",
                    Kind::Tools(this).name().trim_end_matches(" tools"),
                    Kind::Tools(f).name().trim_end_matches(" tools")
                ));
            }
            Some(_) => {}
        }
        let mut function = serde_json::Map::new();
        function.insert("name".into(), Value::String(name.to_string()));
        if let Some(d) = description {
            function.insert("description".into(), d.clone());
        }
        if let Some((_, s)) = schema {
            function.insert("parameters".into(), s.clone());
        }
        openai.push(serde_json::json!({ "type": "function", "function": function }));
    }
    Ok((format.unwrap_or(ToolFormat::OpenAi), openai))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn art(name: &str, text: &str, expect: Expect) -> Result<Artifact, ArtifactError> {
        Artifact::from_bytes(Path::new(name), name, text.as_bytes(), expect)
    }

    #[test]
    fn text_counts_the_text_alone() {
        let a = art("p.md", "You are a helpful assistant.", Expect::SystemPrompt).unwrap();
        assert_eq!(a.kind, Kind::Text);
        assert_eq!(
            a.tokens(Tokenizer::O200kBase),
            Tokenizer::O200kBase.count("You are a helpful assistant.")
        );
        // A Markdown file that starts with a link is still text.
        let a = art("p.md", "[guide](x) be brief", Expect::SystemPrompt).unwrap();
        assert_eq!(a.kind, Kind::Text);
    }

    #[test]
    fn messages_count_their_framing_without_reply_priming() {
        let json = r#"[{"role":"system","content":"a b c"},{"role":"user","content":"d"}]"#;
        let a = art("m.json", json, Expect::SystemPrompt).unwrap();
        assert_eq!(a.kind, Kind::Messages);
        // Whitespace: (3 + 1 + 3) + (3 + 1 + 1) = 12.
        assert_eq!(a.tokens(Tokenizer::Whitespace), 12);
        let wrapped = format!("{{\"messages\": {json}}}");
        let b = art("m.json", &wrapped, Expect::Any).unwrap();
        assert_eq!(b.tokens(Tokenizer::Whitespace), 12);
    }

    #[test]
    fn openai_and_anthropic_tools_are_told_apart_and_counted_alike() {
        let openai = r#"[{"type":"function","function":{"name":"f","description":"d.","parameters":{"type":"object",
            "properties":{"p":{"type":"string","enum":["x","y"]}}}}}]"#;
        let anthropic = r#"[{"name":"f","description":"d.","input_schema":{"type":"object",
            "properties":{"p":{"type":"string","enum":["x","y"]}}}}]"#;
        let a = art("t.json", openai, Expect::Tools).unwrap();
        let b = art("t.json", anthropic, Expect::Tools).unwrap();
        assert_eq!(a.kind, Kind::Tools(ToolFormat::OpenAi));
        assert_eq!(b.kind, Kind::Tools(ToolFormat::Anthropic));
        // The cookbook constants (see ingest::tokens): 32 whitespace tokens either way.
        assert_eq!(a.tokens(Tokenizer::Whitespace), 32);
        assert_eq!(b.tokens(Tokenizer::Whitespace), 32);
        // Schema JSON: the compact JSON of each definition.
        let raw: Vec<Value> = serde_json::from_str(anthropic).unwrap();
        assert_eq!(
            b.schema_json_tokens(Tokenizer::O200kBase),
            Tokenizer::O200kBase.count(&raw[0].to_string())
        );
        assert_eq!(b.tool_count(), 1);
    }

    #[test]
    fn route_tokens_are_exact_for_runnable_tokenizers_and_scaled_otherwise() {
        let a = art("p.txt", "one two three four five six", Expect::SystemPrompt).unwrap();
        let n = a.tokens(Tokenizer::O200kBase);
        let exact = Counting::for_route(Some("o200k_base"), 1.0, false);
        assert_eq!(exact, Counting::Exact(Tokenizer::O200kBase));
        assert_eq!(a.route_tokens(exact).0, n);
        assert_eq!(
            Counting::for_route(Some("cl100k_base"), 1.1, false),
            Counting::Exact(Tokenizer::Cl100kBase)
        );
        let est = Counting::for_route(Some("anthropic-2026"), 1.4, false);
        assert_eq!(est, Counting::Estimated { ratio: 1.4 });
        let (t, how) = a.route_tokens(est);
        assert_eq!(t, (n as f64 * 1.4).ceil() as u64);
        assert!(how.starts_with("estimated"), "{how}");
        // A scenario's own ratio wins over the family (it says the model is not o200k).
        assert_eq!(
            Counting::for_route(Some("o200k_base"), 1.2, true),
            Counting::Estimated { ratio: 1.2 }
        );
    }

    #[test]
    fn bad_files_say_what_is_wrong_and_how_to_fix_it() {
        let e = art("x.bin", "ab\0cd", Expect::Any).unwrap_err();
        assert!(e.to_string().starts_with("x.bin: is a binary file"), "{e}");
        let e = Artifact::from_bytes(Path::new("x.md"), "x.md", &[0xff, 0xfe, 0x41], Expect::Any)
            .unwrap_err();
        assert!(e.message.contains("not UTF-8"), "{e}");
        let e = art("t.json", "[{\"name\": 1,", Expect::Tools).unwrap_err();
        assert!(e.message.contains("not valid JSON (line 1"), "{e}");
        let e = art(
            "t.json",
            r#"[{"description":"no name","input_schema":{}}]"#,
            Expect::Tools,
        )
        .unwrap_err();
        assert!(e.message.contains("tool 1 has no \"name\""), "{e}");
        let e = art(
            "t.json",
            r#"[{"name":"f","input_schema":"object"}]"#,
            Expect::Tools,
        )
        .unwrap_err();
        assert!(e.message.contains("must be a JSON Schema object"), "{e}");
        let e = art("t.json", r#"[{"type":"web_search"}]"#, Expect::Tools).unwrap_err();
        assert!(e.message.contains("built-in tool"), "{e}");
        let e = art("t.md", "just text", Expect::Tools).unwrap_err();
        assert!(e.message.contains("not tool definitions"), "{e}");
        let e = art(
            "t.json",
            r#"[{"name":"f","input_schema":{}}]"#,
            Expect::SystemPrompt,
        )
        .unwrap_err();
        assert!(e.message.contains("tools = { file"), "{e}");
        let e = art(
            "t.json",
            r#"[{"name":"f","input_schema":{}},{"type":"function","function":{"name":"g"}}]"#,
            Expect::Tools,
        )
        .unwrap_err();
        assert!(e.message.contains("keep one provider's format"), "{e}");
        let e = art("t.json", "[]", Expect::Tools).unwrap_err();
        assert!(e.message.contains("empty"), "{e}");
    }

    #[test]
    fn missing_files_and_folders_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let e = Artifact::read(&dir.path().join("nope.md"), "nope.md", Expect::Any).unwrap_err();
        assert_eq!(e.to_string(), "nope.md: no such file; check the path");
        let e = Artifact::read(dir.path(), "prompts", Expect::Any).unwrap_err();
        assert!(e.to_string().starts_with("prompts: is a folder"), "{e}");
    }
}
