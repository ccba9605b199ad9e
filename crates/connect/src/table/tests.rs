use super::*;
use proptest::prelude::*;
use std::collections::BTreeMap;

fn open(dir: &Path, name: &str) -> FileTarget {
    open_file_target(&dir.join(name), None, &["id"]).unwrap()
}

fn mtime(p: &Path) -> std::time::SystemTime {
    std::fs::metadata(p).unwrap().modified().unwrap()
}

#[test]
fn create_update_delete_keep_order_and_text() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("sub/t.ndjson");
    let mut t = open_file_target(&p, None, &["id"]).unwrap();
    let r = t
        .write(&[
            Write::Create {
                key: "a",
                record: br#"{"id":"a","n":1.10,"x":{"y":1}}"#,
            },
            Write::Create {
                key: "b",
                record: br#"{"id":"b","n":2}"#,
            },
            Write::Create {
                key: "c",
                record: br#"{"id":"c","n":3}"#,
            },
        ])
        .unwrap();
    assert!(r.iter().all(|r| *r == WriteResult::Done));
    assert!(!p.exists(), "nothing visible before commit");
    t.commit().unwrap();
    assert_eq!(
        std::fs::read_to_string(&p).unwrap(),
        "{\"id\":\"a\",\"n\":1.10,\"x\":{\"y\":1}}\n{\"id\":\"b\",\"n\":2}\n{\"id\":\"c\",\"n\":3}\n"
    );
    let mut t = open_file_target(&p, None, &["id"]).unwrap();
    t.write(&[
        Write::Update {
            key: "a",
            patch: r#"{"x":{"z":"é"}}"#.as_bytes(),
        },
        Write::Delete { key: "b" },
        Write::Create {
            key: "d",
            record: br#"{"id":"d"}"#,
        },
    ])
    .unwrap();
    assert_eq!(
        t.get("a").unwrap().unwrap(),
        r#"{"id":"a","n":1.10,"x":{"y":1,"z":"é"}}"#.as_bytes()
    );
    assert_eq!(t.get("b").unwrap(), None);
    assert_eq!(t.keys().unwrap(), ["a", "c", "d"]);
    t.commit().unwrap();
    assert_eq!(
        std::fs::read_to_string(&p).unwrap(),
        "{\"id\":\"a\",\"n\":1.10,\"x\":{\"y\":1,\"z\":\"é\"}}\n{\"id\":\"c\",\"n\":3}\n{\"id\":\"d\"}\n"
    );
    let leftovers: Vec<_> = std::fs::read_dir(p.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        1,
        "no temp or spill file left: {leftovers:?}"
    );
}

#[test]
fn a_session_that_changes_nothing_leaves_the_file_untouched() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("t.ndjson");
    std::fs::write(
        &p,
        "\u{feff}{\"id\":\"a\",\"n\":1}\r\n\r\n{\"id\":2,\"n\":2}\r\n",
    )
    .unwrap();
    let before = mtime(&p);
    std::thread::sleep(std::time::Duration::from_millis(15));
    let mut t = open_file_target(&p, None, &["id"]).unwrap();
    assert_eq!(
        t.get("2").unwrap().unwrap(),
        br#"{"id":2,"n":2}"#,
        "number keys by their text"
    );
    t.write(&[Write::Update {
        key: "a",
        patch: br#"{"n":1}"#,
    }])
    .unwrap();
    t.commit().unwrap();
    assert_eq!(mtime(&p), before);
    assert_eq!(
        std::fs::read(&p).unwrap(),
        b"\xEF\xBB\xBF{\"id\":\"a\",\"n\":1}\r\n\r\n{\"id\":2,\"n\":2}\r\n"
    );
}

