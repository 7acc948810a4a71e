//! Calibration: of the pilot-to-production shift against real traces, and of past forecasts
//! against real bills.
//!
//! **The shift default.** A workload fitted from a sample describes that sample; the next
//! window of the same service already differs (load and mix drift within the hour in every
//! trace of `data/real/`). Part of that drift shows within the fit data itself: `fit` measures
//! it (`fit::drift`) and adds it to a prior. [`DEFAULT_SHIFT`] is that prior: the lognormal
//! spread of the size and count multipliers which, each fit's own drift added in quadrature,
//! makes nominal 90% bands cover about 90% of the real token and count outcomes over rolling
//! prefix/remainder splits of the Azure code and conversation traces and the tau2 agent
//! traces; [`calibration_traces`] defines those splits and [`calibrate_shift`] reruns the
//! search. It applies to scenarios whose workload comes from `billcast fit` unless they set
//! `[shift]` themselves.
//!
//! **Past forecasts.** [`calibrate_bills`] scores saved forecast reports against actual
//! monthly bills: bias of the median, coverage of the P5–P95 and P25–P75 bands, and the
//! probability integral transform (where in the forecast each actual fell).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{
    Backtest, BacktestError, BacktestOptions, FitWindow, ShiftSigma, VolumeRule, backtest,
};
use crate::ingest::{self, ColumnMap, IngestOptions};
use crate::report::Report;

/// Default pilot-to-production shift, calibrated by [`calibrate_shift`] on
/// [`calibration_traces`] (see the README's calibration table): σ of the log-multiplier on
/// fitted token sizes and on fitted counts, and on arrival-rate volumes.
pub const DEFAULT_SHIFT: ShiftSigma = ShiftSigma {
    size: crate::scenario::FITTED_SHIFT_SIGMA,
    count: crate::scenario::FITTED_SHIFT_SIGMA,
    volume: 0.6,
};

/// One trace and how it is split.
#[derive(Debug, Clone)]
pub struct CalibrationTrace {
    /// Short name.
    pub name: &'static str,
    /// Path relative to the project root.
    pub path: PathBuf,
    /// Column mapping, if the columns are not recognised.
    pub map: Option<&'static str>,
    /// Backtest options (windows, splits); the shift is set by the calibration.
    pub options: BacktestOptions,
}

/// The traces and splits the default shift is calibrated on. `root` is the folder holding
/// `azure-llm-2023/` and `tau2-bench-traces/` (`data/real` in the repository).
pub fn calibration_traces(root: &std::path::Path) -> Vec<CalibrationTrace> {
    let base = BacktestOptions {
        trials: 200,
        bootstrap: 20,
        ..BacktestOptions::default()
    };
    vec![
        CalibrationTrace {
            name: "azure-code",
            path: root.join("azure-llm-2023/AzureLLMInferenceTrace_code.csv"),
            map: Some("input=ContextTokens,output=GeneratedTokens,time=TIMESTAMP"),
            options: BacktestOptions {
                fit: FitWindow::FirstCalls(500),
                splits: 10,
                test_sessions: Some(1500),
                ..base.clone()
            },
        },
        CalibrationTrace {
            name: "azure-conv",
            path: root.join("azure-llm-2023/AzureLLMInferenceTrace_conv.csv"),
            map: Some("input=ContextTokens,output=GeneratedTokens,time=TIMESTAMP"),
            options: BacktestOptions {
                fit: FitWindow::FirstCalls(500),
                splits: 10,
                test_sessions: Some(1500),
                ..base.clone()
            },
        },
        CalibrationTrace {
            name: "tau2-agent",
            path: root.join("tau2-bench-traces/calls.csv"),
            map: None,
            options: BacktestOptions {
                fit: FitWindow::FirstCalls(450),
                splits: 10,
                test_sessions: Some(30),
                caller: Some("agent".into()),
                ..base
            },
        },
    ]
}

