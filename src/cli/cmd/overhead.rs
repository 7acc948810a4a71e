//! `billcast overhead SCENARIO`: compare single, degraded, failover and active-active as
//! monthly total cost of ownership.

use std::path::PathBuf;
use std::process::ExitCode;

use billcast::overhead::{self, OverheadOptions, OverheadReport};
use billcast::pricing::PriceBook;
use billcast::results::Body;
use billcast::scenario::Scenario;
use std::borrow::Cow;

use crate::cli::cmd::forecast::EngineArgs;
use crate::cli::output::{self, ChartArg, ChartFile, Format, OutputArgs, Progress};

/// Arguments of `billcast overhead`.
#[derive(clap::Args, Debug)]
#[command(mut_arg("chart", |a| a.help("Also draw the chart (mean monthly TCO per strategy stacked by part, P50–P95 whiskers, the naive 2× line) into FILE: SVG, or a 1200×675 PNG when FILE ends in .png; its folder must exist.")))]
#[command(
    after_help = "Examples:\n  billcast overhead scenarios/multi-provider.toml\n  billcast overhead scenarios/multi-provider.toml --chart overhead.svg\n  billcast overhead scenarios/multi-provider.toml --set overhead.downtime_usd_per_hour=8000\n  billcast overhead scenarios/multi-provider.toml -n 2000 --chart tco.png\n  billcast overhead scenarios/support-bot.toml --set 'overhead.providers.secondary.model=\"anthropic/claude-sonnet-5-5\"'\n  billcast overhead scenarios/multi-provider.toml --format json -o overhead.json\n\n`billcast report` adds this comparison (table, chart, overhead.json) to its pack when the scenario has an [overhead] section."
)]
pub struct Args {
    /// Scenario file (TOML) with an [overhead] section; see scenarios/multi-provider.toml.
    pub scenario: PathBuf,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub output: OutputArgs<Format>,
    #[command(flatten)]
    pub chart: ChartArg,
}

/// Run the overhead model and build its report, after checking that none of `outputs`
/// (flag, path) is one of the run's inputs.
pub fn overhead_report(
    e: &EngineArgs,
    path: &std::path::Path,
    outputs: &[(&str, &std::path::Path)],
) -> anyhow::Result<OverheadReport> {
    let book = e.book()?;
    let s = e.scenario(path)?;
    output::refuse_overwriting_inputs(outputs, &e.inputs(&[path], &[&s], &book))?;
    if s.overhead_spec.is_none() {
        return Err(overhead::OverheadError::NoSection {
            scenario: path.display().to_string(),
        }
        .into());
    }
    overhead_report_of(e, &s, &book)
}

/// Run the overhead model on a loaded scenario with the engine flags' mode, threads and
/// progress bar (seed, trials and overrides are already in `s`).
///
/// # Errors
/// [`overhead::OverheadError::NoSection`] when `s` has no `[overhead]` section; engine errors.
pub fn overhead_report_of(
    e: &EngineArgs,
    s: &Scenario,
    book: &PriceBook,
) -> anyhow::Result<OverheadReport> {
    let runs: u64 = if s
        .overhead_spec
        .as_ref()
        .is_some_and(|o| o.strategies.iter().any(|st| st.needs_secondary()))
    {
        2
    } else {
        1
    };
    let progress = Progress::new(s.trials * runs, "simulating", e.quiet.set);
    let trials = s.trials;
    let cb = |run: usize, n: u64| progress.set(run as u64 * trials + n);
    let opts = OverheadOptions {
        mode: e.mode(),
        progress: Some(&cb),
    };
    let result = e.in_pool(|| overhead::run(s, book, &opts))??;
    progress.finish();
    Ok(result.report)
}

/// `billcast overhead`.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let chart = ChartFile::from_arg(a.chart.file.as_deref())?;
    let r = overhead_report(
        &a.engine,
        &a.scenario,
        &output::outputs(a.output.out.as_deref(), a.chart.file.as_deref()),
    )?;
    output::finish(
        chart.as_ref(),
        |f| billcast::charts::overhead::tco(&r, f),
        a.engine.quiet.set,
        Body::Overhead(Cow::Borrowed(&r)),
        &a.output,
    )
}
