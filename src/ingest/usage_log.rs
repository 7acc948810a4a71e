//! Usage logs: one call per CSV row or flat JSONL object, with a [`ColumnMap`] saying which
//! column holds what (`--map input=ContextTokens,output=GeneratedTokens,time=TIMESTAMP`).
//!
//! Common column names are recognised ([`ColumnMap::auto`]); a map overrides only the keys
//! it names ([`ColumnMap::over`]), and `KEY=-` turns a recognised key off. Recognised: the Azure LLM
//! trace (`ContextTokens`, `GeneratedTokens`, `TIMESTAMP`), Mooncake (`input_length`,
//! `output_length`, `timestamp` in milliseconds), tau2 `calls.csv` (`prompt_tokens`,
//! `completion_tokens`, `sim_id`, `n_tool_calls`, …) and OpenAI-style names.
//!
//! Conventions: `cached` is a subset of `input` (the OpenAI convention; pass totals, or
//! `--usage-convention input_excludes_cached` for a log whose input excludes them) and
//! `reasoning` a subset of `output`. A numeric `time` is in seconds unless the map says
//! `time=COLUMN:ms` (or `:us`, `:ns`). A `status` column may hold HTTP statuses, words
//! (`ok`, `error`), error codes (`rate_limit_exceeded`), or, for a column whose name says
//! error (`format_error`, `is_error`), a 0/1 flag whose class comes from the column name.

use std::fmt;
use std::io::Read;
use std::path::Path;
use std::str::FromStr;

use serde_json::{Map, Value};

use super::json::{self, Item};
use super::record::{CallRecord, FailureClass, Format, Status};
use super::{Cx, Fail, IngestError, Parser};
use crate::usage::{UsageConvention, split_reported};

/// The keys a [`ColumnMap`] accepts, in order.
pub const MAP_KEYS: [&str; 12] = [
    "input",
    "output",
    "cached",
    "reasoning",
    "tool_calls",
    "session",
    "turn",
    "time",
    "model",
    "status",
    "finish",
    "caller",
];

/// Unit of a numeric time column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TimeUnit {
    /// Seconds (the default).
    #[default]
    Seconds,
    /// Milliseconds.
    Millis,
    /// Microseconds.
    Micros,
    /// Nanoseconds.
    Nanos,
}

impl TimeUnit {
    fn to_seconds(self, x: f64) -> f64 {
        match self {
            TimeUnit::Seconds => x,
            TimeUnit::Millis => x / 1e3,
            TimeUnit::Micros => x / 1e6,
            TimeUnit::Nanos => x / 1e9,
        }
    }
}

/// Which column of a usage log holds which quantity. Every field is a column name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ColumnMap {
    /// Input (prompt) tokens, including cached tokens.
    pub input: Option<String>,
    /// Output tokens, including reasoning tokens.
    pub output: Option<String>,
    /// Cached input tokens (a subset of `input`).
    pub cached: Option<String>,
    /// Reasoning tokens (a subset of `output`).
    pub reasoning: Option<String>,
    /// Client tool calls emitted by the call (a count, or a JSON array of calls).
    pub tool_calls: Option<String>,
    /// Session / conversation id.
    pub session: Option<String>,
    /// Position of the call within its session.
    pub turn: Option<String>,
    /// Timestamp (ISO text, or a number in `time_unit`).
    pub time: Option<String>,
    /// Model name.
    pub model: Option<String>,
    /// Outcome: HTTP status, word, error code or error flag.
    pub status: Option<String>,
    /// Finish reason.
    pub finish: Option<String>,
    /// Caller (e.g. `agent` vs `user_sim`).
    pub caller: Option<String>,
    /// Unit of a numeric `time` column.
    pub time_unit: TimeUnit,
    /// Keys given as `KEY=-`: not read even when a column name is recognised for them.
    pub unset: Vec<&'static str>,
}

/// Index of each map key in [`MAP_KEYS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Key {
    Input,
    Output,
    Cached,
    Reasoning,
    ToolCalls,
    Session,
    Turn,
    Time,
    Model,
    Status,
    Finish,
    Caller,
}

