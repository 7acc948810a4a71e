//! Everything the engine needs from the price book, resolved once before simulating:
//! per route its model limits, tokenizer ratio, long-context thresholds, caching rules, and
//! per month × route × tier the rate card; per route the tool prices.

use std::collections::BTreeMap;

use super::EngineError;
use crate::artifact::{Artifact, Counting, RouteTokens};
use crate::pricing::book::{TokenizerInfo, tool_fee};
use crate::pricing::schema::ToolEntry;
use crate::pricing::{PriceBook, RateCard, RateQuery};
use crate::scenario::Scenario;
use crate::units::Month;

/// Index of the base long-context tier (no threshold crossed) in [`Prepared::rates`].
pub const BASE_TIER: usize = 0;

/// A route resolved against the price book.
#[derive(Clone, Debug)]
pub struct PreparedRoute {
    /// Display name.
    pub name: String,
    /// `provider/model`.
    pub model: String,
    /// Provider id.
    pub provider: String,
    /// Share of sessions.
    pub share: f64,
    /// Tokens of this model per reference (o200k_base) token.
    pub tokenizer_ratio: f64,
    /// The price book's ratio with its confidence and range; `None` when the scenario sets
    /// `tokenizer_ratio` (the user's own measurement).
    pub tokenizer: Option<TokenizerInfo>,
    /// Multiplier on sampled output length.
    pub output_scale: f64,
    /// Model output limit, tokens (∞ when unknown).
    pub model_max_output: f64,
    /// Long-context thresholds (model tokens) and whether each is inclusive, ascending.
    pub thresholds: Vec<(f64, bool)>,
    /// Minimum cacheable prefix, model tokens.
    pub min_cache_prefix: f64,
    /// Cached lengths are whole multiples of this many tokens.
    pub cache_unit: f64,
    /// Whether the provider caches prompts automatically (no breakpoints needed).
    pub caches_automatically: bool,
    /// Context window, tokens (∞ when the table gives none).
    pub context_window: f64,
    /// Whether cache misses are billed as cache writes (the model has a write rate).
    pub bills_cache_writes: bool,
    /// Service tier priced.
    pub service_tier: Option<String>,
    /// Region priced.
    pub region: Option<String>,
    /// Deprecation date of the model, if any.
    pub deprecation: Option<jiff::civil::Date>,
    /// How the route's model tokens follow from an artifact (exact or estimated).
    pub counting: Counting,
    /// The provider's hidden tool-use system prompt, model tokens per call that offers tools
    /// (the price table's `tool_overhead_tokens`; `None` when it gives none).
    pub tool_overhead_tokens: Option<u64>,
    /// The tokenizer family the price table names.
    pub tokenizer_family: Option<String>,
}

/// One artifact of the scenario counted on every route.
#[derive(Clone, Debug, PartialEq)]
pub struct ArtifactTokens {
    /// Key that reads it (`workload.system_prompt`, …).
    pub key: String,
    /// The artifact.
    pub artifact: Artifact,
    /// Its size on each route, in route order.
    pub routes: Vec<RouteTokens>,
}

/// The size of `a` on route `r`: its model tokens and, for tool definitions, the provider's
/// tool-use system prompt.
pub fn artifact_on_route(a: &Artifact, r: &PreparedRoute) -> RouteTokens {
    RouteTokens::of(a, &r.name, &r.model, r.counting, r.tool_overhead_tokens)
}

/// What the session loop reads from one route: its share of sessions and every model fact
/// that shapes a simulated call (sizes, caps, long-context thresholds, caching rules). Prices,
/// tier, region and names are not here: they only price the quantities afterwards.
#[derive(Clone, Debug, PartialEq)]
pub struct RouteSimInputs {
    /// Share of sessions.
    pub share: f64,
    /// Tokens of this model per reference (o200k_base) token.
    pub tokenizer_ratio: f64,
    /// Multiplier on sampled output length.
    pub output_scale: f64,
    /// Model output limit, tokens (∞ when unknown).
    pub model_max_output: f64,
    /// Long-context thresholds (model tokens) and whether each is inclusive, ascending.
    pub thresholds: Vec<(f64, bool)>,
    /// Minimum cacheable prefix, model tokens.
    pub min_cache_prefix: f64,
    /// Cached lengths are whole multiples of this many tokens.
    pub cache_unit: f64,
    /// Context window, tokens.
    pub context_window: f64,
    /// Whether cache misses are billed as cache writes (they are then counted as writes).
    pub bills_cache_writes: bool,
}

