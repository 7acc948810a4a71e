//! `billcast sweep`: the bill's percentiles as a function of one input.

use std::path::PathBuf;
use std::process::ExitCode;

use billcast::results::Body;
use billcast::units::Month;
use billcast::whatif::{self, RunOptions};
use std::borrow::Cow;

use crate::cli::cmd::forecast::EngineArgs;
use crate::cli::output::{self, ChartArg, ChartFile, Format, OutputArgs, Progress};

/// Arguments of `billcast sweep`.
#[derive(clap::Args, Debug)]
#[command(mut_arg("chart", |a| a.help("Also draw the percentiles against the swept input — median, P95, P25–P75 and P5–P95 bands, budget — to FILE: SVG, or PNG when FILE ends in .png.")))]
#[command(
    group(clap::ArgGroup::new("grid").required(true).args(["values", "range"])),
    after_help = "\
Each value is one run of the scenario with --set KEY=value; all runs share their draws
(common random numbers), so the curve moves only because the input does.

Examples:
  billcast sweep scenarios/support-bot.toml --param traffic.monthly_active_users \\
    --range 5000:50000:10
  billcast sweep scenarios/support-bot.toml --param traffic.monthly_active_users \\
    --range 1000:100000:9 --log
  billcast sweep scenarios/support-bot.toml --param workload.output_tokens.median \\
    --values 100,150,200,300
  billcast sweep scenarios/rag-assistant.toml --param caching.hit_rate \\
    --values 0,0.5,0.9 --format csv -o sweep.csv
  # percentiles against the input as a chart (PNG when FILE ends in .png)
  billcast sweep scenarios/support-bot.toml --param traffic.monthly_active_users \\
    --range 5000:50000:10 --chart sweep.svg"
)]
pub struct Args {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// The key to sweep, as for --set (e.g. traffic.monthly_active_users, routes.0.share).
    #[arg(long, value_name = "KEY")]
    pub param: String,
    /// Values, comma-separated (TOML values: numbers, "8000 to 30000", { dist = … }).
    #[arg(long, value_name = "V1,V2,…")]
    pub values: Option<String>,
    /// Evenly spaced numbers LO:HI:STEPS, ends included (e.g. 1000:10000:10).
    #[arg(long, value_name = "LO:HI:STEPS")]
    pub range: Option<String>,
    /// Space --range geometrically (needs LO > 0): for inputs that span orders of magnitude.
    #[arg(long, requires = "range")]
    pub log: bool,
    /// Month reported, YYYY-MM (default: the last month forecast).
    #[arg(long, value_name = "YYYY-MM")]
    pub month: Option<Month>,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub output: OutputArgs<Format>,
    #[command(flatten)]
    pub chart: ChartArg,
}

/// `billcast sweep`.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let chart = ChartFile::from_arg(a.chart.file.as_deref())?;
    let book = a.engine.book()?;
    let overrides = a.engine.overrides();
    let values = match (&a.values, &a.range) {
        (Some(v), _) => whatif::split_values(v),
        (None, Some(r)) => {
            let nums = whatif::range_values("--range", r, a.log)?;
            let text = super::render::read_text(&a.scenario, "scenario")?;
            whatif::sweep::number_values(&text, &overrides, &a.param, &nums)
        }
        (None, None) => vec![],
    };
    // Trials per run are only known after loading; the scenario's own count is a good guess
    // and the bar grows if it is wrong.
    let base = a.engine.scenario(&a.scenario).ok();
    output::refuse_overwriting_inputs(
        &output::outputs(a.output.out.as_deref(), a.chart.file.as_deref()),
        &a.engine
            .inputs(&[&a.scenario], &base.iter().collect::<Vec<_>>(), &book),
    )?;
    let trials = base.as_ref().map_or(0, |s| s.trials);
    let progress = Progress::new(trials * values.len() as u64, "sweeping", a.engine.quiet.set);
    let cb = |n: u64| progress.set(n);
    let opts = RunOptions {
        mode: a.engine.mode(),
        progress: Some(&cb),
        resimulate: false,
    };
    let s = a.engine.in_pool(|| {
        whatif::sweep::sweep(
            &a.scenario,
            &overrides,
            &a.param,
            values,
            &book,
            a.month,
            &opts,
        )
    })??;
    progress.finish();
    output::finish(
        chart.as_ref(),
        |format| billcast::charts::sweep(&s, format),
        a.engine.quiet.set,
        Body::Sweep(Cow::Borrowed(&s)),
        &a.output,
    )
}
