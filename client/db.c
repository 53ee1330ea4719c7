/*
 * db.c — the client's connection: libpq for PostgreSQL, libsqlite3 with
 * mig's SQLite extension linked in (registered on every connection, so a
 * SQLite user needs nothing else).
 */
#include "mig.h"
#include "mig_sqlite.h"
#include "sqltok.h"

#include <dlfcn.h>
#include <openssl/evp.h>
#include <jansson.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* libpq is loaded (dlopen) when a PostgreSQL URL is used, not linked: with
 * its twenty dependencies (Kerberos, LDAP, GnuTLS, ...) it cost every run
 * 2 ms of loading and relocation, more than `mig current` on SQLite takes
 * in all.  Every PQ* call below goes through this table. */
#define PQ_FUNCS(X)                                                                                                    \
    X(PQclear) X(PQconnectdbParams) X(PQconninfoFree) X(PQconninfoParse) X(PQdb) X(PQerrorMessage) X(PQexec)           \
    X(PQexecParams) X(PQfinish) X(PQfreemem) X(PQgetisnull) X(PQgetvalue) X(PQnfields) X(PQntuples)                    \
    X(PQresultErrorField) X(PQresultStatus) X(PQsetNoticeReceiver) X(PQstatus) X(PQuser) X(PQescapeIdentifier)        \
    X(PQescapeLiteral) X(PQtransactionStatus)
/* libpq 14's pipeline mode, when there (the client's engine sends a step's
 * statements in one round trip with it) */
#define PQ_PIPE_FUNCS(X) X(PQenterPipelineMode) X(PQexitPipelineMode) X(PQpipelineSync) X(PQsendQueryParams) X(PQgetResult)
#define PQ_PTR(f) __typeof__(f) *f;
static struct {
    int loaded;
    int pipeline;
    PQ_FUNCS(PQ_PTR)
    PQ_PIPE_FUNCS(PQ_PTR)
} pq;

