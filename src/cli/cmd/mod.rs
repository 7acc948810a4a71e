//! One module per subcommand.

pub mod backtest;
pub mod calibrate;
pub mod compare;
pub mod diff;
pub mod fit;
pub mod forecast;
pub mod init;
pub mod overhead;
pub mod pricing;
pub mod render;
pub mod report;
pub mod sensitivity;
pub mod solve;
pub mod sweep;
pub mod tokens;
