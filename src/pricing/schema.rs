//! The price-table file format (`pricing/<provider>.toml`). All token rates are USD per
//! 1,000,000 tokens. Every file, model and schedule entry may carry `source` (URL) and
//! `checked` (the date someone last compared it with the source); bundled tables always do.
//!
//! Values are validated while they are read, so an error names the line it is on.

use std::collections::BTreeMap;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::usage::UsageConvention;

/// A calendar date in a price table (`2026-11-26`, TOML's local date, or a string).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub jiff::civil::Date);

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = toml::Value::deserialize(d)?;
        let text = match &v {
            toml::Value::Datetime(dt) => dt.to_string(),
            toml::Value::String(s) => s.clone(),
            other => {
                return Err(de::Error::custom(format!(
                    "expected a date like 2026-11-26, found a {}",
                    other.type_str()
                )));
            }
        };
        let day = text.get(..10).unwrap_or(&text);
        day.parse::<jiff::civil::Date>().map(Date).map_err(|_| {
            de::Error::custom(format!("'{text}' is not a date; write it as YYYY-MM-DD"))
        })
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Largest price billcast accepts, USD per 1M tokens (or per 1k tool uses): a thousand
/// times the dearest model ever sold, so anything above is a unit mistake, and a month of
/// calls priced at it stays far inside floating-point range.
pub const MAX_PRICE: f64 = 1e6;

/// `x` for a message, in scientific notation when huge (1e308, not 309 digits).
fn short(x: f64) -> String {
    if x.abs() >= 1e15 {
        format!("{x:e}")
    } else {
        x.to_string()
    }
}

/// Largest price multiplier (service tier, region, long-context tier).
pub const MAX_MULTIPLIER: f64 = 1e3;

/// A price in USD per 1M tokens (or per 1k units for tools): finite, ≥ 0 and at most
/// [`MAX_PRICE`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Price(pub f64);

impl<'de> Deserialize<'de> for Price {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = toml::Value::deserialize(d)?;
        let x = match v {
            toml::Value::Integer(i) => i as f64,
            toml::Value::Float(f) => f,
            other => {
                return Err(de::Error::custom(format!(
                    "a price must be a number (USD per 1M tokens), found a {}",
                    other.type_str()
                )));
            }
        };
        if !(0.0..=MAX_PRICE).contains(&x) {
            return Err(de::Error::custom(format!(
                "invalid price {}: prices must be ≥ 0 and at most {MAX_PRICE:.0} (USD per 1M tokens)",
                short(x)
            )));
        }
        Ok(Price(x))
    }
}

/// A multiplier on prices: finite and > 0.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Multiplier(pub f64);

impl<'de> Deserialize<'de> for Multiplier {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = toml::Value::deserialize(d)?;
        let x = match v {
            toml::Value::Integer(i) => i as f64,
            toml::Value::Float(f) => f,
            other => {
                return Err(de::Error::custom(format!(
                    "a multiplier must be a number, found a {}",
                    other.type_str()
                )));
            }
        };
        if !(x > 0.0 && x <= MAX_MULTIPLIER) {
            return Err(de::Error::custom(format!(
                "invalid multiplier {}: it must be > 0 and at most {MAX_MULTIPLIER:.0}",
                short(x)
            )));
        }
        Ok(Multiplier(x))
    }
}

/// One price-table file.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PricingFile {
    /// Format version; 1.
    pub schema_version: u32,
    /// Who sells the tokens.
    pub provider: ProviderEntry,
    /// Models offered.
    #[serde(default)]
    pub models: Vec<ModelEntry>,
}

