//! Generalized Pareto tails and the lognormal body + GPD tail splice.
//!
//! **GPD.** Excesses `y = x − u > 0` over a high threshold `u` follow approximately a
//! generalized Pareto law `G(y) = 1 − (1 + ξy/β)^(−1/ξ)` (Pickands 1975; Balkema & de Haan
//! 1974). The MLE uses Grimshaw's reduction (Grimshaw 1993, "Computing maximum likelihood
//! estimates for the generalized Pareto distribution", *Technometrics* 35): with
//! `θ = ξ/β`, for fixed `θ` the likelihood is maximised by `ξ̂(θ) = (1/m) Σ ln(1 + θyᵢ)`, so
//! the profile log-likelihood is one-dimensional,
//! `ℓ*(θ) = −m ln(ξ̂(θ)/θ) − m (1 + ξ̂(θ))`, with the exponential limit `−m ln ȳ − m` at
//! `θ = 0`. `ξ̂(θ)` increases with `θ`, so restricting `ξ` to `[−½, 0.95]` is an interval
//! of `θ`: `ξ ≥ −½` keeps the MLE regular (Smith 1985), `ξ < 1` keeps the mean finite (the
//! spec layer rejects `ξ ≥ 1`). The profile is maximised by a grid over that interval
//! (robust to the multiple local maxima Grimshaw describes) refined by golden section.
//! Censored excesses add `ln S(c − u) = −(1/ξ) ln(1 + ξ(c − u)/β)` and are fitted by
//! Nelder–Mead on `(ξ, ln β)` from the uncensored profile estimate.
//!
//! **Splice.** `LogNormalGpd`: the threshold `u` is the 90th percentile of the data (type-7
//! quantile); the tail probability is `t̂ = (#x > u)/n`; the body is a lognormal truncated
//! to `x ≤ u`, fitted by maximising `Σ_{x≤u} [ln f_LN(x) − ln F_LN(u)]`; the excesses get a
//! GPD. The three pieces have separate likelihoods, so their MLEs are the joint MLE given
//! `u`. The candidate needs ≥ 30 uncensored exceedances and every censoring point above `u`
//! (otherwise it is skipped with a reason). `k = 6`: `μ, σ, u, t, ξ, β` — the threshold is
//! chosen from the data, so it is counted (Scarrott & MacDonald 2012, "A review of extreme
//! value threshold estimation and uncertainty quantification", *REVSTAT* 10).

use crate::dist::Family;

use super::continuous::{Fitted, Prepared};
use super::optim::{golden_max, nelder_mead};
use super::select::quantile_sorted;
use super::special::{LN_SQRT_2PI, ln_norm_cdf};

/// Lower bound on the tail index `ξ` (regular MLE).
pub const XI_MIN: f64 = -0.5;
/// Upper bound on the tail index `ξ` (finite mean).
pub const XI_MAX: f64 = 0.95;
/// Quantile of the data used as the splice threshold.
pub const SPLICE_QUANTILE: f64 = 0.90;
/// Minimum uncensored exceedances for the splice.
pub const MIN_EXCEEDANCES: usize = 30;

/// A fitted GPD for excesses.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GpdFit {
    /// Tail index `ξ`.
    pub xi: f64,
    /// Scale `β` (units of the data).
    pub beta: f64,
    /// Maximised log-likelihood of the excesses.
    pub log_lik: f64,
    /// The optimiser converged.
    pub converged: bool,
    /// `ξ` ended on one of its bounds `[XI_MIN, XI_MAX]`.
    pub at_bound: bool,
}

/// `ln g(y)` of the GPD density.
pub fn gpd_ln_pdf(y: f64, xi: f64, beta: f64) -> f64 {
    if xi.abs() < 1e-12 {
        return -beta.ln() - y / beta;
    }
    let t = xi * y / beta;
    if t <= -1.0 {
        return f64::NEG_INFINITY;
    }
    -beta.ln() - (1.0 + 1.0 / xi) * t.ln_1p()
}

/// `ln S(y)` of the GPD survival function.
pub fn gpd_ln_sf(y: f64, xi: f64, beta: f64) -> f64 {
    if xi.abs() < 1e-12 {
        return -y / beta;
    }
    let t = xi * y / beta;
    if t <= -1.0 {
        return f64::NEG_INFINITY;
    }
    -t.ln_1p() / xi
}

fn xi_hat(theta: f64, y: &[f64]) -> f64 {
    y.iter().map(|v| (theta * v).ln_1p()).sum::<f64>() / y.len() as f64
}

/// Grimshaw's profile log-likelihood `ℓ*(θ)`.
fn profile(theta: f64, y: &[f64], ybar: f64) -> f64 {
    let m = y.len() as f64;
    if (theta * ybar).abs() < 1e-10 {
        return -m * ybar.ln() - m;
    }
    let xi = xi_hat(theta, y);
    let beta = xi / theta;
    if beta.is_nan() || beta <= 0.0 || !xi.is_finite() {
        return f64::NEG_INFINITY;
    }
    -m * beta.ln() - m * (1.0 + xi)
}

