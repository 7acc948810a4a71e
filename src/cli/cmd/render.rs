//! `billcast render forecast.json`: re-render a saved report in any format without
//! re-simulating (the numbers are the saved ones, so output matches the original run's).

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use billcast::report::{Report, ReportError};

use crate::cli::UsageError;
use crate::cli::output::{self, ChartFormatArg, ReportFormat};

/// Arguments of `billcast render`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  billcast forecast scenarios/support-bot.toml --format json -o forecast.json\n  billcast render forecast.json --format html -o report.html\n  billcast render forecast.json --format markdown -o - | gh pr comment -F -\n  billcast render forecast.json --format markdown -o review/report.md --charts review/"
)]
pub struct Args {
    /// A saved report: `forecast --format json` output or a pack's forecast.json ('-' = stdin).
    pub report: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: ReportFormat,
    /// Write to FILE instead of stdout ('-' = stdout).
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Also draw the charts into DIR; --format markdown then links them.
    #[arg(long, value_name = "DIR")]
    pub charts: Option<PathBuf>,
    /// Chart file format (default: svg).
    #[arg(long, value_enum, default_value = "svg", value_name = "FORMAT")]
    pub chart_format: ChartFormatArg,
}

/// Read and validate a saved report; a file that is not one is a usage error (exit 2).
pub fn load(path: &std::path::Path) -> anyhow::Result<Report> {
    let name = path.display().to_string();
    let text = if path == std::path::Path::new("-") {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("cannot read the report from stdin")?;
        s
    } else {
        std::fs::read_to_string(path).with_context(|| format!("cannot read {name}"))?
    };
    Report::from_json(&name, &text).map_err(|e| {
        let hint = match e {
            ReportError::Json(_) => {
                "; expected the JSON written by `billcast forecast --format json` or a pack's forecast.json"
            }
            _ => "",
        };
        anyhow::Error::new(UsageError(anyhow::anyhow!("{e}{hint}")))
    })
}

/// `billcast render`.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let r = load(&a.report)?;
    let links = match &a.charts {
        Some(dir) => output::write_charts(&r, dir, a.chart_format, a.out.as_deref())?.1,
        None => Vec::new(),
    };
    let text = super::forecast::render(&r, a.format, &links)?;
    output::write(a.out.as_deref(), &text)?;
    Ok(ExitCode::SUCCESS)
}
