//! Goodness of fit: Kolmogorov–Smirnov for continuous fits, binned chi-square for counts.
//!
//! - **KS distance** `D = sup_x |F̂(x) − F(x)|` against the fitted CDF, evaluated at the
//!   jumps of the empirical CDF (both one-sided limits, so ties are handled exactly).
//!   With right-censored data `F̂` is the Kaplan–Meier estimate (Kaplan & Meier 1958) and the
//!   supremum runs up to the last uncensored value; with a single cap this is the ordinary
//!   ECDF below the cap.
//! - **KS p-value**: the asymptotic Kolmogorov distribution
//!   `Q(λ) = 2 Σ_{k≥1} (−1)^{k−1} e^{−2k²λ²}` at `λ = (√n + 0.12 + 0.11/√n) D`
//!   (Stephens 1970; Press et al., *Numerical Recipes* §14.3). It is exact only for a
//!   *fully specified* CDF: with parameters estimated from the same data the p-value is
//!   optimistic (too large; Lilliefors 1967), and with censoring it is approximate
//!   (Koziol & Green 1976 give the right limit law). Use it to rank and flag, not as a test.
//!   For token counts (integers) the ECDF has steps the continuous fit cannot follow, which
//!   adds up to about `max P(X = x)` to `D`.
//! - **Chi-square** for counts: cells `{0}, {1}, …` merged left to right until each has an
//!   expected count `≥ 5` (Cochran 1954), the last cell open-ended (`≥ k`) so the
//!   expectations sum to `n`; `X² = Σ (O − E)²/E` with `cells − 1 − k` degrees of freedom.

use statrs::distribution::{ChiSquared, ContinuousCDF};

/// The steps of an empirical CDF (Kaplan–Meier when some values are censored), built once
/// so every candidate's KS distance costs one CDF evaluation per distinct uncensored value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Ecdf {
    /// `(x, F̂(x−), F̂(x))` at each distinct uncensored value, ascending.
    steps: Vec<(f64, f64, f64)>,
}

impl Ecdf {
    /// From values and parallel censoring flags (`censored` may be empty: nothing censored).
    /// At equal values events come before censorings (censored units were still at risk).
    pub fn new(values: &[f64], censored: &[bool]) -> Ecdf {
        let is_c = |i: usize| censored.get(i).copied().unwrap_or(false);
        let mut idx: Vec<usize> = (0..values.len()).collect();
        idx.sort_by(|&a, &b| values[a].total_cmp(&values[b]).then(is_c(a).cmp(&is_c(b))));
        let mut at_risk = values.len() as f64;
        let mut surv = 1.0;
        let mut steps = Vec::new();
        let mut i = 0;
        while i < idx.len() {
            let x = values[idx[i]];
            let (mut events, mut cens) = (0.0, 0.0);
            while i < idx.len() && values[idx[i]] == x {
                if is_c(idx[i]) {
                    cens += 1.0
                } else {
                    events += 1.0
                }
                i += 1;
            }
            if events > 0.0 {
                let before = 1.0 - surv;
                surv *= 1.0 - events / at_risk;
                steps.push((x, before, 1.0 - surv));
            }
            at_risk -= events + cens;
        }
        Ecdf { steps }
    }

    /// KS distance `sup |F̂ − F|` from `cdf`, over both one-sided limits at every step.
    pub fn distance(&self, cdf: impl Fn(f64) -> f64) -> f64 {
        self.steps.iter().fold(0.0, |d: f64, &(x, before, after)| {
            let f = cdf(x);
            d.max((f - before).abs()).max((after - f).abs())
        })
    }
}

/// KS distance of complete data (any order) from `cdf`.
pub fn ks_statistic(values: &[f64], cdf: impl Fn(f64) -> f64) -> f64 {
    Ecdf::new(values, &[]).distance(cdf)
}

/// KS distance of right-censored data from `cdf`, against the Kaplan–Meier estimate.
/// `values` and `censored` are parallel; order does not matter.
pub fn ks_statistic_censored(values: &[f64], censored: &[bool], cdf: impl Fn(f64) -> f64) -> f64 {
    Ecdf::new(values, censored).distance(cdf)
}

/// Kolmogorov survival function `Q(λ) = P(K > λ)`.
pub fn kolmogorov_sf(lambda: f64) -> f64 {
    if lambda.is_nan() || lambda <= 0.0 {
        return 1.0;
    }
    if lambda < 1.0 {
        // Jacobi form: 1 − (√(2π)/λ) Σ_{k≥1} exp(−(2k−1)²π²/(8λ²)), fast for small λ.
        let c = (2.0 * std::f64::consts::PI).sqrt() / lambda;
        let e = -std::f64::consts::PI * std::f64::consts::PI / (8.0 * lambda * lambda);
        let s: f64 = (1..=6)
            .map(|k| ((2 * k - 1) as f64).powi(2) * e)
            .map(f64::exp)
            .sum();
        (1.0 - c * s).clamp(0.0, 1.0)
    } else {
        let mut s = 0.0;
        for k in 1..=100 {
            let t = (-2.0 * (k * k) as f64 * lambda * lambda).exp();
            s += if k % 2 == 1 { t } else { -t };
            if t < 1e-17 {
                break;
            }
        }
        (2.0 * s).clamp(0.0, 1.0)
    }
}

