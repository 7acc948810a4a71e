//! The price book: every model of every loaded table, looked up by `provider/model`.
//!
//! Loading order: the bundled tables, then each `--pricing PATH` (a file, or a folder of
//! `*.toml` read in name order). A later file replaces an earlier file's provider metadata and
//! any model with the same id, and adds new models.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::PricingError;
use super::schema::{
    CacheWrite, ContextTier, ModelEntry, PricingFile, ProviderEntry, Rates, ReasoningRate,
    ScheduleEntry, ToolEntry,
};
use crate::toml_util;

mod bundled {
    include!(concat!(env!("OUT_DIR"), "/bundled_pricing.rs"));
}

/// A loaded model with the provider it belongs to.
#[derive(Clone, Debug)]
pub struct Model {
    /// Provider id.
    pub provider: String,
    /// The model's entry as written.
    pub entry: ModelEntry,
    /// The file it came from.
    pub file: String,
}

impl Model {
    /// `provider/model`.
    pub fn reference(&self) -> String {
        format!("{}/{}", self.provider, self.entry.id.get_ref())
    }

    /// The rates in force on `date`: the last schedule entry that started on or before it
    /// (and has not ended), else the base rates. Returns the rates, the date they apply from
    /// and their source.
    pub fn rates_on(
        &self,
        date: jiff::civil::Date,
    ) -> (&Rates, Option<jiff::civil::Date>, Option<&str>) {
        let mut best: Option<&ScheduleEntry> = None;
        for s in &self.entry.schedule {
            let started = s.effective_from.0 <= date;
            let ended = s.effective_to.is_some_and(|to| to.0 < date);
            if started && !ended && best.is_none_or(|b| s.effective_from.0 >= b.effective_from.0) {
                best = Some(s);
            }
        }
        match best {
            Some(s) => (
                &s.rates,
                Some(s.effective_from.0),
                s.source.as_deref().or(self.entry.source.as_deref()),
            ),
            None => (
                &self.entry.rates,
                self.entry.effective_from.map(|d| d.0),
                self.entry.source.as_deref(),
            ),
        }
    }

    /// The earliest date the price book knows this model's rates for, and which field says
    /// so: the base rates' `effective_from`, else the model's `released` date, else the date
    /// the rates were `checked`. Before it, the rates billcast applies are a guess.
    pub fn earliest_known_price(&self) -> Option<(jiff::civil::Date, &'static str)> {
        let e = &self.entry;
        e.effective_from
            .map(|d| (d.0, "effective_from"))
            .or(e.released.map(|d| (d.0, "released")))
            .or(e.checked.map(|d| (d.0, "checked")))
    }

    /// A warning when `date` (described by `what`, e.g. `"--date 1990-01-01"`) is before
    /// [`Model::earliest_known_price`]: it is priced at the earliest rates known, which may not
    /// have applied then.
    pub fn early_date_warning(&self, what: &str, date: jiff::civil::Date) -> Option<String> {
        let (first, field) = self.earliest_known_price()?;
        (date < first).then(|| {
            format!(
                "{what}: before the earliest price billcast knows for {} ({field} {first}); priced at the rates known from {first}, which may not have applied then",
                self.reference()
            )
        })
    }

    /// Long-context tiers sorted by threshold.
    pub fn context_tiers(&self) -> Vec<&ContextTier> {
        let mut v: Vec<&ContextTier> = self.entry.context_tiers.iter().collect();
        v.sort_by_key(|t| t.above_input_tokens);
        v
    }

    /// Index of the long-context tier a call with `total_input` tokens falls in:
    /// 0 = base rates, k = the k-th threshold (sorted) is the highest one crossed.
    pub fn tier_index(&self, total_input: f64) -> usize {
        self.context_tiers()
            .iter()
            .filter(|t| {
                let th = t.above_input_tokens as f64;
                if t.inclusive {
                    total_input >= th
                } else {
                    total_input > th
                }
            })
            .count()
    }

    /// Tokens of this model per o200k_base token for the same text (1 when unknown).
    pub fn tokenizer_ratio(&self) -> f64 {
        self.entry.tokenizer.as_ref().map_or(1.0, |t| t.ratio.0)
    }

