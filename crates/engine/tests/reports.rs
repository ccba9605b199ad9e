//! What people read: one line per rejection that says the record, where,
//! what and the fix, each once, everything counted from 1; and the input
//! problems that used to be misreported (a cut-off array element counted
//! twice, an unclosed CSV quote reported as a column count, JSON columns
//! relative to the record instead of the file).

mod common;

use common::*;
use mapc_connect::Format;

fn fields(f: &str) -> String {
    spec_with(&format!("    fields:\n{f}"))
}

/// Every path, rule number and message part appears once in the line.
fn once(line: &str, part: &str) {
    assert_eq!(line.matches(part).count(), 1, "`{part}` once in: {line}");
}

#[test]
fn a_field_error_says_the_field_once() {
    let s = fields(
        "      - { from: id, to: id }\n      - { expr: \"revenue / 1000 / d\", to: revenue_k }\n",
    );
    let g = one(&s, r#"{"id": "k1", "revenue": 1, "d": 0}"#);
    assert_eq!(
        g.report(),
        "mem:1: rejected R0011: record 1 (key k1), field `revenue_k`: division by zero (0.001 / 0); help: guard the divisor, e.g. `if(d == 0, null, n / d)`"
    );
    once(g.report(), "revenue_k");
}

#[test]
fn rule_errors_name_the_rule_from_1_and_no_internal_names() {
    let s = spec_with(
        "    rules:\n      - { when: \"state == 2\", action: skip }\n      - { when: \"comparison < @2026-01-01\", action: warn, message: \"old\" }\n      - { when: \"value < 0\", action: error, message: \"negative value\" }\n    fields:\n      - { from: id, to: id }\n",
    );
    let got = run(
        &s,
        &[
            r#"{"id": "a", "comparison": "March"}"#,
            r#"{"id": "b", "value": -1}"#,
            r#"{"id": "c", "state": 2}"#,
        ],
    );
    assert_eq!(
        got[0].report(),
        "mem:1: rejected R0003: record 1 (key a), rule 2: \"March\" is not a date (YYYY-MM-DD) or date-time (RFC 3339); help: send dates as YYYY-MM-DD (or RFC 3339 date-times); read other formats with `parse_date(x, 'DD.MM.YYYY')`"
    );
    assert_eq!(
        got[1].report(),
        "mem:2: rejected R0008: record 2 (key b), rule 3: negative value"
    );
    // The outcome keeps the 0-based index; reports add 1.
    assert_eq!(got[2], Got::Skipped(0));
}

#[test]
fn comparisons_with_numbers_do_not_leak_internal_names() {
    let s = fields("      - { expr: \"amount > 10\", to: big }\n");
    let g = one(&s, r#"{"amount": "abc"}"#);
    assert_eq!(
        g.report(),
        "mem:1: rejected R0010: record 1, field `big`: the string \"abc\" cannot be compared with a number"
    );
}

#[test]
fn a_sales_price_date_error_names_the_price_rule_from_1_once() {
    let s = spec_with(
        "    fields:\n      - { from: id, to: id }\n    sales_prices:\n      path: prices\n      to: sales_price\n      field_separator: \"//\"\n      record_delimiter: \"|\"\n      exclude_expired: true\n      fields: [unitprice, startingdate, endingdate]\n",
    );
    let g = one(
        &s,
        r#"{"id": "k", "prices": [{"unitprice": 1, "salescode": "A"}, {"unitprice": 2, "salescode": "A", "endingdate": "soon"}]}"#,
    );
    let line = g.report();
    assert!(
        line.starts_with("mem:1: rejected R0003: record 1 (key k), price rule 2 of `prices`, field `endingdate`: \"soon\" is not a date"),
        "{line}"
    );
    once(line, "endingdate");
    once(line, "soon");
}

#[test]
fn the_filter_is_named_with_its_text() {
    let s = spec_with("    fields:\n      - { from: id, to: id }\n")
        .replace("key: id }", "key: id, filter: \"d gt 2026-01-01\" }");
    let g = one(&s, r#"{"id": "k", "d": "soon"}"#);
    assert!(
        g.report().starts_with(
            "mem:1: rejected R0003: record 1 (key k), the source filter `d gt 2026-01-01`: \"soon\" is not a date"
        ),
        "{}",
        g.report()
    );
}

#[test]
fn a_list_that_is_not_a_list_of_objects_counts_items_from_1() {
    let s = spec_with(
        "    fields:\n      - { from: id, to: id }\n    products:\n      source: line\n      path: lines\n      to: lines\n      fields:\n        - { from: n, to: n }\n",
    );
    let g = one(&s, r#"{"id": "k", "lines": [{"n": 1}, 7]}"#);
    assert_eq!(
        g.report(),
        "mem:1: rejected R0010: record 1 (key k), item 2 of `lines`: the item is a number, expected an object (one of the product lines)"
    );
    match &g {
        Got::Rejected { field, .. } => assert_eq!(field.as_deref(), Some("lines[1]")),
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------------------
// Input problems
// ---------------------------------------------------------------------------

fn spec() -> String {
    fields("      - { from: id, to: id }\n      - { from: amount, to: amount }\n")
}

#[test]
fn a_cut_off_array_element_is_one_record_and_one_error() {
    let got = run_bytes(
        &spec(),
        Format::Json,
        b"[\n  {\"id\": \"a\"},\n  {\"id\": \"b\"},\n  {\"id\": \"c\", \"amount\": 1".to_vec(),
    );
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[2].code(), "R0005");
    assert_eq!(
        got[2].report(),
        "input:4: rejected R0005: record 3: invalid JSON: the input ends inside this record (it is cut off)"
    );
    // Cut off inside a string, too.
    let got = run_bytes(
        &spec(),
        Format::Json,
        br#"[{"id": "a"}, {"id": "b"#.to_vec(),
    );
    assert_eq!(got.len(), 2, "{got:?}");
    // A sequence of objects (no array) cut off in the last one.
    let got = run_bytes(&spec(), Format::Json, br#"{"id": "a"} {"id": "#.to_vec());
    assert_eq!(got.len(), 2, "{got:?}");
}

#[test]
fn json_error_positions_are_lines_and_columns_of_the_file() {
    let input = b"[\n  {\"id\": \"a\"},\n  {\"id\": \"b\",\n   \"amount\": 1,, \"x\": 2},\n    {\"id\": \"c\", \"amount\": }\n]\n";
    let got = run_bytes(&spec(), Format::Json, input.to_vec());
    assert_eq!(got.len(), 3, "{got:?}");
    // Record 2 starts on line 3; the doubled comma is on line 4, column 16.
    assert_eq!(
        got[1].report(),
        "input:3: rejected R0005: record 2: invalid JSON at line 4, column 16: expected a string key"
    );
    // Record 3 starts at column 5 of line 5; the error is at column 27 of that line.
    assert_eq!(
        got[2].report(),
        "input:5: rejected R0005: record 3: invalid JSON at column 27: unexpected character, expected a value"
    );
    // NDJSON: the record is the line; columns count characters, not bytes.
    let got = run_bytes(
        &spec(),
        Format::Ndjson,
        "{\"id\": \"é\"}\n{\"id\": \"ü\", \"amount\": 1,}\n"
            .as_bytes()
            .to_vec(),
    );
    assert_eq!(
        got[1].report(),
        "input:2: rejected R0005: record 2: invalid JSON at column 25: expected a string key"
    );
}

#[test]
fn invalid_utf8_is_located_in_the_file() {
    let got = run_bytes(
        &spec(),
        Format::Ndjson,
        b"{\"id\": \"a\"}\n{\"id\": \"b\xff\"}\n".to_vec(),
    );
    assert_eq!(
        got[1].report(),
        "input:2: rejected R0007: record 2: invalid UTF-8 (at column 10); help: save the input as UTF-8"
    );
}

#[test]
fn csv_shape_errors_name_the_key_and_unclosed_quotes() {
    let got = run_bytes(
        &spec(),
        Format::Csv,
        b"id,amount,note\nr1,1\nr2,2,x,y\nr3,3,\"never closed\nr4,4,z\n".to_vec(),
    );
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(
        got[0].report(),
        "input:2: rejected R0006: record 1 (key r1): the row has 2 columns, the header has 3; help: quote values that contain a comma or a line break (`\"Gift basket, assorted\"`)"
    );
    assert_eq!(got[1].code(), "R0006");
    assert!(got[1].report().contains("(key r2)"), "{}", got[1].report());
    assert_eq!(
        got[2].report(),
        "input:4: rejected R0006: record 3 (key r3): unclosed quote: the quoted value opened on line 4 never ends, so it takes in the rest of the input (lines 4 to 5); help: close the quote; a quote inside a quoted value is written twice (`\"5\"\" disk\"`)"
    );
    // Without the key column there is no key to name.
    let got = run_bytes(&spec(), Format::Csv, b"amount,note\n1\n".to_vec());
    assert!(got[0]
        .report()
        .starts_with("input:2: rejected R0006: record 1: "));
}
