//! Transcript and usage-log ingestion: reads real log formats into normalised
//! [`CallRecord`]s for `billcast fit` (DESIGN.md §1.5, transcript-formats.md).
//!
//! This module owns the public API ([`ingest`], [`ingest_bytes`], [`IngestOptions`],
//! [`Ingested`], [`IngestError`]) and the per-file driver: open, sniff the shape (JSONL, one
//! JSON document, CSV) and the format ([`detect`]), stream lines through the format's parser
//! with bounded memory, count bad lines with their numbers, hash the file, and hand records
//! to a seeded reservoir (`sink.rs`, which also runs the cross-line joins). Each format has
//! its own file; token normalisation always goes through [`crate::usage::split_reported`].
//! [`sessions`] groups records into sessions and turns.
//!
//! | `--input-format` | file | input convention | tool calls from |
//! |---|---|---|---|
//! | `openai_chat` | `openai_chat.rs` | cached inside `prompt_tokens` | `message.tool_calls` |
//! | `openai_log` | `openai_log.rs` | as the response it wraps | as the response; retries by request hash / `attempt` |
//! | `openai_responses` | `openai_responses.rs` | cached inside `input_tokens` | `output[]` items; hosted tools are `server_tools` |
//! | `openai_batch` | `openai_batch.rs` | as Chat / Responses | joined to the input file on `custom_id` |
//! | `anthropic` | `anthropic.rs` | cache **beside** `input_tokens` | `tool_use` blocks; `server_tool_use` requests |
//! | `anthropic_batch` | `anthropic_batch.rs` | as Anthropic | as Anthropic |
//! | `gemini` | `gemini.rs` | cached inside; thoughts beside candidates | `functionCall` parts |
//! | `otel` | `otel.rs` | inside (beside when the counts say so) | `execute_tool` spans of the trace |
//! | `messages` | `messages.rs` | counted with the tokenizer | `tool_calls` of each assistant message |
//! | `usage_csv`, `usage_jsonl` | `usage_log.rs` | cached inside input | a mapped count column |
//! | `langfuse` | `langfuse.rs` | `usageDetails.input` is net of details | `output.tool_calls`, else `TOOL` observations |
//! | `langsmith` | `langsmith.rs` | cached inside `prompt_tokens` | LLM output message, else `tool` runs |
//!
//! ```no_run
//! use billcast::ingest::{ingest, sessions, IngestOptions};
//! let got = ingest(&["calls.csv".into()], &IngestOptions::default(), &|_bytes| {})?;
//! let sessions = sessions(&got.records);
//! # Ok::<(), billcast::ingest::IngestError>(())
//! ```

mod anthropic;
mod anthropic_batch;
pub mod detect;
mod document;
mod gemini;
mod json;
mod langfuse;
mod langsmith;
mod messages;
mod openai_batch;
mod openai_chat;
mod openai_log;
mod openai_responses;
mod otel;
pub mod record;
pub mod session;
mod sink;
mod source;
pub mod tokens;
pub mod usage_log;

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use serde_json::Value;

pub use record::{CallRecord, FailureClass, Finish, Format, Status};
pub use session::{Session, Turn, sessions};
pub use tokens::Tokenizer;
pub use usage_log::{ColumnMap, TimeUnit};

pub use crate::usage::UsageConvention;

use json::Item;
use sink::{Aux, Sink};
use source::{HashingReader, LineKind, Lines};

/// Default reservoir capacity (records kept in memory).
pub const DEFAULT_MAX_RECORDS: usize = 1_000_000;

/// Bad lines kept with their reasons (all are counted).
pub const MAX_BAD_KEPT: usize = 20;

/// Largest JSON value held in memory at once (1 GiB): one item of a JSON document (array
/// element, Langfuse observation, OTLP span) or a whole document that is one record. Parsed,
/// a value takes about ten times its size. JSONL lines have their own bound (64 MiB).
pub const MAX_VALUE_BYTES: u64 = 1 << 30;