/// The `[provider]` table.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderEntry {
    /// Short id used in model references: `<provider>/<model>`.
    pub id: Spanned<String>,
    /// Display name.
    pub name: String,
    /// Where the prices come from (URL).
    #[serde(default)]
    pub source: Option<String>,
    /// When the prices were last checked against the source.
    #[serde(default)]
    pub checked: Option<Date>,
    /// Whether reported input includes cached tokens.
    #[serde(default)]
    pub usage_convention: UsageConvention,
    /// Currency of all prices; only `USD` is supported.
    #[serde(default)]
    pub currency: Option<String>,
    /// Free text.
    #[serde(default)]
    pub notes: Option<String>,
    /// Built-in tools billed per call.
    #[serde(default)]
    pub tools: Vec<ToolEntry>,
}

/// A provider-side tool billed per unit (web search, file search, code containers…).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ToolEntry {
    /// Tool id, e.g. `web_search`.
    pub id: String,
    /// What one unit is: `call` (default), `session`, `container_hour`, `query`.
    #[serde(default = "default_unit")]
    pub unit: String,
    /// USD per 1,000 units.
    pub price_per_1k: Price,
    /// Units free per calendar month before billing starts.
    #[serde(default)]
    pub free_per_month: f64,
    /// Models sharing one free allowance (e.g. all Gemini 3.x models).
    #[serde(default)]
    pub free_group: Option<String>,
    /// Only these models (ids) get this tool price; empty = all models of the provider.
    #[serde(default)]
    pub models: Vec<String>,
    /// Source URL.
    #[serde(default)]
    pub source: Option<String>,
    /// Date checked.
    #[serde(default)]
    pub checked: Option<Date>,
    /// Free text.
    #[serde(default)]
    pub notes: Option<String>,
}

fn default_unit() -> String {
    "call".to_string()
}

/// Token classes a price applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenClass {
    /// Uncached input tokens.
    Input,
    /// Input tokens read from the prompt cache.
    CacheRead,
    /// Input tokens written to the prompt cache.
    CacheWrite,
    /// Visible output tokens.
    Output,
    /// Reasoning / thinking tokens.
    Reasoning,
}

impl TokenClass {
    /// All classes in report order.
    pub const ALL: [TokenClass; 5] = [
        TokenClass::Input,
        TokenClass::CacheRead,
        TokenClass::CacheWrite,
        TokenClass::Output,
        TokenClass::Reasoning,
    ];

    /// snake_case name (as in files and JSON).
    pub fn name(self) -> &'static str {
        match self {
            TokenClass::Input => "input",
            TokenClass::CacheRead => "cache_read",
            TokenClass::CacheWrite => "cache_write",
            TokenClass::Output => "output",
            TokenClass::Reasoning => "reasoning",
        }
    }
}

/// Cache-write price: one number for every TTL, or one per TTL (`{ "5m" = 3.75, "1h" = 6 }`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum CacheWrite {
    /// One rate for every TTL.
    Flat(Price),
    /// Rate by TTL label.
    ByTtl(BTreeMap<String, Price>),
}

impl<'de> Deserialize<'de> for CacheWrite {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = toml::Value::deserialize(d)?;
        match v {
            toml::Value::Table(t) => {
                let mut out = BTreeMap::new();
                for (ttl, p) in t {
                    let price = Price::deserialize(p).map_err(|e| {
                        de::Error::custom(format!("cache_write.\"{ttl}\": {}", e.message()))
                    })?;
                    out.insert(ttl, price);
                }
                if out.is_empty() {
                    return Err(de::Error::custom(
                        "cache_write = {} is empty; give a price or { \"5m\" = ..., \"1h\" = ... }",
                    ));
                }
                Ok(CacheWrite::ByTtl(out))
            }
            other => Price::deserialize(other)
                .map(CacheWrite::Flat)
                .map_err(|e| de::Error::custom(e.message())),
        }
    }
}

/// Reasoning-token price: `"output"` (billed as output, the default) or a number.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum ReasoningRate {
    /// Billed at the output rate.
    AsOutput,
    /// Own rate.
    Rate(Price),
}

