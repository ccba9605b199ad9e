//! CSV: the header row names the keys, every other row is one record. An
//! empty cell is null: CSV has no other way to say "no value", and users
//! expect `default:` and `on_null:` to apply to it (as spreadsheet and
//! Dataverse imports treat blanks).
//!
//! **Values** are text unless the column has a type ([`CsvOptions::types`]:
//! from the source's cached `$metadata`, else the file connection's
//! `columns:`): an `integer` or `decimal` cell is read with the exact
//! decimal parser (never binary floating point) and becomes a number, a
//! `boolean` cell `true`/`false` (any case), a `date` cell `YYYY-MM-DD`,
//! a `datetime` cell an RFC 3339 date-time (written in UTC), a `guid` cell a
//! checked GUID; blanks around a typed value are ignored. A cell that is not
//! of its column's type rejects the record with R0017 naming the column and
//! the value (R0002 for a number too large to hold exactly).
//!
//! **Delimiter**: `,`, `;`, a tab or `|`: given ([`CsvOptions::delimiter`]),
//! or detected from the header row: the one of them that occurs outside
//! quotes. When several occur, the one that splits the header into the
//! columns the mapping reads wins; when that does not decide, the file is
//! refused (R0019) rather than guessed. A detected delimiter other than `,`
//! is said in a note.
//!
//! **Header**: a dotted header (`customer.name`) nests (`{"customer":
//! {"name": ...}}`), so related-record paths work on CSV input as they do
//! on JSON. A repeated header, or one that is both a column and the prefix
//! of another (`customer` and `customer.name`), and a header without a
//! column the mapping reads ([`CsvOptions::required`]; with a did-you-mean
//! from the header's names) make the file unreadable (R0018, exit 2)
//! rather than giving null for every record. A UTF-8 byte order mark
//! before the header is dropped.
//!
//! **Rows** follow RFC 4180: a value in double quotes may hold the
//! delimiter, line breaks and `""` (a quote); a quote inside an unquoted
//! value is an ordinary character (`27" monitor`). A row with a different
//! number of cells than the header is R0006, and so is a row with a **stray
//! quote**: a closing quote followed by anything but the delimiter or the
//! end of the line (`"27" monitor"`, or a quote left open on one row that
//! closes in front of a later row's text), and a quote still open at the end
//! of the input. Such a row is rejected whole (the lines it took in are
//! named), never read as a merged value. Lines are physical lines of the
//! file: `\n`, `\r\n` and a lone `\r` each end one, blank lines count but
//! are not records. The report names the record's key when the row has
//! the key column. A cell that is not UTF-8 is R0007.

use super::{too_large, Batch, InputError, Item, Note, Source, BATCH_BYTES, MAX_RECORD_BYTES};
use mapc_diag::Code;
use mapc_ir::Type;
use mapc_value::json::parse::RecordError;
use mapc_value::json::write::write_str;
use mapc_value::{
    parse_date_like, parse_decimal, write_datetime, write_decimal, DateLike, NumError,
};
use std::io::Read;

/// How a CSV file is read; the default detects the delimiter and reads
/// every value as text.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CsvOptions {
    /// The delimiter; `None` detects it from the header row.
    pub delimiter: Option<u8>,
    /// Column types by header name (dotted for related records). Types
    /// other than string, integer, decimal, boolean, date, datetime and
    /// guid are ignored.
    pub types: Vec<(String, Type)>,
    /// The columns the mapping reads (dotted paths). Each must be a header,
    /// or the prefix of dotted headers (a related record read whole).
    pub required: Vec<String>,
}

/// The header row: column names, the tree that nests dotted names, and
/// each column's type.
struct Header {
    names: Vec<String>,
    tree: Vec<(String, HNode)>,
    types: Vec<Option<Type>>,
}

enum HNode {
    Col(usize),
    Obj(Vec<(String, HNode)>),
}

/// One parsed row: the unescaped cells, each cell's first line, and what
/// was wrong with its quoting.
#[derive(Default)]
struct Row {
    cells: Vec<u8>,
    ends: Vec<usize>,
    lines: Vec<usize>,
    /// The physical line the row starts on.
    line: usize,
    /// The physical line after the row.
    next_line: usize,
    problem: Option<Problem>,
}

#[derive(Clone, Copy)]
enum Problem {
    /// A quote that closed a value opened on `opened` was followed by
    /// `next` on `line`, column `column`.
    Stray {
        opened: usize,
        line: usize,
        column: usize,
        next: char,
    },
    /// The value opened on `opened` is still open at the end of the input.
    Unclosed { opened: usize },
}

impl Row {
    fn len(&self) -> usize {
        self.ends.len()
    }
    fn get(&self, i: usize) -> Option<&[u8]> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.cells.get(start..end)
    }
    fn clear(&mut self, line: usize) {
        self.cells.clear();
        self.ends.clear();
        self.lines.clear();
        self.line = line;
        self.next_line = line;
        self.problem = None;
    }
}

/// What one parse step found.
enum Step {
    /// A row ends at this offset (after its line break).
    Row(usize),
    /// Only blank lines up to the end of the input.
    End,
    /// The input ends in the middle of the row: read more.
    More,
}

/// The number of line breaks in `b`: `\n`, `\r\n` and a lone `\r`.
fn breaks(b: &[u8]) -> usize {
    let lf = memchr::memchr_iter(b'\n', b).count();
    let lone_cr = memchr::memchr_iter(b'\r', b)
        .filter(|&i| b.get(i + 1) != Some(&b'\n'))
        .count();
    lf + lone_cr
}

/// Characters (not bytes) in `b`.
fn chars(b: &[u8]) -> usize {
    b.iter().filter(|&&c| (c & 0xC0) != 0x80).count()
}

