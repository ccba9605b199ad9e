//! Unit tests of the `$filter` parser (the OASIS conformance suite is in
//! `tests/odata_abnf.rs`).

use super::*;
use mapc_diag::Span;

/// A compact rendering: `(eq a 1)`, `contains(name 'x')`, `a/b`, `[1 2]`.
fn sx(e: &FilterExpr) -> String {
    let list = |items: &[FilterExpr]| items.iter().map(sx).collect::<Vec<_>>().join(" ");
    match &e.kind {
        FilterKind::Literal(l) => match l {
            Literal::Null => "null".into(),
            Literal::Bool(b) => b.to_string(),
            Literal::Number(n) => n.clone(),
            Literal::String(s) => format!("'{s}'"),
            Literal::Date(d) => format!("date:{d}"),
            Literal::DateTimeOffset(d) => format!("dto:{d}"),
            Literal::TimeOfDay(t) => format!("time:{t}"),
            Literal::Duration(d) => format!("duration:{d}"),
            Literal::Guid(g) => format!("guid:{g}"),
            Literal::Binary(b) => format!("binary:{b}"),
            Literal::Enum { type_name, value } => format!("enum:{type_name}:{value}"),
            Literal::Geo { geography, text } => format!(
                "{}:{text}",
                if *geography { "geography" } else { "geometry" }
            ),
        },
        FilterKind::Path(segs) => segs.iter().map(seg).collect::<Vec<_>>().join("/"),
        FilterKind::Call { name, args } => format!("{}({})", name.name, list(args)),
        FilterKind::Cast { expr, type_name } => {
            format!(
                "cast({}{})",
                expr.as_ref().map_or(String::new(), |e| sx(e) + " "),
                type_name.name
            )
        }
        FilterKind::IsOf { expr, type_name } => {
            format!(
                "isof({}{})",
                expr.as_ref().map_or(String::new(), |e| sx(e) + " "),
                type_name.name
            )
        }
        FilterKind::Case(arms) => {
            format!(
                "case({})",
                arms.iter()
                    .map(|(c, v)| format!("{}:{}", sx(c), sx(v)))
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        }
        FilterKind::Unary { op, expr } => format!(
            "({} {})",
            if *op == UnaryOp::Not { "not" } else { "neg" },
            sx(expr)
        ),
        FilterKind::Binary { op, lhs, rhs } => {
            format!("({} {} {})", op.keyword(), sx(lhs), sx(rhs))
        }
        FilterKind::List(items) => format!("[{}]", list(items)),
        FilterKind::Object(members) => {
            format!(
                "{{{}}}",
                members
                    .iter()
                    .map(|(k, v)| format!("{}:{}", k.name, sx(v)))
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        }
    }
}

fn seg(s: &Segment) -> String {
    match &s.kind {
        SegmentKind::Name(n) => n.name.clone(),
        SegmentKind::Call { name, args } => format!(
            "{}({})",
            name.name,
            args.iter()
                .map(|a| match &a.name {
                    Some(n) => format!("{}={}", n.name, sx(&a.value)),
                    None => sx(&a.value),
                })
                .collect::<Vec<_>>()
                .join(" ")
        ),
        SegmentKind::Count { filter } => match filter {
            Some(f) => format!("$count({})", sx(f)),
            None => "$count".into(),
        },
        SegmentKind::Filter(f) => format!("$filter({})", sx(f)),
        SegmentKind::Any { var, predicate } => match (var, predicate) {
            (Some(v), Some(p)) => format!("any({}:{})", v.name, sx(p)),
            _ => "any()".into(),
        },
        SegmentKind::All { var, predicate } => format!("all({}:{})", var.name, sx(predicate)),
        SegmentKind::Annotation(n) => format!("@{}", n.name),
        SegmentKind::It => "$it".into(),
        SegmentKind::This => "$this".into(),
        SegmentKind::Root => "$root".into(),
    }
}

fn ok(text: &str) -> String {
    match parse_filter(text) {
        Ok(f) => sx(&f.expr),
        Err(e) => panic!("{text:?} should parse: {e:?}"),
    }
}

fn err(text: &str) -> SyntaxError {
    match parse_filter(text) {
        Ok(f) => panic!("{text:?} should not parse, got {}", sx(&f.expr)),
        Err(e) => e,
    }
}

#[test]
fn precedence_follows_the_url_conventions() {
    assert_eq!(
        ok("statecode eq 0 and estimatedvalue gt 1000"),
        "(and (eq statecode 0) (gt estimatedvalue 1000))"
    );
    assert_eq!(
        ok("a eq 1 or b eq 2 and c eq 3"),
        "(or (eq a 1) (and (eq b 2) (eq c 3)))"
    );
    assert_eq!(
        ok("(a eq 1 or b eq 2) and c eq 3"),
        "(and (or (eq a 1) (eq b 2)) (eq c 3))"
    );
    assert_eq!(ok("price mul 2 add 1 eq 5"), "(eq (add (mul price 2) 1) 5)");
    assert_eq!(ok("a sub b sub c"), "(sub (sub a b) c)");
    assert_eq!(ok("a div b divby c mod d"), "(mod (divby (div a b) c) d)");
    assert_eq!(ok("a add 1 gt b eq true"), "(eq (gt (add a 1) b) true)");
    assert_eq!(ok("not contains(name, 'x')"), "(not contains(name 'x'))");
    // `not` and `-` bind tighter than any binary operator; `in`/`has` tighter still.
    assert_eq!(ok("not a eq b"), "(eq (not a) b)");
    assert_eq!(ok("not (a eq b)"), "(not (eq a b))");
    assert_eq!(ok("not(a eq b)"), "(not (eq a b))");
    assert_eq!(ok("-a add b"), "(add (neg a) b)");
    assert_eq!(ok("- 5"), "(neg 5)");
    assert_eq!(ok("-5"), "-5");
    assert_eq!(ok("not x in ('a', 'b')"), "(not (in x ['a' 'b']))");
    assert_eq!(ok("a add b in (1, 2)"), "(add a (in b [1 2]))");
    assert_eq!(
        ok("x in ('a') and f has Ns.Color'Red'"),
        "(and (in x ['a']) (has f enum:Ns.Color:Red))"
    );
    // Operators are case-insensitive.
    assert_eq!(
        ok("Name EQ 'Milk' AND Price LT 2.55"),
        "(and (eq Name 'Milk') (lt Price 2.55))"
    );
    // Words with an operator prefix are names.
    assert_eq!(ok("order eq android"), "(eq order android)");
    assert_eq!(ok("notes eq nullable"), "(eq notes nullable)");
}

#[test]
fn literals() {
    assert_eq!(ok("a eq null"), "(eq a null)");
    assert_eq!(
        ok("a eq true or a eq FALSE"),
        "(or (eq a true) (eq a false))"
    );
    assert_eq!(ok("a eq 42"), "(eq a 42)");
    assert_eq!(ok("a eq 10.005"), "(eq a 10.005)");
    assert_eq!(ok("a eq -3.50"), "(eq a -3.50)");
    assert_eq!(ok("a eq 1e-5"), "(eq a 1e-5)");
    assert_eq!(
        ok("a eq INF or a eq -INF or a eq NaN"),
        "(or (or (eq a INF) (eq a -INF)) (eq a NaN))"
    );
    assert_eq!(ok("a eq 'O''Neil'"), "(eq a 'O'Neil')");
    assert_eq!(ok("a eq ''"), "(eq a '')");
    assert_eq!(ok("a eq 'ünï ✓'"), "(eq a 'ünï ✓')");
    assert_eq!(ok("a eq 2026-11-22"), "(eq a date:2026-11-22)");
    assert_eq!(ok("a eq 2024-02-29"), "(eq a date:2024-02-29)");
    assert_eq!(
        ok("a ge 2026-11-22T10:00:00Z"),
        "(ge a dto:2026-11-22T10:00:00Z)"
    );
    assert_eq!(
        ok("a ge 2026-11-22T10:00:00.123+01:00"),
        "(ge a dto:2026-11-22T10:00:00.123+01:00)"
    );
    assert_eq!(ok("a ge 2026-11-22T10:00Z"), "(ge a dto:2026-11-22T10:00Z)");
    assert_eq!(ok("a lt 10:30:00"), "(lt a time:10:30:00)");
    assert_eq!(ok("a eq duration'P1DT2H30M'"), "(eq a duration:P1DT2H30M)");
    assert_eq!(
        ok("a eq 01234567-89ab-cdef-0123-456789ABCDEF"),
        "(eq a guid:01234567-89ab-cdef-0123-456789ABCDEF)"
    );
    assert_eq!(
        ok("a eq 12345678-1234-1234-1234-123456789012"),
        "(eq a guid:12345678-1234-1234-1234-123456789012)"
    );
    assert_eq!(ok("a eq binary'Zm9vYg=='"), "(eq a binary:Zm9vYg==)");
    assert_eq!(
        ok("a eq Ns.Color'Red,Blue'"),
        "(eq a enum:Ns.Color:Red,Blue)"
    );
    assert_eq!(
        ok("geo.intersects(loc, geography'SRID=4326;Point(-122.1 47.6)')"),
        "geo.intersects(loc geography:SRID=4326;Point(-122.1 47.6))"
    );
    assert_eq!(
        ok("a eq geometry'SRID=0;Polygon((1 1,1 2,2 2,1 1))'"),
        "(eq a geometry:SRID=0;Polygon((1 1,1 2,2 2,1 1)))"
    );
}

#[test]
fn paths_functions_and_lambdas() {
    assert_eq!(ok("customerid/name eq 'x'"), "(eq customerid/name 'x')");
    assert_eq!(ok("contains(name, 'x')"), "contains(name 'x')");
    assert_eq!(ok("CONTAINS(name,'x')"), "contains(name 'x')");
    assert_eq!(ok("matchespattern(name,'^A')"), "matchesPattern(name '^A')");
    assert_eq!(
        ok("substring(name, 1) eq 'b' and substring(name,1,2) eq 'bc'"),
        "(and (eq substring(name 1) 'b') (eq substring(name 1 2) 'bc'))"
    );
    assert_eq!(ok("now() gt modifiedon"), "(gt now() modifiedon)");
    assert_eq!(ok("year(createdon) eq 2026"), "(eq year(createdon) 2026)");
    assert_eq!(ok("year eq 2026"), "(eq year 2026)");
    assert_eq!(ok("round(amount) eq 3"), "(eq round(amount) 3)");
    assert_eq!(ok("geo.distance(a, b) lt 10"), "(lt geo.distance(a b) 10)");
    assert_eq!(
        ok("cast(x, Edm.String) eq '1'"),
        "(eq cast(x Edm.String) '1')"
    );
    assert_eq!(ok("isof(Model.Manager)"), "isof(Model.Manager)");
    assert_eq!(
        ok("case(a gt 0: 'pos', true: 'other') eq 'pos'"),
        "(eq case((gt a 0):'pos' true:'other') 'pos')"
    );
    assert_eq!(ok("lines/any(l: l/qty gt 1)"), "lines/any(l:(gt l/qty 1))");
    assert_eq!(ok("lines/any()"), "lines/any()");
    assert_eq!(ok("lines/all(l:l/qty gt 1)"), "lines/all(l:(gt l/qty 1))");
    assert_eq!(ok("lines/$count gt 2"), "(gt lines/$count 2)");
    assert_eq!(
        ok("lines/$count($filter=qty gt 1) gt 2"),
        "(gt lines/$count((gt qty 1)) 2)"
    );
    assert_eq!(
        ok("lines/$filter(qty gt 1)/$count eq 0"),
        "(eq lines/$filter((gt qty 1))/$count 0)"
    );
    assert_eq!(ok("endswith($it, '.com')"), "endswith($it '.com')");
    assert_eq!(ok("$this/x eq 1"), "(eq $this/x 1)");
    assert_eq!(
        ok("$root/accounts(1)/name eq x"),
        "(eq $root/accounts(1)/name x)"
    );
    assert_eq!(
        ok("Price/@Measures.Currency eq 'EUR'"),
        "(eq Price/@Measures.Currency 'EUR')"
    );
    assert_eq!(
        ok("@Core.Messages/any(m:m/severity eq 'error')"),
        "@Core.Messages/any(m:(eq m/severity 'error'))"
    );
    assert_eq!(
        ok("Microsoft.Dynamics.CRM.Today(PropertyName='createdon')"),
        "Microsoft.Dynamics.CRM.Today(PropertyName='createdon')"
    );
    assert_eq!(
        ok("Microsoft.Dynamics.CRM.In(PropertyName='x',PropertyValues=['1','2'])"),
        "Microsoft.Dynamics.CRM.In(PropertyName='x' PropertyValues=['1' '2'])"
    );
    assert_eq!(
        ok("Orders(OrderID=1,ItemID=2)/Qty gt 1"),
        "(gt Orders(OrderID=1 ItemID=2)/Qty 1)"
    );
    assert_eq!(
        ok("DirectReports/Sales.Manager/any()"),
        "DirectReports/Sales.Manager/any()"
    );
    assert_eq!(
        ok("Address eq {\"Street\":\"Main\",\"No\":1}"),
        "(eq Address {Street:'Main' No:1})"
    );
    assert_eq!(
        ok("Name in [\"Milk\", 'Cheese']"),
        "(in Name ['Milk' 'Cheese'])"
    );
    assert_eq!(ok("x in []"), "(in x [])");
    assert_eq!(ok("x in ()"), "(in x [])");
    assert_eq!(ok("a eq [\"\\u00e9\\n\"]"), "(eq a ['é\n'])");
}

#[test]
fn spans_and_whitespace() {
    let f = parse_filter("  a eq 'é' \n").expect("parses");
    assert_eq!(f.span, Span::new(2, 11));
    let FilterKind::Binary { lhs, rhs, .. } = &f.expr.kind else {
        panic!("binary")
    };
    assert_eq!(lhs.span, Span::new(2, 3));
    assert_eq!(rhs.span, Span::new(7, 11));
    let f = parse_filter("a in [1]").expect("parses");
    let FilterKind::Binary { rhs, .. } = &f.expr.kind else {
        panic!("binary")
    };
    assert_eq!(rhs.span, Span::new(5, 8));
    let f = parse_filter("a/b eq 1").expect("parses");
    let FilterKind::Binary { lhs, .. } = &f.expr.kind else {
        panic!("binary")
    };
    let FilterKind::Path(segs) = &lhs.kind else {
        panic!("path")
    };
    assert_eq!(segs[1].span, Span::new(2, 3));
    // Newlines and tabs are whitespace (multi-line YAML strings).
    assert_eq!(ok("a eq 1\n  and\tb eq 2"), "(and (eq a 1) (eq b 2))");
}

#[test]
fn map_spans_moves_every_span() {
    let mut f = parse_filter(
        "contains(a/b, 'x') and lines/any(l: l/q in (1, 2)) and Ns.F(p=1)/x eq cast(y, Edm.Int32)",
    )
    .expect("parses");
    let before = f.clone();
    f.map_spans(&|s| Span::new(s.start + 1000, s.end + 1000));
    let text = format!("{f:?}");
    // Every `start: N` is now at least 1000.
    for part in text.split("start: ").skip(1) {
        let n: usize = part
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap_or("0")
            .parse()
            .unwrap_or(0);
        assert!(n >= 1000, "{text}");
    }
    f.map_spans(&|s| Span::new(s.start - 1000, s.end - 1000));
    assert_eq!(f, before);
}

#[test]
fn error_messages() {
    // (input, span start, message fragment, help fragment)
    let cases: &[(&str, usize, &str, &str)] = &[
        (
            "a == b",
            2,
            "unexpected `==`",
            "OData filters use `eq`, not `==`",
        ),
        ("a = b", 2, "unexpected `=`", "use `eq`"),
        ("a != b", 2, "unexpected `!=`", "use `ne`"),
        ("a > 1", 2, "unexpected `>`", "use `gt`"),
        ("a eq 1 && b eq 2", 7, "unexpected `&&`", "use `and`"),
        ("a eq 1 || b eq 2", 7, "unexpected `||`", "use `or`"),
        ("a eq", 4, "expected an operand after `eq`", ""),
        ("a eq 1 and", 10, "expected an operand after `and`", ""),
        (
            "a eq 1 b",
            7,
            "expected an operator such as `eq`, `and`",
            "",
        ),
        ("a b", 2, "expected an operator such as `eq`, `and`", ""),
        (
            "name eq \"Milk\"",
            8,
            "unexpected `\"Milk\"`",
            "single quotes",
        ),
        ("name eq 'Milk", 8, "unterminated string", ""),
        ("contains(name)", 13, "`contains` takes 2 arguments", ""),
        ("round(x, 2) eq 1", 7, "`round` takes 1 argument", ""),
        ("now(1)", 4, "", ""),
        ("x in (a, b)", 7, "only literals", ""),
        ("a eq (1, 2)", 7, "unexpected `,`", ""),
        ("(a eq 1", 7, "expected `)`", ""),
        (
            "contains(a, 'b'",
            15,
            "expected `)` to close the call to `contains`",
            "",
        ),
        ("a eq 1)", 6, "unexpected `)`", ""),
        ("a eq(b)", 4, "expected a space after `eq`", ""),
        ("contains (a, b)", 9, "unexpected `(`", "no space"),
        ("a eq 2026-02-30", 5, "invalid date `2026-02-30`", ""),
        ("a eq 2025-02-29T10:00:00Z", 5, "invalid date-time", ""),
        (
            "$filter=a eq 1",
            0,
            "unexpected `$filter=`",
            "leave out `$filter=`",
        ),
        ("statecode%20eq%200", 9, "unexpected `%20`", "URL-encoded"),
        ("Model.Available", 15, "expected `(` or `/`", ""),
        ("any()", 3, "", ""),
        ("", 0, "empty filter", ""),
    ];
    for (text, start, message, help) in cases {
        let e = err(text);
        assert_eq!(e.span.start, *start, "{text:?}: {e:?}");
        assert!(
            e.message.contains(message),
            "{text:?}: expected {message:?} in {e:?}"
        );
        assert!(
            e.help.as_deref().unwrap_or("").contains(help),
            "{text:?}: expected help {help:?} in {e:?}"
        );
        assert!(!e.label.is_empty(), "{text:?}: {e:?}");
    }
}

#[test]
fn invalid_filters_are_rejected() {
    for text in [
        "eq 1",
        "a eq 1 eq",
        "a/",
        "/a",
        "a//b",
        "a eq 1, 2",
        "a eqb",
        "a eq b c",
        "contains(a)",
        "a in",
        "a has 1",
        "not 1 eq",
        "a eq 1 and or b eq 2",
        "a/any(x)",
        "a/all()",
        "any(x: true)",
        "$it/",
        "$root",
        "a eq 'x' 'y'",
        "a eq duration'P1X'",
        "a eq 2026-13-01",
        "a eq 25:00",
        "@",
        "a eq [1,",
        "a eq {\"k\" 1}",
        "a eq {k: 1}",
        "Model.Type",
        "a eq 1.",
        "a eq .5",
        "(a eq 1))",
        "a eq \"x\"",
        "x in ['a' 'b']",
    ] {
        assert!(parse_filter(text).is_err(), "{text:?} should not parse");
    }
}

#[test]
fn check_rule_reports_char_positions() {
    assert_eq!(check_rule(AbnfRule::CommonExpr, "a eq 1"), Ok(()));
    assert_eq!(check_rule(AbnfRule::BoolCommonExpr, "a eq"), Err(4));
    assert_eq!(check_rule(AbnfRule::CommonExpr, "'é' eq"), Err(6));
    assert_eq!(check_rule(AbnfRule::Filter, "$filter=a eq 1"), Ok(()));
    assert_eq!(check_rule(AbnfRule::Filter, "$FILTER=a eq 1"), Ok(()));
    assert_eq!(check_rule(AbnfRule::Filter, "$filter =true"), Err(7));
    assert_eq!(check_rule(AbnfRule::Filter, "a eq 1"), Err(0));
    assert_eq!(check_rule(AbnfRule::Orderby, "$orderby=a desc,b"), Ok(()));
    assert_eq!(check_rule(AbnfRule::Orderby, "$orderby=a up"), Err(11));
    assert_eq!(check_rule(AbnfRule::Select, "$select=a,b/c,Ns.*"), Ok(()));
    assert_eq!(check_rule(AbnfRule::Select, "$select=a,"), Err(10));
    // The tree must build too: no 30 February.
    assert_eq!(check_rule(AbnfRule::CommonExpr, "a eq 2026-02-30"), Err(5));
    assert_eq!(
        AbnfRule::from_name("boolCommonExpr"),
        Some(AbnfRule::BoolCommonExpr)
    );
    assert_eq!(AbnfRule::from_name("expand"), None);
    assert_eq!(AbnfRule::Orderby.name(), "orderby");
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = format!("{}a{}", "(".repeat(10_000), ")".repeat(10_000));
    assert!(err(&deep).message.contains("nests"));
    let nots = format!("{}a", "not ".repeat(2_000));
    assert!(err(&nots).message.contains("nests"));
    let chain = vec!["a eq 1"; 20_000].join(" and ");
    assert!(err(&chain).message.contains("nests"));
    let paths = format!("{}x", "a/any(v:".repeat(1_000));
    assert!(parse_filter(&paths).is_err());
    assert!(check_rule(AbnfRule::CommonExpr, &deep).is_err());
    let ok_deep = format!("{}a{}", "(".repeat(40), ")".repeat(40));
    assert_eq!(ok(&ok_deep), "a");
}

/// Only real nesting counts against [`MAX_FILTER_DEPTH`]: flat chains of
/// `or`/`and`/arithmetic longer than it are fine, up to the tree limit.
#[test]
fn flat_chains_are_not_nesting() {
    let ors = vec!["statecode eq 1"; 70].join(" or ");
    assert!(parse_filter(&ors).is_ok(), "{:?}", parse_filter(&ors).err());
    let ands = vec!["a ne 'x'"; 70].join(" and ");
    assert!(parse_filter(&ands).is_ok());
    let sum = format!("{} gt 0", vec!["a"; 70].join(" add "));
    assert!(parse_filter(&sum).is_ok());
    assert!(check_rule(AbnfRule::CommonExpr, &ors).is_ok());
    // A long chain inside a lambda inside parentheses.
    let lambda = format!("lines/any(l: ({}))", vec!["l/qty gt 1"; 70].join(" or "));
    assert!(parse_filter(&lambda).is_ok());
    // Real nesting still counts.
    let calls = format!(
        "{}x{}",
        "tolower(".repeat(MAX_FILTER_DEPTH),
        ")".repeat(MAX_FILTER_DEPTH)
    );
    assert!(err(&calls).message.contains("64 levels"));
    let nots = format!("{}a", "not ".repeat(MAX_FILTER_DEPTH + 1));
    assert!(err(&nots).message.contains("64 levels"));
    // The whole tree stays bounded.
    let long = vec!["a eq 1"; MAX_FILTER_TREE_DEPTH].join(" or ");
    let e = err(&long);
    assert!(e.message.contains("operations deep"), "{}", e.message);
    assert!(parse_filter(&vec!["a"; 200].join(" or ")).is_ok());
}

#[test]
fn failing_nested_input_is_fast() {
    // Unclosed nested constructs must not backtrack exponentially.
    let start = std::time::Instant::now();
    for open in [
        "cast(",
        "f(",
        "contains(",
        "a/any(x:",
        "[",
        "{\"k\":",
        "x in (",
        "case(a:",
        "not (",
        "-(",
    ] {
        let text = open.repeat(60);
        assert!(parse_filter(&text).is_err());
    }
    assert!(start.elapsed().as_secs() < 10, "took {:?}", start.elapsed());
}

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
        "b/c",
        "$it",
        "$count",
        "$filter(",
        "@x",
        "'",
        "\"",
        "'s'",
        "''",
        "\\",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        ",",
        ":",
        ";",
        " ",
        "\t",
        "eq",
        "ne",
        "and",
        "or",
        "not",
        "in",
        "has",
        "add",
        "-",
        "1",
        "2.5",
        "1e5",
        "2026-02-30",
        "2026-11-22",
        "T10:00:00Z",
        "contains(",
        "any(",
        "all(",
        "cast(",
        "Ns.T'x'",
        "null",
        "true",
        "é",
        "😀",
        "%20",
        "==",
        "&&",
        "/",
        "duration'",
        "geography'",
        "binary'",
        "\u{0}",
    ];
    let rules = [
        AbnfRule::Filter,
        AbnfRule::CommonExpr,
        AbnfRule::Orderby,
        AbnfRule::Select,
    ];
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    for i in 0..600 {
        let n = 1 + (rng.next() % 12) as usize;
        let text: String = (0..n).map(|_| rng.pick(&pieces)).collect();
        check_result(&text);
        let _ = check_rule(rules[i % rules.len()], &text);
    }
    for _ in 0..300 {
        let n = (rng.next() % 20) as usize;
        let text: String = (0..n)
            .map(|_| char::from_u32((rng.next() % 0x300) as u32).unwrap_or('?'))
            .collect();
        check_result(&text);
        let _ = check_rule(AbnfRule::Filter, &text);
    }
}

fn check_result(text: &str) {
    match parse_filter(text) {
        Ok(f) => {
            let dbg = format!("{f:?}");
            assert!(f.span.end <= text.len(), "{text:?}: {dbg}");
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

/// The keyword table is the one list both ways: each keyword names one
/// operator, each operator has one keyword, in any case.
#[test]
fn operator_keywords_go_both_ways() {
    use crate::filter::ast::{BinaryOp, KEYWORDS};
    for (k, op) in KEYWORDS {
        assert_eq!(BinaryOp::from_keyword(k), Some(*op), "{k}");
        assert_eq!(
            BinaryOp::from_keyword(&k.to_ascii_uppercase()),
            Some(*op),
            "{k}"
        );
        assert_eq!(op.keyword(), *k);
    }
    assert_eq!(BinaryOp::from_keyword("divide"), None);
    assert_eq!(
        BinaryOp::from_keyword("divby"),
        Some(BinaryOp::Shared(crate::expr::BinaryOp::Div))
    );
}
