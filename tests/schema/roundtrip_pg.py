#!/usr/bin/env python3
"""roundtrip_pg.py -- the round-trip property of mig's autogenerate on
PostgreSQL (the twin of tests/schema/roundtrip.c), on random schemas from
tests/schema/gen_pg.py.

For each seed: a random schema A, another spelling of A, and a random edit
B with its rename hints.  Fresh databases (CREATE DATABASE ... TEMPLATE
template0; CREATE EXTENSION mig) are built from A, A's other spelling and
B; A gets a few rows.  Then:

  1. mig_snapshot() of both spellings of A are equal;
  2. mig_diff(SA, SA) and mig_diff(SB, SB) are '';
  3. the body of mig_diff(SA, SB, hints), uploaded as revision r1
     (mig_put_revision; "-- mig:transactional false" when the body starts
     with "-- run outside a transaction") and run with mig_upgrade('head')
     (a transactional-false body: its statements one by one outside a
     transaction, then mig_upgrade with record_only, as docs/sql-api.md
     describes for clients), gives mig_snapshot() = SB byte for byte, and a
     pg_dump --schema-only equal to B's (blocks sorted; mig's schema left
     out);
  4. mig_downgrade('base') gives SA again (and A's pg_dump);
  5. the rows of A survive in the columns A and B share, after the upgrade
     and after the downgrade.

A failure prints the seed, A, B, the hints, the body and the first
differing snapshot objects, and the smallest number of edits of that seed
that still fails (the edits are a seeded sequence, so "--edits K" replays
its first K).

A body that says "-- the columns of T end in another order than the new
schema has them" (PostgreSQL adds a column at the end) is compared with T's
columns as a set, and counted in the summary; pg_dump is compared after
sorting its blocks and the GRANT lines of an ACL.

usage: roundtrip_pg.py [--seed N] [--count K] [--seeds N,N,...] [--verbose]
                       [--gen-only] [--edits K] [--no-shrink] [--keep]
                       [--with-known-gaps] [--self-test-lose-row]
       roundtrip_pg.py --a A.sql --b B.sql [--hints JSON-ARRAY] [--verbose]
--with-known-gaps: the edits may touch the categories of the open findings
(gen_pg.AVOID_KNOWN_GAPS); --self-test-lose-row: a row of each table is
deleted after the upgrade (the row check must report it); --a/--b: one pair
written by hand (a reproduction), no rows.
Talks to the server of PGHOST/PGPORT/PGUSER with psql and pg_dump; creates
and drops databases named rt_<pid>_<run>_*.  Exit: 0 all passed, 1 a
failure, 2 mig_snapshot is missing ("SKIP ..."); when mig_diff is missing
or a stub, only the snapshots are checked and the output says so.
"""
import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_pg  # noqa: E402

PSQL = ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1"]
GUARD = 300     # seconds: only against a hung server, decides nothing
POOL = concurrent.futures.ThreadPoolExecutor(max_workers=3)   # psql/pg_dump processes run side by side


class Fail(Exception):
    def __init__(self, stage, msg, detail=""):
        Exception.__init__(self, "%s: %s" % (stage, msg))
        self.stage = stage
        self.msg = msg
        self.detail = detail


def psql(db, sql, check=True):
    p = subprocess.run(PSQL + ["-d", db, "-f", "-"], input=sql, capture_output=True, text=True, timeout=GUARD)
    if check and p.returncode != 0:
        raise RuntimeError(p.stderr.strip() or "psql exited %d" % p.returncode)
    return p


def query(db, sql):
    """one value"""
    p = subprocess.run(PSQL + ["-d", db, "-c", sql], capture_output=True, text=True, timeout=GUARD)
    if p.returncode != 0:
        raise RuntimeError(p.stderr.strip())
    out = p.stdout
    return out[:-1] if out.endswith("\n") else out


def dq(s, tag="rt"):
    t = "$%s$" % tag
    k = 0
    while t in s:
        k += 1
        t = "$%s%d$" % (tag, k)
    return t + s + t


