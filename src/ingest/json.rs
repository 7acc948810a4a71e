//! Shared helpers for the JSON formats: parsing one item (a JSONL line's bytes or an
//! already-parsed value) into a typed struct with a one-line reason on failure, lenient
//! numbers (OTLP sends int64 as strings), timestamps, and request keys.

use serde::Deserialize;
use serde::de::{DeserializeOwned, Deserializer};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// One record's source: the bytes of a JSONL line, or a value from a parsed document.
pub(crate) enum Item<'a> {
    /// A JSONL line.
    Bytes(&'a [u8]),
    /// An element of a JSON document.
    Value(Value),
}

/// Parse an item into `T`; the error is a one-line reason for the bad-line report.
pub(crate) fn parse<T: DeserializeOwned>(item: Item<'_>) -> Result<T, String> {
    match item {
        Item::Bytes(b) => serde_json::from_slice(b).map_err(|e| reason(&e)),
        Item::Value(v) => T::deserialize(v).map_err(|e| reason(&e)),
    }
}

/// A serde_json error as a one-line reason without the misleading "line 1" of a JSONL line.
pub(crate) fn reason(e: &serde_json::Error) -> String {
    if e.column() > 0 {
        let (what, msg) = parts(e);
        format!("{what} at column {}: {msg}", e.column())
    } else {
        reason_without_position(e)
    }
}

/// A serde_json error as a one-line reason without its position (the caller gives one).
pub(crate) fn reason_without_position(e: &serde_json::Error) -> String {
    let (what, msg) = parts(e);
    format!("{what}: {msg}")
}

/// What kind of error, and serde_json's message without " at line L column C".
fn parts(e: &serde_json::Error) -> (&'static str, String) {
    use serde_json::error::Category;
    let msg = e.to_string();
    let msg = match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg,
    };
    let what = match e.classify() {
        Category::Eof => "truncated JSON",
        Category::Syntax => "invalid JSON",
        Category::Data => "unexpected value",
        Category::Io => "read error",
    };
    (what, msg)
}

/// A count sent as a JSON number or a numeric string (OTLP `intValue`, Langfuse
/// `modelParameters`). Non-numeric strings deserialize as `None`.
pub(crate) fn lenient_u64(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| *f >= 0.0 && f.is_finite())
                .map(|f| f as u64)
        }),
        Value::String(s) => s.trim().parse::<u64>().ok().or_else(|| {
            s.trim()
                .parse::<f64>()
                .ok()
                .filter(|f| *f >= 0.0 && f.is_finite())
                .map(|f| f as u64)
        }),
        _ => None,
    }
}

/// Serde adapter for optional lenient counts.
pub(crate) fn de_lenient_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(v.as_ref().and_then(lenient_u64))
}

/// Parse a timestamp: RFC 3339 / ISO 8601 with an offset, or a civil date-time without one
/// (`2023-11-16 18:17:03.9799600`, `2025-08-01T15:53:28.575967`, read as UTC). Returns unix
/// seconds.
pub(crate) fn parse_time(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let ts = match s.parse::<jiff::Timestamp>() {
        Ok(ts) => ts,
        Err(_) => {
            let dt = s.parse::<jiff::civil::DateTime>().ok()?;
            jiff::tz::Offset::UTC.to_timestamp(dt).ok()?
        }
    };
    Some(ts.as_second() as f64 + f64::from(ts.subsec_nanosecond()) * 1e-9)
}

/// A stable short key for a request body (first 16 hex digits of its SHA-256), so repeated
/// attempts of the same request share a key.
pub(crate) fn request_key(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_parse_with_and_without_offsets() {
        assert_eq!(
            parse_time("2025-01-01T00:00:03.402Z"),
            Some(1_735_689_603.402)
        );
        let azure = parse_time("2023-11-16 18:17:03.9799600").unwrap_or_default();
        assert!((azure - 1_700_158_623.979_96).abs() < 1e-6, "{azure}");
        let tau2 = parse_time("2025-08-01T15:53:28.575967").unwrap_or_default();
        assert!((tau2 - 1_754_063_608.575_967).abs() < 1e-6, "{tau2}");
        assert_eq!(parse_time("yesterday"), None);
        assert_eq!(parse_time(""), None);
    }

    #[test]
    fn lenient_counts_accept_strings_and_numbers() {
        assert_eq!(lenient_u64(&Value::from("812")), Some(812));
        assert_eq!(lenient_u64(&Value::from(812)), Some(812));
        assert_eq!(lenient_u64(&Value::from("x")), None);
        assert_eq!(lenient_u64(&Value::from(-1)), None);
    }

    #[test]
    fn reasons_are_one_line_and_name_the_column() {
        let e = serde_json::from_slice::<Value>(b"{\"a\": ").err();
        let r = e.map(|e| reason(&e)).unwrap_or_default();
        assert!(r.starts_with("truncated JSON"), "{r}");
        assert!(!r.contains("line 1"), "{r}");
    }
}
