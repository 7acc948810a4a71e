//! The forecast as a document: Markdown for PR comments and wikis ([`markdown`]) and the
//! self-contained design-review page ([`html`]), both of which may carry the charts of
//! [`crate::charts`] and the operational overhead of [`crate::overhead`]. They sit above both
//! (the report model in [`crate::report`] stays below the charts that draw it).

pub mod html;
pub mod markdown;

use crate::overhead::OverheadReport;
use crate::whatif::compare::Comparison;
use crate::whatif::sensitivity::Sensitivity;
use crate::whatif::solve::Solution;
use crate::whatif::sweep::Sweep;

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
