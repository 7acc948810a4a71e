//! Scenarios: a workload, its volume and its uncertainty, read from `scenarios/*.toml`.
//!
//! [`Scenario::load`] reads a file, applies `--set key.path=value` overrides, merges a fitted
//! workload (`[workload] from = "..."`, paths relative to the scenario) under the explicit
//! keys, validates every key (with its line) and records where each input came from, so
//! reports can list the assumptions. Nothing is drawn here: uncertain numbers stay
//! [`Uncertain`] and the engine draws them per trial, session, turn or call.

pub mod file;
pub mod limits;
pub mod overhead;
mod sections;
pub mod template;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::artifact::{Artifact, Expect};
use crate::dist::{Domain, Uncertain};
use crate::toml_util::{self, OverrideError, TomlProblem};
use crate::units::Month;
use file::{FileRef, ScenarioFile, ShiftSection, U, WorkloadSection};

/// Everything that can be wrong with a scenario.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("cannot read scenario {path}: {message}")]
    Io {
        /// Path given.
        path: String,
        /// OS error.
        message: String,
    },
    /// Malformed TOML, an unknown key or a wrong type.
    #[error("{file}: {problem}")]
    Parse {
        /// File (and context, e.g. a cohort).
        file: String,
        /// Where and what.
        problem: TomlProblem,
    },
    /// A value is out of range or inconsistent with another.
    #[error("{file}: {}{key}: {message}", line.map(|l| format!("line {l}: ")).unwrap_or_default())]
    Invalid {
        /// File.
        file: String,
        /// Dotted key.
        key: String,
        /// 1-based line when known.
        line: Option<usize>,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A `--set` override could not be applied.
    #[error("{0}")]
    Override(#[from] OverrideError),
}

/// How the engine runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Simulate every session.
    Exact,
    /// Simulate a pilot per replicate and aggregate the month analytically.
    Fast,
    /// Fast when it is accurate and much cheaper, else exact.
    Auto,
}

/// Where the monthly volume comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Volume {
    /// Users × sessions per user.
    Users {
        /// Monthly active users (first month).
        users: Uncertain,
        /// Sessions per user per month.
        sessions_per_user: Uncertain,
    },
    /// Sessions per month (first month).
    Sessions(Uncertain),
    /// One-turn requests per month (first month).
    Requests(Uncertain),
}

/// What is re-sent with every call.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "policy", rename_all = "snake_case")]
pub enum Context {
    /// The whole conversation so far.
    Full,
    /// The last `turns` complete turns plus the current one.
    Window {
        /// Turns kept.
        turns: u32,
    },
    /// When the history exceeds `above_tokens`, a summarisation call replaces it with
    /// `summary_tokens`.
    Summarize {
        /// Trigger, tokens.
        above_tokens: f64,
        /// Summary size, tokens.
        summary_tokens: f64,
    },
}

/// What part of a call's input is cacheable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cacheable {
    /// The static prefix (system prompt + tool schemas).
    System,
    /// Everything except the call's new content (agent loops with automatic caching).
    History,
}

/// A workload: the per-session, per-turn and per-call distributions.
#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    /// Static prefix tokens (per trial).
    pub system_prompt_tokens: Uncertain,
    /// Turns per session (per session).
    pub turns_per_session: Uncertain,
    /// User message tokens (per turn).
    pub user_message_tokens: Uncertain,
    /// Visible output tokens (per call), before the cap.
    pub output_tokens: Uncertain,
    /// Output cap per call, tokens (`None` = the model's limit or no cap).
    pub max_output_tokens: Option<f64>,
    /// Reasoning tokens (per call).
    pub reasoning_tokens: Uncertain,
    /// Tool-call rounds per turn (per turn).
    pub tool_rounds_per_turn: Uncertain,
    /// Tool calls per round (per round).
    pub tool_calls_per_round: Uncertain,
    /// Tokens per tool result (per tool call).
    pub tool_result_tokens: Uncertain,
    /// Input per call sampled directly (call-level workloads).
    pub input_tokens: Option<Uncertain>,
    /// Context policy.
    pub context: Context,
    /// Billable provider tools: (tool id, share of tool calls).
    pub priced_tools: Vec<(String, f64)>,
    /// Bootstrap replicates of fitted keys: key → distribution.
    pub replicates: Vec<BTreeMap<String, Uncertain>>,
    /// Recorded sessions to replay (`mode = "resample"`): per call `[input, output, tool_calls]`.
    pub resample: Option<Arc<Vec<Vec<[f64; 3]>>>>,
    /// The system prompt read from a file (`system_prompt = { file = … }`), counted per route
    /// instead of `system_prompt_tokens`.
    pub system_prompt_file: Option<Artifact>,
    /// Tool definitions read from a file (`tools = { file = … }`), counted per route and added
    /// to the static prefix with the provider's tool-use overhead.
    pub tools_file: Option<Artifact>,
    /// What-ifs on replayed sessions: `[output multiplier, input tokens added]` (see
    /// `SessionSim::replay_adjust` in the engine); `[1, 0]` replays the sessions as recorded.
    pub replay_adjust: [f64; 2],
}

