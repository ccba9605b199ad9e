//! The expression function `parse_date`.

use super::common::*;

pub struct ParseDate;

impl Function for ParseDate {
    const INFO: FuncInfo = FuncInfo {
        name: "parse_date",
        aliases: &[],
        min_args: 1,
        max_args: 2,
        signature: "parse_date(s: string, pattern: string = 'YYYY-MM-DD') -> date",
        doc: "Parses a date with the tokens of `format_date`. A string that does not match is a \
            per-record error (R0003).",
        examples: &[
            ("parse_date('22.11.2026', 'DD.MM.YYYY')", "\"2026-11-22\""),
            ("parse_date('2026-01-31')", "\"2026-01-31\""),
        ],
    };

    const ARGS: &'static [&'static [Type]] = &[STR, STR];

    fn result_type(_args: &[Type]) -> Type {
        Type::Date
    }

    fn check(call: &Call<'_>, diags: &mut Diagnostics) {
        date_pattern(call, true, diags);
    }

    fn eval<'a, A: Args<'a>>(args: &A) -> EResult<Value<'a>> {
        args.values(|v| {
            let name = Self::INFO.name;
            let Some(s) = text_arg(arg(v, 0), name)? else {
                return Ok(Value::Null);
            };
            let pattern = if v.len() > 1 {
                text_arg(arg(v, 1), name)?
            } else {
                Some(Cow::Borrowed("YYYY-MM-DD"))
            };
            let Some(p) = pattern else {
                return Ok(Value::Null);
            };
            parse_date_pattern(&s, &p).map(Value::Date).ok_or_else(|| {
                let why = pattern_ymd(&s, &p).and_then(|(y, m, d)| {
                    let (m, d) = (u32::try_from(m).ok()?, u32::try_from(d).ok()?);
                    mapc_value::dates::day_problem(i64::from(y), m, d)
                });
                let message = match why {
                    Some(why) => format!("\"{}\" is not a date: {why}", clip(&s)),
                    None => format!("\"{}\" does not match the date pattern '{p}'", clip(&s)),
                };
                EvalError::new(Code::R0003, message)
            })
        })
    }
}

/// Parses `s` against a pattern of `format_date` tokens (fixed widths);
/// every other pattern character must match literally.
pub fn parse_date_pattern(s: &str, pattern: &str) -> Option<Date> {
    let (y, m, d) = pattern_ymd(s, pattern)?;
    Date::new(
        i16::try_from(y).ok()?,
        i8::try_from(m).ok()?,
        i8::try_from(d).ok()?,
    )
    .ok()
}

/// The year, month and day `s` gives when it matches `pattern` (which must
/// have `YYYY`, `MM` and `DD`), whether or not they make a day.
fn pattern_ymd(s: &str, pattern: &str) -> Option<(i32, i32, i32)> {
    let (mut y, mut m, mut d) = (None, None, None);
    let mut rest = pattern;
    let mut src = s;
    while !rest.is_empty() {
        let tok = DATE_TOKENS.iter().find(|t| rest.starts_with(**t));
        match tok {
            Some(&t) => {
                let w = if t == "YYYY" { 4 } else { 2 };
                let digits = src.get(..w)?;
                if !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let v: i32 = digits.parse().ok()?;
                match t {
                    "YYYY" => y = Some(v),
                    "MM" => m = Some(v),
                    "DD" => d = Some(v),
                    _ => {}
                }
                src = &src[w..];
                rest = &rest[t.len()..];
            }
            None => {
                let c = rest.chars().next()?;
                src = src.strip_prefix(c)?;
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    if !src.is_empty() {
        return None;
    }
    Some((y?, m?, d?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_format_and_parse() {
        let dt = DateLike::Date(Date::constant(2026, 1, 5));
        assert_eq!(
            super::super::format_date::format_date(dt, "DD.MM.YYYY HH:mm"),
            "05.01.2026 00:00"
        );
        assert_eq!(
            parse_date_pattern("05.01.2026", "DD.MM.YYYY"),
            Some(Date::constant(2026, 1, 5))
        );
        assert_eq!(parse_date_pattern("5.01.2026", "DD.MM.YYYY"), None);
        assert_eq!(parse_date_pattern("31.02.2026", "DD.MM.YYYY"), None);
        assert_eq!(parse_date_pattern("2026-01-05x", "YYYY-MM-DD"), None);
    }
}
