//! OData `$filter` AST -> the same typed `ir::Expr` as expressions, so the
//! engine evaluates a filter locally (file sources, preview, test) with the
//! semantics a server applies to the pushed-down `$filter` text.
//!
//! Supported locally: `eq ne gt ge lt le and or not`, `add sub mul div divby
//! mod`, `in (...)`, negation, `case(...)` (as nested `if`), member paths
//! `a/b` (a first segment naming a related alias or its `via` reads that
//! related record; `$it/` is dropped; on a Dataverse or Business Central
//! source any other navigation is M0403, as in expressions), literals (null,
//! booleans, exact numbers, strings, dates, date-times, GUIDs) and the
//! functions `contains startswith endswith tolower toupper trim length
//! indexof substring concat year month day round floor ceiling`.
//!
//! A call of a function that is not an OData built-in (`startwith(name,'C')`,
//! `frobnicate(x)`: an unqualified name as the first segment of a path) is
//! M0501 with a did-you-mean, for every source kind: no server knows it
//! either. Namespace-qualified functions (`Microsoft.Dynamics.CRM.Today(...)`)
//! are service functions.
//!
//! Anything else (lambda `any`/`all`, `has`, `cast`, `isof`, built-ins such as
//! `now()`, service functions, `$count`, key segments, durations, enums, ...)
//! cannot be evaluated locally:
//! - for a `file` source that is an error (M0302): the filter would never run;
//! - for `dataverse`, `business_central` and `odata` sources the text is still
//!   pushed down as `$filter` and the server applies it; locally the filter's
//!   expression is the constant `true` (local evaluation is skipped, so a
//!   preview of sample records shows them unfiltered). This is the warning
//!   M0305, once per filter, at the first such construct.
//!
//! Integer `div` truncates in OData; when both operands are statically
//! integers it is lowered as `round(a / b, 0, 'down')`, otherwise as exact
//! division (`divby`).

use super::expr::{self as lx, Lang, Scope};
use crate::{BinaryOp, ConnectionKind, Const, Expr, ExprKind, Filter, PathRef, Type};
use mapc_diag::{did_you_mean, Code, Diagnostic, Diagnostics, Span};
use mapc_syntax::filter as f;
use mapc_syntax::spec::FilterText;
use std::sync::Arc;

/// The OData built-in functions evaluated locally (canonical OData spelling).
pub const ODATA_FUNCS: &[&str] = &[
    "contains",
    "startswith",
    "endswith",
    "tolower",
    "toupper",
    "trim",
    "length",
    "indexof",
    "substring",
    "concat",
    "year",
    "month",
    "day",
    "round",
    "floor",
    "ceiling",
];

struct Lx<'s, 'a> {
    scope: &'s Scope<'a>,
    /// Constructs that cannot be evaluated locally: (what, where).
    unsupported: Vec<(String, Span)>,
}

