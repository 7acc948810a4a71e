//! Multi-provider operational overhead (DESIGN §1.6): what a second LLM provider really
//! costs, compared as monthly total cost of ownership (TCO) across four strategies —
//! `single`, `degraded` (single + degraded mode during outages), `failover` (active-passive)
//! and `active-active`.
//!
//! Per trial (one possible world, the same worlds as the engine's, by common random
//! numbers) and month, each strategy's TCO is split into
//! - **tokens**: the engine's bill, served by whichever path is up ([`model`]);
//! - **evals**: suite cases × runs × tokens per case, priced per provider path;
//! - **people**: the human hours the strategy adds over running one provider × a loaded
//!   hourly cost (the second PR per prompt change, calibration/parity upkeep, regression
//!   report reconciliation, config-drift incidents, on-call per failover incident,
//!   degraded-mode build and upkeep);
//! - **downtime**: unavailable hours × cost per hour, where availability comes out of an
//!   event simulation of correlated outages ([`outage`]), failover detection time and
//!   redundancy decay (features pinned to one provider over time).
//!
//! The report ([`OverheadReport`]) gives each strategy's TCO mean/P50/P95, availability, the
//! multiplier of its spend over single-provider token spend beside the naive "2× budget",
//! and the break-even downtime cost per hour above which it beats `single`.
//!
//! Two engine runs at most: the scenario as routed, and the same scenario with every route
//! moved to the secondary model (for failover and active-active); every strategy reuses them.
//! Both runs use the same seed, so trial `t` is the same world in both (common random
//! numbers). A strategy's token spend mixes the two bills of a trial by the share of traffic
//! each path served that month; for active-active that replaces a split-route engine run,
//! which has the same expectation, costs nothing extra, and lets the split change month by
//! month as features get pinned to the primary.
//!
//! ```no_run
//! use billcast::overhead::{self, OverheadOptions};
//! use billcast::{pricing::PriceBook, scenario::Scenario};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let s = Scenario::load("scenarios/multi-provider.toml".as_ref(), &[])?;
//! let run = overhead::run(&s, &PriceBook::bundled()?, &OverheadOptions::default())?;
//! for st in &run.report.strategies {
//!     println!("{}: {:.0} USD/month, {:.1}× token spend", st.strategy, st.tco.mean, st.spend_multiplier);
//! }
//! # Ok(()) }
//! ```

pub mod model;
pub mod outage;
pub mod render;
pub mod report;

use crate::scenario::overhead::{self as spec, OverheadSpec, Strategy};
pub use model::{Ledger, PeopleHours, TrialDraws};
pub use report::{
    AvailabilitySteps, BreakEven, OverheadReport, Stat, StrategyMonth, StrategyReport, TcoBar,
    TcoParts,
};

use rayon::prelude::*;

use crate::dist::DistError;
use crate::engine::prepare::Prepared;
use crate::engine::{self, EngineError, SimOptions, Simulation};
use crate::pricing::PriceBook;
use crate::scenario::{Mode, Scenario};
use crate::units::TOKENS_PER_MTOK;
use model::{EvalPrices, MonthBills};
use outage::MonthOutage;

/// What can go wrong computing the overhead.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OverheadError {
    /// The scenario has no `[overhead]` section.
    #[error(
        "{scenario} has no [overhead] section; add one (scenarios/multi-provider.toml shows every key), or start from the documented defaults with --set 'overhead.providers.secondary.model=\"anthropic/claude-sonnet-5-5\"'"
    )]
    NoSection {
        /// Scenario name or path.
        scenario: String,
    },
    /// The primary engine run failed.
    #[error("{0}")]
    Engine(EngineError),
    /// The secondary model could not be priced or simulated.
    #[error(
        "overhead.providers.secondary.model = \"{model}\": {}; fix the model or its service_tier in [overhead.providers.secondary]",
        secondary_cause(cause)
    )]
    Secondary {
        /// `provider/model`.
        model: String,
        /// Why (not a chained `source`: the message already says it, once).
        cause: EngineError,
    },
    /// A distribution could not be built from drawn parameters.
    #[error("{0}")]
    Dist(DistError),
}

