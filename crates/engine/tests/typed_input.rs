//! Issue 6: text that looks like numbers is never ordered as text without
//! a word (R0020), typed CSV input compares numbers as numbers, and the CSV
//! options a mapping gives its reader (delimiter, types, required columns).

mod common;

use common::*;
use mapc_connect::source;
use mapc_connect::Format;

fn with_rule(when: &str) -> String {
    spec_with(&format!(
        "    fields:\n      - {{ from: id, to: id }}\n    rules:\n      - {{ when: \"{when}\", action: skip }}\n"
    ))
}

#[test]
fn numeric_looking_texts_that_order_differently_are_refused() {
    let spec = with_rule("amount > limit");
    // "99.5" > "100" as text, 99.5 < 100 as numbers: which is meant?
    let g = one(&spec, r#"{"id": "a", "amount": "99.5", "limit": "100"}"#);
    assert_eq!(g.code(), "R0020");
    assert!(
        g.report().contains("the texts \"99.5\" and \"100\" both read as numbers but order differently: as text the first comes after the second, as numbers before"),
        "{}",
        g.report()
    );
    // Both orders agree: no doubt, no error (and no skip: 20 < 30).
    let g = one(&spec, r#"{"id": "b", "amount": "20", "limit": "30"}"#);
    assert_eq!(g.json(), r#"{"id":"b"}"#);
    // Not numbers: text order.
    assert_eq!(
        one(&spec, r#"{"id": "c", "amount": "B-2", "limit": "A-1"}"#),
        Got::Skipped(0)
    );
    // A number meets a text: the text is read as a number (as before).
    let g = one(&spec, r#"{"id": "d", "amount": 99.5, "limit": "100"}"#);
    assert_eq!(g.json(), r#"{"id":"d"}"#);
    // `<=` of "1.0" and "1": equal as numbers, "1.0" after "1" as text.
    let g = one(
        &with_rule("amount <= limit"),
        r#"{"id": "e", "amount": "1.0", "limit": "1"}"#,
    );
    assert_eq!(g.code(), "R0020");
}

#[test]
fn an_explicit_text_or_number_comparison_is_never_refused() {
    // A string literal says text is meant.
    let g = one(
        &with_rule("amount > '100'"),
        r#"{"id": "a", "amount": "99.5"}"#,
    );
    assert_eq!(g, Got::Skipped(0));
    let g = one(
        &with_rule("to_string(amount) > to_string(limit)"),
        r#"{"id": "a", "amount": "99.5", "limit": "100"}"#,
    );
    assert_eq!(g, Got::Skipped(0));
    let g = one(
        &with_rule("to_decimal(amount) > to_decimal(limit)"),
        r#"{"id": "a", "amount": "99.5", "limit": "100"}"#,
    );
    assert_eq!(g.json(), r#"{"id":"a"}"#);
}

#[test]
fn the_same_holds_in_an_odata_filter() {
    let spec = spec_with("    fields:\n      - { from: id, to: id }\n")
        .replace("key: id }", "key: id, filter: \"amount gt limit\" }");
    let got = run(
        &spec,
        &[
            r#"{"id": "a", "amount": "99.5", "limit": "100"}"#,
            r#"{"id": "b", "amount": "100.5", "limit": "100"}"#,
        ],
    );
    assert_eq!(got[0].code(), "R0020");
    assert_eq!(got[1].json(), r#"{"id":"b"}"#);
}

#[test]
fn product_lines_sorted_by_numeric_looking_text_are_refused() {
    let spec = spec_with(
        "    fields:\n      - { from: id, to: id }\n    products:\n      source: orderline\n      path: lines\n      order_by: seq\n      to: items\n      fields:\n        - { from: sku, to: sku }\n",
    );
    let g = one(
        &spec,
        r#"{"id": "o", "lines": [{"sku": "A", "seq": "10"}, {"sku": "B", "seq": "9"}]}"#,
    );
    assert_eq!(g.code(), "R0020");
    assert!(
        g.report().contains("cannot sort the product lines"),
        "{}",
        g.report()
    );
    let g = one(
        &spec,
        r#"{"id": "o", "lines": [{"sku": "A", "seq": "20"}, {"sku": "B", "seq": "10"}]}"#,
    );
    assert_eq!(g.json(), r#"{"id":"o","items":[{"sku":"B"},{"sku":"A"}]}"#);
}

const DECLARED: &str = "mapc: 1\nname: t\nconnections:\n  src:\n    kind: file\n    path: in.csv\n    delimiter: \";\"\n    columns: { amount: decimal, limit: decimal, qty: integer, customer.vip: boolean }\n  out: { kind: file, path: out.ndjson }\nmappings:\n  - name: m\n    source: { connection: src, entity: thing, key: id }\n    target: { connection: out, entity: other }\n    related:\n      customer: { entity: account, via: customerid }\n    fields:\n      - { from: name, to: name }\n      - { expr: \"amount > limit\", to: over }\n      - { expr: \"amount * qty\", to: total }\n      - { from: customer.vip, to: vip }\n";

#[test]
fn declared_csv_columns_are_numbers_and_compare_as_numbers() {
    let c = compiled(DECLARED, AS_OF);
    let opts = c.csv_options();
    assert_eq!(opts.delimiter, Some(b';'));
    // Every path the mapping reads; not the source key `id` alone.
    assert_eq!(
        opts.required,
        vec!["name", "amount", "limit", "qty", "customer.vip"]
    );
    assert_eq!(opts.types.len(), 4);
    let data =
        b"id;name;amount;limit;qty;customer.vip\n1;A;99.5;100;3;TRUE\n2;B;100.5;100;2;false\n";
    let mut src = source::from_reader_with(
        Format::Csv,
        "in.csv".into(),
        std::io::Cursor::new(data.to_vec()),
        opts,
    );
    let got = collect(&c, &mut *src);
    assert_eq!(
        got[0].json(),
        r#"{"name":"A","over":false,"total":298.5,"vip":true}"#
    );
    assert_eq!(
        got[1].json(),
        r#"{"name":"B","over":true,"total":201.0,"vip":false}"#
    );
}

#[test]
fn the_csv_options_are_only_given_to_file_sources() {
    // Declared types also type the expressions at check time.
    let p = program(DECLARED);
    let m = &p.mappings[0];
    assert!(m
        .source
        .columns
        .iter()
        .any(|(n, t)| n == "amount" && *t == mapc_ir::Type::Decimal));
    // Without `columns:` and metadata: no types, the delimiter is detected.
    let c = compiled(
        &spec_with("    fields:\n      - { from: x, to: y }\n"),
        AS_OF,
    );
    assert_eq!(c.csv_options().delimiter, None);
    assert!(c.csv_options().types.is_empty());
    assert_eq!(c.csv_options().required, vec!["x"]);
}