/// Lines examined to find a parsable record for format detection.
const SNIFF_LINES: usize = 100;

/// How to read the inputs.
#[derive(Clone, Debug)]
pub struct IngestOptions {
    /// Force a format (`--input-format`); `None` detects it per file.
    pub format: Option<Format>,
    /// Column mapping for CSV/JSONL usage logs (`--map`): its keys replace the recognised
    /// column names, the other keys are still recognised ([`ColumnMap::over`]). Giving a map
    /// makes unrecognised JSONL files usage logs.
    pub map: Option<ColumnMap>,
    /// Stop at the first bad line with an error naming file and line.
    pub strict: bool,
    /// Tokenizer for sources without usage (messages-only conversations).
    pub tokenizer: Tokenizer,
    /// Bound on records kept: beyond it a seeded sample of whole sessions is kept whose
    /// records fit in it (see [`Reservoir`]).
    pub max_records: usize,
    /// Seed of the session sample.
    pub seed: u64,
    /// Whether reported input includes cached tokens (`--usage-convention`); `None` uses
    /// each format's documented convention (cached inside input for OpenAI, Gemini, OTel,
    /// LangSmith and usage logs; beside it for Anthropic). Langfuse's `usageDetails.input`
    /// is net of its detail keys by construction and messages are counted, so neither is
    /// affected.
    pub usage_convention: Option<UsageConvention>,
}

impl Default for IngestOptions {
    fn default() -> Self {
        Self {
            format: None,
            map: None,
            strict: false,
            tokenizer: Tokenizer::O200kBase,
            max_records: DEFAULT_MAX_RECORDS,
            seed: 0,
            usage_convention: None,
        }
    }
}

/// What [`ingest`] read.
#[derive(Clone, Debug)]
pub struct Ingested {
    /// Records kept (all of them, or the reservoir sample), in reading order.
    pub records: Vec<CallRecord>,
    /// One summary per input file, in input order (`CallRecord::file` indexes this).
    pub files: Vec<FileSummary>,
    /// The first [`MAX_BAD_KEPT`] bad lines.
    pub bad: Vec<BadLine>,
    /// All bad lines.
    pub bad_count: u64,
    /// Set when more records were read than `max_records` and a sample was kept.
    pub sampled: Option<Reservoir>,
}

/// One input file.
#[derive(Clone, Debug, PartialEq)]
pub struct FileSummary {
    /// Path as given.
    pub path: PathBuf,
    /// Format read.
    pub format: Format,
    /// SHA-256 of the file's bytes, lowercase hex.
    pub sha256: String,
    /// Lines in the file.
    pub lines: u64,
    /// Records read from it (before sampling).
    pub records: u64,
    /// Bad lines in it.
    pub bad_lines: u64,
}

/// A line that could not be read as a record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadLine {
    /// File path.
    pub file: PathBuf,
    /// 1-based line.
    pub line: u64,
    /// Why, one line.
    pub reason: String,
}

/// Reservoir sampling summary: whole sessions are kept or dropped (`sink.rs` has the rule).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Reservoir {
    /// The bound on records kept (`--max-records`).
    pub cap: usize,
    /// Records read.
    pub seen: u64,
    /// Records kept (at most `cap`).
    pub kept: usize,
    /// Sessions kept, each with all its records.
    pub sessions: usize,
    /// Sessions left out because they alone have more than `cap` records.
    pub oversized: u64,
}

