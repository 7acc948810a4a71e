//! The `[overhead]` section of a scenario: its schema as written, validation with the key and
//! line of every problem, and the validated [`OverheadSpec`] with the documented defaults.
//!
//! Every number is an [`Uncertain`] (a number, `"a to b"`, or `{ dist = ... }`) drawn once
//! per trial, except outage durations, which are drawn per incident. Defaults and their
//! sources come from `docs/domain.md` §2, §3.6–3.7; the tags say how much to
//! trust them: **\[POST\]** stated in "Multi-Model Reliability Is Not 2x" (tianpan.co,
//! 2026-04-23), **[POST-rel]** a related post on that blog, **[REF-3p]** a vendor blog or
//! anecdote, **\[INF\]** a proposed default (arithmetic or judgement) with no source — change
//! it for your team.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::dist::{Domain, Uncertain};
use crate::scenario::file::U;
use crate::scenario::{Assumption, Origin, ScenarioError};
use crate::toml_util;

/// A strategy compared by `billcast overhead`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// One provider; an outage of the primary is downtime.
    Single,
    /// One provider plus a degraded mode during its outages (cached answers, a smaller
    /// model, a queue, or the feature switched off with a message).
    Degraded,
    /// Active-passive: the secondary serves only while the primary is down.
    Failover,
    /// Both providers serve traffic by share; each fails over to the other.
    ActiveActive,
}

impl Strategy {
    /// All strategies in report order.
    pub const ALL: [Strategy; 4] = [
        Strategy::Single,
        Strategy::Degraded,
        Strategy::Failover,
        Strategy::ActiveActive,
    ];

    /// The name used in scenarios and reports.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Single => "single",
            Strategy::Degraded => "degraded",
            Strategy::Failover => "failover",
            Strategy::ActiveActive => "active-active",
        }
    }

    /// Provider paths that must be kept working (prompts, evals, calibration).
    pub fn paths(self) -> u32 {
        match self {
            Strategy::Single | Strategy::Degraded => 1,
            Strategy::Failover | Strategy::ActiveActive => 2,
        }
    }

    /// Whether the strategy needs `[overhead.providers.secondary]`.
    pub fn needs_secondary(self) -> bool {
        self.paths() == 2
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Strategy {
    type Err = String;

    fn from_str(s: &str) -> Result<Strategy, String> {
        let n = s.trim().to_ascii_lowercase().replace('_', "-");
        match n.as_str() {
            "single" => Ok(Strategy::Single),
            "degraded" => Ok(Strategy::Degraded),
            "failover" | "active-passive" => Ok(Strategy::Failover),
            "active-active" => Ok(Strategy::ActiveActive),
            _ => {
                let names = Strategy::ALL.map(Strategy::name);
                let hint = toml_util::closest(&n, names)
                    .map(|c| format!("did you mean '{c}'? "))
                    .unwrap_or_default();
                Err(format!(
                    "unknown strategy '{s}'; {hint}use single, degraded, failover or active-active"
                ))
            }
        }
    }
}

/// What the degraded mode serves during an outage (domain.md §3.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DegradedKind {
    /// Cached answers to frequent questions (your own infrastructure: independent of the
    /// provider; no tokens).
    Cached,
    /// A smaller or older model at the same provider: cheaper tokens, but it shares the
    /// provider's outages.
    SmallerModel,
    /// Queue and defer: requests are answered after the outage at full token cost.
    Queue,
    /// The feature is switched off with a message; nothing is served.
    FeatureOff,
}

impl DegradedKind {
    fn parse(s: &str) -> Option<DegradedKind> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "cached" | "cache" | "cached-answers" => Some(DegradedKind::Cached),
            "smaller-model" | "small-model" => Some(DegradedKind::SmallerModel),
            "queue" | "queue-and-defer" => Some(DegradedKind::Queue),
            "feature-off" | "off" => Some(DegradedKind::FeatureOff),
            _ => None,
        }
    }

    /// Name as written in scenarios.
    pub fn name(self) -> &'static str {
        match self {
            DegradedKind::Cached => "cached",
            DegradedKind::SmallerModel => "smaller-model",
            DegradedKind::Queue => "queue",
            DegradedKind::FeatureOff => "feature-off",
        }
    }
}

// ---------------------------------------------------------------------------------------
// The section as written.
// ---------------------------------------------------------------------------------------

/// Only the `[overhead]` table of a scenario file; every other key is ignored here (the
/// scenario schema checks them).
#[derive(Debug, Deserialize)]
struct OnlyOverhead {
    #[serde(default)]
    overhead: Option<OverheadFile>,
}

