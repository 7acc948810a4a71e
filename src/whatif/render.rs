//! The parts of the what-if results' renderings: one [`Grid`] builder per table (the terminal,
//! Markdown and HTML views share it, so all show the same numbers), the sentences, the
//! Markdown bodies and the CSV rows; the exporters (`crate::export`) put them together.

use serde::Serialize;

use super::compare::Comparison;
use super::diff::ReportDiff;
use super::sensitivity::Sensitivity;
use super::solve::{Direction, Solution, Status};
use super::sweep::Sweep;
use super::{Alignment, Delta, Stats};
use crate::report::ReportError;
use crate::report::rows::{stats_header, stats_row};
use crate::table;
use crate::table::Grid;
use crate::units::format_value;
use crate::units::{format_count, format_pct, format_usd, format_usd_delta};

fn csv_of<T: Serialize>(rows: &[T]) -> Result<String, ReportError> {
    crate::table::csv_rows(rows).map_err(|e| ReportError::Csv(e.to_string()))
}

/// `+12.3%`, `-4.0%`, `0.0%`; `-` when undefined.
pub fn format_pct_change(p: Option<f64>) -> String {
    match p {
        Some(0.0) => "0.0%".into(),
        Some(p) if p.is_finite() => format!("{p:+.1}%"),
        _ => "-".into(),
    }
}

/// `+$1,234 (+12.3%)`.
pub fn format_change(usd: f64, pct: Option<f64>) -> String {
    if pct.is_none() && usd == 0.0 {
        return "$0".into();
    }
    format!("{} ({})", format_usd_delta(usd), format_pct_change(pct))
}

/// A probability change in percentage points: `+6.3 pts`.
pub fn format_points(d: f64) -> String {
    if d == 0.0 {
        "0.0 pts".into()
    } else {
        format!("{:+.1} pts", d * 100.0)
    }
}

pub(crate) fn meta(a: &Alignment) -> String {
    format!(
        "{} trials · seed {} · {} mode · the same draws in every run (common random numbers)",
        format_count(a.trials as f64),
        a.seed,
        a.mode
    )
}

// ---------------------------------------------------------------------------------------
// compare

/// Percentiles of every variant with deltas against the first.
pub fn compare_grid(c: &Comparison) -> Grid {
    let budget = c.variants.iter().any(|v| v.budget_usd.is_some());
    let mut header: Vec<String> = ["Variant", "Mean", "Δ mean", "P50", "P95", "Δ P95", "P99"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    if budget {
        header.push("P(> budget)".into());
    }
    let rows = c
        .variants
        .iter()
        .map(|v| {
            let s = &v.summary;
            let (dm, dp) = match &v.delta {
                None => ("baseline".to_string(), "baseline".to_string()),
                Some(d) => (
                    format_change(d.mean, d.mean_pct),
                    format_change(d.p95, d.p95_pct),
                ),
            };
            let mut row = vec![
                v.label.clone(),
                format_usd(s.mean),
                dm,
                format_usd(s.p50),
                format_usd(s.p95),
                dp,
                format_usd(s.p99),
            ];
            if budget {
                let p = s.prob_over_budget.map_or("-".into(), format_pct);
                row.push(match v.delta.and_then(|d| d.prob_over_budget) {
                    Some(d) => format!("{p} ({})", format_points(d)),
                    None => p,
                });
            }
            row
        })
        .collect();
    Grid::labelled(header, rows)
}

/// Mean cost by component, one column per variant (components zero in every variant omitted).
pub fn compare_components_grid(c: &Comparison) -> Grid {
    let mut header = vec!["Component (mean)".to_string()];
    header.extend(c.variants.iter().map(|v| v.label.clone()));
    let names: Vec<&str> = crate::engine::COMPONENTS.to_vec();
    let mut rows = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let vals: Vec<f64> = c
            .variants
            .iter()
            .map(|v| v.summary.components.entries()[i].1)
            .collect();
        if vals.iter().all(|x| *x == 0.0) {
            continue;
        }
        let mut row = vec![name.replace('_', " ")];
        row.extend(vals.iter().map(|x| format_usd(*x)));
        rows.push(row);
    }
    let mut total = vec!["total".to_string()];
    total.extend(
        c.variants
            .iter()
            .map(|v| format_usd(v.summary.components.total())),
    );
    rows.push(total);
    Grid::labelled(header, rows)
}