const KEYS: [Key; 12] = [
    Key::Input,
    Key::Output,
    Key::Cached,
    Key::Reasoning,
    Key::ToolCalls,
    Key::Session,
    Key::Turn,
    Key::Time,
    Key::Model,
    Key::Status,
    Key::Finish,
    Key::Caller,
];

impl ColumnMap {
    fn slot(&mut self, k: Key) -> &mut Option<String> {
        match k {
            Key::Input => &mut self.input,
            Key::Output => &mut self.output,
            Key::Cached => &mut self.cached,
            Key::Reasoning => &mut self.reasoning,
            Key::ToolCalls => &mut self.tool_calls,
            Key::Session => &mut self.session,
            Key::Turn => &mut self.turn,
            Key::Time => &mut self.time,
            Key::Model => &mut self.model,
            Key::Status => &mut self.status,
            Key::Finish => &mut self.finish,
            Key::Caller => &mut self.caller,
        }
    }

    fn get(&self, k: Key) -> Option<&str> {
        match k {
            Key::Input => self.input.as_deref(),
            Key::Output => self.output.as_deref(),
            Key::Cached => self.cached.as_deref(),
            Key::Reasoning => self.reasoning.as_deref(),
            Key::ToolCalls => self.tool_calls.as_deref(),
            Key::Session => self.session.as_deref(),
            Key::Turn => self.turn.as_deref(),
            Key::Time => self.time.as_deref(),
            Key::Model => self.model.as_deref(),
            Key::Status => self.status.as_deref(),
            Key::Finish => self.finish.as_deref(),
            Key::Caller => self.caller.as_deref(),
        }
    }

    /// `(key, column)` for every mapped key, in [`MAP_KEYS`] order.
    pub fn entries(&self) -> Vec<(&'static str, &str)> {
        KEYS.iter()
            .zip(MAP_KEYS)
            .filter_map(|(k, name)| self.get(*k).map(|c| (name, c)))
            .collect()
    }

    /// Recognise common column names (case-insensitive). `None` when neither an input nor an
    /// output column is recognised.
    pub fn auto<S: AsRef<str>>(columns: &[S]) -> Option<ColumnMap> {
        let map = Self::recognise(columns, &[]);
        (map.input.is_some() || map.output.is_some()).then_some(map)
    }

    /// This map over the columns recognised in `columns`: the keys it names (or turns off
    /// with `KEY=-`) replace recognition, every other key is recognised as without a map.
    /// A column this map uses is not recognised for another key. `None` when the result has
    /// neither an input nor an output column.
    pub fn over<S: AsRef<str>>(&self, columns: &[S]) -> Option<ColumnMap> {
        let taken: Vec<&str> = KEYS.iter().filter_map(|k| self.get(*k)).collect();
        let mut map = Self::recognise(columns, &taken);
        for (i, k) in KEYS.iter().enumerate() {
            if let Some(c) = self.get(*k) {
                *map.slot(*k) = Some(c.to_string());
            } else if self.unset.contains(&MAP_KEYS[i]) {
                *map.slot(*k) = None;
            }
        }
        if self.time.is_some() {
            map.time_unit = self.time_unit;
        } else if map.time.is_none() {
            map.time_unit = TimeUnit::Seconds;
        }
        (map.input.is_some() || map.output.is_some()).then_some(map)
    }