/// `None` when the filter did not parse (already reported) or, for a file
/// source, uses a construct that cannot be evaluated (M0302, reported here).
pub fn lower_filter(scope: &Scope, ft: &FilterText, diags: &mut Diagnostics) -> Option<Filter> {
    let ast = ft.ast.as_ref()?;
    let mut lx = Lx {
        scope,
        unsupported: Vec::new(),
    };
    let expr = lx.expr(&ast.expr, diags);
    if !matches!(expr.ty, Type::Bool | Type::Unknown | Type::Null) && lx.unsupported.is_empty() {
        diags.push(
            Diagnostic::new(
                Code::M0503,
                ast.span,
                format!(
                    "the filter `{}` is {}, not a boolean",
                    ft.text.value,
                    lx::a(&expr.ty.name())
                ),
            )
            .label(format!("this is {}", lx::a(&expr.ty.name())))
            .help("a filter must be a condition, e.g. `statecode eq 0`"),
        );
    }
    if lx.unsupported.is_empty() {
        return Some(Filter {
            text: ft.text.value.clone(),
            expr,
        });
    }
    if scope.kind != ConnectionKind::File {
        let (what, span) = &lx.unsupported[0];
        let mut d = Diagnostic::new(
            Code::M0305,
            *span,
            format!("preview and test cannot evaluate {what} locally; they will not apply this filter"),
        )
        .label("only the server evaluates this")
        .help(format!(
            "`run` sends the filter as `$filter` and the server applies it, but `preview` and `test` show every record unfiltered; to filter locally too, write the condition with eq/ne/gt/ge/lt/le, and/or/not, arithmetic, `in (...)` and the functions {}",
            ODATA_FUNCS.join(", ")
        ));
        for (what, span) in &lx.unsupported[1..] {
            d = d.related(*span, format!("{what} is not evaluated locally either"));
        }
        diags.push(d);
    }
    if scope.kind == ConnectionKind::File {
        for (what, span) in &lx.unsupported {
            diags.push(
                Diagnostic::new(Code::M0302, *span, format!("{what} is not supported by mapc's local filter evaluation"))
                    .label("cannot be evaluated on file records")
                    .help(format!(
                        "a file source is filtered by mapc itself; rewrite the condition with eq/ne/gt/ge/lt/le, and/or/not, arithmetic, `in (...)` and the functions {}",
                        ODATA_FUNCS.join(", ")
                    )),
            );
        }
        return None;
    }
    // Pushed down to the server as written; not evaluated locally.
    let span = ast.span;
    Some(Filter {
        text: ft.text.value.clone(),
        expr: Expr {
            kind: ExprKind::Const(Const::Bool(true)),
            ty: Type::Bool,
            span,
        },
    })
}

fn placeholder(span: Span) -> Expr {
    Expr {
        kind: ExprKind::Const(Const::Null),
        ty: Type::Unknown,
        span,
    }
}

impl Lx<'_, '_> {
    /// An unqualified call name that is neither an OData built-in nor a
    /// related alias (whose key segment the server might resolve).
    fn unknown_function(&self, name: &str) -> bool {
        !name.contains('.')
            && !f::builtin_functions().any(|b| b.eq_ignore_ascii_case(name))
            && self.scope.related_index(name).is_none()
            && !self.scope.related.iter().any(|r| r.via == name)
    }

    /// M0501 for `name(args)`; the arguments are still checked.
    fn unknown_call(
        &mut self,
        name: &f::Ident,
        args: &[f::Arg],
        span: Span,
        diags: &mut Diagnostics,
    ) -> Expr {
        let before = self.unsupported.len();
        for a in args {
            self.expr(&a.value, diags);
        }
        self.unsupported.truncate(before);
        let n = name.name.as_str();
        // A mapc expression function (`starts_with`, `upper`) -> its OData spelling.
        let odata_spelling = crate::funcs::lookup(n).and_then(|info| {
            std::iter::once(info.name)
                .chain(info.aliases.iter().copied())
                .find(|a| f::builtin_functions().any(|b| b == *a))
        });
        let help = match (odata_spelling, did_you_mean(n, f::builtin_functions())) {
            (Some(o), _) => format!(
                "a filter is OData syntax: write `{o}(...)` (`{n}` is the spelling in `expr:` and `when:`)"
            ),
            (None, Some(m)) => format!("did you mean `{m}`?"),
            (None, None) => format!(
                "a filter is OData `$filter` syntax; its built-in functions are {}",
                f::builtin_functions().collect::<Vec<_>>().join(", ")
            ),
        };
        diags.push(
            Diagnostic::new(
                Code::M0501,
                name.span,
                format!("unknown function `{n}` in the filter"),
            )
            .label("not an OData built-in function")
            .help(help),
        );
        placeholder(span)
    }

    fn unsupported(&mut self, what: impl Into<String>, span: Span) -> Expr {
        self.unsupported.push((what.into(), span));
        placeholder(span)
    }

