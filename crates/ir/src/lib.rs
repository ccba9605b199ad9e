//! The typed intermediate representation of a spec.
//!
//! The IR is the single source of truth that `check`, `preview`, `test` and
//! `run` use: names are resolved, expressions are typed, defaults are filled
//! in and locked product fields are made explicit, so nothing downstream
//! re-reads YAML or re-derives a default.

pub mod dates;
pub mod expr;
pub mod funcs;
pub mod lower;
pub mod program;
pub mod types;

pub use expr::*;
pub use funcs::{Func, FuncInfo, FUNCS};
pub use lower::{lower, Lowered, SchemaInfo};
pub use program::*;
pub use types::Type;

// The value forms a program carries, for the engine, which sits on the IR and
// not on the spec reader: numbers and dates are read by the one reader the
// spec's literals use (so a record value and a literal can never disagree),
// and CSV delimiters are named as the spec names them. Re-exported here so
// the dependency stays one-way (syntax <- ir <- engine) with one
// implementation of each (`dates` re-exports the syntax reader and adds the
// jiff date it makes, which only the IR and the engine hold).
/// How long a field path may be (the engine keeps CSV headers within it).
pub use mapc_syntax::limits::MAX_PATH_SEGMENTS;
pub use mapc_syntax::number;

/// CSV delimiters as the spec names them (`csv: {delimiter: ...}`).
pub mod csv {
    pub use mapc_syntax::spec::{delimiter_byte, CSV_DELIMITERS};
}
