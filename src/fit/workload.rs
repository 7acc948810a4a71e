//! Fit every quantity the data supports and write the workload file a scenario uses with
//! `[workload] from = "workload.toml"`.
//!
//! Each quantity gets the family chosen by [`super::select`]; counts that are at least one
//! (turns per session, tool calls per round) are fitted as `x − 1` and written with
//! `offset = 1`. Parameter uncertainty travels with the file: `B` bootstrap replicates resample
//! whole sessions, refit the chosen families and are stored as `[[workload.replicates]]`; the
//! engine draws one replicate per trial, so 50 sessions give wider bands than 5,000.
//! Logs whose sessions have several calls also store the recorded sessions and write
//! `mode = "resample"` ([`WorkloadFitOptions::resample`]): replaying whole sessions reproduces the
//! log's own totals, which independent draws of the fitted laws do not (issue 18).
//! Cache hit rate and failure probabilities are written as Beta posteriors under Jeffreys'
//! prior, `Beta(k + ½, n − k + ½)`, which carries their sampling uncertainty the same way.

use rayon::prelude::*;
use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::observe::{Observed, Series};
use super::{
    FitError, FitOptions, FitResult, Kind, Observations, bootstrap_groups, family_to_spec,
};
use crate::dist::Family;
use crate::units::format_count;

/// Options of a workload fit.
#[derive(Clone, Debug)]
pub struct WorkloadFitOptions {
    /// Bootstrap replicates (0 = none).
    pub bootstrap: usize,
    /// Seed of the bootstrap.
    pub seed: u64,
    /// Options passed to each fit (families, minimum sample size).
    pub fit: FitOptions,
    /// Store recorded sessions and write `mode = "resample"`: `Some(true)` always,
    /// `Some(false)` never, `None` when sessions have more than one call ([`Observed::one_call`]
    /// is false), where replaying whole sessions keeps what independent draws lose — how a
    /// session's turns, tool rounds and sizes move together, on which input cost depends
    /// quadratically (issue 18: in-sample input +26% on tau2 with independent draws).
    pub resample: Option<bool>,
    /// Largest number of sessions stored for resampling.
    pub max_resample_sessions: usize,
}

impl Default for WorkloadFitOptions {
    fn default() -> Self {
        WorkloadFitOptions {
            bootstrap: 50,
            seed: 42,
            fit: FitOptions::default(),
            resample: None,
            max_resample_sessions: 5_000,
        }
    }
}

/// One fitted quantity.
#[derive(Clone, Debug)]
pub struct QuantityFit {
    /// Workload key, e.g. `output_tokens`.
    pub key: &'static str,
    /// The fit.
    pub result: FitResult,
    /// The law written to the workload file (offset not included): the chosen family, or the
    /// data's own distribution (see [`EMPIRICAL_MIN_N`]).
    pub family: Family,
    /// Why the empirical distribution was written instead of the chosen family.
    pub empirical_reason: Option<String>,
    /// Added to draws (1 for counts fitted as `x − 1`).
    pub offset: f64,
    /// The `{ dist = … }` written for it.
    pub spec: toml::Value,
    /// The data as fitted (after the offset), for diagnostics charts.
    pub data: Observations,
}

/// A failure class estimated from the data.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RetryFit {
    /// `rate_limit`, `overload`, `timeout`, `invalid_output`.
    pub class: Cow<'static, str>,
    /// Failed attempts.
    pub failures: usize,
    /// All attempts.
    pub attempts: usize,
    /// Whether the class is billed (by its default rule).
    pub billed: bool,
    /// Beta posterior parameters.
    pub alpha: f64,
    /// Beta posterior parameters.
    pub beta: f64,
}

