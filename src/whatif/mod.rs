//! What-if tools: compare, sweep, solve, sensitivity, and the diff of two saved forecasts
//! with a CI cost gate (DESIGN §2, issue 6).
//!
//! Every command here reruns the engine on variants of a scenario with **common random
//! numbers**: all variants share one seed, one trial count and one engine mode, and the engine
//! draws each trial's epistemic inputs as `quantile(u)` with `u = key_uniform(seed, trial,
//! key)` and its inner loop from streams keyed by `(seed, trial, month, segment)`. Trial `t`
//! of two variants therefore sees the same world wherever the variants agree, so a difference
//! between them is the effect of what was changed, not Monte Carlo noise (two identical
//! variants give exactly zero deltas; doubling a price doubles exactly that component).
//!
//! Layout: this file holds what every command shares — loading variants (`--vary`, value lists
//! and ranges), aligning them on one seed/trials/mode, running them, picking the month, and
//! the [`Stats`]/[`Delta`] pair that compare, sweep and diff all report. One file per command
//! builds its result type (serde, so `--format json` is the result itself), and
//! [`render`] turns results into table / Markdown / CSV text with the report module's grid
//! builders.
//!
//! Charts are drawn on top of these result types, not here (nothing in `whatif` knows about
//! fonts or pixels): [`crate::charts::compare()`] overlays the variants' distributions (every
//! [`compare::VariantResult::summary`] carries 101 quantiles), [`crate::charts::sweep()`] draws
//! the percentiles with bands from [`sweep::SweepPoint::summary`], and
//! [`crate::charts::tornado()`] the [`sensitivity::TornadoRow`]s; the commands' `--chart FILE`
//! flag calls them.

pub mod compare;
pub mod diff;
pub mod gate;
pub mod render;
pub mod sensitivity;
pub mod solve;
pub mod sweep;

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::engine::prepare::Prepared;
use crate::engine::reuse::{self, Source};
use crate::engine::trial::{Pins, Redraw};
use crate::engine::{self, EngineError, SimOptions, Simulation};
use crate::pricing::PriceBook;
use crate::report::{Components, MonthSummary, Report};
use crate::scenario::{Mode, Scenario, ScenarioError};
use crate::units::Month;

/// Most variants one command may run (a `--vary` grid grows as the product of its lists).
pub const MAX_VARIANTS: usize = 200;

/// What can go wrong in a what-if command.
///
/// The scenario and engine causes are boxed to keep `Result`s small, and `Error` is written by
/// hand so that `source()` yields the cause itself (not its box): the CLI finds a
/// `ScenarioError` in the chain to choose exit code 2.
#[derive(Debug)]
pub enum WhatifError {
    /// A variant's scenario could not be loaded or is invalid.
    Scenario {
        /// Which variant (label or file).
        variant: String,
        /// The scenario problem.
        source: Box<ScenarioError>,
    },
    /// The engine refused a variant (unknown model, bad distribution parameters…).
    Engine {
        /// Which variant.
        variant: String,
        /// The engine problem.
        source: Box<EngineError>,
    },
    /// A flag or argument is wrong; the message names it and says how to fix it.
    Flag {
        /// The flag, e.g. `--vary`.
        flag: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A computation has no answer (e.g. no value in a bracket fits the budget).
    NoAnswer(String),
}

impl std::fmt::Display for WhatifError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // The cause follows in the chain (`{:#}`), so only the variant is named here.
            WhatifError::Scenario { variant, .. } | WhatifError::Engine { variant, .. } => {
                f.write_str(variant)
            }
            WhatifError::Flag { flag, message } => write!(f, "{flag}: {message}"),
            WhatifError::NoAnswer(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for WhatifError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WhatifError::Scenario { source, .. } => Some(source.as_ref()),
            WhatifError::Engine { source, .. } => Some(source.as_ref()),
            _ => None,
        }
    }
}

