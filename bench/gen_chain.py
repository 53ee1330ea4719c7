#!/usr/bin/python3
"""Generate the inputs of bench/chain.sh: one linear chain of revisions.

Every revision i (1-based) has the same trivial body,

    upgrade:   INSERT INTO bench_log(n) VALUES (i);
    downgrade: DELETE FROM bench_log WHERE n = i;

and the chain of size n is the first n revisions, so every size shares the
same ids. Written into OUTDIR:

    ids.txt             revision ids in chain order, one a line
    revs/NNNNNN_ID.sql  the mig revision files (docs/revision-files.md), for the
                        size given by --revs (for a look, or for the client)
    manifest.tsv        with --revs, a line per revision file, in chain
                        order: file, id, down_revision, message, upgrade
                        body (for bench/storefloor.c)
    upload_<n>.sql      BEGIN; SELECT mig_put_revision('<file>'); ... COMMIT;
    floor_<n>.sql       BEGIN; <the n upgrade bodies>; COMMIT;
    floor1_<n>.sql      the same for psql as one request (each statement
                        ended by \\;): the server's own cost, no round trips
    alembic/            an Alembic project with the same n bodies (--alembic n)
    knex/NNNNNN_ID.js   knex migrations with the same n bodies (--knex n),
                        each `exports.up = knex => knex.raw('<body>')`

Uses only the standard library, so any python3 runs it.
"""

import argparse
import hashlib
import json
import os
import sys

SCHEMA = "CREATE TABLE bench_log(n INTEGER);\n"


def upgrade_body(i):
    return "INSERT INTO bench_log(n) VALUES (%d);" % i


def downgrade_body(i):
    return "DELETE FROM bench_log WHERE n = %d;" % i


def make_ids(count):
    """12 hex characters, deterministic, unique (checked)."""
    ids, seen = [], set()
    salt = 0
    for i in range(1, count + 1):
        while True:
            rid = hashlib.sha1(b"mig-bench-%d-%d" % (i, salt)).hexdigest()[:12]
            if rid not in seen:
                break
            salt += 1
        seen.add(rid)
        ids.append(rid)
    return ids


def revision_file(i, ids):
    lines = ["-- mig:revision %s" % ids[i - 1]]
    if i > 1:
        lines.append("-- mig:down_revision %s" % ids[i - 2])
    lines += [
        "-- mig:message bench step %d" % i,
        "",
        "-- mig:upgrade",
        upgrade_body(i),
        "",
        "-- mig:downgrade",
        downgrade_body(i),
        "",
    ]
    return "\n".join(lines)


def sql_literal(text):
    return "'" + text.replace("'", "''") + "'"


def write_alembic(outdir, n, ids):
    proj = os.path.join(outdir, "alembic")
    versions = os.path.join(proj, "versions")
    os.makedirs(versions)
    with open(os.path.join(proj, "alembic.ini"), "w") as f:
        f.write(
            "[alembic]\n"
            "script_location = %s\n"
            "sqlalchemy.url = sqlite:///%s\n"
            % (proj, os.path.join(outdir, "alembic.db"))
        )
    # No logging configuration: Python's last-resort handler shows only
    # warnings, so Alembic does not print one INFO line per step.
    with open(os.path.join(proj, "env.py"), "w") as f:
        f.write(
            '''import os
from alembic import context
from sqlalchemy import create_engine

engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
with engine.connect() as connection:
    if os.environ.get("BENCH_ALEMBIC_TXN", "all") == "each":
        # Alembic's own SQLite default: no transactional DDL, so every
        # revision is committed on its own.
        context.configure(connection=connection)
    else:
        # One transaction for the whole upgrade, as mig does by default.
        context.configure(connection=connection, transactional_ddl=True)
    with context.begin_transaction():
        context.run_migrations()
'''
        )
    for i in range(1, n + 1):
        rid = ids[i - 1]
        down = repr(ids[i - 2]) if i > 1 else "None"
        with open(os.path.join(versions, "%06d_%s.py" % (i, rid)), "w") as f:
            f.write(
                '''"""bench step %d

Revision ID: %s
Revises: %s
"""
from alembic import op

revision = %r
down_revision = %s
branch_labels = None
depends_on = None


def upgrade():
    op.execute(%r)


def downgrade():
    op.execute(%r)
'''
                % (i, rid, ids[i - 2] if i > 1 else "", rid, down,
                   upgrade_body(i), downgrade_body(i))
            )


