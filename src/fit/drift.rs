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
//! `τ² ≈ 0`; a drifting one a positive `τ²`. It is written as the σ of a lognormal multiplier
//! with median 1 whose coefficient of variation is `τ / μ` (`μ` the overall mean):
//! `σ = √ln(1 + τ²/μ²)`.

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

/// The drift of a fitted log's sizes and counts.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Drift {
    /// Of tokens per call (input + output), per session.
    pub size: Option<WindowSpread>,
    /// Of calls per session.
    pub count: Option<WindowSpread>,
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
        }
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
