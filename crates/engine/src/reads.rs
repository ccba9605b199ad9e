//! Source paths that no record had (R0104).
//!
//! Without cached `$metadata`, `mapc check` cannot know a source's field
//! names, so `from: nmae` passes and reads null in every record. When asked
//! ([`crate::Compiled::track_reads`]), the engine remembers which of the
//! paths the mapping reads were present in some record (as anything, `null`
//! included), and [`crate::Compiled::unseen_paths`] lists the others, once
//! each, with the closest key the records did have.
//!
//! A path is only reported when the object that should hold it was seen:
//! the record itself for a top-level path, the related record or nested
//! object for a deeper one, a product line for a line field. A path under a
//! related record that was always `null`, or a list that was always empty,
//! says nothing about a misspelling. Nothing is reported when no record was
//! read.
//!
//! Cost and memory: per record, one check of the paths not yet seen
//! (nothing once all were seen). Key names for the did-you-mean are taken
//! from the first [`SAMPLE_RECORDS`] records read while some path is still
//! unseen, at most [`MAX_KEYS`] names per object.

use crate::json::parse::{Frame, ListState, Proj};
use crate::value::Value;
use mapc_diag::Span;
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::Mutex;

/// Records whose key names are collected for suggestions.
pub const SAMPLE_RECORDS: usize = 1000;
/// Key names remembered per object (the record, a related record, ...).
pub const MAX_KEYS: usize = 256;

/// A path the mapping reads that none of the records read had.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnseenPath {
    /// The path as the spec reads it (`nmae`, `customer.nmae`), a line
    /// field under its list (`products[].sku`).
    pub path: String,
    /// Where the spec reads it first, when it is a `from:` or a name in an
    /// expression or filter (settings such as `sku_field` have no span).
    pub span: Option<Span>,
    /// The closest key that the object holding it had in the records.
    pub suggestion: Option<String>,
    /// The suggestion is one or two edits away ([`mapc_diag::close_typo`]):
    /// the path is most likely misspelled, rather than just not in the
    /// records read.
    pub likely_typo: bool,
    /// How many records were read.
    pub records: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Seg {
    Key(String),
    /// Each element of a list.
    Each,
}

#[derive(Clone, Copy, Debug)]
enum Loc {
    Slot(u32),
    List(u32),
    Elem(u32, u32),
}

#[derive(Debug)]
struct Tracked {
    segs: Vec<Seg>,
    loc: Loc,
    display: String,
    /// The display path of the object holding it (`""` for the record).
    parent: String,
}

#[derive(Debug, Default)]
struct Sample {
    /// Per tracked path: the object that should hold it was seen.
    parent_seen: Vec<bool>,
    /// Key names seen, per holding object.
    keys: HashMap<String, BTreeSet<String>>,
}

/// The read-path bookkeeping of one run.
#[derive(Debug)]
pub(crate) struct ReadTracker {
    paths: Vec<Tracked>,
    spans: Vec<(String, Span)>,
    seen: Vec<AtomicBool>,
    unseen: AtomicUsize,
    records: AtomicUsize,
    sampled: AtomicUsize,
    sample: Mutex<Sample>,
}

fn display(segs: &[Seg]) -> String {
    let mut out = String::new();
    for s in segs {
        match s {
            Seg::Key(k) => {
                if !out.is_empty() && !out.ends_with('.') {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Each => out.push_str("[]."),
        }
    }
    out
}

fn collect(proj: &Proj, prefix: &[Seg], elem: Option<u32>, out: &mut Vec<Tracked>) {
    for c in &proj.children {
        let mut segs = prefix.to_vec();
        segs.push(Seg::Key(c.key.to_string()));
        let parent = display(prefix).trim_end_matches('.').to_string();
        let mut track = |loc: Loc, segs: &Vec<Seg>| {
            out.push(Tracked {
                segs: segs.clone(),
                loc,
                display: display(segs),
                parent: parent.clone(),
            })
        };
        match (c.whole, elem) {
            (Some(s), None) => track(Loc::Slot(s), &segs),
            (Some(s), Some(l)) => track(Loc::Elem(l, s), &segs),
            (None, _) => {
                if let Some(lp) = c.list.as_ref().filter(|_| elem.is_none()) {
                    track(Loc::List(lp.id), &segs);
                }
            }
        }
        if let Some(sub) = &c.sub {
            collect(sub, &segs, elem, out);
        }
        for lp in c.list.iter().chain(&c.more_lists) {
            let mut each = segs.clone();
            each.push(Seg::Each);
            collect(&lp.elem, &each, Some(lp.id), out);
        }
    }
}

/// What a record says about one path.
enum Probe<'v> {
    Present,
    /// Absent from the object(s) that should hold it, which had these keys.
    Missing(Vec<&'v str>),
    /// The object that should hold it is not there (or not an object).
    NoParent,
}

fn probe<'v>(v: &'v Value, segs: &[Seg]) -> Probe<'v> {
    let Some((first, rest)) = segs.split_first() else {
        return Probe::Present;
    };
    match first {
        Seg::Key(k) => match v {
            Value::Obj(entries) => match entries.iter().rev().find(|(key, _)| key == k) {
                Some((_, inner)) => probe(inner, rest),
                None if rest.is_empty() => {
                    Probe::Missing(entries.iter().map(|(key, _)| key.as_ref()).collect())
                }
                None => Probe::NoParent,
            },
            _ => Probe::NoParent,
        },
        Seg::Each => match v {
            Value::List(items) => {
                let mut keys = Vec::new();
                let mut parent = false;
                for item in items {
                    match probe(item, rest) {
                        Probe::Present => return Probe::Present,
                        Probe::Missing(k) => {
                            parent = true;
                            keys.extend(k);
                        }
                        Probe::NoParent => {}
                    }
                }
                if parent {
                    Probe::Missing(keys)
                } else {
                    Probe::NoParent
                }
            }
            _ => Probe::NoParent,
        },
    }
}

