//! `billcast pricing check`: find prices that are stale, unsourced, past their model's
//! deprecation, suspicious (output/input ratio), unresolvable, or that disagree with LiteLLM
//! (a price JSON, or the LiteLLM layer beneath the tables).
//!
//! All rates compared are USD per 1M tokens. The check never changes a table; it returns
//! [`Finding`]s sorted by severity, file and model.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::book::{Model, PriceBook, RateCard, RateQuery};
use super::layer::LiteLlmLayer;
use super::litellm::{EntryRates, LiteLlm, fmt_decimal};
use super::schema::{CacheWrite, Date};

/// A `checked` date older than this many days before today is stale.
pub const STALE_AFTER_DAYS: i32 = 90;

/// A rate differing from LiteLLM's by more than this fraction (1%) is flagged.
pub const LITELLM_TOLERANCE: f64 = 0.01;

/// Output/input price ratios outside this range (inclusive) are flagged as a possible typo.
pub const OUTPUT_INPUT_RATIO: (f64, f64) = (1.0, 10.0);

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The table cannot price some calls.
    Error,
    /// A price is probably wrong or unverifiable.
    Warning,
    /// Worth a look.
    Info,
}

impl Severity {
    /// Lowercase name, as serialised.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// One problem found in the price book.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// How serious.
    pub severity: Severity,
    /// The price-table file (path, or `pricing/<name>.toml` for bundled tables).
    pub file: String,
    /// `provider/model`, when the finding is about a model.
    pub model: Option<String>,
    /// What is wrong and how to fix it (one line).
    pub message: String,
}

/// What the tables' prices are compared with.
#[derive(Clone, Copy, Debug)]
pub enum Against<'a> {
    /// Nothing: only the tables' own problems.
    Nothing,
    /// A LiteLLM price JSON: each model that names a `litellm` key, with that entry's base
    /// rates.
    File(&'a LiteLlm),
    /// The LiteLLM layer: each model with the layer's model of the same `litellm` key (else
    /// the same `provider/model`), over every service tier, region, cache-write TTL and
    /// long-context tier both price.
    Layer(&'a LiteLlmLayer),
}

/// Check every provider, tool, model and schedule entry of the tables in `book` (never the
/// LiteLLM layer's own models) as of `today`, and compare their prices with `against`.
pub fn check(book: &PriceBook, against: Against<'_>, today: jiff::civil::Date) -> Vec<Finding> {
    let by_key: BTreeMap<&str, &Model> = match against {
        Against::Layer(l) => l
            .models()
            .filter_map(|m| m.entry.litellm.as_deref().map(|k| (k, m)))
            .collect(),
        _ => BTreeMap::new(),
    };
    let mut out = Vec::new();
    for p in book.providers() {
        let pid = p.entry.id.get_ref();
        let mut f = Sink {
            out: &mut out,
            file: &p.file,
            model: None,
        };
        dated(
            &mut f,
            &format!("provider {pid}"),
            p.entry.source.as_deref(),
            p.entry.checked,
            today,
        );
        for t in &p.entry.tools {
            dated(
                &mut f,
                &format!("tool {} of provider {pid}", t.id),
                t.source.as_deref(),
                t.checked,
                today,
            );
        }
        for m in p.models.values() {
            check_model(&mut out, m, against, &by_key, today);
        }
    }
    out.sort_by(|a, b| {
        (a.severity, &a.file, &a.model, &a.message)
            .cmp(&(b.severity, &b.file, &b.model, &b.message))
    });
    out.dedup();
    out
}

/// Where findings for one file/model go.
struct Sink<'a> {
    out: &'a mut Vec<Finding>,
    file: &'a str,
    model: Option<String>,
}

impl Sink<'_> {
    fn push(&mut self, severity: Severity, message: String) {
        self.out.push(Finding {
            severity,
            file: self.file.to_string(),
            model: self.model.clone(),
            message,
        });
    }
}