/// Everything that can stop ingestion. Messages are one line and say how to fix the input.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// No paths were given.
    #[error("no input files; pass one or more transcript or usage-log files")]
    NoInput,
    /// A file could not be opened or read.
    #[error("cannot read '{path}': {error}; check the path and its permissions")]
    Io {
        /// File.
        path: PathBuf,
        /// The I/O error.
        error: io::Error,
    },
    /// A file has no content.
    #[error("'{path}' is empty; pass a file with at least one record")]
    Empty {
        /// File.
        path: PathBuf,
    },
    /// The format of a file could not be recognised.
    #[error(
        "cannot tell the format of '{path}': {why}; pass --input-format with one of {known}, or \
         --map input=COLUMN,output=COLUMN for a CSV/JSONL usage log"
    )]
    Undetectable {
        /// File.
        path: PathBuf,
        /// What was seen.
        why: String,
        /// Known format names.
        known: String,
    },
    /// An `--input-format` name that does not exist.
    #[error("unknown input format '{name}'; {suggestion}known formats: {known}")]
    UnknownFormat {
        /// The name given.
        name: String,
        /// "did you mean 'x'? " or empty.
        suggestion: String,
        /// Known format names.
        known: String,
    },
    /// A `--tokenizer` name that does not exist.
    #[error("unknown tokenizer '{name}'; use o200k_base, cl100k_base or whitespace")]
    UnknownTokenizer {
        /// The name given.
        name: String,
    },
    /// A `--map` entry that is not `key=COLUMN`.
    #[error(
        "--map entry '{entry}' {why}; write e.g. --map input=prompt_tokens,output=completion_tokens"
    )]
    BadMap {
        /// The entry.
        entry: String,
        /// What is wrong.
        why: String,
    },
    /// A `--map` key that does not exist.
    #[error("unknown --map key '{key}'; {suggestion}known keys: {known}")]
    UnknownMapKey {
        /// The key given.
        key: String,
        /// "did you mean 'x'? " or empty.
        suggestion: String,
        /// Known keys.
        known: String,
    },
    /// A mapped column is missing from a usage log.
    #[error(
        "'{path}': --map {key}={column} names a column that is not in the file; its columns are: {columns}"
    )]
    MissingColumn {
        /// File.
        path: PathBuf,
        /// Map key.
        key: String,
        /// Column named.
        column: String,
        /// The file's columns.
        columns: String,
    },
    /// A usage log whose token columns could not be recognised.
    #[error(
        "'{path}': no input or output token column recognised (columns: {columns}); pass --map \
         input=COLUMN,output=COLUMN"
    )]
    NoTokenColumns {
        /// File.
        path: PathBuf,
        /// The file's columns.
        columns: String,
    },
    /// A bad line in strict mode.
    #[error(
        "'{path}' line {line}: {reason} (--strict stops at the first bad line; without it bad lines are counted and skipped)"
    )]
    Strict {
        /// File.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// Why.
        reason: String,
    },
    /// One item of a JSON document too large to hold in memory.
    #[error(
        "'{path}': item {item} of the JSON document is over {limit_mib} MiB, too large to hold in memory; split it into smaller records (JSONL, one per line)"
    )]
    TooLarge {
        /// File.
        path: PathBuf,
        /// 1-based number of the item (see [`CallRecord::line`]).
        item: u64,
        /// The limit.
        limit_mib: u64,
    },
}

