//! Target path conflicts within one mapping (or one product line):
//! M0405 (the same path written twice) and M0407 (`a` written as a value
//! while `a.b` is also written).

use mapc_diag::{Code, Diagnostic, Diagnostics, Span};
use std::collections::HashMap;
use std::sync::Arc;

pub struct Written<'a> {
    pub path: &'a [Arc<str>],
    pub span: Span,
    /// What writes it, for messages ("field", "`set` rule", "products").
    pub what: &'static str,
    /// `set` rules may overwrite a field (their purpose), so they take part
    /// only in the value/object overlap check.
    pub overrides: bool,
}

fn dotted(p: &[Arc<str>]) -> String {
    p.iter().map(|s| &**s).collect::<Vec<_>>().join(".")
}

/// Earlier entries by target path, so that each entry finds the first
/// earlier entry it conflicts with without comparing against all of them
/// (a mapping may have hundreds of fields).
#[derive(Default)]
struct Seen<'a> {
    /// Every path and every strict prefix of a path written so far.
    paths: HashMap<&'a [Arc<str>], First>,
}

/// The first entries (by index) that write a path or below it.
#[derive(Default)]
struct First {
    /// Writes exactly this path.
    exact: Option<usize>,
    /// Writes exactly this path and does not override.
    plain: Option<usize>,
    /// Writes a path that strictly extends this one.
    extended: Option<usize>,
}

impl<'a> Seen<'a> {
    /// The first earlier entry that `e` (entry `i`) conflicts with: the same
    /// path when neither overrides, or a path one is a strict prefix of the
    /// other's. Then records `e`.
    fn conflict_then_add(&mut self, i: usize, e: &Written<'a>) -> Option<usize> {
        let n = e.path.len();
        let mut conflict: Option<usize> = None;
        let mut note = |c: Option<usize>| {
            if let Some(c) = c {
                conflict = Some(conflict.map_or(c, |m| m.min(c)));
            }
        };
        for k in 0..=n {
            let first = self.paths.entry(&e.path[..k]).or_default();
            if k < n {
                // A shorter path written as a whole value.
                note(first.exact);
                first.extended.get_or_insert(i);
            } else {
                note(first.plain.filter(|_| !e.overrides));
                note(first.extended);
                first.exact.get_or_insert(i);
                if !e.overrides {
                    first.plain.get_or_insert(i);
                }
            }
        }
        conflict
    }
}

/// `scope` names the record, e.g. "mapping `x`" or "each product line of mapping `x`".
///
/// Each entry is reported at most once, against the first earlier entry it
/// conflicts with.
pub fn check(entries: &[Written], scope: &str, diags: &mut Diagnostics) {
    let mut seen = Seen::default();
    for (i, e) in entries.iter().enumerate() {
        if let Some(j) = seen.conflict_then_add(i, e) {
            let first = &entries[j];
            if e.path == first.path {
                diags.push(
                    Diagnostic::new(Code::M0405, e.span, format!("the target path `{}` is written twice in {scope}", dotted(e.path)))
                        .label(format!("second write (by a {})", e.what))
                        .related(first.span, format!("first written here (by a {})", first.what))
                        .help("a target path may be written by at most one entry; remove one of them, or use a `set` rule to override the value conditionally"),
                );
            } else {
                let (short, long) = if e.path.len() < first.path.len() {
                    (e, first)
                } else {
                    (first, e)
                };
                let s = dotted(short.path);
                diags.push(
                    Diagnostic::new(Code::M0407, e.span, format!("`{s}` is written as a value while `{}` is also written in {scope}", dotted(long.path)))
                        .label(if std::ptr::eq(short, e) { "written as a whole value here" } else { "written as a member here" })
                        .related(first.span, if std::ptr::eq(short, first) { "written as a whole value here" } else { "written as a member here" })
                        .help(format!("either write the whole object `{s}` or only its members such as `{}`, not both", dotted(long.path))),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first conflict as the plain pairwise scan finds it.
    fn scan(entries: &[Written], i: usize) -> Option<usize> {
        let e = &entries[i];
        entries[..i].iter().position(|first| {
            if e.path == first.path {
                return !(e.overrides || first.overrides);
            }
            let (short, long) = if e.path.len() < first.path.len() {
                (e, first)
            } else {
                (first, e)
            };
            long.path.starts_with(short.path)
        })
    }

    #[test]
    fn first_conflict_agrees_with_a_pairwise_scan() {
        let names: Vec<Arc<str>> = ["a", "b", "c"].iter().map(|s| Arc::from(*s)).collect();
        let mut state = 3u64;
        let mut next = |n: usize| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) % n as u64) as usize
        };
        for _ in 0..2_000 {
            let paths: Vec<Vec<Arc<str>>> = (0..1 + next(8))
                .map(|_| (0..next(4)).map(|_| names[next(3)].clone()).collect())
                .collect();
            let entries: Vec<Written> = paths
                .iter()
                .map(|p| Written {
                    path: p,
                    span: Span::new(0, 0),
                    what: "field",
                    overrides: next(3) == 0,
                })
                .collect();
            let mut seen = Seen::default();
            for (i, e) in entries.iter().enumerate() {
                assert_eq!(
                    seen.conflict_then_add(i, e),
                    scan(&entries, i),
                    "entry {i} of {paths:?}"
                );
            }
        }
    }
}
