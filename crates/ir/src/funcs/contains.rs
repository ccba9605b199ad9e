//! The expression function `contains`.

use super::common::*;

pub struct Contains;

impl Function for Contains {
    const INFO: FuncInfo = FuncInfo {
        name: "contains",
        aliases: &[],
        min_args: 2,
        max_args: 2,
        signature: "contains(s: string, part: string) -> boolean",
        doc: "True when `part` occurs in `s` (OData `contains`).",
        examples: &[
            ("contains('abc', 'b')", "true"),
            ("contains('abc', 'x')", "false"),
        ],
    };

    const ARGS: &'static [&'static [Type]] = &[STR, STR];

    fn result_type(_args: &[Type]) -> Type {
        Type::Bool
    }

    fn eval<'a, A: Args<'a>>(args: &A) -> EResult<Value<'a>> {
        two_texts(args, Self::INFO.name, |s, p| Value::Bool(s.contains(p)))
    }
}
