//! Explaining a pest error in words: the expression's lexicon for the
//! shared error lexer, and the explainer.

use super::*;
use crate::parse_util::{
    char_span, open_at, opener, operand_after, operand_expected, quoted_tail, run_tail, shorten,
    syntax_error as err, tok_text, unclosed, unclosed_call, unclosed_quote, unexpected_end,
    unopened, value_after_comma, Escapes, Lexicon,
};

/// Tokens as a person reads them; used only to explain errors and to bound
/// nesting, so lexing never fails and never has to agree with the grammar
/// on every corner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum TokKind {
    Word,
    Number,
    Str { closed: bool },
    Quoted { closed: bool },
    Date,
    Sym,
}

impl Lexicon for TokKind {
    const SYM: Self = TokKind::Sym;
    const PAIRS: &'static [&'static str] = &["==", "!=", "<=", ">=", "&&", "||", "<>", "=>"];
    const OPEN: &'static [&'static str] = &["(", "["];
    const CLOSE: &'static [&'static str] = &[")", "]"];

    fn scan(text: &str, i: usize) -> Option<(Self, usize)> {
        let b = text.as_bytes();
        let c = b[i];
        Some(if c == b'\'' || c == b'"' {
            // Only single quotes double: `'it''s'`, but `"a\"b"`.
            let esc = if c == b'\'' {
                Escapes::BOTH
            } else {
                Escapes::BACKSLASH
            };
            let (end, closed) = quoted_tail(b, i + 1, c, esc);
            (TokKind::Str { closed }, end)
        } else if c == b'`' {
            let (end, closed) = quoted_tail(b, i + 1, c, Escapes::NONE);
            (TokKind::Quoted { closed }, end)
        } else if c == b'@' && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
            let end = run_tail(b, i + 1, |c| {
                c.is_ascii_alphanumeric() || b"-:.+".contains(&c)
            });
            (TokKind::Date, end)
        } else if c.is_ascii_digit() {
            let end = run_tail(b, i, |c| {
                c.is_ascii_alphanumeric() || c == b'.' || c == b'_'
            });
            (TokKind::Number, end)
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let end = run_tail(b, i, |c| c.is_ascii_alphanumeric() || c == b'_');
            (TokKind::Word, end)
        } else {
            return None;
        })
    }
}

pub(super) type Tok = crate::parse_util::Tok<TokKind>;

pub(super) const OPERATOR_WORDS: &[&str] = &["and", "or", "not", "in"];
pub(super) const KEYWORDS: &[&str] = &["and", "or", "not", "in", "null", "true", "false"];
pub(super) const OPERATOR_SYMS: &[&str] = &[
    "+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "!",
];
pub(super) const ODATA_COMPARISONS: &[(&str, &str)] = &[
    ("eq", "=="),
    ("ne", "!="),
    ("gt", ">"),
    ("ge", ">="),
    ("lt", "<"),
    ("le", "<="),
];

/// Rules whose presence among pest's expectations means "an operand was
/// expected here" (rather than an operator).
pub(super) const OPERAND_RULES: &[Rule] = &[
    Rule::or_expr,
    Rule::and_expr,
    Rule::not_expr,
    Rule::cmp_expr,
    Rule::add_expr,
    Rule::mul_expr,
    Rule::neg_expr,
    Rule::paren,
    Rule::call,
    Rule::list,
    Rule::path,
    Rule::ident,
    Rule::quoted_ident,
    Rule::null_lit,
    Rule::bool_lit,
    Rule::number,
    Rule::string,
    Rule::date_lit,
    Rule::not_op,
    Rule::neg_op,
];

#[derive(Debug)]
pub(super) enum Open {
    Call(String),
    Paren,
    List,
}

pub(super) fn is_operator(text: &str, t: &Tok) -> bool {
    let s = tok_text(text, t);
    match t.kind {
        TokKind::Word => OPERATOR_WORDS.contains(&s),
        TokKind::Sym => OPERATOR_SYMS.contains(&s),
        _ => false,
    }
}

