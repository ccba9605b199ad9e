//! Spec text -> AST with spans.
pub mod expr;
pub mod yaml;
