//! Mapping tests: running one test case through the engine and comparing
//! the outcome with its expectation (`*.test.yaml` files are read by
//! `mapc_syntax::spec::parse_test_file`).
//!
//! A test input goes through exactly the path a preview record takes (it is
//! written as JSON and read by the record parser), so a test can never pass
//! on semantics a preview would not show.
//!
//! Expectations:
//! * `skip`: a `skip` rule matched, or the source filter excluded the record
//!   (either way nothing is written);
//! * `{ error: CODE }`: the record was rejected with that code;
//! * a record: partial match. Every key given must be present in the output
//!   with an equal value, recursively for objects; keys not given are not
//!   compared. Lists must have the same length, and each expected element
//!   is matched partially against the actual element at the same index (so
//!   `items: [{sku: A}]` checks only the `sku` of the one item; an empty
//!   `{}` element matches any object). Numbers compare by value (`10.01`
//!   equals `10.010`), strings exactly; `null` matches only a key that is
//!   present with `null` (an absent key is not null). A mismatch names the
//!   innermost path that differs (`items[1].total`), or the list whose
//!   length differs.

use crate::plan::{Compiled, Options};
use crate::run::{Outcome, Rejection};
use jiff::civil::Date;
use mapc_connect::source::MemorySource;
use mapc_diag::{Code, SourceFile, Span};
use mapc_ir::{Expect, Literal, Program, Test};
use mapc_value::json::parse::parse_value;
use mapc_value::json::write::{to_string, write_str, write_value};
use mapc_value::{write_decimal, Value};

/// One difference between the expected and the actual record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// Dotted path with list indices (`line_items[1].line_total`); empty for
    /// the record as a whole.
    pub path: String,
    pub expected: String,
    pub actual: String,
}

/// What a test case came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaseResult {
    Passed,
    Failed { mismatches: Vec<Mismatch> },
}

impl CaseResult {
    pub fn passed(&self) -> bool {
        matches!(self, CaseResult::Passed)
    }
}

/// Writes a literal as JSON (the test input as a record).
pub fn literal_json(lit: &Literal, out: &mut Vec<u8>) {
    match lit {
        Literal::Null => out.extend_from_slice(b"null"),
        Literal::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Literal::Number(d) => write_decimal(d, out),
        Literal::String(s) => write_str(s, out),
        Literal::List(items) => {
            out.push(b'[');
            for (i, it) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                literal_json(it, out);
            }
            out.push(b']');
        }
        Literal::Map(entries) => {
            out.push(b'{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(k, out);
                out.push(b':');
                literal_json(v, out);
            }
            out.push(b'}');
        }
    }
}

/// The as-of date of a test: its own `as_of`, else the command's.
pub fn test_as_of(test: &Test, default: Date) -> Date {
    test.as_of.unwrap_or(default)
}

/// R0104 over the inputs of `tests` (cases of mapping `mapping`): the
/// paths the mapping reads that no test input has, although the object
/// that would hold them is there, and that are one or two edits away from
/// a key the inputs have. Test inputs are partial records by design, so a
/// path merely left out of them is not reported; a likely misspelling is.
/// For specs whose source has no cached `$metadata`; empty when there are
/// no inputs.
pub fn unseen_in_inputs(
    program: &Program,
    mapping: usize,
    tests: &[&Test],
) -> Vec<crate::reads::UnseenPath> {
    let as_of = Date::constant(2000, 1, 1);
    let Ok(mut compiled) = Compiled::new(program, mapping, Options::new(as_of)) else {
        return Vec::new();
    };
    compiled.track_reads();
    for t in tests.iter().filter(|t| t.mapping == mapping) {
        compiled.observe_record(&Value::from(&t.input));
    }
    let mut paths = compiled.unseen_paths();
    paths.retain(|p| p.likely_typo);
    paths
}

