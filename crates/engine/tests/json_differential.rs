//! Differential test of mapc's own JSON parser and writer against
//! `serde_json` (with `arbitrary_precision`, so numbers keep their text).
//!
//! A deterministic generator (fixed seed, no dependency) writes a few
//! thousand random JSON documents: nested objects and lists, duplicate keys,
//! strings with every escape (`\uXXXX` in both cases, surrogate pairs),
//! raw non-ASCII and astral characters, numbers with many digits and
//! exponents, and random whitespace between tokens. Then:
//!
//! * every valid document: serde_json accepts it; mapc accepts it and reads
//!   equal values (compared canonicalized: keys sorted, numbers by value),
//!   unless a number cannot be held as an exact decimal; what mapc writes
//!   reads back (with serde_json) as the same values;
//! * every document with random bytes corrupted: where serde_json rejects
//!   it, mapc rejects it too (the full parser, the projecting record parser
//!   with its skipping scanner, and the engine end to end), never panics;
//!   where serde_json accepts it, mapc reads the same values.
//!
//! Deliberate differences, asserted as such:
//! * numbers: mapc holds exact decimals (96-bit mantissa, at most 28
//!   decimal places). A number that is not exactly representable is
//!   rejected (R0002); serde_json accepts any number. A representable value
//!   is accepted however its text is written (`1.000…0` with 40 zeros is 1,
//!   `1.5e3` is 1500).
//! * duplicate keys: serde_json keeps the last value; mapc refuses a
//!   record with a key twice in one object (R0021: Dataverse never sends
//!   one, and which value is meant cannot be told), wherever the mapping
//!   reads: in every object the full parser reads, and in the objects the
//!   record parser projects (a repeated key the mapping never reads is
//!   skipped unread, like everything else it does not read). A number out
//!   of range before the repeated key is R0002 first.
//! * the record parser reads only projected keys: a number out of range in a
//!   key the mapping does not read is not an error there (it is never read),
//!   while invalid JSON anywhere still is.

use mapc_engine::Value;
use mapc_value::decimal_text;
use mapc_value::json::parse::{parse_record, parse_value, Frame, Proj};
use mapc_value::json::write::write_value;
use std::collections::BTreeMap;

// ---------------------------------------------------------------------------
// A small deterministic PRNG (SplitMix64)
// ---------------------------------------------------------------------------

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

// ---------------------------------------------------------------------------
// The generator
// ---------------------------------------------------------------------------

struct Gen {
    rng: Rng,
}

const KEYS: &[&str] = &[
    "a", "b", "c", "ab", "id", "é", "日本", "x y", "", "a\"q", "k\\", "😀",
];

impl Gen {
    fn ws(&mut self, out: &mut String) {
        if self.rng.chance(60) {
            return;
        }
        for _ in 0..=self.rng.below(3) {
            out.push(*self.rng.pick(&[' ', '\n', '\t', '\r', ' ']));
        }
    }

    fn digits(&mut self, n: usize, out: &mut String, nonzero_first: bool) {
        for k in 0..n {
            let d = if k == 0 && nonzero_first {
                1 + self.rng.below(9)
            } else {
                self.rng.below(10)
            };
            out.push(char::from(b'0' + d as u8));
        }
    }

    /// A number; `wild` ones may not fit an exact decimal.
    fn number(&mut self, out: &mut String) {
        if self.rng.chance(50) {
            out.push('-');
        }
        let wild = self.rng.chance(15);
        let (int_max, frac_max, exp_max) = if wild { (45, 45, 400) } else { (10, 8, 8) };
        if self.rng.chance(25) {
            out.push('0');
        } else {
            let n = 1 + self.rng.below(int_max);
            self.digits(n, out, true);
        }
        if self.rng.chance(50) {
            out.push('.');
            let n = 1 + self.rng.below(frac_max);
            self.digits(n, out, false);
        }
        if self.rng.chance(30) {
            out.push(*self.rng.pick(&['e', 'E']));
            match self.rng.below(3) {
                0 => out.push('+'),
                1 => out.push('-'),
                _ => {}
            }
            let e = self.rng.below(exp_max + 1);
            if self.rng.chance(10) {
                out.push('0'); // leading zeros are allowed in exponents
            }
            out.push_str(&e.to_string());
        }
    }

