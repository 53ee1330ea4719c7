#!/bin/sh
# The README's first command: a real migration of the sample project in
# examples/blog on a SQLite file, through the sqlite3 shell.
set -eu
cd "$(dirname "$0")/.."
db=${DEMO_DB:-examples/blog/blog.db}
rm -f "$db"
ext=./sqlite_ext/mig
run() { echo; echo "sqlite> $1"; printf '.load %s\n.headers on\n.mode column\n%s\n' "$ext" "$1" | sqlite3 -bail "$db"; }

echo "== mig demo: examples/blog/versions -> $db"
uploads=""
for f in examples/blog/versions/*.sql; do
    uploads="$uploads SELECT mig_put_revision(readfile('$f')) AS uploaded;"
done
run "BEGIN; $uploads COMMIT;"
run "SELECT mig_heads() AS heads, mig_current() AS current;"
run "SELECT * FROM mig_plan('upgrade', 'head', '{\"x\": {\"seed\": \"1\"}}');"
run "SELECT mig_upgrade('head', '{\"x\": {\"seed\": \"1\"}}') AS now_at;"
run "SELECT u.email, p.title FROM posts p JOIN users u ON u.id = p.user_id;"
run "SELECT mig_downgrade('-1') AS now_at;"
run "SELECT mig_upgrade('head') AS now_at, mig_check() AS at_head;"
run "SELECT id, revision, direction, duration_ms FROM mig_history ORDER BY id;"
run "SELECT name, sql FROM sqlite_master WHERE tbl_name = 'posts';"
echo
echo "== done: open it with  sqlite3 $db  and  .load $ext"
