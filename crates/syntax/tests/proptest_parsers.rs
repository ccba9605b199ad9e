//! Property tests of the readers in this crate: the YAML reader and the spec
//! reader on top of it, the expression parser and the OData `$filter`
//! parser. Bounded so `cargo test` stays fast; `PROPTEST_CASES=N` runs N
//! cases of each property instead (the libFuzzer targets in `fuzz/` are the
//! long-running counterpart).
//!
//! Properties: nothing panics; every diagnostic has a registered code and a
//! span inside the text (not necessarily on character boundaries: "the
//! character at" spans are one byte wide, and the renderers widen them to
//! whole characters); `--format json` output of the diagnostics is JSON
//! with one entry per diagnostic, each a range that is not empty when its
//! span is not; a parsed expression or filter (or its error) has a span
//! inside the text.
//!
//! Generators give both arbitrary text and structure-aware text: YAML-ish
//! fragments (keys, flow and block syntax, anchors, non-ASCII, BOM, CRLF,
//! tabs, huge numbers, deep nesting) and expression/filter token soup and
//! well-formed trees.

use mapc_diag::{lookup, render, Diagnostic, Diagnostics, Format, SourceFile, Span};
use mapc_syntax::yaml::{self, Limits};
use proptest::prelude::*;
use proptest::test_runner::Config;

/// `PROPTEST_CASES` when set, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn config(default: u32) -> Config {
    Config {
        cases: cases(default),
        // Failures are kept in `proptest-regressions/` next to this file.
        ..Config::default()
    }
}

fn check_span(text: &str, s: Span, what: &str) {
    assert!(
        s.start <= s.end && s.end <= text.len(),
        "{what}: span {}..{} outside the text ({} bytes): {text:?}",
        s.start,
        s.end,
        text.len()
    );
}

fn check_diagnostics(file: &SourceFile, diags: Diagnostics) {
    let diags: Vec<Diagnostic> = diags.into_sorted();
    for d in &diags {
        let info =
            lookup(d.code.as_str()).unwrap_or_else(|| panic!("unregistered code {}", d.code));
        assert_eq!(info.code, d.code);
        check_span(&file.text, d.span, d.code.as_str());
        for (s, _) in &d.related {
            check_span(&file.text, *s, d.code.as_str());
        }
    }
    let json = render(Format::Json, &[(file, &diags)]);
    let v: serde_json::Value = serde_json::from_str(&json)
        .unwrap_or_else(|e| panic!("--format json is not JSON ({e}):\n{json}"));
    let entries = v["diagnostics"].as_array().expect("a `diagnostics` list");
    assert_eq!(entries.len(), diags.len(), "{json}");
    // Each range starts at line and column 1 or later, does not end before
    // it starts, and is not empty when the span is not.
    for (d, e) in diags.iter().zip(entries) {
        let at = |k: &str| e[k].as_u64().expect("a number");
        let start = (at("line"), at("column"));
        let end = (at("end_line"), at("end_column"));
        assert!(start.0 >= 1 && start.1 >= 1, "{}: {e}", d.code);
        assert!(end >= start, "{}: range ends before it starts: {e}", d.code);
        if !d.span.is_empty() {
            assert!(
                end > start,
                "{}: a non-empty span shows as empty: {e}",
                d.code
            );
        }
    }
}

fn read_yaml(text: &str) {
    let file = SourceFile::new("p.yaml", text);
    let mut diags = Diagnostics::new();
    let _ = yaml::parse(text, Limits::default(), &mut diags);
    check_diagnostics(&file, diags);
    let p = mapc_syntax::spec::parse_str("p.yaml", text);
    check_diagnostics(&p.file, p.diagnostics);
}

// ------------------------------------------------------------ generators

