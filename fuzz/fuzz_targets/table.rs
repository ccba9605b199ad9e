//! An existing target file of `mapc run` (byte 0: NDJSON, JSON array or CSV)
//! opened as a keyed table, read, updated and committed.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mapc_fuzz::open_table(data));
