//! `$filter` text -> [`Filter`], human [`SyntaxError`]s, and an ABNF rule
//! checker for the OData conformance suite.
//!
//! The grammar is `grammar/odata_filter.pest`. Spans are byte offsets
//! relative to the start of the parsed text. Parsing never panics.

use super::ast::*;
use crate::depth::{Depth, Limits};
use crate::parse_util::{
    char_span, check_nesting, check_path, convert_pest_error, error_site, internal_error, lex,
    not_empty, open_at, opener, operand_after, operand_expected, quoted_tail, run_tail, shorten,
    span_of, syntax_error as err, tok_text, unclosed, unclosed_call, unclosed_quote,
    unexpected_end, unopened, value_after_comma, Escapes, Lexicon, Words,
};
use mapc_diag::Span;
use mapc_value::dates::days_in_month;
use pest::iterators::Pair;
use pest::Parser as _;

mod grammar {
    #[derive(pest_derive::Parser)]
    #[grammar = "../../../grammar/odata_filter.pest"]
    pub struct FilterParser;
}
use grammar::{FilterParser, Rule};

/// The deepest real nesting a filter may have: brackets, calls, paths,
/// lambdas and prefix operators (`not`, `-`) each count one level; a chain
/// of binary operators (`a eq 1 or a eq 2 or ...`) does not.
pub const MAX_FILTER_DEPTH: usize = 64;

/// The deepest tree a filter may have, operator chains included (a chain of
/// `n` operators is `n` levels deep, since it folds to the left). Keeps
/// recursive consumers far from the stack limit on hostile input.
pub const MAX_FILTER_TREE_DEPTH: usize = 256;

/// How a filter's errors word what the expression grammar's say too, in
/// OData's syntax (a list is `('a', 'b')` here).
const WORDS: Words = Words {
    noun: "filter",
    wanted: "a condition",
    empty_help: "write an OData condition such as `statecode eq 0`, or leave `filter:` out",
    simplify: "simplify the filter",
    in_list: "x in ('a', 'b', 'c')",
};

/// The depth limits of a filter.
const LIMITS: Limits = Limits {
    nest: MAX_FILTER_DEPTH,
    tree: MAX_FILTER_TREE_DEPTH,
    words: &WORDS,
};

/// Parses a `$filter` expression as a user writes it in `filter:` (without
/// `$filter=`, not URL-encoded; surrounding whitespace is fine).
///
/// Spans in the result (and in the error) are byte offsets into `text`.
pub fn parse_filter(text: &str) -> Result<Filter, SyntaxError> {
    not_empty(text, &WORDS)?;
    let toks = lex::<TokKind>(text);
    check_nesting(text, &toks, MAX_FILTER_DEPTH).map_err(|t| LIMITS.too_deep(t.span()))?;
    let pairs =
        FilterParser::parse(Rule::filter_text, text).map_err(|e| convert_error(text, &toks, e))?;
    let expr_pair = pairs
        .flatten()
        .find(|p| p.as_rule() == Rule::common_expr)
        .ok_or_else(|| internal(text))?;
    let (expr, _) = Builder { text }.expr(expr_pair)?;
    Ok(Filter {
        span: expr.span,
        expr,
    })
}

/// ABNF rules of the OData grammar that [`check_rule`] can test, named as in
/// `odata-abnf-construction-rules.txt`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AbnfRule {
    /// `filter`: `$filter=<boolCommonExpr>` (the `$` is optional).
    Filter,
    /// `boolCommonExpr`: syntactically the same as `commonExpr`.
    BoolCommonExpr,
    /// `commonExpr`
    CommonExpr,
    /// `orderby`: `$orderby=<expr> [asc|desc], ...`
    Orderby,
    /// `select`: `$select=<item>, ...`
    Select,
}

impl AbnfRule {
    /// The rule for an ABNF rule name (`filter`, `boolCommonExpr`,
    /// `commonExpr`, `orderby`, `select`); exact spelling.
    pub fn from_name(name: &str) -> Option<AbnfRule> {
        Some(match name {
            "filter" => AbnfRule::Filter,
            "boolCommonExpr" => AbnfRule::BoolCommonExpr,
            "commonExpr" => AbnfRule::CommonExpr,
            "orderby" => AbnfRule::Orderby,
            "select" => AbnfRule::Select,
            _ => return None,
        })
    }

    /// The ABNF rule name.
    pub fn name(self) -> &'static str {
        match self {
            AbnfRule::Filter => "filter",
            AbnfRule::BoolCommonExpr => "boolCommonExpr",
            AbnfRule::CommonExpr => "commonExpr",
            AbnfRule::Orderby => "orderby",
            AbnfRule::Select => "select",
        }
    }
}

