//! `billcast report SCENARIO -o DIR`: run the forecast and write a design-review pack —
//! `report.html` (self-contained, charts inline), `report.md` (for a PR or wiki, linking the
//! chart files), the charts, and `forecast.json` (re-render it later with `billcast render`).
//! A scenario with an `[overhead]` section also gets the multi-provider overhead, run with the
//! same seed, trials and engine flags: a section in both reports, `overhead.svg` and
//! `overhead.json`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use billcast::charts::overhead as overhead_chart;
use billcast::document;
use billcast::document::markdown::OverheadSection;
use billcast::overhead::OverheadReport;
use billcast::report::Report;

use super::forecast::{EngineArgs, forecast_of};
use super::overhead::overhead_report_of;
use crate::cli::output::{self, ChartFormatArg};

/// Arguments of `billcast report`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  billcast report scenarios/support-bot.toml -o review/\n  billcast report scenarios/coding-agent.toml -n 2000 --set budget.monthly_usd=80000 -o review/\n  billcast report scenarios/rag-assistant.toml -o review/ --chart-format png\n  billcast report scenarios/multi-provider.toml -n 2000 -o review/\n\nA scenario with an [overhead] section also gets the comparison of `billcast overhead` (same seed and\ntrials): a section in report.html and report.md, its chart and overhead.json. To re-render such a\npack, pass both files: billcast render review/forecast.json --overhead review/overhead.json …"
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

/// The files of a pack besides its charts.
const PACK_FILES: [&str; 4] = ["report.html", "report.md", "forecast.json", "overhead.json"];

/// Write the pack of `r` (and of `overhead`, the same scenario's overhead report, if any)
/// into `dir`; returns the files written, report.html first.
pub fn write_pack(
    r: &Report,
    overhead: Option<&OverheadReport>,
    dir: &std::path::Path,
    format: ChartFormatArg,
) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create folder {}", dir.display()))?;
    let md_path = dir.join("report.md");
    let (mut charts, links) = output::write_charts(r, dir, format, Some(&md_path))?;
    let html_path = dir.join("report.html");
    let json_path = dir.join("forecast.json");
    let mut files = vec![html_path.clone(), md_path.clone(), json_path.clone()];
    let overhead_link = match overhead {
        Some(o) => {
            let (chart, link) = write_overhead_chart(o, dir, format, Some(&md_path))?;
            charts.push(chart);
            let path = dir.join("overhead.json");
            output::write(
                Some(&path),
                &output::json(billcast::results::Body::Overhead(
                    std::borrow::Cow::Borrowed(o),
                ))?,
            )?;
            files.push(path);
            Some(link)
        }
        None => None,
    };
    output::write(
        Some(&html_path),
        &document::html::render_with_overhead(r, overhead)?,
    )?;
    let section = overhead.map(|report| OverheadSection {
        report,
        chart: overhead_link.as_ref(),
    });
    output::write(
        Some(&md_path),
        &document::markdown::render_pack(r, &links, section),
    )?;
    output::write(
        Some(&json_path),
        &output::json(billcast::results::Body::Forecast(
            std::borrow::Cow::Borrowed(r),
        ))?,
    )?;
    files.extend(charts);
    Ok(files)
}

/// Draw the overhead chart of `o` into `dir` as `overhead.<ext>`; returns its path and its
/// Markdown link relative to `markdown_file`'s folder.
pub fn write_overhead_chart(
    o: &OverheadReport,
    dir: &std::path::Path,
    format: ChartFormatArg,
    markdown_file: Option<&std::path::Path>,
) -> anyhow::Result<(PathBuf, document::markdown::ChartLink)> {
    let format: billcast::charts::ChartFormat = format.into();
    let bytes = overhead_chart::tco(o, format).context("cannot draw the overhead chart")?;
    let path = dir.join(format!(
        "{}.{}",
        overhead_chart::FILE_STEM,
        format.extension()
    ));
    output::write_file(&path, &bytes)?;
    let link = output::chart_link(overhead_chart::TITLE, &path, markdown_file);
    Ok((path, link))
}

/// `billcast report`.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let book = a.engine.book()?;
    let s = a.engine.scenario(&a.scenario)?;
    let pack: Vec<PathBuf> = PACK_FILES.iter().map(|f| a.out.join(f)).collect();
    let outputs: Vec<(&str, &std::path::Path)> = pack.iter().map(|p| ("-o", p.as_path())).collect();
    output::refuse_overwriting_inputs(&outputs, &a.engine.inputs(&[&a.scenario], &[&s], &book))?;
    let r = forecast_of(&a.engine, &s, &book)?;
    let overhead = if s.overhead_spec.is_some() {
        Some(overhead_report_of(&a.engine, &s, &book)?)
    } else {
        None
    };
    let files = write_pack(&r, overhead.as_ref(), &a.out, a.chart_format)?;
    let mut out = format!(
        "{}.\n\nWrote {} files to {}:\n",
        r.headline_sentence(),
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
            "overhead.json" => {
                "the saved overhead comparison: billcast render … --overhead overhead.json"
            }
            _ => "",
        };
        out.push_str(format!("  {name:<18} {what}").trim_end());
        out.push('\n');
    }
    output::write(None, &out)?;
    Ok(ExitCode::SUCCESS)
}
