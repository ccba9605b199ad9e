//! The decision for one target record: create, update (with the changed
//! paths), unchanged, skip or conflict, and what flows back to the source.
//!
//! Pure: it sees the mapped record, the record the target holds, the state's
//! bases and the source's values, and says what to do; the run does it.

use crate::fields::{Back, SyncFields, TwoWay};
use crate::tree::{self, dotted, Path};
use jiff::Timestamp;
use mapc_ir::program::{Conflict, WriteMode};
use serde_json::{Map, Value};

/// One two-way field changed on both sides to different values.
#[derive(Clone, Debug, PartialEq)]
pub struct Clash {
    pub path: String,
    pub source: Value,
    pub target: Value,
    /// The base both sides started from (`None`: never synced).
    pub base: Option<Value>,
    /// How it was resolved; `None` = `conflict: fail`, or `newest` without
    /// both timestamps.
    pub resolved: Option<Side>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Source,
    Target,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Create,
    /// `patch`: the members to write (a partial record); `changed`: their
    /// dotted leaf paths.
    Update {
        patch: Value,
        changed: Vec<String>,
    },
    Unchanged,
    /// Not written, for the reason given (`write: create` meets an existing
    /// record, `write: update` a missing one).
    Skip(String),
    /// A two-way conflict with `conflict: fail` (or undecidable `newest`):
    /// neither side is written, the bases stay.
    Conflict(Vec<Clash>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub action: Action,
    /// Values to write into the source record (a partial record over
    /// source paths), and their dotted paths.
    pub back: Option<(Value, Vec<String>)>,
    /// The two-way bases to store once the writes are committed: target
    /// path -> compact JSON.
    pub bases: Vec<(String, String)>,
    /// Conflicts resolved by policy (reported, not blocking).
    pub resolved: Vec<Clash>,
}

/// What is known of the record besides its mapped output.
pub struct Sides<'a> {
    /// The record as the target holds it now.
    pub target: Option<&'a Value>,
    /// The source record (for `target_to_source` comparisons); `None` when
    /// the mapping has no such fields.
    pub source: Option<&'a Value>,
    /// Stored bases of the two-way fields by dotted target path.
    pub bases: &'a [(String, String)],
    /// When each side last changed (for `conflict: newest`).
    pub source_changed: Option<Timestamp>,
    pub target_changed: Option<Timestamp>,
}

pub fn decide(
    output: &Value,
    sides: &Sides<'_>,
    fields: &SyncFields,
    write: WriteMode,
) -> Decision {
    let mut d = Decision {
        action: Action::Unchanged,
        back: None,
        bases: Vec::new(),
        resolved: Vec::new(),
    };
    let Some(target) = sides.target else {
        if write == WriteMode::Update {
            d.action = Action::Skip(
                "`write: update` never creates a record, and the target has none with this key"
                    .into(),
            );
            return d;
        }
        d.action = Action::Create;
        d.bases = fields
            .two_way
            .iter()
            .map(|f| (dotted(&f.target), tree::text(value_at(output, &f.target))))
            .collect();
        return d;
    };
    if write == WriteMode::Create {
        d.action = Action::Skip(
            "`write: create` never changes an existing record, and the target has one with this key"
                .into(),
        );
        return d;
    }

    // Paths the plain diff leaves alone: written on create only, or decided
    // by the two-way merge below.
    let mut skip: Vec<&Path> = fields.once.iter().collect();
    skip.extend(fields.two_way.iter().map(|f| &f.target));
    let mut patch = Map::new();
    let mut changed = Vec::new();
    if let (Value::Object(out), Value::Object(old)) = (output, target) {
        diff_object(
            out,
            Some(old),
            &mut Vec::new(),
            &skip,
            &mut patch,
            &mut changed,
        );
    } else if !tree::same(output, target) {
        // Not objects (the engine always writes an object; a file target
        // refuses other records): nothing to merge into, replace whole.
        d.action = Action::Update {
            patch: output.clone(),
            changed: vec!["(the whole record)".into()],
        };
        return d;
    }

    let mut back = Map::new();
    let mut back_paths = Vec::new();
    let mut clashes = Vec::new();
    for f in &fields.two_way {
        match merge_two_way(f, output, target, sides) {
            Merge::Same(v) => d.bases.push((dotted(&f.target), tree::text(&v))),
            Merge::ToTarget(v) => {
                d.bases.push((dotted(&f.target), tree::text(&v)));
                put(&mut patch, &f.target, v);
                changed.push(dotted(&f.target));
            }
            Merge::ToSource(v) => {
                d.bases.push((dotted(&f.target), tree::text(&v)));
                put(&mut back, &f.source, v);
                back_paths.push(dotted(&f.source));
            }
            Merge::Clash(c) => {
                match c.resolved {
                    Some(Side::Source) => {
                        d.bases.push((c.path.clone(), tree::text(&c.source)));
                        put(&mut patch, &f.target, c.source.clone());
                        changed.push(c.path.clone());
                    }
                    Some(Side::Target) => {
                        d.bases.push((c.path.clone(), tree::text(&c.target)));
                        put(&mut back, &f.source, c.target.clone());
                        back_paths.push(dotted(&f.source));
                    }
                    None => {}
                }
                clashes.push(c);
            }
        }
    }
    if clashes.iter().any(|c| c.resolved.is_none()) {
        // `fail`: both sides stay as they are, and so do the bases.
        d.bases = sides.bases.to_vec();
        d.action = Action::Conflict(clashes);
        return d;
    }
    d.resolved = clashes;

    for b in &fields.back {
        if let Some(v) = follow_target(b, target, sides.source) {
            put(&mut back, &b.source, v);
            back_paths.push(dotted(&b.source));
        }
    }
    if !back.is_empty() {
        d.back = Some((Value::Object(back), back_paths));
    }
    if !patch.is_empty() {
        d.action = Action::Update {
            patch: Value::Object(patch),
            changed,
        };
    }
    d
}

