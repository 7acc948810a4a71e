//! Backtests: fit on the first part of a real log, forecast the rest, and score whether the
//! forecast band contains what really happened.
//!
//! A split orders the log's sessions by their first call, fits the workload on a leading window
//! with [`crate::fit`], and forecasts the following window with the engine (exact mode): its
//! volume is either the window's real session count (`known`) or extrapolated from the fit
//! window's arrival rate (`arrival-rate`, with the calibrated volume shift). Each quantity —
//! input tokens, output tokens, calls, tool calls, failed attempts and dollars at a chosen
//! price — is then scored: the real total, the forecast P5/P50/P95, whether the P5–P95 band
//! covers it, the median's error, the error of the naive estimate (fit-window mean per session
//! × the volume the forecast was given), and the continuous ranked probability score (CRPS,
//! Gneiting & Raftery 2007), reported relative to the real value.
//!
//! The sample-to-production shift (`[shift]` in a scenario) is what makes such bands honest:
//! a pilot is not production. [`calibrate`] chooses its default by backtesting the real traces
//! in `data/real/`.

pub mod calibrate;

use rayon::prelude::*;
use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::engine::{self, SimOptions};
use crate::fit::observe::observe;
use crate::fit::workload::{WorkloadFitOptions, fit_workload};
use crate::ingest::{CallRecord, Session, Status};
use crate::pricing::PriceBook;
use crate::scenario::{Mode, Scenario};

/// Why a backtest could not run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BacktestError {
    /// The log is too short for the windows asked for.
    #[error("{0}")]
    TooShort(String),
    /// A time-based split needs timestamps.
    #[error(
        "the log has no timestamps; use --fit-first N instead of --fit-until, or map a time column with --map time=COLUMN"
    )]
    NoTimestamps,
    /// The fit failed.
    #[error("fitting the first {sessions} sessions failed: {message}")]
    Fit {
        /// Sessions in the fit window.
        sessions: usize,
        /// Why.
        message: String,
    },
    /// The forecast failed.
    #[error("forecasting split {split} failed: {message}")]
    Forecast {
        /// Split index.
        split: usize,
        /// Why.
        message: String,
    },
}

/// Where the fit window ends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FitWindow {
    /// The sessions holding the first `n` calls.
    FirstCalls(usize),
    /// Sessions that start before this unix time (seconds).
    Until(f64),
}

/// How the forecast learns the test window's volume.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VolumeRule {
    /// The real number of sessions in the test window.
    Known,
    /// The fit window's arrival rate × the test window's duration, with the volume shift.
    ArrivalRate,
}

/// Prices of the dollar comparison, USD per 1M tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Prices {
    /// Uncached input.
    pub input: f64,
    /// Cache reads.
    pub cache_read: f64,
    /// Output, reasoning included.
    pub output: f64,
}

impl Default for Prices {
    /// The reference prices of the shared traces' README: $2.50 input, $10 output; cache
    /// reads at a tenth of input.
    fn default() -> Self {
        Prices {
            input: 2.5,
            cache_read: 0.25,
            output: 10.0,
        }
    }
}

/// Pilot-to-production shift used by the forecasts: lognormal multipliers with median 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ShiftSigma {
    /// σ of ln(size multiplier) (token sizes).
    pub size: f64,
    /// σ of ln(count multiplier) (turns, tool rounds).
    pub count: f64,
    /// σ of ln(volume multiplier) (arrival-rate volumes only).
    pub volume: f64,
}

impl ShiftSigma {
    /// No shift: the fit is taken as the truth.
    pub const NONE: ShiftSigma = ShiftSigma {
        size: 0.0,
        count: 0.0,
        volume: 0.0,
    };
}

/// Options of a backtest.
#[derive(Debug, Clone)]
pub struct BacktestOptions {
    /// The first fit window.
    pub fit: FitWindow,
    /// Rolling splits (1 = fit window then the whole remainder).
    pub splits: usize,
    /// Sessions in each test window (default: the remainder for one split, four fit windows
    /// for rolling splits).
    pub test_sessions: Option<usize>,
    /// How the volume is forecast.
    pub volume: VolumeRule,
    /// Only this caller's calls.
    pub caller: Option<String>,
    /// Trials per forecast.
    pub trials: u64,
    /// Seed.
    pub seed: u64,
    /// Bootstrap replicates of each fit.
    pub bootstrap: usize,
    /// Prices for dollars.
    pub prices: Prices,
    /// The prior shift the forecasts carry: combined with each fit's own between-window drift
    /// (`fit::drift`) when `data_drift` is set, as `fit` writes it.
    pub shift: ShiftSigma,
    /// Widen the prior by the fit window's own drift (default); off, the prior alone.
    pub data_drift: bool,
}

