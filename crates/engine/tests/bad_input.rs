//! Broken input: every kind is one per-record error with a code, the file,
//! line and record index; the records around it are still mapped; nothing
//! panics.

mod common;

use common::*;
use mapc_connect::Format;

fn spec() -> String {
    spec_with("    fields:\n      - { from: id, to: id }\n      - { from: amount, to: amount }\n      - { from: note, to: note }\n")
}

fn ndjson(lines: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        out.extend_from_slice(l);
        out.push(b'\n');
    }
    out
}

fn rejected(g: &Got) -> (String, usize, usize) {
    match g {
        Got::Rejected {
            code, line, index, ..
        } => (code.clone(), *line, *index),
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[test]
fn each_bad_ndjson_line_is_one_error_and_the_stream_goes_on() {
    let huge = format!(r#"{{"id": "big", "note": "{}"}}"#, "x".repeat(10 << 20));
    let input = ndjson(&[
        br#"{"id": "ok1", "amount": 1.50}"#,
        b"{\"id\": \"bad-utf8\", \"note\": \"\xff\xfe\"}",
        br#"{"id": "bad-json", "amount": }"#,
        br#"[1, 2, 3]"#,
        br#""just a string""#,
        br#"{"id": "big-number", "amount": 1234567890123456789012345678901234567890}"#,
        huge.as_bytes(),
        br#"{"id": "ok2", "unread": 1234567890123456789012345678901234567890}"#,
        b"",
        br#"{"id": "trailing"} {"x": 1}"#,
        br#"{"id": "ok3"}"#,
    ]);
    let got = run_bytes(&spec(), Format::Ndjson, input);
    assert_eq!(got.len(), 10);
    assert_eq!(got[0].json(), r#"{"id":"ok1","amount":1.50,"note":null}"#);
    assert_eq!(rejected(&got[1]), ("R0007".into(), 2, 1));
    assert_eq!(rejected(&got[2]), ("R0005".into(), 3, 2));
    assert_eq!(rejected(&got[3]), ("R0001".into(), 4, 3));
    assert_eq!(rejected(&got[4]), ("R0001".into(), 5, 4));
    match &got[5] {
        Got::Rejected {
            code,
            field,
            message,
            ..
        } => {
            assert_eq!(code, "R0002");
            assert_eq!(field.as_deref(), Some("amount"));
            // The field is said once, by the report, not again in the message.
            assert!(!message.contains("amount"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // A 10 MB string is an ordinary value.
    assert!(got[6]
        .json()
        .starts_with(r#"{"id":"big","amount":null,"note":"xxxx"#));
    assert_eq!(got[6].json().len(), (10 << 20) + 36);
    assert_eq!(got[7].json(), r#"{"id":"ok2","amount":null,"note":null}"#);
    // The blank line 9 is not a record; the next one is line 10, record 8.
    assert_eq!(rejected(&got[8]), ("R0005".into(), 10, 8));
    assert_eq!(got[9].json(), r#"{"id":"ok3","amount":null,"note":null}"#);
}

#[test]
fn invalid_json_is_reported_even_in_keys_nobody_reads() {
    let got = run(
        &spec(),
        &[
            r#"{"id": "a", "zzz": [1, 2,]}"#,
            r#"{"id": "a", "zzz": "tab	inside"}"#,
            r#"{"id": "a", "zzz": tru}"#,
        ],
    );
    for g in &got {
        assert_eq!(g.code(), "R0005", "{g:?}");
    }
}

#[test]
fn error_messages_name_the_column() {
    match one(&spec(), r#"{"id": "a", "amount": 1,}"#) {
        Got::Rejected { message, .. } => assert!(message.contains("column 25"), "{message}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn hostile_nesting_is_an_error_not_a_crash() {
    let deep = format!(
        r#"{{"id": "d", "zzz": {}{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert_eq!(one(&spec(), &deep).code(), "R0014");
    let deep_read = format!(
        r#"{{"id": "d", "note": {}1{}}}"#,
        "[".repeat(500),
        "]".repeat(500)
    );
    assert_eq!(one(&spec(), &deep_read).code(), "R0014");
}

#[test]
fn a_record_over_the_size_limit_is_r0014_and_the_next_line_is_read() {
    let mut input = format!(
        r#"{{"id": "huge", "note": "{}"}}"#,
        "y".repeat(mapc_connect::source::MAX_RECORD_BYTES)
    )
    .into_bytes();
    input.extend_from_slice(b"\n{\"id\": \"after\"}\n");
    let got = run_bytes(&spec(), Format::Ndjson, input);
    assert_eq!(got.len(), 2);
    assert_eq!(rejected(&got[0]), ("R0014".into(), 1, 0));
    assert_eq!(got[1].json(), r#"{"id":"after","amount":null,"note":null}"#);
}

#[test]
fn json_arrays_stream_and_bad_elements_are_skipped() {
    let input = br#"[
  {"id": "a", "amount": 45.10},
  {"id": "b", "amount": },
  42,
  {"id": "c", "amount": 1234567890123456789012345678901234567890},
  {"id": "d"}
]"#
    .to_vec();
    let got = run_bytes(&spec(), Format::Json, input);
    assert_eq!(got.len(), 5);
    assert_eq!(got[0].json(), r#"{"id":"a","amount":45.10,"note":null}"#);
    assert_eq!(rejected(&got[1]), ("R0005".into(), 3, 1));
    assert_eq!(rejected(&got[2]), ("R0001".into(), 4, 2));
    assert_eq!(rejected(&got[3]), ("R0002".into(), 5, 3));
    assert_eq!(got[4].json(), r#"{"id":"d","amount":null,"note":null}"#);
}

#[test]
fn a_broken_array_structure_is_reported_once() {
    let got = run_bytes(
        &spec(),
        Format::Json,
        br#"[{"id": "a"} {"id": "b"}, {"id": "c"}]"#.to_vec(),
    );
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].json(), r#"{"id":"a","amount":null,"note":null}"#);
    assert_eq!(got[1].code(), "R0005");
    let got = run_bytes(
        &spec(),
        Format::Json,
        br#"[{"id": "a"}, {"id": "unterminated}]"#.to_vec(),
    );
    assert_eq!(
        got.last().map(|g| g.code().to_string()),
        Some("R0005".into())
    );
}

#[test]
fn csv_rows_with_wrong_width_or_bad_utf8() {
    let input = b"id,amount,note\nr1,12.50,\nr2,1\nr3,2,\xff\nr4,3,\"quoted, note\"\n".to_vec();
    let got = run_bytes(&spec(), Format::Csv, input);
    assert_eq!(got.len(), 4);
    // CSV values are strings; an empty cell is null.
    assert_eq!(got[0].json(), r#"{"id":"r1","amount":"12.50","note":null}"#);
    assert_eq!(rejected(&got[1]), ("R0006".into(), 3, 1));
    assert_eq!(rejected(&got[2]), ("R0007".into(), 4, 2));
    assert_eq!(
        got[3].json(),
        r#"{"id":"r4","amount":"3","note":"quoted, note"}"#
    );
}

#[test]
fn csv_strings_work_in_arithmetic_and_comparisons() {
    let s = spec_with("    fields:\n      - { expr: \"round(amount * 2, 1)\", to: double }\n      - { expr: \"amount > 10\", to: big }\n");
    let got = run_bytes(&s, Format::Csv, b"id,amount\na,12.25\nb,abc\n".to_vec());
    assert_eq!(got[0].json(), r#"{"double":24.5,"big":true}"#);
    assert_eq!(got[1].code(), "R0010");
}

/// Every prefix and many byte flips of a valid record: each gives exactly
/// one outcome, none panics.
#[test]
fn mangled_records_never_panic() {
    let s = spec_with(
        "    fields:\n      - { from: id, to: id }\n      - { expr: \"round(amount * 2, 2)\", to: x }\n    products:\n      source: line\n      path: lines\n      order_by: n\n      to: lines\n      fields:\n        - { from: n, to: n }\n",
    );
    let base = r#"{"id": "é\u00e9", "amount": 12.345, "lines": [{"n": 2}, {"n": 1.5}, {"n": "x"}], "z": [true, false, null, {"a": "\""}]}"#;
    let mut recs: Vec<Vec<u8>> = Vec::new();
    for i in 0..base.len() {
        recs.push(base.as_bytes()[..i].to_vec());
    }
    for i in 0..base.len() {
        for b in [
            b'"', b'{', b'}', b'[', b']', b',', b':', b'\\', 0xff, b'0', b'-', b'e', 0,
        ] {
            let mut r = base.as_bytes().to_vec();
            r[i] = b;
            recs.push(r);
        }
    }
    let n = recs.len();
    let c = compiled(&s, AS_OF);
    let got = collect(&c, &mut mapc_connect::source::MemorySource::new("m", recs));
    assert_eq!(got.len(), n);
}

#[test]
fn a_number_rejection_still_names_the_record_key() {
    let c = compiled(&spec(), AS_OF);
    let mut src = mapc_connect::source::MemorySource::new(
        "m",
        vec![br#"{"amount": 1234567890123456789012345678901234567890, "id": "k-42"}"#.to_vec()],
    );
    let mut keys = Vec::new();
    let mut sink = |o: mapc_engine::Outcome<'_>| -> std::io::Result<()> {
        if let mapc_engine::Outcome::Rejected(r) = o {
            keys.push((r.code.as_str(), r.key, r.file, r.at.line));
        }
        Ok(())
    };
    c.run(&mut src, &mut sink).unwrap();
    assert_eq!(
        keys,
        vec![("R0002", Some("k-42".to_string()), "m".to_string(), 1)]
    );
}

/// Issue 6, item 9: a key twice in one object is refused (R0021), with its
/// position, instead of silently keeping the last value.
#[test]
fn a_repeated_key_rejects_the_record() {
    let input = ndjson(&[
        br#"{"id": "a", "amount": 1, "amount": 2}"#,
        br#"{"id": "b", "x": 1, "x": 2, "amount": 3}"#,
    ]);
    let got = run_bytes(&spec(), Format::Ndjson, input);
    assert_eq!(rejected(&got[0]), ("R0021".into(), 1, 0));
    assert_eq!(
        got[0].report(),
        "input:1: rejected R0021: record 1 (key a), field `amount`: the key appears twice in one object; which value is meant cannot be told (at column 26); help: send each key once (Dataverse and Business Central never repeat one); fix the program that wrote the record"
    );
    // A key nothing reads is not looked at.
    assert_eq!(got[1].json(), r#"{"id":"b","amount":3,"note":null}"#);
}

/// Issue 6, item 2: a `.json` file holding a saved OData response.
#[test]
fn an_odata_response_file_is_read_as_its_records() {
    let input = br#"{"@odata.context": "https://x/api/data/v9.2/$metadata#things",
"@odata.count": 2,
"value": [
  {"@odata.etag": "W/\"1\"", "id": "a", "amount": 1.50},
  {"@odata.etag": "W/\"2\"", "id": "b", "amount": 2}
]}"#;
    let got = run_bytes(&spec(), Format::Json, input.to_vec());
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].json(), r#"{"id":"a","amount":1.50,"note":null}"#);
    assert_eq!(got[1].json(), r#"{"id":"b","amount":2,"note":null}"#);
}