def create_db(name):
    subprocess.run(PSQL + ["-d", "postgres", "-c", "DROP DATABASE IF EXISTS %s" % name],
                   capture_output=True, text=True, timeout=GUARD)
    p = subprocess.run(PSQL + ["-d", "postgres", "-c", "CREATE DATABASE %s TEMPLATE template0" % name],
                       capture_output=True, text=True, timeout=GUARD)
    if p.returncode != 0:
        raise RuntimeError("CREATE DATABASE %s: %s" % (name, p.stderr.strip()))


def drop_db(name):
    subprocess.run(PSQL + ["-d", "postgres", "-c", "DROP DATABASE IF EXISTS %s WITH (FORCE)" % name],
                   capture_output=True, text=True, timeout=GUARD)


def create_dbs(names):
    sql = "".join("DROP DATABASE IF EXISTS %s;\nCREATE DATABASE %s TEMPLATE template0;\n" % (n, n) for n in names)
    p = subprocess.run(PSQL + ["-d", "postgres", "-f", "-"], input="SET client_min_messages = warning;\n" + sql,
                       capture_output=True, text=True, timeout=GUARD)
    if p.returncode != 0:
        raise RuntimeError("CREATE DATABASE: %s" % p.stderr.strip())


def drop_dbs(names):
    sql = "".join("DROP DATABASE IF EXISTS %s WITH (FORCE);\n" % n for n in names)
    subprocess.run(PSQL + ["-d", "postgres", "-f", "-"], input="SET client_min_messages = warning;\n" + sql,
                   capture_output=True, text=True, timeout=GUARD)


MARK = "@@rt@@"


def parts(db, steps):
    """run the steps [(label, sql)] in one psql session (autocommit, stops at
    the first error); returns ({label: output}, the failing label or None,
    stderr)"""
    script = []
    for label, sql in steps:
        script.append("\\echo %s BEGIN %s\n%s\n\\echo %s END %s\n" % (MARK, label, sql, MARK, label))
    p = subprocess.run(PSQL + ["-d", db, "-f", "-"], input="".join(script), capture_output=True, text=True,
                       timeout=GUARD)
    out, cur, buf, failed = {}, None, [], None
    for line in p.stdout.split("\n"):
        if line.startswith(MARK + " BEGIN "):
            cur, buf = line[len(MARK) + 7:], []
            continue
        if line.startswith(MARK + " END "):
            out[cur] = "\n".join(buf)
            cur = None
            continue
        if cur is not None:
            buf.append(line)
    if p.returncode != 0:
        for label, _ in steps:
            if label not in out:
                failed = label
                break
        failed = failed or "?"
    return out, failed, p.stderr.strip()


def rows_steps(shared, side, prefix):
    out = []
    for sa, ta, sb, tb, pairs in shared:
        s, t = (sa, ta) if side == "a" else (sb, tb)
        cols = [x[0] if side == "a" else x[1] for x in pairs]
        sql = "SELECT ROW(%s)::text FROM %s.%s ORDER BY 1;" % (", ".join(gen_pg.qi(c) for c in cols), gen_pg.qi(s),
                                                               gen_pg.qi(t))
        out.append(("%s:%s.%s" % (prefix, sa, ta), sql))
    return out


def ensure_roles():
    sql = "DO $$ BEGIN\n"
    for r in gen_pg.ROLES:
        sql += ("IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '%s') THEN CREATE ROLE %s; END IF;\n"
                % (r, r))
    sql += "END $$;"
    psql("postgres", sql)


