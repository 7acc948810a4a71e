//! Fast mode (DESIGN §1.2): simulate a pilot of sessions per replicate, keep the moments of
//! the per-session cost, and aggregate a month of `N` sessions analytically.
//!
//! A month's bill is a sum of `N` independent session costs with mean `μ`, variance `σ²` and
//! skewness `γ₁`; it is drawn as the Cornish–Fisher quantile
//! `Nμ + √N σ (z + γ(z² − 1)/6)` with `z ~ N(0, 1)` and `γ = γ₁/√N` (the skewness of the sum),
//! which corrects the normal approximation for the right skew that heavy-tailed sessions give.
//!
//! Stated criterion: the expansion is used only when `|γ| ≤ 0.2` (below that the next
//! Edgeworth term moves the P95 by well under 0.5% of the month's standard deviation); a
//! trial-month that fails it — few sessions or a very heavy tail — is simulated exactly,
//! session by session, and counted in the report.
//!
//! Inputs that change the session distribution between trials (uncertain distribution
//! parameters, a fitted replicate, cache hit rate, failure rates, the system prompt, the
//! size/count shift) are drawn per replicate: trial `t` uses replicate `t mod R`, `R ≤ 256`.
//! When nothing varies, one replicate with a large pilot carries all trials.

use std::cell::RefCell;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use super::prepare::{Prepared, SessionInputs};
use super::price::{Component, PerComponent, component_costs, price_tokens, settle_tool_fees};
use super::session::{Acc, SessionSim};
use super::trial::{self, Drawn, Draws};
use super::{EngineError, MonthOut, Volumes, inner_purpose, round_count};
use crate::dist::family::norm_quantile;
use crate::dist::rng::{hash_key, mix64};
use crate::dist::{FastRng, SamplerCache};
use crate::scenario::Scenario;

/// Largest number of replicates.
pub const MAX_REPLICATES: u64 = 256;
/// Largest pilot, in sessions across replicates (per segment). With one replicate the pilot's
/// sampling error is a common bias of every trial: 10⁶ sessions keep it at `cv/1000` (0.1%
/// of the mean for a session-cost CV of 1), well inside the 0.5% fast-vs-exact tolerance.
pub const PILOT_BUDGET: u64 = 1_000_000;
/// Pilot sessions per trial: small runs get a smaller pilot (at 500 trials, 50,000 sessions),
/// whose bias `cv/√pilot` stays well below the trials' own Monte Carlo error.
pub const PILOT_PER_TRIAL: u64 = 100;
/// Smallest total pilot.
pub const PILOT_FLOOR: u64 = 50_000;
/// Smallest pilot per replicate.
pub const MIN_PILOT: u64 = 2_000;
/// Largest |skewness of the monthly sum| for the analytic aggregate.
pub const MAX_SUM_SKEW: f64 = 0.2;

/// Moments of one segment's session cost under one replicate.
#[derive(Clone, Debug)]
pub struct PilotStats {
    /// Sessions in the pilot.
    pub n: f64,
    /// Mean quantity vector per session (accumulator layout).
    pub mean_q: Vec<f64>,
    /// Mean priced tool uses per session.
    pub mean_tools: Vec<f64>,
    /// Per pricing, per month: mean, variance and third central moment of the session's token
    /// cost, USD (one pilot serves every pricing of the same quantities, see [`Pilot`]).
    pub cost: Vec<Vec<[f64; 3]>>,
    /// Mean volumes per session.
    pub vol: Volumes,
}

