//! Terminal text: what a person reads after a command. Every kind is a [`Text`] — a title
//! line `billcast KIND — SUBJECT`, a meta line (trials, seed, mode), a lead sentence, the body
//! (tables and lines), then the `Notes:` and `Warnings:` blocks — written in that order by
//! [`Table`], so every command's terminal output has the same shape.

use super::{ExportError, Exporter, Format, check_result};
use crate::overhead::OverheadReport;
use crate::overhead::render as overhead;
use crate::report::tokens::TokensReport;
use crate::report::{Report, rows};
use crate::results::{Body, Envelope, Kind};
use crate::table::text as grid;
use crate::units::{format_count, format_pct, format_usd};
use crate::whatif::compare::Comparison;
use crate::whatif::diff::ReportDiff;
use crate::whatif::render as whatif;
use crate::whatif::sensitivity::Sensitivity;
use crate::whatif::solve::Solution;
use crate::whatif::sweep::Sweep;

/// The terminal exporter.
pub struct Table;

impl Exporter for Table {
    fn format(&self) -> Format {
        Format::Table
    }

    fn export(&self, result: &Envelope<'_>) -> Result<String, ExportError> {
        check_result(result, Format::Table)?;
        let text = match &result.body {
            Body::Forecast(r) => forecast(r),
            Body::Overhead(o) => overhead_text(o),
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
            | Body::Pricing(_) => Text::body(super::lines(&result.body, false)),
        };
        Ok(text.write(result.kind()))
    }
}

/// A result as terminal text, in parts.
#[derive(Debug, Default)]
pub struct Text {
    /// What the result is about, after `billcast KIND — ` on the first line; without it the
    /// text has no title, meta line or lead.
    pub subject: Option<String>,
    /// The line under the title: trials, seed, mode.
    pub meta: Option<String>,
    /// The answer, before the tables.
    pub lead: Option<String>,
    /// Tables and lines.
    pub body: String,
    /// `Notes:` block.
    pub notes: Vec<String>,
    /// `Warnings:` block.
    pub warnings: Vec<String>,
    /// After the notes and warnings (a diff's cost gate).
    pub tail: String,
}

impl Text {
    /// A text that is only a body.
    pub fn body(body: String) -> Text {
        Text {
            body,
            ..Text::default()
        }
    }

    /// The text of a result of `kind`.
    pub fn write(&self, kind: Kind) -> String {
        let mut out = String::new();
        if let Some(s) = &self.subject {
            out.push_str(&format!("billcast {} — {s}\n", kind.name()));
            if let Some(m) = &self.meta {
                out.push_str(&format!("{m}\n"));
            }
            out.push('\n');
        }
        if let Some(l) = &self.lead {
            out.push_str(&format!("{l}\n\n"));
        }
        out.push_str(&self.body);
        for (title, lines) in [("Notes", &self.notes), ("Warnings", &self.warnings)] {
            if !lines.is_empty() {
                out.push_str(&format!("\n{title}:\n"));
                out.push_str(&whatif::notes_block(lines, "  ! "));
            }
        }
        out.push_str(&self.tail);
        out
    }
}

/// ` (path)` of a scenario read from a file.
fn path_suffix(path: Option<&str>) -> String {
    path.map(|p| format!(" ({p})")).unwrap_or_default()
}

