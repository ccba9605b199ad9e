//! The expression language parser: trees, spans and error messages.

use mapc_diag::Span;
use mapc_syntax::expr::{parse, BinaryOp, Expr, ExprKind, SyntaxError, UnaryOp};

/// A compact rendering of a tree: `(+ a (* b c))`, `round(x 2)`, `[1 2]`.
fn sx(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Null => "null".into(),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Number(n) => n.clone(),
        ExprKind::String(s) => format!("{s:?}"),
        ExprKind::Date(d) => format!("date:{d}"),
        ExprKind::DateTime(d) => format!("datetime:{d}"),
        ExprKind::Path(segs) => segs
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join("."),
        ExprKind::Call { name, args } => {
            format!(
                "{}({})",
                name.name,
                args.iter().map(sx).collect::<Vec<_>>().join(" ")
            )
        }
        ExprKind::Unary { op, expr } => {
            let op = match op {
                UnaryOp::Not => "not",
                UnaryOp::Neg => "neg",
            };
            format!("({op} {})", sx(expr))
        }
        ExprKind::Binary { op, lhs, rhs } => {
            let op = match op {
                BinaryOp::Add => "+",
                BinaryOp::Sub => "-",
                BinaryOp::Mul => "*",
                BinaryOp::Div => "/",
                BinaryOp::Mod => "%",
                BinaryOp::Eq => "==",
                BinaryOp::Ne => "!=",
                BinaryOp::Lt => "<",
                BinaryOp::Le => "<=",
                BinaryOp::Gt => ">",
                BinaryOp::Ge => ">=",
                BinaryOp::And => "and",
                BinaryOp::Or => "or",
                BinaryOp::In => "in",
            };
            format!("({op} {} {})", sx(lhs), sx(rhs))
        }
        ExprKind::List(items) => {
            format!("[{}]", items.iter().map(sx).collect::<Vec<_>>().join(" "))
        }
    }
}

fn ok(text: &str) -> String {
    match parse(text) {
        Ok(e) => sx(&e),
        Err(e) => panic!("{text:?} should parse: {e:?}"),
    }
}

fn err(text: &str) -> SyntaxError {
    match parse(text) {
        Ok(e) => panic!("{text:?} should not parse, got {}", sx(&e)),
        Err(e) => e,
    }
}

#[test]
fn precedence() {
    assert_eq!(ok("a + b * c"), "(+ a (* b c))");
    assert_eq!(ok("a * b + c"), "(+ (* a b) c)");
    assert_eq!(ok("a - b - c"), "(- (- a b) c)");
    assert_eq!(ok("a / b % c"), "(% (/ a b) c)");
    assert_eq!(ok("(a + b) * c"), "(* (+ a b) c)");
    assert_eq!(ok("-a * b"), "(* (neg a) b)");
    assert_eq!(ok("- -a"), "(neg (neg a))");
    assert_eq!(ok("a - -1"), "(- a (neg 1))");
    assert_eq!(ok("a + 1 == b * 2"), "(== (+ a 1) (* b 2))");
    assert_eq!(ok("a or b and c"), "(or a (and b c))");
    assert_eq!(ok("a and b or c"), "(or (and a b) c)");
    assert_eq!(ok("a || b && c"), "(or a (and b c))");
    assert_eq!(ok("not a == b"), "(not (== a b))");
    assert_eq!(ok("!a && b"), "(and (not a) b)");
    assert_eq!(ok("not not a"), "(not (not a))");
    assert_eq!(
        ok("a == 1 and b != 2 or not c"),
        "(or (and (== a 1) (!= b 2)) (not c))"
    );
    assert_eq!(ok("a < b"), "(< a b)");
    assert_eq!(ok("a <= b"), "(<= a b)");
    assert_eq!(ok("a > b"), "(> a b)");
    assert_eq!(ok("a >= b"), "(>= a b)");
    assert_eq!(ok("x in [1, 2] or y"), "(or (in x [1 2]) y)");
    assert_eq!(ok("x + 1 in [1, 2]"), "(in (+ x 1) [1 2])");
    // Word operators need a boundary; these are names.
    assert_eq!(ok("order + android"), "(+ order android)");
    assert_eq!(ok("notes == index"), "(== notes index)");
    assert_eq!(ok("a!=b"), "(!= a b)");
}

