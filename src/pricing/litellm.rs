//! LiteLLM's price JSON (`model_prices_and_context_window.json`): reading it, and importing
//! it as billcast price tables (`billcast pricing import-litellm`).
//!
//! LiteLLM prices are USD per **token**; billcast tables are USD per **1M tokens**. Every token
//! rate is multiplied by 1e6 and rounded to 1e-9 USD/MTok, so `2.5e-06` becomes `2.5`, never
//! `2.4999999999999996`. Tool fees are USD per call in LiteLLM and USD per 1,000 calls here.
//!
//! Mapping (see `pricing-facts.md` §5.4):
//!
//! | LiteLLM | billcast |
//! |---|---|
//! | `input_cost_per_token`, `output_cost_per_token`, `cache_read_input_token_cost` (or `input_cost_per_token_cache_hit`) | `rates.input/output/cache_read` |
//! | `cache_creation_input_token_cost`, `…_above_1hr`, `…_above_12hr` | `rates.cache_write` (`"5m"` for Claude-style caching, else `"default"` or a plain number; `"1h"`, `"12h"`) |
//! | `output_cost_per_reasoning_token` | `rates.reasoning` (`"output"` when equal to output) |
//! | `…_above_{N}k_tokens` | `[[models.context_tiers]] above_input_tokens = N×1000` (absolute rates; `inclusive` for xAI) |
//! | `tiered_pricing` | base rates = first range, one context tier per later range |
//! | `…_batches/_priority/_flex/_ultrafast/_balanced/_decisions` | `service_tiers.batch/priority/…` (`multiplier` when uniform, else `rates`) |
//! | `regional_processing_uplift_multiplier_{us,eu}`, `fedramp_uplift_multiplier`, `regional_endpoint_uplift_multiplier`, `provider_specific_entry.us` | `regions.us/eu/fedramp/regional` |
//! | `provider_specific_entry.fast` | `service_tiers.fast` |
//! | region-qualified keys (`us.…`, `bedrock/<aws-region>/…`, `azure/eu/…`) | `regions.<name>` of the region-free model when the prices are a uniform multiple |
//! | `search_context_cost_per_query` (medium), `google_maps_grounding_cost_per_query`, `code_interpreter_cost_per_session` | `[[provider.tools]]` `web_search`, `maps_grounding`, `code_interpreter` (×1000 per 1k) |
//! | `max_input_tokens`, `max_output_tokens`, `deprecation_date`, `successor_model`, `prompt_cache_min_tokens`, `source` | `context_window`, `max_output_tokens`, `deprecation_date`, `successor`, `caching.min_prefix_tokens`, `source` |
//!
//! After building each model the importer prices every token rate LiteLLM states with
//! [`Model::rate_card`] and reports any rate the table does not reproduce (for example a
//! service-tier × long-context combination that is not the product of the two) in
//! [`Import::unmapped`]. Nothing is dropped silently.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;
use serde_json::{Map, Value};
use toml::Spanned;

use super::PricingError;
use super::book::{Model, RateQuery, parse_file, sha256_hex};
use super::schema::{
    CacheWrite, Caching, ClassMultipliers, ContextTier, Date, ModelEntry, Multiplier, Price,
    ProviderEntry, ReasoningRate, Region, ScheduleEntry, ServiceTier, TokenClass, ToolEntry,
};
use crate::toml_util;
use crate::usage::UsageConvention;

/// `source` stamped on imported rows whose LiteLLM entry names no primary source.
pub const DEFAULT_SOURCE: &str =
    "https://github.com/BerriAI/litellm (model_prices_and_context_window.json)";

/// Modes imported by default: the ones the token simulator can price.
pub const DEFAULT_MODES: [&str; 3] = ["chat", "responses", "completion"];

/// Relative tolerance when comparing two rates that should be equal (ratios, round trips).
const REL_TOL: f64 = 1e-6;

/// USD per token → USD per 1M tokens, rounded to 1e-9 USD/MTok.
pub fn per_token_to_per_mtok(usd_per_token: f64) -> f64 {
    round9(usd_per_token * 1e6)
}

/// Round to 9 decimal places.
fn round9(x: f64) -> f64 {
    (x * 1e9).round() / 1e9
}

/// A number with at most 9 decimals, written exactly (`2.5`, `0.0375`, `10.0`), never in
/// exponent form.
pub fn fmt_decimal(x: f64) -> String {
    let n = (x * 1e9).round() as i128;
    let sign = if n < 0 { "-" } else { "" };
    let n = n.abs();
    let int = n / 1_000_000_000;
    let frac = format!("{:09}", n % 1_000_000_000);
    let frac = frac.trim_end_matches('0');
    format!("{sign}{int}.{}", if frac.is_empty() { "0" } else { frac })
}

/// LiteLLM's price JSON, parsed.
#[derive(Clone, Debug)]
pub struct LiteLlm {
    name: String,
    sha256: String,
    version: Option<String>,
    entries: Map<String, Value>,
}

/// One entry of the JSON: a model key and its flat field map (prices in USD per token).
#[derive(Clone, Copy, Debug)]
pub struct Entry<'a> {
    key: &'a str,
    fields: &'a Map<String, Value>,
}

/// An entry's long-context rates above one threshold, USD per 1M tokens.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AboveRates {
    /// The tier applies above this many input tokens (`≥` for xAI).
    pub above_input_tokens: u64,
    /// Uncached input.
    pub input: Option<f64>,
    /// Output.
    pub output: Option<f64>,
    /// Cache read.
    pub cache_read: Option<f64>,
    /// Cache write (5-minute / default TTL).
    pub cache_write: Option<f64>,
}

/// An entry's standard token rates in USD per 1M tokens, as LiteLLM states them (`None` =
/// not stated; LiteLLM then falls back to the input rate for cache reads and writes). For a
/// `tiered_pricing` entry the standard rates are its first range and `above` lists the others.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct EntryRates {
    /// Uncached input.
    pub input: Option<f64>,
    /// Output.
    pub output: Option<f64>,
    /// Cache read.
    pub cache_read: Option<f64>,
    /// Cache write, 5-minute (Anthropic) or default TTL.
    pub cache_write: Option<f64>,
    /// Cache write, 1-hour TTL.
    pub cache_write_1h: Option<f64>,
    /// Cache write, 12-hour TTL (OpenAI extended caching).
    pub cache_write_12h: Option<f64>,
    /// Reasoning tokens.
    pub reasoning: Option<f64>,
    /// Batch input.
    pub batch_input: Option<f64>,
    /// Batch output.
    pub batch_output: Option<f64>,
    /// Long-context rates, by threshold ascending.
    pub above: Vec<AboveRates>,
}

impl LiteLlm {
    /// Parse the JSON text of `name`. Malformed JSON is an error naming the line and column.
    pub fn parse(name: &str, text: &str) -> Result<LiteLlm, PricingError> {
        let value: Value = serde_json::from_str(text).map_err(|e| {
            let full = e.to_string();
            let message = match full.rfind(" at line ") {
                Some(i) => full[..i].to_string(),
                None => full,
            };
            PricingError::Json {
                file: name.to_string(),
                line: e.line(),
                column: e.column(),
                message,
            }
        })?;
        let Value::Object(entries) = value else {
            return Err(PricingError::Invalid {
                file: name.to_string(),
                line: Some(1),
                message: format!(
                    "expected a JSON object of model entries, found {}; pass LiteLLM's model_prices_and_context_window.json",
                    json_type(&value)
                ),
            });
        };
        Ok(LiteLlm {
            name: name.to_string(),
            sha256: sha256_hex(text.as_bytes()),
            version: None,
            entries,
        })
    }

    /// Read and parse a file.
    pub fn load(path: &Path) -> Result<LiteLlm, PricingError> {
        let text = std::fs::read_to_string(path).map_err(|e| PricingError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        LiteLlm::parse(&path.display().to_string(), &text)
    }

    /// Record the LiteLLM release the file comes from (the JSON does not say); it is written
    /// into the header of imported tables.
    pub fn with_version(mut self, version: impl Into<String>) -> LiteLlm {
        self.version = Some(version.into());
        self
    }

    /// The name the file was parsed under.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// SHA-256 of the JSON text, lowercase hex.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The LiteLLM release, if given with [`LiteLlm::with_version`].
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// Number of top-level keys (including `sample_spec`).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the file has no keys.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every top-level key, in file order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(|k| k.as_str())
    }

    /// The entry for `key`, if it exists and is an object.
    pub fn entry(&self, key: &str) -> Option<Entry<'_>> {
        match self.entries.get_key_value(key) {
            Some((k, Value::Object(fields))) => Some(Entry { key: k, fields }),
            _ => None,
        }
    }

    /// Every object entry, in file order.
    pub fn entries(&self) -> impl Iterator<Item = Entry<'_>> {
        self.entries
            .iter()
            .filter_map(|(k, v)| v.as_object().map(|fields| Entry { key: k, fields }))
    }

    /// Up to `n` keys closest to `key` (for "unknown key" messages).
    pub fn closest_keys(&self, key: &str, n: usize) -> Vec<&str> {
        toml_util::closest_n(key, self.keys(), n)
    }
}

