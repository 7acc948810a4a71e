//! Markdown for PR comments and wikis. Every kind is a [`Page`] — the PR-comment marker, a
//! `###` heading, the answer in bold, the body (tables, `<details>`), the warnings and a
//! `<sub>` footer with the provenance — written in that order by [`Markdown`]. A design-review
//! pack's `report.md` ([`render_pack`]) is the forecast's page followed by one section per
//! request, each the same page without its marker and heading.

use super::{ExportError, Exporter, Format, Pack, check_result, titles};
use crate::overhead::OverheadReport;
use crate::overhead::render as overhead;
use crate::report::tokens::TokensReport;
use crate::report::{Report, rows};
use crate::results::{Body, Envelope};
use crate::table::markdown as grid;
use crate::units::format_usd;
use crate::whatif::compare::Comparison;
use crate::whatif::diff::ReportDiff;
use crate::whatif::render as whatif;
use crate::whatif::sensitivity::Sensitivity;
use crate::whatif::solve::Solution;
use crate::whatif::sweep::Sweep;

/// The Markdown exporter; a forecast's page links `charts` after its headline numbers.
#[derive(Debug, Clone, Default)]
pub struct Markdown {
    /// Chart images of a forecast.
    pub charts: Vec<ChartLink>,
}

impl Exporter for Markdown {
    fn format(&self) -> Format {
        Format::Markdown
    }

    fn export(&self, result: &Envelope<'_>) -> Result<String, ExportError> {
        check_result(result, Format::Markdown)?;
        let page = match &result.body {
            Body::Forecast(r) => forecast(r, &self.charts),
            Body::Overhead(o) => overhead_page(o),
            Body::Compare(c) => compare(c),
            Body::Sweep(s) => sweep(s),
            Body::Solve(s) => solve(s),
            Body::Sensitivity(s) => sensitivity(s),
            Body::Diff(d) => diff(d),
            Body::Tokens(t) => tokens(t),
            Body::Backtest(_)
            | Body::ShiftCalibration(_)
            | Body::Calibration(_)
            | Body::Fit(_)
            | Body::Pricing(_) => Page::body(super::lines(&result.body, true)),
        };
        Ok(page.document())
    }
}

/// A chart file the Markdown links to as an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartLink {
    /// Alt text and title, e.g. "Monthly bill over the horizon".
    pub title: String,
    /// Path or URL as written into the Markdown, relative to the Markdown file (e.g. `fan.svg`).
    pub path: String,
}

/// A result as Markdown, in parts.
#[derive(Debug, Default)]
pub struct Page {
    /// The hidden PR-comment marker (`[//]: <> (MARKER)`) a bot finds its comment by.
    pub marker: Option<&'static str>,
    /// The `###` heading.
    pub title: Option<String>,
    /// Bold lines: the answer.
    pub lead: Vec<String>,
    /// Tables and lines.
    pub body: String,
    /// `**Warnings**` list.
    pub warnings: Vec<String>,
    /// The `<sub>` line: trials, seed, version.
    pub footer: Option<String>,
}

impl Page {
    /// A page that is only a body.
    pub fn body(body: String) -> Page {
        Page {
            body,
            ..Page::default()
        }
    }

    /// The page without its marker and heading: what a pack's section shows under its own.
    pub fn section(&self) -> String {
        let mut out = String::new();
        if !self.lead.is_empty() {
            for l in &self.lead {
                out.push_str(&format!("**{l}**\n"));
            }
            out.push('\n');
        }
        out.push_str(&self.body);
        if !self.warnings.is_empty() {
            out.push_str("\n**Warnings**\n\n");
            for w in &self.warnings {
                out.push_str(&format!("- {w}\n"));
            }
        }
        if let Some(f) = &self.footer {
            out.push_str(&format!("\n<sub>{f}</sub>\n"));
        }
        out
    }

    /// The whole page.
    pub fn document(&self) -> String {
        let mut out = String::new();
        if let Some(m) = self.marker {
            out.push_str(&format!("[//]: <> ({m})\n"));
        }
        if let Some(t) = &self.title {
            out.push_str(&format!("### {t}\n\n"));
        }
        out.push_str(&self.section());
        out
    }
}

/// The marker of billcast's PR comments.
const MARKER: &str = "billcast";

