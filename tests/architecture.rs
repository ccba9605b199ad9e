//! The crate graph stays one-way: every workspace crate depends only on the
//! crates `docs/architecture.md` allows, and that page's table is this one.
//!
//! Normal and build dependencies are checked; dev-dependencies are not (a
//! crate's tests may drive it through the pipeline above it).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

/// Each crate and the workspace crates it may depend on, lowest first: a
/// crate may only name crates above it in this list. A crate listed here but
/// not (yet) in the workspace is fine; a workspace crate missing here is not.
const ALLOWED: &[(&str, &[&str])] = &[
    ("mapc-diag", &[]),
    ("mapc-keyindex", &[]),
    ("mapc-value", &["mapc-diag"]),
    ("mapc-state", &["mapc-diag", "mapc-keyindex"]),
    ("mapc-syntax", &["mapc-diag", "mapc-value"]),
    ("mapc-ir", &["mapc-diag", "mapc-value", "mapc-syntax"]),
    (
        "mapc-connect",
        &[
            "mapc-diag",
            "mapc-keyindex",
            "mapc-value",
            "mapc-syntax",
            "mapc-ir",
        ],
    ),
    (
        "mapc-check",
        &[
            "mapc-diag",
            "mapc-value",
            "mapc-syntax",
            "mapc-ir",
            "mapc-connect",
        ],
    ),
    (
        "mapc-engine",
        &[
            "mapc-diag",
            "mapc-keyindex",
            "mapc-value",
            "mapc-ir",
            "mapc-connect",
        ],
    ),
    ("mapc-output", &["mapc-diag", "mapc-value", "mapc-engine"]),
    (
        "mapc-compile",
        &[
            "mapc-diag",
            "mapc-value",
            "mapc-syntax",
            "mapc-ir",
            "mapc-connect",
            "mapc-check",
        ],
    ),
    (
        "mapc-sync",
        &[
            "mapc-diag",
            "mapc-keyindex",
            "mapc-value",
            "mapc-ir",
            "mapc-connect",
            "mapc-engine",
            "mapc-state",
        ],
    ),
    (
        "mapc",
        &[
            "mapc-diag",
            "mapc-value",
            "mapc-syntax",
            "mapc-ir",
            "mapc-connect",
            "mapc-check",
            "mapc-engine",
            "mapc-output",
            "mapc-compile",
            "mapc-state",
            "mapc-sync",
        ],
    ),
];

type Graph = BTreeMap<String, BTreeSet<String>>;

fn allowed() -> Graph {
    ALLOWED
        .iter()
        .map(|(c, deps)| (c.to_string(), deps.iter().map(|d| d.to_string()).collect()))
        .collect()
}

/// The workspace crates and their normal/build dependencies on workspace
/// crates, from `cargo metadata --no-deps`.
fn workspace_graph() -> Graph {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata is JSON");
    let packages = meta["packages"].as_array().expect("packages");
    let members: BTreeSet<String> = packages
        .iter()
        .filter_map(|p| p["name"].as_str().map(String::from))
        .collect();
    packages
        .iter()
        .map(|p| {
            let name = p["name"].as_str().expect("name").to_string();
            let deps = p["dependencies"]
                .as_array()
                .expect("dependencies")
                .iter()
                .filter(|d| d["kind"].is_null() || d["kind"] == "build")
                .filter_map(|d| d["name"].as_str())
                .filter(|d| members.contains(*d))
                .map(String::from)
                .collect();
            (name, deps)
        })
        .collect()
}

/// Every way `actual` breaks `allowed`, in words.
fn violations(allowed: &Graph, actual: &Graph) -> Vec<String> {
    let mut out = Vec::new();
    for (krate, deps) in actual {
        let Some(ok) = allowed.get(krate) else {
            out.push(format!(
                "workspace crate `{krate}` is not in the crate table: give it a row in docs/architecture.md and tests/architecture.rs"
            ));
            continue;
        };
        for d in deps.difference(ok) {
            out.push(format!(
                "`{krate}` depends on `{d}`, which docs/architecture.md does not allow (dependencies point down the table only)"
            ));
        }
    }
    out
}

/// The crate table of `docs/architecture.md`: rows `| \`crate\` | job | \`dep\`, ... |`.
fn documented() -> Graph {
    let page = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/architecture.md");
    let text = std::fs::read_to_string(&page).expect("docs/architecture.md exists");
    let ticked = |cell: &str| -> Vec<String> {
        cell.split('`')
            .skip(1)
            .step_by(2)
            .map(|s| s.to_string())
            .collect()
    };
    text.lines()
        .filter(|l| l.starts_with("| `mapc"))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split('|').collect();
            assert_eq!(cells.len(), 3, "crate table row with three cells: {l}");
            let name = ticked(cells[0]).into_iter().next().expect("crate name");
            (name, ticked(cells[2]).into_iter().collect())
        })
        .collect()
}

#[test]
fn the_table_is_one_way() {
    let mut below = BTreeSet::new();
    for (krate, deps) in ALLOWED {
        for d in *deps {
            assert!(
                below.contains(d),
                "`{krate}` may depend on `{d}`, which is not below it in the table"
            );
        }
        below.insert(*krate);
    }
}

#[test]
fn the_doc_shows_this_table() {
    assert_eq!(documented(), allowed());
}

#[test]
fn workspace_dependencies_follow_the_table() {
    let v = violations(&allowed(), &workspace_graph());
    assert!(v.is_empty(), "{}", v.join("\n"));
}

#[test]
fn a_backward_or_unknown_edge_is_reported() {
    let mut actual = workspace_graph();
    assert!(violations(&allowed(), &actual).is_empty());
    actual
        .get_mut("mapc-ir")
        .expect("mapc-ir is a workspace crate")
        .insert("mapc-engine".into());
    actual.insert("mapc-new".into(), BTreeSet::new());
    let v = violations(&allowed(), &actual);
    assert_eq!(v.len(), 2, "{v:?}");
    assert!(v[0].contains("`mapc-ir` depends on `mapc-engine`"), "{v:?}");
    assert!(
        v[1].contains("`mapc-new` is not in the crate table"),
        "{v:?}"
    );
}