/// The fitted workload.
#[derive(Clone, Debug)]
pub struct FittedWorkload {
    /// Fitted quantities.
    pub quantities: Vec<QuantityFit>,
    /// Bootstrap replicates: workload key → spec.
    pub replicates: Vec<toml::Table>,
    /// System prompt estimate, tokens.
    pub system_prompt_tokens: Option<f64>,
    /// Output cap, tokens.
    pub max_output_tokens: Option<f64>,
    /// Calls that read from the cache and calls with token counts.
    pub cache_hits: Option<(usize, usize)>,
    /// What the cache holds, when calls read from it: `history` when most calls after a
    /// session's first call read more than the session's static prefix, else `system`
    /// ([`cacheable`]).
    pub cacheable: Option<&'static str>,
    /// Why `cacheable` was chosen, with the counts, one line.
    pub cacheable_reason: Option<String>,
    /// Failure classes seen.
    pub retries: Vec<RetryFit>,
    /// Attempts per call seen.
    pub max_attempts: Option<u32>,
    /// Recorded sessions for `resample`.
    pub sessions: Option<Vec<Vec<[f64; 3]>>>,
    /// Between-window drift of sizes and counts in the fit data, the data's part of the
    /// `[shift]` written with the file.
    pub drift: super::drift::Drift,
    /// Input per call is sampled directly.
    pub call_level: bool,
    /// One call per session (a request log): volumes are requests.
    pub one_call: bool,
    /// Calls and sessions used.
    pub n_calls: usize,
    /// Sessions used.
    pub n_sessions: usize,
    /// Decisions taken.
    pub notes: Vec<String>,
    /// Problems the user should know about.
    pub warnings: Vec<String>,
}

struct Plan {
    key: &'static str,
    kind: Kind,
    offset: f64,
    series: Series,
}

fn plans(o: &Observed) -> Vec<Plan> {
    let positive = |s: &Series| {
        // Zero-size messages or tool results are artefacts of the delta method (e.g. a tool
        // that returned nothing); continuous families need x > 0.
        let mut out = Series::default();
        for i in 0..s.len() {
            if s.values[i] > 0.0 {
                out.values.push(s.values[i]);
                out.session.push(s.session[i]);
                if !s.censored.is_empty() {
                    out.censored.push(s.censored[i]);
                }
            }
        }
        out
    };
    let shifted = |s: &Series| {
        let mut out = s.clone();
        out.values.iter_mut().for_each(|v| *v = (*v - 1.0).max(0.0));
        out
    };
    let mut v = vec![Plan {
        key: "output_tokens",
        kind: Kind::Continuous,
        offset: 0.0,
        series: positive(&o.output),
    }];
    if !o.reasoning.is_empty() {
        v.push(Plan {
            key: "reasoning_tokens",
            kind: Kind::Continuous,
            offset: 0.0,
            series: o.reasoning.clone(),
        });
    }
    if o.call_level {
        v.push(Plan {
            key: "input_tokens",
            kind: Kind::Continuous,
            offset: 0.0,
            series: positive(&o.input),
        });
    }
    // Sessions of several calls keep their structure whichever input model the data calls for
    // (order as in the workload file: turns, user messages, tool rounds, tool results).
    if !o.one_call {
        v.push(Plan {
            key: "turns_per_session",
            kind: Kind::Count,
            offset: 1.0,
            series: shifted(&o.turns),
        });
        if !o.call_level {
            v.push(Plan {
                key: "user_message_tokens",
                kind: Kind::Continuous,
                offset: 0.0,
                series: positive(&o.user_message),
            });
        }
        v.push(Plan {
            key: "tool_rounds_per_turn",
            kind: Kind::Count,
            offset: 0.0,
            series: o.tool_rounds.clone(),
        });
        if !o.tool_calls_per_round.is_empty() {
            v.push(Plan {
                key: "tool_calls_per_round",
                kind: Kind::Count,
                offset: 1.0,
                series: shifted(&o.tool_calls_per_round),
            });
        }
    }
    if !o.call_level && !o.tool_result.is_empty() {
        v.push(Plan {
            key: "tool_result_tokens",
            kind: Kind::Continuous,
            offset: 0.0,
            series: positive(&o.tool_result),
        });
    }
    v
}

fn observations(s: &Series) -> Observations {
    if s.censored.iter().any(|c| *c) {
        Observations::with_censoring(s.values.clone(), s.censored.clone())
    } else {
        Observations::exact(s.values.clone())
    }
}

/// With at least this many observations, a quantity whose best family is rejected by its
/// goodness-of-fit test (p < 0.001) or misses the data's mean by more than
/// [`EMPIRICAL_MEAN_GAP`] is written as the data's own distribution: with that much data the
/// empirical law is the better model of the body, and per-call tails average out in a month.
pub const EMPIRICAL_MIN_N: usize = 1_000;
/// Largest relative gap between a family's mean and the data's mean that is accepted.
pub const EMPIRICAL_MEAN_GAP: f64 = 0.02;
/// Values kept for an empirical law in the workload file (and in each replicate).
pub const EMPIRICAL_BINS: usize = 1_000;
/// Values kept for an empirical law in each bootstrap replicate.
pub const EMPIRICAL_BINS_REPLICATE: usize = 200;

