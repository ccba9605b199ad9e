//! The expression language's syntax tree (`expr:`, rule `when:`).
//!
//! Spans are byte ranges; the parser produces them relative to the start of
//! the expression string, and the spec reader shifts them to file offsets.

use mapc_diag::Span;

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Null,
    Bool(bool),
    /// The exact decimal text as written (`10.005`, `-3`); never a float.
    Number(String),
    /// The unescaped string value.
    String(String),
    /// `@2026-11-22`: the date text, validated as `YYYY-MM-DD` by the parser.
    Date(String),
    /// `@2026-11-22T10:00:00Z`: RFC 3339 text with an offset or `Z`.
    DateTime(String),
    /// `customer.name`: one or more segments.
    Path(Vec<Ident>),
    Call {
        name: Ident,
        args: Vec<Expr>,
    },
    Unary {
        op: UnaryOp,
        expr: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `[a, b]`, used with `in`.
    List(Vec<Expr>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A prefix operator. The one definition for the expression AST, the IR
/// (`mapc_ir::UnaryOp` is this type) and the `$filter` AST, whose `not` and
/// `-` are the same two operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    /// `not x` (`!x` in expressions)
    Not,
    /// `-x`
    Neg,
}

/// An infix operator of the expression language. The one definition for the
/// expression AST and the IR (`mapc_ir::BinaryOp` is this type): lowering
/// keeps the operator as written, and a `$filter`'s operators are lowered to
/// these (see `mapc_syntax::filter::BinaryOp` for why that set is its own).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    /// `x in [a, b]`
    In,
}

impl Expr {
    /// Moves every span through `f` (relative -> file offsets).
    pub fn map_spans(&mut self, f: &impl Fn(Span) -> Span) {
        self.span = f(self.span);
        match &mut self.kind {
            ExprKind::Path(segs) => segs.iter_mut().for_each(|s| s.span = f(s.span)),
            ExprKind::Call { name, args } => {
                name.span = f(name.span);
                args.iter_mut().for_each(|a| a.map_spans(f));
            }
            ExprKind::Unary { expr, .. } => expr.map_spans(f),
            ExprKind::Binary { lhs, rhs, .. } => {
                lhs.map_spans(f);
                rhs.map_spans(f);
            }
            ExprKind::List(items) => items.iter_mut().for_each(|a| a.map_spans(f)),
            _ => {}
        }
    }
}

/// A syntax error inside an expression or filter string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// Relative to the start of the string; usually one character wide.
    pub span: Span,
    pub message: String,
    /// Short label for the underlined span, e.g. "expected `)`".
    pub label: String,
    pub help: Option<String>,
}
