//! `solve`: the largest (or smallest) value of one input that keeps a percentile of the
//! monthly bill under a budget — "how many users fit in $20k at P95", "what output length
//! keeps us in budget", "what cache hit rate do we need".
//!
//! # Method
//! Let `Q(v)` be the chosen quantile of the month's bill, estimated from `T` trials, when the
//! input is set to `v` (`--set KEY=v`). Every evaluation uses the same seed, trials and engine
//! mode, so `Q` is a deterministic function of `v` (common random numbers): trial `t` sees the
//! same world at every `v`, and `Q` moves only because `v` does. That makes bisection
//! well-defined where independent runs would make `Q` jitter around the budget.
//!
//! 1. Bracket: `lo` (default 0) and `hi` (default the input's current value: the number, the
//!    median of a range or distribution). Without `--hi`, `hi` doubles until it crosses the
//!    budget (at most [`MAX_EXPANSIONS`] times).
//! 2. Bisect: with `direction = max` (the bill grows with the input) keep `lo` fitting
//!    (`Q(lo) ≤ budget`) and `hi` not; with `min` (the bill shrinks as the input grows, e.g. a
//!    cache hit rate) the other way round. Stop when `hi − lo ≤ tolerance · max(|lo|, |hi|)`
//!    (whole units for integer inputs). The answer is the fitting end of the final bracket.
//! 3. Monte Carlo uncertainty (delta method): `Q̂(v*)` has standard error `se_Q` (the
//!    Maritz–Jarrett estimate, [`maritz_jarrett_se`], which weighs every order statistic
//!    and is steadier in the tail than a two-point rank interval); two more runs at
//!    `v* ± δ` (`δ = max(2% of |v*|, bracket width)`) give the local slope `s = dQ/dv`, and
//!    `se_v = se_Q / |s|` is how far the answer would move if the simulation were re-run with
//!    another seed; the reported 95% interval is `v* ± 1.96·se_v`. It shrinks with `√T`.
//!
//! Engine runs: at most `2 + MAX_EXPANSIONS + bisection steps + 2`; the result lists every
//! evaluation.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Alignment, OnProgress, WhatifError, mode_name, pick_month};
use crate::dist::{Domain, Uncertain};
use crate::engine::prepare::Prepared;
use crate::engine::reuse::{self, Kept, Source};
use crate::engine::{self, SimOptions};
use crate::pricing::PriceBook;
use crate::scenario::{Mode, Scenario};
use crate::stats::quantile_sorted;
use crate::toml_util;
use crate::units::Month;

/// Most doublings of `hi` while looking for a bracket.
pub const MAX_EXPANSIONS: usize = 40;
/// Most bisection steps (a relative tolerance of 1e-3 needs about 10).
pub const MAX_BISECTIONS: usize = 60;
/// Default relative tolerance of the bracket.
pub const DEFAULT_TOLERANCE: f64 = 1e-3;

/// Which end of the feasible set to find.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The largest value under budget (the bill grows with the input: users, tokens).
    Max,
    /// The smallest value under budget (the bill shrinks as the input grows: hit rate).
    Min,
}

/// What to solve.
#[derive(Debug, Clone)]
pub struct SolveSpec {
    /// Scenario file.
    pub path: PathBuf,
    /// `--set` overrides applied before the input is set.
    pub overrides: Vec<String>,
    /// Dotted key of the input, e.g. `traffic.monthly_active_users`.
    pub param: String,
    /// Budget the quantile must stay under, USD per month (default: the scenario's
    /// `[budget] monthly_usd`).
    pub budget: Option<f64>,
    /// Quantile of the monthly bill, in (0, 1) (0.95 = P95).
    pub quantile: f64,
    /// Month (default: the last month).
    pub month: Option<Month>,
    /// Lower end of the search (default 0).
    pub lo: Option<f64>,
    /// Upper end (default: the current value, doubled until it crosses the budget).
    pub hi: Option<f64>,
    /// Which end to find.
    pub direction: Direction,
    /// Relative tolerance of the final bracket.
    pub tolerance: f64,
    /// Engine mode (default: resolved once, at the first `hi`, and kept for every run).
    pub mode: Option<Mode>,
    /// Treat the input as a whole number (default: when the scenario writes it as an integer).
    pub integer: Option<bool>,
    /// Simulate every evaluation on its own instead of aggregating from a kept fast-mode
    /// pilot when the input does not change the simulated sessions (see
    /// [`crate::engine::reuse`]); the results are the same.
    pub resimulate: bool,
}

