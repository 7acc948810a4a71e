//! Maximum-likelihood fits of count families: Poisson, negative binomial, zero-inflated
//! negative binomial (ZINB) and geometric.
//!
//! Data are tabulated once as (value, frequency), so every likelihood costs one term per
//! distinct value.
//!
//! - **Poisson** `Poisson { lambda }`: `λ̂ = x̄`.
//! - **Geometric** `Geometric { p }` on `{0, 1, …}`: `p̂ = 1/(1 + x̄)`.
//! - **Negative binomial** `NegBin { mean, r }` (variance `mean + mean²/r`): for any `r` the
//!   MLE of the mean is `x̄`, so `r` solves the profile score
//!   `g(r) = Σᵢ [ψ(xᵢ + r) − ψ(r)] + n ln(r/(r + x̄)) = 0` (Lawless 1987, "Negative binomial and
//!   mixed Poisson regression", *Can. J. Statist.* 15), by bracketed Newton on `ln r` with
//!   `g′(r) = Σᵢ [ψ₁(xᵢ + r) − ψ₁(r)] + n x̄ / (r(r + x̄))`, started at the method-of-moments
//!   value `r₀ = x̄² / (s² − x̄)`. A finite root exists iff the sample variance `s²` (divisor
//!   n) exceeds `x̄` (Levin & Reeds 1977); otherwise the MLE is the Poisson limit `r → ∞` and
//!   the candidate falls back to the Poisson (it is omitted, with a note).
//! - **ZINB** `Zinb { zero π, mean μ, r }`:
//!   `P(0) = π + (1 − π)(r/(r + μ))^r`, `P(x > 0) = (1 − π) NB(x; μ, r)`, maximised directly
//!   over `(logit π, ln μ, ln r)` by Nelder–Mead from two starts (the NB fit with a small `π`,
//!   and a moment guess that puts the excess zeros in `π`); the better optimum is kept.
//!   Omitted when there are no zeros (`π̂ = 0`: it is the NB).

use crate::dist::Family;

use super::continuous::Fitted;
use super::optim::{nelder_mead, newton_bisect};
use super::special::{digamma_diff, ln_factorial, ln_gamma_diff, trigamma_diff};
use super::{Candidate, FitError};

/// Count data as a frequency table.
#[derive(Clone, Debug)]
pub(crate) struct Table {
    /// (value, frequency), ascending by value.
    pub rows: Vec<(f64, f64)>,
    /// Number of observations.
    pub n: f64,
    /// Sample mean.
    pub mean: f64,
    /// Sample variance with divisor n.
    pub var: f64,
}

impl Table {
    pub fn new(data: &[f64]) -> Table {
        let mut sorted = data.to_vec();
        sorted.sort_by(|a, b| a.total_cmp(b));
        let mut rows: Vec<(f64, f64)> = Vec::new();
        for v in sorted {
            match rows.last_mut() {
                Some(last) if last.0 == v => last.1 += 1.0,
                _ => rows.push((v, 1.0)),
            }
        }
        let n = data.len() as f64;
        let mean = rows.iter().map(|(v, c)| v * c).sum::<f64>() / n;
        let var = rows
            .iter()
            .map(|(v, c)| c * (v - mean) * (v - mean))
            .sum::<f64>()
            / n;
        Table { rows, n, mean, var }
    }

    /// Frequency of zeros.
    pub fn zeros(&self) -> f64 {
        self.rows
            .first()
            .filter(|r| r.0 == 0.0)
            .map(|r| r.1)
            .unwrap_or(0.0)
    }
}

/// `ln P(X = x)` of a negative binomial with mean `mu` and dispersion `r`.
///
/// `r ln(r/(r+μ))` is computed as `−r ln(1 + μ/r)` and the gamma ratio by
/// [`ln_gamma_diff`], so the Poisson limit `r → ∞` stays accurate.
pub fn negbin_ln_pmf(x: f64, mu: f64, r: f64) -> f64 {
    let head = -r * (mu / r).ln_1p();
    let tail = if x > 0.0 {
        x * (mu.ln() - (r + mu).ln())
    } else {
        0.0
    };
    ln_gamma_diff(x, r) - ln_factorial(x) + head + tail
}

