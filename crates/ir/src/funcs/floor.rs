//! The expression function `floor`.

use super::common::*;

pub struct Floor;

impl Function for Floor {
    const INFO: FuncInfo = FuncInfo {
        name: "floor",
        aliases: &[],
        min_args: 1,
        max_args: 1,
        signature: "floor(x: decimal) -> decimal",
        doc: "Largest whole number not above `x`.",
        examples: &[("floor(2.7)", "2"), ("floor(-2.1)", "-3")],
    };

    const ARGS: &'static [&'static [Type]] = &[NUM];

    fn result_type(_args: &[Type]) -> Type {
        Type::Decimal
    }

    fn eval<'a, A: Args<'a>>(args: &A) -> EResult<Value<'a>> {
        number_to_number(args, Self::INFO.name, |x| x.floor())
    }
}
