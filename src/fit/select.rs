//! Fitting every candidate, scoring it and choosing one: the entry points
//! [`fit_continuous`] and [`fit_count`].
//!
//! Selection is by AIC `= 2k − 2 ln L` (Akaike 1974); candidates are sorted by it, smallest
//! first, and BIC `= k ln n − 2 ln L` (Schwarz 1978) is reported alongside. The *chosen*
//! candidate applies the parsimony rule of Burnham & Anderson (2002, *Model Selection and
//! Multimodel Inference*, §2.6): among converged candidates within [`AIC_TIE`] = 2 units of
//! the best AIC — which the data do not distinguish — take the one with the fewest
//! parameters (then the lower AIC). The six-parameter splice can mimic a lognormal tail: on
//! 200 seeded lognormal samples of n = 5,000 it had the lower AIC 9 times, and was chosen 2
//! times with the rule.
//!
//! Warnings (one sentence each, saying what to do):
//! - fewer than `min_n` usable values, zeros in continuous data, degenerate data;
//! - a family that could not be fitted (and why), or did not converge;
//! - no candidate fits: every KS (or chi-square) p-value below 0.001;
//! - the P99 of the chosen fit rests on fewer than 30 observations (tail support);
//! - more than half of the values censored.

use std::sync::Arc;

use crate::dist::Family;

use super::continuous::{Fitted, Prepared, fit_prepared, validate};
use super::count::{self, Table, fit_table};
use super::gof::{Ecdf, chi_square_counts, ks_pvalue};
use super::{Candidate, FitError, FitOptions, FitResult, Kind, Observations, Summary};

/// p-value below which a fit is flagged as not fitting.
pub const NO_FIT_P: f64 = 0.001;
/// AIC differences below this are treated as ties, resolved towards fewer parameters.
pub const AIC_TIE: f64 = 2.0;
/// Minimum observations at or above the P99 before the tail is trusted.
pub const MIN_TAIL_SUPPORT: usize = 30;

/// Type-7 quantile (linear interpolation between order statistics; Hyndman & Fan 1996) of
/// ascending data; NaN for empty data.
pub fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * p.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

fn summarize(sorted: &[f64]) -> Summary {
    Summary {
        mean: sorted.iter().sum::<f64>() / sorted.len().max(1) as f64,
        p50: quantile_sorted(sorted, 0.5),
        p95: quantile_sorted(sorted, 0.95),
        p99: quantile_sorted(sorted, 0.99),
        max: sorted.last().copied().unwrap_or(f64::NAN),
    }
}

fn ic(f: &Fitted, n: usize) -> (f64, f64) {
    let k = f.k as f64;
    (
        2.0 * k - 2.0 * f.log_lik,
        k * (n as f64).ln() - 2.0 * f.log_lik,
    )
}

/// `family.cdf(x)`, guarded where `Family::cdf` reaches a panicking statrs path: statrs'
/// gamma CDF unwraps `gamma_lr(shape, x/scale)`, which rejects an argument that underflowed
/// to 0 (e.g. `x = 1e-200`, `scale = 1e200`); the CDF there is 0 to double precision.
fn fit_cdf(family: &Family, x: f64) -> f64 {
    if let Family::Gamma { scale, .. } = family {
        let z = x / scale;
        if x > 0.0 && z == 0.0 {
            return 0.0;
        }
        if z.is_infinite() {
            return 1.0;
        }
    }
    family.cdf(x)
}

/// Score a continuous fit: AIC, BIC and KS against `ecdf` (the data's ECDF, Kaplan–Meier
/// when censored) on `n` observations.
pub(crate) fn score_continuous(f: Fitted, ecdf: &Ecdf, n: usize) -> Candidate {
    let (aic, bic) = ic(&f, n);
    let fam = &f.family;
    let d = ecdf.distance(|x| fit_cdf(fam, x));
    Candidate {
        name: f.name,
        family: f.family,
        params: f.params,
        k: f.k,
        log_lik: f.log_lik,
        aic,
        bic,
        ks: Some(d),
        ks_p: Some(ks_pvalue(d, n)),
        chi2: None,
        chi2_p: None,
        converged: f.converged,
    }
}

