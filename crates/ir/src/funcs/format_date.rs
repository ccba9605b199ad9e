//! The expression function `format_date`.

use super::common::*;

pub struct FormatDate;

impl Function for FormatDate {
    const INFO: FuncInfo = FuncInfo {
        name: "format_date",
        aliases: &[],
        min_args: 2,
        max_args: 2,
        signature: "format_date(d: date | datetime, pattern: string) -> string",
        doc: "Formats with the tokens YYYY, MM, DD, HH, mm, ss (other characters are copied). \
            Date-times are formatted in UTC.",
        examples: &[
            ("format_date(@2026-11-22, 'DD.MM.YYYY')", "\"22.11.2026\""),
            (
                "format_date(@2026-11-22T08:05:09Z, 'YYYY-MM-DD HH:mm:ss')",
                "\"2026-11-22 08:05:09\"",
            ),
        ],
    };

    const ARGS: &'static [&'static [Type]] = &[DATEISH, STR];

    fn result_type(_args: &[Type]) -> Type {
        Type::String
    }

    fn check(call: &Call<'_>, diags: &mut Diagnostics) {
        date_pattern(call, false, diags);
        time_tokens(call, diags);
    }

    fn eval<'a, A: Args<'a>>(args: &A) -> EResult<Value<'a>> {
        args.values(|v| {
            let name = Self::INFO.name;
            let Some(d) = date_arg(arg(v, 0), name)? else {
                return Ok(Value::Null);
            };
            let Some(p) = text_arg(arg(v, 1), name)? else {
                return Ok(Value::Null);
            };
            Ok(owned(format_date(d, &p)))
        })
    }
}

/// M0506: `HH`, `mm` or `ss` in a `format_date` pattern applied to a date
/// (always `00`), or `mm` (minutes) where the pattern has no month and no
/// hour (`DD.mm.YYYY`): the month was meant.
fn time_tokens(call: &Call<'_>, diags: &mut Diagnostics) {
    let (Some(value), Some(p)) = (call.args.first(), call.args.get(1)) else {
        return;
    };
    let ExprKind::Const(Const::String(pattern)) = &p.kind else {
        return;
    };
    // The tokens as `format_date` reads them, left to right.
    let mut tokens: Vec<(&str, std::ops::Range<usize>)> = Vec::new();
    let mut i = 0;
    while i < pattern.len() {
        let rest = &pattern[i..];
        match DATE_TOKENS.iter().find(|t| rest.starts_with(**t)) {
            Some(t) => {
                tokens.push((t, i..i + t.len()));
                i += t.len();
            }
            None => i += rest.chars().next().map_or(1, char::len_utf8),
        }
    }
    let has = |t: &str| tokens.iter().any(|(x, _)| *x == t);
    let first = |t: &str| tokens.iter().find(|(x, _)| *x == t).map(|(_, r)| r.clone());
    let date_only = value.ty == Type::Date;
    let time: Vec<&(&str, std::ops::Range<usize>)> = tokens
        .iter()
        .filter(|(t, _)| matches!(*t, "HH" | "mm" | "ss"))
        .collect();
    let fixed = |from: &str, to: &str| pattern.replacen(from, to, 1);
    if date_only && !time.is_empty() {
        let (t, r) = time[0];
        let help = if *t == "mm" && !has("MM") {
            format!(
                "did you mean `MM` (the month)? write '{}'",
                fixed("mm", "MM")
            )
        } else {
            "a date has no time of day: leave the time tokens out, or format a date-time"
                .to_string()
        };
        diags.push(
            Diagnostic::new(
                Code::M0506,
                in_literal(p.span, pattern, r.clone()),
                format!("`{t}` in the pattern '{pattern}' formats a time of day, but the value is a date, so it is always `00`"),
            )
            .label("a date has no time")
            .related(value.span, "this is a date")
            .help(help),
        );
        return;
    }
    if let Some(r) = first("mm") {
        if !has("MM") && !has("HH") && (has("YYYY") || has("DD")) {
            diags.push(
                Diagnostic::new(
                    Code::M0506,
                    in_literal(p.span, pattern, r),
                    format!("`mm` in the pattern '{pattern}' is the minutes, and the pattern has no month"),
                )
                .label("minutes, not the month")
                .help(format!(
                    "did you mean `MM` (the month)? write '{}'",
                    fixed("mm", "MM")
                )),
            );
        }
    }
}

/// Formats with the tokens `YYYY MM DD HH mm ss` (UTC for date-times).
pub fn format_date(d: DateLike, pattern: &str) -> String {
    let (date, h, mi, s) = match d {
        DateLike::Date(d) => (d, 0, 0, 0),
        DateLike::DateTime(t) => {
            let z = t.to_zoned(jiff::tz::TimeZone::UTC);
            (z.date(), z.hour(), z.minute(), z.second())
        }
    };
    let mut out = String::new();
    let mut rest = pattern;
    while !rest.is_empty() {
        let tok = [
            ("YYYY", 4),
            ("MM", 2),
            ("DD", 2),
            ("HH", 2),
            ("mm", 2),
            ("ss", 2),
        ]
        .into_iter()
        .find(|(t, _)| rest.starts_with(t));
        match tok {
            Some((t, _)) => {
                let v: i64 = match t {
                    "YYYY" => i64::from(date.year()),
                    "MM" => i64::from(date.month()),
                    "DD" => i64::from(date.day()),
                    "HH" => i64::from(h),
                    "mm" => i64::from(mi),
                    _ => i64::from(s),
                };
                if t == "YYYY" {
                    out.push_str(&format!("{v:04}"));
                } else {
                    out.push_str(&format!("{v:02}"));
                }
                rest = &rest[t.len()..];
            }
            None => {
                let c = rest.chars().next().unwrap_or(' ');
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    out
}