impl<'a> Entry<'a> {
    /// The model key.
    pub fn key(&self) -> &'a str {
        self.key
    }

    /// All fields.
    pub fn fields(&self) -> &'a Map<String, Value> {
        self.fields
    }

    /// One field.
    pub fn get(&self, field: &str) -> Option<&'a Value> {
        self.fields.get(field)
    }

    /// `litellm_provider`.
    pub fn litellm_provider(&self) -> Option<&'a str> {
        self.get("litellm_provider").and_then(Value::as_str)
    }

    /// `mode` (`chat`, `responses`, `embedding`, …).
    pub fn mode(&self) -> Option<&'a str> {
        self.get("mode").and_then(Value::as_str)
    }

    /// The primary source URL LiteLLM names.
    pub fn source(&self) -> Option<&'a str> {
        self.get("source").and_then(Value::as_str)
    }

    /// A numeric field as it is (USD per token for prices).
    pub fn number(&self, field: &str) -> Option<f64> {
        self.get(field).and_then(Value::as_f64)
    }

    /// A per-token price field converted to USD per 1M tokens (rounded to 1e-9).
    pub fn usd_per_mtok(&self, field: &str) -> Option<f64> {
        self.number(field).map(per_token_to_per_mtok)
    }

    /// The standard token rates in USD per 1M tokens (first range of `tiered_pricing` when
    /// the entry has one, as LiteLLM bills it).
    pub fn rates(&self) -> EntryRates {
        let ex = extract(self.fields);
        let mut r = EntryRates::default();
        let mut above: BTreeMap<u64, AboveRates> = BTreeMap::new();
        for s in &ex.stated {
            match (s.threshold, s.tier) {
                (None, None) => {
                    let slot = match s.class {
                        Class::Input => &mut r.input,
                        Class::Output => &mut r.output,
                        Class::CacheRead => &mut r.cache_read,
                        Class::CacheWrite(Ttl::Short) => &mut r.cache_write,
                        Class::CacheWrite(Ttl::Hour) => &mut r.cache_write_1h,
                        Class::CacheWrite(Ttl::HalfDay) => &mut r.cache_write_12h,
                        Class::Reasoning => &mut r.reasoning,
                    };
                    slot.get_or_insert(s.value);
                }
                (None, Some("batch")) => match s.class {
                    Class::Input => r.batch_input = Some(s.value),
                    Class::Output => r.batch_output = Some(s.value),
                    _ => {}
                },
                (Some(t), None) => {
                    let a = above.entry(t).or_insert_with(|| AboveRates {
                        above_input_tokens: t,
                        ..AboveRates::default()
                    });
                    match s.class {
                        Class::Input => a.input = Some(s.value),
                        Class::Output => a.output = Some(s.value),
                        Class::CacheRead => a.cache_read = Some(s.value),
                        Class::CacheWrite(Ttl::Short) => a.cache_write = Some(s.value),
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        r.above = above.into_values().collect();
        r
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

// ---------------------------------------------------------------------------------------------
// Token-rate fields
// ---------------------------------------------------------------------------------------------

/// Cache-write lifetime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Ttl {
    /// 5 minutes (Anthropic) or the provider's default.
    Short,
    /// 1 hour.
    Hour,
    /// 12 hours (OpenAI extended).
    HalfDay,
}

/// A token class as LiteLLM prices it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Class {
    Input,
    CacheRead,
    CacheWrite(Ttl),
    Output,
    Reasoning,
}

/// Service-tier suffixes and the billcast tier names they become.
const TIER_SUFFIXES: [(&str, &str); 6] = [
    ("_batches", "batch"),
    ("_priority", "priority"),
    ("_flex", "flex"),
    ("_ultrafast", "ultrafast"),
    ("_balanced", "balanced"),
    ("_decisions", "decisions"),
];

fn base_class(name: &str) -> Option<Class> {
    Some(match name {
        "input_cost_per_token" => Class::Input,
        "output_cost_per_token" => Class::Output,
        "cache_read_input_token_cost" | "input_cost_per_token_cache_hit" => Class::CacheRead,
        "cache_creation_input_token_cost" => Class::CacheWrite(Ttl::Short),
        "cache_creation_input_token_cost_above_1hr" => Class::CacheWrite(Ttl::Hour),
        "cache_creation_input_token_cost_above_12hr" => Class::CacheWrite(Ttl::HalfDay),
        "output_cost_per_reasoning_token" => Class::Reasoning,
        _ => return None,
    })
}

fn strip_tier(s: &str) -> (&str, Option<&'static str>) {
    for (suffix, name) in TIER_SUFFIXES {
        if let Some(rest) = s.strip_suffix(suffix) {
            return (rest, Some(name));
        }
    }
    (s, None)
}

/// `…_above_272k_tokens` → (`…`, 272000).
fn strip_threshold(s: &str) -> Option<(&str, u64)> {
    let rest = s.strip_suffix("_tokens")?;
    let i = rest.rfind("_above_")?;
    let n = &rest[i + "_above_".len()..];
    let (digits, scale) = match n.strip_suffix('k') {
        Some(d) => (d, 1000),
        None => match n.strip_suffix('m') {
            Some(d) => (d, 1_000_000),
            None => (n, 1),
        },
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v: u64 = digits.parse().ok()?;
    Some((&rest[..i], v.checked_mul(scale)?))
}

/// A token-rate field: its class, long-context threshold and service tier.
fn parse_token_field(name: &str) -> Option<(Class, Option<u64>, Option<&'static str>)> {
    let (s, mut tier) = strip_tier(name);
    let (s, threshold) = match strip_threshold(s) {
        Some((rest, t)) => (rest, Some(t)),
        None => (s, None),
    };
    let s = if tier.is_none() {
        let (rest, t) = strip_tier(s);
        tier = t;
        rest
    } else {
        s
    };
    Some((base_class(s)?, threshold, tier))
}

/// One token rate LiteLLM states.
#[derive(Clone, Debug, PartialEq)]
struct Stated {
    /// The JSON field (`tiered_pricing[1].input_cost_per_token` inside tiers).
    field: String,
    class: Class,
    /// Long-context threshold; `None` = base rates.
    threshold: Option<u64>,
    /// billcast service-tier name; `None` = standard.
    tier: Option<&'static str>,
    /// USD per 1M tokens.
    value: f64,
}

/// What kind of non-token field this is.
enum FieldKind {
    /// Read by the importer elsewhere.
    Handled,
    /// Not a price (capabilities, limits we do not store, token-count metadata).
    Ignored,
    /// A price the schema cannot hold: the reason.
    Unmappable(&'static str),
}

fn classify_field(f: &str) -> FieldKind {
    const HANDLED: [&str; 17] = [
        "litellm_provider",
        "mode",
        "source",
        "deprecation_date",
        "successor_model",
        "max_input_tokens",
        "max_output_tokens",
        "prompt_cache_min_tokens",
        "search_context_cost_per_query",
        "search_free_requests",
        "web_search_billing_unit",
        "google_maps_grounding_cost_per_query",
        "code_interpreter_cost_per_session",
        "regional_processing_uplift_multiplier_us",
        "regional_processing_uplift_multiplier_eu",
        "fedramp_uplift_multiplier",
        "regional_endpoint_uplift_multiplier",
    ];
    const IGNORED: [&str; 10] = [
        "max_tokens",
        "comment",
        "metadata",
        "deprecation_source",
        "rpm",
        "tpm",
        "default_reasoning_effort",
        "use_openai_responses_path",
        "output_vector_size",
        "key",
    ];
    if HANDLED.contains(&f) || f == "provider_specific_entry" || f == "tiered_pricing" {
        return FieldKind::Handled;
    }
    if IGNORED.contains(&f)
        || [
            "supports_",
            "supported_",
            "token_count_",
            "thinking_",
            "reasoning_",
            "bedrock_",
        ]
        .iter()
        .any(|p| f.starts_with(p))
    {
        return FieldKind::Ignored;
    }
    let has = |s: &str| f.contains(s);
    if f == "off_peak_pricing" {
        FieldKind::Unmappable(
            "time-of-day prices; the price-table schema has no time windows (add a schedule by hand)",
        )
    } else if has("dbu") {
        FieldKind::Unmappable(
            "Databricks DBU rate; the schema prices in USD only (the USD rate is imported when given)",
        )
    } else if f.starts_with("explicit_cache") {
        FieldKind::Unmappable(
            "explicit-cache read rate; the schema has one cache_read rate (the implicit one)",
        )
    } else if has("citation") {
        FieldKind::Unmappable("citation-token rate; the schema has no citation token class")
    } else if has("guardrail") {
        FieldKind::Unmappable("guardrail fee; out of scope")
    } else if has("file_search") || has("vector_store") || has("computer_use") {
        FieldKind::Unmappable(
            "tool fee this importer does not read; add a [[provider.tools]] entry by hand",
        )
    } else if (has("audio") || has("image") || has("video")) && has("token") {
        FieldKind::Unmappable(
            "modality token rate; the schema has no audio/image/video token classes",
        )
    } else if [
        "per_second",
        "per_character",
        "per_image",
        "per_pixel",
        "per_page",
        "per_query",
        "per_request",
        "per_text_message",
        "per_minute",
        "cost_per_second",
    ]
    .iter()
    .any(|s| has(s))
    {
        FieldKind::Unmappable(
            "per-unit price (image, second, character, page, query or request); the schema prices tokens only",
        )
    } else if has("cost") || has("price") || has("pricing") || has("multiplier") || has("uplift") {
        FieldKind::Unmappable("price field this importer does not understand")
    } else {
        FieldKind::Unmappable("field this importer does not understand")
    }
}

/// The token rates of one entry.
#[derive(Default)]
struct Extracted {
    /// Every token rate LiteLLM bills with, in USD per 1M tokens.
    stated: Vec<Stated>,
    /// The entry's prices come from `tiered_pricing`.
    tiered: bool,
    /// (field, reason) for what cannot be imported.
    problems: Vec<(String, String)>,
    /// Prices in other units exist (per image, per second, …).
    other_prices: bool,
}

fn price_value(field: &str, v: &Value, problems: &mut Vec<(String, String)>) -> Option<f64> {
    match v.as_f64() {
        Some(x) if x.is_finite() && x >= 0.0 => Some(per_token_to_per_mtok(x)),
        Some(x) => {
            problems.push((
                field.to_string(),
                format!("price {x} is negative; fix the entry"),
            ));
            None
        }
        None => {
            problems.push((
                field.to_string(),
                format!("expected a price in USD per token, found {}", json_type(v)),
            ));
            None
        }
    }
}

fn extract(fields: &Map<String, Value>) -> Extracted {
    let mut ex = Extracted::default();
    let mut names: Vec<&String> = fields.keys().collect();
    names.sort();
    let mut top: Vec<Stated> = Vec::new();
    for name in names {
        let Some(v) = fields.get(name.as_str()) else {
            continue;
        };
        if let Some((class, threshold, tier)) = parse_token_field(name) {
            if let Some(value) = price_value(name, v, &mut ex.problems) {
                top.push(Stated {
                    field: name.clone(),
                    class,
                    threshold,
                    tier,
                    value,
                });
            }
            continue;
        }
        match classify_field(name) {
            FieldKind::Handled | FieldKind::Ignored => {}
            FieldKind::Unmappable(reason) => {
                if !matches!(v, Value::Null) {
                    if v.as_f64() != Some(0.0) && !matches!(v, Value::Bool(false)) {
                        ex.other_prices = true;
                    }
                    ex.problems.push((name.clone(), reason.to_string()));
                }
            }
        }
    }
    // `input_cost_per_token_cache_hit` (DeepSeek legacy) only stands in for a missing
    // `cache_read_input_token_cost`.
    let has_cache_read = top.iter().any(|s| s.field == "cache_read_input_token_cost");
    if let Some(pos) = top
        .iter()
        .position(|s| s.field == "input_cost_per_token_cache_hit")
        && has_cache_read
    {
        let hit = top.remove(pos);
        let same = top
            .iter()
            .any(|s| s.field == "cache_read_input_token_cost" && close(s.value, hit.value));
        if !same {
            ex.problems.push((
                hit.field,
                "differs from cache_read_input_token_cost, which is imported instead".to_string(),
            ));
        }
    }
    match fields.get("tiered_pricing") {
        Some(tp) => match tiered_stated(tp, &mut ex.problems) {
            Some(tiers) => {
                ex.tiered = true;
                let tier0: BTreeMap<Class, f64> = tiers
                    .iter()
                    .filter(|s| s.threshold.is_none())
                    .map(|s| (s.class, s.value))
                    .collect();
                let top_output = top
                    .iter()
                    .find(|s| s.field == "output_cost_per_token")
                    .map(|s| s.value);
                let mut stated = tiers;
                // A range without an output rate bills the model's own output rate.
                let mut starts: BTreeSet<Option<u64>> =
                    stated.iter().map(|s| s.threshold).collect();
                starts.insert(None);
                for start in starts {
                    let has_output = stated
                        .iter()
                        .any(|s| s.threshold == start && s.class == Class::Output);
                    if !has_output {
                        match top_output {
                            Some(value) => stated.push(Stated {
                                field: "output_cost_per_token".to_string(),
                                class: Class::Output,
                                threshold: start,
                                tier: None,
                                value,
                            }),
                            None => ex.problems.push((
                                "tiered_pricing".to_string(),
                                "a range has no output rate and the entry has no output_cost_per_token; LiteLLM would bill output at $0"
                                    .to_string(),
                            )),
                        }
                    }
                }
                for s in top {
                    let redundant = s.threshold.is_none()
                        && s.tier.is_none()
                        && (s.class == Class::Output
                            || tier0.get(&s.class).is_some_and(|v| close(*v, s.value)));
                    if !redundant {
                        ex.problems.push((
                            s.field,
                            "ignored by LiteLLM because the entry has tiered_pricing, which takes precedence".to_string(),
                        ));
                    }
                }
                ex.stated = stated;
            }
            None => ex.stated = top,
        },
        None => ex.stated = top,
    }
    ex.stated.sort_by(|a, b| {
        (a.threshold, a.tier, a.class, &a.field).cmp(&(b.threshold, b.tier, b.class, &b.field))
    });
    ex
}

/// Rates from `tiered_pricing`: the first range is the base (threshold `None`), every later
/// range a long-context tier above its start. `None` when the list cannot be used.
fn tiered_stated(tp: &Value, problems: &mut Vec<(String, String)>) -> Option<Vec<Stated>> {
    let bad = |problems: &mut Vec<(String, String)>, why: String| {
        problems.push((
            "tiered_pricing".to_string(),
            format!("{why}; the tiers are not imported"),
        ));
        None
    };
    let Some(list) = tp.as_array() else {
        return bad(
            problems,
            format!("expected a list of tiers, found {}", json_type(tp)),
        );
    };
    let mut out = Vec::new();
    let mut prev_end: Option<f64> = None;
    for (i, tier) in list.iter().enumerate() {
        let Some(obj) = tier.as_object() else {
            return bad(
                problems,
                format!("tier {i} is {}, not an object", json_type(tier)),
            );
        };
        let range = obj.get("range").and_then(Value::as_array);
        let (Some(start), Some(end)) = (
            range.and_then(|r| r.first()).and_then(Value::as_f64),
            range.and_then(|r| r.get(1)).and_then(Value::as_f64),
        ) else {
            return bad(
                problems,
                format!("tier {i} has no numeric range [start, end]"),
            );
        };
        let contiguous = match prev_end {
            None => start == 0.0,
            Some(p) => start == p,
        };
        if !contiguous || start.fract() != 0.0 || start < 0.0 || end <= start {
            return bad(
                problems,
                format!(
                    "tier {i} range [{start}, {end}] does not continue the previous range from 0"
                ),
            );
        }
        prev_end = Some(end);
        let threshold = if i == 0 { None } else { Some(start as u64) };
        let mut names: Vec<&String> = obj.keys().collect();
        names.sort();
        let mut has_input = false;
        for name in names {
            if name == "range" {
                continue;
            }
            let field = format!("tiered_pricing[{i}].{name}");
            let Some(v) = obj.get(name.as_str()) else {
                continue;
            };
            match parse_token_field(name) {
                Some((class, None, None)) => {
                    if let Some(value) = price_value(&field, v, problems) {
                        has_input |= class == Class::Input;
                        out.push(Stated {
                            field,
                            class,
                            threshold,
                            tier: None,
                            value,
                        });
                    }
                }
                _ => problems.push((
                    field,
                    "rate inside tiered_pricing this importer does not understand".to_string(),
                )),
            }
        }
        if !has_input {
            return bad(problems, format!("tier {i} has no input_cost_per_token"));
        }
    }
    if out.is_empty() {
        return bad(problems, "the list is empty".to_string());
    }
    Some(out)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 + REL_TOL * a.abs().max(b.abs())
}

// ---------------------------------------------------------------------------------------------
// Import
// ---------------------------------------------------------------------------------------------

/// What to import.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// Only this billcast provider id (`openai`, `google`, `bedrock`, …); `None` = all.
    pub provider: Option<String>,
    /// LiteLLM modes to import; empty = [`DEFAULT_MODES`] (`chat`, `responses`, `completion`).
    pub modes: Vec<String>,
    /// Date stamped as `checked` on every imported row (the LiteLLM release or download date).
    pub retrieved: jiff::civil::Date,
}

impl ImportOptions {
    /// All providers, default modes.
    pub fn new(retrieved: jiff::civil::Date) -> ImportOptions {
        ImportOptions {
            provider: None,
            modes: DEFAULT_MODES.iter().map(|s| s.to_string()).collect(),
            retrieved,
        }
    }
}

/// Something in a LiteLLM entry the import could not carry over.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Unmapped {
    /// The LiteLLM key (model entry).
    pub key: String,
    /// The field, or `(entry)` when the whole entry is concerned.
    pub field: String,
    /// Why, and what was done instead.
    pub reason: String,
}

/// The result of an import.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Import {
    /// TOML text by billcast provider id (write each as `pricing/<provider>.toml`).
    pub files: BTreeMap<String, String>,
    /// `[[models]]` written over all files.
    pub models: usize,
    /// What could not be carried over, sorted by key then field.
    pub unmapped: Vec<Unmapped>,
    /// Entries not imported by design: (key, reason) — other modes, `sample_spec`, routing
    /// rules, entries without prices, exact duplicates. Sorted by key.
    pub skipped: Vec<(String, String)>,
}

/// billcast provider id for a `litellm_provider`.
pub fn provider_id(litellm_provider: &str) -> String {
    let p = litellm_provider;
    let mapped = match p {
        "openai" | "text-completion-openai" => "openai",
        "anthropic" => "anthropic",
        "gemini" => "google",
        "bedrock" | "bedrock_converse" => "bedrock",
        "azure" | "azure_text" => "azure",
        "mistral" => "mistral",
        "deepseek" => "deepseek",
        "together_ai" => "together",
        "fireworks_ai" => "fireworks",
        "groq" => "groq",
        "xai" => "xai",
        _ if p.starts_with("vertex_ai") => "vertex",
        _ => {
            let s: String = p
                .chars()
                .map(|c| c.to_ascii_lowercase())
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' {
                        c
                    } else {
                        '-'
                    }
                })
                .collect();
            let s = s.trim_matches('-').to_string();
            return if s.is_empty() {
                "unknown".to_string()
            } else {
                s
            };
        }
    };
    mapped.to_string()
}

