//! CSV: one row per month with the percentiles, the component breakdown, the naive estimate of
//! the same month (`naive`), what drives the spread (`drivers`, on the row of the month it was
//! estimated for: `key share origin; …`) and one column per route (`route:<name>`).

use serde::Serialize;

use super::{Report, ReportError};

#[derive(Serialize)]
struct Row<'a> {
    month: &'a str,
    mean: f64,
    sd: f64,
    p5: f64,
    p25: f64,
    p50: f64,
    p75: f64,
    p90: f64,
    p95: f64,
    p99: f64,
    p95_se: f64,
    prob_over_budget: Option<f64>,
    input: f64,
    cache_read: f64,
    cache_write: f64,
    output: f64,
    reasoning: f64,
    tool_fees: f64,
    retries: f64,
    naive: Option<f64>,
    drivers: String,
}

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
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(vec![]);
    let mut header: Vec<String> = FIXED.iter().map(|s| s.to_string()).collect();
    header.extend(r.routes.iter().map(|x| format!("route:{}", x.name)));
    w.write_record(&header)
        .map_err(|e| ReportError::Csv(e.to_string()))?;
    for m in &r.months {
        let c = &m.components;
        let row = Row {
            month: &m.month,
            mean: m.mean,
            sd: m.sd,
            p5: m.p5,
            p25: m.p25,
            p50: m.p50,
            p75: m.p75,
            p90: m.p90,
            p95: m.p95,
            p99: m.p99,
            p95_se: m.p95_se,
            prob_over_budget: m.prob_over_budget,
            input: c.input,
            cache_read: c.cache_read,
            cache_write: c.cache_write,
            output: c.output,
            reasoning: c.reasoning,
            tool_fees: c.tool_fees,
            retries: c.retries,
            naive: m.naive_usd,
            drivers: drivers_cell(r, &m.month),
        };
        // The fixed fields via serde (one struct per table); route columns appended after.
        let mut fixed = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(vec![]);
        fixed
            .serialize(&row)
            .map_err(|e| ReportError::Csv(e.to_string()))?;
        let bytes = fixed
            .into_inner()
            .map_err(|e| ReportError::Csv(e.to_string()))?;
        let line = String::from_utf8_lossy(&bytes);
        let mut rec: Vec<String> = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(line.as_bytes())
            .records()
            .next()
            .and_then(|x| x.ok())
            .map(|x| x.iter().map(String::from).collect())
            .unwrap_or_default();
        rec.extend(m.routes.iter().map(|x| x.usd.to_string()));
        w.write_record(&rec)
            .map_err(|e| ReportError::Csv(e.to_string()))?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| ReportError::Csv(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| ReportError::Csv(e.to_string()))
}
