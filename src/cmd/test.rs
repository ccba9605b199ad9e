//! `mapc test SPEC_OR_DIR...`: run inline `tests:` and `*.test.yaml` files.
//!
//! Discovery: a directory contributes every `*.mapc.yaml` and `*.test.yaml`
//! below it (hidden directories skipped); a spec also brings the
//! `*.test.yaml` files beside it that refer to it; a test file given on its
//! own runs only its cases (its spec is compiled, its inline tests are not
//! run). A test file names its spec with `spec:` (relative to the test
//! file); without it, `x.test.yaml` tests `x.mapc.yaml` (else `x.yaml`).
//!
//! Exit 0 when every test passed, 1 when a test failed or a spec or test file
//! has errors, 2 for usage problems: a path that does not exist, a directory
//! with no `*.mapc.yaml` spec and no `*.test.yaml` file in it (a typo'd
//! directory must not pass CI, as with `mapc check`), an unreadable file, a
//! bad `--as-of`.
//!
//! Specs that exist but have no tests are not an error: they were compiled
//! (a spec with errors fails), and a new spec may not have tests yet. When no
//! test ran at all, a note on standard error says so and the exit code is 0.

use super::out::{err, errln, outln};

use mapc_compile::{compile_file, CompileOptions};
use mapc_diag::{render, Code, Diagnostic, Format};
use mapc_engine::testing::{line_of, run_case, unseen_in_inputs, CaseResult, Mismatch};
use mapc_ir::Test;
use mapc_output::report::{rejection_text, unseen_line};
use mapc_syntax::spec::parse_test_file;
use serde_json::json;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TestFormat {
    /// Readable report with a diff per failure.
    #[default]
    Human,
    /// One JSON document with every test's result.
    Json,
}

#[derive(clap::Args, Debug)]
pub struct TestArgs {
    /// Spec files, `*.test.yaml` files, or directories to search.
    #[arg(required = true, value_name = "SPEC_OR_DIR")]
    pub paths: Vec<PathBuf>,
    /// The as-of date (YYYY-MM-DD) for tests without their own `as_of` [default: today, UTC].
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TestFormat::Human)]
    pub format: TestFormat,
    /// Cached `$metadata` (`{connection}.xml`) for type checks
    /// [default: `.mapc/schema` beside each spec, when present].
    #[arg(long, value_name = "DIR")]
    pub schema_cache: Option<PathBuf>,
}

/// A spec to test and the test files that go with it.
struct Unit {
    spec: PathBuf,
    inline: bool,
    test_files: Vec<PathBuf>,
}

fn is_test_file(p: &Path) -> bool {
    p.to_string_lossy().ends_with(".test.yaml")
}

fn walk(dir: &Path, specs: &mut Vec<PathBuf>, tests: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            if !path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            {
                walk(&path, specs, tests)?;
            }
        } else if is_test_file(&path) {
            tests.push(path);
        } else if path.to_string_lossy().ends_with(".mapc.yaml") {
            specs.push(path);
        }
    }
    Ok(())
}

/// The spec a test file refers to (its `spec:`, else by stem), and the
/// file's content when it could be read.
fn spec_of(test_file: &Path) -> std::io::Result<PathBuf> {
    let text = std::fs::read_to_string(test_file)?;
    let dir = test_file.parent().unwrap_or(Path::new("."));
    let parsed = parse_test_file(&test_file.display().to_string(), &text);
    if let Some(s) = parsed.spec {
        return Ok(dir.join(s.value));
    }
    let name = test_file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name.trim_end_matches(".test.yaml");
    let mapc = dir.join(format!("{stem}.mapc.yaml"));
    Ok(if mapc.exists() {
        mapc
    } else {
        dir.join(format!("{stem}.yaml"))
    })
}

fn same(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

fn discover(paths: &[PathBuf]) -> Result<Vec<Unit>, String> {
    let mut units: Vec<Unit> = Vec::new();
    let add = |units: &mut Vec<Unit>, spec: PathBuf, inline: bool, test: Option<PathBuf>| {
        let i = match units.iter().position(|u| same(&u.spec, &spec)) {
            Some(i) => i,
            None => {
                units.push(Unit {
                    spec,
                    inline: false,
                    test_files: Vec::new(),
                });
                units.len() - 1
            }
        };
        units[i].inline |= inline;
        if let Some(t) = test {
            if !units[i].test_files.iter().any(|x| same(x, &t)) {
                units[i].test_files.push(t);
            }
        }
    };
    for p in paths {
        if !p.exists() {
            return Err(format!("{} does not exist", p.display()));
        }
        let (mut specs, mut tests) = (Vec::new(), Vec::new());
        if p.is_dir() {
            walk(p, &mut specs, &mut tests)
                .map_err(|e| format!("cannot read directory {}: {e}", p.display()))?;
            if specs.is_empty() && tests.is_empty() {
                return Err(format!(
                    "no `*.mapc.yaml` spec and no `*.test.yaml` file found in {}",
                    p.display()
                ));
            }
        } else if is_test_file(p) {
            tests.push(p.clone());
        } else {
            specs.push(p.clone());
            // The test files beside a spec that refer to it.
            let dir = p
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            if let Ok(rd) = std::fs::read_dir(dir) {
                let mut beside: Vec<PathBuf> = rd
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|x| is_test_file(x))
                    .collect();
                beside.sort();
                for t in beside {
                    if spec_of(&t).is_ok_and(|s| same(&s, p)) {
                        tests.push(t);
                    }
                }
            }
        }
        for s in specs {
            add(&mut units, s, true, None);
        }
        for t in tests {
            let spec = spec_of(&t).map_err(|e| format!("cannot read {}: {e}", t.display()))?;
            add(&mut units, spec, false, Some(t));
        }
    }
    Ok(units)
}

