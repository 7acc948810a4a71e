//! The multi-provider overhead model (issue 7) against closed forms and hand computations:
//! independent outages give the product of downtimes, a common-cause share of 1 makes
//! redundancy worthless, human hours and eval spend are exact for fixed inputs, the
//! break-even is where the mean TCOs cross, `single` carries no second-path overhead, the
//! shipped example reproduces the published anecdote, and bad inputs are rejected by key
//! and line (exit code 2 on the command line). Then the stacked-TCO chart (every strategy,
//! byte-identical across runs, `--chart` by file name) and the design-review pack: `billcast
//! report` adds the overhead section, chart and JSON only for a scenario with `[overhead]`.

use crate::common::*;

use billcast::overhead::{self, BreakEven, OverheadOptions, OverheadRun, TrialDraws, outage};
use billcast::pricing::PriceBook;
use billcast::scenario::overhead::{OverheadSpec, Strategy};
use billcast::scenario::{Scenario, ScenarioError};
use predicates::prelude::*;

/// A fully fixed workload: 100 sessions of 3 turns with one tool round each, priced at
/// $2.58 per month on `test/plain` and $3.18 on `test/pricey-output` (output at $20/M
/// instead of $10/M: 1.98 input + 600 output tokens × 2 × $10/M). See tests/it/engine.rs for
/// the arithmetic of the $2.58.
const BASE: &str = r#"
schema_version = 1
name = "overhead-test"
start_month = "2027-01"
horizon_months = 2
[simulation]
trials = 20
seed = 7
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

fn scenario(overhead: &str, overrides: &[&str]) -> Scenario {
    let text = format!("{BASE}\n{overhead}");
    let o: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    Scenario::from_text("test.toml", &text, None, &o).unwrap_or_else(|e| panic!("{e}"))
}

fn run(s: &Scenario) -> OverheadRun {
    overhead::run(s, &book(), &OverheadOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-12)
}

/// Mean and standard error of per-trial values.
fn mean_se(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
    (m, (var / n).sqrt())
}

/// Simulate outages only (no engine) and return, per trial, the share of time the primary,
/// the secondary and both are down (averaged over `months`).
fn outage_shares(section: &str, trials: u64, months: usize) -> Vec<[f64; 3]> {
    let text = format!("name = \"x\"\n{section}");
    let spec = OverheadSpec::from_scenario_text("t.toml", &text, &[])
        .unwrap_or_else(|e| panic!("{e}"))
        .expect("has [overhead]");
    let hours = months as f64 * 730.0;
    (0..trials)
        .map(|t| {
            let d = TrialDraws::draw(&spec, 99, t).unwrap_or_else(|e| panic!("{e}"));
            let ms = outage::simulate(&d.outages, months, 99, t);
            let sum = |f: fn(&outage::MonthOutage) -> f64| ms.iter().map(f).sum::<f64>() / hours;
            [
                sum(|m| m.primary_down),
                sum(|m| m.secondary_down),
                sum(|m| m.both_down),
            ]
        })
        .collect()
}

#[test]
fn independent_outages_give_the_product_of_downtimes() {
    // Uptimes 0.95 and 0.90 (large enough that joint downtime is measurable), no common
    // cause. Per trial X = share of 12 months both are down; trials are independent streams,
    // so the mean of n = 4,000 trials has standard error sd(X)/√n, estimated from the sample.
    // A 4-SE band has a false-alarm rate ≈ 6e-5 (normal approximation, CLT at n = 4,000).
    let shares = outage_shares(
        "[overhead.providers.primary]\nuptime = 0.95\noutage_hours = { dist = \"lognormal\", median = 2, sigma = 0.8 }\n\
         [overhead.providers.secondary]\nmodel = \"test/plain\"\nuptime = 0.90\noutage_hours = 3\ncommon_cause_share = 0\n",
        4000,
        12,
    );
    let col = |i: usize| shares.iter().map(|s| s[i]).collect::<Vec<_>>();
    let (p, p_se) = mean_se(&col(0));
    let (s, s_se) = mean_se(&col(1));
    let (j, j_se) = mean_se(&col(2));
    let expect = (1.0 - 0.95) * (1.0 - 0.90);
    assert!(j_se < 0.1 * expect, "too noisy to test: SE {j_se}");
    assert!(
        (j - expect).abs() < 4.0 * j_se,
        "joint {j} vs (1-a1)(1-a2) = {expect} (SE {j_se})"
    );
    // The marginals match the uptimes (the rate is solved so that P(down) = 1 − a exactly).
    assert!((p - 0.05).abs() < 4.0 * p_se, "primary down {p} ± {p_se}");
    assert!((s - 0.10).abs() < 4.0 * s_se, "secondary down {s} ± {s_se}");
}