pub(crate) fn compare_sentence(c: &Comparison) -> String {
    let mut out = String::new();
    if let Some(best) = c.cheapest_p95() {
        out.push_str(&format!(
            "Lowest P95 in {}: {} ({}).",
            c.month,
            best.label,
            format_usd(best.summary.p95)
        ));
    }
    let base = &c.variants[0];
    if let Some(worst) = c
        .variants
        .iter()
        .skip(1)
        .filter_map(|v| v.delta.map(|d| (v, d)))
        .max_by(|a, b| a.1.p95.abs().total_cmp(&b.1.p95.abs()))
    {
        let (v, d) = worst;
        if d.p95 == 0.0 {
            out.push_str(&format!(
                " Every variant has the same P95 as {}.",
                base.label
            ));
        } else {
            out.push_str(&format!(
                " The largest change against {} is {}: P95 {} ({}).",
                base.label,
                v.label,
                format_usd_delta(d.p95),
                format_pct_change(d.p95_pct)
            ));
        }
    }
    out
}

pub(crate) fn notes_block(notes: &[String], bullet: &str) -> String {
    let mut out = String::new();
    for n in notes {
        out.push_str(&format!("{bullet}{n}\n"));
    }
    out
}

/// `notes` and, when runs were shared, what they shared (`reuse`): the notes every format of a
/// what-if shows.
fn notes_with_reuse(notes: &[String], reuse: Option<&String>) -> Vec<String> {
    let mut out = notes.to_vec();
    out.extend(reuse.cloned());
    out
}

/// A comparison's notes in every format: the alignment notes, each variant's warnings (one
/// that every variant shares, e.g. too few trials, said once without a label) and what the
/// variants' runs shared.
pub fn compare_notes(c: &Comparison) -> Vec<String> {
    let mut notes = c.alignment.notes.clone();
    for v in &c.variants {
        for w in &v.warnings {
            let everywhere = c.variants.iter().all(|x| x.warnings.contains(w));
            let w = if everywhere {
                w.clone()
            } else {
                format!("{}: {w}", v.label)
            };
            if !notes.contains(&w) {
                notes.push(w);
            }
        }
    }
    notes.extend(c.reuse.clone());
    notes
}

/// A sweep's notes in every format.
pub fn sweep_notes(s: &Sweep) -> Vec<String> {
    notes_with_reuse(&s.alignment.notes, s.reuse.as_ref())
}

/// A solve's notes in every format.
pub fn solve_notes(s: &Solution) -> Vec<String> {
    notes_with_reuse(&s.notes, s.reuse.as_ref())
}

/// A sensitivity analysis's notes in every format.
pub fn sensitivity_notes(s: &Sensitivity) -> Vec<String> {
    notes_with_reuse(&s.notes, s.reuse.as_ref())
}

/// A comparison's Markdown after its heading and sentence: the tables and notes (the
/// exporter adds the footer; also the body of a design-review pack's section).
pub fn compare_markdown_body(c: &Comparison) -> String {
    let mut out = table::markdown(&compare_grid(c));
    out.push_str(&format!(
        "\n<details><summary>Where the money goes in {}</summary>\n\n",
        c.month
    ));
    out.push_str(&table::markdown(&compare_components_grid(c)));
    out.push_str("\n</details>\n");
    let mut notes: Vec<String> = c.tokenizer_check.iter().map(|t| t.sentence()).collect();
    notes.extend(compare_notes(c));
    if !notes.is_empty() {
        out.push('\n');
        out.push_str(&notes_block(&notes, "- "));
    }
    out
}

