//! Where parsers put records: a seeded uniform reservoir (Vitter's Algorithm R) that bounds
//! memory at `max_records`, and the joins that need more than one line or file — batch
//! results joined to their requests on `custom_id`, tool spans / observations / runs
//! attributed to the model call of their trace, and conversation ids propagated from
//! parent spans. Joins run once, after every file is read, on the records kept.

use std::collections::HashMap;

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;

use super::record::{CallRecord, Finish, Format, Status};

/// Per-record facts the joins need but the public record does not carry.
#[derive(Clone, Debug, Default)]
pub(crate) struct Aux {
    /// Trace the call belongs to (OTel trace id, Langfuse/LangSmith trace id).
    pub trace: Option<String>,
    /// The call's tool-call count is unknown from the call itself: count the tool
    /// spans / observations / runs of its trace that start after it.
    pub wants_tools: bool,
    /// The source reported a finish reason (otherwise tool calls found by the join turn
    /// the finish into `ToolCalls`).
    pub finish_known: bool,
    /// The session was defaulted to the trace id; a conversation id found on any span of
    /// the trace replaces it.
    pub session_from_trace: bool,
}

/// A batch request line (OpenAI batch input file).
#[derive(Clone, Debug, Default)]
pub(crate) struct BatchRequest {
    pub model: Option<String>,
    pub max_output_tokens: Option<u64>,
}

/// Cross-line and cross-file facts collected while reading.
#[derive(Debug, Default)]
pub(crate) struct Joins {
    /// OpenAI batch requests by `custom_id`.
    pub batch_requests: HashMap<String, BatchRequest>,
    /// Tool executions: (trace, start time in unix s).
    pub tool_events: Vec<(String, f64)>,
    /// Conversation id of a trace, from any of its spans.
    pub trace_conversation: HashMap<String, String>,
}

struct Entry {
    seq: u64,
    rec: CallRecord,
    aux: Aux,
}

/// Reservoir of records plus the joins.
pub(crate) struct Sink {
    cap: usize,
    seen: u64,
    rng: Pcg64,
    entries: Vec<Entry>,
    pub(crate) joins: Joins,
}

impl Sink {
    pub(crate) fn new(cap: usize, seed: u64) -> Self {
        Self {
            cap: cap.max(1),
            seen: 0,
            rng: Pcg64::seed_from_u64(seed),
            entries: Vec::new(),
            joins: Joins::default(),
        }
    }

    /// Records offered so far.
    pub(crate) fn seen(&self) -> u64 {
        self.seen
    }

    /// The reservoir capacity.
    pub(crate) fn cap(&self) -> usize {
        self.cap
    }

    /// Offer a record. Until `cap` records have been seen all are kept; after that record
    /// number `n` replaces a uniformly chosen slot with probability `cap / n`, so every
    /// record seen has the same chance of being kept (Vitter 1985, Algorithm R).
    pub(crate) fn push(&mut self, rec: CallRecord, aux: Aux) {
        let seq = self.seen;
        self.seen += 1;
        let entry = Entry { seq, rec, aux };
        if self.entries.len() < self.cap {
            self.entries.push(entry);
            return;
        }
        let j = self.rng.random_range(0..self.seen);
        if let Some(slot) = usize::try_from(j)
            .ok()
            .and_then(|j| self.entries.get_mut(j))
        {
            *slot = entry;
        }
    }

