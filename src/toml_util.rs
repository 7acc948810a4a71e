//! Shared handling of TOML documents: one-line error locations with "did you mean" hints,
//! and `--set key.path=value` overrides applied to a document before it is read.

use std::fmt;

/// Where in a TOML document a problem is, and what it is, ready for a one-line message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TomlProblem {
    /// 1-based line, when the parser knew the position.
    pub line: Option<usize>,
    /// The problem, with a suggestion for misspelt keys.
    pub message: String,
}

impl fmt::Display for TomlProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// 1-based line number of a byte offset in `src`.
pub fn line_of(src: &str, offset: usize) -> usize {
    let end = offset.min(src.len());
    src.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// 1-based line of the value of a dotted key in `src` (`traffic.monthly_growth`,
/// `traffic.cohorts[1].sessions_scale`), when the document parses and holds it.
pub fn line_of_key(src: &str, key: &str) -> Option<usize> {
    use toml::de::{DeTable, DeValue};
    let root = DeTable::parse(src).ok()?;
    let root = toml::Spanned::new(root.span(), DeValue::Table(root.into_inner()));
    let mut cur = &root;
    for seg in key.split('.') {
        let (name, index) = match seg.split_once('[') {
            Some((n, rest)) => (n, rest.strip_suffix(']')?.parse::<usize>().ok()),
            None => (seg, None),
        };
        cur = cur.get_ref().get(name)?;
        if let Some(i) = index {
            cur = cur.get_ref().get(i)?;
        }
    }
    Some(line_of(src, cur.span().start))
}

/// Turn a `toml` deserialisation error into a one-line problem naming the line and, for an
/// unknown key, the closest known key.
pub fn describe(err: &toml::de::Error, src: &str) -> TomlProblem {
    let line = err.span().map(|s| line_of(src, s.start));
    let raw = err.message().trim().replace('\n', " ");
    let mut message = suggest_field(&raw).unwrap_or(raw);
    if let Some(l) = line
        && let Some(text) = src.lines().nth(l - 1)
    {
        let text = text.trim();
        if !text.is_empty() && text.len() <= 120 {
            message = format!("{message} (in `{text}`)");
        }
    }
    TomlProblem { line, message }
}

/// serde's "unknown field `x`, expected one of `a`, `b`" becomes
/// "unknown key `x`; did you mean `a`? (known keys: a, b)".
fn suggest_field(msg: &str) -> Option<String> {
    let rest = msg.strip_prefix("unknown field `")?;
    let (field, rest) = rest.split_once('`')?;
    let known: Vec<&str> = rest
        .split('`')
        .enumerate()
        .filter_map(|(i, s)| (i % 2 == 1).then_some(s))
        .collect();
    let mut out = format!("unknown key `{field}`");
    if let Some(best) = closest(field, known.iter().copied()) {
        out.push_str(&format!("; did you mean `{best}`?"));
    }
    if !known.is_empty() {
        out.push_str(&format!(" (known keys: {})", known.join(", ")));
    }
    Some(out)
}

/// The candidate closest to `word` by Jaro–Winkler similarity, if any is reasonably close.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score >= 0.75)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// Up to `n` candidates ranked by similarity to `word` (for "unknown model" errors).
pub fn closest_n<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    n: usize,
) -> Vec<&'a str> {
    let mut scored: Vec<(f64, &str)> = candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored.into_iter().take(n).map(|(_, c)| c).collect()
}

/// Why a `--set` override could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OverrideError {
    /// The override is not of the form `key.path=value`.
    #[error(
        "--set '{0}' is not of the form key.path=value (e.g. --set traffic.monthly_active_users=20000)"
    )]
    Syntax(String),
    /// A path segment walks into something that is not a table.
    #[error("--set {path}: `{at}` is a {kind}, not a table, so it has no key `{next}`")]
    NotATable {
        /// The full path given.
        path: String,
        /// The prefix that was reached.
        at: String,
        /// What that prefix holds.
        kind: String,
        /// The segment that could not be followed.
        next: String,
    },
    /// An array index is out of range or not a number.
    #[error("--set {path}: `{at}` has {len} entries; use an index from 0 to {max}")]
    BadIndex {
        /// The full path given.
        path: String,
        /// The array reached.
        at: String,
        /// Its length.
        len: usize,
        /// Largest valid index.
        max: usize,
    },
    /// The document itself does not parse.
    #[error("{0}")]
    Parse(String),
}