/// Read `paths` into call records.
///
/// Files are read one after another, each streamed: line by line, or item by item for a file
/// that is one JSON document (see `document.rs`; one item may be up to [`MAX_VALUE_BYTES`]).
/// `progress` receives the bytes read so far over all files, at least every MiB and at the
/// end of each file.
///
/// # Errors
///
/// [`IngestError`] for unreadable, empty or undetectable files, bad column maps and, with
/// `strict`, the first bad line. Without `strict` bad lines are counted in
/// [`Ingested::bad_count`] and skipped.
pub fn ingest(
    paths: &[PathBuf],
    opts: &IngestOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Ingested, IngestError> {
    if paths.is_empty() {
        return Err(IngestError::NoInput);
    }
    let mut sink = Sink::new(opts.max_records, opts.seed);
    let mut bad = BadState::default();
    let mut files = Vec::with_capacity(paths.len());
    let mut base = 0u64;
    for (i, path) in paths.iter().enumerate() {
        let idx = u32::try_from(i).unwrap_or(u32::MAX);
        let open = || File::open(path).map(|f| Box::new(f) as Box<dyn Read>);
        let (summary, bytes) =
            ingest_file(idx, path, &open, opts, &mut sink, &mut bad, base, progress)?;
        base += bytes;
        files.push(summary);
    }
    let sampled = sink.sample();
    Ok(Ingested {
        records: sink.finish(),
        files,
        bad: bad.kept,
        bad_count: bad.count,
        sampled,
    })
}

/// Read one in-memory input as if it were a file called `name` (standard input, tests,
/// fuzzing). Same rules and errors as [`ingest`].
///
/// # Errors
///
/// As [`ingest`].
pub fn ingest_bytes(
    name: &str,
    bytes: &[u8],
    opts: &IngestOptions,
) -> Result<Ingested, IngestError> {
    let mut sink = Sink::new(opts.max_records, opts.seed);
    let mut bad = BadState::default();
    let path = PathBuf::from(name);
    let open = || Ok(Box::new(bytes) as Box<dyn Read + '_>);
    let (summary, _) = ingest_file(0, &path, &open, opts, &mut sink, &mut bad, 0, &|_| {})?;
    let sampled = sink.sample();
    Ok(Ingested {
        records: sink.finish(),
        files: vec![summary],
        bad: bad.kept,
        bad_count: bad.count,
        sampled,
    })
}

/// Opens an input from its start (called again when a file turns out to be one document).
type Opener<'a> = dyn Fn() -> io::Result<Box<dyn Read + 'a>> + 'a;

#[derive(Default)]
struct BadState {
    kept: Vec<BadLine>,
    count: u64,
}

/// A parser's verdict on an item it could not use.
pub(crate) enum Fail {
    /// Skip the line and count it as bad.
    Bad(String),
    /// Stop: the input cannot be read at all (e.g. a mapped column is missing).
    Fatal(IngestError),
}

impl From<String> for Fail {
    fn from(s: String) -> Self {
        Fail::Bad(s)
    }
}

/// A format parser: turns items (JSONL lines or document elements) into records.
pub(crate) trait Parser {
    /// Parse one item and emit its records.
    fn item(&mut self, item: Item<'_>, cx: &mut Cx<'_>) -> Result<(), Fail>;
    /// Called once after the last item of a file.
    fn end(&mut self, _cx: &mut Cx<'_>) -> Result<(), Fail> {
        Ok(())
    }
}

/// Per-file context handed to parsers: where records go and where bad lines are counted.
pub(crate) struct Cx<'a> {
    pub(crate) file: u32,
    /// Line of the item being parsed.
    pub(crate) line: u64,
    pub(crate) format: Format,
    pub(crate) path: &'a Path,
    pub(crate) opts: &'a IngestOptions,
    sink: &'a mut Sink,
    bad: &'a mut BadState,
    records: u64,
    bad_lines: u64,
}

impl Cx<'_> {
    /// Emit a record for the current line.
    pub(crate) fn emit(&mut self, rec: CallRecord) {
        self.emit_at(self.line, rec, Aux::default());
    }

    /// Emit a record for the current line with join facts.
    pub(crate) fn emit_aux(&mut self, rec: CallRecord, aux: Aux) {
        self.emit_at(self.line, rec, aux);
    }

    /// Emit a record for `line` (parsers that batch work emit after the fact).
    pub(crate) fn emit_at(&mut self, line: u64, mut rec: CallRecord, aux: Aux) {
        rec.file = self.file;
        rec.line = line;
        rec.format = self.format;
        self.records += 1;
        self.sink.push(rec, aux);
    }

    /// Cross-line join state.
    pub(crate) fn joins(&mut self) -> &mut sink::Joins {
        &mut self.sink.joins
    }

    /// Count a bad line; in strict mode it is an error.
    pub(crate) fn bad(&mut self, line: u64, reason: String) -> Result<(), IngestError> {
        if self.opts.strict {
            return Err(IngestError::Strict {
                path: self.path.to_path_buf(),
                line,
                reason,
            });
        }
        self.bad_lines += 1;
        self.bad.count += 1;
        if self.bad.kept.len() < MAX_BAD_KEPT {
            self.bad.kept.push(BadLine {
                file: self.path.to_path_buf(),
                line,
                reason,
            });
        }
        Ok(())
    }

    /// Feed one item to `parser`, handling its verdict.
    fn feed(&mut self, parser: &mut dyn Parser, item: Item<'_>) -> Result<(), IngestError> {
        match parser.item(item, self) {
            Ok(()) => Ok(()),
            Err(Fail::Bad(reason)) => self.bad(self.line, reason),
            Err(Fail::Fatal(e)) => Err(e),
        }
    }

    fn end(&mut self, parser: &mut dyn Parser) -> Result<(), IngestError> {
        match parser.end(self) {
            Ok(()) => Ok(()),
            Err(Fail::Bad(reason)) => self.bad(self.line, reason),
            Err(Fail::Fatal(e)) => Err(e),
        }
    }
}

