//! The three file formats of a table: reading an existing file record by
//! record, and writing records back.

use super::FileTarget;
use crate::Format;
use serde::de::{Deserializer, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::fmt;
use std::io::{self, BufRead, BufReader, Write};

type Each<'a> = dyn FnMut(usize, String, &mut FileTarget) + 'a;

/// Calls `each(line, record text)` for every record of `file`; returns the
/// CSV header (empty for the JSON formats).
pub fn read(
    format: Format,
    file: std::fs::File,
    each: &mut Each<'_>,
    me: &mut FileTarget,
) -> io::Result<Vec<String>> {
    let mut r = BufReader::with_capacity(1 << 16, file);
    // A UTF-8 byte order mark is not part of the first record.
    if r.fill_buf()?.starts_with(b"\xEF\xBB\xBF") {
        r.consume(3);
    }
    match format {
        Format::Ndjson => {
            let mut line = Vec::new();
            let mut n = 0;
            loop {
                line.clear();
                if r.read_until(b'\n', &mut line)? == 0 {
                    return Ok(Vec::new());
                }
                n += 1;
                while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                    line.pop();
                }
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                let text = String::from_utf8(std::mem::take(&mut line)).map_err(|_| {
                    io::Error::new(io::ErrorKind::InvalidData, format!("line {n} is not UTF-8"))
                })?;
                each(n, text, me);
            }
        }
        Format::Json => {
            // An empty (or blank) file is an empty table.
            let head = r.fill_buf()?;
            if head.len() < (1 << 16) && head.iter().all(u8::is_ascii_whitespace) {
                return Ok(Vec::new());
            }
            struct Elems<'a, 'b> {
                each: &'a mut Each<'b>,
                me: &'a mut FileTarget,
            }
            impl<'de> Visitor<'de> for Elems<'_, '_> {
                type Value = ();
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("a JSON array of records")
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
                    let mut n = 0;
                    while let Some(v) = seq.next_element::<Box<RawValue>>()? {
                        n += 1;
                        (self.each)(n, v.get().to_string(), self.me);
                    }
                    Ok(())
                }
            }
            // Streamed element by element: memory holds one record.
            let mut de = serde_json::Deserializer::from_reader(r);
            de.deserialize_seq(Elems { each, me })
                .and_then(|()| de.end())
                .map_err(|e| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("not a JSON array of records: {e}"),
                    )
                })?;
            Ok(Vec::new())
        }
        Format::Csv => {
            let mut c = csv::ReaderBuilder::new().flexible(false).from_reader(r);
            let header: Vec<String> = c
                .headers()
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?
                .iter()
                .map(String::from)
                .collect();
            if let Some(deep) = header
                .iter()
                .find(|n| n.split('.').count() > super::MAX_DEPTH)
            {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "[{}] the header's column `{}…` has more than {} dotted parts; a column name `a.b` is the member `b` of `a`, and a record cannot nest that deep: shorten the column name",
                        super::codes::TARGET_FILE,
                        deep.chars().take(40).collect::<String>(),
                        super::MAX_DEPTH
                    ),
                ));
            }
            for row in c.records() {
                let row =
                    row.map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
                let line = row.position().map_or(0, |p| p.line() as usize);
                let mut obj = Value::Object(Map::new());
                for (name, cell) in header.iter().zip(row.iter()) {
                    let path: Vec<String> = name.split('.').map(String::from).collect();
                    set(&mut obj, &path, cell_value(cell));
                }
                each(line, obj.to_string(), me);
            }
            Ok(header)
        }
    }
}

/// A CSV cell as a value: empty is null, a JSON number or `true`/`false` is
/// that value, anything else text (CSV keeps no types; see the README).
fn cell_value(cell: &str) -> Value {
    if cell.is_empty() {
        return Value::Null;
    }
    match serde_json::from_str::<Value>(cell) {
        // Only when the cell is exactly that value's text (`1.10` stays a
        // number with its text, ` 1` stays text).
        Ok(v @ (Value::Number(_) | Value::Bool(_)))
            if serde_json::to_string(&v).is_ok_and(|t| t == cell) =>
        {
            v
        }
        _ => Value::String(cell.to_string()),
    }
}