    /// The recognised column names, skipping the columns in `taken`.
    fn recognise<S: AsRef<str>>(columns: &[S], taken: &[&str]) -> ColumnMap {
        const NAMES: [(Key, &[&str]); 12] = [
            (
                Key::Input,
                &[
                    "prompt_tokens",
                    "input_tokens",
                    "contexttokens",
                    "context_tokens",
                    "input_length",
                    "prompt_length",
                    "num_prompt_tokens",
                    "n_input_tokens",
                    "request_tokens",
                    "tokens_in",
                ],
            ),
            (
                Key::Output,
                &[
                    "completion_tokens",
                    "output_tokens",
                    "generatedtokens",
                    "generated_tokens",
                    "output_length",
                    "num_completion_tokens",
                    "n_output_tokens",
                    "response_tokens",
                    "tokens_out",
                ],
            ),
            (
                Key::Cached,
                &[
                    "cached_tokens",
                    "cache_read_tokens",
                    "cached_input_tokens",
                    "cache_read_input_tokens",
                    "implied_cached_tokens",
                ],
            ),
            (Key::Reasoning, &["reasoning_tokens"]),
            (
                Key::ToolCalls,
                &[
                    "n_tool_calls",
                    "num_tool_calls",
                    "tool_call_count",
                    "tool_calls",
                ],
            ),
            (
                Key::Session,
                &[
                    "session_id",
                    "sim_id",
                    "conversation_id",
                    "trace_id",
                    "thread_id",
                    "session",
                ],
            ),
            (Key::Turn, &["turn_idx", "turn_index", "turn"]),
            (
                Key::Time,
                &[
                    "timestamp",
                    "ts",
                    "time",
                    "created",
                    "created_at",
                    "start_time",
                ],
            ),
            (Key::Model, &["model", "model_name"]),
            (
                Key::Status,
                &["status", "http_status", "status_code", "format_error"],
            ),
            (Key::Finish, &["finish_reason", "stop_reason"]),
            (Key::Caller, &["caller"]),
        ];
        let mut map = ColumnMap::default();
        for (key, names) in NAMES {
            let found = names.iter().find_map(|n| {
                columns
                    .iter()
                    .map(AsRef::as_ref)
                    .filter(|c| !taken.iter().any(|t| c.trim().eq_ignore_ascii_case(t)))
                    .find(|c| c.trim().eq_ignore_ascii_case(n))
            });
            *map.slot(key) = found.map(|c| c.trim().to_string());
        }
        // The Mooncake trace logs arrival time in milliseconds from trace start.
        if map.input.as_deref() == Some("input_length") && map.time.is_some() {
            map.time_unit = TimeUnit::Millis;
        }
        map
    }
}

impl fmt::Display for ColumnMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (k, c) in self.entries() {
            if !first {
                f.write_str(",")?;
            }
            first = false;
            write!(f, "{k}={c}")?;
            if k == "time" {
                match self.time_unit {
                    TimeUnit::Seconds => {}
                    TimeUnit::Millis => f.write_str(":ms")?,
                    TimeUnit::Micros => f.write_str(":us")?,
                    TimeUnit::Nanos => f.write_str(":ns")?,
                }
            }
        }
        for k in &self.unset {
            if !first {
                f.write_str(",")?;
            }
            first = false;
            write!(f, "{k}=-")?;
        }
        Ok(())
    }
}

impl FromStr for ColumnMap {
    type Err = IngestError;

    /// Parse `key=COLUMN,key=COLUMN…`; `time=COLUMN:ms` sets the time unit and `key=-` turns a
    /// recognised key off.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut map = ColumnMap::default();
        for entry in s.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let bad = |why: &str| IngestError::BadMap {
                entry: entry.to_string(),
                why: why.to_string(),
            };
            let Some((key, column)) = entry.split_once('=') else {
                return Err(bad("is not KEY=COLUMN"));
            };
            let key = key.trim().to_ascii_lowercase();
            let mut column = column.trim();
            let Some(i) = MAP_KEYS.iter().position(|k| *k == key) else {
                let suggestion = crate::toml_util::closest(&key, MAP_KEYS)
                    .map(|c| format!("did you mean '{c}'? "))
                    .unwrap_or_default();
                return Err(IngestError::UnknownMapKey {
                    key,
                    suggestion,
                    known: MAP_KEYS.join(", "),
                });
            };
            if KEYS[i] == Key::Time {
                for (suffix, unit) in [
                    (":ms", TimeUnit::Millis),
                    (":us", TimeUnit::Micros),
                    (":ns", TimeUnit::Nanos),
                    (":s", TimeUnit::Seconds),
                ] {
                    if let Some(c) = column.strip_suffix(suffix) {
                        column = c;
                        map.time_unit = unit;
                        break;
                    }
                }
            }
            if column.is_empty() {
                return Err(bad("has no column name (write KEY=- to ignore a key)"));
            }
            if map.slot(KEYS[i]).is_some() || map.unset.contains(&MAP_KEYS[i]) {
                return Err(bad("maps a key a second time"));
            }
            if column == "-" {
                map.unset.push(MAP_KEYS[i]);
            } else {
                *map.slot(KEYS[i]) = Some(column.to_string());
            }
        }
        if map.entries().is_empty() && map.unset.is_empty() {
            return Err(IngestError::BadMap {
                entry: s.to_string(),
                why: "maps no key".into(),
            });
        }
        Ok(map)
    }
}

