//! `.json` files: a top-level array is streamed element by element (never
//! loaded whole); anything else is read as a sequence of whitespace-separated
//! values (so a file holding one object is one record).
//!
//! An element's extent is found with a string-aware bracket counter; the
//! record parser then validates it, so a malformed element is one R0005
//! record and the stream continues. Only a break in the array's own
//! structure (a missing `,` between elements, an unterminated string or
//! bracket at the end of the file) cannot be resynchronized: it is reported
//! once, as R0005 at that position, and the rest of the file is not read.

use super::{read_more, too_large, Batch, Item, RecordSource, BATCH_BYTES};
use crate::exec::MAX_RECORD_BYTES;
use crate::json::parse::RecordError;
use std::io::Read;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Start,
    /// Inside a top-level array, expecting an element (or `]` if `first`).
    ArrayElem {
        first: bool,
    },
    /// After an element, expecting `,` or `]`.
    ArrayAfter,
    /// Whitespace-separated values.
    Sequence,
    Done,
}

pub struct JsonDocSource<R> {
    name: String,
    r: R,
    buf: Vec<u8>,
    pos: usize,
    line: usize,
    /// 1-based column (in characters) of `pos` on its line.
    column: usize,
    index: usize,
    eof: bool,
    mode: Mode,
}

enum Extent {
    End(usize),
    /// The input ends inside the value (it is cut off); its bytes run to the end.
    Truncated(usize),
    /// Needs more input.
    More,
}

