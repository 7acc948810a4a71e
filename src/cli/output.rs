//! Output plumbing shared by commands: formats and their exporters, `-o FILE|-`, and the
//! progress bar.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;

use super::UsageError;

/// Output formats.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Tables for people (default).
    Table,
    /// Machine-readable JSON.
    Json,
    /// Comma-separated rows under a header row.
    Csv,
    /// Markdown for PR comments and wikis.
    Markdown,
}

/// Output formats of a forecast report: [`Format`]'s plus HTML.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    /// Tables for people (default).
    Table,
    /// Machine-readable JSON (the saved report; `billcast render` reads it back).
    Json,
    /// One row per month.
    Csv,
    /// Markdown for PR comments and wikis.
    Markdown,
    /// One self-contained HTML page with inline charts (no scripts, no network).
    Html,
}

/// `--format` and `-o`, declared once and flattened into every command that writes a result;
/// `F` is the command's format list ([`Format`] or [`ReportFormat`]).
#[derive(clap::Args, Debug, Clone)]
pub struct OutputArgs<F: clap::ValueEnum + Clone + Send + Sync + 'static> {
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: F,
    /// Write to FILE instead of stdout ('-' = stdout).
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `--chart FILE`: one chart of the result (SVG, or PNG when FILE ends in .png). Commands
/// describe what the chart shows with `mut_arg("chart", …)`.
#[derive(clap::Args, Debug, Clone)]
pub struct ChartArg {
    /// Also draw the chart into FILE: SVG, or PNG when FILE ends in .png.
    #[arg(id = "chart", long = "chart", value_name = "FILE")]
    pub file: Option<PathBuf>,
}

/// `--charts DIR` and `--chart-format` of the forecast's charts (`forecast`, `render`).
#[derive(clap::Args, Debug, Clone)]
pub struct ChartsDirArgs {
    /// Also draw the charts (fan, distribution, exceedance, breakdown, naive) into DIR;
    /// --format markdown then links them.
    #[arg(long, value_name = "DIR")]
    pub charts: Option<PathBuf>,
    /// Chart file format (default: svg).
    #[arg(long, value_enum, default_value = "svg", value_name = "FORMAT")]
    pub chart_format: ChartFormatArg,
}

/// `-q`: no progress bar and no "wrote …" lines on stderr.
#[derive(clap::Args, Debug, Clone, Copy, Default)]
pub struct Quiet {
    /// No progress bar.
    #[arg(id = "quiet", short = 'q', long = "quiet")]
    pub set: bool,
}

/// `--chart-format`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ChartFormatArg {
    /// Scalable vector graphics (default).
    #[default]
    Svg,
    /// 1200×675 px PNG images.
    Png,
}

impl From<ChartFormatArg> for billcast::charts::ChartFormat {
    fn from(f: ChartFormatArg) -> Self {
        match f {
            ChartFormatArg::Svg => billcast::charts::ChartFormat::Svg,
            ChartFormatArg::Png => billcast::charts::ChartFormat::Png,
        }
    }
}

/// A `--chart FILE`, checked before anything runs: the extension picks the format (`.png` →
/// PNG; `.svg` or none → SVG, either case) and the folder must already exist, so a typo fails
/// in a second instead of after the simulation.
#[derive(Debug, Clone)]
pub struct ChartFile {
    /// Where the chart goes.
    pub path: PathBuf,
    /// Its format.
    pub format: billcast::charts::ChartFormat,
}

