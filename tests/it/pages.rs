//! Snapshots of the design-review pack's page and of what every chart says (issue 20, item 6).
//!
//! `snapshots` pins every result in every text format; this module pins what `report` writes
//! (it has no `--format`: a folder) — `report.md` and `report.html` of the decision pack with
//! every section — and the charts.
//! A chart is pinned by its words and numbers — title, subtitle, axis descriptions, tick labels,
//! legend, annotations, source note — in drawing order, not by its geometry: a moved pixel is
//! not a regression a reviewer can judge from a diff, a changed label or number is. The page
//! is pinned with each inline chart replaced by its accessible name, for the same reason.
//! Inputs are written to a temporary directory and named relatively, so no path differs
//! between machines.

use crate::common::*;

use std::path::Path;

/// Engine flags: 200 trials, seed 7, quiet, the flat prices.
const ENGINE: [&str; 7] = [
    "-n",
    "200",
    "--seed",
    "7",
    "-q",
    "--pricing",
    "flat-prices.toml",
];

/// The text of every `<text>` element of an SVG, in document order, one per line.
fn chart_text(svg: &str) -> String {
    let mut out = String::new();
    for piece in svg.split("<text").skip(1) {
        let Some(open) = piece.find('>') else {
            continue;
        };
        let body = &piece[open + 1..];
        let end = body.find("</text>").unwrap_or(body.len());
        let t = body[..end].trim();
        if !t.is_empty() {
            out.push_str(t);
            out.push('\n');
        }
    }
    out
}

/// The page with each inline `<svg>…</svg>` replaced by `[chart: its aria-label]`.
fn page_without_drawings(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(start) = rest.find("<svg") {
        out.push_str(&rest[..start]);
        let svg = &rest[start..];
        let end = svg.find("</svg>").expect("an inline chart is closed") + "</svg>".len();
        let label = svg[..end]
            .split("aria-label=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or("(no label)");
        out.push_str(&format!("[chart: {label}]"));
        rest = &svg[end..];
    }
    out.push_str(rest);
    out
}

fn snapshot(name: &str, what: &str, text: &str, cwd: &Path) {
    assert_machine_independent(text, cwd, what);
    insta::with_settings!({ description => what, omit_expression => true }, {
        insta::assert_snapshot!(name, text);
    });
}

/// Runs `billcast ARGS` in `dir`; it must succeed.
fn run(dir: &Path, args: &[&str]) {
    billcast().current_dir(dir).args(args).assert().success();
}

#[test]
fn decision_pack_page_and_its_charts() {
    let dir = small();
    let mut args = vec![
        "report",
        "s.toml",
        "-o",
        "out",
        "--vary",
        "traffic.sessions_per_month=100,200",
        "--solve",
        "traffic.sessions_per_month",
        "--sensitivity",
    ];
    args.extend(ENGINE);
    run(dir.path(), &args);
    let what = format!("billcast {}", args.join(" "));
    let html = std::fs::read_to_string(dir.path().join("out/report.html")).unwrap();
    let page = page_without_drawings(&html);
    assert!(
        page.len() * 2 < html.len(),
        "the charts are inline in the page"
    );
    snapshot("pack_report_html", &what, &page, dir.path());
    let md = std::fs::read_to_string(dir.path().join("out/report.md")).unwrap();
    snapshot("pack_report_md", &what, &md, dir.path());

    let mut charts: Vec<_> = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "svg"))
        .collect();
    charts.sort();
    let names: Vec<String> = charts
        .iter()
        .map(|p| p.file_stem().unwrap().to_str().unwrap().to_string())
        .collect();
    // The forecast's five charts and one per requested section.
    assert_eq!(
        names,
        [
            "breakdown",
            "compare",
            "distribution",
            "exceedance",
            "fan",
            "naive",
            "solve",
            "tornado"
        ]
    );
    assert_eq!(
        page.matches("[chart: ").count(),
        charts.len(),
        "every chart of the folder is inline in report.html"
    );
    for (p, name) in charts.iter().zip(&names) {
        let svg = std::fs::read_to_string(p).unwrap();
        snapshot(
            &format!("chart_{name}"),
            &format!("{what} (out/{name}.svg, its text)"),
            &chart_text(&svg),
            dir.path(),
        );
    }
}

