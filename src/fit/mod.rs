//! Fitting workload distributions to samples: maximum likelihood, goodness of fit, model
//! selection and the bootstrap.
//!
//! `billcast fit` turns recorded transcripts into the distributions a scenario samples
//! (DESIGN §1.5). For each quantity this module fits every candidate family by maximum
//! likelihood, scores it, picks one by AIC and always keeps the empirical distribution too:
//!
//! | kind | candidates | method |
//! |---|---|---|
//! | continuous (tokens) | lognormal, gamma, Weibull, lognormal + generalized Pareto tail | [`continuous`], [`gpd`] |
//! | count (tool calls, turns) | Poisson, negative binomial, zero-inflated NB, geometric | [`count`] |
//!
//! - **Censoring.** An output that hit `max_tokens` is right-censored: its true length is at
//!   least the recorded value. Continuous fits maximise the censored likelihood
//!   `Σ_exact ln f(xᵢ) + Σ_censored ln S(cⱼ)` (Klein & Moeschberger, *Survival Analysis*,
//!   2003, §3.5), so a capped sample does not bias the fitted tail downwards.
//! - **Zeros.** Every continuous candidate has support `x > 0`. When the data contain zeros
//!   the continuous candidates are *excluded* with a warning (rather than shifting the data,
//!   which would silently change every quantile by the shift), and the result carries only
//!   the empirical distribution: model the zero share separately, or use it.
//! - **Selection** ([`select`]): AIC `= 2k − 2 ln L` ranks the families (Akaike 1974), ties
//!   within 2 units going to the simpler one (Burnham & Anderson 2002); BIC
//!   `= k ln n − 2 ln L` is reported; goodness of fit is the Kolmogorov–Smirnov distance for
//!   continuous data and a binned chi-square for counts ([`gof`]); the *tail support* is the
//!   number of observations at or above the chosen fit's P99.
//! - **Bootstrap** ([`bootstrap`]): whole groups (sessions) resampled with replacement,
//!   deterministic for a seed, so the engine can carry parameter uncertainty.
//!
//! Nothing here prints, reads files or draws random numbers except the seeded bootstrap.

pub mod bootstrap;
pub mod continuous;
pub mod count;
pub mod drift;
pub mod gof;
pub mod gpd;
pub mod observe;
pub(crate) mod optim;
pub mod select;
pub mod special;
pub mod workload;

#[cfg(test)]
mod tests;

use std::fmt;

use crate::dist::Family;

pub use bootstrap::{bootstrap_groups, percentile_interval};
pub use continuous::fit_continuous_family;
pub use count::fit_count_family;
pub use select::{fit_continuous, fit_count};

/// Names of the continuous candidate families, as accepted by [`FitOptions::families`] and
/// written by [`Candidate::to_spec`].
pub const CONTINUOUS_FAMILIES: &[&str] = &["lognormal", "gamma", "weibull", "lognormal_gpd"];

/// Names of the count candidate families.
pub const COUNT_FAMILIES: &[&str] = &["poisson", "negative_binomial", "zinb", "geometric"];

/// What kind of quantity was fitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Sizes measured on a continuous scale (token counts are treated as continuous).
    Continuous,
    /// Whole-number counts (tool calls per turn, turns per session).
    Count,
}

/// Continuous observations with optional right-censoring flags.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Observations {
    /// Observed values (e.g. output tokens per call).
    pub values: Vec<f64>,
    /// `true` = right-censored at that value (the output hit `max_tokens`, so the true length
    /// is at least the value). Empty means "nothing censored"; otherwise one flag per value.
    pub censored: Vec<bool>,
}

impl Observations {
    /// Fully observed values.
    pub fn exact(values: Vec<f64>) -> Observations {
        Observations {
            values,
            censored: Vec::new(),
        }
    }

    /// Values with one censoring flag each.
    pub fn with_censoring(values: Vec<f64>, censored: Vec<bool>) -> Observations {
        Observations { values, censored }
    }

    /// Whether value `i` is censored.
    pub fn is_censored(&self, i: usize) -> bool {
        self.censored.get(i).copied().unwrap_or(false)
    }

    /// Number of censored values.
    pub fn n_censored(&self) -> usize {
        self.censored.iter().filter(|c| **c).count()
    }
}

/// Options for [`fit_continuous`] and [`fit_count`].
#[derive(Clone, Debug, PartialEq)]
pub struct FitOptions {
    /// Restrict the candidates to these family names (see [`CONTINUOUS_FAMILIES`] and
    /// [`COUNT_FAMILIES`]; aliases such as `negbin` are accepted). `None` fits them all.
    pub families: Option<Vec<String>>,
    /// Seed for randomised steps. The fits themselves are deterministic and draw nothing;
    /// the seed is kept so callers can pass one value through to [`bootstrap_groups`].
    pub seed: u64,
    /// Fewer observations than this (uncensored, for continuous data) and no parametric
    /// family is fitted: the result carries the empirical distribution and a warning.
    pub min_n: usize,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            families: None,
            seed: 0,
            min_n: 20,
        }
    }
}

