//! The expression function `as_of`.

use super::common::*;

pub struct AsOf;

impl Function for AsOf {
    const INFO: FuncInfo = FuncInfo {
        name: "as_of",
        aliases: &[],
        min_args: 0,
        max_args: 0,
        signature: "as_of() -> date",
        doc: "The as-of date used for expiry rules.",
        examples: &[
            ("as_of()", "\"2026-11-22\""),
            ("as_of() > @2026-01-01", "true"),
        ],
    };

    fn result_type(_args: &[Type]) -> Type {
        Type::Date
    }

    fn eval<'a, A: Args<'a>>(args: &A) -> EResult<Value<'a>> {
        Ok(Value::Date(args.as_of()))
    }
}
