//! Property tests of record reading and mapping: records through the
//! readers (NDJSON, JSON documents, CSV) and every mapping of the example
//! specs. Bounded so `cargo test` stays fast; `PROPTEST_CASES=N` runs N
//! cases of each property instead (the `records` libFuzzer target in
//! `fuzz/` is the long-running counterpart).
//!
//! Properties, for any input:
//! * nothing panics;
//! * each outcome is a written record that is a JSON object (with
//!   registered warning codes), a skip, a filter, or a rejection with a
//!   registered runtime error code; a whole input is refused only as
//!   `InvalidData` with a message;
//! * NDJSON gives exactly one outcome per non-blank line, at that line;
//! * the `preview --format json` array of the written records parses;
//! * mapping on several threads gives the same outcomes as on one.
//!
//! Generators: arbitrary bytes, the sample data of `specs/examples/data/`
//! with JSON values swapped for hostile ones (huge and over-long numbers,
//! non-ASCII, wrong types, deep nesting, impossible dates), and text-level
//! mutations of the sample files (lines deleted or duplicated, characters
//! flipped, BOM, CRLF, stray quotes and separators).

mod common;

use mapc_connect::source::{self, MemorySource, Source};
use mapc_connect::Format;
use mapc_diag::{lookup, Phase, Severity};
use mapc_engine::{Compiled, Options, Outcome, WriteMode};
use mapc_output::report::report_lines;
use mapc_output::PrettyArray;
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::Value as J;
use std::sync::OnceLock;

/// `PROPTEST_CASES` when set, else `default`.
fn config(default: u32) -> Config {
    Config {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default),
        ..Config::default()
    }
}

/// The example specs and their sample data.
const EXAMPLES: &[(&str, &str)] = &[
    (
        include_str!("../../../specs/examples/business-central-orders.mapc.yaml"),
        include_str!("../../../specs/examples/data/business-central-orders.ndjson"),
    ),
    (
        include_str!("../../../specs/examples/business-central.mapc.yaml"),
        include_str!("../../../specs/examples/data/business-central.ndjson"),
    ),
    (
        include_str!("../../../specs/examples/contract-tool.mapc.yaml"),
        include_str!("../../../specs/examples/data/contract-tool.ndjson"),
    ),
    (
        include_str!("../../../specs/examples/marketing-contacts.mapc.yaml"),
        include_str!("../../../specs/examples/data/marketing-contacts.ndjson"),
    ),
    (
        include_str!("../../../specs/examples/odata-copy.mapc.yaml"),
        include_str!("../../../specs/examples/data/odata-copy.ndjson"),
    ),
];
const ODATA_COPY: usize = 4;
const ODATA_COPY_CSV: &str = include_str!("../../../specs/examples/data/odata-copy.csv");

/// Per example: per mapping, the engine for a create and for an update.
fn engines() -> &'static Vec<Vec<[Compiled; 2]>> {
    static E: OnceLock<Vec<Vec<[Compiled; 2]>>> = OnceLock::new();
    E.get_or_init(|| {
        EXAMPLES
            .iter()
            .map(|(spec, _)| {
                let p = common::program(spec);
                (0..p.mappings.len())
                    .map(|i| {
                        let e = |mode| {
                            Compiled::new(
                                &p,
                                i,
                                Options {
                                    as_of: common::AS_OF,
                                    mode,
                                },
                            )
                            .expect("an example mapping compiles")
                        };
                        [e(WriteMode::Create), e(WriteMode::Update)]
                    })
                    .collect()
            })
            .collect()
    })
}

/// Which engine: example, mapping (modulo their count) and mode.
#[derive(Clone, Copy, Debug)]
struct Pick {
    example: usize,
    mapping: usize,
    update: bool,
}

fn pick() -> impl Strategy<Value = Pick> {
    (0..EXAMPLES.len(), 0usize..8, any::<bool>()).prop_map(|(example, mapping, update)| Pick {
        example,
        mapping,
        update,
    })
}

fn engine(p: Pick) -> &'static Compiled {
    let ms = &engines()[p.example];
    &ms[p.mapping % ms.len()][usize::from(p.update)]
}

