//! The YAML reader (`mapc_syntax::yaml`), the spec reader on top of it, and
//! the `*.test.yaml` reader: no panic, sound diagnostics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mapc_diag::{Diagnostics, SourceFile};
use mapc_syntax::yaml::{self, Limits};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        // Invalid UTF-8 is the spec reader's M0107.
        let p = mapc_syntax::spec::parse_bytes("fuzz.yaml", data);
        mapc_fuzz::check_diagnostics(&p.file, &p.diagnostics.into_sorted());
        return;
    };
    let file = SourceFile::new("fuzz.yaml", text);
    let mut diags = Diagnostics::new();
    let _ = yaml::parse(text, Limits::default(), &mut diags);
    mapc_fuzz::check_diagnostics(&file, &diags.into_sorted());

    let p = mapc_syntax::spec::parse_str("fuzz.yaml", text);
    mapc_fuzz::check_diagnostics(&p.file, &p.diagnostics.into_sorted());

    let t = mapc_engine::testing::parse_test_file("fuzz.test.yaml", text);
    mapc_fuzz::check_diagnostics(&t.file, &t.diagnostics.into_sorted());
});