/// Run the pilot of one segment under one replicate; `units` holds, per pricing, the unit
/// costs of every month. Each pricing's moments go through the same running sums as a pilot
/// priced alone, so they are bit for bit the same.
fn pilot(
    sim: &SessionSim,
    p: &SessionInputs,
    units: &[Vec<Vec<f64>>],
    n: u64,
    rng: &mut FastRng,
) -> PilotStats {
    let mut one = Acc::new(p.routes.len(), p.tiers, p.tool_ids.len());
    let mut sum = Acc::new(p.routes.len(), p.tiers, p.tool_ids.len());
    // Months and pricings with the same unit costs (rates rarely change within a horizon)
    // share one running sum: `which[pricing][month]` indexes `distinct`.
    let mut distinct: Vec<&[f64]> = Vec::new();
    let which: Vec<Vec<usize>> = units
        .iter()
        .map(|pricing| {
            pricing
                .iter()
                .map(
                    |uq| match distinct.iter().position(|d| *d == uq.as_slice()) {
                        Some(i) => i,
                        None => {
                            distinct.push(uq);
                            distinct.len() - 1
                        }
                    },
                )
                .collect()
        })
        .collect();
    // Welford-style running moments per distinct unit-cost vector (mean, M2, M3).
    let mut mom = vec![[0.0f64; 3]; distinct.len()];
    for k in 0..n {
        one.clear();
        sim.session(rng, &mut one);
        sum.add(&one);
        let kf = (k + 1) as f64;
        for (uq, mm) in distinct.iter().zip(mom.iter_mut()) {
            let c: f64 = one.q.iter().zip(uq.iter()).map(|(a, b)| a * b).sum::<f64>();
            let [mean, m2, m3] = mm;
            let delta = c - *mean;
            let dn = delta / kf;
            let term1 = delta * dn * (kf - 1.0);
            *mean += dn;
            *m3 += term1 * dn * (kf - 2.0) - 3.0 * dn * *m2;
            *m2 += term1;
        }
    }
    let nf = n.max(1) as f64;
    PilotStats {
        n: nf,
        mean_q: sum.q.iter().map(|x| x / nf).collect(),
        mean_tools: sum.tools.iter().map(|x| x / nf).collect(),
        cost: which
            .iter()
            .map(|months| {
                months
                    .iter()
                    .map(|&i| {
                        let [mean, m2, m3] = mom[i];
                        [mean, m2 / nf, m3 / nf]
                    })
                    .collect()
            })
            .collect(),
        vol: Volumes {
            sessions: 1.0,
            turns: sum.turns / nf,
            calls: sum.calls / nf,
            attempts: sum.attempts / nf,
            abandoned_calls: sum.abandoned / nf,
            tool_calls: sum.tool_calls / nf,
            over_context_calls: sum.over_context / nf,
            tokens: {
                let mut t = [0.0; 5];
                for s in super::price::slots(p.routes.len(), p.tiers) {
                    t[s.class as usize] += sum.q[s.index] / nf;
                }
                t
            },
        },
    }
}

/// Mean USD by component and by route of one session's tokens under month `m`'s prices
/// (`units`: that month's unit costs).
fn component_means(p: &SessionInputs, stats: &PilotStats, units: &[f64]) -> SessionMeans {
    component_costs(p.routes.len(), p.tiers, &stats.mean_q, units)
}

/// Mean USD per session by component and by route.
type SessionMeans = (PerComponent, Vec<f64>);

/// Whether anything about a session's distribution changes between trials.
pub fn inner_varies(s: &Scenario) -> bool {
    use crate::dist::Uncertain;
    let per_trial = |x: &Uncertain| !x.is_fixed();
    let params_vary = |x: &Uncertain| x.has_uncertain_params();
    s.segments.iter().any(|seg| {
        let w = &seg.workload;
        !w.replicates.is_empty()
            || per_trial(&w.system_prompt_tokens)
            || [
                &w.turns_per_session,
                &w.user_message_tokens,
                &w.output_tokens,
                &w.reasoning_tokens,
                &w.tool_rounds_per_turn,
                &w.tool_calls_per_round,
                &w.tool_result_tokens,
            ]
            .iter()
            .any(|x| params_vary(x))
            || w.input_tokens.as_ref().is_some_and(params_vary)
    }) || per_trial(&s.caching.hit_rate)
        || s.retries.classes.iter().any(|c| per_trial(&c.p))
        || per_trial(&s.shift.size)
        || per_trial(&s.shift.count)
}

/// Outcome of a fast run.
pub(crate) struct FastRun {
    /// `[trial][month]`.
    pub trials: Vec<Vec<MonthOut>>,
    /// `(key, u)` of every once-per-trial input of each trial: its own volume draws, then
    /// the session-shaping draws of its replicate.
    pub inputs: Vec<Drawn>,
    /// Replicates used.
    pub replicates: u64,
    /// Pilot sessions per replicate and segment.
    pub pilot: u64,
    /// Trial-months simulated exactly because the analytic criterion failed.
    pub exact_fallbacks: u64,
}

