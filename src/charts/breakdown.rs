//! Where the money goes: the mean monthly bill stacked by cost component for every month, and —
//! when traffic is split over several model routes — the headline month's bill by route.
//!
//! Means are used because they add up (the components of a percentile do not: the P95 world is
//! not the sum of each component's P95).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::*;
use super::{
    ChartError, ChartFormat, Draw, IndexAxis, encode, frame, headline_month, month_label,
    month_ticks, source_note,
};
use super::{builder, mesh};
use crate::report::Report;
use crate::units::{format_pct, format_usd_compact};

/// Draw the breakdown chart of `r`.
///
/// # Errors
/// [`ChartError::NoData`] when the report has no months; drawing or encoding errors.
pub fn breakdown(r: &Report, format: ChartFormat) -> Result<Vec<u8>, ChartError> {
    encode(&Breakdown::from_report(r)?, format)
}

/// A route's share of the headline month.
struct RouteBar {
    label: String,
    usd: f64,
    share: f64,
}

/// What the chart draws; amounts are mean USD per month.
struct Breakdown {
    title: String,
    subtitle: String,
    note: String,
    months: Vec<String>,
    /// `(component label, colour, usd per month)` for components that are ever non-zero.
    layers: Vec<(String, RGBColor, Vec<f64>)>,
    /// Headline month and its routes, when there is more than one route.
    routes: Option<(String, Vec<RouteBar>)>,
}

fn human(component: &str) -> String {
    match component {
        "retries" => "retries (billed failures)".into(),
        other => other.replace('_', " "),
    }
}

impl Breakdown {
    fn from_report(r: &Report) -> Result<Breakdown, ChartError> {
        let head = headline_month(r, "breakdown")?;
        let mut layers = Vec::new();
        for (k, colour) in COMPONENT_COLOURS.iter().enumerate() {
            let name = head.components.entries()[k].0;
            let usd: Vec<f64> = r
                .months
                .iter()
                .map(|m| {
                    let v = m.components.entries()[k].1;
                    if v.is_finite() { v.max(0.0) } else { 0.0 }
                })
                .collect();
            if usd.iter().any(|v| *v > 0.0) {
                layers.push((human(name), *colour, usd));
            }
        }
        let total: f64 = head.components.total();
        let largest = head
            .components
            .entries()
            .iter()
            .copied()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .filter(|e| e.1 > 0.0 && total > 0.0);
        let subtitle = match largest {
            Some((name, usd)) => format!(
                "{}: mean bill by cost component; in {}, {} is {} of the mean {}",
                r.scenario.name,
                head.month,
                human(name),
                format_pct(usd / total),
                format_usd_compact(total)
            ),
            None => format!("{}: mean bill by cost component", r.scenario.name),
        };
        let routes = (head.routes.len() > 1).then(|| {
            let sum: f64 = head.routes.iter().map(|x| x.usd).sum();
            let bars = head
                .routes
                .iter()
                .map(|rc| {
                    let traffic = r
                        .routes
                        .iter()
                        .find(|x| x.name == rc.route)
                        .map(|x| format!(" · {} of traffic", format_pct(x.share)))
                        .unwrap_or_default();
                    RouteBar {
                        label: format!("{}{traffic}", rc.route),
                        usd: if rc.usd.is_finite() {
                            rc.usd.max(0.0)
                        } else {
                            0.0
                        },
                        share: if sum > 0.0 { rc.usd / sum } else { 0.0 },
                    }
                })
                .collect();
            (head.month.clone(), bars)
        });
        Ok(Breakdown {
            title: "Where the money goes".into(),
            subtitle,
            note: source_note(r),
            months: r.months.iter().map(|m| m.month.clone()).collect(),
            layers,
            routes,
        })
    }