impl<'de> Deserialize<'de> for ReasoningRate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = toml::Value::deserialize(d)?;
        match v {
            toml::Value::String(s) if s == "output" => Ok(ReasoningRate::AsOutput),
            toml::Value::String(s) => Err(de::Error::custom(format!(
                "reasoning = \"{s}\": write \"output\" or a price"
            ))),
            other => Price::deserialize(other)
                .map(ReasoningRate::Rate)
                .map_err(|e| de::Error::custom(e.message())),
        }
    }
}

/// Base rates of a model in USD per 1M tokens.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rates {
    /// Uncached input.
    pub input: Price,
    /// Output (visible).
    pub output: Price,
    /// Cache read; absent means the input rate (LiteLLM's rule).
    #[serde(default)]
    pub cache_read: Option<Price>,
    /// Cache write; absent means the input rate.
    #[serde(default)]
    pub cache_write: Option<CacheWrite>,
    /// Reasoning tokens; absent means billed as output.
    #[serde(default)]
    pub reasoning: Option<ReasoningRate>,
}

/// Per-class multipliers; a class not listed keeps its rate (×1). Reasoning follows output
/// unless given.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClassMultipliers {
    /// Input multiplier.
    #[serde(default)]
    pub input: Option<Multiplier>,
    /// Cache-read multiplier.
    #[serde(default)]
    pub cache_read: Option<Multiplier>,
    /// Cache-write multiplier.
    #[serde(default)]
    pub cache_write: Option<Multiplier>,
    /// Output multiplier.
    #[serde(default)]
    pub output: Option<Multiplier>,
    /// Reasoning multiplier (defaults to the output multiplier).
    #[serde(default)]
    pub reasoning: Option<Multiplier>,
}

/// A long-context tier: when a call's total input (uncached + cache read + cache write)
/// exceeds the threshold, **every token of the call** is repriced.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ContextTier {
    /// Threshold in input tokens.
    pub above_input_tokens: u64,
    /// `true`: the tier applies at `≥ threshold` (xAI); default `>`.
    #[serde(default)]
    pub inclusive: bool,
    /// Multipliers on the base rates…
    #[serde(default)]
    pub multipliers: Option<ClassMultipliers>,
    /// …or absolute rates for the tier.
    #[serde(default)]
    pub rates: Option<Rates>,
    /// Source URL.
    #[serde(default)]
    pub source: Option<String>,
}

/// A service tier (batch, flex, priority/fast, …).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceTier {
    /// One multiplier for the classes in `applies_to`…
    #[serde(default)]
    pub multiplier: Option<Multiplier>,
    /// Classes the multiplier applies to (default: all). Batch discounts that also cover
    /// cache reads list `cache_read`.
    #[serde(default)]
    pub applies_to: Option<Vec<TokenClass>>,
    /// …or absolute rates for the tier (long-context multipliers still apply on top).
    #[serde(default)]
    pub rates: Option<Rates>,
    /// Source URL.
    #[serde(default)]
    pub source: Option<String>,
    /// Free text.
    #[serde(default)]
    pub notes: Option<String>,
}

/// A region or data-residency uplift.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Region {
    /// Multiplier on every token class.
    pub multiplier: Multiplier,
    /// Source URL.
    #[serde(default)]
    pub source: Option<String>,
    /// Free text.
    #[serde(default)]
    pub notes: Option<String>,
}

/// Prompt-caching rules of a model.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Caching {
    /// Prefixes shorter than this are never cached.
    #[serde(default)]
    pub min_prefix_tokens: u64,
    /// `true`: caching is automatic (OpenAI, Gemini implicit); `false`: explicit breakpoints.
    #[serde(default)]
    pub implicit: Option<bool>,
    /// Cached lengths are whole multiples of this many tokens (OpenAI: "cache hits occur in
    /// increments of 128 tokens"); 1 when absent.
    #[serde(default)]
    pub unit_tokens: Option<u64>,
}