/// `ln P(X = x)` for every count family in `dist::Family` (NaN for other families).
pub fn ln_pmf(f: &Family, x: f64) -> f64 {
    match f {
        Family::Poisson { lambda } => {
            if *lambda == 0.0 {
                return if x == 0.0 { 0.0 } else { f64::NEG_INFINITY };
            }
            x * lambda.ln() - lambda - ln_factorial(x)
        }
        Family::NegBin { mean, r } => negbin_ln_pmf(x, *mean, *r),
        Family::Zinb { zero, mean, r } => {
            if x == 0.0 {
                (zero + (1.0 - zero) * negbin_ln_pmf(0.0, *mean, *r).exp()).ln()
            } else {
                (1.0 - zero).ln() + negbin_ln_pmf(x, *mean, *r)
            }
        }
        Family::Geometric { p } => {
            if x == 0.0 {
                p.ln()
            } else {
                p.ln() + x * (1.0 - p).ln()
            }
        }
        _ => f64::NAN,
    }
}

fn loglik(t: &Table, f: &Family) -> f64 {
    t.rows.iter().map(|(v, c)| c * ln_pmf(f, *v)).sum()
}

pub(crate) fn poisson(t: &Table) -> Result<Fitted, String> {
    let family = Family::Poisson { lambda: t.mean };
    Ok(Fitted {
        name: "poisson",
        log_lik: loglik(t, &family),
        family,
        params: vec![("mean", t.mean)],
        k: 1,
        converged: true,
        notes: vec![],
    })
}

pub(crate) fn geometric(t: &Table) -> Result<Fitted, String> {
    let p = 1.0 / (1.0 + t.mean);
    let family = Family::Geometric { p };
    Ok(Fitted {
        name: "geometric",
        log_lik: loglik(t, &family),
        family,
        params: vec![("p", p)],
        k: 1,
        converged: true,
        notes: vec![],
    })
}

/// The NB dispersion MLE, or `None` when `s² ≤ x̄` (Poisson limit).
fn negbin_r(t: &Table) -> Option<(f64, bool)> {
    // NaN-safe: a NaN variance also falls back.
    if t.var.is_nan() || t.var <= t.mean {
        return None;
    }
    let m = t.mean;
    let n = t.n;
    // Score and derivative with respect to ρ = ln r.
    let score = |rho: f64| -> (f64, f64) {
        let r = rho.exp();
        let mut g = n * (r / (r + m)).ln();
        let mut dg = n * m / (r * (r + m));
        for (v, c) in &t.rows {
            g += c * digamma_diff(*v, r);
            dg += c * trigamma_diff(*v, r);
        }
        (g, dg * r)
    };
    let r0 = m * m / (t.var - m);
    let (mut lo, mut hi) = (r0.ln() - 1.0, r0.ln() + 1.0);
    let mut guard = 0;
    while score(lo).0 <= 0.0 && guard < 60 {
        lo -= 2.0;
        guard += 1;
    }
    guard = 0;
    while score(hi).0 >= 0.0 && guard < 60 {
        hi += 2.0;
        guard += 1;
    }
    if !(score(lo).0 > 0.0 && score(hi).0 < 0.0) {
        return None;
    }
    let (rho, ok) = newton_bisect(score, lo, hi, r0.ln(), 1e-14);
    Some((rho.exp(), ok))
}

pub(crate) fn negbin(t: &Table) -> Result<Fitted, String> {
    let (r, converged) = negbin_r(t).ok_or_else(|| {
        format!(
            "negative binomial omitted: the variance ({:.4}) does not exceed the mean ({:.4}), so its MLE is the Poisson",
            t.var, t.mean
        )
    })?;
    let family = Family::NegBin { mean: t.mean, r };
    Ok(Fitted {
        name: "negative_binomial",
        log_lik: loglik(t, &family),
        family,
        params: vec![("mean", t.mean), ("dispersion", r)],
        k: 2,
        converged,
        notes: vec![],
    })
}

