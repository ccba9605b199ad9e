//! The spec format: AST types and the reader that builds them from YAML.
mod ast;
pub mod read;
mod schema;
mod structs;
mod test_file;

pub use ast::*;
pub use schema::json_schema;
pub use structs::{AUTH_KEYS, TOP_KEYS};
pub use test_file::{parse_test_file, TestFile};

use crate::yaml::{self, Limits};
use mapc_diag::{Code, Diagnostic, Diagnostics, SourceFile, Span};

/// A spec file read into an AST, with everything found on the way.
pub struct Parsed {
    pub file: SourceFile,
    /// `None` when the file could not be read as a spec at all.
    pub spec: Option<Spec>,
    pub diagnostics: Diagnostics,
}

/// Reads spec bytes (any encoding problem is a diagnostic, not a panic).
pub fn parse_bytes(name: &str, bytes: &[u8]) -> Parsed {
    let bom = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let bytes = &bytes[bom..];
    match std::str::from_utf8(bytes) {
        Ok(text) => parse_str(name, text),
        Err(e) => {
            let at = e.valid_up_to();
            let text = String::from_utf8_lossy(bytes).into_owned();
            let file = SourceFile::new(name, text);
            let mut diagnostics = Diagnostics::new();
            let (line, col) = file.line_col(at);
            diagnostics.push(
                Diagnostic::new(
                    Code::M0107,
                    Span::new(at, at + 1),
                    format!(
                        "the file is not valid UTF-8 (byte {}, line {line}, column {col})",
                        at + bom
                    ),
                )
                .label("invalid byte")
                .help("save the spec as UTF-8"),
            );
            Parsed {
                file,
                spec: None,
                diagnostics,
            }
        }
    }
}

/// Reads spec text. A leading byte order mark (which Windows editors like to
/// write) is not part of the text: it is dropped before anything else, so
/// that every column of the first line is the one an editor shows.
pub fn parse_str(name: &str, text: &str) -> Parsed {
    let text = strip_bom(text);
    let file = SourceFile::new(name, text);
    let mut diagnostics = Diagnostics::new();
    let spec = yaml::parse(text, Limits::default(), &mut diagnostics).and_then(|node| {
        let mut r = read::Reader {
            src: text,
            diags: &mut diagnostics,
        };
        structs::spec(&node, &mut r)
    });
    Parsed {
        file,
        spec,
        diagnostics,
    }
}

/// `text` without a leading UTF-8 byte order mark.
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}
