//! Charts of a forecast [`Report`], drawn with plotters: SVG by default, PNG on request.
//!
//! Every chart is a function of the report alone, so a saved `forecast.json` redraws without
//! re-simulating, and bytes come back in memory (the HTML report inlines the SVG; the CLI writes
//! files):
//!
//! | function | what it shows |
//! |---|---|
//! | [`fan()`] | monthly bill over the horizon: P5–P95 and P25–P75 bands, median, mean, budget |
//! | [`distribution()`] | histogram of the headline month's bill with P50/P90/P95/P99 and the budget |
//! | [`exceedance()`] | `P(bill > x)` against `x` for the headline and first month, budget marked |
//! | [`breakdown()`] | mean bill by cost component per month (stacked), and by route |
//! | [`naive()`] | the spreadsheet estimate beside the simulated P50 and P95 |
//!
//! The what-if commands have a chart each, drawn from their result instead of a [`Report`]
//! (`--chart FILE` on the command):
//!
//! | function | what it shows |
//! |---|---|
//! | [`compare()`] | `P(bill > x)` of every compared variant overlaid, P50/P95 marked, budget |
//! | [`sweep()`] | percentiles against the swept input: P5–P95 and P25–P75 bands, median, P95, budget |
//! | [`tornado()`] | each input's P95 at its P10 and P90 around the median world, largest swing first |
//!
//! Text is laid out and rasterised with a bundled font (see [`font`]), so output is identical
//! on every machine; drawing errors are returned as [`ChartError`], never unwrapped.
//!
//! [`overhead::tco()`] draws the multi-provider overhead (stacked mean TCO per strategy with
//! P50–P95 whiskers and the naive 2× line) from an [`crate::overhead::OverheadReport`].
//!
//! # Adding a chart (fit diagnostics)
//! A chart is a struct holding exactly what it draws, built and validated from its input, that
//! implements the crate-internal `Draw` trait; [`ChartFormat`] encoding, fonts, the header and the
//! footer are shared. Fit diagnostics (`billcast fit --charts DIR`: per fitted quantity, the data
//! histogram with the densities of the chosen and runner-up families, and a QQ plot) belong in
//! `fit_diagnostics.rs` with a function taking the fit result of `crate::fit` (not a
//! [`Report`]), e.g. `pub fn fit_diagnostics(fit: &FitReport, format) -> Result<Vec<(String,
//! Vec<u8>)>, ChartError>`, one chart per quantity; a forecast from fitted transcripts can then
//! list them next to [`ChartKind`]'s charts.

pub mod backtest;
pub mod breakdown;
pub mod cdf;
pub mod compare;
pub mod distribution;
pub mod exceedance;
pub mod fan;
pub mod fit;
pub mod font;
pub mod naive;
pub mod overhead;
pub mod style;
pub mod sweep;
pub mod tornado;

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

pub use breakdown::breakdown;
pub use compare::compare;
pub use distribution::{distribution, distribution_of_month};
pub use exceedance::exceedance;
pub use fan::fan;
pub use naive::naive;
pub use sweep::sweep;
pub use tornado::tornado;

use crate::report::Report;
use style::{HEIGHT, WIDTH};

/// What can go wrong drawing a chart.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// The embedded font would not load: a broken build, not a user error.
    #[error("the bundled chart font (DejaVu Sans) could not be loaded; please report this bug")]
    Font,
    /// The report (or what-if result) lacks what the chart needs, or holds more than one chart
    /// can show legibly.
    #[error("cannot draw the {chart} chart: {reason}")]
    NoData {
        /// Chart name.
        chart: &'static str,
        /// What is missing and what to do.
        reason: String,
    },
    /// plotters failed while drawing.
    #[error("drawing a chart failed: {0}")]
    Draw(String),
    /// The PNG encoder failed.
    #[error("encoding a PNG failed: {0}")]
    Png(String),
    /// A chart file could not be written.
    #[error("cannot write chart {}", path.display())]
    Io {
        /// File or folder.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
}

// plotters' errors are generic over the backend; keep their message, drop the type, so chart
// code can use `?` on every drawing call with either backend.
impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for ChartError {
    fn from(e: DrawingAreaErrorKind<E>) -> ChartError {
        ChartError::Draw(e.to_string())
    }
}

