#!/usr/bin/python3
"""Check the mig traversal scenarios (*.scn) against real Alembic.

DEVELOPMENT TOOL ONLY.  mig never depends on Alembic or Python; this script
exists so that the expectations in tests/scenarios/*.scn are verified against
what Alembic itself does, instead of being guessed.  It was written against
Alembic 1.8.1 / SQLAlchemy 1.4 as shipped by Debian (python3-alembic):

    /usr/bin/python3 tests/scenarios/alembic_check.py            # all *.scn here
    /usr/bin/python3 tests/scenarios/alembic_check.py stamp.scn  # some files
    /usr/bin/python3 tests/scenarios/alembic_check.py --show x.scn
        # print what Alembic does for every command, in .scn syntax

How a command is run: for every command a throw-away Alembic project is
written (one versions/NNNN_<id>.py script per `rev` line seen so far, with
Alembic's directory listing forced into `rev` line order, i.e. the load
order), the version table of an in-memory SQLite database is set to the
scenario's current state, and the real alembic.command.upgrade / downgrade
/ stamp runs through a normal env.py.  Each script's upgrade()/downgrade()
appends "+id"/"-id" to a log; the steps are that log and the heads are the
rows left in alembic_version.  So the result is exactly what `alembic
upgrade X` would run and record.

Alembic's ordering partly depends on Python's string hashing: it keeps the
depends_on of a revision (after dropping those already implied by an
ancestor) in a set, so with two or more of them the order it walks them in
is arbitrary.  Every file is therefore run under several PYTHONHASHSEED
values (--seeds, default 8) and once more, as variant "ordered", with that
one set replaced by the declared depends_on order (RevisionMap.
_normalize_depends_on patched; nothing else).  An expectation passes if it
matches Alembic under at least one variant; if Alembic's answer differs
between variants the test line says so ("# alembic varies with hash seed")
and names the variants that match.

Error expectations:
  * plain `=> error SUBSTRING`: Alembic must fail and SUBSTRING must occur
    (case-insensitively) in the message of the exception or of one of its
    causes.  Alembic's message is printed as a diagnostic.
  * a `# alembic: ...` comment line between the previous command and this
    one marks a deliberate divergence (Alembic crashes, warns or does
    something odd and mig gives a clean error): any Alembic exception or
    warning is accepted.  If that comment contains the word "silently",
    Alembic succeeding is accepted too (what it did is printed).

A `# alembic: ...` note above a non-error expectation marks a documented
divergence where mig succeeds and Alembic 1.8.1 crashes or gets it wrong
(e.g. bug #1373, fixed in later Alembic): the line passes whatever Alembic
1.8.1 does, with a "DIVERGES" diagnostic that shows it.  Keep these rare.

Output is TAP; the exit status is non-zero on any mismatch.
"""

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
ID_RE = re.compile(r"^\w+$")


# --------------------------------------------------------------------------
# .scn parser
# --------------------------------------------------------------------------

class ScnError(Exception):
    pass


def _ids(text):
    return [t for t in text.split() if t]


