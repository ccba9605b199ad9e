//! JSON in and out: the validating scanner, the projecting record parser and
//! the byte-buffer writer.
pub mod parse;
pub mod scan;
pub mod write;
