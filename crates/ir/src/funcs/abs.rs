//! The expression function `abs`.

use super::common::*;

pub struct Abs;

impl Function for Abs {
    const INFO: FuncInfo = FuncInfo {
        name: "abs",
        aliases: &[],
        min_args: 1,
        max_args: 1,
        signature: "abs(x: decimal) -> decimal",
        doc: "Absolute value.",
        examples: &[("abs(-2.50)", "2.50")],
    };

    const ARGS: &'static [&'static [Type]] = &[NUM];

    fn result_type(_args: &[Type]) -> Type {
        Type::Decimal
    }

    fn eval<'a, A: Args<'a>>(args: &A) -> EResult<Value<'a>> {
        number_to_number(args, Self::INFO.name, |x| x.abs())
    }
}
