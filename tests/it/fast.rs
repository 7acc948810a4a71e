//! Fast mode against exact mode (issue 9): mean, P50 and P95 within 0.5% on every bundled
//! scenario, sized to run in seconds.
//!
//! Each scenario runs in its median world (every epistemic input pinned at its median), so
//! the only spread left is the month's own aleatoric variation — exactly what fast mode
//! replaces with a pilot and a Cornish–Fisher aggregate, and the hardest case for it (no
//! epistemic spread to hide behind). Volumes are scaled down so exact mode is cheap, and the
//! trial count is chosen per scenario so the Monte Carlo noise of the comparison stays well
//! below the tolerance: the standard error of an estimated P95 is about 2.1·σ/√T, and with
//! σ/mean = cv/√N (N sessions a month, cv of one session's cost, measured: 0.6–1.8) we need
//! N·T ≳ 1.6·10⁶·cv² for 3 SE < 0.5%.

use std::path::Path;

use billcast::engine::{self, SimOptions};
use billcast::pricing::PriceBook;
use billcast::scenario::{Mode, Scenario};
use billcast::stats;

fn quantiles(v: &[f64]) -> (f64, f64, f64) {
    let mut x = v.to_vec();
    x.sort_by(|a, b| a.total_cmp(b));
    (
        stats::mean_sd(&x).0,
        stats::quantile_sorted(&x, 0.5),
        stats::quantile_sorted(&x, 0.95),
    )
}

fn check(name: &str, overrides: &[&str]) {
    let mut o: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    o.push("horizon_months=1".into());
    let s = Scenario::load(Path::new(&format!("scenarios/{name}.toml")), &o).expect("scenario");
    let book = PriceBook::bundled().expect("prices");
    let run = |mode| {
        engine::simulate(
            &s,
            &book,
            &SimOptions {
                mode: Some(mode),
                all_at: Some(0.5),
                ..SimOptions::default()
            },
        )
        .expect("simulates")
    };
    let exact = run(Mode::Exact);
    let fast = run(Mode::Fast);
    assert!(
        fast.mode_reason
            .contains("0 trial-months simulated exactly"),
        "{name}: {}",
        fast.mode_reason
    );
    let (e, f) = (quantiles(&exact.totals[0]), quantiles(&fast.totals[0]));
    for (what, a, b) in [("mean", e.0, f.0), ("P50", e.1, f.1), ("P95", e.2, f.2)] {
        let rel = b / a - 1.0;
        assert!(
            rel.abs() < 0.005,
            "{name}: fast {what} {b:.2} vs exact {a:.2} ({:+.3}%)",
            rel * 100.0
        );
    }
}

#[test]
fn support_bot() {
    check(
        "support-bot",
        &["traffic.monthly_active_users=1200", "simulation.trials=400"],
    );
}

#[test]
fn rag_assistant() {
    check(
        "rag-assistant",
        &["traffic.sessions_per_month=6000", "simulation.trials=900"],
    );
}

#[test]
fn coding_agent() {
    check(
        "coding-agent",
        &["traffic.monthly_active_users=40", "simulation.trials=800"],
    );
}

#[test]
fn batch_summarization() {
    check(
        "batch-summarization",
        &["traffic.requests_per_month=20000", "simulation.trials=100"],
    );
}

#[test]
fn support_agent_pilot() {
    check(
        "support-agent-pilot",
        &["traffic.sessions_per_month=5000", "simulation.trials=200"],
    );
}
