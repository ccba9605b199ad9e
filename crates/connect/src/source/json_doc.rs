//! `.json` files: a top-level array is streamed element by element (never
//! loaded whole); anything else is read as a sequence of whitespace-separated
//! values (so a file holding one object is one record).
//!
//! A saved **OData collection response** (`{"@odata.context": ...,
//! "@odata.count": 3, "value": [...], "@odata.nextLink": ...}`, what the
//! API or a browser gives) is the records of its `value` array, streamed
//! like a top-level array: a top-level object whose first key that is not
//! an `@` annotation is `value`, holding a list. The response's own
//! annotations are not records; `@odata.nextLink` (or
//! `@Microsoft.Dynamics.CRM.morerecords: true`) means the file is one page
//! of more, and `@odata.count` that differs from the records in the file
//! means it is incomplete: both are warning R0103, as is a key other than
//! an annotation after `value` (which is ignored). Annotations inside each
//! record (`@odata.etag`, `..@OData.Community.Display.V1.FormattedValue`)
//! are kept as ordinary keys, as in NDJSON input, so a mapping can read
//! them (in backticks). A single-entity response (properties next to
//! `@odata.context`, no `value` list) is one record, annotations kept.
//!
//! An element's extent is found with a string-aware bracket counter; the
//! record parser then validates it, so a malformed element is one R0005
//! record and the stream continues. Only a break in the array's own
//! structure (a missing `,` between elements, an unterminated string or
//! bracket at the end of the file) cannot be resynchronized: it is reported
//! once, as R0005 at that position, and the rest of the file is not read.

use super::{read_more, too_large, Batch, Item, Note, Source, BATCH_BYTES, MAX_RECORD_BYTES};
use mapc_diag::Code;
use mapc_value::json::parse::RecordError;
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
    /// In an OData response object after its `value` array (or another
    /// annotation), expecting `,` or `}`.
    EnvAfter,
    /// In an OData response object after a `,`, expecting a key.
    EnvKey,
    Done,
}

