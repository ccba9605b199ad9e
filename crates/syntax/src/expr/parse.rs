//! Expression text -> [`Expr`], and pest errors -> human [`SyntaxError`]s.
//!
//! The grammar is `grammar/expr.pest`. Spans are byte offsets relative to the
//! start of the parsed text. Parsing never panics: every input yields either
//! an expression or an error.

use super::ast::{BinaryOp, Expr, ExprKind, Ident, SyntaxError, UnaryOp};
use crate::depth::{Depth, Limits};
use crate::parse_util::{
    check_nesting, check_path, convert_pest_error, internal_error, lex, not_empty, span_of, Words,
};
use mapc_diag::Span;
use pest::iterators::Pair;
use pest::Parser as _;

mod grammar {
    #[derive(pest_derive::Parser)]
    #[grammar = "../../../grammar/expr.pest"]
    pub struct ExprParser;
}
use grammar::{ExprParser, Rule};

mod build;
mod explain;
mod fast;

use build::*;
use explain::*;

/// The deepest real nesting an expression may have: brackets, calls, lists
/// and prefix operators (`not`, `-`) each count one level; a chain of binary
/// operators (`a + b + c`, `x or y or z`) does not.
pub const MAX_EXPR_DEPTH: usize = 64;

/// The deepest tree an expression may have, operator chains included (a
/// chain of `n` operators is `n` levels deep, since it folds to the left).
/// Keeps recursive consumers (checker, evaluator, `Drop`) far from the stack
/// limit on hostile input, while long flat chains stay fine.
pub const MAX_EXPR_TREE_DEPTH: usize = 256;

/// How an expression's errors word what the `$filter` grammar's say too.
const WORDS: Words = Words {
    noun: "expression",
    wanted: "an expression",
    empty_help: "write a value, a field path or a formula, e.g. `round(amount * 1.2, 2)`",
    simplify: "split the computation into simpler expressions",
    in_list: "x in [a, b, c]",
};

/// The depth limits of an expression.
const LIMITS: Limits = Limits {
    nest: MAX_EXPR_DEPTH,
    tree: MAX_EXPR_TREE_DEPTH,
    words: &WORDS,
};

/// Parses one expression (`expr:` or a rule's `when:`).
///
/// Spans in the result (and in the error) are byte offsets into `text`.
pub fn parse(text: &str) -> Result<Expr, SyntaxError> {
    not_empty(text, &WORDS)?;
    if let Some(expr) = fast::parse(text) {
        return Ok(expr);
    }
    parse_with_pest(text)
}

/// The reference reading of `text`: pest with `grammar/expr.pest`, then
/// [`Builder`]. Every syntax error comes from here.
fn parse_with_pest(text: &str) -> Result<Expr, SyntaxError> {
    let tokens = lex::<TokKind>(text);
    check_nesting(text, &tokens, MAX_EXPR_DEPTH).map_err(|t| LIMITS.too_deep(t.span()))?;
    let mut pairs = ExprParser::parse(Rule::expression, text).map_err(|e| {
        convert_pest_error(text, &e, OPERAND_RULES, &WORDS, |pos, operand| {
            explain(text, &tokens, pos, operand)
        })
    })?;
    let root = pairs.next().ok_or_else(|| internal(text))?;
    let first = root
        .into_inner()
        .find(|p| p.as_rule() != Rule::EOI)
        .ok_or_else(|| internal(text))?;
    let (expr, _) = Builder { text }.expr(first)?;
    Ok(expr)
}

fn internal(text: &str) -> SyntaxError {
    internal_error(text, &WORDS)
}

#[cfg(test)]
mod tests {
    use super::{fast, parse, parse_with_pest, MAX_EXPR_DEPTH, MAX_EXPR_TREE_DEPTH};

    /// The fast path's contract, on one text: it yields exactly what the
    /// pest path yields when that succeeds, and nothing when it fails.
    fn agree(text: &str) {
        let reference = parse_with_pest(text).ok();
        assert_eq!(
            fast::parse(text),
            reference,
            "fast path differs on {text:?}"
        );
    }

