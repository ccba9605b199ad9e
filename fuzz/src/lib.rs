//! The invariants every fuzz target asserts, and the example specs the
//! record targets run records through.
//!
//! * Nothing panics (libFuzzer reports a panic as a crash).
//! * Every diagnostic has a registered code, the severity registered for it,
//!   and a span inside its file.
//! * Diagnostics rendered as `json` and `sarif` are JSON that parses, with
//!   one entry per diagnostic (in `json`, each a range that starts at line
//!   and column 1 or later, does not end before it starts, and is not empty
//!   when the span is not); `github` is one line per diagnostic; `human`
//!   renders.
//! * The engine gives one outcome per record read: a written record that is
//!   a JSON object (with registered warning codes), a skip, a filter, or a
//!   rejection with a registered runtime error code; every outcome can be
//!   reported; the `preview --format json` array of the written records
//!   parses.

use jiff::civil::Date;
use mapc_connect::source::{self, MemorySource, Source};
use mapc_diag::{lookup, render, Diagnostic, Format, Phase, Severity, SourceFile};
use mapc_engine::testing::{literal_json, run_case};
use mapc_engine::{Compiled, Options, Outcome, WriteMode};
use mapc_ir::Program;
use mapc_output::report::{rejection_text, report_lines};
use mapc_output::{PrettyArray, Table};
use std::sync::OnceLock;

/// The as-of date the sample data in `specs/examples/data/` is written for.
pub const AS_OF: Date = Date::constant(2026, 11, 22);

/// Checks one file's diagnostics and renders them in every format.
pub fn check_diagnostics(file: &SourceFile, diags: &[Diagnostic]) {
    for d in diags {
        let info =
            lookup(d.code.as_str()).unwrap_or_else(|| panic!("unregistered code {}", d.code));
        assert_eq!(
            info.code, d.code,
            "a code is used by its code, not its name"
        );
        assert_eq!(
            d.severity, info.severity,
            "{}: severity differs from the registry",
            d.code
        );
        check_span(file, d.span, d.code.as_str());
        for (s, _) in &d.related {
            check_span(file, *s, d.code.as_str());
        }
    }
    let files = [(file, diags)];
    let json = render(Format::Json, &files);
    let v: serde_json::Value = serde_json::from_str(&json)
        .unwrap_or_else(|e| panic!("--format json is not JSON ({e}):\n{json}"));
    let entries = v["diagnostics"].as_array().expect("a `diagnostics` list");
    assert_eq!(
        entries.len(),
        diags.len(),
        "--format json has one entry per diagnostic"
    );
    // Entries come in the order given; each range starts at line and column
    // 1 or later and does not end before it starts, and a span that covers
    // something shows as a range that covers something.
    for (d, e) in diags.iter().zip(entries) {
        let at = |k: &str| {
            e[k].as_u64()
                .unwrap_or_else(|| panic!("`{k}` is a number: {e}"))
        };
        let start = (at("line"), at("column"));
        let end = (at("end_line"), at("end_column"));
        assert!(
            start.0 >= 1 && start.1 >= 1,
            "{}: range starts at {start:?}",
            d.code
        );
        assert!(end >= start, "{}: range ends before it starts: {e}", d.code);
        if !d.span.is_empty() {
            assert!(
                end > start,
                "{}: a non-empty span shows as an empty range: {e}",
                d.code
            );
        }
    }
    let sarif = render(Format::Sarif, &files);
    let v: serde_json::Value = serde_json::from_str(&sarif)
        .unwrap_or_else(|e| panic!("--format sarif is not JSON ({e}):\n{sarif}"));
    let n = v["runs"][0]["results"].as_array().map(Vec::len);
    assert_eq!(
        n,
        Some(diags.len()),
        "--format sarif has one result per diagnostic"
    );
    let gh = render(Format::Github, &files);
    assert_eq!(
        gh.lines().count(),
        diags.len(),
        "--format github: one line each:\n{gh}"
    );
    let _ = render(Format::Human { color: false }, &files);
}

fn check_span(file: &SourceFile, s: mapc_diag::Span, code: &str) {
    check_text_span(&file.text, s, code);
}