    /// The tokenizer ratio with its own confidence, basis and plausible range (the rates'
    /// `confidence` says nothing about the ratio).
    pub fn tokenizer_info(&self) -> TokenizerInfo {
        match &self.entry.tokenizer {
            None => TokenizerInfo {
                family: None,
                ratio: 1.0,
                confidence: "unverified".into(),
                basis: Some(
                    "no tokenizer in the price table: the reference tokenizer's 1.0 is assumed"
                        .into(),
                ),
                range: [1.0, 1.0],
            },
            Some(t) => {
                let confidence = t.confidence.clone().unwrap_or_else(|| "unverified".into());
                let r = t.ratio.0;
                // Without a stated range, an unverified ratio is only known to lie between
                // the reference tokenizer (1.0) and the value assumed.
                let range = t.range.unwrap_or(if confidence == "verified" {
                    [r, r]
                } else {
                    [r.min(1.0), r.max(1.0)]
                });
                TokenizerInfo {
                    family: Some(t.family.clone()),
                    ratio: r,
                    confidence,
                    basis: t.basis.clone(),
                    range,
                }
            }
        }
    }

    /// Minimum cacheable prefix in tokens (0 when unknown).
    pub fn min_cache_prefix(&self) -> f64 {
        self.entry
            .caching
            .as_ref()
            .map_or(0.0, |c| c.min_prefix_tokens as f64)
    }

    /// Cached lengths are whole multiples of this many tokens (1 when the table says nothing).
    pub fn cache_unit(&self) -> f64 {
        self.entry
            .caching
            .as_ref()
            .and_then(|c| c.unit_tokens)
            .map_or(1.0, |u| u.max(1) as f64)
    }

    /// Whether the provider caches prompts without explicit breakpoints (OpenAI, Gemini
    /// implicit caching, DeepSeek, …).
    pub fn caches_automatically(&self) -> bool {
        self.entry
            .caching
            .as_ref()
            .and_then(|c| c.implicit)
            .unwrap_or(false)
    }

    /// Whether this model bills cache writes (a cache-write rate exists on its base rates).
    pub fn bills_cache_writes(&self) -> bool {
        self.entry.rates.cache_write.is_some()
    }

    /// Cache-write TTL labels the model prices.
    pub fn cache_ttls(&self) -> Vec<String> {
        match &self.entry.rates.cache_write {
            Some(CacheWrite::ByTtl(m)) => m.keys().cloned().collect(),
            _ => vec![],
        }
    }
}

/// Values a `confidence` may take.
pub const CONFIDENCES: [&str; 3] = ["verified", "secondary", "unverified"];

/// A model's tokenizer ratio and how far it is known.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TokenizerInfo {
    /// Tokenizer family (`None`: the table names no tokenizer).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub family: Option<String>,
    /// Tokens of the model per o200k_base token.
    pub ratio: f64,
    /// `verified`, `secondary` or `unverified` (the default).
    pub confidence: String,
    /// How the ratio was obtained.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub basis: Option<String>,
    /// Plausible range: as stated, else `[ratio, ratio]` when verified and between 1.0 and
    /// the ratio otherwise.
    pub range: [f64; 2],
}

impl TokenizerInfo {
    /// Not measured: the ratio is an assumption.
    pub fn is_unverified(&self) -> bool {
        self.confidence == "unverified"
    }

    /// The basis up to its first `:` or `;` (e.g. `pricing-facts §4 default [INF]`), for
    /// one-line messages.
    pub fn short_basis(&self) -> Option<&str> {
        self.basis
            .as_deref()
            .map(|b| b.split([':', ';']).next().unwrap_or(b).trim())
            .filter(|b| !b.is_empty())
    }
}

/// A provider and its models.
#[derive(Clone, Debug)]
pub struct Provider {
    /// The `[provider]` table.
    pub entry: ProviderEntry,
    /// The file its metadata came from.
    pub file: String,
    /// Models by id.
    pub models: BTreeMap<String, Model>,
}

impl Provider {
    /// The tool price that applies to `tool` on `model_id`, if any.
    pub fn tool(&self, tool: &str, model_id: &str) -> Option<&ToolEntry> {
        self.entry
            .tools
            .iter()
            .filter(|t| t.id == tool)
            .find(|t| t.models.is_empty() || t.models.iter().any(|m| m == model_id))
    }
}

