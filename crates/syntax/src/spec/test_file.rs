//! `*.test.yaml` files: `spec:` (optional) and `tests:`, read with the spec
//! reader's YAML tree and test-case shape, so their diagnostics look exactly
//! like the spec's own.

use super::read::{FromNode, MapReader, Reader};
use super::{strip_bom, Spanned, TestCase};
use crate::yaml::{self, Limits};
use mapc_diag::{Diagnostics, SourceFile};

/// A `*.test.yaml` file: `spec:` (optional) and `tests:`.
pub struct TestFile {
    pub file: SourceFile,
    /// The spec it tests, as written (relative to the test file).
    pub spec: Option<Spanned<String>>,
    pub cases: Vec<TestCase>,
    /// Problems reading the file (rendered against `file`).
    pub diagnostics: Diagnostics,
}

/// Reads a `*.test.yaml` file with the spec reader's YAML tree and test-case
/// shape, so its diagnostics look exactly like the spec's own.
pub fn parse_test_file(name: &str, text: &str) -> TestFile {
    let text = strip_bom(text);
    let file = SourceFile::new(name, text);
    let mut diagnostics = Diagnostics::new();
    let mut spec = None;
    let mut cases = Vec::new();
    if let Some(node) = yaml::parse(text, Limits::default(), &mut diagnostics) {
        let mut r = Reader {
            src: text,
            diags: &mut diagnostics,
        };
        if let Some(mut m) = MapReader::new(&node, "the test file", &mut r) {
            spec = m.opt::<Spanned<String>>("spec", &mut r);
            match m.get("tests") {
                Some(n) => cases = Vec::<TestCase>::from_node(n, &mut r).unwrap_or_default(),
                None => m.missing("tests", "a list of test cases", &mut r),
            }
            m.finish(&mut r);
        }
    }
    TestFile {
        file,
        spec,
        cases,
        diagnostics,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mapc_diag::Code;

    #[test]
    fn reads_test_files() {
        let t = parse_test_file(
            "x.test.yaml",
            "spec: a.mapc.yaml\ntests:\n  - name: one\n    input: {a: 1}\n    expect: skip\n",
        );
        assert!(t.diagnostics.is_empty());
        assert_eq!(t.spec.map(|s| s.value), Some("a.mapc.yaml".to_string()));
        assert_eq!(t.cases.len(), 1);
        let t = parse_test_file("x.test.yaml", "spec: a\ntets: []\n");
        assert!(t.diagnostics.iter().any(|d| d.code == Code::M0202));
        assert!(t.diagnostics.iter().any(|d| d.code == Code::M0201));
    }
}
