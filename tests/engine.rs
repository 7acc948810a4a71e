//! The engine against closed forms (issue 3): deterministic bills computed by hand, the
//! quadratic history sum, context policies, caching, retries, means within Monte Carlo error,
//! price linearity, determinism across thread counts, and route shares.

use std::path::PathBuf;

use billcast::dist::{Domain, Uncertain};
use billcast::engine::{self, SimOptions, Simulation, prepare::Prepared, summary};
use billcast::pricing::PriceBook;
use billcast::report::Report;
use billcast::scenario::Scenario;

fn book() -> PriceBook {
    PriceBook::load(&[PathBuf::from("tests/data/flat-prices.toml")]).expect("test prices load")
}

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
        (c[0] - 1.98).abs() < 1e-9 && (c[3] - 0.6).abs() < 1e-9,
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
    assert!((c[2] - 1.5).abs() < 1e-9, "cache write component {c:?}");
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
    let retries_usd = sim.components[0][6];
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
    let (mean, sd) = summary::mean_sd(&sim.totals[0]);
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
        for c in 0..7 {
            let (x, y) = (a.components[m][c], b.components[m][c]);
            if c == 3 {
                assert!((y - 2.0 * x).abs() < 1e-9 * x.max(1.0), "output {x} → {y}");
            } else {
                assert_eq!(x, y, "component {c} changed");
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
        let p95 = summary::quantile_sorted(&rerun, 0.95);
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
    let p95 = summary::quantile_sorted(&rerun, 0.95);
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
