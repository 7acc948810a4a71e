//! One module per subcommand.

pub mod compare;
pub mod diff;
pub mod forecast;
pub mod pricing;
pub mod sensitivity;
pub mod solve;
pub mod sweep;
