//! The function library of the expression language, one file a function.
//!
//! `funcs/<name>.rs` holds everything of one function: its [`FuncInfo`]
//! (name, aliases, arity, signature, documentation and examples), its
//! argument types and result type rule, the checks of its constant
//! arguments, and its evaluation over [`mapc_value::Value`]. Its module
//! declaration and one line of the list below, `Variant => module`,
//! register it: the line makes the [`Func`] variant and dispatches to the
//! unit struct `module::Variant`, which implements [`Function`]. The
//! dispatch is a `match` (no `dyn`), and evaluation is generic over
//! [`Args`], which the engine implements over its compiled expressions, so
//! it is monomorphized into the engine's evaluator.
//!
//! The engine's tests (`crates/engine/tests/funcs.rs`) run every example of
//! every registered function through the parser, lowering and engine, so
//! the documentation cannot drift from the behaviour; a function without
//! an example fails them.
//!
//! # Adding a function
//!
//! 1. Write `funcs/<name>.rs`: `pub struct Name;` and `impl Function for
//!    Name` (copy a function that is alike: `upper.rs` for one text,
//!    `contains.rs` for two, `coalesce.rs` for one that evaluates its
//!    arguments lazily). Helpers shared by several functions are in
//!    `common.rs`.
//! 2. Register it below: `mod name;` and `Name => name,` in the list.

mod common;

use crate::lower::Lang;
use crate::{Expr, Type};
use jiff::civil::Date;
use mapc_diag::Diagnostics;
use mapc_value::{EResult, Value};
use std::borrow::Cow;

pub use common::{check_date_pattern, PatternError, DATE_TOKENS};
pub use round::ROUND_MODES;

/// What a function says of itself, for lookup, arity checks, messages and
/// the documentation.
pub struct FuncInfo {
    pub name: &'static str,
    /// Other accepted spellings (OData names used in `filter:`).
    pub aliases: &'static [&'static str],
    pub min_args: usize,
    /// [`VARIADIC`] for variadic functions.
    pub max_args: usize,
    pub signature: &'static str,
    pub doc: &'static str,
    /// `(expression, expected result as JSON)`, evaluated with as-of date 2026-11-22.
    pub examples: &'static [(&'static str, &'static str)],
}

/// `max_args` of a function that takes any number of arguments.
pub const VARIADIC: usize = usize::MAX;

/// One expression function: what one file `funcs/<name>.rs` implements.
pub trait Function {
    const INFO: FuncInfo;

    /// The types each argument may have, by position (M0503 when it has
    /// none of them); an argument past the list may be anything.
    const ARGS: &'static [&'static [Type]] = &[];

    /// What argument `i` must be, for type checking: [`Function::ARGS`]; a
    /// function whose types cannot be constants (`len`: a list of anything)
    /// says it here instead. `None`: anything.
    fn arg_type(i: usize) -> Option<Cow<'static, [Type]>> {
        Self::ARGS.get(i).map(|t| Cow::Borrowed(*t))
    }

    /// The result type given the argument types (also with the wrong
    /// number of arguments, where missing ones are absent).
    fn result_type(args: &[Type]) -> Type;

    /// Checks beyond the argument types, made when the number of arguments
    /// is right: constants no record can make right (M0303, M0505, M0506),
    /// branches of different types (M0503).
    fn check(_call: &Call<'_>, _diags: &mut Diagnostics) {}

    /// The value of a call, per record. Arguments are evaluated on demand
    /// through `args`: a function that needs all of them takes them with
    /// [`Args::values`] (left to right, so the first error is the leftmost).
    fn eval<'a, A: Args<'a>>(args: &A) -> EResult<Value<'a>>;
}

/// A call as the lowering checks it: what [`Function::check`] sees.
pub struct Call<'x> {
    /// The function's name as written (in a filter, the OData spelling).
    pub name: &'x str,
    pub lang: Lang,
    /// The typed arguments, as many as the signature allows.
    pub args: &'x [Expr],
}