/// Checks `text` (already percent-decoded) against one ABNF rule. `Err` holds
/// the 0-based character position at which the input stops being valid: the
/// furthest position the parser reached, as the ABNF test tool reports it.
pub fn check_rule(rule: AbnfRule, text: &str) -> Result<(), usize> {
    let char_pos = |byte: usize| {
        text.get(..byte)
            .map_or(text.chars().count(), |s| s.chars().count())
    };
    let toks = lex::<TokKind>(text);
    check_nesting(text, &toks, MAX_FILTER_DEPTH).map_err(|t| char_pos(t.start))?;
    let start = match rule {
        AbnfRule::Filter => Rule::abnf_filter,
        AbnfRule::BoolCommonExpr | AbnfRule::CommonExpr => Rule::abnf_expr,
        AbnfRule::Orderby => Rule::abnf_orderby,
        AbnfRule::Select => Rule::abnf_select,
    };
    let pairs = FilterParser::parse(start, text).map_err(|e| char_pos(error_site(text, &e).0))?;
    // What the grammar accepts must also build (dates are real dates, ...).
    let b = Builder { text };
    for p in pairs {
        b.check_all(p).map_err(|e| char_pos(e.span.start))?;
    }
    Ok(())
}

fn internal(text: &str) -> SyntaxError {
    internal_error(text, &WORDS)
}

/// Punctuation and whitespace pairs that carry no meaning of their own.
fn is_punct(r: Rule) -> bool {
    matches!(
        r,
        Rule::sp
            | Rule::open_paren
            | Rule::close_paren
            | Rule::open_bracket
            | Rule::close_bracket
            | Rule::open_brace
            | Rule::close_brace
            | Rule::comma
            | Rule::colon
            | Rule::semi
            | Rule::slash
            | Rule::eq_sign
            | Rule::EOI
    )
}

fn significant<'i>(p: Pair<'i, Rule>) -> impl Iterator<Item = Pair<'i, Rule>> {
    p.into_inner().filter(|p| !is_punct(p.as_rule()))
}

// ------------------------------------------------------------------ builder

/// Skips operator levels that hold a single operand (`common_expr` -> ... ->
/// `postfix_expr` -> primary), so that building recurses once per real node
/// and not once per grammar level.
fn skip_levels(mut pair: Pair<'_, Rule>) -> Pair<'_, Rule> {
    while matches!(
        pair.as_rule(),
        Rule::common_expr
            | Rule::and_expr
            | Rule::eq_expr
            | Rule::rel_expr
            | Rule::add_expr
            | Rule::mul_expr
            | Rule::unary_expr
            | Rule::postfix_expr
    ) {
        let mut inner = significant(pair.clone());
        match (inner.next(), inner.next()) {
            (Some(only), None) => pair = only,
            _ => break,
        }
    }
    pair
}

/// A built node and its depth.
type Built = (FilterExpr, Depth);

struct Builder<'a> {
    text: &'a str,
}

/// Canonical spellings of the built-in functions.
const BUILTINS: &[(&str, usize, usize)] = &[
    ("concat", 2, 2),
    ("contains", 2, 2),
    ("endswith", 2, 2),
    ("startswith", 2, 2),
    ("indexof", 2, 2),
    ("length", 1, 1),
    ("substring", 2, 3),
    ("matchesPattern", 2, 2),
    ("tolower", 1, 1),
    ("toupper", 1, 1),
    ("trim", 1, 1),
    ("year", 1, 1),
    ("month", 1, 1),
    ("day", 1, 1),
    ("hour", 1, 1),
    ("minute", 1, 1),
    ("second", 1, 1),
    ("fractionalseconds", 1, 1),
    ("totalseconds", 1, 1),
    ("totaloffsetminutes", 1, 1),
    ("date", 1, 1),
    ("time", 1, 1),
    ("mindatetime", 0, 0),
    ("maxdatetime", 0, 0),
    ("now", 0, 0),
    ("round", 1, 1),
    ("floor", 1, 1),
    ("ceiling", 1, 1),
    ("geo.distance", 2, 2),
    ("geo.length", 1, 1),
    ("geo.intersects", 2, 2),
    ("hassubset", 2, 2),
    ("hassubsequence", 2, 2),
];

/// The canonical names of the OData built-in functions the grammar knows
/// (`startswith`, `geo.distance`, ...), for did-you-mean suggestions.
pub fn builtin_functions() -> impl Iterator<Item = &'static str> + Clone {
    BUILTINS.iter().map(|(n, _, _)| *n)
}

fn builtin(name: &str) -> Option<(&'static str, usize, usize)> {
    BUILTINS
        .iter()
        .copied()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(name))
}