    fn string(&mut self, out: &mut String) {
        out.push('"');
        for _ in 0..self.rng.below(12) {
            match self.rng.below(14) {
                0..=3 => out.push(char::from(b'a' + self.rng.below(26) as u8)),
                4 => out.push(
                    *self
                        .rng
                        .pick(&[' ', '/', '\'', '\u{7f}', ',', ':', '{', ']']),
                ),
                5 => out.push(
                    *self
                        .rng
                        .pick(&['é', 'ü', '中', 'ß', '\u{2028}', '\u{feff}']),
                ),
                6 => out.push(*self.rng.pick(&['😀', '𝄞', '\u{10FFFF}'])),
                7 => out.push_str(
                    self.rng
                        .pick::<&str>(&["\\n", "\\t", "\\b", "\\f", "\\r", "\\/", "\\\"", "\\\\"]),
                ),
                8 => {
                    // A BMP escape that is not a surrogate, any case.
                    let cp = loop {
                        let c = self.rng.below(0x1_0000) as u32;
                        if !(0xD800..0xE000).contains(&c) {
                            break c;
                        }
                    };
                    let hex = format!("{cp:04x}");
                    out.push_str("\\u");
                    out.push_str(&if self.rng.chance(50) {
                        hex.to_uppercase()
                    } else {
                        hex
                    });
                }
                9 => {
                    // A surrogate pair for an astral character.
                    let cp = 0x1_0000 + self.rng.below(0x10_0000) as u32;
                    let v = cp - 0x1_0000;
                    let (hi, lo) = (0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF));
                    out.push_str(&format!("\\u{hi:04x}\\u{lo:04X}"));
                }
                10 => out.push_str(&format!("\\u{:04x}", self.rng.below(0x20))),
                _ => out.push(char::from(b'A' + self.rng.below(26) as u8)),
            }
        }
        out.push('"');
    }

    fn key(&mut self, out: &mut String) {
        if self.rng.chance(20) {
            self.string(out);
        } else {
            let mut k = String::new();
            crate_write_str(self.rng.pick::<&str>(KEYS), &mut k);
            out.push_str(&k);
        }
    }

    fn value(&mut self, depth: usize, out: &mut String) {
        let container = depth < 5 && self.rng.chance(if depth == 0 { 100 } else { 35 });
        if container && self.rng.chance(if depth == 0 { 75 } else { 50 }) {
            out.push('{');
            self.ws(out);
            let n = self.rng.below(6);
            for k in 0..n {
                if k > 0 {
                    out.push(',');
                    self.ws(out);
                }
                self.key(out);
                self.ws(out);
                out.push(':');
                self.ws(out);
                self.value(depth + 1, out);
                self.ws(out);
            }
            out.push('}');
        } else if container {
            out.push('[');
            self.ws(out);
            let n = self.rng.below(6);
            for k in 0..n {
                if k > 0 {
                    out.push(',');
                    self.ws(out);
                }
                self.value(depth + 1, out);
                self.ws(out);
            }
            out.push(']');
        } else {
            match self.rng.below(8) {
                0 => out.push_str("null"),
                1 => out.push_str("true"),
                2 => out.push_str("false"),
                3..=5 => self.number(out),
                _ => self.string(out),
            }
        }
    }

    fn document(&mut self) -> String {
        let mut out = String::new();
        self.ws(&mut out);
        self.value(0, &mut out);
        self.ws(&mut out);
        out
    }

    fn corrupt(&mut self, doc: &str) -> Vec<u8> {
        const BYTES: &[u8] = &[
            b'"', b'\\', b'{', b'}', b'[', b']', b',', b':', b'0', b'9', b'-', b'+', b'e', b'.',
            b' ', b'\n', b'u', b't', b'n', b'd', 0x00, 0x1f, 0x7f, 0xff, 0xc3, 0xed, 0xa0,
        ];
        let mut b = doc.as_bytes().to_vec();
        for _ in 0..=self.rng.below(3) {
            if b.is_empty() {
                b.push(*self.rng.pick(BYTES));
                continue;
            }
            let i = self.rng.below(b.len());
            match self.rng.below(5) {
                0 => {
                    b.remove(i);
                }
                1 => b.insert(i, *self.rng.pick(BYTES)),
                2 => b[i] = *self.rng.pick(BYTES),
                3 => b.truncate(i),
                _ => {
                    let j = (i + 1 + self.rng.below(8)).min(b.len());
                    let part = b[i..j].to_vec();
                    b.splice(i..i, part);
                }
            }
        }
        b
    }
}

