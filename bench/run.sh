#!/usr/bin/env bash
# mapc against the peer harness (../shared/bench): one run measures mapc, the serde_json
# baselines and the peers (jq, jaq, JSONata, VRL) on the same generated data, checks
# every mapping against the exact oracle ref.py, and prints one markdown table.
#
#   bash bench/run.sh                 # 100k records, every peer that is or can be installed
#   bash bench/run.sh --1m            # also 1M records (mapc, identity, native-map) + mapc's memory ratio
#   PEERS="jq jaq" RUNS=3 bash bench/run.sh
#   STEPS="build data check" bash bench/run.sh   # no timings
#
# Steps (STEPS, default all): tools build data check bench report
#   tools   install missing peers: jq (apt-get), jaq 3.1.2 (cargo install), JSONata 2.2.2
#           (npm, in $WORK), vrl-harness (cargo build, vrl 0.38; ~7 min cold). A peer that
#           fails to install is skipped with a note, the rest goes on.
#   build   mapc (`cargo build --release` in this workspace) and the harness's Rust
#           baselines (identity, identity-exact, native-map), built into $WORK, never in
#           the read-only harness folder.
#   data    gen.py 1k / 100k (/ 1M) with seed $SEED under $DATA (kept between runs; a stale
#           file is detected by comparing its first 1,000 lines with a fresh 1k).
#   check   ref.py vs every mapping on the 1k file with canon.py (the "exact" column);
#           CHECK_100K=1 also diffs mapc against ref.py on the 100k file.
#   bench   bench.py (wall, CPU, peak RSS via GNU time) on 100k: WARMUP unmeasured rounds,
#           then RUNS rounds; each round runs every tool once, in the same order, so each
#           tool can be paired with the identity run of the same round (machine drift
#           cancels in the ratio). With --1m / WITH_1M=1: the same on 1M for the fast ones.
#   report  bench/report.py -> $RES/table.md (and stdout).
#
# Knobs: PEERS="jq jaq jsonata vrl" (default all four; "" = none), RUNS=5, WARMUP=1,
# RUNS_1M=$RUNS, WITH_1M=1 (= --1m), CHECK_100K=1, SEED=20261122,
# HARNESS=<workspace>/../shared/bench, WORK=/tmp/mapc-bench (builds, tools, results),
# DATA=$WORK/data, RES=$WORK/results.
#
# Rows: mapc (default: mapping on min(cores, 4) worker threads + a reader thread),
# mapc-1core (the same binary under `taskset -c 0`: one core, so the engine runs
# single-threaded, comparable with the single-threaded baselines), identity,
# identity-exact, native-map, cat, and the peers.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
HARNESS=${HARNESS:-$ROOT/../shared/bench}
WORK=${WORK:-/tmp/mapc-bench}
DATA=${DATA:-$WORK/data}
RES=${RES:-$WORK/results}
TOOLS=$WORK/tools
RUNS=${RUNS:-5}
WARMUP=${WARMUP:-1}
RUNS_1M=${RUNS_1M:-$RUNS}
SEED=${SEED:-20261122}
STEPS=${STEPS:-"tools build data check bench report"}
PEERS=${PEERS-"jq jaq jsonata vrl"}
WITH_1M=${WITH_1M:-}
CHECK_100K=${CHECK_100K:-}
AS_OF=2026-11-22
JAQ_VERSION=3.1.2
JSONATA_VERSION=2.2.2
for a in "$@"; do
  case $a in
    --1m) WITH_1M=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $a (see --help)" >&2; exit 2 ;;
  esac
done

has_step() { [[ " $STEPS " == *" $1 "* ]]; }
has_peer() { [[ " $PEERS " == *" $1 "* ]]; }
log() { printf '\n== %s ==\n' "$*" >&2; }
note() { echo "NOTE: $*" | tee -a "$RES/notes.txt" >&2; }

if ! [ -f "$HARNESS/bench.py" ]; then
  echo "peer harness not found at $HARNESS (set HARNESS=...)" >&2; exit 2
fi
HARNESS=$(cd "$HARNESS" && pwd)
command -v python3 >/dev/null || { echo "python3 is required" >&2; exit 2; }
mkdir -p "$WORK" "$DATA" "$RES" "$TOOLS"
[ "$STEPS" = report ] || : > "$RES/notes.txt"   # a report-only call keeps the last notes

MAPC=$ROOT/target/release/mapc
SPEC=$ROOT/bench/reference.mapc.yaml
BASE_T=$WORK/target-baseline
VRL_T=$WORK/target-vrl
IDENT=$BASE_T/identity/release/identity
IDENTX=$BASE_T/native/release/identity-exact
NATIVE=$BASE_T/native/release/native-map
VRLH=$VRL_T/release/vrl-harness
JAQ=$TOOLS/jaq/bin/jaq
JSONATA_DIR=$TOOLS/jsonata
IN_1K=$DATA/bench-1k.ndjson
IN_100K=$DATA/bench-100k.ndjson
IN_1M=$DATA/bench-1m.ndjson

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }

# ---------------------------------------------------------------- tools
if has_step tools; then
  log "tools"
  if ! [ -x /usr/bin/time ]; then
    (as_root apt-get update -qq && as_root apt-get install -y -qq time) \
      || note "GNU time missing and not installable: peak RSS falls back to wait4 (floor ~ python's RSS)"
  fi
  if has_peer jq && ! command -v jq >/dev/null; then
    (as_root apt-get update -qq && as_root apt-get install -y -qq jq) || note "jq did not install; jq skipped"
  fi
  if has_peer jaq; then
    if command -v jaq >/dev/null && [ "$(jaq --version)" = "jaq $JAQ_VERSION" ]; then
      JAQ=$(command -v jaq)
    elif ! [ -x "$JAQ" ] || [ "$("$JAQ" --version)" != "jaq $JAQ_VERSION" ]; then
      cargo install --locked "jaq@$JAQ_VERSION" --root "$TOOLS/jaq" \
        || note "jaq $JAQ_VERSION did not install; jaq skipped"
    fi
  fi
  if has_peer jsonata; then
    if ! command -v node >/dev/null; then
      note "node is not installed; jsonata skipped"
    elif ! [ -f "$JSONATA_DIR/node_modules/jsonata/package.json" ]; then
      mkdir -p "$JSONATA_DIR"
      npm install --silent --no-audit --no-fund --no-package-lock --prefix "$JSONATA_DIR" "jsonata@$JSONATA_VERSION" \
        || note "npm install jsonata@$JSONATA_VERSION failed; jsonata skipped"
    fi
  fi
  if has_peer vrl && ! [ -x "$VRLH" ]; then
    echo "building vrl-harness (vrl 0.38, several minutes cold) into $VRL_T" >&2
    cargo build --release --locked --manifest-path "$HARNESS/vrl-harness/Cargo.toml" --target-dir "$VRL_T" \
      || note "vrl-harness did not build; vrl skipped"
  fi
fi
# A jaq on PATH serves when none was installed under $TOOLS (e.g. STEPS without tools).
if ! [ -x "$JAQ" ] && command -v jaq >/dev/null; then JAQ=$(command -v jaq); fi

# ---------------------------------------------------------------- build
if has_step build; then
  log "build (release)"
  cargo build --release --bin mapc
  cargo build --release --locked --manifest-path "$HARNESS/rust-baseline/identity/Cargo.toml" --target-dir "$BASE_T/identity"
  cargo build --release --locked --manifest-path "$HARNESS/rust-baseline/native/Cargo.toml" --target-dir "$BASE_T/native"
  "$MAPC" check "$SPEC"
fi

# ---------------------------------------------------------------- data
if has_step data; then
  log "data (seed $SEED)"
  python3 "$HARNESS/gen.py" 1000 --seed "$SEED" > "$IN_1K"
  for f in "$IN_100K" ${WITH_1M:+"$IN_1M"}; do
    n=100000; [ "$f" = "$IN_1M" ] && n=1000000
    if [ -s "$f" ] && ! head -n 1000 "$f" | cmp -s - "$IN_1K"; then rm -f "$f"; fi
    if [ -s "$f" ] && [ "$(wc -l < "$f")" -ne "$n" ]; then rm -f "$f"; fi
    if ! [ -s "$f" ]; then
      echo "generating $n records -> $f" >&2
      python3 "$HARNESS/gen.py" "$n" --seed "$SEED" > "$f.part" && mv "$f.part" "$f"
    fi
  done
  ls -l "$IN_1K" "$IN_100K" ${WITH_1M:+"$IN_1M"} >&2
fi

# ---------------------------------------------------------------- tool table
# name|command for input file $1 (every command also gets the file on stdin)
tools_for() {
  local in=$1
  [ -x "$MAPC" ] && echo "mapc|$MAPC preview $SPEC --input $in --format ndjson --as-of $AS_OF"
  [ -x "$MAPC" ] && command -v taskset >/dev/null \
    && echo "mapc-1core|taskset -c 0 $MAPC preview $SPEC --input $in --format ndjson --as-of $AS_OF"
  [ -x "$IDENT" ] && echo "identity|$IDENT"
  [ -x "$IDENTX" ] && echo "identity-exact|$IDENTX"
  [ -x "$NATIVE" ] && echo "native-map|$NATIVE"
  echo "cat|cat"
  has_peer jq && command -v jq >/dev/null && echo "jq|$(command -v jq) -c -f $HARNESS/jq/map.jq"
  has_peer jaq && [ -x "$JAQ" ] && echo "jaq|$JAQ -c -f $HARNESS/jq/map.jq"
  has_peer jsonata && [ -f "$JSONATA_DIR/node_modules/jsonata/package.json" ] \
    && echo "jsonata|env NODE_PATH=$JSONATA_DIR/node_modules node $HARNESS/jsonata/run.js $HARNESS/jsonata/map.jsonata"
  has_peer vrl && [ -x "$VRLH" ] && echo "vrl|$VRLH $HARNESS/vrl/map.vrl"
  return 0
}
is_mapping() { case $1 in identity*|cat) return 1 ;; *) return 0 ;; esac; }
is_fast() { case $1 in mapc|mapc-1core|identity|identity-exact|native-map|cat) return 0 ;; *) return 1 ;; esac; }

