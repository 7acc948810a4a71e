//! `billcast report SCENARIO -o DIR`: run the forecast and write a design-review pack —
//! `report.html` (self-contained, charts inline), `report.md` (for a PR or wiki, linking the
//! chart files), the charts, and `forecast.json` (re-render it later with `billcast render`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use billcast::report::{self, Report};

use super::forecast::{EngineArgs, forecast};
use crate::cli::output::{self, ChartFormatArg};

/// Arguments of `billcast report`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  billcast report scenarios/support-bot.toml -o review/\n  billcast report scenarios/coding-agent.toml -n 2000 --set budget.monthly_usd=80000 -o review/\n  billcast report scenarios/rag-assistant.toml -o review/ --chart-format png"
)]
pub struct Args {
    /// Scenario file (TOML). See scenarios/README.md for every key.
    pub scenario: PathBuf,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Folder to write the pack into (created if missing; files in it are overwritten).
    #[arg(short = 'o', long = "out", value_name = "DIR")]
    pub out: PathBuf,
    /// Format of the chart files report.md links to (report.html always inlines SVG).
    #[arg(long, value_enum, default_value = "svg", value_name = "FORMAT")]
    pub chart_format: ChartFormatArg,
}

/// Write the pack of `r` into `dir`; returns the files written, report.html first.
pub fn write_pack(
    r: &Report,
    dir: &std::path::Path,
    format: ChartFormatArg,
) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create folder {}", dir.display()))?;
    let md_path = dir.join("report.md");
    let (charts, links) = output::write_charts(r, dir, format, Some(&md_path))?;
    let html_path = dir.join("report.html");
    let json_path = dir.join("forecast.json");
    output::write(Some(&html_path), &report::html::render(r)?)?;
    output::write(
        Some(&md_path),
        &report::markdown::render_with_charts(r, &links),
    )?;
    output::write(Some(&json_path), &r.to_json()?)?;
    let mut files = vec![html_path, md_path, json_path];
    files.extend(charts);
    Ok(files)
}

/// `billcast report`.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let r = forecast(&a.engine, &a.scenario)?;
    let files = write_pack(&r, &a.out, a.chart_format)?;
    let mut out = format!(
        "{}.\n\nWrote {} files to {}:\n",
        r.headline.text,
        files.len(),
        a.out.display()
    );
    for f in &files {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let what = match name.as_str() {
            "report.html" => "open in a browser; self-contained, prints cleanly",
            "report.md" => "for a PR or wiki; links the chart files",
            "forecast.json" => "the saved report: billcast render forecast.json --format …",
            _ => "",
        };
        out.push_str(format!("  {name:<18} {what}").trim_end());
        out.push('\n');
    }
    output::write(None, &out)?;
    Ok(ExitCode::SUCCESS)
}
