//! `billcast forecast SCENARIO`: run the engine and print or save the report.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use billcast::engine::{self, SimOptions, prepare::Prepared};
use billcast::pricing::PriceBook;
use billcast::report::Report;
use billcast::results::Body;
use billcast::scenario::{Mode, Scenario};
use std::borrow::Cow;

use crate::cli::output::{self, ChartsDirArgs, OutputArgs, Progress, Quiet, ReportFormat};

/// Shared flags of every command that runs the engine.
#[derive(clap::Args, Debug, Clone)]
pub struct EngineArgs {
    /// Outer-loop trials (possible worlds); overrides [simulation] trials (default 10000).
    /// 10 to 1,000,000, and trials × months forecast at most 12,000,000 (each trial-month
    /// holds about 300 bytes of memory).
    #[arg(short = 'n', long, value_name = "N", value_parser = parse_trials)]
    pub trials: Option<u64>,
    /// Random seed, 0 to 18446744073709551615; the same seed and inputs give byte-identical
    /// output.
    #[arg(short = 's', long)]
    pub seed: Option<u64>,
    /// Override any scenario key, e.g. --set traffic.monthly_active_users=20000 or
    /// --set 'workload.output_tokens={ dist = "lognormal", median = 200, sigma = 0.8 }'.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Extra price table (file or folder); repeatable; later files override earlier ones.
    #[arg(long, value_name = "PATH")]
    pub pricing: Vec<PathBuf>,
    /// Engine mode: exact simulates every session, fast aggregates analytically.
    #[arg(long, value_enum)]
    pub mode: Option<ModeArg>,
    /// Worker threads, 1 to 256 (default: all cores). Results do not depend on it.
    #[arg(long, value_name = "N", value_parser = parse_threads)]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub quiet: Quiet,
}

/// `--mode`.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum ModeArg {
    /// Simulate every session.
    Exact,
    /// Pilot per replicate, analytic aggregation.
    Fast,
    /// Fast when accurate and much cheaper.
    Auto,
}

/// Most worker threads `--threads` accepts: more than any machine billcast runs on has cores;
/// beyond it starting the pool alone takes longer than the run.
pub const MAX_THREADS: usize = 256;

/// `--trials N`: checked before anything is read or allocated
/// ([`billcast::scenario::limits::check_trials`]; the horizon is checked with the scenario).
pub fn parse_trials(s: &str) -> Result<u64, String> {
    let n: u64 = s
        .trim()
        .replace('_', "")
        .parse()
        .map_err(|_| format!("'{s}' is not a whole number of trials"))?;
    billcast::scenario::limits::check_trials(n, None)?;
    Ok(n)
}

/// `--threads N`: 1 to [`MAX_THREADS`].
pub fn parse_threads(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_THREADS).contains(&n) => Ok(n),
        _ => Err(format!(
            "'{s}': give 1 to {MAX_THREADS} worker threads (leave --threads out to use every core)"
        )),
    }
}

impl EngineArgs {
    /// All overrides, with -n and -s folded in.
    pub fn overrides(&self) -> Vec<String> {
        let mut v = self.set.clone();
        if let Some(n) = self.trials {
            v.push(format!("simulation.trials={n}"));
        }
        if let Some(s) = self.seed {
            v.push(billcast::scenario::limits::seed_override(s));
        }
        v
    }