/// One file read into the book, for provenance.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SourceFile {
    /// Path, or `pricing/<name>.toml` for bundled tables.
    pub path: String,
    /// SHA-256 of the text.
    pub sha256: String,
    /// Whether the file ships inside the binary.
    pub bundled: bool,
}

/// All loaded prices.
#[derive(Clone, Debug, Default)]
pub struct PriceBook {
    providers: BTreeMap<String, Provider>,
    files: Vec<SourceFile>,
}

/// SHA-256 of bytes as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bundled tables as (name, text).
pub fn bundled_files() -> &'static [(&'static str, &'static str)] {
    bundled::BUNDLED
}

/// Parse and validate one price-table file.
pub fn parse_file(name: &str, text: &str) -> Result<PricingFile, PricingError> {
    let file: PricingFile = toml::from_str(text).map_err(|e| PricingError::Parse {
        file: name.to_string(),
        problem: toml_util::describe(&e, text),
    })?;
    let invalid = |line: Option<usize>, message: String| PricingError::Invalid {
        file: name.to_string(),
        line,
        message,
    };
    if file.schema_version != 1 {
        return Err(invalid(
            None,
            format!(
                "schema_version = {} is not supported; this billcast reads version 1",
                file.schema_version
            ),
        ));
    }
    if let Some(c) = &file.provider.currency
        && c != "USD"
    {
        return Err(invalid(
            None,
            format!(
                "currency = \"{c}\": only USD price tables are supported; convert the prices to USD"
            ),
        ));
    }
    let pid = file.provider.id.get_ref();
    if pid.is_empty() || pid.contains('/') || pid.contains(char::is_whitespace) {
        let line = Some(toml_util::line_of(text, file.provider.id.span().start));
        return Err(invalid(
            line,
            format!("provider.id \"{pid}\" must be non-empty with no '/' or spaces"),
        ));
    }
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for m in &file.models {
        let line = toml_util::line_of(text, m.id.span().start);
        let id = m.id.get_ref();
        if id.is_empty() || id.contains(char::is_whitespace) {
            return Err(invalid(
                Some(line),
                format!("model id \"{id}\" must be non-empty with no spaces"),
            ));
        }
        for name in std::iter::once(id.as_str()).chain(m.aliases.iter().map(|s| s.as_str())) {
            if let Some(first) = seen.insert(name.to_string(), line) {
                return Err(invalid(
                    Some(line),
                    format!(
                        "duplicate model id or alias \"{name}\" (first defined at line {first}); each id must be unique in a file"
                    ),
                ));
            }
        }
        for t in &m.context_tiers {
            if t.multipliers.is_some() == t.rates.is_some() {
                return Err(invalid(
                    Some(line),
                    format!(
                        "model \"{id}\": context tier above {} needs exactly one of `multipliers` or `rates`",
                        t.above_input_tokens
                    ),
                ));
            }
        }
        for (name, t) in &m.service_tiers {
            if t.multiplier.is_some() == t.rates.is_some() {
                return Err(invalid(
                    Some(line),
                    format!(
                        "model \"{id}\": service tier \"{name}\" needs exactly one of `multiplier` or `rates`"
                    ),
                ));
            }
            if name == "standard" {
                return Err(invalid(
                    Some(line),
                    format!(
                        "model \"{id}\": \"standard\" is the base rates; do not define it as a service tier"
                    ),
                ));
            }
        }
        if let Some(t) = &m.tokenizer {
            if let Some(c) = &t.confidence
                && !CONFIDENCES.contains(&c.as_str())
            {
                return Err(invalid(
                    Some(line),
                    format!(
                        "model \"{id}\": tokenizer confidence \"{c}\" is not one of {}",
                        CONFIDENCES.join(", ")
                    ),
                ));
            }
            if let Some([lo, hi]) = t.range
                && !(lo.is_finite()
                    && hi.is_finite()
                    && 0.0 < lo
                    && lo <= t.ratio.0
                    && t.ratio.0 <= hi)
            {
                return Err(invalid(
                    Some(line),
                    format!(
                        "model \"{id}\": tokenizer range [{lo}, {hi}] must be positive and contain the ratio {}; write range = [low, high] with low ≤ ratio ≤ high",
                        t.ratio.0
                    ),
                ));
            }
        }
        for s in &m.schedule {
            if let Some(to) = s.effective_to
                && to.0 < s.effective_from.0
            {
                return Err(invalid(
                    Some(line),
                    format!(
                        "model \"{id}\": schedule entry from {} ends before it starts ({to})",
                        s.effective_from
                    ),
                ));
            }
        }
    }
    Ok(file)
}

