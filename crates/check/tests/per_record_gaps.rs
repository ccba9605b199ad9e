//! Problems that used to surface only per record (or never), now located
//! check diagnostics: each test asserts the code and the exact text its span
//! covers, and the look-alikes that must stay clean.

use mapc_compile::{compile_str, Compilation as Compiled, CompileOptions as Options};

fn spec(source_kind: &str, body: &str) -> String {
    let source = match source_kind {
        "file" => "src: { kind: file, path: in/records.ndjson }",
        _ => "src: { kind: odata, url: https://example.org/odata/, auth: { flow: none } }",
    };
    format!(
        "mapc: 1
name: gaps
connections:
  {source}
  out: {{ kind: file, path: out/records.ndjson }}
mappings:
  - name: m
    source: {{ connection: src, entity: order, key: id }}
    target: {{ connection: out, entity: contract, key: id }}
    related:
      customer: {{ entity: account, via: customerid }}
{body}"
    )
}

fn fields(lines: &str) -> String {
    spec(
        "file",
        &format!("    fields:\n      - {{ from: id, to: id }}\n{lines}"),
    )
}

fn compile(src: &str) -> Compiled {
    compile_str("gaps.yaml", src, &Options::default())
}

/// `(code, text under the span)` of every diagnostic.
fn found(src: &str) -> Vec<(String, String)> {
    let c = compile(src);
    c.diagnostics
        .iter()
        .map(|d| {
            (
                d.code.to_string(),
                c.file.text[d.span.start..d.span.end].to_string(),
            )
        })
        .collect()
}

fn one(code: &str, text: &str) -> Vec<(String, String)> {
    vec![(code.to_string(), text.to_string())]
}

#[test]
fn round_to_more_places_than_a_decimal_has() {
    assert_eq!(
        found(&fields("      - { expr: \"round(amount, 40)\", to: a }\n")),
        one("M0505", "40")
    );
    assert_eq!(
        found(&fields("      - { expr: \"round(amount, -29)\", to: a }\n")),
        one("M0505", "-29")
    );
    for ok in [
        "round(amount, 28)",
        "round(amount, -2)",
        "round(amount, places)",
        "round(amount)",
    ] {
        assert_eq!(
            found(&fields(&format!("      - {{ expr: \"{ok}\", to: a }}\n"))),
            vec![],
            "{ok}"
        );
    }
}

#[test]
fn other_constant_arguments_no_record_can_use() {
    assert_eq!(
        found(&fields(
            "      - { expr: \"substring(name, 0, -3)\", to: a }\n"
        )),
        one("M0505", "-3")
    );
    assert_eq!(
        found(&fields(
            "      - { expr: \"to_decimal('12,50')\", to: a }\n"
        )),
        one("M0505", "'12,50'")
    );
    assert_eq!(
        found(&fields(
            "      - { expr: \"to_decimal(' 12.50 ')\", to: a }\n"
        )),
        vec![]
    );
    assert_eq!(
        found(&fields(
            "      - { expr: \"amount / 0\", to: a }\n      - { expr: \"amount % 0.00\", to: b }\n"
        )),
        vec![
            ("M0507".into(), "0".into()),
            ("M0507".into(), "0.00".into())
        ]
    );
    assert_eq!(
        found(&fields("      - { expr: \"amount / 100\", to: a }\n")),
        vec![]
    );
    let s = spec("odata", "    fields:\n      - { from: id, to: id }\n").replacen(
        "entity: order, key: id }",
        "entity: order, key: id, filter: \"amount div 0 gt 1\" }",
        1,
    );
    assert_eq!(found(&s), one("M0507", "0"));
}

#[test]
fn minutes_where_the_month_was_meant_and_times_of_a_date() {
    assert_eq!(
        found(&fields(
            "      - { expr: \"format_date(closedate, 'DD.mm.YYYY')\", to: a }\n"
        )),
        one("M0506", "mm")
    );
    assert_eq!(
        found(&fields(
            "      - { expr: \"format_date(@2026-01-15, 'DD.MM.YYYY ss')\", to: a }\n"
        )),
        one("M0506", "ss")
    );
    assert_eq!(
        found(&fields(
            "      - { expr: \"format_date(today(), 'YYYY-mm-DD')\", to: a }\n"
        )),
        one("M0506", "mm")
    );
    // Minutes and hours of a date-time, or a value of unknown type.
    for ok in [
        "format_date(modifiedon, 'HH:mm')",
        "format_date(modifiedon, 'mm:ss')",
        "format_date(modifiedon, 'YYYY-MM-DD HH:mm')",
        "format_date(@2026-01-15T08:30:00Z, 'DD.MM.YYYY HH:mm')",
        "format_date(today(), 'DD.MM.YYYY')",
    ] {
        assert_eq!(
            found(&fields(&format!("      - {{ expr: \"{ok}\", to: a }}\n"))),
            vec![],
            "{ok}"
        );
    }
}