impl Default for BacktestOptions {
    fn default() -> Self {
        BacktestOptions {
            fit: FitWindow::FirstCalls(500),
            splits: 1,
            test_sessions: None,
            volume: VolumeRule::Known,
            caller: None,
            trials: 200,
            seed: 42,
            bootstrap: 20,
            prices: Prices::default(),
            shift: calibrate::DEFAULT_SHIFT,
            data_drift: true,
        }
    }
}

/// One scored quantity of one split. Errors relative to an actual value of zero are NaN,
/// which JSON holds as `null` and reads back as NaN.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Scored {
    /// `input_tokens`, `output_tokens`, `calls`, `tool_calls`, `failures`, `dollars`.
    pub quantity: Cow<'static, str>,
    /// What the log shows.
    pub actual: f64,
    /// Forecast P5.
    pub p5: f64,
    /// Forecast median.
    pub p50: f64,
    /// Forecast P95.
    pub p95: f64,
    /// `p5 ≤ actual ≤ p95`.
    pub covered: bool,
    /// `p50 / actual − 1`.
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub median_error: f64,
    /// The naive estimate: the fit window's mean per session × the forecast's volume.
    pub naive: f64,
    /// `naive / actual − 1`.
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub naive_error: f64,
    /// CRPS divided by the actual value (0 = a perfect point forecast).
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub crps_rel: f64,
}

/// One split.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SplitResult {
    /// Index.
    pub index: usize,
    /// Sessions fitted.
    pub fit_sessions: usize,
    /// Calls fitted.
    pub fit_calls: usize,
    /// Sessions forecast.
    pub test_sessions: usize,
    /// Sessions the forecast assumed (differs from `test_sessions` with arrival rates).
    pub forecast_sessions: f64,
    /// The shift this split's forecast carried: the prior combined with the fit window's drift.
    pub shift: ShiftSigma,
    /// Scored quantities (deterministic ones are left out).
    pub quantities: Vec<Scored>,
}

/// Coverage and scores of a quantity over all splits.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct QuantitySummary {
    /// Quantity.
    pub quantity: Cow<'static, str>,
    /// Splits scored.
    pub n: usize,
    /// Share of splits whose P5–P95 band covered the actual value.
    pub coverage: f64,
    /// Mean |median error|.
    pub median_abs_error: f64,
    /// Mean |naive error|.
    pub naive_abs_error: f64,
    /// Mean relative CRPS.
    pub crps_rel: f64,
}

/// A backtest (`billcast render` reads its JSON back).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Backtest {
    /// Splits in order.
    pub splits: Vec<SplitResult>,
    /// Per quantity.
    pub summary: Vec<QuantitySummary>,
    /// Share of all scored (split, quantity) pairs covered by the P5–P95 band (nominal 90%).
    pub coverage: f64,
    /// Scored pairs.
    pub scored: usize,
    /// The prior shift the forecasts carried.
    pub shift: ShiftSigma,
    /// Whether each split's fit-window drift was added to the prior (each split's `shift`).
    pub data_drift: bool,
    /// Volume rule.
    pub volume: VolumeRule,
}

/// Totals of one window of the log.
#[derive(Debug, Clone, Copy, Default)]
struct Totals {
    input: f64,
    cache_read: f64,
    output: f64,
    calls: f64,
    tool_calls: f64,
    failures: f64,
}

impl Totals {
    fn of(records: &[CallRecord], sessions: &[&Session], caller: Option<&str>) -> Totals {
        let mut t = Totals::default();
        for s in sessions {
            for turn in &s.turns {
                for &i in &turn.calls {
                    let r = &records[i];
                    if caller.is_some_and(|c| r.caller.as_deref() != Some(c)) {
                        continue;
                    }
                    if let Status::Failed(_) = r.status {
                        t.failures += 1.0;
                    }
                    if let Some(k) = r.tokens {
                        t.input += k.total_input();
                        t.cache_read += k.cache_read;
                        t.output += k.total_output();
                        t.calls += 1.0;
                        t.tool_calls += r.tool_calls as f64;
                    }
                }
            }
        }
        t
    }

