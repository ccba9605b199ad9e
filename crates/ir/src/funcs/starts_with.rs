//! The expression function `starts_with`.

use super::common::*;

pub struct StartsWith;

impl Function for StartsWith {
    const INFO: FuncInfo = FuncInfo {
        name: "starts_with",
        aliases: &["startswith"],
        min_args: 2,
        max_args: 2,
        signature: "starts_with(s: string, prefix: string) -> boolean",
        doc: "OData `startswith`.",
        examples: &[("starts_with('abc', 'ab')", "true")],
    };

    const ARGS: &'static [&'static [Type]] = &[STR, STR];

    fn result_type(_args: &[Type]) -> Type {
        Type::Bool
    }

    fn eval<'a, A: Args<'a>>(args: &A) -> EResult<Value<'a>> {
        two_texts(args, Self::INFO.name, |s, p| Value::Bool(s.starts_with(p)))
    }
}
