//! From ingested calls to the observations of each workload quantity (DESIGN §1.5).
//!
//! Usage logs report tokens per call, not per message, so the sizes the engine samples are
//! recovered from how the input grows inside a session. With full history every call re-sends
//! everything before it, so for consecutive successful calls `j−1, j` of one session
//!
//! ```text
//! new content of call j = input(j) − input(j−1) − output(j−1)
//! ```
//!
//! which is the user message for the first call of a turn and the previous round's tool
//! results otherwise (split evenly over that round's tool calls). The system prompt is the
//! median first-call input less the median user message. When many deltas are negative the
//! sessions do not re-send their history (a window, summaries, dropped reasoning, or independent
//! requests): the fit then samples each call's input directly (`input_tokens`) and says so,
//! keeping the turns, tool rounds and tool calls of sessions that have several calls.
//!
//! Outputs that stopped at the length limit are right-censored. Usage logs without finish
//! reasons show the cap as a pile of outputs at the same maximum; three or more at the
//! largest value are treated as censored there.

use crate::ingest::{CallRecord, FailureClass, Finish, Session, Status};

/// Observations of one quantity and the session each came from (for the bootstrap).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    /// Values.
    pub values: Vec<f64>,
    /// Right-censoring flags (empty = none censored).
    pub censored: Vec<bool>,
    /// Index of the session each value came from.
    pub session: Vec<u32>,
}

impl Series {
    fn push(&mut self, v: f64, censored: bool, session: usize) {
        if censored || !self.censored.is_empty() {
            if self.censored.len() < self.values.len() {
                self.censored.resize(self.values.len(), false);
            }
            self.censored.push(censored);
        }
        self.values.push(v);
        self.session.push(session as u32);
    }

    /// Number of observations.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// No observations.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The observations of the given sessions (with repeats), in the order given.
    pub fn resample(&self, by_session: &[Vec<usize>], sessions: &[usize]) -> Series {
        let mut out = Series::default();
        for &s in sessions {
            for &i in by_session.get(s).map(|v| v.as_slice()).unwrap_or(&[]) {
                out.push(
                    self.values[i],
                    self.censored.get(i).copied().unwrap_or(false),
                    s,
                );
            }
        }
        out
    }

    /// Indices of observations grouped by session.
    pub fn index_by_session(&self, n_sessions: usize) -> Vec<Vec<usize>> {
        let mut v = vec![Vec::new(); n_sessions];
        for (i, s) in self.session.iter().enumerate() {
            if let Some(slot) = v.get_mut(*s as usize) {
                slot.push(i);
            }
        }
        v
    }
}

/// A cache read within this many tokens of a boundary is not evidence of reaching past it:
/// OpenAI caches prefixes in 128-token steps, and the static prefix is an estimate.
pub const CACHE_STEP_TOKENS: f64 = 128.0;

/// Prompt-cache usage in the data.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CacheStats {
    /// Successful calls with token counts.
    pub calls: usize,
    /// Of those, calls that read from the cache.
    pub calls_with_reads: usize,
    /// Cache-read tokens.
    pub read_tokens: f64,
    /// Total input tokens (uncached + read + write).
    pub input_tokens: f64,
    /// Calls that read from the cache and follow an earlier successful call of their session
    /// (only these can show whether the history is cached).
    pub later_hits: usize,
    /// Of those, calls whose cache read exceeds their session's static prefix by more than
    /// [`CACHE_STEP_TOKENS`]: the cache reached into the conversation.
    pub beyond_prefix: usize,
    /// Of those, calls whose cache read reaches the previous call's whole input (to within
    /// [`CACHE_STEP_TOKENS`]).
    pub reach_previous: usize,
    /// Median static prefix of the sessions of `later_hits`, tokens: each session's first-call
    /// input less the median user message (the system prompt estimate, per session).
    pub prefix_median: Option<f64>,
}