/// Score a count fit: AIC, BIC and the binned chi-square.
pub(crate) fn score_count(f: Fitted, t: &Table) -> Candidate {
    let n = t.n as usize;
    let (aic, bic) = ic(&f, n);
    let chi = chi_square_counts(&t.rows, |x| count::ln_pmf(&f.family, x).exp(), f.k);
    Candidate {
        name: f.name,
        family: f.family,
        params: f.params,
        k: f.k,
        log_lik: f.log_lik,
        aic,
        bic,
        ks: None,
        ks_p: None,
        chi2: chi.map(|c| c.0),
        chi2_p: chi.map(|c| c.1),
        converged: f.converged,
    }
}

/// Resolve `opts.families` against the allowed names for this kind.
fn requested(
    quantity: &str,
    opts: &FitOptions,
    allowed: &'static [&'static str],
    kind: Kind,
) -> Result<Vec<&'static str>, FitError> {
    let Some(names) = &opts.families else {
        return Ok(allowed.to_vec());
    };
    let mut out = Vec::new();
    for name in names {
        let canon = super::canonical_family(name)
            .filter(|c| allowed.contains(c))
            .ok_or_else(|| FitError::UnknownFamily {
                quantity: quantity.to_string(),
                name: name.clone(),
                kind: match kind {
                    Kind::Continuous => "continuous",
                    Kind::Count => "count",
                },
                known: allowed.join(", "),
            })?;
        if !out.contains(&canon) {
            out.push(canon);
        }
    }
    Ok(out)
}

/// Index of the chosen candidate in AIC-sorted `cands`: the fewest parameters among
/// converged candidates within [`AIC_TIE`] of the best converged AIC (0 when none converged).
pub fn choose(cands: &[Candidate]) -> usize {
    let Some(best) = cands
        .iter()
        .filter(|c| c.converged)
        .map(|c| c.aic)
        .reduce(f64::min)
    else {
        return 0;
    };
    cands
        .iter()
        .enumerate()
        .filter(|(_, c)| c.converged && c.aic - best < AIC_TIE)
        .min_by(|a, b| a.1.k.cmp(&b.1.k).then(a.1.aic.total_cmp(&b.1.aic)))
        .map(|(i, _)| i)
        .unwrap_or(0)
}

/// Sort by AIC, choose, compute tail support and the common warnings.
fn finish(mut res: FitResult, sorted: &[f64], kind: Kind) -> FitResult {
    res.candidates.sort_by(|a, b| a.aic.total_cmp(&b.aic));
    res.chosen = choose(&res.candidates);
    let q = &res.quantity;
    if !res.candidates.is_empty() && res.candidates.iter().all(|c| !c.converged) {
        res.warnings.push(format!("{q}: no candidate's optimiser converged; the ranking is approximate, prefer the empirical distribution"));
    }
    let p99 = match res.best() {
        Some(c) => c.family.quantile(0.99),
        None => quantile_sorted(sorted, 0.99),
    };
    res.tail_support = sorted.len() - sorted.partition_point(|v| *v < p99);
    if res.tail_support < MIN_TAIL_SUPPORT {
        res.warnings.push(format!(
            "{q}: P99 ({p99:.4}) rests on {} observations (< {MIN_TAIL_SUPPORT}); collect more data or treat the tail as a guess",
            res.tail_support
        ));
    }
    let pvals: Vec<f64> = res
        .candidates
        .iter()
        .filter_map(|c| match kind {
            Kind::Continuous => c.ks_p,
            Kind::Count => c.chi2_p,
        })
        .collect();
    if !pvals.is_empty()
        && pvals.len() == res.candidates.len()
        && pvals.iter().all(|p| *p < NO_FIT_P)
    {
        let test = match kind {
            Kind::Continuous => "KS",
            Kind::Count => "chi-square",
        };
        res.warnings.push(format!("{q}: no candidate fits ({test} p < {NO_FIT_P}): use the empirical distribution or resample"));
    }
    res
}

