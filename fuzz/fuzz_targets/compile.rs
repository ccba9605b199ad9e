//! The whole compile of a spec (`mapc_compile::compile_bytes`, what `check`,
//! `preview`, `test` and `run` share), then the spec's own tests and its
//! mappings over their test inputs.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mapc_fuzz::compile_and_run(data));
