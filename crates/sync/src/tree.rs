//! Exact JSON trees for the diff: values read with their number text kept
//! (`arbitrary_precision`), compared as the values they mean (`1.10` equals
//! `1.1`), and addressed by dotted target paths.

use rust_decimal::Decimal;
use serde_json::{Map, Value};

/// A path of object member names from the record's root.
pub type Path = Vec<String>;

pub fn dotted(path: &[String]) -> String {
    path.join(".")
}

/// Reads one JSON document exactly.
pub fn parse(bytes: &[u8]) -> Result<Value, String> {
    serde_json::from_slice(bytes).map_err(|e| e.to_string())
}

/// The value at `path`, `None` when a member on the way is absent (or not an
/// object).
pub fn get<'v>(v: &'v Value, path: &[String]) -> Option<&'v Value> {
    let mut cur = v;
    for seg in path {
        cur = cur.as_object()?.get(seg)?;
    }
    Some(cur)
}

/// Sets `path` to `value`, creating objects on the way (a non-object in the
/// way is replaced by an object: the patch says the path is an object now).
pub fn set(v: &mut Value, path: &[String], value: Value) {
    let Some((last, init)) = path.split_last() else {
        *v = value;
        return;
    };
    let mut cur = v;
    for seg in init {
        if !cur.is_object() {
            *cur = Value::Object(Map::new());
        }
        let Value::Object(m) = cur else { return };
        cur = m
            .entry(seg.clone())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    if !cur.is_object() {
        *cur = Value::Object(Map::new());
    }
    if let Value::Object(m) = cur {
        m.insert(last.clone(), value);
    }
}

/// Whether two values mean the same: numbers by their decimal value (text
/// compared when a number is beyond a decimal), objects regardless of
/// member order.
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.to_string(), y.to_string());
            if x == y {
                return true;
            }
            match (decimal(&x), decimal(&y)) {
                (Some(x), Some(y)) => x == y,
                _ => false,
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, a)| y.get(k).is_some_and(|b| same(a, b)))
        }
        _ => a == b,
    }
}

fn decimal(text: &str) -> Option<Decimal> {
    // mapc's one number reader: exact or nothing, so a value beyond 28
    // digits is compared by its text rather than rounded into equality
    // with a neighbour.
    mapc_value::number::parse_decimal(text.as_bytes(), false).ok()
}

/// Compact JSON text of a value (numbers as read).
pub fn text(v: &Value) -> String {
    v.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Path {
        s.split('.').map(String::from).collect()
    }

    #[test]
    fn numbers_compare_by_value_and_keep_their_text() {
        let a = parse(br#"{"x": 1.10}"#).unwrap();
        let b = parse(br#"{"x": 1.1}"#).unwrap();
        assert!(same(&a, &b));
        assert_eq!(text(&a), r#"{"x":1.10}"#);
        let c = parse(br#"{"x": 1.100000000000000000000000000001}"#).unwrap();
        assert!(!same(&a, &c));
        let big = parse(br#"[123456789012345678901234567890123]"#).unwrap();
        let big2 = parse(br#"[123456789012345678901234567890124]"#).unwrap();
        assert!(!same(&big, &big2));
        assert!(same(&big, &big.clone()));
    }

    #[test]
    fn member_order_does_not_matter_but_null_and_absent_differ() {
        let a = parse(br#"{"a": 1, "b": {"c": null}}"#).unwrap();
        let b = parse(br#"{"b": {"c": null}, "a": 1}"#).unwrap();
        assert!(same(&a, &b));
        let c = parse(br#"{"b": {}, "a": 1}"#).unwrap();
        assert!(!same(&a, &c));
    }

    #[test]
    fn get_and_set_by_path() {
        let mut v = parse(br#"{"a": {"b": 1}, "s": "x"}"#).unwrap();
        assert_eq!(get(&v, &p("a.b")).unwrap(), &Value::from(1));
        assert!(get(&v, &p("a.c")).is_none());
        assert!(get(&v, &p("s.t")).is_none());
        set(&mut v, &p("a.c.d"), Value::from("é"));
        set(&mut v, &p("s.t"), Value::Null);
        assert_eq!(text(&v), r#"{"a":{"b":1,"c":{"d":"é"}},"s":{"t":null}}"#);
    }
}
