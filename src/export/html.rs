//! The design-review page: one self-contained `report.html` with the headline, the charts
//! (inline SVG), every table of the terminal and Markdown views (built by [`crate::report::rows`]), the
//! assumptions, warnings and provenance — and, for a scenario with an `[overhead]` section,
//! the operational overhead of a second provider ([`render_with_overhead`]), from the tables
//! of [`crate::overhead::render`].
//!
//! Self-contained means: inline CSS, no scripts, no fonts, images or styles fetched from
//! anywhere, so it opens offline, survives being attached to a ticket or e-mailed, and cannot
//! phone home. Every piece of text from the scenario or report is HTML-escaped. A `@media print`
//! block makes it print on A4/Letter with charts and tables kept whole.

use super::{ExportError, Exporter, Format, Pack, check_result, titles};
use crate::charts;
use crate::charts::{ChartFormat, ChartKind};
use crate::overhead::{OverheadReport, render as overhead_render};
use crate::report::rows;
use crate::report::{MonthSummary, Report};
use crate::results::{Body, Envelope};
use crate::table::Grid;
use crate::units::{format_count, format_pct, format_usd, format_usd_compact};
use crate::whatif::compare::Comparison;
use crate::whatif::render as whatif_render;
use crate::whatif::sensitivity::Sensitivity;
use crate::whatif::solve::Solution;
use crate::whatif::sweep::Sweep;

/// The HTML exporter: a forecast's design-review page ([`render`]); no other kind has one.
pub struct Html;

impl Exporter for Html {
    fn format(&self) -> Format {
        Format::Html
    }

    fn export(&self, result: &Envelope<'_>) -> Result<String, ExportError> {
        check_result(result, Format::Html)?;
        match &result.body {
            Body::Forecast(r) => render(r),
            // Refused by check_result.
            _ => Err(ExportError::Unsupported("no HTML page".into())),
        }
    }
}

