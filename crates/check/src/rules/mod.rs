//! Spec rules over the AST, one module per phase of the code registry.
//! To find the rule behind a code, search for its variant (e.g. `Code::M0601`).
//!
//! - [`sync`]: M06xx, sync directions and locked product fields;
//! - [`integration`]: M07xx, products, sales prices, companies, polling;
//! - [`security`]: M08xx, secrets, `${ENV}` references, auth settings;
//! - [`limits`]: M0306 for dotted field names given as plain text.
//!
//! Every rule only reads the AST and pushes diagnostics; none stops the
//! others, so a file with many problems reports all of them in one run.

pub mod integration;
pub mod limits;
pub mod security;
pub mod sync;

use mapc_diag::{Diagnostics, Span};
use mapc_syntax::spec::{Spanned, Spec, SyncDirection};

/// Runs every AST rule.
pub fn run(spec: &Spec, diags: &mut Diagnostics) -> Findings {
    sync::run(spec, diags);
    integration::run(spec, diags);
    let mut secrets = security::run(spec, diags);
    limits::run(spec, diags);
    security::unknown_key_secrets(spec, diags, &mut secrets);
    integration::sales_price_fields(spec, diags);
    integration::empty_sales_codes(spec, diags);
    Findings { secrets }
}

/// What the rules found that later steps act on (besides the diagnostics).
#[derive(Debug, Default)]
pub struct Findings {
    /// The spans of literal secrets (each reported as M0801): reports show
    /// the spec's text redacted there.
    pub secrets: Vec<Span>,
}

/// The span of the bytes `start..end` of a string value's *content*, in file
/// offsets. The AST keeps the span of the whole YAML scalar; for a plain
/// scalar that is the content itself, for a quoted one the content starts one
/// byte in (a quoted scalar's span may also run on over trailing blanks).
/// Escapes before `start` (rare in settings) would shift the place; a value
/// too short to be either is returned whole.
pub(crate) fn inner_span(s: &Spanned<String>, start: usize, end: usize) -> Span {
    let raw = s.span.len();
    let n = s.value.len();
    let end = end.min(n).max(start);
    if raw == n {
        s.span.sub(start, end)
    } else if raw >= n + 2 {
        s.span.sub(start + 1, end + 1)
    } else {
        s.span
    }
}

/// The snake_case name of a sync direction, as written in a spec.
pub(crate) fn sync_name(s: SyncDirection) -> &'static str {
    match s {
        SyncDirection::Once => "once",
        SyncDirection::SourceToTarget => "source_to_target",
        SyncDirection::TargetToSource => "target_to_source",
        SyncDirection::TwoWay => "two_way",
    }
}

/// True for directions that write into the source.
pub(crate) fn writes_back(s: SyncDirection) -> bool {
    matches!(s, SyncDirection::TargetToSource | SyncDirection::TwoWay)
}
