//! What drives the spread: the share of a month's bill variance that each once-per-trial
//! (epistemic) input explains on its own, estimated from the trials a run already made.
//!
//! A forecast draws every epistemic input once per trial as `quantile(u)` and keeps the
//! uniforms ([`super::Simulation::inputs`]), so the first-order Sobol index
//! `S_i = Var(E[Y | u_i]) / Var(Y)` of the month's bill `Y` can be estimated from the same
//! trials, with no extra engine runs (a *given-data* estimator; Plischke, Borgonovo & Smith
//! 2013, "Global sensitivity measures from given data", Eur. J. Oper. Res. 226, 536–550):
//! sort the trials by `u_i`, cut them into `B ≈ √N` bins of equal count, and take the
//! variance of the bins' mean bills — the correlation ratio `η² = SSB / SST`. Under no effect
//! `E[η²] = (B − 1)/(N − 1)`, so the estimate is bias-corrected as
//! `1 − (1 − η²)(N − 1)/(N − B)` (ε², Kelley 1935); its sampling standard deviation under no
//! effect is about `√(2(B − 1)) / (N − B)`, the noise floor below which an index means
//! nothing. Indices are invariant to monotone transforms of the input, so binning by `u` is
//! binning by the drawn value.
//!
//! In fast mode an input that shapes sessions is drawn per replicate, so the trials of one
//! replicate share it (and every other session-shaping input): they are not independent
//! observations of `Y` given `u_i`. The estimator therefore works on *units* — the groups of
//! trials that share one value of `u_i` (single trials in exact mode) — with the unit means
//! `Z_g`: the correlation ratio of the unit means, bias-corrected with the number of units
//! `G`, times `SSU / SST` (the share of the bill's variance between units). With one trial
//! per unit this is the estimator above.
//!
//! Compared with `billcast sensitivity` (pick-freeze Sobol, `k + 2` engine runs) this costs a
//! sort per input and gives first-order indices only (no totals, no interactions).

use serde::{Deserialize, Serialize};

use super::Simulation;
use crate::scenario::{Assumption, Origin, Scenario};

/// An index below this share is not listed as a driver, however precisely it is estimated.
pub const MIN_SHARE: f64 = 0.05;
/// At most this many drivers are listed.
pub const MAX_LISTED: usize = 5;
/// An index must exceed this many noise-floor standard deviations to be listed.
pub const NOISE_SIGMAS: f64 = 3.0;
/// Key of the fitted-workload bootstrap replicate (drawn per trial by `trial::session_sim`).
pub const REPLICATE_KEY: &str = "workload.replicate";

/// A first-order index estimated from given data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FirstOrder {
    /// Estimated `S_i` (can come out slightly below 0 or above 1 by sampling error).
    pub index: f64,
    /// Standard deviation of the estimate when the input has no effect (its noise floor).
    pub null_sd: f64,
    /// Units (groups of trials sharing one value of the input).
    pub units: usize,
    /// Bins.
    pub bins: usize,
}

/// Estimate the first-order index of an input from paired draws: `u[t]` the input's uniform
/// (or any monotone transform of its value) and `y[t]` the output of trial `t`. Pairs with a
/// NaN `u` or a non-finite `y` are skipped. `None` when fewer than 8 distinct values of the
/// input remain (a fixed input explains nothing and cannot be binned).
pub fn first_order(u: &[f64], y: &[f64]) -> Option<FirstOrder> {
    let mut pairs: Vec<(f64, f64)> = u
        .iter()
        .zip(y)
        .filter(|(a, b)| !a.is_nan() && b.is_finite())
        .map(|(a, b)| (*a, *b))
        .collect();
    let n = pairs.len();
    if n < 8 {
        return None;
    }
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mean = pairs.iter().map(|p| p.1).sum::<f64>() / n as f64;
    let sst: f64 = pairs.iter().map(|p| (p.1 - mean) * (p.1 - mean)).sum();
    // Units: runs of equal u (one trial each unless the input repeats across trials).
    let mut units: Vec<(f64, f64)> = Vec::new(); // (count, sum)
    let mut last = f64::NAN;
    for (a, b) in &pairs {
        match units.last_mut() {
            Some(unit) if *a == last => {
                unit.0 += 1.0;
                unit.1 += b;
            }
            _ => units.push((1.0, *b)),
        }
        last = *a;
    }
    let g = units.len();
    if g < 8 {
        return None;
    }
    // ~√G bins, at least 2, and at least 2 units per bin so that G − B ≥ B.
    let bins = ((g as f64).sqrt().floor() as usize).clamp(2, g / 2);
    if sst.is_nan() || sst <= 0.0 {
        return Some(FirstOrder {
            index: 0.0,
            null_sd: 0.0,
            units: g,
            bins,
        });
    }
    let mut ssu = 0.0;
    let mut bin_n = vec![0.0; bins];
    let mut bin_sum = vec![0.0; bins];
    for (i, (c, s)) in units.iter().enumerate() {
        let z = s / c;
        ssu += c * (z - mean) * (z - mean);
        let b = i * bins / g;
        bin_n[b] += c;
        bin_sum[b] += s;
    }
    let ssb: f64 = bin_n
        .iter()
        .zip(&bin_sum)
        .filter(|(c, _)| **c > 0.0)
        .map(|(c, s)| {
            let d = s / c - mean;
            c * d * d
        })
        .sum();
    let (gf, bf) = (g as f64, bins as f64);
    let between_units = ssu / sst;
    if ssu <= 0.0 {
        return Some(FirstOrder {
            index: 0.0,
            null_sd: 0.0,
            units: g,
            bins,
        });
    }
    let eta2 = ssb / ssu;
    let adjusted = 1.0 - (1.0 - eta2) * (gf - 1.0) / (gf - bf);
    Some(FirstOrder {
        index: adjusted * between_units,
        null_sd: (2.0 * (bf - 1.0)).sqrt() / (gf - bf) * between_units,
        units: g,
        bins,
    })
}

