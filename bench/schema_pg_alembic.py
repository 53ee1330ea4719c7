#!/usr/bin/env python3
"""bench/schema_pg_alembic.py MODELS_URL DB_URL REPEAT SCHEMA... | import

Alembic's autogenerate compare on PostgreSQL, the reference of
bench/schema_pg.sh: MetaData.reflect() of the database at MODELS_URL (B,
the desired schema: it stands for the models of an env.py's
target_metadata), one reflect per SCHEMA, then
alembic.autogenerate.compare_metadata(MigrationContext.configure(conn),
metadata) on a connection to DB_URL (A), which reflects A's tables again and
compares them with the models; compare_type and compare_server_default on,
include_schemas on, and an include_name hook keeping the SCHEMAs only (so
the extension's schema mig and public are left out).  String columns of
the models get the server_default a model declares ("abc") instead of the
reflected text ('abc'::bpchar), which Alembic 1.8.1 cannot compare (its
SELECT fails).  Alembic compares
tables, columns, indexes, unique constraints and foreign keys: not views,
triggers, functions, sequences or CHECK constraints.

Each repetition gets new engines (nothing cached from the previous one) and
is timed with time.perf_counter() (wall) and time.process_time() (CPU of
this process) around reflect + compare.  One line on stdout, the run with
the lowest wall time:

    wall_ms=.. cpu_ms=.. reflect_wall_ms=.. reflect_cpu_ms=.. diffs=..
    tables=.. rss_kb=.. kinds=add_column:10,add_index:5,...

Warnings (SQLAlchemy skips expression indexes it cannot reflect) are
silenced.  SCHEMA_PG_ALEMBIC_VERBOSE=1 prints the diffs of the last run on
stderr.  Needs Alembic, SQLAlchemy and psycopg2 (Debian 12's
/usr/bin/python3: Alembic 1.8.1, SQLAlchemy 1.4, python3-psycopg2).
"""

import os
import re
import resource
import sys
import time
import warnings

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, create_engine
from sqlalchemy.schema import DefaultClause
from sqlalchemy.sql import sqltypes

CAST_LITERAL = re.compile(r"^'((?:[^']|'')*)'::[a-z ]+$")


def as_declared(metadata):
    """Give string columns the server_default a model declares ("abc"), not
    the reflected text ('abc'::bpchar): Alembic 1.8.1 renders a reflected
    one for comparison as "abc'::bpchar" and its SELECT fails."""
    for t in metadata.tables.values():
        for c in t.columns:
            d = c.server_default
            if (isinstance(d, DefaultClause) and c.type._type_affinity is sqltypes.String
                    and not isinstance(d.arg, str)):
                m = CAST_LITERAL.match(str(d.arg.text))
                if m:
                    c.server_default = DefaultClause(m.group(1).replace("''", "'"))


def flat(diffs):
    # compare_metadata returns a list whose modify_* entries are lists themselves
    for d in diffs:
        if isinstance(d, list):
            for x in d:
                yield x
        else:
            yield d


def main():
    if sys.argv[1:] == ["import"]:
        import psycopg2  # noqa: F401  (the driver is part of the start-up cost)
        return
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    models_url, db_url, reps, schemas = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
    warnings.simplefilter("ignore")

    def include_name(name, type_, parent_names):
        if type_ == "schema":
            return name in schemas
        return True

    best = None
    for _ in range(reps):
        w0, c0 = time.perf_counter(), time.process_time()
        e_models = create_engine(models_url)
        metadata = MetaData()
        with e_models.connect() as conn:
            for s in schemas:
                metadata.reflect(bind=conn, schema=s)
        as_declared(metadata)
        w1, c1 = time.perf_counter(), time.process_time()
        e_db = create_engine(db_url)
        with e_db.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={
                "compare_type": True,
                "compare_server_default": True,
                "include_schemas": True,
                "include_name": include_name,
            })
            diffs = list(flat(compare_metadata(ctx, metadata)))
        w2, c2 = time.perf_counter(), time.process_time()
        e_models.dispose()
        e_db.dispose()
        run = dict(wall_ms=(w2 - w0) * 1000, cpu_ms=(c2 - c0) * 1000,
                   reflect_wall_ms=(w1 - w0) * 1000, reflect_cpu_ms=(c1 - c0) * 1000,
                   diffs=diffs)
        if best is None or run["wall_ms"] < best["wall_ms"]:
            best = run
    kinds = {}
    for d in best["diffs"]:
        kinds[d[0]] = kinds.get(d[0], 0) + 1
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print("wall_ms=%.1f cpu_ms=%.1f reflect_wall_ms=%.1f reflect_cpu_ms=%.1f diffs=%d tables=%d rss_kb=%d kinds=%s"
          % (best["wall_ms"], best["cpu_ms"], best["reflect_wall_ms"], best["reflect_cpu_ms"],
             len(best["diffs"]), len(metadata.tables), rss,
             ",".join("%s:%d" % kv for kv in sorted(kinds.items())) or "-"))
    if os.environ.get("SCHEMA_PG_ALEMBIC_VERBOSE"):
        for d in best["diffs"]:
            print(d, file=sys.stderr)


if __name__ == "__main__":
    main()
