//! Naive estimate vs simulation: the spreadsheet number (one average request × volume × list
//! price) beside the simulated median and P95 of the same month — the first month, and the
//! headline month when that is a different one, each against its own naive estimate. The gap is the point of billcast: history re-sent on every call,
//! tool loops, retries and heavy users that a single representative request leaves out.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::*;
use super::{
    ChartError, ChartFormat, Draw, IndexAxis, dashed_sample, encode, frame, headline_month,
    source_note,
};
use super::{builder, mesh};
use crate::report::Report;
use crate::units::format_usd_compact;

/// Draw the naive-vs-simulated chart of `r`.
///
/// # Errors
/// [`ChartError::NoData`] when the report has no months; drawing or encoding errors.
pub fn naive(r: &Report, format: ChartFormat) -> Result<Vec<u8>, ChartError> {
    encode(&Naive::from_report(r)?, format)
}

#[derive(Clone, Copy, PartialEq)]
enum BarKind {
    Naive,
    Median,
    P95,
}

struct Bar {
    label: String,
    kind: BarKind,
    /// USD per month.
    usd: f64,
    /// The naive estimate of the bar's month, USD (0 when the report has none): the "×"
    /// multiples compare like with like.
    naive: f64,
}

/// What the chart draws.
struct Naive {
    title: String,
    subtitle: String,
    note: String,
    bars: Vec<Bar>,
    budget: Option<f64>,
}

fn clean(x: f64) -> f64 {
    if x.is_finite() { x.max(0.0) } else { 0.0 }
}

impl Naive {
    fn from_report(r: &Report) -> Result<Naive, ChartError> {
        let head = headline_month(r, "naive")?;
        let first = &r.naive_estimate;
        // The first month, then the headline month; each with its own naive estimate when the
        // report has it (older reports have only the first month's).
        let mut months: Vec<&crate::report::MonthSummary> = Vec::new();
        if let Some(m) = r.months.iter().find(|m| m.month == first.month) {
            months.push(m);
        }
        if !months.iter().any(|m| m.month == head.month) {
            months.push(head);
        }
        let naive_of = |m: &crate::report::MonthSummary| {
            if m.month == first.month {
                Some(first.monthly_usd)
            } else {
                r.naive_headline
                    .as_ref()
                    .filter(|n| n.month == m.month)
                    .map(|n| n.monthly_usd)
                    .or(m.naive_usd)
            }
        };
        let mut bars = Vec::new();
        for m in &months {
            let naive = naive_of(m).map_or(0.0, clean);
            if naive_of(m).is_some() {
                bars.push(Bar {
                    label: format!("Naive, {}", m.month),
                    kind: BarKind::Naive,
                    usd: naive,
                    naive,
                });
            }
            bars.push(Bar {
                label: format!("P50, {}", m.month),
                kind: BarKind::Median,
                usd: clean(m.p50),
                naive,
            });
            bars.push(Bar {
                label: format!("P95, {}", m.month),
                kind: BarKind::P95,
                usd: clean(m.p95),
                naive,
            });
        }
        let same = naive_of(head).map_or(0.0, clean);
        let subtitle = if same > 0.0 && head.p95.is_finite() {
            format!(
                "{}: one average request × volume × list price says {}/month for {}; the simulated P95 that month is {:.1}× that",
                r.scenario.name,
                format_usd_compact(same),
                head.month,
                head.p95 / same
            )
        } else if clean(first.monthly_usd) > 0.0 && head.p95.is_finite() {
            format!(
                "{}: one average request × volume × list price says {}/month for {}; the simulated P95 in {} is {:.1}× that",
                r.scenario.name,
                format_usd_compact(first.monthly_usd),
                first.month,
                head.month,
                head.p95 / first.monthly_usd
            )
        } else {
            format!(
                "{}: one average request × volume × list price vs the simulated bill",
                r.scenario.name
            )
        };
        Ok(Naive {
            title: "The spreadsheet estimate vs the simulated bill".into(),
            subtitle,
            note: source_note(r),
            bars,
            budget: r.budget_usd.filter(|b| b.is_finite() && *b > 0.0),
        })
    }
}

impl Draw for Naive {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let area = frame(root, &self.title, &self.subtitle, &self.note)?;
        let k = self.bars.len();
        let top = self
            .bars
            .iter()
            .map(|b| b.usd)
            .chain(self.budget)
            .fold(0.0, f64::max);
        let ticks: Vec<f64> = (0..k).map(|i| i as f64).collect();
        let x_range = IndexAxis::new(-0.6, k as f64 - 0.4, ticks);
        let mut chart =
            builder(&area, Y_LABEL_AREA).build_cartesian_2d(x_range, 0.0..headroom(top) * 1.12)?;
        let labels: Vec<String> = self.bars.iter().map(|b| b.label.clone()).collect();
        mesh(&mut chart)
            .disable_x_mesh()
            .x_desc("Estimate and month")
            .y_desc("Monthly bill (USD)")
            .x_labels(k)
            .x_label_formatter(&|v| super::month_label(&labels, *v))
            .y_label_formatter(&money)
            .y_labels(8)
            .draw()?;

        for (kind, colour, label) in [
            (
                BarKind::Naive,
                NAIVE,
                "Naive: one average request × volume × price",
            ),
            (BarKind::Median, PRIMARY, "Simulated median (P50)"),
            (BarKind::P95, SECONDARY, "Simulated P95"),
        ] {
            let bars: Vec<_> = self
                .bars
                .iter()
                .enumerate()
                .filter(|(_, b)| b.kind == kind)
                .map(|(i, b)| {
                    Rectangle::new(
                        [(i as f64 - 0.32, b.usd), (i as f64 + 0.32, 0.0)],
                        colour.filled(),
                    )
                })
                .collect();
            if bars.is_empty() {
                continue;
            }
            chart.draw_series(bars)?.label(label).legend(move |(x, y)| {
                Rectangle::new([(x, y - 7), (x + 22, y + 7)], colour.filled())
            });
        }
        chart.draw_series(self.bars.iter().enumerate().map(|(i, b)| {
            let multiple = if b.kind != BarKind::Naive && b.naive > 0.0 {
                format!(" ({:.1}×)", b.usd / b.naive)
            } else {
                String::new()
            };
            EmptyElement::at((i as f64, b.usd))
                + Text::new(
                    format!("{}{multiple}", format_usd_compact(b.usd)),
                    (0, -8),
                    text(LABEL_SIZE, INK).pos(Pos::new(HPos::Center, VPos::Bottom)),
                )
        }))?;
        if let Some(b) = self.budget {
            chart
                .draw_series(DashedLineSeries::new(
                    [(-0.6, b), (k as f64 - 0.4, b)],
                    10,
                    6,
                    stroke(BUDGET, 2),
                ))?
                .label(format!("Budget {}/month", format_usd_compact(b)))
                .legend(|c| dashed_sample(c, stroke(BUDGET, 2)));
        }
        super::draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
        Ok(())
    }
}
