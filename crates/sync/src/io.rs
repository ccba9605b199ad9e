//! The connector types `run` works with, in one place.

pub use mapc_connect::source::{Batch, Note, Source};
pub use mapc_connect::{key_text, open_file_target, Target, Write, WriteResult};
pub use mapc_value::json::parse::RecordError;

/// Opens a file source (format from the extension).
pub fn open_source(
    path: &std::path::Path,
    csv: &mapc_connect::source::CsvOptions,
) -> std::io::Result<Box<dyn Source>> {
    mapc_connect::source::open_with(path, None, csv)
}

/// Opens a file as a keyed table (`key`: the key field's path segments).
pub fn open_target(path: &std::path::Path, key: &[&str]) -> std::io::Result<Box<dyn Target>> {
    Ok(Box::new(open_file_target(path, None, key)?))
}
