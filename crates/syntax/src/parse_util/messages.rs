//! The syntax errors both grammars word alike. One wording, so that an
//! expression and a `$filter` say the same thing about the same mistake;
//! where they must differ, they differ by [`Words`].

use crate::expr::SyntaxError;
use mapc_diag::Span;

/// The words in which the two grammars' shared errors differ: each names
/// its own kind of text, and shows the way out of a limit in its own syntax
/// (`[a, b]` is a list in an expression, `('a', 'b')` in a filter).
pub(crate) struct Words {
    /// What the text is called: `expression`, `filter`.
    pub noun: &'static str,
    /// What an empty text should hold, as in "expected ...".
    pub wanted: &'static str,
    /// The help for an empty text.
    pub empty_help: &'static str,
    /// The help for going past a depth limit.
    pub simplify: &'static str,
    /// A membership test, offered instead of a long `or` chain.
    pub in_list: &'static str,
}

pub(crate) fn syntax_error(
    span: Span,
    message: String,
    label: &str,
    help: Option<String>,
) -> SyntaxError {
    SyntaxError {
        span,
        message,
        label: label.to_string(),
        help,
    }
}

/// Refuses a text that holds only whitespace, at its end.
pub(crate) fn not_empty(text: &str, w: &Words) -> Result<(), SyntaxError> {
    if !text.trim().is_empty() {
        return Ok(());
    }
    let start = text.len() - text.trim_start().len();
    Err(syntax_error(
        Span::new(start, start),
        format!("empty {}", w.noun),
        &format!("expected {}", w.wanted),
        Some(w.empty_help.into()),
    ))
}

/// For what the grammar accepted but the builder did not expect.
pub(crate) fn internal_error(text: &str, w: &Words) -> SyntaxError {
    syntax_error(
        Span::new(0, text.len()),
        format!("the {} could not be read", w.noun),
        "here",
        Some(format!(
            "this is a bug in mapc; please report it with the {}",
            w.noun
        )),
    )
}

/// Pest's own call/stack limit, hit before ours.
pub(crate) fn pest_limit(pos: usize, w: &Words) -> SyntaxError {
    syntax_error(
        Span::new(pos, pos),
        format!("the {} nests too deeply", w.noun),
        "too deep from here on",
        Some(w.simplify.into()),
    )
}

/// Real nesting deeper than `max`.
pub(crate) fn too_deep(span: Span, max: usize, w: &Words) -> SyntaxError {
    syntax_error(
        span,
        format!("the {} nests more than {max} levels deep", w.noun),
        "too deep from here on",
        Some(w.simplify.into()),
    )
}

/// A tree deeper than `max`, operator chains included.
pub(crate) fn too_long(span: Span, max: usize, w: &Words) -> SyntaxError {
    syntax_error(
        span,
        format!(
            "the {} nests more than {max} operations deep (each operator of a chain counts)",
            w.noun
        ),
        "too many operations from here on",
        Some(format!(
            "use `{}` instead of a long `or` chain, or {}",
            w.in_list, w.simplify
        )),
    )
}

/// A path past the bounds of [`crate::limits`].
pub(crate) fn check_path(text: &str, segments: &[Span]) -> Result<(), SyntaxError> {
    match crate::limits::check_path(text, segments) {
        Some((at, message)) => Err(syntax_error(
            at,
            message,
            "the path is too long from here",
            Some(crate::limits::PATH_LIMIT_HELP.into()),
        )),
        None => Ok(()),
    }
}

/// A quote at `start` that is never closed.
pub(crate) fn unclosed_quote(start: usize, message: &str, help: String) -> SyntaxError {
    syntax_error(
        Span::new(start, start + 1),
        message.into(),
        "this quote is never closed",
        Some(help),
    )
}

pub(crate) fn operand_after(span: Span, op: &str) -> SyntaxError {
    syntax_error(
        span,
        format!("expected an operand after `{op}`"),
        "expected an operand",
        None,
    )
}

pub(crate) fn operand_expected(span: Span) -> SyntaxError {
    syntax_error(
        span,
        "expected an operand".into(),
        "expected an operand",
        None,
    )
}

pub(crate) fn value_after_comma(span: Span) -> SyntaxError {
    syntax_error(
        span,
        "expected a value after `,`".into(),
        "expected a value",
        None,
    )
}

/// `what` (`` `(` ``, `the list`, ...) still open where `close` was due.
pub(crate) fn unclosed(span: Span, close: &str, what: &str) -> SyntaxError {
    syntax_error(
        span,
        format!("expected `{close}` to close {what}"),
        &format!("expected `{close}`"),
        None,
    )
}

pub(crate) fn unclosed_call(span: Span, name: &str) -> SyntaxError {
    unclosed(span, ")", &format!("the call to `{name}`"))
}

/// A closing bracket `close` with no `open` before it.
pub(crate) fn unopened(span: Span, close: &str, open: &str) -> SyntaxError {
    syntax_error(
        span,
        format!("unexpected `{close}`"),
        &format!("no `{open}` to close"),
        None,
    )
}

/// The text stops where more was due and nothing is open.
pub(crate) fn unexpected_end(span: Span, w: &Words) -> SyntaxError {
    syntax_error(
        span,
        format!("unexpected end of {}", w.noun),
        &format!("the {} stops here", w.noun),
        None,
    )
}
