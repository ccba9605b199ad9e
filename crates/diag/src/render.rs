//! Renderers for diagnostics: `human` (miette), `json`, `github`, `sarif`.

use crate::snippet::View;
use crate::{Code, Diagnostic, Severity, SourceFile, Span};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan};
use serde_json::{json, Value};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// miette report; `color` picks ANSI or plain text.
    Human {
        color: bool,
    },
    Json,
    Github,
    Sarif,
}

/// Renders the diagnostics of several files as one document.
pub fn render(format: Format, files: &[(&SourceFile, &[Diagnostic])]) -> String {
    match format {
        Format::Human { color } => files
            .iter()
            .flat_map(|(f, ds)| ds.iter().map(move |d| human(f, d, color)))
            .collect::<Vec<_>>()
            .join(""),
        Format::Json => {
            let all: Vec<Value> = files
                .iter()
                .flat_map(|(f, ds)| ds.iter().map(move |d| to_json(f, d)))
                .collect();
            let mut s =
                serde_json::to_string_pretty(&json!({ "diagnostics": all })).unwrap_or_default();
            s.push('\n');
            s
        }
        Format::Github => files
            .iter()
            .flat_map(|(f, ds)| ds.iter().map(move |d| github(f, d)))
            .collect(),
        Format::Sarif => sarif(files),
    }
}

struct Report<'a> {
    d: &'a Diagnostic,
    /// The primary and related spans, snapped to character boundaries.
    primary: Span,
    related: Vec<(Span, &'a str)>,
    src: View<'a>,
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.d.message)
    }
}
impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.d.message)
    }
}
impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.d.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.d
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.src)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let primary =
            LabeledSpan::new_primary_with_span(self.d.label.clone(), self.src.span(self.primary));
        let related = self
            .related
            .iter()
            .map(|(s, l)| LabeledSpan::new_with_span(Some(l.to_string()), self.src.span(*s)));
        Some(Box::new(std::iter::once(primary).chain(related)))
    }
}

fn human(file: &SourceFile, d: &Diagnostic, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_context_lines(1)
        .with_links(false);
    let primary = file.snap(d.span);
    let related: Vec<(Span, &str)> = d
        .related
        .iter()
        .map(|(s, l)| (file.snap(*s), l.as_str()))
        .collect();
    let labels: Vec<Span> = std::iter::once(primary)
        .chain(related.iter().map(|(s, _)| *s))
        .collect();
    let report = Report {
        d,
        primary,
        related,
        src: View::new(file, &labels),
    };
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        let (line, col) = file.line_col(d.span.start);
        out = format!(
            "{}:{}:{}: {} [{}]\n",
            file.name, line, col, d.message, d.code
        );
    }
    out
}

