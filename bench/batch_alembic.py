#!/usr/bin/python3
"""The Alembic side of bench/batch.sh: one batch_alter_table on table foo.

    batch_alembic.py DB rename    alter_column('bar', new_column_name='bar2')
    batch_alembic.py DB drop      drop_column('qux')
    batch_alembic.py DB import    only the imports (the fixed cost of a run)

Drives alembic.operations through a MigrationContext on the SQLite file DB,
as an env.py would, without a project or an alembic_version table. On
SQLite, batch mode's default recreate="auto" recreates the table for both
operations (it only does create_index / drop_index and plain add_column
natively): CREATE TABLE _alembic_tmp_foo, INSERT ... SELECT, DROP TABLE foo,
ALTER TABLE ... RENAME TO foo, CREATE INDEX for each reflected index. The
whole run is one engine.begin() block, committed at its end.

Needs Alembic and SQLAlchemy: Debian 12's /usr/bin/python3 has Alembic 1.8.1
and SQLAlchemy 1.4.
"""

import sys

from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import create_engine


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in ("rename", "drop", "import"):
        sys.exit("usage: batch_alembic.py DB rename|drop|import")
    db, what = sys.argv[1], sys.argv[2]
    if what == "import":
        return
    engine = create_engine("sqlite:///" + db)
    with engine.begin() as conn:
        op = Operations(MigrationContext.configure(conn))
        with op.batch_alter_table("foo") as batch:
            if what == "rename":
                batch.alter_column("bar", new_column_name="bar2")
            else:
                batch.drop_column("qux")
    engine.dispose()


if __name__ == "__main__":
    main()
