//! Summaries of simulated monthly bills: quantiles, their Monte Carlo standard errors, and
//! exceedance probabilities.

/// Quantile `p` of sorted data by linear interpolation between order statistics
/// (Hyndman & Fan type 7, numpy's default).
pub fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * p.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (h - lo as f64)
}

/// Monte Carlo standard error of the `p` quantile estimated from `n` sorted draws, from the
/// distribution-free order-statistic interval: the ranks `n·p ± √(n·p·(1−p))` bound a ±1σ
/// interval of the quantile estimate (binomial approximation), so the SE is half its width.
pub fn quantile_se(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len() as f64;
    if n < 2.0 {
        return f64::NAN;
    }
    let d = (n * p * (1.0 - p)).sqrt() / n;
    let lo = quantile_sorted(sorted, (p - d).max(0.0));
    let hi = quantile_sorted(sorted, (p + d).min(1.0));
    (hi - lo) / 2.0
}

/// Mean and sample standard deviation.
pub fn mean_sd(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    if n == 0.0 {
        return (f64::NAN, f64::NAN);
    }
    let mean = xs.iter().sum::<f64>() / n;
    if n < 2.0 {
        return (mean, 0.0);
    }
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

/// `P(X > budget)` as the share of draws above it.
pub fn prob_over(xs: &[f64], budget: f64) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    xs.iter().filter(|&&x| x > budget).count() as f64 / xs.len() as f64
}

/// Serde helper for a float field that may be NaN or infinite: serde_json writes those as
/// `null`, and this reads `null` back as NaN (a saved result re-renders as "-" there).
///
/// # Errors
/// The deserializer's error for anything but a number or `null`.
pub fn f64_or_nan<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(<Option<f64> as serde::Deserialize>::deserialize(d)?.unwrap_or(f64::NAN))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_like_numpy() {
        let xs = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile_sorted(&xs, 0.5), 3.0);
        assert_eq!(quantile_sorted(&xs, 0.25), 2.0);
        assert!((quantile_sorted(&xs, 0.9) - 4.6).abs() < 1e-12);
        assert_eq!(quantile_sorted(&xs, 0.0), 1.0);
        assert_eq!(quantile_sorted(&xs, 1.0), 5.0);
    }

    #[test]
    fn quantile_se_matches_the_asymptotic_formula_for_uniforms() {
        // For U(0,1), SE of the p-quantile is √(p(1−p)/n) / f(x_p) = √(0.95·0.05/n).
        let n = 100_000;
        let xs: Vec<f64> = (0..n).map(|i| (i as f64 + 0.5) / n as f64).collect();
        let se = quantile_se(&xs, 0.95);
        let expect = (0.95f64 * 0.05 / n as f64).sqrt();
        assert!((se / expect - 1.0).abs() < 0.01, "{se} vs {expect}");
    }

    #[test]
    fn exceedance_counts_strictly_above() {
        assert_eq!(prob_over(&[1.0, 2.0, 3.0, 4.0], 2.0), 0.5);
        let (m, sd) = mean_sd(&[2.0, 4.0]);
        assert_eq!(m, 3.0);
        assert!((sd - 2f64.sqrt()).abs() < 1e-12);
    }
}
