//! Arithmetic that never rounds silently.
//!
//! `rust_decimal` rounds a result that needs more than 28 decimal places or
//! more than 96 bits of mantissa. mapc does not: `+`, `-`, `*` and `/` give
//! the exact result or fail, so `round(a * b, 2)` rounds once, the exact
//! product, instead of a product already rounded to 28 places (where
//! 0.004999...95 would become 0.005 and then 0.01).
//!
//! - The exact result keeps the scale the operation gives (`45.10 * 2` is
//!   `90.20`); only trailing zeros that do not fit are dropped, which does
//!   not change the value.
//! - A result whose value does not fit 96 bits as a whole number is
//!   [`Inexact::Overflow`] (R0011); one that would need a non-zero digit
//!   beyond 28 places, or more than 96 bits of significant digits, is
//!   [`Inexact::Digits`] (R0022). A quotient that never terminates (`1 / 3`)
//!   is R0022 too.
//! - [`round_quotient`] rounds the exact quotient `x / y` to `places` in one
//!   step: `round(a / b, 2)` is how a division whose quotient does not
//!   terminate is written.
//!
//! The fast path is `rust_decimal`'s own operation, accepted when its result
//! provably was not rounded (its scale is the exact one); only the rare rest
//! is recomputed with big integers.

use crate::EvalError;
use mapc_diag::Code;
use num_bigint::BigUint;
use rust_decimal::Decimal;

/// Why an exact result could not be given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inexact {
    /// The magnitude is beyond what a decimal holds (about 7.9e28).
    Overflow,
    /// The value would need more digits than a decimal holds.
    Digits,
}

/// R0011 for a result too large, R0022 for one that would have to be
/// rounded; `what` is the operation (`1 / 3`), `division` whether it is a
/// quotient (whose help says how to round it where it is computed).
pub fn inexact(e: Inexact, what: &str, division: bool) -> EvalError {
    match e {
        Inexact::Overflow => EvalError::new(Code::R0011, format!("arithmetic overflow in {what}")),
        Inexact::Digits if division => EvalError::new(
            Code::R0022,
            format!("the quotient {what} does not end within 28 decimal places; mapc does not round it silently"),
        )
        .help("round the quotient where it is computed, e.g. `round(a / b, 2)`: that rounds the exact quotient once"),
        Inexact::Digits => EvalError::new(
            Code::R0022,
            format!("the exact result of {what} needs more digits than a decimal holds (28 places, 28-29 significant digits); mapc does not round it silently"),
        )
        .help("round an operand to the places that matter first, e.g. `round(a, 10) * b`"),
    }
}

/// R0011: `x` divided (`name`: `/` or `%`) by zero.
pub fn div_by_zero(x: Decimal, name: &str) -> EvalError {
    EvalError::new(Code::R0011, format!("division by zero ({x} {name} 0)")).help(format!(
        "guard the divisor, e.g. `if(d == 0, null, n {name} d)`"
    ))
}

const MAX_SCALE: u32 = 28;

fn max_mantissa() -> BigUint {
    BigUint::from(crate::number::MAX_MANTISSA)
}

fn pow10(n: u32) -> BigUint {
    BigUint::from(10u32).pow(n)
}

fn mag(d: &Decimal) -> BigUint {
    BigUint::from(d.mantissa().unsigned_abs())
}

/// `±m / 10^scale` as a decimal with as much of `scale` as fits: trailing
/// zeros are dropped only as far as needed.
fn to_decimal(neg: bool, mut m: BigUint, mut scale: u32) -> Result<Decimal, Inexact> {
    let max = max_mantissa();
    let ten = BigUint::from(10u32);
    while (scale > MAX_SCALE || m > max) && scale > 0 && (&m % &ten) == BigUint::ZERO {
        m /= &ten;
        scale -= 1;
    }
    if scale > MAX_SCALE {
        return Err(Inexact::Digits);
    }
    if m > max {
        // Too large as a whole number, or just too many digits?
        let whole = &m / pow10(scale);
        return Err(if whole > max {
            Inexact::Overflow
        } else {
            Inexact::Digits
        });
    }
    let v = u128::try_from(&m).map_err(|_| Inexact::Overflow)?;
    let mut d =
        Decimal::try_from_i128_with_scale(v as i128, scale).map_err(|_| Inexact::Overflow)?;
    d.set_sign_negative(neg && v != 0);
    Ok(d)
}

