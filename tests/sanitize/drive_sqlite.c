/*
 * drive_sqlite.c - drives a (sanitized) build of the SQLite extension from
 * C, for tests/run/40-sanitize.t.  Linked with libsqlite3 and built with
 * -fsanitize=address,undefined, so the sanitizer runtime is in this
 * executable and the extension built the same way resolves against it (no
 * LD_PRELOAD).
 *
 *   drive_sqlite EXT DB SCRIPT...   run SQL scripts, checking expectations
 *   drive_sqlite --oom EXT REVDIR   allocation-failure injection
 *   drive_sqlite --oom EXT REVDIR CASE K
 *                                   one fault point, in process, traced
 *
 * Scripts: SQL statements (split by SQLite itself), each optionally preceded
 * by directive comments that apply to the next statement:
 *   --! = TEXT       the result must be TEXT exactly: rows joined by "; ",
 *                    columns by "|", NULL as "NULL" (TEXT may be empty)
 *   --! ~ TEXT       the result must contain TEXT
 *   --! error TEXT   the statement must fail, its message containing TEXT
 *   --! conn N       run from now on on connection N (1 or 2; 2 is opened on
 *                    the same DB file with the extension loaded)
 * A statement without an expectation must succeed.  The harness registers
 * readfile(PATH) (text) as the sqlite3 shell has it.  At the end every
 * connection must close with SQLITE_OK (no statement left unfinalized).
 *
 * --oom: SQLite's allocator is wrapped (SQLITE_CONFIG_MALLOC) so that one
 * chosen allocation fails.  After a setup on an in-memory database (the
 * revision files a1 b1 c1 m1 d1 of REVDIR), each call of a list runs once
 * per allocation it makes, in a forked child, with that allocation failing.
 * The child must not crash (ASan/UBSan abort), must return either the
 * normal result or an error, must leave mig_current() and the schema as
 * they were when it failed, and must not leak (LeakSanitizer at the
 * child's exit).  A child that finds a problem says so and exits with 10;
 * any other non-zero status (a sanitizer report, a signal) is reported by
 * the parent.  A child that calls exit() inside a mig call (uthash's
 * fatal out-of-memory handler) exits with status 77; those are counted
 * apart.  DRIVE_OOM_STRIDE=N in the environment tries every N-th fault
 * point only.  Output: TAP-style "# " lines and a final summary line
 *   "oom: N fault points, F failures, E exits"; exit status 1 if F > 0.
 */
#include <sqlite3.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- results ------------------------------------------------------------ */

typedef struct {
    char *s;
    size_t n, cap;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1)
            cap *= 2;
        b->s = realloc(b->s, cap);
        if (!b->s) {
            fprintf(stderr, "out of memory\n");
            exit(2);
        }
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
}

static void sb_puts(sbuf *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

/* ---- readfile() ----------------------------------------------------------- */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    sbuf b = {0};
    char buf[4096];
    size_t n;
    if (!f)
        return NULL;
    sb_puts(&b, "");
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        sb_put(&b, buf, n);
    fclose(f);
    if (len)
        *len = b.n;
    return b.s;
}

static void fn_readfile(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const char *path = (const char *)sqlite3_value_text(argv[0]);
    size_t n;
    char *s;
    (void)argc;
    if (!path)
        return;
    s = slurp(path, &n);
    if (!s) {
        sqlite3_result_error(ctx, strerror(errno), -1);
        return;
    }
    sqlite3_result_text(ctx, s, (int)n, SQLITE_TRANSIENT);
    free(s);
}

/* ---- connections ------------------------------------------------------------ */

static const char *ext_path;

static sqlite3 *open_db(const char *path)
{
    sqlite3 *db = NULL;
    char *err = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        fprintf(stderr, "cannot open %s: %s\n", path, db ? sqlite3_errmsg(db) : "?");
        exit(2);
    }
    sqlite3_enable_load_extension(db, 1);
    if (sqlite3_load_extension(db, ext_path, "sqlite3_mig_init", &err) != SQLITE_OK) {
        fprintf(stderr, "cannot load %s: %s\n", ext_path, err ? err : "?");
        exit(2);
    }
    sqlite3_create_function(db, "readfile", 1, SQLITE_UTF8, NULL, fn_readfile, NULL, NULL);
    return db;
}

