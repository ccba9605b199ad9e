//! The broken-spec corpus: every file in `tests/check/` (workspace root) is a
//! small, realistic spec with a known problem. Its first lines name the
//! diagnostics it must produce, exactly:
//!
//! ```yaml
//! # expect: M0601 40:95
//! # expect: M0602 38:74
//! ```
//!
//! For each file this test compiles it, compares the set of
//! `(code, line, column)` with those lines, and snapshots the human report so
//! a reviewer sees the place, the message and the help of every diagnostic.
//! Files named `M09*` are compiled with `--schema-cache
//! tests/fixtures/schema-cache` (`crm.xml` = Dataverse, `bc.xml` = Business
//! Central, `legacy.xml` = a truncated download).
//!
//! A few cases are generated here instead of committed (a 1 MiB scalar, a
//! 70,000-column line, a BOM);
//! [`generated`] lists them. `every_spec_code_has_a_failing_fixture` fails
//! when a spec code of the registry has no corpus case.

use mapc_compile::{compile_bytes, CompileOptions as Options};
use mapc_diag::{render, Code, Format, Phase};
use std::collections::BTreeSet;
use std::path::PathBuf;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/check");
/// Relative to the package root (the working directory of `cargo test`), so
/// the cache path in M0906/M0907 messages is the same on every machine.
const SCHEMA_CACHE: &str = "../../tests/fixtures/schema-cache";

type Expect = BTreeSet<(String, usize, usize)>;

struct Case {
    name: String,
    bytes: Vec<u8>,
}

/// Cases built in code (too large or too odd to commit).
fn generated() -> Vec<Case> {
    // M0106: a scalar over the 1 MiB limit, in an otherwise fine spec.
    let big = "x".repeat((1 << 20) + 1);
    let text = format!(
        "# expect: M0106 6:14\n#\n# A description of more than 1 MiB.\nmapc: 1\nname: huge-scalar\ndescription: {big}\nconnections:\n  out: {{ kind: file, path: out/x.ndjson }}\nmappings:\n  - {{ name: copy, source: {{ connection: out, entity: x }}, target: {{ connection: out, entity: y }} }}\n"
    );
    // A spec on one line whose error is past column 65,535: the human
    // report shows a window of the line (miette panicked on such a column).
    let pad = "x".repeat(70_000);
    let one_line = format!(
        "# expect: M0501 2:70246\n{{mapc: 1, name: one-line, description: \"{pad}\", connections: {{src: {{kind: file, path: in.ndjson}}, out: {{kind: file, path: out.ndjson}}}}, mappings: [{{name: m, source: {{connection: src, entity: a}}, target: {{connection: out, entity: b}}, fields: [{{expr: \"nosuchfn(1)\", to: y}}]}}]}}\n"
    );
    // A byte order mark before the first line, a German description with a
    // `:` after an umlaut, and one problem: the BOM is no column.
    let bom = "\u{feff}# expect: M0202 6:1\n#\n# Saved by a Windows editor, with a BOM.\nmapc: 1\nname: bom\ndescripton: \"Kunde Müller: Sonderfall\"\nconnections:\n  out: { kind: file, path: out/x.ndjson }\nmappings:\n  - { name: copy, source: { connection: out, entity: x }, target: { connection: out, entity: y } }\n";
    vec![
        Case {
            name: "M0106-huge-scalar".into(),
            bytes: text.into_bytes(),
        },
        Case {
            name: "M0501-past-column-65535".into(),
            bytes: one_line.into_bytes(),
        },
        Case {
            name: "M0202-bom-and-umlaut".into(),
            bytes: bom.as_bytes().to_vec(),
        },
    ]
}

