//! Source paths that no record had (R0104).
//!
//! Without cached `$metadata`, `mapc check` cannot know a source's field
//! names, so `from: nmae` passes and reads null in every record. When asked
//! ([`crate::Compiled::track_reads`]), the engine remembers which of the
//! paths the mapping reads were present in some record (as anything, `null`
//! included), and [`crate::Compiled::unseen_paths`] lists the others, once
//! each, with the closest key the records did have.
//!
//! A path is reported when one of its names was missing from an object
//! that was there (the record, a nested or related record, a product line),
//! and the suggestion replaces that name: `adress.city` -> `address.city`.
//! A path that ran into a `null` (a related record that was always `null`)
//! or an empty list says nothing about a misspelling and is not reported;
//! nor is a related alias missing from the record (R0004 says that), nor a
//! line field of a list whose own name is reported. Nothing is reported
//! when no record was read.
//!
//! Cost and memory: per record, one check of the paths not yet seen
//! (nothing once all were seen). Key names for the did-you-mean are taken
//! from the first [`SAMPLE_RECORDS`] records read while some path is still
//! unseen, at most [`MAX_KEYS`] names per object.

use mapc_diag::Span;
use mapc_value::json::parse::{Frame, ListState, Proj};
use mapc_value::Value;
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
    /// The path with the name that was missing replaced by the closest key
    /// its object had in the records (`customer.name` for
    /// `customer.nmae`, `address.city` for `adress.city`).
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
    /// Under a related alias: a record without the alias is R0004 already,
    /// so only a name missing inside the related record counts.
    related: bool,
}

#[derive(Debug, Default)]
struct Sample {
    /// Per tracked path: the deepest segment found missing from an object
    /// that was there (0: the first name was not in the record).
    broke: Vec<Option<usize>>,
    /// Key names seen, per object (by its display path, `""` the record).
    keys: HashMap<String, BTreeSet<String>>,
}

/// The read-path bookkeeping of one run.
#[derive(Debug)]
pub(crate) struct ReadTracker {
    paths: Vec<Tracked>,
    spans: HashMap<String, Span>,
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

/// The paths of `proj` below `prefix`; `related`: under a related alias.
fn collect(proj: &Proj, prefix: &[Seg], elem: Option<u32>, related: bool, out: &mut Vec<Tracked>) {
    for c in &proj.children {
        let mut segs = prefix.to_vec();
        segs.push(Seg::Key(c.key.to_string()));
        // Only a related alias has a presence slot (at the top level).
        let related = related || (prefix.is_empty() && c.present.is_some());
        let loc = match (c.whole, elem) {
            (Some(s), None) => Some(Loc::Slot(s)),
            (Some(s), Some(l)) => Some(Loc::Elem(l, s)),
            (None, None) => c.list.as_ref().map(|lp| Loc::List(lp.id)),
            (None, Some(_)) => None,
        };
        if let Some(loc) = loc {
            out.push(Tracked {
                display: display(&segs),
                segs: segs.clone(),
                loc,
                related,
            });
        }
        if let Some(sub) = &c.sub {
            collect(sub, &segs, elem, related, out);
        }
        for lp in c.list.iter().chain(&c.more_lists) {
            let mut each = segs.clone();
            each.push(Seg::Each);
            collect(&lp.elem, &each, Some(lp.id), related, out);
        }
    }
}

/// What a record says about one path.
enum Probe<'v> {
    Present,
    /// Segment `depth` is missing from the object(s) that should hold it,
    /// which had these keys.
    Missing(usize, Vec<&'v str>),
    /// The path ends at a null or a value that is not an object or list.
    NoParent,
}

fn probe<'v>(v: &'v Value, segs: &[Seg], depth: usize) -> Probe<'v> {
    let Some(first) = segs.get(depth) else {
        return Probe::Present;
    };
    match first {
        Seg::Key(k) => match v {
            Value::Obj(entries) => match entries.iter().rev().find(|(key, _)| key == k) {
                Some((_, inner)) => probe(inner, segs, depth + 1),
                None => {
                    Probe::Missing(depth, entries.iter().map(|(key, _)| key.as_ref()).collect())
                }
            },
            _ => Probe::NoParent,
        },
        Seg::Each => match v {
            Value::List(items) => {
                // Present in one element is enough; else the deepest miss.
                let mut best: Option<(usize, Vec<&'v str>)> = None;
                for item in items {
                    match probe(item, segs, depth + 1) {
                        Probe::Present => return Probe::Present,
                        Probe::Missing(d, k) => match &mut best {
                            Some((bd, bk)) if *bd == d => bk.extend(k),
                            Some((bd, _)) if *bd > d => {}
                            _ => best = Some((d, k)),
                        },
                        Probe::NoParent => {}
                    }
                }
                match best {
                    Some((d, k)) => Probe::Missing(d, k),
                    None => Probe::NoParent,
                }
            }
            _ => Probe::NoParent,
        },
    }
}

