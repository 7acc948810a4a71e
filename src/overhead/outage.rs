//! Provider outages simulated as events on a timeline, per trial, rather than by multiplying
//! uptimes.
//!
//! Three independent Poisson incident processes run over the horizon:
//! - **common cause** (rate `β·λ₁`, the primary's durations): takes both providers down at
//!   once — a shared cloud region, CDN/DNS, industry-wide launch-week load;
//! - **primary only** (rate `(1−β)·λ₁`);
//! - **secondary only**, whatever the secondary's own outage intensity leaves after the
//!   common-cause share: `μ₂ − β·μ₁` with `μ = λ·E[duration]/730`.
//!
//! Incidents start uniformly in time and last a drawn duration (capped at one month). The
//! timeline starts one month before the horizon, so incidents that began earlier still
//! cover its first hours; then every hour is covered with the stationary probability
//! `1 − exp(−μ)` of a Poisson process of intervals (a Boolean model). That is why an
//! uptime `a` is turned into `μ = −ln a`: the simulated share of time down is then exactly
//! `1 − a` in expectation, and with `β = 0` the share of time both are down is exactly
//! `(1 − a₁)(1 − a₂)`.
//!
//! From the incidents of one trial, [`simulate`] measures per month the hours each provider
//! is down, both are down, the detection windows at the start of each outage, and the window
//! a degraded mode can serve.

use crate::dist::family::sample_poisson;
use crate::dist::{Dist, FastRng};
use crate::scenario::overhead::HOURS_PER_MONTH;

/// A set of disjoint, sorted, half-open intervals `[a, b)` in hours from the start of the
/// horizon.
pub type Intervals = Vec<(f64, f64)>;