/// An empirical law small enough to write: the sorted data cut into `k` equally likely bins,
/// each represented by its mean, so the law's mean is exactly the data's mean.
fn empirical_family(values: &[f64], k: usize) -> Family {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(|a, b| a.total_cmp(b));
    let k = v.len().min(k).max(1);
    let n = v.len();
    let bins: Vec<f64> = (0..k)
        .map(|i| {
            let (a, b) = (i * n / k, ((i + 1) * n / k).max(i * n / k + 1).min(n));
            v[a..b].iter().sum::<f64>() / (b - a) as f64
        })
        .collect();
    Family::Empirical(std::sync::Arc::new(bins))
}

fn empirical_spec(values: &[f64], k: usize) -> toml::Value {
    family_to_spec(&empirical_family(values, k))
}

/// Whether to write the empirical law instead of the chosen family, and why.
fn empirical_reason(r: &FitResult, data: &Observations) -> Option<String> {
    if data.values.len() < EMPIRICAL_MIN_N {
        return None;
    }
    let Some(best) = r.best() else {
        return Some("no family could be fitted".into());
    };
    let p = best.ks_p.or(best.chi2_p);
    if p.is_some_and(|p| p < 0.001) {
        let ks = best
            .ks
            .map(|d| format!(", KS distance {d:.3}"))
            .unwrap_or_default();
        return Some(format!(
            "{} is rejected by its goodness-of-fit test (p < 0.001{ks})",
            best.name
        ));
    }
    // Compare means only when few values are censored (their true sizes are unknown).
    if data.n_censored() * 100 <= data.values.len() {
        let data_mean = data.values.iter().sum::<f64>() / data.values.len() as f64;
        let gap = (best.family.mean() - data_mean) / data_mean;
        if gap.abs() > EMPIRICAL_MEAN_GAP {
            return Some(format!(
                "{}'s mean is {:+.1}% off the data's",
                best.name,
                gap * 100.0
            ));
        }
    }
    None
}

fn with_offset(mut spec: toml::Value, offset: f64) -> toml::Value {
    if let (true, toml::Value::Table(t)) = (offset != 0.0, &mut spec) {
        t.insert("offset".into(), toml::Value::Float(offset));
    }
    spec
}

fn fit_one(
    key: &str,
    kind: Kind,
    data: &Observations,
    opts: &FitOptions,
) -> Result<FitResult, FitError> {
    match kind {
        Kind::Continuous => super::fit_continuous(key, data, opts),
        Kind::Count => super::fit_count(key, &data.values, opts),
    }
}

