//! CSV: one table of rows per kind, written with the one CSV writer and number format of
//! [`crate::table`].

use super::{ExportError, Exporter, Format, check_result};
use crate::results::{Body, Envelope};
use crate::whatif::render as whatif;

/// The CSV exporter.
pub struct Csv;

impl Exporter for Csv {
    fn format(&self) -> Format {
        Format::Csv
    }

    fn export(&self, result: &Envelope<'_>) -> Result<String, ExportError> {
        check_result(result, Format::Csv)?;
        Ok(match &result.body {
            Body::Forecast(r) => crate::report::csv::render(r)?,
            Body::Overhead(o) => crate::overhead::render::csv(o)?,
            Body::Compare(c) => whatif::compare_csv(c)?,
            Body::Sweep(s) => whatif::sweep_csv(s)?,
            Body::Solve(s) => whatif::solve_csv(s)?,
            Body::Sensitivity(s) => whatif::sensitivity_csv(s)?,
            Body::Diff(d) => whatif::diff_csv(d)?,
            Body::Backtest(b) => super::backtest::csv(b)?,
            Body::ShiftCalibration(s) => super::backtest::shift_csv(s)?,
            Body::Calibration(c) => super::calibration::csv(c)?,
            Body::Pricing(p) => super::pricing::csv(p)?,
            Body::Tokens(t) => t.csv()?,
            // Refused by check_result.
            Body::Fit(_) => return Err(ExportError::Unsupported("fit: no CSV".into())),
        })
    }
}