/// An outcome, owned, for comparing runs.
#[derive(Clone, Debug, PartialEq)]
enum Got {
    Written(usize, String, Vec<&'static str>),
    Skipped(usize, usize),
    Filtered(usize),
    Rejected(usize, &'static str, String),
}

impl Got {
    fn line(&self) -> usize {
        match self {
            Got::Written(l, ..) | Got::Skipped(l, _) | Got::Filtered(l) | Got::Rejected(l, ..) => {
                *l
            }
        }
    }
}

/// Parses one JSON document of any depth: an output record nests deeper
/// than serde_json's default limit of 128 when a value nested up to the
/// input limit (128) is written under a nested target path.
fn parse_json(bytes: &[u8]) -> Result<serde_json::Value, String> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    de.disable_recursion_limit();
    let mut values = de.into_iter::<serde_json::Value>();
    match (values.next(), values.next()) {
        (Some(Ok(v)), None) => Ok(v),
        (Some(Err(e)), _) | (_, Some(Err(e))) => Err(e.to_string()),
        (None, _) => Err("no JSON value".into()),
        (Some(Ok(_)), Some(Ok(_))) => Err("more than one JSON value".into()),
    }
}

fn assert_code(code: &str, severity: Severity) {
    let info = lookup(code).unwrap_or_else(|| panic!("unregistered runtime code {code}"));
    assert_eq!(info.code, code);
    assert_eq!(info.phase, Phase::Runtime, "{code} is not a runtime code");
    assert_eq!(info.severity, severity, "{code}: wrong severity");
}

/// Runs `src` through `engine` on `workers` threads and checks every
/// outcome; `Err` when the input as a whole was refused.
fn run(
    engine: &Compiled,
    src: &mut dyn Source,
    workers: usize,
) -> Result<Vec<Got>, std::io::Error> {
    let name = src.name().to_string();
    let mut got = Vec::new();
    let mut array = PrettyArray::new(Vec::new());
    let mut sink = |o: Outcome<'_>| -> std::io::Result<()> {
        let _ = report_lines(&o, None, &name);
        got.push(match o {
            Outcome::Written {
                at, json, warnings, ..
            } => {
                let v: J = parse_json(json).unwrap_or_else(|e| {
                    panic!(
                        "a written record is not JSON ({e}): {}",
                        String::from_utf8_lossy(json)
                    )
                });
                assert!(v.is_object(), "a written record is an object: {v}");
                for w in warnings {
                    assert_code(w.code.as_str(), Severity::Warning);
                }
                array.record(json)?;
                Got::Written(
                    at.line,
                    String::from_utf8_lossy(json).into_owned(),
                    warnings.iter().map(|w| w.code.as_str()).collect(),
                )
            }
            Outcome::Skipped { at, rule, .. } => Got::Skipped(at.line, rule),
            Outcome::Filtered { at, .. } => Got::Filtered(at.line),
            Outcome::Rejected(r) => {
                assert_code(r.code.as_str(), Severity::Error);
                Got::Rejected(r.at.line, r.code.as_str(), r.message)
            }
        });
        Ok(())
    };
    let result = engine.run_threads(src, &mut sink, workers);
    let written = got.iter().filter(|g| matches!(g, Got::Written(..))).count();
    match result {
        Ok(summary) => {
            assert_eq!(summary.read, got.len(), "one outcome per record read");
            assert_eq!(summary.written, written);
            let out = array.finish().expect("writing to memory");
            let v: J = parse_json(&out).unwrap_or_else(|e| {
                panic!(
                    "preview --format json is not JSON ({e}):\n{}",
                    String::from_utf8_lossy(&out)
                )
            });
            assert_eq!(v.as_array().map(Vec::len), Some(written));
            Ok(got)
        }
        Err(e) => {
            // In memory nothing can fail but the content: refused as a
            // whole (a CSV header that is not UTF-8), saying why.
            assert_eq!(e.kind(), std::io::ErrorKind::InvalidData, "{e}");
            assert!(!e.to_string().is_empty());
            Err(e)
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Reader {
    Ndjson,
    Json,
    Csv,
    Memory,
}

fn source(reader: Reader, bytes: &[u8]) -> Box<dyn Source> {
    let cursor = std::io::Cursor::new(bytes.to_vec());
    match reader {
        Reader::Ndjson => source::from_reader(Format::Ndjson, "in.ndjson".into(), cursor),
        Reader::Json => source::from_reader(Format::Json, "in.json".into(), cursor),
        Reader::Csv => source::from_reader(Format::Csv, "in.csv".into(), cursor),
        Reader::Memory => Box::new(MemorySource::new("mem", vec![bytes.to_vec()])),
    }
}

/// Runs on one thread and on three; both must agree. For NDJSON, also one
/// outcome per non-blank line, at that line.
fn check(p: Pick, reader: Reader, bytes: &[u8]) {
    let e = engine(p);
    let one = run(e, &mut *source(reader, bytes), 1);
    let three = run(e, &mut *source(reader, bytes), 3);
    match (&one, &three) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "one thread and three differ"),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        _ => panic!("one thread and three differ: {one:?} / {three:?}"),
    }
    if let (Reader::Ndjson, Ok(got)) = (reader, &one) {
        let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let want: Vec<usize> = body
            .split(|b| *b == b'\n')
            .enumerate()
            .filter(|(_, l)| l.iter().any(|c| !matches!(c, b' ' | b'\t' | b'\r')))
            .map(|(i, _)| i + 1)
            .collect();
        let mut lines: Vec<usize> = got.iter().map(Got::line).collect();
        // Companies mappings write parents first; positions are the same set.
        lines.sort_unstable();
        assert_eq!(lines, want, "NDJSON: one outcome per non-blank line");
    }
}

// ------------------------------------------------------------ generators

fn reader() -> impl Strategy<Value = Reader> {
    prop::sample::select(vec![
        Reader::Ndjson,
        Reader::Json,
        Reader::Csv,
        Reader::Memory,
    ])
}

/// Values that make mapping hard.
fn hostile_value() -> impl Strategy<Value = J> {
    let text = |s: &str| J::String(s.to_string());
    let num = |s: &str| serde_json::from_str::<J>(s).expect("a JSON number");
    prop_oneof![
        Just(J::Null),
        Just(J::Bool(true)),
        prop::sample::select(vec![
            "0",
            "-0",
            "1e400",
            "-1e-400",
            "1.5e3",
            "99999999999999999999999999999999999999999",
            "0.000000000000000000000000000000000001",
            "79228162514264337593543950335",
            "79228162514264337593543950336",
            "10.005",
            "1.00000000000000000000000000000",
        ])
        .prop_map(num),
        prop::sample::select(vec![
            "",
            " ",
            "Müller",
            "日本語",
            "🎉",
            "\u{feff}x",
            "a\u{0}b",
            "line\nbreak",
            "99.5",
            "1e3",
            "2026-02-29",
            "2026-11-22T10:00:00",
            "2026-11-22T10:00:00+14:00",
            "0001-01-01",
            "//",
            "|",
            "true",
            "null",
        ])
        .prop_map(text),
        (1usize..200).prop_map(|n| {
            let mut v = J::Null;
            for _ in 0..n {
                v = J::Array(vec![v]);
            }
            v
        }),
        Just(J::Object(Default::default())),
        Just(J::Array(vec![])),
        "\\PC{0,20}".prop_map(J::String),
    ]
}

/// Every path of a JSON value (object keys and list indices).
fn paths(v: &J, at: &mut Vec<PathSeg>, out: &mut Vec<Vec<PathSeg>>) {
    match v {
        J::Object(m) => {
            for (k, x) in m {
                at.push(PathSeg::Key(k.clone()));
                out.push(at.clone());
                paths(x, at, out);
                at.pop();
            }
        }
        J::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                at.push(PathSeg::Index(i));
                out.push(at.clone());
                paths(x, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone, Debug)]
enum PathSeg {
    Key(String),
    Index(usize),
}

fn get_mut<'a>(v: &'a mut J, path: &[PathSeg]) -> Option<&'a mut J> {
    path.iter().try_fold(v, |v, s| match s {
        PathSeg::Key(k) => v.get_mut(k.as_str()),
        PathSeg::Index(i) => v.get_mut(*i),
    })
}

