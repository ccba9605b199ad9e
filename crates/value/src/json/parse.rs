//! The projecting record parser.
//!
//! A mapping reads a few dozen paths out of records that carry many more. At
//! compile time every path the mapping reads is put into a [`Proj`] tree;
//! the parser walks a record once and materializes only those keys, straight
//! into numbered slots, skipping everything else with the validating byte
//! scanner. Expressions then read slots by index: there is no string-keyed
//! lookup per record and no `Value` tree of the whole record.
//!
//! Lists of objects the mapping iterates (product lines, price rules,
//! contacts) are projected element by element into a flat value array.

use super::scan::{self, skip_ws, SyntaxError, MAX_DEPTH};
use crate::value::{parse_decimal, NumError, Value};
use mapc_diag::Code;
use std::borrow::Cow;
use std::sync::Arc;

/// The keys wanted in one object.
#[derive(Clone, Debug, Default)]
pub struct Proj {
    pub children: Vec<ProjChild>,
}

#[derive(Clone, Debug)]
pub struct ProjChild {
    pub key: Box<str>,
    /// Dotted path from the record (or the list element), for messages.
    pub path: Arc<str>,
    /// The whole value is wanted in this slot.
    pub whole: Option<u32>,
    /// This slot is set when the key is in the object at all (related
    /// aliases: absent vs null): to `true` when the value is an object or
    /// null, otherwise to the string naming its kind (`"a string"`), so a
    /// read of the alias can reject a record whose alias is not an object.
    pub present: Option<u32>,
    /// Keys wanted inside, when the value is an object.
    pub sub: Option<Proj>,
    /// Elements projected one by one, when the value is a list.
    pub list: Option<ListProj>,
    /// Further lists over the same value (two blocks iterating one path):
    /// then the value is also wanted `whole` and all lists are served from it.
    pub more_lists: Vec<ListProj>,
}

#[derive(Clone, Debug)]
pub struct ListProj {
    /// Index into [`Frame::lists`].
    pub id: u32,
    /// Element-local slots (no nested list projections).
    pub elem: Proj,
    pub nslots: u32,
}

impl Proj {
    /// The child for `key`, created on demand.
    pub fn child(&mut self, key: &str, path: &str) -> &mut ProjChild {
        let i = match self.children.iter().position(|c| &*c.key == key) {
            Some(i) => i,
            None => {
                self.children.push(ProjChild {
                    key: key.into(),
                    path: path.into(),
                    whole: None,
                    present: None,
                    sub: None,
                    list: None,
                    more_lists: Vec::new(),
                });
                self.children.len() - 1
            }
        };
        &mut self.children[i]
    }

    #[inline]
    fn find(&self, key: &[u8], hint: usize) -> Option<usize> {
        if let Some(c) = self.children.get(hint) {
            if c.key.as_bytes() == key {
                return Some(hint);
            }
        }
        self.children
            .iter()
            .position(|c| c.key.len() == key.len() && c.key.as_bytes() == key)
    }
}

/// What a projected list held in the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListState {
    Absent,
    Null,
    /// The value was not a list (its kind name).
    NotList(&'static str),
    /// `n` elements; an element that was not an object is reported by
    /// `bad_item` (its index and kind).
    Items {
        n: usize,
        bad_item: Option<(usize, &'static str)>,
    },
}

#[derive(Debug)]
pub struct ListData<'a> {
    pub state: ListState,
    pub nslots: usize,
    /// `n * nslots` values, element after element.
    pub values: Vec<Value<'a>>,
}

impl<'a> ListData<'a> {
    pub fn len(&self) -> usize {
        match self.state {
            ListState::Items { n, .. } => n,
            _ => 0,
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn item(&self, i: usize) -> &[Value<'a>] {
        &self.values[i * self.nslots..(i + 1) * self.nslots]
    }
}

/// Everything the mapping reads from one record.
#[derive(Debug, Default)]
pub struct Frame<'a> {
    pub slots: Vec<Value<'a>>,
    pub lists: Vec<ListData<'a>>,
}

/// Re-types an emptied vector so its allocation can be reused for values
/// borrowing from the next record (the in-place `collect` reuses the buffer
/// because element size and alignment match; no `unsafe`).
pub fn recycle<'b>(mut v: Vec<Value<'_>>) -> Vec<Value<'b>> {
    v.clear();
    v.into_iter().map(|_| Value::Absent).collect()
}