static int pq_load(mig_err *err)
{
    static const char SONAME[] = "libpq.so.5";
    void *h, *sym;
    if (pq.loaded)
        return 0;
    if (!(h = dlopen(SONAME, RTLD_NOW | RTLD_LOCAL)))
        return mig_fail(err, MIG_E_USAGE, "PostgreSQL needs libpq (%s): %s; install it (Debian: apt-get install libpq5)",
                        SONAME, dlerror());
#define PQ_SYM(f)                                                                                                      \
    if (!(sym = dlsym(h, #f)))                                                                                         \
        return mig_fail(err, MIG_E_USAGE, "%s has no %s: %s", SONAME, #f, dlerror());                                  \
    memcpy(&pq.f, &sym, sizeof sym);
    PQ_FUNCS(PQ_SYM)
#undef PQ_SYM
    pq.pipeline = 1;
#define PQ_OPT(f)                                                                                                      \
    if ((sym = dlsym(h, #f)) != NULL)                                                                                  \
        memcpy(&pq.f, &sym, sizeof sym);                                                                               \
    else                                                                                                               \
        pq.pipeline = 0;
    PQ_PIPE_FUNCS(PQ_OPT)
#undef PQ_OPT
    pq.loaded = 1;
    return 0;
}

#define PQclear pq.PQclear
#define PQconnectdbParams pq.PQconnectdbParams
#define PQconninfoFree pq.PQconninfoFree
#define PQconninfoParse pq.PQconninfoParse
#define PQdb pq.PQdb
#define PQerrorMessage pq.PQerrorMessage
#define PQexec pq.PQexec
#define PQexecParams pq.PQexecParams
#define PQfinish pq.PQfinish
#define PQfreemem pq.PQfreemem
#define PQgetisnull pq.PQgetisnull
#define PQgetvalue pq.PQgetvalue
#define PQnfields pq.PQnfields
#define PQntuples pq.PQntuples
#define PQresultErrorField pq.PQresultErrorField
#define PQresultStatus pq.PQresultStatus
#define PQsetNoticeReceiver pq.PQsetNoticeReceiver
#define PQstatus pq.PQstatus
#define PQuser pq.PQuser
#define PQescapeIdentifier pq.PQescapeIdentifier
#define PQescapeLiteral pq.PQescapeLiteral
#define PQtransactionStatus pq.PQtransactionStatus
#define PQenterPipelineMode pq.PQenterPipelineMode
#define PQexitPipelineMode pq.PQexitPipelineMode
#define PQpipelineSync pq.PQpipelineSync
#define PQsendQueryParams pq.PQsendQueryParams
#define PQgetResult pq.PQgetResult

/* the state tables of schema mig, from the extension's install script (Makefile) */
#include "state_pg.h"
/* ... and what only the client's engine adds: mig_x() for the revisions it
 * runs (the x-arguments of the run are the setting mig_client.x of the step,
 * see pg_engine.c); schema mig comes last in the bodies' search path */
#define MIG_PG_CLIENT_DDL                                                                                              \
    "CREATE FUNCTION mig.mig_x(name text) RETURNS text LANGUAGE sql STABLE SET search_path = pg_catalog AS "           \
    "$$ SELECT (NULLIF(pg_catalog.current_setting('mig_client.x', true), '')::pg_catalog.json) "            \
    "OPERATOR(pg_catalog.->>) name $$;\n"

struct db {
    mig_dialect kind;
    mig_arena *ar;
    sqlite3 *sq;
    PGconn *pg;
    const char *display;     /* the URL without its password */
    const char *fn_prefix;   /* "" or "\"schema\"." (PostgreSQL: the extension's schema) */
    int has_mig;             /* PG: the extension exists */
    int in_txn;
    db_progress_fn progress;
    void *progress_arg;
    int show_notices;
    int lock_fd;             /* SQLite: the flock() of the run, or -1 */
    int busy_said;           /* SQLite: "waiting for ..." printed for this wait */
    const char *user_path;   /* PG: the session's search_path as it came (revision bodies run with it) */
    mig_err last;            /* SQLite: the error of the mig call that failed in the last statement */
    void *mig_conn;          /* SQLite: mig's state of the connection (mig_sqlite_release) */
    int client_engine;       /* PG: the engine runs here (pg_engine.c), not in the extension */
    const char *ext_prefix;  /* PG: "schema." of the mig extension when it is installed, else NULL */
    int client_state;        /* PG: schema mig's tables exist without the extension */
    int path_body;           /* PG: the session's search path is the bodies' (db_body_path(d, 1)) */
    int last_pos;            /* PG: the position of the last error in its statement (1-based), or 0 */
    db_engine_known known;   /* PG: pg_engine.c's */
};

/* ---- which engine runs a PostgreSQL database's migrations ---------------------- */

static int engine_pref = DB_ENGINE_AUTO, engine_quiet, engine_said;

void db_set_engine(int pref, int quiet)
{
    engine_pref = pref;
    engine_quiet = quiet;
}

/* Say once, on standard error, that the client runs the engine. */
static void use_client_engine(db *d, const char *why)
{
    d->client_engine = 1;
    d->has_mig = 1;
    d->fn_prefix = "";
    if (!engine_said++ && !engine_quiet)
        fprintf(stderr, "mig: engine: client (%s)\n", why);
}

db_engine_known *db_engine_state(db *d)
{
    return &d->known;
}

int db_client_engine(const db *d)
{
    return d->client_engine;
}

const char *db_state_ddl(void)
{
    return MIG_PG_STATE_DDL MIG_PG_CLIENT_DDL;
}

int db_last_position(const db *d)
{
    return d->last_pos;
}

int db_in_transaction(db *d)
{
    return PQtransactionStatus(d->pg) != PQTRANS_IDLE;
}

void db_report_progress(db *d, const char *line)
{
    if (d->progress)
        d->progress(d->progress_arg, line);
}

int db_wants_progress(const db *d)
{
    return d->progress != NULL;
}

int db_path_is_body(const db *d)
{
    return d->path_body;
}

const char *db_user_path(const db *d)
{
    return d->user_path ? d->user_path : "";
}

/*
 * SQLite's write lock held by another connection (an application's, not a
 * mig client's: those wait on the flock first): wait up to 30 s, as
 * busy_timeout would, but say once that we are waiting, and for what.
 */
static int sq_busy(void *arg, int count)
{
    db *d = arg;
    if (count == 0)
        d->busy_said = 0;
    if (count >= 600) /* 600 x 50 ms */
        return 0;
    if (count == 4 && !d->busy_said && d->show_notices) {
        fprintf(stderr, "mig: waiting for another connection's write lock on %s (up to 30 s) ...\n", d->display);
        d->busy_said = 1;
    }
    usleep(50000);
    return 1;
}

mig_dialect db_kindof(const db *d)
{
    return d->kind;
}
const char *db_display(const db *d)
{
    return d->display;
}
int db_has_mig(const db *d)
{
    return d->has_mig;
}

/* The extension's step notices (mig.progress, on since the connection)
 * off for this session: a run that prints no step (-q) spares the server a
 * message, a flush and a wakeup of this process per step (40% of the
 * server's time on 20,000 one-line revisions). */
int db_progress_off(db *d, mig_err *err)
{
    if (!d->pg || d->client_engine)
        return 0;
    return db_exec(d, "SET mig.progress = off", err);
}

void db_set_progress(db *d, db_progress_fn fn, void *arg, int show_notices)
{
    d->progress = fn;
    d->progress_arg = arg;
    d->show_notices = show_notices;
}

static void sq_progress(void *arg, const char *line)
{
    db *d = arg;
    if (d->progress)
        d->progress(d->progress_arg, line);
}

/* ---- URLs ------------------------------------------------------------------ */

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

/* The SQLite file of a URL, or NULL when it is not a SQLite URL. */
static const char *sqlite_path(mig_arena *ar, const char *url)
{
    if (strncmp(url, "sqlite:///", 10) == 0)
        return url + 10;
    if (strcmp(url, "sqlite://") == 0 || strcmp(url, "sqlite:") == 0)
        return ":memory:";
    if (strncmp(url, "sqlite://", 9) == 0)
        return NULL; /* sqlite://host/... is not a thing */
    if (strncmp(url, "sqlite:", 7) == 0)
        return url + 7;
    if (!strstr(url, "://") && !strchr(url, '=') &&
        (ends_with(url, ".db") || ends_with(url, ".sqlite") || ends_with(url, ".sqlite3")))
        return mig_strdup(ar, url);
    return NULL;
}

static int is_pg_url(const char *url)
{
    return strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0 ||
           (strchr(url, '=') && !strstr(url, "://"));
}

/* postgresql://user@host:port/dbname, never the password. */
static const char *pg_display(mig_arena *ar, const char *url)
{
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &err), *o;
    const char *host = NULL, *port = NULL, *dbname = NULL, *user = NULL;
    const char *out;
    if (!opts) {
        PQfreemem(err);
        return "postgresql://(unparsable connection string)";
    }
    for (o = opts; o->keyword; o++) {
        if (!o->val || !*o->val)
            continue;
        if (strcmp(o->keyword, "host") == 0)
            host = o->val;
        else if (strcmp(o->keyword, "port") == 0)
            port = o->val;
        else if (strcmp(o->keyword, "dbname") == 0)
            dbname = o->val;
        else if (strcmp(o->keyword, "user") == 0)
            user = o->val;
    }
    out = mig_sprintf(ar, "postgresql://%s%s%s%s%s/%s", user ? user : "", user ? "@" : "",
                      host ? (host[0] == '/' ? "" : host) : "", port ? ":" : "", port ? port : "",
                      dbname ? dbname : "");
    if (host && host[0] == '/')
        out = mig_sprintf(ar, "%s?host=%s", out, host);
    PQconninfoFree(opts);
    return out;
}

/* One line of a libpq message (they end with newlines, some span two lines). */
static const char *one_line(mig_arena *ar, const char *m)
{
    char *s = mig_strdup(ar, m ? m : "");
    size_t n = strlen(s);
    char *p;
    while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
        s[--n] = 0;
    for (p = s; *p; p++)
        if (*p == '\n')
            *p = ' ';
    for (p = s; *p; p++)
        if (*p == '\t')
            *p = ' ';
    return s;
}

/* ---- PostgreSQL notices: mig's progress lines and the rest ------------------------ */

static void pg_notice(void *arg, const PGresult *res)
{
    db *d = arg;
    const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY);
    if (!msg)
        return;
    if (strncmp(msg, "Running upgrade ", 16) == 0 || strncmp(msg, "Running downgrade ", 18) == 0) {
        if (d->progress)
            d->progress(d->progress_arg, msg);
        return;
    }
    if (d->show_notices) /* a revision's own notices, as psql shows them (not with -q or --json) */
        fprintf(stderr, "%s:  %s\n", sev ? sev : "NOTICE", msg);
}

/* ---- open / close ------------------------------------------------------------ */

/* SQLAlchemy's form, which DATABASE_URL often holds: postgresql+psycopg2://
 * and sqlite+pysqlite:/// name a driver too; the database is the same. */
static const char *strip_driver(mig_arena *ar, const char *url)
{
    const char *plus = strchr(url, '+'), *sep = strstr(url, "://");
    size_t i;
    if (!plus || !sep || plus > sep)
        return url;
    for (i = 0; url + i < plus; i++)
        if (!(url[i] >= 'a' && url[i] <= 'z'))
            return url;
    if (strncmp(url, "postgresql+", 11) != 0 && strncmp(url, "postgres+", 9) != 0 && strncmp(url, "sqlite+", 7) != 0)
        return url;
    return mig_sprintf(ar, "%.*s%s", (int)(plus - url), url, sep);
}

static int unrecognised(mig_err *err, const char *url_from)
{
    return mig_fail(err, MIG_E_INPUT,
                    "unrecognised database URL from %s: use sqlite:PATH, a file ending in .db/.sqlite/.sqlite3, "
                    "postgresql://... or a libpq connection string such as 'host=/tmp dbname=app'",
                    url_from);
}

int db_url_kind(mig_arena *ar, const char *url, const char *url_from, mig_dialect *kind, mig_err *err)
{
    if (!url)
        return mig_fail(err, MIG_E_INPUT, "no database: give --url, set MIG_URL, or put url = ... in mig.ini");
    url = strip_driver(ar, url);
    if (sqlite_path(ar, url))
        *kind = MIG_DIALECT_SQLITE;
    else if (is_pg_url(url))
        *kind = MIG_DIALECT_POSTGRES;
    else
        return unrecognised(err, url_from);
    return 0;
}

/* ---- the revision store's digest ---------------------------------------------------------------
 *
 * One SHA-256 over what the store holds for an env, a line per revision:
 * "id TAB checksum TAB down TAB labels TAB depends TAB message TAB
 * transactional(1/0) LF", the lines in the order of SQLite's graph index
 * (down_revisions, branch_labels, depends_on, message, checksum,
 * transactional, revision; text in byte order), which SQLite reads without
 * sorting.  The client computes the same over its files (files.c,
 * files_digest): equal digests mean nothing to upload and nothing edited,
 * without bringing 100,000 rows into the client.  Only a shortcut: when
 * the database cannot say (NULL), or the rows come in another order (the
 * digests differ), the rows are compared one by one. */

typedef struct digest_state {
    EVP_MD_CTX *md;
    int bad;
    char *buf;         /* the line of a row (sqlite3_malloc) */
    size_t cap;
} digest_state;

static void digest_step(sqlite3_context *sctx, int argc, sqlite3_value **argv)
{
    digest_state *st = sqlite3_aggregate_context(sctx, sizeof *st);
    int i;
    size_t n = 0, need = 3;
    if (!st || st->bad)
        return;
    if (!st->md && (st->md = EVP_MD_CTX_new()) != NULL && !EVP_DigestInit_ex(st->md, EVP_sha256(), NULL))
        st->bad = 1;
    if (!st->md) {
        st->bad = 1; /* no memory: the caller compares rows */
        return;
    }
    /* the row's line in one buffer, one update */
    for (i = 0; i < argc - 1; i++) {
        (void)sqlite3_value_text(argv[i]);
        need += (size_t)sqlite3_value_bytes(argv[i]) + 1;
    }
    if (need > st->cap) {
        char *b = sqlite3_realloc64(st->buf, need * 2);
        if (!b) {
            st->bad = 1;
            return;
        }
        st->buf = b;
        st->cap = need * 2;
    }
    for (i = 0; i < argc - 1; i++) {
        const unsigned char *t = sqlite3_value_text(argv[i]);
        size_t len = t ? (size_t)sqlite3_value_bytes(argv[i]) : 0;
        if (len)
            memcpy(st->buf + n, t, len);
        n += len;
        st->buf[n++] = '\t';
    }
    memcpy(st->buf + n, sqlite3_value_int(argv[argc - 1]) ? "1\n" : "0\n", 2);
    n += 2;
    if (!EVP_DigestUpdate(st->md, st->buf, n))
        st->bad = 1;
}

static void digest_final(sqlite3_context *sctx)
{
    digest_state *st = sqlite3_aggregate_context(sctx, 0);
    unsigned char h[EVP_MAX_MD_SIZE];
    unsigned hl = 0, i;
    char hex[65];
    EVP_MD_CTX *md = st ? st->md : NULL;
    int fresh = md == NULL, ok;
    if (st && st->bad) {
        sqlite3_result_null(sctx);
        goto done;
    }
    if (fresh) /* no row: the digest of nothing */
        md = EVP_MD_CTX_new();
    ok = md && (!fresh || EVP_DigestInit_ex(md, EVP_sha256(), NULL)) && EVP_DigestFinal_ex(md, h, &hl) && hl == 32;
    if (fresh)
        EVP_MD_CTX_free(md);
    if (!ok) {
        sqlite3_result_null(sctx);
        goto done;
    }
    for (i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", h[i]);
    sqlite3_result_text(sctx, hex, 64, SQLITE_TRANSIENT);
done:
    if (st) {
        EVP_MD_CTX_free(st->md);
        sqlite3_free(st->buf);
        st->md = NULL;
        st->buf = NULL;
    }
}

int db_store_digest(db *d, const char *env, const char **out, mig_err *err)
{
    const char *p[1] = {env};
    *out = NULL;
    if (d->kind == MIG_DIALECT_POSTGRES)
        return db_call_sql(
            d,
            mig_sprintf(d->ar,
                        "SELECT pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.string_agg("
                        "revision || E'\\t' || checksum || E'\\t' || down_revisions || E'\\t' || branch_labels || "
                        "E'\\t' || depends_on || E'\\t' || message || E'\\t' || CASE WHEN transactional THEN '1' "
                        "ELSE '0' END || E'\\n', '' ORDER BY down_revisions COLLATE \"C\", branch_labels COLLATE \"C\", "
                        "depends_on COLLATE \"C\", message COLLATE \"C\", checksum COLLATE \"C\", transactional, "
                        "revision COLLATE \"C\"), 'UTF8')), 'hex') "
                        "FROM %s WHERE env = $1",
                        db_table(d, "mig_revision")),
            1, p, out, err);
    /* the graph index (it covers these columns) in its own order: no sort,
     * no row of the table read */
    return db_call_sql(d,
                       mig_sprintf(d->ar,
                                   "SELECT mig_client_digest(revision, checksum, down_revisions, branch_labels, "
                                   "depends_on, message, transactional) FROM (SELECT revision, checksum, "
                                   "down_revisions, branch_labels, depends_on, message, transactional FROM %s "
                                   "WHERE env = $1 ORDER BY down_revisions, branch_labels, depends_on, message, checksum, "
                                   "transactional, revision)",
                                   db_table(d, "mig_revision")),
                       1, p, out, err);
}

db *db_open(mig_arena *ar, const char *url, const char *url_from, int write, mig_err *err)
{
    db *d;
    const char *path;
    if (!url) {
        mig_fail(err, MIG_E_INPUT, "no database: give --url, set MIG_URL, or put url = ... in mig.ini");
        return NULL;
    }
    url = strip_driver(ar, url);
    d = mig_alloc0(ar, sizeof *d);
    d->ar = ar;
    d->lock_fd = -1;
    d->fn_prefix = "";
    if ((path = sqlite_path(ar, url)) != NULL) {
        int flags = SQLITE_OPEN_READWRITE | (write ? SQLITE_OPEN_CREATE : 0);
        /* the in-memory scratch database of autogenerate (autogen.c): a
         * memdb URI, which every connection of this process shares while one
         * is open; other URLs are file names, as always */
        if (strncmp(path, DB_SCRATCH_MEMDB, strlen(DB_SCRATCH_MEMDB)) == 0 && strstr(path, "?vfs=memdb"))
            flags |= SQLITE_OPEN_URI;
        char *zerr = NULL;
        struct stat st;
        d->kind = MIG_DIALECT_SQLITE;
        d->display = mig_sprintf(ar, "sqlite:%s", path);
        if (!write && strcmp(path, ":memory:") != 0 && stat(path, &st) != 0 && errno == ENOENT) {
            /* reading a database that does not exist: it is at base; do not create it */
            path = ":memory:";
        }
        if (sqlite3_open_v2(path, &d->sq, flags, NULL) != SQLITE_OK) {
            mig_fail(err, MIG_E_SQL, "cannot open %s (from %s): %s", d->display, url_from,
                     d->sq ? sqlite3_errmsg(d->sq) : "out of memory");
            sqlite3_close(d->sq);
            return NULL;
        }
        sqlite3_busy_handler(d->sq, sq_busy, d);
        sqlite3_extended_result_codes(d->sq, 1);
        mig_sqlite_host host = {sq_progress, d, &d->last, 1, NULL};
        if (mig_sqlite_register_ex(d->sq, &zerr, &host) != SQLITE_OK) {
            mig_fail(err, MIG_E_SQL, "%s", zerr ? zerr : "cannot register mig's functions");
            sqlite3_free(zerr);
            sqlite3_close(d->sq);
            return NULL;
        }
        d->mig_conn = host.conn;
        /* the client's own function on its own connection (see db_store_digest) */
        if (sqlite3_create_function_v2(d->sq, "mig_client_digest", 7, SQLITE_UTF8 | SQLITE_DIRECTONLY, NULL, NULL,
                                       digest_step, digest_final, NULL) != SQLITE_OK) {
            mig_fail(err, MIG_E_SQL, "cannot register mig's functions: %s", sqlite3_errmsg(d->sq));
            sqlite3_close(d->sq);
            return NULL;
        }
        /* a file that is not a database is found now, not in the middle of a command */
        if (sqlite3_exec(d->sq, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL) != SQLITE_OK) {
            mig_fail(err, MIG_E_SQL, "cannot open %s (from %s): %s", d->display, url_from, sqlite3_errmsg(d->sq));
            sqlite3_close(d->sq);
            return NULL;
        }
        d->has_mig = 1;
        return d;
    }
    if (!is_pg_url(url)) {
        unrecognised(err, url_from);
        return NULL;
    }
    if (pq_load(err))
        return NULL;
    d->kind = MIG_DIALECT_POSTGRES;
    d->display = pg_display(ar, url);
    {
        char *perr = NULL;
        PQconninfoOption *o = PQconninfoParse(url, &perr);
        if (!o) {
            /* libpq quotes the URL (or a piece of it) in its message: keep the
             * words before the first quote, never the password */
            char *m = (char *)one_line(ar, perr), *q = strchr(m, '"');
            size_t n;
            if (q)
                *q = 0;
            n = strlen(m);
            while (n && (m[n - 1] == ' ' || m[n - 1] == ':'))
                m[--n] = 0;
            if (n > 7 && strcmp(m + n - 7, " in URI") == 0)
                m[n - 7] = 0;
            mig_fail(err, MIG_E_INPUT, "invalid PostgreSQL URL from %s: %s", url_from, m);
            PQfreemem(perr);
            return NULL;
        }
        PQconninfoFree(o);
    }
    {
        const char *keys[] = {"dbname", "fallback_application_name", NULL};
        const char *vals[] = {url, "mig", NULL};
        d->pg = PQconnectdbParams(keys, vals, 1);
    }
    if (!d->pg || PQstatus(d->pg) != CONNECTION_OK) {
        mig_fail(err, MIG_E_SQL, "cannot connect to %s (from %s): %s", d->display, url_from,
                 d->pg ? one_line(ar, PQerrorMessage(d->pg)) : "out of memory");
        PQfinish(d->pg);
        return NULL;
    }
    PQsetNoticeReceiver(d->pg, pg_notice, d);
    {
        /* the client's own queries run with the search path pinned to
         * pg_catalog, so no schema on the session's path (a role default,
         * PGOPTIONS) can supply an operator or a function to them; revision
         * bodies get the session's own path back (db_body_path) */
        PGresult *r = PQexec(d->pg, "SET mig.progress = on; SELECT pg_catalog.current_setting('search_path'), "
                                    "pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', false)");
        if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
            mig_fail(err, MIG_E_SQL, "%s: %s", d->display, one_line(ar, PQerrorMessage(d->pg)));
            PQclear(r);
            PQfinish(d->pg);
            return NULL;
        }
        d->user_path = mig_strdup(ar, PQgetvalue(r, 0, 0));
        PQclear(r);
    }
    {
        PGresult *r = PQexec(d->pg, "SELECT (SELECT pg_catalog.quote_ident(n.nspname) FROM pg_catalog.pg_extension e "
                                    "JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'mig'), "
                                    "(pg_catalog.to_regclass('mig.mig_version') IS NOT NULL)::pg_catalog.int4");
        if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
            mig_fail(err, MIG_E_SQL, "%s: %s", d->display, one_line(ar, PQerrorMessage(d->pg)));
            PQclear(r);
            PQfinish(d->pg);
            return NULL;
        }
        if (!PQgetisnull(r, 0, 0)) {
            d->has_mig = 1;
            d->fn_prefix = mig_sprintf(ar, "%s.", PQgetvalue(r, 0, 0));
            d->ext_prefix = d->fn_prefix;
        } else
            d->client_state = strcmp(PQgetvalue(r, 0, 1), "1") == 0;
        PQclear(r);
    }
    if (engine_pref == DB_ENGINE_CLIENT)
        use_client_engine(d, d->has_mig ? "--engine client; the mig extension's state tables are used"
                                        : "--engine client");
    else if (engine_pref == DB_ENGINE_AUTO && !d->has_mig && d->client_state)
        use_client_engine(d, "the mig state of this database was made by the client, without the extension");
    else if (engine_pref == DB_ENGINE_EXTENSION && d->client_state) {
        /* read the client's state as it is; a command that writes gives it
         * to the extension first (db_ensure_mig) */
        d->client_engine = 1;
        d->has_mig = 1;
    }
    return d;
}

int db_body_path(db *d, int on, mig_err *err)
{
    const char *p[1];
    if (d->kind != MIG_DIALECT_POSTGRES)
        return 0;
    p[0] = on ? d->user_path : "pg_catalog, pg_temp";
    if (db_call_sql(d, "SELECT pg_catalog.set_config('search_path', $1, false)", 1, p, NULL, err))
        return -1;
    d->path_body = on;
    return 0;
}

void db_close(db *d)
{
    if (!d)
        return;
    if (d->sq) {
        mig_sqlite_release(d->mig_conn); /* mig keeps its statements for the connection */
        if (sqlite3_close(d->sq) != SQLITE_OK) /* a statement left unfinalized: a bug to hear of */
            fprintf(stderr, "mig: warning: %s was not closed cleanly: %s\n", d->display, sqlite3_errmsg(d->sq));
    }
    if (d->pg)
        PQfinish(d->pg);
    d->sq = NULL;
    d->pg = NULL;
    if (d->lock_fd >= 0)
        close(d->lock_fd); /* after sqlite3_close: see db_lock */
    d->lock_fd = -1;
}

/* ---- errors ------------------------------------------------------------------ */

/* The extension names the revision an error is about in a CONTEXT line
 * "mig revision ID: REASON" (docs/sql-api.md). */
static void about_from_context(mig_err *err, const char *context)
{
    const char *p = context, *colon, *end;
    while (p && *p) {
        end = strchr(p, '\n');
        if (!end)
            end = p + strlen(p);
        if (strncmp(p, "mig revision ", 13) == 0 && (colon = memchr(p + 13, ':', (size_t)(end - p - 13))) != NULL &&
            colon + 2 <= end) {
            char id[sizeof err->revision];
            snprintf(id, sizeof id, "%.*s", (int)(colon - p - 13), p + 13);
            mig_err_about(err, mig_reason_named(colon + 2, (size_t)(end - colon - 2)), id);
            return;
        }
        p = *end ? end + 1 : end;
    }
}

static int pg_fail(db *d, PGresult *r, mig_err *err)
{
    const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *det = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL) : NULL;
    const char *hint = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_HINT) : NULL;
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *pos = r ? PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION) : NULL;
    if (!msg)
        msg = one_line(d->ar, PQerrorMessage(d->pg));
    d->last_pos = pos ? atoi(pos) : 0;
    mig_fail(err, MIG_E_SQL, "%s", msg);
    if (state)
        snprintf(err->sqlstate, sizeof err->sqlstate, "%s", state);
    if (det)
        mig_err_detail(err, "%s", det);
    about_from_context(err, r ? PQresultErrorField(r, PG_DIAG_CONTEXT) : NULL);
    if (hint)
        mig_err_hint(err, "%s", hint);
    if (PQstatus(d->pg) != CONNECTION_OK)
        mig_err_prefix(err, "lost the connection to %s: ", d->display);
    return -1;
}

/* A failing statement: the error a mig call in it left (message, detail,
 * hint, reason apart), else SQLite's own message. */
static int sq_fail(db *d, mig_err *err)
{
    if (d->last.code != MIG_OK) {
        *err = d->last;
        return -1;
    }
    return mig_fail(err, MIG_E_SQL, "%s", sqlite3_errmsg(d->sq));
}
/* ---- statements ------------------------------------------------------------------ */

int db_query(db *d, const char *sql, int np, const char *const *params, db_row_fn fn, void *arg, mig_err *err)
{
    if (d->kind == MIG_DIALECT_POSTGRES) {
        PGresult *r = PQexecParams(d->pg, sql, np, NULL, params, NULL, NULL, 0);
        ExecStatusType st = PQresultStatus(r);
        int i, j, rc = 0, nc;
        const char *vals[16];
        if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
            pg_fail(d, r, err);
            PQclear(r);
            return -1;
        }
        nc = PQnfields(r);
        if (nc > 16)
            nc = 16;
        for (i = 0; fn && rc == 0 && i < PQntuples(r); i++) {
            for (j = 0; j < nc; j++)
                vals[j] = PQgetisnull(r, i, j) ? NULL : PQgetvalue(r, i, j);
            rc = fn(arg, nc, vals);
        }
        PQclear(r);
        return rc;
    } else {
        sqlite3_stmt *st = NULL;
        int i, rc;
        mig_err_clear(&d->last);
        if (sqlite3_prepare_v2(d->sq, sql, -1, &st, NULL) != SQLITE_OK)
            return sq_fail(d, err);
        for (i = 0; i < np; i++)
            sqlite3_bind_text(st, i + 1, params[i], -1, SQLITE_STATIC);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            const char *vals[16];
            int j, nc = sqlite3_column_count(st);
            if (nc > 16)
                nc = 16;
            for (j = 0; j < nc; j++)
                vals[j] = (const char *)sqlite3_column_text(st, j);
            if (fn && fn(arg, nc, vals)) {
                sqlite3_finalize(st);
                return -1;
            }
        }
        if (rc != SQLITE_DONE) {
            sq_fail(d, err);
            sqlite3_finalize(st);
            return -1;
        }
        sqlite3_finalize(st);
        return 0;
    }
}