impl ChartFile {
    /// Check `path` for `--chart`.
    ///
    /// # Errors
    /// A usage error (exit 2) for `-`, an extension other than `.svg`/`.png`, a path that is a
    /// folder, or a folder that does not exist.
    pub fn new(path: &Path) -> anyhow::Result<ChartFile> {
        use billcast::charts::ChartFormat;
        let bad = |why: String| {
            anyhow::Error::new(UsageError(anyhow::anyhow!(
                "--chart {}: {why}",
                path.display()
            )))
        };
        if path == Path::new("-") {
            return Err(bad(
                "a chart needs a file name ('-' would mix it into the text on stdout)".into(),
            ));
        }
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        let format = match ext.as_deref() {
            None | Some("svg") => ChartFormat::Svg,
            Some("png") => ChartFormat::Png,
            Some(other) => {
                return Err(bad(format!(
                    "unknown chart format '.{other}'; name the file .svg or .png"
                )));
            }
        };
        if path.is_dir() {
            return Err(bad("is a folder; give a file name such as chart.svg".into()));
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
            && !dir.is_dir()
        {
            return Err(bad(format!(
                "folder {} does not exist; create it first or write the chart elsewhere",
                dir.display()
            )));
        }
        Ok(ChartFile {
            path: path.to_path_buf(),
            format,
        })
    }

    /// Check an optional `--chart`.
    pub fn from_arg(path: Option<&Path>) -> anyhow::Result<Option<ChartFile>> {
        path.map(ChartFile::new).transpose()
    }

    /// Draw the chart with `draw` in this file's format and write it, saying so on stderr
    /// unless `quiet`.
    ///
    /// # Errors
    /// The chart's drawing error; [`billcast::charts::ChartError::Io`] naming the file.
    pub fn write(
        &self,
        draw: impl FnOnce(
            billcast::charts::ChartFormat,
        ) -> Result<Vec<u8>, billcast::charts::ChartError>,
        quiet: bool,
    ) -> anyhow::Result<()> {
        let bytes = draw(self.format)?;
        billcast::atomic::write(&self.path, &bytes).map_err(|source| {
            billcast::charts::ChartError::Io {
                path: self.path.clone(),
                source,
            }
        })?;
        if !quiet {
            eprintln!("wrote chart {}", self.path.display());
        }
        Ok(())
    }
}

/// Draw every chart of `r` into `dir` and describe them as Markdown image links, with paths
/// relative to the folder of `markdown_file` when the charts are inside it (so the Markdown and
/// its images can be moved together), else as given.
pub fn write_charts(
    r: &billcast::report::Report,
    dir: &Path,
    format: ChartFormatArg,
    markdown_file: Option<&Path>,
) -> anyhow::Result<(
    Vec<std::path::PathBuf>,
    Vec<billcast::export::markdown::ChartLink>,
)> {
    use billcast::charts::{self, ChartKind};
    let paths = charts::render_all(r, dir, format.into())
        .with_context(|| format!("cannot write charts to {}", dir.display()))?;
    let links = paths
        .iter()
        .zip(charts::applicable(r))
        .map(|(p, kind): (&std::path::PathBuf, ChartKind)| {
            chart_link(kind.title(), p, markdown_file)
        })
        .collect();
    Ok((paths, links))
}

/// A Markdown image link to the chart file `path`: relative to the folder of `markdown_file`
/// when the chart is inside it (so the Markdown and its images can be moved together), else
/// as given.
pub fn chart_link(
    title: &str,
    path: &Path,
    markdown_file: Option<&Path>,
) -> billcast::export::markdown::ChartLink {
    let base = markdown_file
        .filter(|p| *p != Path::new("-"))
        .map(|p| p.parent().unwrap_or(Path::new("")));
    let rel = base.and_then(|b| path.strip_prefix(b).ok()).unwrap_or(path);
    billcast::export::markdown::ChartLink {
        title: title.to_string(),
        // Markdown links use '/', whatever the platform.
        path: rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/"),
    }
}

impl From<Format> for billcast::export::Format {
    fn from(f: Format) -> Self {
        use billcast::export::Format as E;
        match f {
            Format::Table => E::Table,
            Format::Json => E::Json,
            Format::Csv => E::Csv,
            Format::Markdown => E::Markdown,
        }
    }
}

impl From<ReportFormat> for billcast::export::Format {
    fn from(f: ReportFormat) -> Self {
        use billcast::export::Format as E;
        match f {
            ReportFormat::Table => E::Table,
            ReportFormat::Json => E::Json,
            ReportFormat::Csv => E::Csv,
            ReportFormat::Markdown => E::Markdown,
            ReportFormat::Html => E::Html,
        }
    }
}

/// A result in `format`: the envelope around `body` through the format's exporter
/// ([`billcast::export::exporter`]).
pub fn export(
    body: billcast::results::Body<'_>,
    format: impl Into<billcast::export::Format>,
) -> anyhow::Result<String> {
    Ok(billcast::export::render(body, format.into())?)
}

/// [`export`] with `options` (the chart images a forecast's Markdown links).
pub fn export_with(
    body: billcast::results::Body<'_>,
    format: impl Into<billcast::export::Format>,
    options: billcast::export::Options,
) -> anyhow::Result<String> {
    let result = billcast::results::Envelope::new(body);
    Ok(billcast::export::exporter(format.into(), options).export(&result)?)
}

/// The end of a command with `--chart`: the chart when one was asked for (drawn by `draw`),
/// then the result in `--format` to `-o` (stdout by default).
pub fn finish<F>(
    chart: Option<&ChartFile>,
    draw: impl FnOnce(billcast::charts::ChartFormat) -> Result<Vec<u8>, billcast::charts::ChartError>,
    quiet: bool,
    body: billcast::results::Body<'_>,
    output: &OutputArgs<F>,
) -> anyhow::Result<std::process::ExitCode>
where
    F: clap::ValueEnum + Clone + Send + Sync + 'static + Into<billcast::export::Format>,
{
    if let Some(f) = chart {
        f.write(draw, quiet)?;
    }
    write(output.out.as_deref(), &export(body, output.format.clone())?)?;
    Ok(std::process::ExitCode::SUCCESS)
}

/// Refuse, before any work, a `--format` the result cannot be rendered in (exit 2).
pub fn check_format(
    kind: billcast::results::Kind,
    view: Option<&str>,
    format: impl Into<billcast::export::Format>,
) -> anyhow::Result<()> {
    billcast::export::check(kind, view, format.into())
        .map_err(|e| anyhow::Error::new(UsageError(anyhow::Error::new(e))))
}

/// Write `bytes` to the file `path`, creating its folder if missing. The file is written
/// whole or not at all ([`billcast::atomic`]): a failed write leaves an earlier file intact.
pub fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_file_with(path, |w| w.write_all(bytes))
}