impl Frame<'_> {
    /// An empty frame shaped for `nslots` record slots and the given lists.
    pub fn new(nslots: usize, list_slots: &[usize]) -> Frame<'static> {
        Frame {
            slots: vec![Value::Absent; nslots],
            lists: list_slots
                .iter()
                .map(|&n| ListData {
                    state: ListState::Absent,
                    nslots: n,
                    values: Vec::new(),
                })
                .collect(),
        }
    }

    /// The same buffers, emptied, ready for the next record.
    pub fn reuse<'b>(self) -> Frame<'b> {
        let n = self.slots.len();
        let mut slots = recycle(self.slots);
        slots.resize_with(n, || Value::Absent);
        Frame {
            slots,
            lists: self
                .lists
                .into_iter()
                .map(|l| ListData {
                    state: ListState::Absent,
                    nslots: l.nslots,
                    values: recycle(l.values),
                })
                .collect(),
        }
    }
}

/// A per-record error: what went wrong, where, and (when there is a useful
/// one) how to fix it. The parts are kept apart so a report can say each of
/// them exactly once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordError {
    pub code: Code,
    /// Why, in words; never repeats the record, the path or the position.
    pub message: String,
    /// The path concerned, when there is one: a source path for input
    /// errors, a target path for mapping errors; list positions in JSON
    /// notation, 0-based (`salesprices[1].endingdate`).
    pub field: Option<String>,
    /// Where, in words for people, numbered from 1 (`price rule 2 of
    /// `salesprices`, field `endingdate``); shown instead of `field`.
    pub place: Option<Box<str>>,
    /// The rule (0-based index in `rules:`, and the span of its `when:`)
    /// whose condition, `error` action or `set` value rejected the record.
    pub rule: Option<Box<(usize, mapc_diag::Span)>>,
    /// How to fix it, when there is a useful hint.
    pub help: Option<Box<str>>,
    /// Byte offset inside the record of a syntax or encoding error; the
    /// record reader turns it into a line and column of the input file.
    pub offset: Option<usize>,
}

impl RecordError {
    pub fn new(code: Code, message: impl Into<String>) -> RecordError {
        RecordError {
            code,
            message: message.into(),
            field: None,
            place: None,
            rule: None,
            help: None,
            offset: None,
        }
    }
    pub fn with_field(mut self, field: impl Into<String>) -> RecordError {
        self.field = Some(field.into());
        self
    }
    pub fn with_place(mut self, place: impl Into<String>) -> RecordError {
        self.place = Some(place.into().into());
        self
    }
    pub fn with_help(mut self, help: impl Into<String>) -> RecordError {
        self.help = Some(help.into().into());
        self
    }
    /// The rule (0-based index, span of its `when:`) that rejected the record.
    pub fn with_rule(mut self, index: usize, span: mapc_diag::Span) -> RecordError {
        self.rule = Some(Box::new((index, span)));
        self
    }
    pub fn syntax(e: SyntaxError) -> RecordError {
        let message = if e.code == Code::R0014 {
            e.msg.to_string()
        } else {
            format!("invalid JSON: {}", e.msg)
        };
        RecordError {
            offset: Some(e.pos),
            ..RecordError::new(e.code, message)
        }
    }

