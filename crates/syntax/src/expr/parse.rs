//! Expression text -> [`Expr`], and pest errors -> human [`SyntaxError`]s.
//!
//! The grammar is `grammar/expr.pest`. Spans are byte offsets relative to the
//! start of the parsed text. Parsing never panics: every input yields either
//! an expression or an error.

use super::ast::{BinaryOp, Expr, ExprKind, Ident, SyntaxError, UnaryOp};
use crate::depth::{Depth, Limits};
use crate::parse_util::{char_span, days_in_month, error_site, shorten, span_of};
use mapc_diag::Span;
use pest::iterators::Pair;
use pest::Parser as _;

mod grammar {
    #[derive(pest_derive::Parser)]
    #[grammar = "../../../grammar/expr.pest"]
    pub struct ExprParser;
}
use grammar::{ExprParser, Rule};

/// The deepest real nesting an expression may have: brackets, calls, lists
/// and prefix operators (`not`, `-`) each count one level; a chain of binary
/// operators (`a + b + c`, `x or y or z`) does not.
pub const MAX_EXPR_DEPTH: usize = 64;

/// The deepest tree an expression may have, operator chains included (a
/// chain of `n` operators is `n` levels deep, since it folds to the left).
/// Keeps recursive consumers (checker, evaluator, `Drop`) far from the stack
/// limit on hostile input, while long flat chains stay fine.
pub const MAX_EXPR_TREE_DEPTH: usize = 256;

/// The depth limits of an expression and their messages.
const LIMITS: Limits = Limits {
    nest: MAX_EXPR_DEPTH,
    tree: MAX_EXPR_TREE_DEPTH,
    too_deep,
    too_long,
};

/// Parses one expression (`expr:` or a rule's `when:`).
///
/// Spans in the result (and in the error) are byte offsets into `text`.
pub fn parse(text: &str) -> Result<Expr, SyntaxError> {
    if text.trim().is_empty() {
        let start = text.len() - text.trim_start().len();
        return Err(SyntaxError {
            span: Span::new(start, start),
            message: "empty expression".into(),
            label: "expected an expression".into(),
            help: Some(
                "write a value, a field path or a formula, e.g. `round(amount * 1.2, 2)`".into(),
            ),
        });
    }
    if let Some(expr) = fast::parse(text) {
        return Ok(expr);
    }
    parse_with_pest(text)
}

/// The reference reading of `text`: pest with `grammar/expr.pest`, then
/// [`Builder`]. Every syntax error comes from here.
fn parse_with_pest(text: &str) -> Result<Expr, SyntaxError> {
    let tokens = lex(text);
    check_nesting(text, &tokens)?;
    let mut pairs =
        ExprParser::parse(Rule::expression, text).map_err(|e| convert_error(text, &tokens, e))?;
    let root = pairs.next().ok_or_else(|| internal(text))?;
    let first = root
        .into_inner()
        .find(|p| p.as_rule() != Rule::EOI)
        .ok_or_else(|| internal(text))?;
    let (expr, _) = Builder { text }.expr(first)?;
    Ok(expr)
}

fn internal(text: &str) -> SyntaxError {
    SyntaxError {
        span: Span::new(0, text.len()),
        message: "the expression could not be read".into(),
        label: "here".into(),
        help: Some("this is a bug in mapc; please report it with the expression".into()),
    }
}

// ------------------------------------------------------------------ builder

/// A built node and its depth.
type Built = (Expr, Depth);

struct Builder<'a> {
    text: &'a str,
}