fn corpus() -> Vec<Case> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(CORPUS)
        .expect("tests/check exists")
        .map(|e| e.expect("readable dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    let mut cases: Vec<Case> = files
        .into_iter()
        .map(|p| Case {
            name: p.file_stem().unwrap().to_string_lossy().into_owned(),
            bytes: std::fs::read(&p).expect("readable corpus file"),
        })
        .collect();
    cases.extend(generated());
    cases
}

/// The `# expect: CODE line:col` lines at the top of a case.
fn expectations(case: &Case) -> Expect {
    let text = String::from_utf8_lossy(&case.bytes);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut out = Expect::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("# expect:") else {
            if line.starts_with('#') {
                continue;
            }
            break;
        };
        let mut parts = rest.split_whitespace();
        let (Some(code), Some(pos), None) = (parts.next(), parts.next(), parts.next()) else {
            panic!(
                "{}: malformed expect line `{line}` (want `# expect: CODE line:col`)",
                case.name
            );
        };
        let (l, c) = pos
            .split_once(':')
            .unwrap_or_else(|| panic!("{}: bad position in `{line}`", case.name));
        out.insert((code.to_string(), l.parse().unwrap(), c.parse().unwrap()));
    }
    out
}

fn options(case: &Case) -> Options {
    Options {
        schema_cache: case
            .name
            .starts_with("M09")
            .then(|| PathBuf::from(SCHEMA_CACHE)),
    }
}

fn compile(case: &Case) -> mapc_compile::Compilation {
    compile_bytes(
        &format!("tests/check/{}.yaml", case.name),
        &case.bytes,
        &options(case),
    )
}

#[test]
fn corpus_produces_exactly_the_expected_diagnostics() {
    let mut failures = Vec::new();
    for case in corpus() {
        let want = expectations(&case);
        if want.is_empty() {
            failures.push(format!("{}: no `# expect:` line", case.name));
            continue;
        }
        let c = compile(&case);
        let got: Expect = c
            .diagnostics
            .iter()
            .map(|d| {
                let (l, col) = c.file.line_col(d.span.start);
                (d.code.to_string(), l, col)
            })
            .collect();
        if got != want {
            let fmt = |s: &Expect| {
                s.iter()
                    .map(|(c, l, col)| format!("{c} {l}:{col}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let detail: Vec<String> = c
                .diagnostics
                .iter()
                .map(|d| {
                    let (l, col) = c.file.line_col(d.span.start);
                    format!("    {} {l}:{col} {}", d.code, d.message)
                })
                .collect();
            failures.push(format!(
                "{}:\n  expected: {}\n  got:      {}\n{}",
                case.name,
                fmt(&want),
                fmt(&got),
                detail.join("\n")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} corpus file(s) differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn corpus_reports() {
    for case in corpus() {
        let c = compile(&case);
        // Lines longer than 200 characters (the 1 MiB scalar, the one-line
        // spec) are shown as windows around the labels by the renderer.
        let report = render(Format::Human { color: false }, &[(&c.file, &c.diagnostics)]);
        insta::assert_snapshot!(case.name.as_str(), report);
    }
}

#[test]
fn every_spec_code_has_a_failing_fixture() {
    let names: Vec<String> = corpus().into_iter().map(|c| c.name).collect();
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| c.phase() != Phase::Runtime)
        .map(|c| c.as_str())
        .filter(|c| !names.iter().any(|n| n.starts_with(c)))
        .collect();
    assert!(
        missing.is_empty(),
        "no corpus file in tests/check/ starts with {missing:?}; add `{}-<short-name>.yaml`",
        missing.first().unwrap_or(&"")
    );
}

#[test]
fn every_fixture_expects_the_code_it_is_named_after() {
    for case in corpus() {
        let want = expectations(&case);
        for (code, _, _) in &want {
            assert!(
                mapc_diag::lookup(code).is_some(),
                "{}: `{code}` is not a registered code",
                case.name
            );
        }
        if case.name.starts_with('M') {
            let code = &case.name[..5];
            assert!(
                want.iter().any(|(c, _, _)| c == code),
                "{}: named after {code} but does not expect it",
                case.name
            );
        }
    }
}