    fn dollars(&self, p: &Prices) -> f64 {
        ((self.input - self.cache_read) * p.input
            + self.cache_read * p.cache_read
            + self.output * p.output)
            / 1e6
    }
}

/// The scored quantities, in report order.
pub const QUANTITIES: [&str; 6] = [
    "input_tokens",
    "output_tokens",
    "calls",
    "tool_calls",
    "failures",
    "dollars",
];

/// The quantities the size and count shift moves (token sizes and counts); dollars also depend
/// on cache hits and prices, failures on failure rates.
pub const SHIFTED: [&str; 4] = ["input_tokens", "output_tokens", "calls", "tool_calls"];

/// CRPS of a lognormal forecast with median `m` and log-σ `s` for the value `y > 0`, closed
/// form (Baran & Lerch 2015): with `z = (ln y − ln m)/s`,
/// `y(2Φ(z) − 1) − 2 m e^{s²/2} (Φ(z − s) + Φ(s/√2) − 1)`; `|m − y|` when `s = 0`.
pub fn lognormal_crps(m: f64, s: f64, y: f64) -> f64 {
    use crate::dist::family::norm_cdf;
    if s <= 0.0 || y <= 0.0 || m <= 0.0 {
        return (m - y).abs();
    }
    let z = (y / m).ln() / s;
    y * (2.0 * norm_cdf(z) - 1.0)
        - 2.0 * m * (s * s / 2.0).exp() * (norm_cdf(z - s) + norm_cdf(s / 2f64.sqrt()) - 1.0)
}

/// σ of the naive baseline band: a lognormal with median the naive estimate and a fixed log-σ,
/// the smallest that covers 90% of `(naive, actual)` pairs with its P5–P95 band — the 90th
/// percentile (nearest rank) of `|ln(actual / naive)|` over `z₀.₉₅ = 1.6449`. Pairs with a
/// non-positive value are left out; `None` when none is left.
pub fn naive_band_sigma(pairs: &[(f64, f64)]) -> Option<f64> {
    let mut d: Vec<f64> = pairs
        .iter()
        .filter(|(n, a)| *n > 0.0 && *a > 0.0)
        .map(|(n, a)| (a / n).ln().abs())
        .collect();
    if d.is_empty() {
        return None;
    }
    d.sort_by(|a, b| a.total_cmp(b));
    let k = ((0.9 * d.len() as f64).ceil() as usize).clamp(1, d.len());
    Some(d[k - 1] / 1.644_853_626_951_472_2)
}

/// Continuous ranked probability score of a sample forecast for the value `y`:
/// `E|X − y| − ½ E|X − X'|`, the second term from the sorted sample in O(n log n).
pub fn crps(samples: &[f64], y: f64) -> f64 {
    let n = samples.len() as f64;
    if n == 0.0 {
        return f64::NAN;
    }
    let mut x = samples.to_vec();
    x.sort_by(|a, b| a.total_cmp(b));
    let e1 = x.iter().map(|v| (v - y).abs()).sum::<f64>() / n;
    // Σ_i Σ_j |x_i − x_j| = 2 Σ_i (2i − n − 1) x_(i), i = 1..n.
    let pair: f64 = x
        .iter()
        .enumerate()
        .map(|(i, v)| (2.0 * (i as f64 + 1.0) - n - 1.0) * v)
        .sum::<f64>()
        * 2.0;
    e1 - pair / (2.0 * n * n)
}

fn score(quantity: &'static str, samples: &[f64], actual: f64, naive: f64) -> Option<Scored> {
    let mut x = samples.to_vec();
    x.sort_by(|a, b| a.total_cmp(b));
    let q = |p| crate::stats::quantile_sorted(&x, p);
    let (p5, p50, p95) = (q(0.05), q(0.5), q(0.95));
    // Deterministic forecasts of a known count (calls of a call-level log) say nothing.
    if p95 - p5 <= 1e-9 * p50.abs().max(1.0) && (p50 - actual).abs() <= 1e-9 * actual.abs().max(1.0)
    {
        return None;
    }
    if actual <= 0.0 && p95 <= 0.0 {
        return None;
    }
    let rel = |v: f64| {
        if actual != 0.0 {
            v / actual - 1.0
        } else {
            f64::NAN
        }
    };
    Some(Scored {
        quantity: Cow::Borrowed(quantity),
        actual,
        p5,
        p50,
        p95,
        covered: p5 <= actual && actual <= p95,
        median_error: rel(p50),
        naive,
        naive_error: rel(naive),
        crps_rel: if actual != 0.0 {
            crps(samples, actual) / actual.abs()
        } else {
            f64::NAN
        },
    })
}