impl Workload {
    /// The artifacts of this workload with their keys (`system_prompt`, `tools`).
    pub fn artifacts(&self) -> impl Iterator<Item = (&'static str, &Artifact)> {
        [
            ("system_prompt", self.system_prompt_file.as_ref()),
            ("tools", self.tools_file.as_ref()),
        ]
        .into_iter()
        .filter_map(|(k, a)| a.map(|a| (k, a)))
    }
}

/// An artifact of a scenario with the key that reads it (`workload.system_prompt`, or
/// `traffic.cohorts[1].workload.tools` when a cohort reads its own).
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioArtifact {
    /// Dotted key.
    pub key: String,
    /// The file, read and recognised.
    pub artifact: Artifact,
}

/// A user cohort (or the whole population).
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// Name (`all` without cohorts).
    pub name: String,
    /// Share of users or sessions.
    pub share: f64,
    /// Multiplier on sessions per user (per trial).
    pub sessions_scale: Uncertain,
    /// The segment's workload.
    pub workload: Workload,
}

/// One failure class.
#[derive(Debug, Clone, PartialEq)]
pub struct FailureClass {
    /// `rate_limit`, `overload`, `timeout`, `invalid_output`.
    pub name: &'static str,
    /// Probability per attempt (per trial).
    pub p: Uncertain,
    /// Whether a failed attempt is billed.
    pub billed: bool,
}

/// Retry policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Retries {
    /// Attempts per call including the first.
    pub max_attempts: u32,
    /// The four classes, in a fixed order.
    pub classes: Vec<FailureClass>,
}

/// Prompt caching.
#[derive(Debug, Clone, PartialEq)]
pub struct Caching {
    /// Whether the application caches prompts at all. Off (the default without a `[caching]`
    /// hit rate): no cache reads and no cache-write charges on any route.
    pub enabled: bool,
    /// Probability a call reads its cacheable prefix from cache (per trial).
    pub hit_rate: Uncertain,
    /// Cache-write TTL label.
    pub write_ttl: Option<String>,
    /// What is cacheable.
    pub cacheable: Cacheable,
}

/// A model route.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Route {
    /// Display name.
    pub name: String,
    /// `provider/model`.
    pub model: String,
    /// Share of sessions.
    pub share: f64,
    /// Service tier.
    pub service_tier: Option<String>,
    /// Region uplift.
    pub region: Option<String>,
    /// Multiplier on sampled output length.
    pub output_tokens_scale: f64,
    /// Tokenizer ratio override.
    pub tokenizer_ratio: Option<f64>,
}

/// Pilot-to-production shift multipliers (per trial).
#[derive(Debug, Clone, PartialEq)]
pub struct Shift {
    /// On token sizes.
    pub size: Uncertain,
    /// On counts (turns, tool rounds).
    pub count: Uncertain,
    /// On volume.
    pub volume: Uncertain,
}

/// The prior shift σ of fitted workloads; defined where `fit` combines it with the data's
/// drift (a lower layer), re-exported here for scenarios.
pub use crate::fit::drift::FITTED_SHIFT_SIGMA;

