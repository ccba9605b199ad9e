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
        .stdin(std::process::Stdio::null())
        .output()
        .expect("mapc runs");
    shown(&out)
}

/// Runs mapc with `input` on standard input.
fn mapc_stdin(args: &[&str], input: &[u8]) -> String {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_mapc"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("mapc runs");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("mapc runs");
    writer.join().expect("writer");
    shown(&out)
}

fn shown(out: &std::process::Output) -> String {
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

const SPEC: &str = "specs/examples/contract-tool.mapc.yaml";
const DATA: &str = "specs/examples/data/contract-tool.ndjson";

/// The part of a `mapc()` result between two markers.
fn part<'a>(got: &'a str, from: &str, to: &str) -> &'a str {
    got.split(from)
        .nth(1)
        .and_then(|s| s.split(to).next())
        .unwrap_or("")
}

#[test]
fn preview_ends_with_why_the_exit_code_is_1() {
    let got = mapc(&["preview", SPEC, "--input", DATA, "--as-of", "2026-11-22"]);
    assert!(got.starts_with("exit: 1\n"), "{got}");
    assert!(
        got.ends_with("1 rejected, 1 warning (mapping `opportunity-contract`, as of 2026-11-22)\nexit 1: 1 record was rejected (see above)\n"),
        "{got}"
    );
    // Nothing rejected: exit 0 and no such line.
    let got = mapc(&[
        "preview",
        "specs/examples/odata-copy.mapc.yaml",
        "--input",
        "specs/examples/data/odata-copy.ndjson",
    ]);
    assert!(got.starts_with("exit: 0\n"), "{got}");
    assert!(!got.contains("exit 1:"), "{got}");
}

#[test]
fn preview_reads_standard_input_with_an_input_format() {
    let data = std::fs::read(root().join(DATA)).expect("sample data");
    let from_file = mapc(&["preview", SPEC, "--input", DATA, "--as-of", "2026-11-22"]);
    let got = mapc_stdin(
        &[
            "preview",
            SPEC,
            "--input",
            "-",
            "--input-format",
            "ndjson",
            "--as-of",
            "2026-11-22",
        ],
        &data,
    );
    assert!(got.starts_with("exit: 1\n"), "{got}");
    assert_eq!(
        part(&got, "--- stdout\n", "--- stderr\n"),
        part(&from_file, "--- stdout\n", "--- stderr\n")
    );
    assert!(
        got.contains("\n<stdin>:4: rejected R0008: record 4 "),
        "{got}"
    );
    // Standard input has no extension: the format is required.
    let got = mapc_stdin(&["preview", SPEC, "--input", "-"], &data);
    assert!(got.starts_with("exit: 2\n"), "{got}");
    assert!(got.contains("--input-format"), "{got}");
    // `--input-format` also overrides a file's extension.
    let dir = TempDir::new("input-format");
    let txt = dir.path("records.txt");
    std::fs::write(&txt, &data).unwrap();
    let got = mapc(&["preview", SPEC, "--input", &txt, "--as-of", "2026-11-22"]);
    assert!(got.starts_with("exit: 2\n"), "{got}");
    assert!(got.contains("cannot tell the format"), "{got}");
    let got = mapc(&[
        "preview",
        SPEC,
        "--input",
        &txt,
        "--input-format",
        "jsonl",
        "--as-of",
        "2026-11-22",
    ]);
    assert_eq!(
        part(&got, "--- stdout\n", "--- stderr\n"),
        part(&from_file, "--- stdout\n", "--- stderr\n")
    );
}

#[test]
fn preview_of_a_directory_says_it_is_a_directory() {
    let got = mapc(&["preview", SPEC, "--input", "specs/examples/data"]);
    assert!(got.starts_with("exit: 2\n"), "{got}");
    assert!(
        got.contains("error: `specs/examples/data` is a directory; give one file of records"),
        "{got}"
    );
    assert!(!got.contains("cannot tell the format"), "{got}");
}