def parse_file(path):
    """Return a list of scenarios: dict(name, line, items)."""
    scenarios = []
    cur = None
    note = None
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for lineno, raw in enumerate(lines, 1):
        line = raw.strip()
        where = "%s:%d" % (os.path.basename(path), lineno)
        if not line:
            continue
        if line.startswith("#"):
            m = re.match(r"#\s*alembic:\s*(.*)$", line)
            if m:
                note = (note + " " if note else "") + m.group(1)
            continue
        word = line.split()[0]
        if word == "scenario":
            name = line[len("scenario"):].strip()
            if not name:
                raise ScnError("%s: scenario without a name" % where)
            cur = {"name": name, "line": lineno, "items": [],
                   "file": os.path.basename(path)}
            scenarios.append(cur)
            note = None
            continue
        if cur is None:
            raise ScnError("%s: '%s' before the first scenario" % (where, word))
        if word == "rev":
            toks = line.split()[1:]
            if not toks:
                raise ScnError("%s: rev without an id" % where)
            rev = {"id": toks[0], "down": [], "labels": [], "depends": []}
            for t in toks[1:]:
                k, eq, v = t.partition("=")
                if not eq or k not in ("down", "labels", "depends"):
                    raise ScnError("%s: bad rev attribute %r" % (where, t))
                rev[k] = [x for x in v.split(",") if x]
            cur["items"].append(("rev", rev, lineno))
            continue
        if word == "state":
            cur["items"].append(("state", _ids(line[5:]), lineno))
            continue
        if word not in ("upgrade", "downgrade", "stamp", "graph"):
            raise ScnError("%s: unknown line %r" % (where, line))
        if "=>" not in line:
            raise ScnError("%s: command without '=>'" % where)
        left, _, right = line.partition("=>")
        args = left.split()[1:]
        purge = False
        if word == "stamp" and args and args[0] == "--purge":
            purge = True
            args = args[1:]
        if word == "graph":
            if args:
                raise ScnError("%s: graph takes no argument" % where)
        elif word == "stamp":
            if not args:
                raise ScnError("%s: stamp needs a target" % where)
        elif len(args) != 1:
            raise ScnError("%s: %s needs exactly one target" % (where, word))
        right = right.strip()
        cmd = {"kind": word, "targets": args, "purge": purge,
               "line": lineno, "text": line, "note": note,
               "where": where}
        note = None
        if right.startswith("error"):
            sub = right[len("error"):].strip()
            if not sub:
                raise ScnError("%s: error without a substring" % where)
            cmd["expect"] = {"error": sub}
        else:
            if word == "graph":
                raise ScnError("%s: graph only takes '=> error ...'" % where)
            steps_s, semi, heads_s = right.partition(";")
            heads_s = heads_s.strip()
            if not semi or not (heads_s == "heads" or
                                heads_s.startswith("heads ")):
                raise ScnError("%s: expected '<steps> ; heads <ids>'" % where)
            steps = _ids(steps_s)
            for s in steps:
                if s[:1] not in "+-" or not ID_RE.match(s[1:]):
                    raise ScnError("%s: bad step %r" % (where, s))
            if word == "stamp" and steps:
                raise ScnError("%s: stamp runs no steps" % where)
            heads = _ids(heads_s[len("heads"):])
            for h in heads:
                if not ID_RE.match(h):
                    raise ScnError("%s: bad head %r" % (where, h))
            cmd["expect"] = {"steps": steps, "heads": sorted(heads)}
        cur["items"].append(("cmd", cmd, lineno))
    return scenarios


# --------------------------------------------------------------------------
# running Alembic (worker side)
# --------------------------------------------------------------------------

ENV_PY = '''
from alembic import context
context.configure(connection=context.config.attributes["connection"])
with context.begin_transaction():
    context.run_migrations()
'''

SCRIPT_PY = '''
from alembic import context
revision = %(id)r
down_revision = %(down)r
branch_labels = %(labels)r
depends_on = %(depends)r

def upgrade():
    context.config.attributes["log"].append("+" + revision)

def downgrade():
    context.config.attributes["log"].append("-" + revision)
'''


def _tuple_or_none(xs):
    if not xs:
        return None
    if len(xs) == 1:
        return xs[0]
    return tuple(xs)


def _messages(exc):
    out = []
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        msg = "%s: %s" % (type(exc).__name__, exc)
        out.append(msg)
        exc = exc.__cause__ or exc.__context__
    return out


class AlembicRunner:
    def __init__(self):
        import sqlalchemy as sa
        from alembic.script.base import Script

        # Alembic lists the versions directory with os.listdir(), whose
        # order is arbitrary; force it to the file name order, which we
        # make the `rev` line order (the load order of the scenario).
        Script._list_py_dir = classmethod(
            lambda cls, scriptdir, path: sorted(os.listdir(path)))
        sys.dont_write_bytecode = True
        self.sa = sa
        self.engine = sa.create_engine("sqlite://")
        self.conn = self.engine.connect()
        self.tmp = tempfile.mkdtemp(prefix="mig_scn_")

    def close(self):
        self.conn.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def project(self, revs, key):
        d = os.path.join(self.tmp, key)
        os.makedirs(os.path.join(d, "versions"))
        with open(os.path.join(d, "env.py"), "w") as f:
            f.write(ENV_PY)
        for n, r in enumerate(revs):
            with open(os.path.join(d, "versions", "%04d_x.py" % n), "w") as f:
                f.write(SCRIPT_PY % {
                    "id": r["id"],
                    "down": _tuple_or_none(r["down"]),
                    "labels": _tuple_or_none(r["labels"]),
                    "depends": _tuple_or_none(r["depends"]),
                })
        return d

    def set_state(self, heads):
        c = self.conn
        c.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        c.exec_driver_sql(
            "CREATE TABLE alembic_version (version_num VARCHAR(32) "
            "NOT NULL, CONSTRAINT alembic_version_pkc "
            "PRIMARY KEY (version_num))")
        for h in heads:
            c.exec_driver_sql(
                "INSERT INTO alembic_version VALUES (?)", (h,))

    def get_state(self):
        return sorted(r[0] for r in self.conn.exec_driver_sql(
            "SELECT version_num FROM alembic_version"))

    def run(self, cmd, revs, state, key):
        from alembic import command
        from alembic.config import Config
        from alembic.script import ScriptDirectory

        d = self.project(revs, key)
        cfg = Config()
        cfg.set_main_option("script_location", d)
        log = []
        cfg.attributes["connection"] = self.conn
        cfg.attributes["log"] = log
        self.set_state(state)
        res = {}
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            try:
                if cmd["kind"] == "graph":
                    sd = ScriptDirectory.from_config(cfg)
                    sd.revision_map.heads
                    res["did"] = "loaded; heads %s" % " ".join(
                        sd.get_heads())
                elif cmd["kind"] == "upgrade":
                    command.upgrade(cfg, cmd["targets"][0])
                elif cmd["kind"] == "downgrade":
                    command.downgrade(cfg, cmd["targets"][0])
                else:
                    targets = cmd["targets"]
                    command.stamp(cfg, targets[0] if len(targets) == 1
                                  else targets, purge=cmd["purge"])
            except Exception as e:  # Alembic errors and crashes alike
                res["error"] = _messages(e)
            res["warnings"] = [str(x.message) for x in w]
        if "error" not in res and cmd["kind"] != "graph":
            res["steps"] = log
            res["heads"] = self.get_state()
        return res


