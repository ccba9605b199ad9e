//! `mapc preview SPEC --input FILE`: run one mapping over sample records.
//!
//! Standard output carries only target records (a pretty JSON array, NDJSON,
//! or a table); skipped, rejected and warned records are listed on standard
//! error, in input order, followed by a one-line summary and, when records
//! were rejected, a line saying that this is why the exit code is 1. Exit 0,
//! or 1 when a record was rejected or the spec has errors, 2 for usage
//! problems and unreadable files (a directory, a file whose format cannot be
//! told).
//!
//! `--input -` reads standard input; its format must be given with
//! `--input-format` (which also overrides a file's extension).
//! `--as-update` shows what an update of existing target records would
//! write: `sync: once` entries are left out, except a field that writes the
//! target key (`target.key`), which is always written (the key is how an
//! update finds its record).
//!
//! `--format table` shows strings bare, except those that would be misread
//! (leading/trailing spaces, or text such as `null`, `true` or `12`), which
//! are JSON-quoted; columns are aligned by display width.

use super::out::{err, errln};

use mapc_compile::{compile_file, CompileOptions};
use mapc_connect::source;
use mapc_diag::{code_list, render, Format};
use mapc_engine::{Compiled, Options, Outcome, WriteMode};
use mapc_ir::{ConnectionKind, Program};
use mapc_output::report::{exit_line, report_lines, unseen_line};
use mapc_output::{PrettyArray, Table};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PreviewFormat {
    /// A pretty-printed JSON array of target records.
    #[default]
    Json,
    /// One target record per line.
    Ndjson,
    /// An aligned table of the top-level target fields.
    Table,
}

/// The format of the input records.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputFormat {
    /// One JSON object per line (also `jsonl`).
    #[value(alias = "jsonl")]
    Ndjson,
    /// A JSON array of objects (or objects one after another).
    Json,
    /// A header row, then one record per row.
    Csv,
}

impl From<InputFormat> for mapc_connect::Format {
    fn from(f: InputFormat) -> mapc_connect::Format {
        match f {
            InputFormat::Ndjson => mapc_connect::Format::Ndjson,
            InputFormat::Json => mapc_connect::Format::Json,
            InputFormat::Csv => mapc_connect::Format::Csv,
        }
    }
}

#[derive(clap::Args, Debug)]
pub struct PreviewArgs {
    /// The spec file.
    #[arg(value_name = "SPEC")]
    pub spec: PathBuf,
    /// Sample source records: `.ndjson`/`.jsonl`, `.json` (an array) or `.csv`; `-` for standard input.
    #[arg(long, short, value_name = "FILE")]
    pub input: PathBuf,
    /// The input's format [default: from the file extension; required for `--input -`].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub input_format: Option<InputFormat>,
    /// Show what an update of existing target records would write (`sync: once` fields left out, except the target key).
    #[arg(long)]
    pub as_update: bool,
    /// Output format of the target records.
    #[arg(long, value_enum, default_value_t = PreviewFormat::Json)]
    pub format: PreviewFormat,
    /// The mapping to run [default: the only active one, else the one reading a file].
    #[arg(long, value_name = "NAME")]
    pub mapping: Option<String>,
    /// The as-of date (YYYY-MM-DD) for `today()` and sales-price expiry [default: today, UTC].
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Cached `$metadata` for type checks and CSV column types [default: `.mapc/schema` beside the spec, when present].
    #[arg(long, value_name = "DIR")]
    pub schema_cache: Option<PathBuf>,
    /// The CSV delimiter: `,`, `;`, `|` or `tab` [default: the file connection's `delimiter:`, else detected from the header].
    #[arg(long, value_name = "CHAR")]
    pub csv_delimiter: Option<String>,
}

/// Parses `--as-of`, or today's date in UTC.
pub fn as_of_date(arg: Option<&str>) -> Result<jiff::civil::Date, String> {
    match arg {
        Some(s) => {
            use mapc_value::dates::{parse_ymd, YmdError};
            match parse_ymd(s.trim()) {
                Ok(_) => mapc_value::parse_ymd(s.trim().as_bytes())
                    .ok_or_else(|| format!("--as-of `{s}` is out of range")),
                Err(YmdError::NoSuchDay(why)) => Err(format!("--as-of `{s}` is not a date: {why}")),
                Err(YmdError::Shape) => Err(format!(
                    "--as-of `{s}` is not a date in the form YYYY-MM-DD"
                )),
            }
        }
        None => Ok(jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date()),
    }
}

