//! The what-if charts (compare overlay, sweep bands, sensitivity tornado): well-formed SVG with
//! the labels a reader needs, byte-identical across runs with the same seed, slide-sized PNG,
//! typed errors for what cannot be drawn, and `--chart FILE` on the three commands. Scenarios
//! are tiny and run in exact mode on the flat test prices, so the whole file runs in seconds.

use crate::common::*;

use std::path::{Path, PathBuf};

use billcast::charts::{self, ChartError, ChartFormat};
use billcast::scenario::Scenario;
use billcast::whatif::{
    self, RunOptions, Vary,
    compare::{Comparison, compare},
    sensitivity::{Sensitivity, SensitivityOptions, sensitivity},
    sweep::Sweep,
};
use predicates::prelude::*;

fn scenario_file(dir: &Path) -> PathBuf {
    let p = dir.join("uncertain.toml");
    std::fs::write(&p, UNCERTAIN).unwrap();
    p
}

/// Two models with the same draws: the second doubles the output price.
fn comparison() -> Comparison {
    let dir = tempfile::tempdir().unwrap();
    let vary = Vary::parse("--vary", "routes.0.model=test/plain,test/pricey-output").unwrap();
    let vs = whatif::load_grid(&scenario_file(dir.path()), &[], &[vary], "--vary").unwrap();
    compare(vs, &book(), None, &RunOptions::default()).unwrap()
}

fn sweep_over(param: &str, values: &[&str]) -> Sweep {
    let dir = tempfile::tempdir().unwrap();
    whatif::sweep::sweep(
        &scenario_file(dir.path()),
        &["simulation.trials=30".into()],
        param,
        values.iter().map(|v| v.to_string()).collect(),
        &book(),
        None,
        &RunOptions::default(),
    )
    .unwrap()
}

fn analysis() -> Sensitivity {
    let s = Scenario::from_text("t.toml", UNCERTAIN, None, &[]).unwrap();
    let opts = SensitivityOptions {
        month: None,
        sobol_trials: 40,
        tornado_trials: 10,
        bootstrap: 20,
        mode: None,
        progress: None,
        resimulate: false,
    };
    sensitivity(&s, &book(), &opts).unwrap()
}

fn svg(bytes: Vec<u8>) -> String {
    let s = String::from_utf8(bytes).expect("SVG is UTF-8");
    assert_well_formed(&s);
    s
}

/// A minimal XML check without an XML parser: tags nest and close, the root is one `<svg>`,
/// `&` only starts an entity, and nothing plotters writes is broken (negative sizes, NaN).
fn assert_well_formed(svg: &str) {
    assert!(
        svg.starts_with("<svg"),
        "not an SVG: {}",
        &svg[..40.min(svg.len())]
    );
    let mut stack: Vec<&str> = Vec::new();
    let mut roots = 0;
    let mut rest = svg;
    while let Some(open) = rest.find('<') {
        assert_entities(&rest[..open]);
        let close = open + rest[open..].find('>').expect("a tag is never closed");
        let tag = &rest[open + 1..close];
        assert!(!tag.contains('<'), "'<' inside a tag: {tag}");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop(), Some(name.trim()), "mismatched </{name}>");
        } else if !tag.starts_with('?') && !tag.starts_with('!') {
            let name = tag.split_whitespace().next().unwrap_or("");
            if stack.is_empty() {
                roots += 1;
            }
            if !tag.ends_with('/') {
                stack.push(name);
            }
        }
        rest = &rest[close + 1..];
    }
    assert!(rest.trim().is_empty(), "text after the root element");
    assert!(stack.is_empty(), "unclosed elements: {stack:?}");
    assert_eq!(roots, 1, "exactly one root element");
    assert!(!svg.contains("width=\"-"), "negative width");
    assert!(!svg.contains("height=\"-"), "negative height");
    assert!(
        !svg.contains("NaN") && !svg.contains("inf"),
        "non-finite coordinates"
    );
    assert!(svg.contains("font-family:'DejaVu Sans'"), "font rule");
}

