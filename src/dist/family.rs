//! Concrete probability distributions: every family a scenario or a fit can name, with its
//! quantile function, CDF, moments and an exact sampler.
//!
//! Parameterisations (all in the units of the quantity, e.g. tokens):
//! - `Normal { mu, sd }`; `LogNormal { mu, sigma }` of `ln X`; `LogitNormal { mu, sd }` of
//!   `logit X` (probabilities); `Gamma { shape, scale }` (mean `shape·scale`);
//!   `Beta { a, b }`; `Uniform { lo, hi }`; `Triangular { lo, mode, hi }`;
//!   `Weibull { shape, scale }` (`F(x) = 1 − exp(−(x/scale)^shape)`);
//!   `LogNormalGpd`: a lognormal body below `threshold` spliced with a generalized Pareto
//!   tail above it carrying probability `tail` (Pickands 1975; Scarrott & MacDonald 2012);
//! - counts: `Poisson { lambda }`; `NegBin { mean, r }` (variance `mean + mean²/r`);
//!   `Zinb { zero, mean, r }` (extra zeros with probability `zero`); `Geometric { p }`
//!   (failures before the first success, mean `(1−p)/p`);
//! - `Empirical` (resample the values, each with equal weight); `Fixed`.

use std::sync::Arc;

use statrs::distribution::{
    Beta as SBeta, ContinuousCDF, DiscreteCDF, Gamma as SGamma, NegativeBinomial as SNegBin,
    Poisson as SPoisson,
};
use statrs::function::erf::{erfc, erfc_inv};
use statrs::function::gamma::gamma as gamma_fn;

use super::rng::FastRng;

/// A fully specified distribution (no uncertain parameters left). Field meanings are in the
/// module documentation.
#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq)]
pub enum Family {
    /// Always `value`.
    Fixed(f64),
    /// `N(mu, sd²)`.
    Normal { mu: f64, sd: f64 },
    /// `exp(N(mu, sigma²))`.
    LogNormal { mu: f64, sigma: f64 },
    /// `sigmoid(N(mu, sd²))`, on `(0, 1)`.
    LogitNormal { mu: f64, sd: f64 },
    /// Gamma with shape `k` and scale `θ`: mean `kθ`, variance `kθ²`.
    Gamma { shape: f64, scale: f64 },
    /// Beta(a, b) on `[0, 1]`.
    Beta { a: f64, b: f64 },
    /// Uniform on `[lo, hi]`.
    Uniform { lo: f64, hi: f64 },
    /// Triangular on `[lo, hi]` with peak at `mode`.
    Triangular { lo: f64, mode: f64, hi: f64 },
    /// Weibull with shape `k` and scale `λ`.
    Weibull { shape: f64, scale: f64 },
    /// Lognormal body truncated at `threshold`, GPD(`xi`, `beta`) excess above it with
    /// probability `tail`.
    LogNormalGpd {
        mu: f64,
        sigma: f64,
        threshold: f64,
        tail: f64,
        xi: f64,
        beta: f64,
    },
    /// Poisson(λ).
    Poisson { lambda: f64 },
    /// Negative binomial by mean and dispersion `r` (gamma–Poisson mixture).
    NegBin { mean: f64, r: f64 },
    /// Zero-inflated negative binomial.
    Zinb { zero: f64, mean: f64, r: f64 },
    /// Geometric on `{0, 1, 2, …}` with success probability `p`.
    Geometric { p: f64 },
    /// The recorded values, sorted ascending, each with probability `1/n`.
    Empirical(Arc<Vec<f64>>),
}

/// Standard normal quantile `Φ⁻¹(p)`, accurate in both tails (via `erfc⁻¹`).
#[inline]
pub fn norm_quantile(p: f64) -> f64 {
    -std::f64::consts::SQRT_2 * erfc_inv(2.0 * p)
}

