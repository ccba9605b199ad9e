//! Arbitrary bytes as the state database of `mapc run`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mapc_fuzz::open_state(data));
