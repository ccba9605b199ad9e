//! Small helpers the expression and the `$filter` parsers share: spans of
//! pest pairs, where a pest error points, and text for error messages. The calendar rule
//! both use to reject dates that do not exist is in [`mapc_value::dates`].

use mapc_diag::Span;
use pest::error::{Error, ErrorVariant, InputLocation};
use pest::iterators::Pair;
use pest::RuleType;

/// The span of a pest pair.
pub(crate) fn span_of<R: RuleType>(p: &Pair<'_, R>) -> Span {
    let s = p.as_span();
    Span::new(s.start(), s.end())
}

/// Where a pest error on `text` points (within `text`), and the rules pest
/// expected there; `None` for a custom error (pest's own call/stack limits).
pub(crate) fn error_site<'e, R: RuleType>(text: &str, e: &'e Error<R>) -> (usize, Option<&'e [R]>) {
    let pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    }
    .min(text.len());
    let positives = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => Some(positives.as_slice()),
        ErrorVariant::CustomError { .. } => None,
    };
    (pos, positives)
}

/// One character at `pos`, or an empty span at the end of the text.
pub(crate) fn char_span(text: &str, pos: usize) -> Span {
    let len = text
        .get(pos..)
        .and_then(|r| r.chars().next())
        .map_or(0, char::len_utf8);
    Span::new(pos, pos + len)
}

/// `s`, cut to 20 characters and `…` when it is longer than 24.
pub(crate) fn shorten(s: &str) -> String {
    if s.chars().count() > 24 {
        let cut: String = s.chars().take(20).collect();
        format!("{cut}…")
    } else {
        s.to_string()
    }
}
