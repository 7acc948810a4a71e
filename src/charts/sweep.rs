//! Sweep chart (`billcast sweep --chart FILE`): the bill's percentiles as a function of the
//! swept input, drawn like the fan chart with the input in place of the months: the P5–P95 band
//! (nine worlds in ten), the P25–P75 band (half of them), the median and the P95 as lines, and
//! the budget as a dashed horizontal line.
//!
//! The x axis is the swept input, with a tick at every swept value. Numbers are placed to scale
//! — on a log scale when they are evenly spaced in ratio (`--range … --log`, or values such as
//! 1,000, 10,000, 100,000) — and anything else (model ids, distributions) is placed one value per
//! slot in the order given. Every value shares its draws (common random numbers), so the curve
//! moves only because the input does.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::fan::{band, finite};
use super::mesh;
use super::style::*;
use super::{
    ChartError, ChartFormat, Draw, IndexAxis, LegendFit, builder, dashed_sample, densify,
    draw_legend, ellipsize, encode, frame, usable_budget, whatif_note,
};
use crate::units::format_usd_compact;
use crate::units::format_value;
use crate::whatif::sweep::Sweep;

/// Longest tick label of a non-numeric value, characters.
const TICK_CHARS: usize = 24;

/// Draw the percentiles of the swept month against the swept input.
///
/// # Errors
/// [`ChartError::NoData`] when the sweep has no points; drawing or encoding errors.
pub fn sweep(s: &Sweep, format: ChartFormat) -> Result<Vec<u8>, ChartError> {
    encode(&SweepChart::new(s)?, format)
}

/// How swept values are placed along the x axis.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Scale {
    /// At their value.
    Linear,
    /// At `log10(value)`.
    Log,
    /// At their index, in the order given.
    Slots,
}

/// The placement of `values` (`None` = not a number): to scale when every value is a distinct
/// number, logarithmically when they are positive, at least three, evenly spaced in ratio
/// (within 1%, as rounding to whole numbers leaves them) and span a factor of 4 or more.
fn scale_of(values: &[Option<f64>]) -> Scale {
    let Some(mut nums) = values.iter().copied().collect::<Option<Vec<f64>>>() else {
        return Scale::Slots;
    };
    nums.sort_by(f64::total_cmp);
    if nums.len() < 2 || nums.windows(2).any(|w| w[0] == w[1]) {
        return Scale::Slots;
    }
    let (lo, hi) = (nums[0], nums[nums.len() - 1]);
    if nums.len() >= 3 && lo > 0.0 && hi / lo >= 4.0 {
        let r0 = nums[1] / nums[0];
        if nums
            .windows(2)
            .all(|w| ((w[1] / w[0]) / r0 - 1.0).abs() < 0.01)
        {
            return Scale::Log;
        }
    }
    Scale::Linear
}

/// What the chart draws; amounts are USD in the swept month.
struct SweepChart {
    title: String,
    subtitle: String,
    note: String,
    x_desc: String,
    /// `(x position, tick label)` of every point, sorted by position.
    ticks: Vec<(f64, String)>,
    /// `(x position, point index)` sorted by position: the line and band vertices. A single
    /// point becomes a short stub so its bands still show.
    xs: Vec<(f64, usize)>,
    /// x axis span.
    x_lo: f64,
    x_hi: f64,
    p5: Vec<f64>,
    p25: Vec<f64>,
    p50: Vec<f64>,
    p75: Vec<f64>,
    p95: Vec<f64>,
    budget: Option<f64>,
}

