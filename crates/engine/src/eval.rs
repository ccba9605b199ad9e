//! Expression evaluation.
//!
//! IR expressions are compiled once into [`CExpr`], whose path reads are
//! slot indices resolved at compile time, and then evaluated per record.
//!
//! Semantics (shared by `expr:`, rule `when:` and OData `filter:`):
//! * Null-safe: a read of an absent or null path is null; arithmetic and most
//!   functions give null for a null operand; nothing aborts a record just
//!   because a value is missing.
//! * Comparisons follow OData: `eq`/`ne` treat null as a value (`null eq null`
//!   is true, `x eq null` is false for a non-null `x`); `lt`/`gt` with a null
//!   operand are false; `le`/`ge` are true only when both are null.
//! * `and`/`or`/`not` use three-valued logic (null = unknown) and short-circuit;
//!   a null condition counts as false where a decision is made (filters,
//!   rules, `if`).
//! * Numbers are exact decimals; overflow and division by zero are R0011.
//! * JSON has no date type, so a string meets a date where a date is needed:
//!   comparing with a date or date-time, or passing it to a date function,
//!   parses it (`YYYY-MM-DD` or RFC 3339; without an offset it is UTC); a
//!   string that is not a date is R0003 there.
//! * Likewise a string meets a number in arithmetic and ordering comparisons
//!   (`"12.50" * 2`, CSV cells): it is parsed exactly, and R0010 when it is
//!   not a number. `eq`/`ne` never fail on kinds: a string that is not a
//!   number is simply not equal to a number.

use crate::exact::{self, Inexact, Mode};
use jiff::civil::Date;
use mapc_diag::Code;
use mapc_ir::{BinaryOp, Const, Expr, ExprKind, Func, PathRef, UnaryOp};
use mapc_value::*;
use rust_decimal::{Decimal, RoundingStrategy};
use std::borrow::Cow;
use std::cmp::Ordering;
use std::sync::Arc;

/// A compiled expression.
#[derive(Clone, Debug)]
pub enum CExpr {
    Const(Value<'static>),
    /// A slot of the current scope (the record, or one product line).
    Slot(u32),
    /// A slot read of a path into a related alias: R0004 when the record
    /// does not have the alias at all, R0010 when the alias is there but is
    /// not an object (an explicit `null` reads as null).
    Related(u32, Arc<RelatedCheck>),
    Call(Func, Vec<CExpr>),
    Unary(UnaryOp, Box<CExpr>),
    Binary(BinaryOp, Box<CExpr>, Box<CExpr>),
    /// An ordering comparison (`<`, `<=`, `>`, `>=`) with an operand that
    /// is text by its type (a string literal, `to_string(..)`, a column
    /// typed string): texts compare as text, without the R0020 check.
    TextOrder(BinaryOp, Box<CExpr>, Box<CExpr>),
    List(Vec<CExpr>),
}

/// What a read of a related alias checks first.
#[derive(Debug)]
pub struct RelatedCheck {
    /// The slot the parser sets when the alias key is in the record: `true`
    /// for an object or null, else the kind of the value found (`"a string"`).
    pub present: u32,
    pub alias: String,
    pub entity: String,
    pub via: String,
}

impl RelatedCheck {
    fn missing(&self) -> EvalError {
        let RelatedCheck {
            alias, entity, via, ..
        } = self;
        rt(
            Code::R0004,
            format!(
                "the related record `{alias}` is missing: the record has no `{alias}` key (expected the {entity} embedded as `\"{alias}\": {{...}}`)"
            ),
        )
        .help(format!(
            "when the lookup `{via}` has no value, embed `\"{alias}\": null`; its fields then read as null"
        ))
    }

    /// The alias is in the record but holds `kind` (not an object or null).
    fn not_object(&self, kind: &str) -> EvalError {
        let RelatedCheck {
            alias, entity, via, ..
        } = self;
        rt(
            Code::R0010,
            format!("the related record `{alias}` is {kind}, expected an object (or null)"),
        )
        .help(format!(
            "embed the {entity} as `\"{alias}\": {{...}}`, or `\"{alias}\": null` when the lookup `{via}` has no value"
        ))
    }
}

/// A per-record evaluation error: a runtime diagnostic code, a message
/// (what went wrong, never where: the caller knows the field or rule) and
/// an optional hint how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvalError {
    pub code: Code,
    pub message: String,
    pub help: Option<String>,
}

pub type EResult<T> = Result<T, EvalError>;

fn rt(code: Code, message: impl Into<String>) -> EvalError {
    EvalError {
        code,
        message: message.into(),
        help: None,
    }
}

impl EvalError {
    fn help(mut self, h: impl Into<String>) -> EvalError {
        self.help = Some(h.into());
        self
    }
}

/// The hint for a text that is not a date.
pub const DATE_HELP: &str =
    "send dates as YYYY-MM-DD (or RFC 3339 date-times); read other formats with `parse_date(x, 'DD.MM.YYYY')`";