/// Runs one test case of `program`. `describe` says a rejection in words
/// for the mismatch a rejected record gives (the engine has no display
/// code; `mapc test` passes `mapc_output::report::rejection_text`).
pub fn run_case(
    program: &Program,
    test: &Test,
    default_as_of: Date,
    describe: &dyn Fn(&Rejection) -> String,
) -> CaseResult {
    let fail = |expected: String, actual: String| CaseResult::Failed {
        mismatches: vec![Mismatch {
            path: String::new(),
            expected,
            actual,
        }],
    };
    let options = Options::new(test_as_of(test, default_as_of));
    let compiled = match Compiled::new(program, test.mapping, options) {
        Ok(c) => c,
        Err(e) => {
            return fail(
                expect_text(&test.expect),
                format!("the mapping cannot run: {e}"),
            )
        }
    };
    let mut input = Vec::new();
    literal_json(&test.input, &mut input);
    let mut src = MemorySource::new(format!("test `{}`", test.name), vec![input]);
    let mut actual: Option<Actual> = None;
    let mut sink = |o: Outcome<'_>| -> std::io::Result<()> {
        actual = Some(match o {
            Outcome::Written { json, .. } => {
                Actual::Written(String::from_utf8_lossy(json).into_owned())
            }
            Outcome::Skipped { rule, .. } => {
                Actual::Skipped(format!("skipped by rule {}", rule + 1))
            }
            Outcome::Filtered { .. } => Actual::Skipped("excluded by the source filter".into()),
            Outcome::Rejected(r) => Actual::Rejected(r.code, describe(&r)),
        });
        Ok(())
    };
    if let Err(e) = compiled.run(&mut src, &mut sink) {
        return fail(
            expect_text(&test.expect),
            format!("the test could not run: {e}"),
        );
    }
    let Some(actual) = actual else {
        return fail(expect_text(&test.expect), "no outcome".into());
    };
    compare(&test.expect, &actual)
}

enum Actual {
    Written(String),
    Skipped(String),
    Rejected(Code, String),
}

fn actual_text(a: &Actual) -> String {
    match a {
        Actual::Written(json) => format!("a written record {json}"),
        Actual::Skipped(why) => format!("skip ({why})"),
        Actual::Rejected(code, msg) => format!("error {code}: {msg}"),
    }
}

fn expect_text(e: &Expect) -> String {
    match e {
        Expect::Skip => "skip".into(),
        Expect::Error(code) => format!("error {code}"),
        Expect::Record(lit) => {
            let mut out = Vec::new();
            literal_json(lit, &mut out);
            format!("a record matching {}", String::from_utf8_lossy(&out))
        }
    }
}

