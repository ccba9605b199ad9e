//! The pest path's second half: a pest parse tree -> [`Expr`], with depth
//! limits, string escapes and date literals.

use super::*;
use mapc_value::dates::YmdError;

/// A built node and its depth.
pub(super) type Built = (Expr, Depth);

pub(super) struct Builder<'a> {
    pub(super) text: &'a str,
}

/// Skips operator levels that hold a single operand (`or_expr` -> ... ->
/// `neg_expr` -> `paren`), so that building recurses once per real node and
/// not once per grammar level.
pub(super) fn skip_levels(mut pair: Pair<'_, Rule>) -> Pair<'_, Rule> {
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
    pub(super) fn expr(&self, pair: Pair<'_, Rule>) -> Result<Built, SyntaxError> {
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
                check_path(self.text, &spans)?;
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
                            label: mapc_value::dates::date_part_problem(body)
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

pub(super) fn binary_op(s: &str) -> Option<BinaryOp> {
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

// ------------------------------------------------------------ string escapes

/// Decodes a quoted string literal (with its quotes). `at` is the literal's
/// offset, for error spans.
pub(super) fn unescape(raw: &str, at: usize) -> Result<String, SyntaxError> {
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

pub(super) enum DateKind {
    Date,
    DateTime,
}

pub(super) fn digits(s: &str, n: usize) -> Option<u32> {
    (s.len() == n && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// Validates `YYYY-MM-DD` or an RFC 3339 date-time (`T`, `HH:MM:SS`, optional
/// fraction, `Z` or `±HH:MM`). Returns a short reason on failure.
pub(super) fn check_date_literal(s: &str) -> Result<DateKind, &'static str> {
    let date = s.get(..10).ok_or("expected `YYYY-MM-DD`")?;
    // The one date reader; its shape is this literal's, and only the short
    // label differs (the full reason is added by the caller).
    match mapc_value::dates::parse_ymd(date) {
        Ok(_) => {}
        Err(YmdError::Shape) => return Err("expected `YYYY-MM-DD`"),
        Err(YmdError::NoSuchDay(_)) => {
            let month = date.get(5..7).and_then(|m| digits(m, 2)).unwrap_or(0);
            return Err(if (1..=12).contains(&month) {
                "there is no such day in this month"
            } else {
                "there is no such month"
            });
        }
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