/// Fit the workload.
pub fn fit_workload(o: &Observed, opts: &WorkloadFitOptions) -> Result<FittedWorkload, FitError> {
    let mut quantities = Vec::new();
    let mut warnings = Vec::new();
    let mut notes = o.notes.clone();
    let plans = plans(o);
    for p in &plans {
        if p.series.len() < opts.fit.min_n.max(1) {
            warnings.push(format!(
                "{}: only {} observations (need {}); not fitted — set it in the scenario",
                p.key,
                p.series.len(),
                opts.fit.min_n.max(1)
            ));
            continue;
        }
        let data = observations(&p.series);
        let result = fit_one(p.key, p.kind, &data, &opts.fit)?;
        let empirical = empirical_reason(&result, &data);
        for w in &result.warnings {
            // "use the empirical distribution" is advice already taken below.
            if empirical.is_none() || !w.contains("no candidate fits") {
                warnings.push(w.clone());
            }
        }
        let family = match (&empirical, result.best()) {
            (None, Some(c)) => c.family.clone(),
            _ => empirical_family(&data.values, EMPIRICAL_BINS),
        };
        if let Some(why) = &empirical {
            notes.push(format!(
                "{}: {why}; the data's own distribution is used ({} observations)",
                p.key,
                data.values.len()
            ));
        }
        let spec = with_offset(family_to_spec(&family), p.offset);
        quantities.push(QuantityFit {
            key: p.key,
            result,
            family,
            empirical_reason: empirical,
            offset: p.offset,
            spec,
            data,
        });
    }
    // Bootstrap: resample whole sessions, refit each chosen family.
    let replicates = if opts.bootstrap > 0 && o.n_sessions >= 2 {
        let draws = bootstrap_groups(&vec![(); o.n_sessions], opts.bootstrap, opts.seed);
        let indexed: Vec<(&Plan, Vec<Vec<usize>>)> = plans
            .iter()
            .filter(|p| quantities.iter().any(|q| q.key == p.key))
            .map(|p| (p, p.series.index_by_session(o.n_sessions)))
            .collect();
        draws
            .par_iter()
            .map(|sessions| {
                let mut table = toml::Table::new();
                for (p, by_session) in &indexed {
                    let Some(q) = quantities.iter().find(|q| q.key == p.key) else {
                        continue;
                    };
                    let series = p.series.resample(by_session, sessions);
                    if series.is_empty() {
                        continue;
                    }
                    let data = observations(&series);
                    let spec = match q.result.best().filter(|_| q.empirical_reason.is_none()) {
                        Some(c) => {
                            let refit = match p.kind {
                                Kind::Continuous => super::fit_continuous_family(c.name, &data),
                                Kind::Count => super::fit_count_family(c.name, &data.values),
                            };
                            match refit {
                                Ok(Some(r)) => with_offset(r.to_spec(), p.offset),
                                // A replicate the family cannot fit keeps the full-data fit.
                                _ => q.spec.clone(),
                            }
                        }
                        None => with_offset(
                            empirical_spec(&data.values, EMPIRICAL_BINS_REPLICATE),
                            p.offset,
                        ),
                    };
                    table.insert(p.key.to_string(), spec);
                }
                table
            })
            .collect()
    } else {
        if opts.bootstrap > 0 {
            warnings.push("fewer than 2 sessions: no bootstrap replicates, so the forecast carries no parameter uncertainty".into());
        }
        Vec::new()
    };
    if !replicates.is_empty() {
        notes.push(format!(
            "{} bootstrap replicates (whole sessions resampled, chosen families refitted)",
            replicates.len()
        ));
    }
    let drift = super::drift::Drift::of_sessions(&o.recorded).of_rates(&o.session_rates);
    let cache_hits = (o.cache.calls > 0 && o.cache.calls_with_reads > 0)
        .then_some((o.cache.calls_with_reads, o.cache.calls));
    if let (Some((hits, calls)), Some(spread)) = (cache_hits, drift.cache_hit)
        && let Some(line) = rate_spread_note("cache hits per call", hits, calls, &spread)
    {
        notes.push(line);
    }
    let (cacheable, cacheable_reason) = match cache_hits {
        Some(_) => {
            let (c, why) = cacheable(o);
            (Some(c), Some(why))
        }
        None => (None, None),
    };
    let names = ["rate_limit", "overload", "timeout", "invalid_output"];
    let billed = [false, false, true, true];
    let retries: Vec<RetryFit> = (0..4)
        .filter(|&i| o.failures.by_class[i] > 0)
        .map(|i| {
            let (k, n) = (o.failures.by_class[i], o.failures.attempts);
            let tau2 = drift.failures[i].map_or(0.0, |d| d.tau2);
            let (alpha, beta) = super::drift::widened_beta(k, n, tau2);
            RetryFit {
                class: Cow::Borrowed(names[i]),
                failures: k,
                attempts: n,
                billed: billed[i],
                alpha,
                beta,
            }
        })
        .collect();
    for (i, spread) in drift.failures.iter().enumerate() {
        let (k, n) = (o.failures.by_class[i], o.failures.attempts);
        if let Some(spread) = spread.filter(|_| k > 0) {
            let what = format!("{} failures per attempt", names[i]);
            if let Some(line) = rate_spread_note(&what, k, n, &spread) {
                notes.push(line);
            }
        }
    }
    if o.failures.other > 0 {
        notes.push(format!(
            "{} failures are not retried by clients (4xx, expired, cancelled) and are not modelled as retries",
            o.failures.other
        ));
    }
    let max_attempts =
        (!retries.is_empty()).then_some(o.failures.max_attempt.max(if retries.is_empty() {
            1
        } else {
            2
        }));
    let sessions = opts.resample.unwrap_or(!o.one_call).then(|| {
        let mut s: Vec<Vec<[f64; 3]>> = o
            .recorded
            .iter()
            .filter(|v| !v.is_empty())
            .cloned()
            .collect();
        if s.len() > opts.max_resample_sessions {
            // Evenly spaced subset: deterministic and representative of the whole log.
            let step = s.len() as f64 / opts.max_resample_sessions as f64;
            s = (0..opts.max_resample_sessions)
                .map(|i| s[(i as f64 * step) as usize].clone())
                .collect();
        }
        s
    });
    Ok(FittedWorkload {
        quantities,
        replicates,
        system_prompt_tokens: o.system_prompt,
        max_output_tokens: o.cap,
        cache_hits,
        cacheable,
        cacheable_reason,
        retries,
        max_attempts,
        sessions,
        drift,
        call_level: o.call_level,
        one_call: o.one_call,
        n_calls: o.n_calls,
        n_sessions: o.n_sessions,
        notes,
        warnings,
    })
}

