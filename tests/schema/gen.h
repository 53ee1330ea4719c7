/*
 * gen.h — a seeded generator of random SQLite schemas and of random edits
 * of a schema, for the round-trip tests of mig's autogenerate
 * (tests/schema/roundtrip.c).
 *
 * A schema is a small model (tables with columns and constraints, indexes,
 * views, triggers) whose objects keep an identity across edits: a table or
 * column keeps its id when it is renamed, so the harness knows which rows
 * of A belong where in B and which rename hints to give.  The model is
 * rendered to SQL in a random style (quoting, keyword case, spacing,
 * comments, column or table form of a constraint); two renderings of one
 * model are two spellings of one schema.  Plain C11, no SQLite headers.
 */
#ifndef MIG_TEST_GEN_H
#define MIG_TEST_GEN_H

#include <stddef.h>
#include <stdint.h>

#define G_NAME 48
#define G_MAXT 8      /* tables */
#define G_MAXC 12     /* columns of a table */
#define G_MAXK 3      /* columns of a key */
#define G_MAXU 4      /* UNIQUE constraints of a table */
#define G_MAXCHK 4    /* CHECK constraints of a table */
#define G_MAXFK 3     /* FOREIGN KEYs of a table */
#define G_MAXIX 12
#define G_MAXV 6
#define G_MAXTR 6

typedef struct { uint64_t s; } g_rng;
void g_seed(g_rng *r, uint64_t seed);
uint64_t g_next(g_rng *r);
int g_int(g_rng *r, int n);            /* 0..n-1 */
int g_chance(g_rng *r, int pct);       /* true with probability pct% */

/* value classes of a declared type */
enum { CL_INT, CL_REAL, CL_TEXT, CL_BLOB, CL_ANY };

typedef struct {
    int id;                  /* identity, kept across renames */
    char name[G_NAME];
    int type;                /* index into the type table (g_type_class, ...) */
    int notnull;
    int nn_conflict;         /* 0, or ON CONFLICT ABORT / FAIL / IGNORE (1..3) */
    int dflt;                /* -1: none; else index into the default table of the class */
    int coll;                /* 0 none, 1 BINARY, 2 NOCASE, 3 RTRIM */
    int gen;                 /* 0 none, 1 VIRTUAL, 2 STORED */
    int gen_src;             /* the column id a generated column reads */
    int gen_kind;
} g_col;

typedef struct {
    char name[G_NAME];       /* "" unnamed */
    int n, cols[G_MAXK];     /* column ids */
    int conflict;            /* 0 or ON CONFLICT ABORT / FAIL / IGNORE */
} g_key;

typedef struct {
    char name[G_NAME];
    int kind, col, col2;     /* col2: the second column of a two-column check, else -1 */
} g_check;

typedef struct {
    char name[G_NAME];
    int n, cols[G_MAXK];     /* child column ids */
    int ref;                 /* parent table id */
    int ref_cols[G_MAXK];    /* parent column ids (its PK or a UNIQUE) */
    int implicit;            /* REFERENCES p without a column list (ref_cols = p's PK) */
    int on_del, on_upd;      /* 0 none, 1 CASCADE, 2 SET NULL, 3 SET DEFAULT, 4 RESTRICT */
    int defer;               /* 0, 1 DEFERRABLE INITIALLY DEFERRED */
} g_fk;

typedef struct {
    int id;
    char name[G_NAME];
    g_col c[G_MAXC]; int nc;
    int has_pk; g_key pk; int autoinc;
    g_key u[G_MAXU]; int nu;
    g_check k[G_MAXCHK]; int nk;
    g_fk f[G_MAXFK]; int nf;
    int without_rowid, strict;
} g_table;

typedef struct { int col; int expr; int coll; int desc; } g_part;   /* expr 0: the column itself */

typedef struct {
    char name[G_NAME];
    int table;               /* table id */
    int unique;
    g_part p[G_MAXK]; int np;
    int where, where_col;    /* where 0: no WHERE */
} g_index;

typedef struct {
    char name[G_NAME];
    int kind;                /* 0 one table, 1 join, 2 aggregate, 3 over another view */
    int collist;             /* CREATE VIEW v(a, b) instead of aliases */
    int t1, t2;              /* table ids */
    int cols[3], ncols;      /* column ids (kind 3: indexes into the source view's outputs) */
    int jc1, jc2;            /* join columns */
    int wcol;                /* WHERE col IS NOT NULL, or -1 */
    char src[G_NAME];        /* kind 3: the view read */
    char out[3][G_NAME]; int nout;
} g_view;

typedef struct {
    char name[G_NAME];
    int table;
    int timing;              /* 0 BEFORE, 1 AFTER */
    int event;               /* 0 INSERT, 1 UPDATE, 2 DELETE */
    int of_col;              /* UPDATE OF col, or -1 */
    int when_col;            /* WHEN NEW.col IS NOT NULL, or -1 */
    int body;                /* 0 RAISE that never fires, 1 UPDATE other SET c = c WHERE 0, 2 DELETE FROM other WHERE 0 */
    int bc;                  /* the column of the table the body reads */
    int ot, oc;              /* other table / column of bodies 1 and 2 */
} g_trigger;

typedef struct {
    g_table t[G_MAXT]; int nt;
    g_index ix[G_MAXIX]; int nix;
    g_view v[G_MAXV]; int nv;
    g_trigger tr[G_MAXTR]; int ntr;
    int next_id;             /* ids and name suffixes, shared by A and its edits */
} g_schema;

typedef struct {
    int no_options_edit;     /* never toggle STRICT / WITHOUT ROWID in an edit */
    int plain_view_names;    /* names in view and trigger bodies quoted only when they must be */
} g_flags;

/* the type table */
const char *g_type_name(int type);     /* canonical spelling */
int g_type_class(int type);

/* A random schema (seeded by the caller's rng). */
void g_generate(g_rng *r, g_schema *s, const g_flags *fl);

/* Apply 1..3 random edits to s (a copy of A becomes B).  Writes a short
 * description of each edit to log (may be NULL). */
void g_edit(g_rng *r, g_schema *s, const g_flags *fl, char *log, size_t logsz);

/* Render the schema as one SQL script in a random style; malloc'd. */
char *g_render(g_rng *r, const g_schema *s, const g_flags *fl);
/* Render only the tables and indexes (canonical style); malloc'd. */
char *g_render_tables(const g_schema *s);

/* Lookups */
g_table *g_find_table(g_schema *s, int id);
const g_table *g_find_table_c(const g_schema *s, int id);
int g_col_index(const g_table *t, int colid);   /* -1 when absent */

/* Remove an object and everything that depends on it (what an edit does
 * when it drops the object; the shrinker uses them on both sides). */
void g_drop_table(g_schema *s, int id);
int g_drop_column(g_schema *s, int tid, int colid);   /* 0 when not droppable */
void g_drop_index(g_schema *s, const char *name);
void g_drop_view(g_schema *s, const char *name);
void g_drop_trigger(g_schema *s, const char *name);
/* Drop whatever lost what it depends on (after a hand-made removal). */
void g_fixup(g_schema *s);

/* Quote-aware identifier text for harness queries (always "double"-quoted). */
void g_qident(char *out, size_t outsz, const char *name);

#endif
