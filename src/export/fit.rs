//! The fit table of `billcast fit` ([`FitResult`]) as text: a terminal table or Markdown (the
//! same grid), then what the log showed besides the fitted laws.

use super::backtest::grid_text;
use crate::results::FitResult;
use crate::table::Grid;
use crate::units::format_count;

/// Four significant figures without trailing zeros.
fn sig(x: f64) -> String {
    if !x.is_finite() {
        return "-".into();
    }
    if x.abs() >= 1000.0 {
        return format_count(x);
    }
    let digits = if x.abs() >= 100.0 {
        1
    } else if x.abs() >= 10.0 {
        2
    } else {
        3
    };
    let s = format!("{:.*}", digits, x);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The fit table with the system prompt, output cap, cache, failures, notes and warnings.
pub fn text(f: &FitResult, markdown: bool) -> String {
    let grid = Grid {
        header: [
            "Quantity",
            "n",
            "Family",
            "Parameters",
            "Mean (data)",
            "P50",
            "P95",
            "P99",
            "GOF",
            "Runner-up ΔAIC",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows: f
            .quantities
            .iter()
            .map(|r| {
                let params = r
                    .params
                    .iter()
                    .map(|(k, v)| format!("{k}={}", sig(*v)))
                    .collect::<Vec<_>>()
                    .join(" ");
                let gof = match (r.ks, r.chi2_p) {
                    (Some(ks), _) => format!("KS {ks:.3}"),
                    (None, Some(p)) => format!("χ² p {p:.2}"),
                    _ => "-".into(),
                };
                let runner = r
                    .runners_up
                    .first()
                    .map_or("-".into(), |(n, d)| format!("{n} +{d:.1}"));
                vec![
                    r.quantity.clone(),
                    if r.censored > 0 {
                        format!("{} ({} capped)", format_count(r.n as f64), r.censored)
                    } else {
                        format_count(r.n as f64)
                    },
                    if r.offset != 0.0 {
                        format!("{} + {}", r.family, r.offset)
                    } else {
                        r.family.clone()
                    },
                    params,
                    format!("{} ({})", sig(r.mean), sig(r.data_mean)),
                    sig(r.p50),
                    sig(r.p95),
                    sig(r.p99),
                    gof,
                    runner,
                ]
            })
            .collect(),
        right: vec![
            false, true, false, false, true, true, true, true, true, false,
        ],
    };
    let mut s = format!(
        "Fitted {} calls in {} sessions{}\n",
        format_count(f.calls as f64),
        format_count(f.sessions as f64),
        if f.call_level {
            " (call-level: input per call sampled directly)"
        } else {
            ""
        }
    );
    s.push_str(&grid_text(&grid, markdown));
    s.push('\n');
    if let Some(sp) = f.system_prompt_tokens {
        s.push_str(&format!("system prompt ≈ {sp:.0} tokens\n"));
    }
    if let Some(c) = f.max_output_tokens {
        s.push_str(&format!(
            "output cap: {c:.0} tokens (capped outputs fitted as censored)\n"
        ));
    }
    if let Some((h, n)) = f.cache_hits {
        s.push_str(&format!(
            "cache: {h} of {n} calls read from the cache ({:.1}%)\n",
            100.0 * h as f64 / n as f64
        ));
        if let (Some(c), Some(why)) = (&f.cacheable, &f.cacheable_reason) {
            s.push_str(&format!("cacheable = {c}: {why}\n"));
        }
    }
    for r in &f.retries {
        s.push_str(&format!(
            "failures: {} {} of {} attempts ({:.2}%)\n",
            r.class,
            r.failures,
            r.attempts,
            100.0 * r.failures as f64 / r.attempts as f64
        ));
    }
    for n in &f.notes {
        s.push_str(&format!("note: {n}\n"));
    }
    for w in &f.warnings {
        s.push_str(&format!("warning: {w}\n"));
    }
    s
}
