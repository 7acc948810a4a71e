//! Backtest chart: for each scored quantity and split, the forecast's P5–P95 band and median and
//! the naive estimate, all divided by what really happened, so every quantity shares one axis
//! and the line at 1 is the truth. A band that crosses the line covered the outcome.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::*;
use super::{ChartError, ChartFormat, Draw, IndexAxis, dashed_sample, encode, frame};
use super::{builder, mesh};
use crate::backtest::Backtest;
use crate::units::format_pct;

/// Draw the backtest chart of `bt`.
///
/// # Errors
/// [`ChartError::NoData`] when nothing was scored (or no actual value is positive); drawing or
/// encoding errors.
pub fn backtest(bt: &Backtest, format: ChartFormat) -> Result<Vec<u8>, ChartError> {
    encode(&BacktestChart::new(bt)?, format)
}

/// One split's forecast of one quantity, relative to the actual value (1 = the truth).
struct Mark {
    p5: f64,
    p50: f64,
    p95: f64,
    naive: f64,
    covered: bool,
}

/// What the chart draws.
struct BacktestChart {
    subtitle: String,
    note: String,
    /// Quantity labels, one slot each.
    quantities: Vec<String>,
    /// Per slot, per split.
    marks: Vec<Vec<Mark>>,
    /// Splits per slot (for the band width).
    splits: usize,
}

fn ratio(x: f64, actual: f64) -> f64 {
    let r = x / actual;
    if r.is_finite() { r.max(0.0) } else { 0.0 }
}

impl BacktestChart {
    fn new(bt: &Backtest) -> Result<BacktestChart, ChartError> {
        let mut quantities = Vec::new();
        let mut marks: Vec<Vec<Mark>> = Vec::new();
        for q in &bt.summary {
            let row: Vec<Mark> = bt
                .splits
                .iter()
                .flat_map(|s| s.quantities.iter())
                .filter(|x| x.quantity == q.quantity && x.actual > 0.0 && x.actual.is_finite())
                .map(|x| Mark {
                    p5: ratio(x.p5, x.actual),
                    p50: ratio(x.p50, x.actual),
                    p95: ratio(x.p95, x.actual),
                    naive: ratio(x.naive, x.actual),
                    covered: x.covered,
                })
                .collect();
            if !row.is_empty() {
                quantities.push(format!(
                    "{} ({})",
                    q.quantity.replace('_', " "),
                    format_pct(q.coverage)
                ));
                marks.push(row);
            }
        }
        if marks.is_empty() {
            return Err(ChartError::NoData {
                chart: "backtest",
                reason: "no quantity was scored against a positive actual value".into(),
            });
        }
        let splits = marks.iter().map(Vec::len).max().unwrap_or(1);
        Ok(BacktestChart {
            subtitle: format!(
                "{} split{}: P5–P95 bands covered {} of {} outcomes ({}; nominal 90%); shift σ {}",
                bt.splits.len(),
                if bt.splits.len() == 1 { "" } else { "s" },
                (bt.coverage * bt.scored as f64).round(),
                bt.scored,
                format_pct(bt.coverage),
                bt.shift.size
            ),
            note: format!(
                "billcast {} · backtest · forecast ÷ actual; naive = fit-window mean per session × the same volume",
                env!("CARGO_PKG_VERSION")
            ),
            quantities,
            marks,
            splits,
        })
    }
}

impl Draw for BacktestChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let area = frame(
            root,
            "Did the forecast band contain what really happened?",
            &self.subtitle,
            &self.note,
        )?;
        let k = self.quantities.len();
        let top = self
            .marks
            .iter()
            .flatten()
            .flat_map(|m| [m.p95, m.naive])
            .fold(1.0, f64::max);
        let ticks: Vec<f64> = (0..k).map(|i| i as f64).collect();
        let mut chart = builder(&area, Y_LABEL_AREA).build_cartesian_2d(
            IndexAxis::new(-0.6, k as f64 - 0.4, ticks),
            // The top quarter stays clear for the legend.
            0.0..headroom(top) * 1.35,
        )?;
        let labels = self.quantities.clone();
        mesh(&mut chart)
            .disable_x_mesh()
            .x_desc("Quantity (coverage over the splits)")
            .y_desc("Forecast ÷ actual")
            .x_labels(k)
            .x_label_formatter(&|v| super::month_label(&labels, *v))
            .y_label_formatter(&|v| format!("{v:.1}×"))
            .y_labels(8)
            .draw()?;
        // Each quantity's slot is 0.8 wide, shared by its splits.
        let slot = 0.8 / self.splits as f64;
        let x_of = |i: usize, j: usize| i as f64 - 0.4 + slot * (j as f64 + 0.5);
        for (covered, colour, label) in [
            (true, PRIMARY, "P5–P95 band, covered"),
            (false, BUDGET, "P5–P95 band, missed"),
        ] {
            let bars: Vec<_> = self
                .marks
                .iter()
                .enumerate()
                .flat_map(|(i, row)| row.iter().enumerate().map(move |(j, m)| (i, j, m)))
                .filter(|(_, _, m)| m.covered == covered)
                .map(|(i, j, m)| {
                    let x = x_of(i, j);
                    Rectangle::new(
                        [(x - slot * 0.3, m.p95), (x + slot * 0.3, m.p5)],
                        fill(colour, 0.55),
                    )
                })
                .collect();
            if bars.is_empty() {
                continue;
            }
            chart.draw_series(bars)?.label(label).legend(move |(x, y)| {
                Rectangle::new([(x, y - 7), (x + 22, y + 7)], fill(colour, 0.55))
            });
        }
        let medians: Vec<_> = self
            .marks
            .iter()
            .enumerate()
            .flat_map(|(i, row)| row.iter().enumerate().map(move |(j, m)| (x_of(i, j), m)))
            .map(|(x, m)| Circle::new((x, m.p50), 4, INK.filled()))
            .collect();
        chart
            .draw_series(medians)?
            .label("Forecast median (P50)")
            .legend(|(x, y)| Circle::new((x + 11, y), 4, INK.filled()));
        let naive: Vec<_> = self
            .marks
            .iter()
            .enumerate()
            .flat_map(|(i, row)| row.iter().enumerate().map(move |(j, m)| (x_of(i, j), m)))
            .map(|(x, m)| Cross::new((x, m.naive), 5, stroke(darken(NAIVE), 2)))
            .collect();
        chart
            .draw_series(naive)?
            .label("Naive estimate")
            .legend(|(x, y)| Cross::new((x + 11, y), 5, stroke(darken(NAIVE), 2)));
        chart
            .draw_series(DashedLineSeries::new(
                [(-0.6, 1.0), (k as f64 - 0.4, 1.0)],
                10,
                6,
                stroke(INK, 2),
            ))?
            .label("What really happened (= 1)")
            .legend(|c| dashed_sample(c, stroke(INK, 2)));
        super::draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        Ok(())
    }
}