/// The pilot of a fast run, kept so that runs which simulate the same sessions — the same
/// scenario apart from volume and prices, see [`super::reuse`] — aggregate from it instead of
/// simulating their own: the aggregate of a trial reads the pilot only through its moments,
/// so it is bit for bit what a run with its own (identical) pilot gives.
pub struct Pilot {
    /// Replicates.
    pub(crate) replicates: u64,
    /// Pilot sessions per replicate and segment.
    pub(crate) pilot_n: u64,
    /// Per replicate: session simulators, pilot statistics per segment, inputs drawn.
    pub(crate) reps: Vec<Replicate>,
    /// Per pricing, per month, USD per token of each accumulator slot: the moments in the
    /// statistics are for these, in this order.
    pub(crate) units: Vec<Vec<Vec<f64>>>,
}

impl Pilot {
    /// Index of the pricing with unit costs `units`, if the pilot has its moments.
    pub(crate) fn pricing(&self, units: &[Vec<f64>]) -> Option<usize> {
        self.units.iter().position(|u| u.as_slice() == units)
    }
}

/// Replicates and pilot sessions per replicate of a fast run of `s`.
pub(crate) fn pilot_size(s: &Scenario, all_at: Option<f64>) -> (u64, u64) {
    // Replicates only when something about sessions changes between trials; a pinned world
    // (`all_at`) has one session distribution.
    let replicates = if inner_varies(s) && all_at.is_none() {
        s.trials.min(MAX_REPLICATES)
    } else {
        1
    };
    // One replicate carries every trial, so its pilot error is a common bias: always use the
    // full budget. Several replicates average their errors: scale with the trials.
    let budget = if replicates == 1 {
        PILOT_BUDGET
    } else {
        (PILOT_PER_TRIAL * s.trials).clamp(PILOT_FLOOR, PILOT_BUDGET)
    };
    (replicates, (budget / replicates).max(MIN_PILOT))
}

/// One replicate's session simulators (one per segment) and the inputs it drew.
pub(crate) type ReplicateSims = (Vec<SessionSim>, Drawn);

/// Build each replicate's session simulators, with the inputs each drew (no pilot yet).
pub(crate) fn replicate_sims(
    s: &Scenario,
    p: &SessionInputs,
    opts: &super::SimOptions<'_>,
    replicates: u64,
    cache: &Mutex<SamplerCache>,
) -> Result<Vec<ReplicateSims>, EngineError> {
    (0..replicates)
        .into_par_iter()
        .map(|r| {
            // Replicate r draws its inner inputs as trial r would (same keys, same seed), so
            // fast and exact see the same worlds for the first R trials.
            let record = RefCell::new(Vec::new());
            let d = Draws {
                seed: s.seed,
                trial: r,
                pins: opts.pins,
                all_at: opts.all_at,
                redraw: opts.redraw,
                record: Some(&record),
            };
            let one_turn = matches!(s.volume, crate::scenario::Volume::Requests(_));
            let sims = s
                .segments
                .iter()
                .enumerate()
                .map(|(i, seg)| trial::session_sim(s, p, i, seg, &d, one_turn, cache))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((sims, record.into_inner()))
        })
        .collect()
}

/// Run the pilots of `sims` (from [`replicate_sims`]), with moments for every pricing in
/// `units` (per pricing, per month: see [`super::price::unit_costs`]).
pub(crate) fn run_pilot(
    s: &Scenario,
    p: &SessionInputs,
    sims: Vec<ReplicateSims>,
    pilot_n: u64,
    units: Vec<Vec<Vec<f64>>>,
) -> Pilot {
    let rep_seed = mix64(s.seed ^ hash_key("fast-replicate"));
    let replicates = sims.len() as u64;
    // Pilots, one per replicate and segment, each with its own stream.
    let reps: Vec<Replicate> = sims
        .into_par_iter()
        .enumerate()
        .map(|(r, (sims, drawn))| {
            let stats = sims
                .iter()
                .enumerate()
                .map(|(i, sim)| {
                    let mut rng = FastRng::for_stream(
                        rep_seed,
                        r as u64,
                        mix64(hash_key("pilot") ^ i as u64),
                    );
                    pilot(sim, p, &units, pilot_n, &mut rng)
                })
                .collect();
            (sims, stats, drawn)
        })
        .collect();
    Pilot {
        replicates,
        pilot_n,
        reps,
        units,
    }
}