/// One input's share of the variance of a month's bill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Driver {
    /// Input key, as `billcast sensitivity` names it (e.g. `shift.count`,
    /// `workload.output_tokens.median`).
    pub key: String,
    /// First-order index: the share of the bill's variance this input explains on its own.
    pub first_order: f64,
    /// Its noise floor: the standard deviation of the estimate were the input to have no
    /// effect (larger in fast mode for inputs drawn per replicate).
    #[serde(default)]
    pub noise: f64,
    /// The assumption row (key in the assumptions table) the input comes from.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub assumption: Option<String>,
    /// Its value or distribution, as in the assumptions table.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub value: Option<String>,
    /// Where it came from: `scenario`, `override`, `fitted` or `default`.
    pub origin: String,
    /// A default of billcast, not the user's data or scenario.
    pub default_assumption: bool,
}

/// What drives the spread of one month's bill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Drivers {
    /// Month, `YYYY-MM`.
    pub month: String,
    /// Trials the indices were estimated from.
    pub trials: u64,
    /// How they were estimated.
    pub method: String,
    /// Every epistemic input, largest first-order index first.
    pub inputs: Vec<Driver>,
}

impl Drivers {
    /// The few inputs that explain most of the variance: at most [`MAX_LISTED`], each with an
    /// index of at least [`MIN_SHARE`] and [`NOISE_SIGMAS`] of its noise floors.
    pub fn top(&self) -> Vec<&Driver> {
        self.inputs
            .iter()
            .filter(|d| d.first_order >= MIN_SHARE.max(NOISE_SIGMAS * d.noise))
            .take(MAX_LISTED)
            .collect()
    }

    /// Sum of the listed drivers' indices.
    pub fn top_share(&self) -> f64 {
        self.top().iter().map(|d| d.first_order).sum()
    }
}

/// The assumption row `key` belongs to: the longest assumption key equal to it or a dotted
/// prefix of it (`workload.output_tokens` for `workload.output_tokens.median`).
fn assumption_of<'a>(s: &'a Scenario, key: &str) -> Option<&'a Assumption> {
    s.assumptions
        .iter()
        .filter(|a| key == a.key || key.starts_with(&format!("{}.", a.key)))
        .max_by_key(|a| a.key.len())
}

