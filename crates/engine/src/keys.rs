//! Target keys (`target.key`): how a written record is matched in the
//! target, so every written record must have one, and one input must not
//! write the same key twice.
//!
//! * A record whose target key is absent, null or blank (empty or only
//!   whitespace), a list, or a composite key with such a member, is
//!   rejected with **R0025**.
//! * A record whose target key an earlier record of the same input wrote
//!   already is rejected with **R0026**, naming that first record: the first
//!   one wins, because a streaming run has written it by the time the
//!   repeat is read. Detection follows input order, whatever the number of
//!   mapping threads: keys are hashed on the workers and compared on the
//!   thread that hands outcomes out in order ([`SeenKeys`]).
//!
//! **What counts as the same key.** A scalar key is compared by its text:
//! strings exactly (case, accents and blanks count), numbers in shortest
//! plain form (`1`, `1.0` and `"1"` are one key; `"1.0"` and `"1"` are
//! not), dates `YYYY-MM-DD`, booleans `true`/`false`. A key that is an
//! object (a composite alternate key, `key: ref` with `ref.a` and `ref.b`
//! written) is compared member by member, whatever their order; every
//! member needs a value.
//!
//! **Memory.** [`SeenKeys`] keeps a 128-bit hash (XXH3-128) of each key
//! and the position of the record that wrote it, never the key or the
//! record, in a `mapc_keyindex::KeyIndex`: the latest 28 672 in memory,
//! the rest in scratch files with under 2 bytes a key in memory, so a
//! million records take no more memory than a hundred thousand. Two different keys share a
//! hash with probability about n²/2¹²⁹ (negligible for any real input).
//!
//! The same pieces serve `mapc run`: [`KeyHash::of`] for a key value and
//! [`SeenKeys`] for a run's keys.

use crate::exec::Out;
use crate::plan::{TEntry, TNode};
use crate::run::Position;
use mapc_diag::Code;
use mapc_keyindex::KeyIndex;
use mapc_value::json::parse::{parse_record, Frame, Proj, RecordError};
use mapc_value::{write_text_shortest, Value};

/// The identity of one target key: a 128-bit hash of its canonical form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyHash(pub u128);

/// Why a value cannot serve as a target key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyProblem {
    /// Dotted target path of the key, or of the member of a composite key
    /// that has no usable value.
    pub path: String,
    /// What was found there: `absent`, `null`, `blank`, `a list`, `an empty object`.
    pub found: &'static str,
}

/// A list stands for a products or relationship list in a key position.
static LIST: Value<'static> = Value::List(Vec::new());
static ABSENT: Value<'static> = Value::Absent;

impl KeyHash {
    /// The hash of the key value `v` found at the dotted target path
    /// `path`: a scalar, or an object of scalars (and objects) for a
    /// composite key.
    pub fn of(path: &str, v: &Value) -> Result<KeyHash, KeyProblem> {
        let mut buf = Vec::new();
        hash_value(path, v, &mut buf)
    }

    /// The hash of a composite key given as its members: dotted paths and
    /// values, in any order (an object value is flattened into its members).
    pub fn of_members<'v, 'a: 'v>(
        path: &str,
        members: impl IntoIterator<Item = (String, &'v Value<'a>)>,
    ) -> Result<KeyHash, KeyProblem> {
        let mut parts = Vec::new();
        for (p, v) in members {
            flatten(p, v, &mut parts)?;
        }
        if parts.is_empty() {
            return Err(KeyProblem {
                path: path.to_string(),
                found: "absent",
            });
        }
        Ok(composite(parts, &mut Vec::new()))
    }
}

fn scalar_problem(v: &Value) -> Option<&'static str> {
    match v {
        Value::Absent => Some("absent"),
        Value::Null => Some("null"),
        Value::Str(s) if s.trim().is_empty() => Some("blank"),
        Value::List(_) => Some("a list"),
        Value::Obj(o) if o.is_empty() => Some("an empty object"),
        _ => None,
    }
}

fn hash_value(path: &str, v: &Value, buf: &mut Vec<u8>) -> Result<KeyHash, KeyProblem> {
    if let Some(found) = scalar_problem(v) {
        return Err(KeyProblem {
            path: path.to_string(),
            found,
        });
    }
    if let Value::Obj(_) = v {
        let mut parts = Vec::new();
        flatten(path.to_string(), v, &mut parts)?;
        return Ok(composite(parts, buf));
    }
    buf.clear();
    buf.push(b'S');
    write_text_shortest(v, buf);
    Ok(KeyHash(xxhash_rust::xxh3::xxh3_128(buf)))
}