#[test]
fn json_and_csv_tables() {
    let d = tempfile::tempdir().unwrap();
    let j = d.path().join("t.json");
    let mut t = open_file_target(&j, None, &["id"]).unwrap();
    t.write(&[
        Write::Create {
            key: "a",
            record: br#"{"id":"a","v":[1,2]}"#,
        },
        Write::Create {
            key: "b",
            record: br#"{"id":"b"}"#,
        },
    ])
    .unwrap();
    t.commit().unwrap();
    assert_eq!(
        std::fs::read_to_string(&j).unwrap(),
        "[\n{\"id\":\"a\",\"v\":[1,2]},\n{\"id\":\"b\"}\n]\n"
    );
    let mut t = open_file_target(&j, None, &["id"]).unwrap();
    assert_eq!(t.keys().unwrap(), ["a", "b"]);

    let c = d.path().join("t.csv");
    std::fs::write(&c, "id,name,addr.city\n1,\"Zürich, AG\",Bern\n").unwrap();
    let mut t = open_file_target(&c, None, &["id"]).unwrap();
    assert_eq!(
        t.get("1").unwrap().unwrap(),
        r#"{"addr":{"city":"Bern"},"id":1,"name":"Zürich, AG"}"#.as_bytes()
    );
    t.write(&[
        Write::Update {
            key: "1",
            patch: br#"{"addr":{"city":"Genf"}}"#,
        },
        Write::Create {
            key: "2",
            record: br#"{"id":2,"name":null,"extra":true}"#,
        },
    ])
    .unwrap();
    t.commit().unwrap();
    assert_eq!(
        std::fs::read_to_string(&c).unwrap(),
        "id,name,addr.city,extra\n1,\"Zürich, AG\",Genf,\n2,,,true\n"
    );
}

#[test]
fn broken_target_files_are_refused_with_the_place() {
    let d = tempfile::tempdir().unwrap();
    for (text, says) in [
        (
            "{\"id\":\"a\"}\n{\"id\":\"a\"}\n",
            "t.ndjson:2: a record before has the same key `a`",
        ),
        (
            "{\"id\":\"a\"}\n{\"x\":1}\n",
            "t.ndjson:2: the record has no key `id`",
        ),
        (
            "{\"id\":\"a\"}\n{\"id\":\n",
            "t.ndjson:2: the record is not valid JSON",
        ),
        ("[1]\n", "t.ndjson:1: the record is not a JSON object"),
    ] {
        let p = d.path().join("t.ndjson");
        std::fs::write(&p, text).unwrap();
        let mut t = open_file_target(&p, None, &["id"]).unwrap();
        let e = t.get("a").unwrap_err().to_string();
        assert!(e.contains(says) && e.contains(Code::R0045.as_str()), "{e}");
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            text,
            "never half-written"
        );
    }
    // A folder that cannot be written: a file where the folder should be.
    std::fs::write(d.path().join("f"), "x").unwrap();
    assert!(open_file_target(&d.path().join("f/t.ndjson"), None, &["id"]).is_err());
    assert!(open_file_target(&d.path().join("t.txt"), None, &["id"]).is_err());
}

#[test]
fn an_interrupted_commit_leaves_the_original() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("t.ndjson");
    std::fs::write(&p, "{\"id\":\"a\"}\n").unwrap();
    // What a killed run leaves behind: a temp file of another process.
    std::fs::write(d.path().join(".t.ndjson.mapc-new-999999"), "{\"id\":\"half").unwrap();
    let mut t = open(d.path(), "t.ndjson");
    assert_eq!(t.keys().unwrap(), ["a"]);
    t.write(&[Write::Create {
        key: "b",
        record: br#"{"id":"b"}"#,
    }])
    .unwrap();
    t.commit().unwrap();
    assert_eq!(
        std::fs::read_to_string(&p).unwrap(),
        "{\"id\":\"a\"}\n{\"id\":\"b\"}\n"
    );
}

