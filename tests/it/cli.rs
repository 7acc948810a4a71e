//! The command line, end to end: every command, and each bad input with its exit code and a
//! message that names the file, key or line and says what to do.

use crate::common::*;

use predicates::prelude::*;

/// Saves a 20-trial forecast of `scenario` (flat test prices) as JSON to `dir/f.json`.
fn save_forecast(dir: &tempfile::TempDir, scenario: &std::path::Path) -> std::path::PathBuf {
    let saved = dir.path().join("f.json");
    billcast()
        .arg("forecast")
        .arg(scenario)
        .args(["--pricing", "tests/data/flat-prices.toml", "-q", "-n", "20"])
        .args(["--format", "json", "-o"])
        .arg(&saved)
        .assert()
        .success();
    saved
}

fn forecast_err(text: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "s.toml", text);
    billcast()
        .arg("forecast")
        .arg(&p)
        .args(["--pricing", "tests/data/flat-prices.toml", "-q"])
        .args(extra)
        .assert()
}

#[test]
fn forecast_prints_a_table_with_percentiles_and_breakdown() {
    forecast_err(SMALL, &[])
        .success()
        .stdout(predicate::str::contains("P95 monthly bill in"))
        .stdout(predicate::str::contains("Where the money goes"))
        .stdout(predicate::str::contains("Naive estimate"))
        .stdout(predicate::str::contains("2027-02"));
}

#[test]
fn forecast_json_has_the_contract_fields() {
    let out = forecast_err(SMALL, &["--format", "json", "-o", "-"])
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    for k in [
        "schema_version",
        "seed",
        "trials",
        "mode",
        "currency",
        "months",
        "naive_estimate",
        "warnings",
        "scenario",
        "pricing",
    ] {
        assert!(v.get(k).is_some(), "missing {k}");
    }
    let m = &v["months"][0];
    assert_eq!(m["month"], "2027-01");
    for k in [
        "mean",
        "p5",
        "p50",
        "p90",
        "p95",
        "p99",
        "prob_over_budget",
        "components",
        "routes",
    ] {
        assert!(m.get(k).is_some(), "missing months[].{k}");
    }
    for k in [
        "input",
        "cache_read",
        "cache_write",
        "output",
        "reasoning",
        "tool_fees",
        "retries",
    ] {
        assert!(m["components"].get(k).is_some(), "missing component {k}");
    }
    assert!(v["naive_estimate"]["monthly_usd"].as_f64().unwrap() > 0.0);
    assert!(v["scenario"]["sha256"].as_str().unwrap().len() == 64);
}

#[test]
fn forecast_csv_and_markdown_render() {
    forecast_err(SMALL, &["--format", "csv"])
        .success()
        .stdout(predicate::str::starts_with("month,mean,sd,p5"));
    forecast_err(SMALL, &["--format", "markdown"])
        .success()
        .stdout(predicate::str::contains("| Month |"));
}

// ---- What the user sees (issue 17, items 6–8): every headline number names its month in
// every format, an older saved report still renders, what drives the spread is shown with
// defaults flagged, and an unverified tokenizer ratio is shown and warned about. ----

/// Two months, +50% growth: the headline month (highest P95) is the second, 2027-02.
const GROWING: &str = r#"schema_version = 1
name = "growing"
start_month = "2027-01"
horizon_months = 2
[simulation]
trials = 200
mode = "exact"
[traffic]
sessions_per_month = "100 to 300"
monthly_growth = 0.5
[workload]
system_prompt_tokens = 500
turns_per_session = { dist = "poisson", mean = 2, offset = 1 }
user_message_tokens = { dist = "lognormal", median = 40, sigma = 0.7 }
output_tokens = { dist = "lognormal", median = 120, sigma = 0.6 }
[[routes]]
model = "test/plain"
[budget]
monthly_usd = 5
"#;

fn forecast_growing(dir: &tempfile::TempDir, format: &str) -> String {
    let p = dir.path().join("growing.toml");
    std::fs::write(&p, GROWING).unwrap();
    let out = billcast()
        .arg("forecast")
        .arg(&p)
        .args([
            "--pricing",
            "tests/data/flat-prices.toml",
            "-q",
            "--format",
            format,
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).unwrap()
}

#[test]
fn every_headline_number_names_its_month_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let json: serde_json::Value = serde_json::from_str(&forecast_growing(&dir, "json")).unwrap();
    assert_eq!(json["headline"]["month"], "2027-02");
    assert_eq!(json["naive_headline"]["month"], "2027-02");
    assert_eq!(json["naive_estimate"]["month"], "2027-01");
    let p95 = json["months"][1]["p95"].as_f64().unwrap();
    let naive_feb = json["months"][1]["naive_usd"].as_f64().unwrap();
    assert_eq!(
        naive_feb,
        json["naive_headline"]["monthly_usd"].as_f64().unwrap()
    );
    let same = json["headline"]["p95_over_naive_same_month"]
        .as_f64()
        .unwrap();
    assert!((same - p95 / naive_feb).abs() < 1e-9 * same);
    // February's spreadsheet volume is January's × 1.5 at the same prices.
    let naive_jan = json["months"][0]["naive_usd"].as_f64().unwrap();
    assert!((naive_feb / naive_jan - 1.5).abs() < 1e-12);
    let sentence = format!(
        "P95 monthly bill in 2027-02: {}; P(over budget) in 2027-02: ",
        billcast::units::format_usd(p95)
    );
    let ratio = format!("{same:.1}× the naive estimate for 2027-02");
    assert!(json["headline"]["text"].as_str().unwrap().contains(&ratio));
    for format in ["table", "markdown"] {
        let text = forecast_growing(&dir, format);
        assert!(text.contains(&sentence), "{format}: {text}");
        assert!(text.contains(&ratio), "{format}: {text}");
        assert!(text.contains("Naive estimate"), "{format}");
        assert!(text.contains("2027-02"), "{format}");
    }
    let html = forecast_growing(&dir, "html");
    assert!(
        html.contains("P(over budget), 2027-02"),
        "no month on the budget card"
    );
    assert!(
        html.contains("Naive estimate, 2027-02"),
        "no month on the naive card"
    );
    assert!(html.contains("P(over budget) in 2027-02"));
    let csv = forecast_growing(&dir, "csv");
    let header = csv.lines().next().unwrap();
    assert!(header.contains(",naive,drivers,route:"), "{header}");
    let feb = csv.lines().nth(2).unwrap();
    assert!(feb.starts_with("2027-02,"), "{feb}");
    assert!(
        feb.contains("traffic.sessions_per_month"),
        "drivers on the headline row: {feb}"
    );
    let jan = csv.lines().nth(1).unwrap();
    assert!(!jan.contains("traffic.sessions_per_month"), "{jan}");
}

