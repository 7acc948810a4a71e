//! Charts and the design-review report: every chart in SVG and PNG for every bundled scenario,
//! the HTML report's sections and self-containment, Markdown chart links, and the `report`,
//! `render` and `forecast --charts` commands end to end.

use crate::common::*;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use billcast::charts::{self, ChartError, ChartFormat, ChartKind};
use billcast::engine::{self, SimOptions, prepare::Prepared};
use billcast::export::markdown::{self, ChartLink};
use billcast::export::{ExportError, html};
use billcast::pricing::PriceBook;
use billcast::report::Report;
use billcast::scenario::Scenario;
use predicates::prelude::*;

const SCENARIOS: [&str; 4] = [
    "scenarios/support-bot.toml",
    "scenarios/coding-agent.toml",
    "scenarios/rag-assistant.toml",
    "scenarios/batch-summarization.toml",
];

/// A 300-trial report of every bundled scenario, simulated once per test binary.
fn reports() -> &'static [(String, Report)] {
    static REPORTS: OnceLock<Vec<(String, Report)>> = OnceLock::new();
    REPORTS.get_or_init(|| {
        let book = PriceBook::bundled().expect("bundled prices load");
        SCENARIOS
            .iter()
            .map(|path| {
                let s = Scenario::load(Path::new(path), &["simulation.trials=300".into()])
                    .expect("bundled scenario loads");
                let p = Prepared::new(&s, &book).expect("bundled scenario prepares");
                let sim = engine::simulate_prepared(&s, &p, &SimOptions::default())
                    .expect("bundled scenario simulates");
                let r = Report::from_simulation(&s, &book, &p, &sim);
                (path.to_string(), r)
            })
            .collect()
    })
}

/// Text every chart's SVG must contain: a piece of its title and its axis labels (as
/// escaped in SVG).
fn expected_text(kind: ChartKind) -> &'static [&'static str] {
    match kind {
        ChartKind::Fan => &[
            "Monthly bill, ",
            "Monthly bill (USD)",
            "\nMonth\n",
            "Median (P50)",
        ],
        ChartKind::Distribution => &[
            "How the ",
            "bill is distributed",
            "Monthly bill (USD)",
            "Share of worlds per",
            "P95 $",
        ],
        ChartKind::Exceedance => &[
            "Chance the ",
            "P(monthly bill &gt; x)",
            "Monthly bill, x (USD)",
            "(highest P95)",
        ],
        ChartKind::Breakdown => &[
            "Where the money goes",
            "Mean monthly bill (USD)",
            "\nMonth\n",
        ],
        ChartKind::Naive => &[
            "The spreadsheet estimate vs the simulated bill",
            "Monthly bill (USD)",
            "Estimate and month",
            "Simulated P95",
        ],
    }
}

fn assert_good_svg(svg: &str, kind: ChartKind, scenario: &str) {
    assert!(svg.starts_with("<svg"), "{scenario} {kind:?}: not an SVG");
    assert!(
        svg.trim_end().ends_with("</svg>"),
        "{scenario} {kind:?}: truncated"
    );
    for t in expected_text(kind) {
        assert!(svg.contains(t), "{scenario} {kind:?}: SVG lacks {t:?}");
    }
    // plotters-rs/plotters#300: negative rectangle sizes draw nothing in browsers.
    assert!(
        !svg.contains("width=\"-"),
        "{scenario} {kind:?}: negative width"
    );
    assert!(
        !svg.contains("height=\"-"),
        "{scenario} {kind:?}: negative height"
    );
    assert!(!svg.contains("NaN"), "{scenario} {kind:?}: NaN coordinates");
    assert!(svg.contains("font-family:'DejaVu Sans'"), "font rule");
}

#[test]
fn every_chart_renders_to_svg_for_every_bundled_scenario() {
    for (path, r) in reports() {
        for kind in ChartKind::ALL {
            let bytes = kind.render(r, ChartFormat::Svg).expect("renders");
            let svg = String::from_utf8(bytes).expect("SVG is UTF-8");
            assert_good_svg(&svg, kind, path);
        }
    }
}

#[test]
fn every_chart_renders_to_a_slide_sized_png_for_every_bundled_scenario() {
    for (path, r) in reports() {
        for kind in ChartKind::ALL {
            let png = kind.render(r, ChartFormat::Png).expect("renders");
            assert!(
                png.len() > 10_000,
                "{path} {kind:?}: PNG suspiciously small"
            );
            assert_eq!(png_size(&png), (1200, 675), "{path} {kind:?}");
        }
    }
}

