//! The body of `billcast pricing …` results: one view of the price book per subcommand.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::pricing::check::Finding;
use crate::pricing::layer::Change;
use crate::pricing::schema::{CacheWrite, ReasoningRate};
use crate::pricing::{CallCost, Model, PriceBook};
use crate::units::format_rate;

/// One model of `pricing list`: its main rates today, USD per 1M tokens.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListRow {
    /// `provider/model`.
    pub model: String,
    /// Display name.
    pub name: String,
    /// Uncached input.
    pub input: f64,
    /// Cache read (the input rate when the model has none).
    pub cache_read: f64,
    /// Cheapest cache write, when the model has one.
    pub cache_write: Option<f64>,
    /// Output.
    pub output: f64,
    /// Context window, tokens.
    pub context_window: Option<u64>,
    /// First long-context threshold, input tokens.
    pub long_context_above: Option<u64>,
    /// Service tiers, space-separated.
    pub service_tiers: String,
    /// When the rates were last checked.
    pub checked: Option<String>,
    /// Where the rates come from.
    pub source: Option<String>,
    /// Tokens per o200k_base token for the same text.
    pub tokenizer_ratio: f64,
    /// `verified`, `estimated`, …
    pub tokenizer_confidence: String,
    /// `first-party`, `--pricing` or the LiteLLM layer.
    pub layer: String,
}

impl ListRow {
    /// The row of `m` with the rates in force on `date`.
    pub fn new(m: &Model, date: jiff::civil::Date) -> ListRow {
        let (rates, _, _) = m.rates_on(date);
        ListRow {
            model: m.reference(),
            name: m.entry.name.clone().unwrap_or_default(),
            input: rates.input.0,
            cache_read: rates.cache_read.map_or(rates.input.0, |p| p.0),
            cache_write: match &rates.cache_write {
                None => None,
                Some(CacheWrite::Flat(p)) => Some(p.0),
                Some(CacheWrite::ByTtl(map)) => map.values().map(|p| p.0).reduce(f64::min),
            },
            output: rates.output.0,
            context_window: m.entry.context_window,
            long_context_above: m.context_tiers().first().map(|t| t.above_input_tokens),
            service_tiers: m
                .entry
                .service_tiers
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(" "),
            checked: m.entry.checked.map(|d| d.to_string()),
            source: m.entry.source.clone(),
            tokenizer_ratio: m.tokenizer_info().ratio,
            tokenizer_confidence: m.tokenizer_info().confidence,
            layer: m.layer.label(),
        }
    }
}

/// One block of `pricing show`: an optional title and `(label, value)` rows; `columns` name
/// the two columns of its Markdown table.
#[derive(Debug, Clone, PartialEq)]
pub struct ShowSection {
    /// Title above the block (none for the first).
    pub title: Option<&'static str>,
    /// Column names in Markdown.
    pub columns: [&'static str; 2],
    /// `(label, value)` rows.
    pub rows: Vec<(String, String)>,
}

/// `pricing show`: the model's entry as written in its table (the JSON) and the sections the
/// text formats show, built from the entry and its provider's tools.
#[derive(Debug, Clone, PartialEq)]
pub struct ShowView {
    /// The entry, plus `reference`, `file`, `tokenizer_resolved` and `layer`.
    pub entry: Map<String, Value>,
    /// `provider/model — Name`.
    pub title: String,
    /// Facts, rates, tools.
    pub sections: Vec<ShowSection>,
    /// The entry's notes.
    pub notes: Option<String>,
}

impl ShowView {
    /// The view of `m` in `book`.
    ///
    /// # Errors
    /// Serialisation errors of the entry.
    pub fn new(book: &PriceBook, m: &Model) -> Result<ShowView, serde_json::Error> {
        let mut entry = match serde_json::to_value(&m.entry)? {
            Value::Object(o) => o,
            _ => Map::new(),
        };
        entry.insert("reference".into(), m.reference().into());
        entry.insert("file".into(), m.file.clone().into());
        // The ratio as billcast uses it, with its own confidence and plausible range.
        entry.insert(
            "tokenizer_resolved".into(),
            serde_json::to_value(m.tokenizer_info())?,
        );
        entry.insert("layer".into(), m.layer.label().into());
        Ok(ShowView {
            entry,
            title: format!(
                "{}{}",
                m.reference(),
                m.entry
                    .name
                    .as_ref()
                    .map(|n| format!(" — {n}"))
                    .unwrap_or_default()
            ),
            sections: show_sections(book, m),
            notes: m.entry.notes.clone(),
        })
    }
}

/// `pricing check`: the findings (the JSON) and what was checked.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckView {
    /// Findings, errors first.
    pub findings: Vec<Finding>,
    /// Models checked.
    pub models: usize,
    /// Tables checked.
    pub tables: usize,
    /// ` against …` (what the rates were cross-checked with), or empty.
    pub against: String,
}

