/*
 * mig.h — the mig client: shared declarations.
 *
 * The client reads revision files, uploads them and calls the SQL API of
 * the database (SPEC §4); the engine stays in the database.  Without a
 * database (revision, merge, heads, branches, history, show) it builds the
 * graph from the files with core/.
 */
#ifndef MIG_CLIENT_H
#define MIG_CLIENT_H

#include "graph.h"
#include "revfile.h"

#include <stddef.h>

/* exit codes */
enum { EX_DONE = 0, EX_FAILED = 1, EX_USAGE = 2 };

/* ---- command line and configuration -------------------------------------- */

typedef struct cli {
    /* global */
    const char *config;      /* -c FILE (default mig.ini) */
    const char *name;        /* -n NAME: the section of mig.ini (default "mig") */
    const char *url;         /* --url */
    const char *tenant;      /* --tenant */
    const char *engine;      /* --engine client|extension|auto (PostgreSQL) */
    mig_strlist xk, xv;      /* -x KEY=VALUE */
    int quiet, json, verbose;
    /* command */
    const char *command;
    mig_strlist args;        /* positional arguments */
    const char *message;     /* -m */
    const char *head;        /* --head */
    mig_strlist branch_labels; /* --branch-label */
    mig_strlist depends_on;  /* --depends-on */
    const char *rev_id;      /* --rev-id */
    const char *range;       /* -r */
    const char *version_path; /* revision --version-path DIR */
    int splice, sql, purge, indicate_current, force, accept, single_head;
    int no_drift;            /* check --no-drift */
    int snapshot;            /* dump --snapshot */
    /* revision --autogenerate [--from-db] [--rename-table OLD:NEW] [--rename-column T.OLD:NEW]; dump --table T */
    int autogenerate, from_db;
    mig_strlist rename_tables, rename_columns;
    mig_strlist tables;
} cli;

/* A post write hook of mig.ini's [post_write_hooks] (type exec). */
typedef struct post_hook {
    const char *name;
    const char *executable;  /* a name looked up on PATH, or an absolute path (mig.ini's folder + a relative one) */
    const char *cwd;         /* absolute (from mig.ini's folder); NULL: the current folder */
    mig_strlist args;        /* its options, split as a shell would; REVISION_SCRIPT_FILENAME is replaced */
} post_hook;

/* What the configuration resolves to. */
typedef struct project {
    mig_arena *ar;
    const char *ini_path;    /* the file read, or NULL when there is none */
    int ini_found;
    const char *section;     /* "mig" or -n NAME */
    const char *url;         /* the database URL (may be NULL: no database configured) */
    const char *url_from;    /* where the URL came from, for messages */
    const char *versions;    /* the versions folder (the first of version_locs) */
    mig_strlist version_locs; /* every folder of revision files (version_locations) */
    int recursive;           /* recursive_version_locations: sub-folders too */
    const char *file_template; /* new file names (%(rev)s ...), NULL: ID_SLUG */
    int truncate_slug;       /* truncate_slug_length (default 40) */
    post_hook *hooks;        /* [post_write_hooks], read for revision and merge */
    int nhooks;
    const char *env;         /* the env of the SQL API */
    const char *engine;      /* PostgreSQL: client, extension or auto (--engine, $MIG_ENGINE, mig.ini engine) */
    /* autogenerate and dump (autogen.c) */
    mig_strlist schema_paths; /* schema = PATH...: files or folders of .sql (relative to mig.ini's folder) */
    const char *schema_from; /* "mig.ini [mig] schema", for messages */
    const char *dev_url;     /* dev_url: where PostgreSQL scratch databases are created (default: url) */
    mig_strlist f_schemas, f_kinds, f_include, f_exclude; /* the snapshot filters */
    int check_drift;         /* check_drift = false: check skips its schema checks (as --no-drift) */
} project;

int project_load(mig_arena *ar, const cli *c, project *p, int need_ini);

/* ---- messages ------------------------------------------------------------ */

void die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Print "mig: <message>" (multi-line messages: the first line, then the
 * others indented) on stderr. */
void errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void print_err(const char *prefix, const char *msg);
double now_ms(void);
/* Split "a b c" (mig_current() and mig_heads() results) into a list. */
void split_spaces(mig_arena *ar, const char *s, mig_strlist *out);

/* Print a JSON value on stdout (and release it). */
struct json_t;
typedef struct json_t json_t;
void json_print(struct json_t *v);

/* ---- revision files ------------------------------------------------------- */

typedef struct revfile_ent {
    const char *path;        /* as found: versions/ID_slug.sql */
    const char *src;
    size_t len;
    mig_revfile rf;
    int has_down;            /* a downgrade section with a statement in it */
    int src_only;            /* src is kept without its sections (FILES_LAZY): files_source parses it */
} revfile_ent;

/* What the header cache says of a whole listing it knows as it is: enough
 * for current, check and a no-op upgrade without building the graph. */
typedef struct files_summary {
    int n;                   /* files */
    int nontx;               /* how many are `transactional false` */
    int nodown;              /* how many have no downgrade statement */
    char digest[65];         /* files_digest: what db_store_digest is compared with */
    mig_strlist real_heads;  /* the graph's real heads (ids) */
} files_summary;

struct hcache;
typedef struct files {
    revfile_ent *v;
    int n;
    mig_graph g;             /* built from the files */
    int graph_ok;
    /* FILES_SUMMARY: set when every file is in the header cache as it is; v
     * and g are then not filled until files_full */
    const files_summary *sum;
    int released;            /* files_release: given back, nothing left */
    size_t text_room;        /* FILES_LAZY: how many bytes of texts may still be kept */
    struct {
        struct hcache *cache;
        const char **paths;  /* the listing */
        int *entry;          /* per header of the cache (the sorted listing): the file's place in the listing */
        int *rec;            /* ... and its record in the cache */
        const mig_strlist *dirs;
        int build;
        mig_arena *ar;       /* the load's: files_full fills v and g in it */
    } lazy;
} files;

/* Read and parse every *.sql file of the versions folder; with build, also
 * build and validate the graph.  Errors name the file (and line). */
/* flags: FILES_GRAPH builds f->g; FILES_NO_SOURCE keeps no file's text
 * (src is NULL: for the commands that read only headers, a 100,000-file
 * project's texts are not held) */
#define FILES_GRAPH 1
#define FILES_NO_SOURCE 2
/* FILES_LAZY: as FILES_NO_SOURCE, for the commands that upload: a file the
 * header cache knows as it is is not even read, and the texts read are kept
 * only up to FILES_TEXT_ROOM bytes in all; files_text reads the others
 * again when they are uploaded, so that 100,000 texts are never held at
 * once (23 MB of the 143 MB that a 100,000-revision upgrade from empty
 * held), and a project of up to some 20,000 small files is read once */
#define FILES_LAZY 4
#define FILES_TEXT_ROOM ((size_t)4 << 20)
/* FILES_SUMMARY: when the header cache knows every listed file as it is and
 * has the summary of the listing, only f->sum and f->n are set (the caller
 * calls files_full before it needs f->v or f->g) */
#define FILES_SUMMARY 8
int files_load(mig_arena *ar, const char *dir, int flags, files *f, mig_err *err);
/* Give back everything of f, which project_files_lazy_sum_in loaded into
 * the arena ar (its own); f then holds nothing, and released is set. */
void files_release(files *f, mig_arena *ar);
/* Fill f->v and f->g of a FILES_SUMMARY load (nothing when they are), in
 * the arena it was loaded into (given back with it by files_release). */
int files_full(files *f, mig_err *err);
/* The SHA-256 (hex) of the headers, a line per revision in the order of
 * db_store_digest (see db.c), as it computes it of the store. */
int files_digest(mig_arena *ar, const files *f, char hex[65]);
/* Is id one of the real heads of the files' graph? */
int files_is_real_head(const files *f, const char *id);
int files_nreal_heads(const files *f);
/* Is hex the checksum of revision id's file?  1 yes, 0 no, -1 no file has that id. */
int files_checksum_is(const files *f, const char *id, const char *hex);

