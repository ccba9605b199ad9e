//! Byte-level JSON scanning: strings, numbers and whole values skipped with
//! full validation but without building anything.
//!
//! Skipping still validates (balanced brackets, string escapes, raw control
//! characters, number syntax, literals) so a record that is not valid JSON is
//! rejected with R0005 even when the broken part is a key the mapping never
//! reads: "invalid JSON" must not depend on which keys a mapping happens to use.

use mapc_diag::Code;

/// A syntax error at a byte offset of the record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub pos: usize,
    pub msg: &'static str,
    /// R0005 for syntax, R0014 for nesting deeper than [`MAX_DEPTH`].
    pub code: Code,
}

/// Deepest nesting accepted in one record. Deeper input is a per-record
/// error (R0014) instead of a stack overflow.
pub const MAX_DEPTH: usize = 128;

#[inline]
pub fn err(pos: usize, msg: &'static str) -> SyntaxError {
    SyntaxError {
        pos,
        msg,
        code: Code::R0005,
    }
}

#[inline]
pub fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() {
        match b[i] {
            b' ' | b'\n' | b'\r' | b'\t' => i += 1,
            _ => break,
        }
    }
    i
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Bit mask (high bit of each byte) of the bytes in `x` that are `"`, `\`
/// or below 0x20. The lowest set bit is exact; higher ones may be spurious,
/// so only the first match is used.
#[inline]
fn special_mask(x: u64) -> u64 {
    let q = x ^ (LO * u64::from(b'"'));
    let bs = x ^ (LO * u64::from(b'\\'));
    let has_q = q.wrapping_sub(LO) & !q;
    let has_bs = bs.wrapping_sub(LO) & !bs;
    let ctrl = x.wrapping_sub(LO * 0x20) & !x;
    (has_q | has_bs | ctrl) & HI
}

/// Index of the first `"`, `\` or control byte at or after `i`, or `b.len()`.
#[inline]
pub fn find_special(b: &[u8], mut i: usize) -> usize {
    while i + 8 <= b.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[i..i + 8]);
        let m = special_mask(u64::from_le_bytes(w));
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < b.len() {
        let c = b[i];
        if c == b'"' || c == b'\\' || c < 0x20 {
            return i;
        }
        i += 1;
    }
    i
}

/// Scans a string body starting just after its opening quote. Returns the
/// index of the closing quote and whether an escape occurred.
#[inline]
pub fn scan_string(b: &[u8], start: usize) -> Result<(usize, bool), SyntaxError> {
    let mut i = start;
    let mut escaped = false;
    loop {
        i = find_special(b, i);
        match b.get(i) {
            None => return Err(err(start.saturating_sub(1), "unterminated string")),
            Some(b'"') => return Ok((i, escaped)),
            Some(b'\\') => {
                escaped = true;
                match b.get(i + 1) {
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => i += 2,
                    Some(b'u') => {
                        let cp = u_escape(b, i)?;
                        if (0xD800..0xDC00).contains(&cp) {
                            // A high surrogate needs a low one right after it,
                            // as when the string is decoded.
                            if b.get(i + 6..i + 8) != Some(b"\\u") {
                                return Err(err(i, "unpaired surrogate in \\u escape"));
                            }
                            if !(0xDC00..0xE000).contains(&u_escape(b, i + 6)?) {
                                return Err(err(i, "unpaired surrogate in \\u escape"));
                            }
                            i += 12;
                        } else if (0xDC00..0xE000).contains(&cp) {
                            return Err(err(i, "unpaired surrogate in \\u escape"));
                        } else {
                            i += 6;
                        }
                    }
                    _ => return Err(err(i, "invalid escape in string")),
                }
            }
            Some(_) => return Err(err(i, "control character in string (must be escaped)")),
        }
    }
}

/// The code unit of the `\\uXXXX` escape whose backslash is at `i`.
#[inline]
fn u_escape(b: &[u8], i: usize) -> Result<u32, SyntaxError> {
    let hex = b
        .get(i + 2..i + 6)
        .ok_or_else(|| err(i, "truncated \\u escape"))?;
    if !hex.iter().all(u8::is_ascii_hexdigit) {
        return Err(err(i, "invalid \\u escape"));
    }
    Ok(hex4(hex))
}

fn hex4(h: &[u8]) -> u32 {
    h.iter().fold(0u32, |acc, &c| {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => c - b'A' + 10,
        };
        acc * 16 + u32::from(d)
    })
}

