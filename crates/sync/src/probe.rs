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
        Err(_) if found.borrow().is_some() => Ok(found.into_inner()),
        Err(e) => Err(e.to_string()),
    }
}

/// A path step; `found` receives the value once seen, and the read then
/// stops with an error that `probe` turns back into the value.
#[derive(Clone, Copy)]
struct Seek<'p, 'f> {
    path: &'p [String],
    found: &'f std::cell::RefCell<Option<Value>>,
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
                // JSON objects with a repeated member: the first counts,
                // as before (the engine rejects such records anyway).
                return match v {
                    Some(v) => {
                        *self.found.borrow_mut() = Some(v);
                        Err(serde::de::Error::custom(STOP))
                    }
                    None => {
                        while map.next_key::<IgnoredAny>()?.is_some() {
                            map.next_value::<IgnoredAny>()?;
                        }
                        Ok(None)
                    }
                };
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
        assert_eq!(probe(br#"{"a":null,"#, &p("a")).unwrap(), Some(Value::Null));
    }

    #[test]
    fn escaped_member_names_match() {
        let j = br#"{"mod\u0069fiedon":"2026-11-20T10:00:00Z"}"#;
        assert_eq!(
            probe(j, &p("modifiedon")).unwrap(),
            Some(Value::from("2026-11-20T10:00:00Z"))
        );
    }
}
