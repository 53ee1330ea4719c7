/*
 * schema.h — mig's schema model: what a database's schema is, read the same
 * way on both sides of a diff, its canonical JSON, and the diff itself.
 *
 * The model holds what the database understood, not text as written: a
 * column CHECK, UNIQUE or REFERENCES is the same constraint as its table
 * form; identifiers are unquoted; expressions (DEFAULT, CHECK, generated
 * columns, index expressions and WHERE clauses, view and trigger bodies) are
 * kept as normalised SQL text (mig_schema_norm_sql: comments dropped, one
 * space between words, keywords in upper case, quotes only where needed), so
 * two spellings of one schema give equal models and byte-equal JSON.
 *
 * Every object has a namespace (`schema`: NULL on SQLite's main database;
 * PostgreSQL's schema name there) and a kind; the kinds PostgreSQL adds
 * (sequences, types, functions, comments, grants) go into the same list
 * with their own detail struct, so the object list, the JSON and the diff's
 * ordering do not change shape when they arrive.
 *
 * Plain C11, no database headers: a frontend reads its catalog and feeds the
 * rows to a builder (mig_schema_add_sqlite for SQLite's sqlite_schema rows);
 * the diff renders statements for one dialect.  All memory comes from the
 * caller's arena; no globals.  Functions return 0, or -1 with a filled
 * mig_err (MIG_E_INPUT naming the object or the JSON path, MIG_E_NOMEM).
 */
#ifndef MIG_SCHEMA_H
#define MIG_SCHEMA_H

#include "mig_base.h"

#include <stddef.h>

/* Kinds, in the order a snapshot lists them (and a CREATE script runs them). */
typedef enum {
    MIG_SO_TABLE = 0,
    MIG_SO_INDEX,
    MIG_SO_VIEW,
    MIG_SO_TRIGGER
    /* PostgreSQL next: MIG_SO_SCHEMA, MIG_SO_TYPE, MIG_SO_SEQUENCE, MIG_SO_FUNCTION, ... */
} mig_so_kind;

const char *mig_so_kind_name(mig_so_kind k);   /* "table", "index", "view", "trigger" */

typedef enum { MIG_GEN_NONE = 0, MIG_GEN_VIRTUAL, MIG_GEN_STORED } mig_gen_kind;

typedef struct mig_sch_column {
    const char *name;
    const char *type;          /* declared type, normalised (upper-case words, one space:
                                  "VARCHAR(20)", "UNSIGNED BIG INT"); "" when none */
    int notnull;
    const char *dflt;          /* DEFAULT: normalised expression without one outer pair of
                                  parentheses ("0", "'x'", "CURRENT_TIMESTAMP", "abs(-1)"), or NULL */
    const char *collate;       /* COLLATE name (upper case for the built-ins BINARY, NOCASE,
                                  RTRIM), or NULL */
    mig_gen_kind generated;
    const char *gen_expr;      /* GENERATED ALWAYS AS (expr): normalised, or NULL */
    const char *conflict;      /* ON CONFLICT of a NOT NULL ("ROLLBACK", "FAIL", "IGNORE", "REPLACE") or
                                  NULL (none, or ABORT: the default) (SQLite) */
} mig_sch_column;

typedef struct mig_sch_key_part {
    const char *column;        /* a column name, or NULL when expr is set */
    const char *expr;          /* an index expression, normalised, or NULL */
    const char *collate;       /* COLLATE of the part, or NULL */
    int desc;                  /* DESC */
} mig_sch_key_part;

typedef struct mig_sch_pkey {
    const char *name;          /* CONSTRAINT name or NULL */
    mig_sch_key_part *parts; int nparts;   /* 0 parts: no primary key */
    int autoincrement;
    int column_level;          /* written on the column: SQLite's `INTEGER PRIMARY KEY DESC` is not a
                                  rowid alias while the table form is; only kept when it matters
                                  (one column of type INTEGER, DESC), else 0 */
    const char *conflict;      /* ON CONFLICT ... or NULL */
} mig_sch_pkey;

typedef struct mig_sch_unique {
    const char *name;          /* CONSTRAINT name or NULL */
    mig_sch_key_part *parts; int nparts;
    const char *conflict;
} mig_sch_unique;

typedef struct mig_sch_check {
    const char *name;          /* CONSTRAINT name or NULL */
    const char *expr;          /* normalised */
} mig_sch_check;