    #[test]
    fn fast_path_agrees_with_pest_on_chosen_text() {
        let nest =
            |n: usize, open: &str, close: &str| format!("{}x{}", open.repeat(n), close.repeat(n));
        let nots = |n: usize| format!("{}x", "not ".repeat(n));
        let chain = |n: usize| format!("x{}", " + x".repeat(n));
        let deep = [
            nest(MAX_EXPR_DEPTH, "(", ")"),
            nest(MAX_EXPR_DEPTH + 1, "(", ")"),
            nest(MAX_EXPR_DEPTH, "f(", ")"),
            nest(MAX_EXPR_DEPTH - 1, "f(", ")"),
            nest(MAX_EXPR_DEPTH, "[", "]"),
            nest(MAX_EXPR_DEPTH + 1, "[", "]"),
            nots(MAX_EXPR_DEPTH - 1),
            nots(MAX_EXPR_DEPTH),
            format!("{}x", "-".repeat(MAX_EXPR_DEPTH)),
            chain(MAX_EXPR_DEPTH - 1),
            chain(MAX_EXPR_DEPTH),
            chain(MAX_EXPR_DEPTH + 6),
            chain(MAX_EXPR_TREE_DEPTH - 2),
            chain(MAX_EXPR_TREE_DEPTH - 1),
            chain(MAX_EXPR_TREE_DEPTH),
            format!(
                "{}x{}",
                "f(x + ".repeat(MAX_EXPR_DEPTH - 1),
                ")".repeat(MAX_EXPR_DEPTH - 1)
            ),
            format!(
                "{}x{}",
                "f(x + ".repeat(MAX_EXPR_DEPTH),
                ")".repeat(MAX_EXPR_DEPTH)
            ),
            format!("not ({})", vec!["x == 1"; 100].join(" or ")),
            format!("[{}]", vec!["a and b"; 100].join(", ")),
        ];
        let texts = [
            "a",
            " a ",
            "\ta\r\n",
            "a.b.c",
            "a.`b c`.d",
            "`@odata.etag`",
            "a . b",
            "a.",
            "a.in",
            "a.`in`",
            "a.``",
            "`x",
            "a.null",
            "null",
            "true",
            "false",
            "nullx",
            "true_x",
            "truex",
            "null.x",
            "true(1)",
            "not",
            "in",
            "and",
            "or",
            "x.or",
            "1",
            "12.50",
            "1.",
            "1.x",
            "1.5.3",
            "12abc",
            "1_0",
            "007",
            "'s'",
            "\"s\"",
            "'it''s'",
            "'a\\'b'",
            "\"a\\\"b\"",
            "'\\n\\t\\r\\\\'",
            "'\\u{48}'",
            "'\\u{110000}'",
            "'\\q'",
            "'a\\",
            "'a",
            "''",
            "'''",
            "'a''",
            "\"'\"",
            "'\"'",
            "'é'",
            "'\\é'",
            "@2026-11-22",
            "@2026-02-30",
            "@2026-11-22T10:00:00Z",
            "@2026-11-22T10:00:00.123+01:00",
            "@2026-11-22T25:00:00Z",
            "@",
            "@x",
            "@2026-11-22(",
            "[]",
            "[ ]",
            "[1]",
            "[1, 2]",
            "[1,]",
            "[,]",
            "[1 2]",
            "f()",
            "f ( )",
            "f(1)",
            "f(1, 2)",
            "f(1,)",
            "f(,)",
            "f(1 2)",
            "f(",
            "f)",
            "now()",
            "not(x)",
            "-not(x)",
            "a(b)(c)",
            "a.b(c)",
            "`a`(1)",
            "(a)",
            "( a )",
            "((a))",
            "(a",
            "a)",
            "()",
            "-a",
            "--a",
            "- - a",
            "-5",
            "!a",
            "!!a",
            "! a",
            "!= a",
            "!=",
            "not a",
            "not not a",
            "notx",
            "not(a) and b",
            "a + b * c",
            "a * b + c",
            "a - b - c",
            "a / b % c",
            "(a + b) * c",
            "-a * b",
            "a == b",
            "a != b",
            "a < b",
            "a <= b",
            "a > b",
            "a >= b",
            "a < b < c",
            "a == b == c",
            "a <> b",
            "a = b",
            "a =< b",
            "a < = b",
            "a in [1, 2]",
            "a in[1]",
            "a inx",
            "a index",
            "a and b or c",
            "a or b and c",
            "a && b || c",
            "a & b",
            "a | b",
            "a and(b)",
            "a andb",
            "a or_b",
            "aor b",
            "x ** 2",
            "a + ",
            "+ a",
            "a +",
            "a -",
            "a -- b",
            "a - -b",
            "a < -b",
            "a<=-b",
            "not a == b",
            "round(amount * (1 - discount / 100), 2)",
            "concat(customer.name, ' ', upper(trim(code)))",
            "is_null(customer.name)",
            "if(a > 0, 'x', \"y\")",
            "statecode eq 0",
            "a ＋ b",
            "a\u{a0}+ b",
            "é",
            "a.é",
            "customer . name",
            "a,b",
            "a]",
            "[a)",
            "(a]",
            "f(a]",
        ];
        for t in texts.iter().copied().chain(deep.iter().map(String::as_str)) {
            agree(t);
        }
    }