#[derive(Serialize)]
struct CompareRow<'a> {
    variant: &'a str,
    month: &'a str,
    mean: f64,
    p50: f64,
    p90: f64,
    p95: f64,
    p99: f64,
    p95_se: f64,
    prob_over_budget: Option<f64>,
    delta_mean: f64,
    delta_mean_pct: Option<f64>,
    delta_p50: f64,
    delta_p95: f64,
    delta_p95_pct: Option<f64>,
    delta_p99: f64,
    delta_prob_over_budget: Option<f64>,
    input: f64,
    cache_read: f64,
    cache_write: f64,
    output: f64,
    reasoning: f64,
    tool_fees: f64,
    retries: f64,
}

/// One CSV row per variant.
pub fn compare_csv(c: &Comparison) -> Result<String, ReportError> {
    let rows: Vec<CompareRow> = c
        .variants
        .iter()
        .map(|v| {
            let s = &v.summary;
            let d = v.delta.unwrap_or_else(|| {
                let st = Stats::from(s);
                Delta::between(&st, &st)
            });
            let k = &s.components;
            CompareRow {
                variant: &v.label,
                month: &c.month,
                mean: s.mean,
                p50: s.p50,
                p90: s.p90,
                p95: s.p95,
                p99: s.p99,
                p95_se: s.p95_se,
                prob_over_budget: s.prob_over_budget,
                delta_mean: d.mean,
                delta_mean_pct: d.mean_pct,
                delta_p50: d.p50,
                delta_p95: d.p95,
                delta_p95_pct: d.p95_pct,
                delta_p99: d.p99,
                delta_prob_over_budget: d.prob_over_budget,
                input: k.input,
                cache_read: k.cache_read,
                cache_write: k.cache_write,
                output: k.output,
                reasoning: k.reasoning,
                tool_fees: k.tool_fees,
                retries: k.retries,
            }
        })
        .collect();
    csv_of(&rows)
}

// ---------------------------------------------------------------------------------------
// sweep

/// The percentiles per swept value.
pub fn sweep_grid(s: &Sweep) -> Grid {
    let budget = s.budget_usd.is_some();
    let header = stats_header(&s.param, budget);
    let rows = s
        .points
        .iter()
        .map(|p| {
            let m = &p.summary;
            // Values as given, unless a long float from --range needs shortening.
            let value = match p.numeric {
                Some(x) if p.value.len() > 10 => format_value(x),
                _ => p.value.clone(),
            };
            stats_row(value, m, budget)
        })
        .collect();
    Grid::labelled(header, rows)
}

pub(crate) fn sweep_sentence(s: &Sweep) -> Option<String> {
    let b = s.budget_usd?;
    let fits: Vec<&str> = s
        .points
        .iter()
        .filter(|p| p.summary.p95 <= b)
        .map(|p| p.value.as_str())
        .collect();
    Some(if fits.is_empty() {
        format!("No value keeps the P95 under the {} budget.", format_usd(b))
    } else {
        format!(
            "P95 within the {} budget at {} = {}.",
            format_usd(b),
            s.param,
            fits.join(", ")
        )
    })
}

#[derive(Serialize)]
struct SweepRow<'a> {
    param: &'a str,
    value: &'a str,
    month: &'a str,
    mean: f64,
    p5: f64,
    p25: f64,
    p50: f64,
    p75: f64,
    p90: f64,
    p95: f64,
    p99: f64,
    p95_se: f64,
    prob_over_budget: Option<f64>,
}

/// One CSV row per swept value.
pub fn sweep_csv(s: &Sweep) -> Result<String, ReportError> {
    let rows: Vec<SweepRow> = s
        .points
        .iter()
        .map(|p| {
            let m = &p.summary;
            SweepRow {
                param: &s.param,
                value: &p.value,
                month: &s.month,
                mean: m.mean,
                p5: m.p5,
                p25: m.p25,
                p50: m.p50,
                p75: m.p75,
                p90: m.p90,
                p95: m.p95,
                p99: m.p99,
                p95_se: m.p95_se,
                prob_over_budget: m.prob_over_budget,
            }
        })
        .collect();
    csv_of(&rows)
}

// ---------------------------------------------------------------------------------------
// solve

