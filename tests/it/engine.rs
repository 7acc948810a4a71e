//! The engine against closed forms (issue 3): deterministic bills computed by hand, the
//! quadratic history sum, context policies, caching, retries, means within Monte Carlo error,
//! price linearity, determinism across thread counts, and route shares.

use crate::common::*;

use std::path::PathBuf;

use billcast::dist::{Domain, Uncertain};
use billcast::engine::{self, Component, SimOptions, Simulation, prepare::Prepared};
use billcast::pricing::PriceBook;
use billcast::report::Report;
use billcast::scenario::Scenario;
use billcast::stats;

fn scenario(text: &str) -> Scenario {
    Scenario::from_text("test.toml", text, None, &[]).unwrap_or_else(|e| panic!("{e}"))
}

fn run(text: &str) -> Simulation {
    engine::simulate(&scenario(text), &book(), &SimOptions::default())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A fully fixed workload: 100 sessions of 3 turns, each turn one tool round.
const FIXED: &str = r#"
schema_version = 1
name = "fixed"
start_month = "2027-01"
[simulation]
trials = 20
mode = "exact"
[traffic]
sessions_per_month = 100
[workload]
system_prompt_tokens = 1000
turns_per_session = 3
user_message_tokens = 50
output_tokens = 100
tool_rounds_per_turn = 1
tool_calls_per_round = 1
tool_result_tokens = 200
[[routes]]
model = "test/plain"
"#;

#[test]
fn deterministic_scenario_gives_the_hand_computed_bill() {
    // Inputs per session (system 1000; history H grows by new content + output):
    // turn 1: 1000+0+50 = 1050, then 1000+150+200 = 1350; turn 2: 1000+450+50 = 1500,
    // 1000+600+200 = 1800; turn 3: 1000+900+50 = 1950, 1000+1050+200 = 2250. Sum 9,900.
    // Output 6 × 100 = 600. Per session 9,900 × $2/1M + 600 × $10/1M = $0.0258; 100 sessions.
    let sim = run(FIXED);
    for t in &sim.totals[0] {
        assert!((t - 2.58).abs() < 1e-9, "{t}");
    }
    let c = sim.components[0];
    assert!(
        (c[Component::Input] - 1.98).abs() < 1e-9 && (c[Component::Output] - 0.6).abs() < 1e-9,
        "{c:?}"
    );
    assert_eq!(sim.volumes[0].calls, 600.0);
    assert_eq!(sim.volumes[0].tokens[0], 990_000.0);
}

#[test]
fn full_history_input_grows_quadratically_in_turns() {
    // T turns, no tools: input = T·(S + u) + (u + o)·T(T−1)/2. T = 10, S = 500, u = 40,
    // o = 60: 10·540 + 100·45 = 9,900 tokens per session; 1 session.
    let text = FIXED
        .replace("sessions_per_month = 100", "sessions_per_month = 1")
        .replace("system_prompt_tokens = 1000", "system_prompt_tokens = 500")
        .replace("turns_per_session = 3", "turns_per_session = 10")
        .replace("user_message_tokens = 50", "user_message_tokens = 40")
        .replace("output_tokens = 100", "output_tokens = 60")
        .replace("tool_rounds_per_turn = 1", "tool_rounds_per_turn = 0");
    let sim = run(&text);
    assert_eq!(sim.volumes[0].tokens[0], 9_900.0);
}

#[test]
fn window_policy_caps_the_history() {
    // Window of 2 turns, T = 10, S = 500, u = 40, o = 60 (100 per turn): turn t re-sends
    // min(t−1, 2) earlier turns: 0, 100, then 200 × 8 → 1,700 history tokens, plus
    // 10 × 540 = 5,400: 7,100 per session (full history would be 9,900).
    let text = FIXED
        .replace("sessions_per_month = 100", "sessions_per_month = 1")
        .replace("system_prompt_tokens = 1000", "system_prompt_tokens = 500")
        .replace("turns_per_session = 3", "turns_per_session = 10")
        .replace("user_message_tokens = 50", "user_message_tokens = 40")
        .replace(
            "output_tokens = 100",
            "output_tokens = 60\ncontext = { policy = \"window\", turns = 2 }",
        )
        .replace("tool_rounds_per_turn = 1", "tool_rounds_per_turn = 0");
    let sim = run(&text);
    assert_eq!(sim.volumes[0].tokens[0], 7_100.0);
}

#[test]
fn summarize_policy_replaces_long_history_with_a_billed_summary() {
    // S = 0, u = 100, o = 100, T = 4, summarize above 250 into 50 tokens. Turn 1: input 100,
    // H = 200. Turn 2: input 300, H = 400. Turn 3: H > 250 → summary call (input 400, output
    // 50), H = 50; then input 150, H = 250. Turn 4: H = 250 is not above 250: input 350.
    // Input 100 + 300 + 400 + 150 + 350 = 1,300; output 4 × 100 + 50 = 450.
    let text = FIXED
        .replace("sessions_per_month = 100", "sessions_per_month = 1")
        .replace("system_prompt_tokens = 1000", "system_prompt_tokens = 0")
        .replace("turns_per_session = 3", "turns_per_session = 4")
        .replace("user_message_tokens = 50", "user_message_tokens = 100")
        .replace("output_tokens = 100", "output_tokens = 100\ncontext = { policy = \"summarize\", above_tokens = 250, summary_tokens = 50 }")
        .replace("tool_rounds_per_turn = 1", "tool_rounds_per_turn = 0");
    let sim = run(&text);
    assert_eq!(sim.volumes[0].tokens[0], 1_300.0);
    assert_eq!(sim.volumes[0].tokens[3], 450.0);
}

#[test]
fn cache_hit_rates_zero_and_one_give_the_hand_computed_bills() {
    // Same session as the deterministic test: 6 calls, each with the 1,000-token system
    // prompt as cacheable prefix. Hit rate 1: 6,000 cache-read tokens at $0.20 and 3,900 at
    // $2 per session: 0.0012 + 0.0078 + output 0.006 = $0.015 → $1.50 for 100 sessions.
    // Hit rate 0 on a model that bills writes: 6,000 written at $2.50 + 3,900 × $2 + output
    // = 0.015 + 0.0078 + 0.006 = $0.0288 → $2.88.
    let hit1 = run(&FIXED.replace("[[routes]]", "[caching]\nhit_rate = 1.0\n[[routes]]"));
    assert!(
        (hit1.totals[0][0] - 1.50).abs() < 1e-9,
        "{}",
        hit1.totals[0][0]
    );
    let hit0 = run(&FIXED
        .replace("[[routes]]", "[caching]\nhit_rate = 0.0\n[[routes]]")
        .replace("test/plain", "test/writer"));
    assert!(
        (hit0.totals[0][0] - 2.88).abs() < 1e-9,
        "{}",
        hit0.totals[0][0]
    );
    let c = hit0.components[0];
    assert!(
        (c[Component::CacheWrite] - 1.5).abs() < 1e-9,
        "cache write component {c:?}"
    );
}

#[test]
fn retries_follow_the_geometric_expectation() {
    // Each attempt fails with p = 0.2 (billed), at most K = 3 attempts. Attempts per call:
    // (1 − p^K)/(1 − p) = 0.992/0.8 = 1.24; billed failed attempts per call:
    // 1.24 − (1 − 0.008) = 0.248; abandoned calls: p^K = 0.008 per call.
    // One-turn sessions with a fixed 1,000-token input and 100 output: an attempt costs
    // 1,000 × 2 + 100 × 10 = 3,000 µ$; E[retries] per call = 0.248 × 0.003 = $0.000744.
    let text = r#"
schema_version = 1
name = "retries"
start_month = "2027-01"
[simulation]
trials = 200
mode = "exact"
[traffic]
requests_per_month = 5000
[workload]
input_tokens = 1000
output_tokens = 100
[retries]
max_attempts = 3
timeout = { p = 0.2, billed = true }
[[routes]]
model = "test/plain"
"#;
    let sim = run(text);
    let calls = 5000.0 * 200.0;
    let v = &sim.volumes[0];
    let attempts_per_call = v.attempts * 200.0 / calls;
    // Attempts per call: variance of a truncated geometric is small; SE over 10⁶ calls ~5e-4.
    assert!(
        (attempts_per_call - 1.24).abs() < 0.002,
        "{attempts_per_call}"
    );
    let abandoned = v.abandoned_calls * 200.0 / calls;
    // Binomial(10⁶, 0.008): SE 8.9e-5.
    assert!((abandoned - 0.008).abs() < 4.0 * 8.9e-5, "{abandoned}");
    let retries_usd = sim.components[0][Component::Retries];
    let expect = 5000.0 * 0.248 * 0.003;
    // Per trial the retry cost is 3,000 µ$ × Binomial-like count; SE of the mean over 200
    // trials of 5,000 calls: 0.003 × sqrt(5000 × 0.2)/sqrt(200) ≈ 0.0067.
    assert!(
        (retries_usd - expect).abs() < 4.0 * 0.0067,
        "{retries_usd} vs {expect}"
    );
}

#[test]
fn mean_bill_matches_the_analytic_expectation() {
    // Turns T = 1 + Poisson(2): E[T] = 3, E[T(T−1)] = λ² + 2λ = 8. User u ~ ceil(LN(ln 40, 0.7)),
    // output o ~ ceil(LN(ln 120, 0.6)) uncapped, S = 300, no tools. Per session:
    // E[input] = E[T](S + E u) + E[T(T−1)]/2 · (E u + E o); E[output] = E[T] E o.
    let text = r#"
schema_version = 1
name = "stochastic"
start_month = "2027-01"
[simulation]
trials = 400
mode = "exact"
seed = 9
[traffic]
sessions_per_month = 2000
[workload]
system_prompt_tokens = 300
turns_per_session = { dist = "poisson", mean = 2, offset = 1 }
user_message_tokens = { dist = "lognormal", median = 40, sigma = 0.7 }
output_tokens = { dist = "lognormal", median = 120, sigma = 0.6 }
[[routes]]
model = "test/plain"
"#;
    let ceil_mean = |u: &str| {
        // E[ceil X] = Σ_{k≥0} P(X > k).
        let t: toml::Table = toml::from_str(&format!("v = {u}")).unwrap();
        let d = Uncertain::from_toml(&t["v"])
            .unwrap()
            .resolve_median("x", Domain::NonNegative)
            .unwrap();
        (0..100_000).map(|k| 1.0 - d.cdf(k as f64)).sum::<f64>()
    };
    let eu = ceil_mean("{ dist = \"lognormal\", median = 40, sigma = 0.7 }");
    let eo = ceil_mean("{ dist = \"lognormal\", median = 120, sigma = 0.6 }");
    let per_session = (3.0 * (300.0 + eu) + 4.0 * (eu + eo)) * 2e-6 + 3.0 * eo * 10e-6;
    let expect = 2000.0 * per_session;
    let sim = run(text);
    let (mean, sd) = stats::mean_sd(&sim.totals[0]);
    let se = sd / (400f64).sqrt();
    assert!(
        (mean - expect).abs() < 3.0 * se,
        "mean {mean} vs {expect} (se {se})"
    );
}

#[test]
fn percentiles_are_monotone_and_components_sum_to_the_mean() {
    let s = Scenario::load(
        std::path::Path::new("scenarios/support-bot.toml"),
        &["simulation.trials=300".into()],
    )
    .unwrap();
    let b = PriceBook::bundled().unwrap();
    let p = Prepared::new(&s, &b).unwrap();
    let sim = engine::simulate_prepared(&s, &p, &SimOptions::default()).unwrap();
    let r = Report::from_simulation(&s, &b, &p, &sim);
    for m in &r.months {
        assert!(
            m.p5 <= m.p50 && m.p50 <= m.p90 && m.p90 <= m.p95 && m.p95 <= m.p99,
            "{m:?}"
        );
        assert!(
            (m.components.total() - m.mean).abs() < 1e-6 * m.mean,
            "{} vs {}",
            m.components.total(),
            m.mean
        );
        let routes: f64 = m.routes.iter().map(|x| x.usd).sum();
        assert!((routes - m.mean).abs() < 1e-6 * m.mean);
    }
}

#[test]
fn doubling_a_price_doubles_exactly_that_component() {
    let text = FIXED.replace(
        "output_tokens = 100",
        "output_tokens = { dist = \"lognormal\", median = 100, sigma = 0.5 }",
    );
    let a = run(&text);
    let b = run(&text.replace("test/plain", "test/pricey-output"));
    for m in 0..a.months.len() {
        for c in Component::ALL {
            let (x, y) = (a.components[m][c], b.components[m][c]);
            if c == Component::Output {
                assert!((y - 2.0 * x).abs() < 1e-9 * x.max(1.0), "output {x} → {y}");
            } else {
                assert_eq!(x, y, "component {c:?} changed");
            }
        }
    }
}

fn report_json(text: &str, threads: usize) -> String {
    let s = scenario(text);
    let b = book();
    let p = Prepared::new(&s, &b).unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let sim = pool
        .install(|| engine::simulate_prepared(&s, &p, &SimOptions::default()))
        .unwrap();
    Report::from_simulation(&s, &b, &p, &sim).to_json().unwrap()
}

#[test]
fn same_seed_gives_byte_identical_json_on_any_thread_count() {
    let text = FIXED
        .replace(
            "output_tokens = 100",
            "output_tokens = { dist = \"lognormal\", median = 100, sigma = 0.8 }",
        )
        .replace(
            "sessions_per_month = 100",
            "sessions_per_month = \"50 to 500\"",
        )
        .replace("trials = 20", "trials = 64")
        .replace(
            "[[routes]]",
            "[caching]\nhit_rate = \"0.3 to 0.9\"\n[[routes]]",
        );
    let one = report_json(&text, 1);
    let four = report_json(&text, 4);
    assert_eq!(one, four);
    let fast = text.replace("mode = \"exact\"", "mode = \"fast\"");
    assert_eq!(report_json(&fast, 1), report_json(&fast, 4));
    let other_seed = text.replace("mode = \"exact\"", "mode = \"exact\"\nseed = 43");
    assert_ne!(one, report_json(&other_seed, 2));
}

#[test]
fn two_routes_split_sessions_by_share() {
    let text = FIXED
        .replace("trials = 20", "trials = 100")
        .replace("[[routes]]\nmodel = \"test/plain\"", "[[routes]]\nname = \"a\"\nmodel = \"test/plain\"\nshare = 0.3\n[[routes]]\nname = \"b\"\nmodel = \"test/plain\"\nshare = 0.7");
    let sim = run(&text);
    // Every session costs the same ($0.0258), so route A's share of the bill is its share
    // of 10,000 sessions: Binomial SE √(0.3·0.7/10⁴) = 0.0046.
    let a = sim.routes[0][0] / (sim.routes[0][0] + sim.routes[0][1]);
    assert!((a - 0.3).abs() < 4.0 * 0.0046, "{a}");
}

// ------------------------------------------------------------------ caching as providers bill it

/// Tokens of one month by class: `[uncached input, cache read, cache write, output]`. The
/// volumes are means over trials (each trial's integer count divided by the trial count and
/// summed), so they are rounded to 10⁻⁶ token: far below one token, far above the rounding
/// error of that mean.
fn classes(sim: &Simulation) -> [f64; 4] {
    let t = sim.volumes[0].tokens;
    [t[0], t[1], t[2], t[3]].map(|x| (x * 1e6).round() / 1e6)
}

/// `n` one-call requests of `system + user` input tokens and `output` output tokens.
fn requests(n: u32, system: u32, user: u32, output: u32, model: &str, caching: &str) -> String {
    format!(
        r#"
schema_version = 1
name = "requests"
start_month = "2027-01"
[simulation]
trials = 10
mode = "exact"
[traffic]
requests_per_month = {n}
[workload]
system_prompt_tokens = {system}
user_message_tokens = {user}
output_tokens = {output}
{caching}
[[routes]]
model = "{model}"
tokenizer_ratio = 1.0
"#
    )
}

#[test]
fn no_caching_section_bills_plain_input_and_output() {
    // 1,000 requests of 2,100 input and 200 output tokens at $2 / $10 per 1M on a model that
    // prices cache writes at $2.50: without [caching] nothing is written or read, so the bill
    // is exactly 1,000 × (2,100 × 2 + 200 × 10) / 1M = $6.20 (it was $7.20 when every call
    // was billed as a cache miss that writes its 2,000-token system prompt).
    let sim = run(&requests(1000, 2000, 100, 200, "test/writer", ""));
    for t in &sim.totals[0] {
        assert!((t - 6.20).abs() < 1e-9, "{t}");
    }
    assert_eq!(classes(&sim), [2_100_000.0, 0.0, 0.0, 200_000.0]);
    // The same with caching switched off explicitly, hit rate and all.
    let off = run(&requests(
        1000,
        2000,
        100,
        200,
        "test/writer",
        "[caching]\nenabled = false\nhit_rate = 0.9",
    ));
    assert_eq!(classes(&off), classes(&sim));
}

/// The worked example of scenarios/README.md ("How caching is billed"): a 2,000-token system
/// prompt, 2 turns of a 100-token user message, one tool round per turn returning 400 tokens,
/// 150 output tokens per call, the whole conversation cacheable, every call a hit.
const CONVERSATION: &str = r#"
schema_version = 1
name = "conversation"
start_month = "2027-01"
[simulation]
trials = 10
mode = "exact"
[traffic]
sessions_per_month = 1
[workload]
system_prompt_tokens = 2000
turns_per_session = 2
user_message_tokens = 100
output_tokens = 150
tool_rounds_per_turn = 1
tool_calls_per_round = 1
tool_result_tokens = 400
[caching]
hit_rate = 1.0
write_ttl = "5m"
cacheable = "history"
[[routes]]
model = "anthropic/claude-sonnet-5-5"
tokenizer_ratio = 1.0
"#;

fn bundled(text: &str) -> Simulation {
    let book = PriceBook::bundled().expect("bundled prices load");
    engine::simulate(&scenario(text), &book, &SimOptions::default())
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn anthropic_history_caching_reads_the_previous_prompt_and_writes_what_follows_it() {
    // Anthropic's prompt caching (platform.claude.com, "Prompt caching"): the breakpoint on the
    // last message caches the whole prompt; the next request reads the longest cached prefix —
    // the previous request's prompt — and writes everything after it: the previous answer and
    // the new message. Prompts: 2,100; 2,100 + 150 + 400 = 2,650; 2,650 + 150 + 100 = 2,900;
    // 2,900 + 150 + 400 = 3,450 (11,100 input tokens). Reads 2,000 (system prompt, cached by
    // earlier sessions) + 2,100 + 2,650 + 2,900 = 9,650; writes 100 + 550 + 250 + 550 = 1,450.
    // At Sonnet 5.5's $2 input, $2.50 5-minute write, $0.20 read and $10 output per 1M:
    // 9,650 × 0.20 + 1,450 × 2.50 + 600 × 10 = 11,555 → $0.011555 per session.
    let sim = bundled(CONVERSATION);
    assert_eq!(classes(&sim), [0.0, 9_650.0, 1_450.0, 600.0]);
    for t in &sim.totals[0] {
        assert!((t - 0.011_555).abs() < 1e-12, "{t}");
    }
    // A miss writes the whole prompt: 11,100 written, nothing read.
    let miss = bundled(&CONVERSATION.replace("hit_rate = 1.0", "hit_rate = 0.0"));
    assert_eq!(classes(&miss), [0.0, 0.0, 11_100.0, 600.0]);
}

#[test]
fn anthropic_prompts_below_the_minimum_are_neither_read_nor_written() {
    // Claude Sonnet 5.5 caches prefixes of at least 512 tokens: a 400-token system prompt is
    // never cached, so caching changes nothing; 600 tokens are read on a hit and written on a
    // miss (1.25× input).
    let caching = "[caching]\nhit_rate = 1.0\nwrite_ttl = \"5m\"";
    let model = "anthropic/claude-sonnet-5-5";
    let small = bundled(&requests(10, 400, 50, 100, model, caching));
    assert_eq!(classes(&small), [4_500.0, 0.0, 0.0, 1_000.0]);
    let large = bundled(&requests(10, 600, 50, 100, model, caching));
    assert_eq!(classes(&large), [500.0, 6_000.0, 0.0, 1_000.0]);
    let missed = bundled(&requests(
        10,
        600,
        50,
        100,
        model,
        &caching.replace("1.0", "0.0"),
    ));
    assert_eq!(classes(&missed), [500.0, 0.0, 6_000.0, 1_000.0]);
}

#[test]
fn openai_caches_whole_128_token_units_from_1024_tokens() {
    // OpenAI (developers.openai.com, "Prompt caching"): automatic for prompts of 1,024 tokens
    // or more, "with cache hits occurring in increments of 128 tokens". A 1,500-token system
    // prompt caches ⌊1,500 / 128⌋ × 128 = 1,408 tokens; the other 92 and the 100-token message
    // are uncached. GPT-6.1 Sol ($2 input, $0.10 cached, $2.50 write, $10 output): a hit bills
    // 1,408 × 0.10 + 192 × 2 + 200 × 10 = 2,524.8 per 1M tokens.
    let caching = "[caching]\nhit_rate = 1.0";
    let sol = bundled(&requests(1, 1500, 100, 200, "openai/gpt-6.1-sol", caching));
    assert_eq!(classes(&sol), [192.0, 1_408.0, 0.0, 200.0]);
    assert!((sol.totals[0][0] - 0.002_524_8).abs() < 1e-12);
    // From GPT-5.6 on a miss writes at 1.25× input (the 1,408 cacheable tokens); GPT-5.4 has
    // no write fee, so its miss is plain input: 1,600 × 2.50 + 200 × 15 = 7,000 per 1M.
    let miss = caching.replace("1.0", "0.0");
    let sol = bundled(&requests(1, 1500, 100, 200, "openai/gpt-6.1-sol", &miss));
    assert_eq!(classes(&sol), [192.0, 0.0, 1_408.0, 200.0]);
    let old = bundled(&requests(1, 1500, 100, 200, "openai/gpt-5.4", &miss));
    assert!(
        (old.totals[0][0] - 0.007).abs() < 1e-12,
        "{}",
        old.totals[0][0]
    );
    assert_eq!(old.components[0][Component::CacheWrite], 0.0);
    // Below 1,024 tokens nothing is cached.
    let short = bundled(&requests(1, 900, 100, 200, "openai/gpt-6.1-sol", caching));
    assert_eq!(classes(&short), [1_000.0, 0.0, 0.0, 200.0]);
}

#[test]
fn gemini_implicit_caching_needs_4096_tokens_and_bills_no_writes() {
    // Gemini 3.x/4 implicit caching: prompts of 4,096 tokens or more, no write fee (written
    // tokens are plain input). A 3,000-token system prompt is never cached; a 5,000-token one
    // is read on a hit at $0.20 (Gemini 4 Argon from 2026-12-01: $4 input, $0.20 cached).
    let caching = "[caching]\nhit_rate = 1.0";
    let model = "google/gemini-4-argon";
    let small = bundled(&requests(1, 3000, 100, 100, model, caching));
    assert_eq!(classes(&small), [3_100.0, 0.0, 0.0, 100.0]);
    let large = bundled(&requests(1, 5000, 100, 100, model, caching));
    assert_eq!(classes(&large), [100.0, 5_000.0, 0.0, 100.0]);
    assert!(
        (large.totals[0][0] - (5_000.0 * 0.2 + 100.0 * 4.0 + 100.0 * 20.0) / 1e6).abs() < 1e-12
    );
    let miss = bundled(&requests(
        1,
        5000,
        100,
        100,
        model,
        &caching.replace("1.0", "0.0"),
    ));
    assert_eq!(classes(&miss), [5_100.0, 0.0, 0.0, 100.0]);
}

#[test]
fn deepseek_bills_cache_writes_at_the_miss_rate() {
    // DeepSeek caches automatically and bills a cache miss at the ordinary input rate ("cache
    // miss" $0.30 on deepseek-flash): caching that never hits costs exactly what no caching
    // costs, while a hit reads at $0.006.
    let model = "deepseek/deepseek-flash";
    let none = bundled(&requests(100, 2000, 100, 100, model, ""));
    let miss = bundled(&requests(
        100,
        2000,
        100,
        100,
        model,
        "[caching]\nhit_rate = 0.0",
    ));
    assert!((none.totals[0][0] - miss.totals[0][0]).abs() < 1e-12);
    let hit = bundled(&requests(
        100,
        2000,
        100,
        100,
        model,
        "[caching]\nhit_rate = 1.0",
    ));
    let want = 100.0 * (2000.0 * 0.006 + 100.0 * 0.30 + 100.0 * 1.20) / 1e6;
    assert!(
        (hit.totals[0][0] - want).abs() < 1e-12,
        "{}",
        hit.totals[0][0]
    );
}

#[test]
fn history_caching_restarts_from_the_system_prompt_when_the_history_is_rewritten() {
    // Window of 2 turns (S = 500, u = 40, o = 60, T = 4, every call a hit, the test model has
    // no minimum): prompts 540, 640, 740, 740. Calls 1–3 read the previous prompt (500, 540,
    // 640) and write the rest (40, 100, 100); after turn 3 the oldest turn leaves the prompt,
    // so call 4 reads only the system prompt (500) and writes 240.
    let window = FIXED
        .replace("sessions_per_month = 100", "sessions_per_month = 1")
        .replace("system_prompt_tokens = 1000", "system_prompt_tokens = 500")
        .replace("turns_per_session = 3", "turns_per_session = 4")
        .replace("user_message_tokens = 50", "user_message_tokens = 40")
        .replace(
            "output_tokens = 100",
            "output_tokens = 60\ncontext = { policy = \"window\", turns = 2 }",
        )
        .replace("tool_rounds_per_turn = 1", "tool_rounds_per_turn = 0")
        .replace(
            "[[routes]]\nmodel = \"test/plain\"",
            "[caching]\nhit_rate = 1.0\ncacheable = \"history\"\n[[routes]]\nmodel = \"test/writer\"",
        );
    assert_eq!(classes(&run(&window)), [0.0, 2_180.0, 480.0, 240.0]);
    // Summarize above 250 into 50 (S = 100, u = o = 100, T = 4): prompts 200, 400, the
    // summary call 500 (reads the previous prompt 400), then 250 (the summary replaced the
    // history: reads the system prompt 100) and 450 (reads 250). Reads 100 + 200 + 400 + 100
    // + 250 = 1,050; writes 100 + 200 + 100 + 150 + 200 = 750.
    let summarize = FIXED
        .replace("sessions_per_month = 100", "sessions_per_month = 1")
        .replace("system_prompt_tokens = 1000", "system_prompt_tokens = 100")
        .replace("turns_per_session = 3", "turns_per_session = 4")
        .replace("user_message_tokens = 50", "user_message_tokens = 100")
        .replace("output_tokens = 100", "output_tokens = 100\ncontext = { policy = \"summarize\", above_tokens = 250, summary_tokens = 50 }")
        .replace("tool_rounds_per_turn = 1", "tool_rounds_per_turn = 0")
        .replace(
            "[[routes]]\nmodel = \"test/plain\"",
            "[caching]\nhit_rate = 1.0\ncacheable = \"history\"\n[[routes]]\nmodel = \"test/writer\"",
        );
    assert_eq!(classes(&run(&summarize)), [0.0, 1_050.0, 750.0, 450.0]);
}

// ------------------------------------------------------------- warnings that carry numbers

fn warning<'a>(sim: &'a Simulation, needle: &str) -> &'a str {
    sim.warnings
        .iter()
        .find(|w| w.contains(needle))
        .unwrap_or_else(|| panic!("no warning with {needle:?}: {:#?}", sim.warnings))
}