/// [`write_file`] with the content produced by `fill`; if `fill` fails, the earlier file is
/// kept.
pub fn write_file_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create folder {}", dir.display()))?;
    }
    billcast::atomic::write_with(path, fill).with_context(|| {
        format!(
            "cannot write {}; an earlier file there is unchanged",
            path.display()
        )
    })
}

/// The `-o FILE` and `--chart FILE` of a command, for [`refuse_overwriting_inputs`].
pub fn outputs<'a>(
    out: Option<&'a Path>,
    chart: Option<&'a Path>,
) -> Vec<(&'static str, &'a Path)> {
    let mut v = Vec::new();
    if let Some(o) = out {
        v.push(("-o", o));
    }
    if let Some(c) = chart {
        v.push(("--chart", c));
    }
    v
}

/// Whether `a` and `b` name the same existing file (through links and `..`).
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Refuse to run when an output would overwrite an input: each of `outputs` is
/// `(flag, path)` (`-` = stdout is skipped), each of `inputs` is `(what, path)`. Checked
/// before any work, so nothing is lost.
///
/// # Errors
/// A usage error (exit 2) naming both.
pub fn refuse_overwriting_inputs(
    outputs: &[(&str, &Path)],
    inputs: &[(String, &Path)],
) -> anyhow::Result<()> {
    for (flag, out) in outputs {
        if *out == Path::new("-") {
            continue;
        }
        if let Some((what, input)) = inputs.iter().find(|(_, i)| same_file(out, i)) {
            return Err(anyhow::Error::new(UsageError(anyhow::anyhow!(
                "{flag} {} is the {what} {}: writing there would overwrite an input; write the output to another file",
                out.display(),
                input.display()
            ))));
        }
    }
    Ok(())
}