/// A spec whose tests ran, kept for R0104 over the test inputs.
struct Ran {
    file: mapc_diag::SourceFile,
    program: mapc_ir::Program,
    /// Connections checked against cached `$metadata` (no R0104 for them).
    checked: Vec<String>,
    cases: Vec<Test>,
}

struct Reporter {
    human: bool,
    color: bool,
    passed: usize,
    failed: usize,
    json: Vec<serde_json::Value>,
    /// R0104 warnings (JSON format).
    warnings: Vec<serde_json::Value>,
    last_header: Option<String>,
}

impl Reporter {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    fn header(&mut self, file: &str) {
        if self.human && self.last_header.as_deref() != Some(file) {
            outln!("{file}");
            self.last_header = Some(file.to_string());
        }
    }

    fn result(&mut self, spec: &Path, file: &str, name: &str, line: usize, result: &CaseResult) {
        let status = if result.passed() { "passed" } else { "failed" };
        if result.passed() {
            self.passed += 1;
        } else {
            self.failed += 1;
        }
        let mismatches: &[Mismatch] = match result {
            CaseResult::Passed => &[],
            CaseResult::Failed { mismatches } => mismatches,
        };
        if self.human {
            self.header(file);
            if result.passed() {
                outln!("  {}   {name}", self.paint("32", "ok"));
            } else {
                outln!("  {} {name} ({file}:{line})", self.paint("31;1", "FAIL"));
                for m in mismatches {
                    let at = if m.path.is_empty() {
                        "outcome"
                    } else {
                        m.path.as_str()
                    };
                    outln!("       {at}");
                    outln!("         expected: {}", self.paint("32", &m.expected));
                    outln!("         actual:   {}", self.paint("31", &m.actual));
                }
            }
        } else {
            self.json.push(json!({
                "spec": spec.display().to_string(),
                "file": file,
                "line": line,
                "name": name,
                "status": status,
                "failures": mismatches.iter().map(|m| json!({"path": m.path, "expected": m.expected, "actual": m.actual})).collect::<Vec<_>>(),
            }));
        }
    }

    /// R0104: paths a mapping reads that no test input of it has (sources
    /// without cached `$metadata` only, where `check` could not see a
    /// misspelled name). Human format: on standard error, after the tests.
    fn unseen(&mut self, r: &Ran) {
        for (i, m) in r.program.mappings.iter().enumerate() {
            let cases: Vec<&Test> = r.cases.iter().filter(|t| t.mapping == i).collect();
            if cases.is_empty() || r.checked.contains(&m.source.connection) {
                continue;
            }
            for u in unseen_in_inputs(&r.program, i, &cases) {
                let line = unseen_line(&u, &r.file, ("test input", "test inputs"));
                if self.human {
                    eprintln!("{line}");
                    continue;
                }
                let (l, c) = u.span.map(|s| r.file.line_col(s.start)).unzip();
                self.warnings.push(json!({
                    "code": Code::R0104,
                    "file": r.file.name,
                    "line": l,
                    "column": c,
                    "mapping": m.name,
                    "path": u.path,
                    "suggestion": u.suggestion,
                    "message": line,
                }));
            }
        }
    }

    /// A spec or test file that could not be used: its diagnostics, one failure.
    fn broken(
        &mut self,
        spec: &Path,
        file: &mapc_diag::SourceFile,
        diags: &[Diagnostic],
        what: &str,
    ) {
        self.failed += 1;
        if self.human {
            self.header(&file.name);
            outln!("  {} {what}", self.paint("31;1", "FAIL"));
            let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            err!("{}", render(Format::Human { color }, &[(file, diags)]));
        } else {
            let rendered = render(Format::Json, &[(file, diags)]);
            let diagnostics = serde_json::from_str::<serde_json::Value>(&rendered)
                .ok()
                .and_then(|v| v.get("diagnostics").cloned())
                .unwrap_or(serde_json::Value::Null);
            self.json.push(json!({
                "spec": spec.display().to_string(),
                "file": file.name,
                "line": null,
                "name": null,
                "status": "error",
                "message": what,
                "diagnostics": diagnostics,
            }));
        }
    }
}