    /// Run the joins and return the kept records in reading order.
    pub(crate) fn finish(mut self) -> Vec<CallRecord> {
        self.entries.sort_by_key(|e| e.seq);
        let Joins {
            batch_requests,
            tool_events,
            trace_conversation,
        } = self.joins;

        // Conversation ids found on any span of a trace (usually the `invoke_agent` parent).
        if !trace_conversation.is_empty() {
            for e in &mut self.entries {
                if e.aux.session_from_trace
                    && let Some(conv) = e.aux.trace.as_ref().and_then(|t| trace_conversation.get(t))
                {
                    e.rec.session = Some(conv.clone());
                }
            }
        }

        // Tool executions count as tool calls of the latest successful model call of the
        // same trace that started no later than the tool (tools run after the call that
        // requested them). Tools with no such call are left unattributed.
        if !tool_events.is_empty() {
            let mut by_trace: HashMap<&str, Vec<(f64, usize)>> = HashMap::new();
            for (i, e) in self.entries.iter().enumerate() {
                if e.aux.wants_tools
                    && e.rec.status == Status::Ok
                    && let (Some(t), Some(ts)) = (e.aux.trace.as_deref(), e.rec.timestamp)
                {
                    by_trace.entry(t).or_default().push((ts, i));
                }
            }
            for calls in by_trace.values_mut() {
                calls.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            }
            let mut add: Vec<u32> = vec![0; self.entries.len()];
            for (trace, start) in &tool_events {
                let Some(calls) = by_trace.get(trace.as_str()) else {
                    continue;
                };
                let k = calls.partition_point(|(ts, _)| *ts <= *start);
                if k > 0 {
                    add[calls[k - 1].1] += 1;
                }
            }
            for (e, n) in self.entries.iter_mut().zip(add) {
                if n > 0 {
                    e.rec.tool_calls = e.rec.tool_calls.saturating_add(n);
                    if !e.aux.finish_known {
                        e.rec.finish = Finish::ToolCalls;
                    }
                }
            }
        }

        // Batch results carry no request parameters; the input file has them.
        if !batch_requests.is_empty() {
            for e in &mut self.entries {
                if e.rec.format != Format::OpenaiBatch {
                    continue;
                }
                if let Some(req) = e
                    .rec
                    .request_key
                    .as_ref()
                    .and_then(|k| batch_requests.get(k))
                {
                    if e.rec.max_output_tokens.is_none() {
                        e.rec.max_output_tokens = req.max_output_tokens;
                    }
                    if e.rec.model.is_none() {
                        e.rec.model.clone_from(&req.model);
                    }
                }
            }
        }

        self.entries.into_iter().map(|e| e.rec).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(line: u64) -> CallRecord {
        let mut r = CallRecord::new(Format::UsageCsv);
        r.line = line;
        r
    }

    #[test]
    fn reservoir_keeps_cap_records_in_reading_order_and_is_seeded() {
        let run = |seed| {
            let mut s = Sink::new(10, seed);
            for i in 0..1000 {
                s.push(rec(i), Aux::default());
            }
            assert_eq!(s.seen(), 1000);
            s.finish().iter().map(|r| r.line).collect::<Vec<_>>()
        };
        let a = run(7);
        assert_eq!(a.len(), 10);
        assert!(a.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(a, run(7));
        assert_ne!(a, run(8));
    }

    #[test]
    fn reservoir_is_uniform() {
        // Keep 100 of 1000, 200 times: each record's inclusion rate should be near 10%.
        let mut hits = vec![0u32; 1000];
        for seed in 0..200 {
            let mut s = Sink::new(100, seed);
            for i in 0..1000 {
                s.push(rec(i), Aux::default());
            }
            for r in s.finish() {
                hits[r.line as usize] += 1;
            }
        }
        let first: u32 = hits[..500].iter().sum();
        let last: u32 = hits[500..].iter().sum();
        // 10,000 inclusions each half in expectation; sd ≈ 90.
        assert!((first as f64 - 10_000.0).abs() < 600.0, "{first} {last}");
        assert!((last as f64 - 10_000.0).abs() < 600.0, "{first} {last}");
    }

    #[test]
    fn tools_attach_to_the_latest_earlier_call_of_the_trace() {
        let mut s = Sink::new(100, 0);
        for (i, ts) in [1.0, 5.0].into_iter().enumerate() {
            let mut r = rec(i as u64);
            r.timestamp = Some(ts);
            s.push(
                r,
                Aux {
                    trace: Some("t".into()),
                    wants_tools: true,
                    ..Aux::default()
                },
            );
        }
        s.joins.tool_events = vec![
            ("t".into(), 2.0),
            ("t".into(), 3.0),
            ("t".into(), 6.0),
            ("u".into(), 9.0),
        ];
        let out = s.finish();
        assert_eq!(out[0].tool_calls, 2);
        assert_eq!(out[0].finish, Finish::ToolCalls);
        assert_eq!(out[1].tool_calls, 1);
    }
}
