//! `sensitivity`: which uncertain input moves the bill most.
//!
//! The inputs are the scenario's epistemic draws — everything the engine draws once per trial
//! as `quantile(u(key))`: volume, growth, cohort scales, cache hit rate, failure rates, the
//! system prompt, the pilot-to-production shift, uncertain parameters of per-call
//! distributions (`workload.output_tokens.median`), and the fitted-workload replicate. Each is
//! an independent uniform `u_k`, so both methods below work on the unit hypercube through the
//! engine's pins, without touching the engine's internals.
//!
//! **Tornado (one at a time).** Every input pinned at its median (`u = 0.5`); then each input
//! in turn at its P10 and at its P90 with the others still at their medians. The bar of an
//! input is the swing of the month's mean and P95 between its P10 and P90 worlds. With every
//! input pinned only the per-session noise is left, so a run needs few trials. Runs: `2k + 1`
//! for `k` inputs. A tornado ignores interactions and the shape of each input's distribution
//! beyond its P10–P90.
//!
//! **Sobol first-order and total indices (variance-based).** The P95 is not a sum of
//! per-input variance shares, so the indices are those of the month's bill `Y`:
//! `S_i = Var(E[Y | u_i]) / Var(Y)` (the share of the bill's variance input `i` explains on
//! its own) and `S_Ti = E[Var(Y | u_~i)] / Var(Y)` (its share including interactions).
//! Pick-freeze design (Saltelli et al. 2010, "Variance based sensitivity analysis of model
//! output", Comput. Phys. Commun. 181, §3–4): matrix `A` is a run with the scenario's seed,
//! `B` a run with an independent seed, and `A_B^(i)` the run of `A` with only `u_i` taken
//! from `B` (the engine's [`Redraw`] hook); row `j` of each is trial `j`. Estimators:
//! `S_i ≈ mean_j[(f(B)_j − f̄) (f(A_B^(i))_j − f(A)_j)] / V` (Saltelli 2010, Table 2 (b),
//! with `f(B)` centred on the sample mean `f̄`: `E[f(A_B^(i)) − f(A)] = 0`, so centring keeps
//! the expectation and removes the variance a large mean bill would add) and
//! `S_Ti ≈ mean_j[(f(A)_j − f(A_B^(i))_j)²] / (2V)` (Jansen 1999), `V` the variance of `Y`
//! over `A` and `B` together. Per-session noise rides with `A` (same inner streams in `A` and
//! `A_B^(i)`), so it counts as "not input i". 95% intervals come from a bootstrap over rows.
//! Runs: `k + 2`, each of `N` trials. Inputs are ranked by `S_i`; `1 − Σ S_i` is what
//! interactions and per-session noise explain. Both are estimates with sampling error
//! `O(1/√N)` (larger for heavy-tailed bills): with few trials `S_Ti` can come out below `S_i`
//! and `Σ S_i` above 1; the bootstrap intervals show how far to trust the ranking.
//!
//! Total cost: `(2k + 1)` tornado runs of `tornado_trials` plus `(k + 2)` Sobol runs of
//! `sobol_trials`; [`plan`] states it before anything runs.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{Job, OnProgress, WhatifError, mode_name, pick_month, run_jobs};
use crate::dist::rng::{hash_key, mix64};
use crate::dist::{Domain, FastRng, Uncertain};
use crate::engine;
use crate::engine::trial::{Pins, Redraw};
use crate::pricing::PriceBook;
use crate::scenario::{Mode, Scenario, Volume};
use crate::stats::{mean_sd, quantile_sorted};
use crate::units::Month;

/// Key of the fitted-workload replicate drawn per trial (see `engine::trial::session_sim`).
pub const REPLICATE_KEY: &str = "workload.replicate";

/// One uncertain input: a key the engine draws once per trial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Input {
    /// Pin key, e.g. `traffic.monthly_active_users` or `workload.output_tokens.median`.
    pub key: String,
    /// What it is, for people.
    pub label: String,
    /// As written in the scenario.
    pub written: String,
    /// The number drawn and its domain (absent for the replicate index).
    #[serde(skip)]
    spec: Option<(Uncertain, Domain)>,
}

impl Input {
    /// The input's value at quantile `q` (its own uncertain parameters at their medians).
    pub fn value_at(&self, q: f64) -> Option<f64> {
        let (u, domain) = self.spec.as_ref()?;
        u.draw(&self.key, *domain, &mut |k| {
            if k == self.key { q } else { 0.5 }
        })
        .ok()
    }
}