def pg_dump_norm(db):
    p = subprocess.run(["pg_dump", "--schema-only", "--exclude-schema=mig", "--no-owner", "-d", db],
                       capture_output=True, text=True, timeout=GUARD)
    if p.returncode != 0:
        raise RuntimeError("pg_dump: " + p.stderr.strip())
    blocks, cur = [], []
    for line in p.stdout.splitlines():
        if line.startswith("-- Name:") or line.startswith("-- Dumped") or line.startswith("-- PostgreSQL database dump"):
            if cur:
                blocks.append("\n".join(cur).strip())
            cur = []
        if line.startswith("\\restrict ") or line.startswith("\\unrestrict "):
            continue      # pg_dump's random key of the dump (15.14 and later)
        if line == "--" or line.startswith("-- Dumped") or line.startswith("-- PostgreSQL database dump"):
            continue
        cur.append(line)
    if cur:
        blocks.append("\n".join(cur).strip())
    # an ACL's GRANT lines come in the order of the grants (aclitem[]), a set
    out = []
    for b in blocks:
        if "; Type: ACL;" in b.split("\n", 1)[0]:
            head, _, rest = b.partition("\n")
            b = head + "\n" + "\n".join(sorted(rest.split("\n")))
        out.append(b)
    return sorted(b for b in out if b)


def dump_diff(a, b):
    sa, sb = set(a), set(b)
    out = []
    for x in sorted(sa - sb)[:3]:
        out.append("only in the result:\n" + x)
    for x in sorted(sb - sa)[:3]:
        out.append("only in the expected:\n" + x)
    return "\n".join(out)


ORDER_NOTE = re.compile(r"^-- the columns of (.*) end in another order than the new schema has them", re.M)


def noted_tables(section):
    """tables whose column order the diff says it cannot reach (PostgreSQL
    adds a column at the end): their columns are compared as sets"""
    return set(ORDER_NOTE.findall(section))


def unorder(doc, tables):
    """the snapshot with the columns of those tables sorted by name"""
    if not tables:
        return doc
    d = json.loads(doc)
    for o in d.get("objects", []):
        if o.get("kind") == "table" and gen_pg.qi(o.get("schema", "")) + "." + gen_pg.qi(o["name"]) in tables:
            o["columns"] = sorted(o.get("columns", []), key=lambda c: c["name"])
    return json.dumps(d, sort_keys=True)


def unorder_dump(blocks, tables):
    """pg_dump blocks with the column lines of those tables' CREATE TABLE sorted"""
    if not tables:
        return blocks
    out = []
    for b in blocks:
        lines = b.split("\n")
        for i, line in enumerate(lines):
            mo = re.match(r"CREATE (?:UNLOGGED )?TABLE (.*) \($", line)
            if mo and mo.group(1) in tables:
                j = i + 1
                while j < len(lines) and not lines[j].startswith(")"):
                    j += 1
                lines[i + 1:j] = sorted(x.rstrip(",") for x in lines[i + 1:j])
        out.append("\n".join(lines))
    return sorted(out)


def snap_diff(got, want, limit=3):
    """the first objects that differ between two snapshot documents"""
    try:
        g = json.loads(got)
        w = json.loads(want)
    except ValueError as e:
        return "(not JSON: %s)" % e

    def key(o):
        return (o.get("kind"), o.get("schema", ""), o.get("name"))
    go = {key(o): o for o in g.get("objects", [])}
    wo = {key(o): o for o in w.get("objects", [])}
    out = []
    for k in sorted(set(go) | set(wo), key=lambda k: tuple(str(x) for x in k)):
        if go.get(k) != wo.get(k):
            out.append("  %s %s.%s\n    got:  %s\n    want: %s" % (
                k[0], k[1], k[2], json.dumps(go.get(k), sort_keys=True), json.dumps(wo.get(k), sort_keys=True)))
            if len(out) >= limit:
                break
    if not out and got != want:
        out.append("  (the same objects, different text)")
    return "\n".join(out)


def rows_of(db, shared, side):
    out = {}
    for sa, ta, sb, tb, pairs in shared:
        s, t = (sa, ta) if side == "a" else (sb, tb)
        cols = [p[0] if side == "a" else p[1] for p in pairs]
        sql = "SELECT ROW(%s)::text FROM %s.%s ORDER BY 1" % (", ".join(gen_pg.qi(c) for c in cols), gen_pg.qi(s),
                                                              gen_pg.qi(t))
        out[(sa, ta)] = query(db, sql)
    return out


