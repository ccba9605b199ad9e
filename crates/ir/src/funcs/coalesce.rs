//! The expression function `coalesce`.

use super::common::*;

pub struct Coalesce;

impl Function for Coalesce {
    const INFO: FuncInfo = FuncInfo {
        name: "coalesce",
        aliases: &[],
        min_args: 1,
        max_args: VARIADIC,
        signature: "coalesce(a: T, ...) -> T",
        doc: "The first argument that is not null (absent counts as null; the empty string is not \
            null).",
        examples: &[
            ("coalesce(null, 'x')", "\"x\""),
            ("coalesce('', 'x')", "\"\""),
            ("coalesce(null, null)", "null"),
        ],
    };

    fn result_type(args: &[Type]) -> Type {
        args.iter().fold(Type::Null, |acc, t| acc.join(t))
    }

    fn check(call: &Call<'_>, diags: &mut Diagnostics) {
        same_type_branches(call, call.args, diags);
    }

    /// Lazy: the arguments after the first that is not null are not evaluated.
    fn eval<'a, A: Args<'a>>(args: &A) -> EResult<Value<'a>> {
        for i in 0..args.len() {
            let v = args.value(i)?;
            if !v.is_null() {
                return Ok(v);
            }
        }
        Ok(Value::Null)
    }
}