fn assert_entities(text: &str) {
    for (i, _) in text.match_indices('&') {
        let entity = &text[i + 1..];
        let end = entity.find(';').expect("'&' without ';'");
        assert!(
            end > 0
                && entity[..end]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '#'),
            "bare '&' in text: {text}"
        );
    }
}

fn assert_contains(svg: &str, texts: &[&str]) {
    for t in texts {
        assert!(svg.contains(t), "SVG lacks {t:?}");
    }
}

#[test]
fn compare_chart_overlays_every_variant_under_its_name() {
    let c = comparison();
    let s = svg(charts::compare(&c, ChartFormat::Svg).unwrap());
    assert_contains(
        &s,
        &[
            "Chance the 2027-02 bill exceeds an amount: 2 variants",
            "P(monthly bill &gt; x)",
            "Monthly bill, x (USD)",
            "test/plain: P50 $",
            "test/pricey-output: P50 $",
            "P50 of each variant",
            "P95 of each variant",
            "over budget",
        ],
    );
    // The $2 budget is drawn, or said to be off the chart when far beyond every P99.
    assert!(s.contains("Budget $2") || s.contains("budget $2 is off the chart"));
}

#[test]
fn sweep_chart_labels_the_swept_key_and_its_values() {
    let s = sweep_over(
        "workload.system_prompt_tokens",
        &["200", "800", "1600", "3200"],
    );
    let chart = svg(charts::sweep(&s, ChartFormat::Svg).unwrap());
    assert_contains(
        &chart,
        &[
            "The 2027-02 bill as workload.system_prompt_tokens varies",
            ">\nworkload.system_prompt_tokens\n<",
            "Monthly bill (USD)",
            "Median (P50)",
            "P5–P95: 90% of worlds",
            "P25–P75: 50% of worlds",
            "P95 (1 world in 20",
            "Budget $2/month",
            ">\n3,200\n<",
            ">\n200\n<",
        ],
    );
    assert!(!chart.contains("(log scale)"));
}

#[test]
fn sweep_chart_uses_a_log_axis_for_ratios_and_slots_for_words() {
    let log = sweep_over("traffic.monthly_active_users", &["10", "100", "1000"]);
    let chart = svg(charts::sweep(&log, ChartFormat::Svg).unwrap());
    assert_contains(
        &chart,
        &["traffic.monthly_active_users (log scale)", ">\n1,000\n<"],
    );
    let words = sweep_over("routes.0.model", &["test/plain", "test/pricey-output"]);
    let chart = svg(charts::sweep(&words, ChartFormat::Svg).unwrap());
    assert_contains(&chart, &[">\ntest/plain\n<", ">\ntest/pricey-output\n<"]);
    let one = sweep_over("caching.hit_rate", &["0.5"]);
    let chart = svg(charts::sweep(&one, ChartFormat::Svg).unwrap());
    assert_contains(&chart, &[">\n0.5\n<"]);
}

#[test]
fn tornado_chart_names_every_input() {
    let a = analysis();
    let chart = svg(charts::tornado(&a, ChartFormat::Svg).unwrap());
    assert_contains(
        &chart,
        &[
            "What moves the P95 of the 2027-02 bill",
            "P95 of the 2027-02 bill (USD)",
            "Input at its P10",
            "Input at its P90",
            "Every input at its median: P95 $",
        ],
    );
    for row in &a.tornado {
        assert!(chart.contains(&row.label), "tornado lacks {}", row.label);
    }
    assert!(chart.contains("monthly active users (") && chart.contains("cache hit rate (0."));
}

