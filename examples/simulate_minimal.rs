//! The library API in a dozen lines: load a scenario and the bundled prices, simulate, and
//! print the percentiles of the first month.
//!
//! Run: `cargo run --release --example simulate_minimal -- scenarios/support-bot.toml`

use std::path::PathBuf;

use billcast::engine::{self, SimOptions, prepare::Prepared};
use billcast::pricing::PriceBook;
use billcast::report::Report;
use billcast::scenario::Scenario;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "scenarios/support-bot.toml".into()),
    );
    let scenario = Scenario::load(&path, &["simulation.trials=2000".to_string()])?;
    let book = PriceBook::bundled()?;
    let prepared = Prepared::new(&scenario, &book)?;
    let sim = engine::simulate_prepared(&scenario, &prepared, &SimOptions::default())?;
    let report = Report::from_simulation(&scenario, &book, &prepared, &sim);
    let m = &report.months[0];
    println!(
        "{}: {} P50 ${:.0}, P95 ${:.0}, P99 ${:.0} ({})",
        report.scenario.name, m.month, m.p50, m.p95, m.p99, report.mode
    );
    Ok(())
}