    /// A small deterministic generator (no dependency needed for a test).
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self, n: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 33) % n as u64) as usize
        }
    }

    /// Only real nesting counts against [`MAX_EXPR_DEPTH`]: flat operator
    /// chains longer than it are fine on both paths, up to the tree limit.
    #[test]
    fn flat_chains_are_not_nesting() {
        for op in [" + ", " - ", " * ", " or ", " and ", " || "] {
            let text = vec!["a"; 70].join(op);
            assert!(fast::parse(&text).is_some(), "fast path rejects {op:?} x70");
            assert!(
                parse_with_pest(&text).is_ok(),
                "pest path rejects {op:?} x70"
            );
        }
        let clauses = vec!["statecode == 1"; 70].join(" or ");
        assert!(fast::parse(&clauses).is_some());
        assert!(parse_with_pest(&clauses).is_ok());
        // A chain inside a call inside a list: still only three levels.
        let nested = format!("[round({}, 2)]", vec!["x"; 100].join(" + "));
        assert!(parse(&nested).is_ok());
        // Real nesting still counts, also when chains sit between the levels.
        let deep = format!(
            "{}x{}",
            "f(x + ".repeat(MAX_EXPR_DEPTH),
            ")".repeat(MAX_EXPR_DEPTH)
        );
        let e = parse(&deep).unwrap_err();
        assert!(e.message.contains("64 levels"), "{}", e.message);
        let nots = format!("{}x", "not ".repeat(MAX_EXPR_DEPTH));
        assert!(parse(&nots).unwrap_err().message.contains("64 levels"));
        // The whole tree stays bounded (stack safety of every consumer).
        let long = vec!["a"; MAX_EXPR_TREE_DEPTH + 1].join(" + ");
        let e = parse(&long).unwrap_err();
        assert!(e.message.contains("operations deep"), "{}", e.message);
        assert!(parse_with_pest(&long).is_err());
        assert!(parse(&vec!["a"; MAX_EXPR_TREE_DEPTH].join(" + ")).is_ok());
    }

    #[test]
    fn fast_path_agrees_with_pest_on_token_soup() {
        const TOKENS: &[&str] = &[
            "a",
            "b.c",
            "`x y`",
            "f",
            "round",
            "(",
            ")",
            "[",
            "]",
            ",",
            "+",
            "-",
            "*",
            "/",
            "%",
            "==",
            "!=",
            "<",
            "<=",
            ">",
            ">=",
            "in",
            "and",
            "or",
            "not",
            "!",
            "&&",
            "||",
            "null",
            "true",
            "false",
            "1",
            "2.5",
            "'s'",
            "\"d\\n\"",
            "'it''s'",
            "@2026-01-02",
            "@2026-01-02T10:00:00Z",
            ".",
            "=",
            "1.",
            "'",
            "\\",
            "x1",
            "_y",
            "é",
            "\t",
            "`",
        ];
        let mut rng = Lcg(7);
        for _ in 0..20_000 {
            let n = 1 + rng.next(9);
            let mut t = String::new();
            for _ in 0..n {
                t.push_str(TOKENS[rng.next(TOKENS.len())]);
                if rng.next(3) > 0 {
                    t.push(' ');
                }
            }
            agree(&t);
        }
    }

    /// Random well-formed expressions, so that deep and wide trees are
    /// compared too (token soup is mostly rejected early).
    fn gen(rng: &mut Lcg, depth: usize, out: &mut String) {
        let ws = |rng: &mut Lcg, out: &mut String| {
            out.push_str(["", " ", "  ", "\n"][rng.next(4)]);
        };
        if depth == 0 {
            const LEAVES: &[&str] = &[
                "x",
                "customer.name",
                "a.`b c`",
                "42",
                "10.005",
                "'t'",
                "'a''b'",
                "\"q\\\"\"",
                "null",
                "true",
                "false",
                "@2026-11-22",
                "@2026-11-22T10:00:00+01:00",
                "[]",
                "now()",
                "_k",
            ];
            out.push_str(LEAVES[rng.next(LEAVES.len())]);
            return;
        }
        const BINARY: &[&str] = &[
            "+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "in", "and", "or", "&&",
            "||",
        ];
        match rng.next(6) {
            0 => {
                gen(rng, depth - 1, out);
                ws(rng, out);
                out.push_str(BINARY[rng.next(BINARY.len())]);
                out.push(' ');
                gen(rng, depth - 1, out);
            }
            1 => {
                out.push_str(["not ", "!", "-", "- "][rng.next(4)]);
                gen(rng, depth - 1, out);
            }
            2 => {
                out.push('(');
                ws(rng, out);
                gen(rng, depth - 1, out);
                ws(rng, out);
                out.push(')');
            }
            3 | 4 => {
                let list = rng.next(4) == 0;
                out.push_str(if list {
                    "["
                } else {
                    ["f(", "round (", "concat("][rng.next(3)]
                });
                for i in 0..rng.next(4) {
                    if i > 0 {
                        out.push(',');
                        ws(rng, out);
                    }
                    gen(rng, depth - 1, out);
                }
                out.push(if list { ']' } else { ')' });
            }
            _ => gen(rng, 0, out),
        }
    }

    #[test]
    fn fast_path_agrees_with_pest_on_generated_expressions() {
        let mut rng = Lcg(11);
        let mut accepted = 0;
        for i in 0..5_000 {
            let mut t = String::new();
            gen(&mut rng, 1 + i % 6, &mut t);
            agree(&t);
            accepted += usize::from(fast::parse(&t).is_some());
        }
        // Most generated text is valid; the fast path must take it.
        assert!(accepted > 1_000, "only {accepted} accepted");
    }
}
