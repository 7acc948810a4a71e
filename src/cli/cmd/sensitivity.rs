//! `billcast sensitivity`: which uncertain input moves the bill most (tornado + Sobol).

use std::path::PathBuf;
use std::process::ExitCode;

use billcast::results::Body;
use billcast::units::{Month, format_count};
use billcast::whatif::sensitivity::{self, SensitivityOptions};
use std::borrow::Cow;

use crate::cli::cmd::forecast::EngineArgs;
use crate::cli::output::{self, ChartArg, ChartFile, Format, OutputArgs, Progress};

/// Default trials per Sobol run when -n is not given (the scenario's count is meant for one
/// forecast; an analysis makes k + 2 such runs).
pub const DEFAULT_SOBOL_TRIALS: u64 = 2000;

/// Arguments of `billcast sensitivity`.
#[derive(clap::Args, Debug)]
#[command(mut_arg("chart", |a| a.help("Also draw the tornado — each input's P95 at its P10 and P90 around the median world, largest swing first — to FILE: SVG, or PNG when FILE ends in .png.")))]
#[command(after_help = "\
Two rankings of the inputs drawn once per trial (volume, growth, hit rate, failure rates,
uncertain distribution parameters, the fitted replicate):
  tornado  each input at its P10 and at its P90, every other input at its median;
           bar = swing of the P95 (and mean). 2k + 1 runs of --tornado-trials.
  Sobol    first-order index S_i = share of the monthly bill's variance the input explains on
           its own, total index S_Ti including interactions (Saltelli 2010 / Jansen
           pick-freeze, bootstrap 95% intervals). k + 2 runs of -n trials (default 2,000).
The cost (engine runs, trials) is printed before it starts and stored in the result.

Examples:
  billcast sensitivity scenarios/support-bot.toml
  billcast sensitivity scenarios/support-bot.toml --month 2027-06 -n 4000 --format markdown
  billcast sensitivity scenarios/coding-agent.toml --format json -o sensitivity.json
  # the tornado as a chart (PNG when FILE ends in .png)
  billcast sensitivity scenarios/support-bot.toml --chart tornado.svg")]
pub struct Args {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Month analysed, YYYY-MM (default: the last month forecast).
    #[arg(long, value_name = "YYYY-MM")]
    pub month: Option<Month>,
    /// Trials per tornado run (only per-session noise varies within one).
    #[arg(long, default_value_t = 200, value_name = "N", value_parser = super::forecast::parse_trials)]
    pub tornado_trials: u64,
    /// Bootstrap resamples for the Sobol intervals.
    #[arg(long, default_value_t = 200, value_name = "N")]
    pub bootstrap: usize,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub output: OutputArgs<Format>,
    #[command(flatten)]
    pub chart: ChartArg,
}

/// `billcast sensitivity`.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let chart = ChartFile::from_arg(a.chart.file.as_deref())?;
    let book = a.engine.book()?;
    let s = a.engine.scenario(&a.scenario)?;
    output::refuse_overwriting_inputs(
        &output::outputs(a.output.out.as_deref(), a.chart.file.as_deref()),
        &a.engine.inputs(&[&a.scenario], &[&s], &book),
    )?;
    let sobol_trials = a
        .engine
        .trials
        .unwrap_or_else(|| s.trials.min(DEFAULT_SOBOL_TRIALS));
    let mut opts = SensitivityOptions {
        month: a.month,
        sobol_trials,
        tornado_trials: a.tornado_trials,
        bootstrap: a.bootstrap,
        mode: a.engine.mode(),
        progress: None,
        resimulate: false,
    };
    let plan = sensitivity::plan(&s, &opts);
    if !a.engine.quiet.set {
        eprintln!(
            "sensitivity: {} uncertain inputs → {} engine runs, {} trials",
            plan.inputs,
            plan.engine_runs,
            format_count(plan.trials as f64)
        );
    }
    let progress = Progress::new(plan.trials, "analysing", a.engine.quiet.set);
    let cb = |n: u64| progress.set(n);
    opts.progress = Some(&cb);
    let r = a
        .engine
        .in_pool(|| sensitivity::sensitivity(&s, &book, &opts))??;
    progress.finish();
    output::finish(
        chart.as_ref(),
        |format| billcast::charts::tornado(&r, format),
        a.engine.quiet.set,
        Body::Sensitivity(Cow::Borrowed(&r)),
        &a.output,
    )
}