/// Skips operator levels that hold a single operand (`or_expr` -> ... ->
/// `neg_expr` -> `paren`), so that building recurses once per real node and
/// not once per grammar level.
fn skip_levels(mut pair: Pair<'_, Rule>) -> Pair<'_, Rule> {
    while matches!(
        pair.as_rule(),
        Rule::or_expr
            | Rule::and_expr
            | Rule::not_expr
            | Rule::cmp_expr
            | Rule::add_expr
            | Rule::mul_expr
            | Rule::neg_expr
    ) {
        let mut inner = pair.clone().into_inner();
        match (inner.next(), inner.next()) {
            (Some(only), None) => pair = only,
            _ => break,
        }
    }
    pair
}

impl Builder<'_> {
    fn expr(&self, pair: Pair<'_, Rule>) -> Result<Built, SyntaxError> {
        let pair = skip_levels(pair);
        match pair.as_rule() {
            Rule::or_expr | Rule::and_expr | Rule::cmp_expr | Rule::add_expr | Rule::mul_expr => {
                self.chain(pair)
            }
            Rule::not_expr | Rule::neg_expr => self.prefix(pair),
            _ => self.primary(pair),
        }
    }

    #[inline(never)]
    fn primary(&self, pair: Pair<'_, Rule>) -> Result<Built, SyntaxError> {
        let span = span_of(&pair);
        match pair.as_rule() {
            Rule::paren => {
                let inner = pair
                    .into_inner()
                    .find(|p| p.as_rule() != Rule::close_paren)
                    .ok_or_else(|| internal(self.text))?;
                let (mut e, d) = self.expr(inner)?;
                // The parenthesised node covers its parentheses.
                e.span = span;
                Ok((e, d))
            }
            Rule::call => {
                let mut inner = pair.into_inner();
                let name_pair = inner.next().ok_or_else(|| internal(self.text))?;
                let name = Ident {
                    name: name_pair.as_str().to_string(),
                    span: span_of(&name_pair),
                };
                let mut args = Vec::new();
                let mut depth = Depth::default();
                for p in inner.filter(|p| p.as_rule() != Rule::close_paren) {
                    let (a, d) = self.expr(p)?;
                    depth = depth.max(d);
                    args.push(a);
                }
                self.node(ExprKind::Call { name, args }, span, depth.nested())
            }
            Rule::list => {
                let mut items = Vec::new();
                let mut depth = Depth::default();
                for p in pair
                    .into_inner()
                    .filter(|p| p.as_rule() != Rule::close_bracket)
                {
                    let (a, d) = self.expr(p)?;
                    depth = depth.max(d);
                    items.push(a);
                }
                self.node(ExprKind::List(items), span, depth.nested())
            }
            Rule::path => {
                let segs = pair
                    .into_inner()
                    .map(|p| {
                        let raw = p.as_str();
                        let name = if p.as_rule() == Rule::quoted_ident {
                            raw.get(1..raw.len().saturating_sub(1))
                                .unwrap_or("")
                                .to_string()
                        } else {
                            raw.to_string()
                        };
                        Ident {
                            name,
                            span: span_of(&p),
                        }
                    })
                    .collect::<Vec<Ident>>();
                let spans: Vec<Span> = segs.iter().map(|s| s.span).collect();
                if let Some((at, message)) = crate::limits::check_path(self.text, &spans) {
                    return Err(SyntaxError {
                        span: at,
                        message,
                        label: "the path is too long from here".into(),
                        help: Some(crate::limits::PATH_LIMIT_HELP.into()),
                    });
                }
                Ok((
                    Expr {
                        kind: ExprKind::Path(segs),
                        span,
                    },
                    Depth::LEAF,
                ))
            }
            Rule::null_lit => Ok((
                Expr {
                    kind: ExprKind::Null,
                    span,
                },
                Depth::LEAF,
            )),
            Rule::bool_lit => Ok((
                Expr {
                    kind: ExprKind::Bool(pair.as_str() == "true"),
                    span,
                },
                Depth::LEAF,
            )),
            Rule::number => Ok((
                Expr {
                    kind: ExprKind::Number(pair.as_str().to_string()),
                    span,
                },
                Depth::LEAF,
            )),
            Rule::string => {
                let value = unescape(pair.as_str(), span.start)?;
                Ok((
                    Expr {
                        kind: ExprKind::String(value),
                        span,
                    },
                    Depth::LEAF,
                ))
            }
            Rule::date_lit => {
                let raw = pair.as_str();
                let body = raw.get(1..).unwrap_or("");
                let kind = match check_date_literal(body) {
                    Ok(DateKind::Date) => ExprKind::Date(body.to_string()),
                    Ok(DateKind::DateTime) => ExprKind::DateTime(body.to_string()),
                    Err(why) => {
                        let what = if body.len() > 10 { "date-time" } else { "date" };
                        return Err(SyntaxError {
                            span,
                            message: format!("invalid {what} `{raw}`"),
                            label: crate::dates::date_part_problem(body)
                                .unwrap_or_else(|| why.into()),
                            help: Some(
                                "dates are written `@YYYY-MM-DD` (e.g. `@2026-11-22`), date-times \
                                 `@2026-11-22T10:00:00Z` or with an offset such as `+01:00`"
                                    .into(),
                            ),
                        });
                    }
                };
                Ok((Expr { kind, span }, Depth::LEAF))
            }
            _ => Err(internal(self.text)),
        }
    }

    fn node(&self, kind: ExprKind, span: Span, depth: Depth) -> Result<Built, SyntaxError> {
        if depth.too_deep(&LIMITS) {
            return Err(depth.error(&LIMITS, span));
        }
        Ok((Expr { kind, span }, depth))
    }

    /// `a op b op c ...`, folded to the left.
    fn chain(&self, pair: Pair<'_, Rule>) -> Result<Built, SyntaxError> {
        let mut inner = pair.into_inner();
        let first = inner.next().ok_or_else(|| internal(self.text))?;
        let (mut lhs, mut depth) = self.expr(first)?;
        while let Some(op_pair) = inner.next() {
            let op = binary_op(op_pair.as_str()).ok_or_else(|| internal(self.text))?;
            let rhs_pair = inner.next().ok_or_else(|| internal(self.text))?;
            let (rhs, d) = self.expr(rhs_pair)?;
            let span = lhs.span.join(rhs.span);
            depth = depth.chained(d);
            if depth.too_deep(&LIMITS) {
                return Err(depth.error(&LIMITS, span_of(&op_pair)));
            }
            lhs = Expr {
                kind: ExprKind::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                span,
            };
        }
        Ok((lhs, depth))
    }

    /// `not not x`, `--x`: prefix operators, innermost last.
    fn prefix(&self, pair: Pair<'_, Rule>) -> Result<Built, SyntaxError> {
        let inner: Vec<Pair<'_, Rule>> = pair.into_inner().collect();
        let Some((operand, ops)) = inner.split_last() else {
            return Err(internal(self.text));
        };
        let (mut e, mut depth) = self.expr(operand.clone())?;
        for op_pair in ops.iter().rev() {
            let op = match op_pair.as_rule() {
                Rule::not_op => UnaryOp::Not,
                Rule::neg_op => UnaryOp::Neg,
                _ => return Err(internal(self.text)),
            };
            depth = depth.nested();
            let op_span = span_of(op_pair);
            if depth.too_deep(&LIMITS) {
                return Err(depth.error(&LIMITS, op_span));
            }
            let span = op_span.join(e.span);
            e = Expr {
                kind: ExprKind::Unary {
                    op,
                    expr: Box::new(e),
                },
                span,
            };
        }
        Ok((e, depth))
    }
}

fn binary_op(s: &str) -> Option<BinaryOp> {
    Some(match s {
        "or" | "||" => BinaryOp::Or,
        "and" | "&&" => BinaryOp::And,
        "==" => BinaryOp::Eq,
        "!=" => BinaryOp::Ne,
        "<" => BinaryOp::Lt,
        "<=" => BinaryOp::Le,
        ">" => BinaryOp::Gt,
        ">=" => BinaryOp::Ge,
        "in" => BinaryOp::In,
        "+" => BinaryOp::Add,
        "-" => BinaryOp::Sub,
        "*" => BinaryOp::Mul,
        "/" => BinaryOp::Div,
        "%" => BinaryOp::Mod,
        _ => return None,
    })
}

