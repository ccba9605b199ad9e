//! Applying an update to a record's text: the members the patch names are
//! replaced (objects on both sides merged member by member, `null` sets
//! null, as an OData PATCH does), every other member keeps its text and its
//! place, and new members go at the end.

use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::Value;
use std::fmt;

/// An object's members in their order, each as its JSON text.
pub type Members = Vec<(String, Box<RawValue>)>;

/// Reads a JSON object keeping member order and member text.
pub fn members(text: &str) -> Result<Members, String> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Members;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Members, A::Error> {
            let mut out = Vec::new();
            while let Some(k) = m.next_key::<String>()? {
                let v: Box<RawValue> = m.next_value()?;
                out.push((k, v));
            }
            Ok(out)
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let m = de.deserialize_map(V).map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(m)
}

/// Writes members back as compact object text.
pub fn write(members: &Members) -> String {
    let mut out = String::from("{");
    for (i, (k, v)) in members.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&serde_json::to_string(k).unwrap_or_default());
        out.push(':');
        out.push_str(v.get());
    }
    out.push('}');
    out
}

/// `record` with `patch` applied.
pub fn apply(record: &str, patch: &Value) -> Result<String, String> {
    let Value::Object(p) = patch else {
        // A whole-record replacement.
        return Ok(patch.to_string());
    };
    let mut m = members(record)?;
    for (k, pv) in p {
        let new_text = match (m.iter().find(|(mk, _)| mk == k), pv) {
            (Some((_, old)), Value::Object(_)) if old.get().trim_start().starts_with('{') => {
                apply(old.get(), pv)?
            }
            _ => pv.to_string(),
        };
        let raw = RawValue::from_string(new_text).map_err(|e| e.to_string())?;
        match m.iter_mut().find(|(mk, _)| mk == k) {
            Some(slot) => slot.1 = raw,
            None => m.push((k.clone(), raw)),
        }
    }
    Ok(write(&m))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Value {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn keeps_order_and_number_text() {
        let r = r#"{"z":1.10,"a":{"y":"é","b":2},"n":null}"#;
        assert_eq!(
            apply(r, &v(r#"{"a":{"b":3}}"#)).unwrap(),
            r#"{"z":1.10,"a":{"y":"é","b":3},"n":null}"#
        );
        assert_eq!(
            apply(r, &v(r#"{"z":null,"new":[1]}"#)).unwrap(),
            r#"{"z":null,"a":{"y":"é","b":2},"n":null,"new":[1]}"#
        );
        assert_eq!(
            apply(r, &v(r#"{"n":{"x":1.50}}"#)).unwrap(),
            r#"{"z":1.10,"a":{"y":"é","b":2},"n":{"x":1.50}}"#
        );
        assert_eq!(
            apply(r, &v("{}")).unwrap(),
            r#"{"z":1.10,"a":{"y":"é","b":2},"n":null}"#
        );
    }

    #[test]
    fn refuses_what_is_not_an_object() {
        assert!(apply("[1]", &v(r#"{"a":1}"#)).is_err());
        assert!(apply(r#"{"a":1} x"#, &v(r#"{"a":1}"#)).is_err());
    }
}