/// Appends the cell text from `i` up to the delimiter or a line break (or
/// the end of the input, at `eof`) to `cells`; the offset it ends at, or
/// `None` when the input ends first and more is to come.
fn rest_of_cell(b: &[u8], i: usize, eof: bool, delim: u8, cells: &mut Vec<u8>) -> Option<usize> {
    match memchr::memchr3(delim, b'\n', b'\r', &b[i..]) {
        Some(k) => {
            cells.extend_from_slice(&b[i..i + k]);
            Some(i + k)
        }
        None if eof => {
            cells.extend_from_slice(&b[i..]);
            Some(b.len())
        }
        None => None,
    }
}

/// Parses the row starting at `start` of `b` (blank lines before it are
/// skipped) with `delim`; `line` is the physical line at `start`.
fn parse_row(b: &[u8], start: usize, eof: bool, delim: u8, line: usize, row: &mut Row) -> Step {
    let mut line = line;
    let mut i = start;
    // Blank lines.
    loop {
        match b.get(i) {
            Some(b'\n') => {
                i += 1;
                line += 1;
            }
            Some(b'\r') => match b.get(i + 1) {
                Some(b'\n') => {
                    i += 2;
                    line += 1;
                }
                Some(_) => {
                    i += 1;
                    line += 1;
                }
                None if eof => {
                    i += 1;
                    line += 1;
                }
                None => return Step::More,
            },
            Some(_) => break,
            None if eof => {
                row.clear(line);
                return Step::End;
            }
            None => return Step::More,
        }
    }
    row.clear(line);
    // The offset where the current physical line starts (for columns).
    let mut line_start = i;
    loop {
        // One cell starts at `i`.
        row.lines.push(line);
        if b.get(i) == Some(&b'"') {
            let opened = line;
            i += 1;
            loop {
                let Some(k) = memchr::memchr(b'"', &b[i..]) else {
                    if !eof {
                        return Step::More;
                    }
                    let rest = &b[i..];
                    row.cells.extend_from_slice(rest);
                    line += breaks(rest);
                    row.ends.push(row.cells.len());
                    row.problem.get_or_insert(Problem::Unclosed { opened });
                    // The last line of the row is the one the input ends on
                    // (before a final line break).
                    row.next_line = if rest.ends_with(b"\n") || rest.ends_with(b"\r") {
                        line
                    } else {
                        line + 1
                    };
                    return Step::Row(b.len());
                };
                let part = &b[i..i + k];
                row.cells.extend_from_slice(part);
                let n = breaks(part);
                if n > 0 {
                    line += n;
                    line_start = i + 1 + memchr::memrchr2(b'\n', b'\r', part).unwrap_or(0);
                }
                let quote = i + k;
                i = quote + 1;
                match b.get(i) {
                    None if !eof => return Step::More,
                    Some(b'"') => {
                        row.cells.push(b'"');
                        i += 1;
                    }
                    // The value ends here.
                    None | Some(b'\n' | b'\r') => break,
                    Some(&c) if c == delim => break,
                    Some(_) => {
                        // A stray quote: the rest up to the delimiter or
                        // the end of the line is taken as it is, and the
                        // row is rejected.
                        let next = std::str::from_utf8(&b[i..(i + 4).min(b.len())])
                            .ok()
                            .or_else(|| std::str::from_utf8(&b[i..i + 1]).ok())
                            .and_then(|s| s.chars().next())
                            .unwrap_or('\u{FFFD}');
                        row.problem.get_or_insert(Problem::Stray {
                            opened,
                            line,
                            column: chars(&b[line_start..quote]) + 1,
                            next,
                        });
                        row.cells.push(b'"');
                        let Some(end) = rest_of_cell(b, i, eof, delim, &mut row.cells) else {
                            return Step::More;
                        };
                        i = end;
                        break;
                    }
                }
            }
        } else {
            let Some(end) = rest_of_cell(b, i, eof, delim, &mut row.cells) else {
                return Step::More;
            };
            i = end;
        }
        row.ends.push(row.cells.len());
        // `i` is at the delimiter, a line break or the end of the input.
        match b.get(i) {
            Some(&c) if c == delim => {
                i += 1;
                continue;
            }
            Some(b'\n') => {
                row.next_line = line + 1;
                return Step::Row(i + 1);
            }
            Some(b'\r') => match b.get(i + 1) {
                Some(b'\n') => {
                    row.next_line = line + 1;
                    return Step::Row(i + 2);
                }
                None if !eof => return Step::More,
                _ => {
                    row.next_line = line + 1;
                    return Step::Row(i + 1);
                }
            },
            _ => {
                row.next_line = line + 1;
                return Step::Row(i);
            }
        }
    }
}

/// Counts the candidate delimiters outside quotes in the first row of `b`;
/// `None` when the row is not complete yet.
fn count_delimiters(b: &[u8], eof: bool) -> Option<[usize; 4]> {
    let mut counts = [0usize; 4];
    let mut quoted = false;
    for &c in b {
        match c {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => return Some(counts),
            _ if !quoted => {
                if let Some(k) = mapc_ir::csv::CSV_DELIMITERS
                    .iter()
                    .position(|(d, _)| *d == c)
                {
                    counts[k] += 1;
                }
            }
            _ => {}
        }
    }
    eof.then_some(counts)
}

fn input_error(code: Code, message: String, help: Option<String>) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        InputError {
            code,
            message,
            help,
        },
    )
}

pub struct CsvSource<R: Read> {
    name: String,
    r: R,
    buf: Vec<u8>,
    pos: usize,
    /// The physical line at `buf[pos]`.
    line: usize,
    eof: bool,
    opts: CsvOptions,
    delim: u8,
    header: Option<Header>,
    row: Row,
    index: usize,
    done: bool,
    notes: Vec<Note>,
}

