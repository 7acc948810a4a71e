//! Past forecasts scored against actual bills ([`BillCalibration`]) as text (a terminal table
//! or Markdown: the same grid and sentences) and CSV.

use super::backtest::grid_text;
use crate::backtest::calibrate::BillCalibration;
use crate::table::{Grid, csv_finish, csv_number, csv_writer};
use crate::units::{format_pct, format_usd};

/// The scored months and what they say about the forecasts' bands and bias.
pub fn text(cal: &BillCalibration, markdown: bool) -> String {
    let g = Grid {
        header: [
            "Forecast",
            "Month",
            "Actual",
            "P5",
            "P50",
            "P95",
            "Actual vs P50",
            "In P5–P95",
            "Percentile",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows: cal
            .rows
            .iter()
            .map(|r| {
                vec![
                    r.forecast.clone(),
                    r.month.clone(),
                    format_usd(r.actual),
                    format_usd(r.p5),
                    format_usd(r.p50),
                    format_usd(r.p95),
                    if r.bias.is_finite() {
                        format!("{:+.1}%", r.bias * 100.0)
                    } else {
                        "-".into()
                    },
                    if r.covered_90 { "yes" } else { "no" }.into(),
                    format!("P{:.0}", r.pit * 100.0),
                ]
            })
            .collect(),
        right: vec![false, false, true, true, true, true, true, false, true],
    };
    let mut out = grid_text(&g, markdown);
    let n = cal.rows.len();
    out.push_str(&format!(
        "\n{n} forecast month{}: {} inside the P5–P95 band (nominal 90%), {} inside P25–P75 (nominal 50%).\n",
        if n == 1 { "" } else { "s" },
        format_pct(cal.coverage_90),
        format_pct(cal.coverage_50),
    ));
    out.push_str(&format!(
        "Actual bills ran {} the forecast median on average (median month: {:+.1}%){}.\n",
        if cal.mean_bias >= 0.0 {
            format!("{:.1}% above", cal.mean_bias * 100.0)
        } else {
            format!("{:.1}% below", -cal.mean_bias * 100.0)
        },
        cal.median_bias * 100.0,
        if n < 10 {
            "; with fewer than 10 months, coverage is a rough signal"
        } else {
            ""
        }
    ));
    if !cal.unmatched.is_empty() {
        out.push_str(&format!(
            "Months with a bill but no forecast (not scored): {}.\n",
            cal.unmatched.join(", ")
        ));
    }
    out
}

/// One CSV row per scored forecast month.
pub fn csv(cal: &BillCalibration) -> Result<String, ::csv::Error> {
    let mut w = csv_writer();
    w.write_record([
        "forecast",
        "month",
        "actual",
        "p5",
        "p50",
        "p95",
        "bias",
        "covered_90",
        "covered_50",
        "pit",
    ])?;
    for r in &cal.rows {
        w.write_record([
            r.forecast.clone(),
            r.month.clone(),
            csv_number(r.actual),
            csv_number(r.p5),
            csv_number(r.p50),
            csv_number(r.p95),
            csv_number(r.bias),
            r.covered_90.to_string(),
            r.covered_50.to_string(),
            csv_number(r.pit),
        ])?;
    }
    csv_finish(w)
}