    /// Puts the position of a syntax or encoding error into the message:
    /// `record` is the record's bytes, which start at `line`:`column` of the
    /// input (1-based). A position on the record's first line is given as
    /// a column only (the report already names that line).
    pub fn locate(&mut self, record: &[u8], line: usize, column: usize) {
        let Some(pos) = self.offset.take() else {
            return;
        };
        let pos = pos.min(record.len());
        let before = &record[..pos];
        let chars = |b: &[u8]| b.iter().filter(|&&c| (c & 0xC0) != 0x80).count();
        let (l, col) = match memchr::memrchr(b'\n', before) {
            None => (line, column + chars(before)),
            Some(nl) => (
                line + memchr::memchr_iter(b'\n', before).count(),
                chars(&before[nl + 1..]) + 1,
            ),
        };
        let at = if l == line {
            format!("column {col}")
        } else {
            format!("line {l}, column {col}")
        };
        self.message = match self.message.strip_prefix("invalid JSON: ") {
            Some(rest) => format!("invalid JSON at {at}: {rest}"),
            None => format!("{} (at {at})", self.message),
        };
    }
}

/// Parses one record (the bytes of one JSON value) into `frame`.
pub fn parse_record<'a>(
    text: &'a str,
    proj: &Proj,
    frame: &mut Frame<'a>,
) -> Result<(), RecordError> {
    let b = text.as_bytes();
    let mut p = Parser {
        s: text,
        b,
        i: skip_ws(b, 0),
    };
    match b.get(p.i) {
        Some(b'{') => {
            let Frame { slots, lists } = frame;
            p.object(proj, slots, Some(lists), 0)
                .map_err(|e| p.fail(e))?;
        }
        Some(_) => {
            // Not an object: invalid JSON is reported as such first.
            let kind = match b[p.i] {
                b'[' => "a list",
                b'"' => "a string",
                b't' | b'f' => "a boolean",
                b'n' => "null",
                _ => "a number",
            };
            let end = scan::skip_value(b, p.i, 0).map_err(RecordError::syntax)?;
            if skip_ws(b, end) != b.len() {
                return Err(RecordError::syntax(scan::err(
                    skip_ws(b, end),
                    "unexpected data after the value",
                )));
            }
            return Err(RecordError::new(
                Code::R0001,
                format!("the record is {kind}, not a JSON object"),
            )
            .with_help("each record must be one JSON object `{...}`"));
        }
        None => return Err(RecordError::new(Code::R0005, "the record is empty")),
    }
    let end = skip_ws(b, p.i);
    if end != b.len() {
        return Err(RecordError::syntax(scan::err(
            end,
            "unexpected data after the record",
        )));
    }
    Ok(())
}

/// Parses a complete value (any JSON) into a `Value`, e.g. a test's input or
/// an expected record. Numbers that do not fit are R0002.
pub fn parse_value(text: &str) -> Result<Value<'_>, RecordError> {
    let b = text.as_bytes();
    let mut p = Parser {
        s: text,
        b,
        i: skip_ws(b, 0),
    };
    let v = p.value(0, "").map_err(|e| p.fail(e))?;
    let end = skip_ws(b, p.i);
    if end != b.len() {
        return Err(RecordError::syntax(scan::err(
            end,
            "unexpected data after the value",
        )));
    }
    Ok(v)
}

enum PErr {
    Syntax(SyntaxError),
    Range {
        path: String,
        place: Option<String>,
    },
    /// A key seen before in the same object (`pos`: the second one).
    Duplicate {
        path: String,
        place: Option<String>,
        pos: usize,
    },
}

impl From<SyntaxError> for PErr {
    fn from(e: SyntaxError) -> Self {
        PErr::Syntax(e)
    }
}

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

impl<'a> Parser<'a> {
    fn fail(&self, e: PErr) -> RecordError {
        match e {
            PErr::Syntax(e) => RecordError::syntax(e),
            PErr::Range { path, place } => RecordError {
                place: place.map(String::into_boxed_str),
                ..RecordError::new(
                    Code::R0002,
                    "the number does not fit an exact decimal (at most 28 significant digits and 28 decimal places)",
                )
                .with_field(path)
                .with_help("round the value at the source; an identifier that only looks like a number can be sent as a string")
            },
            PErr::Duplicate { path, place, pos } => RecordError {
                place: place.map(String::into_boxed_str),
                offset: Some(pos),
                ..RecordError::new(
                    Code::R0021,
                    "the key appears twice in one object; which value is meant cannot be told",
                )
                .with_field(path)
                .with_help("send each key once (Dataverse and Business Central never repeat one); fix the program that wrote the record")
            },
        }
    }

