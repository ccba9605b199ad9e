//! Target keys (`target.key`): a record without one is rejected (R0025),
//! a key an earlier record of the input wrote is rejected (R0026), in input
//! order whatever the number of threads. Through the real parser, lowering,
//! reader and engine.

mod common;

use common::*;
use mapc_connect::source::{self, MemorySource};
use mapc_engine::keys::{KeyHash, SeenKeys};
use mapc_engine::{Outcome, Position, Value};

/// A spec whose mapping has the target key `key` and the given body.
fn keyed(key: &str, body: &str) -> String {
    spec_with(body).replace(
        "target: { connection: out, entity: other }",
        &format!("target: {{ connection: out, entity: other, key: {key} }}"),
    )
}

const BASIC: &str = "    fields:
      - { from: id, to: external_id }
      - { from: name, to: name }
";

fn codes(got: &[Got]) -> Vec<String> {
    got.iter()
        .map(|g| match g {
            Got::Written(..) => "written".to_string(),
            Got::Skipped(_) => "skip".to_string(),
            Got::Filtered => "filtered".to_string(),
            Got::Rejected { code, .. } => code.clone(),
        })
        .collect()
}

#[test]
fn a_record_without_a_target_key_is_rejected() {
    let s = keyed("external_id", BASIC);
    let got = run(
        &s,
        &[
            r#"{"id": null, "name": "null key"}"#,
            r#"{"name": "absent key"}"#,
            r#"{"id": "", "name": "empty key"}"#,
            r#"{"id": " \t", "name": "blank key"}"#,
            r#"{"id": 0, "name": "zero is a key"}"#,
            r#"{"id": "k", "name": "fine"}"#,
        ],
    );
    assert_eq!(
        codes(&got),
        ["R0025", "R0025", "R0025", "R0025", "written", "written"]
    );
    assert_eq!(
        got[0].report(),
        "mem:1: rejected R0025: record 1, field `external_id`: the target key `external_id` is null, so the record cannot be matched to a target record; help: map `external_id` from a source field that always has a value (or give it a `default:`), or skip records without one with a rule such as `{ when: \"is_null(...)\", action: skip }`"
    );
    // An absent source field maps to null.
    assert!(got[1]
        .report()
        .contains("the target key `external_id` is null"));
    assert!(got[2].report().contains("is empty (or only blanks)"));
    assert!(got[3].report().contains("is empty (or only blanks)"));
}