/// Decimals that show a solution's bracket: enough to tell its ends apart (`width` = bracket
/// width), and at least three significant digits of `value`; none for whole-number inputs.
fn solve_decimals(s: &Solution) -> usize {
    if s.integer {
        return 0;
    }
    let width = (s.bracket[1] - s.bracket[0]).abs();
    let by_width = if width > 0.0 {
        1 - width.log10().floor() as i32
    } else {
        0
    };
    let by_value = if s.value != 0.0 {
        2 - s.value.abs().log10().floor() as i32
    } else {
        0
    };
    by_width.max(by_value).clamp(0, 6) as usize
}

/// `x` with `decimals` decimals and thousands separators: `12,345.68`.
fn format_fixed(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return "-".into();
    }
    let s = format!("{:.decimals$}", x.abs());
    let (int, frac) = s.split_once('.').map_or((s.as_str(), ""), |(i, f)| (i, f));
    let int = int.parse::<f64>().map_or(int.to_string(), format_count);
    let sign = if x < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    if frac.is_empty() {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    }
}

pub(crate) fn quantile_name(q: f64) -> String {
    format!("P{}", format_value(q * 100.0))
}

/// The answer in one sentence.
pub fn solve_sentence(s: &Solution) -> String {
    let q = quantile_name(s.quantile);
    let which = match s.direction {
        Direction::Max => "largest",
        Direction::Min => "smallest",
    };
    let value = format_fixed(s.value, solve_decimals(s));
    match s.status {
        Status::Found => format!(
            "The {which} {} that keeps the {q} of {} under {} is {value}",
            s.param,
            s.month,
            format_usd(s.budget_usd)
        ),
        Status::WholeRangeFits => format!(
            "Every {} {} {value} keeps the {q} of {} under {} (the search stopped there)",
            s.param,
            if s.direction == Direction::Max {
                "up to"
            } else {
                "down to"
            },
            s.month,
            format_usd(s.budget_usd)
        ),
    }
}

pub(crate) fn solve_details(s: &Solution) -> Vec<(String, String)> {
    let q = quantile_name(s.quantile);
    let d = solve_decimals(s);
    let mut rows = vec![
        (
            "Bracket".to_string(),
            format!(
                "[{}, {}] (the boundary for these draws lies inside)",
                format_fixed(s.bracket[0], d),
                format_fixed(s.bracket[1], d)
            ),
        ),
        (
            format!("{q} at the answer"),
            format_usd(s.quantile_at_value),
        ),
    ];
    match (s.answer_se, s.answer_interval_95, s.slope_usd_per_unit) {
        (Some(se), Some([lo, hi]), Some(slope)) => {
            rows.push((
                "Monte Carlo 95% interval".into(),
                format!(
                    "{} to {} (±{} at 1σ: the {q}'s standard error over a slope of {} per unit)",
                    format_value(lo),
                    format_value(hi),
                    format_value(se),
                    format_usd(slope.abs())
                ),
            ));
        }
        _ => rows.push((
            "Monte Carlo interval".into(),
            "not available (no local slope)".into(),
        )),
    }
    rows
}

/// Every evaluation of the search.
pub fn solve_grid(s: &Solution) -> Grid {
    let q = quantile_name(s.quantile);
    let d = solve_decimals(s);
    let rows = s
        .evaluations
        .iter()
        .enumerate()
        .map(|(i, e)| {
            vec![
                (i + 1).to_string(),
                format_fixed(e.value, d),
                format_usd(e.quantile_usd),
                format_usd(e.quantile_se),
                if e.fits { "yes" } else { "no" }.to_string(),
            ]
        })
        .collect();
    Grid {
        header: vec![
            "#".into(),
            s.param.clone(),
            q,
            "± (1σ)".into(),
            "Under budget".into(),
        ],
        rows,
        right: vec![true, true, true, true, false],
    }
}

