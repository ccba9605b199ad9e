//! Bounds on field paths, wherever a path is written: `from:`, `to:` and
//! the other path keys, paths in expressions, and member paths in filters.
//!
//! Real paths are short (a Dataverse logical name has at most 50
//! characters, a lookup chain a few steps), while a hostile one with tens of
//! thousands of segments made preview build gigabytes of per-prefix tables
//! and check spend seconds on target-path conflicts, both quadratic in the
//! number of segments. With these bounds every per-path cost is bounded by
//! a constant: [`MAX_PATH_SEGMENTS`] squared steps and
//! [`MAX_PATH_SEGMENTS`] × [`MAX_PATH_BYTES`] bytes at most.

use mapc_diag::Span;

/// Segments of one path (`customer.address.city` has 3): also the depth a
/// `to:` path nests a target record.
pub const MAX_PATH_SEGMENTS: usize = 64;

/// Bytes of one path's text, dots and backticks included.
pub const MAX_PATH_BYTES: usize = 1024;

/// How the message of a path-limit error starts (the spec reader gives
/// these their own code, M0306, whichever language the path is in).
pub const PATH_LIMIT_PREFIX: &str = "path too long: ";

/// Checks one path given as the spans of its segments (in any coordinates,
/// `text` being the string they index): where it breaks a limit, and why.
/// The span is the first segment past [`MAX_PATH_SEGMENTS`], or the first
/// character past [`MAX_PATH_BYTES`].
pub fn check_path(text: &str, segments: &[Span]) -> Option<(Span, String)> {
    let (first, last) = (segments.first()?, segments.last()?);
    let bytes = last.end.saturating_sub(first.start);
    if bytes > MAX_PATH_BYTES {
        let mut at = first.start + MAX_PATH_BYTES;
        while at > first.start && !text.is_char_boundary(at) {
            at -= 1;
        }
        let len = text
            .get(at..)
            .and_then(|r| r.chars().next())
            .map_or(0, char::len_utf8);
        return Some((
            Span::new(at, at + len),
            format!(
                "{PATH_LIMIT_PREFIX}{bytes} bytes, more than the {MAX_PATH_BYTES} a path may have"
            ),
        ));
    }
    if segments.len() > MAX_PATH_SEGMENTS {
        return Some((
            segments[MAX_PATH_SEGMENTS],
            format!(
                "{PATH_LIMIT_PREFIX}{} segments, more than the {MAX_PATH_SEGMENTS} a path may have",
                segments.len()
            ),
        ));
    }
    None
}

/// The help of a path-limit diagnostic.
pub const PATH_LIMIT_HELP: &str = "a field path has at most 64 segments and 1024 bytes; real Dataverse and Business Central paths are far shorter, so this is most likely generated or pasted text";

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(text: &str) -> Vec<Span> {
        let mut out = Vec::new();
        let mut at = 0;
        for s in text.split('.') {
            out.push(Span::new(at, at + s.len()));
            at += s.len() + 1;
        }
        out
    }

    #[test]
    fn limits_point_at_the_first_thing_past_them() {
        let ok = vec!["a"; 64].join(".");
        assert_eq!(check_path(&ok, &spans(&ok)), None);
        let long = vec!["a"; 65].join(".");
        let (span, msg) = check_path(&long, &spans(&long)).unwrap();
        assert_eq!(span, Span::new(128, 129));
        assert_eq!(
            msg,
            "path too long: 65 segments, more than the 64 a path may have"
        );
        let wide = format!("a.{}", "ü".repeat(600));
        let (span, msg) = check_path(&wide, &spans(&wide)).unwrap();
        assert_eq!(span, Span::new(1024, 1026));
        assert!(msg.starts_with("path too long: 1202 bytes"), "{msg}");
    }
}
