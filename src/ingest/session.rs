//! Grouping of call records into sessions and turns (DESIGN.md §1.1), the units the fit
//! stage counts: turns per session, tool-call rounds per turn, retries per turn.
//!
//! - **Session**: records with the same `session` id (conversation id, trace id, tau2
//!   `sim_id`, batch `custom_id`); a record without one is a session of its own. Sessions are
//!   listed in order of their first record; calls within a session are ordered by
//!   `(turn, timestamp, file, line, record index)`, each key missing-last, which is a total
//!   order.
//! - **Turn**: within a session, and separately for each `caller` (tau2 mixes the agent
//!   under test with an LLM user simulator; each has its own turns), a run of calls that
//!   ends with a successful call whose finish is not `ToolCalls`, or with a failure that is
//!   not retried, or with the session's last call.
//! - **Tool round**: a successful `ToolCalls` call followed by another call in the turn.
//! - **Retry**: a failed call followed by another attempt of the same request — same
//!   `request_key` when both calls have one, otherwise an explicit `attempt > 1`, otherwise
//!   simply the next call of the same session and caller (the failed call's position).

use std::cmp::Ordering;
use std::collections::HashMap;

use super::record::{CallRecord, Finish, Status};

/// One conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// The session id, or `"<file>:<line>:<index>"` for a record without one.
    pub id: String,
    /// Turns in order of their first call.
    pub turns: Vec<Turn>,
}

/// One user-facing request: the model calls (and retries) until a final answer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Turn {
    /// Indices into the records slice, in call order.
    pub calls: Vec<usize>,
    /// Tool-call rounds: successful `ToolCalls` calls followed by another call.
    pub tool_rounds: u32,
    /// Failed attempts that were retried.
    pub retries: u32,
}

impl Session {
    /// Calls in all turns.
    pub fn calls(&self) -> usize {
        self.turns.iter().map(|t| t.calls.len()).sum()
    }
}

/// Total order of calls within a session; missing keys sort last.
fn call_order(records: &[CallRecord], a: usize, b: usize) -> Ordering {
    let (ra, rb) = (&records[a], &records[b]);
    let opt_u32 = |x: Option<u32>, y: Option<u32>| match (x, y) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    let opt_f64 = |x: Option<f64>, y: Option<f64>| match (x, y) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    opt_u32(ra.turn, rb.turn)
        .then_with(|| opt_f64(ra.timestamp, rb.timestamp))
        .then_with(|| ra.file.cmp(&rb.file))
        .then_with(|| ra.line.cmp(&rb.line))
        .then_with(|| a.cmp(&b))
}

/// Is `next` another attempt of the request `failed` made?
fn is_retry_of(failed: &CallRecord, next: &CallRecord) -> bool {
    match (&failed.request_key, &next.request_key) {
        (Some(a), Some(b)) => a == b,
        // An explicit first attempt is a new request; otherwise the next call of the
        // session retries the failed one.
        _ => next.attempt.is_none_or(|n| n > 1),
    }
}

/// Split one caller's ordered calls into turns.
fn segment(records: &[CallRecord], calls: &[usize]) -> Vec<Turn> {
    let mut turns = Vec::new();
    let mut cur = Turn::default();
    for (pos, &i) in calls.iter().enumerate() {
        let r = &records[i];
        cur.calls.push(i);
        let next = calls.get(pos + 1).map(|&j| &records[j]);
        let continues = match (r.status, next) {
            (_, None) => false,
            (Status::Failed(_), Some(n)) => {
                let retried = is_retry_of(r, n);
                if retried {
                    cur.retries += 1;
                }
                retried
            }
            (Status::Ok, Some(_)) => {
                let round = r.finish == Finish::ToolCalls;
                if round {
                    cur.tool_rounds += 1;
                }
                round
            }
        };
        if !continues {
            turns.push(std::mem::take(&mut cur));
        }
    }
    if !cur.calls.is_empty() {
        turns.push(cur);
    }
    turns
}

