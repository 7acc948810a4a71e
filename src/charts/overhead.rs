//! What a second provider really costs: one bar per strategy (`single`, `degraded`,
//! `failover`, `active-active`) of the mean monthly total cost of ownership, stacked by part
//! (tokens, evals, people, downtime), with a P50–P95 whisker on the total, the naive
//! "2× single-provider tokens" budget as a dashed line, and each bar annotated with its spend
//! (tokens + evals + people) as a multiple of single-provider token spend.
//!
//! Drawn from an [`OverheadReport`] alone (`billcast overhead --format json` or a pack's
//! `overhead.json`), so it redraws without re-simulating. Means are stacked because they add
//! up; the whisker is of the TCO itself (the P95 world is not the sum of each part's P95).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::mesh;
use super::style::okabe_ito::{BLUE, GREEN, SKY_BLUE, VERMILLION};
use super::style::*;
use super::{ChartError, ChartFormat, Draw, IndexAxis, dashed_sample, encode, frame, month_label};
use crate::overhead::{OverheadReport, TcoBar};
use crate::units::{format_count, format_usd_compact};

/// Title of the chart (also its accessible name in the HTML report).
pub const TITLE: &str = "Monthly cost of ownership per strategy";

/// File stem in a design-review pack (→ `overhead.svg`).
pub const FILE_STEM: &str = "overhead";

/// Colours of the TCO parts in [`crate::overhead::TcoParts::entries`] order: tokens take the
/// forecast charts' input blue, downtime (a loss) the vermillion.
const PART_COLOURS: [RGBColor; 4] = [BLUE, SKY_BLUE, GREEN, VERMILLION];

/// Width of the legend panel at the right, px.
const LEGEND_WIDTH: u32 = 290;

/// Half the width of a bar, in strategy slots.
const HALF_BAR: f64 = 0.3;

/// Draw the stacked-TCO chart of an overhead report.
///
/// # Errors
/// [`ChartError::NoData`] when the report has no strategies; drawing or encoding errors.
pub fn tco(r: &OverheadReport, format: ChartFormat) -> Result<Vec<u8>, ChartError> {
    encode(&Tco::from_report(r)?, format)
}

/// What the chart draws; amounts are USD per month (mean month of the horizon).
struct Tco {
    title: String,
    subtitle: String,
    note: String,
    /// One per strategy, in report order (`single` first); amounts cleaned to finite, ≥ 0.
    bars: Vec<TcoBar>,
    /// Legend label of each part, in stacking order.
    part_labels: [String; 4],
    /// Naive budget for two providers: 2 × single-provider token spend.
    naive_two_x: f64,
    /// Mean single-provider token spend, the base of every multiplier.
    single_tokens: f64,
}

/// A drawable amount: non-finite and negative values become 0.
fn clean(x: f64) -> f64 {
    if x.is_finite() { x.max(0.0) } else { 0.0 }
}

impl Tco {
    fn from_report(r: &OverheadReport) -> Result<Tco, ChartError> {
        if r.strategies.is_empty() {
            return Err(ChartError::NoData {
                chart: "overhead",
                reason: "the overhead report has no strategies; list them in overhead.strategies"
                    .into(),
            });
        }
        let bars: Vec<TcoBar> = r
            .tco_bars()
            .into_iter()
            .map(|b| TcoBar {
                segments: b.segments.map(|(name, usd)| (name, clean(usd))),
                p50: clean(b.p50),
                p95: clean(b.p95),
                ..b
            })
            .collect();
        let period = match (r.months.first(), r.months.last()) {
            (Some(a), Some(b)) if a != b => format!("mean month of {a} to {b}"),
            (Some(a), _) => a.clone(),
            _ => "mean month".into(),
        };
        let downtime = if r.downtime_usd_per_hour > 0.0 {
            format!(
                "downtime at {}/h",
                format_usd_compact(r.downtime_usd_per_hour)
            )
        } else {
            "downtime (costed at $0/h)".into()
        };
        Ok(Tco {
            title: TITLE.into(),
            subtitle: format!(
                "{}: mean TCO by part, {period}; whiskers P50–P95; lowest mean TCO: {}",
                r.scenario.name, r.cheapest
            ),
            note: format!(
                "billcast {} · {} · {} trials · seed {} · {} mode",
                r.billcast_version,
                r.scenario.name,
                format_count(r.trials as f64),
                r.seed,
                r.engine_mode
            ),
            bars,
            part_labels: ["tokens".into(), "evals".into(), "people".into(), downtime],
            naive_two_x: clean(r.naive_two_x),
            single_tokens: clean(r.single_token_spend),
        })
    }