#[test]
fn correlated_outages_match_the_closed_form_and_the_anecdote() {
    // 99.3% each, half the primary's incidents common-cause: the Boolean-model closed form
    // gives q = 1 − e^{−μc} + e^{−μc}(1 − e^{−μp})(1 − e^{−μs}) with μc = μp = μs = −ln(0.993)/2,
    // i.e. ≈ 0.352% joint downtime: availability ≈ 99.65% ("closer to 99.6"), not 99.995%.
    let shares = outage_shares(
        "[overhead.providers.primary]\nuptime = 0.993\n\
         [overhead.providers.secondary]\nmodel = \"test/plain\"\nuptime = 0.993\ncommon_cause_share = 0.5\n",
        4000,
        12,
    );
    let (j, se) = mean_se(&shares.iter().map(|s| s[2]).collect::<Vec<_>>());
    let mu = -(0.993f64.ln()) / 2.0;
    let q = outage::joint_down_share(mu, mu, mu);
    assert!((q - 0.003518).abs() < 1e-5, "closed form {q}");
    assert!(
        (j - q).abs() < 4.0 * se,
        "simulated {j} vs closed form {q} (SE {se})"
    );
    assert!(1.0 - q > 0.996 && 1.0 - q < 0.997);
}

const FIXED_OVERHEAD: &str = r#"
[overhead]
loaded_hourly_usd = 150
downtime_usd_per_hour = 1000
detection_minutes = 0
[overhead.providers.primary]
uptime = 1
[overhead.providers.secondary]
model = "test/pricey-output"
uptime = 1
common_cause_share = 0
[overhead.degraded]
kind = "cached"
coverage = 0.5
build_hours = 120
amortize_months = 12
upkeep_hours_per_month = 5
[overhead.active_active]
secondary_share = 0.5
[overhead.evals]
suite_cases = 100
runs_per_month = 10
input_tokens_per_case = 1000
output_tokens_per_case = 200
wall_time_hours_per_run = 0.5
wall_time_multiplier = 3
[overhead.people]
prompt_changes_per_month = 10
hours_per_prompt_change = 2
calibration_hours_per_month = 20
reconciliation_hours_per_week = 3
config_drift_probability = 1
config_drift_hours = 4
on_call_hours_per_incident = 1.5
[overhead.redundancy_decay]
pinned_share_start = 0
pinned_share_end = 0.5
ramp_months = 6
"#;