fn parser_for(format: Format, opts: &IngestOptions) -> Box<dyn Parser> {
    match format {
        Format::OpenaiChat => Box::new(openai_chat::ChatParser::default()),
        Format::OpenaiLog => Box::new(openai_log::LogParser),
        Format::OpenaiResponses => Box::new(openai_responses::ResponsesParser),
        Format::OpenaiBatch => Box::new(openai_batch::BatchParser),
        Format::Anthropic => Box::new(anthropic::AnthropicParser),
        Format::AnthropicBatch => Box::new(anthropic_batch::AnthropicBatchParser),
        Format::Gemini => Box::new(gemini::GeminiParser::default()),
        Format::Otel => Box::new(otel::OtelParser),
        Format::Messages => Box::new(messages::MessagesParser::new(opts.tokenizer)),
        Format::UsageCsv | Format::UsageJsonl => Box::new(usage_log::JsonlUsageParser::default()),
        Format::Langfuse => Box::new(langfuse::LangfuseParser),
        Format::Langsmith => Box::new(langsmith::LangsmithParser),
    }
}

/// How a file's bytes are laid out.
enum Shape {
    /// One JSON value per line.
    Lines,
    /// One JSON document (pretty-printed, or too long for one line).
    Document,
    /// A delimited text table with a header line.
    Csv,
}

fn io_err(path: &Path) -> impl Fn(io::Error) -> IngestError + '_ {
    move |error| IngestError::Io {
        path: path.to_path_buf(),
        error,
    }
}