#[test]
fn keys_are_canonical() {
    let k = |s: &str| key_text(&serde_json::from_str(s).unwrap());
    assert_eq!(k("1.0"), Some("1".into()));
    // Exponents fold as the engine folds them: the engine writes `100`.
    assert_eq!(k("1e2"), Some("100".into()));
    assert_eq!(k("1.50E1"), Some("15".into()));
    assert_eq!(k("-0.0"), Some("0".into()));
    assert_eq!(k("\"1\""), Some("1".into()));
    assert_eq!(k("\"1.0\""), Some("1.0".into()));
    assert_eq!(k("null"), None);
    assert_eq!(k("{\"a\":1}"), None);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    /// Random sessions of writes against a model of the table (an ordered
    /// map plus key order): the file always holds exactly the model. The
    /// index holds `limit` entries in memory, so most sessions also read
    /// slots back from its scratch runs (`limit` 0: the default, all in
    /// memory).
    #[test]
    fn the_table_follows_a_model(ops in proptest::collection::vec((0u8..3, 0u8..6, 0u8..4), 1..40), csv in any::<bool>(), limit in 0usize..4) {
        let small = |t: &mut FileTarget| if limit > 0 { t.index = KeyIndex::with_limit(None, limit) };
        let d = tempfile::tempdir().unwrap();
        let name = if csv { "t.csv" } else { "t.ndjson" };
        let p = d.path().join(name);
        let mut model: BTreeMap<String, i64> = BTreeMap::new();
        let mut order: Vec<String> = Vec::new();
        for chunk in ops.chunks(5) {
            let mut t = open_file_target(&p, None, &["id"]).unwrap();
            small(&mut t);
            for &(op, key, val) in chunk {
                let key = format!("k{key}é");
                match op {
                    0 => {
                        let rec = format!(r#"{{"id":"{key}","v":{val}}}"#);
                        t.write(&[Write::Create { key: &key, record: rec.as_bytes() }]).unwrap();
                        if !model.contains_key(&key) { order.push(key.clone()); }
                        model.insert(key, val as i64);
                    }
                    1 => {
                        let patch = format!(r#"{{"v":{val}}}"#);
                        let r = t.write(&[Write::Update { key: &key, patch: patch.as_bytes() }]).unwrap();
                        match model.get_mut(&key) {
                            Some(slot) => {
                                prop_assert_eq!(&r[0], &WriteResult::Done);
                                *slot = val as i64;
                            }
                            None => {
                                let failed = matches!(r[0], WriteResult::Failed { .. });
                                prop_assert!(failed);
                            }
                        }
                    }
                    _ => {
                        t.write(&[Write::Delete { key: &key }]).unwrap();
                        model.remove(&key);
                        order.retain(|k| *k != key);
                    }
                }
            }
            t.commit().unwrap();
            let mut t = open_file_target(&p, None, &["id"]).unwrap();
            small(&mut t);
            prop_assert_eq!(t.keys().unwrap(), order.clone());
            for (k, v) in &model {
                let got: Value = serde_json::from_slice(&t.get(k).unwrap().unwrap()).unwrap();
                prop_assert_eq!(got["v"].to_string(), v.to_string());
            }
        }
    }
}

/// More records than one spill chunk: reads from the pending tail, from the
/// read window and from outside it, in any order, all give back what was
/// written, and the committed file holds every record once in write order.
#[test]
fn records_past_one_spill_chunk_read_back_exactly() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("big.ndjson");
    let mut t = open_file_target(&p, None, &["id"]).unwrap();
    let pad = "ü".repeat(700);
    let rec = |i: usize, v: &str| format!(r#"{{"id":"k{i}","v":"{v}","pad":"{pad}"}}"#);
    let n = 2 * CHUNK / 1400 + 50;
    for i in 0..n {
        let r = rec(i, "a");
        t.write(&[Write::Create {
            key: &format!("k{i}"),
            record: r.as_bytes(),
        }])
        .unwrap();
    }
    assert!(t.spill_len > 2 * CHUNK as u64, "the test spans chunks");
    // Backwards, then a stride: every read is a window reload or a hit.
    for i in (0..n).rev().chain((0..n).step_by(97)) {
        let got = t.get(&format!("k{i}")).unwrap().unwrap();
        assert_eq!(got, rec(i, "a").as_bytes(), "record {i}");
    }
    // Updates append a new text; reading the old and new places both work.
    for i in (0..n).step_by(13) {
        t.write(&[Write::Update {
            key: &format!("k{i}"),
            patch: br#"{"v":"b"}"#,
        }])
        .unwrap();
    }
    t.commit().unwrap();
    let text = std::fs::read_to_string(&p).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), n);
    for (i, l) in lines.iter().enumerate() {
        let v = if i % 13 == 0 { "b" } else { "a" };
        assert_eq!(*l, rec(i, v), "line {i}");
    }
}

