//! Artifacts in scenarios (issue 19): a system prompt and tool definitions read from files,
//! counted per route, billed like the same count written as a number, recorded in the report
//! and diffed by file.

use crate::common::{self};

use std::path::{Path, PathBuf};

use billcast::engine::{self, SimOptions, Simulation, prepare::Prepared};
use billcast::ingest::tokens::Tokenizer;
use billcast::pricing::PriceBook;
use billcast::report::Report;
use billcast::scenario::Scenario;
use billcast::whatif::diff;

const PROMPT: &str = "examples/artifacts/prompts/support.md";
const OPENAI_TOOLS: &str = "examples/artifacts/tools.json";

fn book() -> PriceBook {
    PriceBook::load(&[
        PathBuf::from("tests/data/flat-prices.toml"),
        PathBuf::from("tests/data/artifacts/prices.toml"),
    ])
    .expect("test prices load")
}

/// A multi-turn workload with uncertain sizes and caching, so the prefix matters on every call
/// (`PREFIX` is replaced by the system-prompt lines, `MODEL` by the route's model).
const WORKLOAD: &str = r#"
schema_version = 1
name = "artifacts"
start_month = "2027-01"
[simulation]
trials = 200
seed = 7
mode = "exact"
[traffic]
sessions_per_month = "200 to 800"
[workload]
PREFIX
turns_per_session = { dist = "poisson", mean = 3 }
user_message_tokens = { dist = "lognormal", median = 60, sigma = 0.8 }
output_tokens = { dist = "lognormal", median = 150, sigma = 0.7 }
tool_rounds_per_turn = { dist = "poisson", mean = 0.5 }
tool_result_tokens = 300
[caching]
hit_rate = "0.3 to 0.8"
[[routes]]
model = "MODEL"
"#;

fn text(prefix: &str, model: &str) -> String {
    WORKLOAD.replace("PREFIX", prefix).replace("MODEL", model)
}

/// Load scenario text as if it were a file in `dir`.
fn load(dir: &Path, text: &str) -> Scenario {
    Scenario::from_text("s.toml", text, Some(dir), &[]).unwrap_or_else(|e| panic!("{e}"))
}