/// Resolve a map against a file's columns.
fn resolve(
    map: &ColumnMap,
    columns: &[String],
    path: &Path,
) -> Result<[Option<usize>; 12], IngestError> {
    let mut idx = [None; 12];
    for (i, key) in KEYS.iter().enumerate() {
        if let Some(col) = map.get(*key) {
            let found = columns.iter().position(|c| c == col).or_else(|| {
                // Tolerate case differences when they are unambiguous.
                let mut hits = columns
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| c.eq_ignore_ascii_case(col));
                match (hits.next(), hits.next()) {
                    (Some((j, _)), None) => Some(j),
                    _ => None,
                }
            });
            match found {
                Some(j) => idx[i] = Some(j),
                None => {
                    return Err(IngestError::MissingColumn {
                        path: path.to_path_buf(),
                        key: MAP_KEYS[i].to_string(),
                        column: col.to_string(),
                        columns: columns.join(", "),
                    });
                }
            }
        }
    }
    Ok(idx)
}

/// The map to use for a file: the recognised column names, with the given map's keys over
/// them.
fn map_for(cx: &Cx<'_>, columns: &[String]) -> Result<ColumnMap, IngestError> {
    match &cx.opts.map {
        Some(m) => m.over(columns),
        None => ColumnMap::auto(columns),
    }
    .ok_or_else(|| IngestError::NoTokenColumns {
        path: cx.path.to_path_buf(),
        columns: columns.join(", "),
    })
}

/// One cell of a row.
enum Cell<'a> {
    Missing,
    Text(&'a str),
    Num(f64),
    Bool(bool),
    /// A JSON array of this length.
    Array(usize),
    Other,
}

struct Row<'m, F: Fn(Key) -> Cell<'m>> {
    cell: F,
    map: &'m ColumnMap,
    /// Whether `input` includes `cached` (the default) or not (`--usage-convention`).
    convention: UsageConvention,
}

