//! Histogram of one month's bill, with P50/P90/P95/P99 and the budget marked.
//!
//! The histogram is rebuilt from the report's 101 quantiles (see [`super::cdf`]): the quantile
//! function is differenced — each gap between consecutive percentiles holds 1% of the trials —
//! and re-binned on 40 equal-width bins. The x axis stops a little past the P99 (or the budget,
//! when it is near), because the top percentile of a heavy-tailed bill can be many times wider
//! than the rest and would squash the body; the subtitle says how much lies beyond.
//!
//! Bars are drawn as plain rectangles rather than with plotters' `Histogram` series, whose SVG
//! output can contain negative widths (plotters-rs/plotters#300, #470).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::cdf::QuantileCdf;
use super::style::*;
use super::{
    ChartError, ChartFormat, Draw, dashed_sample, encode, frame, headline_month, source_note,
};
use super::{builder, mesh};
use crate::report::{MonthSummary, Report};
use crate::units::{format_pct, format_usd_compact};

/// Bins of the histogram.
const BINS: usize = 40;

/// Draw the bill distribution of the headline month (the month with the highest P95).
///
/// # Errors
/// [`ChartError::NoData`] when the report has no months or the month lacks its quantiles;
/// drawing or encoding errors.
pub fn distribution(r: &Report, format: ChartFormat) -> Result<Vec<u8>, ChartError> {
    let m = headline_month(r, "distribution")?;
    encode(&Distribution::new(r, m)?, format)
}

