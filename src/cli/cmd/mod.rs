//! One module per subcommand.

pub mod fit;
pub mod forecast;
pub mod overhead;
pub mod pricing;
pub mod render;
pub mod report;
