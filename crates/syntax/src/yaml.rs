//! A spanned YAML tree built from `saphyr-parser` events.
//!
//! We build our own tree instead of deserializing with serde so that every
//! key and value keeps its span, duplicate keys are caught (a hash map would
//! silently keep one), aliases are expanded under a node budget (no alias
//! bombs), nesting depth is bounded, and scalars keep their exact text (a
//! money amount such as `10.005` must never pass through a float).

use mapc_diag::{Code, Diagnostic, Diagnostics, Span};
use saphyr_parser::{Event, Parser, ScalarStyle};
use std::collections::HashMap;

/// Limits that keep hostile documents from exhausting memory or time.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_depth: usize,
    /// Nodes in the tree after alias expansion.
    pub max_nodes: usize,
    pub max_scalar_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 64,
            max_nodes: 200_000,
            max_scalar_bytes: 1 << 20,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Scalar {
    pub text: String,
    pub style: Style,
    /// An explicit tag such as `!!str`, as `handle + suffix`.
    pub tag: Option<String>,
}

impl Scalar {
    /// True for a plain scalar the YAML 1.2 core schema reads as null.
    pub fn is_null(&self) -> bool {
        self.style == Style::Plain
            && self.tag.is_none()
            && matches!(self.text.as_str(), "" | "~" | "null" | "Null" | "NULL")
    }
    pub fn as_bool(&self) -> Option<bool> {
        if self.style != Style::Plain {
            return None;
        }
        match self.text.as_str() {
            "true" | "True" | "TRUE" => Some(true),
            "false" | "False" | "FALSE" => Some(false),
            _ => None,
        }
    }
    /// The plain scalar as number text, if it is one
    /// ([`mapc_value::number::is_yaml_number`]: `7`, `-0.5`, `1.5e3`, not `.5`).
    pub fn as_number(&self) -> Option<&str> {
        if self.style != Style::Plain || self.tag.is_some() {
            return None;
        }
        let t = self.text.as_str();
        mapc_value::number::is_yaml_number(t).then_some(t)
    }
    /// Plain scalars that are neither null, bool nor number are strings;
    /// quoted and block scalars are always strings.
    pub fn is_string(&self) -> bool {
        self.style != Style::Plain
            || (!self.is_null() && self.as_bool().is_none() && self.as_number().is_none())
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub span: Span,
}

impl Node {
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.kind {
            NodeKind::Scalar(s) => Some(s),
            _ => None,
        }
    }
    pub fn is_null(&self) -> bool {
        self.as_scalar().is_some_and(Scalar::is_null)
    }
    pub fn kind_name(&self) -> &'static str {
        match &self.kind {
            NodeKind::Scalar(s) if s.is_null() => "null",
            NodeKind::Scalar(s) if s.as_bool().is_some() => "a boolean",
            NodeKind::Scalar(s) if s.as_number().is_some() => "a number",
            NodeKind::Scalar(_) => "a string",
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a mapping",
        }
    }
    /// The value of a key in a mapping node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            NodeKind::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_scalar().is_some_and(|s| s.text == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }
    fn count(&self) -> usize {
        match &self.kind {
            NodeKind::Scalar(_) => 1,
            NodeKind::Seq(items) => 1 + items.iter().map(Node::count).sum::<usize>(),
            NodeKind::Map(e) => 1 + e.iter().map(|(k, v)| k.count() + v.count()).sum::<usize>(),
        }
    }
}