/// Timestamps of a session's calls (unix seconds).
fn times<'a>(records: &'a [CallRecord], s: &'a Session) -> impl Iterator<Item = f64> + 'a {
    s.turns
        .iter()
        .flat_map(|t| t.calls.iter())
        .filter_map(|&i| records[i].timestamp)
}

fn first_time(records: &[CallRecord], s: &Session) -> Option<f64> {
    times(records, s).min_by(f64::total_cmp)
}

fn last_time(records: &[CallRecord], s: &Session) -> Option<f64> {
    times(records, s).max_by(f64::total_cmp)
}

/// Run a backtest on records already grouped into sessions.
pub fn backtest(
    records: &[CallRecord],
    sessions: &[Session],
    opts: &BacktestOptions,
) -> Result<Backtest, BacktestError> {
    let caller = opts.caller.as_deref();
    // Sessions with at least one call of the caller, in order of their first call.
    let mut order: Vec<&Session> = sessions
        .iter()
        .filter(|s| {
            s.turns
                .iter()
                .flat_map(|t| t.calls.iter())
                .any(|&i| caller.is_none_or(|c| records[i].caller.as_deref() == Some(c)))
        })
        .collect();
    // Ties (and logs without times) keep the log's order of first calls.
    let first_call = |s: &Session| s.turns.first().and_then(|t| t.calls.first()).copied();
    order.sort_by(|a, b| {
        let (ta, tb) = (first_time(records, a), first_time(records, b));
        match (ta, tb) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            _ => std::cmp::Ordering::Equal,
        }
        .then_with(|| first_call(a).cmp(&first_call(b)))
    });
    // Calls of the caller (all calls without one): `--fit-first 450 --caller agent` fits on 450
    // agent calls.
    let calls_of = |s: &Session| {
        s.turns
            .iter()
            .flat_map(|t| t.calls.iter())
            .filter(|&&i| caller.is_none_or(|c| records[i].caller.as_deref() == Some(c)))
            .count()
    };
    let fit_len = match opts.fit {
        FitWindow::FirstCalls(n) => {
            let mut c = 0;
            let mut k = 0;
            while k < order.len() && c < n {
                c += calls_of(order[k]);
                k += 1;
            }
            k
        }
        FitWindow::Until(t) => {
            if order.iter().all(|s| first_time(records, s).is_none()) {
                return Err(BacktestError::NoTimestamps);
            }
            order
                .iter()
                .take_while(|s| first_time(records, s).is_some_and(|x| x < t))
                .count()
        }
    };
    if fit_len < 2 || fit_len >= order.len() {
        return Err(BacktestError::TooShort(format!(
            "the fit window holds {fit_len} of {} sessions; it needs at least 2 and must leave some to forecast",
            order.len()
        )));
    }
    let splits = opts.splits.max(1);
    let test_len = match (opts.test_sessions, splits) {
        (Some(n), _) => n,
        (None, 1) => order.len() - fit_len,
        (None, _) => (4 * fit_len).min((order.len() - fit_len) / 2).max(1),
    };
    let span = fit_len + test_len;
    if span > order.len() {
        return Err(BacktestError::TooShort(format!(
            "a fit window of {fit_len} sessions plus a test window of {test_len} needs {span}, but the log has {}",
            order.len()
        )));
    }
    let starts: Vec<usize> = if splits == 1 {
        vec![0]
    } else {
        let room = order.len() - span;
        (0..splits).map(|k| k * room / (splits - 1)).collect()
    };
    let results: Vec<SplitResult> = starts
        .par_iter()
        .enumerate()
        .map(|(index, &start)| {
            run_split(
                records,
                &order[start..start + fit_len],
                &order[start + fit_len..start + span],
                index,
                opts,
            )
        })
        .collect::<Result<_, _>>()?;
    let mut summary = Vec::new();
    for name in QUANTITIES {
        let rows: Vec<&Scored> = results
            .iter()
            .flat_map(|r| r.quantities.iter())
            .filter(|q| q.quantity == name)
            .collect();
        if rows.is_empty() {
            continue;
        }
        let n = rows.len() as f64;
        let mean = |f: &dyn Fn(&Scored) -> f64| {
            rows.iter()
                .map(|r| f(r))
                .filter(|v| v.is_finite())
                .sum::<f64>()
                / n
        };
        summary.push(QuantitySummary {
            quantity: Cow::Borrowed(name),
            n: rows.len(),
            coverage: rows.iter().filter(|r| r.covered).count() as f64 / n,
            median_abs_error: mean(&|r| r.median_error.abs()),
            naive_abs_error: mean(&|r| r.naive_error.abs()),
            crps_rel: mean(&|r| r.crps_rel),
        });
    }
    let scored = results.iter().map(|r| r.quantities.len()).sum::<usize>();
    let covered = results
        .iter()
        .flat_map(|r| r.quantities.iter())
        .filter(|q| q.covered)
        .count();
    let coverage = covered as f64 / scored.max(1) as f64;
    Ok(Backtest {
        splits: results,
        summary,
        coverage,
        scored,
        shift: opts.shift,
        data_drift: opts.data_drift,
        volume: opts.volume,
    })
}

