//! Artifacts in scenarios (issue 19): a system prompt and tool definitions read from files,
//! counted per route, billed like the same count written as a number, recorded in the report
//! and diffed by file.

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