impl Builder<'_> {
    fn node(&self, kind: FilterKind, span: Span, depth: Depth) -> Result<Built, SyntaxError> {
        if depth.too_deep(&LIMITS) {
            return Err(depth.error(&LIMITS, span));
        }
        Ok((FilterExpr { kind, span }, depth))
    }

    /// Builds every outermost expression under `pair` (for [`check_rule`]).
    fn check_all(&self, pair: Pair<'_, Rule>) -> Result<(), SyntaxError> {
        if pair.as_rule() == Rule::common_expr {
            return self.expr(pair).map(|_| ());
        }
        for p in pair.into_inner() {
            self.check_all(p)?;
        }
        Ok(())
    }

    fn expr(&self, pair: Pair<'_, Rule>) -> Result<Built, SyntaxError> {
        let pair = skip_levels(pair);
        match pair.as_rule() {
            Rule::common_expr
            | Rule::and_expr
            | Rule::eq_expr
            | Rule::rel_expr
            | Rule::add_expr
            | Rule::mul_expr
            | Rule::postfix_expr => self.chain(pair),
            Rule::unary_expr => self.prefix(pair),
            _ => self.primary(pair),
        }
    }

    #[inline(never)]
    fn primary(&self, pair: Pair<'_, Rule>) -> Result<Built, SyntaxError> {
        let span = span_of(&pair);
        match pair.as_rule() {
            Rule::paren_expr => {
                let inner = significant(pair)
                    .next()
                    .ok_or_else(|| internal(self.text))?;
                let (mut e, d) = self.expr(inner)?;
                e.span = span;
                Ok((e, d))
            }
            Rule::list_expr => self.items(pair, span),
            Rule::array => {
                // The pair may start with whitespace (ABNF `begin-array`).
                let start = pair
                    .clone()
                    .into_inner()
                    .find(|p| p.as_rule() == Rule::open_bracket)
                    .map_or(span.start, |p| p.as_span().start());
                self.items(pair, Span::new(start, span.end))
            }
            Rule::object => {
                let start = pair
                    .clone()
                    .into_inner()
                    .find(|p| p.as_rule() == Rule::open_brace)
                    .map_or(span.start, |p| p.as_span().start());
                let mut members = Vec::new();
                let mut depth = Depth::default();
                for m in significant(pair) {
                    let mut inner = significant(m);
                    let key = inner.next().ok_or_else(|| internal(self.text))?;
                    let value = inner.next().ok_or_else(|| internal(self.text))?;
                    let name = json_unescape(key.as_str(), key.as_span().start())?;
                    let (v, d) = self.expr(value)?;
                    depth = depth.max(d);
                    members.push((
                        Ident {
                            name,
                            span: span_of(&key),
                        },
                        v,
                    ));
                }
                self.node(
                    FilterKind::Object(members),
                    Span::new(start, span.end),
                    depth.nested(),
                )
            }
            Rule::method_call => {
                let mut inner = significant(pair);
                let name_pair = inner.next().ok_or_else(|| internal(self.text))?;
                let written = name_pair.as_str();
                let canonical = builtin(written)
                    .map_or_else(|| written.to_ascii_lowercase(), |b| b.0.to_string());
                let name = Ident {
                    name: canonical,
                    span: span_of(&name_pair),
                };
                let mut args = Vec::new();
                let mut depth = Depth::default();
                for p in inner {
                    let (a, d) = self.expr(p)?;
                    depth = depth.max(d);
                    args.push(a);
                }
                self.node(FilterKind::Call { name, args }, span, depth.nested())
            }
            Rule::cast_expr | Rule::isof_expr => {
                let is_cast = pair.as_rule() == Rule::cast_expr;
                let parts: Vec<Pair<'_, Rule>> = significant(pair).collect();
                let Some((ty, rest)) = parts.split_last() else {
                    return Err(internal(self.text));
                };
                let type_name = Ident {
                    name: ty.as_str().to_string(),
                    span: span_of(ty),
                };
                let (expr, depth) = match rest.first() {
                    Some(p) => {
                        let (e, d) = self.expr(p.clone())?;
                        (Some(Box::new(e)), d)
                    }
                    None => (None, Depth::default()),
                };
                let kind = if is_cast {
                    FilterKind::Cast { expr, type_name }
                } else {
                    FilterKind::IsOf { expr, type_name }
                };
                self.node(kind, span, depth.nested())
            }
            Rule::case_expr => {
                let mut arms = Vec::new();
                let mut depth = Depth::default();
                for arm in significant(pair) {
                    let mut inner = significant(arm);
                    let c = inner.next().ok_or_else(|| internal(self.text))?;
                    let v = inner.next().ok_or_else(|| internal(self.text))?;
                    let (c, d1) = self.expr(c)?;
                    let (v, d2) = self.expr(v)?;
                    depth = depth.max(d1).max(d2);
                    arms.push((c, v));
                }
                self.node(FilterKind::Case(arms), span, depth.nested())
            }
            Rule::member_path | Rule::root_path => {
                let mut segs = Vec::new();
                let mut depth = Depth::default();
                let mut spans = Vec::new();
                for p in significant(pair) {
                    spans.push(span_of(&p));
                    let (s, d) = self.segment(p)?;
                    depth = depth.max(d);
                    segs.push(s);
                }
                check_path(self.text, &spans)?;
                self.node(FilterKind::Path(segs), span, depth.nested())
            }
            Rule::json_string => {
                let value = json_unescape(pair.as_str(), span.start)?;
                Ok((
                    FilterExpr {
                        kind: FilterKind::Literal(Literal::String(value)),
                        span,
                    },
                    Depth::LEAF,
                ))
            }
            _ => {
                let lit = self.literal(&pair)?;
                Ok((
                    FilterExpr {
                        kind: FilterKind::Literal(lit),
                        span,
                    },
                    Depth::LEAF,
                ))
            }
        }
    }

    fn items(&self, pair: Pair<'_, Rule>, span: Span) -> Result<Built, SyntaxError> {
        let mut items = Vec::new();
        let mut depth = Depth::default();
        for p in significant(pair) {
            let (a, d) = self.expr(p)?;
            depth = depth.max(d);
            items.push(a);
        }
        self.node(FilterKind::List(items), span, depth.nested())
    }

    fn literal(&self, pair: &Pair<'_, Rule>) -> Result<Literal, SyntaxError> {
        let raw = pair.as_str();
        // The text between the first quote and the closing one.
        let quoted = || {
            let open = raw.find('\'').map_or(0, |i| i + 1);
            raw.get(open..raw.len().saturating_sub(1))
                .unwrap_or("")
                .to_string()
        };
        Ok(match pair.as_rule() {
            Rule::null_lit => Literal::Null,
            Rule::bool_lit => Literal::Bool(raw.eq_ignore_ascii_case("true")),
            Rule::guid_lit => Literal::Guid(raw.to_string()),
            Rule::datetime_lit => {
                check_day(raw, span_of(pair))?;
                Literal::DateTimeOffset(raw.to_string())
            }
            Rule::date_lit => {
                check_day(raw, span_of(pair))?;
                Literal::Date(raw.to_string())
            }
            Rule::time_lit => Literal::TimeOfDay(raw.to_string()),
            Rule::number_lit => Literal::Number(raw.to_string()),
            Rule::string_lit => Literal::String(quoted().replace("''", "'")),
            Rule::duration_lit => Literal::Duration(quoted()),
            Rule::binary_lit => Literal::Binary(quoted()),
            Rule::geo_lit => Literal::Geo {
                geography: raw
                    .get(..9)
                    .is_some_and(|p| p.eq_ignore_ascii_case("geography")),
                text: quoted(),
            },
            Rule::enum_lit => {
                let q = raw.find('\'').unwrap_or(raw.len());
                Literal::Enum {
                    type_name: raw.get(..q).unwrap_or("").to_string(),
                    value: quoted(),
                }
            }
            _ => return Err(internal(self.text)),
        })
    }

    fn segment(&self, pair: Pair<'_, Rule>) -> Result<(Segment, Depth), SyntaxError> {
        let span = span_of(&pair);
        let ident = |p: &Pair<'_, Rule>| Ident {
            name: p.as_str().to_string(),
            span: span_of(p),
        };
        let seg = |kind| Segment { kind, span };
        Ok(match pair.as_rule() {
            Rule::it_seg => (seg(SegmentKind::It), Depth::LEAF),
            Rule::this_seg => (seg(SegmentKind::This), Depth::LEAF),
            Rule::root_seg => (seg(SegmentKind::Root), Depth::LEAF),
            Rule::annotation_seg => {
                let name = pair.as_str().get(1..).unwrap_or("").to_string();
                (
                    seg(SegmentKind::Annotation(Ident { name, span })),
                    Depth::LEAF,
                )
            }
            Rule::name_seg => {
                let inner = pair
                    .into_inner()
                    .next()
                    .ok_or_else(|| internal(self.text))?;
                (seg(SegmentKind::Name(ident(&inner))), Depth::LEAF)
            }
            Rule::call_seg => {
                let mut inner = significant(pair);
                let name_pair = inner.next().ok_or_else(|| internal(self.text))?;
                let args_pair = inner.next().ok_or_else(|| internal(self.text))?;
                let mut args = Vec::new();
                let mut depth = Depth::default();
                for arg in significant(args_pair) {
                    let parts: Vec<Pair<'_, Rule>> = significant(arg).collect();
                    let (name, value) = match parts.as_slice() {
                        [n, v] => (Some(ident(n)), v.clone()),
                        [v] => (None, v.clone()),
                        _ => return Err(internal(self.text)),
                    };
                    let (value, d) = self.expr(value)?;
                    depth = depth.max(d);
                    args.push(Arg { name, value });
                }
                (
                    seg(SegmentKind::Call {
                        name: ident(&name_pair),
                        args,
                    }),
                    depth.nested(),
                )
            }
            Rule::any_seg | Rule::all_seg => {
                let is_any = pair.as_rule() == Rule::any_seg;
                let mut inner = significant(pair);
                let var = inner.next().map(|p| ident(&p));
                let predicate = match inner.next() {
                    Some(p) => Some(self.expr(p)?),
                    None => None,
                };
                let depth = predicate
                    .as_ref()
                    .map_or(Depth::default(), |(_, d)| *d)
                    .nested();
                let kind = match (is_any, var, predicate) {
                    (true, var, pred) => SegmentKind::Any {
                        var,
                        predicate: pred.map(|(e, _)| Box::new(e)),
                    },
                    (false, Some(var), Some((e, _))) => SegmentKind::All {
                        var,
                        predicate: Box::new(e),
                    },
                    _ => return Err(internal(self.text)),
                };
                (seg(kind), depth)
            }
            Rule::count_seg => {
                let mut filter = None;
                let mut depth = Depth::default();
                for opt in significant(pair) {
                    let opt_span = span_of(&opt);
                    if opt.as_rule() != Rule::filter_option {
                        return Err(SyntaxError {
                            span: opt_span,
                            message: "`$search` inside `$count(...)` is not supported".into(),
                            label: "not supported".into(),
                            help: Some("use `$count($filter=...)`".into()),
                        });
                    }
                    if filter.is_some() {
                        return Err(SyntaxError {
                            span: opt_span,
                            message: "`$count(...)` takes one `$filter`".into(),
                            label: "a second `$filter`".into(),
                            help: Some("combine the conditions with `and`".into()),
                        });
                    }
                    let e = significant(opt).next().ok_or_else(|| internal(self.text))?;
                    let (e, d) = self.expr(e)?;
                    depth = d;
                    filter = Some(Box::new(e));
                }
                (seg(SegmentKind::Count { filter }), depth.nested())
            }
            Rule::filter_seg => {
                let e = significant(pair)
                    .next()
                    .ok_or_else(|| internal(self.text))?;
                let (e, d) = self.expr(e)?;
                (seg(SegmentKind::Filter(Box::new(e))), d.nested())
            }
            _ => return Err(internal(self.text)),
        })
    }

    /// `a op b op c ...`, folded to the left (also `x in (...)`, `x has y`).
    fn chain(&self, pair: Pair<'_, Rule>) -> Result<Built, SyntaxError> {
        let mut inner = significant(pair);
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
            lhs = FilterExpr {
                kind: FilterKind::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                span,
            };
        }
        Ok((lhs, depth))
    }

    /// `not not x`, `- x`: prefix operators, innermost last.
    fn prefix(&self, pair: Pair<'_, Rule>) -> Result<Built, SyntaxError> {
        let inner: Vec<Pair<'_, Rule>> = significant(pair).collect();
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
            e = FilterExpr {
                kind: FilterKind::Unary {
                    op,
                    expr: Box::new(e),
                },
                span,
            };
        }
        Ok((e, depth))
    }
}

