//! Snapshots of `mapc preview` over every example spec and its sample data
//! (`specs/examples/X.mapc.yaml` with `specs/examples/data/X.*`), run through
//! the built binary with `--as-of 2026-11-22` so they are deterministic.
//! Each snapshot holds the exit code, standard output and standard error.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn mapc(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_mapc"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .expect("mapc runs");
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `(spec, data file)` pairs, sorted, as paths relative to the workspace root.
fn examples() -> Vec<(String, String)> {
    let dir = root().join("specs/examples");
    let mut specs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("specs/examples")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".mapc.yaml"))
        .collect();
    specs.sort();
    let mut out = Vec::new();
    for spec in specs {
        let name = spec
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let stem = name.trim_end_matches(".mapc.yaml").to_string();
        let mut data: Vec<PathBuf> = std::fs::read_dir(dir.join("data"))
            .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        data.retain(|p| {
            p.file_stem().is_some_and(|s| s.to_string_lossy() == stem)
                && matches!(
                    p.extension().and_then(|e| e.to_str()),
                    Some("ndjson" | "jsonl" | "json" | "csv")
                )
        });
        data.sort();
        assert!(
            !data.is_empty(),
            "example spec {} has no sample data: add specs/examples/data/{stem}.ndjson",
            rel(&spec)
        );
        for d in data {
            out.push((rel(&spec), rel(&d)));
        }
    }
    out
}

fn rel(p: &Path) -> String {
    p.strip_prefix(root())
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
}

fn snapshot_name(data: &str, suffix: &str) -> String {
    let file = data.rsplit('/').next().unwrap_or(data).replace('.', "_");
    format!("{file}{suffix}")
}

#[test]
fn every_example_previews_as_json() {
    let all = examples();
    assert!(!all.is_empty(), "no example specs with sample data found");
    for (spec, data) in all {
        let got = mapc(&["preview", &spec, "--input", &data, "--as-of", "2026-11-22"]);
        insta::assert_snapshot!(
            snapshot_name(&data, ""),
            got,
            &format!("mapc preview {spec} --input {data} --as-of 2026-11-22")
        );
    }
}

#[test]
fn every_example_previews_as_ndjson_and_table() {
    for (spec, data) in examples() {
        for format in ["ndjson", "table"] {
            let got = mapc(&[
                "preview",
                &spec,
                "--input",
                &data,
                "--as-of",
                "2026-11-22",
                "--format",
                format,
            ]);
            insta::assert_snapshot!(
                snapshot_name(&data, &format!("_{format}")),
                got,
                &format!("mapc preview {spec} --input {data} --as-of 2026-11-22 --format {format}")
            );
        }
    }
}

#[test]
fn preview_usage_errors_exit_2() {
    let spec = "specs/examples/contract-tool.mapc.yaml";
    let data = "specs/examples/data/contract-tool.ndjson";
    for args in [
        vec!["preview", spec, "--input", data, "--as-of", "22.11.2026"],
        vec!["preview", spec, "--input", "does/not/exist.ndjson"],
        vec!["preview", spec, "--input", "Cargo.toml"],
        vec!["preview", spec, "--input", data, "--mapping", "nope"],
    ] {
        let got = mapc(&args);
        assert!(got.starts_with("exit: 2\n"), "{args:?}:\n{got}");
    }
}

/// A scratch directory for one test, removed at the end.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("mapc-preview-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
    fn path(&self, f: &str) -> String {
        self.0.join(f).to_string_lossy().into_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn preview_of_a_spec_with_errors_prints_them_and_exits_1() {
    let dir = TempDir::new("broken");
    let spec = dir.path("broken.mapc.yaml");
    std::fs::write(&spec, "mapc: 1\nname: broken\nconnections: {}\nmappings:\n  - name: m\n    source: { connection: nope, entity: x }\n    target: { connection: nope, entity: y }\n").unwrap();
    let got = mapc(&[
        "preview",
        &spec,
        "--input",
        "specs/examples/data/contract-tool.ndjson",
    ]);
    assert!(got.starts_with("exit: 1\n"), "{got}");
    assert!(got.contains("M0401"), "{got}");
}

#[test]
fn test_runs_inline_tests_and_test_files_beside_the_spec() {
    let got = mapc(&[
        "test",
        "specs/examples/contract-tool.mapc.yaml",
        "--as-of",
        "2026-11-22",
    ]);
    assert!(got.starts_with("exit: 0\n"), "{got}");
    assert!(
        got.contains("specs/examples/contract-tool.test.yaml\n"),
        "{got}"
    );
    assert!(got.contains("8 passed, 0 failed"), "{got}");
    let got = mapc(&["test", "specs/examples/"]);
    assert!(got.starts_with("exit: 0\n"), "{got}");
    assert!(got.contains(" passed, 0 failed"), "{got}");
}

#[test]
fn failing_tests_show_a_diff_and_exit_1() {
    let dir = TempDir::new("failing");
    std::fs::copy(
        root().join("specs/examples/contract-tool.mapc.yaml"),
        dir.path("deal.mapc.yaml"),
    )
    .unwrap();
    std::fs::write(
        dir.path("deal.test.yaml"),
        "tests:
  - name: wrong value
    mapping: opportunity-contract
    as_of: 2026-11-22
    input: { opportunityid: x1, name: A, statecode: 0, estimatedvalue: 10.005 }
    expect: { value: 10.00, counterparty: { country: DE } }
  - name: right value
    mapping: opportunity-contract
    input: { opportunityid: x1, name: A, statecode: 0, estimatedvalue: 10.005 }
    expect: { value: 10.01 }
  - name: wrong outcome
    mapping: opportunity-contract
    input: { opportunityid: x1, name: A, statecode: 0, estimatedvalue: -1 }
    expect: skip
",
    )
    .unwrap();
    let file = dir.path("deal.test.yaml");
    let got = mapc(&["test", &file]);
    assert!(got.starts_with("exit: 1\n"), "{got}");
    assert!(got.contains("FAIL wrong value"), "{got}");
    assert!(
        got.contains("value\n         expected: 10.00\n         actual:   10.01"),
        "{got}"
    );
    assert!(got.contains("expected: skip"), "{got}");
    assert!(got.contains("actual:   error R0008"), "{got}");
    assert!(got.contains("1 passed, 2 failed"), "{got}");
    let json = mapc(&["test", &file, "--format", "json"]);
    let body = json
        .split("--- stdout\n")
        .nth(1)
        .and_then(|s| s.split("--- stderr\n").next())
        .unwrap_or("");
    let v: serde_json::Value = serde_json::from_str(body).expect("JSON report");
    assert_eq!(v["passed"], 1);
    assert_eq!(v["failed"], 2);
    assert_eq!(v["tests"][0]["failures"][0]["path"], "value");
}
