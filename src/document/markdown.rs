//! Markdown for PR comments and wikis: a one-sentence headline, the percentile table, and the
//! breakdown and assumptions folded in `<details>`; in a design-review pack, followed by the
//! operational overhead of a second provider when the scenario has an `[overhead]` section.

use super::{Pack, titles};
use crate::overhead::render as overhead_render;
use crate::report::{Report, rows};
use crate::table::markdown as grid;
use crate::units::format_usd;
use crate::whatif::render as whatif_render;

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

/// A pack section: `### title`, its chart when drawn, then `body`.
fn section(out: &mut String, title: &str, chart: Option<&ChartLink>, body: &str) {
    out.push_str(&format!("\n### {title}\n\n"));
    if let Some(c) = chart {
        let alt = c.title.replace(['[', ']'], "");
        out.push_str(&format!("![{alt}]({})\n\n", link_target(&c.path)));
    }
    out.push_str(body);
}

/// A design-review pack's `report.md`: [`render_with_charts`], then one section per part of
/// `pack` — the overhead of a second provider ([`overhead_render::PACK_SECTION`]), the variants
/// compared, the largest value under budget, what drives the bill — each with its chart from
/// `section_charts`. With `Pack::default()`, exactly [`render_with_charts`].
pub fn render_pack(
    r: &Report,
    charts: &[ChartLink],
    pack: &Pack<'_>,
    section_charts: &SectionCharts,
) -> String {
    let mut out = render_with_charts(r, charts);
    if let Some(o) = pack.overhead {
        section(
            &mut out,
            overhead_render::PACK_SECTION,
            section_charts.overhead.as_ref(),
            &overhead_render::markdown_body(o),
        );
    }
    if let Some(c) = pack.compare {
        section(
            &mut out,
            &format!("{}, {}", titles::COMPARE, c.month),
            section_charts.compare.as_ref(),
            &format!(
                "**{}**\n\n{}",
                whatif_render::compare_sentence(c).trim(),
                whatif_render::compare_markdown_body(c)
            ),
        );
    }
    if let Some((s, _)) = pack.solve {
        section(
            &mut out,
            &format!("{}: {}", titles::SOLVE, s.param),
            section_charts.solve.as_ref(),
            &format!(
                "**{}.**\n\n{}",
                whatif_render::solve_sentence(s),
                whatif_render::solve_markdown_body(s)
            ),
        );
    }
    if let Some(s) = pack.sensitivity {
        section(
            &mut out,
            &format!("{} in {}", titles::SENSITIVITY, s.month),
            section_charts.sensitivity.as_ref(),
            &format!(
                "**{}.**\n\n{}",
                whatif_render::sensitivity_sentence(s),
                whatif_render::sensitivity_markdown_body(s)
            ),
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
}
