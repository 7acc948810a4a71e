//! Output snapshots (issue 20, item 6): every result kind in every text format its command
//! lists, from small seeded runs, compared byte for byte with the files in
//! `tests/it/snapshots/` (insta). A changed or missing snapshot fails the test; review the
//! `.snap.new` files with `cargo insta review`, or rewrite them all with
//! `INSTA_UPDATE=always cargo test --test it snapshots`.
//!
//! Nothing is redacted: commands whose inputs are written at test time run inside their
//! temporary directory and name the files relatively, so no output holds a path that differs
//! between machines (checked), and none prints today's date or a duration. The engine runs with
//! `SNAPSHOT_THREADS` workers (2 unless set): the output must not depend on it, so the
//! snapshots pass with any value.

use crate::common::*;

use std::path::{Path, PathBuf};

/// A scenario small enough for 200 exact trials to take milliseconds (as `SMALL` in `cli.rs`).
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

/// The flat test prices; copied beside [`SMALL`] as `flat-prices.toml`.
const FLAT: &str = "tests/data/flat-prices.toml";
const PILOT: &str = "examples/pilot/support-agent-calls.csv";

/// The text formats a command may list (the chart formats, svg and png, are not results).
const TEXT: [&str; 5] = ["table", "json", "csv", "markdown", "html"];

/// Where a command runs: the repository (its files named relative to it) or a test's
/// temporary directory holding the inputs written for it.
enum Dir<'a> {
    Repo,
    Temp(&'a tempfile::TempDir),
}

impl Dir<'_> {
    fn path(&self) -> PathBuf {
        match self {
            Dir::Repo => PathBuf::from(env!("CARGO_MANIFEST_DIR")),
            Dir::Temp(t) => t.path().to_path_buf(),
        }
    }
}

/// Worker threads of every engine run: `SNAPSHOT_THREADS` or 2.
fn threads() -> String {
    std::env::var("SNAPSHOT_THREADS").unwrap_or_else(|_| "2".to_string())
}

fn strings(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|s| s.to_string()).collect()
}

/// Engine flags of every simulating command: 200 trials, seed 7, quiet, `threads()` workers.
fn engine() -> Vec<String> {
    let mut e = strings(&["-n", "200", "--seed", "7", "-q", "--threads"]);
    e.push(threads());
    e
}

/// [`engine`] with the flat test prices (run in a [`small`] directory).
fn flat() -> Vec<String> {
    let mut e = strings(&["--pricing", "flat-prices.toml"]);
    e.extend(engine());
    e
}

/// A temporary directory holding the small scenario (`s.toml`) and the flat prices.
fn small() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(&dir, "s.toml", SMALL);
    std::fs::copy(FLAT, dir.path().join("flat-prices.toml")).unwrap();
    dir
}

/// The text formats `cmd --help` lists (the same parse as `cli.rs`).
fn listed_formats(cmd: &[&str]) -> Vec<String> {
    let out = billcast().args(cmd).arg("--help").output().unwrap().stdout;
    let help = String::from_utf8(out).unwrap();
    let Some(at) = help.find("--format <FORMAT>") else {
        return vec![];
    };
    help[at..]
        .lines()
        .skip_while(|l| !l.contains("Possible values:"))
        .skip(1)
        .map_while(|l| l.trim().strip_prefix("- "))
        .map(|l| l.split(':').next().unwrap().trim().to_string())
        .filter(|f| TEXT.contains(&f.as_str()))
        .collect()
}

/// Saves `billcast CMD ARGS --format json` as `name` in `dir` (run there).
fn save(dir: &tempfile::TempDir, name: &str, cmd: &[&str], args: &[String]) {
    billcast()
        .current_dir(dir.path())
        .args(cmd)
        .args(args)
        .args(["--format", "json", "-o", name])
        .assert()
        .success();
}