/// Output format of a chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChartFormat {
    /// Scalable vector graphics (default): crisp at any size, inlined in HTML.
    #[default]
    Svg,
    /// A 1200×675 px RGB PNG, for tools that do not take SVG.
    Png,
}

impl ChartFormat {
    /// File extension without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            ChartFormat::Svg => "svg",
            ChartFormat::Png => "png",
        }
    }
}

/// The charts of a forecast, in the order a reader meets them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChartKind {
    /// [`fan()`].
    Fan,
    /// [`distribution()`].
    Distribution,
    /// [`exceedance()`].
    Exceedance,
    /// [`breakdown()`].
    Breakdown,
    /// [`naive()`].
    Naive,
}

impl ChartKind {
    /// Every forecast chart.
    pub const ALL: [ChartKind; 5] = [
        ChartKind::Fan,
        ChartKind::Distribution,
        ChartKind::Exceedance,
        ChartKind::Breakdown,
        ChartKind::Naive,
    ];

    /// File stem, e.g. `fan` (→ `fan.svg`).
    pub fn name(self) -> &'static str {
        match self {
            ChartKind::Fan => "fan",
            ChartKind::Distribution => "distribution",
            ChartKind::Exceedance => "exceedance",
            ChartKind::Breakdown => "breakdown",
            ChartKind::Naive => "naive",
        }
    }

    /// A short description for captions and alt text.
    pub fn title(self) -> &'static str {
        match self {
            ChartKind::Fan => "Monthly bill over the horizon",
            ChartKind::Distribution => "Distribution of the headline month's bill",
            ChartKind::Exceedance => "Chance the bill exceeds an amount",
            ChartKind::Breakdown => "Where the money goes",
            ChartKind::Naive => "Naive estimate vs simulation",
        }
    }

    /// Draw this chart of `r`.
    ///
    /// # Errors
    /// [`ChartError::NoData`] when the report has no months; drawing or encoding errors.
    pub fn render(self, r: &Report, format: ChartFormat) -> Result<Vec<u8>, ChartError> {
        match self {
            ChartKind::Fan => fan(r, format),
            ChartKind::Distribution => distribution(r, format),
            ChartKind::Exceedance => exceedance(r, format),
            ChartKind::Breakdown => breakdown(r, format),
            ChartKind::Naive => naive(r, format),
        }
    }
}

/// The charts that apply to `r` (all of them unless it has no months).
pub fn applicable(r: &Report) -> Vec<ChartKind> {
    if r.months.is_empty() {
        Vec::new()
    } else {
        ChartKind::ALL.to_vec()
    }
}

/// Draw every applicable chart of `r` into `dir` (created if missing) as `<name>.<ext>`.
/// Returns the paths written, in [`ChartKind::ALL`] order.
///
/// # Errors
/// [`ChartError::NoData`] when the report has no months; [`ChartError::Io`] naming the file or
/// folder that could not be written; drawing errors.
pub fn render_all(r: &Report, dir: &Path, format: ChartFormat) -> Result<Vec<PathBuf>, ChartError> {
    let kinds = applicable(r);
    if kinds.is_empty() {
        return Err(ChartError::NoData {
            chart: "forecast",
            reason: "the report has no months; re-run the forecast with horizon_months ≥ 1".into(),
        });
    }
    std::fs::create_dir_all(dir).map_err(|source| ChartError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut paths = Vec::with_capacity(kinds.len());
    for kind in kinds {
        let bytes = kind.render(r, format)?;
        let path = dir.join(format!("{}.{}", kind.name(), format.extension()));
        crate::atomic::write(&path, &bytes).map_err(|source| ChartError::Io {
            path: path.clone(),
            source,
        })?;
        paths.push(path);
    }
    Ok(paths)
}

/// A chart that can draw itself on any plotters backend.
pub(crate) trait Draw {
    /// Draw on `root` (already filled white, [`WIDTH`]×[`HEIGHT`]).
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError>;
}

/// Draw `chart` and encode it as SVG text or PNG bytes.
pub(crate) fn encode(chart: &impl Draw, format: ChartFormat) -> Result<Vec<u8>, ChartError> {
    font::ensure_registered()?;
    match format {
        ChartFormat::Svg => {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
                root.fill(&WHITE)?;
                chart.draw(&root)?;
                root.present()?;
            }
            Ok(style::svg_with_font_rule(svg).into_bytes())
        }
        ChartFormat::Png => {
            let mut rgb = vec![0u8; WIDTH as usize * HEIGHT as usize * 3];
            {
                let root =
                    BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
                root.fill(&WHITE)?;
                chart.draw(&root)?;
                root.present()?;
            }
            encode_png(&rgb, WIDTH, HEIGHT)
        }
    }
}

fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, ChartError> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, width, height);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc
        .write_header()
        .map_err(|e| ChartError::Png(e.to_string()))?;
    writer
        .write_image_data(rgb)
        .map_err(|e| ChartError::Png(e.to_string()))?;
    writer
        .finish()
        .map_err(|e| ChartError::Png(e.to_string()))?;
    Ok(out)
}

/// Title and subtitle at the top left, a source note at the bottom left; returns the area left
/// for the plot. Left-aligned titles read faster on slides than plotters' centred captions.
pub(crate) fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
    note: &str,
) -> Result<DrawingArea<DB, Shift>, ChartError> {
    use style::*;
    let x = MARGIN as i32;
    root.draw(&Text::new(
        title.to_string(),
        (x, MARGIN as i32 - 6),
        text(TITLE_SIZE, INK),
    ))?;
    root.draw(&Text::new(
        subtitle.to_string(),
        (x, MARGIN as i32 + TITLE_SIZE as i32),
        text(SUBTITLE_SIZE, MUTED),
    ))?;
    let header = (MARGIN + TITLE_SIZE + SUBTITLE_SIZE + 14) as i32;
    let footer = 30;
    root.draw(&Text::new(
        note.to_string(),
        (x, HEIGHT as i32 - footer + 6),
        text(14, MUTED),
    ))?;
    let (_, rest) = root.split_vertically(header);
    let (plot, _) = rest.split_vertically(HEIGHT as i32 - header - footer);
    Ok(plot)
}

/// The standard source note: where the numbers come from.
pub(crate) fn source_note(r: &Report) -> String {
    format!(
        "billcast {} · {} · {} trials · seed {} · {} mode",
        r.billcast_version,
        r.scenario.name,
        crate::units::format_count(r.trials as f64),
        r.seed,
        r.mode
    )
}

/// The source note of a what-if chart: the run its variants share (`trials` per engine run,
/// `what` saying which runs, e.g. `per variant`).
pub(crate) fn whatif_note(version: &str, trials: u64, what: &str, seed: u64, mode: &str) -> String {
    format!(
        "billcast {version} · {} trials {what} · seed {seed} · {mode} mode · the same draws in every run",
        crate::units::format_count(trials as f64),
    )
}

/// `label` cut to at most `max` characters, ending in `…` when cut (legends and tick labels
/// must not run off the canvas).
pub(crate) fn ellipsize(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        return label.to_string();
    }
    let mut out: String = label.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A budget worth drawing, USD per month: finite and positive.
pub(crate) fn usable_budget(budget: Option<f64>) -> Option<f64> {
    budget.filter(|b| b.is_finite() && *b > 0.0)
}

/// Inner margin of a legend box, px.
const LEGEND_MARGIN: u32 = 12;
/// Width of a legend's sample column, px.
const LEGEND_SAMPLE: u32 = 30;
/// Gap plotters leaves between a legend box and the plot's corner, px.
const LEGEND_OFFSET: u32 = 5;
/// Top margin of the what-if charts' plots, px.
const PLOT_TOP: u32 = 8;

/// The chart builder of the what-if charts: the standard margins and label areas, with
/// `y_label_area` px for the y tick labels (see [`LegendFit`], which relies on the same sizes).
pub(crate) fn builder<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    y_label_area: u32,
) -> ChartBuilder<'_, '_, DB> {
    use style::*;
    let mut b = ChartBuilder::on(area);
    b.margin_left(MARGIN)
        .margin_right(MARGIN)
        .margin_top(PLOT_TOP)
        .x_label_area_size(X_LABEL_AREA)
        .y_label_area_size(y_label_area);
    b
}