fn set(v: &mut Value, path: &[String], val: Value) {
    let mut cur = v;
    for (i, seg) in path.iter().enumerate() {
        let Value::Object(m) = cur else { return };
        if i + 1 == path.len() {
            m.insert(seg.clone(), val);
            return;
        }
        cur = m
            .entry(seg.clone())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

/// How deep a record written as CSV reads back: its longest column name
/// (`a.b.c` is three levels, dots inside member names included).
pub fn column_depth(v: &Value) -> usize {
    let mut f = Vec::new();
    flat(v, "", &mut f);
    f.iter()
        .map(|(k, _)| k.split('.').count())
        .max()
        .unwrap_or(0)
}

/// Members of a record flattened to dotted names (objects only; arrays stay whole).
fn flat(v: &Value, prefix: &str, out: &mut Vec<(String, Value)>) {
    if let Value::Object(m) = v {
        for (k, x) in m {
            let name = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            match x {
                Value::Object(o) if !o.is_empty() => flat(x, &name, out),
                _ => out.push((name, x.clone())),
            }
        }
    }
}

/// The text of a CSV cell for a member's value (absent or null: empty).
fn cell_text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// `record` as a CSV table with `columns` (and the record's own) gives it
/// back when read: every value through its cell's text, so text that looks
/// like a number reads back as one, an empty text as null, a missing
/// column as null.
pub fn csv_round_trip(record: &Value, columns: &[String]) -> Value {
    let mut f = Vec::new();
    flat(record, "", &mut f);
    let mut names: Vec<&str> = columns.iter().map(String::as_str).collect();
    for (k, _) in &f {
        if !names.contains(&k.as_str()) {
            names.push(k);
        }
    }
    let mut out = Value::Object(Map::new());
    for name in names {
        let cell = cell_text(f.iter().find(|(k, _)| k == name).map(|(_, v)| v));
        let path: Vec<String> = name.split('.').map(String::from).collect();
        set(&mut out, &path, cell_value(&cell));
    }
    out
}

pub struct Writer {
    format: Format,
    columns: Vec<String>,
    n: usize,
}

impl Writer {
    pub fn new(format: Format, columns: Vec<String>) -> Writer {
        Writer {
            format,
            columns,
            n: 0,
        }
    }

    /// CSV: learns the columns of a record before anything is written.
    pub fn see(&mut self, text: &[u8]) -> io::Result<()> {
        let v: Value = serde_json::from_slice(text).map_err(io::Error::other)?;
        let mut f = Vec::new();
        flat(&v, "", &mut f);
        for (k, _) in f {
            if !self.columns.contains(&k) {
                self.columns.push(k);
            }
        }
        Ok(())
    }

    pub fn start(&mut self, w: &mut dyn Write) -> io::Result<()> {
        match self.format {
            Format::Ndjson => Ok(()),
            Format::Json => w.write_all(b"["),
            Format::Csv => {
                let mut c = csv::Writer::from_writer(Vec::new());
                c.write_record(&self.columns).map_err(io::Error::other)?;
                w.write_all(
                    &c.into_inner()
                        .map_err(|e| io::Error::other(e.to_string()))?,
                )
            }
        }
    }

    pub fn record(&mut self, w: &mut dyn Write, text: &[u8]) -> io::Result<()> {
        self.n += 1;
        match self.format {
            Format::Ndjson => {
                w.write_all(text)?;
                w.write_all(b"\n")
            }
            Format::Json => {
                w.write_all(if self.n == 1 { b"\n" } else { b",\n" })?;
                w.write_all(text)
            }
            Format::Csv => {
                let v: Value = serde_json::from_slice(text).map_err(io::Error::other)?;
                let mut f = Vec::new();
                flat(&v, "", &mut f);
                let cells: Vec<String> = self
                    .columns
                    .iter()
                    .map(|c| cell_text(f.iter().find(|(k, _)| k == c).map(|(_, v)| v)))
                    .collect();
                let mut c = csv::Writer::from_writer(Vec::new());
                c.write_record(&cells).map_err(io::Error::other)?;
                w.write_all(
                    &c.into_inner()
                        .map_err(|e| io::Error::other(e.to_string()))?,
                )
            }
        }
    }

    pub fn finish(&mut self, w: &mut dyn Write) -> io::Result<()> {
        match self.format {
            Format::Json => w.write_all(if self.n == 0 { b"]\n" } else { b"\n]\n" }),
            _ => Ok(()),
        }
    }
}
