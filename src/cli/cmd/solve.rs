//! `billcast solve`: the largest (or smallest) input value that keeps a percentile of the
//! bill under a budget.

use std::path::PathBuf;
use std::process::ExitCode;

use billcast::results::Body;
use billcast::units::Month;
use billcast::whatif::{
    self,
    solve::{DEFAULT_TOLERANCE, Direction, SolveSpec},
};
use std::borrow::Cow;

use crate::cli::cmd::forecast::EngineArgs;
use crate::cli::output::{self, Format, OutputArgs, Progress};

/// `--direction`.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum DirectionArg {
    /// The largest value under budget (the bill grows with the input: users, tokens).
    Max,
    /// The smallest value under budget (the bill falls as the input grows: cache hit rate).
    Min,
}

/// Arguments of `billcast solve`.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Bisection on common random numbers: every run uses the same seed and trials, so the
percentile is a deterministic function of the input and the bracket closes cleanly. The
answer comes with its bracket and a Monte Carlo 95% interval (the percentile's standard
error over the local slope): how far the answer would move with another seed.

Examples:
  # how many users fit in $20k at P95 in the last month?
  billcast solve scenarios/support-bot.toml --param traffic.monthly_active_users \\
    --budget 20000
  # what median output length keeps the P99 of March under $15k?
  billcast solve scenarios/support-bot.toml --param workload.output_tokens.median \\
    --budget 15k --quantile 0.99 --month 2027-03
  # what cache hit rate do we need? (the bill falls as it grows)
  billcast solve scenarios/rag-assistant.toml --param caching.hit_rate --budget 8000 \\
    --direction min --lo 0 --hi 1")]
pub struct Args {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// The input to solve for, as for --set (e.g. traffic.monthly_active_users).
    #[arg(long, value_name = "KEY")]
    pub param: String,
    /// Monthly budget in USD (20000, 20k, $20,000; default: the scenario's [budget] monthly_usd).
    #[arg(long, value_name = "USD", value_parser = parse_usd)]
    pub budget: Option<f64>,
    /// Quantile of the monthly bill to keep under budget (0.95 = P95).
    #[arg(long, default_value_t = 0.95)]
    pub quantile: f64,
    /// Month, YYYY-MM (default: the last month forecast).
    #[arg(long, value_name = "YYYY-MM")]
    pub month: Option<Month>,
    /// Lower end of the search (default 0).
    #[arg(long, value_parser = parse_num)]
    pub lo: Option<f64>,
    /// Upper end (default: the input's current value, doubled until it crosses the budget).
    #[arg(long, value_parser = parse_num)]
    pub hi: Option<f64>,
    /// Which end of the values under budget to find.
    #[arg(long, value_enum, default_value = "max")]
    pub direction: DirectionArg,
    /// Stop when the bracket is narrower than this fraction of the value.
    #[arg(long, default_value_t = DEFAULT_TOLERANCE)]
    pub tolerance: f64,
    /// Treat the input as a whole number (default: when the scenario writes it as an integer).
    #[arg(long)]
    pub integer: bool,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub output: OutputArgs<Format>,
}

fn parse_num(s: &str) -> Result<f64, String> {
    whatif::parse_number(s).ok_or_else(|| format!("'{s}' is not a number"))
}

fn parse_usd(s: &str) -> Result<f64, String> {
    whatif::parse_number(s)
        .ok_or_else(|| format!("'{s}' is not an amount of USD (e.g. 20000 or 20k)"))
}

/// `billcast solve`.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let book = a.engine.book()?;
    let spec = SolveSpec {
        path: a.scenario.clone(),
        overrides: a.engine.overrides(),
        param: a.param.clone(),
        budget: a.budget,
        quantile: a.quantile,
        month: a.month,
        lo: a.lo,
        hi: a.hi,
        direction: match a.direction {
            DirectionArg::Max => Direction::Max,
            DirectionArg::Min => Direction::Min,
        },
        tolerance: a.tolerance,
        mode: a.engine.mode(),
        integer: a.integer.then_some(true),
        resimulate: false,
    };
    let base = a.engine.scenario(&a.scenario).ok();
    output::refuse_overwriting_inputs(
        &output::outputs(a.output.out.as_deref(), None),
        &a.engine
            .inputs(&[&a.scenario], &base.iter().collect::<Vec<_>>(), &book),
    )?;
    let trials = base.as_ref().map_or(0, |s| s.trials);
    // A bisection's length is not known up front: start with a typical count of runs and grow.
    let progress = Progress::new(trials * 16, "solving", a.engine.quiet.set);
    let cb = |n: u64| {
        progress.ensure_total(n + trials);
        progress.set(n);
    };
    let s = a
        .engine
        .in_pool(|| whatif::solve::solve(&spec, &book, Some(&cb)))??;
    progress.finish();
    output::write(
        a.output.out.as_deref(),
        &output::export(Body::Solve(Cow::Borrowed(&s)), a.output.format)?,
    )?;
    Ok(ExitCode::SUCCESS)
}