/// Attribute an input key to its assumption, value and origin.
fn attribute(s: &Scenario, key: &str, f: FirstOrder) -> Driver {
    let (first_order, noise) = (f.index, f.null_sd);
    let from = |a: &Assumption| Driver {
        key: key.to_string(),
        first_order,
        noise,
        assumption: Some(a.key.clone()),
        value: Some(a.value.clone()),
        origin: Origin::name(a.origin).to_string(),
        default_assumption: a.origin == Origin::Default,
    };
    if key == REPLICATE_KEY {
        return Driver {
            key: key.to_string(),
            first_order,
            noise,
            assumption: Some("workload.from".into()),
            value: s
                .fitted_from
                .as_ref()
                .map(|(p, _)| format!("bootstrap replicates of {}", p.display())),
            origin: "fitted".into(),
            default_assumption: false,
        };
    }
    // Cohort keys: `traffic.cohorts[i].workload.X…` comes from the cohort's own workload when
    // it sets X, else from the scenario's [workload]; `traffic.cohorts[i].sessions_scale` is
    // written in the cohort.
    if let Some(rest) = key.strip_prefix("traffic.cohorts[")
        && let Some((idx, tail)) = rest.split_once(']')
        && let Ok(i) = idx.parse::<usize>()
        && let Some(seg) = s.segments.get(i)
    {
        if let Some(w) = tail.strip_prefix(".workload.") {
            let own = format!("cohort.{}.{w}", seg.name);
            if let Some(a) = assumption_of(s, &own) {
                return from(a);
            }
            if let Some(a) = assumption_of(s, &format!("workload.{w}")) {
                return from(a);
            }
        } else if tail == ".sessions_scale" {
            return Driver {
                key: key.to_string(),
                first_order,
                noise,
                assumption: None,
                value: Some(seg.sessions_scale.to_string()),
                origin: "scenario".into(),
                default_assumption: false,
            };
        }
    }
    match assumption_of(s, key) {
        Some(a) => from(a),
        None => Driver {
            key: key.to_string(),
            first_order,
            noise,
            assumption: None,
            value: None,
            origin: "scenario".into(),
            default_assumption: false,
        },
    }
}

