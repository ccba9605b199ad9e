//! The expression function `if`.

use super::common::*;

pub struct If;

impl Function for If {
    const INFO: FuncInfo = FuncInfo {
        name: "if",
        aliases: &[],
        min_args: 3,
        max_args: 3,
        signature: "if(cond: boolean, then: T, else: T) -> T",
        doc: "`then` when `cond` is true, else `else` (a null condition counts as false).",
        examples: &[
            ("if(1 < 2, 'yes', 'no')", "\"yes\""),
            ("if(null, 'yes', 'no')", "\"no\""),
        ],
    };

    const ARGS: &'static [&'static [Type]] = &[BOOL];

    fn result_type(args: &[Type]) -> Type {
        args.get(1)
            .cloned()
            .unwrap_or(Type::Unknown)
            .join(args.get(2).unwrap_or(&Type::Unknown))
    }

    fn check(call: &Call<'_>, diags: &mut Diagnostics) {
        same_type_branches(call, call.args.get(1..).unwrap_or(&[]), diags);
    }

    /// Lazy: only the branch taken is evaluated.
    fn eval<'a, A: Args<'a>>(args: &A) -> EResult<Value<'a>> {
        if args.len() < 3 {
            return Err(EvalError::new(Code::R0010, "`if` needs 3 arguments"));
        }
        if args.test(0)? {
            args.value(1)
        } else {
            args.value(2)
        }
    }
}