fn severity_str(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn to_json(file: &SourceFile, d: &Diagnostic) -> Value {
    let span = file.snap(d.span);
    let (line, column) = file.line_col(span.start);
    let (end_line, end_column) = file.line_col(span.end);
    json!({
        "severity": severity_str(d.severity),
        "code": d.code,
        "message": d.message,
        "file": file.name,
        "line": line,
        "column": column,
        "end_line": end_line,
        "end_column": end_column,
        "label": d.label,
        "help": d.help,
    })
}

/// Escapes per the GitHub workflow-command rules (data and property values).
fn gh_escape(s: &str, property: bool) -> String {
    let mut out = s
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    if property {
        out = out.replace(':', "%3A").replace(',', "%2C");
    }
    out
}

fn github(file: &SourceFile, d: &Diagnostic) -> String {
    let span = file.snap(d.span);
    let (line, col) = file.line_col(span.start);
    let (end_line, end_col) = file.line_col(span.end);
    let mut msg = format!("{} [{}]", d.message, d.code);
    if let Some(h) = &d.help {
        msg.push_str("\nhelp: ");
        msg.push_str(h);
    }
    format!(
        "::{} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
        severity_str(d.severity),
        gh_escape(&file.name, true),
        line,
        col,
        end_line,
        end_col,
        gh_escape(&format!("mapc {}", d.code), true),
        gh_escape(&msg, false)
    )
}

fn sarif(files: &[(&SourceFile, &[Diagnostic])]) -> String {
    let mut used: Vec<Code> = files
        .iter()
        .flat_map(|(_, ds)| ds.iter().map(|d| d.code))
        .collect();
    used.sort_unstable();
    used.dedup();
    let rules: Vec<Value> = used
        .iter()
        .map(|code| {
            let info = code.info();
            json!({
                "id": code,
                "name": info.name,
                "shortDescription": { "text": info.summary },
                "help": { "text": format!("Run `mapc explain {code}`"), "markdown": info.explain },
            })
        })
        .collect();
    let results: Vec<Value> = files
        .iter()
        .flat_map(|(f, ds)| {
            ds.iter().map(move |d| {
                let span = f.snap(d.span);
                let (line, col) = f.line_col(span.start);
                let (end_line, end_col) = f.line_col(span.end);
                let mut text = d.message.clone();
                if let Some(h) = &d.help {
                    text.push_str("\nhelp: ");
                    text.push_str(h);
                }
                json!({
                    "ruleId": d.code,
                    "level": severity_str(d.severity),
                    "message": { "text": text },
                    "locations": [{ "physicalLocation": {
                        "artifactLocation": { "uri": uri(&f.name) },
                        "region": { "startLine": line, "startColumn": col, "endLine": end_line, "endColumn": end_col }
                    }}]
                })
            })
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": { "name": "mapc", "version": env!("CARGO_PKG_VERSION"), "rules": rules } },
            "results": results
        }]
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

/// A file path as a SARIF `uri` (a relative URI reference): `/` separators,
/// and every byte outside the unreserved and path characters percent-encoded.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.replace('\\', "/").bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/:@!$&'()*+,;=".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn human_of(text: &str, span: Span) -> String {
        let f = SourceFile::new("a.yaml", text);
        let d = Diagnostic::new(Code::M0202, span, "m").label("here");
        render(Format::Human { color: false }, &[(&f, &[d])])
    }

    #[test]
    fn human_header_column_counts_characters() {
        // `x` is the 6th character of its line but its 8th byte.
        let text = "k: 1\nä: ü x: 1\n";
        let at = text.find('x').unwrap();
        let out = human_of(text, Span::new(at, at + 1));
        assert!(out.contains("[a.yaml:2:6]"), "{out}");
        let f = SourceFile::new("a.yaml", text);
        let d = Diagnostic::new(Code::M0202, Span::new(at, at + 1), "m");
        let json = render(Format::Json, &[(&f, std::slice::from_ref(&d))]);
        assert!(json.contains("\"column\": 6"), "{json}");
    }

    #[test]
    fn spans_inside_a_character_render_in_every_format() {
        let text = "\u{feff}a: ü\n";
        for span in [
            Span::new(0, 1),
            Span::new(7, 7),
            Span::new(6, 7),
            Span::new(99, 120),
        ] {
            let f = SourceFile::new("a.yaml", text);
            let d = Diagnostic::new(Code::M0101, span, "m").related(Span::new(1, 2), "r");
            for format in [
                Format::Human { color: false },
                Format::Json,
                Format::Github,
                Format::Sarif,
            ] {
                let out = render(format, &[(&f, std::slice::from_ref(&d))]);
                assert!(out.contains('m'), "{format:?} {span:?}: {out}");
            }
        }
    }

    #[test]
    fn labels_past_column_65535_render() {
        let text = format!("a: \"{}\", b: 1\n", "é".repeat(70_000));
        let at = text.find("b:").unwrap();
        let out = human_of(&text, Span::new(at, at + 1));
        assert!(
            out.contains("[a.yaml:1:70008]"),
            "{}",
            &out[..out.len().min(500)]
        );
        assert!(out.lines().all(|l| l.chars().count() < 300), "{out}");
        // A label over the whole long line, and one starting on it and
        // ending on the next line.
        let out = human_of(&text, Span::new(0, text.len()));
        assert!(out.contains("[a.yaml:1:1]"), "{out}");
        let text2 = format!("{}x: 1\n", text);
        let out = human_of(&text2, Span::new(at, text.len() + 2));
        assert!(out.contains("[a.yaml:1:70008]"), "{out}");
    }

    #[test]
    fn sarif_uris_are_percent_encoded() {
        assert_eq!(uri("specs/my spec.mapc.yaml"), "specs/my%20spec.mapc.yaml");
        assert_eq!(uri("a/ü.yaml"), "a/%C3%BC.yaml");
        assert_eq!(uri("plain/path.yaml"), "plain/path.yaml");
    }
}