#[test]
fn preview_as_update_leaves_out_once_fields_but_keeps_the_key() {
    let got = mapc(&[
        "preview",
        SPEC,
        "--input",
        DATA,
        "--as-of",
        "2026-11-22",
        "--format",
        "ndjson",
        "--as-update",
    ]);
    insta::assert_snapshot!(
        "contract-tool_ndjson_as_update",
        got,
        &format!(
            "mapc preview {SPEC} --input {DATA} --as-of 2026-11-22 --format ndjson --as-update"
        )
    );
    let create = mapc(&[
        "preview",
        SPEC,
        "--input",
        DATA,
        "--as-of",
        "2026-11-22",
        "--format",
        "ndjson",
    ]);
    let records = |got: &str| -> Vec<serde_json::Value> {
        part(got, "--- stdout\n", "--- stderr\n")
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON record per line"))
            .collect()
    };
    let (c, u) = (records(&create), records(&got));
    assert_eq!(c.len(), u.len());
    // `external_id` and `title` are `sync: once` in the example; but
    // `external_id` is the target key, which an update always writes.
    assert!(c
        .iter()
        .all(|r| r.get("external_id").is_some() && r.get("title").is_some()));
    assert!(u.iter().all(|r| r.get("title").is_none()));
    assert!(u.iter().all(|r| r.get("counterparty").is_some()));
    let keys = |rs: &[serde_json::Value]| -> Vec<serde_json::Value> {
        rs.iter().map(|r| r["external_id"].clone()).collect()
    };
    assert_eq!(keys(&u), keys(&c));
    assert!(u.iter().all(|r| r["external_id"].is_string()), "{u:?}");
    assert!(got.contains("as of 2026-11-22, as an update)"), "{got}");
}

