//! The expression function `to_decimal`.

use super::common::*;
use mapc_value::number::{parse_decimal, NumError};

pub struct ToDecimal;

impl Function for ToDecimal {
    const INFO: FuncInfo = FuncInfo {
        name: "to_decimal",
        aliases: &[],
        min_args: 1,
        max_args: 1,
        signature: "to_decimal(x: string | decimal) -> decimal",
        doc:
            "Parses decimal text exactly (`.` as the decimal point). Text that is not a number is \
            a per-record error (R0010).",
        examples: &[
            ("to_decimal('12.50')", "12.50"),
            ("to_decimal(' 7 ')", "7"),
            ("to_decimal(null)", "null"),
        ],
    };

    const ARGS: &'static [&'static [Type]] = &[&[Type::String, Type::Decimal]];

    fn result_type(_args: &[Type]) -> Type {
        Type::Decimal
    }

    fn check(call: &Call<'_>, diags: &mut Diagnostics) {
        if let Some((t, span)) = string_arg(call, 0) {
            if mapc_value::number::parse_literal(t.trim()).is_none() {
                diags.push(out_of_range(
                    span,
                    format!(
                        "`{}`: '{t}' is not a number an exact decimal holds",
                        call.name
                    ),
                    "write the number itself, without quotes, e.g. `12.50`",
                ));
            }
        }
    }

    fn eval<'a, A: Args<'a>>(args: &A) -> EResult<Value<'a>> {
        args.values(|v| match arg(v, 0) {
            v if v.is_null() => Ok(Value::Null),
            Value::Num(d) => Ok(Value::Num(*d)),
            Value::Str(s) => match parse_decimal(s.trim().as_bytes(), true) {
                Ok(d) => Ok(Value::Num(d)),
                Err(NumError::Range) => Err(EvalError::new(
                    Code::R0002,
                    format!("\"{}\" does not fit an exact decimal", clip(s)),
                )),
                Err(NumError::Syntax) => Err(EvalError::new(
                    Code::R0010,
                    format!("`to_decimal`: \"{}\" is not a number", clip(s)),
                )),
            },
            v => Err(EvalError::new(
                Code::R0010,
                format!(
                    "`to_decimal` needs a string or number, found {}",
                    v.kind_name()
                ),
            )),
        })
    }
}
