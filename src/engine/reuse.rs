//! Answer several runs with as few simulations as the changes between them allow (issue 22;
//! DESIGN §1.3 "quantities first, prices second").
//!
//! A what-if runs the engine on variants of one scenario. Two kinds of variant need no
//! simulation of their own:
//!
//! - **Same sessions, other prices** (a model on the same tokenizer, a service tier, a pricing
//!   override): the simulated quantities are identical, so exact mode simulates once and
//!   prices the accumulated quantities of every trial-month with each variant's rate cards
//!   (one exact run priced with several rate cards); fast mode runs one pilot and keeps the
//!   moments of the session cost under every pricing ([`fast::Pilot`]).
//! - **Same sessions, other volume** (users, sessions, growth, seasonality, cohort shares and
//!   scales, the volume shift) in fast mode: a month is aggregated analytically from the pilot's
//!   moments, so a variant draws its own volumes and session counts and aggregates from the
//!   kept pilot — bit for bit what a run with its own pilot gives, because the pilot is the same
//!   stream of the same simulators.
//!
//! "Same sessions" is decided on what the simulation reads, never on a list of keys a variant
//! changed: [`super::prepare::SessionInputs`] is all the session loop can see of the prepared
//! routes (the session builder takes nothing else), and the scenario is compared whole after
//! [`session_view`] blanks the fields the engine only uses for pricing, volume or reports.
//! A field the engine starts to read is compared unless someone blanks it there. In fast mode,
//! a run that pins or redraws inputs (sensitivity) shares a pilot only when every uniform the
//! pilot's session simulators drew comes out the same under its own pins and redraws.
//!
//! In exact mode a volume change re-simulates: a month's session count `n` is drawn from the
//! month's stream and the sessions follow on the same stream, so another volume changes `n`
//! and which sessions follow it. Rescaling kept quantities by `n'/n` would be exact only in
//! expectation (the per-trial totals are sums of `n` random session quantities), so it is not
//! done.

use std::sync::Mutex;

use rayon::prelude::*;

use super::fast::{self, Pilot};
use super::prepare::{Prepared, SessionInputs};
use super::trial::{Drawn, Draws};
use super::{EngineError, SimOptions, Simulation, assemble, check_exact_budget, from_fast};
use super::{resolve_mode, run_exact};
use crate::dist::{SamplerCache, Uncertain};
use crate::scenario::{Mode, Scenario, Volume};

/// One run of a batch: a scenario, its routes resolved against the price book, and the
/// engine options (pins, redraws, mode, progress) it runs with.
#[derive(Clone, Copy)]
pub struct Run<'a> {
    /// The scenario.
    pub scenario: &'a Scenario,
    /// Its routes.
    pub prepared: &'a Prepared,
    /// Engine options.
    pub opts: SimOptions<'a>,
}

/// How a run's result was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// Simulated (it may have shared its simulation with others of the batch).
    Simulated,
    /// Exact mode: the quantities of another run of the batch, priced with this run's rates.
    Repriced,
    /// Fast mode: aggregated from a pilot simulated for another run (same sessions; its own
    /// volumes, and its own prices when they differ).
    Reaggregated,
}

/// Fast-mode pilots kept between batches (`solve` evaluates one value at a time).
#[derive(Default)]
pub struct Kept {
    pilots: Vec<KeptPilot>,
}

impl Kept {
    /// Pilots kept.
    pub fn len(&self) -> usize {
        self.pilots.len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.pilots.is_empty()
    }
}

struct KeptPilot {
    key: PilotKey,
    pilot: Pilot,
}

/// What a fast-mode pilot depends on, apart from the pins and redraws of its draws.
#[derive(PartialEq)]
struct PilotKey {
    view: Scenario,
    inputs: SessionInputs,
    size: (u64, u64),
    all_at: Option<u64>,
}

/// What an exact run's quantities depend on.
#[derive(PartialEq)]
struct ExactKey {
    view: Scenario,
    inputs: SessionInputs,
    all_at: Option<u64>,
    pins: Option<super::trial::Pins>,
    redraw: Option<super::trial::Redraw>,
}

/// A number that draws nothing (the value is irrelevant: only views are compared).
fn blank() -> Uncertain {
    Uncertain::Fixed(0.0)
}

