//! Fast samplers for the engine's inner loop.
//!
//! A continuous law is sampled by inverse CDF from a table of 1,024 quantiles of its
//! *standardised* form (unit scale), with linear interpolation inside each bin and an exact
//! quantile in the first and last bins, so tails are never truncated. A draw costs one
//! uniform, two table loads and a few flops (no `exp`, no rejection), and the table is shared
//! between trials whenever only the scale parameter changes. The approximation replaces the
//! CDF inside each interior bin by a straight line: its largest CDF error is far below what a
//! Kolmogorov–Smirnov test on 10⁵ draws can see (tests below).
//!
//! Counts use a cumulative table with a 256-entry guide table (Devroye 1986, §III.2.4) and an
//! exact fallback beyond the last tabulated value (probability < 1e-12).

use std::sync::Arc;

use super::family::Family;
use super::rng::FastRng;
use super::spec::Dist;

/// Number of quantile bins for continuous laws (2^TABLE_BITS).
pub const TABLE_BINS: usize = 1 << TABLE_BITS;
const TABLE_BITS: u32 = 10;
/// Bits of the position inside a bin: 10 + 22 = 32, the high half of a 64-bit draw, which
/// puts `u` on a 2⁻³² grid (the interpolation's own error is far larger) and leaves the low
/// half to the caller ([`Draw::draw_with_bits`]).
const FRAC_BITS: u32 = 22;
/// Guide-table size for counts (2^8: indexed by the top 8 bits of a draw).
const GUIDE: usize = 256;

/// A ready-to-draw sampler for one distribution.
#[derive(Clone, Debug)]
pub enum Sampler {
    /// Always the same value.
    Const(f64),
    /// Continuous law: interpolated standardised quantiles times `scale`, then the transform.
    Table {
        /// Quantiles of the standardised law at `i / TABLE_BINS`, `i = 0..=TABLE_BINS`
        /// (ends unused). A fixed-size array, so indexing after the tail test needs no
        /// bounds check.
        q: Arc<[f64; TABLE_BINS + 1]>,
        /// No offset and no clamps: the transform is skipped.
        plain: bool,
        /// Scale factor applied to the standardised quantile.
        scale: f64,
        /// The transform, inline so the common path does not chase a pointer:
        /// `clamp(x + offset, lo, hi)`.
        offset: f64,
        /// Lower clamp.
        lo: f64,
        /// Upper clamp.
        hi: f64,
        /// The full law, for exact tail draws.
        dist: Box<Dist>,
    },
    /// Count law by cumulative table with guide.
    Discrete {
        /// `P(X ≤ k)` for `k = 0..cum.len()`.
        cum: Arc<[f64]>,
        /// Smallest `k` with `cum[k] > j / GUIDE`.
        guide: Arc<[u32; GUIDE]>,
        /// No offset and no clamps: the transform is skipped.
        plain: bool,
        /// The full law, for draws beyond the table and the transform.
        dist: Box<Dist>,
    },
    /// Resample recorded values.
    Empirical {
        /// Sorted values.
        values: Arc<Vec<f64>>,
        /// The law, for the transform.
        dist: Box<Dist>,
    },
}

/// The standardised form of a scale family and the scale that maps it back.
fn standardise(f: &Family) -> (Family, f64) {
    match f {
        Family::LogNormal { mu, sigma } => (
            Family::LogNormal {
                mu: 0.0,
                sigma: *sigma,
            },
            mu.exp(),
        ),
        Family::Gamma { shape, scale } => (
            Family::Gamma {
                shape: *shape,
                scale: 1.0,
            },
            *scale,
        ),
        Family::Weibull { shape, scale } => (
            Family::Weibull {
                shape: *shape,
                scale: 1.0,
            },
            *scale,
        ),
        other => (other.clone(), 1.0),
    }
}

/// A quantile table of a standardised continuous law.
type QuantileTable = Arc<[f64; TABLE_BINS + 1]>;
/// A cached count law: the law, its cumulative table and its guide table.
type DiscreteEntry = (Family, Arc<[f64]>, Arc<[u32; GUIDE]>);