/* SQLite: one statement, prepared once, run for each of args[0..n) as its
 * ?1 (with arg2 as ?2); each must return one row.  A bulk upload calls
 * mig_put_revision() this way, without a batch document to write and
 * parse. */
int db_call_each(db *d, const char *sql, int n, const char *const *args, const char *arg2, mig_err *err)
{
    sqlite3_stmt *st = NULL;
    int i, rc = 0;
    mig_err_clear(&d->last);
    if (d->kind != MIG_DIALECT_SQLITE)
        return mig_fail(err, MIG_E_USAGE, "db_call_each: SQLite only");
    if (sqlite3_prepare_v2(d->sq, sql, -1, &st, NULL) != SQLITE_OK)
        return sq_fail(d, err);
    sqlite3_bind_text(st, 2, arg2, -1, SQLITE_STATIC);
    for (i = 0; i < n && rc == 0; i++) {
        sqlite3_bind_text(st, 1, args[i], -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_ROW || sqlite3_step(st) != SQLITE_DONE)
            rc = sq_fail(d, err);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc;
}

/*
 * PostgreSQL: statements sql[0..n) in one round trip (libpq's pipeline
 * mode; one statement each, the extended protocol), the last one with the
 * parameters and the row callback.  The server runs them in order and
 * skips the rest after one fails: *failed is its index (-1: none).  Without
 * pipeline mode (libpq before 14) they go one by one.
 */
int db_pipeline(db *d, int n, const char *const *sql, int np, const char *const *params, db_row_fn fn, void *arg,
                int *failed, mig_err *err)
{
    int i, rc = 0, sync_seen = 0;
    PGresult *r;
    *failed = -1;
    if (!pq.pipeline || n == 1) {
        for (i = 0; i < n; i++)
            if (db_query(d, sql[i], i == n - 1 ? np : 0, i == n - 1 ? params : NULL, i == n - 1 ? fn : NULL, arg,
                         err)) {
                *failed = i;
                return -1;
            }
        return 0;
    }
    if (!PQenterPipelineMode(d->pg))
        return pg_fail(d, NULL, err);
    for (i = 0; i < n; i++)
        if (!PQsendQueryParams(d->pg, sql[i], i == n - 1 ? np : 0, NULL, i == n - 1 ? params : NULL, NULL, NULL, 0)) {
            rc = pg_fail(d, NULL, err);
            *failed = i;
            break;
        }
    if (!PQpipelineSync(d->pg) && rc == 0) {
        rc = pg_fail(d, NULL, err);
        *failed = 0;
    }
    /* every query's results (then a NULL), up to the sync */
    for (i = 0; !sync_seen;) {
        r = PQgetResult(d->pg);
        if (!r) {
            i++;
            if (i > n + 1)
                break; /* (the connection is gone) */
            continue;
        }
        switch (PQresultStatus(r)) {
        case PGRES_PIPELINE_SYNC:
            sync_seen = 1;
            break;
        case PGRES_TUPLES_OK:
        case PGRES_COMMAND_OK:
        case PGRES_EMPTY_QUERY:
            if (i == n - 1 && fn && rc == 0) {
                int k, j, nc = PQnfields(r);
                const char *vals[16];
                if (nc > 16)
                    nc = 16;
                for (k = 0; rc == 0 && k < PQntuples(r); k++) {
                    for (j = 0; j < nc; j++)
                        vals[j] = PQgetisnull(r, k, j) ? NULL : PQgetvalue(r, k, j);
                    if (fn(arg, nc, vals)) {
                        rc = -1;
                        *failed = i;
                    }
                }
            }
            break;
        case PGRES_PIPELINE_ABORTED:
            break;
        default:
            if (rc == 0) {
                pg_fail(d, r, err);
                rc = -1;
                *failed = i;
            }
            break;
        }
        PQclear(r);
    }
    if (!PQexitPipelineMode(d->pg) && rc == 0) {
        rc = pg_fail(d, NULL, err);
        *failed = n - 1;
    }
    return rc;
}

int db_exec(db *d, const char *sql, mig_err *err)
{
    if (d->kind == MIG_DIALECT_POSTGRES) {
        PGresult *r = PQexec(d->pg, sql);
        ExecStatusType st = PQresultStatus(r);
        if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK && st != PGRES_EMPTY_QUERY) {
            pg_fail(d, r, err);
            PQclear(r);
            return -1;
        }
        PQclear(r);
        return 0;
    }
    mig_err_clear(&d->last);
    if (sqlite3_exec(d->sq, sql, NULL, NULL, NULL) != SQLITE_OK)
        return sq_fail(d, err);
    return 0;
}