impl WhatifError {
    /// A flag error.
    pub fn flag(flag: &str, message: impl Into<String>) -> WhatifError {
        WhatifError::Flag {
            flag: flag.to_string(),
            message: message.into(),
        }
    }

    /// Whether the user's input is at fault (exit code 2) rather than the run (exit code 1).
    pub fn is_usage(&self) -> bool {
        matches!(self, WhatifError::Flag { .. })
    }
}

/// Progress callback: total trials finished so far across all engine runs of a command.
pub type OnProgress<'a> = &'a (dyn Fn(u64) + Sync);

/// How to run the engine for a what-if command.
#[derive(Clone, Copy, Default)]
pub struct RunOptions<'a> {
    /// Engine mode for every run (default: decided once for all variants, see [`align`]).
    pub mode: Option<Mode>,
    /// Progress across all runs.
    pub progress: Option<OnProgress<'a>>,
    /// Simulate every variant on its own instead of sharing simulations between variants
    /// that simulate the same sessions ([`engine::reuse`]). The results are the same; the
    /// reuse tests compare the two paths.
    pub resimulate: bool,
}

/// A scenario to run and the label it is shown under.
#[derive(Debug, Clone)]
pub struct Variant {
    /// Label in tables (`file stem`, or `key=value` for `--vary`).
    pub label: String,
    /// The scenario, overrides applied.
    pub scenario: Scenario,
}

/// One simulated variant.
pub struct VariantRun {
    /// The variant.
    pub variant: Variant,
    /// Routes resolved against the price book.
    pub prepared: Prepared,
    /// The engine's output.
    pub sim: Simulation,
    /// Whether it was simulated or priced/aggregated from another variant's simulation.
    pub source: Source,
}

impl VariantRun {
    /// The full forecast report of this variant (same as `billcast forecast` would write).
    pub fn report(&self, book: &PriceBook) -> Report {
        Report::from_simulation(&self.variant.scenario, book, &self.prepared, &self.sim)
    }
}

/// The seed, trials and mode shared by all variants of a command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alignment {
    /// Seed used by every variant.
    pub seed: u64,
    /// Trials of every variant.
    pub trials: u64,
    /// Engine mode of every variant (`exact` or `fast`).
    pub mode: String,
    /// What was changed to align the variants, when anything was.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub notes: Vec<String>,
}

/// Put every variant on the first one's seed and trials and on one engine mode, so that trial
/// `t` of every variant draws the same uniforms (common random numbers).
///
/// The mode is `mode` when given; otherwise each variant's own `[simulation] mode` is resolved
/// (`auto` by its expected work) and, when they disagree, fast mode is used for all — an exact
/// run of a variant that `auto` sent to fast mode could take hours, and mixing modes would
/// break the shared draws.
pub fn align(variants: &mut [Variant], mode: Option<Mode>) -> Alignment {
    let mut notes = Vec::new();
    let (seed, trials) = variants
        .first()
        .map_or((crate::scenario::DEFAULT_SEED, 0), |v| {
            (v.scenario.seed, v.scenario.trials)
        });
    for v in variants.iter_mut() {
        if v.scenario.seed != seed || v.scenario.trials != trials {
            notes.push(format!(
                "{} ran with seed {seed} and {trials} trials (its file says seed {} and {} trials) so all variants share their draws",
                v.label, v.scenario.seed, v.scenario.trials
            ));
            v.scenario.seed = seed;
            v.scenario.trials = trials;
        }
    }
    let resolved: Vec<Mode> = variants
        .iter()
        .map(|v| engine::resolve_mode(&v.scenario, mode.unwrap_or(v.scenario.mode)).0)
        .collect();
    let common = if resolved.iter().all(|m| *m == Mode::Exact) {
        Mode::Exact
    } else {
        if resolved.contains(&Mode::Exact) {
            notes.push(
                "variants disagreed on the engine mode; all ran in fast mode so they share their draws (pass --mode exact to simulate every session)"
                    .to_string(),
            );
        }
        Mode::Fast
    };
    for v in variants.iter_mut() {
        v.scenario.mode = common;
    }
    Alignment {
        seed,
        trials,
        mode: mode_name(common),
        notes,
    }
}

