//! Library code names diagnostic codes as `Code::M0202`, never as the string
//! `"M0202"`: a variant that does not exist does not compile, a string with a
//! typo did. The registry (`crates/diag/src/codes.rs`) is the one place the
//! strings are spelled out.
//!
//! Test code is left out: tests may compare a code with its text (`Code`
//! implements `PartialEq<&str>`). Test code is a `tests/` folder, a
//! `tests.rs` file (a `#[cfg(test)] mod tests;`), or an item under
//! `#[cfg(test)]`, which rustfmt lays out so that it ends at the first line
//! that closes it at its own indentation.

use std::path::{Path, PathBuf};

/// The file the code strings live in.
const REGISTRY: &str = "crates/diag/src/codes.rs";

/// Every `.rs` file under the `src` folders of the root crate and the
/// workspace crates, relative to the workspace root.
fn library_files(root: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![root.join("src")];
    let crates = std::fs::read_dir(root.join("crates")).expect("crates/ is readable");
    for c in crates {
        dirs.push(c.expect("crates/ entry").path().join("src"));
    }
    let mut files = Vec::new();
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries {
            let p = e.expect("directory entry").path();
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if p.is_dir() {
                if name != "tests" {
                    dirs.push(p);
                }
            } else if name.ends_with(".rs") && name != "tests.rs" {
                files.push(p.strip_prefix(root).expect("under the root").to_path_buf());
            }
        }
    }
    files.sort();
    files
}

/// Whether `line` holds a string literal that is exactly a code: `"M0202"`.
fn has_code_literal(line: &str) -> bool {
    let b = line.as_bytes();
    b.windows(7).any(|w| {
        w[0] == b'"'
            && matches!(w[1], b'M' | b'R')
            && w[2..6].iter().all(u8::is_ascii_digit)
            && w[6] == b'"'
    })
}

/// The 1-based numbers and text of the lines of `text` that spell a code
/// as a string, outside comments and `#[cfg(test)]` items.
fn code_literals(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    // While inside a `#[cfg(test)]` item: the line that ends it.
    let mut skip_until: Option<String> = None;
    // After `#[cfg(test)]`, before the first line of its item.
    let mut pending: Option<String> = None;
    for (i, line) in text.lines().enumerate() {
        if let Some(end) = &skip_until {
            if line == end {
                skip_until = None;
            }
            continue;
        }
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        if let Some(ind) = pending.take() {
            if trimmed.starts_with("#[") || trimmed.starts_with("//") {
                pending = Some(ind);
            } else if !trimmed.ends_with(';') {
                skip_until = Some(format!("{ind}}}"));
            }
            continue;
        }
        if trimmed.starts_with("#[cfg(test)]") {
            pending = Some(indent.to_string());
            continue;
        }
        if trimmed.starts_with("//") {
            continue;
        }
        if has_code_literal(line) {
            out.push((i + 1, line.trim()));
        }
    }
    out
}

#[test]
fn library_code_names_codes_by_their_variant() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = library_files(root);
    assert!(
        files
            .iter()
            .any(|f| f.ends_with("crates/engine/src/lib.rs")),
        "the walk finds the crates' sources"
    );
    let mut found = Vec::new();
    for f in files {
        if f == Path::new(REGISTRY) {
            continue;
        }
        let text = std::fs::read_to_string(root.join(&f)).expect("source is UTF-8");
        for (n, line) in code_literals(&text) {
            found.push(format!("{}:{n}: {line}", f.display()));
        }
    }
    assert!(
        found.is_empty(),
        "write codes as `mapc_diag::Code::...`, not as strings (the registry {REGISTRY} is the only place they are spelled):\n{}",
        found.join("\n")
    );
}

#[test]
fn a_code_literal_outside_tests_is_found() {
    let text = r#"
fn a() -> Diagnostic {
    // A comment may say "M0202".
    Diagnostic::new("M0202", span, "m")
}

#[cfg(test)]
mod tests {
    fn t() {
        assert_eq!(d.code, "M0202");
    }
}

#[cfg(test)]
use x::y;

fn b() {
    let c = ("R0014", "R014", "M02020");
}

impl X {
    #[cfg(test)]
    #[allow(dead_code)]
    fn only_in_tests() {
        let _ = "R0001";
    }
    fn c() -> &'static str {
        "R0001"
    }
}
"#;
    let got: Vec<usize> = code_literals(text).into_iter().map(|(n, _)| n).collect();
    assert_eq!(got, [4, 18, 28]);
}