    /// A string starting at the opening quote; borrowed when it has no escapes.
    #[inline]
    fn string(&mut self) -> Result<Cow<'a, str>, SyntaxError> {
        let start = self.i + 1;
        let (end, escaped) = scan::scan_string(self.b, start)?;
        self.i = end + 1;
        let raw = self
            .s
            .get(start..end)
            .ok_or_else(|| scan::err(start, "invalid string"))?;
        if escaped {
            scan::unescape(raw, start).map(Cow::Owned)
        } else {
            Ok(Cow::Borrowed(raw))
        }
    }

    /// The raw body of a key (escapes not decoded) and whether it had any.
    #[inline]
    fn raw_key(&mut self) -> Result<(&'a [u8], bool), SyntaxError> {
        if self.b.get(self.i) != Some(&b'"') {
            return Err(scan::err(self.i, "expected a string key"));
        }
        let start = self.i + 1;
        let (end, escaped) = scan::scan_string(self.b, start)?;
        self.i = end + 1;
        Ok((&self.b[start..end], escaped))
    }

    #[inline]
    fn number(&mut self, path: &dyn Fn() -> String) -> Result<Value<'a>, PErr> {
        let start = self.i;
        let end = scan::scan_number(self.b, start)?;
        self.i = end;
        match parse_decimal(&self.b[start..end], false) {
            Ok(d) => Ok(Value::Num(d)),
            Err(NumError::Range) => Err(PErr::Range {
                path: path(),
                place: None,
            }),
            Err(NumError::Syntax) => Err(PErr::Syntax(scan::err(start, "invalid number"))),
        }
    }

    /// Any value, fully materialized.
    fn value(&mut self, depth: usize, path: &str) -> Result<Value<'a>, PErr> {
        match self.b.get(self.i) {
            Some(b'"') => Ok(Value::Str(self.string()?)),
            Some(b'{') => {
                if depth + 1 > MAX_DEPTH {
                    return Err(PErr::Syntax(SyntaxError {
                        pos: self.i,
                        msg: "nesting deeper than 128 levels",
                        code: Code::R0014,
                    }));
                }
                self.i = skip_ws(self.b, self.i + 1);
                let mut entries: Vec<(Cow<'a, str>, Value<'a>)> = Vec::new();
                if self.b.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Ok(Value::Obj(entries));
                }
                loop {
                    if self.b.get(self.i) != Some(&b'"') {
                        return Err(scan::err(self.i, "expected a string key").into());
                    }
                    let at = self.i;
                    let key = self.string()?;
                    self.colon()?;
                    let sub = if path.is_empty() {
                        key.to_string()
                    } else {
                        format!("{path}.{key}")
                    };
                    if entries.iter().any(|(k, _)| *k == key) {
                        return Err(PErr::Duplicate {
                            path: sub,
                            place: None,
                            pos: at,
                        });
                    }
                    let v = self.value(depth + 1, &sub)?;
                    entries.push((key, v));
                    if !self.next_or_close(b'}')? {
                        return Ok(Value::Obj(entries));
                    }
                }
            }
            Some(b'[') => {
                if depth + 1 > MAX_DEPTH {
                    return Err(PErr::Syntax(SyntaxError {
                        pos: self.i,
                        msg: "nesting deeper than 128 levels",
                        code: Code::R0014,
                    }));
                }
                self.i = skip_ws(self.b, self.i + 1);
                let mut items = Vec::new();
                if self.b.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Ok(Value::List(items));
                }
                loop {
                    let sub = format!("{path}[{}]", items.len());
                    items.push(self.value(depth + 1, &sub)?);
                    if !self.next_or_close(b']')? {
                        return Ok(Value::List(items));
                    }
                }
            }
            Some(b't') => {
                self.i = scan::scan_literal(self.b, self.i, b"true")?;
                Ok(Value::Bool(true))
            }
            Some(b'f') => {
                self.i = scan::scan_literal(self.b, self.i, b"false")?;
                Ok(Value::Bool(false))
            }
            Some(b'n') => {
                self.i = scan::scan_literal(self.b, self.i, b"null")?;
                Ok(Value::Null)
            }
            Some(b'-' | b'0'..=b'9') => self.number(&|| path.to_string()),
            Some(_) => Err(scan::err(self.i, "unexpected character, expected a value").into()),
            None => Err(scan::err(self.i, "unexpected end of record, expected a value").into()),
        }
    }

    #[inline]
    fn colon(&mut self) -> Result<(), SyntaxError> {
        self.i = skip_ws(self.b, self.i);
        if self.b.get(self.i) != Some(&b':') {
            return Err(scan::err(self.i, "expected `:` after the key"));
        }
        self.i = skip_ws(self.b, self.i + 1);
        Ok(())
    }

    /// After an element: `,` -> true (positioned at the next element),
    /// the closing bracket -> false.
    #[inline]
    fn next_or_close(&mut self, close: u8) -> Result<bool, SyntaxError> {
        self.i = skip_ws(self.b, self.i);
        match self.b.get(self.i) {
            Some(b',') => {
                self.i = skip_ws(self.b, self.i + 1);
                Ok(true)
            }
            Some(&c) if c == close => {
                self.i += 1;
                Ok(false)
            }
            _ => Err(scan::err(
                self.i,
                if close == b'}' {
                    "expected `,` or `}`"
                } else {
                    "expected `,` or `]`"
                },
            )),
        }
    }

    /// A projected object at `{`: wanted keys go to `slots` (and `lists`).
    fn object(
        &mut self,
        proj: &Proj,
        slots: &mut [Value<'a>],
        mut lists: Option<&mut Vec<ListData<'a>>>,
        depth: usize,
    ) -> Result<(), PErr> {
        if depth + 1 > MAX_DEPTH {
            return Err(PErr::Syntax(SyntaxError {
                pos: self.i,
                msg: "nesting deeper than 128 levels",
                code: Code::R0014,
            }));
        }
        self.i = skip_ws(self.b, self.i + 1);
        if self.b.get(self.i) == Some(&b'}') {
            self.i += 1;
            return Ok(());
        }
        let mut hint = 0usize;
        // The wanted keys seen so far in this object (a bit per child; a
        // list beyond 64 children), to refuse a key that comes twice.
        let mut seen = 0u64;
        let mut seen_more: Vec<usize> = Vec::new();
        loop {
            let at = self.i;
            let (raw, escaped) = self.raw_key()?;
            let found = if escaped {
                let key = scan::unescape(std::str::from_utf8(raw).unwrap_or(""), self.i)?;
                proj.find(key.as_bytes(), usize::MAX)
            } else {
                proj.find(raw, hint)
            };
            self.colon()?;
            match found {
                None => self.i = scan::skip_value(self.b, self.i, depth + 1)?,
                Some(ci) => {
                    let again = if ci < 64 {
                        let bit = 1u64 << ci;
                        let was = seen & bit != 0;
                        seen |= bit;
                        was
                    } else if seen_more.contains(&ci) {
                        true
                    } else {
                        seen_more.push(ci);
                        false
                    };
                    let child = &proj.children[ci];
                    if again {
                        return Err(PErr::Duplicate {
                            path: child.path.to_string(),
                            place: None,
                            pos: at,
                        });
                    }
                    hint = ci + 1;
                    if let Some(p) = child.present {
                        slots[p as usize] = match self.b.get(self.i) {
                            Some(b'{' | b'n') | None => Value::Bool(true),
                            Some(&c) => Value::str(kind_of_byte(c)),
                        };
                    }
                    self.child(child, slots, lists.as_deref_mut(), depth + 1)?;
                }
            }
            if !self.next_or_close(b'}')? {
                return Ok(());
            }
        }
    }

    fn child(
        &mut self,
        child: &ProjChild,
        slots: &mut [Value<'a>],
        lists: Option<&mut Vec<ListData<'a>>>,
        depth: usize,
    ) -> Result<(), PErr> {
        if let Some(slot) = child.whole {
            // The whole value is wanted: materialize it, then serve the
            // sub-projections from it.
            let v = self.value(depth, &child.path)?;
            project_from_value(&v, child, slots, lists);
            slots[slot as usize] = v;
            return Ok(());
        }
        match self.b.get(self.i) {
            Some(b'{') if child.sub.is_some() => {
                let sub = child.sub.as_ref().map_or(&EMPTY, |s| s);
                clear_sub(sub, slots);
                self.object(sub, slots, lists, depth)
            }
            Some(b'[') if child.list.is_some() => {
                let (Some(lp), Some(lists)) = (child.list.as_ref(), lists) else {
                    self.i = scan::skip_value(self.b, self.i, depth)?;
                    return Ok(());
                };
                self.list(lp, &child.path, lists, depth)
            }
            Some(b'n') if child.list.is_some() => {
                self.i = scan::scan_literal(self.b, self.i, b"null")?;
                if let (Some(lp), Some(lists)) = (child.list.as_ref(), lists) {
                    set_list_state(lists, lp, ListState::Null);
                }
                Ok(())
            }
            Some(&c) if child.list.is_some() => {
                let kind = kind_of_byte(c);
                self.i = scan::skip_value(self.b, self.i, depth)?;
                if let (Some(lp), Some(lists)) = (child.list.as_ref(), lists) {
                    set_list_state(lists, lp, ListState::NotList(kind));
                }
                Ok(())
            }
            _ => {
                // Wanted only as an object, but something else is here: the
                // paths below it stay absent (reads are null-safe).
                if let Some(sub) = &child.sub {
                    clear_sub(sub, slots);
                }
                self.i = scan::skip_value(self.b, self.i, depth)?;
                Ok(())
            }
        }
    }

    fn list(
        &mut self,
        lp: &ListProj,
        path: &str,
        lists: &mut [ListData<'a>],
        depth: usize,
    ) -> Result<(), PErr> {
        let data = &mut lists[lp.id as usize];
        data.values.clear();
        let ns = data.nslots;
        if depth + 1 > MAX_DEPTH {
            return Err(PErr::Syntax(SyntaxError {
                pos: self.i,
                msg: "nesting deeper than 128 levels",
                code: Code::R0014,
            }));
        }
        self.i = skip_ws(self.b, self.i + 1);
        let mut n = 0usize;
        let mut bad_item = None;
        if self.b.get(self.i) == Some(&b']') {
            self.i += 1;
            data.state = ListState::Items {
                n: 0,
                bad_item: None,
            };
            return Ok(());
        }
        loop {
            let base = data.values.len();
            data.values.resize_with(base + ns, || Value::Absent);
            match self.b.get(self.i) {
                Some(b'{') => {
                    let elem = &mut data.values[base..base + ns];
                    self.object(&lp.elem, elem, None, depth + 1)
                        .map_err(|e| match e {
                            PErr::Range { path: p, .. } => PErr::Range {
                                place: Some(format!("item {} of `{path}`, field `{p}`", n + 1)),
                                path: format!("{path}[{n}].{p}"),
                            },
                            PErr::Duplicate { path: p, pos, .. } => PErr::Duplicate {
                                place: Some(format!("item {} of `{path}`, field `{p}`", n + 1)),
                                path: format!("{path}[{n}].{p}"),
                                pos,
                            },
                            other => other,
                        })?;
                }
                Some(&c) => {
                    if bad_item.is_none() {
                        bad_item = Some((n, kind_of_byte(c)));
                    }
                    self.i = scan::skip_value(self.b, self.i, depth + 1)?;
                }
                None => return Err(scan::err(self.i, "unexpected end of record in a list").into()),
            }
            n += 1;
            if !self.next_or_close(b']')? {
                data.state = ListState::Items { n, bad_item };
                return Ok(());
            }
        }
    }
}

static EMPTY: Proj = Proj {
    children: Vec::new(),
};

fn kind_of_byte(c: u8) -> &'static str {
    match c {
        b'{' => "an object",
        b'[' => "a list",
        b'"' => "a string",
        b't' | b'f' => "a boolean",
        b'n' => "null",
        _ => "a number",
    }
}

fn set_list_state(lists: &mut [ListData], lp: &ListProj, st: ListState) {
    let d = &mut lists[lp.id as usize];
    d.values.clear();
    d.state = st;
}

/// A value that is not an object where one was wanted: reset what its
/// sub-projection would have set.
fn clear_sub(proj: &Proj, slots: &mut [Value]) {
    for c in &proj.children {
        if let Some(s) = c.whole {
            slots[s as usize] = Value::Absent;
        }
        if let Some(sub) = &c.sub {
            clear_sub(sub, slots);
        }
    }
}

/// Serves a projection from an already materialized value (used when a
/// path is wanted whole and also below: `from: customer` plus `customer.name`).
pub fn project_from_value<'a>(
    v: &Value<'a>,
    child: &ProjChild,
    slots: &mut [Value<'a>],
    lists: Option<&mut Vec<ListData<'a>>>,
) {
    if let Some(sub) = &child.sub {
        match v {
            Value::Obj(_) => project_object(v, sub, slots),
            _ => clear_sub(sub, slots),
        }
    }
    let Some(lists) = lists else { return };
    for lp in child.list.iter().chain(&child.more_lists) {
        let data = &mut lists[lp.id as usize];
        data.values.clear();
        data.state = match v {
            Value::Absent => ListState::Absent,
            Value::Null => ListState::Null,
            Value::List(items) => {
                let mut bad_item = None;
                for (i, item) in items.iter().enumerate() {
                    let base = data.values.len();
                    data.values
                        .resize_with(base + data.nslots, || Value::Absent);
                    match item {
                        Value::Obj(_) => project_object(item, &lp.elem, &mut data.values[base..]),
                        other => {
                            if bad_item.is_none() {
                                bad_item = Some((i, other.kind_name()));
                            }
                        }
                    }
                }
                ListState::Items {
                    n: items.len(),
                    bad_item,
                }
            }
            other => ListState::NotList(other.kind_name()),
        };
    }
}

fn project_object<'a>(obj: &Value<'a>, proj: &Proj, slots: &mut [Value<'a>]) {
    for c in &proj.children {
        let v = obj.get(&c.key).cloned().unwrap_or(Value::Absent);
        if let Some(s) = c.whole {
            slots[s as usize] = v.clone();
        }
        if let Some(sub) = &c.sub {
            match &v {
                Value::Obj(_) => project_object(&v, sub, slots),
                _ => clear_sub(sub, slots),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proj_of(paths: &[&str]) -> (Proj, usize) {
        let mut root = Proj::default();
        for (slot, p) in paths.iter().enumerate() {
            let segs: Vec<&str> = p.split('.').collect();
            let mut node = &mut root;
            for (i, s) in segs.iter().enumerate() {
                let path = segs[..=i].join(".");
                let c = node.child(s, &path);
                if i + 1 == segs.len() {
                    c.whole = Some(slot as u32);
                    break;
                }
                node = c.sub.get_or_insert_with(Proj::default);
            }
        }
        (root, paths.len())
    }

    #[test]
    fn projects_only_wanted_keys() {
        let (p, n) = proj_of(&["a", "c.d", "e"]);
        let mut f = Frame::new(n, &[]);
        let text = r#"{"a": "x", "b": [1, {"z": 2}], "c": {"d": 45.10, "q": null}, "zz": true}"#;
        parse_record(text, &p, &mut f).unwrap();
        assert_eq!(f.slots[0], Value::str("x"));
        assert_eq!(
            crate::value::decimal_text(&match &f.slots[1] {
                Value::Num(d) => *d,
                _ => panic!(),
            }),
            "45.10"
        );
        assert_eq!(f.slots[2], Value::Absent);
    }

    #[test]
    fn escaped_keys_and_strings() {
        let (p, n) = proj_of(&["ab"]);
        let mut f = Frame::new(n, &[]);
        parse_record(r#"{"a\u0062": "q\"x"}"#, &p, &mut f).unwrap();
        assert_eq!(f.slots[0], Value::Str(Cow::Owned("q\"x".into())));
    }

    #[test]
    fn errors_are_classified() {
        let (p, n) = proj_of(&["a"]);
        let run = |t: &str| {
            let mut f = Frame::new(n, &[]);
            parse_record(t, &p, &mut f).err().map(|e| (e.code, e.field))
        };
        assert_eq!(run(r#"[1,2]"#), Some((Code::R0001, None)));
        assert_eq!(run(r#""s""#), Some((Code::R0001, None)));
        assert_eq!(
            run(r#"{"a": 1234567890123456789012345678901234567890}"#),
            Some((Code::R0002, Some("a".into())))
        );
        // An unread huge number is not an error: nothing reads it.
        assert_eq!(
            run(r#"{"b": 1234567890123456789012345678901234567890}"#),
            None
        );
        assert_eq!(run(r#"{"a": 1,}"#).map(|e| e.0), Some(Code::R0005));
        assert_eq!(run(r#"{"b": [1,}"#).map(|e| e.0), Some(Code::R0005));
        assert_eq!(run(r#"{"a": 1} x"#).map(|e| e.0), Some(Code::R0005));
        assert_eq!(run(r#""#).map(|e| e.0), Some(Code::R0005));
    }

    #[test]
    fn a_key_that_comes_twice_rejects_the_record() {
        let (p, n) = proj_of(&["a", "c.d", "w"]);
        let run = |t: &str| {
            let mut f = Frame::new(n, &[]);
            parse_record(t, &p, &mut f)
                .err()
                .map(|e| (e.code, e.field, e.offset))
        };
        assert_eq!(
            run(r#"{"a": 1, "a": 2}"#),
            Some((Code::R0021, Some("a".into()), Some(9)))
        );
        assert_eq!(
            run(r#"{"c": {"d": 1, "d": 2}}"#).map(|e| (e.0, e.1)),
            Some((Code::R0021, Some("c.d".into())))
        );
        // Escaped spellings of the same key are the same key.
        assert_eq!(
            run(r#"{"a": 1, "\u0061": 2}"#).map(|e| e.0),
            Some(Code::R0021)
        );
        // Inside a value read whole.
        assert_eq!(
            run(r#"{"w": {"x": 1, "x": 2}}"#).map(|e| (e.0, e.1)),
            Some((Code::R0021, Some("w.x".into())))
        );
        // Keys the mapping does not read are skipped unread.
        assert_eq!(run(r#"{"b": 1, "b": 2, "a": 3}"#), None);
        assert_eq!(
            parse_value(r#"{"k": [{"x": 1, "x": 1}]}"#)
                .map(|_| ())
                .map_err(|e| e.code),
            Err(Code::R0021)
        );
    }

    #[test]
    fn lists_project_elements() {
        let mut root = Proj::default();
        let c = root.child("lines", "lines");
        let mut elem = Proj::default();
        elem.child("q", "q").whole = Some(0);
        c.list = Some(ListProj {
            id: 0,
            elem,
            nslots: 1,
        });
        let mut f = Frame::new(0, &[1]);
        parse_record(
            r#"{"lines": [{"q": 1, "x": 2}, {"y": 3}, 7]}"#,
            &root,
            &mut f,
        )
        .unwrap();
        let l = &f.lists[0];
        assert_eq!(
            l.state,
            ListState::Items {
                n: 3,
                bad_item: Some((2, "a number"))
            }
        );
        assert!(matches!(l.item(0)[0], Value::Num(_)));
        assert_eq!(l.item(1)[0], Value::Absent);
        let mut f = f.reuse();
        parse_record(r#"{"lines": null}"#, &root, &mut f).unwrap();
        assert_eq!(f.lists[0].state, ListState::Null);
    }
}