/// `s` with every field that does not shape the simulated sessions blanked, so that `==` on
/// two views compares exactly what the session simulation reads of the scenario.
///
/// Blanked: names, paths, overrides and the assumption list (reports), the budget (reports),
/// the routes (the session loop reads routes only through [`SessionInputs`], which is compared
/// separately), the cache-write TTL (a rate-card choice) and the engine mode (compared as the
/// resolved mode). With `volume`, also everything that only sets how many sessions a month
/// has: the volume numbers (not whether sessions are one-turn requests), growth,
/// seasonality, cohort shares and session scales, and the volume shift; with `trials`, the
/// trial count (a fast pilot depends on it only through its size, compared separately).
pub fn session_view(s: &Scenario, volume: bool, trials: bool) -> Scenario {
    let mut v = s.clone();
    v.name = String::new();
    v.description = None;
    v.path = None;
    v.sha256 = String::new();
    v.overrides = Vec::new();
    v.assumptions = Vec::new();
    v.budget_usd = None;
    v.routes = Vec::new();
    v.caching.write_ttl = None;
    v.mode = Mode::Auto;
    if trials {
        v.trials = 0;
    }
    if volume {
        v.volume = match v.volume {
            Volume::Users { .. } => Volume::Users {
                users: blank(),
                sessions_per_user: blank(),
            },
            Volume::Sessions(_) => Volume::Sessions(blank()),
            Volume::Requests(_) => Volume::Requests(blank()),
        };
        v.monthly_growth = blank();
        v.seasonality = [0.0; 12];
        for seg in &mut v.segments {
            seg.share = 0.0;
            seg.sessions_scale = blank();
        }
        v.shift.volume = blank();
    }
    v
}

fn pilot_key(run: &Run<'_>) -> PilotKey {
    PilotKey {
        view: session_view(run.scenario, true, true),
        inputs: run.prepared.session_inputs(),
        size: fast::pilot_size(run.scenario, run.opts.all_at),
        all_at: run.opts.all_at.map(f64::to_bits),
    }
}

fn exact_key(run: &Run<'_>) -> ExactKey {
    ExactKey {
        view: session_view(run.scenario, false, false),
        inputs: run.prepared.session_inputs(),
        all_at: run.opts.all_at.map(f64::to_bits),
        pins: run.opts.pins.cloned(),
        redraw: run.opts.redraw.cloned(),
    }
}

/// Whether every uniform a pilot's replicates drew (`drawn`, one list per replicate) is the
/// same under `opts` (then the session simulators `opts` would build are the same ones: each
/// draw is a function of the uniforms drawn before it).
fn draws_agree<'d>(
    drawn: impl Iterator<Item = &'d Drawn>,
    seed: u64,
    opts: &SimOptions<'_>,
) -> bool {
    drawn.enumerate().all(|(r, drawn)| {
        let d = Draws {
            seed,
            trial: r as u64,
            pins: opts.pins,
            all_at: opts.all_at,
            redraw: opts.redraw,
            record: None,
        };
        drawn
            .iter()
            .all(|(key, u)| d.uniform(key).to_bits() == u.to_bits())
    })
}

/// Most pilots a [`Kept`] holds: the first (the one every value of a volume search shares)
/// and the latest. A pilot holds every replicate's session simulators, so keeping them all
/// would grow with the number of evaluations.
pub const MAX_KEPT: usize = 2;

/// A pilot to simulate in this batch.
struct NewPilot {
    key: PilotKey,
    /// The run it is simulated for (its scenario and options build the simulators).
    leader: usize,
    /// What each replicate drew (the simulators are rebuilt when the pilot runs, so that
    /// only the pilots being simulated hold simulators).
    drawn: Vec<Drawn>,
    /// Unit costs of every pricing its runs need.
    units: Vec<Vec<Vec<f64>>>,
    /// Runs that aggregate from it.
    members: Vec<usize>,
}

