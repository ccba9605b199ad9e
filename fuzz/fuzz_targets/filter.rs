//! The OData `$filter` parser and the ABNF rule checker: every input is a
//! filter or a located error.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| mapc_fuzz::parse_filter(text));