/// Run fast mode: a pilot of its own, then the aggregate.
pub(crate) fn run(
    s: &Scenario,
    p: &Prepared,
    opts: &super::SimOptions<'_>,
    cache: &Mutex<SamplerCache>,
) -> Result<FastRun, EngineError> {
    let si = p.session_inputs();
    let (replicates, pilot_n) = pilot_size(s, opts.all_at);
    let sims = replicate_sims(s, &si, opts, replicates, cache)?;
    let pilot = run_pilot(s, &si, sims, pilot_n, vec![super::price::unit_costs(p)]);
    aggregate(s, p, opts, &pilot, 0)
}

/// Aggregate every trial of `s` priced with `p` from a pilot, using the pilot's moments of
/// pricing `pricing` (whose unit costs must be [`super::price::unit_costs`] of `p`). Volume draws, the monthly
/// session counts and the analytic sums are this run's own.
pub(crate) fn aggregate(
    s: &Scenario,
    p: &Prepared,
    opts: &super::SimOptions<'_>,
    pilot: &Pilot,
    pricing: usize,
) -> Result<FastRun, EngineError> {
    let (pins, progress, all_at, redraw) = (opts.pins, opts.progress, opts.all_at, opts.redraw);
    let units = &pilot.units[pricing];
    let (replicates, pilot_n, reps) = (pilot.replicates, pilot.pilot_n, &pilot.reps);
    check_fallback_budget(s, reps, pricing)?;
    let si = p.session_inputs();
    let comps: Vec<Vec<Vec<SessionMeans>>> = reps
        .iter()
        .map(|(_, stats, _)| {
            stats
                .iter()
                .map(|st| units.iter().map(|u| component_means(&si, st, u)).collect())
                .collect()
        })
        .collect();
    let done = AtomicU64::new(0);
    let fallbacks = AtomicU64::new(0);
    let nt = p.tool_ids.len();
    let (trials, inputs): (Vec<Vec<MonthOut>>, Vec<Drawn>) = (0..s.trials)
        .into_par_iter()
        .map(|t| {
            let record = RefCell::new(Vec::new());
            let d = Draws {
                seed: s.seed,
                trial: t,
                pins,
                all_at,
                redraw,
                record: Some(&record),
            };
            let vol = trial::draw_volume(s, &d)?;
            let r = (t % replicates) as usize;
            let (sims, stats, rep_inputs) = &reps[r];
            let mut months = Vec::with_capacity(p.months.len());
            for m in 0..p.months.len() {
                let mut out = MonthOut {
                    routes: vec![0.0; p.routes.len()],
                    ..Default::default()
                };
                let mut tool_counts = vec![0.0; p.routes.len() * nt];
                for (si, st) in stats.iter().enumerate() {
                    let mut rng = FastRng::for_stream(s.seed, t, inner_purpose(m, si));
                    let n = round_count(trial::month_sessions(s, &vol, si, m), &mut rng) as f64;
                    if n == 0.0 {
                        continue;
                    }
                    let [mu, var, m3] = st.cost[pricing][m];
                    let skew = if var > 0.0 {
                        m3 / var.powf(1.5) / n.sqrt()
                    } else {
                        0.0
                    };
                    if skew.abs() > MAX_SUM_SKEW {
                        // Too few sessions (or too heavy a tail) for the expansion: simulate.
                        fallbacks.fetch_add(1, Ordering::Relaxed);
                        let mut acc = Acc::new(p.routes.len(), p.tiers, nt);
                        sims[si].sessions(n as u64, &mut rng, &mut acc);
                        let mo = price_tokens(p, m, &acc);
                        out.total += mo.total;
                        for c in Component::ALL {
                            out.comp[c] += mo.comp[c];
                        }
                        for (rr, x) in mo.routes.iter().enumerate() {
                            out.routes[rr] += x;
                        }
                        for (i, x) in acc.tools.iter().enumerate() {
                            tool_counts[i] += x;
                        }
                        add_vol(&mut out.vol, &mo.vol, 1.0);
                        continue;
                    }
                    let z = norm_quantile(rng.uniform_open());
                    let x = n * mu + (n * var).sqrt() * (z + skew * (z * z - 1.0) / 6.0);
                    let (comp, routes) = &comps[r][si][m];
                    // Attribute the draw's deviation from its mean to components in proportion
                    // to their means, so components always sum to the bill.
                    let f = if mu > 0.0 { x / (n * mu) } else { 0.0 };
                    out.total += x;
                    for c in Component::ALL {
                        out.comp[c] += n * comp[c] * f;
                    }
                    for (rr, y) in routes.iter().enumerate() {
                        out.routes[rr] += n * y * f;
                    }
                    for (i, y) in st.mean_tools.iter().enumerate() {
                        tool_counts[i] += n * y;
                    }
                    add_vol(&mut out.vol, &st.vol, n);
                }
                // Tool fees with free allowances on the month's tool counts (expected counts
                // for analytic segments: their relative noise is O(1/√N)).
                settle_tool_fees(p, &tool_counts, &mut out);
                months.push(out);
            }
            let k = done.fetch_add(1, Ordering::Relaxed) + 1;
            if let Some(f) = progress {
                f(k);
            }
            let mut drawn = record.into_inner();
            drawn.extend(rep_inputs.iter().cloned());
            Ok((months, drawn))
        })
        .collect::<Result<Vec<_>, EngineError>>()?
        .into_iter()
        .unzip();
    Ok(FastRun {
        trials,
        inputs,
        replicates,
        pilot: pilot_n,
        exact_fallbacks: fallbacks.load(Ordering::Relaxed),
    })
}

