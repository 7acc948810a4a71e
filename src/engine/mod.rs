//! The two-level Monte Carlo engine (DESIGN §1.2–1.4).
//!
//! Outer loop: one trial = one possible world, with its own volume, growth, cache hit rate,
//! failure rates, uncertain distribution parameters and fitted-workload replicate. Inner loop:
//! the months of that world, session by session ([`session`]). The engine accumulates token
//! quantities by route, long-context tier, origin and class, then prices each month with the
//! rate cards resolved up front ([`prepare`]): prices never enter the inner loop.
//!
//! Trials run in parallel with rayon; each trial's random streams derive from
//! `(seed, trial, purpose)` and results are combined in trial order, so output is identical
//! for any number of threads.

pub mod caveats;
pub mod drivers;
pub mod fast;
pub mod naive;
pub mod prepare;
pub(crate) mod price;
#[cfg(test)]
mod reference;
pub mod reuse;
pub mod session;
pub mod tokenizer;
pub mod trial;

use std::cell::RefCell;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;
use serde::Serialize;

use crate::dist::rng::{hash_key, mix64};
use crate::dist::{DistError, FastRng, SamplerCache};
use crate::pricing::{PriceBook, PricingError};
use crate::scenario::{Mode, Scenario};
use crate::units::Month;
use prepare::Prepared;
use price::price_month;
pub use price::{Component, PerComponent};
use session::Acc;
use trial::{Drawn, Draws, Pins, Redraw};

/// Cost component names in report order ([`Component::NAMES`]); they sum to the bill.
pub const COMPONENTS: [&str; price::N_COMPONENTS] = Component::NAMES;

/// What can go wrong while simulating.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EngineError {
    /// A route's model, tier, region, TTL or tool is not in the price book.
    #[error("routes[{route}]: {problem}")]
    Route {
        /// Route index.
        route: usize,
        /// The pricing problem (part of the message, not a separate cause, so it prints once).
        problem: PricingError,
    },
    /// A distribution could not be built from drawn parameters.
    #[error("{0}")]
    Dist(DistError),
    /// The requested mode cannot run this scenario.
    #[error("{0}")]
    Mode(String),
    /// A bug: please report it.
    #[error("internal error: {0}")]
    Internal(String),
    /// A bill came out NaN or infinite. Validation bounds every input (`scenario::limits`),
    /// so this is a bug; it is an error rather than a number a cost gate could read as safe.
    #[error(
        "the bill of trial {trial} in {month} is {value}, not a finite number; the inputs passed validation, so this is a bug in billcast — please report it with the scenario"
    )]
    NonFinite {
        /// Month, `YYYY-MM`.
        month: String,
        /// Trial index.
        trial: u64,
        /// The value (`NaN`, `inf`).
        value: f64,
    },
}

/// Options of one run.
#[derive(Default, Clone, Copy)]
pub struct SimOptions<'a> {
    /// Inputs pinned at quantiles (sensitivity analysis).
    pub pins: Option<&'a Pins>,
    /// Called with the number of trials finished.
    pub progress: Option<&'a (dyn Fn(u64) + Sync)>,
    /// Override the scenario's mode.
    pub mode: Option<Mode>,
    /// Evaluate every epistemic input at this quantile in every trial (0.5 = the median
    /// world): only the aleatoric month-to-month spread remains. Deterministic what-ifs and the
    /// fast-vs-exact accuracy test use it.
    pub all_at: Option<f64>,
    /// Inputs drawn with another seed (Sobol pick-freeze designs, see [`Redraw`]).
    pub redraw: Option<&'a Redraw>,
}