/// Keys go through mapc's writer, so the generator's key pool is written
/// correctly escaped whatever it holds.
fn crate_write_str(s: &str, out: &mut String) {
    let mut b = Vec::new();
    mapc_value::json::write::write_str(s, &mut b);
    out.push_str(&String::from_utf8(b).expect("utf-8"));
}

// ---------------------------------------------------------------------------
// Canonical values
// ---------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq)]
enum Canon {
    Null,
    Bool(bool),
    /// `[-]DIGITSeEXP` with no leading or trailing zeros; `0` for zero.
    Num(String),
    Str(String),
    List(Vec<Canon>),
    Obj(BTreeMap<String, Canon>),
}

/// A number text in canonical form (by value: `1.50`, `15e-1` and `1.5`
/// agree; `-0` is `0`).
fn canon_num(t: &str) -> String {
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (mant, exp) = match t.find(['e', 'E']) {
        Some(k) => (&t[..k], &t[k + 1..]),
        None => (t, "0"),
    };
    let mut e: i128 = 0;
    let (eneg, edigits) = match exp.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, exp.strip_prefix('+').unwrap_or(exp)),
    };
    for c in edigits.bytes() {
        e = (e * 10 + i128::from(c - b'0')).min(i128::from(i64::MAX));
    }
    if eneg {
        e = -e;
    }
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    let mut digits: String = format!("{int}{frac}");
    e -= frac.len() as i128;
    let lead = digits.len() - digits.trim_start_matches('0').len();
    digits.drain(..lead);
    if digits.is_empty() {
        return "0".into();
    }
    while digits.ends_with('0') {
        digits.pop();
        e += 1;
    }
    format!("{}{digits}e{e}", if neg { "-" } else { "" })
}

fn from_serde(v: &serde_json::Value) -> Canon {
    match v {
        serde_json::Value::Null => Canon::Null,
        serde_json::Value::Bool(b) => Canon::Bool(*b),
        serde_json::Value::Number(n) => Canon::Num(canon_num(&n.to_string())),
        serde_json::Value::String(s) => Canon::Str(s.clone()),
        serde_json::Value::Array(a) => Canon::List(a.iter().map(from_serde).collect()),
        serde_json::Value::Object(o) => {
            Canon::Obj(o.iter().map(|(k, v)| (k.clone(), from_serde(v))).collect())
        }
    }
}

fn from_mapc(v: &Value) -> Canon {
    match v {
        Value::Absent | Value::Null => Canon::Null,
        Value::Bool(b) => Canon::Bool(*b),
        Value::Num(d) => Canon::Num(canon_num(&decimal_text(d))),
        Value::Str(s) => Canon::Str(s.to_string()),
        Value::List(items) => Canon::List(items.iter().map(from_mapc).collect()),
        Value::Obj(entries) => {
            // Last value wins, as in serde_json.
            let mut m = BTreeMap::new();
            for (k, v) in entries {
                m.insert(k.to_string(), from_mapc(v));
            }
            Canon::Obj(m)
        }
        other => panic!("the JSON parser made a {other:?}"),
    }
}

