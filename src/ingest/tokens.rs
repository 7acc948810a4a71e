//! Token counting for sources that record text but no usage (messages-only conversations).
//!
//! Counts follow the OpenAI cookbook rules that `tiktoken_rs::num_tokens_from_messages`
//! implements (3 tokens per message, +1 per name, name + arguments + 1 per tool call, 3 for
//! reply priming), re-implemented here over a [`Tokenizer`] so that (a) each message is
//! tokenised once and the input of every assistant turn is a prefix sum, not a re-count of
//! the whole history (O(n) instead of O(n²) per conversation), and (b) tests can use a
//! deterministic fake tokenizer. A test pins the result to `num_tokens_from_messages`.
//!
//! Tool definitions are not counted by tiktoken-rs; [`tools_tokens`] is the cookbook's
//! `num_tokens_for_tools` approximation (an estimate, documented as such).
//!
//! Long texts are counted in pieces of at most [`COUNT_CHUNK_BYTES`]: tiktoken's BPE merge
//! of one pre-tokenised piece allocates about 56 bytes per byte of the piece and is
//! `O(n log n)`, so a 50 MB word without spaces took a minute and 2.7 GB. Cuts are made
//! before a single space between two non-space characters, where no pre-tokeniser piece of
//! `o200k_base` or `cl100k_base` crosses, so the count is exact; only a text with no such
//! space in half a chunk is cut blindly (at a character boundary), which can move its count
//! by a few tokens per cut.

use std::fmt;
use std::str::FromStr;

use serde::Deserialize;
use serde_json::Value;

use super::IngestError;

/// Overhead tokens framing each message (`<|start|>role…<|end|>`), cookbook value for
/// current models.
pub const TOKENS_PER_MESSAGE: u64 = 3;
/// Extra tokens when a message has a `name`.
pub const TOKENS_PER_NAME: u64 = 1;
/// Extra tokens per tool call (tiktoken-rs `FUNCTION_CALL_OVERHEAD`).
pub const TOKENS_PER_TOOL_CALL: u64 = 1;
/// Tokens priming the assistant reply (`<|start|>assistant<|message|>`), once per request.
pub const REPLY_PRIMING: u64 = 3;

/// The tokenizer used to count text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Tokenizer {
    /// `o200k_base` (GPT-4o, 4.1, 5, o-series). The default.
    #[default]
    O200kBase,
    /// `cl100k_base` (GPT-4, GPT-3.5).
    Cl100kBase,
    /// Whitespace-separated words: a deterministic, instant fake for tests.
    Whitespace,
}

impl Tokenizer {
    /// Number of tokens in `text`, counted in pieces of at most [`COUNT_CHUNK_BYTES`] (see
    /// the module docs) so memory stays bounded and time linear in the text's length.
    pub fn count(self, text: &str) -> u64 {
        if text.is_empty() {
            return 0;
        }
        // `count_with_special_tokens` is what `num_tokens_from_messages` uses, so counts
        // agree with it even when text contains `<|endoftext|>`.
        let bpe = match self {
            Tokenizer::O200kBase => tiktoken_rs::o200k_base_singleton(),
            Tokenizer::Cl100kBase => tiktoken_rs::cl100k_base_singleton(),
            Tokenizer::Whitespace => return text.split_whitespace().count() as u64,
        };
        chunks(text, COUNT_CHUNK_BYTES)
            .map(|c| bpe.count_with_special_tokens(c) as u64)
            .sum()
    }

    /// Load the BPE tables now (90–250 ms on first use) rather than inside a parallel pass.
    pub fn warm(self) {
        let _ = self.count("warm up");
    }

    /// The `--tokenizer` name.
    pub fn name(self) -> &'static str {
        match self {
            Tokenizer::O200kBase => "o200k_base",
            Tokenizer::Cl100kBase => "cl100k_base",
            Tokenizer::Whitespace => "whitespace",
        }
    }

    /// Cookbook `func_init` for this encoding's model class (gpt-4o-class 7, gpt-4/3.5 10).
    fn func_init(self) -> i64 {
        match self {
            Tokenizer::Cl100kBase => 10,
            _ => 7,
        }
    }
}

