//! One module per subcommand.

pub mod forecast;
pub mod overhead;
pub mod pricing;
pub mod render;
pub mod report;
