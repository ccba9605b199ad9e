//! Reads one value out of a record's JSON without building the rest: the
//! `changed_since` timestamp of every source record and the key of every
//! mapped record are read this way, so a run costs little more than a
//! preview.

use serde_json::Value;

/// The value at `path` in the JSON object `json`; `Ok(None)` when a member on
/// the way is absent or not an object.
///
/// The read stops at the value: the rest of the record is not scanned (the
/// engine, which reads every record whole, reports a record broken after
/// it). Members before it are skipped with the engine's JSON scanner
/// (what a run pays on every source and every mapped record), and only the
/// value found is parsed.
pub fn probe(json: &[u8], path: &[String]) -> Result<Option<Value>, String> {
    use mapc_value::json::scan::{scan_string, skip_value, skip_ws, unescape};
    let bad = |e: mapc_value::json::scan::SyntaxError| format!("{} at byte {}", e.msg, e.pos);
    let mut i = skip_ws(json, 0);
    for (n, seg) in path.iter().enumerate() {
        if json.get(i) != Some(&b'{') {
            // Any other value on the way: the path does not reach into it.
            skip_value(json, i, n).map_err(bad)?;
            return Ok(None);
        }
        i += 1;
        let depth = n + 1;
        loop {
            i = skip_ws(json, i);
            match json.get(i) {
                Some(b'}') => return Ok(None),
                Some(b'"') => {}
                _ => return Err(format!("expected a member name at byte {i}")),
            }
            let (end, escaped) = scan_string(json, i + 1).map_err(bad)?;
            let raw = &json[i + 1..end];
            let same = if escaped {
                let text = std::str::from_utf8(raw)
                    .map_err(|_| format!("a member name is not UTF-8 at byte {i}"))?;
                unescape(text, i + 1).map_err(bad)? == *seg
            } else {
                raw == seg.as_bytes()
            };
            i = skip_ws(json, end + 1);
            if json.get(i) != Some(&b':') {
                return Err(format!("expected `:` at byte {i}"));
            }
            i = skip_ws(json, i + 1);
            if same {
                if n + 1 < path.len() {
                    // Into the member's value (the first of a repeated
                    // member counts; the engine rejects such records).
                    break;
                }
                let start = i;
                let end = skip_value(json, i, depth).map_err(bad)?;
                // The value must end where the JSON says it ends: a number
                // cut off by the end of a truncated record (`"n":12` of
                // `"n":123}`) would read as another number. What follows
                // it, `}` or `,` and the next member's name, proves the end.
                let after = skip_ws(json, end);
                let proven = match json.get(after) {
                    Some(b'}') => true,
                    Some(b',') => json.get(skip_ws(json, after + 1)) == Some(&b'"'),
                    _ => false,
                };
                if !proven {
                    return Err(format!("the record ends or breaks after byte {end}"));
                }
                return serde_json::from_slice(&json[start..end])
                    .map(Some)
                    .map_err(|e| e.to_string());
            }
            i = skip_ws(json, skip_value(json, i, depth).map_err(bad)?);
            match json.get(i) {
                Some(b',') => i += 1,
                Some(b'}') => return Ok(None),
                _ => return Err(format!("expected `,` or `}}` at byte {i}")),
            }
        }
    }
    // An empty path: the whole record.
    serde_json::from_slice(json)
        .map(Some)
        .map_err(|e| e.to_string())
}

pub use mapc_connect::key_text;

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Vec<String> {
        s.split('.').map(String::from).collect()
    }

    #[test]
    fn finds_nested_members_and_skips_the_rest() {
        let j = br#"{"a":[1,{"x":2}],"b":{"c":"\u00e9","d":1.50},"e":null}"#;
        assert_eq!(probe(j, &p("b.c")).unwrap(), Some(Value::from("é")));
        assert_eq!(probe(j, &p("b.d")).unwrap().unwrap().to_string(), "1.50");
        assert_eq!(probe(j, &p("e")).unwrap(), Some(Value::Null));
        assert_eq!(probe(j, &p("a.x")).unwrap(), None);
        assert_eq!(probe(j, &p("z")).unwrap(), None);
        assert_eq!(probe(j, &p("b.c.d")).unwrap(), None);
        assert!(probe(br#"{"a":"#, &p("a")).is_err());
        assert!(probe(br#"{"a":1,"b":"#, &p("z")).is_err());
    }

    #[test]
    fn stops_at_the_value() {
        // What follows the value is not read.
        let j = br#"{"id":"k1","b":{"c":2},"rest":[tru"#;
        assert_eq!(probe(j, &p("id")).unwrap(), Some(Value::from("k1")));
        assert_eq!(probe(j, &p("b.c")).unwrap().unwrap().to_string(), "2");
        assert!(probe(j, &p("rest")).is_err());
        // A null found is a value too.
        assert_eq!(
            probe(br#"{"a":null,"b""#, &p("a")).unwrap(),
            Some(Value::Null)
        );
        // A number at the end of a cut record is not taken for the value.
        assert!(probe(br#"{"a":12"#, &p("a")).is_err());
        assert!(probe(br#"{"a":12,"#, &p("a")).is_err());
        // A path that does not reach into the member found: None, at once.
        assert_eq!(probe(br#"{"a":3,"x":[tru"#, &p("a.b")).unwrap(), None);
        // A repeated member: the first counts.
        assert_eq!(
            probe(br#"{"a":1,"a":2}"#, &p("a")).unwrap(),
            Some(Value::from(1))
        );
    }

    #[test]
    fn escaped_member_names_match() {
        let j = br#"{"mod\u0069fiedon":"2026-11-20T10:00:00Z"}"#;
        assert_eq!(
            probe(j, &p("modifiedon")).unwrap(),
            Some(Value::from("2026-11-20T10:00:00Z"))
        );
    }

    fn json() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            "-?(0|[1-9][0-9]{0,19})(\\.[0-9]{1,20})?"
                .prop_map(|n| serde_json::from_str(&n).unwrap()),
            "[a-cé\"\\\\\u{1F600}\r\n]{0,6}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 40, 5, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                proptest::collection::btree_map("[a-c]{1,2}", inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        /// Stopping early changes no answer: on every valid object the probe
        /// equals a full parse, for paths that reach, miss, or pass a scalar.
        #[test]
        fn probe_equals_a_full_parse(v in json(), path in proptest::collection::vec("[a-c]{1,2}", 1..4)) {
            let text = serde_json::to_vec(&serde_json::json!({"pre": 1, "o": v, "post": [1]})).unwrap();
            let mut full_path = vec!["o".to_string()];
            full_path.extend(path);
            let full: Value = serde_json::from_slice(&text).unwrap();
            let want = full_path
                .iter()
                .try_fold(&full, |cur, seg| cur.as_object()?.get(seg))
                .cloned();
            proptest::prop_assert_eq!(probe(&text, &full_path).unwrap(), want.clone());
            // A record cut short: the probe either reads the same value
            // (it came before the cut) or reports, never another value.
            for cut in [text.len() / 3, text.len() / 2, text.len() - 1] {
                if let Ok(Some(got)) = probe(&text[..cut], &full_path) {
                    proptest::prop_assert_eq!(Some(got), want.clone());
                }
            }
        }
    }
}
