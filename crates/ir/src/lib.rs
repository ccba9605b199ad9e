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