/// `[overhead]` as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverheadFile {
    /// Strategies compared (default: every strategy whose inputs are present).
    #[serde(default)]
    pub strategies: Option<Spanned<Vec<Spanned<String>>>>,
    /// Loaded engineer cost, USD per hour.
    #[serde(default)]
    pub loaded_hourly_usd: Option<U>,
    /// Cost of one hour with all traffic unserved, USD per hour.
    #[serde(default)]
    pub downtime_usd_per_hour: Option<U>,
    /// Minutes to detect an outage and switch paths (failover or degraded mode).
    #[serde(default)]
    pub detection_minutes: Option<U>,
    /// `[overhead.providers.primary]` and `[overhead.providers.secondary]`.
    #[serde(default)]
    pub providers: ProvidersFile,
    /// `[overhead.degraded]`.
    #[serde(default)]
    pub degraded: Option<DegradedFile>,
    /// `[overhead.failover]`.
    #[serde(default)]
    pub failover: Option<FailoverFile>,
    /// `[overhead.active_active]`.
    #[serde(default, alias = "active-active")]
    pub active_active: Option<ActiveActiveFile>,
    /// `[overhead.evals]`.
    #[serde(default)]
    pub evals: Option<EvalsFile>,
    /// `[overhead.people]`.
    #[serde(default)]
    pub people: Option<PeopleFile>,
    /// `[overhead.redundancy_decay]`.
    #[serde(default)]
    pub redundancy_decay: Option<DecayFile>,
}

/// `[overhead.providers]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvidersFile {
    /// The provider of the scenario's `[[routes]]`.
    #[serde(default)]
    pub primary: Option<PrimaryFile>,
    /// The second provider.
    #[serde(default)]
    pub secondary: Option<SecondaryFile>,
}

/// `[overhead.providers.primary]`: the provider serving the scenario's `[[routes]]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrimaryFile {
    /// Fraction of time the provider serves, in (0, 1].
    #[serde(default)]
    pub uptime: Option<U>,
    /// Incidents per month (instead of `uptime`).
    #[serde(default)]
    pub outages_per_month: Option<U>,
    /// Hours per incident (drawn per incident).
    #[serde(default)]
    pub outage_hours: Option<U>,
}

/// `[overhead.providers.secondary]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecondaryFile {
    /// `provider/model` serving traffic on the second path.
    pub model: Spanned<String>,
    /// Fraction of time the provider serves, in (0, 1].
    #[serde(default)]
    pub uptime: Option<U>,
    /// Incidents per month (instead of `uptime`).
    #[serde(default)]
    pub outages_per_month: Option<U>,
    /// Hours per incident (drawn per incident).
    #[serde(default)]
    pub outage_hours: Option<U>,
    /// Fraction of the primary's incidents that also take the secondary down.
    #[serde(default)]
    pub common_cause_share: Option<U>,
    /// Tokenizer ratio override for the secondary model.
    #[serde(default)]
    pub tokenizer_ratio: Option<Spanned<f64>>,
    /// Multiplier on output length on the secondary (default 1).
    #[serde(default)]
    pub output_tokens_scale: Option<Spanned<f64>>,
    /// Service tier priced on the secondary (default: standard).
    #[serde(default)]
    pub service_tier: Option<String>,
}

/// `[overhead.degraded]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DegradedFile {
    /// `cached`, `smaller-model`, `queue` or `feature-off`.
    #[serde(default)]
    pub kind: Option<Spanned<String>>,
    /// Share of outage-time traffic served acceptably.
    #[serde(default)]
    pub coverage: Option<U>,
    /// Share of an outage hour's cost still lost per hour served degraded.
    #[serde(default)]
    pub quality_penalty: Option<U>,
    /// Token cost of a degraded answer, × the primary's token cost of that request.
    #[serde(default)]
    pub token_cost_factor: Option<U>,
    /// Fraction of the primary's incidents that also take the degraded path down.
    #[serde(default)]
    pub shares_primary_outages: Option<U>,
    /// One-off build effort, hours.
    #[serde(default)]
    pub build_hours: Option<U>,
    /// Months the build is amortised over.
    #[serde(default)]
    pub amortize_months: Option<U>,
    /// Testing and upkeep, hours per month.
    #[serde(default)]
    pub upkeep_hours_per_month: Option<U>,
}

/// `[overhead.failover]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailoverFile {
    /// Share of an outage hour's cost still lost per hour served by the other provider
    /// after a failover (prompts tuned for someone else).
    #[serde(default)]
    pub quality_penalty: Option<U>,
}

/// `[overhead.active_active]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActiveActiveFile {
    /// Share of (non-pinned) traffic served by the secondary.
    #[serde(default)]
    pub secondary_share: Option<U>,
}

/// `[overhead.evals]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvalsFile {
    /// Cases in the eval suite.
    #[serde(default)]
    pub suite_cases: Option<U>,
    /// Suite runs per month (per provider path).
    #[serde(default)]
    pub runs_per_month: Option<U>,
    /// Input tokens per case (reference tokenizer).
    #[serde(default)]
    pub input_tokens_per_case: Option<U>,
    /// Output tokens per case (reference tokenizer).
    #[serde(default)]
    pub output_tokens_per_case: Option<U>,
    /// Wall-clock hours of one run on one path.
    #[serde(default)]
    pub wall_time_hours_per_run: Option<U>,
    /// × wall time of a run once two paths are evaluated.
    #[serde(default)]
    pub wall_time_multiplier: Option<U>,
}

