//! Files that are one JSON document (pretty-printed, or too long for one line), read as a
//! stream so memory is bounded by the reservoir plus one item, never by the file.
//!
//! What is streamed, item by item (each item is parsed into a [`Value`] and handed to the
//! format's parser, then dropped):
//! - a top-level **array**: each element;
//! - a Langfuse export `{"data": [...], "meta": …}`: each observation of `data`;
//! - an OTLP/JSON export `{"resourceSpans": [{"scopeSpans": [{"spans": [...]}]}]}`: each span;
//! - several top-level values one after another (`jq .` output of a JSONL file): each value.
//!
//! Any other top-level object is one record and is held whole. No single item (element,
//! observation, span or whole object) may exceed `limit` bytes; a bigger one is an error
//! naming the file and the item, as holding it would take about ten times its size.
//!
//! Items are numbered 1, 2, … in reading order over the whole file (array elements, `data`
//! entries, spans, top-level values); that number is the record's `line` and the one bad
//! items are reported with.

use std::cell::Cell;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::rc::Rc;

use serde::Deserialize as _;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use super::json::Item;
use super::sink::Sink;
use super::{BadState, Cx, FileState, IngestError, IngestOptions, Parser};
use crate::ingest::record::Format;

/// Keys of an OTLP export's resource list.
const RESOURCE_SPANS: [&str; 2] = ["resourceSpans", "resource_spans"];
/// Keys of a resource's scope list.
const SCOPE_SPANS: [&str; 3] = ["scopeSpans", "scope_spans", "instrumentationLibrarySpans"];

/// Counts the bytes read since the last [`Budget::reset`] and fails the read once they pass
/// the limit, so an oversized item stops the parser before it is held in memory.
struct Budget<R> {
    inner: R,
    used: Rc<Cell<u64>>,
    limit: u64,
    tripped: Rc<Cell<bool>>,
}

impl<R: Read> Read for Budget<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.used.get() > self.limit {
            self.tripped.set(true);
            return Err(io::Error::other("item over the size limit"));
        }
        let n = self.inner.read(buf)?;
        self.used.set(self.used.get() + n as u64);
        Ok(n)
    }
}

/// Shared handle on a [`Budget`]'s counters.
#[derive(Clone)]
struct BudgetHandle {
    used: Rc<Cell<u64>>,
    tripped: Rc<Cell<bool>>,
}

impl BudgetHandle {
    /// Start counting a new item. The reader runs ahead of the parser by up to its buffer
    /// (256 KiB), so the count is that approximate.
    fn reset(&self) {
        self.used.set(0);
    }
}

/// The state the visitors share: where items go, how many were read, and a fatal error to
/// report once the parser has unwound.
struct Driver<'c, 'a> {
    cx: &'c mut Cx<'a>,
    parser: Option<Box<dyn Parser>>,
    /// Items read so far (the number of the last one).
    item: u64,
    /// Something was handed to a parser or reported bad: the file is JSON, and a later
    /// syntax error is a bad item rather than a reason to read the file as JSONL.
    touched: bool,
    fatal: Option<IngestError>,
    budget: BudgetHandle,
}

impl Driver<'_, '_> {
    /// Number the next item and set up the parser on the first one (`fixed` = the format a
    /// streamed shape implies; otherwise the item is detected like a JSONL record).
    fn next_item(
        &mut self,
        first: Option<&Value>,
        fixed: Option<Format>,
    ) -> Result<(), IngestError> {
        self.item += 1;
        self.cx.line = self.item;
        if self.parser.is_none() {
            let format = match fixed {
                Some(f) if self.cx.opts.format.is_none() => f,
                _ => super::choose_format(first, self.cx.path, self.cx.opts)?,
            };
            self.cx.format = format;
            self.parser = Some(super::parser_for(format, self.cx.opts));
        }
        Ok(())
    }

