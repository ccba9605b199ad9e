//! A hand-written reading of `grammar/expr.pest` for well-formed text.
//!
//! Why it exists: pest probes the native stack on every rule call and records
//! each failed alternative for its error report, and with seven precedence
//! levels one operand costs dozens of rule calls. That made expression parsing
//! the largest single cost of `mapc check` on a big spec (about 40%); this
//! path is more than ten times faster.
//!
//! Contract: [`parse`] returns `Some(e)` only when pest accepts the text
//! and [`Builder`] would build exactly `e` (same tree, same spans). It returns
//! `None` for anything else, bad or merely unusual, and [`parse`] then runs
//! the pest path, which stays the reference and produces every error. So the
//! fast path may be incomplete but never more permissive; the tests at the end
//! of `parse.rs` compare both paths on hand-picked and generated text.
//!
//! It follows the grammar's ordered choices one to one: whitespace between
//! any two tokens, never inside one; word operators and keywords only when no
//! name character follows; `null`/`true`/`false` before names; a call before a
//! path; at most one comparison per level. Bracket nesting is bounded by
//! [`MAX_EXPR_DEPTH`] as `check_nesting` does, and tree depth as `Builder`
//! does, so recursion stays shallow here too.

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
