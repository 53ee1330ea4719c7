#!/usr/bin/python3
"""Write the Alembic project of bench/pg_chain.sh: a chain of N revisions.

    pg_alembic.py OUTDIR N URL

Revision i (1-based) has id r%06d (the ids of pg_chain.sh's mig chain),
down_revision the previous one, and the same bodies as the mig revisions:

    upgrade:   op.execute("INSERT INTO bench_log (n) VALUES (i);")
    downgrade: op.execute("DELETE FROM bench_log WHERE n = i;")

Written into OUTDIR: alembic.ini (script_location OUTDIR, sqlalchemy.url
URL), env.py (online mode only, no logging configuration, so Alembic does
not print a line per step; Alembic's PostgreSQL defaults: transactional DDL,
the whole upgrade in one transaction, as mig_upgrade), versions/*.py.
Uses only the standard library.
"""

import os
import sys

ENV_PY = '''from alembic import context
from sqlalchemy import create_engine

engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
with engine.connect() as connection:
    # PostgreSQL is transactional_ddl in Alembic and transaction_per_migration
    # is off by default: the whole upgrade is one transaction, as mig_upgrade.
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
'''

SCRIPT = '''"""bench step %(i)d

Revision ID: %(rev)s
Revises: %(down_doc)s
"""
from alembic import op

revision = %(rev)r
down_revision = %(down)s
branch_labels = None
depends_on = None


def upgrade():
    op.execute(%(up)r)


def downgrade():
    op.execute(%(dn)r)
'''


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: pg_alembic.py OUTDIR N URL")
    outdir, n, url = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    versions = os.path.join(outdir, "versions")
    os.makedirs(versions, exist_ok=True)
    with open(os.path.join(outdir, "alembic.ini"), "w") as f:
        # '%' is interpolated by configparser: double it
        f.write("[alembic]\nscript_location = %s\nsqlalchemy.url = %s\n"
                % (outdir, url.replace("%", "%%")))
    with open(os.path.join(outdir, "env.py"), "w") as f:
        f.write(ENV_PY)
    for i in range(1, n + 1):
        rev = "r%06d" % i
        down = "r%06d" % (i - 1) if i > 1 else None
        with open(os.path.join(versions, "%s_.py" % rev), "w") as f:
            f.write(SCRIPT % {
                "i": i, "rev": rev, "down_doc": down or "", "down": repr(down),
                "up": "INSERT INTO bench_log (n) VALUES (%d);" % i,
                "dn": "DELETE FROM bench_log WHERE n = %d;" % i,
            })


if __name__ == "__main__":
    main()
