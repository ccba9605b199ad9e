//! The expression function `len`.

use super::common::*;

pub struct Len;

impl Function for Len {
    const INFO: FuncInfo = FuncInfo {
        name: "len",
        aliases: &["length"],
        min_args: 1,
        max_args: 1,
        signature: "len(x: string | list) -> integer",
        doc: "Number of characters of a string, or of items of a list. Null stays null.",
        examples: &[
            ("len('héllo')", "5"),
            ("len([1, 2, 3])", "3"),
            ("len(null)", "null"),
        ],
    };

    fn arg_type(i: usize) -> Option<Cow<'static, [Type]>> {
        (i == 0).then(|| Cow::Owned(vec![Type::String, Type::List(Box::new(Type::Unknown))]))
    }

    fn result_type(_args: &[Type]) -> Type {
        Type::Integer
    }

    fn eval<'a, A: Args<'a>>(args: &A) -> EResult<Value<'a>> {
        args.values(|v| match arg(v, 0) {
            v if v.is_null() => Ok(Value::Null),
            Value::List(items) => Ok(int_value(items.len() as i64)),
            Value::Obj(items) => Ok(int_value(items.len() as i64)),
            v => {
                let s = text_arg(v, Self::INFO.name)?.unwrap_or_default();
                Ok(int_value(s.chars().count() as i64))
            }
        })
    }
}
