//! Output plumbing shared by commands: formats, `-o FILE|-`, and the progress bar.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;

/// Output formats.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Tables for people (default).
    Table,
    /// Machine-readable JSON (the saved report).
    Json,
    /// One row per month.
    Csv,
    /// Markdown for PR comments and wikis.
    Markdown,
}

/// Write `text` to `out` (`-` or absent = stdout).
pub fn write(out: Option<&Path>, text: &str) -> anyhow::Result<()> {
    match out {
        None => write_stdout(text),
        Some(p) if p == Path::new("-") => write_stdout(text),
        Some(p) => {
            if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create folder {}", dir.display()))?;
            }
            std::fs::write(p, text).with_context(|| format!("cannot write {}", p.display()))
        }
    }
}

fn write_stdout(text: &str) -> anyhow::Result<()> {
    let mut lock = std::io::stdout().lock();
    lock.write_all(text.as_bytes())?;
    lock.flush()?;
    Ok(())
}

/// A progress bar on stderr that appears only for work longer than a second, and never when
/// stderr is not a terminal or `--quiet` is given.
pub struct Progress {
    bar: indicatif::ProgressBar,
    start: Instant,
    shown: std::sync::atomic::AtomicBool,
    quiet: bool,
}

impl Progress {
    /// A bar for `total` units of `what`.
    pub fn new(total: u64, what: &str, quiet: bool) -> Progress {
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(total),
            indicatif::ProgressDrawTarget::hidden(),
        );
        if let Ok(style) = indicatif::ProgressStyle::with_template(&format!(
            "{{spinner}} {what} {{bar:40}} {{pos}}/{{len}} ({{per_sec}}, {{eta}} left)"
        )) {
            bar.set_style(style);
        }
        Progress {
            bar,
            start: Instant::now(),
            shown: false.into(),
            quiet,
        }
    }

    /// Report `done` units finished.
    pub fn set(&self, done: u64) {
        use std::sync::atomic::Ordering;
        if !self.quiet
            && !self.shown.load(Ordering::Relaxed)
            && self.start.elapsed() > Duration::from_secs(1)
        {
            self.shown.store(true, Ordering::Relaxed);
            self.bar
                .set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
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
        self.bar.finish_and_clear();
    }
}