#[test]
fn what_if_charts_are_byte_identical_across_runs_with_the_same_seed() {
    let (c1, c2) = (comparison(), comparison());
    let values = ["200", "800", "3200"];
    let param = "workload.system_prompt_tokens";
    let (s1, s2) = (sweep_over(param, &values), sweep_over(param, &values));
    let (t1, t2) = (analysis(), analysis());
    for f in [ChartFormat::Svg, ChartFormat::Png] {
        assert_eq!(
            charts::compare(&c1, f).unwrap(),
            charts::compare(&c2, f).unwrap()
        );
        assert_eq!(
            charts::sweep(&s1, f).unwrap(),
            charts::sweep(&s2, f).unwrap()
        );
        assert_eq!(
            charts::tornado(&t1, f).unwrap(),
            charts::tornado(&t2, f).unwrap()
        );
    }
}

#[test]
fn what_if_charts_render_slide_sized_pngs() {
    let pngs = [
        charts::compare(&comparison(), ChartFormat::Png).unwrap(),
        charts::sweep(
            &sweep_over("caching.hit_rate", &["0", "0.9"]),
            ChartFormat::Png,
        )
        .unwrap(),
        charts::tornado(&analysis(), ChartFormat::Png).unwrap(),
    ];
    for png in pngs {
        assert_eq!(png_size(&png), (1200, 675));
        assert!(png.len() > 10_000, "PNG suspiciously small");
    }
}

#[test]
fn what_cannot_be_drawn_is_a_typed_error_and_edge_cases_still_draw() {
    let mut c = comparison();
    let first = c.variants[0].clone();
    c.variants = vec![first.clone(); charts::compare::MAX_VARIANTS + 1];
    let e = charts::compare(&c, ChartFormat::Svg).unwrap_err();
    assert!(matches!(e, ChartError::NoData { .. }));
    assert!(e.to_string().contains("variants are more than"), "{e}");
    c.variants.truncate(charts::compare::MAX_VARIANTS);
    for v in &mut c.variants[..3] {
        // Every world at $0, and quantiles out of order (a hand-edited file).
        v.summary.quantiles = vec![0.0; 101];
        v.summary.p50 = 0.0;
        v.summary.p95 = 0.0;
    }
    c.variants[4].summary.quantiles.reverse();
    svg(charts::compare(&c, ChartFormat::Svg).unwrap());
    c.variants[0].summary.quantiles = vec![f64::NAN; 101];
    assert!(matches!(
        charts::compare(&c, ChartFormat::Svg),
        Err(ChartError::NoData { .. })
    ));
    c.variants.clear();
    assert!(charts::compare(&c, ChartFormat::Svg).is_err());

    let mut s = sweep_over("caching.hit_rate", &["0", "0.9"]);
    s.budget_usd = None;
    for p in &mut s.points {
        p.summary.p5 = 0.0;
        p.summary.p50 = 0.0;
        p.summary.p95 = f64::INFINITY;
    }
    let chart = svg(charts::sweep(&s, ChartFormat::Svg).unwrap());
    assert!(!chart.contains("Budget"));
    s.points.clear();
    assert!(matches!(
        charts::sweep(&s, ChartFormat::Svg),
        Err(ChartError::NoData { .. })
    ));

    let mut t = analysis();
    let row = t.tornado[0].clone();
    t.tornado = (0..20)
        .map(|i| {
            let mut r = row.clone();
            r.label = format!("input number {i}");
            (r.value_p10, r.value_p90) = (None, None);
            r.swing_p95 = i as f64;
            r
        })
        .collect();
    let chart = svg(charts::tornado(&t, ChartFormat::Svg).unwrap());
    assert!(chart.contains("the 15 largest of 20 swings"));
    assert!(chart.contains(">\ninput number 19\n<"));
    assert!(chart.contains(">\ninput number 5\n<"));
    assert!(!chart.contains(">\ninput number 4\n<"));
    for r in &mut t.tornado {
        (r.p95_at_p10, r.p95_at_p90) = (t.median_world_p95, t.median_world_p95);
    }
    svg(charts::tornado(&t, ChartFormat::Svg).unwrap());
    t.tornado.clear();
    assert!(matches!(
        charts::tornado(&t, ChartFormat::Svg),
        Err(ChartError::NoData { .. })
    ));
}

// ----- the command line -----

fn prices() -> [&'static str; 3] {
    ["--pricing", PRICES, "-q"]
}