/// A calibration trace read and grouped into sessions, so a grid of shifts reads it once.
pub struct LoadedTrace {
    /// The trace and its splits.
    pub trace: CalibrationTrace,
    records: Vec<ingest::CallRecord>,
    sessions: Vec<ingest::Session>,
}

/// Read every trace once.
pub fn load_traces(traces: &[CalibrationTrace]) -> Result<Vec<LoadedTrace>, CalibrationError> {
    traces
        .iter()
        .map(|t| {
            let map = t
                .map
                .map(|m| m.parse::<ColumnMap>())
                .transpose()
                .map_err(|e| CalibrationError::Read(t.name, e.to_string()))?;
            let ing = ingest::ingest(
                std::slice::from_ref(&t.path),
                &IngestOptions {
                    map,
                    ..IngestOptions::default()
                },
                &|_| {},
            )
            .map_err(|e| CalibrationError::Read(t.name, e.to_string()))?;
            let sessions = ingest::sessions(&ing.records);
            Ok(LoadedTrace {
                trace: t.clone(),
                records: ing.records,
                sessions,
            })
        })
        .collect()
}

/// Backtest loaded traces with one shift and volume rule.
pub fn backtest_traces<'a>(
    traces: impl IntoIterator<Item = &'a LoadedTrace>,
    shift: ShiftSigma,
    volume: VolumeRule,
) -> Result<Vec<(&'static str, Backtest)>, CalibrationError> {
    traces
        .into_iter()
        .map(|t| {
            let opts = BacktestOptions {
                shift,
                volume,
                ..t.trace.options.clone()
            };
            let bt = backtest(&t.records, &t.sessions, &opts)
                .map_err(|e| CalibrationError::Backtest(t.trace.name, e))?;
            Ok((t.trace.name, bt))
        })
        .collect()
}

/// Problems calibrating.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CalibrationError {
    /// A trace could not be read.
    #[error("calibration trace {0}: {1}")]
    Read(&'static str, String),
    /// A backtest failed.
    #[error("calibration trace {0}: {1}")]
    Backtest(&'static str, BacktestError),
    /// The actual-bills file is malformed.
    #[error("{0}")]
    Actuals(String),
}

/// Coverage of one shift over all traces.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ShiftRow {
    /// σ of the size and count multipliers.
    pub sigma: f64,
    /// Coverage per trace: (name, covered share, scored pairs).
    pub traces: Vec<(String, f64, usize)>,
    /// Pooled coverage of nominal 90% bands.
    pub pooled: f64,
    /// Mean relative CRPS over all scored pairs (lower is better).
    pub crps_rel: f64,
    /// Mean |median error| over all scored pairs.
    pub median_abs_error: f64,
    /// Mean |naive error| over all scored pairs.
    pub naive_abs_error: f64,
    /// Pooled coverage of the quantities the shift moves ([`SHIFTED`](super::SHIFTED)): the
    /// calibration target.
    pub shifted: f64,
    /// σ of the naive baseline band ([`naive_band_sigma`](super::naive_band_sigma)) over all
    /// scored pairs of all traces.
    pub naive_sigma: f64,
    /// Mean relative CRPS of that naive band over all scored pairs.
    pub naive_crps_rel: f64,
    /// Per trace.
    pub scores: Vec<TraceScore>,
}

/// Scores of one trace at one σ.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TraceScore {
    /// Trace.
    pub trace: String,
    /// Scored pairs.
    pub scored: usize,
    /// Coverage of all scored pairs.
    pub coverage: f64,
    /// Coverage of the quantities the shift moves.
    pub shifted: f64,
    /// Mean relative CRPS of the forecast.
    pub crps_rel: f64,
    /// Mean relative CRPS of the naive band.
    pub naive_crps_rel: f64,
    /// Mean |median error|.
    pub median_abs_error: f64,
    /// Mean |naive error|.
    pub naive_abs_error: f64,
}