fn provider_name(id: &str) -> String {
    match id {
        "openai" => "OpenAI",
        "anthropic" => "Anthropic",
        "google" => "Google Gemini API",
        "vertex" => "Google Vertex AI",
        "bedrock" => "Amazon Bedrock",
        "azure" => "Azure OpenAI",
        "mistral" => "Mistral AI",
        "deepseek" => "DeepSeek",
        "together" => "Together AI",
        "fireworks" => "Fireworks AI",
        "groq" => "Groq",
        "xai" => "xAI",
        other => other,
    }
    .to_string()
}

const BEDROCK_GEOS: [&str; 10] = [
    "us", "eu", "apac", "au", "jp", "in", "ca", "uk", "global", "us-gov",
];
const AZURE_REGIONS: [&str; 7] = [
    "us",
    "eu",
    "apac",
    "global",
    "global-standard",
    "us-gov",
    "data-zone",
];

/// `us-east-1`, `us-gov-west-1`, `ap-northeast-1`, …
fn is_aws_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[0].bytes().all(|b| b.is_ascii_lowercase())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// (model id, region qualifier, id to use if the region cannot be collapsed).
fn model_id(key: &str, litellm_provider: &str, provider: &str) -> (String, Option<String>, String) {
    let stripped = match key.split_once('/') {
        Some((seg, rest))
            if !rest.is_empty()
                && (seg == litellm_provider
                    || seg == provider
                    || (seg.len() >= 3 && litellm_provider.starts_with(seg))) =>
        {
            rest
        }
        _ => key,
    };
    let full = stripped.to_string();
    if provider.starts_with("bedrock") {
        if let Some((seg, rest)) = stripped.split_once('/')
            && is_aws_region(seg)
            && !rest.is_empty()
        {
            return (rest.to_string(), Some(seg.to_string()), full);
        }
        if !stripped.contains('/')
            && let Some((geo, rest)) = stripped.split_once('.')
            && BEDROCK_GEOS.contains(&geo)
            && rest.contains('.')
        {
            return (rest.to_string(), Some(geo.to_string()), full);
        }
    }
    if provider == "azure"
        && let Some((seg, rest)) = stripped.split_once('/')
        && AZURE_REGIONS.contains(&seg)
        && !rest.is_empty()
        && !rest.contains('/')
    {
        return (rest.to_string(), Some(seg.to_string()), full);
    }
    (full.clone(), None, full)
}

/// A region-qualified LiteLLM key or id, as `(billcast provider, region-free model id,
/// region)`: Bedrock geographic profiles (`us.anthropic.claude-…`, bare or after `bedrock/`),
/// Bedrock AWS regions (`bedrock/us-gov-west-1/…`) and Azure regions (`azure/eu/gpt-4o`), as
/// the importer folds them into `regions`. `None` for anything else.
pub fn region_qualified(reference: &str) -> Option<(String, String, String)> {
    let lp = reference.split_once('/').map_or("bedrock", |(seg, _)| seg);
    let provider = provider_id(lp);
    let (mid, region, _) = model_id(reference, lp, &provider);
    region.map(|r| (provider, mid, r))
}

/// A provider-side tool fee found on an entry.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct ToolDraft {
    id: &'static str,
    unit: String,
    /// USD per 1k units in nano-dollars (exact key for grouping).
    price_nanos: i128,
    free_per_month: u64,
    free_group: Option<String>,
    notes: Option<String>,
}

/// One imported entry before grouping.
struct Draft {
    key: String,
    provider: String,
    model_id: String,
    region: Option<String>,
    /// Id used when the entry cannot be folded into a region-free model.
    separate_id: String,
    entry: ModelEntry,
    stated: Vec<Stated>,
    tools: Vec<ToolDraft>,
    problems: Vec<(String, String)>,
}

/// A model as it will be written: its draft, the region-qualified drafts folded into its
/// `regions`, and the keys of exact duplicates.
struct Final {
    draft: Draft,
    regional: Vec<(String, Draft)>,
    also: Vec<String>,
}

enum BuildFailure {
    /// Nothing priced at all.
    NoPrices,
    /// Priced, but not importable: (field, reason).
    Problems(Vec<(String, String)>),
}

fn unmap(list: &mut Vec<Unmapped>, key: &str, field: &str, reason: String) {
    list.push(Unmapped {
        key: key.to_string(),
        field: field.to_string(),
        reason,
    });
}

/// Import LiteLLM's prices as billcast price tables, one TOML text per provider.
///
/// Every emitted text loads with [`parse_file`]; every token rate LiteLLM states for an
/// imported model is priced back through [`Model::rate_card`], and any rate the table does
/// not reproduce is listed in [`Import::unmapped`] with both values.
pub fn import_litellm(lite: &LiteLlm, opts: &ImportOptions) -> Result<Import, PricingError> {
    let modes: Vec<&str> = if opts.modes.is_empty() {
        DEFAULT_MODES.to_vec()
    } else {
        opts.modes.iter().map(|s| s.as_str()).collect()
    };
    let retrieved = Date(opts.retrieved);
    let mut out = Import::default();
    let mut unmapped: Vec<Unmapped> = Vec::new();
    let mut keys: Vec<&str> = lite.keys().collect();
    keys.sort_unstable();
    let mut seen_providers: BTreeSet<String> = BTreeSet::new();
    let mut drafts: Vec<Draft> = Vec::new();
    let mut failed = 0usize;
    for key in keys {
        if key == "sample_spec" {
            out.skipped.push((
                key.to_string(),
                "documentation stub (sample_spec)".to_string(),
            ));
            continue;
        }
        let Some(entry) = lite.entry(key) else {
            out.skipped
                .push((key.to_string(), "not an object".to_string()));
            continue;
        };
        let Some(lp) = entry.litellm_provider() else {
            if entry.get("rules").is_some() {
                out.skipped.push((
                    key.to_string(),
                    "routing rules entry, not a model".to_string(),
                ));
            } else if opts.provider.is_none() {
                match entry.mode() {
                    Some(m) if modes.contains(&m) => unmap(
                        &mut unmapped,
                        key,
                        "litellm_provider",
                        "missing, so the provider selling this model is unknown; not imported"
                            .to_string(),
                    ),
                    Some(m) => out.skipped.push((key.to_string(), format!("mode {m}"))),
                    None => out.skipped.push((
                        key.to_string(),
                        "no mode and no litellm_provider".to_string(),
                    )),
                }
            }
            continue;
        };
        let provider = provider_id(lp);
        seen_providers.insert(provider.clone());
        if opts.provider.as_ref().is_some_and(|p| *p != provider) {
            continue;
        }
        match entry.mode() {
            Some(m) if modes.contains(&m) => {}
            Some(m) => {
                out.skipped.push((key.to_string(), format!("mode {m}")));
                continue;
            }
            None => {
                out.skipped.push((key.to_string(), "no mode".to_string()));
                continue;
            }
        }
        match build_draft(entry, lp, &provider, retrieved) {
            Ok(d) => drafts.push(d),
            Err(BuildFailure::NoPrices) => {
                out.skipped.push((key.to_string(), "no prices".to_string()))
            }
            Err(BuildFailure::Problems(ps)) => {
                failed += 1;
                for (field, reason) in ps {
                    unmap(&mut unmapped, key, &field, reason);
                }
            }
        }
    }
    if let Some(p) = &opts.provider
        && drafts.is_empty()
        && failed == 0
    {
        let closest = toml_util::closest_n(p, seen_providers.iter().map(|s| s.as_str()), 3);
        return Err(PricingError::Invalid {
            file: lite.name().to_string(),
            line: None,
            message: format!(
                "no {} entries for provider '{p}' (closest provider ids: {}); check the id, or import every provider",
                modes.join("/"),
                if closest.is_empty() {
                    "none".to_string()
                } else {
                    closest.join(", ")
                }
            ),
        });
    }

    // Group by (provider, model id); fold region-qualified keys into `regions`.
    let mut groups: BTreeMap<(String, String), Vec<Draft>> = BTreeMap::new();
    for d in drafts {
        groups
            .entry((d.provider.clone(), d.model_id.clone()))
            .or_default()
            .push(d);
    }
    let mut finals: BTreeMap<String, BTreeMap<String, Final>> = BTreeMap::new();
    for ((provider, mid), group) in groups {
        let (mut bases, mut regionals): (Vec<Draft>, Vec<Draft>) =
            group.into_iter().partition(|d| d.region.is_none());
        bases.sort_by(|a, b| (a.key.len(), &a.key).cmp(&(b.key.len(), &b.key)));
        regionals.sort_by(|a, b| a.key.cmp(&b.key));
        if bases.is_empty()
            && let Some(pos) = regionals
                .iter()
                .position(|d| d.region.as_deref() == Some("global"))
        {
            let mut g = regionals.remove(pos);
            g.region = None;
            bases.push(g);
        }
        let mut separate: Vec<(String, Draft)> = Vec::new();
        let mut bases = bases.into_iter();
        let mut primary: Option<Final> = bases.next().map(|d| Final {
            draft: d,
            regional: Vec::new(),
            also: Vec::new(),
        });
        for d in bases {
            let Some(p) = primary.as_mut() else { break };
            if same_prices(&p.draft.stated, &d.stated) {
                out.skipped.push((
                    d.key.clone(),
                    format!(
                        "same prices as {}; imported once as {provider}/{mid}",
                        p.draft.key
                    ),
                ));
                for (field, reason) in &d.problems {
                    unmap(&mut unmapped, &d.key, field, reason.clone());
                }
                p.also.push(d.key);
            } else {
                unmap(
                    &mut unmapped,
                    &d.key,
                    "(entry)",
                    format!(
                        "same model id as {} but different prices ({}); imported as separate model {provider}/{}",
                        p.draft.key,
                        describe_difference(&p.draft.stated, &d.stated),
                        d.key
                    ),
                );
                separate.push((d.key.clone(), d));
            }
        }
        for d in regionals {
            let region = d.region.clone().unwrap_or_default();
            let Some(p) = primary.as_mut() else {
                unmap(
                    &mut unmapped,
                    &d.key,
                    "(entry)",
                    format!(
                        "region {region}: no region-free LiteLLM entry to fold it into; imported as separate model {provider}/{}",
                        d.separate_id
                    ),
                );
                separate.push((d.separate_id.clone(), d));
                continue;
            };
            let fit = uniform_ratio(&p.draft.stated, &d.stated);
            let ratio = fit.as_ref().map(|f| f.ratio).map_err(|e| e.clone());
            match (
                ratio,
                p.draft.entry.regions.get(&region).map(|r| r.multiplier.0),
            ) {
                (Ok(r), Some(existing)) if close(existing, round9(r)) => {
                    out.skipped.push((d.key.clone(), format!("same region {region} multiplier as already imported on {provider}/{mid}")));
                    for (field, reason) in &d.problems {
                        unmap(&mut unmapped, &d.key, field, reason.clone());
                    }
                }
                (Ok(r), Some(existing)) => {
                    unmap(
                        &mut unmapped,
                        &d.key,
                        "(entry)",
                        format!(
                            "region {region} ×{} conflicts with ×{} already on {provider}/{mid}; imported as separate model {provider}/{}",
                            fmt_decimal(r),
                            fmt_decimal(existing),
                            d.separate_id
                        ),
                    );
                    separate.push((d.separate_id.clone(), d));
                }
                (Ok(r), None) if round9(r) > 0.0 => {
                    let missing = fit.map(|f| f.missing_tiers).unwrap_or_default();
                    let mut notes = format!("LiteLLM key {}", d.key);
                    if !missing.is_empty() {
                        let names: Vec<&str> = missing.into_iter().collect();
                        let _ = write!(
                            notes,
                            "; it states no {} rates for this region, so the multiplier is applied to the region-free ones",
                            names.join("/")
                        );
                    }
                    p.draft.entry.regions.insert(
                        region.clone(),
                        Region {
                            multiplier: Multiplier(round9(r)),
                            source: None,
                            notes: Some(notes),
                        },
                    );
                    p.regional.push((region, d));
                }
                (r, _) => {
                    let why = r.err().unwrap_or_else(|| "every price is zero".to_string());
                    unmap(
                        &mut unmapped,
                        &d.key,
                        "(entry)",
                        format!(
                            "region {region}: prices are not a uniform multiple of {} ({why}); imported as separate model {provider}/{}",
                            p.draft.key, d.separate_id
                        ),
                    );
                    separate.push((d.separate_id.clone(), d));
                }
            }
        }
        let files = finals.entry(provider.clone()).or_default();
        if let Some(p) = primary {
            place(files, mid.clone(), p, &mut unmapped);
        }
        for (id, d) in separate {
            place(
                files,
                id,
                Final {
                    draft: d,
                    regional: Vec::new(),
                    also: Vec::new(),
                },
                &mut unmapped,
            );
        }
    }

    // Check every stated rate against the resolver, then write one file per provider.
    let header = header(lite, retrieved);
    for (provider, models) in finals {
        let mut tools: BTreeMap<ToolDraft, BTreeSet<String>> = BTreeMap::new();
        let mut entries: Vec<ModelEntry> = Vec::new();
        for (id, f) in models {
            let mut entry = f.draft.entry;
            if !f.also.is_empty() {
                entry.notes = Some(format!(
                    "LiteLLM lists the same prices under: {}",
                    f.also.join(", ")
                ));
            }
            let model = Model {
                provider: provider.clone(),
                entry,
                file: String::new(),
                layer: super::book::Layer::LiteLlm(
                    lite.version()
                        .unwrap_or("(release not recorded)")
                        .to_string(),
                ),
            };
            for (field, reason) in f.draft.problems {
                unmap(&mut unmapped, &f.draft.key, &field, reason);
            }
            for (field, reason) in verify(&model, &f.draft.stated, None) {
                unmap(&mut unmapped, &f.draft.key, &field, reason);
            }
            for (region, d) in &f.regional {
                for (field, reason) in &d.problems {
                    unmap(&mut unmapped, &d.key, field, reason.clone());
                }
                for (field, reason) in verify(&model, &d.stated, Some(region)) {
                    unmap(&mut unmapped, &d.key, &field, reason);
                }
            }
            for t in f.draft.tools {
                tools.entry(t).or_default().insert(id.clone());
            }
            entries.push(model.entry);
        }
        let provider_entry = ProviderEntry {
            id: Spanned::new(0..0, provider.clone()),
            name: provider_name(&provider),
            source: Some(DEFAULT_SOURCE.to_string()),
            checked: Some(retrieved),
            usage_convention: if provider == "anthropic" || provider == "bedrock" {
                UsageConvention::InputExcludesCached
            } else {
                UsageConvention::InputIncludesCached
            },
            currency: Some("USD".to_string()),
            notes: Some(provider_notes(&provider)),
            tools: tools
                .into_iter()
                .map(|(t, ids)| ToolEntry {
                    id: t.id.to_string(),
                    unit: t.unit,
                    price_per_1k: Price(t.price_nanos as f64 / 1e9),
                    free_per_month: t.free_per_month as f64,
                    free_group: t.free_group,
                    models: ids.into_iter().collect(),
                    source: Some(DEFAULT_SOURCE.to_string()),
                    checked: Some(retrieved),
                    notes: t.notes,
                })
                .collect(),
        };
        let text = write_table(&header, &provider_entry, &entries);
        parse_file(&format!("{provider}.toml"), &text)?;
        out.models += entries.len();
        out.files.insert(provider, text);
    }
    unmapped.sort();
    unmapped.dedup();
    out.unmapped = unmapped;
    out.skipped.sort();
    Ok(out)
}

