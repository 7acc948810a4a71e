//! What a scenario may ask for, checked when it is loaded, before anything is allocated or
//! simulated: trials, token sizes, counts per session, monthly volume and its growth, and
//! multipliers that would silently zero the bill. Each limit is documented in
//! `scenarios/README.md`; an input beyond one is a usage error naming the key, its line and
//! the limit, never a run that reports NaN or never finishes.
//!
//! Every uncertain number is measured by [`Uncertain::bounds`]: its 99.9th percentile and mean
//! with uncertain parameters at their own 0.1st, 50th and 99.9th percentiles.

use crate::dist::{Domain, Uncertain};
use crate::units::{Month, format_count};

use super::{Scenario, Volume};

/// Largest window (turns) the `window` context policy keeps: the engine's session loop holds
/// the last turns in a fixed array of this length.
pub const WINDOW_MAX: usize = 64;

/// Fewest trials: percentiles of fewer worlds mean nothing.
pub const MIN_TRIALS: u64 = 10;

/// Most trials of one run. Memory grows with trials × months: a run keeps, per trial and
/// month, the bill and its breakdown while the trials finish (~200 bytes: total, seven
/// components, the routes, eleven volume counters) plus the per-trial totals and volumes of
/// the result (~100 bytes), about 300 bytes. Measured: `billcast forecast
/// scenarios/support-bot.toml` (12 months) peaks at 85 MB with 20,000 trials and 374 MB with
/// 100,000, i.e. (374 − 85) MB / 80,000 trials / 12 months = 301 bytes per trial-month.
/// 1,000,000 trials of a 12-month horizon is then 3.6 GB.
pub const MAX_TRIALS: u64 = 1_000_000;

/// Measured memory of one trial-month, bytes (see [`MAX_TRIALS`]).
pub const BYTES_PER_TRIAL_MONTH: u64 = 300;

/// Most trials × months of one run: 12,000,000 × 300 bytes = 3.6 GB, the same memory as
/// [`MAX_TRIALS`] over 12 months (a 120-month horizon allows 100,000 trials).
pub const MAX_TRIAL_MONTHS: u64 = 12_000_000;

/// Largest token size of one message, tool result, system prompt or call input/output
/// (mean and 99.9th percentile), reference tokens: 10⁸, a hundred times the largest context
/// window of any bundled model.
pub const MAX_TOKENS: f64 = 1e8;

/// Largest 99.9th percentile of user turns per session.
pub const MAX_TURNS_PER_SESSION: f64 = 1_000.0;

/// Largest 99.9th percentile of tool-call rounds per turn.
pub const MAX_TOOL_ROUNDS_PER_TURN: f64 = 1_000.0;

/// Largest 99.9th percentile of tool calls per round.
pub const MAX_TOOL_CALLS_PER_ROUND: f64 = 1_000.0;

/// Largest mean number of model calls per session in the median world,
/// `E[turns] × (1 + E[tool rounds per turn])`. Fast mode simulates a pilot of about 10⁶
/// sessions per cohort, so this bounds the pilot at 5·10⁹ calls (a few minutes at the
/// engine's ~25 ns per call).
pub const MAX_CALLS_PER_SESSION: f64 = 5_000.0;

/// Largest number of model calls an exact-mode run may simulate (expected sessions across all
/// months and trials × calls per session): about 40 minutes of CPU at ~25 ns per call. Auto
/// mode stays far below it (it picks exact only up to 5·10⁶ sessions).
pub const EXACT_CALL_BUDGET: f64 = 1e11;

/// Largest number of sessions (or requests) in any month, with every volume input, cohort
/// scale, `shift.volume`, growth and seasonality at its 99.9th percentile: 10¹², far above
/// any real product, and small enough that counts stay exact integers and bills finite.
pub const MAX_MONTHLY_SESSIONS: f64 = 1e12;

/// Largest 99.9th percentile of the `shift.size` and `shift.count` multipliers.
pub const MAX_SHIFT: f64 = 100.0;

/// Largest tokenizer ratio of a route (model tokens per reference token).
pub const MAX_TOKENIZER_RATIO: f64 = 10.0;

/// Largest output-length multiplier of a route.
pub const MAX_OUTPUT_SCALE: f64 = 100.0;