impl<'m, F: Fn(Key) -> Cell<'m>> Row<'m, F> {
    fn col(&self, k: Key) -> &str {
        self.map.get(k).unwrap_or("")
    }

    /// A non-negative number; empty cells are `None`.
    fn num(&self, k: Key) -> Result<Option<f64>, String> {
        let x = match (self.cell)(k) {
            Cell::Missing => return Ok(None),
            Cell::Text(s) if s.trim().is_empty() => return Ok(None),
            Cell::Text(s) => s.trim().parse::<f64>().map_err(|_| {
                format!(
                    "column '{}': '{}' is not a number",
                    self.col(k),
                    truncate(s)
                )
            })?,
            Cell::Num(x) => x,
            Cell::Array(n) if k == Key::ToolCalls => n as f64,
            _ => return Err(format!("column '{}' does not hold a number", self.col(k))),
        };
        if !x.is_finite() || x < 0.0 {
            return Err(format!("column '{}': {x} is not a count ≥ 0", self.col(k)));
        }
        Ok(Some(x))
    }

    fn text(&self, k: Key) -> Option<String> {
        match (self.cell)(k) {
            Cell::Text(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Cell::Num(x) => Some(if x.fract() == 0.0 && x.abs() < 1e15 {
                format!("{}", x as i64)
            } else {
                x.to_string()
            }),
            Cell::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    fn count_u32(&self, k: Key) -> Result<Option<u32>, String> {
        match self.num(k)? {
            None => Ok(None),
            Some(x) if x.fract() == 0.0 && x <= f64::from(u32::MAX) => Ok(Some(x as u32)),
            Some(x) => Err(format!(
                "column '{}': {x} is not a whole number",
                self.col(k)
            )),
        }
    }

    fn status(&self) -> Result<Status, String> {
        let col = self.col(Key::Status).to_ascii_lowercase();
        // A column named like an error flag (`format_error`, `is_error`, `failed`) holds 0/1.
        let flag = col.contains("error") || col.contains("fail");
        let flag_class = || FailureClass::from_text(&col).unwrap_or(FailureClass::Server);
        let from_number = |n: f64| -> Status {
            if flag {
                if n != 0.0 {
                    Status::Failed(flag_class())
                } else {
                    Status::Ok
                }
            } else {
                match FailureClass::from_http(n as u16).filter(|_| (400.0..1000.0).contains(&n)) {
                    Some(c) => Status::Failed(c),
                    None => Status::Ok,
                }
            }
        };
        match (self.cell)(Key::Status) {
            Cell::Missing => Ok(Status::Ok),
            Cell::Num(x) => Ok(from_number(x)),
            Cell::Bool(b) => Ok(if b == flag {
                Status::Failed(flag_class())
            } else {
                Status::Ok
            }),
            Cell::Text(s) => {
                let t = s.trim().to_ascii_lowercase();
                if let Ok(n) = t.parse::<f64>() {
                    return Ok(from_number(n));
                }
                match t.as_str() {
                    "" | "ok" | "success" | "succeeded" | "successful" | "completed" | "complete" | "done" => {
                        Ok(Status::Ok)
                    }
                    "true" | "yes" => Ok(if flag { Status::Failed(flag_class()) } else { Status::Ok }),
                    "false" | "no" => Ok(if flag { Status::Ok } else { Status::Failed(FailureClass::Server) }),
                    "error" | "failed" | "failure" | "fail" => Ok(Status::Failed(FailureClass::Server)),
                    _ => FailureClass::from_text(&t).map(Status::Failed).ok_or_else(|| {
                        format!(
                            "column '{}': unrecognised status '{}' (use ok, error, an HTTP status or an error code)",
                            self.col(Key::Status),
                            truncate(s)
                        )
                    }),
                }
            }
            _ => Err(format!(
                "column '{}' does not hold a status",
                self.col(Key::Status)
            )),
        }
    }

    fn record(&self) -> Result<CallRecord, String> {
        let mut r = CallRecord::new(Format::UsageCsv);
        let input = self.num(Key::Input)?;
        let output = self.num(Key::Output)?;
        for (k, v) in [(Key::Input, input), (Key::Output, output)] {
            if self.map.get(k).is_some() && v.is_none() {
                return Err(format!("column '{}' is empty", self.col(k)));
            }
        }
        let tokens = split_reported(
            input.unwrap_or(0.0),
            self.num(Key::Cached)?.unwrap_or(0.0),
            0.0,
            output.unwrap_or(0.0),
            self.num(Key::Reasoning)?.unwrap_or(0.0),
            self.convention,
        )
        .map_err(|e| format!("usage does not add up: {e}"))?;
        r.tokens = Some(tokens);
        r.tool_calls = self.count_u32(Key::ToolCalls)?.unwrap_or(0);
        r.session = self.text(Key::Session);
        r.turn = self.count_u32(Key::Turn)?;
        r.timestamp = match (self.cell)(Key::Time) {
            Cell::Num(x) => Some(self.map.time_unit.to_seconds(x)),
            Cell::Text(s) if !s.trim().is_empty() => match s.trim().parse::<f64>() {
                Ok(x) => Some(self.map.time_unit.to_seconds(x)),
                Err(_) => Some(json::parse_time(s).ok_or_else(|| {
                    format!(
                        "column '{}': '{}' is not a time",
                        self.col(Key::Time),
                        truncate(s)
                    )
                })?),
            },
            _ => None,
        };
        r.model = self.text(Key::Model);
        r.caller = self.text(Key::Caller);
        let finish = self.text(Key::Finish);
        r.finish = super::openai_chat::finish_with_tools(finish.as_deref(), r.tool_calls);
        r.status = self.status()?;
        Ok(r)
    }
}

fn truncate(s: &str) -> String {
    let s = s.trim();
    match s.char_indices().nth(40) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Read a delimited usage log whose header line (line `header_line`) has been read already.
/// Returns the reader so the caller can finish hashing it.
pub(crate) fn run_csv<R: Read>(
    header: &[u8],
    header_line: u64,
    rest: R,
    cx: &mut Cx<'_>,
) -> Result<R, IngestError> {
    let delimiter = [b',', b'\t', b';', b'|']
        .into_iter()
        .find(|d| header.contains(d))
        .unwrap_or(b',');
    let columns: Vec<String> = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(delimiter)
        .from_reader(header)
        .records()
        .next()
        .and_then(Result::ok)
        .map(|r| {
            r.iter()
                .map(|c| c.trim().trim_start_matches('\u{feff}').to_string())
                .collect()
        })
        .unwrap_or_default();
    if columns.len() < 2 && cx.opts.map.is_none() && cx.opts.format.is_none() {
        return Err(IngestError::Undetectable {
            path: cx.path.to_path_buf(),
            why: "the first line is neither JSON nor a delimited header".into(),
            known: Format::names(),
        });
    }
    let map = map_for(cx, &columns)?;
    let idx = resolve(&map, &columns, cx.path)?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(rest);
    let mut rec = csv::ByteRecord::new();
    let convention = cx
        .opts
        .usage_convention
        .unwrap_or(UsageConvention::InputIncludesCached);
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {
                let line = header_line + rec.position().map_or(0, csv::Position::line);
                cx.line = line;
                if rec.iter().all(|f| f.trim_ascii().is_empty()) {
                    continue;
                }
                let cell = |k: Key| -> Cell<'_> {
                    let Some(i) = idx[k as usize] else {
                        return Cell::Missing;
                    };
                    match rec.get(i) {
                        None => Cell::Missing,
                        Some(b) => std::str::from_utf8(b).map_or(Cell::Other, Cell::Text),
                    }
                };
                let row = Row {
                    cell,
                    map: &map,
                    convention,
                };
                match row.record() {
                    Ok(r) => cx.emit(r),
                    Err(reason) => cx.bad(line, reason)?,
                }
            }
            Err(e) => {
                let line = header_line + e.position().map_or(0, csv::Position::line);
                match e.kind() {
                    csv::ErrorKind::Io(_) => {
                        return Err(IngestError::Io {
                            path: cx.path.to_path_buf(),
                            error: std::io::Error::other(e.to_string()),
                        });
                    }
                    _ => cx.bad(line, format!("invalid CSV: {e}"))?,
                }
            }
        }
    }
    Ok(rdr.into_inner())
}

