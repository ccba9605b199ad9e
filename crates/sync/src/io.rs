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