const char *db_fn(db *d, const char *fn)
{
    return mig_sprintf(d->ar, "%s%s", d->fn_prefix, fn);
}

const char *db_table(db *d, const char *t)
{
    return mig_sprintf(d->ar, "%s%s", d->kind == MIG_DIALECT_POSTGRES ? "mig." : "main.", t);
}

typedef struct {
    mig_arena *ar;
    const char **out;
} one_val;

static int take_one(void *arg, int nc, const char *const *v)
{
    one_val *o = arg;
    *o->out = nc > 0 && v[0] ? mig_strdup(o->ar, v[0]) : NULL;
    return 0;
}

int db_call(db *d, const char *fn, int np, const char *const *params, const char **out, mig_err *err)
{
    mig_buf b;
    int i;
    one_val o;
    if (d->client_engine && pge_handles(fn))
        return pge_call(d, d->ar, fn, np, params, out, NULL, NULL, err);
    mig_buf_init(&b, d->ar);
    mig_buf_printf(&b, "SELECT %s%s(", d->fn_prefix, fn);
    for (i = 0; i < np; i++)
        mig_buf_printf(&b, "%s$%d%s", i ? ", " : "", i + 1, d->kind == MIG_DIALECT_POSTGRES ? "::pg_catalog.text" : "");
    mig_buf_puts(&b, ")");
    if (d->kind == MIG_DIALECT_POSTGRES && strcmp(fn, "mig_check") == 0) {
        b.len = 0;
        mig_buf_printf(&b, "SELECT %smig_check($1::pg_catalog.text)::pg_catalog.int4", d->fn_prefix);
    }
    *out = NULL;
    o.ar = d->ar;
    o.out = out;
    return db_query(d, b.data, np, params, take_one, &o, err);
}

