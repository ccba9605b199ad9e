//! Expression AST -> typed `ir::Expr`: path resolution, function lookup,
//! arity and type checks (M0403, M0303, M05xx).

use super::literal::{number_too_large, parse_datetime, parse_decimal};
use crate::funcs::{Call, Func, FuncInfo, FUNCS};
use crate::{BinaryOp, ConnectionKind, Const, Expr, ExprKind, PathRef, Related, Type, UnaryOp};
use mapc_diag::{close_typo, code_list, did_you_mean, Code, Diagnostic, Diagnostics, Span};
use mapc_syntax::expr as ast;
use mapc_value::dates::date as parse_date;
use std::sync::Arc;

use super::SchemaInfo;

/// What a path in an expression (or a `from:`) is resolved against.
pub struct Scope<'a> {
    /// The mapping's name, for messages.
    pub mapping: &'a str,
    pub related: &'a [Related],
    pub kind: ConnectionKind,
    pub connection: &'a str,
    /// The entity unqualified paths read from (the primary, or the line entity).
    pub entity: &'a str,
    /// Product-line scope: paths are relative to one line, no related resolution.
    pub line: bool,
    /// First segments naming embedded collections (products, sales prices,
    /// contacts paths) that flat sources may still read into.
    pub nested_roots: Vec<String>,
    pub schema: Option<&'a dyn SchemaInfo>,
    /// Column types declared on the source (a CSV file's `columns:`), by
    /// dotted path; used where the metadata does not know a path.
    pub columns: &'a [(String, Type)],
}

/// Articles for type names in messages.
pub fn a(name: &str) -> String {
    match name.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => format!("an {name}"),
        _ => format!("a {name}"),
    }
}

fn describe(allowed: &[Type]) -> String {
    let names: Vec<String> = allowed
        .iter()
        .map(|t| match t {
            Type::Decimal => "number".to_string(),
            Type::List(_) => "list".to_string(),
            t => t.name(),
        })
        .collect();
    a(&names.join(" or "))
}

fn fits_any(t: &Type, allowed: &[Type]) -> bool {
    allowed.iter().any(|w| t.fits(w))
}

