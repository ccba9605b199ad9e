//! The expression function `ends_with`.

use super::common::*;

pub struct EndsWith;

impl Function for EndsWith {
    const INFO: FuncInfo = FuncInfo {
        name: "ends_with",
        aliases: &["endswith"],
        min_args: 2,
        max_args: 2,
        signature: "ends_with(s: string, suffix: string) -> boolean",
        doc: "OData `endswith`.",
        examples: &[("ends_with('abc', 'bc')", "true")],
    };

    const ARGS: &'static [&'static [Type]] = &[STR, STR];

    fn result_type(_args: &[Type]) -> Type {
        Type::Bool
    }

    fn eval<'a, A: Args<'a>>(args: &A) -> EResult<Value<'a>> {
        two_texts(args, Self::INFO.name, |s, p| Value::Bool(s.ends_with(p)))
    }
}
