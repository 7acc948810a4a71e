//! Units and their formatting: dollars, tokens and calendar months.
//!
//! Money follows infracost's conventions: headline and diff amounts of $1 or more are whole
//! dollars with thousands separators (`$12,345`), smaller amounts keep two decimals (`$0.42`);
//! charts use a compact form (`$12.3k`). Token quantities are plain counts (`1,234,567`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Tokens per million: prices are quoted in USD per 1,000,000 tokens.
pub const TOKENS_PER_MTOK: f64 = 1_000_000.0;

/// Insert thousands separators into the integer part of a decimal string.
fn group_thousands(int_part: &str) -> String {
    let bytes = int_part.as_bytes();
    let mut out = String::with_capacity(int_part.len() + int_part.len() / 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 && (bytes.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(*b as char);
    }
    out
}

/// Format a number of an input for tables: counts with separators, small values with three
/// significant digits (`12,345`, `0.0812`, `3.5`).
pub fn format_value(x: f64) -> String {
    if !x.is_finite() {
        return "-".into();
    }
    if x.abs() >= 1000.0 {
        return format_count(x);
    }
    if x == 0.0 {
        return "0".into();
    }
    let digits = (3 - (x.abs().log10().floor() as i32) - 1).clamp(0, 6) as usize;
    let s = format!("{x:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// English plural of a noun: call → calls, query → queries.
pub fn plural(noun: &str) -> String {
    match noun.strip_suffix('y') {
        Some(stem) if !stem.ends_with(['a', 'e', 'i', 'o', 'u']) => format!("{stem}ies"),
        _ => format!("{noun}s"),
    }
}

/// A count and its noun, plural unless the count is one: `1 input`, `1,200 models`.
pub fn counted(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{} {}", format_count(n as f64), plural(noun))
    }
}

/// Format a count with thousands separators: `1234567.4` → `1,234,567`.
pub fn format_count(x: f64) -> String {
    if !x.is_finite() {
        return "-".to_string();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    let rounded = format!("{:.0}", x.abs());
    format!("{sign}{}", group_thousands(&rounded))
}

/// Format dollars for people: `$12,345` at $1 or more, `$0.42` below, `$0.0031` below a cent.
pub fn format_usd(x: f64) -> String {
    if !x.is_finite() {
        return "-".to_string();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    let a = x.abs();
    if a >= 1.0 || a == 0.0 {
        format!("{sign}${}", group_thousands(&format!("{a:.0}")))
    } else if a >= 0.01 {
        format!("{sign}${a:.2}")
    } else {
        format!("{sign}${}", trim_zeros(&format!("{a:.6}")))
    }
}

/// Format dollars with exactly two decimals and separators: `$12,345.68` (breakdowns, arithmetic).
pub fn format_usd_cents(x: f64) -> String {
    if !x.is_finite() {
        return "-".to_string();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    let s = format!("{:.2}", x.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
    format!("{sign}${}.{frac}", group_thousands(int))
}

/// Format a signed dollar difference: `+$1,234`, `-$56`, `$0`.
pub fn format_usd_delta(x: f64) -> String {
    if x > 0.0 {
        format!("+{}", format_usd(x))
    } else {
        format_usd(x)
    }
}

/// Compact dollars for chart axes and labels: `$950`, `$12.3k`, `$4.5M`.
pub fn format_usd_compact(x: f64) -> String {
    if !x.is_finite() {
        return "-".to_string();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    let a = x.abs();
    let body = if a >= 1e9 {
        format!("{}B", trim_zeros(&format!("{:.1}", a / 1e9)))
    } else if a >= 1e6 {
        format!("{}M", trim_zeros(&format!("{:.1}", a / 1e6)))
    } else if a >= 1e3 {
        format!("{}k", trim_zeros(&format!("{:.1}", a / 1e3)))
    } else if a >= 1.0 || a == 0.0 {
        format!("{a:.0}")
    } else {
        trim_zeros(&format!("{a:.2}"))
    };
    format!("{sign}${body}")
}

/// Format a probability as a percentage: `0.1234` → `12.3%`.
pub fn format_pct(p: f64) -> String {
    if !p.is_finite() {
        return "-".to_string();
    }
    let v = p * 100.0;
    if v != 0.0 && v.abs() < 0.1 {
        format!("{v:.2}%")
    } else {
        format!("{v:.1}%")
    }
}

/// Format a price in USD per million tokens without losing precision: `0.075`, `2.5`, `10`.
pub fn format_rate(x: f64) -> String {
    trim_zeros(&format!("{x:.6}"))
}

fn trim_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

/// Today's date in UTC (the only clock read in the library; callers may pass a date instead).
pub fn today_utc() -> jiff::civil::Date {
    jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
}

/// A calendar month, `YYYY-MM`. Orders chronologically; serialises as `"2027-01"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    /// Calendar year, e.g. 2027.
    pub year: i32,
    /// Month of the year, 1–12.
    pub month: u8,
}

impl Month {
    /// Build a month; `month` must be 1–12.
    pub fn new(year: i32, month: u8) -> Option<Month> {
        (1..=12).contains(&month).then_some(Month { year, month })
    }

    /// The month `n` months later (or earlier when negative).
    pub fn plus(self, n: i32) -> Month {
        let idx = self.year * 12 + (self.month as i32 - 1) + n;
        Month {
            year: idx.div_euclid(12),
            month: (idx.rem_euclid(12) + 1) as u8,
        }
    }

    /// The first day of the month as `(year, month, day)`, for effective-dated prices.
    pub fn first_day(self) -> jiff::civil::Date {
        jiff::civil::Date::new(self.year as i16, self.month as i8, 1)
            .unwrap_or(jiff::civil::Date::MIN)
    }

    /// Number of days in the month.
    pub fn days(self) -> u32 {
        self.first_day().days_in_month() as u32
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// Why a month string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a month; write it as YYYY-MM, e.g. \"2027-01\"")]
pub struct MonthParseError(pub String);

impl FromStr for Month {
    type Err = MonthParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || MonthParseError(s.to_string());
        let (y, m) = s.trim().split_once('-').ok_or_else(err)?;
        if y.len() != 4 || m.is_empty() || m.len() > 2 {
            return Err(err());
        }
        let year: i32 = y.parse().map_err(|_| err())?;
        let month: u8 = m.parse().map_err(|_| err())?;
        Month::new(year, month).ok_or_else(err)
    }
}

impl Serialize for Month {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Month {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_values_have_three_significant_digits() {
        assert_eq!(format_value(12345.6), "12,346");
        assert_eq!(format_value(0.08123), "0.0812");
        assert_eq!(format_value(3.5), "3.5");
        assert_eq!(format_value(150.0), "150");
    }

    #[test]
    fn counts_take_a_plural_noun_unless_one() {
        assert_eq!(counted(1, "input"), "1 input");
        assert_eq!(counted(0, "provider"), "0 providers");
        assert_eq!(counted(1200, "query"), "1,200 queries");
        assert_eq!(counted(2, "day"), "2 days");
    }

    #[test]
    fn formats_money_like_infracost() {
        assert_eq!(format_usd(12345.4), "$12,345");
        assert_eq!(format_usd(999.5), "$1,000");
        assert_eq!(format_usd(1.0), "$1");
        assert_eq!(format_usd(0.4249), "$0.42");
        assert_eq!(format_usd(0.0031), "$0.0031");
        assert_eq!(format_usd(-1234.0), "-$1,234");
        assert_eq!(format_usd(0.0), "$0");
        assert_eq!(format_usd(f64::NAN), "-");
        assert_eq!(format_usd_cents(1234567.891), "$1,234,567.89");
        assert_eq!(format_usd_delta(561.0), "+$561");
        assert_eq!(format_usd_delta(-561.0), "-$561");
    }

    #[test]
    fn formats_compact_money_for_charts() {
        assert_eq!(format_usd_compact(12_345.0), "$12.3k");
        assert_eq!(format_usd_compact(12_000.0), "$12k");
        assert_eq!(format_usd_compact(950.0), "$950");
        assert_eq!(format_usd_compact(4_500_000.0), "$4.5M");
        assert_eq!(format_usd_compact(0.5), "$0.5");
    }

    #[test]
    fn formats_counts_and_percentages() {
        assert_eq!(format_count(1234567.4), "1,234,567");
        assert_eq!(format_count(12.0), "12");
        assert_eq!(format_pct(0.1234), "12.3%");
        assert_eq!(format_pct(0.0004), "0.04%");
        assert_eq!(format_rate(0.0750), "0.075");
        assert_eq!(format_rate(10.0), "10");
    }

    #[test]
    fn months_parse_add_and_print() {
        let m: Month = "2027-01".parse().unwrap();
        assert_eq!(m.to_string(), "2027-01");
        assert_eq!(m.plus(11).to_string(), "2027-12");
        assert_eq!(m.plus(12).to_string(), "2028-01");
        assert_eq!(m.plus(-1).to_string(), "2026-12");
        assert_eq!(m.days(), 31);
        assert!("2027-13".parse::<Month>().is_err());
        assert!("27-01".parse::<Month>().is_err());
        assert!("2027/01".parse::<Month>().is_err());
    }
}
