//! One module per subcommand.
pub mod check;
pub mod explain;
pub mod out;
pub mod preview;
pub mod run;
pub mod state;
pub mod test;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Whether to use ANSI colors on standard output.
pub fn color_stdout() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Expands directories to the `*.mapc.yaml` specs inside them (sorted, recursive).
pub fn expand_specs(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found)
                .map_err(|e| format!("cannot read directory {}: {e}", p.display()))?;
            if found.is_empty() {
                return Err(format!("no `*.mapc.yaml` spec found in {}", p.display()));
            }
            found.sort();
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    // The same spec named twice (or inside a named directory) is checked once.
    let mut seen = std::collections::HashSet::new();
    out.retain(|p| seen.insert(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone())));
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            if !path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            {
                walk(&path, out)?;
            }
        } else if path.to_string_lossy().ends_with(".mapc.yaml") {
            out.push(path);
        }
    }
    Ok(())
}

/// The default schema cache: `.mapc/schema` beside the spec, when it exists.
pub fn default_schema_cache(spec: &Path) -> Option<PathBuf> {
    let dir = spec
        .parent()
        .unwrap_or(Path::new("."))
        .join(".mapc")
        .join("schema");
    dir.is_dir().then_some(dir)
}