/// Push `key` (drawn once per trial as a whole) and its uncertain parameters.
fn push_drawn(out: &mut Vec<Input>, key: &str, label: &str, u: &Uncertain, domain: Domain) {
    if u.is_fixed() {
        return;
    }
    out.push(Input {
        key: key.to_string(),
        label: label.to_string(),
        written: u.to_string(),
        spec: Some((u.clone(), domain)),
    });
    push_params(out, key, label, u);
}

/// Push the uncertain parameters of `u`, recursively (`key.param`, `key.param.sub`), as the
/// engine draws them in `Uncertain::resolve`.
fn push_params(out: &mut Vec<Input>, key: &str, label: &str, u: &Uncertain) {
    if let Uncertain::Dist(d) = u {
        for (name, p) in &d.params {
            if p.is_fixed() {
                continue;
            }
            let pk = format!("{key}.{name}");
            let pl = format!("{label} ({name})");
            out.push(Input {
                key: pk.clone(),
                label: pl.clone(),
                written: p.to_string(),
                spec: Some((p.clone(), Domain::Real)),
            });
            push_params(out, &pk, &pl, p);
        }
    }
}

/// Every uncertain input of `s`, in scenario order, each key once. Mirrors the keys of
/// `engine::trial::{draw_volume, session_sim}`; the test
/// `pinning_every_input_removes_all_between_trial_variation` keeps the two in step.
pub fn uncertain_inputs(s: &Scenario) -> Vec<Input> {
    let mut out = Vec::new();
    match &s.volume {
        Volume::Users {
            users,
            sessions_per_user,
        } => {
            push_drawn(
                &mut out,
                "traffic.monthly_active_users",
                "monthly active users",
                users,
                Domain::NonNegative,
            );
            push_drawn(
                &mut out,
                "traffic.sessions_per_user",
                "sessions per user",
                sessions_per_user,
                Domain::NonNegative,
            );
        }
        Volume::Sessions(v) => push_drawn(
            &mut out,
            "traffic.sessions_per_month",
            "sessions per month",
            v,
            Domain::NonNegative,
        ),
        Volume::Requests(v) => push_drawn(
            &mut out,
            "traffic.requests_per_month",
            "requests per month",
            v,
            Domain::NonNegative,
        ),
    }
    push_drawn(
        &mut out,
        "shift.volume",
        "pilot-to-production volume shift",
        &s.shift.volume,
        Domain::NonNegative,
    );
    push_drawn(
        &mut out,
        "traffic.monthly_growth",
        "monthly growth",
        &s.monthly_growth,
        Domain::Real,
    );
    for (i, seg) in s.segments.iter().enumerate() {
        push_drawn(
            &mut out,
            &format!("traffic.cohorts[{i}].sessions_scale"),
            &format!("cohort {}: sessions scale", seg.name),
            &seg.sessions_scale,
            Domain::NonNegative,
        );
    }
    let cohorts = s.segments.len() > 1;
    for (i, seg) in s.segments.iter().enumerate() {
        let w = &seg.workload;
        let (prefix, who) = if cohorts {
            (
                format!("traffic.cohorts[{i}].workload"),
                format!("cohort {}: ", seg.name),
            )
        } else {
            ("workload".to_string(), String::new())
        };
        if !w.replicates.is_empty() && !out.iter().any(|x| x.key == REPLICATE_KEY) {
            out.push(Input {
                key: REPLICATE_KEY.into(),
                label: "fitted workload (bootstrap replicate)".into(),
                written: format!("{} replicates", w.replicates.len()),
                spec: None,
            });
        }
        push_drawn(
            &mut out,
            &format!("{prefix}.system_prompt_tokens"),
            &format!("{who}system prompt tokens"),
            &w.system_prompt_tokens,
            Domain::NonNegative,
        );
        let per_call: [(&str, Option<&Uncertain>); 8] = [
            ("turns_per_session", Some(&w.turns_per_session)),
            ("user_message_tokens", Some(&w.user_message_tokens)),
            ("output_tokens", Some(&w.output_tokens)),
            ("reasoning_tokens", Some(&w.reasoning_tokens)),
            ("tool_rounds_per_turn", Some(&w.tool_rounds_per_turn)),
            ("tool_calls_per_round", Some(&w.tool_calls_per_round)),
            ("tool_result_tokens", Some(&w.tool_result_tokens)),
            ("input_tokens", w.input_tokens.as_ref()),
        ];
        for (k, u) in per_call {
            if let Some(u) = u {
                // The value itself is drawn per session/turn/call (inner loop); only its
                // uncertain parameters are drawn per trial.
                push_params(
                    &mut out,
                    &format!("{prefix}.{k}"),
                    &format!("{who}{}", k.replace('_', " ")),
                    u,
                );
            }
        }
    }
    push_drawn(
        &mut out,
        "shift.size.input",
        "pilot-to-production input size shift",
        &s.shift.size,
        Domain::NonNegative,
    );
    push_drawn(
        &mut out,
        "shift.size.output",
        "pilot-to-production output size shift",
        &s.shift.size,
        Domain::NonNegative,
    );
    push_drawn(
        &mut out,
        "shift.count",
        "pilot-to-production count shift",
        &s.shift.count,
        Domain::NonNegative,
    );
    push_drawn(
        &mut out,
        "caching.hit_rate",
        "cache hit rate",
        &s.caching.hit_rate,
        Domain::Probability,
    );
    for c in &s.retries.classes {
        push_drawn(
            &mut out,
            &format!("retries.{}.p", c.name),
            &format!("{} failure probability", c.name.replace('_', " ")),
            &c.p,
            Domain::Probability,
        );
    }
    let mut seen = BTreeSet::new();
    out.retain(|i| seen.insert(i.key.clone()));
    out
}

