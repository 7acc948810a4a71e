//! The LiteLLM layer: every chat, responses and completion model of LiteLLM's price JSON,
//! imported by [`super::litellm::import_litellm`] into `pricing/litellm/<provider>.toml` plus a
//! `manifest.json`, committed, and embedded in the binary by `build.rs`.
//!
//! The layer lies beneath the first-party tables ([`super::book`]): it is parsed once per
//! process, on the first lookup that misses those tables, so a forecast of first-party models
//! never pays for it. `billcast pricing update FILE` regenerates it ([`generate`]) and lists what
//! changed ([`diff`]).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::PricingError;
use super::book::{Layer, Provider, bundled_litellm_layer, parse_file, sha256_hex};
use super::litellm::{Import, ImportOptions, LiteLlm, fmt_decimal, import_litellm};
use super::schema::{CacheWrite, ModelEntry, Rates, ReasoningRate};

/// The layer's folder in the repository (where `billcast pricing update` writes by default).
pub const DIR: &str = "pricing/litellm";

/// The manifest's name inside [`DIR`].
pub const MANIFEST: &str = "manifest.json";

/// The manifest's path as reports name it.
pub const MANIFEST_PATH: &str = "pricing/litellm/manifest.json";

/// What the layer was generated from, and the SHA-256 of every table it holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The command that wrote it.
    pub generated_by: String,
    /// LiteLLM release the JSON comes from (the JSON itself does not say).
    pub litellm_version: String,
    /// File name of the JSON imported.
    pub source_file: String,
    /// SHA-256 of the JSON imported.
    pub source_sha256: String,
    /// Date recorded as every model's `checked` (YYYY-MM-DD).
    pub retrieved: String,
    /// Models in the layer.
    pub models: usize,
    /// Providers (one table each).
    pub providers: usize,
    /// LiteLLM fields the importer could not map (`pricing import-litellm --report` lists them).
    pub unmapped_fields: usize,
    /// LiteLLM keys not imported (other modes, no prices, duplicates).
    pub skipped_keys: usize,
    /// Table file name → SHA-256 of its text.
    pub tables: BTreeMap<String, String>,
}

/// The parsed layer.
#[derive(Clone, Debug)]
pub struct LiteLlmLayer {
    /// Its manifest.
    pub manifest: Manifest,
    /// SHA-256 of the manifest text (which pins every table).
    pub manifest_sha256: String,
    /// Where the manifest was read: [`MANIFEST_PATH`] for the built-in layer, else the
    /// `manifest.json` of the folder given to [`LiteLlmLayer::read_dir`].
    pub manifest_path: String,
    /// Providers by id, every model marked [`Layer::LiteLlm`].
    pub providers: BTreeMap<String, Provider>,
}

