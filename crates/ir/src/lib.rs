//! The typed intermediate representation of a spec.
//!
//! The IR is the single source of truth that `check`, `preview`, `test` and
//! `run` use: names are resolved, expressions are typed, defaults are filled
//! in and locked product fields are made explicit, so nothing downstream
//! re-reads YAML or re-derives a default.

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

// Spec facts the engine needs, which sits on the IR and not on the spec
// reader: CSV delimiters named as the spec names them, and the path limit.
// Re-exported here so the dependency stays one-way (syntax <- ir <- engine).
/// How long a field path may be (the engine keeps CSV headers within it).
pub use mapc_syntax::limits::MAX_PATH_SEGMENTS;

/// CSV delimiters as the spec names them (`csv: {delimiter: ...}`).
pub mod csv {
    pub use mapc_syntax::spec::{delimiter_byte, CSV_DELIMITERS};
}
