//! Small helpers the expression and the `$filter` parsers share: spans of
//! pest pairs, where a pest error points, and text for error messages. The calendar rule
//! both use to reject dates that do not exist is in [`mapc_value::dates`].

use crate::expr::SyntaxError;
use mapc_diag::Span;
use pest::error::{Error, ErrorVariant, InputLocation};
use pest::iterators::Pair;
use pest::RuleType;

mod lex;
mod messages;
pub(crate) use lex::*;
pub(crate) use messages::*;

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

/// A pest error on `text` as the grammar's [`SyntaxError`]: `explain` gets
/// where pest stopped and whether it wanted an operand there (one of
/// `operand_rules`), since that is what tells "`a +` lacks an operand"
/// from "`a b` lacks an operator".
pub(crate) fn convert_pest_error<R: RuleType>(
    text: &str,
    e: &Error<R>,
    operand_rules: &[R],
    words: &Words,
    explain: impl FnOnce(usize, bool) -> SyntaxError,
) -> SyntaxError {
    match error_site(text, e) {
        (pos, Some(positives)) => explain(pos, positives.iter().any(|r| operand_rules.contains(r))),
        (pos, None) => pest_limit(pos, words),
    }
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
