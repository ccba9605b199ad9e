//! The mutation fuzz script (`tests/mutate/mutate.py`, see its README) in its small
//! mode: 50 mutants of the examples per kind, run through the test binary, with no
//! panic, timeout, crash, run over 500 MB or unparsable JSON output allowed.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn mutation_fuzz_smoke() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let results = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("mutate-smoke");
    let run = Command::new("python3")
        .arg(root.join("tests/mutate/mutate.py"))
        .args(["--smoke", "--quiet", "--binary", env!("CARGO_BIN_EXE_mapc")])
        .arg("--results")
        .arg(&results)
        .output();
    let out = match run {
        Ok(out) => out,
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("skipped: python3 cannot be run ({e})");
            return;
        }
        Err(e) => panic!("python3 is needed under CI: {e}"),
    };
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{report}\n{}\nfailing cases are saved under {}",
        String::from_utf8_lossy(&out.stderr),
        results.display()
    );
    assert!(report.contains("ok: 0 failing run(s)"), "{report}");
}
