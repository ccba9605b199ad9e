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

impl From<&mapc_ir::Literal> for Value<'static> {
    fn from(lit: &mapc_ir::Literal) -> Self {
        use mapc_ir::Literal as L;
        match lit {
            L::Null => Value::Null,
            L::Bool(b) => Value::Bool(*b),
            L::Number(n) => Value::Num(*n),
            L::String(s) => Value::Str(Cow::Owned(s.to_string())),
            L::List(items) => Value::List(items.iter().map(Value::from).collect()),
            L::Map(entries) => Value::Obj(
                entries
                    .iter()
                    .map(|(k, v)| (Cow::Owned(k.to_string()), Value::from(v)))
                    .collect(),
            ),
        }
    }
}

// ---------------------------------------------------------------------------
// Exact decimal text
// ---------------------------------------------------------------------------

/// Why a number text could not become a decimal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumError {
    /// Not number syntax at all.
    Syntax,
    /// Valid syntax, but more than 28 significant digits or out of the 96-bit
    /// range (R0002): rounding it would silently change the value.
    Range,
}

const MAX_MANTISSA: u128 = (1u128 << 96) - 1;

/// Parses decimal number text exactly: JSON number syntax
/// (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`), and with `lenient`
/// also a leading `+`, leading zeros and a bare `.5`/`5.` (for `to_decimal`
/// and CSV-ish text). The scale is kept: `45.10` has scale 2.
///
/// A value that cannot be held exactly (more than 96 bits of mantissa, or
/// a scale above 28 after applying the exponent) is `NumError::Range`.
pub fn parse_decimal(text: &[u8], lenient: bool) -> Result<Decimal, NumError> {
    let mut i = 0;
    let n = text.len();
    let mut neg = false;
    if i < n && (text[i] == b'-' || (lenient && text[i] == b'+')) {
        neg = text[i] == b'-';
        i += 1;
    }
    let mut mant: u128 = 0;
    let mut digits = 0usize; // significant digits accumulated (after leading zeros)
    let mut overflow = false;
    let int_start = i;
    while i < n && text[i].is_ascii_digit() {
        push_digit(&mut mant, &mut digits, &mut overflow, text[i]);
        i += 1;
    }
    let int_len = i - int_start;
    if !lenient && (int_len == 0 || (int_len > 1 && text[int_start] == b'0')) {
        return Err(NumError::Syntax);
    }
    let mut scale: i64 = 0;
    let mut frac_len = 0;
    if i < n && text[i] == b'.' {
        i += 1;
        let fs = i;
        while i < n && text[i].is_ascii_digit() {
            push_digit(&mut mant, &mut digits, &mut overflow, text[i]);
            i += 1;
        }
        frac_len = i - fs;
        if frac_len == 0 && !lenient {
            return Err(NumError::Syntax);
        }
        scale = frac_len as i64;
    }
    if int_len == 0 && frac_len == 0 {
        return Err(NumError::Syntax);
    }
    if i < n && (text[i] == b'e' || text[i] == b'E') {
        i += 1;
        let mut eneg = false;
        if i < n && (text[i] == b'+' || text[i] == b'-') {
            eneg = text[i] == b'-';
            i += 1;
        }
        let es = i;
        let mut e: i64 = 0;
        while i < n && text[i].is_ascii_digit() {
            if e < 100_000 {
                e = e * 10 + i64::from(text[i] - b'0');
            }
            i += 1;
        }
        if i == es {
            return Err(NumError::Syntax);
        }
        scale -= if eneg { -e } else { e };
    }
    if i != n {
        return Err(NumError::Syntax);
    }
    if overflow {
        return Err(NumError::Range);
    }
    if scale < 0 {
        // 12e3: multiply the mantissa up; zero stays zero whatever the exponent.
        if mant != 0 {
            for _ in 0..(-scale) {
                mant = mant.checked_mul(10).ok_or(NumError::Range)?;
                if mant > MAX_MANTISSA {
                    return Err(NumError::Range);
                }
            }
        }
        scale = 0;
    }
    if scale > 28 {
        // Trailing zeros beyond 28 places carry no value: 1.000...0 (30 zeros).
        while scale > 28 && mant != 0 && mant.checked_rem(10) == Some(0) {
            mant /= 10;
            scale -= 1;
        }
        if mant == 0 {
            scale = 28;
        }
        if scale > 28 {
            return Err(NumError::Range);
        }
    }
    let signed = if neg { -(mant as i128) } else { mant as i128 };
    Decimal::try_from_i128_with_scale(signed, scale as u32).map_err(|_| NumError::Range)
}

