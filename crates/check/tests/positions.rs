//! Diagnostics inside expressions and filters point at the exact text in
//! every YAML scalar style, their labels sit on the operands they name, and
//! filter diagnostics speak OData. Also: date patterns, test expectations of
//! warning codes, `sales_prices.fields`, and the metadata helps.

use mapc_compile::{compile_str, Compilation as Compiled, CompileOptions as Options};
use mapc_diag::Diagnostic;
use std::path::PathBuf;

/// A spec whose one mapping reads Dataverse opportunities; `source_extra`
/// goes inside the flow-style `source`, `mapping` and `top` are appended to
/// the mapping and the file.
fn spec(source_extra: &str, mapping: &str, top: &str) -> String {
    format!(
        "mapc: 1
name: positions
connections:
  crm:
    kind: dataverse
    url: https://contoso.crm4.dynamics.com
    auth:
      flow: client_credentials
      tenant: ${{AZURE_TENANT_ID}}
      client_id: ${{MAPC_CLIENT_ID}}
      client_secret: ${{MAPC_CLIENT_SECRET}}
  out:
    kind: file
    path: out/contracts.ndjson
mappings:
  - name: opportunity-contract
    source: {{ connection: crm, entity: opportunity, key: opportunityid{source_extra} }}
    target: {{ connection: out, entity: contract, key: external_id }}
    fields:
      - {{ from: opportunityid, to: external_id }}
      - {{ from: name, to: title }}
{mapping}{top}"
    )
}

fn rules(when: &str) -> String {
    format!("    rules:\n      - when: {when}\n        action: skip\n")
}

/// Compiled against the test metadata (`crm` is a Dataverse service).
fn compile(src: &str) -> Compiled {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/schema-cache"
    ));
    compile_str(
        "positions.yaml",
        src,
        &Options {
            schema_cache: Some(dir),
        },
    )
}

fn with_code<'a>(c: &'a Compiled, code: &str) -> Vec<&'a Diagnostic> {
    c.diagnostics.iter().filter(|d| d.code == code).collect()
}

fn text(c: &Compiled, span: mapc_diag::Span) -> &str {
    &c.file.text[span.start..span.end]
}

/// The text under each diagnostic with `code`.
fn texts(c: &Compiled, code: &str) -> Vec<String> {
    with_code(c, code)
        .iter()
        .map(|d| text(c, d.span).to_string())
        .collect()
}