/// Check a number of trials against [`MIN_TRIALS`], [`MAX_TRIALS`] and, when the horizon is
/// known, [`MAX_TRIAL_MONTHS`]. The message says what to write.
pub fn check_trials(trials: u64, horizon_months: Option<u32>) -> Result<(), String> {
    if trials < MIN_TRIALS {
        return Err(format!(
            "{trials} trials: use at least {MIN_TRIALS} (10,000 for stable P99s)"
        ));
    }
    if trials > MAX_TRIALS {
        return Err(format!(
            "{} trials: at most {} (memory grows by about {BYTES_PER_TRIAL_MONTH} bytes per trial and month forecast)",
            format_count(trials as f64),
            format_count(MAX_TRIALS as f64)
        ));
    }
    if let Some(h) = horizon_months
        && trials.saturating_mul(u64::from(h)) > MAX_TRIAL_MONTHS
    {
        return Err(format!(
            "{} trials × {h} months is more than {} trial-months (about {BYTES_PER_TRIAL_MONTH} bytes each, {:.1} GB); use at most {} trials for {h} months",
            format_count(trials as f64),
            format_count(MAX_TRIAL_MONTHS as f64),
            (MAX_TRIAL_MONTHS * BYTES_PER_TRIAL_MONTH) as f64 / 1e9,
            format_count((MAX_TRIAL_MONTHS / u64::from(h.max(1))) as f64)
        ));
    }
    Ok(())
}

/// A seed as written in `[simulation] seed`: a TOML integer (0 to 2⁶³ − 1) or, for the
/// whole u64 range, a string of decimal digits.
pub fn parse_seed(v: &toml::Value) -> Result<u64, String> {
    let how = "write a whole number from 0 to 18446744073709551615; seeds above 9223372036854775807 (TOML's largest integer) go in quotes, e.g. seed = \"18446744073709551615\"";
    match v {
        toml::Value::Integer(i) => u64::try_from(*i).map_err(|_| format!("{i} is negative; {how}")),
        toml::Value::String(s) => s
            .trim()
            .replace('_', "")
            .parse::<u64>()
            .map_err(|_| format!("\"{s}\" is not a seed; {how}")),
        other => Err(format!("a {} is not a seed; {how}", other.type_str())),
    }
}

/// The `--set` override that puts `seed` into a scenario: an integer up to 2⁶³ − 1, a quoted
/// string above (TOML integers are 64-bit signed).
pub fn seed_override(seed: u64) -> String {
    if i64::try_from(seed).is_ok() {
        format!("simulation.seed={seed}")
    } else {
        format!("simulation.seed=\"{seed}\"")
    }
}

/// A multiplier whose value 0 would zero part or all of the bill, and what it zeroes.
fn zeroes(key: &str) -> Option<&'static str> {
    if key == "shift.size" {
        Some("every token size, so every call would cost $0")
    } else if key == "shift.count" {
        Some("turns per session, so every session would make no calls and cost $0")
    } else if key == "shift.volume" {
        Some("the monthly volume, so the bill would be $0")
    } else if key.ends_with(".sessions_scale") {
        Some("this cohort's sessions, so its share of the bill would be $0")
    } else {
        None
    }
}

/// The magnitude limit of a key (by its last part) and its unit.
fn limit(key: &str) -> Option<(f64, &'static str)> {
    let last = key.rsplit('.').next().unwrap_or(key);
    match last {
        "system_prompt_tokens"
        | "user_message_tokens"
        | "output_tokens"
        | "reasoning_tokens"
        | "tool_result_tokens"
        | "input_tokens" => Some((MAX_TOKENS, "tokens")),
        "turns_per_session" => Some((MAX_TURNS_PER_SESSION, "turns per session")),
        "tool_rounds_per_turn" => Some((MAX_TOOL_ROUNDS_PER_TURN, "tool rounds per turn")),
        "tool_calls_per_round" => Some((MAX_TOOL_CALLS_PER_ROUND, "tool calls per round")),
        _ if key == "shift.size" || key == "shift.count" => Some((MAX_SHIFT, "×")),
        _ => None,
    }
}

/// Check one uncertain input against its key's limits: its magnitude ([`limit`]) and, for a
/// multiplier, that it is not always 0. Called for every uncertain key of a scenario.
pub(crate) fn check_key(u: &Uncertain, key: &str) -> Result<(), String> {
    let zero = zeroes(key);
    let lim = limit(key);
    if zero.is_none() && lim.is_none() {
        return Ok(());
    }
    let b = u.bounds(key, Domain::NonNegative).map_err(|e| e.message)?;
    if let Some(what) = zero
        && b.high <= 0.0
    {
        return Err(format!(
            "is always 0, which multiplies {what}; write 1 for no change, or remove the key"
        ));
    }
    if let Some((max, unit)) = lim {
        let over = [(b.high, "99.9th percentile"), (b.mean, "mean")]
            .into_iter()
            .find(|(x, _)| x.is_nan() || *x > max);
        if let Some((x, what)) = over {
            return Err(format!(
                "its {what} is {} {unit}, above the limit of {} {unit}; check the number and its unit (see scenarios/README.md, \"Limits\")",
                fmt(x),
                fmt(max)
            ));
        }
    }
    Ok(())
}

