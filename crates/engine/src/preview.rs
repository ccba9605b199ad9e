//! Building blocks of `mapc preview`: mapping selection, the output writers
//! (pretty JSON array, NDJSON, aligned table) and the report lines for
//! skipped, rejected and warned records.
//!
//! Preview treats every record as a *create* unless
//! [`crate::plan::WriteMode::Update`] is chosen (`--as-update`): then
//! `sync: once` entries are left out, as a run leaves them out when it
//! updates an existing target record, except the field(s) writing the
//! target key (`target.key`), which an update always writes: the key is
//! how it finds its record. `target_to_source` fields are never
//! written to the target. The
//! `overwrite_template_products` flag changes how `run` writes product lines
//! into an existing target record; a preview shows the lines the target
//! record gets and does not show the flag.

use crate::json::write::{pretty, top_level_entries};
use crate::run::{Outcome, Rejection};
use mapc_diag::{code_list, SourceFile};
use mapc_ir::{ConnectionKind, Program};
use std::io::Write;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Picks the mapping to preview: `--mapping NAME`; else the only active
/// mapping; else the only active mapping whose source is a `file`
/// connection; otherwise an error that lists the names.
pub fn select_mapping(program: &Program, name: Option<&str>) -> Result<usize, String> {
    let names = || code_list(program.mappings.iter().map(|m| &m.name));
    if program.mappings.is_empty() {
        return Err("the spec has no mapping that can run".into());
    }
    if let Some(n) = name {
        return program
            .mappings
            .iter()
            .position(|m| m.name == n)
            .ok_or_else(|| {
                format!(
                    "the spec has no mapping `{n}`; its mappings are {}",
                    names()
                )
            });
    }
    let active: Vec<usize> = (0..program.mappings.len())
        .filter(|&i| program.mappings[i].active)
        .collect();
    if active.len() == 1 {
        return Ok(active[0]);
    }
    let candidates: Vec<usize> = if active.is_empty() {
        (0..program.mappings.len()).collect()
    } else {
        active
    };
    if candidates.len() == 1 {
        return Ok(candidates[0]);
    }
    let file_sourced: Vec<usize> = candidates
        .iter()
        .copied()
        .filter(|&i| program.mappings[i].source.kind == ConnectionKind::File)
        .collect();
    if file_sourced.len() == 1 {
        return Ok(file_sourced[0]);
    }
    Err(format!(
        "the spec has {} mappings; choose one with --mapping NAME: {}",
        program.mappings.len(),
        names()
    ))
}

