//! Uncertain numbers and the distributions behind them.
//!
//! - [`spec`]: what users write (`1500`, `"100 to 300"`, `{ dist = "gamma", mean = 4, cv = 1.5 }`)
//!   and its validation and resolution into a [`Dist`];
//! - [`family`]: the concrete families with quantiles, CDFs, moments and exact samplers;
//! - [`sampler`]: table-driven samplers for the engine's inner loop;
//! - [`rng`]: seeded streams addressed by `(seed, trial, purpose)`.

pub mod family;
pub mod rng;
pub mod sampler;
pub mod spec;

pub use family::Family;
pub use rng::FastRng;
pub use sampler::{Sampler, SamplerCache};
pub use spec::{Dist, DistError, Domain, Uncertain};
