//! The expression function `month`.

use super::common::*;

pub struct Month;

impl Function for Month {
    const INFO: FuncInfo = FuncInfo {
        name: "month",
        aliases: &[],
        min_args: 1,
        max_args: 1,
        signature: "month(d: date | datetime) -> integer",
        doc: "The month, 1-12.",
        examples: &[("month(@2026-11-22)", "11")],
    };

    const ARGS: &'static [&'static [Type]] = &[DATEISH];

    fn result_type(_args: &[Type]) -> Type {
        Type::Integer
    }

    fn eval<'a, A: Args<'a>>(args: &A) -> EResult<Value<'a>> {
        day_part(args, Self::INFO.name, |d| i64::from(d.month()))
    }
}