/// The house mesh of every bill chart: no minor grid, a thin major grid, muted axes, axis
/// descriptions and tick labels in ink. Callers add the descriptions, labels and which grid
/// lines or axes to hide (later calls override, as with any `MeshStyle`).
pub(crate) fn mesh<'a, 'b, DB, XT, YT, X, Y>(
    chart: &'b mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
) -> plotters::chart::MeshStyle<'a, 'b, X, Y, DB>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = XT> + plotters::coord::ranged1d::ValueFormatter<XT>,
    Y: Ranged<ValueType = YT> + plotters::coord::ranged1d::ValueFormatter<YT>,
{
    use style::*;
    let mut m = chart.configure_mesh();
    m.light_line_style(TRANSPARENT)
        .bold_line_style(stroke(GRID, 1))
        .axis_style(stroke(MUTED, 1))
        .axis_desc_style(text(AXIS_DESC_SIZE, INK))
        .label_style(text(TICK_SIZE, INK));
    m
}

/// The legend box of the what-if charts: the same look as every other chart's.
pub(crate) fn draw_legend<'a, DB: DrawingBackend + 'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Result<(), ChartError> {
    chart
        .configure_series_labels()
        .position(position)
        .margin(LEGEND_MARGIN)
        .legend_area_size(LEGEND_SAMPLE)
        .label_font(style::text(style::LABEL_SIZE, style::INK))
        .background_style(WHITE)
        .border_style(style::stroke(style::GRID, 1))
        .draw()?;
    Ok(())
}

/// The size of a legend box as fractions of the plot it sits in, to place it clear of the data.
///
/// Marks are points the legend must not cover, as fractions of the plot: `x` from the left,
/// `y` from the bottom (so `(0, 0)` is the lower-left corner and `(1, 1)` the upper right).
/// Charts sample their lines and labels into marks (see [`densify`]).
pub(crate) struct LegendFit {
    /// Width of the box plus its offset from the corner, fraction of the plot width.
    pub(crate) w: f64,
    /// Height of the box plus its offset from the corner, fraction of the plot height.
    pub(crate) h: f64,
    /// Size of the plot, px.
    pub(crate) plot: (f64, f64),
}

impl LegendFit {
    /// The legend [`draw_legend`] would draw for `labels` in a plot made by [`builder`] on
    /// `area` with `y_label_area` px of y tick labels.
    pub(crate) fn new<DB: DrawingBackend>(
        area: &DrawingArea<DB, Shift>,
        y_label_area: u32,
        labels: &[String],
    ) -> Result<LegendFit, ChartError> {
        use style::*;
        let font = text(LABEL_SIZE, INK);
        let mut lines = MultiLineText::<(i32, i32), &str>::new((0, 0), &font);
        for l in labels {
            lines.push_line(l.as_str());
        }
        let (w, h) = lines
            .estimate_dimension()
            .map_err(|e| ChartError::Draw(e.to_string()))?;
        let (area_w, area_h) = area.dim_in_pixel();
        let plot_w = area_w.saturating_sub(2 * MARGIN + y_label_area).max(1);
        let plot_h = area_h.saturating_sub(PLOT_TOP + X_LABEL_AREA).max(1);
        let box_w = w.max(0) as u32 + LEGEND_SAMPLE + 2 * LEGEND_MARGIN + LEGEND_OFFSET;
        let box_h = h.max(0) as u32 + 2 * LEGEND_MARGIN + LEGEND_OFFSET;
        Ok(LegendFit {
            w: f64::from(box_w) / f64::from(plot_w),
            h: f64::from(box_h) / f64::from(plot_h),
            plot: (f64::from(plot_w), f64::from(plot_h)),
        })
    }

    /// The first corner of `prefer` (upper/lower, left/right) whose legend box covers none of
    /// `marks`; `None` when every one would.
    pub(crate) fn corner(
        &self,
        marks: &[(f64, f64)],
        prefer: &[SeriesLabelPosition],
    ) -> Option<SeriesLabelPosition> {
        use SeriesLabelPosition::*;
        prefer
            .iter()
            .find(|pos| {
                let left = matches!(pos, UpperLeft | MiddleLeft | LowerLeft);
                let upper = matches!(pos, UpperLeft | UpperMiddle | UpperRight);
                let (x0, x1) = if left {
                    (0.0, self.w)
                } else {
                    (1.0 - self.w, 1.0)
                };
                let (y0, y1) = if upper {
                    (1.0 - self.h, 1.0)
                } else {
                    (0.0, self.h)
                };
                !marks
                    .iter()
                    .any(|&(x, y)| x >= x0 && x <= x1 && y >= y0 && y <= y1)
            })
            .cloned()
    }

