//! The integration tests, one binary: each module holds the tests of one part of billcast (its
//! doc comment says which issue and behaviour), `common` the helpers they share.

mod common;

mod artifacts;
mod backtest;
mod charts;
mod cli;
mod engine;
mod fast;
mod fit;
mod ingest;
mod overhead;
mod pages;
mod reproduce;
mod snapshots;
mod whatif;
mod whatif_charts;
