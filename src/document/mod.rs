//! The forecast as a document: Markdown for PR comments and wikis ([`markdown`]) and the
//! self-contained design-review page ([`html`]), both of which may carry the charts of
//! [`crate::charts`] and the operational overhead of [`crate::overhead`]. They sit above both
//! (the report model in [`crate::report`] stays below the charts that draw it).

pub mod html;
pub mod markdown;

/// Why a document could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// The report has no months to show.
    #[error("the report has no months; re-run the forecast with horizon_months ≥ 1")]
    NoMonths,
    /// A chart of the HTML report could not be drawn.
    #[error("cannot draw the report's charts")]
    Chart(#[from] crate::charts::ChartError),
}
