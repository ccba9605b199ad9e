//! The one decimal-number reader and writer of mapc.
//!
//! Every number mapc handles is an exact `rust_decimal::Decimal` (a 96-bit
//! mantissa and a scale of 0 to 28 decimal places), and every number text
//! becomes one through [`parse_decimal`]: spec constants (`value:`,
//! `default:`, test inputs and expectations), number literals in
//! expressions and `$filter`s, JSON and CSV record values, `to_decimal`
//! and strings meeting numbers. So the same text is the same value,
//! written the same way, wherever it comes from.
//!
//! **The canonical value of a number text** (what [`write_decimal`] then
//! writes, and what JSON output holds):
//! - the digits are kept exactly, including trailing zeros: `45.10` has two
//!   places and is written `45.10`, `100` stays `100`;
//! - an exponent moves the point and is folded into the scale, never kept:
//!   the scale is the number of fraction digits minus the exponent, at
//!   least 0 (`1.5e3` is `1500`, `1.50e1` is `15.0`, `15e-1` is `1.5`,
//!   `1e2` is `100`);
//! - trailing zeros that do not fit (more than 28 places, or a mantissa
//!   beyond 96 bits) are dropped, which never changes the value:
//!   `1.00000000000000000000000000000` (29 zeros) is
//!   `1.0000000000000000000000000000` (28);
//! - a value that cannot be held exactly (a non-zero digit beyond the 28th
//!   place, or more than 96 bits of significant digits) is
//!   [`NumError::Range`], never rounded;
//! - zero has no sign (`-0` is `0`) and keeps its places up to 28 (`0.00`).

use rust_decimal::Decimal;

/// Why a number text could not become a decimal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumError {
    /// Not number syntax at all.
    Syntax,
    /// Valid syntax, but the value cannot be held exactly: a non-zero digit
    /// beyond 28 decimal places, or more significant digits than a 96-bit
    /// mantissa holds (R0002 in records, M0303 in a spec). Rounding it would
    /// silently change the value.
    Range,
}

/// The largest mantissa a decimal holds (2^96 - 1 = 79228162514264337593543950335).
pub const MAX_MANTISSA: u128 = (1u128 << 96) - 1;

/// The most decimal places a decimal holds.
pub const MAX_SCALE: u32 = 28;

/// Significant digits read so far. Up to 28 digits go straight into the
/// mantissa (they cannot overflow it); beyond that, zeros after the last
/// non-zero digit are only counted, so `1` followed by 40 zeros after the
/// point still fits once they are dropped.
#[derive(Default)]
struct Digits {
    mant: u128,
    /// Digits in `mant` from the first non-zero one.
    count: u32,
    /// Zeros after the last non-zero digit, not yet in `mant`.
    zeros: u64,
    overflow: bool,
}

impl Digits {
    #[inline]
    fn push(&mut self, b: u8) {
        let d = u128::from(b - b'0');
        if self.count < 28 {
            // A leading zero carries nothing.
            if self.mant != 0 || d != 0 {
                self.mant = self.mant * 10 + d;
                self.count += 1;
            }
            return;
        }
        self.push_long(d);
    }

    #[inline]
    fn push_long(&mut self, d: u128) {
        if d == 0 {
            self.zeros += 1;
            return;
        }
        if self.overflow {
            return;
        }
        while self.zeros > 0 {
            self.mant *= 10;
            self.zeros -= 1;
            if self.mant > MAX_MANTISSA {
                self.overflow = true;
                return;
            }
        }
        self.mant = self.mant * 10 + d;
        self.count += 1;
        if self.mant > MAX_MANTISSA {
            self.overflow = true;
        }
    }
}