/// `exact`, `fast` or `auto`.
pub fn mode_name(m: Mode) -> String {
    format!("{m:?}").to_lowercase()
}

/// Run one scenario (the building block of every command); `opts` carries the engine's
/// sensitivity hooks (`pins`, `redraw`), the mode and the progress callback.
pub fn run_scenario(
    label: &str,
    s: &Scenario,
    book: &PriceBook,
    opts: &SimOptions<'_>,
) -> Result<(Prepared, Simulation), WhatifError> {
    let engine_err = |source| WhatifError::Engine {
        variant: label.to_string(),
        source: Box::new(source),
    };
    let prepared = Prepared::new(s, book).map_err(engine_err)?;
    let sim = engine::simulate_prepared(s, &prepared, opts).map_err(engine_err)?;
    Ok((prepared, sim))
}

/// One engine run of a batch: a scenario and the sensitivity hooks to run it with.
pub struct Job<'a> {
    /// Label for errors.
    pub label: String,
    /// The scenario (seed, trials and mode already set).
    pub scenario: &'a Scenario,
    /// Inputs pinned at quantiles.
    pub pins: Option<Pins>,
    /// Inputs drawn with another seed.
    pub redraw: Option<Redraw>,
}

/// Run independent engine runs and return their results in job order, simulating as little
/// as the jobs allow: jobs that simulate the same sessions share one simulation and are
/// repriced or re-aggregated from it ([`engine::reuse`]; `resimulate` turns that off). Each
/// result is exactly what a run of its own gives.
///
/// Runs go side by side: a run is parallel over trials, but parts of it are not (fast mode's
/// pilot is one stream per replicate and segment, and a scenario with nothing uncertain inside
/// a session has one replicate), so running the simulations concurrently keeps every core
/// busy. Each run is deterministic on its own, so the results do not depend on the
/// interleaving. `progress` receives the trials finished across all jobs.
pub fn run_jobs(
    jobs: &[Job<'_>],
    book: &PriceBook,
    progress: Option<OnProgress<'_>>,
    resimulate: bool,
) -> Result<Vec<(Prepared, Simulation, Source)>, WhatifError> {
    let engine_err = |k: usize, source| WhatifError::Engine {
        variant: jobs[k].label.clone(),
        source: Box::new(source),
    };
    let prepared = jobs
        .iter()
        .enumerate()
        .map(|(k, job)| Prepared::new(job.scenario, book).map_err(|e| engine_err(k, e)))
        .collect::<Result<Vec<_>, _>>()?;
    let done: Vec<AtomicU64> = jobs.iter().map(|_| AtomicU64::new(0)).collect();
    let callbacks: Vec<_> = (0..jobs.len())
        .map(|k| {
            let done = &done;
            move |n: u64| {
                done[k].store(n, Ordering::Relaxed);
                if let Some(p) = progress {
                    p(done.iter().map(|d| d.load(Ordering::Relaxed)).sum());
                }
            }
        })
        .collect();
    let runs: Vec<reuse::Run<'_>> = jobs
        .iter()
        .zip(&prepared)
        .zip(&callbacks)
        .map(|((job, p), cb)| reuse::Run {
            scenario: job.scenario,
            prepared: p,
            opts: SimOptions {
                pins: job.pins.as_ref(),
                redraw: job.redraw.as_ref(),
                progress: Some(cb),
                mode: Some(job.scenario.mode),
                all_at: None,
            },
        })
        .collect();
    let sims = reuse::simulate_runs(&runs, None, !resimulate).map_err(|(k, e)| engine_err(k, e))?;
    drop(runs);
    Ok(prepared
        .into_iter()
        .zip(sims)
        .map(|(p, (sim, source))| (p, sim, source))
        .collect())
}

/// A note on what the runs of a command shared (`None` when each simulated on its own).
pub fn reuse_note(sources: &[Source]) -> Option<String> {
    let count = |s: Source| sources.iter().filter(|x| **x == s).count();
    let (simulated, repriced, reaggregated) = (
        count(Source::Simulated),
        count(Source::Repriced),
        count(Source::Reaggregated),
    );
    if repriced + reaggregated == 0 {
        return None;
    }
    let mut parts = Vec::new();
    if repriced > 0 {
        parts.push(format!(
            "{repriced} repriced from another run's simulated quantities (same sessions, other prices)"
        ));
    }
    if reaggregated > 0 {
        parts.push(format!(
            "{reaggregated} aggregated from another run's fast-mode pilot (same sessions, other volume or prices)"
        ));
    }
    Some(format!(
        "{} engine runs from {simulated} simulation{}: {}; the results are those of separate runs",
        sources.len(),
        if simulated == 1 { "" } else { "s" },
        parts.join(", ")
    ))
}

/// Run every variant (see [`run_jobs`]). Total work: at most the sum of the variants' trials.
pub fn run_variants(
    variants: Vec<Variant>,
    book: &PriceBook,
    opts: &RunOptions<'_>,
) -> Result<Vec<VariantRun>, WhatifError> {
    let jobs: Vec<Job<'_>> = variants
        .iter()
        .map(|v| Job {
            label: v.label.clone(),
            scenario: &v.scenario,
            pins: None,
            redraw: None,
        })
        .collect();
    let results = run_jobs(&jobs, book, opts.progress, opts.resimulate)?;
    drop(jobs);
    Ok(variants
        .into_iter()
        .zip(results)
        .map(|(variant, (prepared, sim, source))| VariantRun {
            variant,
            prepared,
            sim,
            source,
        })
        .collect())
}

/// Load one scenario file as a variant, naming it in errors.
pub fn load_variant(
    label: &str,
    path: &Path,
    overrides: &[String],
) -> Result<Variant, WhatifError> {
    let scenario = Scenario::load(path, overrides).map_err(|source| WhatifError::Scenario {
        variant: label.to_string(),
        source: Box::new(source),
    })?;
    Ok(Variant {
        label: label.to_string(),
        scenario,
    })
}

/// Load scenario files as variants labelled by file stem (`name#2` when two stems clash).
pub fn load_files(paths: &[&Path], overrides: &[String]) -> Result<Vec<Variant>, WhatifError> {
    let mut labels: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for p in paths {
        let stem = p
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| p.display().to_string());
        let mut label = stem.clone();
        let mut k = 2;
        while labels.contains(&label) {
            label = format!("{stem}#{k}");
            k += 1;
        }
        labels.push(label.clone());
        out.push(load_variant(&label, p, overrides)?);
    }
    Ok(out)
}