impl fmt::Display for Tokenizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Tokenizer {
    type Err = IngestError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "o200k_base" | "o200k" => Ok(Tokenizer::O200kBase),
            "cl100k_base" | "cl100k" => Ok(Tokenizer::Cl100kBase),
            "whitespace" => Ok(Tokenizer::Whitespace),
            _ => Err(IngestError::UnknownTokenizer {
                name: s.to_string(),
            }),
        }
    }
}

/// Largest piece of text handed to the BPE tokenizer at once (64 KiB): its merge then needs
/// at most a few MB, whatever the length of the text.
pub const COUNT_CHUNK_BYTES: usize = 64 << 10;

/// Split `text` into pieces of at most `max` bytes (`max` ≥ 8), each cut placed just before a
/// single ASCII space whose neighbours are not whitespace, searched in the second half of the
/// window; without one, at the last character boundary of the window.
fn chunks(text: &str, max: usize) -> impl Iterator<Item = &str> {
    let max = max.max(8);
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        if rest.len() <= max {
            return Some(std::mem::take(&mut rest));
        }
        let bytes = rest.as_bytes();
        let safe = (max / 2..max).rev().find(|&i| {
            bytes[i] == b' '
                && rest[..i]
                    .chars()
                    .next_back()
                    .is_some_and(|c| !c.is_whitespace())
                && rest[i + 1..]
                    .chars()
                    .next()
                    .is_some_and(|c| !c.is_whitespace())
        });
        let cut = safe.unwrap_or_else(|| {
            // No safe space: the last character boundary at or below `max` (a UTF-8
            // character is at most 4 bytes, so one is within reach).
            (1..=max)
                .rev()
                .find(|&i| rest.is_char_boundary(i))
                .unwrap_or(max)
        });
        let (head, tail) = rest.split_at(cut);
        rest = tail;
        Some(head)
    })
}

/// One chat message, reduced to what token counting needs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChatMessage {
    /// `system`, `developer`, `user`, `assistant`, `tool`, `function`.
    pub role: String,
    /// Text content (text parts of a content array joined).
    pub content: Option<String>,
    /// Optional author name.
    pub name: Option<String>,
    /// Tool calls as `(name, arguments)`; a legacy `function_call` is one more entry.
    pub tool_calls: Vec<(String, String)>,
    /// Refusal text.
    pub refusal: Option<String>,
}

impl ChatMessage {
    /// Read a message from its JSON form (OpenAI chat message, as in fine-tuning files).
    /// Content may be a string, null or an array of parts; only text parts are counted.
    pub fn from_json(v: &Value) -> Option<ChatMessage> {
        Self::from_value(v.clone())
    }

    /// [`ChatMessage::from_json`] taking the value, so long texts are moved, not copied.
    pub fn from_value(v: Value) -> Option<ChatMessage> {
        let Value::Object(mut obj) = v else {
            return None;
        };
        let role = match obj.remove("role") {
            Some(Value::String(s)) => s,
            _ => return None,
        };
        let content = match obj.remove("content") {
            Some(Value::String(s)) => Some(s),
            Some(Value::Array(parts)) => {
                let mut text = String::new();
                for p in parts {
                    match p {
                        Value::String(s) => text.push_str(&s),
                        Value::Object(o) => {
                            if let Some(Value::String(s)) = o.get("text") {
                                text.push_str(s);
                            }
                        }
                        _ => {}
                    }
                }
                Some(text)
            }
            _ => None,
        };
        let mut tool_calls: Vec<(String, String)> = Vec::new();
        if let Some(Value::Array(calls)) = obj.remove("tool_calls") {
            for c in calls {
                // `function` tools carry {name, arguments}; `custom` tools carry {name, input}.
                let Value::Object(mut c) = c else {
                    tool_calls.push((String::new(), String::new()));
                    continue;
                };
                let f = c.remove("function").or_else(|| c.remove("custom"));
                let (name, args) = match f {
                    Some(Value::Object(mut f)) => (
                        match f.remove("name") {
                            Some(Value::String(s)) => s,
                            _ => String::new(),
                        },
                        f.remove("arguments")
                            .or_else(|| f.remove("input"))
                            .map(json_text)
                            .unwrap_or_default(),
                    ),
                    _ => (String::new(), String::new()),
                };
                tool_calls.push((name, args));
            }
        }
        if let Some(Value::Object(mut fc)) = obj.remove("function_call") {
            let name = match fc.remove("name") {
                Some(Value::String(s)) => s,
                _ => String::new(),
            };
            let args = fc.remove("arguments").map(json_text).unwrap_or_default();
            tool_calls.push((name, args));
        }
        let string = |v: Option<Value>| match v {
            Some(Value::String(s)) => Some(s),
            _ => None,
        };
        Some(ChatMessage {
            role,
            content,
            name: string(obj.remove("name")),
            tool_calls,
            refusal: string(obj.remove("refusal")),
        })
    }

