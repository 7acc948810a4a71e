//! `billcast backtest LOG…`: fit on the first part of a real log, forecast the rest, and score
//! the forecast against what happened; `--calibrate-shift DIR` reruns the calibration of the
//! default pilot-to-production shift on the bundled real traces (`data/real`).

use std::path::PathBuf;
use std::process::ExitCode;

use billcast::backtest::calibrate::{self, DEFAULT_SHIFT};
use billcast::backtest::{self, BacktestOptions, FitWindow, Prices, ShiftSigma, VolumeRule};
use billcast::ingest::{self, ColumnMap, Format, IngestOptions, UsageConvention};
use billcast::units::{format_count, format_pct};

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
    if let Some(f) = &chart {
        f.write(
            |format| billcast::charts::backtest::backtest(&bt, format),
            a.quiet.set,
        )?;
    }
    let text = match a.output.format {
        OutFormat::Json => output::json(billcast::results::Body::Backtest(
            std::borrow::Cow::Borrowed(&bt),
        ))?,
        OutFormat::Csv => {
            let mut w = billcast::table::csv_writer();
            w.write_record([
                "split",
                "quantity",
                "actual",
                "p5",
                "p50",
                "p95",
                "covered",
                "median_error",
                "naive",
                "naive_error",
                "crps_rel",
            ])?;
            for s in &bt.splits {
                for q in &s.quantities {
                    w.write_record([
                        s.index.to_string(),
                        q.quantity.to_string(),
                        billcast::table::csv_number(q.actual),
                        billcast::table::csv_number(q.p5),
                        billcast::table::csv_number(q.p50),
                        billcast::table::csv_number(q.p95),
                        q.covered.to_string(),
                        billcast::table::csv_number(q.median_error),
                        billcast::table::csv_number(q.naive),
                        billcast::table::csv_number(q.naive_error),
                        billcast::table::csv_number(q.crps_rel),
                    ])?;
                }
            }
            billcast::table::csv_finish(w)?
        }
        OutFormat::Table | OutFormat::Markdown => {
            table(&bt, a.output.format == OutFormat::Markdown)
        }
    };
    output::write(a.output.out.as_deref(), &text)?;
    Ok(ExitCode::SUCCESS)
}

