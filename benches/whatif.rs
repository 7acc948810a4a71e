//! A 5-variant `compare` against 5 separate forecasts of the same variants (issue 6: compare
//! must cost no more than 5 forecasts). Both sides do the same engine work — the bundled
//! support-bot scenario on five models, 1,000 trials each — so the difference is what compare
//! shares (one price book) minus what it adds (aligning seeds, deltas, rendering).
//!
//! Run: `cargo bench --bench whatif`.
//!
//! Measured 2026-11-26 on a shared 2-core AMD EPYC VM (load average about 3 from other jobs),
//! criterion, 20 samples, after merging main (pilot sized by trials):
//! 5 forecasts 1.26 s [1.19, 1.33], compare of 5 variants 0.99 s [0.88, 1.10]; an earlier
//! 10-sample run gave 1.41 s [1.35, 1.46] against 1.42 s [1.27, 1.59]. Compare runs its
//! variants concurrently (`whatif::run_jobs`) and loads the price book once; the engine work is
//! the same, so the two are equal within this machine's noise or compare is cheaper.

use std::path::{Path, PathBuf};

use billcast::engine::{self, SimOptions, prepare::Prepared};
use billcast::pricing::PriceBook;
use billcast::report::Report;
use billcast::scenario::Scenario;
use billcast::whatif::{self, RunOptions, Vary, compare::compare, render};
use criterion::{Criterion, criterion_group, criterion_main};

const SCENARIO: &str = "scenarios/support-bot.toml";
const MODELS: [&str; 5] = [
    "openai/gpt-6.1-sol",
    "openai/gpt-6.1-terra",
    "anthropic/claude-sonnet-5-5",
    "google/gemini-4-argon",
    "deepseek/deepseek-v4-pro",
];
const TRIALS: &str = "simulation.trials=1000";

/// What `billcast forecast` does once: load prices and the scenario, simulate, build and
/// render the report.
fn one_forecast(path: &Path, model: &str) -> String {
    let book = PriceBook::load(&[]).expect("bundled prices");
    let s = Scenario::load(
        path,
        &[TRIALS.to_string(), format!("routes.0.model={model}")],
    )
    .expect("scenario");
    let p = Prepared::new(&s, &book).expect("prepared");
    let sim = engine::simulate_prepared(&s, &p, &SimOptions::default()).expect("simulation");
    let r = Report::from_simulation(&s, &book, &p, &sim);
    billcast::report::table::render(&r)
}

/// What `billcast compare SCENARIO --vary routes.0.model=…` does.
fn five_variant_compare(path: &Path) -> String {
    let book = PriceBook::load(&[]).expect("bundled prices");
    let vary =
        Vary::parse("--vary", &format!("routes.0.model={}", MODELS.join(","))).expect("vary");
    let vs = whatif::load_grid(path, &[TRIALS.to_string()], &[vary], "--vary").expect("variants");
    let c = compare(vs, &book, None, &RunOptions::default()).expect("compare");
    render::compare_table(&c)
}

fn bench(c: &mut Criterion) {
    let path = PathBuf::from(SCENARIO);
    let mut g = c.benchmark_group("support-bot, 5 models, 1,000 trials each");
    g.sample_size(20);
    g.bench_function("5 forecasts", |b| {
        b.iter(|| {
            MODELS
                .iter()
                .map(|m| one_forecast(&path, m).len())
                .sum::<usize>()
        })
    });
    g.bench_function("compare of 5 variants", |b| {
        b.iter(|| five_variant_compare(&path).len())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
