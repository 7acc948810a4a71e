//! `billcast calibrate`: score past forecasts against the bills that really came.

use std::path::PathBuf;
use std::process::ExitCode;

use billcast::backtest::calibrate;

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
    let text = output::export(
        billcast::results::Body::Calibration(std::borrow::Cow::Borrowed(&cal)),
        a.output.format,
    )?;
    output::write(a.output.out.as_deref(), &text)?;
    Ok(ExitCode::SUCCESS)
}
