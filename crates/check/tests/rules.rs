//! Focused tests of the spec rules (M06xx, M07xx, M08xx) and the metadata
//! checks (M09xx): each asserts the code and the exact text its span covers.

use mapc_compile::{compile_str, Compilation as Compiled, CompileOptions as Options};
use mapc_diag::Diagnostic;
use std::path::PathBuf;

const CONNECTIONS: &str = "connections:
  crm:
    kind: dataverse
    url: https://contoso.crm4.dynamics.com
    auth:
      flow: client_credentials
      tenant: ${AZURE_TENANT_ID}
      client_id: ${MAPC_CLIENT_ID}
      client_secret: ${MAPC_CLIENT_SECRET}
  out:
    kind: file
    path: out/contracts.ndjson
";

/// A valid spec with `mapping` appended inside the one mapping and `top`
/// appended at the top level.
fn spec(mapping: &str, top: &str) -> String {
    spec_with(CONNECTIONS, mapping, top)
}

fn spec_with(connections: &str, mapping: &str, top: &str) -> String {
    format!(
        "mapc: 1
name: rules-test
{connections}mappings:
  - name: opportunity-contract
    source: {{ connection: crm, entity: opportunity, key: opportunityid }}
    target: {{ connection: out, entity: contract, key: external_id }}
    related:
      contact: {{ entity: contact, via: parentcontactid }}
    fields:
      - {{ from: opportunityid, to: external_id }}
{mapping}{top}"
    )
}

fn products(source: &str, fields: &str, extra: &str) -> String {
    format!(
        "    products:
      source: {source}
      path: products
      to: line_items
{extra}      fields:
        - {{ from: productdescription, to: name }}
{fields}"
    )
}

fn compile(src: &str) -> Compiled {
    compile_str("rules-test.yaml", src, &Options::default())
}

fn compile_cached(src: &str) -> Compiled {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/schema-cache"
    ));
    compile_str(
        "rules-test.yaml",
        src,
        &Options {
            schema_cache: Some(dir),
        },
    )
}

fn with_code<'a>(c: &'a Compiled, code: &str) -> Vec<&'a Diagnostic> {
    c.diagnostics.iter().filter(|d| d.code == code).collect()
}

/// The source text under each diagnostic with `code`.
fn texts(c: &Compiled, code: &str) -> Vec<String> {
    with_code(c, code)
        .iter()
        .map(|d| c.file.text[d.span.start..d.span.end].to_string())
        .collect()
}

/// The text of `src` (the spec before redaction) under each diagnostic with
/// `code`; for M0801, whose spans are redacted in `c.file`.
fn src_texts(src: &str, c: &Compiled, code: &str) -> Vec<String> {
    with_code(c, code)
        .iter()
        .map(|d| src[d.span.start..d.span.end].to_string())
        .collect()
}

/// Fails with every diagnostic listed when the spec is not clean.
fn assert_clean(c: &Compiled) {
    let all: Vec<String> = c
        .diagnostics
        .iter()
        .map(|d| format!("{} {}", d.code, d.message))
        .collect();
    assert!(
        all.is_empty(),
        "expected no diagnostics, got:\n{}",
        all.join("\n")
    );
}

#[test]
fn the_base_specs_are_clean() {
    assert_clean(&compile(&spec("", "")));
    assert_clean(&compile(&spec(&products("opportunityproduct", "", ""), "")));
}

// ------------------------------------------------------------------ M06xx