fn binary_op(s: &str) -> Option<BinaryOp> {
    BinaryOp::from_keyword(s)
}

/// The date part (`[-]YYYY-MM-DD`) of a date or date-time literal must name a
/// real day; the grammar already checked the digit ranges.
fn check_day(raw: &str, span: Span) -> Result<(), SyntaxError> {
    let body = raw.strip_prefix('-').unwrap_or(raw);
    let mut parts = body.splitn(3, '-');
    let year: Option<i64> = parts.next().and_then(|y| y.parse().ok());
    let month: Option<u32> = parts.next().and_then(|m| m.parse().ok());
    let day: Option<u32> = parts
        .next()
        .and_then(|d| d.get(..2))
        .and_then(|d| d.parse().ok());
    let ok = match (year, month, day) {
        (Some(y), Some(m), Some(d)) => (1..=days_in_month(y, m)).contains(&d),
        // Years too long for i64 cannot be checked; the grammar allows them.
        _ => year.is_none() && month.is_some(),
    };
    if ok {
        return Ok(());
    }
    let what = if raw.len() > 11 && raw.contains(['T', 't']) {
        "date-time"
    } else {
        "date"
    };
    Err(SyntaxError {
        span,
        message: format!("invalid {what} `{raw}`"),
        label: match (year, month, day) {
            (Some(y), Some(m), Some(d)) => mapc_value::dates::day_problem(y, m, d),
            _ => None,
        }
        .unwrap_or_else(|| "there is no such day".into()),
        help: Some("dates are written `YYYY-MM-DD`, e.g. `2026-11-22`".into()),
    })
}