#[test]
fn calls_above_the_context_window_are_counted_and_named() {
    // Bedrock gpt-oss-120b has a 128,000-token window: 10 requests of 130,000 + 100 input
    // tokens are all above it; 10 of 5,000 are not.
    let over = bundled(&requests(
        10,
        130_000,
        100,
        50,
        "bedrock/openai.gpt-oss-120b-1:0",
        "",
    ));
    assert_eq!(over.volumes[0].over_context_calls, 10.0);
    let w = warning(&over, "context window");
    assert!(
        w.starts_with("10 calls a month (100.0% of calls) in 2027-01"),
        "{w}"
    );
    assert!(
        w.contains("bedrock/openai.gpt-oss-120b-1:0 128,000 tokens"),
        "{w}"
    );
    let under = bundled(&requests(
        10,
        5_000,
        100,
        50,
        "bedrock/openai.gpt-oss-120b-1:0",
        "",
    ));
    assert_eq!(under.volumes[0].over_context_calls, 0.0);
    assert!(!under.warnings.iter().any(|w| w.contains("context window")));
}

#[test]
fn a_system_prompt_below_the_minimum_prefix_is_flagged_with_what_it_costs() {
    // Gemini 4 Argon caches from 4,096 tokens: a 3,000-token system prompt never is. At a
    // hit rate of 0.8 it would save 0.8 × 3,000 × ($4 − $0.20) per 1M tokens per call:
    // 100 calls → $0.912.
    let sim = bundled(&requests(
        100,
        3000,
        100,
        100,
        "google/gemini-4-argon",
        "[caching]\nhit_rate = 0.8",
    ));
    let w = warning(&sim, "minimum cacheable prefix");
    assert!(
        w.contains("~3,000 tokens") && w.contains("4,096 tokens"),
        "{w}"
    );
    assert!(w.contains("$1 in 2027-01") || w.contains("$0.91"), "{w}");
}

