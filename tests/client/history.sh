#!/bin/bash
# `mig history -r RANGE` against Alembic 1.8.1's `alembic history -r RANGE`
# (TAP; tests/run/73-client-history.t).
#
# 1. report: a small branched graph written by hand, with the expected lines
#    (no Alembic needed): START: lists START's descendants only, no sibling
#    branch nor other root, and START itself when its only child is a
#    depends_on child (there Alembic 1.8.1 stops with an AssertionError; the
#    other expectations are Alembic's output).
# 2. alembic: random branched graphs (several roots, branch points, merges,
#    branch labels, depends_on on ids and labels) from a fixed list of seeds,
#    written both as an Alembic project (`alembic init`, one versions/ID_m.py
#    per revision) and as a mig project with the same ids; for each graph,
#    many ranges (START:, START:heads, :END, START:END, base:END, labels,
#    prefixes, current: and -i after upgrading both SQLite databases to the
#    same revisions) go through alembic.command.history in one Python process
#    and through client/mig; the sequence of revision ids, with their
#    (head), (effective head), (current), (branchpoint) and (mergepoint)
#    marks, must be the same, and where Alembic fails mig must fail too.
#    Where Alembic 1.8.1 is wrong (docs/client.md, "How mig differs from
#    Alembic") the expectation is mig's documented behaviour, and the
#    diagnostics count those ranges.
#
# HISTORY_SEEDS=1,2,3 picks the graphs (default: seeds 1-25);
# ALEMBIC_PYTHON is the interpreter that has Alembic 1.8 (default
# /usr/bin/python3, Debian's python3-alembic). SECTIONS="report" runs a subset.
. "$(dirname "$0")/lib.sh"
client_setup

ALL_SECTIONS="report alembic"
PY=${ALEMBIC_PYTHON:-/usr/bin/python3}
SEEDS=${HISTORY_SEEDS:-$(seq -s, 1 25)}

# marks TEXT: MARKS = the history lines as words
# ID[+head][+effective_head][+current][+branchpoint][+mergepoint] (no subshell:
# this runs thousands of times)
marks() {
    local line w f
    MARKS=""
    while IFS= read -r line; do
        [ -n "$line" ] || continue
        if [[ $line =~ \ -\>\ ([A-Za-z0-9_]+) ]]; then
            w=${BASH_REMATCH[1]}
            for f in head "effective head" current branchpoint mergepoint; do
                [[ $line == *"($f)"* ]] && w+="+${f// /_}"
            done
        else
            w="?$line"
        fi
        MARKS+="${MARKS:+ }$w"
    done <<<"$1"
}

# mark ARGS...: run mig like lib.sh's m, without its extra processes (sets OUT,
# ERR, ERR1, RC), then marks "$OUT"
mark() {
    _mig_runs=$((_mig_runs + 1))
    "${MIGCMD[@]}" "$@" >"$T/.mig.out" 2>"$T/.mig.err" </dev/null
    RC=$?
    OUT="" ERR=""
    IFS= read -r -d '' OUT <"$T/.mig.out"
    IFS= read -r -d '' ERR <"$T/.mig.err"
    ERR1=${ERR%%$'\n'*}
    [ -n "$MIG_CHECKER" ] && _check_reports "$@"
    marks "$OUT"
}