/// Parses decimal number text exactly, following the rules in the module
/// documentation.
///
/// The syntax is JSON's (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`);
/// with `lenient` also a leading `+`, leading zeros and a bare `.5` or `5.`
/// (spec constants, expression and `$filter` literals, `to_decimal`, CSV
/// cells). Nothing else is accepted: no whitespace, no `_`, no `NaN`.
pub fn parse_decimal(text: &[u8], lenient: bool) -> Result<Decimal, NumError> {
    let n = text.len();
    let mut i = 0;
    let mut neg = false;
    if i < n && (text[i] == b'-' || (lenient && text[i] == b'+')) {
        neg = text[i] == b'-';
        i += 1;
    }
    let mut digits = Digits::default();
    let int_start = i;
    while i < n && text[i].is_ascii_digit() {
        digits.push(text[i]);
        i += 1;
    }
    let int_len = i - int_start;
    if !lenient && (int_len == 0 || (int_len > 1 && text[int_start] == b'0')) {
        return Err(NumError::Syntax);
    }
    let mut frac_len = 0usize;
    if i < n && text[i] == b'.' {
        i += 1;
        let fs = i;
        while i < n && text[i].is_ascii_digit() {
            digits.push(text[i]);
            i += 1;
        }
        frac_len = i - fs;
        if frac_len == 0 && !lenient {
            return Err(NumError::Syntax);
        }
    }
    if int_len == 0 && frac_len == 0 {
        return Err(NumError::Syntax);
    }
    let mut exp: i64 = 0;
    if i < n && (text[i] == b'e' || text[i] == b'E') {
        i += 1;
        let mut eneg = false;
        if i < n && (text[i] == b'+' || text[i] == b'-') {
            eneg = text[i] == b'-';
            i += 1;
        }
        let es = i;
        while i < n && text[i].is_ascii_digit() {
            // Far beyond any representable exponent; saturate.
            if exp < 1_000_000 {
                exp = exp * 10 + i64::from(text[i] - b'0');
            }
            i += 1;
        }
        if i == es {
            return Err(NumError::Syntax);
        }
        if eneg {
            exp = -exp;
        }
    }
    if i != n {
        return Err(NumError::Syntax);
    }
    if digits.overflow {
        return Err(NumError::Range);
    }
    // The value is mant * 10^zeros / 10^scale.
    let scale = i64::try_from(frac_len).unwrap_or(i64::MAX / 2) - exp;
    // The common case (no zeros held back, a scale that fits) right here.
    if digits.zeros == 0 && (0..=i64::from(MAX_SCALE)).contains(&scale) {
        return make(neg, digits.mant, scale as u32);
    }
    finish(neg, digits.mant, digits.zeros, scale)
}

/// The largest `p` with `mant * 10^p <= MAX_MANTISSA` (`mant` > 0).
fn room(mant: u128) -> u64 {
    let mut m = mant;
    let mut p = 0;
    while m * 10 <= MAX_MANTISSA {
        m *= 10;
        p += 1;
    }
    p
}

/// `mant * 10^pow` when it is at most [`MAX_MANTISSA`].
#[inline]
fn times_pow10(mant: u128, pow: u64) -> Option<u128> {
    if pow > 28 {
        return None;
    }
    let mut m = mant;
    for _ in 0..pow {
        m *= 10;
        if m > MAX_MANTISSA {
            return None;
        }
    }
    Some(m)
}

/// `±mant * 10^zeros / 10^scale` as a decimal, keeping as many of the
/// trailing zeros as fit (see the module documentation).
#[inline(never)]
fn finish(neg: bool, mant: u128, zeros: u64, scale: i64) -> Result<Decimal, NumError> {
    if mant == 0 {
        let s = scale.clamp(0, i64::from(MAX_SCALE)) as u32;
        return Ok(Decimal::from_i128_with_scale(0, s));
    }
    // The common case: no zeros held back and a scale that fits as it is.
    if zeros == 0 && (0..=i64::from(MAX_SCALE)).contains(&scale) {
        return make(neg, mant, scale as u32);
    }
    // Otherwise count every trailing zero apart from the mantissa.
    let (mut mant, mut zeros) = (mant, zeros);
    while mant % 10 == 0 {
        mant /= 10;
        zeros += 1;
    }
    let max = i64::from(MAX_SCALE);
    // Trailing zeros to drop so that the scale fits.
    let mut drop: u64 = if scale > max { (scale - max) as u64 } else { 0 };
    if drop > zeros {
        return Err(NumError::Range);
    }
    // What `mant` is multiplied by: the zeros kept, and a negative scale.
    let mut pow = zeros - drop + if scale < 0 { scale.unsigned_abs() } else { 0 };
    // Usually it fits as it is (`45.10`, `100`).
    if let Some(m) = times_pow10(mant, pow) {
        let s = if scale > 0 { scale as u64 - drop } else { 0 };
        return make(neg, m, s as u32);
    }
    let r = room(mant);
    if pow > r {
        // More zeros can be dropped only while there are places to drop.
        let limit = if scale > 0 {
            zeros.min(scale as u64)
        } else {
            0
        };
        drop += pow - r;
        if drop > limit {
            return Err(NumError::Range);
        }
        pow = r;
    }
    let mut m = mant;
    for _ in 0..pow {
        m *= 10;
    }
    let s = if scale > 0 { scale as u64 - drop } else { 0 };
    make(neg, m, s as u32)
}

