//! billcast forecasts the monthly bill of an LLM feature before it ships.
//!
//! It fits workload distributions from sample transcripts, simulates sessions → turns → calls
//! in a two-level Monte Carlo engine (outer loop: what we do not know; inner loop: the month in
//! that world), prices every simulated call with dated provider price tables, and reports the
//! bill as percentiles with the chance of exceeding a budget and what drives it.
//!
//! ```text
//! artifacts (prompt, tool schemas) ──artifact──▶ read into the Scenario, counted per route
//! transcripts ──ingest──▶ Sample ──fit──▶ Workload ─────────┐
//! scenarios/*.toml ──scenario──▶ Scenario ──────────────────┼──▶ engine (rayon, seeded) ──▶ Simulation
//! pricing/*.toml ──pricing──▶ PriceBook ────────────────────┘            │
//! Scenario.overhead ──overhead──▶ strategy TCO ─────────────────────────▶ Report (serde, versioned)
//! whatif (compare · sweep · solve · sensitivity) reruns the engine with common random numbers
//! every result ──results──▶ Envelope ──export──▶ table · json · csv · markdown · html   ──charts──▶ svg · png
//! two saved Report JSONs ──diff──▶ PR comment / CI gate
//! ```
//!
//! Core modules never print, read the environment or exit; the binary's `cli` module does.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
// Numeric kernels index several parallel arrays by the same position; iterator chains would
// hide that.
#![allow(clippy::needless_range_loop)]

pub mod artifact;
pub mod atomic;
pub mod backtest;
pub mod charts;
pub mod dist;
pub mod engine;
pub mod export;
pub mod fit;
pub mod ingest;
pub mod overhead;
pub mod pricing;
pub mod report;
pub mod results;
pub mod scenario;
pub mod stats;
pub mod table;
pub mod toml_util;
pub mod units;
pub mod usage;
pub mod whatif;
