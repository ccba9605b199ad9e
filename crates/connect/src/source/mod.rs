//! Sources: where records come from, behind the [`Source`] trait (pages of
//! records in). The file readers are here: NDJSON, JSON documents (arrays
//! streamed element by element) and CSV, all producing the bytes of one
//! JSON value per record; the engine maps whatever a [`Source`] hands out.
//!
//! Sources hand records out in batches (a block of bytes and the ranges of
//! the records in it) so the reading side copies as little as possible and
//! a batch can travel to another thread whole. Every per-record problem the
//! reader itself finds (a CSV row with the wrong column count, a record over
//! the size limit, a broken array element) is an item with an error, not an
//! I/O error: the stream goes on.

mod csv_source;
mod json_doc;
mod ndjson;

pub use csv_source::{CsvOptions, CsvSource};
pub use json_doc::JsonDocSource;
pub use ndjson::NdjsonSource;

use crate::Format;

use mapc_diag::Code;
use mapc_value::json::parse::RecordError;
use std::io::Read;
use std::ops::Range;
use std::path::Path;

/// One record of a batch.
#[derive(Clone, Debug)]
pub struct Item {
    /// 0-based record number in the input.
    pub index: usize,
    /// 1-based line where the record starts.
    pub line: usize,
    /// 1-based column (in characters) where the record starts on that line.
    pub column: usize,
    /// The record's bytes in [`Batch::data`], or what was wrong with it.
    pub body: Result<Range<usize>, RecordError>,
    /// For a broken record that still has a readable part (a CSV row of the
    /// wrong width): those bytes in [`Batch::data`] as a JSON object, read
    /// only for the record's key, so the report can name the record.
    pub salvage: Option<Range<usize>>,
}

impl Item {
    /// A record at the start of `line`.
    pub fn new(index: usize, line: usize, body: Result<Range<usize>, RecordError>) -> Item {
        Item {
            index,
            line,
            column: 1,
            body,
            salvage: None,
        }
    }
}

/// A block of records.
#[derive(Debug, Default)]
pub struct Batch {
    pub data: Vec<u8>,
    pub items: Vec<Item>,
}

impl Batch {
    /// Gives back the memory a huge record made the batch's bytes grow to
    /// (see [`KEEP_BYTES`]); the batch stays usable. (The item list only
    /// grows with many small records, which every batch of such an input
    /// has again, so it keeps its size.)
    pub fn trim(&mut self) {
        trim(&mut self.data, KEEP_BYTES);
    }
}

/// A stream of records, handed out a page ([`Batch`]) at a time.
pub trait Source: Send {
    /// The input's name (a file path), used in rejections.
    fn name(&self) -> &str;
    /// Replaces `batch` with the next records; `false` when the input is
    /// exhausted (then `batch` is empty). An `Err` is an I/O failure of the
    /// input as a whole (exit 2), never a problem with one record; when
    /// the input itself is refused (a CSV header, an OData response), the
    /// error's inner error is an [`InputError`] with a code.
    fn next_batch(&mut self, batch: &mut Batch) -> std::io::Result<bool>;
    /// What the reader noticed about the input as a whole (a detected CSV
    /// delimiter, an OData response that is one page of more): taken once,
    /// after the records were read.
    fn notes(&mut self) -> Vec<Note> {
        Vec::new()
    }
}

/// A remark about an input as a whole: a coded warning, or (without a
/// code) a note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub code: Option<Code>,
    pub message: String,
}

/// Why an input cannot be read at all, with a runtime code (R0018 a CSV
/// header, R0019 a CSV delimiter, ...): carried inside the
/// `std::io::Error` that [`Source::next_batch`] returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    pub code: Code,
    pub message: String,
    pub help: Option<String>,
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for InputError {}

/// The coded refusal inside an I/O error, when it is one.
pub fn input_error(e: &std::io::Error) -> Option<&InputError> {
    e.get_ref()?.downcast_ref::<InputError>()
}

/// Largest record accepted (bytes of one NDJSON line, array element or CSV
/// row as JSON). Bigger records are R0014; a 10 MB string is fine. The
/// readers refuse a longer record as they read it, and the engine refuses
/// one from any other source (an in-memory record) before it parses it.
pub const MAX_RECORD_BYTES: usize = 64 << 20;

/// About how many bytes a batch holds before it is handed out.
pub const BATCH_BYTES: usize = 1 << 20;

/// The most capacity a reused buffer (a batch's bytes, an output buffer, a
/// reader's carry-over) keeps once it is done with: a huge record grows a
/// buffer as far as it needs, and the buffer gives the memory back after
/// it, so peak memory is a function of the settings, not of the largest
/// record seen so far.
pub const KEEP_BYTES: usize = 4 * BATCH_BYTES;

/// Shrinks `v` to at most `keep_bytes` of capacity (never below its length):
/// the readers' buffers, and the engine's output buffers (with
/// [`KEEP_BYTES`]).
pub fn trim<T>(v: &mut Vec<T>, keep_bytes: usize) {
    let keep = keep_bytes / std::mem::size_of::<T>().max(1);
    if v.capacity() > keep {
        v.shrink_to(keep.max(v.len()));
    }
}

/// The name standard input has in reports.
pub const STDIN_NAME: &str = "<stdin>";

/// Opens a file as a record source, picking the format by its extension.
pub fn open(path: &Path) -> std::io::Result<Box<dyn Source>> {
    open_as(path, None)
}

/// Opens `path` as a record source: `-` is standard input; `format`
/// overrides the file extension (and is required for standard input). A
/// directory, or a file whose format cannot be told, is an
/// `InvalidInput` error whose message says so.
pub fn open_as(path: &Path, format: Option<Format>) -> std::io::Result<Box<dyn Source>> {
    open_with(path, format, &CsvOptions::default())
}