/// Pieces of YAML and of specs, hostile ones included.
fn yaml_fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        // keys of the spec format
        prop::sample::select(vec![
            "mapc",
            "name",
            "connections",
            "mappings",
            "source",
            "target",
            "fields",
            "from",
            "to",
            "expr",
            "value",
            "when",
            "rules",
            "action",
            "filter",
            "key",
            "entity",
            "connection",
            "kind",
            "tests",
            "input",
            "expect",
            "related",
            "via",
            "sync",
            "products",
            "sales_prices",
            "companies",
            "description",
            "auth",
            "client_secret",
        ])
        .prop_map(String::from),
        // YAML syntax
        prop::sample::select(vec![
            ": ",
            ":",
            "\n",
            "\r\n",
            "  ",
            "    ",
            "- ",
            "-",
            "{",
            "}",
            "[",
            "]",
            ", ",
            "\"",
            "'",
            "&a ",
            "*a",
            "!!str ",
            "!x ",
            "# c",
            "|",
            "|-\n  ",
            ">",
            "---\n",
            "...\n",
            "? ",
            "\t",
            "%YAML 1.2\n",
            "\\",
            "\"\\u00e4\"",
            "'it''s'",
            "~",
            "null",
            "true",
            "@",
        ])
        .prop_map(String::from),
        // non-ASCII, BOM, control and odd characters
        prop::sample::select(vec![
            "\u{feff}",
            "Müller",
            "Kunde Müller: Sonderfall",
            "日本語",
            "🎉",
            "\u{200b}",
            "é",
            "\u{85}",
            "\u{2028}",
            "\u{0}",
            "\u{7f}",
            "ß:",
        ])
        .prop_map(String::from),
        // numbers, huge ones included
        prop::sample::select(vec![
            "1",
            "0",
            "-0.0",
            "1.5e3",
            "1e400",
            ".inf",
            ".nan",
            "0x1F",
            "0o17",
            "+12",
            "99999999999999999999999999999999999999999",
            "10.005",
            "1.00000000000000000000000000000",
        ])
        .prop_map(String::from),
        "[a-z_]{1,8}",
        any::<char>().prop_map(String::from),
    ]
}

/// YAML-ish text: a soup of fragments, or a document nested deep.
fn yamlish() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::collection::vec(yaml_fragment(), 0..60).prop_map(|v| v.concat()),
        1 => (0usize..150, prop::bool::ANY).prop_map(|(n, flow)| if flow {
            format!("a: {}1{}", "[".repeat(n), "]".repeat(n))
        } else {
            (0..n).map(|i| format!("{}k{i}:\n", "  ".repeat(i))).collect()
        }),
        1 => (1usize..12).prop_map(|n| {
            // An alias chain that doubles at each step. (Up to 2^11 nodes:
            // past the node budget it is the M0104 fixture's case, and
            // about a second per case in a debug build.)
            let mut s = String::from("a0: &a0 [x, x]\n");
            for i in 1..n {
                s.push_str(&format!("a{i}: &a{i} [*a{}, *a{}]\n", i - 1, i - 1));
            }
            s
        }),
    ]
}

fn expr_token() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "a",
            "customer.name",
            "`@odata.etag`",
            "`in`",
            "x.`y z`",
            "_",
            "amount",
            " ",
            "\n",
            "\t",
            "(",
            ")",
            "[",
            "]",
            ",",
            "+",
            "-",
            "*",
            "/",
            "%",
            "==",
            "!=",
            "<",
            "<=",
            ">",
            ">=",
            "and",
            "or",
            "not",
            "in",
            "!",
            "&&",
            "||",
            "null",
            "true",
            "false",
            "'",
            "'it''s'",
            "'Müller'",
            "'日本'",
            "''",
            "round(",
            "concat(",
            "coalesce(",
            "upper(",
            "to_decimal(",
            "format_date(",
            "today()",
            "now()",
            "2026-02-28",
            "2026-02-29",
            "2026-11-22T10:00:00Z",
            "2026-13-01",
            "0",
            "10.005",
            "1.",
            ".5",
            "99999999999999999999999999999999999999999",
            "0.00000000000000000000000000001",
            "`",
            ".",
            "\u{feff}",
            "é",
            "=",
            "?",
            ":",
            "\"",
            "\\",
        ])
        .prop_map(String::from),
        any::<char>().prop_map(String::from),
    ]
}