fn run_split(
    records: &[CallRecord],
    fit: &[&Session],
    test: &[&Session],
    index: usize,
    opts: &BacktestOptions,
) -> Result<SplitResult, BacktestError> {
    let caller = opts.caller.as_deref();
    let fit_owned: Vec<Session> = fit.iter().map(|s| (*s).clone()).collect();
    let obs = observe(records, &fit_owned, caller);
    let wopts = WorkloadFitOptions {
        bootstrap: opts.bootstrap,
        seed: opts.seed ^ index as u64,
        ..WorkloadFitOptions::default()
    };
    let fitted = fit_workload(&obs, &wopts).map_err(|e| BacktestError::Fit {
        sessions: fit.len(),
        message: e.to_string(),
    })?;
    let actual = Totals::of(records, test, caller);
    let fit_totals = Totals::of(records, fit, caller);
    let n_test = test.len() as f64;
    // Volume: the real count, or the fit window's arrival rate over the test window's span.
    let (median_sessions, volume_sigma) = match opts.volume {
        VolumeRule::Known => (n_test, 0.0),
        VolumeRule::ArrivalRate => {
            let t0 = fit
                .iter()
                .filter_map(|s| first_time(records, s))
                .fold(f64::INFINITY, f64::min);
            let t1 = test
                .iter()
                .filter_map(|s| first_time(records, s))
                .fold(f64::INFINITY, f64::min);
            let t2 = test
                .iter()
                .filter_map(|s| last_time(records, s))
                .fold(f64::NEG_INFINITY, f64::max);
            if !(t1 > t0 && t2 > t1) {
                return Err(BacktestError::NoTimestamps);
            }
            (fit.len() as f64 / (t1 - t0) * (t2 - t1), opts.shift.volume)
        }
    };
    let volume = if volume_sigma > 0.0 {
        format!("{{ dist = \"lognormal\", median = {median_sessions}, sigma = {volume_sigma} }}")
    } else {
        format!("{median_sessions}")
    };
    let shift = if opts.data_drift {
        let (size, count) = fitted.drift.shift_sigma(opts.shift.size, opts.shift.count);
        ShiftSigma {
            size,
            count,
            volume: opts.shift.volume,
        }
    } else {
        opts.shift
    };
    let sim = forecast_fitted(
        &fitted,
        &volume,
        shift,
        opts.trials,
        opts.seed.wrapping_add(index as u64),
        &opts.prices,
        index,
    )?;
    let samples = quantity_samples(&sim);
    // Naive, the spreadsheet method: the fit window's mean per session (per request for
    // call-level logs) × the volume the forecast was given (the real count, or the arrival-rate
    // extrapolation), so both start from the same information.
    let naive = |x: f64| x / fit.len() as f64 * median_sessions;
    let mut quantities = Vec::new();
    let reals = [
        (actual.input, fit_totals.input),
        (actual.output, fit_totals.output),
        (actual.calls, fit_totals.calls),
        (actual.tool_calls, fit_totals.tool_calls),
        (actual.failures, fit_totals.failures),
        (
            actual.dollars(&opts.prices),
            fit_totals.dollars(&opts.prices),
        ),
    ];
    let candidates = samples
        .into_iter()
        .zip(reals)
        .map(|((name, samples), (real, fitted))| (name, samples, real, naive(fitted)));
    for (name, samples, real, naive) in candidates {
        // Quantities the log does not record (no tool calls, no failures) are not scored.
        if real == 0.0 && samples.iter().all(|v| *v == 0.0) {
            continue;
        }
        if let Some(sc) = score(name, &samples, real, naive) {
            quantities.push(sc);
        }
    }
    Ok(SplitResult {
        index,
        fit_sessions: fit.len(),
        fit_calls: fit_totals.calls as usize,
        test_sessions: test.len(),
        forecast_sessions: median_sessions,
        shift,
        quantities,
    })
}