impl LiteLlmLayer {
    /// Parse a manifest and its tables, given as (name, text) where the name ends with the
    /// table's file name. Every table the manifest lists must be given, and no other.
    pub fn parse(manifest: &str, tables: &[(&str, &str)]) -> Result<LiteLlmLayer, PricingError> {
        let m: Manifest = serde_json::from_str(manifest).map_err(|e| PricingError::Json {
            file: MANIFEST_PATH.to_string(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        let invalid = |message: String| PricingError::Invalid {
            file: MANIFEST_PATH.to_string(),
            line: None,
            message,
        };
        let given: BTreeSet<&str> = tables
            .iter()
            .map(|(name, _)| name.rsplit('/').next().unwrap_or(name))
            .collect();
        let listed: BTreeSet<&str> = m.tables.keys().map(String::as_str).collect();
        if given != listed {
            let missing: Vec<&str> = listed.difference(&given).copied().collect();
            let extra: Vec<&str> = given.difference(&listed).copied().collect();
            return Err(invalid(format!(
                "the manifest and the tables disagree (listed but missing: {}; present but not listed: {}); regenerate the layer with `billcast pricing update`",
                list_or_none(&missing),
                list_or_none(&extra)
            )));
        }
        let layer = Layer::LiteLlm(m.litellm_version.clone());
        // ~95 tables, 1.3 MB of TOML: parsed in parallel, collected in file order.
        use rayon::prelude::*;
        let parsed: Vec<Provider> = tables
            .par_iter()
            .map(|(name, text)| Ok(Provider::from_file(name, parse_file(name, text)?, &layer)))
            .collect::<Result<_, PricingError>>()?;
        let mut providers = BTreeMap::new();
        for p in parsed {
            let id = p.entry.id.get_ref().clone();
            if providers.insert(id.clone(), p).is_some() {
                return Err(invalid(format!(
                    "provider {id} has more than one table; regenerate the layer with `billcast pricing update`"
                )));
            }
        }
        Ok(LiteLlmLayer {
            manifest_sha256: sha256_hex(manifest.as_bytes()),
            manifest_path: MANIFEST_PATH.to_string(),
            manifest: m,
            providers,
        })
    }

    /// The layer built into this binary, parsed on first use (`None` when it was never
    /// generated).
    pub fn bundled() -> Result<Option<&'static LiteLlmLayer>, PricingError> {
        static LAYER: OnceLock<Result<Option<LiteLlmLayer>, PricingError>> = OnceLock::new();
        LAYER
            .get_or_init(|| {
                let (manifest, tables) = bundled_litellm_layer();
                manifest.map(|m| LiteLlmLayer::parse(m, tables)).transpose()
            })
            .as_ref()
            .map(Option::as_ref)
            .map_err(Clone::clone)
    }

    /// The layer in `dir` (a folder `billcast pricing update --out-dir` wrote), when it holds a
    /// [`MANIFEST`]; `None` when it does not. The manifest's tables are read from `dir`
    /// (missing or unlisted `*.toml` files are an error naming the manifest).
    pub fn read_dir(dir: &std::path::Path) -> Result<Option<LiteLlmLayer>, PricingError> {
        let manifest_path = dir.join(MANIFEST);
        if !manifest_path.is_file() {
            return Ok(None);
        }
        let read = |p: &std::path::Path| {
            std::fs::read_to_string(p).map_err(|e| PricingError::Io {
                path: p.display().to_string(),
                message: e.to_string(),
            })
        };
        let shown = manifest_path.display().to_string();
        let rename = |e: PricingError| match e {
            PricingError::Json {
                line,
                column,
                message,
                ..
            } => PricingError::Json {
                file: shown.clone(),
                line,
                column,
                message,
            },
            PricingError::Invalid { line, message, .. } => PricingError::Invalid {
                file: shown.clone(),
                line,
                message,
            },
            other => other,
        };
        let manifest = read(&manifest_path)?;
        let mut names: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| PricingError::Io {
                path: dir.display().to_string(),
                message: e.to_string(),
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
            .collect();
        names.sort();
        let texts: Vec<(String, String)> = names
            .iter()
            .map(|p| Ok((p.display().to_string(), read(p)?)))
            .collect::<Result<_, PricingError>>()?;
        let refs: Vec<(&str, &str)> = texts
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect();
        let mut layer = LiteLlmLayer::parse(&manifest, &refs).map_err(rename)?;
        // The manifest pins every table: a table edited by hand is refused.
        for (name, text) in &refs {
            let file = std::path::Path::new(name)
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or(name);
            if layer.manifest.tables.get(file) != Some(&sha256_hex(text.as_bytes())) {
                return Err(PricingError::Invalid {
                    file: name.to_string(),
                    line: None,
                    message: format!(
                        "its SHA-256 is not the one {shown} records; regenerate the layer with `billcast pricing update` (put hand-made prices in a separate --pricing table)"
                    ),
                });
            }
        }
        layer.manifest_path = shown;
        Ok(Some(layer))
    }

    /// The LiteLLM release.
    pub fn release(&self) -> &str {
        &self.manifest.litellm_version
    }

    /// Every model, by provider then id.
    pub fn models(&self) -> impl Iterator<Item = &super::Model> {
        self.providers.values().flat_map(|p| p.models.values())
    }
}

fn list_or_none(v: &[&str]) -> String {
    if v.is_empty() {
        "none".to_string()
    } else {
        v.join(", ")
    }
}

/// A freshly generated layer: its files (table file name → text, and [`MANIFEST`]), the import
/// behind it, and the parsed result.
#[derive(Clone, Debug)]
pub struct Generated {
    /// File name → text, written into the layer's folder as is.
    pub files: BTreeMap<String, String>,
    /// What the importer mapped, could not map and skipped.
    pub import: Import,
    /// The layer as it will be read back.
    pub layer: LiteLlmLayer,
}

/// Generate the layer from LiteLLM's price JSON, whose release must be recorded with
/// [`LiteLlm::with_version`], giving `retrieved` as every model's `checked` date. The tables are the importer's output for the default modes
/// (chat, responses, completion) with one line naming the layer on top; the result is
/// parsed back before it is returned, so a layer that would not load is never written.
pub fn generate(lite: &LiteLlm, retrieved: jiff::civil::Date) -> Result<Generated, PricingError> {
    let version = lite.version().ok_or_else(|| PricingError::Invalid {
        file: lite.name().to_string(),
        line: None,
        message: "the LiteLLM release is not recorded; give it (the JSON does not say)".to_string(),
    })?;
    let import = import_litellm(lite, &ImportOptions::new(retrieved))?;
    // A file that yields no model would silently empty the layer.
    if import.models == 0 {
        return Err(PricingError::Invalid {
            file: lite.name().to_string(),
            line: None,
            message: format!(
                "no chat, responses or completion model with prices among its {} keys; pass LiteLLM's model_prices_and_context_window.json",
                lite.keys().count()
            ),
        });
    }
    let mut files = BTreeMap::new();
    for (provider, text) in &import.files {
        files.insert(
            format!("{provider}.toml"),
            format!(
                "# billcast's LiteLLM layer ({DIR}/), beneath the first-party tables; regenerate it with `billcast pricing update`.\n{text}"
            ),
        );
    }
    let source_file = std::path::Path::new(lite.name())
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(lite.name())
        .to_string();
    let manifest = Manifest {
        generated_by: "billcast pricing update".to_string(),
        litellm_version: version.to_string(),
        source_file,
        source_sha256: lite.sha256().to_string(),
        retrieved: retrieved.to_string(),
        models: import.models,
        providers: import.files.len(),
        unmapped_fields: import.unmapped.len(),
        skipped_keys: import.skipped.len(),
        tables: files
            .iter()
            .map(|(name, text)| (name.clone(), sha256_hex(text.as_bytes())))
            .collect(),
    };
    let manifest_text = serde_json::to_string_pretty(&manifest)
        .map(|t| format!("{t}\n"))
        .map_err(|e| PricingError::Invalid {
            file: MANIFEST_PATH.to_string(),
            line: None,
            message: format!("cannot write the manifest: {e}"),
        })?;
    let named: Vec<(String, &str)> = files
        .iter()
        .map(|(name, text)| (format!("{DIR}/{name}"), text.as_str()))
        .collect();
    let refs: Vec<(&str, &str)> = named.iter().map(|(n, t)| (n.as_str(), *t)).collect();
    let layer = LiteLlmLayer::parse(&manifest_text, &refs)?;
    files.insert(MANIFEST.to_string(), manifest_text);
    Ok(Generated {
        files,
        import,
        layer,
    })
}

/// How a model changed between two layers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// Only in the new layer.
    Added,
    /// Only in the old layer.
    Removed,
    /// In both, with a different price (any rate, tier, region or schedule entry).
    Repriced,
}

impl ChangeKind {
    /// Lowercase name, as serialised.
    pub fn name(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Repriced => "repriced",
        }
    }
}

/// One model that was added, removed or repriced; rates in USD per 1M tokens.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    /// What happened.
    pub change: ChangeKind,
    /// `provider/model`.
    pub model: String,
    /// Input rate before (absent for an added model).
    pub input_before: Option<f64>,
    /// Input rate after (absent for a removed model).
    pub input_after: Option<f64>,
    /// Output rate before.
    pub output_before: Option<f64>,
    /// Output rate after.
    pub output_after: Option<f64>,
    /// For a repriced model, every price that changed (`input 2.5 → 3.0 (+20.0%)`,
    /// `service tier batch`, …), separated by `; `.
    pub detail: String,
}

