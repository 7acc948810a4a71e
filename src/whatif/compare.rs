//! `compare`: several variants of a workload side by side for one month — the same workload
//! on three models, with and without caching, full history vs a window — with deltas against
//! the first variant. All variants run with common random numbers (see [`super::align`]), so
//! identical variants differ by exactly zero.

use serde::{Deserialize, Serialize};

use super::{
    Alignment, Delta, RunOptions, Stats, Variant, WhatifError, align, component_delta, pick_month,
    run_variants,
};
use crate::engine::tokenizer::{RankingCheck, RatioEffect, effects, ranking_check};
use crate::pricing::PriceBook;
use crate::report::{Components, MonthSummary};
use crate::units::Month;

/// One variant in a comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantResult {
    /// Label (file stem or varied value).
    pub label: String,
    /// Scenario name.
    pub scenario: String,
    /// Scenario file.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub path: Option<String>,
    /// `--set`/`--vary` overrides applied to it.
    pub overrides: Vec<String>,
    /// The variant's monthly budget, USD (P(over budget) uses it).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub budget_usd: Option<f64>,
    /// The distribution of its bill in the compared month (101 quantiles included, for the
    /// overlay chart).
    pub summary: MonthSummary,
    /// Change against the first variant (`None` for the first).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub delta: Option<Delta>,
    /// Change of each mean cost component against the first variant, USD.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub component_delta: Option<Components>,
    /// Warnings of its forecast (an unverified tokenizer ratio's effect is for the compared
    /// month).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub warnings: Vec<String>,
    /// What each unverified tokenizer ratio of its routes does to its P95 in the compared
    /// month.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub tokenizer: Vec<RatioEffect>,
}

/// The result of `billcast compare`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// `compare`.
    pub kind: String,
    /// billcast version.
    pub billcast_version: String,
    /// Month compared, `YYYY-MM`.
    pub month: String,
    /// Seed, trials and mode shared by all variants.
    pub alignment: Alignment,
    /// Engine runs made (one per variant).
    pub engine_runs: usize,
    /// What the variants' runs shared: variants that simulate the same sessions are priced
    /// from one simulation (absent when every variant simulated on its own).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reuse: Option<String>,
    /// Variants in the order given; deltas are against the first.
    pub variants: Vec<VariantResult>,
    /// Whether the ranking by P95 holds over the plausible ranges of the unverified tokenizer
    /// ratios the variants use (absent when none does).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub tokenizer_check: Option<RankingCheck>,
}

impl Comparison {
    /// The variant with the lowest P95.
    pub fn cheapest_p95(&self) -> Option<&VariantResult> {
        self.variants
            .iter()
            .min_by(|a, b| a.summary.p95.total_cmp(&b.summary.p95))
    }
}

/// Run `variants` with common random numbers and compare them in `month` (default: the last
/// month of the first variant). Cost: one engine run per variant, `variants × trials` trials
/// in total, and one price book shared by all.
///
/// # Errors
/// [`WhatifError::Flag`] with fewer than two variants or when `month` is not forecast by
/// every variant; scenario or engine errors naming the variant.
pub fn compare(
    mut variants: Vec<Variant>,
    book: &PriceBook,
    month: Option<Month>,
    opts: &RunOptions<'_>,
) -> Result<Comparison, WhatifError> {
    if variants.len() < 2 {
        return Err(WhatifError::flag(
            "compare",
            "give two or more scenarios, or one scenario with --vary KEY=V1,V2,…",
        ));
    }
    let alignment = align(&mut variants, opts.mode);
    // Pick the month before running anything, so a bad --month fails fast.
    let first_months = variants[0].scenario.months();
    let target = first_months[pick_month(&first_months, month)?];
    for v in &variants {
        if !v.scenario.months().contains(&target) {
            return Err(WhatifError::flag(
                "--month",
                format!(
                    "variant '{}' does not forecast {target}; pick a month every variant covers",
                    v.label
                ),
            ));
        }
    }
    let runs = run_variants(variants, book, opts)?;
    let mut results: Vec<VariantResult> = Vec::with_capacity(runs.len());
    for run in &runs {
        let report = run.report(book);
        let key = target.to_string();
        let summary = report
            .months
            .iter()
            .find(|m| m.month == key)
            .cloned()
            .ok_or_else(|| WhatifError::NoAnswer(format!("{key} missing from a report")))?;
        let (delta, component_delta) = match results.first() {
            None => (None, None),
            Some(first) => (
                Some(Delta::between(
                    &Stats::from(&first.summary),
                    &Stats::from(&summary),
                )),
                Some(component_delta(
                    &first.summary.components,
                    &summary.components,
                )),
            ),
        };
        let s = &run.variant.scenario;
        // The report's tokenizer warnings speak of its headline month; say them for the
        // compared month instead.
        let m = run
            .sim
            .months
            .iter()
            .position(|x| *x == target)
            .unwrap_or(0);
        let tokenizer = effects(s, &run.prepared, &run.sim, m);
        let headline_effects: Vec<String> = report.tokenizer.iter().map(|e| e.warning()).collect();
        let mut warnings = report.warnings;
        warnings.retain(|w| !headline_effects.contains(w));
        warnings.extend(tokenizer.iter().map(|e| e.warning()));
        results.push(VariantResult {
            label: run.variant.label.clone(),
            scenario: s.name.clone(),
            path: s.path.as_ref().map(|p| p.display().to_string()),
            overrides: s.overrides.clone(),
            budget_usd: s.budget_usd,
            summary,
            delta,
            component_delta,
            warnings,
            tokenizer,
        });
    }
    let ranked: Vec<_> = runs
        .iter()
        .zip(&results)
        .map(|(run, v)| {
            let m = run
                .sim
                .months
                .iter()
                .position(|x| *x == target)
                .unwrap_or(0);
            (v.label.as_str(), &run.prepared, &run.sim, m)
        })
        .collect();
    let tokenizer_check = ranking_check(&ranked);
    Ok(Comparison {
        kind: "compare".into(),
        billcast_version: env!("CARGO_PKG_VERSION").into(),
        month: target.to_string(),
        alignment,
        engine_runs: runs.len(),
        reuse: super::reuse_note(&runs.iter().map(|r| r.source).collect::<Vec<_>>()),
        variants: results,
        tokenizer_check,
    })
}