/// [`open_as`], reading a CSV file with `csv` (delimiter, column types,
/// the columns the mapping reads: the engine's `Compiled::csv_options`).
pub fn open_with(
    path: &Path,
    format: Option<Format>,
    csv: &CsvOptions,
) -> std::io::Result<Box<dyn Source>> {
    let invalid = |m: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, m);
    if path.as_os_str() == "-" {
        let format = format.ok_or_else(|| {
            invalid(
                "standard input has no file extension to tell its format from: add --input-format ndjson, json or csv".into(),
            )
        })?;
        return Ok(from_reader_with(
            format,
            STDIN_NAME.to_string(),
            std::io::stdin(),
            csv,
        ));
    }
    if path.is_dir() {
        return Err(invalid(format!(
            "`{}` is a directory; give one file of records (.ndjson/.jsonl, .json or .csv)",
            path.display()
        )));
    }
    let format = match format.or_else(|| Format::from_path(path)) {
        Some(f) => f,
        None => {
            return Err(invalid(format!(
                "cannot tell the format of `{}` from its extension: use .ndjson/.jsonl, .json or .csv, or give --input-format",
                path.display()
            )))
        }
    };
    let file = std::fs::File::open(path)?;
    Ok(from_reader_with(
        format,
        path.display().to_string(),
        file,
        csv,
    ))
}

/// A record source over any reader.
pub fn from_reader<R: Read + Send + 'static>(
    format: Format,
    name: String,
    r: R,
) -> Box<dyn Source> {
    from_reader_with(format, name, r, &CsvOptions::default())
}

/// [`from_reader`] with the options for a CSV input.
pub fn from_reader_with<R: Read + Send + 'static>(
    format: Format,
    name: String,
    r: R,
    csv: &CsvOptions,
) -> Box<dyn Source> {
    match format {
        Format::Ndjson => Box::new(NdjsonSource::new(name, r)),
        Format::Json => Box::new(JsonDocSource::new(name, r)),
        Format::Csv => Box::new(CsvSource::with_options(name, r, csv.clone())),
    }
}

/// In-memory records (one JSON value each), for tests and `mapc test`.
pub struct MemorySource {
    name: String,
    records: Vec<Vec<u8>>,
    done: bool,
}

impl MemorySource {
    pub fn new(name: impl Into<String>, records: Vec<Vec<u8>>) -> MemorySource {
        MemorySource {
            name: name.into(),
            records,
            done: false,
        }
    }
}

impl Source for MemorySource {
    fn name(&self) -> &str {
        &self.name
    }
    fn next_batch(&mut self, batch: &mut Batch) -> std::io::Result<bool> {
        batch.data.clear();
        batch.items.clear();
        if self.done {
            return Ok(false);
        }
        self.done = true;
        for (i, r) in self.records.iter().enumerate() {
            let s = batch.data.len();
            batch.data.extend_from_slice(r);
            batch
                .items
                .push(Item::new(i, i + 1, Ok(s..batch.data.len())));
        }
        Ok(!batch.items.is_empty())
    }
}

/// Appends up to `want` bytes from `r` to `buf` (fewer only at the end of
/// the input); returns how many. `read_to_end` fills spare capacity without
/// zeroing it first, which matters at hundreds of MB/s.
pub(crate) fn read_more<R: Read>(
    r: &mut R,
    buf: &mut Vec<u8>,
    want: usize,
) -> std::io::Result<usize> {
    let len = buf.len();
    buf.reserve(want);
    match r.by_ref().take(want as u64).read_to_end(buf) {
        Ok(n) => Ok(n),
        Err(e) => {
            buf.truncate(len);
            Err(e)
        }
    }
}

pub(crate) fn too_large(len: usize) -> RecordError {
    RecordError::new(
        Code::R0014,
        format!(
            "the record is larger than {} bytes{}",
            MAX_RECORD_BYTES,
            if len > 0 {
                format!(" ({len} bytes read before giving up)")
            } else {
                String::new()
            }
        ),
    )
}

/// An item as the readers' tests look at it: index, line, and the record's
/// text or the error code.
#[cfg(test)]
pub(crate) type ReadItem = (usize, usize, Result<String, Code>);

/// Every item `src` hands out; for the readers' tests.
#[cfg(test)]
pub(crate) fn read_items(src: &mut dyn Source) -> std::io::Result<Vec<ReadItem>> {
    let mut b = Batch::default();
    let mut out = Vec::new();
    while src.next_batch(&mut b)? {
        for it in &b.items {
            out.push((
                it.index,
                it.line,
                it.body
                    .clone()
                    .map(|r| String::from_utf8_lossy(&b.data[r]).into_owned())
                    .map_err(|e| e.code),
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_says_what_is_wrong_with_the_input_path() {
        let dir = std::env::temp_dir();
        let err = match open(&dir) {
            Err(e) => e,
            Ok(_) => panic!("a directory is not an input"),
        };
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("is a directory"), "{err}");
        let err = match open_as(std::path::Path::new("-"), None) {
            Err(e) => e,
            Ok(_) => panic!("standard input needs a format"),
        };
        assert!(err.to_string().contains("--input-format"), "{err}");
        let err = match open(std::path::Path::new("records.txt")) {
            Err(e) => e,
            Ok(_) => panic!("no format"),
        };
        assert!(err.to_string().contains("cannot tell the format"), "{err}");
        assert_eq!(Format::from_name("JSONL"), Some(Format::Ndjson));
        assert_eq!(Format::from_name("xml"), None);
    }
}
