//! `mapc run`: pull records from the source, map them with the engine,
//! compare them with what the target holds and what the state remembers,
//! plan, write the difference, and commit the state.

pub mod decide;
pub mod ends;
pub mod fields;
pub mod io;
pub mod probe;
pub mod run;
pub mod tree;
pub mod watermark;
