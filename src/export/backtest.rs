//! A backtest ([`Backtest`]) and the shift calibration ([`ShiftCalibration`]) as text (a
//! terminal table or Markdown: the same grids) and CSV.

use crate::backtest::calibrate::{DEFAULT_SHIFT, ShiftRow, VolumeRow, chosen_sigma};
use crate::backtest::{Backtest, ShiftSigma, VolumeRule};
use crate::results::ShiftCalibration;
use crate::table::{Grid, csv_finish, csv_number, csv_writer};
use crate::units::{format_count, format_pct};

/// A grid as a terminal table or Markdown.
pub(crate) fn grid_text(g: &Grid, markdown: bool) -> String {
    if markdown {
        crate::table::markdown(g)
    } else {
        crate::table::text(g)
    }
}

/// Two decimals below 100, a count above.
fn sig(x: f64) -> String {
    if x.abs() >= 100.0 {
        format_count(x)
    } else {
        format!("{x:.2}")
    }
}

/// `+12.3%`; `-` when not finite.
fn signed_pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:+.1}%", x * 100.0)
    } else {
        "-".into()
    }
}

fn header(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|s| s.to_string()).collect()
}

/// The backtest: one split's scores (or the rolling splits' summary) and the shift carried.
pub fn text(bt: &Backtest, markdown: bool) -> String {
    let mut out = String::new();
    if bt.splits.len() == 1 {
        let s = &bt.splits[0];
        out.push_str(&format!(
            "Fitted {} sessions ({} calls); forecast the next {} sessions{}.\n",
            format_count(s.fit_sessions as f64),
            format_count(s.fit_calls as f64),
            format_count(s.test_sessions as f64),
            if (s.forecast_sessions - s.test_sessions as f64).abs() > 0.5 {
                format!(
                    " (volume forecast from the arrival rate: {})",
                    format_count(s.forecast_sessions)
                )
            } else {
                String::new()
            }
        ));
        let g = Grid {
            header: header(&[
                "Quantity",
                "Actual",
                "P5",
                "P50",
                "P95",
                "Covered",
                "Median error",
                "Naive error",
            ]),
            rows: s
                .quantities
                .iter()
                .map(|q| {
                    vec![
                        q.quantity.replace('_', " "),
                        sig(q.actual),
                        sig(q.p5),
                        sig(q.p50),
                        sig(q.p95),
                        if q.covered { "yes".into() } else { "no".into() },
                        signed_pct(q.median_error),
                        signed_pct(q.naive_error),
                    ]
                })
                .collect(),
            right: vec![false, true, true, true, true, false, true, true],
        };
        out.push_str(&grid_text(&g, markdown));
    } else {
        out.push_str(&format!(
            "{} rolling splits; P5–P95 bands (nominal 90%) covered {} of {} outcomes: {}.\n",
            bt.splits.len(),
            (bt.coverage * bt.scored as f64).round(),
            bt.scored,
            format_pct(bt.coverage)
        ));
        let g = Grid {
            header: header(&[
                "Quantity",
                "Splits",
                "Coverage",
                "|Median error|",
                "|Naive error|",
                "CRPS / actual",
            ]),
            rows: bt
                .summary
                .iter()
                .map(|q| {
                    vec![
                        q.quantity.replace('_', " "),
                        q.n.to_string(),
                        format_pct(q.coverage),
                        format_pct(q.median_abs_error),
                        format_pct(q.naive_abs_error),
                        format!("{:.3}", q.crps_rel),
                    ]
                })
                .collect(),
            right: vec![false, true, true, true, true, true],
        };
        out.push_str(&grid_text(&g, markdown));
    }
    // Each split's shift: the prior combined with its fit window's drift.
    let range = |f: &dyn Fn(&ShiftSigma) -> f64| {
        let v: Vec<f64> = bt.splits.iter().map(|s| f(&s.shift)).collect();
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if v.is_empty() || (hi - lo).abs() < 5e-4 {
            format!("{:.3}", if v.is_empty() { 0.0 } else { lo })
        } else {
            format!("{lo:.3}–{hi:.3}")
        }
    };
    out.push_str(&format!(
        "\nShift carried by the forecasts: size and count multipliers lognormal(median 1), the prior σ {}{}: size σ {}, count σ {}{}; the naive estimate is the fit window's mean per session (per request for call logs) × the same volume.\n",
        bt.shift.size,
        if bt.data_drift { " combined with each fit window's own drift" } else { " alone (--no-data-drift)" },
        range(&|s| s.size),
        range(&|s| s.count),
        if bt.volume == VolumeRule::ArrivalRate { format!(", volume σ {}", bt.shift.volume) } else { String::new() }
    ));
    out
}

