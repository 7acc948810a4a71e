//! `billcast report SCENARIO -o DIR`: run the forecast and write a design-review pack —
//! `report.html` (self-contained, charts inline), `report.md` (for a PR or wiki, linking the
//! chart files), the charts, and `forecast.json` (re-render it later with `billcast render`).
//! A scenario with an `[overhead]` section also gets the multi-provider overhead, run with the
//! same seed, trials and engine flags: a section in both reports, `overhead.svg` and
//! `overhead.json`. `--vary`, `--solve KEY` and `--sensitivity` add the decision: the variants
//! compared, the largest value of KEY under budget, what drives the bill — each a section with
//! its chart and its saved result, from the same seed and trials.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use billcast::charts::{self, ChartFormat, overhead as overhead_chart};
use billcast::export::markdown::{ChartLink, SectionCharts};
use billcast::export::{self, Pack, titles};
use billcast::pricing::PriceBook;
use billcast::report::Report;
use billcast::results::Body;
use billcast::scenario::Scenario;
use billcast::whatif::compare::Comparison;
use billcast::whatif::sensitivity::{self, Sensitivity, SensitivityOptions};
use billcast::whatif::solve::{DEFAULT_TOLERANCE, Direction, Solution, SolveSpec};
use billcast::whatif::sweep::Sweep;
use billcast::whatif::{self, RunOptions, Vary};

use super::forecast::{EngineArgs, forecast_of};
use super::overhead::overhead_report_of;
use crate::cli::UsageError;
use crate::cli::output::{self, ChartFormatArg, Progress};

/// Arguments of `billcast report`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  billcast report scenarios/support-bot.toml -o review/\n  billcast report scenarios/coding-agent.toml -n 2000 --set budget.monthly_usd=80000 -o review/\n  billcast report scenarios/rag-assistant.toml -o review/ --chart-format png\n  billcast report scenarios/multi-provider.toml -n 2000 -o review/\n  # the whole decision: models compared, traffic under budget, what drives the P95\n  billcast report scenarios/support-bot.toml -n 2000 -o review/ \\\n    --vary routes.0.model=openai/gpt-6.1-sol,openai/gpt-6.1-terra \\\n    --solve traffic.monthly_active_users --sensitivity\n\nA scenario with an [overhead] section also gets the comparison of `billcast overhead` (same seed and\ntrials): a section in report.html and report.md, its chart and overhead.json. To re-render such a\npack, pass both files: billcast render review/forecast.json --overhead review/overhead.json …\n\n--vary, --solve and --sensitivity run `billcast compare`, `solve` and `sensitivity` with the pack's\nseed and trials (sensitivity: every tornado and Sobol run with the pack's trials) and add a section\neach (id=\"compare\", \"solve\", \"sensitivity\"), its chart, and compare.json, solve.json or\nsensitivity.json — the same results the standalone commands print with --format json."
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
    /// Add the variants compared: KEY=V1,V2,… as for `billcast compare --vary` (the first value
    /// is the baseline); repeat to compare every combination.
    #[arg(long, value_name = "KEY=V1,V2,…")]
    pub vary: Vec<String>,
    /// Add the largest value of KEY that keeps the P95 of the last month under the budget
    /// ([budget] monthly_usd), as `billcast solve --param KEY`.
    #[arg(long, value_name = "KEY")]
    pub solve: Option<String>,
    /// Add the inputs that drive the bill (tornado and Sobol indices), as `billcast
    /// sensitivity`, every run with the pack's trials.
    #[arg(long)]
    pub sensitivity: bool,
}

/// The files of a pack besides its charts.
const PACK_FILES: [&str; 7] = [
    "report.html",
    "report.md",
    "forecast.json",
    "overhead.json",
    "compare.json",
    "solve.json",
    "sensitivity.json",
];

/// Bootstrap resamples of the pack's Sobol intervals (as `billcast sensitivity`'s default).
const SOBOL_BOOTSTRAP: usize = 200;

/// Values of the solved input re-run for the solve section's chart, at most.
const SOLVE_CURVE_POINTS: usize = 7;

/// Everything a pack shows besides the forecast, owned.
#[derive(Default)]
pub struct Sections {
    /// `[overhead]`.
    pub overhead: Option<billcast::overhead::OverheadReport>,
    /// `--vary`.
    pub compare: Option<Comparison>,
    /// `--solve`, with the percentiles swept over values the search evaluated.
    pub solve: Option<(Solution, Sweep)>,
    /// `--sensitivity`.
    pub sensitivity: Option<Sensitivity>,
}

impl Sections {
    /// Borrowed, for the documents.
    pub fn pack(&self) -> Pack<'_> {
        Pack {
            overhead: self.overhead.as_ref(),
            compare: self.compare.as_ref(),
            solve: self.solve.as_ref().map(|(s, c)| (s, c)),
            sensitivity: self.sensitivity.as_ref(),
        }
    }
}

