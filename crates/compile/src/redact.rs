//! Keeps literal secrets out of every report.
//!
//! Diagnostics show source snippets, and a snippet of a line that holds a
//! literal secret would print it, whatever the diagnostic is about (a
//! duplicate key, a YAML syntax error, a neighbouring line). So before any
//! report is rendered, the values of secret-looking keys and the passwords
//! in URLs are overwritten in the displayed text. This works on the raw text,
//! so it also covers files that are not valid YAML.

use mapc_diag::{SourceFile, Span};

/// Key names whose values are secrets (matched case-insensitively as parts).
const SECRET_PARTS: &[&str] = &[
    "secret",
    "password",
    "passwd",
    "pwd",
    "apikey",
    "api_key",
    "private_key",
];

/// Overwrites every literal secret value in `file` (character for character
/// of the same UTF-8 length, so spans and columns stay valid).
pub fn redact_secrets(file: &mut SourceFile) {
    let spans = secret_spans(&file.text);
    for span in spans {
        file.redact(span);
    }
}

fn secret_spans(text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let lb = line.as_bytes();
        let mut i = 0;
        while i < lb.len() {
            if lb[i] == b'#' && (i == 0 || lb[i - 1].is_ascii_whitespace()) {
                break;
            }
            if lb[i] == b':' {
                let key = key_before(&line[..i]);
                if !key.is_empty() && is_secret_key(key) {
                    if let Some((s, e)) = value_after(lb, i + 1) {
                        let value = &line[s..e];
                        if !is_env_reference(value) {
                            out.push(Span::new(line_start + s, line_start + e));
                        }
                        i = e;
                        continue;
                    }
                }
            }
            i += 1;
        }
        line_start += line.len();
    }
    // Passwords in URLs: scheme://user:password@host
    let mut from = 0;
    while let Some(p) = text[from..].find("://") {
        let start = from + p + 3;
        let end = text[start..]
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | '}' | ']' | '/'))
            .map_or(text.len(), |e| start + e);
        if let Some(at) = text[start..end].rfind('@') {
            if let Some(colon) = text[start..start + at].find(':') {
                let (s, e) = (start + colon + 1, start + at);
                if e > s && !is_env_reference(&text[s..e]) {
                    out.push(Span::new(s, e));
                }
            }
        }
        from = end.max(start);
        if from >= bytes.len() {
            break;
        }
    }
    out
}

/// The key name that ends right before a `:` (quotes allowed): the ASCII
/// name characters before it. Found on bytes: every byte of a non-ASCII
/// character is >= 0x80 and stops the name, and the name's first byte then
/// follows a whole character, so the slice is always on a boundary.
fn key_before(s: &str) -> &str {
    let s = s.trim_end_matches(['"', '\'']);
    let start = s
        .bytes()
        .rposition(|c| !(c.is_ascii_alphanumeric() || c == b'_' || c == b'-'))
        .map_or(0, |i| i + 1);
    s.get(start..).unwrap_or("")
}

fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    // A misspelled `client_secret` still holds the secret.
    // The edit distance is quadratic in the key's length (a 1 MB key took
    // 118 MB); a key more than two bytes longer or shorter is never within two.
    SECRET_PARTS.iter().any(|p| k.contains(p))
        || (k.len().abs_diff("client_secret".len()) <= 2
            && strsim::damerau_levenshtein(&k, "client_secret") <= 2)
}

/// The value after a `key:`: quoted (to its closing quote) or plain (to the
/// end of the flow item or line). `None` for an empty value.
fn value_after(lb: &[u8], mut i: usize) -> Option<(usize, usize)> {
    if i < lb.len() && !lb[i].is_ascii_whitespace() {
        return None; // `a:b` is not a key
    }
    while i < lb.len() && (lb[i] == b' ' || lb[i] == b'\t') {
        i += 1;
    }
    let start = i;
    match lb.get(i)? {
        q @ (b'"' | b'\'') => {
            let mut j = i + 1;
            while j < lb.len() {
                if lb[j] == b'\\' && *q == b'"' {
                    j += 2;
                    continue;
                }
                if lb[j] == *q {
                    if *q == b'\'' && lb.get(j + 1) == Some(&b'\'') {
                        j += 2;
                        continue;
                    }
                    return Some((start, j + 1));
                }
                j += 1;
            }
            let end = lb.len() - usize::from(lb.last() == Some(&b'\n'));
            Some((start, end))
        }
        open @ (b'[' | b'{') => {
            // A secret written as a list or mapping by mistake: hide the inside.
            let close = if *open == b'[' { b']' } else { b'}' };
            let inner = i + 1;
            let end = lb[inner..]
                .iter()
                .position(|&b| b == close || b == b'\n')
                .map_or(lb.len(), |p| inner + p);
            (end > inner).then_some((inner, end))
        }
        b'\n' | b'\r' | b'#' | b'|' | b'>' => None,
        _ => {
            let mut j = i;
            while j < lb.len() && !matches!(lb[j], b',' | b'}' | b']' | b'\n' | b'\r') {
                if lb[j] == b'#' && lb[j - 1] == b' ' {
                    break;
                }
                if lb[j] == b'$' && lb.get(j + 1) == Some(&b'{') {
                    // `${NAME}` belongs to the value, braces included.
                    match lb[j..].iter().position(|&b| b == b'}') {
                        Some(close) => j += close + 1,
                        None => j = lb.len(),
                    }
                    continue;
                }
                j += 1;
            }
            let j = j.min(lb.len());
            let mut j = j;
            while j > start && matches!(lb[j - 1], b'\n' | b'\r') {
                j -= 1;
            }
            while j > start && lb[j - 1] == b' ' {
                j -= 1;
            }
            (j > start).then_some((start, j))
        }
    }
}