/// Runs `billcast CMD ARGS --format F -o -` in `dir` for every text format `cmd` lists and
/// snapshots its standard output as `NAME_F`, except for the formats in `refused`: those must
/// exit 2 before printing anything, and their error is snapshotted as `NAME_F_refused`.
fn snap_all(name: &str, cmd: &[&str], args: &[String], refused: &[&str], dir: Dir) {
    let formats = listed_formats(cmd);
    assert!(!formats.is_empty(), "{cmd:?} lists no text format");
    for r in refused {
        assert!(formats.iter().any(|f| f == r), "{cmd:?} does not list {r}");
    }
    let cwd = dir.path();
    for f in &formats {
        let out = billcast()
            .current_dir(&cwd)
            .args(cmd)
            .args(args)
            .args(["--format", f, "-o", "-"])
            .timeout(std::time::Duration::from_secs(120))
            .output()
            .unwrap();
        let what = format!(
            "billcast {} {} --format {f} -o -",
            cmd.join(" "),
            args.join(" ")
        );
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let (snapshot, text) = if refused.contains(&f.as_str()) {
            assert_eq!(
                out.status.code(),
                Some(2),
                "{what} should be refused: {stderr}"
            );
            assert!(out.stdout.is_empty(), "{what} printed before refusing");
            (format!("{name}_{f}_refused"), stderr)
        } else {
            assert!(
                out.status.success(),
                "{what}: exit {:?}\n{stderr}",
                out.status.code()
            );
            let text = String::from_utf8(out.stdout).unwrap_or_else(|e| panic!("{what}: {e}"));
            (format!("{name}_{f}"), text)
        };
        assert_machine_independent(&text, &cwd, &what);
        insta::with_settings!({ description => what, omit_expression => true }, {
            insta::assert_snapshot!(snapshot, text);
        });
    }
}

/// The output names no absolute path of this machine: neither the directory the command ran
/// in nor the checkout (a snapshot must pass on any machine and in CI's isolated copy).
fn assert_machine_independent(text: &str, cwd: &Path, what: &str) {
    for p in [cwd, Path::new(env!("CARGO_MANIFEST_DIR"))] {
        let p = p.to_str().unwrap();
        assert!(!text.contains(p), "{what}: the output names {p}");
    }
}

#[test]
fn forecast() {
    let dir = small();
    let mut args = strings(&["s.toml"]);
    args.extend(flat());
    snap_all("forecast", &["forecast"], &args, &[], Dir::Temp(&dir));
}

#[test]
fn overhead() {
    // multi-provider prices real models: the bundled tables, not the flat test table.
    let mut args = strings(&["scenarios/multi-provider.toml"]);
    args.extend(engine());
    snap_all("overhead", &["overhead"], &args, &[], Dir::Repo);
}

#[test]
fn compare() {
    let dir = small();
    let mut args = strings(&["s.toml", "--vary", "traffic.sessions_per_month=100,200"]);
    args.extend(flat());
    snap_all("compare", &["compare"], &args, &[], Dir::Temp(&dir));
}

#[test]
fn sweep() {
    let dir = small();
    let mut args = strings(&[
        "s.toml",
        "--param",
        "traffic.sessions_per_month",
        "--values",
        "100,200,400",
    ]);
    args.extend(flat());
    snap_all("sweep", &["sweep"], &args, &[], Dir::Temp(&dir));
}

#[test]
fn solve() {
    let dir = small();
    let mut args = strings(&[
        "s.toml",
        "--param",
        "traffic.sessions_per_month",
        "--budget",
        "5",
    ]);
    args.extend(flat());
    snap_all("solve", &["solve"], &args, &[], Dir::Temp(&dir));
}

#[test]
fn sensitivity() {
    let dir = small();
    let mut args = strings(&["s.toml", "--tornado-trials", "50", "--bootstrap", "20"]);
    args.extend(flat());
    snap_all("sensitivity", &["sensitivity"], &args, &[], Dir::Temp(&dir));
}

#[test]
fn diff() {
    let dir = small();
    let mut args = strings(&["s.toml"]);
    args.extend(flat());
    save(&dir, "before.json", &["forecast"], &args);
    args.extend(strings(&["--set", "traffic.sessions_per_month=200 to 400"]));
    save(&dir, "after.json", &["forecast"], &args);
    let args = strings(&["before.json", "after.json"]);
    snap_all("diff", &["diff"], &args, &[], Dir::Temp(&dir));
}

