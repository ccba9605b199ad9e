//! The YAML reader (`mapc_syntax::yaml`), the spec reader on top of it, and
//! the `*.test.yaml` reader: no panic, sound diagnostics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mapc_fuzz::read_yaml(data));
