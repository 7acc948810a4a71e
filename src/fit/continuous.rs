//! Maximum-likelihood fits of the positive continuous families, with right-censoring.
//!
//! All fits work on data divided by their geometric mean `s` (every family here is closed
//! under scaling, so the MLE is scale-equivariant), which keeps `xᵏ`, `Σx` and the optimiser
//! steps well conditioned for values from 1 to 10¹⁵; parameters and `ln L` are mapped back
//! (`ln L` shifts by `−n_exact · ln s`).
//!
//! - **Lognormal** `LogNormal { mu, sigma }`: uncensored MLE in closed form,
//!   `μ̂ = mean(ln x)`, `σ̂² = mean((ln x − μ̂)²)`. Censored: maximise
//!   `ln L = Σ_exact [−ln σ − ln x − ½((ln x − μ)/σ)² − ln √2π] + Σ_cens ln Φ̄((ln c − μ)/σ)`
//!   over `(μ, ln σ)` by Nelder–Mead from the uncensored estimate.
//! - **Gamma** `Gamma { shape k, scale θ }`: uncensored, `s = ln x̄ − mean(ln x)`, Minka's
//!   start `k₀ = (3 − s + √((s − 3)² + 24s)) / 12s`, then Newton steps on
//!   `f(k) = ln k − ψ(k) − s = 0` in the form `1/k ← 1/k + f(k) / (k²(1/k − ψ₁(k)))`
//!   (T. Minka, "Estimating a Gamma distribution", 2002); `θ̂ = x̄ / k̂`. Censored:
//!   Nelder–Mead on `(ln k, ln θ)` of the full likelihood with `ln Q(k, c/θ)` for censored
//!   values.
//! - **Weibull** `Weibull { shape k, scale λ }`: with `d` exact values and the sums over all
//!   values (exact and censored), `λᵏ = Σ xᵢᵏ / d` and the shape solves the profile equation
//!   `1/k + (1/d) Σ_exact ln xᵢ − Σ xᵢᵏ ln xᵢ / Σ xᵢᵏ = 0`, which is strictly decreasing in
//!   `k`; solved by bracketed Newton (Cohen 1965, "Maximum likelihood estimation in the
//!   Weibull distribution based on complete and on censored samples"). Censoring changes
//!   only `d`, so both cases share one solver.

use crate::dist::Family;

use super::optim::{nelder_mead, newton_bisect};
use super::special::{LN_SQRT_2PI, digamma, ln_gamma, ln_gamma_q, ln_norm_sf, trigamma};
use super::{Candidate, FitError, Observations};

/// Continuous observations prepared once for all families.
#[derive(Clone, Debug)]
pub(crate) struct Prepared {
    /// The data were divided by this (their geometric mean).
    pub scale: f64,
    /// Exact values / scale, all `> 0`.
    pub x: Vec<f64>,
    /// `ln` of `x`.
    pub lx: Vec<f64>,
    /// Censoring points / scale with multiplicities, ascending.
    pub caps: Vec<(f64, f64)>,
    /// `Σ ln x` over exact values.
    pub sum_lx: f64,
    /// `Σ (ln x − mean)²` over exact values.
    pub m2_lx: f64,
    /// `Σ x` over exact values.
    pub sum_x: f64,
    /// Every value / scale (exact and censored), ascending.
    pub sorted_all: Vec<f64>,
}

impl Prepared {
    /// Number of exact (uncensored) values.
    pub fn d(&self) -> f64 {
        self.x.len() as f64
    }

    /// Number of censored values.
    pub fn n_caps(&self) -> f64 {
        self.caps.iter().map(|c| c.1).sum()
    }

    pub fn mean_lx(&self) -> f64 {
        self.sum_lx / self.d()
    }

