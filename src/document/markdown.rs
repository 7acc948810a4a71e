//! Markdown for PR comments and wikis: a one-sentence headline, the percentile table, and the
//! breakdown and assumptions folded in `<details>`; in a design-review pack, followed by the
//! operational overhead of a second provider when the scenario has an `[overhead]` section.

use crate::overhead::{OverheadReport, render as overhead_render};
use crate::report::{Report, rows};
use crate::table::markdown as grid;
use crate::units::format_usd;

/// A chart file the Markdown links to as an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartLink {
    /// Alt text and title, e.g. "Monthly bill over the horizon".
    pub title: String,
    /// Path or URL as written into the Markdown, relative to the Markdown file (e.g. `fan.svg`).
    pub path: String,
}

/// The Markdown report.
pub fn render(r: &Report) -> String {
    render_with_charts(r, &[])
}

/// Escape a Markdown link destination: wrap it in `<…>` when it has spaces or parentheses,
/// which would otherwise end the link early.
fn link_target(path: &str) -> String {
    if path.contains([' ', '(', ')', '<', '>']) {
        format!("<{}>", path.replace('<', "%3C").replace('>', "%3E"))
    } else {
        path.to_string()
    }
}

/// The Markdown report with images of `charts` after the headline numbers (no charts: the same
/// text as [`render`]).
pub fn render_with_charts(r: &Report, charts: &[ChartLink]) -> String {
    let mut out = String::from("[//]: <> (billcast)\n");
    out.push_str(&format!("### billcast forecast: {}\n\n", r.scenario.name));
    out.push_str(&format!("**{}.**\n\n", r.headline_sentence()));
    out.push_str(&grid(&rows::months(r)));
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
            let alt = c.title.replace(['[', ']'], "");
            out.push_str(&format!("![{alt}]({})\n", link_target(&c.path)));
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
    out.push_str(&grid(&rows::assumptions(r)));
    out.push_str("\n</details>\n");
    if !r.warnings.is_empty() {
        out.push_str("\n**Warnings**\n\n");
        for w in &r.warnings {
            out.push_str(&format!("- {w}\n"));
        }
    }
    out.push_str(&format!(
        "\n<sub>{} trials · seed {} · {} mode · billcast {} · prices {}</sub>\n",
        r.trials,
        r.seed,
        r.mode,
        r.billcast_version,
        &r.pricing.fingerprint[..12.min(r.pricing.fingerprint.len())]
    ));
    out
}

/// The overhead part of a design-review pack's Markdown.
#[derive(Debug, Clone, Copy)]
pub struct OverheadSection<'a> {
    /// The overhead report of the same scenario, seed and trials.
    pub report: &'a OverheadReport,
    /// Its chart file (`overhead.svg` in a pack), when drawn.
    pub chart: Option<&'a ChartLink>,
}

/// A design-review pack's `report.md`: [`render_with_charts`], then — when `overhead` is
/// given — a section headed [`overhead_render::PACK_SECTION`] with the overhead chart, the
/// strategy table and the rest of [`overhead_render::markdown_body`]. Without `overhead`,
/// exactly [`render_with_charts`].
pub fn render_pack(
    r: &Report,
    charts: &[ChartLink],
    overhead: Option<OverheadSection<'_>>,
) -> String {
    let mut out = render_with_charts(r, charts);
    if let Some(o) = overhead {
        out.push_str(&format!("\n### {}\n\n", overhead_render::PACK_SECTION));
        if let Some(c) = o.chart {
            let alt = c.title.replace(['[', ']'], "");
            out.push_str(&format!("![{alt}]({})\n\n", link_target(&c.path)));
        }
        out.push_str(&overhead_render::markdown_body(o.report));
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
}
