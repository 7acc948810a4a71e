//! Special functions the fits need and statrs does not provide (or not in the form needed).
//!
//! - [`trigamma`] `ψ₁(x) = d²/dx² ln Γ(x)`: the recurrence `ψ₁(x) = ψ₁(x + 1) + 1/x²` moves the
//!   argument to `x ≥ 10`, then the asymptotic series
//!   `ψ₁(x) ~ 1/x + 1/(2x²) + Σₖ B₂ₖ / x^(2k+1)` (Abramowitz & Stegun 6.4.12) with Bernoulli
//!   numbers up to `B₁₀`; the truncation error at `x = 10` is below `1e-14` relative.
//! - [`ln_norm_sf`] / [`ln_norm_cdf`]: `ln Φ̄(z)` and `ln Φ(z)` without underflow, via `erfc`
//!   and, beyond `z = 30`, the Mills-ratio expansion `Φ̄(z) ≈ φ(z)/z · (1 − 1/z² + 3/z⁴ − 15/z⁶)`
//!   (A&S 26.2.12).
//! - [`ln_gamma_q`]: `ln Q(a, x)`, the log of the regularised upper incomplete gamma function
//!   (the gamma survival function), from statrs' `checked_gamma_ur`.
//!
//! Digamma and `ln Γ` come from statrs (`statrs::function::gamma::{digamma, ln_gamma}`).

use statrs::function::erf::erfc;
use statrs::function::gamma::checked_gamma_ur;

pub use statrs::function::gamma::{digamma, ln_gamma};

/// `ln √(2π)`.
pub const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

/// Trigamma `ψ₁(x)` for `x > 0` (NaN otherwise).
pub fn trigamma(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 || !x.is_finite() {
        return if x == f64::INFINITY { 0.0 } else { f64::NAN };
    }
    let mut acc = 0.0;
    let mut z = x;
    // Each step adds 1/z²; at most 10 steps for any x > 0.
    while z < 10.0 {
        acc += 1.0 / (z * z);
        z += 1.0;
    }
    let r = 1.0 / z;
    let r2 = r * r;
    // 1/z + 1/(2z²) + 1/(6z³) − 1/(30z⁵) + 1/(42z⁷) − 1/(30z⁹) + 5/(66z¹¹)
    let series = r
        + 0.5 * r2
        + r * r2
            * (1.0 / 6.0
                - r2 * (1.0 / 30.0 - r2 * (1.0 / 42.0 - r2 * (1.0 / 30.0 - r2 * 5.0 / 66.0))));
    acc + series
}

/// `ln Φ̄(z) = ln P(Z > z)` for a standard normal `Z`, accurate for large `z`.
pub fn ln_norm_sf(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    if z < 30.0 {
        (0.5 * erfc(z / std::f64::consts::SQRT_2)).ln()
    } else {
        // ln φ(z) − ln z + ln(1 − 1/z² + 3/z⁴ − 15/z⁶)
        let r2 = 1.0 / (z * z);
        -0.5 * z * z - LN_SQRT_2PI - z.ln() + (1.0 - r2 * (1.0 - r2 * (3.0 - 15.0 * r2))).ln()
    }
}

/// `ln Φ(z) = ln P(Z ≤ z)`.
pub fn ln_norm_cdf(z: f64) -> f64 {
    ln_norm_sf(-z)
}

/// `ln Q(a, x)`: log of the gamma survival `P(G > x)` for `G ~ Gamma(a, 1)`; `0` at `x ≤ 0`,
/// `−∞` where `Q` underflows, NaN for invalid `a`.
pub fn ln_gamma_q(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    match checked_gamma_ur(a, x) {
        Ok(q) if q > 0.0 => q.ln(),
        Ok(0.0) => f64::NEG_INFINITY,
        _ => f64::NAN,
    }
}

/// `ln x!` for a whole number `x ≥ 0` (as `ln Γ(x + 1)`).
pub fn ln_factorial(x: f64) -> f64 {
    ln_gamma(x + 1.0)
}

