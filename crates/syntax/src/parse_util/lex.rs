//! The skeleton of the two error lexers. Each grammar reads text a second
//! time, as a person reads it, to explain a pest error and to bound bracket
//! nesting before pest recurses into it. The loop, the symbols, the tails
//! of quoted and run-on tokens and the nesting count are the same for both;
//! what a token is (`@2026-01-02` in an expression, `$it` in a filter) is
//! each grammar's own [`Lexicon`].

/// One token of an error lexer; `K` is the grammar's kind of token.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tok<K> {
    pub kind: K,
    pub start: usize,
    pub end: usize,
}

impl<K> Tok<K> {
    pub fn span(&self) -> mapc_diag::Span {
        mapc_diag::Span::new(self.start, self.end)
    }
}

/// The text of `t`; empty rather than a panic should a token ever not fit.
pub(crate) fn tok_text<'t, K>(text: &'t str, t: &Tok<K>) -> &'t str {
    text.get(t.start..t.end).unwrap_or("")
}

/// What one grammar's error lexer reads its own way, implemented by its
/// kind of token. The two lexicons differ on purpose: the languages quote,
/// escape and spell names, numbers and operators differently, and `$filter`
/// has JSON objects, so `{` nests there and not in an expression.
pub(crate) trait Lexicon: Copy + PartialEq {
    /// The kind of everything [`Lexicon::scan`] leaves alone: one
    /// character, or one of [`Lexicon::PAIRS`].
    const SYM: Self;
    /// Two-character symbols read as one token (`<=`, `&&`, ...).
    const PAIRS: &'static [&'static str];
    /// The symbols that open and close one level of nesting, in the same
    /// order (`CLOSE[i]` closes `OPEN[i]`).
    const OPEN: &'static [&'static str];
    const CLOSE: &'static [&'static str];
    /// The token that starts at byte `i` (never whitespace) and where it
    /// ends (after `i`); `None` for a symbol.
    fn scan(text: &str, i: usize) -> Option<(Self, usize)>;
}

/// Reads `text` into tokens. Never fails: whatever a lexicon does not
/// know is a symbol, and no token ends inside a character.
pub(crate) fn lex<K: Lexicon>(text: &str) -> Vec<Tok<K>> {
    let b = text.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let (kind, to) =
            K::scan(text, i).unwrap_or_else(|| (K::SYM, symbol_end(text, i, K::PAIRS)));
        // Multi-byte characters: never end inside one.
        let mut end = to.min(b.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        i = end;
        toks.push(Tok { kind, start, end });
    }
    toks
}

/// The end of the symbol at `i`: one of `pairs`, or one whole (possibly
/// multi-byte) character.
fn symbol_end(text: &str, i: usize, pairs: &[&str]) -> usize {
    if text.get(i..i + 2).is_some_and(|two| pairs.contains(&two)) {
        return i + 2;
    }
    i + text
        .get(i..)
        .and_then(|r| r.chars().next())
        .map_or(1, char::len_utf8)
}

/// The first bracket nested deeper than `max`. Run before pest, so that
/// pest never recurses that deep; brackets that do not match still count
/// (a closing one only ever lowers the depth), as the explainers count them.
pub(crate) fn check_nesting<K: Lexicon>(
    text: &str,
    toks: &[Tok<K>],
    max: usize,
) -> Result<(), Tok<K>> {
    let mut depth = 0usize;
    for t in toks.iter().filter(|t| t.kind == K::SYM) {
        let s = tok_text(text, t);
        if K::OPEN.contains(&s) {
            depth += 1;
        } else if K::CLOSE.contains(&s) {
            depth = depth.saturating_sub(1);
        }
        if depth > max {
            return Err(*t);
        }
    }
    Ok(())
}

/// The brackets still open at `pos`, innermost last, and the last token
/// that ends by `pos`. `opened` says what a symbol opens, if anything (a
/// call or a plain `(` depends on the token before it); any closing symbol
/// closes the innermost bracket.
pub(crate) fn open_at<'t, K: Lexicon, O>(
    text: &str,
    toks: &'t [Tok<K>],
    pos: usize,
    mut opened: impl FnMut(Option<&Tok<K>>, &Tok<K>) -> Option<O>,
) -> (Vec<O>, Option<&'t Tok<K>>) {
    let mut open = Vec::new();
    let mut prev: Option<&Tok<K>> = None;
    for t in toks.iter().take_while(|t| t.end <= pos) {
        if t.kind == K::SYM {
            if K::CLOSE.contains(&tok_text(text, t)) {
                open.pop();
            } else if let Some(o) = opened(prev, t) {
                open.push(o);
            }
        }
        prev = Some(t);
    }
    (open, prev)
}

/// How a quoted token escapes its quote, so that an escaped quote does
/// not end it.
#[derive(Clone, Copy)]
pub(crate) struct Escapes {
    /// `\x` escapes any byte, the quote included.
    backslash: bool,
    /// The quote written twice stands for itself (`'it''s'`).
    doubled: bool,
}

impl Escapes {
    pub const NONE: Escapes = Escapes {
        backslash: false,
        doubled: false,
    };
    pub const BACKSLASH: Escapes = Escapes {
        backslash: true,
        doubled: false,
    };
    pub const DOUBLED: Escapes = Escapes {
        backslash: false,
        doubled: true,
    };
    pub const BOTH: Escapes = Escapes {
        backslash: true,
        doubled: true,
    };
}

/// The end of a quoted token whose body starts at `i` (after the opening
/// `quote`), and whether it is closed; an unclosed one runs to the end of
/// the text. The end may pass the text by one after a final `\`.
pub(crate) fn quoted_tail(b: &[u8], mut i: usize, quote: u8, esc: Escapes) -> (usize, bool) {
    while i < b.len() {
        if esc.backslash && b[i] == b'\\' {
            i += 2;
        } else if b[i] == quote {
            if esc.doubled && b.get(i + 1) == Some(&quote) {
                i += 2;
            } else {
                return (i + 1, true);
            }
        } else {
            i += 1;
        }
    }
    (i, false)
}

/// The end of the run of bytes from `i` that `more` accepts.
pub(crate) fn run_tail(b: &[u8], mut i: usize, more: impl Fn(u8) -> bool) -> usize {
    while i < b.len() && more(b[i]) {
        i += 1;
    }
    i
}

/// The symbol that `close` closes, if it is a closing one.
pub(crate) fn opener<K: Lexicon>(close: &str) -> Option<&'static str> {
    let i = K::CLOSE.iter().position(|c| *c == close)?;
    K::OPEN.get(i).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_tails_stop_at_the_quote_their_escapes_leave() {
        let tail = |t: &str, esc| quoted_tail(t.as_bytes(), 1, t.as_bytes()[0], esc);
        assert_eq!(tail("'it''s' x", Escapes::DOUBLED), (7, true));
        assert_eq!(tail("'it''s' x", Escapes::NONE), (4, true));
        assert_eq!(tail(r#""a\"b" x"#, Escapes::BACKSLASH), (6, true));
        assert_eq!(tail(r#""a\"b" x"#, Escapes::DOUBLED), (4, true));
        // Unclosed: to the end, or one past it after a final backslash.
        assert_eq!(tail("'ab", Escapes::BOTH), (3, false));
        assert_eq!(tail("'a\\", Escapes::BOTH), (4, false));
    }
}