#[test]
fn a_key_left_out_by_on_null_skip_is_absent_and_a_default_fills_it() {
    let s = keyed(
        "external_id",
        "    fields:\n      - { from: id, to: external_id, on_null: skip }\n",
    );
    let g = one(&s, r#"{"id": null}"#);
    assert!(
        g.report()
            .contains("field `external_id`: the target key `external_id` is not written (absent)"),
        "{}",
        g.report()
    );
    let s = keyed(
        "external_id",
        "    fields:\n      - { from: id, to: external_id, default: \"NEW\" }\n",
    );
    assert_eq!(
        one(&s, r#"{"id": null}"#).json(),
        r#"{"external_id":"NEW"}"#
    );
}

#[test]
fn a_later_record_with_the_same_key_is_rejected_naming_the_first() {
    let s = keyed("external_id", BASIC);
    let got = run(
        &s,
        &[
            r#"{"id": "k1", "name": "first"}"#,
            r#"{"id": "k2", "name": "other"}"#,
            r#"{"id": "k1", "name": "again"}"#,
            r#"{"id": "k1", "name": "and again"}"#,
        ],
    );
    assert_eq!(codes(&got), ["written", "written", "R0026", "R0026"]);
    assert_eq!(got[0].value()["name"], "first");
    assert_eq!(
        got[2].report(),
        "mem:3: rejected R0026: record 3 (key k1), field `external_id`: the target key `external_id` = `k1` was already written by record 1 (line 1) of this input; the first record with a key is written, later ones are rejected; help: each target record must come from one source record: remove or merge the repeated record at the source, or map the target key from a field that is unique"
    );
    // Always the first record, not the previous repeat.
    assert!(got[3].report().contains("by record 1 (line 1)"));
}

#[test]
fn a_number_key_is_its_text() {
    // 1, 1.0 and "1" are one key; "1.0" is another text.
    let s = keyed("external_id", BASIC);
    let got = run(
        &s,
        &[
            r#"{"id": 1}"#,
            r#"{"id": "1"}"#,
            r#"{"id": 1.0}"#,
            r#"{"id": "1.0"}"#,
            r#"{"id": "A"}"#,
            r#"{"id": "a"}"#,
            r#"{"id": "a "}"#,
        ],
    );
    assert_eq!(
        codes(&got),
        ["written", "R0026", "R0026", "written", "written", "written", "written"]
    );
}

#[test]
fn only_written_records_claim_a_key() {
    let s = keyed(
        "external_id",
        "    rules:
      - { when: \"state == 2\", action: skip }
      - { when: \"state == 3\", action: error, message: \"bad\" }
    fields:
      - { from: id, to: external_id }
",
    );
    let got = run(
        &s,
        &[
            r#"{"id": "k", "state": 2}"#,
            r#"{"id": "k", "state": 3}"#,
            r#"{"id": "k", "state": 1}"#,
            r#"{"id": "k", "state": 2}"#,
            r#"{"id": "k", "state": 1}"#,
        ],
    );
    assert_eq!(codes(&got), ["skip", "R0008", "written", "skip", "R0026"]);
    assert!(got[4].report().contains("by record 3 (line 3)"));
}

#[test]
fn a_set_rule_can_write_the_key() {
    let s = keyed(
        "external_id",
        "    rules:
      - { when: \"is_null(id)\", action: set, to: external_id, expr: \"concat('N-', name)\" }
    fields:
      - { from: id, to: external_id }
      - { from: name, to: name }
",
    );
    let got = run(
        &s,
        &[
            r#"{"id": null, "name": "x"}"#,
            r#"{"id": "N-x", "name": "y"}"#,
        ],
    );
    assert_eq!(got[0].value()["external_id"], "N-x");
    assert_eq!(got[1].code(), "R0026");
}

#[test]
fn a_composite_key_needs_every_part_and_compares_them_all() {
    let s = keyed(
        "ref",
        "    fields:
      - { from: company, to: ref.company }
      - { from: no, to: ref.no }
      - { from: name, to: name }
",
    );
    let got = run(
        &s,
        &[
            r#"{"company": "A", "no": 1}"#,
            r#"{"company": "A", "no": 2}"#,
            r#"{"company": "B", "no": 1}"#,
            r#"{"company": "A", "no": null}"#,
            r#"{"company": "A", "no": "1"}"#,
        ],
    );
    assert_eq!(
        codes(&got),
        ["written", "written", "written", "R0025", "R0026"]
    );
    match &got[3] {
        Got::Rejected { field, message, .. } => {
            assert_eq!(field.as_deref(), Some("ref.no"));
            assert!(
                message.starts_with("the part `ref.no` of the target key `ref` is null"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        got[4].report().contains(
            r#"the target key `ref` = `{"company":"A","no":"1"}` was already written by record 1"#
        ),
        "{}",
        got[4].report()
    );
}

#[test]
fn a_key_inside_a_copied_object() {
    let s = keyed(
        "account.accountid",
        "    fields:\n      - { from: customer, to: account }\n",
    );
    let got = run(
        &s,
        &[
            r#"{"customer": {"accountid": "a1", "name": "x"}}"#,
            r#"{"customer": {"name": "y", "accountid": "a1"}}"#,
            r#"{"customer": {"name": "z"}}"#,
            r#"{"customer": null}"#,
        ],
    );
    assert_eq!(codes(&got), ["written", "R0026", "R0025", "R0025"]);
}

#[test]
fn an_update_checks_the_key_too() {
    let s = keyed(
        "external_id",
        "    fields:\n      - { from: id, to: external_id, sync: once }\n      - { from: name, to: name, sync: once }\n",
    );
    let p = program(&s);
    let mut o = mapc_engine::Options::new(AS_OF);
    o.mode = mapc_engine::WriteMode::Update;
    let c = mapc_engine::Compiled::new(&p, 0, o).unwrap();
    assert_eq!(c.target_key(), Some("external_id"));
    let got = collect(
        &c,
        &mut MemorySource::new(
            "mem",
            vec![
                br#"{"id": "k", "name": "a"}"#.to_vec(),
                br#"{"id": "k", "name": "b"}"#.to_vec(),
                br#"{"name": "c"}"#.to_vec(),
            ],
        ),
    );
    assert_eq!(codes(&got), ["written", "R0026", "R0025"]);
}

#[test]
fn without_a_target_key_nothing_is_checked() {
    let s = spec_with(BASIC);
    let got = run(&s, &[r#"{"id": "k"}"#, r#"{"id": "k"}"#, r#"{}"#]);
    assert_eq!(codes(&got), ["written", "written", "written"]);
    assert_eq!(compiled(&s, AS_OF).target_key(), None);
}

/// Every outcome of a threaded run, with the first record named by R0026.
fn threaded(c: &mapc_engine::Compiled, ndjson: Vec<u8>, workers: usize) -> Vec<String> {
    let mut src = source::from_reader(
        mapc_connect::Format::Ndjson,
        "x".into(),
        std::io::Cursor::new(ndjson),
    );
    let mut got = Vec::new();
    let mut sink = |o: Outcome<'_>| -> std::io::Result<()> {
        got.push(match o {
            Outcome::Written { json, .. } => String::from_utf8(json.to_vec()).unwrap(),
            Outcome::Rejected(r) => format!("{} {}", r.code, r.message),
            other => format!("{other:?}"),
        });
        Ok(())
    };
    c.run_threads(&mut *src, &mut sink, workers).unwrap();
    got
}

#[test]
fn duplicates_follow_input_order_whatever_the_threads() {
    let s = keyed("external_id", BASIC);
    let c = compiled(&s, AS_OF);
    let mut ndjson = Vec::new();
    let n = 30_000;
    for i in 0..n {
        // Keys repeat across batches: record i has key i % 7000.
        ndjson.extend_from_slice(
            format!("{{\"id\": \"k{}\", \"name\": \"{i}\"}}\n", i % 7000).as_bytes(),
        );
    }
    let one = threaded(&c, ndjson.clone(), 1);
    let three = threaded(&c, ndjson, 3);
    assert_eq!(one.len(), n);
    assert_eq!(one, three);
    for (i, o) in three.iter().enumerate() {
        if i < 7000 {
            assert!(o.starts_with('{'), "record {i}: {o}");
        } else {
            let first = i % 7000 + 1;
            assert!(
                o.starts_with("R0026 ") && o.contains(&format!("by record {first} (line {first})")),
                "record {i}: {o}"
            );
        }
    }
}

#[test]
fn companies_decide_duplicates_in_input_order_before_reordering() {
    // Record 2 is emitted before record 1 (which waits for its parent,
    // record 3), but record 1 came first: record 2 is the repeat.
    let s = keyed(
        "external_id",
        "    fields:
      - { from: id, to: external_id }
      - { from: number, to: no }
    companies:
      to: relationships
      id_field: id
      number_field: number
      parent_field: parent
      hierarchy: true
      relationships: false
      create_in_prerequisite: true
",
    );
    let got = run(
        &s,
        &[
            r#"{"id": "A", "number": "C2", "parent": "C1"}"#,
            r#"{"id": "A", "number": "C3"}"#,
            r#"{"id": "P", "number": "C1"}"#,
        ],
    );
    let order: Vec<String> = got
        .iter()
        .map(|g| match g {
            Got::Written(..) => g.value()["no"].as_str().unwrap().to_string(),
            other => other.code().to_string(),
        })
        .collect();
    assert_eq!(order, ["C1", "R0026", "C2"]);
    assert!(
        got[1]
            .report()
            .contains("`external_id` = `A` was already written by record 1 (line 1)"),
        "{}",
        got[1].report()
    );
    assert_eq!(got[1].report().split(':').nth(1), Some("2"));
}

#[test]
fn seen_keys_are_a_reusable_piece() {
    // What `mapc run` reuses: hash a key value, remember the first record.
    let mut seen = SeenKeys::new();
    let k = KeyHash::of("external_id", &Value::Str("k1".into())).unwrap();
    let at = |i| Position {
        index: i,
        line: i + 1,
    };
    assert_eq!(seen.first_or_insert(k, at(0)).unwrap(), None);
    assert_eq!(seen.first_or_insert(k, at(3)).unwrap(), Some(at(0)));
    assert_eq!(
        KeyHash::of("external_id", &Value::Null).unwrap_err().found,
        "null"
    );
}

#[test]
fn written_outcomes_carry_the_key_hash() {
    let s = keyed("external_id", BASIC);
    let c = compiled(&s, AS_OF);
    let mut hashes = Vec::new();
    let mut sink = |o: Outcome<'_>| -> std::io::Result<()> {
        if let Outcome::Written { target_key, .. } = o {
            hashes.push(target_key);
        }
        Ok(())
    };
    let mut src = MemorySource::new("m", vec![br#"{"id": 7}"#.to_vec()]);
    c.run(&mut src, &mut sink).unwrap();
    assert_eq!(
        hashes,
        [Some(
            KeyHash::of("external_id", &Value::Str("7".into())).unwrap()
        )]
    );
}
