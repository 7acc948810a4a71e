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

/// The text formats `cmd --help` lists.
fn text_formats(cmd: &[&str]) -> Vec<String> {
    let mut f = listed_formats(cmd);
    f.retain(|f| TEXT.contains(&f.as_str()));
    f
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
    let formats = text_formats(cmd);
    assert!(!formats.is_empty(), "{cmd:?} lists no text format");
    for r in refused {
        assert!(formats.iter().any(|f| f == r), "{cmd:?} does not list {r}");
    }
    for f in &formats {
        let mut all = args.to_vec();
        all.extend(strings(&["--format", f, "-o", "-"]));
        let refuse = refused.contains(&f.as_str());
        snap_one(&format!("{name}_{f}"), cmd, &all, refuse, &dir);
    }
}

/// Runs `billcast CMD ARGS` in `dir` and snapshots its standard output as `snapshot`; or, if
/// it must be `refused`, checks it exits 2 having printed nothing and snapshots its error as
/// `SNAPSHOT_refused`.
fn snap_one(snapshot: &str, cmd: &[&str], args: &[String], refused: bool, dir: &Dir) {
    let cwd = dir.path();
    let out = billcast()
        .current_dir(&cwd)
        .args(cmd)
        .args(args)
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    let what = format!("billcast {} {}", cmd.join(" "), args.join(" "));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let (snapshot, text) = if refused {
        let code = out.status.code();
        assert_eq!(code, Some(2), "{what} should be refused: {stderr}");
        assert!(out.stdout.is_empty(), "{what} printed before refusing");
        (format!("{snapshot}_refused"), stderr)
    } else {
        let code = out.status.code();
        assert!(out.status.success(), "{what}: exit {code:?}\n{stderr}");
        let text = String::from_utf8(out.stdout).unwrap_or_else(|e| panic!("{what}: {e}"));
        (snapshot.to_string(), text)
    };
    assert_machine_independent(&text, &cwd, &what);
    insta::with_settings!({ description => what, omit_expression => true }, {
        insta::assert_snapshot!(snapshot, text);
    });
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
    let args = fit_args(PILOT);
    // With -o - standard output is the workload file (any --format but the table's is
    // refused: it would share standard output with the file).
    snap_all("fit_workload", &["fit"], &args, &["json"], Dir::Repo);
    // Without -o, standard output is the fit table (the `fit` kind) in each format.
    for f in text_formats(&["fit"]) {
        let mut all = args.clone();
        all.extend(strings(&["--format", &f]));
        snap_one(&format!("fit_{f}"), &["fit"], &all, false, &Dir::Repo);
    }
}

/// `backtest` of the pilot log's agent calls (fit on the first 150), 200 trials, seed 7.
fn backtest_args(pilot: &str) -> Vec<String> {
    strings(&[
        pilot,
        "--caller",
        "agent",
        "--fit-first",
        "150",
        "-n",
        "200",
        "--seed",
        "7",
        "-q",
    ])
}

/// `fit` of the pilot log with a seeded sample of whole sessions.
fn fit_args(pilot: &str) -> Vec<String> {
    strings(&[pilot, "-q", "--seed", "7", "--max-records", "150"])
}

#[test]
fn backtest() {
    // --calibrate-shift (the shift_calibration kind) reruns the backtests of every real trace:
    // minutes, not a snapshot's seconds; it is left out.
    snap_all(
        "backtest",
        &["backtest"],
        &backtest_args(PILOT),
        &[],
        Dir::Repo,
    );
}