def _ordered_normalize_depends_on(self, revisions, map_):
    """RevisionMap._normalize_depends_on, keeping the declared order of the
    depends_on that survive normalization instead of a set's order."""
    for revision in revisions:
        if revision._resolved_dependencies:
            keep = set(revision._resolved_dependencies)
            for rev in self._get_ancestor_nodes(
                    [revision], include_dependencies=False, map_=map_):
                if rev is not revision and rev._resolved_dependencies:
                    keep.difference_update(rev._resolved_dependencies)
            revision._normalized_resolved_dependencies = tuple(
                d for d in revision._resolved_dependencies if d in keep)
        else:
            revision._normalized_resolved_dependencies = ()


def worker(files):
    if os.environ.get("MIG_SCN_VARIANT") == "ordered":
        from alembic.script.revision import RevisionMap
        RevisionMap._normalize_depends_on = _ordered_normalize_depends_on
    runner = AlembicRunner()
    out = {}
    n = 0
    try:
        for path in files:
            for scn in parse_file(path):
                revs = []
                state = []
                for kind, item, lineno in scn["items"]:
                    if kind == "rev":
                        revs.append(item)
                    elif kind == "state":
                        state = list(item)
                    else:
                        n += 1
                        key = "c%05d" % n
                        res = runner.run(item, revs, state, key)
                        out["%s:%d" % (scn["file"], lineno)] = res
                        exp = item["expect"]
                        if "heads" in exp:
                            # the scenario's model state: what is expected
                            state = list(exp["heads"])
    finally:
        runner.close()
    return out


# --------------------------------------------------------------------------
# comparison and TAP output (main side)
# --------------------------------------------------------------------------

def fmt_result(res):
    if "error" in res:
        return "error " + res["error"][0]
    if "steps" in res:
        return "%s ; heads %s" % (" ".join(res["steps"]),
                                  " ".join(res["heads"]))
    return res.get("did", "ok")


def judge(cmd, res):
    """-> (ok, diagnostic lines)"""
    exp = cmd["expect"]
    diag = []
    if res.get("warnings"):
        diag.append("alembic warned: " + " | ".join(res["warnings"]))
    if "error" in exp:
        sub = exp["error"].lower()
        if "error" in res:
            diag.append("alembic: " + " <- ".join(res["error"]))
            if cmd["note"]:
                return True, diag
            if any(sub in m.lower() for m in res["error"]):
                return True, diag
            diag.append("substring %r not in Alembic's message" % exp["error"])
            return False, diag
        if cmd["note"] and res.get("warnings"):
            diag.append("alembic did not fail, only warned; it did: %s"
                        % fmt_result(res))
            return True, diag
        if cmd["note"] and "silently" in cmd["note"]:
            diag.append("alembic silently did: %s" % fmt_result(res))
            return True, diag
        diag.append("expected an error, alembic did: %s" % fmt_result(res))
        return False, diag
    if res.get("steps") == exp["steps"] and res.get("heads") == exp["heads"]:
        return True, diag
    if cmd["note"]:
        # a deliberate, documented divergence from Alembic 1.8.1
        diag.append("DIVERGES from alembic (%s): alembic did %s"
                    % (cmd["note"], fmt_result(res)))
        return True, diag
    if "error" in res:
        diag.append("alembic failed: " + " <- ".join(res["error"]))
        return False, diag
    diag.append("expected: %s ; heads %s" % (" ".join(exp["steps"]),
                                            " ".join(exp["heads"])))
    diag.append("alembic:  %s" % fmt_result(res))
    return False, diag