/// Checks everything about a run of `engine` over `src`; returns how many
/// records were written.
pub fn check_run(engine: &Compiled, src: &mut dyn Source, spec: Option<&SourceFile>) -> usize {
    let name = src.name().to_string();
    let mut outcomes = 0usize;
    let mut written = 0usize;
    let mut array = PrettyArray::new(Vec::new());
    let mut table = Table::default();
    let mut sink = |o: Outcome<'_>| -> std::io::Result<()> {
        outcomes += 1;
        check_outcome(&o);
        if let Outcome::Written { json, .. } = &o {
            written += 1;
            array.record(json)?;
            table.record(json);
        }
        let _ = report_lines(&o, spec, &name);
        Ok(())
    };
    match engine.run(src, &mut sink) {
        Ok(summary) => {
            assert_eq!(summary.read, outcomes, "one outcome per record read");
            assert_eq!(summary.written, written);
        }
        // The input as a whole is unreadable (a CSV header that is not
        // UTF-8): `preview` says so and exits 2. In memory there is no I/O
        // to fail, so it is always about the content, and says what.
        Err(e) => {
            assert_eq!(e.kind(), std::io::ErrorKind::InvalidData, "{e}");
            assert!(!e.to_string().is_empty());
        }
    }
    let out = array.finish().expect("writing to memory");
    let v: serde_json::Value = parse_json(&out).unwrap_or_else(|e| {
        panic!(
            "preview --format json is not JSON ({e}):\n{}",
            String::from_utf8_lossy(&out)
        )
    });
    assert_eq!(v.as_array().map(Vec::len), Some(written));
    let _ = table.render();
    written
}

/// A written record is a JSON object with registered warnings; a rejection
/// has a registered runtime error code.
pub fn check_outcome(o: &Outcome<'_>) {
    match o {
        Outcome::Written { json, warnings, .. } => {
            let v: serde_json::Value = parse_json(json).unwrap_or_else(|e| {
                panic!(
                    "a written record is not JSON ({e}): {}",
                    String::from_utf8_lossy(json)
                )
            });
            assert!(v.is_object(), "a written record is an object: {v}");
            for w in warnings.iter() {
                assert_code(w.code.as_str(), Severity::Warning);
            }
        }
        Outcome::Rejected(r) => assert_code(r.code.as_str(), Severity::Error),
        Outcome::Skipped { .. } | Outcome::Filtered { .. } => {}
    }
}

/// Parses one JSON document of any depth: an output record nests deeper
/// than serde_json's default limit of 128 when a value nested up to the
/// input limit (128) is written under a nested target path.
pub fn parse_json(bytes: &[u8]) -> Result<serde_json::Value, String> {
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
    assert_eq!(info.severity, severity, "{code} has the wrong severity");
}

/// The example specs, compiled once, with an engine per mapping and mode.
pub struct Examples {
    pub specs: Vec<Example>,
}

pub struct Example {
    pub file: SourceFile,
    pub program: Program,
    /// Per mapping: the engine for a create and for an update.
    pub engines: Vec<[Compiled; 2]>,
}

/// The example specs, in the order the `records` target's first byte
/// picks them (and `make_seeds.py` writes it).
pub const EXAMPLE_SPECS: &[(&str, &str)] = &[
    (
        "business-central-orders.mapc.yaml",
        include_str!("../../specs/examples/business-central-orders.mapc.yaml"),
    ),
    (
        "business-central.mapc.yaml",
        include_str!("../../specs/examples/business-central.mapc.yaml"),
    ),
    (
        "contract-tool.mapc.yaml",
        include_str!("../../specs/examples/contract-tool.mapc.yaml"),
    ),
    (
        "marketing-contacts.mapc.yaml",
        include_str!("../../specs/examples/marketing-contacts.mapc.yaml"),
    ),
    (
        "odata-copy.mapc.yaml",
        include_str!("../../specs/examples/odata-copy.mapc.yaml"),
    ),
];