    fn expr(&mut self, e: &f::FilterExpr, diags: &mut Diagnostics) -> Expr {
        let span = e.span;
        match &e.kind {
            f::FilterKind::Literal(l) => self.literal(l, span, diags),
            f::FilterKind::Path(segs) => self.path(segs, span, diags),
            f::FilterKind::Call { name, args } => {
                let canonical = name.name.as_str();
                if !ODATA_FUNCS.contains(&canonical) {
                    for a in args {
                        self.expr(a, diags);
                    }
                    return self.unsupported(format!("the function `{canonical}`"), name.span);
                }
                let args: Vec<Expr> = args.iter().map(|a| self.expr(a, diags)).collect();
                lx::call_in(Lang::Filter, canonical, name.span, args, span, diags)
            }
            f::FilterKind::Cast { expr, .. } => {
                if let Some(x) = expr {
                    self.expr(x, diags);
                }
                self.unsupported("`cast`", span)
            }
            f::FilterKind::IsOf { expr, .. } => {
                if let Some(x) = expr {
                    self.expr(x, diags);
                }
                self.unsupported("`isof`", span)
            }
            f::FilterKind::Case(arms) => self.case(arms, span, diags),
            f::FilterKind::Unary { op, expr } => {
                let inner = self.expr(expr, diags);
                lx::unary_in(Lang::Filter, *op, inner, span, diags)
            }
            f::FilterKind::Binary {
                op: f::BinaryOp::Has,
                lhs,
                ..
            } => {
                self.expr(lhs, diags);
                self.unsupported("the `has` operator", span)
            }
            f::FilterKind::Binary { op, lhs, rhs } => {
                let l = self.expr(lhs, diags);
                let r = self.expr(rhs, diags);
                use f::BinaryOp as B;
                let op = match op {
                    B::Shared(op) => *op,
                    B::Div => {
                        let ints = l.ty == Type::Integer && r.ty == Type::Integer;
                        let d = lx::binary_in(Lang::Filter, BinaryOp::Div, l, r, span, diags);
                        if !ints {
                            return d;
                        }
                        // OData integer division truncates towards zero.
                        let zero = Expr {
                            kind: ExprKind::Const(Const::Decimal(0.into())),
                            ty: Type::Integer,
                            span,
                        };
                        let down = Expr {
                            kind: ExprKind::Const(Const::String(Arc::from("down"))),
                            ty: Type::String,
                            span,
                        };
                        let mut e = lx::call("round", span, vec![d, zero, down], span, diags);
                        e.ty = Type::Integer;
                        return e;
                    }
                    B::Has => return self.unsupported("the `has` operator", span),
                };
                lx::binary_in(Lang::Filter, op, l, r, span, diags)
            }
            f::FilterKind::List(items) => {
                let items: Vec<Expr> = items.iter().map(|i| self.expr(i, diags)).collect();
                lx::list(items, span)
            }
            f::FilterKind::Object(members) => {
                for (_, v) in members {
                    self.expr(v, diags);
                }
                self.unsupported("a JSON object", span)
            }
        }
    }

    /// `case(c1: v1, c2: v2)` -> `if(c1, v1, if(c2, v2, null))`.
    fn case(
        &mut self,
        arms: &[(f::FilterExpr, f::FilterExpr)],
        span: Span,
        diags: &mut Diagnostics,
    ) -> Expr {
        let lowered: Vec<(Expr, Expr)> = arms
            .iter()
            .map(|(c, v)| (self.expr(c, diags), self.expr(v, diags)))
            .collect();
        let mut acc = Expr {
            kind: ExprKind::Const(Const::Null),
            ty: Type::Null,
            span,
        };
        for (c, v) in lowered.into_iter().rev() {
            let at = c.span.join(v.span);
            acc = lx::call_in(Lang::Filter, "if", at, vec![c, v, acc], at, diags);
        }
        acc.span = span;
        acc
    }

