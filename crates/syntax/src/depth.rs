//! How deep a parsed node is, and the depth limits of a parser; shared by
//! the expression and the `$filter` parsers, which differ only in their
//! limits and words.

use crate::expr::SyntaxError;
use crate::parse_util::{too_deep, too_long, Words};
use mapc_diag::Span;

/// A parser's two depth limits, and the words of the errors for going past
/// them.
pub(crate) struct Limits {
    /// The deepest real nesting (brackets, calls, prefix operators, ...).
    pub nest: usize,
    /// The deepest tree, operator chains included.
    pub tree: usize,
    pub words: &'static Words,
}

impl Limits {
    /// The error for nesting deeper than `nest`.
    pub fn too_deep(&self, span: Span) -> SyntaxError {
        too_deep(span, self.nest, self.words)
    }

    /// The error for a tree deeper than `tree` (but nesting within `nest`).
    pub fn too_long(&self, span: Span) -> SyntaxError {
        too_long(span, self.tree, self.words)
    }
}

/// How deep a built node is: in real nesting and as a tree.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Depth {
    nest: usize,
    tree: usize,
}

impl Depth {
    pub const LEAF: Depth = Depth { nest: 1, tree: 1 };

    #[inline]
    pub fn max(self, o: Depth) -> Depth {
        Depth {
            nest: self.nest.max(o.nest),
            tree: self.tree.max(o.tree),
        }
    }

    /// One level of real nesting around `self` (a call, a list, a prefix
    /// operator).
    #[inline]
    pub fn nested(self) -> Depth {
        Depth {
            nest: self.nest + 1,
            tree: self.tree + 1,
        }
    }

    /// A binary operator over two operands: the tree grows, nesting does not.
    #[inline]
    pub fn chained(self, rhs: Depth) -> Depth {
        let m = self.max(rhs);
        Depth {
            nest: m.nest,
            tree: m.tree + 1,
        }
    }

    #[inline]
    pub fn too_deep(self, limits: &Limits) -> bool {
        self.nest > limits.nest || self.tree > limits.tree
    }

    /// The error for a node this deep (`too_deep` is true).
    pub fn error(self, limits: &Limits, span: Span) -> SyntaxError {
        if self.nest > limits.nest {
            limits.too_deep(span)
        } else {
            limits.too_long(span)
        }
    }
}