    /// Bytes of text this message holds (content, refusal, tool-call names and arguments).
    pub fn text_bytes(&self) -> usize {
        self.content.as_ref().map_or(0, String::len)
            + self.refusal.as_ref().map_or(0, String::len)
            + self
                .tool_calls
                .iter()
                .map(|(n, a)| n.len() + a.len())
                .sum::<usize>()
    }
}

/// Arguments are a JSON string in OpenAI data; anything else is counted as its JSON text.
fn json_text(v: Value) -> String {
    match v {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Tokens one message adds to a prompt: 3 + role + content + name (+1) + per tool call
/// (name + arguments + 1) + refusal. Summing over messages and adding [`REPLY_PRIMING`]
/// gives `tiktoken_rs::num_tokens_from_messages`.
pub fn message_tokens(tok: Tokenizer, m: &ChatMessage) -> u64 {
    let mut n = TOKENS_PER_MESSAGE + tok.count(&m.role);
    if let Some(c) = &m.content {
        n += tok.count(c);
    }
    if let Some(name) = &m.name {
        n += tok.count(name) + TOKENS_PER_NAME;
    }
    for (name, args) in &m.tool_calls {
        n += tok.count(name) + tok.count(args) + TOKENS_PER_TOOL_CALL;
    }
    if let Some(r) = &m.refusal {
        n += tok.count(r);
    }
    n
}

/// Prompt tokens of a whole message list (`num_tokens_from_messages`).
pub fn messages_tokens(tok: Tokenizer, msgs: &[ChatMessage]) -> u64 {
    msgs.iter().map(|m| message_tokens(tok, m)).sum::<u64>() + REPLY_PRIMING
}

/// Tokens the model generated for an assistant message: content, refusal and each tool
/// call's name and arguments (no framing overhead).
pub fn output_tokens(tok: Tokenizer, m: &ChatMessage) -> u64 {
    let mut n = m.content.as_deref().map_or(0, |c| tok.count(c));
    n += m.refusal.as_deref().map_or(0, |r| tok.count(r));
    for (name, args) in &m.tool_calls {
        n += tok.count(name) + tok.count(args);
    }
    n
}

#[derive(Deserialize)]
struct ToolDef {
    #[serde(default)]
    function: Option<FunctionDef>,
    // Legacy `functions: [{name, description, parameters}]` entries are flat.
    #[serde(flatten)]
    flat: FunctionDef,
}

#[derive(Deserialize, Default)]
struct FunctionDef {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    parameters: Option<Value>,
}

/// Estimated prompt tokens of tool definitions (OpenAI cookbook `num_tokens_for_tools`):
/// per function `func_init` + `name:description`; if it has properties, `prop_init` and per
/// property `prop_key` + `name:type:description` (+ `enum_init` and `enum_item` + item per
/// enum value); `func_end` once. Constants are the gpt-4o-class ones (gpt-4/3.5:
/// `func_init` = 10). An estimate: the real serialisation is not public.
pub fn tools_tokens(tok: Tokenizer, tools: &[Value]) -> u64 {
    const PROP_INIT: i64 = 3;
    const PROP_KEY: i64 = 3;
    const ENUM_INIT: i64 = -3;
    const ENUM_ITEM: i64 = 3;
    const FUNC_END: i64 = 12;
    let mut n: i64 = 0;
    let mut any = false;
    for t in tools {
        let Ok(def) = ToolDef::deserialize(t) else {
            continue;
        };
        let f = def.function.unwrap_or(def.flat);
        let Some(name) = f.name else { continue };
        any = true;
        n += tok.func_init();
        let desc = f.description.unwrap_or_default();
        let desc = desc.strip_suffix('.').unwrap_or(&desc);
        n += tok.count(&format!("{name}:{desc}")) as i64;
        let props = f
            .parameters
            .as_ref()
            .and_then(|p| p.get("properties"))
            .and_then(Value::as_object);
        if let Some(props) = props.filter(|p| !p.is_empty()) {
            n += PROP_INIT;
            for (key, spec) in props {
                n += PROP_KEY;
                if let Some(items) = spec.get("enum").and_then(Value::as_array) {
                    n += ENUM_INIT;
                    for item in items {
                        n += ENUM_ITEM + tok.count(&json_text(item.clone())) as i64;
                    }
                }
                let ty = match spec.get("type") {
                    Some(Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                    None => String::new(),
                };
                let pdesc = spec
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let pdesc = pdesc.strip_suffix('.').unwrap_or(pdesc);
                n += tok.count(&format!("{key}:{ty}:{pdesc}")) as i64;
            }
        }
    }
    if any {
        n += FUNC_END;
    }
    n.max(0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture_lines() -> Vec<Vec<ChatMessage>> {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/data/fixtures/transcripts/openai_finetune_chat.jsonl"
        ))
        .expect("bundled fixture");
        text.lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .map(|v| {
                v["messages"]
                    .as_array()
                    .map(|ms| ms.iter().filter_map(ChatMessage::from_json).collect())
                    .unwrap_or_default()
            })
            .collect()
    }

    #[test]
    fn whole_conversations_match_tiktoken_num_tokens_from_messages() {
        let lines = fixture_lines();
        assert_eq!(lines.len(), 3);
        // transcript-formats.md §8: gpt-4o counts 68, 99 and 68.
        let ours: Vec<u64> = lines
            .iter()
            .map(|m| messages_tokens(Tokenizer::O200kBase, m))
            .collect();
        assert_eq!(ours, vec![68, 99, 68]);
        for msgs in &lines {
            let theirs: Vec<tiktoken_rs::ChatCompletionRequestMessage> = msgs
                .iter()
                .map(|m| tiktoken_rs::ChatCompletionRequestMessage {
                    role: m.role.clone(),
                    content: m.content.clone(),
                    name: m.name.clone(),
                    tool_calls: m
                        .tool_calls
                        .iter()
                        .map(|(n, a)| tiktoken_rs::FunctionCall {
                            name: n.clone(),
                            arguments: a.clone(),
                        })
                        .collect(),
                    ..Default::default()
                })
                .collect();
            let n = tiktoken_rs::num_tokens_from_messages("gpt-4o", &theirs)
                .ok()
                .map(|n| n as u64);
            assert_eq!(n, Some(messages_tokens(Tokenizer::O200kBase, msgs)));
        }
    }

    /// A text with words, digits, punctuation, contractions, newlines, runs of spaces, tabs,
    /// non-ASCII letters and whitespace (U+3000), and a special token.
    fn varied_text(n: usize) -> String {
        const PARTS: [&str; 16] = [
            "the ",
            "Answer's ",
            "12345 ",
            "  ",
            "cached\n",
            "tokens, ",
            "naïve ",
            "東京 ",
            "\u{3000}",
            "x=y+1; ",
            "\t",
            "don't ",
            "<|endoftext|>",
            " ",
            "HTTP/2 ",
            "3.14",
        ];
        let mut s = String::new();
        let mut x: u64 = 7;
        while s.len() < n {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            s.push_str(PARTS[(x >> 60) as usize]);
        }
        s
    }

    #[test]
    fn chunks_cover_the_text_and_stay_under_the_bound() {
        let text = format!("{}{}", varied_text(20_000), "é".repeat(5_000));
        for max in [8, 37, 64, 1000] {
            let parts: Vec<&str> = chunks(&text, max).collect();
            assert_eq!(parts.concat(), text);
            assert!(
                parts.iter().all(|p| !p.is_empty() && p.len() <= max),
                "{max}"
            );
        }
        assert_eq!(chunks("", 64).count(), 0);
    }

    /// A cut before a single space between two non-space characters.
    fn safe_cut(left: &str, right: &str) -> bool {
        let mut r = right.chars();
        r.next() == Some(' ')
            && r.next().is_some_and(|c| !c.is_whitespace())
            && left.chars().next_back().is_some_and(|c| !c.is_whitespace())
    }

    #[test]
    fn counting_in_chunks_cut_at_spaces_is_exact() {
        // Cuts before a single space between non-space characters cross no pre-tokeniser
        // piece: at every such cut, count(left) + count(right) = count(left + right), for
        // both encodings. Cutting every ~60 bytes tests thousands of cuts.
        let text = varied_text(200_000);
        for (name, bpe) in [
            ("o200k_base", tiktoken_rs::o200k_base_singleton()),
            ("cl100k_base", tiktoken_rs::cl100k_base_singleton()),
        ] {
            let n = |t: &str| bpe.count_with_special_tokens(t);
            let parts: Vec<&str> = chunks(&text, 64).collect();
            let mut safe = 0;
            for w in parts.windows(2) {
                if safe_cut(w[0], w[1]) {
                    safe += 1;
                    assert_eq!(
                        n(w[0]) + n(w[1]),
                        n(&format!("{}{}", w[0], w[1])),
                        "{name}: {w:?}"
                    );
                }
            }
            assert!(safe > 3_000, "{safe} safe cuts of {}", parts.len());
            // With 1,000-byte chunks every cut finds a safe space, and the total is exact.
            let parts: Vec<&str> = chunks(&text, 1000).collect();
            assert!(parts.windows(2).all(|w| safe_cut(w[0], w[1])));
            let pieces: usize = parts.iter().map(|p| n(p)).sum();
            assert_eq!(pieces, n(&text), "{name}");
        }
        let long = varied_text(3 * COUNT_CHUNK_BYTES);
        let whole = tiktoken_rs::o200k_base_singleton().count_with_special_tokens(&long) as u64;
        assert_eq!(Tokenizer::O200kBase.count(&long), whole);
    }

    #[test]
    fn text_without_spaces_is_cut_blindly_and_stays_close() {
        // 300 KB of base64-like text: no safe cut, so five blind cuts at 64 KiB; each can
        // move the count by a few tokens (here: a few in ~75,000).
        let mut x: u64 = 1;
        let text: String = (0..300_000)
            .map(|_| {
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
                    [(x >> 58) as usize] as char
            })
            .collect();
        let whole = tiktoken_rs::o200k_base_singleton().count_with_special_tokens(&text) as f64;
        let counted = Tokenizer::O200kBase.count(&text) as f64;
        assert!((counted - whole).abs() <= 5.0 * 4.0, "{counted} vs {whole}");
    }

    #[test]
    fn whitespace_tokenizer_counts_words() {
        assert_eq!(Tokenizer::Whitespace.count("a b  c\n"), 3);
        let m = ChatMessage {
            role: "assistant".into(),
            content: Some("two words".into()),
            tool_calls: vec![("f".into(), "{\"a\": 1}".into())],
            ..Default::default()
        };
        // 3 + role 1 + content 2 + (name 1 + args 2 + 1)
        assert_eq!(message_tokens(Tokenizer::Whitespace, &m), 10);
        assert_eq!(output_tokens(Tokenizer::Whitespace, &m), 5);
    }

    #[test]
    fn tool_definitions_follow_the_cookbook_constants() {
        let tools: Vec<Value> = serde_json::from_str(
            r#"[{"type":"function","function":{"name":"f","description":"d.","parameters":{"type":"object",
                "properties":{"p":{"type":"string","enum":["x","y"]}}}}}]"#,
        )
        .unwrap_or_default();
        // Whitespace: func_init 7 + "f:d" 1 + prop_init 3 + prop_key 3 + enum_init −3
        // + 2 × (3 + 1) + "p:string:" 1 + func_end 12 = 32.
        assert_eq!(tools_tokens(Tokenizer::Whitespace, &tools), 32);
        assert_eq!(tools_tokens(Tokenizer::Whitespace, &[]), 0);
    }
}
