//! Exporters: every result ([`Envelope`]) rendered through one trait, [`Exporter`], with one
//! implementation per format — a terminal table ([`table::Table`]), JSON ([`json::Json`]), CSV
//! ([`csv::Csv`]), Markdown ([`markdown::Markdown`]) and the self-contained HTML page
//! ([`html::Html`], the forecast's) — each of which renders any kind by a `match` on the body.
//! Commands and `billcast render` get theirs from [`exporter`].
//!
//! What every kind's document shares is written once, by the format's exporter: the terminal
//! title line, meta line, lead sentence, `Notes:` and `Warnings:` blocks ([`table::Text`]);
//! the Markdown PR-comment marker, heading, bold lead, warnings and `<sub>` footer
//! ([`markdown::Page`]). The kinds supply their parts: the grids and sentences of
//! [`crate::report::rows`], [`crate::whatif::render`] and [`crate::overhead::render`], and, for
//! the kinds whose result types live in [`crate::results`] (backtest, calibration, fit,
//! pricing), the builders here ([`backtest`], [`calibration`], [`fit`], [`pricing`]), which
//! cannot live in their feature modules without those importing the results layer above them.
//!
//! A kind and format that make no sense together are refused by [`check`] before any work.
//! The design-review pack (`billcast report`) is the forecast's page with one section per
//! request ([`Pack`]).

pub mod backtest;
pub mod calibration;
pub mod csv;
pub mod fit;
pub mod html;
pub mod json;
pub mod markdown;
pub mod pricing;
pub mod table;

use crate::overhead::OverheadReport;
use crate::results::{Body, Envelope, Kind, ResultsError};
use crate::whatif::compare::Comparison;
use crate::whatif::sensitivity::Sensitivity;
use crate::whatif::solve::Solution;
use crate::whatif::sweep::Sweep;

pub use markdown::ChartLink;

/// An output format of a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Terminal text with tables.
    Table,
    /// The result's envelope as pretty JSON.
    Json,
    /// Comma-separated rows under a header row.
    Csv,
    /// Markdown for PR comments and wikis.
    Markdown,
    /// One self-contained HTML page (forecasts).
    Html,
}

impl Format {
    /// The `--format` value.
    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Markdown => "markdown",
            Format::Html => "html",
        }
    }
}

/// Why a result could not be exported.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The report has no months to show.
    #[error("the report has no months; re-run the forecast with horizon_months ≥ 1")]
    NoMonths,
    /// A chart of the HTML report could not be drawn.
    #[error("cannot draw the report's charts")]
    Chart(#[from] crate::charts::ChartError),
    /// The kind has no rendering in this format (one line: what to use instead).
    #[error("{0}")]
    Unsupported(String),
    /// The text could not be written (JSON or CSV serialisation).
    #[error("{0}")]
    Write(String),
}

impl From<ResultsError> for ExportError {
    fn from(e: ResultsError) -> Self {
        ExportError::Write(e.to_string())
    }
}

impl From<crate::report::ReportError> for ExportError {
    fn from(e: crate::report::ReportError) -> Self {
        ExportError::Write(e.to_string())
    }
}

impl From<::csv::Error> for ExportError {
    fn from(e: ::csv::Error) -> Self {
        ExportError::Write(format!("csv: {e}"))
    }
}

/// Renders any result in one format.
pub trait Exporter {
    /// The format written.
    fn format(&self) -> Format;

    /// The text of `result` (ending in a newline).
    ///
    /// # Errors
    /// [`ExportError::Unsupported`] when the kind has no rendering in this format ([`check`]);
    /// serialisation and chart errors.
    fn export(&self, result: &Envelope<'_>) -> Result<String, ExportError>;
}

/// What an exporter may add besides the result: the chart files a forecast's Markdown links.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Images linked after a forecast's headline numbers (Markdown).
    pub charts: Vec<ChartLink>,
}

/// The exporter of `format`.
pub fn exporter(format: Format, options: Options) -> Box<dyn Exporter> {
    match format {
        Format::Table => Box::new(table::Table),
        Format::Json => Box::new(json::Json),
        Format::Csv => Box::new(csv::Csv),
        Format::Markdown => Box::new(markdown::Markdown {
            charts: options.charts,
        }),
        Format::Html => Box::new(html::Html),
    }
}

/// `body` in `format` (a forecast's Markdown without chart links): the [`exporter`] of the
/// envelope around it.
///
/// # Errors
/// As [`Exporter::export`].
pub fn render(body: Body<'_>, format: Format) -> Result<String, ExportError> {
    exporter(format, Options::default()).export(&Envelope::new(body))
}