fn provider_notes(provider: &str) -> String {
    let mut s = "Imported from LiteLLM's price JSON (a secondary source); each model's `source` names the primary page.".to_string();
    if provider == "vertex" {
        s.push_str(" Claude models on Vertex report input tokens excluding cached ones (Gemini models include them); this table uses input_includes_cached.");
    }
    s
}

/// Put a model into its provider's file under `id`, unless the id is taken.
fn place(
    files: &mut BTreeMap<String, Final>,
    id: String,
    mut f: Final,
    unmapped: &mut Vec<Unmapped>,
) {
    if let Some(other) = files.get(&id) {
        unmap(
            unmapped,
            &f.draft.key,
            "(entry)",
            format!(
                "model id {id} is already used by LiteLLM key {}; not imported",
                other.draft.key
            ),
        );
        return;
    }
    f.draft.entry.id = Spanned::new(0..0, id.clone());
    files.insert(id, f);
}

fn stated_map(s: &[Stated]) -> BTreeMap<&str, f64> {
    s.iter().map(|x| (x.field.as_str(), x.value)).collect()
}

fn same_prices(a: &[Stated], b: &[Stated]) -> bool {
    let (a, b) = (stated_map(a), stated_map(b));
    a.len() == b.len()
        && a.iter()
            .all(|(k, v)| b.get(k).is_some_and(|w| close(*v, *w)))
}

fn list_some(v: &[String]) -> String {
    if v.len() > 4 {
        format!("{}, … ({} in all)", v[..4].join(", "), v.len())
    } else {
        v.join(", ")
    }
}

fn describe_difference(a: &[Stated], b: &[Stated]) -> String {
    let (a, b) = (stated_map(a), stated_map(b));
    let mut diffs = Vec::new();
    for (k, v) in &a {
        match b.get(k) {
            Some(w) if close(*v, *w) => {}
            Some(w) => diffs.push(format!("{k} {} vs {}", fmt_decimal(*w), fmt_decimal(*v))),
            None => diffs.push(format!("no {k}")),
        }
    }
    for k in b.keys() {
        if !a.contains_key(k) {
            diffs.push(format!("extra {k}"));
        }
    }
    list_some(&diffs)
}

/// How a region-qualified entry relates to its region-free entry.
#[derive(Debug)]
struct RegionFit {
    /// `other / base`, the same for every rate both state.
    ratio: f64,
    /// Service tiers the region-free entry prices but this one does not.
    missing_tiers: BTreeSet<&'static str>,
}

/// The single ratio `other / base` over every stated rate, or why there is none. Service-tier
/// rates the regional entry leaves out are tolerated (LiteLLM often lists batch or flex only
/// on the region-free row); anything else either entry has alone prevents folding.
fn uniform_ratio(base: &[Stated], other: &[Stated]) -> Result<RegionFit, String> {
    let (a, b) = (stated_map(base), stated_map(other));
    let tier_of: BTreeMap<&str, Option<&'static str>> =
        base.iter().map(|s| (s.field.as_str(), s.tier)).collect();
    let mut missing_tiers = BTreeSet::new();
    let mut only_a: Vec<String> = Vec::new();
    for k in a.keys().filter(|k| !b.contains_key(*k)) {
        match tier_of.get(k).copied().flatten() {
            Some(t) => {
                missing_tiers.insert(t);
            }
            None => only_a.push(k.to_string()),
        }
    }
    let only_b: Vec<String> = b
        .keys()
        .filter(|k| !a.contains_key(*k))
        .map(|k| k.to_string())
        .collect();
    if !only_a.is_empty() || !only_b.is_empty() {
        let mut parts = Vec::new();
        if !only_a.is_empty() {
            parts.push(format!(
                "only the region-free entry has {}",
                list_some(&only_a)
            ));
        }
        if !only_b.is_empty() {
            parts.push(format!("only this entry has {}", list_some(&only_b)));
        }
        return Err(parts.join("; "));
    }
    let mut ratios: Vec<(&str, f64)> = Vec::new();
    for (k, vb) in &b {
        let va = a.get(k).copied().unwrap_or_default();
        if va == 0.0 && *vb == 0.0 {
            continue;
        }
        if va == 0.0 || *vb == 0.0 {
            return Err(format!(
                "{k} is {} here vs {}",
                fmt_decimal(*vb),
                fmt_decimal(va)
            ));
        }
        ratios.push((k, vb / va));
    }
    let Some(&(_, r0)) = ratios.first() else {
        return Ok(RegionFit {
            ratio: 1.0,
            missing_tiers,
        });
    };
    if ratios.iter().all(|(_, r)| close(*r, r0)) {
        return Ok(RegionFit {
            ratio: r0,
            missing_tiers,
        });
    }
    let mut shown: Vec<String> = Vec::new();
    let mut seen: Vec<f64> = Vec::new();
    for (k, r) in &ratios {
        if !seen.iter().any(|s| close(*s, *r)) {
            seen.push(*r);
            shown.push(format!("{k} ×{}", fmt_decimal(round9(*r))));
        }
    }
    Err(format!("ratios differ: {}", list_some(&shown)))
}

fn ttl_label(t: Ttl, claude_style: bool) -> &'static str {
    match t {
        Ttl::Short if claude_style => "5m",
        Ttl::Short => "default",
        Ttl::Hour => "1h",
        Ttl::HalfDay => "12h",
    }
}

fn cache_write_of(writes: &BTreeMap<Ttl, f64>, claude_style: bool) -> Option<CacheWrite> {
    if writes.is_empty() {
        return None;
    }
    if !claude_style
        && writes.len() == 1
        && let Some(v) = writes.get(&Ttl::Short)
    {
        return Some(CacheWrite::Flat(Price(*v)));
    }
    Some(CacheWrite::ByTtl(
        writes
            .iter()
            .map(|(t, v)| (ttl_label(*t, claude_style).to_string(), Price(*v)))
            .collect(),
    ))
}

fn reasoning_of(reasoning: Option<f64>, output: f64) -> Option<ReasoningRate> {
    match reasoning {
        Some(r) if close(r, output) => Some(ReasoningRate::AsOutput),
        Some(r) => Some(ReasoningRate::Rate(Price(r))),
        None => None,
    }
}

/// Rates of one (threshold, tier) cell: class → USD/MTok.
type Cell = BTreeMap<Class, f64>;

fn writes_of(c: &Cell) -> BTreeMap<Ttl, f64> {
    c.iter()
        .filter_map(|(k, v)| match k {
            Class::CacheWrite(t) => Some((*t, *v)),
            _ => None,
        })
        .collect()
}

/// Rates of a cell with every class it leaves out taken from `fallback` (LiteLLM falls back
/// to the un-suffixed key).
fn filled_rates(c: &Cell, fallback: &Cell, claude_style: bool) -> Option<super::schema::Rates> {
    let get = |k: Class| c.get(&k).or_else(|| fallback.get(&k)).copied();
    let input = get(Class::Input)?;
    let output = get(Class::Output)?;
    let mut writes = writes_of(fallback);
    writes.extend(writes_of(c));
    Some(super::schema::Rates {
        input: Price(input),
        output: Price(output),
        cache_read: get(Class::CacheRead).map(Price),
        cache_write: cache_write_of(&writes, claude_style),
        reasoning: reasoning_of(c.get(&Class::Reasoning).copied(), output),
    })
}

/// A service tier from its rates `t` and the standard rates `std`: one multiplier when every
/// class it prices has the same ratio to standard, else absolute rates. Classes the tier
/// leaves out keep their standard rate (LiteLLM's fallback).
fn service_tier_of(t: &Cell, std: &Cell, claude_style: bool) -> Option<ServiceTier> {
    let std_in = *std.get(&Class::Input)?;
    let std_out = *std.get(&Class::Output)?;
    let std_of = |c: Class| -> f64 {
        match c {
            Class::Input => std_in,
            Class::Output => std_out,
            Class::CacheRead => std.get(&c).copied().unwrap_or(std_in),
            Class::CacheWrite(ttl) => std
                .get(&c)
                .or_else(|| {
                    if ttl == Ttl::Short {
                        None
                    } else {
                        std.get(&Class::CacheWrite(Ttl::Short))
                    }
                })
                .copied()
                .unwrap_or(std_in),
            Class::Reasoning => std.get(&c).copied().unwrap_or(std_out),
        }
    };
    let mut ratios = Vec::new();
    let mut degenerate = false;
    for (c, v) in t {
        let s = std_of(*c);
        if s == 0.0 && *v == 0.0 {
            continue;
        }
        if s == 0.0 {
            degenerate = true;
            continue;
        }
        ratios.push(*v / s);
    }
    let uniform = !degenerate
        && ratios
            .first()
            .is_some_and(|r0| *r0 > 0.0 && ratios.iter().all(|r| close(*r, *r0)));
    if uniform {
        let r = round9(ratios.first().copied().unwrap_or(1.0));
        let has = |c: Class| t.contains_key(&c);
        let has_write = t.keys().any(|c| matches!(c, Class::CacheWrite(_)));
        let std_has_read = std.contains_key(&Class::CacheRead);
        let std_has_write = std.keys().any(|c| matches!(c, Class::CacheWrite(_)));
        let mut applies = Vec::new();
        if has(Class::Input) {
            applies.push(TokenClass::Input);
        }
        if has(Class::CacheRead) || (!std_has_read && has(Class::Input)) {
            applies.push(TokenClass::CacheRead);
        }
        if has_write || (!std_has_write && has(Class::Input)) {
            applies.push(TokenClass::CacheWrite);
        }
        if has(Class::Output) || has(Class::Reasoning) {
            applies.push(TokenClass::Output);
        }
        if !applies.is_empty() {
            let mut notes = None;
            if has_write {
                let missing: Vec<&str> = writes_of(std)
                    .keys()
                    .filter(|ttl| !t.contains_key(&Class::CacheWrite(**ttl)))
                    .map(|ttl| ttl_label(*ttl, claude_style))
                    .collect();
                if !missing.is_empty() {
                    notes = Some(format!(
                        "LiteLLM states no rate for the {} cache write in this tier; the multiplier is applied to it too",
                        missing.join(", ")
                    ));
                }
            }
            return Some(ServiceTier {
                multiplier: Some(Multiplier(r)),
                applies_to: if applies.len() == 4 {
                    None
                } else {
                    Some(applies)
                },
                rates: None,
                source: None,
                notes,
            });
        }
    }
    Some(ServiceTier {
        multiplier: None,
        applies_to: None,
        rates: Some(filled_rates(t, std, claude_style)?),
        source: None,
        notes: None,
    })
}

