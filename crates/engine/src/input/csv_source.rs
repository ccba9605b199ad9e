//! CSV: the header row names the keys, every other row is one record whose
//! values are strings. An empty cell is null: CSV has no other way to say
//! "no value", and users expect `default:` and `on_null:` to apply to it
//! (as spreadsheet and Dataverse imports treat blanks).
//!
//! A dotted header (`customer.name`) nests (`{"customer": {"name": ...}}`),
//! so related-record paths work on CSV input as they do on JSON. A header
//! that is both a column and the prefix of another (`customer` and
//! `customer.name`), or a repeated header, makes the file unreadable (exit 2)
//! rather than silently dropping a column.
//!
//! Each row becomes the JSON text of an object and goes through the same
//! record parser as JSON input. A row with a different number of cells than
//! the header is R0006, and so is a row with an unclosed quote (a quoted
//! value that runs to the end of the input, swallowing the rows after it,
//! whatever its width); the report names the record's key when the row has
//! the key column. A cell that is not UTF-8 is R0007.

use super::{too_large, Batch, Item, RecordSource, BATCH_BYTES};
use crate::exec::MAX_RECORD_BYTES;
use crate::json::parse::RecordError;
use crate::json::write::write_str;
use std::io::Read;

/// The header row: column names, and the tree that nests dotted names.
type Headers = (Vec<String>, Vec<(String, HNode)>);

enum HNode {
    Col(usize),
    Obj(Vec<(String, HNode)>),
}

/// Passes the input through while following the CSV quoting state (RFC
/// 4180, as the `csv` reader reads it: a quote opens a quoted value only at
/// the start of a value, `""` inside one is a quote), so that a quote still
/// open at the end of the input can be told from a value with line breaks.
struct QuoteTracker<R> {
    inner: R,
    state: QState,
    /// Bytes read from `inner`.
    total: u64,
    eof: bool,
    /// The last byte read (a final line break ends the last line).
    last: u8,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum QState {
    FieldStart,
    Unquoted,
    Quoted,
    /// A quote inside a quoted value: its end, or the first of `""`.
    QuoteInQuoted,
}

impl<R: Read> Read for QuoteTracker<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.eof = true;
        }
        self.total += n as u64;
        let b = &buf[..n];
        if let Some(&c) = b.last() {
            self.last = c;
        }
        let mut i = 0;
        while i < b.len() {
            // Runs inside a value are skipped with memchr; only the byte
            // after a value's start or a quote decides anything.
            match self.state {
                QState::Quoted => match memchr::memchr(b'"', &b[i..]) {
                    Some(k) => {
                        i += k + 1;
                        self.state = QState::QuoteInQuoted;
                    }
                    None => break,
                },
                QState::Unquoted => match memchr::memchr3(b',', b'\n', b'\r', &b[i..]) {
                    Some(k) => {
                        i += k + 1;
                        self.state = QState::FieldStart;
                    }
                    None => break,
                },
                QState::FieldStart | QState::QuoteInQuoted => {
                    self.state = match b[i] {
                        b'"' if self.state == QState::FieldStart => QState::Quoted,
                        // `""` inside a quoted value: still inside it.
                        b'"' => QState::Quoted,
                        b',' | b'\n' | b'\r' => QState::FieldStart,
                        _ => QState::Unquoted,
                    };
                    i += 1;
                }
            }
        }
        Ok(n)
    }
}

pub struct CsvSource<R: Read> {
    name: String,
    reader: csv::Reader<QuoteTracker<R>>,
    headers: Option<Headers>,
    row: csv::ByteRecord,
    index: usize,
    done: bool,
}

impl<R: Read> CsvSource<R> {
    pub fn new(name: String, r: R) -> Self {
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(QuoteTracker {
                inner: r,
                state: QState::FieldStart,
                total: 0,
                eof: false,
                last: 0,
            });
        CsvSource {
            name,
            reader,
            headers: None,
            row: csv::ByteRecord::new(),
            index: 0,
            done: false,
        }
    }

