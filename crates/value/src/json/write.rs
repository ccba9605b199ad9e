//! JSON output straight into a byte buffer.
//!
//! Numbers are written as their decimal text with the scale they have
//! (`45.10` stays `45.10`), strings are escaped per RFC 8259 (non-ASCII is
//! written as UTF-8, not `\u` escapes), dates as `YYYY-MM-DD` strings and
//! date-times as RFC 3339 UTC strings.

use super::scan::{self, find_special, skip_ws};
use crate::value::{write_date, write_datetime, write_decimal, Value};

/// Writes `s` as a JSON string literal. Runs of plain bytes are copied in one
/// go; only `"`, `\` and control characters are escaped.
#[inline]
pub fn write_str(s: &str, out: &mut Vec<u8>) {
    let b = s.as_bytes();
    out.push(b'"');
    let mut start = 0;
    loop {
        let i = find_special(b, start);
        out.extend_from_slice(&b[start..i]);
        if i >= b.len() {
            break;
        }
        match b[i] {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            c => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(c >> 4)]);
                out.push(HEX[usize::from(c & 15)]);
            }
        }
        start = i + 1;
    }
    out.push(b'"');
}

/// Writes a value; `Absent` is written as `null` (callers that must leave a
/// key out check for it before writing the key).
pub fn write_value(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Absent | Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Num(d) => write_decimal(d, out),
        Value::Str(s) => write_str(s, out),
        Value::Date(d) => {
            out.push(b'"');
            write_date(*d, out);
            out.push(b'"');
        }
        Value::DateTime(t) => {
            out.push(b'"');
            write_datetime(*t, out);
            out.push(b'"');
        }
        Value::List(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, out);
            }
            out.push(b']');
        }
        Value::Obj(entries) => {
            out.push(b'{');
            let mut first = true;
            for (k, v) in entries {
                if matches!(v, Value::Absent) {
                    continue;
                }
                if !first {
                    out.push(b',');
                }
                first = false;
                write_str(k, out);
                out.push(b':');
                write_value(v, out);
            }
            out.push(b'}');
        }
    }
}

pub fn to_string(v: &Value) -> String {
    let mut out = Vec::new();
    write_value(v, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// Re-indents compact (or any valid) JSON with two spaces, `"key": value`
/// and empty containers as `[]`/`{}`. `indent` is the starting level.
pub fn pretty(json: &[u8], indent: usize, out: &mut Vec<u8>) {
    let mut level = indent;
    let mut i = 0;
    let b = json;
    let nl = |out: &mut Vec<u8>, level: usize| {
        out.push(b'\n');
        for _ in 0..level {
            out.extend_from_slice(b"  ");
        }
    };
    while i < b.len() {
        let c = b[i];
        match c {
            b'"' => {
                let end = scan::scan_string(b, i + 1).map_or(b.len(), |(e, _)| e + 1);
                out.extend_from_slice(&b[i..end]);
                i = end;
                continue;
            }
            b'{' | b'[' => {
                let j = skip_ws(b, i + 1);
                let close = if c == b'{' { b'}' } else { b']' };
                if b.get(j) == Some(&close) {
                    out.push(c);
                    out.push(close);
                    i = j + 1;
                    continue;
                }
                out.push(c);
                level += 1;
                nl(out, level);
            }
            b'}' | b']' => {
                level = level.saturating_sub(1);
                nl(out, level);
                out.push(c);
            }
            b',' => {
                out.push(b',');
                nl(out, level);
            }
            b':' => out.extend_from_slice(b": "),
            b' ' | b'\n' | b'\r' | b'\t' => {}
            _ => out.push(c),
        }
        i += 1;
    }
}

/// The top-level `(key, raw value)` pairs of a compact JSON object, for the
/// table view. Invalid input gives what could be read.
pub fn top_level_entries(json: &[u8]) -> Vec<(String, &[u8])> {
    let mut out = Vec::new();
    let b = json;
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return out;
    }
    i = skip_ws(b, i + 1);
    while b.get(i) == Some(&b'"') {
        let Ok((end, esc)) = scan::scan_string(b, i + 1) else {
            break;
        };
        let raw = std::str::from_utf8(&b[i + 1..end]).unwrap_or("");
        let key = if esc {
            scan::unescape(raw, 0).unwrap_or_default()
        } else {
            raw.to_string()
        };
        i = skip_ws(b, end + 1);
        if b.get(i) != Some(&b':') {
            break;
        }
        i = skip_ws(b, i + 1);
        let Some(vend) = skip_any_depth(b, i) else {
            break;
        };
        out.push((key, &b[i..vend]));
        i = skip_ws(b, vend);
        if b.get(i) == Some(&b',') {
            i = skip_ws(b, i + 1);
        } else {
            break;
        }
    }
    out
}

/// Skips one value of JSON that mapc wrote itself, however deeply nested:
/// a target record nests its target path on top of values that may already
/// be 127 levels deep, so the input limit of [`scan::MAX_DEPTH`] does not
/// apply (a table would otherwise blank the cells after such a value).
/// Iterative, so the depth costs no stack.
fn skip_any_depth(b: &[u8], i: usize) -> Option<usize> {
    if !matches!(b.get(i), Some(b'{' | b'[')) {
        return scan::skip_value(b, i, 0).ok();
    }
    let mut depth = 0usize;
    let mut j = i;
    while j < b.len() {
        match b[j] {
            b'"' => {
                j = scan::scan_string(b, j + 1).ok()?.0 + 1;
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(j + 1);
                }
            }
            _ => {}
        }
        j += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_level_entries_of_values_deeper_than_the_input_limit() {
        let deep = format!("{}\"]\"{}", "[{\"k\":".repeat(150), "}]".repeat(150));
        let rec = format!("{{\"a\":1,\"d\":{deep},\"b\":\"x\"}}");
        let e = top_level_entries(rec.as_bytes());
        let keys: Vec<&str> = e.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["a", "d", "b"]);
        assert_eq!(e[1].1, deep.as_bytes());
        assert_eq!(e[2].1, b"\"x\"");
    }

    #[test]
    fn escapes_strings() {
        let mut out = Vec::new();
        write_str("a\"b\\c\nd\u{1}é", &mut out);
        assert_eq!(String::from_utf8(out).unwrap(), r#""a\"b\\c\nd\u0001é""#);
    }

    #[test]
    fn pretty_prints() {
        let mut out = Vec::new();
        pretty(br#"{"a":[1,{"b":"x,y:z"}],"c":{},"d":[]}"#, 0, &mut out);
        let s = String::from_utf8(out).unwrap();
        assert_eq!(
            s,
            "{\n  \"a\": [\n    1,\n    {\n      \"b\": \"x,y:z\"\n    }\n  ],\n  \"c\": {},\n  \"d\": []\n}"
        );
    }

    #[test]
    fn splits_top_level() {
        let e = top_level_entries(br#"{"a":1,"b":{"c":[1,2]},"d":"x"}"#);
        let keys: Vec<_> = e
            .iter()
            .map(|(k, v)| (k.as_str(), std::str::from_utf8(v).unwrap()))
            .collect();
        assert_eq!(
            keys,
            vec![("a", "1"), ("b", r#"{"c":[1,2]}"#), ("d", r#""x""#)]
        );
    }
}
