//! The expression parser: every input is an expression or a located error.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    match mapc_syntax::expr::parse(text) {
        Ok(e) => mapc_fuzz::check_text_span(text, e.span, "expression"),
        Err(e) => mapc_fuzz::check_text_span(text, e.span, "expression error"),
    }
});
