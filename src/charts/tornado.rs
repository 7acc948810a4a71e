//! Tornado chart (`billcast sensitivity --chart FILE`): which uncertain input moves the P95 of
//! the bill most.
//!
//! Every input is pinned at its median (the "median world", the vertical line); each bar then
//! runs from the P95 of the world with one input at its P10 (light) to the one with it at its
//! P90 (dark), every other input still at its median. Bars are sorted by their length (the
//! swing), largest at the top, so the shape is the tornado's funnel; the input's own P10 and P90
//! are given in its label. A tornado moves one input at a time, so it shows neither
//! interactions nor the input's distribution beyond P10–P90: the Sobol indices of the same
//! analysis cover those.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::fan::finite;
use super::mesh;
use super::style::*;
use super::{
    ChartError, ChartFormat, Draw, IndexAxis, LegendFit, builder, densify, draw_legend, encode,
    frame, whatif_note,
};
use crate::units::format_usd_compact;
use crate::units::format_value;
use crate::whatif::sensitivity::Sensitivity;

/// Most inputs one chart shows (the largest swings); more would not leave room for labels.
pub const MAX_ROWS: usize = 15;

/// Colour of the bar half with the input at its P10 (light: low) and at its P90 (dark: high).
const LOW: RGBColor = okabe_ito::SKY_BLUE;
const HIGH: RGBColor = okabe_ito::BLUE;

/// Draw the tornado of a sensitivity analysis.
///
/// # Errors
/// [`ChartError::NoData`] when the analysis has no tornado rows; drawing or encoding errors.
pub fn tornado(s: &Sensitivity, format: ChartFormat) -> Result<Vec<u8>, ChartError> {
    encode(&Tornado::new(s)?, format)
}

/// One bar; amounts are the month's P95, USD.
struct Row {
    /// The input and its P10–P90 values.
    label: String,
    at_p10: f64,
    at_p90: f64,
}

/// What the chart draws.
struct Tornado {
    title: String,
    subtitle: String,
    note: String,
    x_desc: String,
    /// Largest swing first.
    rows: Vec<Row>,
    /// P95 of the median world, USD.
    base: f64,
}

impl Tornado {
    fn new(s: &Sensitivity) -> Result<Tornado, ChartError> {
        if s.tornado.is_empty() {
            return Err(ChartError::NoData {
                chart: "tornado",
                reason: "the analysis has no uncertain inputs".into(),
            });
        }
        let mut sorted: Vec<_> = s.tornado.iter().collect();
        // The analysis sorts by swing already; a hand-edited result may not be.
        sorted.sort_by(|a, b| finite(b.swing_p95).total_cmp(&finite(a.swing_p95)));
        let shown = sorted.len().min(MAX_ROWS);
        let rows = sorted[..shown]
            .iter()
            .map(|t| Row {
                label: match (t.value_p10, t.value_p90) {
                    (Some(lo), Some(hi)) => {
                        format!("{} ({} to {})", t.label, format_value(lo), format_value(hi))
                    }
                    _ => t.label.clone(),
                },
                at_p10: finite(t.p95_at_p10),
                at_p90: finite(t.p95_at_p90),
            })
            .collect();
        let base = finite(s.median_world_p95);
        let mut subtitle = format!(
            "{}: P95 with each input at its P10 and its P90, every other input at its median",
            s.scenario
        );
        if shown < sorted.len() {
            subtitle.push_str(&format!("; the {shown} largest of {} swings", sorted.len()));
        }
        Ok(Tornado {
            title: format!("What moves the P95 of the {} bill", s.month),
            subtitle,
            note: format!(
                "{} · bar = swing between the input's P10 and P90 worlds",
                whatif_note(
                    &s.billcast_version,
                    s.tornado_trials,
                    "per tornado run",
                    s.seed,
                    &s.mode
                )
            ),
            x_desc: format!("P95 of the {} bill (USD)", s.month),
            rows,
            base,
        })
    }

    /// The input label of row position `v` (row 0 at the top), empty between rows.
    fn label_at(&self, v: f64) -> String {
        let k = self.rows.len();
        let i = v.round();
        if (v - i).abs() > 1e-6 || i < 0.0 || i as usize >= k {
            return String::new();
        }
        self.rows[k - 1 - i as usize].label.clone()
    }
}

/// Legend entries of the two bar halves (the median world's follows).
const LOW_LABEL: &str = "Input at its P10";
const HIGH_LABEL: &str = "Input at its P90";

/// Half the height of a bar, rows.
const HALF: f64 = 0.32;

impl Draw for Tornado {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let area = frame(root, &self.title, &self.subtitle, &self.note)?;
        let k = self.rows.len();
        // Room for the longest input label, measured in the chart font (within half the width).
        let tick = text(TICK_SIZE, INK);
        let mut widest = 0;
        for r in &self.rows {
            widest = widest.max(root.estimate_text_size(&r.label, &tick)?.0);
        }
        let y_area = (widest + 24).clamp(Y_LABEL_AREA, WIDTH / 2);

        let (lo, hi) = self
            .rows
            .iter()
            .flat_map(|r| [r.at_p10, r.at_p90])
            .fold((self.base, self.base), |(lo, hi), v| (lo.min(v), hi.max(v)));
        let span = if hi > lo {
            hi - lo
        } else {
            self.base.abs().max(1.0) * 0.2
        };
        // Margins either side for the amounts written at the bar ends; never below $0.
        let x_lo = (lo - 0.22 * span).max(0.0);
        let x_hi = hi + 0.22 * span;

