//! The scenario file as written (`scenarios/*.toml`), before validation. Every section and key
//! is documented in `scenarios/README.md`; unknown keys are errors with a suggestion.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::dist::Uncertain;
use crate::units::Month;

/// An uncertain number with its place in the file.
pub type U = Spanned<Uncertain>;

/// Top level of a scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Format version; 1.
    pub schema_version: u32,
    /// Short name shown in reports.
    pub name: String,
    /// One or two sentences on what is forecast.
    #[serde(default)]
    pub description: Option<String>,
    /// Months forecast (default 1).
    #[serde(default)]
    pub horizon_months: Option<Spanned<u32>>,
    /// First month, `YYYY-MM`; selects effective-dated prices (default: the current month).
    #[serde(default)]
    pub start_month: Option<Month>,
    /// Trials, seed, mode.
    #[serde(default)]
    pub simulation: SimulationSection,
    /// Volume and growth.
    pub traffic: TrafficSection,
    /// What a session looks like.
    pub workload: WorkloadSection,
    /// Prompt caching.
    #[serde(default)]
    pub caching: CachingSection,
    /// Failures and retries.
    #[serde(default)]
    pub retries: RetriesSection,
    /// Which models serve the traffic.
    pub routes: Vec<RouteSection>,
    /// Monthly budget.
    #[serde(default)]
    pub budget: Option<BudgetSection>,
    /// Pilot-to-production shift (representativeness uncertainty).
    #[serde(default)]
    pub shift: Option<ShiftSection>,
    /// Multi-provider operational overhead (read by `billcast overhead`).
    #[serde(default)]
    pub overhead: Option<toml::Table>,
}

/// `[simulation]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulationSection {
    /// Outer-loop worlds (default 10,000).
    #[serde(default)]
    pub trials: Option<Spanned<u64>>,
    /// Random seed (default 42): an integer, or a string for seeds above 2⁶³ − 1
    /// (read by [`super::limits::parse_seed`]).
    #[serde(default)]
    pub seed: Option<Spanned<toml::Value>>,
    /// `exact`, `fast` or `auto` (default).
    #[serde(default)]
    pub mode: Option<Spanned<String>>,
}

/// `[traffic]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrafficSection {
    /// Monthly active users in the first month (per trial).
    #[serde(default)]
    pub monthly_active_users: Option<U>,
    /// Sessions per user per month (per trial).
    #[serde(default)]
    pub sessions_per_user: Option<U>,
    /// Sessions per month in the first month (per trial).
    #[serde(default)]
    pub sessions_per_month: Option<U>,
    /// One-turn requests per month in the first month (per trial).
    #[serde(default)]
    pub requests_per_month: Option<U>,
    /// Month-over-month growth rate, e.g. 0.08 (per trial).
    #[serde(default)]
    pub monthly_growth: Option<U>,
    /// Twelve multipliers on volume for January…December.
    #[serde(default)]
    pub seasonality: Option<Spanned<Vec<f64>>>,
    /// User cohorts with their own workload.
    #[serde(default)]
    pub cohorts: Vec<CohortSection>,
}

/// `[[traffic.cohorts]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CohortSection {
    /// Cohort name.
    pub name: String,
    /// Share of users (or of sessions for direct volumes), 0–1.
    pub share: Spanned<f64>,
    /// Multiplier on sessions per user for this cohort (per trial; default 1).
    #[serde(default)]
    pub sessions_scale: Option<U>,
    /// Workload keys that differ from `[workload]`.
    #[serde(default)]
    pub workload: toml::Table,
}