pub fn test(args: &TestArgs) -> i32 {
    let as_of = match super::preview::as_of_date(args.as_of.as_deref()) {
        Ok(d) => d,
        Err(e) => {
            errln!("error: {e}");
            return 2;
        }
    };
    let units = match discover(&args.paths) {
        Ok(u) => u,
        Err(e) => {
            errln!("error: {e}");
            return 2;
        }
    };
    if let Some(dir) = &args.schema_cache {
        if !dir.is_dir() {
            errln!("error: --schema-cache {}: not a directory (point it at a folder of `{{connection}}.xml` files holding each connection's `$metadata`)", dir.display());
            return 2;
        }
    }
    let mut rep = Reporter {
        human: args.format == TestFormat::Human,
        color: super::color_stdout(),
        passed: 0,
        failed: 0,
        json: Vec::new(),
        warnings: Vec::new(),
        last_header: None,
    };
    let mut unreadable = false;
    // Per spec whose tests ran: the cases, for R0104 over their inputs.
    let mut ran: Vec<Ran> = Vec::new();
    for unit in &units {
        let opts = CompileOptions {
            schema_cache: args
                .schema_cache
                .clone()
                .or_else(|| super::default_schema_cache(&unit.spec)),
        };
        let compiled = match compile_file(&unit.spec, &opts) {
            Ok(c) => c,
            Err(e) => {
                errln!("error: cannot read {}: {e}", unit.spec.display());
                unreadable = true;
                continue;
            }
        };
        let program = match (&compiled.program, compiled.has_errors()) {
            (Some(p), false) => p,
            _ => {
                let errors: Vec<Diagnostic> = compiled.diagnostics.clone();
                rep.broken(
                    &unit.spec,
                    &compiled.file,
                    &errors,
                    "the spec has errors; its tests were not run",
                );
                continue;
            }
        };
        let spec_name = compiled.file.name.clone();
        ran.push(Ran {
            cases: if unit.inline {
                program.tests.clone()
            } else {
                Vec::new()
            },
            program: program.clone(),
            checked: compiled.metadata.clone(),
            file: compiled.file.clone(),
        });
        if unit.inline {
            for t in &program.tests {
                let line = line_of(&compiled.file, t.span);
                rep.result(
                    &unit.spec,
                    &spec_name,
                    &t.name,
                    line,
                    &run_case(program, t, as_of, &|r| rejection_text(r, None)),
                );
            }
        }
        if unit.test_files.is_empty() {
            continue;
        }
        // Test files are lowered against the spec's AST, like inline tests
        // (the one the compile kept: the spec is read once).
        let spec_ast = compiled.ast.as_ref();
        for tf in &unit.test_files {
            let text = match std::fs::read_to_string(tf) {
                Ok(t) => t,
                Err(e) => {
                    errln!("error: cannot read {}: {e}", tf.display());
                    unreadable = true;
                    continue;
                }
            };
            let parsed = parse_test_file(&tf.display().to_string(), &text);
            let mut diags = parsed.diagnostics;
            let tests: Vec<Test> = match spec_ast {
                Some(ast) => {
                    mapc_ir::lower::lower_test_cases(ast, &parsed.cases, program, &mut diags)
                }
                None => Vec::new(),
            };
            if diags.has_errors() {
                // Cases with errors are left out; the others still run.
                let list = diags.into_sorted();
                rep.broken(
                    &unit.spec,
                    &parsed.file,
                    &list,
                    "the test file has errors; the cases with errors were not run",
                );
            }
            if let Some(r) = ran.last_mut() {
                r.cases.extend(tests.iter().cloned());
            }
            for t in &tests {
                let line = line_of(&parsed.file, t.span);
                rep.result(
                    &unit.spec,
                    &parsed.file.name,
                    &t.name,
                    line,
                    &run_case(program, t, as_of, &|r| rejection_text(r, None)),
                );
            }
        }
    }
    for r in &ran {
        rep.unseen(r);
    }
    if rep.human {
        let summary = format!("{} passed, {} failed", rep.passed, rep.failed);
        if rep.failed > 0 {
            outln!("{}", rep.paint("31;1", &summary));
        } else {
            outln!("{}", rep.paint("32", &summary));
        }
    } else {
        let doc = json!({ "tests": rep.json, "passed": rep.passed, "failed": rep.failed, "warnings": rep.warnings });
        outln!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    }
    if rep.passed + rep.failed == 0 && !unreadable {
        let n = units.len();
        errln!(
            "note: no tests found: the {} given ha{} no `tests:` and no `*.test.yaml` beside {} (exit 0)",
            if n == 1 { "spec".to_string() } else { format!("{n} specs") },
            if n == 1 { "s" } else { "ve" },
            if n == 1 { "it" } else { "them" },
        );
    }
    if unreadable {
        2
    } else if rep.failed > 0 {
        1
    } else {
        0
    }
}