/// Compiles an IR expression; `resolve` turns each path into a read (a slot,
/// or a checked read of a related alias).
pub fn compile(e: &Expr, resolve: &mut dyn FnMut(&PathRef) -> CExpr) -> CExpr {
    match &e.kind {
        ExprKind::Const(c) => CExpr::Const(match c {
            Const::Null => Value::Null,
            Const::Bool(b) => Value::Bool(*b),
            Const::Decimal(d) => Value::Num(*d),
            Const::String(s) => Value::Str(Cow::Owned(s.to_string())),
            Const::Date(d) => Value::Date(*d),
            Const::DateTime(t) => Value::DateTime(*t),
        }),
        ExprKind::Path(p) => resolve(p),
        ExprKind::Call(f, args) => {
            CExpr::Call(*f, args.iter().map(|a| compile(a, resolve)).collect())
        }
        ExprKind::Unary(op, a) => CExpr::Unary(*op, Box::new(compile(a, resolve))),
        ExprKind::Binary(op, a, b) => {
            let text = |t: &mapc_ir::Type| matches!(t, mapc_ir::Type::String | mapc_ir::Type::Guid);
            let ordering = matches!(
                op,
                BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge
            );
            let (l, r) = (Box::new(compile(a, resolve)), Box::new(compile(b, resolve)));
            if ordering && (text(&a.ty) || text(&b.ty)) {
                CExpr::TextOrder(*op, l, r)
            } else {
                CExpr::Binary(*op, l, r)
            }
        }
        ExprKind::List(items) => CExpr::List(items.iter().map(|a| compile(a, resolve)).collect()),
    }
}

/// What an expression can see.
#[derive(Clone, Copy)]
pub struct Ctx<'s, 'a> {
    pub slots: &'s [Value<'a>],
    pub as_of: Date,
}

impl CExpr {
    pub fn eval<'a>(&'a self, cx: Ctx<'_, 'a>) -> EResult<Value<'a>> {
        match self {
            CExpr::Const(v) => Ok(v.reborrow()),
            CExpr::Slot(s) => Ok(cx.slots.get(*s as usize).cloned().unwrap_or(Value::Absent)),
            CExpr::Related(s, check) => {
                match cx.slots.get(check.present as usize) {
                    Some(Value::Absent) | None => return Err(check.missing()),
                    Some(Value::Str(kind)) => return Err(check.not_object(kind)),
                    Some(_) => {}
                }
                Ok(cx.slots.get(*s as usize).cloned().unwrap_or(Value::Absent))
            }
            CExpr::Call(f, args) => call(*f, args, cx),
            CExpr::Unary(UnaryOp::Not, a) => match a.eval(cx)? {
                Value::Bool(b) => Ok(Value::Bool(!b)),
                v if v.is_null() => Ok(Value::Null),
                v => Err(rt(
                    Code::R0010,
                    format!("`not` needs a boolean, found {}", v.kind_name()),
                )),
            },
            CExpr::Unary(UnaryOp::Neg, a) => {
                let v = a.eval(cx)?;
                match num_arg(&v, "-")? {
                    None => Ok(Value::Null),
                    Some(d) => Ok(Value::Num(-d)),
                }
            }
            CExpr::Binary(op, a, b) => binary(*op, a, b, cx),
            CExpr::TextOrder(op, a, b) => order(*op, a.eval(cx)?, b.eval(cx)?, false),
            CExpr::List(items) => Ok(Value::List(
                items.iter().map(|i| i.eval(cx)).collect::<EResult<_>>()?,
            )),
        }
    }

    /// A condition: true only for `true`; null (unknown) counts as false.
    pub fn test(&self, cx: Ctx) -> EResult<bool> {
        match self.eval(cx)? {
            Value::Bool(b) => Ok(b),
            v if v.is_null() => Ok(false),
            v => Err(rt(
                Code::R0010,
                format!("a condition must be a boolean, found {}", v.kind_name()),
            )),
        }
    }
}

fn bool3(v: &Value, op: &str) -> EResult<Option<bool>> {
    match v {
        Value::Bool(b) => Ok(Some(*b)),
        v if v.is_null() => Ok(None),
        v => Err(rt(
            Code::R0010,
            format!("`{op}` needs booleans, found {}", v.kind_name()),
        )),
    }
}

