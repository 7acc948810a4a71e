//! The exact cost of one call, with the arithmetic shown line by line.

use serde::Serialize;

use super::PricingError;
use super::book::{Model, PriceBook, RateQuery, tool_fee};
use crate::units::TOKENS_PER_MTOK;
use crate::usage::CallTokens;

/// One priced token class.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CostLine {
    /// Token class (`input`, `cache_read`, `cache_write`, `output`, `reasoning`).
    pub class: &'static str,
    /// Tokens billed.
    pub tokens: f64,
    /// USD per 1M tokens.
    pub usd_per_mtok: f64,
    /// `tokens × usd_per_mtok / 1e6`.
    pub usd: f64,
}

/// One priced tool.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ToolLine {
    /// Tool id.
    pub tool: String,
    /// Uses in this call.
    pub calls: f64,
    /// Uses beyond the monthly free allowance.
    pub billable: f64,
    /// USD per 1,000 uses.
    pub usd_per_1k: f64,
    /// USD charged.
    pub usd: f64,
}

/// The cost of one call and how it was computed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CallCost {
    /// `provider/model`.
    pub model: String,
    /// Date priced (the schedule in force).
    pub date: String,
    /// The schedule entry's start, if dated.
    pub rates_from: Option<String>,
    /// Long-context tier label, e.g. `"> 272,000 input tokens"`; `None` for base rates.
    pub context_tier: Option<String>,
    /// Service tier priced.
    pub service_tier: String,
    /// Region priced.
    pub region: String,
    /// Token lines (zero-token classes omitted).
    pub lines: Vec<CostLine>,
    /// Tool lines.
    pub tools: Vec<ToolLine>,
    /// Sum of all lines, USD.
    pub total_usd: f64,
    /// Where the prices come from.
    pub source: Option<String>,
}

/// Everything about a call except its tokens.
#[derive(Clone, Debug, Default)]
pub struct CallOptions {
    /// Date, tier, region, TTL.
    pub query: RateQuery,
    /// Tool uses in this call: (tool id, count).
    pub tools: Vec<(String, f64)>,
    /// Uses of each tool already made this month (for free allowances).
    pub tools_used_this_month: Vec<(String, f64)>,
}

/// Price one call of `model` with the given disjoint token quantities.
pub fn cost_call(book: &PriceBook, model: &Model, tokens: &CallTokens, opts: &CallOptions) -> Result<CallCost, PricingError> {
    let tier = model.tier_index(tokens.total_input());
    let card = model.rate_card(&opts.query, tier)?;
    let date = opts.query.date.unwrap_or_else(|| crate::units::today_utc());
    let (_, from, source) = model.rates_on(date);
    let mut lines = Vec::new();
    for (class, n, rate) in [
        ("input", tokens.input, card.input),
        ("cache_read", tokens.cache_read, card.cache_read),
        ("cache_write", tokens.cache_write, card.cache_write),
        ("output", tokens.output, card.output),
        ("reasoning", tokens.reasoning, card.reasoning),
    ] {
        if n > 0.0 {
            lines.push(CostLine { class, tokens: n, usd_per_mtok: rate, usd: n * rate / TOKENS_PER_MTOK });
        }
    }
    let provider = book.provider(&model.provider);
    let mut tools = Vec::new();
    for (tool, calls) in &opts.tools {
        let entry = provider.and_then(|p| p.tool(tool, model.entry.id.get_ref())).ok_or_else(|| {
            PricingError::UnknownOption {
                model: model.reference(),
                what: "tool",
                name: tool.clone(),
                known: provider.map(|p| p.entry.tools.iter().map(|t| t.id.clone()).collect()).unwrap_or_default(),
            }
        })?;
        let before = opts.tools_used_this_month.iter().filter(|(t, _)| t == tool).map(|(_, n)| n).sum();
        let (billable, usd) = tool_fee(entry, before, *calls);
        tools.push(ToolLine { tool: tool.clone(), calls: *calls, billable, usd_per_1k: entry.price_per_1k.0, usd });
    }
    let context_tier = (tier > 0).then(|| {
        let t = model.context_tiers()[tier - 1];
        format!("{} {} input tokens", if t.inclusive { "≥" } else { ">" }, crate::units::format_count(t.above_input_tokens as f64))
    });
    let total_usd = lines.iter().map(|l| l.usd).sum::<f64>() + tools.iter().map(|t| t.usd).sum::<f64>();
    Ok(CallCost {
        model: model.reference(),
        date: date.to_string(),
        rates_from: from.map(|d| d.to_string()),
        context_tier,
        service_tier: opts.query.service_tier.clone().unwrap_or_else(|| "standard".into()),
        region: opts.query.region.clone().unwrap_or_else(|| "global".into()),
        lines,
        tools,
        total_usd,
        source: source.map(String::from),
    })
}