fn positive(v: &Value) -> Option<f64> {
    v.as_f64().filter(|x| x.is_finite() && *x > 0.0)
}

fn whole(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| {
        v.as_f64()
            .filter(|x| x.fract() == 0.0 && *x >= 0.0 && *x < 9.0e15)
            .map(|x| x as u64)
    })
}

fn nanos(usd: f64) -> i128 {
    (usd * 1e9).round() as i128
}

/// Tool fees on one entry.
fn tools_of(entry: Entry<'_>, problems: &mut Vec<(String, String)>) -> Vec<ToolDraft> {
    let mut tools = Vec::new();
    if let Some(v) = entry.get("search_context_cost_per_query") {
        let size = |k: &str| {
            v.get(k)
                .and_then(Value::as_f64)
                .filter(|x| x.is_finite() && *x >= 0.0)
        };
        match size("search_context_size_medium") {
            Some(medium) => {
                let low = size("search_context_size_low");
                let high = size("search_context_size_high");
                if low.is_some_and(|l| !close(l, medium)) || high.is_some_and(|h| !close(h, medium))
                {
                    problems.push((
                        "search_context_cost_per_query".to_string(),
                        format!(
                            "low/high context sizes cost {}/{} USD per query vs {} for medium; only medium is imported (web_search)",
                            low.map_or("-".to_string(), fmt_decimal),
                            high.map_or("-".to_string(), fmt_decimal),
                            fmt_decimal(medium)
                        ),
                    ));
                }
                let unit = match entry.get("web_search_billing_unit").and_then(Value::as_str) {
                    None => "call".to_string(),
                    Some("per_query") => "query".to_string(),
                    Some(other) => {
                        problems.push((
                            "web_search_billing_unit".to_string(),
                            format!(
                                "unknown billing unit \"{other}\"; web_search is priced per call"
                            ),
                        ));
                        "call".to_string()
                    }
                };
                let (mut free, mut group, mut notes) = (0, None, None);
                if let Some(fr) = entry.get("search_free_requests") {
                    let count = fr.get("count").and_then(whole);
                    let period = fr.get("period").and_then(Value::as_str);
                    let shared = fr
                        .get("shared_group")
                        .and_then(Value::as_str)
                        .map(str::to_string);
                    match (count, period) {
                        (Some(c), Some("month")) => {
                            free = c;
                            group = shared;
                        }
                        (Some(c), Some(p)) => {
                            let text = format!(
                                "{c} free searches per {p}{}",
                                shared.as_ref().map_or(String::new(), |g| format!(" (shared by {g})"))
                            );
                            notes = Some(format!("LiteLLM: {text}; not applied (billcast allowances are monthly)"));
                            problems.push((
                                "search_free_requests".to_string(),
                                format!("{text}: only monthly allowances can be expressed; imported without a free allowance"),
                            ));
                        }
                        _ => problems.push((
                            "search_free_requests".to_string(),
                            "expected { count, period, shared_group }; imported without a free allowance".to_string(),
                        )),
                    }
                }
                tools.push(ToolDraft {
                    id: "web_search",
                    unit,
                    price_nanos: nanos(round9(medium * 1000.0)),
                    free_per_month: free,
                    free_group: group,
                    notes,
                });
            }
            None => problems.push((
                "search_context_cost_per_query".to_string(),
                "no numeric search_context_size_medium; web_search not imported".to_string(),
            )),
        }
    }
    for (field, id, unit) in [
        (
            "google_maps_grounding_cost_per_query",
            "maps_grounding",
            "query",
        ),
        (
            "code_interpreter_cost_per_session",
            "code_interpreter",
            "session",
        ),
    ] {
        if let Some(v) = entry.get(field) {
            match v.as_f64().filter(|x| x.is_finite() && *x >= 0.0) {
                Some(x) => tools.push(ToolDraft {
                    id,
                    unit: unit.to_string(),
                    price_nanos: nanos(round9(x * 1000.0)),
                    free_per_month: 0,
                    free_group: None,
                    notes: None,
                }),
                None => problems.push((
                    field.to_string(),
                    format!("expected USD per {unit}, found {}", json_type(v)),
                )),
            }
        }
    }
    tools
}

/// Build one entry's model (before region folding).
fn build_draft(
    entry: Entry<'_>,
    lp: &str,
    provider: &str,
    retrieved: Date,
) -> Result<Draft, BuildFailure> {
    let key = entry.key();
    let ex = extract(entry.fields());
    let mut problems = ex.problems;
    let mut stated = ex.stated;
    let (mid, region, separate_id) = model_id(key, lp, provider);
    let mut cells: BTreeMap<(Option<u64>, Option<&'static str>), Cell> = BTreeMap::new();
    for s in &stated {
        cells
            .entry((s.threshold, s.tier))
            .or_default()
            .entry(s.class)
            .or_insert(s.value);
    }
    let std = cells.get(&(None, None)).cloned().unwrap_or_default();
    let (input, output) = match (std.get(&Class::Input), std.get(&Class::Output)) {
        (Some(i), Some(o)) => (*i, *o),
        (i, o) => {
            if stated.is_empty() && !ex.other_prices {
                return Err(BuildFailure::NoPrices);
            }
            let what = match (i, o) {
                (None, None) => "no per-token input or output price".to_string(),
                (None, _) => "no input_cost_per_token".to_string(),
                _ => "no output_cost_per_token".to_string(),
            };
            problems.push((
                "(entry)".to_string(),
                format!("{what}; model not imported (add it by hand if you need it)"),
            ));
            return Err(BuildFailure::Problems(problems));
        }
    };
    let claude_style = provider == "anthropic"
        || key.to_ascii_lowercase().contains("claude")
        || stated
            .iter()
            .any(|s| s.class == Class::CacheWrite(Ttl::Hour));

    let rates = super::schema::Rates {
        input: Price(input),
        output: Price(output),
        cache_read: std.get(&Class::CacheRead).copied().map(Price),
        cache_write: cache_write_of(&writes_of(&std), claude_style),
        reasoning: reasoning_of(std.get(&Class::Reasoning).copied(), output),
    };

    // Long-context tiers.
    let mut dropped: BTreeSet<(Option<u64>, Option<&'static str>)> = BTreeSet::new();
    let mut context_tiers = Vec::new();
    for ((thr, tier), c) in &cells {
        let (Some(t), None) = (thr, tier) else {
            continue;
        };
        let r = if ex.tiered {
            c.get(&Class::Input)
                .zip(c.get(&Class::Output))
                .map(|(i, o)| super::schema::Rates {
                    input: Price(*i),
                    output: Price(*o),
                    cache_read: c.get(&Class::CacheRead).copied().map(Price),
                    cache_write: cache_write_of(&writes_of(c), claude_style),
                    reasoning: reasoning_of(c.get(&Class::Reasoning).copied(), *o),
                })
        } else if c.contains_key(&Class::Input) {
            filled_rates(c, &std, claude_style)
        } else {
            None
        };
        match r {
            Some(r) => context_tiers.push(ContextTier {
                above_input_tokens: *t,
                inclusive: lp == "xai",
                multipliers: None,
                rates: Some(r),
                source: None,
            }),
            None => {
                dropped.insert((Some(*t), None));
                for s in stated.iter().filter(|s| s.threshold == Some(*t)) {
                    problems.push((
                        s.field.clone(),
                        format!("LiteLLM applies no tier above {t} tokens without an input rate for it; not imported"),
                    ));
                }
            }
        }
    }

    // Service tiers.
    let mut service_tiers = BTreeMap::new();
    let tier_names: BTreeSet<&'static str> = cells.keys().filter_map(|(_, t)| *t).collect();
    for name in tier_names {
        let built = cells
            .get(&(None, Some(name)))
            .and_then(|t| service_tier_of(t, &std, claude_style));
        match built {
            Some(st) => {
                service_tiers.insert(name.to_string(), st);
            }
            None => {
                for s in stated.iter().filter(|s| s.tier == Some(name)) {
                    problems.push((
                        s.field.clone(),
                        format!("LiteLLM prices service tier {name} only above a long-context threshold; billcast tiers need base rates, not imported"),
                    ));
                }
                dropped.extend(cells.keys().filter(|(_, t)| *t == Some(name)).copied());
            }
        }
    }
    stated.retain(|s| {
        !dropped.contains(&(s.threshold, s.tier)) && !dropped.contains(&(s.threshold, None))
    });

    // Regions and provider-specific factors.
    let mut regions = BTreeMap::new();
    for (field, name) in [
        ("regional_processing_uplift_multiplier_us", "us"),
        ("regional_processing_uplift_multiplier_eu", "eu"),
        ("fedramp_uplift_multiplier", "fedramp"),
        ("regional_endpoint_uplift_multiplier", "regional"),
    ] {
        if let Some(v) = entry.get(field) {
            match positive(v) {
                Some(m) => {
                    regions.insert(
                        name.to_string(),
                        Region {
                            multiplier: Multiplier(round9(m)),
                            source: None,
                            notes: Some(format!("LiteLLM {field}")),
                        },
                    );
                }
                None => problems.push((field.to_string(), "expected a multiplier > 0".to_string())),
            }
        }
    }
    if let Some(pse) = entry
        .get("provider_specific_entry")
        .and_then(Value::as_object)
    {
        for (k, v) in pse {
            let Some(m) = v.as_f64() else { continue };
            let field = format!("provider_specific_entry.{k}");
            if !(m.is_finite() && m > 0.0) {
                problems.push((field, "expected a multiplier > 0".to_string()));
                continue;
            }
            match k.as_str() {
                "us" => match regions.get("us") {
                    Some(Region { multiplier, .. }) if !close(multiplier.0, m) => problems.push((
                        field,
                        format!(
                            "conflicts with the us uplift ×{} already imported",
                            fmt_decimal(multiplier.0)
                        ),
                    )),
                    _ => {
                        regions.insert(
                            "us".to_string(),
                            Region {
                                multiplier: Multiplier(round9(m)),
                                source: None,
                                notes: Some(
                                    "LiteLLM provider_specific_entry.us (US-only inference)"
                                        .to_string(),
                                ),
                            },
                        );
                    }
                },
                "fast" if !service_tiers.contains_key("fast") => {
                    service_tiers.insert(
                        "fast".to_string(),
                        ServiceTier {
                            multiplier: Some(Multiplier(round9(m))),
                            applies_to: None,
                            rates: None,
                            source: None,
                            notes: Some(
                                "LiteLLM provider_specific_entry.fast (fast mode)".to_string(),
                            ),
                        },
                    );
                }
                _ => problems.push((
                    field,
                    "provider-specific multiplier this importer does not understand".to_string(),
                )),
            }
        }
    }

    // Limits, lifecycle, caching.
    let mut limit = |field: &str| -> Option<u64> {
        let v = entry.get(field)?;
        let n = whole(v);
        if n.is_none() {
            problems.push((
                field.to_string(),
                format!("expected a whole number of tokens, found {}", json_type(v)),
            ));
        }
        n
    };
    let context_window = limit("max_input_tokens");
    let max_output_tokens = limit("max_output_tokens");
    let caching = limit("prompt_cache_min_tokens").map(|n| Caching {
        min_prefix_tokens: n,
        implicit: None,
        unit_tokens: None,
    });
    let deprecation_date = match entry.get("deprecation_date") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let parsed = v
                .as_str()
                .and_then(|s| s.get(..10).unwrap_or(s).parse::<jiff::civil::Date>().ok());
            if parsed.is_none() {
                problems.push((
                    "deprecation_date".to_string(),
                    format!("{v} is not a date (YYYY-MM-DD); not imported"),
                ));
            }
            parsed.map(Date)
        }
    };
    let tools = tools_of(entry, &mut problems);

    let model = ModelEntry {
        id: Spanned::new(0..0, mid.clone()),
        name: None,
        aliases: Vec::new(),
        status: None,
        released: None,
        deprecation_date,
        successor: entry
            .get("successor_model")
            .and_then(Value::as_str)
            .map(str::to_string),
        context_window,
        max_output_tokens,
        source: Some(entry.source().unwrap_or(DEFAULT_SOURCE).to_string()),
        checked: Some(retrieved),
        confidence: Some("secondary".to_string()),
        effective_from: None,
        litellm: Some(key.to_string()),
        tool_overhead_tokens: None,
        notes: None,
        rates,
        caching,
        tokenizer: None,
        context_tiers,
        service_tiers,
        regions,
        schedule: Vec::new(),
    };
    Ok(Draft {
        key: key.to_string(),
        provider: provider.to_string(),
        model_id: mid,
        region,
        separate_id,
        entry: model,
        stated,
        tools,
        problems,
    })
}