/// Mean volumes of one month.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq)]
pub struct Volumes {
    /// Sessions.
    pub sessions: f64,
    /// Turns (user requests).
    pub turns: f64,
    /// Successful model calls.
    pub calls: f64,
    /// Attempts, including failed ones.
    pub attempts: f64,
    /// Calls abandoned after every attempt failed.
    pub abandoned_calls: f64,
    /// Client tool calls.
    pub tool_calls: f64,
    /// Calls whose input exceeds the model's context window (priced as sent; a provider would
    /// reject them). Written to JSON only when there are any.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub over_context_calls: f64,
    /// Tokens by class (all origins): input, cache_read, cache_write, output, reasoning.
    pub tokens: [f64; 5],
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

/// The result of a run: per month, the bill of every trial and mean breakdowns.
#[derive(Debug, Clone, PartialEq)]
pub struct Simulation {
    /// Months forecast.
    pub months: Vec<Month>,
    /// Route names.
    pub route_names: Vec<String>,
    /// Route models.
    pub route_models: Vec<String>,
    /// Trials run.
    pub trials: u64,
    /// Seed.
    pub seed: u64,
    /// Mode that ran (`exact` or `fast`).
    pub mode: Mode,
    /// Why that mode.
    pub mode_reason: String,
    /// Bill of every trial: `[month][trial]`, USD.
    pub totals: Vec<Vec<f64>>,
    /// Mean USD by component, per month.
    pub components: Vec<PerComponent>,
    /// Mean USD by route: `[month][route]`.
    pub routes: Vec<Vec<f64>>,
    /// Mean volumes per month.
    pub volumes: Vec<Volumes>,
    /// Volumes of every trial: `[month][trial]` (backtests compare token and call totals).
    pub trial_volumes: Vec<Vec<Volumes>>,
    /// Token cost of every route in every trial, USD (tool fees excluded):
    /// `[month][trial · routes + route]`. Token-priced cost scales with a route's tokenizer
    /// ratio, so [`tokenizer`] reprices from it.
    pub trial_route_tokens: Vec<Vec<f64>>,
    /// The uniform `u` each trial drew for each of its once-per-trial (epistemic) inputs, in
    /// the order first drawn (see [`trial::Draws::record`]); [`drivers`] estimates variance
    /// shares from them without re-running the engine.
    pub inputs: Vec<InputDraws>,
    /// Warnings for the report.
    pub warnings: Vec<String>,
    /// Price schedule dates used: (month, model, rates effective from).
    pub price_dates: Vec<(String, String, Option<String>)>,
}

/// What every trial drew for one epistemic input.
#[derive(Debug, Clone, PartialEq)]
pub struct InputDraws {
    /// Key as in [`trial::Pins`], e.g. `traffic.monthly_active_users` or `shift.count`.
    pub key: String,
    /// The uniform of every trial, in trial order (`NaN` where a trial did not draw it). In
    /// fast mode the inputs that shape sessions repeat across the trials of one replicate.
    pub u: Vec<f64>,
}

/// Gather per-trial `(key, u)` records into one column per key (first-seen order; a key
/// drawn twice in a trial keeps its first value, which is the same one).
fn input_columns(records: &[Drawn]) -> Vec<InputDraws> {
    let mut cols: Vec<InputDraws> = Vec::new();
    let mut index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (t, rec) in records.iter().enumerate() {
        for (key, u) in rec {
            let i = match index.get(key.as_str()) {
                Some(&i) => i,
                None => {
                    cols.push(InputDraws {
                        key: key.clone(),
                        u: vec![f64::NAN; records.len()],
                    });
                    index.insert(key.as_str(), cols.len() - 1);
                    cols.len() - 1
                }
            };
            if cols[i].u[t].is_nan() {
                cols[i].u[t] = *u;
            }
        }
    }
    cols
}

/// One priced month of one trial.
#[derive(Debug, Clone, Default)]
pub(crate) struct MonthOut {
    pub(crate) total: f64,
    pub(crate) comp: PerComponent,
    pub(crate) routes: Vec<f64>,
    /// Token cost by route when tool fees were added to `routes` (empty: equal to `routes`).
    pub(crate) route_tokens: Vec<f64>,
    pub(crate) vol: Volumes,
}

impl MonthOut {
    /// Token cost by route, tool fees excluded.
    fn route_tokens(&self) -> &[f64] {
        if self.route_tokens.is_empty() {
            &self.routes
        } else {
            &self.route_tokens
        }
    }
}

/// Stream purpose of the inner loop of (month, segment).
fn inner_purpose(month: usize, seg: usize) -> u64 {
    mix64(hash_key("inner") ^ ((month as u64) << 20) ^ seg as u64)
}

/// Stochastic rounding: `floor(x)` plus one with probability `frac(x)`; keeps `E[n] = x`.
fn round_count(x: f64, rng: &mut FastRng) -> u64 {
    if x.is_nan() || x <= 0.0 {
        return 0;
    }
    let f = x.floor();
    (f as u64) + u64::from(rng.uniform() < x - f)
}

/// Above this many sessions across all trials (median world), `auto` picks fast mode.
pub const AUTO_EXACT_MAX: f64 = 5e6;

/// Sessions an exact run would simulate in the median world, over all months and trials.
pub fn expected_session_trials(s: &Scenario) -> f64 {
    let d = Draws {
        seed: s.seed,
        trial: 0,
        pins: None,
        all_at: Some(0.5),
        redraw: None,
        record: None,
    };
    let Ok(vol) = trial::draw_volume(s, &d) else {
        return f64::INFINITY;
    };
    let per_trial: f64 = (0..s.horizon_months as usize)
        .map(|m| {
            (0..s.segments.len())
                .map(|seg| trial::month_sessions(s, &vol, seg, m))
                .sum::<f64>()
        })
        .sum();
    per_trial * s.trials as f64
}

/// The mode a run of `s` uses when `requested` is asked for, and why: `auto` picks exact
/// when at most [`AUTO_EXACT_MAX`] sessions would be simulated across all trials.
pub fn resolve_mode(s: &Scenario, requested: Mode) -> (Mode, String) {
    let work = expected_session_trials(s);
    match requested {
        Mode::Exact => (Mode::Exact, "exact mode requested".to_string()),
        Mode::Fast => (Mode::Fast, "fast mode requested".to_string()),
        Mode::Auto if work <= AUTO_EXACT_MAX => (
            Mode::Exact,
            format!(
                "auto: about {} sessions across all trials, small enough to simulate every one",
                crate::units::format_count(work)
            ),
        ),
        Mode::Auto => (
            Mode::Fast,
            format!(
                "auto: exact would simulate about {} sessions; fast mode aggregates each month analytically from a pilot",
                crate::units::format_count(work)
            ),
        ),
    }
}

/// Refuse an exact run that would simulate more than
/// [`crate::scenario::limits::EXACT_CALL_BUDGET`] model calls (expected sessions across all
/// months and trials × mean calls per session): it would run for hours.
fn check_exact_budget(s: &Scenario) -> Result<(), EngineError> {
    use crate::scenario::limits::{EXACT_CALL_BUDGET, scenario_calls_per_session};
    let calls = expected_session_trials(s) * scenario_calls_per_session(s);
    if calls > EXACT_CALL_BUDGET {
        return Err(EngineError::Mode(format!(
            "exact mode would simulate about {calls:.1e} model calls ({} trials), more than the limit of {EXACT_CALL_BUDGET:.0e} (hours of CPU); use --mode fast or auto, or fewer trials",
            s.trials
        )));
    }
    Ok(())
}

/// Simulate `scenario` priced with `book`.
pub fn simulate(
    scenario: &Scenario,
    book: &PriceBook,
    opts: &SimOptions<'_>,
) -> Result<Simulation, EngineError> {
    let prepared = Prepared::new(scenario, book)?;
    simulate_prepared(scenario, &prepared, opts)
}

/// Simulate with routes already resolved.
pub fn simulate_prepared(
    s: &Scenario,
    p: &Prepared,
    opts: &SimOptions<'_>,
) -> Result<Simulation, EngineError> {
    let (mode, reason) = resolve_mode(s, opts.mode.unwrap_or(s.mode));
    match mode {
        Mode::Fast => {
            let cache = Mutex::new(SamplerCache::new());
            let run = fast::run(s, p, opts, &cache)?;
            from_fast(s, p, reason, run)
        }
        _ => {
            check_exact_budget(s)?;
            let (mut priced, records) = run_exact(s, &p.session_inputs(), &[p], opts)?;
            let trials = priced.pop().unwrap_or_default();
            assemble(s, p, Mode::Exact, reason, trials, &records)
        }
    }
}

/// The simulation of a fast run, its mode reason completed with how it ran.
pub(crate) fn from_fast(
    s: &Scenario,
    p: &Prepared,
    mut reason: String,
    run: fast::FastRun,
) -> Result<Simulation, EngineError> {
    reason.push_str(&format!(
        " ({} replicate{} × {} pilot sessions; Cornish–Fisher aggregate where |skewness of the monthly sum| ≤ {}, exact otherwise: {} trial-months simulated exactly)",
        run.replicates,
        if run.replicates == 1 { "" } else { "s" },
        crate::units::format_count(run.pilot as f64),
        fast::MAX_SUM_SKEW,
        run.exact_fallbacks
    ));
    assemble(s, p, Mode::Fast, reason, run.trials, &run.inputs)
}

/// Priced trial-months of an exact run, `[pricing][trial][month]`, and what each trial drew.
pub(crate) type ExactOut = (Vec<Vec<Vec<MonthOut>>>, Vec<Drawn>);

/// Simulate every trial of `s` session by session, accumulating quantities once and pricing
/// them with each of `pricings` (all prepared from scenarios whose session simulation reads
/// `si`, see [`reuse`]): `[pricing][trial][month]`, and what each trial drew.
pub(crate) fn run_exact(
    s: &Scenario,
    si: &prepare::SessionInputs,
    pricings: &[&Prepared],
    opts: &SimOptions<'_>,
) -> Result<ExactOut, EngineError> {
    let cache = Mutex::new(SamplerCache::new());
    let done = AtomicU64::new(0);
    let (per_trial, records): (Vec<Vec<Vec<MonthOut>>>, Vec<Drawn>) = (0..s.trials)
        .into_par_iter()
        .map(|t| {
            let out = run_trial(s, si, pricings, t, opts, &cache);
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            if let Some(f) = opts.progress {
                f(n);
            }
            out
        })
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .unzip();
    // `[trial][pricing][month]` → `[pricing][trial][month]`.
    let mut priced: Vec<Vec<Vec<MonthOut>>> = (0..pricings.len())
        .map(|_| Vec::with_capacity(per_trial.len()))
        .collect();
    for trial in per_trial {
        for (k, months) in trial.into_iter().enumerate() {
            priced[k].push(months);
        }
    }
    Ok((priced, records))
}

/// Build the [`Simulation`] of `s` priced with `p` from its priced trial-months
/// (`[trial][month]`) and what each trial drew.
pub(crate) fn assemble(
    s: &Scenario,
    p: &Prepared,
    mode: Mode,
    reason: String,
    trials: Vec<Vec<MonthOut>>,
    records: &[Drawn],
) -> Result<Simulation, EngineError> {
    let n_months = p.months.len();
    let mut sim = Simulation {
        months: p.months.clone(),
        route_names: p.routes.iter().map(|r| r.name.clone()).collect(),
        route_models: p.routes.iter().map(|r| r.model.clone()).collect(),
        trials: s.trials,
        seed: s.seed,
        mode,
        mode_reason: reason,
        totals: vec![Vec::with_capacity(trials.len()); n_months],
        components: vec![PerComponent::default(); n_months],
        routes: vec![vec![0.0; p.routes.len()]; n_months],
        volumes: vec![Volumes::default(); n_months],
        trial_volumes: vec![Vec::with_capacity(trials.len()); n_months],
        trial_route_tokens: vec![Vec::with_capacity(trials.len() * p.routes.len()); n_months],
        inputs: input_columns(records),
        warnings: p.warnings.clone(),
        price_dates: p.price_dates.clone(),
    };
    // No NaN or infinite bill leaves the engine (a cost gate would read NaN as under budget).
    for (t, months) in trials.iter().enumerate() {
        if let Some((m, mo)) = months
            .iter()
            .enumerate()
            .find(|(_, mo)| !mo.total.is_finite())
        {
            return Err(EngineError::NonFinite {
                month: p.months[m].to_string(),
                trial: t as u64,
                value: mo.total,
            });
        }
    }
    let n = trials.len() as f64;
    for t in &trials {
        for (m, mo) in t.iter().enumerate() {
            sim.totals[m].push(mo.total);
            sim.trial_volumes[m].push(mo.vol.clone());
            sim.trial_route_tokens[m].extend_from_slice(mo.route_tokens());
            for c in Component::ALL {
                sim.components[m][c] += mo.comp[c] / n;
            }
            for (r, x) in mo.routes.iter().enumerate() {
                sim.routes[m][r] += x / n;
            }
            let v = &mut sim.volumes[m];
            v.sessions += mo.vol.sessions / n;
            v.turns += mo.vol.turns / n;
            v.calls += mo.vol.calls / n;
            v.attempts += mo.vol.attempts / n;
            v.abandoned_calls += mo.vol.abandoned_calls / n;
            v.tool_calls += mo.vol.tool_calls / n;
            v.over_context_calls += mo.vol.over_context_calls / n;
            for c in 0..5 {
                v.tokens[c] += mo.vol.tokens[c] / n;
            }
        }
    }
    let notes = caveats::caveats(s, p, &sim);
    sim.warnings.extend(notes);
    Ok(sim)
}

/// One trial: its quantities month by month, priced with each of `pricings`
/// (`[pricing][month]`), and what it drew.
fn run_trial(
    s: &Scenario,
    si: &prepare::SessionInputs,
    pricings: &[&Prepared],
    t: u64,
    opts: &SimOptions<'_>,
    cache: &Mutex<SamplerCache>,
) -> Result<(Vec<Vec<MonthOut>>, Drawn), EngineError> {
    let record = RefCell::new(Vec::new());
    let d = Draws {
        seed: s.seed,
        trial: t,
        pins: opts.pins,
        all_at: opts.all_at,
        redraw: opts.redraw,
        record: Some(&record),
    };
    let vol = trial::draw_volume(s, &d)?;
    let sims = s
        .segments
        .iter()
        .enumerate()
        .map(|(i, seg)| trial::session_sim(s, si, i, seg, &d, vol.one_turn, cache))
        .collect::<Result<Vec<_>, _>>()?;
    let mut acc = Acc::new(si.routes.len(), si.tiers, si.tool_ids.len());
    let mut priced: Vec<Vec<MonthOut>> = pricings
        .iter()
        .map(|_| Vec::with_capacity(si.months.len()))
        .collect();
    for m in 0..si.months.len() {
        acc.clear();
        for (k, sim) in sims.iter().enumerate() {
            let mut rng = FastRng::for_stream(s.seed, t, inner_purpose(m, k));
            let n = round_count(trial::month_sessions(s, &vol, k, m), &mut rng);
            sim.sessions(n, &mut rng, &mut acc);
        }
        for (p, out) in pricings.iter().zip(priced.iter_mut()) {
            out.push(price_month(p, m, &acc));
        }
    }
    Ok((priced, record.into_inner()))
}