impl<R: Read> CsvSource<R> {
    pub fn new(name: String, r: R) -> Self {
        CsvSource::with_options(name, r, CsvOptions::default())
    }

    pub fn with_options(name: String, r: R, opts: CsvOptions) -> Self {
        CsvSource {
            name,
            r,
            buf: Vec::new(),
            pos: 0,
            line: 1,
            eof: false,
            delim: opts.delimiter.unwrap_or(b','),
            opts,
            header: None,
            row: Row::default(),
            index: 0,
            done: false,
            notes: Vec::new(),
        }
    }

    /// Reads more input, keeping the unread part.
    fn more(&mut self) -> std::io::Result<()> {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        super::trim(&mut self.buf, super::KEEP_BYTES);
        let want = BATCH_BYTES.max(self.buf.len());
        if super::read_more(&mut self.r, &mut self.buf, want)? == 0 {
            self.eof = true;
        }
        Ok(())
    }

    /// Parses the next row into `self.row`; `Ok(None)` at the end of the
    /// input, `Ok(Some(Err))` for a row too large to hold (the rest of the
    /// file is then not read).
    fn next_row(&mut self) -> std::io::Result<Option<Result<(), RecordError>>> {
        loop {
            match parse_row(
                &self.buf,
                self.pos,
                self.eof,
                self.delim,
                self.line,
                &mut self.row,
            ) {
                Step::Row(end) => {
                    self.pos = end;
                    self.line = self.row.next_line;
                    return Ok(Some(Ok(())));
                }
                Step::End => {
                    self.pos = self.buf.len();
                    return Ok(None);
                }
                Step::More => {
                    if self.buf.len() - self.pos > MAX_RECORD_BYTES {
                        self.done = true;
                        let quotes = memchr::memchr_iter(b'"', &self.buf[self.pos..]).count();
                        let e = if quotes % 2 == 1 {
                            RecordError::new(
                                Code::R0006,
                                format!("unclosed quote: a quoted value runs on for more than {MAX_RECORD_BYTES} bytes; the rest of the file is not read"),
                            )
                            .with_help("close the quote; a quote inside a quoted value is written twice (`\"5\"\" disk\"`)")
                        } else {
                            too_large(self.buf.len() - self.pos)
                        };
                        self.row.clear(self.line);
                        return Ok(Some(Err(e)));
                    }
                    if self.eof {
                        // Cannot happen: at the end of the input every step decides.
                        return Ok(None);
                    }
                    self.more()?;
                }
            }
        }
    }

    /// Reads the header row: delimiter, names, nesting, types, and the
    /// columns the mapping reads. `Ok(false)` for an empty input.
    fn read_header(&mut self) -> std::io::Result<bool> {
        // The whole first line (outside quotes) is needed to detect the delimiter.
        let counts = loop {
            if self.buf[self.pos..].starts_with(b"\xEF\xBB\xBF") {
                self.pos += 3;
            }
            let rest = &self.buf[self.pos..];
            if rest.len() >= 2 && (rest.starts_with(b"\xFF\xFE") || rest.starts_with(b"\xFE\xFF")) {
                return Err(input_error(
                    Code::R0018,
                    "the file is UTF-16 text, not UTF-8".into(),
                    Some(
                        "save the CSV file as UTF-8 (in Excel: \"CSV UTF-8 (comma delimited)\")"
                            .into(),
                    ),
                ));
            }
            if rest.len() < 3 && !self.eof && b"\xEF\xBB\xBF".starts_with(rest) {
                self.more()?;
                continue;
            }
            match count_delimiters(rest, self.eof) {
                Some(c) => break c,
                None if self.buf.len() - self.pos > MAX_RECORD_BYTES => {
                    return Err(input_error(
                        Code::R0018,
                        format!("the header row is longer than {MAX_RECORD_BYTES} bytes (an unclosed quote?)"),
                        None,
                    ))
                }
                None => self.more()?,
            }
        };
        if self.opts.delimiter.is_none() {
            self.delim = self.detect(counts)?;
        }
        let row = match self.next_row()? {
            None => return Ok(false),
            Some(Ok(())) => &self.row,
            Some(Err(e)) => {
                return Err(input_error(
                    Code::R0018,
                    format!("the header row: {}", e.message),
                    None,
                ))
            }
        };
        if let Some(p) = row.problem {
            return Err(input_error(
                Code::R0018,
                format!(
                    "the header row on line {} has {}",
                    row.line,
                    match p {
                        Problem::Stray { .. } => "a stray quote",
                        Problem::Unclosed { .. } => "a quote that is never closed",
                    }
                ),
                Some("quote a header name as a whole (`\"Amount, net\"`), or not at all".into()),
            ));
        }
        let mut names = Vec::new();
        for i in 0..row.len() {
            let cell = row.get(i).unwrap_or_default();
            let s = std::str::from_utf8(cell).map_err(|_| {
                input_error(
                    Code::R0018,
                    format!("header {} is not valid UTF-8", i + 1),
                    Some("save the CSV file as UTF-8".into()),
                )
            })?;
            names.push(s.to_string());
        }
        let tree = nest(&names)?;
        self.check_required(&names)?;
        let types = names
            .iter()
            .map(|n| {
                self.opts
                    .types
                    .iter()
                    .find(|(c, _)| c == n)
                    .map(|(_, t)| t.clone())
                    .filter(|t| !matches!(t, Type::String))
            })
            .collect();
        self.header = Some(Header { names, tree, types });
        Ok(true)
    }