/// One CSV row per split and scored quantity.
pub fn csv(bt: &Backtest) -> Result<String, ::csv::Error> {
    let mut w = csv_writer();
    w.write_record([
        "split",
        "quantity",
        "actual",
        "p5",
        "p50",
        "p95",
        "covered",
        "median_error",
        "naive",
        "naive_error",
        "crps_rel",
    ])?;
    for s in &bt.splits {
        for q in &s.quantities {
            w.write_record([
                s.index.to_string(),
                q.quantity.to_string(),
                csv_number(q.actual),
                csv_number(q.p5),
                csv_number(q.p50),
                csv_number(q.p95),
                q.covered.to_string(),
                csv_number(q.median_error),
                csv_number(q.naive),
                csv_number(q.naive_error),
                csv_number(q.crps_rel),
            ])?;
        }
    }
    csv_finish(w)
}

/// A table of coverage per σ: the σ, each trace's coverage (header: name and scored outcomes),
/// then `extra` columns.
fn coverage_grid<'a>(
    first: &str,
    extra: &[&str],
    rows: impl Iterator<Item = (f64, &'a [(String, f64, usize)], Vec<String>)>,
    markdown: bool,
) -> String {
    let mut header = vec![first.to_string()];
    let mut body = Vec::new();
    for (sigma, traces, more) in rows {
        if body.is_empty() {
            header.extend(traces.iter().map(|(n, _, k)| format!("{n} ({k})")));
            header.extend(extra.iter().map(|e| e.to_string()));
        }
        let mut row = vec![format!("{sigma}")];
        row.extend(traces.iter().map(|(_, c, _)| format_pct(*c)));
        row.extend(more);
        body.push(row);
    }
    grid_text(&Grid::labelled(header, body), markdown)
}

