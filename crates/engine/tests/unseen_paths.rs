//! R0104: paths the mapping reads that no record read had (a misspelled
//! `from:` without metadata), reported once per path with the closest key.

mod common;

use common::*;
use mapc_connect::source::{self, MemorySource, Source};
use mapc_engine::reads::UnseenPath;
use mapc_engine::{Compiled, Options, Outcome};

fn tracked(yaml: &str) -> Compiled {
    let p = program(yaml);
    let mut c = Compiled::new(&p, 0, Options::new(AS_OF)).expect("compiles");
    c.track_reads();
    c
}

fn drain(c: &Compiled, src: &mut dyn Source, threads: usize) {
    let mut sink = |_: Outcome<'_>| -> std::io::Result<()> { Ok(()) };
    c.run_threads(src, &mut sink, threads).expect("run");
}

/// `(path, suggestion)` of every unseen path after reading `records`.
fn unseen_after(yaml: &str, records: &[&str]) -> Vec<(String, Option<String>)> {
    let c = tracked(yaml);
    let mut src = MemorySource::new(
        "mem",
        records.iter().map(|r| r.as_bytes().to_vec()).collect(),
    );
    drain(&c, &mut src, 1);
    pairs(&c.unseen_paths())
}

fn pairs(u: &[UnseenPath]) -> Vec<(String, Option<String>)> {
    u.iter()
        .map(|u| (u.path.clone(), u.suggestion.clone()))
        .collect()
}

fn p(path: &str, suggestion: Option<&str>) -> (String, Option<String>) {
    (path.to_string(), suggestion.map(str::to_string))
}