    /// The delimiter of the header row whose counts are `counts`.
    fn detect(&mut self, counts: [usize; 4]) -> std::io::Result<u8> {
        let found: Vec<usize> = (0..4).filter(|&k| counts[k] > 0).collect();
        let pick = match found.as_slice() {
            [] => return Ok(b','),
            [k] => *k,
            _ => {
                // The one that yields every column the mapping reads.
                let fits: Vec<usize> = if self.opts.required.is_empty() {
                    Vec::new()
                } else {
                    found
                        .iter()
                        .copied()
                        .filter(|&k| {
                            let d = mapc_ir::csv::CSV_DELIMITERS[k].0;
                            let mut row = Row::default();
                            if !matches!(
                                parse_row(&self.buf, self.pos, true, d, 1, &mut row),
                                Step::Row(_)
                            ) {
                                return false;
                            }
                            let names: Vec<String> = (0..row.len())
                                .map(|i| {
                                    String::from_utf8_lossy(row.get(i).unwrap_or_default())
                                        .into_owned()
                                })
                                .collect();
                            missing(&self.opts.required, &names).is_empty()
                        })
                        .collect()
                };
                match fits.as_slice() {
                    [k] => *k,
                    _ => {
                        let list: Vec<String> = found
                            .iter()
                            .map(|&k| {
                                let n = counts[k];
                                format!(
                                    "{} ({n} time{})",
                                    mapc_ir::csv::CSV_DELIMITERS[k].1,
                                    if n == 1 { "" } else { "s" }
                                )
                            })
                            .collect();
                        return Err(input_error(
                            Code::R0019,
                            format!(
                                "cannot tell which character separates the columns: the header row holds {}",
                                list.join(" and ")
                            ),
                            Some("name the delimiter: `delimiter: \";\"` on the file connection, or `--csv-delimiter ';'`".into()),
                        ));
                    }
                }
            }
        };
        let (d, name) = mapc_ir::csv::CSV_DELIMITERS[pick];
        if d != b',' {
            self.notes.push(Note {
                code: None,
                message: format!(
                    "the columns are separated by {name} (detected from the header row; `delimiter:` on the file connection or `--csv-delimiter` sets it)"
                ),
            });
        }
        Ok(d)
    }

    /// R0018 when a column the mapping reads (or a declared column) is not
    /// in the header.
    fn check_required(&self, names: &[String]) -> std::io::Result<()> {
        let mut want: Vec<String> = self.opts.required.clone();
        for (n, _) in &self.opts.types {
            if !want.contains(n) {
                want.push(n.clone());
            }
        }
        let miss = missing(&want, names);
        if miss.is_empty() {
            return Ok(());
        }
        let shown: Vec<String> = miss
            .iter()
            .map(
                |m| match mapc_diag::did_you_mean(m, names.iter().map(String::as_str)) {
                    Some(s) => format!("`{m}` (did you mean `{s}`?)"),
                    None => format!("`{m}`"),
                },
            )
            .collect();
        let (d, dname) = mapc_ir::csv::CSV_DELIMITERS
            .iter()
            .copied()
            .find(|(d, _)| *d == self.delim)
            .unwrap_or((b',', "`,`"));
        let other = names.len() == 1
            && mapc_ir::csv::CSV_DELIMITERS
                .iter()
                .any(|(o, _)| *o != d && names[0].as_bytes().contains(o));
        let help = if other {
            format!("the header is read as one column split by {dname}; name the file's delimiter with `delimiter:` on the file connection or `--csv-delimiter`")
        } else {
            format!(
                "the header has: {}; rename the column in the file, or fix the path in the spec",
                mapc_diag::code_list(names.iter().take(30))
            )
        };
        let read = miss.iter().all(|m| self.opts.required.contains(m));
        Err(input_error(
            Code::R0018,
            format!(
                "the header has no column{} {}, which {}",
                if miss.len() == 1 { "" } else { "s" },
                shown.join(", "),
                if read {
                    "the mapping reads"
                } else {
                    "the mapping reads or the file connection's `columns:` declares"
                }
            ),
            Some(help),
        ))
    }
}

/// The paths of `want` that no header of `names` provides (exactly, or as
/// the prefix of dotted headers).
fn missing(want: &[String], names: &[String]) -> Vec<String> {
    want.iter()
        .filter(|w| {
            !names.iter().any(|n| {
                n == *w
                    || n.strip_prefix(w.as_str())
                        .is_some_and(|rest| rest.starts_with('.'))
            })
        })
        .cloned()
        .collect()
}

/// The tree that nests dotted header names.
fn nest(names: &[String]) -> std::io::Result<Vec<(String, HNode)>> {
    let bad = |m: String| {
        input_error(
            Code::R0018,
            m,
            Some("give every column its own name".into()),
        )
    };
    let mut root: Vec<(String, HNode)> = Vec::new();
    for (col, name) in names.iter().enumerate() {
        let segs: Vec<&str> = name.split('.').collect();
        // A name no path can reach (an empty segment, or more segments than
        // a path may have) stays one flat key, so the tree (and every walk
        // over it) is never deeper than a path.
        let segs = if segs.iter().any(|s| s.is_empty()) || segs.len() > mapc_ir::MAX_PATH_SEGMENTS {
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
                        "the header `{name}` appears twice, or is also the prefix of another header"
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
                        "the header `{name}` nests under `{}`, which is also a column of its own",
                        segs[..=k].join(".")
                    )))
                }
            }
        }
    }
    Ok(root)
}

/// Why a cell could not be written.
enum CellError {
    Utf8(usize),
    /// Column, message, code.
    Type(usize, String, Code),
}