/// `[overhead.people]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeopleFile {
    /// Prompt changes per month.
    #[serde(default)]
    pub prompt_changes_per_month: Option<U>,
    /// Hours per prompt change per additional provider path.
    #[serde(default)]
    pub hours_per_prompt_change: Option<U>,
    /// Calibration / parity upkeep per additional provider, hours per month.
    #[serde(default)]
    pub calibration_hours_per_month: Option<U>,
    /// Reconciling divergent regression reports, hours per week.
    #[serde(default)]
    pub reconciliation_hours_per_week: Option<U>,
    /// Probability per month of a staging/fallback config-drift incident.
    #[serde(default)]
    pub config_drift_probability: Option<U>,
    /// Hours per config-drift incident.
    #[serde(default)]
    pub config_drift_hours: Option<U>,
    /// On-call hours per failover incident.
    #[serde(default)]
    pub on_call_hours_per_incident: Option<U>,
}

/// `[overhead.redundancy_decay]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecayFile {
    /// Share of traffic pinned to the primary at the start of the horizon.
    #[serde(default)]
    pub pinned_share_start: Option<U>,
    /// Share pinned once the ramp is over.
    #[serde(default)]
    pub pinned_share_end: Option<U>,
    /// Months from start to end.
    #[serde(default)]
    pub ramp_months: Option<U>,
}

// ---------------------------------------------------------------------------------------
// The validated specification.
// ---------------------------------------------------------------------------------------

/// How often a provider is down.
#[derive(Debug, Clone, PartialEq)]
pub enum OutageRate {
    /// Fraction of time up, in (0, 1]. The incident rate is solved from it:
    /// `λ = −ln(uptime) · 730 / E[duration]` incidents per month, so that the simulated
    /// fraction of time down is exactly `1 − uptime` (Poisson incidents with random
    /// durations cover a point with probability `1 − exp(−λ·E[d]/730)`).
    Uptime(Uncertain),
    /// Incidents per month.
    PerMonth(Uncertain),
}

/// Outages of one provider.
#[derive(Debug, Clone, PartialEq)]
pub struct OutageSpec {
    /// Uptime or incident rate.
    pub rate: OutageRate,
    /// Hours per incident (drawn per incident; its parameters per trial).
    pub hours: Uncertain,
}

/// The second provider.
#[derive(Debug, Clone, PartialEq)]
pub struct SecondarySpec {
    /// `provider/model`.
    pub model: String,
    /// Its outages.
    pub outages: OutageSpec,
    /// Fraction of the primary's incidents that also hit it (common cause: shared cloud
    /// region, CDN/DNS, industry-wide launch-week load).
    pub common_cause_share: Uncertain,
    /// Tokenizer ratio override.
    pub tokenizer_ratio: Option<f64>,
    /// Output-length multiplier on the secondary.
    pub output_tokens_scale: f64,
    /// Service tier priced.
    pub service_tier: Option<String>,
}

/// Single provider + degraded mode.
#[derive(Debug, Clone, PartialEq)]
pub struct DegradedSpec {
    /// What it serves.
    pub kind: DegradedKind,
    /// Share of outage-time traffic served.
    pub coverage: Uncertain,
    /// Share of an outage hour's cost still lost per hour served degraded.
    pub quality_penalty: Uncertain,
    /// × the primary's token cost per request served degraded.
    pub token_cost_factor: Uncertain,
    /// Fraction of primary incidents that also take the degraded path down.
    pub shares_primary_outages: Uncertain,
    /// One-off build, hours.
    pub build_hours: Uncertain,
    /// Amortisation, months.
    pub amortize_months: Uncertain,
    /// Upkeep, hours per month.
    pub upkeep_hours_per_month: Uncertain,
}

/// Evals.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalsSpec {
    /// Cases per suite.
    pub suite_cases: Uncertain,
    /// Runs per month per path.
    pub runs_per_month: Uncertain,
    /// Input tokens per case.
    pub input_tokens_per_case: Uncertain,
    /// Output tokens per case.
    pub output_tokens_per_case: Uncertain,
    /// Hours per run on one path.
    pub wall_time_hours_per_run: Uncertain,
    /// × wall time with two paths.
    pub wall_time_multiplier: Uncertain,
}

/// Human hours.
#[derive(Debug, Clone, PartialEq)]
pub struct PeopleSpec {
    /// Prompt changes per month.
    pub prompt_changes_per_month: Uncertain,
    /// Hours per change per additional path.
    pub hours_per_prompt_change: Uncertain,
    /// Hours per month per additional provider.
    pub calibration_hours_per_month: Uncertain,
    /// Hours per week.
    pub reconciliation_hours_per_week: Uncertain,
    /// Probability per month.
    pub config_drift_probability: Uncertain,
    /// Hours per incident.
    pub config_drift_hours: Uncertain,
    /// Hours per failover incident.
    pub on_call_hours_per_incident: Uncertain,
}

/// Redundancy decay: features pinned to the primary over time.
#[derive(Debug, Clone, PartialEq)]
pub struct DecaySpec {
    /// Pinned share at the start.
    pub pinned_share_start: Uncertain,
    /// Pinned share after the ramp.
    pub pinned_share_end: Uncertain,
    /// Ramp length, months.
    pub ramp_months: Uncertain,
}

