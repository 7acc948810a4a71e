//! `billcast backtest LOG…`: fit on the first part of a real log, forecast the rest, and score
//! the forecast against what happened; `--calibrate-shift DIR` reruns the calibration of the
//! default pilot-to-production shift on the bundled real traces (`data/real`).

use std::path::PathBuf;
use std::process::ExitCode;

use billcast::backtest::calibrate::{self, DEFAULT_SHIFT};
use billcast::backtest::{self, BacktestOptions, FitWindow, Prices, ShiftSigma, VolumeRule};
use billcast::ingest::{self, ColumnMap, Format, IngestOptions, UsageConvention};

use crate::cli::cmd::fit::ConventionArg;
use crate::cli::output::{
    self, ChartArg, ChartFile, Format as OutFormat, OutputArgs, Progress, Quiet,
};

/// Arguments of `billcast backtest`.
#[derive(clap::Args, Debug)]
#[command(mut_arg("chart", |a| a.help("Also draw the forecast bands against the actual values into FILE (SVG; PNG when FILE ends in .png).")))]
#[command(
    after_help = "Examples:\n  billcast backtest AzureLLMInferenceTrace_conv.csv --fit-first 500\n  billcast backtest calls.csv --caller agent --fit-first 450 --splits 10 --test-sessions 30 --chart backtest.svg\n  billcast backtest trace.csv --fit-until 2023-11-16T18:30:00 --volume arrival-rate\n  billcast backtest --calibrate-shift               # rerun the shift calibration on data/real\n  billcast backtest --calibrate-shift data/real --grid 0,0.1,0.15,0.2,0.25,0.3,0.4,0.6,0.8 --format markdown   # the README's tables"
)]
pub struct Args {
    /// Usage logs or transcripts (any format `billcast fit` reads).
    pub files: Vec<PathBuf>,
    /// Fit on the sessions holding the first N calls.
    #[arg(long, value_name = "N", conflicts_with = "fit_until")]
    pub fit_first: Option<usize>,
    /// Fit on sessions starting before TIME (ISO 8601, e.g. 2023-11-16T18:30:00, UTC; or unix seconds).
    #[arg(long, value_name = "TIME")]
    pub fit_until: Option<String>,
    /// Rolling splits across the log (each: a fit window then a test window).
    #[arg(long, value_name = "K", default_value_t = 1)]
    pub splits: usize,
    /// Sessions in each test window (default: the rest of the log for one split, 4× the fit
    /// window for rolling splits).
    #[arg(long, value_name = "M")]
    pub test_sessions: Option<usize>,
    /// Forecast the test window's volume from its real size (known) or from the fit window's
    /// arrival rate (arrival-rate).
    #[arg(long, value_enum, default_value = "known")]
    pub volume: VolumeArg,
    /// Column mapping for usage logs (as in `billcast fit`).
    #[arg(long, value_name = "KEY=COLUMN,…")]
    pub map: Option<String>,
    /// Force the input format.
    #[arg(long, value_name = "FORMAT")]
    pub input_format: Option<String>,
    /// Whether reported input includes cached tokens (as in `billcast fit`).
    #[arg(long, value_enum, value_name = "CONVENTION")]
    pub usage_convention: Option<ConventionArg>,
    /// Stop at the first bad line instead of counting, reporting and skipping it.
    #[arg(long)]
    pub strict: bool,
    /// Keep only this caller's calls.
    #[arg(long)]
    pub caller: Option<String>,
    /// Trials per forecast (at most 1,000,000; fewer than 20 run as 20).
    #[arg(short = 'n', long, default_value_t = 200, value_parser = super::forecast::parse_trials)]
    pub trials: u64,
    /// Seed.
    #[arg(short = 's', long, default_value_t = 42)]
    pub seed: u64,
    /// Bootstrap replicates per fit.
    #[arg(long, default_value_t = 20)]
    pub bootstrap: usize,
    /// Prices for the dollar comparison, USD per 1M tokens (input, cache_read, output).
    #[arg(
        long,
        value_name = "input=2.5,output=10",
        default_value = "input=2.5,cache_read=0.25,output=10"
    )]
    pub price: String,
    /// σ of the prior pilot-to-production size and count shift (default: the calibrated
    /// value). Each fit window's own between-window drift is added to it in quadrature unless
    /// `--no-data-drift`; `--shift-sigma 0 --no-data-drift` forecasts as if the fit window were
    /// production.
    #[arg(long, value_name = "SIGMA")]
    pub shift_sigma: Option<f64>,
    /// Use the prior shift alone, without each fit window's own between-window drift.
    #[arg(long)]
    pub no_data_drift: bool,
    /// Rerun the shift calibration on the real traces in DIR (azure-llm-2023/, tau2-bench-traces/);
    /// without DIR, the copy bundled in the repository (data/real, run from its root).
    #[arg(
        long,
        value_name = "DIR",
        num_args = 0..=1,
        default_missing_value = "data/real",
        conflicts_with_all = ["files"]
    )]
    pub calibrate_shift: Option<PathBuf>,
    /// σ values tried by --calibrate-shift.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "0,0.04,0.08,0.1,0.12,0.16,0.2,0.3"
    )]
    pub grid: Vec<f64>,
    #[command(flatten)]
    pub output: OutputArgs<OutFormat>,
    #[command(flatten)]
    pub chart: ChartArg,
    #[command(flatten)]
    pub quiet: Quiet,
}