    /// Hand one item to the parser.
    fn feed(&mut self, v: Value, fixed: Option<Format>) -> Result<(), IngestError> {
        self.next_item(Some(&v), fixed)?;
        self.touched = true;
        match self.parser.as_mut() {
            Some(p) => self.cx.feed(p.as_mut(), Item::Value(v)),
            None => Ok(()),
        }
    }

    /// Report the current item bad.
    fn bad(&mut self, reason: String) -> Result<(), IngestError> {
        self.touched = true;
        self.cx.bad(self.item, reason)
    }

    /// Keep `e` for the caller and stop the parser.
    fn stop<E: de::Error>(&mut self, e: IngestError) -> E {
        self.fatal = Some(e);
        E::custom("stopped")
    }

    /// The format the run uses when the user forced one or detection has already chosen.
    fn format(&self) -> Option<Format> {
        if self.parser.is_some() {
            Some(self.cx.format)
        } else {
            self.cx.opts.format
        }
    }
}

/// Stream the JSON document `reader` into `sink`. Returns the format read, or `None` when
/// the input is not JSON at all and nothing was read from it (the caller then reads it as
/// JSONL with broken lines).
// The per-run state is threaded through explicitly, as in `ingest_file`.
#[allow(clippy::too_many_arguments)]
pub(super) fn run<R: Read>(
    reader: R,
    idx: u32,
    path: &Path,
    opts: &IngestOptions,
    sink: &mut Sink,
    bad: &mut BadState,
    st: &mut FileState,
    limit: u64,
) -> Result<Option<Format>, IngestError> {
    let budget = BudgetHandle {
        used: Rc::new(Cell::new(0)),
        tripped: Rc::new(Cell::new(false)),
    };
    let mut reader = BufReader::with_capacity(
        1 << 18,
        Budget {
            inner: reader,
            used: budget.used.clone(),
            limit,
            tripped: budget.tripped.clone(),
        },
    );
    // A UTF-8 byte-order mark is not JSON; skip it as the line reader does.
    let bom = reader
        .fill_buf()
        .map(|b| b.starts_with(b"\xEF\xBB\xBF"))
        .map_err(|error| io_error(path, error))?;
    if bom {
        reader.consume(3);
    }
    let mut cx = Cx {
        file: idx,
        line: 0,
        format: opts.format.unwrap_or(Format::UsageJsonl),
        path,
        opts,
        sink,
        bad,
        records: 0,
        bad_lines: 0,
    };
    let mut d = Driver {
        cx: &mut cx,
        parser: None,
        item: 0,
        touched: false,
        fatal: None,
        budget: budget.clone(),
    };
    let mut de = serde_json::Deserializer::from_reader(reader);
    let outcome = loop {
        budget.reset();
        if let Err(e) = (&mut de).deserialize_any(Top { d: &mut d }) {
            break Err(e);
        }
        // More after the value: another top-level value (concatenated documents).
        if de.end().is_ok() {
            break Ok(());
        }
    };
    if let Some(e) = d.fatal.take() {
        return Err(e);
    }
    if let Err(e) = outcome {
        if budget.tripped.get() {
            return Err(IngestError::TooLarge {
                path: path.to_path_buf(),
                item: d.item + 1,
                limit_mib: limit >> 20,
            });
        }
        if e.is_io() {
            return Err(io_error(path, io::Error::other(e.to_string())));
        }
        if !d.touched {
            return Ok(None);
        }
        // A syntax error after records were read: the rest of the file cannot be parsed.
        d.item += 1;
        d.bad(format!(
            "{} at line {} column {} of the file; the rest of the file is not read",
            super::json::reason_without_position(&e),
            e.line(),
            e.column()
        ))?;
    }
    let format = match d.parser.as_mut() {
        Some(p) => {
            let p = p.as_mut();
            d.cx.end(p)?;
            d.cx.format
        }
        // An empty array, or an object with an empty stream: say what was seen.
        None => super::choose_format(Some(&Value::Array(Vec::new())), path, opts)?,
    };
    st.records = cx.records;
    st.bad_lines = cx.bad_lines;
    Ok(Some(format))
}

