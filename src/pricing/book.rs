//! The price book: every model of every loaded table, looked up by `provider/model`.
//!
//! Loading order: the bundled tables, then each `--pricing PATH` (a file, or a folder of
//! `*.toml` read in name order). A later file replaces an earlier file's provider metadata and
//! any model with the same id, and adds new models. A `--pricing` folder that holds a LiteLLM
//! layer's `manifest.json` (written by `billcast pricing update --out-dir`) is not a set of
//! tables: it replaces the built-in LiteLLM layer beneath them.
//!
//! Beneath those tables lies the LiteLLM layer ([`super::layer`]): every chat, responses and
//! completion model of LiteLLM's price JSON, embedded in the binary and parsed only when a
//! lookup misses the tables. The tables always win: a layer model that is the same model as a
//! table's (same `provider/id` or alias, or the LiteLLM key the table names in `litellm`) is
//! hidden, and a provider's tool prices and usage convention come from its table when it has
//! one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

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

/// Which set of price tables a model comes from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Layer {
    /// billcast's bundled tables (`pricing/*.toml`), sourced and checked by hand.
    #[default]
    FirstParty,
    /// A table added after the bundled ones (`--pricing`).
    Added,
    /// The LiteLLM layer generated from LiteLLM's price JSON of this release (a secondary
    /// source, never checked against the provider's page).
    LiteLlm(String),
}

impl Layer {
    /// `first-party`, `--pricing` or `LiteLLM <release>`.
    pub fn label(&self) -> String {
        match self {
            Layer::FirstParty => "first-party".to_string(),
            Layer::Added => "--pricing".to_string(),
            Layer::LiteLlm(release) => format!("LiteLLM {release}"),
        }
    }
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
    /// The set of tables it comes from.
    pub layer: Layer,
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

    /// The LiteLLM release whose table prices this model, when it comes from the LiteLLM
    /// layer.
    pub fn litellm_release(&self) -> Option<&str> {
        match &self.layer {
            Layer::LiteLlm(r) => Some(r),
            _ => None,
        }
    }

    /// The warning for `what` (e.g. `"route chat"`) priced from the LiteLLM layer, naming the
    /// model unless `what` ends with it; `None` for the other layers.
    pub fn layer_warning(&self, what: &str) -> Option<String> {
        let reference = self.reference();
        self.litellm_release().map(|r| {
            format!(
                "{what}{}: priced from LiteLLM {r}'s table (secondary source, not checked against the provider's page)",
                if what.ends_with(&reference) {
                    String::new()
                } else {
                    format!(" ({reference})")
                }
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
    /// A provider and its models from one parsed table file named `file`.
    pub fn from_file(file: &str, table: PricingFile, layer: &Layer) -> Provider {
        let pid = table.provider.id.get_ref().clone();
        let models = table
            .models
            .into_iter()
            .map(|m| {
                let model = Model {
                    provider: pid.clone(),
                    entry: m,
                    file: file.to_string(),
                    layer: layer.clone(),
                };
                (model.entry.id.get_ref().clone(), model)
            })
            .collect();
        Provider {
            entry: table.provider,
            file: file.to_string(),
            models,
        }
    }

    /// The model `id` (or the model with that alias).
    fn find(&self, id: &str) -> Option<&Model> {
        self.models
            .get(id)
            .or_else(|| self.models.values().find(|m| m.matches(id)))
    }

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
    /// The LiteLLM layer lookups fall through to when they miss the tables.
    litellm: LayerSource,
    /// The tables merged with the LiteLLM layer, built on the first lookup that needs it
    /// (`None` when the layer is off or was not built into this binary).
    merged: OnceLock<Result<Option<Merged>, PricingError>>,
}

/// Where the LiteLLM layer beneath the tables comes from.
#[derive(Clone, Debug, Default)]
enum LayerSource {
    /// No layer.
    #[default]
    Off,
    /// The layer built into the binary.
    Bundled,
    /// A layer given by the caller (tests, or a layer read from a folder).
    Given(std::sync::Arc<super::layer::LiteLlmLayer>),
}

/// The tables over the LiteLLM layer: one view of every model billcast can price.
#[derive(Clone, Debug)]
struct Merged {
    /// Providers of both layers. A provider with a table keeps that table's metadata, usage
    /// convention and tools (applying to its table's models only) and gains the layer's tools
    /// for the layer's models.
    providers: BTreeMap<String, Provider>,
    /// LiteLLM key → (provider, model id) of the model that prices it: the layer's model, or
    /// the table's model that shadows it.
    keys: BTreeMap<String, (String, String)>,
    /// The book's files plus the layer's manifest.
    files: Vec<SourceFile>,
}

/// SHA-256 of bytes as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every file embedded in the binary that a report's provenance can name, as (name, text):
/// the bundled price tables and the LiteLLM layer's manifest (which pins the layer's tables
/// by their SHA-256).
pub fn bundled_files() -> &'static [(&'static str, &'static str)] {
    static ALL: OnceLock<Vec<(&'static str, &'static str)>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut all = bundled::BUNDLED.to_vec();
        if let Some(m) = bundled::LITELLM_MANIFEST {
            all.push((super::layer::MANIFEST_PATH, m));
        }
        all
    })
}

/// The bundled first-party price tables as (name, text).
pub fn bundled_tables() -> &'static [(&'static str, &'static str)] {
    bundled::BUNDLED
}

