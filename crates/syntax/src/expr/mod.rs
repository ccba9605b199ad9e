//! The expression language: grammar in `grammar/expr.pest`.
mod ast;
mod parse;
pub use ast::*;
pub use parse::*;