    /// The files a run reads, named for [`output::refuse_overwriting_inputs`]: the scenario
    /// files, the fitted workloads and artifacts of the loaded scenarios and the `--pricing`
    /// tables.
    pub fn inputs<'a>(
        &self,
        paths: &[&'a std::path::Path],
        scenarios: &[&'a Scenario],
        book: &'a PriceBook,
    ) -> Vec<(String, &'a std::path::Path)> {
        let mut v: Vec<(String, &std::path::Path)> =
            paths.iter().map(|p| ("scenario".to_string(), *p)).collect();
        for s in scenarios {
            if let Some((p, _)) = &s.fitted_from {
                v.push(("fitted workload ([workload] from)".to_string(), p.as_path()));
            }
            for a in &s.artifacts {
                v.push((format!("file of {}", a.key), a.artifact.path.as_path()));
            }
        }
        for f in book.files().iter().filter(|f| !f.bundled) {
            v.push((
                "price table (--pricing)".to_string(),
                std::path::Path::new(&f.path),
            ));
        }
        v
    }

    /// Load the price book.
    pub fn book(&self) -> anyhow::Result<PriceBook> {
        Ok(PriceBook::load(&self.pricing)?)
    }

    /// Load a scenario with the overrides.
    pub fn scenario(&self, path: &std::path::Path) -> anyhow::Result<Scenario> {
        Ok(Scenario::load(path, &self.overrides())?)
    }

    /// The mode override.
    pub fn mode(&self) -> Option<Mode> {
        self.mode.map(|m| match m {
            ModeArg::Exact => Mode::Exact,
            ModeArg::Fast => Mode::Fast,
            ModeArg::Auto => Mode::Auto,
        })
    }

    /// Run `f` on a pool with `--threads` workers (or the global pool).
    pub fn in_pool<T: Send>(&self, f: impl FnOnce() -> T + Send) -> anyhow::Result<T> {
        match self.threads {
            Some(n) => {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(n.clamp(1, MAX_THREADS))
                    .build()
                    .context("cannot start worker threads")?;
                Ok(pool.install(f))
            }
            None => Ok(f()),
        }
    }
}

/// Run a forecast and build its report, after checking that none of `outputs` (flag, path)
/// is one of the run's inputs.
pub fn forecast(
    e: &EngineArgs,
    scenario_path: &std::path::Path,
    outputs: &[(&str, &std::path::Path)],
) -> anyhow::Result<Report> {
    let book = e.book()?;
    let s = e.scenario(scenario_path)?;
    output::refuse_overwriting_inputs(outputs, &e.inputs(&[scenario_path], &[&s], &book))?;
    forecast_of(e, &s, &book)
}

/// Run a forecast of a loaded scenario with the engine flags' mode, threads and progress bar
/// (seed, trials and overrides are already in `s`), and build its report.
pub fn forecast_of(e: &EngineArgs, s: &Scenario, book: &PriceBook) -> anyhow::Result<Report> {
    let prepared = Prepared::new(s, book)?;
    let progress = Progress::new(s.trials, "simulating", e.quiet.set);
    let cb = |n: u64| progress.set(n);
    let opts = SimOptions {
        progress: Some(&cb),
        mode: e.mode(),
        ..SimOptions::default()
    };
    let sim = e.in_pool(|| engine::simulate_prepared(s, &prepared, &opts))??;
    progress.finish();
    Ok(Report::from_simulation(s, book, &prepared, &sim))
}

/// Arguments of `billcast forecast`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  billcast forecast scenarios/support-bot.toml\n  billcast forecast scenarios/support-bot.toml -n 2000 --set budget.monthly_usd=5000\n  billcast forecast scenarios/coding-agent.toml --format json -o forecast.json\n  billcast forecast scenarios/rag-assistant.toml --format markdown -o - | gh pr comment -F -"
)]
pub struct Args {
    /// Scenario file (TOML). See scenarios/README.md for every key.
    pub scenario: PathBuf,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub output: OutputArgs<ReportFormat>,
    #[command(flatten)]
    pub charts: ChartsDirArgs,
}

/// `billcast forecast`.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let outputs = output::outputs(a.output.out.as_deref(), None);
    let r = forecast(&a.engine, &a.scenario, &outputs)?;
    let links = match &a.charts.charts {
        Some(dir) => {
            let (paths, links) =
                output::write_charts(&r, dir, a.charts.chart_format, a.output.out.as_deref())?;
            if !a.engine.quiet.set {
                eprintln!("wrote {} charts to {}", paths.len(), dir.display());
            }
            links
        }
        None => Vec::new(),
    };
    output::write(
        a.output.out.as_deref(),
        &output::export_with(
            Body::Forecast(Cow::Borrowed(&r)),
            a.output.format,
            billcast::export::Options { charts: links },
        )?,
    )?;
    Ok(ExitCode::SUCCESS)
}