/// Below this `r` the differences use statrs' `ln Γ`, `ψ` and [`trigamma`] directly (whose
/// values are then below ~200, so the subtraction loses little); at or above it they use the Stirling / asymptotic series written as differences, which avoid
/// the cancellation of two values near `ln Γ(r)` (for `r = 1e8`, `ln Γ(r) ≈ 1.7e9`).
const DIFF_ASYMPTOTIC_R: f64 = 64.0;

/// `ψ(x + r) − ψ(r)` without cancellation when `r ≫ x`: for whole `x ≤ 64` the exact sum
/// `Σ_{j<x} 1/(r + j)`; for `r ≥ 64` the asymptotic series
/// `ψ(z) = ln z − 1/(2z) − 1/(12z²) + 1/(120z⁴) − 1/(252z⁶) + …` (A&S 6.3.18) as a difference,
/// with `ln(1 + x/r)` by `ln_1p`.
pub fn digamma_diff(x: f64, r: f64) -> f64 {
    if x <= 64.0 && x == x.trunc() {
        let mut s = 0.0;
        let mut j = 0.0;
        while j < x {
            s += 1.0 / (r + j);
            j += 1.0;
        }
        s
    } else if r >= DIFF_ASYMPTOTIC_R {
        let tail = |z: f64| {
            let w = 1.0 / (z * z);
            -0.5 / z - w * (1.0 / 12.0 - w * (1.0 / 120.0 - w / 252.0))
        };
        (x / r).ln_1p() + tail(r + x) - tail(r)
    } else {
        digamma(x + r) - digamma(r)
    }
}

/// `ψ₁(x + r) − ψ₁(r)`: exact sum `−Σ_{j<x} 1/(r + j)²` for whole `x ≤ 64`; for `r ≥ 64` the
/// series of [`trigamma`] as a difference (its leading term `1/z` differenced exactly as
/// `−x/(r(r + x))`).
pub fn trigamma_diff(x: f64, r: f64) -> f64 {
    if x <= 64.0 && x == x.trunc() {
        let mut s = 0.0;
        let mut j = 0.0;
        while j < x {
            s -= 1.0 / ((r + j) * (r + j));
            j += 1.0;
        }
        s
    } else if r >= DIFF_ASYMPTOTIC_R {
        let z = r + x;
        let rest = |z: f64| {
            let r1 = 1.0 / z;
            let r2 = r1 * r1;
            0.5 * r2 + r1 * r2 * (1.0 / 6.0 - r2 * (1.0 / 30.0 - r2 * (1.0 / 42.0 - r2 / 30.0)))
        };
        -x / (r * z) + rest(z) - rest(r)
    } else {
        trigamma(x + r) - trigamma(r)
    }
}

