//! How much a per-session quantity drifts between windows of the fit data itself (issue 18
//! item 2): the data's own share of the pilot-to-production shift.
//!
//! Sessions, in log order, are cut into `K` consecutive windows. With window means `m_j`, window
//! sample variances `s_j²` and sizes `n_j`, the method-of-moments (one-way random effects)
//! estimate of the between-window variance of the per-session mean is
//!
//! `τ² = max(0, Var_j(m_j) − mean_j(s_j² / n_j))`,
//!
//! the spread of the window means beyond what sampling noise alone gives. A stationary log has
//! `τ² ≈ 0`; a drifting one a positive `τ²`. On small or heavy-tailed samples the positive part
//! is biased upward (a stationary log of lognormal(σ 1.2) sizes in 10 windows of 50 sessions
//! gets `σ > 0` about half the time); the prior was calibrated with this estimator as it is,
//! and gating it with a stationarity test measurably narrowed the bands of short agent fits
//! below nominal (tau-bench airline: 87.5% → 77.5% coverage), so sizes and counts keep it.
//!
//! Rates (cache hits per call, failures per attempt) get the same estimate over pooled window
//! rates ([`rate_between_windows`]) and widen their Beta law by `τ²` ([`widened_beta`]): a log
//! that mixes runs with a warm cache and runs without one (the tau2 trace: ~90% of calls cached
//! in some runs, none in others) carries that mix as an uncertain hit rate instead of a
//! confident average that fits neither. There no prior absorbs the estimator's upward bias, so
//! `τ²` is kept only when the window rates spread more than in [`PERMUTATIONS`] random
//! reorderings of the same sessions at level [`STATIONARITY_LEVEL`] (a permutation test of
//! "the log's order carries no information", exact whatever the sessions' sizes): a log whose
//! rate does not move keeps Jeffreys' posterior.

use super::observe::SessionRates;
use crate::stats::mean_sd;

/// σ of ln(multiplier) of the prior pilot-to-production shift on the sizes and counts of a
/// fitted workload (`[workload] from`), combined by `fit` with the data's own between-window
/// drift (this module): the smallest prior whose nominal 90% bands cover 90% of the real token
/// and count outcomes over rolling splits of the shared Azure and tau2 traces, each fit's drift
/// added (`billcast backtest --calibrate-shift`, README "Calibration"; 0.2 before the drift was
/// estimated from the data).
pub const FITTED_SHIFT_SIGMA: f64 = 0.1;

/// Fewest sessions per window: below this the within-window variance is too noisy to subtract.
pub const MIN_PER_WINDOW: usize = 5;
/// Most windows.
pub const MAX_WINDOWS: usize = 10;
/// Fewest windows: with fewer, `Var_j(m_j)` has under 2 degrees of freedom.
pub const MIN_WINDOWS: usize = 3;
/// Random reorderings of the sessions in the stationarity test of a rate.
pub const PERMUTATIONS: usize = 199;
/// Level of the stationarity test: a rate's drift is kept only when the windows' spread is
/// this unlikely under reordering.
pub const STATIONARITY_LEVEL: f64 = 0.05;
/// Seed of the reorderings: the test is part of the fit, so it is the same on every run.
const PERMUTATION_SEED: u64 = 0x5EED_D81F;

/// `(1 + #{b : stat(π_b(items)) ≥ stat(items)}) / (B + 1)` over [`PERMUTATIONS`] seeded random
/// permutations `π_b`: the p-value of the observed spread `stat` of window estimates when the
/// order of the sessions carries no information.
fn permutation_p<T: Clone>(items: &[T], stat: impl Fn(&[T]) -> f64) -> f64 {
    use rand::seq::SliceRandom;
    let observed = stat(items);
    let mut rng = crate::dist::rng::FastRng::from_seed(PERMUTATION_SEED);
    let mut v = items.to_vec();
    let mut above = 0usize;
    for _ in 0..PERMUTATIONS {
        v.shuffle(rng.inner());
        if stat(&v) >= observed {
            above += 1;
        }
    }
    (1 + above) as f64 / (PERMUTATIONS + 1) as f64
}

/// The between-window spread of one per-session quantity.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WindowSpread {
    /// Windows used.
    pub windows: usize,
    /// Overall mean `μ` of the per-session values.
    pub mean: f64,
    /// Between-window variance `τ²` of the per-session mean (units of the value, squared).
    pub tau2: f64,
    /// `√ln(1 + τ²/μ²)`: σ of the lognormal multiplier with that spread.
    pub sigma: f64,
}

