//! Fit diagnostics (`billcast fit --charts DIR`): for each fitted quantity, the data's
//! histogram with the fitted densities of the chosen and runner-up families (left), and a
//! quantile–quantile plot of the chosen family against the data (right; points on the
//! diagonal mean the family reproduces the data's quantiles, points above it in the tail mean
//! the data's tail is heavier than the fit's).
//!
//! Histograms cover the data up to its 99th percentile (the tail beyond is stated in the
//! subtitle) so the body stays readable; densities are drawn as the probability of each bin
//! under the fitted law, `F(b) − F(a)`, on the same scale as the bar heights. Counts show the
//! probability of each value instead.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::*;
use super::{ChartError, ChartFormat, Draw, encode, frame};
use crate::dist::Family;
use crate::fit::Kind;
use crate::fit::workload::{FittedWorkload, QuantityFit};
use crate::units::format_value;

const BINS: usize = 40;

struct FitChart {
    title: String,
    subtitle: String,
    note: String,
    kind: Kind,
    /// Bin edges (continuous) or values (counts).
    edges: Vec<f64>,
    /// Share of observations per bin.
    data: Vec<f64>,
    /// Per family: name and its probability per bin.
    fitted: Vec<(String, Vec<f64>)>,
    /// QQ points: (fitted quantile, data quantile).
    qq: Vec<(f64, f64)>,
    unit: &'static str,
}

fn quantile(sorted: &[f64], p: f64) -> f64 {
    crate::stats::quantile_sorted(sorted, p)
}

impl FitChart {
    fn new(q: &QuantityFit) -> Result<FitChart, ChartError> {
        let r = &q.result;
        let mut values = q.data.values.clone();
        values.retain(|v| v.is_finite());
        values.sort_by(|a, b| a.total_cmp(b));
        if values.is_empty() {
            return Err(ChartError::NoData {
                chart: "fit",
                reason: format!("{} has no observations", q.key),
            });
        }
        let n = values.len() as f64;
        let mut fams: Vec<(String, Family)> = Vec::new();
        if let Some(best) = r.best() {
            fams.push((format!("{} (chosen)", best.name), best.family.clone()));
            if let Some(next) = r.candidates.iter().find(|c| c.name != best.name) {
                fams.push((format!("{} (runner-up)", next.name), next.family.clone()));
            }
        }
        let (edges, data, fitted) = match r.kind {
            Kind::Continuous => {
                let hi = quantile(&values, 0.99).max(values[0] + 1.0);
                let lo = 0.0;
                let w = (hi - lo) / BINS as f64;
                let edges: Vec<f64> = (0..=BINS).map(|i| lo + w * i as f64).collect();
                let mut counts = vec![0.0; BINS];
                for v in &values {
                    if *v < hi {
                        counts[((v - lo) / w) as usize % BINS] += 1.0;
                    }
                }
                let data = counts.iter().map(|c| c / n).collect();
                let fitted = fams
                    .iter()
                    .map(|(name, f)| {
                        (
                            name.clone(),
                            edges
                                .windows(2)
                                .map(|e| (f.cdf(e[1]) - f.cdf(e[0])).max(0.0))
                                .collect(),
                        )
                    })
                    .collect();
                (edges, data, fitted)
            }
            Kind::Count => {
                let max = quantile(&values, 0.99).max(1.0).ceil() as usize;
                let edges: Vec<f64> = (0..=max).map(|k| k as f64).collect();
                let data = edges
                    .iter()
                    .map(|k| values.iter().filter(|v| **v == *k).count() as f64 / n)
                    .collect();
                let fitted = fams
                    .iter()
                    .map(|(name, f)| {
                        (
                            name.clone(),
                            edges
                                .iter()
                                .map(|k| f.cdf(*k) - if *k > 0.0 { f.cdf(k - 1.0) } else { 0.0 })
                                .collect(),
                        )
                    })
                    .collect();
                (edges, data, fitted)
            }
        };
        let qq = match r.best() {
            Some(best) => (1..100)
                .map(|i| {
                    let p = i as f64 / 100.0;
                    (best.family.quantile(p), quantile(&values, p))
                })
                .filter(|(a, b)| a.is_finite() && b.is_finite())
                .collect(),
            None => Vec::new(),
        };
        let chosen = r
            .best()
            .map_or("empirical (no family fits)".to_string(), |b| {
                b.name.to_string()
            });
        let mut subtitle = format!("n = {}", crate::units::format_count(n));
        if r.n_censored > 0 {
            subtitle.push_str(&format!(", {} capped (censored)", r.n_censored));
        }
        if let Some(ks) = r.best().and_then(|b| b.ks) {
            subtitle.push_str(&format!(" · KS distance {ks:.3}"));
        }
        if r.kind == Kind::Continuous {
            subtitle.push_str(" · histogram up to the data's P99");
        }
        if q.offset != 0.0 {
            subtitle.push_str(&format!(" · fitted as value − {}", q.offset));
        }
        Ok(FitChart {
            title: format!("{}: {chosen}", q.key.replace('_', " ")),
            subtitle,
            note: format!(
                "billcast fit · {} · chosen by AIC, ties to the simpler family",
                q.key
            ),
            kind: r.kind,
            edges,
            data,
            fitted,
            qq,
            unit: if r.kind == Kind::Count {
                "count"
            } else {
                "tokens"
            },
        })
    }
}