/// Escape text for HTML element content and double-quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Render a grid as an HTML table; `row_class` may give a row a CSS class.
pub fn grid(
    g: &Grid,
    caption: Option<&str>,
    row_class: &dyn Fn(usize) -> Option<&'static str>,
) -> String {
    let align = |i: usize| {
        if g.right.get(i).copied().unwrap_or(false) {
            " class=\"num\""
        } else {
            ""
        }
    };
    let mut out = String::from("<table>\n");
    if let Some(c) = caption {
        out.push_str(&format!("<caption>{}</caption>\n", escape(c)));
    }
    out.push_str("<thead><tr>");
    for (i, h) in g.header.iter().enumerate() {
        out.push_str(&format!("<th scope=\"col\"{}>{}</th>", align(i), escape(h)));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for (r, row) in g.rows.iter().enumerate() {
        match row_class(r) {
            Some(c) => out.push_str(&format!("<tr class=\"{c}\">")),
            None => out.push_str("<tr>"),
        }
        for (i, cell) in row.iter().enumerate() {
            out.push_str(&format!("<td{}>{}</td>", align(i), escape(cell)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

fn no_class(_: usize) -> Option<&'static str> {
    None
}

const CSS: &str = r#"
:root { --ink:#1f2328; --muted:#59636e; --rule:#d8dee4; --accent:#0072b2; --warn:#9a3412; --bg-soft:#f6f8fa; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Verdana, sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 32px 24px 64px; }
header .kicker { margin: 0; color: var(--muted); font-size: 14px; letter-spacing: .04em; text-transform: uppercase; }
h1 { margin: 4px 0 8px; font-size: 32px; line-height: 1.2; }
h2 { margin: 48px 0 12px; font-size: 24px; border-bottom: 1px solid var(--rule); padding-bottom: 6px; }
h3 { margin: 28px 0 8px; font-size: 18px; }
p { margin: 8px 0; }
.muted, .meta { color: var(--muted); }
nav.toc { margin: 20px 0 0; font-size: 14px; }
nav.toc a { color: var(--accent); margin-right: 14px; text-decoration: none; }
.headline { font-size: 22px; line-height: 1.35; margin: 20px 0 12px; }
.headline strong { color: var(--accent); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: 12px; margin: 16px 0; }
.card { border: 1px solid var(--rule); border-radius: 8px; padding: 12px 14px; background: var(--bg-soft); }
.card .label { font-size: 13px; color: var(--muted); }
.card .value { font-size: 24px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card.alert .value { color: var(--warn); }
figure { margin: 16px 0 24px; }
figure svg { display: block; width: 100%; height: auto; border: 1px solid var(--rule); border-radius: 6px; }
figcaption { color: var(--muted); font-size: 14px; margin-top: 6px; }
.pair { display: grid; grid-template-columns: 1fr; gap: 8px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 14px; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { padding: 5px 12px 5px 0; border-bottom: 1px solid var(--rule); text-align: left; vertical-align: top; }
th { font-weight: 600; border-bottom: 2px solid var(--ink); }
td.num, th.num { text-align: right; padding-left: 16px; padding-right: 0; }
tr.default-nn td { background: #fff4e5; }
.tag { display: inline-block; font-size: 12px; padding: 0 6px; border-radius: 4px; background: var(--bg-soft); border: 1px solid var(--rule); }
ul.warnings li { margin: 4px 0; }
ul.warnings li::marker { color: var(--warn); }
dl.prov { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; font-size: 14px; }
dl.prov dt { color: var(--muted); }
dl.prov dd { margin: 0; overflow-wrap: anywhere; }
code, .hash { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 13px; }
pre { background: var(--bg-soft); border: 1px solid var(--rule); border-radius: 6px; padding: 10px 12px; overflow-x: auto; white-space: pre-wrap; overflow-wrap: anywhere; }
footer { margin-top: 48px; color: var(--muted); font-size: 13px; }
@media print {
  @page { margin: 14mm; }
  body { font-size: 10.5pt; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  main { max-width: none; padding: 0; }
  nav.toc { display: none; }
  h2 { margin-top: 20pt; break-after: avoid; page-break-after: avoid; }
  h3 { break-after: avoid; page-break-after: avoid; }
  figure, table, .cards, dl.prov { break-inside: avoid; page-break-inside: avoid; }
  figure svg { border: none; max-height: 120mm; }
  a { color: inherit; text-decoration: none; }
}
"#;

/// An inline chart of the forecast: the SVG with an accessible name, in a figure with a caption.
fn figure(r: &Report, kind: ChartKind, caption: &str) -> Result<String, ExportError> {
    let bytes = kind.render(r, ChartFormat::Svg)?;
    Ok(svg_figure(kind.name(), kind.title(), &bytes, caption))
}

/// A figure `chart-{name}` holding the SVG `bytes`, named `title` for screen readers.
fn svg_figure(name: &str, title: &str, bytes: &[u8], caption: &str) -> String {
    // plotters builds SVG in a String, so this never replaces anything.
    let svg = String::from_utf8_lossy(bytes);
    // Screen readers announce the chart by its title instead of reading every tick label.
    let svg = svg.replacen(
        "<svg ",
        &format!("<svg role=\"img\" aria-label=\"{}\" ", escape(title)),
        1,
    );
    format!(
        "<figure id=\"chart-{name}\">\n{}<figcaption>{}</figcaption>\n</figure>\n",
        svg.trim_end(),
        escape(caption)
    )
}

fn card(label: &str, value: &str, alert: bool) -> String {
    format!(
        "<div class=\"card{}\"><div class=\"label\">{}</div><div class=\"value\">{}</div></div>\n",
        if alert { " alert" } else { "" },
        escape(label),
        escape(value)
    )
}

fn headline(r: &Report, m: &MonthSummary) -> String {
    let mut out =
        String::from("<section id=\"headline\">\n<h2>Headline</h2>\n<p class=\"headline\">");
    out.push_str(&format!(
        "P95 monthly bill in {}: <strong>{}</strong>",
        escape(&m.month),
        escape(&format_usd(m.p95))
    ));
    if let Some(p) = r.headline.prob_over_budget {
        out.push_str(&format!(
            "; P(over budget) in {}: <strong>{}</strong>",
            escape(&m.month),
            escape(&format_pct(p))
        ));
    }
    out.push_str(".</p>\n");
    let mut notes = Vec::new();
    match (r.naive_same_month(), r.headline.p95_over_naive_same_month) {
        (Some(n), Some(x)) if x.is_finite() && n.monthly_usd > 0.0 => notes.push(format!(
            "That is {x:.1}× the naive spreadsheet estimate of {}/month for the same month.",
            format_usd(n.monthly_usd)
        )),
        _ if r.headline.p95_over_naive.is_finite() && r.naive_estimate.monthly_usd > 0.0 => notes
            .push(format!(
                "That is {:.1}× the naive spreadsheet estimate of {}/month for {}.",
                r.headline.p95_over_naive,
                format_usd(r.naive_estimate.monthly_usd),
                r.naive_estimate.month
            )),
        _ => {}
    }
    if let Some(b) = r.budget_usd {
        match &r.headline.first_month_p90_over_budget {
            Some(first) => notes.push(format!(
                "The P90 first exceeds the {}/month budget in {first}.",
                format_usd(b)
            )),
            None => notes.push(format!(
                "The P90 stays within the {}/month budget in every month.",
                format_usd(b)
            )),
        }
    }
    notes.push(format!(
        "{} is the month with the highest P95; amounts are the whole month's bill in USD.",
        m.month
    ));
    out.push_str(&format!("<p>{}</p>\n", escape(&notes.join(" "))));
    out.push_str("<div class=\"cards\">\n");
    out.push_str(&card(
        &format!("Median (P50), {}", m.month),
        &format_usd(m.p50),
        false,
    ));
    out.push_str(&card(
        &format!("P95, {}", m.month),
        &format_usd(m.p95),
        false,
    ));
    out.push_str(&card(
        &format!("P99, {}", m.month),
        &format_usd(m.p99),
        false,
    ));
    if let Some(p) = m.prob_over_budget {
        out.push_str(&card(
            &format!("P(over budget), {}", m.month),
            &format_pct(p),
            p >= 0.05,
        ));
    }
    let n = r.naive_same_month().unwrap_or(&r.naive_estimate);
    out.push_str(&card(
        &format!("Naive estimate, {}", n.month),
        &format_usd(n.monthly_usd),
        false,
    ));
    out.push_str("</div>\n</section>\n");
    out
}

/// "month range: model rates from date" lines for the price schedule actually used.
fn price_dates(r: &Report) -> Vec<String> {
    let mut models: Vec<&str> = Vec::new();
    for x in &r.pricing.rates_in_force {
        if !models.contains(&x.model.as_str()) {
            models.push(&x.model);
        }
    }
    let mut lines = Vec::new();
    for model in models {
        let mut runs: Vec<(String, String, Option<String>)> = Vec::new();
        for x in r.pricing.rates_in_force.iter().filter(|x| x.model == model) {
            match runs.last_mut() {
                Some(last) if last.2 == x.from => last.1 = x.month.clone(),
                _ => runs.push((x.month.clone(), x.month.clone(), x.from.clone())),
            }
        }
        for (a, b, from) in runs {
            let span = if a == b { a } else { format!("{a} to {b}") };
            let rates = match from {
                Some(d) => format!("rates effective from {d}"),
                None => "base (undated) rates".to_string(),
            };
            lines.push(format!("{model}, {span}: {rates}"));
        }
    }
    lines
}

/// Quote a shell word with single quotes when it needs quoting.
fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn provenance(r: &Report) -> String {
    let mut dl: Vec<(String, String)> = Vec::new();
    let text = |s: &str| escape(s);
    let hash = |s: &str| format!("<span class=\"hash\">{}</span>", escape(s));
    dl.push(("billcast".into(), text(&r.billcast_version)));
    dl.push((
        "Simulation".into(),
        text(&format!(
            "{} trials (possible worlds), seed {}",
            format_count(r.trials as f64),
            r.seed
        )),
    ));
    dl.push((
        "Mode".into(),
        text(&format!("{}: {}", r.mode, r.mode_reason)),
    ));
    let path = r.scenario.path.as_deref().unwrap_or("(not from a file)");
    dl.push((
        "Scenario".into(),
        format!(
            "<code>{}</code><br>sha256 {}",
            text(path),
            hash(&r.scenario.sha256)
        ),
    ));
    dl.push((
        "Overrides".into(),
        if r.scenario.overrides.is_empty() {
            text("none")
        } else {
            r.scenario
                .overrides
                .iter()
                .map(|o| format!("<code>--set {}</code>", text(o)))
                .collect::<Vec<_>>()
                .join("<br>")
        },
    ));
    if let Some(f) = &r.scenario.fitted_from {
        dl.push((
            "Fitted workload".into(),
            format!(
                "<code>{}</code><br>sha256 {}",
                text(&f.path),
                hash(&f.sha256)
            ),
        ));
    }
    dl.push(("Pricing fingerprint".into(), hash(&r.pricing.fingerprint)));
    dl.push((
        "Price tables".into(),
        r.pricing
            .files
            .iter()
            .map(|f| format!("<code>{}</code> {}", text(&f.path), hash(&f.sha256)))
            .collect::<Vec<_>>()
            .join("<br>"),
    ));
    dl.push((
        "Price schedule used".into(),
        price_dates(r)
            .iter()
            .map(|l| text(l))
            .collect::<Vec<_>>()
            .join("<br>"),
    ));
    let mut out =
        String::from("<section id=\"provenance\">\n<h2>Provenance</h2>\n<dl class=\"prov\">\n");
    for (k, v) in dl {
        out.push_str(&format!("<dt>{}</dt><dd>{v}</dd>\n", escape(&k)));
    }
    out.push_str("</dl>\n");
    if let Some(p) = &r.scenario.path {
        let mut cmd = vec!["billcast".to_string(), "report".into(), shell_word(p)];
        // Price tables that are not the bundled ones (same name and hash) were passed with
        // --pricing; the command needs them too.
        let bundled = crate::pricing::book::bundled_files();
        for f in &r.pricing.files {
            let is_bundled = bundled.iter().any(|(name, text)| {
                *name == f.path && crate::pricing::book::sha256_hex(text.as_bytes()) == f.sha256
            });
            if !is_bundled {
                // A LiteLLM layer is given as its folder, and recorded by its manifest.
                let path = std::path::Path::new(&f.path);
                let given = match path.parent() {
                    Some(dir) if path.ends_with(crate::pricing::layer::MANIFEST) => {
                        dir.display().to_string()
                    }
                    _ => f.path.clone(),
                };
                cmd.push("--pricing".into());
                cmd.push(shell_word(&given));
            }
        }
        for o in &r.scenario.overrides {
            cmd.push("--set".into());
            cmd.push(shell_word(o));
        }
        cmd.push("-o".into());
        cmd.push("DIR".into());
        out.push_str(&format!(
            "<p>Reproduce (same inputs and seed give identical numbers):</p>\n<pre><code>{}</code></pre>\n",
            escape(&cmd.join(" "))
        ));
    }
    out.push_str("</section>\n");
    out
}

fn assumptions(r: &Report) -> String {
    let g = rows::assumptions(&r.assumptions, true);
    let nn = |i: usize| {
        r.assumptions
            .get(i)
            .filter(|a| a.non_neutral())
            .map(|_| "default-nn")
    };
    let mut out = String::from("<section id=\"assumptions\">\n<h2>Assumptions</h2>\n");
    out.push_str(
        "<p>Every input of the forecast, its value or distribution, how often a new value is drawn \
         (per <em>trial</em> = once per possible world, per session, turn or call), and where it came \
         from: the scenario file, a <code>--set</code> override, a file fitted from transcripts, or \
         billcast's default. Highlighted rows are defaults that change the answer; set them in the \
         scenario if they are not what you mean.</p>\n",
    );
    out.push_str(&grid(&g, None, &nn));
    out.push_str("</section>\n");
    out
}

fn breakdown(r: &Report, m: &MonthSummary) -> Result<String, ExportError> {
    let mut out = String::from("<section id=\"breakdown\">\n<h2>Where the money goes</h2>\n");
    out.push_str(&figure(
        r,
        ChartKind::Breakdown,
        "Mean monthly bill by cost component (means add up; percentiles do not), and by route when traffic is split.",
    )?);
    out.push_str(&grid(
        &rows::components(m),
        Some(&format!(
            "By component, {} (mean {})",
            m.month,
            format_usd(m.mean)
        )),
        &no_class,
    ));
    if r.routes.len() > 1 {
        out.push_str(&grid(
            &rows::routes(r, m),
            Some(&format!("By route, {}", m.month)),
            &no_class,
        ));
    }
    out.push_str(&grid(
        &rows::volumes(m),
        Some(&format!("Volume, {}", m.month)),
        &no_class,
    ));
    out.push_str("</section>\n");
    Ok(out)
}

/// What drives the spread: the listed drivers with where each came from.
fn drivers(r: &Report) -> String {
    let (Some(d), Some(g)) = (&r.drivers, rows::drivers(r)) else {
        return String::new();
    };
    let top = d.top();
    let flag = |i: usize| {
        top.get(i)
            .filter(|x| x.default_assumption)
            .map(|_| "default-nn")
    };
    let mut out = format!(
        "<section id=\"drivers\">\n<h2>What drives the spread in {}</h2>\n",
        escape(&d.month)
    );
    out.push_str(&grid(&g, None, &flag));
    out.push_str(&format!(
        "<p class=\"muted\">{} Highlighted rows are billcast defaults, not your data or scenario: set them in the scenario if you know better.</p>\n</section>\n",
        escape(&rows::drivers_note(d))
    ));
    out
}

fn naive(r: &Report) -> Result<String, ExportError> {
    let mut out = String::from("<section id=\"naive\">\n<h2>Naive estimate vs simulation</h2>\n");
    out.push_str(&figure(
        r,
        ChartKind::Naive,
        "The spreadsheet estimate beside the simulated median and P95 of the same month.",
    )?);
    let mut estimates = vec![&r.naive_estimate];
    if let Some(h) = &r.naive_headline
        && h.month != r.naive_estimate.month
    {
        estimates.push(h);
    }
    for n in estimates {
        out.push_str(&naive_month(r, n));
    }
    out.push_str("</section>\n");
    Ok(out)
}

/// The naive estimate of one month beside the simulated bill of the same month.
fn naive_month(r: &Report, n: &crate::engine::naive::Naive) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "<p>Naive estimate for {}: <strong>{}/month</strong> = {} requests × {}/request ({:.0} tokens in, {:.0} out). Method: {}.</p>\n",
        escape(&n.month),
        escape(&format_usd(n.monthly_usd)),
        escape(&format_count(n.requests_per_month)),
        escape(&format_usd(n.usd_per_request)),
        n.input_tokens_per_request,
        n.output_tokens_per_request,
        escape(&n.method)
    ));
    if let Some(m) = r.months.iter().find(|m| m.month == n.month)
        && n.monthly_usd > 0.0
    {
        out.push_str(&format!(
            "<p>In the same month the simulated median is {} ({:.1}× the naive estimate) and the P95 {} ({:.1}×): \
             the gap is conversation history re-sent on every call, tool rounds, retries, caching and heavy users, \
             which one average request leaves out.</p>\n",
            escape(&format_usd(m.p50)),
            m.p50 / n.monthly_usd,
            escape(&format_usd(m.p95)),
            m.p95 / n.monthly_usd
        ));
    }
    out
}

/// The overhead section: headline, chart, strategy table, availability, people hours, TCO by
/// month, assumptions and warnings of `o`.
fn overhead(o: &OverheadReport) -> Result<String, ExportError> {
    use crate::charts::overhead as chart;
    let mut out = format!(
        "<section id=\"overhead\">\n<h2>{}</h2>\n",
        escape(overhead_render::PACK_SECTION)
    );
    out.push_str(&format!(
        "<p>The strategies of the scenario's <code>[overhead]</code> section compared as monthly total \
         cost of ownership (tokens + evals + people + downtime), mean month of {}, simulated with the \
         same scenario, seed and trials as the forecast above.</p>\n",
        escape(&overhead_render::period(o))
    ));
    out.push_str("<p class=\"headline\">");
    out.push_str(
        &overhead_render::headline(o)
            .lines()
            .map(escape)
            .collect::<Vec<_>>()
            .join("<br>\n"),
    );
    out.push_str("</p>\n");
    out.push_str(&svg_figure(
        chart::FILE_STEM,
        chart::TITLE,
        &chart::tco(o, ChartFormat::Svg)?,
        "Mean monthly TCO per strategy stacked by part; whiskers span the P50–P95 of the TCO; the \
         dashed line is the naive budget of 2× single-provider token spend; “× spend” is tokens + \
         evals + people over single-provider token spend.",
    ));
    out.push_str(&grid(
        &overhead_render::strategies(o),
        Some("By strategy, mean month (USD; Spend × = tokens + evals + people over single-provider token spend, naive 2.0×)"),
        &no_class,
    ));
    let mut notes = Vec::new();
    if let Some(line) = overhead_render::availability_line(o) {
        notes.push(line);
    }
    notes.push(overhead_render::BREAK_EVEN_NOTE.to_string());
    for n in notes {
        out.push_str(&format!("<p>{}</p>\n", escape(&n)));
    }
    out.push_str(&grid(
        &overhead_render::people(o),
        Some("Human hours per month added over running one provider"),
        &no_class,
    ));
    if o.months.len() > 1 {
        out.push_str(&grid(
            &overhead_render::months(o),
            Some("Mean TCO by month (USD; fixed hours weigh less as spend grows)"),
            &no_class,
        ));
    }
    out.push_str(&grid(
        &rows::assumptions(&o.assumptions, true),
        Some("Overhead assumptions"),
        &no_class,
    ));
    if !o.warnings.is_empty() {
        out.push_str("<ul class=\"warnings\">\n");
        for w in &o.warnings {
            out.push_str(&format!("<li>{}</li>\n", escape(w)));
        }
        out.push_str("</ul>\n");
    }
    out.push_str(&format!(
        "<p class=\"muted\">{} trials · seed {} · {} engine · primary {}{}.</p>\n</section>\n",
        escape(&format_count(o.trials as f64)),
        o.seed,
        escape(&o.engine_mode),
        escape(&o.primary_models.join(" + ")),
        o.secondary_model
            .as_ref()
            .map(|m| format!(" · secondary {}", escape(m)))
            .unwrap_or_default()
    ));
    Ok(out)
}

/// A list of notes, or nothing.
fn notes_list(notes: &[String]) -> String {
    if notes.is_empty() {
        return String::new();
    }
    let mut out = String::from("<ul class=\"warnings\">\n");
    for n in notes {
        out.push_str(&format!("<li>{}</li>\n", escape(n)));
    }
    out.push_str("</ul>\n");
    out
}

/// `id="compare"`: the variants' sentence, overlaid exceedance chart, percentiles with deltas
/// and components.
fn compare_section(c: &Comparison) -> Result<String, ExportError> {
    let mut out = format!(
        "<section id=\"compare\">\n<h2>{}, {}</h2>\n<p class=\"headline\">{}</p>\n",
        titles::COMPARE,
        escape(&c.month),
        escape(whatif_render::compare_sentence(c).trim())
    );
    out.push_str(&svg_figure(
        "compare",
        titles::COMPARE,
        &charts::compare(c, ChartFormat::Svg)?,
        titles::COMPARE_CHART,
    ));
    out.push_str(&grid(
        &whatif_render::compare_grid(c),
        Some("Percentiles per variant (USD); deltas against the first"),
        &no_class,
    ));
    out.push_str(&grid(
        &whatif_render::compare_components_grid(c),
        Some(&format!("Where the money goes in {} (USD)", c.month)),
        &no_class,
    ));
    out.push_str(&notes_list(&whatif_render::compare_notes(c)));
    out.push_str(&format!(
        "<p class=\"muted\">{}.</p>\n</section>\n",
        escape(&whatif_render::meta(&c.alignment))
    ));
    Ok(out)
}

/// `id="solve"`: the answer, its bracket and Monte Carlo interval, the percentiles around it
/// and every evaluation of the search.
fn solve_section(s: &Solution, curve: &Sweep) -> Result<String, ExportError> {
    let mut out = format!(
        "<section id=\"solve\">\n<h2>{}: {}</h2>\n<p class=\"headline\">{}.</p>\n",
        titles::SOLVE,
        escape(&s.param),
        escape(&whatif_render::solve_sentence(s))
    );
    out.push_str("<ul>\n");
    for (k, v) in whatif_render::solve_details(s) {
        out.push_str(&format!("<li>{}: {}</li>\n", escape(&k), escape(&v)));
    }
    out.push_str("</ul>\n");
    out.push_str(&svg_figure(
        "solve",
        titles::SOLVE,
        &charts::sweep(curve, ChartFormat::Svg)?,
        titles::SOLVE_CHART,
    ));
    out.push_str(&grid(
        &whatif_render::solve_grid(s),
        Some("Every evaluation of the search"),
        &no_class,
    ));
    out.push_str(&notes_list(&whatif_render::solve_notes(s)));
    out.push_str(&format!(
        "<p class=\"muted\">{} · {} engine runs.</p>\n</section>\n",
        escape(&whatif_render::meta(&s.alignment)),
        s.engine_runs
    ));
    Ok(out)
}

/// `id="sensitivity"`: the sentence, the tornado chart, the Sobol indices and the tornado
/// table.
fn sensitivity_section(s: &Sensitivity) -> Result<String, ExportError> {
    let mut out = format!(
        "<section id=\"sensitivity\">\n<h2>{} in {}</h2>\n<p class=\"headline\">{}.</p>\n",
        titles::SENSITIVITY,
        escape(&s.month),
        escape(&whatif_render::sensitivity_sentence(s))
    );
    out.push_str(&svg_figure(
        "tornado",
        titles::SENSITIVITY,
        &charts::tornado(s, ChartFormat::Svg)?,
        titles::SENSITIVITY_CHART,
    ));
    out.push_str(&grid(
        &whatif_render::sobol_grid(s),
        Some(&format!(
            "Sobol indices of the monthly bill (mean {}, sd {})",
            format_usd(s.bill_mean),
            format_usd(s.bill_sd)
        )),
        &no_class,
    ));
    out.push_str(&grid(
        &whatif_render::tornado_grid(s),
        Some(&format!(
            "Tornado (median world: mean {}, P95 {})",
            format_usd(s.median_world_mean),
            format_usd(s.median_world_p95)
        )),
        &no_class,
    ));
    out.push_str(&notes_list(&whatif_render::sensitivity_notes(s)));
    out.push_str(&format!(
        "<p class=\"muted\">{}.</p>\n</section>\n",
        escape(&whatif_render::sensitivity_meta(s))
    ));
    Ok(out)
}

/// The HTML report of `r`.
///
/// # Errors
/// [`ExportError::NoMonths`] for a report without months; [`ExportError::Chart`] if a chart
/// cannot be drawn.
pub fn render(r: &Report) -> Result<String, ExportError> {
    render_pack(r, &Pack::default())
}

/// The HTML report of `r` with, when `overhead` is given (the scenario has an `[overhead]`
/// section), a section on the operational overhead of a second provider between the naive
/// estimate and the assumptions. Without it, exactly [`render`].
///
/// # Errors
/// As [`render`]; [`ExportError::Chart`] also when the overhead chart cannot be drawn.
pub fn render_with_overhead(
    r: &Report,
    overhead_report: Option<&OverheadReport>,
) -> Result<String, ExportError> {
    render_pack(
        r,
        &Pack {
            overhead: overhead_report,
            ..Pack::default()
        },
    )
}

/// The design-review page of `r` with a section per part of `pack` after the naive estimate:
/// the overhead of a second provider, the variants compared, the largest value under budget
/// and what drives the bill. With `Pack::default()`, exactly [`render`].
///
/// # Errors
/// As [`render`]; [`ExportError::Chart`] also when a section's chart cannot be drawn.
pub fn render_pack(r: &Report, pack: &Pack<'_>) -> Result<String, ExportError> {
    let overhead_report = pack.overhead;
    let m = r
        .headline_month()
        .or_else(|| r.months.last())
        .ok_or(ExportError::NoMonths)?;
    let first = r.months.first().map_or("", |x| x.month.as_str());
    let last = r.months.last().map_or("", |x| x.month.as_str());
    let mut out = String::with_capacity(256 * 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!(
        "<meta name=\"generator\" content=\"billcast {}\">\n",
        escape(&r.billcast_version)
    ));
    out.push_str(&format!(
        "<title>billcast forecast: {}</title>\n<style>{}</style>\n</head>\n<body>\n<main>\n",
        escape(&r.scenario.name),
        CSS
    ));

    // Header.
    out.push_str("<header>\n<p class=\"kicker\">billcast forecast · design review</p>\n");
    out.push_str(&format!("<h1>{}</h1>\n", escape(&r.scenario.name)));
    if let Some(d) = &r.scenario.description {
        out.push_str(&format!("<p>{}</p>\n", escape(d)));
    }
    let mut meta = format!(
        "{} to {} · {} trials · seed {} · {} mode",
        first,
        last,
        format_count(r.trials as f64),
        r.seed,
        r.mode
    );
    if let Some(b) = r.budget_usd {
        meta.push_str(&format!(" · budget {}/month", format_usd(b)));
    }
    out.push_str(&format!("<p class=\"meta\">{}</p>\n", escape(&meta)));
    out.push_str(
        "<nav class=\"toc\"><a href=\"#headline\">Headline</a><a href=\"#percentiles\">Per month</a>\
         <a href=\"#distribution\">Distribution</a>",
    );
    if r.drivers.as_ref().is_some_and(|d| !d.top().is_empty()) {
        out.push_str("<a href=\"#drivers\">Drivers</a>");
    }
    out.push_str(
        "<a href=\"#breakdown\">Breakdown</a>\
         <a href=\"#naive\">Naive vs simulated</a>",
    );
    if overhead_report.is_some() {
        out.push_str("<a href=\"#overhead\">Second provider</a>");
    }
    if pack.compare.is_some() {
        out.push_str("<a href=\"#compare\">Variants</a>");
    }
    if pack.solve.is_some() {
        out.push_str("<a href=\"#solve\">Under budget</a>");
    }
    if pack.sensitivity.is_some() {
        out.push_str("<a href=\"#sensitivity\">What drives the bill</a>");
    }
    out.push_str(
        "<a href=\"#assumptions\">Assumptions</a>\
         <a href=\"#warnings\">Warnings</a><a href=\"#provenance\">Provenance</a></nav>\n</header>\n",
    );

    out.push_str(&headline(r, m));

    // Per month.
    out.push_str("<section id=\"percentiles\">\n<h2>Monthly bill over the horizon</h2>\n");
    out.push_str(&figure(
        r,
        ChartKind::Fan,
        "Median (line) with the middle 50% and 90% of simulated worlds (bands), the mean (dotted) and the budget (dashed).",
    )?);
    out.push_str(&grid(
        &rows::months(r),
        Some("Percentiles per month (USD)"),
        &no_class,
    ));
    out.push_str("</section>\n");

    // The headline month's distribution.
    out.push_str(&format!(
        "<section id=\"distribution\">\n<h2>The bill in {}</h2>\n",
        escape(&m.month)
    ));
    out.push_str("<div class=\"pair\">\n");
    out.push_str(&figure(
        r,
        ChartKind::Distribution,
        &format!(
            "Distribution of the {} bill across simulated worlds, rebuilt from the report's 101 quantiles.",
            m.month
        ),
    )?);
    out.push_str(&figure(
        r,
        ChartKind::Exceedance,
        "Chance that the monthly bill exceeds each amount; where a curve crosses 5% is its P95.",
    )?);
    out.push_str("</div>\n");
    let se = if m.p95 > 0.0 { m.p95_se / m.p95 } else { 0.0 };
    out.push_str(&format!(
        "<p class=\"muted\">Mean {}, standard deviation {}. Monte Carlo standard error of the P95: {} ({}); \
         more trials narrow it by √trials. Axes of the charts use compact amounts ({} = {}).</p>\n",
        escape(&format_usd(m.mean)),
        escape(&format_usd(m.sd)),
        escape(&format_usd(m.p95_se)),
        escape(&format_pct(se)),
        escape(&format_usd_compact(12_345.0)),
        escape(&format_usd(12_345.0)),
    ));
    out.push_str("</section>\n");

    out.push_str(&drivers(r));
    out.push_str(&breakdown(r, m)?);
    out.push_str(&naive(r)?);
    if let Some(o) = overhead_report {
        out.push_str(&overhead(o)?);
    }
    if let Some(c) = pack.compare {
        out.push_str(&compare_section(c)?);
    }
    if let Some((s, curve)) = pack.solve {
        out.push_str(&solve_section(s, curve)?);
    }
    if let Some(s) = pack.sensitivity {
        out.push_str(&sensitivity_section(s)?);
    }
    out.push_str(&assumptions(r));

    if let Some(f) = &r.scenario.fitted_from {
        out.push_str("<section id=\"fit\">\n<h2>Fitted workload</h2>\n");
        out.push_str(&format!(
            "<p>Workload distributions were fitted from transcripts into <code>{}</code> (sha256 <span class=\"hash\">{}</span>). \
             Rows marked “fitted file” in the assumptions come from it. Run <code>billcast fit … --charts DIR</code> for the \
             fit diagnostics (histograms with fitted densities and QQ plots).</p>\n</section>\n",
            escape(&f.path),
            escape(&f.sha256)
        ));
    }

    out.push_str("<section id=\"warnings\">\n<h2>Warnings</h2>\n");
    if r.warnings.is_empty() {
        out.push_str("<p>None.</p>\n");
    } else {
        out.push_str("<ul class=\"warnings\">\n");
        for w in &r.warnings {
            out.push_str(&format!("<li>{}</li>\n", escape(w)));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");

    out.push_str(&provenance(r));
    out.push_str(&format!(
        "<footer>Generated by billcast {}. This page is self-contained: no scripts, no external resources.</footer>\n",
        escape(&r.billcast_version)
    ));
    out.push_str("</main>\n</body>\n</html>\n");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<a href=\"x\">Tom & Jerry's</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;"
        );
    }

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_word("simulation.trials=300"), "simulation.trials=300");
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
    }
}
