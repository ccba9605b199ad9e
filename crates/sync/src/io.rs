//! The connector types `run` works with, in one place.

pub use mapc_engine::input::{Batch, Note, RecordSource as Source};
pub use mapc_engine::json::parse::RecordError;

// TEMPORARY until mapc-connect's Target lands (w-conn): same signatures.
pub enum Write<'a> {
    Create { key: &'a str, record: &'a [u8] },
    Update { key: &'a str, patch: &'a [u8] },
    Delete { key: &'a str },
}
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WriteResult {
    Done,
    Failed { code: &'static str, message: String },
}
pub trait Target: Send {
    fn name(&self) -> &str;
    fn get(&mut self, key: &str) -> std::io::Result<Option<Vec<u8>>>;
    fn keys(&mut self) -> std::io::Result<Vec<String>>;
    fn write(&mut self, writes: &[Write<'_>]) -> std::io::Result<Vec<WriteResult>>;
    fn commit(&mut self) -> std::io::Result<()>;
}

/// Opens a file source (format from the extension).
pub fn open_source(
    path: &std::path::Path,
    csv: &mapc_engine::input::CsvOptions,
) -> std::io::Result<Box<dyn Source>> {
    mapc_engine::input::open_with(path, None, csv)
}

/// TEMPORARY until w-conn's file target lands.
pub fn open_target(path: &std::path::Path, _key: &[&str]) -> std::io::Result<Box<dyn Target>> {
    Err(std::io::Error::other(format!("{}: file targets are not built yet", path.display())))
}
