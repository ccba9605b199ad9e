//! The expression function `year`.

use super::common::*;

pub struct Year;

impl Function for Year {
    const INFO: FuncInfo = FuncInfo {
        name: "year",
        aliases: &[],
        min_args: 1,
        max_args: 1,
        signature: "year(d: date | datetime) -> integer",
        doc: "The year (UTC for date-times).",
        examples: &[("year(@2026-11-22)", "2026")],
    };

    const ARGS: &'static [&'static [Type]] = &[DATEISH];

    fn result_type(_args: &[Type]) -> Type {
        Type::Integer
    }

    fn eval<'a, A: Args<'a>>(args: &A) -> EResult<Value<'a>> {
        day_part(args, Self::INFO.name, |d| i64::from(d.year()))
    }
}