    fn read_headers(&mut self) -> std::io::Result<bool> {
        let bad = |m: String| std::io::Error::new(std::io::ErrorKind::InvalidData, m);
        if !self
            .reader
            .read_byte_record(&mut self.row)
            .map_err(csv_io)?
        {
            return Ok(false);
        }
        let mut names = Vec::new();
        for (i, cell) in self.row.iter().enumerate() {
            let mut cell = cell;
            if i == 0 {
                cell = cell.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(cell);
            }
            let s = std::str::from_utf8(cell)
                .map_err(|_| bad(format!("CSV header {} is not valid UTF-8", i + 1)))?;
            names.push(s.to_string());
        }
        let mut root: Vec<(String, HNode)> = Vec::new();
        for (col, name) in names.iter().enumerate() {
            let segs: Vec<&str> = name.split('.').collect();
            let segs = if segs.iter().any(|s| s.is_empty()) {
                vec![name.as_str()]
            } else {
                segs
            };
            let mut level = &mut root;
            for (k, seg) in segs.iter().enumerate() {
                let last = k + 1 == segs.len();
                let pos = level.iter().position(|(n, _)| n == seg);
                if last {
                    if pos.is_some() {
                        return Err(bad(format!(
                            "CSV header `{name}` appears twice, or is also the prefix of another header"
                        )));
                    }
                    level.push((seg.to_string(), HNode::Col(col)));
                    break;
                }
                let i = match pos {
                    Some(i) => i,
                    None => {
                        level.push((seg.to_string(), HNode::Obj(Vec::new())));
                        level.len() - 1
                    }
                };
                match &mut level[i].1 {
                    HNode::Obj(v) => level = v,
                    HNode::Col(_) => {
                        return Err(bad(format!(
                        "CSV header `{name}` nests under `{}`, which is also a column of its own",
                        segs[..=k].join(".")
                    )))
                    }
                }
            }
        }
        self.headers = Some((names, root));
        Ok(true)
    }
}

fn csv_io(e: csv::Error) -> std::io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => io,
        other => std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{other:?}")),
    }
}

fn write_obj(
    nodes: &[(String, HNode)],
    row: &csv::ByteRecord,
    out: &mut Vec<u8>,
) -> Result<(), usize> {
    out.push(b'{');
    for (i, (name, node)) in nodes.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(name, out);
        out.push(b':');
        match node {
            HNode::Col(c) => {
                let cell = row.get(*c).unwrap_or(b"");
                let s = std::str::from_utf8(cell).map_err(|_| *c)?;
                if s.is_empty() {
                    out.extend_from_slice(b"null");
                } else {
                    write_str(s, out);
                }
            }
            HNode::Obj(children) => write_obj(children, row, out)?,
        }
    }
    out.push(b'}');
    Ok(())
}

impl<R: Read + Send> RecordSource for CsvSource<R> {
    fn name(&self) -> &str {
        &self.name
    }