typedef struct mig_sch_fkey {
    const char *name;          /* CONSTRAINT name or NULL */
    const char **columns; int ncolumns;
    const char *ref_table;
    const char *ref_schema;    /* NULL on SQLite */
    const char **ref_columns; int nref_columns;  /* 0: the parent's primary key */
    const char *on_delete;     /* "CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT"; NULL = NO ACTION */
    const char *on_update;
    const char *match;         /* MATCH name or NULL (SIMPLE) */
    int deferrable;            /* 0 not, 1 DEFERRABLE INITIALLY IMMEDIATE, 2 DEFERRABLE INITIALLY DEFERRED */
} mig_sch_fkey;

typedef struct mig_sch_table {
    mig_sch_column *cols; int ncols;       /* in table order */
    mig_sch_pkey pk;
    mig_sch_unique *uniques; int nuniques; /* column and table forms, in a stable order */
    mig_sch_check *checks; int nchecks;
    mig_sch_fkey *fkeys; int nfkeys;
    int without_rowid, strict;
} mig_sch_table;

typedef struct mig_sch_index {
    const char *table;
    int unique;
    mig_sch_key_part *parts; int nparts;
    const char *where;         /* partial index: normalised, or NULL */
} mig_sch_index;

typedef struct mig_sch_view {
    const char **columns; int ncolumns;    /* CREATE VIEW v(a, b): the names, else 0 */
    const char *select;        /* normalised SELECT */
} mig_sch_view;

typedef struct mig_sch_trigger {
    const char *table;
    const char *sql;           /* the whole CREATE TRIGGER, normalised */
} mig_sch_trigger;

typedef struct mig_sch_object {
    mig_so_kind kind;
    const char *schema;        /* NULL: the default namespace (SQLite main) */
    const char *name;
    const char *sql;           /* the statement as the database stored it (for messages and dumps;
                                  not compared, not in the JSON) or NULL */
    union {
        mig_sch_table table;
        mig_sch_index index;
        mig_sch_view view;
        mig_sch_trigger trigger;
    } u;
} mig_sch_object;

/* A lookup index of an array of objects by (kind, schema, name): a hash of
 * the ASCII-lower-case names, so a lookup costs O(1) on average.  It knows
 * the array by address and length: a lookup with another array or length
 * (objects added since, a private copy) searches the array linearly instead,
 * with the same result; an object renamed in place after indexing is not
 * found by its new name (rebuild the index).  Memory from the arena. */
typedef struct mig_sch_names {
    const mig_sch_object *v;   /* the array indexed */
    int n;                     /* objects indexed: v[0 .. n) */
    unsigned cap;              /* slots, a power of two, at least 2n; 0: none */
    int *slot;                 /* 1 + an object's index in v, 0 empty */
} mig_sch_names;

/* Index v[0 .. n): 0, or -1 (out of memory; ix then finds nothing by hash). */
int mig_sch_names_build(mig_arena *ar, mig_sch_names *ix, const mig_sch_object *v, int n);

/* The index in v of the first object of v[0 .. n) of kind k, in namespace
 * `schema` (NULL: the default one; compared ASCII case-insensitively) named
 * `name` (ASCII case-insensitively, or byte for byte when `exact`), or -1.
 * ix may be NULL (a linear search). */
int mig_sch_names_find(const mig_sch_names *ix, const mig_sch_object *v, int n, mig_so_kind k, const char *schema,
                       const char *name, int exact);

typedef struct mig_schema {
    mig_dialect dialect;
    mig_sch_object *objs; int nobjs, cap;  /* sorted by mig_schema_finish: kind, schema, name */
    mig_sch_names names;       /* the lookup index of objs (kept by the builders, mig_schema_from_json
                                  and mig_schema_finish; a model filled by hand has none: mig_schema_find
                                  then searches linearly) */
} mig_schema;

void mig_schema_init(mig_schema *s, mig_dialect d);

/* Add one row of SQLite's sqlite_schema (type, name, tbl_name, sql): the
 * CREATE statement is parsed (core/ddl) into the model.  Internal objects
 * (sqlite_%, automatic indexes with sql NULL) are skipped; the frontend
 * leaves out mig's own state tables.  Errors name the object ("table \"t\":
 * ..."); a virtual table is an error.  name and tbl_name may be NULL (taken
 * from the statement).  Add the tables first: an index's expressions are
 * normalised knowing its table's columns ("x" there is the column x). */
