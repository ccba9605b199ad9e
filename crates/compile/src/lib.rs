//! The one compile pipeline every command uses: text -> AST (`mapc-syntax`)
//! -> spec rules (`mapc-check`) -> IR (`mapc-ir`, with types from cached
//! `$metadata` when available) -> metadata rules (`mapc-check`).
//!
//! The result, [`Compilation`], keeps the source (redacted) and the AST, so
//! no command reads or parses a spec file twice.

mod redact;

use mapc_check::{metadata, rules};
use mapc_diag::{Diagnostic, Diagnostics, SourceFile};
use mapc_ir::Program;
use mapc_syntax::spec::Spec;
use std::path::{Path, PathBuf};

pub use redact::redact_secrets;

#[derive(Clone, Debug, Default)]
pub struct CompileOptions {
    /// Directory of cached `$metadata` (`{connection}.xml`); enables M09xx checks.
    pub schema_cache: Option<PathBuf>,
}

/// The result of compiling one spec file.
pub struct Compilation {
    /// The spec text, with literal secrets redacted (what reports show).
    pub file: SourceFile,
    /// The AST, present whenever the file could be read as a spec, even
    /// with errors. Test files are lowered against it.
    pub ast: Option<Spec>,
    /// Present whenever the file could be read as a spec, even with errors
    /// (entries with errors are left out of it); callers check `has_errors`.
    pub program: Option<Program>,
    /// Sorted by position.
    pub diagnostics: Vec<Diagnostic>,
    /// The connections whose cached `$metadata` was read (with
    /// `--schema-cache`): their field names were checked (M0902).
    pub metadata: Vec<String>,
}

impl Compilation {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
    pub fn has_warnings(&self) -> bool {
        self.diagnostics.iter().any(|d| !d.is_error())
    }
    /// Whether the field names of `connection` were checked against cached
    /// `$metadata`; when not, `preview` and `test` watch for paths no
    /// record has (R0104).
    pub fn has_metadata(&self, connection: &str) -> bool {
        self.metadata.iter().any(|c| c == connection)
    }
}

/// Compiles a spec file. Only an unreadable file is an `Err`; everything
/// about its content is a diagnostic.
pub fn compile_file(path: &Path, opts: &CompileOptions) -> std::io::Result<Compilation> {
    let bytes = std::fs::read(path)?;
    Ok(compile_bytes(&path.display().to_string(), &bytes, opts))
}

pub fn compile_str(name: &str, text: &str, opts: &CompileOptions) -> Compilation {
    compile_bytes(name, text.as_bytes(), opts)
}

pub fn compile_bytes(name: &str, bytes: &[u8], opts: &CompileOptions) -> Compilation {
    let parsed = mapc_syntax::spec::parse_bytes(name, bytes);
    let mut diags: Diagnostics = parsed.diagnostics;
    let mut metadata = Vec::new();
    let mut secrets = Vec::new();
    let program = parsed.spec.as_ref().map(|spec| {
        secrets = rules::run(spec, &mut diags).secrets;
        let schemas = opts
            .schema_cache
            .as_deref()
            .map(|dir| metadata::Schemas::load(dir, spec, &mut diags));
        let lowered = mapc_ir::lower(
            spec,
            schemas.as_ref().map(|s| s as &dyn mapc_ir::SchemaInfo),
            &mut diags,
        );
        if let Some(s) = &schemas {
            s.check(spec, &lowered.program, &mut diags);
            metadata = s.connections().map(str::to_string).collect();
        }
        lowered.program
    });
    let diagnostics = diags.into_sorted();
    let mut file = parsed.file;
    redact::redact_secrets(&mut file);
    // The literal secrets the rules found (M0801), wherever they are.
    for span in secrets {
        file.redact(span);
    }
    Compilation {
        file,
        ast: parsed.spec,
        program,
        diagnostics,
        metadata,
    }
}
