//! Small, dependency-free optimisers for the likelihoods in this module.
//!
//! - [`nelder_mead`]: the downhill simplex method (Nelder & Mead 1965) with the standard
//!   coefficients (reflection 1, expansion 2, contraction ½, shrink ½; Lagarias et al. 1998,
//!   "Convergence properties of the Nelder–Mead simplex method in low dimensions") and
//!   restarts from the best vertex until a restart no longer improves the value, which guards
//!   against the simplex collapsing early (Press et al., *Numerical Recipes*, §10.5).
//! - [`golden_max`]: golden-section search for a unimodal 1-D maximum on a bracket.
//! - [`newton_bisect`]: Newton's method on a root kept inside a sign-change bracket; a step
//!   that leaves the bracket or fails to halve the residual is replaced by bisection, so it
//!   always converges (Press et al., `rtsafe`).
//!
//! Objectives return NaN or +∞ outside their domain; both count as "worse than anything".

/// Result of a minimisation.
#[derive(Clone, Debug)]
pub struct Minimum {
    /// Minimiser.
    pub x: Vec<f64>,
    /// Objective at `x`.
    pub f: f64,
    /// Whether the tolerances were met before the evaluation budget ran out.
    pub converged: bool,
}

fn clean(v: f64) -> f64 {
    if v.is_nan() { f64::INFINITY } else { v }
}

/// Minimise `f` from `x0` with initial simplex steps `step` (one per coordinate).
///
/// Stops when the spread of objective values over the simplex is below `ftol` (absolute:
/// log-likelihoods are compared on an absolute scale) and every vertex lies within `xtol` of
/// the best in every coordinate, then restarts from the best vertex with the original steps
/// until the restart gains less than `ftol`.
pub fn nelder_mead<F: FnMut(&[f64]) -> f64>(
    mut f: F,
    x0: &[f64],
    step: &[f64],
    ftol: f64,
    xtol: f64,
) -> Minimum {
    let d = x0.len();
    let max_evals = 4000 * d.max(1);
    let mut evals = 0usize;
    let mut eval = |x: &[f64], evals: &mut usize| {
        *evals += 1;
        clean(f(x))
    };
    let mut best_x = x0.to_vec();
    let mut best_f = eval(&best_x, &mut evals);
    let mut converged = false;
    for _restart in 0..6 {
        // Build the simplex around the current best.
        let mut pts: Vec<Vec<f64>> = Vec::with_capacity(d + 1);
        let mut vals: Vec<f64> = Vec::with_capacity(d + 1);
        pts.push(best_x.clone());
        vals.push(best_f);
        for i in 0..d {
            let mut p = best_x.clone();
            p[i] += step[i];
            vals.push(eval(&p, &mut evals));
            pts.push(p);
        }
        let mut inner_converged = false;
        while evals < max_evals {
            // Order: best first.
            let mut idx: Vec<usize> = (0..=d).collect();
            idx.sort_by(|&a, &b| vals[a].total_cmp(&vals[b]));
            pts = idx.iter().map(|&i| pts[i].clone()).collect();
            vals = idx.iter().map(|&i| vals[i]).collect();
            let spread_f = vals[d] - vals[0];
            let spread_x = (1..=d)
                .flat_map(|j| (0..d).map(move |i| (j, i)))
                .map(|(j, i)| (pts[j][i] - pts[0][i]).abs())
                .fold(0.0, f64::max);
            if spread_f.is_finite() && spread_f <= ftol && spread_x <= xtol {
                inner_converged = true;
                break;
            }
            // Centroid of all but the worst.
            let mut c = vec![0.0; d];
            for p in &pts[..d] {
                for i in 0..d {
                    c[i] += p[i] / d as f64;
                }
            }
            let along =
                |t: f64| -> Vec<f64> { (0..d).map(|i| c[i] + t * (pts[d][i] - c[i])).collect() };
            let xr = along(-1.0);
            let fr = eval(&xr, &mut evals);
            if fr < vals[0] {
                let xe = along(-2.0);
                let fe = eval(&xe, &mut evals);
                if fe < fr {
                    pts[d] = xe;
                    vals[d] = fe;
                } else {
                    pts[d] = xr;
                    vals[d] = fr;
                }
            } else if fr < vals[d - 1] {
                pts[d] = xr;
                vals[d] = fr;
            } else {
                // Contract: outside if the reflection beat the worst, inside otherwise.
                let (xc, fc) = if fr < vals[d] {
                    let x = along(-0.5);
                    let v = eval(&x, &mut evals);
                    (x, v)
                } else {
                    let x = along(0.5);
                    let v = eval(&x, &mut evals);
                    (x, v)
                };
                if fc < vals[d].min(fr) {
                    pts[d] = xc;
                    vals[d] = fc;
                } else {
                    // Shrink towards the best vertex.
                    for j in 1..=d {
                        let p: Vec<f64> = (0..d)
                            .map(|i| pts[0][i] + 0.5 * (pts[j][i] - pts[0][i]))
                            .collect();
                        vals[j] = eval(&p, &mut evals);
                        pts[j] = p;
                    }
                }
            }
        }
        let (bi, bf) = vals
            .iter()
            .copied()
            .enumerate()
            .fold(
                (0, f64::INFINITY),
                |a, (i, v)| if v < a.1 { (i, v) } else { a },
            );
        let gain = best_f - bf;
        if bf <= best_f {
            best_f = bf;
            best_x = pts[bi].clone();
        }
        if !inner_converged {
            converged = false;
            break;
        }
        if gain.is_finite() && gain <= ftol {
            converged = true;
            break;
        }
    }
    Minimum {
        x: best_x,
        f: best_f,
        converged: converged && best_f.is_finite(),
    }
}

