//! The expression function `concat`.

use super::common::*;

pub struct Concat;

impl Function for Concat {
    const INFO: FuncInfo = FuncInfo {
        name: "concat",
        aliases: &[],
        min_args: 1,
        max_args: VARIADIC,
        signature: "concat(a: any, ...) -> string",
        doc: "Joins the text of every argument; null counts as the empty string. Numbers are \
            written in plain decimal form.",
        examples: &[
            ("concat('a', 'b', 'c')", "\"abc\""),
            ("concat('Ann', ' ', null)", "\"Ann \""),
            ("concat('n=', 45.10)", "\"n=45.10\""),
        ],
    };

    fn result_type(_args: &[Type]) -> Type {
        Type::String
    }

    // `concat` joins scalars; a list or a record fails every record.
    fn check(call: &Call<'_>, diags: &mut Diagnostics) {
        if let Some(x) = call
            .args
            .iter()
            .find(|x| matches!(x.ty, Type::List(_) | Type::Record))
        {
            diags.push(
                Diagnostic::new(
                    Code::M0503,
                    x.span,
                    format!("`{}` joins text, numbers, dates and booleans, not {}", call.name, a(&x.ty.name())),
                )
                .label(format!("this is {}", a(&x.ty.name())))
                .help("join the fields you need one by one, or write the value as JSON text with to_string(...)"),
            );
        }
    }

    fn eval<'a, A: Args<'a>>(args: &A) -> EResult<Value<'a>> {
        args.values(|v| {
            let mut out = Vec::new();
            for v in v {
                if !mapc_value::write_text_plain(v, &mut out) {
                    return Err(EvalError::new(
                        Code::R0010,
                        format!("`concat` cannot join {}", v.kind_name()),
                    ));
                }
            }
            Ok(owned(String::from_utf8(out).unwrap_or_default()))
        })
    }
}