/// Builds samplers and reuses quantile tables across trials.
#[derive(Default, Debug, Clone)]
pub struct SamplerCache {
    tables: Vec<(Family, QuantileTable)>,
    discrete: Vec<DiscreteEntry>,
}

impl SamplerCache {
    /// A new, empty cache.
    pub fn new() -> SamplerCache {
        SamplerCache::default()
    }

    /// A sampler for `dist`, reusing a table built earlier for the same standardised law.
    pub fn sampler(&mut self, dist: &Dist) -> Sampler {
        let plain = dist.is_plain();
        match &dist.family {
            Family::Fixed(v) => Sampler::Const(dist.transform(*v)),
            Family::Empirical(values) => {
                if values.len() == 1 {
                    Sampler::Const(dist.transform(values[0]))
                } else {
                    Sampler::Empirical {
                        values: values.clone(),
                        dist: Box::new(dist.clone()),
                    }
                }
            }
            f if f.is_discrete() => {
                let (cum, guide) = match self.discrete.iter().find(|(g, _, _)| g == f) {
                    Some((_, cum, guide)) => (cum.clone(), guide.clone()),
                    None => {
                        let (cum, guide) = discrete_tables(f);
                        if self.discrete.len() < 64 {
                            self.discrete.push((f.clone(), cum.clone(), guide.clone()));
                        }
                        (cum, guide)
                    }
                };
                Sampler::Discrete {
                    cum,
                    guide,
                    plain,
                    dist: Box::new(dist.clone()),
                }
            }
            f => {
                let (std, scale) = standardise(f);
                let q = match self.tables.iter().find(|(g, _)| *g == std) {
                    Some((_, q)) => q.clone(),
                    None => {
                        let q = quantile_table(&std);
                        if self.tables.len() < 64 {
                            self.tables.push((std, q.clone()));
                        }
                        q
                    }
                };
                Sampler::Table {
                    q,
                    plain,
                    scale,
                    offset: dist.offset,
                    lo: dist.min,
                    hi: dist.max,
                    dist: Box::new(dist.clone()),
                }
            }
        }
    }
}

fn quantile_table(std: &Family) -> QuantileTable {
    let n = TABLE_BINS;
    let mut q = [0.0; TABLE_BINS + 1];
    for (i, slot) in q.iter_mut().enumerate().take(n).skip(1) {
        *slot = std.quantile(i as f64 / n as f64);
    }
    Arc::new(q)
}

fn discrete_tables(f: &Family) -> (Arc<[f64]>, Arc<[u32; GUIDE]>) {
    let mut cum = Vec::new();
    let mut k = 0.0;
    loop {
        let c = f.cdf(k);
        cum.push(c);
        if 1.0 - c < 1e-12 || cum.len() >= (1 << 20) {
            break;
        }
        k += 1.0;
    }
    let mut guide = [0u32; GUIDE];
    let mut idx = 0usize;
    for (j, g) in guide.iter_mut().enumerate() {
        let t = j as f64 / GUIDE as f64;
        while idx + 1 < cum.len() && cum[idx] <= t {
            idx += 1;
        }
        *g = idx as u32;
    }
    (Arc::from(cum), Arc::new(guide))
}

/// 2⁵²: adding and subtracting it rounds a double in `[0, 2⁵¹)` to the nearest integer.
const ROUND: f64 = 4_503_599_627_370_496.0;

/// `⌈x⌉` for `0 ≤ x < 2⁵¹`, in three instructions: baseline x86-64 has no `roundsd`, so
/// `f64::ceil` is a libm call, and `as i64` is a saturating conversion; the 2⁵² trick is
/// neither. Token counts are far below 2⁵¹ (2.2·10¹⁵).
#[inline(always)]
pub fn ceil_pos(x: f64) -> f64 {
    #[cfg(target_feature = "sse4.1")]
    {
        x.ceil()
    }
    #[cfg(not(target_feature = "sse4.1"))]
    {
        let t = (x + ROUND) - ROUND;
        // `t + [t < x]`: one add of 0 or 1 rather than a blend of two sums (fewer instructions
        // under callgrind); `t + 0.0` is `t` for `t ≥ 0`.
        t + if t < x { 1.0 } else { 0.0 }
    }
}

