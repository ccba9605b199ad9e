//! End-to-end tests of `mapc check` and `mapc explain` through the binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn mapc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mapc"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .expect("run mapc")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn temp_spec(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mapc-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write temp spec");
    p
}

const VALID: &str = "mapc: 1\nname: tiny\nconnections:\n  src: { kind: file, path: in.ndjson }\n  out: { kind: file, path: out.ndjson }\nmappings:\n  - name: copy\n    source: { connection: src, entity: thing }\n    target: { connection: out, entity: thing }\n    fields:\n      - { from: name, to: title }\n";

#[test]
fn every_example_spec_passes_check() {
    let o = mapc(&["check", "specs/examples/"]);
    assert_eq!(
        code(&o),
        0,
        "stdout:\n{}\nstderr:\n{}",
        stdout(&o),
        stderr(&o)
    );
    assert!(stderr(&o).contains("0 errors"), "{}", stderr(&o));
}

#[test]
fn json_format_has_the_documented_fields() {
    let p = temp_spec(
        "json.mapc.yaml",
        VALID.replace("from: name", "form: name").as_bytes(),
    );
    let o = mapc(&["check", "--format", "json", p.to_str().unwrap()]);
    assert_eq!(code(&o), 1);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("one JSON document");
    let diags = doc["diagnostics"].as_array().expect("diagnostics array");
    let d = diags
        .iter()
        .find(|d| d["code"] == "M0202")
        .expect("unknown key reported");
    for key in [
        "severity",
        "code",
        "message",
        "file",
        "line",
        "column",
        "end_line",
        "end_column",
        "help",
    ] {
        assert!(d.get(key).is_some(), "diagnostic lacks `{key}`: {d}");
    }
    assert_eq!(d["severity"], "error");
    assert_eq!(d["line"], 11);
    assert_eq!(d["column"], 11);
    assert_eq!(d["end_column"], 15);
    assert!(d["help"].as_str().unwrap_or("").contains("`from`"), "{d}");
}

#[test]
fn github_format_is_workflow_commands() {
    let p = temp_spec(
        "gh.mapc.yaml",
        VALID
            .replace("kind: file, path: in", "kind: fil, path: in")
            .as_bytes(),
    );
    let o = mapc(&["check", "--format", "github", p.to_str().unwrap()]);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    let line = out.lines().next().expect("one line");
    assert!(line.starts_with("::error file="), "{line}");
    assert!(line.contains(",line=4,col=16,"), "{line}");
    assert!(line.contains("[M0204]"), "{line}");
}

#[test]
fn sarif_format_is_sarif_2_1_0() {
    let p = temp_spec(
        "sarif.mapc.yaml",
        VALID.replace("mapc: 1", "mapc: 7").as_bytes(),
    );
    let o = mapc(&["check", "--format", "sarif", p.to_str().unwrap()]);
    assert_eq!(code(&o), 1);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("sarif json");
    assert_eq!(doc["version"], "2.1.0");
    assert_eq!(doc["runs"][0]["results"][0]["ruleId"], "M0206");
    assert_eq!(
        doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        1
    );
}

#[test]
fn human_format_shows_snippet_label_and_help() {
    let p = temp_spec(
        "human.mapc.yaml",
        VALID.replace("from: name", "form: name").as_bytes(),
    );
    let o = mapc(&["check", p.to_str().unwrap()]);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    assert!(out.contains("M0202"), "{out}");
    assert!(out.contains("unknown key `form`"), "{out}");
    assert!(out.contains("did you mean `from`?"), "{out}");
    assert!(
        out.contains("- { form: name, to: title }"),
        "snippet shown: {out}"
    );
}

#[test]
fn all_problems_of_a_file_in_one_run() {
    let bad = VALID
        .replace("kind: file, path: in", "kind: fil, path: in")
        .replace("from: name", "form: name")
        .replace(
            "entity: thing }\n    fields",
            "entity: thing, colour: red }\n    fields",
        );
    let p = temp_spec("many.mapc.yaml", bad.as_bytes());
    let o = mapc(&["check", "--format", "json", p.to_str().unwrap()]);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    let codes: Vec<_> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect();
    assert!(
        codes.iter().filter(|c| *c == "M0202").count() >= 2,
        "{codes:?}"
    );
    assert!(codes.contains(&"M0204".to_string()), "{codes:?}");
}