        // The amounts written at each bar's far ends: (amount, row, written to the right).
        let ends: Vec<(f64, f64, bool)> = self
            .rows
            .iter()
            .enumerate()
            .flat_map(|(j, r)| {
                let y = (k - 1 - j) as f64;
                let (left, right) = (r.at_p10.min(r.at_p90), r.at_p10.max(r.at_p90));
                [
                    (left < self.base).then_some((left, y, false)),
                    (right > self.base).then_some((right, y, true)),
                ]
            })
            .flatten()
            .collect();

        // The legend goes in a lower corner clear of the bars (the shortest are at the bottom);
        // when neither is, rows of space are added below the last bar for it.
        let base_label = format!(
            "Every input at its median: P95 {}",
            format_usd_compact(self.base)
        );
        let legend = [
            LOW_LABEL.to_string(),
            HIGH_LABEL.to_string(),
            base_label.clone(),
        ];
        let fit = LegendFit::new(&area, y_area, &legend)?;
        let label_style = text(LABEL_SIZE, INK);
        let y_hi = k as f64 - 0.4;
        let mut y_lo = -0.6;
        let marks = |y_lo: f64| -> Result<Vec<(f64, f64)>, ChartError> {
            let f = |x: f64, y: f64| ((x - x_lo) / (x_hi - x_lo), (y - y_lo) / (y_hi - y_lo));
            let mut marks = Vec::new();
            for (j, r) in self.rows.iter().enumerate() {
                let y = (k - 1 - j) as f64;
                let (a, b) = (
                    r.at_p10.min(r.at_p90).min(self.base),
                    r.at_p10.max(r.at_p90).max(self.base),
                );
                for dy in [-HALF, 0.0, HALF] {
                    marks.extend(densify(&[f(a, y + dy), f(b, y + dy)], 24));
                }
            }
            for &(v, y, right) in &ends {
                let size = area.estimate_text_size(&format_usd_compact(v), &label_style)?;
                marks.extend(fit.text_marks(f(v, y), if right { 6.0 } else { -6.0 }, size));
            }
            Ok(marks)
        };
        let prefer = [
            SeriesLabelPosition::LowerRight,
            SeriesLabelPosition::LowerLeft,
        ];
        let position = match fit.corner(&marks(y_lo)?, &prefer) {
            Some(p) => p,
            None => {
                // The rows keep the top (1 − h) of the plot; the legend gets the rest.
                y_lo = y_hi - (y_hi - y_lo) / (1.0 - fit.h).max(0.3);
                SeriesLabelPosition::LowerRight
            }
        };

        let y_range = IndexAxis::new(y_lo, y_hi, (0..k).map(|i| i as f64).collect());
        let mut chart = builder(&area, y_area).build_cartesian_2d(x_lo..x_hi, y_range)?;
        mesh(&mut chart)
            .disable_y_mesh()
            .x_desc(self.x_desc.as_str())
            // The input names on the y axis take the tick size the labels fit in.
            .label_style(tick)
            .x_label_formatter(&money)
            .x_labels(8)
            .y_labels(k)
            .y_label_formatter(&|v| self.label_at(*v))
            .draw()?;

        for (j, r) in self.rows.iter().enumerate() {
            let y = (k - 1 - j) as f64;
            // The longer half first, so a shorter one on the same side stays visible on top.
            let mut halves = [(r.at_p10, LOW), (r.at_p90, HIGH)];
            halves.sort_by(|a, b| (b.0 - self.base).abs().total_cmp(&(a.0 - self.base).abs()));
            chart.draw_series(halves.iter().map(|&(v, colour)| {
                Rectangle::new([(self.base, y + HALF), (v, y - HALF)], colour.filled())
            }))?;
        }
        chart.draw_series(ends.iter().map(|&(v, y, right)| {
            let (anchor, dx) = if right {
                (HPos::Left, 6)
            } else {
                (HPos::Right, -6)
            };
            EmptyElement::at((v, y))
                + Text::new(
                    format_usd_compact(v),
                    (dx, 0),
                    label_style.clone().pos(Pos::new(anchor, VPos::Center)),
                )
        }))?;
        // Legend-only entries: the bars are drawn per row above.
        chart
            .draw_series(std::iter::empty::<Rectangle<(f64, f64)>>())?
            .label(LOW_LABEL)
            .legend(|(x, y)| Rectangle::new([(x, y - 7), (x + 22, y + 7)], LOW.filled()));
        chart
            .draw_series(std::iter::empty::<Rectangle<(f64, f64)>>())?
            .label(HIGH_LABEL)
            .legend(|(x, y)| Rectangle::new([(x, y - 7), (x + 22, y + 7)], HIGH.filled()));
        chart
            .draw_series(LineSeries::new(
                [(self.base, -0.6), (self.base, y_hi)],
                stroke(INK, 2),
            ))?
            .label(base_label)
            .legend(|(x, y)| {
                PathElement::new(vec![(x + 11, y - 8), (x + 11, y + 8)], stroke(INK, 2))
            });
        draw_legend(&mut chart, position)
    }
}