#[inline]
fn push_digit(mant: &mut u128, digits: &mut usize, overflow: &mut bool, b: u8) {
    let d = u128::from(b - b'0');
    if *digits == 0 && d == 0 {
        return; // leading zero
    }
    *digits += 1;
    if *digits > 29 {
        *overflow = true;
        return;
    }
    *mant = *mant * 10 + d;
    if *mant > MAX_MANTISSA {
        *overflow = true;
    }
}

/// Writes a decimal with its scale (`45.10`, `0.00`, `-3`); negative zero is
/// written without the sign. This is the form used in JSON output and by
/// `concat`.
pub fn write_decimal(d: &Decimal, out: &mut Vec<u8>) {
    let m = d.mantissa();
    let scale = d.scale() as usize;
    let abs = m.unsigned_abs();
    // The whole text is built right to left in one stack buffer (at most
    // 29 digits, a leading `0`, the point and the sign) and appended once.
    let mut buf = [0u8; 64];
    let mut pos = buf.len();
    // Digits from the last; the point after `scale` of them; at least one
    // digit before the point.
    macro_rules! digits {
        ($v:expr) => {{
            let mut v = $v;
            let mut k = 0usize;
            loop {
                if k == scale && scale > 0 {
                    pos -= 1;
                    buf[pos] = b'.';
                }
                pos -= 1;
                buf[pos] = b'0' + (v % 10) as u8;
                v /= 10;
                k += 1;
                if v == 0 && k > scale {
                    break;
                }
            }
        }};
    }
    // Most amounts fit 64 bits, where division is far cheaper than on u128.
    match u64::try_from(abs) {
        Ok(v) => digits!(v),
        Err(_) => digits!(abs),
    }
    if m < 0 {
        pos -= 1;
        buf[pos] = b'-';
    }
    out.extend_from_slice(&buf[pos..]);
}

/// The plain text with the scale kept (`45.10`).
pub fn decimal_text(d: &Decimal) -> String {
    let mut v = Vec::with_capacity(24);
    write_decimal(d, &mut v);
    String::from_utf8(v).unwrap_or_default()
}

/// Shortest plain form: no exponent, no trailing zeros, no trailing point
/// (`45.10` -> `45.1`, `100.00` -> `100`, `-0.0` -> `0`).
pub fn write_decimal_shortest(d: &Decimal, out: &mut Vec<u8>) {
    write_decimal(&d.normalize(), out);
}

pub fn decimal_shortest(d: &Decimal) -> String {
    decimal_text(&d.normalize())
}

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

