//! The inner loop: sessions → turns → calls → attempts, accumulating token quantities by
//! route, long-context tier, origin (successful attempt or billed failed attempt) and token
//! class. No prices and no allocation here; this is the code the speed targets are about.
//!
//! Call input (DESIGN §1.4): `system + history + new content`, where new content is the user
//! message for a turn's first call and the previous round's tool results afterwards. After a
//! call, its new content and its visible output join the history (reasoning does not).
//!
//! Prompt caching follows the providers' prefix rules (scenarios/README.md, "How caching is
//! billed"). With `cacheable = "system"` the cache breakpoint sits after the system prompt: a
//! hit reads it, a miss writes it. With `"history"` the breakpoint sits at the end of every
//! prompt, so the cache holds the previous call's whole prompt: a hit reads that prompt (which
//! is a prefix of this one) and writes what follows it — the previous call's output and this
//! call's new content; a miss writes the whole prompt. A call's own output is never read from
//! cache by the next call, because it was not part of any prompt yet. Prefixes below the
//! model's minimum are neither read nor written, cached lengths are rounded down to the
//! model's caching unit (OpenAI: 128 tokens), and writes are billed only on models that price
//! them (elsewhere written tokens are plain input).

use crate::dist::sampler::{Draw, PlainTable};
use crate::dist::sampler::{ceil_pos, floor_pos, round_pos};
use crate::dist::{FastRng, Sampler};
use crate::pricing::schema::TokenClass;
use crate::scenario::Context;
use crate::scenario::limits::WINDOW_MAX;

/// Token classes per slot, in [`TokenClass::ALL`] order (the rate card's order).
pub const CLASSES: usize = TokenClass::ALL.len();
/// Origins: [`SUCCEEDED`] and [`FAILED`].
pub const ORIGINS: usize = 2;
/// Origin of the tokens of successful attempts.
pub const SUCCEEDED: usize = 0;
/// Origin of the tokens of billed failed attempts (the `retries` component).
pub const FAILED: usize = 1;
/// Failure classes of an attempt (`rate_limit`, `timeout`, … in the scenario's order): the
/// length of [`SessionSim::fail_cum`].
pub const FAILURE_CLASSES: usize = 4;

/// Index in [`Acc::q`] of the first class of `(route, tier, origin)` in an accumulator of
/// `tiers` tiers: the layout is `[route][tier][origin][class]`.
#[inline(always)]
pub fn slot_index(tiers: usize, route: usize, tier: usize, origin: usize) -> usize {
    ((route * tiers + tier) * ORIGINS + origin) * CLASSES
}

/// Per-route constants of the inner loop.
#[derive(Clone, Debug)]
pub struct RouteSim {
    /// Cumulative share, for route choice.
    pub cum_share: f64,
    /// Static prefix (system prompt, tool definitions), model tokens, for the trial: the drawn
    /// `system_prompt_tokens` × `size_mult` rounded up, plus the artifacts counted on this route.
    pub system: f64,
    /// Input-size multiplier: tokenizer ratio × pilot-to-production input shift.
    pub size_mult: f64,
    /// Output multiplier: tokenizer ratio × output shift × route output scale.
    pub out_mult: f64,
    /// Reasoning multiplier: tokenizer ratio × output shift.
    pub reasoning_mult: f64,
    /// Output cap, model tokens.
    pub cap: f64,
    /// Long-context thresholds (model tokens), ascending, with inclusiveness.
    pub thresholds: Vec<(f64, bool)>,
    /// The largest total input (model tokens) still on the base tier:
    /// [`RouteSim::base_limit`] of `thresholds`.
    pub base_max: f64,
    /// Minimum cacheable prefix, model tokens.
    pub min_prefix: f64,
    /// Cached lengths are whole multiples of this many tokens (1, or 128 on OpenAI).
    pub cache_unit: f64,
    /// The model's context window, tokens (∞ when unknown): calls above it are counted.
    pub context_max: f64,
    /// 1.0 when misses are billed as cache writes, else 0.0 (a factor in the branch-free
    /// cache split of each attempt).
    pub write_f: f64,
}

impl RouteSim {
    /// The largest input on the base tier, so that a call is on it iff `input ≤ limit`: the
    /// first threshold, or the double just below it when the threshold is inclusive
    /// (`input ≥ t` starts the tier); `+∞` without thresholds. One compare per call instead
    /// of a walk over the thresholds.
    pub fn base_limit(thresholds: &[(f64, bool)]) -> f64 {
        match thresholds.first() {
            None => f64::INFINITY,
            Some(&(t, true)) => t.next_down(),
            Some(&(t, false)) => t,
        }
    }

    /// Tokens of `prefix` the cache can hold: none below the route's minimum (or when empty),
    /// else `prefix` rounded down to whole cache units.
    #[inline(always)]
    fn cacheable(&self, prefix: f64) -> f64 {
        // `prefix ≥ max(minimum, smallest positive double)` is `prefix ≥ minimum ∧ prefix > 0`
        // in one compare (an empty prefix is never cached).
        let c = f64::from(u8::from(prefix >= self.min_prefix.max(f64::from_bits(1))));
        c * (floor_pos(prefix / self.cache_unit) * self.cache_unit)
    }

    /// The long-context tier of a call: how many thresholds its total input crosses.
    #[inline(always)]
    fn tier(&self, total_input: f64) -> usize {
        let mut t = 0;
        for &(th, incl) in &self.thresholds {
            if total_input > th || (incl && total_input >= th) {
                t += 1;
            }
        }
        t
    }
}

/// Everything one segment's sessions need for one trial.
#[derive(Clone, Debug)]
pub struct SessionSim {
    /// Turns per session.
    pub turns: Sampler,
    /// Force one turn per session (request volumes).
    pub one_turn: bool,
    /// User message tokens.
    pub user: Sampler,
    /// Output tokens.
    pub output: Sampler,
    /// Reasoning tokens.
    pub reasoning: Sampler,
    /// Tool rounds per turn.
    pub rounds: Sampler,
    /// Tool calls per round.
    pub per_round: Sampler,
    /// Tool result tokens.
    pub tool_result: Sampler,
    /// Direct input per call (call-level workloads).
    pub input_direct: Option<Sampler>,
    /// Recorded sessions to replay: per call `[input, output, tool_calls]`.
    pub replay: Option<std::sync::Arc<Vec<Vec<[f64; 3]>>>>,
    /// The sessions of `replay` this trial draws from (a bootstrap resample of their indices,
    /// carrying the sample's uncertainty like the fitted laws' replicates); empty = all.
    pub replay_pool: Vec<u32>,
    /// How parametric what-ifs apply to replayed sessions: recorded outputs are multiplied by
    /// `[0]` (the ratio of the scenario's mean output to the fitted one) and recorded inputs
    /// shifted by `[1]` tokens (the scenario's system prompt less the fitted one).
    pub replay_adjust: [f64; 2],
    /// System prompt tokens (reference tokens), drawn for the trial.
    pub system: f64,
    /// Multiplier on counts (turns, tool rounds) from the pilot-to-production shift.
    pub count_mult: f64,
    /// Cache hit probability.
    pub hit: f64,
    /// History is cacheable.
    pub cache_history: bool,
    /// Cumulative failure probabilities of the failure classes: an attempt fails with
    /// probability `fail_cum[FAILURE_CLASSES − 1]`.
    pub fail_cum: [f64; FAILURE_CLASSES],
    /// Whether each class is billed.
    pub fail_billed: [bool; FAILURE_CLASSES],
    /// Attempts per call.
    pub max_attempts: u32,
    /// Context policy.
    pub context: Context,
    /// Shares of tool calls per priced tool slot.
    pub tool_shares: Vec<f64>,
    /// Routes.
    pub routes: Vec<RouteSim>,
}