/// Parser for JSONL usage logs (flat objects); the first object's keys are the columns.
#[derive(Default)]
pub(crate) struct JsonlUsageParser {
    resolved: Option<ColumnMap>,
}

impl Parser for JsonlUsageParser {
    fn item(&mut self, item: Item<'_>, cx: &mut Cx<'_>) -> Result<(), Fail> {
        let v: Value = match item {
            Item::Bytes(b) => serde_json::from_slice(b).map_err(|e| json::reason(&e))?,
            Item::Value(v) => v,
        };
        let Value::Object(obj) = v else {
            return Err(Fail::Bad("not a JSON object".into()));
        };
        if self.resolved.is_none() {
            let columns: Vec<String> = obj.keys().cloned().collect();
            let map = map_for(cx, &columns).map_err(Fail::Fatal)?;
            resolve(&map, &columns, cx.path).map_err(Fail::Fatal)?;
            self.resolved = Some(map);
        }
        let Some(map) = &self.resolved else {
            return Ok(());
        };
        let cell = |k: Key| -> Cell<'_> { json_cell(&obj, map.get(k)) };
        let convention = cx
            .opts
            .usage_convention
            .unwrap_or(UsageConvention::InputIncludesCached);
        cx.emit(
            Row {
                cell,
                map,
                convention,
            }
            .record()?,
        );
        Ok(())
    }
}