/// Attempts and failures by the engine's retry classes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FailureStats {
    /// Attempts (every record).
    pub attempts: usize,
    /// Failures: rate_limit, overload, timeout, invalid_output.
    pub by_class: [usize; 4],
    /// Failures that are not retried (4xx client errors, expired, cancelled).
    pub other: usize,
    /// Largest attempt number seen.
    pub max_attempt: u32,
}

/// One session's cache reads and failures: the units whose between-window spread says
/// whether the log mixes, e.g., runs with a warm cache and runs without one.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SessionRates {
    /// Successful calls with token counts.
    pub calls: usize,
    /// Of those, calls that read from the cache.
    pub cache_hits: usize,
    /// Attempts.
    pub attempts: usize,
    /// Failed attempts by retry class, in [`FailureStats::by_class`] order.
    pub failures: [usize; 4],
}

/// Everything the data says about the workload.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Observed {
    /// Sessions (groups for the bootstrap).
    pub n_sessions: usize,
    /// Successful calls with token counts.
    pub n_calls: usize,
    /// Input per call is sampled directly (`input_tokens`): no session re-sends its history in
    /// full, or no session has more than one call.
    pub call_level: bool,
    /// No session has more than one call: one request per session, no session structure.
    pub one_call: bool,
    /// Visible output tokens per call.
    pub output: Series,
    /// Reasoning tokens per call (empty when none is reported).
    pub reasoning: Series,
    /// Total input tokens per call (call-level workloads).
    pub input: Series,
    /// User message tokens per turn.
    pub user_message: Series,
    /// Tool result tokens per tool call.
    pub tool_result: Series,
    /// Turns per session.
    pub turns: Series,
    /// Tool-call rounds per turn.
    pub tool_rounds: Series,
    /// Tool calls per round (≥ 1).
    pub tool_calls_per_round: Series,
    /// Static prefix estimate, tokens.
    pub system_prompt: Option<f64>,
    /// Output cap, from the requests or from a pile-up at the maximum.
    pub cap: Option<f64>,
    /// Prompt caching.
    pub cache: CacheStats,
    /// Failures.
    pub failures: FailureStats,
    /// Per session, per successful call: `[input, output, tool calls]` (for `resample`).
    pub recorded: Vec<Vec<[f64; 3]>>,
    /// Per session, in log order: its cache hits and failures, for the between-window spread
    /// of those rates ([`super::drift::Drift::of_rates`]).
    pub session_rates: Vec<SessionRates>,
    /// What the derivation decided, for the report.
    pub notes: Vec<String>,
}

fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    Some(crate::stats::quantile_sorted(v, 0.5))
}

