//! The expression function `index_of`.

use super::common::*;

pub struct IndexOf;

impl Function for IndexOf {
    const INFO: FuncInfo = FuncInfo {
        name: "index_of",
        aliases: &["indexof"],
        min_args: 2,
        max_args: 2,
        signature: "index_of(s: string, part: string) -> integer",
        doc: "0-based character position of `part` in `s`, or -1.",
        examples: &[
            ("index_of('abc', 'c')", "2"),
            ("index_of('abc', 'x')", "-1"),
        ],
    };

    const ARGS: &'static [&'static [Type]] = &[STR, STR];

    fn result_type(_args: &[Type]) -> Type {
        Type::Integer
    }

    fn eval<'a, A: Args<'a>>(args: &A) -> EResult<Value<'a>> {
        two_texts(args, Self::INFO.name, |s, p| {
            int_value(s.find(p).map_or(-1, |i| s[..i].chars().count() as i64))
        })
    }
}