int db_call_sql(db *d, const char *sql, int np, const char *const *params, const char **out, mig_err *err)
{
    const char *dummy = NULL;
    one_val o;
    o.ar = d->ar;
    o.out = out ? out : &dummy;
    *o.out = NULL;
    return db_query(d, sql, np, params, take_one, &o, err);
}

static int exists_row(void *arg, int nc, const char *const *v)
{
    (void)nc;
    (void)v;
    *(int *)arg = 1;
    return 0;
}

int db_state_exists(db *d, mig_err *err)
{
    int found = 0;
    if (d->kind == MIG_DIALECT_POSTGRES && d->client_engine)
        return db_query(d, "SELECT 1 WHERE pg_catalog.to_regclass('mig.mig_version') IS NOT NULL", 0, NULL,
                        exists_row, &found, err)
                   ? -1
                   : found;
    if (d->kind == MIG_DIALECT_POSTGRES)
        return d->has_mig;
    if (db_query(d, "SELECT 1 FROM main.sqlite_schema WHERE type = 'table' AND name = 'mig_revision'", 0, NULL,
                 exists_row, &found, err))
        return -1;
    return found;
}

/* ---- the extension (PostgreSQL) --------------------------------------------------- */

/*
 * --engine extension on a database whose state the client made: create the
 * extension and give it that state, in one transaction.  The client's
 * schema mig is renamed aside, CREATE EXTENSION mig makes its own (the same
 * tables: both come from sql/mig--0.4.sql), the rows are copied, the
 * sequences moved on, and the old schema dropped.
 */