/// Write `text` to `out` (`-` or absent = stdout).
pub fn write(out: Option<&Path>, text: &str) -> anyhow::Result<()> {
    match out {
        None => write_stdout(text),
        Some(p) if p == Path::new("-") => write_stdout(text),
        Some(p) => write_file(p, text.as_bytes()),
    }
}

fn write_stdout(text: &str) -> anyhow::Result<()> {
    let mut lock = std::io::stdout().lock();
    lock.write_all(text.as_bytes())?;
    lock.flush()?;
    Ok(())
}

/// A progress bar on stderr that appears after a second of work, and never when stderr is not
/// a terminal or `--quiet` is given. Once shown it ticks by itself, so a long run whose first
/// unit has not finished yet (one huge trial, a fast-mode pilot) still shows it is working.
pub struct Progress {
    bar: indicatif::ProgressBar,
    /// Set by [`Progress::finish`]; the reveal timer checks it under the same lock.
    finished: std::sync::Arc<std::sync::Mutex<bool>>,
}

impl Progress {
    /// A bar for `total` units of `what`.
    pub fn new(total: u64, what: &str, quiet: bool) -> Progress {
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(total),
            indicatif::ProgressDrawTarget::hidden(),
        );
        if let Ok(style) = indicatif::ProgressStyle::with_template(&format!(
            "{{spinner}} {what} {{bar:40}} {{pos}}/{{len}} ({{elapsed}}, {{per_sec}}, {{eta}} left)"
        )) {
            bar.set_style(style);
        }
        let finished = std::sync::Arc::new(std::sync::Mutex::new(false));
        if !quiet {
            let (bar, finished) = (bar.clone(), finished.clone());
            // Detached: a run shorter than a second exits without waiting for it.
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_secs(1));
                if let Ok(done) = finished.lock()
                    && !*done
                {
                    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                    bar.enable_steady_tick(Duration::from_millis(200));
                }
            });
        }
        Progress { bar, finished }
    }

    /// Report `done` units finished.
    pub fn set(&self, done: u64) {
        self.bar.set_position(done);
    }

    /// Grow the bar when work turns out larger than first thought (e.g. a bisection).
    pub fn ensure_total(&self, total: u64) {
        if self.bar.length().is_some_and(|l| l < total) {
            self.bar.set_length(total);
        }
    }

    /// Remove the bar.
    pub fn finish(&self) {
        if let Ok(mut done) = self.finished.lock() {
            *done = true;
        }
        self.bar.finish_and_clear();
    }
}

impl Drop for Progress {
    /// A run that fails also removes its bar (and stops the reveal timer).
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cli_write_that_fails_midway_keeps_the_earlier_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("forecast.json");
        write(Some(&p), "{\"good\": 1}\n").unwrap();
        let e = write_file_with(&p, |w| {
            w.write_all(b"{\"half")?;
            Err(std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                "No space left on device",
            ))
        })
        .unwrap_err();
        assert!(
            format!("{e:#}").contains("earlier file there is unchanged"),
            "{e:#}"
        );
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "{\"good\": 1}\n");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn an_output_equal_to_an_input_is_refused_naming_both() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("s.toml");
        std::fs::write(&input, "x").unwrap();
        let same = dir.path().join("sub").join("..").join("s.toml");
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let e = refuse_overwriting_inputs(
            &[("-o", same.as_path())],
            &[("scenario".to_string(), input.as_path())],
        )
        .unwrap_err();
        assert!(e.downcast_ref::<UsageError>().is_some());
        let msg = e.to_string();
        assert!(
            msg.contains("-o") && msg.contains("is the scenario"),
            "{msg}"
        );
        let other = dir.path().join("out.json");
        assert!(
            refuse_overwriting_inputs(
                &[("-o", other.as_path()), ("-o", Path::new("-"))],
                &[("scenario".to_string(), input.as_path())]
            )
            .is_ok()
        );
    }
}