/// `θ` with `ξ̂(θ) = target` by bisection on `[a, b]` (`ξ̂` increases in `θ`).
fn theta_for_xi(target: f64, mut a: f64, mut b: f64, y: &[f64]) -> f64 {
    for _ in 0..200 {
        let mid = 0.5 * (a + b);
        if xi_hat(mid, y) < target {
            a = mid
        } else {
            b = mid
        }
        if (b - a).abs() <= 1e-15 * a.abs().max(b.abs()) {
            break;
        }
    }
    0.5 * (a + b)
}

/// GPD MLE for exact excesses `y > 0` and censored excesses `(c, multiplicity)`.
/// Errors when there are fewer than 2 distinct positive excesses.
pub fn fit_gpd(y: &[f64], censored: &[(f64, f64)]) -> Result<GpdFit, String> {
    if y.len() < 2 || y.iter().any(|v| v.is_nan() || *v <= 0.0) {
        return Err("the GPD needs at least 2 positive excesses".to_string());
    }
    let m = y.len() as f64;
    let ybar = y.iter().sum::<f64>() / m;
    let ymax = y.iter().copied().fold(0.0, f64::max);
    if y.iter().all(|v| *v == y[0]) {
        return Err("all excesses are equal".to_string());
    }
    // Feasible θ interval for ξ in [XI_MIN, XI_MAX].
    let t_lo = theta_for_xi(XI_MIN, -1.0 / ymax * (1.0 - 1e-12), 0.0, y);
    let mut t_top = 1.0 / ybar;
    let mut guard = 0;
    while xi_hat(t_top, y) < XI_MAX && guard < 200 {
        t_top *= 2.0;
        guard += 1;
    }
    let t_hi = theta_for_xi(XI_MAX, 0.0, t_top, y);
    // Grid: θ = 0, 24 points on [t_lo, 0), 48 geometric points on (0, t_hi].
    let mut grid: Vec<f64> = (0..24).map(|i| t_lo * (1.0 - i as f64 / 24.0)).collect();
    grid.push(0.0);
    let g0 = t_hi * 1e-4;
    grid.extend((0..48).map(|i| g0 * (t_hi / g0).powf(i as f64 / 47.0)));
    let vals: Vec<f64> = grid.iter().map(|&t| profile(t, y, ybar)).collect();
    let best = vals
        .iter()
        .copied()
        .enumerate()
        .fold(
            (0, f64::NEG_INFINITY),
            |a, (i, v)| if v > a.1 { (i, v) } else { a },
        )
        .0;
    let (a, b) = (
        grid[best.saturating_sub(1)],
        grid[(best + 1).min(grid.len() - 1)],
    );
    let (mut theta, mut ll) =
        golden_max(|t| profile(t, y, ybar), a, b, 1e-13 * (t_hi - t_lo).abs());
    if vals[best] > ll {
        theta = grid[best];
        ll = vals[best];
    }
    let (mut xi, mut beta) = if (theta * ybar).abs() < 1e-10 {
        (0.0, ybar)
    } else {
        let xi = xi_hat(theta, y);
        (xi, xi / theta)
    };
    let mut converged = ll.is_finite();
    if !censored.is_empty() {
        let nll = |v: &[f64]| -> f64 {
            let (xi, beta) = (v[0], v[1].exp());
            if !(XI_MIN..=XI_MAX).contains(&xi) {
                return f64::INFINITY;
            }
            let mut s = 0.0;
            for &yi in y {
                s += gpd_ln_pdf(yi, xi, beta);
            }
            for (c, k) in censored {
                s += k * gpd_ln_sf(*c, xi, beta);
            }
            -s / m
        };
        let start_xi = xi.clamp(XI_MIN + 0.01, XI_MAX - 0.01);
        let r = nelder_mead(nll, &[start_xi, beta.ln()], &[0.05, 0.1], 1e-13, 1e-9);
        xi = r.x[0];
        beta = r.x[1].exp();
        ll = -r.f * m;
        converged = r.converged;
    }
    let at_bound = (xi - XI_MIN).abs() < 1e-6 || (XI_MAX - xi).abs() < 1e-6;
    Ok(GpdFit {
        xi,
        beta,
        log_lik: ll,
        converged,
        at_bound,
    })
}