fn table(bt: &backtest::Backtest, markdown: bool) -> String {
    use billcast::table::Grid;
    let mut out = String::new();
    if bt.splits.len() == 1 {
        let s = &bt.splits[0];
        out.push_str(&format!(
            "Fitted {} sessions ({} calls); forecast the next {} sessions{}.\n",
            format_count(s.fit_sessions as f64),
            format_count(s.fit_calls as f64),
            format_count(s.test_sessions as f64),
            if (s.forecast_sessions - s.test_sessions as f64).abs() > 0.5 {
                format!(
                    " (volume forecast from the arrival rate: {})",
                    format_count(s.forecast_sessions)
                )
            } else {
                String::new()
            }
        ));
        let g = Grid {
            header: [
                "Quantity",
                "Actual",
                "P5",
                "P50",
                "P95",
                "Covered",
                "Median error",
                "Naive error",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            rows: s
                .quantities
                .iter()
                .map(|q| {
                    vec![
                        q.quantity.replace('_', " "),
                        sig(q.actual),
                        sig(q.p5),
                        sig(q.p50),
                        sig(q.p95),
                        if q.covered { "yes".into() } else { "no".into() },
                        signed_pct(q.median_error),
                        signed_pct(q.naive_error),
                    ]
                })
                .collect(),
            right: vec![false, true, true, true, true, false, true, true],
        };
        out.push_str(&grid_text(&g, markdown));
    } else {
        out.push_str(&format!(
            "{} rolling splits; P5–P95 bands (nominal 90%) covered {} of {} outcomes: {}.\n",
            bt.splits.len(),
            (bt.coverage * bt.scored as f64).round(),
            bt.scored,
            format_pct(bt.coverage)
        ));
        let g = Grid {
            header: [
                "Quantity",
                "Splits",
                "Coverage",
                "|Median error|",
                "|Naive error|",
                "CRPS / actual",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            rows: bt
                .summary
                .iter()
                .map(|q| {
                    vec![
                        q.quantity.replace('_', " "),
                        q.n.to_string(),
                        format_pct(q.coverage),
                        format_pct(q.median_abs_error),
                        format_pct(q.naive_abs_error),
                        format!("{:.3}", q.crps_rel),
                    ]
                })
                .collect(),
            right: vec![false, true, true, true, true, true],
        };
        out.push_str(&grid_text(&g, markdown));
    }
    // Each split's shift: the prior combined with its fit window's drift.
    let range = |f: &dyn Fn(&ShiftSigma) -> f64| {
        let v: Vec<f64> = bt.splits.iter().map(|s| f(&s.shift)).collect();
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if v.is_empty() || (hi - lo).abs() < 5e-4 {
            format!("{:.3}", if v.is_empty() { 0.0 } else { lo })
        } else {
            format!("{lo:.3}–{hi:.3}")
        }
    };
    out.push_str(&format!(
        "\nShift carried by the forecasts: size and count multipliers lognormal(median 1), the prior σ {}{}: size σ {}, count σ {}{}; the naive estimate is the fit window's mean per session (per request for call logs) × the same volume.\n",
        bt.shift.size,
        if bt.data_drift { " combined with each fit window's own drift" } else { " alone (--no-data-drift)" },
        range(&|s| s.size),
        range(&|s| s.count),
        if bt.volume == VolumeRule::ArrivalRate { format!(", volume σ {}", bt.shift.volume) } else { String::new() }
    ));
    out
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
    if a.output.format == OutFormat::Csv {
        output::write(a.output.out.as_deref(), &calibration_csv(&rows, &vrows)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    if a.output.format == OutFormat::Json {
        let both = billcast::results::ShiftCalibration {
            shift: rows,
            volume: vrows,
        };
        output::write(
            a.output.out.as_deref(),
            &output::json(billcast::results::Body::ShiftCalibration(
                std::borrow::Cow::Owned(both),
            ))?,
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let markdown = a.output.format == OutFormat::Markdown;
    let body = coverage_grid(
        "Shift σ",
        &[
            "Pooled",
            "Tokens & counts",
            "CRPS / actual",
            "Naive band CRPS",
            "|Median error|",
            "|Naive error|",
        ],
        rows.iter().map(|r| {
            (
                r.sigma,
                r.traces.as_slice(),
                vec![
                    format_pct(r.pooled),
                    format_pct(r.shifted),
                    format!("{:.3}", r.crps_rel),
                    format!("{:.3}", r.naive_crps_rel),
                    format_pct(r.median_abs_error),
                    format_pct(r.naive_abs_error),
                ],
            )
        }),
        markdown,
    );
    let chosen = calibrate::chosen_sigma(&rows);
    // Per trace at the default σ (or the grid's closest to it).
    let at_default = rows.iter().min_by(|a, b| {
        (a.sigma - DEFAULT_SHIFT.size)
            .abs()
            .total_cmp(&(b.sigma - DEFAULT_SHIFT.size).abs())
    });
    let per_trace = at_default.map_or(String::new(), |r| {
        let g = billcast::table::Grid {
            header: [
                "Trace",
                "Scored",
                "Coverage",
                "Tokens & counts",
                "CRPS / actual",
                "Naive band CRPS",
                "|Median error|",
                "|Naive error|",
            ]
            .iter()
            .map(|h| h.to_string())
            .collect(),
            rows: r
                .scores
                .iter()
                .map(|t| {
                    vec![
                        t.trace.to_string(),
                        t.scored.to_string(),
                        format_pct(t.coverage),
                        format_pct(t.shifted),
                        format!("{:.3}", t.crps_rel),
                        format!("{:.3}", t.naive_crps_rel),
                        format_pct(t.median_abs_error),
                        format_pct(t.naive_abs_error),
                    ]
                })
                .collect(),
            right: (0..8).map(|i| i > 0).collect(),
        };
        format!(
            "\nPer trace at shift σ {} (naive band: lognormal around the naive estimate, σ {:.3}, the smallest covering 90% of all scored outcomes):\n{}{}",
            r.sigma,
            r.naive_sigma,
            if markdown { "\n" } else { "" },
            grid_text(&g, markdown)
        )
    });
    let vbody = coverage_grid(
        "Volume σ",
        &["Pooled"],
        vrows
            .iter()
            .map(|r| (r.sigma, r.traces.as_slice(), vec![format_pct(r.pooled)])),
        markdown,
    );
    let vchosen = vrows.iter().find(|r| r.pooled >= 0.9).map(|r| r.sigma);
    // Markdown renderers need a blank line between a caption and the table under it.
    let gap = if markdown { "\n" } else { "" };
    let text = format!(
        "Coverage of nominal 90% bands over rolling splits, volume known (scored outcomes per trace in brackets); each fit's own between-window drift is added to the prior σ:\n{gap}{body}\nSmallest prior size/count σ whose tokens-and-counts coverage reaches 90%: {}; the default is {}.\n{per_trace}\nCoverage of the call volume forecast from the fit window's arrival rate (size/count σ {}):\n{gap}{vbody}\nSmallest volume σ reaching 90%: {}; the default is {}.\n",
        chosen.map_or("none in the grid".to_string(), |s| s.to_string()),
        DEFAULT_SHIFT.size,
        DEFAULT_SHIFT.size,
        vchosen.map_or("none in the grid".to_string(), |s| s.to_string()),
        DEFAULT_SHIFT.volume
    );
    output::write(a.output.out.as_deref(), &text)?;
    Ok(ExitCode::SUCCESS)
}

/// `--calibrate-shift --format csv`: one row per calibration (`size_count` or `volume`), σ and
/// trace, then a `pooled` row per σ carrying the scores.
fn calibration_csv(
    rows: &[calibrate::ShiftRow],
    vrows: &[calibrate::VolumeRow],
) -> anyhow::Result<String> {
    let mut w = billcast::table::csv_writer();
    w.write_record([
        "calibration",
        "sigma",
        "trace",
        "coverage",
        "scored",
        "crps_rel",
        "median_abs_error",
        "naive_abs_error",
    ])?;
    let mut emit = |kind: &str,
                    sigma: f64,
                    traces: &[(&str, f64, usize)],
                    pooled: f64,
                    scores: Option<[f64; 3]>|
     -> anyhow::Result<()> {
        for (name, coverage, scored) in traces {
            w.write_record([
                kind,
                &billcast::table::csv_number(sigma),
                name,
                &billcast::table::csv_number(*coverage),
                &scored.to_string(),
                "",
                "",
                "",
            ])?;
        }
        let total: usize = traces.iter().map(|t| t.2).sum();
        let [c, m, n] = scores.map_or([String::new(), String::new(), String::new()], |s| {
            s.map(billcast::table::csv_number)
        });
        w.write_record([
            kind,
            &billcast::table::csv_number(sigma),
            "pooled",
            &billcast::table::csv_number(pooled),
            &total.to_string(),
            &c,
            &m,
            &n,
        ])?;
        Ok(())
    };
    for r in rows {
        emit(
            "size_count",
            r.sigma,
            &r.traces,
            r.pooled,
            Some([r.crps_rel, r.median_abs_error, r.naive_abs_error]),
        )?;
    }
    for r in vrows {
        emit("volume", r.sigma, &r.traces, r.pooled, None)?;
    }
    Ok(billcast::table::csv_finish(w)?)
}

/// A table of coverage per σ: the σ, each trace's coverage (header: name and scored outcomes),
/// then `extra` columns.
fn coverage_grid<'a>(
    first: &str,
    extra: &[&str],
    rows: impl Iterator<Item = (f64, &'a [(&'static str, f64, usize)], Vec<String>)>,
    markdown: bool,
) -> String {
    let mut header = vec![first.to_string()];
    let mut body = Vec::new();
    for (sigma, traces, more) in rows {
        if body.is_empty() {
            header.extend(traces.iter().map(|(n, _, k)| format!("{n} ({k})")));
            header.extend(extra.iter().map(|e| e.to_string()));
        }
        let mut row = vec![format!("{sigma}")];
        row.extend(traces.iter().map(|(_, c, _)| format_pct(*c)));
        row.extend(more);
        body.push(row);
    }
    let n = header.len();
    grid_text(
        &billcast::table::Grid {
            header,
            rows: body,
            right: (0..n).map(|i| i > 0).collect(),
        },
        markdown,
    )
}

/// A grid as a terminal table or Markdown.
fn grid_text(g: &billcast::table::Grid, markdown: bool) -> String {
    if markdown {
        billcast::table::markdown(g)
    } else {
        billcast::table::text(g)
    }
}

fn sig(x: f64) -> String {
    if x.abs() >= 100.0 {
        format_count(x)
    } else {
        format!("{x:.2}")
    }
}

fn signed_pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:+.1}%", x * 100.0)
    } else {
        "-".into()
    }
}
