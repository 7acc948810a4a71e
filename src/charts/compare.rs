//! Compare chart (`billcast compare --chart FILE`): the bill distributions of every compared
//! variant overlaid for the compared month, as exceedance curves `P(bill > x)` against `x`.
//!
//! Exceedance curves rather than densities: several densities overlaid hide each other's tails,
//! while exceedance curves stay apart where the variants differ and answer the budget owner's
//! question directly ("how likely is each option to cost more than $x?"). Each curve is rebuilt
//! from the variant's 101 quantiles exactly as the forecast's exceedance chart is (see
//! [`super::cdf`]); its P50 (a dot, where the curve crosses 50%) and P95 (a triangle, where it
//! crosses 5%) are marked, and the legend gives both with `P(bill > budget)`. All variants share
//! their draws (common random numbers), so where two curves differ the change made them differ.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::cdf::QuantileCdf;
use super::exceedance::{FIVE_PCT, axes_and_p95_line, curve};
use super::fan::finite;
use super::style::*;
use super::{
    ChartError, ChartFormat, Draw, IndexAxis, LegendFit, builder, dashed_sample, densify,
    draw_legend, ellipsize, encode, frame, usable_budget, whatif_note,
};
use crate::units::{format_pct, format_usd_compact};
use crate::whatif::compare::Comparison;

/// Most variants one chart tells apart: every variant colour solid, then every one dashed.
pub const MAX_VARIANTS: usize = 2 * VARIANT_COLOURS.len();

/// Longest variant label in the legend, characters.
const LABEL_CHARS: usize = 40;

/// Draw the overlay of the variants' bill distributions in the compared month.
///
/// # Errors
/// [`ChartError::NoData`] when the comparison has no variants, more than [`MAX_VARIANTS`], or a
/// variant without usable quantiles; drawing or encoding errors.
pub fn compare(c: &Comparison, format: ChartFormat) -> Result<Vec<u8>, ChartError> {
    encode(&Compare::new(c)?, format)
}

/// Whether one chart can draw `n` variants; callers check before running anything.
///
/// # Errors
/// [`ChartError::NoData`] when `n` exceeds [`MAX_VARIANTS`].
pub fn check_variants(n: usize) -> Result<(), ChartError> {
    if n > MAX_VARIANTS {
        return Err(ChartError::NoData {
            chart: "compare",
            reason: format!(
                "{n} variants are more than the {MAX_VARIANTS} one chart can tell apart; compare fewer (e.g. split the --vary lists over several runs)"
            ),
        });
    }
    Ok(())
}

