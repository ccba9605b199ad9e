//! The peer benchmark's reference mapping (`bench/reference.mapc.yaml`) agrees with its
//! exact oracle (`../shared/bench/ref.py`) on every record of a generated sample.
//!
//! 1,000 records from `gen.py 1000` (default seed 20261122) are mapped by the built
//! `mapc preview ... --format ndjson --as-of 2026-11-22` and by `ref.py`, and both
//! outputs are compared by `canon.py` (exact decimals, sorted keys, one line to one
//! line), exactly as `../shared/bench/run.sh` checks the peers.
//!
//! The harness lives outside this repository (`../shared/bench`, or the directory in
//! `MAPC_PEER_BENCH`) and needs `python3`. When either is missing the test prints that
//! it was skipped and passes, except under CI (`CI=true`), where it fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn harness_dir() -> PathBuf {
    match std::env::var_os("MAPC_PEER_BENCH") {
        Some(d) => PathBuf::from(d),
        None => root().join("../shared/bench"),
    }
}

fn on_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Skips the test (prints why), or fails it under CI.
fn skip(why: &str) {
    if on_ci() {
        panic!("bench_reference cannot run under CI=true: {why}");
    }
    eprintln!("bench_reference: SKIPPED: {why}");
}

fn python_ok() -> bool {
    Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `python3 SCRIPT ARGS...`, stdin from `input` (if any), stdout into `out`.
fn python(script: &Path, args: &[&str], input: Option<&Path>, out: &Path) {
    let stdin = match input {
        Some(p) => Stdio::from(std::fs::File::open(p).expect("open python input")),
        None => Stdio::null(),
    };
    let status = Command::new("python3")
        .arg(script)
        .args(args)
        .stdin(stdin)
        .stdout(std::fs::File::create(out).expect("create python output"))
        .status()
        .expect("python3 runs");
    assert!(
        status.success(),
        "{} {args:?} failed: {status}",
        script.display()
    );
}

/// `(agreeing, reference records, lines in the compared file)` from canon.py's report
/// line `PATH   N/M records identical to reference (L lines)`.
fn tally(report: &str, file: &Path) -> Option<(usize, usize, usize)> {
    let name = file.to_string_lossy();
    let line = report.lines().find(|l| l.starts_with(name.as_ref()))?;
    let rest = line[name.len()..].trim_start();
    let (same, rest) = rest.split_once('/')?;
    let (total, rest) = rest.split_once(' ')?;
    let lines = rest.split_once('(')?.1.split_once(' ')?.0;
    Some((same.parse().ok()?, total.parse().ok()?, lines.parse().ok()?))
}

#[test]
fn reference_mapping_agrees_with_ref_py() {
    let bench = harness_dir();
    for f in ["gen.py", "ref.py", "canon.py"] {
        if !bench.join(f).is_file() {
            return skip(&format!(
                "peer harness not found: {} (set MAPC_PEER_BENCH)",
                bench.join(f).display()
            ));
        }
    }
    if !python_ok() {
        return skip("python3 is not installed");
    }

    let dir = std::env::temp_dir().join(format!("mapc-bench-reference-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let input = dir.join("bench-1k.ndjson");
    let ref_out = dir.join("out-ref.ndjson");
    let mapc_out = dir.join("out-mapc.ndjson");

    python(&bench.join("gen.py"), &["1000"], None, &input);
    python(&bench.join("ref.py"), &[], Some(&input), &ref_out);

    let run = Command::new(env!("CARGO_BIN_EXE_mapc"))
        .current_dir(root())
        .env("NO_COLOR", "1")
        .args(["preview", "bench/reference.mapc.yaml", "--input"])
        .arg(&input)
        .args(["--format", "ndjson", "--as-of", "2026-11-22"])
        .stdout(std::fs::File::create(&mapc_out).expect("create mapc output"))
        .stderr(Stdio::piped())
        .output()
        .expect("mapc runs");
    let stderr = String::from_utf8_lossy(&run.stderr);
    let summary = stderr.lines().last().unwrap_or("");
    eprintln!("mapc: {summary}");
    assert!(
        run.status.success(),
        "mapc preview failed ({}):\n{stderr}",
        run.status
    );

    let canon = Command::new("python3")
        .arg(bench.join("canon.py"))
        .arg(&ref_out)
        .arg(&mapc_out)
        .output()
        .expect("canon.py runs");
    let report = String::from_utf8_lossy(&canon.stdout);
    eprintln!("{report}");
    assert!(canon.status.success(), "canon.py failed: {}", canon.status);
    let (same, total, lines) = tally(&report, &mapc_out)
        .unwrap_or_else(|| panic!("no tally for {} in canon.py's report", mapc_out.display()));
    eprintln!(
        "bench_reference: {same}/{total} records identical to ref.py ({:.1} %), {lines} mapc lines",
        100.0 * same as f64 / total.max(1) as f64
    );
    assert!(total > 0, "ref.py wrote no records");
    assert_eq!(
        (same, lines),
        (total, total),
        "mapc disagrees with ref.py:\n{report}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
