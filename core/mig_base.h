/*
 * mig_base.h — shared plumbing of the mig engine: errors, the arena
 * allocator and small string lists.
 *
 * core/ is plain C: it never includes postgres.h or sqlite3.h.  A frontend
 * hands it an allocator (palloc in PostgreSQL, sqlite3_malloc in SQLite);
 * every object of one call lives in one arena and is released at once, so a
 * PostgreSQL ereport that longjmps out of a callback cannot leak.
 * Core functions return 0 on success and -1 on failure, with a filled mig_err;
 * they never longjmp or exit.
 */
#ifndef MIG_BASE_H
#define MIG_BASE_H

#include <stdarg.h>
#include <stddef.h>

/* The databases mig runs on.  MIG_DIALECT_ANY is for what runs on both (a
 * revision section without `dialect=`); a database is one of the other two. */
typedef enum { MIG_DIALECT_ANY = 0, MIG_DIALECT_SQLITE = 1, MIG_DIALECT_POSTGRES = 2 } mig_dialect;

/* Error classes; each frontend maps them to its own codes (SQLSTATE in PG). */
typedef enum {
    MIG_OK = 0,
    MIG_E_INPUT,    /* malformed revision file, option or argument */
    MIG_E_TARGET,   /* target cannot be resolved */
    MIG_E_GRAPH,    /* the stored revision graph is invalid */
    MIG_E_STATE,    /* version state inconsistent with the graph, or applied revision edited */
    MIG_E_SQL,      /* a statement failed */
    MIG_E_NOMEM,
    MIG_E_USAGE,    /* the call is not allowed here (nesting, transaction mode) */
    MIG_E_LOCK      /* could not get the lock */
} mig_errcode;

/* What an error about one revision is, for programs (the message is for people). */
typedef enum {
    MIG_R_NONE = 0,
    MIG_R_REVISION,     /* about a revision (it names it): state, stored source, removal */
    MIG_R_STEP_FAILED,  /* a revision's body failed while it ran */
    MIG_R_BODY_CHANGED, /* an upload changes the body of an applied revision */
    MIG_R_GRAPH_CHANGED /* an upload changes an applied revision's down_revision, labels or depends_on */
} mig_reason;

typedef struct mig_err {
    mig_errcode code;
    mig_reason reason;  /* with revision: what the error is about, so callers never parse msg */
    char revision[128];
    char sqlstate[6]; /* the failing statement's own SQLSTATE, when the backend has one */
    char msg[2048];
    char detail[2048];
    char hint[512];
} mig_err;

/* Set code and message (printf style); mig_fail(...) is -1 so callers can
 * `return mig_fail(...)`.  It is a macro over mig_fail_ so that the -1 is
 * visible where it is used: static analyzers (clang --analyze, cppcheck) do
 * not follow a variadic function into its body, and without the constant
 * they report paths where a failed call "succeeded". */
int mig_fail_(mig_err *err, mig_errcode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline int mig_minus_one_(int ignored)
{
    (void)ignored;
    return -1;
}
#define mig_fail(...) mig_minus_one_(mig_fail_(__VA_ARGS__))
void mig_err_clear(mig_err *err);
/* Say what the error is about: reason and revision (cut to fit). */
void mig_err_about(mig_err *err, mig_reason reason, const char *revision);
/* "body_changed"... (the wire name, in PostgreSQL's CONTEXT field); reason_named: back, MIG_R_NONE if unknown */
const char *mig_reason_name(mig_reason r);
mig_reason mig_reason_named(const char *name, size_t len);
void mig_err_detail(mig_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mig_err_hint(mig_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Add "The failing statement: ..." (the text [s, e), at most 400 bytes) to
 * the detail, after what it already says: the one form both databases give. */
void mig_err_statement(mig_err *err, const char *s, const char *e);
/* Prepend context ("revision X (upgrade): ") to the message already set. */
void mig_err_prefix(mig_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The allocator a frontend provides. */
typedef struct mig_allocator {
    void *(*alloc)(void *ud, size_t n); /* NULL on failure (or does not return, as palloc) */
    void (*free)(void *ud, void *p);
    void *ud;
} mig_allocator;

typedef struct mig_arena_block mig_arena_block;
typedef struct mig_arena {
    mig_allocator a;
    mig_arena_block *blocks;
    char *cur;
    size_t left;
} mig_arena;

typedef struct mig_arena_mark {
    mig_arena_block *blocks;
    char *cur;
    size_t left;
} mig_arena_mark;

void mig_arena_init(mig_arena *ar, const mig_allocator *a);
/* Everything allocated after a mark is released by mig_arena_release(m). */
void mig_arena_mark_get(const mig_arena *ar, mig_arena_mark *m);
void mig_arena_release(mig_arena *ar, const mig_arena_mark *m);
void mig_arena_free(mig_arena *ar);
void *mig_alloc(mig_arena *ar, size_t n);              /* aligned, NULL on failure */
void *mig_alloc0(mig_arena *ar, size_t n);             /* zeroed */
char *mig_strndup(mig_arena *ar, const char *s, size_t n);
char *mig_strdup(mig_arena *ar, const char *s);
char *mig_sprintf(mig_arena *ar, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A growable string in an arena. */
typedef struct mig_buf {
    mig_arena *ar;
    char *data;
    size_t len, cap;
    int oom;
} mig_buf;

void mig_buf_init(mig_buf *b, mig_arena *ar);
void mig_buf_putn(mig_buf *b, const char *s, size_t n);
void mig_buf_puts(mig_buf *b, const char *s);
void mig_buf_printf(mig_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append s as an SQL string literal ('...' with quotes doubled). */
void mig_buf_quote(mig_buf *b, const char *s);
/* Append s for a "-- " comment line: control characters (a line break ends
 * a comment: \n in SQLite, \n or \r in PostgreSQL) become '?'. */
void mig_buf_comment(mig_buf *b, const char *s);
/* Does s contain a control character (< 0x20 or 0x7f)? */
int mig_has_control(const char *s);

/* A list of strings (ids, labels) in an arena. */
typedef struct mig_strlist {
    const char **v;
    int n, cap;
} mig_strlist;

int mig_strlist_add(mig_arena *ar, mig_strlist *l, const char *s);
/* Split "a, b ,c" on commas, trimming white space; empty items are errors (returns -2). */
int mig_strlist_split(mig_arena *ar, mig_strlist *l, const char *s, size_t n);
/* Join with a separator. */
char *mig_strlist_join(mig_arena *ar, const mig_strlist *l, const char *sep);
int mig_strlist_has(const mig_strlist *l, const char *s);
void mig_strlist_sort(mig_strlist *l);

int mig_is_ident_char(int c);   /* letters, digits, '_' */
int mig_valid_rev_id(const char *s, size_t n);
int mig_valid_label(const char *s, size_t n);
/* Describe why `id` (n bytes) is not a valid revision id, in Alembic's words
 * where Alembic has them ("Character(s) '-' not allowed in revision
 * identifier 'a-b'"). */
void mig_rev_id_problem(const char *id, size_t n, char *buf, size_t buflen);

#endif