impl Scope<'_> {
    fn flat_source(&self) -> bool {
        matches!(
            self.kind,
            ConnectionKind::Dataverse | ConnectionKind::BusinessCentral
        )
    }

    pub fn related_index(&self, alias: &str) -> Option<usize> {
        self.related.iter().position(|r| r.alias == alias)
    }

    /// Resolves a source path. `segments` carry their spans; `span` is the
    /// whole path. Reports M0403 for a nested path a flat source cannot have.
    pub fn path(&self, segments: &[(&str, Span)], span: Span, diags: &mut Diagnostics) -> PathRef {
        let segs: Vec<Arc<str>> = segments.iter().map(|(s, _)| Arc::from(*s)).collect();
        if self.line || segments.is_empty() {
            return PathRef {
                segments: segs,
                related: None,
                span,
            };
        }
        let (first, first_span) = segments[0];
        let related = self.related_index(first);
        if related.is_none() && segments.len() >= 2 && !self.nested_roots.iter().any(|r| r == first)
        {
            if self.flat_source() {
                diags.push(self.not_related(first, first_span));
            } else if let Some(alias) = self.misspelled_alias(first) {
                // Records of files and OData services may nest objects, but
                // a name one typo away from a related alias is that alias.
                diags.push(
                    self.not_related(first, first_span).help(format!(
                        "did you mean the related alias `{alias}`? (if `{first}` really is a nested object of the source record, rename the alias so the two cannot be confused)"
                    )),
                );
            }
        }
        PathRef {
            segments: segs,
            related,
            span,
        }
    }

    /// The related alias `first` is a typo of, when it is not a property
    /// the metadata knows.
    fn misspelled_alias(&self, first: &str) -> Option<String> {
        let alias = close_typo(first, self.related.iter().map(|r| r.alias.as_str()))?;
        let known = self
            .schema
            .and_then(|s| s.field_type(self.connection, self.entity, first))
            .is_some();
        (!known).then_some(alias)
    }

    pub fn not_related(&self, first: &str, span: Span) -> Diagnostic {
        let kind = match self.kind {
            ConnectionKind::BusinessCentral => "Business Central",
            _ => "Dataverse",
        };
        let help = match did_you_mean(first, self.related.iter().map(|r| r.alias.as_str())) {
            Some(m) => format!("did you mean the related alias `{m}`?"),
            None if self.related.is_empty() => format!(
                "{kind} records are flat; to read a field of a related record, declare it under the mapping's `related:` (e.g. `{first}: {{ entity: account, via: {first}id }}`)"
            ),
            None => format!(
                "{kind} records are flat; nested data comes only through related N:1 records. Declared aliases: {}; declare `{first}` under `related:` if it is one",
                code_list(self.related.iter().map(|r| &r.alias))
            ),
        };
        Diagnostic::new(
            Code::M0403,
            span,
            format!(
                "`{first}` is not a related alias of mapping `{}`",
                self.mapping
            ),
        )
        .label("not a related alias")
        .help(help)
    }

    /// The statically known type of a path: from cached metadata, else
    /// from the source's declared CSV `columns:`, else Unknown.
    pub fn path_type(&self, p: &PathRef) -> Type {
        // A related alias itself is the related record (or null), with or
        // without metadata.
        if p.related.is_some() && p.segments.len() == 1 {
            return Type::Record;
        }
        match self.metadata_type(p) {
            Type::Unknown if !self.line => {
                let dotted = p.dotted();
                self.columns
                    .iter()
                    .find(|(n, _)| *n == dotted)
                    .map_or(Type::Unknown, |(_, t)| t.clone())
            }
            t => t,
        }
    }

    fn metadata_type(&self, p: &PathRef) -> Type {
        let Some(schema) = self.schema else {
            return Type::Unknown;
        };
        match p.related {
            Some(i) => match p.segments.len() {
                1 => Type::Record,
                2 => schema
                    .field_type(self.connection, &self.related[i].entity, &p.segments[1])
                    .unwrap_or(Type::Unknown),
                _ => Type::Unknown,
            },
            None if p.segments.len() == 1 => schema
                .field_type(self.connection, self.entity, &p.segments[0])
                .unwrap_or(Type::Unknown),
            None => Type::Unknown,
        }
    }

    pub fn expr(&self, e: &ast::Expr, diags: &mut Diagnostics) -> Expr {
        let span = e.span;
        let mk = |kind, ty| Expr { kind, ty, span };
        match &e.kind {
            ast::ExprKind::Null => mk(ExprKind::Const(Const::Null), Type::Null),
            ast::ExprKind::Bool(b) => mk(ExprKind::Const(Const::Bool(*b)), Type::Bool),
            ast::ExprKind::Number(t) => number_const(t, span, diags),
            ast::ExprKind::String(s) => mk(
                ExprKind::Const(Const::String(s.as_str().into())),
                Type::String,
            ),
            ast::ExprKind::Date(t) => date_const(t, span, diags),
            ast::ExprKind::DateTime(t) => datetime_const(t, span, diags),
            ast::ExprKind::Path(idents) => {
                let segs: Vec<(&str, Span)> =
                    idents.iter().map(|i| (i.name.as_str(), i.span)).collect();
                let p = self.path(&segs, span, diags);
                let ty = self.path_type(&p);
                mk(ExprKind::Path(p), ty)
            }
            ast::ExprKind::Call { name, args } => {
                let args: Vec<Expr> = args.iter().map(|a| self.expr(a, diags)).collect();
                call(&name.name, name.span, args, span, diags)
            }
            ast::ExprKind::Unary { op, expr } => {
                let inner = self.expr(expr, diags);
                unary(*op, inner, span, diags)
            }
            ast::ExprKind::Binary { op, lhs, rhs } => {
                let l = self.expr(lhs, diags);
                let r = self.expr(rhs, diags);
                binary(*op, l, r, span, diags)
            }
            ast::ExprKind::List(items) => {
                let items: Vec<Expr> = items.iter().map(|a| self.expr(a, diags)).collect();
                list(items, span)
            }
        }
    }
}

fn error_expr(span: Span) -> Expr {
    Expr {
        kind: ExprKind::Const(Const::Null),
        ty: Type::Unknown,
        span,
    }
}