impl ReadTracker {
    pub(crate) fn new(proj: &Proj, spans: Vec<(String, Span)>) -> ReadTracker {
        let mut paths = Vec::new();
        collect(proj, &[], None, &mut paths);
        let n = paths.len();
        ReadTracker {
            paths,
            spans,
            seen: (0..n).map(|_| AtomicBool::new(false)).collect(),
            unseen: AtomicUsize::new(n),
            records: AtomicUsize::new(0),
            sampled: AtomicUsize::new(0),
            sample: Mutex::new(Sample {
                parent_seen: vec![false; n],
                keys: HashMap::new(),
            }),
        }
    }

    fn mark(&self, i: usize) {
        if !self.seen[i].swap(true, Relaxed) {
            self.unseen.fetch_sub(1, Relaxed);
        }
    }

    /// One record read (`text`, parsed into `frame`).
    pub(crate) fn observe(&self, text: &str, frame: &Frame<'_>) {
        self.records.fetch_add(1, Relaxed);
        if self.unseen.load(Relaxed) == 0 {
            return;
        }
        for (i, t) in self.paths.iter().enumerate() {
            if !self.seen[i].load(Relaxed) && present(frame, t.loc) {
                self.mark(i);
            }
        }
        if self.unseen.load(Relaxed) > 0 && self.sampled.fetch_add(1, Relaxed) < SAMPLE_RECORDS {
            if let Ok(v) = crate::json::parse::parse_value(text) {
                self.observe_value(&v);
            }
        }
    }

    /// Looks at a whole record for the paths not yet seen: marks those it
    /// has, and remembers the keys of the objects missing the others.
    pub(crate) fn observe_value(&self, record: &Value) {
        let Ok(mut sample) = self.sample.lock() else {
            return;
        };
        for (i, t) in self.paths.iter().enumerate() {
            if self.seen[i].load(Relaxed) {
                continue;
            }
            match probe(record, &t.segs) {
                Probe::Present => self.mark(i),
                Probe::Missing(keys) => {
                    sample.parent_seen[i] = true;
                    let set = sample.keys.entry(t.parent.clone()).or_default();
                    for k in keys {
                        if set.len() >= MAX_KEYS {
                            break;
                        }
                        if !set.contains(k) {
                            set.insert(k.to_string());
                        }
                    }
                }
                Probe::NoParent => {}
            }
        }
    }

    /// Counts a record looked at only as a whole value (test inputs).
    pub(crate) fn count_record(&self) {
        self.records.fetch_add(1, Relaxed);
    }

    pub(crate) fn unseen(&self) -> Vec<UnseenPath> {
        let records = self.records.load(Relaxed);
        if records == 0 {
            return Vec::new();
        }
        let Ok(sample) = self.sample.lock() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, t) in self.paths.iter().enumerate() {
            if self.seen[i].load(Relaxed) || !sample.parent_seen[i] {
                continue;
            }
            let last = match t.segs.last() {
                Some(Seg::Key(k)) => k.as_str(),
                _ => continue,
            };
            // A key the spec reads itself is not what a misspelling meant
            // (`description2` next to `description`).
            let read_here = |k: &str| {
                self.paths.iter().any(|o| {
                    o.parent == t.parent && matches!(o.segs.last(), Some(Seg::Key(x)) if x == k)
                })
            };
            let candidates = || {
                sample
                    .keys
                    .get(&t.parent)
                    .into_iter()
                    .flatten()
                    .map(String::as_str)
                    .filter(|k| !read_here(k))
            };
            let typo = mapc_diag::close_typo(last, candidates());
            let likely_typo = typo.is_some();
            let suggestion = typo.or_else(|| mapc_diag::did_you_mean(last, candidates()));
            out.push(UnseenPath {
                path: t.display.clone(),
                span: self
                    .spans
                    .iter()
                    .find(|(p, _)| *p == t.display)
                    .map(|(_, s)| *s),
                suggestion,
                likely_typo,
                records,
            });
        }
        out
    }
}

fn present(frame: &Frame<'_>, loc: Loc) -> bool {
    match loc {
        Loc::Slot(s) => frame
            .slots
            .get(s as usize)
            .is_some_and(|v| !matches!(v, Value::Absent)),
        Loc::List(l) => frame
            .lists
            .get(l as usize)
            .is_some_and(|d| d.state != ListState::Absent),
        Loc::Elem(l, s) => frame.lists.get(l as usize).is_some_and(|d| {
            (0..d.len()).any(|i| {
                d.item(i)
                    .get(s as usize)
                    .is_some_and(|v| !matches!(v, Value::Absent))
            })
        }),
    }
}