/// The LiteLLM layer built into the binary: its manifest (`None` when it was never
/// generated) and its tables as (name, text).
pub fn bundled_litellm_layer() -> (
    Option<&'static str>,
    &'static [(&'static str, &'static str)],
) {
    (bundled::LITELLM_MANIFEST, bundled::LITELLM_TABLES)
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

    /// The bundled tables over the LiteLLM layer.
    pub fn bundled() -> Result<PriceBook, PricingError> {
        PriceBook::load(&[])
    }

    /// The bundled tables followed by each extra path (file or folder), over the LiteLLM
    /// layer.
    pub fn load(extra: &[PathBuf]) -> Result<PriceBook, PricingError> {
        let mut book = PriceBook::empty();
        for (name, text) in bundled_tables() {
            book.add_text(name, text, true)?;
        }
        // A folder holding a LiteLLM layer's manifest (`pricing update --out-dir`) replaces
        // the built-in layer beneath the tables instead of adding tables over them.
        let mut layer = None;
        for p in extra {
            match super::layer::LiteLlmLayer::read_dir(p)? {
                Some(l) => layer = Some(l),
                None => book.add_path(p)?,
            }
        }
        Ok(match layer {
            Some(l) => book.with_litellm_layer(std::sync::Arc::new(l)),
            None => book.with_litellm(true),
        })
    }

    /// Turn the bundled LiteLLM layer beneath the tables on or off (an empty book starts
    /// without it).
    pub fn with_litellm(mut self, on: bool) -> PriceBook {
        self.litellm = if on {
            LayerSource::Bundled
        } else {
            LayerSource::Off
        };
        self.merged = OnceLock::new();
        self
    }

    /// Put `layer` beneath the tables instead of the bundled one.
    pub fn with_litellm_layer(
        mut self,
        layer: std::sync::Arc<super::layer::LiteLlmLayer>,
    ) -> PriceBook {
        self.litellm = LayerSource::Given(layer);
        self.merged = OnceLock::new();
        self
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

    /// Add one table from its text (`bundled`: one of billcast's own tables).
    pub fn add_text(&mut self, name: &str, text: &str, bundled: bool) -> Result<(), PricingError> {
        let file = parse_file(name, text)?;
        self.files.push(SourceFile {
            path: name.to_string(),
            sha256: sha256_hex(text.as_bytes()),
            bundled,
        });
        let layer = if bundled {
            Layer::FirstParty
        } else {
            Layer::Added
        };
        let incoming = Provider::from_file(name, file, &layer);
        match self.providers.entry(incoming.entry.id.get_ref().clone()) {
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(incoming);
            }
            std::collections::btree_map::Entry::Occupied(mut o) => {
                let p = o.get_mut();
                p.entry = incoming.entry;
                p.file = incoming.file;
                p.models.extend(incoming.models);
            }
        }
        // The merged view is rebuilt with the new table on the next lookup that needs it.
        self.merged = OnceLock::new();
        Ok(())
    }

    /// Providers of the tables (bundled and `--pricing`), by id; never the LiteLLM layer
    /// (see [`PriceBook::all_providers`]).
    pub fn providers(&self) -> impl Iterator<Item = &Provider> {
        self.providers.values()
    }

    /// A provider by id, with the tools and usage convention that apply to its models: its
    /// table's, merged with the LiteLLM layer's once a lookup used the layer; a provider only
    /// the layer knows loads the layer.
    pub fn provider(&self, id: &str) -> Option<&Provider> {
        if let Some(Ok(Some(m))) = self.merged.get() {
            return m.providers.get(id);
        }
        if let Some(p) = self.providers.get(id) {
            return Some(p);
        }
        match self.merged() {
            Ok(Some(m)) => m.providers.get(id),
            _ => None,
        }
    }

    /// Every model of the tables (bundled and `--pricing`), by provider then id; never the
    /// LiteLLM layer (see [`PriceBook::all_models`]).
    pub fn models(&self) -> impl Iterator<Item = &Model> {
        self.providers.values().flat_map(|p| p.models.values())
    }

    /// Every provider of the tables and of the LiteLLM layer (when on), by id.
    pub fn all_providers(&self) -> Result<Vec<&Provider>, PricingError> {
        Ok(match self.merged()? {
            Some(m) => m.providers.values().collect(),
            None => self.providers.values().collect(),
        })
    }

    /// Every model the book can price: the tables' and the LiteLLM layer's (when on) that no
    /// table shadows, by provider then id.
    pub fn all_models(&self) -> Result<Vec<&Model>, PricingError> {
        Ok(self
            .all_providers()?
            .into_iter()
            .flat_map(|p| p.models.values())
            .collect())
    }

    /// The LiteLLM layer beneath the tables (`None` when off, or not built into this binary);
    /// the bundled one is parsed on the first call.
    pub fn litellm_layer(&self) -> Result<Option<&super::layer::LiteLlmLayer>, PricingError> {
        match &self.litellm {
            LayerSource::Off => Ok(None),
            LayerSource::Bundled => super::layer::LiteLlmLayer::bundled(),
            LayerSource::Given(l) => Ok(Some(l)),
        }
    }

    /// Files read, in order, with hashes; once a lookup used the LiteLLM layer, its manifest
    /// too.
    pub fn files(&self) -> &[SourceFile] {
        match self.merged.get() {
            Some(Ok(Some(m))) => &m.files,
            _ => &self.files,
        }
    }

    /// Combined SHA-256 over the hashes of every file read, in order.
    pub fn fingerprint(&self) -> String {
        let joined: String = self
            .files()
            .iter()
            .map(|f| f.sha256.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        sha256_hex(joined.as_bytes())
    }

    /// The tables merged with the LiteLLM layer, built once (`None` when the layer is off or
    /// absent).
    fn merged(&self) -> Result<Option<&Merged>, PricingError> {
        self.merged
            .get_or_init(|| {
                Ok(self
                    .litellm_layer()?
                    .map(|layer| Merged::new(&self.providers, &self.files, layer)))
            })
            .as_ref()
            .map(Option::as_ref)
            .map_err(Clone::clone)
    }

    /// Look up `provider/model` (an alias works too). Without a provider prefix, the id must
    /// be unique across providers. The tables are searched first; a miss falls through to the
    /// LiteLLM layer, where LiteLLM keys (`gpt-4o`, `gemini/…`) and LiteLLM's provider prefixes
    /// (`vertex_ai/…`) also resolve. Unknown models are an error listing the closest
    /// ids.
    pub fn model(&self, reference: &str) -> Result<&Model, PricingError> {
        let reference = reference.trim();
        if let Some(m) = find_in(&self.providers, reference)? {
            return Ok(m);
        }
        match self.merged()? {
            Some(merged) => merged.find(reference),
            None => Err(unknown(reference, self.models())),
        }
    }
}

/// `reference` in `providers`: `provider/model` (id or alias), or a bare id or alias that
/// only one provider has (several are an error).
fn find_in<'a>(
    providers: &'a BTreeMap<String, Provider>,
    reference: &str,
) -> Result<Option<&'a Model>, PricingError> {
    if let Some((pid, mid)) = reference.split_once('/') {
        return Ok(providers.get(pid).and_then(|p| p.find(mid)));
    }
    let found: Vec<&Model> = providers
        .values()
        .flat_map(|p| p.models.values())
        .filter(|m| m.matches(reference))
        .collect();
    match found.len() {
        0 => Ok(None),
        1 => Ok(Some(found[0])),
        _ => Err(PricingError::AmbiguousModel {
            reference: reference.to_string(),
            candidates: found.iter().map(|m| m.reference()).collect(),
        }),
    }
}

