//! The mapc engine (work in progress).
pub mod eval;
pub mod exec;
pub mod input;
pub mod json;
pub mod plan;
pub mod run;
pub mod value;

pub use exec::{Scratch, Warning};
pub use plan::{CompileError, Compiled, Options};
pub use run::{Outcome, Position, Rejection, Sink, Summary};
pub use value::Value;
