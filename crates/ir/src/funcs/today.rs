//! The expression function `today`.

use super::common::*;

pub struct Today;

impl Function for Today {
    const INFO: FuncInfo = FuncInfo {
        name: "today",
        aliases: &[],
        min_args: 0,
        max_args: 0,
        signature: "today() -> date",
        doc: "The as-of date: `--as-of` (or a test's `as_of`), else the run date in UTC. Same as \
            `as_of()`.",
        examples: &[("today()", "\"2026-11-22\"")],
    };

    fn result_type(_args: &[Type]) -> Type {
        Type::Date
    }

    fn eval<'a, A: Args<'a>>(args: &A) -> EResult<Value<'a>> {
        Ok(Value::Date(args.as_of()))
    }
}