/// The scored quantities of a simulation, per trial, in [`QUANTITIES`] order: input tokens
/// (all classes), output tokens (visible and reasoning), attempts, tool calls, failed attempts
/// and dollars.
fn quantity_samples(sim: &engine::Simulation) -> [(&'static str, Vec<f64>); 6] {
    let vols = &sim.trial_volumes[0];
    let pick =
        |f: &dyn Fn(&crate::engine::Volumes) -> f64| vols.iter().map(f).collect::<Vec<f64>>();
    [
        (
            QUANTITIES[0],
            pick(&|v| v.tokens[0] + v.tokens[1] + v.tokens[2]),
        ),
        (QUANTITIES[1], pick(&|v| v.tokens[3] + v.tokens[4])),
        (QUANTITIES[2], pick(&|v| v.attempts)),
        (QUANTITIES[3], pick(&|v| v.tool_calls)),
        (QUANTITIES[4], pick(&|v| v.attempts - v.calls)),
        (QUANTITIES[5], sim.totals[0].clone()),
    ]
}

/// Forecast a fitted workload for one month of `volume` sessions (a TOML value: a number or a
/// lognormal) at reference prices, in exact mode, with the given shift.
fn forecast_fitted(
    fitted: &crate::fit::workload::FittedWorkload,
    volume: &str,
    shift: ShiftSigma,
    trials: u64,
    seed: u64,
    prices: &Prices,
    index: usize,
) -> Result<engine::Simulation, BacktestError> {
    let workload_text = fitted.to_toml(&[], &toml::Table::new());
    let lognormal = |sigma: f64| {
        if sigma > 0.0 {
            format!("{{ dist = \"lognormal\", median = 1, sigma = {sigma} }}")
        } else {
            "1".to_string()
        }
    };
    let key = if fitted.one_call {
        "requests_per_month"
    } else {
        "sessions_per_month"
    };
    let scenario = format!(
        "schema_version = 1\nname = \"backtest split {index}\"\nstart_month = \"2027-01\"\n[simulation]\ntrials = {trials}\nseed = {seed}\nmode = \"exact\"\n[traffic]\n{key} = {volume}\n[workload]\nfrom = \"fitted\"\n[shift]\nsize = {}\ncount = {}\n[[routes]]\nmodel = \"backtest/reference\"\n",
        lognormal(shift.size),
        lognormal(shift.count),
    );
    let err = |e: String| BacktestError::Forecast {
        split: index,
        message: e,
    };
    let s =
        Scenario::from_text_with_workload("backtest", &scenario, None, &[], Some(&workload_text))
            .map_err(|e| err(e.to_string()))?;
    let mut book = PriceBook::empty();
    let table = format!(
        "schema_version = 1\n[provider]\nid = \"backtest\"\nname = \"Backtest reference prices\"\n[[models]]\nid = \"reference\"\n[models.rates]\ninput = {}\ncache_read = {}\noutput = {}\n",
        prices.input, prices.cache_read, prices.output
    );
    book.add_text("backtest prices", &table, false)
        .map_err(|e| err(e.to_string()))?;
    engine::simulate(
        &s,
        &book,
        &SimOptions {
            mode: Some(Mode::Exact),
            ..SimOptions::default()
        },
    )
    .map_err(|e| err(e.to_string()))
}

/// One quantity of an in-sample reproduction: the log's total against the forecast's mean.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Reproduced {
    /// `input_tokens`, `output_tokens`, `calls`, `tool_calls`, `failures`, `dollars`.
    pub quantity: &'static str,
    /// The log's total.
    pub actual: f64,
    /// Mean of the forecast's trials.
    pub mean: f64,
    /// Monte Carlo standard error of that mean: trial SD / √trials.
    pub se: f64,
    /// `mean / actual − 1`.
    pub error: f64,
}