/// One fitted candidate family.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// Family name as written in a spec (`lognormal`, `negative_binomial`, …).
    pub name: &'static str,
    /// The fitted distribution, in the units of the data.
    pub family: Family,
    /// Fitted parameters by spec name (e.g. `("mu", 5.1), ("sigma", 0.8)`).
    pub params: Vec<(&'static str, f64)>,
    /// Number of free parameters (for AIC/BIC); the splice counts its threshold.
    pub k: usize,
    /// Maximised log-likelihood `ln L` (natural log, densities in 1/unit of the data).
    pub log_lik: f64,
    /// `2k − 2 ln L`.
    pub aic: f64,
    /// `k ln n − 2 ln L`.
    pub bic: f64,
    /// Kolmogorov–Smirnov distance `sup |F̂ − F|` (continuous only; against the Kaplan–Meier
    /// estimate when some values are censored).
    pub ks: Option<f64>,
    /// Asymptotic KS p-value. Optimistic: the parameters were estimated from the same data
    /// (Lilliefors 1967), so a true family scores higher than a uniform p-value would.
    pub ks_p: Option<f64>,
    /// Binned chi-square statistic (counts only).
    pub chi2: Option<f64>,
    /// Chi-square p-value with `cells − 1 − k` degrees of freedom (counts only; `None` when
    /// fewer than two cells have an expected count of 5).
    pub chi2_p: Option<f64>,
    /// The optimiser met its tolerances (closed forms always converge).
    pub converged: bool,
}

impl Candidate {
    /// A `{ dist = ... }` table that `Uncertain::from_toml` parses back to exactly
    /// [`Candidate::family`].
    pub fn to_spec(&self) -> toml::Value {
        family_to_spec(&self.family)
    }
}

/// Data summary: mean and quantiles of the recorded values (type-7 linear interpolation,
/// Hyndman & Fan 1996). Censored values enter at their recorded (capped) value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    /// Arithmetic mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest value.
    pub max: f64,
}

/// Everything `billcast fit` reports for one quantity.
#[derive(Clone, Debug, PartialEq)]
pub struct FitResult {
    /// The quantity's name (e.g. `output_tokens`), used in warnings.
    pub quantity: String,
    /// Continuous or count.
    pub kind: Kind,
    /// Number of observations.
    pub n: usize,
    /// How many of them are right-censored.
    pub n_censored: usize,
    /// Fitted candidates sorted by AIC, best first. May be empty (too few observations,
    /// zeros in continuous data, degenerate data): then use [`FitResult::empirical`].
    pub candidates: Vec<Candidate>,
    /// Index of the chosen candidate: among converged candidates within 2 AIC units of the
    /// best, the one with the fewest parameters (see [`select`]). Meaningless when
    /// `candidates` is empty; prefer [`FitResult::best`].
    pub chosen: usize,
    /// The recorded values as an empirical distribution (always present).
    pub empirical: Family,
    /// Mean and quantiles of the data.
    pub summary: Summary,
    /// Observations at or above the chosen fit's P99 (the empirical P99 when nothing was
    /// fitted): how many data points support the tail.
    pub tail_support: usize,
    /// Problems worth telling the user, one sentence each with what to do.
    pub warnings: Vec<String>,
}

impl FitResult {
    /// The chosen candidate, if any was fitted.
    pub fn best(&self) -> Option<&Candidate> {
        self.candidates.get(self.chosen)
    }

    /// The chosen family, or the empirical distribution when nothing was fitted.
    pub fn best_family(&self) -> &Family {
        self.best().map(|c| &c.family).unwrap_or(&self.empirical)
    }

    /// The candidate with this family name.
    pub fn candidate(&self, name: &str) -> Option<&Candidate> {
        self.candidates.iter().find(|c| c.name == name)
    }
}