fn is_env_reference(value: &str) -> bool {
    let v = value.trim_matches(['"', '\'']);
    v.starts_with("${") && v.ends_with('}') && v.matches("${").count() == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(text: &str) -> String {
        let mut f = SourceFile::new("s.yaml", text);
        redact_secrets(&mut f);
        f.text
    }

    /// The misspelling check is an edit distance, quadratic in the key's
    /// length: a 1 MB key must be answered at once, not after 118 MB.
    #[test]
    fn a_huge_key_is_no_misspelled_secret_and_costs_nothing() {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let key = "client_secret".repeat(80_000);
            let _ = tx.send(is_secret_key(&key) && !is_secret_key(&"x".repeat(1_000_000)));
        });
        let got = rx.recv_timeout(std::time::Duration::from_secs(5));
        assert_eq!(got, Ok(true), "took longer than 5 s");
        assert!(is_secret_key("client_secert"));
        assert!(is_secret_key("clientsecret"));
    }

    #[test]
    fn literal_secret_values_are_masked_in_every_style() {
        assert_eq!(
            shown("  client_secret: abc123\n"),
            "  client_secret: ******\n"
        );
        assert_eq!(
            shown("  client_secret: \"abc\" # c\n"),
            "  client_secret: \"***\" # c\n"
        );
        assert_eq!(
            shown("auth: { flow: x, client_secret: 'ab''c', tenant: t }\n"),
            "auth: { flow: x, client_secret: '*****', tenant: t }\n"
        );
        assert_eq!(
            shown("  client_secert: hunter2\n"),
            "  client_secert: *******\n"
        );
        assert_eq!(shown("  Password: \"p w\"\n"), "  Password: \"***\"\n");
        assert_eq!(
            shown("  client_secret: {unclosed\n"),
            "  client_secret: {********\n"
        );
        assert_eq!(
            shown("  client_secret: [abc]\n"),
            "  client_secret: [***]\n"
        );
    }

    #[test]
    fn env_references_and_other_keys_stay() {
        let t = "  client_secret: ${MAPC_SECRET}\n  client_id: abc\n  name: secret\n";
        assert_eq!(shown(t), t);
    }

    #[test]
    fn non_ascii_before_a_colon_is_no_key_and_no_panic() {
        // A German description, a BOM before the first key, an umlaut key.
        for t in [
            "description: \"Kunde Müller: Sonderfall\"\n",
            "\u{feff}mapc: 1\n",
            "\u{feff}client_secret: abc\n",
            "Straße: x\nmüller_password: hunter2\n",
            "€: 1\n🔑: 2\nä:b\n",
        ] {
            let _ = shown(t);
        }
        assert_eq!(
            shown("description: \"Kunde Müller: Sonderfall\"\n"),
            "description: \"Kunde Müller: Sonderfall\"\n"
        );
        assert_eq!(
            shown("\u{feff}client_secret: abc\n"),
            "\u{feff}client_secret: ***\n"
        );
        assert_eq!(
            shown("müller_password: hünter2\n"),
            "müller_password: *×*****\n"
        );
    }

    #[test]
    fn passwords_in_urls_are_masked() {
        assert_eq!(
            shown("url: https://admin:Pa55w0rd@host/x\n"),
            "url: https://admin:********@host/x\n"
        );
        let t = "url: https://host:8443/x\n";
        assert_eq!(shown(t), t);
    }
}
