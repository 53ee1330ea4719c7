#!/usr/bin/python3
"""The inputs of bench/schema.sh: a large SQLite schema and its edit.

    schema_gen.py schema N  > schema.sql   N tables, 3 indexes each, a view per 10 tables
    schema_gen.py edit N PCT > edit.sql    the ALTER script of the edited schema: on PCT%
                                           of the tables (spread evenly, at least one), one
                                           column added and one index dropped

Each table has 10 columns of varied declared types (INTEGER, TEXT,
VARCHAR(n), NUMERIC(p,s), REAL, BOOLEAN, TIMESTAMP, DATE, BLOB, ...), NOT
NULL on about half of them, defaults (literals, negative numbers, strings,
CURRENT_TIMESTAMP, an expression), column and table CHECK constraints, a
foreign key to an earlier table (ON DELETE CASCADE / SET NULL) on every
table but the first, and on every 7th table a composite UNIQUE and a
collation. The three indexes: a UNIQUE one, a two-column one with DESC, and
on alternate tables a partial index or an expression index. Every 10th
table gets a view joining it with its parent. The output is deterministic
(no randomness): the same N gives the same text.

No AUTOINCREMENT: it creates sqlite_sequence, which `.schema` prints and no
CREATE script may contain.
"""

import sys

TYPES = [  # (declared type, a default for it or None)
    ("TEXT", "''"),
    ("VARCHAR(64)", "'none'"),
    ("INTEGER", "0"),
    ("NUMERIC(12,2)", "0.00"),
    ("REAL", "-1.5"),
    ("BOOLEAN", "0"),
    ("TIMESTAMP", "CURRENT_TIMESTAMP"),
    ("DATE", "'1970-01-01'"),
    ("BIGINT", "(abs(-7) * 2)"),
    ("BLOB", None),
    ("CHAR(3)", "'EUR'"),
    ("DOUBLE PRECISION", "0"),
]
WORDS = ["name", "code", "amount", "qty", "ratio", "created_at", "flag", "note",
         "kind", "score", "label", "total", "price", "state", "tag", "weight"]


def tname(i):
    return "t%04d" % i


def columns(i):
    """The 9 columns after the primary key of table i: (name, type, notnull, default)."""
    cols = []
    for k in range(8):
        ty, df = TYPES[(i + 5 * k) % len(TYPES)]
        name = WORDS[(i + k) % len(WORDS)] + ("_%d" % k)
        notnull = (i + k) % 2 == 0
        if df is None and notnull:
            notnull = False
        if (i + k) % 3 == 2:
            df = None if not notnull else df
        cols.append((name, ty, notnull, df))
    return cols


def create_table(i):
    t = tname(i)
    cols = columns(i)
    lines = ["    id INTEGER PRIMARY KEY"]
    for k, (name, ty, notnull, df) in enumerate(cols):
        s = "    %s %s" % (name, ty)
        if notnull:
            s += " NOT NULL"
        if df is not None:
            s += " DEFAULT " + df
        if i % 7 == 0 and ty.startswith(("TEXT", "VARCHAR")):
            s += " COLLATE NOCASE"
        if k == 2 and ty in ("INTEGER", "NUMERIC(12,2)", "REAL", "BIGINT", "DOUBLE PRECISION"):
            s += " CHECK (%s >= 0)" % name
        lines.append(s)
    if i > 1:
        parent = tname(1 + (i * 7) % (i - 1)) if i > 2 else tname(1)
        on = "CASCADE" if i % 2 else "SET NULL"
        lines.append("    parent_id INTEGER REFERENCES %s(id) ON DELETE %s" % (parent, on))
    else:
        lines.append("    parent_id INTEGER")
    if i % 3 == 0:
        lines.append("    CONSTRAINT ck_%s_pair CHECK (%s IS NOT NULL OR %s IS NULL)"
                     % (t, cols[0][0], cols[1][0]))
    if i % 7 == 0:
        lines.append("    UNIQUE (%s, %s)" % (cols[3][0], cols[4][0]))
    return "CREATE TABLE %s (\n%s\n);" % (t, ",\n".join(lines))


def indexes(i):
    t = tname(i)
    cols = columns(i)
    out = [
        "CREATE UNIQUE INDEX ux_%s_%s ON %s (%s, id);" % (t, cols[0][0], t, cols[0][0]),
        "CREATE INDEX ix_%s_%s ON %s (%s DESC, %s);" % (t, cols[1][0], t, cols[1][0], cols[2][0]),
    ]
    if i % 2:
        out.append("CREATE INDEX ix_%s_parent ON %s (parent_id) WHERE parent_id IS NOT NULL;" % (t, t))
    else:
        out.append("CREATE INDEX ix_%s_expr ON %s (lower(%s), %s);" % (t, t, cols[5][0], cols[6][0]))
    return out


def view(i):
    """The view of table i (i a multiple of 10): the table joined with its parent."""
    t = tname(i)
    parent = tname(1 + (i * 7) % (i - 1))
    c = columns(i)
    return ("CREATE VIEW v_%s AS SELECT a.id, a.%s, a.%s AS second, b.id AS parent\n"
            "  FROM %s AS a JOIN %s AS b ON b.id = a.parent_id WHERE a.%s IS NOT NULL;"
            % (t, c[0][0], c[1][0], t, parent, c[2][0]))


def edited_tables(n, pct):
    k = max(1, n * pct // 100)
    step = n / k
    return [1 + int(j * step) for j in range(k)]


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("schema", "edit"):
        sys.exit("usage: schema_gen.py schema N | edit N PCT")
    n = int(sys.argv[2])
    out = sys.stdout
    if sys.argv[1] == "schema":
        for i in range(1, n + 1):
            out.write(create_table(i) + "\n")
            for s in indexes(i):
                out.write(s + "\n")
        for i in range(10, n + 1, 10):
            out.write(view(i) + "\n")
        return
    pct = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    for i in edited_tables(n, pct):
        t = tname(i)
        out.write("ALTER TABLE %s ADD COLUMN added_col VARCHAR(20) NOT NULL DEFAULT 'x';\n" % t)
        out.write("DROP INDEX ix_%s_%s;\n" % (t, columns(i)[1][0]))


if __name__ == "__main__":
    main()