/// A record the reader would refuse (nesting past the limit; in CSV, a
/// column name with that many dots) is not written: the file stays
/// readable for the next run, and the write says why (R0042).
#[test]
fn a_record_too_deep_to_read_back_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let deep = format!(
        r#"{{"id":"a","x":{}1{}}}"#,
        "[".repeat(MAX_DEPTH + 1),
        "]".repeat(MAX_DEPTH + 1)
    );
    let dotted = format!(r#"{{"id":"b","{}":1}}"#, "a.".repeat(MAX_DEPTH + 1));
    let fine = br#"{"id":"c","s":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}"#;
    for (name, bad) in [("t.ndjson", &deep), ("t.csv", &dotted)] {
        let p = d.path().join(name);
        let mut t = open_file_target(&p, None, &["id"]).unwrap();
        let r = t
            .write(&[
                Write::Create {
                    key: "x",
                    record: bad.as_bytes(),
                },
                Write::Create {
                    key: "c",
                    record: fine,
                },
            ])
            .unwrap();
        assert!(
            matches!(&r[0], WriteResult::Failed { code: Code::R0042, message } if message.contains("levels deep")),
            "{name}: {r:?}"
        );
        assert_eq!(
            r[1],
            WriteResult::Done,
            "{name}: brackets in a string do not count"
        );
        t.commit().unwrap();
        let mut again = open_file_target(&p, None, &["id"]).unwrap();
        assert_eq!(again.keys().unwrap(), ["c"], "{name}");
    }
}

/// A CSV header with a column name too deep to read back is refused when
/// the file is read (R0045), not written back to fail on the next run.
#[test]
fn a_csv_header_too_deep_is_refused_on_read() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("t.csv");
    std::fs::write(&p, format!("id,{}x\n", "a.".repeat(MAX_DEPTH))).unwrap();
    let mut t = open_file_target(&p, None, &["id"]).unwrap();
    let e = t.keys().unwrap_err().to_string();
    assert!(
        e.contains(Code::R0045.as_str()) && e.contains("dotted parts"),
        "{e}"
    );
}

#[test]
fn appends_only_commit_the_spill_itself_and_leave_no_temp_file() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("t.ndjson");
    // An existing file with a BOM, CRLF and a blank line: read as records,
    // written back as plain NDJSON lines, as a rewrite would.
    std::fs::write(
        &p,
        "\u{feff}{\"id\":\"a\", \"n\":1}\r\n\r\n{\"id\":\"b\"}\r\n",
    )
    .unwrap();
    let mut t = open(d.path(), "t.ndjson");
    t.write(&[Write::Create {
        key: "c",
        record: br#"{"id":"c","s":"\n"}"#,
    }])
    .unwrap();
    assert!(t.linear, "only appends: the spill is the file");
    t.commit().unwrap();
    assert_eq!(
        std::fs::read_to_string(&p).unwrap(),
        "{\"id\":\"a\", \"n\":1}\n{\"id\":\"b\"}\n{\"id\":\"c\",\"s\":\"\\n\"}\n"
    );
    let names: Vec<_> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["t.ndjson"]);
    // A replaced record ends the fast path; the rewrite keeps the order.
    let mut t = open(d.path(), "t.ndjson");
    t.write(&[Write::Update {
        key: "a",
        patch: br#"{"n":2}"#,
    }])
    .unwrap();
    assert!(!t.linear);
    t.commit().unwrap();
    assert_eq!(
        std::fs::read_to_string(&p).unwrap(),
        "{\"id\":\"a\",\"n\":2}\n{\"id\":\"b\"}\n{\"id\":\"c\",\"s\":\"\\n\"}\n"
    );
}