impl SweepChart {
    fn new(s: &Sweep) -> Result<SweepChart, ChartError> {
        let n = s.points.len();
        if n == 0 {
            return Err(ChartError::NoData {
                chart: "sweep",
                reason: "the sweep has no points; give --values or --range".into(),
            });
        }
        let numeric: Vec<Option<f64>> = s
            .points
            .iter()
            .map(|p| p.numeric.filter(|x| x.is_finite()))
            .collect();
        let scale = scale_of(&numeric);
        let position = |i: usize| match (scale, numeric[i]) {
            (Scale::Linear, Some(x)) => x,
            (Scale::Log, Some(x)) => x.log10(),
            _ => i as f64,
        };
        let label = |i: usize| match (scale, numeric[i]) {
            (Scale::Slots, _) | (_, None) => ellipsize(&s.points[i].value, TICK_CHARS),
            (_, Some(x)) => format_value(x),
        };
        let mut xs: Vec<(f64, usize)> = (0..n).map(|i| (position(i), i)).collect();
        xs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let ticks: Vec<(f64, String)> = xs.iter().map(|&(x, i)| (x, label(i))).collect();
        let (first, last) = (ticks[0].0, ticks[n - 1].0);
        // Slots are one unit apart; values to scale get the same margins relative to their span.
        let unit = if scale == Scale::Slots {
            1.0
        } else {
            (last - first) / (n - 1) as f64
        };
        if n == 1 {
            xs = vec![(first - 0.25, 0), (first + 0.25, 0)];
        }
        // Room on the right for the last point's value labels, as in the fan chart.
        let x_lo = first - 0.5 * unit;
        let x_hi = last + 0.5 * unit + 0.11 * unit * n.max(6) as f64;

        let col = |f: fn(&crate::report::MonthSummary) -> f64| -> Vec<f64> {
            s.points.iter().map(|p| finite(f(&p.summary))).collect()
        };
        let budget = usable_budget(s.budget_usd);
        let log_note = if scale == Scale::Log {
            " (log scale)"
        } else {
            ""
        };
        let a = &s.alignment;
        Ok(SweepChart {
            title: format!("The {} bill as {} varies", s.month, s.param),
            subtitle: format!(
                "{}: median with the middle 50% and 90% of simulated worlds at each value{}",
                s.scenario,
                budget
                    .map(|b| format!(", against a {} budget", format_usd_compact(b)))
                    .unwrap_or_default()
            ),
            note: whatif_note(&s.billcast_version, a.trials, "per value", a.seed, &a.mode),
            x_desc: format!("{}{log_note}", s.param),
            ticks,
            xs,
            x_lo,
            x_hi,
            p5: col(|m| m.p5),
            p25: col(|m| m.p25),
            p50: col(|m| m.p50),
            p75: col(|m| m.p75),
            p95: col(|m| m.p95),
            budget,
        })
    }

    /// The tick label at position `v` (empty between points).
    fn label_at(&self, v: f64) -> String {
        let tol = 1e-9 * (self.x_hi - self.x_lo).abs().max(1e-12);
        self.ticks
            .iter()
            .find(|(x, _)| (x - v).abs() <= tol)
            .map(|(_, label)| label.clone())
            .unwrap_or_default()
    }
}

/// Legend entries in drawing order (the budget's is added when there is one).
const LEGEND: [&str; 4] = [
    "P5–P95: 90% of worlds",
    "P25–P75: 50% of worlds",
    "P95 (1 world in 20 costs more)",
    "Median (P50)",
];