/// Decodes the escapes of a string body that [`scan_string`] validated.
/// `base` is the body's offset in the record, for error positions.
pub fn unescape(raw: &str, base: usize) -> Result<String, SyntaxError> {
    let b = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < b.len() {
        let next = memchr::memchr(b'\\', &b[i..]).map_or(b.len(), |k| i + k);
        out.push_str(&raw[i..next]);
        if next >= b.len() {
            break;
        }
        i = next;
        let c = b.get(i + 1).copied().unwrap_or(b'\\');
        match c {
            b'"' => out.push('"'),
            b'\\' => out.push('\\'),
            b'/' => out.push('/'),
            b'b' => out.push('\u{8}'),
            b'f' => out.push('\u{c}'),
            b'n' => out.push('\n'),
            b'r' => out.push('\r'),
            b't' => out.push('\t'),
            b'u' => {
                let hi = b
                    .get(i + 2..i + 6)
                    .map(hex4)
                    .ok_or_else(|| err(base + i, "truncated \\u escape"))?;
                if (0xD800..0xDC00).contains(&hi) {
                    let lo = match (b.get(i + 6), b.get(i + 7), b.get(i + 8..i + 12)) {
                        (Some(b'\\'), Some(b'u'), Some(h)) => hex4(h),
                        _ => return Err(err(base + i, "unpaired surrogate in \\u escape")),
                    };
                    if !(0xDC00..0xE000).contains(&lo) {
                        return Err(err(base + i, "unpaired surrogate in \\u escape"));
                    }
                    let cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                    out.push(
                        char::from_u32(cp).ok_or_else(|| err(base + i, "invalid \\u escape"))?,
                    );
                    i += 12;
                    continue;
                }
                out.push(
                    char::from_u32(hi)
                        .ok_or_else(|| err(base + i, "unpaired surrogate in \\u escape"))?,
                );
                i += 6;
                continue;
            }
            _ => return Err(err(base + i, "invalid escape in string")),
        }
        i += 2;
    }
    Ok(out)
}

/// Scans a JSON number starting at `i`; returns the index after it.
#[inline]
pub fn scan_number(b: &[u8], start: usize) -> Result<usize, SyntaxError> {
    let mut i = start;
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            i += 1;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
        }
        _ => return Err(err(start, "invalid number")),
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        let s = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == s {
            return Err(err(i, "invalid number: digits expected after `.`"));
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let s = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == s {
            return Err(err(i, "invalid number: digits expected in exponent"));
        }
    }
    // A number must end at a delimiter: `12abc` is not a number followed by junk we ignore.
    if let Some(&c) = b.get(i) {
        if c.is_ascii_alphanumeric() || c == b'.' || c == b'-' || c == b'+' {
            return Err(err(i, "invalid number"));
        }
    }
    Ok(i)
}

#[inline]
pub fn scan_literal(b: &[u8], i: usize, lit: &'static [u8]) -> Result<usize, SyntaxError> {
    if b.get(i..i + lit.len()) == Some(lit) {
        let end = i + lit.len();
        if b.get(end).is_some_and(|c| c.is_ascii_alphanumeric()) {
            return Err(err(end, "invalid literal"));
        }
        Ok(end)
    } else {
        Err(err(i, "invalid literal (expected true, false or null)"))
    }
}

/// Skips one complete value starting at `i` (no leading whitespace) and
/// returns the index after it. `depth` is the nesting depth of the value's
/// container, so the whole record shares one depth budget.
pub fn skip_value(b: &[u8], i: usize, depth: usize) -> Result<usize, SyntaxError> {
    match b.get(i) {
        Some(b'"') => scan_string(b, i + 1).map(|(e, _)| e + 1),
        Some(b'{') | Some(b'[') => skip_container(b, i, depth),
        Some(b't') => scan_literal(b, i, b"true"),
        Some(b'f') => scan_literal(b, i, b"false"),
        Some(b'n') => scan_literal(b, i, b"null"),
        Some(b'-' | b'0'..=b'9') => scan_number(b, i),
        Some(_) => Err(err(i, "unexpected character, expected a value")),
        None => Err(err(i, "unexpected end of record, expected a value")),
    }
}