/// Decodes a JSON string token (with its quotes).
fn json_unescape(raw: &str, at: usize) -> Result<String, SyntaxError> {
    let body = raw.get(1..raw.len().saturating_sub(1)).unwrap_or("");
    let mut out = String::with_capacity(body.len());
    let mut chars = body.char_indices();
    let bad = |i: usize| SyntaxError {
        span: Span::new(at + 1 + i, at + 1 + i + 2),
        message: "invalid `\\u` escape in a JSON string".into(),
        label: "here".into(),
        help: Some(
            "write `\\uXXXX` with four hex digits; characters outside the BMP as a surrogate pair"
                .into(),
        ),
    };
    let hex4 = |s: &str| s.get(..4).and_then(|h| u32::from_str_radix(h, 16).ok());
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some((_, 'b')) => out.push('\u{8}'),
            Some((_, 'f')) => out.push('\u{c}'),
            Some((_, 'n')) => out.push('\n'),
            Some((_, 'r')) => out.push('\r'),
            Some((_, 't')) => out.push('\t'),
            Some((_, 'u')) => {
                let hi = body.get(i + 2..).and_then(hex4).ok_or_else(|| bad(i))?;
                for _ in 0..4 {
                    chars.next();
                }
                let ch = if (0xD800..0xDC00).contains(&hi) {
                    // A high surrogate must be followed by `\uDC00`..`\uDFFF`.
                    let lo = body
                        .get(i + 6..)
                        .and_then(|r| r.strip_prefix("\\u"))
                        .and_then(hex4)
                        .filter(|lo| (0xDC00..0xE000).contains(lo))
                        .ok_or_else(|| bad(i))?;
                    for _ in 0..6 {
                        chars.next();
                    }
                    char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                } else {
                    char::from_u32(hi)
                };
                out.push(ch.ok_or_else(|| bad(i))?);
            }
            Some((_, other)) => out.push(other),
            None => {}
        }
    }
    Ok(out)
}

