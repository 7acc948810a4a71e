//! The results model: one envelope around a typed body for every kind of result billcast
//! computes. Every command's JSON is an [`Envelope`] (`schema_version`, `kind`,
//! `billcast_version`, `provenance`, the body's fields, `warnings`, `notes`), and `billcast
//! render` reads one back ([`Envelope::from_json`]) and re-renders it without re-simulating.
//!
//! The body keeps its own field names and order. The forecast body already carried
//! `schema_version`, `kind` and `billcast_version` at its top (version 1, since the first
//! release), so a forecast's JSON is byte-for-byte what it was: its provenance is its own
//! `scenario`, `seed`, `trials` and `mode` fields and is not repeated (nor is the overhead's).

pub mod fit;
pub mod pricing;

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::backtest::Backtest;
use crate::backtest::calibrate::{BillCalibration, ShiftRow, VolumeRow};
use crate::overhead::OverheadReport;
use crate::report::Report;
use crate::report::tokens::TokensReport;
use crate::whatif::compare::Comparison;
use crate::whatif::diff::ReportDiff;
use crate::whatif::sensitivity::Sensitivity;
use crate::whatif::solve::Solution;
use crate::whatif::sweep::Sweep;

pub use fit::FitResult;
pub use pricing::PricingResult;

/// Version of the envelope and of every body: what `schema_version` says. A reader refuses a
/// higher version; results of the kinds that had no `schema_version` before it was added
/// (compare, sweep, solve, sensitivity, diff, tokens) are read as version 1.
pub const SCHEMA_VERSION: u32 = 1;

/// Problems writing or reading a result.
#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    /// The JSON could not be written, or a file is not JSON / not the body its kind says.
    #[error("{0}")]
    Json(String),
    /// A file is JSON but not a billcast result.
    #[error(
        "{path}: not a billcast report or result (no \"kind\" field); expected the JSON a billcast command writes with --format json"
    )]
    NotAResult {
        /// File.
        path: String,
    },
    /// A `kind` this billcast does not know.
    #[error("{path}: unknown result kind \"{kind}\"; this billcast reads {known}")]
    UnknownKind {
        /// File.
        path: String,
        /// The kind found.
        kind: String,
        /// The kinds known, comma-separated.
        known: String,
    },
    /// A newer (or nonsensical) schema version.
    #[error(
        "{path}: {kind} result schema_version {found} is not supported (this billcast reads {SCHEMA_VERSION}); re-run the command with this billcast"
    )]
    Version {
        /// File.
        path: String,
        /// Its kind.
        kind: &'static str,
        /// Version found.
        found: u64,
    },
    /// A kind whose saved JSON is for other programs to read, not for `billcast render`.
    #[error(
        "{path}: a saved {kind} result cannot be re-rendered (its JSON is an export, not a saved model); re-run `billcast {command}` with the --format you need"
    )]
    NotRenderable {
        /// File.
        path: String,
        /// Its kind.
        kind: &'static str,
        /// The command that makes it.
        command: &'static str,
    },
}

/// What a result is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// `billcast forecast` / `report` / `render`.
    Forecast,
    /// `billcast overhead`.
    Overhead,
    /// `billcast compare`.
    Compare,
    /// `billcast sweep`.
    Sweep,
    /// `billcast solve`.
    Solve,
    /// `billcast sensitivity`.
    Sensitivity,
    /// `billcast diff`.
    Diff,
    /// `billcast backtest`.
    Backtest,
    /// `billcast calibrate`: past forecasts against actual bills.
    Calibration,
    /// `billcast backtest --calibrate-shift`: coverage per shift σ on the bundled traces.
    ShiftCalibration,
    /// `billcast fit`: the fit table.
    Fit,
    /// `billcast pricing list|show|cost|check|update`.
    Pricing,
    /// `billcast tokens`.
    Tokens,
}

