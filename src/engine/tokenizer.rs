//! How much an unverified tokenizer ratio moves a simulated bill.
//!
//! Workload sizes are in reference (o200k_base) tokens; a route multiplies every sampled size
//! by its model's tokenizer ratio `ρ` (see `trial::session_sim`). Token-priced cost therefore
//! scales with `ρ`: with a ratio `ρ'` instead, a trial's bill is
//! `total + (ρ'/ρ − 1) · tokens_r`, where `tokens_r` is the route's simulated token cost in that
//! trial ([`Simulation::trial_route_tokens`]; tool fees do not scale). This *repricing by
//! scaling* needs no new run. It is exact apart from whole-token rounding of each sampled size
//! when nothing that is counted in model tokens binds: an output cap (`max_output_tokens`),
//! a long-context tier threshold or the minimum cacheable prefix. Where one binds, the scaled
//! bill is an approximation (capped outputs, for instance, would not shrink).

use serde::{Deserialize, Serialize};

use super::Simulation;
use super::prepare::Prepared;
use crate::pricing::book::TokenizerInfo;
use crate::scenario::Scenario;
use crate::stats::quantile_sorted;
use crate::units::{format_count, format_usd};

/// A ratio as printed: two decimals (`1.40`).
fn ratio_text(x: f64) -> String {
    format!("{x:.2}")
}

/// How the effects are computed, for reports.
pub const METHOD: &str = "scaled: each trial's token cost on the route × (new ratio / ratio); exact apart from whole-token rounding unless an output cap, a long-context tier or the minimum cacheable prefix (all in model tokens) binds";

/// The bill of every trial of month `m` with route `r`'s token cost multiplied by
/// `factors[r]` (`ρ'/ρ`; 1 leaves a route as simulated).
pub fn rescaled_totals(sim: &Simulation, m: usize, factors: &[f64]) -> Vec<f64> {
    let n_routes = sim.route_names.len();
    let (Some(totals), Some(tokens)) = (sim.totals.get(m), sim.trial_route_tokens.get(m)) else {
        return Vec::new();
    };
    totals
        .iter()
        .enumerate()
        .map(|(t, total)| {
            let mut x = *total;
            for (r, f) in factors.iter().enumerate().take(n_routes) {
                if *f != 1.0 {
                    x += (f - 1.0) * tokens.get(t * n_routes + r).copied().unwrap_or(0.0);
                }
            }
            x
        })
        .collect()
}

/// P95 of `xs`.
fn p95(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    quantile_sorted(&xs, 0.95)
}

/// What one route's unverified tokenizer ratio does to a month's P95.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RatioEffect {
    /// Route index in the scenario (`routes[i]`).
    pub route_index: usize,
    /// Route name.
    pub route: String,
    /// `provider/model`.
    pub model: String,
    /// The ratio, its confidence, basis and plausible range.
    pub tokenizer: TokenizerInfo,
    /// Month, `YYYY-MM`.
    pub month: String,
    /// P95 of the month's bill as forecast, USD.
    pub p95: f64,
    /// P95 with this route at the reference ratio 1.0, USD.
    pub p95_at_reference: f64,
    /// P95 with the ratio at the low and high ends of its plausible range, USD.
    pub p95_range: [f64; 2],
    /// How the alternative P95s were computed ([`METHOD`]).
    pub method: String,
    /// What on this route is counted in model tokens and so does not scale with the ratio
    /// (e.g. `the 128,000-token output cap`); empty: the rescaled P95s are exact apart from
    /// whole-token rounding.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub not_scaled: Vec<String>,
}

impl RatioEffect {
    /// Change of the P95 at ratio 1.0, percent of the forecast P95.
    pub fn change_pct(&self) -> f64 {
        (self.p95_at_reference / self.p95 - 1.0) * 100.0
    }

    /// One-line warning with the numbers.
    pub fn warning(&self) -> String {
        let t = &self.tokenizer;
        let basis = t
            .short_basis()
            .map(|b| format!(" ({b})"))
            .unwrap_or_default();
        let who = if self.route == self.model {
            self.route.clone()
        } else {
            format!("{} ({})", self.route, self.model)
        };
        let mut w = format!(
            "route {who}: tokenizer ratio {} is unverified{basis}; with a ratio of 1.0 the P95 of {} would be {} ({:+.0}%) instead of {}",
            ratio_text(t.ratio),
            self.month,
            format_usd(self.p95_at_reference),
            self.change_pct(),
            format_usd(self.p95)
        );
        if t.range[0] < t.range[1] {
            w.push_str(&format!(
                ", and {} to {} over its plausible range {}–{}",
                format_usd(self.p95_range[0]),
                format_usd(self.p95_range[1]),
                ratio_text(t.range[0]),
                ratio_text(t.range[1])
            ));
        }
        let exactness = if self.not_scaled.is_empty() {
            "exact up to whole-token rounding".to_string()
        } else {
            format!(
                "exact up to whole-token rounding unless {} binds",
                self.not_scaled.join(" or ")
            )
        };
        w.push_str(&format!(
            " (the route's simulated token cost rescaled, {exactness}); measure the ratio with the provider's token counter and set routes[{}].tokenizer_ratio",
            self.route_index
        ));
        w
    }
}

