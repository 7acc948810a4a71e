//! CSV: one row per month with the percentiles, the component breakdown, the naive estimate of
//! the same month (`naive`), what drives the spread (`drivers`, on the row of the month it was
//! estimated for: `key share origin; …`) and one column per route (`route:<name>`).

use super::{Report, ReportError};
use crate::table::{csv_number, csv_opt};

const FIXED: [&str; 21] = [
    "month",
    "mean",
    "sd",
    "p5",
    "p25",
    "p50",
    "p75",
    "p90",
    "p95",
    "p99",
    "p95_se",
    "prob_over_budget",
    "input",
    "cache_read",
    "cache_write",
    "output",
    "reasoning",
    "tool_fees",
    "retries",
    "naive",
    "drivers",
];

/// `key share origin; …` of the listed drivers of `r` in `month` (empty in other months).
fn drivers_cell(r: &Report, month: &str) -> String {
    let Some(d) = r.drivers.as_ref().filter(|d| d.month == month) else {
        return String::new();
    };
    d.top()
        .iter()
        .map(|x| format!("{} {:.3} {}", x.key, x.first_order, x.origin))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Render the per-month CSV.
pub fn render(r: &Report) -> Result<String, ReportError> {
    let mut header: Vec<String> = FIXED.iter().map(|s| s.to_string()).collect();
    header.extend(r.routes.iter().map(|x| format!("route:{}", x.name)));
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let rows = r.months.iter().map(|m| {
        let c = &m.components;
        let mut row = vec![m.month.clone()];
        row.extend(
            [
                m.mean, m.sd, m.p5, m.p25, m.p50, m.p75, m.p90, m.p95, m.p99, m.p95_se,
            ]
            .map(csv_number),
        );
        row.push(csv_opt(m.prob_over_budget));
        row.extend(
            [
                c.input,
                c.cache_read,
                c.cache_write,
                c.output,
                c.reasoning,
                c.tool_fees,
                c.retries,
            ]
            .map(csv_number),
        );
        row.push(csv_opt(m.naive_usd));
        row.push(drivers_cell(r, &m.month));
        row.extend(m.routes.iter().map(|x| csv_number(x.usd)));
        row
    });
    crate::table::csv(&header, rows).map_err(|e| ReportError::Csv(e.to_string()))
}
