//! The expression function `substring`.

use super::common::*;

pub struct Substring;

impl Function for Substring {
    const INFO: FuncInfo = FuncInfo {
        name: "substring",
        aliases: &[],
        min_args: 2,
        max_args: 3,
        signature: "substring(s: string, start: integer, length: integer = rest) -> string",
        doc: "Characters of `s` from 0-based `start`, at most `length` of them. Out-of-range \
            positions give a shorter (or empty) string, never an error.",
        examples: &[
            ("substring('abcdef', 1, 3)", "\"bcd\""),
            ("substring('abc', 1)", "\"bc\""),
            ("substring('héllo', 1, 2)", "\"él\""),
            ("substring('abc', 5)", "\"\""),
        ],
    };

    const ARGS: &'static [&'static [Type]] = &[STR, INT, INT];

    fn result_type(_args: &[Type]) -> Type {
        Type::String
    }

    fn check(call: &Call<'_>, diags: &mut Diagnostics) {
        for (i, what) in [(1, "start"), (2, "length")] {
            let Some(a) = call.args.get(i) else { continue };
            let Some(n) = const_number(a) else { continue };
            if n.fract().is_zero() && n.is_sign_negative() && !n.is_zero() {
                diags.push(out_of_range(
                    a.span,
                    format!("`{}`: the {what} {n} is negative", call.name),
                    "positions count characters from 0, e.g. `substring(name, 0, 3)` is the first three",
                ));
            }
        }
    }

    fn eval<'a, A: Args<'a>>(args: &A) -> EResult<Value<'a>> {
        args.values(|v| {
            let name = Self::INFO.name;
            let Some(s) = text_arg(arg(v, 0), name)? else {
                return Ok(Value::Null);
            };
            let Some(start) = int_arg(arg(v, 1), name)? else {
                return Ok(Value::Null);
            };
            let len = if v.len() > 2 {
                int_arg(arg(v, 2), name)?
            } else {
                None
            };
            if v.len() > 2 && len.is_none() {
                return Ok(Value::Null);
            }
            let start = usize::try_from(start.max(0)).unwrap_or(usize::MAX);
            let it = s.chars().skip(start);
            let out: String = match len {
                Some(l) => it.take(usize::try_from(l.max(0)).unwrap_or(0)).collect(),
                None => it.collect(),
            };
            Ok(owned(out))
        })
    }
}