/// A solution's Markdown after its heading and sentence: the details and evaluations (the
/// exporter adds the footer; also the body of a design-review pack's section).
pub fn solve_markdown_body(s: &Solution) -> String {
    let mut out = String::new();
    for (k, v) in solve_details(s) {
        out.push_str(&format!("- {k}: {v}\n"));
    }
    out.push_str("\n<details><summary>Evaluations</summary>\n\n");
    out.push_str(&table::markdown(&solve_grid(s)));
    out.push_str("\n</details>\n");
    let notes = solve_notes(s);
    if !notes.is_empty() {
        out.push('\n');
        out.push_str(&notes_block(&notes, "- "));
    }
    out
}

/// A sweep's Markdown after its heading and sentence: the table and notes.
pub fn sweep_markdown_body(s: &Sweep) -> String {
    let mut out = table::markdown(&sweep_grid(s));
    let notes = sweep_notes(s);
    if !notes.is_empty() {
        out.push('\n');
        out.push_str(&notes_block(&notes, "- "));
    }
    out
}

#[derive(Serialize)]
struct SolveRow<'a> {
    param: &'a str,
    value: f64,
    quantile: f64,
    quantile_usd: f64,
    quantile_se: f64,
    fits: bool,
}

/// One CSV row per evaluation.
pub fn solve_csv(s: &Solution) -> Result<String, ReportError> {
    let rows: Vec<SolveRow> = s
        .evaluations
        .iter()
        .map(|e| SolveRow {
            param: &s.param,
            value: e.value,
            quantile: s.quantile,
            quantile_usd: e.quantile_usd,
            quantile_se: e.quantile_se,
            fits: e.fits,
        })
        .collect();
    csv_of(&rows)
}

// ---------------------------------------------------------------------------------------
// sensitivity

/// Tornado bars, largest P95 swing first.
pub fn tornado_grid(s: &Sensitivity) -> Grid {
    let rows = s
        .tornado
        .iter()
        .map(|t| {
            vec![
                t.label.clone(),
                t.value_p10.map_or("-".into(), format_value),
                t.value_p90.map_or("-".into(), format_value),
                format_usd(t.p95_at_p10),
                format_usd(t.p95_at_p90),
                format_usd(t.swing_p95),
                format_usd(t.swing_mean),
            ]
        })
        .collect();
    Grid::labelled(
        [
            "Input",
            "At P10",
            "At P90",
            "P95 (input at P10)",
            "P95 (input at P90)",
            "Swing P95",
            "Swing mean",
        ]
        .iter()
        .map(|x| x.to_string())
        .collect(),
        rows,
    )
}

fn index(x: f64, ci: [f64; 2]) -> String {
    format!("{x:.2} [{:.2}, {:.2}]", ci[0], ci[1])
}

/// Sobol indices, largest first-order index first.
pub fn sobol_grid(s: &Sensitivity) -> Grid {
    let mut rows: Vec<Vec<String>> = s
        .sobol
        .iter()
        .enumerate()
        .map(|(i, r)| {
            vec![
                (i + 1).to_string(),
                r.label.clone(),
                index(r.first_order, r.first_order_ci),
                index(r.total, r.total_ci),
            ]
        })
        .collect();
    rows.push(vec![
        String::new(),
        "interactions + per-session noise (1 − Σ S_i)".into(),
        format!("{:.2}", s.unexplained),
        String::new(),
    ]);
    Grid {
        header: vec![
            "Rank".into(),
            "Input".into(),
            "First order S_i [95%]".into(),
            "Total S_Ti [95%]".into(),
        ],
        rows,
        right: vec![true, false, true, true],
    }
}

pub(crate) fn sensitivity_sentence(s: &Sensitivity) -> String {
    // A share of variance lies in [0, 1]; the Monte Carlo estimate can land outside it (the
    // table keeps the raw estimate and its interval), the sentence says what it can mean.
    let share = |x: f64| format!("{:.0}%", x.clamp(0.0, 1.0) * 100.0);
    let explains = |x: f64, ci: [f64; 2]| {
        format!(
            "{} (95% interval {}–{})",
            share(x),
            share(ci[0]),
            share(ci[1])
        )
    };
    match (s.sobol.first(), s.tornado.first()) {
        (Some(a), Some(t)) if a.key == t.key => format!(
            "{} drives the bill of {} most: it explains {} of its variance on its own and moves the P95 by {} between its P10 and P90",
            a.label,
            s.month,
            explains(a.first_order, a.first_order_ci),
            format_usd(t.swing_p95)
        ),
        (Some(a), Some(t)) => format!(
            "{} explains the largest share of the variance of the bill of {} ({}); {} has the widest P10–P90 swing of the P95 ({})",
            a.label,
            s.month,
            explains(a.first_order, a.first_order_ci),
            t.label,
            format_usd(t.swing_p95)
        ),
        _ => "no uncertain inputs".into(),
    }
}

