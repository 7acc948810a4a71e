//! The cost model of one trial: draw every overhead input once per trial, then price each
//! strategy month by month from the engine's token bills and the simulated outages.
//!
//! Per strategy and month (`T` = 730 h, `π` = share of traffic pinned to the primary):
//!
//! | term | single | degraded | failover / active-active (secondary share `s`) |
//! |---|---|---|---|
//! | tokens | `B₁·(1 − D₁/T)` | `+ B₁·f·c·W/T` | `B₁·h₁/T + B₂·h₂/T` (hours served by each) |
//! | evals | `n·r·cost₁` | same | `n·r·(cost₁ + cost₂)` |
//! | people hours | 0 | `build/N + upkeep` | `k·h·(1−π) + cal + rec·T/168 + drift + inc·oncall` |
//! | unavailable hours | `D₁` | `D₁ − c·W` | `wA·uA + wB·uB + π·D₁` |
//!
//! with `B₁, B₂` the month's token bill if all traffic went to the primary / secondary
//! (engine runs), `D₁` hours the primary is down, `W` the degraded window (unshared primary
//! outages after detection), `c` coverage, `f` the token cost factor, `n` cases, `r` runs,
//! `k` prompt changes, `h` hours per change on the extra path, `wA = (1−π)(1−s)`,
//! `wB = (1−π)s`, `uA = both down + primary detection while the secondary is up`, `uB`
//! symmetric. People costs count only the hours a strategy **adds** to running one provider
//! (the single-provider team's own prompt work is the same in every strategy, so it cancels
//! in every comparison and would only blur the multiplier). Traffic that is not served is
//! not billed (failed calls are not charged).
//!
//! Downtime cost = `cost per hour × (unavailable hours + penalty × hours served in a
//! degraded or failed-over state)`, linear in the cost per hour, which is what makes the
//! break-even solvable in closed form.

use serde::{Deserialize, Serialize};

use super::outage::{MonthOutage, OutageParams, Process};
use crate::dist::rng::{hash_key, key_uniform};
use crate::dist::{Dist, DistError, Domain, FastRng, Uncertain};
use crate::scenario::overhead::{
    HOURS_PER_MONTH, OutageRate, OutageSpec, OverheadSpec, Strategy, WEEKS_PER_MONTH,
};

/// Human hours per month by activity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct PeopleHours {
    /// The extra PR per prompt change on the second path.
    pub prompt: f64,
    /// Calibration / parity upkeep of the extra provider.
    pub calibration: f64,
    /// Reconciling divergent regression reports.
    pub reconciliation: f64,
    /// Staging/fallback config-drift incidents.
    pub config_drift: f64,
    /// On-call for failover incidents.
    pub on_call: f64,
    /// Degraded-mode build, amortised.
    pub degraded_build: f64,
    /// Degraded-mode testing and upkeep.
    pub degraded_upkeep: f64,
}

impl PeopleHours {
    /// Sum of all activities.
    pub fn total(&self) -> f64 {
        self.prompt
            + self.calibration
            + self.reconciliation
            + self.config_drift
            + self.on_call
            + self.degraded_build
            + self.degraded_upkeep
    }

    fn add_scaled(&mut self, o: &PeopleHours, k: f64) {
        self.prompt += o.prompt * k;
        self.calibration += o.calibration * k;
        self.reconciliation += o.reconciliation * k;
        self.config_drift += o.config_drift * k;
        self.on_call += o.on_call * k;
        self.degraded_build += o.degraded_build * k;
        self.degraded_upkeep += o.degraded_upkeep * k;
    }
}

/// One strategy in one month of one trial (or a mean of such).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Ledger {
    /// Token spend, USD.
    pub tokens: f64,
    /// Eval token spend, USD.
    pub evals: f64,
    /// People cost, USD.
    pub people: f64,
    /// Downtime cost, USD.
    pub downtime: f64,
    /// Traffic-weighted hours with requests unserved.
    pub unavailable_hours: f64,
    /// Hours the downtime cost applies to: unserved hours plus quality penalty × hours
    /// served degraded or by the other provider.
    pub downtime_cost_hours: f64,
    /// People hours by activity.
    pub hours: PeopleHours,
    /// Eval wall-clock hours.
    pub eval_wall_hours: f64,
    /// Incidents that page someone (failover strategies).
    pub incidents: f64,
    /// Token spend on the secondary, USD (part of `tokens`).
    pub secondary_tokens: f64,
}