/// Derive observations from records grouped into sessions. `caller` keeps only the calls of
/// one caller (e.g. the agent of a trace that also logs a user simulator).
pub fn observe(records: &[CallRecord], sessions: &[Session], caller: Option<&str>) -> Observed {
    let mut o = Observed::default();
    let keep = |r: &CallRecord| caller.is_none_or(|c| r.caller.as_deref() == Some(c));
    let mut deltas_negative = 0usize;
    let mut deltas_total = 0usize;
    let mut first_inputs = Vec::new();
    // Calls that read from the cache after their session's first call: (cache read, the
    // session's first-call input, the previous call's input).
    let mut later_hits: Vec<(f64, f64, f64)> = Vec::new();
    // Cap declared by requests, if any.
    let declared_cap = records
        .iter()
        .filter(|r| keep(r))
        .filter_map(|r| r.max_output_tokens)
        .max();
    for (si, s) in sessions.iter().enumerate() {
        let mut turns_in_session = 0usize;
        let mut prev: Option<(f64, f64, u32)> = None; // (input, output, tool calls) of the last successful call
        let mut session_first = 0.0;
        let mut recorded = Vec::new();
        let mut rates = SessionRates::default();
        for (ti, t) in s.turns.iter().enumerate() {
            let calls: Vec<&CallRecord> = t
                .calls
                .iter()
                .filter_map(|&i| records.get(i))
                .filter(|r| keep(r))
                .collect();
            if calls.is_empty() {
                continue;
            }
            turns_in_session += 1;
            o.tool_rounds.push(t.tool_rounds as f64, false, si);
            let mut first_ok = true;
            for r in calls {
                o.failures.attempts += 1;
                rates.attempts += 1;
                o.failures.max_attempt = o.failures.max_attempt.max(r.attempt.unwrap_or(1));
                if let Status::Failed(class) = r.status {
                    let index = match class {
                        FailureClass::RateLimit => Some(0),
                        FailureClass::Overload | FailureClass::Server => Some(1),
                        FailureClass::Timeout => Some(2),
                        FailureClass::InvalidOutput => Some(3),
                        FailureClass::Client | FailureClass::Expired | FailureClass::Cancelled => {
                            None
                        }
                    };
                    match index {
                        Some(i) => {
                            o.failures.by_class[i] += 1;
                            rates.failures[i] += 1;
                        }
                        None => o.failures.other += 1,
                    }
                    // Billed invalid outputs (tau2 format errors) still carry usage and still
                    // extend the conversation; other failures do not.
                    if class != FailureClass::InvalidOutput {
                        continue;
                    }
                }
                let Some(tk) = r.tokens else { continue };
                o.n_calls += 1;
                let input = tk.total_input();
                o.output.push(tk.output, r.finish == Finish::Length, si);
                o.reasoning.push(tk.reasoning, false, si);
                o.input.push(input, false, si);
                o.cache.calls += 1;
                o.cache.input_tokens += input;
                o.cache.read_tokens += tk.cache_read;
                rates.calls += 1;
                if tk.cache_read > 0.0 {
                    o.cache.calls_with_reads += 1;
                    rates.cache_hits += 1;
                }
                if r.tool_calls > 0 {
                    o.tool_calls_per_round.push(r.tool_calls as f64, false, si);
                }
                match prev {
                    None => {
                        first_inputs.push(input);
                        session_first = input;
                    }
                    Some((pin, pout, ptools)) => {
                        if tk.cache_read > 0.0 {
                            later_hits.push((tk.cache_read, session_first, pin));
                        }
                        let new = input - pin - pout;
                        deltas_total += 1;
                        if new < 0.0 {
                            deltas_negative += 1;
                        } else if first_ok && ti > 0 {
                            o.user_message.push(new, false, si);
                        } else if !first_ok && ptools > 0 {
                            let per = new / ptools as f64;
                            for _ in 0..ptools {
                                o.tool_result.push(per, false, si);
                            }
                        }
                    }
                }
                first_ok = false;
                prev = Some((input, tk.output, r.tool_calls));
                recorded.push([input, tk.output, r.tool_calls as f64]);
            }
        }
        if turns_in_session > 0 {
            o.turns.push(turns_in_session as f64, false, si);
        }
        o.recorded.push(recorded);
        o.session_rates.push(rates);
    }
    o.n_sessions = sessions.len();
    if o.reasoning.values.iter().all(|&x| x == 0.0) {
        // No reasoning reported anywhere: nothing to fit.
        o.reasoning = Series::default();
    }
    // Multi-call sessions whose input grows: model the history; otherwise call level.
    let multi_call = deltas_total > 0;
    let shrinking = deltas_total > 0 && deltas_negative as f64 > 0.2 * deltas_total as f64;
    o.call_level = !multi_call || shrinking;
    o.one_call = !multi_call;
    if shrinking {
        o.notes.push(format!(
            "{deltas_negative} of {deltas_total} consecutive calls had less input than the previous call plus its output: the history is not re-sent in full, so input per call is sampled directly (input_tokens); turns, tool rounds and calls per session are kept"
        ));
    } else if !multi_call {
        o.notes.push("no session has more than one call: a call-level workload (input_tokens sampled per call, one turn per session)".into());
    }
    let mu = median(&mut o.user_message.values.clone()).unwrap_or(0.0);
    // Does the cache reach past each session's static prefix (history caching) or stop at it?
    o.cache.later_hits = later_hits.len();
    let mut prefixes = Vec::with_capacity(later_hits.len());
    for &(read, first, prev_input) in &later_hits {
        let prefix = (first - mu).max(0.0);
        prefixes.push(prefix);
        if read > prefix + CACHE_STEP_TOKENS {
            o.cache.beyond_prefix += 1;
        }
        if read + CACHE_STEP_TOKENS >= prev_input {
            o.cache.reach_previous += 1;
        }
    }
    o.cache.prefix_median = median(&mut prefixes);
    if !o.call_level {
        let mut f = first_inputs.clone();
        if let Some(mf) = median(&mut f) {
            o.system_prompt = Some((mf - mu).max(0.0).round());
            o.notes.push(format!(
                "system prompt ≈ median first-call input ({mf:.0}) − median user message ({mu:.0}) = {:.0} tokens",
                (mf - mu).max(0.0)
            ));
        }
        if deltas_negative > 0 {
            o.notes.push(format!(
                "{deltas_negative} of {deltas_total} input deltas were negative and left out"
            ));
        }
    }
    // The output cap: declared, or a pile-up at the maximum.
    let max_out = o.output.values.iter().copied().fold(0.0f64, f64::max);
    let at_max = o.output.values.iter().filter(|&&v| v == max_out).count();
    match declared_cap {
        Some(c) => o.cap = Some(c as f64),
        None if at_max >= 3 && max_out > 0.0 => {
            o.cap = Some(max_out);
            let n = o.output.len();
            o.output.censored.resize(n, false);
            for (i, v) in o.output.values.iter().enumerate() {
                if *v == max_out {
                    o.output.censored[i] = true;
                }
            }
            o.notes.push(format!("{at_max} outputs stop at exactly {max_out:.0} tokens: treated as the output cap (right-censored)"));
        }
        None => {}
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{CallRecord, Format, sessions};
    use crate::usage::CallTokens;

    fn call(session: &str, turn: u32, input: f64, output: f64, tools: u32) -> CallRecord {
        let mut r = CallRecord::new(Format::UsageJsonl);
        r.session = Some(session.into());
        r.turn = Some(turn);
        r.tokens = Some(CallTokens {
            input,
            output,
            ..Default::default()
        });
        r.tool_calls = tools;
        r.finish = if tools > 0 {
            Finish::ToolCalls
        } else {
            Finish::Stop
        };
        r
    }

    #[test]
    fn input_growth_recovers_messages_and_tool_results() {
        // System 1000. Turn 1: user 50 → call 1 input 1050, output 100 with 2 tool calls;
        // results 300 (150 each) → call 2 input 1050+100+300 = 1450, output 80.
        // Turn 2: user 40 → call 3 input 1450+80+40 = 1570.
        let recs = vec![
            call("a", 1, 1050.0, 100.0, 2),
            call("a", 2, 1450.0, 80.0, 0),
            call("a", 3, 1570.0, 60.0, 0),
        ];
        let s = sessions(&recs);
        let o = observe(&recs, &s, None);
        assert!(!o.call_level);
        assert_eq!(o.user_message.values, vec![40.0]);
        assert_eq!(o.tool_result.values, vec![150.0, 150.0]);
        assert_eq!(o.tool_calls_per_round.values, vec![2.0]);
        assert_eq!(o.turns.values, vec![2.0]);
        assert_eq!(o.tool_rounds.values, vec![1.0, 0.0]);
        // Median first-call input 1050 − median user message 40.
        assert_eq!(o.system_prompt, Some(1010.0));
    }

    #[test]
    fn independent_requests_are_call_level_and_caps_are_found() {
        let mut recs = Vec::new();
        for (i, out) in [10.0, 20.0, 1000.0, 1000.0, 1000.0, 30.0]
            .iter()
            .enumerate()
        {
            let mut r = call(&format!("s{i}"), 1, 500.0, *out, 0);
            r.session = None;
            recs.push(r);
        }
        let s = sessions(&recs);
        let o = observe(&recs, &s, None);
        assert!(o.call_level);
        assert_eq!(o.cap, Some(1000.0));
        assert_eq!(o.output.censored.iter().filter(|c| **c).count(), 3);
        assert_eq!(o.input.values.len(), 6);
    }
}
