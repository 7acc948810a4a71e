//! One trial's view of the world: the epistemic inputs drawn once per trial (volume, growth,
//! cache hit rate, failure rates, uncertain distribution parameters, a bootstrap replicate, the
//! pilot-to-production shift), and the samplers built from them.
//!
//! Every draw is `quantile(u(key))` with `u = key_uniform(seed, trial, key)`, so two
//! scenarios that share an input draw the same value for it in the same trial (common random
//! numbers), and sensitivity analysis can pin any input at a chosen quantile.

use std::cell::RefCell;
use std::sync::Mutex;

use super::EngineError;
use super::prepare::SessionInputs;
use super::session::{RouteSim, SessionSim};
use crate::dist::rng::key_uniform;
use crate::dist::sampler::ceil_pos;
use crate::dist::{Domain, SamplerCache, Uncertain};
use crate::scenario::{Cacheable, Scenario, Segment, Volume};

/// Pins chosen inputs at chosen quantiles (sensitivity analysis): key → u in (0, 1).
pub type Pins = std::collections::BTreeMap<String, f64>;

/// Inputs whose per-trial uniform is taken from another seed, all others keeping the run's
/// seed: trial `t` of a run with `Redraw { seed: b, keys: {i} }` is row `t` of the
/// pick-freeze matrix `A_B^(i)` of a Sobol design (Saltelli 2010), where `A` is the run with
/// the scenario's seed and `B` the run with seed `b`. Inner-loop streams are unaffected.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Redraw {
    /// Seed the listed keys are drawn with.
    pub seed: u64,
    /// Keys (as in [`Pins`]) drawn with `seed`.
    pub keys: std::collections::BTreeSet<String>,
}

/// The `(key, u)` pairs one trial drew, in draw order.
pub type Drawn = Vec<(String, f64)>;

/// Uniform source for one trial.
pub struct Draws<'a> {
    /// Seed of the run.
    pub seed: u64,
    /// Trial index (or replicate index in fast mode).
    pub trial: u64,
    /// Pinned inputs.
    pub pins: Option<&'a Pins>,
    /// Use this quantile for every input (e.g. 0.5 for a "typical" world).
    pub all_at: Option<f64>,
    /// Inputs drawn with another seed (Sobol pick-freeze designs).
    pub redraw: Option<&'a Redraw>,
    /// When given, every `(key, u)` handed out is appended here, so the run can keep what
    /// each trial drew (the given-data variance shares of [`super::drivers`] need it). Only
    /// the once-per-trial draws pass through here, never the inner loop.
    pub record: Option<&'a RefCell<Drawn>>,
}

impl Draws<'_> {
    /// The uniform for `key` in this trial.
    pub fn u(&self, key: &str) -> f64 {
        let u = self.uniform(key);
        if let Some(r) = self.record {
            r.borrow_mut().push((key.to_string(), u));
        }
        u
    }

    /// The uniform for `key` in this trial, not recorded.
    pub(crate) fn uniform(&self, key: &str) -> f64 {
        if let Some(p) = self.pins.and_then(|p| p.get(key)) {
            return *p;
        }
        if let Some(q) = self.all_at {
            return q;
        }
        if let Some(r) = self.redraw
            && r.keys.contains(key)
        {
            return key_uniform(r.seed, self.trial, key);
        }
        key_uniform(self.seed, self.trial, key)
    }

    /// Draw an epistemic input.
    pub fn draw(&self, u: &Uncertain, key: &str, domain: Domain) -> Result<f64, EngineError> {
        u.draw(key, domain, &mut |k| self.u(k))
            .map_err(EngineError::Dist)
    }
}

/// Volume inputs of one trial.
#[derive(Clone, Debug)]
pub struct TrialVolume {
    /// Expected sessions of each segment in the first month, before growth and seasonality.
    pub base_sessions: Vec<f64>,
    /// Monthly growth rate.
    pub growth: f64,
    /// Requests are one-turn sessions.
    pub one_turn: bool,
}