pub fn examples() -> &'static Examples {
    static EX: OnceLock<Examples> = OnceLock::new();
    EX.get_or_init(|| {
        let specs = EXAMPLE_SPECS
            .iter()
            .map(|(name, text)| {
                let c =
                    mapc_compile::compile_str(name, text, &mapc_compile::CompileOptions::default());
                assert!(!c.has_errors(), "{name} has errors");
                let program = c.program.expect("an example is a spec");
                let engine = |i, mode| {
                    Compiled::new(&program, i, Options { as_of: AS_OF, mode })
                        .expect("an example mapping compiles")
                };
                let engines = (0..program.mappings.len())
                    .map(|i| [engine(i, WriteMode::Create), engine(i, WriteMode::Update)])
                    .collect();
                Example {
                    file: c.file,
                    program,
                    engines,
                }
            })
            .collect();
        Examples { specs }
    })
}

/// Runs `data` through an example mapping. Byte 0 picks the spec
/// ([`EXAMPLE_SPECS`]); byte 1 the reader (bits 0-1: NDJSON, JSON document,
/// CSV, or the rest as one in-memory record), the mode (bit 2: create,
/// update) and the mapping (bits 3-7); the rest is the input.
pub fn run_example_records(data: &[u8]) {
    let [spec, sel, body @ ..] = data else {
        return;
    };
    let ex = &examples().specs[*spec as usize % EXAMPLE_SPECS.len()];
    let engine = &ex.engines[(*sel >> 3) as usize % ex.engines.len()][(*sel >> 2) as usize & 1];
    let body = body.to_vec();
    let cursor = std::io::Cursor::new(body.clone());
    let mut src: Box<dyn Source> = match sel & 3 {
        0 => source::from_reader(mapc_connect::Format::Ndjson, "in.ndjson".into(), cursor),
        1 => source::from_reader(mapc_connect::Format::Json, "in.json".into(), cursor),
        2 => source::from_reader(mapc_connect::Format::Csv, "in.csv".into(), cursor),
        _ => Box::new(MemorySource::new("mem", vec![body])),
    };
    check_run(engine, &mut *src, Some(&ex.file));
}

/// Compiles spec bytes and checks the diagnostics; when the spec has no
/// errors, runs its tests and every mapping over its test inputs and an
/// empty record.
pub fn compile_and_run(data: &[u8]) {
    let c = mapc_compile::compile_bytes(
        "fuzz.mapc.yaml",
        data,
        &mapc_compile::CompileOptions::default(),
    );
    check_diagnostics(&c.file, &c.diagnostics);
    let Some(program) = &c.program else { return };
    if c.has_errors() {
        return;
    }
    for t in program.tests.iter().take(8) {
        let _ = run_case(program, t, AS_OF, &|r| rejection_text(r, None));
    }
    for (i, _) in program.mappings.iter().enumerate().take(4) {
        let Ok(engine) = Compiled::new(program, i, Options::new(AS_OF)) else {
            continue;
        };
        let mut records = vec![b"{}".to_vec()];
        for t in program.tests.iter().filter(|t| t.mapping == i).take(8) {
            let mut r = Vec::new();
            literal_json(&t.input, &mut r);
            records.push(r);
        }
        let mut src = MemorySource::new("mem", records);
        check_run(&engine, &mut src, Some(&c.file));
    }
}

/// A span lies inside `text`. Not necessarily on character boundaries:
/// "the character at" spans are one byte wide, and showing whole characters
/// is the renderers' job (issue 6 settled it that way), so the rendered
/// output is what the other checks look at.
pub fn check_text_span(text: &str, s: mapc_diag::Span, what: &str) {
    assert!(
        s.start <= s.end && s.end <= text.len(),
        "{what}: span {}..{} outside the text ({} bytes)",
        s.start,
        s.end,
        text.len()
    );
}

/// The `yaml` target: the YAML reader, the spec reader on top of it and the
/// `*.test.yaml` reader.
pub fn read_yaml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        // Invalid UTF-8 is the spec reader's M0107.
        let p = mapc_syntax::spec::parse_bytes("fuzz.yaml", data);
        check_diagnostics(&p.file, &p.diagnostics.into_sorted());
        return;
    };
    let file = SourceFile::new("fuzz.yaml", text);
    let mut diags = mapc_diag::Diagnostics::new();
    let _ = mapc_syntax::yaml::parse(text, mapc_syntax::yaml::Limits::default(), &mut diags);
    check_diagnostics(&file, &diags.into_sorted());

    let p = mapc_syntax::spec::parse_str("fuzz.yaml", text);
    check_diagnostics(&p.file, &p.diagnostics.into_sorted());

    let t = mapc_syntax::spec::parse_test_file("fuzz.test.yaml", text);
    check_diagnostics(&t.file, &t.diagnostics.into_sorted());
}

