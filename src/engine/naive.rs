//! The spreadsheet estimate: one average request × expected volume × list price.
//!
//! This is what teams do before billcast, and the gap between it and the simulated P95 is the
//! point of the report. A request is one turn: system prompt plus an average user message in,
//! an average output out; no conversation history, no tool rounds, no retries, no caching, no
//! reasoning. Volume uses the inputs' medians (the "typical" values a spreadsheet holds): the
//! first month's volume, grown at the median monthly growth rate and scaled by seasonality for
//! a later month ([`naive_month`]), with that month's list prices — so the estimate of a month
//! compares like with like against the simulated bill of the same month.

use serde::Serialize;

use super::prepare::{BASE_TIER, Prepared};
use super::trial::{TrialVolume, month_sessions};
use crate::dist::Domain;
use crate::ingest::tokens::Tokenizer;
use crate::scenario::{Scenario, Volume};
use crate::units::TOKENS_PER_MTOK;

/// The naive estimate and how it was computed.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Naive {
    /// Monthly bill, USD.
    pub monthly_usd: f64,
    /// Requests (turns) per month.
    pub requests_per_month: f64,
    /// Input tokens of the average request.
    pub input_tokens_per_request: f64,
    /// Output tokens of the average request.
    pub output_tokens_per_request: f64,
    /// USD per request (share-weighted over routes).
    pub usd_per_request: f64,
    /// Month priced.
    pub month: String,
    /// One-sentence method.
    pub method: String,
}

fn median(u: &crate::dist::Uncertain, key: &str, domain: Domain) -> f64 {
    u.draw(key, domain, &mut |_| 0.5).unwrap_or(f64::NAN)
}

fn mean_of(u: &crate::dist::Uncertain, key: &str) -> f64 {
    u.resolve_median(key, Domain::NonNegative)
        .map(|d| d.mean())
        .unwrap_or(f64::NAN)
}

/// The naive estimate of the first month.
pub fn naive(s: &Scenario, p: &Prepared) -> Naive {
    naive_month(s, p, 0)
}

/// The naive estimate of month `m` (0-based) of the horizon: the first month's median volume
/// × `(1 + median growth)^m` × the month's seasonality (the engine's volume model,
/// [`month_sessions`], at the medians), one average request, and month `m`'s list prices.
/// A month past the horizon is priced at the last month's rates.
pub fn naive_month(s: &Scenario, p: &Prepared, m: usize) -> Naive {
    let (sessions, one_turn) = match &s.volume {
        Volume::Users {
            users,
            sessions_per_user,
        } => (
            median(users, "traffic.monthly_active_users", Domain::NonNegative)
                * median(
                    sessions_per_user,
                    "traffic.sessions_per_user",
                    Domain::NonNegative,
                ),
            false,
        ),
        Volume::Sessions(v) => (
            median(v, "traffic.sessions_per_month", Domain::NonNegative),
            false,
        ),
        Volume::Requests(v) => (
            median(v, "traffic.requests_per_month", Domain::NonNegative),
            true,
        ),
    };
    let typical = TrialVolume {
        base_sessions: s
            .segments
            .iter()
            .map(|seg| {
                sessions
                    * seg.share
                    * median(&seg.sessions_scale, "sessions_scale", Domain::NonNegative)
            })
            .collect(),
        growth: median(&s.monthly_growth, "traffic.monthly_growth", Domain::Real),
        one_turn,
    };
    let mut requests = 0.0;
    let mut input = 0.0;
    let mut output = 0.0;
    // Input per request priced on each route, in reference tokens (× the route's ratio when
    // priced). The artifacts are counted in model tokens per route, so they enter as
    // count ÷ ratio: on a ratio-1 route a prompt file prices exactly like its count written as
    // `system_prompt_tokens` (same operations in the same order).
    let mut input_route = vec![0.0; p.routes.len()];
    // Their o200k_base count, request-weighted, for the tokens shown.
    let mut prefix_shown = 0.0;
    for (i, seg) in s.segments.iter().enumerate() {
        let w = &seg.workload;
        let seg_sessions = month_sessions(s, &typical, i, m);
        let turns = if one_turn {
            1.0
        } else {
            mean_of(&w.turns_per_session, "turns_per_session")
        };
        let seg_requests = seg_sessions * turns;
        let (seg_input, seg_prefix) = match &w.input_tokens {
            Some(u) => (mean_of(u, "input_tokens"), None),
            None => {
                let system = if w.system_prompt_file.is_some() {
                    0.0
                } else {
                    median(
                        &w.system_prompt_tokens,
                        "system_prompt_tokens",
                        Domain::NonNegative,
                    )
                };
                prefix_shown += seg_requests
                    * w.artifacts()
                        .map(|(_, a)| a.tokens(Tokenizer::O200kBase) as f64)
                        .sum::<f64>();
                let user = mean_of(&w.user_message_tokens, "user_message_tokens");
                (system + user, Some((system, user)))
            }
        };
        for (r, (acc, route)) in input_route.iter_mut().zip(&p.routes).enumerate() {
            let x = match seg_prefix {
                None => seg_input,
                Some((system, user)) => {
                    let model_tokens = p
                        .prefix_tokens
                        .get(i)
                        .and_then(|v| v.get(r))
                        .copied()
                        .unwrap_or(0.0);
                    let artifacts = if route.tokenizer_ratio > 0.0 {
                        model_tokens / route.tokenizer_ratio
                    } else {
                        0.0
                    };
                    system + artifacts + user
                }
            };
            *acc += seg_requests * x;
        }
        requests += seg_requests;
        input += seg_requests * seg_input;
        output += seg_requests * mean_of(&w.output_tokens, "output_tokens");
    }
    let (input, output, prefix_shown) = if requests > 0.0 {
        for x in &mut input_route {
            *x /= requests;
        }
        (input / requests, output / requests, prefix_shown / requests)
    } else {
        (0.0, 0.0, 0.0)
    };
    let rates = p.rates.get(m).or(p.rates.last());
    let usd_per_request: f64 = p
        .routes
        .iter()
        .enumerate()
        .map(|(r, route)| {
            let Some(card) = rates.map(|x| &x[r][BASE_TIER]) else {
                return f64::NAN;
            };
            let input = input_route.get(r).copied().unwrap_or(0.0);
            route.share * (input * card.input + output * card.output) * route.tokenizer_ratio
                / TOKENS_PER_MTOK
        })
        .sum();
    Naive {
        monthly_usd: requests * usd_per_request,
        requests_per_month: requests,
        input_tokens_per_request: input + prefix_shown,
        output_tokens_per_request: output,
        usd_per_request,
        month: s.start_month.plus(m as i32).to_string(),
        method: "one average request (system prompt + mean user message in, mean output out; no history, tools, retries, caching or reasoning) × median requests per month (first month's median volume grown at the median monthly growth rate, with seasonality) × that month's list price".into(),
    }
}
