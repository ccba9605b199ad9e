//! Property tests of the whole pipeline: spec bytes through
//! `mapc_compile::compile_bytes` (YAML, spec shape, rules, lowering, secret
//! redaction), the diagnostics in every output format, and, for a spec
//! without errors, its own tests and every mapping over its test inputs.
//! The invariants are the fuzz targets' (`fuzz/src/lib.rs`, shared so both
//! check the same thing): no panic; every diagnostic registered, with its
//! registered severity and a span inside the file; `--format json` and
//! `--format sarif` are JSON with one entry per diagnostic, `github` one
//! line each; every engine outcome is a JSON object or a coded rejection.
//!
//! Bounded so `cargo test` stays fast; `PROPTEST_CASES=N` runs N cases of
//! each property instead. Generators: the example specs and the check
//! fixtures with lines deleted and duplicated, bytes flipped and fragments
//! inserted (non-ASCII text, also right before a `:`, BOMs, CRLF, tabs,
//! huge numbers, deep nesting, YAML syntax), and arbitrary bytes.

#[allow(dead_code)]
#[path = "../fuzz/src/lib.rs"]
mod invariants;

use proptest::prelude::*;
use proptest::test_runner::Config;

fn config(default: u32) -> Config {
    Config {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default),
        ..Config::default()
    }
}

/// The example specs, the example test file and some check fixtures (the
/// ones that exercise most of the spec format).
fn base_specs() -> Vec<&'static str> {
    let mut v: Vec<&str> = invariants::EXAMPLE_SPECS.iter().map(|(_, t)| *t).collect();
    v.push(include_str!("../specs/examples/contract-tool.test.yaml"));
    v.push(include_str!("check/M0102-duplicate-key.yaml"));
    v.push(include_str!("check/M0104-alias-bomb.yaml"));
    v.push(include_str!("check/M0409-set-rule-shape.yaml"));
    v.push(include_str!("check/M0503-type-mismatch.yaml"));
    v.push(include_str!("check/M0603-custom-lock.yaml"));
    v
}

#[derive(Clone, Debug)]
enum Edit {
    DeleteLine(usize),
    DuplicateLine(usize),
    /// Replace the byte at a position (any byte: the text may stop being
    /// UTF-8).
    Flip(usize, u8),
    Insert(usize, String),
    Crlf,
    Bom,
}

/// Fragments that break a spec in interesting ways.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            ":",
            ": ",
            "\n",
            "\r\n",
            "\t",
            "  ",
            "- ",
            "{",
            "}",
            "[",
            "]",
            ",",
            "\"",
            "'",
            "&a ",
            "*a",
            "!!str ",
            "#",
            "|",
            ">",
            "---\n",
            "? ",
            "@",
            "`",
            "${",
            "${X}",
            "null",
            "~",
            "1e400",
            "99999999999999999999999999999999999999999",
            "-0.0",
            "0x1F",
            ".inf",
            "1.00000000000000000000000000000",
            "round(x, 40)",
            " and ",
            "(",
            ")",
            "from: ",
            "to: ",
            "expr: ",
            "when: ",
            "value: ",
            "key: ",
            "sync: two_way",
            "on_null: error",
            "- { from: a, to: b }",
            "client_secret: hunter2",
        ])
        .prop_map(String::from),
        (1usize..100).prop_map(|n| format!("{}1{}", "[".repeat(n), "]".repeat(n))),
        (1usize..80).prop_map(|n| format!("{}x{}", "(".repeat(n), ")".repeat(n))),
        (1usize..200).prop_map(|n| ["a"; 200][..n].join(".")),
        "[ -~]{0,12}",
        // non-ASCII, also right before a `:` (a German description)
        prop::sample::select(vec![
            "ü",
            "Müller",
            "Kunde Müller: Sonderfall",
            "日本語",
            "🎉",
            "\u{feff}",
            "\u{200b}",
            "\u{2028}",
            "\u{85}",
            "é:",
            "ß: ",
        ])
        .prop_map(String::from),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        2 => any::<usize>().prop_map(Edit::DeleteLine),
        2 => any::<usize>().prop_map(Edit::DuplicateLine),
        2 => (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Flip(i, b)),
        3 => (any::<usize>(), fragment()).prop_map(|(i, s)| Edit::Insert(i, s)),
        1 => Just(Edit::Crlf),
        1 => Just(Edit::Bom),
    ]
}