pub(crate) fn sensitivity_meta(s: &Sensitivity) -> String {
    format!(
        "{} · {} engine runs ({} tornado runs × {} trials + {} Sobol runs × {} trials = {} trials) · seed {} · {} mode",
        crate::units::counted(s.plan.inputs, "input"),
        s.plan.engine_runs,
        2 * s.plan.inputs + 1,
        format_count(s.tornado_trials as f64),
        s.plan.inputs + 2,
        format_count(s.sobol_trials as f64),
        format_count(s.plan.trials as f64),
        s.seed,
        s.mode
    )
}

/// A sensitivity analysis's Markdown after its heading and sentence: the Sobol and tornado
/// tables and notes (the exporter adds the footer; also the body of a pack's section).
pub fn sensitivity_markdown_body(s: &Sensitivity) -> String {
    let mut out = String::from("#### Sobol indices of the monthly bill\n\n");
    out.push_str(&table::markdown(&sobol_grid(s)));
    out.push_str("\n#### Tornado (each input at P10 / P90, others at their median)\n\n");
    out.push_str(&table::markdown(&tornado_grid(s)));
    let notes = sensitivity_notes(s);
    if !notes.is_empty() {
        out.push('\n');
        out.push_str(&notes_block(&notes, "- "));
    }
    out
}

#[derive(Serialize)]
struct SensitivityRow<'a> {
    key: &'a str,
    label: &'a str,
    first_order: f64,
    first_order_lo: f64,
    first_order_hi: f64,
    total: f64,
    total_lo: f64,
    total_hi: f64,
    value_p10: Option<f64>,
    value_p90: Option<f64>,
    mean_at_p10: Option<f64>,
    mean_at_p90: Option<f64>,
    p95_at_p10: Option<f64>,
    p95_at_p90: Option<f64>,
    swing_p95: Option<f64>,
}

/// One CSV row per input (Sobol order), with its tornado bar.
pub fn sensitivity_csv(s: &Sensitivity) -> Result<String, ReportError> {
    let rows: Vec<SensitivityRow> = s
        .sobol
        .iter()
        .map(|r| {
            let t = s.tornado.iter().find(|t| t.key == r.key);
            SensitivityRow {
                key: &r.key,
                label: &r.label,
                first_order: r.first_order,
                first_order_lo: r.first_order_ci[0],
                first_order_hi: r.first_order_ci[1],
                total: r.total,
                total_lo: r.total_ci[0],
                total_hi: r.total_ci[1],
                value_p10: t.and_then(|t| t.value_p10),
                value_p90: t.and_then(|t| t.value_p90),
                mean_at_p10: t.map(|t| t.mean_at_p10),
                mean_at_p90: t.map(|t| t.mean_at_p90),
                p95_at_p10: t.map(|t| t.p95_at_p10),
                p95_at_p90: t.map(|t| t.p95_at_p90),
                swing_p95: t.map(|t| t.swing_p95),
            }
        })
        .collect();
    csv_of(&rows)
}

// ---------------------------------------------------------------------------------------
// diff