/// The engine's reason without its `routes[i]:` prefix: every route of the secondary's run
/// is the secondary model, so the index says nothing.
fn secondary_cause(e: &EngineError) -> String {
    match e {
        EngineError::Route { problem, .. } => problem.to_string(),
        other => other.to_string(),
    }
}

/// Options of one overhead run.
#[derive(Default, Clone, Copy)]
pub struct OverheadOptions<'a> {
    /// Override the scenario's engine mode.
    pub mode: Option<Mode>,
    /// Called with (engine run index: 0 primary, 1 secondary; trials finished).
    pub progress: Option<&'a (dyn Fn(usize, u64) + Sync)>,
}

/// A finished overhead run: the report, and per trial the horizon-average ledger of each
/// strategy (to evaluate TCO at any downtime cost, e.g. to check a break-even).
#[derive(Debug, Clone)]
pub struct OverheadRun {
    /// The report.
    pub report: OverheadReport,
    /// Strategies in `report.strategies` order.
    pub strategies: Vec<Strategy>,
    /// `[trial][strategy]`: the mean month of the horizon in that trial.
    pub trial_ledgers: Vec<Vec<Ledger>>,
}

impl OverheadRun {
    /// Mean over trials of the horizon-average TCO of `strategy` if downtime cost
    /// `usd_per_hour` instead of the scenario's value: `mean(spend + usd_per_hour × hours)`.
    pub fn mean_tco_at(&self, strategy: Strategy, usd_per_hour: f64) -> Option<f64> {
        let i = self.strategies.iter().position(|s| *s == strategy)?;
        let n = self.trial_ledgers.len() as f64;
        Some(
            self.trial_ledgers
                .iter()
                .map(|t| t[i].spend() + usd_per_hour * t[i].downtime_cost_hours)
                .sum::<f64>()
                / n,
        )
    }
}

/// The scenario with every route moved to the secondary model: same workload, volume and
/// seed (so the same worlds), priced at the secondary's prices and tokenizer. The route's
/// own tokenizer override, output scale, tier and region belong to the primary model and
/// are replaced by the secondary's. A cache-write TTL the secondary does not price is
/// dropped (its cheapest write rate is used) and reported.
pub fn secondary_scenario(
    s: &Scenario,
    sec: &spec::SecondarySpec,
    book: &PriceBook,
) -> Result<(Scenario, Option<String>), OverheadError> {
    let mut s2 = s.clone();
    let mut warning = None;
    for r in &mut s2.routes {
        r.model = sec.model.clone();
        r.tokenizer_ratio = sec.tokenizer_ratio;
        r.output_tokens_scale = sec.output_tokens_scale;
        r.service_tier = sec.service_tier.clone();
        r.region = None;
    }
    let model = book
        .model(&sec.model)
        .map_err(|e| OverheadError::Secondary {
            model: sec.model.clone(),
            cause: EngineError::Route {
                route: 0,
                problem: e,
            },
        })?;
    if let Some(ttl) = &s2.caching.write_ttl {
        let ttls = model.cache_ttls();
        if !ttls.is_empty() && !ttls.contains(ttl) {
            warning = Some(format!(
                "{} has no cache-write TTL '{ttl}' (it has {}); its cheapest write rate prices the secondary",
                sec.model,
                ttls.join(", ")
            ));
            s2.caching.write_ttl = None;
        }
    }
    Ok((s2, warning))
}