/// Writes one typed cell as a JSON value.
fn write_cell(s: &str, ty: Option<&Type>, out: &mut Vec<u8>) -> Result<(), (String, Code)> {
    let Some(ty) = ty else {
        write_str(s, out);
        return Ok(());
    };
    let t = s.trim_matches([' ', '\t']);
    let shown = clip(s);
    let not = |what: &str| (format!("the value `{shown}` is not {what}"), Code::R0017);
    match ty {
        Type::Integer | Type::Decimal => match parse_decimal(t.as_bytes(), true) {
            Ok(d) if *ty == Type::Integer => {
                let n = d.normalize();
                if n.scale() != 0 {
                    return Err(not("an integer"));
                }
                write_decimal(&n, out);
            }
            Ok(d) => write_decimal(&d, out),
            Err(NumError::Range) => {
                return Err((
                    format!("the value `{shown}` does not fit an exact decimal (at most 28 significant digits and 28 decimal places)"),
                    Code::R0002,
                ))
            }
            Err(NumError::Syntax) => {
                return Err(not(if *ty == Type::Integer {
                    "an integer"
                } else {
                    "a decimal number (digits with a `.` for decimals, no thousands separators)"
                }))
            }
        },
        Type::Bool => {
            if t.eq_ignore_ascii_case("true") {
                out.extend_from_slice(b"true");
            } else if t.eq_ignore_ascii_case("false") {
                out.extend_from_slice(b"false");
            } else {
                return Err(not("a boolean (`true` or `false`)"));
            }
        }
        Type::Date => match parse_date_like(t) {
            Some(DateLike::Date(_)) => write_str(t, out),
            _ => return Err(not("a date (YYYY-MM-DD)")),
        },
        Type::DateTime => match parse_date_like(t) {
            Some(DateLike::DateTime(ts)) => {
                let mut text = Vec::new();
                write_datetime(ts, &mut text);
                write_str(&String::from_utf8_lossy(&text), out);
            }
            _ => return Err(not("a date-time (RFC 3339, e.g. 2026-03-01T09:30:00Z)")),
        },
        Type::Guid => {
            if is_guid(t) {
                write_str(t, out);
            } else {
                return Err(not("a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)"));
            }
        }
        _ => write_str(s, out),
    }
    Ok(())
}

/// A value as a message shows it: at most 60 characters.
fn clip(s: &str) -> String {
    match s.char_indices().nth(60) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_string(),
    }
}

fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// The cells of a broken row as an untyped JSON object appended to `out`,
/// for naming the record by its key ([`Item::salvage`]); `None` (and `out`
/// as it was) when they do not make one within [`MAX_RECORD_BYTES`].
fn salvage_of(
    nodes: &[(String, HNode)],
    row: &Row,
    out: &mut Vec<u8>,
) -> Option<std::ops::Range<usize>> {
    let s = out.len();
    if write_obj(nodes, row, &[], out).is_ok() && out.len() - s <= MAX_RECORD_BYTES {
        Some(s..out.len())
    } else {
        out.truncate(s);
        None
    }
}

fn write_obj(
    nodes: &[(String, HNode)],
    row: &Row,
    types: &[Option<Type>],
    out: &mut Vec<u8>,
) -> Result<(), CellError> {
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
                let s = std::str::from_utf8(cell).map_err(|_| CellError::Utf8(*c))?;
                if s.is_empty() {
                    out.extend_from_slice(b"null");
                } else {
                    write_cell(s, types.get(*c).and_then(Option::as_ref), out)
                        .map_err(|(m, code)| CellError::Type(*c, m, code))?;
                }
            }
            HNode::Obj(children) => write_obj(children, row, types, out)?,
        }
    }
    out.push(b'}');
    Ok(())
}

impl<R: Read + Send> Source for CsvSource<R> {
    fn name(&self) -> &str {
        &self.name
    }

    fn notes(&mut self) -> Vec<Note> {
        std::mem::take(&mut self.notes)
    }