/// A `--vary` grid label (`traffic.monthly_active_users=1000, workload.system_prompt_tokens=200`)
/// with every dotted key cut to its last segment (`monthly_active_users=1000,
/// system_prompt_tokens=200`), so the values that tell the variants apart survive the legend's
/// length limit. Other labels are returned as they are.
fn short_label(label: &str) -> String {
    let is_key = |k: &str| {
        !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '[' | ']'))
    };
    label
        .split(", ")
        .map(|part| match part.split_once('=') {
            Some((key, value)) if is_key(key) => {
                format!("{}={value}", key.rsplit('.').next().unwrap_or(key))
            }
            _ => part.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One variant's curve.
struct Line {
    /// Legend text: label, P50, P95 and `P(bill > budget)`.
    label: String,
    colour: RGBColor,
    dashed: bool,
    /// `(amount USD, P(bill > amount))`, amounts non-decreasing.
    points: Vec<(f64, f64)>,
    /// `(P50 USD, P(bill > P50))` and `(P95 USD, P(bill > P95))`, on the curve.
    p50: (f64, f64),
    p95: (f64, f64),
}

/// What the chart draws.
struct Compare {
    title: String,
    subtitle: String,
    note: String,
    lines: Vec<Line>,
    /// Budgets within the x range, USD per month, distinct and ascending.
    budgets: Vec<f64>,
    /// Right end of the x axis, USD.
    hi: f64,
}

impl Compare {
    fn new(c: &Comparison) -> Result<Compare, ChartError> {
        let n = c.variants.len();
        if n == 0 {
            return Err(ChartError::NoData {
                chart: "compare",
                reason: "the comparison has no variants".into(),
            });
        }
        check_variants(n)?;
        let cdfs = c
            .variants
            .iter()
            .map(|v| {
                QuantileCdf::new(&v.summary.quantiles).ok_or_else(|| ChartError::NoData {
                    chart: "compare",
                    reason: format!(
                        "variant '{}' has no usable quantiles for {} (expected 101 finite values); re-run the comparison",
                        v.label, c.month
                    ),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let p99 = c
            .variants
            .iter()
            .zip(&cdfs)
            .map(|(v, cdf)| cdf.quantile(0.99).max(v.summary.p99))
            .fold(0.0, f64::max);
        let mut budgets: Vec<f64> = c
            .variants
            .iter()
            .filter_map(|v| usable_budget(v.budget_usd))
            .collect();
        budgets.sort_by(f64::total_cmp);
        budgets.dedup();
        // As in the exceedance chart: a budget far beyond every P99 is stated, not drawn.
        let (near, far): (Vec<f64>, Vec<f64>) =
            budgets.into_iter().partition(|b| *b <= 1.6 * p99.max(1e-9));
        let hi = headroom(near.iter().copied().fold(p99, f64::max));

        let lines = c
            .variants
            .iter()
            .zip(&cdfs)
            .enumerate()
            .map(|(i, (v, cdf))| {
                let m = &v.summary;
                let mut label = format!(
                    "{}: P50 {} · P95 {}",
                    ellipsize(&short_label(&v.label), LABEL_CHARS),
                    format_usd_compact(m.p50),
                    format_usd_compact(m.p95)
                );
                if let Some(p) = m.prob_over_budget {
                    label.push_str(&format!(" · {} over budget", format_pct(p)));
                }
                let on_curve = |x: f64| {
                    let x = finite(x);
                    (x, cdf.exceedance(x))
                };
                Line {
                    label,
                    colour: VARIANT_COLOURS[i % VARIANT_COLOURS.len()],
                    dashed: i >= VARIANT_COLOURS.len(),
                    points: curve(cdf, hi),
                    p50: on_curve(m.p50),
                    p95: on_curve(m.p95),
                }
            })
            .collect();

        let mut names: Vec<&str> = Vec::new();
        for v in &c.variants {
            if !names.contains(&v.scenario.as_str()) {
                names.push(&v.scenario);
            }
        }
        let who = match names.as_slice() {
            [one] => (*one).to_string(),
            [first, rest @ ..] if rest.len() > 2 => {
                format!("{first} and {} other scenarios", rest.len())
            }
            many => many.join(", "),
        };
        let mut subtitle = format!(
            "{}: share of simulated worlds whose bill is above each amount; every variant sees the same worlds",
            ellipsize(&who, 48)
        );
        for b in &far {
            subtitle.push_str(&format!(
                "; budget {} is off the chart",
                format_usd_compact(*b)
            ));
        }
        let a = &c.alignment;
        Ok(Compare {
            title: format!(
                "Chance the {} bill exceeds an amount: {n} variants",
                c.month
            ),
            subtitle,
            note: format!(
                "{} · curves rebuilt from each variant's 101 quantiles",
                whatif_note(
                    &c.billcast_version,
                    a.trials,
                    "per variant",
                    a.seed,
                    &a.mode
                )
            ),
            lines,
            budgets: near,
            hi,
        })
    }
}

/// Legend entries of the 5% line and the markers (the variants' and budgets' come between).
const P50_MARK: &str = "P50 of each variant (50% chance above)";
const P95_MARK: &str = "P95 of each variant (5% chance above)";

/// Top of the probability axis when nothing else needs room, 0–1.
const Y_TOP: f64 = 1.02;

impl Compare {
    fn legend(&self) -> Vec<String> {
        let mut out = vec![FIVE_PCT.to_string()];
        out.extend(self.lines.iter().map(|l| l.label.clone()));
        out.push(P50_MARK.into());
        out.push(P95_MARK.into());
        out.extend(self.budgets.iter().map(|b| budget_label(*b)));
        out
    }

    /// The curves and markers as fractions of a plot `0..hi` × `0..y_top`.
    fn marks(&self, y_top: f64) -> Vec<(f64, f64)> {
        let frac = |(x, p): (f64, f64)| (x / self.hi, p / y_top);
        let mut marks = Vec::new();
        for line in &self.lines {
            let pts: Vec<(f64, f64)> = line.points.iter().map(|&pt| frac(pt)).collect();
            marks.extend(densify(&pts, 8));
            marks.extend([frac(line.p50), frac(line.p95)]);
        }
        marks
    }
}

fn budget_label(b: f64) -> String {
    format!("Budget {}", format_usd_compact(b))
}

impl Draw for Compare {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let area = frame(root, &self.title, &self.subtitle, &self.note)?;
        // The legend goes in a corner clear of the curves; when none is, the probability axis
        // grows above 100% (without ticks there) until the legend fits over the curves.
        let fit = LegendFit::new(&area, Y_LABEL_AREA, &self.legend())?;
        let prefer = [
            SeriesLabelPosition::UpperRight,
            SeriesLabelPosition::LowerLeft,
        ];
        let (y_top, position) = match fit.corner(&self.marks(Y_TOP), &prefer) {
            Some(p) => (Y_TOP, p),
            None => (
                Y_TOP / (1.0 - fit.h).max(0.3),
                SeriesLabelPosition::UpperRight,
            ),
        };
        let ticks = (0..=10).map(|i| f64::from(i) / 10.0).collect();
        let mut chart = builder(&area, Y_LABEL_AREA)
            .build_cartesian_2d(0.0..self.hi, IndexAxis::new(0.0, y_top, ticks))?;
        axes_and_p95_line(&mut chart, self.hi)?;
        for line in &self.lines {
            let style = stroke(line.colour, 3);
            let points = line.points.iter().copied();
            if line.dashed {
                chart
                    .draw_series(DashedLineSeries::new(points, 12, 6, style))?
                    .label(line.label.clone())
                    .legend(move |c| dashed_sample(c, style));
            } else {
                chart
                    .draw_series(LineSeries::new(points, style))?
                    .label(line.label.clone())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], style));
            }
        }
        // Markers on top of every curve, so no curve hides another's.
        for line in &self.lines {
            chart.draw_series([
                Circle::new(line.p50, 6, line.colour.filled()),
                Circle::new(line.p50, 6, stroke(WHITE, 1)),
            ])?;
            chart.draw_series(std::iter::once(TriangleMarker::new(
                line.p95,
                8,
                line.colour.filled(),
            )))?;
        }
        chart
            .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
            .label(P50_MARK)
            .legend(|(x, y)| Circle::new((x + 11, y), 6, INK.filled()));
        chart
            .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
            .label(P95_MARK)
            .legend(|(x, y)| TriangleMarker::new((x + 11, y), 8, INK.filled()));
        for b in &self.budgets {
            chart
                .draw_series(DashedLineSeries::new(
                    [(*b, 0.0), (*b, y_top)],
                    10,
                    6,
                    stroke(BUDGET, 3),
                ))?
                .label(budget_label(*b))
                .legend(|c| dashed_sample(c, stroke(BUDGET, 3)));
        }
        draw_legend(&mut chart, position)
    }
}

#[cfg(test)]
mod tests {
    use super::short_label;

    #[test]
    fn grid_labels_keep_the_values_and_drop_the_key_paths() {
        assert_eq!(
            short_label("traffic.monthly_active_users=1000, workload.system_prompt_tokens=200"),
            "monthly_active_users=1000, system_prompt_tokens=200"
        );
        assert_eq!(short_label("openai/gpt-6.1-sol"), "openai/gpt-6.1-sol");
        assert_eq!(
            short_label("{ policy = \"window\", turns = 6 }"),
            "{ policy = \"window\", turns = 6 }"
        );
    }
}
