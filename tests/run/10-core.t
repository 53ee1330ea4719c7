#!/bin/bash
# Core unit tests: every tests/core/test_*.c is a C program that prints TAP
# itself (the Makefile builds each with core/libmigcore.a: a new file is
# picked up by both without an edit).  This wrapper runs each as a subtest
# so prove reports them in one place.  test_scenarios reads the scenario
# files tests/scenarios/*.scn; the others take no arguments.
cd "$(dirname "$0")/../.." || exit 1
srcs=(tests/core/test_*.c)
bins=("${srcs[@]%.c}")
make -s "${bins[@]}" >&2 || { echo "1..0 # SKIP build failed"; exit 1; }
echo "1..${#bins[@]}"
n=0
for t in "${bins[@]}"; do
    n=$((n + 1))
    args=()
    [ "$t" = tests/core/test_scenarios ] && args=(tests/scenarios/*.scn)
    out=$("$t" "${args[@]}" 2>&1); rc=$?
    echo "$out" | sed 's/^/    /'
    if [ $rc -eq 0 ]; then echo "ok $n - $t"; else echo "not ok $n - $t"; fi
done