proptest! {
    #[test]
    fn marks_are_a_plain_count(bytes in proptest::collection::vec(prop_oneof![Just(b'{'), Just(b'['), Just(b'.'), any::<u8>()], 0..1200), csv in any::<bool>()) {
        let naive = bytes.iter().filter(|&&b| b == b'{' || b == b'[' || (csv && b == b'.')).count();
        prop_assert_eq!(marks(&bytes, csv), naive);
    }
}

/// Spill and temp files of killed runs are removed when a table is next
/// committed, also with nothing to write; those of a live process and other files are kept.
#[cfg(unix)]
#[test]
fn leftovers_of_killed_runs_are_removed() {
    let d = tempfile::tempdir().unwrap();
    // A pid no process has (above Linux's pid_max), and this process's parent,
    // which is alive.
    let gone = d.path().join(".t.ndjson.mapc-spill-4294967290");
    let gone_new = d.path().join(".t.ndjson.mapc-new-4294967291");
    let live = d.path().join(format!(
        ".t.ndjson.mapc-spill-{}",
        std::os::unix::process::parent_id()
    ));
    let other = d.path().join(".u.ndjson.mapc-spill-4294967290");
    let odd = d.path().join(".t.ndjson.mapc-spill-x");
    for f in [&gone, &gone_new, &live, &other, &odd] {
        std::fs::write(f, "{\"id\":\"half").unwrap();
    }
    let mut t = open(d.path(), "t.ndjson");
    t.write(&[Write::Create {
        key: "a",
        record: br#"{"id":"a"}"#,
    }])
    .unwrap();
    t.commit().unwrap();
    assert!(
        !gone.exists() && !gone_new.exists(),
        "the dead run's files go"
    );
    if Path::new("/proc/self").exists() {
        assert!(live.exists() && other.exists() && odd.exists());
    }
}

/// A CSV cell keeps no type: text that reads back as a number, an empty
/// text that reads back as null, and a column a record does not have, are
/// no change; another value is.
#[test]
fn a_csv_update_that_reads_back_the_same_is_no_change() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("t.csv");
    std::fs::write(&p, "id,n,note,extra\na,1.10,,x\n").unwrap();
    let mut t = open_file_target(&p, None, &["id"]).unwrap();
    assert!(!t.changes("a", br#"{"n":"1.10"}"#).unwrap());
    assert!(!t.changes("a", br#"{"n":1.10,"note":""}"#).unwrap());
    assert!(!t.changes("a", br#"{"note":null}"#).unwrap());
    assert!(
        t.changes("a", br#"{"n":"1.1"}"#).unwrap(),
        "1.1 is another cell"
    );
    assert!(t.changes("a", r#"{"note":"é"}"#.as_bytes()).unwrap());
    assert!(t.changes("a", br#"{"new":1}"#).unwrap(), "a new column");
    assert!(t.changes("b", br#"{"n":1}"#).unwrap(), "no such record");
    // Other formats keep types: every update is a change.
    let p = d.path().join("t.ndjson");
    std::fs::write(&p, "{\"id\":\"a\",\"n\":1.10}\n").unwrap();
    let mut t = open_file_target(&p, None, &["id"]).unwrap();
    assert!(t.changes("a", br#"{"n":"1.10"}"#).unwrap());
}