/// The calibrated σ of a grid: the smallest whose pooled coverage of the quantities the shift
/// moves (tokens, calls, tool calls) reaches 90%. Dollars and failures are scored but not
/// targeted: they also move with cache hits and failure rates, which a size and count shift
/// should not be widened to cover (on tau2 they miss at any σ in the grid).
pub fn chosen_sigma(rows: &[ShiftRow]) -> Option<f64> {
    rows.iter().find(|r| r.shifted >= 0.9).map(|r| r.sigma)
}

/// Coverage for each σ in `grid` (the prior σ of size and count shift, equal, each fit's own
/// drift added as `fit` writes it; the volume shift is not used by these known-volume splits),
/// with CRPS per trace and that of the naive baseline band. See [`chosen_sigma`].
pub fn calibrate_shift(
    traces: &[LoadedTrace],
    grid: &[f64],
) -> Result<Vec<ShiftRow>, CalibrationError> {
    let mut rows = Vec::new();
    for &sigma in grid {
        let shift = ShiftSigma {
            size: sigma,
            count: sigma,
            volume: 0.0,
        };
        let runs = backtest_traces(traces, shift, VolumeRule::Known)?;
        let all = |bt: &'_ Backtest| -> Vec<super::Scored> {
            bt.splits
                .iter()
                .flat_map(|s| s.quantities.iter().cloned())
                .collect()
        };
        let pairs: Vec<(f64, f64)> = runs
            .iter()
            .flat_map(|(_, bt)| all(bt))
            .map(|q| (q.naive, q.actual))
            .collect();
        let naive_sigma = super::naive_band_sigma(&pairs).unwrap_or(0.0);
        let naive_crps = |q: &super::Scored| {
            super::lognormal_crps(q.naive, naive_sigma, q.actual) / q.actual.abs().max(1e-300)
        };
        let mean = |v: &[super::Scored], f: &dyn Fn(&super::Scored) -> f64| {
            v.iter().map(f).sum::<f64>() / v.len().max(1) as f64
        };
        let share = |v: &[&super::Scored]| {
            v.iter().filter(|q| q.covered).count() as f64 / v.len().max(1) as f64
        };
        let mut scores = Vec::new();
        let mut pooled_all = Vec::new();
        for (name, bt) in &runs {
            let v = all(bt);
            let refs: Vec<&super::Scored> = v.iter().collect();
            let shifted: Vec<&super::Scored> = v
                .iter()
                .filter(|q| super::SHIFTED.contains(&q.quantity.as_ref()))
                .collect();
            scores.push(TraceScore {
                trace: name.to_string(),
                scored: v.len(),
                coverage: share(&refs),
                shifted: share(&shifted),
                crps_rel: mean(&v, &|q| q.crps_rel),
                naive_crps_rel: mean(&v, &naive_crps),
                median_abs_error: mean(&v, &|q| q.median_error.abs()),
                naive_abs_error: mean(&v, &|q| q.naive_error.abs()),
            });
            pooled_all.extend(v);
        }
        let refs: Vec<&super::Scored> = pooled_all.iter().collect();
        let shifted: Vec<&super::Scored> = pooled_all
            .iter()
            .filter(|q| super::SHIFTED.contains(&q.quantity.as_ref()))
            .collect();
        rows.push(ShiftRow {
            sigma,
            traces: scores
                .iter()
                .map(|t| (t.trace.clone(), t.coverage, t.scored))
                .collect(),
            pooled: share(&refs),
            crps_rel: mean(&pooled_all, &|q| q.crps_rel),
            median_abs_error: mean(&pooled_all, &|q| q.median_error.abs()),
            naive_abs_error: mean(&pooled_all, &|q| q.naive_error.abs()),
            shifted: share(&shifted),
            naive_sigma,
            naive_crps_rel: mean(&pooled_all, &naive_crps),
            scores,
        });
    }
    Ok(rows)
}