/// A number literal: Integer without a point, Decimal with one; exact.
pub fn number_const(text: &str, span: Span, diags: &mut Diagnostics) -> Expr {
    match parse_decimal(text) {
        Some(d) => {
            let ty = if text.contains(['.', 'e', 'E']) {
                Type::Decimal
            } else {
                Type::Integer
            };
            Expr {
                kind: ExprKind::Const(Const::Decimal(d)),
                ty,
                span,
            }
        }
        None => {
            diags.push(number_too_large(text, span));
            error_expr(span)
        }
    }
}

pub fn date_const(text: &str, span: Span, diags: &mut Diagnostics) -> Expr {
    match parse_date(text) {
        Some(d) => Expr {
            kind: ExprKind::Const(Const::Date(d)),
            ty: Type::Date,
            span,
        },
        None => {
            diags.push(
                Diagnostic::new(Code::M0303, span, format!("`{text}` is not a valid date"))
                    .label("no such date")
                    .help("write a real calendar date as YYYY-MM-DD, e.g. `@2026-01-31`"),
            );
            error_expr(span)
        }
    }
}

pub fn datetime_const(text: &str, span: Span, diags: &mut Diagnostics) -> Expr {
    match parse_datetime(text) {
        Some(t) => Expr {
            kind: ExprKind::Const(Const::DateTime(t)),
            ty: Type::DateTime,
            span,
        },
        None => {
            diags.push(
                Diagnostic::new(
                    Code::M0303,
                    span,
                    format!("`{text}` is not a valid date-time"),
                )
                .label("not an RFC 3339 date-time")
                .help("write a date-time with its offset, e.g. `@2026-01-31T08:00:00Z`"),
            );
            error_expr(span)
        }
    }
}

pub fn list(items: Vec<Expr>, span: Span) -> Expr {
    let elem = items.iter().fold(Type::Null, |acc, e| acc.join(&e.ty));
    let elem = if items.is_empty() || elem == Type::Null {
        Type::Unknown
    } else {
        elem
    };
    Expr {
        kind: ExprKind::List(items),
        ty: Type::List(Box::new(elem)),
        span,
    }
}

fn arity_text(f: &FuncInfo) -> String {
    let n = |k: usize| {
        if k == 1 {
            "1 argument".to_string()
        } else {
            format!("{k} arguments")
        }
    };
    if f.min_args == f.max_args {
        n(f.min_args)
    } else if f.max_args == usize::MAX {
        format!("at least {}", n(f.min_args))
    } else {
        format!("{} to {} arguments", f.min_args, f.max_args)
    }
}

/// Resolves and type-checks a call. `name_span` is the function name,
/// `span` the whole call.
pub fn call(
    name: &str,
    name_span: Span,
    args: Vec<Expr>,
    span: Span,
    diags: &mut Diagnostics,
) -> Expr {
    call_in(Lang::Expr, name, name_span, args, span, diags)
}