def write_knex(outdir, n, ids):
    """One knex migration per revision, named so that knex's sort (by file
    name) is the chain order; the bodies run through knex.raw."""
    kdir = os.path.join(outdir, "knex")
    os.makedirs(kdir)
    for i in range(1, n + 1):
        with open(os.path.join(kdir, "%06d_%s.js" % (i, ids[i - 1])), "w") as f:
            f.write(
                "// bench step %d\n"
                "exports.up = (knex) => knex.raw(%s);\n"
                "exports.down = (knex) => knex.raw(%s);\n"
                % (i, json.dumps(upgrade_body(i)), json.dumps(downgrade_body(i)))
            )


def sizes(arg):
    return sorted({int(x) for x in arg.replace(",", " ").split() if x})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--upload", type=sizes, default=[],
                    help="sizes to write upload_<n>.sql for")
    ap.add_argument("--floor", type=sizes, default=[],
                    help="sizes to write floor_<n>.sql for")
    ap.add_argument("--revs", type=int, default=0,
                    help="write revs/*.sql for the first n revisions")
    ap.add_argument("--alembic", type=int, default=0,
                    help="write an Alembic project of this size")
    ap.add_argument("--knex", type=int, default=0,
                    help="write knex migrations (knex/*.js) for the first n revisions")
    args = ap.parse_args()

    top = max(args.upload + args.floor + [args.alembic, args.knex, args.revs, 1])
    ids = make_ids(top)
    out = args.outdir
    with open(os.path.join(out, "ids.txt"), "w") as f:
        f.write("\n".join(ids) + "\n")
    with open(os.path.join(out, "schema.sql"), "w") as f:
        f.write(SCHEMA)

    texts = [revision_file(i, ids)
             for i in range(1, max(args.upload + [args.revs, 0]) + 1)]
    if args.revs:
        revdir = os.path.join(out, "revs")
        os.makedirs(revdir)
        for i in range(1, args.revs + 1):
            name = "%06d_%s.sql" % (i, ids[i - 1])
            with open(os.path.join(revdir, name), "w") as f:
                f.write(texts[i - 1])
        # for bench/storefloor.c: file, id, down_revision, message, body
        with open(os.path.join(out, "manifest.tsv"), "w") as f:
            for i in range(1, args.revs + 1):
                f.write("%06d_%s.sql\t%s\t%s\tbench step %d\t%s\n"
                        % (i, ids[i - 1], ids[i - 1], ids[i - 2] if i > 1 else "", i, upgrade_body(i)))

    for n in args.upload:
        with open(os.path.join(out, "upload_%d.sql" % n), "w") as f:
            f.write("BEGIN;\n")
            for text in texts[:n]:
                f.write("SELECT mig_put_revision(%s);\n" % sql_literal(text))
            f.write("COMMIT;\n")

    for n in args.floor:
        with open(os.path.join(out, "floor_%d.sql" % n), "w") as f:
            f.write("BEGIN;\n")
            for i in range(1, n + 1):
                f.write(upgrade_body(i) + "\n")
            f.write("COMMIT;\n")
        # psql: statements ended by \; go to the server as one request
        with open(os.path.join(out, "floor1_%d.sql" % n), "w") as f:
            f.write("BEGIN\\;\n")
            for i in range(1, n + 1):
                f.write(upgrade_body(i)[:-1] + "\\;\n")
            f.write("COMMIT;\n")

    if args.alembic:
        write_alembic(out, args.alembic, ids)
    if args.knex:
        write_knex(out, args.knex, ids)
    return 0


if __name__ == "__main__":
    sys.exit(main())