/// Everything the session simulation reads from a [`Prepared`]: the engine builds its session
/// simulators ([`super::trial::session_sim`]) and accumulators from this alone, so two
/// prepared scenarios with equal `SessionInputs` (and equal scenarios apart from what only
/// prices) simulate the same quantities — the condition under which what-ifs reprice instead
/// of re-simulating ([`super::reuse`]).
#[derive(Clone, Debug, PartialEq)]
pub struct SessionInputs {
    /// Months simulated.
    pub months: Vec<Month>,
    /// Routes, in order.
    pub routes: Vec<RouteSimInputs>,
    /// Long-context tiers of the accumulator (largest of any route, plus one).
    pub tiers: usize,
    /// Priced tool ids in slot order.
    pub tool_ids: Vec<String>,
    /// Model tokens the artifacts add to every call's prefix: `[segment][route]`.
    pub prefix_tokens: Vec<Vec<f64>>,
}

/// A billable tool on a route.
#[derive(Clone, Debug)]
pub struct PreparedTool {
    /// Tool id.
    pub id: String,
    /// Share of tool calls that use it.
    pub share: f64,
    /// Price entry (None when the route's provider does not price it: a warning, $0).
    pub entry: Option<ToolEntry>,
    /// Key of the shared monthly allowance: `provider/group` or `provider/tool/model`.
    pub allowance_key: String,
}

/// Price book facts resolved for one scenario.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// Months forecast.
    pub months: Vec<Month>,
    /// Routes.
    pub routes: Vec<PreparedRoute>,
    /// Largest number of long-context tiers of any route, plus one (the base tier).
    pub tiers: usize,
    /// Rate cards: `[month][route][tier]`.
    pub rates: Vec<Vec<Vec<RateCard>>>,
    /// Billable tools (same list for every route), per route.
    pub tools: Vec<Vec<PreparedTool>>,
    /// Tool ids in slot order.
    pub tool_ids: Vec<String>,
    /// Warnings found while preparing (e.g. a tool the provider does not price).
    pub warnings: Vec<String>,
    /// Dates of the schedules used, per route: (month, rates effective from).
    pub price_dates: Vec<(String, String, Option<String>)>,
    /// Model tokens the artifacts (system prompt, tool definitions and tool-use overhead) add
    /// to every call's prefix: `[segment][route]`; 0 without artifacts.
    pub prefix_tokens: Vec<Vec<f64>>,
    /// Every artifact of the scenario counted on every route, for reports.
    pub artifact_tokens: Vec<ArtifactTokens>,
}