/// Options of a sensitivity analysis.
#[derive(Clone, Copy)]
pub struct SensitivityOptions<'a> {
    /// Month (default: the last month).
    pub month: Option<Month>,
    /// Trials of each Sobol run (`N`, rows of the pick-freeze matrices).
    pub sobol_trials: u64,
    /// Trials of each tornado run (only per-session noise varies between them).
    pub tornado_trials: u64,
    /// Bootstrap resamples for the Sobol intervals.
    pub bootstrap: usize,
    /// Engine mode for every run (default: resolved once for the Sobol runs).
    pub mode: Option<Mode>,
    /// Progress across all runs (total: [`Plan::trials`]).
    pub progress: Option<OnProgress<'a>>,
    /// Simulate every run on its own instead of sharing simulations between runs that
    /// simulate the same sessions (see [`super::run_jobs`]); the results are the same.
    pub resimulate: bool,
}

/// The cost of an analysis, known before it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Uncertain inputs `k`.
    pub inputs: usize,
    /// Engine runs: `(2k + 1) + (k + 2)`.
    pub engine_runs: usize,
    /// Trials simulated in total.
    pub trials: u64,
}

/// What an analysis of `s` will cost.
pub fn plan(s: &Scenario, opts: &SensitivityOptions<'_>) -> Plan {
    let k = uncertain_inputs(s).len();
    Plan {
        inputs: k,
        engine_runs: (2 * k + 1) + (k + 2),
        trials: (2 * k as u64 + 1) * opts.tornado_trials + (k as u64 + 2) * opts.sobol_trials,
    }
}

/// One bar of the tornado.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TornadoRow {
    /// Input key.
    pub key: String,
    /// What it is.
    pub label: String,
    /// As written.
    pub written: String,
    /// The input's value at its P10 (absent for the replicate index).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub value_p10: Option<f64>,
    /// The input's value at its P90.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub value_p90: Option<f64>,
    /// Mean bill with the input at its P10 (others at median), USD.
    pub mean_at_p10: f64,
    /// Mean bill with the input at its P90, USD.
    pub mean_at_p90: f64,
    /// P95 of the bill with the input at its P10, USD.
    pub p95_at_p10: f64,
    /// P95 of the bill with the input at its P90, USD.
    pub p95_at_p90: f64,
    /// `|mean_at_p90 − mean_at_p10|`, USD.
    pub swing_mean: f64,
    /// `|p95_at_p90 − p95_at_p10|`, USD: the length of the bar.
    pub swing_p95: f64,
}

/// Sobol indices of one input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SobolRow {
    /// Input key.
    pub key: String,
    /// What it is.
    pub label: String,
    /// First-order index `S_i` (share of the bill's variance explained by the input alone).
    pub first_order: f64,
    /// Bootstrap 95% interval of `S_i`.
    pub first_order_ci: [f64; 2],
    /// Total index `S_Ti` (including interactions).
    pub total: f64,
    /// Bootstrap 95% interval of `S_Ti`.
    pub total_ci: [f64; 2],
}

