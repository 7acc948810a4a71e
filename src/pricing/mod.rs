//! Provider price tables and the cost of a call.
//!
//! - [`schema`]: the `pricing/<provider>.toml` format (USD per 1M tokens, dated and sourced);
//! - [`book`]: the [`PriceBook`] (bundled tables + `--pricing` overrides) and rate resolution:
//!   schedule → long-context tier (whole call) → service tier → region;
//! - [`cost`]: one call priced line by line;
//! - [`layer`]: the LiteLLM layer beneath the bundled tables (every model of LiteLLM's price
//!   JSON, embedded, parsed on first use);
//! - [`litellm`]: reading LiteLLM's price JSON and importing it as tables;
//! - [`check`]: `pricing check`.
//!
//! Unknown models are errors that list the closest ids; nothing is ever priced at $0 by
//! accident.

pub mod book;
pub mod check;
pub mod cost;
pub mod layer;
pub mod litellm;
pub mod schema;

pub use book::{Layer, Model, PriceBook, RateCard, RateQuery};
pub use cost::{CallCost, CallOptions, cost_call};

use crate::toml_util::TomlProblem;

/// Everything that can go wrong loading or using prices.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PricingError {
    /// A file or folder could not be read.
    #[error("cannot read price table {path}: {message}")]
    Io {
        /// Path given.
        path: String,
        /// OS error.
        message: String,
    },
    /// Malformed TOML, an unknown key, a wrong type or an invalid price.
    #[error("{file}: {problem}")]
    Parse {
        /// File name.
        file: String,
        /// Where and what.
        problem: TomlProblem,
    },
    /// Malformed JSON (LiteLLM's price file).
    #[error(
        "{file}: line {line}, column {column}: {message}; the file must be LiteLLM's model_prices_and_context_window.json — download it again or pass the right file"
    )]
    Json {
        /// File name.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the JSON parser found.
        message: String,
    },
    /// A rule that spans several keys is broken.
    #[error("{file}{}: {message}", line.map(|l| format!(": line {l}")).unwrap_or_default())]
    Invalid {
        /// File name.
        file: String,
        /// 1-based line, when known.
        line: Option<usize>,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// No such model.
    #[error(
        "unknown model '{reference}'{}; models are named provider/model — run `billcast pricing list` to see them, or add a price table with --pricing",
        if suggestions.is_empty() { String::new() } else { format!(" (closest: {})", suggestions.join(", ")) }
    )]
    UnknownModel {
        /// What was asked for.
        reference: String,
        /// Closest known references.
        suggestions: Vec<String>,
    },
    /// A bare model id matches several providers.
    #[error("model '{reference}' is offered by several providers; write one of: {}", candidates.join(", "))]
    AmbiguousModel {
        /// What was asked for.
        reference: String,
        /// Matching references.
        candidates: Vec<String>,
    },
    /// A region-qualified id (LiteLLM writes some regions into the key) of a model that
    /// prices that region: asking for it without the region would lose the regional price.
    #[error(
        "model '{reference}' is {model} in region '{region}'; write model = \"{model}\" with region = \"{region}\" on the route (pricing cost: {model} --region {region})"
    )]
    RegionQualified {
        /// What was asked for.
        reference: String,
        /// `provider/model` without the region.
        model: String,
        /// The region the reference names.
        region: String,
    },
    /// A service tier, region, TTL or tool the model does not price.
    #[error("{model} has no {what} '{name}'; known: {}", if known.is_empty() { "none".to_string() } else { known.join(", ") })]
    UnknownOption {
        /// `provider/model`.
        model: String,
        /// `service tier`, `region`, `cache-write TTL`, `tool`.
        what: &'static str,
        /// What was asked for.
        name: String,
        /// What exists.
        known: Vec<String>,
    },
}