    /// Build from observations already checked to be finite and `> 0`.
    pub fn new(obs: &Observations) -> Prepared {
        let n = obs.values.len().max(1) as f64;
        let scale = (obs.values.iter().map(|v| v.ln()).sum::<f64>() / n).exp();
        let scale = if scale.is_finite() && scale > 0.0 {
            scale
        } else {
            1.0
        };
        let mut x = Vec::with_capacity(obs.values.len());
        let mut caps_raw = Vec::new();
        for (i, v) in obs.values.iter().enumerate() {
            if obs.is_censored(i) {
                caps_raw.push(v / scale)
            } else {
                x.push(v / scale)
            }
        }
        caps_raw.sort_by(|a, b| a.total_cmp(b));
        let mut caps: Vec<(f64, f64)> = Vec::new();
        for c in &caps_raw {
            match caps.last_mut() {
                Some(last) if last.0 == *c => last.1 += 1.0,
                _ => caps.push((*c, 1.0)),
            }
        }
        let lx: Vec<f64> = x.iter().map(|v| v.ln()).collect();
        let sum_lx: f64 = lx.iter().sum();
        let mean = sum_lx / (lx.len().max(1) as f64);
        let m2_lx = lx.iter().map(|l| (l - mean) * (l - mean)).sum();
        let sum_x = x.iter().sum();
        let mut sorted_all: Vec<f64> = obs.values.iter().map(|v| v / scale).collect();
        sorted_all.sort_by(|a, b| a.total_cmp(b));
        Prepared {
            scale,
            x,
            lx,
            caps,
            sum_lx,
            m2_lx,
            sum_x,
            sorted_all,
        }
    }

    /// Reasons a two-parameter fit cannot be made, shared by all families.
    fn check(&self) -> Result<(), String> {
        if self.x.len() < 2 {
            return Err(format!(
                "needs at least 2 uncensored values, has {}",
                self.x.len()
            ));
        }
        if self.x.iter().all(|v| *v == self.x[0]) || self.m2_lx.is_nan() || self.m2_lx <= 0.0 {
            return Err("all uncensored values are equal; use a fixed number".to_string());
        }
        Ok(())
    }
}

