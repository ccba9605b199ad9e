//! Operands as operators and functions read them: a number, a whole number,
//! a text, a date or a condition out of whatever value a record gave, with
//! the per-record error (R0002, R0003, R0010) when it is none.

use crate::number::{parse_decimal, NumError};
use crate::{parse_date_like, write_text_shortest, DateLike, EResult, EvalError, Value};
use mapc_diag::Code;
use rust_decimal::Decimal;
use std::borrow::Cow;

/// The hint for a text that is not a date.
pub const DATE_HELP: &str =
    "send dates as YYYY-MM-DD (or RFC 3339 date-times); read other formats with `parse_date(x, 'DD.MM.YYYY')`";

/// A number operand: numbers as they are, numeric strings parsed exactly,
/// null -> `None`, anything else R0010. `what` is the operator or function
/// that needs it, as the user wrote it; empty for a comparison.
pub fn num_arg(v: &Value, what: &str) -> EResult<Option<Decimal>> {
    let needs = |found: String| {
        if what.is_empty() {
            format!("{found} cannot be compared with a number")
        } else {
            format!("`{what}` needs a number, found {found}")
        }
    };
    match v {
        Value::Num(d) => Ok(Some(*d)),
        v if v.is_null() => Ok(None),
        Value::Str(s) => match parse_decimal(s.trim().as_bytes(), true) {
            Ok(d) => Ok(Some(d)),
            Err(NumError::Range) => Err(EvalError::new(
                Code::R0002,
                format!("the number \"{}\" does not fit an exact decimal", clip(s)),
            )),
            Err(NumError::Syntax) => Err(EvalError::new(
                Code::R0010,
                needs(format!("the string \"{}\"", clip(s))),
            )),
        },
        v => Err(EvalError::new(
            Code::R0010,
            needs(v.kind_name().to_string()),
        )),
    }
}

/// A whole-number operand (`round`'s places, `substring`'s positions).
pub fn int_arg(v: &Value, what: &str) -> EResult<Option<i64>> {
    match num_arg(v, what)? {
        None => Ok(None),
        // The common case (a literal like the `2` of `round(x, 2)`).
        Some(d) if d.scale() == 0 => i64::try_from(d.mantissa())
            .map(Some)
            .map_err(|_| EvalError::new(Code::R0010, format!("`{what}`: {d} is out of range"))),
        Some(d) if d.is_integer() => {
            let n = d.trunc().mantissa();
            let n = n / 10i128.pow(d.trunc().scale());
            i64::try_from(n)
                .map(Some)
                .map_err(|_| EvalError::new(Code::R0010, format!("`{what}`: {d} is out of range")))
        }
        Some(d) => Err(EvalError::new(
            Code::R0010,
            format!("`{what}` needs a whole number, found {d}"),
        )),
    }
}

/// A date operand: dates, date-times, or strings that parse as one (R0003
/// otherwise); null -> `None`. `what` is the function that needs it, as the
/// user wrote it; empty for a comparison or a date-typed field.
pub fn date_arg(v: &Value, what: &str) -> EResult<Option<DateLike>> {
    match v {
        Value::Date(d) => Ok(Some(DateLike::Date(*d))),
        Value::DateTime(t) => Ok(Some(DateLike::DateTime(*t))),
        v if v.is_null() => Ok(None),
        Value::Str(s) => parse_date_like(s).map(Some).ok_or_else(|| {
            let base = match crate::dates::date_part_problem(s) {
                Some(why) => format!("\"{}\" is not a date: {why}", clip(s)),
                None => format!(
                    "\"{}\" is not a date (YYYY-MM-DD) or date-time (RFC 3339)",
                    clip(s)
                ),
            };
            let message = if what.is_empty() {
                base
            } else {
                format!("`{what}` needs a date: {base}")
            };
            EvalError::new(Code::R0003, message).help(DATE_HELP)
        }),
        v => Err(EvalError::new(
            Code::R0010,
            if what.is_empty() {
                format!("{} is not a date", v.kind_name())
            } else {
                format!("`{what}` needs a date, found {}", v.kind_name())
            },
        )),
    }
}

/// A text operand: strings as they are, other scalars in their text form
/// (numbers shortest, dates ISO); null -> `None`; lists/objects R0010.
pub fn text_arg<'v>(v: &'v Value<'_>, what: &str) -> EResult<Option<Cow<'v, str>>> {
    match v {
        Value::Str(s) => Ok(Some(Cow::Borrowed(s.as_ref()))),
        v if v.is_null() => Ok(None),
        Value::List(_) | Value::Obj(_) => Err(EvalError::new(
            Code::R0010,
            format!("`{what}` needs a string, found {}", v.kind_name()),
        )),
        other => {
            let mut out = Vec::new();
            write_text_shortest(other, &mut out);
            Ok(Some(Cow::Owned(String::from_utf8(out).unwrap_or_default())))
        }
    }
}

/// A condition: true only for `true`; null (unknown) counts as false.
pub fn condition(v: &Value) -> EResult<bool> {
    match v {
        Value::Bool(b) => Ok(*b),
        v if v.is_null() => Ok(false),
        v => Err(EvalError::new(
            Code::R0010,
            format!("a condition must be a boolean, found {}", v.kind_name()),
        )),
    }
}

/// A text as a message quotes it: at most 40 characters.
pub fn clip(s: &str) -> String {
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s.to_string()
    }
}
