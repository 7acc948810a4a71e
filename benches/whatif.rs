//! Every what-if command against a plain forecast of the same scenario (issue 22), side by side
//! in one criterion group so the ratios are read from one run on one machine state:
//!
//! - `forecast`: what `billcast forecast scenarios/support-bot.toml` does (load prices and the
//!   scenario, simulate, build and render the report);
//! - `solve`: `billcast solve … --param traffic.monthly_active_users --budget 20000` (README);
//! - `compare`: `billcast compare … --vary routes.0.model=` three OpenAI models that share the
//!   o200k_base tokenizer (gpt-6.1-sol, gpt-6.1-terra, gpt-6-luna);
//! - `sensitivity`: `billcast sensitivity …` with the CLI's defaults (Sobol runs of
//!   min(trials, 2,000), tornado runs of 200, 200 bootstrap resamples);
//! - `sweep`: `billcast sweep … --param traffic.monthly_active_users --range 1000:100000:9 --log`
//!   (README).
//!
//! Each calls the library functions the CLI calls, with the scenario's own trials (10,000) and
//! the whole price book, so the ratio to `forecast` is the cost a user sees.
//!
//! Run: `cargo bench --bench whatif` (10 samples each; about 8 minutes before issue 22's reuse).
//!
//! Measured 2026-12-07 on the shared 2-vCPU VM (load average 3–6 from other jobs), criterion,
//! 10 samples each, after issue 22's reuse: forecast 1.12 s [1.10, 1.14]; solve 2.42 s (2.2×);
//! compare of 3 models 1.23 s (1.1×); sensitivity 2.10 s (1.9×); sweep of 9 values 1.87 s
//! (1.7×). Before (main, every what-if re-simulating) the issue measured solve 15×, sensitivity
//! 8.9× and compare 1.9× a forecast; a before run of this bench on main was cut short by time
//! (its forecast: 3.45 s [3.20, 3.71] under heavier load). The forecast itself is also faster
//! than before: the fast pilot keeps one running sum per distinct rate vector, not per month.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use billcast::engine::{self, SimOptions, prepare::Prepared};
use billcast::pricing::PriceBook;
use billcast::report::Report;
use billcast::results::Body;
use billcast::scenario::Scenario;
use billcast::whatif::{self, RunOptions, Vary, compare::compare, sensitivity, solve, sweep};
use criterion::{Criterion, criterion_group, criterion_main};

const SCENARIO: &str = "scenarios/support-bot.toml";
const MODELS: [&str; 3] = [
    "openai/gpt-6.1-sol",
    "openai/gpt-6.1-terra",
    "openai/gpt-6-luna",
];
const VOLUME_KEY: &str = "traffic.monthly_active_users";

fn book() -> PriceBook {
    PriceBook::load(&[]).expect("bundled prices")
}

/// Length of the terminal rendering of `body` (what `--format table` prints).
fn table(body: Body<'_>) -> usize {
    billcast::export::render(body, billcast::export::Format::Table)
        .expect("table")
        .len()
}

/// `billcast forecast SCENARIO`.
fn forecast(path: &Path) -> usize {
    let book = book();
    let s = Scenario::load(path, &[]).expect("scenario");
    let p = Prepared::new(&s, &book).expect("prepared");
    let sim = engine::simulate_prepared(&s, &p, &SimOptions::default()).expect("simulation");
    let r = Report::from_simulation(&s, &book, &p, &sim);
    table(Body::Forecast(Cow::Borrowed(&r)))
}

/// `billcast solve SCENARIO --param traffic.monthly_active_users --budget 20000`.
fn solve_users(path: &Path) -> usize {
    let book = book();
    let spec = solve::SolveSpec {
        path: path.to_path_buf(),
        overrides: vec![],
        param: VOLUME_KEY.into(),
        budget: Some(20_000.0),
        quantile: 0.95,
        month: None,
        lo: None,
        hi: None,
        direction: solve::Direction::Max,
        tolerance: solve::DEFAULT_TOLERANCE,
        mode: None,
        integer: None,
        resimulate: false,
    };
    let s = solve::solve(&spec, &book, None).expect("solve");
    table(Body::Solve(Cow::Borrowed(&s)))
}

/// `billcast compare SCENARIO --vary routes.0.model=<three OpenAI models>`.
fn compare_models(path: &Path) -> usize {
    let book = book();
    let vary =
        Vary::parse("--vary", &format!("routes.0.model={}", MODELS.join(","))).expect("vary");
    let vs = whatif::load_grid(path, &[], &[vary], "--vary").expect("variants");
    let c = compare(vs, &book, None, &RunOptions::default()).expect("compare");
    table(Body::Compare(Cow::Borrowed(&c)))
}

/// `billcast sensitivity SCENARIO` with the CLI's defaults.
fn sensitivity_all(path: &Path) -> usize {
    let book = book();
    let s = Scenario::load(path, &[]).expect("scenario");
    let opts = sensitivity::SensitivityOptions {
        month: None,
        sobol_trials: s.trials.min(2000),
        tornado_trials: 200,
        bootstrap: 200,
        mode: None,
        progress: None,
        resimulate: false,
    };
    let r = sensitivity::sensitivity(&s, &book, &opts).expect("sensitivity");
    table(Body::Sensitivity(Cow::Borrowed(&r)))
}

/// `billcast sweep SCENARIO --param traffic.monthly_active_users --range 1000:100000:9 --log`.
fn sweep_users(path: &Path) -> usize {
    let book = book();
    let text = std::fs::read_to_string(path).expect("scenario text");
    let nums = whatif::range_values("--range", "1000:100000:9", true).expect("range");
    let values = sweep::number_values(&text, &[], VOLUME_KEY, &nums);
    let s = sweep::sweep(
        path,
        &[],
        VOLUME_KEY,
        values,
        &book,
        None,
        &RunOptions::default(),
    )
    .expect("sweep");
    table(Body::Sweep(Cow::Borrowed(&s)))
}

fn bench(c: &mut Criterion) {
    let path = PathBuf::from(SCENARIO);
    let mut g = c.benchmark_group("support-bot, what-ifs against one forecast");
    g.sample_size(10);
    g.warm_up_time(std::time::Duration::from_millis(500));
    g.measurement_time(std::time::Duration::from_secs(2));
    g.bench_function("forecast", |b| b.iter(|| forecast(&path)));
    g.bench_function("solve traffic.monthly_active_users", |b| {
        b.iter(|| solve_users(&path))
    });
    g.bench_function("compare of 3 OpenAI models", |b| {
        b.iter(|| compare_models(&path))
    });
    g.bench_function("sensitivity", |b| b.iter(|| sensitivity_all(&path)));
    g.bench_function("sweep traffic.monthly_active_users, 9 values", |b| {
        b.iter(|| sweep_users(&path))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
