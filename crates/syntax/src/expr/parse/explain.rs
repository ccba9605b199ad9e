//! Explaining a pest error in words: a small lexer, the bracket nesting
//! check run before pest, and the explainer.

use super::*;

/// Tokens as a person reads them; used only to explain errors, so it never
/// fails and never has to agree with the grammar on every corner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum TokKind {
    Word,
    Number,
    Str { closed: bool },
    Quoted { closed: bool },
    Date,
    Sym,
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Tok {
    kind: TokKind,
    start: usize,
    end: usize,
}

pub(super) fn lex(text: &str) -> Vec<Tok> {
    let bytes = text.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        let kind = if c.is_ascii_whitespace() {
            i += 1;
            continue;
        } else if c == b'\'' || c == b'"' {
            i += 1;
            let mut closed = false;
            while i < bytes.len() {
                if bytes[i] == b'\\' {
                    i += 2;
                } else if bytes[i] == c {
                    if c == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                        i += 2;
                    } else {
                        i += 1;
                        closed = true;
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            TokKind::Str { closed }
        } else if c == b'`' {
            i += 1;
            while i < bytes.len() && bytes[i] != b'`' {
                i += 1;
            }
            let closed = i < bytes.len();
            i = (i + 1).min(bytes.len());
            TokKind::Quoted { closed }
        } else if c == b'@' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
            i += 1;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || b"-:.+".contains(&bytes[i]))
            {
                i += 1;
            }
            TokKind::Date
        } else if c.is_ascii_digit() {
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.' || bytes[i] == b'_')
            {
                i += 1;
            }
            TokKind::Number
        } else if c.is_ascii_alphabetic() || c == b'_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            TokKind::Word
        } else {
            let two = text.get(i..i + 2).unwrap_or("");
            if ["==", "!=", "<=", ">=", "&&", "||", "<>", "=>"].contains(&two) {
                i += 2;
            } else {
                // One whole (possibly multi-byte) character.
                i += text[i..].chars().next().map_or(1, char::len_utf8);
            }
            TokKind::Sym
        };
        // Multi-byte characters: never end inside one.
        let mut end = i.min(bytes.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        i = end;
        toks.push(Tok { kind, start, end });
    }
    toks
}

/// Rejects bracket nesting deeper than [`MAX_EXPR_DEPTH`] before pest
/// recurses into it.
pub(super) fn check_nesting(text: &str, toks: &[Tok]) -> Result<(), SyntaxError> {
    let mut depth = 0usize;
    for t in toks.iter().filter(|t| t.kind == TokKind::Sym) {
        depth = match tok_text(text, t) {
            "(" | "[" => depth + 1,
            ")" | "]" => depth.saturating_sub(1),
            _ => depth,
        };
        if depth > MAX_EXPR_DEPTH {
            return Err(too_deep(Span::new(t.start, t.end)));
        }
    }
    Ok(())
}

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

pub(super) fn convert_error(text: &str, toks: &[Tok], e: pest::error::Error<Rule>) -> SyntaxError {
    let (pos, positives) = error_site(text, &e);
    let Some(positives) = positives else {
        // Pest's own call/stack limits.
        return SyntaxError {
            span: Span::new(pos, pos),
            message: "the expression nests too deeply".into(),
            label: "too deep from here on".into(),
            help: Some("split the computation into simpler expressions".into()),
        };
    };
    let expect_operand = positives.iter().any(|r| OPERAND_RULES.contains(r));
    explain(text, toks, pos, expect_operand)
}

pub(super) fn tok_text<'t>(text: &'t str, t: &Tok) -> &'t str {
    text.get(t.start..t.end).unwrap_or("")
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
    let err = |span: Span, message: String, label: &str, help: Option<String>| SyntaxError {
        span,
        message,
        label: label.to_string(),
        help,
    };

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
        return err(
            Span::new(t.start, t.start + 1),
            message.into(),
            "this quote is never closed",
            Some(help),
        );
    }

    // Brackets still open at `pos`, innermost last.
    let mut open: Vec<Open> = Vec::new();
    let mut prev: Option<&Tok> = None;
    for t in toks.iter().take_while(|t| t.end <= pos) {
        let s = tok_text(text, t);
        match (t.kind, s) {
            (TokKind::Sym, "(") => match prev {
                Some(p)
                    if p.kind == TokKind::Word && !OPERATOR_WORDS.contains(&tok_text(text, p)) =>
                {
                    open.push(Open::Call(tok_text(text, p).to_string()))
                }
                _ => open.push(Open::Paren),
            },
            (TokKind::Sym, "[") => open.push(Open::List),
            (TokKind::Sym, ")" | "]") => {
                open.pop();
            }
            _ => {}
        }
        prev = Some(t);
    }
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
            let op = tok_text(text, p);
            return err(
                end,
                format!("expected an operand after `{op}`"),
                "expected an operand",
                None,
            );
        }
        if prev.is_some_and(|p| tok_text(text, p) == ",") {
            return err(
                end,
                "expected a value after `,`".into(),
                "expected a value",
                None,
            );
        }
        return match open.last() {
            Some(Open::Call(name)) => err(
                end,
                format!("expected `)` to close the call to `{name}`"),
                "expected `)`",
                None,
            ),
            Some(Open::Paren) => err(
                end,
                "expected `)` to close `(`".into(),
                "expected `)`",
                None,
            ),
            Some(Open::List) => err(
                end,
                "expected `]` to close the list".into(),
                "expected `]`",
                None,
            ),
            None if expect_operand => err(
                end,
                "expected an operand".into(),
                "expected an operand",
                None,
            ),
            None => err(
                end,
                "unexpected end of expression".into(),
                "the expression stops here",
                None,
            ),
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
            let op = tok_text(text, p);
            return err(
                one,
                format!("expected an operand after `{op}`"),
                "expected an operand",
                None,
            );
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
    if (s == ")" || s == "]") && open.is_empty() {
        let o = if s == ")" { "(" } else { "[" };
        return err(
            one,
            format!("unexpected `{s}`"),
            &format!("no `{o}` to close"),
            None,
        );
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
            return err(
                one,
                format!("expected `)` to close the call to `{name}`"),
                "expected `)`",
                None,
            );
        }
    }
    err(one, format!("unexpected `{shown}`"), label, None)
}