/// End of the value starting at `start` (not validated beyond brackets and
/// strings).
fn extent(b: &[u8], start: usize, eof: bool) -> Extent {
    let mut i = start;
    match b[i] {
        b'{' | b'[' => {
            let mut depth = 0usize;
            while i < b.len() {
                let c = b[i];
                match c {
                    b'"' => match string_end(b, i + 1) {
                        Some(e) => {
                            i = e + 1;
                            continue;
                        }
                        None => {
                            return if eof {
                                Extent::Truncated(b.len())
                            } else {
                                Extent::More
                            }
                        }
                    },
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Extent::End(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            if eof {
                Extent::Truncated(b.len())
            } else {
                Extent::More
            }
        }
        b'"' => match string_end(b, i + 1) {
            Some(e) => Extent::End(e + 1),
            None if eof => Extent::Truncated(b.len()),
            None => Extent::More,
        },
        _ => {
            while i < b.len()
                && !matches!(
                    b[i],
                    b' ' | b'\n' | b'\r' | b'\t' | b',' | b']' | b'}' | b'[' | b'{' | b'"'
                )
            {
                i += 1;
            }
            if i == b.len() && !eof {
                Extent::More
            } else {
                Extent::End(i.max(start + 1))
            }
        }
    }
}

/// Index of the closing quote of a string whose body starts at `i`.
fn string_end(b: &[u8], mut i: usize) -> Option<usize> {
    loop {
        let k = memchr::memchr2(b'"', b'\\', &b[i..])?;
        i += k;
        if b[i] == b'"' {
            return Some(i);
        }
        i += 2;
        if i > b.len() {
            return None;
        }
    }
}

impl<R: Read> JsonDocSource<R> {
    pub fn new(name: String, r: R) -> Self {
        JsonDocSource {
            name,
            r,
            buf: Vec::new(),
            pos: 0,
            line: 1,
            column: 1,
            index: 0,
            eof: false,
            mode: Mode::Start,
        }
    }

    fn advance(&mut self, to: usize) {
        let part = &self.buf[self.pos..to];
        let chars = |b: &[u8]| b.iter().filter(|&&c| (c & 0xC0) != 0x80).count();
        match memchr::memrchr(b'\n', part) {
            Some(last) => {
                self.line += memchr::memchr_iter(b'\n', part).count();
                self.column = chars(&part[last + 1..]) + 1;
            }
            None => self.column += chars(part),
        }
        self.pos = to;
    }

    fn skip_ws(&mut self) {
        let mut i = self.pos;
        while i < self.buf.len() && matches!(self.buf[i], b' ' | b'\n' | b'\r' | b'\t') {
            i += 1;
        }
        self.advance(i);
    }

    /// Makes sure there is unread input, reading more when needed.
    fn fill(&mut self) -> std::io::Result<bool> {
        if self.pos < self.buf.len() {
            return Ok(true);
        }
        if self.eof {
            return Ok(false);
        }
        self.buf.clear();
        super::trim(&mut self.buf, super::KEEP_BYTES);
        self.pos = 0;
        if read_more(&mut self.r, &mut self.buf, BATCH_BYTES)? == 0 {
            self.eof = true;
        }
        Ok(self.pos < self.buf.len())
    }

    fn more(&mut self) -> std::io::Result<()> {
        // Keep the unread part, drop the rest.
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        let want = BATCH_BYTES.max(self.buf.len());
        if read_more(&mut self.r, &mut self.buf, want)? == 0 {
            self.eof = true;
        }
        Ok(())
    }

    fn structural_error(&mut self, items: &mut Vec<Item>, msg: &str) {
        let mut item = Item::new(
            self.index,
            self.line,
            Err(RecordError::new(
                "R0005",
                format!(
                    "invalid JSON at column {}: {msg}; the rest of the file is not read",
                    self.column
                ),
            )),
        );
        item.column = self.column;
        items.push(item);
        self.index += 1;
        self.mode = Mode::Done;
    }
}

impl<R: Read + Send> RecordSource for JsonDocSource<R> {
    fn name(&self) -> &str {
        &self.name
    }

    fn next_batch(&mut self, batch: &mut Batch) -> std::io::Result<bool> {
        batch.data.clear();
        batch.items.clear();
        while batch.data.len() < BATCH_BYTES && self.mode != Mode::Done {
            // Skip whitespace, reading as needed.
            loop {
                if !self.fill()? {
                    break;
                }
                self.skip_ws();
                if self.pos < self.buf.len() {
                    break;
                }
            }
            if self.pos >= self.buf.len() {
                match self.mode {
                    Mode::Start | Mode::Sequence => self.mode = Mode::Done,
                    _ => self.structural_error(
                        &mut batch.items,
                        "the file ends inside the top-level array",
                    ),
                }
                break;
            }
            let c = self.buf[self.pos];
            match self.mode {
                Mode::Start => {
                    if self.buf[self.pos..].starts_with(b"\xEF\xBB\xBF") {
                        self.advance(self.pos + 3);
                        continue;
                    }
                    if c == b'[' {
                        self.advance(self.pos + 1);
                        self.mode = Mode::ArrayElem { first: true };
                    } else {
                        self.mode = Mode::Sequence;
                    }
                    continue;
                }
                Mode::ArrayAfter => {
                    match c {
                        b',' => {
                            self.advance(self.pos + 1);
                            self.mode = Mode::ArrayElem { first: false };
                        }
                        b']' => {
                            self.advance(self.pos + 1);
                            self.mode = Mode::Sequence; // anything after is more values
                        }
                        _ => self.structural_error(
                            &mut batch.items,
                            "expected `,` or `]` after an array element",
                        ),
                    }
                    continue;
                }
                Mode::ArrayElem { first } => {
                    if c == b']' {
                        if first {
                            self.advance(self.pos + 1);
                            self.mode = Mode::Sequence;
                        } else {
                            self.structural_error(
                                &mut batch.items,
                                "`]` after `,` (trailing comma)",
                            );
                        }
                        continue;
                    }
                }
                Mode::Sequence | Mode::Done => {}
            }
            // A value starts at pos: find its end.
            let (end, cut) = loop {
                match extent(&self.buf, self.pos, self.eof) {
                    Extent::End(e) => break (e, false),
                    Extent::Truncated(e) => break (e, true),
                    Extent::More => {
                        if self.buf.len() - self.pos > MAX_RECORD_BYTES {
                            let mut item = Item::new(
                                self.index,
                                self.line,
                                Err(too_large(self.buf.len() - self.pos)),
                            );
                            item.column = self.column;
                            batch.items.push(item);
                            self.index += 1;
                            self.mode = Mode::Done;
                            return Ok(!batch.items.is_empty());
                        }
                        self.more()?;
                    }
                }
            };
            let s = batch.data.len();
            batch.data.extend_from_slice(&self.buf[self.pos..end]);
            let body = if end - self.pos > MAX_RECORD_BYTES {
                Err(too_large(end - self.pos))
            } else if cut {
                // The input ends inside this value: one broken record, and
                // nothing after it (no second error for the unclosed array).
                batch.data.truncate(s);
                Err(RecordError::new(
                    "R0005",
                    "invalid JSON: the input ends inside this record (it is cut off)",
                ))
            } else {
                Ok(s..batch.data.len())
            };
            let mut item = Item::new(self.index, self.line, body);
            item.column = self.column;
            batch.items.push(item);
            self.index += 1;
            self.advance(end);
            if cut {
                self.mode = Mode::Done;
            } else if let Mode::ArrayElem { .. } = self.mode {
                self.mode = Mode::ArrayAfter;
            }
        }
        Ok(!batch.items.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(input: &[u8]) -> Vec<crate::input::ReadItem> {
        crate::input::read_items(&mut JsonDocSource::new("t".into(), input)).unwrap()
    }

    #[test]
    fn streams_array_elements() {
        let got = read_all(b"[\n {\"a\": \"x]\\\"\"},\n {\"b\": [1, {\"c\": 2}]},\n 7\n]\n");
        assert_eq!(
            got,
            vec![
                (0, 2, Ok("{\"a\": \"x]\\\"\"}".into())),
                (1, 3, Ok("{\"b\": [1, {\"c\": 2}]}".into())),
                (2, 4, Ok("7".into())),
            ]
        );
    }

    #[test]
    fn a_leading_bom_is_skipped() {
        assert_eq!(read_all(b"\xEF\xBB\xBF[{\"a\":1}]").len(), 1);
    }

    #[test]
    fn sequence_of_objects_and_single_object() {
        assert_eq!(read_all(b"{\"a\":1}").len(), 1);
        assert_eq!(read_all(b"{\"a\":1}\n{\"a\":2} {\"a\":3}").len(), 3);
        assert_eq!(read_all(b"[]").len(), 0);
        assert_eq!(read_all(b"").len(), 0);
    }

    #[test]
    fn structural_errors_stop_once() {
        let got = read_all(b"[{\"a\":1} {\"a\":2}]");
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].2, Err("R0005"));
        let got = read_all(b"[{\"a\":1},");
        assert_eq!(got.last().map(|g| g.2.clone()), Some(Err("R0005")));
        let got = read_all(b"[{\"a\":1},]");
        assert_eq!(got.last().map(|g| g.2.clone()), Some(Err("R0005")));
    }

    #[test]
    fn big_arrays_cross_buffers() {
        let mut input = b"[".to_vec();
        for i in 0..30_000 {
            if i > 0 {
                input.extend_from_slice(b",\n");
            }
            input.extend_from_slice(
                format!("{{\"i\":{i},\"s\":\"{}\"}}", "y".repeat(i % 120)).as_bytes(),
            );
        }
        input.push(b']');
        let got = read_all(&input);
        assert_eq!(got.len(), 30_000);
        for (k, g) in got.iter().enumerate() {
            assert_eq!(g.0, k);
            assert_eq!(g.1, k + 1);
            assert!(g.2.as_ref().unwrap().starts_with(&format!("{{\"i\":{k},")));
        }
    }
}
