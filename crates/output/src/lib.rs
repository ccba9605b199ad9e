//! How records and reports are shown to a person: the output writers of
//! `mapc preview` (the pretty-printed JSON array and the aligned table,
//! display widths) and, in [`report`], the report lines for skipped,
//! rejected and warned records. Display code lives here, not in the
//! engine, which hands out compact JSON records and outcomes as data.

pub mod report;

use mapc_engine::Value;
use mapc_value::json::parse::parse_value;
use mapc_value::json::write::{pretty, top_level_entries, write_str};
use std::io::Write;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

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
            let text = match parse_value(std::str::from_utf8(raw).unwrap_or("null")) {
                Ok(Value::Str(s)) => table_text(&s),
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
        write_str(s, &mut out);
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