/// A call written in `lang` (in a filter, `name` is the OData spelling).
pub fn call_in(
    lang: Lang,
    name: &str,
    name_span: Span,
    args: Vec<Expr>,
    span: Span,
    diags: &mut Diagnostics,
) -> Expr {
    let Some(func) = Func::named(name) else {
        let candidates = FUNCS
            .iter()
            .flat_map(|f| std::iter::once(f.name).chain(f.aliases.iter().copied()));
        let help = match did_you_mean(name, candidates) {
            Some(m) => format!("did you mean `{m}`?"),
            None => format!(
                "available functions: {}",
                FUNCS.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
            ),
        };
        diags.push(
            Diagnostic::new(Code::M0501, name_span, format!("unknown function `{name}`"))
                .label("no such function")
                .help(help),
        );
        return error_expr(span);
    };
    let info = func.info();
    // Messages name the function as written.
    let fname = match lang {
        Lang::Expr => info.name,
        Lang::Filter => name,
    };
    let arity_ok = args.len() >= info.min_args && args.len() <= info.max_args;
    if !arity_ok {
        diags.push(
            Diagnostic::new(
                Code::M0502,
                span,
                format!(
                    "`{}` takes {}, found {}",
                    fname,
                    arity_text(info),
                    args.len()
                ),
            )
            .label(format!(
                "{} argument{}",
                args.len(),
                if args.len() == 1 { "" } else { "s" }
            ))
            .help(format!("the signature is `{}`", info.signature)),
        );
        // Which argument is which is unclear with the wrong count: argument
        // types and the function's own checks (`Function::check`) are not
        // made then.
        let tys: Vec<Type> = args.iter().map(|a| a.ty.clone()).collect();
        let ty = func.result_type(&tys);
        return Expr {
            kind: ExprKind::Call(func, args),
            ty,
            span,
        };
    }
    for (i, arg) in args.iter().enumerate() {
        // Borrowed from the function's constants, not copied, in the common case.
        let Some(allowed) = func.arg_type(i) else {
            continue;
        };
        let allowed = &*allowed;
        if !fits_any(&arg.ty, allowed) {
            let position = if info.max_args > 1 {
                format!(" as argument {}", i + 1)
            } else {
                String::new()
            };
            diags.push(
                Diagnostic::new(
                    Code::M0503,
                    arg.span,
                    format!(
                        "`{}` expects {}{position}, found {}",
                        fname,
                        describe(allowed),
                        arg.ty
                    ),
                )
                .label(format!("this is {}", a(&arg.ty.name())))
                .help(conversion_help(lang, &arg.ty, allowed, info)),
            );
        }
    }
    func.check(
        &Call {
            name: fname,
            lang,
            args: &args,
        },
        diags,
    );
    let tys: Vec<Type> = args.iter().map(|a| a.ty.clone()).collect();
    let ty = func.result_type(&tys);
    Expr {
        kind: ExprKind::Call(func, args),
        ty,
        span,
    }
}

/// The value of a number constant, also a negated one (`-2`).
pub(crate) fn const_number(e: &Expr) -> Option<rust_decimal::Decimal> {
    match &e.kind {
        ExprKind::Const(Const::Decimal(d)) => Some(*d),
        ExprKind::Unary(UnaryOp::Neg, inner) => const_number(inner).map(|d| -d),
        _ => None,
    }
}

fn conversion_help(lang: Lang, found: &Type, allowed: &[Type], info: &FuncInfo) -> String {
    let wants = |t: Type| allowed.contains(&t);
    if lang == Lang::Filter {
        return match found {
            Type::String if wants(Type::Decimal) || wants(Type::Integer) => {
                "write the number without quotes (OData cannot convert text to a number)".into()
            }
            Type::String if wants(Type::Date) || wants(Type::DateTime) => {
                "write the date without quotes, e.g. `2026-01-01`".into()
            }
            _ if wants(Type::String) => "write text in single quotes, e.g. 'abc'".into(),
            _ => format!("this function takes {}", describe(allowed)),
        };
    }
    match found {
        Type::String if wants(Type::Decimal) || wants(Type::Integer) => "convert the text first with to_decimal(...)".into(),
        Type::String if wants(Type::Date) => "parse the text first with parse_date(...), or write a date literal such as `@2026-01-01`".into(),
        t if (t.is_numeric() || matches!(t, Type::Date | Type::DateTime | Type::Bool | Type::Guid)) && wants(Type::String) => {
            "convert the value first with to_string(...)".into()
        }
        _ => format!("the signature is `{}`", info.signature),
    }
}

/// How `op` is written in `lang`.
fn op_word(lang: Lang, op: BinaryOp) -> &'static str {
    let (expr, odata) = match op {
        BinaryOp::Add => ("+", "add"),
        BinaryOp::Sub => ("-", "sub"),
        BinaryOp::Mul => ("*", "mul"),
        BinaryOp::Div => ("/", "div"),
        BinaryOp::Mod => ("%", "mod"),
        BinaryOp::Eq => ("==", "eq"),
        BinaryOp::Ne => ("!=", "ne"),
        BinaryOp::Lt => ("<", "lt"),
        BinaryOp::Le => ("<=", "le"),
        BinaryOp::Gt => (">", "gt"),
        BinaryOp::Ge => (">=", "ge"),
        BinaryOp::And => ("and", "and"),
        BinaryOp::Or => ("or", "or"),
        BinaryOp::In => ("in", "in"),
    };
    match lang {
        Lang::Expr => expr,
        Lang::Filter => odata,
    }
}

