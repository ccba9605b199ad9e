//! Inputs the fuzzers (`fuzz/`) found, as plain tests.

use mapc_diag::{render, Format};

/// `fuzz/regressions/yaml/m0107-span-splits-replacement-char`: the M0107
/// span was one byte wide, but the text it is shown against has the bad
/// byte replaced by U+FFFD (three bytes), so the span ended inside that
/// character and `--format json` gave an empty range (end column = column).
#[test]
fn invalid_utf8_span_covers_the_replacement_character() {
    let p = mapc_syntax::spec::parse_bytes("bad.yaml", b"mapc: 1\nname: d\xe4mo\n");
    let d: Vec<_> = p.diagnostics.iter().collect();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].code, "M0107");
    let text = &p.file.text;
    assert!(text.is_char_boundary(d[0].span.start) && text.is_char_boundary(d[0].span.end));
    assert_eq!(&text[d[0].span.start..d[0].span.end], "\u{FFFD}");
    let json = render(Format::Json, &[(&p.file, &p.diagnostics.into_sorted())]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let d = &v["diagnostics"][0];
    assert_eq!((&d["line"], &d["column"]), (&2.into(), &8.into()));
    assert_eq!((&d["end_line"], &d["end_column"]), (&2.into(), &9.into()));
}