fn too_deep(span: Span) -> SyntaxError {
    SyntaxError {
        span,
        message: format!("the expression nests more than {MAX_EXPR_DEPTH} levels deep"),
        label: "too deep from here on".into(),
        help: Some("split the computation into simpler expressions".into()),
    }
}

fn too_long(span: Span) -> SyntaxError {
    SyntaxError {
        span,
        message: format!(
            "the expression nests more than {MAX_EXPR_TREE_DEPTH} operations deep (each operator of a chain counts)"
        ),
        label: "too many operations from here on".into(),
        help: Some(
            "use `x in [a, b, c]` instead of a long `or` chain, or split the computation into simpler expressions".into(),
        ),
    }
}

// ------------------------------------------------------------ string escapes

/// Decodes a quoted string literal (with its quotes). `at` is the literal's
/// offset, for error spans.
fn unescape(raw: &str, at: usize) -> Result<String, SyntaxError> {
    let quote = raw.chars().next().unwrap_or('\'');
    let body = raw.get(1..raw.len().saturating_sub(1)).unwrap_or("");
    let mut out = String::with_capacity(body.len());
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == quote && quote == '\'' {
            // The grammar only lets a single quote through as `''`.
            chars.next();
            out.push('\'');
            continue;
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        let esc_start = at + 1 + i;
        let bad = |len: usize, what: String| SyntaxError {
            span: Span::new(esc_start, esc_start + len),
            message: what,
            label: "here".into(),
            help: Some(
                "valid escapes are `\\\\`, `\\'`, `\\\"`, `\\n`, `\\t`, `\\r` and `\\u{XXXX}`; \
                 inside single quotes `''` is a quote too"
                    .into(),
            ),
        };
        match chars.next() {
            Some((_, '\\')) => out.push('\\'),
            Some((_, '\'')) => out.push('\''),
            Some((_, '"')) => out.push('"'),
            Some((_, 'n')) => out.push('\n'),
            Some((_, 't')) => out.push('\t'),
            Some((_, 'r')) => out.push('\r'),
            Some((_, 'u')) => {
                let rest = body.get(i + 2..).unwrap_or("");
                let close = rest.find('}');
                let hex = match (rest.starts_with('{'), close) {
                    (true, Some(end)) => rest.get(1..end).unwrap_or(""),
                    _ => return Err(bad(2, "invalid unicode escape; write `\\u{XXXX}`".into())),
                };
                let len = 2 + hex.len() + 2;
                let ch = (!hex.is_empty() && hex.len() <= 6)
                    .then(|| u32::from_str_radix(hex, 16).ok())
                    .flatten()
                    .and_then(char::from_u32);
                match ch {
                    Some(ch) => out.push(ch),
                    None => return Err(bad(len, format!("invalid unicode escape `\\u{{{hex}}}`"))),
                }
                // Skip `{hex}`.
                for _ in 0..hex.chars().count() + 2 {
                    chars.next();
                }
            }
            Some((_, other)) => {
                return Err(bad(
                    1 + other.len_utf8(),
                    format!("unknown escape `\\{other}` in a string"),
                ))
            }
            None => return Err(bad(1, "a string cannot end with a lone `\\`".into())),
        }
    }
    Ok(out)
}

// ------------------------------------------------------------------- dates

enum DateKind {
    Date,
    DateTime,
}

fn digits(s: &str, n: usize) -> Option<u32> {
    (s.len() == n && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// Validates `YYYY-MM-DD` or an RFC 3339 date-time (`T`, `HH:MM:SS`, optional
/// fraction, `Z` or `±HH:MM`). Returns a short reason on failure.
fn check_date_literal(s: &str) -> Result<DateKind, &'static str> {
    let date = s.get(..10).ok_or("expected `YYYY-MM-DD`")?;
    let (y, m, d) = match (
        date.get(0..4),
        date.get(4..5),
        date.get(5..7),
        date.get(7..8),
        date.get(8..10),
    ) {
        (Some(y), Some("-"), Some(m), Some("-"), Some(d)) => (
            digits(y, 4).ok_or("expected `YYYY-MM-DD`")?,
            digits(m, 2).ok_or("expected `YYYY-MM-DD`")?,
            digits(d, 2).ok_or("expected `YYYY-MM-DD`")?,
        ),
        _ => return Err("expected `YYYY-MM-DD`"),
    };
    if !(1..=12).contains(&m) {
        return Err("there is no such month");
    }
    if d == 0 || d > days_in_month(i64::from(y), m) {
        return Err("there is no such day in this month");
    }
    let rest = &s[10..];
    if rest.is_empty() {
        return Ok(DateKind::Date);
    }
    let time = rest
        .strip_prefix('T')
        .ok_or("expected `T` and a time after the date")?;
    let hms = time.get(..8).ok_or("expected a time `HH:MM:SS`")?;
    let (h, mi, se) = match (
        hms.get(0..2),
        hms.get(2..3),
        hms.get(3..5),
        hms.get(5..6),
        hms.get(6..8),
    ) {
        (Some(h), Some(":"), Some(mi), Some(":"), Some(se)) => (
            digits(h, 2).ok_or("expected a time `HH:MM:SS`")?,
            digits(mi, 2).ok_or("expected a time `HH:MM:SS`")?,
            digits(se, 2).ok_or("expected a time `HH:MM:SS`")?,
        ),
        _ => return Err("expected a time `HH:MM:SS`"),
    };
    if h > 23 || mi > 59 || se > 59 {
        return Err("there is no such time of day");
    }
    let mut rest = &time[8..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 || n > 9 {
            return Err("expected 1 to 9 digits of fractional seconds");
        }
        rest = &frac[n..];
    }
    match rest {
        "Z" => Ok(DateKind::DateTime),
        _ => {
            let off = rest
                .strip_prefix('+')
                .or_else(|| rest.strip_prefix('-'))
                .ok_or("expected `Z` or an offset such as `+01:00`")?;
            match (off.get(0..2), off.get(2..3), off.get(3..)) {
                (Some(oh), Some(":"), Some(om)) => {
                    let oh = digits(oh, 2).ok_or("expected an offset such as `+01:00`")?;
                    let om = digits(om, 2).ok_or("expected an offset such as `+01:00`")?;
                    if oh > 23 || om > 59 {
                        return Err("there is no such offset");
                    }
                    Ok(DateKind::DateTime)
                }
                _ => Err("expected `Z` or an offset such as `+01:00`"),
            }
        }
    }
}

// ------------------------------------------------- a small lexer for errors

/// Tokens as a person reads them; used only to explain errors, so it never
/// fails and never has to agree with the grammar on every corner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TokKind {
    Word,
    Number,
    Str { closed: bool },
    Quoted { closed: bool },
    Date,
    Sym,
}

