//! `billcast compare`: variants side by side with common random numbers.

use std::path::PathBuf;
use std::process::ExitCode;

use billcast::charts;
use billcast::results::Body;
use billcast::units::Month;
use billcast::whatif::{self, RunOptions, Vary};

use crate::cli::UsageError;
use crate::cli::cmd::forecast::EngineArgs;
use crate::cli::output::{self, ChartArg, ChartFile, Format, OutputArgs, Progress, outputs};
use std::borrow::Cow;

/// Arguments of `billcast compare`.
#[derive(clap::Args, Debug)]
#[command(mut_arg("chart", |a| a.help("Also draw the variants' bill distributions overlaid — chance of exceeding each amount, P50 and P95 marked, budget — to FILE: SVG, or PNG when FILE ends in .png.")))]
#[command(after_help = "\
Every variant runs with the same seed and trials, so trial t of each variant sees the same
world (common random numbers): the deltas are the effect of what differs, not Monte Carlo
noise. Deltas and % are against the first variant.

Examples:
  # three scenario files side by side
  billcast compare support-bot.toml support-bot-terra.toml support-bot-window.toml
  # one scenario on three models (bare words are strings)
  billcast compare scenarios/support-bot.toml \\
    --vary routes.0.model=openai/gpt-6.1-sol,openai/gpt-6.1-terra,openai/gpt-6-luna
  # with and without caching, in March
  billcast compare scenarios/support-bot.toml --vary caching.enabled=false,true --month 2027-03
  # the variants' bill distributions overlaid on one chart (PNG when FILE ends in .png)
  billcast compare scenarios/support-bot.toml --vary caching.hit_rate=0,0.5,0.8 \\
    --chart compare.svg
  # compact history above 150k tokens vs full history, as a PR comment
  billcast compare scenarios/coding-agent.toml --format markdown --labels summarize,full \\
    --vary 'workload.context={ policy = \"summarize\", above_tokens = 150000,
    summary_tokens = 12000 },{ policy = \"full\" }'")]
pub struct Args {
    /// Scenario files (two or more), or one scenario with --vary.
    #[arg(required = true, value_name = "SCENARIO")]
    pub scenarios: Vec<PathBuf>,
    /// Vary a key over values: KEY=V1,V2,… (TOML values; commas inside {…}, […] or quotes do not
    /// split). Repeat to compare every combination. The first value is the baseline.
    #[arg(long, value_name = "KEY=V1,V2,…")]
    pub vary: Vec<String>,
    /// Names for the variants in order, comma-separated (default: file stems or varied values).
    #[arg(long, value_name = "A,B,…")]
    pub labels: Option<String>,
    /// Month to compare, YYYY-MM (default: the last month forecast).
    #[arg(long, value_name = "YYYY-MM")]
    pub month: Option<Month>,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub output: OutputArgs<Format>,
    #[command(flatten)]
    pub chart: ChartArg,
}

/// Load the variants the arguments describe, named by `--labels` when given.
pub fn variants(a: &Args) -> anyhow::Result<Vec<whatif::Variant>> {
    let mut vs = load(a)?;
    if let Some(l) = &a.labels {
        let labels = whatif::split_values(l);
        if labels.len() != vs.len() {
            return Err(whatif::WhatifError::flag(
                "--labels",
                format!(
                    "{} labels for {} variants; give one per variant, in order",
                    labels.len(),
                    vs.len()
                ),
            )
            .into());
        }
        for (v, l) in vs.iter_mut().zip(labels) {
            v.label = l;
        }
    }
    Ok(vs)
}

fn load(a: &Args) -> anyhow::Result<Vec<whatif::Variant>> {
    let overrides = a.engine.overrides();
    if a.vary.is_empty() {
        let paths: Vec<&std::path::Path> = a.scenarios.iter().map(|p| p.as_path()).collect();
        return Ok(whatif::load_files(&paths, &overrides)?);
    }
    if a.scenarios.len() != 1 {
        return Err(whatif::WhatifError::flag(
            "--vary",
            "varies one scenario; give exactly one SCENARIO with --vary (or several files without it)",
        )
        .into());
    }
    let varies = a
        .vary
        .iter()
        .map(|v| Vary::parse("--vary", v))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(whatif::load_grid(
        &a.scenarios[0],
        &overrides,
        &varies,
        "--vary",
    )?)
}

/// `billcast compare`.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let chart = ChartFile::from_arg(a.chart.file.as_deref())?;
    let book = a.engine.book()?;
    let vs = variants(&a)?;
    let paths: Vec<&std::path::Path> = a.scenarios.iter().map(|p| p.as_path()).collect();
    let loaded: Vec<&billcast::scenario::Scenario> = vs.iter().map(|v| &v.scenario).collect();
    output::refuse_overwriting_inputs(
        &outputs(a.output.out.as_deref(), a.chart.file.as_deref()),
        &a.engine.inputs(&paths, &loaded, &book),
    )?;
    if chart.is_some() {
        charts::compare::check_variants(vs.len())
            .map_err(|e| UsageError(anyhow::Error::new(e).context("--chart")))?;
    }
    let total = vs.iter().map(|v| v.scenario.trials).max().unwrap_or(0) * vs.len() as u64;
    let progress = Progress::new(total, "simulating variants", a.engine.quiet.set);
    let cb = |n: u64| progress.set(n);
    let opts = RunOptions {
        mode: a.engine.mode(),
        progress: Some(&cb),
        resimulate: false,
    };
    let c = a
        .engine
        .in_pool(|| whatif::compare::compare(vs, &book, a.month, &opts))??;
    progress.finish();
    output::finish(
        chart.as_ref(),
        |format| charts::compare(&c, format),
        a.engine.quiet.set,
        Body::Compare(Cow::Borrowed(&c)),
        &a.output,
    )
}