impl Draw for FitChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let area = frame(root, &self.title, &self.subtitle, &self.note)?;
        let (left, right) = area.split_horizontally((WIDTH as f64 * 0.62) as i32);
        // Left: histogram (or pmf) with fitted probabilities.
        let x_lo = self.edges.first().copied().unwrap_or(0.0);
        let x_hi = match self.kind {
            Kind::Continuous => self.edges.last().copied().unwrap_or(1.0),
            Kind::Count => self.edges.last().copied().unwrap_or(1.0) + 1.0,
        };
        let y_hi = self
            .data
            .iter()
            .chain(self.fitted.iter().flat_map(|(_, v)| v.iter()))
            .fold(0.0f64, |a, b| a.max(*b))
            * 1.1;
        let mut chart = ChartBuilder::on(&left)
            .margin(10)
            .x_label_area_size(X_LABEL_AREA)
            .y_label_area_size(Y_LABEL_AREA - 20)
            .build_cartesian_2d(x_lo..x_hi, 0.0..y_hi.max(1e-9))?;
        chart
            .configure_mesh()
            .light_line_style(GRID)
            .bold_line_style(GRID)
            .x_desc(format!(
                "{} ({})",
                if self.kind == Kind::Count {
                    "value"
                } else {
                    "size"
                },
                self.unit
            ))
            .y_desc("share of observations")
            .axis_desc_style(text(AXIS_DESC_SIZE, INK))
            .label_style(text(TICK_SIZE, INK))
            .x_label_formatter(&|v| format_value(*v))
            .y_label_formatter(&|v| format!("{:.0}%", v * 100.0))
            .draw()?;
        let bar_style = PRIMARY.mix(0.35).filled();
        match self.kind {
            Kind::Continuous => {
                chart
                    .draw_series(
                        self.edges
                            .windows(2)
                            .zip(&self.data)
                            .map(|(e, h)| Rectangle::new([(e[0], 0.0), (e[1], *h)], bar_style)),
                    )?
                    .label("data")
                    .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], bar_style));
            }
            Kind::Count => {
                chart
                    .draw_series(
                        self.edges.iter().zip(&self.data).map(|(k, h)| {
                            Rectangle::new([(k + 0.1, 0.0), (k + 0.9, *h)], bar_style)
                        }),
                    )?
                    .label("data")
                    .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], bar_style));
            }
        }
        for (i, (name, probs)) in self.fitted.iter().enumerate() {
            let colour = if i == 0 { SECONDARY } else { GREEN_LINE };
            let style = colour.stroke_width(3);
            let pts: Vec<(f64, f64)> = match self.kind {
                Kind::Continuous => self
                    .edges
                    .windows(2)
                    .zip(probs)
                    .map(|(e, p)| ((e[0] + e[1]) / 2.0, *p))
                    .collect(),
                Kind::Count => self
                    .edges
                    .iter()
                    .zip(probs)
                    .map(|(k, p)| (k + 0.5, *p))
                    .collect(),
            };
            chart
                .draw_series(LineSeries::new(pts, style))?
                .label(name.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], style));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.9))
            .border_style(GRID)
            .label_font(text(LABEL_SIZE, INK))
            .position(SeriesLabelPosition::UpperRight)
            .draw()?;
        // Right: QQ plot.
        let lim = self
            .qq
            .iter()
            .flat_map(|(a, b)| [*a, *b])
            .fold(0.0f64, f64::max)
            .max(1.0);
        let mut qq = ChartBuilder::on(&right)
            .margin(10)
            .x_label_area_size(X_LABEL_AREA)
            .y_label_area_size(Y_LABEL_AREA - 20)
            .build_cartesian_2d(0.0..lim * 1.05, 0.0..lim * 1.05)?;
        qq.configure_mesh()
            .light_line_style(GRID)
            .bold_line_style(GRID)
            .x_desc("fitted quantile")
            .y_desc("data quantile")
            .axis_desc_style(text(AXIS_DESC_SIZE, INK))
            .label_style(text(TICK_SIZE, INK))
            .x_labels(5)
            .y_labels(5)
            .x_label_formatter(&|v| format_value(*v))
            .y_label_formatter(&|v| format_value(*v))
            .draw()?;
        qq.draw_series(LineSeries::new(
            vec![(0.0, 0.0), (lim * 1.05, lim * 1.05)],
            MUTED.stroke_width(1),
        ))?;
        qq.draw_series(
            self.qq
                .iter()
                .map(|(a, b)| Circle::new((*a, *b), 4, PRIMARY.filled())),
        )?;
        Ok(())
    }
}

/// Dark green for the runner-up line (Okabe–Ito bluish green).
const GREEN_LINE: plotters::style::RGBColor = okabe_ito::GREEN;

/// The diagnostics chart of one fitted quantity.
///
/// # Errors
/// [`ChartError::NoData`] without observations; drawing or encoding errors.
pub fn quantity(q: &QuantityFit, format: ChartFormat) -> Result<Vec<u8>, ChartError> {
    encode(&FitChart::new(q)?, format)
}

/// Write one diagnostics chart per fitted quantity into `dir` as `fit-<quantity>.<ext>`.
///
/// # Errors
/// [`ChartError::Io`] naming the file or folder; drawing errors.
pub fn render_all(
    w: &FittedWorkload,
    dir: &Path,
    format: ChartFormat,
) -> Result<Vec<PathBuf>, ChartError> {
    std::fs::create_dir_all(dir).map_err(|source| ChartError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut out = Vec::new();
    for q in &w.quantities {
        let bytes = quantity(q, format)?;
        let path = dir.join(format!(
            "fit-{}.{}",
            q.key.replace('_', "-"),
            format.extension()
        ));
        crate::atomic::write(&path, &bytes).map_err(|source| ChartError::Io {
            path: path.clone(),
            source,
        })?;
        out.push(path);
    }
    Ok(out)
}
