//! `diff`: compare two saved forecast reports — typically `main` against a pull request that
//! changes a prompt, a model or a traffic assumption — month by month, with an assumption
//! diff (infracost's `+ added, - removed, ~ changed`) and the variables of the cost gate.
//!
//! Nothing is simulated: a diff reads two `forecast.json` files. When both were forecast with
//! the same seed and trials they share their draws (common random numbers), so the deltas are
//! the effect of the change; otherwise the diff says that they include Monte Carlo noise.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::gate::{self, GateResult, Variables};
use super::{Delta, Stats, WhatifError};
use crate::report::{ArtifactInfo, Report};
use crate::units::{Month, format_count, format_pct, format_usd, format_usd_delta};

/// One side of a diff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Side {
    /// File (or label) the report came from.
    pub label: String,
    /// Scenario name.
    pub scenario: String,
    /// SHA-256 of the scenario text after overrides.
    pub scenario_sha256: String,
    /// Seed.
    pub seed: u64,
    /// Trials.
    pub trials: u64,
    /// Engine mode.
    pub mode: String,
    /// Price-book fingerprint.
    pub pricing_fingerprint: String,
    /// Monthly budget, USD.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub budget_usd: Option<f64>,
    /// billcast version that wrote the report.
    pub billcast_version: String,
}

impl Side {
    fn of(label: &str, r: &Report) -> Side {
        Side {
            label: label.to_string(),
            scenario: r.scenario.name.clone(),
            scenario_sha256: r.scenario.sha256.clone(),
            seed: r.seed,
            trials: r.trials,
            mode: r.mode.clone(),
            pricing_fingerprint: r.pricing.fingerprint.clone(),
            budget_usd: r.budget_usd,
            billcast_version: r.billcast_version.clone(),
        }
    }
}

/// How an input changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Only in the head (`+`).
    Added,
    /// Only in the base (`-`).
    Removed,
    /// In both with different values (`~`).
    Changed,
}

impl Change {
    /// `+`, `-` or `~`.
    pub fn symbol(self) -> char {
        match self {
            Change::Added => '+',
            Change::Removed => '-',
            Change::Changed => '~',
        }
    }
}

/// One changed input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssumptionChange {
    /// How it changed.
    pub change: Change,
    /// Dotted key (`routes[i]` for routes, `pricing` for the price tables).
    pub key: String,
    /// Value in the base.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub base: Option<String>,
    /// Value in the head.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub head: Option<String>,
    /// The change in words, when a plain `old → new` would not say it (an artifact file whose
    /// content changed: `prompts/support.md changed (2,111 → 2,480 tokens)`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub summary: Option<String>,
}

impl AssumptionChange {
    /// `+ key = value`, `- key = value`, `~ key: old → new` (or `~ key: summary`).
    pub fn line(&self) -> String {
        let v = |x: &Option<String>| x.clone().unwrap_or_default();
        if let Some(summary) = &self.summary {
            return format!("{} {}: {summary}", self.change.symbol(), self.key);
        }
        match self.change {
            Change::Added => format!("+ {} = {}", self.key, v(&self.head)),
            Change::Removed => format!("- {} = {}", self.key, v(&self.base)),
            Change::Changed => format!("~ {}: {} → {}", self.key, v(&self.base), v(&self.head)),
        }
    }
}

/// One month of a diff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthDiff {
    /// `YYYY-MM`.
    pub month: String,
    /// Base statistics (absent when the base does not forecast the month).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub base: Option<Stats>,
    /// Head statistics (absent when the head does not forecast the month).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub head: Option<Stats>,
    /// `head − base`, when both forecast it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub delta: Option<Delta>,
}

/// The result of `billcast diff`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportDiff {
    /// `diff`.
    pub kind: String,
    /// billcast version.
    pub billcast_version: String,
    /// The base report.
    pub base: Side,
    /// The head report.
    pub head: Side,
    /// The month the headline and the gate speak of.
    pub month: String,
    /// Base statistics of that month.
    pub base_stats: Stats,
    /// Head statistics of that month.
    pub head_stats: Stats,
    /// Their change.
    pub delta: Delta,
    /// `up`, `down` or `unchanged` (of the P95).
    pub direction: String,
    /// One sentence: direction and size of the change of the P95.
    pub headline: String,
    /// Every month of either report, in order.
    pub months: Vec<MonthDiff>,
    /// Inputs added, removed or changed.
    pub assumptions: Vec<AssumptionChange>,
    /// What makes the comparison less clean (different seeds, trials, modes, versions).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub notes: Vec<String>,
    /// Cost-gate verdicts, when `--fail-if` was given.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub gate: Vec<GateResult>,
}

impl ReportDiff {
    /// The gate variables of the diffed month.
    pub fn variables(&self) -> Variables {
        gate::variables(
            &self.base_stats,
            &self.head_stats,
            &self.delta,
            self.head.budget_usd,
            &self.month,
        )
    }

