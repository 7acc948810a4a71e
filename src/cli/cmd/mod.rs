//! One module per subcommand.

pub mod forecast;
pub mod pricing;
pub mod render;
pub mod report;
