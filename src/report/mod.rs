//! The forecast report: one versioned, serialisable model of everything a forecast says, and
//! the exporters that render it (table, JSON, CSV; Markdown and HTML in [`crate::export`]). Everything that renders takes a
//! `&Report`, so a saved `forecast.json` re-renders without re-simulating.

pub mod csv;
pub mod rows;
pub mod tokens;

use serde::{Deserialize, Serialize};

use crate::artifact::RouteTokens;
use crate::engine::drivers::Drivers;
use crate::engine::naive::{Naive, naive_month};
use crate::engine::prepare::Prepared;
use crate::engine::tokenizer::RatioEffect;
use crate::engine::{COMPONENTS, Simulation, Volumes};
use crate::ingest::tokens::Tokenizer;
use crate::pricing::PriceBook;
use crate::pricing::book::SourceFile;
use crate::scenario::{Assumption, Origin, Scenario};
use crate::stats::{mean_sd, prob_over, quantile_se, quantile_sorted};

/// Version of the report JSON.
pub const SCHEMA_VERSION: u32 = 1;

/// Problems rendering or reading a report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// JSON could not be written or read.
    #[error("{0}")]
    Json(String),
    /// CSV could not be written.
    #[error("csv: {0}")]
    Csv(String),
    /// A saved report is from an incompatible version.
    #[error(
        "{path}: report schema_version {found} is not supported (this billcast reads {SCHEMA_VERSION}); re-run the forecast"
    )]
    Version {
        /// File.
        path: String,
        /// Version found.
        found: u32,
    },
}

/// USD by cost component; the fields sum to the month's mean.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub struct Components {
    /// Uncached input of successful attempts.
    pub input: f64,
    /// Cache reads of successful attempts.
    pub cache_read: f64,
    /// Cache writes of successful attempts.
    pub cache_write: f64,
    /// Visible output of successful attempts.
    pub output: f64,
    /// Reasoning output of successful attempts.
    pub reasoning: f64,
    /// Provider tool fees.
    pub tool_fees: f64,
    /// Every token class of billed failed attempts.
    pub retries: f64,
}

impl Components {
    fn from_array(a: &[f64; 7]) -> Components {
        Components {
            input: a[0],
            cache_read: a[1],
            cache_write: a[2],
            output: a[3],
            reasoning: a[4],
            tool_fees: a[5],
            retries: a[6],
        }
    }

    /// As `(name, usd)` in report order.
    pub fn entries(&self) -> [(&'static str, f64); 7] {
        [
            (COMPONENTS[0], self.input),
            (COMPONENTS[1], self.cache_read),
            (COMPONENTS[2], self.cache_write),
            (COMPONENTS[3], self.output),
            (COMPONENTS[4], self.reasoning),
            (COMPONENTS[5], self.tool_fees),
            (COMPONENTS[6], self.retries),
        ]
    }

    /// Sum of all components.
    pub fn total(&self) -> f64 {
        self.entries().iter().map(|e| e.1).sum()
    }
}

/// USD of one route.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RouteCost {
    /// Route name.
    pub route: String,
    /// Mean USD.
    pub usd: f64,
}

/// The distribution of one month's bill.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MonthSummary {
    /// `YYYY-MM`.
    pub month: String,
    /// Mean bill, USD.
    pub mean: f64,
    /// Standard deviation across trials, USD.
    pub sd: f64,
    /// Percentiles, USD.
    pub p5: f64,
    /// 25th percentile.
    pub p25: f64,
    /// Median.
    pub p50: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Monte Carlo standard error of the P95, USD.
    pub p95_se: f64,
    /// `P(bill > budget)`, when a budget is set.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub prob_over_budget: Option<f64>,
    /// Mean USD by component (sums to `mean`).
    pub components: Components,
    /// Mean USD by route.
    pub routes: Vec<RouteCost>,
    /// Mean volumes.
    pub volumes: Volumes,
    /// 101 quantiles of the bill (0%, 1%, …, 100%), USD: enough to redraw its charts.
    pub quantiles: Vec<f64>,
    /// The naive (spreadsheet) estimate of this month, USD (absent in reports written before
    /// it was added).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub naive_usd: Option<f64>,
}