#[derive(Clone, Debug)]
enum Edit {
    /// Replace the value at the n-th path (modulo their count).
    Replace(usize, J),
    /// Remove the n-th path.
    Remove(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => (any::<usize>(), hostile_value()).prop_map(|(n, v)| Edit::Replace(n, v)),
        1 => any::<usize>().prop_map(Edit::Remove),
    ]
}

fn apply(record: &mut J, e: &Edit) {
    let mut all = Vec::new();
    paths(record, &mut Vec::new(), &mut all);
    if all.is_empty() {
        return;
    }
    match e {
        Edit::Replace(n, v) => {
            if let Some(x) = get_mut(record, &all[n % all.len()]) {
                *x = v.clone();
            }
        }
        Edit::Remove(n) => {
            let path = &all[n % all.len()];
            let (last, parent) = path.split_last().expect("a path has a segment");
            match (get_mut(record, parent), last) {
                (Some(J::Object(m)), PathSeg::Key(k)) => {
                    m.remove(k.as_str());
                }
                (Some(J::Array(a)), PathSeg::Index(i)) => {
                    a.remove(*i);
                }
                _ => {}
            }
        }
    }
}

fn sample_records(example: usize) -> Vec<J> {
    EXAMPLES[example]
        .1
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("sample data is JSON"))
        .collect()
}