/// Token quantities and counters of one month (or one pilot).
#[derive(Clone, Debug)]
pub struct Acc {
    /// Quantities `[route][tier][origin][class]`, flattened.
    pub q: Vec<f64>,
    /// Priced tool uses `[route][slot]`, flattened.
    pub tools: Vec<f64>,
    /// Sessions simulated.
    pub sessions: f64,
    /// Turns simulated.
    pub turns: f64,
    /// Successful calls.
    pub calls: f64,
    /// Attempts (successful and failed, billed or not).
    pub attempts: f64,
    /// Calls abandoned after the last attempt failed.
    pub abandoned: f64,
    /// Client tool calls emitted.
    pub tool_calls: f64,
    /// Calls whose input exceeds their model's context window.
    pub over_context: f64,
    tiers: usize,
    n_tools: usize,
}

impl Acc {
    /// An empty accumulator for `routes` routes, `tiers` tiers and `n_tools` tool slots.
    pub fn new(routes: usize, tiers: usize, n_tools: usize) -> Acc {
        Acc {
            q: vec![0.0; routes * tiers * ORIGINS * CLASSES],
            tools: vec![0.0; routes * n_tools],
            sessions: 0.0,
            turns: 0.0,
            calls: 0.0,
            attempts: 0.0,
            abandoned: 0.0,
            tool_calls: 0.0,
            over_context: 0.0,
            tiers,
            n_tools,
        }
    }

    /// Reset to zero, keeping the allocation.
    pub fn clear(&mut self) {
        self.q.iter_mut().for_each(|x| *x = 0.0);
        self.tools.iter_mut().for_each(|x| *x = 0.0);
        self.sessions = 0.0;
        self.turns = 0.0;
        self.calls = 0.0;
        self.attempts = 0.0;
        self.abandoned = 0.0;
        self.tool_calls = 0.0;
        self.over_context = 0.0;
    }

    /// Add another accumulator.
    pub fn add(&mut self, o: &Acc) {
        self.q.iter_mut().zip(&o.q).for_each(|(a, b)| *a += b);
        self.tools
            .iter_mut()
            .zip(&o.tools)
            .for_each(|(a, b)| *a += b);
        self.sessions += o.sessions;
        self.turns += o.turns;
        self.calls += o.calls;
        self.attempts += o.attempts;
        self.abandoned += o.abandoned;
        self.tool_calls += o.tool_calls;
        self.over_context += o.over_context;
    }

    /// Index of `(route, tier, origin, class)` in `q`.
    #[inline(always)]
    pub fn idx(&self, route: usize, tier: usize, origin: usize) -> usize {
        slot_index(self.tiers, route, tier, origin)
    }

    /// The token classes of `(route, tier, origin)`.
    #[inline(always)]
    pub fn slot(&mut self, route: usize, tier: usize, origin: usize) -> &mut [f64; CLASSES] {
        let i = self.idx(route, tier, origin) / CLASSES;
        &mut self.q.as_chunks_mut::<CLASSES>().0[i]
    }

    /// Number of tool slots.
    pub fn n_tools(&self) -> usize {
        self.n_tools
    }

    /// Number of tiers.
    pub fn tiers(&self) -> usize {
        self.tiers
    }
}

/// One session's running sums for its route: the tokens of successful attempts on the base
/// tier, and call counters. Kept in registers and added to [`Acc`] once per session. The
/// input is summed as `Σ total`, `Σ writable` and `Σ read` rather than split per call: the
/// split ([`classes`]) is linear in these sums, so splitting once per session bills exactly
/// the same integer token counts with fewer operations per call.
#[derive(Default)]
struct Local {
    /// Input tokens, `Σ total` ([`Input`]).
    input: f64,
    /// `Σ writable` ([`Input`]).
    writable: f64,
    /// Cache-read tokens, `Σ h·readable`.
    read: f64,
    /// Visible output tokens.
    out: f64,
    /// Reasoning tokens.
    reasoning: f64,
    calls: f64,
    /// Failed attempts; attempts are `calls + failed` (one add per call fewer).
    failed: f64,
    turns: f64,
    tool_calls: f64,
}

/// Per-turn scratch of a batch of sessions, on the stack.
struct Scratch {
    /// Sizes of completed turns, a ring (window policy).
    window: [f64; WINDOW_MAX],
    /// Tool rounds of each turn of the session (flat loop).
    rounds: [u64; WINDOW_MAX],
}

/// One attempt's draws: output, reasoning, and the 32 bits deciding failure (and, when it
/// succeeds, the cache hit).
struct Attempt {
    out: f64,
    reasoning: f64,
    bits: u64,
}

/// The samplers drawn per attempt, turn and round, resolved once per batch of sessions: the
/// hot loop is compiled once for table laws (no dispatch per draw) and once for any law.
struct Hot<O, U, T, D> {
    output: O,
    user: U,
    tool_result: T,
    /// Direct input per call (call-level workloads). A plain table law in the table
    /// instantiation, so checking it per call is a register test rather than a `match` on the
    /// sampler that LLVM folds into a jump table.
    direct: Option<D>,
    /// An attempt fails when its 32 bits are below this.
    fail_below: u64,
    /// A successful attempt's cache hits when its 32 bits, uniform on
    /// `[fail_below, 2³²)` given success, are below this.
    hit_below: u64,
    /// A failed attempt's cache hits when the high 32 bits of a fresh draw are below this.
    fail_hit_below: u64,
}

/// The 32-bit threshold equivalent to comparing `x / 2³²` with the probability `p`:
/// `x / 2³² < p` ⇔ `x < ⌈p · 2³²⌉` for integer `x` (the scaling by 2³² is exact).
fn below(p: f64) -> u64 {
    below_of(p, 1 << 32)
}

