//! Connectors for mapc.
//!
//! [`metadata`]: the OData v4 `$metadata` (CSDL) model used by `mapc check --schema-cache`
//! and written by the OData connectors.
//!
//! [`source`]: sources (pages of records in) and the file readers (NDJSON,
//! JSON documents, CSV) that `preview` and `run` read file connections with.
//!
//! [`table`]: targets (batches of writes out, a result per record) and the
//! keyed file table that `mapc run` writes file connections with.

pub mod metadata;
pub mod source;
pub mod table;

use std::path::Path;

/// The file formats of file connections, read by [`source`] and written by
/// [`table`]; chosen by file extension unless given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `.ndjson`, `.jsonl`: one JSON object per line.
    Ndjson,
    /// `.json`: an array of objects (a source streams it; a source also
    /// reads one or more objects, and a saved OData response as the records
    /// of its `value` array).
    Json,
    /// `.csv`: a header row, then one record per row; nested members as
    /// dotted columns. A source reads values as text unless their column has
    /// a type (see [`source::CsvOptions`]).
    Csv,
}

impl Format {
    pub fn from_path(path: &Path) -> Option<Format> {
        Format::from_name(path.extension()?.to_str()?)
    }

    /// `ndjson`/`jsonl`, `json` or `csv` (any case).
    pub fn from_name(name: &str) -> Option<Format> {
        match name.to_ascii_lowercase().as_str() {
            "ndjson" | "jsonl" => Some(Format::Ndjson),
            "json" => Some(Format::Json),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }
}

pub use table::{
    dir_entity_path, key_text, open_file_target, FileTarget, Target, Write, WriteResult,
};