#[test]
fn caching_off_on_an_automatically_caching_provider_says_what_it_would_save() {
    // No [caching] on GPT-6.1 Sol (automatic caching from 1,024 tokens): the note prices half
    // of the calls reading the 2,000-token system prompt: 1,000 × 0.5 × 2,000 × ($2 − $0.10)
    // / 1M = $1.90.
    let sim = bundled(&requests(1000, 2000, 100, 100, "openai/gpt-6.1-sol", ""));
    let w = warning(&sim, "caching is off");
    assert!(
        w.contains("openai/gpt-6.1-sol caches prompts of 1,024 tokens"),
        "{w}"
    );
    assert!(w.contains("about $2 lower"), "{w}");
    // A provider without automatic caching gets no such note.
    let claude = bundled(&requests(
        1000,
        2000,
        100,
        100,
        "anthropic/claude-sonnet-5-5",
        "",
    ));
    assert!(!claude.warnings.iter().any(|w| w.contains("caching is off")));
}

#[test]
fn caching_on_without_a_cache_price_or_hits_is_flagged() {
    let gpt_oss = bundled(&requests(
        10,
        2000,
        100,
        100,
        "bedrock/openai.gpt-oss-120b-1:0",
        "[caching]\nhit_rate = 0.9",
    ));
    warning(&gpt_oss, "no cache-read discount");
    let zero = bundled(&requests(
        10,
        2000,
        100,
        100,
        "anthropic/claude-sonnet-5-5",
        "[caching]\nhit_rate = 0",
    ));
    warning(&zero, "hit rate of 0");
}