const FIELDS: &str = "    fields:
      - { from: id, to: id }
      - { from: nmae, to: name }
      - { from: note, to: note }
      - { from: customer.nmae, to: customer_name }
      - { expr: \"upper(coalesce(cuntry, ''))\", to: country }
";

#[test]
fn a_misspelled_path_is_reported_once_with_the_closest_key() {
    let s = spec_with(FIELDS);
    let got = unseen_after(
        &s,
        &[
            r#"{"id": 1, "name": "A", "note": "x", "country": "de", "customer": {"name": "C"}}"#,
            r#"{"id": 2, "name": "B", "note": "y", "country": "at", "customer": {"name": "D"}}"#,
        ],
    );
    assert_eq!(
        got,
        vec![
            p("nmae", Some("name")),
            p("customer.nmae", Some("customer.name")),
            p("cuntry", Some("country")),
        ]
    );
}

#[test]
fn where_the_spec_reads_a_path_is_known() {
    let s = spec_with(FIELDS);
    let c = tracked(&s);
    let mut src = MemorySource::new("mem", vec![br#"{"id": 1, "name": "A"}"#.to_vec()]);
    drain(&c, &mut src, 1);
    let u = c.unseen_paths();
    let nmae = u.iter().find(|u| u.path == "nmae").expect("nmae reported");
    let span = nmae.span.expect("a span");
    assert_eq!(&s[span.start..span.end], "nmae");
    assert_eq!(nmae.records, 1);
    assert!(nmae.likely_typo);
}

#[test]
fn nothing_is_reported_when_no_record_was_read() {
    let s = spec_with(FIELDS);
    assert_eq!(unseen_after(&s, &[]), vec![]);
    // Records that could not be read at all are not records read.
    assert_eq!(unseen_after(&s, &["{broken", "[1, 2]"]), vec![]);
}

#[test]
fn a_path_present_as_null_in_some_record_is_seen() {
    let s = spec_with(FIELDS);
    let got = unseen_after(
        &s,
        &[
            r#"{"id": 1, "nmae": null, "cuntry": "x", "note": null, "customer": {"nmae": null}}"#,
            r#"{"id": 2}"#,
        ],
    );
    assert_eq!(got, vec![]);
}

#[test]
fn a_path_under_an_object_that_was_never_there_is_not_reported() {
    let s = spec_with(FIELDS);
    // `customer` null or absent in every record: nothing to say about its keys.
    let got = unseen_after(
        &s,
        &[
            r#"{"id": 1, "name": "A", "note": null, "cuntry": "x", "customer": null}"#,
            r#"{"id": 2, "nmae": "B", "note": null, "cuntry": "y"}"#,
        ],
    );
    assert_eq!(got, vec![]);
}

#[test]
fn a_misspelled_nested_object_is_reported_at_the_name_that_is_missing() {
    let s = spec_with(
        "    fields:\n      - { from: id, to: id }\n      - { from: adress.city, to: city }\n      - { from: customer.adress.city, to: customer_city }\n",
    );
    let got = unseen_after(
        &s,
        &[r#"{"id": 1, "address": {"city": "Köln"}, "customer": {"address": {"city": "Bonn"}}}"#],
    );
    assert_eq!(
        got,
        vec![
            p("adress.city", Some("address.city")),
            p("customer.adress.city", Some("customer.address.city")),
        ]
    );
    // A related alias missing from the record is R0004 already: not
    // reported again here; its fields are reported once it is there.
    let s = spec_with(
        "    fields:\n      - { from: id, to: id }\n      - { from: customer.name, to: n }\n",
    );
    assert_eq!(unseen_after(&s, &[r#"{"id": 1}"#]), vec![]);
}

#[test]
fn a_path_seen_late_is_seen_and_every_thread_counts() {
    let s = spec_with(FIELDS);
    let mut records: Vec<Vec<u8>> = (0..5000)
        .map(|i| format!(r#"{{"id": {i}, "name": "x", "note": null, "cuntry": null, "customer": {{"name": "c"}}}}"#).into_bytes())
        .collect();
    records.push(br#"{"id": "last", "nmae": 1, "customer": {"nmae": 2}}"#.to_vec());
    let c = tracked(&s);
    let mut src = MemorySource::new("mem", records);
    drain(&c, &mut src, 3);
    assert_eq!(pairs(&c.unseen_paths()), vec![]);
}

#[test]
fn line_fields_are_tracked_per_element() {
    let s = spec_with(
        "    fields:
      - { from: id, to: id }
    products:
      source: orderline
      path: lines
      sku_field: skuu
      to: lines
      fields:
        - { from: qty, to: qty }
        - { from: prce, to: price }
",
    );
    let got = unseen_after(
        &s,
        &[
            r#"{"id": 1, "lines": []}"#,
            r#"{"id": 2, "lines": [{"sku": "A", "qty": 1, "price": 2}, {"sku": "B", "qty": null}]}"#,
        ],
    );
    assert_eq!(
        got,
        vec![
            p("lines[].skuu", Some("lines[].sku")),
            p("lines[].prce", Some("lines[].price"))
        ]
    );
    // No line at all: nothing is known about line fields.
    assert_eq!(unseen_after(&s, &[r#"{"id": 1, "lines": []}"#]), vec![]);
    // The list itself is a path too.
    assert_eq!(
        unseen_after(&s, &[r#"{"id": 1, "line": []}"#]),
        vec![p("lines", Some("line"))]
    );
}

#[test]
fn csv_columns_count_as_keys() {
    let s = spec_with(FIELDS);
    let c = tracked(&s);
    let csv = b"id,name,note,country,customer.name\n1,A,,de,C\n".to_vec();
    let mut src = source::from_reader(
        mapc_connect::Format::Csv,
        "in.csv".into(),
        std::io::Cursor::new(csv),
    );
    drain(&c, &mut *src, 1);
    assert_eq!(
        pairs(&c.unseen_paths()),
        vec![
            p("nmae", Some("name")),
            p("customer.nmae", Some("customer.name")),
            p("cuntry", Some("country")),
        ]
    );
}

#[test]
fn without_tracking_nothing_is_reported() {
    let s = spec_with(FIELDS);
    let c = compiled(&s, AS_OF);
    let mut src = MemorySource::new("mem", vec![br#"{"id": 1}"#.to_vec()]);
    drain(&c, &mut src, 1);
    assert_eq!(c.unseen_paths(), vec![]);
}

#[test]
fn key_names_are_remembered_up_to_a_bound() {
    let s = spec_with(FIELDS);
    let c = tracked(&s);
    // Thousands of distinct keys: the suggestion still comes from the
    // first ones, and memory stays bounded.
    let records: Vec<Vec<u8>> = (0..2000)
        .map(|i| format!(r#"{{"id": {i}, "name": "x", "k{i}": 1}}"#).into_bytes())
        .collect();
    let mut src = MemorySource::new("mem", records);
    drain(&c, &mut src, 1);
    let u = c.unseen_paths();
    assert_eq!(
        u.iter()
            .find(|u| u.path == "nmae")
            .and_then(|u| u.suggestion.clone()),
        Some("name".to_string())
    );
}