/// Draw the volume of one trial.
pub fn draw_volume(s: &Scenario, d: &Draws<'_>) -> Result<TrialVolume, EngineError> {
    let (base, one_turn) = match &s.volume {
        Volume::Users {
            users,
            sessions_per_user,
        } => (
            d.draw(users, "traffic.monthly_active_users", Domain::NonNegative)?
                * d.draw(
                    sessions_per_user,
                    "traffic.sessions_per_user",
                    Domain::NonNegative,
                )?,
            false,
        ),
        Volume::Sessions(v) => (
            d.draw(v, "traffic.sessions_per_month", Domain::NonNegative)?,
            false,
        ),
        Volume::Requests(v) => (
            d.draw(v, "traffic.requests_per_month", Domain::NonNegative)?,
            true,
        ),
    };
    let shift = d.draw(&s.shift.volume, "shift.volume", Domain::NonNegative)?;
    let growth = d.draw(&s.monthly_growth, "traffic.monthly_growth", Domain::Real)?;
    let mut base_sessions = Vec::new();
    for (i, seg) in s.segments.iter().enumerate() {
        let scale = d.draw(
            &seg.sessions_scale,
            &format!("traffic.cohorts[{i}].sessions_scale"),
            Domain::NonNegative,
        )?;
        base_sessions.push(base * shift * seg.share * scale);
    }
    Ok(TrialVolume {
        base_sessions,
        growth,
        one_turn,
    })
}

/// Expected sessions of a segment in month `i` (0-based) of the horizon.
pub fn month_sessions(s: &Scenario, v: &TrialVolume, seg: usize, i: usize) -> f64 {
    let cal = s.start_month.plus(i as i32).month as usize - 1;
    // Growth compounds monthly; a rate below −100% would make volume negative, so floor at 0.
    v.base_sessions[seg] * (1.0 + v.growth).max(0.0).powi(i as i32) * s.seasonality[cal]
}