/// The default shift of a fitted workload's sizes and counts: lognormal(median 1,
/// σ [`FITTED_SHIFT_SIGMA`]), drawn once per trial.
pub fn default_fitted_shift() -> Uncertain {
    Uncertain::Dist(Box::new(crate::dist::spec::DistSpec {
        family: "lognormal".into(),
        params: BTreeMap::from([
            ("median".to_string(), Uncertain::Fixed(1.0)),
            ("sigma".to_string(), Uncertain::Fixed(FITTED_SHIFT_SIGMA)),
        ]),
        values: None,
        offset: 0.0,
        min: None,
        max: None,
    }))
}

/// Where an input came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Written in the scenario file.
    Scenario,
    /// Set with `--set`.
    Override,
    /// From a fitted workload file.
    Fitted,
    /// A documented default.
    Default,
}

impl Origin {
    /// The name written in outputs (`scenario`, `override`, `fitted`, `default`), as serialized.
    pub fn name(self) -> &'static str {
        match self {
            Origin::Scenario => "scenario",
            Origin::Override => "override",
            Origin::Fitted => "fitted",
            Origin::Default => "default",
        }
    }
}

/// One input and where it came from: a row of the assumptions table of a forecast (the
/// scenario's inputs, with the level they are drawn at) and of the operational overhead (the
/// `[overhead]` section's, with a unit and the source of each default). The same type is
/// saved in a report's JSON and read back; the fields a row does not have are left out, so a
/// forecast's row is `key, value, origin, level, non_neutral_default` and an overhead row
/// `key, value, unit, origin, source`, as they always were.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assumption {
    /// Dotted key.
    pub key: String,
    /// The value or distribution as written (or the default).
    pub value: String,
    /// Unit (overhead inputs).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub unit: Option<String>,
    /// Where it came from.
    pub origin: Origin,
    /// Drawn once per `trial`, or per `session`/`turn`/`call`, or once per `run` (forecast
    /// inputs).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub level: Option<Cow<'static, str>>,
    /// Whether a default changes the answer (not neutral): listed in the output (forecast
    /// inputs).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub non_neutral_default: Option<bool>,
    /// Source of the default (overhead inputs; `scenario` when the file sets it).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub source: Option<String>,
}

impl Assumption {
    /// A forecast input drawn at `level`.
    pub fn input(
        key: String,
        value: String,
        origin: Origin,
        level: &'static str,
        non_neutral_default: bool,
    ) -> Assumption {
        Assumption {
            key,
            value,
            unit: None,
            origin,
            level: Some(Cow::Borrowed(level)),
            non_neutral_default: Some(non_neutral_default),
            source: None,
        }
    }

    /// An `[overhead]` input in `unit`, its default from `source`.
    pub fn overhead(
        key: impl Into<String>,
        value: impl Into<String>,
        unit: impl Into<String>,
        origin: Origin,
        source: impl Into<String>,
    ) -> Assumption {
        Assumption {
            key: key.into(),
            value: value.into(),
            unit: Some(unit.into()),
            origin,
            level: None,
            non_neutral_default: None,
            source: Some(source.into()),
        }
    }

    /// A default that changes the answer.
    pub fn non_neutral(&self) -> bool {
        self.non_neutral_default == Some(true)
    }

    /// A default, whatever its effect.
    pub fn is_default(&self) -> bool {
        self.origin == Origin::Default
    }
}

/// A validated scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// File it was read from.
    pub path: Option<PathBuf>,
    /// SHA-256 of the text after overrides.
    pub sha256: String,
    /// Overrides applied.
    pub overrides: Vec<String>,
    /// Fitted workload file and its SHA-256.
    pub fitted_from: Option<(PathBuf, String)>,
    /// Files the workload reads (system prompt, tool definitions), each once.
    pub artifacts: Vec<ScenarioArtifact>,
    /// Months forecast.
    pub horizon_months: u32,
    /// First month.
    pub start_month: Month,
    /// Outer-loop trials.
    pub trials: u64,
    /// Seed.
    pub seed: u64,
    /// Engine mode.
    pub mode: Mode,
    /// Volume.
    pub volume: Volume,
    /// Monthly growth rate (per trial).
    pub monthly_growth: Uncertain,
    /// Volume multipliers by calendar month (January first).
    pub seasonality: [f64; 12],
    /// Cohorts (one segment `all` without cohorts).
    pub segments: Vec<Segment>,
    /// Caching.
    pub caching: Caching,
    /// Retries.
    pub retries: Retries,
    /// Routes.
    pub routes: Vec<Route>,
    /// Monthly budget, USD.
    pub budget_usd: Option<f64>,
    /// Pilot-to-production shift.
    pub shift: Shift,
    /// Raw `[overhead]` table for the overhead model.
    pub overhead: Option<toml::Table>,
    /// The `[overhead]` section validated (`None` without one): see [`crate::overhead`].
    pub overhead_spec: Option<overhead::OverheadSpec>,
    /// Every input with its origin.
    pub assumptions: Vec<Assumption>,
}