/// What changed between two layers.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LayerDiff {
    /// Release of the old layer.
    pub from: String,
    /// Release of the new layer.
    pub to: String,
    /// Models in the old layer.
    pub models_before: usize,
    /// Models in the new layer.
    pub models_after: usize,
    /// Models in both whose prices are the same but whose other fields (context window,
    /// deprecation date, source, …) changed.
    pub other_changes: usize,
    /// Added, removed and repriced models, by model.
    pub changes: Vec<Change>,
}

impl LayerDiff {
    /// How many changes of `kind`.
    pub fn count(&self, kind: ChangeKind) -> usize {
        self.changes.iter().filter(|c| c.change == kind).count()
    }
}

/// Compare two layers model by model (`provider/model`).
pub fn diff(old: &LiteLlmLayer, new: &LiteLlmLayer) -> LayerDiff {
    let index = |l: &LiteLlmLayer| -> BTreeMap<String, ModelEntry> {
        l.models()
            .map(|m| (m.reference(), m.entry.clone()))
            .collect()
    };
    let (before, after) = (index(old), index(new));
    let mut changes = Vec::new();
    let mut other_changes = 0;
    for (reference, b) in &before {
        match after.get(reference) {
            None => changes.push(Change {
                change: ChangeKind::Removed,
                model: reference.clone(),
                input_before: Some(b.rates.input.0),
                input_after: None,
                output_before: Some(b.rates.output.0),
                output_after: None,
                detail: String::new(),
            }),
            Some(a) => {
                let detail = price_changes(b, a);
                if !detail.is_empty() {
                    changes.push(Change {
                        change: ChangeKind::Repriced,
                        model: reference.clone(),
                        input_before: Some(b.rates.input.0),
                        input_after: Some(a.rates.input.0),
                        output_before: Some(b.rates.output.0),
                        output_after: Some(a.rates.output.0),
                        detail: detail.join("; "),
                    });
                } else if without_checked(b) != without_checked(a) {
                    other_changes += 1;
                }
            }
        }
    }
    for (reference, a) in &after {
        if !before.contains_key(reference) {
            changes.push(Change {
                change: ChangeKind::Added,
                model: reference.clone(),
                input_before: None,
                input_after: Some(a.rates.input.0),
                output_before: None,
                output_after: Some(a.rates.output.0),
                detail: String::new(),
            });
        }
    }
    changes.sort_by(|x, y| (x.change, &x.model).cmp(&(y.change, &y.model)));
    LayerDiff {
        from: old.release().to_string(),
        to: new.release().to_string(),
        models_before: before.len(),
        models_after: after.len(),
        other_changes,
        changes,
    }
}