fn apply(text: &mut Vec<u8>, e: &Edit) {
    let starts: Vec<usize> = std::iter::once(0)
        .chain(
            text.iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .filter(|i| *i < text.len())
        .collect();
    let line = |n: usize, text: &[u8]| {
        let s = starts[n % starts.len()];
        let e = text[s..]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(text.len(), |p| s + p + 1);
        s..e
    };
    match e {
        Edit::DeleteLine(n) if !starts.is_empty() => {
            let r = line(*n, text);
            text.drain(r);
        }
        Edit::DuplicateLine(n) if !starts.is_empty() => {
            let r = line(*n, text);
            let copy = text[r.clone()].to_vec();
            text.splice(r.end..r.end, copy);
        }
        Edit::Flip(i, b) if !text.is_empty() => {
            let i = i % text.len();
            text[i] = *b;
        }
        Edit::Insert(i, s) => {
            let i = i % (text.len() + 1);
            text.splice(i..i, s.bytes());
        }
        Edit::Crlf => {
            let mut out = Vec::with_capacity(text.len() + text.len() / 20);
            for (i, b) in text.iter().enumerate() {
                if *b == b'\n' && (i == 0 || text[i - 1] != b'\r') {
                    out.push(b'\r');
                }
                out.push(*b);
            }
            *text = out;
        }
        Edit::Bom => {
            text.splice(0..0, *b"\xEF\xBB\xBF");
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(config(96))]

    #[test]
    fn mutated_specs_compile_and_run(
        base in 0usize..11,
        edits in prop::collection::vec(edit(), 1..5),
    ) {
        let specs = base_specs();
        let mut text = specs[base % specs.len()].as_bytes().to_vec();
        for e in &edits {
            apply(&mut text, e);
        }
        invariants::compile_and_run(&text);
    }

    #[test]
    fn literal_secrets_never_reach_a_report(
        base in 0usize..11,
        edits in prop::collection::vec(edit(), 0..3),
        at in any::<usize>(),
        form in 0usize..4,
    ) {
        // A literal secret on its own line, indented like the line it is put
        // before, anywhere in a (possibly broken) spec: whatever else is
        // wrong, no report in any format may show it.
        let specs = base_specs();
        let mut text = specs[base % specs.len()].as_bytes().to_vec();
        for e in &edits {
            apply(&mut text, e);
        }
        let starts: Vec<usize> = std::iter::once(0)
            .chain(text.iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| i + 1))
            .collect();
        let start = starts[at % starts.len()];
        let indent: Vec<u8> = text[start..].iter().take_while(|b| **b == b' ').copied().collect();
        let secret = [
            "client_secret: Zq7SECRETx9",
            "client_secret: \"Zq7SECRETx9\"",
            "password: 'Zq7SECRETx9'",
            "url: https://user:Zq7SECRETx9@example.com/",
        ][form];
        let mut line = indent;
        line.extend_from_slice(secret.as_bytes());
        line.push(b'\n');
        text.splice(start..start, line);
        let c = mapc_compile::compile_bytes("s.mapc.yaml", &text, &mapc_compile::CompileOptions::default());
        let files = [(&c.file, c.diagnostics.as_slice())];
        for format in [
            mapc_diag::Format::Human { color: false },
            mapc_diag::Format::Json,
            mapc_diag::Format::Github,
            mapc_diag::Format::Sarif,
        ] {
            let out = mapc_diag::render(format, &files);
            prop_assert!(!out.contains("Zq7SECRETx9"), "{format:?} shows the secret:\n{out}");
        }
    }

    #[test]
    fn any_bytes_compile(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        invariants::compile_and_run(&bytes);
    }

    #[test]
    fn sample_data_through_the_example_mappings(
        spec in 0u8..5,
        sel in any::<u8>(),
        cut in any::<usize>(),
    ) {
        // The records target's input: spec, reader/mode/mapping, body (the
        // spec's sample data, cut short at some point).
        let data = [
            include_str!("../specs/examples/data/business-central-orders.ndjson"),
            include_str!("../specs/examples/data/business-central.ndjson"),
            include_str!("../specs/examples/data/contract-tool.ndjson"),
            include_str!("../specs/examples/data/marketing-contacts.ndjson"),
            include_str!("../specs/examples/data/odata-copy.ndjson"),
        ][usize::from(spec)];
        let body = &data.as_bytes()[..cut % (data.len() + 1)];
        let mut input = vec![spec, sel];
        input.extend_from_slice(body);
        invariants::run_example_records(&input);
    }
}