#[test]
fn per_chart_functions_match_the_kind_dispatch() {
    let r = &reports()[0].1;
    let svg = ChartFormat::Svg;
    assert_eq!(
        charts::fan(r, svg).unwrap(),
        ChartKind::Fan.render(r, svg).unwrap()
    );
    assert_eq!(
        charts::naive(r, svg).unwrap(),
        ChartKind::Naive.render(r, svg).unwrap()
    );
    let month = r.months[0].month.clone();
    let first = String::from_utf8(charts::distribution_of_month(r, &month, svg).unwrap()).unwrap();
    assert!(first.contains(&format!("How the {month} bill")));
}

#[test]
fn asking_for_a_month_the_report_lacks_names_the_months_it_has() {
    let r = &reports()[0].1;
    let err = charts::distribution_of_month(r, "1999-01", ChartFormat::Svg).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("no month 1999-01"), "{msg}");
    assert!(msg.contains(&r.months[0].month), "{msg}");
}

#[test]
fn charts_are_byte_identical_across_runs() {
    let r = &reports()[1].1;
    for kind in ChartKind::ALL {
        for f in [ChartFormat::Svg, ChartFormat::Png] {
            assert_eq!(
                kind.render(r, f).unwrap(),
                kind.render(r, f).unwrap(),
                "{kind:?}"
            );
        }
    }
}

#[test]
fn render_all_writes_one_file_per_chart() {
    let dir = tempfile::tempdir().unwrap();
    let r = &reports()[0].1;
    for format in [ChartFormat::Svg, ChartFormat::Png] {
        let paths = charts::render_all(r, &dir.path().join("charts"), format).unwrap();
        assert_eq!(paths.len(), ChartKind::ALL.len());
        for p in &paths {
            assert_eq!(p.extension().unwrap(), format.extension());
            assert!(
                std::fs::metadata(p).unwrap().len() > 1000,
                "{}",
                p.display()
            );
        }
    }
}

/// A report pushed to the edges: one month, every trial the same amount, no budget, one
/// route, a zero naive estimate.
fn degenerate(r: &Report) -> Report {
    let mut r = r.clone();
    r.months.truncate(1);
    let m = &mut r.months[0];
    m.quantiles = vec![0.0; 101];
    (m.mean, m.sd, m.p5, m.p25, m.p50, m.p75, m.p90, m.p95, m.p99) =
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    m.components = Default::default();
    m.prob_over_budget = None;
    r.headline.month = m.month.clone();
    r.budget_usd = None;
    r.naive_estimate.monthly_usd = 0.0;
    r
}

#[test]
fn degenerate_reports_still_draw_every_chart() {
    for (path, r) in reports() {
        let d = degenerate(r);
        for kind in ChartKind::ALL {
            for f in [ChartFormat::Svg, ChartFormat::Png] {
                let out = kind.render(&d, f);
                assert!(out.is_ok(), "{path} {kind:?} {f:?}: {:?}", out.err());
            }
            let svg = String::from_utf8(kind.render(&d, ChartFormat::Svg).unwrap()).unwrap();
            assert!(
                !svg.contains("width=\"-") && !svg.contains("NaN"),
                "{kind:?}"
            );
        }
        let mut odd = r.clone();
        // Quantiles out of order (a hand-edited file) must not panic either.
        odd.months[0].quantiles.reverse();
        for kind in ChartKind::ALL {
            assert!(kind.render(&odd, ChartFormat::Svg).is_ok(), "{kind:?}");
        }
    }
}

#[test]
fn a_report_without_months_is_a_typed_error_not_a_panic() {
    let mut r = reports()[0].1.clone();
    r.months.clear();
    for kind in ChartKind::ALL {
        assert!(matches!(
            kind.render(&r, ChartFormat::Svg),
            Err(ChartError::NoData { .. })
        ));
    }
    assert!(matches!(html::render(&r), Err(ExportError::NoMonths)));
    let dir = tempfile::tempdir().unwrap();
    assert!(charts::render_all(&r, dir.path(), ChartFormat::Svg).is_err());
}

const SECTIONS: [&str; 9] = [
    "headline",
    "percentiles",
    "distribution",
    "breakdown",
    "naive",
    "assumptions",
    "warnings",
    "provenance",
    "chart-fan",
];

#[test]
fn html_report_has_every_section_and_fetches_nothing() {
    for (path, r) in reports() {
        let page = html::render(r).unwrap();
        assert!(page.starts_with("<!DOCTYPE html>"), "{path}");
        for id in SECTIONS {
            assert!(
                page.contains(&format!("id=\"{id}\"")),
                "{path}: section {id}"
            );
        }
        assert_eq!(
            page.matches("<svg ").count(),
            ChartKind::ALL.len(),
            "{path}"
        );
        assert!(page.contains("@media print"));
        assert!(page.contains("P95 monthly bill in "));
        assert!(page.contains(&r.scenario.sha256));
        assert!(page.contains(&r.pricing.fingerprint));
        assert!(page.contains(&format!("seed {}", r.seed)));
        if r.budget_usd.is_some() {
            // The budget tile names its month.
            assert!(
                page.contains(&format!("P(over budget) in {}: <strong>", r.headline.month)),
                "{path}"
            );
        }
        if r.drivers.as_ref().is_some_and(|d| !d.top().is_empty()) {
            assert!(page.contains("id=\"drivers\""), "{path}: section drivers");
        }
        for a in &r.assumptions {
            assert!(
                page.contains(&html::escape(&a.key)),
                "{path}: assumption {}",
                a.key
            );
        }
        assert_self_contained(&page);
    }
}