    fn draw_bars<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), ChartError> {
        let k = self.bars.len();
        let totals: Vec<f64> = self
            .bars
            .iter()
            .map(|b| b.segments.iter().map(|s| s.1).sum())
            .collect();
        let tops: Vec<f64> = totals
            .iter()
            .zip(&self.bars)
            .map(|(t, b)| t.max(b.p95))
            .collect();
        let top = tops.iter().copied().fold(self.naive_two_x, f64::max);
        let (lo, hi) = (-0.6, k as f64 - 0.4);
        let x_range = IndexAxis::new(lo, hi, (0..k).map(|i| i as f64).collect());
        // Extra headroom for the two annotation lines above the tallest bar.
        let mut chart = ChartBuilder::on(area)
            .margin_left(MARGIN)
            .margin_right(8)
            .margin_top(8)
            .x_label_area_size(X_LABEL_AREA)
            .y_label_area_size(Y_LABEL_AREA)
            .build_cartesian_2d(x_range, 0.0..headroom(top) * 1.12)?;
        let labels: Vec<String> = self.bars.iter().map(|b| b.label.clone()).collect();
        mesh(&mut chart)
            .disable_x_mesh()
            .x_desc("Strategy")
            .y_desc("Monthly TCO (USD)")
            .x_labels(k)
            .x_label_formatter(&|v| month_label(&labels, *v))
            .y_label_formatter(&money)
            .y_labels(8)
            .draw()?;

        // Stacked parts; plain rectangles (not plotters' Histogram, whose SVG can get negative
        // widths), zero-height segments skipped.
        let mut base = vec![0.0; k];
        for (p, colour) in PART_COLOURS.iter().enumerate() {
            let rects: Vec<_> = self
                .bars
                .iter()
                .enumerate()
                .filter(|(_, b)| b.segments[p].1 > 0.0)
                .map(|(i, b)| {
                    let x = i as f64;
                    Rectangle::new(
                        [
                            (x - HALF_BAR, base[i] + b.segments[p].1),
                            (x + HALF_BAR, base[i]),
                        ],
                        colour.filled(),
                    )
                })
                .collect();
            for (i, b) in self.bars.iter().enumerate() {
                base[i] += b.segments[p].1;
            }
            chart.draw_series(rects)?;
        }

        // The naive budget, over the bars so it reads across them.
        if self.naive_two_x > 0.0 {
            chart.draw_series(DashedLineSeries::new(
                [(lo, self.naive_two_x), (hi, self.naive_two_x)],
                10,
                6,
                stroke(INK, 2),
            ))?;
        }

        // P50–P95 whiskers of the TCO, with caps.
        let cap = HALF_BAR * 0.3;
        for (i, b) in self.bars.iter().enumerate() {
            if b.p95 <= 0.0 && b.p50 <= 0.0 {
                continue;
            }
            let x = i as f64;
            chart.draw_series([
                PathElement::new(vec![(x, b.p50), (x, b.p95)], stroke(INK, 2)),
                PathElement::new(vec![(x - cap, b.p50), (x + cap, b.p50)], stroke(INK, 2)),
                PathElement::new(vec![(x - cap, b.p95), (x + cap, b.p95)], stroke(INK, 2)),
            ])?;
        }

        // Above each bar: its spend multiple of single-provider tokens, and its mean TCO.
        for (i, b) in self.bars.iter().enumerate() {
            let at = EmptyElement::at((i as f64, tops[i]));
            let multiple = if b.spend_multiplier.is_finite() {
                format!("{:.1}× spend", b.spend_multiplier)
            } else {
                "- × spend".into()
            };
            chart.draw_series(std::iter::once(
                at + Text::new(
                    multiple,
                    (0, -30),
                    text(LABEL_SIZE + 2, INK).pos(Pos::new(HPos::Center, VPos::Bottom)),
                ) + Text::new(
                    format!("mean {}", format_usd_compact(totals[i])),
                    (0, -8),
                    text(TICK_SIZE - 2, MUTED).pos(Pos::new(HPos::Center, VPos::Bottom)),
                ),
            ))?;
        }
        Ok(())
    }

    /// The legend and the reading note, in pixel coordinates of the right panel.
    fn draw_legend<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), ChartError> {
        let x = 8;
        let mut y = 20;
        let row = 30;
        let label = |s: String, y: i32| {
            Text::new(
                s,
                (x + 34, y),
                text(LABEL_SIZE, INK).pos(Pos::new(HPos::Left, VPos::Center)),
            )
        };
        // Top part first, as the bars stack.
        for p in (0..PART_COLOURS.len()).rev() {
            area.draw(&Rectangle::new(
                [(x, y - 7), (x + 22, y + 7)],
                PART_COLOURS[p].filled(),
            ))?;
            area.draw(&label(self.part_labels[p].clone(), y))?;
            y += row;
        }
        let (cx, cap) = (x + 11, 5);
        area.draw(&PathElement::new(
            vec![(cx, y - 9), (cx, y + 9)],
            stroke(INK, 2),
        ))?;
        area.draw(&PathElement::new(
            vec![(cx - cap, y - 9), (cx + cap, y - 9)],
            stroke(INK, 2),
        ))?;
        area.draw(&PathElement::new(
            vec![(cx - cap, y + 9), (cx + cap, y + 9)],
            stroke(INK, 2),
        ))?;
        area.draw(&label("TCO P50–P95".into(), y))?;
        y += row;
        area.draw(&dashed_sample((x, y), stroke(INK, 2)))?;
        area.draw(&label(
            format!("naive 2× budget {}", format_usd_compact(self.naive_two_x)),
            y,
        ))?;
        y += row + 12;
        let notes = [
            "× spend = (tokens + evals +".to_string(),
            "people) ÷ single-provider".to_string(),
            format!("tokens ({}/month);", format_usd_compact(self.single_tokens)),
            "the naive budget is 2×.".to_string(),
        ];
        for line in notes {
            area.draw(&Text::new(
                line,
                (x, y),
                text(TICK_SIZE - 2, MUTED).pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
            y += 22;
        }
        Ok(())
    }
}

impl Draw for Tco {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let area = frame(root, &self.title, &self.subtitle, &self.note)?;
        let (plot, legend) = area.split_horizontally((WIDTH - LEGEND_WIDTH) as i32);
        self.draw_bars(&plot)?;
        self.draw_legend(&legend)?;
        Ok(())
    }
}