#[test]
fn a_report_saved_before_the_same_month_fields_still_renders_and_diffs() {
    let dir = tempfile::tempdir().unwrap();
    let new = forecast_growing(&dir, "json");
    let mut v: serde_json::Value = serde_json::from_str(&new).unwrap();
    // What billcast wrote before: no same-month naive, no drivers, no tokenizer effects.
    let o = v.as_object_mut().unwrap();
    for k in ["naive_headline", "drivers", "tokenizer"] {
        o.remove(k);
    }
    o["headline"]
        .as_object_mut()
        .unwrap()
        .remove("p95_over_naive_same_month");
    for m in o["months"].as_array_mut().unwrap() {
        m.as_object_mut().unwrap().remove("naive_usd");
    }
    let legacy = format!(
        "{:.1}× the naive estimate for 2027-01",
        v["headline"]["p95_over_naive"].as_f64().unwrap()
    );
    let old = dir.path().join("old.json");
    std::fs::write(&old, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    let newp = dir.path().join("new.json");
    std::fs::write(&newp, &new).unwrap();
    billcast()
        .arg("render")
        .arg(&old)
        .assert()
        .success()
        .stdout(predicate::str::contains(legacy.as_str()))
        .stdout(predicate::str::contains("P(over budget) in 2027-02"));
    billcast()
        .arg("diff")
        .arg(&old)
        .arg(&newp)
        .assert()
        .success();
}

#[test]
fn forecast_and_report_show_what_drives_the_spread_and_flag_defaults() {
    // A fitted workload gets the default pilot-to-production shift (this bundled workload file
    // predates the fitted [shift], so the prior alone applies); its count shift is among the
    // drivers of the spread and flagged as a default. At the prior σ 0.1 the session volume,
    // not the count shift, is the top driver.
    let out = billcast()
        .args([
            "forecast",
            "scenarios/support-agent-pilot.toml",
            "-n",
            "400",
            "-q",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let block = text
        .split("What drives the spread in 2027-06:")
        .nth(1)
        .expect("a drivers table");
    let row = block
        .lines()
        .find(|l| l.trim_start().starts_with("shift.count"))
        .expect("shift.count is listed");
    assert!(row.contains("default (not your data)"), "{row}");
    assert!(
        text.contains("shift.count uses the default")
            && text.contains("shift.count alone explains"),
        "{text}"
    );
    let dir = tempfile::tempdir().unwrap();
    billcast()
        .args([
            "report",
            "scenarios/support-agent-pilot.toml",
            "-n",
            "400",
            "-q",
            "-o",
        ])
        .arg(dir.path())
        .assert()
        .success();
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(html.contains("<section id=\"drivers\">"));
    assert!(html.contains("<tr class=\"default-nn\"><td>shift.count</td>"));
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(md.contains("**What drives the spread in 2027-06**"), "{md}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("forecast.json")).unwrap())
            .unwrap();
    let inputs = json["drivers"]["inputs"].as_array().expect("driver inputs");
    let count = inputs
        .iter()
        .find(|i| i["key"] == "shift.count")
        .expect("shift.count among the drivers");
    assert_eq!(count["default_assumption"], true);
}

#[test]
fn pricing_show_and_list_give_the_tokenizer_ratio_its_own_confidence() {
    billcast()
        .args(["pricing", "show", "anthropic/claude-sonnet-5-5"])
        .assert()
        .success()
        .stdout(predicate::str::contains("confidence         verified (of the rates)"))
        .stdout(predicate::str::contains(
            "tokenizer          anthropic-2026 ×1.40 vs o200k_base — unverified, plausible 1.05–1.75",
        ))
        .stdout(predicate::str::contains("tokenizer basis    pricing-facts §4"));
    billcast()
        .args(["pricing", "list", "--provider", "anthropic"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Tokens ×"))
        .stdout(predicate::str::contains("1.40?"))
        .stdout(predicate::str::contains("? = not verified"));
    let out = billcast()
        .args([
            "pricing",
            "list",
            "--provider",
            "google",
            "--layer",
            "first-party",
            "--format",
            "json",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let list: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let rows = &list["models"];
    assert_eq!(rows[0]["tokenizer_confidence"], "unverified");
    assert_eq!(rows[0]["tokenizer_ratio"], 1.05);
}

#[test]
fn forecast_and_compare_warn_about_an_unverified_ratio_with_its_effect() {
    billcast()
        .args([
            "forecast",
            "scenarios/support-bot.toml",
            "-n",
            "300",
            "-q",
            "--set",
            "routes.0.model=anthropic/claude-sonnet-5-5",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "route anthropic/claude-sonnet-5-5: tokenizer ratio 1.40 is unverified (pricing-facts §4 default [INF]); with a ratio of 1.0 the P95 of 2027-12 would be",
        ))
        .stdout(predicate::str::contains("over its plausible range 1.05–1.75"))
        .stdout(predicate::str::contains(
            "exact up to whole-token rounding unless the 2,048-token output cap or the 512-token minimum cacheable prefix binds",
        ));
    billcast()
        .args([
            "compare",
            "scenarios/support-bot.toml",
            "-n",
            "300",
            "-q",
            "--vary",
            "routes.0.model=openai/gpt-6.1-sol,anthropic/claude-sonnet-5-5",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Unverified tokenizer ratios (anthropic-2026 1.40 (plausible 1.05–1.75))",
        ))
        .stdout(predicate::str::contains(
            "tokenizer ratio 1.40 is unverified",
        ));
}

#[test]
fn forecast_writes_to_a_file_and_set_overrides_apply() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "s.toml", SMALL);
    let out = dir.path().join("out/f.json");
    billcast()
        .arg("forecast")
        .arg(&p)
        .args([
            "--pricing",
            "tests/data/flat-prices.toml",
            "-q",
            "--format",
            "json",
            "-o",
        ])
        .arg(&out)
        .args(["--set", "budget.monthly_usd=7", "-n", "50", "-s", "5"])
        .assert()
        .success()
        .stdout("");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(v["budget_usd"], 7.0);
    assert_eq!(v["trials"], 50);
    assert_eq!(v["seed"], 5);
}

#[test]
fn bundled_example_runs() {
    billcast()
        .args([
            "forecast",
            "scenarios/batch-summarization.toml",
            "-n",
            "200",
            "-q",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("2027-01"));
}

#[test]
fn unknown_scenario_key_suggests_the_right_one() {
    forecast_err(
        &SMALL.replace("system_prompt_tokens", "system_promt_tokens"),
        &[],
    )
    .code(2)
    .stderr(predicate::str::contains(
        "s.toml: line 11: unknown key `system_promt_tokens`; did you mean `system_prompt_tokens`?",
    ));
}

#[test]
fn wrong_type_names_the_line() {
    forecast_err(&SMALL.replace("trials = 200", "trials = \"many\""), &[])
        .code(2)
        .stderr(predicate::str::contains("line 6"));
}

#[test]
fn negative_and_nan_parameters_are_rejected() {
    forecast_err(&SMALL.replace("sigma = 0.7", "sigma = -0.7"), &[])
        .code(2)
        .stderr(predicate::str::contains("workload.user_message_tokens"))
        .stderr(predicate::str::contains("`sigma` must be > 0"));
    forecast_err(
        &SMALL.replace("system_prompt_tokens = 500", "system_prompt_tokens = nan"),
        &[],
    )
    .code(2)
    .stderr(predicate::str::contains("not a finite number"));
}

#[test]
fn shares_must_sum_to_one() {
    let two = SMALL.replace(
        "[[routes]]\nmodel = \"test/plain\"\nshare = 1.0",
        "[[routes]]\nname = \"a\"\nmodel = \"test/plain\"\nshare = 0.5\n[[routes]]\nname = \"b\"\nmodel = \"test/writer\"\nshare = 0.4",
    );
    forecast_err(&two, &[])
        .code(2)
        .stderr(predicate::str::contains("route shares sum to 0.9, not 1"));
}

#[test]
fn impossible_distribution_parameters_are_rejected() {
    forecast_err(
        &SMALL.replace(
            "sessions_per_month = \"100 to 300\"",
            "sessions_per_month = \"300 to 100\"",
        ),
        &[],
    )
    .code(2)
    .stderr(predicate::str::contains("0 < a < b"));
    forecast_err(
        &SMALL.replace("mean = 2, offset = 1", "mean = -2, offset = 1"),
        &[],
    )
    .code(2)
    .stderr(predicate::str::contains("`mean` must be ≥ 0"));
}

#[test]
fn unknown_model_lists_the_closest() {
    forecast_err(&SMALL.replace("test/plain", "test/plian"), &[])
        .code(2)
        .stderr(predicate::str::contains("unknown model 'test/plian'"))
        .stderr(predicate::str::contains("closest: test/plain"));
}

#[test]
fn set_on_a_missing_key_is_an_error() {
    forecast_err(SMALL, &["--set", "workload.ouput_tokens=5"])
        .code(2)
        .stderr(predicate::str::contains(
            "unknown key `ouput_tokens`; did you mean `output_tokens`?",
        ));
    forecast_err(SMALL, &["--set", "nokey"])
        .code(2)
        .stderr(predicate::str::contains("key.path=value"));
}

#[test]
fn malformed_toml_and_missing_file_fail_cleanly() {
    forecast_err("schema_version = 1\n[traffic\n", &[])
        .code(2)
        .stderr(predicate::str::contains("line 2"));
    billcast()
        .args(["forecast", "no/such/file.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "cannot read scenario no/such/file.toml",
        ));
}

#[test]
fn missing_volume_says_how_to_give_it() {
    forecast_err(
        &SMALL.replace("sessions_per_month = \"100 to 300\"", ""),
        &[],
    )
    .code(2)
    .stderr(predicate::str::contains("give the volume"));
}

#[test]
fn usage_errors_exit_2() {
    billcast().args(["forecast"]).assert().code(2);
    billcast().args(["frobnicate"]).assert().code(2);
    billcast()
        .args(["--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("forecast"));
}

#[test]
fn pricing_list_show_and_cost() {
    billcast()
        .args(["pricing", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("openai/gpt-6.1-sol"));
    billcast()
        .args([
            "pricing",
            "list",
            "--provider",
            "anthropic",
            "--format",
            "json",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("claude-opus-5-5"));
    billcast()
        .args(["pricing", "list", "--format", "csv"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("model,name,input"));
    billcast()
        .args(["pricing", "list", "--provider", "nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown provider 'nope'"));
    billcast()
        .args(["pricing", "show", "google/gemini-4-argon"])
        .assert()
        .success()
        .stdout(predicate::str::contains("from 2026-12-01"));
    // 12,000 reported input incl. 10,000 cached → 2,000 × $2 + 10,000 × $0.20 + 1,000 × $10 per 1M
    // = 0.004 + 0.002 + 0.01 = $0.016.
    billcast()
        .args([
            "pricing",
            "cost",
            "test/plain",
            "--input",
            "12000",
            "--cached",
            "10000",
            "--output",
            "1000",
            "--pricing",
            "tests/data/flat-prices.toml",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("$0.016000"));
    billcast()
        .args([
            "pricing",
            "cost",
            "test/plain",
            "--input",
            "100",
            "--cached",
            "1000",
            "--pricing",
            "tests/data/flat-prices.toml",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("smaller than cache read"));
    billcast()
        .args(["pricing", "cost", "openai/gpt-6-sl", "--input", "1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("closest: openai/gpt-6-sol"));
}

#[test]
fn bad_price_tables_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let neg = write(
        &dir,
        "neg.toml",
        "schema_version = 1\n[provider]\nid = \"x\"\nname = \"X\"\n[[models]]\nid = \"m\"\n[models.rates]\ninput = -1\noutput = 2\n",
    );
    billcast()
        .args(["pricing", "list", "--pricing"])
        .arg(&neg)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("neg.toml: line 8")
                .and(predicate::str::contains("invalid price -1")),
        );
    let bad = write(&dir, "bad.toml", "schema_version = 1\n[provider\n");
    billcast()
        .args(["pricing", "list", "--pricing"])
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.toml: line 2"));
}

#[test]
fn pricing_import_litellm_writes_tables_that_load_back() {
    let dir = tempfile::tempdir().unwrap();
    billcast()
        .args([
            "pricing",
            "import-litellm",
            LITELLM,
            "--provider",
            "anthropic",
            "--litellm-version",
            "1.110.2",
            "--out-dir",
        ])
        .arg(dir.path())
        .assert()
        .success()
        .stderr(predicate::str::contains("imported"));
    let table = dir.path().join("anthropic.toml");
    assert!(
        std::fs::read_to_string(&table)
            .unwrap()
            .contains("LiteLLM 1.110.2")
    );
    // The imported table loads as an extra --pricing file and prices a call.
    billcast()
        .args([
            "pricing",
            "cost",
            "anthropic/claude-opus-5-5",
            "--input",
            "1000000",
            "--pricing",
        ])
        .arg(&table)
        .assert()
        .success()
        .stdout(predicate::str::contains("$4.00"));
    billcast()
        .args(["pricing", "import-litellm", LITELLM])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--out-dir"));
    let dir2 = tempfile::tempdir().unwrap();
    let bad = write(&dir2, "bad.json", "{\"a\": [1, 2,");
    billcast()
        .args(["pricing", "import-litellm"])
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.json"));
}

#[test]
fn pricing_check_flags_disagreements_and_stale_prices() {
    billcast()
        .args([
            "pricing",
            "check",
            "--litellm",
            LITELLM,
            "--today",
            "2026-11-26",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "claude-sonnet-5-5: cache_read is 0.2 USD/MTok here but 0.1 in LiteLLM",
        ));
    // A year later every price is stale; --deny-warnings turns that into a failure.
    billcast()
        .args([
            "pricing",
            "check",
            "--today",
            "2027-12-01",
            "--deny-warnings",
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("days before 2027-12-01"));
}

// ---------------------------------------------------------------------------------------------
// Guards: limits checked before any work, no data loss, no false pass.

/// SMALL on a bundled model (for effective-dated prices).
fn small_on(model: &str) -> String {
    SMALL.replace("test/plain", model)
}

/// Run `forecast` on `text` with extra args, within 20 s (a guard must not let a run spin).
fn guarded(text: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "s.toml", text);
    billcast()
        .arg("forecast")
        .arg(&p)
        .args(["--pricing", "tests/data/flat-prices.toml", "-q"])
        .args(extra)
        .timeout(std::time::Duration::from_secs(20))
        .assert()
}

#[test]
fn missing_or_unreadable_inputs_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let s = write(&dir, "s.toml", SMALL);
    let saved = save_forecast(&dir, &s);
    let s = s.to_str().unwrap();
    let saved = saved.to_str().unwrap();
    for args in [
        vec!["forecast", "nope.toml"],
        vec!["forecast", s, "--pricing", "nope-prices.toml"],
        vec!["render", "nope.json"],
        vec!["diff", saved, "nope.json"],
        vec!["calibrate", "--forecasts", saved, "--actuals", "nope.csv"],
        vec!["fit", "nope.jsonl"],
        vec!["backtest", "nope.csv", "--fit-first", "10"],
        vec!["pricing", "check", "--litellm", "nope.json"],
        vec![
            "sweep",
            "nope.toml",
            "--param",
            "traffic.sessions_per_month",
            "--range",
            "1:2:2",
        ],
    ] {
        billcast()
            .args(&args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("nope"))
            .stderr(predicate::str::contains("panicked").not());
    }
}

#[test]
fn trials_and_threads_have_limits_checked_before_anything_runs() {
    // A billion trials used to grow memory by 250 MB/s until killed.
    guarded(SMALL, &["--trials", "1000000000"])
        .code(2)
        .stderr(predicate::str::contains("--trials"))
        .stderr(predicate::str::contains("at most 1,000,000"));
    guarded(SMALL, &["--threads", "100000"])
        .code(2)
        .stderr(predicate::str::contains("--threads"))
        .stderr(predicate::str::contains("1 to 256"));
    guarded(SMALL, &["--threads", "0"]).code(2);
    guarded(&SMALL.replace("trials = 200", "trials = 2000000"), &[])
        .code(2)
        .stderr(predicate::str::contains("line 6: simulation.trials"))
        .stderr(predicate::str::contains("at most 1,000,000"));
    // Memory grows with trials × months: 200,000 trials fit 12 months, not 120.
    guarded(
        &SMALL.replace("horizon_months = 2", "horizon_months = 120"),
        &["-n", "200000"],
    )
    .code(2)
    .stderr(predicate::str::contains(
        "at most 100,000 trials for 120 months",
    ));
    guarded(SMALL, &["-n", "20", "--threads", "3"]).success();
    // The limits are documented where users look.
    billcast()
        .args(["forecast", "--help"])
        .assert()
        .stdout(predicate::str::contains("1,000,000"))
        .stdout(predicate::str::contains("1 to 256"));
    let readme = std::fs::read_to_string("scenarios/README.md").unwrap();
    assert!(readme.contains("1,000,000") && readme.contains("12,000,000"));
}

#[test]
fn growth_that_overflows_names_the_key_and_the_month() {
    let text = SMALL
        .replace("horizon_months = 2", "horizon_months = 60")
        .replace(
            "sessions_per_month = \"100 to 300\"",
            "sessions_per_month = 1000000\nmonthly_growth = 1.0",
        );
    guarded(&text, &["-n", "20"])
        .code(2)
        .stderr(predicate::str::contains("traffic.monthly_growth"))
        .stderr(predicate::str::contains("in 2028-09, month 21"))
        .stderr(predicate::str::contains(
            "1,000,000,000,000 sessions per month",
        ));
    // A volume already beyond the limit names the volume key.
    guarded(&SMALL.replace("\"100 to 300\"", "1e13"), &["-n", "20"])
        .code(2)
        .stderr(predicate::str::contains("traffic.sessions_per_month"));
}

#[test]
fn zero_multipliers_are_errors_not_a_silent_zero_bill() {
    for (set, key) in [
        ("shift.count=0", "shift.count"),
        ("shift.size=0", "shift.size"),
        ("shift.volume=0", "shift.volume"),
        ("shift.count={ dist = \"fixed\", value = 0 }", "shift.count"),
        (
            "routes.0.output_tokens_scale=0",
            "routes[0].output_tokens_scale",
        ),
        (
            "traffic.seasonality=[0,0,0,0,0,0,0,0,0,0,0,0]",
            "traffic.seasonality",
        ),
        (
            "traffic.seasonality=[0,0,1,1,1,1,1,1,1,1,1,1]",
            "traffic.seasonality",
        ),
    ] {
        guarded(SMALL, &["-n", "20", "--set", set])
            .code(2)
            .stderr(predicate::str::contains(key))
            .stderr(predicate::str::contains("$0").or(predicate::str::contains("silent")));
    }
    let cohorts = SMALL.replace(
        "[workload]",
        "[[traffic.cohorts]]\nname = \"a\"\nshare = 0.5\n[[traffic.cohorts]]\nname = \"b\"\nshare = 0.5\nsessions_scale = 0\n[workload]",
    );
    guarded(&cohorts, &["-n", "20"])
        .code(2)
        .stderr(predicate::str::contains(
            "traffic.cohorts[1].sessions_scale",
        ))
        .stderr(predicate::str::contains("always 0"));
    // A zero in one month of twelve is a real pause, not an error.
    guarded(
        SMALL,
        &[
            "-n",
            "20",
            "--set",
            "traffic.seasonality=[0,1,1,1,1,1,1,1,1,1,1,1]",
        ],
    )
    .success();
}

#[test]
fn dates_before_the_earliest_known_price_are_warned_about() {
    let old = small_on("openai/gpt-6.1-sol").replace("2027-01", "1999-01");
    let out = guarded(&old, &["-n", "20", "--format", "json", "-o", "-"])
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let warnings = v["warnings"].to_string();
    assert!(
        warnings.contains("months 1999-01 to 1999-02")
            && warnings.contains("earliest price")
            && warnings.contains("released 2026-09-29"),
        "{warnings}"
    );
    billcast()
        .args([
            "pricing",
            "cost",
            "openai/gpt-6.1-sol",
            "--input",
            "1000",
            "--date",
            "1990-01-01",
        ])
        .assert()
        .success()
        .stderr(predicate::str::contains("1990-01-01"))
        .stderr(predicate::str::contains("released 2026-09-29"));
    // No warning for a date the price book covers.
    billcast()
        .args(["pricing", "cost", "openai/gpt-6.1-sol", "--input", "1000"])
        .args(["--date", "2027-01-01"])
        .assert()
        .success()
        .stderr(predicate::str::contains("earliest").not());
}

#[test]
fn every_u64_seed_works_on_the_command_line_and_in_a_scenario() {
    let json = |text: &str, extra: &[&str]| -> serde_json::Value {
        let out = guarded(
            text,
            &[&["-n", "20", "--format", "json", "-o", "-"], extra].concat(),
        )
        .success()
        .get_output()
        .stdout
        .clone();
        serde_json::from_slice(&out).unwrap()
    };
    let max = "18446744073709551615";
    let a = json(SMALL, &["--seed", max]);
    assert_eq!(a["seed"].as_u64(), Some(u64::MAX));
    // In a scenario, a seed above TOML's largest integer is written as a string.
    let quoted = SMALL.replace("trials = 200", &format!("trials = 200\nseed = \"{max}\""));
    let b = json(&quoted, &[]);
    assert_eq!(b["seed"].as_u64(), Some(u64::MAX));
    assert_eq!(a["months"], b["months"], "same seed, same draws");
    let c = json(SMALL, &["--seed", "9223372036854775808"]);
    assert_ne!(a["months"], c["months"]);
    for (seed, needle) in [("-1", "negative"), ("\"x\"", "in quotes"), (max, "line 7")] {
        guarded(
            &SMALL.replace("trials = 200", &format!("trials = 200\nseed = {seed}")),
            &[],
        )
        .code(2)
        .stderr(predicate::str::contains(needle));
    }
}

#[test]
fn output_equal_to_an_input_is_refused_and_the_input_kept() {
    let dir = tempfile::tempdir().unwrap();
    let s = write(&dir, "s.toml", SMALL);
    billcast()
        .arg("forecast")
        .arg(&s)
        .args([
            "--pricing",
            "tests/data/flat-prices.toml",
            "-q",
            "-n",
            "20",
            "-o",
        ])
        .arg(&s)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("-o"))
        .stderr(predicate::str::contains("is the scenario"));
    assert_eq!(std::fs::read_to_string(&s).unwrap(), SMALL);
    // The same file under another name is still the same file.
    let other = dir.path().join(".").join("s.toml");
    billcast()
        .arg("sweep")
        .arg(&s)
        .args(["--pricing", "tests/data/flat-prices.toml", "-q", "-n", "20"])
        .args([
            "--param",
            "traffic.sessions_per_month",
            "--values",
            "100,200",
            "--chart",
        ])
        .arg(&other)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--chart"));
    assert_eq!(std::fs::read_to_string(&s).unwrap(), SMALL);
    // A saved forecast given to render, a log given to fit, a --pricing table.
    let saved = save_forecast(&dir, &s);
    let before = std::fs::read(&saved).unwrap();
    billcast()
        .arg("render")
        .arg(&saved)
        .args(["--format", "markdown", "-o"])
        .arg(&saved)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("saved report"));
    assert_eq!(std::fs::read(&saved).unwrap(), before);
    let log = dir.path().join("calls.csv");
    std::fs::copy("examples/pilot/support-agent-calls.csv", &log).unwrap();
    billcast()
        .arg("fit")
        .arg(&log)
        .arg("-o")
        .arg(&log)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is the log"));
    let prices = dir.path().join("p.toml");
    std::fs::copy("tests/data/flat-prices.toml", &prices).unwrap();
    billcast()
        .args(["pricing", "list", "--pricing"])
        .arg(&prices)
        .arg("-o")
        .arg(&prices)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("price table"));
    assert_eq!(
        std::fs::read_to_string(&prices).unwrap(),
        std::fs::read_to_string("tests/data/flat-prices.toml").unwrap()
    );
}

#[test]
fn absurd_magnitudes_are_rejected_at_validation_with_key_and_line() {
    for (set, key, line) in [
        (
            "workload.output_tokens=1e308",
            "workload.output_tokens",
            "line 14",
        ),
        (
            "workload.output_tokens={ dist = \"lognormal\", median = 120, sigma = 1e308 }",
            "workload.output_tokens",
            "line 14",
        ),
        (
            "workload.user_message_tokens={ dist = \"gamma\", mean = 1e308, cv = 1 }",
            "workload.user_message_tokens",
            "line 13",
        ),
        (
            "traffic.sessions_per_month={ dist = \"lognormal\", median = 100, sigma = 50 }",
            "traffic.sessions_per_month",
            "line 9",
        ),
        (
            "traffic.monthly_growth=1e300",
            "traffic.monthly_growth",
            "line",
        ),
        // A parameter drawn from a range that reaches infinity (this one used to panic).
        (
            "workload.turns_per_session={ dist = \"poisson\", mean = \"1 to 1e300\", offset = 1 }",
            "workload.turns_per_session",
            "line 12",
        ),
        (
            "workload.system_prompt_tokens=1e300",
            "workload.system_prompt_tokens",
            "line 11",
        ),
        (
            "routes.0.tokenizer_ratio=1e308",
            "routes[0].tokenizer_ratio",
            "line",
        ),
    ] {
        guarded(SMALL, &["-n", "20", "--set", set])
            .code(2)
            .stderr(predicate::str::contains(key))
            .stderr(predicate::str::contains(line));
    }
    // The pricing side: a price and a call size of 1e308.
    let dir = tempfile::tempdir().unwrap();
    let huge = std::fs::read_to_string("tests/data/flat-prices.toml")
        .unwrap()
        .replacen("input = 2.0", "input = 1e308", 1);
    let p = write(&dir, "huge.toml", &huge);
    billcast()
        .args(["pricing", "list", "--pricing"])
        .arg(&p)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid price 1e308"));
    billcast()
        .args(["pricing", "cost", "openai/gpt-6.1-sol", "--input", "1e308"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--input"));
}

#[test]
fn counts_that_would_not_finish_are_refused_quickly() {
    for set in [
        "workload.turns_per_session={ dist = \"poisson\", mean = 1e20 }",
        "workload.turns_per_session=10000",
        "workload.turns_per_session=\"1e-308 to 1\"",
        "workload.tool_rounds_per_turn={ dist = \"negative_binomial\", mean = 5000, dispersion = 1 }",
        "workload.tool_calls_per_round=1e6",
    ] {
        guarded(SMALL, &["-n", "20", "--set", set])
            .code(2)
            .stderr(predicate::str::contains("workload."))
            .stderr(predicate::str::contains("limit"));
    }
    // Every count within its own limit, but 900 turns × 900 rounds a session.
    guarded(
        SMALL,
        &[
            "-n",
            "20",
            "--set",
            "workload.turns_per_session=900",
            "--set",
            "workload.tool_rounds_per_turn=900",
        ],
    )
    .code(2)
    .stderr(predicate::str::contains("model calls on average"));
    // Exact mode on a volume it could not simulate in hours.
    guarded(
        SMALL,
        &[
            "-n",
            "1000",
            "--mode",
            "exact",
            "--set",
            "traffic.sessions_per_month=1e9",
        ],
    )
    .code(2)
    .stderr(predicate::str::contains("exact mode would simulate"));
    // Fast mode whose months are too skewed for the analytic aggregate: every trial-month
    // would be simulated session by session, 100,000 × 12 × 2,000 sessions × 50 calls.
    let skewed = SMALL
        .replace("horizon_months = 2", "horizon_months = 12")
        .replace("\"100 to 300\"", "2000")
        .replace(
            "turns_per_session = { dist = \"poisson\", mean = 2, offset = 1 }",
            "turns_per_session = { dist = \"negative_binomial\", mean = 10, dispersion = 0.05 }\ntool_rounds_per_turn = 4",
        );
    guarded(&skewed, &["-n", "100000", "--mode", "fast"])
        .code(2)
        .stderr(predicate::str::contains("too skewed for fast mode"))
        .stderr(predicate::str::contains("model calls"));
}

/// Whether `out` really is in `format`.
fn check_format(format: &str, out: &[u8], what: &str) {
    let text = String::from_utf8_lossy(out);
    assert!(!text.trim().is_empty(), "{what}: empty output");
    match format {
        "json" => {
            let v = serde_json::from_slice::<serde_json::Value>(out)
                .unwrap_or_else(|e| panic!("{what}: not JSON: {e}\n{text}"));
            // Every result is an envelope: version, kind and the billcast that wrote it.
            assert_eq!(v["schema_version"], 1, "{what}: no schema_version 1");
            let kind = v["kind"].as_str().unwrap_or_default();
            assert!(
                billcast::results::Kind::parse(kind).is_some(),
                "{what}: kind {:?} is not a result kind",
                v["kind"]
            );
            assert!(v["billcast_version"].is_string(), "{what}");
            assert!(v["warnings"].is_array(), "{what}: no warnings list");
        }
        "csv" => {
            let mut r = csv::ReaderBuilder::new().from_reader(out);
            let header = r
                .headers()
                .unwrap_or_else(|e| panic!("{what}: no CSV header: {e}"))
                .clone();
            assert!(header.len() >= 2, "{what}: one-column CSV: {text}");
            assert!(
                header.iter().all(|h| !h.is_empty() && !h.contains(' ')),
                "{what}: header is not column names: {header:?}"
            );
            let mut rows = 0;
            for rec in r.records() {
                rec.unwrap_or_else(|e| panic!("{what}: bad CSV row: {e}\n{text}"));
                rows += 1;
            }
            assert!(rows >= 1, "{what}: no CSV rows");
        }
        "markdown" => {
            let lines: Vec<&str> = text.lines().collect();
            let table = lines.windows(2).any(|w| {
                w[0].trim_start().starts_with('|')
                    && (w[1].trim_start().starts_with("| ---")
                        || w[1].trim_start().starts_with("|---"))
            });
            let heading = lines.iter().any(|l| l.starts_with('#'));
            assert!(
                table || heading,
                "{what}: no Markdown table or heading:\n{text}"
            );
            assert!(
                serde_json::from_slice::<serde_json::Value>(out).is_err(),
                "{what}: JSON, not Markdown"
            );
        }
        "html" => assert!(text.contains("<html"), "{what}: not HTML"),
        "table" => {
            assert!(
                !text.lines().any(|l| l.trim_start().starts_with("| ---")),
                "{what}: Markdown, not a table"
            );
            assert!(
                serde_json::from_slice::<serde_json::Value>(out).is_err(),
                "{what}: JSON, not a table"
            );
        }
        other => panic!("{what}: unknown format {other}; teach this test to check it"),
    }
}

#[test]
fn every_format_of_every_command_is_honoured_or_refused_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let s = write(&dir, "s.toml", SMALL);
    let saved = save_forecast(&dir, &s);
    let actuals = write(&dir, "bills.csv", "month,amount\n2027-01,3.5\n2027-02,4\n");
    let (s, saved, actuals) = (
        s.to_str().unwrap().to_string(),
        saved.to_str().unwrap().to_string(),
        actuals.to_str().unwrap().to_string(),
    );
    let newer = newer_litellm(&dir).to_str().unwrap().to_string();
    let flat = ["--pricing", "tests/data/flat-prices.toml", "-q", "-n", "20"];
    let with = |head: &[&str], tail: &[&str]| -> Vec<String> {
        head.iter().chain(tail).map(|x| x.to_string()).collect()
    };
    // Every command with a --format, with small inputs; `refused` lists formats it refuses.
    let cases: Vec<(Vec<&str>, Vec<String>, Vec<&str>)> = vec![
        (vec!["forecast"], with(&[&s], &flat), vec![]),
        (
            vec!["compare"],
            with(&[&s, "--vary", "traffic.sessions_per_month=100,200"], &flat),
            vec![],
        ),
        (
            vec!["sweep"],
            with(
                &[
                    &s,
                    "--param",
                    "traffic.sessions_per_month",
                    "--values",
                    "100,200",
                ],
                &flat,
            ),
            vec![],
        ),
        (
            vec!["solve"],
            with(
                &[&s, "--param", "traffic.sessions_per_month", "--budget", "5"],
                &flat,
            ),
            vec![],
        ),
        (
            vec!["sensitivity"],
            with(&[&s, "--tornado-trials", "20", "--bootstrap", "20"], &flat),
            vec![],
        ),
        (
            vec!["overhead"],
            with(&["scenarios/multi-provider.toml", "-q", "-n", "20"], &[]),
            vec![],
        ),
        (vec!["render"], with(&[&saved], &[]), vec![]),
        (vec!["diff"], with(&[&saved, &saved], &[]), vec![]),
        (
            vec!["calibrate"],
            with(&["--forecasts", &saved, "--actuals", &actuals], &[]),
            vec![],
        ),
        (
            vec!["fit"],
            with(&["examples/pilot/support-agent-calls.csv", "-q"], &[]),
            vec![],
        ),
        (
            vec!["backtest"],
            with(
                &[
                    "examples/pilot/support-agent-calls.csv",
                    "--caller",
                    "agent",
                    "--fit-first",
                    "150",
                    "-q",
                ],
                &[],
            ),
            vec![],
        ),
        (
            vec!["pricing", "list"],
            with(&["--provider", "openai"], &[]),
            vec![],
        ),
        (
            vec!["pricing", "show"],
            with(&["openai/gpt-6.1-sol"], &[]),
            vec!["csv"],
        ),
        (
            vec!["pricing", "cost"],
            with(
                &[
                    "openai/gpt-6.1-sol",
                    "--input",
                    "12000",
                    "--cached",
                    "10000",
                ],
                &["--output", "800", "--tool", "web_search=2"],
            ),
            vec![],
        ),
        (
            vec!["pricing", "check"],
            with(&["--today", "2027-12-01"], &[]),
            vec![],
        ),
        (
            vec!["tokens"],
            with(
                &[
                    "examples/artifacts/prompts/support.md",
                    "examples/artifacts/tools.json",
                ],
                &[],
            ),
            vec![],
        ),
        (
            vec!["pricing", "update"],
            with(
                &[&newer, "--litellm-version", "1.111.0", "--dry-run"],
                &["--retrieved", "2026-11-26"],
            ),
            vec![],
        ),
    ];
    // Every command that lists --format has a case here (a new one must be added).
    let mut commands: Vec<Vec<String>> = listed_subcommands(&[])
        .into_iter()
        .flat_map(|c| {
            let subs = listed_subcommands(&[&c]);
            if subs.is_empty() {
                vec![vec![c]]
            } else {
                subs.into_iter().map(|s| vec![c.clone(), s]).collect()
            }
        })
        .collect();
    commands.retain(|c| {
        let c: Vec<&str> = c.iter().map(String::as_str).collect();
        !listed_formats(&c).is_empty()
    });
    assert!(commands.len() >= 14, "{commands:?}");
    for c in &commands {
        assert!(
            cases.iter().any(|(cmd, ..)| cmd == c),
            "`billcast {}` lists --format but this test does not run it",
            c.join(" ")
        );
    }
    let mut runs = 0;
    for (cmd, args, refused) in &cases {
        let formats = listed_formats(cmd);
        assert!(!formats.is_empty(), "{cmd:?} lists no formats");
        for f in &formats {
            let what = format!("billcast {} --format {f}", cmd.join(" "));
            let out = billcast()
                .args(cmd)
                .args(args)
                .args(["--format", f])
                .timeout(std::time::Duration::from_secs(120))
                .output()
                .unwrap();
            runs += 1;
            if refused.contains(&f.as_str()) {
                assert_eq!(out.status.code(), Some(2), "{what} should be refused");
                let err = String::from_utf8_lossy(&out.stderr);
                assert!(err.contains("--format"), "{what}: {err}");
                assert!(out.stdout.is_empty(), "{what} printed before refusing");
            } else {
                assert!(
                    out.status.success(),
                    "{what}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                check_format(f, &out.stdout, &what);
            }
        }
    }
    // backtest --calibrate-shift has the same formats (one σ keeps it quick).
    for f in listed_formats(&["backtest"]) {
        let out = billcast()
            .args([
                "backtest",
                "--calibrate-shift",
                "--grid",
                "0.2",
                "-q",
                "--format",
                &f,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        check_format(
            &f,
            &out.stdout,
            &format!("backtest --calibrate-shift --format {f}"),
        );
        runs += 1;
    }
    assert!(runs >= 60, "{runs} runs");
}

#[test]
fn pricing_show_writes_markdown_to_a_file_and_cost_writes_csv() {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("show.md");
    billcast()
        .args([
            "pricing",
            "show",
            "google/gemini-4-argon",
            "--format",
            "markdown",
            "-q",
            "-o",
        ])
        .arg(&md)
        .assert()
        .success()
        .stdout(predicate::str::is_empty());
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(text.starts_with("## google/gemini-4-argon"), "{text}");
    assert!(text.contains("### Rates (USD per 1M tokens)"), "{text}");
    assert!(text.contains("| from 2026-12-01 |"), "{text}");
    let out = billcast()
        .args([
            "pricing",
            "cost",
            "test/plain",
            "--pricing",
            "tests/data/flat-prices.toml",
        ])
        .args([
            "--input", "1000000", "--output", "100000", "--format", "csv",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    // $2 input + $1 output; numbers as every CSV writes them (serde's float text).
    assert_eq!(
        text,
        "item,quantity,usd_rate,rate_unit,usd\ninput,1000000.0,2.0,per 1M tokens,2.0\noutput,100000.0,10.0,per 1M tokens,1.0\ntotal,,,,3.0\n"
    );
}

// ---------------------------------------------------------------------------------------------
// The LiteLLM layer beneath the first-party tables.

/// The repository's LiteLLM snapshot, parsed.
#[test]
fn pricing_list_covers_the_litellm_layer_beneath_the_tables() {
    let out = billcast()
        .args(["pricing", "list", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (&list["kind"], &list["view"]),
        (&"pricing".into(), &"list".into())
    );
    let rows = list["models"].as_array().unwrap();
    let providers: std::collections::BTreeSet<&str> = rows
        .iter()
        .map(|r| r["model"].as_str().unwrap().split('/').next().unwrap())
        .collect();
    assert!(rows.len() >= 3000, "{} models", rows.len());
    assert!(providers.len() >= 80, "{} providers", providers.len());
    let layer = |model: &str| {
        rows.iter()
            .filter(|r| r["model"] == model)
            .map(|r| r["layer"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    // Each model once, marked with where its price comes from; the first-party table wins.
    assert_eq!(layer("openai/gpt-6.1-sol"), ["first-party"]);
    assert_eq!(layer("openai/gpt-4o"), ["LiteLLM 1.110.2"]);
    let first_party = rows.iter().filter(|r| r["layer"] == "first-party").count();
    let tables = billcast()
        .args([
            "pricing",
            "list",
            "--layer",
            "first-party",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let tables: serde_json::Value = serde_json::from_slice(&tables.stdout).unwrap();
    assert_eq!(first_party, tables["models"].as_array().unwrap().len());
    billcast()
        .args(["pricing", "list", "--provider", "openai"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("first-party")
                .and(predicate::str::contains("LiteLLM 1.110.2")),
        );
}

#[test]
fn pricing_cost_of_a_litellm_model_is_litellms_rates() {
    let m = litellm_json();
    let e = &m["gpt-4o"];
    let per_m = |k: &str| e[k].as_f64().unwrap() * 1e6;
    // 1M input of which 400k cached, 1M output: one line per class at LiteLLM's rates.
    for reference in ["openai/gpt-4o", "gpt-4o"] {
        let out = billcast()
            .args(["pricing", "cost", reference, "--format", "csv"])
            .args([
                "--input", "1000000", "--cached", "400000", "--output", "1000000",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let rate = |class: &str| -> f64 {
            let line = text
                .lines()
                .find(|l| l.starts_with(&format!("{class},")))
                .unwrap_or_else(|| panic!("no {class} line in {text}"));
            line.split(',').nth(2).unwrap().parse().unwrap()
        };
        assert!(
            (rate("input") - per_m("input_cost_per_token")).abs() < 1e-9,
            "{text}"
        );
        assert!(
            (rate("output") - per_m("output_cost_per_token")).abs() < 1e-9,
            "{text}"
        );
        assert!(
            (rate("cache_read") - per_m("cache_read_input_token_cost")).abs() < 1e-9,
            "{text}"
        );
        // The warning says where the price comes from.
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("priced from LiteLLM 1.110.2"),
            "{reference}"
        );
    }
    billcast()
        .args(["pricing", "show", "openai/gpt-4o", "--format", "json"])
        .assert()
        .success()
        .stdout(predicate::str::contains(r#""layer": "LiteLLM 1.110.2""#));
    billcast()
        .args(["pricing", "show", "openai/gpt-4o"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "layer              LiteLLM 1.110.2",
        ));
    // A bare id two layer providers share (and LiteLLM keys under neither) stays an error
    // that lists them; a typo lists the closest.
    billcast()
        .args(["pricing", "cost", "glm-5v-turbo", "--input", "1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "write one of: aihubmix/glm-5v-turbo, zai/glm-5v-turbo",
        ));
    billcast()
        .args(["pricing", "cost", "openai/gpt-4oo", "--input", "1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("closest: openai/gpt-4o"));
}

#[test]
fn a_forecast_priced_from_the_litellm_layer_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let s = write(&dir, "s.toml", &small_on("openai/gpt-4o"));
    let out = billcast()
        .arg("forecast")
        .arg(&s)
        .args(["-q", "-n", "50", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let warnings = v["warnings"].to_string();
    assert!(
        warnings.contains("priced from LiteLLM 1.110.2's table"),
        "{warnings}"
    );
    // A first-party route does not carry the warning.
    let s = write(&dir, "t.toml", &small_on("openai/gpt-6.1-sol"));
    let out = billcast()
        .arg("forecast")
        .arg(&s)
        .args(["-q", "-n", "50", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stdout).contains("priced from LiteLLM"));
}

#[test]
fn pricing_update_regenerates_the_layer_and_lists_the_changes() {
    let dir = tempfile::tempdir().unwrap();
    let newer = newer_litellm(&dir);
    let layer = dir.path().join("layer");
    let out = billcast()
        .args(["pricing", "update"])
        .arg(&newer)
        .args(["--litellm-version", "1.111.0", "--retrieved", "2026-12-01"])
        .args(["--format", "csv", "--out-dir"])
        .arg(&layer)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(rows.len(), 3, "{text}");
    assert!(
        rows[0].starts_with("added,openai/brand-new,,1.0,,2.0,"),
        "{text}"
    );
    assert!(rows[1].starts_with("removed,openai/gpt-4o-mini,"), "{text}");
    assert!(
        rows[2].starts_with("repriced,openai/gpt-4o,2.5,3.0,10.0,10.0,input 2.5 → 3.0 (+20.0%)"),
        "{text}"
    );
    assert!(layer.join("manifest.json").is_file());
    // The folder, given to --pricing, replaces the built-in layer beneath the tables.
    billcast()
        .args([
            "pricing",
            "cost",
            "gpt-4o",
            "--input",
            "1000000",
            "--pricing",
        ])
        .arg(&layer)
        .assert()
        .success()
        .stdout(predicate::str::contains("$3.00"))
        .stderr(predicate::str::contains("LiteLLM 1.111.0"));
    billcast()
        .args([
            "pricing",
            "cost",
            "openai/gpt-6.1-sol",
            "--input",
            "1000000",
            "--pricing",
        ])
        .arg(&layer)
        .assert()
        .success()
        .stderr(predicate::str::contains("LiteLLM").not());
    // A report's reproduce command gives the folder back as --pricing (not its manifest), and
    // never the built-in layer.
    let s = write(&dir, "s.toml", &small_on("openai/gpt-4o"));
    for (extra, expected) in [
        (vec![], None),
        (
            vec!["--pricing", layer.to_str().unwrap()],
            Some(layer.to_str().unwrap()),
        ),
    ] {
        let pack = dir.path().join("pack");
        billcast()
            .arg("report")
            .arg(&s)
            .args(["-q", "-n", "50"])
            .args(&extra)
            .arg("-o")
            .arg(&pack)
            .assert()
            .success();
        let html = std::fs::read_to_string(pack.join("report.html")).unwrap();
        let repro = html
            .lines()
            .find(|l| l.contains("billcast report "))
            .unwrap_or_else(|| panic!("no reproduce command"));
        assert!(!repro.contains("manifest.json"), "{repro}");
        match expected {
            Some(l) => assert!(repro.contains(&format!("--pricing {l}")), "{repro}"),
            None => assert!(!repro.contains("--pricing"), "{repro}"),
        }
        std::fs::remove_dir_all(&pack).unwrap();
    }
    // Updating again from the same file compares with that folder: nothing changed.
    billcast()
        .args(["pricing", "update"])
        .arg(&newer)
        .args([
            "--litellm-version",
            "1.111.0",
            "--retrieved",
            "2026-12-01",
            "--out-dir",
        ])
        .arg(&layer)
        .assert()
        .success()
        .stdout(predicate::str::contains("0 added, 0 removed, 0 repriced"));
    // A table edited by hand is refused, naming it.
    let mut t = std::fs::read_to_string(layer.join("openai.toml")).unwrap();
    t.push_str("\n# edited\n");
    std::fs::write(layer.join("openai.toml"), t).unwrap();
    billcast()
        .args(["pricing", "list", "--pricing"])
        .arg(&layer)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "openai.toml: its SHA-256 is not the one",
        ));
    // -o writes the list of changes and nothing to stdout.
    let md = dir.path().join("changes.md");
    billcast()
        .args(["pricing", "update"])
        .arg(&newer)
        .args([
            "--litellm-version",
            "1.111.0",
            "--dry-run",
            "--format",
            "markdown",
            "-o",
        ])
        .arg(&md)
        .assert()
        .success()
        .stdout(predicate::str::is_empty());
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(text.contains("| repriced | openai/gpt-4o |"), "{text}");
}

#[test]
fn pricing_update_refuses_bad_files_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let not_json = write(&dir, "notjson.json", "{ \"a\": ");
    let array = write(&dir, "array.json", "[1, 2]");
    let empty = write(
        &dir,
        "nomodels.json",
        r#"{ "x": 3, "y": { "mode": "embedding" } }"#,
    );
    let missing = dir.path().join("missing.json");
    for (file, says) in [
        (&missing, "missing.json"),
        (&not_json, "notjson.json: line 1"),
        (&array, "array.json: line 1: expected a JSON object"),
        (
            &empty,
            "nomodels.json: no chat, responses or completion model",
        ),
    ] {
        let out = billcast()
            .args(["pricing", "update"])
            .arg(file)
            .args(["--litellm-version", "1.0.0", "--out-dir"])
            .arg(dir.path().join("layer"))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{says}: {err}");
        assert!(err.contains(says), "{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(out.stdout.is_empty());
    }
    assert!(!dir.path().join("layer").exists(), "nothing written");
}

#[test]
fn pricing_check_compares_the_tables_with_the_litellm_layer() {
    billcast()
        .args(["pricing", "check", "--today", "2026-11-26"])
        .assert()
        .success()
        .stdout(predicate::str::contains("against the LiteLLM 1.110.2 layer").and(
            predicate::str::contains(
                "claude-sonnet-5-5: cache_read is 0.2 USD/MTok here but 0.1 in the LiteLLM 1.110.2 layer",
            ),
        ));
}

/// `billcast report --vary … --solve KEY --sensitivity`: the decision pack's sections hold the
/// same results as the standalone commands with the same seed and trials, and show their
/// numbers in report.html and report.md.
#[test]
fn the_decision_pack_matches_compare_solve_and_sensitivity_run_alone() {
    let dir = tempfile::tempdir().unwrap();
    let vary = "routes.0.model=openai/gpt-6.1-sol,openai/gpt-6.1-terra";
    let param = "traffic.monthly_active_users";
    let n = ["-n", "30", "-q"];
    billcast()
        .args(["report", "scenarios/support-bot.toml", "-o"])
        .arg(dir.path())
        .args(n)
        .args(["--vary", vary, "--solve", param, "--sensitivity"])
        .timeout(std::time::Duration::from_secs(300))
        .assert()
        .success()
        .stdout(predicate::str::contains("compare.json"));
    let alone = |args: &[&str]| -> serde_json::Value {
        let out = billcast()
            .args(args)
            .args(n)
            .args(["--format", "json"])
            .timeout(std::time::Duration::from_secs(300))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let saved = |name: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(dir.path().join(name)).unwrap()).unwrap()
    };
    let compare = alone(&["compare", "scenarios/support-bot.toml", "--vary", vary]);
    let solve = alone(&["solve", "scenarios/support-bot.toml", "--param", param]);
    let sens = alone(&[
        "sensitivity",
        "scenarios/support-bot.toml",
        "--tornado-trials",
        "30",
    ]);
    // Every number of every section is the standalone command's.
    assert_eq!(saved("compare.json"), compare);
    assert_eq!(saved("solve.json"), solve);
    assert_eq!(saved("sensitivity.json"), sens);
    assert_eq!(compare["provenance"]["trials"], 30);
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    let section = |id: &str| -> String {
        let start = html
            .find(&format!("<section id=\"{id}\">"))
            .unwrap_or_else(|| panic!("no section {id}"));
        let end = html[start..].find("</section>").unwrap() + start;
        html[start..end].to_string()
    };
    let usd = |v: &serde_json::Value| billcast::units::format_usd(v.as_f64().unwrap());
    let c = section("compare");
    assert!(c.contains("<svg"), "compare chart");
    for v in compare["variants"].as_array().unwrap() {
        let p95 = usd(&v["summary"]["p95"]);
        assert!(c.contains(&p95), "compare section lacks {p95}");
        assert!(md.contains(&p95), "report.md lacks {p95}");
    }
    let s = section("solve");
    assert!(s.contains("<svg"), "solve chart");
    let p95_at = usd(&solve["quantile_at_value"]);
    assert!(s.contains(&p95_at) && md.contains(&p95_at), "{p95_at}");
    let t = section("sensitivity");
    assert!(t.contains("<svg"), "tornado chart");
    let top = sens["sobol"][0]["label"].as_str().unwrap();
    assert!(t.contains(top) && md.contains(top), "{top}");
    for title in [
        "### Variants compared",
        "### Largest value under budget",
        "### What drives the bill",
    ] {
        assert!(md.contains(title), "report.md lacks {title}");
    }
    // Each saved section re-renders without re-simulating: JSON byte for byte, and the table.
    for (name, kind) in [
        ("compare.json", "compare"),
        ("solve.json", "solve"),
        ("sensitivity.json", "sensitivity"),
    ] {
        let path = dir.path().join(name);
        let again = billcast()
            .arg("render")
            .arg(&path)
            .args(["--format", "json"])
            .output()
            .unwrap();
        assert!(
            again.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&again.stderr)
        );
        assert_eq!(again.stdout, std::fs::read(&path).unwrap(), "{name}");
        billcast()
            .arg("render")
            .arg(&path)
            .assert()
            .success()
            .stdout(predicate::str::contains(format!("billcast {kind}")));
        billcast()
            .arg("render")
            .arg(&path)
            .args(["--format", "html"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("--format html"));
    }
    // A request that cannot be met is refused before anything runs or is written.
    let empty = tempfile::tempdir().unwrap();
    let out = empty.path().join("pack");
    let no_budget = write(&empty, "s.toml", SMALL.split("[budget]").next().unwrap());
    billcast()
        .args([
            "report",
            "-q",
            "--pricing",
            "tests/data/flat-prices.toml",
            "-o",
        ])
        .arg(&out)
        .arg(&no_budget)
        .args(["--solve", "traffic.sessions_per_month"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no budget to stay under"));
    billcast()
        .args(["report", "scenarios/support-bot.toml", "-q", "-o"])
        .arg(&out)
        .args(["--vary", "routes.0.model"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--vary"));
    assert!(!out.exists(), "a refused pack wrote files");
}