/// One engine run of the search.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Input value.
    pub value: f64,
    /// The chosen quantile of the bill, USD.
    pub quantile_usd: f64,
    /// Its Monte Carlo standard error, USD.
    pub quantile_se: f64,
    /// `quantile_usd ≤ budget`.
    pub fits: bool,
}

/// How the search ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The bracket closed on a boundary.
    Found,
    /// Every value up to the search limit fits (the answer is at least `value`).
    WholeRangeFits,
}

/// The result of `billcast solve`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Solution {
    /// `solve`.
    pub kind: String,
    /// billcast version.
    pub billcast_version: String,
    /// Scenario name.
    pub scenario: String,
    /// The input solved for.
    pub param: String,
    /// Budget, USD per month.
    pub budget_usd: f64,
    /// Quantile of the bill kept under budget.
    pub quantile: f64,
    /// Month.
    pub month: String,
    /// `max` or `min`.
    pub direction: Direction,
    /// How the search ended.
    pub status: Status,
    /// The answer: the fitting end of the final bracket.
    pub value: f64,
    /// Final bracket `[lo, hi]`: the exact boundary (for these draws) lies inside.
    pub bracket: [f64; 2],
    /// The quantile at `value`, USD.
    pub quantile_at_value: f64,
    /// Local slope of the quantile, USD per unit of the input.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub slope_usd_per_unit: Option<f64>,
    /// Monte Carlo standard error of the answer, in units of the input.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub answer_se: Option<f64>,
    /// 95% Monte Carlo interval of the answer (`value ± 1.96·answer_se`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub answer_interval_95: Option<[f64; 2]>,
    /// Whether the input was treated as a whole number.
    pub integer: bool,
    /// Seed, trials and mode of every evaluation.
    pub alignment: Alignment,
    /// Every engine run, in order.
    pub evaluations: Vec<Evaluation>,
    /// Engine runs made.
    pub engine_runs: usize,
    /// What the evaluations shared: when the input does not change the simulated sessions
    /// (volume, prices) in fast mode, every evaluation aggregates from one kept pilot (absent
    /// when each simulated on its own).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reuse: Option<String>,
    /// Notes on the search (bracket expansion, slope estimate).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub notes: Vec<String>,
}

/// The value of `key` in the scenario text after overrides: a number, the median of a range
/// or distribution, and whether it is written as an integer.
pub fn current_value(text: &str, overrides: &[String], key: &str) -> Option<(f64, bool)> {
    let text = toml_util::apply_overrides(text, overrides).ok()?;
    let mut v: toml::Value = toml::Value::Table(toml::from_str(&text).ok()?);
    for seg in key.split('.') {
        v = match v {
            toml::Value::Table(mut t) => t.remove(seg)?,
            toml::Value::Array(mut a) => {
                let i: usize = seg.parse().ok()?;
                if i >= a.len() {
                    return None;
                }
                a.swap_remove(i)
            }
            _ => return None,
        };
    }
    match &v {
        toml::Value::Integer(i) => Some((*i as f64, true)),
        toml::Value::Float(f) => Some((*f, false)),
        other => {
            let u = Uncertain::from_toml(other).ok()?;
            let d = u.resolve_median(key, Domain::Real).ok()?;
            Some((d.quantile(0.5), false)).filter(|(x, _)| x.is_finite())
        }
    }
}