/// `pricing update`: the layer's manifest and the changes (the JSON) and the lines the text
/// formats lead with.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateView {
    /// `layer`, `written_to`, `compared_with`, `other_changes`, `changes`.
    pub json: Map<String, Value>,
    /// What the new layer holds.
    pub what: String,
    /// What changed against the layer it replaces.
    pub summary: String,
    /// Where it was written (or that nothing was).
    pub written: String,
    /// Models added, removed or repriced.
    pub changes: Vec<Change>,
}

/// A view of the price book; its JSON carries `"view"` and the view's fields.
#[derive(Debug, Clone, PartialEq)]
pub enum PricingResult {
    /// `pricing list`: `models`.
    List(Vec<ListRow>),
    /// `pricing show`: the model's entry.
    Show(ShowView),
    /// `pricing cost`: the priced call.
    Cost(CallCost),
    /// `pricing check`: `findings`.
    Check(CheckView),
    /// `pricing update`: the layer's manifest and the changes.
    Update(UpdateView),
}

impl PricingResult {
    /// `list`, `show`, `cost`, `check` or `update`.
    pub fn view(&self) -> &'static str {
        match self {
            PricingResult::List(_) => "list",
            PricingResult::Show(_) => "show",
            PricingResult::Cost(_) => "cost",
            PricingResult::Check(_) => "check",
            PricingResult::Update(_) => "update",
        }
    }

    /// Warnings of the view (a priced call's).
    pub fn warnings(&self) -> Vec<String> {
        match self {
            PricingResult::Cost(c) => c.warnings.clone(),
            _ => vec![],
        }
    }

    /// The JSON object: `view`, then the view's fields.
    ///
    /// # Errors
    /// Serialisation errors of the rows.
    pub fn to_value(&self) -> Result<Value, serde_json::Error> {
        let mut out = Map::new();
        out.insert("view".into(), self.view().into());
        let mut merge = |v: Value| {
            if let Value::Object(m) = v {
                out.extend(m);
            }
        };
        match self {
            PricingResult::List(rows) => {
                out.insert("models".into(), serde_json::to_value(rows)?);
            }
            PricingResult::Show(v) => merge(Value::Object(v.entry.clone())),
            PricingResult::Update(v) => merge(Value::Object(v.json.clone())),
            PricingResult::Cost(c) => merge(serde_json::to_value(c)?),
            PricingResult::Check(v) => {
                out.insert("findings".into(), serde_json::to_value(&v.findings)?);
            }
        }
        Ok(Value::Object(out))
    }
}

