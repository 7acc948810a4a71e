//! The command line, end to end: every command, and each bad input with its exit code and a
//! message that names the file, key or line and says what to do.

use assert_cmd::Command;
use predicates::prelude::*;
use std::io::Write;

fn billcast() -> Command {
    Command::cargo_bin("billcast").expect("binary built")
}

/// A small, fast scenario using the test price table.
const SMALL: &str = r#"schema_version = 1
name = "small"
start_month = "2027-01"
horizon_months = 2
[simulation]
trials = 200
mode = "exact"
[traffic]
sessions_per_month = "100 to 300"
[workload]
system_prompt_tokens = 500
turns_per_session = { dist = "poisson", mean = 2, offset = 1 }
user_message_tokens = { dist = "lognormal", median = 40, sigma = 0.7 }
output_tokens = { dist = "lognormal", median = 120, sigma = 0.6 }
[[routes]]
model = "test/plain"
share = 1.0
[budget]
monthly_usd = 5
"#;

fn write_temp(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.path().join(name);
    let mut f = std::fs::File::create(&p).unwrap();
    f.write_all(text.as_bytes()).unwrap();
    p
}

fn forecast_err(text: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
    let dir = tempfile::tempdir().unwrap();
    let p = write_temp(&dir, "s.toml", text);
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

#[test]
fn forecast_writes_to_a_file_and_set_overrides_apply() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_temp(&dir, "s.toml", SMALL);
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
        .code(1)
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
    let neg = write_temp(
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
    let bad = write_temp(&dir, "bad.toml", "schema_version = 1\n[provider\n");
    billcast()
        .args(["pricing", "list", "--pricing"])
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.toml: line 2"));
}

const LITELLM: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/pricing/litellm_model_prices.json"
);

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
    let bad = write_temp(&dir2, "bad.json", "{\"a\": [1, 2,");
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