/// Asymptotic KS p-value for distance `d` on `n` observations (Stephens' small-n correction).
pub fn ks_pvalue(d: f64, n: usize) -> f64 {
    let sn = (n as f64).sqrt();
    kolmogorov_sf((sn + 0.12 + 0.11 / sn) * d)
}

/// Longest run of single-value cells scanned before the rest is lumped into one open-ended
/// cell (bounds the work when a fit spreads its mass over billions of values).
pub const MAX_SCAN: usize = 100_000;

/// Binned chi-square of a frequency table `(value, count)` (ascending whole values) against
/// `pmf`, with `k` fitted parameters. Returns `(X², p-value)`, or `None` when fewer than
/// `k + 2` cells have an expected count ≥ 5 (no degrees of freedom left).
pub fn chi_square_counts(
    rows: &[(f64, f64)],
    pmf: impl Fn(f64) -> f64,
    k: usize,
) -> Option<(f64, f64)> {
    let n: f64 = rows.iter().map(|r| r.1).sum();
    let kmax = rows.last()?.0;
    let mut cells: Vec<(f64, f64)> = Vec::new();
    let (mut o, mut e, mut cum) = (0.0, 0.0, 0.0);
    let mut row = 0;
    let mut x = 0.0;
    let mut steps = 0usize;
    while x <= kmax && steps < MAX_SCAN {
        let p = pmf(x);
        cum += p;
        e += n * p;
        while row < rows.len() && rows[row].0 <= x {
            o += rows[row].1;
            row += 1;
        }
        if e >= 5.0 {
            cells.push((o, e));
            o = 0.0;
            e = 0.0;
        }
        x += 1.0;
        steps += 1;
        // Stop when what is left of the fitted mass cannot fill another cell: the open cell
        // and everything above become the last cell.
        if n * (1.0 - cum) < 5.0 {
            break;
        }
    }
    // Everything above x: the remaining observations and the fitted tail mass.
    while row < rows.len() {
        o += rows[row].1;
        row += 1;
    }
    e += n * (1.0 - cum).max(0.0);
    match cells.last_mut() {
        Some(last) if e < 5.0 => {
            last.0 += o;
            last.1 += e;
        }
        _ => cells.push((o, e)),
    }
    let df = cells.len() as f64 - 1.0 - k as f64;
    if df < 1.0 {
        return None;
    }
    let stat: f64 = cells
        .iter()
        .filter(|c| c.1 > 0.0)
        .map(|(o, e)| (o - e) * (o - e) / e)
        .sum();
    let p = ChiSquared::new(df).ok()?.sf(stat);
    Some((stat, p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kolmogorov_distribution_matches_tables() {
        // Critical values of the Kolmogorov distribution: Q(1.3581) = 0.05, Q(1.6276) = 0.01,
        // Q(1.2238) = 0.10 (Smirnov 1948 tables). Both series forms agree at λ = 1.
        for (lam, want) in [
            (1.3581, 0.05),
            (1.6276, 0.01),
            (1.2238, 0.10),
            (0.8276, 0.50),
        ] {
            assert!(
                (kolmogorov_sf(lam) - want).abs() < 2e-4,
                "Q({lam}) = {}",
                kolmogorov_sf(lam)
            );
        }
        let a = kolmogorov_sf(1.0 - 1e-12);
        let b = kolmogorov_sf(1.0);
        assert!((a - b).abs() < 1e-10, "{a} {b}");
        assert_eq!(kolmogorov_sf(0.0), 1.0);
    }

    #[test]
    fn ks_statistic_handles_ties_and_matches_km_without_censoring() {
        // Uniform CDF on [0, 1]; data {0.5, 0.5}: ECDF jumps 0 → 1 at 0.5, so D = 0.5.
        let u = |x: f64| x.clamp(0.0, 1.0);
        assert!((ks_statistic(&[0.5, 0.5], u) - 0.5).abs() < 1e-15);
        let xs = [0.1, 0.2, 0.2, 0.7, 0.9];
        let d1 = ks_statistic(&xs, u);
        let d2 = ks_statistic_censored(&xs, &[false; 5], u);
        assert!((d1 - d2).abs() < 1e-15, "{d1} {d2}");
        // Censoring the largest value: KM equals the ECDF below it.
        let d3 = ks_statistic_censored(&xs, &[false, false, false, false, true], u);
        assert!(d3 <= d1 + 1e-15);
    }

    #[test]
    fn chi_square_cells_have_expected_five_and_sum_to_n() {
        // Poisson(3) pmf; n = 100 observations spread as expected → small statistic.
        let pmf = |x: f64| (x * 3f64.ln() - 3.0 - statrs::function::gamma::ln_gamma(x + 1.0)).exp();
        let rows: Vec<(f64, f64)> = [
            (0.0, 5.0),
            (1.0, 15.0),
            (2.0, 22.0),
            (3.0, 22.0),
            (4.0, 17.0),
            (5.0, 10.0),
            (6.0, 5.0),
            (7.0, 2.0),
            (9.0, 2.0),
        ]
        .to_vec();
        let (stat, p) = chi_square_counts(&rows, pmf, 1).expect("enough cells");
        assert!(stat < 3.0 && p > 0.5, "{stat} {p}");
        // One cell only → None.
        assert!(
            chi_square_counts(&[(0.0, 3.0)], |x| if x == 0.0 { 1.0 } else { 0.0 }, 1).is_none()
        );
    }
}
