//! Arbitrary operations on the run's bounded-memory key tables.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mapc_fuzz::key_index_ops(data));
