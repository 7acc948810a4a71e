//! Nonparametric bootstrap over whole groups (Efron & Tibshirani 1993, *An Introduction to
//! the Bootstrap*, ch. 6 and 13; for clustered data, Davison & Hinkley 1997 §3.8).
//!
//! Observations from one conversation are correlated (a verbose session has long outputs on
//! every turn), so a replicate resamples *sessions*, with replacement, and keeps each
//! session's observations together. Replicate `b` uses its own PCG stream
//! `FastRng::for_stream(seed, b, BOOTSTRAP_PURPOSE)`, so the result is identical for any
//! thread count and any `B` prefix (replicate 7 is the same whether `B` is 10 or 1,000).

use rand::RngExt;
use rayon::prelude::*;

use crate::dist::FastRng;

/// Stream purpose tag for bootstrap replicates (`"fit.bootstrap"` in ASCII).
pub const BOOTSTRAP_PURPOSE: u64 = 0x6669_742e_626f_6f74;

/// `b` bootstrap replicates of `groups`: each is `groups.len()` indices into `groups`, drawn
/// uniformly with replacement (Lemire's unbiased bounded integers via `rand`). Deterministic
/// for a `seed`; replicates are generated in parallel. Empty when `groups` is empty.
pub fn bootstrap_groups<T: Sync>(groups: &[T], b: usize, seed: u64) -> Vec<Vec<usize>> {
    let n = groups.len();
    if n == 0 {
        return vec![Vec::new(); b];
    }
    (0..b)
        .into_par_iter()
        .map(|rep| {
            let mut rng = FastRng::for_stream(seed, rep as u64, BOOTSTRAP_PURPOSE);
            (0..n).map(|_| rng.inner().random_range(0..n)).collect()
        })
        .collect()
}

/// Percentile bootstrap interval at `level` (e.g. 0.9 → the 5th and 95th percentiles, type-7)
/// of replicate statistics; NaNs are dropped. `None` when fewer than 2 finite values remain.
pub fn percentile_interval(stats: &[f64], level: f64) -> Option<(f64, f64)> {
    let mut v: Vec<f64> = stats.iter().copied().filter(|x| x.is_finite()).collect();
    if v.len() < 2 {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let a = (1.0 - level.clamp(0.0, 1.0)) / 2.0;
    Some((
        super::select::quantile_sorted(&v, a),
        super::select::quantile_sorted(&v, 1.0 - a),
    ))
}