/// Fast exact `YYYY-MM-DD` (the common case; no general parser involved).
pub fn parse_ymd(b: &[u8]) -> Option<Date> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: &[u8]| -> Option<i32> {
        let mut v = 0i32;
        for &c in r {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + i32::from(c - b'0');
        }
        Some(v)
    };
    let y = num(&b[0..4])?;
    let m = num(&b[5..7])?;
    let d = num(&b[8..10])?;
    Date::new(
        i16::try_from(y).ok()?,
        i8::try_from(m).ok()?,
        i8::try_from(d).ok()?,
    )
    .ok()
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

    fn p(s: &str) -> Result<String, NumError> {
        parse_decimal(s.as_bytes(), false).map(|d| decimal_text(&d))
    }

    #[test]
    fn decimal_text_matches_the_scale_and_sign_rules() {
        // The straightforward form write_decimal must agree with.
        fn reference(d: &Decimal) -> String {
            let m = d.mantissa();
            let scale = d.scale() as usize;
            let digits = m.unsigned_abs().to_string();
            let sign = if m < 0 { "-" } else { "" };
            if scale == 0 {
                format!("{sign}{digits}")
            } else if digits.len() > scale {
                let (a, b) = digits.split_at(digits.len() - scale);
                format!("{sign}{a}.{b}")
            } else {
                format!("{sign}0.{}{digits}", "0".repeat(scale - digits.len()))
            }
        }
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut mantissas: Vec<i128> = vec![0, 1, 9, 10, 99, 100, 12345];
        mantissas.push(u64::MAX as i128);
        mantissas.push(u64::MAX as i128 + 1);
        mantissas.push((1i128 << 96) - 1);
        for _ in 0..2000 {
            let bits = next() % 97;
            let hi = u128::from(next()) << 64 | u128::from(next());
            mantissas.push((hi >> (128 - bits.max(1))) as i128);
        }
        for &m in &mantissas {
            for scale in 0..=28u32 {
                for neg in [false, true] {
                    let mut d = Decimal::from_i128_with_scale(m, scale);
                    d.set_sign_negative(neg);
                    let mut out = Vec::new();
                    write_decimal(&d, &mut out);
                    assert_eq!(
                        String::from_utf8(out).unwrap(),
                        reference(&d),
                        "{m} {scale} {neg}"
                    );
                }
            }
        }
    }

    #[test]
    fn parses_exactly_and_keeps_scale() {
        assert_eq!(p("45.10").unwrap(), "45.10");
        assert_eq!(p("100.00").unwrap(), "100.00");
        assert_eq!(p("-1.005").unwrap(), "-1.005");
        assert_eq!(p("0").unwrap(), "0");
        assert_eq!(p("-0").unwrap(), "0");
        assert_eq!(p("0.000").unwrap(), "0.000");
        assert_eq!(p("1e2").unwrap(), "100");
        assert_eq!(p("1.5E-3").unwrap(), "0.0015");
        assert_eq!(
            p("79228162514264337593543950335").unwrap(),
            "79228162514264337593543950335"
        );
        assert_eq!(
            p("0.0000000000000000000000000001").unwrap(),
            "0.0000000000000000000000000001"
        );
    }

    #[test]
    fn rejects_what_does_not_fit() {
        assert_eq!(
            p("1234567890123456789012345678901234567890"),
            Err(NumError::Range)
        );
        assert_eq!(p("79228162514264337593543950336"), Err(NumError::Range));
        assert_eq!(p("1e-40"), Err(NumError::Range));
        assert_eq!(p("1e40"), Err(NumError::Range));
        assert_eq!(p("0.12345678901234567890123456789"), Err(NumError::Range));
        assert_eq!(p("01"), Err(NumError::Syntax));
        assert_eq!(p("1."), Err(NumError::Syntax));
        assert_eq!(p(".5"), Err(NumError::Syntax));
        assert_eq!(p("+1"), Err(NumError::Syntax));
        assert_eq!(p("1e"), Err(NumError::Syntax));
        assert_eq!(p(""), Err(NumError::Syntax));
        assert_eq!(p("0e99999999"), Ok("0".into()));
    }

    #[test]
    fn shortest_form() {
        let d = |s: &str| parse_decimal(s.as_bytes(), false).unwrap();
        assert_eq!(decimal_shortest(&d("45.10")), "45.1");
        assert_eq!(decimal_shortest(&d("100.00")), "100");
        assert_eq!(decimal_shortest(&d("5")), "5");
        assert_eq!(decimal_shortest(&d("-0.0")), "0");
        assert_eq!(decimal_shortest(&d("1e3")), "1000");
    }

    #[test]
    fn lenient_text() {
        let d = |s: &str| parse_decimal(s.as_bytes(), true).map(|d| decimal_text(&d));
        assert_eq!(d("+7").unwrap(), "7");
        assert_eq!(d("007.50").unwrap(), "7.50");
        assert_eq!(d(".5").unwrap(), "0.5");
        assert!(d("abc").is_err());
        assert!(d("").is_err());
        assert!(d("-").is_err());
    }

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