/// What mapc must do with a number: `Some(true)` accept (it is exactly
/// representable, whatever its text looks like), `Some(false)` reject (not
/// representable).
fn number_verdict(text: &str) -> Option<bool> {
    const MAX: u128 = (1u128 << 96) - 1;
    let canon = canon_num(text);
    if canon == "0" {
        return Some(true);
    }
    let body = canon.trim_start_matches('-');
    let (digits, e) = body.split_once('e').expect("canonical");
    let e: i128 = e.parse().expect("exponent");
    let representable = if digits.len() > 29 {
        false
    } else {
        let d: u128 = digits.parse().expect("digits");
        if d > MAX {
            false
        } else if e >= 0 {
            e <= 29
                && d.checked_mul(10u128.pow(e as u32))
                    .is_some_and(|m| m <= MAX)
        } else {
            -e <= 28
        }
    };
    // Representable values are accepted however many digits their text
    // has (`1.000…0` with 40 zeros is 1): only trailing zeros are dropped.
    Some(representable)
}

/// The number tokens of a valid JSON text, in order (all of them, also
/// those in values a later duplicate key replaces: mapc reads those too).
fn number_tokens(text: &str) -> Vec<&str> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'-' | b'0'..=b'9' => {
                let s = i;
                while i < b.len() && matches!(b[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    i += 1;
                }
                out.push(&text[s..i]);
            }
            _ => i += 1,
        }
    }
    out
}