/* Run one statement (from *pp), result text into res; 0 ok, 1 error (res = message). */
static int run_stmt(sqlite3 *db, const char **pp, sbuf *res)
{
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    int rc, rows = 0;
    res->n = 0;
    sb_puts(res, "");
    rc = sqlite3_prepare_v2(db, *pp, -1, &st, &tail);
    *pp = tail ? tail : *pp + strlen(*pp);
    if (rc != SQLITE_OK) {
        sb_puts(res, sqlite3_errmsg(db));
        return 1;
    }
    if (!st)
        return -1; /* nothing but comments */
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int i, n = sqlite3_column_count(st);
        if (rows++)
            sb_puts(res, "; ");
        for (i = 0; i < n; i++) {
            const char *v = (const char *)sqlite3_column_text(st, i);
            if (i)
                sb_puts(res, "|");
            sb_puts(res, v ? v : "NULL");
        }
    }
    if (rc != SQLITE_DONE) {
        res->n = 0;
        sb_puts(res, sqlite3_errmsg(db));
        sqlite3_finalize(st);
        return 1;
    }
    sqlite3_finalize(st);
    return 0;
}

/* ---- script mode -------------------------------------------------------------- */

static int run_script(const char *dbpath, sqlite3 **conns, const char *file)
{
    size_t len;
    char *text = slurp(file, &len);
    const char *p;
    int failures = 0, nstmt = 0, cur = 0;
    sbuf res = {0};
    if (!text) {
        printf("# cannot read %s\n", file);
        return 1;
    }
    p = text;
    for (;;) {
        char kind = 0;
        char want[4096] = "";
        const char *q = p, *start;
        int rc, line = 1;
        /* directives in the comments before the statement */
        for (;;) {
            while (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')
                q++;
            if (q[0] == '-' && q[1] == '-') {
                const char *e = strchr(q, '\n');
                size_t n = e ? (size_t)(e - q) : strlen(q);
                if (n >= 4 && q[2] == '!' && q[3] == ' ') {
                    const char *d = q + 4;
                    size_t dn = n - 4;
                    if (dn >= 5 && strncmp(d, "conn ", 5) == 0) {
                        cur = atoi(d + 5) - 1;
                        if (cur < 0 || cur > 1) {
                            printf("# bad connection in %s\n", file);
                            return 1;
                        }
                        if (!conns[cur])
                            conns[cur] = open_db(dbpath);
                    } else if (dn >= 1 && (d[0] == '=' || d[0] == '~')) {
                        kind = d[0];
                        if (dn >= 2)
                            snprintf(want, sizeof want, "%.*s", (int)(dn - 2), d + 2);
                    } else if (dn >= 5 && strncmp(d, "error", 5) == 0) {
                        kind = 'e';
                        if (dn >= 6)
                            snprintf(want, sizeof want, "%.*s", (int)(dn - 6), d + 6);
                    }
                }
                q += n;
                continue;
            }
            break;
        }
        if (!*q)
            break;
        start = q;
        for (q = text; q < start; q++)
            line += *q == '\n';
        p = start;
        rc = run_stmt(conns[cur], &p, &res);
        if (rc < 0)
            continue;
        nstmt++;
        {
            int ok;
            if (kind == 'e')
                ok = rc == 1 && strstr(res.s, want) != NULL;
            else if (kind == '=')
                ok = rc == 0 && strcmp(res.s, want) == 0;
            else if (kind == '~')
                ok = rc == 0 && strstr(res.s, want) != NULL;
            else
                ok = rc == 0;
            if (!ok) {
                failures++;
                printf("# FAILED %s:%d: %.*s\n", file, line, (int)(p - start), start);
                printf("#   expected %s '%s'\n#   got %s: '%s'\n",
                       kind == 'e' ? "an error containing" : kind == '=' ? "the result" : kind == '~' ? "a result containing" : "success",
                       want, rc ? "error" : "result", res.s);
            }
        }
    }
    printf("# %s: %d statements, %d failed\n", file, nstmt, failures);
    free(res.s);
    free(text);
    return failures ? 1 : 0;
}

/* ---- allocation failure injection ------------------------------------------------- */

static sqlite3_mem_methods real_mem;
static long fault_countdown = -1; /* allocations until the failing one (-1: none) */
static long fault_allocs;         /* allocations counted while armed */
static int in_call;               /* a fault statement is running (for the exit check) */

static void *w_malloc(int n)
{
    if (fault_countdown >= 0) {
        fault_allocs++;
        if (fault_countdown-- == 0)
            return NULL;
    } else if (fault_countdown == -2)
        fault_allocs++;
    return real_mem.xMalloc(n);
}

static void *w_realloc(void *p, int n)
{
    if (fault_countdown >= 0) {
        fault_allocs++;
        if (fault_countdown-- == 0)
            return NULL;
    } else if (fault_countdown == -2)
        fault_allocs++;
    return real_mem.xRealloc(p, n);
}

static void w_free(void *p)
{
    real_mem.xFree(p);
}
static int w_size(void *p)
{
    return real_mem.xSize(p);
}
static int w_roundup(int n)
{
    return real_mem.xRoundup(n);
}
static int w_init(void *a)
{
    return real_mem.xInit(a);
}
static void w_shutdown(void *a)
{
    real_mem.xShutdown(a);
}

static void exit_check(void)
{
    if (in_call)
        _exit(77); /* exit() was called inside a mig call */
}

/* The state a failed call must leave: current heads and the schema. */
static void snapshot(sqlite3 *db, sbuf *out)
{
    const char *q = "SELECT mig_current() || ' / ' || (SELECT group_concat(name || ':' || coalesce(sql, ''), ', ') "
                    "FROM (SELECT name, sql FROM sqlite_master ORDER BY name)) || ' / ' || "
                    "(SELECT count(*) FROM mig_history) || ' / ' || (SELECT count(*) FROM mig_revision)";
    const char *p = q;
    long saved = fault_countdown;
    fault_countdown = -1;
    if (run_stmt(db, &p, out) != 0) {
        printf("# snapshot failed: %s\n", out->s);
        _exit(3);
    }
    fault_countdown = saved;
}

typedef struct {
    const char *setup; /* run without faults before the call (may be NULL) */
    const char *call;
    int partial;       /* "transaction": "each" keeps the steps committed before a failure */
} fault_case;

static int trace_cb(unsigned type, void *ctx, void *p, void *x)
{
    sqlite3 *db = ctx;
    (void)type;
    (void)x;
    printf("# trace [%s] %s\n", sqlite3_get_autocommit(db) ? "autocommit" : "in txn",
           sqlite3_sql((sqlite3_stmt *)p));
    return 0;
}

/* only_case/only_k >= 0: run that one fault point in this process, traced */
static int oom_mode(const char *revdir, int only_case, long only_k)
{
    char setup[4096];
    sqlite3 *db;
    sbuf res = {0}, before = {0}, after = {0}, normal = {0};
    int c, failures = 0, exits = 0;
    long points = 0, stride = getenv("DRIVE_OOM_STRIDE") ? atol(getenv("DRIVE_OOM_STRIDE")) : 1;
    static const fault_case cases[] = {
        {"SELECT mig_downgrade('base')", "SELECT mig_upgrade('heads', '{\"x\": {\"data\": \"1\", \"who\": \"oom\"}}')", 0},
        {"SELECT mig_upgrade('heads')", "SELECT mig_downgrade('base')", 0},
        {"SELECT mig_stamp('base', '{\"purge\": true}')", "SELECT mig_stamp('b1 c1')", 0},
        {"SELECT mig_upgrade('heads')", "SELECT mig_downgrade('c1')", 0},
        {NULL, "SELECT step, revision FROM mig_plan('upgrade', 'heads')", 0},
        {NULL, "SELECT mig_sql('upgrade', 'heads', '{\"env\": \"default\"}')", 0},
        {NULL, "SELECT mig_check(), mig_current(), mig_heads()", 0},
        {"SELECT mig_downgrade('base')", "SELECT mig_put_revision(readfile('%s/e1.sql'))", 0},
        {NULL, "SELECT mig_upgrade('heads', '{\"transaction\": \"each\"}')", 1},
        /* schema snapshots and diffs (docs/schema.md) */
        {"CREATE TABLE IF NOT EXISTS s1 (id INTEGER PRIMARY KEY, a TEXT NOT NULL DEFAULT 'x' REFERENCES s1, "
         "CHECK (a <> ''), UNIQUE (a, id))",
         "SELECT mig_snapshot()", 0},
        {NULL, "SELECT mig_snapshot_sql('CREATE TABLE t (a INT, b TEXT UNIQUE); CREATE INDEX ti ON t (b DESC) WHERE a > 0; "
               "CREATE VIEW v AS SELECT a FROM t; CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END')",
         0},
        {NULL, "SELECT mig_diff(mig_snapshot(), mig_snapshot_sql('CREATE TABLE s1 (id INTEGER PRIMARY KEY, a TEXT, b INT); "
               "CREATE TABLE s2 (x INT)'))",
         0},
    };

    if (stride < 1)
        stride = 1;
    sqlite3_config(SQLITE_CONFIG_GETMALLOC, &real_mem);
    {
        static sqlite3_mem_methods w;
        w = real_mem;
        w.xMalloc = w_malloc;
        w.xRealloc = w_realloc;
        w.xFree = w_free;
        w.xSize = w_size;
        w.xRoundup = w_roundup;
        w.xInit = w_init;
        w.xShutdown = w_shutdown;
        if (sqlite3_config(SQLITE_CONFIG_MALLOC, &w) != SQLITE_OK) {
            printf("# cannot install the allocator\n");
            return 2;
        }
    }
    /* no lookaside: every allocation goes to the allocator */
    sqlite3_config(SQLITE_CONFIG_LOOKASIDE, 0, 0);
    atexit(exit_check);

    db = open_db(":memory:");
    snprintf(setup, sizeof setup,
             "SELECT mig_put_revision(readfile('%s/a1.sql')); SELECT mig_put_revision(readfile('%s/b1.sql'));"
             "SELECT mig_put_revision(readfile('%s/c1.sql')); SELECT mig_put_revision(readfile('%s/m1.sql'));"
             "SELECT mig_put_revision(readfile('%s/d1.sql'));",
             revdir, revdir, revdir, revdir, revdir);
    {
        const char *p = setup;
        int rc;
        while ((rc = run_stmt(db, &p, &res)) != -1 && *p) {
            if (rc) {
                printf("# setup failed: %s\n", res.s);
                return 2;
            }
        }
    }

    for (c = 0; c < (int)(sizeof cases / sizeof cases[0]); c++) {
        char call[1024];
        long n, k;
        int rc_normal, failures_before = failures;
        snprintf(call, sizeof call, cases[c].call, revdir);
        if (only_case >= 0) {
            const char *p;
            int rc;
            if (c != only_case)
                continue;
            if (cases[c].setup) {
                p = cases[c].setup;
                run_stmt(db, &p, &res);
            }
            snapshot(db, &before);
            printf("# before: %s\n", before.s);
            if (getenv("DRIVE_TRACE"))
                sqlite3_trace_v2(db, SQLITE_TRACE_STMT, trace_cb, db);
            fault_allocs = 0;
            fault_countdown = only_k;
            p = call;
            rc = run_stmt(db, &p, &res);
            fault_countdown = -1;
            sqlite3_trace_v2(db, 0, NULL, NULL);
            printf("# rc %d: %s (after %ld allocations)%s\n", rc, res.s, fault_allocs,
                   sqlite3_get_autocommit(db) ? "" : ", and a transaction is left open");
            snapshot(db, &after);
            printf("# after: %s\n", after.s);
            printf("# state %s\n", strcmp(before.s, after.s) ? "CHANGED" : "unchanged");
            sqlite3_close(db);
            free(res.s);
            free(before.s);
            free(after.s);
            return 0;
        }
        /* the normal run, counting allocations, in a child: the parent's
         * database stays as set up */
        {
            int pipefd[2];
            pid_t pid;
            if (pipe(pipefd))
                return 2;
            pid = fork();
            if (pid == 0) {
                const char *p;
                char line[64];
                close(pipefd[0]);
                if (cases[c].setup) {
                    p = cases[c].setup;
                    if (run_stmt(db, &p, &res)) {
                        printf("# case setup failed: %s\n", res.s);
                        _exit(2);
                    }
                }
                fault_allocs = 0;
                fault_countdown = -2; /* count only */
                p = call;
                rc_normal = run_stmt(db, &p, &normal);
                fault_countdown = -1;
                snprintf(line, sizeof line, "%d %ld\n", rc_normal, fault_allocs);
                if (write(pipefd[1], line, strlen(line)) < 0)
                    _exit(2);
                if (write(pipefd[1], normal.s, normal.n) < 0)
                    _exit(2);
                close(pipefd[1]);
                sqlite3_close(db);
                _exit(0);
            }
            close(pipefd[1]);
            {
                sbuf got = {0};
                char buf[4096];
                ssize_t r;
                int st;
                sb_puts(&got, "");
                while ((r = read(pipefd[0], buf, sizeof buf)) > 0)
                    sb_put(&got, buf, (size_t)r);
                close(pipefd[0]);
                waitpid(pid, &st, 0);
                if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || sscanf(got.s, "%d %ld", &rc_normal, &n) != 2) {
                    printf("# case %d: the normal run failed (status %d)\n", c, st);
                    return 2;
                }
                if (rc_normal) {
                    printf("# case %d: the call fails without faults: %s\n", c, strchr(got.s, '\n') + 1);
                    return 2;
                }
                normal.n = 0;
                sb_puts(&normal, strchr(got.s, '\n') + 1);
                free(got.s);
            }
        }
        for (k = c % stride; k < n; k += stride) {
            pid_t pid = fork();
            int st;
            if (pid == 0) {
                const char *p;
                int rc;
                if (failures - failures_before >= 3) { /* enough said about this call */
                    if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
                        _exit(2);
                }
                if (cases[c].setup) {
                    p = cases[c].setup;
                    if (run_stmt(db, &p, &res)) {
                        printf("# case setup failed: %s\n", res.s);
                        _exit(2);
                    }
                }
                snapshot(db, &before);
                fault_countdown = k;
                in_call = 1;
                p = call;
                rc = run_stmt(db, &p, &res);
                in_call = 0;
                fault_countdown = -1;
                if (rc == 0 && strcmp(res.s, normal.s) != 0) {
                    printf("# FAILED %s with allocation %ld failing: result '%s', normally '%s'\n", call, k, res.s,
                           normal.s);
                    _exit(10);
                }
                if (rc == 1 && !sqlite3_get_autocommit(db)) {
                    /* SQLite refused the rollback after its out-of-memory
                     * error; the documented recovery (docs/sql-api.md) is
                     * ROLLBACK, and meanwhile no COMMIT may succeed */
                    const char *cp = "COMMIT", *rp = "ROLLBACK";
                    sbuf cres = {0};
                    if (run_stmt(db, &cp, &cres) == 0) {
                        printf("# FAILED %s with allocation %ld failing: a COMMIT saved the failed call\n", call, k);
                        _exit(10);
                    }
                    free(cres.s);
                    run_stmt(db, &rp, &res);
                }
                if (rc == 1 && !cases[c].partial) {
                    snapshot(db, &after);
                    if (strcmp(before.s, after.s) != 0) {
                        printf("# FAILED %s with allocation %ld failing (%s): state changed\n#   before: %s\n#   "
                               "after:  %s\n",
                               call, k, res.s, before.s, after.s);
                        _exit(10);
                    }
                }
                if (sqlite3_close(db) != SQLITE_OK) {
                    printf("# FAILED %s with allocation %ld failing: sqlite3_close: statements left open\n", call, k);
                    _exit(10);
                }
                free(res.s);
                free(before.s);
                free(after.s);
                free(normal.s);
                exit(0);
            }
            fflush(stdout);
            waitpid(pid, &st, 0);
            points++;
            if (WIFEXITED(st) && WEXITSTATUS(st) == 77) {
                if (exits++ < 3)
                    printf("# exit() inside %s with allocation %ld failing (known: uthash-oom-exit)\n", call, k);
            } else if (WIFEXITED(st) && WEXITSTATUS(st) == 10) {
                failures++; /* the child said why */
            } else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                if (failures++ - failures_before < 3)
                    printf("# FAILED %s with allocation %ld failing: child %s %d\n", call, k,
                       WIFEXITED(st) ? "exited with status" : "killed by signal",
                       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
            }
        }
        printf("# %s: %ld allocations, %d failures\n", call, n, failures - failures_before);
    }
    printf("oom: %ld fault points, %d failures, %d exits\n", points, failures, exits);
    sqlite3_close(db);
    free(res.s);
    free(before.s);
    free(after.s);
    free(normal.s);
    return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
    sqlite3 *conns[2] = {NULL, NULL};
    int i, rc = 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 4 && strcmp(argv[1], "--oom") == 0) {
        ext_path = argv[2];
        return oom_mode(argv[3], argc > 5 ? atoi(argv[4]) : -1, argc > 5 ? atol(argv[5]) : -1);
    }
    if (argc < 4) {
        fprintf(stderr, "usage: %s EXT DB SCRIPT...\n       %s --oom EXT REVDIR\n", argv[0], argv[0]);
        return 2;
    }
    ext_path = argv[1];
    conns[0] = open_db(argv[2]);
    for (i = 3; i < argc; i++)
        rc |= run_script(argv[2], conns, argv[i]);
    for (i = 0; i < 2; i++)
        if (conns[i] && sqlite3_close(conns[i]) != SQLITE_OK) {
            printf("# FAILED: connection %d does not close: %s\n", i + 1, sqlite3_errmsg(conns[i]));
            rc = 1;
        }
    sqlite3_shutdown();
    return rc;
}