#[test]
fn pricing() {
    // The flat test table: no dated schedule, so the rates listed (as of today) never move.
    let list = strings(&["--pricing", PRICES, "--provider", "test"]);
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
    // Run beside newer.json, outside the repository: compared with the LiteLLM layer built into
    // the binary (in the repository it is compared with pricing/litellm, the same 1.110.2).
    let dir = tempfile::tempdir().unwrap();
    newer_litellm(&dir);
    let update = strings(&[
        "newer.json",
        "--litellm-version",
        "1.111.0",
        "--dry-run",
        "--retrieved",
        "2026-11-26",
    ]);
    let cmd = ["pricing", "update"];
    snap_all("pricing_update", &cmd, &update, &[], Dir::Temp(&dir));
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

/// Every command that lists a text format has one snapshot per format (of its output, or of
/// its refusal), and every result kind is in a JSON snapshot, except `shift_calibration`
/// (`backtest --calibrate-shift` reruns the backtests of every real trace: minutes, not the
/// seconds a snapshot may take). A new command, format or kind fails here until it is added.
/// It reads the committed snapshot files: when they are first written (`INSTA_UPDATE=always`)
/// it may run before the others have written theirs; run it again.
#[test]
fn every_command_format_and_kind_has_a_snapshot() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/snapshots");
    let files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "snap"))
        .map(|p| {
            let name = p.file_name().unwrap().to_str().unwrap().to_string();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    let has = |name: &str| files.iter().any(|(n, _)| n == name);
    let commands: Vec<Vec<String>> = listed_subcommands(&[])
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
    let mut checked = 0;
    for c in &commands {
        let c: Vec<&str> = c.iter().map(String::as_str).collect();
        let base = match c.join("_").as_str() {
            "calibrate" => "calibration".to_string(),
            "render" => "render_compare".to_string(),
            other => other.to_string(),
        };
        for f in text_formats(&c) {
            let (out, refused) = (
                format!("it__snapshots__{base}_{f}.snap"),
                format!("it__snapshots__{base}_{f}_refused.snap"),
            );
            assert!(
                has(&out) || has(&refused),
                "`billcast {} --format {f}` has no snapshot ({out})",
                c.join(" ")
            );
            checked += 1;
        }
    }
    assert!(checked >= 60, "only {checked} command × format pairs");
    // The kinds in the JSON snapshots (the body follows the second `---` line).
    let kinds: Vec<String> = files
        .iter()
        .filter(|(n, _)| n.ends_with("_json.snap"))
        .map(|(n, text)| {
            let body = text.splitn(3, "---\n").nth(2).unwrap();
            let v: serde_json::Value =
                serde_json::from_str(body).unwrap_or_else(|e| panic!("{n}: not JSON: {e}"));
            v["kind"].as_str().unwrap().to_string()
        })
        .collect();
    for k in billcast::results::Kind::ALL {
        if k == billcast::results::Kind::ShiftCalibration {
            continue;
        }
        let k = serde_json::to_value(k).unwrap();
        assert!(
            kinds.iter().any(|x| k == x.as_str()),
            "no JSON snapshot of kind {k}"
        );
    }
}

/// Runs `billcast CMD ARGS` in `dir` and returns its standard output (it must succeed).
fn stdout_of(dir: &Path, cmd: &[&str], args: &[String]) -> String {
    let out = billcast()
        .current_dir(dir)
        .args(cmd)
        .args(args)
        .timeout(std::time::Duration::from_secs(300))
        .output()
        .unwrap();
    let what = format!("billcast {} {}", cmd.join(" "), args.join(" "));
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// `render` of a saved backtest, shift calibration, bill calibration and fit prints, in every
/// text format, exactly what the command printed: they go through the same exporters, and the
/// bodies read back whole. A fit has no CSV: refused by name, before anything is printed.
#[test]
fn render_reproduces_the_commands_that_were_not_renderable_before() {
    let dir = small();
    let mut forecast = strings(&["s.toml"]);
    forecast.extend(flat());
    save(&dir, "f.json", &["forecast"], &forecast);
    write(&dir, "bills.csv", "month,amount\n2027-01,3.5\n2027-02,4\n");
    let pilot = Path::new(env!("CARGO_MANIFEST_DIR")).join(PILOT);
    let pilot = pilot.to_str().unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/real");
    let cases: Vec<(&str, Vec<&str>, Vec<String>)> = vec![
        ("backtest", vec!["backtest"], backtest_args(pilot)),
        (
            "shift",
            vec!["backtest"],
            strings(&[
                "--calibrate-shift",
                data.to_str().unwrap(),
                "--grid",
                "0.2",
                "-q",
            ]),
        ),
        (
            "calibration",
            vec!["calibrate"],
            strings(&["--forecasts", "f.json", "--actuals", "bills.csv"]),
        ),
        ("fit", vec!["fit"], fit_args(pilot)),
    ];
    for (name, cmd, args) in &cases {
        let saved = format!("{name}.json");
        if *name == "fit" {
            // fit's -o is the workload file: its result is what it prints.
            let mut json = args.clone();
            json.extend(strings(&["--format", "json"]));
            write(&dir, &saved, &stdout_of(dir.path(), cmd, &json));
        } else {
            save(&dir, &saved, cmd, args);
        }
        for f in text_formats(cmd) {
            let mut with = args.clone();
            with.extend(strings(&["--format", &f]));
            let direct = stdout_of(dir.path(), cmd, &with);
            let again = stdout_of(dir.path(), &["render"], &strings(&[&saved, "--format", &f]));
            assert_eq!(again, direct, "render {saved} --format {f}");
        }
    }
    let out = billcast()
        .current_dir(dir.path())
        .args(["render", "fit.json", "--format", "csv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("fit.json: a fit result has no CSV"), "{err}");
    let md = stdout_of(
        dir.path(),
        &["render"],
        &strings(&["fit.json", "--format", "markdown"]),
    );
    assert!(md.contains("| Quantity | n | Family |"), "{md}");
}