fn run(s: &Scenario) -> (Prepared, Simulation) {
    let p = Prepared::new(s, &book()).unwrap_or_else(|e| panic!("{e}"));
    let sim =
        engine::simulate_prepared(s, &p, &SimOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    (p, sim)
}

/// The o200k_base count by tiktoken-rs itself, independent of billcast's counting.
fn tiktoken_o200k(text: &str) -> u64 {
    tiktoken_rs::o200k_base()
        .map(|b| b.encode_with_special_tokens(text).len() as u64)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn a_prompt_file_bills_exactly_like_its_token_count_written_as_a_number() {
    let prompt = std::fs::read_to_string(repo().join(PROMPT)).unwrap();
    let n = tiktoken_o200k(&prompt);
    assert!(n > 300, "the example prompt has {n} tokens");
    let file = load(
        repo(),
        &text(
            &format!("system_prompt = {{ file = \"{PROMPT}\" }}"),
            "art/o200k",
        ),
    );
    let number = load(
        repo(),
        &text(&format!("system_prompt_tokens = {n}"), "art/o200k"),
    );
    let (pf, a) = run(&file);
    let (_, b) = run(&number);
    assert_eq!(pf.prefix_tokens, vec![vec![n as f64]]);
    assert_eq!(a.totals, b.totals, "the bills differ");
    assert_eq!(a.components, b.components);
    assert_eq!(
        a.volumes.iter().map(|v| &v.tokens).collect::<Vec<_>>(),
        b.volumes.iter().map(|v| &v.tokens).collect::<Vec<_>>()
    );
    // The comparison can fail: one token more is a different bill.
    let (_, c) = run(&load(
        repo(),
        &text(&format!("system_prompt_tokens = {}", n + 1), "art/o200k"),
    ));
    assert_ne!(a.totals, c.totals);
}

#[test]
fn tools_add_their_cookbook_count_on_exact_routes_and_schema_json_times_ratio_elsewhere() {
    let prefix = format!(
        "system_prompt = {{ file = \"{PROMPT}\" }}\ntools = {{ file = \"{OPENAI_TOOLS}\" }}"
    );
    let s = load(repo(), &text(&prefix, "art/o200k"));
    let (p, _) = run(&s);
    let prompt = s.segments[0].workload.system_prompt_file.clone().unwrap();
    let tools = s.segments[0].workload.tools_file.clone().unwrap();
    assert_eq!(tools.tool_count(), 3);
    let exact = prompt.tokens(Tokenizer::O200kBase) + tools.tokens(Tokenizer::O200kBase);
    assert_eq!(p.prefix_tokens, vec![vec![exact as f64]]);
    // The same prefix as one number bills the same.
    let number = load(
        repo(),
        &text(&format!("system_prompt_tokens = {exact}"), "art/o200k"),
    );
    assert_eq!(run(&s).1.totals, run(&number).1.totals);

    // A tokenizer billcast cannot run: each artifact's reference count × 1.4, rounded up, plus
    // the price table's 300-token tool-use system prompt.
    let s = load(repo(), &text(&prefix, "art/claude-like"));
    let (p, _) = run(&s);
    let up = |x: u64| (x as f64 * 1.4).ceil();
    let json = tools.schema_json_tokens(Tokenizer::O200kBase);
    assert!(json > tools.tokens(Tokenizer::O200kBase), "{json}");
    let expected = up(prompt.tokens(Tokenizer::O200kBase)) + up(json) + 300.0;
    assert_eq!(p.prefix_tokens, vec![vec![expected]]);
    let report = Report::from_simulation(&s, &book(), &p, &run(&s).1);
    let row = |key: &str| {
        report
            .assumptions
            .iter()
            .find(|a| a.key == key)
            .unwrap_or_else(|| panic!("no {key}"))
            .value
            .clone()
    };
    let prompt_row = row("routes[0].workload.system_prompt");
    assert!(prompt_row.contains("estimated"), "{prompt_row}");
    let tools_row = row("routes[0].workload.tools");
    assert!(
        tools_row.contains("schema JSON") && tools_row.contains("tool-use system prompt 300"),
        "{tools_row}"
    );

    // No documented overhead on an Anthropic-family model: none counted, and a warning says so.
    let s = load(repo(), &text(&prefix, "art/claude-undocumented"));
    let (p, _) = run(&s);
    assert_eq!(p.prefix_tokens, vec![vec![expected - 300.0]]);
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("hidden tool-use system prompt") && w.contains("none is counted")),
        "{:?}",
        p.warnings
    );
}

#[test]
fn messages_and_anthropic_tool_files_are_read_and_the_report_records_them() {
    let prefix = "system_prompt = { file = \"tests/data/artifacts/few-shot.json\" }\n\
                  tools = { file = \"tests/data/artifacts/anthropic-tools.json\" }";
    let s = load(repo(), &text(prefix, "art/o200k"));
    let (p, sim) = run(&s);
    let r = Report::from_simulation(&s, &book(), &p, &sim);
    let keys: Vec<&str> = r
        .scenario
        .artifacts
        .iter()
        .map(|a| a.key.as_str())
        .collect();
    assert_eq!(keys, ["workload.system_prompt", "workload.tools"]);
    let few = &r.scenario.artifacts[0];
    assert_eq!(few.kind, "messages");
    assert_eq!(few.path, "tests/data/artifacts/few-shot.json");
    let bytes = std::fs::read(repo().join(&few.path)).unwrap();
    assert_eq!(few.sha256, billcast::pricing::book::sha256_hex(&bytes));
    assert_eq!(r.scenario.artifacts[1].kind, "Anthropic tools");
    assert_eq!(few.routes.len(), 1);
    assert!(few.routes[0].exact);
    // The saved report reads back with its artifacts, and an older one without them too.
    let json = r.to_json().unwrap();
    let back = Report::from_json("f.json", &json).unwrap();
    assert_eq!(back.scenario.artifacts, r.scenario.artifacts);
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v["scenario"].as_object_mut().unwrap().remove("artifacts");
    let old = Report::from_json("old.json", &v.to_string()).unwrap();
    assert!(old.scenario.artifacts.is_empty());
    assert!(diff::diff(&old, "old.json", &back, "new.json", None).is_ok());
}