fn binary<'a>(op: BinaryOp, a: &'a CExpr, b: &'a CExpr, cx: Ctx<'_, 'a>) -> EResult<Value<'a>> {
    use BinaryOp::*;
    match op {
        And => {
            let l = bool3(&a.eval(cx)?, "and")?;
            if l == Some(false) {
                return Ok(Value::Bool(false));
            }
            let r = bool3(&b.eval(cx)?, "and")?;
            Ok(match (l, r) {
                (_, Some(false)) => Value::Bool(false),
                (Some(true), Some(true)) => Value::Bool(true),
                _ => Value::Null,
            })
        }
        Or => {
            let l = bool3(&a.eval(cx)?, "or")?;
            if l == Some(true) {
                return Ok(Value::Bool(true));
            }
            let r = bool3(&b.eval(cx)?, "or")?;
            Ok(match (l, r) {
                (_, Some(true)) => Value::Bool(true),
                (Some(false), Some(false)) => Value::Bool(false),
                _ => Value::Null,
            })
        }
        Eq => Ok(Value::Bool(equal(&a.eval(cx)?, &b.eval(cx)?))),
        Ne => Ok(Value::Bool(!equal(&a.eval(cx)?, &b.eval(cx)?))),
        Lt | Le | Gt | Ge => order(op, a.eval(cx)?, b.eval(cx)?, true),
        In => {
            let l = a.eval(cx)?;
            match b.eval(cx)? {
                Value::List(items) => Ok(Value::Bool(items.iter().any(|i| equal(&l, i)))),
                v if v.is_null() => Ok(Value::Bool(false)),
                v => Err(rt(
                    Code::R0010,
                    format!("`in` needs a list on the right, found {}", v.kind_name()),
                )),
            }
        }
        Add | Sub | Mul | Div | Mod => {
            let name = match op {
                Add => "+",
                Sub => "-",
                Mul => "*",
                Div => "/",
                _ => "%",
            };
            let (l, r) = (a.eval(cx)?, b.eval(cx)?);
            let (Some(x), Some(y)) = (num_arg(&l, name)?, num_arg(&r, name)?) else {
                return Ok(Value::Null);
            };
            let res = match op {
                Add => exact::add(x, y),
                Sub => exact::sub(x, y),
                Mul => exact::mul(x, y),
                Div | Mod if y.is_zero() => return Err(div_by_zero(x, name)),
                Div => exact::div(x, y),
                _ => x.checked_rem(y).ok_or(Inexact::Overflow),
            };
            res.map(Value::Num)
                .map_err(|e| inexact(e, &format!("{x} {name} {y}"), op == Div))
        }
    }
}

/// An ordering comparison of two values; with `guard`, two texts that
/// both read as numbers are refused (R0020) when they order differently
/// as text and as numbers (see [`numeric_text_order`]).
fn order<'a>(op: BinaryOp, l: Value<'a>, r: Value<'a>, guard: bool) -> EResult<Value<'a>> {
    use BinaryOp::*;
    if l.is_null() || r.is_null() {
        let both = l.is_null() && r.is_null();
        return Ok(Value::Bool(both && matches!(op, Le | Ge)));
    }
    let holds = |o: Ordering| match op {
        Lt => o == Ordering::Less,
        Le => o != Ordering::Greater,
        Gt => o == Ordering::Greater,
        _ => o != Ordering::Less,
    };
    if guard {
        if let (Value::Str(x), Value::Str(y)) = (&l, &r) {
            if let Some((p, q)) = numbers_both(x, y) {
                let (t, n) = (x.as_ref().cmp(y.as_ref()), p.cmp(&q));
                if holds(t) != holds(n) {
                    return Err(numeric_text_order(x, y, t, n));
                }
            }
        }
    }
    Ok(Value::Bool(holds(compare(&l, &r)?)))
}

/// Both texts read as numbers (exactly, blanks around them ignored).
pub fn numbers_both(x: &str, y: &str) -> Option<(Decimal, Decimal)> {
    let p = parse_decimal(x.trim().as_bytes(), true).ok()?;
    let q = parse_decimal(y.trim().as_bytes(), true).ok()?;
    Some((p, q))
}

/// R0020: two texts that both read as numbers order one way as text (`t`)
/// and another as numbers (`n`). Ordering them either way would be a guess.
pub fn numeric_text_order(x: &str, y: &str, t: Ordering, n: Ordering) -> EvalError {
    let word = |o: Ordering| match o {
        Ordering::Less => "before",
        Ordering::Equal => "equal to",
        Ordering::Greater => "after",
    };
    rt(
        Code::R0020,
        format!(
            "the texts \"{}\" and \"{}\" both read as numbers but order differently: as text the first comes {} the second, as numbers {}",
            clip(x),
            clip(y),
            word(t),
            word(n)
        ),
    )
    .help("declare the column types (`columns: { amount: decimal }` on the file connection, or a schema cache with the entity), or say which order is meant: `to_decimal(a) > to_decimal(b)` for numbers, `to_string(a) > to_string(b)` for text")
}

fn div_by_zero(x: Decimal, name: &str) -> EvalError {
    rt(Code::R0011, format!("division by zero ({x} {name} 0)")).help(format!(
        "guard the divisor, e.g. `if(d == 0, null, n {name} d)`"
    ))
}

/// R0011 for a result too large, R0022 for one that would have to be rounded.
fn inexact(e: Inexact, what: &str, division: bool) -> EvalError {
    match e {
        Inexact::Overflow => rt(Code::R0011, format!("arithmetic overflow in {what}")),
        Inexact::Digits if division => rt(
            Code::R0022,
            format!("the quotient {what} does not end within 28 decimal places; mapc does not round it silently"),
        )
        .help("round the quotient where it is computed, e.g. `round(a / b, 2)`: that rounds the exact quotient once"),
        Inexact::Digits => rt(
            Code::R0022,
            format!("the exact result of {what} needs more digits than a decimal holds (28 places, 28-29 significant digits); mapc does not round it silently"),
        )
        .help("round an operand to the places that matter first, e.g. `round(a, 10) * b`"),
    }
}