#[test]
fn html_escapes_text_from_the_scenario() {
    let mut r = reports()[0].1.clone();
    r.scenario.name = "<script>alert('x')</script> & co".into();
    r.scenario.description = Some("<img src=x onerror=alert(1)>".into());
    r.warnings.push("<b>bold</b>".into());
    let page = html::render(&r).unwrap();
    assert_self_contained(&page);
    assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co"));
    assert!(page.contains("&lt;b&gt;bold&lt;/b&gt;"));
    assert!(!page.contains("<b>bold"));
}

#[test]
fn markdown_links_charts_only_when_asked() {
    let r = &reports()[0].1;
    let plain = markdown::forecast(r, &[]).document();
    let exported = billcast::export::render(
        billcast::results::Body::Forecast(std::borrow::Cow::Borrowed(r)),
        billcast::export::Format::Markdown,
    )
    .unwrap();
    assert_eq!(plain, exported);
    let links: Vec<ChartLink> = ChartKind::ALL
        .iter()
        .map(|k| ChartLink {
            title: k.title().into(),
            path: format!("{}.svg", k.name()),
        })
        .collect();
    let md = markdown::forecast(r, &links).document();
    assert!(md.contains("![Monthly bill over the horizon](fan.svg)"));
    assert!(md.contains("![Where the money goes](breakdown.svg)"));
    assert!(md.starts_with(&plain[..200]));
}

#[test]
fn a_saved_report_renders_the_same_html_as_the_original() {
    let r = &reports()[2].1;
    let back = Report::from_json("saved.json", &r.to_json().unwrap()).unwrap();
    assert_eq!(html::render(&back).unwrap(), html::render(r).unwrap());
    for kind in ChartKind::ALL {
        assert_eq!(
            kind.render(&back, ChartFormat::Svg).unwrap(),
            kind.render(r, ChartFormat::Svg).unwrap()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The command line.

/// A small, fast scenario using the test price table (as in tests/it/cli.rs).
const SMALL: &str = r#"schema_version = 1
name = "small"
start_month = "2027-01"
horizon_months = 3
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

fn small(dir: &Path) -> PathBuf {
    let p = dir.join("small.toml");
    std::fs::write(&p, SMALL).unwrap();
    p
}

fn pricing() -> [&'static str; 3] {
    ["--pricing", "tests/data/flat-prices.toml", "-q"]
}

#[test]
fn report_command_writes_the_design_review_pack() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pack");
    billcast()
        .arg("report")
        .arg(small(dir.path()))
        .args(pricing())
        .arg("-o")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("P95 monthly bill in"))
        .stdout(predicate::str::contains("report.html"));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    for id in SECTIONS {
        assert!(html.contains(&format!("id=\"{id}\"")), "section {id}");
    }
    assert_self_contained(&html);
    // The reproduce command carries the extra price table, and only that one.
    assert!(
        html.contains("--pricing tests/data/flat-prices.toml"),
        "reproduce command"
    );
    assert!(!html.contains("--pricing pricing/openai.toml"));
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    for kind in ChartKind::ALL {
        let file = format!("{}.svg", kind.name());
        assert!(md.contains(&format!("]({file})")), "report.md links {file}");
        let svg = std::fs::read_to_string(out.join(&file)).unwrap();
        assert_good_svg(&svg, kind, "small");
    }
    let json = std::fs::read_to_string(out.join("forecast.json")).unwrap();
    let r = Report::from_json("forecast.json", &json).unwrap();
    assert_eq!(r.scenario.name, "small");
}

#[test]
fn render_reproduces_every_format_of_the_direct_run_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = small(dir.path());
    let json = dir.path().join("forecast.json");
    billcast()
        .arg("forecast")
        .arg(&scenario)
        .args(pricing())
        .args(["--format", "json", "-o"])
        .arg(&json)
        .assert()
        .success();
    for format in ["table", "json", "csv", "markdown", "html"] {
        let direct = billcast()
            .arg("forecast")
            .arg(&scenario)
            .args(pricing())
            .args(["--format", format])
            .output()
            .unwrap();
        assert!(direct.status.success());
        let rendered = billcast()
            .arg("render")
            .arg(&json)
            .args(["--format", format, "-o", "-"])
            .output()
            .unwrap();
        assert!(
            rendered.status.success(),
            "{format}: {}",
            String::from_utf8_lossy(&rendered.stderr)
        );
        assert!(!direct.stdout.is_empty());
        assert_same(&direct.stdout, &rendered.stdout, format);
    }
}