/// Missing `source`/`checked`, or a `checked` date more than [`STALE_AFTER_DAYS`] old.
fn dated(
    f: &mut Sink<'_>,
    what: &str,
    source: Option<&str>,
    checked: Option<Date>,
    today: jiff::civil::Date,
) {
    if source.is_none() {
        f.push(
            Severity::Warning,
            format!("{what} has no `source`; add the URL its prices come from"),
        );
    }
    match checked {
        None => f.push(
            Severity::Warning,
            format!("{what} has no `checked` date; add the date its prices were last compared with the source"),
        ),
        Some(d) => {
            let age = d.0.until(today).map(|s| s.get_days()).unwrap_or(0);
            if age > STALE_AFTER_DAYS {
                f.push(
                    Severity::Warning,
                    format!(
                        "{what} was checked on {d}, {age} days before {today} (limit {STALE_AFTER_DAYS}); compare it with {} and update `checked`",
                        source.unwrap_or("its source")
                    ),
                );
            }
        }
    }
}

fn check_model(
    out: &mut Vec<Finding>,
    m: &Model,
    against: Against<'_>,
    layer_by_key: &BTreeMap<&str, &Model>,
    today: jiff::civil::Date,
) {
    let mut f = Sink {
        out,
        file: &m.file,
        model: Some(m.reference()),
    };
    let e = &m.entry;
    dated(&mut f, "model", e.source.as_deref(), e.checked, today);
    for s in &e.schedule {
        dated(
            &mut f,
            &format!("schedule entry from {}", s.effective_from),
            s.source.as_deref(),
            s.checked,
            today,
        );
    }
    if let Some(d) = e.deprecation_date
        && d.0 < today
    {
        f.push(
                Severity::Info,
                format!(
                    "deprecated since {d}{}; forecasts past that date price a model that may no longer be served",
                    e.successor.as_ref().map_or(String::new(), |s| format!(" (successor: {s})"))
                ),
            );
    }
    let (rates, _, _) = m.rates_on(today);
    let (input, output) = (rates.input.0, rates.output.0);
    if input > 0.0 {
        let ratio = output / input;
        if ratio < OUTPUT_INPUT_RATIO.0 || ratio > OUTPUT_INPUT_RATIO.1 {
            f.push(
                Severity::Info,
                format!(
                    "output/input price ratio is {:.2} (output {} vs input {} USD/MTok), outside {}–{}; check for a typo",
                    ratio,
                    fmt_decimal(output),
                    fmt_decimal(input),
                    OUTPUT_INPUT_RATIO.0,
                    OUTPUT_INPUT_RATIO.1
                ),
            );
        }
    }
    for message in resolution_errors(m) {
        f.push(Severity::Error, message);
    }
    let lite = match against {
        Against::Nothing => return,
        Against::Layer(layer) => {
            compare_with_layer(&mut f, m, layer, layer_by_key, today);
            return;
        }
        Against::File(lite) => lite,
    };
    let Some(key) = e.litellm.as_deref() else {
        return;
    };
    let Some(entry) = lite.entry(key) else {
        let closest = lite.closest_keys(key, 3);
        f.push(
            Severity::Warning,
            format!(
                "litellm key '{key}' is not in {}{}; fix the key or remove it",
                lite.name(),
                if closest.is_empty() {
                    String::new()
                } else {
                    format!(" (closest: {})", closest.join(", "))
                }
            ),
        );
        return;
    };
    let theirs = entry.rates();
    let there = format!("in LiteLLM ({key})");
    let mut compare = |class: &str, ours: f64, theirs: Option<f64>, note: &str| {
        if let Some(t) = theirs
            && let Some(message) = disagreement(class, ours, note, t, &there)
        {
            f.push(Severity::Warning, message);
        }
    };
    compare("input", input, theirs.input, "");
    compare("output", output, theirs.output, "");
    match rates.cache_read {
        Some(p) => compare("cache_read", p.0, theirs.cache_read, ""),
        None => compare(
            "cache_read",
            input,
            theirs.cache_read,
            " (the input rate; no cache_read given)",
        ),
    }
    match &rates.cache_write {
        None => compare(
            "cache_write",
            input,
            theirs.cache_write,
            " (the input rate; no cache_write given)",
        ),
        Some(CacheWrite::Flat(p)) => compare("cache_write", p.0, theirs.cache_write, ""),
        Some(CacheWrite::ByTtl(map)) => {
            for (label, p) in map {
                compare(
                    &format!("cache_write.\"{label}\""),
                    p.0,
                    litellm_write(&theirs, label),
                    "",
                );
            }
        }
    }
}

