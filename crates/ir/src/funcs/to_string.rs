//! The expression function `to_string`.

use super::common::*;

pub struct ToString;

impl Function for ToString {
    const INFO: FuncInfo = FuncInfo {
        name: "to_string",
        aliases: &[],
        min_args: 1,
        max_args: 1,
        signature: "to_string(x: any) -> string",
        doc: "Text of a value: numbers in shortest plain decimal form (no exponent, no trailing \
            zeros), dates as YYYY-MM-DD, booleans as true/false. Null stays null.",
        examples: &[
            ("to_string(45.10)", "\"45.1\""),
            ("to_string(100.00)", "\"100\""),
            ("to_string(@2026-11-22)", "\"2026-11-22\""),
            ("to_string(true)", "\"true\""),
        ],
    };

    fn result_type(_args: &[Type]) -> Type {
        Type::String
    }

    fn eval<'a, A: Args<'a>>(args: &A) -> EResult<Value<'a>> {
        args.values(|v| match arg(v, 0) {
            v if v.is_null() => Ok(Value::Null),
            Value::Str(s) => Ok(Value::Str(s.clone())),
            v @ (Value::List(_) | Value::Obj(_)) => {
                Ok(owned(mapc_value::json::write::to_string(v)))
            }
            v => {
                let mut out = Vec::new();
                mapc_value::write_text_shortest(v, &mut out);
                Ok(owned(String::from_utf8(out).unwrap_or_default()))
            }
        })
    }
}
