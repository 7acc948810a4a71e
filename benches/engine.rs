//! Engine benchmarks (issue 9). Throughput is reported in simulated calls (attempts) per
//! second, so `time / call` is the figure the README quotes.
//!
//! - `agent-bench/exact/{1,2}-threads`: the reference workload, exact mode;
//! - `agent-bench/fast`: the same in fast mode (pilot + analytic months);
//! - `scenarios/<name>/{exact,fast}`: every bundled scenario with few trials;
//! - `fast/12-months-1e8-sessions`: the interactive target, 10,000 trials × 12 months at
//!   10⁸ sessions a month.
//!
//! Run: `cargo bench --bench engine` (add `-- agent-bench` to filter).

use std::path::{Path, PathBuf};
use std::time::Duration;

use billcast::engine::{self, SimOptions, prepare::Prepared};
use billcast::pricing::PriceBook;
use billcast::scenario::{Mode, Scenario};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn book() -> PriceBook {
    PriceBook::load(&[PathBuf::from("benches/pricing")]).expect("bench prices")
}

fn load(path: &str, overrides: &[&str]) -> Scenario {
    let o: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    Scenario::load(Path::new(path), &o).expect("scenario loads")
}

/// Attempts simulated by one run (for throughput).
fn attempts(s: &Scenario, p: &Prepared) -> u64 {
    let sim = engine::simulate_prepared(
        s,
        p,
        &SimOptions {
            mode: Some(Mode::Exact),
            ..Default::default()
        },
    )
    .expect("runs");
    sim.volumes.iter().map(|v| v.attempts).sum::<f64>() as u64 * s.trials
}

fn agent_bench(c: &mut Criterion) {
    let b = book();
    let s = load(
        "benches/scenarios/agent-bench.toml",
        &["simulation.trials=10"],
    );
    let p = Prepared::new(&s, &b).expect("prepare");
    let calls = attempts(&s, &p);
    let mut g = c.benchmark_group("agent-bench");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(10))
        .throughput(Throughput::Elements(calls));
    for threads in [1usize, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        g.bench_function(format!("exact/{threads}-threads"), |bench| {
            bench.iter(|| {
                pool.install(|| {
                    engine::simulate_prepared(
                        &s,
                        &p,
                        &SimOptions {
                            mode: Some(Mode::Exact),
                            ..Default::default()
                        },
                    )
                })
            })
        });
    }
    let fast = load(
        "benches/scenarios/agent-bench.toml",
        &["simulation.trials=10000"],
    );
    let pf = Prepared::new(&fast, &b).expect("prepare");
    g.throughput(Throughput::Elements(calls / 10 * 10_000));
    g.bench_function("fast/10000-trials", |bench| {
        bench.iter(|| {
            engine::simulate_prepared(
                &fast,
                &pf,
                &SimOptions {
                    mode: Some(Mode::Fast),
                    ..Default::default()
                },
            )
        })
    });
    g.finish();
}

fn bundled(c: &mut Criterion) {
    let b = PriceBook::bundled().expect("bundled prices");
    let mut g = c.benchmark_group("scenarios");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    for name in [
        "support-bot",
        "rag-assistant",
        "coding-agent",
        "batch-summarization",
        "multi-provider",
        "support-agent-pilot",
    ] {
        let path = format!("scenarios/{name}.toml");
        let exact = load(&path, &["simulation.trials=10", "horizon_months=1"]);
        let pe = Prepared::new(&exact, &b).expect("prepare");
        g.throughput(Throughput::Elements(attempts(&exact, &pe)));
        g.bench_function(format!("{name}/exact-10-trials-1-month"), |bench| {
            bench.iter(|| {
                engine::simulate_prepared(
                    &exact,
                    &pe,
                    &SimOptions {
                        mode: Some(Mode::Exact),
                        ..Default::default()
                    },
                )
            })
        });
        let fast = load(&path, &[]);
        let pf = Prepared::new(&fast, &b).expect("prepare");
        g.throughput(Throughput::Elements(fast.trials));
        g.bench_function(format!("{name}/fast-10000-trials"), |bench| {
            bench.iter(|| {
                engine::simulate_prepared(
                    &fast,
                    &pf,
                    &SimOptions {
                        mode: Some(Mode::Fast),
                        ..Default::default()
                    },
                )
            })
        });
    }
    g.finish();
}

fn interactive_target(c: &mut Criterion) {
    let b = book();
    let s = load(
        "benches/scenarios/agent-bench.toml",
        &[
            "simulation.trials=10000",
            "horizon_months=12",
            "traffic.sessions_per_month=100000000",
            "simulation.mode=\"fast\"",
        ],
    );
    let p = Prepared::new(&s, &b).expect("prepare");
    let mut g = c.benchmark_group("fast");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("12-months-1e8-sessions-10000-trials", |bench| {
        bench.iter(|| engine::simulate_prepared(&s, &p, &SimOptions::default()))
    });
    g.finish();
}

criterion_group!(benches, agent_bench, bundled, interactive_target);
criterion_main!(benches);