    /// Whether any gate condition holds.
    pub fn gate_failed(&self) -> bool {
        self.gate.iter().any(|g| g.holds)
    }
}

fn route_value(r: &crate::report::RouteInfo) -> String {
    let name = if r.name == r.model {
        String::new()
    } else {
        format!("{}: ", r.name)
    };
    let mut v = format!("{name}{} ({} of sessions", r.model, format_pct(r.share));
    if let Some(t) = &r.service_tier {
        v.push_str(&format!(", tier {t}"));
    }
    if let Some(g) = &r.region {
        v.push_str(&format!(", region {g}"));
    }
    v.push(')');
    v
}

/// Whether assumption `key` is an artifact's own row or its size on a route (those are
/// diffed by file, [`artifact_diff`]).
fn is_artifact_row(r: &Report, key: &str) -> bool {
    r.scenario.artifacts.iter().any(|a| {
        key == a.key
            || key
                .strip_suffix(a.key.as_str())
                .and_then(|k| k.strip_suffix('.'))
                .is_some_and(|k| k.starts_with("routes[") && k.ends_with(']'))
    })
}

/// Inputs of a report as `key → value`: its assumptions, routes, budget and price tables.
fn inputs(r: &Report) -> BTreeMap<String, String> {
    let mut m: BTreeMap<String, String> = r
        .assumptions
        .iter()
        .filter(|a| !is_artifact_row(r, &a.key))
        .map(|a| (a.key.clone(), a.value.clone()))
        .collect();
    // Routes by position, as `--set routes.0.model=…` addresses them, so swapping a model
    // reads as one change rather than a removed and an added route.
    for (i, route) in r.routes.iter().enumerate() {
        m.insert(format!("routes[{i}]"), route_value(route));
    }
    m.insert(
        "budget.monthly_usd".into(),
        r.budget_usd.map_or("none".into(), format_usd),
    );
    m.insert(
        "pricing".into(),
        format!(
            "price tables {}",
            &r.pricing.fingerprint[..12.min(r.pricing.fingerprint.len())]
        ),
    );
    m
}

/// The artifact files of two reports, by key: added, removed, or changed (a different path or
/// content hash), with their o200k_base token counts.
fn artifact_diff(base: &Report, head: &Report) -> Vec<AssumptionChange> {
    let b: BTreeMap<&str, &ArtifactInfo> = base
        .scenario
        .artifacts
        .iter()
        .map(|a| (a.key.as_str(), a))
        .collect();
    let h: BTreeMap<&str, &ArtifactInfo> = head
        .scenario
        .artifacts
        .iter()
        .map(|a| (a.key.as_str(), a))
        .collect();
    let tokens = |a: &ArtifactInfo| format_count(a.reference_tokens as f64);
    let value = |a: &ArtifactInfo| {
        format!(
            "{} ({} tokens, sha256 {})",
            a.path,
            tokens(a),
            &a.sha256[..12.min(a.sha256.len())]
        )
    };
    let mut keys: Vec<&str> = b.keys().chain(h.keys()).copied().collect();
    keys.sort_unstable();
    keys.dedup();
    keys.into_iter()
        .filter_map(|k| {
            let short = |a: &ArtifactInfo| format!("{} ({} tokens)", a.path, tokens(a));
            let summary = match (b.get(k), h.get(k)) {
                (None, Some(_)) | (Some(_), None) => None,
                (Some(x), Some(y)) if x.path == y.path && x.sha256 != y.sha256 => Some(format!(
                    "{} changed ({} → {} tokens)",
                    y.path,
                    tokens(x),
                    tokens(y)
                )),
                (Some(x), Some(y)) if x.path != y.path && x.sha256 == y.sha256 => Some(format!(
                    "{} → {} (same content, {} tokens)",
                    x.path,
                    y.path,
                    tokens(y)
                )),
                (Some(x), Some(y)) if x.path != y.path => {
                    Some(format!("{} → {}", short(x), short(y)))
                }
                _ => return None,
            };
            let change = match (b.get(k), h.get(k)) {
                (None, _) => Change::Added,
                (_, None) => Change::Removed,
                _ => Change::Changed,
            };
            // `+ key = path (N tokens)` reads like every other added input; a changed file
            // keeps both hashes in the JSON and says what changed in `summary`.
            let shown = |a: &&ArtifactInfo| {
                if summary.is_some() {
                    value(a)
                } else {
                    short(a)
                }
            };
            Some(AssumptionChange {
                change,
                key: k.to_string(),
                base: b.get(k).map(shown),
                head: h.get(k).map(shown),
                summary,
            })
        })
        .collect()
}

/// The assumption diff of two reports, in key order.
pub fn assumption_diff(base: &Report, head: &Report) -> Vec<AssumptionChange> {
    let mut out = plain_diff(base, head);
    out.extend(artifact_diff(base, head));
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out
}