/// A unary operation in a mapc expression.
pub fn unary(op: UnaryOp, inner: Expr, span: Span, diags: &mut Diagnostics) -> Expr {
    unary_in(Lang::Expr, op, inner, span, diags)
}

/// Type-checks a unary operation written in `lang`.
pub fn unary_in(lang: Lang, op: UnaryOp, inner: Expr, span: Span, diags: &mut Diagnostics) -> Expr {
    let odata = lang == Lang::Filter;
    let ty = match op {
        UnaryOp::Not => {
            if !inner.ty.fits(&Type::Bool) {
                diags.push(
                    Diagnostic::new(
                        Code::M0503,
                        inner.span,
                        format!("`not` needs a boolean, found {}", inner.ty),
                    )
                    .label(format!("this is {}", a(&inner.ty.name())))
                    .help(if odata {
                        "negate a condition, e.g. `not (x eq 1)`; test for a missing value with `x eq null`"
                    } else {
                        "negate a condition, e.g. `not is_null(x)` or `not (x == 1)`"
                    }),
                );
            }
            Type::Bool
        }
        UnaryOp::Neg => {
            if !inner.ty.fits(&Type::Decimal) {
                diags.push(
                    Diagnostic::new(
                        Code::M0503,
                        inner.span,
                        format!("`-` needs a number, found {}", inner.ty),
                    )
                    .label(format!("this is {}", a(&inner.ty.name())))
                    .help(if odata {
                        "only numbers can be negated; write numbers without quotes"
                    } else {
                        "only numbers can be negated; convert text with to_decimal(...)"
                    }),
                );
                Type::Unknown
            } else if inner.ty.is_numeric() {
                inner.ty.clone()
            } else {
                Type::Number
            }
        }
    };
    Expr {
        kind: ExprKind::Unary(op, Box::new(inner)),
        ty,
        span,
    }
}

fn comparable(a: &Type, b: &Type) -> bool {
    let datey = |t: &Type| matches!(t, Type::Date | Type::DateTime);
    a.fits(b) || b.fits(a) || (datey(a) && datey(b))
}

fn ordered(t: &Type) -> bool {
    matches!(
        t,
        Type::Unknown
            | Type::Null
            | Type::Integer
            | Type::Decimal
            | Type::Number
            | Type::String
            | Type::Date
            | Type::DateTime
            | Type::Guid
    )
}

/// The language an expression is written in: diagnostics name its operators
/// and propose fixes in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// `expr:`, `when:` and the other mapc expressions.
    Expr,
    /// An OData `$filter`.
    Filter,
}

/// The source text of a simple operand, for examples in helps: a path (in
/// the language's spelling) or a literal.
fn operand_text(lang: Lang, e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Path(p) => Some(match lang {
            Lang::Expr => p.dotted(),
            Lang::Filter => p
                .segments
                .iter()
                .map(|s| &**s)
                .collect::<Vec<_>>()
                .join("/"),
        }),
        _ => None,
    }
}

/// The text of a string constant.
fn string_const(e: &Expr) -> Option<&str> {
    match &e.kind {
        ExprKind::Const(Const::String(s)) => Some(s),
        _ => None,
    }
}

