//! The overhead report: a versioned, serialisable summary of every strategy that renderers
//! (table, Markdown, CSV, JSON), the design-review report and charts read without
//! re-simulating.
//!
//! Summaries are of the **mean month of the horizon** in each trial (each trial's months
//! averaged, then percentiles across trials), plus a row per calendar month for charts.

use serde::{Deserialize, Serialize};

use super::Chunk;
use super::model::{Ledger, PeopleHours};
use crate::engine::Simulation;
use crate::pricing::PriceBook;
use crate::report::{ReportError, ScenarioInfo};
use crate::scenario::Assumption;
use crate::scenario::Scenario;
use crate::scenario::overhead::{HOURS_PER_MONTH, OverheadSpec, Strategy};
use crate::stats::quantile_sorted;

/// Version of the overhead report JSON.
pub const SCHEMA_VERSION: u32 = 1;

/// Mean, median and 95th percentile across trials.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Stat {
    /// Mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
}

impl Stat {
    /// Summarise draws (any order).
    pub fn of(mut xs: Vec<f64>) -> Stat {
        if xs.is_empty() {
            return Stat {
                mean: f64::NAN,
                p50: f64::NAN,
                p95: f64::NAN,
            };
        }
        xs.sort_by(|a, b| a.total_cmp(b));
        Stat {
            mean: xs.iter().sum::<f64>() / xs.len() as f64,
            p50: quantile_sorted(&xs, 0.5),
            p95: quantile_sorted(&xs, 0.95),
        }
    }
}

/// Mean USD per month by TCO component; sums to the mean TCO.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct TcoParts {
    /// Token spend (both paths).
    pub tokens: f64,
    /// Eval token spend.
    pub evals: f64,
    /// Human hours × loaded hourly cost.
    pub people: f64,
    /// Downtime cost.
    pub downtime: f64,
}

impl TcoParts {
    fn of(l: &Ledger) -> TcoParts {
        TcoParts {
            tokens: l.tokens,
            evals: l.evals,
            people: l.people,
            downtime: l.downtime,
        }
    }

    /// `(name, usd)` in stacking order.
    pub fn entries(&self) -> [(&'static str, f64); 4] {
        [
            ("tokens", self.tokens),
            ("evals", self.evals),
            ("people", self.people),
            ("downtime", self.downtime),
        ]
    }

    /// Sum.
    pub fn total(&self) -> f64 {
        self.tokens + self.evals + self.people + self.downtime
    }
}

/// Where a strategy's mean TCO crosses `single`'s, as a function of the downtime cost per
/// hour `c`: both TCOs are linear in `c` (`spend + c × hours`), so the crossing is
/// `c* = Δspend / Δhours` with `Δspend = spend_k − spend_single` and
/// `Δhours = hours_single − hours_k` (downtime-cost hours saved).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BreakEven {
    /// Beats `single` when an hour of downtime costs more than this.
    Above {
        /// USD per hour.
        usd_per_hour: f64,
    },
    /// Cheaper but less available: beats `single` only while downtime costs less than this.
    Below {
        /// USD per hour.
        usd_per_hour: f64,
    },
    /// Cheaper and at least as available: beats `single` at any downtime cost.
    Always,
    /// Costs more and buys no availability: never beats `single`.
    Never,
}

impl BreakEven {
    /// Solve from mean spend and mean downtime-cost hours of a strategy and of `single`.
    pub fn solve(spend: f64, hours: f64, single_spend: f64, single_hours: f64) -> BreakEven {
        let d_spend = spend - single_spend;
        let d_hours = single_hours - hours;
        // Hours equal up to rounding: no crossing.
        if d_hours.abs() <= 1e-9 * single_hours.abs().max(1e-6) {
            return if d_spend < 0.0 {
                BreakEven::Always
            } else {
                BreakEven::Never
            };
        }
        let c = d_spend / d_hours;
        if d_hours > 0.0 {
            if c <= 0.0 {
                BreakEven::Always
            } else {
                BreakEven::Above { usd_per_hour: c }
            }
        } else if d_spend < 0.0 {
            BreakEven::Below { usd_per_hour: c }
        } else {
            BreakEven::Never
        }
    }