/// Standard normal CDF `Φ(z)`.
#[inline]
pub fn norm_cdf(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

fn gpd_quantile(p: f64, xi: f64, beta: f64) -> f64 {
    if xi.abs() < 1e-12 {
        -beta * (1.0 - p).ln()
    } else {
        beta / xi * ((1.0 - p).powf(-xi) - 1.0)
    }
}

fn gpd_cdf(y: f64, xi: f64, beta: f64) -> f64 {
    if y <= 0.0 {
        return 0.0;
    }
    if xi.abs() < 1e-12 {
        1.0 - (-y / beta).exp()
    } else {
        let t = 1.0 + xi * y / beta;
        if t <= 0.0 {
            1.0
        } else {
            1.0 - t.powf(-1.0 / xi)
        }
    }
}

fn negbin_p(mean: f64, r: f64) -> f64 {
    // statrs counts failures before r successes with success probability p: mean r(1−p)/p.
    r / (r + mean)
}

impl Family {
    /// True for count distributions (integer support).
    pub fn is_discrete(&self) -> bool {
        matches!(
            self,
            Family::Poisson { .. }
                | Family::NegBin { .. }
                | Family::Zinb { .. }
                | Family::Geometric { .. }
        )
    }

    /// The smallest and largest values the distribution can take.
    pub fn support(&self) -> (f64, f64) {
        use Family::*;
        match self {
            Fixed(v) => (*v, *v),
            Normal { .. } => (f64::NEG_INFINITY, f64::INFINITY),
            LogNormal { .. } | Gamma { .. } | Weibull { .. } | LogNormalGpd { .. } => {
                (0.0, f64::INFINITY)
            }
            LogitNormal { .. } | Beta { .. } => (0.0, 1.0),
            Uniform { lo, hi } | Triangular { lo, hi, .. } => (*lo, *hi),
            Poisson { .. } | NegBin { .. } | Zinb { .. } | Geometric { .. } => (0.0, f64::INFINITY),
            Empirical(v) => (
                v.first().copied().unwrap_or(0.0),
                v.last().copied().unwrap_or(0.0),
            ),
        }
    }

    /// Cumulative distribution function `P(X ≤ x)`.
    pub fn cdf(&self, x: f64) -> f64 {
        use Family::*;
        match self {
            Fixed(v) => {
                if x >= *v {
                    1.0
                } else {
                    0.0
                }
            }
            Normal { mu, sd } => norm_cdf((x - mu) / sd),
            LogNormal { mu, sigma } => {
                if x <= 0.0 {
                    0.0
                } else {
                    norm_cdf((x.ln() - mu) / sigma)
                }
            }
            LogitNormal { mu, sd } => {
                if x <= 0.0 {
                    0.0
                } else if x >= 1.0 {
                    1.0
                } else {
                    norm_cdf(((x / (1.0 - x)).ln() - mu) / sd)
                }
            }
            Gamma { shape, scale } => {
                // statrs unwraps inside gamma_lr when x·rate underflows to 0: answer that
                // case here (P(X ≤ 0) = 0).
                if x <= 0.0 || x / scale <= f64::MIN_POSITIVE {
                    0.0
                } else {
                    SGamma::new(*shape, 1.0 / scale)
                        .map(|g| g.cdf(x))
                        .unwrap_or(f64::NAN)
                }
            }
            Beta { a, b } => SBeta::new(*a, *b)
                .map(|d| d.cdf(x.clamp(0.0, 1.0)))
                .unwrap_or(f64::NAN),
            Uniform { lo, hi } => ((x - lo) / (hi - lo)).clamp(0.0, 1.0),
            Triangular { lo, mode, hi } => {
                if x <= *lo {
                    0.0
                } else if x >= *hi {
                    1.0
                } else if x <= *mode {
                    (x - lo).powi(2) / ((hi - lo) * (mode - lo))
                } else {
                    1.0 - (hi - x).powi(2) / ((hi - lo) * (hi - mode))
                }
            }
            Weibull { shape, scale } => {
                if x <= 0.0 {
                    0.0
                } else {
                    1.0 - (-(x / scale).powf(*shape)).exp()
                }
            }
            LogNormalGpd {
                mu,
                sigma,
                threshold,
                tail,
                xi,
                beta,
            } => {
                if x <= 0.0 {
                    0.0
                } else if x <= *threshold {
                    let body_mass = norm_cdf((threshold.ln() - mu) / sigma);
                    (1.0 - tail) * norm_cdf((x.ln() - mu) / sigma) / body_mass
                } else {
                    (1.0 - tail) + tail * gpd_cdf(x - threshold, *xi, *beta)
                }
            }
            Poisson { lambda } => {
                if x < 0.0 {
                    0.0
                } else {
                    SPoisson::new(*lambda)
                        .map(|d| d.cdf(x.floor() as u64))
                        .unwrap_or(f64::NAN)
                }
            }
            NegBin { mean, r } => {
                if x < 0.0 {
                    0.0
                } else {
                    SNegBin::new(*r, negbin_p(*mean, *r))
                        .map(|d| d.cdf(x.floor() as u64))
                        .unwrap_or(f64::NAN)
                }
            }
            Zinb { zero, mean, r } => {
                if x < 0.0 {
                    0.0
                } else {
                    zero + (1.0 - zero) * Family::NegBin { mean: *mean, r: *r }.cdf(x)
                }
            }
            Geometric { p } => {
                if x < 0.0 {
                    0.0
                } else {
                    1.0 - (1.0 - p).powf(x.floor() + 1.0)
                }
            }
            Empirical(v) => {
                let n = v.len().max(1) as f64;
                v.partition_point(|&y| y <= x) as f64 / n
            }
        }
    }

    /// Quantile function `F⁻¹(p)` for `p` in `(0, 1)` (values outside are clamped).
    pub fn quantile(&self, p: f64) -> f64 {
        use Family::*;
        let p = p.clamp(1e-300, 1.0 - 1e-16);
        match self {
            Fixed(v) => *v,
            Normal { mu, sd } => mu + sd * norm_quantile(p),
            LogNormal { mu, sigma } => (mu + sigma * norm_quantile(p)).exp(),
            LogitNormal { mu, sd } => {
                let z = mu + sd * norm_quantile(p);
                1.0 / (1.0 + (-z).exp())
            }
            Gamma { shape, scale } => SGamma::new(*shape, 1.0 / scale)
                .map(|g| g.inverse_cdf(p))
                .unwrap_or(f64::NAN),
            Beta { a, b } => SBeta::new(*a, *b)
                .map(|d| d.inverse_cdf(p))
                .unwrap_or(f64::NAN),
            Uniform { lo, hi } => lo + (hi - lo) * p,
            Triangular { lo, mode, hi } => {
                let fc = (mode - lo) / (hi - lo);
                if p < fc {
                    lo + (p * (hi - lo) * (mode - lo)).sqrt()
                } else {
                    hi - ((1.0 - p) * (hi - lo) * (hi - mode)).sqrt()
                }
            }
            Weibull { shape, scale } => scale * (-(1.0 - p).ln()).powf(1.0 / shape),
            LogNormalGpd {
                mu,
                sigma,
                threshold,
                tail,
                xi,
                beta,
            } => {
                if p < 1.0 - tail {
                    let body_mass = norm_cdf((threshold.ln() - mu) / sigma);
                    let pb = (p / (1.0 - tail) * body_mass).clamp(1e-300, 1.0 - 1e-16);
                    (mu + sigma * norm_quantile(pb)).exp().min(*threshold)
                } else {
                    threshold
                        + gpd_quantile(
                            ((p - (1.0 - tail)) / tail).clamp(0.0, 1.0 - 1e-16),
                            *xi,
                            *beta,
                        )
                }
            }
            Poisson { .. } | NegBin { .. } | Zinb { .. } => self.discrete_quantile(p),
            Geometric { p: q } => {
                // Smallest k with 1 − (1−q)^(k+1) ≥ p.
                if *q >= 1.0 {
                    0.0
                } else {
                    ((1.0 - p).ln() / (1.0 - q).ln() - 1.0).ceil().max(0.0)
                }
            }
            Empirical(v) => {
                if v.is_empty() {
                    return 0.0;
                }
                let i = ((p * v.len() as f64) as usize).min(v.len() - 1);
                v[i]
            }
        }
    }

    /// Smallest integer `k` with `cdf(k) ≥ p`, by doubling then bisection: O(log k) CDF calls.
    fn discrete_quantile(&self, p: f64) -> f64 {
        if self.cdf(0.0) >= p {
            return 0.0;
        }
        let mut hi = 1.0f64;
        while self.cdf(hi) < p {
            hi *= 2.0;
            if hi > 1e15 {
                return hi;
            }
        }
        let mut lo = hi / 2.0; // cdf(lo) < p (or lo = 0.5 → floor 0 handled above)
        lo = lo.floor();
        while hi - lo > 1.0 {
            let mid = ((lo + hi) / 2.0).floor();
            if self.cdf(mid) >= p {
                hi = mid
            } else {
                lo = mid
            }
        }
        hi
    }

    /// `E[X]`.
    pub fn mean(&self) -> f64 {
        use Family::*;
        match self {
            Fixed(v) => *v,
            Normal { mu, .. } => *mu,
            LogNormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
            Gamma { shape, scale } => shape * scale,
            Beta { a, b } => a / (a + b),
            Uniform { lo, hi } => (lo + hi) / 2.0,
            Triangular { lo, mode, hi } => (lo + mode + hi) / 3.0,
            Weibull { shape, scale } => scale * gamma_fn(1.0 + 1.0 / shape),
            LogNormalGpd {
                mu,
                sigma,
                threshold,
                tail,
                xi,
                beta,
            } => {
                let z = (threshold.ln() - mu) / sigma;
                let body = (mu + sigma * sigma / 2.0).exp() * norm_cdf(z - sigma) / norm_cdf(z);
                let excess = if *xi < 1.0 {
                    beta / (1.0 - xi)
                } else {
                    f64::INFINITY
                };
                (1.0 - tail) * body + tail * (threshold + excess)
            }
            Poisson { lambda } => *lambda,
            NegBin { mean, .. } => *mean,
            Zinb { zero, mean, .. } => (1.0 - zero) * mean,
            Geometric { p } => (1.0 - p) / p,
            Empirical(v) => v.iter().sum::<f64>() / v.len().max(1) as f64,
            LogitNormal { .. } => self.numeric_moment(1),
        }
    }

    /// `Var[X]`.
    pub fn variance(&self) -> f64 {
        use Family::*;
        match self {
            Fixed(_) => 0.0,
            Normal { sd, .. } => sd * sd,
            LogNormal { mu, sigma } => {
                ((sigma * sigma).exp() - 1.0) * (2.0 * mu + sigma * sigma).exp()
            }
            Gamma { shape, scale } => shape * scale * scale,
            Beta { a, b } => a * b / ((a + b).powi(2) * (a + b + 1.0)),
            Uniform { lo, hi } => (hi - lo).powi(2) / 12.0,
            Triangular { lo, mode, hi } => {
                (lo * lo + mode * mode + hi * hi - lo * mode - lo * hi - mode * hi) / 18.0
            }
            Weibull { shape, scale } => {
                let g1 = gamma_fn(1.0 + 1.0 / shape);
                let g2 = gamma_fn(1.0 + 2.0 / shape);
                scale * scale * (g2 - g1 * g1)
            }
            Poisson { lambda } => *lambda,
            NegBin { mean, r } => mean + mean * mean / r,
            Zinb { zero, mean, r } => {
                let m2 = mean + mean * mean / r + mean * mean;
                let ex = (1.0 - zero) * mean;
                (1.0 - zero) * m2 - ex * ex
            }
            Geometric { p } => (1.0 - p) / (p * p),
            Empirical(v) => {
                let n = v.len().max(1) as f64;
                let m = self.mean();
                v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n
            }
            LogitNormal { .. } | LogNormalGpd { .. } => {
                let m = self.mean();
                self.numeric_moment(2) - m * m
            }
        }
    }

    /// `E[X^k]` by midpoint integration of the quantile function over 2¹⁶ points.
    /// Accurate for bounded or light-tailed laws; heavy tails use the closed forms.
    fn numeric_moment(&self, k: i32) -> f64 {
        let n = 1 << 16;
        (0..n)
            .map(|i| self.quantile((i as f64 + 0.5) / n as f64).powi(k))
            .sum::<f64>()
            / n as f64
    }

    /// An exact draw (not table-based). Used for tails, for rare sampling and as the
    /// reference the fast samplers are tested against.
    pub fn sample(&self, rng: &mut FastRng) -> f64 {
        use Family::*;
        match self {
            Gamma { shape, scale } => {
                use rand_distr::Distribution;
                rand_distr::Gamma::new(*shape, *scale)
                    .map(|g| g.sample(rng.inner()))
                    .unwrap_or(f64::NAN)
            }
            Beta { a, b } => {
                use rand_distr::Distribution;
                rand_distr::Beta::new(*a, *b)
                    .map(|g| g.sample(rng.inner()))
                    .unwrap_or(f64::NAN)
            }
            Poisson { lambda } => sample_poisson(*lambda, rng),
            NegBin { mean, r } => sample_negbin(*mean, *r, rng),
            Zinb { zero, mean, r } => {
                if rng.uniform() < *zero {
                    0.0
                } else {
                    sample_negbin(*mean, *r, rng)
                }
            }
            _ => self.quantile(rng.uniform_open()),
        }
    }
}

/// Poisson(λ) draw (rand_distr's PTRS for large λ).
pub fn sample_poisson(lambda: f64, rng: &mut FastRng) -> f64 {
    use rand_distr::Distribution;
    if lambda <= 0.0 {
        return 0.0;
    }
    rand_distr::Poisson::new(lambda)
        .map(|d| d.sample(rng.inner()))
        .unwrap_or(0.0)
}

/// Negative binomial draw as a gamma–Poisson mixture: `Poisson(Gamma(r, mean/r))`.
pub fn sample_negbin(mean: f64, r: f64, rng: &mut FastRng) -> f64 {
    use rand_distr::Distribution;
    if mean <= 0.0 {
        return 0.0;
    }
    let lam = rand_distr::Gamma::new(r, mean / r)
        .map(|g| g.sample(rng.inner()))
        .unwrap_or(0.0);
    sample_poisson(lam, rng)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-12)
    }

    #[test]
    fn quantile_inverts_cdf_for_every_continuous_family() {
        let fams = vec![
            Family::Normal { mu: 3.0, sd: 2.0 },
            Family::LogNormal {
                mu: 5.0,
                sigma: 0.8,
            },
            Family::LogitNormal { mu: 1.0, sd: 0.5 },
            Family::Gamma {
                shape: 2.5,
                scale: 40.0,
            },
            Family::Beta { a: 2.0, b: 5.0 },
            Family::Uniform { lo: 1.0, hi: 4.0 },
            Family::Triangular {
                lo: 0.0,
                mode: 1.0,
                hi: 5.0,
            },
            Family::Weibull {
                shape: 1.3,
                scale: 200.0,
            },
            Family::LogNormalGpd {
                mu: 5.0,
                sigma: 0.7,
                threshold: 400.0,
                tail: 0.1,
                xi: 0.3,
                beta: 150.0,
            },
        ];
        for f in fams {
            for p in [0.001, 0.05, 0.3, 0.5, 0.77, 0.95, 0.999] {
                let x = f.quantile(p);
                assert!(
                    close(f.cdf(x), p, 1e-6),
                    "{f:?} p={p} x={x} cdf={}",
                    f.cdf(x)
                );
            }
        }
    }

    #[test]
    fn discrete_quantile_is_smallest_k_reaching_p() {
        for f in [
            Family::Poisson { lambda: 3.0 },
            Family::NegBin { mean: 10.0, r: 1.5 },
            Family::Zinb {
                zero: 0.3,
                mean: 4.0,
                r: 2.0,
            },
            Family::Geometric { p: 0.25 },
        ] {
            for p in [0.01, 0.2, 0.5, 0.9, 0.999] {
                let k = f.quantile(p);
                assert!(f.cdf(k) >= p - 1e-12, "{f:?} {p} {k}");
                if k >= 1.0 {
                    assert!(f.cdf(k - 1.0) < p, "{f:?} {p} {k}");
                }
            }
        }
    }

    #[test]
    fn closed_form_means_match_numeric_integration() {
        for f in [
            Family::LogNormal {
                mu: 4.0,
                sigma: 0.5,
            },
            Family::Gamma {
                shape: 3.0,
                scale: 2.0,
            },
            Family::Weibull {
                shape: 2.0,
                scale: 10.0,
            },
            Family::Triangular {
                lo: 0.0,
                mode: 2.0,
                hi: 3.0,
            },
            Family::LogNormalGpd {
                mu: 4.0,
                sigma: 0.5,
                threshold: 100.0,
                tail: 0.05,
                xi: 0.1,
                beta: 30.0,
            },
        ] {
            let numeric = f.numeric_moment(1);
            assert!(
                close(f.mean(), numeric, 2e-3),
                "{f:?} {} vs {numeric}",
                f.mean()
            );
        }
    }

    #[test]
    fn exact_samplers_have_the_right_mean() {
        // n = 200k draws; tolerance 4 standard errors of the sample mean.
        let n = 200_000;
        for f in [
            Family::Poisson { lambda: 3.0 },
            Family::NegBin { mean: 5.0, r: 0.8 },
            Family::Zinb {
                zero: 0.4,
                mean: 6.0,
                r: 2.0,
            },
            Family::Gamma {
                shape: 0.7,
                scale: 3.0,
            },
            Family::Beta { a: 2.0, b: 3.0 },
            Family::Geometric { p: 0.3 },
        ] {
            let mut rng = FastRng::from_seed(11);
            let mean = (0..n).map(|_| f.sample(&mut rng)).sum::<f64>() / n as f64;
            let se = (f.variance() / n as f64).sqrt();
            assert!(
                (mean - f.mean()).abs() < 4.0 * se,
                "{f:?} {mean} vs {}",
                f.mean()
            );
        }
    }
}