/// Apply `key.path=value` overrides to a TOML document, keeping its layout (and so its line
/// numbers) wherever possible. Values are read as TOML (`5000`, `"8000 to 30000"`,
/// `{ dist = "gamma", mean = 4, cv = 1.5 }`); anything that is not valid TOML is taken as a
/// string. Array-of-table entries are addressed by index: `routes.0.model=...`.
///
/// Unknown keys are inserted so that the schema check that follows reports them by name.
pub fn apply_overrides(src: &str, overrides: &[String]) -> Result<String, OverrideError> {
    if overrides.is_empty() {
        return Ok(src.to_string());
    }
    let mut doc: toml_edit::DocumentMut = src
        .parse()
        .map_err(|e: toml_edit::TomlError| OverrideError::Parse(e.to_string()))?;
    for ov in overrides {
        let (path, value) = ov
            .split_once('=')
            .ok_or_else(|| OverrideError::Syntax(ov.clone()))?;
        let path = path.trim();
        if path.is_empty() {
            return Err(OverrideError::Syntax(ov.clone()));
        }
        let value = parse_value(value.trim());
        let segs: Vec<&str> = path.split('.').collect();
        set_path(doc.as_item_mut(), &segs, 0, value, path)?;
    }
    Ok(doc.to_string())
}

fn parse_value(text: &str) -> toml_edit::Value {
    // Parse as the right-hand side of a key so inline tables and arrays work.
    let probe = format!("v = {text}");
    if let Ok(doc) = probe.parse::<toml_edit::DocumentMut>()
        && let Some(v) = doc.get("v").and_then(|i| i.as_value())
    {
        let mut v = v.clone();
        v.decor_mut().clear();
        return v;
    }
    toml_edit::Value::from(text)
}

fn kind_of(item: &toml_edit::Item) -> &'static str {
    match item {
        toml_edit::Item::None => "missing value",
        toml_edit::Item::Value(v) => v.type_name(),
        toml_edit::Item::Table(_) => "table",
        toml_edit::Item::ArrayOfTables(_) => "array of tables",
    }
}

fn set_path(
    item: &mut toml_edit::Item,
    segs: &[&str],
    depth: usize,
    value: toml_edit::Value,
    full: &str,
) -> Result<(), OverrideError> {
    let seg = segs[depth];
    let last = depth + 1 == segs.len();
    let at = segs[..depth].join(".");
    let not_table = |item: &toml_edit::Item| OverrideError::NotATable {
        path: full.to_string(),
        at: if at.is_empty() {
            "(top level)".to_string()
        } else {
            at.clone()
        },
        kind: kind_of(item).to_string(),
        next: seg.to_string(),
    };
    match item {
        toml_edit::Item::ArrayOfTables(arr) => {
            let len = arr.len();
            let idx: usize = seg.parse().map_err(|_| OverrideError::BadIndex {
                path: full.to_string(),
                at: at.clone(),
                len,
                max: len.saturating_sub(1),
            })?;
            let table = arr.get_mut(idx).ok_or(OverrideError::BadIndex {
                path: full.to_string(),
                at: at.clone(),
                len,
                max: len.saturating_sub(1),
            })?;
            if last {
                return Err(not_table(&toml_edit::Item::Value(value)));
            }
            let mut sub = toml_edit::Item::Table(std::mem::take(table));
            let r = set_path(&mut sub, segs, depth + 1, value, full);
            if let toml_edit::Item::Table(t) = sub {
                *table = t;
            }
            r
        }
        toml_edit::Item::Value(toml_edit::Value::Array(arr))
            if !last || seg.parse::<usize>().is_ok() =>
        {
            let len = arr.len();
            let idx: usize = seg.parse().map_err(|_| OverrideError::BadIndex {
                path: full.to_string(),
                at: at.clone(),
                len,
                max: len.saturating_sub(1),
            })?;
            if idx >= len {
                return Err(OverrideError::BadIndex {
                    path: full.to_string(),
                    at,
                    len,
                    max: len.saturating_sub(1),
                });
            }
            if last {
                arr.replace(idx, value);
                return Ok(());
            }
            let slot = arr
                .get_mut(idx)
                .ok_or_else(|| OverrideError::Syntax(full.to_string()))?;
            let mut sub = toml_edit::Item::Value(slot.clone());
            set_path(&mut sub, segs, depth + 1, value, full)?;
            if let toml_edit::Item::Value(v) = sub {
                *slot = v;
            }
            Ok(())
        }
        toml_edit::Item::Table(t) => set_in_table(t, seg, last, segs, depth, value, full),
        toml_edit::Item::Value(toml_edit::Value::InlineTable(t)) => {
            if last {
                t.insert(seg, value);
                return Ok(());
            }
            let child = t
                .entry(seg)
                .or_insert(toml_edit::Value::InlineTable(Default::default()));
            let mut sub = toml_edit::Item::Value(child.clone());
            set_path(&mut sub, segs, depth + 1, value, full)?;
            if let toml_edit::Item::Value(v) = sub {
                *child = v;
            }
            Ok(())
        }
        other => Err(not_table(other)),
    }
}