/// Why a fit could not start. Each message says what to do.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum FitError {
    /// No values.
    #[error(
        "{quantity}: no observations to fit; supply at least one value or set the distribution by hand"
    )]
    Empty {
        /// Quantity name.
        quantity: String,
    },
    /// NaN or infinite value.
    #[error(
        "{quantity}: values[{index}] is {value}; remove non-finite values (NaN, inf) before fitting"
    )]
    NonFinite {
        /// Quantity name.
        quantity: String,
        /// Position in the input.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// Negative size or count.
    #[error(
        "{quantity}: values[{index}] is {value}, but sizes and counts cannot be negative; check how it was parsed or drop it"
    )]
    Negative {
        /// Quantity name.
        quantity: String,
        /// Position in the input.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// A count that is not a whole number.
    #[error(
        "{quantity}: values[{index}] is {value}, not a whole number; counts must be integers (or fit this quantity as continuous)"
    )]
    NotInteger {
        /// Quantity name.
        quantity: String,
        /// Position in the input.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// Every value is censored.
    #[error(
        "{quantity}: all {n} observations are censored (they hit max_tokens); fit needs some complete values: raise max_tokens for a sample run or use the empirical distribution"
    )]
    AllCensored {
        /// Quantity name.
        quantity: String,
        /// Number of observations.
        n: usize,
    },
    /// Censoring flags do not line up with values.
    #[error(
        "{quantity}: {values} values but {flags} censoring flags; give one flag per value (or none)"
    )]
    LengthMismatch {
        /// Quantity name.
        quantity: String,
        /// Number of values.
        values: usize,
        /// Number of flags.
        flags: usize,
    },
    /// A requested family is unknown for this kind of data.
    #[error("{quantity}: `{name}` is not a {kind} family; use one of: {known}")]
    UnknownFamily {
        /// Quantity name.
        quantity: String,
        /// The name as given.
        name: String,
        /// `continuous` or `count`.
        kind: &'static str,
        /// Comma-separated valid names.
        known: String,
    },
}

/// Canonical family name for user input (case, `-`/space, and the aliases `dist::spec`
/// accepts); `None` when unknown.
pub fn canonical_family(name: &str) -> Option<&'static str> {
    let n = name.trim().to_ascii_lowercase().replace(['-', ' '], "_");
    let canon = match n.as_str() {
        "lognormal" | "log_normal" | "lognorm" => "lognormal",
        "gamma" => "gamma",
        "weibull" => "weibull",
        "lognormal_gpd" | "lognormal_pareto" | "lognormal+gpd" | "splice" => "lognormal_gpd",
        "poisson" => "poisson",
        "negative_binomial" | "negbin" | "nbinom" | "negativebinomial" => "negative_binomial",
        "zinb" | "zero_inflated_negative_binomial" | "zero_inflated_negbin" => "zinb",
        "geometric" => "geometric",
        _ => return None,
    };
    Some(canon)
}

/// A `{ dist = ... }` TOML table for any [`Family`] that `Uncertain::from_toml` parses back
/// to the same family (parameters written in the family's own parameterisation, so the
/// round trip is exact). `Poisson { lambda: 0 }` and zero-mean negative binomials come back
/// as `Fixed(0)`, which is how the spec layer represents them.
pub fn family_to_spec(family: &Family) -> toml::Value {
    let mut t = toml::Table::new();
    let mut put = |k: &str, v: f64| {
        t.insert(k.to_string(), toml::Value::Float(v));
    };
    let name = match family {
        Family::Fixed(v) => {
            put("value", *v);
            "fixed"
        }
        Family::Normal { mu, sd } => {
            put("mu", *mu);
            put("sd", *sd);
            "normal"
        }
        Family::LogNormal { mu, sigma } => {
            put("mu", *mu);
            put("sigma", *sigma);
            "lognormal"
        }
        Family::LogitNormal { mu, sd } => {
            put("mu", *mu);
            put("sd", *sd);
            "logitnormal"
        }
        Family::Gamma { shape, scale } => {
            put("shape", *shape);
            put("scale", *scale);
            "gamma"
        }
        Family::Beta { a, b } => {
            put("alpha", *a);
            put("beta", *b);
            "beta"
        }
        Family::Uniform { lo, hi } => {
            put("low", *lo);
            put("high", *hi);
            "uniform"
        }
        Family::Triangular { lo, mode, hi } => {
            put("low", *lo);
            put("mode", *mode);
            put("high", *hi);
            "triangular"
        }
        Family::Weibull { shape, scale } => {
            put("shape", *shape);
            put("scale", *scale);
            "weibull"
        }
        Family::LogNormalGpd {
            mu,
            sigma,
            threshold,
            tail,
            xi,
            beta,
        } => {
            put("mu", *mu);
            put("sigma", *sigma);
            put("threshold", *threshold);
            put("tail", *tail);
            put("xi", *xi);
            put("beta", *beta);
            "lognormal_gpd"
        }
        Family::Poisson { lambda } => {
            put("mean", *lambda);
            "poisson"
        }
        Family::NegBin { mean, r } => {
            put("mean", *mean);
            put("dispersion", *r);
            "negative_binomial"
        }
        Family::Zinb { zero, mean, r } => {
            put("zero", *zero);
            put("mean", *mean);
            put("dispersion", *r);
            "zinb"
        }
        Family::Geometric { p } => {
            put("p", *p);
            "geometric"
        }
        Family::Empirical(values) => {
            t.insert(
                "values".to_string(),
                toml::Value::Array(values.iter().map(|v| toml::Value::Float(*v)).collect()),
            );
            "empirical"
        }
    };
    t.insert("dist".to_string(), toml::Value::String(name.to_string()));
    toml::Value::Table(t)
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Continuous => "continuous",
            Kind::Count => "count",
        })
    }
}