# ---- 1. the report's graph, by hand ------------------------------------------------------
#   a1 -> a2 -> a3            a2 is a branch point, a3 a head
#          \--> b3            b3: its only child is c2, through depends_on
#   c1 (lib) -> c2            another root; c2 depends on b3
t_report() {
    project report
    rev_file versions/a1_m.sql a1 "" ""
    rev_file versions/a2_m.sql a2 a1 ""
    rev_file versions/a3_m.sql a3 a2 ""
    rev_file versions/b3_m.sql b3 a2 ""
    rev_file versions/c1_m.sql c1 "" "" "" "-- mig:branch_labels lib"
    rev_file versions/c2_m.sql c2 c1 "" "" "-- mig:depends_on b3"
    local r want
    while IFS='|' read -r r want; do
        mark history -r "$r"
        is "$RC $MARKS" "0 $want" "history -r $r: $want"
    done <<'EOF'
a2:|a3+head b3+effective_head a2+branchpoint
a2:heads|a3+head b3+effective_head a2+branchpoint
b3:|b3+effective_head
b3:heads|b3+effective_head
b3:c2|b3+effective_head
a1:a3|a3+head a2+branchpoint a1
:c2|c2+head c1 b3+effective_head a2+branchpoint a1
base:b3|b3+effective_head a2+branchpoint a1
c1:|c2+head c1
lib@base:|c2+head c1 b3+effective_head a2+branchpoint a1
heads:|a3+head c2+head
EOF
    mark history
    is "$MARKS" "a3+head c2+head c1 b3+effective_head a2+branchpoint a1" "history: every revision, Alembic's order"
    m history -r a3:c2
    is_rc 1 "history -r a3:c2: exit 1 (a3 is not below c2)"
    like "$ERR1" "^mig: history -r a3:c2: Requested range a3:c2 does not refer to ancestor/descendant revisions" \
        "history -r a3:c2: Alembic's message"
    m history -r nosuch:
    is_rc 1 "history -r nosuch:: exit 1"
    like "$ERR1" "^mig: history -r nosuch:: Can't locate revision identified by 'nosuch'" "history -r nosuch:: names it"

    m history -r :current
    is "$RC|$OUT" "0|" "history -r :current at base: nothing (Alembic 1.8.1 lists everything)"
    mark history -r current:
    is "$RC $MARKS" "0 a3+head c2+head c1 b3+effective_head a2+branchpoint a1" "history -r current: at base: everything"
    m upgrade b3
    is_rc 0 "upgrade b3"
    mark history --indicate-current -r current:
    is "$RC $MARKS" "0 b3+effective_head+current" "history --indicate-current -r current: at b3: b3 (current) only"
    mark history -r :current
    is "$RC $MARKS" "0 b3+effective_head a2+branchpoint a1" "history -r :current at b3: b3 and below"
    m upgrade c1
    mark history --indicate-current -r current:
    is "$RC $MARKS" "0 c2+head c1+current b3+effective_head+current" \
        "history --indicate-current -r current: at b3 and c1: both and what is above them"
    mark history --indicate-current
    is "$RC $MARKS" "0 a3+head c2+head c1+current b3+effective_head+current a2+branchpoint a1" \
        "history --indicate-current: marks both"
    m --json history -r a2:
    is "$(jq_ "$OUT" 'join(",", map { $_->{revision} } @{$j->{history}})')" "a3,b3,a2" "history --json -r a2:: the same revisions"
}

