//! Where parsers put records: a seeded reservoir that keeps **whole sessions** and bounds
//! memory at `max_records` records, and the joins that need more than one line or file —
//! batch results joined to their requests on `custom_id`, tool spans / observations / runs
//! attributed to the model call of their trace, and conversation ids propagated from parent
//! spans. Joins run once, after every file is read, on the records kept.
//!
//! **Sampling rule** (bottom-k by session): every session gets a pseudo-random key from the
//! seed and its id ([`session_key`]; a record without a session id is a session of its own,
//! keyed by its position in the input). The sample is the sessions with the smallest keys
//! whose records fit in `max_records`, each with all its records: whenever the records kept
//! exceed the bound, the kept session with the largest key is dropped whole, and later
//! sessions with a key at least as large are not taken. Sessions are therefore sampled
//! uniformly, kept or dropped whole, and the result depends only on the input and the seed.
//! A session that alone has more records than the bound cannot be kept whole; it is dropped
//! and counted ([`super::Reservoir::oversized`]).

use std::collections::{BinaryHeap, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

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

/// A kept record; records of one session are chained through `next`.
struct Entry {
    seq: u64,
    rec: CallRecord,
    aux: Aux,
    next: Option<usize>,
}

/// A kept session: its id and the chain of its records in `Sink::records`.
struct Slot {
    /// Session id (`None`: a record without one).
    id: Option<String>,
    /// Bumped when the slot is reused, so stale heap entries are recognised.
    generation: u64,
    head: usize,
    tail: usize,
    len: usize,
}

/// Reservoir of whole sessions plus the joins.
pub(crate) struct Sink {
    cap: usize,
    seed: u64,
    seen: u64,
    /// Records kept (live entries of `records`).
    kept: usize,
    /// Kept records (at most `cap` + 1 live at once); `None` marks a free entry.
    records: Vec<Option<Entry>>,
    free_records: Vec<usize>,
    /// Kept sessions; `None` marks a free slot.
    slots: Vec<Option<Slot>>,
    free_slots: Vec<usize>,
    generations: u64,
    /// Slot of each kept session with an id.
    index: HashMap<String, usize, BuildHasherDefault<Fnv>>,
    /// (key, slot, generation) of every kept session: the largest key is dropped first.
    heap: BinaryHeap<(u64, usize, u64)>,
    /// Sessions with a key at or above this are not taken (one such was dropped).
    threshold: Option<u64>,
    /// Sessions dropped because they alone exceed `cap`, and their ids (so their later
    /// records are not taken either).
    oversized: HashSet<String>,
    oversized_solo: u64,
    pub(crate) joins: Joins,
}

/// FNV-1a, the hash of the session index: session ids are short, and SipHash's resistance
/// to chosen collisions buys nothing for a user's own log while costing a third of the
/// time of a push.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        mix(self.0)
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// SplitMix64's finaliser: a bijection of `u64` that mixes every input bit into every output
/// bit.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The sampling key of a session: FNV-1a of its id from a seed-dependent start, then
/// [`mix`]; for a record without a session id, [`mix`] of its position `seq`. Portable and
/// stable across runs and platforms.
pub(crate) fn session_key(seed: u64, id: Option<&str>, seq: u64) -> u64 {
    let start = mix(seed ^ 0x9e37_79b9_7f4a_7c15);
    match id {
        Some(id) => {
            let mut h = 0xcbf2_9ce4_8422_2325 ^ start;
            for b in id.bytes() {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
            mix(h ^ id.len() as u64)
        }
        None => mix(start ^ mix(seq.wrapping_add(1))),
    }
}

impl Sink {
    pub(crate) fn new(cap: usize, seed: u64) -> Self {
        Self {
            cap: cap.max(1),
            seed,
            seen: 0,
            kept: 0,
            records: Vec::new(),
            free_records: Vec::new(),
            slots: Vec::new(),
            free_slots: Vec::new(),
            generations: 0,
            index: HashMap::default(),
            heap: BinaryHeap::new(),
            threshold: None,
            oversized: HashSet::new(),
            oversized_solo: 0,
            joins: Joins::default(),
        }
    }

    /// What was sampled, when some record was left out.
    pub(crate) fn sample(&self) -> Option<super::Reservoir> {
        (self.seen > self.kept as u64).then(|| super::Reservoir {
            cap: self.cap,
            seen: self.seen,
            kept: self.kept,
            sessions: self.slots.len() - self.free_slots.len(),
            oversized: self.oversized.len() as u64 + self.oversized_solo,
        })
    }

    /// Offer a record; it is kept with its session or not at all (see the module docs).
    pub(crate) fn push(&mut self, rec: CallRecord, aux: Aux) {
        let seq = self.seen;
        self.seen += 1;
        let existing = rec
            .session
            .as_deref()
            .and_then(|id| self.index.get(id).copied());
        let slot = match existing {
            Some(i) => i,
            None => {
                let id = rec.session.as_deref();
                if id.is_some_and(|id| self.oversized.contains(id)) {
                    return;
                }
                let key = session_key(self.seed, id, seq);
                if self.threshold.is_some_and(|t| key >= t) {
                    return;
                }
                self.generations += 1;
                let slot = Slot {
                    id: id.map(str::to_string),
                    generation: self.generations,
                    head: usize::MAX,
                    tail: usize::MAX,
                    len: 0,
                };
                let i = match self.free_slots.pop() {
                    Some(i) => {
                        self.slots[i] = Some(slot);
                        i
                    }
                    None => {
                        self.slots.push(Some(slot));
                        self.slots.len() - 1
                    }
                };
                if let Some(id) = id {
                    self.index.insert(id.to_string(), i);
                }
                self.heap.push((key, i, self.generations));
                i
            }
        };
        let entry = Entry {
            seq,
            rec,
            aux,
            next: None,
        };
        let e = match self.free_records.pop() {
            Some(e) => {
                self.records[e] = Some(entry);
                e
            }
            None => {
                self.records.push(Some(entry));
                self.records.len() - 1
            }
        };
        self.kept += 1;
        let Some(s) = self.slots[slot].as_mut() else {
            return;
        };
        if s.len == 0 {
            s.head = e;
        } else if let Some(Some(t)) = self.records.get_mut(s.tail) {
            t.next = Some(e);
        }
        s.tail = e;
        s.len += 1;
        if s.len > self.cap {
            // Too big to keep whole under any sample: drop it for good.
            match &s.id {
                Some(id) => {
                    self.oversized.insert(id.clone());
                }
                None => self.oversized_solo += 1,
            }
            self.release(slot);
        }
        while self.kept > self.cap {
            let Some((key, i, generation)) = self.heap.pop() else {
                break;
            };
            if self.slots[i]
                .as_ref()
                .is_none_or(|s| s.generation != generation)
            {
                continue; // already released
            }
            self.release(i);
            self.threshold = Some(key);
        }
    }

    /// Drop the session in slot `i` with all its records.
    fn release(&mut self, i: usize) {
        let Some(s) = self.slots[i].take() else {
            return;
        };
        let mut at = (s.len > 0).then_some(s.head);
        while let Some(e) = at {
            at = self.records[e].take().and_then(|entry| entry.next);
            self.free_records.push(e);
            self.kept -= 1;
        }
        if let Some(id) = &s.id {
            self.index.remove(id);
        }
        self.free_slots.push(i);
    }

    /// Run the joins and return the kept records in reading order.
    pub(crate) fn finish(self) -> Vec<CallRecord> {
        // Kept records in reading order: sort their positions, then move each record once.
        let mut order: Vec<(u64, usize)> = self
            .records
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.as_ref().map(|e| (e.seq, i)))
            .collect();
        order.sort_unstable();
        let mut records = self.records;
        let mut entries: Vec<Entry> = order
            .into_iter()
            .filter_map(|(_, i)| records[i].take())
            .collect();
        let Joins {
            batch_requests,
            tool_events,
            trace_conversation,
        } = self.joins;

        // Conversation ids found on any span of a trace (usually the `invoke_agent` parent).
        if !trace_conversation.is_empty() {
            for e in &mut entries {
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
            for (i, e) in entries.iter().enumerate() {
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
            let mut add: Vec<u32> = vec![0; entries.len()];
            for (trace, start) in &tool_events {
                let Some(calls) = by_trace.get(trace.as_str()) else {
                    continue;
                };
                let k = calls.partition_point(|(ts, _)| *ts <= *start);
                if k > 0 {
                    add[calls[k - 1].1] += 1;
                }
            }
            for (e, n) in entries.iter_mut().zip(add) {
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
            for e in &mut entries {
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

        entries.into_iter().map(|e| e.rec).collect()
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
            assert_eq!(s.sample().map(|r| (r.seen, r.kept)), Some((1000, 10)));
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

    fn in_session(session: &str, line: u64) -> CallRecord {
        let mut r = rec(line);
        r.session = Some(session.to_string());
        r
    }

    /// Sessions kept by a sink fed `sizes[i]` records of session `i`, interleaved round-robin
    /// when `interleave`; returns (session → records kept) and the sample summary.
    fn keep(
        sizes: &[usize],
        cap: usize,
        seed: u64,
        interleave: bool,
    ) -> (HashMap<String, usize>, Option<super::super::Reservoir>) {
        let mut s = Sink::new(cap, seed);
        let mut order = Vec::new();
        if interleave {
            let most = sizes.iter().copied().max().unwrap_or(0);
            for k in 0..most {
                for (i, &n) in sizes.iter().enumerate() {
                    if k < n {
                        order.push(i);
                    }
                }
            }
        } else {
            for (i, &n) in sizes.iter().enumerate() {
                order.extend(std::iter::repeat_n(i, n));
            }
        }
        for (line, i) in order.into_iter().enumerate() {
            s.push(in_session(&format!("s{i}"), line as u64), Aux::default());
        }
        let sample = s.sample();
        let mut kept: HashMap<String, usize> = HashMap::new();
        let out = s.finish();
        assert!(
            out.windows(2).all(|w| w[0].line < w[1].line),
            "reading order"
        );
        for r in out {
            *kept.entry(r.session.unwrap_or_default()).or_default() += 1;
        }
        (kept, sample)
    }

    #[test]
    fn whole_sessions_are_kept_within_the_bound() {
        for interleave in [false, true] {
            // 200 sessions of 5 calls, bound 103: 20 whole sessions (100 calls).
            let (kept, sample) = keep(&[5; 200], 103, 42, interleave);
            assert_eq!(kept.len(), 20);
            assert!(kept.values().all(|&n| n == 5), "{kept:?}");
            let r = sample.unwrap_or_else(|| panic!("sample reported"));
            assert_eq!(
                (r.seen, r.kept, r.sessions, r.oversized),
                (1000, 100, 20, 0)
            );
            // Sessions of 1 to 9 calls: whatever is kept is whole and within the bound.
            let sizes: Vec<usize> = (0..300).map(|i| 1 + (i * 7) % 9).collect();
            let (kept, _) = keep(&sizes, 250, 7, interleave);
            assert!(kept.values().sum::<usize>() <= 250);
            for (id, n) in &kept {
                let i: usize = id[1..].parse().unwrap_or(usize::MAX);
                assert_eq!(Some(n), sizes.get(i), "{id}");
            }
        }
    }

    #[test]
    fn session_sample_is_seeded_and_uniform_over_sessions() {
        let ids = |seed| {
            let mut v: Vec<String> = keep(&[5; 100], 50, seed, true).0.into_keys().collect();
            v.sort();
            v
        };
        assert_eq!(ids(3), ids(3));
        assert_ne!(ids(3), ids(4));
        // 10 of 100 sessions kept per seed, 400 seeds: each session is kept with probability
        // 1/10, so the first 50 sessions collect 2,000 inclusions in expectation. Per seed the
        // count in the first half is hypergeometric (var 10·½·½·90/99 = 2.27), so over 400
        // seeds the sd is √(400·2.27) ≈ 30; 4 sd = 120.
        let mut first = 0usize;
        let mut total = 0usize;
        for seed in 0..400 {
            for id in ids(seed) {
                total += 1;
                if id[1..].parse::<usize>().unwrap_or(100) < 50 {
                    first += 1;
                }
            }
        }
        assert_eq!(total, 4_000);
        assert!((first as f64 - 2_000.0).abs() < 120.0, "{first}");
    }

    #[test]
    fn a_session_bigger_than_the_bound_is_left_out_and_counted() {
        // Session 0 has 240 calls, over the bound of 200 on its own: it cannot be kept
        // whole, so it is left out (and counted), and the 49 sessions of 3 calls that follow
        // all fit.
        let mut sizes = vec![3; 50];
        sizes[0] = 240;
        for seed in 0..5 {
            let (kept, sample) = keep(&sizes, 200, seed, false);
            assert!(!kept.contains_key("s0"));
            assert_eq!((kept.len(), kept.values().sum::<usize>()), (49, 147));
            assert_eq!(sample.map(|r| (r.kept, r.oversized)), Some((147, 1)));
        }
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