/// Draw a pack chart into `dir` as `stem.<ext>` and link it from `markdown_file`'s folder.
fn write_chart(
    dir: &Path,
    stem: &str,
    title: &str,
    format: ChartFormatArg,
    markdown_file: Option<&Path>,
    draw: impl FnOnce(ChartFormat) -> Result<Vec<u8>, charts::ChartError>,
) -> anyhow::Result<(PathBuf, ChartLink)> {
    let format: ChartFormat = format.into();
    let bytes = draw(format).with_context(|| format!("cannot draw the {stem} chart"))?;
    let path = dir.join(format!("{stem}.{}", format.extension()));
    output::write_file(&path, &bytes)?;
    let link = output::chart_link(title, &path, markdown_file);
    Ok((path, link))
}

/// Write the pack of `r` and its `sections` into `dir`; returns the files written,
/// report.html first.
pub fn write_pack(
    r: &Report,
    sections: &Pack<'_>,
    dir: &Path,
    format: ChartFormatArg,
) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create folder {}", dir.display()))?;
    let md_path = dir.join("report.md");
    let (mut charts, links) = output::write_charts(r, dir, format, Some(&md_path))?;
    let html_path = dir.join("report.html");
    let json_path = dir.join("forecast.json");
    let mut files = vec![html_path.clone(), md_path.clone(), json_path.clone()];
    let md = Some(md_path.as_path());
    let mut links_of = SectionCharts::default();
    let mut save = |name: &str, body: Body<'_>| -> anyhow::Result<()> {
        let path = dir.join(name);
        output::write(Some(&path), &output::export(body, export::Format::Json)?)?;
        files.push(path);
        Ok(())
    };
    if let Some(o) = sections.overhead {
        let (chart, link) = write_overhead_chart(o, dir, format, md)?;
        charts.push(chart);
        links_of.overhead = Some(link);
        save("overhead.json", Body::Overhead(Cow::Borrowed(o)))?;
    }
    if let Some(c) = sections.compare {
        let (chart, link) = write_chart(dir, "compare", titles::COMPARE, format, md, |f| {
            charts::compare(c, f)
        })?;
        charts.push(chart);
        links_of.compare = Some(link);
        save("compare.json", Body::Compare(Cow::Borrowed(c)))?;
    }
    if let Some((s, curve)) = sections.solve {
        let (chart, link) = write_chart(dir, "solve", titles::SOLVE, format, md, |f| {
            charts::sweep(curve, f)
        })?;
        charts.push(chart);
        links_of.solve = Some(link);
        save("solve.json", Body::Solve(Cow::Borrowed(s)))?;
    }
    if let Some(s) = sections.sensitivity {
        let (chart, link) = write_chart(dir, "tornado", titles::SENSITIVITY, format, md, |f| {
            charts::tornado(s, f)
        })?;
        charts.push(chart);
        links_of.sensitivity = Some(link);
        save("sensitivity.json", Body::Sensitivity(Cow::Borrowed(s)))?;
    }
    output::write(Some(&html_path), &export::html::render_pack(r, sections)?)?;
    output::write(
        Some(&md_path),
        &export::markdown::render_pack(r, &links, sections, &links_of),
    )?;
    output::write(
        Some(&json_path),
        &output::export(Body::Forecast(Cow::Borrowed(r)), export::Format::Json)?,
    )?;
    files.extend(charts);
    Ok(files)
}

/// Draw the overhead chart of `o` into `dir` as `overhead.<ext>`; returns its path and its
/// Markdown link relative to `markdown_file`'s folder.
pub fn write_overhead_chart(
    o: &billcast::overhead::OverheadReport,
    dir: &Path,
    format: ChartFormatArg,
    markdown_file: Option<&Path>,
) -> anyhow::Result<(PathBuf, ChartLink)> {
    write_chart(
        dir,
        overhead_chart::FILE_STEM,
        overhead_chart::TITLE,
        format,
        markdown_file,
        |f| overhead_chart::tco(o, f),
    )
}

fn usage(e: impl Into<anyhow::Error>) -> anyhow::Error {
    anyhow::Error::new(UsageError(e.into()))
}

/// What the decision sections need, checked before any simulation: the variants of `--vary`
/// and the budget `--solve` keeps the P95 under.
fn check_requests(a: &Args, s: &Scenario) -> anyhow::Result<Option<Vec<whatif::Variant>>> {
    if a.solve.is_some() && s.budget_usd.is_none() {
        return Err(usage(anyhow::anyhow!(
            "--solve {}: the scenario has no budget to stay under; add [budget] monthly_usd or --set budget.monthly_usd=20000",
            a.solve.as_deref().unwrap_or_default()
        )));
    }
    if a.vary.is_empty() {
        return Ok(None);
    }
    let varies = a
        .vary
        .iter()
        .map(|v| Vary::parse("--vary", v))
        .collect::<Result<Vec<_>, _>>()?;
    let vs = whatif::load_grid(&a.scenario, &a.engine.overrides(), &varies, "--vary")?;
    charts::compare::check_variants(vs.len()).map_err(|e| usage(anyhow::Error::new(e)))?;
    Ok(Some(vs))
}

