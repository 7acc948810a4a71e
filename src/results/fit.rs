//! The body of `billcast fit`'s result: the fit table and what the log said besides it.

use serde::{Deserialize, Serialize};

use crate::fit::workload::{FitRow, FittedWorkload, RetryFit};
use crate::ingest::Reservoir;

/// What `billcast fit` reports (its JSON body, which `billcast render` reads back; the
/// workload file is written separately).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FitResult {
    /// Calls fitted.
    pub calls: usize,
    /// Sessions fitted.
    pub sessions: usize,
    /// Whether input per call was sampled directly (one call per session).
    pub call_level: bool,
    /// Lines skipped as unreadable.
    pub bad_lines: u64,
    /// The seeded sample of whole sessions kept under `--max-records`, when one was taken.
    pub sampled: Option<Reservoir>,
    /// One row per fitted quantity.
    pub quantities: Vec<FitRow>,
    /// The system prompt's size, tokens, when the log shows it.
    pub system_prompt_tokens: Option<f64>,
    /// The output cap, tokens, when outputs hit one.
    pub max_output_tokens: Option<f64>,
    /// `(calls read from the cache, calls)`, when usage reports cached tokens.
    pub cache_hits: Option<(usize, usize)>,
    /// The cacheable part inferred (`system`, `history`, …).
    pub cacheable: Option<String>,
    /// Why.
    pub cacheable_reason: Option<String>,
    /// Failure classes estimated from the log.
    pub retries: Vec<RetryFit>,
    /// Notes of the fit (the envelope leaves an empty list out).
    #[serde(default)]
    pub notes: Vec<String>,
    /// Warnings of the fit.
    pub warnings: Vec<String>,
}

impl FitResult {
    /// The result of fitting `f` from a log with `bad_lines` skipped and `sampled` kept.
    pub fn new(f: &FittedWorkload, bad_lines: u64, sampled: Option<Reservoir>) -> FitResult {
        FitResult {
            calls: f.n_calls,
            sessions: f.n_sessions,
            call_level: f.call_level,
            bad_lines,
            sampled,
            quantities: f.quantities.iter().map(|q| q.row()).collect(),
            system_prompt_tokens: f.system_prompt_tokens,
            max_output_tokens: f.max_output_tokens,
            cache_hits: f.cache_hits,
            cacheable: f.cacheable.map(str::to_string),
            cacheable_reason: f.cacheable_reason.clone(),
            retries: f.retries.clone(),
            notes: f.notes.clone(),
            warnings: f.warnings.clone(),
        }
    }
}