#[test]
fn chart_flag_writes_svg_or_png_by_extension() {
    let dir = tempfile::tempdir().unwrap();
    let p = scenario_file(dir.path());
    let compare_svg = dir.path().join("compare.svg");
    billcast()
        .arg("compare")
        .arg(&p)
        .args(prices())
        .args([
            "-n",
            "20",
            "--vary",
            "routes.0.model=test/plain,test/writer",
        ])
        .arg("--chart")
        .arg(&compare_svg)
        .assert()
        .success()
        .stdout(predicate::str::contains("baseline"));
    let text = svg(std::fs::read(&compare_svg).unwrap());
    assert!(text.contains("test/writer"));

    let sweep_png = dir.path().join("sweep.PNG");
    billcast()
        .arg("sweep")
        .arg(&p)
        .args(prices())
        .args([
            "-n",
            "20",
            "--param",
            "caching.hit_rate",
            "--range",
            "0:0.9:4",
        ])
        .arg("--chart")
        .arg(&sweep_png)
        .assert()
        .success();
    assert_eq!(png_size(&std::fs::read(&sweep_png).unwrap()), (1200, 675));

    let tornado_svg = dir.path().join("tornado");
    billcast()
        .arg("sensitivity")
        .arg(&p)
        .args(prices())
        .args(["-n", "20", "--tornado-trials", "10", "--bootstrap", "10"])
        .arg("--chart")
        .arg(&tornado_svg)
        .assert()
        .success()
        .stderr(predicate::str::contains("wrote chart").not());
    let text = svg(std::fs::read(&tornado_svg).unwrap());
    assert!(text.contains("monthly active users"));
}

#[test]
fn chart_flag_rejects_a_missing_folder_or_format_before_simulating() {
    let dir = tempfile::tempdir().unwrap();
    let p = scenario_file(dir.path());
    let missing = dir.path().join("no-such-folder").join("chart.svg");
    let runs: [&[&str]; 3] = [
        &["compare", "--vary", "caching.hit_rate=0,0.5"],
        &["sweep", "--param", "caching.hit_rate", "--values", "0,0.5"],
        &["sensitivity"],
    ];
    for args in runs {
        billcast()
            .arg(args[0])
            .arg(&p)
            .args(&args[1..])
            .args(prices())
            .arg("--chart")
            .arg(&missing)
            .assert()
            .code(2)
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::contains("--chart"))
            .stderr(predicate::str::contains("no-such-folder"))
            .stderr(predicate::str::contains("does not exist"));
    }
    billcast()
        .arg("sweep")
        .arg(&p)
        .args(["--param", "caching.hit_rate", "--values", "0,0.5"])
        .args(prices())
        .args(["--chart", "chart.jpg"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("name the file .svg or .png"));
    billcast()
        .arg("sensitivity")
        .arg(&p)
        .args(prices())
        .args(["--chart", "-"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("needs a file name"));
    // More variants than one chart can tell apart: refused before the engine runs.
    let many: Vec<String> = (0..13).map(|i| format!("{}", 100 * (i + 1))).collect();
    billcast()
        .arg("compare")
        .arg(&p)
        .args([
            "--pricing",
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/flat-prices.toml"),
            "-q",
        ])
        .arg("--vary")
        .arg(format!("workload.system_prompt_tokens={}", many.join(",")))
        .args(["--chart", "x.svg"])
        .current_dir(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("13 variants are more than the 12"));
    assert!(!dir.path().join("x.svg").exists());
}

#[test]
fn help_shows_the_chart_flag_with_an_example() {
    for (cmd, example) in [
        ("compare", "--chart compare.svg"),
        ("sweep", "--chart sweep.svg"),
        ("sensitivity", "--chart tornado.svg"),
    ] {
        billcast()
            .args([cmd, "--help"])
            .assert()
            .success()
            .stdout(predicate::str::contains("--chart <FILE>"))
            .stdout(predicate::str::contains(example));
    }
}
