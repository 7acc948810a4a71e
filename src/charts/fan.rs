//! Fan chart: the monthly bill over the horizon as nested uncertainty bands.
//!
//! The outer band spans P5–P95 (nine worlds in ten fall inside), the inner band P25–P75 (half of
//! them); the line is the median and the dotted line the mean, which sits above the median when
//! the bill is right-skewed. The budget is a dashed horizontal line.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::*;
use super::{
    ChartError, ChartFormat, Draw, IndexAxis, dashed_sample, encode, frame, month_label,
    month_ticks, source_note,
};
use super::{builder, mesh};
use crate::report::Report;
use crate::units::format_usd_compact;

/// Draw the fan chart of `r`.
///
/// # Errors
/// [`ChartError::NoData`] when the report has no months; drawing or encoding errors.
pub fn fan(r: &Report, format: ChartFormat) -> Result<Vec<u8>, ChartError> {
    encode(&Fan::from_report(r)?, format)
}

/// What the fan chart draws; amounts in USD per month.
struct Fan {
    title: String,
    subtitle: String,
    note: String,
    months: Vec<String>,
    p5: Vec<f64>,
    p25: Vec<f64>,
    p50: Vec<f64>,
    p75: Vec<f64>,
    p95: Vec<f64>,
    mean: Vec<f64>,
    budget: Option<f64>,
}

impl Fan {
    fn from_report(r: &Report) -> Result<Fan, ChartError> {
        if r.months.is_empty() {
            return Err(ChartError::NoData {
                chart: "fan",
                reason: "the report has no months".into(),
            });
        }
        let col = |f: fn(&crate::report::MonthSummary) -> f64| -> Vec<f64> {
            r.months.iter().map(|m| finite(f(m))).collect()
        };
        let first = &r.months[0].month;
        let last = &r.months[r.months.len() - 1].month;
        let span = if first == last {
            first.clone()
        } else {
            format!("{first} to {last}")
        };
        Ok(Fan {
            title: format!("Monthly bill, {span}"),
            subtitle: format!(
                "{}: median with the middle 50% and 90% of simulated worlds{}",
                r.scenario.name,
                r.budget_usd
                    .map(|b| format!(", against a {} budget", format_usd_compact(b)))
                    .unwrap_or_default()
            ),
            note: source_note(r),
            months: r.months.iter().map(|m| m.month.clone()).collect(),
            p5: col(|m| m.p5),
            p25: col(|m| m.p25),
            p50: col(|m| m.p50),
            p75: col(|m| m.p75),
            p95: col(|m| m.p95),
            mean: col(|m| m.mean),
            budget: r.budget_usd.filter(|b| b.is_finite() && *b > 0.0),
        })
    }

    /// x positions of the band vertices: one per month, or a short stub around a single month
    /// so a one-month horizon still shows its bands.
    fn xs(&self) -> Vec<(f64, usize)> {
        if self.months.len() == 1 {
            vec![(-0.25, 0), (0.25, 0)]
        } else {
            (0..self.months.len()).map(|i| (i as f64, i)).collect()
        }
    }
}

/// `x` as a drawable amount: negative and non-finite values become 0.
pub(crate) fn finite(x: f64) -> f64 {
    if x.is_finite() { x.max(0.0) } else { 0.0 }
}

/// The polygon of a band between `lo[i]` and `hi[i]` at x positions `xs` (`(x, i)` pairs): along
/// the top left to right, back along the bottom.
pub(crate) fn band(xs: &[(f64, usize)], lo: &[f64], hi: &[f64]) -> Vec<(f64, f64)> {
    let mut pts: Vec<(f64, f64)> = xs.iter().map(|&(x, i)| (x, hi[i])).collect();
    pts.extend(xs.iter().rev().map(|&(x, i)| (x, lo[i])));
    pts
}

impl Draw for Fan {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let area = frame(root, &self.title, &self.subtitle, &self.note)?;
        let n = self.months.len();
        let top = self
            .p95
            .iter()
            .chain(self.mean.iter())
            .copied()
            .chain(self.budget)
            .fold(0.0, f64::max);
        // Room on the right for the last month's value labels.
        let x_max = (n - 1) as f64 + 0.5 + 0.11 * n.max(6) as f64;
        let x_range = IndexAxis::new(-0.5, x_max, month_ticks(n));
        let mut chart =
            builder(&area, Y_LABEL_AREA).build_cartesian_2d(x_range, 0.0..headroom(top))?;
        mesh(&mut chart)
            .disable_x_mesh()
            .x_desc("Month")
            .y_desc("Monthly bill (USD)")
            .x_labels(12)
            .x_label_formatter(&|v| month_label(&self.months, *v))
            .y_label_formatter(&money)
            .y_labels(8)
            .draw()?;

        let xs = self.xs();
        chart
            .draw_series(std::iter::once(Polygon::new(
                band(&xs, &self.p5, &self.p95),
                fill(PRIMARY, 0.16),
            )))?
            .label("P5–P95: 90% of worlds")
            .legend(|(x, y)| Rectangle::new([(x, y - 7), (x + 22, y + 7)], fill(PRIMARY, 0.16)));
        chart
            .draw_series(std::iter::once(Polygon::new(
                band(&xs, &self.p25, &self.p75),
                fill(PRIMARY, 0.34),
            )))?
            .label("P25–P75: 50% of worlds")
            .legend(|(x, y)| Rectangle::new([(x, y - 7), (x + 22, y + 7)], fill(PRIMARY, 0.34)));
        chart
            .draw_series(LineSeries::new(
                xs.iter().map(|&(x, i)| (x, self.p50[i])),
                stroke(PRIMARY, 3),
            ))?
            .label("Median (P50)")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], stroke(PRIMARY, 3)));
        chart
            .draw_series(DashedLineSeries::new(
                xs.iter().map(|&(x, i)| (x, self.mean[i])),
                3,
                4,
                stroke(INK, 2),
            ))?
            .label("Mean")
            .legend(|c| dashed_sample(c, stroke(INK, 2)));
        if n > 1 {
            chart.draw_series(
                xs.iter()
                    .map(|&(x, i)| Circle::new((x, self.p50[i]), 4, PRIMARY.filled())),
            )?;
        }
        if let Some(b) = self.budget {
            chart
                .draw_series(DashedLineSeries::new(
                    [(-0.5, b), (x_max, b)],
                    10,
                    6,
                    stroke(BUDGET, 2),
                ))?
                .label(format!("Budget {}/month", format_usd_compact(b)))
                .legend(|c| dashed_sample(c, stroke(BUDGET, 2)));
        }

        // Direct labels for the last month: the numbers people quote from a fan chart.
        let (x_last, i_last) = xs[xs.len() - 1];
        let label_style = text(LABEL_SIZE, INK).pos(Pos::new(HPos::Left, VPos::Center));
        for (name, v) in [("P95", self.p95[i_last]), ("P50", self.p50[i_last])] {
            chart.draw_series(std::iter::once(
                EmptyElement::at((x_last, v))
                    + Text::new(
                        format!("{name} {}", format_usd_compact(v)),
                        (10, 0),
                        label_style.clone(),
                    ),
            ))?;
        }

        super::draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
        Ok(())
    }
}