/// The scenario a report came from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ScenarioInfo {
    /// Name.
    pub name: String,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub description: Option<String>,
    /// Path given.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub path: Option<String>,
    /// SHA-256 of the text after overrides.
    pub sha256: String,
    /// `--set` overrides.
    pub overrides: Vec<String>,
    /// Fitted workload file and its hash.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub fitted_from: Option<InputFile>,
    /// Files the workload read (system prompt, tool definitions), with their hashes and sizes
    /// (absent in reports written before artifacts existed).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub artifacts: Vec<ArtifactInfo>,
}

impl ScenarioInfo {
    /// The provenance of `s`; with `p`, each artifact's size on every route.
    pub fn new(s: &Scenario, p: Option<&Prepared>) -> ScenarioInfo {
        ScenarioInfo {
            name: s.name.clone(),
            description: s.description.clone(),
            path: s.path.as_ref().map(|p| p.display().to_string()),
            sha256: s.sha256.clone(),
            overrides: s.overrides.clone(),
            fitted_from: s.fitted_from.as_ref().map(|(p, h)| InputFile {
                path: p.display().to_string(),
                sha256: h.clone(),
            }),
            artifacts: s
                .artifacts
                .iter()
                .map(|sa| ArtifactInfo {
                    key: sa.key.clone(),
                    path: sa.artifact.label.clone(),
                    sha256: sa.artifact.sha256.clone(),
                    kind: sa.artifact.kind.name().to_string(),
                    reference_tokens: sa.artifact.tokens(Tokenizer::O200kBase),
                    routes: p
                        .and_then(|p| p.artifact_tokens.iter().find(|a| a.key == sa.key))
                        .map(|a| a.routes.clone())
                        .unwrap_or_default(),
                })
                .collect(),
        }
    }
}

/// A file the scenario read and what it costs in tokens.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ArtifactInfo {
    /// Key that reads it (`workload.system_prompt`, `workload.tools`, or a cohort's).
    pub key: String,
    /// Path as written in the scenario (relative to it).
    pub path: String,
    /// SHA-256 of the file.
    pub sha256: String,
    /// `text`, `messages`, `OpenAI tools` or `Anthropic tools`.
    pub kind: String,
    /// Its size in o200k_base (reference) tokens; tool definitions by OpenAI's cookbook count.
    pub reference_tokens: u64,
    /// Its size on each route, model tokens.
    #[serde(default)]
    pub routes: Vec<RouteTokens>,
}

/// A file and its hash.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct InputFile {
    /// Path.
    pub path: String,
    /// SHA-256.
    pub sha256: String,
}

/// Prices used.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PricingInfo {
    /// Hash over every price table read.
    pub fingerprint: String,
    /// Tables read.
    pub files: Vec<InputFile>,
    /// Schedule dates used per month and model.
    pub rates_in_force: Vec<RatesInForce>,
}

/// Which dated rates priced a month.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RatesInForce {
    /// Month.
    pub month: String,
    /// `provider/model`.
    pub model: String,
    /// Rates effective from (undated base rates: `None`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub from: Option<String>,
}

/// A route as forecast.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RouteInfo {
    /// Name.
    pub name: String,
    /// `provider/model`.
    pub model: String,
    /// Share of sessions.
    pub share: f64,
    /// Service tier.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub service_tier: Option<String>,
    /// Region.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub region: Option<String>,
    /// Tokens per reference token.
    pub tokenizer_ratio: f64,
}

/// The one-sentence answer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Headline {
    /// Month the headline speaks of (the month with the highest P95).
    pub month: String,
    /// Its P95, USD.
    pub p95: f64,
    /// Its probability of exceeding the budget.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub prob_over_budget: Option<f64>,
    /// First month whose P90 exceeds the budget.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub first_month_p90_over_budget: Option<String>,
    /// The headline month's P95 over `naive_estimate.monthly_usd`, the naive estimate of
    /// `naive_estimate.month` (the first month) — across months when the headline month is a
    /// later one. Kept so that saved reports keep their meaning; use
    /// [`Headline::p95_over_naive_same_month`].
    pub p95_over_naive: f64,
    /// The headline month's P95 over the naive estimate of the same month (like with like).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub p95_over_naive_same_month: Option<f64>,
    /// The sentence.
    pub text: String,
}