// ------------------------------------------------- semantics documented in scenarios/README.md

#[test]
fn sampled_sizes_are_rounded_up_to_whole_tokens() {
    // Output 100.2 reference tokens bills 101; a user message of 0.5 bills 1.
    let sim = run(&requests(1, 0, 0, 0, "test/plain", "")
        .replace("user_message_tokens = 0", "user_message_tokens = 0.5")
        .replace("output_tokens = 0", "output_tokens = 100.2"));
    assert_eq!(classes(&sim), [1.0, 0.0, 0.0, 101.0]);
}

#[test]
fn limits_are_model_tokens_and_sizes_are_reference_tokens() {
    // Tokenizer ratio 2: 100 reference output tokens are 200 model tokens, capped at the
    // 150-token max_output_tokens; a 300-token message is 600 model tokens.
    let capped = run(&requests(1, 0, 300, 100, "test/plain", "")
        .replace(
            "output_tokens = 100",
            "output_tokens = 100\nmax_output_tokens = 150",
        )
        .replace("tokenizer_ratio = 1.0", "tokenizer_ratio = 2.0"));
    assert_eq!(classes(&capped), [600.0, 0.0, 0.0, 150.0]);
    // Summarize above 500 model tokens (S = 0, u = o = 100 reference = 200 model tokens, T = 3):
    // turn 1 input 200 (H = 400); turn 2 input 600 (H = 800 > 500): turn 3 starts with a
    // summary call (input 800, output 2 × 50 = 100), then input 100 + 200 = 300. The threshold
    // is not converted: in reference tokens (×2) it would not trigger (800 ≤ 1,000).
    let text = FIXED
        .replace("sessions_per_month = 100", "sessions_per_month = 1")
        .replace("system_prompt_tokens = 1000", "system_prompt_tokens = 0")
        .replace("user_message_tokens = 50", "user_message_tokens = 100")
        .replace("output_tokens = 100", "output_tokens = 100\ncontext = { policy = \"summarize\", above_tokens = 500, summary_tokens = 50 }")
        .replace("tool_rounds_per_turn = 1", "tool_rounds_per_turn = 0")
        .replace("model = \"test/plain\"", "model = \"test/plain\"\ntokenizer_ratio = 2.0");
    let sim = run(&text);
    assert_eq!(
        classes(&sim),
        [200.0 + 600.0 + 800.0 + 300.0, 0.0, 0.0, 600.0 + 100.0]
    );
}

