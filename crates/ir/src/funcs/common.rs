//! What several function files share: the names a function file uses (each
//! starts with `use super::common::*;`), argument type sets, small value
//! builders, helpers of constant-argument checks, and the date patterns of
//! `format_date` and `parse_date`.

pub(super) use super::{Args, Call, FuncInfo, Function, VARIADIC};
pub(super) use crate::lower::{a, const_number, Lang};
pub(super) use crate::{Const, Expr, ExprKind, Type};
pub(super) use jiff::civil::Date;
pub(super) use mapc_diag::{did_you_mean, Code, Diagnostic, Diagnostics, Span};
pub(super) use mapc_value::operand::{clip, date_arg, int_arg, num_arg, text_arg};
pub(super) use mapc_value::{utc_date, DateLike, EResult, EvalError, Value};
pub(super) use rust_decimal::Decimal;
pub(super) use std::borrow::Cow;

pub(super) const NUM: &[Type] = &[Type::Decimal];
pub(super) const INT: &[Type] = &[Type::Integer];
pub(super) const STR: &[Type] = &[Type::String];
pub(super) const DATEISH: &[Type] = &[Type::Date, Type::DateTime];
pub(super) const BOOL: &[Type] = &[Type::Bool];

/// Argument `i` of evaluated arguments (absent past the last).
pub(super) fn arg<'v, 'a>(vals: &'v [Value<'a>], i: usize) -> &'v Value<'a> {
    vals.get(i).unwrap_or(&Value::Absent)
}

pub(super) fn owned<'a>(s: String) -> Value<'a> {
    Value::Str(Cow::Owned(s))
}

pub(super) fn int_value<'a>(n: i64) -> Value<'a> {
    Value::Num(Decimal::from(n))
}

/// `f` of the first argument as a text (`upper`, `trim`, ...); null
/// stays null.
pub(super) fn text_to_text<'a, A: Args<'a>>(
    args: &A,
    name: &str,
    f: impl FnOnce(&str) -> String,
) -> EResult<Value<'a>> {
    args.values(|v| Ok(text_arg(arg(v, 0), name)?.map_or(Value::Null, |s| owned(f(&s)))))
}

/// `f` of the first two arguments as texts (`contains`, `index_of`, ...);
/// null when either is null.
pub(super) fn two_texts<'a, A: Args<'a>>(
    args: &A,
    name: &str,
    f: impl FnOnce(&str, &str) -> Value<'a>,
) -> EResult<Value<'a>> {
    args.values(|v| {
        let (Some(s), Some(p)) = (text_arg(arg(v, 0), name)?, text_arg(arg(v, 1), name)?) else {
            return Ok(Value::Null);
        };
        Ok(f(&s, &p))
    })
}

/// `f` of the first argument's day (a date-time's UTC date; `year`,
/// `month`, `day`); null stays null.
pub(super) fn day_part<'a, A: Args<'a>>(
    args: &A,
    name: &str,
    f: impl FnOnce(Date) -> i64,
) -> EResult<Value<'a>> {
    args.values(|v| {
        Ok(match date_arg(arg(v, 0), name)? {
            Some(DateLike::Date(d)) => int_value(f(d)),
            Some(DateLike::DateTime(t)) => int_value(f(utc_date(t))),
            None => Value::Null,
        })
    })
}

/// `f` of the first argument as a number (`floor`, `abs`, ...); null stays
/// null.
pub(super) fn number_to_number<'a, A: Args<'a>>(
    args: &A,
    name: &str,
    f: impl FnOnce(Decimal) -> Decimal,
) -> EResult<Value<'a>> {
    args.values(|v| Ok(num_arg(arg(v, 0), name)?.map_or(Value::Null, |x| Value::Num(f(x)))))
}

/// M0505: a constant argument out of the range any record could make right.
pub(super) fn out_of_range(span: Span, msg: String, help: &str) -> Diagnostic {
    Diagnostic::new(Code::M0505, span, msg)
        .label("out of range")
        .help(help.to_string())
}

