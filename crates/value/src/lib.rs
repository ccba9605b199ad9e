//! Values as mapc reads, holds and writes them, below every stage that
//! touches a value: exact decimals and their one text reader and writer
//! (`number`), arithmetic that never rounds silently (`exact`), the one
//! `YYYY-MM-DD` reader (`dates`), the runtime [`Value`], operands read out of
//! values with the per-record [`EvalError`] when they are not what an
//! operator or function needs (`operand`), and JSON in and out (`json`: the
//! validating scanner, the projecting record parser, the byte-buffer writer).
//!
//! One crate, low in the graph, so the spec reader (literals), the IR
//! (constants), the connectors (file readers, keys) and the engine all read
//! the same text as the same value: a number or a date can never mean one
//! thing in a spec and another in a record.

pub mod dates;
mod error;
pub mod exact;
pub mod json;
pub mod number;
pub mod operand;
mod value;

pub use error::{EResult, EvalError};
pub use value::*;