/// What the cache holds, from the calls that can tell: those that read from the cache after
/// their session's first call. Each is compared with its session's static prefix (first-call
/// input less the median user message: the system prompt and tool schemas as the fit
/// estimates them). `history` when more than half of them read more than the prefix plus
/// [`CACHE_STEP_TOKENS`](super::observe::CACHE_STEP_TOKENS) (the cache reached into the
/// conversation), else `system`. Returns
/// the choice and its reason with the counts.
pub fn cacheable(o: &Observed) -> (&'static str, String) {
    let c = &o.cache;
    if o.call_level {
        return (
            "system",
            "call-level workload: no history is modelled, so only the static prefix can be cached"
                .into(),
        );
    }
    if c.later_hits == 0 {
        return (
            "system",
            "no call after the first of a session read from the cache, so nothing shows the history cached".into(),
        );
    }
    let prefix = c.prefix_median.unwrap_or(0.0);
    let history = 2 * c.beyond_prefix > c.later_hits;
    let reach = if c.reach_previous > 0 {
        format!(
            ", and {} read the previous call's whole input",
            format_count(c.reach_previous as f64)
        )
    } else {
        String::new()
    };
    (
        if history { "history" } else { "system" },
        format!(
            "{} of {} calls that read from the cache after their session's first call read more than the static prefix (each session's first-call input less the median user message; median {} tokens){reach}: {}",
            format_count(c.beyond_prefix as f64),
            format_count(c.later_hits as f64),
            format_count(prefix),
            if history {
                "the history is cached"
            } else {
                "only the static prefix is cached"
            }
        ),
    )
}

/// TOML text of a value on one line (inline tables and arrays).
pub fn inline(v: &toml::Value) -> String {
    match v {
        toml::Value::Table(t) => {
            let parts: Vec<String> = t
                .iter()
                .map(|(k, v)| format!("{} = {}", key(k), inline(v)))
                .collect();
            format!("{{ {} }}", parts.join(", "))
        }
        toml::Value::Array(a) => {
            format!("[{}]", a.iter().map(inline).collect::<Vec<_>>().join(", "))
        }
        toml::Value::Float(f) => fmt_float(*f),
        other => other.to_string(),
    }
}

fn key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_string()
    } else {
        toml::Value::String(k.to_string()).to_string()
    }
}

/// Shortest text that reads back as the same float, always with a decimal point or exponent.
fn fmt_float(f: f64) -> String {
    if f.is_finite() && f == f.trunc() && f.abs() < 1e15 {
        format!("{f:.1}")
    } else {
        format!("{f:?}")
    }
}

/// Rounded to 4 decimals: the precision a written law parameter carries.
fn round4(f: f64) -> f64 {
    (f * 1e4).round() / 1e4
}

/// The note `fit` prints when a rate moves between windows of the log beyond sampling noise:
/// the window range and the widened law's P5–P95. `None` when it does not move.
fn rate_spread_note(
    what: &str,
    k: usize,
    n: usize,
    spread: &super::drift::RateSpread,
) -> Option<String> {
    if spread.tau2 <= 0.0 {
        return None;
    }
    let (a, b) = super::drift::widened_beta(k, n, spread.tau2);
    let law = Family::Beta { a, b };
    Some(format!(
        "{what}: {:.1}% overall, but {:.1}%–{:.1}% between {} consecutive windows of the log (between-window SD {:.1} points beyond sampling noise): carried as Beta({:.3}, {:.3}), P5–P95 {:.1}%–{:.1}%",
        100.0 * spread.rate,
        100.0 * spread.range.0,
        100.0 * spread.range.1,
        spread.windows,
        100.0 * spread.tau2.sqrt(),
        a,
        b,
        100.0 * law.quantile(0.05),
        100.0 * law.quantile(0.95)
    ))
}