/// Feed the elements of the JSON array `bytes` (a JSONL line) to `feed` one at a time, so only
/// one element is held parsed. The inner result is serde's error for malformed JSON or
/// characters after the array (the elements before it have been fed); the outer one is
/// `feed`'s.
pub(super) fn array_elements(
    bytes: &[u8],
    feed: &mut dyn FnMut(Value) -> Result<(), IngestError>,
) -> Result<Result<(), serde_json::Error>, IngestError> {
    struct Elements<'f> {
        feed: &'f mut dyn FnMut(Value) -> Result<(), IngestError>,
        fatal: &'f mut Option<IngestError>,
    }
    impl<'de> Visitor<'de> for Elements<'_> {
        type Value = ();

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an array")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while let Some(v) = seq.next_element::<Value>()? {
                if let Err(e) = (self.feed)(v) {
                    *self.fatal = Some(e);
                    return Err(de::Error::custom("stopped"));
                }
            }
            Ok(())
        }
    }
    let mut fatal = None;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let read = (&mut de)
        .deserialize_seq(Elements {
            feed,
            fatal: &mut fatal,
        })
        .and_then(|()| de.end());
    match fatal {
        Some(e) => Err(e),
        None => Ok(read),
    }
}

/// What format detection looks at in a JSONL line: the line's value, or for an array line an
/// array of its first element only (detection reads no further, and a 64 MiB array parsed
/// whole would take ~10× that). `None` when that much is not valid JSON.
pub(super) fn sample(line: &[u8]) -> Option<Value> {
    if !line.starts_with(b"[") {
        return serde_json::from_slice(line).ok();
    }
    let mut first = None;
    let stop = array_elements(line, &mut |v| {
        first = Some(v);
        // Stop after the first element (the error is not reported).
        Err(IngestError::NoInput)
    });
    match (first, stop) {
        (Some(v), _) => Some(Value::Array(vec![v])),
        (None, Ok(Ok(()))) => Some(Value::Array(Vec::new())),
        (None, _) => None,
    }
}

fn io_error(path: &Path, error: io::Error) -> IngestError {
    IngestError::Io {
        path: path.to_path_buf(),
        error,
    }
}

/// A float as a [`Value`] (`null` for a non-finite one, which JSON cannot hold anyway).
fn float(f: f64) -> Value {
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

/// The scalar `visit_*` methods of a visitor: each builds the scalar's [`Value`] and hands it
/// to the visitor's own `scalar` method (the cases it does not stream).
macro_rules! scalars {
    () => {
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            self.scalar(Value::Bool(v))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            self.scalar(Value::from(v))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            self.scalar(Value::from(v))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            self.scalar(float(v))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            self.scalar(Value::String(v.to_string()))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            self.scalar(Value::String(v))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            self.scalar(Value::Null)
        }
    };
}

/// A top-level value: an array is streamed element by element, an object key by key (its
/// `data` / `resourceSpans` list streamed), anything else is one item.
struct Top<'d, 'c, 'a> {
    d: &'d mut Driver<'c, 'a>,
}

impl Top<'_, '_, '_> {
    fn scalar<E: de::Error>(self, v: Value) -> Result<(), E> {
        let d = self.d;
        d.feed(v, None).map_err(|e| d.stop(e))
    }
}

impl<'de> Visitor<'de> for Top<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON document")
    }

    scalars!();

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let d = self.d;
        loop {
            d.budget.reset();
            let Some(v) = seq.next_element::<Value>()? else {
                return Ok(());
            };
            d.feed(v, None).map_err(|e| d.stop(e))?;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let d = self.d;
        // Keys before a streamed list are kept (the object may turn out to be one record);
        // once a list has been streamed, the object was a container and the rest is skipped.
        let mut kept = Map::new();
        let mut streamed = false;
        while let Some(key) = map.next_key::<String>()? {
            if streamed {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let format = d.format();
            if RESOURCE_SPANS.contains(&key.as_str()) && format.is_none_or(|f| f == Format::Otel) {
                let steps = [
                    Step::Elements,
                    Step::Key(&SCOPE_SPANS),
                    Step::Elements,
                    Step::Key(&["spans"]),
                    Step::Elements,
                ];
                map.next_value_seed(Walk {
                    d: &mut *d,
                    steps: &steps,
                    at: key.clone(),
                })?;
                streamed = true;
                continue;
            }
            if key == "data" && format.is_none_or(|f| f == Format::Langfuse) {
                match map.next_value_seed(Data { d: &mut *d })? {
                    None => streamed = true,
                    Some(v) => {
                        kept.insert(key, v);
                    }
                }
                continue;
            }
            kept.insert(key, map.next_value::<Value>()?);
        }
        if streamed {
            return Ok(());
        }
        d.feed(Value::Object(kept), None).map_err(|e| d.stop(e))
    }
}

