//! The OData `$filter` parser and the ABNF rule checker: every input is a
//! filter or a located error.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mapc_syntax::filter::{check_rule, parse_filter, AbnfRule};

fuzz_target!(|text: &str| {
    match parse_filter(text) {
        Ok(f) => mapc_fuzz::check_text_span(text, f.span, "filter"),
        Err(e) => mapc_fuzz::check_text_span(text, e.span, "filter error"),
    }
    for name in ["filter", "boolCommonExpr", "commonExpr", "orderby", "select"] {
        if let Some(rule) = AbnfRule::from_name(name) {
            if let Err(at) = check_rule(rule, text) {
                let chars = text.chars().count();
                assert!(at <= chars, "{name}: error at character {at} past the end ({chars})");
            }
        }
    }
});