/// Check the seasonality of the months forecast: at least one of them must have volume.
pub(crate) fn check_seasonality(
    season: &[f64; 12],
    start: Month,
    horizon: u32,
) -> Result<(), String> {
    let all_zero = (0..horizon).all(|i| season[usize::from(start.plus(i as i32).month) - 1] == 0.0);
    if all_zero {
        return Err(format!(
            "is 0 in every month forecast ({} to {}), so the bill would be $0; give those months a multiplier > 0",
            start,
            start.plus(horizon as i32 - 1)
        ));
    }
    Ok(())
}

/// Whole-scenario limits: the monthly volume (with growth) and the calls per session.
/// Returns the key to blame and the message.
pub(crate) fn check_scenario(s: &Scenario) -> Result<(), (String, String)> {
    check_volume(s)?;
    for (i, seg) in s.segments.iter().enumerate() {
        let calls = calls_per_session(&seg.workload);
        if calls.is_nan() || calls > MAX_CALLS_PER_SESSION {
            let key = if s.segments.len() > 1 {
                format!("traffic.cohorts[{i}].workload.turns_per_session")
            } else {
                "workload.turns_per_session".to_string()
            };
            return Err((
                key,
                format!(
                    "a session makes {} model calls on average (turns × (1 + tool rounds per turn)), above the limit of {}; a run would take hours — check turns_per_session and tool_rounds_per_turn",
                    fmt(calls),
                    fmt(MAX_CALLS_PER_SESSION)
                ),
            ));
        }
    }
    Ok(())
}

/// Mean model calls per session of a workload in the median world:
/// `E[turns] × (1 + E[tool rounds per turn])`.
pub fn calls_per_session(w: &super::Workload) -> f64 {
    let mean = |u: &Uncertain, key: &str| {
        u.resolve_median(key, Domain::NonNegative)
            .map_or(f64::NAN, |d| d.mean())
    };
    mean(&w.turns_per_session, "turns_per_session")
        * (1.0 + mean(&w.tool_rounds_per_turn, "tool_rounds_per_turn"))
}

/// Mean model calls per session of a scenario, weighted by cohort share.
pub fn scenario_calls_per_session(s: &Scenario) -> f64 {
    s.segments
        .iter()
        .map(|seg| seg.share * calls_per_session(&seg.workload))
        .sum()
}

fn check_volume(s: &Scenario) -> Result<(), (String, String)> {
    let high = |u: &Uncertain, key: &str| -> Result<f64, (String, String)> {
        let b = u
            .bounds(key, Domain::NonNegative)
            .map_err(|e| (key.to_string(), e.message))?;
        Ok(b.high.max(b.mean))
    };
    let (base, key) = match &s.volume {
        Volume::Users {
            users,
            sessions_per_user,
        } => (
            high(users, "traffic.monthly_active_users")?
                * high(sessions_per_user, "traffic.sessions_per_user")?,
            "traffic.monthly_active_users",
        ),
        Volume::Sessions(v) => (
            high(v, "traffic.sessions_per_month")?,
            "traffic.sessions_per_month",
        ),
        Volume::Requests(v) => (
            high(v, "traffic.requests_per_month")?,
            "traffic.requests_per_month",
        ),
    };
    let mut scale = 0.0;
    for (i, seg) in s.segments.iter().enumerate() {
        scale += seg.share
            * high(
                &seg.sessions_scale,
                &format!("traffic.cohorts[{i}].sessions_scale"),
            )?;
    }
    let shift = high(&s.shift.volume, "shift.volume")?;
    let first = base * scale.max(1.0) * shift;
    let growth = s
        .monthly_growth
        .bounds("traffic.monthly_growth", Domain::Real)
        .map_err(|e| ("traffic.monthly_growth".to_string(), e.message))?
        .high
        .max(0.0);
    for (i, m) in s.months().into_iter().enumerate() {
        let season = s.seasonality[usize::from(m.month) - 1];
        let without_growth = first * season;
        let with_growth = without_growth * (1.0 + growth).powi(i as i32);
        if without_growth > MAX_MONTHLY_SESSIONS || without_growth.is_nan() {
            return Err((
                key.to_string(),
                format!(
                    "the volume reaches {} sessions in {m} (at the 99.9th percentile of the volume inputs, cohort scales, shift.volume and seasonality), above the limit of {} per month; check the number and its unit",
                    fmt(without_growth),
                    fmt(MAX_MONTHLY_SESSIONS)
                ),
            ));
        }
        if with_growth.is_nan() || with_growth > MAX_MONTHLY_SESSIONS {
            return Err((
                "traffic.monthly_growth".to_string(),
                format!(
                    "growth of {:+.1}%/month (its 99.9th percentile) compounds the volume past {} sessions per month in {m}, month {} of the horizon; lower the growth or the horizon",
                    growth * 100.0,
                    fmt(MAX_MONTHLY_SESSIONS),
                    i + 1
                ),
            ));
        }
    }
    Ok(())
}