#[inline]
fn make(neg: bool, mant: u128, scale: u32) -> Result<Decimal, NumError> {
    let signed = mant as i128;
    Decimal::try_from_i128_with_scale(if neg { -signed } else { signed }, scale)
        .map_err(|_| NumError::Range)
}

/// Whether `text` is number syntax as a YAML plain scalar writes it (and
/// the spec reads it as a number, not a string): lenient syntax with a
/// digit first (`7`, `-0.5`, `+1.5e3`, `007`, `1.`; not `.5`). Whether the
/// value fits is not asked: [`parse_decimal`] says that.
pub fn is_yaml_number(text: &str) -> bool {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    body.starts_with(|c: char| c.is_ascii_digit())
        && parse_decimal(text.as_bytes(), true) != Err(NumError::Syntax)
}

/// [`parse_decimal`] of a spec or literal text (lenient syntax); `None` for
/// text that is not a number or does not fit exactly.
pub fn parse_literal(text: &str) -> Option<Decimal> {
    parse_decimal(text.as_bytes(), true).ok()
}

/// Writes a decimal with its scale (`45.10`, `0.00`, `-3`, never an
/// exponent); zero is written without a sign. The form of numbers in JSON
/// output and in `concat`.
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

/// The text [`write_decimal`] writes (`45.10`).
pub fn decimal_text(d: &Decimal) -> String {
    let mut v = Vec::with_capacity(24);
    write_decimal(d, &mut v);
    String::from_utf8(v).unwrap_or_default()
}

/// Shortest plain form: no exponent, no trailing zeros, no trailing point
/// (`45.10` -> `45.1`, `100.00` -> `100`, `-0.0` -> `0`): `to_string` and
/// identifiers.
pub fn write_decimal_shortest(d: &Decimal, out: &mut Vec<u8>) {
    write_decimal(&d.normalize(), out);
}

