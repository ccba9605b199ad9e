//! Every documented example of every function (`mapc_ir::FUNCS`, the `INFO`
//! of each file in `crates/ir/src/funcs/`) runs
//! through the real parser, lowering and engine, as-of 2026-11-22, and must
//! give exactly the documented JSON (number text included, so scales are
//! checked too: `abs(-2.50)` is `2.50`, not `2.5`).

mod common;

use common::*;
use mapc_ir::{Func, FUNCS};
use mapc_value::json::parse::parse_value;
use mapc_value::json::write::{to_string, top_level_entries};

fn yaml_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn eval_example(expr: &str) -> Result<String, String> {
    let spec = spec_with(&format!(
        "    fields:\n      - {{ expr: {}, to: out }}\n",
        yaml_quote(expr)
    ));
    match one(&spec, r#"{"id": "x"}"#) {
        Got::Written(json, _) => {
            let entries = top_level_entries(json.as_bytes());
            let raw = entries
                .iter()
                .find(|(k, _)| k == "out")
                .map(|(_, v)| String::from_utf8_lossy(v).into_owned());
            raw.ok_or_else(|| format!("no `out` in {json}"))
        }
        other => Err(format!("{other:?}")),
    }
}

#[test]
fn every_function_example_evaluates_as_documented() {
    let mut failures = Vec::new();
    let mut count = 0;
    for f in FUNCS {
        for (expr, expected) in f.examples {
            count += 1;
            let want = to_string(&parse_value(expected).expect("example result is JSON"));
            match eval_example(expr) {
                Ok(got) if got == want => {}
                Ok(got) => failures.push(format!("{expr}: expected {want}, got {got}")),
                Err(e) => failures.push(format!("{expr}: {e}")),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} examples failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_function_has_an_example() {
    // `FUNCS` and `Func::ALL` are made from the one registration list in
    // `crates/ir/src/funcs/mod.rs`, so this covers every function there is.
    assert_eq!(FUNCS.len(), Func::ALL.len());
    for &f in Func::ALL {
        let info = f.info();
        assert!(
            !info.examples.is_empty(),
            "{} ({f:?}, crates/ir/src/funcs/) has no example",
            info.name
        );
        assert_eq!(
            Func::named(info.name),
            Some(f),
            "{} is not its own name",
            info.name
        );
    }
}

#[test]
fn aliases_work_like_the_function() {
    for (expr, want) in [
        ("toupper('abc')", "\"ABC\""),
        ("tolower('ABC')", "\"abc\""),
        ("length('abc')", "3"),
        ("startswith('abc', 'a')", "true"),
        ("endswith('abc', 'c')", "true"),
        ("indexof('abc', 'b')", "1"),
        ("ceil(1.2)", "2"),
    ] {
        assert_eq!(eval_example(expr).as_deref(), Ok(want), "{expr}");
    }
}

#[test]
fn runtime_errors_of_functions() {
    let spec = |e: &str| {
        spec_with(&format!(
            "    fields:\n      - {{ expr: {}, to: out }}\n",
            yaml_quote(e)
        ))
    };
    let code = |e: &str, rec: &str| one(&spec(e), rec).code().to_string();
    assert_eq!(
        code("parse_date(s, 'DD.MM.YYYY')", r#"{"s": "2026-11-22"}"#),
        "R0003"
    );
    assert_eq!(code("to_decimal(s)", r#"{"s": "12,50"}"#), "R0010");
    assert_eq!(
        code("round(x, 2, m)", r#"{"x": 1, "m": "bankers"}"#),
        "R0010"
    );
    assert_eq!(code("x / y", r#"{"x": 1, "y": 0}"#), "R0011");
    assert_eq!(
        code("x * y", r#"{"x": 79228162514264337593543950335, "y": 10}"#),
        "R0011"
    );
    assert_eq!(code("year(d)", r#"{"d": "not a date"}"#), "R0003");
}