static int adopt_client_state(db *d, mig_err *err)
{
    static const char ADOPT[] =
        "ALTER SCHEMA mig RENAME TO mig_adopt_client; "
        "CREATE EXTENSION mig; "
        "INSERT INTO mig.mig_revision SELECT * FROM mig_adopt_client.mig_revision; "
        "INSERT INTO mig.mig_version SELECT * FROM mig_adopt_client.mig_version; "
        "INSERT INTO mig.mig_history SELECT * FROM mig_adopt_client.mig_history; "
        "SELECT pg_catalog.setval('mig.mig_revision_seq_seq', pg_catalog.max(seq), true) FROM mig.mig_revision "
        "HAVING pg_catalog.count(*) > 0; "
        "SELECT pg_catalog.setval('mig.mig_history_id_seq', pg_catalog.max(id), true) FROM mig.mig_history "
        "HAVING pg_catalog.count(*) > 0; "
        "DROP SCHEMA mig_adopt_client CASCADE";
    int rc;
    /* the extension goes where the session would create it */
    if (db_body_path(d, 1, err))
        return -1;
    rc = db_exec(d, d->in_txn ? "SAVEPOINT mig_ext" : "BEGIN", err) ||
         db_exec(d, ADOPT, err) || db_exec(d, d->in_txn ? "RELEASE mig_ext" : "COMMIT", err);
    if (rc) {
        mig_err e2;
        mig_err_clear(&e2);
        db_exec(d, d->in_txn ? "ROLLBACK TO SAVEPOINT mig_ext; RELEASE mig_ext" : "ROLLBACK", &e2);
        mig_err_prefix(err, "cannot give the client's mig state to the extension: ");
        db_body_path(d, 0, &e2);
        return -1;
    }
    if (db_body_path(d, 0, err))
        return -1;
    {
        PGresult *r = PQexec(d->pg, "SELECT pg_catalog.quote_ident(n.nspname) FROM pg_catalog.pg_extension e "
                                    "JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'mig'");
        if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
            d->has_mig = 1;
            d->client_state = 0;
            d->fn_prefix = mig_sprintf(d->ar, "%s.", PQgetvalue(r, 0, 0));
            d->ext_prefix = d->fn_prefix;
        }
        PQclear(r);
    }
    if (!d->has_mig)
        return mig_fail(err, MIG_E_SQL, "CREATE EXTENSION mig did not create it");
    if (!engine_quiet)
        fprintf(stderr, "mig: engine: extension (created; it adopted the state the client had made)\n");
    return 0;
}