/// Eval prices of a path per month: USD per reference token for one case run on every
/// distinct model of the path (base long-context tier).
fn eval_prices(p: &Prepared) -> Vec<(f64, f64)> {
    (0..p.months.len())
        .map(|m| {
            let mut seen: Vec<&str> = Vec::new();
            let (mut i, mut o) = (0.0, 0.0);
            for (r, route) in p.routes.iter().enumerate() {
                if seen.contains(&route.model.as_str()) {
                    continue;
                }
                seen.push(&route.model);
                let card = &p.rates[m][r][0];
                i += card.input * route.tokenizer_ratio / TOKENS_PER_MTOK;
                o += card.output * route.tokenizer_ratio / TOKENS_PER_MTOK;
            }
            (i, o)
        })
        .collect()
}

/// Trials per parallel work item; chunks are reduced in index order so sums do not depend
/// on the number of threads.
const CHUNK: u64 = 256;

/// Per-chunk partial results.
struct Chunk {
    /// `[trial][strategy]` horizon means.
    ledgers: Vec<Vec<Ledger>>,
    /// `[strategy][month][trial]` TCO.
    tco: Vec<Vec<Vec<f64>>>,
    /// `[strategy][month]` sums of ledgers.
    sums: Vec<Vec<Ledger>>,
    /// `[month]` sums of outage measures.
    outages: Vec<MonthOutage>,
    /// Sums over trials of (independent joint-down share, closed-form correlated joint
    /// share, primary uptime, secondary uptime, downtime USD per hour).
    closed: [f64; 5],
    /// Trials whose secondary-only intensity was clamped.
    clamped: u64,
}

/// Run the engine (once or twice) and the overhead model, and build the report.
pub fn run(
    s: &Scenario,
    book: &PriceBook,
    opts: &OverheadOptions<'_>,
) -> Result<OverheadRun, OverheadError> {
    let spec = s
        .overhead_spec
        .as_ref()
        .ok_or_else(|| OverheadError::NoSection {
            scenario: s
                .path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| s.name.clone()),
        })?;
    let mut warnings = Vec::new();
    // Resolve both paths against the price book before simulating anything, so a misspelt
    // secondary model fails in milliseconds, not after the primary's engine run.
    let prepared = Prepared::new(s, book).map_err(OverheadError::Engine)?;
    let needs_secondary = spec.strategies.iter().any(|s| s.needs_secondary());
    let secondary = match (&spec.secondary, needs_secondary) {
        (Some(sec), true) => {
            let (s2, w) = secondary_scenario(s, sec, book)?;
            warnings.extend(w);
            let p2 = Prepared::new(&s2, book).map_err(|e| OverheadError::Secondary {
                model: sec.model.clone(),
                cause: e,
            })?;
            Some((sec, s2, p2))
        }
        _ => None,
    };
    let cb0 = |n: u64| {
        if let Some(f) = opts.progress {
            f(0, n)
        }
    };
    let sim = engine::simulate_prepared(
        s,
        &prepared,
        &SimOptions {
            progress: Some(&cb0),
            mode: opts.mode,
            ..SimOptions::default()
        },
    )
    .map_err(OverheadError::Engine)?;
    warnings.extend(sim.warnings.iter().cloned());
    let (sim2, prepared2) = match secondary {
        Some((sec, s2, p2)) => {
            let cb1 = |n: u64| {
                if let Some(f) = opts.progress {
                    f(1, n)
                }
            };
            let sim2 = engine::simulate_prepared(
                &s2,
                &p2,
                &SimOptions {
                    progress: Some(&cb1),
                    mode: opts.mode,
                    ..SimOptions::default()
                },
            )
            .map_err(|e| OverheadError::Secondary {
                model: sec.model.clone(),
                cause: e,
            })?;
            warnings.extend(sim2.warnings.iter().map(|w| format!("secondary: {w}")));
            (Some(sim2), Some(p2))
        }
        None => (None, None),
    };
    let months = sim.months.len();
    let prices: Vec<EvalPrices> = {
        let p1 = eval_prices(&prepared);
        let p2 = prepared2
            .as_ref()
            .map(eval_prices)
            .unwrap_or_else(|| vec![(0.0, 0.0); months]);
        (0..months)
            .map(|m| EvalPrices {
                primary: p1[m],
                secondary: p2[m],
            })
            .collect()
    };
    let n_trials = sim.totals.first().map_or(0, |v| v.len()) as u64;
    let strategies = spec.strategies.clone();
    let chunks: Vec<Chunk> = (0..n_trials.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            run_chunk(
                spec,
                s.seed,
                c * CHUNK..((c + 1) * CHUNK).min(n_trials),
                &strategies,
                &sim,
                sim2.as_ref(),
                &prices,
            )
        })
        .collect::<Result<_, _>>()
        .map_err(OverheadError::Dist)?;
    let secondary_model = spec.secondary.as_ref().map(|x| x.model.clone());
    let report = report::build(report::Inputs {
        scenario: s,
        spec,
        book,
        sim: &sim,
        secondary_model,
        strategies: &strategies,
        chunks: &chunks,
        warnings,
    });
    let trial_ledgers = chunks.into_iter().flat_map(|c| c.ledgers).collect();
    Ok(OverheadRun {
        report,
        strategies,
        trial_ledgers,
    })
}