/// The arguments of a call being evaluated: the engine implements it over
/// its compiled expressions, so a function evaluates only what it needs
/// (`if`, `coalesce`).
pub trait Args<'a> {
    /// How many arguments the call has.
    fn len(&self) -> usize;

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Evaluates argument `i` (absent past the last).
    fn value(&self, i: usize) -> EResult<Value<'a>>;

    /// When argument `i` is written as a division `a / b`: its two
    /// operands, evaluated (so `round(a / b, 2)` can round the exact
    /// quotient once).
    fn quotient(&self, i: usize) -> Option<EResult<(Value<'a>, Value<'a>)>>;

    /// The as-of date (`--as-of`, a test's `as_of`, else the run date).
    fn as_of(&self) -> Date;

    /// Argument `i` as a condition: true only for `true`; null counts as false.
    fn test(&self, i: usize) -> EResult<bool> {
        mapc_value::operand::condition(&self.value(i)?)
    }

    /// Evaluates every argument in order, all of them before any is used
    /// (so the first error is the leftmost), and hands them to `f`; up to
    /// four live on the stack, which saves an allocation per call in the
    /// common case.
    #[inline]
    fn values<R>(&self, f: impl FnOnce(&[Value<'a>]) -> EResult<R>) -> EResult<R> {
        let n = self.len();
        if n <= 4 {
            let mut small: [Value<'a>; 4] =
                [Value::Absent, Value::Absent, Value::Absent, Value::Absent];
            for (i, slot) in small.iter_mut().enumerate().take(n) {
                *slot = self.value(i)?;
            }
            f(&small[..n])
        } else {
            let big = (0..n).map(|i| self.value(i)).collect::<EResult<Vec<_>>>()?;
            f(&big)
        }
    }
}

/// Makes [`Func`], [`FUNCS`] and the dispatch from the registration list.
macro_rules! functions {
    ($($variant:ident => $module:ident,)*) => {
        /// An expression function (one of the list in `funcs/mod.rs`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Func {
            $($variant,)*
        }

        /// Every function's [`FuncInfo`], in the order of [`Func`].
        pub const FUNCS: &[FuncInfo] = &[$(<$module::$variant as Function>::INFO,)*];

        impl Func {
            /// Every function, in the order of the list.
            pub const ALL: &'static [Func] = &[$(Func::$variant,)*];

            pub fn info(self) -> &'static FuncInfo {
                &FUNCS[self as usize]
            }

            /// The function a name or alias stands for.
            pub fn named(name: &str) -> Option<Func> {
                Func::ALL
                    .iter()
                    .copied()
                    .find(|f| {
                        let info = f.info();
                        info.name == name || info.aliases.contains(&name)
                    })
            }

            /// See [`Function::arg_type`].
            pub fn arg_type(self, i: usize) -> Option<Cow<'static, [Type]>> {
                match self {
                    $(Func::$variant => <$module::$variant as Function>::arg_type(i),)*
                }
            }

            /// See [`Function::result_type`].
            pub fn result_type(self, args: &[Type]) -> Type {
                match self {
                    $(Func::$variant => <$module::$variant as Function>::result_type(args),)*
                }
            }

            /// See [`Function::check`].
            pub fn check(self, call: &Call<'_>, diags: &mut Diagnostics) {
                match self {
                    $(Func::$variant => <$module::$variant as Function>::check(call, diags),)*
                }
            }

            /// See [`Function::eval`].
            #[inline]
            pub fn eval<'a, A: Args<'a>>(self, args: &A) -> EResult<Value<'a>> {
                match self {
                    $(Func::$variant => <$module::$variant as Function>::eval(args),)*
                }
            }
        }
    };
}

// The registration: a function's module, and its line in the list below,
// `Variant => module` (the module defines `pub struct Variant`). The modules
// are declared here, outside the macro, so that rustfmt formats their files
// (it does not look into macros); the compiler keeps the two in step: a
// module missing from the list leaves its struct unused (a warning), an
// entry without a module does not compile.
mod abs;
mod as_of;
mod ceiling;
mod coalesce;
mod concat;
mod contains;
mod day;
mod ends_with;
mod floor;
mod format_date;
mod r#if;
mod index_of;
mod is_null;
mod len;
mod lower;
mod month;
mod parse_date;
mod round;
mod starts_with;
mod substring;
mod to_decimal;
mod to_string;
mod today;
mod trim;
mod upper;
mod year;

functions! {
    Round => round,
    Concat => concat,
    Coalesce => coalesce,
    IsNull => is_null,
    Upper => upper,
    Lower => lower,
    Trim => trim,
    Substring => substring,
    Len => len,
    If => r#if,
    FormatDate => format_date,
    ParseDate => parse_date,
    Today => today,
    AsOf => as_of,
    ToString => to_string,
    ToDecimal => to_decimal,
    Contains => contains,
    StartsWith => starts_with,
    EndsWith => ends_with,
    IndexOf => index_of,
    Year => year,
    Month => month,
    Day => day,
    Floor => floor,
    Ceiling => ceiling,
    Abs => abs,
}

pub fn lookup(name: &str) -> Option<&'static FuncInfo> {
    Func::named(name).map(Func::info)
}

pub fn info(func: Func) -> &'static FuncInfo {
    func.info()
}