# ---- 2. random graphs against Alembic itself ------------------------------------------------
t_alembic() {
    if ! "$PY" -c 'import sys, alembic, sqlalchemy; sys.exit(not alembic.__version__.startswith("1.8."))' 2>/dev/null; then
        pass "# SKIP Alembic 1.8 is not installed for $PY (Debian: apt-get install python3-alembic python3-sqlalchemy)"
        return
    fi
    mkdir -p "$T/alembic" && cd "$T/alembic" || bail "cd $T/alembic"
    cat >alembic_history.py <<'PYEOF'
"""Write random revision graphs as Alembic and mig projects and print what
alembic.command.history shows for many ranges, one line each:
  G|gid|description of the graph
  U|gid|target|the version rows after `alembic upgrade target`
  H|gid|flags|range|ok-or-error|note|ids with marks, or Alembic's message
note: why the expectation is not Alembic 1.8.1's own answer (empty: it is)."""
import contextlib
import io
import logging
import os
import random
import re
import sys
import traceback
import warnings

sys.dont_write_bytecode = True
import sqlalchemy as sa  # noqa: E402
from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
import alembic.script.base as script_base  # noqa: E402
from alembic.script.base import Script  # noqa: E402
from alembic.script.revision import RevisionMap  # noqa: E402

# Alembic lists the versions folder with os.listdir() (arbitrary order): the
# file name order, which is mig's load order, breaks ties as in mig.
Script._list_py_dir = classmethod(lambda cls, scriptdir, path: sorted(os.listdir(path)))

# Each command reads the revision files again: load each one once.
_load = script_base.util.load_python_file
_loaded = {}


def _load_once(dir_, filename):
    if not dir_.endswith("alembic_versions"):
        return _load(dir_, filename)
    key = os.path.join(dir_, filename)
    if key not in _loaded:
        _loaded[key] = _load(dir_, filename)
    return _loaded[key]


script_base.util.load_python_file = _load_once


# Several depends_on: Alembic keeps them in a set (Python's hash order), mig
# in declared order; the same patch as tests/scenarios/alembic_check.py.
def _ordered_normalize_depends_on(self, revisions, map_):
    for revision in revisions:
        if revision._resolved_dependencies:
            keep = set(revision._resolved_dependencies)
            for rev in self._get_ancestor_nodes([revision], include_dependencies=False, map_=map_):
                if rev is not revision and rev._resolved_dependencies:
                    keep.difference_update(rev._resolved_dependencies)
            revision._normalized_resolved_dependencies = tuple(
                d for d in revision._resolved_dependencies if d in keep)
        else:
            revision._normalized_resolved_dependencies = ()


RevisionMap._normalize_depends_on = _ordered_normalize_depends_on

# Alembic 1.8.1's _topological_sort starts from the END revisions in the range
# only and asserts it reached every revision of the range: it fails when part
# of the range is not below them within the range (START whose only child is
# a depends_on child outside the range).  _fixed_sort also starts from the
# tops of such parts, in load order, which is what mig does.
_orig_sort = RevisionMap._topological_sort


def _fixed_sort(self, revisions, heads):
    todo = {r.revision for r in revisions}
    m = self._revision_map
    stack = [h.revision for h in heads if h.revision in todo]
    reach = set()
    while stack:
        x = stack.pop()
        if x not in reach:
            reach.add(x)
            stack.extend(d for d in m[x]._normalized_down_revisions if d in todo)
    below = {d for t in todo for d in m[t]._normalized_down_revisions}
    extra = [m[t] for t in todo if t not in reach and t not in below]
    return _orig_sort(self, revisions, list(heads) + extra)


PY = '''"""m %(id)s"""
revision = %(id)r
down_revision = %(down)s
branch_labels = %(labels)s
depends_on = %(deps)s


def upgrade():
    pass


def downgrade():
    pass
'''


def tup(xs):
    return "None" if not xs else repr(xs[0]) if len(xs) == 1 else repr(tuple(xs))


def gen_graph(rng):
    """4-13 revisions (one graph in five: 14-30), each on earlier ones:
    roots, children of heads or of any revision (branch points), merges of
    2-3 heads, labels, depends_on (ids or labels, sometimes two).  Ids are
    random, so the load order is not the creation order."""
    revs, ids, children = [], set(), {}
    nlabel = 0
    for i in range(rng.randint(4, 13) if rng.random() < 0.8 else rng.randint(14, 30)):
        while True:
            rid = rng.choice("abcdef") + "".join(rng.choice("0123456789abcdef") for _ in range(5))
            if not any(x[:4] == rid[:4] for x in ids):
                break
        ids.add(rid)
        heads = [r["id"] for r in revs if not children.get(r["id"])]
        x = rng.random()
        if i == 0 or x < 0.12:
            down = []
        elif x < 0.3 and len(heads) >= 2:
            down = rng.sample(heads, 3 if len(heads) >= 3 and rng.random() < 0.25 else 2)
        elif rng.random() < 0.6:
            down = [rng.choice(heads)]
        else:
            down = [rng.choice(revs)["id"]]
        labels = []
        if rng.random() < 0.2:
            nlabel += 1
            labels = ["br%d" % nlabel]
        deps = []
        if revs and rng.random() < 0.3:
            cands = [r for r in revs if r["id"] not in down]
            for r in rng.sample(cands, min(2 if rng.random() < 0.2 else 1, len(cands))):
                deps.append(r["labels"][0] if r["labels"] and rng.random() < 0.5 else r["id"])
        for d in down:
            children.setdefault(d, []).append(rid)
        revs.append(dict(id=rid, down=down, labels=labels, deps=deps))
    return revs


def ancestors(revs, rid):
    by = {r["id"]: r for r in revs}
    lab = {l: r["id"] for r in revs for l in r["labels"]}
    seen, todo = set(), [rid]
    while todo:
        x = todo.pop()
        if x not in seen:
            seen.add(x)
            todo.extend(by[x]["down"])
            todo.extend(lab.get(d, d) for d in by[x]["deps"])
    return seen


def ranges(rng, revs):
    ids = [r["id"] for r in revs]
    rs = [None, "base:heads", ":", "heads:", "head:", ":head", "base:base"]
    for i, s in enumerate(rng.sample(ids, min(6, len(ids)))):
        rs.append(s + (":" if i % 3 else ":heads"))
    for i, e in enumerate(rng.sample(ids, min(4, len(ids)))):
        rs.append(("base:" if i == 3 else ":") + e)
    for _ in range(8):
        e = rng.choice(ids)
        s = rng.choice(sorted(ancestors(revs, e)) if rng.random() < 0.6 else ids)
        rs.append(s + ":" + e)
    for l in [l for r in revs for l in r["labels"]][:1]:
        rs += [l + ":", ":" + l, l + ":heads", ":%s@head" % l, "%s@base:" % l, "%s@head:" % l]
    rs += [rng.choice(ids)[:4] + ":", ":" + rng.choice(ids)[:5]]
    # relative ENDs: from a revision, or from START (up past a head: stops there)
    rs += [":%s-1" % rng.choice([r["id"] for r in revs if r["down"]] or ids), "%s:+1" % rng.choice(ids),
           ":%s+2" % rng.choice(ids)]
    return rs


def marks(text):
    res = []
    for line in text.splitlines():
        m = re.search(r" -> (\w+)", line)
        if not m:
            res.append("?" + line)
            continue
        res.append(m.group(1) + "".join("+" + f[1:-1].replace(" ", "_") for f in re.findall(
            r"\((?:head|effective head|current|branchpoint|mergepoint)\)", line)))
    return " ".join(res)


def message(e):
    return re.sub(r"\s+", " ", "%s: %s" % (type(e).__name__, e))


sort_crash = [False]


def run_history(cfg, flags, r):
    cfg.stdout = buf = io.StringIO()
    sort_crash[0] = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            command.history(cfg, rev_range=r, indicate_current="-i" in flags)
    except Exception as e:
        sort_crash[0] = traceback.extract_tb(e.__traceback__)[-1].name == "_topological_sort"
        return "error", message(e)
    return "ok", marks(buf.getvalue())


def history(cfg, flags, r, at_base):
    status, res = run_history(cfg, flags, r)
    note = ""
    if status == "error" and res.startswith("AssertionError") and sort_crash[0]:
        RevisionMap._topological_sort = _fixed_sort
        try:
            status, res = run_history(cfg, flags, r)
        finally:
            RevisionMap._topological_sort = _orig_sort
        note = "Alembic 1.8.1 fails with an AssertionError in _topological_sort"
    elif at_base and r is not None and r.split(":")[1] == "current":
        status, res = "ok", ""
        note = "at base, Alembic 1.8.1 takes END=current for heads and lists everything"
    return "%s|%s|%s" % (status, note, res)


def version_rows(url, put=None):
    """The rows of alembic_version, sorted; with put, write those first."""
    eng = sa.create_engine(url)
    with eng.begin() as c:
        c.exec_driver_sql("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL, "
                          "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))")
        if put is not None:
            c.exec_driver_sql("DELETE FROM alembic_version")
            for v in put:
                c.exec_driver_sql("INSERT INTO alembic_version VALUES (?)", (v,))
        rows = sorted(x[0] for x in c.exec_driver_sql("SELECT version_num FROM alembic_version"))
    eng.dispose()
    return rows


def main():
    tmp, seeds, out = sys.argv[1], sys.argv[2].split(","), sys.stdout
    logging.disable(logging.CRITICAL)
    ini = os.path.join(tmp, "alembic.ini")
    cfg0 = Config(ini, stdout=io.StringIO())
    with contextlib.redirect_stdout(io.StringIO()):
        command.init(cfg0, os.path.join(tmp, "project"), template="generic")
    for seed in seeds:
        rng = random.Random(int(seed))
        revs = gen_graph(rng)
        gid = "g" + seed
        gdir = os.path.join(tmp, gid)
        av, mv = os.path.join(gdir, "alembic_versions"), os.path.join(gdir, "versions")
        os.makedirs(av)
        os.makedirs(mv)
        with open(os.path.join(gdir, "mig.ini"), "w") as f:
            f.write("[mig]\nurl = sqlite:mig.db\nversions = versions\n")
        for r in revs:
            with open(os.path.join(av, r["id"] + "_m.py"), "w") as f:
                f.write(PY % dict(id=r["id"], down=tup(r["down"]), labels=tup(r["labels"]), deps=tup(r["deps"])))
            with open(os.path.join(mv, r["id"] + "_m.sql"), "w") as f:
                f.write("-- mig:revision %s\n" % r["id"])
                for key, v in (("down_revision", r["down"]), ("branch_labels", r["labels"]),
                               ("depends_on", r["deps"])):
                    if v:
                        f.write("-- mig:%s %s\n" % (key, ", ".join(v)))
                f.write("-- mig:message m %s\n\n-- mig:upgrade\n\n-- mig:downgrade\n" % r["id"])
        cfg = Config(ini, stdout=io.StringIO())
        cfg.set_main_option("script_location", os.path.join(tmp, "project"))
        cfg.set_main_option("version_path_separator", "os")
        cfg.set_main_option("version_locations", av)
        url = "sqlite:///" + os.path.join(gdir, "alembic.db")
        cfg.set_main_option("sqlalchemy.url", url)
        out.write("G|%s|%s\n" % (gid, " ".join("%s<%s>%s%s" % (
            r["id"], ",".join(r["down"]), "[%s]" % ",".join(r["labels"]) if r["labels"] else "",
            "{%s}" % ",".join(r["deps"]) if r["deps"] else "") for r in revs)))
        for r in ranges(rng, revs):
            out.write("H|%s||%s|%s\n" % (gid, r if r is not None else "", history(cfg, "", r, False)))
        ids = [r["id"] for r in revs]
        for state in range(3):
            if state:
                # Alembic 1.8.1 fails on some upgrades (a KeyError, seen with
                # a branch label in depends_on): then another target
                before = version_rows(url)
                for _ in range(6):
                    up = rng.choice(ids)
                    try:
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")
                            command.upgrade(cfg, up)
                        break
                    except Exception:
                        version_rows(url, before)
                else:
                    continue
                cur = version_rows(url)
                out.write("U|%s|%s|%s\n" % (gid, up, " ".join(cur)))
            for flags, r in [("", "current:"), ("", ":current"), ("-i", None), ("-i", rng.choice(ids) + ":"),
                             ("-i", "current:heads"), ("", "current:" + rng.choice(ids))]:
                out.write("H|%s|%s|%s|%s\n" % (gid, flags, r if r is not None else "",
                                               history(cfg, flags, r, state == 0)))
            out.flush()
    out.write("E|end\n")


main()
PYEOF
    local kind gid a b status note rest cur desc ended=0
    local graph="" ngraphs=0 nranges=0 ndiverge=0 nerr=0 bad="" n=0 args
    # one assertion per graph: every range of it as Alembic
    flush_graph() {
        [ -n "$graph" ] || return 0
        if [ -z "$bad" ]; then
            pass "$graph: $n ranges list what Alembic lists, in Alembic's order"
        else
            fail "$graph: $n ranges list what Alembic lists, in Alembic's order" "$(printf 'graph: %s\n%s' "$desc" "$bad")"
        fi
        bad="" n=0
    }
    while IFS='|' read -r kind gid a b status note rest; do
        case $kind in
        G)
            flush_graph
            graph=$gid desc=$a
            ngraphs=$((ngraphs + 1))
            cd "$T/alembic/$gid" || bail "cd $T/alembic/$gid"
            ;;
        U)
            # the same upgrade as Alembic's, to the same version rows
            m upgrade "$a"
            m current
            cur=$(awk '{print $1}' <<<"$OUT" | LC_ALL=C sort | paste -sd ' ')
            if [ "$cur" != "$b" ]; then
                bad+="mig upgrade $a: at '$cur' where Alembic is at '$b' ($ERR); stamped there"$'\n'
                # shellcheck disable=SC2086
                m stamp --purge $b
            fi
            ;;
        E) ended=1 ;;
        H)
            n=$((n + 1))
            nranges=$((nranges + 1))
            args=(history)
            [ "$a" = -i ] && args+=(--indicate-current)
            [ -n "$b" ] && args+=(-r "$b")
            mark "${args[@]}"
            [ -n "$note" ] && ndiverge=$((ndiverge + 1))
            if [ "$status" = error ]; then
                nerr=$((nerr + 1))
                if [ "$RC" != 1 ] || [ -n "$OUT" ] || ! [[ $ERR1 =~ ^mig:\ history ]]; then
                    bad+="mig ${args[*]}: Alembic fails ($rest) but mig gives exit $RC: $MARKS $ERR"$'\n'
                fi
            elif [ "$RC" != 0 ] || [ "$MARKS" != "$rest" ]; then
                bad+="mig ${args[*]}${note:+ ($note)}:"$'\n'"    want: $rest"$'\n'"    got:  $MARKS ${ERR:+(exit $RC: $ERR)}"$'\n'
            fi
            ;;
        *) bad+="unexpected line from the Alembic side: $kind|$gid|$a|$b|$status|$note|$rest"$'\n' ;;
        esac
    done < <("$PY" alembic_history.py "$T/alembic" "$SEEDS" 2>"$T/alembic/stderr")
    flush_graph
    if [ "$ended" = 1 ]; then
        pass "compared $nranges ranges on $ngraphs graphs ($nerr where Alembic fails; $ndiverge where Alembic 1.8.1 is wrong and mig differs, see docs/client.md)"
    else
        fail "the Alembic side ran to the end" "$(tail -n 20 "$T/alembic/stderr")"
    fi
}

for s in ${SECTIONS:-$ALL_SECTIONS}; do
    want "$s" || continue
    "t_$s"
done
checker_summary
done_testing