/// Windows for `n` sessions: as many as fit [`MIN_PER_WINDOW`] sessions each, at most
/// [`MAX_WINDOWS`]; `None` below [`MIN_WINDOWS`].
pub fn window_count(n: usize) -> Option<usize> {
    let k = (n / MIN_PER_WINDOW).min(MAX_WINDOWS);
    (k >= MIN_WINDOWS).then_some(k)
}

/// Method-of-moments estimate of the between-window spread of `values` (one per session, in
/// log order) over `k` consecutive windows of near-equal size (`[j·n/k, (j+1)·n/k)`).
/// `None` when `k < 2`, a window would hold fewer than 2 values, a value is not finite or the
/// mean is not positive.
pub fn between_windows(values: &[f64], k: usize) -> Option<WindowSpread> {
    let n = values.len();
    if k < 2 || n < 2 * k || values.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let (mu, _) = mean_sd(values);
    if mu <= 0.0 {
        return None;
    }
    let mut means = Vec::with_capacity(k);
    let mut noise = 0.0;
    for j in 0..k {
        let w = &values[j * n / k..(j + 1) * n / k];
        let (m, sd) = mean_sd(w);
        means.push(m);
        noise += sd * sd / w.len() as f64;
    }
    let (_, sd_means) = mean_sd(&means);
    let tau2 = (sd_means * sd_means - noise / k as f64).max(0.0);
    Some(WindowSpread {
        windows: k,
        mean: mu,
        tau2,
        sigma: (1.0 + tau2 / (mu * mu)).ln().sqrt(),
    })
}

/// The between-window spread of a rate (events per trial, e.g. cache hits per call).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateSpread {
    /// Windows used.
    pub windows: usize,
    /// Pooled rate `p = Σk / Σn` over all sessions.
    pub rate: f64,
    /// Lowest and highest window rate.
    pub range: (f64, f64),
    /// Between-window variance `τ²` of the rate (probability², 0 when sampling noise explains
    /// the windows' spread).
    pub tau2: f64,
    /// p-value of the stationarity test; `τ²` is 0 when it is above [`STATIONARITY_LEVEL`].
    pub p_value: f64,
}

/// Per window of `k` consecutive near-equal windows of `units` (`(events, trials)` per
/// session): the pooled rate `p_j = K_j / N_j` and its sampling variance with sessions as
/// clusters, `m/(m−1) · Σ_i (k_i − p_j n_i)² / N_j²`.
fn window_rates(units: &[(f64, f64)], k: usize) -> Vec<(f64, f64)> {
    let n = units.len();
    (0..k)
        .map(|j| {
            let w = &units[j * n / k..(j + 1) * n / k];
            let nj: f64 = w.iter().map(|u| u.1).sum();
            let pj = w.iter().map(|u| u.0).sum::<f64>() / nj;
            let m = w.len() as f64;
            let ss: f64 = w.iter().map(|u| (u.0 - pj * u.1).powi(2)).sum();
            (pj, m / (m - 1.0) * ss / (nj * nj))
        })
        .collect()
}

/// Sample variance of the window rates: the statistic of the stationarity test.
fn rate_spread(units: &[(f64, f64)], k: usize) -> f64 {
    let rates: Vec<f64> = window_rates(units, k).iter().map(|w| w.0).collect();
    mean_sd(&rates).1.powi(2)
}

/// Method-of-moments estimate of the between-window variance of a rate. `units` holds one
/// `(events, trials)` pair per session in log order; sessions without trials are left out. Each
/// of `k` consecutive windows has the pooled rate `p_j = K_j / N_j`, whose sampling variance,
/// with sessions as clusters (a session's calls share its cache and model, so they are not
/// independent), is `v_j = m/(m−1) · Σ_i (k_i − p_j n_i)² / N_j²` over its `m` sessions; then
/// `τ² = max(0, Var_j(p_j) − mean_j(v_j))`, kept only when the same permutation test as
/// [`between_windows`] rejects stationarity. `None` when fewer than [`MIN_WINDOWS`] windows of
/// [`MIN_PER_WINDOW`] sessions fit or there are no trials.
pub fn rate_between_windows(units: &[(usize, usize)]) -> Option<RateSpread> {
    let kept: Vec<(f64, f64)> = units
        .iter()
        .filter(|u| u.1 > 0)
        .map(|&(k, n)| (k as f64, n as f64))
        .collect();
    let k = window_count(kept.len())?;
    let total: f64 = kept.iter().map(|u| u.1).sum();
    let rate = kept.iter().map(|u| u.0).sum::<f64>() / total;
    let windows = window_rates(&kept, k);
    let noise = windows.iter().map(|w| w.1).sum::<f64>() / k as f64;
    let lo = windows.iter().map(|w| w.0).fold(f64::INFINITY, f64::min);
    let hi = windows
        .iter()
        .map(|w| w.0)
        .fold(f64::NEG_INFINITY, f64::max);
    let mut tau2 = (rate_spread(&kept, k) - noise).max(0.0);
    let p_value = if tau2 > 0.0 {
        permutation_p(&kept, |u| rate_spread(u, k))
    } else {
        1.0
    };
    if p_value > STATIONARITY_LEVEL {
        tau2 = 0.0;
    }
    Some(RateSpread {
        windows: k,
        rate,
        range: (lo, hi),
        tau2,
        p_value,
    })
}