fn compare_help(lang: Lang, op: BinaryOp, l: &Expr, r: &Expr) -> String {
    let (a, b) = (&l.ty, &r.ty);
    let one = |t: &Type| a == t || b == t;
    let numeric = (one(&Type::Integer) || one(&Type::Decimal)) && one(&Type::String);
    let datey = (one(&Type::Date) || one(&Type::DateTime)) && one(&Type::String);
    if lang == Lang::Filter {
        // The field and the quoted literal, when the comparison is that simple.
        let (field, text) = match (string_const(l), string_const(r)) {
            (None, Some(t)) => (operand_text(lang, l), Some(t)),
            (Some(t), None) => (operand_text(lang, r), Some(t)),
            _ => (None, None),
        };
        let op = op_word(Lang::Filter, op);
        // `estimatedvalue gt 0`, or `gt 0` when the other side is no field.
        let example = |lit: &str| match &field {
            Some(f) => format!("`{f} {op} {lit}`"),
            None => match text {
                Some(t) => format!("`{op} {lit}`, not `{op} '{t}'`"),
                None => format!("`{op} {lit}`"),
            },
        };
        return if numeric {
            let n = text
                .map(str::trim)
                .filter(|t| parse_decimal(t).is_some())
                .unwrap_or("0");
            format!("compare with a number, without quotes: {}", example(n))
        } else if datey {
            let d = text
                .map(str::trim)
                .filter(|t| parse_date(t).is_some() || parse_datetime(t).is_some())
                .unwrap_or("2026-01-01");
            format!(
                "compare with a date or date-time literal, without quotes: {}",
                example(d)
            )
        } else if one(&Type::Bool) {
            "compare with `true` or `false`, or use the boolean directly".into()
        } else {
            "both sides of a comparison must have the same type; compare the field with a literal of its type (numbers and dates without quotes, text in 'single quotes')".into()
        };
    }
    if datey {
        "compare with a date literal such as `@2026-01-01`, or convert the text with parse_date(...)".into()
    } else if numeric {
        "compare with a number literal (without quotes), or convert the text with to_decimal(...)"
            .into()
    } else if one(&Type::Bool) {
        "compare with `true` or `false`, or use the boolean directly".into()
    } else {
        "both sides of a comparison must have the same type; convert one side with to_string(...), to_decimal(...) or parse_date(...)".into()
    }
}

/// A binary operation in a mapc expression.
pub fn binary(op: BinaryOp, l: Expr, r: Expr, span: Span, diags: &mut Diagnostics) -> Expr {
    binary_in(Lang::Expr, op, l, r, span, diags)
}

