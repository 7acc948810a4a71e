//! One reader per section of a scenario file — `[simulation]`, `[traffic]`, `[workload]` with
//! its cohorts, `[caching]`, `[retries]`, `[[routes]]`, `[budget]`, `[shift]` — each validating
//! its keys (errors name the file, key and line) and recording its assumptions under one origin
//! rule ([`origin_of`]); keys a fitted workload file may also set go through [`Reader::pick`]
//! (the scenario's value, else the fitted file's, else the default). `[overhead]` has its own
//! reader in [`super::overhead`] under the same origin rule.

use std::path::{Path, PathBuf};

use super::file::{self, FailureSection, ScenarioFile, ShiftSection, U, WorkloadSection};
use super::{
    Assumption, Cacheable, Caching, Context, Ctx, DEFAULT_SEED, DEFAULT_TRIALS, FailureClass, Mode,
    Origin, Retries, Route, ScenarioArtifact, ScenarioError, Segment, Shift, Volume, WORKLOAD_KEYS,
    Workload, WorkloadOnly, build_workload, default_fitted_shift, drop_replaced, limits, merge,
    parse_toml, replay_what_ifs,
};
use crate::dist::{Domain, Uncertain};
use crate::ingest::tokens::Tokenizer;
use crate::units::{Month, format_count};

/// The one override-origin rule of every section, `[overhead]` included: a key is an override
/// when a `--set` names it, a table above it or a key below it; else it is the scenario's when
/// the file gives it, else a default.
pub fn origin_of(set_keys: &[String], key: &str, present: bool) -> Origin {
    let overridden = set_keys.iter().any(|k| {
        k == key || key.starts_with(&format!("{k}.")) || k.starts_with(&format!("{key}."))
    });
    if overridden {
        Origin::Override
    } else if present {
        Origin::Scenario
    } else {
        Origin::Default
    }
}

/// A value chosen by [`Reader::pick`]: where it is, the document its lines point into, and
/// where it came from.
pub(super) struct Picked<'r, T> {
    pub value: Option<&'r T>,
    pub ctx: &'r Ctx<'r>,
    pub origin: Origin,
}

/// `[simulation]`, `horizon_months` and `start_month`.
pub(super) struct RunSettings {
    pub trials: u64,
    pub seed: u64,
    pub mode: Mode,
    pub horizon_months: u32,
    pub start_month: Month,
}

/// `[traffic]` without its cohorts.
pub(super) struct Traffic {
    pub volume: Volume,
    pub monthly_growth: Uncertain,
    pub seasonality: [f64; 12],
}

/// `[workload]` merged over its fitted file.
pub(super) struct WorkloadRead {
    pub workload: Workload,
    /// The merged `[workload]` table (cohorts merge their keys over it).
    pub merged_table: toml::Table,
    /// The fitted file and its SHA-256.
    pub fitted_from: Option<(PathBuf, String)>,
    /// (label, text) of the fitted file: its `[caching]`, `[retries]` and `[shift]` fill in
    /// what the scenario leaves out.
    pub fitted_text: Option<(String, String)>,
}

/// Reads the sections of one scenario text.
pub(super) struct Reader<'a> {
    pub ctx: Ctx<'a>,
    set_keys: &'a [String],
    pub assumptions: Vec<Assumption>,
}