impl Prepared {
    /// Resolve every route of `scenario` against `book`.
    pub fn new(scenario: &Scenario, book: &PriceBook) -> Result<Prepared, EngineError> {
        let months = scenario.months();
        let mut routes = Vec::new();
        let mut warnings = Vec::new();
        let mut tool_ids: Vec<String> = Vec::new();
        for seg in &scenario.segments {
            for (t, _) in &seg.workload.priced_tools {
                if !tool_ids.contains(t) {
                    tool_ids.push(t.clone());
                }
            }
        }
        let mut tools = Vec::new();
        for (i, r) in scenario.routes.iter().enumerate() {
            let model = book.model(&r.model).map_err(|e| EngineError::Route {
                route: i,
                problem: e,
            })?;
            if let Some(w) = model.layer_warning(&format!("route {}", r.name)) {
                warnings.push(w);
            }
            let ratio = r.tokenizer_ratio.unwrap_or_else(|| model.tokenizer_ratio());
            let thresholds = model
                .context_tiers()
                .iter()
                .map(|t| (t.above_input_tokens as f64, t.inclusive))
                .collect();
            let provider = book.provider(&model.provider);
            let mut route_tools = Vec::new();
            for seg in &scenario.segments {
                for (tool, share) in &seg.workload.priced_tools {
                    if route_tools.iter().any(|t: &PreparedTool| &t.id == tool) {
                        continue;
                    }
                    let entry = provider
                        .and_then(|p| p.tool(tool, model.entry.id.get_ref()))
                        .cloned();
                    if entry.is_none() {
                        let known: Vec<String> = provider
                            .map(|p| p.entry.tools.iter().map(|t| t.id.clone()).collect())
                            .unwrap_or_default();
                        return Err(EngineError::Route {
                            route: i,
                            problem: crate::pricing::PricingError::UnknownOption {
                                model: model.reference(),
                                what: "tool",
                                name: tool.clone(),
                                known,
                            },
                        });
                    }
                    let allowance_key = match entry.as_ref().and_then(|e| e.free_group.clone()) {
                        Some(g) => format!("{}/{g}", model.provider),
                        None => format!("{}/{tool}/{}", model.provider, model.entry.id.get_ref()),
                    };
                    route_tools.push(PreparedTool {
                        id: tool.clone(),
                        share: *share,
                        entry,
                        allowance_key,
                    });
                }
            }
            // Keep tool slots in the global order.
            route_tools.sort_by_key(|t| tool_ids.iter().position(|x| x == &t.id));
            tools.push(route_tools);
            routes.push(PreparedRoute {
                name: r.name.clone(),
                model: model.reference(),
                provider: model.provider.clone(),
                share: r.share,
                tokenizer_ratio: ratio,
                tokenizer: match r.tokenizer_ratio {
                    Some(_) => None,
                    None => Some(model.tokenizer_info()),
                },
                output_scale: r.output_tokens_scale,
                model_max_output: model
                    .entry
                    .max_output_tokens
                    .map_or(f64::INFINITY, |m| m as f64),
                thresholds,
                min_cache_prefix: model.min_cache_prefix(),
                cache_unit: model.cache_unit(),
                caches_automatically: model.caches_automatically(),
                context_window: model
                    .entry
                    .context_window
                    .map_or(f64::INFINITY, |w| w as f64),
                bills_cache_writes: model.bills_cache_writes(),
                service_tier: r.service_tier.clone(),
                region: r.region.clone(),
                deprecation: model.entry.deprecation_date.map(|d| d.0),
                counting: Counting::for_route(
                    model.entry.tokenizer.as_ref().map(|t| t.family.as_str()),
                    ratio,
                    r.tokenizer_ratio.is_some(),
                ),
                tool_overhead_tokens: model.entry.tool_overhead_tokens,
                tokenizer_family: model.entry.tokenizer.as_ref().map(|t| t.family.clone()),
            });
        }
        let tiers = routes
            .iter()
            .map(|r| r.thresholds.len() + 1)
            .max()
            .unwrap_or(1);
        let mut rates = Vec::new();
        let mut price_dates = Vec::new();
        for m in &months {
            let mut per_route = Vec::new();
            for (i, r) in scenario.routes.iter().enumerate() {
                let model = book.model(&r.model).map_err(|e| EngineError::Route {
                    route: i,
                    problem: e,
                })?;
                let q = RateQuery {
                    date: Some(m.first_day()),
                    service_tier: r.service_tier.clone(),
                    region: r.region.clone(),
                    cache_ttl: scenario.caching.write_ttl.clone(),
                };
                let mut cards = Vec::new();
                for tier in 0..tiers {
                    let t = tier.min(model.context_tiers().len());
                    cards.push(model.rate_card(&q, t).map_err(|e| EngineError::Route {
                        route: i,
                        problem: e,
                    })?);
                }
                let (_, from, _) = model.rates_on(m.first_day());
                price_dates.push((
                    m.to_string(),
                    model.reference(),
                    from.map(|d| d.to_string()),
                ));
                per_route.push(cards);
            }
            rates.push(per_route);
        }
        // Months that end before the earliest known price of a route's model.
        for (i, r) in scenario.routes.iter().enumerate() {
            let model = book.model(&r.model).map_err(|e| EngineError::Route {
                route: i,
                problem: e,
            })?;
            let Some((known, _)) = model.earliest_known_price() else {
                continue;
            };
            let early: Vec<&Month> = months
                .iter()
                .filter(|m| m.plus(1).first_day() <= known)
                .collect();
            if let (Some(first), Some(last)) = (early.first(), early.last()) {
                let what = if early.len() == 1 {
                    format!("month {first}")
                } else {
                    format!("months {first} to {last}")
                };
                if let Some(w) = model.early_date_warning(&what, first.first_day())
                    && !warnings.contains(&w)
                {
                    warnings.push(w);
                }
            }
        }
        for (r, pr) in routes.iter().enumerate() {
            if let Some(dep) = pr.deprecation
                && let Some(m) = months.iter().find(|m| m.first_day() > dep)
            {
                warnings.push(format!(
                        "route {} uses {}, deprecated on {dep}; from {m} the forecast assumes it is still served at its last price",
                        r, pr.model
                    ));
            }
        }
        // Artifacts: counted once per route (each artifact caches its counts).
        let artifact_tokens: Vec<ArtifactTokens> = scenario
            .artifacts
            .iter()
            .map(|sa| ArtifactTokens {
                key: sa.key.clone(),
                artifact: sa.artifact.clone(),
                routes: routes
                    .iter()
                    .map(|r| artifact_on_route(&sa.artifact, r))
                    .collect(),
            })
            .collect();
        let prefix_tokens = scenario
            .segments
            .iter()
            .map(|seg| {
                routes
                    .iter()
                    .map(|r| {
                        seg.workload
                            .artifacts()
                            .map(|(_, a)| artifact_on_route(a, r).total())
                            .sum::<u64>() as f64
                    })
                    .collect()
            })
            .collect();
        // Anthropic documents a hidden tool-use system prompt per model; where the price table
        // has no number for a route's model, say that none is counted.
        if scenario
            .segments
            .iter()
            .any(|seg| seg.workload.tools_file.is_some())
        {
            for r in &routes {
                let claude = r
                    .tokenizer_family
                    .as_deref()
                    .is_some_and(|f| f.starts_with("anthropic"));
                if claude && r.tool_overhead_tokens.is_none() {
                    warnings.push(format!(
                        "route {} ({}): Anthropic adds a hidden tool-use system prompt to every call that offers tools, but no source gives its size for this model, so none is counted (Claude 4 models: 346 tokens with tool_choice auto or none, 313 with any or tool); set tool_overhead_tokens on the model in a --pricing table to count it",
                        r.name, r.model
                    ));
                }
            }
        }
        Ok(Prepared {
            months,
            routes,
            tiers,
            rates,
            tools,
            tool_ids,
            warnings,
            price_dates,
            prefix_tokens,
            artifact_tokens,
        })
    }

