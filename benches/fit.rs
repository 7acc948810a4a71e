//! Fitting cost: every continuous candidate (lognormal, gamma, Weibull, lognormal + GPD
//! splice, each with KS) on 10,000 and 100,000 observations, the same with 5% censoring, and
//! every count candidate on 10,000 observations.
//!
//! Run: `cargo bench --bench fit`.

use std::hint::black_box;

use billcast::dist::{Family, FastRng};
use billcast::fit::{FitOptions, Observations, fit_continuous, fit_count};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

fn draw(f: &Family, n: usize, seed: u64) -> Vec<f64> {
    let mut rng = FastRng::from_seed(seed);
    (0..n).map(|_| f.sample(&mut rng)).collect()
}

/// Output-length-like data: lognormal body with a heavy GPD tail above its P90.
fn outputs(n: usize) -> Vec<f64> {
    let threshold = (5.0f64 + 0.6 * 1.281_551_565_544_600_5).exp();
    draw(
        &Family::LogNormalGpd {
            mu: 5.0,
            sigma: 0.6,
            threshold,
            tail: 0.1,
            xi: 0.3,
            beta: 120.0,
        },
        n,
        7,
    )
}

fn bench_fit(c: &mut Criterion) {
    let opts = FitOptions::default();
    let mut g = c.benchmark_group("fit_continuous");
    g.sample_size(10);
    for n in [10_000usize, 100_000] {
        let obs = Observations::exact(outputs(n));
        g.bench_with_input(BenchmarkId::new("all_candidates", n), &obs, |b, obs| {
            b.iter(|| fit_continuous("output_tokens", black_box(obs), &opts))
        });
        // Cap at the sample P95: 5% right-censored (outputs that hit max_tokens).
        let mut s = obs.values.clone();
        s.sort_by(|a, b| a.total_cmp(b));
        let cap = s[(0.95 * n as f64) as usize];
        let cens = Observations::with_censoring(
            obs.values.iter().map(|x| x.min(cap)).collect(),
            obs.values.iter().map(|x| *x >= cap).collect(),
        );
        g.bench_with_input(
            BenchmarkId::new("all_candidates_censored_5pct", n),
            &cens,
            |b, obs| b.iter(|| fit_continuous("output_tokens", black_box(obs), &opts)),
        );
    }
    g.finish();

    let mut g = c.benchmark_group("fit_count");
    g.sample_size(20);
    let counts = draw(
        &Family::Zinb {
            zero: 0.3,
            mean: 5.0,
            r: 2.0,
        },
        10_000,
        8,
    );
    g.bench_with_input(
        BenchmarkId::new("all_candidates", 10_000),
        &counts,
        |b, d| b.iter(|| fit_count("tool_calls", black_box(d), &opts)),
    );
    g.finish();
}

criterion_group!(benches, bench_fit);
criterion_main!(benches);