/// One `--vary key=v1,v2,…`: a scenario key and the values it takes.
#[derive(Debug, Clone, PartialEq)]
pub struct Vary {
    /// Dotted scenario key, as for `--set`.
    pub key: String,
    /// Values as TOML text (bare words are strings).
    pub values: Vec<String>,
}

impl Vary {
    /// Parse `key=v1,v2,…`. Commas inside quotes, `{…}` and `[…]` do not split, so
    /// `workload.output_tokens={ dist = "lognormal", median = 150, sigma = 0.8 },200` is two
    /// values.
    ///
    /// # Errors
    /// A [`WhatifError::Flag`] naming `flag` when there is no `=`, no key or no value.
    pub fn parse(flag: &str, spec: &str) -> Result<Vary, WhatifError> {
        let (key, values) = spec.split_once('=').ok_or_else(|| {
            WhatifError::flag(
                flag,
                format!("'{spec}' is not KEY=V1,V2,… (e.g. {flag} traffic.monthly_active_users=10000,20000,40000)"),
            )
        })?;
        let key = key.trim();
        if key.is_empty() {
            return Err(WhatifError::flag(
                flag,
                format!("'{spec}' has no key before '='"),
            ));
        }
        let values = split_values(values);
        if values.is_empty() {
            return Err(WhatifError::flag(
                flag,
                format!(
                    "'{spec}' lists no values after '='; give one or more, separated by commas"
                ),
            ));
        }
        Ok(Vary {
            key: key.to_string(),
            values,
        })
    }
}