    /// Marks covering a text of `size` px drawn at the mark `at` shifted by `dx` px to the right
    /// (to the left when `dx` is negative, the text then ending there), vertically centred.
    pub(crate) fn text_marks(&self, at: (f64, f64), dx: f64, size: (u32, u32)) -> Vec<(f64, f64)> {
        let (w, h) = (f64::from(size.0), f64::from(size.1));
        let (x0, x1) = if dx >= 0.0 {
            (dx, dx + w)
        } else {
            (dx - w, dx)
        };
        let mut out = Vec::new();
        for k in 0..=8 {
            let x = at.0 + (x0 + (x1 - x0) * f64::from(k) / 8.0) / self.plot.0;
            for dy in [-h / 2.0, 0.0, h / 2.0] {
                out.push((x, at.1 + dy / self.plot.1));
            }
        }
        out
    }
}

/// `points` with `steps − 1` evenly spaced points added inside every segment, so a long
/// straight segment still counts as a mark where it runs.
pub(crate) fn densify(points: &[(f64, f64)], steps: usize) -> Vec<(f64, f64)> {
    let steps = steps.max(1);
    let mut out = Vec::with_capacity(points.len() * steps);
    for w in points.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        for k in 0..steps {
            let f = k as f64 / steps as f64;
            out.push((x0 + f * (x1 - x0), y0 + f * (y1 - y0)));
        }
    }
    out.extend(points.last());
    out
}

/// The month a chart of "the headline month" shows: the headline's, else the last.
pub(crate) fn headline_month<'a>(
    r: &'a Report,
    chart: &'static str,
) -> Result<&'a crate::report::MonthSummary, ChartError> {
    r.headline_month()
        .or_else(|| r.months.last())
        .ok_or_else(|| ChartError::NoData {
            chart,
            reason: "the report has no months; re-run the forecast with horizon_months ≥ 1".into(),
        })
}

/// Axis key points at month indices `0..n`, thinned to at most ~12 labels.
pub(crate) fn month_ticks(n: usize) -> Vec<f64> {
    let step = n.div_ceil(12).max(1);
    (0..n).step_by(step).map(|i| i as f64).collect()
}

/// Label of a month index on a categorical f64 axis (empty between months).
pub(crate) fn month_label(months: &[String], v: f64) -> String {
    let i = v.round();
    if (v - i).abs() > 1e-6 || i < 0.0 {
        return String::new();
    }
    months.get(i as usize).cloned().unwrap_or_default()
}

/// A linear f64 axis whose ticks sit exactly at given positions (month or category indices),
/// labelled by a caller-supplied formatter (plotters' `WithKeyPoints` places ticks but cannot be
/// used with `configure_mesh`: it has no label formatter).
pub(crate) struct IndexAxis {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl IndexAxis {
    /// An axis over `lo..hi` with ticks at `ticks`.
    pub(crate) fn new(lo: f64, hi: f64, ticks: Vec<f64>) -> IndexAxis {
        IndexAxis { lo, hi, ticks }
    }
}

impl plotters::coord::ranged1d::Ranged for IndexAxis {
    // Labels always come from the chart's formatter; the default (Debug) is never shown.
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        // Same arithmetic as plotters' RangedCoordf64, so bars line up with its other axes.
        if self.hi == self.lo {
            return (limit.1 - limit.0) / 2;
        }
        let logic = (v - self.lo) / (self.hi - self.lo);
        let actual = limit.1 - limit.0;
        if actual == 0 {
            return limit.1;
        }
        if actual > 0 {
            limit.0 + (f64::from(actual) * logic + 1e-3).floor() as i32
        } else {
            limit.0 + (f64::from(actual) * logic - 1e-3).ceil() as i32
        }
    }

