//! The parts of an [`OverheadReport`]'s renderings: its grids, headline and sentences, the
//! Markdown body and the CSV; the exporters (`crate::export`) put them together. Each takes
//! the report only, so a saved `overhead.json` re-renders without re-simulating. The
//! stacked-TCO chart with P50–P95 whiskers is [`crate::charts::overhead::tco`].

use super::report::{BreakEven, OverheadReport, StrategyReport};
use crate::scenario::overhead::Strategy;
use crate::table::Grid;
use crate::units::format_usd;

/// Heading of the overhead section in a design-review pack (`billcast report`).
pub const PACK_SECTION: &str = "Operational overhead of a second provider";

/// How to read the break-even column.
pub const BREAK_EVEN_NOTE: &str = "Break-even: the downtime cost per hour above which a strategy's mean TCO beats single's (Δ spend ÷ Δ downtime hours; both are linear in the cost per hour).";

/// Availability with enough digits to tell 99.65% from 99.995%.
pub fn format_availability(a: f64) -> String {
    if !a.is_finite() {
        return "-".into();
    }
    let down = 1.0 - a;
    if down > 0.0 && down < 0.0001 {
        format!("{:.4}%", a * 100.0)
    } else if down < 0.001 {
        format!("{:.3}%", a * 100.0)
    } else {
        format!("{:.2}%", a * 100.0)
    }
}

fn multiplier(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.1}×")
    } else {
        "-".into()
    }
}

/// A break-even as a short cell.
pub fn format_break_even(b: Option<&BreakEven>) -> String {
    match b {
        None => "baseline".into(),
        Some(BreakEven::Above { usd_per_hour }) => format!("> {}/h", format_usd(*usd_per_hour)),
        Some(BreakEven::Below { usd_per_hour }) => format!("< {}/h", format_usd(*usd_per_hour)),
        Some(BreakEven::Always) => "always".into(),
        Some(BreakEven::Never) => "never".into(),
    }
}

/// The main table: one row per strategy, mean month of the horizon.
pub fn strategies(r: &OverheadReport) -> Grid {
    let header = [
        "Strategy",
        "TCO mean",
        "P50",
        "P95",
        "Tokens",
        "Evals",
        "People",
        "Downtime",
        "Spend ×",
        "Down h/mo",
        "Availability",
        "Break-even",
    ];
    let rows = r
        .strategies
        .iter()
        .map(|s| {
            vec![
                s.strategy.name().to_string(),
                format_usd(s.tco.mean),
                format_usd(s.tco.p50),
                format_usd(s.tco.p95),
                format_usd(s.parts.tokens),
                format_usd(s.parts.evals),
                format_usd(s.parts.people),
                format_usd(s.parts.downtime),
                multiplier(s.spend_multiplier),
                format!("{:.2}", s.unavailable_hours.mean),
                format_availability(s.availability),
                format_break_even(s.break_even.as_ref()),
            ]
        })
        .collect();
    Grid::labelled(header.iter().map(|h| h.to_string()).collect(), rows)
}

/// Human hours per month by activity, and eval wall time.
pub fn people(r: &OverheadReport) -> Grid {
    let header = [
        "Strategy",
        "Prompt PRs",
        "Calibration",
        "Reconcile",
        "Config drift",
        "On-call",
        "Degr. build",
        "Degr. upkeep",
        "Total h",
        "Pages/mo",
        "Eval wall h",
    ];
    let h = |x: f64| format!("{x:.1}");
    let rows = r
        .strategies
        .iter()
        .map(|s| {
            let p = &s.people_hours;
            vec![
                s.strategy.name().to_string(),
                h(p.prompt),
                h(p.calibration),
                h(p.reconciliation),
                h(p.config_drift),
                h(p.on_call),
                h(p.degraded_build),
                h(p.degraded_upkeep),
                h(p.total()),
                h(s.incidents_per_month),
                h(s.eval_wall_hours),
            ]
        })
        .collect();
    Grid::labelled(header.iter().map(|h| h.to_string()).collect(), rows)
}

/// Mean TCO and spend multiplier per calendar month (the multiplier shrinks as spend grows).
pub fn months(r: &OverheadReport) -> Grid {
    let mut header = vec!["Month".to_string()];
    for s in &r.strategies {
        header.push(format!("{} TCO", s.strategy));
        header.push("×".into());
    }
    let rows = r
        .months
        .iter()
        .enumerate()
        .map(|(m, month)| {
            let mut row = vec![month.clone()];
            for s in &r.strategies {
                let sm = &s.months[m];
                row.push(format_usd(sm.tco.mean));
                row.push(multiplier(sm.spend_multiplier));
            }
            row
        })
        .collect();
    Grid::labelled(header, rows)
}

fn main_redundant(r: &OverheadReport) -> Option<&StrategyReport> {
    r.strategy(Strategy::Failover)
        .or_else(|| r.strategy(Strategy::ActiveActive))
}

