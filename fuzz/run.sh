#!/usr/bin/env bash
# Runs the cargo-fuzz targets of mapc for a time budget.
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#
# SECONDS (default 3600) is the TOTAL budget, split evenly over the targets,
# which run one after the other (yaml expr filter compile records by
# default). `fuzz/run.sh 3600` is an hour in all; `fuzz/run.sh 3600 compile`
# is an hour of one target. Environment:
#   FUZZ_JOBS=N   run N fuzzing processes per target at once (libFuzzer -fork=N;
#                 default 1)
#   FUZZ_ARGS=... more libFuzzer flags (e.g. "-max_len=65536")
#
# Every target first replays its crash reproducers in fuzz/regressions/<target>/,
# then fuzzes from fuzz/corpus/<target>/ (kept between runs, not in git) and
# the seeds in fuzz/seeds/, with the dictionaries in fuzz/dicts/. A crash,
# timeout (over 10 s for one input) or out-of-memory (over 2 GB) does not
# stop the run: libFuzzer writes the input to fuzz/artifacts/<target>/ and
# goes on. The script ends with a list of the new artifacts and exits 1 when
# there are any, or when a reproducer fails again.
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`) and a C++ compiler. Works on
# stable Rust: RUSTC_BOOTSTRAP=1 lets cargo-fuzz use the nightly-only
# sanitizer flags.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
cd "$root"

total="${1:-3600}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(yaml expr filter compile records)
fi
case "$total" in
  '' | *[!0-9]*) echo "usage: fuzz/run.sh [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac
each=$(( total / ${#targets[@]} ))
[ "$each" -ge 1 ] || each=1
jobs="${FUZZ_JOBS:-1}"

seeds_of() {
  case "$1" in
    yaml | compile) echo "fuzz/seeds/specs" ;;
    *) echo "fuzz/seeds/$1" ;;
  esac
}

dict_of() {
  case "$1" in
    yaml | compile) echo "-dict=fuzz/dicts/spec.dict" ;;
    expr | filter) echo "-dict=fuzz/dicts/$1.dict" ;;
  esac
}

export RUSTC_BOOTSTRAP=1
cargo fuzz build

failed=0
start_marker="$(mktemp)"
trap 'rm -f "$start_marker"' EXIT
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
  if [ -d "fuzz/regressions/$t" ] && [ -n "$(ls -A "fuzz/regressions/$t")" ]; then
    echo "== $t: replaying fuzz/regressions/$t"
    if ! cargo fuzz run "$t" fuzz/regressions/"$t"/* >/dev/null 2>"fuzz/artifacts/$t/replay.log"; then
      echo "   a reproducer in fuzz/regressions/$t fails again: see fuzz/artifacts/$t/replay.log" >&2
      failed=1
    fi
  fi
  echo "== $t: fuzzing for ${each}s (jobs: $jobs)"
  seeds="$(seeds_of "$t")"
  if [ ! -d "$seeds" ]; then
    echo "   no seeds in $seeds: run fuzz/make_seeds.py" >&2
    failed=1
    continue
  fi
  # Crashes, timeouts and out-of-memory inputs are collected as artifacts
  # (below); any other failure means the target did not fuzz at all.
  # shellcheck disable=SC2086
  if ! cargo fuzz run "$t" "fuzz/corpus/$t" "$seeds" -- \
    -max_total_time="$each" -timeout=10 -rss_limit_mb=2048 \
    -fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -print_final_stats=1 $(dict_of "$t") ${FUZZ_ARGS:-}; then
    echo "   fuzzing $t failed (see above)" >&2
    failed=1
  fi
done

new=$(find fuzz/artifacts -type f ! -name '*.log' -newer "$start_marker" 2>/dev/null || true)
if [ -n "$new" ]; then
  echo "== new artifacts (reproduce with: RUSTC_BOOTSTRAP=1 cargo fuzz run TARGET FILE):"
  echo "$new"
  exit 1
fi
[ "$failed" -eq 0 ] || exit 1
echo "== no crashes, timeouts or out-of-memory inputs"