/* cache.c: the parsed headers of the files, kept between runs for the
 * FILES_NO_SOURCE loads (see cache.c); NULL when off or unavailable, and
 * every function accepts NULL. */
struct stat;
typedef struct hcache hcache;
hcache *hcache_open(mig_arena *ar, const mig_strlist *dirs, int recursive);
void hcache_expect(hcache *c, int nfiles);
int hcache_find(hcache *c, int loc, const char *name);
int hcache_knows(hcache *c, int loc, const char *name);
int hcache_same(hcache *c, int k, const struct stat *st);
int hcache_get(hcache *c, int i, int loc, const char *name, const struct stat *st, revfile_ent *r);
void hcache_note(hcache *c, int i, int loc, const char *name, const struct stat *st);
const files_summary *hcache_summary(hcache *c, int n);
int hcache_dirty(hcache *c);
int hcache_checksum_is(hcache *c, const char *id, const char *hex);
int hcache_fill(hcache *c, int k, revfile_ent *r);
void hcache_save(hcache *c, const revfile_ent *v, int n, const int *order, const files_summary *sum);
/* What the caches share (cache.c): MIG_CACHE=off; the file for a set of
 * version folders in $XDG_CACHE_HOME/mig or ~/.cache/mig (NULL: none); the
 * client binary's key (a cache of another build is never trusted). */
int cache_off(void);
char *cache_path(mig_arena *ar, const mig_strlist *dirs, int recursive);
int cache_binary_key(char *out, size_t n);
int hcache_rank(hcache *c, int k);
int hcache_find_at(hcache *c, int i, int loc, const char *name);
const revfile_ent *files_by_id(const files *f, const char *id);
/* The text (and sections) of a file loaded without it: read and parsed now.
 * Errors name the file; a file whose id changed since it was listed is one. */
int files_source(mig_arena *ar, const revfile_ent *e_, mig_err *err);
/* The text of a file, in ar, without keeping it in e (e->src when it has
 * one): to upload it.  A file that is no longer what was listed (another id
 * or checksum) is an error naming it. */
int files_text(mig_arena *ar, const revfile_ent *e, const char **src, mig_err *err);

/* ---- the database ------------------------------------------------------------- */

typedef struct db db;


/* Connect.  write: may create a SQLite file / the PostgreSQL extension. */
db *db_open(mig_arena *ar, const char *url, const char *url_from, int write, mig_err *err);
void db_close(db *d);
mig_dialect db_kindof(const db *d);
/* The kind of database a URL names, without opening it. */
int db_url_kind(mig_arena *ar, const char *url, const char *url_from, mig_dialect *kind, mig_err *err);
const char *db_display(const db *d);
/* Is mig installed in this database (PG: the extension; SQLite: always)? */
int db_has_mig(const db *d);
/* Make sure mig is usable (PG: CREATE EXTENSION IF NOT EXISTS when allowed). */
int db_ensure_mig(db *d, mig_err *err);
int db_exec(db *d, const char *sql, mig_err *err);
/* PG: the client's own queries run with search_path pinned to pg_catalog;
 * on = 1 gives revision bodies (mig_upgrade/mig_downgrade, statements run
 * outside a transaction) the session's own path, on = 0 pins it again. */
int db_body_path(db *d, int on, mig_err *err);
/* Exactly one statement: refused, with nothing run, when the database reads more than one. */
int db_exec_one(db *d, const char *sql, mig_err *err);
/* Run a query with text parameters; fn is called per row (may be NULL). */
typedef int (*db_row_fn)(void *arg, int ncol, const char *const *vals);
int db_query(db *d, const char *sql, int np, const char *const *params, db_row_fn fn, void *arg, mig_err *err);
/* SELECT fn(args...) as one text value (NULL for SQL NULL), arena copy. */
int db_call(db *d, const char *fn, int np, const char *const *params, const char **out, mig_err *err);
/* One value of any query (out may be NULL). */
int db_call_sql(db *d, const char *sql, int np, const char *const *params, const char **out, mig_err *err);
int db_call_each(db *d, const char *sql, int n, const char *const *args, const char *arg2, mig_err *err);
/* The SHA-256 of what the revision store holds for env (see db.c); *out
 * NULL when the database cannot say. */