/// Default number of trials.
pub const DEFAULT_TRIALS: u64 = 10_000;
/// Default seed.
pub const DEFAULT_SEED: u64 = 42;

/// Per-what each workload key is drawn, its domain, and its default.
const WORKLOAD_KEYS: &[(&str, &str, Domain, f64)] = &[
    ("system_prompt_tokens", "trial", Domain::NonNegative, 0.0),
    ("turns_per_session", "session", Domain::NonNegative, 1.0),
    ("user_message_tokens", "turn", Domain::NonNegative, 0.0),
    ("output_tokens", "call", Domain::NonNegative, f64::NAN),
    ("reasoning_tokens", "call", Domain::NonNegative, 0.0),
    ("tool_rounds_per_turn", "turn", Domain::NonNegative, 0.0),
    ("tool_calls_per_round", "round", Domain::NonNegative, 1.0),
    ("tool_result_tokens", "tool call", Domain::NonNegative, 0.0),
    ("input_tokens", "call", Domain::NonNegative, f64::NAN),
];

struct Ctx<'a> {
    file: &'a str,
    text: &'a str,
    /// Whether spans point into `text` (false for merged tables).
    spans: bool,
}

impl Ctx<'_> {
    fn line<T>(&self, s: &Spanned<T>) -> Option<usize> {
        self.spans
            .then(|| toml_util::line_of(self.text, s.span().start))
    }

    fn invalid(&self, key: &str, line: Option<usize>, message: impl Into<String>) -> ScenarioError {
        ScenarioError::Invalid {
            file: self.file.to_string(),
            key: key.to_string(),
            line,
            message: message.into(),
        }
    }

    fn check(&self, u: &U, key: &str, domain: Domain) -> Result<Uncertain, ScenarioError> {
        // The key's own limit first: it names the unit and the documented bound.
        limits::check_key(u.get_ref(), key).map_err(|m| self.invalid(key, self.line(u), m))?;
        u.get_ref()
            .validate(key, domain)
            .map_err(|e| self.invalid(key, self.line(u), e.message))?;
        Ok(u.get_ref().clone())
    }
}

fn parse_toml<T: serde::de::DeserializeOwned>(
    file: &str,
    text: &str,
    spans: bool,
) -> Result<T, ScenarioError> {
    toml::from_str(text).map_err(|e| {
        let mut problem = toml_util::describe(&e, text);
        if !spans {
            problem.line = None;
            if let Some(i) = problem.message.find(" (in `") {
                problem.message.truncate(i);
            }
        }
        ScenarioError::Parse {
            file: file.to_string(),
            problem,
        }
    })
}