/// The result of `billcast sensitivity`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sensitivity {
    /// `sensitivity`.
    pub kind: String,
    /// billcast version.
    pub billcast_version: String,
    /// Scenario name.
    pub scenario: String,
    /// Month analysed.
    pub month: String,
    /// Seed of matrix `A` (the scenario's seed).
    pub seed: u64,
    /// Engine mode of every run.
    pub mode: String,
    /// Cost of the analysis.
    pub plan: Plan,
    /// Trials per tornado run.
    pub tornado_trials: u64,
    /// Trials per Sobol run (`N`).
    pub sobol_trials: u64,
    /// Mean bill with every input at its median, USD.
    pub median_world_mean: f64,
    /// P95 of the bill with every input at its median, USD.
    pub median_world_p95: f64,
    /// Tornado bars, largest P95 swing first.
    pub tornado: Vec<TornadoRow>,
    /// Mean of the bill over `A` and `B`, USD.
    pub bill_mean: f64,
    /// Standard deviation of the bill over `A` and `B`, USD.
    pub bill_sd: f64,
    /// Sobol indices, largest first-order index first.
    pub sobol: Vec<SobolRow>,
    /// `1 − Σ S_i`: the share left to interactions and per-session noise.
    pub unexplained: f64,
    /// Bootstrap resamples behind the intervals.
    pub bootstrap: usize,
    /// What the runs shared: runs that simulate the same sessions (inputs that only scale
    /// volume or price) aggregate from one simulation (absent when each ran on its own).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reuse: Option<String>,
    /// Caveats.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub notes: Vec<String>,
}

/// Mean and P95 of one month of a run.
fn mean_p95(xs: &[f64]) -> (f64, f64) {
    let mut v = xs.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    (mean_sd(&v).0, quantile_sorted(&v, 0.95))
}

/// First-order and total Sobol estimates from the rows `idx` of the pick-freeze outputs.
fn sobol_estimates(fa: &[f64], fb: &[f64], fab: &[f64], idx: &[usize]) -> (f64, f64) {
    let n = idx.len() as f64;
    let pooled: Vec<f64> = idx.iter().flat_map(|&j| [fa[j], fb[j]]).collect();
    let (mean, sd) = mean_sd(&pooled);
    let v = sd * sd;
    // NaN (empty input) counts as no variance.
    if v.is_nan() || v <= 0.0 {
        return (0.0, 0.0);
    }
    let mut s1 = 0.0;
    let mut st = 0.0;
    for &j in idx {
        s1 += (fb[j] - mean) * (fab[j] - fa[j]);
        st += (fa[j] - fab[j]) * (fa[j] - fab[j]);
    }
    (s1 / n / v, st / (2.0 * n) / v)
}

/// The 2.5% and 97.5% percentiles of `xs`.
fn interval95(mut xs: Vec<f64>) -> [f64; 2] {
    xs.sort_by(|a, b| a.total_cmp(b));
    [quantile_sorted(&xs, 0.025), quantile_sorted(&xs, 0.975)]
}