/// Run every run of `runs`, simulating as little as the runs allow (see the module docs).
/// With `kept`, its pilots are used first and the pilots simulated here are kept in it (at
/// most [`MAX_KEPT`]). With `share = false` every run simulates on its own, as
/// [`super::simulate_prepared`] does (the reference the reuse tests compare with).
///
/// Results are in run order; each is exactly what [`super::simulate_prepared`] gives for the
/// run. The error names the index of the first run that failed. Memory: new pilots are
/// simulated a few at a time (as many as rayon has threads) and dropped once their runs are
/// aggregated, so a batch holds no more simulators than running its runs side by side would.
pub fn simulate_runs(
    runs: &[Run<'_>],
    mut kept: Option<&mut Kept>,
    share: bool,
) -> Result<Vec<(Simulation, Source)>, (usize, EngineError)> {
    let modes: Vec<(Mode, String)> = runs
        .iter()
        .map(|r| resolve_mode(r.scenario, r.opts.mode.unwrap_or(r.scenario.mode)))
        .collect();
    if !share {
        return runs
            .par_iter()
            .enumerate()
            .map(|(i, r)| {
                super::simulate_prepared(r.scenario, r.prepared, &r.opts)
                    .map(|s| (s, Source::Simulated))
                    .map_err(|e| (i, e))
            })
            .collect();
    }
    for (i, (r, (mode, _))) in runs.iter().zip(&modes).enumerate() {
        if *mode == Mode::Exact {
            check_exact_budget(r.scenario).map_err(|e| (i, e))?;
        }
    }
    // Exact runs: group by what their quantities depend on; the first of a group simulates
    // and every member prices the quantities. Fast runs: a kept pilot that serves them, or a
    // new pilot shared with the runs before them that simulate the same sessions.
    let mut exact_groups: Vec<(ExactKey, Vec<usize>)> = Vec::new();
    let mut from_kept: Vec<(usize, usize)> = Vec::new();
    let mut new: Vec<NewPilot> = Vec::new();
    let mut units_of: Vec<Vec<Vec<f64>>> = vec![Vec::new(); runs.len()];
    for (i, r) in runs.iter().enumerate() {
        if modes[i].0 == Mode::Exact {
            let key = exact_key(r);
            match exact_groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, members)) => members.push(i),
                None => exact_groups.push((key, vec![i])),
            }
            continue;
        }
        let key = pilot_key(r);
        units_of[i] = super::price::unit_costs(r.prepared);
        let seed = r.scenario.seed;
        if let Some(k) = kept.as_deref().and_then(|kept| {
            kept.pilots.iter().position(|kp| {
                kp.key == key
                    && kp.pilot.pricing(&units_of[i]).is_some()
                    && draws_agree(kp.pilot.reps.iter().map(|x| &x.2), seed, &r.opts)
            })
        }) {
            from_kept.push((i, k));
            continue;
        }
        let j = match new
            .iter()
            .position(|np| np.key == key && draws_agree(np.drawn.iter(), seed, &r.opts))
        {
            Some(j) => j,
            None => {
                // Build the replicates' simulators once now to learn what they draw (cheap next
                // to a pilot), so later runs can check their draws against it.
                let cache = Mutex::new(SamplerCache::new());
                let drawn =
                    fast::replicate_sims(r.scenario, &key.inputs, &r.opts, key.size.0, &cache)
                        .map_err(|e| (i, e))?
                        .into_iter()
                        .map(|(_, drawn)| drawn)
                        .collect();
                new.push(NewPilot {
                    key,
                    leader: i,
                    drawn,
                    units: Vec::new(),
                    members: Vec::new(),
                });
                new.len() - 1
            }
        };
        let np = &mut new[j];
        if !np.units.contains(&units_of[i]) {
            np.units.push(units_of[i].clone());
        }
        np.members.push(i);
    }
    let mut out: Vec<Option<(Simulation, Source)>> = (0..runs.len()).map(|_| None).collect();
    let mut put = |done: Vec<Done>| {
        for (i, sim, source) in done {
            out[i] = Some((sim, source));
        }
    };
    // Exact groups, side by side (each parallel over its trials).
    let exact_done: Vec<Vec<Done>> = exact_groups
        .par_iter()
        .map(|(key, members)| exact_group(runs, &modes, &key.inputs, members))
        .collect::<Result<_, _>>()?;
    put(exact_done.into_iter().flatten().collect());
    // Runs served by kept pilots.
    if let Some(kept) = kept.as_deref() {
        let done = from_kept
            .par_iter()
            .map(|&(i, k)| aggregate_one(runs, &modes, &units_of, i, &kept.pilots[k].pilot, false))
            .collect::<Result<Vec<_>, _>>()?;
        put(done);
    }
    // New pilots, a few at a time: simulate them side by side (a pilot with one replicate
    // runs on one core), aggregate their runs, then drop them (or keep them).
    let chunk = rayon::current_num_threads().max(1);
    let mut new = new.into_iter().peekable();
    while new.peek().is_some() {
        let batch: Vec<NewPilot> = new.by_ref().take(chunk).collect();
        let pilots: Vec<Pilot> = batch
            .par_iter()
            .map(|np| {
                let r = &runs[np.leader];
                let cache = Mutex::new(SamplerCache::new());
                let sims = fast::replicate_sims(
                    r.scenario,
                    &np.key.inputs,
                    &r.opts,
                    np.key.size.0,
                    &cache,
                )
                .map_err(|e| (np.leader, e))?;
                Ok(fast::run_pilot(
                    r.scenario,
                    &np.key.inputs,
                    sims,
                    np.key.size.1,
                    np.units.clone(),
                ))
            })
            .collect::<Result<_, (usize, EngineError)>>()?;
        let jobs: Vec<(usize, &Pilot, bool)> = batch
            .iter()
            .zip(&pilots)
            .flat_map(|(np, pilot)| np.members.iter().map(move |&i| (i, pilot, i == np.leader)))
            .collect();
        let done = jobs
            .par_iter()
            .map(|&(i, pilot, lead)| aggregate_one(runs, &modes, &units_of, i, pilot, lead))
            .collect::<Result<Vec<_>, _>>()?;
        put(done);
        if let Some(kept) = kept.as_deref_mut() {
            for (np, pilot) in batch.into_iter().zip(pilots) {
                if kept.pilots.len() >= MAX_KEPT {
                    kept.pilots.pop();
                }
                kept.pilots.push(KeptPilot { key: np.key, pilot });
            }
        }
    }
    out.into_iter()
        .enumerate()
        .map(|(i, o)| o.ok_or((i, EngineError::Internal("a run was not simulated".into()))))
        .collect()
}