#[test]
fn direct_input_tokens_include_the_system_prompt() {
    // `input_tokens` is the whole input of a call: a 1,000-token draw with a 300-token system
    // prompt bills 1,000 input tokens, of which the 300-token prefix is cacheable.
    let text = requests(5, 300, 0, 10, "test/plain", "[caching]\nhit_rate = 1.0")
        .replace("user_message_tokens = 0", "input_tokens = 1000");
    assert_eq!(classes(&run(&text)), [3_500.0, 1_500.0, 0.0, 50.0]);
}

#[test]
fn the_minimum_prefix_is_compared_in_model_tokens() {
    // Claude Sonnet 5.5 caches from 512 tokens. 400 reference tokens at the bundled ratio of
    // 1.40 are 560 Claude tokens: cached. At ratio 1.0 they are not.
    let caching = "[caching]\nhit_rate = 1.0";
    let model = "anthropic/claude-sonnet-5-5";
    let text = requests(1, 400, 0, 10, model, caching).replace("tokenizer_ratio = 1.0\n", "");
    assert_eq!(classes(&bundled(&text))[1], 560.0);
    assert_eq!(
        classes(&bundled(&requests(1, 400, 0, 10, model, caching)))[1],
        0.0
    );
}

#[test]
fn failure_classes_are_mutually_exclusive_per_attempt() {
    // Two classes of 0.1 each, one attempt: an attempt fails with probability 0.1 + 0.1 = 0.2
    // (not 1 − 0.9² = 0.19, as independent classes would give), and half of the failures are
    // billed timeouts. 100,000 one-call requests × 10 trials: abandoned calls per month have
    // mean 20,000 and a Monte Carlo SE of √(10⁵ · 0.2 · 0.8 / 10) = 40; independent classes
    // would sit 25 SE away. Allow 4 SE.
    let text = requests(100_000, 0, 100, 10, "test/plain", "")
        .replace(
            "[[routes]]",
            "[retries]\nmax_attempts = 1\nrate_limit = { p = 0.1, billed = false }\ntimeout = { p = 0.1, billed = true }\n[[routes]]",
        );
    let sim = run(&text);
    let abandoned = sim.volumes[0].abandoned_calls;
    assert!((abandoned - 20_000.0).abs() < 160.0, "{abandoned}");
    // Billed failed attempts (the `retries` component, 110 tokens each at $2 / $10 input and
    // output: 100 × 2 + 10 × 10 = 300 µ$) are the timeouts: 10,000 ± 4 × 30.
    let billed = sim.components[0][Component::Retries] / 300e-6;
    assert!((billed - 10_000.0).abs() < 120.0, "{billed}");
}