int mig_schema_add_sqlite(mig_arena *ar, mig_schema *s, const char *type, const char *name,
                          const char *tbl_name, const char *sql, mig_err *err);

/* Sort the objects (and what has no meaningful order inside a table:
 * uniques, checks, foreign keys) into the canonical order. */
void mig_schema_finish(mig_schema *s);

/* Find an object, or NULL (names compared as the dialect does: ASCII
 * case-insensitive on SQLite). */
const mig_sch_object *mig_schema_find(const mig_schema *s, mig_so_kind k, const char *schema, const char *name);

/* Canonical JSON (compact, keys in a fixed order, objects in canonical
 * order): equal models give byte-equal text.  NULL on out of memory. */
char *mig_schema_to_json(mig_arena *ar, const mig_schema *s, mig_err *err);

/* Read a snapshot back; errors name the JSON path ("objects[3].columns[1].name:
 * expected a string"); a document that is not a mig snapshot is an error. */
int mig_schema_from_json(mig_arena *ar, const char *json, size_t len, mig_schema *out, mig_err *err);

/* Normalise an SQL expression or statement of the dialect (see above).
 * NULL (with err) when the text does not tokenize. */
char *mig_schema_norm_sql(mig_arena *ar, mig_dialect d, const char *sql, size_t len, mig_err *err);

/* Filters of mig_snapshot: kinds and name patterns (GLOB on SQLite). */
typedef struct mig_schema_filter {
    unsigned kinds;            /* bit (1u << mig_so_kind); 0 = all */
    mig_strlist include;       /* names matching any (empty: all) */
    mig_strlist exclude;       /* names matching none */
    mig_strlist schemas;       /* PostgreSQL: namespaces (empty: all but the system ones) */
} mig_schema_filter;

/* Read mig_snapshot's options, a JSON object (NULL or "": no filter):
 * "kinds": ["table", "index", "view", "trigger"], "include" and "exclude":
 * arrays of name patterns, and on PostgreSQL "schemas".  Unknown keys and
 * wrong types are errors.  The patterns are matched by the frontend (GLOB on
 * SQLite), on an object's name; an index or trigger also goes when its table
 * is left out. */
int mig_schema_filter_parse(mig_arena *ar, mig_dialect d, const char *json, mig_schema_filter *f, mig_err *err);

/* One option of a snapshot's filters: a JSON array of non-empty name
 * patterns (a string with a NUL inside is refused), added to l.  Errors
 * name the option `key`.  Shared by both databases' option readers. */
struct json_t;
int mig_schema_opt_patterns(mig_arena *ar, const struct json_t *v, const char *key, mig_strlist *l, mig_err *err);

/* Rename hints of a diff.  A table hint: table = old name, to = new name.
 * A column hint: table = the table's name in the `to` schema, column = the
 * old column name, to = the new one.  A hint that matches nothing is an
 * error naming it. */
typedef struct mig_schema_rename {
    mig_so_kind kind;          /* MIG_SO_TABLE for tables and columns (column != NULL) */
    const char *schema;
    const char *table;
    const char *column;
    const char *to;
} mig_schema_rename;

typedef struct mig_diff_opts {
    mig_schema_rename *renames; int nrenames;
} mig_diff_opts;

/* The line that precedes a statement of a diff that loses data: the mark,
 * then what is lost ("table t", "column t.c", "column t.c changes type
 * from TEXT to INTEGER"). */
#define MIG_SCHEMA_LOSS_MARK "-- loses data: "

/*
 * The body of a revision that takes a database whose model is `from` to
 * `to` (-- mig:upgrade section) and back (-- mig:downgrade), for the
 * dialect of the models; "" when they are equal.  Statements are ordered by
 * dependency; on SQLite, native ALTER where SQLite has it and
 * mig_batch(...) where a table must be rebuilt.  A statement that loses data
 * is preceded by a "-- mig: loses data: ..." line.
 */
int mig_schema_diff(mig_arena *ar, const mig_schema *from, const mig_schema *to, const mig_diff_opts *opts,
                    char **body, mig_err *err);

/* Render a CREATE statement for one object, in the dialect's syntax
 * (used by the diff and by dumps). */
char *mig_schema_create_sql(mig_arena *ar, const mig_schema *s, const mig_sch_object *o, mig_err *err);

#endif /* MIG_SCHEMA_H */