    fn next_batch(&mut self, batch: &mut Batch) -> std::io::Result<bool> {
        batch.data.clear();
        batch.items.clear();
        if self.done {
            return Ok(false);
        }
        if self.headers.is_none() && !self.read_headers()? {
            self.done = true;
            return Ok(false);
        }
        let Some((names, tree)) = &self.headers else {
            return Ok(false);
        };
        while batch.data.len() < BATCH_BYTES {
            if !self
                .reader
                .read_byte_record(&mut self.row)
                .map_err(csv_io)?
            {
                self.done = true;
                break;
            }
            let line = self.row.position().map_or(0, |p| p.line() as usize);
            // An unclosed quote: the input ended inside a quoted value of
            // this row (the reader consumed everything to get this row).
            let tracker = self.reader.get_ref();
            let end = self.reader.position();
            let unclosed =
                tracker.eof && tracker.state == QState::Quoted && end.byte() == tracker.total;
            let plural = |n: usize| if n == 1 { "" } else { "s" };
            let mut salvage = None;
            let body = if unclosed || self.row.len() != names.len() {
                let e = if unclosed {
                    // The reader's line is the one after the last line break.
                    let last = end.line() as usize - usize::from(tracker.last == b'\n');
                    RecordError::new(
                        "R0006",
                        if last > line {
                            format!(
                                "unclosed quote: a quoted value in this row never ends, so it takes in the rest of the input (lines {line} to {last})"
                            )
                        } else {
                            "unclosed quote: a quoted value in this row never ends".to_string()
                        },
                    )
                    .with_help("close the quote; a quote inside a quoted value is written twice (`\"5\"\" disk\"`)")
                } else {
                    RecordError::new(
                        "R0006",
                        format!(
                            "the row has {} column{}, the header has {}",
                            self.row.len(),
                            plural(self.row.len()),
                            names.len()
                        ),
                    )
                    .with_help("quote values that contain a comma or a line break (`\"Gift basket, assorted\"`)")
                };
                // The cells that are there, to name the record by its key.
                let s = batch.data.len();
                if write_obj(tree, &self.row, &mut batch.data).is_ok()
                    && batch.data.len() - s <= MAX_RECORD_BYTES
                {
                    salvage = Some(s..batch.data.len());
                } else {
                    batch.data.truncate(s);
                }
                Err(e)
            } else {
                let s = batch.data.len();
                match write_obj(tree, &self.row, &mut batch.data) {
                    Ok(()) if batch.data.len() - s > MAX_RECORD_BYTES => {
                        batch.data.truncate(s);
                        Err(too_large(0))
                    }
                    Ok(()) => Ok(s..batch.data.len()),
                    Err(col) => {
                        batch.data.truncate(s);
                        let name = names.get(col).cloned().unwrap_or_default();
                        Err(RecordError::new("R0007", "the value is not valid UTF-8")
                            .with_field(name)
                            .with_help("save the CSV file as UTF-8"))
                    }
                }
            };
            let mut item = Item::new(self.index, line, body);
            item.salvage = salvage;
            batch.items.push(item);
            self.index += 1;
        }
        Ok(!batch.items.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(input: &[u8]) -> std::io::Result<Vec<(usize, Result<String, &'static str>)>> {
        let items = crate::input::read_items(&mut CsvSource::new("t.csv".into(), input))?;
        Ok(items
            .into_iter()
            .map(|(_, line, body)| (line, body))
            .collect())
    }

    #[test]
    fn rows_become_objects() {
        let got = read_all(
            b"id,name,customer.name,customer.no\n1,A,,7\n2,\"B, \"\"q\"\"\",C,8\n3,x\n4,\xff,y,z\n",
        )
        .unwrap();
        assert_eq!(
            got[0],
            (
                2,
                Ok(r#"{"id":"1","name":"A","customer":{"name":null,"no":"7"}}"#.into())
            )
        );
        assert_eq!(
            got[1],
            (
                3,
                Ok(r#"{"id":"2","name":"B, \"q\"","customer":{"name":"C","no":"8"}}"#.into())
            )
        );
        assert_eq!(got[2], (4, Err("R0006")));
        assert_eq!(got[3], (5, Err("R0007")));
    }

    #[test]
    fn an_unclosed_quote_is_named_even_when_the_width_fits() {
        let errs = |input: &[u8]| {
            let mut s = CsvSource::new("t.csv".into(), input);
            let mut b = Batch::default();
            let mut out = Vec::new();
            while s.next_batch(&mut b).unwrap() {
                for it in &b.items {
                    out.push(it.body.clone().map_err(|e| e.message).map(|_| ()));
                }
            }
            out
        };
        // The open quote takes the rest of the file into one cell: the
        // width happens to fit, the rows after it would vanish silently.
        let got = errs(b"id,note\n1,\"open\n2,x\n3,y\n");
        assert_eq!(got.len(), 1);
        assert!(
            got[0].as_ref().unwrap_err().contains("unclosed quote"),
            "{got:?}"
        );
        let got = errs(b"id,note,z\n1,\"open\n");
        assert!(got[0].as_ref().unwrap_err().contains("unclosed quote"));
        // Closed quotes with line breaks and `""` are fine, also at the end.
        let got = errs(b"id,note\n1,\"a\nb \"\"q\"\"\"\n2,\"x,\ny\"");
        assert_eq!(got, vec![Ok(()), Ok(())]);
        // A quote inside an unquoted value is a literal.
        let got = errs(b"id,note\n1,5\" disk\n");
        assert_eq!(got, vec![Ok(())]);
        let got = errs(b"id,note\n1\n");
        assert_eq!(
            got,
            vec![Err("the row has 1 column, the header has 2".to_string())]
        );
    }

    #[test]
    fn conflicting_headers_are_refused() {
        assert!(read_all(b"a,a.b\n1,2\n").is_err());
        assert!(read_all(b"a,a\n1,2\n").is_err());
        assert!(read_all(b"").unwrap().is_empty());
    }
}