#[test]
fn literals() {
    assert_eq!(ok("null"), "null");
    assert_eq!(ok("true"), "true");
    assert_eq!(ok("false"), "false");
    assert_eq!(ok("123"), "123");
    assert_eq!(ok("10.005"), "10.005");
    assert_eq!(ok("0.10"), "0.10");
    assert!(matches!(parse("10.005").map(|e| e.kind), Ok(ExprKind::Number(n)) if n == "10.005"));
    assert_eq!(ok("-3"), "(neg 3)");
    assert_eq!(ok("'single'"), "\"single\"");
    assert_eq!(ok("\"double\""), "\"double\"");
    assert_eq!(ok("''"), "\"\"");
    assert_eq!(ok("@2026-11-22"), "date:2026-11-22");
    assert_eq!(ok("@2024-02-29"), "date:2024-02-29");
    assert_eq!(ok("@2026-11-22T10:00:00Z"), "datetime:2026-11-22T10:00:00Z");
    assert_eq!(
        ok("@2026-11-22T10:00:00.125Z"),
        "datetime:2026-11-22T10:00:00.125Z"
    );
    assert_eq!(
        ok("@2026-11-22T10:00:00+01:00"),
        "datetime:2026-11-22T10:00:00+01:00"
    );
    assert_eq!(
        ok("@2026-11-22T10:00:00.5-05:30"),
        "datetime:2026-11-22T10:00:00.5-05:30"
    );
    assert_eq!(
        ok("d >= @2026-01-01 and d < @2027-01-01"),
        "(and (>= d date:2026-01-01) (< d date:2027-01-01))"
    );
}