/// Draw the bill distribution of `month` (`YYYY-MM`).
///
/// # Errors
/// [`ChartError::NoData`] when the report has no such month (the message lists the months);
/// drawing or encoding errors.
pub fn distribution_of_month(
    r: &Report,
    month: &str,
    format: ChartFormat,
) -> Result<Vec<u8>, ChartError> {
    let m = r
        .months
        .iter()
        .find(|m| m.month == month)
        .ok_or_else(|| ChartError::NoData {
            chart: "distribution",
            reason: format!(
                "the report has no month {month}; it has {}",
                r.months
                    .iter()
                    .map(|m| m.month.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })?;
    encode(&Distribution::new(r, m)?, format)
}

/// What the chart draws; amounts in USD.
struct Distribution {
    title: String,
    subtitle: String,
    note: String,
    /// `(left, right, share of trials 0–1)` per bin.
    bins: Vec<(f64, f64, f64)>,
    /// Bin width, USD.
    bin_width: f64,
    /// `(label, amount)` of P50, P90, P95, P99.
    marks: Vec<(&'static str, f64)>,
    /// Budget, USD, with `P(bill > budget)`.
    budget: Option<(f64, Option<f64>)>,
    /// Axis span, USD.
    lo: f64,
    hi: f64,
}

impl Distribution {
    fn new(r: &Report, m: &MonthSummary) -> Result<Distribution, ChartError> {
        let cdf = QuantileCdf::new(&m.quantiles).ok_or_else(|| ChartError::NoData {
            chart: "distribution",
            reason: format!(
                "month {} has no usable quantiles (expected 101 finite values); re-run the forecast",
                m.month
            ),
        })?;
        let p99 = cdf.quantile(0.99).max(m.p99);
        let budget = r
            .budget_usd
            .filter(|b| b.is_finite() && *b > 0.0)
            .map(|b| (b, m.prob_over_budget));
        // Show the budget when it is within reach of the body; a budget far above the P99 is
        // stated in the subtitle instead of squashing the histogram into the left edge.
        let near_budget = budget.map(|(b, _)| b).filter(|b| *b <= 1.6 * p99.max(1e-9));
        let mut hi = p99.max(near_budget.unwrap_or(0.0)) * 1.06;
        let mut lo = cdf.min();
        if hi <= lo {
            // Every trial at the same amount: a one-bin spike in a visible window.
            hi = lo + lo.abs().max(1.0) * 0.5;
            lo = (lo - lo.abs().max(1.0) * 0.5).max(0.0);
        }
        // Start at $0 unless the bill never comes near it, so bar heights are not misread as
        // "how much the bill is".
        if lo < 0.35 * hi {
            lo = 0.0;
        }
        let bins = cdf.histogram(lo, hi, BINS);
        let beyond = cdf.exceedance(hi);
        let mut subtitle = format!(
            "{}: share of {} simulated worlds per {} bin",
            r.scenario.name,
            crate::units::format_count(r.trials as f64),
            format_usd_compact((hi - lo) / BINS as f64)
        );
        if beyond > 0.0005 {
            subtitle.push_str(&format!(
                "; {} of worlds lie above {} (max {})",
                format_pct(beyond),
                format_usd_compact(hi),
                format_usd_compact(cdf.max())
            ));
        }
        if let (Some((b, _)), None) = (budget, near_budget) {
            subtitle.push_str(&format!(
                "; budget {} is off the chart",
                format_usd_compact(b)
            ));
        }
        Ok(Distribution {
            title: format!("How the {} bill is distributed", m.month),
            subtitle,
            note: format!(
                "{} · histogram rebuilt from the report's 101 quantiles",
                source_note(r)
            ),
            bin_width: (hi - lo) / BINS as f64,
            bins,
            marks: vec![
                ("P50", m.p50),
                ("P90", m.p90),
                ("P95", m.p95),
                ("P99", m.p99),
            ],
            budget: near_budget.and(budget),
            lo,
            hi,
        })
    }
}

impl Draw for Distribution {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let area = frame(root, &self.title, &self.subtitle, &self.note)?;
        let tallest = self.bins.iter().map(|b| b.2).fold(0.0, f64::max);
        // Headroom above the bars for the stacked percentile labels.
        let y_top = if tallest > 0.0 { tallest * 1.45 } else { 1.0 };
        let mut chart =
            builder(&area, Y_LABEL_AREA).build_cartesian_2d(self.lo..self.hi, 0.0..y_top)?;
        mesh(&mut chart)
            .disable_x_mesh()
            .x_desc("Monthly bill (USD)")
            .y_desc(format!(
                "Share of worlds per {} bin",
                format_usd_compact(self.bin_width)
            ))
            .x_label_formatter(&money)
            .y_label_formatter(&percent)
            .x_labels(10)
            .y_labels(6)
            .draw()?;

        let gap = self.bin_width * 0.06;
        chart
            .draw_series(self.bins.iter().filter(|b| b.2 > 0.0).map(|&(x0, x1, p)| {
                Rectangle::new([(x0 + gap, p), (x1 - gap, 0.0)], fill(PRIMARY, 0.55))
            }))?
            .label("Simulated worlds")
            .legend(|(x, y)| Rectangle::new([(x, y - 7), (x + 22, y + 7)], fill(PRIMARY, 0.55)));

        // Percentile lines, labelled in a staircase so close percentiles do not collide.
        let span = self.hi - self.lo;
        for (k, ((name, v), colour)) in self.marks.iter().zip(PERCENTILE_COLOURS).enumerate() {
            if !(v.is_finite() && *v >= self.lo && *v <= self.hi) {
                continue;
            }
            let y_label = y_top * (0.95 - 0.075 * k as f64);
            // Labelled at the line, not in the legend: the reader's eye is already there.
            chart.draw_series(LineSeries::new(
                [(*v, 0.0), (*v, y_label)],
                stroke(colour, 2),
            ))?;
            // Labels right of the line, or left of it near the right edge.
            let (anchor, dx) = if (v - self.lo) / span > 0.8 {
                (HPos::Right, -6)
            } else {
                (HPos::Left, 6)
            };
            chart.draw_series(std::iter::once(
                EmptyElement::at((*v, y_label))
                    + Text::new(
                        format!("{name} {}", format_usd_compact(*v)),
                        (dx, 0),
                        text(LABEL_SIZE, darken(colour)).pos(Pos::new(anchor, VPos::Center)),
                    ),
            ))?;
        }
        if let Some((b, p_over)) = self.budget {
            let label = match p_over {
                Some(p) => format!(
                    "Budget {}: {} of worlds above",
                    format_usd_compact(b),
                    format_pct(p)
                ),
                None => format!("Budget {}", format_usd_compact(b)),
            };
            chart
                .draw_series(DashedLineSeries::new(
                    [(b, 0.0), (b, y_top)],
                    10,
                    6,
                    stroke(BUDGET, 3),
                ))?
                .label(label)
                .legend(|c| dashed_sample(c, stroke(BUDGET, 3)));
        }
        super::draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        Ok(())
    }
}