/// Base, head and change of each statistic in the diffed month.
pub fn diff_grid(d: &ReportDiff) -> Grid {
    let (b, h, x) = (&d.base_stats, &d.head_stats, &d.delta);
    let stats = [
        ("Mean", b.mean, h.mean, x.mean, x.mean_pct),
        ("P50", b.p50, h.p50, x.p50, x.p50_pct),
        ("P90", b.p90, h.p90, x.p90, x.p90_pct),
        ("P95", b.p95, h.p95, x.p95, x.p95_pct),
        ("P99", b.p99, h.p99, x.p99, x.p99_pct),
    ];
    let mut rows: Vec<Vec<String>> = stats
        .into_iter()
        .map(|(name, base, head, change, pct)| {
            vec![
                name.into(),
                format_usd(base),
                format_usd(head),
                format_change(change, pct),
            ]
        })
        .collect();
    if b.prob_over_budget.is_some() || h.prob_over_budget.is_some() {
        rows.push(vec![
            "P(> budget)".into(),
            b.prob_over_budget.map_or("-".into(), format_pct),
            h.prob_over_budget.map_or("-".into(), format_pct),
            x.prob_over_budget.map_or("-".into(), format_points),
        ]);
    }
    Grid::labelled(
        vec![
            d.month.clone(),
            "Base".into(),
            "Head".into(),
            "Change".into(),
        ],
        rows,
    )
}