/// OData `eq`: null equals null; different kinds are unequal (a string
/// equals a number or date only when it parses to an equal one).
pub fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (x, y) if x.is_null() || y.is_null() => x.is_null() && y.is_null(),
        (Value::Num(x), Value::Num(y)) => x == y,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Str(s), Value::Num(n)) | (Value::Num(n), Value::Str(s)) => {
            parse_decimal(s.trim().as_bytes(), true).is_ok_and(|d| d == *n)
        }
        (Value::Date(_) | Value::DateTime(_), Value::Date(_) | Value::DateTime(_))
        | (Value::Str(_), Value::Date(_) | Value::DateTime(_))
        | (Value::Date(_) | Value::DateTime(_), Value::Str(_)) => {
            compare(a, b).is_ok_and(|o| o == Ordering::Equal)
        }
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| equal(p, q))
        }
        (Value::Obj(x), Value::Obj(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| b.get(k).is_some_and(|w| equal(v, w)))
        }
        _ => false,
    }
}

/// Ordering of two non-null values (OData `lt`/`gt`/...).
pub fn compare(a: &Value, b: &Value) -> EResult<Ordering> {
    match (a, b) {
        (Value::Num(x), Value::Num(y)) => Ok(x.cmp(y)),
        (Value::Str(x), Value::Str(y)) => Ok(x.as_ref().cmp(y.as_ref())),
        (Value::Bool(x), Value::Bool(y)) => Ok(x.cmp(y)),
        (Value::Str(_), Value::Num(_)) | (Value::Num(_), Value::Str(_)) => {
            let x = num_arg(a, "")?.unwrap_or_default();
            let y = num_arg(b, "")?.unwrap_or_default();
            Ok(x.cmp(&y))
        }
        (
            Value::Date(_) | Value::DateTime(_) | Value::Str(_),
            Value::Date(_) | Value::DateTime(_),
        )
        | (Value::Date(_) | Value::DateTime(_), Value::Str(_)) => {
            let x = date_arg(a, "")?;
            let y = date_arg(b, "")?;
            match (x, y) {
                (Some(DateLike::Date(x)), Some(DateLike::Date(y))) => Ok(x.cmp(&y)),
                (Some(x), Some(y)) => Ok(instant(x).cmp(&instant(y))),
                _ => Ok(Ordering::Equal),
            }
        }
        _ => Err(rt(
            Code::R0010,
            format!("cannot compare {} with {}", a.kind_name(), b.kind_name()),
        )),
    }
}

fn instant(d: DateLike) -> Option<jiff::Timestamp> {
    match d {
        DateLike::Date(d) => date_start(d),
        DateLike::DateTime(t) => Some(t),
    }
}

/// A number operand: numbers as they are, numeric strings parsed exactly,
/// null -> `None`, anything else R0010. `what` is the operator or function
/// that needs it, as the user wrote it; empty for a comparison.
pub fn num_arg(v: &Value, what: &str) -> EResult<Option<Decimal>> {
    let needs = |found: String| {
        if what.is_empty() {
            format!("{found} cannot be compared with a number")
        } else {
            format!("`{what}` needs a number, found {found}")
        }
    };
    match v {
        Value::Num(d) => Ok(Some(*d)),
        v if v.is_null() => Ok(None),
        Value::Str(s) => match parse_decimal(s.trim().as_bytes(), true) {
            Ok(d) => Ok(Some(d)),
            Err(NumError::Range) => Err(rt(
                Code::R0002,
                format!("the number \"{}\" does not fit an exact decimal", clip(s)),
            )),
            Err(NumError::Syntax) => Err(rt(
                Code::R0010,
                needs(format!("the string \"{}\"", clip(s))),
            )),
        },
        v => Err(rt(Code::R0010, needs(v.kind_name().to_string()))),
    }
}

fn int_arg(v: &Value, what: &str) -> EResult<Option<i64>> {
    match num_arg(v, what)? {
        None => Ok(None),
        // The common case (a literal like the `2` of `round(x, 2)`).
        Some(d) if d.scale() == 0 => i64::try_from(d.mantissa())
            .map(Some)
            .map_err(|_| rt(Code::R0010, format!("`{what}`: {d} is out of range"))),
        Some(d) if d.is_integer() => {
            let n = d.trunc().mantissa();
            let n = n / 10i128.pow(d.trunc().scale());
            i64::try_from(n)
                .map(Some)
                .map_err(|_| rt(Code::R0010, format!("`{what}`: {d} is out of range")))
        }
        Some(d) => Err(rt(
            Code::R0010,
            format!("`{what}` needs a whole number, found {d}"),
        )),
    }
}