/// Smallest `α + β` of a widened Beta: below 1 the law piles its mass onto exactly 0 and 1
/// (an all-or-nothing mix, variance `p(1 − p)`); at 1 it keeps half that variance.
pub const MIN_BETA_CONCENTRATION: f64 = 1.0;

/// The Beta law of a rate seen as `k` events in `n` trials: Jeffreys' posterior
/// `Beta(k + ½, n − k + ½)` when the windows agree (`τ² = 0`), else the Beta with the same mean
/// `m = (k + ½)/(n + 1)` and variance `m(1 − m)/(n + 2) + τ²` — the posterior's own variance
/// plus the between-window drift — by moments: `α + β = m(1 − m)/V − 1`, floored at
/// [`MIN_BETA_CONCENTRATION`]. Returns `(α, β)`.
pub fn widened_beta(k: usize, n: usize, tau2: f64) -> (f64, f64) {
    let (a0, b0) = (k as f64 + 0.5, (n - k.min(n)) as f64 + 0.5);
    if tau2 <= 0.0 {
        return (a0, b0);
    }
    let m = a0 / (a0 + b0);
    let v = m * (1.0 - m) / (a0 + b0 + 1.0) + tau2;
    let s = (m * (1.0 - m) / v - 1.0).max(MIN_BETA_CONCENTRATION);
    (m * s, (1.0 - m) * s)
}

/// The drift of a fitted log's sizes and counts, and of its rates.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Drift {
    /// Of tokens per call (input + output), per session.
    pub size: Option<WindowSpread>,
    /// Of calls per session.
    pub count: Option<WindowSpread>,
    /// Of the share of calls that read from the cache.
    pub cache_hit: Option<RateSpread>,
    /// Of each retry class's failures per attempt (rate_limit, overload, timeout,
    /// invalid_output).
    pub failures: [Option<RateSpread>; 4],
}

impl Drift {
    /// From recorded sessions (`[input, output, tool calls]` per call, in log order); sessions
    /// without calls are left out. Both `None` with fewer than `MIN_WINDOWS × MIN_PER_WINDOW`
    /// sessions.
    pub fn of_sessions(recorded: &[Vec<[f64; 3]>]) -> Drift {
        let kept: Vec<&Vec<[f64; 3]>> = recorded.iter().filter(|s| !s.is_empty()).collect();
        let Some(k) = window_count(kept.len()) else {
            return Drift::default();
        };
        let size: Vec<f64> = kept
            .iter()
            .map(|s| s.iter().map(|c| c[0] + c[1]).sum::<f64>() / s.len() as f64)
            .collect();
        let count: Vec<f64> = kept.iter().map(|s| s.len() as f64).collect();
        Drift {
            size: between_windows(&size, k),
            count: between_windows(&count, k),
            ..Drift::default()
        }
    }

    /// Adds the between-window spread of the cache-hit and failure rates of `sessions` (one
    /// per session, in log order).
    pub fn of_rates(mut self, sessions: &[SessionRates]) -> Drift {
        let hits: Vec<(usize, usize)> = sessions.iter().map(|s| (s.cache_hits, s.calls)).collect();
        self.cache_hit = rate_between_windows(&hits);
        for (c, slot) in self.failures.iter_mut().enumerate() {
            let f: Vec<(usize, usize)> = sessions
                .iter()
                .map(|s| (s.failures[c], s.attempts))
                .collect();
            *slot = rate_between_windows(&f);
        }
        self
    }