#[derive(Clone, Copy, Debug)]
struct Tok {
    kind: TokKind,
    start: usize,
    end: usize,
}

fn lex(text: &str) -> Vec<Tok> {
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
fn check_nesting(text: &str, toks: &[Tok]) -> Result<(), SyntaxError> {
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

const OPERATOR_WORDS: &[&str] = &["and", "or", "not", "in"];
const KEYWORDS: &[&str] = &["and", "or", "not", "in", "null", "true", "false"];
const OPERATOR_SYMS: &[&str] = &[
    "+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "!",
];
const ODATA_COMPARISONS: &[(&str, &str)] = &[
    ("eq", "=="),
    ("ne", "!="),
    ("gt", ">"),
    ("ge", ">="),
    ("lt", "<"),
    ("le", "<="),
];

/// Rules whose presence among pest's expectations means "an operand was
/// expected here" (rather than an operator).
const OPERAND_RULES: &[Rule] = &[
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
enum Open {
    Call(String),
    Paren,
    List,
}

fn convert_error(text: &str, toks: &[Tok], e: pest::error::Error<Rule>) -> SyntaxError {
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

fn tok_text<'t>(text: &'t str, t: &Tok) -> &'t str {
    text.get(t.start..t.end).unwrap_or("")
}

fn is_operator(text: &str, t: &Tok) -> bool {
    let s = tok_text(text, t);
    match t.kind {
        TokKind::Word => OPERATOR_WORDS.contains(&s),
        TokKind::Sym => OPERATOR_SYMS.contains(&s),
        _ => false,
    }
}

fn explain(text: &str, toks: &[Tok], pos: usize, expect_operand: bool) -> SyntaxError {
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

// ---------------------------------------------------------------- fast path

/// A hand-written reading of `grammar/expr.pest` for well-formed text.
///
/// Why it exists: pest probes the native stack on every rule call and records
/// each failed alternative for its error report, and with seven precedence
/// levels one operand costs dozens of rule calls. That made expression parsing
/// the largest single cost of `mapc check` on a big spec (about 40%); this
/// path is more than ten times faster.
///
/// Contract: [`fast::parse`] returns `Some(e)` only when pest accepts the text
/// and [`Builder`] would build exactly `e` (same tree, same spans). It returns
/// `None` for anything else, bad or merely unusual, and [`parse`] then runs
/// the pest path, which stays the reference and produces every error. So the
/// fast path may be incomplete but never more permissive; the tests at the end
/// of this file compare both paths on hand-picked and generated text.
///
/// It follows the grammar's ordered choices one to one: whitespace between
/// any two tokens, never inside one; word operators and keywords only when no
/// name character follows; `null`/`true`/`false` before names; a call before a
/// path; at most one comparison per level. Bracket nesting is bounded by
/// [`MAX_EXPR_DEPTH`] as `check_nesting` does, and tree depth as `Builder`
/// does, so recursion stays shallow here too.
mod fast {
    use super::{
        check_date_literal, unescape, Built, DateKind, Depth, KEYWORDS, LIMITS, MAX_EXPR_DEPTH,
    };
    use crate::expr::ast::{BinaryOp, Expr, ExprKind, Ident, UnaryOp};
    use mapc_diag::Span;

    pub(super) fn parse(text: &str) -> Option<Expr> {
        let mut p = Fast {
            text,
            b: text.as_bytes(),
            pos: 0,
            open: 0,
        };
        let (e, _) = p.or_expr()?;
        p.ws();
        (p.pos == p.b.len()).then_some(e)
    }

    fn is_ident_char(c: u8) -> bool {
        c.is_ascii_alphanumeric() || c == b'_'
    }

    /// `Binary` over two built nodes, with `Builder::chain`'s depth rule.
    fn binary(op: BinaryOp, (lhs, ld): Built, (rhs, rd): Built) -> Option<Built> {
        let depth = ld.chained(rd);
        if depth.too_deep(&LIMITS) {
            return None;
        }
        let span = lhs.span.join(rhs.span);
        let kind = ExprKind::Binary {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        };
        Some((Expr { kind, span }, depth))
    }

    /// Prefix operators (spans in source order) around an operand, innermost
    /// last, with `Builder::prefix`'s depth rule.
    fn prefix(op: UnaryOp, ops: &[Span], (mut e, mut depth): Built) -> Option<Built> {
        for &op_span in ops.iter().rev() {
            depth = depth.nested();
            if depth.too_deep(&LIMITS) {
                return None;
            }
            let span = op_span.join(e.span);
            e = Expr {
                kind: ExprKind::Unary {
                    op,
                    expr: Box::new(e),
                },
                span,
            };
        }
        Some((e, depth))
    }

    fn leaf(kind: ExprKind, start: usize, end: usize) -> Option<Built> {
        Some((
            Expr {
                kind,
                span: Span::new(start, end),
            },
            Depth::LEAF,
        ))
    }

    struct Fast<'a> {
        text: &'a str,
        b: &'a [u8],
        pos: usize,
        /// Brackets open at `pos` (as `check_nesting` counts them).
        open: usize,
    }

    impl Fast<'_> {
        fn at(&self, i: usize) -> Option<u8> {
            self.b.get(i).copied()
        }

        fn peek(&self) -> Option<u8> {
            self.at(self.pos)
        }

        /// The grammar's `WHITESPACE`.
        fn ws(&mut self) {
            while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
                self.pos += 1;
            }
        }

        fn sym(&self, s: &str) -> bool {
            self.b[self.pos..].starts_with(s.as_bytes())
        }

        /// A word operator: the word, then no name character (`or` in `order`
        /// is not one).
        fn word(&self, w: &str) -> bool {
            self.sym(w) && !self.at(self.pos + w.len()).is_some_and(is_ident_char)
        }

        /// End of the run of name characters from `start`.
        fn name_end(&self, start: usize) -> usize {
            let mut end = start;
            while self.at(end).is_some_and(is_ident_char) {
                end += 1;
            }
            end
        }

        /// Skips whitespace, then consumes one operator of a level; `None` when
        /// none is there (the position then stays after the whitespace, which
        /// every following token skips anyway).
        fn op(&mut self, ops: &[(&str, bool, BinaryOp)]) -> Option<BinaryOp> {
            self.ws();
            let &(s, _, op) = ops
                .iter()
                .find(|(s, is_word, _)| if *is_word { self.word(s) } else { self.sym(s) })?;
            self.pos += s.len();
            Some(op)
        }

        /// `x op y op z`, folded to the left (`or_expr`, `and_expr`,
        /// `add_expr`, `mul_expr`).
        fn chain(
            &mut self,
            ops: &[(&str, bool, BinaryOp)],
            operand: fn(&mut Self) -> Option<Built>,
        ) -> Option<Built> {
            let mut lhs = operand(self)?;
            while let Some(op) = self.op(ops) {
                let rhs = operand(self)?;
                lhs = binary(op, lhs, rhs)?;
            }
            Some(lhs)
        }

        fn or_expr(&mut self) -> Option<Built> {
            const OPS: &[(&str, bool, BinaryOp)] =
                &[("||", false, BinaryOp::Or), ("or", true, BinaryOp::Or)];
            self.chain(OPS, Self::and_expr)
        }

        fn and_expr(&mut self) -> Option<Built> {
            const OPS: &[(&str, bool, BinaryOp)] =
                &[("&&", false, BinaryOp::And), ("and", true, BinaryOp::And)];
            self.chain(OPS, Self::not_expr)
        }

        /// `not_op* ~ cmp_expr`; `not_op` is `not` or a `!` not followed by `=`.
        fn not_expr(&mut self) -> Option<Built> {
            let mut ops = Vec::new();
            loop {
                self.ws();
                let len = if self.word("not") {
                    3
                } else if self.peek() == Some(b'!') && self.at(self.pos + 1) != Some(b'=') {
                    1
                } else {
                    break;
                };
                ops.push(Span::new(self.pos, self.pos + len));
                self.pos += len;
            }
            let operand = self.cmp_expr()?;
            prefix(UnaryOp::Not, &ops, operand)
        }

        /// `add_expr ~ (cmp_op ~ add_expr)?`: comparisons do not chain.
        fn cmp_expr(&mut self) -> Option<Built> {
            const OPS: &[(&str, bool, BinaryOp)] = &[
                ("==", false, BinaryOp::Eq),
                ("!=", false, BinaryOp::Ne),
                ("<=", false, BinaryOp::Le),
                (">=", false, BinaryOp::Ge),
                ("<", false, BinaryOp::Lt),
                (">", false, BinaryOp::Gt),
                ("in", true, BinaryOp::In),
            ];
            let lhs = self.add_expr()?;
            match self.op(OPS) {
                Some(op) => {
                    let rhs = self.add_expr()?;
                    binary(op, lhs, rhs)
                }
                None => Some(lhs),
            }
        }

        fn add_expr(&mut self) -> Option<Built> {
            const OPS: &[(&str, bool, BinaryOp)] =
                &[("+", false, BinaryOp::Add), ("-", false, BinaryOp::Sub)];
            self.chain(OPS, Self::mul_expr)
        }

        fn mul_expr(&mut self) -> Option<Built> {
            const OPS: &[(&str, bool, BinaryOp)] = &[
                ("*", false, BinaryOp::Mul),
                ("/", false, BinaryOp::Div),
                ("%", false, BinaryOp::Mod),
            ];
            self.chain(OPS, Self::neg_expr)
        }

        /// `neg_op* ~ primary`.
        fn neg_expr(&mut self) -> Option<Built> {
            let mut ops = Vec::new();
            loop {
                self.ws();
                if self.peek() != Some(b'-') {
                    break;
                }
                ops.push(Span::new(self.pos, self.pos + 1));
                self.pos += 1;
            }
            let operand = self.primary()?;
            prefix(UnaryOp::Neg, &ops, operand)
        }

        /// `literal | list | call | path | paren`; the first byte tells which
        /// alternatives can match at all.
        fn primary(&mut self) -> Option<Built> {
            self.ws();
            let start = self.pos;
            match self.peek()? {
                b'0'..=b'9' => self.number(),
                b'\'' | b'"' => self.string(),
                b'@' => self.date(),
                b'[' => {
                    let items = self.items(b']')?;
                    let depth = items
                        .iter()
                        .fold(Depth::default(), |acc, (_, d)| acc.max(*d))
                        .nested();
                    let items = items.into_iter().map(|(e, _)| e).collect();
                    self.node(ExprKind::List(items), start, depth)
                }
                b'(' => {
                    self.enter()?;
                    let (mut e, depth) = self.or_expr()?;
                    self.ws();
                    if self.peek() != Some(b')') {
                        return None;
                    }
                    self.pos += 1;
                    self.open -= 1;
                    // The parenthesised node covers its parentheses.
                    e.span = Span::new(start, self.pos);
                    Some((e, depth))
                }
                b'`' => self.path(),
                c if c.is_ascii_alphabetic() || c == b'_' => {
                    let end = self.name_end(start);
                    match &self.text[start..end] {
                        "null" => {
                            self.pos = end;
                            leaf(ExprKind::Null, start, end)
                        }
                        w @ ("true" | "false") => {
                            self.pos = end;
                            leaf(ExprKind::Bool(w == "true"), start, end)
                        }
                        w if KEYWORDS.contains(&w) => None,
                        name => {
                            // A call when `(` follows (whitespace allowed), else a path.
                            self.pos = end;
                            self.ws();
                            if self.peek() != Some(b'(') {
                                self.pos = start;
                                return self.path();
                            }
                            let name = Ident {
                                name: name.to_string(),
                                span: Span::new(start, end),
                            };
                            let args = self.items(b')')?;
                            let depth = args
                                .iter()
                                .fold(Depth::default(), |acc, (_, d)| acc.max(*d))
                                .nested();
                            let args = args.into_iter().map(|(e, _)| e).collect();
                            self.node(ExprKind::Call { name, args }, start, depth)
                        }
                    }
                }
                _ => None,
            }
        }

        /// A node from `start` to `pos`, with `Builder::node`'s depth limit.
        fn node(&self, kind: ExprKind, start: usize, depth: Depth) -> Option<Built> {
            if depth.too_deep(&LIMITS) {
                return None;
            }
            let span = Span::new(start, self.pos);
            Some((Expr { kind, span }, depth))
        }

        /// One more open bracket at `pos`, which it consumes.
        fn enter(&mut self) -> Option<()> {
            self.open += 1;
            self.pos += 1;
            (self.open <= MAX_EXPR_DEPTH).then_some(())
        }

        /// `"(" ~ (or_expr ~ ("," ~ or_expr)*)? ~ ")"` (or with `[` `]`), from
        /// the opening bracket at `pos` (after any whitespace).
        fn items(&mut self, close: u8) -> Option<Vec<Built>> {
            self.ws();
            self.enter()?;
            let mut items = Vec::new();
            self.ws();
            if self.peek() != Some(close) {
                loop {
                    items.push(self.or_expr()?);
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(c) if c == close => break,
                        _ => return None,
                    }
                }
            }
            self.pos += 1;
            self.open -= 1;
            Some(items)
        }

        /// `ASCII_DIGIT+ ~ ("." ~ ASCII_DIGIT+)? ~ !(ident_char | ".")`.
        fn number(&mut self) -> Option<Built> {
            let start = self.pos;
            let mut end = start;
            while self.at(end).is_some_and(|c| c.is_ascii_digit()) {
                end += 1;
            }
            if self.at(end) == Some(b'.') && self.at(end + 1).is_some_and(|c| c.is_ascii_digit()) {
                end += 1;
                while self.at(end).is_some_and(|c| c.is_ascii_digit()) {
                    end += 1;
                }
            }
            if self.at(end).is_some_and(|c| is_ident_char(c) || c == b'.') {
                return None;
            }
            self.pos = end;
            leaf(
                ExprKind::Number(self.text[start..end].to_string()),
                start,
                end,
            )
        }

        /// `sq_string | dq_string`, decoded by the same `unescape`.
        fn string(&mut self) -> Option<Built> {
            let start = self.pos;
            let quote = self.b[start];
            let mut i = start + 1;
            loop {
                match self.at(i)? {
                    // `"\\" ~ ANY`: the escaped character is never a quote or
                    // a backslash byte, whatever its length.
                    b'\\' if i + 1 < self.b.len() => i += 2,
                    c if c == quote => {
                        if quote == b'\'' && self.at(i + 1) == Some(b'\'') {
                            i += 2;
                        } else {
                            break;
                        }
                    }
                    _ => i += 1,
                }
            }
            let end = i + 1;
            let value = unescape(&self.text[start..end], start).ok()?;
            self.pos = end;
            leaf(ExprKind::String(value), start, end)
        }

        /// `"@" ~ ASCII_DIGIT ~ (ASCII_ALPHANUMERIC | "-" | ":" | "." | "+")*`,
        /// validated by the same `check_date_literal`.
        fn date(&mut self) -> Option<Built> {
            let start = self.pos;
            if !self.at(start + 1).is_some_and(|c| c.is_ascii_digit()) {
                return None;
            }
            let mut end = start + 2;
            while self
                .at(end)
                .is_some_and(|c| c.is_ascii_alphanumeric() || b"-:.+".contains(&c))
            {
                end += 1;
            }
            let body = &self.text[start + 1..end];
            let kind = match check_date_literal(body).ok()? {
                DateKind::Date => ExprKind::Date(body.to_string()),
                DateKind::DateTime => ExprKind::DateTime(body.to_string()),
            };
            self.pos = end;
            leaf(kind, start, end)
        }

        /// `path_segment ~ ("." ~ path_segment)*` without whitespace; a `.`
        /// without a segment after it fails the whole expression.
        fn path(&mut self) -> Option<Built> {
            let start = self.pos;
            let mut segs = vec![self.segment()?];
            while self.peek() == Some(b'.') {
                self.pos += 1;
                segs.push(self.segment()?);
            }
            // Too long: the full parser reports it.
            if segs.len() > crate::limits::MAX_PATH_SEGMENTS
                || self.pos - start > crate::limits::MAX_PATH_BYTES
            {
                return None;
            }
            leaf(ExprKind::Path(segs), start, self.pos)
        }

        /// `quoted_ident | ident`.
        fn segment(&mut self) -> Option<Ident> {
            let start = self.pos;
            let (name, end) = match self.peek()? {
                b'`' => {
                    let len = self.text[start + 1..].find('`')?;
                    if len == 0 {
                        return None;
                    }
                    (&self.text[start + 1..start + 1 + len], start + len + 2)
                }
                c if c.is_ascii_alphabetic() || c == b'_' => {
                    let end = self.name_end(start);
                    let name = &self.text[start..end];
                    if KEYWORDS.contains(&name) {
                        return None;
                    }
                    (name, end)
                }
                _ => return None,
            };
            self.pos = end;
            Some(Ident {
                name: name.to_string(),
                span: Span::new(start, end),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{fast, parse, parse_with_pest, MAX_EXPR_DEPTH, MAX_EXPR_TREE_DEPTH};

    /// The fast path's contract, on one text: it yields exactly what the
    /// pest path yields when that succeeds, and nothing when it fails.
    fn agree(text: &str) {
        let reference = parse_with_pest(text).ok();
        assert_eq!(
            fast::parse(text),
            reference,
            "fast path differs on {text:?}"
        );
    }

    #[test]
    fn fast_path_agrees_with_pest_on_chosen_text() {
        let nest =
            |n: usize, open: &str, close: &str| format!("{}x{}", open.repeat(n), close.repeat(n));
        let nots = |n: usize| format!("{}x", "not ".repeat(n));
        let chain = |n: usize| format!("x{}", " + x".repeat(n));
        let deep = [
            nest(MAX_EXPR_DEPTH, "(", ")"),
            nest(MAX_EXPR_DEPTH + 1, "(", ")"),
            nest(MAX_EXPR_DEPTH, "f(", ")"),
            nest(MAX_EXPR_DEPTH - 1, "f(", ")"),
            nest(MAX_EXPR_DEPTH, "[", "]"),
            nest(MAX_EXPR_DEPTH + 1, "[", "]"),
            nots(MAX_EXPR_DEPTH - 1),
            nots(MAX_EXPR_DEPTH),
            format!("{}x", "-".repeat(MAX_EXPR_DEPTH)),
            chain(MAX_EXPR_DEPTH - 1),
            chain(MAX_EXPR_DEPTH),
            chain(MAX_EXPR_DEPTH + 6),
            chain(MAX_EXPR_TREE_DEPTH - 2),
            chain(MAX_EXPR_TREE_DEPTH - 1),
            chain(MAX_EXPR_TREE_DEPTH),
            format!(
                "{}x{}",
                "f(x + ".repeat(MAX_EXPR_DEPTH - 1),
                ")".repeat(MAX_EXPR_DEPTH - 1)
            ),
            format!(
                "{}x{}",
                "f(x + ".repeat(MAX_EXPR_DEPTH),
                ")".repeat(MAX_EXPR_DEPTH)
            ),
            format!("not ({})", vec!["x == 1"; 100].join(" or ")),
            format!("[{}]", vec!["a and b"; 100].join(", ")),
        ];
        let texts = [
            "a",
            " a ",
            "\ta\r\n",
            "a.b.c",
            "a.`b c`.d",
            "`@odata.etag`",
            "a . b",
            "a.",
            "a.in",
            "a.`in`",
            "a.``",
            "`x",
            "a.null",
            "null",
            "true",
            "false",
            "nullx",
            "true_x",
            "truex",
            "null.x",
            "true(1)",
            "not",
            "in",
            "and",
            "or",
            "x.or",
            "1",
            "12.50",
            "1.",
            "1.x",
            "1.5.3",
            "12abc",
            "1_0",
            "007",
            "'s'",
            "\"s\"",
            "'it''s'",
            "'a\\'b'",
            "\"a\\\"b\"",
            "'\\n\\t\\r\\\\'",
            "'\\u{48}'",
            "'\\u{110000}'",
            "'\\q'",
            "'a\\",
            "'a",
            "''",
            "'''",
            "'a''",
            "\"'\"",
            "'\"'",
            "'é'",
            "'\\é'",
            "@2026-11-22",
            "@2026-02-30",
            "@2026-11-22T10:00:00Z",
            "@2026-11-22T10:00:00.123+01:00",
            "@2026-11-22T25:00:00Z",
            "@",
            "@x",
            "@2026-11-22(",
            "[]",
            "[ ]",
            "[1]",
            "[1, 2]",
            "[1,]",
            "[,]",
            "[1 2]",
            "f()",
            "f ( )",
            "f(1)",
            "f(1, 2)",
            "f(1,)",
            "f(,)",
            "f(1 2)",
            "f(",
            "f)",
            "now()",
            "not(x)",
            "-not(x)",
            "a(b)(c)",
            "a.b(c)",
            "`a`(1)",
            "(a)",
            "( a )",
            "((a))",
            "(a",
            "a)",
            "()",
            "-a",
            "--a",
            "- - a",
            "-5",
            "!a",
            "!!a",
            "! a",
            "!= a",
            "!=",
            "not a",
            "not not a",
            "notx",
            "not(a) and b",
            "a + b * c",
            "a * b + c",
            "a - b - c",
            "a / b % c",
            "(a + b) * c",
            "-a * b",
            "a == b",
            "a != b",
            "a < b",
            "a <= b",
            "a > b",
            "a >= b",
            "a < b < c",
            "a == b == c",
            "a <> b",
            "a = b",
            "a =< b",
            "a < = b",
            "a in [1, 2]",
            "a in[1]",
            "a inx",
            "a index",
            "a and b or c",
            "a or b and c",
            "a && b || c",
            "a & b",
            "a | b",
            "a and(b)",
            "a andb",
            "a or_b",
            "aor b",
            "x ** 2",
            "a + ",
            "+ a",
            "a +",
            "a -",
            "a -- b",
            "a - -b",
            "a < -b",
            "a<=-b",
            "not a == b",
            "round(amount * (1 - discount / 100), 2)",
            "concat(customer.name, ' ', upper(trim(code)))",
            "is_null(customer.name)",
            "if(a > 0, 'x', \"y\")",
            "statecode eq 0",
            "a ＋ b",
            "a\u{a0}+ b",
            "é",
            "a.é",
            "customer . name",
            "a,b",
            "a]",
            "[a)",
            "(a]",
            "f(a]",
        ];
        for t in texts.iter().copied().chain(deep.iter().map(String::as_str)) {
            agree(t);
        }
    }

    /// A small deterministic generator (no dependency needed for a test).
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self, n: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 33) % n as u64) as usize
        }
    }

    /// Only real nesting counts against [`MAX_EXPR_DEPTH`]: flat operator
    /// chains longer than it are fine on both paths, up to the tree limit.
    #[test]
    fn flat_chains_are_not_nesting() {
        for op in [" + ", " - ", " * ", " or ", " and ", " || "] {
            let text = vec!["a"; 70].join(op);
            assert!(fast::parse(&text).is_some(), "fast path rejects {op:?} x70");
            assert!(
                parse_with_pest(&text).is_ok(),
                "pest path rejects {op:?} x70"
            );
        }
        let clauses = vec!["statecode == 1"; 70].join(" or ");
        assert!(fast::parse(&clauses).is_some());
        assert!(parse_with_pest(&clauses).is_ok());
        // A chain inside a call inside a list: still only three levels.
        let nested = format!("[round({}, 2)]", vec!["x"; 100].join(" + "));
        assert!(parse(&nested).is_ok());
        // Real nesting still counts, also when chains sit between the levels.
        let deep = format!(
            "{}x{}",
            "f(x + ".repeat(MAX_EXPR_DEPTH),
            ")".repeat(MAX_EXPR_DEPTH)
        );
        let e = parse(&deep).unwrap_err();
        assert!(e.message.contains("64 levels"), "{}", e.message);
        let nots = format!("{}x", "not ".repeat(MAX_EXPR_DEPTH));
        assert!(parse(&nots).unwrap_err().message.contains("64 levels"));
        // The whole tree stays bounded (stack safety of every consumer).
        let long = vec!["a"; MAX_EXPR_TREE_DEPTH + 1].join(" + ");
        let e = parse(&long).unwrap_err();
        assert!(e.message.contains("operations deep"), "{}", e.message);
        assert!(parse_with_pest(&long).is_err());
        assert!(parse(&vec!["a"; MAX_EXPR_TREE_DEPTH].join(" + ")).is_ok());
    }

    #[test]
    fn fast_path_agrees_with_pest_on_token_soup() {
        const TOKENS: &[&str] = &[
            "a",
            "b.c",
            "`x y`",
            "f",
            "round",
            "(",
            ")",
            "[",
            "]",
            ",",
            "+",
            "-",
            "*",
            "/",
            "%",
            "==",
            "!=",
            "<",
            "<=",
            ">",
            ">=",
            "in",
            "and",
            "or",
            "not",
            "!",
            "&&",
            "||",
            "null",
            "true",
            "false",
            "1",
            "2.5",
            "'s'",
            "\"d\\n\"",
            "'it''s'",
            "@2026-01-02",
            "@2026-01-02T10:00:00Z",
            ".",
            "=",
            "1.",
            "'",
            "\\",
            "x1",
            "_y",
            "é",
            "\t",
            "`",
        ];
        let mut rng = Lcg(7);
        for _ in 0..20_000 {
            let n = 1 + rng.next(9);
            let mut t = String::new();
            for _ in 0..n {
                t.push_str(TOKENS[rng.next(TOKENS.len())]);
                if rng.next(3) > 0 {
                    t.push(' ');
                }
            }
            agree(&t);
        }
    }

    /// Random well-formed expressions, so that deep and wide trees are
    /// compared too (token soup is mostly rejected early).
    fn gen(rng: &mut Lcg, depth: usize, out: &mut String) {
        let ws = |rng: &mut Lcg, out: &mut String| {
            out.push_str(["", " ", "  ", "\n"][rng.next(4)]);
        };
        if depth == 0 {
            const LEAVES: &[&str] = &[
                "x",
                "customer.name",
                "a.`b c`",
                "42",
                "10.005",
                "'t'",
                "'a''b'",
                "\"q\\\"\"",
                "null",
                "true",
                "false",
                "@2026-11-22",
                "@2026-11-22T10:00:00+01:00",
                "[]",
                "now()",
                "_k",
            ];
            out.push_str(LEAVES[rng.next(LEAVES.len())]);
            return;
        }
        const BINARY: &[&str] = &[
            "+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "in", "and", "or", "&&",
            "||",
        ];
        match rng.next(6) {
            0 => {
                gen(rng, depth - 1, out);
                ws(rng, out);
                out.push_str(BINARY[rng.next(BINARY.len())]);
                out.push(' ');
                gen(rng, depth - 1, out);
            }
            1 => {
                out.push_str(["not ", "!", "-", "- "][rng.next(4)]);
                gen(rng, depth - 1, out);
            }
            2 => {
                out.push('(');
                ws(rng, out);
                gen(rng, depth - 1, out);
                ws(rng, out);
                out.push(')');
            }
            3 | 4 => {
                let list = rng.next(4) == 0;
                out.push_str(if list {
                    "["
                } else {
                    ["f(", "round (", "concat("][rng.next(3)]
                });
                for i in 0..rng.next(4) {
                    if i > 0 {
                        out.push(',');
                        ws(rng, out);
                    }
                    gen(rng, depth - 1, out);
                }
                out.push(if list { ']' } else { ')' });
            }
            _ => gen(rng, 0, out),
        }
    }

    #[test]
    fn fast_path_agrees_with_pest_on_generated_expressions() {
        let mut rng = Lcg(11);
        let mut accepted = 0;
        for i in 0..5_000 {
            let mut t = String::new();
            gen(&mut rng, 1 + i % 6, &mut t);
            agree(&t);
            accepted += usize::from(fast::parse(&t).is_some());
        }
        // Most generated text is valid; the fast path must take it.
        assert!(accepted > 1_000, "only {accepted} accepted");
    }
}