fn forecast(r: &Report) -> Text {
    let mut meta = format!(
        "{} trials · seed {} · {} mode",
        format_count(r.trials as f64),
        r.seed,
        r.mode
    );
    if let Some(b) = r.budget_usd {
        meta.push_str(&format!(" · budget {}/month", format_usd(b)));
    }
    let mut out = grid(&rows::months(r));
    out.push('\n');
    if let Some(m) = r.headline_month() {
        out.push_str(&format!(
            "\nWhere the money goes in {} (mean {}):\n",
            m.month,
            format_usd(m.mean)
        ));
        out.push_str(&grid(&rows::components(m)));
        out.push('\n');
        if r.routes.len() > 1 {
            out.push_str(&format!("\nBy route in {}:\n", m.month));
            out.push_str(&grid(&rows::routes(r, m)));
            out.push('\n');
        }
        out.push_str(&format!("\nVolume in {}:\n", m.month));
        out.push_str(&grid(&rows::volumes(m)));
        out.push('\n');
        let se = if m.p95 > 0.0 { m.p95_se / m.p95 } else { 0.0 };
        out.push_str(&format!(
            "\nMonte Carlo standard error of the P95 in {}: {} ({}).\n",
            m.month,
            format_usd(m.p95_se),
            format_pct(se)
        ));
    }
    if let (Some(d), Some(g)) = (&r.drivers, rows::drivers(r)) {
        out.push_str(&format!("\nWhat drives the spread in {}:\n", d.month));
        out.push_str(&grid(&g));
        out.push('\n');
        out.push_str(&rows::drivers_note(d));
        out.push('\n');
    }
    let same = r.naive_same_month();
    let n = same.unwrap_or(&r.naive_estimate);
    out.push_str(&format!(
        "\nNaive estimate for {}: {}/month = {} requests × {}/request ({:.0} tokens in, {:.0} out; one average request, no history, tools, retries or caching).\n",
        n.month,
        format_usd(n.monthly_usd),
        format_count(n.requests_per_month),
        format_usd(n.usd_per_request),
        n.input_tokens_per_request,
        n.output_tokens_per_request
    ));
    match (same, r.headline.p95_over_naive_same_month) {
        (Some(n), Some(x)) if x.is_finite() => out.push_str(&format!(
            "The simulated P95 in {} is {x:.1}× the naive estimate for {}.\n",
            r.headline.month, n.month
        )),
        _ if r.headline.p95_over_naive.is_finite() => out.push_str(&format!(
            "The simulated P95 in {} is {:.1}× the naive estimate for {}.\n",
            r.headline.month, r.headline.p95_over_naive, r.naive_estimate.month
        )),
        _ => {}
    }
    let defaults: Vec<_> = r
        .assumptions
        .iter()
        .filter(|a| a.is_default() && a.non_neutral())
        .collect();
    if !defaults.is_empty() {
        out.push_str("\nDefaults that change the answer:\n");
        for a in defaults {
            out.push_str(&format!("  {} = {}\n", a.key, a.value));
        }
    }
    Text {
        subject: Some(format!(
            "{}{}",
            r.scenario.name,
            path_suffix(r.scenario.path.as_deref())
        )),
        meta: Some(meta),
        lead: Some(format!("{}.", r.headline_sentence())),
        body: out,
        warnings: r.warnings.clone(),
        ..Text::default()
    }
}