/// One (forecast, month) pair scored against the actual bill.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BillRow {
    /// Forecast file.
    pub forecast: String,
    /// Month.
    pub month: String,
    /// Actual bill, USD.
    pub actual: f64,
    /// Forecast median, USD.
    pub p50: f64,
    /// Forecast P5.
    pub p5: f64,
    /// Forecast P95.
    pub p95: f64,
    /// `actual / p50 − 1`.
    pub bias: f64,
    /// Inside P5–P95.
    pub covered_90: bool,
    /// Inside P25–P75.
    pub covered_50: bool,
    /// Probability integral transform: the forecast's CDF at the actual value.
    pub pit: f64,
}

/// How well past forecasts did.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BillCalibration {
    /// Pairs scored.
    pub rows: Vec<BillRow>,
    /// Share inside the P5–P95 band (nominal 90%).
    pub coverage_90: f64,
    /// Share inside the P25–P75 band (nominal 50%).
    pub coverage_50: f64,
    /// Mean `actual / p50 − 1`: positive = forecasts ran low.
    pub mean_bias: f64,
    /// Median `actual / p50 − 1`.
    pub median_bias: f64,
    /// Months in the actuals with no forecast.
    pub unmatched: Vec<String>,
}

/// Parse actual monthly bills: CSV with a header naming a month column (`month`, `date`,
/// `billing_period`, `period`) and an amount column (`amount`, `cost`, `usd`, `total`,
/// `billed_cost`), one row per month (rows of the same month are summed, as in provider usage
/// exports with one row per line item). Months are `YYYY-MM` or dates `YYYY-MM-DD…`.
pub fn parse_actuals(name: &str, text: &str) -> Result<Vec<(String, f64)>, CalibrationError> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| CalibrationError::Actuals(format!("{name}: {e}")))?
        .clone();
    let find = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.contains(&h.trim().to_ascii_lowercase().as_str()))
    };
    let mcol = find(&[
        "month",
        "date",
        "billing_period",
        "period",
        "usage_date",
        "billingperiodstart",
    ])
    .ok_or_else(|| {
        CalibrationError::Actuals(format!(
            "{name}: no month column (month, date, billing_period, period); found: {}",
            headers.iter().collect::<Vec<_>>().join(", ")
        ))
    })?;
    let acol = find(&[
        "amount",
        "cost",
        "usd",
        "total",
        "billed_cost",
        "billedcost",
        "cost_usd",
    ])
    .ok_or_else(|| {
        CalibrationError::Actuals(format!(
            "{name}: no amount column (amount, cost, usd, total, billed_cost); found: {}",
            headers.iter().collect::<Vec<_>>().join(", ")
        ))
    })?;
    let mut out: Vec<(String, f64)> = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec =
            rec.map_err(|e| CalibrationError::Actuals(format!("{name}: line {line}: {e}")))?;
        let m = rec.get(mcol).unwrap_or("").trim();
        let month = m
            .get(..7)
            .filter(|s| s.parse::<crate::units::Month>().is_ok())
            .ok_or_else(|| {
                CalibrationError::Actuals(format!(
                    "{name}: line {line}: '{m}' is not a month; write YYYY-MM or a date"
                ))
            })?;
        let a = rec.get(acol).unwrap_or("").trim().replace(['$', ','], "");
        let amount: f64 = a
            .parse()
            .ok()
            .filter(|x: &f64| x.is_finite())
            .ok_or_else(|| {
                CalibrationError::Actuals(format!(
                    "{name}: line {line}: amount '{a}' is not a number"
                ))
            })?;
        match out.iter_mut().find(|(mm, _)| mm == month) {
            Some((_, v)) => *v += amount,
            None => out.push((month.to_string(), amount)),
        }
    }
    if out.is_empty() {
        return Err(CalibrationError::Actuals(format!("{name}: no rows")));
    }
    Ok(out)
}

