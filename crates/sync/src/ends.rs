//! Where a run reads and writes: a connection's settings with the
//! environment's overlay applied and `${NAME}` variables resolved (at run
//! time only; `check` never needs them), and the file a file connection
//! means for an entity.

use mapc_ir::program::{ConnectionKind, Environment, Program};
use std::path::{Path, PathBuf};

/// A connection ready to open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    pub name: String,
    pub kind: ConnectionKind,
    pub settings: Vec<(String, String)>,
}

impl Resolved {
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// The environment a run uses: `--env NAME`, else the one marked
/// `default: true`, else none.
pub fn environment<'p>(
    program: &'p Program,
    name: Option<&str>,
) -> Result<Option<&'p Environment>, String> {
    match name {
        Some(n) => program
            .environments
            .iter()
            .find(|e| e.name == n)
            .map(Some)
            .ok_or_else(|| {
                let known: Vec<&str> = program
                    .environments
                    .iter()
                    .map(|e| e.name.as_str())
                    .collect();
                if known.is_empty() {
                    format!("--env {n}: the spec has no `environments:`")
                } else {
                    format!(
                        "--env {n}: the spec has no such environment (it has: {})",
                        known.join(", ")
                    )
                }
            }),
        None => Ok(program.environments.iter().find(|e| e.default)),
    }
}

/// Applies the overlay and resolves `${NAME}` from `vars`.
pub fn resolve(
    program: &Program,
    connection: &str,
    env: Option<&Environment>,
    vars: &dyn Fn(&str) -> Option<String>,
) -> Result<Resolved, String> {
    let c = program
        .connection(connection)
        .ok_or_else(|| format!("the spec has no connection `{connection}`"))?;
    let mut kind = c.kind;
    let mut settings = c.settings.clone();
    if let Some((_, over)) = env.and_then(|e| e.overlays.iter().find(|(n, _)| n == connection)) {
        for (k, v) in over {
            if k == "kind" {
                kind = kind_of(v).unwrap_or(kind);
                continue;
            }
            match settings.iter_mut().find(|(sk, _)| sk == k) {
                Some(slot) => slot.1 = v.clone(),
                None => settings.push((k.clone(), v.clone())),
            }
        }
    }
    for (k, v) in &mut settings {
        *v = interpolate(v, vars).map_err(|var| {
            format!(
                "connection `{connection}`, `{k}`: the environment variable `{var}` is not set (set it, or change `{k}:` in the spec)"
            )
        })?;
    }
    Ok(Resolved {
        name: connection.to_string(),
        kind,
        settings,
    })
}

fn kind_of(name: &str) -> Option<ConnectionKind> {
    Some(match name {
        "file" => ConnectionKind::File,
        "dataverse" => ConnectionKind::Dataverse,
        "business_central" => ConnectionKind::BusinessCentral,
        "odata" => ConnectionKind::Odata,
        _ => return None,
    })
}

/// Replaces every `${NAME}` by its value; `Err(NAME)` for an unset one.
/// `$` not followed by `{` is kept as written.
pub fn interpolate(text: &str, vars: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[i..]);
            return Ok(out);
        };
        let name = &after[..end];
        out.push_str(&vars(name).ok_or_else(|| name.to_string())?);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The file a file connection means for `entity`: its `path:` (relative to
/// the spec's folder), or `{entity}.ndjson` inside a `dir:` folder.
pub fn file_path(c: &Resolved, entity: &str, spec_dir: &Path) -> Result<PathBuf, String> {
    let path = c.setting("path").ok_or_else(|| {
        format!(
            "connection `{}` is a file connection without `path:`",
            c.name
        )
    })?;
    let (dir, p) = match path.strip_prefix("dir:") {
        Some(d) => (true, d.trim()),
        None => (false, path),
    };
    let base = spec_dir.join(p);
    Ok(if dir {
        base.join(format!("{entity}.ndjson"))
    } else {
        base
    })
}

/// What an environment's binding records for a file: its absolute path,
/// written one way whatever folders exist yet: the deepest folder that
/// exists is canonicalized (symbolic links, `..`), the rest kept as named
/// without `.` parts. (It was `DIR/./out/t.ndjson` on a first run that
/// created `out/`, and `DIR/out/t.ndjson` on the next, which was then
/// refused as a rebind.)
pub fn binding_of(path: &Path) -> String {
    let abs: PathBuf = if path.is_absolute() {
        path.components().collect()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
            .components()
            .collect()
    };
    let mut missing = Vec::new();
    let mut at = abs.as_path();
    let canon = loop {
        if let Ok(c) = std::fs::canonicalize(at) {
            break Some(c);
        }
        match (at.file_name(), at.parent()) {
            (Some(name), Some(parent)) => {
                missing.push(name);
                at = parent;
            }
            _ => break None,
        }
    };
    let out = match canon {
        Some(mut c) => {
            c.extend(missing.iter().rev());
            c
        }
        None => abs.clone(),
    };
    out.to_string_lossy().into_owned()
}

/// Whether a stored binding names the file `now` (a [`binding_of`]): the
/// stored one is written the same way first, so one recorded by an older
/// mapc (with `.` parts) still matches.
pub fn same_binding(stored: &str, now: &str) -> bool {
    stored == now || binding_of(Path::new(stored)) == now
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_binding_is_written_one_way_before_and_after_its_folder_exists() {
        let d = tempfile::tempdir().unwrap();
        let file = d.path().join(".").join("out").join("t.ndjson");
        let before = binding_of(&file);
        std::fs::create_dir_all(d.path().join("out")).unwrap();
        let after = binding_of(&file);
        assert_eq!(before, after);
        assert!(!before.contains("/./"), "{before}");
        assert!(same_binding(&file.to_string_lossy(), &after));
        assert!(!same_binding(
            &d.path().join("other.ndjson").to_string_lossy(),
            &after
        ));
    }

    #[test]
    fn variables_are_resolved_and_unset_ones_named() {
        let vars = |n: &str| (n == "OUT").then(|| "out dir".to_string());
        assert_eq!(
            interpolate("${OUT}/a.ndjson", &vars).unwrap(),
            "out dir/a.ndjson"
        );
        assert_eq!(interpolate("a$b${", &vars).unwrap(), "a$b${");
        assert_eq!(interpolate("${MISSING}x", &vars).unwrap_err(), "MISSING");
        assert_eq!(interpolate("é${OUT}é", &vars).unwrap(), "éout diré");
    }

    #[test]
    fn dir_connections_hold_one_file_per_entity() {
        let c = Resolved {
            name: "out".into(),
            kind: ConnectionKind::File,
            settings: vec![("path".into(), "dir:out".into())],
        };
        assert_eq!(
            file_path(&c, "contract", Path::new("/s")).unwrap(),
            PathBuf::from("/s/out/contract.ndjson")
        );
        let c = Resolved {
            settings: vec![("path".into(), "x/y.csv".into())],
            ..c
        };
        assert_eq!(
            file_path(&c, "contract", Path::new("/s")).unwrap(),
            PathBuf::from("/s/x/y.csv")
        );
    }
}