/// In-sample reproduction: fit the workload on every session of the log and forecast as many
/// sessions with no shift. A session model that describes its own sample lands each total on
/// the log's, up to Monte Carlo error (`se`). `bootstrap` replicates add parameter
/// uncertainty, which widens the trials but leaves their mean in place.
pub fn in_sample(
    records: &[CallRecord],
    sessions: &[Session],
    caller: Option<&str>,
    wopts: &WorkloadFitOptions,
    trials: u64,
    seed: u64,
) -> Result<Vec<Reproduced>, BacktestError> {
    let kept: Vec<Session> = sessions
        .iter()
        .filter(|s| {
            s.turns
                .iter()
                .flat_map(|t| t.calls.iter())
                .any(|&i| caller.is_none_or(|c| records[i].caller.as_deref() == Some(c)))
        })
        .cloned()
        .collect();
    let obs = observe(records, &kept, caller);
    let fitted = fit_workload(&obs, wopts).map_err(|e| BacktestError::Fit {
        sessions: kept.len(),
        message: e.to_string(),
    })?;
    let prices = Prices::default();
    let refs: Vec<&Session> = kept.iter().collect();
    let actual = Totals::of(records, &refs, caller);
    let reals = [
        actual.input,
        actual.output,
        actual.calls,
        actual.tool_calls,
        actual.failures,
        actual.dollars(&prices),
    ];
    let volume = format!("{}", kept.len());
    let sim = forecast_fitted(&fitted, &volume, ShiftSigma::NONE, trials, seed, &prices, 0)?;
    Ok(quantity_samples(&sim)
        .into_iter()
        .zip(reals)
        .map(|((quantity, x), actual)| {
            let (mean, sd) = crate::stats::mean_sd(&x);
            Reproduced {
                quantity,
                actual,
                mean,
                se: sd / (x.len() as f64).sqrt(),
                error: mean / actual - 1.0,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crps_matches_its_closed_form() {
        // A point forecast x: CRPS = |x − y|.
        assert!((crps(&[3.0], 5.0) - 2.0).abs() < 1e-12);
        // Uniform sample {0, 1} and y = 0: E|X−y| = 0.5, E|X−X'| = 0.5 → 0.5 − 0.25 = 0.25.
        assert!((crps(&[0.0, 1.0], 0.0) - 0.25).abs() < 1e-12);
        // Large N(0,1) sample at y = 0: CRPS = (√2 − 1)/√π = 0.2337.
        let xs: Vec<f64> = (0..20000)
            .map(|i| crate::dist::family::norm_quantile((i as f64 + 0.5) / 20000.0))
            .collect();
        assert!((crps(&xs, 0.0) - 0.2337).abs() < 1e-3, "{}", crps(&xs, 0.0));
    }

    #[test]
    fn lognormal_crps_matches_the_sample_crps() {
        // A stratified lognormal sample of 20,000 draws: the sample CRPS converges to the closed
        // form with O(1/n) error from the pair term.
        let (m, s) = (100.0, 0.4);
        let xs: Vec<f64> = (0..20000)
            .map(|i| m * (s * crate::dist::family::norm_quantile((i as f64 + 0.5) / 20000.0)).exp())
            .collect();
        for y in [40.0, 100.0, 180.0] {
            let (a, b) = (lognormal_crps(m, s, y), crps(&xs, y));
            assert!((a - b).abs() < 1e-3 * m, "y {y}: closed {a} sample {b}");
        }
        assert_eq!(lognormal_crps(100.0, 0.0, 70.0), 30.0);
    }

    #[test]
    fn naive_band_covers_ninety_percent() {
        // Ten ratios e^{0.1·k}, k = 1..10: the 9th smallest |ln| is 0.9, σ = 0.9 / 1.6449.
        let pairs: Vec<(f64, f64)> = (1..=10).map(|k| (1.0, (0.1 * k as f64).exp())).collect();
        let s = naive_band_sigma(&pairs).expect("pairs");
        assert!((s - 0.9 / 1.644_853_626_951_472_2).abs() < 1e-12);
        let covered = pairs
            .iter()
            .filter(|(n, a)| (a / n).ln().abs() <= 1.644_853_626_951_472_2 * s + 1e-12)
            .count();
        assert_eq!(covered, 9);
        assert_eq!(naive_band_sigma(&[(0.0, 1.0)]), None);
    }
}