    fn draw_components<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), ChartError> {
        let n = self.months.len();
        let totals: Vec<f64> = (0..n)
            .map(|i| self.layers.iter().map(|l| l.2[i]).sum())
            .collect();
        let top = totals.iter().copied().fold(0.0, f64::max);
        let x_range = IndexAxis::new(-0.5, n as f64 - 0.5, month_ticks(n));
        let mut chart = builder(area, Y_LABEL_AREA)
            // Extra headroom for the legend above the bars.
            .build_cartesian_2d(x_range, 0.0..headroom(top) * 1.25)?;
        mesh(&mut chart)
            .disable_x_mesh()
            .x_desc("Month")
            .y_desc("Mean monthly bill (USD)")
            .x_labels(12)
            .x_label_formatter(&|v| month_label(&self.months, *v))
            .y_label_formatter(&money)
            .y_labels(8)
            .draw()?;
        // Bars are plain rectangles (not plotters' Histogram, whose SVG can get negative widths).
        let half = if n == 1 { 0.25 } else { 0.36 };
        let mut base = vec![0.0; n];
        for (label, colour, usd) in &self.layers {
            let colour = *colour;
            let bars: Vec<_> = (0..n)
                .filter(|&i| usd[i] > 0.0)
                .map(|i| {
                    let (y0, y1) = (base[i], base[i] + usd[i]);
                    Rectangle::new(
                        [(i as f64 - half, y1), (i as f64 + half, y0)],
                        colour.filled(),
                    )
                })
                .collect();
            for i in 0..n {
                base[i] += usd[i];
            }
            chart
                .draw_series(bars)?
                .label(label.clone())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 7), (x + 22, y + 7)], colour.filled())
                });
        }
        // Totals on top of the bars while there is room for them.
        if n <= 18 {
            chart.draw_series((0..n).map(|i| {
                EmptyElement::at((i as f64, totals[i]))
                    + Text::new(
                        format_usd_compact(totals[i]),
                        (0, -6),
                        text(if n > 12 { 13 } else { 15 }, INK)
                            .pos(Pos::new(HPos::Center, VPos::Bottom)),
                    )
            }))?;
        }
        super::draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
        Ok(())
    }

    fn draw_routes<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        month: &str,
        bars: &[RouteBar],
    ) -> Result<(), ChartError> {
        let top = bars.iter().map(|b| b.usd).fold(0.0, f64::max);
        let k = bars.len();
        let x_top = headroom(top) * 1.15;
        // Horizontal bars with the route written above each: model names are too long for
        // tick labels.
        let mut chart = ChartBuilder::on(area)
            .margin_left(8)
            .margin_right(MARGIN)
            .margin_top(8)
            .caption(format!("By route, {month}"), text(AXIS_DESC_SIZE, INK))
            .x_label_area_size(X_LABEL_AREA)
            .y_label_area_size(8)
            .build_cartesian_2d(0.0..x_top, -0.6..k as f64 - 0.2)?;
        mesh(&mut chart)
            .disable_y_mesh()
            .disable_y_axis()
            .x_desc("Mean bill (USD)")
            .x_label_formatter(&money)
            .x_labels(4)
            .draw()?;
        for (j, b) in bars.iter().enumerate() {
            // First route at the top.
            let y = (k - 1 - j) as f64;
            let colour = ROUTE_COLOURS[j % ROUTE_COLOURS.len()];
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, y + 0.05), (b.usd, y - 0.3)],
                colour.filled(),
            )))?;
            chart.draw_series(std::iter::once(
                EmptyElement::at((0.0, y + 0.1))
                    + Text::new(
                        b.label.clone(),
                        (2, 0),
                        text(LABEL_SIZE, INK).pos(Pos::new(HPos::Left, VPos::Bottom)),
                    ),
            ))?;
            // The amount goes inside a long bar (white) and after a short one, so it never
            // runs off the panel.
            let value = format!("{} · {}", format_usd_compact(b.usd), format_pct(b.share));
            let inside = b.usd > 0.55 * x_top;
            let (x_at, dx, anchor, colour) = if inside {
                (b.usd, -8, HPos::Right, WHITE)
            } else {
                (b.usd, 8, HPos::Left, INK)
            };
            chart.draw_series(std::iter::once(
                EmptyElement::at((x_at, y - 0.125))
                    + Text::new(
                        value,
                        (dx, 0),
                        text(LABEL_SIZE, colour).pos(Pos::new(anchor, VPos::Center)),
                    ),
            ))?;
        }
        Ok(())
    }
}

impl Draw for Breakdown {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let area = frame(root, &self.title, &self.subtitle, &self.note)?;
        match &self.routes {
            Some((month, bars)) => {
                let (left, right) = area.split_horizontally((WIDTH as f64 * 0.62) as i32);
                self.draw_components(&left)?;
                self.draw_routes(&right, month, bars)?;
            }
            None => self.draw_components(&area)?,
        }
        Ok(())
    }
}