/// A validated `[overhead]` section.
#[derive(Debug, Clone, PartialEq)]
pub struct OverheadSpec {
    /// Strategies compared; always starts with `single` (the baseline of every comparison).
    pub strategies: Vec<Strategy>,
    /// USD per engineer hour.
    pub loaded_hourly_usd: Uncertain,
    /// USD per hour of full unavailability.
    pub downtime_usd_per_hour: Uncertain,
    /// Minutes to detect and switch.
    pub detection_minutes: Uncertain,
    /// The primary's outages.
    pub primary: OutageSpec,
    /// The second provider, if any.
    pub secondary: Option<SecondarySpec>,
    /// Degraded mode.
    pub degraded: DegradedSpec,
    /// Quality penalty on failover-served traffic.
    pub failover_quality_penalty: Uncertain,
    /// Active-active share on the secondary.
    pub active_active_share: Uncertain,
    /// Evals.
    pub evals: EvalsSpec,
    /// People.
    pub people: PeopleSpec,
    /// Redundancy decay.
    pub decay: DecaySpec,
    /// Every input with unit, origin and source.
    pub assumptions: Vec<Assumption>,
}

// ---------------------------------------------------------------------------------------
// Defaults, with sources.
// ---------------------------------------------------------------------------------------

/// A default value: a number or a `"a to b"` range.
#[derive(Clone, Copy)]
enum Def {
    Num(f64),
    Range(f64, f64),
}

impl Def {
    fn uncertain(self) -> Uncertain {
        match self {
            Def::Num(v) => Uncertain::Fixed(v),
            Def::Range(lo, hi) => Uncertain::Range { lo, hi },
        }
    }
}

/// Provider uptime: 99.3% \[POST\] ("primary 99.3%"; the secondary "similar"); observed
/// Claude.ai 99.32% over 30 days, Feb 2026 [REF-3p universal.cloud].
pub const DEFAULT_UPTIME: f64 = 0.993;
/// Hours per incident: a lognormal with 90% interval 15 min to 4 h (median 1 h, mean 1.43 h)
/// \[INF\]; 99.3% ≈ 5.1 h down per 730-h month \[INF arithmetic\] then means ≈ 3.6 incidents.
const DEFAULT_OUTAGE_HOURS: Def = Def::Range(0.25, 4.0);
/// Common-cause share 0.4–0.6 \[INF\], back-solved from "closer to 99.6…" \[POST\] via
/// ρ = (q − p²)/(p(1−p)) with p = 0.007 (domain.md §2).
const DEFAULT_COMMON_CAUSE: Def = Def::Range(0.4, 0.6);
/// Detection and switch time 1–10 minutes per outage \[INF\].
const DEFAULT_DETECTION_MIN: Def = Def::Range(1.0, 10.0);
/// Loaded engineer cost 100–200 USD/h \[INF\].
const DEFAULT_RATE: Def = Def::Range(100.0, 200.0);

/// Hours in the reference month: 8,760 / 12 = 730 (infracost's convention; domain.md §2
/// "99.3% ≈ 5.1 h down per 730-h month").
pub const HOURS_PER_MONTH: f64 = 730.0;
/// Weeks in the reference month: 730 / 168.
pub const WEEKS_PER_MONTH: f64 = HOURS_PER_MONTH / 168.0;

// ---------------------------------------------------------------------------------------
// Validation.
// ---------------------------------------------------------------------------------------

struct Reader<'a> {
    file: &'a str,
    text: &'a str,
    set_keys: &'a [String],
    assumptions: Vec<Assumption>,
}