/// The threshold on `n` equally likely integers `x ∈ [0, n)`, `n ≤ 2³²`, with `P(x < t) = p`
/// to within `1/n`: `x / n < p` ⇔ `x < ⌈p · n⌉` (exact when `n` is a power of two; otherwise
/// `p · n` is rounded, which moves the threshold only when it lies within 2⁻²⁰ of an integer).
fn below_of(p: f64, n: u64) -> u64 {
    (p.clamp(0.0, 1.0) * n as f64).ceil() as u64
}

/// One call's input as the cache sees it, in model tokens: `total`, the tokens a hit reads
/// (`readable`), and the tokens a miss writes (`writable`). A hit writes `writable − readable`
/// (what follows the cached prefix up to the breakpoint); writes are billed only on models that
/// price them ([`classes`]).
#[derive(Clone, Copy)]
struct Input {
    /// Every input token.
    total: f64,
    readable: f64,
    writable: f64,
}

impl Input {
    /// A call whose cacheable prefix is its first `prefix` tokens (the system prompt), with
    /// `rest` more: a hit reads the prefix, a miss writes it.
    #[inline(always)]
    fn system(route: &RouteSim, prefix: f64, rest: f64) -> Input {
        let cached = route.cacheable(prefix);
        Input {
            total: prefix + rest,
            readable: cached,
            writable: cached,
        }
    }

    /// A call of a conversation cached up to the end of each prompt: the cache can hold
    /// `prev`, the previous call's prompt (a prefix of this one's `total` tokens). A hit reads
    /// `prev` and writes the rest of the prompt; a miss writes the whole prompt.
    #[inline(always)]
    fn conversation(route: &RouteSim, prev: f64, total: f64) -> Input {
        Input {
            total,
            readable: route.cacheable(prev),
            writable: route.cacheable(total),
        }
    }

    /// One attempt's (uncached, cache read, cache write) tokens: `read = h·readable` with `h`
    /// = 1.0 on a hit and 0.0 on a miss ([`indicator_below`]), then [`classes`].
    #[inline(always)]
    fn split(self, write_f: f64, h: f64) -> [f64; 3] {
        classes(self.total, self.writable, h * self.readable, write_f)
    }
}

/// `1.0` when `x < t`, else `0.0`, for `x, t < 2⁶³`: the sign bit of `x − t`. Integer arithmetic
/// on purpose: from a `bool` (`f64::from(u8::from(x < t))`, or bit-mask selects) LLVM
/// compiles a branch on the comparison, and the cache hit it decides is random (one miss in
/// five calls at the usual hit rates), so that branch mispredicted on a fifth of all calls
/// (callgrind's branch simulation: 1.1 M mispredictions in 5.15 M calls).
#[inline(always)]
fn indicator_below(x: u64, t: u64) -> f64 {
    (x.wrapping_sub(t) >> 63) as i64 as f64
}

/// (uncached, cache read, cache write) tokens from input tokens `total`, writable tokens and
/// tokens read from cache, with `w` = `write_f` (1 when the model bills writes):
/// `write = w·(writable − read)`, `uncached = total − read − write`. Linear in its first three
/// arguments, so it splits one attempt or a session's sums alike. Token counts are integers
/// below 2⁵³, so the arithmetic is exact.
#[inline(always)]
fn classes(total: f64, writable: f64, read: f64, write_f: f64) -> [f64; 3] {
    let write = write_f * (writable - read);
    [total - read - write, read, write]
}

/// Add one billed attempt's tokens to a class slot; `split` is (uncached, cache read, cache
/// write) as [`classes`] gives it.
#[inline(always)]
fn add_tokens(q: &mut [f64; CLASSES], split: [f64; 3], out: f64, reasoning: f64) {
    let [uncached, read, write] = split;
    q[TokenClass::Input as usize] += uncached;
    q[TokenClass::CacheRead as usize] += read;
    q[TokenClass::CacheWrite as usize] += write;
    q[TokenClass::Output as usize] += out;
    q[TokenClass::Reasoning as usize] += reasoning;
}

/// Stochastic rounding of a scaled count: `floor(x) + Bernoulli(frac(x))`, mean preserved.
#[inline(always)]
fn scale_count(n: f64, mult: f64, rng: &mut FastRng) -> f64 {
    if mult == 1.0 {
        return n;
    }
    let x = n * mult;
    let f = x.floor();
    if rng.uniform() < x - f { f + 1.0 } else { f }
}

impl SessionSim {
    /// The failure class of a failed attempt, from the 32 bits that failed it: the uniform
    /// `u = bits / 2³²` falls in one of the cumulative class intervals, so the class is the
    /// number of class bounds at or below `u` (the bounds ascend; the last one is above `u`,
    /// since the attempt failed).
    #[inline(always)]
    fn failure_class(&self, bits: u64) -> usize {
        let u = bits as f64 * (1.0 / (1u64 << 32) as f64);
        self.fail_cum[..FAILURE_CLASSES - 1]
            .iter()
            .filter(|&&bound| u >= bound)
            .count()
    }

    /// The probability that an attempt fails, whatever the class.
    #[inline(always)]
    fn fail_any(&self) -> f64 {
        self.fail_cum[FAILURE_CLASSES - 1]
    }