/// The span of bytes `range` of a string literal's content, when the
/// literal is written without escapes (its span is the content and two
/// quotes); else the whole literal.
pub(super) fn in_literal(lit: Span, content: &str, range: std::ops::Range<usize>) -> Span {
    if lit.len() == content.len() + 2 {
        Span::new(lit.start + 1 + range.start, lit.start + 1 + range.end)
    } else {
        lit
    }
}

/// The text of argument `i` when it is a string constant, with its span.
pub(super) fn string_arg<'x>(call: &Call<'x>, i: usize) -> Option<(&'x str, Span)> {
    match call.args.get(i) {
        Some(Expr {
            kind: ExprKind::Const(Const::String(s)),
            span,
            ..
        }) => Some((s, *span)),
        _ => None,
    }
}

/// M0503: `branches` (of `if`, `coalesce`) that do not share a type.
pub(super) fn same_type_branches(call: &Call<'_>, branches: &[Expr], diags: &mut Diagnostics) {
    let Some(first) = branches
        .iter()
        .find(|b| !matches!(b.ty, Type::Unknown | Type::Null))
    else {
        return;
    };
    for b in branches {
        if !b.ty.fits(&first.ty) && !first.ty.fits(&b.ty) {
            diags.push(
                Diagnostic::new(Code::M0503, b.span, format!("`{}` mixes {} and {}", call.name, first.ty, b.ty))
                    .label(format!("this is {}", a(&b.ty.name())))
                    .related(first.span, format!("this is {}", a(&first.ty.name())))
                    .help(match call.lang {
                        Lang::Expr => "every branch must have the same type; convert one with to_string(...) or to_decimal(...)",
                        Lang::Filter => "every branch must have the same type; write each value as a literal of that type",
                    }),
            );
            break;
        }
    }
}

/// M0303: a literal date pattern (argument 2 of `format_date` and
/// `parse_date`) that [`check_date_pattern`] refuses.
pub(super) fn date_pattern(call: &Call<'_>, needs_date: bool, diags: &mut Diagnostics) {
    let Some((pattern, ps)) = string_arg(call, 1) else {
        return;
    };
    if let Err(e) = check_date_pattern(pattern, needs_date) {
        let help = match &e.corrected {
            Some(c) => format!(
                "write '{c}'; the pattern tokens are YYYY, MM, DD, HH, mm and ss (case matters), other characters are copied"
            ),
            None => "the pattern tokens are YYYY, MM, DD, HH, mm and ss (case matters); other characters are copied and cannot be letters".into(),
        };
        diags.push(
            Diagnostic::new(
                Code::M0303,
                ps,
                format!("invalid date pattern '{pattern}': {}", e.message),
            )
            .label("not a valid date pattern")
            .help(help),
        );
    }
}

/// The tokens of `format_date` and `parse_date` patterns.
pub const DATE_TOKENS: &[&str] = &["YYYY", "MM", "DD", "HH", "mm", "ss"];

/// A date pattern that cannot be what its author meant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatternError {
    /// Byte range of the offending letters in the pattern.
    pub at: std::ops::Range<usize>,
    pub message: String,
    /// The pattern with every letter run replaced by the token it most
    /// likely means (`yyyy` -> `YYYY`, `dd` -> `DD`, `MMM` -> `MM`), when
    /// every run has one.
    pub corrected: Option<String>,
}

/// The token a run of `n` letters `c` most likely means (the .NET and Java
/// spellings), if any.
fn date_token_for(c: char, n: usize) -> Option<&'static str> {
    match c {
        'y' | 'Y' => Some("YYYY"),
        'M' => Some("MM"),
        'd' | 'D' => Some("DD"),
        'h' | 'H' => Some("HH"),
        'm' if n <= 2 => Some("mm"),
        's' => Some("ss"),
        _ => None,
    }
}