/// Lognormal body truncated at `ln u` (upper) by maximum likelihood; returns
/// `(mu, sigma, ln L, converged)` in the scaled units of `lx`.
fn truncated_lognormal(lx: &[f64], lu: f64) -> Result<(f64, f64, f64, bool), String> {
    let nb = lx.len() as f64;
    let mean = lx.iter().sum::<f64>() / nb;
    let m2: f64 = lx.iter().map(|l| (l - mean) * (l - mean)).sum();
    let sd = (m2 / nb).sqrt();
    if sd.is_nan() || sd <= 0.0 {
        return Err("the body values are all equal".to_string());
    }
    let sum_lx: f64 = lx.iter().sum();
    // ln L / n_b without the −Σ ln x term.
    let ll = |mu: f64, sigma: f64| -> f64 {
        let ss = m2 + nb * (mean - mu) * (mean - mu);
        (-nb * sigma.ln()
            - ss / (2.0 * sigma * sigma)
            - nb * LN_SQRT_2PI
            - nb * ln_norm_cdf((lu - mu) / sigma))
            / nb
    };
    // Keep the search in a box: a truncated normal whose log-density rises up to the cut has
    // its MLE at infinity; the box turns that into a non-converged fit instead of overflow.
    let (mu_lo, mu_hi) = (mean - 20.0 * sd, lu + 20.0 * sd);
    let (ls_lo, ls_hi) = ((sd * 1e-3).ln(), (sd * 1e3).ln());
    let r = nelder_mead(
        |v| {
            if v[0] < mu_lo || v[0] > mu_hi || v[1] < ls_lo || v[1] > ls_hi {
                return f64::INFINITY;
            }
            -ll(v[0], v[1].exp())
        },
        &[mean, sd.ln()],
        &[0.2 * sd, 0.1],
        1e-13,
        1e-9,
    );
    let (mu, sigma) = (r.x[0], r.x[1].exp());
    let interior = mu > mu_lo + sd && mu < mu_hi - sd && r.x[1] < ls_hi - 0.1;
    Ok((mu, sigma, -r.f * nb - sum_lx, r.converged && interior))
}

/// The lognormal + GPD splice on prepared (scaled) data; see the module docs.
pub(crate) fn splice(p: &Prepared) -> Result<Fitted, String> {
    let n = p.sorted_all.len() as f64;
    let u = quantile_sorted(&p.sorted_all, SPLICE_QUANTILE);
    if let Some((c, _)) = p.caps.first()
        && *c <= u
    {
        return Err(format!(
            "a censoring point ({:.6}) is at or below the splice threshold ({:.6}, the P{:.0} of the data); the tail is not observed",
            c * p.scale,
            u * p.scale,
            SPLICE_QUANTILE * 100.0
        ));
    }
    let excess: Vec<f64> = p.x.iter().filter(|v| **v > u).map(|v| v - u).collect();
    if excess.len() < MIN_EXCEEDANCES {
        return Err(format!(
            "only {} uncensored values above the P{:.0} threshold (needs ≥ {MIN_EXCEEDANCES})",
            excess.len(),
            SPLICE_QUANTILE * 100.0
        ));
    }
    let body: Vec<f64> =
        p.lx.iter()
            .zip(&p.x)
            .filter(|(_, x)| **x <= u)
            .map(|(l, _)| *l)
            .collect();
    if body.len() < 10 {
        return Err(format!(
            "only {} values in the body below the threshold (needs ≥ 10)",
            body.len()
        ));
    }
    let cens_excess: Vec<(f64, f64)> = p.caps.iter().map(|(c, k)| (c - u, *k)).collect();
    let m_tail = excess.len() as f64 + p.n_caps();
    let tail = m_tail / n;
    let (mu_s, sigma, ll_body, conv_body) = truncated_lognormal(&body, u.ln())?;
    let g = fit_gpd(&excess, &cens_excess)?;
    let nb = body.len() as f64;
    let d = p.d();
    let log_lik =
        nb * (1.0 - tail).ln() + ll_body + m_tail * tail.ln() + g.log_lik - d * p.scale.ln();
    let mu = mu_s + p.scale.ln();
    let threshold = u * p.scale;
    let beta = g.beta * p.scale;
    let mut notes = vec![];
    if g.at_bound {
        notes.push(format!(
            "the GPD tail index ξ = {:.3} sits on its bound [{XI_MIN}, {XI_MAX}]; the tail may be heavier (or lighter) than the splice can represent",
            g.xi
        ));
    }
    if !conv_body {
        notes.push(format!(
            "the splice body (values up to the threshold) is not lognormal-shaped: its truncated-lognormal MLE runs to the edge of the search box (mu = {mu:.3}, sigma = {sigma:.3})"
        ));
    }
    Ok(Fitted {
        name: "lognormal_gpd",
        family: Family::LogNormalGpd {
            mu,
            sigma,
            threshold,
            tail,
            xi: g.xi,
            beta,
        },
        params: vec![
            ("mu", mu),
            ("sigma", sigma),
            ("threshold", threshold),
            ("tail", tail),
            ("xi", g.xi),
            ("beta", beta),
        ],
        k: 6,
        log_lik,
        converged: conv_body && g.converged,
        notes,
    })
}