    fn key_points<H: plotters::coord::ranged1d::KeyPointHint>(&self, hint: H) -> Vec<f64> {
        let max = hint.max_num_points().max(1);
        let step = self.ticks.len().div_ceil(max).max(1);
        self.ticks.iter().step_by(step).copied().collect()
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// A legend sample for a dashed line: three short dashes, matching the series' look.
/// (A composed element would need a `'static` backend, which an SVG backend writing into a
/// borrowed string is not.)
pub(crate) struct DashSample {
    at: (i32, i32),
    style: ShapeStyle,
}

/// The legend sample of a dashed series drawn with `style`.
pub(crate) fn dashed_sample(at: (i32, i32), style: ShapeStyle) -> DashSample {
    DashSample { at, style }
}

impl<'a> plotters::element::PointCollection<'a, (i32, i32)> for &'a DashSample {
    type Point = &'a (i32, i32);
    type IntoIter = std::iter::Once<&'a (i32, i32)>;
    fn point_iter(self) -> Self::IntoIter {
        std::iter::once(&self.at)
    }
}

impl<DB: DrawingBackend> plotters::element::Drawable<DB> for DashSample {
    fn draw<I: Iterator<Item = (i32, i32)>>(
        &self,
        mut pos: I,
        backend: &mut DB,
        _: (u32, u32),
    ) -> Result<(), plotters_backend::DrawingErrorKind<DB::ErrorType>> {
        if let Some((x, y)) = pos.next() {
            for (a, b) in [(0, 5), (8, 13), (16, 22)] {
                backend.draw_line((x + a, y), (x + b, y), &self.style)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_labels_are_cut_with_an_ellipsis() {
        assert_eq!(ellipsize("short", 10), "short");
        assert_eq!(ellipsize("abcdefghij", 5), "abcd…");
        assert_eq!(ellipsize("ééééé", 5), "ééééé");
        assert_eq!(usable_budget(Some(0.0)), None);
        assert_eq!(usable_budget(Some(f64::NAN)), None);
        assert_eq!(usable_budget(Some(20.0)), Some(20.0));
    }

    #[test]
    fn legends_go_to_the_first_corner_clear_of_the_marks() {
        use SeriesLabelPosition::*;
        let fit = LegendFit {
            w: 0.3,
            h: 0.3,
            plot: (1000.0, 500.0),
        };
        let prefer = [UpperLeft, UpperRight, LowerRight];
        // A line rising from the lower left to the upper right: both upper corners are free
        // only above it.
        let rising = densify(&[(0.0, 0.0), (1.0, 1.0)], 20);
        assert_eq!(fit.corner(&rising, &prefer), Some(UpperLeft));
        let falling = densify(&[(0.0, 1.0), (1.0, 0.0)], 20);
        assert_eq!(fit.corner(&falling, &prefer), Some(UpperRight));
        let everywhere: Vec<(f64, f64)> = [(0.1, 0.9), (0.9, 0.9), (0.9, 0.1)].to_vec();
        assert_eq!(fit.corner(&everywhere, &prefer), None);
        assert_eq!(
            densify(&[(0.0, 0.0), (1.0, 2.0)], 2),
            vec![(0.0, 0.0), (0.5, 1.0), (1.0, 2.0)]
        );
    }

    #[test]
    fn month_ticks_are_thinned_to_about_twelve() {
        assert_eq!(month_ticks(1), vec![0.0]);
        assert_eq!(month_ticks(12).len(), 12);
        assert_eq!(
            month_ticks(36),
            (0..12).map(|i| 3.0 * i as f64).collect::<Vec<_>>()
        );
    }

    #[test]
    fn month_labels_only_at_whole_indices() {
        let months = vec!["2027-01".to_string(), "2027-02".to_string()];
        assert_eq!(month_label(&months, 1.0), "2027-02");
        assert_eq!(month_label(&months, 0.5), "");
        assert_eq!(month_label(&months, -1.0), "");
        assert_eq!(month_label(&months, 7.0), "");
    }

    #[test]
    fn index_axis_maps_like_a_linear_axis_and_keeps_its_ticks() {
        use plotters::coord::ranged1d::Ranged;
        let a = IndexAxis::new(-0.5, 2.5, vec![0.0, 1.0, 2.0]);
        assert_eq!(a.map(&-0.5, (0, 300)), 0);
        assert_eq!(a.map(&1.0, (0, 300)), 150);
        assert_eq!(a.key_points(3usize), vec![0.0, 1.0, 2.0]);
        assert_eq!(a.key_points(2usize), vec![0.0, 2.0]);
    }
}
