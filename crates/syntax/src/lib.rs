//! Spec text -> AST with spans.
//!
//! `yaml` builds a spanned tree, `spec` reads it into the typed AST, and the
//! `expr`/`filter` grammars (in `grammar/`) parse the small languages inside
//! string values.
mod depth;
pub mod expr;
pub mod filter;
pub mod limits;
mod parse_util;
pub mod spec;
pub mod yaml;
