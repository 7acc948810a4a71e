//! A plain reference for the session loop (tests only): the model of DESIGN §1.4 written the
//! slow, obvious way — one session → turns → tool rounds → calls → attempts — with every
//! call's prompt built from the growing conversation and every billed attempt priced on the
//! spot from the price book's rate card. It shares no code with the optimised loop
//! ([`super::session`]) or the pricing path ([`super::price`]): no samplers, no accumulator,
//! no precomputed unit costs or thresholds. Only fixed-value workloads can run here (every
//! distribution a constant, hit rates and failure probabilities 0 or 1), so that nothing random
//! remains and the optimised paths must agree with it exactly ([`tests`]).
//!
//! The conversation is a list of pieces (system prompt, user messages, outputs, tool results),
//! each with an identity. With `cacheable = "history"` the cache holds the prompts that
//! successful calls sent (and, from earlier sessions, the system prompt); a hit reads the
//! longest of them that is a prefix of this prompt, piece by piece, and writes the rest of the
//! prompt. With `cacheable = "system"` the breakpoint sits after the system prompt.

use std::collections::BTreeMap;

use super::price::Component;
use crate::dist::Uncertain;
use crate::pricing::book::Model;
use crate::pricing::schema::{TokenClass, ToolEntry};
use crate::pricing::{PriceBook, RateQuery};
use crate::scenario::{Cacheable, Context, Scenario, Volume};

/// Where billed tokens go: route, long-context tier, whether the attempt failed, class.
pub(super) type Key = (usize, usize, bool, TokenClass);

/// What the reference bills in one month.
#[derive(Debug, Default)]
pub(super) struct Bill {
    /// Billed tokens.
    pub tokens: BTreeMap<Key, f64>,
    /// USD by component (tool fees included).
    pub usd: BTreeMap<Component, f64>,
    /// USD by route (tool fees included).
    pub route_usd: Vec<f64>,
    /// Uses of priced tools by route and tool id.
    pub tool_uses: BTreeMap<(usize, String), f64>,
    /// Sessions.
    pub sessions: f64,
    /// Turns.
    pub turns: f64,
    /// Successful calls.
    pub calls: f64,
    /// Attempts, failed ones included.
    pub attempts: f64,
    /// Calls whose every attempt failed.
    pub abandoned: f64,
    /// Client tool calls.
    pub tool_calls: f64,
    /// Calls above the model's context window.
    pub over_context: f64,
}

impl Bill {
    /// The month's bill, USD.
    pub fn total(&self) -> f64 {
        self.usd.values().sum()
    }

    /// USD of one component (0 when nothing was billed to it).
    pub fn component(&self, c: Component) -> f64 {
        self.usd.get(&c).copied().unwrap_or(0.0)
    }

    /// Tokens of one class, over routes, tiers and origins.
    pub fn class_tokens(&self, class: TokenClass) -> f64 {
        self.tokens
            .iter()
            .filter(|(k, _)| k.3 == class)
            .map(|(_, q)| q)
            .sum()
    }
}

/// The value of a number that must be a constant here.
fn fixed(u: &Uncertain, what: &str) -> f64 {
    u.as_fixed()
        .unwrap_or_else(|| panic!("the reference runs fixed values only; {what} is {u:?}"))
}

/// A probability that must be 0 or 1 here.
fn certain(p: f64, what: &str) -> bool {
    assert!(
        p == 0.0 || p == 1.0,
        "the reference runs certain events only; {what} = {p}"
    );
    p == 1.0
}

/// A whole number of tokens: sizes are rounded up (scenarios/README.md, "Sizes and limits").
fn tokens(x: f64) -> f64 {
    x.max(0.0).ceil()
}

/// A count: rounded to the nearest whole number, at least 0.
fn count(x: f64) -> u64 {
    x.max(0.0).round() as u64
}

/// One piece of a conversation.
#[derive(Clone, Copy, Debug)]
struct Piece {
    id: u64,
    tokens: f64,
}

/// A call's input as the cache sees it: its length, the cached prefix a hit would read, and
/// where the breakpoint sits (a miss writes up to it).
struct Prompt {
    total: f64,
    cached: f64,
    breakpoint: f64,
}

/// A route and what its model says about calls.
struct Route<'a> {
    model: &'a Model,
    query: RateQuery,
    /// Model tokens per reference token.
    ratio: f64,
    output_scale: f64,
    max_output: f64,
    context_window: f64,
    /// Priced tools on this route: id, share of tool calls, price entry, allowance key.
    tools: Vec<(String, f64, ToolEntry, String)>,
}

/// The reference simulation of one month.
pub(super) struct Month<'a> {
    s: &'a Scenario,
    routes: Vec<Route<'a>>,
    bill: Bill,
    /// Uses of each free allowance so far this month.
    used: BTreeMap<String, f64>,
    next_id: u64,
}

