//! Runtime values.
//!
//! Numbers are exact decimals (`rust_decimal::Decimal`, 96-bit mantissa, up to
//! 28 fraction digits) parsed straight from the JSON number text: nothing on
//! the value path ever goes through binary floating point, so `10.005` rounds
//! to `10.01` and `45.10` is written back as `45.10`.
//!
//! Strings borrow from the input record whenever they contain no escapes
//! (`Cow::Borrowed`), so copying a field costs a pointer, not a copy.
//!
//! `Absent` (the key is not in the record), `Null` and the empty string are
//! three different values: expressions treat `Absent` like `Null` (reads are
//! null-safe), tests can tell them apart, and the empty string is never null.

use jiff::civil::Date;
use jiff::Timestamp;
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::cmp::Ordering;

/// A value read from a record or computed by an expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Value<'a> {
    /// The path is not in the record (or leads through a non-object).
    Absent,
    Null,
    Bool(bool),
    Num(Decimal),
    Str(Cow<'a, str>),
    Date(Date),
    /// UTC-aware instant.
    DateTime(Timestamp),
    List(Vec<Value<'a>>),
    /// Keys in input order (a duplicate key keeps its first position, last value).
    Obj(Vec<(Cow<'a, str>, Value<'a>)>),
}

impl<'a> Value<'a> {
    /// Null or absent.
    #[inline]
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Absent | Value::Null)
    }

    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Absent => "absent",
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Num(_) => "a number",
            Value::Str(_) => "a string",
            Value::Date(_) => "a date",
            Value::DateTime(_) => "a date-time",
            Value::List(_) => "a list",
            Value::Obj(_) => "an object",
        }
    }

    pub fn str(s: &'a str) -> Self {
        Value::Str(Cow::Borrowed(s))
    }

    /// A copy that no longer borrows from the input.
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Value::Absent => Value::Absent,
            Value::Null => Value::Null,
            Value::Bool(b) => Value::Bool(b),
            Value::Num(n) => Value::Num(n),
            Value::Str(s) => Value::Str(Cow::Owned(s.into_owned())),
            Value::Date(d) => Value::Date(d),
            Value::DateTime(t) => Value::DateTime(t),
            Value::List(v) => Value::List(v.into_iter().map(Value::into_owned).collect()),
            Value::Obj(v) => Value::Obj(
                v.into_iter()
                    .map(|(k, v)| (Cow::Owned(k.into_owned()), v.into_owned()))
                    .collect(),
            ),
        }
    }

    /// A cheap view of a long-lived value (constants of the compiled plan):
    /// strings are borrowed instead of cloned.
    pub fn reborrow(&'a self) -> Value<'a> {
        match self {
            Value::Str(s) => Value::Str(Cow::Borrowed(s.as_ref())),
            Value::List(v) => Value::List(v.iter().map(Value::reborrow).collect()),
            Value::Obj(v) => Value::Obj(
                v.iter()
                    .map(|(k, v)| (Cow::Borrowed(k.as_ref()), v.reborrow()))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// The value of `key` in an object (last one wins, like the record parser).
    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        match self {
            Value::Obj(entries) => entries.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------
// Exact decimal text
// ---------------------------------------------------------------------------

// The one reader and writer of number text, shared with the spec compiler
// (`crate::number` documents the canonical form).
pub use crate::number::{
    decimal_shortest, decimal_text, parse_decimal, write_decimal, write_decimal_shortest, NumError,
};

// ---------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------

/// A date or an instant parsed from text.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DateLike {
    Date(Date),
    DateTime(Timestamp),
}

/// Reads `YYYY-MM-DD`, an RFC 3339 date-time with `Z` or an offset, or a
/// date-time without offset (taken as UTC, which is how Dataverse and
/// Business Central write theirs).
pub fn parse_date_like(s: &str) -> Option<DateLike> {
    let b = s.as_bytes();
    if b.len() == 10 {
        return parse_ymd(b).map(DateLike::Date);
    }
    if b.len() < 11 {
        return None;
    }
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Some(DateLike::DateTime(ts));
    }
    let dt = s.parse::<jiff::civil::DateTime>().ok()?;
    dt.to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| DateLike::DateTime(z.timestamp()))
}

/// Exactly `YYYY-MM-DD`, by the one date reader (`crate::dates`), which
/// the spec's date literals and `as_of:` use too.
pub fn parse_ymd(b: &[u8]) -> Option<Date> {
    std::str::from_utf8(b).ok().and_then(crate::dates::date)
}

/// The UTC calendar date of an instant.
pub fn utc_date(ts: Timestamp) -> Date {
    ts.to_zoned(jiff::tz::TimeZone::UTC).date()
}

/// Midnight UTC of a date, for comparing a date with a date-time.
pub fn date_start(d: Date) -> Option<Timestamp> {
    d.to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

/// `YYYY-MM-DD`.
pub fn write_date(d: Date, out: &mut Vec<u8>) {
    let y = d.year();
    if !(0..=9999).contains(&y) {
        out.extend_from_slice(d.to_string().as_bytes());
        return;
    }
    let y = y as u32;
    out.extend_from_slice(&[
        b'0' + (y / 1000) as u8,
        b'0' + (y / 100 % 10) as u8,
        b'0' + (y / 10 % 10) as u8,
        b'0' + (y % 10) as u8,
        b'-',
        b'0' + (d.month() / 10) as u8,
        b'0' + (d.month() % 10) as u8,
        b'-',
        b'0' + (d.day() / 10) as u8,
        b'0' + (d.day() % 10) as u8,
    ]);
}

/// RFC 3339 in UTC with `Z` (fraction only when non-zero).
pub fn write_datetime(t: Timestamp, out: &mut Vec<u8>) {
    out.extend_from_slice(t.to_string().as_bytes());
}

// ---------------------------------------------------------------------------
// Text forms
// ---------------------------------------------------------------------------

/// Appends the text of a scalar as `to_string` defines it: numbers in
/// shortest plain form, dates `YYYY-MM-DD`, date-times RFC 3339 UTC. Null
/// writes nothing. Returns false for lists and objects (no text form).
pub fn write_text_shortest(v: &Value, out: &mut Vec<u8>) -> bool {
    match v {
        Value::Absent | Value::Null => {}
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Num(n) => write_decimal_shortest(n, out),
        Value::Str(s) => out.extend_from_slice(s.as_bytes()),
        Value::Date(d) => write_date(*d, out),
        Value::DateTime(t) => write_datetime(*t, out),
        Value::List(_) | Value::Obj(_) => return false,
    }
    true
}

/// Like [`write_text_shortest`] but numbers keep their scale (`concat`).
pub fn write_text_plain(v: &Value, out: &mut Vec<u8>) -> bool {
    match v {
        Value::Num(n) => {
            write_decimal(n, out);
            true
        }
        other => write_text_shortest(other, out),
    }
}

/// The text of a scalar used as an identifier (company ids and numbers,
/// SKUs, sales codes): strings as they are, numbers in shortest form.
/// `None` for null/absent, lists and objects.
pub fn id_text<'v>(v: &'v Value) -> Option<Cow<'v, str>> {
    match v {
        Value::Str(s) => Some(Cow::Borrowed(s.as_ref())),
        Value::Absent | Value::Null | Value::List(_) | Value::Obj(_) => None,
        other => {
            let mut out = Vec::new();
            write_text_shortest(other, &mut out);
            Some(Cow::Owned(String::from_utf8(out).unwrap_or_default()))
        }
    }
}

/// Ordering used by `order_by`: nulls are handled by the caller; values of
/// the same kind compare naturally (numbers by value, strings by code point,
/// dates chronologically); different kinds order by a fixed kind rank so the
/// sort stays total and deterministic.
pub fn sort_cmp(a: &Value, b: &Value) -> Ordering {
    fn rank(v: &Value) -> u8 {
        match v {
            Value::Bool(_) => 0,
            Value::Num(_) => 1,
            Value::Str(_) => 2,
            Value::Date(_) | Value::DateTime(_) => 3,
            Value::List(_) => 4,
            Value::Obj(_) => 5,
            Value::Absent | Value::Null => 6,
        }
    }
    match (a, b) {
        (Value::Num(x), Value::Num(y)) => x.cmp(y),
        (Value::Str(x), Value::Str(y)) => x.as_ref().cmp(y.as_ref()),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Date(x), Value::Date(y)) => x.cmp(y),
        (Value::DateTime(x), Value::DateTime(y)) => x.cmp(y),
        (Value::Date(x), Value::DateTime(y)) => {
            date_start(*x).map_or(Ordering::Equal, |x| x.cmp(y))
        }
        (Value::DateTime(x), Value::Date(y)) => {
            date_start(*y).map_or(Ordering::Equal, |y| x.cmp(&y))
        }
        _ => rank(a).cmp(&rank(b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(
            parse_date_like("2026-11-22"),
            Some(DateLike::Date(Date::constant(2026, 11, 22)))
        );
        assert!(matches!(
            parse_date_like("2026-11-22T08:05:09Z"),
            Some(DateLike::DateTime(_))
        ));
        assert!(matches!(
            parse_date_like("2026-11-22T08:05:09+01:00"),
            Some(DateLike::DateTime(_))
        ));
        assert!(matches!(
            parse_date_like("2026-11-22T08:05:09"),
            Some(DateLike::DateTime(_))
        ));
        assert_eq!(parse_date_like("2026-02-30"), None);
        assert_eq!(parse_date_like("22.11.2026"), None);
        let mut out = Vec::new();
        write_date(Date::constant(2026, 1, 5), &mut out);
        assert_eq!(out, b"2026-01-05");
    }
}