/// Routes of `p` whose tokenizer ratio comes from the price book, is unverified and is not
/// the reference 1.0: `(route index, info)`.
pub fn unverified_routes(p: &Prepared) -> Vec<(usize, &TokenizerInfo)> {
    p.routes
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let t = r.tokenizer.as_ref()?;
            (t.is_unverified() && r.tokenizer_ratio != 1.0).then_some((i, t))
        })
        .collect()
}

/// What on route `r` of `s` is counted in model tokens, so that rescaling its token cost by
/// the ratio is not exact when it binds: the output cap, long-context tiers, the minimum
/// cacheable prefix.
fn not_scaled(s: &Scenario, p: &Prepared, r: usize) -> Vec<String> {
    let route = &p.routes[r];
    let mut out = Vec::new();
    let cap = s
        .segments
        .iter()
        .map(|seg| seg.workload.max_output_tokens.unwrap_or(f64::INFINITY))
        .fold(route.model_max_output, f64::min);
    if cap.is_finite() {
        out.push(format!("the {}-token output cap", format_count(cap)));
    }
    if let Some((t, _)) = route.thresholds.first() {
        out.push(format!(
            "the long-context tier above {} tokens",
            format_count(*t)
        ));
    }
    if route.min_cache_prefix > 0.0 {
        out.push(format!(
            "the {}-token minimum cacheable prefix",
            format_count(route.min_cache_prefix)
        ));
    }
    out
}

/// The effect of each unverified tokenizer ratio of `p` (prepared from `s`) on month `m` of
/// `sim`.
pub fn effects(s: &Scenario, p: &Prepared, sim: &Simulation, m: usize) -> Vec<RatioEffect> {
    let Some(month) = sim.months.get(m) else {
        return Vec::new();
    };
    let base = p95(sim.totals.get(m).cloned().unwrap_or_default());
    unverified_routes(p)
        .into_iter()
        .map(|(r, t)| {
            let ratio = p.routes[r].tokenizer_ratio;
            let at = |new: f64| {
                let mut f = vec![1.0; p.routes.len()];
                f[r] = new / ratio;
                p95(rescaled_totals(sim, m, &f))
            };
            RatioEffect {
                route_index: r,
                route: p.routes[r].name.clone(),
                model: p.routes[r].model.clone(),
                tokenizer: t.clone(),
                month: month.to_string(),
                p95: base,
                p95_at_reference: at(1.0),
                p95_range: [at(t.range[0]), at(t.range[1])],
                method: METHOD.into(),
                not_scaled: not_scaled(s, p, r),
            }
        })
        .collect()
}

/// One tokenizer family whose unverified ratio a comparison depends on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FamilyRange {
    /// Tokenizer family (routes of one family share their true ratio).
    pub family: String,
    /// Ratio assumed.
    pub ratio: f64,
    /// Plausible range.
    pub range: [f64; 2],
}

/// The order of the variants by P95 at one corner of the ratios' plausible ranges.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankingCase {
    /// The ratio of each family in this case (same order as [`RankingCheck::families`]).
    pub ratios: Vec<f64>,
    /// Variant labels, lowest P95 first.
    pub order: Vec<String>,
    /// P95 of each variant in the order given to [`ranking_check`], USD.
    pub p95: Vec<f64>,
}

/// Whether the ranking of variants by P95 holds over the plausible ranges of the unverified
/// tokenizer ratios they depend on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankingCheck {
    /// Families varied.
    pub families: Vec<FamilyRange>,
    /// Ranking as forecast, lowest P95 first.
    pub order: Vec<String>,
    /// Every corner of the ranges (each family at its low or high end; at most 2^6).
    pub cases: Vec<RankingCase>,
    /// Some corner orders the variants differently.
    pub ranking_changes: bool,
    /// How the P95s were computed ([`METHOD`]).
    pub method: String,
}

/// Most families varied jointly (2^n corners).
pub const MAX_FAMILIES: usize = 6;

