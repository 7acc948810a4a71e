//! Table contents shared by the terminal table and Markdown exporters: each builder returns a
//! header and rows of formatted cells, so both formats always show the same numbers.

use super::{MonthSummary, Report};
use crate::engine::drivers::Drivers;
use crate::scenario::Assumption;
use crate::table::Grid;
use crate::units::{format_count, format_pct, format_usd};

/// The header of a percentile table: `first`, Mean, P50, P90, P95, P99 and, with a budget,
/// P(> budget).
pub fn stats_header(first: &str, budget: bool) -> Vec<String> {
    let mut header: Vec<String> = [first, "Mean", "P50", "P90", "P95", "P99"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    if budget {
        header.push("P(> budget)".into());
    }
    header
}

/// One row of a [`stats_header`] table: `label` and the month's statistics in dollars.
pub fn stats_row(label: String, m: &MonthSummary, budget: bool) -> Vec<String> {
    let mut row = vec![
        label,
        format_usd(m.mean),
        format_usd(m.p50),
        format_usd(m.p90),
        format_usd(m.p95),
        format_usd(m.p99),
    ];
    if budget {
        row.push(m.prob_over_budget.map_or("-".into(), format_pct));
    }
    row
}

/// Percentiles per month.
pub fn months(r: &Report) -> Grid {
    let budget = r.budget_usd.is_some();
    let header = stats_header("Month", budget);
    let rows = r
        .months
        .iter()
        .map(|m| stats_row(m.month.clone(), m, budget))
        .collect();
    Grid::labelled(header, rows)
}

/// Where the money goes in one month, by component (zero components omitted).
pub fn components(m: &MonthSummary) -> Grid {
    let total = m.components.total();
    let mut rows: Vec<Vec<String>> = m
        .components
        .entries()
        .iter()
        .filter(|(_, usd)| *usd > 0.0)
        .map(|(name, usd)| {
            vec![
                name.replace('_', " "),
                format_usd(*usd),
                format_pct(if total > 0.0 { usd / total } else { 0.0 }),
            ]
        })
        .collect();
    rows.push(vec![
        "total (mean)".into(),
        format_usd(total),
        format_pct(1.0),
    ]);
    Grid {
        header: vec!["Component".into(), "Mean".into(), "Share".into()],
        rows,
        right: vec![false, true, true],
    }
}

/// Mean bill by route in one month.
pub fn routes(r: &Report, m: &MonthSummary) -> Grid {
    let total: f64 = m.routes.iter().map(|x| x.usd).sum();
    let rows = m
        .routes
        .iter()
        .map(|rc| {
            let model = r
                .routes
                .iter()
                .find(|x| x.name == rc.route)
                .map(|x| x.model.clone())
                .unwrap_or_default();
            let share = r
                .routes
                .iter()
                .find(|x| x.name == rc.route)
                .map_or(0.0, |x| x.share);
            let label = if model == rc.route {
                model
            } else {
                format!("{} ({model})", rc.route)
            };
            vec![
                label,
                format_pct(share),
                format_usd(rc.usd),
                format_pct(if total > 0.0 { rc.usd / total } else { 0.0 }),
            ]
        })
        .collect();
    Grid {
        header: vec![
            "Route".into(),
            "Traffic".into(),
            "Mean".into(),
            "Share of bill".into(),
        ],
        rows,
        right: vec![false, true, true, true],
    }
}

/// Mean volumes in one month.
pub fn volumes(m: &MonthSummary) -> Grid {
    let v = &m.volumes;
    let mut rows = vec![
        vec!["sessions".to_string(), format_count(v.sessions)],
        vec!["requests (turns)".to_string(), format_count(v.turns)],
        vec!["model calls".to_string(), format_count(v.calls)],
    ];
    if v.attempts > v.calls {
        rows.push(vec![
            "attempts incl. retries".into(),
            format_count(v.attempts),
        ]);
    }
    if v.tool_calls > 0.0 {
        rows.push(vec!["tool calls".into(), format_count(v.tool_calls)]);
    }
    let names = [
        "input tokens",
        "cache-read tokens",
        "cache-write tokens",
        "output tokens",
        "reasoning tokens",
    ];
    for (name, t) in names.iter().zip(v.tokens.iter()) {
        if *t > 0.0 {
            rows.push(vec![name.to_string(), format_count(*t)]);
        }
    }
    Grid {
        header: vec!["Volume (mean)".into(), "Count".into()],
        rows,
        right: vec![false, true],
    }
}

/// The assumptions table of a forecast or of the operational overhead, the one every format
/// draws: Input, Value, then Unit, Drawn per and Source where the rows have them, and From
/// (the origin: as written in outputs, or for people with `labels`, e.g. `--set`).
pub fn assumptions(rows: &[Assumption], labels: bool) -> Grid {
    let has = |f: &dyn Fn(&Assumption) -> bool| rows.iter().any(f);
    let (unit, level, source) = (
        has(&|a| a.unit.is_some()),
        has(&|a| a.level.is_some()),
        has(&|a| a.source.is_some()),
    );
    let mut header = vec!["Input", "Value"];
    header.extend(unit.then_some("Unit"));
    header.extend(level.then_some("Drawn per"));
    header.push("From");
    header.extend(source.then_some("Source"));
    let cell = |x: &Option<String>| x.clone().unwrap_or_default();
    let rows = rows
        .iter()
        .map(|a| {
            let mut row = vec![a.key.clone(), a.value.clone()];
            if unit {
                row.push(cell(&a.unit));
            }
            if level {
                row.push(a.level.as_deref().unwrap_or_default().to_string());
            }
            let origin = a.origin.name();
            row.push(if labels { origin_label(origin) } else { origin }.to_string());
            if source {
                row.push(cell(&a.source));
            }
            row
        })
        .collect();
    Grid {
        right: vec![false; header.len()],
        header: header.into_iter().map(String::from).collect(),
        rows,
    }
}

/// Where an input came from, for people.
pub fn origin_label(origin: &str) -> &str {
    match origin {
        "scenario" => "scenario file",
        "override" => "--set",
        "fitted" => "fitted file",
        "default" => "default",
        other => other,
    }
}

/// What drives the spread of the headline month: the listed drivers ([`Drivers::top`]), a
/// default assumption marked as such. `None` when no input clears the listing threshold.
pub fn drivers(r: &Report) -> Option<Grid> {
    let d = r.drivers.as_ref()?;
    let top = d.top();
    if top.is_empty() {
        return None;
    }
    let rows = top
        .iter()
        .map(|x| {
            vec![
                x.key.clone(),
                format_pct(x.first_order),
                if x.default_assumption {
                    "default (not your data)".to_string()
                } else {
                    origin_label(&x.origin).to_string()
                },
                x.value.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    Some(Grid {
        header: vec![
            "Input".into(),
            "Share of variance".into(),
            "From".into(),
            "Value".into(),
        ],
        rows,
        right: vec![false, true, false, false],
    })
}

/// The sentence under the drivers table: what the shares are and what is left.
pub fn drivers_note(d: &Drivers) -> String {
    let rest = 1.0 - d.top_share();
    format!(
        "Each input's share of the variance of the {} bill on its own, from the forecast's {} trials; the other {} is interactions, per-session noise and smaller inputs (billcast sensitivity gives Sobol indices with intervals).",
        d.month,
        format_count(d.trials as f64),
        format_pct(rest.max(0.0)),
    )
}