impl Headline {
    /// The sentence, every number labelled with its month. `naive_same` is the naive
    /// estimate of the headline month (absent in older reports: then the ratio names the
    /// month of `naive_first`, the naive estimate it divides by).
    pub fn sentence(&self, naive_same: Option<&Naive>, naive_first: &Naive) -> String {
        if self.month.is_empty() {
            return "no months simulated".into();
        }
        let mut text = format!(
            "P95 monthly bill in {}: {}",
            self.month,
            crate::units::format_usd(self.p95)
        );
        if let Some(p) = self.prob_over_budget {
            text.push_str(&format!(
                "; P(over budget) in {}: {}",
                self.month,
                crate::units::format_pct(p)
            ));
        }
        match (self.p95_over_naive_same_month, naive_same) {
            (Some(ratio), Some(n)) if ratio.is_finite() && n.monthly_usd > 0.0 => {
                text.push_str(&format!(
                    "; {ratio:.1}× the naive estimate for {} ({})",
                    n.month,
                    crate::units::format_usd(n.monthly_usd)
                ));
            }
            _ if self.p95_over_naive.is_finite() && naive_first.monthly_usd > 0.0 => {
                text.push_str(&format!(
                    "; {:.1}× the naive estimate for {}",
                    self.p95_over_naive, naive_first.month
                ));
            }
            _ => {}
        }
        text
    }
}

/// An assumption as reported (mirrors [`Assumption`]).
pub type AssumptionRow = Assumption;

/// Everything a forecast says.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Report {
    /// Report format version.
    pub schema_version: u32,
    /// `forecast`.
    pub kind: String,
    /// billcast version that wrote it.
    pub billcast_version: String,
    /// Scenario.
    pub scenario: ScenarioInfo,
    /// Prices.
    pub pricing: PricingInfo,
    /// Seed.
    pub seed: u64,
    /// Trials.
    pub trials: u64,
    /// `exact` or `fast`.
    pub mode: String,
    /// Why that mode.
    pub mode_reason: String,
    /// `USD`.
    pub currency: String,
    /// Monthly budget, USD.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub budget_usd: Option<f64>,
    /// Routes.
    pub routes: Vec<RouteInfo>,
    /// Headline.
    pub headline: Headline,
    /// Per month.
    pub months: Vec<MonthSummary>,
    /// The spreadsheet estimate of the first month.
    pub naive_estimate: Naive,
    /// The spreadsheet estimate of the headline month (absent in older reports).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub naive_headline: Option<Naive>,
    /// What drives the spread of the headline month's bill (absent in older reports, or when
    /// nothing varies between trials).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub drivers: Option<Drivers>,
    /// What each unverified tokenizer ratio does to the headline month's P95.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub tokenizer: Vec<RatioEffect>,
    /// Every input and where it came from.
    pub assumptions: Vec<Assumption>,
    /// Warnings, each with what to do.
    pub warnings: Vec<String>,
}