/// `--volume`.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum VolumeArg {
    /// The test window's real number of sessions.
    Known,
    /// The fit window's arrival rate over the test window's duration.
    ArrivalRate,
}

fn usage<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow::Error::new(crate::cli::UsageError(anyhow::anyhow!("{e}")))
}

fn parse_prices(s: &str) -> anyhow::Result<Prices> {
    let mut p = Prices::default();
    for part in s.split(',') {
        let (k, v) = part.split_once('=').ok_or_else(|| {
            usage(format!(
                "--price '{part}': write key=USD, e.g. input=2.5,output=10"
            ))
        })?;
        let v: f64 = v
            .trim()
            .parse()
            .ok()
            .filter(|x: &f64| x.is_finite() && *x >= 0.0)
            .ok_or_else(|| usage(format!("--price {k}: '{v}' is not a price ≥ 0")))?;
        match k.trim() {
            "input" => p.input = v,
            "output" => p.output = v,
            "cache_read" => p.cache_read = v,
            other => {
                return Err(usage(format!(
                    "--price: unknown key '{other}'; use input, cache_read, output"
                )));
            }
        }
    }
    Ok(p)
}

fn parse_time(s: &str) -> anyhow::Result<f64> {
    if let Ok(x) = s.parse::<f64>() {
        return Ok(x);
    }
    let t = s.trim().replace(' ', "T");
    if let Ok(ts) = t.parse::<jiff::Timestamp>() {
        return Ok(ts.as_second() as f64 + ts.subsec_nanosecond() as f64 * 1e-9);
    }
    let dt: jiff::civil::DateTime = t.parse().map_err(|_| {
        usage(format!(
            "--fit-until '{s}' is not a time; write 2023-11-16T18:30:00 (UTC) or unix seconds"
        ))
    })?;
    let z = dt
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .map_err(usage)?;
    Ok(z.timestamp().as_second() as f64)
}