/// The members of a composite key as (dotted path, text), objects flattened.
fn flatten(path: String, v: &Value, parts: &mut Vec<(String, Vec<u8>)>) -> Result<(), KeyProblem> {
    if let Some(found) = scalar_problem(v) {
        return Err(KeyProblem { path, found });
    }
    match v {
        Value::Obj(members) => {
            for (k, m) in members {
                flatten(format!("{path}.{k}"), m, parts)?;
            }
        }
        other => {
            let mut text = Vec::new();
            write_text_shortest(other, &mut text);
            parts.push((path, text));
        }
    }
    Ok(())
}

/// Members sorted by path, each length-prefixed, so no two different
/// member sets encode alike.
fn composite(mut parts: Vec<(String, Vec<u8>)>, buf: &mut Vec<u8>) -> KeyHash {
    parts.sort();
    buf.clear();
    buf.push(b'C');
    for (p, t) in &parts {
        buf.extend_from_slice(&(p.len() as u64).to_le_bytes());
        buf.extend_from_slice(p.as_bytes());
        buf.extend_from_slice(&(t.len() as u64).to_le_bytes());
        buf.extend_from_slice(t);
    }
    KeyHash(xxhash_rust::xxh3::xxh3_128(buf))
}

/// The target keys written so far in one input (or one run), in memory
/// that does not grow with their number: a hash and a position per key in
/// a [`KeyIndex`], whose older entries are in scratch files of the system's
/// temporary folder (`TMPDIR`), never the key or the record.
pub struct SeenKeys {
    first: KeyIndex<16>,
    len: usize,
}

/// The duplicate-key check could not keep its keys (a scratch file failed):
/// carried inside the `io::Error` a run returns, so a caller can tell it
/// from a source that failed to read.
#[derive(Debug)]
pub struct KeyTableError(pub std::io::Error);

impl std::fmt::Display for KeyTableError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the duplicate-key check: {}", self.0)
    }
}

impl std::error::Error for KeyTableError {}

impl Default for SeenKeys {
    fn default() -> SeenKeys {
        SeenKeys::new()
    }
}

impl SeenKeys {
    pub fn new() -> SeenKeys {
        SeenKeys {
            first: KeyIndex::new(None),
            len: 0,
        }
    }

    /// Notes that the record at `at` wrote `key`. When an earlier record
    /// wrote it already, returns that record's position (and the earlier
    /// record stays the one remembered). Fails only when a scratch file
    /// cannot be written or read.
    pub fn first_or_insert(
        &mut self,
        key: KeyHash,
        at: Position,
    ) -> std::io::Result<Option<Position>> {
        let mut v = [0u8; 16];
        v[..8].copy_from_slice(&(at.index as u64).to_le_bytes());
        v[8..].copy_from_slice(&(at.line as u64).to_le_bytes());
        let first = self
            .first
            .get_or_insert(key.0, v)
            .map_err(|e| std::io::Error::new(e.kind(), KeyTableError(e)))?;
        if first.is_none() {
            self.len += 1;
        }
        Ok(first.map(|v| {
            let half = |b: &[u8]| {
                let mut w = [0u8; 8];
                w.copy_from_slice(b);
                u64::from_le_bytes(w) as usize
            };
            Position {
                index: half(&v[..8]),
                line: half(&v[8..]),
            }
        }))
    }