#[test]
fn a_non_finite_bill_is_an_error_never_a_number() {
    // Validation rejects such inputs (scenario::limits); bypass it to check the engine's own
    // backstop: 1e308 output tokens × $10/1M overflows to infinity, and ∞ − ∞ to NaN.
    let mut s = scenario(FIXED);
    s.segments[0].workload.output_tokens = Uncertain::Fixed(1e308);
    for mode in [
        billcast::scenario::Mode::Exact,
        billcast::scenario::Mode::Fast,
    ] {
        let opts = SimOptions {
            mode: Some(mode),
            ..SimOptions::default()
        };
        match engine::simulate(&s, &book(), &opts) {
            Err(engine::EngineError::NonFinite { month, value, .. }) => {
                assert_eq!(month, "2027-01");
                assert!(!value.is_finite());
            }
            other => panic!("{mode:?}: expected a non-finite error, got {other:?}"),
        }
    }
    // And the loader refuses the input itself, naming the key.
    let e = Scenario::from_text(
        "t.toml",
        &FIXED.replace("output_tokens = 100", "output_tokens = 1e308"),
        None,
        &[],
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("workload.output_tokens") && e.contains("line 14"),
        "{e}"
    );
}

#[test]
fn headline_ratio_compares_the_same_month() {
    // FIXED grows 10% a month for six months and doubles in April, so the headline month
    // (highest P95) is 2027-04, neither the first nor the last. The naive estimate of a month,
    // by hand: one request is 1000 + 50 tokens in at $2/1M and 100 out at $10/1M = $0.0031;
    // month m has 100 sessions × 3 turns × 1.1^m × seasonality requests.
    let text = FIXED
        .replace(
            "start_month = \"2027-01\"",
            "start_month = \"2027-01\"\nhorizon_months = 6",
        )
        .replace(
            "sessions_per_month = 100",
            "sessions_per_month = 100\nmonthly_growth = 0.1\nseasonality = [1, 1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1]",
        )
        + "[budget]\nmonthly_usd = 2.0\n";
    let s = scenario(&text);
    let b = book();
    let p = Prepared::new(&s, &b).unwrap();
    let sim = engine::simulate_prepared(&s, &p, &SimOptions::default()).unwrap();
    let r = Report::from_simulation(&s, &b, &p, &sim);
    let naive = |m: i32| {
        let season = if m == 3 { 2.0 } else { 1.0 };
        300.0 * 1.1f64.powi(m) * season * 0.0031
    };
    for (m, month) in r.months.iter().enumerate() {
        let n = month.naive_usd.expect("every month has its naive estimate");
        assert!(
            (n / naive(m as i32) - 1.0).abs() < 1e-12,
            "{} {n}",
            month.month
        );
    }
    assert_eq!(r.headline.month, "2027-04");
    let head = r.headline_month().unwrap();
    let same = r.headline.p95_over_naive_same_month.unwrap();
    assert!(
        (same - head.p95 / naive(3)).abs() < 1e-9 * same,
        "{same} vs {}",
        head.p95 / naive(3)
    );
    // The old field keeps its meaning: over the first month's estimate.
    assert!((r.headline.p95_over_naive - head.p95 / naive(0)).abs() < 1e-9 * same);
    assert_eq!(r.naive_headline.as_ref().unwrap().month, "2027-04");
    assert_eq!(r.naive_estimate.month, "2027-01");
    // Every number in the sentence names its month.
    let text = r.headline_sentence();
    assert!(text.contains("P95 monthly bill in 2027-04"), "{text}");
    assert!(text.contains("P(over budget) in 2027-04"), "{text}");
    assert!(
        text.contains(&format!("{same:.1}× the naive estimate for 2027-04")),
        "{text}"
    );
    assert_eq!(text, r.headline.text);
    // A report saved before the same-month fields existed says which months it divides.
    let mut old = r.clone();
    old.naive_headline = None;
    old.headline.p95_over_naive_same_month = None;
    let legacy = old.headline_sentence();
    assert!(
        legacy.contains(&format!(
            "{:.1}× the naive estimate for 2027-01",
            r.headline.p95_over_naive
        )),
        "{legacy}"
    );
}

