//! Values as mapc reads, holds and writes them, below every stage that
//! touches a value: exact decimals and their one text reader and writer
//! (`number`), the one `YYYY-MM-DD` reader (`dates`), the runtime [`Value`],
//! and JSON in and out (`json`: the validating scanner, the projecting record
//! parser, the byte-buffer writer).
//!
//! One crate, low in the graph, so the spec reader (literals), the IR
//! (constants), the connectors (file readers, keys) and the engine all read
//! the same text as the same value: a number or a date can never mean one
//! thing in a spec and another in a record.

pub mod dates;
pub mod json;
pub mod number;
mod value;

pub use value::*;