fn all(c: &Compiled) -> String {
    c.diagnostics
        .iter()
        .map(|d| {
            format!(
                "{} {} [{}] help: {:?}",
                d.code,
                d.message,
                text(c, d.span),
                d.help
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn unknown_function_inside_every_scalar_style() {
    let cases = [
        ">-\n          cuntry == 'DE' and foo(1)",
        "|\n          cuntry == 'DE'\n          and foo(1)",
        ">\n          cuntry == 'DE'\n\n          and foo(1)",
        "cuntry == 'DE'\n          and foo(1)",
        "'cuntry == ''DE''\n          and foo(1)'",
        "\"concat(name, \\\n          foo(1)) == 'x'\"",
        "\"cuntry == \\\"DE\\\"\n\n           and  foo(1)\"",
        "\"concat('na\\u00efve\\t', name) == 'x' or foo(1)\"",
    ];
    for when in cases {
        let c = compile(&spec("", &rules(when), ""));
        assert_eq!(texts(&c, "M0501"), ["foo"], "when: {when}\n{}", all(&c));
    }
}

#[test]
fn comparison_labels_sit_on_the_operands() {
    let cases = [
        (
            spec("", &rules("\"name > 5 and statecode == 0\""), ""),
            "name",
            "5",
        ),
        (spec("", &rules("\"7 <= name\""), ""), "7", "name"),
        (spec(", filter: \"name gt 5\"", "", ""), "name", "5"),
        (
            spec(", filter: \"estimatedvalue  eq  'x'\"", "", ""),
            "estimatedvalue",
            "'x'",
        ),
    ];
    for (src, left, right) in &cases {
        let c = compile(src);
        let ds = with_code(&c, "M0503");
        assert_eq!(ds.len(), 1, "{}", all(&c));
        let d = ds[0];
        // The diagnostic's own span is the left operand, with its label; the
        // right operand is the one related place: no span contains another.
        assert_eq!(text(&c, d.span), *left);
        assert!(d.label.as_deref().unwrap().starts_with("this is"));
        assert_eq!(d.related.len(), 1);
        assert_eq!(text(&c, d.related[0].0), *right);
        assert!(d.related[0].1.starts_with("this is"));
    }
}

#[test]
fn filter_diagnostics_speak_odata() {
    let c = compile(&spec(", filter: \"estimatedvalue gt '0'\"", "", ""));
    let d = with_code(&c, "M0503")[0];
    assert_eq!(d.message, "`gt` compares decimal with string");
    let help = d.help.as_deref().unwrap();
    assert!(help.contains("`estimatedvalue gt 0`"), "{help}");

    let c = compile(&spec(", filter: \"statecode eq 'open'\"", "", ""));
    let d = with_code(&c, "M0503")[0];
    assert!(d.message.starts_with("`eq` compares"), "{}", d.message);

    let c = compile(&spec(", filter: \"not name\"", "", ""));
    let d = with_code(&c, "M0503")[0];
    assert!(d.help.as_deref().unwrap().contains("`x eq null`"));

    let c = compile(&spec(", filter: \"statecode eq 0 and name\"", "", ""));
    assert_eq!(with_code(&c, "M0503").len(), 1, "{}", all(&c));

    let c = compile(&spec(", filter: \"contains(name, 5)\"", "", ""));
    assert_eq!(texts(&c, "M0503"), ["5"], "{}", all(&c));

    // No mapc-expression words in any filter help.
    for filter in [
        "estimatedvalue gt '0'",
        "not name",
        "statecode eq 0 and name",
        "contains(name, 5)",
        "estimatedclosedate ge 'soon'",
        "-name eq 1",
        "name add 1 eq 2",
        "statecode in ('a', 'b')",
    ] {
        let c = compile(&spec(&format!(", filter: \"{filter}\""), "", ""));
        assert!(!c.diagnostics.is_empty(), "{filter}");
        for d in &c.diagnostics {
            let words = format!("{} {}", d.message, d.help.as_deref().unwrap_or(""));
            for bad in [
                "to_decimal",
                "to_string",
                "is_null",
                "parse_date",
                "==",
                "`>`",
                "`<`",
                "!=",
            ] {
                assert!(!words.contains(bad), "{filter}: {words}");
            }
        }
    }
}

#[test]
fn date_patterns_are_checked() {
    let field = |e: &str| format!("      - {{ expr: \"{e}\", to: closing }}\n");
    let c = compile(&spec(
        "",
        &field("format_date(estimatedclosedate, 'yyyy-MM-dd')"),
        "",
    ));
    assert_eq!(texts(&c, "M0303"), ["'yyyy-MM-dd'"]);
    let help = with_code(&c, "M0303")[0].help.clone().unwrap();
    assert!(help.contains("write 'YYYY-MM-DD'"), "{help}");

    let c = compile(&spec("", &field("parse_date(name, 'dd.MM.yyyy')"), ""));
    assert_eq!(texts(&c, "M0303"), ["'dd.MM.yyyy'"]);
    assert!(with_code(&c, "M0303")[0]
        .help
        .as_deref()
        .unwrap()
        .contains("'DD.MM.YYYY'"));

    let c = compile(&spec(
        "",
        &field("format_date(estimatedclosedate, 'DD MMM YYYY, hh:mm')"),
        "",
    ));
    assert!(with_code(&c, "M0303")[0]
        .help
        .as_deref()
        .unwrap()
        .contains("'DD MM YYYY, HH:mm'"));

    // A letter that is no token.
    let c = compile(&spec(
        "",
        &field("format_date(estimatedclosedate, 'YYYY-MM-DD at HH')"),
        "",
    ));
    assert_eq!(texts(&c, "M0303"), ["'YYYY-MM-DD at HH'"]);

    // parse_date cannot build a date without YYYY, MM and DD.
    let c = compile(&spec("", &field("parse_date(name, 'MM/YYYY')"), ""));
    assert_eq!(texts(&c, "M0303"), ["'MM/YYYY'"]);

    for ok in [
        "format_date(estimatedclosedate, 'DD.MM.YYYY')",
        "format_date(estimatedclosedate, 'YYYY-MM-DD HH:mm:ss')",
        "parse_date(name, 'YYYYMMDD')",
        "parse_date(name)",
    ] {
        let c = compile(&spec("", &field(ok), ""));
        assert!(with_code(&c, "M0303").is_empty(), "{ok}: {}", all(&c));
    }
}

#[test]
fn warning_codes_cannot_be_expected() {
    for expect in ["R0101", "{ error: R0102 }", "rule-warning"] {
        let tests = format!(
            "tests:\n  - name: warned\n    input: {{ opportunityid: \"b1c5e0a2-0000-0000-0000-000000000001\", name: \"A\" }}\n    expect: {expect}\n"
        );
        let c = compile(&spec("", "", &tests));
        let ds = with_code(&c, "M0204");
        assert_eq!(ds.len(), 1, "{expect}: {}", all(&c));
        assert!(ds[0]
            .help
            .as_deref()
            .unwrap()
            .contains("warnings do not reject a record"));
    }
    // Helps that list the expectable codes leave the warnings out.
    let tests = "tests:\n  - name: bad\n    input: { opportunityid: \"x\" }\n    expect: { error: M0202 }\n";
    let c = compile(&spec("", "", tests));
    let help = with_code(&c, "M0204")[0].help.clone().unwrap();
    assert!(help.contains("R0008") && !help.contains("R0101"), "{help}");
}

#[test]
fn sales_price_fields() {
    let block = |fields: &str| format!("sales_prices:\n  path: salesprices\n  fields: {fields}\n");
    let c = compile(&spec("", "", &block("[]")));
    assert_eq!(texts(&c, "M0207"), ["[]"], "{}", all(&c));
    let c = compile(&spec("", "", &block("[ unitprice, salescode, unitprice ]")));
    assert_eq!(texts(&c, "M0703"), ["unitprice"]);
    let d = with_code(&c, "M0703")[0];
    assert!(d.span.start > d.related[0].0.start);
    let c = compile(&spec("", "", &block("[unitprice, salescode]")));
    assert!(texts(&c, "M0207").is_empty() && texts(&c, "M0703").is_empty());
    // A mapping's own block, in block style.
    let own = "    sales_prices:\n      fields: [ ]\n";
    let c = compile(&spec("", own, ""));
    assert_eq!(texts(&c, "M0207"), ["[ ]"]);
}

#[test]
fn metadata_helps_do_not_name_a_missing_command() {
    let src = spec("", "", "").replace(
        "kind: file\n    path: out/contracts.ndjson",
        "kind: odata\n    url: https://erp.example.com/odata",
    );
    let c = compile(&src);
    let d = with_code(&c, "M0907");
    assert!(!d.is_empty(), "{}", all(&c));
    let c2 = compile(&spec("", "      - { from: zzqqxxw, to: other }\n", ""));
    for d in d.iter().chain(&with_code(&c2, "M0902")) {
        let help = d.help.as_deref().unwrap();
        assert!(!help.contains("run `mapc schema pull"), "{help}");
        assert!(help.contains("will do this"), "{help}");
    }
}
