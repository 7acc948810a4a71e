//! `billcast calibrate`: score past forecasts against the bills that really came.

use std::path::PathBuf;
use std::process::ExitCode;

use billcast::backtest::calibrate::{self, BillCalibration};
use billcast::table::Grid;
use billcast::units::{format_pct, format_usd};

use crate::cli::output::{self, Format, OutputArgs};

/// Arguments of `billcast calibrate`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "The actuals CSV needs a month column (month, date, billing_period, period)
and an amount column (amount, cost, usd, total, billed_cost); rows of the same month are summed,
so a provider's usage export with one row per line item works as is.

Examples:
  billcast calibrate --forecasts q1.json q2.json --actuals bills.csv
  billcast calibrate --forecasts forecast.json --actuals invoices.csv --format markdown -o -"
)]
pub struct Args {
    /// Saved forecasts (`billcast forecast --format json`, or a report pack's forecast.json).
    #[arg(long, num_args = 1.., required = true, value_name = "JSON")]
    pub forecasts: Vec<PathBuf>,
    /// Actual monthly bills, CSV: month, amount.
    #[arg(long, value_name = "CSV")]
    pub actuals: PathBuf,
    #[command(flatten)]
    pub output: OutputArgs<Format>,
}

/// `billcast calibrate`.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let mut inputs: Vec<(String, &std::path::Path)> = a
        .forecasts
        .iter()
        .map(|p| ("saved forecast".to_string(), p.as_path()))
        .collect();
    inputs.push(("actuals CSV".to_string(), a.actuals.as_path()));
    let outputs = output::outputs(a.output.out.as_deref(), None);
    output::refuse_overwriting_inputs(&outputs, &inputs)?;
    let mut forecasts = Vec::new();
    for p in &a.forecasts {
        forecasts.push((p.display().to_string(), super::render::load(p)?));
    }
    let name = a.actuals.display().to_string();
    let text = super::render::read_text(&a.actuals, "actual bills")?;
    let actuals = calibrate::parse_actuals(&name, &text)
        .map_err(|e| anyhow::Error::new(crate::cli::UsageError(anyhow::Error::new(e))))?;
    let cal = calibrate::calibrate_bills(&forecasts, &actuals);
    if cal.rows.is_empty() {
        return Err(anyhow::Error::new(crate::cli::UsageError(anyhow::anyhow!(
            "no month of {name} ({}) is in the forecasts; forecast those months (start_month, horizon_months) or check the month column",
            cal.unmatched.join(", ")
        ))));
    }
    let text = match a.output.format {
        Format::Json => output::json(billcast::results::Body::Calibration(
            std::borrow::Cow::Borrowed(&cal),
        ))?,
        f => render(&cal, f)?,
    };
    output::write(a.output.out.as_deref(), &text)?;
    Ok(ExitCode::SUCCESS)
}

/// Render a calibration as a table, Markdown or CSV (JSON: its envelope).
pub fn render(cal: &BillCalibration, format: Format) -> anyhow::Result<String> {
    Ok(match format {
        Format::Json => output::json(billcast::results::Body::Calibration(
            std::borrow::Cow::Borrowed(cal),
        ))?,
        Format::Csv => csv_text(cal)?,
        Format::Table | Format::Markdown => table(cal, format == Format::Markdown),
    })
}

fn csv_text(cal: &BillCalibration) -> anyhow::Result<String> {
    let mut w = billcast::table::csv_writer();
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
            billcast::table::csv_number(r.actual),
            billcast::table::csv_number(r.p5),
            billcast::table::csv_number(r.p50),
            billcast::table::csv_number(r.p95),
            billcast::table::csv_number(r.bias),
            r.covered_90.to_string(),
            r.covered_50.to_string(),
            billcast::table::csv_number(r.pit),
        ])?;
    }
    Ok(billcast::table::csv_finish(w)?)
}

fn table(cal: &BillCalibration, markdown: bool) -> String {
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
    let mut out = if markdown {
        billcast::table::markdown(&g)
    } else {
        billcast::table::text(&g)
    };
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