impl Reader<'_> {
    fn line<T>(&self, s: &Spanned<T>) -> usize {
        toml_util::line_of(self.text, s.span().start)
    }

    fn invalid(&self, key: &str, line: Option<usize>, message: impl Into<String>) -> ScenarioError {
        ScenarioError::Invalid {
            file: self.file.to_string(),
            key: key.to_string(),
            line,
            message: message.into(),
        }
    }

    fn origin(&self, key: &str, present: bool) -> Origin {
        super::sections::origin_of(self.set_keys, key, present)
    }

    /// Read one uncertain number: validate it in `domain` (naming key and line), or take the
    /// default, and record the assumption.
    fn num(
        &mut self,
        u: Option<&U>,
        key: &str,
        domain: Domain,
        default: Def,
        unit: &str,
        source: &str,
    ) -> Result<Uncertain, ScenarioError> {
        let value = match u {
            Some(u) => {
                u.get_ref()
                    .validate(key, domain)
                    .map_err(|e| self.invalid(key, Some(self.line(u)), e.message))?;
                u.get_ref().clone()
            }
            None => default.uncertain(),
        };
        self.record(key, &value, unit, u.is_some(), source);
        Ok(value)
    }

    fn record(&mut self, key: &str, value: &Uncertain, unit: &str, present: bool, source: &str) {
        self.assumptions.push(Assumption::overhead(
            key,
            value.to_string(),
            unit,
            self.origin(key, present),
            if present { "scenario" } else { source },
        ));
    }

    /// Uptime must lie in (0, 1]: 1 means never down, 0 would be never up (an infinite
    /// incident rate).
    fn uptime(&mut self, u: Option<&U>, key: &str) -> Result<Uncertain, ScenarioError> {
        let how = "uptime is the fraction of time the provider serves, in (0, 1], e.g. 0.993 for 99.3%; give outages_per_month instead to state incidents";
        if let Some(u) = u {
            let line = Some(self.line(u));
            match u.get_ref().as_fixed() {
                Some(v) if !(v > 0.0 && v <= 1.0) => {
                    return Err(self.invalid(key, line, format!("{v} is outside (0, 1]; {how}")));
                }
                Some(_) => {}
                None => {
                    u.get_ref()
                        .validate(key, Domain::Probability)
                        .map_err(|e| self.invalid(key, line, format!("{}; {how}", e.message)))?;
                    let d = u
                        .get_ref()
                        .resolve_median(key, Domain::Probability)
                        .map_err(|e| self.invalid(key, line, e.message))?;
                    let lowest = d.quantile(1e-12);
                    if lowest.is_nan() || lowest <= 0.0 {
                        return Err(self.invalid(
                            key,
                            line,
                            format!("this distribution can draw an uptime of 0; {how}"),
                        ));
                    }
                }
            }
        }
        self.num(
            u,
            key,
            Domain::Probability,
            Def::Num(DEFAULT_UPTIME),
            "fraction of time up",
            "0.993 [POST multi-model: primary 99.3%, secondary \"similar\"; REF-3p Claude.ai 99.32% Feb 2026]",
        )
    }

    fn outages(
        &mut self,
        prefix: &str,
        uptime: Option<&U>,
        per_month: Option<&U>,
        hours: Option<&U>,
    ) -> Result<OutageSpec, ScenarioError> {
        let rate = match (uptime, per_month) {
            (Some(_), Some(p)) => {
                return Err(self.invalid(
                    &format!("{prefix}.outages_per_month"),
                    Some(self.line(p)),
                    "give either uptime or outages_per_month, not both (the other follows from outage_hours)",
                ));
            }
            (None, Some(p)) => OutageRate::PerMonth(self.num(
                Some(p),
                &format!("{prefix}.outages_per_month"),
                Domain::NonNegative,
                Def::Num(0.0),
                "incidents per month",
                "scenario",
            )?),
            (u, None) => OutageRate::Uptime(self.uptime(u, &format!("{prefix}.uptime"))?),
        };
        let hours_line = hours.map(|u| self.line(u));
        let hours = self.num(
            hours,
            &format!("{prefix}.outage_hours"),
            Domain::Positive,
            DEFAULT_OUTAGE_HOURS,
            "hours per incident",
            "\"0.25 to 4\" (median 1 h) [INF]",
        )?;
        // A mean duration is needed to turn an uptime into an incident rate.
        let d = hours
            .resolve_median(&format!("{prefix}.outage_hours"), Domain::Positive)
            .map_err(|e| self.invalid(&format!("{prefix}.outage_hours"), hours_line, e.message))?;
        let m = d.mean();
        if !(m.is_finite() && m > 0.0) {
            return Err(self.invalid(
                &format!("{prefix}.outage_hours"),
                hours_line,
                "the duration distribution needs a finite mean > 0 hours (a heavy GPD tail with xi ≥ 1 has none)",
            ));
        }
        Ok(OutageSpec { rate, hours })
    }
}

impl OverheadSpec {
    /// Parse and validate the `[overhead]` section of a scenario's text (after `--set`
    /// overrides). `Ok(None)` when there is none. Errors name the file, key and line.
    pub fn from_scenario_text(
        file: &str,
        text: &str,
        set_keys: &[String],
    ) -> Result<Option<OverheadSpec>, ScenarioError> {
        let only: OnlyOverhead = toml::from_str(text).map_err(|e| ScenarioError::Parse {
            file: file.to_string(),
            problem: toml_util::describe(&e, text),
        })?;
        match only.overhead {
            None => Ok(None),
            Some(f) => OverheadSpec::from_file(file, text, &f, set_keys).map(Some),
        }
    }

    /// Validate a parsed section; `text` is the document its spans point into.
    pub fn from_file(
        file: &str,
        text: &str,
        f: &OverheadFile,
        set_keys: &[String],
    ) -> Result<OverheadSpec, ScenarioError> {
        let mut r = Reader {
            file,
            text,
            set_keys,
            assumptions: Vec::new(),
        };
        use Domain::{NonNegative, Positive, Probability};

        // Providers first: which strategies are possible depends on them.
        let empty_primary = PrimaryFile::default();
        let p = f.providers.primary.as_ref().unwrap_or(&empty_primary);
        let primary = r.outages(
            "overhead.providers.primary",
            p.uptime.as_ref(),
            p.outages_per_month.as_ref(),
            p.outage_hours.as_ref(),
        )?;
        let secondary = match &f.providers.secondary {
            None => None,
            Some(s) => {
                let model = s.model.get_ref().trim().to_string();
                if !model.contains('/') {
                    return Err(r.invalid(
                        "overhead.providers.secondary.model",
                        Some(r.line(&s.model)),
                        format!("'{model}': write provider/model, e.g. \"anthropic/claude-sonnet-5-5\" (billcast pricing list)"),
                    ));
                }
                r.assumptions.push(Assumption::overhead(
                    "overhead.providers.secondary.model",
                    model.clone(),
                    "provider/model",
                    r.origin("overhead.providers.secondary.model", true),
                    "scenario",
                ));
                let outages = r.outages(
                    "overhead.providers.secondary",
                    s.uptime.as_ref(),
                    s.outages_per_month.as_ref(),
                    s.outage_hours.as_ref(),
                )?;
                let common_cause_share = r.num(
                    s.common_cause_share.as_ref(),
                    "overhead.providers.secondary.common_cause_share",
                    Probability,
                    DEFAULT_COMMON_CAUSE,
                    "fraction of primary incidents",
                    "\"0.4 to 0.6\" [INF back-solved from POST \"closer to 99.6\"]",
                )?;
                let pos = |r: &Reader<'_>, v: &Option<Spanned<f64>>, k: &str| match v {
                    Some(x) if !(x.get_ref().is_finite() && *x.get_ref() > 0.0) => Err(r.invalid(
                        &format!("overhead.providers.secondary.{k}"),
                        Some(r.line(x)),
                        "must be a number > 0",
                    )),
                    Some(x) => Ok(Some(*x.get_ref())),
                    None => Ok(None),
                };
                Some(SecondarySpec {
                    model,
                    outages,
                    common_cause_share,
                    tokenizer_ratio: pos(&r, &s.tokenizer_ratio, "tokenizer_ratio")?,
                    output_tokens_scale: pos(&r, &s.output_tokens_scale, "output_tokens_scale")?
                        .unwrap_or(1.0),
                    service_tier: s.service_tier.clone(),
                })
            }
        };