/// Iterative skip of an object or array (no recursion, so hostile nesting
/// cannot overflow the stack; the depth is still bounded by [`MAX_DEPTH`]).
fn skip_container(b: &[u8], start: usize, depth: usize) -> Result<usize, SyntaxError> {
    #[derive(Clone, Copy)]
    enum St {
        /// At an opening bracket.
        Open,
        /// At the start of an element of the innermost container.
        Elem,
        /// After an element of the innermost container.
        After,
        /// The innermost container's closing bracket was consumed.
        Closed,
    }
    // One bit per open container: 1 = object, 0 = array (MAX_DEPTH <= 128).
    let mut stack: u128 = 0;
    let mut level: usize = 0;
    let mut i = start;
    let mut st = St::Open;
    loop {
        match st {
            St::Open => {
                if depth + level + 1 > MAX_DEPTH {
                    return Err(SyntaxError {
                        pos: i,
                        msg: "nesting deeper than 128 levels",
                        code: Code::R0014,
                    });
                }
                let is_obj = b[i] == b'{';
                stack = (stack << 1) | u128::from(is_obj);
                level += 1;
                i = skip_ws(b, i + 1);
                let close = if is_obj { b'}' } else { b']' };
                if b.get(i) == Some(&close) {
                    i += 1;
                    st = St::Closed;
                } else {
                    st = St::Elem;
                }
            }
            St::Elem => {
                if stack & 1 == 1 {
                    if b.get(i) != Some(&b'"') {
                        return Err(err(i, "expected a string key"));
                    }
                    let (e, _) = scan_string(b, i + 1)?;
                    i = skip_ws(b, e + 1);
                    if b.get(i) != Some(&b':') {
                        return Err(err(i, "expected `:` after the key"));
                    }
                    i = skip_ws(b, i + 1);
                }
                match b.get(i) {
                    Some(b'{') | Some(b'[') => st = St::Open,
                    _ => {
                        i = skip_value(b, i, MAX_DEPTH)?;
                        st = St::After;
                    }
                }
            }
            St::After => {
                i = skip_ws(b, i);
                let is_obj = stack & 1 == 1;
                let close = if is_obj { b'}' } else { b']' };
                match b.get(i) {
                    Some(b',') => {
                        i = skip_ws(b, i + 1);
                        st = St::Elem;
                    }
                    Some(&c) if c == close => {
                        i += 1;
                        st = St::Closed;
                    }
                    _ => {
                        return Err(err(
                            i,
                            if is_obj {
                                "expected `,` or `}`"
                            } else {
                                "expected `,` or `]`"
                            },
                        ))
                    }
                }
            }
            St::Closed => {
                level -= 1;
                stack >>= 1;
                if level == 0 {
                    return Ok(i);
                }
                st = St::After;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skip(s: &str) -> Result<usize, SyntaxError> {
        skip_value(s.as_bytes(), 0, 0)
    }

    #[test]
    fn skips_valid_values() {
        for s in [
            r#"{}"#,
            r#"[]"#,
            r#"{"a":1,"b":[1,2,{"c":"d\"e"}],"f":{"g":null}}"#,
            r#"[ [ [ ] ] , { } , "x" , -1.5e3 , true ]"#,
            r#""\u00e9\n""#,
            r#""\ud83d\ude00 \uD834\uDD1E""#,
            "123",
        ] {
            assert_eq!(skip(s), Ok(s.len()), "{s}");
        }
    }

    #[test]
    fn rejects_invalid_values() {
        for s in [
            r#"{"a":1,}"#,
            r#"[1,]"#,
            r#"{"a" 1}"#,
            r#"{a:1}"#,
            r#"[1 2]"#,
            "\"a\tb\"",
            r#""\x""#,
            r#"[01]"#,
            r#"{"a":tru}"#,
            r#"{"a":nul"#,
            r#"["#,
            r#"{"a":[}"#,
            r#"1.e5"#,
            r#""\ud83d""#,
            r#""\ud83dx""#,
            r#""\ud83d\u0041""#,
            r#""\ude00""#,
        ] {
            assert!(skip(s).is_err(), "{s} should fail");
        }
    }

    #[test]
    fn depth_is_bounded() {
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert_eq!(skip(&deep).map_err(|e| e.code), Err(Code::R0014));
        let ok = "[".repeat(100) + &"]".repeat(100);
        assert_eq!(skip(&ok), Ok(200));
    }

    #[test]
    fn finds_specials_swar() {
        let s = b"abcdefghijklmnop\"q";
        assert_eq!(find_special(s, 0), 16);
        let s = "héllo wörld ünïcode\\".as_bytes();
        assert_eq!(find_special(s, 0), s.len() - 1);
        let s = b"abcdefgh\x01";
        assert_eq!(find_special(s, 0), 8);
    }

    #[test]
    fn unescapes() {
        assert_eq!(
            unescape(r#"a\"b\\c\u00e9\ud83d\ude00"#, 0).unwrap(),
            "a\"b\\cé😀"
        );
        assert!(unescape(r#"\ud83d"#, 0).is_err());
    }
}