/// The message for `class` priced `ours` here (with `note`) and `theirs` `there`, when they
/// differ by more than [`LITELLM_TOLERANCE`]; `None` when they agree.
fn disagreement(class: &str, ours: f64, note: &str, theirs: f64, there: &str) -> Option<String> {
    let differs = if theirs == 0.0 {
        ours != 0.0
    } else {
        ((ours - theirs) / theirs).abs() > LITELLM_TOLERANCE
    };
    differs.then(|| {
        let pct = if theirs == 0.0 {
            "LiteLLM has it free".to_string()
        } else {
            format!("{:+.1}%", (ours - theirs) / theirs * 100.0)
        };
        format!(
            "{class} is {}{note} USD/MTok here but {} {there}: {pct}; check the source and fix one of them",
            fmt_decimal(ours),
            fmt_decimal(theirs)
        )
    })
}

/// One combination of options both models price: service tier, region and cache-write TTL
/// (`None` = standard, global, the default TTL), and the long-context tier index of each.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Combo {
    tier: Option<String>,
    region: Option<String>,
    ttl: Option<String>,
    ours: usize,
    theirs: usize,
}

impl Combo {
    /// `service tier batch, region us, cache TTL 1h, input > 200000: ` (empty for the base).
    fn label(&self, m: &Model) -> String {
        let mut parts = Vec::new();
        if let Some(t) = &self.tier {
            parts.push(format!("service tier {t}"));
        }
        if let Some(r) = &self.region {
            parts.push(format!("region {r}"));
        }
        if let Some(t) = &self.ttl {
            parts.push(format!("cache TTL {t}"));
        }
        if self.ours > 0
            && let Some(t) = m.context_tiers().get(self.ours - 1)
        {
            parts.push(format!(
                "input {} {}",
                if t.inclusive { "≥" } else { ">" },
                t.above_input_tokens
            ));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("{}: ", parts.join(", "))
        }
    }

    /// The combinations one option closer to the base rates, whose disagreement would explain
    /// this one's.
    fn parents(&self) -> Vec<Combo> {
        let mut v = Vec::new();
        if self.tier.is_some() {
            v.push(Combo {
                tier: None,
                ..self.clone()
            });
        }
        if self.region.is_some() {
            v.push(Combo {
                region: None,
                ..self.clone()
            });
        }
        if self.ttl.is_some() {
            v.push(Combo {
                ttl: None,
                ..self.clone()
            });
        }
        if self.ours > 0 {
            v.push(Combo {
                ours: 0,
                theirs: 0,
                ..self.clone()
            });
        }
        v
    }
}

