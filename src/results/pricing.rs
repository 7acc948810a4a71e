//! The body of `billcast pricing …` results: one view of the price book per subcommand.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::pricing::check::Finding;
use crate::pricing::schema::CacheWrite;
use crate::pricing::{CallCost, Model};

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

/// A view of the price book; its JSON carries `"view"` and the view's fields.
#[derive(Debug, Clone, PartialEq)]
pub enum PricingResult {
    /// `pricing list`: `models`.
    List(Vec<ListRow>),
    /// `pricing show`: the model's entry as written in its table, plus `reference`, `file`,
    /// `tokenizer_resolved` and `layer`.
    Show(Map<String, Value>),
    /// `pricing cost`: the priced call.
    Cost(CallCost),
    /// `pricing check`: `findings`.
    Check(Vec<Finding>),
    /// `pricing update`: the layer's manifest and the changes.
    Update(Map<String, Value>),
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
            PricingResult::Show(m) | PricingResult::Update(m) => merge(Value::Object(m.clone())),
            PricingResult::Cost(c) => merge(serde_json::to_value(c)?),
            PricingResult::Check(f) => {
                out.insert("findings".into(), serde_json::to_value(f)?);
            }
        }
        Ok(Value::Object(out))
    }
}
