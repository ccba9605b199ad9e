//! The text a human report shows: the file, with very long lines cut to
//! windows around the labelled places.
//!
//! miette lays out a snippet line by line and pads underlines with
//! `format!("{:width$}")`, whose width must fit in a `u16`: a label past
//! column 65,535 (a one-line spec, a long expression) would panic inside it,
//! and a 100,000-character line is unreadable anyway. So a line longer than
//! [`LONG_LINE`] characters is shown as windows around the starts and ends of
//! the labels on it, joined by `…`. Line numbers are unchanged, and the
//! header's `line:column` is the exact one of the original text (columns in
//! characters, as in every other format).

use crate::{SourceFile, Span};
use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

/// Lines up to this many characters are shown whole.
pub const LONG_LINE: usize = 200;
/// Characters shown either side of a label's start and end on a long line.
const CONTEXT: usize = 40;
/// Characters of a label shown from its start on a long line.
const LABEL_MAX: usize = 80;
/// What stands for the characters left out.
const ELLIPSIS: &str = "…";

/// The shown text and how its offsets relate to the file's.
pub struct View<'f> {
    file: &'f SourceFile,
    text: String,
    /// `(view offset, file offset, length)` of every verbatim piece, in
    /// order; between two pieces the view has [`ELLIPSIS`].
    pieces: Vec<(usize, usize, usize)>,
}

impl<'f> View<'f> {
    /// The view of `file` for a report whose labels are `labels` (snapped
    /// to character boundaries).
    pub fn new(file: &'f SourceFile, labels: &[Span]) -> View<'f> {
        // miette starts a new line at a lone `\r` in one place and not in
        // another; as the YAML parser and `SourceFile` do, show it as a line
        // break (same length, so offsets do not move).
        let src: std::borrow::Cow<'_, str> = if has_lone_cr(&file.text) {
            let b = file.text.as_bytes();
            let norm: String = file
                .text
                .char_indices()
                .map(|(i, c)| {
                    if c == '\r' && b.get(i + 1) != Some(&b'\n') {
                        '\n'
                    } else {
                        c
                    }
                })
                .collect();
            norm.into()
        } else {
            file.text.as_str().into()
        };
        let mut v = View {
            file,
            text: String::with_capacity(src.len().min(1 << 16)),
            pieces: Vec::new(),
        };
        let mut line_start = 0;
        for line in src.split_inclusive('\n') {
            let content_len = line.trim_end_matches(['\n', '\r']).len();
            let content = &line[..content_len];
            if content.len() <= LONG_LINE || content.chars().count() <= LONG_LINE {
                v.copy(&src, line_start, line.len());
            } else {
                let windows = windows(content, line_start, labels);
                let mut at = 0;
                for (s, e) in windows {
                    if s > at {
                        v.text.push_str(ELLIPSIS);
                    }
                    v.copy(&src, line_start + s, e - s);
                    at = e;
                }
                if at < content_len {
                    v.text.push_str(ELLIPSIS);
                }
                v.copy(&src, line_start + content_len, line.len() - content_len);
            }
            line_start += line.len();
        }
        v
    }

    /// Copies `len` bytes of the file from `from`, extending the last piece
    /// when it continues it.
    fn copy(&mut self, src: &str, from: usize, len: usize) {
        if len == 0 {
            return;
        }
        let at = self.text.len();
        self.text.push_str(&src[from..from + len]);
        if let Some(last) = self.pieces.last_mut() {
            if last.0 + last.2 == at && last.1 + last.2 == from {
                last.2 += len;
                return;
            }
        }
        self.pieces.push((at, from, len));
    }

    /// The view offset of file offset `off`. An offset that was left out
    /// maps to the `…` standing for it: to its start for a span's start,
    /// to its end for a span's end.
    pub fn to_view(&self, off: usize, is_end: bool) -> usize {
        let i = self.pieces.partition_point(|p| p.1 <= off);
        let Some(&(vs, fs, len)) = i.checked_sub(1).and_then(|i| self.pieces.get(i)) else {
            return 0;
        };
        if off <= fs + len {
            return vs + (off - fs);
        }
        if is_end {
            self.pieces.get(i).map_or(self.text.len(), |next| next.0)
        } else {
            vs + len
        }
    }

    /// The file offset of view offset `off`.
    pub fn to_file(&self, off: usize) -> usize {
        let i = self.pieces.partition_point(|p| p.0 <= off);
        let Some(&(vs, fs, len)) = i.checked_sub(1).and_then(|i| self.pieces.get(i)) else {
            return 0;
        };
        fs + (off - vs).min(len)
    }

    /// A file span as a miette span of the view.
    pub fn span(&self, s: Span) -> (usize, usize) {
        let start = self.to_view(s.start, false);
        let end = self.to_view(s.end, true).max(start);
        (start, end - start)
    }
}

fn has_lone_cr(text: &str) -> bool {
    let b = text.as_bytes();
    text.match_indices('\r')
        .any(|(i, _)| b.get(i + 1) != Some(&b'\n'))
}

/// Byte offset `n` characters before `at` in `s` (or 0).
fn back(s: &str, at: usize, n: usize) -> usize {
    if n == 0 {
        return at;
    }
    s[..at]
        .char_indices()
        .rev()
        .nth(n - 1)
        .map_or(0, |(i, _)| i)
}

