#!/usr/bin/python3
"""The inputs of bench/autogen.sh: one schema, as a mig project and as an
Alembic project, and its small edit as the schema both should reach.

    autogen_gen.py gen DIR DIALECT TABLES REVISIONS
        DIALECT sqlite or pg.  Writes
          DIR/mig/versions/    REVISIONS revision files (a linear chain) that
                               together create TABLES tables
          DIR/mig/schema/      the desired schema: the head's tables plus the
                               edit, as CREATE statements in 10 .sql files
          DIR/al/              the Alembic project (script_location): env.py,
                               script.py.mako, models.py (the SQLAlchemy
                               models of the desired schema) and versions/,
                               REVISIONS scripts of op.create_table and
                               op.create_index that produce the same head
          DIR/expect.json      what autogenerate should find
        (mig.ini and alembic.ini, which name the databases, are autogen.sh's.)
    autogen_gen.py check-mig DIR FILE       exit 1 unless FILE (mig's new
                                            revision) upgrades by the edit
    autogen_gen.py check-alembic DIR FILE   the same for Alembic's script

The edit: a nullable column `note` added to 1% of the tables (at least one),
the index on `name` of one table dropped, and a new table `t_new` with a
foreign key and an index.  Each table has 7 to 9 columns (INTEGER, BIGINT,
VARCHAR(n), TEXT, BOOLEAN, NUMERIC(12,2), TIMESTAMP, DATE), NOT NULL on some,
an index on `name`; every 5th a two-column UNIQUE index; every 2nd (from the
6th on) a foreign key `parent_id` to the table 5 before it, with an index.
Deterministic: the same arguments give the same files.
"""

import json
import os
import re
import sys

from gen_chain import make_ids  # 12 hex characters, deterministic, unique

# (name, SQL type, SQLAlchemy type, NOT NULL)
BASE_COLS = [
    ("name", "VARCHAR(80)", "sa.String(80)", True),
    ("created_at", "TIMESTAMP", "sa.DateTime()", True),
    ("active", "BOOLEAN", "sa.Boolean()", True),
    ("amount", "NUMERIC(12, 2)", "sa.Numeric(12, 2)", False),
    ("body", "TEXT", "sa.Text()", False),
]
EXTRA_COLS = [  # one or two of these per table, by its number
    ("qty", "INTEGER", "sa.Integer()", False),
    ("big", "BIGINT", "sa.BigInteger()", True),
    ("born", "DATE", "sa.Date()", False),
    ("code", "VARCHAR(16)", "sa.String(16)", False),
]
NOTE = ("note", "TEXT", "sa.Text()", False)


def tname(i):
    return "t%04d" % i


def table_spec(i):
    """Table i (1-based): columns, indexes [(name, cols, unique)], FK parent."""
    cols = list(BASE_COLS)
    cols.append(EXTRA_COLS[i % 4])
    if i % 3 == 0:
        cols.append(EXTRA_COLS[(i + 1) % 4])
    parent = i - 5 if i > 5 and i % 2 == 0 else None
    idx = [("ix_%s_name" % tname(i), ["name"], False)]
    if i % 5 == 0:
        idx.append(("ux_%s_name_created" % tname(i), ["name", "created_at"], True))
    if parent:
        idx.append(("ix_%s_parent_id" % tname(i), ["parent_id"], False))
    return cols, idx, parent