/// Standard error of the sample `p`-quantile of sorted data (Maritz & Jarrett 1978, "A note
/// on estimating the variance of the sample median", JASA 73:194): with `m = ⌊pn + ½⌋`, the
/// `m`-th order statistic has weights `W_i = I_{i/n}(m−1, n−m) − I_{(i−1)/n}(m−1, n−m)`
/// (`I` the regularized incomplete beta), and `SE = √(Σ W_i x_(i)² − (Σ W_i x_(i))²)`.
/// Cost `O(n)` incomplete-beta evaluations.
pub fn maritz_jarrett_se(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    if n < 3 {
        return f64::NAN;
    }
    let nf = n as f64;
    let m = ((p * nf + 0.5).floor() as usize).clamp(2, n - 1) as f64;
    let (a, b) = (m - 1.0, nf - m);
    let mut prev = 0.0;
    let (mut c1, mut c2) = (0.0, 0.0);
    for (i, x) in sorted.iter().enumerate() {
        let cur = statrs::function::beta::beta_reg(a, b, (i + 1) as f64 / nf);
        let w = cur - prev;
        prev = cur;
        c1 += w * x;
        c2 += w * x * x;
    }
    (c2 - c1 * c1).max(0.0).sqrt()
}

/// `error: cause: cause` without depending on anyhow in the library.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cur = c.source();
    }
    out
}

/// Format a value for a `--set` override (integers without a decimal point, so integer keys
/// such as `max_output_tokens` accept it).
fn override_value(v: f64, integer: bool) -> String {
    if integer {
        format!("{}", v.round() as i64)
    } else {
        // Debug prints the shortest text that round-trips, always with a '.' or an exponent,
        // so TOML reads it back as the same float.
        format!("{v:?}")
    }
}

struct Search<'a> {
    spec: &'a SolveSpec,
    budget: f64,
    text: String,
    base_dir: Option<PathBuf>,
    book: &'a PriceBook,
    seed: u64,
    trials: u64,
    mode: Option<Mode>,
    month: Option<usize>,
    integer: bool,
    evaluations: Vec<Evaluation>,
    progress: Option<OnProgress<'a>>,
    done: u64,
    kept: Kept,
    sources: Vec<Source>,
}

impl Search<'_> {
    fn scenario(&self, v: f64) -> Result<Scenario, WhatifError> {
        let mut ov = self.spec.overrides.clone();
        ov.push(format!(
            "{}={}",
            self.spec.param,
            override_value(v, self.integer)
        ));
        let label = format!("{}={}", self.spec.param, override_value(v, self.integer));
        let name = self.spec.path.display().to_string();
        let mut s = Scenario::from_text(&name, &self.text, self.base_dir.as_deref(), &ov).map_err(
            |source| WhatifError::Scenario {
                variant: label,
                source: Box::new(source),
            },
        )?;
        s.seed = self.seed;
        s.trials = self.trials;
        Ok(s)
    }

    fn eval(&mut self, v: f64) -> Result<Evaluation, WhatifError> {
        if let Some(e) = self.evaluations.iter().find(|e| e.value == v) {
            return Ok(*e);
        }
        let mut s = self.scenario(v)?;
        let mode = *self
            .mode
            .get_or_insert_with(|| engine::resolve_mode(&s, s.mode).0);
        s.mode = mode;
        let mi = match self.month {
            Some(i) => i,
            None => {
                let i = pick_month(&s.months(), self.spec.month)?;
                self.month = Some(i);
                i
            }
        };
        let done = self.done;
        let cb = |n: u64| {
            if let Some(p) = self.progress {
                p(done + n);
            }
        };
        let opts = SimOptions {
            progress: Some(&cb),
            mode: Some(mode),
            ..Default::default()
        };
        let label = format!("{}={}", self.spec.param, override_value(v, self.integer));
        let engine_err = |source| WhatifError::Engine {
            variant: label.clone(),
            source: Box::new(source),
        };
        let prepared = Prepared::new(&s, self.book).map_err(engine_err)?;
        let run = reuse::Run {
            scenario: &s,
            prepared: &prepared,
            opts,
        };
        let (sim, source) =
            reuse::simulate_runs(&[run], Some(&mut self.kept), !self.spec.resimulate)
                .map_err(|(_, e)| engine_err(e))?
                .pop()
                .ok_or_else(|| WhatifError::NoAnswer(format!("{label} was not simulated")))?;
        self.sources.push(source);
        self.done += s.trials;
        let mut xs = sim.totals.get(mi).cloned().unwrap_or_default();
        xs.sort_by(|a, b| a.total_cmp(b));
        let q = quantile_sorted(&xs, self.spec.quantile);
        let e = Evaluation {
            value: v,
            quantile_usd: q,
            quantile_se: maritz_jarrett_se(&xs, self.spec.quantile),
            fits: q <= self.budget,
        };
        self.evaluations.push(e);
        Ok(e)
    }

    fn mid(&self, lo: f64, hi: f64) -> f64 {
        if self.integer {
            ((lo + hi) / 2.0).floor()
        } else {
            lo + (hi - lo) / 2.0
        }
    }

    fn closed(&self, lo: f64, hi: f64) -> bool {
        if self.integer {
            hi - lo <= 1.0
        } else {
            hi - lo <= self.spec.tolerance * lo.abs().max(hi.abs()) || hi - lo <= f64::EPSILON
        }
    }
}