impl Ledger {
    /// Tokens + evals + people: everything but downtime, USD.
    pub fn spend(&self) -> f64 {
        self.tokens + self.evals + self.people
    }

    /// Total cost of ownership, USD.
    pub fn tco(&self) -> f64 {
        self.spend() + self.downtime
    }

    /// `self += o × k`.
    pub fn add_scaled(&mut self, o: &Ledger, k: f64) {
        self.tokens += o.tokens * k;
        self.evals += o.evals * k;
        self.people += o.people * k;
        self.downtime += o.downtime * k;
        self.unavailable_hours += o.unavailable_hours * k;
        self.downtime_cost_hours += o.downtime_cost_hours * k;
        self.hours.add_scaled(&o.hours, k);
        self.eval_wall_hours += o.eval_wall_hours * k;
        self.incidents += o.incidents * k;
        self.secondary_tokens += o.secondary_tokens * k;
    }
}

/// Degraded-mode inputs of one trial.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DegradedDraws {
    /// Share of outage-time traffic served.
    pub coverage: f64,
    /// Share of an outage hour's cost still lost per degraded hour.
    pub quality_penalty: f64,
    /// × primary token cost per degraded request.
    pub token_cost_factor: f64,
    /// Build hours.
    pub build_hours: f64,
    /// Amortisation months.
    pub amortize_months: f64,
    /// Upkeep hours per month.
    pub upkeep_hours: f64,
}

/// Eval inputs of one trial.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EvalDraws {
    /// Cases per suite.
    pub cases: f64,
    /// Runs per month per path.
    pub runs: f64,
    /// Input tokens per case.
    pub input_tokens: f64,
    /// Output tokens per case.
    pub output_tokens: f64,
    /// Wall hours per run on one path.
    pub wall_hours: f64,
    /// × wall time with two paths.
    pub wall_multiplier: f64,
}

/// People inputs of one trial.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PeopleDraws {
    /// Prompt changes per month.
    pub prompt_changes: f64,
    /// Hours per change on the extra path.
    pub hours_per_change: f64,
    /// Calibration hours per month per extra provider.
    pub calibration: f64,
    /// Reconciliation hours per week.
    pub reconciliation_per_week: f64,
    /// Config-drift probability per month.
    pub drift_probability: f64,
    /// Hours per drift incident.
    pub drift_hours: f64,
    /// On-call hours per failover incident.
    pub on_call_hours: f64,
}

/// Every overhead input of one trial.
#[derive(Debug, Clone)]
pub struct TrialDraws {
    /// USD per engineer hour.
    pub hourly_usd: f64,
    /// USD per hour of full unavailability.
    pub downtime_usd_per_hour: f64,
    /// Primary uptime (drawn, or implied by its incident rate).
    pub primary_uptime: f64,
    /// Secondary uptime (drawn or implied), if any.
    pub secondary_uptime: Option<f64>,
    /// Outage intensities `μ = λ·E[d]/730`: common cause, primary only, secondary only.
    pub mu: [f64; 3],
    /// Whether the secondary-only intensity had to be clamped at 0 (its outages are fewer
    /// than the common-cause share of the primary's).
    pub secondary_clamped: bool,
    /// The outage processes.
    pub outages: OutageParams,
    /// Degraded mode.
    pub degraded: DegradedDraws,
    /// Quality penalty on failover-served traffic.
    pub failover_quality_penalty: f64,
    /// Active-active share on the secondary.
    pub active_active_share: f64,
    /// Evals.
    pub evals: EvalDraws,
    /// People.
    pub people: PeopleDraws,
    /// Pinned share at start, end, and ramp months.
    pub decay: [f64; 3],
}

/// Draw one provider's incident rate (per month), durations and implied uptime.
fn draw_provider(
    o: &OutageSpec,
    prefix: &str,
    u: &mut dyn FnMut(&str) -> f64,
) -> Result<(f64, Dist, f64), DistError> {
    let dur = o
        .hours
        .resolve(&format!("{prefix}.outage_hours"), Domain::Positive, u)?;
    let mean = dur.mean();
    let (rate, uptime) = match &o.rate {
        OutageRate::Uptime(a) => {
            let a = a.draw(&format!("{prefix}.uptime"), Domain::Probability, u)?;
            let mu = -a.ln();
            (mu * HOURS_PER_MONTH / mean, a)
        }
        OutageRate::PerMonth(r) => {
            let l = r.draw(
                &format!("{prefix}.outages_per_month"),
                Domain::NonNegative,
                u,
            )?;
            (l, (-l * mean / HOURS_PER_MONTH).exp())
        }
    };
    Ok((rate, dur, uptime))
}