#[test]
fn test_of_a_directory_without_specs_or_tests_exits_2() {
    let dir = TempDir::new("empty");
    let got = mapc(&["test", &dir.path("")]);
    assert!(got.starts_with("exit: 2\n"), "{got}");
    assert!(
        got.contains("no `*.mapc.yaml` spec and no `*.test.yaml` file found"),
        "{got}"
    );
    // `check` says the same kind of thing with the same exit code.
    assert!(mapc(&["check", &dir.path("")]).starts_with("exit: 2\n"));
    let got = mapc(&["test", &dir.path("typo")]);
    assert!(got.starts_with("exit: 2\n"), "{got}");
    assert!(got.contains("does not exist"), "{got}");
    // Specs without tests: exit 0, with a note.
    std::fs::copy(
        root().join("specs/examples/odata-copy.mapc.yaml"),
        dir.path("a.mapc.yaml"),
    )
    .unwrap();
    let text = std::fs::read_to_string(dir.path("a.mapc.yaml")).unwrap();
    let cut = text.find("\ntests:").expect("the example has tests");
    std::fs::write(dir.path("a.mapc.yaml"), &text[..cut + 1]).unwrap();
    let got = mapc(&["test", &dir.path("")]);
    assert!(got.starts_with("exit: 0\n"), "{got}");
    assert!(got.contains("0 passed, 0 failed"), "{got}");
    assert!(
        got.contains("note: no tests found: the spec given has no `tests:` and no `*.test.yaml` beside it (exit 0)"),
        "{got}"
    );
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
    input: { opportunityid: x1, name: A, statecode: 0, estimatedvalue: 10.005, customer: null, contact: null }
    expect: { value: 10.00, counterparty: { country: DE } }
  - name: right value
    mapping: opportunity-contract
    input: { opportunityid: x1, name: A, statecode: 0, estimatedvalue: 10.005, customer: null, contact: null }
    expect: { value: 10.01 }
  - name: wrong outcome
    mapping: opportunity-contract
    input: { opportunityid: x1, name: A, statecode: 0, estimatedvalue: -1, customer: null, contact: null }
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

/// The deepest expression `check` accepts (a chain of 250 additions) also
/// evaluates on the mapping threads, in debug builds too, without a stack overflow.
#[test]
fn deep_expressions_evaluate_on_worker_threads() {
    let terms = vec!["a"; 250].join(" + ");
    let spec = format!(
        "mapc: 1\nname: chain\nconnections:\n  s: {{ kind: file, path: in.ndjson }}\nmappings:\n  - name: m\n    source: {{ connection: s, entity: e, key: id }}\n    target: {{ connection: s, entity: e, key: id }}\n    fields:\n      - {{ from: id, to: id }}\n      - {{ expr: \"{terms}\", to: total }}\n"
    );
    let dir = std::env::temp_dir().join(format!("mapc-deep-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let spec_path = dir.join("chain.mapc.yaml");
    std::fs::write(&spec_path, spec).expect("write spec");
    let data: String = (0..2000)
        .map(|i| format!("{{\"id\":\"{i}\",\"a\":1}}\n"))
        .collect();
    let got = mapc_stdin(
        &[
            "preview",
            spec_path.to_str().expect("utf-8 path"),
            "--input",
            "-",
            "--input-format",
            "ndjson",
            "--format",
            "ndjson",
        ],
        data.as_bytes(),
    );
    assert!(got.contains("exit: 0"), "{got}");
    assert_eq!(
        got.matches("\"total\":250}").count(),
        2000,
        "{}",
        &got[..got.len().min(400)]
    );
}

#[test]
fn a_related_record_that_is_not_an_object_is_rejected() {
    let dir = TempDir::new("related-kind");
    let data = dir.path("in.ndjson");
    std::fs::write(
        &data,
        concat!(
            "{\"opportunityid\": \"o1\", \"name\": \"A\", \"statecode\": 0, \"estimatedvalue\": 1, \"customer\": \"acc1\", \"contact\": null, \"products\": []}\n",
            "{\"opportunityid\": \"o2\", \"name\": \"B\", \"statecode\": 0, \"estimatedvalue\": 1, \"customer\": null, \"contact\": null, \"products\": []}\n",
        ),
    )
    .unwrap();
    let got = mapc(&[
        "preview",
        SPEC,
        "--input",
        &data,
        "--as-of",
        "2026-11-22",
        "--format",
        "ndjson",
    ]);
    assert!(got.starts_with("exit: 1\n"), "{got}");
    assert!(
        got.contains(":1: rejected R0010: record 1 (key o1), ")
            && got.contains(
                "the related record `customer` is a string, expected an object (or null)"
            ),
        "{got}"
    );
    // Only the record with `"customer": null` is written.
    let out = part(&got, "--- stdout\n", "--- stderr\n");
    assert_eq!(out.lines().count(), 1, "{got}");
    assert!(out.contains("\"external_id\":\"o2\""), "{got}");
}

#[test]
fn table_quotes_strings_that_would_be_misread_and_aligns_wide_text() {
    let dir = TempDir::new("table");
    let spec = dir.path("t.mapc.yaml");
    std::fs::write(
        &spec,
        "mapc: 1\nname: t\nconnections:\n  s: { kind: file, path: in.ndjson }\nmappings:\n  - name: m\n    source: { connection: s, entity: e, key: id }\n    target: { connection: s, entity: e, key: id }\n    fields:\n      - { from: id, to: id }\n      - { from: v, to: v }\n      - { from: n, to: n }\n",
    )
    .unwrap();
    let data = dir.path("in.ndjson");
    std::fs::write(
        &data,
        "{\"id\": \"1\", \"v\": \" x \", \"n\": 1}\n{\"id\": \"2\", \"v\": \"null\", \"n\": 2}\n{\"id\": \"3\", \"v\": null, \"n\": 3}\n{\"id\": \"4\", \"v\": \"東京\", \"n\": 4}\n",
    )
    .unwrap();
    let got = mapc(&["preview", &spec, "--input", &data, "--format", "table"]);
    assert!(got.starts_with("exit: 0\n"), "{got}");
    assert_eq!(
        part(&got, "--- stdout\n", "--- stderr\n"),
        "id   v       n\n---  ------  -\n\"1\"  \" x \"   1\n\"2\"  \"null\"  2\n\"3\"  null    3\n\"4\"  東京    4\n",
        "{got}"
    );
}

#[test]
fn test_expectations_match_list_elements_partially() {
    let dir = TempDir::new("partial-lists");
    std::fs::copy(
        root().join("specs/examples/contract-tool.mapc.yaml"),
        dir.path("deal.mapc.yaml"),
    )
    .unwrap();
    std::fs::write(
        dir.path("deal.test.yaml"),
        "tests:
  - name: some keys of the lines
    mapping: opportunity-contract
    as_of: 2026-11-22
    input: { opportunityid: x1, name: A, statecode: 0, estimatedvalue: 10, customer: null, contact: null,
             products: [{ productid: { productnumber: A }, productname: a, quantity: 2, priceperunit: 1.005, sequencenumber: 1 },
                        { productid: { productnumber: B }, productname: b, quantity: 1, priceperunit: 3, sequencenumber: 2 }] }
    expect: { line_items: [{ sku: A, line_total: 2.01 }, { sku: B }] }
  - name: a wrong total in the second line
    mapping: opportunity-contract
    as_of: 2026-11-22
    input: { opportunityid: x1, name: A, statecode: 0, estimatedvalue: 10, customer: null, contact: null,
             products: [{ productid: { productnumber: A }, productname: a, quantity: 2, priceperunit: 1.005, sequencenumber: 1 },
                        { productid: { productnumber: B }, productname: b, quantity: 1, priceperunit: 3, sequencenumber: 2 }] }
    expect: { line_items: [{ sku: A }, { line_total: 4 }] }
",
    )
    .unwrap();
    let got = mapc(&["test", &dir.path("deal.test.yaml")]);
    assert!(got.starts_with("exit: 1\n"), "{got}");
    assert!(got.contains("ok   some keys of the lines"), "{got}");
    assert!(
        got.contains("FAIL a wrong total in the second line"),
        "{got}"
    );
    assert!(
        got.contains("line_items[1].line_total\n         expected: 4\n         actual:   3.00"),
        "{got}"
    );
    assert!(got.contains("1 passed, 1 failed"), "{got}");
}

const CSV_OPP: &str = "tests/fixtures/csv/opportunities.mapc.yaml";
const CSV_OPP_DATA: &str = "tests/fixtures/csv/opportunities.csv";
const CSV_ORDERS: &str = "tests/fixtures/csv/orders.mapc.yaml";
const CSV_ORDERS_DATA: &str = "tests/fixtures/csv/orders.csv";

/// Issue 6, items 1 and 5: a semicolon CSV export (BOM, CRLF, a blank
/// line) of a Dataverse source. Its columns get their types from the
/// schema cache, so `estimatedvalue gt totalamount` compares numbers;
/// without the cache the values are text, and the comparison whose answer
/// depends on that is refused (R0020) instead of compared as text.
#[test]
fn csv_columns_are_typed_from_the_schema_cache() {
    let got = mapc(&[
        "preview",
        CSV_OPP,
        "--input",
        CSV_OPP_DATA,
        "--as-of",
        "2026-11-22",
        "--format",
        "ndjson",
        "--schema-cache",
        "tests/fixtures/schema-cache",
    ]);
    assert!(got.starts_with("exit: 0\n"), "{got}");
    assert_eq!(
        part(&got, "--- stdout\n", "--- stderr\n"),
        "{\"id\":\"0f2b1c3d-0000-0000-0000-000000000002\",\"name\":\"Big deal\",\"value\":100.5,\"probability\":80,\"system_revenue\":true}\n"
    );
    assert!(
        got.contains("2 records read: 1 written, 0 skipped, 1 filtered out, 0 rejected"),
        "{got}"
    );
    assert!(
        got.contains(
            "note: tests/fixtures/csv/opportunities.csv: the columns are separated by `;`"
        ),
        "{got}"
    );

    let got = mapc(&[
        "preview",
        CSV_OPP,
        "--input",
        CSV_OPP_DATA,
        "--as-of",
        "2026-11-22",
        "--format",
        "ndjson",
    ]);
    assert!(got.starts_with("exit: 1\n"), "{got}");
    // Line 2 of the file (the record after the BOM-prefixed header).
    assert!(
        got.contains("opportunities.csv:2: rejected R0020: record 1 (key 0f2b1c3d-0000-0000-0000-000000000001), the source filter `estimatedvalue gt totalamount`: the texts \"99.5\" and \"100\" both read as numbers but order differently"),
        "{got}"
    );
    // "100.5" and "100" order the same either way: compared, written as text.
    assert!(got.contains("\"value\":\"100.5\""), "{got}");
}

/// Declared `columns:` on the file connection: numbers compare as numbers,
/// a value that is not of its type is R0017 with the real line, and the
/// connection's `delimiter:` can be overridden (a wrong one is refused at
/// the header with R0018, exit 2).
#[test]
fn csv_columns_declared_on_the_file_connection() {
    let got = mapc(&[
        "preview",
        CSV_ORDERS,
        "--input",
        CSV_ORDERS_DATA,
        "--as-of",
        "2026-11-22",
        "--format",
        "ndjson",
    ]);
    assert!(got.starts_with("exit: 1\n"), "{got}");
    assert_eq!(
        part(&got, "--- stdout\n", "--- stderr\n"),
        "{\"id\":\"1\",\"over_limit\":false,\"total\":298.5}\n{\"id\":\"2\",\"over_limit\":true,\"total\":201.0}\n"
    );
    assert!(
        got.contains("orders.csv:4: rejected R0017: record 3 (key 3), field `amount`: the value `99,5` is not a decimal number"),
        "{got}"
    );
    // The connection says `;`; `--csv-delimiter ,` replaces it.
    let got = mapc(&[
        "preview",
        CSV_ORDERS,
        "--input",
        CSV_ORDERS_DATA,
        "--csv-delimiter",
        ",",
    ]);
    assert!(got.starts_with("exit: 2\n"), "{got}");
    assert!(
        got.contains("error[R0018]: tests/fixtures/csv/orders.csv: the header has no columns `id`, `amount`, `limit`, `quantity`, which the mapping reads"),
        "{got}"
    );
    assert!(
        got.contains("help: the header is read as one column split by `,`"),
        "{got}"
    );
    let got = mapc(&[
        "preview",
        CSV_ORDERS,
        "--input",
        CSV_ORDERS_DATA,
        "--csv-delimiter",
        "semicolon",
    ]);
    assert!(got.starts_with("exit: 2\n"), "{got}");
    assert!(
        got.contains("--csv-delimiter `semicolon` is not a CSV delimiter"),
        "{got}"
    );
}

/// Issue 6, item 5: a header without a column the mapping reads is refused
/// with a did-you-mean instead of giving null for every record; an
/// ambiguous delimiter is refused rather than guessed.
#[test]
fn csv_header_mismatch_and_ambiguous_delimiter_are_refused() {
    let dir = TempDir::new("csv-header");
    let bad = dir.path("orders.csv");
    std::fs::write(&bad, "id;Amount;limit;quantity\n1;2;3;4\n").unwrap();
    let got = mapc(&["preview", CSV_ORDERS, "--input", &bad]);
    assert!(got.starts_with("exit: 2\n"), "{got}");
    assert!(
        got.contains("error[R0018]: ")
            && got.contains("the header has no column `amount` (did you mean `Amount`?)"),
        "{got}"
    );
    // No `delimiter:` and a header with `,` and `;`: which one is it?
    let spec = dir.path("s.mapc.yaml");
    std::fs::write(
        &spec,
        std::fs::read_to_string(root().join(CSV_ORDERS))
            .unwrap()
            .replace("    delimiter: \";\"\n", ""),
    )
    .unwrap();
    let amb = dir.path("amb.csv");
    std::fs::write(&amb, "id;amount (EUR, net);limit;quantity\n1;2;3;4\n").unwrap();
    let got = mapc(&["preview", &spec, "--input", &amb]);
    assert!(got.starts_with("exit: 2\n"), "{got}");
    assert!(
        got.contains("error[R0019]: ")
            && got.contains("the header row holds `,` (1 time) and `;` (3 times)"),
        "{got}"
    );
}

/// Issue 6, item 2: a saved OData response is the records of `value`.
#[test]
fn a_saved_odata_response_is_previewed_as_its_records() {
    let dir = TempDir::new("odata-response");
    let page = dir.path("products.json");
    let records = std::fs::read_to_string(root().join("specs/examples/data/odata-copy.ndjson"))
        .unwrap()
        .lines()
        .take(3)
        .collect::<Vec<_>>()
        .join(",\n");
    std::fs::write(
        &page,
        format!("{{\"@odata.context\":\"https://services.odata.org/V4/Northwind/Northwind.svc/$metadata#Products\",\"value\":[\n{records}\n],\"@odata.nextLink\":\"https://services.odata.org/V4/Northwind/Northwind.svc/Products?$skiptoken=3\"}}"),
    )
    .unwrap();
    let got = mapc(&[
        "preview",
        "specs/examples/odata-copy.mapc.yaml",
        "--input",
        &page,
        "--format",
        "ndjson",
    ]);
    assert!(got.starts_with("exit: 0\n"), "{got}");
    assert_eq!(
        part(&got, "--- stdout\n", "--- stderr\n").lines().count(),
        3,
        "{got}"
    );
    assert!(got.contains("warning[R0103]: "), "{got}");
    // The summary counts the file's warning with the records' ones.
    assert!(
        got.contains(
            "3 records read: 3 written, 0 skipped, 0 filtered out, 0 rejected, 1 warning "
        ),
        "{got}"
    );
}

/// `mapc test` takes `--schema-cache` as `check` and `preview` do.
#[test]
fn test_takes_a_schema_cache_like_check() {
    let got = mapc(&[
        "test",
        "specs/examples/odata-copy.mapc.yaml",
        "--schema-cache",
        "tests/fixtures/schema-cache",
        "--as-of",
        "2026-11-22",
    ]);
    assert!(got.starts_with("exit: 0\n"), "{got}");
    let got = mapc(&[
        "test",
        "specs/examples/contract-tool.mapc.yaml",
        "--schema-cache",
        "tests/fixtures/no-such-dir",
    ]);
    assert!(got.starts_with("exit: 2\n"), "{got}");
    assert!(
        got.contains("--schema-cache tests/fixtures/no-such-dir: not a directory"),
        "{got}"
    );
}

#[test]
fn preview_rejects_records_without_a_target_key_and_repeated_keys() {
    // The example's target key is `external_id`, from `opportunityid`.
    let data = std::fs::read_to_string(root().join(DATA)).expect("sample data");
    let first = data.lines().next().expect("a record");
    let id = "\"opportunityid\":\"7f3c2a10-5b1e-ef11-8409-000d3a2b1c01\"";
    assert!(first.contains(id), "{first}");
    let no_key = first.replace(id, "\"opportunityid\":null");
    let input = format!("{first}\n{first}\n{no_key}\n");
    let got = mapc_stdin(
        &[
            "preview",
            SPEC,
            "--input",
            "-",
            "--input-format",
            "ndjson",
            "--as-of",
            "2026-11-22",
            "--format",
            "ndjson",
        ],
        input.as_bytes(),
    );
    assert!(got.starts_with("exit: 1\n"), "{got}");
    assert_eq!(
        part(&got, "--- stdout\n", "--- stderr\n").lines().count(),
        1,
        "{got}"
    );
    assert!(
        got.contains("\n<stdin>:2: rejected R0026: record 2 (key 7f3c2a10-5b1e-ef11-8409-000d3a2b1c01), field `external_id`: the target key `external_id` = `7f3c2a10-5b1e-ef11-8409-000d3a2b1c01` was already written by record 1 (line 1) of this input"),
        "{got}"
    );
    assert!(
        got.contains("\n<stdin>:3: rejected R0025: record 3, field `external_id`: the target key `external_id` is null"),
        "{got}"
    );
    assert!(
        got.contains("exit 1: 2 records were rejected (see above)"),
        "{got}"
    );
}
