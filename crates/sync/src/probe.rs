//! Reads one value out of a record's JSON without building the rest: the
//! `changed_since` timestamp of every source record and the key of every
//! mapped record are read this way, so a run costs little more than a
//! preview.

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;
use std::fmt;

/// The value at `path` in the JSON object `json`; `Ok(None)` when a member on
/// the way is absent or not an object.
///
/// The read stops at the value: the rest of the record is not scanned (the
/// engine, which reads every record whole, reports a record broken after
/// it). Most keys and timestamps come first, so this saves most of a scan.
pub fn probe(json: &[u8], path: &[String]) -> Result<Option<Value>, String> {
    let mut de = serde_json::Deserializer::from_slice(json);
    let found = std::cell::RefCell::new(None);
    match (Seek {
        path,
        found: &found,
    })
    .deserialize(&mut de)
    {
        Ok(v) => Ok(v),
        Err(e) => match found.into_inner() {
            Some(answer) => Ok(answer),
            None => Err(e.to_string()),
        },
    }
}

/// A path step. `found` receives the answer once the first segment's
/// member is read (the value, or `None` when the rest of the path does not
/// reach into it), and the read then stops with an error that `probe`
/// turns back into the answer.
struct Seek<'p, 'f> {
    path: &'p [String],
    found: &'f std::cell::RefCell<Option<Option<Value>>>,
}

const STOP: &str = "found";

impl<'de> DeserializeSeed<'de> for Seek<'_, '_> {
    type Value = Option<Value>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Value>, D::Error> {
        match self.path.split_first() {
            None => serde::Deserialize::deserialize(d).map(Some),
            Some(_) => d.deserialize_any(self),
        }
    }
}

impl<'de> Visitor<'de> for Seek<'_, '_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<Value>, A::Error> {
        let Some((first, rest)) = self.path.split_first() else {
            return Ok(None);
        };
        while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if *k == **first {
                let v = map.next_value_seed(Seek {
                    path: rest,
                    found: self.found,
                })?;
                // A repeated member: the first counts (the engine rejects
                // such records as ambiguous anyway). An inner level that
                // already stopped has set the answer; keep it.
                // The value must end where the JSON says it ends: a number
                // cut off by the end of a truncated record (`"n":12` of
                // `"n":123}`) would read as another number. What follows
                // it, `,` and a member name or `}`, proves the end.
                map.next_key::<IgnoredAny>()?;
                self.found.borrow_mut().get_or_insert(v);
                return Err(serde::de::Error::custom(STOP));
            }
            map.next_value::<IgnoredAny>()?;
        }
        Ok(None)
    }

    // Any other value on the way: the path does not reach into it.
    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> Result<Option<Value>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Option<Value>, E> {
        Ok(None)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Option<Value>, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Option<Value>, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Option<Value>, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Option<Value>, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Option<Value>, E> {
        Ok(None)
    }
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