/// Picks the mapping to preview: `--mapping NAME`; else the only active
/// mapping; else the only active mapping whose source is a `file`
/// connection; otherwise an error that lists the names. Preview's own
/// choice (its error names the `--mapping` flag; `run` runs every active
/// mapping), so it lives with the command.
fn select_mapping(program: &Program, name: Option<&str>) -> Result<usize, String> {
    let names = || code_list(program.mappings.iter().map(|m| &m.name));
    if program.mappings.is_empty() {
        return Err("the spec has no mapping that can run".into());
    }
    if let Some(n) = name {
        return program
            .mappings
            .iter()
            .position(|m| m.name == n)
            .ok_or_else(|| {
                format!(
                    "the spec has no mapping `{n}`; its mappings are {}",
                    names()
                )
            });
    }
    let active: Vec<usize> = (0..program.mappings.len())
        .filter(|&i| program.mappings[i].active)
        .collect();
    if active.len() == 1 {
        return Ok(active[0]);
    }
    let candidates: Vec<usize> = if active.is_empty() {
        (0..program.mappings.len()).collect()
    } else {
        active
    };
    if candidates.len() == 1 {
        return Ok(candidates[0]);
    }
    let file_sourced: Vec<usize> = candidates
        .iter()
        .copied()
        .filter(|&i| program.mappings[i].source.kind == ConnectionKind::File)
        .collect();
    if file_sourced.len() == 1 {
        return Ok(file_sourced[0]);
    }
    Err(format!(
        "the spec has {} mappings; choose one with --mapping NAME: {}",
        program.mappings.len(),
        names()
    ))
}

/// Prints an input's refusal (coded when the reader gave a code).
pub fn input_failure(name: &str, e: &std::io::Error) {
    match source::input_error(e) {
        Some(ie) => {
            errln!("error[{}]: {name}: {}", ie.code, ie.message);
            if let Some(h) = &ie.help {
                errln!("  help: {h}");
            }
        }
        None => errln!("error: {name}: {e}"),
    }
}

/// Prints what a reader noticed about its input as a whole; returns how
/// many of those are warnings (coded), for the summary line.
pub fn input_notes(name: &str, notes: &[source::Note]) -> usize {
    let mut warnings = 0;
    for n in notes {
        match n.code {
            Some(code) => {
                warnings += 1;
                errln!("warning[{code}]: {name}: {}", n.message)
            }
            None => errln!("note: {name}: {}", n.message),
        }
    }
    warnings
}