def run_variants(files, nseeds):
    """-> {variant name: {"file:line": result}}"""
    variants = [("ordered", "0")] + [("seed%d" % i, str(i))
                                     for i in range(nseeds)]
    procs = []
    for name, seed in variants:
        env = dict(os.environ, PYTHONHASHSEED=seed, MIG_SCN_VARIANT=name,
                   SQLALCHEMY_SILENCE_UBER_WARNING="1")
        p = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--worker"] + files,
            env=env, stdout=subprocess.PIPE)
        procs.append((name, p))
    results = {}
    for name, p in procs:
        data, _ = p.communicate()
        if p.returncode != 0:
            sys.exit("Bail out! worker %s failed" % name)
        results[name] = json.loads(data)
    return results


def main(argv):
    if argv and argv[0] == "--worker":
        json.dump(worker(argv[1:]), sys.stdout)
        return 0
    show = False
    nseeds = 8
    files = []
    it = iter(argv)
    for a in it:
        if a == "--show":
            show = True
        elif a == "--seeds":
            nseeds = int(next(it))
        elif a.startswith("--seeds="):
            nseeds = int(a.split("=", 1)[1])
        else:
            files.append(a if os.path.exists(a) else os.path.join(HERE, a))
    if not files:
        files = sorted(glob.glob(os.path.join(HERE, "*.scn")))
    files = [os.path.abspath(f) for f in files]

    try:
        parsed = [(f, parse_file(f)) for f in files]
    except ScnError as e:
        print("Bail out! %s" % e)
        return 2

    import alembic
    results = run_variants(files, nseeds)
    seeds = list(results)

    if show:
        for f, scns in parsed:
            print("## %s" % os.path.basename(f))
            for scn in scns:
                print("scenario %s" % scn["name"])
                for kind, item, lineno in scn["items"]:
                    if kind != "cmd":
                        continue
                    key = "%s:%d" % (scn["file"], lineno)
                    outs = sorted({fmt_result(results[s][key])
                                   for s in seeds})
                    left = item["text"].partition("=>")[0].strip()
                    for o in outs:
                        print("%-40s => %s" % (left, o))
                    w = results[seeds[0]][key].get("warnings")
                    if w:
                        print("#   warned: %s" % " | ".join(w))
        return 0

    total = sum(1 for _, scns in parsed for s in scns
                for it_ in s["items"] if it_[0] == "cmd")
    print("TAP version 13")
    print("1..%d" % total)
    print("# alembic %s; variants: ordered depends_on, PYTHONHASHSEED 0..%d"
          % (alembic.__version__, nseeds - 1))
    n = 0
    failed = 0
    varies = 0
    diverges = 0
    for f, scns in parsed:
        for scn in scns:
            for kind, item, lineno in scn["items"]:
                if kind != "cmd":
                    continue
                n += 1
                key = "%s:%d" % (scn["file"], lineno)
                verdicts = {s: judge(item, results[s][key]) for s in seeds}
                good = [s for s in seeds if verdicts[s][0]]
                variants = sorted({fmt_result(results[s][key])
                                   for s in seeds})
                title = "%s [%s] %s" % (key, scn["name"],
                                        item["text"].partition("=>")[0]
                                        .strip())
                if good:
                    print("ok %d - %s" % (n, title))
                    diag = verdicts[good[0]][1]
                else:
                    failed += 1
                    print("not ok %d - %s" % (n, title))
                    diag = verdicts[seeds[0]][1]
                for d in diag:
                    print("  # " + d)
                if item["note"]:
                    diverges += 1
                if len(variants) > 1:
                    varies += 1
                    print("  # alembic varies with hash seed: " +
                          " || ".join(variants))
                    if good and len(good) < len(seeds):
                        print("  # matches under %s only" % ",".join(good))
    print("# %d commands, %d failed, %d marked as deliberate divergences "
          "(# alembic:), %d with hash-seed dependent Alembic results"
          % (n, failed, diverges, varies))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