// ------------------------------------- the filter's lexicon, for errors

/// Tokens as a person reads them; used to explain errors and to bound
/// nesting, so it never fails and need not agree with the grammar everywhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TokKind {
    Word,
    Number,
    Str { closed: bool },
    JsonStr { closed: bool },
    Sym,
}

impl Lexicon for TokKind {
    const SYM: Self = TokKind::Sym;
    const PAIRS: &'static [&'static str] = &["==", "!=", "<=", ">=", "&&", "||", "<>"];
    const OPEN: &'static [&'static str] = &["(", "[", "{"];
    const CLOSE: &'static [&'static str] = &[")", "]", "}"];

    fn scan(text: &str, i: usize) -> Option<(Self, usize)> {
        let b = text.as_bytes();
        let c = b[i];
        Some(if c == b'\'' {
            // OData: `'O''Neil'`, no backslash escapes.
            let (end, closed) = quoted_tail(b, i + 1, c, Escapes::DOUBLED);
            (TokKind::Str { closed }, end)
        } else if c == b'"' {
            // JSON, inside arrays and objects.
            let (end, closed) = quoted_tail(b, i + 1, c, Escapes::BACKSLASH);
            (TokKind::JsonStr { closed }, end)
        } else if c.is_ascii_digit() {
            let end = run_tail(b, i, |c| c.is_ascii_alphanumeric() || b".:-".contains(&c));
            (TokKind::Number, end)
        } else if c.is_ascii_alphabetic() || c == b'_' || c == b'$' || c == b'@' || c >= 0x80 {
            let word_char = |c: u8| {
                c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c == b'#' || c >= 0x80
            };
            (TokKind::Word, run_tail(b, i + 1, word_char))
        } else {
            return None;
        })
    }
}

type Tok = crate::parse_util::Tok<TokKind>;

const OPERATOR_WORDS: &[&str] = &[
    "eq", "ne", "gt", "ge", "lt", "le", "and", "or", "not", "add", "sub", "mul", "div", "divby",
    "mod", "has", "in",
];

/// Symbols people carry over from other languages, and the OData word.
const FOREIGN_OPERATORS: &[(&str, &str)] = &[
    ("==", "OData filters use `eq`, not `==`"),
    ("=", "OData filters use `eq`, not `=`"),
    ("!=", "OData filters use `ne`, not `!=`"),
    ("<>", "OData filters use `ne`, not `<>`"),
    (">", "OData filters use `gt`, not `>`"),
    (">=", "OData filters use `ge`, not `>=`"),
    ("<", "OData filters use `lt`, not `<`"),
    ("<=", "OData filters use `le`, not `<=`"),
    ("&&", "use `and`"),
    ("||", "use `or`"),
    ("!", "use `not`"),
    ("+", "use `add`"),
    ("*", "use `mul`"),
];