        // Strategies.
        let strategies = match &f.strategies {
            None => {
                let mut v = vec![Strategy::Single];
                if f.degraded.is_some() {
                    v.push(Strategy::Degraded);
                }
                if secondary.is_some() {
                    v.push(Strategy::Failover);
                    v.push(Strategy::ActiveActive);
                }
                v
            }
            Some(list) => {
                let mut v = vec![Strategy::Single];
                if list.get_ref().is_empty() {
                    return Err(r.invalid(
                        "overhead.strategies",
                        Some(r.line(list)),
                        "list at least one strategy: single, degraded, failover, active-active",
                    ));
                }
                for s in list.get_ref() {
                    let st: Strategy = s.get_ref().parse().map_err(|m: String| {
                        r.invalid("overhead.strategies", Some(r.line(s)), m)
                    })?;
                    if st.needs_secondary() && secondary.is_none() {
                        return Err(r.invalid(
                            "overhead.strategies",
                            Some(r.line(s)),
                            format!("{st} needs a second provider: add [overhead.providers.secondary] with model = \"provider/model\""),
                        ));
                    }
                    if !v.contains(&st) {
                        v.push(st);
                    }
                }
                v.sort();
                v
            }
        };
        r.assumptions.push(Assumption::overhead(
            "overhead.strategies",
            strategies
                .iter()
                .map(|s| s.name())
                .collect::<Vec<_>>()
                .join(", "),
            "-",
            r.origin("overhead.strategies", f.strategies.is_some()),
            "every strategy whose inputs are present; single is always the baseline",
        ));

        let loaded_hourly_usd = r.num(
            f.loaded_hourly_usd.as_ref(),
            "overhead.loaded_hourly_usd",
            NonNegative,
            DEFAULT_RATE,
            "USD per engineer hour",
            "\"100 to 200\" [INF]",
        )?;
        let downtime_usd_per_hour = r.num(
            f.downtime_usd_per_hour.as_ref(),
            "overhead.downtime_usd_per_hour",
            NonNegative,
            Def::Num(0.0),
            "USD per hour of full unavailability",
            "0: no default exists; read the break-even instead, or set your revenue + SLA credits per hour",
        )?;
        let detection_minutes = r.num(
            f.detection_minutes.as_ref(),
            "overhead.detection_minutes",
            NonNegative,
            DEFAULT_DETECTION_MIN,
            "minutes per outage",
            "\"1 to 10\" [INF]",
        )?;