/// A date operand: dates, date-times, or strings that parse as one (R0003
/// otherwise); null -> `None`. `what` is the function that needs it, as the
/// user wrote it; empty for a comparison or a date-typed field.
pub fn date_arg(v: &Value, what: &str) -> EResult<Option<DateLike>> {
    match v {
        Value::Date(d) => Ok(Some(DateLike::Date(*d))),
        Value::DateTime(t) => Ok(Some(DateLike::DateTime(*t))),
        v if v.is_null() => Ok(None),
        Value::Str(s) => parse_date_like(s).map(Some).ok_or_else(|| {
            let base = match mapc_value::dates::date_part_problem(s) {
                Some(why) => format!("\"{}\" is not a date: {why}", clip(s)),
                None => format!(
                    "\"{}\" is not a date (YYYY-MM-DD) or date-time (RFC 3339)",
                    clip(s)
                ),
            };
            let message = if what.is_empty() {
                base
            } else {
                format!("`{what}` needs a date: {base}")
            };
            rt(Code::R0003, message).help(DATE_HELP)
        }),
        v => Err(rt(
            Code::R0010,
            if what.is_empty() {
                format!("{} is not a date", v.kind_name())
            } else {
                format!("`{what}` needs a date, found {}", v.kind_name())
            },
        )),
    }
}

/// A text operand: strings as they are, other scalars in their text form
/// (numbers shortest, dates ISO); null -> `None`; lists/objects R0010.
fn text_arg<'v, 'a>(v: &'v Value<'a>, what: &str) -> EResult<Option<Cow<'v, str>>> {
    match v {
        Value::Str(s) => Ok(Some(Cow::Borrowed(s.as_ref()))),
        v if v.is_null() => Ok(None),
        Value::List(_) | Value::Obj(_) => Err(rt(
            Code::R0010,
            format!("`{what}` needs a string, found {}", v.kind_name()),
        )),
        other => {
            let mut out = Vec::new();
            write_text_shortest(other, &mut out);
            Ok(Some(Cow::Owned(String::from_utf8(out).unwrap_or_default())))
        }
    }
}

fn clip(s: &str) -> String {
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s.to_string()
    }
}

fn owned<'a>(s: String) -> Value<'a> {
    Value::Str(Cow::Owned(s))
}

fn int_value<'a>(n: i64) -> Value<'a> {
    Value::Num(Decimal::from(n))
}