/// Score forecasts against actual bills.
pub fn calibrate_bills(
    forecasts: &[(String, Report)],
    actuals: &[(String, f64)],
) -> BillCalibration {
    let mut rows = Vec::new();
    let mut unmatched = Vec::new();
    for (month, actual) in actuals {
        let mut found = false;
        for (name, r) in forecasts {
            let Some(m) = r.months.iter().find(|m| &m.month == month) else {
                continue;
            };
            found = true;
            let q = &m.quantiles;
            // PIT by linear interpolation between the report's 101 quantiles.
            let pit = if *actual <= q[0] {
                0.0
            } else if *actual >= q[q.len() - 1] {
                1.0
            } else {
                let i = q.partition_point(|v| v <= actual).clamp(1, q.len() - 1);
                let (a, b) = (q[i - 1], q[i]);
                ((i - 1) as f64 + if b > a { (actual - a) / (b - a) } else { 0.5 })
                    / (q.len() - 1) as f64
            };
            rows.push(BillRow {
                forecast: name.clone(),
                month: month.clone(),
                actual: *actual,
                p50: m.p50,
                p5: m.p5,
                p95: m.p95,
                bias: if m.p50 > 0.0 {
                    actual / m.p50 - 1.0
                } else {
                    f64::NAN
                },
                covered_90: m.p5 <= *actual && *actual <= m.p95,
                covered_50: m.p25 <= *actual && *actual <= m.p75,
                pit,
            });
        }
        if !found {
            unmatched.push(month.clone());
        }
    }
    let n = rows.len().max(1) as f64;
    let mut biases: Vec<f64> = rows
        .iter()
        .map(|r| r.bias)
        .filter(|b| b.is_finite())
        .collect();
    biases.sort_by(|a, b| a.total_cmp(b));
    BillCalibration {
        coverage_90: rows.iter().filter(|r| r.covered_90).count() as f64 / n,
        coverage_50: rows.iter().filter(|r| r.covered_50).count() as f64 / n,
        mean_bias: biases.iter().sum::<f64>() / biases.len().max(1) as f64,
        median_bias: crate::stats::quantile_sorted(&biases, 0.5),
        rows,
        unmatched,
    }
}

/// Coverage of the volume forecast (the `calls` quantity) for one volume shift.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct VolumeRow {
    /// σ of the log volume multiplier.
    pub sigma: f64,
    /// Per trace: (name, covered share of `calls`, splits).
    pub traces: Vec<(String, f64, usize)>,
    /// Pooled coverage.
    pub pooled: f64,
}

/// Calibrate the volume shift of arrival-rate forecasts on the traces whose arrivals are real
/// (the production traces; benchmark runs such as tau2 are launched in batches), with the size
/// and count shift at `size`.
pub fn calibrate_volume(
    traces: &[LoadedTrace],
    size: f64,
    grid: &[f64],
) -> Result<Vec<VolumeRow>, CalibrationError> {
    // Benchmark runs such as tau2 are launched in batches: their arrivals say nothing.
    let arrivals: Vec<&LoadedTrace> = traces
        .iter()
        .filter(|t| t.trace.name.starts_with("azure"))
        .collect();
    let mut rows = Vec::new();
    for &sigma in grid {
        let runs = backtest_traces(
            arrivals.iter().copied(),
            ShiftSigma {
                size,
                count: size,
                volume: sigma,
            },
            VolumeRule::ArrivalRate,
        )?;
        let mut per = Vec::new();
        let (mut covered, mut n) = (0usize, 0usize);
        for (name, bt) in &runs {
            let calls: Vec<bool> = bt
                .splits
                .iter()
                .flat_map(|s| s.quantities.iter())
                .filter(|q| q.quantity == "calls")
                .map(|q| q.covered)
                .collect();
            let c = calls.iter().filter(|c| **c).count();
            per.push((
                name.to_string(),
                c as f64 / calls.len().max(1) as f64,
                calls.len(),
            ));
            covered += c;
            n += calls.len();
        }
        rows.push(VolumeRow {
            sigma,
            traces: per,
            pooled: covered as f64 / n.max(1) as f64,
        });
    }
    Ok(rows)
}
