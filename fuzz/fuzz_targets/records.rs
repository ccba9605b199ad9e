//! Record parsing (NDJSON, JSON documents, CSV, and the JSON record parser
//! itself) through the example mappings: one outcome per record, each a
//! written JSON object or a coded rejection.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mapc_fuzz::run_example_records(data));