/// The diff of every input but the artifact files.
fn plain_diff(base: &Report, head: &Report) -> Vec<AssumptionChange> {
    let b = inputs(base);
    let h = inputs(head);
    let mut keys: Vec<&String> = b.keys().chain(h.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|k| match (b.get(k), h.get(k)) {
            (None, Some(v)) => Some(AssumptionChange {
                change: Change::Added,
                key: k.clone(),
                base: None,
                head: Some(v.clone()),
                summary: None,
            }),
            (Some(v), None) => Some(AssumptionChange {
                change: Change::Removed,
                key: k.clone(),
                base: Some(v.clone()),
                head: None,
                summary: None,
            }),
            (Some(x), Some(y)) if x != y => Some(AssumptionChange {
                change: Change::Changed,
                key: k.clone(),
                base: Some(x.clone()),
                head: Some(y.clone()),
                summary: None,
            }),
            _ => None,
        })
        .collect()
}

/// Diff `base` against `head` (labels name their files). The headline month is `month`, or
/// else the head's headline month (its highest P95).
///
/// # Errors
/// [`WhatifError::Flag`] (`--month`) when the month is not in both reports.
pub fn diff(
    base: &Report,
    base_label: &str,
    head: &Report,
    head_label: &str,
    month: Option<Month>,
) -> Result<ReportDiff, WhatifError> {
    let target = match month {
        Some(m) => m.to_string(),
        None => head.headline.month.clone(),
    };
    let find = |r: &Report| r.months.iter().find(|m| m.month == target).map(Stats::from);
    let list = |r: &Report| {
        r.months
            .iter()
            .map(|m| m.month.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let head_stats = find(head).ok_or_else(|| {
        WhatifError::flag(
            "--month",
            format!(
                "{head_label} does not forecast {target}; it has {}",
                list(head)
            ),
        )
    })?;
    let base_stats = find(base).ok_or_else(|| {
        WhatifError::flag(
            "--month",
            format!(
                "{base_label} does not forecast {target}; pick a month both cover with --month (base has {})",
                list(base)
            ),
        )
    })?;
    let delta = Delta::between(&base_stats, &head_stats);

    let mut names: Vec<String> = base
        .months
        .iter()
        .chain(&head.months)
        .map(|m| m.month.clone())
        .collect();
    names.sort();
    names.dedup();
    let months = names
        .into_iter()
        .map(|name| {
            let b = base
                .months
                .iter()
                .find(|m| m.month == name)
                .map(Stats::from);
            let h = head
                .months
                .iter()
                .find(|m| m.month == name)
                .map(Stats::from);
            let delta = match (&b, &h) {
                (Some(b), Some(h)) => Some(Delta::between(b, h)),
                _ => None,
            };
            MonthDiff {
                month: name,
                base: b,
                head: h,
                delta,
            }
        })
        .collect();

    let direction = if delta.p95 > 0.0 {
        "up"
    } else if delta.p95 < 0.0 {
        "down"
    } else {
        "unchanged"
    };
    let headline = match direction {
        "unchanged" => format!(
            "The P95 monthly bill in {target} is unchanged at {}",
            format_usd(head_stats.p95)
        ),
        _ => format!(
            "The P95 monthly bill in {target} goes {direction}{}, from {} to {} ({})",
            delta
                .p95_pct
                .map_or(String::new(), |p| format!(" {:.1}%", p.abs())),
            format_usd(base_stats.p95),
            format_usd(head_stats.p95),
            format_usd_delta(delta.p95)
        ),
    };

    let mut notes = Vec::new();
    if base.seed != head.seed || base.trials != head.trials {
        let se = (base_stats.p95_se.powi(2) + head_stats.p95_se.powi(2)).sqrt();
        notes.push(format!(
            "base and head were forecast with different seeds or trials (seed {} / {} trials vs seed {} / {} trials), so they do not share their draws: the deltas include Monte Carlo noise (standard error of ΔP95 ≈ {}); forecast both with the same --seed and -n",
            base.seed,
            base.trials,
            head.seed,
            head.trials,
            format_usd(se)
        ));
    }
    if base.mode != head.mode {
        notes.push(format!(
            "base ran in {} mode and head in {} mode; pass the same --mode to both forecasts for a like-for-like diff",
            base.mode, head.mode
        ));
    }
    if base.billcast_version != head.billcast_version {
        notes.push(format!(
            "the reports come from billcast {} and {}; engine changes between versions can move the numbers",
            base.billcast_version, head.billcast_version
        ));
    }
    if base.budget_usd != head.budget_usd {
        notes.push(
            "the budgets differ, so P(over budget) is measured against different amounts".into(),
        );
    }

    Ok(ReportDiff {
        kind: "diff".into(),
        billcast_version: env!("CARGO_PKG_VERSION").into(),
        base: Side::of(base_label, base),
        head: Side::of(head_label, head),
        month: target,
        base_stats,
        head_stats,
        delta,
        direction: direction.into(),
        headline,
        months,
        assumptions: assumption_diff(base, head),
        notes,
        gate: Vec::new(),
    })
}