#[test]
fn calibrate() {
    let dir = small();
    let mut args = strings(&["s.toml"]);
    args.extend(flat());
    save(&dir, "f.json", &["forecast"], &args);
    write(&dir, "bills.csv", "month,amount\n2027-01,3.5\n2027-02,4\n");
    let args = strings(&["--forecasts", "f.json", "--actuals", "bills.csv"]);
    snap_all("calibration", &["calibrate"], &args, &[], Dir::Temp(&dir));
}

#[test]
fn fit() {
    // A seeded sample of whole sessions keeps the fitted file (which lists the sessions it
    // replays) a few kilobytes.
    let args = strings(&[PILOT, "-q", "--seed", "7", "--max-records", "150"]);
    snap_all("fit", &["fit"], &args, &[], Dir::Repo);
}

#[test]
fn backtest() {
    // --calibrate-shift (the shift_calibration kind) reruns the backtests of every real trace:
    // minutes, not a snapshot's seconds; it is left out.
    let args = strings(&[
        PILOT,
        "--caller",
        "agent",
        "--fit-first",
        "150",
        "-n",
        "200",
        "--seed",
        "7",
        "-q",
    ]);
    snap_all("backtest", &["backtest"], &args, &[], Dir::Repo);
}

#[test]
fn pricing() {
    // The flat test table: no dated schedule, so the rates listed (as of today) never move.
    let list = strings(&["--pricing", FLAT, "--provider", "test"]);
    snap_all("pricing_list", &["pricing", "list"], &list, &[], Dir::Repo);
    // One model of the bundled tables: several tables, so no CSV.
    let show = strings(&["openai/gpt-6.1-sol"]);
    snap_all(
        "pricing_show",
        &["pricing", "show"],
        &show,
        &["csv"],
        Dir::Repo,
    );
    // --date: the price date defaults to today, which the output prints.
    let cost = strings(&[
        "openai/gpt-6.1-sol",
        "--date",
        "2027-01-15",
        "--input",
        "12000",
        "--cached",
        "10000",
        "--output",
        "800",
        "--tool",
        "web_search=2",
    ]);
    snap_all("pricing_cost", &["pricing", "cost"], &cost, &[], Dir::Repo);
    // --today: staleness is measured from it (default today).
    let check = strings(&["--today", "2027-12-01"]);
    snap_all(
        "pricing_check",
        &["pricing", "check"],
        &check,
        &[],
        Dir::Repo,
    );
}

#[test]
fn tokens() {
    let args = strings(&[
        "examples/artifacts/prompts/support.md",
        "examples/artifacts/tools.json",
    ]);
    snap_all("tokens", &["tokens"], &args, &[], Dir::Repo);
}

#[test]
fn render_of_a_saved_compare() {
    let dir = small();
    let mut args = strings(&["s.toml", "--vary", "traffic.sessions_per_month=100,200"]);
    args.extend(flat());
    save(&dir, "compare.json", &["compare"], &args);
    // A compare has no HTML page of its own (that is the forecast's): refused.
    let args = strings(&["compare.json"]);
    snap_all(
        "render_compare",
        &["render"],
        &args,
        &["html"],
        Dir::Temp(&dir),
    );
}

#[test]
fn report_markdown() {
    // `report` has no --format: it writes a folder; its Markdown page (the decision pack with
    // every section) is the text to pin. report.html is the forecast's HTML page plus the same
    // sections, checked in a browser by CI.
    let dir = small();
    let mut args = strings(&[
        "s.toml",
        "-o",
        "out",
        "--vary",
        "traffic.sessions_per_month=100,200",
        "--solve",
        "traffic.sessions_per_month",
        "--sensitivity",
    ]);
    args.extend(flat());
    billcast()
        .current_dir(dir.path())
        .arg("report")
        .args(&args)
        .assert()
        .success();
    let md = std::fs::read_to_string(dir.path().join("out/report.md")).unwrap();
    let what = format!("billcast report {} (out/report.md)", args.join(" "));
    assert_machine_independent(&md, dir.path(), &what);
    insta::with_settings!({ description => what, omit_expression => true }, {
        insta::assert_snapshot!("report_markdown", md);
    });
}
