//! The expression language: grammar in `grammar/expr.pest`.
mod ast;
pub use ast::*;