impl PriceBook {
    /// An empty book.
    pub fn empty() -> PriceBook {
        PriceBook::default()
    }

    /// The bundled tables only.
    pub fn bundled() -> Result<PriceBook, PricingError> {
        PriceBook::load(&[])
    }

    /// The bundled tables followed by each extra path (file or folder).
    pub fn load(extra: &[PathBuf]) -> Result<PriceBook, PricingError> {
        let mut book = PriceBook::empty();
        for (name, text) in bundled_files() {
            book.add_text(name, text, true)?;
        }
        for p in extra {
            book.add_path(p)?;
        }
        Ok(book)
    }

    /// Read a file, or every `*.toml` in a folder (sorted by name).
    pub fn add_path(&mut self, path: &Path) -> Result<(), PricingError> {
        let io = |e: std::io::Error| PricingError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        if path.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(io)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect();
            files.sort();
            if files.is_empty() {
                return Err(PricingError::Io {
                    path: path.display().to_string(),
                    message: "folder has no *.toml price tables".to_string(),
                });
            }
            for f in files {
                self.add_path(&f)?;
            }
            return Ok(());
        }
        let text = std::fs::read_to_string(path).map_err(io)?;
        self.add_text(&path.display().to_string(), &text, false)
    }

    /// Add one table from its text.
    pub fn add_text(&mut self, name: &str, text: &str, bundled: bool) -> Result<(), PricingError> {
        let file = parse_file(name, text)?;
        self.files.push(SourceFile {
            path: name.to_string(),
            sha256: sha256_hex(text.as_bytes()),
            bundled,
        });
        let pid = file.provider.id.get_ref().clone();
        let provider = self
            .providers
            .entry(pid.clone())
            .or_insert_with(|| Provider {
                entry: file.provider.clone(),
                file: name.to_string(),
                models: BTreeMap::new(),
            });
        provider.entry = file.provider.clone();
        provider.file = name.to_string();
        for m in file.models {
            let id = m.id.get_ref().clone();
            provider.models.insert(
                id,
                Model {
                    provider: pid.clone(),
                    entry: m,
                    file: name.to_string(),
                },
            );
        }
        Ok(())
    }

    /// Providers by id.
    pub fn providers(&self) -> impl Iterator<Item = &Provider> {
        self.providers.values()
    }

    /// A provider by id.
    pub fn provider(&self, id: &str) -> Option<&Provider> {
        self.providers.get(id)
    }

    /// Every model, by provider then id.
    pub fn models(&self) -> impl Iterator<Item = &Model> {
        self.providers.values().flat_map(|p| p.models.values())
    }

    /// Files read, in order, with hashes.
    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }

    /// Combined SHA-256 over the hashes of every file read, in order.
    pub fn fingerprint(&self) -> String {
        let joined: String = self
            .files
            .iter()
            .map(|f| f.sha256.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        sha256_hex(joined.as_bytes())
    }

    /// Look up `provider/model` (an alias works too). Without a provider prefix, the id must
    /// be unique across providers. Unknown models are an error listing the closest ids.
    pub fn model(&self, reference: &str) -> Result<&Model, PricingError> {
        let reference = reference.trim();
        let matches_id = |m: &Model, id: &str| {
            m.entry.id.get_ref() == id || m.entry.aliases.iter().any(|a| a == id)
        };
        if let Some((pid, mid)) = reference.split_once('/') {
            if let Some(p) = self.providers.get(pid) {
                if let Some(m) = p.models.get(mid) {
                    return Ok(m);
                }
                if let Some(m) = p.models.values().find(|m| matches_id(m, mid)) {
                    return Ok(m);
                }
            }
        } else {
            let found: Vec<&Model> = self.models().filter(|m| matches_id(m, reference)).collect();
            if found.len() == 1 {
                return Ok(found[0]);
            }
            if found.len() > 1 {
                return Err(PricingError::AmbiguousModel {
                    reference: reference.to_string(),
                    candidates: found.iter().map(|m| m.reference()).collect(),
                });
            }
        }
        let all: Vec<String> = self.models().map(|m| m.reference()).collect();
        let suggestions = toml_util::closest_n(reference, all.iter().map(|s| s.as_str()), 3)
            .into_iter()
            .map(String::from)
            .collect();
        Err(PricingError::UnknownModel {
            reference: reference.to_string(),
            suggestions,
        })
    }
}