fn call<'a>(f: Func, args: &'a [CExpr], cx: Ctx<'_, 'a>) -> EResult<Value<'a>> {
    use Func::*;
    let name = mapc_ir::funcs::info(f).name;
    // Lazy functions first: they must not evaluate every argument.
    match f {
        Coalesce => {
            for a in args {
                let v = a.eval(cx)?;
                if !v.is_null() {
                    return Ok(v);
                }
            }
            return Ok(Value::Null);
        }
        If => {
            let (Some(c), Some(t), Some(e)) = (args.first(), args.get(1), args.get(2)) else {
                return Err(rt(Code::R0010, "`if` needs 3 arguments"));
            };
            return if c.test(cx)? { t.eval(cx) } else { e.eval(cx) };
        }
        // `round(a / b, ...)` rounds the exact quotient once.
        Round => {
            if let Some(CExpr::Binary(BinaryOp::Div, a, b)) = args.first() {
                return round_division(a, b, &args[1..], cx);
            }
        }
        _ => {}
    }
    // Arguments are evaluated in order, all of them before any is used (so
    // the first error is the leftmost); up to four live on the stack, which
    // saves an allocation per call in the common case.
    let mut small: [Value<'a>; 4] = [Value::Absent, Value::Absent, Value::Absent, Value::Absent];
    let big: Vec<Value<'a>>;
    let vals: &[Value<'a>] = if args.len() <= small.len() {
        for (slot, a) in small.iter_mut().zip(args) {
            *slot = a.eval(cx)?;
        }
        &small[..args.len()]
    } else {
        big = args.iter().map(|a| a.eval(cx)).collect::<EResult<_>>()?;
        &big
    };
    let arg = |i: usize| vals.get(i).unwrap_or(&Value::Absent);
    match f {
        Round => {
            let Some(x) = num_arg(arg(0), name)? else {
                return Ok(Value::Null);
            };
            let Some((places, mode)) = round_options(vals.get(1), vals.get(2))? else {
                return Ok(Value::Null);
            };
            round(x, places, mode).map(Value::Num)
        }
        Concat => {
            let mut out = Vec::new();
            for v in vals {
                if !write_text_plain(v, &mut out) {
                    return Err(rt(
                        Code::R0010,
                        format!("`concat` cannot join {}", v.kind_name()),
                    ));
                }
            }
            Ok(owned(String::from_utf8(out).unwrap_or_default()))
        }
        IsNull => Ok(Value::Bool(arg(0).is_null())),
        Upper | Lower | Trim => {
            let Some(s) = text_arg(arg(0), name)? else {
                return Ok(Value::Null);
            };
            Ok(match f {
                Upper => owned(s.to_uppercase()),
                Lower => owned(s.to_lowercase()),
                _ => owned(s.trim().to_string()),
            })
        }
        Substring => {
            let Some(s) = text_arg(arg(0), name)? else {
                return Ok(Value::Null);
            };
            let Some(start) = int_arg(arg(1), name)? else {
                return Ok(Value::Null);
            };
            let len = if vals.len() > 2 {
                int_arg(arg(2), name)?
            } else {
                None
            };
            if vals.len() > 2 && len.is_none() {
                return Ok(Value::Null);
            }
            let start = usize::try_from(start.max(0)).unwrap_or(usize::MAX);
            let it = s.chars().skip(start);
            let out: String = match len {
                Some(l) => it.take(usize::try_from(l.max(0)).unwrap_or(0)).collect(),
                None => it.collect(),
            };
            Ok(owned(out))
        }
        Len => match arg(0) {
            v if v.is_null() => Ok(Value::Null),
            Value::List(items) => Ok(int_value(items.len() as i64)),
            Value::Obj(items) => Ok(int_value(items.len() as i64)),
            v => {
                let s = text_arg(v, name)?.unwrap_or_default();
                Ok(int_value(s.chars().count() as i64))
            }
        },
        FormatDate => {
            let Some(d) = date_arg(arg(0), name)? else {
                return Ok(Value::Null);
            };
            let Some(p) = text_arg(arg(1), name)? else {
                return Ok(Value::Null);
            };
            Ok(owned(format_date(d, &p)))
        }
        ParseDate => {
            let Some(s) = text_arg(arg(0), name)? else {
                return Ok(Value::Null);
            };
            let pattern = if vals.len() > 1 {
                text_arg(arg(1), name)?
            } else {
                Some(Cow::Borrowed("YYYY-MM-DD"))
            };
            let Some(p) = pattern else {
                return Ok(Value::Null);
            };
            parse_date_pattern(&s, &p).map(Value::Date).ok_or_else(|| {
                let why = pattern_ymd(&s, &p).and_then(|(y, m, d)| {
                    let (m, d) = (u32::try_from(m).ok()?, u32::try_from(d).ok()?);
                    mapc_value::dates::day_problem(i64::from(y), m, d)
                });
                let message = match why {
                    Some(why) => format!("\"{}\" is not a date: {why}", clip(&s)),
                    None => format!("\"{}\" does not match the date pattern '{p}'", clip(&s)),
                };
                rt(Code::R0003, message)
            })
        }
        Today | AsOf => Ok(Value::Date(cx.as_of)),
        ToString => match arg(0) {
            v if v.is_null() => Ok(Value::Null),
            Value::Str(s) => Ok(Value::Str(s.clone())),
            v @ (Value::List(_) | Value::Obj(_)) => {
                Ok(owned(mapc_value::json::write::to_string(v)))
            }
            v => {
                let mut out = Vec::new();
                write_text_shortest(v, &mut out);
                Ok(owned(String::from_utf8(out).unwrap_or_default()))
            }
        },
        ToDecimal => match arg(0) {
            v if v.is_null() => Ok(Value::Null),
            Value::Num(d) => Ok(Value::Num(*d)),
            Value::Str(s) => match parse_decimal(s.trim().as_bytes(), true) {
                Ok(d) => Ok(Value::Num(d)),
                Err(NumError::Range) => Err(rt(
                    Code::R0002,
                    format!("\"{}\" does not fit an exact decimal", clip(s)),
                )),
                Err(NumError::Syntax) => Err(rt(
                    Code::R0010,
                    format!("`to_decimal`: \"{}\" is not a number", clip(s)),
                )),
            },
            v => Err(rt(
                Code::R0010,
                format!(
                    "`to_decimal` needs a string or number, found {}",
                    v.kind_name()
                ),
            )),
        },
        Contains | StartsWith | EndsWith | IndexOf => {
            let (Some(s), Some(p)) = (text_arg(arg(0), name)?, text_arg(arg(1), name)?) else {
                return Ok(Value::Null);
            };
            Ok(match f {
                Contains => Value::Bool(s.contains(p.as_ref())),
                StartsWith => Value::Bool(s.starts_with(p.as_ref())),
                EndsWith => Value::Bool(s.ends_with(p.as_ref())),
                _ => int_value(
                    s.find(p.as_ref())
                        .map_or(-1, |i| s[..i].chars().count() as i64),
                ),
            })
        }
        Year | Month | Day => {
            let Some(d) = date_arg(arg(0), name)? else {
                return Ok(Value::Null);
            };
            let d = match d {
                DateLike::Date(d) => d,
                DateLike::DateTime(t) => utc_date(t),
            };
            Ok(int_value(match f {
                Year => i64::from(d.year()),
                Month => i64::from(d.month()),
                _ => i64::from(d.day()),
            }))
        }
        Floor | Ceiling | Abs => {
            let Some(x) = num_arg(arg(0), name)? else {
                return Ok(Value::Null);
            };
            Ok(Value::Num(match f {
                Floor => x.floor(),
                Ceiling => x.ceil(),
                _ => x.abs(),
            }))
        }
        Coalesce | If => Ok(Value::Null),
    }
}

/// `round`'s places and mode arguments (defaults 0 and
/// `half_away_from_zero`); `None` when one of them is null.
fn round_options(places: Option<&Value>, mode: Option<&Value>) -> EResult<Option<(i64, Mode)>> {
    let places = match places {
        Some(v) => match int_arg(v, "round")? {
            Some(p) => p,
            None => return Ok(None),
        },
        None => 0,
    };
    let mode = match mode {
        Some(v) => match text_arg(v, "round")? {
            Some(m) => mode_of(&m)?,
            None => Mode::HalfAwayFromZero,
        },
        None => Mode::HalfAwayFromZero,
    };
    if places > 28 {
        return Err(rt(
            Code::R0023,
            format!("`round`: {places} places is more than the 28 an exact decimal holds"),
        )
        .help("round to at most 28 places"));
    }
    Ok(Some((places, mode)))
}