/// Run what the pack was asked for, after the forecast, with its seed and trials.
fn run_sections(
    a: &Args,
    s: &Scenario,
    book: &PriceBook,
    variants: Option<Vec<whatif::Variant>>,
) -> anyhow::Result<Sections> {
    let e = &a.engine;
    let mut out = Sections::default();
    if s.overhead_spec.is_some() {
        out.overhead = Some(overhead_report_of(e, s, book)?);
    }
    if let Some(vs) = variants {
        let progress = Progress::new(s.trials * vs.len() as u64, "comparing", e.quiet.set);
        let cb = |n: u64| progress.set(n);
        let opts = RunOptions {
            mode: e.mode(),
            progress: Some(&cb),
            resimulate: false,
        };
        out.compare = Some(e.in_pool(|| whatif::compare::compare(vs, book, None, &opts))??);
        progress.finish();
    }
    if let Some(param) = &a.solve {
        out.solve = Some(solve_with_curve(a, s, book, param)?);
    }
    if a.sensitivity {
        let mut opts = SensitivityOptions {
            month: None,
            sobol_trials: s.trials,
            tornado_trials: s.trials,
            bootstrap: SOBOL_BOOTSTRAP,
            mode: e.mode(),
            progress: None,
            resimulate: false,
        };
        let plan = sensitivity::plan(s, &opts);
        let progress = Progress::new(plan.trials, "analysing", e.quiet.set);
        let cb = |n: u64| progress.set(n);
        opts.progress = Some(&cb);
        out.sensitivity = Some(e.in_pool(|| sensitivity::sensitivity(s, book, &opts))??);
        progress.finish();
    }
    Ok(out)
}

/// `billcast solve --param KEY` with the pack's seed and trials, then the bill's percentiles
/// at up to [`SOLVE_CURVE_POINTS`] of the values it evaluated (the answer among them), for
/// the section's chart.
fn solve_with_curve(
    a: &Args,
    s: &Scenario,
    book: &PriceBook,
    param: &str,
) -> anyhow::Result<(Solution, Sweep)> {
    let e = &a.engine;
    let overrides = e.overrides();
    let spec = SolveSpec {
        path: a.scenario.clone(),
        overrides: overrides.clone(),
        param: param.to_string(),
        budget: None,
        quantile: 0.95,
        month: None,
        lo: None,
        hi: None,
        direction: Direction::Max,
        tolerance: DEFAULT_TOLERANCE,
        mode: e.mode(),
        integer: None,
        resimulate: false,
    };
    let progress = Progress::new(s.trials * 16, "solving", e.quiet.set);
    let cb = |n: u64| {
        progress.ensure_total(n + s.trials);
        progress.set(n);
    };
    let solution = e.in_pool(|| whatif::solve::solve(&spec, book, Some(&cb)))??;
    progress.finish();
    let mut nums: Vec<f64> = solution.evaluations.iter().map(|v| v.value).collect();
    nums.sort_by(f64::total_cmp);
    nums.dedup();
    let picked: Vec<f64> = if nums.len() <= SOLVE_CURVE_POINTS {
        nums
    } else {
        // Evenly by rank, then the answer itself.
        let step = (nums.len() - 1) as f64 / (SOLVE_CURVE_POINTS - 2) as f64;
        let mut v: Vec<f64> = (0..SOLVE_CURVE_POINTS - 1)
            .map(|i| nums[((i as f64 * step).round() as usize).min(nums.len() - 1)])
            .chain([solution.value])
            .collect();
        v.sort_by(f64::total_cmp);
        v.dedup();
        v
    };
    let text = super::render::read_text(&a.scenario, "scenario")?;
    let values = whatif::sweep::number_values(&text, &overrides, param, &picked);
    let progress = Progress::new(s.trials * values.len() as u64, "sweeping", e.quiet.set);
    let cb = |n: u64| progress.set(n);
    let opts = RunOptions {
        mode: e.mode(),
        progress: Some(&cb),
        resimulate: false,
    };
    let curve = e.in_pool(|| {
        whatif::sweep::sweep(&a.scenario, &overrides, param, values, book, None, &opts)
    })??;
    progress.finish();
    Ok((solution, curve))
}

/// `billcast report`.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let book = a.engine.book()?;
    let s = a.engine.scenario(&a.scenario)?;
    let pack: Vec<PathBuf> = PACK_FILES.iter().map(|f| a.out.join(f)).collect();
    let outputs: Vec<(&str, &Path)> = pack.iter().map(|p| ("-o", p.as_path())).collect();
    output::refuse_overwriting_inputs(&outputs, &a.engine.inputs(&[&a.scenario], &[&s], &book))?;
    let variants = check_requests(&a, &s)?;
    let r = forecast_of(&a.engine, &s, &book)?;
    let sections = run_sections(&a, &s, &book, variants)?;
    let files = write_pack(&r, &sections.pack(), &a.out, a.chart_format)?;
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
            "compare.json" | "solve.json" | "sensitivity.json" => {
                "the saved result: billcast render FILE --format …"
            }
            _ => "",
        };
        out.push_str(format!("  {name:<18} {what}").trim_end());
        out.push('\n');
    }
    output::write(None, &out)?;
    Ok(ExitCode::SUCCESS)
}