/// The value a record has at `path`: null when absent (what the engine
/// wrote for a null source value, or left out).
fn value_at<'v>(v: &'v Value, path: &[String]) -> &'v Value {
    tree::get(v, path).unwrap_or(&Value::Null)
}

fn put(patch: &mut Map<String, Value>, path: &[String], v: Value) {
    let mut obj = Value::Object(std::mem::take(patch));
    tree::set(&mut obj, path, v);
    if let Value::Object(m) = obj {
        *patch = m;
    }
}

/// Adds to `patch` every member of `out` whose value differs from `old`'s,
/// recursing into objects present on both sides, and leaving the `skip`
/// paths (and everything under them) alone.
fn diff_object(
    out: &Map<String, Value>,
    old: Option<&Map<String, Value>>,
    at: &mut Path,
    skip: &[&Path],
    patch: &mut Map<String, Value>,
    changed: &mut Vec<String>,
) {
    for (k, v) in out {
        at.push(k.clone());
        let skipped = skip.iter().any(|s| s.as_slice() == at.as_slice());
        let under = skip.iter().any(|s| s.len() > at.len() && s.starts_with(at));
        let before = old.and_then(|o| o.get(k));
        if skipped {
        } else if let (Value::Object(vo), true) = (v, under) {
            // A skipped path lies inside: diff member by member so it can
            // be left out.
            let mut inner = Map::new();
            diff_object(
                vo,
                before.and_then(Value::as_object),
                at,
                skip,
                &mut inner,
                changed,
            );
            if !inner.is_empty() {
                patch.insert(k.clone(), Value::Object(inner));
            }
        } else if let (Value::Object(vo), Some(Value::Object(bo))) = (v, before) {
            let mut inner = Map::new();
            diff_object(vo, Some(bo), at, skip, &mut inner, changed);
            if !inner.is_empty() {
                patch.insert(k.clone(), Value::Object(inner));
            }
        } else if !before.is_some_and(|b| tree::same(v, b)) {
            patch.insert(k.clone(), v.clone());
            changed.push(dotted(at));
        }
        at.pop();
    }
}

enum Merge {
    /// Both sides hold this value.
    Same(Value),
    /// The source changed: the target gets its value.
    ToTarget(Value),
    /// The target changed: the source gets its value.
    ToSource(Value),
    Clash(Clash),
}

fn merge_two_way(f: &TwoWay, output: &Value, target: &Value, sides: &Sides<'_>) -> Merge {
    let s = value_at(output, &f.target).clone();
    let t = value_at(target, &f.target).clone();
    if tree::same(&s, &t) {
        return Merge::Same(s);
    }
    let path = dotted(&f.target);
    let base = sides
        .bases
        .iter()
        .find(|(p, _)| *p == path)
        .and_then(|(_, b)| tree::parse(b.as_bytes()).ok());
    if let Some(b) = &base {
        let source_moved = !tree::same(&s, b);
        let target_moved = !tree::same(&t, b);
        match (source_moved, target_moved) {
            (true, false) => return Merge::ToTarget(s),
            (false, true) => return Merge::ToSource(t),
            _ => {}
        }
    }
    let resolved = match f.conflict {
        Conflict::SourceWins => Some(Side::Source),
        Conflict::TargetWins => Some(Side::Target),
        Conflict::Newest => match (sides.source_changed, sides.target_changed) {
            (Some(a), Some(b)) if a >= b => Some(Side::Source),
            (Some(_), Some(_)) => Some(Side::Target),
            _ => None,
        },
        Conflict::Fail => None,
    };
    Merge::Clash(Clash {
        path,
        source: s,
        target: t,
        base,
        resolved,
    })
}

