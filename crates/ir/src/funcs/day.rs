//! The expression function `day`.

use super::common::*;

pub struct Day;

impl Function for Day {
    const INFO: FuncInfo = FuncInfo {
        name: "day",
        aliases: &[],
        min_args: 1,
        max_args: 1,
        signature: "day(d: date | datetime) -> integer",
        doc: "The day of the month.",
        examples: &[("day(@2026-11-22T23:30:00Z)", "22")],
    };

    const ARGS: &'static [&'static [Type]] = &[DATEISH];

    fn result_type(_args: &[Type]) -> Type {
        Type::Integer
    }

    fn eval<'a, A: Args<'a>>(args: &A) -> EResult<Value<'a>> {
        day_part(args, Self::INFO.name, |d| i64::from(d.day()))
    }
}
