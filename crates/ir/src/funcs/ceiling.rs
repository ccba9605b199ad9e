//! The expression function `ceiling`.

use super::common::*;

pub struct Ceiling;

impl Function for Ceiling {
    const INFO: FuncInfo = FuncInfo {
        name: "ceiling",
        aliases: &["ceil"],
        min_args: 1,
        max_args: 1,
        signature: "ceiling(x: decimal) -> decimal",
        doc: "Smallest whole number not below `x`.",
        examples: &[("ceiling(2.1)", "3")],
    };

    const ARGS: &'static [&'static [Type]] = &[NUM];

    fn result_type(_args: &[Type]) -> Type {
        Type::Decimal
    }

    fn eval<'a, A: Args<'a>>(args: &A) -> EResult<Value<'a>> {
        number_to_number(args, Self::INFO.name, |x| x.ceil())
    }
}
