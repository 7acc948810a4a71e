//! `billcast overhead SCENARIO`: compare single, degraded, failover and active-active as
//! monthly total cost of ownership.

use std::path::PathBuf;
use std::process::ExitCode;

use billcast::overhead::{self, OverheadOptions, OverheadReport, render};

use crate::cli::cmd::forecast::EngineArgs;
use crate::cli::output::{self, Format, Progress};

/// Arguments of `billcast overhead`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  billcast overhead scenarios/multi-provider.toml\n  billcast overhead scenarios/multi-provider.toml --set overhead.downtime_usd_per_hour=8000\n  billcast overhead scenarios/support-bot.toml --set 'overhead.providers.secondary.model=\"anthropic/claude-sonnet-5-5\"'\n  billcast overhead scenarios/multi-provider.toml --format json -o overhead.json"
)]
pub struct Args {
    /// Scenario file (TOML) with an [overhead] section; see scenarios/multi-provider.toml.
    pub scenario: PathBuf,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Write to FILE instead of stdout ('-' = stdout).
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Run the overhead model and build its report.
pub fn overhead_report(e: &EngineArgs, path: &std::path::Path) -> anyhow::Result<OverheadReport> {
    let book = e.book()?;
    let s = e.scenario(path)?;
    if s.overhead_spec.is_none() {
        return Err(overhead::OverheadError::NoSection {
            scenario: path.display().to_string(),
        }
        .into());
    }
    let runs: u64 = if s
        .overhead_spec
        .as_ref()
        .is_some_and(|o| o.strategies.iter().any(|st| st.needs_secondary()))
    {
        2
    } else {
        1
    };
    let progress = Progress::new(s.trials * runs, "simulating", e.quiet);
    let trials = s.trials;
    let cb = |run: usize, n: u64| progress.set(run as u64 * trials + n);
    let opts = OverheadOptions {
        mode: e.mode(),
        progress: Some(&cb),
    };
    let result = e.in_pool(|| overhead::run(&s, &book, &opts))??;
    progress.finish();
    Ok(result.report)
}

/// Render an overhead report.
pub fn render(r: &OverheadReport, format: Format) -> anyhow::Result<String> {
    Ok(match format {
        Format::Table => render::table(r),
        Format::Json => r.to_json()?,
        Format::Csv => render::csv(r)?,
        Format::Markdown => render::markdown(r),
    })
}

/// `billcast overhead`.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let r = overhead_report(&a.engine, &a.scenario)?;
    // Charts: the stacked TCO per strategy with P50–P95 whiskers plugs in here once
    // `src/charts/` exists — a `--chart FILE` flag drawing `r.tco_bars()` (and the naive 2×
    // line at `r.naive_two_x`); `billcast report` can embed the same `OverheadReport`.
    output::write(a.out.as_deref(), &render(&r, a.format)?)?;
    Ok(ExitCode::SUCCESS)
}