int db_ensure_mig(db *d, mig_err *err)
{
    PGresult *r;
    const char *state;
    int tries;
    if (d->client_state && engine_pref == DB_ENGINE_EXTENSION) {
        d->client_engine = 0;
        d->has_mig = 0;
        return adopt_client_state(d, err);
    }
    if (d->has_mig)
        return 0;
    r = PQexec(d->pg, "SELECT 1 FROM pg_catalog.pg_available_extensions WHERE name = 'mig'");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        pg_fail(d, r, err);
        PQclear(r);
        return -1;
    }
    if (PQntuples(r) == 0) {
        PQclear(r);
        if (engine_pref == DB_ENGINE_AUTO) {
            use_client_engine(d, "the mig extension is not installed on this server");
            return 0;
        }
        mig_fail(err, MIG_E_USAGE, "the mig extension is not installed on the server of %s", d->display);
        mig_err_hint(err, "An administrator must install it on the database server (make -C pg_ext install, "
                          "from mig's sources), then run in this database: CREATE EXTENSION mig;");
        return -1;
    }
    PQclear(r);
    /* the extension goes where the session would create it (its own search
     * path, not the client's pinned one) */
    if (db_body_path(d, 1, err))
        return -1;
    for (tries = 0;; tries++) {
        r = PQexec(d->pg, d->in_txn ? "SAVEPOINT mig_ext; CREATE EXTENSION IF NOT EXISTS mig; RELEASE mig_ext"
                                    : "CREATE EXTENSION IF NOT EXISTS mig");
        state = PQresultStatus(r) == PGRES_COMMAND_OK ? NULL : PQresultErrorField(r, PG_DIAG_SQLSTATE);
        if (tries > 0 || !state || strcmp(state, "23505") != 0)
            break;
        /* another client created it at the same time: it exists now */
        PQclear(r);
        if (d->in_txn)
            PQclear(PQexec(d->pg, "ROLLBACK TO SAVEPOINT mig_ext; RELEASE mig_ext"));
    }
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        const char *user = PQuser(d->pg), *dbn = PQdb(d->pg);
        state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        if (state && strcmp(state, "42501") == 0 && engine_pref == DB_ENGINE_AUTO) {
            /* managed PostgreSQL: no extension for this role; the engine runs here */
            mig_err e2;
            PQclear(r);
            if (d->in_txn)
                PQclear(PQexec(d->pg, "ROLLBACK TO SAVEPOINT mig_ext; RELEASE mig_ext"));
            mig_err_clear(&e2);
            db_body_path(d, 0, &e2);
            use_client_engine(d, mig_sprintf(d->ar, "role \"%s\" may not create the mig extension", user));
            return 0;
        }
        if (state && strcmp(state, "42501") == 0) {
            mig_fail(err, MIG_E_USAGE,
                     "mig is not set up in database \"%s\", and role \"%s\" may not create extensions there", dbn,
                     user);
            mig_err_hint(err,
                         "An administrator must run, in database \"%s\": CREATE EXTENSION mig; "
                         "GRANT USAGE ON SCHEMA mig TO \"%s\"; "
                         "GRANT SELECT ON ALL TABLES IN SCHEMA mig TO \"%s\"; "
                         "GRANT EXECUTE ON FUNCTION mig_put_revision(text, text), mig_remove_revision(text, text), "
                         "mig_upgrade(text, text), mig_downgrade(text, text), mig_stamp(text, text), "
                         "mig_lock(text), mig_unlock(text) TO \"%s\"; "
                         "GRANT EXECUTE ON PROCEDURE mig_run(text, text, text) TO \"%s\";  "
                         "(see PRIVILEGES in man mig)",
                         dbn, user, user, user, user);
        } else
            pg_fail(d, r, err);
        PQclear(r);
        if (d->in_txn) {
            r = PQexec(d->pg, "ROLLBACK TO SAVEPOINT mig_ext; RELEASE mig_ext");
            PQclear(r);
        }
        {
            mig_err e2;
            mig_err_clear(&e2);
            db_body_path(d, 0, &e2);
        }
        return -1;
    }
    PQclear(r);
    if (db_body_path(d, 0, err))
        return -1;
    r = PQexec(d->pg, "SELECT pg_catalog.quote_ident(n.nspname) FROM pg_catalog.pg_extension e "
                      "JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'mig'");
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
        d->has_mig = 1;
        d->fn_prefix = mig_sprintf(d->ar, "%s.", PQgetvalue(r, 0, 0));
        d->ext_prefix = d->fn_prefix;
    }
    PQclear(r);
    return d->has_mig ? 0 : mig_fail(err, MIG_E_SQL, "CREATE EXTENSION mig did not create it");
}

/* ---- transactions and the lock --------------------------------------------------------- */

int db_lock(db *d, const char *env, const char *tenant, int quiet, mig_err *err)
{
    /* PostgreSQL: the lock the extension's functions take per call
     * (pg_ext/mig_pg.c), held by the client for its whole run, so its
     * uploads and the revisions it runs outside a transaction are serialised
     * with every other deployer.  It is polled with mig_lock(), which never
     * waits: a session waiting for a lock holds a snapshot, which a CREATE
     * INDEX CONCURRENTLY run by the lock's holder would wait for (a
     * deadlock).  The extension must exist first (db_ensure_mig). */
    const char *p[1];
    const char *got = NULL;
    int waited = 0;
    if (d->kind == MIG_DIALECT_SQLITE) {
        /* SQLite: BEGIN IMMEDIATE serialises each transaction; across the
         * whole run (revisions run outside a transaction) clients take an
         * flock() on the database file, which does not touch SQLite's own
         * POSIX locks.  The descriptor stays open until after sqlite3_close
         * (closing any descriptor of the file drops a process's POSIX locks). */
        const char *file = sqlite3_db_filename(d->sq, "main");
        if (!file || !*file || strncmp(d->display, "sqlite:" DB_SCRATCH_MEMDB, strlen("sqlite:" DB_SCRATCH_MEMDB)) == 0)
            return 0; /* in memory (autogenerate's scratch database too: this process's own) */
        d->lock_fd = open(file, O_RDONLY | O_CLOEXEC);
        if (d->lock_fd < 0)
            return mig_fail(err, MIG_E_LOCK, "cannot open %s to lock it: %s", file, strerror(errno));
        if (flock(d->lock_fd, LOCK_EX | LOCK_NB) == 0)
            return 0;
        if (!quiet)
            fprintf(stderr, "mig: waiting for another mig run on %s ...\n", d->display);
        if (flock(d->lock_fd, LOCK_EX) != 0)
            return mig_fail(err, MIG_E_LOCK, "cannot lock %s: %s", file, strerror(errno));
        return 0;
    }
    {
        /* the extension's deploy lock (mig_lock: a key space that SQL's
         * pg_advisory_lock cannot reach, so a role that may not deploy
         * cannot hold deployments up) */
        json_t *o = json_pack("{s:s}", "env", env);
        char *js;
        if (o && tenant)
            json_object_set_new(o, "tenant", json_string(tenant));
        js = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        if (!js)
            return mig_fail(err, MIG_E_NOMEM, "out of memory");
        p[0] = mig_strdup(d->ar, js);
        free(js);
        if (!p[0])
            return mig_fail(err, MIG_E_NOMEM, "out of memory");
    }
    /* the client's engine: the same key in SQL's advisory lock space (see
     * pg_engine.c); but where the extension is installed (--engine client on
     * its database), the extension's own lock, so that a run of either
     * engine, and a mig_upgrade() from any connection, wait for each other */
    if (d->client_engine && !d->ext_prefix)
        p[0] = mig_sprintf(d->ar, "mig:%s:%s", env, tenant ? tenant : "");
    for (;;) {
        if (db_call_sql(d,
                        d->client_engine && !d->ext_prefix
                            ? "SELECT pg_catalog.pg_try_advisory_lock(pg_catalog.hashtextextended($1, 0))::pg_catalog.int4"
                            : mig_sprintf(d->ar, "SELECT %smig_lock($1::pg_catalog.text)::pg_catalog.int4",
                                          d->ext_prefix ? d->ext_prefix : d->fn_prefix),
                        1, p, &got, err)) {
            if (strstr(err->msg, "mig_lock") && strstr(err->msg, "does not exist"))
                mig_err_hint(err, "The mig extension in this database is older than this client: run ALTER "
                                  "EXTENSION mig UPDATE; (as its owner).");
            return -1;
        }
        if (got && strcmp(got, "1") == 0)
            return 0;
        if (!waited++ && !quiet)
            fprintf(stderr, "mig: waiting for another mig run on %s (env \"%s\") ...\n", d->display, env);
        usleep(waited < 20 ? 50000 : 200000);
    }
}