    fn literal(&mut self, l: &f::Literal, span: Span, diags: &mut Diagnostics) -> Expr {
        let c = |c: Const, ty: Type| Expr {
            kind: ExprKind::Const(c),
            ty,
            span,
        };
        match l {
            f::Literal::Null => c(Const::Null, Type::Null),
            f::Literal::Bool(b) => c(Const::Bool(*b), Type::Bool),
            f::Literal::Number(t) if matches!(t.trim_start_matches(['-', '+']), "INF" | "NaN") => {
                self.unsupported(format!("the number `{t}`"), span)
            }
            f::Literal::Number(t) => lx::number_const(t, span, diags),
            f::Literal::String(s) => c(Const::String(s.as_str().into()), Type::String),
            f::Literal::Date(t) => lx::date_const(t, span, diags),
            f::Literal::DateTimeOffset(t) => lx::datetime_const(t, span, diags),
            f::Literal::Guid(g) => c(Const::String(g.to_ascii_lowercase().into()), Type::Guid),
            f::Literal::TimeOfDay(_) => self.unsupported("a time-of-day literal", span),
            f::Literal::Duration(_) => self.unsupported("a duration literal", span),
            f::Literal::Binary(_) => self.unsupported("a binary literal", span),
            f::Literal::Enum { .. } => self.unsupported("an enum literal", span),
            f::Literal::Geo { .. } => self.unsupported("a geography/geometry literal", span),
        }
    }

    fn path(&mut self, segs: &[f::Segment], span: Span, diags: &mut Diagnostics) -> Expr {
        let mut names: Vec<(&str, Span)> = Vec::new();
        for (i, s) in segs.iter().enumerate() {
            match &s.kind {
                f::SegmentKind::It if i == 0 => {}
                f::SegmentKind::Name(n) if !n.name.contains('.') => {
                    names.push((n.name.as_str(), n.span))
                }
                f::SegmentKind::Name(n) => {
                    return self.unsupported(format!("the type cast segment `{}`", n.name), s.span)
                }
                f::SegmentKind::Any { .. } => return self.unsupported("`any(...)`", s.span),
                f::SegmentKind::All { .. } => return self.unsupported("`all(...)`", s.span),
                f::SegmentKind::Count { .. } => return self.unsupported("`$count`", s.span),
                f::SegmentKind::Filter(_) => {
                    return self.unsupported("`$filter(...)` on a collection", s.span)
                }
                f::SegmentKind::Call { name, args }
                    if i == 0 && self.unknown_function(&name.name) =>
                {
                    return self.unknown_call(name, args, span, diags)
                }
                f::SegmentKind::Call { name, .. } => {
                    return self.unsupported(
                        format!("the function or key segment `{}(...)`", name.name),
                        s.span,
                    )
                }
                f::SegmentKind::Annotation(n) => {
                    return self.unsupported(
                        format!("the annotation or parameter alias `@{}`", n.name),
                        s.span,
                    )
                }
                f::SegmentKind::It => {
                    return self.unsupported("`$it` after the first segment", s.span)
                }
                f::SegmentKind::This => return self.unsupported("`$this`", s.span),
                f::SegmentKind::Root => return self.unsupported("`$root`", s.span),
            }
        }
        if names.is_empty() {
            return self.unsupported("`$it` alone", span);
        }
        let scope = self.scope;
        let first = names[0].0;
        let related = scope
            .related_index(first)
            .or_else(|| scope.related.iter().position(|r| r.via == first));
        let p = match related {
            Some(i) => {
                let mut segments: Vec<Arc<str>> =
                    names.iter().map(|(n, _)| Arc::from(*n)).collect();
                segments[0] = Arc::from(scope.related[i].alias.as_str());
                PathRef {
                    segments,
                    related: Some(i),
                    span,
                }
            }
            // On a flat source a navigation the mapping does not declare is
            // M0403: the server could evaluate it, but the records mapc reads
            // (and previews) do not carry it, so local evaluation would differ.
            None => scope.path(&names, span, diags),
        };
        let ty = scope.path_type(&p);
        Expr {
            kind: ExprKind::Path(p),
            ty,
            span,
        }
    }
}
