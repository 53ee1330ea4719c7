# bench/lib.sh — the helpers every benchmark script shares (sourced).
# fail reads $W/out and $W/err, the last measured command's output.

# die MESSAGE: a setup error, exit 1
die() { echo "${0##*/}: $*" >&2; exit 1; }
# progress MESSAGE: a line on stderr, with the seconds since the start
progress() { echo "  .. [${SECONDS}s] $*" >&2; }
# calc EXPR: awk arithmetic
calc() { awk "BEGIN { printf \"%.12g\", $* }"; }
# is_int X: a positive integer
is_int() { [[ $1 =~ ^[1-9][0-9]*$ ]]; }
# wall_us: the wall clock in microseconds, in WALL_US
wall_us() { local t=${EPOCHREALTIME:-}; [ -n "$t" ] || t=$(date +%s.%N | cut -c1-17); WALL_US=${t/[.,]/}; }
# fail LABEL: report the failed phase with the tail of its output, exit 1
fail() {
    {
        echo "${0##*/}: FAILED: $1"
        [ -s "$W/err" ] && sed 's/^/  stderr: /' "$W/err" | tail -n 15
        [ -s "$W/out" ] && tail -c 2000 "$W/out" | tail -n 5 | sed 's/^/  stdout: /'
        echo "  (KEEP=1 keeps the generated files for a look)"
    } >&2
    exit 1
}
# fmin OLD NEW: the smaller (OLD may be empty)
fmin() { if [ -z "$1" ]; then echo "$2"; else calc "($1 < $2) ? $1 : $2"; fi; }
# thou 100000: 100,000
thou() { printf '%s' "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }
# cpu_ms: the CPU time (user + system) of this shell's finished children, ms,
# in CPU_MS; read without forking (the times builtin, 1 ms resolution);
# $W/times is its scratch file
cpu_ms() {
    local u s x y
    times >"$W/times"
    { read -r _ _; read -r u s; } <"$W/times"   # line 2: children, e.g. 1m2.345s
    CPU_MS=0
    for x in "$u" "$s"; do
        y=${x#*m}; y=${y%s}; y=${y/[.,]/}
        CPU_MS=$(( CPU_MS + 10#${x%%m*} * 60000 + 10#$y ))
    done
}
# srv_ms: the CPU of a PostgreSQL server's finished backends, ms, in SRV_MS:
# the postmaster's cutime + cstime (it adds each child it reaps), read once
# its children are back to BASE_CHILDREN (the last backend reaped; the
# server should run with autovacuum off, so nothing else comes and goes).
# PM is the postmaster's pid (none: SRV_MS=0), TICK_MS the ms of a clock tick.
srv_ms() {
    local i
    SRV_MS=0
    [ -n "${PM:-}" ] || return 0
    for ((i = 0; i < 500; i++)); do
        [ "$(ps --ppid "$PM" --no-headers | wc -l)" -le "$BASE_CHILDREN" ] && break
        sleep 0.01
    done
    SRV_MS=$(awk -v t="$TICK_MS" '{ sub(/.*\) /, ""); print ($14 + $15) * t }' "/proc/$PM/stat")
}
