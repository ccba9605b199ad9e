//! Building blocks of `mapc preview`: mapping selection, the output writers
//! (pretty JSON array, NDJSON, aligned table) and the report lines for
//! skipped, rejected and warned records.
//!
//! Preview treats every record as a *create*: `sync: once` fields are
//! written (a run writes them only when it creates the target record), and
//! `target_to_source` fields are never written to the target. The
//! `overwrite_template_products` flag changes how `run` writes product lines
//! into an existing target record; a preview shows the lines the target
//! record gets and does not show the flag.

use crate::json::write::{pretty, top_level_entries};
use crate::run::{Outcome, Rejection};
use mapc_diag::SourceFile;
use mapc_ir::{ConnectionKind, Program};
use std::io::Write;

/// Picks the mapping to preview: `--mapping NAME`; else the only active
/// mapping; else the only active mapping whose source is a `file`
/// connection; otherwise an error that lists the names.
pub fn select_mapping(program: &Program, name: Option<&str>) -> Result<usize, String> {
    let names = || {
        program
            .mappings
            .iter()
            .map(|m| format!("`{}`", m.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
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

/// Report lines for one outcome, each starting with `input:line:` so
/// editors and terminals can jump to the record: nothing for a clean
/// written or filtered record, one line per warning, one line for a skip or
/// a rejection. Records are numbered from 1 as users count them.
pub fn report_lines(o: &Outcome, spec: Option<&SourceFile>, input: &str) -> Vec<String> {
    match o {
        Outcome::Written {
            at, key, warnings, ..
        } => warnings
            .iter()
            .map(|w| {
                format!(
                    "{input}:{}: warning {}: {}: {}",
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
        } => {
            let cond = spec
                .map(|f| span_text(f, *rule_span))
                .filter(|s| !s.is_empty());
            let why = match cond {
                Some(c) => format!("rule {rule} `{c}`"),
                None => format!("rule {rule}"),
            };
            vec![format!(
                "{input}:{}: skipped: {}: {why}",
                at.line,
                record_text(at.index, key.as_deref())
            )]
        }
        Outcome::Filtered { .. } => Vec::new(),
        Outcome::Rejected(r) => vec![rejection_line(r)],
    }
}

/// `file:line: rejected CODE: record N (key K): message [field]`.
pub fn rejection_line(r: &Rejection) -> String {
    let field = r
        .field
        .as_ref()
        .map(|f| format!(" [{f}]"))
        .unwrap_or_default();
    format!(
        "{}:{}: rejected {}: {}: {}{field}",
        r.file,
        r.at.line,
        r.code,
        record_text(r.at.index, r.key.as_deref()),
        r.message
    )
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
/// one column per top-level key (in order of first appearance), strings
/// without quotes, everything else as compact JSON, long cells shortened.
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
                    Ok(crate::Value::Str(s)) => s.into_owned(),
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
        let mut width: Vec<usize> = self.columns.iter().map(|c| c.chars().count()).collect();
        for r in &self.rows {
            for (c, t) in r {
                width[*c] = width[*c].max(t.chars().count());
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
                l.push_str(&" ".repeat(width[i].saturating_sub(c.chars().count())));
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

fn clip_cell(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if s.chars().count() > TABLE_CELL_MAX {
        format!(
            "{}…",
            s.chars().take(TABLE_CELL_MAX - 1).collect::<String>()
        )
    } else {
        s
    }
}