        // Degraded mode.
        let empty_deg = DegradedFile::default();
        let d = f.degraded.as_ref().unwrap_or(&empty_deg);
        let kind = match &d.kind {
            None => DegradedKind::Cached,
            Some(k) => DegradedKind::parse(k.get_ref()).ok_or_else(|| {
                r.invalid(
                    "overhead.degraded.kind",
                    Some(r.line(k)),
                    format!(
                        "'{}': use cached, smaller-model, queue or feature-off",
                        k.get_ref()
                    ),
                )
            })?,
        };
        r.assumptions.push(Assumption::overhead(
            "overhead.degraded.kind",
            kind.name(),
            "-",
            r.origin("overhead.degraded.kind", d.kind.is_some()),
            "cached [INF; the option to try first, POST]",
        ));
        // Kind-dependent defaults (domain.md §3.7): a cache or a switched-off feature costs
        // no tokens and does not share the provider's outages; a same-provider smaller model
        // does share them; a queue answers later at full price.
        let (cov_def, factor_def, shares_def) = match kind {
            DegradedKind::Cached => (Def::Range(0.3, 0.9), Def::Num(0.0), Def::Num(0.0)),
            DegradedKind::SmallerModel => (Def::Range(0.3, 0.9), Def::Num(0.2), Def::Num(1.0)),
            DegradedKind::Queue => (Def::Range(0.3, 0.9), Def::Num(1.0), Def::Num(0.0)),
            DegradedKind::FeatureOff => (Def::Num(0.0), Def::Num(0.0), Def::Num(0.0)),
        };
        let degraded = DegradedSpec {
            kind,
            coverage: r.num(
                d.coverage.as_ref(),
                "overhead.degraded.coverage",
                Probability,
                cov_def,
                "share of outage-time traffic served",
                "\"0.3 to 0.9\" [INF, domain.md §3.7; cached coverage follows a Zipf-like query mix]; feature-off: 0",
            )?,
            quality_penalty: r.num(
                d.quality_penalty.as_ref(),
                "overhead.degraded.quality_penalty",
                Probability,
                Def::Num(0.3),
                "share of an outage hour's cost still lost while served degraded",
                "0.3 [INF; user input in domain.md §3.7]",
            )?,
            token_cost_factor: r.num(
                d.token_cost_factor.as_ref(),
                "overhead.degraded.token_cost_factor",
                NonNegative,
                factor_def,
                "× primary token cost per request served degraded",
                "cached/feature-off 0, smaller-model 0.2, queue 1 [INF, domain.md §3.7]",
            )?,
            shares_primary_outages: r.num(
                d.shares_primary_outages.as_ref(),
                "overhead.degraded.shares_primary_outages",
                Probability,
                shares_def,
                "fraction of primary incidents that also take degraded mode down",
                "smaller-model 1 (same provider), otherwise 0 [domain.md §3.7 correlation caveat]",
            )?,
            build_hours: r.num(
                d.build_hours.as_ref(),
                "overhead.degraded.build_hours",
                NonNegative,
                Def::Range(40.0, 120.0),
                "hours, one-off",
                "\"40 to 120\" [INF, domain.md §3.7]",
            )?,
            amortize_months: r.num(
                d.amortize_months.as_ref(),
                "overhead.degraded.amortize_months",
                Positive,
                Def::Num(12.0),
                "months",
                "12 [INF]",
            )?,
            upkeep_hours_per_month: r.num(
                d.upkeep_hours_per_month.as_ref(),
                "overhead.degraded.upkeep_hours_per_month",
                NonNegative,
                Def::Range(2.0, 8.0),
                "hours per month",
                "\"2 to 8\" [INF, domain.md §3.7]",
            )?,
        };

        let empty_fo = FailoverFile::default();
        let fo = f.failover.as_ref().unwrap_or(&empty_fo);
        let failover_quality_penalty = r.num(
            fo.quality_penalty.as_ref(),
            "overhead.failover.quality_penalty",
            Probability,
            Def::Num(0.0),
            "share of an outage hour's cost still lost while the other provider serves",
            "0 [INF; POST-rel: failover traffic \"behaves visibly differently\" — raise it if your fallback prompts are untested]",
        )?;
        let empty_aa = ActiveActiveFile::default();
        let aa = f.active_active.as_ref().unwrap_or(&empty_aa);
        let active_active_share = r.num(
            aa.secondary_share.as_ref(),
            "overhead.active_active.secondary_share",
            Probability,
            Def::Num(0.5),
            "share of traffic on the secondary",
            "0.5 [INF]",
        )?;

        let empty_ev = EvalsFile::default();
        let e = f.evals.as_ref().unwrap_or(&empty_ev);
        let evals = EvalsSpec {
            suite_cases: r.num(
                e.suite_cases.as_ref(),
                "overhead.evals.suite_cases",
                NonNegative,
                Def::Num(200.0),
                "cases",
                "200 [INF]",
            )?,
            runs_per_month: r.num(
                e.runs_per_month.as_ref(),
                "overhead.evals.runs_per_month",
                NonNegative,
                Def::Range(20.0, 100.0),
                "suite runs per month per path",
                "\"20 to 100\" [INF, domain.md §3.6]",
            )?,
            input_tokens_per_case: r.num(
                e.input_tokens_per_case.as_ref(),
                "overhead.evals.input_tokens_per_case",
                NonNegative,
                Def::Num(2000.0),
                "reference tokens",
                "2,000 [INF]",
            )?,
            output_tokens_per_case: r.num(
                e.output_tokens_per_case.as_ref(),
                "overhead.evals.output_tokens_per_case",
                NonNegative,
                Def::Num(400.0),
                "reference tokens",
                "400 [INF]",
            )?,
            wall_time_hours_per_run: r.num(
                e.wall_time_hours_per_run.as_ref(),
                "overhead.evals.wall_time_hours_per_run",
                NonNegative,
                Def::Num(0.5),
                "hours per run, one path",
                "0.5 [INF]",
            )?,
            wall_time_multiplier: r.num(
                e.wall_time_multiplier.as_ref(),
                "overhead.evals.wall_time_multiplier",
                Positive,
                Def::Num(3.0),
                "× wall time with two paths",
                "3 [POST: \"eval suite 3× as long\", not 2×]",
            )?,
        };

