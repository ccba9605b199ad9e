//! The expression function `trim`.

use super::common::*;

pub struct Trim;

impl Function for Trim {
    const INFO: FuncInfo = FuncInfo {
        name: "trim",
        aliases: &[],
        min_args: 1,
        max_args: 1,
        signature: "trim(s: string) -> string",
        doc: "Removes leading and trailing whitespace.",
        examples: &[("trim('  a b  ')", "\"a b\""), ("trim(null)", "null")],
    };

    const ARGS: &'static [&'static [Type]] = &[STR];

    fn result_type(_args: &[Type]) -> Type {
        Type::String
    }

    fn eval<'a, A: Args<'a>>(args: &A) -> EResult<Value<'a>> {
        text_to_text(args, Self::INFO.name, |s| s.trim().to_string())
    }
}
