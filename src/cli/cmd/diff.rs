//! `billcast diff`: compare two saved forecasts; `--fail-if` makes it a CI cost gate.

use std::path::PathBuf;
use std::process::ExitCode;

use billcast::results::Body;
use billcast::units::Month;
use billcast::whatif::gate::{Condition, GateError};
use std::borrow::Cow;

use crate::cli::UsageError;
use crate::cli::output::{self, Format, OutputArgs};

/// Exit code when a `--fail-if` condition holds.
pub const GATE_FAILED: u8 = 3;

/// Arguments of `billcast diff`.
#[derive(clap::Args, Debug)]
#[command(mut_arg("format", |a| a.help("Output format (markdown = a PR comment).")))]
#[command(after_help = "\
Variables of --fail-if (for the diffed month; default: the head's month with the highest P95):
  mean p50 p90 p95 p99 prob_over_budget budget          head values (USD; probability 0–1)
  base_mean base_p50 base_p90 base_p95 base_p99 base_prob_over_budget
  delta_mean delta_p50 delta_p90 delta_p95 delta_p99    head − base, USD
  delta_mean_pct … delta_p99_pct                        change in percent (10 = +10%)
  delta_prob_over_budget                                change of the probability (0.05 = 5 points)
Operators: > >= < <= == !=, combined with and / or and parentheses. Numbers may be written
12000, 12_000, 12,000, $12k or 1.5M. Repeat --fail-if: the gate fails if any condition holds.

Exit codes: 0 no condition holds; 3 a condition holds (each is printed on stderr); 2 a bad
expression or arguments; 1 a report could not be read.

Examples:
  billcast diff base.json head.json
  billcast diff base.json head.json --format markdown -o comment.md \\
    --fail-if 'delta_p95_pct > 10'
  billcast diff base.json head.json --fail-if 'p95 > 12000' --fail-if 'prob_over_budget > 0.1'
  billcast diff base.json head.json --month 2027-06 \\
    --fail-if 'delta_mean > 500 and delta_mean_pct > 5'
See the README (\"Cost gate in CI\") for a GitHub Actions job.")]
pub struct Args {
    /// The base forecast (`billcast forecast … --format json`), e.g. from the main branch.
    pub base: PathBuf,
    /// The head forecast, e.g. from the pull request.
    pub head: PathBuf,
    /// Month the headline and the gate speak of, YYYY-MM.
    #[arg(long, value_name = "YYYY-MM")]
    pub month: Option<Month>,
    /// Exit with code 3 when this condition holds, e.g. 'delta_p95_pct > 10' (repeatable).
    #[arg(long = "fail-if", value_name = "EXPR")]
    pub fail_if: Vec<String>,
    #[command(flatten)]
    pub output: OutputArgs<Format>,
}

fn usage(e: GateError) -> anyhow::Error {
    anyhow::Error::new(UsageError(anyhow::Error::new(e)))
}

/// `billcast diff`.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    // Parse the gate first: a typo in CI should fail before anything is read.
    let conditions = a
        .fail_if
        .iter()
        .map(|t| Condition::parse(t))
        .collect::<Result<Vec<_>, _>>()
        .map_err(usage)?;
    let outputs = output::outputs(a.output.out.as_deref(), None);
    output::refuse_overwriting_inputs(
        &outputs,
        &[
            ("base forecast".to_string(), a.base.as_path()),
            ("head forecast".to_string(), a.head.as_path()),
        ],
    )?;
    let base = super::render::load(&a.base)?;
    let head = super::render::load(&a.head)?;
    let mut d = billcast::whatif::diff::diff(
        &base,
        &a.base.display().to_string(),
        &head,
        &a.head.display().to_string(),
        a.month,
    )?;
    let vars = d.variables();
    d.gate = conditions
        .iter()
        .map(|c| c.eval(&vars))
        .collect::<Result<Vec<_>, _>>()
        .map_err(usage)?;
    output::write(
        a.output.out.as_deref(),
        &output::export(Body::Diff(Cow::Borrowed(&d)), a.output.format)?,
    )?;
    if d.gate_failed() {
        for g in d.gate.iter().filter(|g| g.holds) {
            eprintln!("billcast: cost gate failed: {}", g.explain());
        }
        return Ok(ExitCode::from(GATE_FAILED));
    }
    Ok(ExitCode::SUCCESS)
}