    /// One call with retries, on `input`; `fixed_output` replaces the sampled output
    /// (summaries, replays). Returns the visible output of the successful attempt, or `None`
    /// when every attempt failed.
    ///
    /// The common case, a first attempt that succeeds on the base tier, is straight-line code
    /// that adds to the session's running sums `loc`; failures go to [`Self::retry`]. Random
    /// draws per attempt, in order: output with 32 more bits ([`Draw::draw_with_bits`]: one
    /// generator step for a table law), then reasoning. The 32 bits decide failure and, given
    /// success, the cache hit: an attempt succeeds when they are at least `fail_below`, and
    /// then they are uniform on `[fail_below, 2³²)`, so a second threshold in that range
    /// draws the hit independently of the failure.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn call<O: Draw, U: Draw, T: Draw, D: Draw>(
        &self,
        hot: &Hot<O, U, T, D>,
        rng: &mut FastRng,
        r: usize,
        acc: &mut Acc,
        loc: &mut Local,
        input: Input,
        fixed_output: Option<f64>,
    ) -> Option<f64> {
        let route = &self.routes[r];
        let (out, reasoning, bits) = self.draw_output(&hot.output, rng, route, fixed_output);
        if bits < hot.fail_below {
            let first = Attempt {
                out,
                reasoning,
                bits,
            };
            return self.retry(hot, rng, r, acc, loc, input, fixed_output, first);
        }
        loc.calls += 1.0;
        let h = indicator_below(bits, hot.hit_below);
        // Sums go to the registers of `loc` unless a long-context tier applies.
        if input.total <= route.base_max {
            loc.input += input.total;
            loc.writable += input.writable;
            loc.read += h * input.readable;
            loc.out += out;
            loc.reasoning += reasoning;
        } else {
            // Past the base tier or the context window: both are rare, so the count costs the
            // common path nothing (`base_max` is at most the window).
            acc.over_context += f64::from(u8::from(input.total > route.context_max));
            let slot = acc.slot(r, route.tier(input.total), SUCCEEDED);
            add_tokens(slot, input.split(route.write_f, h), out, reasoning);
        }
        Some(out)
    }

    /// Visible output and reasoning tokens of one attempt, and its 32 random bits (see
    /// [`Self::call`]).
    #[inline(always)]
    fn draw_output(
        &self,
        output: &impl Draw,
        rng: &mut FastRng,
        route: &RouteSim,
        fixed_output: Option<f64>,
    ) -> (f64, f64, u64) {
        let (out, bits) = match fixed_output {
            Some(o) => (o, rng.next_u64() >> 32),
            None => {
                let (x, bits) = output.draw_with_bits(rng);
                // A plain compare rather than `f64::min` (whose NaN rule costs five more
                // instructions); token counts are never NaN.
                let o = ceil_pos(x * route.out_mult);
                (if o < route.cap { o } else { route.cap }, u64::from(bits))
            }
        };
        // Rounded up to a whole token like every sampled size; a constant law skips the
        // sampler's dispatch, not the rounding.
        let reasoning = if let Sampler::Const(c) = self.reasoning {
            ceil_pos(c * route.reasoning_mult)
        } else {
            ceil_pos(self.reasoning.sample(rng) * route.reasoning_mult)
        };
        (out, reasoning, bits)
    }

    /// The attempts of a call whose first attempt failed (3% of calls at typical failure
    /// rates): billed straight into `acc` by tier and origin. A failed attempt's bits are
    /// spent on its failure class, so its cache hit takes a fresh draw. Inlined: an
    /// out-of-line call would take the addresses of the generator and running sums, forcing
    /// them out of registers for the whole hot loop (callgrind counted 9% more instructions
    /// that way).
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn retry<O: Draw, U: Draw, T: Draw, D: Draw>(
        &self,
        hot: &Hot<O, U, T, D>,
        rng: &mut FastRng,
        r: usize,
        acc: &mut Acc,
        loc: &mut Local,
        input: Input,
        fixed_output: Option<f64>,
        first: Attempt,
    ) -> Option<f64> {
        let route = &self.routes[r];
        let tier = route.tier(input.total);
        acc.over_context += f64::from(u8::from(input.total > route.context_max));
        let mut a = first;
        let mut attempt = 1;
        loop {
            let failed = if a.bits < hot.fail_below {
                Some(self.failure_class(a.bits))
            } else {
                None
            };
            let billed = match failed {
                None => true,
                Some(k) => self.fail_billed[k],
            };
            if billed {
                let origin = if failed.is_some() { FAILED } else { SUCCEEDED };
                let h = if failed.is_some() {
                    indicator_below(rng.next_u64() >> 32, hot.fail_hit_below)
                } else {
                    indicator_below(a.bits, hot.hit_below)
                };
                let split = input.split(route.write_f, h);
                add_tokens(acc.slot(r, tier, origin), split, a.out, a.reasoning);
            }
            if failed.is_none() {
                loc.calls += 1.0;
                return Some(a.out);
            }
            loc.failed += 1.0;
            if attempt == self.max_attempts {
                acc.abandoned += 1.0;
                return None;
            }
            attempt += 1;
            let (out, reasoning, bits) = self.draw_output(&hot.output, rng, route, fixed_output);
            a = Attempt {
                out,
                reasoning,
                bits,
            };
        }
    }

    /// Choose a route by share.
    #[inline(always)]
    fn route(&self, rng: &mut FastRng) -> usize {
        if self.routes.len() == 1 {
            return 0;
        }
        let u = rng.uniform();
        self.routes
            .iter()
            .position(|r| u < r.cum_share)
            .unwrap_or(self.routes.len() - 1)
    }

    /// Record tool uses of one round: `k` calls, each a priced tool with its share.
    #[inline(always)]
    fn priced_tools(&self, rng: &mut FastRng, r: usize, k: f64, acc: &mut Acc) {
        if self.tool_shares.is_empty() {
            return;
        }
        let nt = acc.n_tools();
        for _ in 0..(k as u64) {
            let u = rng.uniform();
            let mut cum = 0.0;
            for (slot, s) in self.tool_shares.iter().enumerate() {
                cum += s;
                if u < cum {
                    acc.tools[r * nt + slot] += 1.0;
                    break;
                }
            }
        }
    }

    /// Simulate one session into `acc`.
    pub fn session(&self, rng: &mut FastRng, acc: &mut Acc) {
        self.sessions(1, rng, acc);
    }

    /// Simulate `n` sessions into `acc`, drawing from `rng` in order.
    pub fn sessions(&self, n: u64, rng: &mut FastRng, acc: &mut Acc) {
        let direct = self.input_direct.as_ref().map(Sampler::plain_table);
        match (
            self.output.plain_table(),
            self.user.plain_table(),
            self.tool_result.plain_table(),
            direct,
        ) {
            (Some(output), Some(user), Some(tool_result), None | Some(Some(_))) => {
                let hot = self.hot(output, user, tool_result, direct.flatten());
                self.run(&hot, n, rng, acc);
            }
            _ => {
                let direct = self.input_direct.as_ref();
                let hot = self.hot(&self.output, &self.user, &self.tool_result, direct);
                self.run(&hot, n, rng, acc);
            }
        }
    }

    /// The hot samplers with this simulator's per-attempt thresholds.
    fn hot<O: Draw, U: Draw, T: Draw, D: Draw>(
        &self,
        output: O,
        user: U,
        tool_result: T,
        direct: Option<D>,
    ) -> Hot<O, U, T, D> {
        let fail_below = below(self.fail_any());
        Hot {
            output,
            user,
            tool_result,
            direct,
            fail_below,
            hit_below: fail_below + below_of(self.hit, (1 << 32) - fail_below),
            fail_hit_below: below(self.hit),
        }
    }

    /// `n` sessions with the hot samplers resolved. The generator is copied into a local for
    /// the loop: its address does not escape, so its state can stay in registers. The
    /// per-turn scratch lives on the stack for the whole batch: no allocation, and nothing
    /// in the loop needs dropping. Sessions of [`Self::flat_shape`] with table laws for the
    /// new content run as [`Self::flat_session`]; the two loops are separate instances of
    /// [`Self::session_with`] (the shape is a constant in each).
    fn run<O: Draw, U: Draw, T: Draw, D: Draw>(
        &self,
        hot: &Hot<O, U, T, D>,
        n: u64,
        rng: &mut FastRng,
        acc: &mut Acc,
    ) {
        let mut local = rng.clone();
        let mut scratch = Scratch {
            window: [0.0; WINDOW_MAX],
            rounds: [0; WINDOW_MAX],
        };
        let content = match (hot.user.as_plain(), hot.tool_result.as_plain()) {
            (Some(user), Some(tool_result)) if self.flat_shape() => Some([user, tool_result]),
            _ => None,
        };
        if let Some(content) = &content {
            for _ in 0..n {
                self.session_with(hot, Some(content), &mut local, acc, &mut scratch);
            }
        } else {
            for _ in 0..n {
                self.session_with(hot, None, &mut local, acc, &mut scratch);
            }
        }
        *rng = local;
    }

    /// One session, with the hot samplers resolved: route, system prompt, its calls (the
    /// flat loop when `content` is given, see [`Self::run`]), and its sums into `acc`.
    #[inline(always)]
    fn session_with<O: Draw, U: Draw, T: Draw, D: Draw>(
        &self,
        hot: &Hot<O, U, T, D>,
        content: Option<&[PlainTable<'_>; 2]>,
        rng: &mut FastRng,
        acc: &mut Acc,
        scratch: &mut Scratch,
    ) {
        let r = self.route(rng);
        acc.sessions += 1.0;
        let route = &self.routes[r];
        let system = route.system;
        let mut loc = Local::default();
        if let Some(replay) = &self.replay {
            self.replay_session(hot, rng, r, replay, system, acc, &mut loc);
        } else if let Some(content) = content {
            self.flat_session(hot, content, rng, r, system, acc, &mut loc, scratch);
        } else {
            let turns = self.turn_count(rng);
            let window = &mut scratch.window;
            self.turns_nested(hot, rng, r, system, turns, acc, &mut loc, window);
        }
        let split = classes(loc.input, loc.writable, loc.read, route.write_f);
        add_tokens(acc.slot(r, 0, SUCCEEDED), split, loc.out, loc.reasoning);
        acc.calls += loc.calls;
        acc.attempts += loc.calls + loc.failed;
        acc.turns += loc.turns;
        acc.tool_calls += loc.tool_calls;
    }

    /// Turns of one session.
    #[inline(always)]
    fn turn_count(&self, rng: &mut FastRng) -> f64 {
        if self.one_turn {
            1.0
        } else {
            scale_count(self.turns.count(rng), self.count_mult, rng)
        }
    }

    /// Whether sessions can run as one flat loop over their calls ([`Self::flat_session`]):
    /// modelled turns (no replay, no direct input) with the full history re-sent and exactly
    /// one tool call per round, so every call has exactly one new-content draw.
    pub(crate) fn flat_shape(&self) -> bool {
        self.replay.is_none()
            && self.input_direct.is_none()
            && matches!(self.context, Context::Full)
            && matches!(self.per_round, Sampler::Const(c) if round_pos(c.max(0.0)) == 1.0)
    }

    /// A modelled session of [`Self::flat_shape`] as one loop over its calls: the same
    /// model as [`Self::turns_nested`], with one unpredictable loop exit per session instead
    /// of one per turn. The tool rounds of every turn are drawn first (into `rounds`); each
    /// call then draws its new content from `content[0]` (user message, the first call of a
    /// turn) or `content[1]` (the previous round's tool result), chosen by index. Nested
    /// loops exit on the random round count once per turn, and the branch predictor misses
    /// most of those exits (callgrind: 2.45 M of the 3.3 M mispredictions in 5.15 M calls of
    /// `agent-bench`). Sessions of more than [`WINDOW_MAX`] turns take the nested loop.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn flat_session<O: Draw, U: Draw, T: Draw, D: Draw>(
        &self,
        hot: &Hot<O, U, T, D>,
        content: &[PlainTable<'_>; 2],
        rng: &mut FastRng,
        r: usize,
        system: f64,
        acc: &mut Acc,
        loc: &mut Local,
        scratch: &mut Scratch,
    ) {
        let turns = self.turn_count(rng);
        let n = turns as usize;
        if n > WINDOW_MAX {
            let window = &mut scratch.window;
            return self.turns_nested(hot, rng, r, system, turns, acc, loc, window);
        }
        let rounds = &mut scratch.rounds;
        if n == 0 {
            return;
        }
        // Stored last turn first, so the loop counts turns down to zero and keeps no turn
        // count in a register.
        for slot in rounds[..n].iter_mut().rev() {
            // Counts are integers in [0, 2⁵³): the conversion is exact.
            *slot = scale_count(self.rounds.count(rng), self.count_mult, rng) as u64;
        }
        loc.turns += turns;
        let route = &self.routes[r];
        let m = route.size_mult;
        let system_only = Input::system(route, system, 0.0);
        let mut hist = 0.0f64;
        // The visible output of the last successful call: the cache holds that call's prompt,
        // `system + hist − last` (the whole history but that output).
        let mut last = 0.0f64;
        // The turns left (the current one included), the tool rounds left in the current
        // turn after the current call, and which law the current call's new content comes
        // from. Integer bookkeeping on purpose: with `bool`s and selects LLVM compiled
        // branches on the turn's end, the very unpredictable event this loop is shaped to
        // avoid branching on.
        let mut t = n;
        let mut left = rounds[n - 1];
        let mut from = 0usize;
        let priced = !self.tool_shares.is_empty();
        // Calls that failed every attempt.
        let mut lost = 0u64;
        loop {
            let new = ceil_pos(content[from].draw(rng) * m);
            let input = if self.cache_history {
                Input::conversation(route, system + (hist - last), system + (hist + new))
            } else {
                Input {
                    total: system + (hist + new),
                    ..system_only
                }
            };
            match self.call(hot, rng, r, acc, loc, input, None) {
                Some(out) => {
                    hist += new + out;
                    last = out;
                }
                // A call that failed every attempt ends its turn.
                None => {
                    left = 0;
                    lost += 1;
                }
            }
            // 1 when the turn ends with this call (`left = 0`), else 0: the sign bit of
            // `left − 1` (counts are below 2⁶³).
            let end = (left.wrapping_sub(1) >> 63) as usize;
            t -= end;
            if t == 0 {
                break;
            }
            // Otherwise a tool round follows (one tool call), or the next turn starts.
            let round = 1 - end;
            if priced {
                self.priced_tools(rng, r, round as i64 as f64, acc);
            }
            // The next turn's rounds when the turn ended, else `left − 1`, by mask.
            let mask = 0u64.wrapping_sub(end as u64);
            left = (rounds[(t - 1) % WINDOW_MAX] & mask) | (left.wrapping_sub(1) & !mask);
            from = round;
        }
        // Every call is a turn's first or follows a tool round, and either succeeded (`loc`
        // holds this session's only) or was lost: the tool calls are the calls minus the
        // turns, counted here rather than per call.
        loc.tool_calls += loc.calls + lost as i64 as f64 - turns;
    }

    /// The `turns` turns of a session drawn from the workload model (messages, tool
    /// rounds), as nested loops over turns and rounds: any context policy and input model.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn turns_nested<O: Draw, U: Draw, T: Draw, D: Draw>(
        &self,
        hot: &Hot<O, U, T, D>,
        rng: &mut FastRng,
        r: usize,
        system: f64,
        turns: f64,
        acc: &mut Acc,
        loc: &mut Local,
        window: &mut [f64; WINDOW_MAX],
    ) {
        let route = &self.routes[r];
        let m = route.size_mult;
        // Without the history cacheable the prefix is the system prompt on every call.
        let system_only = Input::system(route, system, 0.0);
        // History bookkeeping: `hist` is what is re-sent; `window` holds the sizes of completed
        // turns (a ring; only entries written in this session are read, so no reset). With
        // the history cacheable the cache holds `system + hist − last`, the previous call's
        // prompt; a policy that rewrites the history (summary, window) leaves only the system
        // prompt in it, which is `last = hist`.
        let mut hist = 0.0f64;
        let mut last = 0.0f64;
        let mut completed = 0usize;
        for _ in 0..(turns as u64) {
            loc.turns += 1.0;
            if let Context::Summarize {
                above_tokens,
                summary_tokens,
            } = self.context
            {
                // The trigger is a limit in the model's tokens, like `max_output_tokens`:
                // compared with the history as the route counts it, not converted.
                if hist > above_tokens {
                    let summary = ceil_pos(summary_tokens * m);
                    let input = if self.cache_history {
                        Input::conversation(route, system + (hist - last), system + hist)
                    } else {
                        Input::system(route, system, hist)
                    };
                    self.call(hot, rng, r, acc, loc, input, Some(summary));
                    hist = summary;
                    last = hist;
                }
            }
            let user = ceil_pos(hot.user.draw(rng) * m);
            let rounds = scale_count(self.rounds.count(rng), self.count_mult, rng);
            let mut new = user;
            // The turn's tokens are `hist − start` (integer sums below 2⁵³: exact), so the
            // loop keeps no second running sum for the window policy.
            let start = hist;
            let mut round = 0.0;
            loop {
                let out = if let Some(direct) = &hot.direct {
                    let input = ceil_pos(direct.draw(rng) * m);
                    let prefix = system.min(input);
                    // Sampled per call, the input has no previous prompt to extend: the cache
                    // can hold the system prompt only.
                    let input = if self.cache_history {
                        Input::conversation(route, prefix, input)
                    } else {
                        Input::system(route, prefix, input - prefix)
                    };
                    self.call(hot, rng, r, acc, loc, input, None)
                } else if self.cache_history {
                    let prev = system + (hist - last);
                    let input = Input::conversation(route, prev, system + (hist + new));
                    self.call(hot, rng, r, acc, loc, input, None)
                } else {
                    let input = Input {
                        total: system + (hist + new),
                        ..system_only
                    };
                    self.call(hot, rng, r, acc, loc, input, None)
                };
                let Some(out) = out else { break };
                hist += new + out;
                last = out;
                if round >= rounds {
                    break;
                }
                round += 1.0;
                // A fixed number of calls per round (the usual case) needs no draw.
                let k = match self.per_round {
                    Sampler::Const(c) => round_pos(c.max(0.0)),
                    ref s => s.count(rng),
                };
                loc.tool_calls += k;
                self.priced_tools(rng, r, k, acc);
                let mut results = 0.0;
                let mut j = 0.0;
                while j < k {
                    results += ceil_pos(hot.tool_result.draw(rng) * m);
                    j += 1.0;
                }
                new = results;
            }
            if let Context::Window { turns: keep } = self.context {
                let keep = (keep as usize).min(WINDOW_MAX);
                window[completed % WINDOW_MAX] = hist - start;
                completed += 1;
                let n = completed.min(keep);
                hist = (0..n)
                    .map(|i| window[(completed - 1 - i) % WINDOW_MAX])
                    .sum();
                if completed > keep {
                    // The oldest turn left the prompt: the cached history no longer matches.
                    last = hist;
                }
            }
        }
    }

    /// Replay one recorded session: its calls' inputs, outputs and tool calls, in order.
    ///
    /// The count shift scales the session's calls: `n' = scale_count(n, count_mult)` (mean
    /// `n·count_mult`, as the modelled turns and rounds scale). A shorter session stops early;
    /// a longer one continues past its last call with that call's input growing by the
    /// session's mean growth per call (`(input_last − input_first)/(n − 1)`, at least 0; the
    /// first output for a one-call session), outputs and tool calls taken in turn from the
    /// recorded calls — the history keeps growing as in the recorded session. Turns are the
    /// calls that ask for no tools (a turn's answer), plus a turn the session stops inside.
    #[allow(clippy::too_many_arguments)]
    fn replay_session<O: Draw, U: Draw, T: Draw, D: Draw>(
        &self,
        hot: &Hot<O, U, T, D>,
        rng: &mut FastRng,
        r: usize,
        replay: &[Vec<[f64; 3]>],
        system: f64,
        acc: &mut Acc,
        loc: &mut Local,
    ) {
        let pool = self.replay_pool.len();
        let n_pool = if pool > 0 { pool } else { replay.len() };
        if n_pool == 0 {
            return;
        }
        let k = ((rng.uniform() * n_pool as f64) as usize).min(n_pool - 1);
        let i = if pool > 0 {
            self.replay_pool[k] as usize
        } else {
            k
        };
        let Some(calls) = replay.get(i).filter(|c| !c.is_empty()) else {
            return;
        };
        let route = &self.routes[r];
        let m = route.size_mult;
        let [out_scale, input_add] = self.replay_adjust;
        let n = calls.len();
        let n_scaled = scale_count(n as f64, self.count_mult, rng) as usize;
        let (first, last) = (calls[0], calls[n - 1]);
        let growth = if n > 1 {
            ((last[0] - first[0]) / (n - 1) as f64).max(0.0)
        } else {
            first[1]
        };
        // A turn ends with a call that asks for no tools (the answer to the user); a session
        // that stops inside a turn (its last call asked for tools, or was abandoned) ends it.
        let mut open_turn = false;
        // The previous recorded prompt: the cache holds it while it is a prefix of the next
        // (a recorded history that shrank was rewritten, leaving the system prompt).
        let mut prev = 0.0f64;
        for j in 0..n_scaled {
            let call = calls[j % n];
            let recorded = if j < n {
                call[0]
            } else {
                last[0] + (j + 1 - n) as f64 * growth
            };
            let input = ceil_pos((recorded + input_add).max(0.0) * m);
            let prefix = system.min(input);
            let out = ceil_pos(call[1] * out_scale * route.out_mult).min(route.cap);
            let input = if self.cache_history {
                let held = if prev <= input {
                    prev.max(prefix)
                } else {
                    prefix
                };
                Input::conversation(route, held, input)
            } else {
                Input::system(route, prefix, input - prefix)
            };
            prev = input.total;
            open_turn = true;
            if self.call(hot, rng, r, acc, loc, input, Some(out)).is_none() {
                break;
            }
            loc.tool_calls += call[2];
            self.priced_tools(rng, r, call[2], acc);
            if call[2] == 0.0 {
                loc.turns += 1.0;
                open_turn = false;
            }
        }
        if open_turn {
            loc.turns += 1.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::Dist;
    use crate::dist::family::Family;

    fn sim(hit: f64, history: bool) -> SessionSim {
        let c = |v: f64| Sampler::new(&Dist::plain(Family::Fixed(v)));
        SessionSim {
            turns: c(1.0),
            one_turn: false,
            user: c(10.0),
            output: c(5.0),
            reasoning: c(0.0),
            rounds: c(0.0),
            per_round: c(1.0),
            tool_result: c(0.0),
            input_direct: None,
            replay: None,
            replay_pool: Vec::new(),
            replay_adjust: [1.0, 0.0],
            system: 100.0,
            count_mult: 1.0,
            hit,
            cache_history: history,
            fail_cum: [0.0; 4],
            fail_billed: [true; 4],
            max_attempts: 1,
            context: Context::Full,
            tool_shares: vec![],
            routes: vec![],
        }
    }

    fn route(min_prefix: f64, writes: bool) -> RouteSim {
        RouteSim {
            cum_share: 1.0,
            system: 100.0,
            size_mult: 1.0,
            out_mult: 1.0,
            reasoning_mult: 1.0,
            cap: f64::INFINITY,
            thresholds: vec![],
            base_max: f64::INFINITY,
            min_prefix,
            cache_unit: 1.0,
            context_max: f64::INFINITY,
            write_f: f64::from(u8::from(writes)),
        }
    }

    #[test]
    fn integer_thresholds_decide_exactly_as_the_uniforms_would() {
        // x / 2³² < p ⇔ x < below(p), including at the edges and at exact multiples of 2⁻³².
        let mut rng = FastRng::from_seed(11);
        let ps = [
            0.0,
            1e-9,
            0.03,
            0.2,
            0.5,
            0.8,
            0.25 + 0.5f64.powi(32),
            1.0 - 1e-12,
            1.0,
        ];
        for p in ps {
            let t = below(p);
            let edges = [0, 1, t.saturating_sub(1), t, t + 1, (1 << 32) - 1];
            for x in edges
                .into_iter()
                .chain((0..10_000).map(|_| rng.next_u64() >> 32))
            {
                let x = x.min((1 << 32) - 1);
                let u = x as f64 * (1.0 / (1u64 << 32) as f64);
                assert_eq!(x < t, u < p, "p = {p}, x = {x}");
            }
        }
    }

    #[test]
    fn hits_are_drawn_independently_of_failures() {
        // One call per session on a cacheable 100-token prefix; attempts fail with p = 0.3
        // (billed, at most 3) and hit the cache with h = 0.6. A successful attempt decides its
        // hit from the bits that did not fail it, a failed one from a fresh draw: in both
        // groups the hit share must be h. Binomial SE of a share over n attempts:
        // sqrt(0.24 / n) (n ≈ 190k successes, 80k billed failures): allow 4 SE.
        let mut s = sim(0.6, false);
        s.fail_cum = [0.3; 4];
        s.max_attempts = 3;
        s.routes = vec![route(50.0, false)];
        let mut acc = Acc::new(1, 1, 0);
        let mut rng = FastRng::from_seed(21);
        s.sessions(200_000, &mut rng, &mut acc);
        let failed = acc.attempts - acc.calls;
        // Attempts per call (1 − 0.3³)/0.7 = 1.39: SE about 0.0015 over 200k calls.
        assert!(
            (acc.attempts / 200_000.0 - 1.39).abs() < 0.006,
            "{}",
            acc.attempts
        );
        for (origin, n) in [(SUCCEEDED, acc.calls), (FAILED, failed)] {
            let share = acc.slot(0, 0, origin)[TokenClass::CacheRead as usize] / 100.0 / n;
            let se = (0.24 / n).sqrt();
            assert!((share - 0.6).abs() < 4.0 * se, "origin {origin}: {share}");
        }
    }

    /// A sampler that can hide that it is a plain table: `Any` makes [`SessionSim::run`]
    /// take the nested loop for a shape the flat loop would run.
    enum Law<'a> {
        Plain(&'a Sampler),
        Any(&'a Sampler),
    }

    impl Draw for Law<'_> {
        fn draw(&self, rng: &mut FastRng) -> f64 {
            match self {
                Law::Plain(s) | Law::Any(s) => s.draw(rng),
            }
        }

        fn draw_with_bits(&self, rng: &mut FastRng) -> (f64, u32) {
            match self {
                Law::Plain(s) | Law::Any(s) => s.draw_with_bits(rng),
            }
        }

        fn as_plain(&self) -> Option<PlainTable<'_>> {
            match self {
                Law::Plain(s) => s.plain_table(),
                Law::Any(_) => None,
            }
        }
    }

    /// Per-session means and standard errors of a session simulator's counters and token
    /// sums, over `batches` batches of `size` sessions, through the flat loop or the nested
    /// one.
    fn session_stats(s: &SessionSim, flat: bool, seed: u64) -> Vec<(f64, f64)> {
        let (batches, size) = (100, 2_000u64);
        assert!(s.flat_shape(), "the flat loop applies to this shape");
        let user = if flat {
            Law::Plain(&s.user)
        } else {
            Law::Any(&s.user)
        };
        let hot = s.hot(&s.output, user, &s.tool_result, None::<&Sampler>);
        let mut rng = FastRng::from_seed(seed);
        let rows: Vec<Vec<f64>> = (0..batches)
            .map(|_| {
                let mut acc = Acc::new(1, 1, 2);
                s.run(&hot, size, &mut rng, &mut acc);
                let (ok, failed) = (*acc.slot(0, 0, SUCCEEDED), *acc.slot(0, 0, FAILED));
                [
                    acc.calls,
                    acc.attempts,
                    acc.turns,
                    acc.tool_calls,
                    acc.abandoned,
                    ok[0],
                    ok[1],
                    ok[2],
                    ok[3],
                    failed[0],
                    failed[1],
                    failed[2],
                    acc.tools[0],
                ]
                .map(|x| x / size as f64)
                .to_vec()
            })
            .collect();
        (0..rows[0].len())
            .map(|j| {
                let xs: Vec<f64> = rows.iter().map(|r| r[j]).collect();
                let mean = xs.iter().sum::<f64>() / batches as f64;
                let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (batches - 1) as f64;
                (mean, (var / batches as f64).sqrt())
            })
            .collect()
    }

    #[test]
    fn flat_and_nested_loops_simulate_the_same_sessions() {
        // The agent shape the flat loop is for, with failures that abandon calls (p = 0.2,
        // billed, at most 2 attempts: 4% of calls, each ending its turn early), turns that
        // can be zero, and priced tools; once with the system prompt cacheable on a model
        // without write billing, once with the history cacheable on one with it. Both loops
        // on 200,000 sessions each: every mean (calls, attempts, turns, tool calls, abandoned
        // calls, uncached / cache-read / cache-write / output tokens of successful attempts,
        // uncached / read / write tokens of failed ones, uses of the first tool) must agree
        // within 4 standard errors of the difference (writes are exactly 0 in both without
        // write billing).
        let law = |median: f64, sigma: f64| {
            Sampler::new(&Dist::plain(Family::LogNormal {
                mu: median.ln(),
                sigma,
            }))
        };
        for (history, writes) in [(false, false), (true, true)] {
            let mut s = sim(0.8, history);
            s.turns = Sampler::new(&Dist::plain(Family::Poisson { lambda: 3.0 }));
            s.rounds = Sampler::new(&Dist::plain(Family::Poisson { lambda: 1.5 }));
            s.user = law(50.0, 1.0);
            s.output = law(150.0, 0.8);
            s.tool_result = law(400.0, 1.2);
            s.fail_cum = [0.2; 4];
            s.max_attempts = 2;
            s.tool_shares = vec![0.3, 0.7];
            s.routes = vec![RouteSim {
                system: 1500.0,
                ..route(1024.0, writes)
            }];
            let flat = session_stats(&s, true, 5);
            let nested = session_stats(&s, false, 6);
            // Sanity: E[turns] = 3 and E[calls + abandoned] = E[turns] + E[tool calls].
            assert!(
                (flat[2].0 - 3.0).abs() < 4.0 * flat[2].1,
                "turns {:?}",
                flat[2]
            );
            for (j, (f, n)) in flat.iter().zip(&nested).enumerate() {
                let se = (f.1 * f.1 + n.1 * n.1).sqrt();
                assert!(
                    (f.0 - n.0).abs() <= 4.0 * se,
                    "history {history}, stat {j}: {f:?} vs {n:?}"
                );
            }
            let calls = flat[0].0 + flat[4].0;
            assert!((calls - flat[2].0 - flat[3].0).abs() < 1e-9, "{calls}");
        }
    }

    #[test]
    fn sessions_longer_than_the_scratch_take_the_nested_loop() {
        // 70 turns (more than WINDOW_MAX) of one call each: every turn is simulated.
        let mut s = sim(0.0, false);
        s.turns = Sampler::new(&Dist::plain(Family::Fixed(70.0)));
        s.user = Sampler::new(&Dist::plain(Family::LogNormal {
            mu: 3.0,
            sigma: 0.5,
        }));
        s.tool_result = s.user.clone();
        s.routes = vec![route(1024.0, false)];
        assert!(s.flat_shape() && s.user.plain_table().is_some());
        let hot = s.hot(&s.output, &s.user, &s.tool_result, None::<&Sampler>);
        let mut acc = Acc::new(1, 1, 0);
        s.run(&hot, 10, &mut FastRng::from_seed(3), &mut acc);
        assert_eq!((acc.turns, acc.calls, acc.tool_calls), (700.0, 700.0, 0.0));
        // Output 5 per call re-sent in full: the history alone is 5 · (0 + 1 + … + 69) per
        // session plus the user messages.
        assert!(
            acc.slot(0, 0, SUCCEEDED)[TokenClass::Input as usize]
                > 10.0 * (70.0 * 100.0 + 5.0 * 2415.0)
        );
    }

    #[test]
    fn input_split_bills_every_case_as_documented() {
        // (min prefix, bills writes, hit) → (uncached, read, write), against the rules spelled
        // out: a system-prompt breakpoint over a 100-token prefix with 30 more tokens, and a
        // conversation whose previous prompt (100 tokens) is a prefix of this one (130).
        for writes in [false, true] {
            for hit in [false, true] {
                for min in [50.0, 120.0, 200.0] {
                    let r = route(min, writes);
                    let h = f64::from(u8::from(hit));
                    let system = match (min < 100.0, hit, writes) {
                        (false, ..) => [130.0, 0.0, 0.0],
                        (true, true, _) => [30.0, 100.0, 0.0],
                        (true, false, true) => [30.0, 0.0, 100.0],
                        (true, false, false) => [130.0, 0.0, 0.0],
                    };
                    assert_eq!(
                        Input::system(&r, 100.0, 30.0).split(r.write_f, h),
                        system,
                        "system: min {min}, writes {writes}, hit {hit}"
                    );
                    // The previous prompt (100) is cacheable only at min 50; the whole
                    // prompt (130) at 50 and 120. Without write billing, written tokens are
                    // plain input.
                    let conversation = match (min, hit, writes) {
                        (50.0, true, true) => [0.0, 100.0, 30.0],
                        (50.0, true, false) => [30.0, 100.0, 0.0],
                        (50.0, false, true) => [0.0, 0.0, 130.0],
                        (120.0, _, true) => [0.0, 0.0, 130.0],
                        _ => [130.0, 0.0, 0.0],
                    };
                    assert_eq!(
                        Input::conversation(&r, 100.0, 130.0).split(r.write_f, h),
                        conversation,
                        "conversation: min {min}, writes {writes}, hit {hit}"
                    );
                }
            }
        }
        // An empty prefix is never cacheable, even with no minimum.
        let r = route(0.0, true);
        assert_eq!(
            Input::system(&r, 0.0, 30.0).split(r.write_f, 1.0),
            [30.0, 0.0, 0.0]
        );
        // Cached lengths are whole cache units: 100 tokens in units of 64 cache 64.
        let r = RouteSim {
            cache_unit: 64.0,
            ..route(0.0, true)
        };
        assert_eq!(
            Input::system(&r, 100.0, 30.0).split(r.write_f, 1.0),
            [66.0, 64.0, 0.0]
        );
        assert_eq!(
            Input::conversation(&r, 100.0, 130.0).split(r.write_f, 1.0),
            [2.0, 64.0, 64.0]
        );
    }
}