impl Kind {
    /// Every kind, in the order above.
    pub const ALL: [Kind; 13] = [
        Kind::Forecast,
        Kind::Overhead,
        Kind::Compare,
        Kind::Sweep,
        Kind::Solve,
        Kind::Sensitivity,
        Kind::Diff,
        Kind::Backtest,
        Kind::Calibration,
        Kind::ShiftCalibration,
        Kind::Fit,
        Kind::Pricing,
        Kind::Tokens,
    ];

    /// The `kind` field's value.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Forecast => "forecast",
            Kind::Overhead => "overhead",
            Kind::Compare => "compare",
            Kind::Sweep => "sweep",
            Kind::Solve => "solve",
            Kind::Sensitivity => "sensitivity",
            Kind::Diff => "diff",
            Kind::Backtest => "backtest",
            Kind::Calibration => "calibration",
            Kind::ShiftCalibration => "shift_calibration",
            Kind::Fit => "fit",
            Kind::Pricing => "pricing",
            Kind::Tokens => "tokens",
        }
    }

    /// The kind named `name`.
    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The command that writes it (for messages).
    pub fn command(self) -> &'static str {
        match self {
            Kind::ShiftCalibration => "backtest --calibrate-shift",
            Kind::Calibration => "calibrate",
            Kind::Pricing => "pricing …",
            other => other.name(),
        }
    }
}

/// Where a result came from: the scenario, seed, trials and engine mode, where it has them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// Scenario name.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub scenario: Option<String>,
    /// Seed of every engine run.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub seed: Option<u64>,
    /// Trials per engine run.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trials: Option<u64>,
    /// Engine mode (`exact` or `fast`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mode: Option<String>,
}