/// Solve for the boundary value of `spec.param` (see the module docs for the method).
///
/// # Errors
/// [`WhatifError::Flag`] for a quantile outside (0, 1), a non-positive budget, `lo ≥ hi`, or
/// no default bracket; [`WhatifError::NoAnswer`] when even the best end of the bracket is over
/// budget, or the bill does not move with the input the way `direction` says; scenario and
/// engine errors naming the value being tried.
pub fn solve(
    spec: &SolveSpec,
    book: &PriceBook,
    progress: Option<OnProgress<'_>>,
) -> Result<Solution, WhatifError> {
    if !(spec.quantile > 0.0 && spec.quantile < 1.0) {
        return Err(WhatifError::flag(
            "--quantile",
            format!("{} must be between 0 and 1 (0.95 = the P95)", spec.quantile),
        ));
    }
    if !(spec.tolerance > 0.0 && spec.tolerance < 1.0) {
        return Err(WhatifError::flag(
            "--tolerance",
            "must be between 0 and 1 (relative width of the final bracket, e.g. 0.001)",
        ));
    }
    let text = std::fs::read_to_string(&spec.path).map_err(|e| WhatifError::Scenario {
        variant: spec.path.display().to_string(),
        source: Box::new(crate::scenario::ScenarioError::Io {
            path: spec.path.display().to_string(),
            message: e.to_string(),
        }),
    })?;
    // The base scenario fixes the seed and trials every evaluation shares.
    let base = Scenario::from_text(
        &spec.path.display().to_string(),
        &text,
        spec.path.parent(),
        &spec.overrides,
    )
    .map_err(|source| WhatifError::Scenario {
        variant: spec.path.display().to_string(),
        source: Box::new(source),
    })?;
    let budget = spec.budget.or(base.budget_usd).ok_or_else(|| {
        WhatifError::flag(
            "--budget",
            "give the monthly budget in USD (--budget 20000) or set [budget] monthly_usd in the scenario",
        )
    })?;
    if !(budget > 0.0 && budget.is_finite()) {
        return Err(WhatifError::flag(
            "--budget",
            format!("{budget} must be a positive number of USD per month"),
        ));
    }
    let current = current_value(&text, &spec.overrides, &spec.param);
    let integer = spec
        .integer
        .unwrap_or_else(|| current.is_some_and(|(_, int)| int));
    let lo0 = spec.lo.unwrap_or(0.0);
    let hi0 = match (spec.hi, current) {
        (Some(h), _) => h,
        (None, Some((x, _))) if x > lo0 => x,
        (None, Some((x, _))) if lo0 > 0.0 => lo0.max(x) * 2.0,
        _ => {
            return Err(WhatifError::flag(
                "--hi",
                format!(
                    "{} has no positive value in the scenario to start from; give the search range with --lo and --hi",
                    spec.param
                ),
            ));
        }
    };
    if lo0 >= hi0 {
        return Err(WhatifError::flag(
            "--lo",
            format!("--lo {lo0} must be below --hi {hi0}"),
        ));
    }
    let mut search = Search {
        spec,
        budget,
        text,
        base_dir: spec.path.parent().map(Path::to_path_buf),
        book,
        seed: base.seed,
        trials: base.trials,
        mode: spec.mode,
        month: None,
        integer,
        evaluations: Vec::new(),
        progress,
        done: 0,
        kept: Kept::default(),
        sources: Vec::new(),
    };
    let mut notes = Vec::new();
    let max = spec.direction == Direction::Max;
    // `good(e)`: e is on the side of the bracket that `lo` must be on.
    let good_lo = |e: &Evaluation| if max { e.fits } else { !e.fits };
    let (mut lo, mut hi) = (lo0, hi0);
    let mut e_hi = search.eval(hi)?;
    let mut expansions = 0;
    // Without --hi, walk hi up until it crosses the budget.
    while spec.hi.is_none() && good_lo(&e_hi) && expansions < MAX_EXPANSIONS {
        lo = hi;
        hi *= 2.0;
        expansions += 1;
        e_hi = search.eval(hi).map_err(|e| {
            WhatifError::flag(
                "--hi",
                format!(
                    "widening the search to {}={} failed ({}); give the upper end with --hi",
                    spec.param,
                    crate::units::format_value(hi),
                    error_chain(&e)
                ),
            )
        })?;
    }
    if expansions > 0 {
        notes.push(format!(
            "no --hi: doubled the upper end {expansions} time{} to {} to bracket the budget",
            if expansions == 1 { "" } else { "s" },
            crate::units::format_value(hi)
        ));
    }
    let e_lo = search.eval(lo)?;
    let quantile_name = format!("P{}", crate::units::format_value(spec.quantile * 100.0));
    let month = search
        .month
        .and_then(|i| base.months().get(i).copied())
        .map(|m| m.to_string())
        .unwrap_or_default();
    let at_lo = |e: &Evaluation| {
        format!(
            "at {}={} the {quantile_name} of {month} is {} (budget {})",
            spec.param,
            crate::units::format_value(e.value),
            crate::units::format_usd(e.quantile_usd),
            crate::units::format_usd(budget)
        )
    };
    let status = match (max, e_lo.fits, e_hi.fits) {
        // The bracket straddles the budget the way `direction` says: bisect.
        (true, true, false) | (false, false, true) => {
            let mut steps = 0;
            while !search.closed(lo, hi) && steps < MAX_BISECTIONS {
                let m = search.mid(lo, hi);
                if m <= lo || m >= hi {
                    break;
                }
                let e = search.eval(m)?;
                if good_lo(&e) {
                    lo = m;
                } else {
                    hi = m;
                }
                steps += 1;
            }
            Status::Found
        }
        (_, true, true) => {
            notes.push(format!(
                "every value from {} to {} fits; the answer is at least as far as the search went (widen --lo/--hi to search further)",
                crate::units::format_value(lo),
                crate::units::format_value(hi)
            ));
            Status::WholeRangeFits
        }
        (_, false, false) => {
            let e = if max { &e_lo } else { &e_hi };
            return Err(WhatifError::NoAnswer(format!(
                "no value of {} in [{}, {}] keeps the {quantile_name} under {}: even {}; {} or raise --budget",
                spec.param,
                crate::units::format_value(lo0),
                crate::units::format_value(hi),
                crate::units::format_usd(budget),
                at_lo(e),
                if max { "lower --lo" } else { "raise --hi" }
            )));
        }
        // Fits at one end only, but the wrong one: the bill moves the other way.
        _ => {
            return Err(WhatifError::NoAnswer(format!(
                "the {quantile_name} of {month} {} as {} grows ({}; {}), so use --direction {}",
                if e_lo.fits { "rises" } else { "falls" },
                spec.param,
                at_lo(&e_lo),
                at_lo(&e_hi),
                if max { "min" } else { "max" }
            )));
        }
    };
    let value = match (status, max) {
        (Status::WholeRangeFits, true) => hi,
        (Status::WholeRangeFits, false) => lo,
        (Status::Found, true) => lo,
        (Status::Found, false) => hi,
    };
    let at = search.eval(value)?;
    // Local slope by a central difference around the answer, clipped to the searched range.
    let width = (hi - lo).abs();
    let mut delta = (0.02 * value.abs()).max(width);
    if integer {
        delta = delta.ceil().max(1.0);
    }
    let a = (value - delta).max(lo0);
    let b = value + delta;
    let mut slope = None;
    if b > a {
        match (search.eval(a), search.eval(b)) {
            (Ok(ea), Ok(eb)) => {
                let s = (eb.quantile_usd - ea.quantile_usd) / (b - a);
                if s.is_finite() && s != 0.0 {
                    slope = Some(s);
                }
            }
            (Err(e), _) | (_, Err(e)) => notes.push(format!(
                "no slope estimate (a run next to the answer failed: {e}); the Monte Carlo error is not reported"
            )),
        }
    }
    let answer_se = slope.map(|s| at.quantile_se / s.abs());
    let alignment = Alignment {
        seed: search.seed,
        trials: search.trials,
        mode: mode_name(search.mode.unwrap_or(Mode::Exact)),
        notes: vec![],
    };
    Ok(Solution {
        kind: "solve".into(),
        billcast_version: env!("CARGO_PKG_VERSION").into(),
        scenario: base.name.clone(),
        param: spec.param.clone(),
        budget_usd: budget,
        quantile: spec.quantile,
        month,
        direction: spec.direction,
        status,
        value,
        bracket: [lo, hi],
        quantile_at_value: at.quantile_usd,
        slope_usd_per_unit: slope,
        answer_se,
        answer_interval_95: answer_se.map(|se| [value - 1.96 * se, value + 1.96 * se]),
        integer,
        alignment,
        engine_runs: search.evaluations.len(),
        reuse: super::reuse_note(&search.sources),
        evaluations: search.evaluations,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_values_come_from_numbers_ranges_and_overrides() {
        let text = "[traffic]\nmonthly_active_users = \"100 to 400\"\nsessions_per_user = 3\n[[routes]]\nshare = 1.0\n";
        let (x, int) = current_value(text, &[], "traffic.monthly_active_users").unwrap();
        assert!((x - 200.0).abs() < 1e-9 && !int, "{x}");
        assert_eq!(
            current_value(text, &[], "traffic.sessions_per_user"),
            Some((3.0, true))
        );
        assert_eq!(
            current_value(text, &[], "routes.0.share"),
            Some((1.0, false))
        );
        assert_eq!(
            current_value(
                text,
                &["traffic.sessions_per_user=5".into()],
                "traffic.sessions_per_user"
            ),
            Some((5.0, true))
        );
        assert_eq!(current_value(text, &[], "traffic.nope"), None);
    }

    #[test]
    fn maritz_jarrett_matches_the_asymptotic_quantile_error_of_uniforms() {
        // For U(0,1), SE of the p-quantile is √(p(1−p)/n).
        let n = 10_000;
        let xs: Vec<f64> = (0..n).map(|i| (i as f64 + 0.5) / n as f64).collect();
        let se = maritz_jarrett_se(&xs, 0.95);
        let expect = (0.95f64 * 0.05 / n as f64).sqrt();
        assert!((se / expect - 1.0).abs() < 0.02, "{se} vs {expect}");
        assert_eq!(maritz_jarrett_se(&[5.0; 50], 0.95), 0.0);
    }

    #[test]
    fn override_values_round_trip() {
        assert_eq!(override_value(1234.0, true), "1234");
        assert_eq!(override_value(0.1, false), "0.1");
        assert_eq!(override_value(20000.0, false), "20000.0");
    }
}
