//! The expression function `is_null`.

use super::common::*;

pub struct IsNull;

impl Function for IsNull {
    const INFO: FuncInfo = FuncInfo {
        name: "is_null",
        aliases: &[],
        min_args: 1,
        max_args: 1,
        signature: "is_null(x: any) -> boolean",
        doc: "True when `x` is null or absent. The empty string is not null.",
        examples: &[
            ("is_null(null)", "true"),
            ("is_null('')", "false"),
            ("is_null(0)", "false"),
        ],
    };

    fn result_type(_args: &[Type]) -> Type {
        Type::Bool
    }

    fn eval<'a, A: Args<'a>>(args: &A) -> EResult<Value<'a>> {
        args.values(|v| Ok(Value::Bool(arg(v, 0).is_null())))
    }
}
