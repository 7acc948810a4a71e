//! The bill's distribution rebuilt from the report's 101 quantiles, so charts redraw from a
//! saved `forecast.json` without the trials.
//!
//! Method: the quantiles `Q(0%), Q(1%), …, Q(100%)` are joined into a piecewise-linear CDF,
//! i.e. each of the 100 intervals between consecutive quantiles holds exactly 1% of the trials,
//! spread uniformly. Tied quantiles (several percent of trials at one amount, e.g. a fixed fee)
//! are kept as a jump. Histograms re-bin that CDF on equal-width bins (the mass of a bin is
//! `F(right) − F(left)`), which is the quantile function differenced and re-gridded; it is exact
//! at every stored quantile and linear in between, so no kernel bandwidth is involved.

/// A CDF interpolated through sorted quantiles.
#[derive(Debug, Clone)]
pub struct QuantileCdf {
    /// Amounts, USD, non-decreasing.
    xs: Vec<f64>,
    /// Cumulative probabilities at `xs`, 0–1, evenly spaced.
    ps: Vec<f64>,
}

impl QuantileCdf {
    /// Build from evenly spaced quantiles (first = 0%, last = 100%). Returns `None` unless there
    /// are at least two and all are finite. Out-of-order values (which a hand-edited report
    /// could contain) are made monotone by a running maximum.
    pub fn new(quantiles: &[f64]) -> Option<QuantileCdf> {
        if quantiles.len() < 2 || quantiles.iter().any(|q| !q.is_finite()) {
            return None;
        }
        let n = quantiles.len() - 1;
        let mut xs = Vec::with_capacity(quantiles.len());
        let mut hi = f64::NEG_INFINITY;
        for q in quantiles {
            hi = hi.max(*q);
            xs.push(hi);
        }
        let ps = (0..=n).map(|i| i as f64 / n as f64).collect();
        Some(QuantileCdf { xs, ps })
    }

    /// Smallest stored amount, USD.
    pub fn min(&self) -> f64 {
        self.xs[0]
    }

    /// Largest stored amount, USD.
    pub fn max(&self) -> f64 {
        self.xs[self.xs.len() - 1]
    }

    /// The quantile at `p` (0–1), USD, by linear interpolation.
    pub fn quantile(&self, p: f64) -> f64 {
        let n = (self.xs.len() - 1) as f64;
        let pos = (p.clamp(0.0, 1.0) * n).min(n);
        let i = pos.floor() as usize;
        if i + 1 >= self.xs.len() {
            return self.max();
        }
        let f = pos - i as f64;
        self.xs[i] + f * (self.xs[i + 1] - self.xs[i])
    }

    /// `P(bill ≤ x)`.
    pub fn cdf(&self, x: f64) -> f64 {
        if x < self.min() {
            return 0.0;
        }
        if x >= self.max() {
            return 1.0;
        }
        // Last index with xs[i] <= x; xs[i + 1] > x exists because x < max.
        let i = self.xs.partition_point(|v| *v <= x) - 1;
        let (x0, x1) = (self.xs[i], self.xs[i + 1]);
        let (p0, p1) = (self.ps[i], self.ps[i + 1]);
        p0 + (x - x0) / (x1 - x0) * (p1 - p0)
    }

    /// `P(bill > x)`.
    pub fn exceedance(&self, x: f64) -> f64 {
        1.0 - self.cdf(x)
    }

    /// Equal-width bins over `[lo, hi]`: `(left, right, share of trials)`. The first bin also
    /// holds any mass at exactly `lo` when `lo` is at or below the minimum.
    pub fn histogram(&self, lo: f64, hi: f64, bins: usize) -> Vec<(f64, f64, f64)> {
        if bins == 0 || hi <= lo || !lo.is_finite() || !hi.is_finite() {
            return Vec::new();
        }
        let w = (hi - lo) / bins as f64;
        (0..bins)
            .map(|b| {
                let x0 = lo + w * b as f64;
                let x1 = if b + 1 == bins { hi } else { x0 + w };
                let below = if b == 0 && lo <= self.min() {
                    0.0
                } else {
                    self.cdf(x0)
                };
                (x0, x1, (self.cdf(x1) - below).max(0.0))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uniform_0_100() -> QuantileCdf {
        let q: Vec<f64> = (0..=100).map(f64::from).collect();
        QuantileCdf::new(&q).unwrap()
    }

    #[test]
    fn cdf_of_uniform_quantiles_is_linear() {
        let c = uniform_0_100();
        assert_eq!(c.cdf(-1.0), 0.0);
        assert!((c.cdf(25.0) - 0.25).abs() < 1e-12);
        assert!((c.cdf(62.5) - 0.625).abs() < 1e-12);
        assert_eq!(c.cdf(100.0), 1.0);
        assert!((c.exceedance(90.0) - 0.10).abs() < 1e-12);
        assert!((c.quantile(0.95) - 95.0).abs() < 1e-12);
    }

    #[test]
    fn histogram_masses_sum_to_one_over_the_full_range() {
        let c = uniform_0_100();
        let h = c.histogram(0.0, 100.0, 40);
        let total: f64 = h.iter().map(|b| b.2).sum();
        assert!((total - 1.0).abs() < 1e-12);
        assert!(h.iter().all(|b| (b.2 - 0.025).abs() < 1e-12));
    }

    #[test]
    fn ties_are_a_jump_and_a_point_mass_lands_in_the_first_bin() {
        let q = vec![5.0; 101];
        let c = QuantileCdf::new(&q).unwrap();
        assert_eq!(c.cdf(4.9), 0.0);
        assert_eq!(c.cdf(5.0), 1.0);
        let h = c.histogram(5.0, 6.0, 4);
        assert!((h[0].2 - 1.0).abs() < 1e-12);
    }

    #[test]
    fn rejects_non_finite_or_too_few_quantiles() {
        assert!(QuantileCdf::new(&[1.0]).is_none());
        assert!(QuantileCdf::new(&[1.0, f64::NAN]).is_none());
    }

    #[test]
    fn out_of_order_quantiles_are_made_monotone() {
        let c = QuantileCdf::new(&[0.0, 10.0, 5.0, 20.0]).unwrap();
        assert!(c.cdf(9.0) <= c.cdf(10.0));
        assert!(c.quantile(0.66) >= 10.0 - 1e-9);
    }
}