/// Maximise a unimodal `f` on `[a, b]` by golden-section search to a bracket narrower than
/// `tol`; returns `(x, f(x))`.
pub fn golden_max<F: FnMut(f64) -> f64>(mut f: F, mut a: f64, mut b: f64, tol: f64) -> (f64, f64) {
    const INV_PHI: f64 = 0.618_033_988_749_894_9;
    let g = |v: f64| if v.is_nan() { f64::NEG_INFINITY } else { v };
    let mut c = b - INV_PHI * (b - a);
    let mut d = a + INV_PHI * (b - a);
    let (mut fc, mut fd) = (g(f(c)), g(f(d)));
    for _ in 0..200 {
        if (b - a).abs() <= tol {
            break;
        }
        if fc >= fd {
            b = d;
            d = c;
            fd = fc;
            c = b - INV_PHI * (b - a);
            fc = g(f(c));
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + INV_PHI * (b - a);
            fd = g(f(d));
        }
    }
    if fc >= fd { (c, fc) } else { (d, fd) }
}

/// Root of `f` in `[lo, hi]`, where `f(lo)` and `f(hi)` have opposite signs; `fdf(x)` returns
/// `(f(x), f'(x))`. Returns the root and whether `|step| ≤ tol·max(1, |x|)` was reached.
pub fn newton_bisect<F: FnMut(f64) -> (f64, f64)>(
    mut fdf: F,
    mut lo: f64,
    mut hi: f64,
    x0: f64,
    tol: f64,
) -> (f64, bool) {
    let (flo, _) = fdf(lo);
    let (fhi, _) = fdf(hi);
    if !(flo.is_finite() && fhi.is_finite()) || flo.signum() == fhi.signum() {
        return ((lo + hi) / 2.0, false);
    }
    // Orient so that f(lo) < 0 < f(hi).
    if flo > 0.0 {
        std::mem::swap(&mut lo, &mut hi);
    }
    let mut x = if x0 > lo.min(hi) && x0 < lo.max(hi) {
        x0
    } else {
        (lo + hi) / 2.0
    };
    let mut dx_old = (hi - lo).abs();
    let mut dx = dx_old;
    let (mut fx, mut dfx) = fdf(x);
    for _ in 0..200 {
        let newton_leaves = ((x - hi) * dfx - fx) * ((x - lo) * dfx - fx) > 0.0;
        let slow = (2.0 * fx).abs() > (dx_old * dfx).abs();
        dx_old = dx;
        if newton_leaves || slow || !dfx.is_finite() || dfx == 0.0 {
            dx = (hi - lo) / 2.0;
            x = lo + dx;
        } else {
            dx = fx / dfx;
            x -= dx;
        }
        if dx.abs() <= tol * x.abs().max(1.0) {
            return (x, true);
        }
        let v = fdf(x);
        fx = v.0;
        dfx = v.1;
        if fx == 0.0 {
            return (x, true);
        }
        if fx < 0.0 { lo = x } else { hi = x }
    }
    (x, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nelder_mead_finds_the_rosenbrock_minimum() {
        let m = nelder_mead(
            |x| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2),
            &[-1.2, 1.0],
            &[0.5, 0.5],
            1e-14,
            1e-9,
        );
        assert!(m.converged);
        assert!(
            (m.x[0] - 1.0).abs() < 1e-5 && (m.x[1] - 1.0).abs() < 1e-5,
            "{:?}",
            m.x
        );
    }

    #[test]
    fn nelder_mead_treats_nan_as_worse() {
        // Domain x > 0 enforced by NaN; minimum of x − ln x at x = 1.
        let m = nelder_mead(
            |x| {
                if x[0] > 0.0 {
                    x[0] - x[0].ln()
                } else {
                    f64::NAN
                }
            },
            &[3.0],
            &[5.0],
            1e-14,
            1e-9,
        );
        assert!((m.x[0] - 1.0).abs() < 1e-6, "{:?}", m.x);
    }

    #[test]
    fn golden_and_newton_find_known_points() {
        let (x, _) = golden_max(|x| -(x - 0.3).powi(2), -2.0, 5.0, 1e-10);
        assert!((x - 0.3).abs() < 1e-8);
        let (r, ok) = newton_bisect(|x| (x * x - 2.0, 2.0 * x), 0.0, 5.0, 4.0, 1e-14);
        assert!(ok && (r - 2f64.sqrt()).abs() < 1e-12);
        // Decreasing function and a start outside the bracket.
        let (r, ok) = newton_bisect(
            |x| (1.0 / x - 1.0, -1.0 / (x * x)),
            0.01,
            100.0,
            500.0,
            1e-14,
        );
        assert!(ok && (r - 1.0).abs() < 1e-12, "{r}");
    }
}