#[test]
fn deny_warnings_turns_warnings_into_failure() {
    let spec = format!(
        "{VALID}  - name: old\n    active: false\n    source: {{ connection: src, entity: thing }}\n    target: {{ connection: out, entity: old }}\n    fields:\n      - {{ from: name, to: title }}\ntests:\n  - name: t\n    mapping: old\n    input: {{ name: a }}\n    expect: {{ title: a }}\n"
    );
    let p = temp_spec("warn.mapc.yaml", spec.as_bytes());
    let o = mapc(&["check", p.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("M0410"), "{}", stdout(&o));
    let o = mapc(&["check", "--deny-warnings", p.to_str().unwrap()]);
    assert_eq!(code(&o), 1);
}

#[test]
fn unreadable_file_and_bad_flags_exit_2() {
    assert_eq!(code(&mapc(&["check", "does/not/exist.mapc.yaml"])), 2);
    assert_eq!(
        code(&mapc(&["check", "--format", "xml", "specs/examples/"])),
        2
    );
    assert_eq!(
        code(&mapc(&[
            "check",
            "--schema-cache",
            "no/such/dir",
            "specs/examples/"
        ])),
        2
    );
    assert_eq!(code(&mapc(&["frobnicate"])), 2);
}

/// Hostile or broken files: a diagnostic and exit 1, never a panic or a hang.
#[test]
fn bad_input_never_panics() {
    let mut deep = String::from("mapc: 1\nname: deep\nx: ");
    deep.push_str(&"[".repeat(5000));
    let mut bomb = String::from("mapc: 1\nname: bomb\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..9 {
        bomb.push_str(&format!(
            "a{i}: &a{i} [{}]\n",
            vec![format!("*a{}", i - 1); 10].join(", ")
        ));
    }
    let huge = format!(
        "mapc: 1\nname: huge\ndescription: \"{}\"\n",
        "x".repeat(3 << 20)
    );
    let mut many_keys = String::from("mapc: 1\nname: wide\nx:\n");
    for i in 0..60_000 {
        many_keys.push_str(&format!("  k{i}: {i}\n"));
    }
    many_keys.push_str("  k7: again\n");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("many-keys", many_keys.into_bytes(), "M0102"),
        ("malformed", b"mapc: 1\nname: [unclosed\n".to_vec(), "M0101"),
        (
            "tabs",
            b"mapc: 1\nname: t\nconnections:\n\tsrc: {}\n".to_vec(),
            "M0103",
        ),
        ("dupkeys", b"mapc: 1\nname: d\nname: e\n".to_vec(), "M0102"),
        ("bomb", bomb.into_bytes(), "M0104"),
        ("deep", deep.into_bytes(), "M0105"),
        ("huge", huge.into_bytes(), "M0106"),
        ("latin1", b"mapc: 1\nname: caf\xe9\n".to_vec(), "M0107"),
        ("empty", Vec::new(), "M0108"),
        ("comments-only", b"# nothing here\n".to_vec(), "M0108"),
        ("scalar", b"just a string\n".to_vec(), "M0203"),
    ];
    for (name, bytes, want) in cases {
        let p = temp_spec(&format!("{name}.mapc.yaml"), &bytes);
        let o = mapc(&["check", "--format", "json", p.to_str().unwrap()]);
        assert_eq!(code(&o), 1, "{name}: {}{}", stdout(&o), stderr(&o));
        assert!(
            !stderr(&o).contains("panicked"),
            "{name} panicked: {}",
            stderr(&o)
        );
        assert!(
            stdout(&o).contains(want),
            "{name}: expected {want} in {}",
            stdout(&o)
        );
    }
}

