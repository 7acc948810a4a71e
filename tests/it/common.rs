//! Helpers shared by the integration tests: the binary, the bundled real traces, the test
//! price table, temporary scenario files and checks on rendered charts and pages.

use std::io::Write;
use std::path::PathBuf;

use billcast::pricing::PriceBook;

/// The bundled real traces (`data/real`).
pub const REAL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/real");

/// The flat test price table's path.
pub const PRICES: &str = "tests/data/flat-prices.toml";

/// A small two-month scenario on the flat test prices (`test/plain`), fast enough for any
/// command's test.
pub const SMALL: &str = r#"schema_version = 1
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

/// The `billcast` binary under test.
pub fn billcast() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("billcast").expect("binary built")
}

/// The flat test price table (`tests/data/flat-prices.toml`: round numbers for closed forms).
pub fn book() -> PriceBook {
    PriceBook::load(&[PathBuf::from(PRICES)]).expect("test prices load")
}

/// Writes `text` to `name` in `dir` and returns its path.
pub fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let p = dir.path().join(name);
    let mut f = std::fs::File::create(&p).expect("temp file");
    f.write_all(text.as_bytes()).expect("write");
    p
}

/// Width and height of a PNG, from its IHDR chunk (checks the signature first).
pub fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR", "PNG starts with IHDR");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&bytes[16..20]), be(&bytes[20..24]))
}

/// A page that loads nothing from elsewhere: no scripts, stylesheets, images or frames, no
/// external URL in any attribute or CSS.
pub fn assert_self_contained(page: &str) {
    let lower = page.to_lowercase();
    for bad in ["<script", "<link", "<img", "<iframe", "@import"] {
        assert!(!lower.contains(bad), "page contains {bad}");
    }
    for attr in ["src=", "href=", "url("] {
        for scheme in ["http:", "https:", "//"] {
            for q in ["\"", "'", ""] {
                let bad = format!("{attr}{q}{scheme}");
                assert!(!lower.contains(&bad), "external fetch: {bad}");
            }
        }
    }
}

/// The LiteLLM price file the bundled LiteLLM layer was built from.
pub const LITELLM: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/pricing/litellm_model_prices.json"
);

/// [`LITELLM`] as a JSON object.
pub fn litellm_json() -> serde_json::Map<String, serde_json::Value> {
    let text = std::fs::read_to_string(LITELLM).unwrap();
    match serde_json::from_str(&text).unwrap() {
        serde_json::Value::Object(m) => m,
        other => panic!("the snapshot is not an object: {other}"),
    }
}

/// The LiteLLM file with gpt-4o's input repriced to $3/MTok, gpt-4o-mini removed and
/// `openai/brand-new` added, written into `dir` as `newer.json`.
pub fn newer_litellm(dir: &tempfile::TempDir) -> PathBuf {
    let mut m = litellm_json();
    m["gpt-4o"]["input_cost_per_token"] = serde_json::json!(3e-6);
    assert!(m.remove("gpt-4o-mini").is_some());
    m.insert(
        "brand-new".into(),
        serde_json::json!({ "litellm_provider": "openai", "mode": "chat",
            "input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6 }),
    );
    let text = serde_json::to_string(&serde_json::Value::Object(m)).unwrap();
    write(dir, "newer.json", &text)
}

/// The `--format` values a command lists in its `--help`.
pub fn listed_formats(cmd: &[&str]) -> Vec<String> {
    let out = billcast()
        .args(cmd)
        .arg("--help")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
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
        .collect()
}

/// The subcommands a command lists in its `--help`.
pub fn listed_subcommands(cmd: &[&str]) -> Vec<String> {
    let out = billcast().args(cmd).arg("--help").output().unwrap().stdout;
    let help = String::from_utf8(out).unwrap();
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("    "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|c| c != "help")
        .collect()
}

/// Uncertain volume, growth and per-call lengths, billed timeouts, a $2 budget; about 100
/// sessions a month (the what-if tests and their charts).
pub const UNCERTAIN: &str = r#"schema_version = 1
name = "uncertain"
start_month = "2027-01"
horizon_months = 2
[simulation]
trials = 60
seed = 7
mode = "exact"
[traffic]
monthly_active_users = "20 to 120"
sessions_per_user = { dist = "gamma", mean = 2, cv = 0.4 }
monthly_growth = { dist = "normal", mean = 0.05, sd = 0.02 }
[workload]
system_prompt_tokens = 800
turns_per_session = { dist = "poisson", mean = 2, offset = 1 }
user_message_tokens = { dist = "lognormal", median = 40, sigma = 0.7 }
output_tokens = { dist = "lognormal", median = 120, sigma = 0.6 }
[caching]
hit_rate = "0.3 to 0.7"
[retries]
max_attempts = 2
timeout = { p = 0.05, billed = true }
[[routes]]
model = "test/plain"
share = 1.0
[budget]
monthly_usd = 2
"#;

/// A temporary directory holding [`SMALL`] as `s.toml` and the flat test prices as
/// `flat-prices.toml`, for commands that name their inputs relatively (no machine path in
/// their output).
pub fn small() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    write(&dir, "s.toml", SMALL);
    std::fs::copy(PRICES, dir.path().join("flat-prices.toml")).expect("copy the flat prices");
    dir
}

/// The output names no absolute path of this machine: neither the directory the command ran
/// in nor the checkout (a snapshot must pass on any machine and in CI's isolated copy).
pub fn assert_machine_independent(text: &str, cwd: &std::path::Path, what: &str) {
    for p in [cwd, std::path::Path::new(env!("CARGO_MANIFEST_DIR"))] {
        let p = p.to_str().expect("a UTF-8 path");
        assert!(!text.contains(p), "{what}: the output names {p}");
    }
}