fn json_cell<'a>(obj: &'a Map<String, Value>, col: Option<&str>) -> Cell<'a> {
    let Some(col) = col else { return Cell::Missing };
    match obj.get(col) {
        None | Some(Value::Null) => Cell::Missing,
        Some(Value::String(s)) => Cell::Text(s),
        Some(Value::Number(n)) => n.as_f64().map_or(Cell::Other, Cell::Num),
        Some(Value::Bool(b)) => Cell::Bool(*b),
        Some(Value::Array(a)) => Cell::Array(a.len()),
        Some(Value::Object(_)) => Cell::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_parse_and_print() {
        let m: ColumnMap = "input=ContextTokens,output=GeneratedTokens,time=TIMESTAMP"
            .parse()
            .unwrap();
        assert_eq!(m.input.as_deref(), Some("ContextTokens"));
        assert_eq!(m.time.as_deref(), Some("TIMESTAMP"));
        assert_eq!(
            m.to_string(),
            "input=ContextTokens,output=GeneratedTokens,time=TIMESTAMP"
        );
        let m: ColumnMap = "input=a, output=b ,time=t:ms".parse().unwrap();
        assert_eq!(
            (m.time.as_deref(), m.time_unit),
            (Some("t"), TimeUnit::Millis)
        );
    }

    #[test]
    fn unknown_map_keys_get_a_suggestion() {
        let e = "input=a,outptu=b"
            .parse::<ColumnMap>()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("unknown --map key 'outptu'") && e.contains("did you mean 'output'"),
            "{e}"
        );
        let e = "input"
            .parse::<ColumnMap>()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("is not KEY=COLUMN"), "{e}");
        let e = ""
            .parse::<ColumnMap>()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("maps no key"), "{e}");
        assert!("input=a,input=b".parse::<ColumnMap>().is_err());
        assert!("status=-,status=s".parse::<ColumnMap>().is_err());
        // A map without input or output is fine: recognition fills them in.
        assert!("model=m".parse::<ColumnMap>().is_ok());
    }

    #[test]
    fn common_column_names_are_recognised() {
        let m = ColumnMap::auto(&["TIMESTAMP", "ContextTokens", "GeneratedTokens"]).unwrap();
        assert_eq!(
            m.to_string(),
            "input=ContextTokens,output=GeneratedTokens,time=TIMESTAMP"
        );
        let m =
            ColumnMap::auto(&["timestamp", "input_length", "output_length", "hash_ids"]).unwrap();
        assert_eq!(m.time_unit, TimeUnit::Millis);
        assert!(ColumnMap::auto(&["a", "b"]).is_none());
    }

    #[test]
    fn a_map_overrides_only_the_keys_it_names() {
        // tau2 calls.csv's header with the map `fit --help` shows for it.
        let columns = [
            "run",
            "domain",
            "mode",
            "model",
            "sim_id",
            "task_id",
            "trial",
            "turn_idx",
            "caller",
            "timestamp",
            "prompt_tokens",
            "completion_tokens",
            "cost_usd",
            "n_tool_calls",
            "tool_names",
            "finish_reason",
            "format_error",
            "implied_cached_tokens",
        ];
        let given: ColumnMap =
            "input=prompt_tokens,output=completion_tokens,session=sim_id,tool_calls=n_tool_calls,caller=caller"
                .parse()
                .unwrap();
        let m = given.over(&columns).unwrap();
        assert_eq!(
            m.to_string(),
            "input=prompt_tokens,output=completion_tokens,cached=implied_cached_tokens,\
             tool_calls=n_tool_calls,session=sim_id,turn=turn_idx,time=timestamp,model=model,\
             status=format_error,finish=finish_reason,caller=caller"
        );
        // KEY=- turns a recognised key off; a column the map uses is not recognised again.
        let given: ColumnMap = "status=-,cached=prompt_tokens,input=total".parse().unwrap();
        let m = given
            .over(&["total", "prompt_tokens", "completion_tokens", "status"])
            .unwrap();
        assert_eq!(
            (
                m.input.as_deref(),
                m.cached.as_deref(),
                m.output.as_deref(),
                m.status.as_deref()
            ),
            (
                Some("total"),
                Some("prompt_tokens"),
                Some("completion_tokens"),
                None
            )
        );
        assert_eq!(
            given.to_string(),
            "input=total,cached=prompt_tokens,status=-"
        );
        // Nothing to read tokens from.
        assert!(
            "model=m"
                .parse::<ColumnMap>()
                .unwrap()
                .over(&["a", "m"])
                .is_none()
        );
        // A time column named by the map keeps the map's unit; Mooncake's stays in ms.
        let mooncake = ["timestamp", "input_length", "output_length"];
        let m = "model=x"
            .parse::<ColumnMap>()
            .unwrap()
            .over(&mooncake)
            .unwrap();
        assert_eq!(m.time_unit, TimeUnit::Millis);
        let m = "time=timestamp"
            .parse::<ColumnMap>()
            .unwrap()
            .over(&mooncake)
            .unwrap();
        assert_eq!(m.time_unit, TimeUnit::Seconds);
    }
}