/// How the records are written out.
#[derive(Clone, Copy, Debug)]
enum Layout {
    Ndjson,
    Array,
    OData,
}

fn layout(records: &[J], l: Layout) -> (Reader, Vec<u8>) {
    match l {
        Layout::Ndjson => {
            let mut out = Vec::new();
            for r in records {
                out.extend(serde_json::to_vec(r).expect("serializes"));
                out.push(b'\n');
            }
            (Reader::Ndjson, out)
        }
        Layout::Array => (
            Reader::Json,
            serde_json::to_vec_pretty(records).expect("serializes"),
        ),
        Layout::OData => (
            Reader::Json,
            serde_json::to_vec(&serde_json::json!({
                "@odata.context": "https://x/$metadata#things",
                "value": records,
            }))
            .expect("serializes"),
        ),
    }
}

/// Text-level mutations of a sample file.
#[derive(Clone, Debug)]
enum TextEdit {
    DeleteLine(usize),
    DuplicateLine(usize),
    Flip(usize, u8),
    Insert(usize, &'static str),
    Bom,
    Crlf,
}

fn text_edit() -> impl Strategy<Value = TextEdit> {
    prop_oneof![
        any::<usize>().prop_map(TextEdit::DeleteLine),
        any::<usize>().prop_map(TextEdit::DuplicateLine),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| TextEdit::Flip(i, b)),
        (
            any::<usize>(),
            prop::sample::select(vec![
                "\"", ",", ";", "\n", "\r", "\r\n", "\t", "ü", "\u{feff}", "{", "}", "[", "]", ":",
                "\\", "\\u0000", "\\ud800", "1e400", "\"\"", "\n\n",
            ])
        )
            .prop_map(|(i, s)| TextEdit::Insert(i, s)),
        Just(TextEdit::Bom),
        Just(TextEdit::Crlf),
    ]
}

fn apply_text(bytes: &mut Vec<u8>, e: &TextEdit) {
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(
            bytes
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .filter(|i| *i < bytes.len())
        .collect();
    let line = |n: usize, bytes: &[u8]| {
        let s = line_starts[n % line_starts.len()];
        let e = bytes[s..]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(bytes.len(), |p| s + p + 1);
        s..e
    };
    match e {
        TextEdit::DeleteLine(n) if !line_starts.is_empty() => {
            let r = line(*n, bytes);
            bytes.drain(r);
        }
        TextEdit::DuplicateLine(n) if !line_starts.is_empty() => {
            let r = line(*n, bytes);
            let copy = bytes[r.clone()].to_vec();
            bytes.splice(r.end..r.end, copy);
        }
        TextEdit::Flip(i, b) if !bytes.is_empty() => {
            let i = i % bytes.len();
            bytes[i] = *b;
        }
        TextEdit::Insert(i, s) => {
            let i = i % (bytes.len() + 1);
            bytes.splice(i..i, s.bytes());
        }
        TextEdit::Bom => {
            bytes.splice(0..0, *b"\xEF\xBB\xBF");
        }
        TextEdit::Crlf => {
            let mut out = Vec::with_capacity(bytes.len());
            for b in bytes.iter() {
                if *b == b'\n' {
                    out.push(b'\r');
                }
                out.push(*b);
            }
            *bytes = out;
        }
        _ => {}
    }
}

/// Expressions over the record's `a`, `b`, `c` and `customer.x`, with
/// every function of the library (with as many arguments as it accepts).
fn expression() -> impl Strategy<Value = String> {
    // Mostly paths: their type is only known at run time, so most trees
    // check and get to the engine.
    let leaf = prop_oneof![
        6 => prop::sample::select(vec!["a", "b", "c", "customer.x"]).prop_map(String::from),
        2 => prop::sample::select(vec![
            "0",
            "2",
            "40",
            "10.005",
            "0.0000000000000000000000000001",
            "79228162514264337593543950335",
        ])
        .prop_map(String::from),
        1 => prop::sample::select(vec![
            "null",
            "true",
            "'x'",
            "''",
            "'Müller'",
            "'2026-02-28'",
            "'DD.MM.YYYY'",
            "'half_even'",
            "@2026-02-28",
            "@2026-11-22T10:00:00Z",
            "@2026-11-22T10:00:00+14:00",
        ])
        .prop_map(String::from),
    ];
    leaf.prop_recursive(5, 40, 4, |inner| {
        prop_oneof![
            (
                inner.clone(),
                prop::sample::select(vec![
                    "+", "-", "*", "/", "%", "==", "!=", "<", ">=", "and", "or", "in",
                ]),
                inner.clone()
            )
                .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            inner.clone().prop_map(|a| format!("(not {a})")),
            inner.clone().prop_map(|a| format!("(-{a})")),
            (
                0..mapc_ir::FUNCS.len(),
                0usize..2,
                prop::collection::vec(inner.clone(), 4)
            )
                .prop_map(|(f, extra, args)| {
                    let f = &mapc_ir::FUNCS[f];
                    let n = (f.min_args + extra).min(f.max_args).min(4);
                    format!("{}({})", f.name, args[..n].join(", "))
                }),
            prop::collection::vec(inner, 0..3).prop_map(|v| format!("[{}]", v.join(", "))),
        ]
    })
}

fn yaml_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

// ------------------------------------------------------------ properties

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn any_bytes_through_any_reader(
        p in pick(),
        r in reader(),
        bytes in prop::collection::vec(any::<u8>(), 0..400),
    ) {
        check(p, r, &bytes);
    }

    #[test]
    fn sample_records_with_hostile_values(
        p in pick(),
        edits in prop::collection::vec(edit(), 1..6),
        l in prop::sample::select(vec![Layout::Ndjson, Layout::Array, Layout::OData]),
    ) {
        let mut records = sample_records(p.example);
        let n = records.len();
        for (i, e) in edits.iter().enumerate() {
            // spread the edits over the records
            apply(&mut records[i * 7 % n], e);
        }
        let (reader, bytes) = layout(&records, l);
        check(p, reader, &bytes);
    }

    #[test]
    fn sample_files_with_text_edits(
        p in pick(),
        csv in any::<bool>(),
        edits in prop::collection::vec(text_edit(), 1..6),
    ) {
        let (p, reader, mut bytes) = if csv {
            (Pick { example: ODATA_COPY, ..p }, Reader::Csv, ODATA_COPY_CSV.as_bytes().to_vec())
        } else {
            (p, Reader::Ndjson, EXAMPLES[p.example].1.as_bytes().to_vec())
        };
        for e in &edits {
            apply_text(&mut bytes, e);
        }
        check(p, reader, &bytes);
    }
}