# ---------------------------------------------------------------- check
if has_step check; then
  log "correctness: every mapping vs ref.py (exact decimals) on 1k records"
  python3 "$HARNESS/ref.py" < "$IN_1K" > "$DATA/out-1k-ref.ndjson"
  outs=()
  while IFS='|' read -r name cmd; do
    is_mapping "$name" || continue
    # shellcheck disable=SC2086
    if $cmd < "$IN_1K" > "$DATA/out-1k-$name.ndjson" 2> "$RES/check-$name.stderr"; then
      outs+=("$DATA/out-1k-$name.ndjson")
    else
      note "$name failed on the 1k check (see $RES/check-$name.stderr)"
    fi
  done < <(tools_for "$IN_1K")
  python3 "$HARNESS/canon.py" "$DATA/out-1k-ref.ndjson" "${outs[@]}" | tee "$RES/check-1k.txt"
  if [ -n "$CHECK_100K" ]; then
    log "correctness: mapc vs ref.py on 100k records"
    python3 "$HARNESS/ref.py" < "$IN_100K" > "$DATA/out-100k-ref.ndjson"
    "$MAPC" preview "$SPEC" --input "$IN_100K" --format ndjson --as-of $AS_OF \
      > "$DATA/out-100k-mapc.ndjson" 2> "$RES/check-100k-mapc.stderr"
    python3 "$HARNESS/canon.py" "$DATA/out-100k-ref.ndjson" "$DATA/out-100k-mapc.ndjson" | tee "$RES/check-100k.txt"
  fi
fi

# ---------------------------------------------------------------- bench
# rounds INPUT RESULTS_FILE N_ROUNDS FILTER: every tool once per round, same order.
rounds() {
  local in=$1 out=$2 n=$3 filter=$4 r name cmd
  for ((r = 1; r <= n; r++)); do
    echo "-- round $r/$n on $(basename "$in") (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    while IFS='|' read -r name cmd; do
      $filter "$name" || continue
      # shellcheck disable=SC2086
      python3 "$HARNESS/bench.py" --name "$name" --input "$in" --runs 1 --warmup 0 --results "$out" -- $cmd \
        || note "$name exited non-zero on $(basename "$in") (round $r)"
    done < <(tools_for "$in")
  done
}
any() { return 0; }

if has_step bench; then
  log "timings: $WARMUP warm-up + $RUNS measured rounds on 100k; $(nproc) cores"
  {
    echo "date_utc=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') x $(nproc)"
    echo "mem=$(free -g | awk '/Mem:/{print $2}') GiB"
    echo "kernel=$(uname -r)"
    echo "os=$(. /etc/os-release && echo "$PRETTY_NAME")"
    echo "rustc=$(rustc --version)"
    echo "mapc_commit=$(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD -- 2>/dev/null || echo ' (working tree modified)')"
    echo "load_before=$(cut -d' ' -f1-3 /proc/loadavg)"
    command -v jq >/dev/null && echo "jq=$(jq --version)"
    [ -x "$JAQ" ] && echo "jaq=$("$JAQ" --version)"
    command -v node >/dev/null && echo "node=$(node --version)"
    [ -f "$JSONATA_DIR/node_modules/jsonata/package.json" ] \
      && echo "jsonata=$(node -p "require('$JSONATA_DIR/node_modules/jsonata/package.json').version")"
    echo "python=$(python3 --version)"
  } > "$RES/machine.txt"
  cat "$RES/machine.txt" >&2
  rm -f "$RES/warmup.jsonl" "$RES/results-100k.jsonl" "$RES/results-1m.jsonl" "$RES"/*.stderr.bench
  rounds "$IN_100K" "$RES/warmup.jsonl" "$WARMUP" any
  rounds "$IN_100K" "$RES/results-100k.jsonl" "$RUNS" any
  if [ -n "$WITH_1M" ]; then
    log "timings on 1M (fast tools): $WARMUP warm-up + $RUNS_1M rounds"
    rounds "$IN_1M" "$RES/warmup.jsonl" "$WARMUP" is_fast
    rounds "$IN_1M" "$RES/results-1m.jsonl" "$RUNS_1M" is_fast
  fi
  echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)" >> "$RES/machine.txt"
fi

# ---------------------------------------------------------------- report
if has_step report; then
  log "report"
  args=(--results "$RES/results-100k.jsonl" --machine "$RES/machine.txt")
  [ -f "$RES/check-1k.txt" ] && args+=(--check "$RES/check-1k.txt")
  [ -f "$RES/check-100k.txt" ] && args+=(--check-100k "$RES/check-100k.txt")
  [ -s "$RES/results-1m.jsonl" ] && args+=(--results-1m "$RES/results-1m.jsonl")
  python3 "$ROOT/bench/report.py" "${args[@]}" | tee "$RES/table.md"
  [ -s "$RES/notes.txt" ] && { echo; echo "Notes:"; sed 's/^/- /' "$RES/notes.txt"; } | tee -a "$RES/table.md"
  echo "(raw: $RES)" >&2
fi