int db_store_digest(db *d, const char *env, const char **out, mig_err *err);
/* The qualified name of a mig function ("mig_upgrade" or "\"public\".mig_upgrade"). */
const char *db_fn(db *d, const char *fn);
/* The qualified name of a state table. */
const char *db_table(db *d, const char *t);
int db_state_exists(db *d, mig_err *err);
/* Progress lines ("Running upgrade ...") go to this callback while set. */
typedef void (*db_progress_fn)(void *arg, const char *line);
void db_set_progress(db *d, db_progress_fn fn, void *arg, int show_notices);
int db_progress_off(db *d, mig_err *err);
/* The SQLite scratch databases of autogenerate: sqlite:file:/mig_scratch_ID?vfs=memdb
 * (in memory, shared by the process's connections while one is open). */
#define DB_SCRATCH_MEMDB "file:/mig_scratch_"
/* SQLite: d's main database as bytes (sqlite3_serialize), or NULL: an
 * in-memory database's own (valid until d is written to), else a copy
 * (*owned: sqlite3_free it); and d's main database replaced by such an
 * image (NULL: emptied), 0 or -1 (replay.c's cache). */
unsigned char *db_sqlite_image(db *d, size_t *n, int *owned);
int db_sqlite_load_image(db *d, const unsigned char *data, size_t n);
/* PG: a string literal quoted by libpq (PQescapeLiteral: the connection's
 * encoding and settings), in ar; NULL when it cannot be (out of memory, a
 * value not in the encoding). */
const char *db_quote_literal(db *d, mig_arena *ar, const char *s);
/* An identifier quoted by the database's own rules (PG: PQescapeIdentifier; SQLite: %w). */
const char *db_quote_ident(db *d, const char *s);
/* PG: a libpq connection string for url with another dbname (the server and
 * credentials of url). */
const char *db_url_dbname(mig_arena *ar, const char *url, const char *dbname, mig_err *err);
/* Serialise client runs on one env/tenant (PG: mig_lock(), after db_ensure_mig). */
int db_lock(db *d, const char *env, const char *tenant, int quiet, mig_err *err);
/* PostgreSQL: which engine runs the migrations (--engine, mig.ini engine =); set before db_open. */
enum { DB_ENGINE_AUTO = 0, DB_ENGINE_CLIENT = 1, DB_ENGINE_EXTENSION = 2 };
void db_set_engine(int pref, int quiet);
/* PG: the client runs core's engine itself (pg_engine.c): no extension. */
int db_client_engine(const db *d);
/* What pg_engine.c needs of the connection. */
const char *db_state_ddl(void);
int db_pipeline(db *d, int n, const char *const *sql, int np, const char *const *params, db_row_fn fn, void *arg,
                int *failed, mig_err *err);
int db_last_position(const db *d);
int db_in_transaction(db *d);
void db_report_progress(db *d, const char *line);
int db_wants_progress(const db *d);
int db_path_is_body(const db *d);
const char *db_user_path(const db *d);
/* What the client's engine keeps of a connection across calls: the role,
 * and that the state tables exist. */
typedef struct db_engine_known {
    const char *user;
    int schema_ok;
} db_engine_known;
db_engine_known *db_engine_state(db *d);
/* pg_engine.c: an operation of the SQL API run by the client (fn: its SQL name). */
int pge_handles(const char *fn);
int pge_call(db *d, mig_arena *ar, const char *fn, int np, const char *const *params, const char **out,
             db_row_fn rowfn, void *rowarg, mig_err *err);
int db_begin(db *d, mig_err *err);
int db_commit(db *d, mig_err *err);
void db_rollback(db *d);

/* ---- commands ----------------------------------------------------------------- */

typedef struct ctx {
    mig_arena *ar;
    cli *c;
    project *p;
    const char *opts;        /* the JSON opts of the SQL API (env, x, tenant) */
} ctx;