/// Run the tornado and the Sobol design on `s` (see the module docs).
///
/// # Errors
/// [`WhatifError::NoAnswer`] when nothing in the scenario is uncertain;
/// [`WhatifError::Flag`] for fewer than 10 trials per run or a bad `--month`; engine errors.
pub fn sensitivity(
    s: &Scenario,
    book: &PriceBook,
    opts: &SensitivityOptions<'_>,
) -> Result<Sensitivity, WhatifError> {
    let inputs = uncertain_inputs(s);
    if inputs.is_empty() {
        return Err(WhatifError::NoAnswer(format!(
            "nothing in {} is uncertain: every per-trial input is a fixed number, so no input moves the bill between worlds (write a range such as monthly_active_users = \"8000 to 30000\")",
            s.path
                .as_ref()
                .map_or(s.name.clone(), |p| p.display().to_string())
        )));
    }
    if opts.sobol_trials < 10 || opts.tornado_trials < 10 {
        return Err(WhatifError::flag(
            "--trials",
            "use at least 10 trials per run (1,000 or more for stable Sobol indices)",
        ));
    }
    let months = s.months();
    let mi = pick_month(&months, opts.month)?;
    let plan = plan(s, opts);
    let mut sobol_s = s.clone();
    sobol_s.trials = opts.sobol_trials;
    let mode = opts
        .mode
        .unwrap_or_else(|| engine::resolve_mode(&sobol_s, s.mode).0);
    sobol_s.mode = mode;
    let mut tornado_s = sobol_s.clone();
    tornado_s.trials = opts.tornado_trials;

    // Every run is independent: build them all, run them as one concurrent batch.
    let median: Pins = inputs.iter().map(|i| (i.key.clone(), 0.5)).collect();
    let seed_b = mix64(s.seed ^ hash_key("sobol-b"));
    let mut b_s = sobol_s.clone();
    b_s.seed = seed_b;
    let mut jobs = vec![Job {
        label: "median world".into(),
        scenario: &tornado_s,
        pins: Some(median.clone()),
        redraw: None,
    }];
    for input in &inputs {
        for q in [0.1, 0.9] {
            let mut pins = median.clone();
            pins.insert(input.key.clone(), q);
            jobs.push(Job {
                label: format!("{} at its P{:.0}", input.key, q * 100.0),
                scenario: &tornado_s,
                pins: Some(pins),
                redraw: None,
            });
        }
    }
    // Sobol pick-freeze: A (scenario seed), B (independent seed), A_B^(i).
    jobs.push(Job {
        label: "Sobol matrix A".into(),
        scenario: &sobol_s,
        pins: None,
        redraw: None,
    });
    jobs.push(Job {
        label: "Sobol matrix B".into(),
        scenario: &b_s,
        pins: None,
        redraw: None,
    });
    for input in &inputs {
        jobs.push(Job {
            label: format!("Sobol matrix A_B for {}", input.key),
            scenario: &sobol_s,
            pins: None,
            redraw: Some(Redraw {
                seed: seed_b,
                keys: BTreeSet::from([input.key.clone()]),
            }),
        });
    }
    let results = run_jobs(&jobs, book, opts.progress, opts.resimulate)?;
    let reuse = super::reuse_note(&results.iter().map(|r| r.2).collect::<Vec<_>>());
    let mut out: Vec<Vec<f64>> = results
        .into_iter()
        .map(|(_, sim, _)| sim.totals.get(mi).cloned().unwrap_or_default())
        .collect();
    drop(jobs);
    let fabs = out.split_off(2 * inputs.len() + 3);
    let fb = out.pop().unwrap_or_default();
    let fa = out.pop().unwrap_or_default();
    let tornado_out = out;

    let (median_mean, median_p95) = mean_p95(&tornado_out[0]);
    let mut tornado: Vec<TornadoRow> = inputs
        .iter()
        .enumerate()
        .map(|(i, input)| {
            let (m10, p10) = mean_p95(&tornado_out[1 + 2 * i]);
            let (m90, p90) = mean_p95(&tornado_out[2 + 2 * i]);
            TornadoRow {
                key: input.key.clone(),
                label: input.label.clone(),
                written: input.written.clone(),
                value_p10: input.value_at(0.1),
                value_p90: input.value_at(0.9),
                mean_at_p10: m10,
                mean_at_p90: m90,
                p95_at_p10: p10,
                p95_at_p90: p90,
                swing_mean: (m90 - m10).abs(),
                swing_p95: (p90 - p10).abs(),
            }
        })
        .collect();
    tornado.sort_by(|a, b| b.swing_p95.total_cmp(&a.swing_p95));

    let n = fa.len().min(fb.len());
    let all: Vec<usize> = (0..n).collect();
    let pooled: Vec<f64> = fa.iter().chain(&fb).copied().collect();
    let (bill_mean, bill_sd) = mean_sd(&pooled);
    // Bootstrap over rows with a generator of its own, so the intervals are reproducible.
    let mut rng = FastRng::from_seed(mix64(s.seed ^ hash_key("sobol-bootstrap")));
    let resamples: Vec<Vec<usize>> = (0..opts.bootstrap)
        .map(|_| {
            (0..n)
                .map(|_| ((rng.uniform() * n as f64) as usize).min(n.saturating_sub(1)))
                .collect()
        })
        .collect();
    let mut sobol: Vec<SobolRow> = inputs
        .iter()
        .zip(&fabs)
        .map(|(input, fab)| {
            let (s1, st) = sobol_estimates(&fa, &fb, fab, &all);
            let (b1, bt): (Vec<f64>, Vec<f64>) = resamples
                .iter()
                .map(|idx| sobol_estimates(&fa, &fb, fab, idx))
                .unzip();
            SobolRow {
                key: input.key.clone(),
                label: input.label.clone(),
                first_order: s1,
                first_order_ci: if b1.is_empty() {
                    [s1, s1]
                } else {
                    interval95(b1)
                },
                total: st,
                total_ci: if bt.is_empty() {
                    [st, st]
                } else {
                    interval95(bt)
                },
            }
        })
        .collect();
    sobol.sort_by(|a, b| b.first_order.total_cmp(&a.first_order));
    let unexplained = 1.0 - sobol.iter().map(|r| r.first_order).sum::<f64>();

    let mut notes = Vec::new();
    if bill_sd.is_nan() || bill_sd <= 0.0 {
        notes.push(format!(
            "the bill of {} does not vary between trials, so every index is 0",
            months[mi]
        ));
    }
    // Volume inputs are drawn per trial in both modes; the others shape the session
    // distribution, which fast mode draws per replicate.
    let shapes_sessions =
        |k: &str| !(k == "shift.volume" || (k.starts_with("traffic.") && !k.contains(".workload")));
    if mode == Mode::Fast && inputs.iter().any(|i| shapes_sessions(&i.key)) {
        notes.push(format!(
            "fast mode: inputs that shape sessions (distribution parameters, hit rate, failure rates, system prompt, size shift) vary over at most {} replicates, not every trial",
            crate::engine::fast::MAX_REPLICATES
        ));
    }
    if opts.sobol_trials < 1000 {
        notes.push(format!(
            "{} trials per Sobol run: indices carry sampling error of roughly ±{:.2}; use -n 2000 or more for a stable ranking",
            opts.sobol_trials,
            2.0 / (opts.sobol_trials as f64).sqrt()
        ));
    }
    if unexplained < -0.05 {
        notes.push(format!(
            "the first-order indices add up to {:.2}, more than 1: that is sampling error of the estimators (they are not constrained to sum to 1); raise -n for tighter intervals",
            1.0 - unexplained
        ));
    }
    if unexplained > 0.3 {
        notes.push(format!(
            "{:.0}% of the variance is not explained by any input alone: interactions (e.g. users × sessions per user) or per-session noise; compare total and first-order indices",
            unexplained * 100.0
        ));
    }
    Ok(Sensitivity {
        kind: "sensitivity".into(),
        billcast_version: env!("CARGO_PKG_VERSION").into(),
        scenario: s.name.clone(),
        month: months[mi].to_string(),
        seed: s.seed,
        mode: mode_name(mode),
        plan,
        tornado_trials: opts.tornado_trials,
        sobol_trials: opts.sobol_trials,
        median_world_mean: median_mean,
        median_world_p95: median_p95,
        tornado,
        bill_mean,
        bill_sd,
        sobol,
        unexplained,
        bootstrap: opts.bootstrap,
        reuse,
        notes,
    })
}