/// Resolved rates of one model for one combination of date, tiers and region, in USD per
/// 1M tokens.
#[derive(Clone, Copy, Debug, PartialEq, Default, serde::Serialize)]
pub struct RateCard {
    /// Uncached input.
    pub input: f64,
    /// Cache read.
    pub cache_read: f64,
    /// Cache write for the requested TTL.
    pub cache_write: f64,
    /// Visible output.
    pub output: f64,
    /// Reasoning output.
    pub reasoning: f64,
}

impl RateCard {
    /// The rate of a class, in the order of [`super::schema::TokenClass::ALL`].
    pub fn as_array(&self) -> [f64; 5] {
        [
            self.input,
            self.cache_read,
            self.cache_write,
            self.output,
            self.reasoning,
        ]
    }
}

/// What to price: when, at which service tier and region, with which cache TTL.
#[derive(Clone, Debug, Default)]
pub struct RateQuery {
    /// Date of the call (selects the schedule entry); today when absent.
    pub date: Option<jiff::civil::Date>,
    /// Service tier (`batch`, `flex`, `priority`, …); `None` or `standard` = base rates.
    pub service_tier: Option<String>,
    /// Region uplift name; `None`, `global` or `default` = no uplift unless defined.
    pub region: Option<String>,
    /// Cache-write TTL label (`5m`, `1h`, …).
    pub cache_ttl: Option<String>,
}

/// One layer's rates as written. A cache class without a rate (`None`) is not a price of its
/// own: those tokens bill as uncached input, so they follow the input rate through every later
/// layer (a batch discount or a priority premium on input applies to them too) and are resolved
/// only at the end of [`Model::rate_card`].
struct RawRates {
    input: f64,
    cache_read: Option<f64>,
    cache_write: Option<f64>,
    output: f64,
    reasoning: Option<f64>,
}

fn raw(rates: &Rates, model: &Model, ttl: Option<&str>) -> Result<RawRates, PricingError> {
    let cache_write = match &rates.cache_write {
        None => None,
        Some(CacheWrite::Flat(p)) => Some(p.0),
        Some(CacheWrite::ByTtl(m)) => Some(match ttl {
            Some(t) => m
                .get(t)
                .map(|p| p.0)
                .ok_or_else(|| PricingError::UnknownOption {
                    model: model.reference(),
                    what: "cache-write TTL",
                    name: t.to_string(),
                    known: m.keys().cloned().collect(),
                })?,
            // Without a TTL, use the shortest-lived (first listed in sort order is not
            // meaningful), so pick the cheapest write: the default TTL of every provider.
            None => m.values().map(|p| p.0).fold(f64::INFINITY, f64::min),
        }),
    };
    Ok(RawRates {
        input: rates.input.0,
        cache_read: rates.cache_read.map(|p| p.0),
        cache_write,
        output: rates.output.0,
        reasoning: match &rates.reasoning {
            None | Some(ReasoningRate::AsOutput) => None,
            Some(ReasoningRate::Rate(p)) => Some(p.0),
        },
    })
}

/// A layer's rate card with cache classes still unresolved (see [`RawRates`]).
struct Layered {
    input: f64,
    cache_read: Option<f64>,
    cache_write: Option<f64>,
    output: f64,
    reasoning: f64,
}

impl Layered {
    /// Multiply every class by the per-class factors `[input, read, write, output, reasoning]`.
    fn scaled(self, m: [f64; 5]) -> Layered {
        Layered {
            input: self.input * m[0],
            cache_read: self.cache_read.map(|r| r * m[1]),
            cache_write: self.cache_write.map(|w| w * m[2]),
            output: self.output * m[3],
            reasoning: self.reasoning * m[4],
        }
    }

    /// Cache classes without a rate bill at the final input rate.
    fn resolve(self) -> RateCard {
        RateCard {
            input: self.input,
            cache_read: self.cache_read.unwrap_or(self.input),
            cache_write: self.cache_write.unwrap_or(self.input),
            output: self.output,
            reasoning: self.reasoning,
        }
    }
}