impl Report {
    /// Build the report of a simulation: percentiles per month, the naive estimate of every
    /// month, the headline, what drives its spread and what unverified tokenizer ratios do to
    /// it.
    pub fn from_simulation(
        s: &Scenario,
        book: &PriceBook,
        p: &Prepared,
        sim: &Simulation,
    ) -> Report {
        let naive_by_month: Vec<Naive> = (0..sim.months.len())
            .map(|m| naive_month(s, p, m))
            .collect();
        let mut months = Vec::new();
        for (m, month) in sim.months.iter().enumerate() {
            let mut xs = sim.totals[m].clone();
            xs.sort_by(|a, b| a.total_cmp(b));
            let (mean, sd) = mean_sd(&xs);
            let q = |p: f64| quantile_sorted(&xs, p);
            months.push(MonthSummary {
                month: month.to_string(),
                mean,
                sd,
                p5: q(0.05),
                p25: q(0.25),
                p50: q(0.50),
                p75: q(0.75),
                p90: q(0.90),
                p95: q(0.95),
                p99: q(0.99),
                p95_se: quantile_se(&xs, 0.95),
                prob_over_budget: s.budget_usd.map(|b| prob_over(&xs, b)),
                components: Components::from_array(sim.components[m].as_array()),
                routes: sim
                    .route_names
                    .iter()
                    .zip(&sim.routes[m])
                    .map(|(r, u)| RouteCost {
                        route: r.clone(),
                        usd: *u,
                    })
                    .collect(),
                volumes: sim.volumes[m].clone(),
                quantiles: (0..=100).map(|i| q(i as f64 / 100.0)).collect(),
                naive_usd: naive_by_month.get(m).map(|n| n.monthly_usd),
            });
        }
        let naive = naive_by_month
            .first()
            .cloned()
            .unwrap_or_else(|| crate::engine::naive::naive(s, p));
        let head = headline_index(&months);
        let naive_headline = head.and_then(|i| naive_by_month.get(i).cloned());
        let drivers = head.and_then(|i| crate::engine::drivers::drivers(s, sim, i));
        let tokenizer = head
            .map(|i| crate::engine::tokenizer::effects(s, p, sim, i))
            .unwrap_or_default();
        let mut warnings = sim.warnings.clone();
        if sim.trials < 1000 {
            warnings.push(format!(
                "only {} trials: the P99 rests on {} trials above it; use at least 1,000 (-n 10000 for stable tails)",
                sim.trials,
                (sim.trials as f64 * 0.01).floor()
            ));
        }
        if let Some(worst) = months
            .iter()
            .max_by(|a, b| (a.p95_se / a.p95).total_cmp(&(b.p95_se / b.p95)))
        {
            let rel = worst.p95_se / worst.p95;
            if rel.is_finite() && rel > 0.02 {
                warnings.push(format!(
                    "the P95 of {} has a Monte Carlo standard error of {:.1}%; raise --trials to narrow it (the error shrinks with √trials)",
                    worst.month,
                    rel * 100.0
                ));
            }
        }
        // Defaults among the listed drivers of the spread, by assumption row.
        let default_drivers: Vec<(&str, String)> = drivers
            .iter()
            .flat_map(|d| {
                d.top()
                    .into_iter()
                    .filter(|x| x.default_assumption)
                    .map(move |x| {
                        (
                            x.assumption.as_deref().unwrap_or(&x.key),
                            format!(
                                "{} alone explains {} of the variance of the {} bill",
                                x.key,
                                crate::units::format_pct(x.first_order),
                                d.month
                            ),
                        )
                    })
            })
            .collect();
        let drives = |key: &str| {
            default_drivers
                .iter()
                .filter(|(k, _)| *k == key)
                .map(|(_, t)| t.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        };
        for a in &s.assumptions {
            let d = drives(&a.key);
            if a.non_neutral() || !d.is_empty() {
                let what = if d.is_empty() {
                    String::new()
                } else {
                    format!(": it is not your data, and {d}")
                };
                warnings.push(format!(
                    "{} uses the default {}{what} — set it in the scenario if that is not what you mean",
                    a.key, a.value
                ));
            }
        }
        warnings.extend(tokenizer.iter().map(|e| e.warning()));
        let headline = headline(&months, head, s.budget_usd, &naive, naive_headline.as_ref());
        Report {
            schema_version: SCHEMA_VERSION,
            kind: "forecast".into(),
            billcast_version: env!("CARGO_PKG_VERSION").into(),
            scenario: ScenarioInfo::new(s, Some(p)),
            pricing: PricingInfo {
                fingerprint: book.fingerprint(),
                files: book
                    .files()
                    .iter()
                    .map(|f: &SourceFile| InputFile {
                        path: f.path.clone(),
                        sha256: f.sha256.clone(),
                    })
                    .collect(),
                rates_in_force: sim
                    .price_dates
                    .iter()
                    .map(|(m, model, from)| RatesInForce {
                        month: m.clone(),
                        model: model.clone(),
                        from: from.clone(),
                    })
                    .collect(),
            },
            seed: sim.seed,
            trials: sim.trials,
            mode: format!("{:?}", sim.mode).to_lowercase(),
            mode_reason: sim.mode_reason.clone(),
            currency: "USD".into(),
            budget_usd: s.budget_usd,
            routes: p
                .routes
                .iter()
                .map(|r| RouteInfo {
                    name: r.name.clone(),
                    model: r.model.clone(),
                    share: r.share,
                    service_tier: r.service_tier.clone(),
                    region: r.region.clone(),
                    tokenizer_ratio: r.tokenizer_ratio,
                })
                .collect(),
            headline,
            months,
            naive_estimate: naive,
            naive_headline,
            drivers,
            tokenizer,
            assumptions: s
                .assumptions
                .iter()
                .cloned()
                .chain(artifact_rows(p))
                .collect(),
            warnings,
        }
    }

    /// Serialise as pretty JSON (deterministic: same report ⇒ same bytes).
    pub fn to_json(&self) -> Result<String, ReportError> {
        serde_json::to_string_pretty(self)
            .map(|mut s| {
                s.push('\n');
                s
            })
            .map_err(|e| ReportError::Json(e.to_string()))
    }

    /// Read a saved report.
    pub fn from_json(path: &str, text: &str) -> Result<Report, ReportError> {
        let v: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| ReportError::Json(format!("{path}: not a billcast report: {e}")))?;
        // Any JSON parses as a Value; a report is an object with a schema_version and the
        // forecast kind. Say "not a report" for other JSON rather than "unsupported version 0".
        let is_report = v.get("kind").and_then(|k| k.as_str()) == Some("forecast");
        let Some(found) = v.get("schema_version").and_then(|x| x.as_u64()) else {
            return Err(ReportError::Json(format!(
                "{path}: not a billcast report (no schema_version field)"
            )));
        };
        if !is_report {
            return Err(ReportError::Json(format!(
                "{path}: not a billcast forecast report (its \"kind\" is not \"forecast\")"
            )));
        }
        let found = u32::try_from(found).unwrap_or(u32::MAX);
        if found != SCHEMA_VERSION {
            return Err(ReportError::Version {
                path: path.to_string(),
                found,
            });
        }
        serde_json::from_value(v)
            .map_err(|e| ReportError::Json(format!("{path}: not a billcast forecast report: {e}")))
    }