#[test]
fn diff_names_the_changed_prompt_file_with_both_token_counts() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("prompts")).unwrap();
    let prompt = dir.path().join("prompts/support.md");
    let prefix = "system_prompt = { file = \"prompts/support.md\" }";
    let forecast = |body: &str| {
        std::fs::write(&prompt, body).unwrap();
        let s = load(dir.path(), &text(prefix, "art/o200k"));
        let (p, sim) = run(&s);
        Report::from_simulation(&s, &book(), &p, &sim)
    };
    let short = "Answer briefly.";
    let long = "Answer briefly, politely and in the customer's language. ".repeat(40);
    let base = forecast(short);
    let head = forecast(&long);
    let d = diff::diff(&base, "base.json", &head, "head.json", None).unwrap();
    let lines: Vec<String> = d.assumptions.iter().map(|a| a.line()).collect();
    let expected = format!(
        "~ workload.system_prompt: prompts/support.md changed ({} → {} tokens)",
        tiktoken_o200k(short),
        billcast::units::format_count(tiktoken_o200k(&long) as f64)
    );
    assert_eq!(lines, vec![expected], "{lines:?}");
    assert!(d.delta.mean > 0.0);
    // Identical files: no input changed.
    let again = forecast(short);
    let d = diff::diff(&base, "a", &again, "b", None).unwrap();
    assert!(d.assumptions.is_empty(), "{:?}", d.assumptions);
}

#[test]
fn a_file_replaces_a_fitted_number_and_a_cohort_may_bring_its_own() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.md"), "You are terse.").unwrap();
    std::fs::write(
        dir.path().join("q.md"),
        "You are verbose and kind. ".repeat(20),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("fitted.toml"),
        "[workload]\nsystem_prompt_tokens = 5000\noutput_tokens = 100\n",
    )
    .unwrap();
    let s = load(
        dir.path(),
        &text(
            "from = \"fitted.toml\"\nsystem_prompt = { file = \"p.md\" }",
            "art/o200k",
        )
        .replace(
            "output_tokens = { dist = \"lognormal\", median = 150, sigma = 0.7 }\n",
            "",
        ),
    );
    let w = &s.segments[0].workload;
    assert!(w.system_prompt_file.is_some());
    assert!(
        !s.assumptions
            .iter()
            .any(|a| a.key == "workload.system_prompt_tokens"),
        "the fitted number is replaced"
    );
    let (p, _) = run(&s);
    assert_eq!(
        p.prefix_tokens,
        vec![vec![Tokenizer::O200kBase.count("You are terse.") as f64]]
    );

    let cohorts = text("system_prompt = { file = \"p.md\" }", "art/o200k").replace(
        "[caching]",
        "[[traffic.cohorts]]\nname = \"a\"\nshare = 0.5\n[[traffic.cohorts]]\nname = \"b\"\nshare = 0.5\nworkload = { system_prompt = { file = \"q.md\" } }\n[caching]",
    );
    let s = load(dir.path(), &cohorts);
    let keys: Vec<&str> = s.artifacts.iter().map(|a| a.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "workload.system_prompt",
            "traffic.cohorts[1].workload.system_prompt"
        ]
    );
    let (p, _) = run(&s);
    assert_eq!(
        p.prefix_tokens[0][0],
        Tokenizer::O200kBase.count("You are terse.") as f64
    );
    assert_eq!(
        p.prefix_tokens[1][0],
        Tokenizer::O200kBase.count(&"You are verbose and kind. ".repeat(20)) as f64
    );
    // A cohort's number replaces the workload's file.
    let s = load(
        dir.path(),
        &cohorts.replace(
            "workload = { system_prompt = { file = \"q.md\" } }",
            "workload = { system_prompt_tokens = 77 }",
        ),
    );
    assert!(s.segments[1].workload.system_prompt_file.is_none());
    let (p, _) = run(&s);
    assert_eq!(p.prefix_tokens[1][0], 0.0);
}