/// Read one file; returns its summary and byte count.
// The driver threads the per-run state through explicitly rather than hiding it in a struct.
#[allow(clippy::too_many_arguments)]
fn ingest_file<'a>(
    idx: u32,
    path: &Path,
    open: &Opener<'a>,
    opts: &IngestOptions,
    sink: &mut Sink,
    bad: &mut BadState,
    base: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<(FileSummary, u64), IngestError> {
    let file = open().map_err(io_err(path))?;
    let mut lines = Lines::new(BufReader::with_capacity(
        1 << 18,
        HashingReader::new(file, base, progress),
    ));
    let mut buf = Vec::new();

    // The first non-blank line decides the shape.
    let (first_no, first_kind) = loop {
        match lines.next_into(&mut buf).map_err(io_err(path))? {
            None => {
                return Err(IngestError::Empty {
                    path: path.to_path_buf(),
                });
            }
            Some((_, LineKind::Text)) if source::is_blank(&buf) => continue,
            Some(x) => break x,
        }
    };
    // Lines read while sniffing, replayed to the parser (not copied: a line can be 64 MiB).
    let mut pending = vec![(first_no, first_kind, std::mem::take(&mut buf))];
    let shape = match (first_kind, opts.format) {
        (LineKind::TooLong, _) => Shape::Document,
        (_, Some(Format::UsageCsv)) => Shape::Csv,
        _ => {
            let t = source::trim(&pending[0].2);
            if t.starts_with(b"{") || t.starts_with(b"[") {
                if serde_json::from_slice::<serde::de::IgnoredAny>(t).is_ok() {
                    Shape::Lines
                } else {
                    // Not a complete value: a pretty-printed document, unless the next line
                    // is a complete value (JSONL whose first line is broken).
                    match next_nonblank(&mut lines, &mut buf).map_err(io_err(path))? {
                        None => Shape::Lines,
                        Some((n, k, l)) => {
                            let jsonl = k == LineKind::Text && is_json_value(&l);
                            pending.push((n, k, l));
                            if jsonl { Shape::Lines } else { Shape::Document }
                        }
                    }
                }
            } else if opts.format.is_some() {
                // A forced JSON format on a non-JSON file: every line will be reported bad.
                Shape::Lines
            } else {
                Shape::Csv
            }
        }
    };

    let mut st = FileState {
        records: 0,
        bad_lines: 0,
    };
    let (format, hashing) = match shape {
        Shape::Lines => {
            for (n, k, l) in pending {
                lines.push_back(n, k, l);
            }
            let format = run_lines(&mut lines, idx, path, opts, sink, bad, &mut st)?;
            (format, lines.into_inner().into_inner())
        }
        Shape::Document => {
            drop(lines);
            drop(pending);
            // Re-read from the start: the document may have been cut at the line bound.
            let file = open().map_err(io_err(path))?;
            let mut hashing = HashingReader::new(file, base, progress);
            let streamed = document::run(
                &mut hashing,
                idx,
                path,
                opts,
                sink,
                bad,
                &mut st,
                MAX_VALUE_BYTES,
            )?;
            match streamed {
                Some(format) => (format, hashing),
                None => {
                    // Not one document after all: JSONL whose first lines are broken.
                    drop(hashing);
                    let file = open().map_err(io_err(path))?;
                    let mut lines = Lines::new(BufReader::with_capacity(
                        1 << 18,
                        HashingReader::new(file, base, progress),
                    ));
                    let format = run_lines(&mut lines, idx, path, opts, sink, bad, &mut st)?;
                    (format, lines.into_inner().into_inner())
                }
            }
        }
        Shape::Csv => {
            let first = std::mem::take(&mut pending[0].2);
            let t = source::trim(&first);
            if std::str::from_utf8(t).is_err() || t.contains(&0) {
                return Err(undetectable(path, "binary data, not text".into()));
            }
            let mut cx = Cx {
                file: idx,
                line: first_no,
                format: Format::UsageCsv,
                path,
                opts,
                sink,
                bad,
                records: 0,
                bad_lines: 0,
            };
            let rest = lines.into_inner();
            let rest = usage_log::run_csv(t, first_no, rest, &mut cx)?;
            st.records = cx.records;
            st.bad_lines = cx.bad_lines;
            (Format::UsageCsv, rest.into_inner())
        }
    };
    let (sha256, bytes, lines_total) = hashing.finish().map_err(io_err(path))?;
    let summary = FileSummary {
        path: path.to_path_buf(),
        format,
        sha256,
        lines: lines_total,
        records: st.records,
        bad_lines: st.bad_lines,
    };
    Ok((summary, bytes))
}

struct FileState {
    records: u64,
    bad_lines: u64,
}

fn undetectable(path: &Path, why: String) -> IngestError {
    IngestError::Undetectable {
        path: path.to_path_buf(),
        why,
        known: Format::names(),
    }
}

fn is_json_value(line: &[u8]) -> bool {
    let t = source::trim(line);
    (t.starts_with(b"{") || t.starts_with(b"["))
        && serde_json::from_slice::<serde::de::IgnoredAny>(t).is_ok()
}

