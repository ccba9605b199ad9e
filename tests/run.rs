//! End-to-end tests of `mapc run` file -> file with the SQLite state: each
//! test writes a spec and a source file into a scratch folder, runs the
//! built binary, edits the files between runs as a user (or the other
//! system) would, and checks the target file, the summary and the exit code.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Sandbox {
    dir: tempfile::TempDir,
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn summary(&self) -> &str {
        self.stdout
            .lines()
            .find(|l| l.contains("mapping `"))
            .unwrap_or_else(|| panic!("no summary in:\n{}\n{}", self.stdout, self.stderr))
    }
}

const SPEC: &str = r#"
mapc: 1
name: sync-test
connections:
  src: { kind: file, path: source.ndjson }
  out: { kind: file, path: out/target.ndjson }
polling: { lookback_days: LOOKBACK }
mappings:
  - name: accounts
    source: { connection: src, entity: account, key: id, changed_since: modifiedon }
    target: { connection: out, entity: account, key: number, write: WRITE, delete: DELETE }
    rules:
      - { when: "amount < 0", action: error, message: "negative amount" }
    fields:
      - { from: number, to: number }
      - { from: name, to: name }
      - { from: amount, to: amount }
      - { from: created, to: created, sync: once }
FIELDS
"#;

fn spec(lookback: u32, write: &str, delete: bool, fields: &str) -> String {
    SPEC.replace("LOOKBACK", &lookback.to_string())
        .replace("WRITE", write)
        .replace("DELETE", &delete.to_string())
        .replace("FIELDS", fields)
}

fn rec(id: &str, number: &str, name: &str, amount: &str, modified: &str) -> String {
    format!(
        r#"{{"id":"{id}","number":"{number}","name":"{name}","amount":{amount},"created":"2020-01-01","modifiedon":"{modified}"}}"#
    )
}

impl Sandbox {
    fn new(spec: &str, records: &[String]) -> Sandbox {
        let s = Sandbox {
            dir: tempfile::tempdir().expect("temp dir"),
        };
        s.write("spec.mapc.yaml", spec);
        s.source(records);
        s
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    fn write(&self, p: &str, text: &str) {
        let path = self.path(p);
        if let Some(d) = path.parent() {
            std::fs::create_dir_all(d).expect("mkdir");
        }
        std::fs::write(path, text).expect("write");
    }

    fn read(&self, p: &str) -> String {
        std::fs::read_to_string(self.path(p)).unwrap_or_default()
    }

    fn source(&self, records: &[String]) {
        let mut text = records.join("\n");
        text.push('\n');
        self.write("source.ndjson", &text);
    }

    fn target_lines(&self) -> Vec<serde_json::Value> {
        self.read("out/target.ndjson")
            .lines()
            .map(|l| serde_json::from_str(l).expect("target line is JSON"))
            .collect()
    }

    fn run(&self, args: &[&str]) -> Run {
        let out = self.command(args).output().expect("mapc runs");
        shown(out)
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_mapc"));
        c.arg("run")
            .arg(self.path("spec.mapc.yaml"))
            .args(args)
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::null());
        c
    }
}