impl FittedWorkload {
    /// `[shift]` from the data's drift combined with the calibrated prior
    /// ([`FITTED_SHIFT_SIGMA`](crate::fit::drift::FITTED_SHIFT_SIGMA)); nothing when the log has
    /// too few sessions to tell (the scenario's default, the prior alone, applies).
    fn shift_toml(&self, out: &mut String) {
        let d = &self.drift;
        let (Some(size), Some(count)) = (d.size, d.count) else {
            return;
        };
        let prior = crate::fit::drift::FITTED_SHIFT_SIGMA;
        let (s, c) = d.shift_sigma(prior, prior);
        out.push_str(&format!(
            "\n[shift]    # fit: between-window variance of per-session means over {} consecutive windows of the log (random effects, method of moments) as σ_data, combined with the calibrated prior σ {prior} as √(σ_data² + σ_prior²)\n",
            size.windows
        ));
        let lognormal = |sigma: f64| {
            format!(
                "{{ dist = \"lognormal\", median = 1.0, sigma = {} }}",
                fmt_float(round4(sigma))
            )
        };
        out.push_str(&format!(
            "size = {}    # σ_data {:.3} of tokens per call (mean {})\n",
            lognormal(s),
            size.sigma,
            format_count(size.mean)
        ));
        out.push_str(&format!(
            "count = {}    # σ_data {:.3} of calls per session (mean {:.2})\n",
            lognormal(c),
            count.sigma,
            count.mean
        ));
    }

    /// The workload file. `header` lines are written as comments at the top; `source` is a
    /// table of provenance (files, hashes).
    pub fn to_toml(&self, header: &[String], source: &toml::Table) -> String {
        let mut out = String::new();
        for h in header {
            out.push_str(&format!("# {h}\n"));
        }
        out.push_str("schema_version = 1\nkind = \"workload\"\n\n[source]\n");
        for (k, v) in source {
            out.push_str(&format!("{} = {}\n", key(k), inline(v)));
        }
        out.push_str("\n[workload]\n");
        if let Some(s) = self.system_prompt_tokens {
            out.push_str(&format!(
                "system_prompt_tokens = {s:.0}    # estimated from first-call inputs\n"
            ));
        }
        if let Some(c) = self.max_output_tokens {
            out.push_str(&format!(
                "max_output_tokens = {c:.0}    # output cap seen in the data\n"
            ));
        }
        if self.one_call {
            out.push_str("turns_per_session = 1    # call-level data: one request per session\n");
        }
        for q in &self.quantities {
            let r = &q.result;
            let chosen = match (&q.empirical_reason, r.best()) {
                (None, Some(c)) => c.name.to_string(),
                (Some(why), _) => format!("empirical: {why}"),
                (None, None) => "empirical".to_string(),
            };
            let mut comment = format!("n = {}", r.n);
            if r.n_censored > 0 {
                comment.push_str(&format!(", {} censored", r.n_censored));
            }
            comment.push_str(&format!(", {chosen}"));
            if let Some(ks) = r.best().and_then(|c| c.ks) {
                comment.push_str(&format!(", KS {ks:.3}"));
            }
            if let (Some(best), Some(next)) = (
                r.best(),
                r.candidates
                    .iter()
                    .find(|c| c.converged && Some(c.name) != r.best().map(|b| b.name)),
            ) {
                comment.push_str(&format!(
                    ", runner-up {} ΔAIC {:.1}",
                    next.name,
                    next.aic - best.aic
                ));
            }
            out.push_str(&format!("{} = {}    # {comment}\n", q.key, inline(&q.spec)));
        }
        if let Some(sessions) = &self.sessions {
            out.push_str("mode = \"resample\"    # replay recorded sessions (set \"parametric\" to use the fits)\n");
            out.push_str("sessions = [\n");
            for s in sessions {
                let calls: Vec<String> = s
                    .iter()
                    .map(|c| format!("[{}, {}, {}]", c[0], c[1], c[2]))
                    .collect();
                out.push_str(&format!("  [{}],\n", calls.join(", ")));
            }
            out.push_str("]\n");
        }
        for rep in &self.replicates {
            out.push_str("\n[[workload.replicates]]\n");
            for (k, v) in rep {
                out.push_str(&format!("{k} = {}\n", inline(v)));
            }
        }
        self.shift_toml(&mut out);
        if let Some((hits, calls)) = self.cache_hits {
            let tau2 = self.drift.cache_hit.map_or(0.0, |d| d.tau2);
            let (alpha, beta) = super::drift::widened_beta(hits, calls, tau2);
            let why = match self.drift.cache_hit.filter(|d| d.tau2 > 0.0) {
                Some(d) => format!(
                    "{hits} of {calls} calls read from the cache; the rate moves between windows of the log ({:.1}%–{:.1}%), so the law is widened by that drift",
                    100.0 * d.range.0,
                    100.0 * d.range.1
                ),
                None => format!("{hits} of {calls} calls read from the cache"),
            };
            out.push_str(&format!(
                "\n[caching]\nhit_rate = {{ dist = \"beta\", alpha = {}, beta = {} }}    # {why}\n",
                fmt_float(round4(alpha)),
                fmt_float(round4(beta))
            ));
            if let Some(c) = self.cacheable {
                let why = self.cacheable_reason.as_deref().unwrap_or("");
                out.push_str(&format!("cacheable = \"{c}\"    # {why}\n"));
            }
        }
        if !self.retries.is_empty() {
            out.push_str("\n[retries]\n");
            if let Some(m) = self.max_attempts {
                out.push_str(&format!(
                    "max_attempts = {m}    # most attempts seen for one request\n"
                ));
            }
            for r in &self.retries {
                out.push_str(&format!(
                    "{} = {{ p = {{ dist = \"beta\", alpha = {}, beta = {} }}, billed = {} }}    # {} of {} attempts\n",
                    r.class,
                    fmt_float(round4(r.alpha)),
                    fmt_float(round4(r.beta)),
                    r.billed,
                    r.failures,
                    r.attempts
                ));
            }
        }
        out
    }
}

