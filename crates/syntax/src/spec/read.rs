//! Reads a spanned YAML tree into the spec AST, reporting every shape problem
//! (missing, unknown and mistyped keys, bad enum values) instead of stopping
//! at the first one as serde derive would.

use super::ast::*;
use crate::yaml::{Node, NodeKind, Scalar, Style};
use mapc_diag::{code_list, did_you_mean, Code, Diagnostic, Diagnostics, Span};
use std::borrow::Cow;

/// Reading context: the source text (for span arithmetic) and the sink.
pub struct Reader<'a> {
    pub src: &'a str,
    pub diags: &'a mut Diagnostics,
}

pub trait FromNode: Sized {
    /// Describes the expected value in "expected X" messages.
    const EXPECTED: &'static str;
    fn from_node(node: &Node, r: &mut Reader) -> Option<Self>;
}

impl Reader<'_> {
    pub fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    pub fn wrong_type(&mut self, node: &Node, expected: &str) {
        let d = Diagnostic::new(
            Code::M0203,
            node.span,
            format!("expected {expected}, found {}", node.kind_name()),
        )
        .label(format!("expected {expected}"));
        let d = match node.as_scalar() {
            Some(s) if !s.is_string() && expected.contains("string") => d.help(format!(
                "quote the value to make it a string: \"{}\"",
                s.text
            )),
            Some(s) if !s.is_null() && expected.contains("`true`") => d.help(format!(
                "write `true` or `false` (`{}` is not a YAML 1.2 boolean)",
                s.text
            )),
            Some(s)
                if expected.contains("number")
                    && !s.text.trim().is_empty()
                    && s.text.trim().bytes().all(|b| b.is_ascii_digit()) =>
            {
                d.help(format!(
                    "write the number without quotes: {}",
                    s.text.trim()
                ))
            }
            _ => d,
        };
        self.push(d);
    }

    fn scalar<'n>(&mut self, node: &'n Node, expected: &str) -> Option<&'n Scalar> {
        match node.as_scalar() {
            Some(s) if !s.is_null() => Some(s),
            _ => {
                self.wrong_type(node, expected);
                None
            }
        }
    }
}

/// A mapping node being read; tracks which keys were consumed and which
/// were asked for.
pub struct MapReader<'n> {
    pub span: Span,
    entries: &'n [(Node, Node)],
    used: Vec<bool>,
    /// Every key asked for ([`get`](Self::get), [`opt`](Self::opt),
    /// [`req`](Self::req)), in the order first asked: the keys this mapping
    /// knows. [`finish`](Self::finish) reports any other key against this
    /// list, so a reader names each key once, where it reads it.
    asked: Vec<&'static str>,
    /// Human name of what this mapping is, for messages ("connection `crm`").
    /// Mostly a fixed text ("a field entry"), which then is not copied.
    what: Cow<'static, str>,
}

impl<'n> MapReader<'n> {
    pub fn new(node: &'n Node, what: impl Into<Cow<'static, str>>, r: &mut Reader) -> Option<Self> {
        let what = what.into();
        match &node.kind {
            NodeKind::Map(entries) => {
                let mut ok = true;
                for (k, _) in entries {
                    if k.as_scalar()
                        .is_none_or(|s| !s.is_string() && s.as_number().is_none())
                    {
                        r.wrong_type(k, "a string key");
                        ok = false;
                    }
                }
                let _ = ok;
                Some(MapReader {
                    span: node.span,
                    entries,
                    used: vec![false; entries.len()],
                    asked: Vec::new(),
                    what,
                })
            }
            _ => {
                r.wrong_type(node, &format!("a mapping for {what}"));
                None
            }
        }
    }