/// The answer in two or three sentences.
pub fn headline(r: &OverheadReport) -> String {
    let mut out = format!(
        "Single-provider token spend: {}/month. Naive \"2× budget\" for a second provider: {}/month.",
        format_usd(r.single_token_spend),
        format_usd(r.naive_two_x)
    );
    if let Some(s) = main_redundant(r) {
        out.push_str(&format!(
            "\n{} actually spends {}/month = {} the single-provider token spend once evals and people are counted (naive: 2.0×); its tokens alone are {}.",
            capitalise(s.strategy.name()),
            format_usd(s.spend.mean),
            multiplier(s.spend_multiplier),
            multiplier(s.parts.tokens / r.single_token_spend)
        ));
    }
    out.push_str(&format!(
        "\nAt {}/hour of downtime, {} has the lowest mean TCO.",
        format_usd(r.downtime_usd_per_hour),
        r.cheapest
    ));
    out
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// The availability waterfall as one sentence.
pub fn availability_line(r: &OverheadReport) -> Option<String> {
    let a = r.availability_steps.as_ref()?;
    let mut s = format!(
        "Availability with a second provider: {} if outages were independent → {} with common-cause outages (simulated: {}) → {} with failover detection time",
        format_availability(a.independent),
        format_availability(a.with_common_cause),
        format_availability(a.simulated_either_up),
        format_availability(a.with_detection)
    );
    if a.with_redundancy_decay.is_finite() {
        s.push_str(&format!(
            " → {} once features get pinned to one provider (failover, simulated)",
            format_availability(a.with_redundancy_decay)
        ));
    }
    s.push_str(&format!(
        "; one provider: {}.",
        format_availability(a.single)
    ));
    Some(s)
}

/// The horizon as `first … last` (one month: that month).
pub fn period(r: &OverheadReport) -> String {
    match (r.months.first(), r.months.last()) {
        (Some(a), Some(b)) if a != b => format!("{a} … {b}"),
        (Some(a), _) => a.clone(),
        _ => String::new(),
    }
}

/// The Markdown report after its headline and before its warnings and footer: strategy
/// table, availability and details (also the body of the design-review pack's section).
pub fn markdown_body(r: &OverheadReport) -> String {
    let grid = crate::table::markdown;
    let mut out = format!("Mean month of {}, USD:\n\n", period(r));
    out.push_str(&grid(&strategies(r)));
    if let Some(line) = availability_line(r) {
        out.push_str(&format!("\n{line}\n"));
    }
    out.push_str("\n<details><summary>Human hours per month</summary>\n\n");
    out.push_str(&grid(&people(r)));
    out.push_str("\n</details>\n");
    if r.months.len() > 1 {
        out.push_str("\n<details><summary>By month</summary>\n\n");
        out.push_str(&grid(&months(r)));
        out.push_str("\n</details>\n");
    }
    out.push_str("\n<details><summary>Assumptions</summary>\n\n");
    out.push_str(&grid(&crate::report::rows::assumptions(
        &r.assumptions,
        false,
    )));
    out.push_str("\n</details>\n");
    out
}

/// The Markdown footer: trials, seed, version and the price tables' fingerprint.
pub fn markdown_footer(r: &OverheadReport) -> String {
    format!(
        "{} trials · seed {} · billcast {} · prices {}",
        r.trials,
        r.seed,
        r.billcast_version,
        &r.pricing_fingerprint[..12.min(r.pricing_fingerprint.len())]
    )
}

/// CSV: one row per strategy for the mean month (`month = mean`), then one per calendar
/// month.
pub fn csv(r: &OverheadReport) -> Result<String, csv::Error> {
    let mut w = crate::table::csv_writer();
    w.write_record([
        "strategy",
        "month",
        "tco_mean",
        "tco_p50",
        "tco_p95",
        "tokens",
        "evals",
        "people",
        "downtime",
        "spend_multiplier",
        "unavailable_hours",
        "availability",
        "people_hours",
        "break_even_usd_per_hour",
        "break_even_kind",
    ])?;
    let f = crate::table::csv_number;
    for s in &r.strategies {
        let (be, kind) = match &s.break_even {
            None => (String::new(), "baseline".to_string()),
            Some(b) => (
                b.usd_per_hour().map(f).unwrap_or_default(),
                match b {
                    BreakEven::Above { .. } => "above",
                    BreakEven::Below { .. } => "below",
                    BreakEven::Always => "always",
                    BreakEven::Never => "never",
                }
                .to_string(),
            ),
        };
        w.write_record([
            s.strategy.name().to_string(),
            "mean".into(),
            f(s.tco.mean),
            f(s.tco.p50),
            f(s.tco.p95),
            f(s.parts.tokens),
            f(s.parts.evals),
            f(s.parts.people),
            f(s.parts.downtime),
            f(s.spend_multiplier),
            f(s.unavailable_hours.mean),
            f(s.availability),
            f(s.people_hours.total()),
            be,
            kind,
        ])?;
    }
    for s in &r.strategies {
        for m in &s.months {
            w.write_record([
                s.strategy.name().to_string(),
                m.month.clone(),
                f(m.tco.mean),
                f(m.tco.p50),
                f(m.tco.p95),
                f(m.parts.tokens),
                f(m.parts.evals),
                f(m.parts.people),
                f(m.parts.downtime),
                f(m.spend_multiplier),
                f(m.unavailable_hours),
                f(m.availability),
                String::new(),
                String::new(),
                String::new(),
            ])?;
        }
    }
    crate::table::csv_finish(w)
}