#[test]
fn human_hours_evals_and_tokens_are_exact_for_fixed_inputs() {
    let r = run(&scenario(FIXED_OVERHEAD, &[])).report;
    let get = |s: Strategy| r.strategy(s).expect("strategy present");
    // Pinned share at the middle of month m: 0.5 × (m + 0.5)/6 → 1/24 and 3/24; mean 1/12.
    // Prompt hours: 10 changes × 2 h × (1 − pinned) → mean 20 × 11/12 = 18.3333 h.
    // Calibration 20 h; reconciliation 3 h/week × 730/168 weeks = 13.0357 h; config drift
    // p = 1 × 4 h; on-call: no incidents at uptime 1. Total 55.369048 h × $150.
    let f = get(Strategy::Failover);
    let prompt = 20.0 * 11.0 / 12.0;
    let recon = 3.0 * 730.0 / 168.0;
    let hours = prompt + 20.0 + recon + 4.0;
    assert!(
        close(f.people_hours.prompt, prompt, 1e-12),
        "{:?}",
        f.people_hours
    );
    assert!(close(f.people_hours.reconciliation, recon, 1e-12));
    assert_eq!(f.people_hours.on_call, 0.0);
    assert!(close(f.people_hours.total(), hours, 1e-12));
    assert!(
        close(f.parts.people, hours * 150.0, 1e-12),
        "{}",
        f.parts.people
    );
    assert!(close(f.parts.people, 8305.357142857143, 1e-12));
    // Evals per path: 100 cases × 10 runs × (1,000 × $2/M + 200 × output price): $4 on
    // test/plain ($10/M output), $6 on test/pricey-output ($20/M).
    assert!(close(get(Strategy::Single).parts.evals, 4.0, 1e-12));
    assert!(close(f.parts.evals, 10.0, 1e-12));
    assert!(close(f.eval_wall_hours, 10.0 * 0.5 * 3.0, 1e-12));
    // Tokens with no outages: failover = the primary's bill; active-active puts
    // 0.5 × (1 − pinned) on the secondary: 2.58 + (3.18 − 2.58) × 0.5 × 11/12 = 2.855.
    assert!(close(f.parts.tokens, 2.58, 1e-9), "{}", f.parts.tokens);
    let aa = get(Strategy::ActiveActive);
    assert!(close(aa.parts.tokens, 2.855, 1e-9), "{}", aa.parts.tokens);
    assert!(close(aa.people_hours.total(), hours, 1e-12));
    // Degraded: 120 h / 12 months + 5 h upkeep = 15 h × $150 = $2,250.
    let d = get(Strategy::Degraded);
    assert!(close(d.people_hours.total(), 15.0, 1e-12));
    assert!(close(d.parts.people, 2250.0, 1e-12));
    // No outages: availability 1, no downtime cost anywhere.
    for s in &r.strategies {
        assert_eq!(s.unavailable_hours.mean, 0.0);
        assert_eq!(s.parts.downtime, 0.0);
    }
    // The multiplier is computed from those terms: (2.58 + 10 + 8,305.36) / 2.58.
    assert!(close(
        f.spend_multiplier,
        (2.58 + 10.0 + hours * 150.0) / 2.58,
        1e-9
    ));
}

#[test]
fn on_call_hours_follow_the_simulated_incidents() {
    let r = run(&scenario(
        FIXED_OVERHEAD,
        &[
            "overhead.providers.primary.uptime=0.99",
            "overhead.providers.secondary.uptime=0.99",
        ],
    ))
    .report;
    for st in [Strategy::Failover, Strategy::ActiveActive] {
        let s = r.strategy(st).expect("present");
        assert!(s.incidents_per_month > 0.0);
        assert!(close(
            s.people_hours.on_call,
            1.5 * s.incidents_per_month,
            1e-12
        ));
    }
}

#[test]
fn single_has_no_second_path_overhead() {
    let r = run(&scenario(
        FIXED_OVERHEAD,
        &[
            "overhead.providers.primary.uptime=0.99",
            "overhead.providers.secondary.uptime=0.99",
        ],
    ))
    .report;
    let s = r.strategy(Strategy::Single).expect("single");
    assert_eq!(s.people_hours.total(), 0.0);
    assert_eq!(s.parts.people, 0.0);
    assert_eq!(s.secondary_tokens, 0.0);
    assert_eq!(s.incidents_per_month, 0.0);
    assert!(close(s.parts.evals, 4.0, 1e-12), "primary path only");
    assert!(
        close(s.eval_wall_hours, 5.0, 1e-12),
        "no wall-time multiplier"
    );
    assert!(s.break_even.is_none());
    // Its unavailability is the primary's: with tokens billed only while served.
    assert!(s.unavailable_hours.mean > 0.0);
    assert!(close(
        s.parts.tokens,
        2.58 * (1.0 - s.unavailable_hours.mean / 730.0),
        1e-9
    ));
}

#[test]
fn common_cause_share_one_means_redundancy_buys_nothing() {
    let r = run(&scenario(
        FIXED_OVERHEAD,
        &[
            "simulation.trials=300",
            "overhead.providers.primary.uptime=0.98",
            "overhead.providers.secondary.uptime=0.98",
            "overhead.providers.secondary.common_cause_share=1",
        ],
    ));
    let single = r.report.strategy(Strategy::Single).expect("single");
    assert!(single.unavailable_hours.mean > 5.0, "outages happen");
    for st in [Strategy::Failover, Strategy::ActiveActive] {
        let s = r.report.strategy(st).expect("present");
        assert!(
            close(
                s.unavailable_hours.mean,
                single.unavailable_hours.mean,
                1e-9
            ),
            "{st}: {} vs {}",
            s.unavailable_hours.mean,
            single.unavailable_hours.mean
        );
        assert!(close(s.availability, single.availability, 1e-9));
        assert_eq!(s.break_even, Some(BreakEven::Never), "{st}");
    }
    // Trial by trial, not just on average.
    let fi = r
        .strategies
        .iter()
        .position(|s| *s == Strategy::Failover)
        .expect("failover");
    for t in &r.trial_ledgers {
        assert!(close(t[fi].unavailable_hours, t[0].unavailable_hours, 1e-9));
    }
    let a = r.report.availability_steps.expect("steps");
    assert!(close(a.with_common_cause, a.single, 1e-9), "{a:?}");
}

