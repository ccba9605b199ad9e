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
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
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

    /// Overwrites the text inside `span` with `*` (byte for byte, so every
    /// other span stays valid), keeping surrounding quotes. Used so that a
    /// literal secret found in a spec is never printed in a report snippet.
    pub fn redact(&mut self, span: Span) {
        let end = span.end.min(self.text.len());
        let mut start = span.start.min(end);
        let mut stop = end;
        let bytes = self.text.as_bytes();
        if stop > start + 1
            && matches!(bytes[start], b'"' | b'\'')
            && bytes[stop - 1] == bytes[start]
        {
            start += 1;
            stop -= 1;
        }
        if !self.text.is_char_boundary(start) || !self.text.is_char_boundary(stop) {
            return;
        }
        let stars = "*".repeat(stop - start);
        self.text.replace_range(start..stop, &stars);
    }

    /// Byte offset of a 1-based line and character column.
    pub fn offset(&self, line: usize, col: usize) -> usize {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return self.text.len();
        };
        let rest = &self.text[start..];
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
        assert_eq!(f.text, "a: \"******\" # x\nb: **\n");
        assert_eq!(f.line_col(19), (2, 4));
    }
}
