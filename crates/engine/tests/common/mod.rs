//! Shared helpers: specs from YAML text through the real parser and lowering,
//! records through the real reader and engine.
#![allow(dead_code)]

use jiff::civil::Date;
use mapc_connect::source::{self, MemorySource, Source};
use mapc_engine::{Compiled, Options, Outcome};
use mapc_ir::Program;

pub const AS_OF: Date = Date::constant(2026, 11, 22);

/// Parses and lowers a spec; panics with the diagnostics when it has errors.
pub fn program(yaml: &str) -> Program {
    let parsed = mapc_syntax::spec::parse_str("test.mapc.yaml", yaml);
    let mut diags = parsed.diagnostics;
    let spec = parsed
        .spec
        .unwrap_or_else(|| panic!("not a spec: {:?}", diags));
    let lowered = mapc_ir::lower(&spec, None, &mut diags);
    let errors: Vec<String> = diags
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{} {}", d.code, d.message))
        .collect();
    assert!(errors.is_empty(), "spec has errors: {errors:#?}\n{yaml}");
    lowered.program
}

/// A spec with one mapping whose body (fields, rules, products, ...) is
/// given as YAML lines indented by 4 spaces.
pub fn spec_with(body: &str) -> String {
    format!(
        "mapc: 1\nname: t\nconnections:\n  src: {{ kind: file, path: in.ndjson }}\n  out: {{ kind: file, path: out.ndjson }}\nmappings:\n  - name: m\n    source: {{ connection: src, entity: thing, key: id }}\n    target: {{ connection: out, entity: other }}\n    related:\n      customer: {{ entity: account, via: customerid }}\n{body}"
    )
}

/// What became of a record, owned, for assertions.
#[derive(Clone, Debug, PartialEq)]
pub enum Got {
    Written(String, Vec<String>),
    Skipped(usize),
    Filtered,
    Rejected {
        code: String,
        field: Option<String>,
        message: String,
        line: usize,
        index: usize,
        /// The line a preview prints for it (without a spec at hand).
        report: String,
    },
}

impl Got {
    pub fn json(&self) -> &str {
        match self {
            Got::Written(j, _) => j,
            other => panic!("expected a written record, got {other:?}"),
        }
    }
    pub fn code(&self) -> &str {
        match self {
            Got::Rejected { code, .. } => code,
            other => panic!("expected a rejection, got {other:?}"),
        }
    }
    /// The report line of a rejection.
    pub fn report(&self) -> &str {
        match self {
            Got::Rejected { report, .. } => report,
            other => panic!("expected a rejection, got {other:?}"),
        }
    }
    pub fn value(&self) -> serde_json::Value {
        serde_json::from_str(self.json()).expect("output is JSON")
    }
}

pub fn collect(c: &Compiled, src: &mut dyn Source) -> Vec<Got> {
    let mut got = Vec::new();
    let mut sink = |o: Outcome<'_>| -> std::io::Result<()> {
        got.push(match o {
            Outcome::Written { json, warnings, .. } => Got::Written(
                String::from_utf8(json.to_vec()).expect("utf-8 output"),
                warnings
                    .iter()
                    .map(|w| format!("{} {}", w.code, w.message))
                    .collect(),
            ),
            Outcome::Skipped { rule, .. } => Got::Skipped(rule),
            Outcome::Filtered { .. } => Got::Filtered,
            Outcome::Rejected(r) => Got::Rejected {
                report: mapc_output::report::rejection_line(&r, None),
                code: r.code.to_string(),
                field: r.field,
                message: r.message,
                line: r.at.line,
                index: r.at.index,
            },
        });
        Ok(())
    };
    c.run(src, &mut sink).expect("run");
    got
}

pub fn compiled(yaml: &str, as_of: Date) -> Compiled {
    let p = program(yaml);
    Compiled::new(&p, 0, Options::new(as_of)).expect("compiles")
}

/// Runs records (JSON texts) through a spec's first mapping.
pub fn run(yaml: &str, records: &[&str]) -> Vec<Got> {
    run_as_of(yaml, records, AS_OF)
}

pub fn run_as_of(yaml: &str, records: &[&str], as_of: Date) -> Vec<Got> {
    let c = compiled(yaml, as_of);
    let mut src = MemorySource::new(
        "mem",
        records.iter().map(|r| r.as_bytes().to_vec()).collect(),
    );
    collect(&c, &mut src)
}

/// Runs a whole input file's bytes, with the reader for `format`.
pub fn run_bytes(yaml: &str, format: mapc_connect::Format, bytes: Vec<u8>) -> Vec<Got> {
    let c = compiled(yaml, AS_OF);
    let mut src = source::from_reader(format, "input".into(), std::io::Cursor::new(bytes));
    collect(&c, &mut *src)
}

pub fn one(yaml: &str, record: &str) -> Got {
    run(yaml, &[record]).pop().expect("one outcome")
}