/// A finished run: its index, result and source.
type Done = (usize, Simulation, Source);
/// A failed run: its index and the error.
type Failed = (usize, EngineError);

/// Simulate an exact group once and price it for every member.
fn exact_group(
    runs: &[Run<'_>],
    modes: &[(Mode, String)],
    inputs: &SessionInputs,
    members: &[usize],
) -> Result<Vec<Done>, Failed> {
    let lead = &runs[members[0]];
    let pricings: Vec<&Prepared> = members.iter().map(|&m| runs[m].prepared).collect();
    let progress = |n: u64| {
        for &m in members {
            if let Some(f) = runs[m].opts.progress {
                f(n);
            }
        }
    };
    let opts = SimOptions {
        progress: Some(&progress),
        ..lead.opts
    };
    let (priced, records) =
        run_exact(lead.scenario, inputs, &pricings, &opts).map_err(|e| (members[0], e))?;
    members
        .iter()
        .zip(priced)
        .enumerate()
        .map(|(j, (&m, trials))| {
            let r = &runs[m];
            let sim = assemble(
                r.scenario,
                r.prepared,
                Mode::Exact,
                modes[m].1.clone(),
                trials,
                &records,
            )
            .map_err(|e| (m, e))?;
            let source = if j == 0 {
                Source::Simulated
            } else {
                Source::Repriced
            };
            Ok((m, sim, source))
        })
        .collect()
}

/// Aggregate run `i` from `pilot` (`lead`: the pilot was simulated for it).
fn aggregate_one(
    runs: &[Run<'_>],
    modes: &[(Mode, String)],
    units_of: &[Vec<Vec<f64>>],
    i: usize,
    pilot: &Pilot,
    lead: bool,
) -> Result<Done, Failed> {
    let r = &runs[i];
    let pricing = pilot.pricing(&units_of[i]).ok_or_else(|| {
        (
            i,
            EngineError::Internal("a shared pilot lacks a pricing".into()),
        )
    })?;
    let run =
        fast::aggregate(r.scenario, r.prepared, &r.opts, pilot, pricing).map_err(|e| (i, e))?;
    let sim = from_fast(r.scenario, r.prepared, modes[i].1.clone(), run).map_err(|e| (i, e))?;
    let source = if lead {
        Source::Simulated
    } else {
        Source::Reaggregated
    };
    Ok((i, sim, source))
}