/// The shift calibration: coverage per size/count σ, per trace at the default σ, and
/// coverage per volume σ, each with the σ chosen.
pub fn shift_text(c: &ShiftCalibration, markdown: bool) -> String {
    let (rows, vrows) = (&c.shift, &c.volume);
    let body = coverage_grid(
        "Shift σ",
        &[
            "Pooled",
            "Tokens & counts",
            "CRPS / actual",
            "Naive band CRPS",
            "|Median error|",
            "|Naive error|",
        ],
        rows.iter().map(|r| {
            (
                r.sigma,
                r.traces.as_slice(),
                vec![
                    format_pct(r.pooled),
                    format_pct(r.shifted),
                    format!("{:.3}", r.crps_rel),
                    format!("{:.3}", r.naive_crps_rel),
                    format_pct(r.median_abs_error),
                    format_pct(r.naive_abs_error),
                ],
            )
        }),
        markdown,
    );
    let chosen = chosen_sigma(rows);
    // Per trace at the default σ (or the grid's closest to it).
    let at_default = rows.iter().min_by(|a, b| {
        (a.sigma - DEFAULT_SHIFT.size)
            .abs()
            .total_cmp(&(b.sigma - DEFAULT_SHIFT.size).abs())
    });
    let per_trace = at_default.map_or(String::new(), |r| {
        let g = Grid {
            header: header(&[
                "Trace",
                "Scored",
                "Coverage",
                "Tokens & counts",
                "CRPS / actual",
                "Naive band CRPS",
                "|Median error|",
                "|Naive error|",
            ]),
            rows: r
                .scores
                .iter()
                .map(|t| {
                    vec![
                        t.trace.to_string(),
                        t.scored.to_string(),
                        format_pct(t.coverage),
                        format_pct(t.shifted),
                        format!("{:.3}", t.crps_rel),
                        format!("{:.3}", t.naive_crps_rel),
                        format_pct(t.median_abs_error),
                        format_pct(t.naive_abs_error),
                    ]
                })
                .collect(),
            right: (0..8).map(|i| i > 0).collect(),
        };
        format!(
            "\nPer trace at shift σ {} (naive band: lognormal around the naive estimate, σ {:.3}, the smallest covering 90% of all scored outcomes):\n{}{}",
            r.sigma,
            r.naive_sigma,
            if markdown { "\n" } else { "" },
            grid_text(&g, markdown)
        )
    });
    let vbody = coverage_grid(
        "Volume σ",
        &["Pooled"],
        vrows
            .iter()
            .map(|r| (r.sigma, r.traces.as_slice(), vec![format_pct(r.pooled)])),
        markdown,
    );
    let vchosen = vrows.iter().find(|r| r.pooled >= 0.9).map(|r| r.sigma);
    // Markdown renderers need a blank line between a caption and the table under it.
    let gap = if markdown { "\n" } else { "" };
    format!(
        "Coverage of nominal 90% bands over rolling splits, volume known (scored outcomes per trace in brackets); each fit's own between-window drift is added to the prior σ:\n{gap}{body}\nSmallest prior size/count σ whose tokens-and-counts coverage reaches 90%: {}; the default is {}.\n{per_trace}\nCoverage of the call volume forecast from the fit window's arrival rate (size/count σ {}):\n{gap}{vbody}\nSmallest volume σ reaching 90%: {}; the default is {}.\n",
        chosen.map_or("none in the grid".to_string(), |s| s.to_string()),
        DEFAULT_SHIFT.size,
        DEFAULT_SHIFT.size,
        vchosen.map_or("none in the grid".to_string(), |s| s.to_string()),
        DEFAULT_SHIFT.volume
    )
}

/// One CSV row per calibration (`size_count` or `volume`), σ and trace, then a `pooled` row
/// per σ carrying the scores.
pub fn shift_csv(c: &ShiftCalibration) -> Result<String, ::csv::Error> {
    let mut w = csv_writer();
    w.write_record([
        "calibration",
        "sigma",
        "trace",
        "coverage",
        "scored",
        "crps_rel",
        "median_abs_error",
        "naive_abs_error",
    ])?;
    let mut emit = |kind: &str,
                    sigma: f64,
                    traces: &[(String, f64, usize)],
                    pooled: f64,
                    scores: Option<[f64; 3]>|
     -> Result<(), ::csv::Error> {
        for (name, coverage, scored) in traces {
            w.write_record([
                kind,
                &csv_number(sigma),
                name,
                &csv_number(*coverage),
                &scored.to_string(),
                "",
                "",
                "",
            ])?;
        }
        let total: usize = traces.iter().map(|t| t.2).sum();
        let [c, m, n] = scores.map_or([String::new(), String::new(), String::new()], |s| {
            s.map(csv_number)
        });
        w.write_record([
            kind,
            &csv_number(sigma),
            "pooled",
            &csv_number(pooled),
            &total.to_string(),
            &c,
            &m,
            &n,
        ])
    };
    for r in &c.shift {
        let ShiftRow {
            sigma,
            traces,
            pooled,
            ..
        } = r;
        emit(
            "size_count",
            *sigma,
            traces,
            *pooled,
            Some([r.crps_rel, r.median_abs_error, r.naive_abs_error]),
        )?;
    }
    for VolumeRow {
        sigma,
        traces,
        pooled,
    } in &c.volume
    {
        emit("volume", *sigma, traces, *pooled, None)?;
    }
    csv_finish(w)
}