    /// How many distinct keys were seen.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// R0026 for a record whose target key `path` (shown as `text` when it
/// could be read back) the record at `first` wrote already.
pub fn duplicate_error(path: &str, text: Option<&str>, first: Position) -> RecordError {
    let value = match text {
        Some(t) => format!("`{path}` = `{t}`"),
        None => format!("`{path}`"),
    };
    RecordError::new(
        Code::R0026,
        format!(
            "the target key {value} was already written by record {} (line {}) of this input; the first record with a key is written, later ones are rejected",
            first.index + 1,
            first.line
        ),
    )
    .with_field(path)
    .with_help(
        "each target record must come from one source record: remove or merge the repeated record at the source, or map the target key from a field that is unique",
    )
}

/// R0025 for a record without a usable target key `key`.
pub fn missing_error(key: &str, p: &KeyProblem) -> RecordError {
    let what = match p.found {
        "absent" => "is not written (absent)".to_string(),
        "null" => "is null".to_string(),
        "blank" => "is empty (or only blanks)".to_string(),
        other => format!("is {other}, not a value"),
    };
    let message = if p.path == key {
        format!("the target key `{key}` {what}, so the record cannot be matched to a target record")
    } else {
        format!(
            "the part `{}` of the target key `{key}` {what}, so the record cannot be matched to a target record",
            p.path
        )
    };
    RecordError::new(Code::R0025, message)
        .with_field(p.path.clone())
        .with_help(format!(
            "map `{}` from a source field that always has a value (or give it a `default:`), or skip records without one with a rule such as `{{ when: \"is_null(...)\", action: skip }}`",
            p.path
        ))
}

/// Where a mapping's target key is in its output, resolved at compile time.
#[derive(Clone, Debug)]
pub(crate) struct KeyPlan {
    /// The dotted key path, as in the spec.
    pub dotted: String,
    at: KeyAt,
    /// A projection of the key path (slot 0), to read the key back from a
    /// written record for messages.
    proj: Proj,
}

#[derive(Clone, Debug)]
enum KeyAt {
    /// A leaf holds the key, or an object the key is inside of (`rest`).
    Leaf { leaf: u32, rest: Vec<String> },
    /// The key is an object of the output tree: its leaves, with their
    /// dotted paths.
    Members(Vec<(String, u32)>),
    /// Nothing the mapping writes holds the key.
    Nowhere,
}

impl KeyPlan {
    /// `None` when the mapping has no target key.
    pub(crate) fn new(tree: &[TEntry], key: &str, proj: Proj) -> Option<KeyPlan> {
        let segs: Vec<&str> = key.split('.').filter(|s| !s.is_empty()).collect();
        if segs.is_empty() {
            return None;
        }
        let dotted = segs.join(".");
        let mut entries = tree;
        let mut at = KeyAt::Nowhere;
        for (i, seg) in segs.iter().enumerate() {
            let Some(e) = entries.iter().find(|e| &*e.key == *seg) else {
                break;
            };
            match &e.node {
                TNode::Leaf(l) => {
                    at = KeyAt::Leaf {
                        leaf: *l,
                        rest: segs[i + 1..].iter().map(|s| s.to_string()).collect(),
                    };
                    break;
                }
                TNode::Obj(children) if i + 1 == segs.len() => {
                    let mut members = Vec::new();
                    collect_leaves(children, &dotted, &mut members);
                    at = KeyAt::Members(members);
                }
                TNode::Obj(children) => entries = children,
            }
        }
        Some(KeyPlan { dotted, at, proj })
    }

    /// The key of a record about to be written, from its leaves; R0025
    /// when it has none.
    pub(crate) fn hash(&self, leaves: &[Out], buf: &mut Vec<u8>) -> Result<KeyHash, RecordError> {
        let value = |l: u32| match leaves.get(l as usize) {
            Some(Out::Val(v)) => v,
            Some(Out::Products | Out::Relationships) => &LIST,
            Some(Out::Omit) | None => &ABSENT,
        };
        let r = match &self.at {
            KeyAt::Nowhere => Err(KeyProblem {
                path: self.dotted.clone(),
                found: "absent",
            }),
            KeyAt::Leaf { leaf, rest } => {
                let mut v = value(*leaf);
                for seg in rest {
                    v = match v {
                        Value::Obj(m) => {
                            m.iter().find(|(k, _)| k == seg).map_or(&ABSENT, |(_, x)| x)
                        }
                        _ => &ABSENT,
                    };
                }
                hash_value(&self.dotted, v, buf)
            }
            KeyAt::Members(m) => {
                KeyHash::of_members(&self.dotted, m.iter().map(|(p, l)| (p.clone(), value(*l))))
            }
        };
        r.map_err(|p| missing_error(&self.dotted, &p))
    }