/// A Langfuse `data` list: streamed when its first element is an observation (or the format
/// is forced to `langfuse`); otherwise returned whole so the object is read as one record.
struct Data<'d, 'c, 'a> {
    d: &'d mut Driver<'c, 'a>,
}

impl Data<'_, '_, '_> {
    fn scalar<E: de::Error>(self, v: Value) -> Result<Option<Value>, E> {
        Ok(Some(v))
    }
}

impl<'de> DeserializeSeed<'de> for Data<'_, '_, '_> {
    type Value = Option<Value>;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Option<Value>, D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Data<'_, '_, '_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of observations")
    }

    scalars!();

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<Value>, A::Error> {
        let d = self.d;
        let Some(first) = seq.next_element::<Value>()? else {
            return Ok(Some(Value::Array(Vec::new())));
        };
        let langfuse = match d.format() {
            Some(f) => f == Format::Langfuse,
            None => first
                .as_object()
                .is_some_and(super::detect::is_langfuse_observation),
        };
        if !langfuse {
            // Not an export of observations: the object is one record; keep the list.
            let mut all = vec![first];
            while let Some(v) = seq.next_element::<Value>()? {
                all.push(v);
            }
            return Ok(Some(Value::Array(all)));
        }
        d.feed(first, Some(Format::Langfuse))
            .map_err(|e| d.stop(e))?;
        loop {
            d.budget.reset();
            let Some(v) = seq.next_element::<Value>()? else {
                return Ok(None);
            };
            d.feed(v, Some(Format::Langfuse)).map_err(|e| d.stop(e))?;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<Value>, A::Error> {
        let mut kept = Map::new();
        while let Some((k, v)) = map.next_entry::<String, Value>()? {
            kept.insert(k, v);
        }
        Ok(Some(Value::Object(kept)))
    }
}

/// One step of the path down an OTLP export to its spans.
#[derive(Clone, Copy)]
enum Step {
    /// Each element of a list.
    Elements,
    /// The value of one of these keys of an object (other keys are skipped).
    Key(&'static [&'static str]),
}

/// Walks `steps` down from the current value and feeds each value at the end of the path
/// (a span) as an item of its own, wrapped as a one-span OTLP export. A value of the wrong
/// type on the way is a bad item naming where it is (`at`).
struct Walk<'d, 'c, 'a, 's> {
    d: &'d mut Driver<'c, 'a>,
    steps: &'s [Step],
    at: String,
}

impl Walk<'_, '_, '_, '_> {
    fn scalar<E: de::Error>(self, v: Value) -> Result<(), E> {
        let d = self.d;
        if self.steps.is_empty() {
            return d
                .feed(span_export(v), Some(Format::Otel))
                .map_err(|e| d.stop(e));
        }
        let want = match self.steps[0] {
            Step::Elements => "a list",
            Step::Key(_) => "an object",
        };
        d.next_item(None, Some(Format::Otel))
            .map_err(|e| d.stop(e))?;
        d.bad(format!("{} is {}, not {want}", self.at, kind(&v)))
            .map_err(|e| d.stop(e))
    }
}

