//! End-to-end robustness of the binary: closed pipes, byte order marks and
//! non-ASCII text, lines too long for the report renderer, and dates that do
//! not exist. Each of these once ended in a panic (exit 101) or a misleading
//! message.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn mapc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mapc"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run mapc")
}

/// Runs mapc with its standard output a pipe that is closed before mapc
/// writes to it (the reader of `mapc ... | head -0` has gone).
fn mapc_closed_stdout(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mapc"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run mapc");
    drop(child.stdout.take());
    child.wait_with_output().expect("mapc ends")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("an exit code, not a signal")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn temp(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mapc-robust-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write temp file");
    p
}

const VALID: &str = "mapc: 1\nname: tiny\nconnections:\n  src: { kind: file, path: in.ndjson }\n  out: { kind: file, path: out.ndjson }\nmappings:\n  - name: copy\n    source: { connection: src, entity: thing }\n    target: { connection: out, entity: thing }\n    fields:\n      - { from: name, to: title }\n";

// ------------------------------------------------------------ closed pipes

#[test]
fn a_closed_standard_output_ends_every_command_quietly() {
    let bad = temp("bad.mapc.yaml", VALID.replace("from:", "form:").as_bytes());
    let bad = bad.to_str().unwrap();
    let cases: &[(&[&str], i32)] = &[
        (&["explain"], 0),
        (&["explain", "M0603"], 0),
        (&["check", "specs/examples/"], 0),
        (&["check", bad], 1),
        (&["check", "--format", "json", bad], 1),
        (&["test", "specs/examples/"], 0),
        (&["test", "--format", "json", "specs/examples/"], 0),
        (
            &[
                "preview",
                "specs/examples/contract-tool.mapc.yaml",
                "--input",
                "specs/examples/data/contract-tool.ndjson",
                "--as-of",
                "2026-11-22",
            ],
            1,
        ),
        (
            &[
                "preview",
                "specs/examples/marketing-contacts.mapc.yaml",
                "--input",
                "specs/examples/data/marketing-contacts.ndjson",
                "--as-of",
                "2026-11-22",
                "--format",
                "ndjson",
            ],
            0,
        ),
        (
            &[
                "preview",
                "specs/examples/marketing-contacts.mapc.yaml",
                "--input",
                "specs/examples/data/marketing-contacts.ndjson",
                "--as-of",
                "2026-11-22",
                "--format",
                "table",
            ],
            0,
        ),
    ];
    for (args, want) in cases {
        // The exit code is the one of a full run: a closed pipe never turns
        // a failure into a success.
        let full = mapc(args);
        assert_eq!(code(&full), *want, "{args:?}: {}", stderr(&full));
        let o = mapc_closed_stdout(args);
        let err = stderr(&o);
        assert_eq!(code(&o), *want, "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(!err.contains("Broken pipe"), "{args:?}: {err}");
    }
}

#[test]
fn preview_stops_reading_when_standard_output_closes() {
    // Enough records to fill any pipe buffer: the run ends at the first
    // failed write instead of mapping everything into the void.
    let mut data = String::new();
    for i in 0..50_000 {
        data.push_str(&format!(
            "{{\"name\":\"record number {i} with some text\"}}\n"
        ));
    }
    let input = temp("many.ndjson", data.as_bytes());
    let spec = temp("tiny.mapc.yaml", VALID.as_bytes());
    let mut child = Command::new(env!("CARGO_BIN_EXE_mapc"))
        .args([
            "preview",
            spec.to_str().unwrap(),
            "--input",
            input.to_str().unwrap(),
            "--format",
            "ndjson",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run mapc");
    // Read one line, then go away, as `head -1` does.
    let mut first = String::new();
    {
        use std::io::BufRead;
        let mut r = std::io::BufReader::new(child.stdout.take().expect("stdout"));
        r.read_line(&mut first).expect("a first line");
    }
    let o = child.wait_with_output().expect("mapc ends");
    assert_eq!(first, "{\"title\":\"record number 0 with some text\"}\n");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stderr(&o), "", "no message for a closed pipe");
}

// ------------------------------------------------- BOM and non-ASCII text

#[test]
fn a_spec_with_a_bom_and_umlauts_checks_previews_and_tests() {
    let spec = format!(
        "\u{feff}{}description: \"Kunde Müller: Sonderfall\"\ntests:\n  - name: Grüße\n    input: {{ name: \"Jürgen: Ä\" }}\n    expect: {{ title: \"Jürgen: Ä\" }}\n",
        VALID
    );
    let p = temp("bom.mapc.yaml", spec.as_bytes());
    let p = p.to_str().unwrap();
    let o = mapc(&["check", p]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let o = mapc(&["test", p]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("1 passed"), "{}", stdout(&o));
    let input = temp("bom.ndjson", "{\"name\":\"Müller: ü\"}\n".as_bytes());
    let o = mapc(&["preview", p, "--input", input.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("Müller: ü"), "{}", stdout(&o));
    // A test file with a BOM, too.
    let t = temp(
        "bom.test.yaml",
        "\u{feff}spec: bom.mapc.yaml\ntests:\n  - name: ä\n    input: { name: x }\n    expect: { title: x }\n"
            .as_bytes(),
    );
    let o = mapc(&["test", t.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn the_bom_is_not_a_column() {
    let p = temp(
        "bomcol.mapc.yaml",
        format!("\u{feff}mapx: 1\n{}", &VALID["mapc: 1\n".len()..]).as_bytes(),
    );
    let o = mapc(&["check", "--format", "json", p.to_str().unwrap()]);
    assert_eq!(code(&o), 1);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    let d = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "M0202")
        .expect("M0202 for `mapx`")
        .clone();
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(1), Some(1))
    );
    let o = mapc(&["check", p.to_str().unwrap()]);
    assert!(
        stdout(&o).contains("bomcol.mapc.yaml:1:1]"),
        "{}",
        stdout(&o)
    );
}

// --------------------------------------------------------- very long lines

#[test]
fn reports_past_column_65535_render_in_check_and_preview() {
    let spec = format!(
        "{{mapc: 1, name: one-line, description: \"{}\", connections: {{src: {{kind: file, path: in.ndjson}}, out: {{kind: file, path: out.ndjson}}}}, mappings: [{{name: m, source: {{connection: src, entity: a}}, target: {{connection: out, entity: b}}, fields: [{{expr: \"upper(name) + 1\", to: y}}]}}]}}\n",
        "ü".repeat(70_000)
    );
    let p = temp("oneline.mapc.yaml", spec.as_bytes());
    let p = p.to_str().unwrap();
    let o = mapc(&["check", p]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(
        stdout(&o).contains("oneline.mapc.yaml:1:70"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).lines().all(|l| l.chars().count() < 300));
    let input = temp("oneline.ndjson", b"{\"name\":\"x\"}\n");
    // preview renders the spec's diagnostics as a human report whatever
    // `--format` says.
    let o = mapc(&[
        "preview",
        p,
        "--input",
        input.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("oneline.mapc.yaml:1:70"),
        "{}",
        stderr(&o)
    );
}

// ----------------------------------------------------- days that do not exist

#[test]
fn as_of_names_the_month_length() {
    let spec = temp("asof.mapc.yaml", VALID.as_bytes());
    let input = temp("asof.ndjson", b"{\"name\":\"x\"}\n");
    for (date, why) in [
        ("2026-02-29", "February 2026 has 28 days"),
        ("2026-04-31", "April 2026 has 30 days"),
        ("2026-13-01", "there is no month 13"),
    ] {
        let o = mapc(&[
            "preview",
            spec.to_str().unwrap(),
            "--input",
            input.to_str().unwrap(),
            "--as-of",
            date,
        ]);
        assert_eq!(code(&o), 2);
        assert!(
            stderr(&o).contains(&format!("--as-of `{date}` is not a date: {why}")),
            "{}",
            stderr(&o)
        );
        let o = mapc(&["test", spec.to_str().unwrap(), "--as-of", date]);
        assert_eq!(code(&o), 2);
        assert!(stderr(&o).contains(why), "{}", stderr(&o));
    }
    let o = mapc(&["test", spec.to_str().unwrap(), "--as-of", "22.11.2026"]);
    assert!(
        stderr(&o).contains("is not a date in the form YYYY-MM-DD"),
        "{}",
        stderr(&o)
    );
    let o = mapc(&["test", spec.to_str().unwrap(), "--as-of", "2024-02-29"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

#[test]
fn date_literals_that_do_not_exist_say_why() {
    let spec = VALID
        .replace(
            "entity: thing }\n    target",
            "entity: thing, filter: \"d lt 2026-02-30\" }\n    target",
        )
        .replace(
            "      - { from: name, to: title }\n",
            "      - { from: name, to: title }\n      - { expr: \"d < @2025-02-29\", to: early }\n",
        );
    let p = temp("literals.mapc.yaml", spec.as_bytes());
    let o = mapc(&["check", p.to_str().unwrap()]);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    assert!(out.contains("February 2026 has 28 days"), "{out}");
    assert!(out.contains("February 2025 has 28 days"), "{out}");
}

// ------------------------------------------------------------ hostile sizes

#[test]
fn paths_of_thousands_of_segments_are_refused_at_check_time() {
    let input = temp("paths.ndjson", b"{\"name\":\"x\",\"a\":{\"a\":1}}\n");
    let long = |sep: &str, n: usize| vec!["a"; n].join(sep);
    for (what, spec) in [
        // 1.6 GB and a crash in preview before.
        (
            "from",
            VALID.replace("from: name", &format!("from: {}", long(".", 40_000))),
        ),
        // Seconds of target-path conflict checks before.
        (
            "to",
            VALID.replace("to: title", &format!("to: {}", long(".", 20_000))),
        ),
        (
            "expr",
            VALID.replace("from: name", &format!("expr: \"{}\"", long(".", 40_000))),
        ),
        (
            "filter",
            VALID.replace(
                "entity: thing }\n    target",
                &format!(
                    "entity: thing, filter: \"{} eq 1\" }}\n    target",
                    long("/", 40_000)
                ),
            ),
        ),
        (
            "source.key",
            VALID.replace(
                "entity: thing }\n    target",
                &format!("entity: thing, key: {} }}\n    target", long(".", 40_000)),
            ),
        ),
    ] {
        let p = temp(&format!("long-{what}.mapc.yaml"), spec.as_bytes());
        let o = mapc(&["check", "--format", "json", p.to_str().unwrap()]);
        assert_eq!(code(&o), 1, "{what}: {}", stderr(&o));
        let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
        let codes: Vec<&str> = doc["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["M0306"], "{what}");
        let o = mapc(&[
            "preview",
            p.to_str().unwrap(),
            "--input",
            input.to_str().unwrap(),
        ]);
        assert_eq!(code(&o), 1, "{what}: {}", stderr(&o));
        assert!(stderr(&o).contains("M0306"), "{what}: {}", stderr(&o));
    }
    // 64 segments are fine.
    let spec = VALID.replace("to: title", &format!("to: {}", long(".", 64)));
    let p = temp("long-ok.mapc.yaml", spec.as_bytes());
    let o = mapc(&["check", p.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
}