def sections(body):
    up, down, cur = [], [], None
    for line in body.split("\n"):
        if line.strip() == "-- mig:upgrade":
            cur = up
            continue
        if line.strip() == "-- mig:downgrade":
            cur = down
            continue
        if cur is not None:
            cur.append(line)
    return "\n".join(up) + "\n", "\n".join(down) + "\n"


class Harness:
    def __init__(self, opt):
        self.opt = opt
        self.pfx = "rt_%d" % os.getpid()
        self.have_snap = self.have_diff = None
        self.rows_checked = 0
        self.noted = 0
        self.nontx = 0
        self.drops = []

    def finish(self):
        for d in self.drops:
            d.result()

    def build(self, name, sql, ext=True, rows=None):
        create_db(name)
        pre = "SET client_min_messages = warning;\n"
        if ext:
            pre += "CREATE EXTENSION mig;\n"
        p = psql(name, pre + sql + (rows or ""), check=False)
        if p.returncode != 0:
            raise Fail("generator", "PostgreSQL refused the generated SQL of %s" % name.rsplit("_", 1)[-1],
                       p.stderr.strip())

    def probe(self, db):
        """are mig_snapshot and mig_diff there (and is mig_diff more than a stub)?"""
        fns = query(db, "SELECT string_agg(proname, ',' ORDER BY proname) FROM pg_proc "
                        "WHERE proname IN ('mig_snapshot', 'mig_diff')") or ""
        self.have_snap = "mig_snapshot" in fns
        self.have_diff = "mig_diff" in fns
        if self.have_diff:
            empty = '{"mig_snapshot":1,"dialect":"postgresql","objects":[]}'
            try:
                d = query(db, "SELECT mig_diff(%s, mig_snapshot())" % gen_pg.lit(empty))
                if d == "":
                    self.have_diff = "stub"
            except RuntimeError as e:
                self.have_diff = "error: %s" % e

    def run_seed(self, seed, nedits=None, quiet=False, pair=None):
        """None when the seed passes, "skip" when mig_snapshot is missing, else the Fail"""
        p = pair or gen_pg.make_pair(seed, nedits)
        self.runs = getattr(self, "runs", 0) + 1
        run = "%s_%d" % (self.pfx, self.runs)
        a, a2, b = run + "_a", run + "_a2", run + "_b"
        info = {"pair": p, "body": None}
        self.last = info
        snap = "SELECT mig_snapshot();"
        try:
            create_dbs([a, a2, b])
            pre = "SET client_min_messages = warning;\n"
            if self.opt.gen_only:
                jobs = [(db, POOL.submit(parts, db, [("sql", pre + sql), ("rows", rows)])) for db, sql, rows in
                        ((a, p["a_sql"], p["rows_sql"]), (a2, p["a2_sql"], ""), (b, p["b_sql"], ""))]
                for db, job in jobs:
                    o, bad, err = job.result()
                    if bad:
                        raise Fail("generator", "PostgreSQL refused the generated %s of %s" % (bad, db.rsplit("_", 1)[-1]), err)
                return None
            if self.have_snap is None:
                o, bad, err = parts(a, [("ext", "CREATE EXTENSION mig;")])
                if bad:
                    raise Fail("harness", "CREATE EXTENSION mig failed", err)
                self.probe(a)
                if not self.have_snap:
                    return "skip"
                create_dbs([a])
            ext = "CREATE EXTENSION mig;\n"
            outs = {}
            jobs = []
            for db, sql in ((a, p["a_sql"]), (a2, p["a2_sql"]), (b, p["b_sql"])):
                steps = [("ext", ext), ("sql", pre + sql), ("snap", snap)]
                if db == a:
                    steps += [("rows", p["rows_sql"]), ("snap2", snap)]
                jobs.append((db, POOL.submit(parts, db, steps)))     # the three databases at once
            for db, job in jobs:
                o, bad, err = job.result()
                if bad in ("sql", "rows"):
                    raise Fail("generator", "PostgreSQL refused the generated %s of %s" % (bad, db.rsplit("_", 1)[-1]), err)
                if bad == "ext":
                    raise Fail("harness", "CREATE EXTENSION mig failed", err)
                if bad:
                    raise Fail("snapshot-error", "mig_snapshot() failed in %s" % db, err)
                outs[db] = o
            sa, sa2, sb = outs[a]["snap"], outs[a2]["snap"], outs[b]["snap"]
            info.update(sa=sa, sb=sb)
            if sa != sa2:
                raise Fail("snapshot", "two spellings of A give different snapshots", snap_diff(sa2, sa))
            if outs[a]["snap2"] != sa:
                raise Fail("snapshot", "rows changed the snapshot of A", snap_diff(outs[a]["snap2"], sa))
            if self.have_diff is not True:
                return None
            hints = json.dumps({"renames": p["hints"]})
            info["hints"] = hints
            L = gen_pg.lit
            o, bad, err = parts(a, [("aa", "SELECT mig_diff(%s, %s);" % (L(sa), L(sa))),
                                    ("bb", "SELECT mig_diff(%s, %s);" % (L(sb), L(sb))),
                                    ("ab", "SELECT mig_diff(%s, %s, %s);" % (L(sa), L(sb), L(hints)))])
            if bad:
                raise Fail("diff-error", "mig_diff(%s) failed" % {"aa": "SA, SA", "bb": "SB, SB", "ab": "SA, SB, hints"}[bad], err)
            for k, name in (("aa", "A"), ("bb", "B")):
                if o[k] != "":
                    raise Fail("diff-self", "mig_diff(S%s, S%s) is not ''" % (name, name), o[k])
            body = o["ab"]
            info["body"] = body
            if (body == "") != (sa == sb):
                raise Fail("diff-empty", "mig_diff is '' exactly when the snapshots are equal (equal: %s)" % (sa == sb),
                           snap_diff(sa, sb))
            if body == "":
                return None
            ja, jb = POOL.submit(pg_dump_norm, a), POOL.submit(pg_dump_norm, b)
            dump_a, dump_b = ja.result(), jb.result()
            shared = p["shared"]
            up, down = sections(body)
            # the first line of a section that cannot run in one transaction
            # (core/schemadiff_pg.h MIG_SCHEMA_NONTX_MARK): the revision is
            # transactional false, run as a client runs it (docs/sql-api.md)
            nontx = any(sec.startswith("-- run outside a transaction") for sec in (body, up, down))
            info["nontx"] = nontx
            if nontx:
                self.nontx += 1
            rev = "-- mig:revision r1\n" + ("-- mig:transactional false\n" if nontx else "") + body
            rec = "'{\"nontransactional\": \"stop\", \"record_only\": \"r1\"}'"
            steps = rows_steps(shared, "a", "before") + [("put", "SELECT mig_put_revision(%s);" % dq(rev))]
            if nontx:
                steps += [("up", up), ("record", "SELECT mig_upgrade('head', %s);" % rec)]
            else:
                steps += [("up", "SELECT mig_upgrade('head');")]
            if self.opt.self_test_lose_row:
                # the check of rows must see a row lost behind mig's back
                steps += [("lose", "SET session_replication_role = replica;\n" + "".join(
                    "DELETE FROM %s.%s WHERE ctid = (SELECT min(ctid) FROM %s.%s);\n"
                    % (gen_pg.qi(sb_), gen_pg.qi(tb), gen_pg.qi(sb_), gen_pg.qi(tb))
                    for sa_, ta, sb_, tb, pairs in shared if not p["b"].tables[[
                        k for k, t in p["b"].tables.items() if t["schema"] == sb_ and t["name"] == tb][0]]["partby"])
                    + "RESET session_replication_role;")]
            steps += [("snap", snap)] + rows_steps(shared, "b", "after")
            o, bad, err = parts(a, steps)
            if bad in ("up", "record"):
                raise Fail("upgrade-error", "the upgrade failed", err)
            if bad:
                raise Fail("harness", "step %s failed" % bad, err)
            nu, nd = noted_tables(up), noted_tables(down)
            if nu or nd:
                self.noted += 1
            if unorder(o["snap"], nu) != unorder(sb, nu):
                raise Fail("upgrade-snapshot", "after the upgrade the snapshot is not SB", snap_diff(o["snap"], sb))
            dump = unorder_dump(pg_dump_norm(a), nu)
            dump_b = unorder_dump(dump_b, nu)
            if dump != dump_b:
                raise Fail("upgrade-dump", "after the upgrade pg_dump differs from B's (the snapshots are equal)",
                           dump_diff(dump, dump_b))
            before = {k[7:]: v for k, v in o.items() if k.startswith("before:")}
            for k in before:
                if before[k] != o["after:" + k]:
                    raise Fail("upgrade-rows", "after the upgrade rows of A are missing or changed in %s" % k,
                               "before: %r\nafter:  %r" % (before[k], o["after:" + k]))
                self.rows_checked += len(before[k].split("\n")) if before[k] else 0
            # 4. downgrade
            if nontx:
                steps = [("down", down), ("record", "SELECT mig_downgrade('base', %s);" % rec)]
            else:
                steps = [("down", "SELECT mig_downgrade('base');")]
            steps += [("snap", snap)] + rows_steps(shared, "a", "back")
            o, bad, err = parts(a, steps)
            if bad in ("down", "record"):
                raise Fail("downgrade-error", "the downgrade failed", err)
            if bad:
                raise Fail("harness", "step %s failed" % bad, err)
            if unorder(o["snap"], nd) != unorder(sa, nd):
                raise Fail("downgrade-snapshot", "after the downgrade the snapshot is not SA", snap_diff(o["snap"], sa))
            dump = unorder_dump(pg_dump_norm(a), nd)
            dump_a = unorder_dump(dump_a, nd)
            if dump != dump_a:
                raise Fail("downgrade-dump", "after the downgrade pg_dump differs from A's (the snapshots are equal)",
                           dump_diff(dump, dump_a))
            for k in before:
                if before[k] != o["back:" + k]:
                    raise Fail("downgrade-rows", "after the downgrade rows of A are missing or changed in %s" % k,
                               "before: %r\nafter:  %r" % (before[k], o["back:" + k]))
            return None
        except Fail as f:
            return f
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            return Fail("harness", str(e))
        finally:
            if not self.opt.keep:
                self.drops.append(POOL.submit(drop_dbs, [a, a2, b]))    # while the next seed runs

    def report(self, seed, f, out):
        info = self.last
        p = info["pair"]
        w = out.write
        w("FAIL seed %d [%s] %s\n" % (seed, f.stage, f.msg))
        w("  edits: %s\n" % ", ".join(p["edits"]))
        if f.detail:
            w("  " + f.detail.replace("\n", "\n  ") + "\n")
        w("--- A (seed %d)\n%s" % (seed, p["a_sql"]))
        if f.stage == "snapshot":
            w("--- A, the other spelling\n%s" % p["a2_sql"])
        w("--- B\n%s" % p["b_sql"])
        w("--- hints: %s\n" % json.dumps({"renames": p["hints"]}))
        if info.get("body") is not None:
            w("--- body\n%s\n" % info["body"])
        w("--- end of seed %d\n" % seed)