/// Price every stated rate with the resolver; report the ones the table does not reproduce.
fn verify(model: &Model, stated: &[Stated], region: Option<&str>) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    let thresholds: Vec<u64> = model
        .context_tiers()
        .iter()
        .map(|t| t.above_input_tokens)
        .collect();
    let short_label = match &model.entry.rates.cache_write {
        Some(CacheWrite::ByTtl(m)) if m.contains_key("5m") => Some("5m"),
        Some(CacheWrite::ByTtl(_)) => Some("default"),
        _ => None,
    };
    for s in stated {
        let index = match s.threshold {
            None => 0,
            Some(t) => match thresholds.iter().position(|x| *x == t) {
                Some(i) => i + 1,
                None => {
                    problems.push((
                        s.field.clone(),
                        format!("the long-context tier above {t} tokens was not imported"),
                    ));
                    continue;
                }
            },
        };
        let cache_ttl = match (s.class, short_label) {
            (Class::CacheWrite(Ttl::Short), Some(l)) => Some(l.to_string()),
            (Class::CacheWrite(t), Some(_)) => Some(ttl_label(t, true).to_string()),
            _ => None,
        };
        let q = RateQuery {
            date: None,
            service_tier: s.tier.map(str::to_string),
            region: region.map(str::to_string),
            cache_ttl,
        };
        match model.rate_card(&q, index) {
            Ok(card) => {
                let got = match s.class {
                    Class::Input => card.input,
                    Class::CacheRead => card.cache_read,
                    Class::CacheWrite(_) => card.cache_write,
                    Class::Output => card.output,
                    Class::Reasoning => card.reasoning,
                };
                if !close(got, s.value) {
                    let why = if s.tier.is_some() && s.threshold.is_some() {
                        " — billcast multiplies the service-tier rate by the long-context tier's ratio, and LiteLLM's combined rate is not that product"
                    } else {
                        ""
                    };
                    problems.push((
                        s.field.clone(),
                        format!(
                            "LiteLLM bills {} USD/MTok; the imported table gives {}{why}",
                            fmt_decimal(s.value),
                            fmt_decimal(got)
                        ),
                    ));
                }
            }
            Err(e) => problems.push((s.field.clone(), format!("not reproduced: {e}"))),
        }
    }
    problems
}

// ---------------------------------------------------------------------------------------------
// TOML writer
// ---------------------------------------------------------------------------------------------

fn header(lite: &LiteLlm, retrieved: Date) -> String {
    let file = Path::new(lite.name())
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(lite.name());
    let version = lite.version().map_or_else(
        || "LiteLLM version not recorded".to_string(),
        |v| format!("LiteLLM {v}"),
    );
    format!(
        "# Generated by `billcast pricing import-litellm` from {file} ({version}; sha256 {}) on {retrieved}.\n\
         # Prices: USD per 1M tokens (LiteLLM's USD per token × 1e6, rounded to 1e-9); tool fees: USD per 1,000 uses.\n\
         # LiteLLM is a secondary source: every row has confidence = \"secondary\" and names its primary `source`.\n\
         # Do not edit by hand: re-run the import, or override models in a later --pricing file.\n",
        lite.sha256()
    )
}