/// Changes per month.
pub fn diff_months_grid(d: &ReportDiff) -> Grid {
    let budget = d.base.budget_usd.is_some() || d.head.budget_usd.is_some();
    let mut header: Vec<String> = ["Month", "Δ mean", "Δ P50", "P95 head", "Δ P95"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    if budget {
        header.push("Δ P(> budget)".into());
    }
    let rows = d
        .months
        .iter()
        .map(|m| {
            let mut row = vec![m.month.clone()];
            match (&m.delta, &m.head) {
                (Some(x), Some(h)) => {
                    row.push(format_change(x.mean, x.mean_pct));
                    row.push(format_change(x.p50, x.p50_pct));
                    row.push(format_usd(h.p95));
                    row.push(format_change(x.p95, x.p95_pct));
                    if budget {
                        row.push(x.prob_over_budget.map_or("-".into(), format_points));
                    }
                }
                _ => {
                    let which = if m.head.is_none() {
                        "only in base"
                    } else {
                        "only in head"
                    };
                    row.push(which.into());
                    row.extend(std::iter::repeat_n(String::new(), header.len() - 2));
                }
            }
            row
        })
        .collect();
    Grid::labelled(header, rows)
}

pub(crate) fn gate_lines(d: &ReportDiff) -> Vec<String> {
    d.gate
        .iter()
        .map(|g| format!("{} {}", if g.holds { "FAIL" } else { "pass" }, g.explain()))
        .collect()
}

/// The PR comment's heading: the scenario, the direction and the change of the P95.
pub(crate) fn diff_title(d: &ReportDiff) -> String {
    let arrow = match d.direction.as_str() {
        "up" => "↑",
        "down" => "↓",
        _ => "→",
    };
    format!(
        "billcast: {} monthly bill {arrow} {}",
        d.head.scenario,
        d.delta.p95_pct.map_or("at P95".to_string(), |p| format!(
            "{} at P95",
            format_pct_change(Some(p))
        ))
    )
}

/// The PR comment after its heading and headline: the table, the gate, then per-month changes
/// and the assumption diff folded in `<details>`, and the notes.
pub(crate) fn diff_markdown_body(d: &ReportDiff) -> String {
    let mut out = table::markdown(&diff_grid(d));
    if !d.gate.is_empty() {
        out.push('\n');
        if d.gate_failed() {
            out.push_str("**Cost gate failed:**\n\n");
        } else {
            out.push_str("Cost gate passed:\n\n");
        }
        for g in &d.gate {
            out.push_str(&format!(
                "- {} `{}`{}\n",
                if g.holds { "❌" } else { "✅" },
                g.condition,
                if g.values.is_empty() {
                    String::new()
                } else {
                    format!(
                        " ({})",
                        g.values
                            .iter()
                            .map(|(k, v)| format!("{k} = {}", format_value(*v)))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            ));
        }
    }
    if d.months.len() > 1 {
        out.push_str("\n<details><summary>By month</summary>\n\n");
        out.push_str(&table::markdown(&diff_months_grid(d)));
        out.push_str("\n</details>\n");
    }
    out.push_str(&format!(
        "\n<details><summary>Inputs changed ({})</summary>\n\n",
        d.assumptions.len()
    ));
    if d.assumptions.is_empty() {
        out.push_str("No input changed.\n");
    } else {
        out.push_str("Key: `+` added, `-` removed, `~` changed\n\n```diff\n");
        for a in &d.assumptions {
            out.push_str(&a.line());
            out.push('\n');
        }
        out.push_str("```\n");
    }
    out.push_str("</details>\n");
    if !d.notes.is_empty() {
        out.push('\n');
        out.push_str(&notes_block(&d.notes, "- ⚠️ "));
    }
    out
}

/// The PR comment's footer: both forecasts' provenance.
pub(crate) fn diff_footer(d: &ReportDiff) -> String {
    format!(
        "base: {} (seed {}, {} trials, {} mode) · head: {} (seed {}, {} trials, {} mode) · billcast {}",
        d.base.label,
        d.base.seed,
        format_count(d.base.trials as f64),
        d.base.mode,
        d.head.label,
        d.head.seed,
        format_count(d.head.trials as f64),
        d.head.mode,
        d.billcast_version
    )
}

#[derive(Serialize)]
struct DiffRow<'a> {
    month: &'a str,
    base_mean: Option<f64>,
    head_mean: Option<f64>,
    delta_mean: Option<f64>,
    delta_mean_pct: Option<f64>,
    base_p50: Option<f64>,
    head_p50: Option<f64>,
    delta_p50: Option<f64>,
    base_p95: Option<f64>,
    head_p95: Option<f64>,
    delta_p95: Option<f64>,
    delta_p95_pct: Option<f64>,
    base_p99: Option<f64>,
    head_p99: Option<f64>,
    delta_p99: Option<f64>,
    base_prob_over_budget: Option<f64>,
    head_prob_over_budget: Option<f64>,
    delta_prob_over_budget: Option<f64>,
}

/// One CSV row per month.
pub fn diff_csv(d: &ReportDiff) -> Result<String, ReportError> {
    let rows: Vec<DiffRow> = d
        .months
        .iter()
        .map(|m| {
            let (b, h, x) = (m.base.as_ref(), m.head.as_ref(), m.delta.as_ref());
            DiffRow {
                month: &m.month,
                base_mean: b.map(|s| s.mean),
                head_mean: h.map(|s| s.mean),
                delta_mean: x.map(|s| s.mean),
                delta_mean_pct: x.and_then(|s| s.mean_pct),
                base_p50: b.map(|s| s.p50),
                head_p50: h.map(|s| s.p50),
                delta_p50: x.map(|s| s.p50),
                base_p95: b.map(|s| s.p95),
                head_p95: h.map(|s| s.p95),
                delta_p95: x.map(|s| s.p95),
                delta_p95_pct: x.and_then(|s| s.p95_pct),
                base_p99: b.map(|s| s.p99),
                head_p99: h.map(|s| s.p99),
                delta_p99: x.map(|s| s.p99),
                base_prob_over_budget: b.and_then(|s| s.prob_over_budget),
                head_prob_over_budget: h.and_then(|s| s.prob_over_budget),
                delta_prob_over_budget: x.and_then(|s| s.prob_over_budget),
            }
        })
        .collect();
    csv_of(&rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_format_with_sign_and_percent() {
        assert_eq!(format_change(1234.0, Some(12.34)), "+$1,234 (+12.3%)");
        assert_eq!(format_change(-56.0, Some(-4.0)), "-$56 (-4.0%)");
        assert_eq!(format_change(0.0, Some(0.0)), "$0 (0.0%)");
        assert_eq!(format_change(0.0, None), "$0");
        assert_eq!(format_change(10.0, None), "+$10 (-)");
        assert_eq!(format_points(0.063), "+6.3 pts");
        assert_eq!(format_pct_change(None), "-");
        assert_eq!(format_fixed(12345.678, 2), "12,345.68");
        assert_eq!(format_fixed(-0.4, 0), "0");
        assert_eq!(format_fixed(-1.26, 1), "-1.3");
        assert_eq!(format_fixed(205.0, 0), "205");
    }
}
