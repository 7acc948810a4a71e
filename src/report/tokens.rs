//! `billcast tokens`: the size of prompt, message and tool-definition files per model, in
//! every output format. Counting is [`crate::artifact`]'s; this module resolves the models
//! against the price book and lays the counts out.

use serde::{Deserialize, Serialize};

use super::ReportError;
use crate::artifact::{Artifact, Counting, RouteTokens};
use crate::ingest::tokens::Tokenizer;
use crate::pricing::{PriceBook, PricingError};
use crate::table::Grid;
use crate::units::format_count;

/// What a file is counted for: a tokenizer by name, or a model of the price book.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// As shown: `o200k_base` or `provider/model`.
    pub name: String,
    /// How its tokens follow from the file.
    pub counting: Counting,
    /// The model's tool-use system prompt (models only).
    pub tool_overhead: Option<u64>,
}

impl Target {
    /// `o200k_base` / `cl100k_base` (a tokenizer), else a model of `book` (`provider/model`).
    ///
    /// # Errors
    /// The price book's error for an unknown model, with its suggestions.
    pub fn resolve(name: &str, book: &PriceBook) -> Result<Target, PricingError> {
        if let Ok(tok) = name.parse::<Tokenizer>()
            && tok != Tokenizer::Whitespace
        {
            return Ok(Target {
                name: tok.name().to_string(),
                counting: Counting::Exact(tok),
                tool_overhead: None,
            });
        }
        let model = book.model(name)?;
        Ok(Target {
            name: model.reference(),
            counting: Counting::for_route(
                model.entry.tokenizer.as_ref().map(|t| t.family.as_str()),
                model.tokenizer_ratio(),
                false,
            ),
            tool_overhead: model.entry.tool_overhead_tokens,
        })
    }

    /// The reference tokenizers, the default targets.
    pub fn defaults() -> Vec<Target> {
        [Tokenizer::O200kBase, Tokenizer::Cl100kBase]
            .into_iter()
            .map(|t| Target {
                name: t.name().to_string(),
                counting: Counting::Exact(t),
                tool_overhead: None,
            })
            .collect()
    }

    fn is_model(&self) -> bool {
        self.name.contains('/')
    }
}

/// One file and its size for each target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileTokens {
    /// Path as given.
    pub path: String,
    /// SHA-256 of the file.
    pub sha256: String,
    /// Size, bytes.
    pub bytes: u64,
    /// `text`, `messages`, `OpenAI tools` or `Anthropic tools`.
    pub kind: String,
    /// `text`, `5 messages`, `3 OpenAI tool definitions`.
    pub contents: String,
    /// Per target, in the order asked (`route` and `model` both name the target).
    pub counts: Vec<RouteTokens>,
}

/// The result of `billcast tokens`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokensReport {
    /// `tokens`.
    pub kind: String,
    /// billcast version.
    pub billcast_version: String,
    /// Targets, in order.
    pub targets: Vec<String>,
    /// Files, in order.
    pub files: Vec<FileTokens>,
}

impl TokensReport {
    /// Count every artifact for every target.
    pub fn new(files: &[Artifact], targets: &[Target]) -> TokensReport {
        TokensReport {
            kind: "tokens".into(),
            billcast_version: env!("CARGO_PKG_VERSION").into(),
            targets: targets.iter().map(|t| t.name.clone()).collect(),
            files: files
                .iter()
                .map(|a| FileTokens {
                    path: a.label.clone(),
                    sha256: a.sha256.clone(),
                    bytes: a.bytes,
                    kind: a.kind.name().into(),
                    contents: a.describe(),
                    counts: targets
                        .iter()
                        .map(|t| {
                            // A bare tokenizer has no provider, so no tool-use prompt either.
                            let overhead = if t.is_model() {
                                t.tool_overhead
                            } else {
                                Some(0)
                            };
                            let mut rt = RouteTokens::of(a, &t.name, &t.name, t.counting, overhead);
                            if !t.is_model() {
                                rt.tool_overhead = None;
                            }
                            rt
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    /// One row per file and target.
    pub fn grid(&self) -> Grid {
        let tools = self
            .files
            .iter()
            .any(|f| f.counts.iter().any(|c| c.tool_overhead.is_some()));
        let mut header: Vec<String> = ["File", "Contents", "Counted for", "Tokens", "How"]
            .map(String::from)
            .to_vec();
        if tools {
            header.insert(4, "+ tool-use prompt".into());
        }
        let mut rows = Vec::new();
        for f in &self.files {
            for (i, c) in f.counts.iter().enumerate() {
                let first = i == 0;
                let mut row = vec![
                    if first { f.path.clone() } else { String::new() },
                    if first {
                        f.contents.clone()
                    } else {
                        String::new()
                    },
                    c.model.clone(),
                    format_count(c.tokens as f64),
                    c.method.clone(),
                ];
                if tools {
                    row.insert(
                        4,
                        match &c.tool_overhead {
                            Some(_) if c.tool_overhead_tokens > 0 => {
                                format_count(c.tool_overhead_tokens as f64)
                            }
                            Some(_) => "none documented".into(),
                            None => String::new(),
                        },
                    );
                }
                rows.push(row);
            }
        }
        let mut right = vec![false, false, false, true, false];
        if tools {
            right.insert(4, true);
        }
        Grid {
            header,
            rows,
            right,
        }
    }

    /// Notes under the table: what "estimated" means, where tool-use prompts come from.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        let all = || self.files.iter().flat_map(|f| f.counts.iter());
        if all().any(|c| !c.exact) {
            notes.push("estimated: billcast cannot run this model's tokenizer offline, so the o200k_base count is multiplied by the price table's tokenizer ratio; measure with the provider's token counter for an exact number".into());
        }
        if self
            .files
            .iter()
            .any(|f| f.kind.ends_with("tools") && f.counts.iter().any(|c| c.exact))
        {
            notes.push("tool definitions on OpenAI tokenizers: OpenAI injects function definitions into the system message; the count follows OpenAI's cookbook (num_tokens_for_tools), an approximation OpenAI publishes".into());
        }
        if all().any(|c| {
            c.tool_overhead
                .as_deref()
                .is_some_and(|t| t.starts_with("none counted"))
        }) {
            notes.push("+ tool-use prompt: some providers add a hidden system prompt to every call that offers tools (Anthropic documents one per model); \"none documented\" means the price table gives no number for that model".into());
        }
        notes
    }

    /// One CSV row per file and target.
    pub fn csv(&self) -> Result<String, ReportError> {
        #[derive(Serialize)]
        struct Row<'a> {
            path: &'a str,
            sha256: &'a str,
            kind: &'a str,
            counted_for: &'a str,
            tokens: u64,
            exact: bool,
            tool_overhead_tokens: u64,
            method: &'a str,
        }
        let rows = self.files.iter().flat_map(|f| {
            f.counts.iter().map(move |c| Row {
                path: &f.path,
                sha256: &f.sha256,
                kind: &f.kind,
                counted_for: &c.model,
                tokens: c.tokens,
                exact: c.exact,
                tool_overhead_tokens: c.tool_overhead_tokens,
                method: &c.method,
            })
        });
        crate::table::csv_rows(rows).map_err(|e| ReportError::Csv(e.to_string()))
    }
}