impl<'a> Month<'a> {
    /// Month `m` (0-based) of `s`, priced from `book`.
    pub fn new(s: &'a Scenario, book: &'a PriceBook, m: usize) -> Month<'a> {
        let date = s.start_month.plus(m as i32).first_day();
        let routes = s
            .routes
            .iter()
            .map(|r| {
                let model = book.model(&r.model).expect("route model in the book");
                let provider = book.provider(&model.provider).expect("provider");
                let model_id = model.entry.id.get_ref().clone();
                let mut tools = Vec::new();
                for seg in &s.segments {
                    for (id, share) in &seg.workload.priced_tools {
                        if tools
                            .iter()
                            .any(|t: &(String, f64, ToolEntry, String)| &t.0 == id)
                        {
                            continue;
                        }
                        let entry = provider.tool(id, &model_id).expect("tool price").clone();
                        let key = match &entry.free_group {
                            Some(g) => format!("{}/{g}", model.provider),
                            None => format!("{}/{id}/{model_id}", model.provider),
                        };
                        tools.push((id.clone(), *share, entry, key));
                    }
                }
                Route {
                    model,
                    query: RateQuery {
                        date: Some(date),
                        service_tier: r.service_tier.clone(),
                        region: r.region.clone(),
                        cache_ttl: s.caching.write_ttl.clone(),
                    },
                    ratio: r.tokenizer_ratio.unwrap_or_else(|| model.tokenizer_ratio()),
                    output_scale: r.output_tokens_scale,
                    max_output: model
                        .entry
                        .max_output_tokens
                        .map_or(f64::INFINITY, |x| x as f64),
                    context_window: model
                        .entry
                        .context_window
                        .map_or(f64::INFINITY, |x| x as f64),
                    tools,
                }
            })
            .collect::<Vec<_>>();
        let n = routes.len();
        Month {
            s,
            routes,
            bill: Bill {
                route_usd: vec![0.0; n],
                ..Default::default()
            },
            used: BTreeMap::new(),
            next_id: 0,
        }
    }

    /// Simulate `sessions[segment][route]` sessions, in that order, and return the bill.
    pub fn run(mut self, sessions: &[Vec<u64>]) -> Bill {
        for (seg, per_route) in sessions.iter().enumerate() {
            for (r, &n) in per_route.iter().enumerate() {
                for _ in 0..n {
                    self.session(seg, r);
                }
            }
        }
        self.bill
    }

    fn piece(&mut self, tokens: f64) -> Piece {
        self.next_id += 1;
        Piece {
            id: self.next_id,
            tokens,
        }
    }

    /// Tokens of a prefix the cache can hold: none below the model's minimum or when empty,
    /// else rounded down to whole caching units.
    fn cacheable(&self, r: usize, prefix: f64) -> f64 {
        let model = self.routes[r].model;
        if prefix <= 0.0 || prefix < model.min_cache_prefix() {
            return 0.0;
        }
        let unit = model.cache_unit();
        (prefix / unit).floor() * unit
    }

    /// One session of segment `seg` on route `r`.
    fn session(&mut self, seg: usize, r: usize) {
        let s = self.s;
        let w = &s.segments[seg].workload;
        assert!(
            w.system_prompt_file.is_none() && w.tools_file.is_none(),
            "the reference counts no artifacts"
        );
        assert!(w.replicates.is_empty(), "no bootstrap replicates");
        assert_eq!(fixed(&s.shift.count, "shift.count"), 1.0);
        self.bill.sessions += 1.0;
        let size = self.routes[r].ratio * fixed(&s.shift.size, "shift.size");
        let system_tokens = tokens(fixed(&w.system_prompt_tokens, "system_prompt_tokens") * size);
        let system = self.piece(system_tokens);
        if let Some(recorded) = &w.resample {
            assert_eq!(
                recorded.len(),
                1,
                "one recorded session, so the replay is certain"
            );
            let calls = recorded[0].clone();
            return self.replay(seg, r, system_tokens, &calls);
        }
        let turns = match s.volume {
            Volume::Requests(_) => 1,
            _ => count(fixed(&w.turns_per_session, "turns_per_session")),
        };
        // The conversation after the system prompt, piece by piece, with the turn each
        // piece belongs to (for the window policy).
        let mut history: Vec<(u64, Piece)> = Vec::new();
        // Prompts in the cache, as piece identities: the system prompt, cached by earlier
        // sessions, then the prompt of every successful call.
        let mut cache: Vec<Vec<u64>> = vec![vec![system.id]];
        for turn in 0..turns {
            self.bill.turns += 1.0;
            if let Context::Summarize {
                above_tokens,
                summary_tokens,
            } = w.context
            {
                let hist: f64 = history.iter().map(|(_, p)| p.tokens).sum();
                if hist > above_tokens {
                    let prompt: Vec<Piece> = std::iter::once(system)
                        .chain(history.iter().map(|(_, p)| *p))
                        .collect();
                    let summary = tokens(summary_tokens * size);
                    if let Some(out) = self.call(seg, r, &prompt, &mut cache, Some(summary)) {
                        let piece = self.piece(out);
                        history = vec![(turn, piece)];
                    }
                }
            }
            let rounds = count(fixed(&w.tool_rounds_per_turn, "tool_rounds_per_turn"));
            if let Some(direct) = &w.input_tokens {
                // Call-level workloads: each call's whole input is drawn, system prompt
                // included; no history is re-sent.
                for round in 0..=rounds {
                    let input = tokens(fixed(direct, "input_tokens") * size);
                    let prefix = system_tokens.min(input);
                    let prompt = Prompt {
                        total: input,
                        cached: prefix,
                        breakpoint: match s.caching.cacheable {
                            Cacheable::History => input,
                            Cacheable::System => prefix,
                        },
                    };
                    if self.attempts(seg, r, &prompt, None).is_none() || round == rounds {
                        break;
                    }
                    self.tool_round(seg, r);
                }
                continue;
            }
            let user = tokens(fixed(&w.user_message_tokens, "user_message_tokens") * size);
            let mut new = vec![self.piece(user)];
            for round in 0..=rounds {
                let prompt: Vec<Piece> = std::iter::once(system)
                    .chain(history.iter().map(|(_, p)| *p))
                    .chain(new.iter().copied())
                    .collect();
                let Some(out) = self.call(seg, r, &prompt, &mut cache, None) else {
                    break;
                };
                history.extend(new.iter().map(|p| (turn, *p)));
                let out = self.piece(out);
                history.push((turn, out));
                if round == rounds {
                    break;
                }
                let k = self.tool_round(seg, r);
                let result = fixed(&w.tool_result_tokens, "tool_result_tokens");
                new = (0..k).map(|_| self.piece(tokens(result * size))).collect();
            }
            if let Context::Window { turns: keep } = w.context {
                // Keep the last `keep` completed turns.
                let first_kept = (turn + 1).saturating_sub(u64::from(keep));
                history.retain(|(t, _)| *t >= first_kept);
            }
        }
    }

    /// One tool round of segment `seg` on route `r`: its tool calls (returned), with the uses
    /// of priced tools billed.
    fn tool_round(&mut self, seg: usize, r: usize) -> u64 {
        let w = &self.s.segments[seg].workload;
        let k = count(fixed(&w.tool_calls_per_round, "tool_calls_per_round"));
        self.bill.tool_calls += k as f64;
        for _ in 0..k {
            self.tool_use(r);
        }
        k
    }

    /// One client tool call on route `r`: the priced tool it uses, if any, billed unless the
    /// month's free allowance still covers it.
    fn tool_use(&mut self, r: usize) {
        let Some((id, _, entry, key)) = self.routes[r]
            .tools
            .iter()
            .find(|t| certain(t.1, "priced_tools share"))
            .cloned()
        else {
            return;
        };
        *self.bill.tool_uses.entry((r, id)).or_default() += 1.0;
        let used = self.used.entry(key).or_default();
        *used += 1.0;
        if *used > entry.free_per_month.max(0.0) {
            let usd = entry.price_per_1k.0 / 1000.0;
            *self.bill.usd.entry(Component::ToolFees).or_default() += usd;
            self.bill.route_usd[r] += usd;
        }
    }

    /// A modelled call on `prompt`; a successful one puts its prompt in the cache.
    fn call(
        &mut self,
        seg: usize,
        r: usize,
        prompt: &[Piece],
        cache: &mut Vec<Vec<u64>>,
        fixed_output: Option<f64>,
    ) -> Option<f64> {
        let ids: Vec<u64> = prompt.iter().map(|p| p.id).collect();
        let total: f64 = prompt.iter().map(|p| p.tokens).sum();
        let system = prompt[0].tokens;
        let prompt = match self.s.caching.cacheable {
            Cacheable::System => Prompt {
                total,
                cached: system,
                breakpoint: system,
            },
            Cacheable::History => {
                // The longest cached prompt that is a prefix of this one.
                let longest = cache
                    .iter()
                    .filter(|c| ids.starts_with(c))
                    .map(|c| c.len())
                    .max()
                    .unwrap_or(0);
                Prompt {
                    total,
                    cached: prompt[..longest].iter().map(|p| p.tokens).sum(),
                    breakpoint: total,
                }
            }
        };
        let out = self.attempts(seg, r, &prompt, fixed_output);
        if out.is_some() {
            cache.push(ids);
        }
        out
    }

    /// The attempts of one call: each draws its output and reasoning, fails or succeeds,
    /// and is billed by its class's rule. The visible output of the successful attempt, or
    /// `None` when every attempt failed.
    fn attempts(
        &mut self,
        seg: usize,
        r: usize,
        prompt: &Prompt,
        fixed_output: Option<f64>,
    ) -> Option<f64> {
        let s = self.s;
        let w = &s.segments[seg].workload;
        let route = &self.routes[r];
        let shift = fixed(&s.shift.size, "shift.size");
        if prompt.total > route.context_window {
            self.bill.over_context += 1.0;
        }
        let cap = w
            .max_output_tokens
            .unwrap_or(f64::INFINITY)
            .min(route.max_output);
        let out = fixed_output.unwrap_or_else(|| {
            let x = fixed(&w.output_tokens, "output_tokens");
            tokens(x * route.ratio * shift * route.output_scale).min(cap)
        });
        let reasoning =
            tokens(fixed(&w.reasoning_tokens, "reasoning_tokens") * route.ratio * shift);
        // The failure class of every attempt: the first certain one (classes exclude each
        // other), or none.
        let failure = s
            .retries
            .classes
            .iter()
            .find(|c| certain(fixed(&c.p, c.name), c.name));
        for attempt in 1..=s.retries.max_attempts {
            self.bill.attempts += 1.0;
            let billed = failure.is_none_or(|c| c.billed);
            if billed {
                self.bill_attempt(r, prompt, out, reasoning, failure.is_some());
            }
            if failure.is_none() {
                self.bill.calls += 1.0;
                return Some(out);
            }
            if attempt == s.retries.max_attempts {
                self.bill.abandoned += 1.0;
            }
        }
        None
    }

    /// Bill one attempt's tokens at its long-context tier's rates for the month.
    fn bill_attempt(&mut self, r: usize, prompt: &Prompt, out: f64, reasoning: f64, failed: bool) {
        let s = self.s;
        let hit = s.caching.enabled && certain(fixed(&s.caching.hit_rate, "hit_rate"), "hit_rate");
        let writes = s.caching.enabled && self.routes[r].model.bills_cache_writes();
        let cached = self.cacheable(r, prompt.cached);
        let breakpoint = self.cacheable(r, prompt.breakpoint);
        let read = if hit { cached } else { 0.0 };
        let write = if !writes {
            0.0
        } else if hit {
            breakpoint - cached
        } else {
            breakpoint
        };
        let route = &self.routes[r];
        let tier = route.model.tier_index(prompt.total);
        let card = route
            .model
            .rate_card(&route.query, tier)
            .expect("rate card");
        for (class, q, rate) in [
            (TokenClass::Input, prompt.total - read - write, card.input),
            (TokenClass::CacheRead, read, card.cache_read),
            (TokenClass::CacheWrite, write, card.cache_write),
            (TokenClass::Output, out, card.output),
            (TokenClass::Reasoning, reasoning, card.reasoning),
        ] {
            *self
                .bill
                .tokens
                .entry((r, tier, failed, class))
                .or_default() += q;
            let usd = q * rate / 1e6;
            // Written out here rather than taken from `Component::of`: that mapping is part of
            // the pricing path under test.
            let component = if failed {
                Component::Retries
            } else {
                match class {
                    TokenClass::Input => Component::Input,
                    TokenClass::CacheRead => Component::CacheRead,
                    TokenClass::CacheWrite => Component::CacheWrite,
                    TokenClass::Output => Component::Output,
                    TokenClass::Reasoning => Component::Reasoning,
                }
            };
            *self.bill.usd.entry(component).or_default() += usd;
            self.bill.route_usd[r] += usd;
        }
    }

    /// Replay one recorded session (`[input, output, tool calls]` per call) as one turn:
    /// each call's recorded input (system prompt included) and output, scaled to the route's
    /// tokens; with the history cacheable, the previous call's prompt is a prefix of this
    /// one unless the recorded input shrank (the history was rewritten), when only the
    /// system prompt is.
    fn replay(&mut self, seg: usize, r: usize, system: f64, calls: &[[f64; 3]]) {
        let s = self.s;
        let w = &s.segments[seg].workload;
        let route = &self.routes[r];
        let size = route.ratio * fixed(&s.shift.size, "shift.size");
        let out_mult = route.ratio * fixed(&s.shift.size, "shift.size") * route.output_scale;
        let cap = w
            .max_output_tokens
            .unwrap_or(f64::INFINITY)
            .min(route.max_output);
        let [out_scale, input_add] = w.replay_adjust;
        let mut prev: Option<f64> = None;
        // Calls made since the last answer (a call asking for no tools ends a turn).
        let mut in_turn = 0;
        for call in calls {
            in_turn += 1;
            let input = tokens((call[0] + input_add).max(0.0) * size);
            let prefix = system.min(input);
            let out = tokens(call[1] * out_scale * out_mult).min(cap);
            let prompt = match s.caching.cacheable {
                Cacheable::System => Prompt {
                    total: input,
                    cached: prefix,
                    breakpoint: prefix,
                },
                Cacheable::History => Prompt {
                    total: input,
                    cached: match prev {
                        Some(p) if p <= input => p.max(prefix),
                        _ => prefix,
                    },
                    breakpoint: input,
                },
            };
            prev = Some(input);
            if self.attempts(seg, r, &prompt, Some(out)).is_none() {
                break;
            }
            let k = count(call[2]);
            self.bill.tool_calls += k as f64;
            for _ in 0..k {
                self.tool_use(r);
            }
            if k == 0 {
                self.bill.turns += 1.0;
                in_turn = 0;
            }
        }
        if in_turn > 0 {
            self.bill.turns += 1.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::dist::family::Family;
    use crate::dist::sampler::TABLE_BINS;
    use crate::dist::{Dist, FastRng, Sampler, SamplerCache};
    use crate::engine::prepare::Prepared;
    use crate::engine::price::{price_month, slots};
    use crate::engine::reuse::{Run, Source, simulate_runs};
    use crate::engine::session::{Acc, SessionSim};
    use crate::engine::trial::{Draws, session_sim};
    use crate::engine::{SimOptions, Simulation, simulate_prepared};
    use crate::scenario::Mode;

    /// Prices for the reference: `chat` (no write fee, a reasoning rate of its own, a
    /// 400-token output limit, a 1,024-token minimum prefix cached in units of 128), `agent`
    /// (bills writes, a long-context tier above 4,000 input tokens, a price cut from
    /// 2027-02-01), `small` (a 3,000-token context window), and a web search with 25 free
    /// uses a month.
    const PRICES: &str = r#"
schema_version = 1
[provider]
id = "refp"
name = "Reference test prices"

[[provider.tools]]
id = "web_search"
price_per_1k = 10.0
free_per_month = 25

[[models]]
id = "chat"
max_output_tokens = 400
[models.rates]
input = 2.0
cache_read = 0.2
output = 10.0
reasoning = 12.0
[models.caching]
min_prefix_tokens = 1024
unit_tokens = 128

[[models]]
id = "agent"
[models.rates]
input = 3.0
cache_read = 0.3
cache_write = 3.75
output = 15.0
[models.caching]
min_prefix_tokens = 512
[[models.context_tiers]]
above_input_tokens = 4000
multipliers = { input = 2.0, cache_read = 2.0, cache_write = 2.0, output = 1.5 }
[[models.schedule]]
effective_from = 2027-02-01
rates = { input = 1.5, cache_read = 0.15, cache_write = 1.875, output = 7.5 }

[[models]]
id = "small"
context_window = 3000
[models.rates]
input = 1.0
cache_read = 0.1
cache_write = 1.25
output = 4.0
"#;

    fn book_of(text: &str) -> PriceBook {
        let mut book = PriceBook::empty();
        book.add_text("reference-prices.toml", text, false)
            .unwrap_or_else(|e| panic!("{e}"));
        book
    }

    fn book() -> PriceBook {
        book_of(PRICES)
    }

    /// The same models at other prices (limits, caching rules and tiers unchanged, so a
    /// what-if reprices instead of re-simulating).
    fn other_book() -> PriceBook {
        book_of(
            &PRICES
                .replace("input = 2.0", "input = 2.5")
                .replace("output = 15.0", "output = 17.0")
                .replace("cache_write = 3.75", "cache_write = 4.5")
                .replace("price_per_1k = 10.0", "price_per_1k = 14.0"),
        )
    }

    fn scenario(months: u32, body: &str) -> Scenario {
        let text = format!(
            "schema_version = 1\nname = \"reference\"\nstart_month = \"2027-01\"\nhorizon_months = {months}\n[simulation]\ntrials = 20\nmode = \"exact\"\n{body}"
        );
        Scenario::from_text("reference.toml", &text, None, &[]).unwrap_or_else(|e| panic!("{e}"))
    }

    /// USD agree to within 1e-12 relative. The reference adds each attempt's cost as it is
    /// billed; the engine multiplies summed quantities by the rates (and fast mode multiplies
    /// a session's mean cost by the session count): the same products summed in another
    /// order, so they differ by rounding only, at most about `n·ε` relative over `n` terms
    /// (a few thousand here: below 1e-12).
    fn assert_usd(what: &str, got: f64, want: f64) {
        assert!(
            (got - want).abs() <= 1e-12 * want.abs().max(got.abs()),
            "{what}: engine {got}, reference {want}"
        );
    }

    /// Month `m` of the reference with `n[segment][route]` sessions.
    fn reference(s: &Scenario, book: &PriceBook, m: usize, n: &[Vec<u64>]) -> Bill {
        Month::new(s, book, m).run(n)
    }

    /// `n[segment]` sessions of each segment through the optimised session loop, with the
    /// simulators trial 0 builds (each changed by `edit` first).
    fn optimised(s: &Scenario, p: &Prepared, n: &[u64], edit: impl Fn(&mut SessionSim)) -> Acc {
        let si = p.session_inputs();
        let d = Draws {
            seed: s.seed,
            trial: 0,
            pins: None,
            all_at: None,
            redraw: None,
            record: None,
        };
        let cache = Mutex::new(SamplerCache::new());
        let one_turn = matches!(s.volume, Volume::Requests(_));
        let mut acc = Acc::new(si.routes.len(), si.tiers, si.tool_ids.len());
        let mut rng = FastRng::from_seed(7);
        for (i, seg) in s.segments.iter().enumerate() {
            let mut sim = session_sim(s, &si, i, seg, &d, one_turn, &cache).unwrap();
            edit(&mut sim);
            sim.sessions(n[i], &mut rng, &mut acc);
        }
        acc
    }

    /// Every quantity and counter of `acc` equals the reference's, and month `m`'s prices of
    /// it agree with the reference's USD.
    fn assert_same_month(p: &Prepared, m: usize, acc: &Acc, want: &Bill) {
        let mut seen = 0;
        for s in slots(p.routes.len(), p.tiers) {
            let failed = s.component == Component::Retries;
            let q = want
                .tokens
                .get(&(s.route, s.tier, failed, s.class))
                .copied()
                .unwrap_or(0.0);
            seen += usize::from(
                want.tokens
                    .contains_key(&(s.route, s.tier, failed, s.class)),
            );
            assert_eq!(acc.q[s.index], q, "tokens of {s:?} (failed: {failed})");
        }
        assert_eq!(
            seen,
            want.tokens.len(),
            "the reference billed a tier the engine lacks"
        );
        let counters = [
            ("sessions", acc.sessions, want.sessions),
            ("turns", acc.turns, want.turns),
            ("calls", acc.calls, want.calls),
            ("attempts", acc.attempts, want.attempts),
            ("abandoned calls", acc.abandoned, want.abandoned),
            ("tool calls", acc.tool_calls, want.tool_calls),
            (
                "calls over the context window",
                acc.over_context,
                want.over_context,
            ),
        ];
        for (what, got, expected) in counters {
            assert_eq!(got, expected, "{what}");
        }
        let nt = p.tool_ids.len();
        for r in 0..p.routes.len() {
            for (slot, id) in p.tool_ids.iter().enumerate() {
                let uses = want.tool_uses.get(&(r, id.clone())).copied().unwrap_or(0.0);
                assert_eq!(acc.tools[r * nt + slot], uses, "uses of {id} on route {r}");
            }
        }
        let out = price_month(p, m, acc);
        assert_usd("bill", out.total, want.total());
        for c in Component::ALL {
            assert_usd(c.name(), out.comp[c], want.component(c));
        }
        for (r, usd) in out.routes.iter().enumerate() {
            assert_usd(&format!("route {r}"), *usd, want.route_usd[r]);
        }
    }

    /// Every trial-month of a run equals the reference's month with `n` sessions on route 0.
    fn assert_same_run(sim: &Simulation, s: &Scenario, book: &PriceBook, n: u64, what: &str) {
        for m in 0..sim.months.len() {
            let want = reference(s, book, m, &[vec![n]]);
            for (t, total) in sim.totals[m].iter().enumerate() {
                assert_usd(
                    &format!("{what}: month {m}, trial {t}"),
                    *total,
                    want.total(),
                );
                let vol = &sim.trial_volumes[m][t];
                for class in TokenClass::ALL {
                    assert_usd(
                        &format!("{what}: month {m}, trial {t}, {} tokens", class.name()),
                        vol.tokens[class as usize],
                        want.class_tokens(class),
                    );
                }
                for (name, got, expected) in [
                    ("calls", vol.calls, want.calls),
                    ("attempts", vol.attempts, want.attempts),
                    ("tool calls", vol.tool_calls, want.tool_calls),
                    ("over context", vol.over_context_calls, want.over_context),
                ] {
                    assert_usd(&format!("{what}: month {m}, {name}"), got, expected);
                }
            }
            for c in Component::ALL {
                assert_usd(
                    &format!("{what}: month {m}, mean {}", c.name()),
                    sim.components[m][c],
                    want.component(c),
                );
            }
            for (r, usd) in sim.routes[m].iter().enumerate() {
                assert_usd(
                    &format!("{what}: month {m}, route {r}"),
                    *usd,
                    want.route_usd[r],
                );
            }
        }
    }

    fn run(s: &Scenario, p: &Prepared, mode: Mode) -> Simulation {
        let opts = SimOptions {
            mode: Some(mode),
            ..Default::default()
        };
        let sim = simulate_prepared(s, p, &opts).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sim.mode, mode);
        sim
    }

    /// The whole comparison for a one-route scenario with `n` sessions a month: the session
    /// loop's quantities month by month, exact and fast runs, and a what-if that reprices
    /// the same sessions with other prices in both modes.
    fn assert_every_path(s: &Scenario, n: u64) {
        let (book, other) = (book(), other_book());
        let p = Prepared::new(s, &book).unwrap_or_else(|e| panic!("{e}"));
        for m in 0..p.months.len() {
            let acc = optimised(s, &p, &[n], |_| {});
            assert_same_month(&p, m, &acc, &reference(s, &book, m, &[vec![n]]));
        }
        assert_same_run(&run(s, &p, Mode::Exact), s, &book, n, "exact");
        // Nothing varies, so fast mode's pilot sessions are all alike: the session cost has
        // no variance and the month is n × its mean.
        assert_same_run(&run(s, &p, Mode::Fast), s, &book, n, "fast");
        let q = Prepared::new(s, &other).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.session_inputs(), q.session_inputs());
        for (mode, source) in [
            (Mode::Exact, Source::Repriced),
            (Mode::Fast, Source::Reaggregated),
        ] {
            let opts = SimOptions {
                mode: Some(mode),
                ..Default::default()
            };
            let runs = [&p, &q].map(|prepared| Run {
                scenario: s,
                prepared,
                opts,
            });
            let out = simulate_runs(&runs, None, true).unwrap_or_else(|(i, e)| panic!("{i}: {e}"));
            assert_eq!(out[1].1, source, "{mode:?}");
            assert_same_run(&out[1].0, s, &other, n, &format!("{mode:?} repriced"));
            assert_same_run(&out[0].0, s, &book, n, &format!("{mode:?} shared"));
        }
    }

    const CHAT: &str = r#"