def edit(n):
    """The edited tables, the dropped index, the new table."""
    k = max(1, n // 100)
    note_tables = sorted({min(n, (j * n) // k + 7) for j in range(k)})
    dropped = "ix_%s_name" % tname(min(3, n))
    return note_tables, dropped


NEW_TABLE = "t_new"
NEW_COLS = [("owner_id", "INTEGER", "sa.Integer()", True), ("label", "VARCHAR(40)", "sa.String(40)", False)]
NEW_INDEX = ("ix_t_new_owner_id", ["owner_id"], False)


def col_sql(c):
    return "%s %s%s" % (c[0], c[1], " NOT NULL" if c[3] else "")


def create_sql(i, cols, parent):
    body = ["id INTEGER NOT NULL PRIMARY KEY"] + [col_sql(c) for c in cols]
    if parent:
        body.append("parent_id INTEGER REFERENCES %s (id)" % tname(parent))
    return "CREATE TABLE %s (\n    %s\n);\n" % (tname(i), ",\n    ".join(body))


def index_sql(table, ix):
    name, cols, unique = ix
    return "CREATE %sINDEX %s ON %s (%s);\n" % ("UNIQUE " if unique else "", name, table, ", ".join(cols))


def new_table_sql():
    body = ["id INTEGER NOT NULL PRIMARY KEY", "owner_id INTEGER NOT NULL REFERENCES t0001 (id)", "label VARCHAR(40)"]
    return "CREATE TABLE %s (\n    %s\n);\n" % (NEW_TABLE, ",\n    ".join(body)) + index_sql(NEW_TABLE, NEW_INDEX)


def sa_cols(cols, parent, indent):
    out = ["sa.Column('id', sa.Integer(), primary_key=True, autoincrement=False)"]
    for c in cols:
        out.append("sa.Column(%r, %s, nullable=%s)" % (c[0], c[2], not c[3]))
    if parent:
        out.append("sa.Column('parent_id', sa.Integer(), sa.ForeignKey('%s.id'), nullable=True)" % tname(parent))
    return (",\n" + indent).join(out)


MAKO = '''"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}
"""
from alembic import op
import sqlalchemy as sa
${imports if imports else ""}

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels)}
depends_on = ${repr(depends_on)}


def upgrade():
    ${upgrades if upgrades else "pass"}


def downgrade():
    ${downgrades if downgrades else "pass"}
'''

ENV = '''import os
import sys

from alembic import context
from sqlalchemy import create_engine

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models  # noqa: E402

target_metadata = models.metadata
engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
with engine.connect() as connection:
    # compare_type: mig compares the types too
    context.configure(connection=connection, target_metadata=target_metadata,
                      compare_type=True, transactional_ddl=True)
    with context.begin_transaction():
        context.run_migrations()
'''


def gen(d, dialect, n, nrev):
    if dialect not in ("sqlite", "pg"):
        sys.exit("autogen_gen.py: DIALECT must be sqlite or pg")
    if n < 10 or nrev < 1 or nrev > n:
        sys.exit("autogen_gen.py: TABLES >= 10 and 1 <= REVISIONS <= TABLES")
    mv = os.path.join(d, "mig", "versions")
    ms = os.path.join(d, "mig", "schema")
    av = os.path.join(d, "al", "versions")
    for p in (mv, ms, av):
        os.makedirs(p)
    ids = make_ids(nrev)
    note_tables, dropped = edit(n)
    specs = {i: table_spec(i) for i in range(1, n + 1)}
    # revision r (0-based) creates tables lo..hi
    for r in range(nrev):
        lo, hi = 1 + (r * n) // nrev, ((r + 1) * n) // nrev
        up, down, aup, adown = [], [], [], []
        for i in range(lo, hi + 1):
            cols, idx, parent = specs[i]
            up.append(create_sql(i, cols, parent))
            aup.append("    op.create_table(%r,\n        %s)" % (tname(i), sa_cols(cols, parent, "        ")))
            for ix in idx:
                up.append(index_sql(tname(i), ix))
                aup.append("    op.create_index(%r, %r, %r, unique=%s)" % (ix[0], tname(i), ix[1], ix[2]))
        for i in range(hi, lo - 1, -1):
            down.append("DROP TABLE %s;\n" % tname(i))
            adown.append("    op.drop_table(%r)" % tname(i))
        rid = ids[r]
        hdr = ["-- mig:revision %s" % rid]
        if r:
            hdr.append("-- mig:down_revision %s" % ids[r - 1])
        hdr.append("-- mig:message tables %d to %d" % (lo, hi))
        with open(os.path.join(mv, "%s_tables_%d.sql" % (rid, r + 1)), "w") as f:
            f.write("\n".join(hdr) + "\n\n-- mig:upgrade\n" + "".join(up) + "\n-- mig:downgrade\n" + "".join(down))
        with open(os.path.join(av, "%s_tables_%d.py" % (rid, r + 1)), "w") as f:
            f.write('"""tables %d to %d\n\nRevision ID: %s\nRevises: %s\n"""\n'
                    "from alembic import op\nimport sqlalchemy as sa\n\n"
                    "revision = %r\ndown_revision = %r\nbranch_labels = None\ndepends_on = None\n\n\n"
                    "def upgrade():\n%s\n\n\ndef downgrade():\n%s\n"
                    % (lo, hi, rid, ids[r - 1] if r else "", rid, ids[r - 1] if r else None,
                       "\n".join(aup), "\n".join(adown)))
    # the desired schema (head + edit) and the models
    files = [[] for _ in range(10)]
    models = ["import sqlalchemy as sa\n\nmetadata = sa.MetaData()\n"]
    for i in range(1, n + 1):
        cols, idx, parent = specs[i]
        if i in note_tables:
            cols = cols + [NOTE]
        idx = [ix for ix in idx if ix[0] != dropped]
        part = files[(i - 1) * 10 // n]
        part.append(create_sql(i, cols, parent))
        part += [index_sql(tname(i), ix) for ix in idx]
        models.append("sa.Table(%r, metadata,\n    %s)" % (tname(i), sa_cols(cols, parent, "    ")))
        models += ["sa.Index(%r, %s, unique=%s)" % (ix[0], ", ".join("metadata.tables[%r].c.%s" % (tname(i), c) for c in ix[1]), ix[2])
                   for ix in idx]
    files[-1].append(new_table_sql())
    models.append("sa.Table(%r, metadata,\n    sa.Column('id', sa.Integer(), primary_key=True, autoincrement=False),\n"
                  "    sa.Column('owner_id', sa.Integer(), sa.ForeignKey('t0001.id'), nullable=False),\n"
                  "    sa.Column('label', sa.String(40), nullable=True))" % NEW_TABLE)
    models.append("sa.Index(%r, metadata.tables[%r].c.owner_id, unique=False)" % (NEW_INDEX[0], NEW_TABLE))
    for k, part in enumerate(files):
        with open(os.path.join(ms, "%02d_tables.sql" % k), "w") as f:
            f.write("".join(part))
    with open(os.path.join(d, "al", "models.py"), "w") as f:
        f.write("\n".join(models) + "\n")
    with open(os.path.join(d, "al", "env.py"), "w") as f:
        f.write(ENV)
    with open(os.path.join(d, "al", "script.py.mako"), "w") as f:
        f.write(MAKO)
    exp = {"add_column": [tname(i) for i in note_tables], "drop_index": dropped,
           "create_table": NEW_TABLE, "create_index": NEW_INDEX[0], "head": ids[-1]}
    with open(os.path.join(d, "expect.json"), "w") as f:
        json.dump(exp, f)
    print("%d tables, %d columns, %d indexes (%d unique), %d foreign keys in %d revisions; edit: "
          "%d columns added, 1 index dropped, 1 table (with an index and a foreign key) added"
          % (n, sum(1 + len(s[0]) + (1 if s[2] else 0) for s in specs.values()),
             sum(len(s[1]) for s in specs.values()), sum(1 for s in specs.values() for ix in s[1] if ix[2]),
             sum(1 for s in specs.values() if s[2]), nrev, len(note_tables)))


def found(what, got, want):
    if sorted(got) != sorted(want):
        print("%s: found %s, expected %s" % (what, got, want))
        return False
    return True


def verdict(d, names, add, dropi, newt, newi, other):
    """Exit 0 when the four lists are the edit of expect.json and other is empty."""
    exp = json.load(open(os.path.join(d, "expect.json")))
    ok = all([found(names[0], add, exp["add_column"]), found(names[1], dropi, [exp["drop_index"]]),
              found(names[2], newt, [exp["create_table"]]), found(names[3], newi, [exp["create_index"]])])
    if other:
        print("other statements or operations: %s" % other)
        ok = False
    sys.exit(0 if ok else 1)


def check_mig(d, path):
    text = open(path).read()
    m = re.search(r"^-- mig:upgrade\n(.*?)^-- mig:downgrade\n", text, re.S | re.M)
    if not m:
        sys.exit("%s: no upgrade section" % path)
    stmts = [s.strip() for s in re.split(r";\s*\n", m.group(1)) if s.strip() and not re.fullmatch(r"(--[^\n]*\n?)+", s.strip())]
    add, dropi, newt, newi, other = [], [], [], [], []
    for s in stmts:
        s1 = re.sub(r"^(--[^\n]*\n)+", "", s)
        s1 = re.sub(r'"', "", s1)
        a = re.match(r"ALTER TABLE (?:public\.)?(\w+) ADD (?:COLUMN )?note text\b", s1, re.I)
        if a:
            add.append(a.group(1))
        elif re.match(r"DROP INDEX (?:public\.)?(\w+)", s1, re.I):
            dropi.append(re.match(r"DROP INDEX (?:public\.)?(\w+)", s1, re.I).group(1))
        elif re.match(r"CREATE TABLE (?:public\.)?(\w+)", s1, re.I):
            newt.append(re.match(r"CREATE TABLE (?:public\.)?(\w+)", s1, re.I).group(1))
        elif re.match(r"CREATE (?:UNIQUE )?INDEX (\w+)", s1, re.I):
            newi.append(re.match(r"CREATE (?:UNIQUE )?INDEX (\w+)", s1, re.I).group(1))
        elif re.match(r"ALTER TABLE (?:ONLY )?(?:public\.)?t_new ADD CONSTRAINT \w+ FOREIGN KEY", s1, re.I):
            pass  # PostgreSQL: the new table's foreign key, after the table
        else:
            other.append(s1.split("\n")[0][:120])
    verdict(d, ("ADD COLUMN note", "DROP INDEX", "CREATE TABLE", "CREATE INDEX"), add, dropi, newt, newi, other)


def check_alembic(d, path):
    text = open(path).read()
    m = re.search(r"^def upgrade\(\):\n(.*?)^def downgrade", text, re.S | re.M)
    if not m:
        sys.exit("%s: no upgrade()" % path)
    up = m.group(1)
    ops = re.findall(r"^    op\.(\w+)\(", up, re.M)
    add = re.findall(r"op\.add_column\('(\w+)', sa\.Column\('note'", up)
    dropi = re.findall(r"op\.drop_index\('(\w+)'", up)
    newt = re.findall(r"op\.create_table\('(\w+)'", up)
    newi = re.findall(r"op\.create_index\((?:op\.f\()?'(\w+)'", up)
    other = []
    if len(ops) != len(add) + len(dropi) + len(newt) + len(newi):
        other = [o for o in ops if o not in ("add_column", "drop_index", "create_table", "create_index")] or ops
    verdict(d, ("op.add_column note", "op.drop_index", "op.create_table", "op.create_index"), add, dropi, newt, newi, other)


def main():
    a = sys.argv[1:]
    if len(a) == 5 and a[0] == "gen":
        gen(a[1], a[2], int(a[3]), int(a[4]))
    elif len(a) == 3 and a[0] == "check-mig":
        check_mig(a[1], a[2])
    elif len(a) == 3 and a[0] == "check-alembic":
        check_alembic(a[1], a[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
