//! The command line: the only code that touches clap, stdout/stderr, the environment and exit
//! codes. One file per subcommand under `cmd/`.
//!
//! Exit codes: 0 success; 1 runtime error; 2 usage error (bad flags, a missing or unreadable
//! input file, bad scenario or price table, unknown model, an output that would overwrite an
//! input); 3 a `--fail-if` cost gate tripped. A closed pipe exits 0.

mod cmd;
mod output;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Forecast what an LLM feature will cost before it ships.
///
/// billcast simulates sessions, turns and tool-call loops of your workload in a two-level
/// Monte Carlo engine, prices every call with dated provider price tables, and reports the
/// monthly bill as percentiles with the chance of exceeding your budget.
///
/// Start with:  billcast forecast scenarios/support-bot.toml
/// Your own:    billcast init --prompt prompts/system.md -o scenario.toml
#[derive(Parser, Debug)]
#[command(
    name = "billcast",
    version,
    about,
    long_about,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Forecast the monthly bill of a scenario: percentiles, budget risk, breakdown.
    Forecast(cmd::forecast::Args),
    /// Fit workload distributions from transcripts or usage logs; write a workload file.
    Fit(cmd::fit::Args),
    /// Fit on the first part of a real log, forecast the rest, and score the forecast.
    Backtest(cmd::backtest::Args),
    /// Score past forecasts against actual monthly bills: bias and band coverage.
    Calibrate(cmd::calibrate::Args),
    /// Compare single, degraded, failover and active-active: monthly TCO, availability,
    /// the multiplier over the naive "2× budget", and the break-even downtime cost.
    Overhead(cmd::overhead::Args),
    /// Run a forecast and write a design-review pack: report.html, report.md, charts, forecast.json.
    Report(cmd::report::Args),
    /// Re-render a saved result (forecast.json, or any command's --format json) without
    /// re-simulating.
    Render(cmd::render::Args),
    /// Browse, check and use the price tables.
    #[command(subcommand)]
    Pricing(cmd::pricing::PricingCommand),
    /// Compare scenarios (or one scenario with --vary) side by side, with deltas.
    Compare(cmd::compare::Args),
    /// Percentiles of the bill as a function of one input.
    Sweep(cmd::sweep::Args),
    /// Largest (or smallest) input value that keeps a percentile of the bill under budget.
    Solve(cmd::solve::Args),
    /// Which uncertain input moves the bill most: tornado and Sobol indices.
    Sensitivity(cmd::sensitivity::Args),
    /// Compare two saved forecasts; --fail-if makes it a CI cost gate (exit 3).
    Diff(cmd::diff::Args),
    /// Token counts of prompt, message and tool-definition files, per model.
    Tokens(cmd::tokens::Args),
    /// Write a commented starter scenario (chatbot, rag, agent or batch) that forecasts as is.
    Init(cmd::init::Args),
}

/// Marks an error as the user's input being wrong (exit code 2).
#[derive(Debug)]
pub struct UsageError(pub anyhow::Error);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.0)
    }
}

impl std::error::Error for UsageError {}

/// Treat errors in user-supplied inputs as usage errors.
pub fn classify(e: anyhow::Error) -> anyhow::Error {
    use billcast::artifact::ArtifactError;
    use billcast::engine::EngineError;
    use billcast::overhead::OverheadError;
    use billcast::pricing::PricingError;
    use billcast::scenario::ScenarioError;
    use billcast::whatif::WhatifError;
    use billcast::whatif::gate::GateError;
    let usage = e.chain().any(|c| {
        // Every scenario or price-table problem is the user's input, an unreadable file too.
        c.downcast_ref::<ScenarioError>().is_some()
            || c.downcast_ref::<PricingError>().is_some()
            || c.downcast_ref::<ArtifactError>().is_some()
            || matches!(
                c.downcast_ref::<EngineError>(),
                Some(EngineError::Route { .. } | EngineError::Dist(_) | EngineError::Mode(_))
            )
            || matches!(
                c.downcast_ref::<OverheadError>(),
                Some(
                    OverheadError::NoSection { .. }
                        | OverheadError::Dist(_)
                        | OverheadError::Secondary {
                            cause: EngineError::Route { .. }
                                | EngineError::Dist(_)
                                | EngineError::Mode(_),
                            ..
                        }
                        | OverheadError::Engine(
                            EngineError::Route { .. } | EngineError::Dist(_) | EngineError::Mode(_)
                        )
                )
            )
            || c.downcast_ref::<WhatifError>()
                .is_some_and(WhatifError::is_usage)
            || c.downcast_ref::<GateError>().is_some()
    });
    if usage {
        anyhow::Error::new(UsageError(e))
    } else {
        e
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Parse arguments, run, and return the exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let result = match cli.command {
        Command::Forecast(a) => cmd::forecast::run(a),
        Command::Fit(a) => cmd::fit::run(a),
        Command::Backtest(a) => cmd::backtest::run(a),
        Command::Calibrate(a) => cmd::calibrate::run(a),
        Command::Overhead(a) => cmd::overhead::run(a),
        Command::Report(a) => cmd::report::run(a),
        Command::Render(a) => cmd::render::run(a),
        Command::Pricing(c) => cmd::pricing::run(c),
        Command::Compare(a) => cmd::compare::run(a),
        Command::Sweep(a) => cmd::sweep::run(a),
        Command::Solve(a) => cmd::solve::run(a),
        Command::Sensitivity(a) => cmd::sensitivity::run(a),
        Command::Diff(a) => cmd::diff::run(a),
        Command::Tokens(a) => cmd::tokens::run(a),
        Command::Init(a) => cmd::init::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let e = classify(e);
            eprintln!("error: {e:#}");
            if e.downcast_ref::<UsageError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_valid() {
        super::Cli::command().debug_assert();
    }
}