/// What the OData response object around the records said about them.
#[derive(Debug, Default)]
struct Envelope {
    /// Inside the `value` array (its records are counted).
    active: bool,
    seen: bool,
    records: usize,
    next_link: bool,
    more_records: bool,
    count: Option<u64>,
    /// Keys other than annotations after `value` (ignored).
    extra: Vec<String>,
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
    env: Envelope,
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
            env: Envelope::default(),
        }
    }

    /// Makes at least `n` bytes from `pos` available, or all that are left;
    /// false when fewer are there (the end of the input, or a record-size
    /// limit while probing).
    fn want(&mut self, n: usize) -> std::io::Result<bool> {
        while self.buf.len() - self.pos < n && !self.eof {
            if n > MAX_RECORD_BYTES {
                return Ok(false);
            }
            self.more()?;
        }
        Ok(self.buf.len() - self.pos >= n)
    }

    /// The end (relative to `pos`) of the JSON value starting at `rel`,
    /// reading more as needed.
    fn value_end(&mut self, rel: usize) -> std::io::Result<Option<usize>> {
        loop {
            if !self.want(rel + 1)? {
                return Ok(None);
            }
            match extent(&self.buf, self.pos + rel, self.eof) {
                Extent::End(e) => return Ok(Some(e - self.pos)),
                Extent::Truncated(_) => return Ok(None),
                Extent::More => {
                    if self.buf.len() - self.pos > MAX_RECORD_BYTES {
                        return Ok(None);
                    }
                    self.more()?;
                }
            }
        }
    }

    /// Whitespace from `rel` on (relative to `pos`); the offset after it.
    fn ws_from(&mut self, mut rel: usize) -> std::io::Result<usize> {
        loop {
            if !self.want(rel + 1)? {
                return Ok(rel);
            }
            match self.buf[self.pos + rel] {
                b' ' | b'\n' | b'\r' | b'\t' => rel += 1,
                _ => return Ok(rel),
            }
        }
    }

    /// Reads one `"key": value` member at `rel` (relative to `pos`):
    /// the key's raw text and the value's range, relative to `pos`.
    fn member(&mut self, rel: usize) -> std::io::Result<Option<(String, usize, usize)>> {
        if !self.want(rel + 1)? || self.buf[self.pos + rel] != b'"' {
            return Ok(None);
        }
        let Some(kend) = self.value_end(rel)? else {
            return Ok(None);
        };
        let key = String::from_utf8_lossy(&self.buf[self.pos + rel + 1..self.pos + kend - 1])
            .into_owned();
        let colon = self.ws_from(kend)?;
        if !self.want(colon + 1)? || self.buf[self.pos + colon] != b':' {
            return Ok(None);
        }
        let vstart = self.ws_from(colon + 1)?;
        let Some(vend) = self.value_end(vstart)? else {
            return Ok(None);
        };
        Ok(Some((key, vstart, vend)))
    }

    /// Notes what a response annotation says about the records.
    fn annotation(&mut self, key: &str, value: &[u8]) {
        let v = std::str::from_utf8(value).ok().and_then(|t| {
            mapc_value::json::parse::parse_value(t)
                .ok()
                .map(|v| v.into_owned())
        });
        match key {
            "@odata.nextLink" => self.env.next_link = true,
            "@Microsoft.Dynamics.CRM.morerecords" => {
                self.env.more_records = matches!(v, Some(mapc_value::Value::Bool(true)))
            }
            "@odata.count" => {
                if let Some(mapc_value::Value::Num(n)) = v {
                    self.env.count = u64::try_from(n).ok();
                }
            }
            _ => {}
        }
    }

    /// At a top-level `{`: is it an OData collection response? Reads its
    /// leading annotations; when the first other key is `value` holding a
    /// list, moves to the list's first element and returns true. Otherwise
    /// nothing is consumed (the object is a record).
    fn probe_envelope(&mut self) -> std::io::Result<bool> {
        let mut rel = self.ws_from(1)?;
        let mut notes: Vec<(String, Vec<u8>)> = Vec::new();
        loop {
            let Some((key, vs, ve)) = self.member(rel)? else {
                return Ok(false);
            };
            if key == "value" {
                if self.buf[self.pos + vs] != b'[' {
                    return Ok(false);
                }
                for (k, v) in notes {
                    self.annotation(&k, &v);
                }
                self.advance(self.pos + vs + 1);
                self.env.active = true;
                self.env.seen = true;
                self.mode = Mode::ArrayElem { first: true };
                return Ok(true);
            }
            if !key.starts_with('@') {
                return Ok(false);
            }
            notes.push((key, self.buf[self.pos + vs..self.pos + ve].to_vec()));
            rel = self.ws_from(ve)?;
            if !self.want(rel + 1)? || self.buf[self.pos + rel] != b',' {
                return Ok(false);
            }
            rel = self.ws_from(rel + 1)?;
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

    /// The mode after the `]` of the top-level array or of the `value`
    /// array of an OData response.
    fn after_array(&mut self) -> Mode {
        if self.env.active {
            self.env.active = false;
            Mode::EnvAfter
        } else {
            Mode::Sequence
        }
    }

    fn structural_error(&mut self, items: &mut Vec<Item>, msg: &str) {
        let mut item = Item::new(
            self.index,
            self.line,
            Err(RecordError::new(
                Code::R0005,
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

impl<R: Read + Send> Source for JsonDocSource<R> {
    fn name(&self) -> &str {
        &self.name
    }

    fn notes(&mut self) -> Vec<Note> {
        let env = &self.env;
        let mut out = Vec::new();
        if !env.seen {
            return out;
        }
        let n = env.records;
        let held = format!("{n} record{}", if n == 1 { "" } else { "s" });
        if env.next_link || env.more_records {
            out.push(Note {
                code: Some(Code::R0103),
                message: format!(
                    "the file is one page of an OData response: {} says more records follow on the server; only the {held} of this page were read",
                    if env.next_link { "`@odata.nextLink`" } else { "`@Microsoft.Dynamics.CRM.morerecords`" }
                ),
            });
        } else if let Some(c) = env.count.filter(|&c| c != n as u64) {
            out.push(Note {
                code: Some(Code::R0103),
                message: format!(
                    "the OData response says it has {c} records (`@odata.count`), but the file holds {held}: it is incomplete"
                ),
            });
        }
        if !env.extra.is_empty() {
            out.push(Note {
                code: Some(Code::R0103),
                message: format!(
                    "the OData response has {} besides `value` and annotations; ignored (not records)",
                    mapc_diag::code_list(&env.extra)
                ),
            });
        }
        out
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
                    Mode::EnvAfter | Mode::EnvKey => self.structural_error(
                        &mut batch.items,
                        "the file ends inside the OData response object",
                    ),
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
                    } else if c == b'{' && self.probe_envelope()? {
                        // `mode` is the `value` array now.
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
                            self.mode = self.after_array(); // anything after is more values
                        }
                        _ => self.structural_error(
                            &mut batch.items,
                            "expected `,` or `]` after an array element",
                        ),
                    }
                    continue;
                }
                Mode::EnvAfter => {
                    match c {
                        b',' => {
                            self.advance(self.pos + 1);
                            self.mode = Mode::EnvKey;
                        }
                        b'}' => {
                            self.advance(self.pos + 1);
                            self.mode = Mode::Sequence;
                        }
                        _ => self.structural_error(
                            &mut batch.items,
                            "expected `,` or `}` in the OData response object",
                        ),
                    }
                    continue;
                }
                Mode::EnvKey => {
                    match self.member(0)? {
                        Some((key, vs, ve)) => {
                            if key.starts_with('@') {
                                let v = self.buf[self.pos + vs..self.pos + ve].to_vec();
                                self.annotation(&key, &v);
                            } else {
                                self.env.extra.push(key);
                            }
                            self.advance(self.pos + ve);
                            self.mode = Mode::EnvAfter;
                        }
                        None => self.structural_error(
                            &mut batch.items,
                            "expected a `\"key\": value` member in the OData response object",
                        ),
                    }
                    continue;
                }
                Mode::ArrayElem { first } => {
                    if c == b']' {
                        if first {
                            self.advance(self.pos + 1);
                            self.mode = self.after_array();
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
            if self.env.active {
                self.env.records += 1;
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
                    Code::R0005,
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

    fn read_all(input: &[u8]) -> Vec<crate::source::ReadItem> {
        crate::source::read_items(&mut JsonDocSource::new("t".into(), input)).unwrap()
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
        assert_eq!(got[1].2, Err(Code::R0005));
        let got = read_all(b"[{\"a\":1},");
        assert_eq!(got.last().map(|g| g.2.clone()), Some(Err(Code::R0005)));
        let got = read_all(b"[{\"a\":1},]");
        assert_eq!(got.last().map(|g| g.2.clone()), Some(Err(Code::R0005)));
    }

    fn notes(input: &[u8]) -> (Vec<crate::source::ReadItem>, Vec<Note>) {
        let mut src = JsonDocSource::new("t".into(), input);
        let items = crate::source::read_items(&mut src).unwrap();
        (items, src.notes())
    }

    #[test]
    fn a_saved_odata_response_is_the_records_of_its_value_array() {
        let input = br#"{
  "@odata.context": "https://org.crm4.dynamics.com/api/data/v9.2/$metadata#accounts(name)",
  "@odata.count": 2,
  "value": [
    {"@odata.etag": "W/"1"", "accountid": "a1", "name": "A"},
    {"@odata.etag": "W/"2"", "accountid": "a2", "name": "B"}
  ]
}"#;
        let (got, n) = notes(input);
        assert_eq!(
            got,
            vec![
                (
                    0,
                    5,
                    Ok(r#"{"@odata.etag": "W/"1"", "accountid": "a1", "name": "A"}"#.into())
                ),
                (
                    1,
                    6,
                    Ok(r#"{"@odata.etag": "W/"2"", "accountid": "a2", "name": "B"}"#.into())
                ),
            ]
        );
        assert!(n.is_empty(), "{n:?}");
        // `odata.metadata=none`: only `value`.
        let (got, _) = notes(br#"{"value":[{"a":1},{"a":2},{"a":3}]}"#);
        assert_eq!(got.len(), 3);
        assert_eq!(got[2].2, Ok(r#"{"a":3}"#.into()));
        // An empty page.
        let (got, n) = notes(br#"{"@odata.context":"x","value":[]}"#);
        assert!(got.is_empty() && n.is_empty());
    }

    #[test]
    fn a_page_of_more_or_an_incomplete_response_is_a_warning() {
        let (got, n) = notes(
            br#"{"@odata.context":"x","value":[{"a":1}],"@odata.nextLink":"https://h/api?$skiptoken=2"}"#,
        );
        assert_eq!(got.len(), 1);
        assert_eq!(n.len(), 1);
        assert_eq!(n[0].code, Some(Code::R0103));
        assert!(n[0].message.contains("`@odata.nextLink`"), "{n:?}");
        let (_, n) = notes(br#"{"@odata.count":5,"value":[{"a":1},{"a":2}]}"#);
        assert!(n[0].message.contains("5 records"), "{n:?}");
        let (_, n) = notes(br#"{"@Microsoft.Dynamics.CRM.morerecords":true,"value":[{"a":1}]}"#);
        assert_eq!(n.len(), 1);
        let (got, n) = notes(br#"{"value":[{"a":1}],"id":7}"#);
        assert_eq!(got.len(), 1);
        assert!(n[0].message.contains("`id`"), "{n:?}");
    }

    #[test]
    fn a_single_entity_or_a_plain_object_is_one_record() {
        let one = br#"{"@odata.context":"x/$metadata#accounts/$entity","@odata.etag":"W/"1"","accountid":"a1","value":[1]}"#;
        let (got, n) = notes(one);
        assert_eq!(
            got,
            vec![(0, 1, Ok(String::from_utf8_lossy(one).into_owned()))]
        );
        assert!(n.is_empty());
        assert_eq!(notes(br#"{"value": 5}"#).0.len(), 1);
        assert_eq!(notes(br#"{"name": "x", "value": [1]}"#).0.len(), 1);
        // Broken responses are R0005 once.
        let (got, _) = notes(br#"{"@odata.context":"x","value":[{"a":1}] "b":1}"#);
        assert_eq!(got.last().map(|g| g.2.clone()), Some(Err(Code::R0005)));
        let (got, _) = notes(br#"{"@odata.context":"x","value":[{"a":1}],"#);
        assert_eq!(got.last().map(|g| g.2.clone()), Some(Err(Code::R0005)));
    }

    /// 30,000 array elements of varied length after `head`, so that the
    /// elements cross the reader's buffers.
    fn many_elements(head: &[u8]) -> Vec<u8> {
        let mut input = head.to_vec();
        for i in 0..30_000 {
            if i > 0 {
                input.extend_from_slice(b",\n");
            }
            input.extend_from_slice(
                format!("{{\"i\":{i},\"s\":\"{}\"}}", "y".repeat(i % 120)).as_bytes(),
            );
        }
        input
    }

    #[test]
    fn big_odata_pages_cross_buffers() {
        let mut input = many_elements(br#"{"@odata.context":"x","@odata.count":30000,"value":["#);
        input.extend_from_slice(b"]}");
        let (got, n) = notes(&input);
        assert_eq!(got.len(), 30_000);
        assert!(n.is_empty(), "{n:?}");
        assert!(got[29_999].2.as_ref().unwrap().starts_with("{\"i\":29999,"));
    }

    #[test]
    fn big_arrays_cross_buffers() {
        let mut input = many_elements(b"[");
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