pub(super) fn explain(text: &str, toks: &[Tok], pos: usize, expect_operand: bool) -> SyntaxError {
    // An unterminated string or quoted name swallows the rest of the text.
    if let Some(t) = toks.iter().find(|t| {
        t.start <= pos
            && matches!(
                t.kind,
                TokKind::Str { closed: false } | TokKind::Quoted { closed: false }
            )
    }) {
        let quote = text.get(t.start..t.start + 1).unwrap_or("'");
        let (message, help) = if matches!(t.kind, TokKind::Str { .. }) {
            (
                "unterminated string",
                format!("close the string with a matching {quote}; inside single quotes write `''` or `\\'` for a quote"),
            )
        } else {
            (
                "unterminated quoted name",
                "close the name with a backtick: `` `@odata.etag` ``".to_string(),
            )
        };
        return unclosed_quote(t.start, message, help);
    }

    let (open, prev) = open_at(text, toks, pos, |prev, t| match tok_text(text, t) {
        "(" => Some(match prev {
            Some(p) if p.kind == TokKind::Word && !OPERATOR_WORDS.contains(&tok_text(text, p)) => {
                Open::Call(tok_text(text, p).to_string())
            }
            _ => Open::Paren,
        }),
        "[" => Some(Open::List),
        _ => None,
    });
    // The token at `pos`; a symbol such as `<>` also when `pos` is inside it.
    let here = toks
        .iter()
        .find(|t| t.start == pos || (t.kind == TokKind::Sym && t.start < pos && pos < t.end));
    let at_end = here.is_none() && text.get(pos..).is_none_or(|r| r.trim().is_empty());

    if let Some(word) = here
        .filter(|t| t.kind == TokKind::Word && expect_operand)
        .map(|t| tok_text(text, t))
        .filter(|w| KEYWORDS.contains(w) && text.get(pos.saturating_sub(1)..pos) == Some("."))
    {
        return err(
            char_span(text, pos),
            format!("`{word}` is a keyword, not a field name"),
            "keyword",
            Some(format!("quote it in backticks: `` `{word}` ``")),
        );
    }
    if pos > 0 && text.get(pos - 1..pos) == Some(".") && expect_operand {
        return err(
            char_span(text, pos),
            "expected a name after `.`".into(),
            "expected a field name",
            Some("quote a name with other characters in backticks: `` customer.`e-mail` ``".into()),
        );
    }

    if at_end {
        let end = Span::new(text.len(), text.len());
        if let Some(p) = prev.filter(|p| is_operator(text, p)) {
            return operand_after(end, tok_text(text, p));
        }
        if prev.is_some_and(|p| tok_text(text, p) == ",") {
            return value_after_comma(end);
        }
        return match open.last() {
            Some(Open::Call(name)) => unclosed_call(end, name),
            Some(Open::Paren) => unclosed(end, ")", "`(`"),
            Some(Open::List) => unclosed(end, "]", "the list"),
            None if expect_operand => operand_expected(end),
            None => unexpected_end(end, &WORDS),
        };
    }

    let span = here.map_or_else(|| char_span(text, pos), |t| Span::new(t.start, t.end));
    let one = char_span(text, pos);
    let s = text.get(span.start..span.end).unwrap_or("");
    let shown = shorten(s);
    let kind = here.map(|t| t.kind);

    if s == "=" {
        return err(
            one,
            "unexpected `=`".into(),
            "not an operator",
            Some("use `==` to compare".into()),
        );
    }
    if s == "<>" {
        return err(
            span,
            "unexpected `<>`".into(),
            "not an operator",
            Some("use `!=` for \"not equal\"".into()),
        );
    }
    if kind == Some(TokKind::Word) && !expect_operand {
        if let Some((_, sym)) = ODATA_COMPARISONS
            .iter()
            .find(|(w, _)| w.eq_ignore_ascii_case(s))
        {
            return err(
                one,
                format!("unexpected `{s}`"),
                "expected an operator",
                Some(format!(
                    "expressions use `{sym}`, not `{s}` (comparisons are `==`, `!=`, `<`, `<=`, `>`, `>=`); \
                     OData operators belong in `filter:`"
                )),
            );
        }
        if ["and", "or", "not", "in"]
            .iter()
            .any(|k| k.eq_ignore_ascii_case(s) && *k != s)
        {
            return err(
                one,
                format!("unexpected `{s}`"),
                "expected an operator",
                Some(format!(
                    "keywords are lowercase: `{}`",
                    s.to_ascii_lowercase()
                )),
            );
        }
        if s == "not" {
            return err(
                one,
                "unexpected `not`".into(),
                "`not` is a prefix operator",
                Some("write `not (x in [a, b])` or `x != y`".into()),
            );
        }
    }
    if kind == Some(TokKind::Number) && expect_operand {
        return err(
            span,
            format!("invalid number `{shown}`"),
            "not a number",
            Some(
                "numbers are plain decimals such as `42` or `10.005` (no exponent, no leading `.`)"
                    .into(),
            ),
        );
    }
    if s == "@" || (s.starts_with('@') && kind != Some(TokKind::Date)) {
        return err(
            one,
            "unexpected `@`".into(),
            "not a value",
            Some("dates are written `@2026-11-22`; quote a field name that has `@` with backticks: `` `@odata.etag` ``".into()),
        );
    }
    if expect_operand {
        if let Some(p) = prev.filter(|p| is_operator(text, p)) {
            return operand_after(one, tok_text(text, p));
        }
        if s == ")"
            && matches!(open.last(), Some(Open::Call(_)))
            && prev.is_some_and(|p| tok_text(text, p) == ",")
        {
            return err(
                one,
                "unexpected `)`".into(),
                "expected an argument after `,`",
                None,
            );
        }
        return err(
            one,
            format!("unexpected `{shown}`"),
            "expected an operand",
            None,
        );
    }
    if kind == Some(TokKind::Sym) && ["==", "!=", "<", "<=", ">", ">="].contains(&s)
        || (kind == Some(TokKind::Word) && s == "in")
    {
        return err(
            one,
            format!("comparisons cannot be chained: unexpected `{s}`"),
            "a second comparison",
            Some("combine comparisons with `and`, e.g. `a < b and b < c`".into()),
        );
    }
    if let Some(o) = opener::<TokKind>(s).filter(|_| open.is_empty()) {
        return unopened(one, s, o);
    }
    if kind == Some(TokKind::Date) {
        // Reached only when something before the date was incomplete.
        return err(
            one,
            format!("unexpected `{shown}`"),
            "expected an operator",
            None,
        );
    }
    let label = match open.last() {
        Some(Open::Call(_)) => "expected an operator, `,` or `)`",
        Some(Open::List) => "expected an operator, `,` or `]`",
        Some(Open::Paren) => "expected an operator or `)`",
        None => "expected an operator",
    };
    if let Some(Open::Call(name)) = open.last() {
        if s == "]" {
            return unclosed_call(one, name);
        }
    }
    err(one, format!("unexpected `{shown}`"), label, None)
}