/// The test prices plus tests/data/tokenizer-prices.toml (`tok/wide`: ratio 1.25, unverified,
/// plausible 1.05–1.75; `tok/measured`: 1.25, verified).
fn tok_book() -> PriceBook {
    PriceBook::load(&[
        PathBuf::from("tests/data/flat-prices.toml"),
        PathBuf::from("tests/data/tokenizer-prices.toml"),
    ])
    .expect("test prices load")
}

/// Random counts, fixed sizes that are multiples of 4 (so 1.25 × and 1.75 × each size is a
/// whole number of tokens), no cap, tier or cache minimum: the bill is exactly proportional to
/// the tokenizer ratio.
const TOK: &str = r#"
schema_version = 1
name = "tok"
start_month = "2027-01"
[simulation]
trials = 400
mode = "exact"
[traffic]
sessions_per_month = "50 to 500"
[workload]
system_prompt_tokens = 1000
turns_per_session = { dist = "poisson", mean = 3, offset = 1 }
user_message_tokens = 48
output_tokens = 96
tool_rounds_per_turn = { dist = "poisson", mean = 1 }
tool_calls_per_round = 1
tool_result_tokens = 200
[[routes]]
model = "tok/wide"
"#;

fn tok_report(text: &str, overrides: &[&str]) -> (Report, Vec<f64>) {
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    let s = Scenario::from_text("test.toml", text, None, &overrides).unwrap();
    let b = tok_book();
    let p = Prepared::new(&s, &b).unwrap();
    let sim = engine::simulate_prepared(&s, &p, &SimOptions::default()).unwrap();
    let mut totals = sim.totals[0].clone();
    totals.sort_by(|a, b| a.total_cmp(b));
    (Report::from_simulation(&s, &b, &p, &sim), totals)
}