[traffic]
sessions_per_month = 12
[workload]
system_prompt_tokens = 1500
turns_per_session = 4
user_message_tokens = 60
output_tokens = 150
max_output_tokens = 160
reasoning_tokens = 7
[caching]
hit_rate = 1
[[routes]]
model = "refp/chat"
tokenizer_ratio = 1.1
"#;

    #[test]
    fn a_chat_with_its_system_prompt_cached() {
        // Sizes × 1.1 rounded up (1,650-token system prompt, cached as 1,536 in units of
        // 128; outputs of 165 capped at 160; reasoning 7.7 → 8), four turns re-sending the
        // history.
        assert_every_path(&scenario(2, CHAT), 12);
    }

    const AGENT: &str = r#"
[traffic]
sessions_per_month = 10
[workload]
system_prompt_tokens = 800
turns_per_session = 3
user_message_tokens = 50
output_tokens = 120
tool_rounds_per_turn = 2
tool_calls_per_round = 2
tool_result_tokens = 300
priced_tools = { web_search = 1.0 }
[caching]
hit_rate = 1
cacheable = "history"
[[routes]]
model = "refp/agent"
"#;

    #[test]
    fn an_agent_with_tool_rounds_a_long_context_tier_a_priced_tool_and_a_price_change() {
        // Nine calls a session; the third turn's calls cross 4,000 input tokens (the long-
        // context tier); 120 web searches a month, 25 of them free; the rates fall from the
        // second month.
        assert_every_path(&scenario(3, AGENT), 10);
    }

    #[test]
    fn the_flat_loop_bills_like_the_reference() {
        // One tool call per round and the whole history re-sent: with table laws (here
        // degenerate ones, every quantile the same) the session loop takes its flat path.
        let s = scenario(
            2,
            &AGENT
                .replace("tool_calls_per_round = 2", "tool_calls_per_round = 1")
                .replace("turns_per_session = 3", "turns_per_session = 4"),
        );
        let book = book();
        let p = Prepared::new(&s, &book).unwrap();
        let table = |v: f64| Sampler::Table {
            q: Arc::new([1.0; TABLE_BINS + 1]),
            plain: true,
            scale: v,
            offset: 0.0,
            lo: f64::NEG_INFINITY,
            hi: f64::INFINITY,
            dist: Box::new(Dist::plain(Family::Fixed(v))),
        };
        for m in 0..2 {
            let acc = optimised(&s, &p, &[10], |sim| {
                sim.user = table(50.0);
                sim.output = table(120.0);
                sim.tool_result = table(300.0);
                assert!(sim.flat_shape());
            });
            assert_same_month(&p, m, &acc, &reference(&s, &book, m, &[vec![10]]));
        }
        // And the same scenario with constants, through the nested loop.
        assert_every_path(&s, 10);
    }

    #[test]
    fn a_window_policy_trims_the_history_and_calls_above_the_context_window_are_counted() {
        // Each turn adds 1,200 tokens; two turns are kept, so prompts reach 3,600 tokens,
        // above the 3,000-token window. Every call misses the cache and writes its prompt.
        let s = scenario(
            1,
            r#"
[traffic]
sessions_per_month = 8
[workload]
system_prompt_tokens = 600
turns_per_session = 6
user_message_tokens = 200
output_tokens = 300
tool_rounds_per_turn = 1
tool_calls_per_round = 1
tool_result_tokens = 400
context = { policy = "window", turns = 2 }
[caching]
hit_rate = 0
cacheable = "history"
[[routes]]
model = "refp/small"
"#,
        );
        let want = reference(&s, &book(), 0, &[vec![8]]);
        assert!(want.over_context > 0.0, "{want:?}");
        assert_every_path(&s, 8);
    }

    #[test]
    fn a_summary_call_replaces_a_long_history() {
        let s = scenario(
            2,
            r#"
[traffic]
sessions_per_month = 9
[workload]
system_prompt_tokens = 700
turns_per_session = 6
user_message_tokens = 80
output_tokens = 250
reasoning_tokens = 40
tool_rounds_per_turn = 1
tool_calls_per_round = 1
tool_result_tokens = 500
context = { policy = "summarize", above_tokens = 1500, summary_tokens = 200 }
[caching]
hit_rate = 1
cacheable = "history"
[[routes]]
model = "refp/agent"
"#,
        );
        // Turns of 1,080 tokens: a summary call before turns 3 and 5.
        let want = reference(&s, &book(), 0, &[vec![9]]);
        assert_eq!(want.calls, 9.0 * (6.0 * 2.0 + 2.0), "{want:?}");
        assert_every_path(&s, 9);
    }

    #[test]
    fn certain_failures_bill_by_class_and_abandon_every_call() {
        // Validation refuses failure probabilities that add up to 1 (every attempt would
        // fail), so the certain failure is set on the parsed scenario: each call makes three
        // attempts, all fail, and the turn ends after its first call.
        for (class, billed) in [("timeout", true), ("rate_limit", false)] {
            let mut s = scenario(
                2,
                &AGENT.replace("[caching]", "[retries]\nmax_attempts = 3\n[caching]"),
            );
            let c = s
                .retries
                .classes
                .iter_mut()
                .find(|c| c.name == class)
                .unwrap();
            c.p = Uncertain::Fixed(1.0);
            assert_eq!(c.billed, billed);
            let want = reference(&s, &book(), 0, &[vec![10]]);
            assert_eq!(
                (want.calls, want.attempts, want.abandoned),
                (0.0, 90.0, 30.0)
            );
            assert_eq!(want.component(Component::Retries) > 0.0, billed);
            assert_every_path(&s, 10);
        }
    }

    #[test]
    fn call_level_inputs_with_the_system_prompt_cached() {
        let s = scenario(
            2,
            r#"
[traffic]
requests_per_month = 30
[workload]
system_prompt_tokens = 1200
input_tokens = 2000
output_tokens = 80
[caching]
hit_rate = 1
[[routes]]
model = "refp/chat"
"#,
        );
        assert_every_path(&s, 30);
    }

    #[test]
    fn a_replayed_session_bills_its_recorded_calls() {
        // One recorded session (so the replay is certain): its input grows, then shrinks
        // (the history was rewritten: only the system prompt stays cached).
        let mut s = scenario(2, AGENT);
        s.segments[0].workload.resample = Some(Arc::new(vec![vec![
            [900.0, 100.0, 1.0],
            [1500.0, 120.0, 2.0],
            [4600.0, 90.0, 0.0],
            [1200.0, 50.0, 0.0],
        ]]));
        assert_every_path(&s, 10);
        // Two turns each: the third call answers the first turn, the fourth the second.
        let bill = reference(&s, &book(), 0, &[vec![10]]);
        assert_eq!((bill.sessions, bill.turns), (10.0, 20.0));
    }

    #[test]
    fn sessions_split_between_routes_bill_like_the_reference_on_each() {
        // The route of each session is random: the session loop's quantities on each route
        // must be a whole number of the reference's sessions there, adding up to the month's
        // sessions, and then equal to the reference with that split.
        let s = scenario(
            2,
            &AGENT.replace(
                "[[routes]]\nmodel = \"refp/agent\"",
                "[[routes]]\nmodel = \"refp/agent\"\nshare = 0.5\n[[routes]]\nmodel = \"refp/small\"\nshare = 0.5",
            ),
        );
        let book = book();
        let p = Prepared::new(&s, &book).unwrap();
        let n = 40;
        for m in 0..2 {
            let acc = optimised(&s, &p, &[n], |_| {});
            let split: Vec<u64> = (0..2)
                .map(|r| {
                    let mut one = vec![0, 0];
                    one[r] = 1;
                    let per_session: f64 = reference(&s, &book, m, &[one]).tokens.values().sum();
                    let on_route: f64 = slots(p.routes.len(), p.tiers)
                        .filter(|x| x.route == r)
                        .map(|x| acc.q[x.index])
                        .sum();
                    let k = on_route / per_session;
                    assert_eq!(k, k.round(), "route {r}: {on_route} tokens");
                    k as u64
                })
                .collect();
            assert_eq!(split.iter().sum::<u64>(), n);
            assert!(split.iter().all(|&k| k > 0), "{split:?}");
            assert_same_month(&p, m, &acc, &reference(&s, &book, m, &[split]));
        }
    }
}
