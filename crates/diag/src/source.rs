/// A byte range into one source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span {
            start,
            end: end.max(start),
        }
    }
    pub fn len(&self) -> usize {
        self.end - self.start
    }
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
    /// A sub-range, given as offsets relative to this span's start.
    pub fn sub(&self, start: usize, end: usize) -> Span {
        Span::new(self.start + start, self.start + end)
    }
    pub fn join(&self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// The text of one spec file and an index of its line starts, so spans can be
/// turned into the 1-based line and column numbers users see.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let mut line_starts = vec![0];
        let b = text.as_bytes();
        // `\n`, `\r\n` and a lone `\r` end a line, as for the YAML parser.
        line_starts.extend(
            b.iter()
                .enumerate()
                .filter(|&(i, &c)| c == b'\n' || (c == b'\r' && b.get(i + 1) != Some(&b'\n')))
                .map(|(i, _)| i + 1),
        );
        SourceFile {
            name: name.into(),
            text,
            line_starts,
        }
    }

    /// 1-based line and column (column counted in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let mut end = offset;
        while end > start && !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let col = self.text[start..end].chars().count() + 1;
        (line + 1, col)
    }

    /// `span` within the text and on character boundaries: the start moved
    /// back and the end moved forward to the nearest boundary. Diagnostics
    /// may carry "one byte at" spans that end inside a multi-byte character;
    /// every renderer snaps them first.
    pub fn snap(&self, span: Span) -> Span {
        let len = self.text.len();
        let mut start = span.start.min(len);
        while !self.text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = span.end.min(len).max(start);
        while !self.text.is_char_boundary(end) {
            end += 1;
        }
        Span::new(start, end)
    }

    /// Overwrites the text inside `span` with `*`, keeping surrounding
    /// quotes. Every character is replaced by one character of the same
    /// UTF-8 length (`*`, or `×`, `∗`, `🞱` for 2, 3 and 4 bytes), so every
    /// other span stays valid and every column stays the same. Used so that
    /// a literal secret found in a spec is never printed in a report snippet.
    pub fn redact(&mut self, span: Span) {
        let span = self.snap(span);
        let (mut start, mut stop) = (span.start, span.end);
        let bytes = self.text.as_bytes();
        if stop > start + 1
            && matches!(bytes[start], b'"' | b'\'')
            && bytes[stop - 1] == bytes[start]
        {
            start += 1;
            stop -= 1;
        }
        let masked: String = self.text[start..stop]
            .chars()
            .map(|c| match c.len_utf8() {
                1 => '*',
                2 => '×',
                3 => '∗',
                _ => '🞱',
            })
            .collect();
        self.text.replace_range(start..stop, &masked);
    }

    /// Byte offset of a 1-based line and character column.
    pub fn offset(&self, line: usize, col: usize) -> usize {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return self.text.len();
        };
        let rest = self.text.get(start..).unwrap_or("");
        rest.char_indices()
            .nth(col.saturating_sub(1))
            .map(|(i, _)| start + i)
            .unwrap_or(self.text.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_keeps_offsets_and_quotes() {
        let mut f = SourceFile::new("a.yaml", "a: \"s3cr3t\" # x\nb: ü\n");
        f.redact(Span::new(3, 11));
        assert_eq!(f.text, "a: \"******\" # x\nb: ü\n");
        f.redact(Span::new(19, 21));
        assert_eq!(f.text, "a: \"******\" # x\nb: ×\n");
        assert_eq!(f.line_col(19), (2, 4));
    }

    #[test]
    fn redact_keeps_columns_of_non_ascii_secrets() {
        let text = "auth: { client_secret: 'Pä€🔑', tenant: x }\n";
        let mut f = SourceFile::new("a.yaml", text);
        let at = text.find("tenant").unwrap();
        let before = f.line_col(at);
        let s = text.find('\'').unwrap();
        let e = text[s + 1..].find('\'').unwrap() + s + 2;
        f.redact(Span::new(s, e));
        assert_eq!(f.text, "auth: { client_secret: '*×∗🞱', tenant: x }\n");
        assert_eq!(f.line_col(at), before);
        // A span that cuts a character is widened to whole characters.
        let mut g = SourceFile::new("b.yaml", "k: ü\n");
        g.redact(Span::new(4, 5));
        assert_eq!(g.text, "k: ×\n");
    }

    #[test]
    fn snap_moves_spans_to_char_boundaries() {
        let f = SourceFile::new("a.yaml", "\u{feff}a: ü\n");
        assert_eq!(f.snap(Span::new(0, 1)), Span::new(0, 3));
        assert_eq!(f.snap(Span::new(7, 7)), Span::new(6, 8));
        assert_eq!(f.snap(Span::new(6, 7)), Span::new(6, 8));
        assert_eq!(f.snap(Span::new(50, 60)), Span::new(9, 9));
    }

    #[test]
    fn a_lone_carriage_return_ends_a_line() {
        let f = SourceFile::new("a.yaml", "a: 1\rb: 2\r\nc: 3\n");
        assert_eq!(f.line_col(5), (2, 1));
        assert_eq!(f.line_col(11), (3, 1));
    }
}