impl<'a> Reader<'a> {
    pub fn new(ctx: Ctx<'a>, set_keys: &'a [String]) -> Reader<'a> {
        Reader {
            ctx,
            set_keys,
            assumptions: Vec::new(),
        }
    }

    fn origin(&self, key: &str, present: bool) -> Origin {
        origin_of(self.set_keys, key, present)
    }

    /// The scenario's value of `key` (origin scenario or override), else the fitted file's
    /// (origin fitted, its lines from `fctx`), else none (origin default or override).
    pub fn pick<'r, T>(
        &'r self,
        key: &str,
        own: Option<&'r T>,
        fitted: Option<&'r T>,
        fctx: Option<&'r Ctx<'r>>,
    ) -> Picked<'r, T> {
        match (own, fitted, fctx) {
            (Some(v), _, _) => Picked {
                value: Some(v),
                ctx: &self.ctx,
                origin: self.origin(key, true),
            },
            (None, Some(v), Some(f)) => Picked {
                value: Some(v),
                ctx: f,
                origin: Origin::Fitted,
            },
            _ => Picked {
                value: None,
                ctx: &self.ctx,
                origin: self.origin(key, false),
            },
        }
    }

    /// `[simulation]`, `horizon_months`, `start_month`.
    pub fn run_settings(&mut self, raw: &ScenarioFile) -> Result<RunSettings, ScenarioError> {
        let trials = match &raw.simulation.trials {
            Some(t) => {
                let horizon = raw.horizon_months.as_ref().map_or(1, |h| *h.get_ref());
                limits::check_trials(*t.get_ref(), Some(horizon))
                    .map_err(|m| self.ctx.invalid("simulation.trials", self.ctx.line(t), m))?;
                *t.get_ref()
            }
            None => DEFAULT_TRIALS,
        };
        let seed = match &raw.simulation.seed {
            Some(v) => limits::parse_seed(v.get_ref())
                .map_err(|m| self.ctx.invalid("simulation.seed", self.ctx.line(v), m))?,
            None => DEFAULT_SEED,
        };
        let mode = match &raw.simulation.mode {
            None => Mode::Auto,
            Some(m) => match m.get_ref().as_str() {
                "exact" => Mode::Exact,
                "fast" => Mode::Fast,
                "auto" => Mode::Auto,
                other => {
                    return Err(self.ctx.invalid(
                        "simulation.mode",
                        self.ctx.line(m),
                        format!("'{other}' is not a mode; use exact, fast or auto"),
                    ));
                }
            },
        };
        for (k, v, present) in [
            (
                "simulation.trials",
                trials.to_string(),
                raw.simulation.trials.is_some(),
            ),
            (
                "simulation.seed",
                seed.to_string(),
                raw.simulation.seed.is_some(),
            ),
            (
                "simulation.mode",
                format!("{mode:?}").to_lowercase(),
                raw.simulation.mode.is_some(),
            ),
        ] {
            self.assumptions.push(Assumption::input(
                k.into(),
                v,
                self.origin(k, present),
                "run",
                false,
            ));
        }

        let horizon_months = match &raw.horizon_months {
            Some(h) if *h.get_ref() == 0 || *h.get_ref() > 120 => {
                return Err(self.ctx.invalid(
                    "horizon_months",
                    self.ctx.line(h),
                    "must be between 1 and 120 months",
                ));
            }
            Some(h) => *h.get_ref(),
            None => 1,
        };
        let start_month = raw.start_month.unwrap_or_else(|| {
            let d = crate::units::today_utc();
            Month {
                year: d.year() as i32,
                month: d.month() as u8,
            }
        });
        self.assumptions.push(Assumption::input(
            "horizon_months".into(),
            horizon_months.to_string(),
            self.origin("horizon_months", raw.horizon_months.is_some()),
            "run",
            false,
        ));
        self.assumptions.push(Assumption::input(
            "start_month".into(),
            start_month.to_string(),
            self.origin("start_month", raw.start_month.is_some()),
            "run",
            raw.start_month.is_none(),
        ));

        Ok(RunSettings {
            trials,
            seed,
            mode,
            horizon_months,
            start_month,
        })
    }

    /// `[traffic]`: the volume, growth and seasonality.
    pub fn traffic(
        &mut self,
        t: &file::TrafficSection,
        run: &RunSettings,
    ) -> Result<Traffic, ScenarioError> {
        let volume = match (
            &t.monthly_active_users,
            &t.sessions_per_user,
            &t.sessions_per_month,
            &t.requests_per_month,
        ) {
            (Some(u), Some(s), None, None) => Volume::Users {
                users: self
                    .ctx
                    .check(u, "traffic.monthly_active_users", Domain::NonNegative)?,
                sessions_per_user: self.ctx.check(
                    s,
                    "traffic.sessions_per_user",
                    Domain::NonNegative,
                )?,
            },
            (None, None, Some(s), None) => Volume::Sessions(self.ctx.check(
                s,
                "traffic.sessions_per_month",
                Domain::NonNegative,
            )?),
            (None, None, None, Some(r)) => Volume::Requests(self.ctx.check(
                r,
                "traffic.requests_per_month",
                Domain::NonNegative,
            )?),
            (Some(_), None, None, None) => {
                return Err(self.ctx.invalid(
                    "traffic",
                    None,
                    "monthly_active_users needs sessions_per_user (sessions per user per month)",
                ));
            }
            (None, Some(_), None, None) => {
                return Err(self.ctx.invalid(
                    "traffic",
                    None,
                    "sessions_per_user needs monthly_active_users",
                ));
            }
            (None, None, None, None) => {
                return Err(self.ctx.invalid(
                    "traffic",
                    None,
                    "give the volume: monthly_active_users + sessions_per_user, or sessions_per_month, or requests_per_month",
                ));
            }
            _ => {
                return Err(self.ctx.invalid(
                    "traffic",
                    None,
                    "give exactly one volume: monthly_active_users + sessions_per_user, or sessions_per_month, or requests_per_month",
                ));
            }
        };
        for (k, u) in [
            ("traffic.monthly_active_users", &t.monthly_active_users),
            ("traffic.sessions_per_user", &t.sessions_per_user),
            ("traffic.sessions_per_month", &t.sessions_per_month),
            ("traffic.requests_per_month", &t.requests_per_month),
        ] {
            if let Some(u) = u {
                self.assumptions.push(Assumption::input(
                    k.into(),
                    u.get_ref().to_string(),
                    self.origin(k, true),
                    "trial",
                    false,
                ));
            }
        }
        let monthly_growth = match &t.monthly_growth {
            Some(g) => self.ctx.check(g, "traffic.monthly_growth", Domain::Real)?,
            None => Uncertain::Fixed(0.0),
        };
        self.assumptions.push(Assumption::input(
            "traffic.monthly_growth".into(),
            monthly_growth.to_string(),
            self.origin("traffic.monthly_growth", t.monthly_growth.is_some()),
            "trial",
            false,
        ));
        let seasonality = match &t.seasonality {
            None => [1.0; 12],
            Some(s) => {
                let v = s.get_ref();
                if v.len() != 12 || v.iter().any(|x| !x.is_finite() || *x < 0.0) {
                    return Err(self.ctx.invalid(
                        "traffic.seasonality",
                        self.ctx.line(s),
                        "give 12 multipliers ≥ 0, January to December",
                    ));
                }
                let mut a = [1.0; 12];
                a.copy_from_slice(v);
                limits::check_seasonality(&a, run.start_month, run.horizon_months)
                    .map_err(|m| self.ctx.invalid("traffic.seasonality", self.ctx.line(s), m))?;
                a
            }
        };

        Ok(Traffic {
            volume,
            monthly_growth,
            seasonality,
        })
    }

    /// `[workload]`, merged over the file `from` names (or `fitted`, its text given directly).
    pub fn workload(
        &mut self,
        raw: &ScenarioFile,
        table: &toml::Table,
        base_dir: &Path,
        fitted: Option<&str>,
    ) -> Result<WorkloadRead, ScenarioError> {
        let scenario_workload_table = table
            .get("workload")
            .and_then(|v| v.as_table())
            .cloned()
            .unwrap_or_default();
        let mut fitted_from = None;
        let mut fitted_keys: Vec<String> = Vec::new();
        // (label, text) of the fitted file: its [caching] and [retries] fill in what the
        // scenario leaves out.
        let mut fitted_text: Option<(String, String)> = None;
        // The fitted file's own [workload], before the scenario's keys are merged in.
        let mut fitted_wtable = toml::Table::new();
        let (merged_table, merged_section) = match &raw.workload.from {
            None => (scenario_workload_table.clone(), raw.workload.clone()),
            Some(rel) => {
                let p = base_dir.join(rel);
                let ftext = match fitted {
                    Some(t) => t.to_string(),
                    None => std::fs::read_to_string(&p).map_err(|e| {
                        self.ctx.invalid("workload.from", None, format!("cannot read fitted workload {}: {e}; paths are relative to the scenario file", p.display()))
                    })?,
                };
                let ftable: toml::Table = parse_toml(&p.display().to_string(), &ftext, true)?;
                let mut merged = match ftable.get("workload") {
                    Some(toml::Value::Table(w)) => w.clone(),
                    _ => {
                        return Err(self.ctx.invalid(
                            "workload.from",
                            None,
                            format!(
                                "{} has no [workload] table; write it with `billcast fit`",
                                p.display()
                            ),
                        ));
                    }
                };
                // Check the fitted file's own keys with its own line numbers.
                let _: WorkloadOnly = parse_toml(&p.display().to_string(), &ftext, true)?;
                fitted_keys = merged.keys().cloned().collect();
                fitted_wtable = merged.clone();
                let mut over = scenario_workload_table.clone();
                over.remove("from");
                drop_replaced(&mut merged, &over);
                merge(&mut merged, &over);
                fitted_from = Some((
                    p.clone(),
                    crate::pricing::book::sha256_hex(ftext.as_bytes()),
                ));
                fitted_text = Some((p.display().to_string(), ftext.clone()));
                let merged_text = toml::to_string(&merged)
                    .map_err(|e| self.ctx.invalid("workload", None, e.to_string()))?;
                let section: WorkloadSection = parse_toml(
                    &format!("{} [workload] merged with {}", self.ctx.file, p.display()),
                    &merged_text,
                    false,
                )?;
                (merged, section)
            }
        };
        let wctx_spans = raw.workload.from.is_none();
        let wctx = Ctx {
            file: self.ctx.file,
            text: self.ctx.text,
            spans: wctx_spans,
        };
        let mut workload = build_workload(&wctx, &merged_section, "workload", base_dir)?;
        if let Some(rec) = &workload.resample {
            let n = rec.len();
            let mode = replay_what_ifs(&mut workload, &scenario_workload_table, &fitted_wtable)
                .map_err(|(key, m)| self.ctx.invalid(&key, None, m))?;
            let value = match mode {
                None => format!("resample: replay {n} recorded sessions"),
                Some(why) => format!("parametric: {why}"),
            };
            self.assumptions.push(Assumption::input(
                "workload.mode".into(),
                value,
                if scenario_workload_table.contains_key("mode") {
                    self.origin("workload.mode", true)
                } else {
                    Origin::Fitted
                },
                "session",
                false,
            ));
        }
        for (k, level, _, default) in WORKLOAD_KEYS {
            // A system prompt read from a file replaces the number (listed below).
            if *k == "system_prompt_tokens" && workload.system_prompt_file.is_some() {
                continue;
            }
            let key = format!("workload.{k}");
            let present_in_scenario = scenario_workload_table.contains_key(*k);
            let from_fit = fitted_keys.iter().any(|f| f == k) && !present_in_scenario;
            let value = match *k {
                "system_prompt_tokens" => Some(&workload.system_prompt_tokens),
                "turns_per_session" => Some(&workload.turns_per_session),
                "user_message_tokens" => Some(&workload.user_message_tokens),
                "output_tokens" => Some(&workload.output_tokens),
                "reasoning_tokens" => Some(&workload.reasoning_tokens),
                "tool_rounds_per_turn" => Some(&workload.tool_rounds_per_turn),
                "tool_calls_per_round" => Some(&workload.tool_calls_per_round),
                "tool_result_tokens" => Some(&workload.tool_result_tokens),
                _ => workload.input_tokens.as_ref(),
            };
            let Some(value) = value else { continue };
            let origin = if from_fit {
                Origin::Fitted
            } else {
                self.origin(&key, present_in_scenario)
            };
            let non_neutral = origin == Origin::Default
                && default.is_finite()
                && *default != 0.0
                && *k != "turns_per_session"
                && *k != "tool_calls_per_round";
            self.assumptions.push(Assumption::input(
                key,
                value.to_string(),
                origin,
                level,
                non_neutral,
            ));
        }
        for (k, a) in workload.artifacts() {
            let key = format!("workload.{k}");
            let origin = self.origin(&key, true);
            self.assumptions.push(Assumption::input(
                key,
                format!(
                    "{} ({}, {} o200k_base tokens; counted per route)",
                    a.label,
                    a.describe(),
                    format_count(a.tokens(Tokenizer::O200kBase) as f64)
                ),
                origin,
                "run",
                false,
            ));
        }
        self.assumptions.push(Assumption::input(
            "workload.max_output_tokens".into(),
            workload
                .max_output_tokens
                .map_or("model limit".into(), |m| format!("{m:.0}")),
            self.origin(
                "workload.max_output_tokens",
                merged_table.contains_key("max_output_tokens"),
            ),
            "call",
            false,
        ));
        self.assumptions.push(Assumption::input(
            "workload.context".into(),
            match workload.context {
                Context::Full => "full history".into(),
                Context::Window { turns } => format!("window of {turns} turns"),
                Context::Summarize {
                    above_tokens,
                    summary_tokens,
                } => format!("summarize above {above_tokens:.0} to {summary_tokens:.0} tokens"),
            },
            self.origin("workload.context", merged_table.contains_key("context")),
            "session",
            false,
        ));

        Ok(WorkloadRead {
            workload,
            merged_table,
            fitted_from,
            fitted_text,
        })
    }

    /// `[[traffic.cohorts]]`: one segment per cohort, its workload merged over the scenario's;
    /// without cohorts one segment of everything.
    pub fn cohorts(
        &mut self,
        t: &file::TrafficSection,
        read: WorkloadRead,
        base_dir: &Path,
    ) -> Result<(Vec<Segment>, Vec<ScenarioArtifact>), ScenarioError> {
        let WorkloadRead {
            workload,
            merged_table,
            ..
        } = read;
        let mut artifacts: Vec<ScenarioArtifact> = workload
            .artifacts()
            .map(|(k, a)| ScenarioArtifact {
                key: format!("workload.{k}"),
                artifact: a.clone(),
            })
            .collect();
        let mut segments = Vec::new();
        if t.cohorts.is_empty() {
            segments.push(Segment {
                name: "all".into(),
                share: 1.0,
                sessions_scale: Uncertain::Fixed(1.0),
                workload,
            });
        } else {
            let total: f64 = t.cohorts.iter().map(|c| *c.share.get_ref()).sum();
            if (total - 1.0).abs() > 1e-6 {
                return Err(self.ctx.invalid(
                    "traffic.cohorts",
                    self.ctx.line(&t.cohorts[0].share),
                    format!("cohort shares sum to {total}, not 1; make them add up to 1"),
                ));
            }
            for (i, c) in t.cohorts.iter().enumerate() {
                let key = format!("traffic.cohorts[{i}]");
                let share = *c.share.get_ref();
                if !(0.0..=1.0).contains(&share) {
                    return Err(self.ctx.invalid(
                        &format!("{key}.share"),
                        self.ctx.line(&c.share),
                        "share must be between 0 and 1",
                    ));
                }
                let sessions_scale = match &c.sessions_scale {
                    Some(s) => {
                        self.ctx
                            .check(s, &format!("{key}.sessions_scale"), Domain::NonNegative)?
                    }
                    None => Uncertain::Fixed(1.0),
                };
                let mut m = merged_table.clone();
                m.remove("from");
                drop_replaced(&mut m, &c.workload);
                merge(&mut m, &c.workload);
                let text =
                    toml::to_string(&m).map_err(|e| self.ctx.invalid(&key, None, e.to_string()))?;
                let label = format!("{} cohort '{}' workload", self.ctx.file, c.name);
                let section: WorkloadSection = parse_toml(&label, &text, false)?;
                let cctx = Ctx {
                    file: &label,
                    text: &text,
                    spans: false,
                };
                let workload =
                    build_workload(&cctx, &section, &format!("{key}.workload"), base_dir)?;
                for (k, a) in workload.artifacts() {
                    let shared = artifacts
                        .iter()
                        .any(|x| x.key == format!("workload.{k}") && x.artifact == *a);
                    if !shared {
                        artifacts.push(ScenarioArtifact {
                            key: format!("{key}.workload.{k}"),
                            artifact: a.clone(),
                        });
                    }
                }
                for (k, v) in &c.workload {
                    self.assumptions.push(Assumption::input(
                        format!("cohort.{}.{k}", c.name),
                        Uncertain::from_toml(v)
                            .map(|u| u.to_string())
                            .unwrap_or_else(|_| v.to_string()),
                        Origin::Scenario,
                        "cohort",
                        false,
                    ));
                }
                self.assumptions.push(Assumption::input(
                    format!("cohort.{}.share", c.name),
                    format!("{share}"),
                    Origin::Scenario,
                    "cohort",
                    false,
                ));
                segments.push(Segment {
                    name: c.name.clone(),
                    share,
                    sessions_scale,
                    workload,
                });
            }
        }

        Ok((segments, artifacts))
    }

    /// `[caching]`: the scenario's keys, else the fitted file's, else caching off.
    pub fn caching(
        &mut self,
        c: &file::CachingSection,
        fc: &file::CachingSection,
        fctx: Option<&Ctx<'_>>,
    ) -> Result<Caching, ScenarioError> {
        let hit = self.pick(
            "caching.hit_rate",
            c.hit_rate.as_ref(),
            fc.hit_rate.as_ref(),
            fctx,
        );
        let (hit_rate, hit_origin) = match hit.value {
            Some(h) => (
                hit.ctx.check(h, "caching.hit_rate", Domain::Probability)?,
                hit.origin,
            ),
            None => (Uncertain::Fixed(0.0), hit.origin),
        };
        let picked = self.pick(
            "caching.cacheable",
            c.cacheable.as_ref(),
            fc.cacheable.as_ref(),
            fctx,
        );
        let (cacheable_src, cacheable_ctx, cacheable_origin) =
            (picked.value, picked.ctx, picked.origin);
        let cacheable = match cacheable_src {
            None => Cacheable::System,
            Some(s) => match s.get_ref().as_str() {
                "system" => Cacheable::System,
                "history" => Cacheable::History,
                other => {
                    return Err(cacheable_ctx.invalid(
                        "caching.cacheable",
                        cacheable_ctx.line(s),
                        format!("'{other}': use \"system\" or \"history\""),
                    ));
                }
            },
        };
        let write_ttl = c
            .write_ttl
            .as_ref()
            .or(fc.write_ttl.as_ref())
            .map(|s| s.get_ref().clone());
        // Caching is on when the scenario (or its fitted file) says `enabled = true` or sets
        // any other `[caching]` key; without one the application does not cache: nothing is
        // read and nothing is written, so no cache-write surcharge is ever a silent default.
        let given = |c: &file::CachingSection| {
            c.hit_rate.is_some() || c.write_ttl.is_some() || c.cacheable.is_some()
        };
        let (enabled, enabled_origin) = match (&c.enabled, &fc.enabled) {
            (Some(e), _) => (*e.get_ref(), self.origin("caching.enabled", true)),
            (None, Some(e)) => (*e.get_ref(), Origin::Fitted),
            (None, None) if given(c) => (true, self.origin("caching.hit_rate", true)),
            (None, None) if given(fc) && fctx.is_some() => (true, Origin::Fitted),
            (None, None) => (false, self.origin("caching.enabled", false)),
        };
        self.assumptions.push(Assumption::input(
            "caching.enabled".into(),
            if enabled {
                "on".into()
            } else {
                "off: no cache reads, no cache-write charges".into()
            },
            enabled_origin,
            "run",
            false,
        ));
        self.assumptions.push(Assumption::input(
            "caching.hit_rate".into(),
            hit_rate.to_string(),
            hit_origin,
            "trial",
            false,
        ));
        if enabled {
            self.assumptions.push(Assumption::input(
                "caching.cacheable".into(),
                format!("{cacheable:?}").to_lowercase(),
                cacheable_origin,
                "run",
                false,
            ));
        }

        Ok(Caching {
            enabled,
            hit_rate,
            write_ttl,
            cacheable,
        })
    }

    /// `[retries]`: the scenario's keys, else the fitted file's, else no failures.
    pub fn retries(
        &mut self,
        r: &file::RetriesSection,
        fr: &file::RetriesSection,
        fctx: Option<&Ctx<'_>>,
    ) -> Result<Retries, ScenarioError> {
        let picked = self.pick(
            "retries.max_attempts",
            r.max_attempts.as_ref(),
            fr.max_attempts.as_ref(),
            fctx,
        );
        let (attempts_src, attempts_ctx, attempts_origin) =
            (picked.value, picked.ctx, picked.origin);
        let max_attempts = match attempts_src {
            Some(m) if *m.get_ref() == 0 || *m.get_ref() > 20 => {
                return Err(attempts_ctx.invalid(
                    "retries.max_attempts",
                    attempts_ctx.line(m),
                    "must be between 1 and 20 (attempts including the first)",
                ));
            }
            Some(m) => *m.get_ref(),
            None => 1,
        };
        let mut classes = Vec::new();
        for (name, sec, fsec, billed_default) in [
            ("rate_limit", &r.rate_limit, &fr.rate_limit, false),
            ("overload", &r.overload, &fr.overload, false),
            ("timeout", &r.timeout, &fr.timeout, true),
            (
                "invalid_output",
                &r.invalid_output,
                &fr.invalid_output,
                true,
            ),
        ] {
            let key = format!("retries.{name}");
            let chosen = self.pick(&key, sec.as_ref(), fsec.as_ref(), fctx);
            let (given, origin) = (chosen.value.is_some(), chosen.origin);
            let (p, billed) = match chosen.value {
                Some(FailureSection { p, billed }) => (
                    chosen
                        .ctx
                        .check(p, &format!("{key}.p"), Domain::Probability)?,
                    billed.unwrap_or(billed_default),
                ),
                None => (Uncertain::Fixed(0.0), billed_default),
            };
            if given {
                self.assumptions.push(Assumption::input(
                    format!("{key}.p"),
                    format!("{p} ({})", if billed { "billed" } else { "not billed" }),
                    origin,
                    "trial",
                    false,
                ));
            }
            classes.push(FailureClass { name, p, billed });
        }
        let p_max: f64 = classes
            .iter()
            .map(|c| {
                c.p.resolve_median(c.name, Domain::Probability)
                    .map(|d| d.quantile(0.999))
                    .unwrap_or(0.0)
            })
            .sum();
        if p_max >= 1.0 {
            return Err(self.ctx.invalid("retries", None, format!("failure probabilities can add up to {p_max:.3} ≥ 1 at their 99.9th percentiles; every attempt would fail")));
        }
        self.assumptions.push(Assumption::input(
            "retries.max_attempts".into(),
            max_attempts.to_string(),
            attempts_origin,
            "run",
            false,
        ));

        Ok(Retries {
            max_attempts,
            classes,
        })
    }

    /// `[[routes]]`: at least one; shares add up to 1; distinct names.
    pub fn routes(&mut self, raw: &ScenarioFile) -> Result<Vec<Route>, ScenarioError> {
        if raw.routes.is_empty() {
            return Err(self.ctx.invalid(
                "routes",
                None,
                "add at least one [[routes]] with model = \"provider/model\"",
            ));
        }
        let mut routes = Vec::new();
        let single = raw.routes.len() == 1;
        for (i, rt) in raw.routes.iter().enumerate() {
            let key = format!("routes[{i}]");
            let share = match &rt.share {
                Some(s) => {
                    let v = *s.get_ref();
                    if !(0.0..=1.0).contains(&v) || !v.is_finite() {
                        return Err(self.ctx.invalid(
                            &format!("{key}.share"),
                            self.ctx.line(s),
                            format!("share {v} must be between 0 and 1"),
                        ));
                    }
                    v
                }
                None if single => 1.0,
                None => {
                    return Err(self.ctx.invalid(
                        &format!("{key}.share"),
                        self.ctx.line(&rt.model),
                        "with several routes every route needs a share (they must add up to 1)",
                    ));
                }
            };
            let scale = match &rt.output_tokens_scale {
                Some(s) if !(*s.get_ref() > 0.0 && *s.get_ref() <= limits::MAX_OUTPUT_SCALE) => {
                    return Err(self.ctx.invalid(
                        &format!("{key}.output_tokens_scale"),
                        self.ctx.line(s),
                        format!(
                            "must be > 0 and at most {} (0 would price no output: a silent $0)",
                            limits::MAX_OUTPUT_SCALE
                        ),
                    ));
                }
                Some(s) => *s.get_ref(),
                None => 1.0,
            };
            let ratio = match &rt.tokenizer_ratio {
                Some(s) if !(*s.get_ref() > 0.0 && *s.get_ref() <= limits::MAX_TOKENIZER_RATIO) => {
                    return Err(self.ctx.invalid(
                        &format!("{key}.tokenizer_ratio"),
                        self.ctx.line(s),
                        format!(
                            "must be > 0 and at most {} (model tokens per reference token)",
                            limits::MAX_TOKENIZER_RATIO
                        ),
                    ));
                }
                Some(s) => Some(*s.get_ref()),
                None => None,
            };
            let model = rt.model.get_ref().trim().to_string();
            routes.push(Route {
                name: rt.name.clone().unwrap_or_else(|| model.clone()),
                model,
                share,
                service_tier: rt.service_tier.clone(),
                region: rt.region.clone(),
                output_tokens_scale: scale,
                tokenizer_ratio: ratio,
            });
        }
        let total: f64 = routes.iter().map(|r| r.share).sum();
        if (total - 1.0).abs() > 1e-6 {
            let line = raw.routes[0].share.as_ref().and_then(|s| self.ctx.line(s));
            return Err(self.ctx.invalid(
                "routes",
                line,
                format!("route shares sum to {total}, not 1; make them add up to 1"),
            ));
        }
        let mut names: Vec<&str> = routes.iter().map(|r| r.name.as_str()).collect();
        names.sort();
        if names.windows(2).any(|w| w[0] == w[1]) {
            return Err(self.ctx.invalid(
                "routes",
                None,
                "two routes have the same name; give each a distinct `name`",
            ));
        }

        Ok(routes)
    }

    /// `[budget]`: a positive monthly USD amount, if any.
    pub fn budget(&self, raw: &ScenarioFile) -> Result<Option<f64>, ScenarioError> {
        let budget_usd = match &raw.budget {
            Some(b) => {
                let v = *b.monthly_usd.get_ref();
                if !(v > 0.0 && v.is_finite()) {
                    return Err(self.ctx.invalid(
                        "budget.monthly_usd",
                        self.ctx.line(&b.monthly_usd),
                        format!("budget {v} must be a positive number of USD"),
                    ));
                }
                Some(v)
            }
            None => None,
        };

        Ok(budget_usd)
    }

    /// `[shift]`: neutral unless the workload was fitted from a sample.
    pub fn shift(
        &mut self,
        raw: &ScenarioFile,
        fitted_shift: Option<&ShiftSection>,
        fctx: Option<&Ctx<'_>>,
    ) -> Result<Shift, ScenarioError> {
        // [shift]: neutral unless the workload was fitted from a sample. Then the fitted file's
        // `[shift]` (the data's between-window drift combined with the calibrated prior,
        // `fit::drift`) applies, else the calibrated prior alone (a pilot is not production;
        // see `backtest::calibrate`).
        let fitted_workload = raw.workload.from.is_some();
        let shift_default = |k: &str| -> Uncertain {
            if fitted_workload && k != "shift.volume" {
                default_fitted_shift()
            } else {
                Uncertain::Fixed(1.0)
            }
        };
        let none = ShiftSection {
            size: None,
            count: None,
            volume: None,
        };
        let own = raw.shift.as_ref().unwrap_or(&none);
        let fitted = fitted_shift.unwrap_or(&none);
        let mut read = |k: &'static str, u: &Option<U>, f: &Option<U>| {
            let picked = self.pick(k, u.as_ref(), f.as_ref(), fctx);
            let value = match picked.value {
                Some(u) => picked.ctx.check(u, k, Domain::NonNegative)?,
                None => shift_default(k),
            };
            let (defaulted, origin) = (picked.value.is_none(), picked.origin);
            if value.as_fixed() != Some(1.0) {
                self.assumptions.push(Assumption::input(
                    k.into(),
                    value.to_string(),
                    origin,
                    "trial",
                    defaulted,
                ));
            }
            Ok::<Uncertain, ScenarioError>(value)
        };
        let shift = Shift {
            size: read("shift.size", &own.size, &fitted.size)?,
            count: read("shift.count", &own.count, &fitted.count)?,
            volume: read("shift.volume", &own.volume, &fitted.volume)?,
        };

        Ok(shift)
    }
}