/// Escape a Markdown link destination: wrap it in `<…>` when it has spaces or parentheses,
/// which would otherwise end the link early.
fn link_target(path: &str) -> String {
    if path.contains([' ', '(', ')', '<', '>']) {
        format!("<{}>", path.replace('<', "%3C").replace('>', "%3E"))
    } else {
        path.to_string()
    }
}

/// An image line of `c`.
fn image(c: &ChartLink) -> String {
    let alt = c.title.replace(['[', ']'], "");
    format!("![{alt}]({})\n", link_target(&c.path))
}

/// The forecast's page, with images of `charts` after the headline numbers.
pub fn forecast(r: &Report, charts: &[ChartLink]) -> Page {
    let mut out = grid(&rows::months(r));
    let n = r.naive_same_month().unwrap_or(&r.naive_estimate);
    out.push_str(&format!(
        "\nNaive estimate ({}): {}/month — {} requests × {}.\n",
        n.month,
        format_usd(n.monthly_usd),
        crate::units::format_count(n.requests_per_month),
        format_usd(n.usd_per_request)
    ));
    if let (Some(d), Some(g)) = (&r.drivers, rows::drivers(r)) {
        out.push_str(&format!("\n**What drives the spread in {}**\n\n", d.month));
        out.push_str(&grid(&g));
        out.push_str(&format!("\n{}\n", rows::drivers_note(d)));
    }
    if !charts.is_empty() {
        out.push('\n');
        for c in charts {
            out.push_str(&image(c));
        }
    }
    if let Some(m) = r.headline_month() {
        out.push_str(&format!(
            "\n<details><summary>Where the money goes in {}</summary>\n\n",
            m.month
        ));
        out.push_str(&grid(&rows::components(m)));
        if r.routes.len() > 1 {
            out.push('\n');
            out.push_str(&grid(&rows::routes(r, m)));
        }
        out.push('\n');
        out.push_str(&grid(&rows::volumes(m)));
        out.push_str("\n</details>\n");
    }
    out.push_str("\n<details><summary>Assumptions</summary>\n\n");
    out.push_str(&grid(&rows::assumptions(&r.assumptions, false)));
    out.push_str("\n</details>\n");
    Page {
        marker: Some(MARKER),
        title: Some(format!("billcast forecast: {}", r.scenario.name)),
        lead: vec![format!("{}.", r.headline_sentence())],
        body: out,
        warnings: r.warnings.clone(),
        footer: Some(format!(
            "{} trials · seed {} · {} mode · billcast {} · prices {}",
            r.trials,
            r.seed,
            r.mode,
            r.billcast_version,
            &r.pricing.fingerprint[..12.min(r.pricing.fingerprint.len())]
        )),
    }
}

fn overhead_page(o: &OverheadReport) -> Page {
    Page {
        marker: Some("billcast-overhead"),
        title: Some(format!("billcast overhead: {}", o.scenario.name)),
        lead: overhead::headline(o).lines().map(str::to_string).collect(),
        body: overhead::markdown_body(o),
        warnings: o.warnings.clone(),
        footer: Some(overhead::markdown_footer(o)),
    }
}

fn compare(c: &Comparison) -> Page {
    Page {
        marker: Some(MARKER),
        title: Some(format!(
            "billcast compare: {} variants, {}",
            c.variants.len(),
            c.month
        )),
        lead: vec![whatif::compare_sentence(c).trim().to_string()],
        body: whatif::compare_markdown_body(c),
        footer: Some(whatif::meta(&c.alignment)),
        ..Page::default()
    }
}

fn sweep(s: &Sweep) -> Page {
    Page {
        marker: Some(MARKER),
        title: Some(format!(
            "billcast sweep: {} in {} ({})",
            s.param, s.scenario, s.month
        )),
        lead: whatif::sweep_sentence(s).into_iter().collect(),
        body: whatif::sweep_markdown_body(s),
        footer: Some(whatif::meta(&s.alignment)),
        ..Page::default()
    }
}

fn solve(s: &Solution) -> Page {
    Page {
        marker: Some(MARKER),
        title: Some(format!("billcast solve: {}", s.scenario)),
        lead: vec![format!("{}.", whatif::solve_sentence(s))],
        body: whatif::solve_markdown_body(s),
        footer: Some(whatif::meta(&s.alignment)),
        ..Page::default()
    }
}

