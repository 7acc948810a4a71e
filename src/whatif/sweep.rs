//! `sweep`: the bill's percentiles as a function of one input, e.g. users from 5,000 to
//! 50,000 or the output-length median from 100 to 400 tokens. Each value is one variant of
//! the scenario (`--set KEY=value`); all values share their draws (common random numbers), so
//! the curve is smooth in the input rather than jagged with Monte Carlo noise.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{
    Alignment, RunOptions, Vary, WhatifError, align, load_grid, parse_number, pick_month,
    run_variants,
};
use crate::pricing::PriceBook;
use crate::report::MonthSummary;
use crate::units::Month;

/// One value of the swept input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepPoint {
    /// The value as set (TOML text).
    pub value: String,
    /// The value as a number, when it is one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub numeric: Option<f64>,
    /// The bill in the swept month (101 quantiles included, for the line chart with bands).
    pub summary: MonthSummary,
}

/// The result of `billcast sweep`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sweep {
    /// `sweep`.
    pub kind: String,
    /// billcast version.
    pub billcast_version: String,
    /// Scenario name.
    pub scenario: String,
    /// The swept key.
    pub param: String,
    /// Month reported.
    pub month: String,
    /// Monthly budget, USD.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub budget_usd: Option<f64>,
    /// Seed, trials and mode shared by all points.
    pub alignment: Alignment,
    /// Engine runs (one per value).
    pub engine_runs: usize,
    /// What the values' runs shared (absent when each simulated on its own).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reuse: Option<String>,
    /// One point per value, in the order given.
    pub points: Vec<SweepPoint>,
}

/// Sweep `param` over `values` (TOML text each) for the scenario at `path`. Cost: one engine
/// run per value.
///
/// # Errors
/// [`WhatifError::Flag`] for an empty value list or a bad `--month`; the scenario error of a
/// value that makes the scenario invalid, naming the value.
pub fn sweep(
    path: &Path,
    overrides: &[String],
    param: &str,
    values: Vec<String>,
    book: &PriceBook,
    month: Option<Month>,
    opts: &RunOptions<'_>,
) -> Result<Sweep, WhatifError> {
    if values.is_empty() {
        return Err(WhatifError::flag(
            "--values",
            "give at least one value (--values 1000,2000,4000 or --range 1000:4000:4)",
        ));
    }
    let vary = Vary {
        key: param.to_string(),
        values: values.clone(),
    };
    let mut variants = load_grid(path, overrides, std::slice::from_ref(&vary), "--values")?;
    let alignment = align(&mut variants, opts.mode);
    let months = variants[0].scenario.months();
    let mi = pick_month(&months, month)?;
    let scenario = variants[0].scenario.name.clone();
    let budget_usd = variants[0].scenario.budget_usd;
    let runs = run_variants(variants, book, opts)?;
    let key = months[mi].to_string();
    let points = runs
        .iter()
        .zip(values)
        .map(|(run, value)| {
            let report = run.report(book);
            // A swept key may move the horizon; the month must still be forecast.
            let summary = report
                .months
                .iter()
                .find(|m| m.month == key)
                .cloned()
                .ok_or_else(|| {
                    WhatifError::flag(
                        "--values",
                        format!("with {param}={value} the scenario does not forecast {key}"),
                    )
                })?;
            Ok(SweepPoint {
                numeric: parse_number(&value),
                value,
                summary,
            })
        })
        .collect::<Result<Vec<_>, WhatifError>>()?;
    Ok(Sweep {
        kind: "sweep".into(),
        billcast_version: env!("CARGO_PKG_VERSION").into(),
        scenario,
        param: param.to_string(),
        month: key,
        budget_usd,
        alignment,
        engine_runs: runs.len(),
        reuse: super::reuse_note(&runs.iter().map(|r| r.source).collect::<Vec<_>>()),
        points,
    })
}

/// Numbers as `--set` values for `param`: whole numbers when the scenario writes the key as
/// an integer (such keys reject `1500.0`), else as given.
pub fn number_values(text: &str, overrides: &[String], param: &str, nums: &[f64]) -> Vec<String> {
    let integer = super::solve::current_value(text, overrides, param).is_some_and(|(_, int)| int);
    nums.iter()
        .map(|x| {
            if integer {
                format!("{}", x.round() as i64)
            } else if x.fract() == 0.0 && x.abs() < 1e15 {
                // Integral values print without a fraction so labels read "20000", not
                // "20000.0"; uncertain-number keys accept integers.
                format!("{}", *x as i64)
            } else {
                format!("{x}")
            }
        })
        .collect()
}