/// The text [`write_decimal_shortest`] writes.
pub fn decimal_shortest(d: &Decimal) -> String {
    decimal_text(&d.normalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<String, NumError> {
        parse_decimal(s.as_bytes(), false).map(|d| decimal_text(&d))
    }
    fn l(s: &str) -> Result<String, NumError> {
        parse_decimal(s.as_bytes(), true).map(|d| decimal_text(&d))
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
        assert_eq!(p("100").unwrap(), "100");
        assert_eq!(p("-1.005").unwrap(), "-1.005");
        assert_eq!(p("0").unwrap(), "0");
        assert_eq!(p("-0").unwrap(), "0");
        assert_eq!(p("0.000").unwrap(), "0.000");
        assert_eq!(p("1.0203").unwrap(), "1.0203");
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
    fn exponents_fold_into_the_scale() {
        assert_eq!(p("1e2").unwrap(), "100");
        assert_eq!(p("1.5e3").unwrap(), "1500");
        assert_eq!(p("1.50e1").unwrap(), "15.0");
        assert_eq!(p("15e-1").unwrap(), "1.5");
        assert_eq!(p("1.5E-3").unwrap(), "0.0015");
        assert_eq!(p("1500e-3").unwrap(), "1.500");
        assert_eq!(p("0e99999999").unwrap(), "0");
        assert_eq!(
            p("7.9228162514264337593543950335e28").unwrap(),
            "79228162514264337593543950335"
        );
    }

    #[test]
    fn trailing_zeros_beyond_28_places_are_dropped_not_refused() {
        // 29 zeros after the point: the value is exactly 1.
        assert_eq!(
            p("1.00000000000000000000000000000").unwrap(),
            "1.0000000000000000000000000000"
        );
        // 40 places, the last 20 zeros.
        assert_eq!(
            p("0.1234567890123456789000000000000000000000").unwrap(),
            "0.1234567890123456789000000000"
        );
        // A mantissa that fits only without some of its zeros.
        assert_eq!(
            p("70000000000000000000000000000.00").unwrap(),
            "70000000000000000000000000000"
        );
        assert_eq!(
            p("7.00000000000000000000000000000e28").unwrap(),
            "70000000000000000000000000000"
        );
        assert_eq!(p("1.000e-30").unwrap_err(), NumError::Range);
        assert_eq!(p("0e-40").unwrap(), "0.0000000000000000000000000000");
    }

    #[test]
    fn refuses_what_does_not_fit() {
        use NumError::Range;
        assert_eq!(p("1234567890123456789012345678901234567890"), Err(Range));
        assert_eq!(p("123456789012345678901234567890"), Err(Range));
        assert_eq!(p("79228162514264337593543950336"), Err(Range));
        assert_eq!(p("80000000000000000000000000000.0"), Err(Range));
        assert_eq!(p("1e-40"), Err(Range));
        assert_eq!(p("1e40"), Err(Range));
        assert_eq!(p("1e999999999999"), Err(Range));
        assert_eq!(p("0.12345678901234567890123456789"), Err(Range));
        assert_eq!(p("0.00000000000000000000000000001"), Err(Range));
    }

    #[test]
    fn json_syntax_is_strict() {
        use NumError::Syntax;
        for bad in [
            "01", "1.", ".5", "+1", "1e", "1e+", "", "-", "1.2.3", " 1", "1 ", "1_000", "NaN",
            "0x10",
        ] {
            assert_eq!(p(bad), Err(Syntax), "{bad:?}");
        }
    }

    #[test]
    fn lenient_syntax() {
        assert_eq!(l("+7").unwrap(), "7");
        assert_eq!(l("007.50").unwrap(), "7.50");
        assert_eq!(l(".5").unwrap(), "0.5");
        assert_eq!(l("5.").unwrap(), "5");
        assert_eq!(l("+1.5e3").unwrap(), "1500");
        for bad in ["abc", "", "-", "+", ".", "1e", " 1", "1,5"] {
            assert!(l(bad).is_err(), "{bad:?}");
        }
    }

    /// The edges every caller (spec literals, records, `to_decimal`) shares.
    #[test]
    fn edges_of_the_shared_reader() {
        use NumError::{Range, Syntax};
        // Signs: one, `+` only when lenient; zero has none.
        assert_eq!(l("-0").unwrap(), "0");
        assert_eq!(l("+0.00").unwrap(), "0.00");
        assert_eq!(p("-0.0e1").unwrap(), "0");
        for bad in ["+-1", "-+1", "--1", "++1", "1-", "1e+-2"] {
            assert_eq!(l(bad), Err(Syntax), "{bad:?}");
        }
        // Only ASCII digits: no other Unicode digit, no full-width digit.
        for bad in ["١٢", "１２", "1٫5", "٣", "1e٢", "²"] {
            assert_eq!(l(bad), Err(Syntax), "{bad:?}");
        }
        // 28 significant digits always fit; 29 fit only below 2^96.
        assert_eq!(
            p("1234567890123456789012345678").unwrap(),
            "1234567890123456789012345678"
        );
        assert_eq!(
            p("79228162514264337593543950335").unwrap(),
            "79228162514264337593543950335"
        );
        assert_eq!(
            p("-79228162514264337593543950335").unwrap(),
            "-79228162514264337593543950335"
        );
        assert_eq!(p("-79228162514264337593543950336"), Err(Range));
        assert_eq!(
            p("0.1234567890123456789012345678").unwrap(),
            "0.1234567890123456789012345678"
        );
        // Exponents: both cases, signed, folded into the scale.
        assert_eq!(l("+2E+2").unwrap(), "200");
        assert_eq!(l("5.e-1").unwrap(), "0.5");
        assert_eq!(p("1e28").unwrap(), format!("1{}", "0".repeat(28)));
        assert_eq!(p("1e29"), Err(Range));
        // Nothing to read.
        assert_eq!(l(""), Err(Syntax));
        assert_eq!(p(""), Err(Syntax));
    }

    #[test]
    fn yaml_number_syntax() {
        for yes in [
            "7",
            "-0.5",
            "+1.5e3",
            "007",
            "1.",
            "1e400",
            "123456789012345678901234567890",
        ] {
            assert!(is_yaml_number(yes), "{yes}");
        }
        for no in [
            ".5", "-.5", "", "-", "1e", "1.2.3", "0x1F", "1_000", " 1", "abc", "1e+",
        ] {
            assert!(!is_yaml_number(no), "{no}");
        }
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

    /// The value agrees with a reference reading of the digits, for random
    /// texts around the limits (digits, zeros, points and exponents).
    #[test]
    fn agrees_with_a_reference_on_random_texts() {
        let mut x: u64 = 0xD1B5_4A32_D192_ED03;
        let mut next = move |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        for _ in 0..20_000 {
            let mut s = String::new();
            let int_digits = 1 + next(32) as usize;
            for k in 0..int_digits {
                let d = if next(3) == 0 { 0 } else { next(10) };
                let d = if k == 0 && int_digits > 1 {
                    d.max(1)
                } else {
                    d
                };
                s.push(char::from(b'0' + d as u8));
            }
            if next(2) == 0 {
                s.push('.');
                for _ in 0..1 + next(36) {
                    let d = if next(2) == 0 { 0 } else { next(10) };
                    s.push(char::from(b'0' + d as u8));
                }
            }
            if next(3) == 0 {
                s.push('e');
                if next(2) == 0 {
                    s.push('-');
                }
                s.push_str(&next(40).to_string());
            }
            let got = parse_decimal(s.as_bytes(), false);
            match reference(&s) {
                Some((digits, scale)) => {
                    let d = got.unwrap_or_else(|e| panic!("{s}: {e:?}"));
                    // Same value: equal after normalizing both.
                    let (rd, rs) = (digits, scale);
                    let n = d.normalize();
                    assert_eq!(
                        (n.mantissa().unsigned_abs().to_string(), n.scale() as i64),
                        (rd, rs),
                        "{s}"
                    );
                }
                None => assert_eq!(got, Err(NumError::Range), "{s}"),
            }
        }
    }

    /// The normalized (digits, scale) of a number text, or `None` when it
    /// does not fit: computed on strings, independently of `parse_decimal`.
    fn reference(s: &str) -> Option<(String, i64)> {
        let (m, e) = match s.split_once('e') {
            Some((m, e)) => (m, e.parse::<i64>().ok()?),
            None => (s, 0),
        };
        let (int, frac) = m.split_once('.').unwrap_or((m, ""));
        let mut digits = format!("{int}{frac}");
        let mut scale = frac.len() as i64 - e;
        let trimmed = digits.trim_start_matches('0').to_string();
        if trimmed.is_empty() {
            return Some(("0".into(), 0));
        }
        digits = trimmed;
        while digits.ends_with('0') {
            digits.pop();
            scale -= 1;
        }
        while scale < 0 {
            digits.push('0');
            scale += 1;
        }
        if scale > 28 {
            return None;
        }
        let v: u128 = if digits.len() > 30 {
            return None;
        } else {
            digits.parse().ok()?
        };
        (v <= MAX_MANTISSA).then_some((digits, scale))
    }
}