/// The text of a span in the spec (a rule's condition), on one line.
pub fn span_text(file: &SourceFile, span: mapc_diag::Span) -> String {
    file.text
        .get(span.start..span.end)
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn record_text(index: usize, key: Option<&str>) -> String {
    match key {
        Some(k) => format!("record {} (key {k})", index + 1),
        None => format!("record {}", index + 1),
    }
}

/// A rule for people: `rule N` numbered from 1, with its condition when
/// the spec's text is at hand (`rule 3 `estimatedvalue < 0``).
pub fn rule_text(index: usize, span: mapc_diag::Span, spec: Option<&SourceFile>) -> String {
    match spec.map(|f| span_text(f, span)).filter(|s| !s.is_empty()) {
        Some(c) => format!("rule {} `{c}`", index + 1),
        None => format!("rule {}", index + 1),
    }
}

/// Where in the record a rejection is, in words, each part once: the rule,
/// then the place (or the field).
pub fn rejection_where(r: &Rejection, spec: Option<&SourceFile>) -> Option<String> {
    let mut parts = Vec::new();
    if let Some((i, span)) = r.rule {
        parts.push(rule_text(i, span, spec));
    }
    match (&r.place, &r.field) {
        (Some(p), _) => parts.push(p.clone()),
        (None, Some(f)) => parts.push(format!("field `{f}`")),
        (None, None) => {}
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// A rejection without the record: `where: what; help: fix`.
pub fn rejection_text(r: &Rejection, spec: Option<&SourceFile>) -> String {
    let mut out = match rejection_where(r, spec) {
        Some(w) => format!("{w}: {}", r.message),
        None => r.message.clone(),
    };
    if let Some(h) = &r.help {
        out.push_str("; help: ");
        out.push_str(h);
    }
    out
}

/// Report lines for one outcome, each starting with `input:line:` so
/// editors and terminals can jump to the record: nothing for a clean
/// written or filtered record, one line per warning, one line for a skip or
/// a rejection. Records and rules are numbered from 1 as users count them.
pub fn report_lines(o: &Outcome, spec: Option<&SourceFile>, input: &str) -> Vec<String> {
    match o {
        Outcome::Written {
            at, key, warnings, ..
        } => warnings
            .iter()
            .map(|w| {
                let rule = w
                    .rule
                    .map(|(i, span)| format!(", {}", rule_text(i, span, spec)))
                    .unwrap_or_default();
                format!(
                    "{input}:{}: warning {}: {}{rule}: {}",
                    at.line,
                    w.code,
                    record_text(at.index, key.as_deref()),
                    w.message
                )
            })
            .collect(),
        Outcome::Skipped {
            at,
            key,
            rule,
            rule_span,
            ..
        } => vec![format!(
            "{input}:{}: skipped: {} by {}",
            at.line,
            record_text(at.index, key.as_deref()),
            rule_text(*rule, *rule_span, spec)
        )],
        Outcome::Filtered { .. } => Vec::new(),
        Outcome::Rejected(r) => vec![rejection_line(r, spec)],
    }
}

/// One line per rejection: `file:line: rejected CODE: record N (key K),
/// where: what; help: fix`.
pub fn rejection_line(r: &Rejection, spec: Option<&SourceFile>) -> String {
    let record = record_text(r.at.index, r.key.as_deref());
    let sep = if r.rule.is_some() || r.place.is_some() || r.field.is_some() {
        ", "
    } else {
        ": "
    };
    format!(
        "{}:{}: rejected {}: {record}{sep}{}",
        r.file,
        r.at.line,
        r.code,
        rejection_text(r, spec)
    )
}

/// The line reporting a path no record had (R0104), starting with its place
/// in the spec when known: `spec.yaml:20:15: warning R0104: the source path
/// `nmae` is in none of the 3 records read (did you mean `name`?); ...`.
/// `what` names what was read, singular and plural (`("record read",
/// "records read")`, `("test input", "test inputs")`).
pub fn unseen_line(u: &crate::reads::UnseenPath, spec: &SourceFile, what: (&str, &str)) -> String {
    let at = match u.span {
        Some(s) => {
            let (line, col) = spec.line_col(s.start);
            format!("{}:{line}:{col}", spec.name)
        }
        None => spec.name.clone(),
    };
    let n = u.records;
    let hint = match &u.suggestion {
        Some(k) => format!(" (did you mean `{k}`?)"),
        None => String::new(),
    };
    let read = if n == 1 {
        format!("the 1 {}", what.0)
    } else {
        format!("the {n} {}", what.1)
    };
    // A line field: in none of the list's elements.
    let within = match u.path.rsplit_once("[].") {
        Some((list, _)) => format!("in none of the `{list}` elements of {read}"),
        None if n == 1 => format!("not in {read}"),
        None => format!("in none of {read}"),
    };
    format!(
        "{at}: warning R0104: the source path `{}` is {within}{hint}; it read as null in every one",
        u.path
    )
}

/// The last line of a preview's report when records were rejected: why the
/// exit code is 1. `None` when nothing was rejected (exit 0).
pub fn exit_line(rejected: usize) -> Option<String> {
    match rejected {
        0 => None,
        1 => Some("exit 1: 1 record was rejected (see above)".into()),
        n => Some(format!("exit 1: {n} records were rejected (see above)")),
    }
}

/// Writes target records as one pretty-printed JSON array, streaming.
pub struct PrettyArray<W: Write> {
    out: W,
    count: usize,
    buf: Vec<u8>,
}

impl<W: Write> PrettyArray<W> {
    pub fn new(out: W) -> Self {
        PrettyArray {
            out,
            count: 0,
            buf: Vec::new(),
        }
    }
    pub fn record(&mut self, json: &[u8]) -> std::io::Result<()> {
        self.buf.clear();
        self.buf
            .extend_from_slice(if self.count == 0 { b"[\n  " } else { b",\n  " });
        pretty(json, 1, &mut self.buf);
        self.count += 1;
        self.out.write_all(&self.buf)
    }
    pub fn finish(mut self) -> std::io::Result<W> {
        self.out
            .write_all(if self.count == 0 { b"[]\n" } else { b"\n]\n" })?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Collects top-level target fields and prints them as an aligned table:
/// one column per top-level key (in order of first appearance), everything
/// but strings as compact JSON, long cells shortened. Strings are shown
/// without quotes, except those that would otherwise be misread
/// ([`table_text`]): with leading or trailing whitespace or control
/// characters, or that read as another value (`"null"`, `"true"`, `"12"`,
/// `"[]"`); those are JSON-quoted. Columns are aligned by display width
/// (a CJK character takes two columns).
#[derive(Default)]
pub struct Table {
    columns: Vec<String>,
    rows: Vec<Vec<(usize, String)>>,
}

/// Widest cell shown; longer ones end in `…`.
pub const TABLE_CELL_MAX: usize = 40;

impl Table {
    pub fn record(&mut self, json: &[u8]) {
        let mut row = Vec::new();
        for (key, raw) in top_level_entries(json) {
            let col = match self.columns.iter().position(|c| *c == key) {
                Some(c) => c,
                None => {
                    self.columns.push(key);
                    self.columns.len() - 1
                }
            };
            let text =
                match crate::json::parse::parse_value(std::str::from_utf8(raw).unwrap_or("null")) {
                    Ok(crate::Value::Str(s)) => table_text(&s),
                    _ => String::from_utf8_lossy(raw).into_owned(),
                };
            row.push((col, clip_cell(&text)));
        }
        self.rows.push(row);
    }

    pub fn render(&self) -> String {
        if self.rows.is_empty() {
            return "(no records)\n".into();
        }
        let mut width: Vec<usize> = self.columns.iter().map(|c| c.width()).collect();
        for r in &self.rows {
            for (c, t) in r {
                width[*c] = width[*c].max(t.width());
            }
        }
        let mut out = String::new();
        let line = |cells: Vec<&str>, out: &mut String| {
            let mut l = String::new();
            for (i, c) in cells.iter().enumerate() {
                if i > 0 {
                    l.push_str("  ");
                }
                l.push_str(c);
                l.push_str(&" ".repeat(width[i].saturating_sub(c.width())));
            }
            out.push_str(l.trim_end());
            out.push('\n');
        };
        line(self.columns.iter().map(String::as_str).collect(), &mut out);
        let rule: Vec<String> = width.iter().map(|w| "-".repeat(*w)).collect();
        line(rule.iter().map(String::as_str).collect(), &mut out);
        for r in &self.rows {
            let mut cells = vec![""; self.columns.len()];
            for (c, t) in r {
                cells[*c] = t;
            }
            line(cells, &mut out);
        }
        out
    }
}

/// How a string value is shown in a table cell: as it is, or JSON-quoted
/// (`" x "`, `"null"`) when the bare text would be misread: leading or
/// trailing whitespace (invisible in a column), control characters (which
/// break the line), or a text that reads as another value (`null`, `true`,
/// `false`, a number, or something starting like a quoted string, list or
/// object).
pub fn table_text(s: &str) -> String {
    let misread = s.starts_with(char::is_whitespace)
        || s.ends_with(char::is_whitespace)
        || s.chars().any(char::is_control)
        || matches!(s, "null" | "true" | "false")
        || s.starts_with(['"', '[', '{'])
        || is_json_number(s);
    if misread {
        let mut out = Vec::new();
        crate::json::write::write_str(s, &mut out);
        String::from_utf8_lossy(&out).into_owned()
    } else {
        s.to_string()
    }
}

/// Whether `s` is a number in JSON syntax (`-12`, `0.50`, `1e3`).
fn is_json_number(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i > start
    };
    if b.get(i) == Some(&b'0') {
        i += 1;
    } else if !digits(&mut i) {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if !digits(&mut i) {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digits(&mut i) {
            return false;
        }
    }
    i == b.len()
}

/// A cell of at most [`TABLE_CELL_MAX`] display columns: control
/// characters become spaces, and a longer text is cut (at a character
/// boundary) and ends in `…`.
fn clip_cell(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if s.width() <= TABLE_CELL_MAX {
        return s;
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw > TABLE_CELL_MAX - 1 {
            break;
        }
        w += cw;
        out.push(c);
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(records: &[&str]) -> String {
        let mut t = Table::default();
        for r in records {
            t.record(r.as_bytes());
        }
        t.render()
    }

    #[test]
    fn strings_that_would_be_misread_are_quoted() {
        for (s, shown) in [
            ("x", "x"),
            ("two words", "two words"),
            ("", ""),
            ("1a", "1a"),
            ("-", "-"),
            ("1.", "1."),
            ("NULL", "NULL"),
            (" x ", "\" x \""),
            ("x ", "\"x \""),
            ("\tx", "\"\\tx\""),
            ("a\nb", "\"a\\nb\""),
            ("null", "\"null\""),
            ("true", "\"true\""),
            ("false", "\"false\""),
            ("12", "\"12\""),
            ("-0.50", "\"-0.50\""),
            ("1e3", "\"1e3\""),
            ("[]", "\"[]\""),
            ("{}", "\"{}\""),
            ("\"q\"", "\"\\\"q\\\"\""),
        ] {
            assert_eq!(table_text(s), shown, "{s:?}");
        }
    }

    #[test]
    fn a_table_tells_strings_from_null_and_numbers() {
        assert_eq!(
            table(&[
                r#"{"a":" x ","b":"null","c":"7"}"#,
                r#"{"a":"x","b":null,"c":7}"#
            ]),
            "a      b       c\n-----  ------  ---\n\" x \"  \"null\"  \"7\"\nx      null    7\n"
        );
    }

    #[test]
    fn a_value_nested_deeper_than_128_does_not_blank_the_other_cells() {
        let deep = format!("{}{}", "[".repeat(130), "]".repeat(130));
        let got = table(&[&format!("{{\"a\":\"x\",\"d\":{deep},\"b\":\"y\"}}")]);
        let row = got.lines().nth(2).expect("a row");
        assert!(row.starts_with("x  [[[["), "{got}");
        assert!(row.ends_with("…  y"), "{got}");
    }

    #[test]
    fn columns_align_by_display_width() {
        let got = table(&[r#"{"name":"東京","n":1}"#, r#"{"name":"Tokyo","n":2}"#]);
        assert_eq!(got, "name   n\n-----  -\n東京   1\nTokyo  2\n");
        // Every line puts `n` at the same display column.
        for l in got.lines().skip(2) {
            let (before, _) = l.split_at(l.rfind(' ').unwrap() + 1);
            assert_eq!(before.width(), 7, "{l:?}");
        }
        // A wide text is cut by display width, not by characters.
        let long = "漢".repeat(30);
        let cell = clip_cell(&long);
        assert!(cell.width() <= TABLE_CELL_MAX, "{}", cell.width());
        assert_eq!(cell, format!("{}…", "漢".repeat(19)));
    }
}