#[test]
fn bad_artifacts_are_one_line_errors_naming_the_key_the_file_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("prompts")).unwrap();
    std::fs::write(dir.path().join("bin.md"), [0x89, b'P', b'N', b'G', 0, 1]).unwrap();
    std::fs::write(dir.path().join("t.json"), r#"[{"description": "x"}]"#).unwrap();
    std::fs::write(dir.path().join("p.md"), "hi").unwrap();
    let err = |prefix: &str| {
        Scenario::from_text("s.toml", &text(prefix, "art/o200k"), Some(dir.path()), &[])
            .map(|_| ())
            .unwrap_err()
            .to_string()
    };
    let e = err("system_prompt = { file = \"missing.md\" }");
    assert!(
        e.starts_with("s.toml: line ")
            && e.contains("workload.system_prompt: missing.md: no such file")
            && e.contains("relative to the scenario file"),
        "{e}"
    );
    assert!(!e.contains('\n'));
    let e = err("system_prompt = { file = \"prompts\" }");
    assert!(e.contains("prompts: is a folder"), "{e}");
    let e = err("system_prompt = { file = \"bin.md\" }");
    assert!(e.contains("bin.md: is a binary file"), "{e}");
    let e = err("tools = { file = \"t.json\" }");
    assert!(
        e.contains("workload.tools: t.json: tool 1 has neither"),
        "{e}"
    );
    let e = err("tools = { file = \"p.md\" }");
    assert!(e.contains("not tool definitions"), "{e}");
    let e = err("system_prompt = { file = \"p.md\" }\nsystem_prompt_tokens = 100");
    assert!(
        e.contains("workload.system_prompt")
            && e.contains("workload.system_prompt_tokens")
            && e.contains("keep one"),
        "{e}"
    );
    let e = err("system_prompt = { path = \"p.md\" }");
    assert!(e.contains("file"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// The command line: `billcast tokens`, `billcast init`, and artifact keys through `forecast`.

/// `billcast` run from the repository root (artifact paths in these tests are relative to it).
fn billcast() -> assert_cmd::Command {
    let mut c = common::billcast();
    c.current_dir(repo());
    c
}

/// Run and return (exit code, stdout, stderr).
fn cli(args: &[&str]) -> (i32, String, String) {
    let o = billcast().args(args).output().expect("billcast runs");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// A usage error: exit 2 and one `error:` line on stderr that contains `needle`.
fn assert_usage_error(args: &[&str], needle: &str) {
    let (code, _, err) = cli(args);
    assert_eq!(code, 2, "{args:?}: {err}");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "{args:?}: not one line: {err}"
    );
    assert!(err.contains(needle), "{args:?}: {err:?} lacks {needle:?}");
}

#[test]
fn tokens_counts_each_file_for_each_model_in_every_format() {
    let prompt = std::fs::read_to_string(repo().join(PROMPT)).unwrap();
    let (code, out, err) = cli(&["tokens", PROMPT, OPENAI_TOOLS, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["targets"],
        serde_json::json!(["o200k_base", "cl100k_base"])
    );
    let f = &v["files"][0];
    assert_eq!(f["path"], PROMPT);
    assert_eq!(f["counts"][0]["tokens"], tiktoken_o200k(&prompt));
    assert_eq!(f["counts"][0]["exact"], true);
    assert_eq!(
        f["sha256"].as_str().map(str::len),
        Some(64),
        "SHA-256 as hex"
    );
    assert_eq!(v["files"][1]["contents"], "3 OpenAI tool definitions");

    // A model whose tokenizer billcast cannot run: o200k count × ratio, marked estimated, with
    // the price table's tool-use prompt.
    let (code, out, err) = cli(&[
        "tokens",
        PROMPT,
        OPENAI_TOOLS,
        "--pricing",
        "tests/data/artifacts/prices.toml",
        "-m",
        "art/claude-like",
        "-m",
        "art/o200k",
        "--format",
        "csv",
    ]);
    assert_eq!(code, 0, "{err}");
    let rows: Vec<&str> = out.lines().collect();
    assert_eq!(rows.len(), 1 + 2 * 2, "{out}");
    assert!(
        rows[0].starts_with("path,sha256,kind,counted_for,tokens,exact"),
        "{out}"
    );
    let est = (tiktoken_o200k(&prompt) as f64 * 1.4).round() as u64;
    assert!(
        rows[1].contains(&format!(",art/claude-like,{est},false,0,")),
        "{}",
        rows[1]
    );
    assert!(
        rows[3].contains(",art/claude-like,") && rows[3].contains(",false,300,"),
        "{}",
        rows[3]
    );
    assert!(
        rows[4].contains(",art/o200k,") && rows[4].contains(",true,0,"),
        "{}",
        rows[4]
    );

    let (code, out, _) = cli(&["tokens", PROMPT, "--format", "markdown"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("### billcast tokens\n"), "{out}");
    let (code, out, _) = cli(&["tokens", PROMPT]);
    assert_eq!(code, 0);
    assert!(out.contains("exact (o200k_base)"), "{out}");

    // -o writes the file and nothing to stdout.
    let dir = tempfile::tempdir().unwrap();
    let o = dir.path().join("t.json");
    let (code, out, _) = cli(&[
        "tokens",
        PROMPT,
        "--format",
        "json",
        "-o",
        o.to_str().unwrap(),
    ]);
    assert_eq!((code, out.as_str()), (0, ""));
    assert!(
        std::fs::read_to_string(&o)
            .unwrap()
            .contains("\"kind\": \"tokens\"")
    );
}

#[test]
fn tokens_refuses_bad_files_and_models_with_one_line_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("folder")).unwrap();
    std::fs::write(d.join("bin.md"), [0x89, b'P', b'N', b'G', 0, 1]).unwrap();
    std::fs::write(
        d.join("bad-tools.json"),
        r#"[{"name":"f","input_schema":"object"}]"#,
    )
    .unwrap();
    let p = |n: &str| d.join(n).display().to_string();
    assert_usage_error(&["tokens", &p("nope.md")], "nope.md: no such file");
    assert_usage_error(&["tokens", &p("folder")], "folder: is a folder");
    assert_usage_error(&["tokens", &p("bin.md")], "bin.md: is a binary file");
    assert_usage_error(&["tokens", &p("bad-tools.json")], "bad-tools.json: tool 1");
    assert_usage_error(&["tokens", PROMPT, "-m", "nosuch/model"], "nosuch/model");
    // A bad file among good ones fails the whole command: nothing is silently skipped.
    let (code, out, _) = cli(&["tokens", PROMPT, &p("nope.md")]);
    assert_eq!((code, out.as_str()), (2, ""));
}

/// Every `key = value` line of a starter scenario carries a comment.
fn assert_every_key_commented(text: &str) {
    for line in text.lines() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') || l.starts_with('[') {
            continue;
        }
        assert!(l.contains(" # "), "key without a comment: {line}");
    }
}

#[test]
fn init_writes_a_commented_scenario_of_each_kind_that_forecasts_as_written() {
    let dir = tempfile::tempdir().unwrap();
    for kind in ["chatbot", "rag", "agent", "batch"] {
        let out = dir.path().join(format!("{kind}.toml"));
        let out = out.to_str().unwrap();
        let (code, _, err) = cli(&["init", "--kind", kind, "-o", out]);
        assert_eq!(code, 0, "{kind}: {err}");
        let text = std::fs::read_to_string(out).unwrap();
        assert!(text.starts_with("# Starter scenario for a"), "{text}");
        assert_every_key_commented(&text);
        let (code, stdout, err) = cli(&["forecast", out, "-n", "100", "-q", "--format", "json"]);
        assert_eq!(code, 0, "{kind} does not forecast: {err}\n{text}");
        let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert!(
            v["months"][0]["p95"].as_f64().unwrap_or(0.0) > 0.0,
            "{kind}: {stdout}"
        );
    }
    // stdout when no -o; a batch job has no users.
    let (code, out, _) = cli(&["init", "--kind", "batch"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("service_tier = \"batch\"") || out.contains("no batch tier"),
        "{out}"
    );
    assert_usage_error(&["init", "--kind", "batch", "--users", "10"], "--users");
    assert_usage_error(&["init", "--model", "nosuch/model"], "nosuch/model");
}

#[test]
fn init_reads_the_team_files_writes_paths_relative_to_the_scenario_and_keeps_existing_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("prompts")).unwrap();
    std::fs::create_dir_all(d.join("billing")).unwrap();
    std::fs::copy(repo().join(PROMPT), d.join("prompts/support.md")).unwrap();
    std::fs::copy(repo().join(OPENAI_TOOLS), d.join("tools.json")).unwrap();
    let out = d.join("billing/bot.toml");
    let args = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = [
            "init",
            "--users",
            "3000",
            "--prompt",
            "prompts/support.md",
            "--tools",
            "tools.json",
            "-o",
            "billing/bot.toml",
        ]
        .map(String::from)
        .to_vec();
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let run_in = |a: Vec<String>| {
        let o = assert_cmd::Command::cargo_bin("billcast")
            .unwrap()
            .current_dir(d)
            .args(&a)
            .output()
            .unwrap();
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (code, err) = run_in(args(&[]));
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&out).unwrap();
    let prompt = std::fs::read_to_string(repo().join(PROMPT)).unwrap();
    assert!(
        text.contains("system_prompt = { file = \"../prompts/support.md\" }"),
        "{text}"
    );
    assert!(
        text.contains("tools = { file = \"../tools.json\" }"),
        "{text}"
    );
    assert!(text.contains("monthly_active_users = 3000 "), "{text}");
    assert!(
        text.contains(&format!(
            "{} tokens on openai/gpt-5.4-mini (exact)",
            tiktoken_o200k(&prompt)
        )),
        "{text}"
    );
    assert_every_key_commented(&text);
    let (code, _, err) = cli(&["forecast", out.to_str().unwrap(), "-n", "100", "-q"]);
    assert_eq!(code, 0, "{err}");

    // An existing scenario is kept unless --force.
    std::fs::write(&out, "edited").unwrap();
    let (code, err) = run_in(args(&[]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("billing/bot.toml: the file exists; pass --force"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "edited");
    let (code, err) = run_in(args(&["--force"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), text);

    // Bad files: one line naming the file, nothing written.
    let fresh = d.join("new.toml");
    let f = fresh.to_str().unwrap();
    std::fs::write(d.join("bin.md"), [0u8, 159, 146, 150]).unwrap();
    let pd = |n: &str| d.join(n).display().to_string();
    assert_usage_error(
        &["init", "--prompt", &pd("nope.md"), "-o", f],
        "nope.md: no such file",
    );
    assert_usage_error(
        &["init", "--prompt", &pd("prompts"), "-o", f],
        "prompts: is a folder",
    );
    assert_usage_error(
        &["init", "--prompt", &pd("bin.md"), "-o", f],
        "bin.md: is a binary file",
    );
    assert_usage_error(
        &["init", "--tools", &pd("prompts/support.md"), "-o", f],
        "not tool definitions",
    );
    assert_usage_error(
        &["init", "--from", &pd("nope.toml"), "-o", f],
        "nope.toml: no such file",
    );
    assert!(!fresh.exists());
}

#[test]
fn init_from_a_fitted_workload_forecasts() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pilot.toml");
    let (code, _, err) = cli(&[
        "init",
        "--from",
        "examples/pilot/workload.toml",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("from = \""), "{text}");
    assert_every_key_commented(&text);
    let (code, _, err) = cli(&["forecast", out.to_str().unwrap(), "-n", "100", "-q"]);
    assert_eq!(code, 0, "{err}\n{text}");
}

#[test]
fn forecast_of_a_prompt_file_prints_the_same_bill_as_its_count_written_as_a_number() {
    let prompt = std::fs::read_to_string(repo().join(PROMPT)).unwrap();
    let n = tiktoken_o200k(&prompt);
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, prefix: &str| {
        let p = dir.path().join(name);
        let abs = repo().join(PROMPT);
        let prefix = prefix.replace("PROMPT", &abs.display().to_string());
        std::fs::write(&p, text(&prefix, "art/o200k")).unwrap();
        p.display().to_string()
    };
    let file = write("file.toml", "system_prompt = { file = \"PROMPT\" }");
    let number = write("number.toml", &format!("system_prompt_tokens = {n}"));
    let other = write("other.toml", &format!("system_prompt_tokens = {}", n + 1));
    let csv = |s: &str| {
        let (code, out, err) = cli(&[
            "forecast",
            s,
            "--pricing",
            "tests/data/artifacts/prices.toml",
            "--pricing",
            "tests/data/flat-prices.toml",
            "--format",
            "csv",
            "-q",
        ]);
        assert_eq!(code, 0, "{err}");
        out
    };
    let a = csv(&file);
    assert_eq!(a, csv(&number), "byte-identical monthly rows");
    assert_ne!(a, csv(&other), "one token more is another bill");
}