    /// The part of this preparation the session simulation reads (see [`SessionInputs`]).
    pub fn session_inputs(&self) -> SessionInputs {
        SessionInputs {
            months: self.months.clone(),
            routes: self
                .routes
                .iter()
                .map(|r| RouteSimInputs {
                    share: r.share,
                    tokenizer_ratio: r.tokenizer_ratio,
                    output_scale: r.output_scale,
                    model_max_output: r.model_max_output,
                    thresholds: r.thresholds.clone(),
                    min_cache_prefix: r.min_cache_prefix,
                    cache_unit: r.cache_unit,
                    context_window: r.context_window,
                    bills_cache_writes: r.bills_cache_writes,
                })
                .collect(),
            tiers: self.tiers,
            tool_ids: self.tool_ids.clone(),
            prefix_tokens: self.prefix_tokens.clone(),
        }
    }

    /// USD of tool fees for one month: counts per route per tool slot, with free allowances
    /// shared per allowance key and spent in route order.
    pub fn tool_fees(&self, counts: &[f64]) -> Vec<f64> {
        let nt = self.tool_ids.len();
        let mut used: BTreeMap<&str, f64> = BTreeMap::new();
        let mut fees = vec![0.0; self.routes.len()];
        for (r, tools) in self.tools.iter().enumerate() {
            for t in tools {
                let Some(slot) = self.tool_ids.iter().position(|x| x == &t.id) else {
                    continue;
                };
                let n = counts[r * nt + slot];
                if let Some(entry) = &t.entry {
                    let before = used.entry(t.allowance_key.as_str()).or_insert(0.0);
                    let (_, usd) = tool_fee(entry, *before, n);
                    *before += n;
                    fees[r] += usd;
                }
            }
        }
        fees
    }
}