    /// The crossing point, if there is one.
    pub fn usd_per_hour(&self) -> Option<f64> {
        match self {
            BreakEven::Above { usd_per_hour } | BreakEven::Below { usd_per_hour } => {
                Some(*usd_per_hour)
            }
            _ => None,
        }
    }
}

/// One calendar month of a strategy (for charts: TCO over time, the shrinking multiplier).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StrategyMonth {
    /// `YYYY-MM`.
    pub month: String,
    /// TCO across trials, USD.
    pub tco: Stat,
    /// Mean components, USD.
    pub parts: TcoParts,
    /// Mean unavailable hours.
    pub unavailable_hours: f64,
    /// `1 − unavailable hours / 730`.
    pub availability: f64,
    /// Mean spend (tokens + evals + people) over that month's single-provider token spend.
    pub spend_multiplier: f64,
}

/// One strategy, summarised over the horizon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StrategyReport {
    /// Strategy.
    pub strategy: Strategy,
    /// What it means for this scenario.
    pub description: String,
    /// Monthly TCO (tokens + evals + people + downtime), USD.
    pub tco: Stat,
    /// Mean components, USD per month.
    pub parts: TcoParts,
    /// Monthly spend without downtime (tokens + evals + people), USD.
    pub spend: Stat,
    /// Mean spend over mean single-provider token spend: the "it's not 2×" number.
    pub spend_multiplier: f64,
    /// Mean TCO over mean single-provider token spend.
    pub tco_multiplier: f64,
    /// Mean human hours per month by activity.
    pub people_hours: PeopleHours,
    /// Mean eval wall-clock hours per month.
    pub eval_wall_hours: f64,
    /// Traffic-weighted hours unserved per month.
    pub unavailable_hours: Stat,
    /// Mean hours the downtime cost applies to (unserved + quality penalty × degraded).
    pub downtime_cost_hours: f64,
    /// `1 − mean unavailable hours / 730`.
    pub availability: f64,
    /// Mean incidents per month that page on-call.
    pub incidents_per_month: f64,
    /// Mean token spend on the secondary, USD per month.
    pub secondary_tokens: f64,
    /// Downtime cost per hour where it crosses `single` (absent for `single`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub break_even: Option<BreakEven>,
    /// Per calendar month.
    pub months: Vec<StrategyMonth>,
}

/// How redundancy's availability erodes from the independence math to what the simulation
/// gives, for the failover strategy (means over trials).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AvailabilitySteps {
    /// Primary alone: mean drawn uptime.
    pub single: f64,
    /// `1 − (1 − a₁)(1 − a₂)`: independent outages (the naive math).
    pub independent: f64,
    /// Closed form with the common-cause share (Boolean model of the outage processes).
    pub with_common_cause: f64,
    /// Simulated share of time at least one provider is up (checks the closed form).
    pub simulated_either_up: f64,
    /// Plus the detection window at the start of each primary outage.
    pub with_detection: f64,
    /// Plus redundancy decay (pinned traffic has no failover): the failover availability.
    pub with_redundancy_decay: f64,
}

/// Everything `billcast overhead` says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverheadReport {
    /// Report format version.
    pub schema_version: u32,
    /// `overhead`.
    pub kind: String,
    /// billcast version that wrote it.
    pub billcast_version: String,
    /// Scenario.
    pub scenario: ScenarioInfo,
    /// Hash over every price table read.
    pub pricing_fingerprint: String,
    /// Seed.
    pub seed: u64,
    /// Trials.
    pub trials: u64,
    /// Engine mode that ran.
    pub engine_mode: String,
    /// `USD`.
    pub currency: String,
    /// Months of the horizon.
    pub months: Vec<String>,
    /// Hours per month used for availability (730).
    pub hours_per_month: f64,
    /// Models of the primary path.
    pub primary_models: Vec<String>,
    /// Model of the secondary path.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub secondary_model: Option<String>,
    /// Mean monthly token bill with one provider and every request served (the forecast),
    /// USD: the base of every multiplier.
    pub single_token_spend: f64,
    /// The naive budget for two providers: 2 × `single_token_spend`.
    pub naive_two_x: f64,
    /// Mean downtime cost per hour used, USD.
    pub downtime_usd_per_hour: f64,
    /// Strategy with the lowest mean TCO at that downtime cost.
    pub cheapest: Strategy,
    /// Strategies, `single` first.
    pub strategies: Vec<StrategyReport>,
    /// Availability waterfall of failover (when a secondary is modelled).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub availability_steps: Option<AvailabilitySteps>,
    /// Every overhead input with unit, origin and source.
    pub assumptions: Vec<Assumption>,
    /// Warnings, each with what to do.
    pub warnings: Vec<String>,
}