impl ReadTracker {
    pub(crate) fn new(proj: &Proj, spans: HashMap<String, Span>) -> ReadTracker {
        let mut paths = Vec::new();
        collect(proj, &[], None, false, &mut paths);
        let n = paths.len();
        ReadTracker {
            paths,
            spans,
            seen: (0..n).map(|_| AtomicBool::new(false)).collect(),
            unseen: AtomicUsize::new(n),
            records: AtomicUsize::new(0),
            sampled: AtomicUsize::new(0),
            sample: Mutex::new(Sample {
                broke: vec![None; n],
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
            if let Ok(v) = mapc_value::json::parse::parse_value(text) {
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
            match probe(record, &t.segs, 0) {
                Probe::Present => self.mark(i),
                // A record without the related alias is R0004 already.
                Probe::Missing(0, _) if t.related => {}
                Probe::Missing(depth, keys) => {
                    let b = &mut sample.broke[i];
                    *b = Some(b.map_or(depth, |d| d.max(depth)));
                    let parent = display(&t.segs[..depth]);
                    let set = sample.keys.entry(parent).or_default();
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
            let Some(depth) = sample.broke[i].filter(|_| !self.seen[i].load(Relaxed)) else {
                continue;
            };
            let Some(Seg::Key(missing)) = t.segs.get(depth) else {
                continue;
            };
            // `lines` missing covers `lines[].sku`: the name is reported once.
            let covered = self.paths.iter().enumerate().any(|(j, o)| {
                j != i
                    && o.segs.len() < t.segs.len()
                    && o.segs[..] == t.segs[..o.segs.len()]
                    && o.segs.len() > depth
                    && sample.broke[j] == Some(depth)
                    && !self.seen[j].load(Relaxed)
            });
            if covered {
                continue;
            }
            let prefix = &t.segs[..depth];
            // A key the spec reads itself is not what a misspelling meant
            // (`description2` next to `description`).
            let read_here = |k: &str| {
                self.paths.iter().any(|o| {
                    o.segs.len() > depth
                        && o.segs[..depth] == *prefix
                        && matches!(&o.segs[depth], Seg::Key(x) if x == k)
                })
            };
            let parent = display(prefix);
            let candidates = || {
                sample
                    .keys
                    .get(&parent)
                    .into_iter()
                    .flatten()
                    .map(String::as_str)
                    .filter(|k| !read_here(k))
            };
            let typo = mapc_diag::close_typo(missing, candidates());
            let likely_typo = typo.is_some();
            // The whole path with the missing name replaced.
            let suggestion = typo
                .or_else(|| mapc_diag::did_you_mean(missing, candidates()))
                .map(|k| {
                    let mut segs = t.segs.clone();
                    segs[depth] = Seg::Key(k);
                    display(&segs)
                });
            out.push(UnseenPath {
                path: t.display.clone(),
                span: self.spans.get(&t.display).copied(),
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