/// `pricing show` as sections: the model's facts, its rates (schedule, long-context,
/// service tiers, regions), its tools; rendered as text or Markdown.
fn show_sections(book: &PriceBook, m: &Model) -> Vec<ShowSection> {
    let e = &m.entry;
    let mut facts = Vec::new();
    let mut kv = |k: &str, v: String| facts.push((k.to_string(), v));
    kv("file", m.file.clone());
    kv("layer", layer_line(m));
    if !e.aliases.is_empty() {
        kv("aliases", e.aliases.join(", "));
    }
    if let Some(s) = &e.status {
        kv("status", s.clone());
    }
    if let Some(d) = e.deprecation_date {
        kv(
            "deprecated",
            format!(
                "{d}{}",
                e.successor
                    .as_ref()
                    .map(|s| format!(" (successor: {s})"))
                    .unwrap_or_default()
            ),
        );
    }
    if let Some(c) = e.context_window {
        kv("context window", crate::units::format_count(c as f64));
    }
    if let Some(c) = e.max_output_tokens {
        kv("max output", crate::units::format_count(c as f64));
    }
    kv("source", e.source.clone().unwrap_or_else(|| "-".into()));
    kv("checked", e.checked.map_or("-".into(), |d| d.to_string()));
    if let Some(c) = &e.confidence {
        kv("confidence", format!("{c} (of the rates)"));
    }
    // The ratio has a confidence of its own: a verified price says nothing about it.
    let t = m.tokenizer_info();
    let range = if t.range[0] < t.range[1] {
        format!(", plausible {:.2}–{:.2}", t.range[0], t.range[1])
    } else {
        String::new()
    };
    kv(
        "tokenizer",
        format!(
            "{} ×{:.2} vs o200k_base — {}{range}",
            t.family.as_deref().unwrap_or("none stated:"),
            t.ratio,
            t.confidence
        ),
    );
    if let Some(b) = &t.basis {
        kv("tokenizer basis", b.clone());
    }
    if let Some(c) = &e.caching {
        kv(
            "cache min prefix",
            format!("{} tokens", c.min_prefix_tokens),
        );
    }
    let rate_line = |r: &crate::pricing::schema::Rates| -> String {
        let cw = match &r.cache_write {
            None => "= input".to_string(),
            Some(CacheWrite::Flat(p)) => format_rate(p.0),
            Some(CacheWrite::ByTtl(m)) => m
                .iter()
                .map(|(k, v)| format!("{k}: {}", format_rate(v.0)))
                .collect::<Vec<_>>()
                .join(", "),
        };
        let reasoning = match &r.reasoning {
            None | Some(ReasoningRate::AsOutput) => "as output".to_string(),
            Some(ReasoningRate::Rate(p)) => format_rate(p.0),
        };
        format!(
            "input {} · cache read {} · cache write {cw} · output {} · reasoning {reasoning}",
            format_rate(r.input.0),
            r.cache_read
                .map_or("= input".to_string(), |p| format_rate(p.0)),
            format_rate(r.output.0)
        )
    };
    let mut rates = vec![(
        e.effective_from
            .map_or("base".to_string(), |d| format!("from {d}")),
        rate_line(&e.rates),
    )];
    for s in &e.schedule {
        let label = match s.effective_to {
            Some(to) => format!("{} – {to}", s.effective_from),
            None => format!("from {}", s.effective_from),
        };
        rates.push((label, rate_line(&s.rates)));
        if let Some(src) = &s.source {
            rates.push((
                String::new(),
                format!(
                    "source {src}, checked {}",
                    s.checked.map_or("-".into(), |d| d.to_string())
                ),
            ));
        }
    }
    for t in m.context_tiers() {
        let how = match (&t.multipliers, &t.rates) {
            (Some(mu), _) => serde_json::to_string(mu).unwrap_or_default(),
            (_, Some(r)) => format!(
                "input {} · output {}",
                format_rate(r.input.0),
                format_rate(r.output.0)
            ),
            _ => String::new(),
        };
        rates.push((
            format!(
                "input {} {}",
                if t.inclusive { "≥" } else { ">" },
                t.above_input_tokens
            ),
            format!("whole call repriced: {how}"),
        ));
    }
    for (name, t) in &e.service_tiers {
        let how = match (&t.multiplier, &t.rates) {
            (Some(mu), _) => format!(
                "×{} on {}",
                mu.0,
                t.applies_to
                    .as_ref()
                    .map_or("all classes".to_string(), |v| v
                        .iter()
                        .map(|c| c.name())
                        .collect::<Vec<_>>()
                        .join(", "))
            ),
            (_, Some(r)) => format!(
                "input {} · output {}",
                format_rate(r.input.0),
                format_rate(r.output.0)
            ),
            _ => String::new(),
        };
        rates.push((format!("tier {name}"), how));
    }
    for (name, r) in &e.regions {
        rates.push((
            format!("region {name}"),
            format!("×{} on every class", r.multiplier.0),
        ));
    }
    let mut tools = Vec::new();
    if let Some(p) = book.provider(&m.provider) {
        for t in p
            .entry
            .tools
            .iter()
            .filter(|t| t.models.is_empty() || t.models.iter().any(|x| x == e.id.get_ref()))
        {
            tools.push((
                t.id.clone(),
                format!(
                    "${} per 1,000 {}{}",
                    format_rate(t.price_per_1k.0),
                    crate::units::plural(&t.unit.replace('_', " ")),
                    if t.free_per_month > 0.0 {
                        format!(
                            " after {} free per month",
                            crate::units::format_count(t.free_per_month)
                        )
                    } else {
                        String::new()
                    }
                ),
            ));
        }
    }
    let mut sections = vec![
        ShowSection {
            title: None,
            columns: ["Field", "Value"],
            rows: facts,
        },
        ShowSection {
            title: Some("Rates (USD per 1M tokens)"),
            columns: ["Applies", "Rates"],
            rows: rates,
        },
    ];
    if !tools.is_empty() {
        sections.push(ShowSection {
            title: Some("Tools"),
            columns: ["Tool", "Price"],
            rows: tools,
        });
    }
    sections
}

/// `pricing show`'s layer row: the layer, and for the LiteLLM layer what that means.
fn layer_line(m: &Model) -> String {
    match m.litellm_release() {
        Some(_) => format!(
            "{} (secondary source, not checked against the provider's page; billcast's own tables win for the same model)",
            m.layer.label()
        ),
        None => m.layer.label(),
    }
}