#[test]
fn break_even_is_where_the_mean_tcos_cross() {
    // Uncertain inputs everywhere (the defaults) but a fixed downtime cost, so both sides can
    // be evaluated by re-running with the break-even written into the scenario.
    let section = r#"
[overhead]
downtime_usd_per_hour = 500
[overhead.providers.primary]
uptime = 0.99
[overhead.providers.secondary]
model = "test/pricey-output"
uptime = 0.99
[overhead.degraded]
"#;
    let s = scenario(section, &["simulation.trials=400"]);
    let r = run(&s);
    let mut checked = 0;
    for st in [
        Strategy::Degraded,
        Strategy::Failover,
        Strategy::ActiveActive,
    ] {
        let rep = r.report.strategy(st).expect("present");
        let Some(BreakEven::Above { usd_per_hour: c }) = rep.break_even else {
            panic!(
                "{st}: expected a break-even above some cost, got {:?}",
                rep.break_even
            );
        };
        // Evaluate both sides at c from the stored per-trial ledgers…
        let a = r.mean_tco_at(st, c).expect("strategy");
        let b = r.mean_tco_at(Strategy::Single, c).expect("single");
        assert!(close(a, b, 1e-9), "{st} at {c}: {a} vs {b}");
        // …and the crossing is a crossing: cheaper above, dearer below.
        assert!(r.mean_tco_at(st, c * 1.1) < r.mean_tco_at(Strategy::Single, c * 1.1));
        assert!(r.mean_tco_at(st, c * 0.9) > r.mean_tco_at(Strategy::Single, c * 0.9));
        // …and by re-running the whole model with that downtime cost (same seed, same worlds).
        let s2 = scenario(
            section,
            &[
                "simulation.trials=400",
                &format!("overhead.downtime_usd_per_hour={c}"),
            ],
        );
        let r2 = run(&s2).report;
        let x = r2.strategy(st).expect("present").tco.mean;
        let y = r2.strategy(Strategy::Single).expect("single").tco.mean;
        assert!(close(x, y, 1e-9), "{st} re-run at {c}: {x} vs {y}");
        checked += 1;
    }
    assert_eq!(checked, 3);
}

#[test]
fn the_multiplier_shrinks_as_token_spend_grows() {
    // Human hours are fixed: ten times the traffic gives a smaller multiplier.
    let small = run(&scenario(FIXED_OVERHEAD, &[])).report;
    let big = run(&scenario(
        FIXED_OVERHEAD,
        &[
            "traffic.sessions_per_month=1000000",
            "simulation.mode=\"fast\"",
        ],
    ))
    .report;
    let m = |r: &overhead::OverheadReport| {
        r.strategy(Strategy::Failover)
            .expect("failover")
            .spend_multiplier
    };
    assert!(m(&big) < m(&small) / 5.0, "{} vs {}", m(&big), m(&small));
}

#[test]
fn results_do_not_depend_on_threads() {
    let s = scenario(
        FIXED_OVERHEAD,
        &[
            "simulation.trials=600",
            "overhead.providers.primary.uptime=0.99",
            "overhead.providers.secondary.uptime=\"0.98 to 0.999\"",
            "overhead.people.prompt_changes_per_month=\"4 to 20\"",
        ],
    );
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool")
        .install(|| run(&s).report.to_json().expect("json"));
    let two = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("pool")
        .install(|| run(&s).report.to_json().expect("json"));
    assert_eq!(one, two);
}