/// One replicate of fast mode: its session simulators, their pilots' statistics, and the
/// inputs it drew.
type Replicate = (Vec<SessionSim>, Vec<PilotStats>, Drawn);

/// Refuse a run whose trial-months too skewed for the analytic aggregate (simulated exactly,
/// session by session) would add up to more than
/// [`crate::scenario::limits::EXACT_CALL_BUDGET`] model calls, the budget exact mode has:
/// estimated in the median world's volume from each replicate's pilot skewness and calls per
/// session, before any trial runs.
fn check_fallback_budget(
    s: &Scenario,
    reps: &[Replicate],
    pricing: usize,
) -> Result<(), EngineError> {
    use crate::scenario::limits::EXACT_CALL_BUDGET;
    let d = Draws {
        seed: s.seed,
        trial: 0,
        pins: None,
        all_at: Some(0.5),
        redraw: None,
        record: None,
    };
    let Ok(vol) = trial::draw_volume(s, &d) else {
        return Ok(());
    };
    let trials_per_rep = s.trials as f64 / reps.len().max(1) as f64;
    let mut calls = 0.0;
    for (_, stats, _) in reps {
        for (si, st) in stats.iter().enumerate() {
            for (m, [_, var, m3]) in st.cost[pricing].iter().enumerate() {
                let n = trial::month_sessions(s, &vol, si, m);
                if n >= 1.0 && *var > 0.0 && (m3 / var.powf(1.5) / n.sqrt()).abs() > MAX_SUM_SKEW {
                    calls += trials_per_rep * n * st.vol.calls;
                }
            }
        }
    }
    if calls > EXACT_CALL_BUDGET {
        return Err(EngineError::Mode(format!(
            "a session's cost is too skewed for fast mode to aggregate these months analytically, and simulating them session by session would take about {calls:.1e} model calls ({} trials), more than the limit of {EXACT_CALL_BUDGET:.0e} (hours of CPU); use fewer trials",
            s.trials
        )));
    }
    Ok(())
}

fn add_vol(a: &mut Volumes, b: &Volumes, n: f64) {
    a.sessions += b.sessions * n;
    a.turns += b.turns * n;
    a.calls += b.calls * n;
    a.attempts += b.attempts * n;
    a.abandoned_calls += b.abandoned_calls * n;
    a.tool_calls += b.tool_calls * n;
    a.over_context_calls += b.over_context_calls * n;
    for c in 0..5 {
        a.tokens[c] += b.tokens[c] * n;
    }
}