fn next_nonblank<R: BufRead>(
    lines: &mut Lines<R>,
    buf: &mut Vec<u8>,
) -> io::Result<Option<(u64, LineKind, Vec<u8>)>> {
    loop {
        match lines.next_into(buf)? {
            None => return Ok(None),
            Some((_, LineKind::Text)) if source::is_blank(buf) => continue,
            Some((n, k)) => return Ok(Some((n, k, std::mem::take(buf)))),
        }
    }
}

/// Decide the format of a JSON value, honouring `--input-format` and `--map`.
fn choose_format(
    v: Option<&Value>,
    path: &Path,
    opts: &IngestOptions,
) -> Result<Format, IngestError> {
    if let Some(f) = opts.format {
        return Ok(f);
    }
    let Some(v) = v else {
        return Err(undetectable(
            path,
            format!("none of the first {SNIFF_LINES} lines is valid JSON"),
        ));
    };
    match detect::detect_value(v) {
        Some(Format::UsageJsonl) | None if opts.map.is_some() => Ok(Format::UsageJsonl),
        Some(f) => Ok(f),
        None => Err(undetectable(
            path,
            format!(
                "no known fields in the first record ({})",
                detect::describe(v)
            ),
        )),
    }
}

/// Stream a JSONL file through its parser.
fn run_lines<R: BufRead>(
    lines: &mut Lines<R>,
    idx: u32,
    path: &Path,
    opts: &IngestOptions,
    sink: &mut Sink,
    bad: &mut BadState,
    st: &mut FileState,
) -> Result<Format, IngestError> {
    let mut buf = Vec::with_capacity(1 << 16);
    // Find the first parsable line for detection; replay everything read.
    let format = if opts.format.is_some() {
        choose_format(None, path, opts)?
    } else {
        let mut seen = Vec::new();
        let mut sample: Option<Value> = None;
        let mut binary = false;
        while seen.len() < SNIFF_LINES {
            let Some((n, k, l)) = next_nonblank(lines, &mut buf).map_err(io_err(path))? else {
                break;
            };
            let t = source::trim(&l);
            binary |= std::str::from_utf8(t).is_err() || t.contains(&0);
            let parsed = if k == LineKind::Text {
                document::sample(t)
            } else {
                None
            };
            seen.push((n, k, l));
            if let Some(v) = parsed {
                sample = Some(v);
                break;
            }
        }
        for (n, k, l) in seen {
            lines.push_back(n, k, l);
        }
        if sample.is_none() && binary {
            return Err(undetectable(path, "binary data, not text".into()));
        }
        choose_format(sample.as_ref(), path, opts)?
    };
    let mut parser = parser_for(format, opts);
    let mut cx = Cx {
        file: idx,
        line: 0,
        format,
        path,
        opts,
        sink,
        bad,
        records: 0,
        bad_lines: 0,
    };
    while let Some((no, kind)) = lines.next_into(&mut buf).map_err(io_err(path))? {
        cx.line = no;
        if kind == LineKind::TooLong {
            cx.bad(
                no,
                format!("line longer than {} MiB", source::MAX_LINE_BYTES >> 20),
            )?;
            continue;
        }
        let t = source::trim(&buf);
        if t.is_empty() {
            continue;
        }
        if t.starts_with(b"[") {
            // A line holding an array: each element is an item, parsed and fed one at a time
            // (a 64 MiB line parsed whole would take ~10× that).
            let p = parser.as_mut();
            if let Err(e) = document::array_elements(t, &mut |v| cx.feed(p, Item::Value(v)))? {
                cx.bad(no, json::reason(&e))?;
            }
            continue;
        }
        cx.feed(parser.as_mut(), Item::Bytes(t))?;
    }
    cx.end(parser.as_mut())?;
    st.records = cx.records;
    st.bad_lines = cx.bad_lines;
    Ok(format)
}