/// Compare `m` with the LiteLLM layer's model for the same LiteLLM key (else the same
/// `provider/model`) on every combination both price, as of `today`. A class that disagrees
/// is reported once, at the simplest combination where it does (a wrong cache-read rate is not
/// repeated for every region); options only one side prices are noted.
fn compare_with_layer(
    f: &mut Sink<'_>,
    m: &Model,
    layer: &LiteLlmLayer,
    by_key: &BTreeMap<&str, &Model>,
    today: jiff::civil::Date,
) {
    let key = m.entry.litellm.as_deref();
    let in_layer =
        |provider: &str, id: &str| layer.providers.get(provider).and_then(|p| p.models.get(id));
    // The layer's model for our key; for a region-qualified key (Bedrock `global.…`), the
    // region-free model in that region, so our base rates meet the same profile's.
    let found = key
        .and_then(|k| by_key.get(k).map(|m| (*m, None)))
        .or_else(|| {
            let (p, base, region) = super::litellm::region_qualified(key?)?;
            let t = in_layer(&p, &base)?;
            t.entry
                .regions
                .contains_key(&region)
                .then_some((t, Some(region)))
        })
        .or_else(|| in_layer(&m.provider, m.entry.id.get_ref()).map(|t| (t, None)));
    let release = layer.release();
    let Some((theirs, their_region)) = found else {
        if let Some(k) = key {
            let closest = crate::toml_util::closest_n(k, by_key.keys().copied(), 3);
            f.push(
                Severity::Warning,
                format!(
                    "litellm key '{k}' is not in the LiteLLM {release} layer{}; fix the key or remove it",
                    if closest.is_empty() {
                        String::new()
                    } else {
                        format!(" (closest: {})", closest.join(", "))
                    }
                ),
            );
        }
        return;
    };
    let there = format!("in the LiteLLM {release} layer ({})", theirs.reference());
    let e = &m.entry;
    let t = &theirs.entry;
    let only = |ours: Vec<&String>, other: Vec<&String>| -> (Vec<String>, Vec<String>) {
        let a: BTreeSet<&String> = ours.into_iter().collect();
        let b: BTreeSet<&String> = other.into_iter().collect();
        (
            a.difference(&b).map(|s| s.to_string()).collect(),
            b.difference(&a).map(|s| s.to_string()).collect(),
        )
    };
    let (tiers_here, tiers_there) = only(
        e.service_tiers.keys().collect(),
        t.service_tiers.keys().collect(),
    );
    let (regions_here, regions_there) = only(
        e.regions.keys().collect(),
        t.regions
            .keys()
            .filter(|r| Some(*r) != their_region.as_ref())
            .collect(),
    );
    for (what, names, side) in [
        (
            "service tiers",
            &tiers_there,
            "the layer prices but this table does not",
        ),
        (
            "service tiers",
            &tiers_here,
            "this table prices but the layer does not",
        ),
        (
            "regions",
            &regions_there,
            "the layer prices but this table does not",
        ),
        (
            "regions",
            &regions_here,
            "this table prices but the layer does not",
        ),
    ] {
        if !names.is_empty() {
            f.push(
                Severity::Info,
                format!(
                    "{what} {side} ({}): {}",
                    theirs.reference(),
                    names.join(", ")
                ),
            );
        }
    }
    let tiers: Vec<Option<String>> = std::iter::once(None)
        .chain(
            e.service_tiers
                .keys()
                .filter(|k| t.service_tiers.contains_key(*k))
                .map(|k| Some(k.clone())),
        )
        .collect();
    let regions: Vec<Option<String>> = std::iter::once(None)
        .chain(
            e.regions
                .keys()
                .filter(|k| t.regions.contains_key(*k))
                .map(|k| Some(k.clone())),
        )
        .collect();
    let their_ttls = theirs.cache_ttls();
    let ttls: Vec<Option<String>> = std::iter::once(None)
        .chain(
            m.cache_ttls()
                .into_iter()
                .filter(|k| their_ttls.contains(k))
                .map(Some),
        )
        .collect();
    // Long-context tiers both have at the same threshold.
    let mut ctx = vec![(0, 0)];
    for (i, a) in m.context_tiers().iter().enumerate() {
        if let Some(j) = theirs.context_tiers().iter().position(|b| {
            b.above_input_tokens == a.above_input_tokens && b.inclusive == a.inclusive
        }) {
            ctx.push((i + 1, j + 1));
        }
    }
    let classes = ["input", "cache_read", "cache_write", "output", "reasoning"];
    let mut cards: BTreeMap<Combo, ([f64; 5], [f64; 5])> = BTreeMap::new();
    for tier in &tiers {
        for region in &regions {
            for ttl in &ttls {
                for &(ours, their) in &ctx {
                    let q = RateQuery {
                        date: Some(today),
                        service_tier: tier.clone(),
                        region: region.clone(),
                        cache_ttl: ttl.clone(),
                    };
                    let q_theirs = RateQuery {
                        region: region.clone().or_else(|| their_region.clone()),
                        ..q.clone()
                    };
                    // Combinations either side cannot resolve are reported elsewhere.
                    let (Ok(a), Ok(b)) =
                        (m.rate_card(&q, ours), theirs.rate_card(&q_theirs, their))
                    else {
                        continue;
                    };
                    let combo = Combo {
                        tier: tier.clone(),
                        region: region.clone(),
                        ttl: ttl.clone(),
                        ours,
                        theirs: their,
                    };
                    cards.insert(combo, (RateCard::as_array(&a), RateCard::as_array(&b)));
                }
            }
        }
    }
    let differs = |combo: &Combo, c: usize| -> bool {
        cards
            .get(combo)
            .is_some_and(|(a, b)| disagreement(classes[c], a[c], "", b[c], "").is_some())
    };
    // A class that follows another on both sides (cache classes without a rate bill as
    // input, reasoning as output) repeats that class's finding: skip it.
    let follows = [None, Some(0), Some(0), None, Some(3)];
    for (combo, (a, b)) in &cards {
        for (c, class) in classes.iter().enumerate() {
            if follows[c].is_some_and(|o| a[c] == a[o] && b[c] == b[o])
                || combo.parents().iter().any(|p| differs(p, c))
            {
                continue;
            }
            if let Some(message) = disagreement(class, a[c], "", b[c], &there) {
                f.push(Severity::Warning, format!("{}{message}", combo.label(m)));
            }
        }
    }
}

