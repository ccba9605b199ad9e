//! The report lines of `preview` (and `test`) for people: skipped,
//! rejected and warned records, paths no record had, and the exit line.
//! Each line starts with `input:line:` (or the spec's `file:line:col:`) so
//! editors and terminals can jump to it; records and rules are numbered
//! from 1, as users count them.
//!
//! Preview treats every record as a *create* unless the engine's
//! `WriteMode::Update` is chosen (`--as-update`): then `sync: once`
//! entries are left out, as a run leaves them out when it updates an
//! existing target record, except the field(s) writing the target key
//! (`target.key`), which an update always writes: the key is how it finds
//! its record. `target_to_source` fields are never written to the target.
//! The `overwrite_template_products` flag changes how `run` writes product
//! lines into an existing target record; a preview shows the lines the
//! target record gets and does not show the flag.

use mapc_diag::{Code, SourceFile};
use mapc_engine::reads::UnseenPath;
use mapc_engine::{Outcome, Rejection};

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
pub fn unseen_line(u: &UnseenPath, spec: &SourceFile, what: (&str, &str)) -> String {
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
        "{at}: warning {}: the source path `{}` is {within}{hint}; it read as null in every one",
        Code::R0104,
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