/// `billcast backtest`.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    if let Some(dir) = &a.calibrate_shift {
        return calibrate_shift(&a, dir);
    }
    if a.files.is_empty() {
        return Err(usage("give the log to backtest (or --calibrate-shift DIR)"));
    }
    let chart = ChartFile::from_arg(a.chart.file.as_deref())?;
    let inputs: Vec<(String, &std::path::Path)> = a
        .files
        .iter()
        .map(|p| ("log".to_string(), p.as_path()))
        .collect();
    output::refuse_overwriting_inputs(
        &output::outputs(a.output.out.as_deref(), a.chart.file.as_deref()),
        &inputs,
    )?;
    let fit = match (&a.fit_first, &a.fit_until) {
        (Some(n), _) => FitWindow::FirstCalls(*n),
        (None, Some(t)) => FitWindow::Until(parse_time(t)?),
        (None, None) => {
            return Err(usage(
                "say where the fit window ends: --fit-first N (calls) or --fit-until TIME",
            ));
        }
    };
    if a.splits > 1 && matches!(fit, FitWindow::Until(_)) {
        return Err(usage(
            "--splits needs --fit-first (rolling windows of N calls), not --fit-until",
        ));
    }
    let format = a
        .input_format
        .as_deref()
        .map(|f| f.parse::<Format>())
        .transpose()
        .map_err(usage)?;
    let map = a
        .map
        .as_deref()
        .map(|m| m.parse::<ColumnMap>())
        .transpose()
        .map_err(usage)?;
    let opts = IngestOptions {
        format,
        map,
        strict: a.strict,
        usage_convention: a.usage_convention.map(UsageConvention::from),
        ..IngestOptions::default()
    };
    // A log that cannot be read is bad input too (exit 2).
    let ing = ingest::ingest(&a.files, &opts, &|_| {}).map_err(usage)?;
    crate::cli::cmd::fit::report_ingest(&ing);
    let sessions = ingest::sessions(&ing.records);
    let shift = match a.shift_sigma {
        Some(s) if !(s.is_finite() && s >= 0.0) => {
            return Err(usage(format!("--shift-sigma {s} must be ≥ 0")));
        }
        Some(s) => ShiftSigma {
            size: s,
            count: s,
            volume: DEFAULT_SHIFT.volume,
        },
        None => DEFAULT_SHIFT,
    };
    let bopts = BacktestOptions {
        fit,
        splits: a.splits,
        test_sessions: a.test_sessions,
        volume: match a.volume {
            VolumeArg::Known => VolumeRule::Known,
            VolumeArg::ArrivalRate => VolumeRule::ArrivalRate,
        },
        caller: a.caller.clone(),
        trials: a.trials.max(20),
        seed: a.seed,
        bootstrap: a.bootstrap,
        prices: parse_prices(&a.price)?,
        shift,
        data_drift: !a.no_data_drift,
    };
    let progress = Progress::new(a.splits as u64, "backtesting", a.quiet.set);
    let bt = backtest::backtest(&ing.records, &sessions, &bopts).map_err(usage)?;
    progress.finish();
    output::finish(
        chart.as_ref(),
        |format| billcast::charts::backtest::backtest(&bt, format),
        a.quiet.set,
        billcast::results::Body::Backtest(std::borrow::Cow::Borrowed(&bt)),
        &a.output,
    )
}

fn calibrate_shift(a: &Args, dir: &std::path::Path) -> anyhow::Result<ExitCode> {
    let traces = calibrate::calibration_traces(dir);
    for t in &traces {
        if !t.path.exists() {
            return Err(usage(format!(
                "{} not found; --calibrate-shift wants the folder holding azure-llm-2023/ and tau2-bench-traces/ (the repository's data/real: run from the repository root or pass the folder)",
                t.path.display()
            )));
        }
    }
    let loaded = calibrate::load_traces(&traces).map_err(usage)?;
    let rows = calibrate::calibrate_shift(&loaded, &a.grid).map_err(usage)?;
    let vrows = calibrate::calibrate_volume(&loaded, DEFAULT_SHIFT.size, &a.grid).map_err(usage)?;
    let result = billcast::results::ShiftCalibration {
        shift: rows,
        volume: vrows,
    };
    let text = output::export(
        billcast::results::Body::ShiftCalibration(std::borrow::Cow::Owned(result)),
        a.output.format,
    )?;
    output::write(a.output.out.as_deref(), &text)?;
    Ok(ExitCode::SUCCESS)
}