/// The `expr` target: an expression or a located error.
pub fn parse_expr(text: &str) {
    match mapc_syntax::expr::parse(text) {
        Ok(e) => check_text_span(text, e.span, "expression"),
        Err(e) => check_text_span(text, e.span, "expression error"),
    }
}

/// The `filter` target: a `$filter` or a located error; the ABNF rule
/// checker stops inside the text.
pub fn parse_filter(text: &str) {
    use mapc_syntax::filter::{check_rule, AbnfRule};
    match mapc_syntax::filter::parse_filter(text) {
        Ok(f) => check_text_span(text, f.span, "filter"),
        Err(e) => check_text_span(text, e.span, "filter error"),
    }
    for name in [
        "filter",
        "boolCommonExpr",
        "commonExpr",
        "orderby",
        "select",
    ] {
        let rule = AbnfRule::from_name(name).expect("a rule name");
        if let Err(at) = check_rule(rule, text) {
            let chars = text.chars().count();
            assert!(
                at <= chars,
                "{name}: error at character {at} past the end ({chars})"
            );
        }
    }
}

/// Runs one input of a target by its name (for replaying reproducers).
pub fn run_target(target: &str, data: &[u8]) {
    match target {
        "yaml" => read_yaml(data),
        "expr" => {
            if let Ok(t) = std::str::from_utf8(data) {
                parse_expr(t)
            }
        }
        "filter" => {
            if let Ok(t) = std::str::from_utf8(data) {
                parse_filter(t)
            }
        }
        "compile" => compile_and_run(data),
        "records" => run_example_records(data),
        "table" => open_table(data),
        "state" => open_state(data),
        "keyindex" => key_index_ops(data),
        other => panic!("no fuzz target `{other}`"),
    }
}

/// A scratch file of this process for one fuzz input.
fn scratch(name: &str, data: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mapc-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let p = dir.join(name);
    let _ = std::fs::write(&p, data);
    p
}

/// Arbitrary bytes as an existing target file of `mapc run` (byte 0 picks
/// the format: NDJSON, JSON array, CSV): opened as a keyed table, every key
/// read, one record updated and one created, committed. A refusal names a
/// registered code; a committed file opens again with the same keys.
pub fn open_table(data: &[u8]) {
    use mapc_connect::{open_file_target, Target, Write};
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let name = ["t.ndjson", "t.json", "t.csv"][usize::from(sel % 3)];
    let p = scratch(name, rest);
    let Ok(mut t) = open_file_target(&p, None, &["id"]) else {
        return;
    };
    let keys = match t.keys() {
        Ok(k) => k,
        Err(e) => {
            let m = e.to_string();
            if let Some(code) = m.strip_prefix('[').and_then(|r| r.split(']').next()) {
                assert!(
                    mapc_diag::lookup(code).is_some(),
                    "unregistered code in {m}"
                );
            }
            return;
        }
    };
    for k in &keys {
        let rec = t
            .get(k)
            .expect("a listed key reads")
            .expect("a listed key has a record");
        assert!(serde_json::from_slice::<serde_json::Value>(&rec).is_ok_and(|v| v.is_object()));
    }
    let mut writes = vec![Write::Create {
        key: "fuzz-new",
        record: br#"{"id":"fuzz-new","v":1.10}"#,
    }];
    if let Some(k) = keys.first() {
        writes.push(Write::Update {
            key: k,
            patch: br#"{"v":{"w":null}}"#,
        });
    }
    let results = t
        .write(&writes)
        .expect("writes are accepted or refused per record");
    assert_eq!(results.len(), writes.len());
    if t.commit().is_ok() {
        let mut again = open_file_target(&p, None, &["id"]).expect("reopens");
        let now = again.keys().expect("a committed table reads back");
        assert!(now.contains(&"fuzz-new".to_string()), "{now:?}");
    }
}

