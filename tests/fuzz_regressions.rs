//! Replays every reproducer under `fuzz/regressions/<target>/` through the
//! fuzz target's own checks (`fuzz/src/lib.rs`), so a crash the fuzzers
//! found stays fixed without cargo-fuzz or a nightly compiler.
//!
//! Files named `known-*` reproduce a problem that is known and not fixed on
//! this branch yet; they are replayed by the ignored test below (run it with
//! `cargo test --test fuzz_regressions -- --ignored`) and renamed once fixed.

#[allow(dead_code)]
#[path = "../fuzz/src/lib.rs"]
mod invariants;

use std::path::PathBuf;

fn reproducers(known: bool) -> Vec<(String, PathBuf)> {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/regressions"));
    let mut out = Vec::new();
    for target in std::fs::read_dir(&root).expect("fuzz/regressions exists") {
        let target = target.expect("a directory entry").path();
        if !target.is_dir() {
            continue;
        }
        let name = target
            .file_name()
            .and_then(|n| n.to_str())
            .expect("a target name")
            .to_string();
        for f in std::fs::read_dir(&target).expect("a target directory") {
            let f = f.expect("a directory entry").path();
            let is_known = f
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("known-"));
            if f.is_file() && is_known == known {
                out.push((name.clone(), f));
            }
        }
    }
    out.sort();
    out
}

fn replay(known: bool) {
    let mut failed = Vec::new();
    for (target, file) in reproducers(known) {
        let data = std::fs::read(&file).expect("a reproducer reads");
        if std::panic::catch_unwind(|| invariants::run_target(&target, &data)).is_err() {
            failed.push(file.display().to_string());
        }
    }
    assert!(
        failed.is_empty(),
        "reproducers that fail again: {failed:#?}"
    );
}

#[test]
fn fixed_fuzz_findings_stay_fixed() {
    replay(false);
}

/// Reproducers of problems found but not fixed yet (`known-*`): failing is
/// expected until the fix lands; then the file loses its `known-` prefix.
#[test]
#[ignore = "replays reproducers of known, unfixed problems (fuzz/regressions/*/known-*)"]
fn known_fuzz_findings() {
    replay(true);
}