#[test]
fn explain_prints_a_page_and_lists_codes() {
    let o = mapc(&["explain", "M0603"]);
    assert_eq!(code(&o), 0);
    let page = stdout(&o);
    assert!(page.starts_with("# M0603"), "{page}");
    assert!(page.contains("## Bad") && page.contains("## Fixed"));
    let o = mapc(&["explain", "unknown-key"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).starts_with("# M0202"));
    let o = mapc(&["explain"]);
    assert_eq!(code(&o), 0);
    assert_eq!(stdout(&o).lines().count(), mapc_diag_code_count());
    let o = mapc(&["explain", "M0602x"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("did you mean"), "{}", stderr(&o));
}

fn mapc_diag_code_count() -> usize {
    let src = std::fs::read_to_string(root().join("crates/diag/src/codes.rs")).expect("codes.rs");
    src.lines()
        .filter(|l| {
            // A registry row starts with its code: `M0101 "yaml-syntax" ...`.
            let b = l.trim_start().as_bytes();
            b.len() > 5
                && matches!(b[0], b'M' | b'R')
                && b[1..5].iter().all(u8::is_ascii_digit)
                && b[5] == b' '
        })
        .count()
}

#[test]
fn schema_cache_enables_metadata_checks() {
    let cache = root().join("tests/fixtures/schema-cache");
    if !Path::new(&cache).is_dir() {
        panic!("tests/fixtures/schema-cache is missing");
    }
    let spec = "mapc: 1\nname: meta\nconnections:\n  crm:\n    kind: dataverse\n    url: https://contoso.crm4.dynamics.com\n    auth: { flow: client_credentials, tenant: \"${T}\", client_id: \"${C}\", client_secret: \"${S}\" }\n  out: { kind: file, path: out.ndjson }\nmappings:\n  - name: opp\n    source: { connection: crm, entity: opportunity }\n    target: { connection: out, entity: contract }\n    fields:\n      - { from: estimatedvalu, to: value }\n";
    let p = temp_spec("meta.mapc.yaml", spec.as_bytes());
    let o = mapc(&["check", p.to_str().unwrap()]);
    assert_eq!(
        code(&o),
        0,
        "without metadata the field cannot be known: {}",
        stdout(&o)
    );
    let o = mapc(&[
        "check",
        "--format",
        "json",
        "--schema-cache",
        cache.to_str().unwrap(),
        p.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(stdout(&o).contains("M0902"), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("estimatedvalue"),
        "did-you-mean: {}",
        stdout(&o)
    );
}

/// The bundled `$metadata` fixtures describe every connection of the example specs,
/// custom columns (`new_*`) and tenant API extensions included, so the examples check
/// clean against them: every entity, field, navigation and type is checked.
#[test]
fn example_specs_are_clean_against_the_bundled_schema_cache() {
    let o = mapc(&[
        "check",
        "--format",
        "json",
        "--schema-cache",
        "tests/fixtures/schema-cache",
        "specs/examples/",
    ]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON report");
    assert_eq!(
        report["diagnostics"],
        serde_json::json!([]),
        "stderr:\n{}",
        stderr(&o)
    );
    assert_eq!(code(&o), 0, "stderr:\n{}", stderr(&o));
    let o = mapc(&[
        "check",
        "--schema-cache",
        "tests/fixtures/schema-cache",
        "specs/examples/",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("6 specs checked: 0 errors, 0 warnings"),
        "{}",
        stderr(&o)
    );
    // The cache is really used: one misspelled column of the contract-tool example
    // is found in it (and only in it).
    let spec = std::fs::read_to_string(root().join("specs/examples/contract-tool.mapc.yaml"))
        .expect("example spec");
    let p = temp_spec(
        "contract-tool.mapc.yaml",
        spec.replacen("from: new_contractterm", "from: new_contracterm", 1)
            .as_bytes(),
    );
    assert_eq!(code(&mapc(&["check", p.to_str().unwrap()])), 0);
    let o = mapc(&[
        "check",
        "--format",
        "json",
        "--schema-cache",
        "tests/fixtures/schema-cache",
        p.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(
        stdout(&o).contains("did you mean `new_contractterm`?"),
        "{}",
        stdout(&o)
    );
}

/// A literal secret in a spec is reported, but never printed, in any format.
#[test]
fn literal_secrets_never_appear_in_output() {
    let secret = "Zq8~hunter2-DoNotPrint";
    let spec = format!(
        "mapc: 1\nname: leak\nconnections:\n  crm:\n    kind: dataverse\n    url: https://contoso.crm4.dynamics.com\n    auth: {{ flow: client_credentials, tenant: \"${{T}}\", client_id: \"${{C}}\", client_secret: \"{secret}\" }}\n  out: {{ kind: file, path: out.ndjson }}\nmappings:\n  - name: m\n    source: {{ connection: crm, entity: account }}\n    target: {{ connection: out, entity: a }}\n    fields:\n      - {{ from: name, to: title }}\n"
    );
    let p = temp_spec("leak.mapc.yaml", spec.as_bytes());
    for format in ["human", "json", "github", "sarif"] {
        let o = mapc(&["check", "--format", format, p.to_str().unwrap()]);
        assert_eq!(code(&o), 1, "{format}");
        let all = format!("{}{}", stdout(&o), stderr(&o));
        assert!(all.contains("M0801"), "{format}: {all}");
        assert!(!all.contains("hunter2"), "{format} leaks the secret: {all}");
    }
}

/// Whatever the diagnostic is about (a duplicate key, broken YAML, a wrong
/// type, a neighbouring line), a snippet never shows a literal secret.
#[test]
fn secrets_stay_hidden_when_other_diagnostics_show_their_line() {
    let head = "mapc: 1\nname: leak\nconnections:\n  crm:\n    kind: dataverse\n";
    let cases = [
        ("dup", format!("{head}    url: https://contoso.crm4.dynamics.com\n    auth: {{ flow: client_credentials, client_secret: \"hunter2pass\", client_secret: \"hunter2pass\" }}\n")),
        ("broken", format!("{head}    url: https://contoso.crm4.dynamics.com\n    auth: {{ flow: client_credentials, client_secret: hunter2pass\n")),
        ("list", format!("{head}    url: https://contoso.crm4.dynamics.com\n    auth:\n      flow: client_credentials\n      client_secret: [hunter2pass]\n")),
        ("neighbour", format!("{head}    url: https://contoso.crm4.dynamics.com\n    auth:\n      client_secret: hunter2pass\n      client_secret: x\n")),
        ("url", format!("{head}    url: https://admin:hunter2pass@contoso.crm4.dynamics.com\n    url: https://contoso.crm4.dynamics.com\n")),
    ];
    for (name, spec) in cases {
        let p = temp_spec(&format!("hide-{name}.mapc.yaml"), spec.as_bytes());
        for format in ["human", "json", "github", "sarif"] {
            let o = mapc(&["check", "--format", format, p.to_str().unwrap()]);
            assert_eq!(code(&o), 1, "{name} {format}");
            let all = format!("{}{}", stdout(&o), stderr(&o));
            assert!(
                !all.contains("hunter2"),
                "{name} {format} leaks the secret: {all}"
            );
        }
    }
}

/// The spec in the README's tour is a working spec.
#[test]
fn the_readme_tour_spec_passes_check() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let start = readme
        .find("```yaml\n# yaml-language-server")
        .expect("tour spec in README")
        + "```yaml\n".len();
    let len = readme[start..].find("```").expect("end of the tour spec");
    let p = temp_spec("tour.mapc.yaml", &readme.as_bytes()[start..start + len]);
    let o = mapc(&["check", p.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
}

/// An environment overlay changes only what it names: its `auth` needs no `flow`.
#[test]
fn environment_overlays_may_change_one_auth_setting() {
    let spec = "mapc: 1\nname: envs\nconnections:\n  crm:\n    kind: dataverse\n    url: https://contoso.crm4.dynamics.com\n    auth: { flow: client_credentials, tenant: \"${T}\", client_id: \"${C}\", client_secret: \"${S}\" }\n  out: { kind: file, path: out.ndjson }\nenvironments:\n  production: { default: true }\n  test:\n    connections:\n      crm: { url: https://contoso-test.crm4.dynamics.com, auth: { client_secret: \"${TEST_SECRET}\" } }\nmappings:\n  - name: m\n    source: { connection: crm, entity: account }\n    target: { connection: out, entity: a }\n    fields:\n      - { from: name, to: title }\n";
    let p = temp_spec("envs.mapc.yaml", spec.as_bytes());
    let o = mapc(&["check", p.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let top = spec.replace("auth: { flow: client_credentials, ", "auth: { ");
    let p = temp_spec("envs-noflow.mapc.yaml", top.as_bytes());
    let o = mapc(&["check", "--format", "json", p.to_str().unwrap()]);
    assert_eq!(code(&o), 1);
    assert!(
        stdout(&o).contains("M0201"),
        "a connection's own auth still needs `flow`: {}",
        stdout(&o)
    );
}

/// A spec named twice, or also inside a named directory, is checked once.
#[test]
fn each_spec_is_checked_once() {
    let o = mapc(&[
        "check",
        "specs/examples/odata-copy.mapc.yaml",
        "specs/examples/odata-copy.mapc.yaml",
        "specs/examples/",
    ]);
    assert_eq!(code(&o), 0);
    let n = std::fs::read_dir(root().join("specs/examples"))
        .expect("examples")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".mapc.yaml"))
        })
        .count();
    assert!(
        stderr(&o).starts_with(&format!("{n} specs checked")),
        "{}",
        stderr(&o)
    );
}