/// `x + y`, exactly.
pub fn add(x: Decimal, y: Decimal) -> Result<Decimal, Inexact> {
    let s = x.scale().max(y.scale());
    if let Some(r) = x.checked_add(y) {
        if r.scale() == s {
            return Ok(r);
        }
    }
    let a = mag(&x) * pow10(s - x.scale());
    let b = mag(&y) * pow10(s - y.scale());
    let (xn, yn) = (x.is_sign_negative(), y.is_sign_negative());
    if xn == yn {
        return to_decimal(xn, a + b, s);
    }
    // Different signs: the larger magnitude decides the sign.
    if a >= b {
        to_decimal(xn, a - b, s)
    } else {
        to_decimal(yn, b - a, s)
    }
}

/// `x - y`, exactly.
pub fn sub(x: Decimal, y: Decimal) -> Result<Decimal, Inexact> {
    add(x, -y)
}

/// `x * y`, exactly.
pub fn mul(x: Decimal, y: Decimal) -> Result<Decimal, Inexact> {
    let s = x.scale() + y.scale();
    if let Some(r) = x.checked_mul(y) {
        if r.scale() == s {
            return Ok(r);
        }
    }
    let neg = x.is_sign_negative() != y.is_sign_negative();
    to_decimal(neg, mag(&x) * mag(&y), s)
}

/// `x / y` (`y` not zero), exactly: `Digits` when the quotient does not
/// terminate within 28 places.
pub fn div(x: Decimal, y: Decimal) -> Result<Decimal, Inexact> {
    match x.checked_div(y) {
        // Exact when the quotient times the divisor gives back the dividend.
        Some(q) if mul(q, y).is_ok_and(|p| p == x) => {
            // The scale decimal arithmetic prefers (IEEE 754): the
            // dividend's minus the divisor's, or more when the quotient
            // needs it: 45.10 / 2 = 22.55, 10.00 / 2 = 5.00, 10 / 4 = 2.5.
            let preferred = x.scale().saturating_sub(y.scale());
            let q = q.normalize();
            if q.scale() >= preferred {
                return Ok(q);
            }
            // Append zeros while they fit (they do unless the quotient is huge).
            let (mut m, mut scale) = (q.mantissa().unsigned_abs(), q.scale());
            while scale < preferred && m * 10 <= crate::number::MAX_MANTISSA {
                m *= 10;
                scale += 1;
            }
            let mut r = Decimal::from_i128_with_scale(m as i128, scale);
            r.set_sign_negative(q.is_sign_negative() && m != 0);
            Ok(r)
        }
        Some(_) => Err(Inexact::Digits),
        None => match quotient(x, y, 0) {
            Some(q) if q.whole > max_mantissa() => Err(Inexact::Overflow),
            _ => Err(Inexact::Digits),
        },
    }
}

/// `|x / y| * 10^places`, truncated, with what was cut off.
struct Quotient {
    whole: BigUint,
    /// The remainder was zero: the quotient is exact at these places.
    exact: bool,
    /// Twice the remainder compared with the divisor: below, at or above
    /// the midpoint between `whole` and `whole + 1`.
    half: std::cmp::Ordering,
    /// The sign of the quotient.
    neg: bool,
}

fn quotient(x: Decimal, y: Decimal, places: i64) -> Option<Quotient> {
    if y.is_zero() {
        return None;
    }
    // |x| / |y| * 10^p = mx * 10^(sy + p) / (my * 10^sx)
    let e = i64::from(y.scale()) + places - i64::from(x.scale());
    let (mut num, mut den) = (mag(&x), mag(&y));
    let shift = u32::try_from(e.unsigned_abs()).ok()?;
    if e >= 0 {
        num *= pow10(shift);
    } else {
        den *= pow10(shift);
    }
    let whole = &num / &den;
    let rem = num - &whole * &den;
    Some(Quotient {
        exact: rem == BigUint::ZERO,
        half: (rem * 2u32).cmp(&den),
        whole,
        neg: x.is_sign_negative() != y.is_sign_negative() && !x.is_zero(),
    })
}

/// The rounding modes of `round` (see `mapc_ir::funcs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    HalfAwayFromZero,
    HalfEven,
    /// Ties towards +infinity.
    HalfUp,
    /// Ties towards -infinity.
    HalfDown,
    Up,
    Down,
    Floor,
    Ceiling,
}