/// Checks a literal `format_date` / `parse_date` pattern: letters must form
/// the tokens YYYY, MM, DD, HH, mm, ss exactly; other characters (not
/// letters) are copied. A pattern for `parse_date` (`needs_date`) must hold
/// YYYY, MM and DD.
pub fn check_date_pattern(pattern: &str, needs_date: bool) -> Result<(), PatternError> {
    let mut runs = Vec::new();
    let mut it = pattern.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if !c.is_alphabetic() {
            continue;
        }
        let mut end = i + c.len_utf8();
        while let Some(&(j, d)) = it.peek() {
            if d != c {
                break;
            }
            end = j + d.len_utf8();
            it.next();
        }
        runs.push((i..end, c));
    }
    // A single `T` or `Z` is the ISO 8601 separator or UTC mark, copied as is.
    let bad = runs.iter().find(|(r, _)| {
        let run = &pattern[r.clone()];
        !DATE_TOKENS.contains(&run) && run != "T" && run != "Z"
    });
    if let Some((r, c)) = bad {
        let corrected = runs
            .iter()
            .map(|(r, c)| date_token_for(*c, r.len() / c.len_utf8()).map(|t| (r.clone(), t)))
            .collect::<Option<Vec<_>>>()
            .map(|subs| {
                let mut out = String::new();
                let mut last = 0;
                for (r, t) in subs {
                    out.push_str(&pattern[last..r.start]);
                    out.push_str(t);
                    last = r.end;
                }
                out.push_str(&pattern[last..]);
                out
            });
        let run = &pattern[r.clone()];
        let message = match date_token_for(*c, r.len() / c.len_utf8()) {
            Some(t) => format!("`{run}` is not a date pattern token (did you mean `{t}`?)"),
            None => format!("`{run}` is not a date pattern token"),
        };
        return Err(PatternError {
            at: r.clone(),
            message,
            corrected,
        });
    }
    if needs_date {
        let missing: Vec<&str> = ["YYYY", "MM", "DD"]
            .into_iter()
            .filter(|t| !runs.iter().any(|(r, _)| &pattern[r.clone()] == *t))
            .collect();
        if !missing.is_empty() {
            return Err(PatternError {
                at: 0..pattern.len(),
                message: format!(
                    "the pattern has no {}; `parse_date` needs YYYY, MM and DD",
                    missing.join(", ")
                ),
                corrected: None,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod pattern_tests {
    use super::*;

    #[test]
    fn date_patterns() {
        for ok in [
            "YYYY-MM-DD",
            "DD.MM.YYYY",
            "YYYYMMDD",
            "YYYY-MM-DD HH:mm:ss",
            "MM/YYYY",
        ] {
            assert_eq!(check_date_pattern(ok, false), Ok(()), "{ok}");
        }
        let e = check_date_pattern("yyyy-MM-dd", false).unwrap_err();
        assert_eq!(e.at, 0..4);
        assert_eq!(e.corrected.as_deref(), Some("YYYY-MM-DD"));
        let e = check_date_pattern("dd.MM.yyyy", true).unwrap_err();
        assert_eq!(e.corrected.as_deref(), Some("DD.MM.YYYY"));
        let e = check_date_pattern("DD MMM YYYY hh:mm", false).unwrap_err();
        assert_eq!(e.at, 3..6);
        assert_eq!(e.corrected.as_deref(), Some("DD MM YYYY HH:mm"));
        // ISO 8601's `T` and `Z` are literal letters.
        assert_eq!(check_date_pattern("YYYY-MM-DDTHH:mm:ssZ", false), Ok(()));
        // A letter that is no token, without a likely meaning.
        let e = check_date_pattern("YYYY-MM-DD at HH:mm", false).unwrap_err();
        assert_eq!(e.at, 11..12);
        assert_eq!(e.corrected, None);
        let e = check_date_pattern("MM/YYYY", true).unwrap_err();
        assert!(e.message.contains("no DD"), "{}", e.message);
    }
}