impl Draw for SweepChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let area = frame(root, &self.title, &self.subtitle, &self.note)?;
        let xs = &self.xs;
        let (x_last, i_last) = xs[xs.len() - 1];
        let direct = [("P95", self.p95[i_last]), ("P50", self.p50[i_last])]
            .map(|(name, v)| (format!("{name} {}", format_usd_compact(v)), v));
        let budget_label = self
            .budget
            .map(|b| format!("Budget {}/month", format_usd_compact(b)));
        let mut legend: Vec<String> = LEGEND.iter().map(|l| l.to_string()).collect();
        legend.extend(budget_label.clone());

        // The legend goes in an upper corner clear of the lines and the direct labels; when
        // both are taken, the y axis grows until the data sits below it.
        let top = self
            .p95
            .iter()
            .copied()
            .chain(self.budget)
            .fold(0.0, f64::max);
        let fit = LegendFit::new(&area, Y_LABEL_AREA, &legend)?;
        let label_size = text(LABEL_SIZE, INK);
        let mut y_top = headroom(top);
        let marks = |y_top: f64| -> Result<Vec<(f64, f64)>, ChartError> {
            let fx = |x: f64| (x - self.x_lo) / (self.x_hi - self.x_lo);
            let mut marks = Vec::new();
            for line in [&self.p95, &self.p50] {
                let pts: Vec<(f64, f64)> =
                    xs.iter().map(|&(x, i)| (fx(x), line[i] / y_top)).collect();
                marks.extend(densify(&pts, 16));
            }
            for (label, v) in &direct {
                let size = area.estimate_text_size(label, &label_size)?;
                marks.extend(fit.text_marks((fx(x_last), v / y_top), 10.0, size));
            }
            Ok(marks)
        };
        let prefer = [
            SeriesLabelPosition::UpperLeft,
            SeriesLabelPosition::UpperRight,
        ];
        let position = match fit.corner(&marks(y_top)?, &prefer) {
            Some(p) => p,
            None => {
                y_top /= (1.0 - fit.h).max(0.3);
                fit.corner(&marks(y_top)?, &prefer)
                    .unwrap_or(SeriesLabelPosition::UpperLeft)
            }
        };

        let x_range = IndexAxis::new(
            self.x_lo,
            self.x_hi,
            self.ticks.iter().map(|t| t.0).collect(),
        );
        let mut chart = builder(&area, Y_LABEL_AREA).build_cartesian_2d(x_range, 0.0..y_top)?;
        mesh(&mut chart)
            .disable_x_mesh()
            .x_desc(self.x_desc.as_str())
            .y_desc("Monthly bill (USD)")
            .x_labels(12)
            .x_label_formatter(&|v| self.label_at(*v))
            .y_label_formatter(&money)
            .y_labels(8)
            .draw()?;

        chart
            .draw_series(std::iter::once(Polygon::new(
                band(xs, &self.p5, &self.p95),
                fill(PRIMARY, 0.16),
            )))?
            .label(LEGEND[0])
            .legend(|(x, y)| Rectangle::new([(x, y - 7), (x + 22, y + 7)], fill(PRIMARY, 0.16)));
        chart
            .draw_series(std::iter::once(Polygon::new(
                band(xs, &self.p25, &self.p75),
                fill(PRIMARY, 0.34),
            )))?
            .label(LEGEND[1])
            .legend(|(x, y)| Rectangle::new([(x, y - 7), (x + 22, y + 7)], fill(PRIMARY, 0.34)));
        // P95 in the percentile colour the distribution chart gives it.
        let p95_colour = PERCENTILE_COLOURS[2];
        chart
            .draw_series(LineSeries::new(
                xs.iter().map(|&(x, i)| (x, self.p95[i])),
                stroke(p95_colour, 3),
            ))?
            .label(LEGEND[2])
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 22, y)], stroke(p95_colour, 3))
            });
        chart
            .draw_series(LineSeries::new(
                xs.iter().map(|&(x, i)| (x, self.p50[i])),
                stroke(PRIMARY, 3),
            ))?
            .label(LEGEND[3])
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], stroke(PRIMARY, 3)));
        if self.ticks.len() > 1 {
            chart.draw_series(xs.iter().flat_map(|&(x, i)| {
                [
                    Circle::new((x, self.p50[i]), 4, PRIMARY.filled()),
                    Circle::new((x, self.p95[i]), 4, p95_colour.filled()),
                ]
            }))?;
        }
        if let (Some(b), Some(label)) = (self.budget, budget_label) {
            chart
                .draw_series(DashedLineSeries::new(
                    [(self.x_lo, b), (self.x_hi, b)],
                    10,
                    6,
                    stroke(BUDGET, 2),
                ))?
                .label(label)
                .legend(|c| dashed_sample(c, stroke(BUDGET, 2)));
        }

        // Direct labels at the right-most value: the numbers people quote.
        let label_style = label_size.pos(Pos::new(HPos::Left, VPos::Center));
        for (label, v) in direct {
            chart.draw_series(std::iter::once(
                EmptyElement::at((x_last, v)) + Text::new(label, (10, 0), label_style.clone()),
            ))?;
        }
        draw_legend(&mut chart, position)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_placed_to_scale_in_ratio_or_in_slots() {
        let s = |v: &[f64]| scale_of(&v.iter().map(|x| Some(*x)).collect::<Vec<_>>());
        assert_eq!(s(&[5000.0, 10000.0, 15000.0, 20000.0]), Scale::Linear);
        assert_eq!(s(&[100.0, 150.0, 200.0, 300.0]), Scale::Linear);
        assert_eq!(s(&[1000.0, 10000.0, 100000.0]), Scale::Log);
        // `--range 1000:100000:5 --log` rounded to whole users.
        assert_eq!(s(&[1000.0, 3162.0, 10000.0, 31623.0, 100000.0]), Scale::Log);
        // Evenly spaced in ratio but too narrow to need a log axis.
        assert_eq!(s(&[100.0, 110.0, 121.0]), Scale::Linear);
        assert_eq!(s(&[0.0, 0.5, 0.9]), Scale::Linear);
        assert_eq!(s(&[1.0, 1.0]), Scale::Slots);
        assert_eq!(s(&[7.0]), Scale::Slots);
        assert_eq!(scale_of(&[Some(1.0), None]), Scale::Slots);
    }
}