/// `⌊x⌋` for `0 ≤ x < 2⁵¹`, without a libm call (see [`ceil_pos`]).
#[inline(always)]
pub fn floor_pos(x: f64) -> f64 {
    #[cfg(target_feature = "sse4.1")]
    {
        x.floor()
    }
    #[cfg(not(target_feature = "sse4.1"))]
    {
        let t = (x + ROUND) - ROUND;
        t - if t > x { 1.0 } else { 0.0 }
    }
}

/// `x` rounded to the nearest integer (ties to even) for `0 ≤ x < 2⁵¹`, without a libm call.
#[inline(always)]
pub fn round_pos(x: f64) -> f64 {
    (x + ROUND) - ROUND
}

/// One draw from a quantile table, before the transform, and 32 random bits it did not use:
/// `scale · q(u)` with `q` interpolated linearly inside the bin of `u`, and the exact quantile
/// of the untransformed law in the first and last bins.
#[inline(always)]
fn table_draw(q: &[f64; TABLE_BINS + 1], scale: f64, dist: &Dist, rng: &mut FastRng) -> (f64, u32) {
    // One 64-bit draw supplies the bin (top 10 bits), the position inside it (the next 22)
    // and the caller's 32 bits (the low half): no float-to-int conversion on the hot path.
    let r = rng.next_u64();
    let k = (r >> (64 - TABLE_BITS)) as usize;
    // One unsigned compare tests both tails (k = 0 wraps to a huge value).
    if k.wrapping_sub(1) >= TABLE_BINS - 2 {
        // In a tail bin (2 draws in 1,024) a fresh 52-bit position inside the bin gives the
        // exact quantile the full resolution of a double (down to 2⁻⁶² at the bottom), so
        // tails are not cut at 2⁻³². Near 1, `k + f` can round up to 1,024: stop just below.
        let f = rng.uniform_open();
        let u = ((k as f64 + f) * (1.0 / TABLE_BINS as f64)).min(1f64.next_down());
        return (dist.family.quantile(u), r as u32);
    }
    let frac =
        ((r >> 32) & ((1 << FRAC_BITS) - 1)) as i64 as f64 * (1.0 / (1u64 << FRAC_BITS) as f64);
    let (a, b) = (q[k], q[k + 1]);
    (scale * (a + (b - a) * frac), r as u32)
}

/// Something the inner loop draws numbers from. Implemented by [`Sampler`] (any law, one
/// `match` per draw) and by [`PlainTable`] (a table law without transform), so the engine can
/// compile its hot loop once per sampler kind instead of dispatching on every draw.
pub trait Draw {
    /// One draw.
    fn draw(&self, rng: &mut FastRng) -> f64;

    /// One draw and 32 uniform random bits independent of it: the bits a table draw leaves
    /// unused, so the engine decides an attempt's failure and cache hit without another
    /// generator step.
    fn draw_with_bits(&self, rng: &mut FastRng) -> (f64, u32);

    /// This law as a [`PlainTable`] when it is one (draw for draw the same values), so the
    /// engine can choose between two such laws per draw by index instead of by branch.
    fn as_plain(&self) -> Option<PlainTable<'_>>;
}

impl<D: Draw> Draw for &D {
    #[inline(always)]
    fn draw(&self, rng: &mut FastRng) -> f64 {
        (**self).draw(rng)
    }

    #[inline(always)]
    fn draw_with_bits(&self, rng: &mut FastRng) -> (f64, u32) {
        (**self).draw_with_bits(rng)
    }

    fn as_plain(&self) -> Option<PlainTable<'_>> {
        (**self).as_plain()
    }
}

impl Draw for Sampler {
    #[inline(always)]
    fn draw(&self, rng: &mut FastRng) -> f64 {
        self.sample(rng)
    }

    #[inline(always)]
    fn draw_with_bits(&self, rng: &mut FastRng) -> (f64, u32) {
        self.sample_with_bits(rng)
    }

    fn as_plain(&self) -> Option<PlainTable<'_>> {
        self.plain_table()
    }
}

/// A borrowed [`Sampler::Table`] without offset or clamps.
#[derive(Clone, Copy, Debug)]
pub struct PlainTable<'a> {
    q: &'a [f64; TABLE_BINS + 1],
    scale: f64,
    dist: &'a Dist,
}