pub(crate) fn zinb(t: &Table) -> Result<Fitted, String> {
    let n0 = t.zeros();
    if n0 == 0.0 {
        return Err("zero-inflated negative binomial omitted: the data have no zeros".to_string());
    }
    if n0 == t.n {
        return Err("all counts are zero".to_string());
    }
    // Every ZINB has variance ≥ mean (equality only at π = 0, r = ∞), so on data with
    // s² ≤ x̄ its likelihood climbs towards the Poisson limit without an interior maximum.
    if t.var.is_nan() || t.var <= t.mean {
        return Err(format!(
            "zero-inflated negative binomial omitted: the variance ({:.4}) does not exceed the mean ({:.4}), so it reduces to the Poisson",
            t.var, t.mean
        ));
    }
    let max_x = t.rows.last().map(|r| r.0).unwrap_or(1.0).max(1.0);
    let nll = |v: &[f64]| -> f64 {
        let pi = 1.0 / (1.0 + (-v[0]).exp());
        let (mu, r) = (v[1].exp(), v[2].exp());
        // Box: r ≤ 1e8 (the NB is then Poisson to 1e-8 in relative variance) and μ at most
        // 1e3 × the largest count; beyond it the likelihood is flat or absurd.
        if mu.is_nan() || mu <= 0.0 || mu > 1e3 * max_x || r.is_nan() || r <= 1e-8 || r > 1e8 {
            return f64::INFINITY;
        }
        let f = Family::Zinb {
            zero: pi,
            mean: mu,
            r,
        };
        -loglik(t, &f) / t.n
    };
    let logit = |p: f64| (p / (1.0 - p)).ln();
    // Start 1: the NB (or Poisson-like) fit with π = 0.02.
    let (m1, r1) = match negbin_r(t) {
        Some((r, _)) => (t.mean, r),
        None => (t.mean, 50.0),
    };
    // Start 2: excess zeros in π; the positives' mean for μ; r from their moments.
    let pos: Vec<&(f64, f64)> = t.rows.iter().filter(|r| r.0 > 0.0).collect();
    let npos: f64 = pos.iter().map(|r| r.1).sum();
    let mpos = pos.iter().map(|r| r.0 * r.1).sum::<f64>() / npos;
    let vpos = pos
        .iter()
        .map(|r| r.1 * (r.0 - mpos) * (r.0 - mpos))
        .sum::<f64>()
        / npos;
    let r2 = if vpos > mpos {
        mpos * mpos / (vpos - mpos)
    } else {
        10.0
    };
    let pi2 = (n0 / t.n * 0.8).clamp(0.01, 0.99);
    let starts = [
        [logit(0.02), m1.ln(), r1.ln()],
        [logit(pi2), mpos.ln(), r2.clamp(0.05, 1e3).ln()],
    ];
    let mut best: Option<super::optim::Minimum> = None;
    for s in starts {
        let r = nelder_mead(nll, &s, &[0.5, 0.1, 0.3], 1e-13, 1e-9);
        if best.as_ref().is_none_or(|b| r.f < b.f) {
            best = Some(r);
        }
    }
    let b = best.ok_or("no ZINB start")?;
    let zero = 1.0 / (1.0 + (-b.x[0]).exp());
    let (mean, r) = (b.x[1].exp(), b.x[2].exp());
    let family = Family::Zinb { zero, mean, r };
    let mut notes = vec![];
    if zero < 1e-6 {
        notes.push("zero-inflated negative binomial: the zero share is 0, so it reduces to the negative binomial".to_string());
    }
    Ok(Fitted {
        name: "zinb",
        log_lik: loglik(t, &family),
        family,
        params: vec![("zero", zero), ("mean", mean), ("dispersion", r)],
        k: 3,
        converged: b.converged,
        notes,
    })
}

/// Check count data: non-empty, finite, non-negative whole numbers.
pub(crate) fn validate(quantity: &str, data: &[f64]) -> Result<(), FitError> {
    let q = || quantity.to_string();
    if data.is_empty() {
        return Err(FitError::Empty { quantity: q() });
    }
    for (index, &value) in data.iter().enumerate() {
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
        if value != value.trunc() || value > 9.0e15 {
            return Err(FitError::NotInteger {
                quantity: q(),
                index,
                value,
            });
        }
    }
    Ok(())
}

pub(crate) fn fit_table(canon: &str, t: &Table) -> Result<Fitted, String> {
    if t.mean == 0.0 {
        return Err("all counts are zero; use the fixed value 0".to_string());
    }
    let f = match canon {
        "poisson" => poisson(t),
        "negative_binomial" => negbin(t),
        "zinb" => zinb(t),
        "geometric" => geometric(t),
        other => Err(format!("`{other}` is not a count family")),
    }?;
    f.finite()
}

/// Fit one named count family (`poisson`, `negative_binomial`, `zinb`, `geometric`) by
/// maximum likelihood, scored like the candidates of [`super::fit_count`]. A family that
/// cannot be fitted to these data (all zeros, NB with variance ≤ mean, ZINB without zeros)
/// is `Ok(None)`.
pub fn fit_count_family(name: &str, data: &[f64]) -> Result<Option<Candidate>, FitError> {
    let canon = super::canonical_family(name)
        .filter(|c| super::COUNT_FAMILIES.contains(c))
        .ok_or_else(|| FitError::UnknownFamily {
            quantity: "data".to_string(),
            name: name.to_string(),
            kind: "count",
            known: super::COUNT_FAMILIES.join(", "),
        })?;
    validate("data", data)?;
    let t = Table::new(data);
    match fit_table(canon, &t) {
        Ok(f) => Ok(Some(super::select::score_count(f, &t))),
        Err(_) => Ok(None),
    }
}
