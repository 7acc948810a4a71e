//! `billcast render forecast.json`: re-render a saved report in any format without
//! re-simulating (the numbers are the saved ones, so output matches the original run's).
//! A pack's `overhead.json` lives beside `forecast.json`, not in it; `--overhead` brings its
//! section back into HTML and Markdown.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use billcast::export;
use billcast::overhead::OverheadReport;
use billcast::report::{Report, ReportError};
use billcast::results::{Body, Envelope, ResultsError};

use crate::cli::UsageError;
use crate::cli::output::{self, ChartsDirArgs, OutputArgs, ReportFormat};

/// Arguments of `billcast render`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  billcast forecast scenarios/support-bot.toml --format json -o forecast.json\n  billcast render forecast.json --format html -o report.html\n  billcast render forecast.json --format markdown -o - | gh pr comment -F -\n  billcast render forecast.json --format markdown -o review/report.md --charts review/\n  billcast render review/forecast.json --overhead review/overhead.json --format html -o report.html\n\nforecast.json holds the forecast only: the overhead section of a pack made from a scenario with an\n[overhead] section is re-rendered only when its overhead.json is passed with --overhead."
)]
pub struct Args {
    /// A saved result: `forecast --format json` output or a pack's forecast.json, or the JSON of
    /// overhead, compare, sweep, solve, sensitivity, diff, backtest (also --calibrate-shift),
    /// calibrate, fit or tokens ('-' = stdin).
    pub report: PathBuf,
    #[command(flatten)]
    pub output: OutputArgs<ReportFormat>,
    #[command(flatten)]
    pub charts: ChartsDirArgs,
    /// A saved overhead report of the same run (a pack's overhead.json) to include as the
    /// "Operational overhead of a second provider" section; --format html or markdown only.
    #[arg(long, value_name = "FILE")]
    pub overhead: Option<PathBuf>,
}

/// The text of `path` ('-' = stdin); a file that cannot be read is a usage error (exit 2).
pub fn read_text(path: &std::path::Path, what: &str) -> anyhow::Result<String> {
    if path == std::path::Path::new("-") {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .with_context(|| format!("cannot read the {what} from stdin"))?;
        Ok(s)
    } else {
        std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))
            .map_err(|e| anyhow::Error::new(UsageError(e)))
    }
}

/// Read and validate a saved report; a file that is not one is a usage error (exit 2).
pub fn load(path: &std::path::Path) -> anyhow::Result<Report> {
    let name = path.display().to_string();
    let text = read_text(path, "report")?;
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

/// Read a saved overhead report and check it comes from the same run as `r` (scenario file,
/// overrides, seed, trials); anything else is a usage error (exit 2).
pub fn load_overhead(path: &std::path::Path, r: &Report) -> anyhow::Result<OverheadReport> {
    let usage = |e: anyhow::Error| anyhow::Error::new(UsageError(e));
    let name = path.display().to_string();
    let o = OverheadReport::from_json(&name, &read_text(path, "overhead report")?)
        .map_err(|e| usage(anyhow::anyhow!("--overhead {e}")))?;
    let same = o.scenario.sha256 == r.scenario.sha256
        && o.scenario.overrides == r.scenario.overrides
        && o.seed == r.seed
        && o.trials == r.trials;
    if !same {
        return Err(usage(anyhow::anyhow!(
            "--overhead {name}: not the overhead of this forecast (scenario {} seed {} {} trials vs {} seed {} {} trials, or other --set overrides); pass the overhead.json of the same pack",
            o.scenario.name,
            o.seed,
            o.trials,
            r.scenario.name,
            r.seed,
            r.trials
        )));
    }
    Ok(o)
}

/// Re-render a saved result other than a forecast through the same exporters as its command;
/// `--charts`, `--overhead` and `--format html` belong to forecasts and are refused (exit 2),
/// as is a format the kind has no rendering in (a fit's CSV).
fn render_result(a: &Args, body: &Body<'_>) -> anyhow::Result<ExitCode> {
    let kind = Envelope::new(body.clone()).kind();
    let refuse = |what: &str| {
        Err(anyhow::Error::new(UsageError(anyhow::anyhow!(
            "{}: a saved {} result has no {what}; render it with --format table, json, csv or markdown",
            a.report.display(),
            kind.name()
        ))))
    };
    if a.overhead.is_some() {
        return refuse("overhead section (--overhead goes with a forecast.json)");
    }
    if a.charts.charts.is_some() {
        return refuse("forecast charts (--charts); its command draws its chart with --chart");
    }
    if a.output.format == ReportFormat::Html {
        return refuse("HTML page (--format html is the forecast's)");
    }
    billcast::export::check(kind, billcast::export::view(body), a.output.format.into())
        .map_err(|e| UsageError(anyhow::anyhow!("{}: {e}", a.report.display())))?;
    let text = output::export(body.clone(), a.output.format)?;
    output::write(a.output.out.as_deref(), &text)?;
    Ok(ExitCode::SUCCESS)
}

/// `billcast render`.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    if a.overhead.is_some()
        && !matches!(a.output.format, ReportFormat::Html | ReportFormat::Markdown)
    {
        return Err(anyhow::Error::new(UsageError(anyhow::anyhow!(
            "--overhead adds a section to --format html or markdown; render the overhead report itself with `billcast overhead --format …`"
        ))));
    }
    let mut inputs = vec![("saved report".to_string(), a.report.as_path())];
    if let Some(o) = &a.overhead {
        inputs.push((
            "saved overhead report (--overhead)".to_string(),
            o.as_path(),
        ));
    }
    let outputs = output::outputs(a.output.out.as_deref(), None);
    output::refuse_overwriting_inputs(&outputs, &inputs)?;
    let name = a.report.display().to_string();
    let text = read_text(&a.report, "saved result")?;
    let saved = Envelope::from_json(&name, &text).map_err(|e| {
        let hint = match e {
            ResultsError::Json(_) => {
                "; expected the JSON a billcast command writes with --format json (e.g. a pack's forecast.json)"
            }
            _ => "",
        };
        anyhow::Error::new(UsageError(anyhow::anyhow!("{e}{hint}")))
    })?;
    let r = match saved.body {
        Body::Forecast(r) => r.into_owned(),
        other => return render_result(&a, &other),
    };
    let overhead = a
        .overhead
        .as_deref()
        .map(|p| load_overhead(p, &r))
        .transpose()?;
    let (links, overhead_link) = match &a.charts.charts {
        Some(dir) => {
            let links =
                output::write_charts(&r, dir, a.charts.chart_format, a.output.out.as_deref())?.1;
            let o_link = match &overhead {
                Some(o) => Some(
                    super::report::write_overhead_chart(
                        o,
                        dir,
                        a.charts.chart_format,
                        a.output.out.as_deref(),
                    )?
                    .1,
                ),
                None => None,
            };
            (links, o_link)
        }
        None => (Vec::new(), None),
    };
    let text = match (&overhead, a.output.format) {
        (Some(o), ReportFormat::Html) => export::html::render_with_overhead(&r, Some(o))?,
        (Some(o), ReportFormat::Markdown) => export::markdown::render_pack(
            &r,
            &links,
            &billcast::export::Pack {
                overhead: Some(o),
                ..Default::default()
            },
            &billcast::export::markdown::SectionCharts {
                overhead: overhead_link,
                ..Default::default()
            },
        ),
        _ => output::export_with(
            Body::Forecast(std::borrow::Cow::Borrowed(&r)),
            a.output.format,
            billcast::export::Options { charts: links },
        )?,
    };
    output::write(a.output.out.as_deref(), &text)?;
    Ok(ExitCode::SUCCESS)
}