fn mode_of(m: &str) -> EResult<Mode> {
    Mode::parse(m).ok_or_else(|| rt(
        Code::R0010,
        format!(
            "unknown rounding mode '{m}' (use half_away_from_zero, half_even, half_up, half_down, up, down, floor or ceiling)"
        ),
    ))
}

/// `round(a / b, places, mode)`: the exact quotient rounded once (a
/// quotient such as 2/3 never has to be rounded to 28 places first).
fn round_division<'a>(
    a: &'a CExpr,
    b: &'a CExpr,
    rest: &'a [CExpr],
    cx: Ctx<'_, 'a>,
) -> EResult<Value<'a>> {
    let (l, r) = (a.eval(cx)?, b.eval(cx)?);
    let places = rest.first().map(|e| e.eval(cx)).transpose()?;
    let mode = rest.get(1).map(|e| e.eval(cx)).transpose()?;
    let (Some(x), Some(y)) = (num_arg(&l, "/")?, num_arg(&r, "/")?) else {
        return Ok(Value::Null);
    };
    let Some((places, mode)) = round_options(places.as_ref(), mode.as_ref())? else {
        return Ok(Value::Null);
    };
    if y.is_zero() {
        return Err(div_by_zero(x, "/"));
    }
    exact::round_quotient(x, y, places, mode)
        .map(Value::Num)
        .map_err(|e| inexact(e, &format!("round({x} / {y}, {places})"), false))
}

/// `round(x, places, mode)`: exact, with the result carrying exactly
/// `places` decimals (`round(2.5, 2)` is `2.50`); negative places round to
/// tens, hundreds, ... Modes are documented in `mapc_ir::funcs`;
/// `half_up` sends ties towards +infinity and, symmetrically, `half_down`
/// sends them towards -infinity. More than 28 places is R0023.
pub fn round(x: Decimal, places: i64, mode: Mode) -> EResult<Decimal> {
    use RoundingStrategy as S;
    let neg = x.is_sign_negative();
    let strategy = match mode {
        Mode::HalfAwayFromZero => S::MidpointAwayFromZero,
        Mode::HalfEven => S::MidpointNearestEven,
        Mode::HalfUp if neg => S::MidpointTowardZero,
        Mode::HalfUp => S::MidpointAwayFromZero,
        Mode::HalfDown if neg => S::MidpointAwayFromZero,
        Mode::HalfDown => S::MidpointTowardZero,
        Mode::Up => S::AwayFromZero,
        Mode::Down => S::ToZero,
        Mode::Floor => S::ToNegativeInfinity,
        Mode::Ceiling => S::ToPositiveInfinity,
    };
    if places > 28 {
        return Err(rt(
            Code::R0023,
            format!("`round`: {places} places is more than the 28 an exact decimal holds"),
        ));
    }
    if places >= 0 {
        let p = places as u32;
        let mut r = x.round_dp_with_strategy(p, strategy);
        if r.scale() < p {
            r.rescale(p);
        }
        return Ok(r);
    }
    let k = (-places).min(29) as u32;
    // x / 10^k exactly (shift the scale), round to a whole number, scale back.
    let mut shifted = x;
    let new_scale = x.scale() + k;
    if new_scale > 28 {
        return Ok(Decimal::ZERO);
    }
    shifted
        .set_scale(new_scale)
        .map_err(|_| rt(Code::R0011, "rounding overflow"))?;
    let whole = shifted.round_dp_with_strategy(0, strategy);
    let factor = Decimal::try_from_i128_with_scale(10i128.pow(k), 0)
        .map_err(|_| rt(Code::R0011, "rounding overflow"))?;
    whole
        .checked_mul(factor)
        .map(|d| d.round_dp(0))
        .ok_or_else(|| rt(Code::R0011, format!("arithmetic overflow rounding {x}")))
}

