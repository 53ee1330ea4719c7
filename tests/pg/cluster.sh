#!/bin/bash
# A throwaway PostgreSQL cluster for the tests: initdb and pg_ctl as user
# postgres (when run as root) in a private directory, listening only on a
# Unix socket there.  Usage:
#
#   tests/pg/cluster.sh CMD [ARGS...]
#
# starts the cluster, creates the database migtest, runs CMD with PGHOST,
# PGPORT, PGUSER and PGDATABASE set, stops the cluster and removes it, and
# exits with CMD's status.
set -u
PGBIN=${PGBIN:-$(pg_config --bindir 2>/dev/null)}
# (libpq-dev's pg_config, without a server's: the newest server installed)
[ -x "$PGBIN/initdb" ] || PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
dir=$(mktemp -d /tmp/mig-pg.XXXXXX) || exit 1
chmod 755 "$dir"
as_pg() {
    if [ "$(id -u)" = 0 ]; then
        su postgres -s /bin/sh -c "$*"
    else
        sh -c "$*"
    fi
}
[ "$(id -u)" = 0 ] && chown postgres "$dir"
stop() {
    as_pg "'$PGBIN/pg_ctl' -D '$dir/data' -m fast -w stop" >/dev/null 2>&1
    rm -rf "$dir"
}
trap stop EXIT
if ! as_pg "'$PGBIN/initdb' -D '$dir/data' -A trust -U postgres -E UTF8 --no-sync" >"$dir.initdb.log" 2>&1; then
    cat "$dir.initdb.log" >&2
    rm -f "$dir.initdb.log"
    exit 1
fi
rm -f "$dir.initdb.log"
if ! as_pg "'$PGBIN/pg_ctl' -D '$dir/data' -l '$dir/server.log' -w -t 60 -o \"-k '$dir' -c listen_addresses='' -c port=54329 -c fsync=off -c max_connections=40\" start" >/dev/null 2>&1; then
    echo "cluster.sh: the server did not start:" >&2
    cat "$dir/server.log" >&2
    exit 1
fi
export PGHOST=$dir PGPORT=54329 PGUSER=postgres PGDATABASE=migtest
psql -q -X -d postgres -c "CREATE DATABASE migtest" >/dev/null || exit 1
"$@"
