//! The expression function `lower`.

use super::common::*;

pub struct Lower;

impl Function for Lower {
    const INFO: FuncInfo = FuncInfo {
        name: "lower",
        aliases: &["tolower"],
        min_args: 1,
        max_args: 1,
        signature: "lower(s: string) -> string",
        doc: "Lower-cases `s` (Unicode). Null stays null.",
        examples: &[("lower('ÄBC')", "\"äbc\""), ("lower(null)", "null")],
    };

    const ARGS: &'static [&'static [Type]] = &[STR];

    fn result_type(_args: &[Type]) -> Type {
        Type::String
    }

    fn eval<'a, A: Args<'a>>(args: &A) -> EResult<Value<'a>> {
        text_to_text(args, Self::INFO.name, |s| s.to_lowercase())
    }
}