/// Split a comma-separated list of TOML values at top-level commas (not inside quotes,
/// braces or brackets); empty items are dropped.
pub fn split_values(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut cur = String::new();
    for ch in text.chars() {
        match (quote, ch) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(ch),
            (None, '{' | '[') => depth += 1,
            (None, '}' | ']') => depth -= 1,
            (None, ',') if depth <= 0 => {
                let item = cur.trim().to_string();
                if !item.is_empty() {
                    out.push(item);
                }
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(ch);
    }
    let item = cur.trim().to_string();
    if !item.is_empty() {
        out.push(item);
    }
    out
}

/// `lo:hi:steps` → `steps` evenly spaced numbers from `lo` to `hi` inclusive (geometrically
/// spaced when `log`, which needs `0 < lo`).
///
/// # Errors
/// A [`WhatifError::Flag`] naming `flag` for a malformed spec, `steps < 2`, more than
/// [`MAX_VARIANTS`] steps, or `lo ≤ 0` with `log`.
pub fn range_values(flag: &str, spec: &str, log: bool) -> Result<Vec<f64>, WhatifError> {
    let bad = |why: &str| {
        WhatifError::flag(
            flag,
            format!("'{spec}' {why}; write LO:HI:STEPS, e.g. {flag} 1000:50000:8"),
        )
    };
    let parts: Vec<&str> = spec.split(':').collect();
    if parts.len() != 3 {
        return Err(bad("is not three numbers separated by ':'"));
    }
    let lo: f64 = parse_number(parts[0]).ok_or_else(|| bad("has a LO that is not a number"))?;
    let hi: f64 = parse_number(parts[1]).ok_or_else(|| bad("has a HI that is not a number"))?;
    let steps: usize = parts[2]
        .trim()
        .parse()
        .map_err(|_| bad("has a STEPS that is not a whole number"))?;
    if steps < 2 {
        return Err(bad("needs STEPS ≥ 2 (the ends are included)"));
    }
    if steps > MAX_VARIANTS {
        return Err(bad(&format!("asks for more than {MAX_VARIANTS} steps")));
    }
    if log && !(lo > 0.0 && hi > 0.0) {
        return Err(bad("needs LO and HI > 0 for a log-spaced range"));
    }
    Ok((0..steps)
        .map(|i| {
            let f = i as f64 / (steps - 1) as f64;
            if log {
                (lo.ln() + f * (hi.ln() - lo.ln())).exp()
            } else {
                lo + f * (hi - lo)
            }
        })
        .collect())
}

/// Read a number as people write it on a command line: `20000`, `20_000`, `20,000`, `$20k`,
/// `1.5M`, `1e4`.
pub fn parse_number(text: &str) -> Option<f64> {
    let t = text.trim().trim_start_matches('$').replace(['_', ','], "");
    let (body, mult) = match t.chars().last() {
        Some('k' | 'K') => (&t[..t.len() - 1], 1e3),
        Some('M') => (&t[..t.len() - 1], 1e6),
        _ => (t.as_str(), 1.0),
    };
    body.parse::<f64>()
        .ok()
        .map(|x| x * mult)
        .filter(|x| x.is_finite())
}

/// Variants of `path` for every combination of the `--vary` lists (the first value of each
/// list first, so the first variant is the baseline of the deltas). Labels are the value
/// with one `--vary`, `key=value, key=value` with several.
///
/// # Errors
/// [`WhatifError::Flag`] when the grid exceeds [`MAX_VARIANTS`]; [`WhatifError::Scenario`]
/// naming the variant when a value makes the scenario invalid.
pub fn load_grid(
    path: &Path,
    base_overrides: &[String],
    varies: &[Vary],
    flag: &str,
) -> Result<Vec<Variant>, WhatifError> {
    let count: usize = varies.iter().map(|v| v.values.len()).product();
    if count > MAX_VARIANTS {
        return Err(WhatifError::flag(
            flag,
            format!(
                "{count} combinations; at most {MAX_VARIANTS} variants per run (use fewer values)"
            ),
        ));
    }
    let mut combos: Vec<Vec<(String, String)>> = vec![vec![]];
    for v in varies {
        combos = combos
            .into_iter()
            .flat_map(|c| {
                v.values.iter().map(move |val| {
                    let mut c = c.clone();
                    c.push((v.key.clone(), val.clone()));
                    c
                })
            })
            .collect();
    }
    combos
        .into_iter()
        .map(|combo| {
            let label = if combo.len() == 1 {
                combo[0].1.clone()
            } else {
                combo
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let mut overrides = base_overrides.to_vec();
            overrides.extend(combo.iter().map(|(k, v)| format!("{k}={v}")));
            load_variant(&label, path, &overrides)
        })
        .collect()
}

/// Index of `want` among `months` (default: the last month).
///
/// # Errors
/// [`WhatifError::Flag`] (`--month`) listing the months forecast.
pub fn pick_month(months: &[Month], want: Option<Month>) -> Result<usize, WhatifError> {
    match want {
        None => months
            .len()
            .checked_sub(1)
            .ok_or_else(|| WhatifError::NoAnswer("no months were simulated".into())),
        Some(m) => months.iter().position(|x| *x == m).ok_or_else(|| {
            WhatifError::flag(
                "--month",
                format!(
                    "{m} is not forecast; the months are {} to {}",
                    months.first().map_or("-".into(), |x| x.to_string()),
                    months.last().map_or("-".into(), |x| x.to_string())
                ),
            )
        }),
    }
}

/// The summary statistics that deltas and gates speak of, for one month, USD.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Mean bill.
    pub mean: f64,
    /// Median bill.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Monte Carlo standard error of the P95.
    pub p95_se: f64,
    /// `P(bill > budget)`, when a budget is set.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub prob_over_budget: Option<f64>,
}

impl From<&MonthSummary> for Stats {
    fn from(m: &MonthSummary) -> Stats {
        Stats {
            mean: m.mean,
            p50: m.p50,
            p90: m.p90,
            p95: m.p95,
            p99: m.p99,
            p95_se: m.p95_se,
            prob_over_budget: m.prob_over_budget,
        }
    }
}

/// `head − base` of every statistic, USD, and relative changes in percent
/// (`100·(head − base)/base`; `None` when the base is 0).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    /// Δ mean, USD.
    pub mean: f64,
    /// Δ mean, %.
    pub mean_pct: Option<f64>,
    /// Δ P50, USD.
    pub p50: f64,
    /// Δ P50, %.
    pub p50_pct: Option<f64>,
    /// Δ P90, USD.
    pub p90: f64,
    /// Δ P90, %.
    pub p90_pct: Option<f64>,
    /// Δ P95, USD.
    pub p95: f64,
    /// Δ P95, %.
    pub p95_pct: Option<f64>,
    /// Δ P99, USD.
    pub p99: f64,
    /// Δ P99, %.
    pub p99_pct: Option<f64>,
    /// Δ P(over budget), in probability (0.05 = five percentage points); `None` unless both
    /// sides have a budget.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub prob_over_budget: Option<f64>,
}

