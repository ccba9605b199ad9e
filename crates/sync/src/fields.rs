//! What `run` needs to know of a mapping's fields: which target paths are
//! written only on create, which flow back to the source, which are merged
//! both ways (and how conflicts resolve). Read once from the IR.

use crate::tree::Path;
use mapc_ir::program::{Conflict, Mapping, SyncDirection, ValueSource};

/// A field whose value flows from the target back to the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Back {
    /// Where it sits in the target record.
    pub target: Path,
    /// The source path it comes from (`from:`, maybe `related.field`).
    pub source: Path,
}

/// A `two_way` field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TwoWay {
    pub target: Path,
    pub source: Path,
    pub conflict: Conflict,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncFields {
    /// Target paths written on create only (`sync: once`, and a `products`
    /// block or document amount with `sync: once`).
    pub once: Vec<Path>,
    pub back: Vec<Back>,
    pub two_way: Vec<TwoWay>,
    /// Product-line fields with `sync: once`: the lines array is compared and
    /// written whole, so these cannot be left out of an update (reported).
    pub once_in_lines: Vec<String>,
}

impl SyncFields {
    pub fn of(m: &Mapping) -> SyncFields {
        let mut s = SyncFields::default();
        let path =
            |segs: &[std::sync::Arc<str>]| -> Path { segs.iter().map(|x| x.to_string()).collect() };
        let key: Option<Path> = m
            .target
            .key
            .as_ref()
            .map(|k| k.split('.').map(String::from).collect());
        for f in &m.fields {
            let to = path(&f.to.segments);
            let from = match &f.source {
                ValueSource::From(p) => Some(path(&p.segments)),
                _ => None,
            };
            match (f.sync, from) {
                // The key is how an update finds its record: always written.
                (SyncDirection::Once, _) if Some(&to) == key.as_ref() => {}
                (SyncDirection::Once, _) => s.once.push(to),
                (SyncDirection::TargetToSource, Some(from)) => s.back.push(Back {
                    target: to,
                    source: from,
                }),
                (SyncDirection::TwoWay, Some(from)) => s.two_way.push(TwoWay {
                    target: to,
                    source: from,
                    conflict: f.conflict,
                }),
                _ => {}
            }
        }
        if let Some(p) = &m.products {
            if p.sync == SyncDirection::Once {
                s.once.push(path(&p.to.segments));
            }
            for a in [&p.discount, &p.tax, &p.freight].into_iter().flatten() {
                if a.sync == SyncDirection::Once {
                    s.once.push(path(&a.to.segments));
                }
            }
            if p.sync != SyncDirection::Once {
                for f in &p.fields {
                    if f.sync == SyncDirection::Once {
                        s.once_in_lines.push(f.to.segments.join("."));
                    }
                }
            }
        }
        s
    }

    /// Whether every decision can be made from the state's hash alone (no
    /// field is read from the target).
    pub fn hash_decides(&self) -> bool {
        self.back.is_empty() && self.two_way.is_empty()
    }
}
