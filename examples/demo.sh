#!/bin/sh
# The README's first command (`make demo`): the mig client migrates the
# sample project examples/blog (mig.ini + versions/) on a fresh SQLite file,
# then shows a little of the data with the sqlite3 shell.  Any failure stops
# the demo with a non-zero exit status.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
mig=$top/client/mig
[ -x "$mig" ] || { echo "demo: $mig is not built; run make demo (or make all) first" >&2; exit 1; }
cd "$top/examples/blog"
rm -f blog.db blog.db-journal blog.db-wal blog.db-shm

step() { echo; echo "\$ $*"; "$@"; }
# mig is called as `mig` in what the demo prints
mig() { "$mig" "$@"; }
sql() { echo; echo "\$ sqlite3 blog.db \"$1\""; sqlite3 -bail -header -column blog.db "$1"; }

echo "== mig demo: examples/blog (mig.ini, versions/) -> examples/blog/blog.db"
step mig upgrade head -x seed=1     # -x seed=1: 27c6a30d7c24's `if seed` section adds sample rows
step mig history --indicate-current
step mig current
step mig check
sql "SELECT u.email, p.title, p.published FROM posts p JOIN users u ON u.id = p.user_id ORDER BY p.id;"
sql "SELECT name, type FROM sqlite_master WHERE tbl_name = 'posts' ORDER BY name;"
sql "SELECT revision, direction, duration_ms FROM mig_history ORDER BY id;"
echo
echo "== done: examples/blog/blog.db is at head; try  cd examples/blog && ../../client/mig downgrade -1"
