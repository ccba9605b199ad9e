//! The expression parser: every input is an expression or a located error.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| mapc_fuzz::parse_expr(text));