        let empty_pe = PeopleFile::default();
        let pe = f.people.as_ref().unwrap_or(&empty_pe);
        let people = PeopleSpec {
            prompt_changes_per_month: r.num(
                pe.prompt_changes_per_month.as_ref(),
                "overhead.people.prompt_changes_per_month",
                NonNegative,
                Def::Range(4.0, 20.0),
                "changes per month",
                "\"4 to 20\" [INF, domain.md §3.6]",
            )?,
            hours_per_prompt_change: r.num(
                pe.hours_per_prompt_change.as_ref(),
                "overhead.people.hours_per_prompt_change",
                NonNegative,
                Def::Range(1.0, 4.0),
                "hours per change per extra path (the second PR: author + review + eval triage)",
                "\"1 to 4\" [INF]; 2 PRs per change [POST]",
            )?,
            calibration_hours_per_month: r.num(
                pe.calibration_hours_per_month.as_ref(),
                "overhead.people.calibration_hours_per_month",
                NonNegative,
                Def::Range(10.0, 40.0),
                "hours per month per extra provider",
                "\"10 to 40\" [POST phenomenon; INF hours]",
            )?,
            reconciliation_hours_per_week: r.num(
                pe.reconciliation_hours_per_week.as_ref(),
                "overhead.people.reconciliation_hours_per_week",
                NonNegative,
                Def::Range(1.0, 4.0),
                "hours per week",
                "\"1 to 4\" [POST: a regression report with \"two columns that disagree\"; INF hours]",
            )?,
            config_drift_probability: r.num(
                pe.config_drift_probability.as_ref(),
                "overhead.people.config_drift_probability",
                Probability,
                Def::Range(0.1, 0.3),
                "probability per month",
                "\"0.1 to 0.3\" [POST phenomenon; INF values]",
            )?,
            config_drift_hours: r.num(
                pe.config_drift_hours.as_ref(),
                "overhead.people.config_drift_hours",
                NonNegative,
                Def::Range(2.0, 8.0),
                "hours per incident",
                "\"2 to 8\" [INF]",
            )?,
            on_call_hours_per_incident: r.num(
                pe.on_call_hours_per_incident.as_ref(),
                "overhead.people.on_call_hours_per_incident",
                NonNegative,
                Def::Range(0.5, 2.0),
                "hours per failover incident",
                "\"0.5 to 2\" [INF; POST: paging does not stop — do not assume zero]",
            )?,
        };

        let empty_de = DecayFile::default();
        let de = f.redundancy_decay.as_ref().unwrap_or(&empty_de);
        let decay = DecaySpec {
            pinned_share_start: r.num(
                de.pinned_share_start.as_ref(),
                "overhead.redundancy_decay.pinned_share_start",
                Probability,
                Def::Num(0.0),
                "share of traffic pinned to the primary",
                "0 [INF]",
            )?,
            pinned_share_end: r.num(
                de.pinned_share_end.as_ref(),
                "overhead.redundancy_decay.pinned_share_end",
                Probability,
                Def::Num(0.5),
                "share of traffic pinned to the primary",
                "0.5 [POST: ~half the features pinned to one provider after six months]",
            )?,
            ramp_months: r.num(
                de.ramp_months.as_ref(),
                "overhead.redundancy_decay.ramp_months",
                Positive,
                Def::Num(6.0),
                "months",
                "6 [POST]",
            )?,
        };

        Ok(OverheadSpec {
            strategies,
            loaded_hourly_usd,
            downtime_usd_per_hour,
            detection_minutes,
            primary,
            secondary,
            degraded,
            failover_quality_penalty,
            active_active_share,
            evals,
            people,
            decay,
            assumptions: r.assumptions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(section: &str) -> Result<Option<OverheadSpec>, ScenarioError> {
        let text = format!("name = \"x\"\n{section}");
        OverheadSpec::from_scenario_text("s.toml", &text, &[])
    }

    #[test]
    fn defaults_fill_an_empty_section() {
        let s = parse("[overhead]\n").unwrap().unwrap();
        assert_eq!(s.strategies, vec![Strategy::Single]);
        assert_eq!(
            s.primary.rate,
            OutageRate::Uptime(Uncertain::Fixed(DEFAULT_UPTIME))
        );
        assert!(s.assumptions.iter().all(|a| a.is_default()
            || a.key == "overhead.strategies"
            || a.key == "overhead.degraded.kind"));
    }

    #[test]
    fn strategies_default_to_what_the_inputs_allow() {
        let s = parse("[overhead.degraded]\n[overhead.providers.secondary]\nmodel = \"a/b\"\n")
            .unwrap()
            .unwrap();
        assert_eq!(s.strategies, Strategy::ALL.to_vec());
    }

    #[test]
    fn bad_uptime_names_key_and_line() {
        let e = parse("[overhead.providers.primary]\nuptime = 1.2\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("overhead.providers.primary.uptime"), "{e}");
        assert!(e.contains("line 3"), "{e}");
        assert!(e.contains("(0, 1]"), "{e}");
        let e = parse("[overhead.providers.primary]\nuptime = 0\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("(0, 1]"), "{e}");
    }

    #[test]
    fn negative_hours_and_unknown_strategies_are_rejected() {
        let e = parse("[overhead.people]\ncalibration_hours_per_month = -3\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("overhead.people.calibration_hours_per_month"),
            "{e}"
        );
        assert!(e.contains("≥ 0"), "{e}");
        let e = parse("[overhead]\nstrategies = [\"single\", \"failovr\"]\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown strategy 'failovr'"), "{e}");
        assert!(e.contains("did you mean 'failover'"), "{e}");
        let e = parse("[overhead]\nstrategies = [\"failover\"]\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("needs a second provider"), "{e}");
    }

    #[test]
    fn unknown_keys_get_suggestions() {
        let e = parse("[overhead.providers.primary]\nuptme = 0.99\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("did you mean `uptime`"), "{e}");
        assert!(e.contains("line 3"), "{e}");
    }
}