/// Formats with the tokens `YYYY MM DD HH mm ss` (UTC for date-times).
pub fn format_date(d: DateLike, pattern: &str) -> String {
    let (date, h, mi, s) = match d {
        DateLike::Date(d) => (d, 0, 0, 0),
        DateLike::DateTime(t) => {
            let z = t.to_zoned(jiff::tz::TimeZone::UTC);
            (z.date(), z.hour(), z.minute(), z.second())
        }
    };
    let mut out = String::new();
    let mut rest = pattern;
    while !rest.is_empty() {
        let tok = [
            ("YYYY", 4),
            ("MM", 2),
            ("DD", 2),
            ("HH", 2),
            ("mm", 2),
            ("ss", 2),
        ]
        .into_iter()
        .find(|(t, _)| rest.starts_with(t));
        match tok {
            Some((t, _)) => {
                let v: i64 = match t {
                    "YYYY" => i64::from(date.year()),
                    "MM" => i64::from(date.month()),
                    "DD" => i64::from(date.day()),
                    "HH" => i64::from(h),
                    "mm" => i64::from(mi),
                    _ => i64::from(s),
                };
                if t == "YYYY" {
                    out.push_str(&format!("{v:04}"));
                } else {
                    out.push_str(&format!("{v:02}"));
                }
                rest = &rest[t.len()..];
            }
            None => {
                let c = rest.chars().next().unwrap_or(' ');
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    out
}

/// Parses `s` against a pattern of `format_date` tokens (fixed widths);
/// every other pattern character must match literally.
pub fn parse_date_pattern(s: &str, pattern: &str) -> Option<Date> {
    let (y, m, d) = pattern_ymd(s, pattern)?;
    Date::new(
        i16::try_from(y).ok()?,
        i8::try_from(m).ok()?,
        i8::try_from(d).ok()?,
    )
    .ok()
}

/// The year, month and day `s` gives when it matches `pattern` (which must
/// have `YYYY`, `MM` and `DD`), whether or not they make a day.
fn pattern_ymd(s: &str, pattern: &str) -> Option<(i32, i32, i32)> {
    let (mut y, mut m, mut d) = (None, None, None);
    let mut rest = pattern;
    let mut src = s;
    while !rest.is_empty() {
        let tok = ["YYYY", "MM", "DD", "HH", "mm", "ss"]
            .into_iter()
            .find(|t| rest.starts_with(t));
        match tok {
            Some(t) => {
                let w = if t == "YYYY" { 4 } else { 2 };
                let digits = src.get(..w)?;
                if !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let v: i32 = digits.parse().ok()?;
                match t {
                    "YYYY" => y = Some(v),
                    "MM" => m = Some(v),
                    "DD" => d = Some(v),
                    _ => {}
                }
                src = &src[w..];
                rest = &rest[t.len()..];
            }
            None => {
                let c = rest.chars().next()?;
                src = src.strip_prefix(c)?;
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    if !src.is_empty() {
        return None;
    }
    Some((y?, m?, d?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        parse_decimal(s.as_bytes(), false).unwrap()
    }

    #[test]
    fn rounding_modes() {
        let r = |x: &str, p: i64, m: &str| {
            decimal_text(&round(d(x), p, Mode::parse(m).unwrap()).unwrap())
        };
        assert_eq!(r("10.005", 2, "half_away_from_zero"), "10.01");
        assert_eq!(r("-1.005", 2, "half_away_from_zero"), "-1.01");
        assert_eq!(r("2.5", 2, "half_away_from_zero"), "2.50");
        assert_eq!(r("2.345", 2, "half_even"), "2.34");
        assert_eq!(r("2.355", 2, "half_even"), "2.36");
        assert_eq!(r("-2.5", 0, "half_up"), "-2");
        assert_eq!(r("2.5", 0, "half_up"), "3");
        assert_eq!(r("-2.5", 0, "half_down"), "-3");
        assert_eq!(r("2.5", 0, "half_down"), "2");
        assert_eq!(r("2.341", 2, "up"), "2.35");
        assert_eq!(r("-2.341", 2, "up"), "-2.35");
        assert_eq!(r("2.349", 2, "down"), "2.34");
        assert_eq!(r("-2.341", 2, "floor"), "-2.35");
        assert_eq!(r("2.341", 2, "ceiling"), "2.35");
        assert_eq!(r("1234.5", -2, "half_away_from_zero"), "1200");
        assert_eq!(r("1250", -2, "half_even"), "1200");
        assert_eq!(r("1250", -2, "half_away_from_zero"), "1300");
        assert!(Mode::parse("bankers").is_none());
        assert_eq!(
            round(d("1"), 29, Mode::Down).map_err(|e| e.code),
            Err(Code::R0023)
        );
    }

    #[test]
    fn dates_format_and_parse() {
        let dt = DateLike::Date(Date::constant(2026, 1, 5));
        assert_eq!(format_date(dt, "DD.MM.YYYY HH:mm"), "05.01.2026 00:00");
        assert_eq!(
            parse_date_pattern("05.01.2026", "DD.MM.YYYY"),
            Some(Date::constant(2026, 1, 5))
        );
        assert_eq!(parse_date_pattern("5.01.2026", "DD.MM.YYYY"), None);
        assert_eq!(parse_date_pattern("31.02.2026", "DD.MM.YYYY"), None);
        assert_eq!(parse_date_pattern("2026-01-05x", "YYYY-MM-DD"), None);
    }

    #[test]
    fn odata_comparisons() {
        let n = Value::Null;
        let one = Value::Num(Decimal::ONE);
        assert!(equal(&n, &Value::Absent));
        assert!(!equal(&n, &one));
        assert!(equal(&Value::str("1.0"), &one));
        assert!(!equal(&Value::str("x"), &one));
        assert!(compare(&Value::str("x"), &one).is_err());
        assert_eq!(
            compare(
                &Value::str("2026-01-02"),
                &Value::Date(Date::constant(2026, 1, 1))
            ),
            Ok(Ordering::Greater)
        );
        assert_eq!(
            compare(&Value::str("bad"), &Value::Date(Date::constant(2026, 1, 1)))
                .map_err(|e| e.code),
            Err(Code::R0003)
        );
    }
}