/// LiteLLM's cache-write rate for a TTL label.
fn litellm_write(r: &EntryRates, label: &str) -> Option<f64> {
    match label {
        "5m" | "5min" | "default" => r.cache_write,
        "1h" | "60m" => r.cache_write_1h,
        "12h" => r.cache_write_12h,
        _ => None,
    }
}

/// Combinations of service tier, long-context tier and cache TTL the resolver cannot price.
fn resolution_errors(m: &Model) -> BTreeSet<String> {
    let mut errors = BTreeSet::new();
    let tiers: Vec<Option<String>> = std::iter::once(None)
        .chain(m.entry.service_tiers.keys().map(|k| Some(k.clone())))
        .collect();
    let ttls: Vec<Option<String>> = std::iter::once(None)
        .chain(m.cache_ttls().into_iter().map(Some))
        .collect();
    for tier in &tiers {
        for index in 0..=m.entry.context_tiers.len() {
            for ttl in &ttls {
                let q = RateQuery {
                    date: None,
                    service_tier: tier.clone(),
                    region: None,
                    cache_ttl: ttl.clone(),
                };
                if let Err(e) = m.rate_card(&q, index) {
                    errors.insert(format!(
                        "rates do not resolve for service tier {}, long-context tier {index}, cache TTL {}: {e}",
                        tier.as_deref().unwrap_or("standard"),
                        ttl.as_deref().unwrap_or("(default)")
                    ));
                }
            }
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::litellm::{ImportOptions, import_litellm};

    fn today() -> jiff::civil::Date {
        jiff::civil::date(2026, 11, 26)
    }

    fn book(toml: &str) -> PriceBook {
        let mut b = PriceBook::empty();
        b.add_text("acme.toml", toml, false)
            .expect("test table loads");
        b
    }

    /// LiteLLM: gpt-x at 2e-6 / 1e-5 / 2e-7 / 2.5e-6 per token = 2.0 / 10.0 / 0.2 / 2.5 USD/MTok.
    fn lite() -> LiteLlm {
        LiteLlm::parse(
            "prices.json",
            r#"{ "gpt-x": { "litellm_provider": "openai", "mode": "chat",
                "input_cost_per_token": 2e-06, "output_cost_per_token": 1e-05,
                "cache_read_input_token_cost": 2e-07, "cache_creation_input_token_cost": 2.5e-06 } }"#,
        )
        .expect("test JSON parses")
    }

    const TABLE: &str = r#"
schema_version = 1
[provider]
id = "acme"
name = "Acme"
source = "https://acme.example/pricing"
checked = 2026-11-01

[[models]]
id = "right"
litellm = "gpt-x"
source = "https://acme.example/pricing"
checked = 2026-11-01
rates = { input = 2.0, output = 10.0, cache_read = 0.2, cache_write = 2.5 }

[[models]]
id = "wrong"
litellm = "gpt-x"
source = "https://acme.example/pricing"
checked = 2026-11-01
rates = { input = 2.5, output = 10.05, cache_read = 0.2, cache_write = 2.5 }

[[models]]
id = "stale"
source = "https://acme.example/pricing"
checked = 2026-01-01
rates = { input = 1.0, output = 4.0 }

[[models]]
id = "typo"
litellm = "gpt-xx"
checked = 2026-11-01
deprecation_date = 2026-06-30
rates = { input = 10.0, output = 5.0 }
"#;

    fn about<'a>(f: &'a [Finding], model: &str) -> Vec<&'a Finding> {
        f.iter()
            .filter(|x| x.model.as_deref() == Some(model))
            .collect()
    }

    #[test]
    fn flags_wrong_prices_stale_dates_and_typos() {
        let f = check(&book(TABLE), Against::File(&lite()), today());
        // A matching model has nothing to say.
        assert!(about(&f, "acme/right").is_empty(), "{f:#?}");
        // input 2.5 vs 2.0 = +25.0% → warning; output 10.05 vs 10.0 = +0.5% → within 1%.
        let wrong = about(&f, "acme/wrong");
        assert_eq!(wrong.len(), 1, "{wrong:#?}");
        assert_eq!(wrong[0].severity, Severity::Warning);
        assert!(
            wrong[0]
                .message
                .starts_with("input is 2.5 USD/MTok here but 2.0 in LiteLLM (gpt-x): +25.0%"),
            "{}",
            wrong[0].message
        );
        // 2026-01-01 → 2026-11-26 is 329 days (> 90).
        let stale = about(&f, "acme/stale");
        assert_eq!(stale.len(), 1, "{stale:#?}");
        assert!(
            stale[0]
                .message
                .contains("checked on 2026-01-01, 329 days before 2026-11-26"),
            "{}",
            stale[0].message
        );
        // No source, unknown litellm key (closest gpt-x), past deprecation, output/input = 0.5.
        let typo = about(&f, "acme/typo");
        let msgs: Vec<&str> = typo.iter().map(|x| x.message.as_str()).collect();
        assert_eq!(typo.len(), 4, "{msgs:#?}");
        assert!(msgs.iter().any(|m| m.contains("has no `source`")));
        assert!(
            msgs.iter()
                .any(|m| m.contains("litellm key 'gpt-xx' is not in prices.json (closest: gpt-x"))
        );
        assert!(
            msgs.iter()
                .any(|m| m.starts_with("deprecated since 2026-06-30"))
        );
        assert!(
            msgs.iter()
                .any(|m| m.contains("ratio is 0.50") && m.contains("typo"))
        );
        let info = typo.iter().filter(|x| x.severity == Severity::Info).count();
        assert_eq!(info, 2);
        // Sorted: warnings before infos; within a severity by file then model.
        let sev: Vec<Severity> = f.iter().map(|x| x.severity).collect();
        let mut sorted = sev.clone();
        sorted.sort();
        assert_eq!(sev, sorted);
        // Without LiteLLM, only the book's own problems remain.
        let g = check(&book(TABLE), Against::Nothing, today());
        assert!(about(&g, "acme/wrong").is_empty());
        assert_eq!(about(&g, "acme/typo").len(), 3);
    }

    #[test]
    fn severity_serialises_lowercase() {
        let f = Finding {
            severity: Severity::Warning,
            file: "a.toml".into(),
            model: None,
            message: "m".into(),
        };
        let json = serde_json::to_string(&f).expect("serialises");
        assert_eq!(
            json,
            r#"{"severity":"warning","file":"a.toml","model":null,"message":"m"}"#
        );
        assert_eq!(Severity::Error.name(), "error");
    }

    #[test]
    fn unsourced_provider_and_tools_and_unresolvable_rates() {
        let table = r#"
schema_version = 1
[provider]
id = "acme"
name = "Acme"
[[provider.tools]]
id = "web_search"
price_per_1k = 10.0
[[models]]
id = "tiered"
source = "https://acme.example"
checked = 2026-11-20
rates = { input = 3.0, output = 15.0, cache_write = { "5m" = 3.75, "1h" = 6.0 } }
[[models.context_tiers]]
above_input_tokens = 200000
rates = { input = 6.0, output = 22.5, cache_write = { "5m" = 7.5 } }
"#;
        let f = check(&book(table), Against::Nothing, today());
        let provider: Vec<&str> = f
            .iter()
            .filter(|x| x.model.is_none())
            .map(|x| x.message.as_str())
            .collect();
        assert_eq!(provider.len(), 4, "{provider:#?}");
        assert!(
            provider
                .iter()
                .any(|m| m.starts_with("provider acme has no `checked`"))
        );
        assert!(
            provider
                .iter()
                .any(|m| m.starts_with("tool web_search of provider acme has no `source`"))
        );
        // Above 200k the tier prices no 1h write, so a 1h write there cannot be priced.
        let errors: Vec<&Finding> = f.iter().filter(|x| x.severity == Severity::Error).collect();
        assert_eq!(errors.len(), 1, "{errors:#?}");
        assert!(
            errors[0]
                .message
                .contains("long-context tier 1, cache TTL 1h"),
            "{}",
            errors[0].message
        );
        assert_eq!(f[0].severity, Severity::Error);
    }

    #[test]
    fn real_litellm_entry_matches_or_is_flagged() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/data/pricing/litellm_model_prices.json"
        ))
        .expect("LiteLLM JSON");
        let lite = LiteLlm::parse("litellm_model_prices.json", &text).expect("parses");
        // gpt-6.1-sol in LiteLLM 1.110.2: 2.0 / 10.0 / cache read 0.1 / write 2.5, 12h 5.0.
        let table = r#"