/// Tokenizer identity and size relative to the reference tokenizer (o200k_base).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Tokenizer {
    /// Tokenizer family, e.g. `o200k_base`, `anthropic-2026`.
    pub family: String,
    /// Tokens of this model per o200k_base token for the same English text.
    pub ratio: Multiplier,
    /// How the ratio was obtained.
    #[serde(default)]
    pub basis: Option<String>,
    /// How far the ratio is known: `verified` (measured with the provider's token counter),
    /// `secondary` or `unverified`. Absent: `unverified` — a ratio is a measurement, and one
    /// that does not say it was measured is not shown as if it were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<String>,
    /// Plausible range `[low, high]` of the ratio (e.g. pricing-facts §4's 1.05–1.75 for
    /// Claude's newer tokenizer); `compare` checks its ranking at both ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<[f64; 2]>,
}

/// A scheduled price change: from `effective_from` these rates replace the model's rates.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleEntry {
    /// First day the rates apply.
    pub effective_from: Date,
    /// Last day they apply (inclusive); open-ended when absent.
    #[serde(default)]
    pub effective_to: Option<Date>,
    /// The rates in force.
    pub rates: Rates,
    /// Source URL.
    #[serde(default)]
    pub source: Option<String>,
    /// Date checked.
    #[serde(default)]
    pub checked: Option<Date>,
    /// `verified`, `secondary` or `unverified`.
    #[serde(default)]
    pub confidence: Option<String>,
    /// Free text.
    #[serde(default)]
    pub notes: Option<String>,
}

/// One `[[models]]` entry.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ModelEntry {
    /// Model id, referenced as `<provider>/<id>`.
    pub id: Spanned<String>,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Other ids that resolve to this model (dated snapshots, API aliases).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// `ga`, `preview`, `deprecated` or `retired`.
    #[serde(default)]
    pub status: Option<String>,
    /// Release date.
    #[serde(default)]
    pub released: Option<Date>,
    /// Date after which the model is no longer served.
    #[serde(default)]
    pub deprecation_date: Option<Date>,
    /// Suggested replacement.
    #[serde(default)]
    pub successor: Option<String>,
    /// Context window in tokens.
    #[serde(default)]
    pub context_window: Option<u64>,
    /// Largest output per call.
    #[serde(default)]
    pub max_output_tokens: Option<u64>,
    /// Source URL of the rates.
    #[serde(default)]
    pub source: Option<String>,
    /// Date the rates were checked.
    #[serde(default)]
    pub checked: Option<Date>,
    /// `verified`, `secondary` or `unverified`.
    #[serde(default)]
    pub confidence: Option<String>,
    /// Base rates apply from this date (and before, when nothing earlier is known).
    #[serde(default)]
    pub effective_from: Option<Date>,
    /// The matching key in LiteLLM's price JSON (e.g. `gemini/gemini-3.1-pro-preview`), used
    /// by `billcast pricing check` to cross-check prices.
    #[serde(default)]
    pub litellm: Option<String>,
    /// Hidden input tokens added to each call that offers tools (provider tool-use prompt).
    #[serde(default)]
    pub tool_overhead_tokens: Option<u64>,
    /// Free text.
    #[serde(default)]
    pub notes: Option<String>,
    /// Base rates, USD per 1M tokens.
    pub rates: Rates,
    /// Prompt-caching rules.
    #[serde(default)]
    pub caching: Option<Caching>,
    /// Tokenizer.
    #[serde(default)]
    pub tokenizer: Option<Tokenizer>,
    /// Long-context tiers, any order.
    #[serde(default)]
    pub context_tiers: Vec<ContextTier>,
    /// Service tiers by name.
    #[serde(default)]
    pub service_tiers: BTreeMap<String, ServiceTier>,
    /// Region uplifts by name.
    #[serde(default)]
    pub regions: BTreeMap<String, Region>,
    /// Scheduled price changes.
    #[serde(default)]
    pub schedule: Vec<ScheduleEntry>,
}
