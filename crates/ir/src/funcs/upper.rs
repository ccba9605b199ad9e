//! The expression function `upper`.

use super::common::*;

pub struct Upper;

impl Function for Upper {
    const INFO: FuncInfo = FuncInfo {
        name: "upper",
        aliases: &["toupper"],
        min_args: 1,
        max_args: 1,
        signature: "upper(s: string) -> string",
        doc: "Upper-cases `s` (Unicode). Null stays null.",
        examples: &[
            ("upper('abc')", "\"ABC\""),
            ("upper('straße')", "\"STRASSE\""),
            ("upper(null)", "null"),
        ],
    };

    const ARGS: &'static [&'static [Type]] = &[STR];

    fn result_type(_args: &[Type]) -> Type {
        Type::String
    }

    fn eval<'a, A: Args<'a>>(args: &A) -> EResult<Value<'a>> {
        text_to_text(args, Self::INFO.name, |s| s.to_uppercase())
    }
}