pub fn preview(args: &PreviewArgs) -> i32 {
    let as_of = match as_of_date(args.as_of.as_deref()) {
        Ok(d) => d,
        Err(e) => {
            errln!("error: {e}");
            return 2;
        }
    };
    if let Some(cli) = &args.schema_cache {
        if !cli.is_dir() {
            errln!("error: --schema-cache {}: not a directory (point it at a folder of `{{connection}}.xml` files holding each connection's `$metadata`)", cli.display());
            return 2;
        }
    }
    let csv_delimiter = match args.csv_delimiter.as_deref() {
        None => None,
        Some(d) => match mapc_syntax::spec::delimiter_byte(d) {
            Some(b) => Some(b),
            None => {
                errln!("error: --csv-delimiter `{}` is not a CSV delimiter: use `,`, `;`, `|` or `tab`", d.escape_debug());
                return 2;
            }
        },
    };
    let opts = CompileOptions {
        schema_cache: args
            .schema_cache
            .clone()
            .or_else(|| super::default_schema_cache(&args.spec)),
    };
    let compiled = match compile_file(&args.spec, &opts) {
        Ok(c) => c,
        Err(e) => {
            errln!("error: cannot read {}: {e}", args.spec.display());
            return 2;
        }
    };
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    if !compiled.diagnostics.is_empty() {
        err!(
            "{}",
            render(
                Format::Human { color },
                &[(&compiled.file, compiled.diagnostics.as_slice())]
            )
        );
    }
    let program = match (&compiled.program, compiled.has_errors()) {
        (Some(p), false) => p,
        _ => {
            errln!(
                "error: {} has errors; fix them (see `mapc check`) before previewing",
                args.spec.display()
            );
            return 1;
        }
    };
    let index = match select_mapping(program, args.mapping.as_deref()) {
        Ok(i) => i,
        Err(e) => {
            errln!("error: {e}");
            return 2;
        }
    };
    let mode = if args.as_update {
        WriteMode::Update
    } else {
        WriteMode::Create
    };
    let mut engine = match Compiled::new(program, index, Options { as_of, mode }) {
        Ok(c) => c,
        Err(e) => {
            errln!(
                "error: mapping `{}` cannot run: {e}",
                program.mappings[index].name
            );
            return 1;
        }
    };
    // Without metadata the source's field names were not checked: watch
    // for paths that no record has (R0104, a misspelled `from:`).
    if !compiled.has_metadata(&program.mappings[index].source.connection) {
        engine.track_reads();
    }
    let mut csv = engine.csv_options().clone();
    if csv_delimiter.is_some() {
        csv.delimiter = csv_delimiter;
    }
    let mut src = match source::open_with(&args.input, args.input_format.map(Into::into), &csv) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => {
            errln!("error: {e}");
            return 2;
        }
        Err(e) => {
            errln!("error: cannot read {}: {e}", args.input.display());
            return 2;
        }
    };

    let stdout = std::io::stdout();
    let out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let file = &compiled.file;
    let input_name = src.name().to_string();
    let mut reports: Vec<String> = Vec::new();
    // Records rejected so far: the exit code when standard output closes early.
    let mut rejected = 0usize;
    let result = match args.format {
        PreviewFormat::Ndjson => {
            let mut out = out;
            let stderr = std::io::stderr();
            let mut err = std::io::BufWriter::new(stderr.lock());
            let mut sink = |o: Outcome<'_>| -> std::io::Result<()> {
                rejected += usize::from(matches!(o, Outcome::Rejected(_)));
                if let Outcome::Written { json, .. } = &o {
                    out.write_all(json)?;
                    out.write_all(b"\n")?;
                }
                // A closed standard error must not stop the records.
                for l in report_lines(&o, Some(file), &input_name) {
                    let _ = writeln!(err, "{l}");
                }
                Ok(())
            };
            let r = engine.run_parallel(&mut *src, &mut sink);
            let flushed = out.flush();
            let _ = err.flush();
            r.and_then(|s| flushed.map(|_| s))
        }
        PreviewFormat::Json => {
            let mut arr = PrettyArray::new(out);
            let mut sink = |o: Outcome<'_>| -> std::io::Result<()> {
                rejected += usize::from(matches!(o, Outcome::Rejected(_)));
                if let Outcome::Written { json, .. } = &o {
                    arr.record(json)?;
                }
                reports.extend(report_lines(&o, Some(file), &input_name));
                Ok(())
            };
            let r = engine.run_parallel(&mut *src, &mut sink);
            r.and_then(|s| arr.finish().map(|_| s))
        }
        PreviewFormat::Table => {
            let mut table = Table::default();
            let mut sink = |o: Outcome<'_>| -> std::io::Result<()> {
                rejected += usize::from(matches!(o, Outcome::Rejected(_)));
                if let Outcome::Written { json, .. } = &o {
                    table.record(json);
                }
                reports.extend(report_lines(&o, Some(file), &input_name));
                Ok(())
            };
            let r = engine.run_parallel(&mut *src, &mut sink);
            let mut out = out;
            r.and_then(|s| {
                out.write_all(table.render().as_bytes())
                    .and(out.flush())
                    .map(|_| s)
            })
        }
    };
    let summary = match result {
        Ok(s) => s,
        // Standard output was closed (`| head`): stop quietly; see `out`.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return i32::from(rejected > 0),
        Err(e) => {
            for l in &reports {
                errln!("{l}");
            }
            input_notes(&input_name, &src.notes());
            input_failure(&input_name, &e);
            return 2;
        }
    };
    for l in &reports {
        errln!("{l}");
    }
    let input_warnings = input_notes(&input_name, &src.notes());
    let unseen = engine.unseen_paths();
    for u in &unseen {
        errln!("{}", unseen_line(u, file, ("record read", "records read")));
    }
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    errln!(
        "{} read: {} written, {} skipped, {} filtered out, {} rejected, {} (mapping `{}`, as of {as_of}{})",
        plural(summary.read, "record"),
        summary.written,
        summary.skipped,
        summary.filtered,
        summary.rejected,
        plural(summary.warnings + input_warnings + unseen.len(), "warning"),
        engine.mapping_name(),
        if args.as_update { ", as an update" } else { "" },
    );
    if let Some(l) = exit_line(summary.rejected) {
        errln!("{l}");
    }
    if summary.rejected > 0 {
        1
    } else {
        0
    }
}