/// One stacked bar of the TCO chart: components bottom to top, with P50 and P95 whiskers.
///
/// [`crate::charts::overhead::tco`] draws a stacked bar per strategy of [`TcoBar::segments`]
/// with a whisker from `p50` to `p95`, the bar annotated with `spend_multiplier`, and a dashed
/// line at [`OverheadReport::naive_two_x`].
#[derive(Debug, Clone, PartialEq)]
pub struct TcoBar {
    /// Strategy name.
    pub label: String,
    /// `(component, mean USD per month)`: tokens, evals, people, downtime.
    pub segments: [(&'static str, f64); 4],
    /// Median monthly TCO, USD.
    pub p50: f64,
    /// 95th percentile of monthly TCO, USD.
    pub p95: f64,
    /// Mean spend (tokens + evals + people) over mean single-provider token spend
    /// ([`StrategyReport::spend_multiplier`]); the naive budget is 2.
    pub spend_multiplier: f64,
}

impl OverheadReport {
    /// The data of the stacked-TCO chart, one bar per strategy.
    pub fn tco_bars(&self) -> Vec<TcoBar> {
        self.strategies
            .iter()
            .map(|s| TcoBar {
                label: s.strategy.name().to_string(),
                segments: s.parts.entries(),
                p50: s.tco.p50,
                p95: s.tco.p95,
                spend_multiplier: s.spend_multiplier,
            })
            .collect()
    }

    /// A strategy's summary.
    pub fn strategy(&self, s: Strategy) -> Option<&StrategyReport> {
        self.strategies.iter().find(|r| r.strategy == s)
    }

    /// Pretty JSON with a trailing newline.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string_pretty(self).map(|mut s| {
            s.push('\n');
            s
        })
    }

    /// Read a saved overhead report (`--format json`), checking its kind and version.
    pub fn from_json(path: &str, text: &str) -> Result<OverheadReport, ReportError> {
        let v: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| ReportError::Json(format!("{path}: not a billcast report: {e}")))?;
        if v.get("kind").and_then(|k| k.as_str()) != Some("overhead") {
            return Err(ReportError::Json(format!(
                "{path}: not an overhead report (write one with `billcast overhead --format json`)"
            )));
        }
        let found = v
            .get("schema_version")
            .and_then(|x| x.as_u64())
            .unwrap_or(0) as u32;
        if found != SCHEMA_VERSION {
            return Err(ReportError::Json(format!(
                "{path}: overhead report schema_version {found} is not supported (this billcast reads {SCHEMA_VERSION}); re-run `billcast overhead`"
            )));
        }
        serde_json::from_value(v).map_err(|e| ReportError::Json(format!("{path}: {e}")))
    }
}

/// What [`build`] needs.
pub(super) struct Inputs<'a> {
    pub scenario: &'a Scenario,
    pub spec: &'a OverheadSpec,
    pub book: &'a PriceBook,
    pub sim: &'a Simulation,
    pub secondary_model: Option<String>,
    pub strategies: &'a [Strategy],
    pub chunks: &'a [Chunk],
    pub warnings: Vec<String>,
}