/// Union of possibly overlapping intervals, sorted and merged.
pub fn merge(mut v: Vec<(f64, f64)>) -> Intervals {
    v.retain(|(a, b)| b > a);
    v.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.total_cmp(&y.1)));
    let mut out: Intervals = Vec::with_capacity(v.len());
    for (a, b) in v {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// Intersection of two interval sets.
pub fn intersect(x: &[(f64, f64)], y: &[(f64, f64)]) -> Intervals {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < x.len() && j < y.len() {
        let a = x[i].0.max(y[j].0);
        let b = x[i].1.min(y[j].1);
        if b > a {
            out.push((a, b));
        }
        if x[i].1 < y[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// Hours of `x` inside `[lo, hi)`.
pub fn measure_in(x: &[(f64, f64)], lo: f64, hi: f64) -> f64 {
    x.iter()
        .map(|&(a, b)| (b.min(hi) - a.max(lo)).max(0.0))
        .sum()
}

/// Intervals of `x` that start inside `[lo, hi)`.
pub fn starts_in(x: &[(f64, f64)], lo: f64, hi: f64) -> usize {
    x.iter().filter(|&&(a, _)| a >= lo && a < hi).count()
}

/// One incident process: Poisson arrivals at `rate_per_month`, durations from `duration`.
#[derive(Debug, Clone)]
pub struct Process {
    /// Incidents per month.
    pub rate_per_month: f64,
    /// Hours per incident.
    pub duration: Dist,
}

/// The outage model of one trial (drawn by [`super::model::TrialDraws`]).
#[derive(Debug, Clone)]
pub struct OutageParams {
    /// Incidents that hit both providers.
    pub common: Process,
    /// Incidents of the primary alone.
    pub primary_only: Process,
    /// Incidents of the secondary alone (`None` without a secondary).
    pub secondary_only: Option<Process>,
    /// Hours to detect an outage and switch paths.
    pub detection_hours: f64,
    /// Probability that a primary incident also takes the degraded path down.
    pub degraded_shared: f64,
}

/// What one month of one trial looked like, in hours (counts for incidents).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MonthOutage {
    /// Hours the primary is down.
    pub primary_down: f64,
    /// Hours the secondary is down.
    pub secondary_down: f64,
    /// Hours both are down.
    pub both_down: f64,
    /// Hours of detection windows at the start of primary outages.
    pub primary_detection: f64,
    /// …of which the secondary is also down.
    pub primary_detection_both: f64,
    /// Hours of detection windows at the start of secondary outages.
    pub secondary_detection: f64,
    /// …of which the primary is also down.
    pub secondary_detection_both: f64,
    /// Hours a degraded mode can serve: primary outages it does not share, after detection.
    pub degraded_window: f64,
    /// Primary incidents (merged outages) starting this month.
    pub primary_incidents: f64,
    /// Incidents of either provider (merged outages of the union) starting this month.
    pub any_incidents: f64,
}

/// Stream purposes of the outage simulation (independent of the engine's streams).
const PURPOSE_COMMON: u64 = 0x6f75_7461_6765_0001;
const PURPOSE_PRIMARY: u64 = 0x6f75_7461_6765_0002;
const PURPOSE_SECONDARY: u64 = 0x6f75_7461_6765_0003;
const PURPOSE_DEGRADED: u64 = 0x6f75_7461_6765_0004;

/// Incidents of one process over `[−730, months·730)` hours. Each process has its own
/// stream so that, e.g., adding a secondary does not move the primary's incidents (common
/// random numbers across what-ifs).
fn incidents(p: &Process, months: usize, seed: u64, trial: u64, purpose: u64) -> Intervals {
    let mut rng = FastRng::for_stream(seed, trial, purpose);
    let span = (months + 1) as f64 * HOURS_PER_MONTH;
    let n = sample_poisson(p.rate_per_month * (months + 1) as f64, &mut rng) as usize;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        let start = -HOURS_PER_MONTH + rng.uniform() * span;
        // Durations are capped at one month so the one-month run-in covers every incident
        // that can reach the horizon (keeps the process stationary from hour 0).
        let d = p.duration.sample(&mut rng).min(HOURS_PER_MONTH);
        if d > 0.0 {
            v.push((start, start + d));
        }
    }
    v
}

/// Simulate one trial's outages and measure each month.
pub fn simulate(p: &OutageParams, months: usize, seed: u64, trial: u64) -> Vec<MonthOutage> {
    let common = incidents(&p.common, months, seed, trial, PURPOSE_COMMON);
    let p_only = incidents(&p.primary_only, months, seed, trial, PURPOSE_PRIMARY);
    let s_only = match &p.secondary_only {
        Some(s) => incidents(s, months, seed, trial, PURPOSE_SECONDARY),
        None => Vec::new(),
    };
    let primary = merge(common.iter().chain(&p_only).copied().collect());
    let secondary = if p.secondary_only.is_some() {
        merge(common.iter().chain(&s_only).copied().collect())
    } else {
        Vec::new()
    };
    let both = intersect(&primary, &secondary);
    let det = |x: &Intervals| -> Intervals {
        x.iter()
            .map(|&(a, b)| (a, (a + p.detection_hours).min(b)))
            .filter(|(a, b)| b > a)
            .collect()
    };
    let det_p = det(&primary);
    let det_s = det(&secondary);
    let det_p_both = intersect(&det_p, &secondary);
    let det_s_both = intersect(&det_s, &primary);
    // Each primary outage is shared by the degraded path with probability `degraded_shared`
    // (a same-provider smaller model goes down with its provider; a cache does not).
    let mut drng = FastRng::for_stream(seed, trial, PURPOSE_DEGRADED);
    let degraded: Intervals = primary
        .iter()
        .filter(|_| drng.uniform() >= p.degraded_shared)
        .map(|&(a, b)| ((a + p.detection_hours).min(b), b))
        .filter(|(a, b)| b > a)
        .collect();
    let any = merge(primary.iter().chain(&secondary).copied().collect());
    (0..months)
        .map(|m| {
            let lo = m as f64 * HOURS_PER_MONTH;
            let hi = lo + HOURS_PER_MONTH;
            MonthOutage {
                primary_down: measure_in(&primary, lo, hi),
                secondary_down: measure_in(&secondary, lo, hi),
                both_down: measure_in(&both, lo, hi),
                primary_detection: measure_in(&det_p, lo, hi),
                primary_detection_both: measure_in(&det_p_both, lo, hi),
                secondary_detection: measure_in(&det_s, lo, hi),
                secondary_detection_both: measure_in(&det_s_both, lo, hi),
                degraded_window: measure_in(&degraded, lo, hi),
                primary_incidents: starts_in(&primary, lo, hi) as f64,
                any_incidents: starts_in(&any, lo, hi) as f64,
            }
        })
        .collect()
}

/// Closed-form share of time both providers are down under the Boolean model: common-cause
/// intensity `μc`, primary-only `μp`, secondary-only `μs` (each `λ·E[d]/730`):
/// `q = 1 − e^{−μc} + e^{−μc}·(1 − e^{−μp})·(1 − e^{−μs})`. With `μc = 0` this is
/// `(1 − a₁)(1 − a₂)`.
pub fn joint_down_share(mu_c: f64, mu_p: f64, mu_s: f64) -> f64 {
    let pc = 1.0 - (-mu_c).exp();
    pc + (1.0 - pc) * (1.0 - (-mu_p).exp()) * (1.0 - (-mu_s).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_algebra() {
        let a = merge(vec![(5.0, 7.0), (0.0, 2.0), (1.0, 3.0), (3.0, 4.0)]);
        assert_eq!(a, vec![(0.0, 4.0), (5.0, 7.0)]);
        let b = vec![(3.5, 6.0)];
        assert_eq!(intersect(&a, &b), vec![(3.5, 4.0), (5.0, 6.0)]);
        assert_eq!(measure_in(&a, 1.0, 6.0), 3.0 + 1.0);
        assert_eq!(starts_in(&a, 0.0, 5.0), 1);
    }

    #[test]
    fn detection_windows_and_degraded_window_partition_the_outage() {
        let p = OutageParams {
            common: Process {
                rate_per_month: 0.0,
                duration: Dist::fixed(1.0),
            },
            primary_only: Process {
                rate_per_month: 3.0,
                duration: Dist::fixed(2.0),
            },
            secondary_only: None,
            detection_hours: 0.25,
            degraded_shared: 0.0,
        };
        let months = simulate(&p, 24, 1, 0);
        for m in &months {
            assert!(
                (m.primary_detection + m.degraded_window - m.primary_down).abs() < 1e-9,
                "{m:?}"
            );
            assert_eq!(m.both_down, 0.0);
        }
    }
}