/// The typed body of a result. Borrowed when a command renders what it just computed, owned
/// when read back from a file.
#[derive(Debug, Clone)]
pub enum Body<'a> {
    /// A forecast report.
    Forecast(Cow<'a, Report>),
    /// The multi-provider overhead comparison.
    Overhead(Cow<'a, OverheadReport>),
    /// Variants side by side.
    Compare(Cow<'a, Comparison>),
    /// Percentiles against one input.
    Sweep(Cow<'a, Sweep>),
    /// The largest (or smallest) value under budget.
    Solve(Cow<'a, Solution>),
    /// Tornado and Sobol indices.
    Sensitivity(Cow<'a, Sensitivity>),
    /// Two saved forecasts compared.
    Diff(Cow<'a, ReportDiff>),
    /// A backtest on a real log.
    Backtest(Cow<'a, Backtest>),
    /// Past forecasts scored against actual bills.
    Calibration(Cow<'a, BillCalibration>),
    /// The shift calibration on the bundled traces.
    ShiftCalibration(Cow<'a, ShiftCalibration>),
    /// The fit table.
    Fit(Cow<'a, FitResult>),
    /// A price-book view.
    Pricing(Cow<'a, PricingResult>),
    /// Token counts of prompt and tool files.
    Tokens(Cow<'a, TokensReport>),
}

/// `billcast backtest --calibrate-shift`: coverage per prior size/count σ and per volume σ.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShiftCalibration {
    /// One row per size/count σ of the grid.
    pub shift: Vec<ShiftRow>,
    /// One row per volume σ of the grid.
    pub volume: Vec<VolumeRow>,
}

/// One result: the envelope's fields and the typed body.
#[derive(Debug, Clone)]
pub struct Envelope<'a> {
    /// [`SCHEMA_VERSION`] when written by this billcast.
    pub schema_version: u32,
    /// The billcast version that computed the body.
    pub billcast_version: String,
    /// Scenario, seed, trials and mode, where the result has them.
    pub provenance: Option<Provenance>,
    /// Warnings, each with what to do.
    pub warnings: Vec<String>,
    /// Notes that qualify the result (aligned seeds, search steps, caveats).
    pub notes: Vec<String>,
    /// The result itself.
    pub body: Body<'a>,
}

/// Keys the envelope writes itself; a body's own copies of them are dropped when merging.
const ENVELOPE_KEYS: [&str; 6] = [
    "schema_version",
    "kind",
    "billcast_version",
    "provenance",
    "warnings",
    "notes",
];

fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

impl<'a> Envelope<'a> {
    /// Wrap `body`, taking the envelope's fields from it.
    pub fn new(body: Body<'a>) -> Envelope<'a> {
        let p = |scenario: &str, seed: u64, trials: u64, mode: &str| Provenance {
            scenario: Some(scenario.to_string()),
            seed: Some(seed),
            trials: Some(trials),
            mode: Some(mode.to_string()),
        };
        let (billcast_version, provenance, warnings, notes) = match &body {
            Body::Forecast(r) => (
                r.billcast_version.clone(),
                Some(p(&r.scenario.name, r.seed, r.trials, &r.mode)),
                r.warnings.clone(),
                vec![],
            ),
            Body::Overhead(o) => (
                o.billcast_version.clone(),
                Some(p(&o.scenario.name, o.seed, o.trials, &o.engine_mode)),
                o.warnings.clone(),
                vec![],
            ),
            Body::Compare(c) => (
                c.billcast_version.clone(),
                Some(Provenance {
                    scenario: None,
                    ..aligned(&c.alignment)
                }),
                c.variants
                    .iter()
                    .flat_map(|v| v.warnings.iter().map(move |w| format!("{}: {w}", v.label)))
                    .collect(),
                c.alignment.notes.clone(),
            ),
            Body::Sweep(s) => (
                s.billcast_version.clone(),
                Some(Provenance {
                    scenario: Some(s.scenario.clone()),
                    ..aligned(&s.alignment)
                }),
                vec![],
                s.alignment.notes.clone(),
            ),
            Body::Solve(s) => (
                s.billcast_version.clone(),
                Some(Provenance {
                    scenario: Some(s.scenario.clone()),
                    ..aligned(&s.alignment)
                }),
                vec![],
                s.alignment.notes.iter().chain(&s.notes).cloned().collect(),
            ),
            Body::Sensitivity(s) => (
                s.billcast_version.clone(),
                Some(p(&s.scenario, s.seed, s.sobol_trials, &s.mode)),
                vec![],
                s.notes.clone(),
            ),
            Body::Diff(d) => (d.billcast_version.clone(), None, vec![], d.notes.clone()),
            Body::Backtest(_) | Body::Calibration(_) | Body::ShiftCalibration(_) => {
                (version(), None, vec![], vec![])
            }
            Body::Fit(f) => (version(), None, f.warnings.clone(), f.notes.clone()),
            Body::Pricing(p) => (version(), None, p.warnings(), vec![]),
            Body::Tokens(t) => (t.billcast_version.clone(), None, vec![], vec![]),
        };
        Envelope {
            schema_version: SCHEMA_VERSION,
            billcast_version,
            provenance,
            warnings,
            notes,
            body,
        }
    }

    /// The body's kind.
    pub fn kind(&self) -> Kind {
        match &self.body {
            Body::Forecast(_) => Kind::Forecast,
            Body::Overhead(_) => Kind::Overhead,
            Body::Compare(_) => Kind::Compare,
            Body::Sweep(_) => Kind::Sweep,
            Body::Solve(_) => Kind::Solve,
            Body::Sensitivity(_) => Kind::Sensitivity,
            Body::Diff(_) => Kind::Diff,
            Body::Backtest(_) => Kind::Backtest,
            Body::Calibration(_) => Kind::Calibration,
            Body::ShiftCalibration(_) => Kind::ShiftCalibration,
            Body::Fit(_) => Kind::Fit,
            Body::Pricing(_) => Kind::Pricing,
            Body::Tokens(_) => Kind::Tokens,
        }
    }

    fn body_value(&self) -> Result<Value, serde_json::Error> {
        match &self.body {
            Body::Forecast(x) => serde_json::to_value(x.as_ref()),
            Body::Overhead(x) => serde_json::to_value(x.as_ref()),
            Body::Compare(x) => serde_json::to_value(x.as_ref()),
            Body::Sweep(x) => serde_json::to_value(x.as_ref()),
            Body::Solve(x) => serde_json::to_value(x.as_ref()),
            Body::Sensitivity(x) => serde_json::to_value(x.as_ref()),
            Body::Diff(x) => serde_json::to_value(x.as_ref()),
            Body::Backtest(x) => serde_json::to_value(x.as_ref()),
            Body::Calibration(x) => serde_json::to_value(x.as_ref()),
            Body::ShiftCalibration(x) => serde_json::to_value(x.as_ref()),
            Body::Fit(x) => serde_json::to_value(x.as_ref()),
            Body::Pricing(x) => x.to_value(),
            Body::Tokens(x) => serde_json::to_value(x.as_ref()),
        }
    }

    /// The JSON object: `schema_version`, `kind`, `billcast_version`, `provenance` (unless
    /// the body carries its scenario and seed itself: forecast, overhead), the body's fields
    /// in their order, `warnings`, and `notes` when there are any.
    ///
    /// # Errors
    /// [`ResultsError::Json`] when the body does not serialise to a JSON object.
    pub fn to_value(&self) -> Result<Value, ResultsError> {
        let body = self
            .body_value()
            .map_err(|e| ResultsError::Json(e.to_string()))?;
        let Value::Object(fields) = body else {
            return Err(ResultsError::Json(format!(
                "the {} body is not a JSON object",
                self.kind().name()
            )));
        };
        let mut out = Map::new();
        out.insert("schema_version".into(), self.schema_version.into());
        out.insert("kind".into(), self.kind().name().into());
        out.insert(
            "billcast_version".into(),
            self.billcast_version.clone().into(),
        );
        let inline = fields.contains_key("scenario") && fields.contains_key("seed");
        if let Some(p) = self.provenance.as_ref().filter(|_| !inline) {
            out.insert(
                "provenance".into(),
                serde_json::to_value(p).map_err(|e| ResultsError::Json(e.to_string()))?,
            );
        }
        for (k, v) in fields {
            if !ENVELOPE_KEYS.contains(&k.as_str()) {
                out.insert(k, v);
            }
        }
        out.insert("warnings".into(), self.warnings.clone().into());
        if !self.notes.is_empty() {
            out.insert("notes".into(), self.notes.clone().into());
        }
        Ok(Value::Object(out))
    }

    /// Pretty JSON with a final newline (same result ⇒ same bytes).
    ///
    /// # Errors
    /// As [`Envelope::to_value`].
    pub fn to_json(&self) -> Result<String, ResultsError> {
        let mut s = serde_json::to_string_pretty(&self.to_value()?)
            .map_err(|e| ResultsError::Json(e.to_string()))?;
        s.push('\n');
        Ok(s)
    }
}

/// Seed, trials and mode of an aligned what-if run.
fn aligned(a: &crate::whatif::Alignment) -> Provenance {
    Provenance {
        scenario: None,
        seed: Some(a.seed),
        trials: Some(a.trials),
        mode: Some(a.mode.clone()),
    }
}

impl Envelope<'static> {
    /// Read a saved result of any kind, checking its kind and version. `path` names the file
    /// in messages.
    ///
    /// # Errors
    /// [`ResultsError`]: not JSON, not a result, an unknown kind or version, a body that does
    /// not match its kind, or a kind that is written for other programs only.
    pub fn from_json(path: &str, text: &str) -> Result<Envelope<'static>, ResultsError> {
        let v: Value = serde_json::from_str(text)
            .map_err(|e| ResultsError::Json(format!("{path}: not a billcast report: {e}")))?;
        let Some(name) = v.get("kind").and_then(Value::as_str) else {
            return Err(ResultsError::NotAResult { path: path.into() });
        };
        let Some(kind) = Kind::parse(name) else {
            return Err(ResultsError::UnknownKind {
                path: path.into(),
                kind: name.into(),
                known: Kind::ALL.map(Kind::name).join(", "),
            });
        };
        // What-if and token results written before the envelope had no schema_version: version 1.
        let found = match v.get("schema_version") {
            None if matches!(
                kind,
                Kind::Compare
                    | Kind::Sweep
                    | Kind::Solve
                    | Kind::Sensitivity
                    | Kind::Diff
                    | Kind::Tokens
            ) =>
            {
                1
            }
            other => other.and_then(Value::as_u64).unwrap_or(0),
        };
        if found != u64::from(SCHEMA_VERSION) {
            return Err(ResultsError::Version {
                path: path.into(),
                kind: kind.name(),
                found,
            });
        }
        let json = |e: serde_json::Error| ResultsError::Json(format!("{path}: {e}"));
        let body = match kind {
            Kind::Forecast => Body::Forecast(Cow::Owned(
                Report::from_json(path, text).map_err(|e| ResultsError::Json(e.to_string()))?,
            )),
            Kind::Overhead => Body::Overhead(Cow::Owned(
                OverheadReport::from_json(path, text)
                    .map_err(|e| ResultsError::Json(e.to_string()))?,
            )),
            Kind::Compare => Body::Compare(Cow::Owned(serde_json::from_value(v).map_err(json)?)),
            Kind::Sweep => Body::Sweep(Cow::Owned(serde_json::from_value(v).map_err(json)?)),
            Kind::Solve => Body::Solve(Cow::Owned(serde_json::from_value(v).map_err(json)?)),
            Kind::Sensitivity => {
                Body::Sensitivity(Cow::Owned(serde_json::from_value(v).map_err(json)?))
            }
            Kind::Diff => Body::Diff(Cow::Owned(serde_json::from_value(v).map_err(json)?)),
            Kind::Calibration => {
                Body::Calibration(Cow::Owned(serde_json::from_value(v).map_err(json)?))
            }
            Kind::Tokens => Body::Tokens(Cow::Owned(serde_json::from_value(v).map_err(json)?)),
            Kind::Backtest => Body::Backtest(Cow::Owned(serde_json::from_value(v).map_err(json)?)),
            Kind::ShiftCalibration => {
                Body::ShiftCalibration(Cow::Owned(serde_json::from_value(v).map_err(json)?))
            }
            Kind::Fit => Body::Fit(Cow::Owned(serde_json::from_value(v).map_err(json)?)),
            // A price-book view renders from the book itself (a model's entry with its
            // provider's tools, the layer a check or update compared with), which its JSON
            // carries only in part.
            Kind::Pricing => {
                return Err(ResultsError::NotRenderable {
                    path: path.into(),
                    kind: kind.name(),
                    command: kind.command(),
                });
            }
        };
        Ok(Envelope::new(body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_distinct_name_that_parses_back() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.name()), Some(k));
            assert_eq!(
                serde_json::to_value(k).unwrap(),
                Value::String(k.name().into())
            );
        }
        assert_eq!(Kind::parse("forecasts"), None);
    }

    #[test]
    fn unknown_kinds_versions_and_non_results_are_refused_by_name() {
        let e = Envelope::from_json("x.json", "{\"a\": 1}").unwrap_err();
        assert!(matches!(e, ResultsError::NotAResult { .. }), "{e}");
        let e = Envelope::from_json("x.json", "{\"kind\": \"budget\"}").unwrap_err();
        assert!(
            e.to_string().contains("unknown result kind \"budget\""),
            "{e}"
        );
        let e = Envelope::from_json("x.json", "{\"kind\": \"sweep\", \"schema_version\": 2}")
            .unwrap_err();
        assert!(e.to_string().contains("schema_version 2"), "{e}");
        let e = Envelope::from_json("x.json", "{\"kind\": \"pricing\", \"schema_version\": 1}")
            .unwrap_err();
        assert!(matches!(e, ResultsError::NotRenderable { .. }), "{e}");
        assert!(e.to_string().contains("billcast pricing"), "{e}");
    }
}