fn describe(st: Strategy, inp: &Inputs<'_>) -> String {
    let primary = inp.sim.route_models.join(" + ");
    let secondary = inp.secondary_model.clone().unwrap_or_default();
    match st {
        Strategy::Single => format!("{primary} alone; its outages are downtime"),
        Strategy::Degraded => format!(
            "{primary} + {} mode during its outages",
            inp.spec.degraded.kind.name()
        ),
        Strategy::Failover => format!("{primary}, failing over to {secondary} during outages"),
        Strategy::ActiveActive => format!(
            "traffic split between {primary} and {secondary} ({} on the secondary), each failing over to the other",
            inp.spec.active_active_share
        ),
    }
}

/// Summarise the chunks into the report.
pub(super) fn build(inp: Inputs<'_>) -> OverheadReport {
    let s = inp.scenario;
    let sim = inp.sim;
    let months = sim.months.len();
    let n: usize = inp.chunks.iter().map(|c| c.ledgers.len()).sum();
    let nf = n.max(1) as f64;
    let t = HOURS_PER_MONTH;
    let mut warnings = inp.warnings.clone();

    // The base: the forecast's mean token bill per month and over the horizon.
    let base_m: Vec<f64> = sim
        .totals
        .iter()
        .map(|v| v.iter().sum::<f64>() / v.len().max(1) as f64)
        .collect();
    let base = base_m.iter().sum::<f64>() / months.max(1) as f64;

    let per_trial = |i: usize, f: &dyn Fn(&Ledger) -> f64| -> Vec<f64> {
        inp.chunks
            .iter()
            .flat_map(|c| c.ledgers.iter().map(move |l| f(&l[i])))
            .collect()
    };
    let mean_ledger = |i: usize| -> Ledger {
        let mut acc = Ledger::default();
        for c in inp.chunks {
            for l in &c.ledgers {
                acc.add_scaled(&l[i], 1.0 / nf);
            }
        }
        acc
    };

    let single = mean_ledger(0);
    let mut strategies = Vec::new();
    for (i, st) in inp.strategies.iter().enumerate() {
        let mean = mean_ledger(i);
        let month_rows = (0..months)
            .map(|m| {
                let mut sum = Ledger::default();
                let mut tco = Vec::with_capacity(n);
                for c in inp.chunks {
                    sum.add_scaled(&c.sums[i][m], 1.0 / nf);
                    tco.extend_from_slice(&c.tco[i][m]);
                }
                StrategyMonth {
                    month: sim.months[m].to_string(),
                    tco: Stat::of(tco),
                    parts: TcoParts::of(&sum),
                    unavailable_hours: sum.unavailable_hours,
                    availability: 1.0 - sum.unavailable_hours / t,
                    spend_multiplier: sum.spend() / base_m[m],
                }
            })
            .collect();
        let break_even = (*st != Strategy::Single).then(|| {
            BreakEven::solve(
                mean.spend(),
                mean.downtime_cost_hours,
                single.spend(),
                single.downtime_cost_hours,
            )
        });
        strategies.push(StrategyReport {
            strategy: *st,
            description: describe(*st, &inp),
            tco: Stat::of(per_trial(i, &|l| l.tco())),
            parts: TcoParts::of(&mean),
            spend: Stat::of(per_trial(i, &|l| l.spend())),
            spend_multiplier: mean.spend() / base,
            tco_multiplier: mean.tco() / base,
            people_hours: mean.hours,
            eval_wall_hours: mean.eval_wall_hours,
            unavailable_hours: Stat::of(per_trial(i, &|l| l.unavailable_hours)),
            downtime_cost_hours: mean.downtime_cost_hours,
            availability: 1.0 - mean.unavailable_hours / t,
            incidents_per_month: mean.incidents,
            secondary_tokens: mean.secondary_tokens,
            break_even,
            months: month_rows,
        });
    }
    let cheapest = strategies
        .iter()
        .min_by(|a, b| a.tco.mean.total_cmp(&b.tco.mean))
        .map_or(Strategy::Single, |r| r.strategy);

    // Availability waterfall (failover), from outage sums and the per-trial closed forms.
    let mut out_sum = super::outage::MonthOutage::default();
    let mut closed = [0.0; 5];
    let mut clamped = 0;
    for c in inp.chunks {
        for o in &c.outages {
            super::add_outage(&mut out_sum, o);
        }
        for k in 0..5 {
            closed[k] += c.closed[k];
        }
        clamped += c.clamped;
    }
    let hours_total = nf * months.max(1) as f64 * t;
    let availability_steps = inp.secondary_model.as_ref().map(|_| AvailabilitySteps {
        single: closed[2] / nf,
        independent: 1.0 - closed[0] / nf,
        with_common_cause: 1.0 - closed[1] / nf,
        simulated_either_up: 1.0 - out_sum.both_down / hours_total,
        with_detection: 1.0
            - (out_sum.both_down + out_sum.primary_detection - out_sum.primary_detection_both)
                / hours_total,
        with_redundancy_decay: strategies
            .iter()
            .find(|r| r.strategy == Strategy::Failover)
            .map_or(f64::NAN, |r| r.availability),
    });
    if clamped > 0 {
        warnings.push(format!(
            "in {clamped} of {n} trials the secondary's own outages were fewer than the common-cause share of the primary's, so the secondary was down more than its uptime says; lower common_cause_share or the secondary's uptime"
        ));
    }
    let g = &inp.spec.degraded;
    if inp.strategies.contains(&Strategy::Degraded)
        && g.kind == crate::scenario::overhead::DegradedKind::SmallerModel
        && g.shares_primary_outages.as_fixed() == Some(1.0)
    {
        warnings.push(
            "degraded mode is a smaller model at the same provider, which goes down with it (shares_primary_outages = 1), so it serves nothing during outages; lower overhead.degraded.shares_primary_outages if some outages are model-specific".into(),
        );
    }
    if n < 1000 {
        warnings.push(format!(
            "only {n} trials: P95s of TCO are rough; use at least 1,000 (-n 10000)"
        ));
    }
    let downtime_usd_per_hour = closed[4] / nf;
    if inp
        .spec
        .assumptions
        .iter()
        .any(|a| a.key == "overhead.downtime_usd_per_hour" && a.is_default())
    {
        warnings.push(
            "overhead.downtime_usd_per_hour is not set, so downtime costs $0 and redundancy can only lose; read each strategy's break-even, or set your revenue + SLA credits per hour".into(),
        );
    }

    OverheadReport {
        schema_version: SCHEMA_VERSION,
        kind: "overhead".into(),
        billcast_version: env!("CARGO_PKG_VERSION").into(),
        scenario: ScenarioInfo::new(s, None),
        pricing_fingerprint: inp.book.fingerprint(),
        seed: sim.seed,
        trials: n as u64,
        engine_mode: format!("{:?}", sim.mode).to_lowercase(),
        currency: "USD".into(),
        months: sim.months.iter().map(|m| m.to_string()).collect(),
        hours_per_month: t,
        primary_models: sim.route_models.clone(),
        secondary_model: inp.secondary_model.clone(),
        single_token_spend: base,
        naive_two_x: 2.0 * base,
        downtime_usd_per_hour,
        cheapest,
        strategies,
        availability_steps,
        assumptions: inp.spec.assumptions.clone(),
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn break_even_cases() {
        // Costs 1,000 more, saves 2 hours: pays off above $500/h.
        assert_eq!(
            BreakEven::solve(2000.0, 1.0, 1000.0, 3.0),
            BreakEven::Above {
                usd_per_hour: 500.0
            }
        );
        assert_eq!(BreakEven::solve(900.0, 1.0, 1000.0, 3.0), BreakEven::Always);
        assert_eq!(BreakEven::solve(2000.0, 3.0, 1000.0, 3.0), BreakEven::Never);
        assert_eq!(BreakEven::solve(2000.0, 4.0, 1000.0, 3.0), BreakEven::Never);
        assert_eq!(
            BreakEven::solve(900.0, 4.0, 1000.0, 3.0),
            BreakEven::Below {
                usd_per_hour: 100.0
            }
        );
    }
}
