/*
 * batch.h — mig_batch (SPEC §5): the action parser (PostgreSQL's ALTER TABLE
 * syntax) and the SQLite planner that picks SQLite's own ALTER where it is
 * correct and otherwise composes one table rebuild that keeps every column
 * definition, constraint, index, trigger and view as written.
 *
 * Plain C: the frontend reads the schema (sqlite_master, pragmas) into a
 * mig_batch_schema and runs the statements of the plan inside one
 * savepoint, with foreign-key enforcement and ALTER's rewriting of other
 * objects switched off around a rebuild (see sqlite_ext/).
 */
#ifndef MIG_BATCH_H
#define MIG_BATCH_H

#include "ddl.h"
#include "mig_base.h"

typedef enum {
    MIG_BA_ADD_COLUMN,
    MIG_BA_DROP_COLUMN,
    MIG_BA_ALTER_TYPE,
    MIG_BA_SET_NOT_NULL,
    MIG_BA_DROP_NOT_NULL,
    MIG_BA_SET_DEFAULT,
    MIG_BA_DROP_DEFAULT,
    MIG_BA_RENAME_COLUMN,
    MIG_BA_ADD_CONSTRAINT,
    MIG_BA_DROP_CONSTRAINT,
    MIG_BA_RENAME_TABLE
} mig_batch_kind;

typedef struct mig_batch_action {
    mig_batch_kind kind;
    size_t pos;              /* byte offset of the action in the actions text */
    size_t len;              /* its length (trailing white space excluded) */
    const char *column;      /* the column acted on (unquoted) */
    const char *new_name;    /* RENAME: the new name (unquoted) */
    const char *new_name_sql;/* RENAME: the new name as written */
    const char *name;        /* ADD/DROP CONSTRAINT: the constraint name, or NULL */
    const char *default_name;/* DROP CONSTRAINT before a RENAME COLUMN: `name` as PostgreSQL's
                                default name of an unnamed constraint reads after the rename
                                (t_a_key -> t_b_key), or NULL */
    const char *text;        /* ADD COLUMN: the column definition; ADD CONSTRAINT: the constraint;
                                ALTER TYPE: the type; SET DEFAULT: the expression (as written) */
    const char *using_expr;  /* ALTER TYPE ... USING expr, or NULL */
    int if_exists;           /* DROP ... IF EXISTS / ADD COLUMN IF NOT EXISTS */
} mig_batch_action;

typedef struct mig_batch_actions {
    mig_batch_action *v;
    int n;
} mig_batch_actions;

/* Parse the comma-separated actions; errors name the position and the text there. */
int mig_batch_parse(mig_arena *ar, const char *text, size_t len, mig_batch_actions *out, mig_err *err);

/* A schema object as sqlite_master has it. */
typedef struct mig_schema_obj {
    const char *type; /* "index", "trigger", "view", "table" */
    const char *name;
    const char *tbl_name;
    const char *sql; /* NULL for automatic indexes */
} mig_schema_obj;

/* A foreign key of another table that points at the table: one per column
 * pair (a foreign key of two columns is two, with one id). */
typedef struct mig_fk_ref {
    const char *child;   /* the referencing table */
    const char *from;    /* its column */
    const char *to;      /* the referenced column, NULL for the primary key */
    int id;              /* which foreign key of the child (PRAGMA foreign_key_list's id) */
} mig_fk_ref;

typedef struct mig_batch_schema {
    const char *table_sql;                      /* CREATE TABLE of the table */
    mig_schema_obj *indexes; int nindexes;      /* the table's indexes */
    mig_schema_obj *triggers; int ntriggers;    /* triggers ON the table */
    mig_schema_obj *others; int nothers;        /* every other view and trigger of the schema */
    mig_fk_ref *refs; int nrefs;                /* foreign keys elsewhere pointing at the table */
    const char **names; int nnames;             /* every name in the schema (for a free temporary name) */
    int has_sequence;                           /* a sqlite_sequence row exists for the table */
} mig_batch_schema;

typedef struct mig_batch_plan {
    int rebuild;              /* 0: SQLite's own ALTER statements only */
    mig_strlist stmts;        /* to run in order, inside one savepoint */
    mig_strlist views;        /* views to compile after a rebuild */
    mig_strlist fk_tables;    /* tables to PRAGMA foreign_key_check after a rebuild */
    const char *temp_name;    /* the name the old table has during a rebuild */
} mig_batch_plan;

/*
 * Split off the renames: SQLite's RENAME COLUMN statements for columns of
 * the table (they run first; the names in the actions before each rename
 * are translated), the table's RENAME TO (runs last), and the rest.
 */
int mig_batch_split(mig_arena *ar, const char *table, const char *table_sql, const mig_batch_actions *actions,
                    mig_strlist *first, mig_batch_actions *rest, mig_strlist *last, mig_err *err);

/*
 * Plan the rest on the schema as it is after the renames: SQLite's ADD/DROP
 * COLUMN where that is correct, else one rebuild.
 */
int mig_batch_plan_sqlite(mig_arena *ar, const char *table, const mig_batch_actions *actions,
                          const mig_batch_schema *schema, mig_batch_plan *out, mig_err *err);

/*
 * Plan a rebuild of the table to a complete CREATE TABLE statement (the
 * "create" option of mig_batch): the columns the old and the new table both
 * have (by name, ASCII case-insensitive; generated columns of the new one
 * excepted) are copied, with the rowid when both tables have one; indexes,
 * triggers and the AUTOINCREMENT mark are kept as in any rebuild.  The
 * statement must create the table itself (its name, in the main database).
 */
int mig_batch_plan_create(mig_arena *ar, const char *table, const char *create_sql, const mig_batch_schema *schema,
                          mig_batch_plan *out, mig_err *err);

#endif