#[test]
fn m0601_writeback_needs_from() {
    let c = compile(&spec(
        "      - { expr: \"upper(name)\", to: title, sync: two_way }
      - { value: \"EUR\", to: currency, sync: target_to_source }
      - { from: contact.emailaddress1, to: email, sync: two_way }
      - { expr: \"lower(name)\", to: slug, sync: once }
",
        "",
    ));
    assert_eq!(texts(&c, "M0601"), ["two_way", "target_to_source"]);
    let d = with_code(&c, "M0601");
    assert!(
        d[0].message.contains("`title`") && d[0].message.contains("expression"),
        "{}",
        d[0].message
    );
    assert!(d[1].message.contains("constant"), "{}", d[1].message);
    assert!(d[0].help.as_deref().unwrap().contains("from:"));
}

#[test]
fn m0602_conflict_needs_two_way() {
    let c = compile(&spec(
        "      - { from: name, to: title, sync: once, conflict: newest }
      - { from: description, to: notes, conflict: source_wins }
      - { from: contact.emailaddress1, to: email, sync: two_way, conflict: target_wins }
",
        "",
    ));
    assert_eq!(texts(&c, "M0602"), ["newest", "source_wins"]);
    let d = with_code(&c, "M0602");
    assert!(d[1].message.contains("(the default)"), "{}", d[1].message);
    assert_eq!(d[0].related.len(), 1, "points at the sync direction too");
}

#[test]
fn m0603_locked_pricing_fields() {
    let c = compile(&spec(
        &products(
            "quotedetail",
            "        - { from: priceperunit, to: unit_price }
        - { from: baseamount, to: price }
        - { value: 1, to: quantity }
        - { from: quantity, to: quantity }
        - { expr: \"round(quantity * priceperunit, 2)\", to: line_total }
",
            "",
        ),
        "",
    ));
    assert_eq!(texts(&c, "M0603"), ["priceperunit", "price", "quantity"]);
    let d = with_code(&c, "M0603");
    assert!(d[0]
        .help
        .as_deref()
        .unwrap()
        .contains("`priceperunit` -> `price`"));
    assert!(d[1].message.contains("`baseamount`"), "{}", d[1].message);
    assert!(d[2].message.contains("a constant"), "{}", d[2].message);
}

#[test]
fn m0603_custom_entities_are_free_unless_locked() {
    let fields =
        "        - { from: priceperunit, to: unit_price }\n        - { from: new_qty, to: qty }\n";
    assert!(texts(
        &compile(&spec(&products("new_contractline", fields, ""), "")),
        "M0603"
    )
    .is_empty());
    let locks = "locks:\n  - entity: new_contractline\n    fields: { new_qty: quantity, new_price: price }\n";
    let c = compile(&spec(&products("new_contractline", fields, ""), locks));
    assert_eq!(texts(&c, "M0603"), ["new_qty"]);
}

#[test]
fn m0604_product_writeback() {
    let c = compile(&spec(
        &products(
            "opportunityproduct",
            "        - { from: productnumber, to: sku, sync: two_way }\n        - { from: description, to: notes, sync: target_to_source }\n",
            "      sync: two_way\n",
        ),
        "",
    ));
    assert_eq!(
        texts(&c, "M0604"),
        ["two_way", "two_way", "target_to_source"]
    );
    let d = with_code(&c, "M0604");
    assert!(
        d[0].message.contains("locked line entity"),
        "{}",
        d[0].message
    );
    assert!(
        d[1].message.contains("locked line entity"),
        "{}",
        d[1].message
    );
    assert!(
        d[2].message.contains("never flows from the target"),
        "{}",
        d[2].message
    );
    // No M0601 for product fields: M0604 says it all.
    assert!(texts(&c, "M0601").is_empty());
}

#[test]
fn m0604_custom_entity_and_locks_two_way_false() {
    let field = "        - { from: new_note, to: note, sync: two_way }\n";
    let c = compile(&spec(&products("new_contractline", field, ""), ""));
    let d = with_code(&c, "M0604");
    assert_eq!(d.len(), 1);
    assert!(!d[0].message.contains("locked"), "{}", d[0].message);
    let locks = "locks:\n  - entity: new_contractline\n    fields: { new_qty: quantity }\n    two_way: false\n";
    let c = compile(&spec(&products("new_contractline", field, ""), locks));
    assert!(with_code(&c, "M0604")[0]
        .message
        .contains("locked line entity"));
}

#[test]
fn m0605_document_amounts() {
    let extra = "      discount: { from: discountamount, to: discount, sync: once }
      tax: { from: totaltax, to: tax, sync: target_to_source }
      freight: { expr: \"freightamount\", to: freight, sync: two_way }
";
    let c = compile(&spec(&products("opportunityproduct", "", extra), ""));
    assert_eq!(texts(&c, "M0605"), ["target_to_source", "two_way"]);
    assert!(with_code(&c, "M0605")[0].message.starts_with("`tax`"));
    assert!(texts(&c, "M0601").is_empty());
}

// ------------------------------------------------------------------ M07xx

fn prices(body: &str) -> String {
    format!("sales_prices:\n  path: salesprices\n  to: sales_price\n{body}")
}

#[test]
fn m0701_separator_ambiguity() {
    let cases: &[(&str, &[&str])] = &[
        (
            "  field_separator: \"//\"\n  record_delimiter: \"|\"\n",
            &[],
        ),
        (
            "  field_separator: \"|\"\n  record_delimiter: \"|\"\n",
            &["\"|\""],
        ),
        (
            "  field_separator: \"//\"\n  record_delimiter: \"/\"\n",
            &["\"/\""],
        ),
        (
            "  field_separator: \";\"\n  record_delimiter: \";;\"\n",
            &["\";\""],
        ),
        ("  field_separator: \"\"\n", &["\"\""]),
        ("  record_delimiter: \"\"\n", &["\"\""]),
        // Compared with the default of the other one (`//` and `|`).
        ("  field_separator: \"|\"\n", &["\"|\""]),
        ("  record_delimiter: \"/\"\n", &["\"/\""]),
        ("  field_separator: \";\"\n", &[]),
    ];
    for (body, want) in cases {
        let c = compile(&spec("", &prices(body)));
        assert_eq!(texts(&c, "M0701"), *want, "{body}");
    }
    let c = compile(&spec("", &prices("  record_delimiter: \"/\"\n")));
    assert!(with_code(&c, "M0701")[0].message.contains("(the default)"));
}

#[test]
fn m0701_applies_to_a_mappings_own_block() {
    let block = "    sales_prices:\n      field_separator: \"||\"\n      record_delimiter: \"|\"\n";
    let c = compile(&spec(block, ""));
    assert_eq!(texts(&c, "M0701"), ["\"|\""]);
    assert_eq!(with_code(&c, "M0701")[0].related.len(), 1);
}

#[test]
fn m0702_empty_codes() {
    let c = compile(&spec("", &prices("  sales_codes: \"Y1004N,,W1035N,\"\n")));
    assert_eq!(texts(&c, "M0702"), [",", ","]);
    let d = with_code(&c, "M0702");
    assert!(d[0].help.as_deref().unwrap().contains("extra comma"));
    assert!(d[1].help.as_deref().unwrap().contains("trailing comma"));
    let c = compile(&spec(
        "",
        &prices("  sales_codes: [Y1004N, \"\", W1035N]\n"),
    ));
    assert_eq!(texts(&c, "M0702"), ["\"\""]);
    let c = compile(&spec(
        &products(
            "opportunityproduct",
            "",
            "      exclude_skus: \"SKU1, , SKU2\"\n",
        ),
        "",
    ));
    assert_eq!(texts(&c, "M0702"), [","]);
    // Spaces around commas are fine; a blank string excludes nothing.
    assert!(texts(
        &compile(&spec("", &prices("  sales_codes: \"Y1004N, W1035N\"\n"))),
        "M0702"
    )
    .is_empty());
    assert!(texts(
        &compile(&spec("", &prices("  sales_codes: \"  \"\n"))),
        "M0702"
    )
    .is_empty());
}

#[test]
fn m0703_duplicate_codes() {
    let c = compile(&spec(
        "",
        &prices("  sales_codes: \"Y1004N, W1035N, Y1004N\"\n"),
    ));
    assert_eq!(texts(&c, "M0703"), ["Y1004N"]);
    let d = with_code(&c, "M0703")[0];
    assert_eq!(
        &c.file.text[d.related[0].0.start..d.related[0].0.end],
        "Y1004N"
    );
    assert!(
        d.related[0].0.start < d.span.start,
        "related points at the first one"
    );
    let c = compile(&spec(
        &products(
            "opportunityproduct",
            "",
            "      exclude_skus: [A1, B2, A1, A1]\n",
        ),
        "",
    ));
    assert_eq!(texts(&c, "M0703"), ["A1", "A1"]);
}

#[test]
fn m0704_lookback_days() {
    for bad in [
        "0",
        "-1",
        "2.5",
        "five",
        "true",
        "\"7\"",
        "1e3",
        "[5]",
        "99999999999",
    ] {
        let c = compile(&spec("", &format!("polling:\n  lookback_days: {bad}\n")));
        assert_eq!(texts(&c, "M0704"), [bad], "{bad}");
    }
    for ok in ["5", "1", "365", "~"] {
        let c = compile(&spec("", &format!("polling:\n  lookback_days: {ok}\n")));
        assert!(texts(&c, "M0704").is_empty(), "{ok}");
    }
    let c = compile(&spec("    polling: { lookback_days: \"7\" }\n", ""));
    assert_eq!(texts(&c, "M0704"), ["\"7\""]);
    assert!(with_code(&c, "M0704")[0]
        .help
        .as_deref()
        .unwrap()
        .contains("remove the quotes"));
}

#[test]
fn m0705_order_by() {
    let cases: &[(&str, &[&str])] = &[
        ("sequencenumber", &[]),
        ("sequencenumber desc", &[]),
        ("sequencenumber ASC", &[]),
        ("sequencenumber descending", &["descending"]),
        ("\"sequencenumber, productnumber\"", &[", productnumber"]),
        ("\"seq,productnumber\"", &[",productnumber"]),
        ("1seq", &["1seq"]),
        ("sequencenumber asc nulls last", &["nulls last"]),
        ("\"\"", &["\"\""]),
        ("\"sequencenumber desc\"", &[]),
    ];
    for (order, want) in cases {
        let c = compile(&spec(
            &products(
                "opportunityproduct",
                "",
                &format!("      order_by: {order}\n"),
            ),
            "",
        ));
        assert_eq!(texts(&c, "M0705"), *want, "{order}");
    }
    let c = compile(&spec(
        &products("opportunityproduct", "", "      order_by: seq descending\n"),
        "",
    ));
    assert_eq!(
        with_code(&c, "M0705")[0].help.as_deref(),
        Some("write `seq desc`")
    );
}

#[test]
fn m0706_companies() {
    let block = |body: &str| format!("companies:\n  to: relationships\n{body}");
    let cases: &[(&str, &[&str])] = &[
        ("  number_field: number\n  parent_field: parentcustomerno\n  hierarchy: true\n", &[]),
        ("  number_field: number\n  hierarchy: true\n", &["true"]),
        ("  parent_field: parentcustomerno\n  hierarchy: true\n", &["true"]),
        ("  hierarchy: true\n", &["true", "true"]),
        ("  hierarchy: false\n", &[]),
        ("  number_field: number\n  parent_field: number\n", &["number"]),
        ("  hierarchy: false\n  create_in_prerequisite: true\n", &["true"]),
        ("  number_field: number\n  parent_field: parentcustomerno\n  create_in_prerequisite: true\n", &[]),
        ("  contact_id_field: \"\"\n", &["\"\""]),
    ];
    for (body, want) in cases {
        let c = compile(&spec("", &block(body)));
        assert_eq!(texts(&c, "M0706"), *want, "{body}");
    }
}

// ------------------------------------------------------------------ M08xx

fn with_auth(auth: &str) -> String {
    let conns = format!(
        "connections:
  crm:
    kind: dataverse
    url: https://contoso.crm4.dynamics.com
    auth:
{auth}  out:
    kind: file
    path: out/contracts.ndjson
"
    );
    spec_with(&conns, "", "")
}

const SECRET: &str = "Xk9~pQ2.vR7-s3cr3t";

#[test]
fn m0801_literal_secret_is_never_echoed() {
    let auth = format!(
        "      flow: client_credentials\n      tenant: ${{AZURE_TENANT_ID}}\n      client_id: ${{MAPC_CLIENT_ID}}\n      client_secret: {SECRET}\n"
    );
    let src = with_auth(&auth);
    let c = compile(&src);
    assert_eq!(src_texts(&src, &c, "M0801"), [SECRET]);
    // The report shows the place, not the secret.
    assert_eq!(texts(&c, "M0801"), ["*".repeat(SECRET.len())]);
    let rendered = mapc_diag::render(mapc_diag::Format::Json, &[(&c.file, &c.diagnostics)]);
    assert!(
        !rendered.contains(SECRET),
        "the secret leaked into the JSON report: {rendered}"
    );
    let d = with_code(&c, "M0801")[0];
    for text in [Some(&d.message), d.label.as_ref(), d.help.as_ref()]
        .into_iter()
        .flatten()
    {
        assert!(!text.contains(SECRET) && !text.contains("s3cr3t"), "{text}");
    }
    assert!(d.help.as_deref().unwrap().contains("${MAPC_CLIENT_SECRET}"));
}

#[test]
fn m0801_partial_and_url_credentials() {
    let auth = "      flow: client_credentials\n      tenant: t\n      client_id: c\n      client_secret: \"pre-${MAPC_CLIENT_SECRET}\"\n";
    let src = with_auth(auth);
    let c = compile(&src);
    assert_eq!(
        src_texts(&src, &c, "M0801"),
        ["\"pre-${MAPC_CLIENT_SECRET}\""]
    );
    assert!(with_code(&c, "M0801")[0].message.contains("partly"));
    // Only references: fine.
    let auth = "      flow: client_credentials\n      tenant: t\n      client_id: c\n      client_secret: ${A}${B}\n";
    assert!(texts(&compile(&with_auth(auth)), "M0801").is_empty());
    let conns = CONNECTIONS.replace("path: out/contracts.ndjson", "path: out/contracts.ndjson\n  svc:\n    kind: odata\n    url: https://me:hunter2@svc.example.com/odata/\n    auth: { flow: none }");
    let src = spec_with(&conns, "", "");
    let c = compile(&src);
    assert_eq!(src_texts(&src, &c, "M0801"), ["hunter2"]);
    assert!(!with_code(&c, "M0801")[0].message.contains("hunter2"));
    let conns = CONNECTIONS.replace("path: out/contracts.ndjson", "path: out/contracts.ndjson\n  svc:\n    kind: odata\n    url: https://me:${SVC_PASSWORD}@svc.example.com/odata/\n    auth: { flow: none }");
    assert!(texts(&compile(&spec_with(&conns, "", "")), "M0801").is_empty());
}

#[test]
fn m0802_malformed_references() {
    let auth = "      flow: client_credentials
      tenant: ${AZURE_TENANT_ID
      client_id: \"${}\"
      client_secret: ${1SECRET}
";
    let c = compile(&with_auth(auth));
    assert_eq!(texts(&c, "M0802"), ["${", "${", "${"]);
    let d = with_code(&c, "M0802");
    assert!(d[0].message.contains("never closed"), "{}", d[0].message);
    assert!(d[1].message.contains("empty"), "{}", d[1].message);
    // The secret's text is not echoed, even inside the braces.
    assert!(!d[2].message.contains("1SECRET"), "{}", d[2].message);
    // Malformed, so not also reported as a literal secret.
    assert!(texts(&c, "M0801").is_empty());
}

#[test]
fn m0802_points_inside_the_value_and_in_overlays() {
    let top = "environments:
  production: { default: true }
  test:
    connections:
      crm: { url: \"https://${CRM HOST}.crm4.dynamics.com\" }
";
    let c = compile(&spec("", top));
    assert_eq!(texts(&c, "M0802"), ["${"]);
    let d = with_code(&c, "M0802")[0];
    assert!(d.message.contains("environment `test`"), "{}", d.message);
    assert!(d.help.as_deref().unwrap().contains("${CRM_HOST}"));
}

#[test]
fn m0803_auth_settings() {
    let c = compile(&with_auth(
        "      flow: client_credentials\n      client_id: ${ID}\n",
    ));
    assert_eq!(
        texts(&c, "M0803"),
        ["client_credentials", "client_credentials"]
    );
    let msgs: Vec<&str> = with_code(&c, "M0803")
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    // Same span: sorted by message.
    assert!(
        msgs[0].contains("`client_secret`") && msgs[1].contains("`tenant`"),
        "{msgs:?}"
    );

    let c = compile(&with_auth("      flow: client_credentials\n      tenant: t\n      client_id: ${ID}\n      client_secret: \"\"\n"));
    assert_eq!(texts(&c, "M0803"), ["\"\""]);

    for ok in [
        "http://localhost",
        "http://localhost:8400/callback",
        "http://127.0.0.1:5000",
        "http://[::1]:9000/",
    ] {
        let c = compile(&with_auth(&format!(
            "      flow: authorization_code\n      client_id: ${{ID}}\n      redirect_uri: {ok}\n"
        )));
        assert!(texts(&c, "M0803").is_empty(), "{ok}");
    }
    let c = compile(&with_auth("      flow: authorization_code\n      client_id: ${ID}\n      redirect_uri: https://contoso.com/cb\n"));
    assert_eq!(texts(&c, "M0803"), ["https://contoso.com/cb"]);
    // authorization_code without redirect_uri uses the default: fine.
    assert!(texts(
        &compile(&with_auth(
            "      flow: authorization_code\n      client_id: ${ID}\n"
        )),
        "M0803"
    )
    .is_empty());
    assert!(texts(&compile(&with_auth("      flow: none\n")), "M0803").is_empty());
}

#[test]
fn m0803_connection_settings() {
    let conns = "connections:
  crm:
    kind: dataverse
    auth: { flow: none }
  bc:
    kind: business_central
    tenant: ${BC_TENANT_ID}
    auth: { flow: client_credentials, client_id: \"${BC_CLIENT_ID}\", client_secret: \"${BC_CLIENT_SECRET}\" }
  out:
    kind: file
";
    let c = compile(&spec_with(conns, "", ""));
    assert_eq!(texts(&c, "M0803"), ["crm", "bc", "bc", "out"]);
    let msgs: Vec<&str> = with_code(&c, "M0803")
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert!(
        msgs[0].contains("`url`")
            && msgs[1].contains("`company`")
            && msgs[2].contains("`environment`"),
        "{msgs:?}"
    );
    // The Business Central tenant also serves the auth (no M0803 for auth.tenant).
    assert!(!msgs.iter().any(|m| m.contains("`tenant`")), "{msgs:?}");
}

#[test]
fn m0803_url_from_every_environment() {
    let conns = "connections:
  crm:
    kind: dataverse
    auth: { flow: none }
  out:
    kind: file
    path: out/x.ndjson
";
    let envs = |default: bool| {
        format!(
            "environments:
  production:
    default: {default}
    connections:
      crm: {{ url: https://contoso.crm4.dynamics.com }}
  test:
    connections:
      crm: {{ url: https://contoso-test.crm4.dynamics.com }}
"
        )
    };
    assert!(texts(&compile(&spec_with(conns, "", &envs(true))), "M0803").is_empty());
    // Without a default environment the bare connection runs too, and it has no url.
    assert_eq!(
        texts(&compile(&spec_with(conns, "", &envs(false))), "M0803"),
        ["crm"]
    );
}

// ------------------------------------------------------------------ M09xx

const BC_CONNECTION: &str = "  bc:
    kind: business_central
    tenant: ${BC_TENANT_ID}
    environment: production
    company: CRONUS
    auth: { flow: client_credentials, client_id: \"${BC_CLIENT_ID}\", client_secret: \"${BC_CLIENT_SECRET}\" }
";

/// crm (Dataverse) -> bc (Business Central), both with cached metadata.
fn to_bc(fields: &str) -> String {
    let conns = format!("{CONNECTIONS}{BC_CONNECTION}");
    format!(
        "mapc: 1
name: accounts-to-bc
{conns}mappings:
  - name: account-customer
    source: {{ connection: crm, entity: account, key: accountid }}
    target: {{ connection: bc, entity: customer, key: number }}
    fields:
      - {{ from: accountnumber, to: number }}
{fields}"
    )
}

#[test]
fn m09_clean_specs_stay_clean_with_metadata() {
    assert_clean(&compile_cached(&spec(
        &products(
            "opportunityproduct",
            "        - { expr: \"round(quantity * priceperunit, 2)\", to: total }\n",
            "      navigation: product_opportunities\n      order_by: sequencenumber desc\n",
        ),
        "",
    )));
    assert_clean(&compile_cached(&to_bc(
        "      - { from: name, to: displayName }
      - { value: 5000, to: creditLimit }
      - { value: true, to: taxLiable }
      - { value: \"USD\", to: currencyCode }
      - { from: address1_city, to: city, default: \"\" }
",
    )));
}

#[test]
fn m0901_unknown_entities() {
    let src = spec(&products("opportunityprodcut", "", ""), "")
        .replace("entity: contact, via", "entity: contacts, via");
    let c = compile_cached(&src);
    assert_eq!(texts(&c, "M0901"), ["contacts", "opportunityprodcut"]);
    let d = with_code(&c, "M0901");
    assert!(
        d[0].help
            .as_deref()
            .unwrap()
            .contains("entity set of `contact`"),
        "{:?}",
        d[0].help
    );
    assert!(
        d[1].help
            .as_deref()
            .unwrap()
            .contains("`opportunityproduct`"),
        "{:?}",
        d[1].help
    );
    let c = compile_cached(&to_bc("").replace("entity: customer", "entity: customers"));
    assert_eq!(texts(&c, "M0901"), ["customers"]);
}

#[test]
fn m0902_unknown_fields_everywhere() {
    let src = spec(
        &format!(
            "      - {{ from: contact.emailadress1, to: email }}
      - {{ expr: \"round(estimatedvalu, 2)\", to: value }}
{}    rules:
      - {{ when: \"statcode == 2\", action: skip }}
",
            products("opportunityproduct", "        - { from: productdescripton, to: d }\n", "      sku_field: productnumber\n      order_by: sequencenumbr desc\n      navigation: product_oportunities\n")
        ),
        "",
    )
    .replace("key: opportunityid }", "key: opportunityid, changed_since: modifedon, filter: \"statecode eq 0 and product_opportunities/any(p: p/quantiy gt 1)\" }");
    let c = compile_cached(&src);
    let mut got = texts(&c, "M0902");
    got.sort();
    let mut want = vec![
        "modifedon",
        "quantiy",
        "emailadress1",
        "estimatedvalu",
        "statcode",
        "product_oportunities",
        "productnumber",
        "sequencenumbr",
        "productdescripton",
    ];
    want.sort();
    assert_eq!(got, want);
    let help = |name: &str| {
        with_code(&c, "M0902")
            .into_iter()
            .find(|d| c.file.text[d.span.start..d.span.end] == *name)
            .and_then(|d| d.help.clone())
            .unwrap_or_default()
    };
    assert!(help("estimatedvalu").contains("did you mean `estimatedvalue`?"));
    assert!(
        help("quantiy").contains("`quantity`"),
        "lambda variables resolve to the line entity"
    );
    assert!(help("product_oportunities").contains("`product_opportunities`"));
}

#[test]
fn m0902_sku_field_through_a_lookup_of_the_line() {
    // Dataverse lines have no product number: it is read through the product lookup.
    let line = |sku: &str| {
        compile_cached(&spec(
            &products(
                "opportunityproduct",
                &format!("        - {{ from: {sku}, to: sku }}\n"),
                &format!("      sku_field: {sku}\n"),
            ),
            "",
        ))
    };
    let c = line("productid.productnumber");
    assert!(with_code(&c, "M0902").is_empty(), "{:?}", c.diagnostics);
    // Each segment is checked, and the one that is wrong is pointed at.
    let c = line("productid.productnumbr");
    assert_eq!(texts(&c, "M0902"), ["productnumbr", "productnumbr"]);
    assert!(with_code(&c, "M0902")[0]
        .help
        .as_deref()
        .is_some_and(|h| h.contains("`productnumber`")));
    let c = line("prodid.productnumber");
    assert_eq!(texts(&c, "M0902"), ["prodid", "prodid"]);
}

#[test]
fn m0902_target_paths_and_company_fields() {
    let c = compile_cached(&to_bc("      - { from: name, to: displayNme }\n"));
    assert_eq!(texts(&c, "M0902"), ["displayNme"]);
    let src = "mapc: 1
name: bc-companies
connections:
  bc:
    kind: business_central
    tenant: ${BC_TENANT_ID}
    environment: production
    company: CRONUS
    auth: { flow: client_credentials, client_id: \"${BC_CLIENT_ID}\", client_secret: \"${BC_CLIENT_SECRET}\" }
  out: { kind: file, path: out/x.ndjson }
mappings:
  - name: customer-company
    source: { connection: bc, entity: customer, key: id }
    target: { connection: out, entity: company }
    companies: { number_field: number, parent_field: parentNo, hierarchy: true }
    fields:
      - { from: displayName, to: name }
";
    let c = compile_cached(src);
    assert_eq!(texts(&c, "M0902"), ["parentNo"]);
}

#[test]
fn m0903_via() {
    let src = spec("", "").replace(
        "contact: { entity: contact, via: parentcontactid }",
        "contact: { entity: contact, via: parentcontactid }
      customer: { entity: account, via: customerid }
      owner: { entity: systemuser, via: ownerid }
      bad1: { entity: contact, via: parentaccountid }
      bad2: { entity: opportunityproduct, via: product_opportunities }
      bad3: { entity: account, via: parentacountid }",
    );
    let c = compile_cached(&src);
    assert_eq!(
        texts(&c, "M0903"),
        ["parentaccountid", "product_opportunities", "parentacountid"]
    );
    let d = with_code(&c, "M0903");
    assert!(
        d[2].help.as_deref().unwrap().contains("`parentaccountid`"),
        "{:?}",
        d[2].help
    );
}

#[test]
fn m0904_constants_vs_edm_types() {
    let c = compile_cached(&to_bc(
        "      - { value: \"5000 USD\", to: creditLimit }
      - { value: \"yes\", to: taxLiable }
      - { value: 12, to: displayName }
      - { value: \"not-a-guid\", to: taxAreaId }
      - { value: \"Everything\", to: blocked }
      - { value: \"All\", to: email, default: 3 }
",
    ));
    assert_eq!(
        texts(&c, "M0904"),
        [
            "\"5000 USD\"",
            "\"yes\"",
            "12",
            "\"not-a-guid\"",
            "\"Everything\"",
            "3"
        ]
    );
    let d = with_code(&c, "M0904");
    assert!(
        d[0].help.as_deref().unwrap().contains("`value: 5000`"),
        "{:?}",
        d[0].help
    );
    assert!(
        d[2].help.as_deref().unwrap().contains("\"12\""),
        "{:?}",
        d[2].help
    );
    assert!(d[4].message.contains("not a member"), "{}", d[4].message);
    let c = compile_cached(&to_bc("      - { value: \"Invoice\", to: blocked }\n"));
    assert!(texts(&c, "M0904").is_empty(), "a member name fits the enum");
}

#[test]
fn m0904_dates_and_integers() {
    let src = "mapc: 1
name: dates
connections:
  crm:
    kind: dataverse
    url: https://contoso.crm4.dynamics.com
    auth: { flow: none }
  crm2:
    kind: dataverse
    url: https://contoso2.crm4.dynamics.com
    auth: { flow: none }
mappings:
  - name: copy
    source: { connection: crm2, entity: opportunity }
    target: { connection: crm, entity: opportunity }
    fields:
      - { value: 2026-11-22, to: estimatedclosedate }
      - { value: \"next friday\", to: actualclosedate }
      - { value: 2026-02-30, to: finaldecisiondate }
      - { value: 50.5, to: closeprobability }
      - { value: 50, to: prioritycode }
      - { value: \"2026-11-22T10:00:00Z\", to: overriddencreatedon }
";
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/schema-cache"
    ));
    let tmp = std::env::temp_dir().join(format!("mapc-check-dates-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    for name in ["crm", "crm2"] {
        std::fs::copy(dir.join("crm.xml"), tmp.join(format!("{name}.xml"))).unwrap();
    }
    let c = compile_str(
        "dates.yaml",
        src,
        &Options {
            schema_cache: Some(tmp.clone()),
        },
    );
    let _ = std::fs::remove_dir_all(&tmp);
    assert_eq!(
        texts(&c, "M0904"),
        ["\"next friday\"", "2026-02-30", "50.5"]
    );
    // A date of the right form names why it is no day.
    let help = with_code(&c, "M0904")[1].help.clone().unwrap_or_default();
    assert!(help.contains("February 2026 has 28 days"), "{help}");
}

#[test]
fn m0905_max_length() {
    let c = compile_cached(&to_bc(
        "      - { value: \"United States of America\", to: country }
      - { from: address1_city, to: city, default: \"(no city given on the Dataverse account)\" }
      - { value: \"US\", to: currencyCode }
",
    ));
    assert_eq!(
        texts(&c, "M0905"),
        [
            "\"United States of America\"",
            "\"(no city given on the Dataverse account)\""
        ]
    );
    let d = with_code(&c, "M0905");
    assert!(
        d[0].message.contains("24") && d[0].message.contains("10"),
        "{}",
        d[0].message
    );
    assert!(d[1].message.contains("`default:`"), "{}", d[1].message);
}

#[test]
fn m0906_m0907_cache_files() {
    let conns = CONNECTIONS.replace(
        "path: out/contracts.ndjson",
        "path: out/contracts.ndjson\n  legacy: { kind: odata, url: \"https://l.example.com/\", auth: { flow: none } }\n  erp: { kind: odata, url: \"https://e.example.com/\", auth: { flow: none } }\n  files: { kind: file, dir: out/ }",
    );
    let c = compile_cached(&spec_with(&conns, "", ""));
    assert_eq!(texts(&c, "M0906"), ["legacy"]);
    assert_eq!(
        texts(&c, "M0907"),
        ["erp"],
        "no warning for a file connection"
    );
    let d = with_code(&c, "M0906")[0];
    assert!(
        d.message.contains("legacy.xml:14:1"),
        "file path and line: {}",
        d.message
    );
    assert!(!with_code(&c, "M0907")[0].is_error());
}

#[test]
fn metadata_types_reach_the_type_checker() {
    let src = spec("      - { expr: \"upper(estimatedvalue)\", to: x }\n", "");
    assert!(
        texts(&compile(&src), "M0503").is_empty(),
        "without metadata the type is unknown"
    );
    assert_eq!(texts(&compile_cached(&src), "M0503"), ["estimatedvalue"]);
}

// ------------------------------------------------------------------ M0804

#[test]
fn m0804_service_urls_need_https() {
    let conns = |crm_url: &str, authority: &str, bc_base: &str| {
        format!(
            "connections:
  crm:
    kind: dataverse
    url: {crm_url}
    auth:
      flow: client_credentials
      tenant: ${{AZURE_TENANT_ID}}
      client_id: ${{MAPC_CLIENT_ID}}
      client_secret: ${{MAPC_CLIENT_SECRET}}
      authority: {authority}
  bc:
    kind: business_central
    tenant: ${{BC_TENANT_ID}}
    environment: production
    company: CRONUS
    base_url: {bc_base}
    auth: {{ flow: none }}
  out:
    kind: file
    path: out/contracts.ndjson
"
        )
    };
    let src = spec_with(
        &conns(
            "contoso.crm4.dynamics.com",
            "http://login.microsoftonline.com",
            "ftp://api.businesscentral.dynamics.com",
        ),
        "",
        "",
    );
    let c = compile(&src);
    assert_eq!(
        texts(&c, "M0804"),
        [
            "contoso.crm4.dynamics.com",
            "http://login.microsoftonline.com",
            "ftp://api.businesscentral.dynamics.com"
        ]
    );
    let d = with_code(&c, "M0804");
    assert!(d.iter().all(|d| d.is_error()));
    assert!(d[0]
        .help
        .as_deref()
        .unwrap()
        .starts_with("write `url: https://contoso.crm4.dynamics.com`"));
    assert!(d[1]
        .help
        .as_deref()
        .unwrap()
        .starts_with("write `authority: https://login.microsoftonline.com`"));
    assert!(d[2]
        .help
        .as_deref()
        .unwrap()
        .starts_with("write `base_url: https://api.businesscentral.dynamics.com`"));
    // Loopback test servers over plain HTTP, `${ENV}` values and https are fine.
    for (url, authority, base) in [
        (
            "http://localhost:8080/",
            "http://127.0.0.1:9000",
            "http://[::1]:7000",
        ),
        (
            "${CRM_URL}",
            "${AUTHORITY}/common",
            "https://api.businesscentral.dynamics.com",
        ),
        (
            "HTTPS://contoso.crm4.dynamics.com",
            "https://login.microsoftonline.com",
            "http://LOCALHOST",
        ),
    ] {
        let c = compile(&spec_with(&conns(url, authority, base), "", ""));
        assert!(texts(&c, "M0804").is_empty(), "{url} {authority} {base}");
    }
    // No host, and credentials are never repeated in the help.
    let src = spec_with(
        &conns(
            "https://",
            "http://me:hunter2@login.example.com",
            "https://x",
        ),
        "",
        "",
    );
    let c = compile(&src);
    assert_eq!(
        src_texts(&src, &c, "M0804"),
        ["https://", "http://me:hunter2@login.example.com"]
    );
    for d in with_code(&c, "M0804") {
        let all = format!("{} {:?} {:?}", d.message, d.label, d.help);
        assert!(!all.contains("hunter2"), "{all}");
    }
}

#[test]
fn m0804_in_environment_overlays_and_not_for_files() {
    let top = "environments:
  test:
    connections:
      crm: { url: contoso-test.crm4.dynamics.com }
";
    let c = compile(&spec("", top));
    assert_eq!(texts(&c, "M0804"), ["contoso-test.crm4.dynamics.com"]);
    assert!(with_code(&c, "M0804")[0]
        .message
        .contains("environment `test`"));
    // A file connection has paths, not URLs.
    let conns = CONNECTIONS.replace(
        "path: out/contracts.ndjson",
        "path: out/contracts.ndjson\n    url: not-a-url",
    );
    let c = compile(&spec_with(&conns, "", ""));
    assert!(texts(&c, "M0804").is_empty());
}

// ------------------------------------------------- M0801 under unknown keys

/// Reads and checks like `compile`, through `rules::run`.
fn rules_with_source(src: &str) -> Vec<mapc_diag::Diagnostic> {
    let parsed = mapc_syntax::spec::parse_str("rules-test.yaml", src);
    let mut diags = parsed.diagnostics;
    mapc_check::rules::run(parsed.spec.as_ref().expect("a spec"), &mut diags);
    diags.into_sorted()
}

#[test]
fn m0801_literal_secret_under_a_misspelled_key() {
    let auth = format!(
        "      flow: client_credentials\n      tenant: ${{AZURE_TENANT_ID}}\n      client_id: ${{MAPC_CLIENT_ID}}\n      client_secert: {SECRET}\n"
    );
    let src = with_auth(&auth);
    let diags = rules_with_source(&src);
    let found: Vec<(&str, &str)> = diags
        .iter()
        .map(|d| (d.code.as_str(), &src[d.span.start..d.span.end]))
        .collect();
    assert!(found.contains(&("M0202", "client_secert")), "{found:?}");
    assert!(found.contains(&("M0801", SECRET)), "{found:?}");
    let d = diags.iter().find(|d| d.code == "M0801").unwrap();
    for text in [Some(&d.message), d.label.as_ref(), d.help.as_ref()]
        .into_iter()
        .flatten()
    {
        assert!(!text.contains(SECRET) && !text.contains("s3cr3t"), "{text}");
    }
    assert!(
        d.help
            .as_deref()
            .unwrap()
            .contains("`client_secret: ${MAPC_CLIENT_SECRET}`"),
        "{:?}",
        d.help
    );

    // Other secret-looking keys, also in an environment overlay.
    let auth = "      flow: client_credentials\n      tenant: t\n      client_id: c\n      client_secret: ${S}\n      password: hunter2\n      app_pwd: \"12345\"\n      note: plain text\n";
    let top = "environments:
  test:
    connections:
      crm:
        auth: { flow: client_credentials, clientsecret: hunter3 }
";
    let src = format!("{}{top}", with_auth(auth));
    let diags = rules_with_source(&src);
    let secrets: Vec<&str> = diags
        .iter()
        .filter(|d| d.code == "M0801")
        .map(|d| &src[d.span.start..d.span.end])
        .collect();
    assert_eq!(secrets, ["hunter2", "\"12345\"", "hunter3"]);

    // A reference under a misspelled key is only M0202.
    let auth = "      flow: client_credentials\n      tenant: t\n      client_id: c\n      client_secret: ${S}\n      client_secert: ${MAPC_CLIENT_SECRET}\n";
    let diags = rules_with_source(&with_auth(auth));
    assert!(!diags.iter().any(|d| d.code == "M0801"), "{diags:?}");
    assert!(diags.iter().any(|d| d.code == "M0202"));
}

// -------------------------------------------------- M0904 from / expr

#[test]
fn m0904_from_paths_and_expressions_vs_edm_types() {
    let c = compile_cached(&to_bc(
        "      - { from: name, to: creditLimit }
      - { expr: \"creditlimit > 0\", to: displayName }
      - { expr: \"numberofemployees + 1\", to: taxLiable }
      - { from: creditonhold, to: balanceDue }
",
    ));
    assert_eq!(
        texts(&c, "M0904"),
        [
            "name",
            "creditlimit > 0",
            "numberofemployees + 1",
            "creditonhold",
        ],
        "{:#?}",
        c.diagnostics
    );
    let d = with_code(&c, "M0904");
    assert_eq!(
        d[0].message,
        "`from: name` is a string, but `creditLimit` of `customer` is Edm.Decimal (connection `bc`)"
    );
    assert!(d[0].help.as_deref().unwrap().contains("to_decimal(name)"));
    assert!(d[1].help.as_deref().unwrap().contains("to_string"));
    // A mapping with errors (here a second write to creditLimit, M0405) is not
    // type-checked against metadata: its types are not trustworthy.
    let c = compile_cached(&to_bc(
        "      - { from: name, to: creditLimit }
      - { from: name, to: creditLimit }
",
    ));
    assert_eq!(texts(&c, "M0405").len(), 1);
    assert!(texts(&c, "M0904").is_empty());
}

#[test]
fn m0904_fitting_and_unknown_types_are_not_reported() {
    let c = compile_cached(&to_bc(
        "      - { from: name, to: displayName }
      - { expr: \"numberofemployees\", to: creditLimit }
      - { expr: \"round(creditlimit * 1.2, 2)\", to: balanceDue }
      - { from: creditonhold, to: taxLiable }
      - { expr: \"to_string(numberofemployees)\", to: website }
      - { from: accountid, to: taxAreaId }
      - { expr: \"format_date(today(), 'YYYY')\", to: state }
      - { from: new_unknownfield, to: postalCode }
      - { expr: \"coalesce(address1_city, 1)\", to: city }
",
    ));
    assert!(texts(&c, "M0904").is_empty(), "{:#?}", c.diagnostics);
}

#[test]
fn m0904_value_mismatch_is_conservative() {
    use mapc_check::metadata::value_mismatch;
    use mapc_connect::metadata::EdmType;
    use mapc_ir::Type;
    let bad = |t: Type, e: EdmType| value_mismatch(&t, &e, "x").is_some();
    // Never for unknown or null.
    for e in [
        EdmType::String,
        EdmType::Decimal,
        EdmType::Boolean,
        EdmType::Date,
    ] {
        assert!(!bad(Type::Unknown, e.clone()));
        assert!(!bad(Type::Null, e));
    }
    // Text columns: numbers and booleans are not strings in JSON; dates are.
    assert!(bad(Type::Decimal, EdmType::String));
    assert!(bad(Type::Number, EdmType::String));
    assert!(bad(Type::Bool, EdmType::String));
    assert!(!bad(Type::Date, EdmType::String));
    assert!(!bad(Type::Guid, EdmType::String));
    // Numbers: integer fits decimal, decimal may fit an integer column.
    assert!(!bad(Type::Integer, EdmType::Decimal));
    assert!(!bad(Type::Decimal, EdmType::Int32));
    assert!(!bad(Type::Number, EdmType::Int64));
    assert!(bad(Type::String, EdmType::Decimal));
    assert!(bad(Type::String, EdmType::Int32));
    assert!(bad(Type::Date, EdmType::Double));
    // Booleans and dates.
    assert!(bad(Type::String, EdmType::Boolean));
    assert!(bad(Type::Integer, EdmType::Boolean));
    assert!(bad(Type::String, EdmType::Date));
    assert!(bad(Type::Decimal, EdmType::Date));
    assert!(!bad(Type::DateTime, EdmType::Date));
    assert!(!bad(Type::Date, EdmType::DateTimeOffset));
    assert!(!bad(Type::String, EdmType::DateTimeOffset));
    assert!(bad(Type::Bool, EdmType::DateTimeOffset));
    assert!(!bad(Type::String, EdmType::Guid));
    assert!(bad(Type::Integer, EdmType::Guid));
    // Records and lists never fit one scalar; unchecked Edm types are skipped.
    assert!(bad(Type::Record, EdmType::String));
    assert!(bad(Type::List(Box::new(Type::String)), EdmType::String));
    assert!(!bad(Type::String, EdmType::Binary));
    assert!(!bad(Type::Integer, EdmType::Enum("Microsoft.NAV.x".into())));
}
