#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/seeds/<target>/ from the tree.

  specs          (for the yaml and compile targets) the example specs and test file (specs/examples/), the check
                 fixtures (tests/check/*.yaml), and the examples with a BOM,
                 CRLF line ends and non-ASCII text added
  expr           the strings the expression parser tests parse
                 (crates/syntax/tests/expr_parse.rs), every documented function
                 example (crates/ir/src/funcs/<name>.rs), and every `expr:`/`when:`
                 of the example specs
  filter         the strings the filter parser tests parse
                 (crates/syntax/src/filter/tests.rs), the `filter`/`commonExpr`
                 inputs of the OASIS ABNF test cases, and every `filter:` of
                 the example specs
  records        the sample data (specs/examples/data/) with the two selector
                 bytes of the `records` target in front (see fuzz/src/lib.rs):
                 as NDJSON, as a JSON array, as an OData response
                 (`{"value": [...]}`) and the CSV

It also writes the libFuzzer dictionaries fuzz/dicts/{spec,expr,filter}.dict:
every key and enum value of the JSON Schema (specs/mapc.schema.json) with
YAML syntax, the function names of crates/ir/src/funcs/ with the operators,
and the OData keywords and functions.

Run from anywhere: `python3 fuzz/make_seeds.py`. Needs PyYAML. Seeds are
named by content hash, so re-running is idempotent.
"""
import hashlib
import pathlib
import sqlite3
import tempfile
import json
import pathlib
import re

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
SEEDS = ROOT / "fuzz" / "seeds"

# The order of mapc_fuzz::EXAMPLE_SPECS.
EXAMPLE_SPECS = [
    "business-central-orders",
    "business-central",
    "contract-tool",
    "marketing-contacts",
    "odata-copy",
]


def funcs_text():
    """The `INFO` of every expression function (crates/ir/src/funcs/<name>.rs:
    its name and examples), in the order of the registration list in
    funcs/mod.rs."""
    folder = ROOT / "crates/ir/src/funcs"
    registry = (folder / "mod.rs").read_text(encoding="utf-8")
    modules = re.findall(r"^    [A-Z]\w* => (?:r#)?(\w+),$", registry, re.M)
    infos = []
    for m in modules:
        text = (folder / f"{m}.rs").read_text(encoding="utf-8")
        infos.append(re.search(r"const INFO: FuncInfo = FuncInfo \{.*?\n    \};", text, re.S).group(0))
    return "\n".join(infos)


def put(target, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    d = SEEDS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


def rust_strings(path, calls):
    """String literals passed as first argument to the given functions."""
    text = path.read_text(encoding="utf-8")
    names = "|".join(calls)
    out = []
    pat = re.compile(
        r"\b(?:%s)\(\s*(?:r(#*)\"(.*?)\"\1|\"((?:[^\"\\]|\\.)*)\")" % names, re.S
    )
    for m in pat.finditer(text):
        if m.group(2) is not None:
            out.append(m.group(2))
        else:
            out.append(unescape(m.group(3)))
    return out


def unescape(s):
    # Rust escapes in plain string literals; `\` + newline skips whitespace.
    s = re.sub(r"\\\n\s*", "", s)
    return re.sub(
        r"\\(u\{[0-9a-fA-F]+\}|x[0-9a-fA-F]{2}|.)",
        lambda m: esc(m.group(1)),
        s,
    )


def esc(e):
    if e.startswith("u{"):
        return chr(int(e[2:-1], 16))
    if e.startswith("x"):
        return chr(int(e[1:], 16))
    return {"n": "\n", "t": "\t", "r": "\r", "0": "\0"}.get(e, e)


def walk(node, keys):
    """Every string value under one of `keys` in a YAML tree."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k in keys and isinstance(v, str):
                yield v
            else:
                yield from walk(v, keys)
    elif isinstance(node, list):
        for v in node:
            yield from walk(v, keys)


def main():
    examples = sorted((ROOT / "specs" / "examples").glob("*.yaml"))
    fixtures = sorted((ROOT / "tests" / "check").glob("*.yaml"))
    for f in examples + fixtures:
        data = f.read_bytes()
        put("specs", data)
    for f in examples:
        text = f.read_text(encoding="utf-8")
        for variant in (
            "\ufeff" + text,
            text.replace("\n", "\r\n"),
            text.replace("description: ", "description: Kunde Müller – ", 1),
        ):
            put("specs", variant)

    specs = [yaml.safe_load(f.read_text(encoding="utf-8")) for f in examples]
    for s in rust_strings(ROOT / "crates/syntax/tests/expr_parse.rs", ["ok", "err", "parse"]):
        put("expr", s)
    funcs = funcs_text()
    # `(expression, result)`, on one line or (rustfmt's, when long) on three.
    for m in re.finditer(r"\(\s*\"((?:[^\"\\]|\\.)*)\",\s*\"(?:[^\"\\]|\\.)*\",?\s*\)", funcs):
        put("expr", unescape(m.group(1)))
    for spec in specs:
        for s in walk(spec, {"expr", "when"}):
            put("expr", s)

    for s in rust_strings(ROOT / "crates/syntax/src/filter/tests.rs", ["ok", "err", "parse_filter"]):
        put("filter", s)
    abnf = ROOT.parent / "shared/conformance/odata-abnf/odata-abnf-testcases.yaml"
    if abnf.exists():
        # The file has tabs in plain scalars, which PyYAML refuses: read the
        # `Rule:`/`Input:` pairs by line.
        text = abnf.read_text(encoding="utf-8")
        for m in re.finditer(r"Rule: (filter|boolCommonExpr|commonExpr)\n\s+Input: (.*)", text):
            inp = m.group(2)
            put("filter", inp)
            if inp.startswith("$filter="):
                put("filter", inp[len("$filter="):])
    for spec in specs:
        for s in walk(spec, {"filter"}):
            put("filter", s)

    data = ROOT / "specs" / "examples" / "data"
    for i, stem in enumerate(EXAMPLE_SPECS):
        nd = data / f"{stem}.ndjson"
        if nd.exists():
            body = nd.read_bytes()
            records = [json.loads(l) for l in body.decode("utf-8").splitlines() if l.strip()]
            # selector byte: bits 0-1 reader, bit 2 update, bits 3-7 mapping 0
            put("records", bytes([i, 0]) + body)
            put("records", bytes([i, 1]) + json.dumps(records, indent=1, ensure_ascii=False).encode())
            put("records", bytes([i, 1 | 4]) + json.dumps({"@odata.context": "x", "value": records}).encode())
            put("records", bytes([i, 3]) + json.dumps(records[0]).encode())
        csv = data / f"{stem}.csv"
        if csv.exists():
            put("records", bytes([i, 2]) + csv.read_bytes())
            put("records", bytes([i, 2]) + csv.read_bytes().replace(b"\n", b"\r\n"))

    # table: a selector byte (0 ndjson, 1 json, 2 csv) and an existing target file.
    for stem in EXAMPLE_SPECS:
        nd = data / f"{stem}.ndjson"
        if nd.exists():
            lines = [json.loads(l) for l in nd.read_text(encoding="utf-8").splitlines() if l.strip()]
            rows = [dict(r, id=str(i)) for i, r in enumerate(lines)]
            body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
            put("table", b"\x00" + body.encode())
            put("table", b"\x00" + body.replace("\n", "\r\n").encode())
            put("table", b"\x01" + json.dumps(rows, ensure_ascii=False).encode())
    put("table", b"\x02id,name,n\r\n1,M\xc3\xbcller,1.10\r\n2,\"a,b\",\r\n")
    put("table", b"\x00" + b'{"id":"a","x":{"y":1.50}}\n{"id":2}\n')

    # state: a state database of the SQL migrations of
    # crates/state/src/schema.rs (schema 1: a row a key; later steps are Rust
    # code, which mapc applies when it opens the seed), with a run's rows.
    schema = (ROOT / "crates/state/src/schema.rs").read_text(encoding="utf-8")
    steps = re.findall(r'Step::Sql\(\s*"((?:[^"\\]|\\.)*)",?\s*\)', schema, re.S)
    with tempfile.TemporaryDirectory() as tmp:
        db = pathlib.Path(tmp) / "state.db"
        c = sqlite3.connect(db)
        for step in steps:
            c.executescript(step)
        c.execute(f"PRAGMA user_version = {len(steps)}")
        c.execute("INSERT INTO watermarks VALUES ('default', 'm', '2026-11-20T10:00:00Z')")
        c.execute("INSERT INTO keys VALUES ('default', 'm', 'k1', ?, NULL)", (bytes(16),))
        c.execute("INSERT INTO keys VALUES ('default', 'm', 'Müller', ?, '[[\"a\",\"1\"]]')", (bytes(range(16)),))
        c.execute("INSERT INTO intents (env, mapping, run, keys) VALUES ('default', 'm', 1, '[\"k1\"]')")
        c.commit()
        c.close()
        put("state", db.read_bytes())
    put("state", b"SQLite format 3\x00")
    put("state", b"not a database")

    # keyindex: a memory part of 1 entry, then inserts of 40 keys, lookups,
    # replacements and get-or-inserts (3 bytes an operation: what, key, value).
    ops = bytes([0])
    ops += b"".join(bytes([0, k, k]) for k in range(40))
    ops += b"".join(bytes([3, k, 0]) for k in range(0, 60, 3))
    ops += b"".join(bytes([2, k, 7]) for k in range(0, 40, 2))
    ops += b"".join(bytes([1, k, 9]) for k in range(30, 70))
    put("keyindex", ops)
    put("keyindex", bytes([7]) + bytes([0, 1, 1, 2, 1, 2, 3, 1, 0]) * 30)


def dict_entry(tok):
    out = []
    for b in tok.encode("utf-8"):
        c = chr(b)
        if c in '"\\' or b < 0x20 or b >= 0x7F:
            out.append("\\x%02X" % b)
        else:
            out.append(c)
    return '"%s"' % "".join(out)


def write_dict(name, tokens):
    d = ROOT / "fuzz" / "dicts"
    d.mkdir(parents=True, exist_ok=True)
    toks = sorted({t for t in tokens if t})
    (d / f"{name}.dict").write_text(
        "# written by fuzz/make_seeds.py\n" + "".join(dict_entry(t) + "\n" for t in toks),
        encoding="utf-8",
    )


def schema_words(node, out):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "properties" and isinstance(v, dict):
                out.update(v.keys())
            if k == "enum" and isinstance(v, list):
                out.update(str(x) for x in v)
            schema_words(v, out)
    elif isinstance(node, list):
        for v in node:
            schema_words(v, out)


def dicts():
    schema = json.loads((ROOT / "specs" / "mapc.schema.json").read_text(encoding="utf-8"))
    words = set()
    schema_words(schema, words)
    yaml_syntax = [": ", "\n", "\r\n", "  ", "- ", "{ ", " }", "[", "]", ", ", "&a ", "*a",
                   "!!str ", "|\n", ">-\n", "---\n", "? ", "\t", "\ufeff", "\"", "'", "# ",
                   "${", "}", "mapc: 1\n", "1e400", "99999999999999999999999999999999", "~"]
    write_dict("spec", [w + ":" for w in words] + list(words) + yaml_syntax)
    funcs = funcs_text()
    names = re.findall(r'name: "([a-z_0-9]+)"', funcs)
    write_dict("expr", [n + "(" for n in names] + [
        "and", "or", "not", "in", "null", "true", "false", "==", "!=", "<=", ">=", "&&", "||",
        "`", "'", "''", "2026-02-29", "2026-11-22T10:00:00Z", "99999999999999999999999999999999",
        "0.0000000000000000000000000001",
    ])
    write_dict("filter", [
        "eq", "ne", "gt", "ge", "lt", "le", "and", "or", "not", "has", "in", "add", "sub",
        "mul", "div", "divby", "mod", "null", "true", "false", "any(", "all(", "$it", "$root",
        "$count", "cast(", "isof(", "contains(", "startswith(", "endswith(", "length(",
        "indexof(", "substring(", "tolower(", "toupper(", "trim(", "concat(", "year(",
        "month(", "day(", "hour(", "minute(", "second(", "date(", "time(", "now()",
        "round(", "floor(", "ceiling(", "geo.distance(", "geography'", "geometry'",
        "duration'", "binary'", "2026-02-29", "2026-11-22T10:00:00Z", "12:30:00",
        "01234567-89ab-cdef-0123-456789abcdef", "INF", "NaN", "1e400", "@p", "/", "'",
    ])


if __name__ == "__main__":
    dicts()
    main()