/// Fit the continuous candidates (lognormal, gamma, Weibull, lognormal + GPD splice) to
/// `obs` by maximum likelihood (censoring-aware), score them and choose by AIC.
///
/// Data must be finite and `≥ 0` with at least one uncensored value; zeros exclude every
/// candidate (see the module docs of [`crate::fit`]).
pub fn fit_continuous(
    quantity: &str,
    obs: &Observations,
    opts: &FitOptions,
) -> Result<FitResult, FitError> {
    let names = requested(quantity, opts, super::CONTINUOUS_FAMILIES, Kind::Continuous)?;
    let zeros = validate(quantity, obs)?;
    let n = obs.values.len();
    let n_censored = obs.n_censored();
    let mut sorted = obs.values.clone();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let mut res = FitResult {
        quantity: quantity.to_string(),
        kind: Kind::Continuous,
        n,
        n_censored,
        candidates: vec![],
        chosen: 0,
        empirical: Family::Empirical(Arc::new(sorted.clone())),
        summary: summarize(&sorted),
        tail_support: 0,
        warnings: vec![],
    };
    let q = quantity;
    if 2 * n_censored > n {
        res.warnings.push(format!(
            "{q}: {n_censored} of {n} values are censored (hit max_tokens); the fitted tail is an extrapolation: raise max_tokens in a sample run to observe it"
        ));
    }
    let usable = n - n_censored;
    if zeros > 0 {
        res.warnings.push(format!(
            "{q}: {zeros} of {n} values are 0 and lognormal, gamma, Weibull and the splice need x > 0, so none was fitted; use the empirical distribution, or fit the non-zero values and model the share of zeros separately"
        ));
    } else if usable < opts.min_n.max(2) {
        res.warnings.push(format!(
            "{q}: only {usable} uncensored values (< {}); no family was fitted, use the empirical distribution",
            opts.min_n.max(2)
        ));
    } else {
        let p = Prepared::new(obs);
        let ecdf = Ecdf::new(&obs.values, &obs.censored);
        for name in names {
            match fit_prepared(name, &p) {
                Ok(f) => {
                    for note in &f.notes {
                        res.warnings.push(format!("{q}: {note}"));
                    }
                    if !f.converged {
                        res.warnings.push(format!(
                            "{q}: the {name} fit did not converge; its parameters are approximate"
                        ));
                    }
                    res.candidates.push(score_continuous(f, &ecdf, n));
                }
                Err(why) => res.warnings.push(format!("{q}: {name} not fitted: {why}")),
            }
        }
    }
    Ok(finish(res, &sorted, Kind::Continuous))
}

/// Fit the count candidates (Poisson, negative binomial, ZINB, geometric) to whole-number
/// data by maximum likelihood, score them with a binned chi-square and choose by AIC.
pub fn fit_count(quantity: &str, data: &[f64], opts: &FitOptions) -> Result<FitResult, FitError> {
    let names = requested(quantity, opts, super::COUNT_FAMILIES, Kind::Count)?;
    count::validate(quantity, data)?;
    let n = data.len();
    let mut sorted = data.to_vec();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let mut res = FitResult {
        quantity: quantity.to_string(),
        kind: Kind::Count,
        n,
        n_censored: 0,
        candidates: vec![],
        chosen: 0,
        empirical: Family::Empirical(Arc::new(sorted.clone())),
        summary: summarize(&sorted),
        tail_support: 0,
        warnings: vec![],
    };
    let q = quantity;
    let t = Table::new(data);
    if t.mean == 0.0 {
        res.warnings.push(format!(
            "{q}: all {n} counts are 0; no family was fitted, use the fixed value 0"
        ));
    } else if n < opts.min_n.max(2) {
        res.warnings.push(format!(
            "{q}: only {n} values (< {}); no family was fitted, use the empirical distribution",
            opts.min_n.max(2)
        ));
    } else {
        for name in names {
            match fit_table(name, &t) {
                Ok(f) => {
                    for note in &f.notes {
                        res.warnings.push(format!("{q}: {note}"));
                    }
                    if !f.converged {
                        res.warnings.push(format!(
                            "{q}: the {name} fit did not converge; its parameters are approximate"
                        ));
                    }
                    res.candidates.push(score_count(f, &t));
                }
                Err(why) => res.warnings.push(format!("{q}: {why}")),
            }
        }
    }
    Ok(finish(res, &sorted, Kind::Count))
}