proptest! {
    // About a third of the random trees check; the rest stop at lowering.
    #![proptest_config(config(384))]

    #[test]
    fn random_expressions_over_hostile_values(
        field in expression(),
        when in expression(),
        values in prop::collection::vec(hostile_value(), 4),
        more in prop::collection::vec(prop::collection::vec(hostile_value(), 4), 0..4),
    ) {
        // A spec that does not check (a type error, an unknown arity) is
        // not this property's business: the compile properties cover it.
        let yaml = common::spec_with(&format!(
            "    rules:\n      - {{ when: {}, action: warn, message: w }}\n    fields:\n      - {{ from: id, to: id }}\n      - {{ expr: {}, to: out }}\n",
            yaml_quote(&format!("is_null({when})")),
            yaml_quote(&field),
        ));
        let parsed = mapc_syntax::spec::parse_str("p.yaml", &yaml);
        let mut diags = parsed.diagnostics;
        let Some(spec) = parsed.spec else { return Ok(()) };
        let lowered = mapc_ir::lower(&spec, None, &mut diags);
        if diags.has_errors() {
            return Ok(());
        }
        let Ok(e) = Compiled::new(&lowered.program, 0, Options::new(common::AS_OF)) else {
            return Ok(());
        };
        let record = |v: &[J]| {
            serde_json::to_vec(&serde_json::json!({
                "id": "r", "a": v[0], "b": v[1], "c": v[2], "customer": { "x": v[3] },
            }))
            .expect("serializes")
        };
        let records: Vec<Vec<u8>> = std::iter::once(&values).chain(&more).map(|v| record(v)).collect();
        let got = run(&e, &mut MemorySource::new("mem", records), 1).expect("in memory");
        prop_assert_eq!(got.len(), 1 + more.len());
    }
}

/// The sample data itself maps with no rejection other than the ones its
/// README lists (R0008 for the records that break an `error` rule).
#[test]
fn sample_data_maps_as_documented() {
    for (i, (_, data)) in EXAMPLES.iter().enumerate() {
        let p = Pick {
            example: i,
            mapping: 0,
            update: false,
        };
        let got = run(engine(p), &mut *source(Reader::Ndjson, data.as_bytes()), 1)
            .expect("sample data reads");
        for g in &got {
            if let Got::Rejected(line, code, message) = g {
                assert_eq!(*code, "R0008", "example {i}, line {line}: {message}");
            }
        }
    }
}