/// Merge `over` on top of `base` (keys of `over` win; nested tables merge).
fn merge(base: &mut toml::Table, over: &toml::Table) {
    for (k, v) in over {
        match (base.get_mut(k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) if !o.contains_key("dist") => {
                merge(b, o)
            }
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
}

/// Keys that give one input two ways (a file, a number): a table that sets either replaces both
/// below it, so a scenario's `system_prompt` file replaces a fitted `system_prompt_tokens` and a
/// cohort's number replaces the workload's file. One table setting both is an error.
const ALTERNATIVES: &[(&str, &str)] = &[("system_prompt", "system_prompt_tokens")];

/// Remove from `base` the alternatives of the keys `over` sets.
fn drop_replaced(base: &mut toml::Table, over: &toml::Table) {
    for (a, b) in ALTERNATIVES {
        if over.contains_key(*a) {
            base.remove(*b);
        }
        if over.contains_key(*b) {
            base.remove(*a);
        }
    }
}

impl Scenario {
    /// Read a scenario file and apply `--set` overrides.
    pub fn load(path: &Path, overrides: &[String]) -> Result<Scenario, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Scenario::from_text(&path.display().to_string(), &text, path.parent(), overrides)
    }

    /// Read a scenario from text; `base_dir` resolves relative paths (`from`).
    pub fn from_text(
        name: &str,
        text: &str,
        base_dir: Option<&Path>,
        overrides: &[String],
    ) -> Result<Scenario, ScenarioError> {
        Scenario::from_text_with_workload(name, text, base_dir, overrides, None)
    }

    /// As [`Scenario::from_text`], with the fitted workload given as text instead of read from
    /// the path in `[workload] from` (backtests fit and forecast in memory).
    pub fn from_text_with_workload(
        name: &str,
        text: &str,
        base_dir: Option<&Path>,
        overrides: &[String],
        fitted: Option<&str>,
    ) -> Result<Scenario, ScenarioError> {
        let text = toml_util::apply_overrides(text, overrides).map_err(|e| match e {
            OverrideError::Parse(m) => ScenarioError::Parse {
                file: name.to_string(),
                problem: TomlProblem {
                    line: None,
                    message: m.replace('\n', " "),
                },
            },
            other => ScenarioError::Override(other),
        })?;
        let file_label = if overrides.is_empty() {
            name.to_string()
        } else {
            format!("{name} (with --set overrides)")
        };
        let raw: ScenarioFile = parse_toml(&file_label, &text, true)?;
        let table: toml::Table = parse_toml(&file_label, &text, true)?;
        let ctx = Ctx {
            file: &file_label,
            text: &text,
            spans: true,
        };
        let set_keys: Vec<String> = overrides
            .iter()
            .filter_map(|o| o.split_once('=').map(|(k, _)| k.trim().to_string()))
            .collect();

        if raw.schema_version != 1 {
            return Err(ctx.invalid(
                "schema_version",
                None,
                format!(
                    "version {} is not supported; write schema_version = 1",
                    raw.schema_version
                ),
            ));
        }
        let mut r = sections::Reader::new(ctx, &set_keys);
        let run = r.run_settings(&raw)?;
        let traffic = r.traffic(&raw.traffic, &run)?;
        let base_dir = base_dir.map(Path::to_path_buf).unwrap_or_default();
        let read = r.workload(&raw, &table, &base_dir, fitted)?;
        let fitted_from = read.fitted_from.clone();
        let fitted_text = read.fitted_text.clone();
        let (segments, artifacts) = r.cohorts(&raw.traffic, read, &base_dir)?;
        // The fitted file's [caching], [retries] and [shift] fill in what the scenario leaves
        // out, validated against the fitted file's own lines.
        let extras: FittedExtras = match &fitted_text {
            Some((label, text)) => parse_toml(label, text, true)?,
            None => FittedExtras::default(),
        };
        let fctx = fitted_text.as_ref().map(|(label, text)| Ctx {
            file: label,
            text,
            spans: true,
        });
        let caching = r.caching(&raw.caching, &extras.caching, fctx.as_ref())?;
        let retries = r.retries(&raw.retries, &extras.retries, fctx.as_ref())?;
        let routes = r.routes(&raw)?;
        // [overhead]: validated here, with its lines, so every command rejects a bad section.
        let overhead_spec =
            overhead::OverheadSpec::from_scenario_text(&file_label, &text, &set_keys)?;
        let budget_usd = r.budget(&raw)?;
        let shift = r.shift(&raw, extras.shift.as_ref(), fctx.as_ref())?;
        let sections::RunSettings {
            trials,
            seed,
            mode,
            horizon_months,
            start_month,
        } = run;
        let sections::Traffic {
            volume,
            monthly_growth,
            seasonality,
        } = traffic;
        let (ctx, assumptions) = (r.ctx, r.assumptions);

        Ok(Scenario {
            name: raw.name.clone(),
            description: raw.description.clone(),
            path: None,
            sha256: crate::pricing::book::sha256_hex(text.as_bytes()),
            overrides: overrides.to_vec(),
            fitted_from,
            artifacts,
            horizon_months,
            start_month,
            trials,
            seed,
            mode,
            volume,
            monthly_growth,
            seasonality,
            segments,
            caching,
            retries,
            routes,
            budget_usd,
            shift,
            overhead: raw.overhead.clone(),
            overhead_spec,
            assumptions,
        })
        .and_then(|mut s| {
            s.path = if name.is_empty() {
                None
            } else {
                Some(PathBuf::from(name))
            };
            limits::check_scenario(&s).map_err(|(key, message)| {
                let line = toml_util::line_of_key(&text, &key);
                ctx.invalid(&key, line, message)
            })?;
            Ok(s)
        })
    }

    /// The months forecast.
    pub fn months(&self) -> Vec<Month> {
        (0..self.horizon_months)
            .map(|i| self.start_month.plus(i as i32))
            .collect()
    }
}

/// The `[caching]` and `[retries]` of a fitted workload file (other tables are ignored here).
#[derive(serde::Deserialize, Default)]
struct FittedExtras {
    #[serde(default)]
    caching: file::CachingSection,
    #[serde(default)]
    retries: file::RetriesSection,
    /// Written by `fit` from the data's drift (`fit::drift`).
    #[serde(default)]
    shift: Option<ShiftSection>,
}

#[derive(serde::Deserialize)]
struct WorkloadOnly {
    #[allow(dead_code)]
    workload: WorkloadSection,
    #[serde(flatten)]
    #[allow(dead_code)]
    rest: toml::Table,
}

/// Read the artifact a `{ file = … }` key names, relative to `base_dir`.
fn read_artifact(
    ctx: &Ctx<'_>,
    f: &Option<Spanned<FileRef>>,
    key: &str,
    base_dir: &Path,
    expect: Expect,
) -> Result<Option<Artifact>, ScenarioError> {
    let Some(f) = f else { return Ok(None) };
    let rel = &f.get_ref().file;
    let path = base_dir.join(rel);
    Artifact::read(&path, rel, expect).map(Some).map_err(|e| {
        let hint = if e.message.starts_with("no such file") && path.as_os_str() != rel.as_str() {
            format!(
                " (paths are relative to the scenario file: looked for {})",
                path.display()
            )
        } else {
            String::new()
        };
        ctx.invalid(key, ctx.line(f), format!("{e}{hint}"))
    })
}

/// Workload keys that change a session's structure or new content: set by a scenario over a
/// fitted workload that replays recorded sessions, they switch it to its fitted laws.
const STRUCTURE_KEYS: [&str; 7] = [
    "turns_per_session",
    "user_message_tokens",
    "tool_rounds_per_turn",
    "tool_calls_per_round",
    "tool_result_tokens",
    "input_tokens",
    "context",
];

/// How parametric what-ifs apply to a fitted workload that replays recorded sessions
/// (`mode = "resample"`), given the scenario's own `[workload]` keys (overrides included)
/// and the fitted file's:
/// - `output_tokens` scales every replayed output by the ratio of the scenario's mean to the
///   fitted mean (each law at its median parameters);
/// - `system_prompt_tokens` adds the difference to the scenario's value to every replayed input;
/// - a key of [`STRUCTURE_KEYS`] switches to the fitted laws (replay cannot follow a changed
///   session structure) unless the scenario sets `mode` itself. Returns why, when it does.
fn replay_what_ifs(
    w: &mut Workload,
    scenario: &toml::Table,
    fitted: &toml::Table,
) -> Result<Option<String>, (String, String)> {
    let changed: Vec<&str> = STRUCTURE_KEYS
        .iter()
        .copied()
        .filter(|k| scenario.contains_key(*k))
        .collect();
    if !changed.is_empty() && !scenario.contains_key("mode") {
        w.resample = None;
        return Ok(Some(format!(
            "{} set by the scenario, so the fitted laws are used instead of replaying the recorded sessions",
            changed.join(", ")
        )));
    }
    let mean = |t: &toml::Table, k: &str| -> Result<Option<f64>, (String, String)> {
        let Some(v) = t.get(k) else { return Ok(None) };
        let key = format!("workload.{k}");
        let u = Uncertain::from_toml(v).map_err(|e| (key.clone(), e))?;
        let d = u
            .resolve_median(&key, Domain::NonNegative)
            .map_err(|e| (key.clone(), e.message))?;
        Ok(Some(d.mean()))
    };
    if scenario.contains_key("output_tokens")
        && let (Some(new), Some(old)) = (
            mean(scenario, "output_tokens")?,
            mean(fitted, "output_tokens")?,
        )
        && old > 0.0
    {
        w.replay_adjust[0] = new / old;
    }
    if scenario.contains_key("system_prompt_tokens")
        && let (Some(new), Some(old)) = (
            mean(scenario, "system_prompt_tokens")?,
            mean(fitted, "system_prompt_tokens")?,
        )
    {
        w.replay_adjust[1] = new - old;
    }
    Ok(None)
}

fn build_workload(
    ctx: &Ctx<'_>,
    w: &WorkloadSection,
    prefix: &str,
    base_dir: &Path,
) -> Result<Workload, ScenarioError> {
    if let (Some(f), Some(_)) = (&w.system_prompt, &w.system_prompt_tokens) {
        return Err(ctx.invalid(
            &format!("{prefix}.system_prompt"),
            ctx.line(f),
            format!(
                "the system prompt is given twice, as {prefix}.system_prompt = {{ file = \"{}\" }} and as {prefix}.system_prompt_tokens; keep one (the file is counted with each route's tokenizer, the number is in o200k_base tokens)",
                f.get_ref().file
            ),
        ));
    }
    let system_prompt_file = read_artifact(
        ctx,
        &w.system_prompt,
        &format!("{prefix}.system_prompt"),
        base_dir,
        Expect::SystemPrompt,
    )?;
    let tools_file = read_artifact(
        ctx,
        &w.tools,
        &format!("{prefix}.tools"),
        base_dir,
        Expect::Tools,
    )?;
    let get = |u: &Option<U>,
               k: &str,
               domain: Domain,
               default: f64|
     -> Result<Uncertain, ScenarioError> {
        match u {
            Some(u) => ctx.check(u, &format!("{prefix}.{k}"), domain),
            None => Ok(Uncertain::Fixed(default)),
        }
    };
    let input_tokens = match &w.input_tokens {
        Some(u) => Some(ctx.check(u, &format!("{prefix}.input_tokens"), Domain::NonNegative)?),
        None => None,
    };
    let mode = w.mode.as_deref().unwrap_or("parametric");
    let resample = match mode {
        "parametric" => None,
        "resample" => {
            if w.sessions.is_empty() {
                return Err(ctx.invalid(&format!("{prefix}.mode"), None, "mode = \"resample\" needs recorded sessions; fit with `billcast fit --resample`"));
            }
            Some(Arc::new(w.sessions.clone()))
        }
        other => {
            return Err(ctx.invalid(
                &format!("{prefix}.mode"),
                None,
                format!("'{other}': use \"parametric\" or \"resample\""),
            ));
        }
    };
    if w.output_tokens.is_none() && input_tokens.is_none() && resample.is_none() {
        return Err(ctx.invalid(
            &format!("{prefix}.output_tokens"),
            None,
            "missing: say how long outputs are, e.g. output_tokens = { dist = \"lognormal\", median = 150, sigma = 0.8 }, or use `from` with a fitted workload",
        ));
    }
    let context = match &w.context {
        None => Context::Full,
        Some(c) => {
            let line = ctx.line(c);
            let c = c.get_ref();
            match c.policy.as_str() {
                "full" => Context::Full,
                "window" => match c.turns {
                    Some(n) if (1..=limits::WINDOW_MAX as u32).contains(&n) => {
                        Context::Window { turns: n }
                    }
                    _ => {
                        return Err(ctx.invalid(
                            &format!("{prefix}.context"),
                            line,
                            "window needs turns = N with 1 ≤ N ≤ 64 (turns of history kept)",
                        ));
                    }
                },
                "summarize" => match (c.above_tokens, c.summary_tokens) {
                    (Some(a), Some(s)) if s < a => Context::Summarize {
                        above_tokens: a as f64,
                        summary_tokens: s as f64,
                    },
                    _ => {
                        return Err(ctx.invalid(
                            &format!("{prefix}.context"),
                            line,
                            "summarize needs above_tokens = N and summary_tokens = M with M < N",
                        ));
                    }
                },
                other => {
                    return Err(ctx.invalid(
                        &format!("{prefix}.context"),
                        line,
                        format!("policy '{other}': use full, window or summarize"),
                    ));
                }
            }
        }
    };
    let mut priced_tools = Vec::new();
    for (tool, share) in &w.priced_tools {
        let v = *share.get_ref();
        if !(0.0..=1.0).contains(&v) {
            return Err(ctx.invalid(
                &format!("{prefix}.priced_tools.{tool}"),
                ctx.line(share),
                "share of tool calls must be between 0 and 1",
            ));
        }
        priced_tools.push((tool.clone(), v));
    }
    let max_output_tokens = match &w.max_output_tokens {
        Some(m) if *m.get_ref() == 0 => {
            return Err(ctx.invalid(
                &format!("{prefix}.max_output_tokens"),
                ctx.line(m),
                "must be ≥ 1",
            ));
        }
        Some(m) => Some(*m.get_ref() as f64),
        None => None,
    };
    let mut replicates = Vec::new();
    for (i, rep) in w.replicates.iter().enumerate() {
        let mut m = BTreeMap::new();
        for (k, v) in rep {
            let Some((_, _, domain, _)) = WORKLOAD_KEYS.iter().find(|(name, ..)| name == k) else {
                return Err(ctx.invalid(
                    &format!("{prefix}.replicates[{i}].{k}"),
                    None,
                    "not a fitted workload key",
                ));
            };
            let u = Uncertain::from_toml(v)
                .map_err(|e| ctx.invalid(&format!("{prefix}.replicates[{i}].{k}"), None, e))?;
            u.validate(k, *domain).map_err(|e| {
                ctx.invalid(&format!("{prefix}.replicates[{i}].{k}"), None, e.message)
            })?;
            limits::check_key(&u, k)
                .map_err(|m| ctx.invalid(&format!("{prefix}.replicates[{i}].{k}"), None, m))?;
            m.insert(k.clone(), u);
        }
        replicates.push(m);
    }
    Ok(Workload {
        system_prompt_tokens: get(
            &w.system_prompt_tokens,
            "system_prompt_tokens",
            Domain::NonNegative,
            0.0,
        )?,
        turns_per_session: get(
            &w.turns_per_session,
            "turns_per_session",
            Domain::NonNegative,
            1.0,
        )?,
        user_message_tokens: get(
            &w.user_message_tokens,
            "user_message_tokens",
            Domain::NonNegative,
            0.0,
        )?,
        output_tokens: get(&w.output_tokens, "output_tokens", Domain::NonNegative, 0.0)?,
        max_output_tokens,
        reasoning_tokens: get(
            &w.reasoning_tokens,
            "reasoning_tokens",
            Domain::NonNegative,
            0.0,
        )?,
        tool_rounds_per_turn: get(
            &w.tool_rounds_per_turn,
            "tool_rounds_per_turn",
            Domain::NonNegative,
            0.0,
        )?,
        tool_calls_per_round: get(
            &w.tool_calls_per_round,
            "tool_calls_per_round",
            Domain::NonNegative,
            1.0,
        )?,
        tool_result_tokens: get(
            &w.tool_result_tokens,
            "tool_result_tokens",
            Domain::NonNegative,
            0.0,
        )?,
        input_tokens,
        context,
        priced_tools,
        replicates,
        resample,
        system_prompt_file,
        tools_file,
        replay_adjust: [1.0, 0.0],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forecast_and_an_overhead_assumption_keep_their_json_fields_and_read_back() {
        let f = Assumption::input("a.b".into(), "3".into(), Origin::Default, "trial", true);
        let json = serde_json::to_string(&f).unwrap();
        assert_eq!(
            json,
            r#"{"key":"a.b","value":"3","origin":"default","level":"trial","non_neutral_default":true}"#
        );
        assert_eq!(serde_json::from_str::<Assumption>(&json).unwrap(), f);
        assert!(f.non_neutral() && f.is_default());
        let o = Assumption::overhead("overhead.x", "1", "h", Origin::Override, "scenario");
        let json = serde_json::to_string(&o).unwrap();
        assert_eq!(
            json,
            r#"{"key":"overhead.x","value":"1","unit":"h","origin":"override","source":"scenario"}"#
        );
        assert_eq!(serde_json::from_str::<Assumption>(&json).unwrap(), o);
        assert!(!o.non_neutral() && !o.is_default());
    }
}