fn draw(
    u: &Uncertain,
    key: &str,
    d: Domain,
    f: &mut dyn FnMut(&str) -> f64,
) -> Result<f64, DistError> {
    u.draw(key, d, f)
}

impl TrialDraws {
    /// Draw every input of trial `trial`; each key `k` uses `key_uniform(seed, trial, k)`,
    /// the engine's convention, so trials line up with the engine's worlds.
    pub fn draw(spec: &OverheadSpec, seed: u64, trial: u64) -> Result<TrialDraws, DistError> {
        let mut u = |k: &str| key_uniform(seed, trial, k);
        use Domain::{NonNegative, Positive, Probability};
        let (l1, d1, a1) = draw_provider(&spec.primary, "overhead.providers.primary", &mut u)?;
        let mean1 = d1.mean();
        let mu1 = l1 * mean1 / HOURS_PER_MONTH;
        let detection_hours = draw(
            &spec.detection_minutes,
            "overhead.detection_minutes",
            NonNegative,
            &mut u,
        )? / 60.0;
        let degraded_shared = draw(
            &spec.degraded.shares_primary_outages,
            "overhead.degraded.shares_primary_outages",
            Probability,
            &mut u,
        )?;
        let (outages, secondary_uptime, mu, clamped) = match &spec.secondary {
            None => (
                OutageParams {
                    common: Process {
                        rate_per_month: 0.0,
                        duration: d1.clone(),
                    },
                    primary_only: Process {
                        rate_per_month: l1,
                        duration: d1,
                    },
                    secondary_only: None,
                    detection_hours,
                    degraded_shared,
                },
                None,
                [0.0, mu1, 0.0],
                false,
            ),
            Some(sec) => {
                let (l2, d2, a2) =
                    draw_provider(&sec.outages, "overhead.providers.secondary", &mut u)?;
                let beta = draw(
                    &sec.common_cause_share,
                    "overhead.providers.secondary.common_cause_share",
                    Probability,
                    &mut u,
                )?;
                let mean2 = d2.mean();
                let mu2 = l2 * mean2 / HOURS_PER_MONTH;
                let mu_c = beta * mu1;
                let mu_s_raw = mu2 - mu_c;
                let mu_s = mu_s_raw.max(0.0);
                (
                    OutageParams {
                        common: Process {
                            rate_per_month: beta * l1,
                            duration: d1.clone(),
                        },
                        primary_only: Process {
                            rate_per_month: (1.0 - beta) * l1,
                            duration: d1,
                        },
                        secondary_only: Some(Process {
                            rate_per_month: mu_s * HOURS_PER_MONTH / mean2,
                            duration: d2,
                        }),
                        detection_hours,
                        degraded_shared,
                    },
                    Some(a2),
                    [mu_c, (1.0 - beta) * mu1, mu_s],
                    mu_s_raw < -1e-12,
                )
            }
        };
        let g = &spec.degraded;
        let degraded = DegradedDraws {
            coverage: draw(
                &g.coverage,
                "overhead.degraded.coverage",
                Probability,
                &mut u,
            )?,
            quality_penalty: draw(
                &g.quality_penalty,
                "overhead.degraded.quality_penalty",
                Probability,
                &mut u,
            )?,
            token_cost_factor: draw(
                &g.token_cost_factor,
                "overhead.degraded.token_cost_factor",
                NonNegative,
                &mut u,
            )?,
            build_hours: draw(
                &g.build_hours,
                "overhead.degraded.build_hours",
                NonNegative,
                &mut u,
            )?,
            amortize_months: draw(
                &g.amortize_months,
                "overhead.degraded.amortize_months",
                Positive,
                &mut u,
            )?,
            upkeep_hours: draw(
                &g.upkeep_hours_per_month,
                "overhead.degraded.upkeep_hours_per_month",
                NonNegative,
                &mut u,
            )?,
        };
        let e = &spec.evals;
        let evals = EvalDraws {
            cases: draw(
                &e.suite_cases,
                "overhead.evals.suite_cases",
                NonNegative,
                &mut u,
            )?,
            runs: draw(
                &e.runs_per_month,
                "overhead.evals.runs_per_month",
                NonNegative,
                &mut u,
            )?,
            input_tokens: draw(
                &e.input_tokens_per_case,
                "overhead.evals.input_tokens_per_case",
                NonNegative,
                &mut u,
            )?,
            output_tokens: draw(
                &e.output_tokens_per_case,
                "overhead.evals.output_tokens_per_case",
                NonNegative,
                &mut u,
            )?,
            wall_hours: draw(
                &e.wall_time_hours_per_run,
                "overhead.evals.wall_time_hours_per_run",
                NonNegative,
                &mut u,
            )?,
            wall_multiplier: draw(
                &e.wall_time_multiplier,
                "overhead.evals.wall_time_multiplier",
                Positive,
                &mut u,
            )?,
        };
        let p = &spec.people;
        let people = PeopleDraws {
            prompt_changes: draw(
                &p.prompt_changes_per_month,
                "overhead.people.prompt_changes_per_month",
                NonNegative,
                &mut u,
            )?,
            hours_per_change: draw(
                &p.hours_per_prompt_change,
                "overhead.people.hours_per_prompt_change",
                NonNegative,
                &mut u,
            )?,
            calibration: draw(
                &p.calibration_hours_per_month,
                "overhead.people.calibration_hours_per_month",
                NonNegative,
                &mut u,
            )?,
            reconciliation_per_week: draw(
                &p.reconciliation_hours_per_week,
                "overhead.people.reconciliation_hours_per_week",
                NonNegative,
                &mut u,
            )?,
            drift_probability: draw(
                &p.config_drift_probability,
                "overhead.people.config_drift_probability",
                Probability,
                &mut u,
            )?,
            drift_hours: draw(
                &p.config_drift_hours,
                "overhead.people.config_drift_hours",
                NonNegative,
                &mut u,
            )?,
            on_call_hours: draw(
                &p.on_call_hours_per_incident,
                "overhead.people.on_call_hours_per_incident",
                NonNegative,
                &mut u,
            )?,
        };
        let decay = [
            draw(
                &spec.decay.pinned_share_start,
                "overhead.redundancy_decay.pinned_share_start",
                Probability,
                &mut u,
            )?,
            draw(
                &spec.decay.pinned_share_end,
                "overhead.redundancy_decay.pinned_share_end",
                Probability,
                &mut u,
            )?,
            draw(
                &spec.decay.ramp_months,
                "overhead.redundancy_decay.ramp_months",
                Positive,
                &mut u,
            )?,
        ];
        Ok(TrialDraws {
            hourly_usd: draw(
                &spec.loaded_hourly_usd,
                "overhead.loaded_hourly_usd",
                NonNegative,
                &mut u,
            )?,
            downtime_usd_per_hour: draw(
                &spec.downtime_usd_per_hour,
                "overhead.downtime_usd_per_hour",
                NonNegative,
                &mut u,
            )?,
            primary_uptime: a1,
            secondary_uptime,
            mu,
            secondary_clamped: clamped,
            outages,
            degraded,
            failover_quality_penalty: draw(
                &spec.failover_quality_penalty,
                "overhead.failover.quality_penalty",
                Probability,
                &mut u,
            )?,
            active_active_share: draw(
                &spec.active_active_share,
                "overhead.active_active.secondary_share",
                Probability,
                &mut u,
            )?,
            evals,
            people,
            decay,
        })
    }

