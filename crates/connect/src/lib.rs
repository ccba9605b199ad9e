//! Connectors for mapc.
//!
//! [`metadata`]: the OData v4 `$metadata` (CSDL) model used by `mapc check --schema-cache`
//! and written by the OData connectors.
//!
//! [`table`]: targets (batches of writes, a result per record) and the keyed file
//! table that `mapc run` writes file connections with.

pub mod metadata;
pub mod table;

pub use table::{
    dir_entity_path, key_text, open_file_target, FileTarget, Target, Write, WriteResult,
};