fn shown(out: Output) -> Run {
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Recent timestamps, so the default-style lookback takes them.
fn recent(minutes_ago: i64) -> String {
    let t = jiff::Timestamp::now() - jiff::SignedDuration::from_mins(minutes_ago);
    t.round(jiff::Unit::Second).expect("round").to_string()
}

fn counts(s: &str) -> String {
    // "... 3 records read, 3 created, 0 updated, 0 unchanged, ..." -> the counts part
    s.split(": ")
        .nth(1)
        .unwrap_or(s)
        .split(';')
        .next()
        .unwrap_or(s)
        .to_string()
}

#[test]
fn first_run_creates_second_changes_nothing_and_leaves_the_file_byte_identical() {
    let t = recent(30);
    let records = [
        rec("a1", "C1", "Zürich AG", "10.50", &t),
        rec("a2", "C2", "Fabrikam", "1.10", &t),
    ];
    let s = Sandbox::new(&spec(5, "upsert", false, ""), &records);
    let r = s.run(&[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        counts(r.summary()).contains("2 records read, 2 created, 0 updated, 0 unchanged"),
        "{}",
        r.summary()
    );
    let first = std::fs::read(s.path("out/target.ndjson")).expect("target written");
    let mtime = std::fs::metadata(s.path("out/target.ndjson"))
        .and_then(|m| m.modified())
        .expect("mtime");
    let t = s.target_lines();
    assert_eq!(t.len(), 2);
    assert_eq!(t[0]["name"], "Zürich AG");
    // Exact numbers: the text as the source had it.
    assert!(String::from_utf8_lossy(&first).contains(r#""amount":1.10"#));
    assert!(
        s.path(".mapc/state.db").exists(),
        "state beside the spec by default"
    );

    std::thread::sleep(std::time::Duration::from_millis(20));
    let r = s.run(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        counts(r.summary()).contains("0 created, 0 updated, 2 unchanged"),
        "{}",
        r.summary()
    );
    assert_eq!(
        std::fs::read(s.path("out/target.ndjson")).expect("target"),
        first
    );
    let mtime2 = std::fs::metadata(s.path("out/target.ndjson"))
        .and_then(|m| m.modified())
        .expect("mtime");
    assert_eq!(mtime, mtime2, "an unchanged run does not touch the target");
}

#[test]
fn updates_change_only_the_changed_fields_and_once_fields_stay() {
    let t0 = recent(60);
    let s = Sandbox::new(
        &spec(5, "upsert", false, ""),
        &[
            rec("a1", "C1", "Old", "1", &t0),
            rec("a2", "C2", "Two", "2", &t0),
        ],
    );
    assert_eq!(s.run(&[]).code, 0);
    // The source changes name and the once field; the target keeps an extra member.
    let t1 = recent(10);
    let changed = rec("a1", "C1", "New", "1", &t1).replace("2020-01-01", "2099-09-09");
    s.source(&[changed, rec("a2", "C2", "Two", "2", &t0)]);
    let dry = s.run(&["--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(
        dry.stdout
            .lines()
            .any(|l| l == "update    C1  changed: name"),
        "the once field is not in the plan: {}",
        dry.stdout
    );
    let r = s.run(&[]);
    assert!(
        counts(r.summary()).contains("0 created, 1 updated, 1 unchanged"),
        "{}",
        r.summary()
    );
    let t = s.target_lines();
    assert_eq!(t[0]["name"], "New");
    assert_eq!(
        t[0]["created"], "2020-01-01",
        "sync: once is written on create only"
    );
    assert_eq!(t[1]["number"], "C2", "order of existing records kept");
}

#[test]
fn equal_timestamps_at_the_watermark_are_read_again_and_the_new_one_is_not_lost() {
    let t = recent(30);
    let s = Sandbox::new(
        &spec(5, "upsert", false, ""),
        &[rec("a1", "C1", "One", "1", &t)],
    );
    let r = s.run(&[]);
    assert!(
        r.summary().contains(&format!("watermark none -> {t}")),
        "{}",
        r.summary()
    );
    // Written in the same second after the last read.
    s.source(&[
        rec("a1", "C1", "One", "1", &t),
        rec("a2", "C2", "Two", "2", &t),
    ]);
    let r = s.run(&[]);
    assert!(
        counts(r.summary()).contains("2 records read, 1 created, 0 updated, 1 unchanged"),
        "{}",
        r.summary()
    );
    assert_eq!(s.target_lines().len(), 2);
}

#[test]
fn lookback_bounds_the_first_pull_and_full_ignores_it_and_the_watermark() {
    let old = "2020-05-05T10:00:00Z".to_string();
    let s = Sandbox::new(
        &spec(5, "upsert", false, ""),
        &[
            rec("a1", "C1", "Old", "1", &old),
            rec("a2", "C2", "New", "2", &recent(5)),
        ],
    );
    let r = s.run(&[]);
    assert!(
        counts(r.summary()).contains("1 record read, 1 created"),
        "{}",
        r.summary()
    );
    assert!(
        r.summary().contains("1 record older than the watermark"),
        "{}",
        r.summary()
    );
    let r = s.run(&["--full"]);
    assert!(
        counts(r.summary()).contains("2 records read, 1 created, 0 updated, 1 unchanged"),
        "{}",
        r.summary()
    );
}

#[test]
fn a_dry_run_writes_and_commits_nothing() {
    let s = Sandbox::new(
        &spec(5, "upsert", false, ""),
        &[rec("a1", "C1", "One", "1", &recent(5))],
    );
    let r = s.run(&["--dry-run"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("create    C1"), "{}", r.stdout);
    assert!(r.summary().starts_with("dry run: "), "{}", r.summary());
    assert!(!s.path("out/target.ndjson").exists());
    let r = s.run(&[]);
    assert!(
        counts(r.summary()).contains("1 created"),
        "the dry run committed nothing: {}",
        r.summary()
    );
    let j = s.run(&["--dry-run", "--format", "json", "--full"]);
    let v: serde_json::Value = serde_json::from_str(&j.stdout).expect("json summary");
    assert_eq!(v["dry_run"], true);
    assert_eq!(v["mappings"][0]["counts"]["unchanged"], 1);
}

#[test]
fn rejected_records_are_reported_and_do_not_block_the_watermark() {
    let s = Sandbox::new(
        &spec(5, "upsert", false, ""),
        &[
            rec("a1", "C1", "One", "1", &recent(30)),
            rec("a2", "C2", "Bad", "-5", &recent(20)),
            rec("a3", "C3", "Three", "3", "yesterday"),
            rec("a4", "C4", "Four", "4", &recent(5)),
        ],
    );
    let r = s.run(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("error[R0008]") && r.stderr.contains("negative amount"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("error[R0040]") && r.stderr.contains("`yesterday` is not an RFC 3339"),
        "{}",
        r.stderr
    );
    assert!(
        counts(r.summary()).contains("2 created") && counts(r.summary()).contains("2 rejected"),
        "{}",
        r.summary()
    );
    // The watermark passed the rejected record: a rerun does not take it
    // again. The one without a readable timestamp is taken (and refused)
    // until it is fixed: mapc cannot tell whether it changed.
    let r = s.run(&[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        counts(r.summary()).contains("2 records read, 0 created, 0 updated, 1 unchanged"),
        "{}",
        r.summary()
    );
    assert!(
        r.stderr.contains("R0040") && !r.stderr.contains("R0008"),
        "{}",
        r.stderr
    );
}

#[test]
fn write_modes_create_and_update() {
    let t = recent(10);
    let s = Sandbox::new(
        &spec(5, "create", false, ""),
        &[rec("a1", "C1", "One", "1", &t)],
    );
    assert_eq!(s.run(&[]).code, 0);
    s.source(&[
        rec("a1", "C1", "Changed", "1", &recent(5)),
        rec("a2", "C2", "Two", "2", &recent(5)),
    ]);
    let r = s.run(&[]);
    assert!(
        counts(r.summary()).contains("1 created, 0 updated, 0 unchanged, 1 skipped"),
        "{}",
        r.summary()
    );
    assert_eq!(
        s.target_lines()[0]["name"],
        "One",
        "`write: create` never touches existing keys"
    );
    s.write("spec.mapc.yaml", &spec(5, "update", false, ""));
    s.source(&[
        rec("a1", "C1", "Changed", "1", &recent(4)),
        rec("a9", "C9", "New", "9", &recent(4)),
    ]);
    let r = s.run(&["--full"]);
    assert!(
        counts(r.summary()).contains("0 created, 1 updated"),
        "{}",
        r.summary()
    );
    assert_eq!(s.target_lines().len(), 2, "`write: update` never adds keys");
}

#[test]
fn deletes_need_both_the_spec_and_the_flag() {
    let t = recent(10);
    let both = [
        rec("a1", "C1", "One", "1", &t),
        rec("a2", "C2", "Two", "2", &t),
    ];
    let s = Sandbox::new(&spec(5, "upsert", false, ""), &both);
    assert_eq!(s.run(&[]).code, 0);
    s.source(&both[..1]);
    let r = s.run(&["--full", "--allow-delete"]);
    assert!(
        r.stderr.contains("nothing deleted") && r.stderr.contains("target.delete"),
        "{}",
        r.stderr
    );
    assert_eq!(s.target_lines().len(), 2);
    s.write("spec.mapc.yaml", &spec(5, "upsert", true, ""));
    let r = s.run(&["--full"]);
    assert!(r.stderr.contains("--allow-delete"), "{}", r.stderr);
    assert_eq!(s.target_lines().len(), 2);
    let r = s.run(&["--allow-delete"]);
    assert!(
        r.stderr.contains("--full"),
        "an incremental pull does not delete: {}",
        r.stderr
    );
    let r = s.run(&["--full", "--allow-delete"]);
    assert!(counts(r.summary()).contains("1 deleted"), "{}", r.summary());
    let t = s.target_lines();
    assert_eq!(t.len(), 1);
    assert_eq!(t[0]["number"], "C1");
}

const TWO_WAY: &str = "      - { from: email, to: email, sync: two_way, conflict: POLICY }\n      - { from: status, to: status, sync: target_to_source }";

fn rec2(email: &str, status: &str, modified: &str) -> String {
    format!(
        r#"{{"id":"a1","number":"C1","name":"One","amount":1,"created":"2020-01-01","modifiedon":"{modified}","email":"{email}","status":"{status}"}}"#
    )
}

fn edit_target(s: &Sandbox, from: &str, to: &str) {
    let t = s.read("out/target.ndjson");
    assert!(t.contains(from), "{t}");
    s.write("out/target.ndjson", &t.replace(from, to));
}

#[test]
fn two_way_fields_flow_from_the_side_that_changed() {
    let s = Sandbox::new(
        &spec(5, "upsert", false, &TWO_WAY.replace("POLICY", "fail")),
        &[rec2("a@x", "draft", &recent(30))],
    );
    let r = s.run(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // The target changed the two-way email and the target_to_source status.
    edit_target(&s, r#""email":"a@x""#, r#""email":"t@x","status":"signed""#);
    let r = s.run(&["--full"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let src = s.read("source.ndjson");
    assert!(
        src.contains(r#""email":"t@x""#),
        "the target's change flowed back: {src}"
    );
    assert!(src.contains(r#""status":"signed""#), "{src}");
    // Now the source changes it: the target follows.
    s.source(&[rec2("s@x", "signed", &recent(5))]);
    let r = s.run(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(s.target_lines()[0]["email"], "s@x");
}

#[test]
fn two_way_conflicts_follow_the_policy() {
    for (policy, code, target_email, source_email) in [
        ("source_wins", 0, "s@x", "s@x"),
        ("target_wins", 0, "t@x", "t@x"),
        // The target file was modified after the source record's timestamp.
        ("newest", 0, "t@x", "t@x"),
        ("fail", 1, "t@x", "s@x"),
    ] {
        let s = Sandbox::new(
            &spec(5, "upsert", false, &TWO_WAY.replace("POLICY", policy)),
            &[rec2("a@x", "draft", &recent(60))],
        );
        assert_eq!(s.run(&[]).code, 0);
        s.source(&[rec2("s@x", "draft", &recent(30))]);
        edit_target(&s, r#""email":"a@x""#, r#""email":"t@x""#);
        let r = s.run(&[]);
        assert_eq!(r.code, code, "{policy}: {}{}", r.stdout, r.stderr);
        assert_eq!(s.target_lines()[0]["email"], target_email, "{policy}");
        assert!(
            s.read("source.ndjson")
                .contains(&format!(r#""email":"{source_email}""#)),
            "{policy}: {}",
            s.read("source.ndjson")
        );
        if policy == "fail" {
            assert!(
                r.stderr.contains("error[R0041]") && r.stderr.contains("`email`"),
                "{}",
                r.stderr
            );
            assert!(
                counts(r.summary()).contains("1 conflict"),
                "{}",
                r.summary()
            );
            // Nothing was decided: the conflict is reported again.
            let again = s.run(&["--full"]);
            assert_eq!(again.code, 1, "{}", again.stderr);
        } else {
            assert!(
                r.stderr.contains("R0108"),
                "{policy}: resolved conflicts are reported: {}",
                r.stderr
            );
        }
    }
}

#[test]
fn environments_keep_their_own_state_and_bindings_are_checked() {
    let envs = "environments:\n  prod: { default: true }\n  test:\n    connections:\n      out: { path: out/test-target.ndjson }\n";
    let spec_text = format!("{}{envs}", spec(5, "upsert", false, ""));
    let s = Sandbox::new(&spec_text, &[rec("a1", "C1", "One", "1", &recent(5))]);
    assert!(s.run(&[]).summary().contains("(env prod)"));
    let r = s.run(&["--env", "test"]);
    assert!(
        counts(r.summary()).contains("1 created"),
        "test has its own state: {}",
        r.summary()
    );
    assert!(s.path("out/test-target.ndjson").exists());
    // prod is bound to out/target.ndjson; pointing it elsewhere is refused.
    s.write(
        "spec.mapc.yaml",
        &spec_text.replace("path: out/target.ndjson", "path: out/moved.ndjson"),
    );
    let r = s.run(&[]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("is bound to") && r.stderr.contains("--rebind"),
        "{}",
        r.stderr
    );
    assert!(!s.path("out/moved.ndjson").exists());
    let r = s.run(&["--rebind", "--full"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(s.path("out/moved.ndjson").exists());
    let r = s.run(&["--env", "nope"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no such environment"), "{}", r.stderr);
}

#[test]
fn a_concurrent_run_is_refused() {
    use mapc_state::StateStore;
    let s = Sandbox::new(
        &spec(5, "upsert", false, ""),
        &[rec("a1", "C1", "One", "1", &recent(5))],
    );
    let mut held = mapc_state::SqliteState::open(&s.path(".mapc/state.db")).expect("state");
    let scope = mapc_state::Scope {
        env: String::new(),
        mapping: "accounts".into(),
    };
    let id = held
        .begin_run(&scope, "2026-12-06T00:00:00Z", false)
        .expect("lock");
    let r = s.run(&[]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("another mapc run"), "{}", r.stderr);
    assert!(!s.path("out/target.ndjson").exists());
    held.end_run(id, "2026-12-06T00:00:01Z", &Default::default(), "ok")
        .expect("unlock");
    assert_eq!(s.run(&[]).code, 0);
}

#[test]
fn broken_state_files_give_a_clear_error() {
    let s = Sandbox::new(
        &spec(5, "upsert", false, ""),
        &[rec("a1", "C1", "One", "1", &recent(5))],
    );
    s.write("not-sqlite.db", "this is not a database\n");
    let r = s.run(&["--state", "not-sqlite.db"]);
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("not-sqlite.db"), "{}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    assert_eq!(s.run(&["--state", "good.db"]).code, 0);
    let bytes = std::fs::read(s.path("good.db")).expect("db");
    std::fs::write(s.path("truncated.db"), &bytes[..bytes.len().min(1000)]).expect("write");
    let r = s.run(&["--state", "truncated.db"]);
    assert_ne!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("truncated.db") && !r.stderr.contains("panicked"),
        "{}",
        r.stderr
    );
}

#[test]
fn bad_input_is_named_with_the_fix() {
    let s = Sandbox::new(
        &spec(5, "upsert", false, ""),
        &[rec("a1", "C1", "One", "1", &recent(5))],
    );
    std::fs::remove_file(s.path("source.ndjson")).expect("rm");
    let r = s.run(&[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("source.ndjson") && r.stderr.contains("path:"),
        "{}",
        r.stderr
    );
    s.source(&[rec("a1", "C1", "One", "1", &recent(5))]);
    // A target folder that cannot be written: a file where the folder should be.
    s.write("out", "a file, not a folder");
    let r = s.run(&[]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("out"), "{}", r.stderr);
    assert!(
        r.stderr.contains("nothing of it was committed"),
        "{}",
        r.stderr
    );
}

/// Kills real `mapc run` processes at random moments; after a final run the
/// target holds every record exactly once, and a further run changes
/// nothing (the state never claimed a write that did not happen).
#[test]
fn a_run_killed_at_any_moment_loses_and_duplicates_nothing() {
    let n = 10_000;
    let mk = |round: usize| -> Vec<String> {
        (0..n)
            .map(|i| {
                rec(
                    &format!("a{i}"),
                    &format!("C{i}"),
                    &format!("name {i} v{}", round % 3),
                    &format!("{i}.{round}0"),
                    "2026-12-01T00:00:00Z",
                )
            })
            .collect()
    };
    let s = Sandbox::new(&spec(36500, "upsert", false, ""), &mk(0));
    // How long one whole run takes here, so the kills land inside runs.
    let t = std::time::Instant::now();
    assert_eq!(s.run(&["--full"]).code, 0);
    let whole = t.elapsed().as_micros() as u64;
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut inside = 0;
    for round in 1..=16 {
        s.source(&mk(round));
        let mut child = s
            .command(&["--full"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(std::time::Duration::from_micros(
            next() % (whole + whole / 5),
        ));
        if child.try_wait().expect("wait").is_none() {
            inside += 1;
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    assert!(
        inside >= 8,
        "only {inside} of 16 kills hit a running process"
    );
    let last = mk(16);
    s.source(&last);
    let r = s.run(&["--full"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let t = s.target_lines();
    assert_eq!(t.len(), n, "every record exactly once");
    let mut numbers: Vec<&str> = t
        .iter()
        .map(|v| v["number"].as_str().expect("number"))
        .collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), n, "no duplicates");
    for (i, v) in t.iter().enumerate() {
        if v["number"] == "C7" {
            assert_eq!(v["name"], "name 7 v1", "record {i} is the last version");
        }
    }
    let r = s.run(&["--full"]);
    assert!(
        counts(r.summary()).contains(&format!("0 created, 0 updated, {n} unchanged")),
        "{}",
        r.summary()
    );
    assert!(
        !Path::new(&s.path("out")).read_dir().expect("out").any(|e| e
            .map(|e| e.file_name().to_string_lossy().contains(".tmp"))
            .unwrap_or(false)),
        "no temp file left after a clean run"
    );
}

#[test]
fn state_show_and_reset() {
    let t = recent(10);
    let s = Sandbox::new(
        &spec(5, "upsert", false, ""),
        &[
            rec("a1", "C1", "One", "1", &t),
            rec("a2", "C2", "Two", "2", &t),
        ],
    );
    assert_eq!(s.run(&[]).code, 0);
    let show = |args: &[&str]| {
        shown(
            Command::new(env!("CARGO_BIN_EXE_mapc"))
                .arg("state")
                .args(args)
                .arg(s.path("spec.mapc.yaml"))
                .output()
                .expect("mapc runs"),
        )
    };
    let r = show(&["show"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains(&format!("`accounts`: watermark {t}, 2 records remembered")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("`out`: ") && r.stdout.contains("target.ndjson"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("#1 `accounts`") && r.stdout.contains("ok: 2 read, 2 created"),
        "{}",
        r.stdout
    );
    let j = show(&["show", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&j.stdout).expect("json");
    assert_eq!(v["mappings"][0]["keys"], 2);
    let r = show(&["reset", "--mapping", "accounts"]);
    assert_eq!(r.code, 2, "a reset needs --yes");
    assert!(r.stderr.contains("--yes"), "{}", r.stderr);
    assert!(show(&["show"]).stdout.contains("2 records remembered"));
    let r = show(&["reset", "--mapping", "accounts", "--yes"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(show(&["show"])
        .stdout
        .contains("watermark none, 0 records remembered"));
    // Forgotten, the next run compares with the target: nothing duplicated.
    let r = s.run(&[]);
    assert!(
        counts(r.summary()).contains("0 created, 0 updated, 2 unchanged"),
        "{}",
        r.summary()
    );
    assert_eq!(s.target_lines().len(), 2);
}

/// A record whose values must flow back to the source, but that has no
/// `source.key` to find its source record by, is rejected as a whole: its
/// target write does not go out either (it used to, while being reported
/// as rejected).
#[test]
fn a_record_that_cannot_flow_back_is_not_written_either() {
    let keyless = |name: &str, modified: &str| {
        format!(
            r#"{{"number":"C1","name":"{name}","amount":1,"created":"2020-01-01","modifiedon":"{modified}","email":"a@x","status":"draft"}}"#
        )
    };
    let s = Sandbox::new(
        &spec(5, "upsert", false, &TWO_WAY.replace("POLICY", "fail")),
        &[keyless("One", &recent(30))],
    );
    let r = s.run(&[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(s.target_lines()[0]["name"], "One");
    // The target's status changed (it flows back), and so did the source's name.
    edit_target(&s, r#""email":"a@x""#, r#""email":"a@x","status":"signed""#);
    s.source(&[keyless("Two", &recent(5))]);
    let r = s.run(&["--full"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(all.contains("R0042") && all.contains("no key"), "{all}");
    assert!(counts(r.summary()).contains("0 updated"), "{}", r.summary());
    assert_eq!(s.target_lines()[0]["name"], "One", "nothing written");
}

#[test]
fn a_number_key_written_with_an_exponent_is_the_same_key() {
    // The target file was written by another tool: `1e2` is the key 100,
    // which the engine writes as `100`.
    let s = Sandbox::new(
        &spec(5, "upsert", false, ""),
        &[format!(
            r#"{{"id":"a","number":100,"name":"New","amount":1,"created":"2020-01-01","modifiedon":"{}"}}"#,
            recent(5)
        )],
    );
    s.write(
        "out/target.ndjson",
        "{\"number\":1e2,\"name\":\"Old\",\"amount\":1,\"created\":\"2020-01-01\"}\n",
    );
    let r = s.run(&[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        counts(r.summary()).contains("0 created, 1 updated"),
        "{}",
        r.summary()
    );
    let lines = s.target_lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["name"], "New");
}

/// More keys than the run's key tables hold in memory (28 672 each): the
/// engine's duplicate check, the file table's index and the state's key
/// states then answer from their scratch files, and every answer must
/// still be exact: a duplicate far behind its first record, an unchanged
/// rerun, updates, deletes, and the order of the file.
#[test]
fn more_keys_than_memory_holds_are_all_matched_exactly() {
    let t = recent(10);
    let n = 40_000;
    let mut records: Vec<String> = (0..n)
        .map(|i| {
            rec(
                &format!("a{i}"),
                &format!("C{i}"),
                "Name é",
                &i.to_string(),
                &t,
            )
        })
        .collect();
    // The last record repeats the key of the 6th, 40 000 records later.
    records.push(rec("dup", "C5", "Late", "1", &t));
    let s = Sandbox::new(&spec(5, "upsert", true, ""), &records);
    let scratch = s.path("tmp");
    std::fs::create_dir_all(&scratch).expect("mkdir");
    let run = |args: &[&str]| {
        let out = s
            .command(args)
            .env("TMPDIR", &scratch)
            .output()
            .expect("mapc runs");
        shown(out)
    };
    let r = run(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        counts(r.summary()).contains("40001 records read, 40000 created"),
        "{}",
        r.summary()
    );
    assert!(
        r.stderr.contains("R0026") && r.stderr.contains("record 6"),
        "{}",
        r.stderr
    );
    let lines = s.target_lines();
    assert_eq!(lines.len(), n);
    assert_eq!(
        lines[5]["name"], "Name é",
        "the first record with the key wins"
    );

    let r = run(&["--full"]);
    assert!(
        counts(r.summary()).contains("0 created, 0 updated, 40000 unchanged"),
        "{}",
        r.summary()
    );

    // 50 changed, the last 100 gone, the duplicate gone.
    records.truncate(n - 100);
    for (i, r) in records.iter_mut().enumerate().take(50) {
        *r = rec(&format!("a{i}"), &format!("C{i}"), "Name é", "999", &t);
    }
    s.source(&records);
    let r = run(&["--full", "--allow-delete"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        counts(r.summary()).contains("0 created, 50 updated, 39850 unchanged"),
        "{}",
        r.summary()
    );
    assert!(
        counts(r.summary()).contains("100 deleted"),
        "{}",
        r.summary()
    );
    let lines = s.target_lines();
    assert_eq!(lines.len(), n - 100);
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(
            l["number"],
            format!("C{i}"),
            "the order of the file is kept"
        );
    }
    assert_eq!(lines[0]["amount"], 999);
    assert_eq!(lines[50]["amount"], 50);
    // The scratch files have no name: none is left behind.
    let left: Vec<_> = std::fs::read_dir(&scratch).expect("read").collect();
    assert!(left.is_empty(), "{left:?}");
}

/// A temporary folder that cannot hold the run's scratch files fails the
/// run as a whole (exit 3), naming the folder and the fix, and commits
/// nothing: no target file, no watermark. A dry run meets it first in the
/// duplicate-key check, a real run in the file table.
#[test]
fn a_temporary_folder_that_cannot_hold_scratch_files_fails_the_run() {
    let t = recent(10);
    let records: Vec<String> = (0..30_000)
        .map(|i| rec(&format!("a{i}"), &format!("C{i}"), "N", "1", &t))
        .collect();
    let s = Sandbox::new(&spec(5, "upsert", false, ""), &records);
    let missing = s.path("no such folder");
    for (args, part) in [
        (&["--dry-run"][..], "the duplicate-key check"),
        (&[][..], "writing the target failed"),
    ] {
        let out = s
            .command(args)
            .env("TMPDIR", &missing)
            .output()
            .expect("mapc runs");
        let r = shown(out);
        assert_eq!(r.code, 3, "{}", r.stderr);
        assert!(
            r.stderr.contains(part)
                && r.stderr.contains("no such folder")
                && r.stderr.contains("set TMPDIR"),
            "{}",
            r.stderr
        );
        assert!(
            r.stderr.contains("nothing of it was committed"),
            "{}",
            r.stderr
        );
        assert!(!s.path("out/target.ndjson").exists());
    }
    let r = s.run(&["--dry-run"]);
    assert!(
        r.stdout.contains("watermark none"),
        "no watermark was committed: {}",
        r.stdout
    );
}

/// A spec named by a relative path whose target folder does not exist yet:
/// the second run finds the same binding as the first (it once recorded
/// `DIR/./out/...` and then refused `DIR/out/...` as a rebind).
#[test]
fn a_target_folder_the_first_run_creates_keeps_its_binding() {
    let t = recent(10);
    let s = Sandbox::new(
        &spec(5, "upsert", false, ""),
        &[rec("a1", "C1", "Ünï", "1", &t)],
    );
    let relative = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_mapc"))
            .arg("run")
            .arg("spec.mapc.yaml")
            .args(args)
            .current_dir(s.dir.path())
            .env("NO_COLOR", "1")
            .output()
            .expect("mapc runs");
        shown(out)
    };
    assert!(!s.path("out").exists());
    let r = relative(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = relative(&["--full"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        counts(r.summary()).contains("1 unchanged"),
        "{}",
        r.summary()
    );
}

/// A CSV target keeps no types: a text field that looks like a number
/// (`"0.10"`) reads back as the number. A run that compares with the target
/// (here after `state reset`) finds the record unchanged, not updated.
#[test]
fn a_csv_target_compares_cells_not_types() {
    let t = recent(10);
    let spec = spec(5, "upsert", false, "").replace("out/target.ndjson", "out/target.csv");
    let s = Sandbox::new(
        &spec,
        &[format!(
            r#"{{"id":"a1","number":"C1","name":"0.10","amount":1,"created":"","modifiedon":"{t}"}}"#
        )],
    );
    assert_eq!(s.run(&[]).code, 0);
    let before = s.read("out/target.csv");
    let out = Command::new(env!("CARGO_BIN_EXE_mapc"))
        .args(["state", "reset"])
        .arg(s.path("spec.mapc.yaml"))
        .args(["--mapping", "accounts", "--yes"])
        .output()
        .expect("mapc runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = s.run(&[]);
    assert!(
        counts(r.summary()).contains("0 updated, 1 unchanged"),
        "{}",
        r.summary()
    );
    assert_eq!(s.read("out/target.csv"), before);
}