/// Group records into sessions and turns (see the module docs for the rules).
pub fn sessions(records: &[CallRecord]) -> Vec<Session> {
    enum Slot<'a> {
        Group(&'a str),
        Single(usize),
    }
    // Sessions in order of their first record.
    let mut slots: Vec<Slot<'_>> = Vec::new();
    let mut groups: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, r) in records.iter().enumerate() {
        match r.session.as_deref() {
            Some(id) => {
                let g = groups.entry(id).or_default();
                if g.is_empty() {
                    slots.push(Slot::Group(id));
                }
                g.push(i);
            }
            None => slots.push(Slot::Single(i)),
        }
    }
    let mut out = Vec::with_capacity(slots.len());
    for slot in slots {
        match slot {
            Slot::Group(id) => {
                let mut calls = groups.remove(id).unwrap_or_default();
                calls.sort_by(|&a, &b| call_order(records, a, b));
                // Each caller has its own turns; merge them back in call order.
                let mut callers: Vec<(Option<&str>, Vec<usize>)> = Vec::new();
                for &c in &calls {
                    let who = records[c].caller.as_deref();
                    match callers.iter_mut().find(|(w, _)| *w == who) {
                        Some((_, v)) => v.push(c),
                        None => callers.push((who, vec![c])),
                    }
                }
                let rank: HashMap<usize, usize> =
                    calls.iter().enumerate().map(|(k, &c)| (c, k)).collect();
                let mut turns: Vec<Turn> = callers
                    .iter()
                    .flat_map(|(_, cs)| segment(records, cs))
                    .collect();
                turns.sort_by_key(|t| {
                    t.calls
                        .first()
                        .and_then(|c| rank.get(c))
                        .copied()
                        .unwrap_or(usize::MAX)
                });
                out.push(Session {
                    id: id.to_string(),
                    turns,
                });
            }
            Slot::Single(i) => {
                let r = &records[i];
                out.push(Session {
                    id: format!("{}:{}:{i}", r.file, r.line),
                    turns: segment(records, &[i]),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::record::{FailureClass, Format};

    fn call(session: &str, finish: Finish, status: Status) -> CallRecord {
        let mut r = CallRecord::new(Format::OpenaiLog);
        r.session = Some(session.into());
        r.finish = finish;
        r.status = status;
        r
    }

    #[test]
    fn tool_rounds_and_retries_are_counted_per_turn() {
        let fail = Status::Failed(FailureClass::RateLimit);
        let mut recs = vec![
            call("a", Finish::ToolCalls, Status::Ok),
            call("a", Finish::Other, fail),
            call("a", Finish::Stop, Status::Ok),
            call("a", Finish::Stop, Status::Ok),
            call("b", Finish::Stop, Status::Ok),
        ];
        for (i, r) in recs.iter_mut().enumerate() {
            r.line = i as u64 + 1;
        }
        let s = sessions(&recs);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].turns.len(), 2);
        assert_eq!(
            s[0].turns[0],
            Turn {
                calls: vec![0, 1, 2],
                tool_rounds: 1,
                retries: 1
            }
        );
        assert_eq!(s[0].turns[1].calls, vec![3]);
        assert_eq!(s[1].id, "b");
    }

    #[test]
    fn a_different_request_after_a_failure_is_not_a_retry() {
        let fail = Status::Failed(FailureClass::Client);
        let mut a = call("s", Finish::Other, fail);
        a.request_key = Some("k1".into());
        let mut b = call("s", Finish::Stop, Status::Ok);
        b.request_key = Some("k2".into());
        b.line = 2;
        let s = sessions(&[a, b]);
        assert_eq!(s[0].turns.len(), 2);
        assert_eq!(s[0].turns[0].retries, 0);
    }

    #[test]
    fn records_without_session_are_sessions_of_their_own_in_order() {
        let mut a = CallRecord::new(Format::UsageCsv);
        a.line = 2;
        let mut b = a.clone();
        b.line = 3;
        let mut c = a.clone();
        c.session = Some("x".into());
        let s = sessions(&[a, c, b]);
        let ids: Vec<&str> = s.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, vec!["0:2:0", "x", "0:3:2"]);
    }

    #[test]
    fn callers_have_their_own_turns() {
        let mut recs = vec![
            call("s", Finish::Stop, Status::Ok),
            call("s", Finish::ToolCalls, Status::Ok),
            call("s", Finish::Stop, Status::Ok),
            call("s", Finish::Stop, Status::Ok),
        ];
        let callers = ["user_sim", "agent", "agent", "user_sim"];
        for (i, r) in recs.iter_mut().enumerate() {
            r.turn = Some(i as u32);
            r.caller = Some(callers[i].into());
        }
        let s = sessions(&recs);
        let turns: Vec<Vec<usize>> = s[0].turns.iter().map(|t| t.calls.clone()).collect();
        assert_eq!(turns, vec![vec![0], vec![1, 2], vec![3]]);
    }
}