schema_version = 1
[provider]
id = "openai"
name = "OpenAI"
source = "https://developers.openai.com/api/docs/pricing"
checked = 2026-11-20
[[models]]
id = "gpt-6.1-sol"
litellm = "gpt-6.1-sol"
source = "https://developers.openai.com/api/docs/pricing"
checked = 2026-11-20
rates = { input = 2.0, output = 10.0, cache_read = 0.1, cache_write = { default = 2.5, "12h" = 5.0 } }
[[models]]
id = "gpt-6.1-sol-typo"
litellm = "gpt-6.1-sol"
source = "https://developers.openai.com/api/docs/pricing"
checked = 2026-05-01
rates = { input = 2.0, output = 12.0, cache_read = 0.1 }
"#;
        let f = check(&book(table), Against::File(&lite), today());
        assert!(about(&f, "openai/gpt-6.1-sol").is_empty(), "{f:#?}");
        let typo: Vec<&str> = about(&f, "openai/gpt-6.1-sol-typo")
            .iter()
            .map(|x| x.message.as_str())
            .collect();
        // output 12 vs 10 = +20.0%; no cache_write → input 2.0 vs 2.5 = -20.0%; checked 209 days ago.
        assert_eq!(typo.len(), 3, "{typo:#?}");
        assert!(typo.iter().any(|m| m.starts_with(
            "output is 12.0 USD/MTok here but 10.0 in LiteLLM (gpt-6.1-sol): +20.0%"
        )));
        assert!(
            typo.iter().any(|m| m
                .starts_with("cache_write is 2.0 (the input rate; no cache_write given) USD/MTok")
                && m.contains("-20.0%"))
        );
        assert!(
            typo.iter()
                .any(|m| m.contains("checked on 2026-05-01, 209 days before"))
        );
    }

    #[test]
    fn imported_tables_agree_with_litellm() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/data/pricing/litellm_model_prices.json"
        ))
        .expect("LiteLLM JSON");
        let lite = LiteLlm::parse("litellm_model_prices.json", &text).expect("parses");
        // Every provider: no stale dates, no missing sources, no disagreement with the file the
        // tables came from, and every tier/TTL combination resolves.
        let imp = import_litellm(&lite, &ImportOptions::new(today())).expect("import");
        let mut b = PriceBook::empty();
        for (p, t) in &imp.files {
            b.add_text(&format!("{p}.toml"), t, false).expect("loads");
        }
        let f = check(&b, Against::File(&lite), today());
        let serious: Vec<&Finding> = f.iter().filter(|x| x.severity != Severity::Info).collect();
        assert!(
            serious.is_empty(),
            "{} findings, first: {:#?}",
            serious.len(),
            &serious[..serious.len().min(5)]
        );
    }
}