fn overhead_text(r: &OverheadReport) -> Text {
    let mut out = format!(
        "Mean month of {}, USD (Spend × = tokens + evals + people over single-provider token spend):\n",
        overhead::period(r)
    );
    out.push_str(&grid(&overhead::strategies(r)));
    out.push('\n');
    if let Some(line) = overhead::availability_line(r) {
        out.push('\n');
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str("\nHuman hours per month added over running one provider:\n");
    out.push_str(&grid(&overhead::people(r)));
    out.push('\n');
    if r.months.len() > 1 {
        out.push_str("\nMean TCO by month (fixed hours weigh less as spend grows):\n");
        out.push_str(&grid(&overhead::months(r)));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(overhead::BREAK_EVEN_NOTE);
    out.push('\n');
    let defaults: Vec<_> = r
        .assumptions
        .iter()
        .filter(|a| a.is_default() && a.key != "overhead.strategies")
        .map(|a| a.key.trim_start_matches("overhead."))
        .collect();
    if !defaults.is_empty() {
        out.push_str(&format!(
            "Defaults used (see --format markdown for sources): {}.\n",
            defaults.join(", ")
        ));
    }
    Text {
        subject: Some(format!(
            "{}{}",
            r.scenario.name,
            path_suffix(r.scenario.path.as_deref())
        )),
        meta: Some(format!(
            "{} trials · seed {} · {} engine · primary {}{}",
            format_count(r.trials as f64),
            r.seed,
            r.engine_mode,
            r.primary_models.join(" + "),
            r.secondary_model
                .as_ref()
                .map(|m| format!(" · secondary {m}"))
                .unwrap_or_default()
        )),
        lead: Some(overhead::headline(r)),
        body: out,
        warnings: r.warnings.clone(),
        ..Text::default()
    }
}

fn compare(c: &Comparison) -> Text {
    let mut out = grid(&whatif::compare_grid(c));
    out.push_str(&format!("\n\nWhere the money goes in {}:\n", c.month));
    out.push_str(&grid(&whatif::compare_components_grid(c)));
    out.push_str(&format!("\n\n{}\n", whatif::compare_sentence(c)));
    if let Some(t) = &c.tokenizer_check {
        out.push_str(&format!("{}\n", t.sentence()));
    }
    let notes = whatif::compare_notes(c);
    Text {
        subject: Some(format!("{} variants · {}", c.variants.len(), c.month)),
        meta: Some(whatif::meta(&c.alignment)),
        body: out,
        notes,
        ..Text::default()
    }
}

fn sweep(s: &Sweep) -> Text {
    let mut out = grid(&whatif::sweep_grid(s));
    out.push('\n');
    if let Some(t) = whatif::sweep_sentence(s) {
        out.push_str(&format!("\n{t}\n"));
    }
    Text {
        subject: Some(format!(
            "{} · {} over {} values · {}",
            s.scenario,
            s.param,
            s.points.len(),
            s.month
        )),
        meta: Some(whatif::meta(&s.alignment)),
        body: out,
        notes: whatif::sweep_notes(s),
        ..Text::default()
    }
}

fn solve(s: &Solution) -> Text {
    let mut out = String::new();
    for (k, v) in whatif::solve_details(s) {
        out.push_str(&format!("  {k}: {v}\n"));
    }
    out.push_str("\nEvaluations:\n");
    out.push_str(&grid(&whatif::solve_grid(s)));
    out.push('\n');
    Text {
        subject: Some(format!(
            "{} · {} of {} ≤ {}",
            s.scenario,
            whatif::quantile_name(s.quantile),
            s.month,
            format_usd(s.budget_usd)
        )),
        meta: Some(format!(
            "{} · {} engine runs",
            whatif::meta(&s.alignment),
            s.engine_runs
        )),
        lead: Some(format!("{}.", whatif::solve_sentence(s))),
        body: out,
        notes: whatif::solve_notes(s),
        ..Text::default()
    }
}

fn sensitivity(s: &Sensitivity) -> Text {
    let mut out = format!(
        "Tornado: each input at its P10 and P90, every other input at its median (median world: mean {}, P95 {}):\n",
        format_usd(s.median_world_mean),
        format_usd(s.median_world_p95)
    );
    out.push_str(&grid(&whatif::tornado_grid(s)));
    out.push_str(&format!(
        "\n\nSobol indices of the monthly bill (mean {}, sd {}; {} bootstrap resamples):\n",
        format_usd(s.bill_mean),
        format_usd(s.bill_sd),
        s.bootstrap
    ));
    out.push_str(&grid(&whatif::sobol_grid(s)));
    out.push('\n');
    Text {
        subject: Some(format!("{} · {}", s.scenario, s.month)),
        meta: Some(whatif::sensitivity_meta(s)),
        lead: Some(format!("{}.", whatif::sensitivity_sentence(s))),
        body: out,
        notes: whatif::sensitivity_notes(s),
        ..Text::default()
    }
}

fn diff(d: &ReportDiff) -> Text {
    let mut out = grid(&whatif::diff_grid(d));
    if d.months.len() > 1 {
        out.push_str("\n\nBy month:\n");
        out.push_str(&grid(&whatif::diff_months_grid(d)));
    }
    out.push_str("\n\n");
    if d.assumptions.is_empty() {
        out.push_str("Inputs: no changes.\n");
    } else {
        out.push_str(&format!(
            "Inputs changed ({}). Key: + added, - removed, ~ changed\n",
            d.assumptions.len()
        ));
        for a in &d.assumptions {
            out.push_str(&format!("  {}\n", a.line()));
        }
    }
    let mut tail = String::new();
    if !d.gate.is_empty() {
        tail.push_str(&format!(
            "\nCost gate: {}\n",
            if d.gate_failed() { "FAILED" } else { "passed" }
        ));
        for l in whatif::gate_lines(d) {
            tail.push_str(&format!("  {l}\n"));
        }
    }
    Text {
        subject: Some(format!(
            "{} → {} ({})",
            d.base.label, d.head.label, d.head.scenario
        )),
        lead: Some(format!("{}.", d.headline)),
        body: out,
        notes: d.notes.clone(),
        tail,
        ..Text::default()
    }
}

fn tokens(t: &TokensReport) -> Text {
    let mut out = grid(&t.grid());
    out.push('\n');
    for n in t.notes() {
        out.push_str(&format!("\n{n}\n"));
    }
    Text {
        subject: Some(format!(
            "{} file{}",
            t.files.len(),
            if t.files.len() == 1 { "" } else { "s" }
        )),
        body: out,
        ..Text::default()
    }
}