/// Byte offset `n` characters after `at` in `s` (or its end).
fn fwd(s: &str, at: usize, n: usize) -> usize {
    s[at..]
        .char_indices()
        .nth(n)
        .map_or(s.len(), |(i, _)| at + i)
}

/// The byte ranges of a long line `content` (starting at file offset
/// `line_start`) to show: around the starts and ends of the labels on it,
/// merged, in order; the line's beginning when no label is on it.
fn windows(content: &str, line_start: usize, labels: &[Span]) -> Vec<(usize, usize)> {
    let line_end = line_start + content.len();
    let on_line = |o: usize| (line_start..=line_end).contains(&o);
    let mut w: Vec<(usize, usize)> = Vec::new();
    for l in labels {
        let start_here = on_line(l.start);
        let end_here = on_line(l.end);
        if start_here {
            let s = l.start - line_start;
            let shown_end = if end_here {
                (l.end - line_start).min(fwd(content, s, LABEL_MAX))
            } else {
                fwd(content, s, LABEL_MAX)
            };
            w.push((back(content, s, CONTEXT), fwd(content, shown_end, CONTEXT)));
        }
        if end_here {
            let e = l.end - line_start;
            w.push((back(content, e, CONTEXT), fwd(content, e, CONTEXT)));
        }
        if !start_here && !end_here && l.start < line_start && l.end > line_end {
            // A label running through the whole line.
            w.push((0, fwd(content, 0, LONG_LINE)));
        }
    }
    if w.is_empty() {
        w.push((0, fwd(content, 0, LONG_LINE)));
    }
    w.sort_unstable();
    // Show the line's beginning (its indentation and key) when it is near.
    if let Some(first) = w.first_mut() {
        if content[..first.0].chars().nth(2 * CONTEXT).is_none() {
            first.0 = 0;
        }
    }
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(w.len());
    for (s, e) in w {
        match merged.last_mut() {
            // Windows that touch or almost touch become one.
            Some(last) if s <= fwd(content, last.1, 4) => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
}

impl SourceCode for View<'_> {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self
            .text
            .read_span(span, context_lines_before, context_lines_after)?;
        // miette asks for the primary label alone to print `[file:line:col]`:
        // give the file's own position (columns in characters).
        let (line, column) = if context_lines_before == 0 && context_lines_after == 0 {
            let (l, c) = self.file.line_col(self.to_file(span.offset()));
            (l - 1, c - 1)
        } else {
            (inner.line(), inner.column())
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.file.name.clone(),
            inner.data(),
            *inner.span(),
            line,
            column,
            inner.line_count(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_lines_are_kept_whole() {
        let f = SourceFile::new("a.yaml", "a: 1\nb: ü\n");
        let v = View::new(&f, &[Span::new(8, 10)]);
        assert_eq!(v.text, f.text);
        assert_eq!(v.span(Span::new(8, 10)), (8, 2));
    }

    #[test]
    fn a_long_line_is_cut_around_its_labels() {
        let line = format!("k: \"{}\" x: {}", "a".repeat(70_000), "b".repeat(300));
        let text = format!("first\n{line}\nlast\n");
        let f = SourceFile::new("a.yaml", text.as_str());
        let at = text.find(" x:").unwrap() + 1;
        let v = View::new(&f, &[Span::new(at, at + 1)]);
        let shown: Vec<&str> = v.text.lines().collect();
        assert_eq!(shown[0], "first");
        assert_eq!(shown[2], "last");
        assert!(shown[1].chars().count() < 200, "{}", shown[1]);
        assert!(shown[1].starts_with("…"), "{}", shown[1]);
        assert!(shown[1].ends_with("…"), "{}", shown[1]);
        let (s, len) = v.span(Span::new(at, at + 1));
        assert_eq!(&v.text[s..s + len], "x");
        assert_eq!(v.to_file(s), at);
    }

    #[test]
    fn a_long_label_shows_its_start_and_its_end() {
        let text = format!("k: {}y\n", "z".repeat(1000));
        let f = SourceFile::new("a.yaml", text.as_str());
        let v = View::new(&f, &[Span::new(3, 1004)]);
        assert_eq!(
            v.text.chars().count(),
            3 + LABEL_MAX + CONTEXT + 1 + CONTEXT + 1
        );
        let (s, len) = v.span(Span::new(3, 1004));
        assert_eq!(s, 3);
        let shown = &v.text[s..s + len];
        assert!(shown.starts_with('z') && shown.ends_with("zy"), "{shown}");
        assert_eq!(shown.matches('…').count(), 1, "{shown}");
    }

    #[test]
    fn a_label_that_starts_past_the_window_maps_into_it() {
        // Two labels far apart on one line: both shown, the middle left out.
        let text = format!("a: {} b: {}\n", "x".repeat(500), "y".repeat(500));
        let f = SourceFile::new("a.yaml", text.as_str());
        let b = text.find(" b:").unwrap() + 1;
        let v = View::new(&f, &[Span::new(0, 1), Span::new(b, b + 1)]);
        assert_eq!(v.text.matches('…').count(), 2, "{}", v.text);
        let (s, _) = v.span(Span::new(b, b + 1));
        assert_eq!(&v.text[s..s + 1], "b");
        // An offset that was left out maps to the `…` standing for it.
        let (s, len) = v.span(Span::new(300, 301));
        assert_eq!(&v.text[s..s + len], "…");
    }
}
