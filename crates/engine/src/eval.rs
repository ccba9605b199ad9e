//! Expression evaluation.
//!
//! IR expressions are compiled once into [`CExpr`], whose path reads are
//! slot indices resolved at compile time, and then evaluated per record.
//! Operators and paths are evaluated here; a function call is its file's
//! evaluation in `mapc_ir::funcs` (`Func::eval`), over the call's
//! arguments as [`Args`], which evaluates each argument when the function
//! asks for it.
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

use jiff::civil::Date;
use mapc_diag::Code;
use mapc_ir::funcs::Args;
use mapc_ir::{BinaryOp, Const, Expr, ExprKind, Func, PathRef, UnaryOp};
use mapc_value::exact::{self, div_by_zero, inexact, Inexact};
use mapc_value::operand::{clip, condition, date_arg, num_arg};
use mapc_value::*;
use rust_decimal::Decimal;
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
        EvalError::new(
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
        EvalError::new(
            Code::R0010,
            format!("the related record `{alias}` is {kind}, expected an object (or null)"),
        )
        .help(format!(
            "embed the {entity} as `\"{alias}\": {{...}}`, or `\"{alias}\": null` when the lookup `{via}` has no value"
        ))
    }
}

pub use mapc_value::{EResult, EvalError};

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
            CExpr::Call(f, args) => f.eval(&CallArgs { args, cx }),
            CExpr::Unary(UnaryOp::Not, a) => match a.eval(cx)? {
                Value::Bool(b) => Ok(Value::Bool(!b)),
                v if v.is_null() => Ok(Value::Null),
                v => Err(EvalError::new(
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
        condition(&self.eval(cx)?)
    }
}

/// The arguments of a function call, evaluated when the function asks.
struct CallArgs<'s, 'a> {
    args: &'a [CExpr],
    cx: Ctx<'s, 'a>,
}

impl<'a> Args<'a> for CallArgs<'_, 'a> {
    #[inline]
    fn len(&self) -> usize {
        self.args.len()
    }

    #[inline]
    fn value(&self, i: usize) -> EResult<Value<'a>> {
        match self.args.get(i) {
            Some(e) => e.eval(self.cx),
            None => Ok(Value::Absent),
        }
    }

    fn quotient(&self, i: usize) -> Option<EResult<(Value<'a>, Value<'a>)>> {
        match self.args.get(i) {
            Some(CExpr::Binary(BinaryOp::Div, a, b)) => {
                Some(a.eval(self.cx).and_then(|l| Ok((l, b.eval(self.cx)?))))
            }
            _ => None,
        }
    }

    #[inline]
    fn as_of(&self) -> Date {
        self.cx.as_of
    }
}

fn bool3(v: &Value, op: &str) -> EResult<Option<bool>> {
    match v {
        Value::Bool(b) => Ok(Some(*b)),
        v if v.is_null() => Ok(None),
        v => Err(EvalError::new(
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
                v => Err(EvalError::new(
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
    EvalError::new(
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
        _ => Err(EvalError::new(
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

#[cfg(test)]
mod tests {
    use super::*;

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