fn quote(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\t' => o.push_str("\\t"),
            '\r' => o.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(o, "\\u{:04X}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// A key, bare when TOML allows and it does not start with a digit (`"5m"` stays quoted).
fn tkey(k: &str) -> String {
    let bare = k
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if bare { k.to_string() } else { quote(k) }
}

fn inline(pairs: &[(String, String)]) -> String {
    if pairs.is_empty() {
        return "{}".to_string();
    }
    let body: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{} = {v}", tkey(k)))
        .collect();
    format!("{{ {} }}", body.join(", "))
}

/// A string array, one item per line when it would not fit on one line.
fn str_array(v: &[String]) -> String {
    let items: Vec<String> = v.iter().map(|s| quote(s)).collect();
    let one_line = format!("[{}]", items.join(", "));
    if one_line.len() <= 90 {
        return one_line;
    }
    let mut s = String::from("[\n");
    for item in items {
        let _ = writeln!(s, "  {item},");
    }
    s.push(']');
    s
}

fn cache_write_value(cw: &CacheWrite) -> String {
    match cw {
        CacheWrite::Flat(p) => fmt_decimal(p.0),
        CacheWrite::ByTtl(m) => {
            let pairs: Vec<(String, String)> = m
                .iter()
                .map(|(k, p)| (k.clone(), fmt_decimal(p.0)))
                .collect();
            inline(&pairs)
        }
    }
}

fn rates_inline(r: &super::schema::Rates) -> String {
    let mut pairs = vec![
        ("input".to_string(), fmt_decimal(r.input.0)),
        ("output".to_string(), fmt_decimal(r.output.0)),
    ];
    if let Some(p) = r.cache_read {
        pairs.push(("cache_read".to_string(), fmt_decimal(p.0)));
    }
    if let Some(cw) = &r.cache_write {
        pairs.push(("cache_write".to_string(), cache_write_value(cw)));
    }
    match &r.reasoning {
        Some(ReasoningRate::AsOutput) => pairs.push(("reasoning".to_string(), quote("output"))),
        Some(ReasoningRate::Rate(p)) => pairs.push(("reasoning".to_string(), fmt_decimal(p.0))),
        None => {}
    }
    inline(&pairs)
}

fn mults_inline(m: &ClassMultipliers) -> String {
    let pairs: Vec<(String, String)> = [
        ("input", m.input),
        ("cache_read", m.cache_read),
        ("cache_write", m.cache_write),
        ("output", m.output),
        ("reasoning", m.reasoning),
    ]
    .iter()
    .filter_map(|(k, v)| v.map(|x| (k.to_string(), fmt_decimal(x.0))))
    .collect();
    inline(&pairs)
}

struct Lines(String);

impl Lines {
    fn kv(&mut self, k: &str, v: impl AsRef<str>) {
        let _ = writeln!(self.0, "{} = {}", tkey(k), v.as_ref());
    }
    fn opt_str(&mut self, k: &str, v: &Option<String>) {
        if let Some(s) = v {
            self.kv(k, quote(s));
        }
    }
    fn opt_date(&mut self, k: &str, v: &Option<Date>) {
        if let Some(d) = v {
            self.kv(k, d.to_string());
        }
    }
    fn opt_u64(&mut self, k: &str, v: Option<u64>) {
        if let Some(n) = v {
            self.kv(k, n.to_string());
        }
    }
    fn line(&mut self, s: &str) {
        self.0.push_str(s);
        self.0.push('\n');
    }
}

/// Render a price table as TOML in a fixed order.
fn write_table(header: &str, p: &ProviderEntry, models: &[ModelEntry]) -> String {
    let mut w = Lines(String::new());
    w.0.push_str(header);
    w.line("");
    w.kv("schema_version", "1");
    w.line("");
    w.line("[provider]");
    w.kv("id", quote(p.id.get_ref()));
    w.kv("name", quote(&p.name));
    w.opt_str("source", &p.source);
    w.opt_date("checked", &p.checked);
    w.kv(
        "usage_convention",
        quote(match p.usage_convention {
            UsageConvention::InputIncludesCached => "input_includes_cached",
            UsageConvention::InputExcludesCached => "input_excludes_cached",
        }),
    );
    w.opt_str("currency", &p.currency);
    w.opt_str("notes", &p.notes);
    for t in &p.tools {
        w.line("");
        w.line("[[provider.tools]]");
        w.kv("id", quote(&t.id));
        w.kv("unit", quote(&t.unit));
        w.kv("price_per_1k", fmt_decimal(t.price_per_1k.0));
        if t.free_per_month > 0.0 {
            w.kv("free_per_month", fmt_decimal(t.free_per_month));
        }
        w.opt_str("free_group", &t.free_group);
        if !t.models.is_empty() {
            w.kv("models", str_array(&t.models));
        }
        w.opt_str("source", &t.source);
        w.opt_date("checked", &t.checked);
        w.opt_str("notes", &t.notes);
    }
    for m in models {
        w.line("");
        w.line("[[models]]");
        w.kv("id", quote(m.id.get_ref()));
        w.opt_str("name", &m.name);
        if !m.aliases.is_empty() {
            w.kv("aliases", str_array(&m.aliases));
        }
        w.opt_str("status", &m.status);
        w.opt_date("released", &m.released);
        w.opt_date("deprecation_date", &m.deprecation_date);
        w.opt_str("successor", &m.successor);
        w.opt_u64("context_window", m.context_window);
        w.opt_u64("max_output_tokens", m.max_output_tokens);
        w.opt_str("litellm", &m.litellm);
        w.opt_str("source", &m.source);
        w.opt_date("checked", &m.checked);
        w.opt_str("confidence", &m.confidence);
        w.opt_date("effective_from", &m.effective_from);
        w.opt_u64("tool_overhead_tokens", m.tool_overhead_tokens);
        w.opt_str("notes", &m.notes);
        w.kv("rates", rates_inline(&m.rates));
        if let Some(c) = &m.caching {
            let mut pairs = vec![(
                "min_prefix_tokens".to_string(),
                c.min_prefix_tokens.to_string(),
            )];
            if let Some(i) = c.implicit {
                pairs.push(("implicit".to_string(), i.to_string()));
            }
            w.kv("caching", inline(&pairs));
        }
        if let Some(t) = &m.tokenizer {
            let mut pairs = vec![
                ("family".to_string(), quote(&t.family)),
                ("ratio".to_string(), fmt_decimal(t.ratio.0)),
            ];
            if let Some(b) = &t.basis {
                pairs.push(("basis".to_string(), quote(b)));
            }
            if let Some(c) = &t.confidence {
                pairs.push(("confidence".to_string(), quote(c)));
            }
            if let Some([lo, hi]) = t.range {
                pairs.push((
                    "range".to_string(),
                    format!("[{}, {}]", fmt_decimal(lo), fmt_decimal(hi)),
                ));
            }
            w.kv("tokenizer", inline(&pairs));
        }
        let mut tiers: Vec<&ContextTier> = m.context_tiers.iter().collect();
        tiers.sort_by_key(|t| t.above_input_tokens);
        for t in tiers {
            w.line("");
            w.line("[[models.context_tiers]]");
            w.kv("above_input_tokens", t.above_input_tokens.to_string());
            if t.inclusive {
                w.kv("inclusive", "true");
            }
            if let Some(mu) = &t.multipliers {
                w.kv("multipliers", mults_inline(mu));
            }
            if let Some(r) = &t.rates {
                w.kv("rates", rates_inline(r));
            }
            w.opt_str("source", &t.source);
        }
        for (name, st) in &m.service_tiers {
            w.line("");
            w.line(&format!("[models.service_tiers.{}]", tkey(name)));
            if let Some(mu) = st.multiplier {
                w.kv("multiplier", fmt_decimal(mu.0));
            }
            if let Some(a) = &st.applies_to {
                let names: Vec<String> = a.iter().map(|c| c.name().to_string()).collect();
                w.kv("applies_to", str_array(&names));
            }
            if let Some(r) = &st.rates {
                w.kv("rates", rates_inline(r));
            }
            w.opt_str("source", &st.source);
            w.opt_str("notes", &st.notes);
        }
        for (name, r) in &m.regions {
            w.line("");
            w.line(&format!("[models.regions.{}]", tkey(name)));
            w.kv("multiplier", fmt_decimal(r.multiplier.0));
            w.opt_str("source", &r.source);
            w.opt_str("notes", &r.notes);
        }
        for s in &m.schedule {
            write_schedule(&mut w, s);
        }
    }
    w.0
}

fn write_schedule(w: &mut Lines, s: &ScheduleEntry) {
    w.line("");
    w.line("[[models.schedule]]");
    w.kv("effective_from", s.effective_from.to_string());
    w.opt_date("effective_to", &s.effective_to);
    w.kv("rates", rates_inline(&s.rates));
    w.opt_str("source", &s.source);
    w.opt_date("checked", &s.checked);
    w.opt_str("confidence", &s.confidence);
    w.opt_str("notes", &s.notes);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::PriceBook;

    const REAL: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/pricing/litellm_model_prices.json"
    );

    fn day() -> jiff::civil::Date {
        jiff::civil::date(2026, 11, 26)
    }

    fn lite(json: &str) -> LiteLlm {
        LiteLlm::parse("test.json", json).expect("test JSON parses")
    }

    fn real() -> LiteLlm {
        let text =
            std::fs::read_to_string(REAL).expect("LiteLLM price JSON bundled in data/pricing");
        LiteLlm::parse(REAL, &text)
            .expect("LiteLLM JSON parses")
            .with_version("1.110.2")
    }

    /// Import, load every file back through `parse_file` into a book.
    fn import_book(l: &LiteLlm, provider: Option<&str>) -> (Import, PriceBook) {
        let mut opts = ImportOptions::new(day());
        opts.provider = provider.map(str::to_string);
        let imp = import_litellm(l, &opts).expect("import succeeds");
        let mut book = PriceBook::empty();
        for (p, text) in &imp.files {
            parse_file(&format!("{p}.toml"), text).expect("emitted file parses");
            book.add_text(&format!("{p}.toml"), text, false)
                .expect("emitted file loads");
        }
        (imp, book)
    }

    fn has_unmapped(imp: &Import, key: &str, field: &str, needle: &str) -> bool {
        imp.unmapped
            .iter()
            .any(|u| u.key == key && u.field == field && u.reason.contains(needle))
    }

    #[test]
    fn converts_per_token_to_exact_per_mtok_decimals() {
        // 2.5e-6 USD/token × 1e6 = 2.4999999999999996 in f64; rounded to 1e-9 it is 2.5.
        assert_eq!(per_token_to_per_mtok(2.5e-6), 2.5);
        assert_eq!(fmt_decimal(per_token_to_per_mtok(2.5e-6)), "2.5");
        // 1.5e-7 × 1e6 = 0.15000000000000002 → 0.15; 1.25e-7 → 0.125; 3e-9 → 0.003.
        assert_eq!(fmt_decimal(per_token_to_per_mtok(1.5e-7)), "0.15");
        assert_eq!(fmt_decimal(per_token_to_per_mtok(1.25e-7)), "0.125");
        assert_eq!(fmt_decimal(per_token_to_per_mtok(3e-9)), "0.003");
        assert_eq!(fmt_decimal(10.0), "10.0");
        assert_eq!(fmt_decimal(0.0), "0.0");
        assert_eq!(fmt_decimal(1234.000000001), "1234.000000001");
    }

    #[test]
    fn malformed_json_names_file_line_and_column() {
        let err = LiteLlm::parse(
            "prices.json",
            "{\n  \"a\": { \"input_cost_per_token\": 1e-6, }\n}",
        )
        .unwrap_err();
        match &err {
            PricingError::Json {
                file, line, column, ..
            } => {
                assert_eq!(file, "prices.json");
                assert_eq!(*line, 2);
                assert!(*column > 30, "column {column}");
            }
            other => panic!("expected a JSON error, got {other:?}"),
        }
        let text = err.to_string();
        assert!(text.starts_with("prices.json: line 2, column"), "{text}");
        assert!(
            !text.contains('\n') && text.contains("download it again"),
            "{text}"
        );
        let err = LiteLlm::parse("prices.json", "[1, 2]").unwrap_err();
        assert!(err.to_string().contains("expected a JSON object"), "{err}");
    }

    #[test]
    fn token_field_grammar() {
        use Class::*;
        assert_eq!(
            parse_token_field("input_cost_per_token"),
            Some((Input, None, None))
        );
        assert_eq!(
            parse_token_field("cache_creation_input_token_cost_above_1hr"),
            Some((CacheWrite(Ttl::Hour), None, None))
        );
        assert_eq!(
            parse_token_field(
                "cache_creation_input_token_cost_above_12hr_above_272k_tokens_priority"
            ),
            Some((CacheWrite(Ttl::HalfDay), Some(272_000), Some("priority")))
        );
        assert_eq!(
            parse_token_field("output_cost_per_token_batches"),
            Some((Output, None, Some("batch")))
        );
        // Gemini spells the tier before the threshold.
        assert_eq!(
            parse_token_field("input_cost_per_token_priority_above_200k_tokens"),
            Some((Input, Some(200_000), Some("priority")))
        );
        assert_eq!(
            parse_token_field("input_cost_per_token_above_128_tokens"),
            Some((Input, Some(128), None))
        );
        assert_eq!(
            parse_token_field("input_cost_per_token_cache_hit"),
            Some((CacheRead, None, None))
        );
        assert_eq!(parse_token_field("input_cost_per_audio_token"), None);
        assert_eq!(parse_token_field("output_cost_per_image"), None);
    }

    #[test]
    fn entry_rates_are_usd_per_mtok() {
        let l = lite(
            r#"{ "m": { "litellm_provider": "openai", "mode": "chat",
                "input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05,
                "cache_read_input_token_cost": 3e-07, "cache_creation_input_token_cost": 3.75e-06,
                "cache_creation_input_token_cost_above_1hr": 6e-06,
                "input_cost_per_token_batches": 1.5e-06, "output_cost_per_token_batches": 7.5e-06,
                "input_cost_per_token_above_200k_tokens": 6e-06, "output_cost_per_token_above_200k_tokens": 2.25e-05 } }"#,
        );
        let r = l.entry("m").expect("entry").rates();
        // ×1e6: 3.0 / 15.0 / 0.3 / 3.75 / 6.0; batch 1.5 / 7.5; above 200k: 6.0 / 22.5.
        assert_eq!(
            (r.input, r.output, r.cache_read),
            (Some(3.0), Some(15.0), Some(0.3))
        );
        assert_eq!(
            (r.cache_write, r.cache_write_1h, r.cache_write_12h),
            (Some(3.75), Some(6.0), None)
        );
        assert_eq!((r.batch_input, r.batch_output), (Some(1.5), Some(7.5)));
        assert_eq!(r.above.len(), 1);
        assert_eq!(r.above[0].above_input_tokens, 200_000);
        assert_eq!(
            (r.above[0].input, r.above[0].output),
            (Some(6.0), Some(22.5))
        );
        assert!(l.entry("missing").is_none());
        assert_eq!(
            l.entry("m")
                .and_then(|e| e.usd_per_mtok("input_cost_per_token")),
            Some(3.0)
        );
    }

    const OPENAI_STYLE: &str = r#"{
      "gpt-x": {
        "litellm_provider": "openai", "mode": "chat",
        "input_cost_per_token": 2e-06,
        "output_cost_per_token": 1e-05,
        "cache_read_input_token_cost": 2e-07,
        "cache_creation_input_token_cost": 2.5e-06,
        "cache_creation_input_token_cost_above_12hr": 5e-06,
        "output_cost_per_reasoning_token": 1e-05,
        "input_cost_per_token_batches": 1e-06,
        "output_cost_per_token_batches": 5e-06,
        "input_cost_per_token_priority": 4e-06,
        "output_cost_per_token_priority": 1.5e-05,
        "input_cost_per_token_above_272k_tokens": 4e-06,
        "output_cost_per_token_above_272k_tokens": 1.5e-05,
        "input_cost_per_token_above_272k_tokens_priority": 8e-06,
        "output_cost_per_token_above_272k_tokens_priority": 3e-05,
        "input_cost_per_audio_token": 1e-04,
        "search_context_cost_per_query": { "search_context_size_low": 0.01, "search_context_size_medium": 0.01, "search_context_size_high": 0.01 },
        "regional_processing_uplift_multiplier_eu": 1.1,
        "max_input_tokens": 272000, "max_output_tokens": 128000,
        "deprecation_date": "2027-01-31",
        "supports_vision": true
      },
      "gpt-y": { "litellm_provider": "openai", "mode": "responses", "input_cost_per_token": 1.5e-07, "output_cost_per_token": 6e-07 }
    }"#;

    #[test]
    fn imports_rates_tiers_regions_and_tools() {
        let (imp, book) = import_book(&lite(OPENAI_STYLE), None);
        assert_eq!(imp.files.keys().collect::<Vec<_>>(), ["openai"]);
        assert_eq!(imp.models, 2);
        let m = book.model("openai/gpt-x").expect("gpt-x imported");
        let e = &m.entry;
        // Base: 2e-6 → 2.0, 1e-5 → 10.0, 2e-7 → 0.2; writes: default 2.5, 12h 5.0; reasoning = output.
        assert_eq!(
            (
                e.rates.input.0,
                e.rates.output.0,
                e.rates.cache_read.map(|p| p.0)
            ),
            (2.0, 10.0, Some(0.2))
        );
        match &e.rates.cache_write {
            Some(CacheWrite::ByTtl(w)) => {
                assert_eq!(w.get("default").map(|p| p.0), Some(2.5));
                assert_eq!(w.get("12h").map(|p| p.0), Some(5.0));
            }
            other => panic!("cache_write {other:?}"),
        }
        assert_eq!(e.rates.reasoning, Some(ReasoningRate::AsOutput));
        // Batch: 1.0/2.0 = 5.0/10.0 = 0.5 on the classes LiteLLM gives (input, output).
        let batch = &e.service_tiers["batch"];
        assert_eq!(batch.multiplier.map(|m| m.0), Some(0.5));
        assert_eq!(
            batch.applies_to.as_deref(),
            Some(&[TokenClass::Input, TokenClass::Output][..])
        );
        // Priority: input ×2 (4.0) but output ×1.5 (15.0) → absolute rates, cache from standard.
        let prio = e.service_tiers["priority"]
            .rates
            .as_ref()
            .expect("priority rates");
        assert_eq!(
            (prio.input.0, prio.output.0, prio.cache_read.map(|p| p.0)),
            (4.0, 15.0, Some(0.2))
        );
        // Long context above 272k: 4.0 / 15.0, cache from base; not inclusive (not xAI).
        assert_eq!(e.context_tiers.len(), 1);
        let ct = &e.context_tiers[0];
        assert_eq!((ct.above_input_tokens, ct.inclusive), (272_000, false));
        let r = ct.rates.as_ref().expect("tier rates");
        assert_eq!(
            (r.input.0, r.output.0, r.cache_read.map(|p| p.0)),
            (4.0, 15.0, Some(0.2))
        );
        // Priority above 272k: input 4.0 × (4.0/2.0) = 8.0 = LiteLLM's 8e-6 ✓; output 15 × 1.5 = 22.5 ≠ 30.
        let card = m
            .rate_card(
                &RateQuery {
                    service_tier: Some("priority".into()),
                    ..RateQuery::default()
                },
                1,
            )
            .expect("priority above 272k resolves");
        assert_eq!((card.input, card.output), (8.0, 22.5));
        assert!(has_unmapped(
            &imp,
            "gpt-x",
            "output_cost_per_token_above_272k_tokens_priority",
            "LiteLLM bills 30.0"
        ));
        assert!(
            !imp.unmapped
                .iter()
                .any(|u| u.field == "input_cost_per_token_above_272k_tokens_priority")
        );
        assert!(has_unmapped(
            &imp,
            "gpt-x",
            "input_cost_per_audio_token",
            "modality"
        ));
        // Region, limits, lifecycle, provenance.
        assert_eq!(e.regions["eu"].multiplier.0, 1.1);
        assert_eq!(
            (e.context_window, e.max_output_tokens),
            (Some(272_000), Some(128_000))
        );
        assert_eq!(
            e.deprecation_date.map(|d| d.to_string()),
            Some("2027-01-31".to_string())
        );
        assert_eq!(e.source.as_deref(), Some(DEFAULT_SOURCE));
        assert_eq!(e.checked.map(|d| d.0), Some(day()));
        assert_eq!(e.confidence.as_deref(), Some("secondary"));
        assert_eq!(e.litellm.as_deref(), Some("gpt-x"));
        // Web search: 0.01 USD per query × 1000 = 10.0 per 1k, for gpt-x only.
        let p = book.provider("openai").expect("provider");
        let ws = p.tool("web_search", "gpt-x").expect("web_search");
        assert_eq!((ws.price_per_1k.0, ws.unit.as_str()), (10.0, "call"));
        assert!(p.tool("web_search", "gpt-y").is_none());
        // 1.5e-7 → 0.15, 6e-7 → 0.6, written exactly.
        let text = &imp.files["openai"];
        assert!(
            text.contains("rates = { input = 0.15, output = 0.6 }"),
            "{text}"
        );
        assert!(
            text.starts_with("# Generated by `billcast pricing import-litellm` from test.json"),
            "{text}"
        );
        assert!(text.contains("on 2026-11-26."), "{text}");
    }

    #[test]
    fn claude_caching_uses_5m_and_1h_and_fast_mode_is_a_tier() {
        let (imp, book) = import_book(
            &lite(
                r#"{ "claude-z-1": { "litellm_provider": "anthropic", "mode": "chat",
                    "input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05,
                    "cache_read_input_token_cost": 3e-07,
                    "cache_creation_input_token_cost": 3.75e-06,
                    "cache_creation_input_token_cost_above_1hr": 6e-06,
                    "input_cost_per_token_batches": 1.5e-06, "output_cost_per_token_batches": 7.5e-06,
                    "cache_read_input_token_cost_batches": 1.5e-07, "cache_creation_input_token_cost_batches": 1.875e-06,
                    "provider_specific_entry": { "us": 1.1, "fast": 2 },
                    "source": "https://example.com/claude" } }"#,
            ),
            None,
        );
        let m = book.model("anthropic/claude-z-1").expect("imported");
        // 3.75e-6 → "5m" = 3.75; 6e-6 → "1h" = 6.0.
        assert_eq!(m.cache_ttls(), ["1h", "5m"]);
        let q = |ttl: &str, tier: Option<&str>| RateQuery {
            cache_ttl: Some(ttl.to_string()),
            service_tier: tier.map(str::to_string),
            ..RateQuery::default()
        };
        assert_eq!(
            m.rate_card(&q("1h", None), 0).map(|c| c.cache_write).ok(),
            Some(6.0)
        );
        // Batch halves every class (all four given at 0.5); the 1h write follows, with a note.
        let batch = &m.entry.service_tiers["batch"];
        assert_eq!(
            (batch.multiplier.map(|x| x.0), batch.applies_to.is_none()),
            (Some(0.5), true)
        );
        assert!(batch.notes.as_deref().is_some_and(|n| n.contains("1h")));
        assert_eq!(
            m.rate_card(&q("5m", Some("batch")), 0)
                .map(|c| c.cache_write)
                .ok(),
            Some(1.875)
        );
        assert_eq!(
            m.entry.service_tiers["fast"].multiplier.map(|x| x.0),
            Some(2.0)
        );
        assert_eq!(m.entry.regions["us"].multiplier.0, 1.1);
        assert_eq!(
            m.entry.source.as_deref(),
            Some("https://example.com/claude")
        );
        let p = book.provider("anthropic").expect("provider");
        assert_eq!(
            p.entry.usage_convention,
            UsageConvention::InputExcludesCached
        );
        assert!(imp.unmapped.is_empty(), "{:?}", imp.unmapped);
    }

    #[test]
    fn region_qualified_keys_fold_into_regions_or_stay_separate() {
        let (imp, book) = import_book(
            &lite(
                r#"{
                "anthropic.claude-q-1": { "litellm_provider": "bedrock_converse", "mode": "chat",
                    "input_cost_per_token": 1e-06, "output_cost_per_token": 5e-06, "input_cost_per_token_batches": 5e-07 },
                "us.anthropic.claude-q-1": { "litellm_provider": "bedrock_converse", "mode": "chat",
                    "input_cost_per_token": 1.1e-06, "output_cost_per_token": 5.5e-06 },
                "eu.anthropic.claude-q-1": { "litellm_provider": "bedrock_converse", "mode": "chat",
                    "input_cost_per_token": 1.2e-06, "output_cost_per_token": 5.5e-06 },
                "bedrock/us-gov-west-1/anthropic.claude-q-1": { "litellm_provider": "bedrock", "mode": "chat",
                    "input_cost_per_token": 1.2e-06, "output_cost_per_token": 6e-06 },
                "us.meta.solo-v1": { "litellm_provider": "bedrock_converse", "mode": "chat",
                    "input_cost_per_token": 2e-07, "output_cost_per_token": 2e-07 },
                "azure/gpt-r": { "litellm_provider": "azure", "mode": "chat", "input_cost_per_token": 1e-06, "output_cost_per_token": 4e-06 },
                "azure/eu/gpt-r": { "litellm_provider": "azure", "mode": "chat", "input_cost_per_token": 1.1e-06, "output_cost_per_token": 4.4e-06 }
            }"#,
            ),
            None,
        );
        let m = book
            .model("bedrock/anthropic.claude-q-1")
            .expect("base model");
        // us: 1.1/1.0 = 5.5/5.0 = 1.1; us-gov-west-1: 1.2/1.0 = 6.0/5.0 = 1.2.
        assert_eq!(m.entry.regions["us"].multiplier.0, 1.1);
        assert!(
            m.entry.regions["us"]
                .notes
                .as_deref()
                .is_some_and(|n| n.contains("batch"))
        );
        assert_eq!(m.entry.regions["us-gov-west-1"].multiplier.0, 1.2);
        // eu: input ×1.2 but output ×1.1 → its own model, and said so.
        assert!(!m.entry.regions.contains_key("eu"));
        assert!(book.model("bedrock/eu.anthropic.claude-q-1").is_ok());
        assert!(has_unmapped(
            &imp,
            "eu.anthropic.claude-q-1",
            "(entry)",
            "not a uniform multiple"
        ));
        assert!(book.model("bedrock/us.meta.solo-v1").is_ok());
        assert!(has_unmapped(
            &imp,
            "us.meta.solo-v1",
            "(entry)",
            "no region-free"
        ));
        // Batch in the us region: 0.5 × 1.1 × 1.0 = 0.55.
        let q = RateQuery {
            service_tier: Some("batch".into()),
            region: Some("us".into()),
            ..RateQuery::default()
        };
        let card = m.rate_card(&q, 0).expect("resolves");
        assert!((card.input - 0.55).abs() < 1e-12, "{card:?}");
        assert_eq!(
            book.model("azure/gpt-r")
                .map(|m| m.entry.regions["eu"].multiplier.0)
                .ok(),
            Some(1.1)
        );
        assert_eq!(imp.models, 4);
    }

    #[test]
    fn tiered_pricing_becomes_whole_request_context_tiers() {
        let (imp, book) = import_book(
            &lite(
                r#"{ "dashscope/qwen-t": { "litellm_provider": "dashscope", "mode": "chat",
                  "tiered_pricing": [
                    { "input_cost_per_token": 5e-08, "output_cost_per_token": 4e-07, "range": [0, 256000.0] },
                    { "input_cost_per_token": 2.5e-07, "output_cost_per_token": 2e-06,
                      "output_cost_per_reasoning_token": 4e-06, "range": [256000.0, 1000000.0] } ] } }"#,
            ),
            None,
        );
        let m = book.model("dashscope/qwen-t").expect("imported");
        // Range [0, 256000]: 0.05 / 0.4; above 256000: 0.25 / 2.0, reasoning 4.0 (≠ output).
        assert_eq!((m.entry.rates.input.0, m.entry.rates.output.0), (0.05, 0.4));
        assert_eq!((m.tier_index(256_000.0), m.tier_index(256_001.0)), (0, 1));
        let card = m.rate_card(&RateQuery::default(), 1).expect("resolves");
        assert_eq!((card.input, card.output, card.reasoning), (0.25, 2.0, 4.0));
        assert!(imp.unmapped.is_empty(), "{:?}", imp.unmapped);
    }

    #[test]
    fn xai_thresholds_are_inclusive() {
        let (_, book) = import_book(
            &lite(
                r#"{ "xai/grok-q": { "litellm_provider": "xai", "mode": "chat",
                  "input_cost_per_token": 2e-07, "output_cost_per_token": 5e-07,
                  "input_cost_per_token_above_128k_tokens": 4e-07, "output_cost_per_token_above_128k_tokens": 1e-06 } }"#,
            ),
            None,
        );
        let m = book.model("xai/grok-q").expect("imported");
        assert!(m.entry.context_tiers[0].inclusive);
        assert_eq!(m.tier_index(128_000.0), 1);
    }

    #[test]
    fn every_entry_is_imported_skipped_or_reported() {
        let json = r#"{
          "sample_spec": { "input_cost_per_token": 0.0, "mode": "one of: chat, embedding" },
          "fallback_generalizations": { "rules": [] },
          "emb": { "litellm_provider": "openai", "mode": "embedding", "input_cost_per_token": 1e-08 },
          "nop": { "litellm_provider": "openai", "mode": "chat", "supports_vision": true },
          "half": { "litellm_provider": "openai", "mode": "chat", "output_cost_per_token": 1e-06, "input_cost_per_second": 0.001 },
          "noprov": { "mode": "chat", "input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06 },
          "ok": { "litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06 }
        }"#;
        let imp = import_litellm(&lite(json), &ImportOptions::new(day())).expect("import");
        let skipped: BTreeMap<&str, &str> = imp
            .skipped
            .iter()
            .map(|(k, r)| (k.as_str(), r.as_str()))
            .collect();
        assert_eq!(
            skipped.get("sample_spec").copied(),
            Some("documentation stub (sample_spec)")
        );
        assert_eq!(
            skipped.get("fallback_generalizations").copied(),
            Some("routing rules entry, not a model")
        );
        assert_eq!(skipped.get("emb").copied(), Some("mode embedding"));
        assert_eq!(skipped.get("nop").copied(), Some("no prices"));
        assert!(has_unmapped(
            &imp,
            "half",
            "(entry)",
            "no input_cost_per_token"
        ));
        assert!(has_unmapped(
            &imp,
            "half",
            "input_cost_per_second",
            "per-unit"
        ));
        assert!(has_unmapped(&imp, "noprov", "litellm_provider", "missing"));
        assert_eq!(imp.models, 1);
    }

    #[test]
    fn output_is_deterministic_and_independent_of_key_order() {
        let a = import_litellm(&lite(OPENAI_STYLE), &ImportOptions::new(day())).expect("import");
        let b = import_litellm(&lite(OPENAI_STYLE), &ImportOptions::new(day())).expect("import");
        assert_eq!(a.files, b.files);
        let mut v: serde_json::Map<String, Value> =
            serde_json::from_str(OPENAI_STYLE).expect("json");
        let reversed: serde_json::Map<String, Value> =
            std::mem::take(&mut v).into_iter().rev().collect();
        let text = serde_json::to_string(&reversed).expect("json");
        let c = import_litellm(&lite(&text), &ImportOptions::new(day())).expect("import");
        // Same content; only the sha256 in the header differs.
        let body = |s: &String| s.lines().skip(4).collect::<Vec<_>>().join("\n");
        assert_eq!(body(&a.files["openai"]), body(&c.files["openai"]));
        assert_eq!(a.unmapped, c.unmapped);
    }

    #[test]
    fn unknown_provider_filter_is_an_error_with_suggestions() {
        let mut opts = ImportOptions::new(day());
        opts.provider = Some("opneai".to_string());
        let err = import_litellm(&lite(OPENAI_STYLE), &opts)
            .unwrap_err()
            .to_string();
        assert!(err.contains("'opneai'") && err.contains("openai"), "{err}");
    }

    #[test]
    fn real_file_openai_and_anthropic_import_and_load() {
        let l = real();
        assert_eq!(l.len(), 4878);
        let (imp, book) = import_book(&l, Some("openai"));
        assert_eq!(imp.files.keys().collect::<Vec<_>>(), ["openai"]);
        assert!(imp.models >= 100, "{} models", imp.models);
        let text = &imp.files["openai"];
        assert!(text.contains("(LiteLLM 1.110.2; sha256 8943af58bf9f979c6a4bef815687117ffa341e462a41faed9be17b5c33d3dcc2)"));
        // GPT-6.1 Sol: 2e-6 / 1e-5 per token → 2.0 / 10.0 USD/MTok; batch 0.5.
        let sol = book.model("openai/gpt-6.1-sol").expect("gpt-6.1-sol");
        assert_eq!(
            (sol.entry.rates.input.0, sol.entry.rates.output.0),
            (2.0, 10.0)
        );
        assert_eq!(sol.entry.litellm.as_deref(), Some("gpt-6.1-sol"));
        assert_eq!(
            sol.entry.service_tiers["batch"].multiplier.map(|m| m.0),
            Some(0.5)
        );
        assert_eq!(sol.entry.context_tiers[0].above_input_tokens, 272_000);
        assert!(
            text.contains("rates = { input = 2.0, output = 10.0, cache_read = 0.1,"),
            "{text}"
        );

        let (imp, book) = import_book(&l, Some("anthropic"));
        assert_eq!(imp.files.keys().collect::<Vec<_>>(), ["anthropic"]);
        let opus = book
            .model("anthropic/claude-opus-5-5")
            .expect("claude-opus-5-5");
        // 5e-6 → "5m" 5.0; 8e-6 → "1h" 8.0; cache_creation_input_token_cost_batches → batch tier.
        match &opus.entry.rates.cache_write {
            Some(CacheWrite::ByTtl(w)) => {
                assert_eq!(w.get("5m").map(|p| p.0), Some(5.0));
                assert_eq!(w.get("1h").map(|p| p.0), Some(8.0));
            }
            other => panic!("cache_write {other:?}"),
        }
        assert_eq!(
            opus.entry.service_tiers["batch"].multiplier.map(|m| m.0),
            Some(0.5)
        );
        assert_eq!(
            opus.entry.service_tiers["fast"].multiplier.map(|m| m.0),
            Some(2.0)
        );
        assert_eq!(opus.entry.regions["us"].multiplier.0, 1.1);
    }

    #[test]
    fn real_file_full_import_accounts_for_every_entry() {
        let l = real();
        let (imp, book) = import_book(&l, None);
        assert!(imp.models > 3000, "{} models", imp.models);
        assert_eq!(book.models().count(), imp.models);
        let all_text: String = imp.files.values().map(|s| s.as_str()).collect();
        let skipped: BTreeSet<&str> = imp.skipped.iter().map(|(k, _)| k.as_str()).collect();
        let reported: BTreeSet<&str> = imp.unmapped.iter().map(|u| u.key.as_str()).collect();
        for key in l.keys() {
            let imported = all_text.contains(&format!("litellm = {}", quote(key)))
                || all_text.contains(&format!("LiteLLM key {key};"))
                || all_text.contains(&format!("LiteLLM key {key}\""));
            assert!(
                imported || skipped.contains(key) || reported.contains(key),
                "{key} was neither imported, skipped nor reported"
            );
        }
        // Imported Bedrock Claude collapses geo prefixes into regions.
        let m = book
            .model("bedrock/anthropic.claude-opus-5-5")
            .expect("bedrock opus");
        assert_eq!(m.entry.regions["us"].multiplier.0, 1.1);
        assert_eq!(m.entry.regions["us-gov"].multiplier.0, 1.2);
    }
}