/// Build the inner-loop simulator of one segment for one trial (or fast-mode replicate).
///
/// It reads the routes through [`SessionInputs`] only (never prices), so what-ifs can prove
/// two variants simulate alike by comparing those ([`super::reuse`]).
pub fn session_sim(
    s: &Scenario,
    p: &SessionInputs,
    seg_idx: usize,
    seg: &Segment,
    d: &Draws<'_>,
    one_turn: bool,
    cache: &Mutex<SamplerCache>,
) -> Result<SessionSim, EngineError> {
    let w = &seg.workload;
    let prefix = if s.segments.len() > 1 {
        format!("traffic.cohorts[{seg_idx}].workload")
    } else {
        "workload".to_string()
    };
    // A bootstrap replicate of the fitted workload replaces the keys it carries.
    let replicate = if w.replicates.is_empty() {
        None
    } else {
        let i = ((d.u("workload.replicate") * w.replicates.len() as f64) as usize)
            .min(w.replicates.len() - 1);
        Some(&w.replicates[i])
    };
    // Replayed sessions carry the sample's uncertainty the same way: with bootstrap
    // replicates in the workload, each trial replays a bootstrap resample of the recorded
    // sessions, drawn from the same uniform that picks the replicate.
    let replay_pool = match (&w.resample, w.replicates.is_empty()) {
        (Some(rec), false) if rec.len() > 1 => {
            let mut rng = crate::dist::FastRng::from_seed(d.u("workload.replicate").to_bits());
            let n = rec.len();
            (0..n)
                .map(|_| ((rng.uniform() * n as f64) as usize).min(n - 1) as u32)
                .collect()
        }
        _ => Vec::new(),
    };
    let pick = |key: &str, u: &Uncertain| -> Uncertain {
        replicate
            .and_then(|r| r.get(key))
            .cloned()
            .unwrap_or_else(|| u.clone())
    };
    let sampler = |key: &str, u: &Uncertain| -> Result<crate::dist::Sampler, EngineError> {
        let u = pick(key, u);
        let full = format!("{prefix}.{key}");
        let dist = u
            .resolve(&full, Domain::NonNegative, &mut |k| d.u(k))
            .map_err(EngineError::Dist)?;
        let mut c = cache
            .lock()
            .map_err(|_| EngineError::Internal("sampler cache poisoned".into()))?;
        Ok(c.sampler(&dist))
    };
    let turns = sampler("turns_per_session", &w.turns_per_session)?;
    let user = sampler("user_message_tokens", &w.user_message_tokens)?;
    let output = sampler("output_tokens", &w.output_tokens)?;
    let reasoning = sampler("reasoning_tokens", &w.reasoning_tokens)?;
    let rounds = sampler("tool_rounds_per_turn", &w.tool_rounds_per_turn)?;
    let per_round = sampler("tool_calls_per_round", &w.tool_calls_per_round)?;
    let tool_result = sampler("tool_result_tokens", &w.tool_result_tokens)?;
    let input_direct = match &w.input_tokens {
        Some(u) => Some(sampler("input_tokens", u)?),
        None => None,
    };
    // A system prompt read from a file is counted per route (below), never drawn: a fitted
    // replicate's `system_prompt_tokens` does not apply to it.
    let system = if w.system_prompt_file.is_some() {
        0.0
    } else {
        d.draw(
            &pick("system_prompt_tokens", &w.system_prompt_tokens),
            &format!("{prefix}.system_prompt_tokens"),
            Domain::NonNegative,
        )?
    };
    // Inputs and outputs shift independently: a pilot can have longer answers and shorter
    // prompts than production (the Azure conversation trace's first 500 requests do).
    let size_in = d.draw(&s.shift.size, "shift.size.input", Domain::NonNegative)?;
    let size_out = d.draw(&s.shift.size, "shift.size.output", Domain::NonNegative)?;
    let count_mult = d.draw(&s.shift.count, "shift.count", Domain::NonNegative)?;
    // Caching off: no reads, and nothing is written (no write charges) on any route.
    let hit = if s.caching.enabled {
        d.draw(&s.caching.hit_rate, "caching.hit_rate", Domain::Probability)?
            .clamp(0.0, 1.0)
    } else {
        0.0
    };
    let mut fail_cum = [0.0; 4];
    let mut fail_billed = [false; 4];
    let mut cum = 0.0;
    for (k, c) in s.retries.classes.iter().enumerate() {
        cum += d
            .draw(&c.p, &format!("retries.{}.p", c.name), Domain::Probability)?
            .clamp(0.0, 1.0);
        fail_cum[k] = cum.min(1.0);
        fail_billed[k] = c.billed;
    }
    let mut routes = Vec::new();
    let mut cum_share = 0.0;
    for (ri, r) in p.routes.iter().enumerate() {
        cum_share += r.share;
        let size_mult = r.tokenizer_ratio * size_in;
        // The drawn prompt scales like every sampled size; the artifacts are counted in model
        // tokens already, so neither the ratio nor the pilot-to-production shift applies.
        let artifacts = p
            .prefix_tokens
            .get(seg_idx)
            .and_then(|v| v.get(ri))
            .copied()
            .unwrap_or(0.0);
        let cap = w
            .max_output_tokens
            .unwrap_or(f64::INFINITY)
            .min(r.model_max_output);
        routes.push(RouteSim {
            cum_share,
            system: ceil_pos(system * size_mult) + artifacts,
            size_mult,
            out_mult: r.tokenizer_ratio * size_out * r.output_scale,
            reasoning_mult: r.tokenizer_ratio * size_out,
            cap,
            thresholds: r.thresholds.clone(),
            base_max: RouteSim::base_limit(&r.thresholds).min(r.context_window),
            min_prefix: r.min_cache_prefix,
            cache_unit: r.cache_unit,
            context_max: r.context_window,
            write_f: f64::from(u8::from(s.caching.enabled && r.bills_cache_writes)),
        });
    }
    let tool_shares = p
        .tool_ids
        .iter()
        .map(|id| {
            w.priced_tools
                .iter()
                .find(|(t, _)| t == id)
                .map_or(0.0, |(_, s)| *s)
        })
        .collect::<Vec<_>>();
    let tool_shares = if tool_shares.iter().all(|s| *s == 0.0) {
        vec![]
    } else {
        tool_shares
    };
    Ok(SessionSim {
        turns,
        one_turn,
        user,
        output,
        reasoning,
        rounds,
        per_round,
        tool_result,
        input_direct,
        replay: w.resample.clone(),
        replay_pool,
        replay_adjust: w.replay_adjust,
        system,
        count_mult,
        hit,
        cache_history: s.caching.cacheable == Cacheable::History,
        fail_cum,
        fail_billed,
        max_attempts: s.retries.max_attempts,
        context: w.context,
        tool_shares,
        routes,
    })
}
