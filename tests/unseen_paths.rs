//! R0104 through the binary: `preview` and `test` of a file-sourced spec
//! (no `$metadata`) report a source path that no record has, once, with the
//! closest key; and stay quiet when the path is there, when no record was
//! read, and when the source's names were checked against cached metadata.
//! Fixtures: `tests/fixtures/unseen/`.

use std::path::PathBuf;
use std::process::{Command, Output};

const SPEC: &str = "tests/fixtures/unseen/orders.mapc.yaml";
const WARNING: &str = "tests/fixtures/unseen/orders.mapc.yaml:15:17: warning R0104: the source path `nmae` is in none of the 2 records read (did you mean `name`?); it read as null in every one\n";

fn mapc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mapc"))
        .args(args)
        .current_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("mapc runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn preview_reports_a_misspelled_path_once_before_the_summary() {
    let o = mapc(&[
        "preview",
        SPEC,
        "--input",
        "tests/fixtures/unseen/orders.ndjson",
        "--as-of",
        "2026-11-22",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let err = stderr(&o);
    assert_eq!(
        err,
        format!("{WARNING}2 records read: 2 written, 0 skipped, 0 filtered out, 0 rejected, 1 warning (mapping `orders`, as of 2026-11-22)\n")
    );
}

#[test]
fn preview_of_csv_refuses_the_header_without_the_column() {
    // A CSV file has a header, so a misspelled column is found before any
    // record is read: the file is refused (R0018) rather than warned about.
    let o = mapc(&[
        "preview",
        SPEC,
        "--input",
        "tests/fixtures/unseen/orders.csv",
        "--format",
        "ndjson",
        "--as-of",
        "2026-11-22",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("error[R0018]: tests/fixtures/unseen/orders.csv: the header has no column `nmae` (did you mean `name`?)"),
        "{}",
        stderr(&o)
    );
    assert!(o.stdout.is_empty());
}

#[test]
fn no_records_no_warning() {
    let o = mapc(&[
        "preview",
        SPEC,
        "--input",
        "-",
        "--input-format",
        "ndjson",
        "--as-of",
        "2026-11-22",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(!stderr(&o).contains("R0104"), "{}", stderr(&o));
}

#[test]
fn test_reports_a_likely_misspelling_of_a_key_the_inputs_have() {
    let o = mapc(&["test", SPEC, "--as-of", "2026-11-22"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "a warning does not fail the tests"
    );
    assert_eq!(
        stderr(&o),
        "tests/fixtures/unseen/orders.mapc.yaml:15:17: warning R0104: the source path `nmae` is not in the 1 test input (did you mean `name`?); it read as null in every one\n"
    );
    let o = mapc(&["test", SPEC, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON report");
    assert_eq!(v["warnings"][0]["code"], "R0104");
    assert_eq!(v["warnings"][0]["path"], "nmae");
    assert_eq!(v["warnings"][0]["suggestion"], "name");
    assert_eq!(v["warnings"][0]["line"], 15);
    // `comment` is in no test input either, but nothing there is close to
    // it: test inputs are partial records, so it is not reported.
    assert_eq!(v["warnings"].as_array().map(Vec::len), Some(1));
}

#[test]
fn the_example_specs_preview_and_test_without_the_warning() {
    let o = mapc(&["test", "specs/examples/"]);
    assert!(!stderr(&o).contains("R0104"), "{}", stderr(&o));
    for (spec, data) in [
        ("contract-tool", "ndjson"),
        ("business-central", "ndjson"),
        ("business-central-orders", "ndjson"),
        ("marketing-contacts", "ndjson"),
        ("odata-copy", "ndjson"),
        ("odata-copy", "csv"),
    ] {
        let o = mapc(&[
            "preview",
            &format!("specs/examples/{spec}.mapc.yaml"),
            "--input",
            &format!("specs/examples/data/{spec}.{data}"),
        ]);
        assert!(!stderr(&o).contains("R0104"), "{spec}: {}", stderr(&o));
    }
}