/// A fit in the units of the data, before goodness-of-fit scoring.
#[derive(Clone, Debug)]
pub(crate) struct Fitted {
    pub name: &'static str,
    pub family: Family,
    pub params: Vec<(&'static str, f64)>,
    pub k: usize,
    pub log_lik: f64,
    pub converged: bool,
    /// Remarks for the warnings list (e.g. a parameter at its bound).
    pub notes: Vec<String>,
}

/// Lognormal MLE on prepared data; see the module docs.
pub(crate) fn lognormal(p: &Prepared) -> Result<Fitted, String> {
    p.check()?;
    let d = p.d();
    let mu0 = p.mean_lx();
    let s0 = (p.m2_lx / d).sqrt();
    // ln L / d in scaled units, without the −Σ ln x term (added below).
    let ll_per = |mu: f64, sigma: f64| -> f64 {
        let ss = p.m2_lx + d * (mu0 - mu) * (mu0 - mu);
        let mut ll = -d * sigma.ln() - ss / (2.0 * sigma * sigma) - d * LN_SQRT_2PI;
        for (c, m) in &p.caps {
            ll += m * ln_norm_sf((c.ln() - mu) / sigma);
        }
        ll / d
    };
    let (mu, sigma, converged) = if p.caps.is_empty() {
        (mu0, s0, true)
    } else {
        let m = nelder_mead(
            |v| -ll_per(v[0], v[1].exp()),
            &[mu0, s0.ln()],
            &[0.2 * s0, 0.1],
            1e-13,
            1e-9,
        );
        (m.x[0], m.x[1].exp(), m.converged)
    };
    let ll = ll_per(mu, sigma) * d - p.sum_lx - d * p.scale.ln();
    let mu = mu + p.scale.ln();
    Ok(Fitted {
        name: "lognormal",
        family: Family::LogNormal { mu, sigma },
        params: vec![("mu", mu), ("sigma", sigma)],
        k: 2,
        log_lik: ll,
        converged,
        notes: vec![],
    })
}

/// Gamma shape by Minka's generalised Newton iteration from `s = ln x̄ − mean(ln x) > 0`.
fn gamma_shape(s: f64) -> (f64, bool) {
    let mut k = (3.0 - s + ((s - 3.0) * (s - 3.0) + 24.0 * s).sqrt()) / (12.0 * s);
    for _ in 0..100 {
        let num = k.ln() - digamma(k) - s;
        let den = k * k * (1.0 / k - trigamma(k));
        let inv = 1.0 / k + num / den;
        if !(inv > 0.0 && inv.is_finite()) {
            return (k, false);
        }
        let next = 1.0 / inv;
        if (next - k).abs() <= 1e-14 * k {
            return (next, true);
        }
        k = next;
    }
    (k, false)
}

/// Gamma MLE on prepared data; see the module docs.
pub(crate) fn gamma(p: &Prepared) -> Result<Fitted, String> {
    p.check()?;
    let d = p.d();
    let mean = p.sum_x / d;
    let s = mean.ln() - p.mean_lx();
    if s.is_nan() || s <= 0.0 {
        return Err("the data have no spread on the log scale".to_string());
    }
    let (k0, conv0) = gamma_shape(s);
    let ll = |k: f64, th: f64| -> f64 {
        let mut ll = (k - 1.0) * p.sum_lx - p.sum_x / th - d * (k * th.ln() + ln_gamma(k));
        for (c, m) in &p.caps {
            ll += m * ln_gamma_q(k, c / th);
        }
        ll
    };
    let (k, th, converged) = if p.caps.is_empty() {
        (k0, mean / k0, conv0)
    } else {
        let m = nelder_mead(
            |v| -ll(v[0].exp(), v[1].exp()) / d,
            &[k0.ln(), (mean / k0).ln()],
            &[0.1, 0.1],
            1e-13,
            1e-9,
        );
        (m.x[0].exp(), m.x[1].exp(), m.converged)
    };
    let log_lik = ll(k, th) - d * p.scale.ln();
    let scale = th * p.scale;
    Ok(Fitted {
        name: "gamma",
        family: Family::Gamma { shape: k, scale },
        params: vec![("shape", k), ("scale", scale)],
        k: 2,
        log_lik,
        converged,
        notes: vec![],
    })
}

/// Weibull MLE on prepared data; see the module docs.
pub(crate) fn weibull(p: &Prepared) -> Result<Fitted, String> {
    p.check()?;
    let d = p.d();
    let mean_u = p.mean_lx();
    // All log-values with weights: exact (1 each) and censored (multiplicity).
    let lmax =
        p.lx.iter()
            .copied()
            .chain(p.caps.iter().map(|c| c.0.ln()))
            .fold(f64::NEG_INFINITY, f64::max);
    // For shape k: (ln Σ w, weighted mean of ln x, weighted variance of ln x), w = x^k / e^(k·lmax).
    let moments = |k: f64| -> (f64, f64, f64) {
        let (mut s0, mut s1, mut s2) = (0.0, 0.0, 0.0);
        for l in &p.lx {
            let t = l - lmax;
            let w = (k * t).exp();
            s0 += w;
            s1 += w * t;
            s2 += w * t * t;
        }
        for (c, m) in &p.caps {
            let t = c.ln() - lmax;
            let w = m * (k * t).exp();
            s0 += w;
            s1 += w * t;
            s2 += w * t * t;
        }
        let a = s1 / s0;
        (s0.ln(), a + lmax, (s2 / s0 - a * a).max(0.0))
    };
    let h = |k: f64| -> (f64, f64) {
        let (_, a, v) = moments(k);
        (1.0 / k + mean_u - a, -1.0 / (k * k) - v)
    };
    // Method-of-moments start: sd(ln X) = π / (k√6) for a Weibull.
    let sd = (p.m2_lx / d).sqrt();
    let k0 = (std::f64::consts::PI / (6f64.sqrt() * sd)).clamp(1e-3, 1e3);
    let (mut lo, mut hi) = (k0, k0);
    while h(lo).0 <= 0.0 && lo > 1e-8 {
        lo /= 4.0;
    }
    let mut guard = 0;
    while h(hi).0 >= 0.0 && guard < 60 {
        hi *= 4.0;
        guard += 1;
    }
    if !(h(lo).0 > 0.0 && h(hi).0 < 0.0) {
        return Err("the Weibull shape equation has no root (degenerate data)".to_string());
    }
    let (k, converged) = newton_bisect(h, lo, hi, k0, 1e-13);
    let (lsw, _, _) = moments(k);
    // ln λ = lmax + (ln Σ w − ln d) / k; at the MLE Σ (x/λ)^k = d.
    let ln_lam = lmax + (lsw - d.ln()) / k;
    let ll = d * k.ln() - d * k * ln_lam + (k - 1.0) * p.sum_lx - d - d * p.scale.ln();
    let scale = (ln_lam).exp() * p.scale;
    Ok(Fitted {
        name: "weibull",
        family: Family::Weibull { shape: k, scale },
        params: vec![("shape", k), ("scale", scale)],
        k: 2,
        log_lik: ll,
        converged,
        notes: vec![],
    })
}

/// Check observations for a continuous fit: lengths, finiteness, signs, censoring.
/// Returns the number of zeros.
pub(crate) fn validate(quantity: &str, obs: &Observations) -> Result<usize, FitError> {
    let q = || quantity.to_string();
    if obs.values.is_empty() {
        return Err(FitError::Empty { quantity: q() });
    }
    if !obs.censored.is_empty() && obs.censored.len() != obs.values.len() {
        return Err(FitError::LengthMismatch {
            quantity: q(),
            values: obs.values.len(),
            flags: obs.censored.len(),
        });
    }
    let mut zeros = 0;
    for (index, &value) in obs.values.iter().enumerate() {
        if !value.is_finite() {
            return Err(FitError::NonFinite {
                quantity: q(),
                index,
                value,
            });
        }
        if value < 0.0 {
            return Err(FitError::Negative {
                quantity: q(),
                index,
                value,
            });
        }
        if value == 0.0 {
            zeros += 1;
        }
    }
    if obs.n_censored() == obs.values.len() {
        return Err(FitError::AllCensored {
            quantity: q(),
            n: obs.values.len(),
        });
    }
    Ok(zeros)
}

/// Fit one named continuous family (`lognormal`, `gamma`, `weibull`, `lognormal_gpd`) by
/// maximum likelihood, without goodness-of-fit scoring (`ks`, `aic`, … are filled; KS is
/// computed). This is the refit the bootstrap calls per replicate.
///
/// Errors: invalid data as for [`super::fit_continuous`]; a family that cannot be fitted
/// (zeros, fewer than 2 distinct values, too few tail points) is `Ok(None)`.
pub fn fit_continuous_family(
    name: &str,
    obs: &Observations,
) -> Result<Option<Candidate>, FitError> {
    let canon = super::canonical_family(name)
        .filter(|c| super::CONTINUOUS_FAMILIES.contains(c))
        .ok_or_else(|| FitError::UnknownFamily {
            quantity: "data".to_string(),
            name: name.to_string(),
            kind: "continuous",
            known: super::CONTINUOUS_FAMILIES.join(", "),
        })?;
    let zeros = validate("data", obs)?;
    if zeros > 0 {
        return Ok(None);
    }
    let p = Prepared::new(obs);
    let fitted = match fit_prepared(canon, &p) {
        Ok(f) => f,
        Err(_) => return Ok(None),
    };
    let ecdf = super::gof::Ecdf::new(&obs.values, &obs.censored);
    Ok(Some(super::select::score_continuous(
        fitted,
        &ecdf,
        obs.values.len(),
    )))
}

/// Dispatch a canonical continuous family name.
pub(crate) fn fit_prepared(canon: &str, p: &Prepared) -> Result<Fitted, String> {
    let f = match canon {
        "lognormal" => lognormal(p),
        "gamma" => gamma(p),
        "weibull" => weibull(p),
        "lognormal_gpd" => super::gpd::splice(p),
        other => Err(format!("`{other}` is not a continuous family")),
    }?;
    f.finite()
}

impl Fitted {
    /// Reject a fit whose parameters or likelihood overflowed (data spanning hundreds of
    /// orders of magnitude), so no NaN ever reaches a spec or a sampler.
    pub(crate) fn finite(self) -> Result<Fitted, String> {
        if self.log_lik.is_finite() && self.params.iter().all(|(_, v)| v.is_finite()) {
            Ok(self)
        } else {
            Err(format!(
                "numerical failure (ln L = {}, parameters {:?}); the values span too many orders of magnitude for this family",
                self.log_lik, self.params
            ))
        }
    }
}