/// Type-checks a binary operation written in `lang`. Labels sit on the
/// operands; a diagnostic's own span never contains a labelled operand (a
/// renderer cannot draw labels nested in another label's span on one line).
pub fn binary_in(
    lang: Lang,
    op: BinaryOp,
    l: Expr,
    r: Expr,
    span: Span,
    diags: &mut Diagnostics,
) -> Expr {
    use BinaryOp::*;
    let odata = lang == Lang::Filter;
    let op_name = |op| op_word(lang, op);
    let ty = match op {
        Add | Sub | Mul | Div | Mod => {
            let lb = !l.ty.fits(&Type::Decimal);
            let rb = !r.ty.fits(&Type::Decimal);
            if lb || rb {
                let (at, found) = match (lb, rb) {
                    (true, false) => (l.span, l.ty.name()),
                    (false, true) => (r.span, r.ty.name()),
                    _ => (span, format!("{} and {}", l.ty, r.ty)),
                };
                let help = if op == Add && (l.ty == Type::String || r.ty == Type::String) {
                    "use concat(a, b) to join text".to_string()
                } else if odata && (l.ty == Type::String || r.ty == Type::String) {
                    "OData cannot convert text to a number; write numbers without quotes"
                        .to_string()
                } else if l.ty == Type::String || r.ty == Type::String {
                    "convert the text first with to_decimal(...)".to_string()
                } else {
                    format!("`{}` works on numbers only", op_name(op))
                };
                diags.push(
                    Diagnostic::new(
                        Code::M0503,
                        at,
                        format!("`{}` needs numbers, found {found}", op_name(op)),
                    )
                    .label("not a number")
                    .help(help),
                );
                // Reported once here; `Unknown` keeps it from cascading.
                Type::Unknown
            } else {
                if matches!(op, Div | Mod) && const_number(&r).is_some_and(|d| d.is_zero()) {
                    diags.push(
                        Diagnostic::new(
                            Code::M0507,
                            r.span,
                            format!("`{}` by a constant zero", op_name(op)),
                        )
                        .label("zero")
                        .help("every record with a value here would be rejected (R0011); divide by the number that was meant"),
                    );
                }
                // Arithmetic always yields a number (or null), whatever is
                // known about the operands: an operand of unknown type only
                // leaves open whether it is an integer.
                match (&l.ty, &r.ty) {
                    _ if op == Div => Type::Decimal,
                    (Type::Integer, Type::Integer) => Type::Integer,
                    (Type::Decimal, _) | (_, Type::Decimal) => Type::Decimal,
                    _ => Type::Number,
                }
            }
        }
        Eq | Ne | Lt | Le | Gt | Ge => {
            if !comparable(&l.ty, &r.ty) {
                // At the left operand (where the comparison starts), with the
                // right one as the second place.
                diags.push(
                    Diagnostic::new(
                        Code::M0503,
                        l.span,
                        format!("`{}` compares {} with {}", op_name(op), l.ty, r.ty),
                    )
                    .label(format!("this is {}", a(&l.ty.name())))
                    .related(r.span, format!("this is {}", a(&r.ty.name())))
                    .help(compare_help(lang, op, &l, &r)),
                );
            } else if !matches!(op, Eq | Ne) {
                for side in [&l, &r] {
                    if !ordered(&side.ty) {
                        diags.push(
                            Diagnostic::new(Code::M0503, side.span, format!("`{}` cannot order {} values", op_name(op), side.ty))
                                .label(format!("this is {}", a(&side.ty.name())))
                                .help(if odata {
                                    "only numbers, text, dates and date-times can be compared with lt, le, gt and ge; use eq or ne here"
                                } else {
                                    "only numbers, text, dates and date-times can be compared with <, <=, > and >=; use == or != here"
                                }),
                        );
                        break;
                    }
                }
            }
            Type::Bool
        }
        And | Or => {
            for side in [&l, &r] {
                if !side.ty.fits(&Type::Bool) {
                    diags.push(
                        Diagnostic::new(
                            Code::M0503,
                            side.span,
                            format!(
                                "`{}` needs boolean operands, found {}",
                                op_name(op),
                                side.ty
                            ),
                        )
                        .label(format!("this is {}", a(&side.ty.name())))
                        .help(if odata {
                            "make each side a condition, e.g. `x eq 1` or `x ne null`"
                        } else {
                            "make each side a condition, e.g. `x == 1` or `not is_null(x)`"
                        }),
                    );
                }
            }
            Type::Bool
        }
        In => {
            match &r.ty {
                Type::List(elem) => {
                    if let ExprKind::List(items) = &r.kind {
                        for item in items {
                            if !comparable(&l.ty, &item.ty) {
                                diags.push(
                                    Diagnostic::new(
                                        Code::M0503,
                                        item.span,
                                        format!("`in` compares {} with {}", l.ty, item.ty),
                                    )
                                    .label(format!("this is {}", a(&item.ty.name())))
                                    .related(l.span, format!("this is {}", a(&l.ty.name())))
                                    .help(compare_help(
                                        lang,
                                        BinaryOp::Eq,
                                        &l,
                                        item,
                                    )),
                                );
                                break;
                            }
                        }
                    } else if !comparable(&l.ty, elem) {
                        let items = Expr {
                            kind: ExprKind::Const(Const::Null),
                            ty: (**elem).clone(),
                            span: r.span,
                        };
                        diags.push(
                            Diagnostic::new(
                                Code::M0503,
                                l.span,
                                format!("`in` compares {} with a list of {}", l.ty, elem),
                            )
                            .label(format!("this is {}", a(&l.ty.name())))
                            .related(r.span, format!("this is a list of {elem}"))
                            .help(compare_help(
                                lang,
                                BinaryOp::Eq,
                                &l,
                                &items,
                            )),
                        );
                    }
                }
                Type::Unknown | Type::Null => {}
                other => {
                    diags.push(
                        Diagnostic::new(
                            Code::M0503,
                            r.span,
                            format!("`in` needs a list on the right, found {other}"),
                        )
                        .label(format!("this is {}", a(&other.name())))
                        .help(if odata {
                            "write the candidates as a list, e.g. `statecode in (0, 1)`"
                        } else {
                            "write the candidates as a list, e.g. `statecode in [0, 1]`"
                        }),
                    );
                }
            }
            Type::Bool
        }
    };
    Expr {
        kind: ExprKind::Binary(op, Box::new(l), Box::new(r)),
        ty,
        span,
    }
}