    /// Share of traffic pinned to the primary in month `m` (0-based): linear from `start`
    /// to `end` over `ramp` months, evaluated at the middle of the month, then flat.
    pub fn pinned_share(&self, m: usize) -> f64 {
        let [start, end, ramp] = self.decay;
        start + (end - start) * ((m as f64 + 0.5) / ramp).min(1.0)
    }

    /// Config-drift incidents per month: one Bernoulli draw per month from its own stream.
    pub fn drift_events(&self, seed: u64, trial: u64, months: usize) -> Vec<bool> {
        let mut rng = FastRng::for_stream(seed, trial, hash_key("overhead.config_drift"));
        (0..months)
            .map(|_| rng.uniform() < self.people.drift_probability)
            .collect()
    }
}

/// What a month's tokens cost on each path, from the engine.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MonthBills {
    /// Token bill if all traffic went to the primary, USD.
    pub primary: f64,
    /// Token bill if all traffic went to the secondary, USD.
    pub secondary: f64,
}

/// Eval prices of one month: USD per reference input and output token of one case run on
/// every model of the path.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct EvalPrices {
    /// Primary path: (USD per input token, USD per output token).
    pub primary: (f64, f64),
    /// Secondary path.
    pub secondary: (f64, f64),
}

/// Price `strategy` in month `m` of one trial.
#[allow(clippy::too_many_arguments)]
pub fn ledger(
    strategy: Strategy,
    d: &TrialDraws,
    m: usize,
    o: &MonthOutage,
    bills: MonthBills,
    prices: EvalPrices,
    drift: bool,
) -> Ledger {
    let t = HOURS_PER_MONTH;
    let e = &d.evals;
    let per_run = |(pi, po): (f64, f64)| e.cases * (e.input_tokens * pi + e.output_tokens * po);
    let mut l = Ledger::default();
    match strategy {
        Strategy::Single | Strategy::Degraded => {
            l.tokens = bills.primary * (1.0 - o.primary_down / t);
            l.evals = e.runs * per_run(prices.primary);
            l.eval_wall_hours = e.runs * e.wall_hours;
            l.unavailable_hours = o.primary_down;
            l.downtime_cost_hours = o.primary_down;
            if strategy == Strategy::Degraded {
                let g = &d.degraded;
                let served = g.coverage * o.degraded_window;
                l.tokens += bills.primary * g.token_cost_factor * served / t;
                l.unavailable_hours = o.primary_down - served;
                l.downtime_cost_hours = l.unavailable_hours + g.quality_penalty * served;
                // The build is charged in equal parts over its first `amortize_months`
                // months (a fractional last month gets a fractional part).
                let left = (g.amortize_months - m as f64).clamp(0.0, 1.0);
                l.hours.degraded_build = g.build_hours / g.amortize_months * left;
                l.hours.degraded_upkeep = g.upkeep_hours;
            }
        }
        Strategy::Failover | Strategy::ActiveActive => {
            let s = if strategy == Strategy::ActiveActive {
                d.active_active_share
            } else {
                0.0
            };
            let pin = d.pinned_share(m);
            let wa = (1.0 - pin) * (1.0 - s);
            let wb = (1.0 - pin) * s;
            // Unserved hours of traffic homed on the primary (A) and on the secondary (B):
            // both down, or inside the detection window while the other is still up.
            let ua = o.both_down + (o.primary_detection - o.primary_detection_both);
            let ub = o.both_down + (o.secondary_detection - o.secondary_detection_both);
            let fo_a = o.primary_down - ua; // hours A is served by the secondary
            let fo_b = o.secondary_down - ub; // hours B is served by the primary
            let served_p = (wa + pin) * (t - o.primary_down) + wb * fo_b;
            let served_s = wa * fo_a + wb * (t - o.secondary_down);
            l.secondary_tokens = bills.secondary * served_s / t;
            l.tokens = bills.primary * served_p / t + l.secondary_tokens;
            l.evals = e.runs * (per_run(prices.primary) + per_run(prices.secondary));
            l.eval_wall_hours = e.runs * e.wall_hours * e.wall_multiplier;
            l.unavailable_hours = wa * ua + wb * ub + pin * o.primary_down;
            l.downtime_cost_hours =
                l.unavailable_hours + d.failover_quality_penalty * (wa * fo_a + wb * fo_b);
            let p = &d.people;
            // Pinned features are the ones nobody ports to the second path any more: their
            // prompt changes need one PR, not two.
            l.hours.prompt = p.prompt_changes * p.hours_per_change * (1.0 - pin);
            l.hours.calibration = p.calibration;
            l.hours.reconciliation = p.reconciliation_per_week * WEEKS_PER_MONTH;
            l.hours.config_drift = if drift { p.drift_hours } else { 0.0 };
            l.incidents = if s > 0.0 {
                o.any_incidents
            } else {
                o.primary_incidents
            };
            l.hours.on_call = l.incidents * p.on_call_hours;
        }
    }
    l.people = l.hours.total() * d.hourly_usd;
    l.downtime = l.downtime_cost_hours * d.downtime_usd_per_hour;
    l
}