    /// The value of `key`, marking it read; `key` becomes a known key of
    /// this mapping whether or not it is present.
    pub fn get(&mut self, key: &'static str) -> Option<&'n Node> {
        if !self.asked.contains(&key) {
            self.asked.push(key);
        }
        let i = self
            .entries
            .iter()
            .position(|(k, _)| k.as_scalar().is_some_and(|s| s.text == key))?;
        self.used[i] = true;
        Some(&self.entries[i].1)
    }

    /// The span of the value of `key` as written (a present null
    /// included), without reading it.
    pub fn value_span(&self, key: &str) -> Option<Span> {
        self.entries
            .iter()
            .find(|(k, _)| k.as_scalar().is_some_and(|s| s.text == key))
            .map(|(_, v)| v.span)
    }

    pub fn key_span(&self, key: &str) -> Option<Span> {
        self.entries
            .iter()
            .find(|(k, _)| k.as_scalar().is_some_and(|s| s.text == key))
            .map(|(k, _)| k.span)
    }

    /// An optional key; a present null counts as absent.
    pub fn opt<T: FromNode>(&mut self, key: &'static str, r: &mut Reader) -> Option<T> {
        let node = self.get(key)?;
        if node.is_null() {
            return None;
        }
        T::from_node(node, r)
    }

    /// A required key; reports M0201 when missing or null.
    pub fn req<T: FromNode>(&mut self, key: &'static str, r: &mut Reader) -> Option<T> {
        match self.get(key) {
            Some(node) if !node.is_null() => T::from_node(node, r),
            Some(node) => {
                r.push(
                    Diagnostic::new(
                        Code::M0201,
                        node.span,
                        format!("`{key}` of {} is empty", self.what),
                    )
                    .label(format!("expected {}", T::EXPECTED))
                    .help(format!("give `{key}` a value")),
                );
                None
            }
            None => {
                self.missing(key, T::EXPECTED, r);
                None
            }
        }
    }

    pub fn missing(&self, key: &str, expected: &str, r: &mut Reader) {
        let at = Span::new(self.span.start, self.span.start);
        r.push(
            Diagnostic::new(
                Code::M0201,
                at,
                format!("{} is missing the required key `{key}`", self.what),
            )
            .label(format!("`{key}` missing here"))
            .help(format!("add `{key}:` with {expected}")),
        );
    }

    /// The keys asked for so far, in the order first asked.
    pub fn known(&self) -> &[&'static str] {
        &self.asked
    }

    /// Reports every key that was not consumed, with a did-you-mean among
    /// the keys asked for (M0202). Call it after every key was read.
    pub fn finish(self, r: &mut Reader) {
        self.finish_keeping(r);
    }

    /// [`finish`](Self::finish), returning the unknown keys with their
    /// values, for an AST that keeps them.
    pub fn finish_keeping(self, r: &mut Reader) -> Vec<UnknownKey> {
        let known = self.asked.as_slice();
        let mut unknown = Vec::new();
        for (i, (k, v)) in self.entries.iter().enumerate() {
            if self.used[i] {
                continue;
            }
            let Some(name) = k.as_scalar().map(|s| s.text.as_str()) else {
                continue;
            };
            if name == "$schema" && known.contains(&"$schema") {
                continue;
            }
            unknown.push(UnknownKey {
                key: Spanned::new(name.to_string(), k.span),
                value: Value { node: v.clone() },
            });
            let help = match did_you_mean(name, known.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!(
                    "known keys here: {}",
                    known
                        .iter()
                        .filter(|k| !k.starts_with('$'))
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            r.push(
                Diagnostic::new(
                    Code::M0202,
                    k.span,
                    format!("unknown key `{name}` in {}", self.what),
                )
                .label("unknown key")
                .help(help),
            );
        }
        unknown
    }
}

impl FromNode for Spanned<String> {
    const EXPECTED: &'static str = "a string";
    fn from_node(node: &Node, r: &mut Reader) -> Option<Self> {
        let s = r.scalar(node, Self::EXPECTED)?;
        if s.as_bool().is_some() && s.style == Style::Plain {
            r.wrong_type(node, Self::EXPECTED);
            return None;
        }
        Some(Spanned::new(s.text.clone(), node.span))
    }
}

impl FromNode for Spanned<bool> {
    const EXPECTED: &'static str = "`true` or `false`";
    fn from_node(node: &Node, r: &mut Reader) -> Option<Self> {
        match node.as_scalar().and_then(Scalar::as_bool) {
            Some(b) => Some(Spanned::new(b, node.span)),
            None => {
                r.wrong_type(node, Self::EXPECTED);
                None
            }
        }
    }
}

macro_rules! int_from_node {
    ($t:ty) => {
        impl FromNode for Spanned<$t> {
            const EXPECTED: &'static str = "a whole number";
            fn from_node(node: &Node, r: &mut Reader) -> Option<Self> {
                match node
                    .as_scalar()
                    .and_then(|s| s.as_number())
                    .map(|t| t.parse::<$t>())
                {
                    Some(Ok(v)) => Some(Spanned::new(v, node.span)),
                    _ => {
                        r.wrong_type(node, Self::EXPECTED);
                        None
                    }
                }
            }
        }
    };
}
int_from_node!(u32);
int_from_node!(u64);

impl<T: FromNode> FromNode for Vec<T> {
    const EXPECTED: &'static str = "a list";
    fn from_node(node: &Node, r: &mut Reader) -> Option<Self> {
        match &node.kind {
            NodeKind::Seq(items) => Some(items.iter().filter_map(|n| T::from_node(n, r)).collect()),
            _ => {
                r.wrong_type(node, &format!("a list of {}", T::EXPECTED));
                None
            }
        }
    }
}

impl FromNode for Value {
    const EXPECTED: &'static str = "a value";
    fn from_node(node: &Node, _r: &mut Reader) -> Option<Self> {
        Some(Value { node: node.clone() })
    }
}

/// Enum values are read as strings and matched against their snake_case names.
macro_rules! enum_from_node {
    ($t:ty, $what:literal, [$($name:literal => $v:expr),* $(,)?]) => {
        impl FromNode for Spanned<$t> {
            const EXPECTED: &'static str = $what;
            fn from_node(node: &Node, r: &mut Reader) -> Option<Self> {
                let s = r.scalar(node, $what)?;
                let names: &[&str] = &[$($name),*];
                match s.text.as_str() {
                    $($name => Some(Spanned::new($v, node.span)),)*
                    other => {
                        let help = match did_you_mean(other, names.iter().copied()) {
                            Some(m) => format!("did you mean `{m}`?"),
                            None => format!("use one of: {}", code_list(names)),
                        };
                        r.push(Diagnostic::new(Code::M0204, node.span, format!("`{other}` is not a valid {}", $what))
                            .label(format!("expected one of {}", names.join(" | ")))
                            .help(help));
                        None
                    }
                }
            }
        }
    };
}

enum_from_node!(ConnectionKind, "connection kind", ["dataverse" => ConnectionKind::Dataverse, "business_central" => ConnectionKind::BusinessCentral, "odata" => ConnectionKind::Odata, "file" => ConnectionKind::File]);
enum_from_node!(AuthFlow, "auth flow", ["client_credentials" => AuthFlow::ClientCredentials, "authorization_code" => AuthFlow::AuthorizationCode, "device_code" => AuthFlow::DeviceCode, "none" => AuthFlow::None]);
enum_from_node!(WriteMode, "write mode", ["upsert" => WriteMode::Upsert, "create" => WriteMode::Create, "update" => WriteMode::Update]);
enum_from_node!(SyncDirection, "sync direction", ["once" => SyncDirection::Once, "source_to_target" => SyncDirection::SourceToTarget, "target_to_source" => SyncDirection::TargetToSource, "two_way" => SyncDirection::TwoWay]);
enum_from_node!(Conflict, "conflict policy", ["source_wins" => Conflict::SourceWins, "target_wins" => Conflict::TargetWins, "newest" => Conflict::Newest, "fail" => Conflict::Fail]);
enum_from_node!(OnNull, "on_null policy", ["write" => OnNull::Write, "skip" => OnNull::Skip, "error" => OnNull::Error]);
enum_from_node!(Action, "rule action", ["skip" => Action::Skip, "warn" => Action::Warn, "error" => Action::Error, "set" => Action::Set]);
enum_from_node!(ColumnType, "column type", ["string" => ColumnType::String, "integer" => ColumnType::Integer, "decimal" => ColumnType::Decimal, "boolean" => ColumnType::Boolean, "date" => ColumnType::Date, "datetime" => ColumnType::Datetime, "guid" => ColumnType::Guid]);
enum_from_node!(ContactsEndpoint, "contacts endpoint", ["contacts" => ContactsEndpoint::Contacts, "customers" => ContactsEndpoint::Customers]);

/// Maps byte offsets inside a scalar's decoded text back to the file, so a
/// diagnostic can underline the exact character inside an expression.
///
/// Most scalars (`to: out.f1`, `expr: "round(x, 2)"`) stand in the file
/// exactly as decoded: ASCII on one line, without escapes or doubled quotes.
/// For them an offset only moves by the start of the content, so no table is
/// built. The rest (escapes, folded and continued lines, block scalars,
/// non-ASCII text, where every byte of a character maps to the character's
/// start) are decoded again by `decode_scalar`, which records where each
/// character comes from; if that does not reproduce the parser's text, a
/// best-effort search (`content_table`) is used.
pub fn content_offsets(node: &Node, src: &str) -> impl Fn(usize) -> usize {
    let (text, style) = match node.as_scalar() {
        Some(s) => (s.text.as_str(), s.style),
        None => ("", Style::Plain),
    };
    let end = node.span.end.min(src.len());
    let start = node.span.start.min(end);
    let raw = src.get(start..end).unwrap_or("");
    let content = content_start(style, raw);
    let verbatim = text.is_ascii()
        && raw.as_bytes().get(content..content + text.len()) == Some(text.as_bytes())
        && match style {
            // Characters that are read as escapes must not occur.
            Style::DoubleQuoted => !text.contains('\\'),
            Style::SingleQuoted => !text.contains('\''),
            // Chomping may add line breaks the source does not show.
            Style::Literal | Style::Folded => !text.contains('\n'),
            Style::Plain => true,
        };
    let table = (!verbatim).then(|| {
        decode_scalar(style, src, start, end)
            .and_then(|mut d| {
                // A block scalar's trailing breaks (chomping) are not in the
                // span; they map to the content's end.
                let tail = text.strip_prefix(d.text.as_str())?;
                let block = matches!(style, Style::Literal | Style::Folded);
                let breaks = block && tail.bytes().all(|c| c == b'\n');
                if !(tail.is_empty() || breaks) {
                    return None;
                }
                d.push_n('\n', tail.len(), d.end);
                Some((d.offsets, d.end))
            })
            .unwrap_or_else(|| content_table(text, style, raw.as_bytes(), start, content))
    });
    let first = start + content;
    let len = text.len();
    move |off: usize| match &table {
        None => first + off.min(len),
        Some((table, end)) => table.get(off).copied().unwrap_or(*end),
    }
}

/// Where a scalar's content starts within its span: after the opening quote,
/// or after a block scalar's header line if the span includes it.
fn content_start(style: Style, raw: &str) -> usize {
    match style {
        Style::SingleQuoted | Style::DoubleQuoted => 1.min(raw.len()),
        Style::Literal | Style::Folded if raw.starts_with(['|', '>']) => {
            raw.find('\n').map(|i| i + 1).unwrap_or(raw.len())
        }
        _ => 0,
    }
}

/// A scalar decoded again from the file: its text, the file offset of every
/// byte of it, and the offset where its content ends.
#[derive(Default)]
struct Decoded {
    text: String,
    offsets: Vec<usize>,
    end: usize,
}

impl Decoded {
    fn push(&mut self, c: char, at: usize) {
        self.text.push(c);
        self.offsets.resize(self.text.len(), at);
    }
    fn push_n(&mut self, c: char, n: usize, at: usize) {
        for _ in 0..n {
            self.push(c, at);
        }
    }
}

/// Decodes the scalar whose span is `start..end` in `src` (see
/// `content_offsets`); `None` where the source is not understood.
fn decode_scalar(style: Style, src: &str, start: usize, end: usize) -> Option<Decoded> {
    match style {
        Style::Plain => decode_flow(style, src, start, end),
        Style::SingleQuoted | Style::DoubleQuoted => {
            let q = if style == Style::SingleQuoted {
                b'\''
            } else {
                b'"'
            };
            let b = src.as_bytes();
            (end >= start + 2 && b[start] == q && b[end - 1] == q)
                .then(|| decode_flow(style, src, start + 1, end - 1))
                .flatten()
        }
        Style::Literal | Style::Folded => decode_block(style, src, start, end),
    }
}

fn is_break(b: u8) -> bool {
    b == b'\n' || b == b'\r'
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// The length of the line break at `i` (0 if there is none).
fn break_len(b: &[u8], i: usize) -> usize {
    match (b.get(i), b.get(i + 1)) {
        (Some(b'\r'), Some(b'\n')) => 2,
        (Some(c), _) if is_break(*c) => 1,
        _ => 0,
    }
}

/// From the line break at `i`: skips it, the empty lines after it and the
/// next line's leading white space; returns where the next line's content
/// starts and how many empty lines were skipped.
fn skip_breaks(b: &[u8], mut i: usize, stop: usize) -> (usize, usize) {
    i += break_len(b, i);
    let mut empty = 0;
    loop {
        while i < stop && is_blank(b[i]) {
            i += 1;
        }
        let n = break_len(b, i);
        if i < stop && n > 0 {
            empty += 1;
            i += n;
        } else {
            return (i, empty);
        }
    }
}

/// Plain and quoted scalars: the content between `i` and `stop`, with line
/// folding (a single break becomes a space, `n` empty lines `n` breaks, and
/// white space around breaks is dropped), `''` in single-quoted and escapes
/// (including `\` before a line break) in double-quoted scalars.
fn decode_flow(style: Style, src: &str, mut i: usize, stop: usize) -> Option<Decoded> {
    let b = src.as_bytes();
    let mut d = Decoded::default();
    // White space that is content unless a line break follows.
    let mut pending: Option<usize> = None;
    while i < stop {
        let c = b[i];
        if is_blank(c) {
            pending.get_or_insert(i);
            i += 1;
            continue;
        }
        if is_break(c) {
            // A folded break maps to where the line's content ends.
            let at = pending.take().unwrap_or(i);
            let (next, empty) = skip_breaks(b, i, stop);
            if empty == 0 {
                d.push(' ', at);
            } else {
                d.push_n('\n', empty, at);
            }
            i = next;
            continue;
        }
        if let Some(p) = pending.take() {
            for (k, &c) in b.iter().enumerate().take(i).skip(p) {
                d.push(c as char, k);
            }
        }
        match (style, c) {
            (Style::DoubleQuoted, b'\\') if break_len(b, i + 1) > 0 => {
                // An escaped line break: the lines join without a space.
                let (next, empty) = skip_breaks(b, i + 1, stop);
                d.push_n('\n', empty, i);
                i = next;
            }
            (Style::DoubleQuoted, b'\\') => {
                let (ch, n) = escape(src.get(i + 1..stop)?)?;
                d.push(ch, i);
                i += 1 + n;
            }
            (Style::SingleQuoted, b'\'') if b.get(i + 1) == Some(&b'\'') => {
                d.push('\'', i);
                i += 2;
            }
            _ => {
                let ch = src.get(i..)?.chars().next()?;
                d.push(ch, i);
                i += ch.len_utf8();
            }
        }
    }
    if let Some(p) = pending {
        for (k, &c) in b.iter().enumerate().take(stop).skip(p) {
            d.push(c as char, k);
        }
    }
    d.end = stop;
    Some(d)
}

/// A double-quoted escape after its `\`: the character and the length of
/// the escape's rest.
fn escape(rest: &str) -> Option<(char, usize)> {
    let c = rest.chars().next()?;
    let simple = match c {
        '0' => '\0',
        'a' => '\x07',
        'b' => '\x08',
        't' | '\t' => '\t',
        'n' => '\n',
        'v' => '\x0b',
        'f' => '\x0c',
        'r' => '\r',
        'e' => '\x1b',
        ' ' | '"' | '/' | '\\' => c,
        'N' => '\u{85}',
        '_' => '\u{a0}',
        'L' => '\u{2028}',
        'P' => '\u{2029}',
        'x' | 'u' | 'U' => {
            let n = match c {
                'x' => 2,
                'u' => 4,
                _ => 8,
            };
            let hex = rest.get(1..1 + n)?;
            let v = u32::from_str_radix(hex, 16).ok()?;
            return Some((char::from_u32(v)?, 1 + n));
        }
        _ => return None,
    };
    Some((simple, c.len_utf8()))
}

/// Literal and folded block scalars. The span starts at the first content
/// line (after its indentation, which sets the block's indentation) and ends
/// after the last non-blank character; leading empty lines and chomped
/// trailing breaks map to the content's start and end.
fn decode_block(style: Style, src: &str, start: usize, end: usize) -> Option<Decoded> {
    let b = src.as_bytes();
    let mut pos = start + content_start(style, src.get(start..end)?);
    let line_start = src[..pos].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let indent = pos - line_start;
    if !b[line_start..pos].iter().all(|&c| c == b' ') {
        return None;
    }
    // Content of each line: (start, end), end before the line break.
    let mut lines = Vec::new();
    loop {
        let line_end = src[pos..]
            .find(['\n', '\r'])
            .map(|k| pos + k)
            .unwrap_or(src.len());
        lines.push((pos, line_end));
        if line_end >= end {
            break;
        }
        let next = line_end + break_len(b, line_end);
        let spaces = b[next..]
            .iter()
            .take(indent)
            .take_while(|&&c| c == b' ')
            .count();
        pos = next + spaces;
    }
    let mut d = Decoded::default();
    // Leading empty lines (before the span) are not read; the caller
    // compares the result with the parser's text.
    d.push_n('\n', leading_empty_lines(src, start, indent), start);
    let empty = |&(s, e): &(usize, usize)| s >= e || b[s..e].iter().all(|&c| is_blank(c));
    let more = |&(s, e): &(usize, usize)| s < e && is_blank(b[s]);
    let mut prev: Option<(usize, usize)> = None;
    let mut empties = 0;
    for line in &lines {
        if style == Style::Folded && empty(line) && prev.is_some() {
            empties += 1;
            continue;
        }
        if let Some(p) = prev {
            let at = p.1;
            if style == Style::Folded && !more(&p) && !more(line) && empties == 0 {
                d.push(' ', at);
            } else if style == Style::Folded && !more(&p) && !more(line) {
                d.push_n('\n', empties, at);
            } else {
                d.push_n('\n', empties + 1, at);
            }
        }
        empties = 0;
        for (k, ch) in src[line.0..line.1].char_indices() {
            d.push(ch, line.0 + k);
        }
        prev = Some(*line);
    }
    // Trailing breaks (clip and keep chomping) lie after the span; the
    // caller adds them as its text shows.
    d.end = prev.map(|p| p.1).unwrap_or(start);
    Some(d)
}

/// The number of empty lines between a block scalar's header and its first
/// content line starting at `start` (indented by `indent`).
fn leading_empty_lines(src: &str, start: usize, indent: usize) -> usize {
    let before = &src[..start - indent];
    let mut n = 0;
    let mut rest = before.strip_suffix('\n').unwrap_or(before);
    while let Some(i) = rest.rfind('\n') {
        if !rest[i + 1..].trim_matches([' ', '\r', '\t']).is_empty() {
            break;
        }
        n += 1;
        rest = &rest[..i];
    }
    n
}

/// The file offset of every byte of `text`, found by walking `raw` (the
/// scalar's source) from `j` (where its content starts), and the offset of
/// the content's end.
fn content_table(
    text: &str,
    style: Style,
    rb: &[u8],
    base: usize,
    mut j: usize,
) -> (Vec<usize>, usize) {
    let mut table = Vec::with_capacity(text.len() + 1);
    for c in text.chars() {
        let mut buf = [0u8; 4];
        let cb = c.encode_utf8(&mut buf).as_bytes();
        let at;
        if style == Style::DoubleQuoted && rb.get(j) == Some(&b'\\') {
            at = j;
            let skip = match rb.get(j + 1) {
                Some(b'x') => 4,
                Some(b'u') => 6,
                Some(b'U') => 10,
                _ => 2,
            };
            j = (j + skip).min(rb.len());
        } else {
            let found = (j..rb.len().min(j + 256)).find(|&k| rb[k..].starts_with(cb));
            match found {
                Some(k) => {
                    at = k;
                    j = k + cb.len();
                    if style == Style::SingleQuoted && c == '\'' && rb.get(j) == Some(&b'\'') {
                        j += 1;
                    }
                }
                None => at = j.min(rb.len()),
            }
        }
        for _ in 0..cb.len() {
            table.push(base + at);
        }
    }
    (table, base + j.min(rb.len()))
}

/// Literal errors (a date that does not exist, a malformed number or escape)
/// have their own code, M0303, apart from structural syntax errors.
fn literal_error(message: &str) -> bool {
    [
        "invalid date",
        "invalid number",
        "invalid unicode escape",
        "invalid guid",
    ]
    .iter()
    .any(|p| message.starts_with(p))
}

/// Parses a string value written in one of the small languages (expressions,
/// filters): spans move from string offsets to file offsets, and a syntax
/// error is reported at the exact character, with its own code.
fn embedded<T>(
    node: &Node,
    r: &mut Reader,
    expected: &str,
    (code, what): (Code, &str),
    parse: impl Fn(&str) -> Result<T, crate::expr::SyntaxError>,
    map_spans: impl Fn(&mut T, &dyn Fn(Span) -> Span),
) -> Option<(Spanned<String>, Option<T>)> {
    let s = r.scalar(node, expected)?;
    let text = Spanned::new(s.text.clone(), node.span);
    let map = content_offsets(node, r.src);
    let shift = |sp: Span| Span::new(map(sp.start), map(sp.end).max(map(sp.start)));
    let ast = match parse(&s.text) {
        Ok(mut t) => {
            map_spans(&mut t, &shift);
            Some(t)
        }
        Err(e) => {
            let span = shift(e.span);
            let span = if span.is_empty() {
                Span::new(span.start, span.start + 1)
            } else {
                span
            };
            let span = Span::new(
                span.start.min(node.span.end.saturating_sub(1)),
                span.end.min(node.span.end.max(span.start)),
            );
            let d = if literal_error(&e.message) {
                Diagnostic::new(Code::M0303, span, e.message)
            } else if e.message.starts_with(crate::limits::PATH_LIMIT_PREFIX) {
                Diagnostic::new(Code::M0306, span, e.message)
            } else {
                Diagnostic::new(code, span, format!("invalid {what}: {}", e.message))
            };
            r.push(d.label(e.label).help_opt(e.help));
            None
        }
    };
    Some((text, ast))
}

impl FromNode for ExprText {
    const EXPECTED: &'static str = "an expression string";
    fn from_node(node: &Node, r: &mut Reader) -> Option<Self> {
        let (text, ast) = embedded(
            node,
            r,
            Self::EXPECTED,
            (Code::M0301, "expression"),
            crate::expr::parse,
            |e, f| e.map_spans(&f),
        )?;
        Some(ExprText { text, ast })
    }
}

impl FromNode for FilterText {
    const EXPECTED: &'static str = "an OData $filter string";
    fn from_node(node: &Node, r: &mut Reader) -> Option<Self> {
        let (text, ast) = embedded(
            node,
            r,
            Self::EXPECTED,
            (Code::M0302, "filter"),
            crate::filter::parse_filter,
            |e, f| e.map_spans(&f),
        )?;
        Some(FilterText { text, ast })
    }
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || matches!(c, '_' | '@' | '$')
}
fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '@' | '$' | '-')
}

impl FromNode for Path {
    const EXPECTED: &'static str = "a field path such as `customer.name`";
    fn from_node(node: &Node, r: &mut Reader) -> Option<Self> {
        let s = r.scalar(node, Self::EXPECTED)?;
        let text = s.text.clone();
        let map = content_offsets(node, r.src);
        let mut segments = Vec::new();
        // The segments' spans within `text`, for the length limits.
        let mut local = Vec::new();
        // The start of the first unquoted segment holding `@` that a dot
        // follows (an OData annotation split at its dots).
        let mut annotation: Option<usize> = None;
        let mut rest = text.as_str();
        let mut pos = 0usize;
        let bad = |r: &mut Reader, at: usize, msg: String| {
            let a = map(at);
            r.push(
                Diagnostic::new(Code::M0304, Span::new(a, (a + 1).min(node.span.end.max(a))), msg)
                    .label("here")
                    .help("a path is names separated by dots, e.g. `customer.accountnumber`; quote a name with other characters in backticks: `` `@odata.etag` ``"),
            );
        };
        loop {
            let (seg, len) = if let Some(q) = rest.strip_prefix('`') {
                match q.find('`') {
                    Some(e) if e > 0 => (q[..e].to_string(), e + 2),
                    _ => {
                        bad(r, pos, "unterminated or empty backtick-quoted name".into());
                        return None;
                    }
                }
            } else {
                let len = rest.find(|c: char| !is_ident_char(c)).unwrap_or(rest.len());
                match rest.chars().next() {
                    Some(c) if is_ident_start(c) => (rest[..len].to_string(), len),
                    Some(c) => {
                        bad(r, pos, format!("unexpected `{c}` in field path `{text}`"));
                        return None;
                    }
                    None => {
                        bad(
                            r,
                            pos,
                            format!("field path `{text}` is empty or ends with a dot"),
                        );
                        return None;
                    }
                }
            };
            let quoted = rest.starts_with('`');
            let at_sign = !quoted && seg.contains('@');
            segments.push(Spanned::new(seg, Span::new(map(pos), map(pos + len))));
            local.push(Span::new(pos, pos + len));
            let seg_start = pos;
            pos += len;
            rest = &rest[len..];
            match rest.chars().next() {
                None => break,
                Some('.') => {
                    if at_sign && annotation.is_none() {
                        annotation = Some(seg_start);
                    }
                    pos += 1;
                    rest = &rest[1..];
                }
                Some(c) => {
                    bad(r, pos, format!("unexpected `{c}` in field path `{text}`"));
                    return None;
                }
            }
        }
        if let Some((at, msg)) = crate::limits::check_path(&text, &local) {
            r.push(
                Diagnostic::new(Code::M0306, Span::new(map(at.start), map(at.end)), msg)
                    .label("the path is too long from here")
                    .help(crate::limits::PATH_LIMIT_HELP),
            );
            return None;
        }
        if let Some(start) = annotation {
            // `@odata.etag`, `parentcustomerid@odata.bind`: the dots belong
            // to one key, which read as a path would be objects nested in
            // objects, never found (or written) in a record.
            let at = start + text[start..].find('@').unwrap_or(0);
            let quoted = format!("{}`{}`", &text[..start], &text[start..]);
            let a = map(at);
            r.push(
                Diagnostic::new(
                    Code::M0304,
                    Span::new(a, (a + 1).min(node.span.end.max(a))),
                    format!("`{}` in the field path `{text}` is an OData annotation, whose name contains dots; unquoted, its dots split it into nested objects", &text[start..]),
                )
                .label("annotation name")
                .help(format!("quote the annotation name in backticks: `` {quoted} ``")),
            );
            // The path is kept as it was meant (the annotation one name), so
            // the entry is not reported again as having no `from` or as
            // reading an unknown related alias.
            segments.retain(|sg| sg.span.start < map(start));
            segments.push(Spanned::new(
                text[start..].to_string(),
                Span::new(map(start), map(text.len())),
            ));
        }
        Some(Path {
            text: Spanned::new(text, node.span),
            segments,
        })
    }
}

impl FromNode for CodeList {
    const EXPECTED: &'static str = "a list of codes or a comma-separated string";
    fn from_node(node: &Node, r: &mut Reader) -> Option<Self> {
        match &node.kind {
            NodeKind::Seq(_) => Vec::<Spanned<String>>::from_node(node, r).map(CodeList::List),
            _ => Spanned::<String>::from_node(node, r).map(CodeList::Text),
        }
    }
}

/// Splits `"A, B,C"` into trimmed parts with their own spans. An empty part
/// (`"A,,B"`) is kept so the checker can report it; a blank string has none.
pub fn split_codes(t: &Spanned<String>) -> Vec<Spanned<String>> {
    if t.value.trim().is_empty() {
        return Vec::new();
    }
    let width = t.span.len();
    let quoted = width >= t.value.len() + 2;
    let base = t.span.start + usize::from(quoted);
    let mut out = Vec::new();
    let mut pos = 0;
    for part in t.value.split(',') {
        let lead = part.len() - part.trim_start().len();
        let trimmed = part.trim();
        let s = base + pos + lead;
        out.push(Spanned::new(
            trimmed.to_string(),
            Span::new(s, s + trimmed.len()),
        ));
        pos += part.len() + 1;
    }
    out
}

/// `name -> T` mappings (connections, related, environments).
pub fn named<T>(
    node: &Node,
    what: &str,
    r: &mut Reader,
    mut f: impl FnMut(&Node, &str, &mut Reader) -> Option<T>,
) -> Named<T> {
    let mut out = Vec::new();
    match &node.kind {
        NodeKind::Map(entries) => {
            for (k, v) in entries {
                let Some(name) = Spanned::<String>::from_node(k, r) else {
                    continue;
                };
                if let Some(t) = f(v, &name.value, r) {
                    out.push((name, t));
                }
            }
        }
        _ if node.is_null() => {}
        _ => r.wrong_type(node, &format!("a mapping of {what}")),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalars(src: &str) -> Vec<Node> {
        let mut diags = Diagnostics::new();
        let root = crate::yaml::parse(src, Default::default(), &mut diags);
        assert!(diags.is_empty(), "{diags:?}");
        let root = root.unwrap();
        let NodeKind::Map(entries) = &root.kind else {
            panic!()
        };
        entries.iter().map(|(_, v)| v.clone()).collect()
    }

    /// Every `(value, token)`: the token's offsets in the decoded text map to
    /// the token in the file.
    fn assert_tokens(src: &str, tokens: &[&str]) {
        let nodes = scalars(src);
        assert_eq!(nodes.len(), tokens.len());
        for (node, token) in nodes.iter().zip(tokens) {
            let text = &node.as_scalar().unwrap().text;
            let at = text
                .find(token)
                .unwrap_or_else(|| panic!("{token:?} not in {text:?}"));
            let map = content_offsets(node, src);
            let (s, e) = (map(at), map(at + token.len()));
            assert_eq!(
                &src[s..e],
                *token,
                "in {text:?} ({:?})",
                node.as_scalar().unwrap().style
            );
            // Every byte of the token maps into it.
            for k in 0..token.len() {
                assert!((s..e).contains(&map(at + k)));
            }
        }
    }

    #[test]
    fn offsets_in_plain_scalars() {
        assert_tokens(
            "a: x.y\nb: cuntry == 'DE'\n  and foo(1)\nc: first\n\n   second(2)\n\
             d: é + naïve(x)\ne: one   \n  two\n",
            &["y", "foo", "second", "naïve", "two"],
        );
    }

    #[test]
    fn offsets_in_quoted_scalars() {
        assert_tokens(
            "a: 'it''s + bar(1)'\nb: 'p(q,\n    r)  \n\n  + zed'\nc: \"t\\n\\\"u\\\" + v\"\n\
             d: \"concat(name, \\\n    qux(1))\"\ne: \"x\\u00e9 \\x41 + wow\"\n\
             f: \"line\n   next(3)\"\ng: \"a\\\\b + c2\"\nh: \"keep \\\n\n  \\ sp + q9\"\n",
            &["bar", "zed", "v", "qux", "wow", "next", "c2", "q9"],
        );
    }

    #[test]
    fn offsets_in_block_scalars() {
        assert_tokens(
            "a: >-\n  cuntry == 'DE' and foo(1)\nb: |\n  x == 1\n  and foo(2)\n\
             c: >\n  first\n  second and\n\n  third(3)\n\nd: |+\n\n\n  lit\n   more(4)\n\n\
             e: >2-\n    indented\n  bar(5)\nf: |-\n    in more\n    baz(6)  \n\
             g: >\n  a\n    deeper(7)\n  b\n",
            &["foo", "foo", "third", "more", "bar", "baz", "deeper"],
        );
    }

    /// The decoder reproduces the parser's text for every style.
    #[test]
    fn decoding_agrees_with_the_parser() {
        let src = "a: x.y\nb: 'p(q, 1)'\nc: \"r + s\"\nd: 'it''s'\ne: \"t\\n\\\"u\\\"\"\n\
                   f: é.x\ng: ''\nh: \"\"\ni: |\n  lit\n  two\nj: >\n  fold\n  ed\n\
                   k: plain\n  folded\nl: \"a\\\\b\"\nm: '\"q\"'\nn: \"'q'\"\n\
                   o: >+\n\n  a\n   b\n\n  c\n\n\np: \"a \\\n   b\n\n   c \\t\\\n  d\"\n";
        for node in scalars(src) {
            let s = node.as_scalar().unwrap();
            let d = decode_scalar(s.style, src, node.span.start, node.span.end).unwrap();
            assert!(
                s.text.starts_with(&d.text) && s.text[d.text.len()..].bytes().all(|c| c == b'\n'),
                "{:?} decoded as {:?}",
                s.text,
                d.text
            );
        }
    }

    /// The table-free mapping of verbatim scalars agrees with the decoder.
    #[test]
    fn verbatim_offsets_agree_with_the_decoder() {
        let src = "a: x.y\nb: 'p(q, 1)'\nc: \"r + s\"\nd: >-\n  one line\ne: plain text\n";
        for node in scalars(src) {
            let s = node.as_scalar().unwrap();
            let d = decode_scalar(s.style, src, node.span.start, node.span.end).unwrap();
            let map = content_offsets(&node, src);
            for off in 0..s.text.len() + 3 {
                assert_eq!(map(off), d.offsets.get(off).copied().unwrap_or(d.end));
            }
        }
    }
}
