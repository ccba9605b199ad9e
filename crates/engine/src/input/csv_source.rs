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
//! the header is R0006, a cell that is not UTF-8 is R0007.

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

pub struct CsvSource<R: Read> {
    name: String,
    reader: csv::Reader<R>,
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
            .from_reader(r);
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
            let body = if self.row.len() != names.len() {
                Err(RecordError {
                    code: "R0006",
                    message: format!(
                        "the row has {} columns, the header has {}",
                        self.row.len(),
                        names.len()
                    ),
                    field: None,
                })
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
                        Err(RecordError {
                            code: "R0007",
                            message: format!("column `{name}` is not valid UTF-8"),
                            field: Some(name),
                        })
                    }
                }
            };
            batch.items.push(Item {
                index: self.index,
                line,
                body,
            });
            self.index += 1;
        }
        Ok(!batch.items.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(input: &[u8]) -> std::io::Result<Vec<(usize, Result<String, &'static str>)>> {
        let mut s = CsvSource::new("t.csv".into(), input);
        let mut b = Batch::default();
        let mut out = Vec::new();
        while s.next_batch(&mut b)? {
            for it in &b.items {
                out.push((
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
    fn conflicting_headers_are_refused() {
        assert!(read_all(b"a,a.b\n1,2\n").is_err());
        assert!(read_all(b"a,a\n1,2\n").is_err());
        assert!(read_all(b"").unwrap().is_empty());
    }
}