/// `ln Γ(x + r) − ln Γ(r)`: exact sum `Σ_{j<x} ln(r + j)` for whole `x ≤ 64`; for `r ≥ 64`
/// Stirling's series as a difference,
/// `(z − ½) ln(1 + x/r) + x ln r − x + Σₖ B₂ₖ/(2k(2k−1)) (z^(1−2k) − r^(1−2k))` with
/// `z = r + x` (A&S 6.1.41).
pub fn ln_gamma_diff(x: f64, r: f64) -> f64 {
    if x <= 64.0 && x == x.trunc() {
        let mut s = 0.0;
        let mut j = 0.0;
        while j < x {
            s += (r + j).ln();
            j += 1.0;
        }
        s
    } else if r >= DIFF_ASYMPTOTIC_R {
        let z = r + x;
        let corr = |z: f64| {
            let w = 1.0 / (z * z);
            (1.0 / 12.0 - w * (1.0 / 360.0 - w * (1.0 / 1260.0 - w / 1680.0))) / z
        };
        (z - 0.5) * (x / r).ln_1p() + x * r.ln() - x + corr(z) - corr(r)
    } else {
        ln_gamma(x + r) - ln_gamma(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    #[test]
    fn trigamma_matches_closed_forms() {
        // ψ₁(1) = π²/6, ψ₁(1/2) = π²/2, ψ₁(2) = π²/6 − 1, ψ₁(n+1) = ψ₁(n) − 1/n².
        let cases = [
            (1.0, PI * PI / 6.0),
            (0.5, PI * PI / 2.0),
            (2.0, PI * PI / 6.0 - 1.0),
            (3.0, PI * PI / 6.0 - 1.25),
        ];
        for (x, want) in cases {
            let got = trigamma(x);
            assert!(
                (got - want).abs() < 1e-13 * want,
                "ψ₁({x}) = {got}, want {want}"
            );
        }
        // Large x: ψ₁(x) ≈ 1/x + 1/(2x²); small x: ψ₁(x) ≈ 1/x² + π²/6.
        assert!((trigamma(1e6) - (1e-6 + 0.5e-12)).abs() < 1e-18);
        assert!((trigamma(1e-6) - (1e12 + PI * PI / 6.0)).abs() < 1e-3);
        assert!(trigamma(-1.0).is_nan() && trigamma(f64::NAN).is_nan());
    }

    #[test]
    fn trigamma_is_the_derivative_of_digamma() {
        // Central difference with h = 1e-5: truncation error ~ h²ψ₃/6 ≪ 1e-7 relative.
        for x in [0.1f64, 0.7, 1.3, 4.2, 9.99, 10.0, 37.0, 1234.5] {
            let h = 1e-5 * x.max(1.0);
            let num = (digamma(x + h) - digamma(x - h)) / (2.0 * h);
            let got = trigamma(x);
            assert!((got - num).abs() < 1e-7 * got, "x={x}: {got} vs {num}");
        }
    }

    #[test]
    fn log_normal_tails_do_not_underflow() {
        // Φ̄(0) = 1/2; Φ̄(5) = 2.866515718791939e-7 (A&S table 26.1); continuity across z = 30.
        // statrs' erfc is accurate to about 1e-10 relative (measured against mpmath at
        // z = 1, 3, 5, 10), which bounds the agreement of the logs.
        assert!((ln_norm_sf(0.0) - 0.5f64.ln()).abs() < 1e-15);
        assert!((ln_norm_sf(5.0) - 2.866515718791939e-7f64.ln()).abs() < 1e-9);
        let (a, b) = (ln_norm_sf(30.0 - 1e-9), ln_norm_sf(30.0));
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        assert!(ln_norm_sf(100.0).is_finite() && ln_norm_sf(100.0) < -5000.0);
        assert!((ln_norm_cdf(-5.0) - ln_norm_sf(5.0)).abs() < 1e-15);
    }

    #[test]
    fn difference_helpers_agree_with_direct_forms() {
        // Moderate r: the direct forms are accurate, so the helpers must match them.
        let cases = [
            (0.0, 2.0),
            (3.0, 0.5),
            (64.0, 7.0),
            (65.0, 7.0),
            (200.0, 0.3),
            (65.0, 64.0),
            (500.0, 37.5),
            (300.5, 80.0),
        ];
        for (x, r) in cases {
            let d = digamma(x + r) - digamma(r);
            let t = trigamma(x + r) - trigamma(r);
            let g = ln_gamma(x + r) - ln_gamma(r);
            assert!(
                (digamma_diff(x, r) - d).abs() < 1e-12 * d.abs().max(1.0),
                "ψ {x} {r}"
            );
            assert!(
                (trigamma_diff(x, r) - t).abs() < 1e-11 * t.abs().max(1.0),
                "ψ₁ {x} {r}"
            );
            assert!(
                (ln_gamma_diff(x, r) - g).abs() < 1e-11 * g.abs().max(1.0),
                "lnΓ {x} {r}"
            );
        }
        // Huge r with x = 100 (the asymptotic branch): compare with the exact finite sums.
        let r = 1e12;
        let exact: f64 = (0..100).map(|j| (r + j as f64).ln()).sum();
        assert!((ln_gamma_diff(100.0, r) - exact).abs() < 1e-12 * exact);
        let exact: f64 = (0..100).map(|j| 1.0 / (r + j as f64)).sum();
        assert!((digamma_diff(100.0, r) - exact).abs() < 1e-12 * exact);
        let exact: f64 = (0..100).map(|j| -1.0 / (r + j as f64).powi(2)).sum();
        assert!((trigamma_diff(100.0, r) - exact).abs() < 1e-10 * exact.abs());
        // Q(1, x) = e^(−x).
        assert!((ln_gamma_q(1.0, 3.0) + 3.0).abs() < 1e-12);
    }
}