#[test]
fn the_example_reproduces_the_published_anecdote() {
    // scenarios/multi-provider.toml with fewer trials: 99.3% per provider, naive 2×, about
    // 4–5× once people are counted, ≈ 99.6% combined availability with correlation.
    let s = Scenario::load(
        "scenarios/multi-provider.toml".as_ref(),
        &["simulation.trials=300".to_string()],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let r = overhead::run(
        &s,
        &PriceBook::bundled().expect("bundled prices"),
        &OverheadOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
    .report;
    assert!(close(r.naive_two_x, 2.0 * r.single_token_spend, 1e-12));
    let f = r.strategy(Strategy::Failover).expect("failover");
    assert!(
        (4.0..=5.2).contains(&f.spend_multiplier),
        "failover spend multiplier {}",
        f.spend_multiplier
    );
    let a = r.availability_steps.expect("steps");
    assert!((a.single - 0.993).abs() < 1e-12);
    assert!(a.independent > 0.9999, "{a:?}");
    assert!(
        a.with_common_cause > 0.995 && a.with_common_cause < 0.9975,
        "{a:?}"
    );
    assert!(a.with_detection < a.simulated_either_up);
    assert!(a.with_redundancy_decay < a.with_detection);
}

#[test]
fn bad_inputs_name_the_key_and_line() {
    let err = |section: &str| -> ScenarioError {
        let text = format!("{BASE}\n{section}");
        match Scenario::from_text("bad.toml", &text, None, &[]) {
            Ok(_) => panic!("accepted:\n{section}"),
            Err(e) => e,
        }
    };
    let base_lines = BASE.lines().count() + 1;
    let e = err("[overhead.providers.primary]\nuptime = 1.5\n");
    let ScenarioError::Invalid {
        key, line, message, ..
    } = &e
    else {
        panic!("{e}")
    };
    assert_eq!(key, "overhead.providers.primary.uptime");
    assert_eq!(*line, Some(base_lines + 2));
    assert!(message.contains("(0, 1]"), "{message}");
    let e = err("[overhead.providers.secondary]\nmodel = \"a/b\"\nuptime = 0\n").to_string();
    assert!(
        e.contains("overhead.providers.secondary.uptime") && e.contains("(0, 1]"),
        "{e}"
    );
    let e = err("[overhead.people]\nconfig_drift_hours = -2\n").to_string();
    assert!(
        e.contains("overhead.people.config_drift_hours") && e.contains("≥ 0"),
        "{e}"
    );
    // A range is parsed before the key is known: the line and its text name it.
    let e = err("[overhead.degraded]\nbuild_hours = \"-5 to 10\"\n").to_string();
    assert!(
        e.contains("build_hours") && e.contains(&format!("line {}", base_lines + 2)),
        "{e}"
    );
    let e = err("[overhead.degraded]\nbuild_hours = { dist = \"normal\", mean = 5, sd = 10 }\n")
        .to_string();
    assert!(e.contains("overhead.degraded.build_hours"), "{e}");
    let e = err("[overhead]\nstrategies = [\"single\", \"hot-standby\"]\n").to_string();
    assert!(e.contains("unknown strategy 'hot-standby'"), "{e}");
    assert!(
        e.contains("single, degraded, failover or active-active"),
        "{e}"
    );
    let e = err("[overhead.degraded]\nkind = \"magic\"\n").to_string();
    assert!(e.contains("overhead.degraded.kind"), "{e}");
    let e = err("[overhead.people]\non_call_hours = 1\n").to_string();
    assert!(
        e.contains("did you mean `on_call_hours_per_incident`"),
        "{e}"
    );
    let e = err("[overhead.providers.primary]\nuptime = 0.99\noutages_per_month = 3\n").to_string();
    assert!(e.contains("either uptime or outages_per_month"), "{e}");
}

fn cli(section: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("s.toml");
    std::fs::write(&p, format!("{BASE}\n{section}")).expect("write");
    billcast()
        .arg("overhead")
        .arg(&p)
        .args(["--pricing", "tests/data/flat-prices.toml", "-q"])
        .args(extra)
        .assert()
}

#[test]
fn cli_prints_every_strategy_and_the_break_even() {
    cli(
        FIXED_OVERHEAD,
        &["--set", "overhead.providers.primary.uptime=0.99"],
    )
    .success()
    .stdout(predicate::str::contains("Naive \"2× budget\""))
    .stdout(predicate::str::contains("active-active"))
    .stdout(predicate::str::contains("Break-even"))
    .stdout(predicate::str::contains("Human hours per month"));
}

#[test]
fn cli_writes_json_csv_and_markdown() {
    let out = cli(FIXED_OVERHEAD, &["--format", "json"]).success();
    let json: serde_json::Value =
        serde_json::from_slice(&out.get_output().stdout).expect("valid JSON");
    assert_eq!(json["kind"], "overhead");
    assert_eq!(json["strategies"][0]["strategy"], "single");
    assert_eq!(json["strategies"][2]["strategy"], "failover");
    // A saved report re-renders without re-simulating. (Compared as rendered tables: serde_json
    // without its `float_roundtrip` feature may read a float back 1 ulp off.)
    let text = String::from_utf8(out.get_output().stdout.clone()).expect("utf-8");
    let back = overhead::OverheadReport::from_json("o.json", &text).expect("reads back");
    let table = cli(FIXED_OVERHEAD, &[])
        .success()
        .get_output()
        .stdout
        .clone();
    let body = |t: &str| t.lines().skip(1).collect::<Vec<_>>().join("\n"); // line 1: temp path
    assert_eq!(
        body(
            &billcast::export::render(
                billcast::results::Body::Overhead(std::borrow::Cow::Borrowed(&back)),
                billcast::export::Format::Table
            )
            .unwrap()
        ),
        body(&String::from_utf8(table).expect("utf-8"))
    );
    assert!(overhead::OverheadReport::from_json("x.json", "{\"kind\": \"forecast\"}").is_err());
    cli(FIXED_OVERHEAD, &["--format", "csv"])
        .success()
        .stdout(predicate::str::starts_with("strategy,month,tco_mean"))
        .stdout(predicate::str::contains("failover,2027-02,"));
    cli(FIXED_OVERHEAD, &["--format", "markdown"])
        .success()
        .stdout(predicate::str::contains("### billcast overhead"))
        .stdout(predicate::str::contains("| single |"));
}

#[test]
fn cli_bad_inputs_exit_2_with_the_key() {
    cli("[overhead.providers.primary]\nuptime = 1.2\n", &[])
        .code(2)
        .stderr(predicate::str::contains(
            "overhead.providers.primary.uptime",
        ))
        .stderr(predicate::str::contains("(0, 1]"));
    cli("[overhead.people]\ncalibration_hours_per_month = -1\n", &[])
        .code(2)
        .stderr(predicate::str::contains("calibration_hours_per_month"));
    cli("[overhead]\nstrategies = [\"single\", \"bogus\"]\n", &[])
        .code(2)
        .stderr(predicate::str::contains("unknown strategy 'bogus'"));
    cli("", &[])
        .code(2)
        .stderr(predicate::str::contains("no [overhead] section"));
    cli(
        "[overhead.providers.secondary]\nmodel = \"test/nope\"\n",
        &[],
    )
    .code(2)
    .stderr(predicate::str::contains(
        "overhead.providers.secondary.model",
    ))
    .stderr(predicate::str::contains("unknown model"));
}

// ---------------------------------------------------------------------------------------------
// The chart and the design-review pack.

/// scenarios/multi-provider.toml with 300 trials, simulated afresh.
fn example_report() -> overhead::OverheadReport {
    let s = Scenario::load(
        "scenarios/multi-provider.toml".as_ref(),
        &["simulation.trials=300".to_string()],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    overhead::run(
        &s,
        &PriceBook::bundled().expect("bundled prices"),
        &OverheadOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
    .report
}

const STRATEGIES: [&str; 4] = ["single", "degraded", "failover", "active-active"];

fn assert_good_overhead_svg(svg: &str, what: &str) {
    assert!(svg.starts_with("<svg"), "{what}: not an SVG");
    assert!(svg.trim_end().ends_with("</svg>"), "{what}: truncated");
    for t in [
        "Monthly cost of ownership per strategy",
        "Monthly TCO (USD)",
        "TCO P50–P95",
        "naive 2× budget",
        "× spend",
    ] {
        assert!(svg.contains(t), "{what}: SVG lacks {t:?}");
    }
    for s in STRATEGIES {
        assert!(
            svg.contains(&format!(">\n{s}\n<")),
            "{what}: no bar for {s}"
        );
    }
    // plotters-rs/plotters#300: negative rectangle sizes draw nothing in browsers.
    assert!(!svg.contains("width=\"-"), "{what}: negative width");
    assert!(!svg.contains("height=\"-"), "{what}: negative height");
    assert!(!svg.contains("NaN"), "{what}: NaN coordinates");
    assert!(
        svg.contains("font-family:'DejaVu Sans'"),
        "{what}: font rule"
    );
}

#[test]
fn the_chart_has_every_strategy_and_is_byte_identical_across_runs() {
    use billcast::charts::{ChartError, ChartFormat, overhead::tco};
    let r = example_report();
    let svg = tco(&r, ChartFormat::Svg).expect("draws");
    let text = String::from_utf8(svg.clone()).expect("SVG is UTF-8");
    assert_good_overhead_svg(&text, "multi-provider");
    // Each bar carries its spend multiple of single-provider tokens.
    for st in &r.strategies {
        let label = format!("{:.1}× spend", st.spend_multiplier);
        assert!(text.contains(&label), "{label}");
    }
    // A second simulation with the same seed draws the same bytes, SVG and PNG.
    let again = example_report();
    assert_eq!(svg, tco(&again, ChartFormat::Svg).expect("draws"));
    let png = tco(&r, ChartFormat::Png).expect("draws a PNG");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    assert_eq!((be(&png[16..20]), be(&png[20..24])), (1200, 675));
    assert_eq!(png, tco(&again, ChartFormat::Png).expect("draws a PNG"));

    // Degenerate numbers still draw; no strategies is a typed error.
    let mut odd = r.clone();
    for st in &mut odd.strategies {
        st.tco.p95 = f64::NAN;
        st.parts.downtime = f64::INFINITY;
        st.spend_multiplier = f64::NAN;
    }
    odd.naive_two_x = 0.0;
    let svg = String::from_utf8(tco(&odd, ChartFormat::Svg).expect("draws")).expect("UTF-8");
    assert!(!svg.contains("NaN") && !svg.contains("width=\"-"));
    odd.strategies.clear();
    assert!(matches!(
        tco(&odd, ChartFormat::Svg),
        Err(ChartError::NoData {
            chart: "overhead",
            ..
        })
    ));
}

#[test]
fn cli_chart_writes_svg_or_png_by_file_name_and_checks_it_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let svg = dir.path().join("tco.svg");
    cli(
        FIXED_OVERHEAD,
        &["--chart", svg.to_str().expect("utf-8 path")],
    )
    .success()
    .stdout(predicate::str::contains("active-active"));
    let text = std::fs::read_to_string(&svg).expect("chart written");
    assert_good_overhead_svg(&text, "--chart x.svg");
    let png = dir.path().join("tco.PNG");
    cli(
        FIXED_OVERHEAD,
        &["--chart", png.to_str().expect("utf-8 path")],
    )
    .success();
    assert_eq!(
        &std::fs::read(&png).expect("chart written")[..8],
        b"\x89PNG\r\n\x1a\n"
    );
    let jpg = dir.path().join("tco.jpg");
    cli(
        FIXED_OVERHEAD,
        &["--chart", jpg.to_str().expect("utf-8 path")],
    )
    .code(2)
    .stderr(predicate::str::contains("name the file .svg or .png"));
    assert!(!jpg.exists());
    let missing = dir.path().join("no-such-folder/tco.svg");
    cli(
        FIXED_OVERHEAD,
        &["--chart", missing.to_str().expect("utf-8 path")],
    )
    .code(2)
    .stderr(predicate::str::contains("does not exist"));
}

const PACK_HEADING: &str = "Operational overhead of a second provider";

fn report_pack(scenario: &str, dir: &std::path::Path) {
    billcast()
        .args(["report", scenario, "-n", "300", "-q", "-o"])
        .arg(dir)
        .assert()
        .success();
}

#[test]
fn report_of_a_multi_provider_scenario_has_the_overhead_section() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pack = dir.path().join("pack");
    report_pack("scenarios/multi-provider.toml", &pack);

    let svg = std::fs::read_to_string(pack.join("overhead.svg")).expect("overhead.svg");
    assert_good_overhead_svg(&svg, "pack overhead.svg");
    let json = std::fs::read_to_string(pack.join("overhead.json")).expect("overhead.json");
    let o = overhead::OverheadReport::from_json("overhead.json", &json).expect("reads back");
    let forecast = std::fs::read_to_string(pack.join("forecast.json")).expect("forecast.json");
    let f = billcast::report::Report::from_json("forecast.json", &forecast).expect("reads back");
    assert_eq!(
        (o.seed, o.trials),
        (f.seed, f.trials),
        "same run as the forecast"
    );
    assert_eq!(o.trials, 300);

    let md = std::fs::read_to_string(pack.join("report.md")).expect("report.md");
    assert!(md.contains(&format!("### {PACK_HEADING}")), "md heading");
    assert!(md.contains("](overhead.svg)"), "md links the chart");
    assert!(md.contains("](fan.svg)"), "md keeps the forecast charts");
    for s in STRATEGIES {
        assert!(md.contains(&format!("| {s} |")), "md row {s}");
    }

    let html = std::fs::read_to_string(pack.join("report.html")).expect("report.html");
    assert!(html.contains("<section id=\"overhead\">"));
    assert!(html.contains(&format!("<h2>{PACK_HEADING}</h2>")));
    assert!(html.contains("href=\"#overhead\""), "table of contents");
    assert!(html.contains("id=\"chart-overhead\""));
    assert_eq!(
        html.matches("<svg ").count(),
        6,
        "five forecast charts + overhead"
    );
    for s in STRATEGIES {
        assert!(html.contains(&format!("<tr><td>{s}</td>")), "html row {s}");
    }
    for col in ["Availability", "Down h/mo", "Spend ×", "Break-even", "P95"] {
        assert!(html.contains(&format!(">{col}</th>")), "html column {col}");
    }
    assert_self_contained(&html);

    // `render --overhead` re-renders the pack byte for byte; without it, the forecast alone.
    let again = dir.path().join("again");
    billcast()
        .arg("render")
        .arg(pack.join("forecast.json"))
        .arg("--overhead")
        .arg(pack.join("overhead.json"))
        .args(["--format", "markdown", "-o"])
        .arg(again.join("report.md"))
        .arg("--charts")
        .arg(&again)
        .assert()
        .success();
    for file in ["report.md", "overhead.svg"] {
        assert!(
            std::fs::read(pack.join(file)).expect("pack file")
                == std::fs::read(again.join(file)).expect("rendered file"),
            "render --overhead reproduces {file}"
        );
    }
    let rendered = billcast()
        .arg("render")
        .arg(pack.join("forecast.json"))
        .arg("--overhead")
        .arg(pack.join("overhead.json"))
        .args(["--format", "html"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(
        rendered == html.as_bytes(),
        "render --overhead reproduces report.html"
    );
    billcast()
        .arg("render")
        .arg(pack.join("forecast.json"))
        .args(["--format", "html"])
        .assert()
        .success()
        .stdout(predicate::str::contains(PACK_HEADING).not());
    // Only with HTML or Markdown, and only the overhead of the same run.
    billcast()
        .arg("render")
        .arg(pack.join("forecast.json"))
        .arg("--overhead")
        .arg(pack.join("overhead.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--format html or markdown"));
    let other = dir.path().join("other.json");
    billcast()
        .args([
            "overhead",
            "scenarios/multi-provider.toml",
            "-n",
            "200",
            "-q",
        ])
        .args(["--format", "json", "-o"])
        .arg(&other)
        .assert()
        .success();
    billcast()
        .arg("render")
        .arg(pack.join("forecast.json"))
        .arg("--overhead")
        .arg(&other)
        .args(["--format", "html"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "not the overhead of this forecast",
        ));
}

#[test]
fn report_of_a_scenario_without_overhead_has_no_overhead_section() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pack = dir.path().join("pack");
    report_pack("scenarios/support-bot.toml", &pack);
    let mut files: Vec<String> = std::fs::read_dir(&pack)
        .expect("pack folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "breakdown.svg",
            "distribution.svg",
            "exceedance.svg",
            "fan.svg",
            "forecast.json",
            "naive.svg",
            "report.html",
            "report.md"
        ]
    );
    let md = std::fs::read_to_string(pack.join("report.md")).expect("report.md");
    assert!(!md.contains(PACK_HEADING));
    assert!(!md.contains("overhead.svg"));
    let html = std::fs::read_to_string(pack.join("report.html")).expect("report.html");
    assert!(!html.contains(PACK_HEADING));
    assert!(!html.contains("id=\"overhead\""));
    assert!(!html.contains("href=\"#overhead\""));
    assert_eq!(html.matches("<svg ").count(), 5);
}
