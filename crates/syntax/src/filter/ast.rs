//! The syntax tree of an OData v4 `$filter` (`source.filter:`).
//!
//! Spans are byte ranges; the parser produces them relative to the start of
//! the filter string, and the spec reader shifts them to file offsets with
//! [`Filter::map_spans`].

use crate::expr::BinaryOp as ExprOp;
pub use crate::expr::{Ident, SyntaxError, UnaryOp};
use mapc_diag::Span;

/// A whole `$filter`: the root (boolean) expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    pub expr: FilterExpr,
    /// The expression's extent, without surrounding whitespace.
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FilterExpr {
    pub kind: FilterKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FilterKind {
    Literal(Literal),
    /// A member path such as `name`, `customerid/name`, `$it/x`,
    /// `$root/accounts(1)/name` or `lines/any(l: l/qty gt 1)`.
    Path(Vec<Segment>),
    /// A built-in method call: `contains(name, 'x')`, `year(createdon)`,
    /// `geo.distance(a, b)`. `name.name` is the canonical spelling
    /// (`contains`, `matchesPattern`, ...), whatever case was written;
    /// `name.span` covers the name as written.
    Call {
        name: Ident,
        args: Vec<FilterExpr>,
    },
    /// `cast(Edm.String)` / `cast(x, Edm.String)`.
    Cast {
        expr: Option<Box<FilterExpr>>,
        type_name: Ident,
    },
    /// `isof(Model.Manager)` / `isof(x, Model.Manager)`.
    IsOf {
        expr: Option<Box<FilterExpr>>,
        type_name: Ident,
    },
    /// `case(cond: value, cond: value, true: default)`.
    Case(Vec<(FilterExpr, FilterExpr)>),
    Unary {
        op: UnaryOp,
        expr: Box<FilterExpr>,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<FilterExpr>,
        rhs: Box<FilterExpr>,
    },
    /// `('a', 'b')` on the right of `in` (literals only), or a JSON array
    /// `[1, "x", name]`.
    List(Vec<FilterExpr>),
    /// A JSON object `{"name": value, ...}`: member names (unquoted) and values.
    Object(Vec<(Ident, FilterExpr)>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Null,
    Bool(bool),
    /// The exact text as written, sign and exponent included: `42`, `-3`,
    /// `2.55`, `1e-5`, `INF`, `-INF`, `NaN`. Never a float.
    Number(String),
    /// The unescaped value (`'O''Neil'` -> `O'Neil`). JSON strings (`"..."`,
    /// inside arrays and objects) are unescaped the JSON way.
    String(String),
    /// `2026-11-22`
    Date(String),
    /// `2026-11-22T10:00:00Z`, `2026-11-22T10:00:00.5+01:00`
    DateTimeOffset(String),
    /// `10:00`, `10:00:00.123`
    TimeOfDay(String),
    /// `duration'P1DT2H'`: the text between the quotes.
    Duration(String),
    /// `01234567-89ab-cdef-0123-456789abcdef`
    Guid(String),
    /// `binary'Zm9v'`: the base64url text between the quotes.
    Binary(String),
    /// `Namespace.Color'Red'` or `Namespace.Flags'Red,Blue'`: the qualified
    /// type name and the text between the quotes.
    Enum {
        type_name: String,
        value: String,
    },
    /// `geography'SRID=4326;Point(1 2)'` / `geometry'...'`: the text between
    /// the quotes.
    Geo {
        geography: bool,
        text: String,
    },
}

/// The infix operators of OData `$filter`. They are words (`eq`, `divby`,
/// `has`), and most are an expression operator under another name, so they
/// are that operator ([`crate::expr::BinaryOp`], the one definition):
/// `eq` is `==`, `divby` (decimal division) is `/`. Two have no expression
/// counterpart: `div`, which on integers truncates (OData) where `/` never
/// does, and `has` (enum flags). The prefix operators (`not`, `-`) are the
/// expression ones outright ([`UnaryOp`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    /// An operator expressions have too.
    Shared(ExprOp),
    /// `div`: integer division on integers, decimal division otherwise.
    Div,
    /// `flags has Ns.Color'Red'`
    Has,
}

/// Every operator and its keyword, the one list [`BinaryOp::keyword`] and
/// the parser read.
pub const KEYWORDS: &[(&str, BinaryOp)] = &[
    ("eq", BinaryOp::Shared(ExprOp::Eq)),
    ("ne", BinaryOp::Shared(ExprOp::Ne)),
    ("gt", BinaryOp::Shared(ExprOp::Gt)),
    ("ge", BinaryOp::Shared(ExprOp::Ge)),
    ("lt", BinaryOp::Shared(ExprOp::Lt)),
    ("le", BinaryOp::Shared(ExprOp::Le)),
    ("and", BinaryOp::Shared(ExprOp::And)),
    ("or", BinaryOp::Shared(ExprOp::Or)),
    ("add", BinaryOp::Shared(ExprOp::Add)),
    ("sub", BinaryOp::Shared(ExprOp::Sub)),
    ("mul", BinaryOp::Shared(ExprOp::Mul)),
    ("div", BinaryOp::Div),
    ("divby", BinaryOp::Shared(ExprOp::Div)),
    ("mod", BinaryOp::Shared(ExprOp::Mod)),
    ("has", BinaryOp::Has),
    ("in", BinaryOp::Shared(ExprOp::In)),
];

impl BinaryOp {
    /// The operator as written in a `$filter`.
    pub fn keyword(self) -> &'static str {
        KEYWORDS
            .iter()
            .find(|(_, op)| *op == self)
            .map_or("?", |(k, _)| k)
    }

    /// The operator a keyword names (any case, as OData allows).
    pub fn from_keyword(word: &str) -> Option<BinaryOp> {
        KEYWORDS
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(word))
            .map(|(_, op)| *op)
    }
}