fn sensitivity(s: &Sensitivity) -> Page {
    Page {
        marker: Some(MARKER),
        title: Some(format!(
            "billcast sensitivity: {} ({})",
            s.scenario, s.month
        )),
        lead: vec![format!("{}.", whatif::sensitivity_sentence(s))],
        body: whatif::sensitivity_markdown_body(s),
        footer: Some(whatif::sensitivity_meta(s)),
        ..Page::default()
    }
}

fn diff(d: &ReportDiff) -> Page {
    Page {
        marker: Some(MARKER),
        title: Some(whatif::diff_title(d)),
        lead: vec![format!("{}.", d.headline)],
        body: whatif::diff_markdown_body(d),
        footer: Some(whatif::diff_footer(d)),
        ..Page::default()
    }
}

fn tokens(t: &TokensReport) -> Page {
    let mut out = grid(&t.grid());
    let notes = t.notes();
    for n in &notes {
        out.push_str(&format!("\n- {n}"));
    }
    if !notes.is_empty() {
        out.push('\n');
    }
    Page {
        title: Some("billcast tokens".into()),
        body: out,
        ..Page::default()
    }
}

/// The chart files of a pack's sections that `report.md` links (each drawn beside it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SectionCharts {
    /// `overhead.svg`.
    pub overhead: Option<ChartLink>,
    /// `compare.svg`.
    pub compare: Option<ChartLink>,
    /// `solve.svg`.
    pub solve: Option<ChartLink>,
    /// `tornado.svg`.
    pub sensitivity: Option<ChartLink>,
}

/// A pack section: `### title`, its chart when drawn, then `page` without marker and heading.
fn section(out: &mut String, title: &str, chart: Option<&ChartLink>, page: &Page) {
    out.push_str(&format!("\n### {title}\n\n"));
    if let Some(c) = chart {
        out.push_str(&image(c));
        out.push('\n');
    }
    out.push_str(&page.section());
}

/// A design-review pack's `report.md`: the forecast's page with `charts`, then one section
/// per part of `pack` — the overhead of a second provider ([`overhead::PACK_SECTION`]), the
/// variants compared, the largest value under budget, what drives the bill — each with its
/// chart from `section_charts`. With `Pack::default()`, exactly the forecast's page.
pub fn render_pack(
    r: &Report,
    charts: &[ChartLink],
    pack: &Pack<'_>,
    section_charts: &SectionCharts,
) -> String {
    let mut out = forecast(r, charts).document();
    if let Some(o) = pack.overhead {
        section(
            &mut out,
            overhead::PACK_SECTION,
            section_charts.overhead.as_ref(),
            &overhead_page(o),
        );
    }
    if let Some(c) = pack.compare {
        section(
            &mut out,
            &format!("{}, {}", titles::COMPARE, c.month),
            section_charts.compare.as_ref(),
            &compare(c),
        );
    }
    if let Some((s, _)) = pack.solve {
        section(
            &mut out,
            &format!("{}: {}", titles::SOLVE, s.param),
            section_charts.solve.as_ref(),
            &solve(s),
        );
    }
    if let Some(s) = pack.sensitivity {
        section(
            &mut out,
            &format!("{} in {}", titles::SENSITIVITY, s.month),
            section_charts.sensitivity.as_ref(),
            &sensitivity(s),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_targets_with_spaces_are_bracketed() {
        assert_eq!(link_target("fan.svg"), "fan.svg");
        assert_eq!(link_target("my charts/fan.svg"), "<my charts/fan.svg>");
    }

    #[test]
    fn a_page_writes_marker_heading_lead_body_warnings_and_footer_in_order() {
        let p = Page {
            marker: Some(MARKER),
            title: Some("t".into()),
            lead: vec!["a".into(), "b".into()],
            body: "body\n".into(),
            warnings: vec!["w".into()],
            footer: Some("f".into()),
        };
        assert_eq!(
            p.document(),
            "[//]: <> (billcast)\n### t\n\n**a**\n**b**\n\nbody\n\n**Warnings**\n\n- w\n\n<sub>f</sub>\n"
        );
        assert_eq!(Page::body("x\n".into()).document(), "x\n");
    }
}