/// Well-formed expressions, nested.
fn expr_tree() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        "[a-z][a-z0-9_]{0,6}(\\.[a-z][a-z0-9_]{0,6}){0,2}",
        "[0-9]{1,30}(\\.[0-9]{1,30})?",
        "'[^']{0,10}'",
        Just("null".to_string()),
        Just("true".to_string()),
        Just("2026-02-28".to_string()),
    ];
    leaf.prop_recursive(8, 64, 4, |inner| {
        prop_oneof![
            (
                inner.clone(),
                prop::sample::select(vec!["+", "-", "*", "/", "%", "==", "<", "and", "or", "in"]),
                inner.clone()
            )
                .prop_map(|(a, op, b)| format!("{a} {op} {b}")),
            inner.clone().prop_map(|a| format!("({a})")),
            inner.clone().prop_map(|a| format!("not {a}")),
            inner.clone().prop_map(|a| format!("-{a}")),
            (
                prop::sample::select(vec!["round", "concat", "coalesce", "upper", "nosuch"]),
                prop::collection::vec(inner.clone(), 0..4)
            )
                .prop_map(|(f, args)| format!("{f}({})", args.join(", "))),
            prop::collection::vec(inner, 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
        ]
    })
}

fn filter_token() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "name",
            "statecode",
            "customer/name",
            "Products/$count",
            "@p",
            " ",
            "(",
            ")",
            ",",
            "eq",
            "ne",
            "gt",
            "ge",
            "lt",
            "le",
            "and",
            "or",
            "not",
            "add",
            "sub",
            "mul",
            "div",
            "mod",
            "has",
            "in",
            "null",
            "true",
            "false",
            "'x'",
            "'it''s'",
            "'Müller'",
            "0",
            "-1",
            "10.005",
            "1e400",
            "99999999999999999999999999999999999999",
            "2026-02-29",
            "2026-11-22T10:00:00Z",
            "2026-11-22T10:00:00",
            "12:30:00",
            "duration'P1D'",
            "01234567-89ab-cdef-0123-456789abcdef",
            "binary'AQID'",
            "contains(",
            "startswith(",
            "tolower(",
            "year(",
            "cast(",
            "isof(",
            "any(d:d gt 1)",
            "all(",
            "$it",
            "/",
            ":",
            "geography'POINT(0 0)'",
            "Namespace.Enum'A'",
            "$filter=",
            "%20",
            "\u{feff}",
            "é",
        ])
        .prop_map(String::from),
        any::<char>().prop_map(String::from),
    ]
}

fn soup(token: impl Strategy<Value = String>) -> impl Strategy<Value = String> {
    prop::collection::vec(token, 0..40).prop_map(|v| v.concat())
}

// ------------------------------------------------------------ properties

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn yaml_reader_on_yamlish_text(text in yamlish()) {
        read_yaml(&text);
    }

    #[test]
    fn yaml_reader_on_any_text(text in any::<String>()) {
        read_yaml(&text);
    }

    #[test]
    fn spec_reader_on_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let p = mapc_syntax::spec::parse_bytes("p.yaml", &bytes);
        check_diagnostics(&p.file, p.diagnostics);
    }

    #[test]
    fn expression_parser(text in prop_oneof![soup(expr_token()), expr_tree(), any::<String>()]) {
        match mapc_syntax::expr::parse(&text) {
            Ok(e) => check_span(&text, e.span, "expression"),
            Err(e) => check_span(&text, e.span, "expression error"),
        }
    }

    #[test]
    fn filter_parser(text in prop_oneof![soup(filter_token()), any::<String>()]) {
        match mapc_syntax::filter::parse_filter(&text) {
            Ok(f) => check_span(&text, f.span, "filter"),
            Err(e) => check_span(&text, e.span, "filter error"),
        }
        for rule in ["filter", "boolCommonExpr", "commonExpr", "orderby", "select"] {
            let rule = mapc_syntax::filter::AbnfRule::from_name(rule).expect("a rule name");
            if let Err(at) = mapc_syntax::filter::check_rule(rule, &text) {
                prop_assert!(at <= text.chars().count());
            }
        }
    }
}

/// The expression depth limit holds for any mix of nesting, not just for
/// the shapes its unit tests build: deep input is an error, never a stack
/// overflow.
#[test]
fn deep_expressions_are_errors_not_overflows() {
    for open in ["(", "[", "not ", "-", "round(", "!"] {
        let text = open.repeat(5000) + "1";
        assert!(mapc_syntax::expr::parse(&text).is_err(), "{open}");
    }
    let text = "1".to_string() + &" + 1".repeat(20000);
    let _ = mapc_syntax::expr::parse(&text);
    let text = "(".repeat(5000) + "a eq 1";
    assert!(mapc_syntax::filter::parse_filter(&text).is_err());
}