/// `100·(head − base)/base`, `None` when `base` is 0 (a change from nothing has no ratio).
pub fn pct_change(base: f64, head: f64) -> Option<f64> {
    if base == 0.0 || !base.is_finite() || !head.is_finite() {
        None
    } else {
        Some((head - base) / base * 100.0)
    }
}

impl Delta {
    /// The change from `base` to `head`.
    pub fn between(base: &Stats, head: &Stats) -> Delta {
        Delta {
            mean: head.mean - base.mean,
            mean_pct: pct_change(base.mean, head.mean),
            p50: head.p50 - base.p50,
            p50_pct: pct_change(base.p50, head.p50),
            p90: head.p90 - base.p90,
            p90_pct: pct_change(base.p90, head.p90),
            p95: head.p95 - base.p95,
            p95_pct: pct_change(base.p95, head.p95),
            p99: head.p99 - base.p99,
            p99_pct: pct_change(base.p99, head.p99),
            prob_over_budget: match (base.prob_over_budget, head.prob_over_budget) {
                (Some(b), Some(h)) => Some(h - b),
                _ => None,
            },
        }
    }
}

/// `head − base` of every cost component, USD.
pub fn component_delta(base: &Components, head: &Components) -> Components {
    Components {
        input: head.input - base.input,
        cache_read: head.cache_read - base.cache_read,
        cache_write: head.cache_write - base.cache_write,
        output: head.output - base.output,
        reasoning: head.reasoning - base.reasoning,
        tool_fees: head.tool_fees - base.tool_fees,
        retries: head.retries - base.retries,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_split_at_top_level_commas_only() {
        assert_eq!(split_values("1, 2,3"), vec!["1", "2", "3"]);
        assert_eq!(
            split_values(r#"{ dist = "normal", mean = 1, sd = 2 },"a, b",[1, 2]"#),
            vec![
                r#"{ dist = "normal", mean = 1, sd = 2 }"#,
                r#""a, b""#,
                "[1, 2]"
            ]
        );
        assert!(split_values(" , ").is_empty());
    }

    #[test]
    fn vary_and_ranges_parse_or_explain() {
        let v = Vary::parse("--vary", "routes.0.model=a/b,c/d").unwrap();
        assert_eq!(v.key, "routes.0.model");
        assert_eq!(v.values, vec!["a/b", "c/d"]);
        assert!(Vary::parse("--vary", "nokey").is_err());
        assert!(Vary::parse("--vary", "k=").is_err());
        assert_eq!(
            range_values("--range", "0:10:3", false).unwrap(),
            vec![0.0, 5.0, 10.0]
        );
        let g = range_values("--range", "1:100:3", true).unwrap();
        assert!((g[1] - 10.0).abs() < 1e-9);
        let e = range_values("--range", "1:2", false).unwrap_err();
        assert!(e.to_string().contains("LO:HI:STEPS"), "{e}");
        assert!(range_values("--range", "0:1:1", false).is_err());
        assert!(range_values("--range", "0:1:5", true).is_err());
    }

    #[test]
    fn numbers_read_like_people_write_them() {
        assert_eq!(parse_number("20,000"), Some(20000.0));
        assert_eq!(parse_number("$20k"), Some(20000.0));
        assert_eq!(parse_number("1.5M"), Some(1.5e6));
        assert_eq!(parse_number("1e4"), Some(1e4));
        assert_eq!(parse_number("abc"), None);
    }

    #[test]
    fn deltas_are_exact_and_relative_changes_skip_zero_bases() {
        let a = Stats {
            mean: 100.0,
            p50: 90.0,
            p90: 150.0,
            p95: 200.0,
            p99: 300.0,
            p95_se: 1.0,
            prob_over_budget: Some(0.1),
        };
        let d = Delta::between(&a, &a);
        assert_eq!(d.mean, 0.0);
        assert_eq!(d.p95_pct, Some(0.0));
        let mut b = a;
        b.p95 = 220.0;
        b.prob_over_budget = Some(0.25);
        let d = Delta::between(&a, &b);
        assert!((d.p95_pct.unwrap() - 10.0).abs() < 1e-12);
        assert!((d.prob_over_budget.unwrap() - 0.15).abs() < 1e-12);
        assert_eq!(pct_change(0.0, 5.0), None);
    }
}