    /// The month the headline speaks of.
    pub fn headline_month(&self) -> Option<&MonthSummary> {
        self.months.iter().find(|m| m.month == self.headline.month)
    }

    /// The naive estimate of the headline month when the report has it (reports written
    /// before it was added have only the first month's, [`Report::naive_estimate`]).
    pub fn naive_same_month(&self) -> Option<&Naive> {
        self.naive_headline
            .as_ref()
            .or(Some(&self.naive_estimate))
            .filter(|n| n.month == self.headline.month)
    }

    /// The headline sentence, every number labelled with its month (rebuilt from the fields,
    /// so an older saved report renders with labels too).
    pub fn headline_sentence(&self) -> String {
        self.headline
            .sentence(self.naive_same_month(), &self.naive_estimate)
    }
}

/// The assumption rows of each artifact's size on each route: `routes[i].workload.system_prompt`
/// = `2,994 tokens (estimated: …)`.
fn artifact_rows(p: &Prepared) -> impl Iterator<Item = Assumption> + '_ {
    p.artifact_tokens.iter().flat_map(|a| {
        a.routes.iter().enumerate().map(|(i, rt)| {
            Assumption::input(
                artifact_row_key(i, &a.key),
                rt.describe(),
                Origin::Scenario,
                "run",
                false,
            )
        })
    })
}

/// Key of the assumption row of artifact `key` on route `i`.
pub fn artifact_row_key(i: usize, key: &str) -> String {
    format!("routes[{i}].{key}")
}

/// Index of the headline month: the one with the highest P95.
fn headline_index(months: &[MonthSummary]) -> Option<usize> {
    months
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.p95.total_cmp(&b.1.p95))
        .map(|(i, _)| i)
}

fn headline(
    months: &[MonthSummary],
    head: Option<usize>,
    budget: Option<f64>,
    naive_first: &Naive,
    naive_same: Option<&Naive>,
) -> Headline {
    let Some(peak) = head.and_then(|i| months.get(i)) else {
        return Headline {
            month: String::new(),
            p95: f64::NAN,
            prob_over_budget: None,
            first_month_p90_over_budget: None,
            p95_over_naive: f64::NAN,
            p95_over_naive_same_month: None,
            text: "no months simulated".into(),
        };
    };
    let first_over =
        budget.and_then(|b| months.iter().find(|m| m.p90 > b).map(|m| m.month.clone()));
    let mut h = Headline {
        month: peak.month.clone(),
        p95: peak.p95,
        prob_over_budget: peak.prob_over_budget,
        first_month_p90_over_budget: first_over,
        p95_over_naive: peak.p95 / naive_first.monthly_usd,
        p95_over_naive_same_month: naive_same.map(|n| peak.p95 / n.monthly_usd),
        text: String::new(),
    };
    h.text = h.sentence(naive_same, naive_first);
    h
}