/// One `/`-separated step of a member path.
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    pub kind: SegmentKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum SegmentKind {
    /// A property or navigation property (`name`), or a qualified type cast
    /// (`Model.Manager`, always followed by another segment).
    Name(Ident),
    /// A function or key segment: `BestProduct()`, `accounts(1)`,
    /// `Model.ProductsByColor(color='red')`, `Microsoft.Dynamics.CRM.Today()`.
    Call { name: Ident, args: Vec<Arg> },
    /// `$count`, or `$count($filter=...)`.
    Count { filter: Option<Box<FilterExpr>> },
    /// `$filter(...)` applied to a collection.
    Filter(Box<FilterExpr>),
    /// `any()` or `any(x: predicate)`.
    Any {
        var: Option<Ident>,
        predicate: Option<Box<FilterExpr>>,
    },
    /// `all(x: predicate)`.
    All {
        var: Ident,
        predicate: Box<FilterExpr>,
    },
    /// `@Core.Messages`, `@Currency#Reporting`: the name after `@`. As a
    /// first segment (or a function argument) an unqualified `@name` may also
    /// be a parameter alias; that is for the consumer to decide.
    Annotation(Ident),
    /// `$it` (first segment only)
    It,
    /// `$this` (first segment only)
    This,
    /// `$root` (first segment only, always followed by `/`)
    Root,
}

/// An argument of a function or key segment: `1`, `color='red'`.
#[derive(Clone, Debug, PartialEq)]
pub struct Arg {
    pub name: Option<Ident>,
    pub value: FilterExpr,
}

impl Filter {
    /// Moves every span through `f` (relative -> file offsets).
    pub fn map_spans(&mut self, f: &impl Fn(Span) -> Span) {
        self.span = f(self.span);
        self.expr.map_spans(f);
    }
}

impl FilterExpr {
    /// Moves every span through `f` (relative -> file offsets).
    pub fn map_spans(&mut self, f: &impl Fn(Span) -> Span) {
        self.span = f(self.span);
        match &mut self.kind {
            FilterKind::Literal(_) => {}
            FilterKind::Path(segs) => segs.iter_mut().for_each(|s| s.map_spans(f)),
            FilterKind::Call { name, args } => {
                name.span = f(name.span);
                args.iter_mut().for_each(|a| a.map_spans(f));
            }
            FilterKind::Cast { expr, type_name } | FilterKind::IsOf { expr, type_name } => {
                if let Some(e) = expr {
                    e.map_spans(f);
                }
                type_name.span = f(type_name.span);
            }
            FilterKind::Case(arms) => arms.iter_mut().for_each(|(c, v)| {
                c.map_spans(f);
                v.map_spans(f);
            }),
            FilterKind::Unary { expr, .. } => expr.map_spans(f),
            FilterKind::Binary { lhs, rhs, .. } => {
                lhs.map_spans(f);
                rhs.map_spans(f);
            }
            FilterKind::List(items) => items.iter_mut().for_each(|a| a.map_spans(f)),
            FilterKind::Object(members) => members.iter_mut().for_each(|(k, v)| {
                k.span = f(k.span);
                v.map_spans(f);
            }),
        }
    }
}

impl Segment {
    /// Moves every span through `f` (relative -> file offsets).
    pub fn map_spans(&mut self, f: &impl Fn(Span) -> Span) {
        self.span = f(self.span);
        match &mut self.kind {
            SegmentKind::Name(n) | SegmentKind::Annotation(n) => n.span = f(n.span),
            SegmentKind::Call { name, args } => {
                name.span = f(name.span);
                for a in args {
                    if let Some(n) = &mut a.name {
                        n.span = f(n.span);
                    }
                    a.value.map_spans(f);
                }
            }
            SegmentKind::Count { filter } => {
                if let Some(e) = filter {
                    e.map_spans(f);
                }
            }
            SegmentKind::Filter(e) => e.map_spans(f),
            SegmentKind::Any { var, predicate } => {
                if let Some(v) = var {
                    v.span = f(v.span);
                }
                if let Some(p) = predicate {
                    p.map_spans(f);
                }
            }
            SegmentKind::All { var, predicate } => {
                var.span = f(var.span);
                predicate.map_spans(f);
            }
            SegmentKind::It | SegmentKind::This | SegmentKind::Root => {}
        }
    }
}