/// Parses one YAML document. Returns `None` when the text cannot give a tree;
/// every problem is pushed to `diags`.
pub fn parse(text: &str, limits: Limits, diags: &mut Diagnostics) -> Option<Node> {
    check_tabs(text, diags);
    let offsets = CharOffsets::new(text);
    let mut b = Builder {
        text,
        offsets: &offsets,
        limits,
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        docs: Vec::new(),
        found: Vec::new(),
    };
    let mut parser = Parser::new_from_str(text);
    loop {
        match parser.next_event() {
            None => break,
            Some(Ok((ev, span))) => {
                let span = Span::new(
                    offsets.byte(span.start.index()),
                    offsets.byte(span.end.index()),
                );
                match b.on_event(ev, span) {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(d) => {
                        diags.extend(b.found.drain(..));
                        diags.push(*d);
                        return None;
                    }
                }
            }
            Some(Err(e)) => {
                diags.extend(b.found.drain(..));
                let at = offsets.byte(e.marker().index());
                let info = e.info();
                // A tab in indentation already has its own, clearer diagnostic.
                if info.contains("recursion limit") {
                    diags.push(
                        Diagnostic::new(
                            Code::M0105,
                            Span::new(at, (at + 1).min(text.len()).max(at)),
                            "the document nests deeper than the YAML parser allows",
                        )
                        .label("too deep from here on")
                        .help("a spec never needs this much nesting; flatten the structure"),
                    );
                } else if !(info.contains("tab") && diags.iter().any(|d| d.code == Code::M0103)) {
                    diags.push(
                        Diagnostic::new(Code::M0101, Span::new(at, (at + 1).min(text.len()).max(at)), format!("invalid YAML: {info}"))
                            .label("the YAML parser stopped here")
                            .help("check indentation, quotes and `:` separators around this place; quote values that start with `{`, `[`, `*`, `&`, `!`, `%` or `@`"),
                    );
                }
                return None;
            }
        }
    }
    diags.extend(b.found.drain(..));
    let mut docs = b.docs;
    if docs.len() > 1 {
        let second = &docs[1];
        diags.push(
            Diagnostic::new(
                Code::M0109,
                second.span,
                "the file holds more than one YAML document",
            )
            .label("a second document starts here")
            .help("put each spec in its own file; remove the `---` separator"),
        );
        return None;
    }
    match docs.pop() {
        Some(n) if !n.is_null() => Some(n),
        _ => {
            diags.push(
                Diagnostic::new(
                    Code::M0108,
                    Span::new(0, text.len().min(1)),
                    "the file contains no spec",
                )
                .label("empty document")
                .help("a spec starts with `mapc: 1` and `name:`; see `mapc explain M0108`"),
            );
            None
        }
    }
}

/// Length of a quoted scalar's text up to and including its closing quote.
fn quoted_len(raw: &str) -> Option<usize> {
    let b = raw.as_bytes();
    let q = *b.first()?;
    let mut i = 1;
    while i < b.len() {
        match b[i] {
            b'\\' if q == b'"' => i += 2,
            c if c == q => {
                if q == b'\'' && b.get(i + 1) == Some(&b'\'') {
                    i += 2;
                } else {
                    return Some(i + 1);
                }
            }
            _ => i += 1,
        }
    }
    None
}

fn check_tabs(text: &str, diags: &mut Diagnostics) {
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let indent_end = line.len() - line.trim_start_matches([' ', '\t']).len();
        if let Some(i) = line[..indent_end].find('\t') {
            let rest = line[indent_end..].trim_end();
            if !rest.is_empty() && !rest.starts_with('#') {
                diags.push(
                    Diagnostic::new(
                        Code::M0103,
                        Span::new(pos + i, pos + i + 1),
                        "a tab is used for indentation",
                    )
                    .label("tab")
                    .help("YAML indentation must use spaces; replace the tab with spaces"),
                );
                return;
            }
        }
        pos += line.len();
    }
}

/// saphyr reports positions in characters; spans are in bytes.
struct CharOffsets {
    /// Byte offset of every char index; empty when the text is ASCII.
    table: Vec<usize>,
    len: usize,
}

impl CharOffsets {
    fn new(text: &str) -> Self {
        let table = if text.is_ascii() {
            Vec::new()
        } else {
            text.char_indices().map(|(i, _)| i).collect()
        };
        CharOffsets {
            table,
            len: text.len(),
        }
    }
    fn byte(&self, char_index: usize) -> usize {
        if self.table.is_empty() {
            char_index.min(self.len)
        } else {
            self.table.get(char_index).copied().unwrap_or(self.len)
        }
    }
}

enum Frame {
    Seq {
        items: Vec<Node>,
        start: usize,
        anchor: usize,
    },
    Map {
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
        /// Scalar key text -> index in `entries`: duplicate detection must stay
        /// linear, or a file with many keys becomes a denial of service.
        seen: HashMap<String, usize>,
        start: usize,
        anchor: usize,
    },
}

struct Builder<'a> {
    text: &'a str,
    offsets: &'a CharOffsets,
    limits: Limits,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    nodes: usize,
    docs: Vec<Node>,
    /// Problems that do not stop the tree (a duplicate key): the rest of
    /// the file is still read and checked.
    found: Vec<Diagnostic>,
}