/// Rules whose presence among pest's expectations means "an operand was
/// expected here".
const OPERAND_RULES: &[Rule] = &[
    Rule::common_expr,
    Rule::and_expr,
    Rule::eq_expr,
    Rule::rel_expr,
    Rule::add_expr,
    Rule::mul_expr,
    Rule::unary_expr,
    Rule::postfix_expr,
    Rule::not_op,
    Rule::neg_op,
    Rule::paren_expr,
    Rule::list_expr,
    Rule::array,
    Rule::object,
    Rule::root_path,
    Rule::member_path,
    Rule::method_call,
    Rule::cast_expr,
    Rule::isof_expr,
    Rule::case_expr,
    Rule::call_seg,
    Rule::name_seg,
    Rule::null_lit,
    Rule::bool_lit,
    Rule::guid_lit,
    Rule::datetime_lit,
    Rule::date_lit,
    Rule::time_lit,
    Rule::number_lit,
    Rule::string_lit,
    Rule::duration_lit,
    Rule::binary_lit,
    Rule::geo_lit,
    Rule::enum_lit,
];

#[derive(Debug)]
enum Open {
    Call(String),
    /// `(` right after `in`
    InList,
    Paren,
    List,
    Object,
}

fn convert_error(text: &str, toks: &[Tok], e: pest::error::Error<Rule>) -> SyntaxError {
    let mut err = convert_pest_error(text, &e, OPERAND_RULES, &WORDS, |pos, operand| {
        explain(text, toks, pos, operand)
    });
    if err.help.is_none()
        && text.contains('%')
        && ["%20", "%27", "%28", "%29", "%2C"]
            .iter()
            .any(|p| text.contains(p))
    {
        err.help = Some(
            "the filter looks URL-encoded; write it decoded (`%20` is a space, `%27` a quote)"
                .into(),
        );
    }
    err
}

fn is_operator(text: &str, t: &Tok) -> bool {
    let s = tok_text(text, t);
    match t.kind {
        TokKind::Word => OPERATOR_WORDS.iter().any(|w| w.eq_ignore_ascii_case(s)),
        TokKind::Sym => s == "-",
        _ => false,
    }
}

fn arity_text(name: &str) -> Option<String> {
    let (canon, min, max) = builtin(name)?;
    Some(match (min, max) {
        (0, 0) => format!("`{canon}()` takes no arguments"),
        (1, 1) => format!("`{canon}` takes 1 argument"),
        (a, b) if a == b => format!("`{canon}` takes {a} arguments"),
        (a, b) => format!("`{canon}` takes {a} or {b} arguments"),
    })
}