/* One statement, refused when the database reads more than one in it: the
 * client splits the statements of a transactional-false revision with
 * core/sqltok, and the database must not run a second statement that
 * sqltok did not see. */
int db_exec_one(db *d, const char *sql, mig_err *err)
{
    if (d->kind == MIG_DIALECT_POSTGRES)
        return db_query(d, sql, 0, NULL, NULL, NULL, err); /* the extended protocol: one statement only */
    {
        sqlite3_stmt *st = NULL;
        const char *tail = NULL, *end = sql + strlen(sql);
        int rc;
        mig_err_clear(&d->last);
        if (sqlite3_prepare_v2(d->sq, sql, (int)(end - sql) + 1, &st, &tail) != SQLITE_OK)
            return sq_fail(d, err);
        for (tail = tail ? tail : end;;) {
            tail = mig_sql_skip_blank(tail, end);
            if (tail < end && *tail == ';')
                tail++;
            else
                break;
        }
        if (tail < end) {
            sqlite3_finalize(st);
            return mig_fail(err, MIG_E_INPUT, "SQLite reads more than one statement here; nothing of it was run");
        }
        if (st) {
            while ((rc = sqlite3_step(st)) == SQLITE_ROW)
                ;
            if (rc != SQLITE_DONE) {
                sq_fail(d, err);
                sqlite3_finalize(st);
                return -1;
            }
            sqlite3_finalize(st);
        }
        return 0;
    }
}

int db_begin(db *d, mig_err *err)
{
    if (db_exec(d, d->kind == MIG_DIALECT_POSTGRES ? "BEGIN" : "BEGIN IMMEDIATE", err))
        return -1;
    d->in_txn = 1;
    return 0;
}

int db_commit(db *d, mig_err *err)
{
    d->in_txn = 0;
    return db_exec(d, "COMMIT", err);
}

void db_rollback(db *d)
{
    mig_err e2;
    if (!d->in_txn)
        return;
    d->in_txn = 0;
    db_exec(d, "ROLLBACK", &e2);
}

/* ---- scratch databases (autogenerate) --------------------------------------------- */

const char *db_quote_literal(db *d, mig_arena *ar, const char *s)
{
    char *q;
    const char *r;
    if (d->kind != MIG_DIALECT_POSTGRES || !(q = PQescapeLiteral(d->pg, s, strlen(s))))
        return NULL;
    r = mig_strdup(ar, q);
    PQfreemem(q);
    return r;
}

const char *db_quote_ident(db *d, const char *s)
{
    if (d->kind == MIG_DIALECT_POSTGRES) {
        char *q = PQescapeIdentifier(d->pg, s, strlen(s));
        const char *r;
        if (!q)
            return NULL;
        r = mig_strdup(d->ar, q);
        PQfreemem(q);
        return r;
    }
    {
        char *q = sqlite3_mprintf("\"%w\"", s);
        const char *r;
        if (!q)
            return NULL;
        r = mig_strdup(d->ar, q);
        sqlite3_free(q);
        return r;
    }
}

const char *db_url_dbname(mig_arena *ar, const char *url, const char *dbname, mig_err *err)
{
    PQconninfoOption *o, *i;
    char *perr = NULL;
    mig_buf b;
    if (pq_load(err))
        return NULL;
    url = strip_driver(ar, url);
    if (!(o = PQconninfoParse(url, &perr))) {
        if (perr)
            PQfreemem(perr);
        mig_fail(err, MIG_E_INPUT, "invalid PostgreSQL URL: %s", pg_display(ar, url));
        return NULL;
    }
    mig_buf_init(&b, ar);
    mig_buf_putn(&b, "", 0);
    for (i = o; i->keyword; i++) {
        const char *v = strcmp(i->keyword, "dbname") == 0 ? dbname : i->val, *c;
        if (!v)
            continue;
        /* libpq's key = 'value' form: \ and ' escaped with a backslash */
        mig_buf_printf(&b, "%s%s='", b.len > 0 ? " " : "", i->keyword);
        for (c = v; *c; c++) {
            if (*c == '\\' || *c == '\'')
                mig_buf_putn(&b, "\\", 1);
            mig_buf_putn(&b, c, 1);
        }
        mig_buf_putn(&b, "'", 1);
    }
    PQconninfoFree(o);
    if (!strstr(b.data, "dbname="))
        mig_buf_printf(&b, " dbname='%s'", dbname); /* dbname is the client's own name (letters, digits, _) */
    return b.data;
}

/* ---- the replay cache's images (replay.c) ------------------------------------------ */

unsigned char *db_sqlite_image(db *d, size_t *n, int *owned)
{
    sqlite3_int64 size = 0;
    unsigned char *data;
    *n = 0;
    *owned = 0;
    if (d->kind != MIG_DIALECT_SQLITE || !d->sq)
        return NULL;
    /* an in-memory (memdb) database: its own bytes, not a copy */
    if ((data = sqlite3_serialize(d->sq, "main", &size, SQLITE_SERIALIZE_NOCOPY)) != NULL && size > 0) {
        *n = (size_t)size;
        return data;
    }
    *owned = 1;
    if (!(data = sqlite3_serialize(d->sq, "main", &size, 0)) || size <= 0) {
        sqlite3_free(data);
        return NULL;
    }
    *n = (size_t)size;
    return data;
}

/* The image is opened read-only in a private in-memory connection and
 * copied into d by the backup API: a memdb database that the process's
 * connections share by name cannot be replaced in place
 * (sqlite3_deserialize gives the connection a private copy instead). */
int db_sqlite_load_image(db *d, const unsigned char *data, size_t n)
{
    sqlite3 *src = NULL;
    sqlite3_backup *b;
    int rc;
    if (d->kind != MIG_DIALECT_SQLITE || !d->sq || d->in_txn)
        return -1;
    if (sqlite3_open_v2(":memory:", &src, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        sqlite3_close(src);
        return -1;
    }
    /* the image stays the caller's (no FREEONCLOSE) and is only read */
    if (data && sqlite3_deserialize(src, "main", (unsigned char *)data, (sqlite3_int64)n, (sqlite3_int64)n,
                                    SQLITE_DESERIALIZE_READONLY) != SQLITE_OK) {
        sqlite3_close(src);
        return -1;
    }
    if (!(b = sqlite3_backup_init(d->sq, "main", src, "main"))) {
        sqlite3_close(src);
        return -1;
    }
    rc = sqlite3_backup_step(b, -1);
    rc = sqlite3_backup_finish(b) == SQLITE_OK && rc == SQLITE_DONE ? 0 : -1;
    sqlite3_close(src);
    return rc;
}