impl Model {
    /// Resolve the rates for a call: schedule → long-context tier (whole call) → service
    /// tier → region. `tier` is a [`Model::tier_index`]. A cache read or write with no rate
    /// of its own bills as uncached input at the end of the chain, so it gets every tier and
    /// region factor input gets (never the undiscounted base input rate).
    pub fn rate_card(&self, q: &RateQuery, tier: usize) -> Result<RateCard, PricingError> {
        let date = q.date.unwrap_or_else(crate::units::today_utc);
        let (rates, _, _) = self.rates_on(date);
        let ttl = q.cache_ttl.as_deref();
        let base = raw(rates, self, ttl)?;
        let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => a / b.max(f64::MIN_POSITIVE),
            _ => 1.0,
        };
        // 1. Long-context tier: absolute rates or multipliers on the base, whole call.
        let tiers = self.context_tiers();
        let base_reasoning = base.reasoning.unwrap_or(base.output);
        let base_card = Layered {
            input: base.input,
            cache_read: base.cache_read,
            cache_write: base.cache_write,
            output: base.output,
            reasoning: base_reasoning,
        };
        let (ctx_mult, mut card) = if tier == 0 {
            ([1.0; 5], base_card)
        } else {
            let t = tiers.get(tier - 1).ok_or_else(|| PricingError::Invalid {
                file: self.file.clone(),
                line: None,
                message: format!("model {} has no long-context tier {tier}", self.reference()),
            })?;
            if let Some(r) = &t.rates {
                let r = raw(r, self, ttl)?;
                let m = [
                    r.input / base.input.max(f64::MIN_POSITIVE),
                    ratio(r.cache_read, base.cache_read),
                    ratio(r.cache_write, base.cache_write),
                    r.output / base.output.max(f64::MIN_POSITIVE),
                    r.reasoning.unwrap_or(r.output) / base_reasoning.max(f64::MIN_POSITIVE),
                ];
                let card = Layered {
                    input: r.input,
                    cache_read: r.cache_read,
                    cache_write: r.cache_write,
                    output: r.output,
                    reasoning: r.reasoning.unwrap_or(r.output),
                };
                (m, card)
            } else {
                let m = t.multipliers.clone().unwrap_or_default();
                let f = |x: Option<super::schema::Multiplier>| x.map_or(1.0, |m| m.0);
                let out_m = f(m.output);
                let m = [
                    f(m.input),
                    f(m.cache_read),
                    f(m.cache_write),
                    out_m,
                    m.reasoning.map_or(out_m, |x| x.0),
                ];
                (m, base_card.scaled(m))
            }
        };
        // 2. Service tier.
        if let Some(name) = q
            .service_tier
            .as_deref()
            .filter(|n| *n != "standard" && *n != "default")
        {
            let st =
                self.entry
                    .service_tiers
                    .get(name)
                    .ok_or_else(|| PricingError::UnknownOption {
                        model: self.reference(),
                        what: "service tier",
                        name: name.to_string(),
                        known: std::iter::once("standard".to_string())
                            .chain(self.entry.service_tiers.keys().cloned())
                            .collect(),
                    })?;
            if let Some(r) = &st.rates {
                let r = raw(r, self, ttl)?;
                card = Layered {
                    input: r.input,
                    cache_read: r.cache_read,
                    cache_write: r.cache_write,
                    output: r.output,
                    reasoning: r.reasoning.unwrap_or(r.output),
                }
                .scaled(ctx_mult);
            } else if let Some(m) = st.multiplier {
                use super::schema::TokenClass as C;
                let applies = |c: C| st.applies_to.as_ref().is_none_or(|v| v.contains(&c));
                let by = |c: C| if applies(c) { m.0 } else { 1.0 };
                // Reasoning is output: it follows the output class unless listed on its own.
                let reasoning = if st
                    .applies_to
                    .as_ref()
                    .is_none_or(|v| v.contains(&C::Output) || v.contains(&C::Reasoning))
                {
                    m.0
                } else {
                    1.0
                };
                card = card.scaled([
                    by(C::Input),
                    by(C::CacheRead),
                    by(C::CacheWrite),
                    by(C::Output),
                    reasoning,
                ]);
            }
        }
        // 3. Region uplift, on every class.
        if let Some(name) = q.region.as_deref() {
            match self.entry.regions.get(name) {
                Some(r) => card = card.scaled([r.multiplier.0; 5]),
                None if name == "global" || name == "default" => {}
                None => {
                    return Err(PricingError::UnknownOption {
                        model: self.reference(),
                        what: "region",
                        name: name.to_string(),
                        known: std::iter::once("global".to_string())
                            .chain(self.entry.regions.keys().cloned())
                            .collect(),
                    });
                }
            }
        }
        Ok(card.resolve())
    }
}