impl Mode {
    pub fn parse(s: &str) -> Option<Mode> {
        Some(match s {
            "half_away_from_zero" => Mode::HalfAwayFromZero,
            "half_even" => Mode::HalfEven,
            "half_up" => Mode::HalfUp,
            "half_down" => Mode::HalfDown,
            "up" => Mode::Up,
            "down" => Mode::Down,
            "floor" => Mode::Floor,
            "ceiling" => Mode::Ceiling,
            _ => return None,
        })
    }
}

/// `round(x / y, places, mode)` of the exact quotient, in one step. `y`
/// must not be zero. The result has exactly `places` decimals (none for
/// negative places); more than 28 places is `Digits`.
pub fn round_quotient(x: Decimal, y: Decimal, places: i64, mode: Mode) -> Result<Decimal, Inexact> {
    use std::cmp::Ordering::*;
    if places > i64::from(MAX_SCALE) {
        return Err(Inexact::Digits);
    }
    // Beyond -29 places every quotient that fits rounds to zero anyway.
    let p = places.max(-(i64::from(MAX_SCALE) + 1));
    let Some(Quotient {
        mut whole,
        exact,
        half,
        neg,
    }) = quotient(x, y, p)
    else {
        return Err(Inexact::Digits);
    };
    let away = !exact
        && match mode {
            Mode::Down => false,
            Mode::Up => true,
            Mode::Floor => neg,
            Mode::Ceiling => !neg,
            Mode::HalfAwayFromZero => half != Less,
            Mode::HalfEven => half == Greater || (half == Equal && whole.bit(0)),
            Mode::HalfUp => half == Greater || (half == Equal && !neg),
            Mode::HalfDown => half == Greater || (half == Equal && neg),
        };
    if away {
        whole += 1u32;
    }
    if p >= 0 {
        to_decimal_fixed(neg, whole, p as u32)
    } else {
        to_decimal_fixed(neg, whole * pow10(p.unsigned_abs() as u32), 0)
    }
}

