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
    /// What the price may get wrong (e.g. a date before the earliest known price).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
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
pub fn cost_call(
    book: &PriceBook,
    model: &Model,
    tokens: &CallTokens,
    opts: &CallOptions,
) -> Result<CallCost, PricingError> {
    let tier = model.tier_index(tokens.total_input());
    let date = opts.query.date.unwrap_or_else(crate::units::today_utc);
    let query = RateQuery {
        date: Some(date),
        ..opts.query.clone()
    };
    let card = model.rate_card(&query, tier)?;
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
            lines.push(CostLine {
                class,
                tokens: n,
                usd_per_mtok: rate,
                usd: n * rate / TOKENS_PER_MTOK,
            });
        }
    }
    let provider = book.provider(&model.provider);
    let mut tools = Vec::new();
    for (tool, calls) in &opts.tools {
        let entry = provider
            .and_then(|p| p.tool(tool, model.entry.id.get_ref()))
            .ok_or_else(|| PricingError::UnknownOption {
                model: model.reference(),
                what: "tool",
                name: tool.clone(),
                known: provider
                    .map(|p| p.entry.tools.iter().map(|t| t.id.clone()).collect())
                    .unwrap_or_default(),
            })?;
        let before = opts
            .tools_used_this_month
            .iter()
            .filter(|(t, _)| t == tool)
            .map(|(_, n)| n)
            .sum();
        let (billable, usd) = tool_fee(entry, before, *calls);
        tools.push(ToolLine {
            tool: tool.clone(),
            calls: *calls,
            billable,
            usd_per_1k: entry.price_per_1k.0,
            usd,
        });
    }
    let context_tier = (tier > 0).then(|| {
        let t = model.context_tiers()[tier - 1];
        format!(
            "{} {} input tokens",
            if t.inclusive { "≥" } else { ">" },
            crate::units::format_count(t.above_input_tokens as f64)
        )
    });
    let total_usd =
        lines.iter().map(|l| l.usd).sum::<f64>() + tools.iter().map(|t| t.usd).sum::<f64>();
    Ok(CallCost {
        model: model.reference(),
        date: date.to_string(),
        rates_from: from.map(|d| d.to_string()),
        context_tier,
        service_tier: opts
            .query
            .service_tier
            .clone()
            .unwrap_or_else(|| "standard".into()),
        region: opts.query.region.clone().unwrap_or_else(|| "global".into()),
        lines,
        tools,
        total_usd,
        source: source.map(String::from),
        warnings: model
            .layer_warning("this call")
            .into_iter()
            .chain(model.early_date_warning(&format!("the date {date}"), date))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    //! Each pricing rule against dollars computed by hand (comments show the arithmetic).
    use super::*;
    use crate::usage::{UsageConvention, split_reported};

    const TABLE: &str = r#"
schema_version = 1
[provider]
id = "acme"
name = "Acme AI"
usage_convention = "input_excludes_cached"
[[provider.tools]]
id = "web_search"
price_per_1k = 10.0
free_per_month = 1000

[[models]]
id = "claude-like"
[models.rates]
input = 3.00
output = 15.00
cache_read = 0.30
cache_write = { "5m" = 3.75, "1h" = 6.00 }
[[models.context_tiers]]
above_input_tokens = 200000
multipliers = { input = 2.0, cache_read = 2.0, cache_write = 2.0, output = 1.5 }
[models.service_tiers.batch]
multiplier = 0.5
applies_to = ["input", "cache_read", "cache_write", "output"]
[models.regions.us]
multiplier = 1.1

[[models]]
id = "minimal"
[models.rates]
input = 2.00
output = 10.00
cache_read = 0.20

[[models]]
id = "thinker"
[models.rates]
input = 1.00
output = 4.00
reasoning = "output"
[[models.schedule]]
effective_from = 2027-01-01
rates = { input = 2.00, output = 8.00 }
"#;

    fn book() -> PriceBook {
        let mut b = PriceBook::empty();
        b.add_text("acme.toml", TABLE, false).unwrap();
        b
    }

    fn price(model: &str, t: CallTokens, q: RateQuery) -> f64 {
        let b = book();
        let m = b.model(model).unwrap();
        cost_call(
            &b,
            m,
            &t,
            &CallOptions {
                query: q,
                ..Default::default()
            },
        )
        .unwrap()
        .total_usd
    }

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-12, "{a} != {b}");
    }

    #[test]
    fn minimal_table_prices_input_output_and_cache_read() {
        // 10,000 in × $2 + 2,000 cache read × $0.20 + 1,000 out × $10, per 1M:
        // 0.02 + 0.0004 + 0.01 = 0.0304
        let t = CallTokens {
            input: 10_000.0,
            cache_read: 2_000.0,
            output: 1_000.0,
            ..Default::default()
        };
        close(price("acme/minimal", t, RateQuery::default()), 0.0304);
    }

    #[test]
    fn cache_write_is_priced_by_ttl() {
        // 100,000 written: 5m at $3.75 → $0.375; 1h at $6.00 → $0.60.
        let t = CallTokens {
            cache_write: 100_000.0,
            ..Default::default()
        };
        close(
            price(
                "acme/claude-like",
                t,
                RateQuery {
                    cache_ttl: Some("5m".into()),
                    ..Default::default()
                },
            ),
            0.375,
        );
        close(
            price(
                "acme/claude-like",
                t,
                RateQuery {
                    cache_ttl: Some("1h".into()),
                    ..Default::default()
                },
            ),
            0.60,
        );
        let b = book();
        let m = b.model("acme/claude-like").unwrap();
        let err = m
            .rate_card(
                &RateQuery {
                    cache_ttl: Some("24h".into()),
                    ..Default::default()
                },
                0,
            )
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("no cache-write TTL '24h'; known: 1h, 5m"),
            "{err}"
        );
    }

    #[test]
    fn long_context_tier_reprices_the_whole_call() {
        // Just below: 200,000 in (not > 200,000) + 1,000 out = 0.6 + 0.015 = 0.615.
        let below = CallTokens {
            input: 200_000.0,
            output: 1_000.0,
            ..Default::default()
        };
        close(
            price("acme/claude-like", below, RateQuery::default()),
            0.615,
        );
        // Just above: 200,001 in at $6 + 1,000 out at $22.50 = 1.200006 + 0.0225 = 1.222506.
        let above = CallTokens {
            input: 200_001.0,
            output: 1_000.0,
            ..Default::default()
        };
        close(
            price("acme/claude-like", above, RateQuery::default()),
            1.222506,
        );
        // The threshold counts cached input too: 150,000 uncached + 60,000 read is above.
        // 150,000 × $6 + 60,000 × $0.60 = 0.9 + 0.036 = 0.936.
        let mixed = CallTokens {
            input: 150_000.0,
            cache_read: 60_000.0,
            ..Default::default()
        };
        close(
            price("acme/claude-like", mixed, RateQuery::default()),
            0.936,
        );
    }

    #[test]
    fn batch_discount_stacks_with_cache_read() {
        // Batch halves every class: 100k cache read × $0.30 × 0.5 = $0.015;
        // 100k in × $3 × 0.5 = $0.15; total $0.165.
        let t = CallTokens {
            input: 100_000.0,
            cache_read: 100_000.0,
            ..Default::default()
        };
        close(
            price(
                "acme/claude-like",
                t,
                RateQuery {
                    service_tier: Some("batch".into()),
                    ..Default::default()
                },
            ),
            0.165,
        );
        // Above the long-context threshold both apply: 300k in × $3 × 2 × 0.5 = $0.90.
        let big = CallTokens {
            input: 300_000.0,
            ..Default::default()
        };
        close(
            price(
                "acme/claude-like",
                big,
                RateQuery {
                    service_tier: Some("batch".into()),
                    ..Default::default()
                },
            ),
            0.9,
        );
    }

    #[test]
    fn region_uplift_multiplies_every_class() {
        // (100k in × $3 + 100k out × $15) × 1.1 = (0.3 + 1.5) × 1.1 = $1.98.
        let t = CallTokens {
            input: 100_000.0,
            output: 100_000.0,
            ..Default::default()
        };
        close(
            price(
                "acme/claude-like",
                t,
                RateQuery {
                    region: Some("us".into()),
                    ..Default::default()
                },
            ),
            1.98,
        );
        let b = book();
        let err = b.model("acme/claude-like").unwrap().rate_card(
            &RateQuery {
                region: Some("eu".into()),
                ..Default::default()
            },
            0,
        );
        assert!(err.unwrap_err().to_string().contains("no region 'eu'"));
    }

    #[test]
    fn reasoning_is_billed_as_output() {
        // 500 visible + 1,500 reasoning output at $4 = 2,000 × 4 / 1e6 = $0.008.
        let t = CallTokens {
            output: 500.0,
            reasoning: 1_500.0,
            ..Default::default()
        };
        close(price("acme/thinker", t, RateQuery::default()), 0.008);
    }

    #[test]
    fn scheduled_price_changes_apply_from_their_date() {
        let t = CallTokens {
            input: 1_000_000.0,
            ..Default::default()
        };
        let dec = RateQuery {
            date: Some(jiff::civil::date(2026, 12, 31)),
            ..Default::default()
        };
        let jan = RateQuery {
            date: Some(jiff::civil::date(2027, 1, 1)),
            ..Default::default()
        };
        close(price("acme/thinker", t, dec), 1.0);
        close(price("acme/thinker", t, jan), 2.0);
    }

    #[test]
    fn tool_fee_applies_after_the_free_allowance() {
        // 1,000 free per month; 990 used, 30 more: 20 billable × $10 / 1,000 = $0.20.
        let b = book();
        let m = b.model("acme/minimal").unwrap();
        let opts = CallOptions {
            tools: vec![("web_search".into(), 30.0)],
            tools_used_this_month: vec![("web_search".into(), 990.0)],
            ..Default::default()
        };
        let c = cost_call(&b, m, &CallTokens::default(), &opts).unwrap();
        close(c.total_usd, 0.20);
        assert_eq!(c.tools[0].billable, 20.0);
    }

    #[test]
    fn reported_input_with_and_without_cached_tokens() {
        // OpenAI-style: input 12,000 includes 10,000 cached → 2,000 × $2 + 10,000 × $0.20
        // = 0.004 + 0.002 = $0.006. Anthropic-style: input 2,000 beside 10,000 cached: same.
        let inc = split_reported(
            12_000.0,
            10_000.0,
            0.0,
            0.0,
            0.0,
            UsageConvention::InputIncludesCached,
        )
        .unwrap();
        let exc = split_reported(
            2_000.0,
            10_000.0,
            0.0,
            0.0,
            0.0,
            UsageConvention::InputExcludesCached,
        )
        .unwrap();
        close(price("acme/minimal", inc, RateQuery::default()), 0.006);
        close(price("acme/minimal", exc, RateQuery::default()), 0.006);
    }

    #[test]
    fn unknown_models_fail_with_suggestions() {
        let err = book().model("acme/minimall").unwrap_err().to_string();
        assert!(
            err.contains("unknown model 'acme/minimall'") && err.contains("closest: acme/minimal"),
            "{err}"
        );
    }

    #[test]
    fn invalid_tables_name_file_line_and_key() {
        let neg = TABLE.replace(
            "input = 2.00\noutput = 10.00\ncache_read = 0.20",
            "input = -2.00\noutput = 10.00\ncache_read = 0.20",
        );
        let err = PriceBook::empty()
            .add_text("bad.toml", &neg, false)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("bad.toml: line 31: ") && err.contains("invalid price -2"),
            "{err}"
        );
        let unknown = TABLE.replace("cache_read = 0.20", "cache_reed = 0.20");
        let err = PriceBook::empty()
            .add_text("bad.toml", &unknown, false)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unknown key `cache_reed`; did you mean `cache_read`?"),
            "{err}"
        );
        let nan = TABLE.replace("output = 4.00", "output = nan");
        assert!(
            PriceBook::empty()
                .add_text("bad.toml", &nan, false)
                .unwrap_err()
                .to_string()
                .contains("invalid price NaN")
        );
        let dup = format!(
            "{TABLE}\n[[models]]\nid = \"minimal\"\n[models.rates]\ninput = 1\noutput = 1\n"
        );
        let err = PriceBook::empty()
            .add_text("bad.toml", &dup, false)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("duplicate model id or alias \"minimal\""),
            "{err}"
        );
        let broken = "schema_version = 1\n[provider\nid = 1";
        assert!(
            PriceBook::empty()
                .add_text("bad.toml", broken, false)
                .unwrap_err()
                .to_string()
                .starts_with("bad.toml: line 2")
        );
    }
}