/// Arbitrary bytes as a state database: opening, reading and committing
/// either work or fail with a registered code, never a panic.
pub fn open_state(data: &[u8]) {
    use mapc_state::{KeyState, Scope, SqliteState, StateStore, Unit};
    let p = scratch("state.db", data);
    let _ = std::fs::remove_file(p.with_extension("db-wal"));
    let registered =
        |e: &mapc_state::StateError| assert!(mapc_diag::lookup(e.code.as_str()).is_some(), "{e:?}");
    let mut s = match SqliteState::open(&p) {
        Ok(s) => s,
        Err(e) => return registered(&e),
    };
    let scope = Scope {
        env: String::new(),
        mapping: "m".into(),
    };
    if let Err(e) = s
        .key_states(&scope)
        .and_then(|_| s.watermark(&scope))
        .and_then(|_| s.pending(&scope))
    {
        return registered(&e);
    }
    let keys = [(
        "k".to_string(),
        Some(KeyState {
            hash: 7,
            bases: Box::default(),
        }),
    )];
    let r = s
        .intend(&scope, 1, &["k".into()])
        .and_then(|u| {
            s.commit(
                &scope,
                Some(u),
                &Unit {
                    keys: &keys,
                    watermark: Some("2026-01-01T00:00:00Z"),
                },
            )
        })
        .and_then(|_| s.key_states(&scope));
    match r {
        Ok(k) => assert_eq!(k.hash("k").ok().flatten(), Some(7)),
        Err(e) => return registered(&e),
    }
    // A run that stages a unit counts it only once it commits.
    let staged = [(
        "s".to_string(),
        Some(KeyState {
            hash: 9,
            bases: vec![("f".into(), "1".into())].into(),
        }),
    )];
    let r = s.begin_run(&scope, "t", false).and_then(|run| {
        let mut live = s.key_states(&scope)?;
        s.compact(&scope, &mut live)?;
        s.stage(&scope, run, &staged)?;
        assert_eq!(s.key_states(&scope)?.hash("s").ok().flatten(), None);
        s.commit_run(&scope, run, None, &[])?;
        s.key_states(&scope)
    });
    match r {
        Ok(k) => assert_eq!(k.get("s").ok().flatten().map(|s| s.hash), Some(9)),
        Err(e) => registered(&e),
    }
}

/// Bytes as operations on a `KeyIndex` whose memory part holds 1 to 8
/// entries (so most answers come from its scratch runs and merges), checked
/// against a hash map, and the same operations on the run's `KeyStates`.
pub fn key_index_ops(data: &[u8]) {
    use mapc_keyindex::KeyIndex;
    use std::collections::HashMap;
    let Some((&first, ops)) = data.split_first() else {
        return;
    };
    let mut index = KeyIndex::<4>::with_limit(None, usize::from(first % 8) + 1);
    let mut states = mapc_state::KeyStates::new();
    let mut model: HashMap<u128, [u8; 4]> = HashMap::new();
    for op in ops.chunks(3) {
        let [what, k, v] = *op else { return };
        // Keys spread over both halves of the 128 bits.
        let key = u128::from(k) << 121 | u128::from(k).wrapping_mul(0x9e37_79b9);
        let text = format!("k{k}");
        let value = [v, k, what, 1];
        match what % 4 {
            0 => {
                index.insert(key, value).expect("insert");
                model.insert(key, value);
                let st = mapc_state::KeyState {
                    hash: u128::from(v),
                    bases: Box::default(),
                };
                states.insert(&text, &st).expect("insert");
            }
            1 => {
                let got = index.get_or_insert(key, value).expect("get_or_insert");
                assert_eq!(got, model.get(&key).copied());
                model.entry(key).or_insert(value);
            }
            2 => {
                let old = index.replace(key, value).expect("replace");
                assert_eq!(old, model.insert(key, value));
                states.remove(&text).expect("remove");
            }
            _ => {
                assert_eq!(index.get(key).expect("get"), model.get(&key).copied());
                let _ = states.get(&text).expect("get");
            }
        }
    }
    for (k, v) in &model {
        assert_eq!(index.get(*k).expect("get"), Some(*v));
    }
    let n = states.len();
    assert_eq!(states.to_map().expect("walk").len(), n);
}