/// USD charged for `calls` uses of a tool when `before` uses were already made this month:
/// only uses beyond the free allowance are billed.
pub fn tool_fee(tool: &ToolEntry, before: f64, calls: f64) -> (f64, f64) {
    let free = tool.free_per_month.max(0.0);
    let billable = ((before + calls) - free).max(0.0) - (before - free).max(0.0);
    (billable, billable * tool.price_per_1k.0 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_tables_load_and_cover_the_market() {
        let book = PriceBook::bundled().expect("bundled price tables must load");
        let providers: Vec<&str> = book
            .providers()
            .map(|p| p.entry.id.get_ref().as_str())
            .collect();
        for required in [
            "openai",
            "anthropic",
            "google",
            "bedrock",
            "mistral",
            "deepseek",
        ] {
            assert!(
                providers.contains(&required),
                "missing provider {required}: {providers:?}"
            );
        }
        assert!(
            providers
                .iter()
                .any(|p| ["together", "fireworks", "groq"].contains(p)),
            "need one open-model host: {providers:?}"
        );
        assert!(
            book.models().count() >= 30,
            "only {} models",
            book.models().count()
        );
        for p in book.providers() {
            assert!(
                p.entry.source.is_some() && p.entry.checked.is_some(),
                "{}: provider needs source and checked",
                p.file
            );
            for m in p.models.values() {
                assert!(
                    m.entry.source.is_some() && m.entry.checked.is_some(),
                    "{}: model {} needs source and checked",
                    m.file,
                    m.reference()
                );
                for s in &m.entry.schedule {
                    assert!(
                        s.source.is_some() && s.checked.is_some(),
                        "{}: schedule of {} needs source and checked",
                        m.file,
                        m.reference()
                    );
                }
            }
        }
    }

    /// Every (service tier, region, cache TTL) query a model prices, standard and global
    /// included.
    fn queries(m: &Model) -> Vec<RateQuery> {
        let tiers = std::iter::once(None).chain(m.entry.service_tiers.keys().cloned().map(Some));
        let regions: Vec<Option<String>> = std::iter::once(None)
            .chain(m.entry.regions.keys().cloned().map(Some))
            .collect();
        let ttls: Vec<Option<String>> = std::iter::once(None)
            .chain(m.cache_ttls().into_iter().map(Some))
            .collect();
        let mut out = Vec::new();
        for t in tiers {
            for r in &regions {
                for ttl in &ttls {
                    out.push(RateQuery {
                        date: None,
                        service_tier: t.clone(),
                        region: r.clone(),
                        cache_ttl: ttl.clone(),
                    });
                }
            }
        }
        out
    }

    #[test]
    fn cached_tokens_never_cost_more_than_uncached_ones_on_the_same_tier() {
        // Over every bundled model, schedule date, long-context tier, service tier, region and
        // TTL: a cache read costs at most the uncached input rate of the same card, and a cache
        // write at most that rate times the write premium the provider documents on the base
        // table (1 when the table has no write rate: written tokens bill as input).
        let book = PriceBook::bundled().expect("bundled tables load");
        let mut checked = 0;
        for m in book.models() {
            let mut dates = vec![None];
            dates.extend(m.entry.schedule.iter().map(|e| Some(e.effective_from.0)));
            for date in dates {
                let (rates, _, _) = m.rates_on(date.unwrap_or_else(crate::units::today_utc));
                let premium = |ttl: Option<&str>| -> f64 {
                    let b = raw(rates, m, ttl).expect("base rates");
                    b.cache_write.map_or(1.0, |w| (w / b.input).max(1.0))
                };
                for mut q in queries(m) {
                    q.date = date;
                    for tier in 0..=m.context_tiers().len() {
                        let c = m.rate_card(&q, tier).expect("every listed option prices");
                        let tol = 1e-12 * c.input.max(1.0);
                        assert!(
                            c.cache_read <= c.input + tol,
                            "{} {q:?} tier {tier}: cache read {} > input {}",
                            m.reference(),
                            c.cache_read,
                            c.input
                        );
                        // A tier multiplier whose `applies_to` leaves out cache writes on a
                        // model that prices them (LiteLLM's Bedrock Claude batch rows) keeps
                        // the standard write rate by the table's own statement; pricing/README
                        // lists those rows as unverified.
                        let excluded = q.service_tier.as_ref().is_some_and(|t| {
                            m.entry.service_tiers[t]
                                .applies_to
                                .as_ref()
                                .is_some_and(|v| {
                                    !v.contains(&crate::pricing::schema::TokenClass::CacheWrite)
                                })
                        }) && m.bills_cache_writes();
                        let limit = c.input * premium(q.cache_ttl.as_deref());
                        assert!(
                            excluded || c.cache_write <= limit * (1.0 + 1e-12) + tol,
                            "{} {q:?} tier {tier}: cache write {} > {limit}",
                            m.reference(),
                            c.cache_write
                        );
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 500, "only {checked} cards checked");
    }

    #[test]
    fn cache_classes_without_a_rate_follow_the_tier_input_rate() {
        // Bedrock gpt-oss-120b lists no cache rates, and its batch (0.5×) and priority (1.75×)
        // multipliers apply to input and output only. Cached or written tokens are then plain
        // input tokens of that tier: $0.075 on batch and $0.2625 on priority, never the
        // standard $0.15 (which made caching raise a batch bill by 80%, and let cached tokens
        // escape the priority premium).
        let book = PriceBook::bundled().expect("bundled tables load");
        let m = book
            .model("bedrock/openai.gpt-oss-120b-1:0")
            .expect("bundled model");
        for (tier, input) in [("batch", 0.075), ("priority", 0.2625), ("standard", 0.15)] {
            let q = RateQuery {
                service_tier: Some(tier.into()),
                ..RateQuery::default()
            };
            let c = m.rate_card(&q, 0).expect("prices");
            assert!((c.input - input).abs() < 1e-12, "{tier}: {c:?}");
            assert_eq!((c.cache_read, c.cache_write), (c.input, c.input), "{tier}");
        }
    }

    const TOK_TABLE: &str = "schema_version = 1\n[provider]\nid = \"t\"\nname = \"T\"\n\n[[models]]\nid = \"m\"\n[models.rates]\ninput = 1\noutput = 2\n[models.tokenizer]\nfamily = \"f\"\nratio = 1.3\n";

    fn tok(extra: &str) -> Result<TokenizerInfo, String> {
        let mut b = PriceBook::empty();
        b.add_text("t.toml", &format!("{TOK_TABLE}{extra}"), false)
            .map_err(|e| e.to_string())?;
        Ok(b.model("t/m").map_err(|e| e.to_string())?.tokenizer_info())
    }

    #[test]
    fn tokenizer_ratios_carry_their_own_confidence_and_range() {
        // No confidence: unverified, known only to lie between the reference and the value.
        let t = tok("").unwrap();
        assert_eq!((t.ratio, t.confidence.as_str()), (1.3, "unverified"));
        assert_eq!(t.range, [1.0, 1.3]);
        let t = tok("confidence = \"verified\"\n").unwrap();
        assert_eq!(t.range, [1.3, 1.3]);
        assert!(!t.is_unverified());
        assert_eq!(tok("range = [1.1, 1.6]\n").unwrap().range, [1.1, 1.6]);
        let e = tok("confidence = \"measured\"\n").unwrap_err();
        assert!(
            e.contains("t.toml: line 7") && e.contains("tokenizer confidence \"measured\""),
            "{e}"
        );
        let e = tok("range = [1.4, 1.6]\n").unwrap_err();
        assert!(
            e.contains("must be positive and contain the ratio 1.3"),
            "{e}"
        );
        // A bundled model: the rates are verified, the ratio is not.
        let book = PriceBook::bundled().unwrap();
        let m = book.model("anthropic/claude-sonnet-5-5").unwrap();
        assert_eq!(m.entry.confidence.as_deref(), Some("verified"));
        let t = m.tokenizer_info();
        assert_eq!((t.ratio, t.confidence.as_str()), (1.4, "unverified"));
        assert_eq!(t.range, [1.05, 1.75]);
        assert_eq!(t.short_basis(), Some("pricing-facts §4 default [INF]"));
    }
}