impl Builder<'_> {
    /// Returns Ok(false) to stop (stream end).
    fn on_event(&mut self, ev: Event<'_>, span: Span) -> Result<bool, Box<Diagnostic>> {
        let _ = self.offsets;
        match ev {
            Event::StreamEnd => return Ok(false),
            Event::Nothing | Event::StreamStart | Event::DocumentStart(_) | Event::DocumentEnd => {}
            Event::Alias(id) => {
                let Some(node) = self.anchors.get(&id) else {
                    return Err(Box::new(
                        Diagnostic::new(Code::M0101, span, "alias refers to an unknown anchor")
                            .help("define the anchor (`&name`) before using it (`*name`)"),
                    ));
                };
                let n = node.count();
                let mut node = node.clone();
                self.budget(n, span)?;
                node.span = span;
                self.add(node)?;
            }
            Event::Scalar(value, style, anchor, tag) => {
                if value.len() > self.limits.max_scalar_bytes {
                    return Err(Box::new(
                        Diagnostic::new(
                            Code::M0106,
                            Span::new(span.start, (span.start + 1).min(self.text.len())),
                            format!(
                                "a scalar of {} bytes is larger than the limit of {} bytes",
                                value.len(),
                                self.limits.max_scalar_bytes
                            ),
                        )
                        .label("this value")
                        .help("specs hold settings, not data; move large values to a data file"),
                    ));
                }
                self.budget(1, span)?;
                let style = match style {
                    ScalarStyle::Plain => Style::Plain,
                    ScalarStyle::SingleQuoted => Style::SingleQuoted,
                    ScalarStyle::DoubleQuoted => Style::DoubleQuoted,
                    ScalarStyle::Literal => Style::Literal,
                    ScalarStyle::Folded => Style::Folded,
                };
                let tag = tag.map(|t| format!("{}{}", t.handle, t.suffix));
                // The scanner may extend a scalar's span over trailing blanks
                // (and a comment); diagnostics must underline the value alone.
                let raw = self.text.get(span.start..span.end).unwrap_or("");
                let len = match style {
                    Style::SingleQuoted | Style::DoubleQuoted => quoted_len(raw),
                    _ => None,
                }
                .unwrap_or_else(|| raw.trim_end().len());
                let span = Span::new(span.start, span.start + len);
                let node = Node {
                    kind: NodeKind::Scalar(Scalar {
                        text: value.into_owned(),
                        style,
                        tag,
                    }),
                    span,
                };
                if anchor > 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                self.add(node)?;
            }
            Event::SequenceStart(anchor, _) => {
                self.push(
                    Frame::Seq {
                        items: Vec::new(),
                        start: span.start,
                        anchor,
                    },
                    span,
                )?;
            }
            Event::MappingStart(anchor, _) => {
                self.push(
                    Frame::Map {
                        entries: Vec::new(),
                        key: None,
                        seen: HashMap::new(),
                        start: span.start,
                        anchor,
                    },
                    span,
                )?;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return Ok(true);
                };
                let (kind, start, anchor) = match frame {
                    Frame::Seq {
                        items,
                        start,
                        anchor,
                    } => (NodeKind::Seq(items), start, anchor),
                    Frame::Map {
                        entries,
                        start,
                        anchor,
                        ..
                    } => (NodeKind::Map(entries), start, anchor),
                };
                let end = self.end_of(&kind).max(span.end).max(start);
                let node = Node {
                    kind,
                    span: Span::new(start, end),
                };
                if anchor > 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                self.add(node)?;
            }
        }
        Ok(true)
    }

    fn end_of(&self, kind: &NodeKind) -> usize {
        match kind {
            NodeKind::Seq(items) => items.last().map(|n| n.span.end).unwrap_or(0),
            NodeKind::Map(e) => e.last().map(|(_, v)| v.span.end).unwrap_or(0),
            NodeKind::Scalar(_) => 0,
        }
    }

    fn push(&mut self, frame: Frame, span: Span) -> Result<(), Box<Diagnostic>> {
        if self.stack.len() >= self.limits.max_depth {
            return Err(Box::new(
                Diagnostic::new(
                    Code::M0105,
                    span,
                    format!(
                        "the document nests deeper than {} levels",
                        self.limits.max_depth
                    ),
                )
                .label("too deep from here on")
                .help("a spec never needs this much nesting; flatten the structure"),
            ));
        }
        self.budget(1, span)?;
        self.stack.push(frame);
        Ok(())
    }

    fn budget(&mut self, n: usize, span: Span) -> Result<(), Box<Diagnostic>> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > self.limits.max_nodes {
            let max = self.limits.max_nodes;
            let d = if self.anchors.is_empty() {
                Diagnostic::new(Code::M0104, span, format!("the document has more than {max} nodes"))
                    .label("the node budget is used up here")
                    .help("a spec holds settings, not data: move records to a data file, or split the spec")
            } else {
                Diagnostic::new(Code::M0104, span, format!("YAML aliases expand the document to more than {max} nodes"))
                    .label("expansion passes the budget here")
                    .help("aliases (`*name`) copy whole subtrees; avoid nested aliases that multiply (an \"alias bomb\")")
            };
            return Err(Box::new(d));
        }
        Ok(())
    }

    fn add(&mut self, node: Node) -> Result<(), Box<Diagnostic>> {
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries, key, seen, ..
            }) => match key.take() {
                None => *key = Some(node),
                Some(k) => {
                    if let Some(ks) = k.as_scalar() {
                        if let Some(first) = seen
                            .get(&ks.text)
                            .and_then(|&i| entries.get(i))
                            .map(|(e, _)| e)
                        {
                            // Reported, and the second entry left out, so
                            // that every other problem of the file is still
                            // found in the same run (no cascade from it).
                            self.found.push(
                                Diagnostic::new(Code::M0102, k.span, format!("the key `{}` appears twice at this level", ks.text))
                                    .label("duplicate key")
                                    .related(first.span, "first defined here")
                                    .help("remove one of the two entries; YAML keeps only one of them, so the other would be silently lost"),
                            );
                            return Ok(());
                        }
                    }
                    if let Some(ks) = k.as_scalar() {
                        seen.insert(ks.text.clone(), entries.len());
                    }
                    entries.push((k, node));
                }
            },
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(s: &str) -> Node {
        let mut d = Diagnostics::new();
        let n = parse(s, Limits::default(), &mut d);
        assert!(d.is_empty(), "{d:?}");
        n.expect("node")
    }

    fn codes(s: &str) -> Vec<Code> {
        let mut d = Diagnostics::new();
        parse(s, Limits::default(), &mut d);
        d.iter().map(|d| d.code).collect()
    }

    #[test]
    fn keeps_spans_and_exact_text() {
        let src = "a: 10.005\nb: [x, 'y']\n";
        let n = parse_ok(src);
        let a = n.get("a").unwrap();
        assert_eq!(&src[a.span.start..a.span.end], "10.005");
        assert_eq!(a.as_scalar().unwrap().as_number(), Some("10.005"));
    }

    #[test]
    fn flow_scalar_spans_end_at_the_value() {
        let src = "m: { a: \"x\" , b: 'y''z'  }\nc: \"q\\\"\" # it's\n";
        let n = parse_ok(src);
        let m = n.get("m").unwrap();
        let a = m.get("a").unwrap();
        assert_eq!(&src[a.span.start..a.span.end], "\"x\"");
        let b = m.get("b").unwrap();
        assert_eq!(&src[b.span.start..b.span.end], "'y''z'");
        let c = n.get("c").unwrap();
        assert_eq!(&src[c.span.start..c.span.end], "\"q\\\"\"");
    }

    #[test]
    fn spans_are_bytes_with_non_ascii() {
        let src = "ä: ö\nb: c\n";
        let n = parse_ok(src);
        let b = n.get("b").unwrap();
        assert_eq!(&src[b.span.start..b.span.end], "c");
    }

    #[test]
    fn bad_documents_get_codes() {
        assert_eq!(codes("a: 1\na: 2\n"), vec![Code::M0102]);
        // A duplicate key does not stop the parse: later problems are found
        // too, and the first entry is the one kept.
        assert_eq!(
            codes("a: 1\na: 2\nb: [1, 2\n"),
            vec![Code::M0102, Code::M0101]
        );
        let mut d = Diagnostics::new();
        let n = parse(
            "a: 1\nb: {x: 1, x: 2, y: 3}\na: 2\n",
            Limits::default(),
            &mut d,
        )
        .unwrap();
        assert_eq!(
            d.iter().map(|d| d.code).collect::<Vec<_>>(),
            [Code::M0102, Code::M0102]
        );
        assert_eq!(n.get("a").unwrap().as_scalar().unwrap().text, "1");
        let b = n.get("b").unwrap();
        assert_eq!(b.get("x").unwrap().as_scalar().unwrap().text, "1");
        assert_eq!(b.get("y").unwrap().as_scalar().unwrap().text, "3");
        assert_eq!(codes("a:\n\tb: 1\n")[0], Code::M0103);
        assert_eq!(codes(""), vec![Code::M0108]);
        assert_eq!(codes("a: [1, 2\n"), vec![Code::M0101]);
        assert_eq!(codes("a: 1\n---\nb: 2\n"), vec![Code::M0109]);
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert_eq!(codes(&deep), vec![Code::M0105]);
        let bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n";
        assert_eq!(codes(bomb), vec![Code::M0104]);
    }
}