fn run_chunk(
    spec: &OverheadSpec,
    seed: u64,
    trials: std::ops::Range<u64>,
    strategies: &[Strategy],
    sim: &Simulation,
    sim2: Option<&Simulation>,
    prices: &[EvalPrices],
) -> Result<Chunk, DistError> {
    let months = sim.months.len();
    let ns = strategies.len();
    let mut c = Chunk {
        ledgers: Vec::with_capacity((trials.end - trials.start) as usize),
        tco: vec![vec![Vec::with_capacity(CHUNK as usize); months]; ns],
        sums: vec![vec![Ledger::default(); months]; ns],
        outages: vec![MonthOutage::default(); months],
        closed: [0.0; 5],
        clamped: 0,
    };
    for t in trials {
        let d = TrialDraws::draw(spec, seed, t)?;
        let out = outage::simulate(&d.outages, months, seed, t);
        let drift = d.drift_events(seed, t, months);
        let mut avg = vec![Ledger::default(); ns];
        for m in 0..months {
            let bills = MonthBills {
                primary: sim.totals[m][t as usize],
                secondary: sim2.map_or(0.0, |s2| s2.totals[m][t as usize]),
            };
            for (i, st) in strategies.iter().enumerate() {
                let l = model::ledger(*st, &d, m, &out[m], bills, prices[m], drift[m]);
                avg[i].add_scaled(&l, 1.0 / months as f64);
                c.sums[i][m].add_scaled(&l, 1.0);
                c.tco[i][m].push(l.tco());
            }
            add_outage(&mut c.outages[m], &out[m]);
        }
        let a1 = d.primary_uptime;
        let a2 = d.secondary_uptime.unwrap_or(1.0);
        c.closed[0] += (1.0 - a1) * (1.0 - a2);
        c.closed[1] += outage::joint_down_share(d.mu[0], d.mu[1], d.mu[2]);
        c.closed[2] += a1;
        c.closed[3] += a2;
        c.closed[4] += d.downtime_usd_per_hour;
        c.clamped += u64::from(d.secondary_clamped);
        c.ledgers.push(avg);
    }
    Ok(c)
}

fn add_outage(acc: &mut MonthOutage, o: &MonthOutage) {
    acc.primary_down += o.primary_down;
    acc.secondary_down += o.secondary_down;
    acc.both_down += o.both_down;
    acc.primary_detection += o.primary_detection;
    acc.primary_detection_both += o.primary_detection_both;
    acc.secondary_detection += o.secondary_detection;
    acc.secondary_detection_both += o.secondary_detection_both;
    acc.degraded_window += o.degraded_window;
    acc.primary_incidents += o.primary_incidents;
    acc.any_incidents += o.any_incidents;
}
