#!/usr/bin/env python3
"""Mutation fuzzing of the example specs and sample data against the real `mapc` binary.

Every case copies one example (a spec from specs/examples/, its sample data from
specs/examples/data/ and its *.test.yaml, if any) into a scratch folder, mutates one or
more of those files with one mutation KIND, and runs the binary on it (`mapc check`,
`mapc preview`, `mapc test`, with varied flags), each run with a timeout and an
address-space cap, its peak RSS measured with wait4(2). A run fails when it

  - panics      exit code 101 or `panicked at` on stderr,
  - times out   still running after --timeout seconds (killed),
  - is too big  peak RSS over --rss-limit-mb, or an allocation failed under the cap,
  - crashes     killed by a signal (stack overflow, abort, ...),
  - exits badly exit code other than 0, 1, 2 or 3 (see ../shared/spec/cli.md),
  - writes bad JSON  `--format json|sarif|ndjson` output that does not parse.

Every case is a pure function of (--seed, kind, case number), so a failing case is
reproduced with `--kind KIND --case N`; the files and commands of every failing case are
also saved under --results (default target/mutate-results). Python 3.11 standard library
only. See tests/mutate/README.md.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import re
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "specs" / "examples"
SCHEMA_CACHE = ROOT / "tests" / "fixtures" / "schema-cache"
AS_OF = "2026-11-22"

KINDS = [
    "line_delete",
    "line_dup",
    "char_flip",
    "non_ascii",
    "bom",
    "crlf",
    "huge_scalar",
]

FAILURES = ["panic", "timeout", "over_mem", "crash", "bad_exit", "bad_json", "harness"]

# --------------------------------------------------------------------------------------
# The corpus: one unit per example spec.
# --------------------------------------------------------------------------------------


@dataclass
class Unit:
    stem: str
    spec: str  # file names relative to the case folder
    data: list[str]
    test: str | None
    files: dict[str, bytes] = field(default_factory=dict)


def load_units() -> list[Unit]:
    units = []
    for spec in sorted(EXAMPLES.glob("*.mapc.yaml")):
        stem = spec.name[: -len(".mapc.yaml")]
        u = Unit(stem=stem, spec=spec.name, data=[], test=None)
        u.files[spec.name] = spec.read_bytes()
        for d in sorted((EXAMPLES / "data").glob(stem + ".*")):
            if d.suffix in (".ndjson", ".jsonl", ".json", ".csv"):
                rel = "data/" + d.name
                u.data.append(rel)
                u.files[rel] = d.read_bytes()
        t = EXAMPLES / (stem + ".test.yaml")
        if t.exists():
            u.test = t.name
            u.files[t.name] = t.read_bytes()
        units.append(u)
    return units


# --------------------------------------------------------------------------------------
# Mutations. Each takes (bytes, rng, file name) and returns (bytes, description).
# --------------------------------------------------------------------------------------


def split_lines(b: bytes) -> list[bytes]:
    return b.splitlines(keepends=True)


def mut_line_delete(b, rng, name):
    lines = split_lines(b)
    if len(lines) < 2:
        return b"", "deleted the only line"
    if rng.random() < 0.2:
        n = rng.randint(2, min(10, len(lines) - 1))
        at = rng.randrange(0, len(lines) - n + 1)
        del lines[at : at + n]
        return b"".join(lines), f"deleted lines {at + 1}-{at + n}"
    gone = sorted(rng.sample(range(len(lines)), min(len(lines) - 1, rng.choice([1, 1, 1, 2, 3]))))
    for i in reversed(gone):
        del lines[i]
    return b"".join(lines), "deleted line(s) " + ", ".join(str(i + 1) for i in gone)


def mut_line_dup(b, rng, name):
    lines = split_lines(b)
    if not lines:
        return b, "nothing to duplicate"
    done = []
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        i = rng.randrange(len(lines))
        line = lines[i] if lines[i].endswith(b"\n") else lines[i] + b"\n"
        if rng.random() < 0.6:
            times = rng.choice([1, 1, 1, 2, 10])
            lines[i + 1 : i + 1] = [line] * times
            done.append(f"line {i + 1} x{times + 1}")
        else:
            j = rng.randrange(len(lines) + 1)
            lines.insert(j, line)
            done.append(f"line {i + 1} copied before line {j + 1}")
    return b"".join(lines), "duplicated " + "; ".join(done)


SYNTAX = ":{}[],\"'#-&*!|>%@`. \t\n0123456789abcxyzAZ_=()<$\\/?+"


def mut_char_flip(b, rng, name):
    if not b:
        return b, "empty"
    buf = bytearray(b)
    done = []
    for _ in range(rng.choice([1, 1, 2, 3, 4])):
        if not buf:
            break
        i = rng.randrange(len(buf))
        r = rng.random()
        if r < 0.7:
            c = rng.choice(SYNTAX).encode()
            done.append(f"byte {i}: {bytes(buf[i:i + 1])!r} -> {c!r}")
            buf[i : i + 1] = c
        elif r < 0.85:
            done.append(f"byte {i}: {bytes(buf[i:i + 1])!r} deleted")
            del buf[i]
        else:
            bit = 1 << rng.randrange(8)
            done.append(f"byte {i}: bit {bit:#04x} flipped")
            buf[i] ^= bit
    return bytes(buf), "; ".join(done)


NON_ASCII = [
    "ä", "ö", "ü", "Ä", "Ö", "Ü", "ß", "ẞ", "é", "ñ", "ø", "Å", "Müller", "Größe",
    "Kunde Müller: Sonderfall", "東京", "数据", "顧客番号", "한국어", "ﾃｽﾄ",
    "😀", "👍🏽", "👨‍👩‍👧", "🇩🇪", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "\u00a0", "\u200b", "\u200d", "\u2028", "\u2029", "\u0085", "e\u0301", "\u0301",
    "שלום", "مرحبا", "\u202e", "Ω", "İ", "ǅ", "ﬁ", "µ", "€", "№", "\ufeff", "\ufffd",
]


def char_starts(t: str, ch: str) -> list[int]:
    return [m.start() for m in re.finditer(re.escape(ch), t)]


def mut_non_ascii(b, rng, name):
    try:
        t = b.decode("utf-8")
    except UnicodeDecodeError:
        return b + rng.choice(NON_ASCII).encode(), "appended (input not UTF-8)"
    done = []
    for _ in range(rng.choice([1, 1, 2, 3])):
        s = rng.choice(NON_ASCII)
        r = rng.random()
        colons = char_starts(t, ":")
        if r < 0.5 and colons:
            i = rng.choice(colons)  # just before a `:` (key end, or inside text)
            where = "before ':'"
        elif r < 0.65:
            starts = [0] + [m.end() for m in re.finditer("\n", t)]
            i = rng.choice(starts)
            where = "at line start"
        else:
            i = rng.randrange(len(t) + 1)
            where = "inside"
        t = t[:i] + s + t[i:]
        done.append(f"{s!r} {where} at char {i}")
    return t.encode("utf-8"), "inserted " + "; ".join(done)


BOM = b"\xef\xbb\xbf"


def mut_bom(b, rng, name):
    r = rng.random()
    if r < 0.6:
        return BOM + b, "UTF-8 BOM prepended"
    if r < 0.7:
        return BOM + BOM + b, "two UTF-8 BOMs prepended"
    if r < 0.85:
        lines = split_lines(b)
        i = rng.randrange(len(lines) + 1) if lines else 0
        lines.insert(i, BOM)
        return BOM + b"".join(lines), f"UTF-8 BOM prepended and one at the start of line {i + 1}"
    if r < 0.95:
        return BOM + b.replace(b"\n", b"\r\n"), "UTF-8 BOM prepended, CRLF line ends"
    return b"\xff\xfe" + b, "UTF-16LE BOM bytes prepended (not UTF-8)"


def mut_crlf(b, rng, name):
    r = rng.random()
    if r < 0.6:
        return b.replace(b"\n", b"\r\n"), "all line ends CRLF"
    if r < 0.8:
        lines = split_lines(b)
        picked = 0
        for i, line in enumerate(lines):
            if line.endswith(b"\n") and rng.random() < 0.5:
                lines[i] = line[:-1] + b"\r\n"
                picked += 1
        return b"".join(lines), f"mixed line ends ({picked} CRLF)"
    if r < 0.9:
        return b.replace(b"\n", b"\r"), "CR-only line ends (classic Mac)"
    return b.replace(b"\n", b"\r\n") + b"\r\n\r\n", "CRLF line ends and two blank CRLF lines at the end"


# --- huge scalars ----------------------------------------------------------------------


def huge_string(rng) -> str:
    n = rng.choice([1_000, 10_000, 70_000, 100_000, 1_000_000])
    unit = rng.choice(["x", "abc ", "Müller ", "東", "😀", "a:b ", "0"])
    return (unit * (n // len(unit) + 1))[:n]


def huge_number(rng) -> str:
    return rng.choice(
        [
            "1" * 40,
            "-" + "9" * 40,
            "1234567890123456789012345678901234567890.5",
            "0." + "0" * 39 + "1",
            "79228162514264337593543950336",  # Decimal::MAX + 1
            "79228162514264337593543950335",  # Decimal::MAX
            "1" + "0" * 400,
            "1e400",
            "-1.5e-400",
            "1.00000000000000000000000000000",
            "0.0049999999999999999999999999995",
            "9" * 1000,
        ]
    )


def huge_path(rng) -> str:
    n = rng.choice([100, 1_000, 10_000, 40_000])
    seg = rng.choice(["a", "customer", "x_1"])
    return ".".join([seg] * n)


def huge_expr(rng) -> str:
    n = rng.choice([100, 1_000, 10_000])
    return rng.choice(
        [
            " + ".join(["1"] * n),
            " and ".join(["true"] * n),
            "concat(" + ", ".join(["'x'"] * n) + ")",
            "'" + "y" * (n * 10) + "'",
        ]
    )


PATH_KEYS = {"from", "to", "path", "sku_field", "order_by", "navigation", "key", "via",
             "contacts_path", "id_field", "number_field", "parent_field", "changed_since",
             "entity", "source", "connection"}
EXPR_KEYS = {"expr", "when", "filter"}

YAML_SCALAR = re.compile(
    r"(?P<key>[A-Za-z_][A-Za-z0-9_]*):[ \t]+"
    r"(?P<val>\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'|[^\s{}\[\],#'\"][^,}\]\n#]*)"
)


def yaml_double_quoted(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def mut_huge_yaml(t: str, rng) -> tuple[str, str]:
    ms = list(YAML_SCALAR.finditer(t))
    if not ms:
        return t + "\nx: " + huge_string(rng) + "\n", "appended a long scalar"
    m = rng.choice(ms)
    key, val = m.group("key"), m.group("val")
    if key in PATH_KEYS and rng.random() < 0.7:
        new, what = huge_path(rng), "long path"
    elif key in EXPR_KEYS and rng.random() < 0.7:
        new, what = yaml_double_quoted(huge_expr(rng)), "long expression"
    else:
        r = rng.random()
        if r < 0.4:
            new, what = huge_number(rng), "huge number"
        elif r < 0.6:
            new, what = huge_path(rng), "long path"
        else:
            s = huge_string(rng)
            new, what = (yaml_double_quoted(s) if rng.random() < 0.5 else s), "long string"
    desc = f"{what} ({len(new)} chars) for `{key}:` at char {m.start('val')}"
    return t[: m.start("val")] + new + t[m.end("val") :], desc


JSON_VALUE = re.compile(r':\s*(?P<val>"(?:[^"\\]|\\.)*"|-?\d[0-9.eE+-]*|true|false|null)')
JSON_KEY = re.compile(r'(?P<key>"(?:[^"\\]|\\.)*")\s*:')


def mut_huge_json(t: str, rng) -> tuple[str, str]:
    if rng.random() < 0.8:
        ms = list(JSON_VALUE.finditer(t))
        if not ms:
            return t + huge_number(rng), "appended a huge number"
        m = rng.choice(ms)
        r = rng.random()
        if r < 0.5:
            new, what = huge_number(rng), "huge number"
        else:
            new, what = json.dumps(huge_string(rng), ensure_ascii=rng.random() < 0.3), "long string"
        return t[: m.start("val")] + new + t[m.end("val") :], f"{what} ({len(new)} chars) as a value at char {m.start('val')}"
    ms = list(JSON_KEY.finditer(t))
    if not ms:
        return t, "no key"
    m = rng.choice(ms)
    new = json.dumps(huge_path(rng) if rng.random() < 0.5 else huge_string(rng))
    return t[: m.start("key")] + new + t[m.end("key") :], f"long key ({len(new)} chars) at char {m.start('key')}"


def mut_huge_csv(t: str, rng) -> tuple[str, str]:
    import csv
    import io

    rows = list(csv.reader(io.StringIO(t)))
    if not rows:
        return t, "empty csv"
    i = rng.randrange(len(rows))
    if not rows[i]:
        return t, "empty row"
    j = rng.randrange(len(rows[i]))
    r = rng.random()
    if i == 0 and r < 0.5:
        rows[i][j] = huge_path(rng)
        what = "long dotted header"
    elif r < 0.5:
        rows[i][j] = huge_number(rng)
        what = "huge number"
    else:
        rows[i][j] = huge_string(rng)
        what = "long string"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue(), f"{what} in row {i + 1}, column {j + 1}"


def mut_huge_scalar(b, rng, name):
    try:
        t = b.decode("utf-8")
    except UnicodeDecodeError:
        return b + huge_string(rng).encode(), "appended a long string"
    if name.endswith(".yaml"):
        t, d = mut_huge_yaml(t, rng)
    elif name.endswith(".csv"):
        t, d = mut_huge_csv(t, rng)
    else:
        t, d = mut_huge_json(t, rng)
    return t.encode("utf-8"), d


MUTATORS = {
    "line_delete": mut_line_delete,
    "line_dup": mut_line_dup,
    "char_flip": mut_char_flip,
    "non_ascii": mut_non_ascii,
    "bom": mut_bom,
    "crlf": mut_crlf,
    "huge_scalar": mut_huge_scalar,
}

# --------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------


@dataclass
class Case:
    kind: str
    index: int
    unit: str
    files: dict[str, bytes]  # every file of the case folder
    mutated: dict[str, str]  # file -> description of its mutation
    commands: list[dict]  # {"argv": [...relative to the case folder...], "stdin": file or None, "json": "json"|"ndjson"|None}


def make_case(units: list[Unit], seed: int, kind: str, index: int) -> Case:
    rng = random.Random(f"{seed}/{kind}/{index}")
    u = rng.choice(units)
    files = dict(u.files)
    choices = [u.spec] * 3 + ([u.test] if u.test else []) + u.data * (2 if len(u.data) == 1 else 1)
    if kind in ("bom", "crlf"):
        # Whole-file kinds: one file, sometimes all of them.
        targets = list(files) if rng.random() < 0.25 else [rng.choice(choices)]
    else:
        targets = [rng.choice(choices)]
    mutated = {}
    for t in targets:
        files[t], mutated[t] = MUTATORS[kind](files[t], rng, t)

    spec_touched = u.spec in mutated or (u.test in mutated if u.test else False)
    data = [d for d in u.data if d in mutated] or u.data
    commands = []

    def preview(d):
        fmt = rng.choice(["json", "json", "ndjson", "table"])
        argv = ["preview", u.spec, "--as-of", AS_OF, "--format", fmt]
        stdin = None
        if rng.random() < 0.15:
            ext = d.rsplit(".", 1)[-1]
            argv += ["--input", "-", "--input-format", {"jsonl": "ndjson"}.get(ext, ext)]
            stdin = d
        else:
            argv += ["--input", d]
        if rng.random() < 0.2:
            argv.append("--as-update")
        if rng.random() < 0.2:
            argv += ["--schema-cache", str(SCHEMA_CACHE)]
        commands.append({"argv": argv, "stdin": stdin, "json": fmt if fmt in ("json", "ndjson") else None})

    if spec_touched:
        fmt = rng.choice(["human", "human", "json", "github", "sarif"])
        argv = ["check", "--format", fmt]
        if rng.random() < 0.3:
            argv += ["--schema-cache", str(SCHEMA_CACHE)]
        commands.append({"argv": argv + [u.spec], "stdin": None, "json": "json" if fmt in ("json", "sarif") else None})
        tfmt = rng.choice(["human", "json"])
        commands.append({"argv": ["test", "--format", tfmt, "--as-of", AS_OF, "."], "stdin": None,
                         "json": "json" if tfmt == "json" else None})
        if data:
            preview(rng.choice(data))
    else:
        for d in data:
            preview(d)
    return Case(kind, index, u.stem, files, mutated, commands)


# --------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------


@dataclass
class Run:
    argv: list[str]
    stdin: str | None
    exit: int | None  # None when killed by a signal
    signal: int | None
    seconds: float
    rss_kb: int
    failures: list[str]
    signature: str
    stderr: bytes


def limits(mem_cap_bytes: int):
    def apply():
        resource.setrlimit(resource.RLIMIT_AS, (mem_cap_bytes, mem_cap_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


PANIC = re.compile(rb"panicked at ([^\n]*?):(\d+):(\d+):\n([^\n]*)")


def normalise(msg: str) -> str:
    """The panic message without the input text it quotes, so one bug is one class."""
    msg = re.sub(r"`[^`]*(`|$)", "`..`", msg)
    msg = re.sub(r"'[^']*'", "'..'", msg)
    msg = re.sub(r"\d+", "N", msg)
    return msg[:120]


def run_one(binary: str, folder: Path, cmd: dict, opts) -> Run:
    argv = [binary] + cmd["argv"]
    env = dict(os.environ, NO_COLOR="1", RUST_BACKTRACE="0")
    env.pop("RUST_LOG", None)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        stdin = open(folder / cmd["stdin"], "rb") if cmd["stdin"] else subprocess.DEVNULL
        start = time.monotonic()
        try:
            p = subprocess.Popen(argv, cwd=folder, stdin=stdin, stdout=out, stderr=err, env=env,
                                 preexec_fn=limits(opts.mem_cap_mb << 20), start_new_session=True)
        finally:
            if cmd["stdin"]:
                stdin.close()
        fd = os.pidfd_open(p.pid)
        timed_out = False
        try:
            poller = select.poll()
            poller.register(fd, select.POLLIN)
            if not poller.poll(opts.timeout * 1000):
                timed_out = True
                os.killpg(p.pid, signal.SIGKILL)
            _, status, ru = os.wait4(p.pid, 0)
        finally:
            os.close(fd)
        p.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        seconds = time.monotonic() - start
        err.seek(0)
        stderr = err.read(256 * 1024)
        failures = []
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
        sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
        signature = ""
        m = PANIC.search(stderr)
        if timed_out:
            failures.append("timeout")
            signature = f"timeout: mapc {cmd['argv'][0]}"
        elif code == 101 or m:
            failures.append("panic")
            if m:
                loc = m.group(1).decode(errors="replace")
                signature = f"panic at {loc}:{m.group(2).decode()}: {normalise(m.group(4).decode(errors='replace'))}"
            else:
                signature = "panic (exit 101, no message)"
        if not timed_out and (ru.ru_maxrss > opts.rss_limit_mb * 1024 or b"memory allocation of" in stderr):
            failures.append("over_mem")
            signature = signature or f"over {opts.rss_limit_mb} MB: mapc {cmd['argv'][0]}"
        if not timed_out and sig is not None and "over_mem" not in failures and "panic" not in failures:
            failures.append("crash")
            what = "stack overflow" if b"overflowed its stack" in stderr else signal.Signals(sig).name
            signature = f"crash ({what}): mapc {cmd['argv'][0]}"
        if code is not None and code not in (0, 1, 2, 3, 101):
            failures.append("bad_exit")
            signature = signature or f"exit {code}: mapc {cmd['argv'][0]}"
        if cmd["json"] and code in (0, 1) and not failures:
            out.seek(0)
            text = out.read()
            if text.strip() and not json_ok(text, cmd["json"]):
                failures.append("bad_json")
                signature = f"output is not valid {cmd['json']}: mapc {' '.join(cmd['argv'][:1])} --format {cmd['json']}"
        return Run(cmd["argv"], cmd["stdin"], code, sig, seconds, ru.ru_maxrss, failures, signature, stderr)


def json_ok(text: bytes, fmt: str) -> bool:
    try:
        if fmt == "ndjson":
            for line in text.splitlines():
                if line.strip():
                    json.loads(line)
        else:
            json.loads(text)
        return True
    except RecursionError:
        return True  # nested deeper than Python's parser goes (a long `to:` path): not checked
    except (ValueError, UnicodeDecodeError):
        return False


def write_case(folder: Path, case: Case):
    for name, data in case.files.items():
        p = folder / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)


def execute(case: Case, binary: str, opts, scratch: Path) -> list[Run]:
    folder = Path(tempfile.mkdtemp(prefix=f"{case.kind}-{case.index}-", dir=scratch))
    try:
        write_case(folder, case)
        return [run_one(binary, folder, c, opts) for c in case.commands]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def shell_quote(a: str) -> str:
    return a if re.fullmatch(r"[A-Za-z0-9_./:=@%+-]+", a) else "'" + a.replace("'", "'\\''") + "'"


def save_case(case: Case, runs: list[Run], results: Path, opts) -> Path:
    folder = results / case.kind / f"{case.index:05d}"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    write_case(folder, case)
    lines = ["#!/bin/sh", "# Reproduces this case: run from this folder; MAPC defaults to the binary under test.",
             f"# Regenerate with: python3 tests/mutate/mutate.py --seed {opts.seed} --kind {case.kind} --case {case.index}",
             f'MAPC="${{MAPC:-{opts.binary}}}"', 'cd "$(dirname "$0")"']
    for i, r in enumerate(runs):
        if not r.failures:
            continue
        cmd = '"$MAPC" ' + " ".join(shell_quote(a) for a in r.argv)
        if r.stdin:
            cmd += " < " + shell_quote(r.stdin)
        lines.append(f"# run {i + 1}: {', '.join(r.failures)}: {r.signature}")
        lines.append(cmd)
        (folder / f"stderr-{i + 1}.txt").write_bytes(r.stderr)
    (folder / "repro.sh").write_text("\n".join(lines) + "\n")
    (folder / "repro.sh").chmod(0o755)
    info = {
        "kind": case.kind, "case": case.index, "seed": opts.seed, "example": case.unit,
        "mutated": case.mutated,
        "runs": [{"argv": r.argv, "stdin": r.stdin, "exit": r.exit, "signal": r.signal,
                  "seconds": round(r.seconds, 3), "peak_rss_kb": r.rss_kb, "failures": r.failures,
                  "signature": r.signature} for r in runs],
    }
    (folder / "case.json").write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n")
    return folder


# --------------------------------------------------------------------------------------
# Worker pool and report
# --------------------------------------------------------------------------------------

_UNITS: list[Unit] = []
_OPTS = None
_SCRATCH: Path | None = None


def _init(opts, scratch):
    global _UNITS, _OPTS, _SCRATCH
    _UNITS, _OPTS, _SCRATCH = load_units(), opts, scratch
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _work(job):
    kind, index = job
    try:
        return _work_unchecked(kind, index)
    except Exception as e:  # a bug of this script must not end the whole run unseen
        return kind, index, [(["harness"], f"harness error: {type(e).__name__}: {e}"[:200], 0, 0.0)], None, 0


def _work_unchecked(kind, index):
    case = make_case(_UNITS, _OPTS.seed, kind, index)
    runs = execute(case, _OPTS.binary, _OPTS, _SCRATCH)
    saved = None
    if any(r.failures for r in runs):
        saved = str(save_case(case, runs, Path(_OPTS.results), _OPTS))
    size = sum(len(case.files[f]) for f in case.mutated)
    return kind, index, [(r.failures, r.signature, r.rss_kb, r.seconds) for r in runs], saved, size


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=None,
                    help="the mapc binary (default: target/release/mapc, else target/debug/mapc)")
    ap.add_argument("--cases", type=int, default=3000, help="cases per kind (default 3000)")
    ap.add_argument("--smoke", action="store_true", help="small run for the test suite: 50 cases per kind")
    ap.add_argument("--kind", action="append", choices=KINDS, help="only this kind (repeatable)")
    ap.add_argument("--case", type=int, help="run only this case number (with --kind) and print it")
    ap.add_argument("--seed", type=int, default=6, help="the seed every case derives from (default 6)")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per run (default 10)")
    ap.add_argument("--rss-limit-mb", type=int, default=500, help="peak RSS that counts as too big (default 500)")
    ap.add_argument("--mem-cap-mb", type=int, default=2048,
                    help="address-space cap per run (RLIMIT_AS; default 2048): stops a runaway run")
    ap.add_argument("--jobs", type=int, default=2, help="runs in parallel (default 2)")
    ap.add_argument("--results", default=str(ROOT / "target" / "mutate-results"),
                    help="folder for failing cases and summary.json (default target/mutate-results)")
    ap.add_argument("--quiet", action="store_true", help="no progress lines")
    opts = ap.parse_args(argv)
    if opts.smoke:
        opts.cases = 50
    if opts.binary is None:
        for p in (ROOT / "target" / "release" / "mapc", ROOT / "target" / "debug" / "mapc"):
            if p.exists():
                opts.binary = str(p)
                break
        else:
            print("no mapc binary: run `cargo build` first, or pass --binary", file=sys.stderr)
            return 2
    opts.binary = str(Path(opts.binary).resolve())
    kinds = opts.kind or KINDS
    results = Path(opts.results)

    if opts.case is not None:
        if len(kinds) != 1:
            print("--case needs exactly one --kind", file=sys.stderr)
            return 2
        case = make_case(load_units(), opts.seed, kinds[0], opts.case)
        with tempfile.TemporaryDirectory() as scratch:
            runs = execute(case, opts.binary, opts, Path(scratch))
        print(f"{case.kind} #{case.index} on {case.unit}: " + json.dumps(case.mutated, ensure_ascii=False)[:2000])
        for r in runs:
            print(f"  mapc {' '.join(r.argv)}{' < ' + r.stdin if r.stdin else ''}: exit {r.exit} signal {r.signal}"
                  f" {r.seconds:.2f}s {r.rss_kb // 1024} MB {r.failures or ''} {r.signature}")
        if any(r.failures for r in runs):
            print(f"  saved to {save_case(case, runs, results, opts)}")
            return 1
        return 0

    for k in kinds:
        if (results / k).exists():
            shutil.rmtree(results / k)
    results.mkdir(parents=True, exist_ok=True)
    jobs = [(k, i) for i in range(opts.cases) for k in kinds]
    stats = {k: {"cases": 0, "runs": 0, "failing_cases": 0, **{f: 0 for f in FAILURES},
                 "max_rss_mb": 0, "max_seconds": 0.0} for k in kinds}
    classes: dict[str, dict] = {}
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mapc-mutate-") as scratch:
        with multiprocessing.Pool(opts.jobs, initializer=_init, initargs=(opts, Path(scratch))) as pool:
            for n, (kind, index, runs, saved, size) in enumerate(pool.imap_unordered(_work, jobs, chunksize=4), 1):
                s = stats[kind]
                s["cases"] += 1
                s["runs"] += len(runs)
                failed = False
                for failures, sig, rss, secs in runs:
                    s["max_rss_mb"] = max(s["max_rss_mb"], rss // 1024)
                    s["max_seconds"] = max(s["max_seconds"], round(secs, 2))
                    for f in failures:
                        s[f] += 1
                    if failures:
                        failed = True
                        c = classes.setdefault(sig, {"runs": 0, "kinds": {}, "smallest": None})
                        c["runs"] += 1
                        c["kinds"][kind] = c["kinds"].get(kind, 0) + 1
                        if c["smallest"] is None or size < c["smallest"][0]:
                            c["smallest"] = (size, saved)
                if failed:
                    s["failing_cases"] += 1
                if not opts.quiet and (n % 500 == 0 or n == len(jobs)):
                    print(f"  {n}/{len(jobs)} cases, {time.monotonic() - started:.0f}s", file=sys.stderr)

    elapsed = time.monotonic() - started
    summary = {"binary": opts.binary, "seed": opts.seed, "cases_per_kind": opts.cases,
               "timeout_s": opts.timeout, "rss_limit_mb": opts.rss_limit_mb, "mem_cap_mb": opts.mem_cap_mb,
               "seconds": round(elapsed), "kinds": stats,
               "classes": [{"signature": k, "runs": v["runs"], "kinds": v["kinds"], "example": v["smallest"][1]}
                           for k, v in sorted(classes.items(), key=lambda kv: -kv[1]["runs"])]}
    (results / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")

    cols = ["cases", "failing_cases", "runs", *FAILURES, "max_rss_mb", "max_seconds"]
    print(f"mapc mutation fuzz: {opts.binary}, seed {opts.seed}, {opts.cases} cases per kind, "
          f"timeout {opts.timeout:g}s, RSS limit {opts.rss_limit_mb} MB, {elapsed:.0f}s")
    heads = {"failing_cases": "failing", "max_rss_mb": "max_MB", "max_seconds": "max_s"}
    print(f"{'kind':<12}" + "".join(f"{heads.get(c, c):>9}" for c in cols))
    for k in kinds:
        print(f"{k:<12}" + "".join(f"{stats[k][c]:>9}" for c in cols))
    if classes:
        print(f"\n{len(classes)} failure class(es); the smallest case of each is saved under {results}:")
        for c in summary["classes"]:
            print(f"  {c['runs']:>6} runs  {c['signature']}\n          e.g. {c['example']}")
    total = sum(stats[k][f] for k in kinds for f in FAILURES)
    print(f"\n{'FAIL' if total else 'ok'}: {total} failing run(s)")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