/// A number for a message: grouped digits up to 10¹⁵, scientific beyond.
fn fmt(x: f64) -> String {
    if x.is_finite() && x.abs() < 1e15 {
        format_count(x)
    } else {
        format!("{x:.3e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trials_limits_name_the_bound_and_the_arithmetic() {
        assert!(check_trials(10, Some(120)).is_ok());
        assert!(check_trials(MAX_TRIALS, Some(12)).is_ok());
        assert!(check_trials(9, None).unwrap_err().contains("at least 10"));
        let e = check_trials(1_000_000_000, None).unwrap_err();
        assert!(e.contains("at most 1,000,000"), "{e}");
        let e = check_trials(200_000, Some(120)).unwrap_err();
        assert!(e.contains("at most 100,000 trials for 120 months"), "{e}");
    }

    #[test]
    fn seeds_cover_the_whole_u64_range() {
        assert_eq!(parse_seed(&toml::Value::Integer(42)), Ok(42));
        assert_eq!(
            parse_seed(&toml::Value::String("18446744073709551615".into())),
            Ok(u64::MAX)
        );
        assert!(
            parse_seed(&toml::Value::Integer(-1))
                .unwrap_err()
                .contains("negative")
        );
        assert!(
            parse_seed(&toml::Value::String("18446744073709551616".into()))
                .unwrap_err()
                .contains("in quotes")
        );
        assert_eq!(seed_override(7), "simulation.seed=7");
        assert_eq!(
            seed_override(u64::MAX),
            "simulation.seed=\"18446744073709551615\""
        );
        // The override round-trips through TOML to the same seed.
        let doc: toml::Table = toml::from_str(&format!(
            "[simulation]\nseed = {}",
            seed_override(u64::MAX).split_once('=').unwrap().1
        ))
        .unwrap();
        assert_eq!(parse_seed(&doc["simulation"]["seed"]), Ok(u64::MAX));
    }

    #[test]
    fn key_limits_catch_absurd_sizes_counts_and_zero_multipliers() {
        let fixed = Uncertain::Fixed;
        assert!(check_key(&fixed(5000.0), "workload.output_tokens").is_ok());
        let e = check_key(&fixed(1e308), "workload.output_tokens").unwrap_err();
        assert!(e.contains("above the limit of 100,000,000 tokens"), "{e}");
        assert!(check_key(&fixed(10_000.0), "workload.turns_per_session").is_err());
        let e = check_key(&fixed(0.0), "shift.count").unwrap_err();
        assert!(e.contains("always 0") && e.contains("turns"), "{e}");
        assert!(check_key(&fixed(0.0), "shift.size").is_err());
        assert!(check_key(&fixed(0.0), "shift.volume").is_err());
        assert!(check_key(&fixed(0.0), "traffic.cohorts[1].sessions_scale").is_err());
        // A zero that is not a multiplier of the bill is fine.
        assert!(check_key(&fixed(0.0), "workload.tool_rounds_per_turn").is_ok());
        // A Poisson mean of 10²⁰ turns has a 99.9th percentile far above the limit.
        let t: toml::Table = toml::from_str("v = { dist = \"poisson\", mean = 1e20 }").unwrap();
        let u = Uncertain::from_toml(&t["v"]).unwrap();
        let e = check_key(&u, "workload.turns_per_session").unwrap_err();
        assert!(e.contains("99.9th percentile"), "{e}");
    }

    #[test]
    fn seasonality_of_zero_in_every_forecast_month_is_an_error() {
        let mut s = [1.0; 12];
        s[0] = 0.0;
        let jan = Month {
            year: 2027,
            month: 1,
        };
        assert!(check_seasonality(&s, jan, 1).is_err());
        assert!(check_seasonality(&s, jan, 2).is_ok());
        assert!(check_seasonality(&[0.0; 12], jan, 12).is_err());
    }
}
