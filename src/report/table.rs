//! The terminal view: what a person reads after `billcast forecast`.

use super::Report;
use super::rows;
use crate::table::text as grid;
use crate::units::{format_pct, format_usd};

/// The full terminal report.
pub fn render(r: &Report) -> String {
    let mut out = String::new();
    let path = r
        .scenario
        .path
        .as_deref()
        .map(|p| format!(" ({p})"))
        .unwrap_or_default();
    out.push_str(&format!("billcast forecast — {}{path}\n", r.scenario.name));
    let mut meta = format!(
        "{} trials · seed {} · {} mode",
        crate::units::format_count(r.trials as f64),
        r.seed,
        r.mode
    );
    if let Some(b) = r.budget_usd {
        meta.push_str(&format!(" · budget {}/month", format_usd(b)));
    }
    out.push_str(&meta);
    out.push_str("\n\n");
    out.push_str(&r.headline_sentence());
    out.push_str(".\n\n");
    out.push_str(&grid(&rows::months(r)));
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
        crate::units::format_count(n.requests_per_month),
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
        .filter(|a| a.origin == "default" && a.non_neutral_default)
        .collect();
    if !defaults.is_empty() {
        out.push_str("\nDefaults that change the answer:\n");
        for a in defaults {
            out.push_str(&format!("  {} = {}\n", a.key, a.value));
        }
    }
    if !r.warnings.is_empty() {
        out.push_str("\nWarnings:\n");
        for w in &r.warnings {
            out.push_str(&format!("  ! {w}\n"));
        }
    }
    out
}
