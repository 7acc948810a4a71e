//! Exceedance curve: `P(bill > x)` against `x`, the question a budget owner asks ("how likely
//! are we to spend more than $x?"). Drawn for the headline month and, for contrast, the first
//! month; the budget is marked with its exceedance probability from the report.
//!
//! Curves come from the report's 101 quantiles joined linearly (see [`super::cdf`]), so they pass
//! exactly through every stored percentile.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::cdf::QuantileCdf;
use super::style::*;
use super::{
    ChartError, ChartFormat, Draw, dashed_sample, encode, frame, headline_month, source_note,
};
use super::{builder, mesh};
use crate::report::Report;
use crate::units::{format_pct, format_usd_compact};

/// Draw the exceedance curve of the headline month (and the first month, if different).
///
/// # Errors
/// [`ChartError::NoData`] when the report has no months or the headline month lacks its
/// quantiles; drawing or encoding errors.
pub fn exceedance(r: &Report, format: ChartFormat) -> Result<Vec<u8>, ChartError> {
    encode(&Exceedance::from_report(r)?, format)
}

struct Curve {
    label: String,
    colour: RGBColor,
    width: u32,
    /// `(amount USD, P(bill > amount))`, amounts non-decreasing.
    points: Vec<(f64, f64)>,
}

/// What the chart draws.
struct Exceedance {
    title: String,
    subtitle: String,
    note: String,
    curves: Vec<Curve>,
    /// Budget, USD, and `P(bill > budget)` in the headline month.
    budget: Option<(f64, Option<f64>)>,
    hi: f64,
}

impl Exceedance {
    fn from_report(r: &Report) -> Result<Exceedance, ChartError> {
        let head = headline_month(r, "exceedance")?;
        let head_cdf = QuantileCdf::new(&head.quantiles).ok_or_else(|| ChartError::NoData {
            chart: "exceedance",
            reason: format!(
                "month {} has no usable quantiles (expected 101 finite values); re-run the forecast",
                head.month
            ),
        })?;
        let budget = r
            .budget_usd
            .filter(|b| b.is_finite() && *b > 0.0)
            .map(|b| (b, head.prob_over_budget));
        let p99 = head_cdf.quantile(0.99).max(head.p99);
        let near_budget = budget.filter(|(b, _)| *b <= 1.6 * p99.max(1e-9));
        let hi = headroom(p99.max(near_budget.map_or(0.0, |b| b.0)));

        let mut curves = vec![Curve {
            label: format!("{} (highest P95)", head.month),
            colour: PRIMARY,
            width: 4,
            points: curve(&head_cdf, hi),
        }];
        if let Some(first) = r.months.first().filter(|m| m.month != head.month)
            && let Some(cdf) = QuantileCdf::new(&first.quantiles)
        {
            curves.push(Curve {
                label: format!("{} (first month)", first.month),
                colour: SECONDARY,
                width: 3,
                points: curve(&cdf, hi),
            });
        }
        let mut subtitle = format!(
            "{}: share of simulated worlds whose monthly bill is above each amount",
            r.scenario.name
        );
        if let (Some((b, _)), None) = (budget, near_budget) {
            subtitle.push_str(&format!(
                "; budget {} is off the chart",
                format_usd_compact(b)
            ));
        }
        Ok(Exceedance {
            title: format!("Chance the {} bill exceeds an amount", head.month),
            subtitle,
            note: source_note(r),
            curves,
            budget: near_budget,
            hi,
        })
    }
}

/// The exceedance curve through the stored quantiles, cut at `hi` (interpolated there):
/// `(amount USD, P(bill > amount))`, amounts non-decreasing. Shared with the compare chart.
pub(crate) fn curve(cdf: &QuantileCdf, hi: f64) -> Vec<(f64, f64)> {
    let n = 100;
    let mut pts = Vec::with_capacity(n + 2);
    for i in 0..=n {
        let p = i as f64 / n as f64;
        let x = cdf.quantile(p);
        if x > hi {
            pts.push((hi, cdf.exceedance(hi)));
            return pts;
        }
        pts.push((x, 1.0 - p));
    }
    // Past the maximum nothing exceeds: run the curve along zero to the edge.
    pts.push((hi, 0.0));
    pts
}

/// The legend label of the 5% line.
pub(crate) const FIVE_PCT: &str = "5% chance (the P95)";

/// The axes of an exceedance chart (bill in USD across, chance of exceeding it up) and the 5%
/// line, where each curve crosses at its P95; shared by the forecast's and `compare`'s chart.
pub(crate) fn axes_and_p95_line<DB, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, Y>>,
    hi: f64,
) -> Result<(), ChartError>
where
    DB: DrawingBackend,
    Y: Ranged<ValueType = f64> + plotters::coord::ranged1d::ValueFormatter<f64>,
{
    mesh(chart)
        .x_desc("Monthly bill, x (USD)")
        .y_desc("P(monthly bill > x)")
        .x_label_formatter(&money)
        .y_label_formatter(&percent)
        .x_labels(10)
        .y_labels(11)
        .draw()?;
    chart
        .draw_series(DashedLineSeries::new(
            [(0.0, 0.05), (hi, 0.05)],
            4,
            4,
            stroke(MUTED, 1),
        ))?
        .label(FIVE_PCT)
        .legend(|c| dashed_sample(c, stroke(MUTED, 1)));
    Ok(())
}

impl Draw for Exceedance {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let area = frame(root, &self.title, &self.subtitle, &self.note)?;
        let mut chart = builder(&area, Y_LABEL_AREA).build_cartesian_2d(0.0..self.hi, 0.0..1.02)?;
        axes_and_p95_line(&mut chart, self.hi)?;
        // Draw the contrast month first so the headline curve sits on top.
        for c in self.curves.iter().rev() {
            let (colour, width) = (c.colour, c.width);
            chart
                .draw_series(LineSeries::new(
                    c.points.iter().copied(),
                    stroke(colour, width),
                ))?
                .label(c.label.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 22, y)], stroke(colour, width))
                });
        }
        if let Some((b, p)) = self.budget {
            chart
                .draw_series(DashedLineSeries::new(
                    [(b, 0.0), (b, 1.02)],
                    10,
                    6,
                    stroke(BUDGET, 3),
                ))?
                .label(format!("Budget {}", format_usd_compact(b)))
                .legend(|c| dashed_sample(c, stroke(BUDGET, 3)));
            if let Some(p) = p {
                let right = b / self.hi > 0.7;
                let (anchor, dx) = if right {
                    (HPos::Right, -12)
                } else {
                    (HPos::Left, 12)
                };
                // Near 0% the label would sit on the 5% line and the axis: lift it.
                let lift = if p < 0.15 { -60 } else { -16 };
                chart.draw_series(std::iter::once(
                    EmptyElement::at((b, p))
                        + Circle::new((0, 0), 7, BUDGET.filled())
                        + Text::new(
                            format!("{} chance of exceeding the budget", format_pct(p)),
                            (dx, lift),
                            text(LABEL_SIZE, darken(BUDGET)).pos(Pos::new(anchor, VPos::Center)),
                        ),
                ))?;
            }
        }
        super::draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        Ok(())
    }
}