    /// The key of a written record (`json`, compact), as text for a
    /// message: a scalar's text, an object as compact JSON, shortened.
    pub(crate) fn text(&self, json: &[u8]) -> Option<String> {
        let text = std::str::from_utf8(json).ok()?;
        let mut frame = Frame::new(1, &[]);
        parse_record(text, &self.proj, &mut frame).ok()?;
        let v = frame.slots.first()?;
        let mut out = Vec::new();
        if !write_text_shortest(v, &mut out) {
            out.clear();
            mapc_value::json::write::write_value(v, &mut out);
        }
        let s = String::from_utf8(out).ok()?;
        const MAX: usize = 120;
        Some(match s.char_indices().nth(MAX) {
            Some((cut, _)) => format!("{}…", &s[..cut]),
            None => s,
        })
    }
}

impl crate::plan::Compiled {
    /// R0026 instead of `verdict` when it writes a target key an earlier
    /// record of the input wrote (`seen`); called in input order. `json`
    /// is the record's output, with the relationship list still to be
    /// inserted at `marker` (companies).
    pub(crate) fn dedupe(
        &self,
        seen: &mut SeenKeys,
        verdict: crate::exec::Verdict,
        at: Position,
        json: &[u8],
    ) -> std::io::Result<crate::exec::Verdict> {
        let (
            Some(plan),
            crate::exec::Verdict::Written {
                target_key: Some(k),
                marker,
                ..
            },
        ) = (&self.target_key, &verdict)
        else {
            return Ok(verdict);
        };
        let Some(first) = seen.first_or_insert(*k, at)? else {
            return Ok(verdict);
        };
        let text = match marker {
            Some(m) if *m <= json.len() => {
                let mut whole = json[..*m].to_vec();
                whole.extend_from_slice(b"[]");
                whole.extend_from_slice(&json[*m..]);
                plan.text(&whole)
            }
            _ => plan.text(json),
        };
        Ok(crate::exec::Verdict::Rejected(duplicate_error(
            &plan.dotted,
            text.as_deref(),
            first,
        )))
    }
}

fn collect_leaves(entries: &[TEntry], prefix: &str, out: &mut Vec<(String, u32)>) {
    for e in entries {
        let path = format!("{prefix}.{}", e.key);
        match &e.node {
            TNode::Leaf(l) => out.push((path, *l)),
            TNode::Obj(children) => collect_leaves(children, &path, out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use std::borrow::Cow;

    fn s(t: &str) -> Value<'_> {
        Value::Str(Cow::Borrowed(t))
    }

    #[test]
    fn numbers_and_their_text_are_one_key_other_text_is_not() {
        let one = KeyHash::of("k", &Value::Num(Decimal::ONE)).unwrap();
        let one_0 = KeyHash::of("k", &Value::Num(Decimal::new(10, 1))).unwrap();
        assert_eq!(one, one_0);
        assert_eq!(one, KeyHash::of("k", &s("1")).unwrap());
        assert_ne!(one, KeyHash::of("k", &s("1.0")).unwrap());
        assert_ne!(KeyHash::of("k", &s("a")), KeyHash::of("k", &s("A")));
        assert_ne!(KeyHash::of("k", &s("a")), KeyHash::of("k", &s("a ")));
    }

    #[test]
    fn unusable_values_are_problems() {
        for (v, found) in [
            (Value::Absent, "absent"),
            (Value::Null, "null"),
            (s(""), "blank"),
            (s(" \t"), "blank"),
            (Value::List(vec![]), "a list"),
            (Value::Obj(vec![]), "an empty object"),
        ] {
            assert_eq!(KeyHash::of("k", &v).unwrap_err().found, found);
        }
        let obj = Value::Obj(vec![
            (Cow::Borrowed("a"), s("x")),
            (Cow::Borrowed("b"), Value::Null),
        ]);
        let p = KeyHash::of("ref", &obj).unwrap_err();
        assert_eq!((p.path.as_str(), p.found), ("ref.b", "null"));
    }

    #[test]
    fn composite_keys_ignore_member_order_and_keep_members_apart() {
        let ab = Value::Obj(vec![
            (Cow::Borrowed("a"), s("x")),
            (Cow::Borrowed("b"), s("y")),
        ]);
        let ba = Value::Obj(vec![
            (Cow::Borrowed("b"), s("y")),
            (Cow::Borrowed("a"), s("x")),
        ]);
        assert_eq!(KeyHash::of("r", &ab), KeyHash::of("r", &ba));
        // Shifting text between members is a different key.
        let shifted = Value::Obj(vec![
            (Cow::Borrowed("a"), s("xy")),
            (Cow::Borrowed("b"), s("y")),
        ]);
        assert_ne!(KeyHash::of("r", &ab), KeyHash::of("r", &shifted));
        // A one-member object is not its member as a scalar.
        let single = Value::Obj(vec![(Cow::Borrowed("a"), s("x"))]);
        assert_ne!(KeyHash::of("r", &single), KeyHash::of("r", &s("x")));
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn a_remembered_key_is_a_32_byte_entry() {
        // What the memory figure in the docs rests on.
        assert_eq!(std::mem::size_of::<(KeyHash, Position)>(), 32);
    }

    #[test]
    fn seen_keys_remember_the_first_record() {
        let mut seen = SeenKeys::new();
        let k = KeyHash::of("k", &s("A")).unwrap();
        let p = |i| Position {
            index: i,
            line: i + 1,
        };
        assert_eq!(seen.first_or_insert(k, p(0)).unwrap(), None);
        assert_eq!(seen.first_or_insert(k, p(4)).unwrap(), Some(p(0)));
        assert_eq!(seen.first_or_insert(k, p(7)).unwrap(), Some(p(0)));
        assert_eq!(seen.len(), 1);
    }
}
