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

pub mod breakdown;
pub mod cdf;
pub mod distribution;
pub mod exceedance;
pub mod fan;
pub mod fit;
pub mod font;
pub mod naive;
pub mod overhead;
pub mod style;

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

pub use breakdown::breakdown;
pub use distribution::{distribution, distribution_of_month};
pub use exceedance::exceedance;
pub use fan::fan;
pub use naive::naive;

use crate::report::Report;
use style::{HEIGHT, WIDTH};

/// What can go wrong drawing a chart.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// The embedded font would not load: a broken build, not a user error.
    #[error("the bundled chart font (DejaVu Sans) could not be loaded; please report this bug")]
    Font,
    /// The report lacks what the chart needs.
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
        std::fs::write(&path, bytes).map_err(|source| ChartError::Io {
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