impl Draw for PlainTable<'_> {
    #[inline(always)]
    fn draw(&self, rng: &mut FastRng) -> f64 {
        table_draw(self.q, self.scale, self.dist, rng).0
    }

    #[inline(always)]
    fn draw_with_bits(&self, rng: &mut FastRng) -> (f64, u32) {
        table_draw(self.q, self.scale, self.dist, rng)
    }

    fn as_plain(&self) -> Option<PlainTable<'_>> {
        Some(*self)
    }
}

impl Sampler {
    /// A sampler without a cache (tests, one-off use).
    pub fn new(dist: &Dist) -> Sampler {
        SamplerCache::new().sampler(dist)
    }

    /// This sampler as a [`PlainTable`], when it is a table law without transform. Its draws
    /// are identical to [`Sampler::sample`]'s, draw for draw.
    pub fn plain_table(&self) -> Option<PlainTable<'_>> {
        match self {
            Sampler::Table {
                q,
                plain: true,
                scale,
                dist,
                ..
            } => Some(PlainTable {
                q,
                scale: *scale,
                dist,
            }),
            _ => None,
        }
    }

    /// One count draw: `round(max(x, 0))`, the same value as rounding [`Sampler::sample`]'s.
    /// A discrete law without transform already draws non-negative integers (its table and
    /// its exact tail quantile both give an integer `k ≥ 0`), so the rounding is skipped.
    #[inline(always)]
    pub fn count(&self, rng: &mut FastRng) -> f64 {
        match self {
            Sampler::Discrete { plain: true, .. } => self.sample(rng),
            _ => round_pos(self.sample(rng).max(0.0)),
        }
    }

    /// True when every draw is the same value.
    pub fn is_const(&self) -> bool {
        matches!(self, Sampler::Const(_))
    }

    /// One draw and 32 random bits independent of it ([`Draw::draw_with_bits`]): from the
    /// same 64-bit draw for table laws, from the next one otherwise.
    #[inline(always)]
    pub fn sample_with_bits(&self, rng: &mut FastRng) -> (f64, u32) {
        if let Sampler::Table {
            q,
            plain,
            scale,
            offset,
            lo,
            hi,
            dist,
        } = self
        {
            let (v, bits) = table_draw(q, *scale, dist, rng);
            // max/min rather than clamp: no bounds assertion on the hot path.
            let v = if *plain {
                v
            } else {
                (v + offset).max(*lo).min(*hi)
            };
            return (v, bits);
        }
        let v = self.sample(rng);
        (v, rng.next_u64() as u32)
    }

    /// One draw.
    #[inline(always)]
    pub fn sample(&self, rng: &mut FastRng) -> f64 {
        match self {
            Sampler::Const(v) => *v,
            Sampler::Table { .. } => self.sample_with_bits(rng).0,
            Sampler::Discrete {
                cum,
                guide,
                plain,
                dist,
            } => {
                let r = rng.next_u64();
                let u = (r >> 11) as i64 as f64 * (1.0 / (1u64 << 53) as f64);
                // The guide index is the top 8 bits of the same draw: ⌊u·256⌋.
                let mut k = guide[(r >> 56) as usize] as usize;
                let last = cum.len() - 1;
                while k < last && cum[k] <= u {
                    k += 1;
                }
                if cum[k] <= u {
                    return dist.quantile(u);
                }
                let v = k as i64 as f64;
                if *plain { v } else { dist.transform(v) }
            }
            Sampler::Empirical { values, dist } => {
                let i = ((rng.next_u64() >> 11) as f64
                    * (1.0 / (1u64 << 53) as f64)
                    * values.len() as f64) as usize;
                dist.transform(values[i.min(values.len() - 1)])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kolmogorov–Smirnov statistic of a sample against a CDF.
    fn ks(mut xs: Vec<f64>, cdf: impl Fn(f64) -> f64) -> f64 {
        xs.sort_by(|a, b| a.total_cmp(b));
        let n = xs.len() as f64;
        xs.iter()
            .enumerate()
            .map(|(i, &x)| {
                let f = cdf(x);
                (f - i as f64 / n).abs().max(((i + 1) as f64 / n - f).abs())
            })
            .fold(0.0, f64::max)
    }

    #[test]
    fn table_samplers_pass_ks_tests() {
        // Critical value of D at α = 0.001 is 1.949/√n (Kolmogorov distribution).
        let n = 100_000;
        let crit = 1.949 / (n as f64).sqrt();
        let laws = [
            Dist::plain(Family::LogNormal {
                mu: 150f64.ln(),
                sigma: 0.8,
            }),
            Dist::plain(Family::LogNormal {
                mu: 400f64.ln(),
                sigma: 1.2,
            }),
            Dist::plain(Family::Gamma {
                shape: 0.6,
                scale: 300.0,
            }),
            Dist::plain(Family::Weibull {
                shape: 0.9,
                scale: 120.0,
            }),
            Dist::plain(Family::Normal { mu: 0.08, sd: 0.04 }),
            Dist::plain(Family::Beta { a: 8.0, b: 2.0 }),
            Dist::plain(Family::LogNormalGpd {
                mu: 5.0,
                sigma: 0.6,
                threshold: 350.0,
                tail: 0.08,
                xi: 0.25,
                beta: 120.0,
            }),
        ];
        for (i, d) in laws.iter().enumerate() {
            let s = Sampler::new(d);
            let mut rng = FastRng::from_seed(100 + i as u64);
            let xs: Vec<f64> = (0..n).map(|_| s.sample(&mut rng)).collect();
            let stat = ks(xs, |x| d.cdf(x));
            assert!(stat < crit, "{d:?}: D = {stat} ≥ {crit}");
        }
    }

    #[test]
    fn counts_round_exactly_as_the_samples_would() {
        // `count` skips the rounding for plain discrete laws: it must not change a draw,
        // including the exact-quantile tails (heavy NB / ZINB tails reach them often).
        let laws = [
            Dist::plain(Family::Poisson { lambda: 1.5 }),
            Dist::plain(Family::NegBin { mean: 0.9, r: 0.5 }),
            Dist::plain(Family::Zinb {
                zero: 0.77,
                mean: 1.8,
                r: 0.3,
            }),
            Dist {
                offset: 1.0,
                ..Dist::plain(Family::Poisson { lambda: 5.1 })
            },
            Dist::plain(Family::Normal { mu: 2.0, sd: 3.0 }),
        ];
        for d in &laws {
            let s = Sampler::new(d);
            let (mut a, mut b) = (FastRng::from_seed(5), FastRng::from_seed(5));
            for _ in 0..100_000 {
                let want = round_pos(s.sample(&mut a).max(0.0));
                assert_eq!(s.count(&mut b).to_bits(), want.to_bits(), "{d:?}");
            }
        }
    }

    #[test]
    fn plain_tables_draw_exactly_what_the_sampler_draws() {
        // The engine's monomorphised hot loop must not change a single draw, tails included
        // (2 of 1,024 bins: about 400 of these 200,000 draws).
        let d = Dist::plain(Family::LogNormal {
            mu: 400f64.ln(),
            sigma: 1.2,
        });
        let s = Sampler::new(&d);
        let t = s.plain_table().expect("a plain table law");
        let (mut a, mut b) = (FastRng::from_seed(3), FastRng::from_seed(3));
        for _ in 0..200_000 {
            assert_eq!(s.sample(&mut a).to_bits(), t.draw(&mut b).to_bits());
        }
        // With the spare bits too, and those bits are the low half of the table's own draw
        // (no extra generator step).
        let mut c = b.clone();
        for _ in 0..200_000 {
            let (x, bits) = s.sample_with_bits(&mut a);
            let (y, more) = t.draw_with_bits(&mut b);
            assert_eq!((x.to_bits(), bits), (y.to_bits(), more));
            let r = c.next_u64();
            if (r >> 54).wrapping_sub(1) < (TABLE_BINS - 2) as u64 {
                assert_eq!(bits, r as u32);
            } else {
                c.next_u64(); // a tail draw takes a fresh position
            }
        }
        // Laws with a transform, counts and constants are not plain tables.
        let shifted = Dist {
            offset: 1.0,
            ..d.clone()
        };
        assert!(Sampler::new(&shifted).plain_table().is_none());
        assert!(
            Sampler::new(&Dist::plain(Family::Poisson { lambda: 2.0 }))
                .plain_table()
                .is_none()
        );
    }

    #[test]
    fn table_mean_matches_closed_form() {
        // Lognormal(ln 150, 0.8): mean 150·e^0.32 = 206.57; sd of the sample mean with
        // n = 400k is 206.57·sqrt(e^0.64 − 1)/632.5 ≈ 0.31; allow 4 sd.
        let d = Dist::plain(Family::LogNormal {
            mu: 150f64.ln(),
            sigma: 0.8,
        });
        let s = Sampler::new(&d);
        let mut rng = FastRng::from_seed(5);
        let n = 400_000;
        let mean = (0..n).map(|_| s.sample(&mut rng)).sum::<f64>() / n as f64;
        let se = (d.variance() / n as f64).sqrt();
        assert!((mean - d.mean()).abs() < 4.0 * se, "{mean} vs {}", d.mean());
    }

    #[test]
    fn discrete_samplers_match_pmf() {
        // Chi-square goodness of fit on cells with expected count ≥ 5.
        for f in [
            Family::Poisson { lambda: 3.0 },
            Family::NegBin { mean: 4.0, r: 0.7 },
            Family::Zinb {
                zero: 0.3,
                mean: 5.0,
                r: 2.0,
            },
            Family::Geometric { p: 0.35 },
        ] {
            let d = Dist::plain(f.clone());
            let s = Sampler::new(&d);
            let mut rng = FastRng::from_seed(9);
            let n = 100_000usize;
            let mut counts = vec![0usize; 400];
            for _ in 0..n {
                let k = s.sample(&mut rng) as usize;
                counts[k.min(399)] += 1;
            }
            let mut chi2 = 0.0;
            let mut cells = 0;
            let mut prev = 0.0;
            for (k, &c) in counts.iter().enumerate().take(399) {
                let cdf = f.cdf(k as f64);
                let e = (cdf - prev) * n as f64;
                prev = cdf;
                if e >= 5.0 {
                    chi2 += (c as f64 - e).powi(2) / e;
                    cells += 1;
                }
            }
            // χ² with ≤ 60 d.o.f. at α = 0.001 is below 100; Wilson–Hilferty bound for df cells.
            let df = cells as f64 - 1.0;
            let crit = df * (1.0 - 2.0 / (9.0 * df) + 3.09 * (2.0 / (9.0 * df)).sqrt()).powi(3);
            assert!(chi2 < crit, "{f:?}: χ² = {chi2} ≥ {crit} ({cells} cells)");
        }
    }

    #[test]
    fn fast_rounding_matches_std() {
        for x in [
            0.0,
            0.2,
            1.0,
            1.4,
            2.49999,
            2.6,
            149.0001,
            1e12 + 0.3,
            1e15 + 0.7,
        ] {
            assert_eq!(ceil_pos(x), x.ceil(), "{x}");
            assert_eq!(round_pos(x), x.round(), "{x}");
        }
        // Ties round to even (f64::round rounds them away from zero).
        assert_eq!(
            (round_pos(0.5), round_pos(1.5), round_pos(2.5)),
            (0.0, 2.0, 2.0)
        );
    }

    #[test]
    fn transforms_apply_after_scaling() {
        let d = Dist {
            family: Family::LogNormal {
                mu: 100f64.ln(),
                sigma: 1.0,
            },
            offset: 1.0,
            min: 0.0,
            max: 50.0,
        };
        let s = Sampler::new(&d);
        let mut rng = FastRng::from_seed(1);
        for _ in 0..10_000 {
            let x = s.sample(&mut rng);
            assert!((1.0..=50.0).contains(&x));
        }
        let p = Sampler::new(&Dist {
            family: Family::Poisson { lambda: 3.0 },
            offset: 1.0,
            min: f64::NEG_INFINITY,
            max: f64::INFINITY,
        });
        let mut rng = FastRng::from_seed(2);
        let n = 100_000;
        let mean = (0..n).map(|_| p.sample(&mut rng)).sum::<f64>() / n as f64;
        assert!((mean - 4.0).abs() < 4.0 * (3.0f64 / n as f64).sqrt());
    }
}
