use super::out::{errln, out};
use mapc_compile::{compile_file, CompileOptions};
use mapc_diag::{render, Format};
use std::path::PathBuf;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    Human,
    Json,
    Github,
    Sarif,
}

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Spec files, or directories to search for `*.mapc.yaml`.
    #[arg(required = true, value_name = "SPEC")]
    pub specs: Vec<PathBuf>,
    /// Output format of the diagnostics.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
    /// Cached `$metadata` (`{connection}.xml`) for entity, field and type checks
    /// [default: `.mapc/schema` beside the spec, when present].
    #[arg(long, value_name = "DIR")]
    pub schema_cache: Option<PathBuf>,
    /// Exit with 1 when there are warnings, too.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Print nothing but the diagnostics (no summary line).
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(args: &CheckArgs) -> i32 {
    let specs = match super::expand_specs(&args.specs) {
        Ok(s) => s,
        Err(e) => {
            errln!("error: {e}");
            return 2;
        }
    };
    if let Some(dir) = &args.schema_cache {
        if !dir.is_dir() {
            errln!("error: --schema-cache {}: not a directory (point it at a folder of `{{connection}}.xml` files holding each connection's `$metadata`; the connector's `mapc schema pull` will fill it)", dir.display());
            return 2;
        }
    }
    let mut compiled = Vec::new();
    let mut unreadable = false;
    for path in &specs {
        if path.to_string_lossy().ends_with(".test.yaml") {
            errln!(
                "error: {} is a test file (`spec:` + `tests:`), not a spec; run `mapc test {}`",
                path.display(),
                path.display()
            );
            unreadable = true;
            continue;
        }
        let opts = CompileOptions {
            schema_cache: args
                .schema_cache
                .clone()
                .or_else(|| super::default_schema_cache(path)),
        };
        match compile_file(path, &opts) {
            Ok(c) => compiled.push(c),
            Err(e) => {
                errln!("error: cannot read {}: {e}", path.display());
                unreadable = true;
            }
        }
    }
    let format = match args.format {
        OutputFormat::Human => Format::Human {
            color: super::color_stdout(),
        },
        OutputFormat::Json => Format::Json,
        OutputFormat::Github => Format::Github,
        OutputFormat::Sarif => Format::Sarif,
    };
    let files: Vec<_> = compiled
        .iter()
        .map(|c| (&c.file, c.diagnostics.as_slice()))
        .collect();
    out!("{}", render(format, &files));
    let errors: usize = compiled
        .iter()
        .map(|c| c.diagnostics.iter().filter(|d| d.is_error()).count())
        .sum();
    let warnings: usize = compiled
        .iter()
        .map(|c| c.diagnostics.iter().filter(|d| !d.is_error()).count())
        .sum();
    if !args.quiet && args.format == OutputFormat::Human && !compiled.is_empty() {
        let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
        errln!(
            "{} checked: {}, {}",
            plural(compiled.len(), "spec"),
            plural(errors, "error"),
            plural(warnings, "warning")
        );
        if errors == 0 && warnings > 0 && args.deny_warnings {
            errln!("failing because of --deny-warnings");
        }
    }
    if unreadable {
        2
    } else if errors > 0 || (args.deny_warnings && warnings > 0) {
        1
    } else {
        0
    }
}
