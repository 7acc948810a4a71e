//! What-if tools (issue 6) against exact answers: identical variants differ by exactly zero,
//! a doubled price doubles exactly its component, solve finds a hand-computed boundary inside
//! its bracket, sensitivity ranks a dominant input first, and diff's cost gate exits 0 / 3 /
//! 2. Scenarios are tiny and run in exact mode so the suite stays fast.

use crate::common::*;

use std::path::{Path, PathBuf};

use billcast::engine::SimOptions;
use billcast::pricing::PriceBook;
use billcast::scenario::Scenario;
use billcast::whatif::{
    self, RunOptions, Vary,
    compare::compare,
    sensitivity::{SensitivityOptions, pin_all, sensitivity, uncertain_inputs},
    solve::{Direction, SolveSpec, Status, solve},
};
use predicates::prelude::*;

fn load(text: &str, overrides: &[String]) -> Scenario {
    Scenario::from_text("t.toml", text, None, overrides).unwrap_or_else(|e| panic!("{e}"))
}

fn variant(label: &str, text: &str, overrides: &[String]) -> whatif::Variant {
    whatif::Variant {
        label: label.into(),
        scenario: load(text, overrides),
    }
}

#[test]
fn comparing_identical_scenarios_gives_exactly_zero_deltas() {
    let vs = vec![
        variant("a", UNCERTAIN, &[]),
        variant("b", UNCERTAIN, &[]),
        variant("c", UNCERTAIN, &[]),
    ];
    let c = compare(vs, &book(), None, &RunOptions::default()).unwrap();
    assert_eq!(c.month, "2027-02");
    assert_eq!(c.engine_runs, 3);
    assert!(c.variants[0].delta.is_none());
    for v in &c.variants[1..] {
        let d = v.delta.expect("delta against the first");
        for x in [d.mean, d.p50, d.p90, d.p95, d.p99] {
            assert_eq!(x, 0.0, "{d:?}");
        }
        assert_eq!(d.p95_pct, Some(0.0));
        assert_eq!(d.prob_over_budget, Some(0.0));
        let k = v.component_delta.expect("component deltas");
        assert_eq!(k.total(), 0.0);
        assert_eq!(v.summary, c.variants[0].summary);
    }
    // The bill is genuinely uncertain, so zero deltas come from shared draws, not a constant.
    assert!(c.variants[0].summary.p95 > 1.2 * c.variants[0].summary.p50);
}

#[test]
fn different_seeds_in_the_files_are_aligned_to_the_first() {
    let vs = vec![
        variant("a", UNCERTAIN, &[]),
        variant("b", UNCERTAIN, &["simulation.seed=99".into()]),
    ];
    let c = compare(vs, &book(), None, &RunOptions::default()).unwrap();
    assert_eq!(c.alignment.seed, 7);
    assert_eq!(c.alignment.notes.len(), 1, "{:?}", c.alignment.notes);
    assert_eq!(c.variants[1].delta.unwrap().p95, 0.0);
}

#[test]
fn varying_the_model_to_a_doubled_output_price_doubles_exactly_that_component() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "s.toml", UNCERTAIN);
    let vary = Vary::parse("--vary", "routes.0.model=test/plain,test/pricey-output").unwrap();
    let vs = whatif::load_grid(&p, &[], &[vary], "--vary").unwrap();
    assert_eq!(vs[0].label, "test/plain");
    assert_eq!(vs[1].label, "test/pricey-output");
    let c = compare(vs, &book(), None, &RunOptions::default()).unwrap();
    let a = &c.variants[0].summary.components;
    let b = &c.variants[1].summary.components;
    assert!(a.output > 0.0 && a.retries > 0.0, "{a:?}");
    assert_eq!(b.output, 2.0 * a.output);
    assert_eq!(b.input, a.input);
    assert_eq!(b.cache_read, a.cache_read);
    assert_eq!(b.cache_write, a.cache_write);
    // Billed failed attempts carry output tokens too, so they grow, by less than 2×.
    assert!(b.retries > a.retries && b.retries < 2.0 * a.retries);
    let d = c.variants[1].component_delta.unwrap();
    assert_eq!(d.output, a.output);
    assert_eq!(d.input, 0.0);
}