#[test]
fn unverified_tokenizer_ratio_effect_equals_a_rerun_where_scaling_is_exact() {
    let (r, _) = tok_report(TOK, &[]);
    assert_eq!(r.tokenizer.len(), 1, "{:?}", r.tokenizer);
    let e = &r.tokenizer[0];
    assert_eq!(e.tokenizer.confidence, "unverified");
    assert_eq!(e.tokenizer.range, [1.05, 1.75]);
    // Every cost is token cost, so the bill at ratio 1.0 is the bill / 1.25: −20% exactly.
    assert!((e.change_pct() + 20.0).abs() < 1e-9, "{}", e.change_pct());
    // The same world simulated with the ratio set to 1.0 (and to 1.75, the high end, where
    // every size is a whole number of tokens too) gives the rescaled P95s.
    for (ratio, expect) in [("1.0", e.p95_at_reference), ("1.75", e.p95_range[1])] {
        let (_, rerun) = tok_report(TOK, &[&format!("routes.0.tokenizer_ratio={ratio}")]);
        let p95 = stats::quantile_sorted(&rerun, 0.95);
        assert!(
            (expect - p95).abs() <= 1e-9 * p95,
            "ratio {ratio}: rescaled {expect} vs rerun {p95}"
        );
    }
    assert!(e.p95_range[0] < e.p95 && e.p95 < e.p95_range[1]);
    let w = r
        .warnings
        .iter()
        .find(|w| w.contains("tokenizer ratio 1.25 is unverified"))
        .expect("a warning names the unverified ratio");
    assert!(
        w.contains("(test default [INF])")
            && w.contains(&format!(
                "with a ratio of 1.0 the P95 of 2027-01 would be {} (-20%)",
                billcast::units::format_usd(e.p95_at_reference)
            ))
            && w.contains("routes[0].tokenizer_ratio"),
        "{w}"
    );
    // No cap, tier or cache minimum on this route: the rescaling is said to be exact.
    assert!(e.not_scaled.is_empty(), "{:?}", e.not_scaled);
    assert!(w.contains("exact up to whole-token rounding)"), "{w}");
}

#[test]
fn rescaled_tokenizer_effect_is_within_rounding_of_a_rerun_with_random_sizes() {
    // Sampled sizes are rounded up to whole model tokens, so rescaling is off by less than one
    // token per sampled size: with sizes of a few hundred tokens and a 1,000-token system
    // prompt, well under 1% of the bill.
    let text = TOK
        .replace(
            "user_message_tokens = 48",
            "user_message_tokens = { dist = \"lognormal\", median = 200, sigma = 0.5 }",
        )
        .replace(
            "output_tokens = 96",
            "output_tokens = { dist = \"lognormal\", median = 300, sigma = 0.5 }",
        );
    let (r, _) = tok_report(&text, &[]);
    let e = &r.tokenizer[0];
    let (_, rerun) = tok_report(&text, &["routes.0.tokenizer_ratio=1.0"]);
    let p95 = stats::quantile_sorted(&rerun, 0.95);
    assert!(
        (e.p95_at_reference / p95 - 1.0).abs() < 0.01,
        "rescaled {} vs rerun {p95}",
        e.p95_at_reference
    );
}

#[test]
fn verified_or_scenario_set_ratios_raise_no_tokenizer_warning() {
    for (text, overrides) in [
        (TOK.replace("tok/wide", "tok/measured"), vec![]),
        (TOK.to_string(), vec!["routes.0.tokenizer_ratio=1.25"]),
        (TOK.replace("tok/wide", "tok/ref-115"), vec![]),
    ] {
        let (r, _) = tok_report(&text, &overrides);
        assert!(r.tokenizer.is_empty(), "{:?}", r.tokenizer);
        assert!(
            !r.warnings.iter().any(|w| w.contains("tokenizer ratio")),
            "{:?}",
            r.warnings
        );
    }
}