/* The project's files and graph; errors are printed. */
int project_files(ctx *x, files *f);
/* The same without the files' texts (FILES_NO_SOURCE). */
int project_headers(ctx *x, files *f);
/* The same, reading only the files the header cache does not know as they
 * are (FILES_LAZY): for the commands that upload what changed. */
int project_files_lazy(ctx *x, files *f);
/* The same two with FILES_SUMMARY (the caller calls files_full when it
 * needs more than f->sum). */
int project_headers_sum(ctx *x, files *f);
/* The files for upgrade/downgrade (lazy, with the cache's summary), into
 * the arena ar instead of x->ar (freed with files_release) */
int project_files_lazy_sum_in(ctx *x, mig_arena *ar, files *f);
/* The files again (headers only, from the cache when it can), silently:
 * for naming a revision's file in an error after files_release */
int project_files_quiet(ctx *x, files *f);

/* Open the database to read: *cur = mig_current(), *v2 = fn2() (NULL:
 * not called); *st = 0 when mig has no state there yet.  Errors printed. */
db *open_read(ctx *x, const char *fn2, const char **cur, const char **v2, int *st);
/* Print err (message, detail, hint) on standard error; returns EX_FAILED. */
int fail_err(const char *prefix, const mig_err *err);

/* files.c: a new revision file.  Its path: the first version location (or
 * --version-path), named by file_template or ID_SLUG (sub-folders made);
 * NULL when it cannot be (printed). */
struct tm;
const char *revision_file_path(ctx *x, const char *id, const char *msg, const struct tm *tm, long long t);
typedef struct newrev {
    const char *id, *message, *create_date;
    const mig_strlist *down, *labels, *deps; /* NULL or empty: none */
    int nontx;                               /* `transactional false` */
    const char *body;                        /* both sections; NULL or "": empty ones */
} newrev;
/* A fresh 12-hex revision id (not checked against the files). */
const char *revision_new_id(mig_arena *ar);
/* Write it at path, which must not exist (O_EXCL); errors printed, nothing left. */
int revision_write(ctx *x, const char *path, const newrev *r);

int cmd_init(ctx *x);
int cmd_revision(ctx *x, int merge);
int cmd_push(ctx *x);
int cmd_run(ctx *x, int downgrade);
int cmd_stamp(ctx *x);
int cmd_current(ctx *x);
int cmd_heads(ctx *x);
int cmd_branches(ctx *x);
int cmd_history(ctx *x);
int cmd_show(ctx *x);
int cmd_check(ctx *x);
int cmd_dump(ctx *x);
int cmd_baseline(ctx *x);
int cmd_squash(ctx *x);

/* autogen.c: revision --autogenerate.  The body of the new revision (both
 * sections; "" when the schemas agree) that takes the schema the
 * revisions in down produce (or the live database's, --from-db) to the
 * desired schema; *nontx when part of it must run outside a transaction.
 * Errors are printed; -1. */
int autogen_body(ctx *x, files *f, const mig_strlist *down, const char **body, int *nontx);

/* autogen.c: scratch databases and schema snapshots, for revision
 * --autogenerate and the commands that compare schemas.  A scratch set
 * lives from scratch_begin to scratch_end, which drops every database it
 * made (also at exit); SIGINT and SIGTERM are caught meanwhile, and
 * scratch_end re-raises one that came, after the clean-up. */
typedef struct scratch scratch;
/* The kind of database is url's (x->p->url). */
scratch *scratch_begin(ctx *x, mig_err *err);
void scratch_end(scratch *s);
/* A new, empty scratch database: its URL (SQLite: in memory, alive until
 * scratch_end; PostgreSQL: CREATE DATABASE mig_scratch_<random> on url's
 * server, or dev_url's). */
const char *scratch_new(ctx *x, scratch *s, mig_err *err);
/* A connection to it, with mig installed. */
db *scratch_connect(ctx *x, const char *url, mig_err *err);
/* The client's upgrade (downgrade) on url, quietly, to each target in
 * turn; errors are printed.  -1 also when a signal came. */
int scratch_run(ctx *x, const char *url, const mig_strlist *targets, int downgrade);
/* scratch_run from an empty database (upgrades to targets), which on
 * SQLite starts from the replay cache when it can (replay.c). */