fn set_in_table(
    t: &mut toml_edit::Table,
    seg: &str,
    last: bool,
    segs: &[&str],
    depth: usize,
    value: toml_edit::Value,
    full: &str,
) -> Result<(), OverrideError> {
    if last {
        match t.get_mut(seg) {
            Some(toml_edit::Item::Value(v)) => {
                let decor = v.decor().clone();
                *v = value;
                *v.decor_mut() = decor;
            }
            _ => {
                t.insert(seg, toml_edit::Item::Value(value));
            }
        }
        return Ok(());
    }
    if !t.contains_key(seg) {
        let mut sub = toml_edit::Table::new();
        sub.set_implicit(true);
        t.insert(seg, toml_edit::Item::Table(sub));
    }
    let child = t
        .get_mut(seg)
        .ok_or_else(|| OverrideError::Syntax(full.to_string()))?;
    set_path(child, segs, depth + 1, value, full)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_keep_layout_and_set_nested_keys() {
        let src = "name = \"x\"\n[traffic]\nusers = 10 # comment\n[[routes]]\nmodel = \"a/b\"\nshare = 1.0\n";
        let out = apply_overrides(
            src,
            &[
                "traffic.users=20".to_string(),
                "routes.0.model=\"c/d\"".to_string(),
                "budget.monthly_usd=5000".to_string(),
                "traffic.growth={ dist = \"normal\", mean = 0.1, sd = 0.02 }".to_string(),
            ],
        )
        .unwrap();
        let v: toml::Table = toml::from_str(&out).unwrap();
        assert_eq!(v["traffic"]["users"].as_integer(), Some(20));
        assert_eq!(v["routes"][0]["model"].as_str(), Some("c/d"));
        assert_eq!(v["budget"]["monthly_usd"].as_integer(), Some(5000));
        assert_eq!(v["traffic"]["growth"]["sd"].as_float(), Some(0.02));
        assert!(out.starts_with("name = \"x\"\n[traffic]\nusers = 20 # comment\n"));
    }

    #[test]
    fn keys_are_found_with_their_lines() {
        let src = "a = 1\n[traffic]\nmonthly_growth = 0.1\n[[traffic.cohorts]]\nname = \"x\"\n[[traffic.cohorts]]\nsessions_scale = 3\n";
        assert_eq!(line_of_key(src, "traffic.monthly_growth"), Some(3));
        assert_eq!(
            line_of_key(src, "traffic.cohorts[1].sessions_scale"),
            Some(7)
        );
        assert_eq!(line_of_key(src, "traffic.nope"), None);
        assert_eq!(line_of_key(src, "traffic.cohorts[5].name"), None);
    }

    #[test]
    fn bare_words_become_strings() {
        let out = apply_overrides("[a]\nb = 1\n", &["a.b=8000 to 30000".to_string()]).unwrap();
        let v: toml::Table = toml::from_str(&out).unwrap();
        assert_eq!(v["a"]["b"].as_str(), Some("8000 to 30000"));
    }

    #[test]
    fn bad_overrides_are_explained() {
        let e = apply_overrides("a = 1\n", &["a.b=2".to_string()]).unwrap_err();
        assert!(e.to_string().contains("`a` is a integer"), "{e}");
        let e = apply_overrides("a = 1\n", &["nonsense".to_string()]).unwrap_err();
        assert!(e.to_string().contains("key.path=value"));
        let e = apply_overrides("[[r]]\nx=1\n", &["r.3.x=2".to_string()]).unwrap_err();
        assert!(e.to_string().contains("has 1 entries"), "{e}");
    }

    #[test]
    fn unknown_field_messages_get_suggestions() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct S {
            trials: u32,
            seed: u64,
        }
        let src = "trials = 5\nsed = 3\n";
        let err = toml::from_str::<S>(src).unwrap_err();
        let p = describe(&err, src);
        assert_eq!(p.line, Some(2));
        assert!(p.message.contains("did you mean `seed`"), "{}", p.message);
    }
}