/// A `target_to_source` field: the target's value when the source holds
/// another one. A target without the member has nothing to say.
fn follow_target(b: &Back, target: &Value, source: Option<&Value>) -> Option<Value> {
    let t = tree::get(target, &b.target)?;
    let s = source.map(|s| value_at(s, &b.source));
    match s {
        Some(s) if tree::same(s, t) => None,
        _ => Some(t.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Value {
        tree::parse(s.as_bytes()).unwrap()
    }
    fn p(s: &str) -> Path {
        s.split('.').map(String::from).collect()
    }
    fn two_way(path: &str, from: &str, conflict: Conflict) -> SyncFields {
        SyncFields {
            two_way: vec![TwoWay {
                target: p(path),
                source: p(from),
                conflict,
            }],
            ..SyncFields::default()
        }
    }
    fn sides<'a>(target: Option<&'a Value>, bases: &'a [(String, String)]) -> Sides<'a> {
        Sides {
            target,
            source: None,
            bases,
            source_changed: None,
            target_changed: None,
        }
    }

    #[test]
    fn create_unchanged_and_update_with_the_changed_paths() {
        let out = v(r#"{"id":"A","amount":1.10,"c":{"n":"x","m":2}}"#);
        let f = SyncFields::default();
        assert_eq!(
            decide(&out, &sides(None, &[]), &f, WriteMode::Upsert).action,
            Action::Create
        );
        let same = v(r#"{"c":{"m":2,"n":"x"},"amount":1.1,"id":"A","extra":true}"#);
        assert_eq!(
            decide(&out, &sides(Some(&same), &[]), &f, WriteMode::Upsert).action,
            Action::Unchanged
        );
        let old = v(r#"{"id":"A","amount":1.1,"c":{"n":"y","m":2}}"#);
        let d = decide(&out, &sides(Some(&old), &[]), &f, WriteMode::Upsert);
        assert_eq!(
            d.action,
            Action::Update {
                patch: v(r#"{"c":{"n":"x"}}"#),
                changed: vec!["c.n".into()]
            }
        );
        // Null and absent differ: a null the engine wrote is written.
        let out = v(r#"{"id":"A","x":null}"#);
        let d = decide(
            &out,
            &sides(Some(&v(r#"{"id":"A"}"#)), &[]),
            &f,
            WriteMode::Upsert,
        );
        assert_eq!(
            d.action,
            Action::Update {
                patch: v(r#"{"x":null}"#),
                changed: vec!["x".into()]
            }
        );
    }

    #[test]
    fn once_paths_are_left_out_of_updates() {
        let f = SyncFields {
            once: vec![p("title"), p("c.created")],
            ..SyncFields::default()
        };
        let out = v(r#"{"id":"A","title":"new","c":{"created":"2026","n":1}}"#);
        let old = v(r#"{"id":"A","title":"old","c":{"created":"2025","n":0}}"#);
        let d = decide(&out, &sides(Some(&old), &[]), &f, WriteMode::Upsert);
        assert_eq!(
            d.action,
            Action::Update {
                patch: v(r#"{"c":{"n":1}}"#),
                changed: vec!["c.n".into()]
            }
        );
        let old = v(r#"{"id":"A","title":"old","c":{"created":"2025","n":1}}"#);
        assert_eq!(
            decide(&out, &sides(Some(&old), &[]), &f, WriteMode::Upsert).action,
            Action::Unchanged
        );
    }

    #[test]
    fn write_modes() {
        let out = v(r#"{"id":"A","n":1}"#);
        let old = v(r#"{"id":"A","n":0}"#);
        let f = SyncFields::default();
        assert!(matches!(
            decide(&out, &sides(Some(&old), &[]), &f, WriteMode::Create).action,
            Action::Skip(_)
        ));
        assert!(matches!(
            decide(&out, &sides(None, &[]), &f, WriteMode::Update).action,
            Action::Skip(_)
        ));
        assert!(matches!(
            decide(&out, &sides(Some(&old), &[]), &f, WriteMode::Update).action,
            Action::Update { .. }
        ));
    }

    #[test]
    fn two_way_one_side_changed_wins() {
        let f = two_way("email", "contact.email", Conflict::Fail);
        let base = [("email".to_string(), r#""old@x""#.to_string())];
        // The source changed.
        let out = v(r#"{"id":"A","email":"new@x"}"#);
        let old = v(r#"{"id":"A","email":"old@x"}"#);
        let d = decide(&out, &sides(Some(&old), &base), &f, WriteMode::Upsert);
        assert_eq!(
            d.action,
            Action::Update {
                patch: v(r#"{"email":"new@x"}"#),
                changed: vec!["email".into()]
            }
        );
        assert_eq!(
            d.bases,
            vec![("email".to_string(), r#""new@x""#.to_string())]
        );
        assert!(d.back.is_none());
        // The target changed: it flows back, the target is not written.
        let out = v(r#"{"id":"A","email":"old@x"}"#);
        let edited = v(r#"{"id":"A","email":"edit@x"}"#);
        let d = decide(&out, &sides(Some(&edited), &base), &f, WriteMode::Upsert);
        assert_eq!(d.action, Action::Unchanged);
        assert_eq!(
            d.back,
            Some((
                v(r#"{"contact":{"email":"edit@x"}}"#),
                vec!["contact.email".into()]
            ))
        );
        assert_eq!(
            d.bases,
            vec![("email".to_string(), r#""edit@x""#.to_string())]
        );
    }

    #[test]
    fn two_way_both_changed_follows_the_policy() {
        let base = [("email".to_string(), r#""old@x""#.to_string())];
        let out = v(r#"{"id":"A","email":"src@x"}"#);
        let tgt = v(r#"{"id":"A","email":"tgt@x"}"#);
        let run = |c: Conflict, s: Option<&str>, t: Option<&str>| {
            let f = two_way("email", "email", c);
            let mut sd = sides(Some(&tgt), &base);
            sd.source_changed = s.map(|s| s.parse().unwrap());
            sd.target_changed = t.map(|s| s.parse().unwrap());
            decide(&out, &sd, &f, WriteMode::Upsert)
        };
        let d = run(Conflict::SourceWins, None, None);
        assert_eq!(
            d.action,
            Action::Update {
                patch: v(r#"{"email":"src@x"}"#),
                changed: vec!["email".into()]
            }
        );
        assert_eq!(d.resolved.len(), 1);
        let d = run(Conflict::TargetWins, None, None);
        assert_eq!(d.action, Action::Unchanged);
        assert_eq!(d.back.unwrap().0, v(r#"{"email":"tgt@x"}"#));
        let d = run(
            Conflict::Newest,
            Some("2026-11-21T00:00:00Z"),
            Some("2026-11-20T00:00:00Z"),
        );
        assert!(matches!(d.action, Action::Update { .. }));
        let d = run(
            Conflict::Newest,
            Some("2026-11-19T00:00:00Z"),
            Some("2026-11-20T00:00:00Z"),
        );
        assert!(d.back.is_some() && d.action == Action::Unchanged);
        for d in [
            run(Conflict::Fail, None, None),
            run(Conflict::Newest, None, Some("2026-11-20T00:00:00Z")),
        ] {
            let Action::Conflict(c) = &d.action else {
                panic!("{d:?}")
            };
            assert_eq!(c[0].path, "email");
            assert!(d.back.is_none());
            assert_eq!(d.bases, base.to_vec(), "the old base is kept");
        }
        // Both sides moved to the same value: no conflict, new base.
        let f = two_way("email", "email", Conflict::Fail);
        let d = decide(&out, &sides(Some(&out), &base), &f, WriteMode::Upsert);
        assert_eq!(d.action, Action::Unchanged);
        assert_eq!(
            d.bases,
            vec![("email".to_string(), r#""src@x""#.to_string())]
        );
    }

    #[test]
    fn target_to_source_follows_the_target() {
        let f = SyncFields {
            back: vec![Back {
                target: p("status"),
                source: p("statuscode"),
            }],
            ..SyncFields::default()
        };
        let out = v(r#"{"id":"A"}"#);
        let tgt = v(r#"{"id":"A","status":"signed"}"#);
        let src = v(r#"{"statuscode":"draft"}"#);
        let mut sd = sides(Some(&tgt), &[]);
        sd.source = Some(&src);
        let d = decide(&out, &sd, &f, WriteMode::Upsert);
        assert_eq!(
            d.back,
            Some((v(r#"{"statuscode":"signed"}"#), vec!["statuscode".into()]))
        );
        let src = v(r#"{"statuscode":"signed"}"#);
        sd.source = Some(&src);
        assert_eq!(decide(&out, &sd, &f, WriteMode::Upsert).back, None);
    }
}