/// `{"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]}`: one span as the OTLP parser
/// reads a whole export.
fn span_export(span: Value) -> Value {
    let spans = Value::Array(vec![span]);
    let scope = Value::Object(Map::from_iter([("spans".to_string(), spans)]));
    let resource = Value::Object(Map::from_iter([(
        "scopeSpans".to_string(),
        Value::Array(vec![scope]),
    )]));
    Value::Object(Map::from_iter([(
        "resourceSpans".to_string(),
        Value::Array(vec![resource]),
    )]))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

impl<'de> DeserializeSeed<'de> for Walk<'_, '_, '_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        if self.steps.is_empty() {
            // A span: parse it whole.
            let v = Value::deserialize(de)?;
            return self.scalar(v);
        }
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_, '_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an OTLP export")
    }

    scalars!();

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Walk { d, steps, at } = self;
        if !matches!(steps.first(), Some(Step::Elements)) {
            // A list where an object was expected: skip it, report it.
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Walk { d, steps, at }.scalar(Value::Array(Vec::new()));
        }
        let mut i = 0usize;
        loop {
            d.budget.reset();
            let seed = Walk {
                d: &mut *d,
                steps: &steps[1..],
                at: format!("{at}[{i}]"),
            };
            if seq.next_element_seed(seed)?.is_none() {
                return Ok(());
            }
            i += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Walk { d, steps, at } = self;
        let Some(Step::Key(keys)) = steps.first().copied() else {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            return Walk { d, steps, at }.scalar(Value::Object(Map::new()));
        };
        while let Some(key) = map.next_key::<String>()? {
            if keys.contains(&key.as_str()) {
                let seed = Walk {
                    d: &mut *d,
                    steps: &steps[1..],
                    at: format!("{at}.{key}"),
                };
                map.next_value_seed(seed)?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{BadState, FileState, IngestOptions};

    /// (format read, record lines, "line: reason" of bad items).
    type Streamed = (Option<Format>, Vec<u64>, Vec<String>);

    fn stream(text: &str, limit: u64) -> Result<Streamed, IngestError> {
        let opts = IngestOptions::default();
        let mut sink = Sink::new(1000, 0);
        let mut bad = BadState::default();
        let mut st = FileState {
            records: 0,
            bad_lines: 0,
        };
        let f = run(
            text.as_bytes(),
            0,
            Path::new("doc.json"),
            &opts,
            &mut sink,
            &mut bad,
            &mut st,
            limit,
        )?;
        let lines = sink.finish().iter().map(|r| r.line).collect();
        Ok((
            f,
            lines,
            bad.kept
                .iter()
                .map(|b| format!("{}: {}", b.line, b.reason))
                .collect(),
        ))
    }

    const CHAT: &str = r#"{"object":"chat.completion","model":"m","choices":[{"finish_reason":"stop","message":{"content":"hi"}}],"usage":{"prompt_tokens":5,"completion_tokens":2}}"#;

    #[test]
    fn arrays_and_concatenated_values_are_items_in_order() {
        let doc = format!("[\n {CHAT},\n {CHAT}\n]\n{CHAT}\n\n{CHAT}");
        let (f, lines, bad) = stream(&doc, 1 << 30).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(f, Some(Format::OpenaiChat));
        assert_eq!(lines, vec![1, 2, 3, 4]);
        assert!(bad.is_empty(), "{bad:?}");
    }

    #[test]
    fn a_syntax_error_after_records_is_one_bad_item_and_before_them_means_not_json() {
        let doc = format!("[\n {CHAT},\n {{\"object\": \n");
        let (_, lines, bad) = stream(&doc, 1 << 30).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(lines, vec![1]);
        assert_eq!(bad.len(), 1);
        assert!(
            bad[0].starts_with("2: truncated JSON") && bad[0].contains("line 4"),
            "{bad:?}"
        );
        assert_eq!(
            stream("{\"a\": 1,\n{\"b\"", 1 << 30).ok().map(|x| x.0),
            Some(None)
        );
    }

    #[test]
    fn an_item_over_the_limit_is_an_error_naming_it() {
        let big = format!(
            "[{CHAT}, {{\"object\":\"chat.completion\",\"x\":\"{}\"}}]",
            "y".repeat(3 << 20)
        );
        let e = stream(&big, 1 << 20)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("doc.json") && e.contains("item 2") && e.contains("1 MiB"),
            "{e}"
        );
        // The same item under a larger limit is read.
        assert!(stream(&big, 8 << 20).is_ok());
    }

    #[test]
    fn otlp_spans_and_langfuse_observations_stream_one_by_one() {
        let span = |id: &str| {
            format!(
                r#"{{"traceId":"t","spanId":"{id}","name":"chat m","startTimeUnixNano":"1","attributes":[{{"key":"gen_ai.operation.name","value":{{"stringValue":"chat"}}}},{{"key":"gen_ai.usage.input_tokens","value":{{"intValue":"10"}}}},{{"key":"gen_ai.usage.output_tokens","value":{{"intValue":"2"}}}}]}}"#
            )
        };
        let doc = format!(
            r#"{{"resourceSpans":[{{"resource":{{}},"scopeSpans":[{{"scope":{{}},"spans":[{},{}]}},{{"spans":[{}]}}]}},{{"scopeSpans":7}}]}}"#,
            span("a"),
            span("b"),
            span("c")
        );
        let (f, lines, bad) = stream(&doc, 1 << 30).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(f, Some(Format::Otel));
        assert_eq!(lines, vec![1, 2, 3]);
        assert_eq!(
            bad,
            vec!["4: resourceSpans[1].scopeSpans is a number, not a list".to_string()]
        );

        let obs = |i: u32| {
            format!(
                r#"{{"traceId":"t","type":"GENERATION","startTime":"2025-01-01T00:00:0{i}Z","usageDetails":{{"input":10,"output":2}}}}"#
            )
        };
        let doc = format!(
            "{{\"data\": [{}, {}, {}], \"meta\": {{\"page\": 1}}}}",
            obs(1),
            obs(2),
            obs(3)
        );
        let (f, lines, _) = stream(&doc, 1 << 30).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((f, lines), (Some(Format::Langfuse), vec![1, 2, 3]));
    }

    #[test]
    fn array_lines_feed_their_elements_one_by_one() {
        let mut seen = Vec::new();
        let r = array_elements(b"[1, {\"a\": 2}, [3]]", &mut |v| {
            seen.push(v);
            Ok(())
        });
        assert!(matches!(r, Ok(Ok(()))));
        assert_eq!(seen.len(), 3);
        // Broken after the first element, or trailing characters: what came before is fed.
        for bad in [&b"[1, {\"a\": "[..], &b"[1] x"[..]] {
            let mut n = 0;
            let r = array_elements(bad, &mut |_| {
                n += 1;
                Ok(())
            });
            assert!(matches!(r, Ok(Err(_))));
            assert_eq!(n, 1);
        }
        // The parser's fatal error stops the line.
        let r = array_elements(b"[1, 2]", &mut |_| Err(IngestError::NoInput));
        assert!(matches!(r, Err(IngestError::NoInput)));
    }

    #[test]
    fn detection_samples_the_first_element_of_an_array_line() {
        assert_eq!(
            sample(b"[{\"a\": 1}, {\"b\": "),
            Some(serde_json::json!([{"a": 1}]))
        );
        assert_eq!(sample(b"[]"), Some(serde_json::json!([])));
        assert_eq!(sample(b"[{\"a\" "), None);
        assert_eq!(sample(b"{\"a\": 1}"), Some(serde_json::json!({"a": 1})));
    }

    #[test]
    fn an_object_whose_data_is_not_observations_is_one_record() {
        let doc = r#"{"data": [{"a": 1}], "choices": [{"finish_reason":"stop","message":{"content":"x"}}], "usage": {"prompt_tokens": 3, "completion_tokens": 1}}"#;
        let (f, lines, _) = stream(doc, 1 << 30).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((f, lines), (Some(Format::OpenaiChat), vec![1]));
        let e = stream("[]", 1 << 30)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("cannot tell the format"), "{e}");
    }
}