/// The unknown-model error for `reference`, with the closest of `models`.
fn unknown<'a>(reference: &str, models: impl Iterator<Item = &'a Model>) -> PricingError {
    let all: Vec<String> = models.map(|m| m.reference()).collect();
    let suggestions = toml_util::closest_n(reference, all.iter().map(|s| s.as_str()), 3)
        .into_iter()
        .map(String::from)
        .collect();
    PricingError::UnknownModel {
        reference: reference.to_string(),
        suggestions,
    }
}

impl Model {
    /// Whether `id` is this model's id or one of its aliases.
    fn matches(&self, id: &str) -> bool {
        self.entry.id.get_ref() == id || self.entry.aliases.iter().any(|a| a == id)
    }
}

impl Merged {
    /// Merge `tables` (with their `files`) over `layer`.
    fn new(
        tables: &BTreeMap<String, Provider>,
        files: &[SourceFile],
        layer: &super::layer::LiteLlmLayer,
    ) -> Merged {
        // LiteLLM keys the tables name, and the table model naming each.
        let mut keys: BTreeMap<String, (String, String)> = BTreeMap::new();
        for m in tables.values().flat_map(|p| p.models.values()) {
            if let Some(k) = &m.entry.litellm {
                keys.entry(k.clone())
                    .or_insert_with(|| (m.provider.clone(), m.entry.id.get_ref().clone()));
            }
        }
        let named = keys.clone();
        let mut providers = tables.clone();
        for (pid, lp) in &layer.providers {
            let table = tables.get(pid);
            let mut visible: Vec<&Model> = Vec::new();
            for m in lp.models.values() {
                let id = m.entry.id.get_ref();
                // The same model as a table's: that table's model prices it.
                let shadow = m
                    .entry
                    .litellm
                    .as_ref()
                    .and_then(|k| named.get(k).cloned())
                    .or_else(|| {
                        table
                            .and_then(|p| p.find(id))
                            .map(|t| (pid.clone(), t.entry.id.get_ref().clone()))
                    });
                let target = match shadow {
                    Some(t) => t,
                    None => {
                        visible.push(m);
                        (pid.clone(), id.clone())
                    }
                };
                if let Some(k) = &m.entry.litellm {
                    keys.entry(k.clone()).or_insert(target);
                }
            }
            let ids: Vec<String> = visible
                .iter()
                .map(|m| m.entry.id.get_ref().clone())
                .collect();
            let merged = providers.entry(pid.clone()).or_insert_with(|| Provider {
                entry: ProviderEntry {
                    tools: Vec::new(),
                    ..lp.entry.clone()
                },
                file: lp.file.clone(),
                models: BTreeMap::new(),
            });
            if let Some(t) = table {
                // A table's tool listed for every model covers that table's models only.
                let own: Vec<String> = t.models.keys().cloned().collect();
                for tool in merged
                    .entry
                    .tools
                    .iter_mut()
                    .filter(|x| x.models.is_empty())
                {
                    tool.models = own.clone();
                }
            }
            for tool in &lp.entry.tools {
                let models: Vec<String> = if tool.models.is_empty() {
                    ids.clone()
                } else {
                    tool.models
                        .iter()
                        .filter(|m| ids.contains(m))
                        .cloned()
                        .collect()
                };
                if !models.is_empty() {
                    merged.entry.tools.push(ToolEntry {
                        models,
                        ..tool.clone()
                    });
                }
            }
            for m in visible {
                merged
                    .models
                    .insert(m.entry.id.get_ref().clone(), m.clone());
            }
        }
        let mut files = files.to_vec();
        files.push(SourceFile {
            path: layer.manifest_path.clone(),
            sha256: layer.manifest_sha256.clone(),
            bundled: layer.manifest_path == super::layer::MANIFEST_PATH,
        });
        Merged {
            providers,
            keys,
            files,
        }
    }