/// The `[workload]` keys (after merging a fitted file and cohort overrides).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSection {
    /// A workload file written by `billcast fit`, relative to the scenario.
    #[serde(default)]
    pub from: Option<String>,
    /// `parametric` (fitted marginals, default) or `resample` (replay recorded sessions).
    #[serde(default)]
    pub mode: Option<String>,
    /// Static prefix (system prompt + tool schemas), tokens; cacheable (per trial).
    #[serde(default)]
    pub system_prompt_tokens: Option<U>,
    /// The system prompt as a file (text, Markdown or messages JSON), counted per route;
    /// instead of `system_prompt_tokens`.
    #[serde(default)]
    pub system_prompt: Option<Spanned<FileRef>>,
    /// Tool definitions as a file (OpenAI or Anthropic JSON), counted per route and added to
    /// the static prefix with the provider's tool-use overhead.
    #[serde(default)]
    pub tools: Option<Spanned<FileRef>>,
    /// Turns per session (per session).
    #[serde(default)]
    pub turns_per_session: Option<U>,
    /// User message tokens (per turn).
    #[serde(default)]
    pub user_message_tokens: Option<U>,
    /// Visible output tokens (per call), before the cap.
    #[serde(default)]
    pub output_tokens: Option<U>,
    /// Output cap per call, tokens.
    #[serde(default)]
    pub max_output_tokens: Option<Spanned<u64>>,
    /// Reasoning tokens (per call), billed as output.
    #[serde(default)]
    pub reasoning_tokens: Option<U>,
    /// Tool-call rounds per turn (per turn).
    #[serde(default)]
    pub tool_rounds_per_turn: Option<U>,
    /// Tool calls per round (per round).
    #[serde(default)]
    pub tool_calls_per_round: Option<U>,
    /// Tokens of one tool result (per tool call).
    #[serde(default)]
    pub tool_result_tokens: Option<U>,
    /// Input tokens per call, sampled directly (call-level logs); replaces the history model.
    #[serde(default)]
    pub input_tokens: Option<U>,
    /// Context policy.
    #[serde(default)]
    pub context: Option<Spanned<ContextSection>>,
    /// Share of tool calls that are billable provider tools, by tool id (e.g. web_search = 0.3).
    #[serde(default)]
    pub priced_tools: BTreeMap<String, Spanned<f64>>,
    /// Bootstrap replicates of fitted keys (written by `billcast fit`).
    #[serde(default)]
    pub replicates: Vec<toml::Table>,
    /// Recorded sessions for `mode = "resample"`: per session, per call `[input, output, tool_calls]`.
    #[serde(default)]
    pub sessions: Vec<Vec<[f64; 3]>>,
}

/// `{ file = "prompts/support.md" }`: a file, relative to the scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileRef {
    /// Path relative to the scenario file.
    pub file: String,
}

/// `context = { policy = ... }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextSection {
    /// `full`, `window` or `summarize`.
    pub policy: String,
    /// Turns kept by `window`.
    #[serde(default)]
    pub turns: Option<u32>,
    /// History size that triggers `summarize`, tokens.
    #[serde(default)]
    pub above_tokens: Option<u64>,
    /// Size of the summary that replaces the history, tokens.
    #[serde(default)]
    pub summary_tokens: Option<u64>,
}

/// `[caching]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CachingSection {
    /// Whether the application uses prompt caching (default: on when a hit rate other than 0
    /// is given, else off).
    #[serde(default)]
    pub enabled: Option<Spanned<bool>>,
    /// Probability a call reads its cacheable prefix from cache (per trial).
    #[serde(default)]
    pub hit_rate: Option<U>,
    /// TTL of cache writes, e.g. `5m` or `1h`.
    #[serde(default)]
    pub write_ttl: Option<Spanned<String>>,
    /// What is cacheable: `system` (static prefix, default) or `history` (all but new content).
    #[serde(default)]
    pub cacheable: Option<Spanned<String>>,
}

/// One failure class.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailureSection {
    /// Probability per attempt (per trial).
    pub p: U,
    /// Whether a failed attempt is billed.
    #[serde(default)]
    pub billed: Option<bool>,
}

/// `[retries]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetriesSection {
    /// Attempts per call including the first (default 1 = no retries).
    #[serde(default)]
    pub max_attempts: Option<Spanned<u32>>,
    /// 429s: not billed by default.
    #[serde(default)]
    pub rate_limit: Option<FailureSection>,
    /// 529/503 overload: not billed by default.
    #[serde(default)]
    pub overload: Option<FailureSection>,
    /// Client timeout after generation: billed by default.
    #[serde(default)]
    pub timeout: Option<FailureSection>,
    /// Output rejected by validation (sampling retry): billed by default.
    #[serde(default)]
    pub invalid_output: Option<FailureSection>,
}

/// `[[routes]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteSection {
    /// `provider/model` from the price book.
    pub model: Spanned<String>,
    /// Share of sessions (default 1 for a single route).
    #[serde(default)]
    pub share: Option<Spanned<f64>>,
    /// Display name (default: the model).
    #[serde(default)]
    pub name: Option<String>,
    /// Service tier (`batch`, `flex`, `priority`, …).
    #[serde(default)]
    pub service_tier: Option<String>,
    /// Region uplift name.
    #[serde(default)]
    pub region: Option<String>,
    /// Multiplier on sampled output length (a reasoning model talks longer).
    #[serde(default)]
    pub output_tokens_scale: Option<Spanned<f64>>,
    /// Override of the price table's tokenizer ratio.
    #[serde(default)]
    pub tokenizer_ratio: Option<Spanned<f64>>,
}

/// `[budget]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetSection {
    /// Monthly budget, USD.
    pub monthly_usd: Spanned<f64>,
}

/// `[shift]`: how production may differ from the pilot the workload was fitted on.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShiftSection {
    /// Multiplier on fitted token sizes (per trial).
    #[serde(default)]
    pub size: Option<U>,
    /// Multiplier on fitted counts: turns, tool rounds (per trial).
    #[serde(default)]
    pub count: Option<U>,
    /// Multiplier on volume (per trial).
    #[serde(default)]
    pub volume: Option<U>,
}