#[test]
fn a_when_that_can_be_something_else_than_a_boolean() {
    let rules = |when: &str| {
        spec(
            "file",
            &format!("    rules:\n      - {{ when: \"{when}\", action: skip }}\n    fields:\n      - {{ from: id, to: id }}\n"),
        )
    };
    assert_eq!(found(&rules("coalesce(flag, 'no')")), one("M0504", "'no'"));
    assert_eq!(found(&rules("if(a > 1, flag, 0)")), one("M0504", "0"));
    assert_eq!(found(&rules("customer")), one("M0504", "\"customer\""));
    // A field read of unknown type may well be a boolean.
    for ok in [
        "flag",
        "coalesce(flag, false)",
        "if(a > 1, flag, null)",
        "customer.isactive",
        "not flag",
    ] {
        assert_eq!(found(&rules(ok)), vec![], "{ok}");
    }
}

#[test]
fn a_misspelled_related_alias_in_a_nested_source() {
    for kind in ["file", "odata"] {
        let s = spec(
            kind,
            "    fields:\n      - { from: id, to: id }\n      - { from: custommer.name, to: a }\n      - { expr: \"upper(Customer.name)\", to: b }\n",
        );
        assert_eq!(
            found(&s),
            vec![
                ("M0403".to_string(), "custommer".to_string()),
                ("M0403".to_string(), "Customer".to_string())
            ],
            "{kind}"
        );
        let c = compile(&s);
        assert!(c.diagnostics[0]
            .help
            .as_deref()
            .is_some_and(|h| h.starts_with("did you mean the related alias `customer`?")));
    }
    // Nested objects of a file record with other names are fine.
    let s = fields("      - { from: cust.name, to: a }\n      - { from: address.city, to: b }\n");
    assert_eq!(found(&s), vec![]);
}

#[test]
fn an_odata_annotation_outside_backticks() {
    assert_eq!(
        found(&fields("      - { from: \"@odata.etag\", to: etag }\n")),
        one("M0304", "@")
    );
    assert_eq!(
        found(&fields(
            "      - { from: \"customer.@odata.etag\", to: etag }\n"
        )),
        one("M0304", "@")
    );
    assert_eq!(
        found(&fields(
            "      - { from: id, to: \"parentcustomerid@odata.bind\" }\n"
        )),
        one("M0304", "@")
    );
    let c = compile(&fields("      - { from: \"x.@odata.etag\", to: etag }\n"));
    assert_eq!(
        c.diagnostics[0].help.as_deref(),
        Some("quote the annotation name in backticks: `` x.`@odata.etag` ``")
    );
    for ok in [
        "\"`@odata.etag`\"",
        "\"customer.`@odata.etag`\"",
        "\"@id\"",
        "\"x.@id\"",
    ] {
        assert_eq!(
            found(&fields(&format!("      - {{ from: {ok}, to: e }}\n"))),
            vec![],
            "{ok}"
        );
    }
}

#[test]
fn exclude_skus_needs_sku_field() {
    let products = |extra: &str| {
        spec(
            "file",
            &format!("    fields:\n      - {{ from: id, to: id }}\n    products:\n      source: orderline\n      path: lines\n{extra}      to: lines\n      fields:\n        - {{ from: qty, to: qty }}\n"),
        )
    };
    assert_eq!(
        found(&products("      exclude_skus: [A, B]\n")),
        one("M0708", "A, B")
    );
    assert_eq!(
        found(&products("      exclude_skus: \"A,B\"\n")),
        one("M0708", "\"A,B\"")
    );
    assert_eq!(
        found(&products(
            "      sku_field: sku\n      exclude_skus: [A, B]\n"
        )),
        vec![]
    );
}

#[test]
fn empty_sales_codes_drop_every_price_rule() {
    let prices = |codes: &str| {
        spec(
            "file",
            &format!("    fields:\n      - {{ from: id, to: id }}\n    sales_prices:\n      path: salesprices\n      to: sales_price\n      sales_codes: {codes}\n"),
        )
    };
    assert_eq!(found(&prices("[]")), one("M0207", "[]"));
    assert_eq!(found(&prices("\"\"")), one("M0207", "\"\""));
    assert_eq!(found(&prices("[Y1004N]")), vec![]);
}