#[test]
fn vary_over_two_keys_runs_every_combination_with_the_first_as_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "s.toml", UNCERTAIN);
    let vs = whatif::load_grid(
        &p,
        &["simulation.trials=20".into()],
        &[
            Vary::parse("--vary", "caching.hit_rate=0,0.9").unwrap(),
            Vary::parse("--vary", "workload.system_prompt_tokens=100,800,2000").unwrap(),
        ],
        "--vary",
    )
    .unwrap();
    assert_eq!(vs.len(), 6);
    assert_eq!(
        vs[0].label,
        "caching.hit_rate=0, workload.system_prompt_tokens=100"
    );
    let e = whatif::load_grid(
        &p,
        &[],
        &[Vary::parse("--vary", "caching.hit_rate=2").unwrap()],
        "--vary",
    )
    .expect_err("hit rate 2 is invalid");
    assert!(format!("{:#}", anyhow::Error::new(e)).contains("caching.hit_rate"));
}

/// A closed-form bill: one-turn sessions of 10,000 prompt tokens in and 1,000 out on
/// `test/plain` ($2 in, $10 out per 1M): 0.02 + 0.01 = $0.03 per session, one session per
/// user, so the bill is exactly $0.03 × users.
const LINEAR: &str = r#"schema_version = 1
name = "linear"
start_month = "2027-01"
[simulation]
trials = 10
mode = "exact"
[traffic]
monthly_active_users = 1000
sessions_per_user = 1
[workload]
system_prompt_tokens = 10000
turns_per_session = 1
output_tokens = 1000
[[routes]]
model = "test/plain"
"#;

fn spec(path: &Path, budget: f64) -> SolveSpec {
    SolveSpec {
        path: path.to_path_buf(),
        overrides: vec![],
        param: "traffic.monthly_active_users".into(),
        budget: Some(budget),
        quantile: 0.95,
        month: None,
        lo: None,
        hi: None,
        direction: Direction::Max,
        tolerance: 1e-3,
        mode: None,
        integer: None,
        resimulate: false,
    }
}

#[test]
fn solve_finds_the_hand_computed_user_count_inside_its_bracket() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "linear.toml", LINEAR);
    // $30.015 buys 1,000.5 sessions: 1,000 whole users fit, 1,001 do not.
    let s = solve(&spec(&p, 30.015), &book(), None).unwrap();
    assert_eq!(s.status, Status::Found);
    assert!(s.integer, "the scenario writes users as an integer");
    assert_eq!(s.value, 1000.0);
    assert_eq!(s.bracket, [1000.0, 1001.0]);
    assert!(
        (s.quantile_at_value - 30.0).abs() < 1e-9,
        "{}",
        s.quantile_at_value
    );
    // The bill is deterministic: no Monte Carlo error, and the slope is $0.03 per user.
    assert!((s.slope_usd_per_unit.unwrap() - 0.03).abs() < 1e-12);
    assert_eq!(s.answer_se, Some(0.0));
    // Without --hi the search doubled the current value (1,000) to bracket the budget.
    assert!(
        s.notes.iter().any(|n| n.contains("doubled")),
        "{:?}",
        s.notes
    );

    // As a continuous input the answer is 1,000.5 users, inside the bracket of width ≤ 0.1%.
    let mut cont = spec(&p, 30.015);
    cont.integer = Some(false);
    cont.lo = Some(10.0);
    cont.hi = Some(5000.0);
    let s = solve(&cont, &book(), None).unwrap();
    let [lo, hi] = s.bracket;
    // Sessions are users rounded stochastically, so the boundary is within one user of 1,000.5.
    assert!(lo <= 1001.5 && hi >= 999.5, "{lo}..{hi}");
    assert!(hi - lo <= 1e-3 * hi, "{lo}..{hi}");
    assert!(s.value >= 999.0 && s.value <= 1001.5, "{}", s.value);
}