    fn get(&self, provider: &str, id: &str) -> Option<&Model> {
        self.providers.get(provider).and_then(|p| p.find(id))
    }

    /// Resolve `reference` (already missed in the tables), in this order: `provider/model`;
    /// a LiteLLM key (`gpt-4o`, `gemini/gemini-3.1-pro-preview`, `together_ai/…`); LiteLLM's
    /// provider prefix with the model id (`vertex_ai/…`, `bedrock_converse/…`); a bare id or
    /// alias only one provider has (several are an error listing them). A region-qualified
    /// id (`bedrock/us.anthropic.…`, `azure/eu/gpt-4o`) of a model with that region is an
    /// error naming the model and the region to write, so the regional price is never lost.
    fn find(&self, reference: &str) -> Result<&Model, PricingError> {
        let split = reference.split_once('/');
        if let Some((pid, mid)) = split
            && let Some(m) = self.get(pid, mid)
        {
            return Ok(m);
        }
        if let Some(m) = self.keys.get(reference).and_then(|(p, id)| self.get(p, id)) {
            return Ok(m);
        }
        if let Some((prefix, mid)) = split {
            let pid = super::litellm::provider_id(prefix);
            if pid != prefix
                && let Some(m) = self.get(&pid, mid)
            {
                return Ok(m);
            }
        } else if let Some(m) = find_in(&self.providers, reference)? {
            return Ok(m);
        }
        if let Some((pid, base, region)) = super::litellm::region_qualified(reference)
            && let Some(m) = self.get(&pid, &base)
            && m.entry.regions.contains_key(&region)
        {
            return Err(PricingError::RegionQualified {
                reference: reference.to_string(),
                model: m.reference(),
                region,
            });
        }
        Err(unknown(
            reference,
            self.providers.values().flat_map(|p| p.models.values()),
        ))
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

    /// A first-party `openai` table (gpt-t, and web_search at $10/1k for every model) over a
    /// layer generated from a small LiteLLM file.
    fn layered() -> PriceBook {
        let lite = crate::pricing::litellm::LiteLlm::parse(
            "prices.json",
            r#"{
              "gpt-t": { "litellm_provider": "openai", "mode": "chat",
                "input_cost_per_token": 9e-06, "output_cost_per_token": 9e-05 },
              "gpt-x": { "litellm_provider": "openai", "mode": "chat",
                "input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05,
                "search_context_cost_per_query": { "search_context_size_medium": 0.03 } },
              "azure/gpt-x": { "litellm_provider": "azure", "mode": "chat",
                "input_cost_per_token": 3e-06, "output_cost_per_token": 1.2e-05 },
              "azure/only-here": { "litellm_provider": "azure", "mode": "chat",
                "input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06 },
              "mistral/only-here": { "litellm_provider": "mistral", "mode": "chat",
                "input_cost_per_token": 1e-06, "output_cost_per_token": 3e-06 },
              "mistral/house-model": { "litellm_provider": "mistral", "mode": "chat",
                "input_cost_per_token": 1e-06, "output_cost_per_token": 3e-06 },
              "gemini/gem-1": { "litellm_provider": "gemini", "mode": "chat",
                "input_cost_per_token": 1e-07, "output_cost_per_token": 4e-07 },
              "anthropic.claude-q": { "litellm_provider": "bedrock", "mode": "chat",
                "input_cost_per_token": 1e-06, "output_cost_per_token": 5e-06 },
              "us.anthropic.claude-q": { "litellm_provider": "bedrock", "mode": "chat",
                "input_cost_per_token": 1.1e-06, "output_cost_per_token": 5.5e-06 }
            }"#,
        )
        .expect("test JSON parses")
        .with_version("9.9.9");
        let layer = crate::pricing::layer::generate(&lite, jiff::civil::date(2026, 11, 26))
            .expect("layer generates")
            .layer;
        let mut book = PriceBook::empty();
        book.add_text(
            "pricing/openai.toml",
            r#"
schema_version = 1
[provider]
id = "openai"
name = "OpenAI"
[[provider.tools]]
id = "web_search"
price_per_1k = 10.0
[[models]]
id = "gpt-t"
litellm = "gpt-t"
rates = { input = 2.0, output = 8.0 }
[[models]]
id = "house-model"
rates = { input = 1.0, output = 1.0 }
"#,
            true,
        )
        .expect("table loads");
        book.with_litellm_layer(std::sync::Arc::new(layer))
    }

    #[test]
    fn ids_resolve_across_both_layers_and_the_tables_win() {
        let book = layered();
        let get = |r: &str| book.model(r).map(|m| (m.reference(), m.layer.label()));
        let layer = "LiteLLM 9.9.9".to_string();
        // The table's model, whatever the spelling; LiteLLM's gpt-t ($9/$90) is hidden.
        for r in ["gpt-t", "openai/gpt-t"] {
            assert_eq!(get(r), Ok(("openai/gpt-t".into(), "first-party".into())));
        }
        assert_eq!(
            book.model("gpt-t").expect("resolves").entry.rates.input.0,
            2.0
        );
        // A bare id the tables have once stays theirs, though the layer has it elsewhere.
        assert_eq!(
            get("house-model"),
            Ok(("openai/house-model".into(), "first-party".into()))
        );
        assert_eq!(
            get("mistral/house-model"),
            Ok(("mistral/house-model".into(), layer.clone()))
        );
        // Layer models: provider/model, LiteLLM keys, LiteLLM's provider prefix.
        assert_eq!(
            get("openai/gpt-x"),
            Ok(("openai/gpt-x".into(), layer.clone()))
        );
        assert_eq!(get("gpt-x"), Ok(("openai/gpt-x".into(), layer.clone())));
        assert_eq!(
            get("azure/gpt-x"),
            Ok(("azure/gpt-x".into(), layer.clone()))
        );
        assert_eq!(
            get("gemini/gem-1"),
            Ok(("google/gem-1".into(), layer.clone()))
        );
        assert_eq!(
            get("google/gem-1"),
            Ok(("google/gem-1".into(), layer.clone()))
        );
        assert_eq!(get("gem-1"), Ok(("google/gem-1".into(), layer.clone())));
        // A bare id two providers have and LiteLLM keys under neither: ambiguous.
        match book.model("only-here") {
            Err(PricingError::AmbiguousModel { candidates, .. }) => assert_eq!(
                candidates,
                vec![
                    "azure/only-here".to_string(),
                    "mistral/only-here".to_string()
                ]
            ),
            other => panic!("expected ambiguity, got {other:?}"),
        }
        // A region written into the id names the model and the region to write instead.
        for r in ["bedrock/us.anthropic.claude-q", "us.anthropic.claude-q"] {
            match book.model(r) {
                Err(PricingError::RegionQualified { model, region, .. }) => {
                    assert_eq!(
                        (model.as_str(), region.as_str()),
                        ("bedrock/anthropic.claude-q", "us")
                    )
                }
                other => panic!("{r}: expected the region error, got {other:?}"),
            }
        }
        // Unknown: suggestions come from both layers.
        match book.model("openai/gpt-xx") {
            Err(PricingError::UnknownModel { suggestions, .. }) => {
                assert_eq!(suggestions[0], "openai/gpt-x", "{suggestions:?}")
            }
            other => panic!("expected unknown, got {other:?}"),
        }
        // Listing: the table's model once, every unshadowed layer model once.
        let all: Vec<(String, bool)> = book
            .all_models()
            .expect("layer loads")
            .iter()
            .map(|m| (m.reference(), m.litellm_release().is_some()))
            .collect();
        let expected = [
            ("azure/gpt-x", true),
            ("azure/only-here", true),
            ("bedrock/anthropic.claude-q", true),
            ("google/gem-1", true),
            ("mistral/house-model", true),
            ("mistral/only-here", true),
            ("openai/gpt-t", false),
            ("openai/gpt-x", true),
            ("openai/house-model", false),
        ];
        assert_eq!(all, expected.map(|(r, l)| (r.to_string(), l)).to_vec());
        assert_eq!(book.models().count(), 2, "models() is the tables only");
    }

    #[test]
    fn tools_and_provenance_follow_each_models_layer() {
        let book = PriceBook::bundled().expect("loads").with_litellm(false);
        let fingerprint = book.fingerprint();
        let book = layered();
        let openai = book.provider("openai").expect("table provider");
        // Before the layer is used: the table's provider as written; the tables' own models
        // never load the layer (nor join its manifest to the provenance).
        assert!(openai.entry.tools[0].models.is_empty());
        for r in ["gpt-t", "openai/gpt-t", "house-model"] {
            book.model(r).expect("table model");
        }
        assert_eq!(book.files().len(), 1);
        book.model("gpt-x").expect("layer model");
        let openai = book.provider("openai").expect("merged provider");
        // The table's $10 web search covers its own model; LiteLLM's $30 covers gpt-x.
        let fee = |id: &str| openai.tool("web_search", id).map(|t| t.price_per_1k.0);
        assert_eq!(fee("gpt-t"), Some(10.0));
        assert_eq!(fee("gpt-x"), Some(30.0));
        // The layer's manifest joins the provenance once a model came from it.
        let paths: Vec<&str> = book.files().iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            ["pricing/openai.toml", crate::pricing::layer::MANIFEST_PATH]
        );
        assert_ne!(book.fingerprint(), fingerprint);
        let m = book.model("azure/gpt-x").expect("layer model");
        assert_eq!(
            m.layer_warning("route chat").as_deref(),
            Some(
                "route chat (azure/gpt-x): priced from LiteLLM 9.9.9's table (secondary source, not checked against the provider's page)"
            )
        );
        assert_eq!(
            book.model("gpt-t")
                .expect("table")
                .layer_warning("route chat"),
            None
        );
    }