fn compare(expect: &Expect, actual: &Actual) -> CaseResult {
    let whole = |actual: &Actual| CaseResult::Failed {
        mismatches: vec![Mismatch {
            path: String::new(),
            expected: expect_text(expect),
            actual: actual_text(actual),
        }],
    };
    match (expect, actual) {
        (Expect::Skip, Actual::Skipped(_)) => CaseResult::Passed,
        (Expect::Error(code), Actual::Rejected(c, _)) if c == code => CaseResult::Passed,
        (Expect::Record(lit), Actual::Written(json)) => {
            let expected = Value::from(lit);
            match parse_value(json) {
                Ok(actual) => {
                    let mut mismatches = Vec::new();
                    partial(&expected, &actual, "", &mut mismatches);
                    if mismatches.is_empty() {
                        CaseResult::Passed
                    } else {
                        CaseResult::Failed { mismatches }
                    }
                }
                Err(e) => CaseResult::Failed {
                    mismatches: vec![Mismatch {
                        path: String::new(),
                        expected: expect_text(expect),
                        actual: format!("output that is not JSON ({})", e.message),
                    }],
                },
            }
        }
        _ => whole(actual),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn shown(v: &Value) -> String {
    match v {
        Value::Absent => "(absent)".into(),
        other => to_string(other),
    }
}

/// Partial match: objects by the expected keys (others are not compared),
/// lists element by element (same length; each expected element matched
/// partially against the actual element at the same index), scalars by
/// value. A mismatch names the innermost path that differs.
fn partial(expected: &Value, actual: &Value, path: &str, out: &mut Vec<Mismatch>) {
    let mism = |out: &mut Vec<Mismatch>| {
        out.push(Mismatch {
            path: path.to_string(),
            expected: shown(expected),
            actual: shown(actual),
        })
    };
    match (expected, actual) {
        (Value::Obj(entries), Value::Obj(_)) => {
            for (k, e) in entries {
                let a = actual.get(k).cloned().unwrap_or(Value::Absent);
                partial(e, &a, &join(path, k), out);
            }
        }
        (Value::List(e), Value::List(a)) => {
            if e.len() != a.len() {
                out.push(Mismatch {
                    path: path.to_string(),
                    expected: format!("{} ({})", shown(expected), items(e.len())),
                    actual: format!("{} ({})", shown(actual), items(a.len())),
                });
                return;
            }
            for (i, (x, y)) in e.iter().zip(a).enumerate() {
                partial(x, y, &format!("{path}[{i}]"), out);
            }
        }
        (Value::Num(x), Value::Num(y)) if x == y => {}
        (Value::Null, Value::Null) | (Value::Absent, Value::Absent) => {}
        (Value::Str(x), Value::Str(y)) if x == y => {}
        (Value::Bool(x), Value::Bool(y)) if x == y => {}
        _ => mism(out),
    }
}

fn items(n: usize) -> String {
    if n == 1 {
        "1 item".into()
    } else {
        format!("{n} items")
    }
}

/// The 1-based line of a span (where a test case starts).
pub fn line_of(file: &SourceFile, span: Span) -> usize {
    file.line_col(span.start).0
}

/// A compact rendering of a value for messages.
pub fn value_text(v: &Value) -> String {
    let mut out = Vec::new();
    write_value(v, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Value<'_> {
        parse_value(s).unwrap()
    }

    fn diff(e: &str, a: &str) -> Vec<(String, String, String)> {
        let mut out = Vec::new();
        partial(&p(e), &p(a), "", &mut out);
        out.into_iter()
            .map(|m| (m.path, m.expected, m.actual))
            .collect()
    }

    #[test]
    fn partial_objects_and_lists() {
        assert!(diff(r#"{"a": 1.0}"#, r#"{"a": 1, "b": 2}"#).is_empty());
        assert!(diff(r#"{"o": {"x": "y"}}"#, r#"{"o": {"x": "y", "z": 1}}"#).is_empty());
        assert_eq!(
            diff(r#"{"a": null}"#, r#"{}"#),
            vec![("a".into(), "null".into(), "(absent)".into())]
        );
        // List elements are matched partially, element by element.
        assert!(diff(r#"{"l": [{"q": 1}]}"#, r#"{"l": [{"q": 1, "r": 2}]}"#).is_empty());
        assert!(diff(
            r#"{"items": [{"sku": "A", "total": 2.01}, {}]}"#,
            r#"{"items": [{"sku": "A", "quantity": 2, "total": 2.010}, {"sku": "B"}]}"#
        )
        .is_empty());
        assert!(diff(r#"{"l": [[{"a": 1}]]}"#, r#"{"l": [[{"a": 1, "b": 2}]]}"#).is_empty());
        // A difference inside an element names the element's path.
        assert_eq!(
            diff(
                r#"{"items": [{"sku": "A"}, {"total": 3}]}"#,
                r#"{"items": [{"sku": "A", "total": 1}, {"sku": "B", "total": 2}]}"#
            ),
            vec![("items[1].total".into(), "3".into(), "2".into())]
        );
        assert_eq!(
            diff(r#"{"l": [{"q": null}]}"#, r#"{"l": [{"r": 2}]}"#),
            vec![("l[0].q".into(), "null".into(), "(absent)".into())]
        );
        // Lengths must agree; the list itself is reported.
        assert_eq!(
            diff(r#"{"l": [1, 2]}"#, r#"{"l": [1]}"#),
            vec![("l".into(), "[1,2] (2 items)".into(), "[1] (1 item)".into())]
        );
        assert_eq!(diff(r#"{"l": [{"a": 1}]}"#, r#"{"l": []}"#).len(), 1);
        assert_eq!(diff(r#"{"l": []}"#, r#"{"l": {}}"#).len(), 1);
        assert_eq!(diff(r#"{"l": [1]}"#, r#"{"l": ["1"]}"#).len(), 1);
        assert_eq!(diff(r#"{"s": "1"}"#, r#"{"s": 1}"#).len(), 1);
        assert_eq!(diff(r#"{"o": {}}"#, r#"{"o": 1}"#).len(), 1);
    }
}