/// One row of the fit table. A heavy tail's infinite mean is `null` in JSON and reads back
/// as NaN.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FitRow {
    /// Workload key.
    pub quantity: String,
    /// Observations.
    pub n: usize,
    /// Right-censored observations.
    pub censored: usize,
    /// Chosen family (`empirical` when none fits).
    pub family: String,
    /// Its parameters.
    pub params: Vec<(String, f64)>,
    /// Offset added to draws.
    pub offset: f64,
    /// Mean of the fitted distribution (offset included).
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub mean: f64,
    /// Its median.
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub p50: f64,
    /// Its 95th percentile.
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub p95: f64,
    /// Its 99th percentile.
    #[serde(deserialize_with = "crate::stats::f64_or_nan")]
    pub p99: f64,
    /// Mean of the data.
    pub data_mean: f64,
    /// KS distance (continuous).
    pub ks: Option<f64>,
    /// Chi-square p-value (counts).
    pub chi2_p: Option<f64>,
    /// AIC.
    pub aic: Option<f64>,
    /// Runner-up families and their AIC above the chosen one.
    pub runners_up: Vec<(String, f64)>,
    /// Observations at or above the fitted P99.
    pub tail_support: usize,
    /// Warnings of this fit.
    pub warnings: Vec<String>,
}

impl QuantityFit {
    /// The row of the fit table.
    pub fn row(&self) -> FitRow {
        let r = &self.result;
        let fam = &self.family;
        let q = |p: f64| fam.quantile(p) + self.offset;
        let best = r.best().filter(|_| self.empirical_reason.is_none());
        FitRow {
            quantity: self.key.to_string(),
            n: r.n,
            censored: r.n_censored,
            family: best.map_or("empirical".into(), |c| c.name.to_string()),
            params: best
                .map(|c| c.params.iter().map(|(k, v)| (k.to_string(), *v)).collect())
                .unwrap_or_default(),
            offset: self.offset,
            mean: fam.mean() + self.offset,
            p50: q(0.5),
            p95: q(0.95),
            p99: q(0.99),
            data_mean: r.summary.mean + self.offset,
            ks: best.and_then(|c| c.ks),
            chi2_p: best.and_then(|c| c.chi2_p),
            aic: best.map(|c| c.aic),
            runners_up: best
                .map(|b| {
                    r.candidates
                        .iter()
                        .filter(|c| c.converged && c.name != b.name)
                        .map(|c| (c.name.to_string(), c.aic - b.aic))
                        .collect()
                })
                .unwrap_or_default(),
            tail_support: r.tail_support,
            warnings: r.warnings.clone(),
        }
    }
}