/// Pins every input of `s` at `u` (all inputs at one quantile, e.g. 0.5 for the median world).
pub fn pin_all(s: &Scenario, u: f64) -> Pins {
    uncertain_inputs(s)
        .into_iter()
        .map(|i| (i.key, u))
        .collect::<BTreeMap<_, _>>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sobol_estimators_recover_an_additive_model() {
        // Y = 3·x1 + x2 with x uniform: Var = 9/12 + 1/12, S1 = 0.9, S2 = 0.1 (exact).
        let n = 20_000;
        let mut rng = FastRng::from_seed(7);
        let a: Vec<[f64; 2]> = (0..n).map(|_| [rng.uniform(), rng.uniform()]).collect();
        let b: Vec<[f64; 2]> = (0..n).map(|_| [rng.uniform(), rng.uniform()]).collect();
        let f = |x: [f64; 2]| 3.0 * x[0] + x[1];
        let fa: Vec<f64> = a.iter().map(|x| f(*x)).collect();
        let fb: Vec<f64> = b.iter().map(|x| f(*x)).collect();
        let fab1: Vec<f64> = (0..n).map(|j| f([b[j][0], a[j][1]])).collect();
        let fab2: Vec<f64> = (0..n).map(|j| f([a[j][0], b[j][1]])).collect();
        let idx: Vec<usize> = (0..n).collect();
        let (s1, t1) = sobol_estimates(&fa, &fb, &fab1, &idx);
        let (s2, t2) = sobol_estimates(&fa, &fb, &fab2, &idx);
        assert!((s1 - 0.9).abs() < 0.03, "{s1}");
        assert!((s2 - 0.1).abs() < 0.03, "{s2}");
        assert!(
            (t1 - 0.9).abs() < 0.03 && (t2 - 0.1).abs() < 0.03,
            "{t1} {t2}"
        );
    }
}