/// Byte equality, reporting the first differing line instead of two byte arrays.
fn assert_same(a: &[u8], b: &[u8], what: &str) {
    if a != b {
        let (a, b) = (String::from_utf8_lossy(a), String::from_utf8_lossy(b));
        let line = a.lines().zip(b.lines()).position(|(x, y)| x != y);
        match line {
            Some(i) => panic!(
                "{what} differs at line {}:\n  {}\n  {}",
                i + 1,
                a.lines().nth(i).unwrap_or(""),
                b.lines().nth(i).unwrap_or("")
            ),
            None => panic!("{what} differs in length: {} vs {}", a.len(), b.len()),
        }
    }
}

#[test]
fn render_of_a_pack_matches_the_pack_including_chart_links() {
    let dir = tempfile::tempdir().unwrap();
    let pack = dir.path().join("pack");
    billcast()
        .arg("report")
        .arg(small(dir.path()))
        .args(pricing())
        .arg("-o")
        .arg(&pack)
        .assert()
        .success();
    let again = dir.path().join("again");
    billcast()
        .arg("render")
        .arg(pack.join("forecast.json"))
        .args(["--format", "markdown", "-o"])
        .arg(again.join("report.md"))
        .arg("--charts")
        .arg(&again)
        .assert()
        .success();
    for file in ["report.md", "fan.svg", "breakdown.svg"] {
        assert_same(
            &std::fs::read(pack.join(file)).unwrap(),
            &std::fs::read(again.join(file)).unwrap(),
            file,
        );
    }
    billcast()
        .arg("render")
        .arg(pack.join("forecast.json"))
        .args(["--format", "html", "-o"])
        .arg(again.join("report.html"))
        .assert()
        .success();
    assert_same(
        &std::fs::read(pack.join("report.html")).unwrap(),
        &std::fs::read(again.join("report.html")).unwrap(),
        "report.html",
    );
}

#[test]
fn render_rejects_files_that_are_not_reports_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("garbage.json", "this is not json", "not a billcast report"),
        (
            "other.json",
            "{\"name\": \"package.json\"}",
            "not a billcast report",
        ),
        (
            "newer.json",
            "{\"schema_version\": 99, \"kind\": \"forecast\"}",
            "schema_version 99 is not supported",
        ),
        (
            "broken.json",
            "{\"schema_version\": 1, \"kind\": \"forecast\"}",
            "not a billcast forecast report",
        ),
    ];
    for (name, text, message) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        billcast()
            .arg("render")
            .arg(&p)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(message))
            .stderr(predicate::str::contains(name))
            .stderr(predicate::str::contains("panicked").not());
    }
    billcast()
        .args(["render", "does-not-exist.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read does-not-exist.json"));
    billcast()
        .args(["render", "x.json", "--format", "pdf"])
        .assert()
        .code(2);
}

#[test]
fn render_reads_a_report_from_stdin() {
    let r = &reports()[3].1;
    billcast()
        .args(["render", "-", "--format", "markdown"])
        .write_stdin(r.to_json().unwrap())
        .assert()
        .success()
        .stdout(predicate::str::contains("billcast forecast: "));
}

#[test]
fn forecast_writes_png_charts_next_to_its_output() {
    let dir = tempfile::tempdir().unwrap();
    let charts_dir = dir.path().join("charts");
    billcast()
        .arg("forecast")
        .arg(small(dir.path()))
        .args(pricing())
        .arg("--charts")
        .arg(&charts_dir)
        .args(["--chart-format", "png"])
        .assert()
        .success()
        .stdout(predicate::str::contains("P95 monthly bill in"));
    for kind in ChartKind::ALL {
        let png = std::fs::read(charts_dir.join(format!("{}.png", kind.name()))).unwrap();
        assert_eq!(png_size(&png), (1200, 675), "{kind:?}");
    }
}

#[test]
fn forecast_markdown_links_the_charts_relative_to_the_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("review").join("forecast.md");
    billcast()
        .arg("forecast")
        .arg(small(dir.path()))
        .args(pricing())
        .args(["--format", "markdown", "-o"])
        .arg(&md)
        .arg("--charts")
        .arg(dir.path().join("review").join("img"))
        .assert()
        .success();
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(text.contains("](img/fan.svg)"), "{text}");
}

#[test]
fn forecast_prints_html_to_stdout() {
    let dir = tempfile::tempdir().unwrap();
    billcast()
        .arg("forecast")
        .arg(small(dir.path()))
        .args(pricing())
        .args(["--format", "html"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("<!DOCTYPE html>"))
        .stdout(predicate::str::contains("id=\"provenance\""));
}