#[test]
fn string_escapes() {
    assert_eq!(ok(r"'a\\b'"), r#""a\\b""#);
    assert_eq!(ok(r"'it\'s'"), r#""it's""#);
    assert_eq!(ok("'it''s'"), r#""it's""#);
    assert_eq!(ok("''''"), r#""'""#);
    assert_eq!(ok(r#"'say \"hi\"'"#), r#""say \"hi\"""#);
    assert_eq!(ok(r#""say \"hi\"""#), r#""say \"hi\"""#);
    assert_eq!(ok(r#""it's""#), r#""it's""#);
    assert_eq!(ok(r"'a\nb\tc\rd'"), r#""a\nb\tc\rd""#);
    assert_eq!(ok(r"'\u{41}\u{e9}\u{1F600}'"), "\"Aé😀\"");
    assert_eq!(ok("'ünïcödé ✓'"), "\"ünïcödé ✓\"");
    // Bad escapes are errors pointing at the backslash.
    let e = err(r"'ab\q'");
    assert_eq!(e.span, Span::new(3, 5));
    assert!(e.message.contains("unknown escape"), "{e:?}");
    let e = err(r"'\u{D800}'");
    assert_eq!(e.span.start, 1);
    assert!(e.message.contains("unicode escape"), "{e:?}");
    let e = err(r"'\u41'");
    assert_eq!(e.span.start, 1);
}

#[test]
fn paths_and_backticks() {
    assert_eq!(ok("name"), "name");
    assert_eq!(ok("customer.name"), "customer.name");
    assert_eq!(ok("_x.y_2.z"), "_x.y_2.z");
    assert_eq!(ok("`@odata.etag`"), "@odata.etag");
    assert_eq!(ok("customer.`e-mail address`"), "customer.e-mail address");
    assert_eq!(ok("`in`"), "in");
    assert_eq!(ok("record.`in`.`null`"), "record.in.null");
    assert_eq!(ok("`true`.x"), "true.x");
    assert_eq!(ok("`null` == null"), "(== null null)");
    let e = parse("customer.`e-mail`").expect("parses");
    let ExprKind::Path(segs) = &e.kind else {
        panic!("path")
    };
    assert_eq!(segs[0].span, Span::new(0, 8));
    assert_eq!(segs[1].name, "e-mail");
    assert_eq!(segs[1].span, Span::new(9, 17));
    assert_eq!(e.span, Span::new(0, 17));
    // Keywords are not names unless quoted.
    assert!(parse("in").is_err());
    assert!(parse("and.x").is_err());
    let e = err("record.in");
    assert_eq!(e.span, Span::new(7, 8));
    assert!(e.message.contains("keyword"), "{e:?}");
    assert!(e.help.unwrap_or_default().contains("`in`"));
    assert!(parse("``").is_err());
}

#[test]
fn calls_and_lists() {
    assert_eq!(ok("now()"), "now()");
    assert_eq!(ok("round(x, 2)"), "round(x 2)");
    assert_eq!(
        ok("round(estimatedvalue * (1 - discountpercentage / 100), 2)"),
        "round((* estimatedvalue (- 1 (/ discountpercentage 100))) 2)"
    );
    assert_eq!(
        ok("concat(contact.firstname, ' ', contact.lastname)"),
        "concat(contact.firstname \" \" contact.lastname)"
    );
    assert_eq!(
        ok("is_null(contact.emailaddress1)"),
        "is_null(contact.emailaddress1)"
    );
    assert_eq!(ok("f(g(h()))"), "f(g(h()))");
    assert_eq!(ok("f ( x )"), "f(x)");
    assert_eq!(ok("[]"), "[]");
    assert_eq!(ok("[1, 'a', x.y, [2]]"), "[1 \"a\" x.y [2]]");
    assert_eq!(ok("statecode in [0, 1]"), "(in statecode [0 1])");
    let e = parse("round(x, 2)").expect("parses");
    let ExprKind::Call { name, args } = &e.kind else {
        panic!("call")
    };
    assert_eq!(name.name, "round");
    assert_eq!(name.span, Span::new(0, 5));
    assert_eq!(args[1].span, Span::new(9, 10));
    assert_eq!(e.span, Span::new(0, 11));
}

#[test]
fn whitespace_between_tokens() {
    assert_eq!(ok("  a\t+\n b  "), "(+ a b)");
    assert_eq!(ok("(\n a\n)"), "a");
    assert_eq!(ok("[ 1 ,2 ]"), "[1 2]");
}

#[test]
fn spans() {
    let e = parse(" a + b * c ").expect("parses");
    assert_eq!(e.span, Span::new(1, 10));
    let ExprKind::Binary { rhs, .. } = &e.kind else {
        panic!("binary")
    };
    assert_eq!(rhs.span, Span::new(5, 10));
    // A parenthesised operand covers its parentheses.
    let e = parse("(a + b) * 2").expect("parses");
    let ExprKind::Binary { lhs, .. } = &e.kind else {
        panic!("binary")
    };
    assert_eq!(lhs.span, Span::new(0, 7));
    let e = parse("not -x").expect("parses");
    assert_eq!(e.span, Span::new(0, 6));
    let ExprKind::Unary { expr, .. } = &e.kind else {
        panic!("unary")
    };
    assert_eq!(expr.span, Span::new(4, 6));
    let e = parse("'é' == @2026-11-22").expect("parses");
    let ExprKind::Binary { lhs, rhs, .. } = &e.kind else {
        panic!("binary")
    };
    assert_eq!(lhs.span, Span::new(0, 4)); // bytes, not chars
    assert_eq!(rhs.span, Span::new(8, 19));
}

#[test]
fn map_spans_moves_every_span() {
    let mut e = parse("round(customer.amount * 2, 1) in [1, x]").expect("parses");
    let before = format!("{e:?}");
    e.map_spans(&|s| Span::new(s.start + 100, s.end + 100));
    let mut all = Vec::new();
    collect_spans(&e, &mut all);
    assert!(all.len() >= 10);
    assert!(all.iter().all(|s| s.start >= 100), "{all:?}");
    assert_eq!(e.span, Span::new(100, 139));
    e.map_spans(&|s| Span::new(s.start - 100, s.end - 100));
    assert_eq!(format!("{e:?}"), before);
}

fn collect_spans(e: &Expr, out: &mut Vec<Span>) {
    out.push(e.span);
    match &e.kind {
        ExprKind::Path(segs) => out.extend(segs.iter().map(|s| s.span)),
        ExprKind::Call { name, args } => {
            out.push(name.span);
            args.iter().for_each(|a| collect_spans(a, out));
        }
        ExprKind::Unary { expr, .. } => collect_spans(expr, out),
        ExprKind::Binary { lhs, rhs, .. } => {
            collect_spans(lhs, out);
            collect_spans(rhs, out);
        }
        ExprKind::List(items) => items.iter().for_each(|a| collect_spans(a, out)),
        _ => {}
    }
}

#[test]
fn error_positions() {
    // (input, span start, message fragment)
    let cases: &[(&str, usize, &str)] = &[
        ("a * )", 4, "expected an operand after `*`"),
        ("a +", 3, "expected an operand after `+`"),
        ("a)", 1, "unexpected `)`"),
        (
            "round(a, 2",
            10,
            "expected `)` to close the call to `round`",
        ),
        (
            "round(a * 2",
            11,
            "expected `)` to close the call to `round`",
        ),
        ("(a + b", 6, "expected `)`"),
        ("[1, 2", 5, "expected `]`"),
        ("name == 'abc", 8, "unterminated string"),
        ("\"abc", 0, "unterminated string"),
        ("a = b", 2, "unexpected `=`"),
        ("a eq b", 2, "unexpected `eq`"),
        ("a == b == c", 7, "cannot be chained"),
        ("f(a b)", 4, "unexpected `b`"),
        ("f(a,)", 4, "unexpected `)`"),
        ("a and", 5, "expected an operand after `and`"),
        ("not", 3, "expected an operand after `not`"),
        ("a.", 2, "expected a name after `.`"),
        ("@2026-02-30", 0, "invalid date `@2026-02-30`"),
        ("@2026-13-01", 0, "invalid date"),
        ("@2026-11-22T25:00:00Z", 0, "invalid date-time"),
        ("@2026-11-22T10:00:00", 0, "invalid date-time"),
        ("@odata.etag", 0, "unexpected `@`"),
        ("1e5", 0, "invalid number `1e5`"),
        ("x == 1.", 5, "invalid number"),
        ("a <> b", 2, "unexpected `<>`"),
        ("`abc", 0, "unterminated quoted name"),
        ("", 0, "empty expression"),
        ("   ", 3, "empty expression"),
    ];
    for (text, start, fragment) in cases {
        let e = err(text);
        assert_eq!(e.span.start, *start, "{text:?}: {e:?}");
        assert!(
            e.message.contains(fragment),
            "{text:?}: expected {fragment:?} in {e:?}"
        );
        assert!(!e.label.is_empty(), "{text:?}: {e:?}");
        // One character wide, or empty at the end of the text (literal
        // errors cover the literal).
        assert!(e.span.end <= text.len(), "{text:?}: {e:?}");
    }
}

#[test]
fn error_helps() {
    let e = err("a = b");
    assert_eq!(e.help.as_deref(), Some("use `==` to compare"));
    assert_eq!(e.span, Span::new(2, 3));
    for op in ["eq", "ne", "gt", "ge", "lt", "le"] {
        let e = err(&format!("amount {op} 5"));
        let help = e.help.unwrap_or_default();
        assert!(
            help.contains("OData operators belong in `filter:`"),
            "{op}: {help}"
        );
        assert_eq!(e.span, Span::new(7, 8));
    }
    let e = err("@2026-02-30");
    assert_eq!(e.message, "invalid date `@2026-02-30`");
    assert_eq!(e.span, Span::new(0, 11));
    let e = err("a AND b");
    assert!(e.help.unwrap_or_default().contains("lowercase"));
    let e = err("x not in [1]");
    assert!(e.help.unwrap_or_default().contains("not (x in"));
    // Unterminated string: the span is the opening quote.
    let e = err("concat(a, 'b)");
    assert_eq!(e.message, "unterminated string");
    assert_eq!(e.span, Span::new(10, 11));
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = format!("{}a{}", "(".repeat(10_000), ")".repeat(10_000));
    assert!(err(&deep).message.contains("nests"));
    let negs = format!("{}a", "-".repeat(100_000));
    assert!(err(&negs).message.contains("nests"));
    let chain = vec!["a"; 50_000].join(" + ");
    assert!(err(&chain).message.contains("nests"));
    let nots = format!("{}a", "not ".repeat(1_000));
    assert!(err(&nots).message.contains("nests"));
    let calls = format!("{}x{}", "f(".repeat(1_000), ")".repeat(1_000));
    assert!(err(&calls).message.contains("nests"));
    // Moderate nesting is fine.
    let ok_deep = format!("{}a{}", "(".repeat(40), ")".repeat(40));
    assert_eq!(ok(&ok_deep), "a");
}

#[test]
fn failing_nested_input_is_fast() {
    // Unclosed nested constructs must not backtrack exponentially.
    let start = std::time::Instant::now();
    for open in ["f(", "(", "[", "not (", "-(", "f(a, [", "a + ("] {
        let text = open.repeat(60);
        assert!(parse(&text).is_err());
    }
    assert!(start.elapsed().as_secs() < 10, "took {:?}", start.elapsed());
}

/// A small deterministic generator (xorshift), so the test needs no crates.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

#[test]
fn garbage_never_panics() {
    let pieces = [
        "a",
        "b.c",
        "`x",
        "`y`",
        "'",
        "\"",
        "'s'",
        "\\",
        "\\u{",
        "\\u{41}",
        "}",
        "(",
        ")",
        "[",
        "]",
        ",",
        " ",
        "\t",
        "\n",
        "+",
        "-",
        "*",
        "/",
        "%",
        "==",
        "=",
        "!",
        "!=",
        "<",
        ">=",
        "and",
        "or",
        "not",
        "in",
        "null",
        "true",
        "1",
        "10.5",
        ".",
        "@",
        "@2026-11-22",
        "@2026-02-30",
        "T10:00:00Z",
        "round(",
        "f()",
        "é",
        "😀",
        "\u{0}",
        "''",
        "eq",
        "&&",
        "||",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..600 {
        let n = 1 + (rng.next() % 12) as usize;
        let text: String = (0..n).map(|_| rng.pick(&pieces)).collect();
        check_result(&text);
    }
    // Raw random characters, including multi-byte ones.
    for _ in 0..300 {
        let n = (rng.next() % 20) as usize;
        let text: String = (0..n)
            .map(|_| {
                let c = (rng.next() % 0x300) as u32;
                char::from_u32(c).unwrap_or('?')
            })
            .collect();
        check_result(&text);
    }
}

fn check_result(text: &str) {
    match parse(text) {
        Ok(e) => {
            let mut spans = Vec::new();
            collect_spans(&e, &mut spans);
            for s in spans {
                assert!(
                    s.end <= text.len()
                        && text.is_char_boundary(s.start)
                        && text.is_char_boundary(s.end),
                    "{text:?}: {s:?}"
                );
            }
        }
        Err(e) => {
            let s = e.span;
            assert!(s.start <= s.end && s.end <= text.len(), "{text:?}: {e:?}");
            assert!(
                text.is_char_boundary(s.start) && text.is_char_boundary(s.end),
                "{text:?}: {e:?}"
            );
            assert!(
                !e.message.is_empty() && !e.label.is_empty(),
                "{text:?}: {e:?}"
            );
        }
    }
}
