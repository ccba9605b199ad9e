//! The compiled result every command uses: it keeps the (redacted) source
//! and the AST, so no command reads or parses a spec twice.

use mapc_compile::{compile_str, CompileOptions};

const SECRET: &str = "hunter2-not-a-reference";

fn spec(auth_extra: &str, prices: &str) -> String {
    format!(
        "mapc: 1
name: t
connections:
  crm:
    kind: dataverse
    url: https://example.crm.dynamics.com
    auth:
      flow: client_credentials
      tenant: ${{AZURE_TENANT_ID}}
      client_id: ${{MAPC_CLIENT_ID}}
      client_secret: ${{MAPC_CLIENT_SECRET}}
{auth_extra}  out:
    kind: file
    path: out.ndjson
{prices}mappings:
  - name: m
    source: {{ connection: crm, entity: account, key: accountid }}
    target: {{ connection: out, entity: company, key: external_id }}
    fields:
      - {{ from: accountid, to: external_id }}
"
    )
}

#[test]
fn keeps_the_ast_and_the_source() {
    let src = spec("", "");
    let c = compile_str("t.mapc.yaml", &src, &CompileOptions::default());
    assert!(!c.has_errors(), "{:?}", c.diagnostics);
    let ast = c.ast.as_ref().expect("the AST is kept");
    assert_eq!(ast.mappings.len(), 1);
    assert_eq!(c.file.text, src);
    assert!(c.program.is_some());
}

#[test]
fn a_secret_under_an_unknown_auth_key_is_reported_and_redacted() {
    let src = spec(&format!("      client_secert: {SECRET}\n"), "");
    let c = compile_str("t.mapc.yaml", &src, &CompileOptions::default());
    let at = src.find(SECRET).expect("the secret is in the spec");
    let codes: Vec<&str> = c.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert!(codes.contains(&"M0202"), "{codes:?}");
    let d = c
        .diagnostics
        .iter()
        .find(|d| d.code == "M0801")
        .expect("M0801 for the literal secret");
    assert_eq!((d.span.start, d.span.end), (at, at + SECRET.len()));
    // The kept source shows it redacted, same length.
    assert!(!c.file.text.contains(SECRET));
    assert_eq!(c.file.text.len(), src.len());
    // The AST keeps the unknown key with its span.
    let ast = c.ast.as_ref().expect("an AST");
    let auth = ast.connections[0].1.auth.as_ref().expect("auth");
    assert_eq!(auth.unknown.len(), 1);
    assert_eq!(auth.unknown[0].key.value, "client_secert");
}

#[test]
fn an_empty_price_field_list_is_reported_at_its_brackets() {
    let src = spec(
        "",
        "sales_prices:\n  path: salesprices\n  to: sales_price\n  fields: [ ]\n  sales_codes: []\n",
    );
    let c = compile_str("t.mapc.yaml", &src, &CompileOptions::default());
    let at: Vec<(usize, usize)> = c
        .diagnostics
        .iter()
        .filter(|d| d.code == "M0207")
        .map(|d| (d.span.start, d.span.end))
        .collect();
    let fields = src.find("[ ]").expect("fields");
    let codes = src.find("[]").expect("sales_codes");
    assert_eq!(at, [(fields, fields + 3), (codes, codes + 2)]);
}