/// `±m / 10^scale` with exactly that scale, or `Overflow`.
fn to_decimal_fixed(neg: bool, m: BigUint, scale: u32) -> Result<Decimal, Inexact> {
    if m > max_mantissa() {
        return Err(Inexact::Overflow);
    }
    let v = u128::try_from(&m).map_err(|_| Inexact::Overflow)?;
    let mut d =
        Decimal::try_from_i128_with_scale(v as i128, scale).map_err(|_| Inexact::Overflow)?;
    d.set_sign_negative(neg && v != 0);
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        crate::number::parse_decimal(s.as_bytes(), true).unwrap()
    }
    fn t(r: Result<Decimal, Inexact>) -> Result<String, Inexact> {
        r.map(|d| crate::number::decimal_text(&d))
    }

    #[test]
    fn exact_results_keep_their_scale() {
        assert_eq!(t(mul(d("45.10"), d("2"))), Ok("90.20".into()));
        assert_eq!(t(add(d("1.10"), d("2.205"))), Ok("3.305".into()));
        assert_eq!(t(sub(d("1.10"), d("1.10"))), Ok("0.00".into()));
        assert_eq!(t(div(d("1"), d("4"))), Ok("0.25".into()));
        assert_eq!(t(div(d("10"), d("-4"))), Ok("-2.5".into()));
        assert_eq!(t(div(d("45.10"), d("2"))), Ok("22.55".into()));
        assert_eq!(t(div(d("10.00"), d("2"))), Ok("5.00".into()));
        assert_eq!(t(div(d("100"), d("4"))), Ok("25".into()));
        assert_eq!(t(div(d("1"), d("0.01"))), Ok("100".into()));
        assert_eq!(t(div(d("0"), d("3"))), Ok("0".into()));
    }

    #[test]
    fn results_that_would_round_are_refused() {
        // 0.0999...9 (28 places) * 0.05 = 0.004999...95 (30 places).
        assert_eq!(
            mul(d("0.0999999999999999999999999999"), d("0.05")),
            Err(Inexact::Digits)
        );
        assert_eq!(div(d("1"), d("3")), Err(Inexact::Digits));
        assert_eq!(
            add(d("79228162514264337593543950335"), d("1")),
            Err(Inexact::Overflow)
        );
        assert_eq!(
            mul(d("79228162514264337593543950335"), d("10")),
            Err(Inexact::Overflow)
        );
        assert_eq!(
            add(d("10000000000"), d("0.0000000000000000001")),
            Err(Inexact::Digits)
        );
        // Trailing zeros beyond 28 places do not count.
        assert_eq!(
            t(mul(d("0.1000000000000000000000000000"), d("0.50"))),
            Ok("0.0500000000000000000000000000".into())
        );
    }

    #[test]
    fn quotients_round_once() {
        let r = |x: &str, y: &str, p: i64, m: Mode| t(round_quotient(d(x), d(y), p, m));
        use Mode::*;
        assert_eq!(r("2", "3", 2, HalfAwayFromZero), Ok("0.67".into()));
        assert_eq!(r("-2", "3", 2, HalfAwayFromZero), Ok("-0.67".into()));
        assert_eq!(r("1", "8", 2, HalfEven), Ok("0.12".into()));
        assert_eq!(r("3", "8", 2, HalfEven), Ok("0.38".into()));
        assert_eq!(r("1", "8", 2, HalfUp), Ok("0.13".into()));
        assert_eq!(r("-1", "8", 2, HalfUp), Ok("-0.12".into()));
        assert_eq!(r("1", "8", 2, HalfDown), Ok("0.12".into()));
        assert_eq!(r("-1", "8", 2, HalfDown), Ok("-0.13".into()));
        assert_eq!(r("1", "3", 2, Up), Ok("0.34".into()));
        assert_eq!(r("-1", "3", 2, Floor), Ok("-0.34".into()));
        assert_eq!(r("-1", "3", 2, Ceiling), Ok("-0.33".into()));
        assert_eq!(r("7", "2", 0, Down), Ok("3".into()));
        assert_eq!(r("-7", "2", 0, Down), Ok("-3".into()));
        assert_eq!(r("12345", "1", -2, HalfAwayFromZero), Ok("12300".into()));
        assert_eq!(r("1", "4", 2, HalfAwayFromZero), Ok("0.25".into()));
        assert_eq!(r("0", "-4", 2, HalfAwayFromZero), Ok("0.00".into()));
        // Just below the midpoint: a quotient rounded to 28 places first
        // would be exactly 0.005 and round up.
        assert_eq!(
            r("0.0149999999999999999999999999", "3", 2, HalfAwayFromZero),
            Ok("0.00".into())
        );
        assert_eq!(r("1", "3", 29, Down), Err(Inexact::Digits));
        assert_eq!(
            r("79228162514264337593543950335", "0.5", 0, Down),
            Err(Inexact::Overflow)
        );
    }

    /// The fast paths agree with the big-integer computation on random
    /// operands of every size and scale.
    #[test]
    fn fast_paths_agree_with_big_integers() {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut dec = || {
            let bits = next() % 97;
            let m = (u128::from(next()) << 64 | u128::from(next())) >> (128 - bits.max(1));
            let m = m.min(crate::number::MAX_MANTISSA);
            let mut v = Decimal::from_i128_with_scale(m as i128, (next() % 29) as u32);
            v.set_sign_negative(next() % 2 == 0);
            v
        };
        for _ in 0..20_000 {
            let (a, b) = (dec(), dec());
            let s = a.scale().max(b.scale());
            let big_a = mag(&a) * pow10(s - a.scale());
            let big_b = mag(&b) * pow10(s - b.scale());
            let slow_add = match (a.is_sign_negative(), b.is_sign_negative()) {
                (p, q) if p == q => to_decimal(p, big_a + big_b, s),
                (p, _) if big_a >= big_b => to_decimal(p, big_a - big_b, s),
                (_, q) => to_decimal(q, big_b - big_a, s),
            };
            let fast = add(a, b);
            assert_eq!(
                fast.map(|v| (v, v.scale())),
                slow_add.map(|v| (v, v.scale())),
                "{a} + {b}"
            );
            let neg = a.is_sign_negative() != b.is_sign_negative();
            let slow_mul = to_decimal(neg, mag(&a) * mag(&b), a.scale() + b.scale());
            let fast = mul(a, b);
            assert_eq!(
                fast.map(|v| (v, v.scale())),
                slow_mul.map(|v| (v, v.scale())),
                "{a} * {b}"
            );
            if !b.is_zero() {
                match div(a, b) {
                    Ok(q) => assert_eq!(mul(q, b), Ok(a), "{a} / {b}"),
                    Err(Inexact::Digits) => {
                        // Not exact at 28 places, or too many digits.
                        let q = quotient(a, b, 28).unwrap();
                        assert!(!q.exact || q.whole > max_mantissa(), "{a} / {b}");
                    }
                    Err(Inexact::Overflow) => {
                        assert!(
                            quotient(a, b, 0).unwrap().whole > max_mantissa(),
                            "{a} / {b}"
                        )
                    }
                }
            }
        }
    }
}