#[test]
fn solve_monte_carlo_intervals_cover_the_analytic_answer() {
    // Sessions per user "1 to 4" (a lognormal with P95 = 4) and $0.21 per session
    // (100,000 prompt tokens × $2 + 1,000 output × $10 per 1M): the P95 bill is
    // users × 4 × $0.21, so an $84 budget fits 100 users. Each seed's estimate carries
    // sampling error; its 95% interval should cover 100 for about 19 seeds in 20.
    let text = LINEAR
        .replace("trials = 10", "trials = 400")
        .replace(
            "monthly_active_users = 1000",
            "monthly_active_users = 100.0",
        )
        .replace("sessions_per_user = 1", "sessions_per_user = \"1 to 4\"")
        .replace(
            "system_prompt_tokens = 10000",
            "system_prompt_tokens = 100000",
        );
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "u.toml", &text);
    let mut covered = 0;
    for seed in 1..=10 {
        let mut sp = spec(&p, 84.0);
        sp.overrides = vec![format!("simulation.seed={seed}")];
        let s = solve(&sp, &book(), None).unwrap();
        let [lo, hi] = s.answer_interval_95.expect("an interval");
        assert!(
            lo < s.value && s.value < hi,
            "a genuine sampling error: {s:#?}"
        );
        assert!((s.value - 100.0).abs() < 20.0, "{}", s.value);
        covered += usize::from(lo <= 100.0 && 100.0 <= hi);
    }
    assert!(
        covered >= 8,
        "only {covered} of 10 intervals cover the answer"
    );
}

#[test]
fn solve_explains_when_nothing_fits_or_the_direction_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "linear.toml", LINEAR);
    let mut sp = spec(&p, 30.0);
    sp.lo = Some(2000.0);
    sp.hi = Some(4000.0);
    let e = solve(&sp, &book(), None).unwrap_err().to_string();
    assert!(e.contains("lower --lo"), "{e}");
    sp.lo = Some(0.0);
    sp.direction = Direction::Min;
    let e = solve(&sp, &book(), None).unwrap_err().to_string();
    assert!(
        e.contains("rises as traffic.monthly_active_users grows"),
        "{e}"
    );
    assert!(e.contains("--direction max"), "{e}");
    let mut sp = spec(&p, 30.0);
    sp.quantile = 1.5;
    let e = solve(&sp, &book(), None).unwrap_err().to_string();
    assert!(e.starts_with("--quantile"), "{e}");
}

/// Users span two orders of magnitude; growth is narrow: users must dominate.
const DOMINANT: &str = r#"schema_version = 1
name = "dominant"
start_month = "2027-01"
horizon_months = 2
[simulation]
trials = 200
seed = 3
mode = "exact"
[traffic]
monthly_active_users = "10 to 1000"
sessions_per_user = 1
monthly_growth = { dist = "normal", mean = 0.05, sd = 0.005 }
[workload]
system_prompt_tokens = 1000
turns_per_session = 1
output_tokens = 100
[[routes]]
model = "test/plain"
"#;

#[test]
fn sensitivity_ranks_the_dominant_input_first() {
    let s = load(DOMINANT, &[]);
    let keys: Vec<String> = uncertain_inputs(&s).into_iter().map(|i| i.key).collect();
    assert_eq!(
        keys,
        vec!["traffic.monthly_active_users", "traffic.monthly_growth"]
    );
    let opts = SensitivityOptions {
        month: None,
        sobol_trials: 200,
        tornado_trials: 10,
        bootstrap: 100,
        mode: None,
        progress: None,
        resimulate: false,
    };
    let r = sensitivity(&s, &book(), &opts).unwrap();
    assert_eq!(r.plan.engine_runs, 5 + 4);
    assert_eq!(r.plan.trials, 5 * 10 + 4 * 200);
    assert_eq!(r.sobol[0].key, "traffic.monthly_active_users");
    assert_eq!(r.tornado[0].key, "traffic.monthly_active_users");
    assert!(r.sobol[0].first_order > 0.8, "{:?}", r.sobol);
    assert!(r.sobol[1].first_order < 0.1, "{:?}", r.sobol);
    assert!(r.sobol[0].first_order_ci[0] > r.sobol[1].first_order_ci[1]);
    // The tornado's values are the inputs' P10 and P90: users "10 to 1000" is a lognormal
    // with median 100 and P95 1,000, so P90 = 100 · 10^(1.2816/1.6449).
    let t = &r.tornado[0];
    let p90 = 100.0 * 10f64.powf(1.2815515655446004 / 1.6448536269514722);
    assert!((t.value_p90.unwrap() / p90 - 1.0).abs() < 1e-6, "{t:?}");
    assert!(t.swing_p95 > 10.0 * r.tornado[1].swing_p95);
}