/// Whether some object of a valid JSON text has a key twice (compared
/// after unescaping, as JSON defines keys).
fn has_duplicate_keys(text: &str) -> bool {
    let b = text.as_bytes();
    // One entry per open bracket: the keys of an object, `None` for a list.
    let mut stack: Vec<Option<Vec<String>>> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'{' => stack.push(Some(Vec::new())),
            b'[' => stack.push(None),
            b'}' | b']' => {
                stack.pop();
            }
            b'"' => {
                let s = i;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                let token = &text[s..=i.min(b.len() - 1)];
                let mut j = i + 1;
                while j < b.len() && matches!(b[j], b' ' | b'\n' | b'\r' | b'\t') {
                    j += 1;
                }
                if b.get(j) == Some(&b':') {
                    let key: String = serde_json::from_str(token).expect("a valid key");
                    if let Some(Some(keys)) = stack.last_mut() {
                        if keys.contains(&key) {
                            return true;
                        }
                        keys.push(key);
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    false
}

/// Over all numbers of a document: must mapc accept it (`Some(true)`),
/// reject it (`Some(false)`), or may it do either (`None`)?
fn doc_verdict(text: &str) -> Option<bool> {
    let verdicts: Vec<Option<bool>> = number_tokens(text)
        .into_iter()
        .map(number_verdict)
        .collect();
    if verdicts.contains(&Some(false)) {
        Some(false)
    } else if verdicts.contains(&None) {
        None
    } else {
        Some(true)
    }
}

/// A projection that materializes every top-level key whole: the record
/// parser's view of the document, for objects.
fn all_keys(doc: &serde_json::Value) -> (Proj, Vec<String>) {
    let mut proj = Proj::default();
    let mut keys = Vec::new();
    if let serde_json::Value::Object(o) = doc {
        for (i, k) in o.keys().enumerate() {
            proj.child(k, k).whole = Some(i as u32);
            keys.push(k.clone());
        }
    }
    (proj, keys)
}

// ---------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------

const DOCS: usize = 4000;

/// Checks one document that serde_json read as `expected`.
fn agree(text: &str, expected: &serde_json::Value, stats: &mut Stats) {
    let want = doc_verdict(text);
    let dup = has_duplicate_keys(text);
    match parse_value(text) {
        Ok(_) if dup => panic!("mapc accepted a key twice in one object: {text:?}"),
        Err(e) if dup => {
            // A number out of range may come before the repeated key.
            assert!(
                e.code == "R0021" || (e.code == "R0002" && want != Some(true)),
                "mapc rejected a repeated key with {e:?}: {text:?}"
            );
            stats.duplicate += 1;
        }
        Ok(v) => {
            assert_ne!(
                want,
                Some(false),
                "mapc accepted an inexact number: {text:?}"
            );
            assert_eq!(
                from_mapc(&v),
                from_serde(expected),
                "values differ: {text:?}"
            );
            // What mapc writes reads back (with serde_json) as the same values.
            let mut out = Vec::new();
            write_value(&v, &mut out);
            let back: serde_json::Value = serde_json::from_slice(&out)
                .unwrap_or_else(|e| panic!("mapc wrote invalid JSON {out:?} ({e}) for {text:?}"));
            assert_eq!(
                from_serde(&back),
                from_serde(expected),
                "round trip: {text:?}"
            );
            stats.equal += 1;
        }
        Err(e) => {
            assert_eq!(e.code, "R0002", "mapc rejected valid JSON {text:?}: {e:?}");
            assert_ne!(
                want,
                Some(true),
                "mapc rejected an exact number: {text:?}: {e:?}"
            );
            stats.inexact += 1;
        }
    }
    // The record parser (objects only): every top-level key whole.
    if expected.is_object() {
        let (proj, keys) = all_keys(expected);
        let mut frame = Frame::new(keys.len(), &[]);
        match parse_record(text, &proj, &mut frame) {
            Ok(()) => {
                let obj = expected.as_object().expect("object");
                for (i, k) in keys.iter().enumerate() {
                    assert_eq!(
                        from_mapc(&frame.slots[i]),
                        from_serde(&obj[k]),
                        "key {k:?} of {text:?}"
                    );
                }
            }
            Err(e) if dup => assert!(
                e.code == "R0021" || (e.code == "R0002" && want != Some(true)),
                "{text:?}: {e:?}"
            ),
            Err(e) => assert_eq!(e.code, "R0002", "{text:?}: {e:?}"),
        }
        // Reading nothing: only the scanner (which does not look at keys
        // nothing reads, repeated or not); a valid document always passes.
        let mut frame = Frame::new(0, &[]);
        let r = parse_record(text, &Proj::default(), &mut frame);
        assert!(r.is_ok(), "the scanner rejected valid JSON {text:?}: {r:?}");
    }
}

#[derive(Default, Debug)]
struct Stats {
    equal: usize,
    duplicate: usize,
    inexact: usize,
    rejected_both: usize,
    accepted_both: usize,
}

#[test]
fn valid_documents_read_and_round_trip_like_serde_json() {
    let mut g = Gen {
        rng: Rng(0x6d61_7063_2d6a_736f),
    };
    let mut stats = Stats::default();
    for _ in 0..DOCS {
        let doc = g.document();
        let expected: serde_json::Value = serde_json::from_str(&doc)
            .unwrap_or_else(|e| panic!("the generator wrote invalid JSON {doc:?}: {e}"));
        agree(&doc, &expected, &mut stats);
    }
    // The corpus exercises both sides of the number rule.
    eprintln!("{stats:?}");
    assert!(stats.equal > DOCS / 2, "{stats:?}");
    assert!(stats.inexact > 0, "{stats:?}");
    assert!(stats.duplicate > 0, "{stats:?}");
}

#[test]
fn corrupted_documents_are_rejected_where_serde_json_rejects_them() {
    let mut g = Gen {
        rng: Rng(0x0bad_c0de_f00d_0001),
    };
    let mut stats = Stats::default();
    let mut engine_inputs: Vec<(Vec<u8>, bool)> = Vec::new();
    for _ in 0..DOCS {
        let doc = g.document();
        let bytes = g.corrupt(&doc);
        let serde = serde_json::from_slice::<serde_json::Value>(&bytes);
        let text = std::str::from_utf8(&bytes);
        match (&serde, text) {
            (Ok(expected), Ok(text)) => {
                agree(text, expected, &mut stats);
                stats.accepted_both += 1;
            }
            (Ok(_), Err(_)) => panic!("serde_json accepted invalid UTF-8: {bytes:?}"),
            // Not UTF-8: the engine rejects it before parsing (R0007).
            (Err(_), Err(_)) => stats.rejected_both += 1,
            (Err(e), Ok(text)) => {
                let full = parse_value(text);
                assert!(
                    full.is_err(),
                    "mapc accepted what serde_json rejects ({e}): {text:?} -> {full:?}"
                );
                let mut frame = Frame::new(0, &[]);
                let skipped = parse_record(text, &Proj::default(), &mut frame);
                if text.trim_start().starts_with('{') {
                    assert!(
                        skipped.is_err(),
                        "the scanner accepted what serde_json rejects ({e}): {text:?}"
                    );
                }
                stats.rejected_both += 1;
            }
        }
        engine_inputs.push((bytes, serde.is_ok()));
    }
    eprintln!("{stats:?}");
    assert!(stats.rejected_both > DOCS / 3, "{stats:?}");
    assert!(stats.accepted_both > 0, "{stats:?}");

    // End to end through the engine: one outcome per record, no panic, and
    // a rejection for every record serde_json rejects.
    let spec = "mapc: 1\nname: t\nconnections:\n  src: { kind: file, path: in.ndjson }\n  out: { kind: file, path: out.ndjson }\nmappings:\n  - name: m\n    source: { connection: src, entity: thing, key: id }\n    target: { connection: out, entity: other }\n    fields:\n      - { from: a, to: a }\n      - { from: b.c, to: bc }\n      - { from: ab, to: ab }\n";
    let parsed = mapc_syntax::spec::parse_str("t.mapc.yaml", spec);
    let mut diags = parsed.diagnostics;
    let program = mapc_ir::lower(&parsed.spec.expect("spec"), None, &mut diags).program;
    let c = mapc_engine::Compiled::new(
        &program,
        0,
        mapc_engine::Options::new(jiff::civil::Date::constant(2026, 11, 22)),
    )
    .expect("compiles");
    let n = engine_inputs.len();
    let valid: Vec<bool> = engine_inputs.iter().map(|(_, ok)| *ok).collect();
    let mut src = mapc_connect::source::MemorySource::new(
        "m",
        engine_inputs.into_iter().map(|(b, _)| b).collect(),
    );
    let mut seen = 0usize;
    let mut sink = |o: mapc_engine::Outcome<'_>| -> std::io::Result<()> {
        let i = match &o {
            mapc_engine::Outcome::Written { at, .. } => at.index,
            mapc_engine::Outcome::Rejected(r) => r.at.index,
            other => panic!("unexpected outcome {other:?}"),
        };
        assert_eq!(i, seen, "outcomes in input order");
        if !valid[i] {
            assert!(
                matches!(o, mapc_engine::Outcome::Rejected(_)),
                "the engine wrote record {i}, which serde_json rejects"
            );
        }
        seen += 1;
        Ok(())
    };
    c.run(&mut src, &mut sink).expect("runs");
    assert_eq!(seen, n);
}

#[test]
fn canonical_numbers_compare_by_value() {
    assert_eq!(canon_num("1.50"), canon_num("15e-1"));
    assert_eq!(canon_num("-0.0"), "0");
    assert_eq!(canon_num("100"), "1e2");
    // The largest mantissa has 29 digits: exact, so accepted.
    assert_eq!(number_verdict("79228162514264337593543950335"), Some(true));
    assert_eq!(number_verdict("7922816251426433759354395033"), Some(true));
    assert_eq!(number_verdict("79228162514264337593543950336"), Some(false));
    assert_eq!(number_verdict("1e-28"), Some(true));
    assert_eq!(number_verdict("1e-29"), Some(false));
    // Trailing zeros beyond 28 places do not make a value unrepresentable.
    assert_eq!(
        number_verdict("1.0000000000000000000000000000000000"),
        Some(true)
    );
    assert_eq!(number_verdict("1.5e3"), Some(true));
}
