#!/usr/bin/env python3
"""Write the seed corpora of fuzz_schema and fuzz_schemadiff.

    python3 tests/fuzz/mk_schema_seeds.py [--ext sqlite_ext/mig]

CREATE statements are taken from the project's schema tests
(tests/run/21-sqlite-snapshot.t, 22-sqlite-diff.t, tests/core/test_schema*.c,
tests/batch/parent.sql); each one SQLite accepts (checked in :memory:, with
its table for an index or trigger) becomes a seed in the row format of
tests/fuzz/schema_fuzz.h: a kind byte ('t', 'i', 'v', 'g') and the
statement, a NUL, the next row.  With the extension (--ext, default
sqlite_ext/mig when built) the snapshot JSON of each group is a seed too.

corpus/schema/seed-*: one row, or a table and a row over it, or a JSON
document after a kind byte.  corpus/schemadiff/seed-*: two groups (rows or
JSON) separated by two NUL bytes: a table and another version of it, with
the indexes, views and triggers over them.  Regression inputs (any other
file name) are left alone.
"""
import glob
import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
SOURCES = ["tests/run/21-sqlite-snapshot.t", "tests/run/22-sqlite-diff.t", "tests/core/test_schema.c",
           "tests/core/test_schemadiff.c", "tests/batch/parent.sql"]
KIND = {"table": b"t", "index": b"i", "view": b"v", "trigger": b"g"}
HEAD = re.compile(r"\bCREATE\s+(?:TEMP\s+|TEMPORARY\s+)?(?:UNIQUE\s+)?(TABLE|INDEX|VIEW|TRIGGER)\b", re.I)


def c_literals(text):
    """The contents of a C file's string literals; adjacent ones joined, others split by \\0."""
    out, i, last_end = [], 0, None
    lit = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
    for m in lit.finditer(text):
        if last_end is not None and text[last_end:m.start()].strip() != "":
            out.append("\0")
        s = m.group(1)
        s = s.replace("\\n", "\n").replace('\\"', '"').replace("\\t", "\t").replace("\\\\", "\\")
        out.append(s)
        last_end = m.end()
    return "".join(out)


def statements(text):
    """CREATE statements: from the head to a ';' outside quotes and parentheses (a trigger: after END)."""
    for m in HEAD.finditer(text):
        kind = m.group(1).lower()
        i, depth, q, n = m.start(), 0, None, len(text)
        words = []
        end = None
        while i < n and i - m.start() < 4000:
            c = text[i]
            if c == "\0" or (c == "|" and q is None):
                end = i
                break
            if q:
                if c == q:
                    q = None
            elif c in "'\"`":
                q = c
            elif c == "[":
                q = "]"
            elif c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
            elif c == ";" and depth == 0:
                if kind != "trigger" or re.search(r"\bEND\s*$", text[m.start():i], re.I):
                    end = i
                    break
            i += 1
        if end is None:
            end = i
        s = text[m.start():end].strip()
        # a test's table|name|tbl|sql row format: cut the next row off
        s = re.split(r"\n(?:table|index|view|trigger)\|", s)[0].strip()
        if s:
            yield kind, s


def table_name(stmt):
    m = re.search(r"\bON\s+([\w\"\[\]`]+)", stmt, re.I)
    return m.group(1).strip("\"[]`").lower() if m else None


def created_name(stmt):
    m = re.match(r"CREATE\s+(?:TEMP\s+|TEMPORARY\s+)?(?:UNIQUE\s+)?\w+\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:main\.)?"
                 r"([\w\"\[\]`]+)", stmt, re.I)
    return m.group(1).strip("\"[]`").lower() if m else None


def accepted(stmts):
    db = sqlite3.connect(":memory:")
    try:
        for s in stmts:
            db.execute(s)
        return True
    except sqlite3.Error:
        return False
    finally:
        db.close()


def rows(group):
    return b"\0".join(KIND[k] + s.encode() for k, s in group)


def main():
    ext = os.path.join(ROOT, "sqlite_ext", "mig")
    if "--ext" in sys.argv:
        ext = sys.argv[sys.argv.index("--ext") + 1]
    found = []
    for src in SOURCES:
        text = open(os.path.join(ROOT, src), encoding="utf-8").read()
        if src.endswith(".c"):
            text = c_literals(text)
        found.extend(statements(text))
    seen, stmts = set(), []
    for k, s in found:
        if s not in seen:
            seen.add(s)
            stmts.append((k, s))
    tables = {}
    for k, s in stmts:
        if k == "table" and accepted([s]):
            tables.setdefault(created_name(s), []).append(s)
    groups = []
    for k, s in stmts:
        if k == "table":
            if accepted([s]):
                groups.append([(k, s)])
            continue
        t = table_name(s) if k != "view" else None
        cands = tables.get(t, []) if t else []
        for ts in cands:
            if accepted([ts, s]):
                groups.append([("table", ts), (k, s)])
                break
        else:
            if k == "view" and accepted([s]):
                groups.append([(k, s)])

    snap = None
    if os.path.exists(ext + ".so") and shutil.which("sqlite3"):
        def snap(g):
            with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
                f.write(";\n".join(s for _, s in g) + ";\n")
            try:
                r = subprocess.run(["sqlite3", "-batch", ":memory:"], capture_output=True, text=True,
                                   input=".load %s\nSELECT mig_snapshot_sql(readfile('%s'));\n" % (ext, f.name))
            finally:
                os.remove(f.name)
            out = r.stdout.strip()
            return out if r.returncode == 0 and out.startswith("{") else None

    def write(target, data):
        d = os.path.join(ROOT, "tests", "fuzz", "corpus", target)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "seed-" + hashlib.sha1(data).hexdigest()[:12]), "wb") as f:
            f.write(data)

    for target in ("schema", "schemadiff"):
        for f in glob.glob(os.path.join(ROOT, "tests", "fuzz", "corpus", target, "seed-*")):
            os.remove(f)
    nj = 0
    for g in groups:
        write("schema", rows(g))
        if snap:
            j = snap(g)
            if j:
                write("schema", b"{" + j.encode())
                nj += 1
    # diff pairs: two versions of a table (with what is over each), as rows and as JSON
    by_table = {}
    for g in groups:
        name = created_name(g[0][1]) if g[0][0] == "table" else None
        if name:
            by_table.setdefault(name, []).append(g)
    npairs = 0
    for name, gs in sorted(by_table.items()):
        for a, b in zip(gs, gs[1:]):
            write("schemadiff", rows(a) + b"\0\0" + rows(b))
            npairs += 1
            if snap:
                ja, jb = snap(a), snap(b)
                if not ja or not jb:
                    continue
                write("schemadiff", ja.encode() + b"\0\0" + jb.encode())
                write("schemadiff", rows(a) + b"\0\0" + jb.encode())
    # whole scripts: every group of one source file on one side, empty on the other
    allg = [g for g in groups]
    for i in range(0, len(allg), 8):
        chunk = [r for g in allg[i:i + 8] for r in g]
        uniq, names = [], set()
        for k, s in chunk:
            key = (k, created_name(s))
            if key not in names:
                names.add(key)
                uniq.append((k, s))
        uniq.sort(key=lambda r: list(KIND).index(r[0]))
        write("schemadiff", rows(uniq) + b"\0\0")
        write("schemadiff", b"\0\0" + rows(uniq))
    print("schema: %d row seeds, %d JSON seeds; schemadiff: %d table pairs" % (len(groups), nj, npairs))


if __name__ == "__main__":
    main()