#[test]
fn pinning_every_input_removes_all_between_trial_variation() {
    // Every per-trial draw the engine makes, with a deterministic inner loop (fixed-family
    // per-call values, no failures or partial caching): once each enumerated key is pinned,
    // trials may differ only by the stochastic rounding of the session count.
    let text = r#"schema_version = 1
name = "pins"
start_month = "2027-01"
horizon_months = 2
[simulation]
trials = 20
mode = "exact"
[traffic]
monthly_active_users = "1000 to 4000"
sessions_per_user = { dist = "gamma", mean = 2, cv = 0.5 }
monthly_growth = { dist = "normal", mean = 0.1, sd = "0.01 to 0.1" }
[[traffic.cohorts]]
name = "a"
share = 0.7
[[traffic.cohorts]]
name = "b"
share = 0.3
sessions_scale = "2 to 6"
workload = { output_tokens = { dist = "fixed", value = "50 to 500" } }
[workload]
system_prompt_tokens = "500 to 1500"
turns_per_session = 2
output_tokens = { dist = "fixed", value = "100 to 300" }
[shift]
size = "0.8 to 1.5"
volume = "0.9 to 1.1"
[[routes]]
model = "test/plain"
"#;
    let s = load(text, &[]);
    let inputs = uncertain_inputs(&s);
    assert!(inputs.len() >= 9, "{inputs:?}");
    let unpinned = billcast::engine::simulate(&s, &book(), &SimOptions::default()).unwrap();
    let pins = pin_all(&s, 0.5);
    let pinned = billcast::engine::simulate(
        &s,
        &book(),
        &SimOptions {
            pins: Some(&pins),
            ..Default::default()
        },
    )
    .unwrap();
    for m in 0..2 {
        let spread = |xs: &[f64]| {
            let lo = xs.iter().cloned().fold(f64::INFINITY, f64::min);
            let hi = xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            (hi - lo) / ((hi + lo) / 2.0)
        };
        assert!(spread(&unpinned.totals[m]) > 0.5);
        assert!(
            spread(&pinned.totals[m]) < 2e-3,
            "month {m}: {:?}",
            &pinned.totals[m][..5]
        );
    }
}

#[test]
fn sweep_percentiles_grow_with_the_swept_input() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "s.toml", UNCERTAIN);
    let nums = whatif::range_values("--range", "0:0.9:4", false).unwrap();
    let values = whatif::sweep::number_values(UNCERTAIN, &[], "caching.hit_rate", &nums);
    assert_eq!(values, vec!["0", "0.3", "0.6", "0.9"]);
    let s = whatif::sweep::sweep(
        &p,
        &["simulation.trials=30".into()],
        "workload.system_prompt_tokens",
        vec!["200".into(), "800".into(), "3200".into()],
        &book(),
        Some("2027-01".parse().unwrap()),
        &RunOptions::default(),
    )
    .unwrap();
    assert_eq!(s.engine_runs, 3);
    assert_eq!(s.month, "2027-01");
    for w in s.points.windows(2) {
        assert!(w[1].summary.p95 > w[0].summary.p95);
        assert!(w[1].summary.mean > w[0].summary.mean);
    }
    let csv = whatif::render::sweep_csv(&s).unwrap();
    assert!(csv.starts_with("param,value,month,mean,p5"), "{csv}");
    assert_eq!(csv.lines().count(), 4);
}

#[test]
fn a_month_outside_the_horizon_is_a_flag_error() {
    let vs = vec![variant("a", UNCERTAIN, &[]), variant("b", UNCERTAIN, &[])];
    let e = compare(
        vs,
        &book(),
        Some("2030-01".parse().unwrap()),
        &RunOptions::default(),
    )
    .unwrap_err();
    assert!(e.is_usage());
    assert!(e.to_string().contains("2027-01 to 2027-02"), "{e}");
}

// ----- CLI: compare, diff and the cost gate -----

fn forecast_json(dir: &tempfile::TempDir, scenario: &Path, name: &str, set: &[&str]) -> PathBuf {
    let out = dir.path().join(name);
    let mut cmd = billcast();
    cmd.arg("forecast")
        .arg(scenario)
        .args(["--pricing", PRICES, "-q", "--format", "json", "-o"])
        .arg(&out);
    for s in set {
        cmd.args(["--set", s]);
    }
    cmd.assert().success();
    out
}