/// Estimate what drives the spread of month `month` (0-based) of `sim`, a run of `s`.
/// `None` when the month was not simulated or no input varies between trials.
pub fn drivers(s: &Scenario, sim: &Simulation, month: usize) -> Option<Drivers> {
    let y = sim.totals.get(month)?;
    let mut inputs: Vec<Driver> = sim
        .inputs
        .iter()
        .filter_map(|col| Some(attribute(s, &col.key, first_order(&col.u, y)?)))
        .collect();
    if inputs.is_empty() {
        return None;
    }
    inputs.sort_by(|a, b| b.first_order.total_cmp(&a.first_order));
    Some(Drivers {
        month: sim.months.get(month)?.to_string(),
        trials: y.len() as u64,
        method: "first-order variance shares from the forecast's own trials (correlation ratio over ~√N equal-count bins of each input's draw, bias-corrected; no extra runs)".into(),
        inputs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::FastRng;

    /// Mean and standard deviation of the index estimates of `reps` independent samples.
    fn replicate(reps: usize, mut one: impl FnMut(&mut FastRng) -> [f64; 2]) -> [(f64, f64); 2] {
        let mut rng = FastRng::from_seed(11);
        let est: Vec<[f64; 2]> = (0..reps).map(|_| one(&mut rng)).collect();
        let mut out = [(0.0, 0.0); 2];
        for (k, o) in out.iter_mut().enumerate() {
            let xs: Vec<f64> = est.iter().map(|e| e[k]).collect();
            *o = crate::stats::mean_sd(&xs);
        }
        out
    }

    /// Assert the mean of `reps` estimates is within 4 standard errors of `truth` (plus the
    /// binning bias `bias`), and that a single estimate's sd is small enough to be useful.
    fn close(name: &str, (mean, sd): (f64, f64), reps: usize, truth: f64, bias: f64) {
        let se = sd / (reps as f64).sqrt();
        assert!(
            (mean - truth).abs() <= 4.0 * se + bias,
            "{name}: mean estimate {mean:.4} vs closed form {truth:.4} (se {se:.4}, sd {sd:.4})"
        );
        assert!(sd < 0.05, "{name}: sd {sd}");
    }

    #[test]
    fn additive_model_shares_match_the_closed_form() {
        // Y = 3·X1 + X2 + ε, X ~ U(0,1), ε ~ U(−½, ½): Var = 9/12 + 1/12 + 1/12, so
        // S1 = 9/11, S2 = 1/11. Binning X1 into B bins of width 1/B loses 1/B² of its
        // variance: the bias is at most S1/B² (B = 44 here, 0.0004).
        let n = 2000;
        let reps = 200;
        let est = replicate(reps, |rng| {
            let x: Vec<[f64; 3]> = (0..n)
                .map(|_| [rng.uniform(), rng.uniform(), rng.uniform() - 0.5])
                .collect();
            let y: Vec<f64> = x.iter().map(|x| 3.0 * x[0] + x[1] + x[2]).collect();
            let u1: Vec<f64> = x.iter().map(|x| x[0]).collect();
            let u2: Vec<f64> = x.iter().map(|x| x[1]).collect();
            [
                first_order(&u1, &y).unwrap().index,
                first_order(&u2, &y).unwrap().index,
            ]
        });
        close("S1", est[0], reps, 9.0 / 11.0, 9.0 / 11.0 / 44.0f64.powi(2));
        close("S2", est[1], reps, 1.0 / 11.0, 1.0 / 11.0 / 44.0f64.powi(2));
    }

    #[test]
    fn product_model_shares_match_the_closed_form() {
        // Y = X1·X2 with X ~ U(0,1): E[Y|X1] = X1/2, Var = 1/48; Var(Y) = 1/9 − 1/16 = 7/144,
        // so S1 = S2 = 3/7 and the interaction holds the remaining 1/7.
        let n = 2000;
        let reps = 200;
        let est = replicate(reps, |rng| {
            let x: Vec<[f64; 2]> = (0..n).map(|_| [rng.uniform(), rng.uniform()]).collect();
            let y: Vec<f64> = x.iter().map(|x| x[0] * x[1]).collect();
            let u1: Vec<f64> = x.iter().map(|x| x[0]).collect();
            let u2: Vec<f64> = x.iter().map(|x| x[1]).collect();
            [
                first_order(&u1, &y).unwrap().index,
                first_order(&u2, &y).unwrap().index,
            ]
        });
        let bias = 3.0 / 7.0 / 44.0f64.powi(2);
        close("S1", est[0], reps, 3.0 / 7.0, bias);
        close("S2", est[1], reps, 3.0 / 7.0, bias);
    }

    #[test]
    fn an_input_without_effect_scores_zero_within_its_noise_floor() {
        let n = 2000;
        let reps = 200;
        let mut floor = 0.0;
        let est = replicate(reps, |rng| {
            let x: Vec<[f64; 2]> = (0..n).map(|_| [rng.uniform(), rng.uniform()]).collect();
            let y: Vec<f64> = x.iter().map(|x| (5.0 * x[0]).exp()).collect();
            let u2: Vec<f64> = x.iter().map(|x| x[1]).collect();
            let f = first_order(&u2, &y).unwrap();
            floor = f.null_sd;
            [f.index, f.null_sd]
        });
        let (mean, sd) = est[0];
        assert!(
            mean.abs() <= 4.0 * sd / (reps as f64).sqrt(),
            "null mean {mean} sd {sd}"
        );
        // The stated noise floor is the estimator's sd under no effect (within 25%, the
        // χ² approximation for a heavy-tailed Y).
        assert!((sd / floor - 1.0).abs() < 0.25, "sd {sd} vs floor {floor}");
    }

    #[test]
    fn shared_draws_are_units_not_independent_trials() {
        // Fast mode: 200 replicates of 40 trials each. X2 is drawn per replicate and drives
        // most of Y; X3 is drawn per replicate and does nothing. Treating the 8,000 trials as
        // independent would credit X3 with a share of X2's effect (bins of ~2 replicates
        // carry their replicates' X2); the unit-level estimator gives it ~0 and recovers
        // X2's share. Y = 4·X2 + X1 + ε: S2 = 16/18, S1 = 1/18 (X1 drawn per trial).
        let (groups, per) = (200, 40);
        let reps = 100;
        let mut naive_null = Vec::new();
        let est = replicate(reps, |rng| {
            let rep: Vec<[f64; 2]> = (0..groups)
                .map(|_| [rng.uniform(), rng.uniform()])
                .collect();
            let mut u2 = Vec::new();
            let mut u3 = Vec::new();
            let mut u3_split = Vec::new();
            let mut y = Vec::new();
            for t in 0..groups * per {
                let r = rep[t % groups];
                let x1 = rng.uniform();
                let e = rng.uniform();
                u2.push(r[0]);
                u3.push(r[1]);
                // The same draw made distinct per trial: what a trial-level estimator sees.
                u3_split.push(r[1] + t as f64 * 1e-12);
                y.push(4.0 * r[0] + x1 + e);
            }
            naive_null.push(first_order(&u3_split, &y).unwrap().index);
            [
                first_order(&u2, &y).unwrap().index,
                first_order(&u3, &y).unwrap().index,
            ]
        });
        // 200 units in 14 bins: the binning bias is S2/14² = 0.0045.
        close("S2", est[0], reps, 16.0 / 18.0, 16.0 / 18.0 / 196.0);
        close("S3", est[1], reps, 0.0, 0.0);
        // Without the grouping, the idle input would be credited with a large share.
        let (naive_mean, _) = crate::stats::mean_sd(&naive_null);
        assert!(naive_mean > 0.2, "trial-level estimate {naive_mean}");
    }

    #[test]
    fn fixed_inputs_and_constant_outputs_are_handled() {
        assert!(first_order(&[0.5; 100], &[1.0; 100]).is_none());
        let u: Vec<f64> = (0..100).map(|i| i as f64 / 100.0).collect();
        let f = first_order(&u, &[3.0; 100]).unwrap();
        assert_eq!(f.index, 0.0);
        assert!(first_order(&u[..5], &[1.0; 5]).is_none());
    }
}