#[test]
fn a_pack_with_overhead_carries_its_page_section() {
    // multi-provider prices real models (the bundled tables) and has an [overhead] section:
    // the pack's page adds the second provider's cost (table, assumptions, chart).
    let dir = small();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(
        repo.join("scenarios/multi-provider.toml"),
        dir.path().join("multi-provider.toml"),
    )
    .unwrap();
    let mut args = vec!["report", "multi-provider.toml", "-o", "out"];
    args.extend(&ENGINE[..5]);
    run(dir.path(), &args);
    let html = std::fs::read_to_string(dir.path().join("out/report.html")).unwrap();
    let page = page_without_drawings(&html);
    assert!(
        page.contains("id=\"overhead\""),
        "the page has the overhead section"
    );
    snapshot(
        "pack_overhead_report_html",
        &format!("billcast {}", args.join(" ")),
        &page,
        dir.path(),
    );
}

#[test]
fn the_other_charts_say_what_they_show() {
    let dir = small();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    for f in [
        "scenarios/multi-provider.toml",
        "examples/pilot/support-agent-calls.csv",
    ] {
        let to = dir.path().join(Path::new(f).file_name().unwrap());
        std::fs::copy(repo.join(f), to).unwrap();
    }
    let engine = &ENGINE[..5];
    let cases: Vec<(&str, Vec<&str>)> = vec![
        (
            "overhead",
            [
                &["overhead", "multi-provider.toml", "--chart", "c.svg"][..],
                engine,
            ]
            .concat(),
        ),
        (
            "sweep",
            [
                &[
                    "sweep",
                    "s.toml",
                    "--param",
                    "traffic.sessions_per_month",
                    "--values",
                    "100,200,400",
                    "--pricing",
                    "flat-prices.toml",
                    "--chart",
                    "c.svg",
                ][..],
                engine,
            ]
            .concat(),
        ),
        (
            "backtest",
            vec![
                "backtest",
                "support-agent-calls.csv",
                "--caller",
                "agent",
                "--fit-first",
                "300",
                "-n",
                "100",
                "--seed",
                "7",
                "-q",
                "--chart",
                "c.svg",
            ],
        ),
    ];
    for (name, args) in cases {
        run(dir.path(), &args);
        let svg = std::fs::read_to_string(dir.path().join("c.svg")).unwrap();
        snapshot(
            &format!("chart_{name}"),
            &format!("billcast {} (its text)", args.join(" ")),
            &chart_text(&svg),
            dir.path(),
        );
    }
    // `fit --charts` draws one chart per fitted quantity.
    let args = [
        "fit",
        "support-agent-calls.csv",
        "--caller",
        "agent",
        "-o",
        "w.toml",
        "--charts",
        "fit",
        "-q",
    ];
    run(dir.path(), &args);
    let mut fits: Vec<_> = std::fs::read_dir(dir.path().join("fit"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    fits.sort();
    assert!(fits.len() >= 5, "fit draws every quantity: {fits:?}");
    let mut all = String::new();
    for p in &fits {
        let svg = std::fs::read_to_string(p).unwrap();
        all.push_str(&format!(
            "== {}\n{}",
            p.file_name().unwrap().to_str().unwrap(),
            chart_text(&svg)
        ));
    }
    snapshot(
        "chart_fit",
        &format!("billcast {} (fit/*.svg, their text)", args.join(" ")),
        &all,
        dir.path(),
    );
}

#[test]
fn chart_text_reads_every_label_in_order() {
    let svg =
        "<svg><text x=\"1\">\nTitle\n</text><rect/><text y=\"2\">$1,000</text><text></text></svg>";
    assert_eq!(chart_text(svg), "Title\n$1,000\n");
    let html = "<p>a</p><svg role=\"img\" aria-label=\"Fan\"><text>x</text></svg><p>b</p>";
    assert_eq!(page_without_drawings(html), "<p>a</p>[chart: Fan]<p>b</p>");
}