    /// σ of the size and count shifts: the data's and the prior's, [`combine`]d; the prior
    /// alone where the data cannot tell.
    pub fn shift_sigma(&self, prior_size: f64, prior_count: f64) -> (f64, f64) {
        let c = |w: Option<WindowSpread>, p: f64| w.map_or(p, |w| combine(w.sigma, p));
        (c(self.size, prior_size), c(self.count, prior_count))
    }
}

/// `√(σ_data² + σ_prior²)`: the data's drift and the calibrated prior, as independent
/// log-normal factors (their log-multipliers add, so their variances do).
pub fn combine(data: f64, prior: f64) -> f64 {
    (data * data + prior * prior).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::rng::FastRng;

    fn normal(rng: &mut FastRng) -> f64 {
        crate::dist::family::norm_quantile(crate::dist::rng::open_unit(rng.next_u64()))
    }

    /// Windows of `m` sessions whose means are `μ + τ·z_j` and values `mean_j + s·z`:
    /// the estimate of τ², averaged over replicates, recovers τ² within its MC error.
    #[test]
    fn recovers_a_known_between_window_variance() {
        let (k, m, mu, tau, s) = (8usize, 40usize, 100.0, 10.0, 30.0);
        let reps = 400;
        let mut rng = FastRng::from_seed(7);
        let mut est = Vec::with_capacity(reps);
        for _ in 0..reps {
            let mut v = Vec::with_capacity(k * m);
            for _ in 0..k {
                let wm = mu + tau * normal(&mut rng);
                for _ in 0..m {
                    v.push(wm + s * normal(&mut rng));
                }
            }
            est.push(between_windows(&v, k).expect("valid windows").tau2);
        }
        let (mean, sd) = mean_sd(&est);
        let se = sd / (reps as f64).sqrt();
        // Truncation at 0 biases upward only when the estimate often falls below 0; here
        // τ² = 100 against a noise term s²/m = 22.5, so it is rare: 4 SE covers the rest.
        assert!(
            (mean - tau * tau).abs() < 4.0 * se + 2.0,
            "mean τ² {mean} vs {} (SE {se})",
            tau * tau
        );
        // σ of the multiplier: √ln(1 + 0.01) ≈ 0.0998 for the exact τ².
        let sigma = (1.0f64 + tau * tau / (mu * mu)).ln().sqrt();
        assert!((sigma - 0.0998).abs() < 1e-3);
    }

    /// A stationary log (every value from the same law, in any order) gets σ ≈ 0: E[τ̂²] is only
    /// the positive part of a zero-mean estimate, whose size is set by the noise term.
    #[test]
    fn stationary_log_gets_about_zero() {
        let (n, mu, s) = (500usize, 1000.0, 400.0);
        let k = window_count(n).expect("enough sessions");
        assert_eq!(k, MAX_WINDOWS);
        let reps = 200;
        let mut rng = FastRng::from_seed(11);
        let mut sig = Vec::with_capacity(reps);
        for _ in 0..reps {
            let v: Vec<f64> = (0..n).map(|_| mu + s * normal(&mut rng)).collect();
            sig.push(between_windows(&v, k).expect("valid").sigma);
        }
        let (mean, _) = mean_sd(&sig);
        // The noise term is s²/(n/k) = 3,200, i.e. a CV of window means of 5.7%; the positive
        // part of the estimate's noise stays well below that.
        assert!(mean < 0.04, "mean σ_data of a stationary log {mean}");
        // A drift of the same data (the second half 30% larger) is detected.
        let v: Vec<f64> = (0..n)
            .map(|i| (mu + s * normal(&mut rng)) * if i < n / 2 { 1.0 } else { 1.3 })
            .collect();
        let d = between_windows(&v, k).expect("valid");
        // Window means 1000 and 1300 in equal numbers: τ² ≈ 150²·k/(k−1) = 25,000, μ = 1150:
        // σ ≈ √ln(1 + 0.0189) = 0.137. One draw: τ̂² has an SD of about 7,000 here (the window
        // means' noise, SD ≈ 65, against the ±150 steps), so 3 SD spans σ 0.06–0.19.
        assert!(
            d.sigma > 0.06 && d.sigma < 0.19,
            "σ of a drifting log {}",
            d.sigma
        );
    }

    /// Sessions of `calls` calls each whose calls hit the cache with the session's own rate.
    fn sessions_with_rates(rates: &[f64], calls: usize, rng: &mut FastRng) -> Vec<(usize, usize)> {
        rates
            .iter()
            .map(|&p| ((0..calls).filter(|_| rng.uniform() < p).count(), calls))
            .collect()
    }

    /// A log that mixes runs with a warm cache (90% of calls read from it) and runs with none,
    /// the runs in blocks as a benchmark harness runs them: the between-window variance of the
    /// rate is recovered, and the widened Beta keeps the pooled mean with a P5–P95 reaching
    /// both kinds of run.
    #[test]
    fn a_mix_of_cached_and_uncached_runs_widens_the_hit_rate() {
        let mut rng = FastRng::from_seed(3);
        // 100 sessions of 10 calls: 5 runs of 20 sessions, alternating 0.9 and 0.
        let truth: Vec<f64> = (0..100)
            .map(|i| if (i / 20) % 2 == 0 { 0.9 } else { 0.0 })
            .collect();
        let units = sessions_with_rates(&truth, 10, &mut rng);
        let r = rate_between_windows(&units).expect("enough sessions");
        assert_eq!(r.windows, MAX_WINDOWS);
        // Ten windows of 10 sessions, 6 at 0.9 and 4 at 0: Var_j = 0.81 · 6·4/(10·9) = 0.216.
        // Sampling noise within a window is about 0.9·0.1/100 = 0.0009 per window rate.
        assert!((r.tau2 - 0.216).abs() < 0.02, "τ² {}", r.tau2);
        assert!(r.p_value <= STATIONARITY_LEVEL);
        let hits: usize = units.iter().map(|u| u.0).sum();
        let (a, b) = widened_beta(hits, 1000, r.tau2);
        let m = (hits as f64 + 0.5) / 1001.0;
        assert!((a / (a + b) - m).abs() < 1e-12, "mean kept");
        let law = crate::dist::Family::Beta { a, b };
        assert!(
            law.quantile(0.05) < 0.1 && law.quantile(0.95) > 0.85,
            "{a} {b}"
        );
    }

    /// Sessions that all hit the cache with the same probability keep Jeffreys' posterior in
    /// all but about [`STATIONARITY_LEVEL`] of logs: the test's size, within 3 binomial SE.
    #[test]
    fn a_steady_hit_rate_keeps_the_jeffreys_posterior() {
        let mut rng = FastRng::from_seed(5);
        let reps = 300;
        let mut widened = 0;
        for _ in 0..reps {
            let units = sessions_with_rates(&[0.4; 80], 12, &mut rng);
            let r = rate_between_windows(&units).expect("enough sessions");
            let hits: usize = units.iter().map(|u| u.0).sum();
            if r.tau2 > 0.0 {
                widened += 1;
            } else {
                assert_eq!(
                    widened_beta(hits, 960, r.tau2),
                    (hits as f64 + 0.5, (960 - hits) as f64 + 0.5)
                );
            }
        }
        let rate = widened as f64 / reps as f64;
        let se = (STATIONARITY_LEVEL * (1.0 - STATIONARITY_LEVEL) / reps as f64).sqrt();
        assert!(
            rate <= STATIONARITY_LEVEL + 3.0 * se,
            "widened in {rate} of logs"
        );
    }

    #[test]
    fn widened_beta_matches_the_moments_and_floors_its_concentration() {
        // k = 30 of n = 100: m = 30.5/101, posterior variance m(1 − m)/102, plus τ² = 0.01.
        let (a, b) = widened_beta(30, 100, 0.01);
        let m = 30.5 / 101.0;
        let v = m * (1.0 - m) / 102.0 + 0.01;
        let law = crate::dist::Family::Beta { a, b };
        assert!((law.mean() - m).abs() < 1e-12);
        assert!(
            (law.variance() - v).abs() < 1e-12,
            "{} vs {v}",
            law.variance()
        );
        // A variance beyond the all-or-nothing mix's is floored at α + β = 1.
        let (a, b) = widened_beta(50, 100, 0.5);
        assert!((a + b - MIN_BETA_CONCENTRATION).abs() < 1e-12);
    }

    #[test]
    fn too_few_values_or_windows() {
        assert_eq!(window_count(14), None);
        assert_eq!(window_count(15), Some(3));
        assert_eq!(window_count(5000), Some(MAX_WINDOWS));
        assert!(between_windows(&[1.0, 2.0, 3.0], 2).is_none());
        assert!(between_windows(&[1.0; 10], 1).is_none());
        assert_eq!(between_windows(&[2.0; 10], 5).map(|w| w.sigma), Some(0.0));
        assert!((combine(0.3, 0.4) - 0.5).abs() < 1e-12);
    }
}
