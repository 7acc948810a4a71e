//! One module per subcommand.

pub mod forecast;
pub mod overhead;
pub mod pricing;