#[test]
fn compare_cli_prints_deltas_and_rejects_bad_flags() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "s.toml", UNCERTAIN);
    billcast()
        .arg("compare")
        .arg(&p)
        .args(["--pricing", PRICES, "-q", "-n", "20"])
        .args(["--vary", "routes.0.model=test/plain,test/pricey-output"])
        .assert()
        .success()
        .stdout(predicate::str::contains("baseline"))
        .stdout(predicate::str::contains("test/pricey-output"))
        .stdout(predicate::str::contains("Where the money goes in 2027-02"));
    let out = billcast()
        .arg("compare")
        .arg(&p)
        .arg(&p)
        .args(["--pricing", PRICES, "-q", "-n", "20", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["variants"][1]["label"], "s#2");
    assert_eq!(v["variants"][1]["delta"]["p95"].as_f64(), Some(0.0));
    billcast()
        .arg("compare")
        .arg(&p)
        .args(["--pricing", PRICES, "-q", "--vary", "no-equals-sign"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--vary"))
        .stderr(predicate::str::contains("KEY=V1,V2"));
    billcast()
        .arg("compare")
        .arg(&p)
        .args(["--pricing", PRICES, "-q"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("two or more scenarios"));
    billcast()
        .arg("compare")
        .arg(&p)
        .args([
            "--pricing",
            PRICES,
            "-q",
            "--vary",
            "traffic.monthly_growth=0,1e9x",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("monthly_growth"));
}

#[test]
fn diff_gate_exits_3_when_a_condition_holds_and_0_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "s.toml", UNCERTAIN);
    let base = forecast_json(&dir, &p, "base.json", &[]);
    let head = forecast_json(
        &dir,
        &p,
        "head.json",
        &[
            "traffic.monthly_active_users=\"30 to 180\"",
            "workload.reasoning_tokens=50",
        ],
    );
    // The head has 1.5× the users: P95 up by tens of percent.
    billcast()
        .args(["diff"])
        .arg(&base)
        .arg(&head)
        .args(["--fail-if", "delta_p95_pct > 10"])
        .assert()
        .code(3)
        .stdout(predicate::str::contains("goes up"))
        .stdout(predicate::str::contains(
            "Key: + added, - removed, ~ changed",
        ))
        .stdout(predicate::str::contains(
            "~ traffic.monthly_active_users: 20 to 120 → 30 to 180",
        ))
        .stdout(predicate::str::contains("Cost gate: FAILED"))
        .stderr(predicate::str::contains(
            "cost gate failed: delta_p95_pct > 10 (delta_p95_pct = ",
        ));
    billcast()
        .args(["diff"])
        .arg(&base)
        .arg(&head)
        .args([
            "--fail-if",
            "delta_p95_pct > 1000",
            "--fail-if",
            "p95 > $1M",
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Cost gate: passed"));
    // Any one condition holding fails the gate.
    billcast()
        .args(["diff"])
        .arg(&base)
        .arg(&head)
        .args([
            "--fail-if",
            "delta_p95_pct > 1000",
            "--fail-if",
            "prob_over_budget > 0.01",
        ])
        .assert()
        .code(3);
    // Identical reports: exactly unchanged.
    billcast()
        .args(["diff"])
        .arg(&base)
        .arg(&base)
        .args(["--fail-if", "delta_p95 != 0 or delta_mean != 0"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("is unchanged at"))
        .stdout(predicate::str::contains("Inputs: no changes."));
}

#[test]
fn diff_markdown_is_a_pr_comment() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "s.toml", UNCERTAIN);
    let base = forecast_json(&dir, &p, "base.json", &[]);
    let head = forecast_json(
        &dir,
        &p,
        "head.json",
        &["routes.0.model=test/pricey-output"],
    );
    let out = billcast()
        .args(["diff"])
        .arg(&base)
        .arg(&head)
        .args(["--format", "markdown", "--fail-if", "delta_p95_pct > 5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.starts_with("[//]: <> (billcast)\n"), "{md}");
    assert!(
        md.contains("### billcast: uncertain monthly bill ↑ +"),
        "{md}"
    );
    // The comment speaks of the head report's headline month (its highest P95).
    let head_report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&head).unwrap()).unwrap();
    let month = head_report["headline"]["month"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        md.contains(&format!("| {month} | Base | Head | Change |")),
        "{md}"
    );
    assert!(md.contains("**Cost gate failed:**"), "{md}");
    assert!(
        md.contains(
            "~ routes[0]: test/plain (100.0% of sessions) → test/pricey-output (100.0% of sessions)"
        ),
        "{md}"
    );
    assert!(md.contains("```diff\n"), "{md}");
    let csv = billcast()
        .args(["diff"])
        .arg(&base)
        .arg(&head)
        .args(["--format", "csv"])
        .output()
        .unwrap();
    let csv = String::from_utf8(csv.stdout).unwrap();
    assert!(
        csv.starts_with("month,base_mean,head_mean,delta_mean"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 3);
}

#[test]
fn bad_gate_expressions_exit_2_with_the_valid_variables_and_operators() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "s.toml", UNCERTAIN);
    let base = forecast_json(&dir, &p, "base.json", &[]);
    for (expr, needle) in [
        ("delta_p95_pc > 10", "did you mean `delta_p95_pct`"),
        ("p95 >> 3", "expected a variable or a number"),
        ("p95 => 3", "use =="),
        ("p95", "expected an operator"),
    ] {
        billcast()
            .args(["diff"])
            .arg(&base)
            .arg(&base)
            .args(["--fail-if", expr])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(needle))
            .stderr(predicate::str::contains("Variables: mean, p50"))
            .stderr(predicate::str::contains("Operators: > >= < <= == !="));
    }
    // A variable without a value (no budget in these reports) is a usage error too.
    let q = write(
        &dir,
        "nb.toml",
        &UNCERTAIN.replace("[budget]\nmonthly_usd = 2\n", ""),
    );
    let nb = forecast_json(&dir, &q, "nb.json", &[]);
    billcast()
        .args(["diff"])
        .arg(&nb)
        .arg(&nb)
        .args(["--fail-if", "prob_over_budget > 0.1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no budget"));
    // A month neither report has.
    billcast()
        .args(["diff"])
        .arg(&base)
        .arg(&base)
        .args(["--month", "2031-01"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--month"));
}

/// Fixed sizes, random counts; the bill is proportional to the tokenizer ratio (see
/// tests/data/tokenizer-prices.toml).
const TOK: &str = r#"schema_version = 1
name = "tok"
start_month = "2027-01"
[simulation]
trials = 300
mode = "exact"
[traffic]
sessions_per_month = "50 to 500"
[workload]
system_prompt_tokens = 1000
turns_per_session = { dist = "poisson", mean = 3, offset = 1 }
user_message_tokens = 48
output_tokens = 96
[[routes]]
model = "tok/wide"
"#;

fn tok_compare(models: &str) -> whatif::compare::Comparison {
    let book = PriceBook::load(&[
        PathBuf::from(PRICES),
        PathBuf::from("tests/data/tokenizer-prices.toml"),
    ])
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "tok.toml", TOK);
    let vary = Vary::parse("--vary", &format!("routes.0.model={models}")).unwrap();
    let vs = whatif::load_grid(&path, &[], &[vary], "--vary").unwrap();
    compare(vs, &book, None, &RunOptions::default()).unwrap()
}

#[test]
fn compare_says_when_an_unverified_ratio_can_flip_the_ranking() {
    // tok/wide costs 1.25 X at its assumed ratio (X = the bill at ratio 1.0); tok/ref-115
    // costs 1.15 X. At 1.25 the reference model is cheaper; at the low end of wide's
    // plausible range (1.05) wide is: the ranking flips within the range.
    let c = tok_compare("tok/wide,tok/ref-115");
    let t = c.tokenizer_check.as_ref().expect("a ranking check");
    assert_eq!(t.families.len(), 1);
    assert_eq!(t.families[0].family, "wide-family");
    assert_eq!(t.families[0].range, [1.05, 1.75]);
    assert_eq!(t.order, vec!["tok/ref-115", "tok/wide"]);
    assert!(t.ranking_changes);
    let low = t.cases.iter().find(|k| k.ratios == vec![1.05]).unwrap();
    assert_eq!(low.order, vec!["tok/wide", "tok/ref-115"]);
    // The P95 at 1.05 is the P95 at 1.25 × 1.05/1.25 (the bill is proportional to the
    // ratio); the reference model does not move.
    let wide = c.variants[0].summary.p95;
    assert!((low.p95[0] - wide * 1.05 / 1.25).abs() < 1e-9 * wide);
    assert_eq!(low.p95[1], c.variants[1].summary.p95);
    assert!(
        t.sentence().contains("can change the ranking"),
        "{}",
        t.sentence()
    );
    // The variant with the unverified ratio carries its effect for the compared month.
    assert_eq!(c.variants[0].tokenizer.len(), 1);
    assert!(c.variants[1].tokenizer.is_empty());
    let render = |f| {
        billcast::export::render(
            billcast::results::Body::Compare(std::borrow::Cow::Borrowed(&c)),
            f,
        )
        .unwrap()
    };
    let table = render(billcast::export::Format::Table);
    assert!(table.contains("can change the ranking by P95"), "{table}");
    assert!(
        table.contains("tokenizer ratio 1.25 is unverified"),
        "{table}"
    );
    let md = render(billcast::export::Format::Markdown);
    assert!(md.contains("can change the ranking by P95"), "{md}");
}

#[test]
fn compare_says_when_the_ranking_holds_over_the_plausible_range() {
    // tok/ref-200 costs 2 X, above wide's 1.75 X at the top of its range.
    let c = tok_compare("tok/wide,tok/ref-200");
    let t = c.tokenizer_check.as_ref().expect("a ranking check");
    assert!(!t.ranking_changes);
    assert_eq!(t.cases.len(), 2);
    assert!(
        t.sentence().contains("holds across their plausible ranges"),
        "{}",
        t.sentence()
    );
    // A measured ratio needs no check.
    let c = tok_compare("tok/measured,tok/ref-115");
    assert!(c.tokenizer_check.is_none());
    assert!(c.variants.iter().all(|v| v.tokenizer.is_empty()));
}

// Reuse (issue 22): variants that simulate the same sessions share one simulation. Each rule is
// checked against the re-simulating path (`resimulate: true`, every run on its own): the JSON
// of the result must be byte-identical, only the note saying what was shared differs.

/// `UNCERTAIN` with enough users that a fast-mode month is a sum of hundreds of sessions.
fn fast_scenario(dir: &tempfile::TempDir) -> PathBuf {
    write(
        dir,
        "fast.toml",
        &UNCERTAIN
            .replace("\"20 to 120\"", "\"2000 to 12000\"")
            .replace("monthly_usd = 2", "monthly_usd = 300"),
    )
}

fn json<T: serde::Serialize>(x: &T) -> String {
    serde_json::to_string_pretty(x).expect("serialises")
}

fn compare_both(
    vs: Vec<whatif::Variant>,
    mode: Option<billcast::scenario::Mode>,
) -> (whatif::compare::Comparison, whatif::compare::Comparison) {
    let run = |resimulate| {
        let opts = RunOptions {
            mode,
            resimulate,
            ..Default::default()
        };
        compare(vs.clone(), &book(), None, &opts).unwrap()
    };
    let (shared, mut alone) = (run(false), run(true));
    assert_eq!(alone.reuse, None, "the re-simulating path shares nothing");
    let mut s = shared.clone();
    s.reuse = None;
    alone.reuse = None;
    assert_eq!(json(&s), json(&alone), "sharing must not change a byte");
    (shared, alone)
}

#[test]
fn compare_reprices_variants_on_the_same_tokenizer_and_resimulates_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "s.toml", UNCERTAIN);
    // plain and pricey-output differ only in prices; a tokenizer ratio changes every size.
    let vary = Vary::parse("--vary", "routes.0.model=test/plain,test/pricey-output").unwrap();
    let ratio = Vary::parse("--vary", "routes.0.tokenizer_ratio=1.0,1.3").unwrap();
    let vs = whatif::load_grid(&p, &[], &[ratio, vary], "--vary").unwrap();
    assert_eq!(vs.len(), 4);
    for mode in [
        billcast::scenario::Mode::Exact,
        billcast::scenario::Mode::Fast,
    ] {
        let (shared, _) = compare_both(vs.clone(), Some(mode));
        let note = shared.reuse.clone().expect("two variants share");
        let verb = if mode == billcast::scenario::Mode::Exact {
            "2 repriced"
        } else {
            "2 aggregated"
        };
        assert!(
            note.starts_with("4 engine runs from 2 simulations") && note.contains(verb),
            "{mode:?}: {note}"
        );
        // Every text format says what was shared, not the JSON alone.
        for format in [
            billcast::export::Format::Table,
            billcast::export::Format::Markdown,
        ] {
            let body = billcast::results::Body::Compare(std::borrow::Cow::Borrowed(&shared));
            let text = billcast::export::render(body, format).unwrap();
            assert!(
                text.contains(&note),
                "{format:?} lacks the reuse note:\n{text}"
            );
        }
        // The shared variants really differ: a doubled output price doubles that component
        // (exactly in exact mode; fast mode attributes each month's draw to components in
        // proportion to their means, so there it only grows).
        let (a, b) = (
            &shared.variants[0].summary.components,
            &shared.variants[1].summary.components,
        );
        assert!(a.output > 0.0);
        if mode == billcast::scenario::Mode::Exact {
            assert_eq!(b.output, 2.0 * a.output);
        } else {
            assert!(b.output > 1.5 * a.output, "{} vs {}", b.output, a.output);
        }
    }
}

#[test]
fn fast_mode_volume_changes_reaggregate_from_one_pilot_byte_identically() {
    let dir = tempfile::tempdir().unwrap();
    let p = fast_scenario(&dir);
    let fast = Some(billcast::scenario::Mode::Fast);
    // sweep: users, growth and cohort-free seasonality-free volume keys.
    for (key, values) in [
        ("traffic.monthly_active_users", "3000,6000,12000"),
        ("traffic.monthly_growth", "0.0,0.1,0.3"),
        ("traffic.sessions_per_user", "1,2,4"),
    ] {
        let run = |resimulate| {
            let opts = RunOptions {
                mode: fast,
                resimulate,
                ..Default::default()
            };
            let values = whatif::split_values(values);
            whatif::sweep::sweep(&p, &[], key, values, &book(), None, &opts).unwrap()
        };
        let (mut shared, alone) = (run(false), run(true));
        let note = shared.reuse.take().expect("one pilot serves every value");
        assert!(
            note.starts_with("3 engine runs from 1 simulation"),
            "{key}: {note}"
        );
        assert_eq!(alone.reuse, None);
        assert_eq!(json(&shared), json(&alone), "{key}");
        assert!(shared.points[2].summary.mean > shared.points[0].summary.mean);
    }
    // solve: every evaluation aggregates from the first value's pilot.
    let mut spec = spec(&p, 300.0);
    spec.mode = fast;
    let mut shared = solve(&spec, &book(), None).unwrap();
    spec.resimulate = true;
    let alone = solve(&spec, &book(), None).unwrap();
    let note = shared.reuse.take().expect("solve shares its pilot");
    assert!(
        note.contains(&format!(
            "{} engine runs from 1 simulation",
            alone.engine_runs
        )),
        "{note}"
    );
    assert!(alone.engine_runs > 5);
    assert_eq!(json(&shared), json(&alone));
}

#[test]
fn sensitivity_shares_pilots_where_pins_leave_the_session_draws_alone() {
    let dir = tempfile::tempdir().unwrap();
    let p = fast_scenario(&dir);
    let s = Scenario::load(&p, &[]).unwrap();
    let run = |resimulate| {
        let opts = SensitivityOptions {
            month: None,
            sobol_trials: 60,
            tornado_trials: 20,
            bootstrap: 20,
            mode: Some(billcast::scenario::Mode::Fast),
            progress: None,
            resimulate,
        };
        sensitivity(&s, &book(), &opts).unwrap()
    };
    let (mut shared, alone) = (run(false), run(true));
    let note = shared.reuse.take().expect("tornado runs share pilots");
    assert_eq!(alone.reuse, None);
    assert_eq!(json(&shared), json(&alone));
    // The cache hit rate shapes sessions: its P10 and P90 tornado runs, matrix B (another
    // seed) and A_B for the hit rate need pilots of their own; so do A (60 trials, more
    // replicates than the 20-trial tornado) — everything else shares.
    let k = uncertain_inputs(&s).len();
    let runs = (2 * k + 1) + (k + 2);
    let simulated = 1 + 2 + 1 + 1 + 1;
    assert!(
        note.starts_with(&format!("{runs} engine runs from {simulated} simulations")),
        "{note}"
    );
}

#[test]
fn changes_the_sessions_read_and_exact_volume_changes_resimulate() {
    let dir = tempfile::tempdir().unwrap();
    let fast_p = fast_scenario(&dir);
    let exact_p = write(&dir, "s.toml", UNCERTAIN);
    for (p, mode, key, values) in [
        // Output length shapes every session.
        (
            &fast_p,
            billcast::scenario::Mode::Fast,
            "workload.output_tokens.median",
            "100,200",
        ),
        // Exact mode: another volume draws other sessions from the month's stream.
        (
            &exact_p,
            billcast::scenario::Mode::Exact,
            "traffic.monthly_active_users",
            "50,100",
        ),
    ] {
        let opts = RunOptions {
            mode: Some(mode),
            ..Default::default()
        };
        let values = whatif::split_values(values);
        let s = whatif::sweep::sweep(p, &[], key, values, &book(), None, &opts).unwrap();
        assert_eq!(s.reuse, None, "{key} in {mode:?} mode must re-simulate");
    }
}