    #[test]
    fn first_party_prices_are_unchanged_by_the_litellm_layer() {
        // Every bundled model, looked up by reference, alias or its LiteLLM key through the
        // book with the layer, is the first-party model with the same rate card on every
        // date, tier, region and TTL as in the book without the layer; and its provider's
        // tools price it the same.
        let without = PriceBook::bundled().expect("loads").with_litellm(false);
        let with = PriceBook::bundled().expect("loads");
        assert!(
            with.litellm_layer().expect("parses").is_some(),
            "layer built in"
        );
        with.all_models().expect("layer loads"); // merge now: every lookup below sees it
        let mut compared = 0;
        for m in without.models() {
            let mut names = vec![m.reference()];
            // The bare id, where the tables alone resolve it (the layer's other providers
            // of the same id must not make it ambiguous).
            let id = m.entry.id.get_ref();
            if without
                .model(id)
                .is_ok_and(|x| x.reference() == m.reference())
            {
                names.push(id.clone());
            }
            names.extend(
                m.entry
                    .aliases
                    .iter()
                    .map(|a| format!("{}/{a}", m.provider)),
            );
            names.extend(m.entry.litellm.clone());
            for name in names {
                let Ok(w) = with.model(&name) else {
                    // A LiteLLM key of a region (`global.…`) resolves through the alias.
                    assert!(
                        crate::pricing::litellm::region_qualified(&name).is_some(),
                        "{name} does not resolve"
                    );
                    continue;
                };
                assert_eq!(w.reference(), m.reference(), "{name}");
                assert_eq!(w.layer, Layer::FirstParty, "{name}");
                let mut dates = vec![None];
                dates.extend(m.entry.schedule.iter().map(|e| Some(e.effective_from.0)));
                for date in dates {
                    for mut q in queries(m) {
                        q.date = date;
                        for tier in 0..=m.context_tiers().len() {
                            assert_eq!(
                                w.rate_card(&q, tier),
                                m.rate_card(&q, tier),
                                "{name} {q:?}"
                            );
                            compared += 1;
                        }
                    }
                }
            }
            let (a, b) = (
                without.provider(&m.provider).expect("provider"),
                with.provider(&m.provider).expect("provider"),
            );
            assert_eq!(a.entry.usage_convention, b.entry.usage_convention);
            for t in &a.entry.tools {
                let id = m.entry.id.get_ref();
                let fee = |p: &Provider| {
                    p.tool(&t.id, id)
                        .map(|x| (x.price_per_1k.0, x.free_per_month, x.free_group.clone()))
                };
                assert_eq!(fee(a), fee(b), "{} {}", m.reference(), t.id);
            }
        }
        assert!(compared > 1000, "only {compared} cards compared");
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