    fn next_batch(&mut self, batch: &mut Batch) -> std::io::Result<bool> {
        batch.data.clear();
        batch.items.clear();
        if self.done {
            return Ok(false);
        }
        if self.header.is_none() {
            if self.buf.is_empty() && !self.eof {
                self.more()?;
            }
            if !self.read_header()? {
                self.done = true;
                return Ok(false);
            }
        }
        while batch.data.len() < BATCH_BYTES && !self.done {
            let parsed = match self.next_row()? {
                None => {
                    self.done = true;
                    break;
                }
                Some(p) => p,
            };
            let Some(header) = &self.header else {
                break;
            };
            let row = &self.row;
            let line = row.line;
            if let Err(e) = parsed {
                batch.items.push(Item::new(self.index, line, Err(e)));
                self.index += 1;
                break;
            }
            let plural = |n: usize| if n == 1 { "" } else { "s" };
            let last = row.next_line.saturating_sub(1).max(line);
            let lines = if last > line {
                format!(" (lines {line} to {last} are one row)")
            } else {
                String::new()
            };
            let shape = match row.problem {
                Some(Problem::Unclosed { opened }) => Some(
                    RecordError::new(
                        Code::R0006,
                        if last > opened {
                            format!(
                                "unclosed quote: the quoted value opened on line {opened} never ends, so it takes in the rest of the input (lines {opened} to {last})"
                            )
                        } else {
                            "unclosed quote: a quoted value in this row never ends".to_string()
                        },
                    )
                    .with_help("close the quote; a quote inside a quoted value is written twice (`\"5\"\" disk\"`)"),
                ),
                Some(Problem::Stray {
                    opened,
                    line: at,
                    column,
                    next,
                }) => Some(
                    RecordError::new(
                        Code::R0006,
                        if at > opened {
                            format!(
                                "stray quote: the quoted value opened on line {opened} closes on line {at}, column {column}, followed by `{next}` instead of a delimiter; lines {opened} to {at} would be read as one value"
                            )
                        } else {
                            format!(
                                "stray quote on line {at}, column {column}: a quoted value ends there but `{next}` follows instead of a delimiter"
                            )
                        },
                    )
                    .with_help("quote the whole value and write a quote inside it twice (`\"27\"\" monitor\"`), or leave the value unquoted (`27\" monitor`)"),
                ),
                None if row.len() != header.names.len() => Some(
                    RecordError::new(
                        Code::R0006,
                        format!(
                            "the row has {} column{}, the header has {}{lines}",
                            row.len(),
                            plural(row.len()),
                            header.names.len()
                        ),
                    )
                    .with_help(format!(
                        "quote values that contain {} or a line break (`\"Gift basket, assorted\"`)",
                        match self.delim {
                            b',' => "a comma",
                            b';' => "a semicolon",
                            b'\t' => "a tab",
                            _ => "a `|`",
                        }
                    )),
                ),
                None => None,
            };
            let mut salvage = None;
            let body = if let Some(e) = shape {
                // The cells that are there, to name the record by its key.
                salvage = salvage_of(&header.tree, row, &mut batch.data);
                Err(e)
            } else {
                let s = batch.data.len();
                match write_obj(&header.tree, row, &header.types, &mut batch.data) {
                    Ok(()) if batch.data.len() - s > MAX_RECORD_BYTES => {
                        batch.data.truncate(s);
                        Err(too_large(0))
                    }
                    Ok(()) => Ok(s..batch.data.len()),
                    Err(err) => {
                        batch.data.truncate(s);
                        let (col, e) = match err {
                            CellError::Utf8(col) => (
                                col,
                                RecordError::new(Code::R0007, "the value is not valid UTF-8")
                                    .with_help("save the CSV file as UTF-8"),
                            ),
                            CellError::Type(col, message, code) => {
                                let ty = header.types.get(col).cloned().flatten();
                                let at = row.lines.get(col).copied().unwrap_or(line);
                                let message = if at != line {
                                    format!("{message} (line {at})")
                                } else {
                                    message
                                };
                                (
                                    col,
                                    RecordError::new(code, message).with_help(format!(
                                        "the column is typed {} (from the schema cache or `columns:` of the file connection); correct the value, or leave the cell empty for null",
                                        ty.map_or("".to_string(), |t| format!("`{}`", t.name()))
                                    )),
                                )
                            }
                        };
                        let name = header.names.get(col).cloned().unwrap_or_default();
                        // Name the record by its key, from the cells as text.
                        salvage = salvage_of(&header.tree, row, &mut batch.data);
                        Err(e.with_field(name))
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

    fn read_with(
        input: &[u8],
        opts: CsvOptions,
    ) -> std::io::Result<Vec<(usize, Result<String, Code>)>> {
        let items =
            crate::source::read_items(&mut CsvSource::with_options("t.csv".into(), input, opts))?;
        Ok(items
            .into_iter()
            .map(|(_, line, body)| (line, body))
            .collect())
    }

    fn read_all(input: &[u8]) -> std::io::Result<Vec<(usize, Result<String, Code>)>> {
        read_with(input, CsvOptions::default())
    }

    fn messages(input: &[u8]) -> Vec<Result<(), String>> {
        let mut s = CsvSource::new("t.csv".into(), input);
        let mut b = Batch::default();
        let mut out = Vec::new();
        while s.next_batch(&mut b).unwrap() {
            for it in &b.items {
                out.push(it.body.clone().map_err(|e| e.message).map(|_| ()));
            }
        }
        out
    }

    fn code(e: &std::io::Error) -> &'static str {
        super::super::input_error(e).map_or("", |e| e.code.as_str())
    }

    #[test]
    fn a_header_deeper_than_any_path_stays_one_flat_key() {
        // 20,000 segments: nested, the header tree overflowed the stack
        // when it was dropped (found by tests/mutate, huge_scalar).
        let deep = vec!["a"; 20_000].join(".");
        let input = format!("id,{deep}\n1,x\n");
        let rows = read_all(input.as_bytes()).unwrap();
        assert_eq!(rows.len(), 1);
        let json = rows[0].1.as_ref().unwrap();
        assert!(json.starts_with("{\"id\":\"1\",\"a.a.a"), "{}", &json[..40]);
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
        assert_eq!(got[2], (4, Err(Code::R0006)));
        assert_eq!(got[3], (5, Err(Code::R0007)));
    }

    #[test]
    fn an_unclosed_quote_is_named_even_when_the_width_fits() {
        // The open quote takes the rest of the file into one cell: the
        // width happens to fit, the rows after it would vanish silently.
        let got = messages(b"id,note\n1,\"open\n2,x\n3,y\n");
        assert_eq!(got.len(), 1);
        assert!(
            got[0].as_ref().unwrap_err().contains("unclosed quote"),
            "{got:?}"
        );
        let got = messages(b"id,note,z\n1,\"open\n");
        assert!(got[0].as_ref().unwrap_err().contains("unclosed quote"));
        // Closed quotes with line breaks and `""` are fine, also at the end.
        let got = messages(b"id,note\n1,\"a\nb \"\"q\"\"\"\n2,\"x,\ny\"");
        assert_eq!(got, vec![Ok(()), Ok(())]);
        // A quote inside an unquoted value is a literal.
        let got = messages(b"id,note\n1,5\" disk\n");
        assert_eq!(got, vec![Ok(())]);
        let got = messages(b"id,note\n1\n");
        assert_eq!(
            got,
            vec![Err("the row has 1 column, the header has 2".to_string())]
        );
    }

    #[test]
    fn a_stray_quote_rejects_its_row_with_the_real_line_instead_of_merging_rows() {
        // The quote opened on line 2 closes in front of line 4's text: the
        // lenient reading makes lines 2-4 one value of a row that fits.
        let input = b"id,note\n1,\"open\n2,x\n3,\"y\"z\n4,fine\n";
        let got = read_all(input).unwrap();
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0], (2, Err(Code::R0006)));
        assert_eq!(got[1], (5, Ok(r#"{"id":"4","note":"fine"}"#.into())));
        let m = messages(input);
        let m = m[0].as_ref().unwrap_err();
        assert!(m.contains("opened on line 2 closes on line 4"), "{m}");
        // A quote in the middle of a quoted value on one line.
        let m = messages(b"id,note\n1,\"27\" monitor\",x\n2,y\n");
        assert_eq!(m.len(), 2);
        let e = m[0].as_ref().unwrap_err();
        assert!(e.contains("stray quote on line 2, column 6"), "{e}");
        assert_eq!(m[1], Ok(()));
    }

    #[test]
    fn lines_are_physical_with_crlf_blank_lines_and_multi_line_values() {
        let got = read_all(b"id,n\r\n1,a\r\n\r\n\r\n2,b\r\n3\r\n").unwrap();
        assert_eq!(got[0].0, 2);
        assert_eq!(got[1].0, 5);
        assert_eq!(got[2], (6, Err(Code::R0006)));
        let got = read_all(b"id,n\n\n1,a\n\n\n2,\"x\ny\"\n3\n").unwrap();
        assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), vec![3, 6, 8]);
        // A lone CR ends a line too; no final line break.
        let got = read_all(b"id,n\r1,a\r2").unwrap();
        assert_eq!(
            got,
            vec![
                (2, Ok(r#"{"id":"1","n":"a"}"#.into())),
                (3, Err(Code::R0006))
            ]
        );
    }

    #[test]
    fn a_bom_before_the_header_is_dropped_also_before_a_quoted_name() {
        let got = read_all(b"\xEF\xBB\xBF\"id\",n\n1,a\n").unwrap();
        assert_eq!(got, vec![(2, Ok(r#"{"id":"1","n":"a"}"#.into()))]);
        let got = read_all(b"\xEF\xBB\xBFid;n\r\n1;a\r\n").unwrap();
        assert_eq!(got, vec![(2, Ok(r#"{"id":"1","n":"a"}"#.into()))]);
        let e = read_all(b"\xFF\xFEi\0d\0").unwrap_err();
        assert_eq!(code(&e), Code::R0018);
    }

    #[test]
    fn the_delimiter_is_detected_from_the_header_or_refused_when_ambiguous() {
        let got = read_all(b"id;amount;note\n1;99,5;a, b\n").unwrap();
        assert_eq!(
            got,
            vec![(2, Ok(r#"{"id":"1","amount":"99,5","note":"a, b"}"#.into()))]
        );
        let got = read_all(b"id\tn\n1\tx\n").unwrap();
        assert_eq!(got[0].1, Ok(r#"{"id":"1","n":"x"}"#.into()));
        let got = read_all(b"id|n\n1|x\n").unwrap();
        assert_eq!(got[0].1, Ok(r#"{"id":"1","n":"x"}"#.into()));
        // A delimiter inside a quoted header name does not count.
        let got = read_all(b"id;\"a,b\"\n1;2\n").unwrap();
        assert_eq!(got[0].1, Ok(r#"{"id":"1","a,b":"2"}"#.into()));
        // Two candidates: refused unless the mapping's columns decide.
        let e = read_all(b"id;Betrag (EUR, netto)\n1;2\n").unwrap_err();
        assert_eq!(code(&e), Code::R0019);
        assert!(
            e.to_string().contains("`,` (1 time) and `;` (1 time)"),
            "{e}"
        );
        let opts = CsvOptions {
            required: vec!["id".into(), "Betrag (EUR, netto)".into()],
            ..CsvOptions::default()
        };
        let got = read_with(b"id;Betrag (EUR, netto)\n1;2\n", opts).unwrap();
        assert_eq!(
            got[0].1,
            Ok(r#"{"id":"1","Betrag (EUR, netto)":"2"}"#.into())
        );
        // Given: used as it is.
        let opts = CsvOptions {
            delimiter: Some(b','),
            ..CsvOptions::default()
        };
        let got = read_with(b"id;Betrag (EUR, netto)\n1;2\n", opts).unwrap();
        assert_eq!(got[0].1, Err(Code::R0006));
        // A detected `;` is said in a note.
        let mut s = CsvSource::new("t.csv".into(), &b"a;b\n1;2\n"[..]);
        let mut b = Batch::default();
        while s.next_batch(&mut b).unwrap() {}
        assert_eq!(s.notes().len(), 1);
    }

    #[test]
    fn a_header_without_a_column_the_mapping_reads_is_refused_with_a_suggestion() {
        let opts = CsvOptions {
            required: vec!["id".into(), "amount".into(), "customer".into()],
            ..CsvOptions::default()
        };
        let e = read_with(b"id,Amount,customer.name\n1,2,3\n", opts.clone()).unwrap_err();
        assert_eq!(code(&e), Code::R0018);
        assert!(
            e.to_string().contains("`amount` (did you mean `Amount`?)"),
            "{e}"
        );
        // A semicolon file read with a given `,`: one column; the help says so.
        let opts = CsvOptions {
            delimiter: Some(b','),
            ..opts
        };
        let e = read_with(b"id;amount;customer.name\n", opts).unwrap_err();
        let help = super::super::input_error(&e)
            .and_then(|e| e.help.clone())
            .unwrap_or_default();
        assert!(help.contains("one column"), "{help}");
        let ok = CsvOptions {
            required: vec!["customer".into(), "customer.name".into()],
            ..CsvOptions::default()
        };
        assert!(read_with(b"customer.name\nx\n", ok).is_ok());
    }

    #[test]
    fn typed_columns_become_numbers_booleans_and_checked_dates() {
        let opts = CsvOptions {
            types: vec![
                ("amount".into(), Type::Decimal),
                ("qty".into(), Type::Integer),
                ("ok".into(), Type::Bool),
                ("day".into(), Type::Date),
                ("at".into(), Type::DateTime),
                ("name".into(), Type::String),
            ],
            ..CsvOptions::default()
        };
        let got = read_with(
            b"amount,qty,ok,day,at,name\n99.50, 12 ,TRUE,2026-02-28,2026-03-01T10:30:00+01:00,007\n,,,,,\n99,5,1,true,2026-01-01,2026-01-01T00:00:00Z,x\n1,1.5,true,2026-01-01,2026-01-01T00:00:00Z,x\n1,1,yes,2026-01-01,2026-01-01T00:00:00Z,x\n1,1,true,2026-02-30,2026-01-01T00:00:00Z,x\n1e40,1,true,2026-02-28,2026-01-01T00:00:00Z,x\n",
            opts,
        )
        .unwrap();
        assert_eq!(
            got[0].1,
            Ok(r#"{"amount":99.50,"qty":12,"ok":true,"day":"2026-02-28","at":"2026-03-01T09:30:00Z","name":"007"}"#.into())
        );
        assert_eq!(
            got[1].1,
            Ok(r#"{"amount":null,"qty":null,"ok":null,"day":null,"at":null,"name":null}"#.into())
        );
        // `99,5` splits into two cells: the width is wrong.
        assert_eq!(got[2].1, Err(Code::R0006));
        assert_eq!(got[3].1, Err(Code::R0017));
        assert_eq!(got[4].1, Err(Code::R0017));
        assert_eq!(got[5].1, Err(Code::R0017));
        assert_eq!(got[6].1, Err(Code::R0002));
    }

    #[test]
    fn a_type_error_names_the_column_and_the_value() {
        let opts = CsvOptions {
            types: vec![("amount".into(), Type::Decimal)],
            ..CsvOptions::default()
        };
        let mut s = CsvSource::with_options("t.csv".into(), &b"id;amount\n7;99,5\n"[..], opts);
        let mut b = Batch::default();
        assert!(s.next_batch(&mut b).unwrap());
        let it = &b.items[0];
        let e = it.body.clone().unwrap_err();
        assert_eq!((it.line, e.code), (2, Code::R0017));
        assert_eq!(e.field.as_deref(), Some("amount"));
        assert!(
            e.message.contains("`99,5` is not a decimal"),
            "{}",
            e.message
        );
        assert!(it.salvage.is_some());
    }

    #[test]
    fn conflicting_headers_are_refused() {
        assert_eq!(code(&read_all(b"a,a.b\n1,2\n").unwrap_err()), Code::R0018);
        assert_eq!(code(&read_all(b"a,a\n1,2\n").unwrap_err()), Code::R0018);
        assert!(read_all(b"").unwrap().is_empty());
        assert!(read_all(b"\n\n").unwrap().is_empty());
        assert!(read_all(b"a,b").unwrap().is_empty());
    }

    /// Quotes, doubled quotes, CRLF and a lone CR read the same wherever
    /// the reader's 1 MiB block boundary falls in them.
    #[test]
    fn tricky_bytes_read_the_same_across_a_block_boundary() {
        let tricky: &[u8] = b"7,\"a\"\"b\r\nc\",x\r\n8,\"q\"z,y\r9,,\"\"\r\n\r\n10,\"open";
        let header = b"id,note,z\n";
        let alone = {
            let mut v = header.to_vec();
            v.extend_from_slice(tricky);
            read_all(&v).unwrap()
        };
        assert_eq!(alone.len(), 4, "{alone:?}");
        // Long filler rows, the last one padded so that the block ends `k`
        // bytes before the tricky part ends.
        let filler = format!("0,{},g\n", "f".repeat(1000));
        for k in 1..=tricky.len() {
            let target = BATCH_BYTES + k - tricky.len();
            let mut v = header.to_vec();
            let mut fillers = 0;
            while v.len() + 2 * filler.len() < target {
                v.extend_from_slice(filler.as_bytes());
                fillers += 1;
            }
            let pad = target - v.len() - "0,,g\n".len();
            v.extend_from_slice(format!("0,{},g\n", "f".repeat(pad)).as_bytes());
            fillers += 1;
            assert_eq!(v.len(), target);
            v.extend_from_slice(tricky);
            let got = read_all(&v).unwrap();
            assert_eq!(got.len(), fillers + alone.len(), "k = {k}");
            for (a, b) in alone.iter().zip(&got[fillers..]) {
                assert_eq!((a.0 + fillers, &a.1), (b.0, &b.1), "k = {k}");
            }
        }
    }

    /// Random bytes from CSV's special characters never panic, and every
    /// item is a record or a coded rejection.
    #[test]
    fn random_csv_never_panics() {
        let alphabet: &[u8] = b",;\t|\"\r\n a\xEF\xBB\xBF\xFF";
        let mut seed = 0x5eed_u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..3000 {
            let n = (next() % 40) as usize;
            let input: Vec<u8> = (0..n)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            for opts in [
                CsvOptions::default(),
                CsvOptions {
                    delimiter: Some(b';'),
                    types: vec![("a".into(), Type::Decimal), (" a".into(), Type::Bool)],
                    required: vec!["a".into()],
                },
            ] {
                if let Ok(items) = read_with(&input, opts) {
                    for (line, body) in items {
                        assert!(line >= 2, "{input:?}");
                        if let Err(code) = body {
                            assert_eq!(code.phase(), mapc_diag::Phase::Runtime, "{input:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn rows_cross_buffers() {
        let mut input = b"id,note\r\n".to_vec();
        for i in 0..40_000 {
            input.extend_from_slice(format!("{i},\"{}\nx\"\r\n", "y".repeat(i % 70)).as_bytes());
        }
        let got = read_all(&input).unwrap();
        assert_eq!(got.len(), 40_000);
        for (k, (line, body)) in got.iter().enumerate() {
            assert_eq!(*line, 2 + 2 * k);
            assert!(body
                .as_ref()
                .unwrap()
                .starts_with(&format!("{{\"id\":\"{k}\",")));
        }
    }
}