def main(argv):
    ap = argparse.ArgumentParser(description="the PostgreSQL round-trip property of mig_snapshot / mig_diff")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--seeds", default=None, help="a comma-separated list instead of --seed/--count")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--gen-only", action="store_true", help="only build A, A's other spelling (with rows) and B")
    ap.add_argument("--edits", type=int, default=None, help="the first K edits of each seed")
    ap.add_argument("--no-shrink", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the databases of the last seed")
    ap.add_argument("--self-test-lose-row", action="store_true",
                    help="delete a row of each table after the upgrade (the row check must report it)")
    ap.add_argument("--with-known-gaps", action="store_true",
                    help="edits may touch the known gaps of gen_pg.AVOID_KNOWN_GAPS (the findings' regression seeds)")
    ap.add_argument("--a", help="a file with schema A instead of a generated one (a reproduction); needs --b")
    ap.add_argument("--b", help="a file with schema B")
    ap.add_argument("--hints", default="[]", help="with --a/--b: the renames, a JSON array")
    opt = ap.parse_args(argv)
    if opt.with_known_gaps:
        gen_pg.AVOID_KNOWN_GAPS = False
    if opt.a:
        opt.self_test_lose_row = False
        h = Harness(opt)
        ensure_roles()
        a_sql, b_sql = open(opt.a).read(), open(opt.b).read()
        pair = {"seed": 0, "a_sql": a_sql, "a2_sql": a_sql, "b_sql": b_sql, "rows_sql": "", "shared": [],
                "hints": json.loads(opt.hints), "edits": ["(files)"]}
        f = h.run_seed(0, pair=pair)
        h.finish()
        if f is None or f == "skip":
            print("passed" if f is None else "SKIP")
            if opt.verbose and h.last.get("body"):
                print(h.last["body"])
            return 0
        h.report(0, f, sys.stdout)
        return 1
    seeds = [int(x) for x in opt.seeds.split(",")] if opt.seeds else list(range(opt.seed, opt.seed + opt.count))
    h = Harness(opt)
    ensure_roles()
    out = sys.stdout
    passed = failed = 0
    stages = {}
    t0 = time.time()
    for seed in seeds:
        f = h.run_seed(seed, opt.edits)
        if f == "skip":
            h.finish()
            out.write("SKIP mig_snapshot() is not installed (CREATE EXTENSION mig gives version %s)\n" %
                      query("postgres", "SELECT default_version FROM pg_available_extensions WHERE name = 'mig'"))
            return 2
        if f is None:
            passed += 1
            if opt.verbose:
                p = h.last["pair"]
                out.write("ok seed %d (edits: %s)\n" % (seed, ", ".join(p["edits"])))
                if h.last.get("body"):
                    out.write(h.last["body"] + "\n")
            continue
        failed += 1
        stages[f.stage] = stages.get(f.stage, 0) + 1
        h.report(seed, f, out)
        if not opt.no_shrink and f.stage not in ("generator", "harness"):
            n = len(h.last["pair"]["edits"])
            for k in range(0, n):
                g = h.run_seed(seed, k)
                if isinstance(g, Fail) and g.stage == f.stage:
                    out.write("SHRUNK seed %d: its first %d edit(s) fail the same way (--seed %d --edits %d)\n"
                              % (seed, k, seed, k))
                    h.report(seed, g, out)
                    break
            else:
                out.write("SHRUNK seed %d: no prefix of fewer than its %d edits fails the same way\n" % (seed, n))
        out.flush()
    h.finish()
    if h.have_diff is not True and not opt.gen_only:
        out.write("# mig_diff is not usable yet (%s): checked the snapshots of two spellings of A only\n"
                  % ("missing" if not h.have_diff else h.have_diff))
    out.write("pairs %d, passed %d, failed %d\n" % (len(seeds), passed, failed))
    for k, v in sorted(stages.items()):
        out.write("  %d x %s\n" % (v, k))
    out.write("# rows of A found again after upgrades: %d; pairs whose diff notes a column order it cannot reach "
              "(compared as sets of columns): %d; transactional false bodies: %d; %.1f s\n"
              % (h.rows_checked, h.noted, h.nontx, time.time() - t0))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
