//! Target path conflicts within one mapping (or one product line):
//! M0405 (the same path written twice) and M0407 (`a` written as a value
//! while `a.b` is also written).

use mapc_diag::{Diagnostic, Diagnostics, Span};
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

/// `scope` names the record, e.g. "mapping `x`" or "each product line of mapping `x`".
pub fn check(entries: &[Written], scope: &str, diags: &mut Diagnostics) {
    for (i, e) in entries.iter().enumerate() {
        for first in &entries[..i] {
            if e.path == first.path {
                if e.overrides || first.overrides {
                    continue;
                }
                diags.push(
                    Diagnostic::new("M0405", e.span, format!("the target path `{}` is written twice in {scope}", dotted(e.path)))
                        .label(format!("second write (by a {})", e.what))
                        .related(first.span, format!("first written here (by a {})", first.what))
                        .help("a target path may be written by at most one entry; remove one of them, or use a `set` rule to override the value conditionally"),
                );
                break;
            }
            let (short, long) = if e.path.len() < first.path.len() {
                (e, first)
            } else {
                (first, e)
            };
            if short.path.len() < long.path.len() && long.path.starts_with(short.path) {
                let s = dotted(short.path);
                diags.push(
                    Diagnostic::new("M0407", e.span, format!("`{s}` is written as a value while `{}` is also written in {scope}", dotted(long.path)))
                        .label(if std::ptr::eq(short, e) { "written as a whole value here" } else { "written as a member here" })
                        .related(first.span, if std::ptr::eq(short, first) { "written as a whole value here" } else { "written as a member here" })
                        .help(format!("either write the whole object `{s}` or only its members such as `{}`, not both", dotted(long.path))),
                );
                break;
            }
        }
    }
}
