//! One module per subcommand.

pub mod forecast;
pub mod pricing;