int scratch_replay(ctx *x, scratch *s, const char *url, const mig_strlist *targets);
/* replay.c: the replay of targets on the SQLite scratch database that
 * holder keeps (empty), from the cache of an earlier replay when that is
 * a prefix of this one; the cache is then written.  As scratch_run. */
int replay_cached(ctx *x, db *holder, const char *url, const mig_strlist *targets);
/* Was a signal caught?  (MIG_TEST_SIGNAL_AT=point raises SIGTERM here.) */
int scratch_interrupted(const char *point);
/* mig_snapshot() of d with mig.ini's filters (schemas, kinds, include, exclude). */
int schema_snapshot(ctx *x, db *d, const char **out, mig_err *err);
/* The snapshot of the desired schema (mig.ini's schema = ...), built in
 * s; *via is an open connection where mig_diff() can run (close it). */
int desired_snapshot(ctx *x, scratch *s, const char **out, db **via, mig_err *err);
/* The snapshot of an empty database of d's kind, as mig_diff's "from" when
 * a schema is written from nothing: SQLite, no object; PostgreSQL, what a
 * fresh database holds (schema public, plpgsql) that snap has too. */
const char *empty_snapshot(mig_arena *ar, mig_dialect kind, const char *snap);
/* mig_diff(from, to[, ropts]) on d; *body "" when they agree. */
int schema_diff(ctx *x, db *d, const char *from, const char *to, const char *ropts, const char **body, mig_err *err);

/* drift.c: two snapshots compared object by object (objects matched by
 * kind, schema, name, and table for triggers and policies).  A change is
 * an object (part NULL) or a part of one ("column note", "index
 * definition"...) that only b has (side 1), only a has (-1), or that
 * differs (0). */
typedef struct schema_change {
    const char *object;      /* "table public.orders" */
    const char *part;        /* NULL: the whole object */
    int side;
} schema_change;
typedef struct schema_changes {
    schema_change *v;
    int n, cap;
} schema_changes;
/* Room for element n of an array of cap elements of size bytes (doubled
 * in ar when full; out of memory is fatal): the array, maybe moved. */
void *grow_array(mig_arena *ar, void *v, int n, int *cap, size_t size);
int schema_compare(mig_arena *ar, const char *a, const char *b, schema_changes *out, mig_err *err);
/* "OBJECT: PART WORD" (or "OBJECT WORD"), words[side + 1] saying what the side means. */
const char *schema_change_text(mig_arena *ar, const schema_change *c, const char *const words[3]);
/* [{"object", "part", "change": "added"|"removed"|"changed", "message"}] */
json_t *schema_changes_json(mig_arena *ar, const schema_changes *ch, const char *const words[3]);
extern const char *const DRIFT_WORDS[3], *const DESIRED_WORDS[3];
/* The snapshot of the revisions `targets` replayed (upgraded to, in turn)
 * in a new scratch database of s; *via (may be NULL) a connection to it. */
int replay_snapshot(ctx *x, scratch *s, const mig_strlist *targets, const char **snap, db **via, mig_err *err);
/* The desired schema (mig.ini's schema = ...) against heads_snap; *sql
 * what revision --autogenerate would write, when they differ. */
int desired_changes(ctx *x, scratch *s, const char *heads_snap, schema_changes *ch, const char **sql, mig_err *err);
/* mig check's schema checks: drift (the live database against its
 * current revisions `cur` replayed) and, with schema = ..., desired (at_heads:
 * cur are the files' heads, so the replay serves both).  Errors printed; nonzero. */
typedef struct check_schema {
    int ran_drift, ran_desired;
    schema_changes drift, desired;
    const char *drift_sql, *desired_sql;
} check_schema;
int check_schemas(ctx *x, db *live, const mig_strlist *cur, int at_heads, check_schema *out);
int cmd_test(ctx *x);

/* JSON options for the SQL API with extra keys (a JSON fragment like
 * "\"record_only\": \"abc\"" or NULL). */
const char *opts_json(ctx *x, const char *extra);

#endif
