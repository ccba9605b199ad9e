//! Typed expressions. Both `expr:`/`when:` strings and OData `filter:` strings
//! lower to this one form, so preview evaluates a filter exactly as written.

use crate::{Func, Type};
use jiff::civil::Date;
use jiff::Timestamp;
use mapc_diag::Span;
/// The operators as the expression AST defines them: lowering keeps the
/// operator as written, so the two trees share one definition.
pub use mapc_syntax::expr::{BinaryOp, UnaryOp};
use rust_decimal::Decimal;
use std::sync::Arc;

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub ty: Type,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Const(Const),
    Path(PathRef),
    Call(Func, Vec<Expr>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    List(Vec<Expr>),
}

/// A scalar constant.
#[derive(Clone, Debug, PartialEq)]
pub enum Const {
    Null,
    Bool(bool),
    Decimal(Decimal),
    String(Arc<str>),
    Date(Date),
    DateTime(Timestamp),
}

/// A read of a source path. `segments[0]` is a related alias when `related`
/// is `Some(index into Mapping::related)`; reads are null-safe.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PathRef {
    pub segments: Vec<Arc<str>>,
    pub related: Option<usize>,
    pub span: Span,
}

impl PathRef {
    pub fn dotted(&self) -> String {
        self.segments
            .iter()
            .map(|s| &**s)
            .collect::<Vec<_>>()
            .join(".")
    }
}

impl Expr {
    /// Every source path the expression reads.
    pub fn paths<'a>(&'a self, out: &mut Vec<&'a PathRef>) {
        match &self.kind {
            ExprKind::Path(p) => out.push(p),
            ExprKind::Call(_, args) | ExprKind::List(args) => {
                args.iter().for_each(|a| a.paths(out))
            }
            ExprKind::Unary(_, e) => e.paths(out),
            ExprKind::Binary(_, a, b) => {
                a.paths(out);
                b.paths(out);
            }
            ExprKind::Const(_) => {}
        }
    }
}