fn order_of(labels: &[&str], p95s: &[f64]) -> Vec<String> {
    let mut idx: Vec<usize> = (0..labels.len()).collect();
    idx.sort_by(|a, b| p95s[*a].total_cmp(&p95s[*b]).then(a.cmp(b)));
    idx.into_iter().map(|i| labels[i].to_string()).collect()
}

/// Check the P95 ranking of `variants` — `(label, prepared, simulation, month index)` — at
/// every corner of the plausible ranges of the unverified tokenizer ratios they use, each
/// family moved jointly across variants. `None` when no variant depends on one (or there are
/// more than [`MAX_FAMILIES`] families).
pub fn ranking_check(variants: &[(&str, &Prepared, &Simulation, usize)]) -> Option<RankingCheck> {
    let mut families: Vec<FamilyRange> = Vec::new();
    for (_, p, _, _) in variants {
        for (_, t) in unverified_routes(p) {
            let family = t.family.clone().unwrap_or_else(|| "unknown".into());
            if t.range[0] < t.range[1] && !families.iter().any(|f| f.family == family) {
                families.push(FamilyRange {
                    family,
                    ratio: t.ratio,
                    range: t.range,
                });
            }
        }
    }
    if families.is_empty() || families.len() > MAX_FAMILIES {
        return None;
    }
    let labels: Vec<&str> = variants.iter().map(|v| v.0).collect();
    // P95 of each variant with family k at end `ends[k]` (0 low, 1 high; None = as forecast).
    let p95s_at = |ends: &[Option<usize>]| -> Vec<f64> {
        variants
            .iter()
            .map(|(_, p, sim, m)| {
                let factors: Vec<f64> = p
                    .routes
                    .iter()
                    .map(|r| {
                        let Some(t) = r.tokenizer.as_ref().filter(|t| t.is_unverified()) else {
                            return 1.0;
                        };
                        let family = t.family.clone().unwrap_or_else(|| "unknown".into());
                        match families.iter().position(|f| f.family == family) {
                            Some(k) => match ends[k] {
                                Some(e) => t.range[e] / r.tokenizer_ratio,
                                None => 1.0,
                            },
                            None => 1.0,
                        }
                    })
                    .collect();
                p95(rescaled_totals(sim, *m, &factors))
            })
            .collect()
    };
    let base = p95s_at(&vec![None; families.len()]);
    let order = order_of(&labels, &base);
    let mut cases = Vec::new();
    for corner in 0..(1usize << families.len()) {
        let ends: Vec<Option<usize>> = (0..families.len())
            .map(|k| Some((corner >> k) & 1))
            .collect();
        let p95 = p95s_at(&ends);
        cases.push(RankingCase {
            ratios: families
                .iter()
                .zip(&ends)
                .map(|(f, e)| f.range[e.unwrap_or(0)])
                .collect(),
            order: order_of(&labels, &p95),
            p95,
        });
    }
    let ranking_changes = cases.iter().any(|c| c.order != order);
    Some(RankingCheck {
        families,
        order,
        cases,
        ranking_changes,
        method: METHOD.into(),
    })
}

impl RankingCheck {
    /// One sentence: which ranges were checked and whether the order holds.
    pub fn sentence(&self) -> String {
        let ranges = self
            .families
            .iter()
            .map(|f| {
                format!(
                    "{} {} (plausible {}–{})",
                    f.family,
                    ratio_text(f.ratio),
                    ratio_text(f.range[0]),
                    ratio_text(f.range[1])
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        if !self.ranking_changes {
            return format!(
                "Unverified tokenizer ratios ({ranges}): the ranking by P95 ({}) holds across their plausible ranges.",
                self.order.join(" < ")
            );
        }
        // One example per different order.
        let mut seen: Vec<&Vec<String>> = Vec::new();
        let flipped: Vec<String> = self
            .cases
            .iter()
            .filter(|c| c.order != self.order)
            .filter(|c| {
                let new = !seen.contains(&&c.order);
                seen.push(&c.order);
                new
            })
            .map(|c| {
                let at = self
                    .families
                    .iter()
                    .zip(&c.ratios)
                    .map(|(f, r)| format!("{} at {}", f.family, ratio_text(*r)))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!("with {at}: {}", c.order.join(" < "))
            })
            .collect();
        format!(
            "Unverified tokenizer ratios ({ranges}) can change the ranking by P95 ({} as forecast): {}. Measure the ratios with the providers' token counters before choosing.",
            self.order.join(" < "),
            flipped.join("; ")
        )
    }
}