/// The view of a pricing result (`list`, `show`, …), the only kind with several.
pub fn view(body: &Body<'_>) -> Option<&'static str> {
    match body {
        Body::Pricing(p) => Some(p.view()),
        _ => None,
    }
}

/// Refuse a kind (and, for pricing, view) that `format` cannot render; commands call it
/// before any work, and every exporter before rendering.
///
/// # Errors
/// [`ExportError::Unsupported`], one line naming the formats to use instead.
pub fn check(kind: Kind, view: Option<&str>, format: Format) -> Result<(), ExportError> {
    let refuse = |why: String| Err(ExportError::Unsupported(why));
    match (kind, view, format) {
        (Kind::Forecast, _, _) | (_, _, Format::Json) => Ok(()),
        (_, _, Format::Html) => refuse(format!(
            "a {} result has no HTML page (--format html is the forecast's); use --format table, json, csv or markdown",
            kind.name()
        )),
        (Kind::Pricing, Some("show"), Format::Csv) => refuse(
            "pricing show --format csv: a model's description is several tables, not one; use --format table, json or markdown (or `pricing list --format csv` for one row per model)"
                .into(),
        ),
        (Kind::Fit, _, Format::Csv) => refuse(
            "a fit result has no CSV (each row holds a list of parameters); use --format table, json or markdown"
                .into(),
        ),
        _ => Ok(()),
    }
}

/// The text of the kinds written as lines around grids, without a title (backtest, shift
/// calibration, calibration, fit, pricing): the same lines in the terminal and in Markdown,
/// with the grids drawn as terminal or Markdown tables. Other kinds: empty.
fn lines(body: &Body<'_>, markdown: bool) -> String {
    match body {
        Body::Backtest(b) => backtest::text(b, markdown),
        Body::ShiftCalibration(s) => backtest::shift_text(s, markdown),
        Body::Calibration(c) => calibration::text(c, markdown),
        Body::Fit(f) => fit::text(f, markdown),
        Body::Pricing(p) if markdown => pricing::markdown(p),
        Body::Pricing(p) => pricing::table(p),
        _ => String::new(),
    }
}

/// [`check`] of a result.
fn check_result(result: &Envelope<'_>, format: Format) -> Result<(), ExportError> {
    check(result.kind(), view(&result.body), format)
}

/// What a design-review pack holds besides the forecast: one section per request, each
/// computed with the forecast's scenario, seed and trials. `Pack::default()` is the forecast
/// alone.
#[derive(Debug, Clone, Copy, Default)]
pub struct Pack<'a> {
    /// The operational overhead of a second provider (`[overhead]` section), `id="overhead"`.
    pub overhead: Option<&'a OverheadReport>,
    /// Variants of the scenario compared (`--vary`), `id="compare"`.
    pub compare: Option<&'a Comparison>,
    /// The largest (or smallest) value of an input under budget (`--solve KEY`), `id="solve"`,
    /// with the bill's percentiles swept over values the search evaluated, for its chart.
    pub solve: Option<(&'a Solution, &'a Sweep)>,
    /// The inputs that drive the bill (`--sensitivity`), `id="sensitivity"`.
    pub sensitivity: Option<&'a Sensitivity>,
}

/// Title and caption of a pack section's chart, shared by the HTML and Markdown pages.
pub mod titles {
    /// `id="compare"`.
    pub const COMPARE: &str = "Variants compared";
    /// Its chart.
    pub const COMPARE_CHART: &str = "Chance that the monthly bill exceeds each amount, per variant; P50 and P95 marked; the budget dashed. Every variant ran on the same draws, so the gaps are the variants' effect.";
    /// `id="solve"`.
    pub const SOLVE: &str = "Largest value under budget";
    /// Its chart.
    pub const SOLVE_CHART: &str = "The bill's percentiles at values the search evaluated (same draws); where the P95 crosses the budget line is the answer.";
    /// `id="sensitivity"`.
    pub const SENSITIVITY: &str = "What drives the bill";
    /// Its chart.
    pub const SENSITIVITY_CHART: &str = "Each input at its P10 and P90 with every other input at its median; bar = the P95's swing, largest first.";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_forecasts_have_a_page_and_only_json_is_always_there() {
        for k in Kind::ALL {
            assert!(check(k, None, Format::Json).is_ok());
            assert_eq!(
                check(k, None, Format::Html).is_ok(),
                k == Kind::Forecast,
                "{k:?}"
            );
        }
        let e = check(Kind::Pricing, Some("show"), Format::Csv).unwrap_err();
        assert!(
            e.to_string().starts_with("pricing show --format csv"),
            "{e}"
        );
        assert!(check(Kind::Pricing, Some("list"), Format::Csv).is_ok());
        assert!(check(Kind::Fit, None, Format::Csv).is_err());
    }
}