/// The entry as JSON without its `checked` date (which every regeneration moves).
fn without_checked(e: &ModelEntry) -> serde_json::Value {
    let mut v = serde_json::to_value(e).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.remove("checked");
    }
    v
}

/// A price structure as JSON with its free-text `notes` and `source` removed, so only
/// numbers and names are compared.
fn prices_of<T: Serialize>(x: &T) -> serde_json::Value {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(o) => {
                o.remove("notes");
                o.remove("source");
                o.remove("checked");
                o.values_mut().for_each(strip);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut v = serde_json::to_value(x).unwrap_or_default();
    strip(&mut v);
    v
}

/// Every price that differs between `b` (before) and `a` (after), one phrase each.
fn price_changes(b: &ModelEntry, a: &ModelEntry) -> Vec<String> {
    let mut out = Vec::new();
    base_rate_changes(&b.rates, &a.rates, &mut out);
    if prices_of(&b.context_tiers) != prices_of(&a.context_tiers) {
        out.push("long-context tiers".to_string());
    }
    let names: BTreeSet<&String> = b
        .service_tiers
        .keys()
        .chain(a.service_tiers.keys())
        .collect();
    for n in names {
        match (b.service_tiers.get(n), a.service_tiers.get(n)) {
            (Some(_), None) => out.push(format!("service tier {n} removed")),
            (None, Some(_)) => out.push(format!("service tier {n} added")),
            (Some(x), Some(y)) if prices_of(x) != prices_of(y) => {
                out.push(format!("service tier {n}"))
            }
            _ => {}
        }
    }
    let regions: BTreeSet<&String> = b.regions.keys().chain(a.regions.keys()).collect();
    for n in regions {
        match (b.regions.get(n), a.regions.get(n)) {
            (Some(_), None) => out.push(format!("region {n} removed")),
            (None, Some(_)) => out.push(format!("region {n} added")),
            (Some(x), Some(y)) if x.multiplier != y.multiplier => out.push(format!(
                "region {n} ×{} → ×{}",
                fmt_decimal(x.multiplier.0),
                fmt_decimal(y.multiplier.0)
            )),
            _ => {}
        }
    }
    if prices_of(&b.schedule) != prices_of(&a.schedule) {
        out.push("scheduled prices".to_string());
    }
    out
}

/// Changes of the base token rates, as `class before → after (±x.x%)`.
fn base_rate_changes(b: &Rates, a: &Rates, out: &mut Vec<String>) {
    let mut one = |class: &str, x: Option<f64>, y: Option<f64>| match (x, y) {
        (Some(x), Some(y)) if x != y => {
            let pct = if x == 0.0 {
                String::new()
            } else {
                format!(" ({:+.1}%)", (y - x) / x * 100.0)
            };
            out.push(format!(
                "{class} {} → {}{pct}",
                fmt_decimal(x),
                fmt_decimal(y)
            ));
        }
        (Some(x), None) => out.push(format!("{class} {} → none", fmt_decimal(x))),
        (None, Some(y)) => out.push(format!("{class} none → {}", fmt_decimal(y))),
        _ => {}
    };
    one("input", Some(b.input.0), Some(a.input.0));
    one("output", Some(b.output.0), Some(a.output.0));
    one(
        "cache read",
        b.cache_read.map(|p| p.0),
        a.cache_read.map(|p| p.0),
    );
    let writes = |r: &Rates| -> BTreeMap<String, f64> {
        match &r.cache_write {
            None => BTreeMap::new(),
            Some(CacheWrite::Flat(p)) => BTreeMap::from([(String::new(), p.0)]),
            Some(CacheWrite::ByTtl(m)) => m.iter().map(|(k, v)| (k.clone(), v.0)).collect(),
        }
    };
    let (wb, wa) = (writes(b), writes(a));
    let ttls: BTreeSet<&String> = wb.keys().chain(wa.keys()).collect();
    for t in ttls {
        let class = if t.is_empty() {
            "cache write".to_string()
        } else {
            format!("cache write {t}")
        };
        one(&class, wb.get(t).copied(), wa.get(t).copied());
    }
    let reasoning = |r: &Rates| match r.reasoning {
        Some(ReasoningRate::Rate(p)) => Some(p.0),
        _ => None,
    };
    one("reasoning", reasoning(b), reasoning(a));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot() -> LiteLlm {
        LiteLlm::load(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/data/pricing/litellm_model_prices.json"
        )))
        .expect("the repository's LiteLLM snapshot loads")
    }

    #[test]
    fn bundled_layer_is_what_the_importer_makes_of_the_snapshot() {
        // The committed layer must be regenerated whenever the importer or the snapshot
        // changes: `billcast pricing update data/pricing/litellm_model_prices.json
        // --litellm-version 1.110.2 --retrieved 2026-11-26`.
        let (manifest, tables) = bundled_litellm_layer();
        let manifest = manifest.expect("the LiteLLM layer is built in");
        let layer = LiteLlmLayer::bundled()
            .expect("the layer parses")
            .expect("the layer is built in");
        let lite = snapshot().with_version(layer.release());
        assert_eq!(layer.manifest.source_sha256, lite.sha256());
        let retrieved: jiff::civil::Date = layer.manifest.retrieved.parse().expect("a date");
        let g = generate(&lite, retrieved).expect("generates");
        assert_eq!(g.files.get(MANIFEST).map(String::as_str), Some(manifest));
        assert_eq!(g.files.len(), tables.len() + 1);
        for (name, text) in tables {
            let file = name.rsplit('/').next().unwrap_or(name);
            assert!(
                g.files.get(file).map(String::as_str) == Some(*text),
                "{name} differs from a fresh import; run `billcast pricing update`"
            );
        }
        // Every table is the one the manifest pins.
        for (name, text) in tables {
            let file = name.rsplit('/').next().unwrap_or(name);
            assert_eq!(
                layer.manifest.tables.get(file),
                Some(&sha256_hex(text.as_bytes()))
            );
        }
        assert_eq!(layer.models().count(), layer.manifest.models);
        assert!(
            layer
                .models()
                .all(|m| m.litellm_release() == Some("1.110.2"))
        );
        // Regenerating from the same file changes nothing.
        let d = diff(layer, &g.layer);
        assert!(d.changes.is_empty() && d.other_changes == 0, "{d:#?}");
    }

    #[test]
    fn diff_lists_added_removed_and_repriced_models() {
        let json = |gpt_x_input: &str, extra: &str| {
            format!(
                r#"{{ "gpt-x": {{ "litellm_provider": "openai", "mode": "chat",
                    "input_cost_per_token": {gpt_x_input}, "output_cost_per_token": 1e-05 }},
                  "gpt-same": {{ "litellm_provider": "openai", "mode": "chat",
                    "input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06 }}{extra} }}"#
            )
        };
        let day = jiff::civil::date(2026, 11, 26);
        let old = LiteLlm::parse(
            "old.json",
            &json(
                "2e-06",
                r#", "gone": { "litellm_provider": "mistral", "mode": "chat",
                    "input_cost_per_token": 1e-06, "output_cost_per_token": 3e-06 }"#,
            ),
        )
        .expect("parses")
        .with_version("1.0.0");
        let new = LiteLlm::parse(
            "new.json",
            &json(
                "2.5e-06",
                r#", "fresh": { "litellm_provider": "xai", "mode": "chat",
                    "input_cost_per_token": 4e-06, "output_cost_per_token": 8e-06 }"#,
            ),
        )
        .expect("parses")
        .with_version("1.1.0");
        let a = generate(&old, day).expect("old layer");
        let b = generate(&new, day.tomorrow().expect("a day")).expect("new layer");
        let d = diff(&a.layer, &b.layer);
        assert_eq!((d.from.as_str(), d.to.as_str()), ("1.0.0", "1.1.0"));
        let got: Vec<(ChangeKind, &str, &str)> = d
            .changes
            .iter()
            .map(|c| (c.change, c.model.as_str(), c.detail.as_str()))
            .collect();
        // input 2.0 → 2.5 USD/MTok = +25.0%; gpt-same only moved its `checked` date.
        assert_eq!(
            got,
            vec![
                (ChangeKind::Added, "xai/fresh", ""),
                (ChangeKind::Removed, "mistral/gone", ""),
                (
                    ChangeKind::Repriced,
                    "openai/gpt-x",
                    "input 2.0 → 2.5 (+25.0%)"
                ),
            ]
        );
        assert_eq!(d.other_changes, 0);
        assert_eq!((d.models_before, d.models_after), (3, 3));
        assert_eq!(d.changes[2].input_before, Some(2.0));
        assert_eq!(d.changes[2].input_after, Some(2.5));
    }

    #[test]
    fn a_manifest_that_does_not_match_its_tables_is_refused() {
        let day = jiff::civil::date(2026, 11, 26);
        let lite = LiteLlm::parse(
            "p.json",
            r#"{ "gpt-x": { "litellm_provider": "openai", "mode": "chat",
                "input_cost_per_token": 2e-06, "output_cost_per_token": 1e-05 } }"#,
        )
        .expect("parses")
        .with_version("1.0.0");
        let g = generate(&lite, day).expect("generates");
        let manifest = &g.files[MANIFEST];
        let err = LiteLlmLayer::parse(manifest, &[]).expect_err("openai.toml is missing");
        assert!(
            err.to_string()
                .contains("listed but missing: openai.toml; present but not listed: none"),
            "{err}"
        );
    }
}