fn explain(text: &str, toks: &[Tok], pos: usize, expect_operand: bool) -> SyntaxError {
    let lower = text.trim_start().to_ascii_lowercase();
    if let Some(prefix) = ["$filter=", "filter=", "?$filter="]
        .iter()
        .find(|p| lower.starts_with(**p))
    {
        let start = text.len() - text.trim_start().len();
        return err(
            Span::new(start, start + prefix.len()),
            format!(
                "unexpected `{}`",
                text.get(start..start + prefix.len()).unwrap_or(prefix)
            ),
            "query option name",
            Some("leave out `$filter=`: write only the condition".into()),
        );
    }

    if let Some(t) = toks.iter().find(|t| {
        t.start <= pos
            && matches!(
                t.kind,
                TokKind::Str { closed: false } | TokKind::JsonStr { closed: false }
            )
    }) {
        let help = if t.kind == (TokKind::Str { closed: false }) {
            "close the string with `'`; inside a string write `''` for a quote"
        } else {
            "close the string with `\"`"
        };
        return unclosed_quote(t.start, "unterminated string", help.into());
    }

    let (open, prev) = open_at(text, toks, pos, |prev, t| match tok_text(text, t) {
        "(" => Some(match prev {
            Some(p) if p.kind == TokKind::Word && tok_text(text, p).eq_ignore_ascii_case("in") => {
                Open::InList
            }
            Some(p) if p.kind == TokKind::Word && p.end == t.start && !is_operator(text, p) => {
                Open::Call(tok_text(text, p).to_string())
            }
            _ => Open::Paren,
        }),
        "[" => Some(Open::List),
        "{" => Some(Open::Object),
        _ => None,
    });
    let here = toks.iter().find(|t| t.start == pos);
    let at_end = here.is_none() && text.get(pos..).is_none_or(|r| r.trim().is_empty());

    // An operator word glued to what follows: `a eq(b)`.
    if let Some(p) =
        prev.filter(|p| p.end == pos && p.kind == TokKind::Word && is_operator(text, p))
    {
        if !at_end && !expect_operand {
            let op = tok_text(text, p);
            return err(
                char_span(text, pos),
                format!("expected a space after `{op}`"),
                "here",
                None,
            );
        }
    }

    if at_end {
        let end = Span::new(text.len(), text.len());
        if let Some(p) = prev.filter(|p| is_operator(text, p)) {
            return operand_after(end, tok_text(text, p));
        }
        if prev.is_some_and(|p| tok_text(text, p) == ",") {
            return value_after_comma(end);
        }
        if let Some(p) = prev.filter(|p| {
            p.kind == TokKind::Word
                && p.end == pos
                && tok_text(text, p).contains('.')
                && !tok_text(text, p).starts_with('@')
        }) {
            let name = tok_text(text, p);
            return err(
                end,
                format!("expected `(` or `/` after `{}`", shorten(name)),
                "expected `(` or `/`",
                Some("a qualified name is a function call (`Ns.Function()`) or a type cast followed by a property (`Ns.Type/name`)".into()),
            );
        }
        return match open.last() {
            Some(Open::Call(name)) => unclosed_call(end, name),
            Some(Open::Paren | Open::InList) => unclosed(end, ")", "`(`"),
            Some(Open::List) => unclosed(end, "]", "the array"),
            Some(Open::Object) => unclosed(end, "}", "the object"),
            None if expect_operand => operand_expected(end),
            None => unexpected_end(end, &WORDS),
        };
    }

    let span = here.map_or_else(|| char_span(text, pos), |t| Span::new(t.start, t.end));
    let one = char_span(text, pos);
    let s = text.get(span.start..span.end).unwrap_or("");
    let shown = shorten(s);
    let kind = here.map(|t| t.kind);

    if s == "%"
        && text
            .get(pos + 1..pos + 3)
            .is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return err(
            one,
            format!("unexpected `{}`", text.get(pos..pos + 3).unwrap_or("%")),
            "URL encoding",
            Some(
                "the filter looks URL-encoded; write it decoded (`%20` is a space, `%27` a quote)"
                    .into(),
            ),
        );
    }
    if kind == Some(TokKind::Sym) {
        if let Some((_, help)) = FOREIGN_OPERATORS.iter().find(|(o, _)| *o == s) {
            return err(
                one,
                format!("unexpected `{s}`"),
                "not an OData operator",
                Some((*help).into()),
            );
        }
    }
    if matches!(kind, Some(TokKind::JsonStr { .. }))
        && !matches!(open.last(), Some(Open::List | Open::Object))
    {
        let inner = s.trim_matches('"');
        return err(
            one,
            format!("unexpected `{shown}`"),
            "double quotes",
            Some(format!(
                "OData strings use single quotes: `'{}'`",
                shorten(inner)
            )),
        );
    }
    if s == "("
        && prev.is_some_and(|p| p.kind == TokKind::Word && p.end < pos && !is_operator(text, p))
    {
        return err(
            one,
            "unexpected `(`".into(),
            "space before `(`",
            Some("write no space between a function name and `(`".into()),
        );
    }
    if s == ")" || s == "," {
        if let Some(Open::Call(name)) = open.last() {
            if let Some(arity) = arity_text(name) {
                let label = if s == ")" {
                    "expected `,` and another argument"
                } else {
                    "expected `)`"
                };
                return err(
                    one,
                    format!("wrong number of arguments: {arity}"),
                    label,
                    None,
                );
            }
        }
    }
    if matches!(open.last(), Some(Open::InList)) && (s == "," || !expect_operand) {
        return err(
            one,
            "the list after `in` can hold only literals".into(),
            "expected `,` or `)` after a literal",
            Some(
                "write `x in ('a', 'b')`; to compare with properties write `x eq a or x eq b`"
                    .into(),
            ),
        );
    }
    if s == "," && matches!(open.last(), Some(Open::Paren) | None) {
        return err(
            one,
            "unexpected `,`".into(),
            "a list `(a, b)` is allowed only after `in`",
            None,
        );
    }
    if expect_operand {
        if let Some(p) = prev.filter(|p| is_operator(text, p)) {
            return operand_after(one, tok_text(text, p));
        }
        return err(
            one,
            format!("unexpected `{shown}`"),
            "expected a value, a property or a function call",
            None,
        );
    }
    if let Some(o) = opener::<TokKind>(s).filter(|_| open.is_empty()) {
        return unopened(one, s, o);
    }
    let label = match open.last() {
        Some(Open::Call(_) | Open::List | Open::Object) => {
            format!("unexpected `{shown}`; expected an operator, `,` or a closing bracket")
        }
        Some(Open::Paren | Open::InList) => {
            format!("unexpected `{shown}`; expected an operator or `)`")
        }
        None => format!("unexpected `{shown}`"),
    };
    err(
        one,
        "expected an operator such as `eq`, `and`".into(),
        &label,
        None,
    )
}
