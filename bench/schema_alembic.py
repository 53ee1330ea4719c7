#!/usr/bin/python3
"""The Alembic side of bench/schema.sh: autogenerate's compare on SQLite files.

    schema_alembic.py DESIRED_DB DB REPEAT     reflect + compare, REPEAT times
    schema_alembic.py import                    only the imports (the fixed cost of a run)

What `alembic revision --autogenerate` does with an env.py whose
target_metadata describes DESIRED_DB: the models here are the tables of
DESIRED_DB, reflected into a fresh MetaData (MetaData.reflect: every table,
its columns, primary key, foreign keys, indexes, unique and check
constraints), then alembic.autogenerate.compare_metadata(
MigrationContext.configure(conn), metadata) on a connection to DB, which
reflects DB's tables again and compares them with the models. compare_type
and compare_server_default are on (mig compares types and defaults too).
Alembic does not compare views or CHECK constraints.

Each repetition is timed with time.process_time() (CPU of this process)
around reflect + compare, with a new engine, so nothing is cached from the
previous one. One line is printed on stdout:

    best_ms=<lowest reflect+compare> reflect_ms=<its reflect part> diffs=<number of diffs>
    tables=<tables reflected> rss_kb=<peak RSS of the process>

Warnings (SQLAlchemy skips expression indexes it cannot reflect) are
silenced. SCHEMA_ALEMBIC_VERBOSE=1 prints the diffs of the last run on
stderr. Needs Alembic and SQLAlchemy: Debian 12's /usr/bin/python3 has
Alembic 1.8.1 and SQLAlchemy 1.4.
"""

import os
import resource
import sys
import time
import warnings

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, create_engine


def count(diffs):
    # compare_metadata returns a list whose modify_* entries are lists themselves
    return sum(len(d) if isinstance(d, list) else 1 for d in diffs)


def main():
    if sys.argv[1:] == ["import"]:
        return
    if len(sys.argv) != 4:
        sys.exit("usage: schema_alembic.py DESIRED_DB DB REPEAT | import")
    desired, db, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
    warnings.simplefilter("ignore")
    best = None
    for _ in range(reps):
        t0 = time.process_time()
        e_models = create_engine("sqlite:///" + desired)
        metadata = MetaData()
        with e_models.connect() as conn:
            metadata.reflect(bind=conn)
        t1 = time.process_time()
        e_db = create_engine("sqlite:///" + db)
        with e_db.connect() as conn:
            ctx = MigrationContext.configure(
                conn, opts={"compare_type": True})
            diffs = compare_metadata(ctx, metadata)
        t2 = time.process_time()
        e_models.dispose()
        e_db.dispose()
        run = ((t2 - t0) * 1000, (t1 - t0) * 1000, count(diffs))
        if best is None or run[0] < best[0]:
            best = run
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print("best_ms=%.1f reflect_ms=%.1f diffs=%d tables=%d rss_kb=%d"
          % (best[0], best[1], best[2], len(metadata.tables), rss))
    if os.environ.get("SCHEMA_ALEMBIC_VERBOSE"):
        for d in diffs:
            print(d, file=sys.stderr)


if __name__ == "__main__":
    main()
