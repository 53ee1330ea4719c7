/*
 * schemadiff.c — the diff of two schema models and its SQLite rendering
 * (SPEC §7): mig_schema_create_sql and mig_schema_diff.
 *
 * The diff works on the models only (no database): objects are matched by
 * kind, schema and name (ASCII case-insensitive on SQLite) after the rename
 * hints are applied to a working copy of `from`; the upgrade section is the
 * changes from `from` to `to`, the downgrade section the same computation
 * from `to` back to `from` with the hints inverted.
 *
 * One direction runs in this order:
 *   1. triggers, then views, that are removed, changed, or mention a table
 *      that changes (or a view dropped here) are dropped, dependents first;
 *   2. indexes removed or changed are dropped;
 *   3. hinted renames: tables (ALTER TABLE .. RENAME TO), then columns;
 *   4. new tables are created, changed tables altered, removed tables dropped,
 *      in that order unless foreign keys need another (table_statements);
 *      a changed table: SQLite's ADD COLUMN when every change is a column
 *      appended that SQLite can add; else one mig_batch() with ALTER TABLE
 *      actions when they can say it; else mig_batch()'s "create" option
 *      (a rebuild to the complete new CREATE TABLE);
 *   5. indexes, views (dependencies first) and triggers are created.
 * A statement that drops a table or a column, or changes a column's type
 * affinity, is preceded by a MIG_SCHEMA_LOSS_MARK line.
 *
 * Rendering and the builder (core/schema.c) are each other's inverse on the
 * model: a CREATE statement rendered here, read back, gives the same model.
 * Plain C11; arena memory only; no globals.
 */
#include "schema.h"
#include "ddl.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NOMEM() mig_fail(err, MIG_E_NOMEM, "out of memory")
#define NOMEM_D(d) mig_fail((d)->err, MIG_E_NOMEM, "out of memory")

/* ---- names ------------------------------------------------------------------------ */

/* SQLite's keywords (https://www.sqlite.org/lang_keywords.html), sorted: an
 * identifier that is one of them is written quoted. */
static const char *const KEYWORDS[] = {
    "ABORT", "ACTION", "ADD", "AFTER", "ALL", "ALTER", "ALWAYS", "ANALYZE", "AND", "AS", "ASC", "ATTACH",
    "AUTOINCREMENT", "BEFORE", "BEGIN", "BETWEEN", "BY", "CASCADE", "CASE", "CAST", "CHECK", "COLLATE", "COLUMN",
    "COMMIT", "CONFLICT", "CONSTRAINT", "CREATE", "CROSS", "CURRENT", "CURRENT_DATE", "CURRENT_TIME",
    "CURRENT_TIMESTAMP", "DATABASE", "DEFAULT", "DEFERRABLE", "DEFERRED", "DELETE", "DESC", "DETACH", "DISTINCT",
    "DO", "DROP", "EACH", "ELSE", "END", "ESCAPE", "EXCEPT", "EXCLUDE", "EXCLUSIVE", "EXISTS", "EXPLAIN", "FAIL",
    "FALSE", "FILTER", "FIRST", "FOLLOWING", "FOR", "FOREIGN", "FROM", "FULL", "GENERATED", "GLOB", "GROUP",
    "GROUPS", "HAVING", "IF", "IGNORE", "IMMEDIATE", "IN", "INDEX", "INDEXED", "INITIALLY", "INNER", "INSERT",
    "INSTEAD", "INTERSECT", "INTO", "IS", "ISNULL", "JOIN", "KEY", "LAST", "LEFT", "LIKE", "LIMIT", "MATCH",
    "MATERIALIZED", "NATURAL", "NO", "NOT", "NOTHING", "NOTNULL", "NULL", "NULLS", "OF", "OFFSET", "ON", "OR",
    "ORDER", "OTHERS", "OUTER", "OVER", "PARTITION", "PLAN", "PRAGMA", "PRECEDING", "PRIMARY", "QUERY", "RAISE",
    "RANGE", "RECURSIVE", "REFERENCES", "REGEXP", "REINDEX", "RELEASE", "RENAME", "REPLACE", "RESTRICT",
    "RETURNING", "RIGHT", "ROLLBACK", "ROW", "ROWID", "ROWS", "SAVEPOINT", "SELECT", "SET", "STORED", "STRICT",
    "TABLE", "TEMP", "TEMPORARY", "THEN", "TIES", "TO", "TRANSACTION", "TRIGGER", "TRUE", "UNBOUNDED", "UNION",
    "UNIQUE", "UPDATE", "USING", "VACUUM", "VALUES", "VIEW", "VIRTUAL", "WHEN", "WHERE", "WINDOW", "WITH",
    "WITHOUT"};

static int kw_cmp(const void *a, const void *b)
{
    return strcasecmp(*(const char *const *)a, *(const char *const *)b);
}

/* Does the identifier need quotes: not [A-Za-z_][A-Za-z0-9_]*, or a keyword? */
static int needs_quote(const char *s)
{
    const char *p;
    if (!s || !*s || !(isalpha((unsigned char)*s) || *s == '_'))
        return 1;
    for (p = s; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '_') || (unsigned char)*p >= 0x80)
            return 1;
    return bsearch(&s, KEYWORDS, sizeof KEYWORDS / sizeof KEYWORDS[0], sizeof KEYWORDS[0], kw_cmp) != NULL;
}

/* An identifier as SQL: bare when it can be, else quoted (mig_ddl_quote). */
static const char *qid(mig_arena *ar, const char *s)
{
    return needs_quote(s) ? mig_ddl_quote(ar, s ? s : "") : s;
}

static void put_id(mig_buf *b, const char *s)
{
    const char *q = qid(b->ar, s);
    if (!q) {
        b->oom = 1; /* quoting ran out of memory */
        return;
    }
    mig_buf_puts(b, q);
}

/* A declared type as SQL.  The model keeps it as SQLite understood it: a
 * type written as one quoted token ('NOT NULL', "INTEGER") is dequoted, as
 * SQLite does; one with quoted words among others (INTE"x"GER) keeps them,
 * and is written as it is.  A type without quotes is written bare when it
 * has the shape of SQLite's type names (words, then an optional
 * "(n)" or "(n,m)") and none of its words is a keyword; any other
 * ('NOT NULL', ',x', 'a(b', "where", TIMESTAMP WITH TIME ZONE) is written as
 * one quoted token, which SQLite dequotes again. */
static int type_word(const char *w, size_t n)
{
    char k[32];
    const char *kp = k;
    if (n >= sizeof k)
        return 1;
    memcpy(k, w, n);
    k[n] = '\0';
    /* a keyword (WHERE, NOT, DEFAULT, ...) may not read as a type name: quote the type */
    return bsearch(&kp, KEYWORDS, sizeof KEYWORDS / sizeof KEYWORDS[0], sizeof KEYWORDS[0], kw_cmp) == NULL;
}

static int type_arg(const char **pp)
{
    const char *p = *pp;
    if (*p == '+' || *p == '-')
        p++;
    if (!isalnum((unsigned char)*p) && *p != '.')
        return 0;
    while (isalnum((unsigned char)*p) || *p == '.' || *p == '_')
        p++;
    *pp = p;
    return 1;
}

static int type_bare(const char *p)
{
    int words = 0;
    for (;;) {
        const char *w = p;
        if (!(isalpha((unsigned char)*p) || *p == '_'))
            return 0;
        while (isalnum((unsigned char)*p) || *p == '_')
            p++;
        if (!type_word(w, (size_t)(p - w)))
            return 0;
        words++;
        if (*p == ' ')
            p++;
        else
            break;
    }
    if (*p == '(') {
        p++;
        if (!type_arg(&p))
            return 0;
        if (*p == ',') {
            p++;
            if (!type_arg(&p))
                return 0;
        }
        if (*p++ != ')')
            return 0;
    }
    return words > 0 && *p == '\0';
}

static const char *type_sql(mig_arena *ar, const char *type)
{
    if (!type || strpbrk(type, "\"'`[]") || type_bare(type))
        return type;
    return mig_sprintf(ar, "\"%s\"", type);
}

/* Identifiers equal as SQLite compares them (ASCII case-insensitive). */
static int id_eq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return mig_ddl_ident_eq(a, b);
}

/* Texts equal byte for byte (NULL equals NULL). */
static int s_eq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

static const char *kind_name(mig_so_kind k)
{
    switch (k) {
    case MIG_SO_TABLE:
        return "table";
    case MIG_SO_INDEX:
        return "index";
    case MIG_SO_VIEW:
        return "view";
    case MIG_SO_TRIGGER:
        return "trigger";
    }
    return "object";
}

static const char *kind_sql(mig_so_kind k)
{
    switch (k) {
    case MIG_SO_TABLE:
        return "TABLE";
    case MIG_SO_INDEX:
        return "INDEX";
    case MIG_SO_VIEW:
        return "VIEW";
    case MIG_SO_TRIGGER:
        return "TRIGGER";
    }
    return "TABLE";
}

/* The object's name as SQL, with its schema when it has one. */
static void put_obj_name(mig_buf *b, const char *schema, const char *name)
{
    if (schema) {
        put_id(b, schema);
        mig_buf_puts(b, ".");
    }
    put_id(b, name);
}

/* ---- rendering ------------------------------------------------------------------- */

static void put_parts(mig_buf *b, const mig_sch_key_part *p, int n, int autoincrement)
{
    int i;
    for (i = 0; i < n; i++) {
        if (i)
            mig_buf_puts(b, ", ");
        if (p[i].column)
            put_id(b, p[i].column);
        else
            mig_buf_puts(b, p[i].expr ? p[i].expr : "NULL");
        if (p[i].collate) {
            mig_buf_puts(b, " COLLATE ");
            put_id(b, p[i].collate);
        }
        if (p[i].desc)
            mig_buf_puts(b, " DESC");
    }
    if (autoincrement)
        mig_buf_puts(b, " AUTOINCREMENT");
}

static void put_conflict(mig_buf *b, const char *conflict)
{
    if (conflict) {
        mig_buf_puts(b, " ON CONFLICT ");
        mig_buf_puts(b, conflict);
    }
}

static void put_cname(mig_buf *b, const char *name)
{
    if (name) {
        mig_buf_puts(b, "CONSTRAINT ");
        put_id(b, name);
        mig_buf_puts(b, " ");
    }
}

/* Is the primary key written on its column?  Always for SQLite's INTEGER
 * PRIMARY KEY DESC (column_level: not a rowid alias, while the table form
 * is); otherwise when it is one column with no DESC or COLLATE, where both
 * forms mean the same and `id INTEGER PRIMARY KEY` is how people write it. */
static int pk_written_on_column(const mig_sch_table *t)
{
    const mig_sch_key_part *p = t->pk.parts;
    int i;
    if (!(t->pk.nparts == 1 && p[0].column && (t->pk.column_level || (!p[0].desc && !p[0].collate))))
        return 0;
    /* a key naming no column of the table (a snapshot can say so) is written as a table constraint,
       never lost */
    for (i = 0; i < t->ncols; i++)
        if (id_eq(t->cols[i].name, p[0].column))
            return 1;
    return 0;
}

static int pk_on_column(const mig_sch_table *t, const char *col)
{
    return pk_written_on_column(t) && id_eq(t->pk.parts[0].column, col);
}

static void put_column(mig_buf *b, const mig_sch_table *t, const mig_sch_column *c)
{
    put_id(b, c->name);
    if (c->type && *c->type) {
        const char *ty = type_sql(b->ar, c->type);
        mig_buf_puts(b, " ");
        if (ty)
            mig_buf_puts(b, ty);
        else
            b->oom = 1;
    }
    if (t && pk_on_column(t, c->name)) {
        mig_buf_puts(b, " ");
        put_cname(b, t->pk.name);
        mig_buf_puts(b, "PRIMARY KEY");
        if (t->pk.parts[0].collate) {
            /* a collation of the key goes on the column */
        }
        if (t->pk.parts[0].desc)
            mig_buf_puts(b, " DESC");
        put_conflict(b, t->pk.conflict);
        if (t->pk.autoincrement)
            mig_buf_puts(b, " AUTOINCREMENT");
    }
    if (c->notnull) {
        mig_buf_puts(b, " NOT NULL");
        put_conflict(b, c->conflict);
    }
    if (c->collate) {
        mig_buf_puts(b, " COLLATE ");
        put_id(b, c->collate);
    }
    if (c->dflt) {
        mig_buf_puts(b, " DEFAULT (");
        mig_buf_puts(b, c->dflt);
        mig_buf_puts(b, ")");
    }
    if (c->generated != MIG_GEN_NONE) {
        mig_buf_puts(b, " GENERATED ALWAYS AS (");
        mig_buf_puts(b, c->gen_expr ? c->gen_expr : "NULL");
        mig_buf_puts(b, c->generated == MIG_GEN_STORED ? ") STORED" : ") VIRTUAL");
    }
}

static void put_unique(mig_buf *b, const mig_sch_unique *u)
{
    put_cname(b, u->name);
    mig_buf_puts(b, "UNIQUE (");
    put_parts(b, u->parts, u->nparts, 0);
    mig_buf_puts(b, ")");
    put_conflict(b, u->conflict);
}

static void put_check(mig_buf *b, const mig_sch_check *c)
{
    put_cname(b, c->name);
    mig_buf_puts(b, "CHECK (");
    mig_buf_puts(b, c->expr ? c->expr : "1");
    mig_buf_puts(b, ")");
}

static void put_names(mig_buf *b, const char *const *v, int n)
{
    int i;
    for (i = 0; i < n; i++) {
        if (i)
            mig_buf_puts(b, ", ");
        put_id(b, v[i]);
    }
}

/* REFERENCES parent [(cols)] and the actions, as the column form and the table form end. */
static void put_references(mig_buf *b, const mig_sch_fkey *f)
{
    mig_buf_puts(b, "REFERENCES ");
    put_obj_name(b, f->ref_schema, f->ref_table);
    if (f->nref_columns) {
        mig_buf_puts(b, " (");
        put_names(b, f->ref_columns, f->nref_columns);
        mig_buf_puts(b, ")");
    }
    if (f->on_delete) {
        mig_buf_puts(b, " ON DELETE ");
        mig_buf_puts(b, f->on_delete);
    }
    if (f->on_update) {
        mig_buf_puts(b, " ON UPDATE ");
        mig_buf_puts(b, f->on_update);
    }
    if (f->match) {
        mig_buf_puts(b, " MATCH ");
        put_id(b, f->match);
    }
    if (f->deferrable)
        mig_buf_puts(b, f->deferrable == 2 ? " DEFERRABLE INITIALLY DEFERRED" : " DEFERRABLE INITIALLY IMMEDIATE");
}

static void put_fkey(mig_buf *b, const mig_sch_fkey *f)
{
    put_cname(b, f->name);
    mig_buf_puts(b, "FOREIGN KEY (");
    put_names(b, f->columns, f->ncolumns);
    mig_buf_puts(b, ") ");
    put_references(b, f);
}

/* pk_last: the primary key as a table constraint after the UNIQUEs (the same
 * model; see rename_guard) */
static void put_pk(mig_buf *b, const mig_sch_table *t)
{
    mig_buf_puts(b, ", ");
    put_cname(b, t->pk.name);
    mig_buf_puts(b, "PRIMARY KEY (");
    put_parts(b, t->pk.parts, t->pk.nparts, t->pk.autoincrement);
    mig_buf_puts(b, ")");
    put_conflict(b, t->pk.conflict);
}

static void put_table_ex(mig_buf *b, const mig_sch_object *o, int pk_last)
{
    const mig_sch_table *t = &o->u.table;
    int i, pk_col = pk_written_on_column(t) && !pk_last;
    mig_buf_puts(b, "CREATE TABLE ");
    put_obj_name(b, o->schema, o->name);
    mig_buf_puts(b, " (");
    for (i = 0; i < t->ncols; i++) {
        if (i)
            mig_buf_puts(b, ", ");
        put_column(b, pk_col ? t : NULL, &t->cols[i]);
    }
    if (t->pk.nparts && !pk_col && !pk_last)
        put_pk(b, t);
    for (i = 0; i < t->nuniques; i++) {
        mig_buf_puts(b, ", ");
        put_unique(b, &t->uniques[i]);
    }
    if (t->pk.nparts && pk_last)
        put_pk(b, t);
    for (i = 0; i < t->nchecks; i++) {
        mig_buf_puts(b, ", ");
        put_check(b, &t->checks[i]);
    }
    for (i = 0; i < t->nfkeys; i++) {
        mig_buf_puts(b, ", ");
        put_fkey(b, &t->fkeys[i]);
    }
    mig_buf_puts(b, ")");
    if (t->without_rowid)
        mig_buf_puts(b, " WITHOUT ROWID");
    if (t->strict)
        mig_buf_puts(b, t->without_rowid ? ", STRICT" : " STRICT");
}

static void put_table(mig_buf *b, const mig_sch_object *o)
{
    put_table_ex(b, o, 0);
}

static void put_index(mig_buf *b, const mig_sch_object *o)
{
    const mig_sch_index *x = &o->u.index;
    mig_buf_puts(b, x->unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ");
    put_obj_name(b, o->schema, o->name);
    mig_buf_puts(b, " ON ");
    put_id(b, x->table);
    mig_buf_puts(b, " (");
    put_parts(b, x->parts, x->nparts, 0);
    mig_buf_puts(b, ")");
    if (x->where) {
        mig_buf_puts(b, " WHERE ");
        mig_buf_puts(b, x->where);
    }
}

static void put_view(mig_buf *b, const mig_sch_object *o)
{
    const mig_sch_view *v = &o->u.view;
    mig_buf_puts(b, "CREATE VIEW ");
    put_obj_name(b, o->schema, o->name);
    if (v->ncolumns) {
        mig_buf_puts(b, " (");
        put_names(b, v->columns, v->ncolumns);
        mig_buf_puts(b, ")");
    }
    mig_buf_puts(b, " AS ");
    mig_buf_puts(b, v->select ? v->select : "SELECT NULL");
}

char *mig_schema_create_sql(mig_arena *ar, const mig_schema *s, const mig_sch_object *o, mig_err *err)
{
    mig_buf b;
    (void)s;
    if (!o || !o->name)
        return (mig_fail(err, MIG_E_INPUT, "schema diff: an object without a name"), NULL);
    mig_buf_init(&b, ar);
    switch (o->kind) {
    case MIG_SO_TABLE:
        put_table(&b, o);
        break;
    case MIG_SO_INDEX:
        if (!o->u.index.table)
            return (mig_fail(err, MIG_E_INPUT, "schema diff: index %s has no table", o->name), NULL);
        put_index(&b, o);
        break;
    case MIG_SO_VIEW:
        put_view(&b, o);
        break;
    case MIG_SO_TRIGGER:
        if (!o->u.trigger.sql)
            return (mig_fail(err, MIG_E_INPUT, "schema diff: trigger %s has no statement", o->name), NULL);
        mig_buf_puts(&b, o->u.trigger.sql);
        break;
    default:
        return (mig_fail(err, MIG_E_INPUT, "schema diff: %s: unknown kind of object", o->name), NULL);
    }
    if (b.oom || !b.data) {
        mig_fail(err, MIG_E_NOMEM, "out of memory");
        return NULL;
    }
    return b.data;
}

/* ---- equality --------------------------------------------------------------------- */

static int parts_eq(const mig_sch_key_part *a, int na, const mig_sch_key_part *b, int nb)
{
    int i;
    if (na != nb)
        return 0;
    for (i = 0; i < na; i++)
        if (!s_eq(a[i].column, b[i].column) || !s_eq(a[i].expr, b[i].expr) || !s_eq(a[i].collate, b[i].collate) ||
            a[i].desc != b[i].desc)
            return 0;
    return 1;
}

static int names_eq(const char *const *a, int na, const char *const *b, int nb)
{
    int i;
    if (na != nb)
        return 0;
    for (i = 0; i < na; i++)
        if (!s_eq(a[i], b[i]))
            return 0;
    return 1;
}

static int col_eq(const mig_sch_column *a, const mig_sch_column *b)
{
    return s_eq(a->name, b->name) && s_eq(a->type ? a->type : "", b->type ? b->type : "") && a->notnull == b->notnull &&
           s_eq(a->dflt, b->dflt) && s_eq(a->collate, b->collate) && a->generated == b->generated &&
           s_eq(a->gen_expr, b->gen_expr) && s_eq(a->conflict, b->conflict);
}

static int pk_eq(const mig_sch_pkey *a, const mig_sch_pkey *b)
{
    return s_eq(a->name, b->name) && parts_eq(a->parts, a->nparts, b->parts, b->nparts) &&
           a->autoincrement == b->autoincrement && a->column_level == b->column_level && s_eq(a->conflict, b->conflict);
}

static int unique_eq(const mig_sch_unique *a, const mig_sch_unique *b)
{
    return s_eq(a->name, b->name) && parts_eq(a->parts, a->nparts, b->parts, b->nparts) && s_eq(a->conflict, b->conflict);
}

static int check_eq(const mig_sch_check *a, const mig_sch_check *b)
{
    return s_eq(a->name, b->name) && s_eq(a->expr, b->expr);
}

static int fkey_eq(const mig_sch_fkey *a, const mig_sch_fkey *b)
{
    return s_eq(a->name, b->name) && names_eq(a->columns, a->ncolumns, b->columns, b->ncolumns) &&
           s_eq(a->ref_table, b->ref_table) && s_eq(a->ref_schema, b->ref_schema) &&
           names_eq(a->ref_columns, a->nref_columns, b->ref_columns, b->nref_columns) && s_eq(a->on_delete, b->on_delete) &&
           s_eq(a->on_update, b->on_update) && s_eq(a->match, b->match) && a->deferrable == b->deferrable;
}

/* How many of v[0, n) equal x. */
static int count_unique(const mig_sch_unique *v, int n, const mig_sch_unique *x)
{
    int i, c = 0;
    for (i = 0; i < n; i++)
        c += unique_eq(&v[i], x);
    return c;
}
static int count_check(const mig_sch_check *v, int n, const mig_sch_check *x)
{
    int i, c = 0;
    for (i = 0; i < n; i++)
        c += check_eq(&v[i], x);
    return c;
}
static int count_fkey(const mig_sch_fkey *v, int n, const mig_sch_fkey *x)
{
    int i, c = 0;
    for (i = 0; i < n; i++)
        c += fkey_eq(&v[i], x);
    return c;
}

/* Is v[i] matched in w: the k-th copy of a constraint in v is matched by a k-th
 * copy in w (SQLite keeps duplicates: the lists are multisets). */
static int unique_in(const mig_sch_unique *v, int i, const mig_sch_unique *w, int m)
{
    return count_unique(v, i + 1, &v[i]) <= count_unique(w, m, &v[i]);
}
static int check_in(const mig_sch_check *v, int i, const mig_sch_check *w, int m)
{
    return count_check(v, i + 1, &v[i]) <= count_check(w, m, &v[i]);
}
static int fkey_in(const mig_sch_fkey *v, int i, const mig_sch_fkey *w, int m)
{
    return count_fkey(v, i + 1, &v[i]) <= count_fkey(w, m, &v[i]);
}

static int table_eq(const mig_sch_table *a, const mig_sch_table *b)
{
    int i;
    if (a->ncols != b->ncols || a->nuniques != b->nuniques || a->nchecks != b->nchecks || a->nfkeys != b->nfkeys ||
        a->without_rowid != b->without_rowid || a->strict != b->strict || !pk_eq(&a->pk, &b->pk))
        return 0;
    for (i = 0; i < a->ncols; i++)
        if (!col_eq(&a->cols[i], &b->cols[i]))
            return 0;
    /* constraints have no meaningful order, but SQLite keeps duplicates: the
     * same multiset (each of a's matched with its own one of b's) */
    for (i = 0; i < a->nuniques; i++)
        if (count_unique(a->uniques, a->nuniques, &a->uniques[i]) != count_unique(b->uniques, b->nuniques, &a->uniques[i]))
            return 0;
    for (i = 0; i < a->nchecks; i++)
        if (count_check(a->checks, a->nchecks, &a->checks[i]) != count_check(b->checks, b->nchecks, &a->checks[i]))
            return 0;
    for (i = 0; i < a->nfkeys; i++)
        if (count_fkey(a->fkeys, a->nfkeys, &a->fkeys[i]) != count_fkey(b->fkeys, b->nfkeys, &a->fkeys[i]))
            return 0;
    return 1;
}

static int obj_eq(const mig_sch_object *a, const mig_sch_object *b)
{
    if (a->kind != b->kind || !s_eq(a->name, b->name) || !s_eq(a->schema, b->schema))
        return 0;
    switch (a->kind) {
    case MIG_SO_TABLE:
        return table_eq(&a->u.table, &b->u.table);
    case MIG_SO_INDEX:
        return s_eq(a->u.index.table, b->u.index.table) && a->u.index.unique == b->u.index.unique &&
               parts_eq(a->u.index.parts, a->u.index.nparts, b->u.index.parts, b->u.index.nparts) &&
               s_eq(a->u.index.where, b->u.index.where);
    case MIG_SO_VIEW:
        return names_eq(a->u.view.columns, a->u.view.ncolumns, b->u.view.columns, b->u.view.ncolumns) &&
               s_eq(a->u.view.select, b->u.view.select);
    case MIG_SO_TRIGGER:
        return s_eq(a->u.trigger.table, b->u.trigger.table) && s_eq(a->u.trigger.sql, b->u.trigger.sql);
    }
    return 0;
}

/* ---- the working copy and the rename hints --------------------------------------------- */

typedef struct {
    mig_arena *ar;
    mig_err *err;
    mig_sch_object *f; int nf;       /* `from`, hints applied (a private copy) */
    const mig_sch_object *g; int ng; /* `to` */
    mig_sch_names fx, gx;            /* lookup indexes of f (once the hints are applied) and g */
    mig_strlist stmts;               /* the direction's statements, in order ("-- ..." lines included) */
    mig_strlist changed;             /* names (as in `from`, before the renames) of tables that change */
    mig_strlist guarded;             /* tables whose rename_guard was decided (their names in g) */
    const mig_schema_rename *hints;  /* the rename hints of this direction */
    int nhints;
} dctx;

/* The index in `from` (f) or `to` (g) of an object, or -1: names as SQLite
 * compares them (ASCII case-insensitive). */
static int find_f(const dctx *d, mig_so_kind k, const char *schema, const char *name)
{
    return mig_sch_names_find(&d->fx, d->f, d->nf, k, schema, name, 0);
}

static int find_g(const dctx *d, mig_so_kind k, const char *schema, const char *name)
{
    return mig_sch_names_find(&d->gx, d->g, d->ng, k, schema, name, 0);
}

/* Any object of `from` named `name` (tables, indexes and views share SQLite's namespace). */
static int name_taken(const dctx *d, const char *schema, const char *name)
{
    return find_f(d, MIG_SO_TABLE, schema, name) >= 0 || find_f(d, MIG_SO_VIEW, schema, name) >= 0 ||
           find_f(d, MIG_SO_INDEX, schema, name) >= 0;
}

static int col_index(const mig_sch_table *t, const char *name)
{
    int i;
    for (i = 0; i < t->ncols; i++)
        if (id_eq(t->cols[i].name, name))
            return i;
    return -1;
}

static int add_stmt(dctx *d, const char *s)
{
    if (!s || mig_strlist_add(d->ar, &d->stmts, s))
        return mig_fail(d->err, MIG_E_NOMEM, "out of memory");
    return 0;
}

static int add_stmt_buf(dctx *d, mig_buf *b)
{
    if (b->oom || !b->data)
        return mig_fail(d->err, MIG_E_NOMEM, "out of memory");
    return add_stmt(d, b->data);
}

static int mark_changed(dctx *d, const char *name)
{
    if (!mig_strlist_has(&d->changed, name) && mig_strlist_add(d->ar, &d->changed, name))
        return mig_fail(d->err, MIG_E_NOMEM, "out of memory");
    return 0;
}

static const char **names_copy(mig_arena *ar, const char *const *v, int n)
{
    const char **c = mig_alloc(ar, sizeof(char *) * (size_t)(n ? n : 1));
    if (c && n)
        memcpy(c, v, sizeof(char *) * (size_t)n);
    return c;
}

static mig_sch_key_part *parts_copy(mig_arena *ar, const mig_sch_key_part *v, int n)
{
    mig_sch_key_part *c = mig_alloc(ar, sizeof(*c) * (size_t)(n ? n : 1));
    if (c && n)
        memcpy(c, v, sizeof(*c) * (size_t)n);
    return c;
}

static void rename_in_parts(mig_sch_key_part *p, int n, const char *from, const char *to)
{
    int i;
    for (i = 0; i < n; i++)
        if (p[i].column && id_eq(p[i].column, from))
            p[i].column = to;
}

static void rename_in_names(const char **v, int n, const char *from, const char *to)
{
    int i;
    for (i = 0; i < n; i++)
        if (id_eq(v[i], from))
            v[i] = to;
}

/* Give the table's constraint arrays and columns private copies before renaming in them. */
static int own_table(dctx *d, mig_sch_table *t)
{
    mig_arena *ar = d->ar;
    int i;
    mig_sch_column *cols = mig_alloc(ar, sizeof(*cols) * (size_t)(t->ncols ? t->ncols : 1));
    mig_sch_unique *u = mig_alloc(ar, sizeof(*u) * (size_t)(t->nuniques ? t->nuniques : 1));
    mig_sch_fkey *f = mig_alloc(ar, sizeof(*f) * (size_t)(t->nfkeys ? t->nfkeys : 1));
    if (!cols || !u || !f)
        return mig_fail(d->err, MIG_E_NOMEM, "out of memory");
    if (t->ncols)
        memcpy(cols, t->cols, sizeof(*cols) * (size_t)t->ncols);
    if (t->nuniques)
        memcpy(u, t->uniques, sizeof(*u) * (size_t)t->nuniques);
    if (t->nfkeys)
        memcpy(f, t->fkeys, sizeof(*f) * (size_t)t->nfkeys);
    t->cols = cols;
    t->uniques = u;
    t->fkeys = f;
    if (!(t->pk.parts = parts_copy(ar, t->pk.parts, t->pk.nparts)))
        return mig_fail(d->err, MIG_E_NOMEM, "out of memory");
    for (i = 0; i < t->nuniques; i++)
        if (!(u[i].parts = parts_copy(ar, u[i].parts, u[i].nparts)))
            return mig_fail(d->err, MIG_E_NOMEM, "out of memory");
    for (i = 0; i < t->nfkeys; i++)
        if (!(f[i].columns = names_copy(ar, f[i].columns, f[i].ncolumns)) ||
            !(f[i].ref_columns = names_copy(ar, f[i].ref_columns, f[i].nref_columns)))
            return mig_fail(d->err, MIG_E_NOMEM, "out of memory");
    return 0;
}

static int hint_table(dctx *d, const mig_schema_rename *h)
{
    int i, ti = find_f(d, MIG_SO_TABLE, h->schema, h->table);
    const char *old;
    if (!h->table || !h->to || !*h->to)
        return mig_fail(d->err, MIG_E_INPUT, "rename hint: a table hint needs \"table\" and \"to\"");
    if (ti < 0)
        return mig_fail(d->err, MIG_E_INPUT, "rename hint: table \"%s\" to \"%s\": there is no table \"%s\" to rename",
                        h->table, h->to, h->table);
    if (!id_eq(h->table, h->to) && name_taken(d, h->schema, h->to))
        return mig_fail(d->err, MIG_E_INPUT, "rename hint: table \"%s\" to \"%s\": \"%s\" already exists", h->table,
                        h->to, h->to);
    if (find_g(d, MIG_SO_TABLE, h->schema, h->to) < 0)
        return mig_fail(d->err, MIG_E_INPUT,
                        "rename hint: table \"%s\" to \"%s\": the new schema has no table \"%s\"", h->table, h->to,
                        h->to);
    old = d->f[ti].name;
    {
        mig_buf b;
        mig_buf_init(&b, d->ar);
        mig_buf_puts(&b, "ALTER TABLE ");
        put_obj_name(&b, h->schema, old);
        mig_buf_puts(&b, " RENAME TO ");
        put_id(&b, h->to);
        if (add_stmt_buf(d, &b) || mark_changed(d, old))
            return -1;
    }
    d->f[ti].name = h->to;
    /* what SQLite's RENAME TO carries along: indexes, triggers, foreign keys elsewhere */
    for (i = 0; i < d->nf; i++) {
        mig_sch_object *o = &d->f[i];
        if (o->kind == MIG_SO_INDEX && id_eq(o->u.index.table, old))
            o->u.index.table = h->to;
        else if (o->kind == MIG_SO_TRIGGER && id_eq(o->u.trigger.table, old))
            o->u.trigger.table = h->to;
        else if (o->kind == MIG_SO_TABLE) {
            int k, hit = 0;
            for (k = 0; k < o->u.table.nfkeys; k++)
                hit |= id_eq(o->u.table.fkeys[k].ref_table, old);
            if (hit) {
                if (own_table(d, &o->u.table))
                    return -1;
                for (k = 0; k < o->u.table.nfkeys; k++)
                    if (id_eq(o->u.table.fkeys[k].ref_table, old))
                        o->u.table.fkeys[k].ref_table = h->to;
            }
        }
    }
    return 0;
}

static int rename_guard(dctx *d, const mig_sch_object *o, const char *name, mig_strlist *out);

static int hint_column(dctx *d, const mig_schema_rename *h)
{
    int i, ti, ci, gi;
    mig_sch_table *t;
    const char *old;
    if (!h->table || !h->column || !h->to || !*h->to)
        return mig_fail(d->err, MIG_E_INPUT, "rename hint: a column hint needs \"table\", \"column\" and \"to\"");
    ti = find_f(d, MIG_SO_TABLE, h->schema, h->table);
    gi = find_g(d, MIG_SO_TABLE, h->schema, h->table);
    if (ti < 0 || gi < 0)
        return mig_fail(d->err, MIG_E_INPUT, "rename hint: column \"%s\".\"%s\" to \"%s\": there is no table \"%s\"%s",
                        h->table, h->column, h->to, h->table,
                        ti < 0 ? " in the current schema" : " in the new schema");
    t = &d->f[ti].u.table;
    if ((ci = col_index(t, h->column)) < 0)
        return mig_fail(d->err, MIG_E_INPUT,
                        "rename hint: column \"%s\".\"%s\" to \"%s\": table \"%s\" has no column \"%s\"", h->table,
                        h->column, h->to, h->table, h->column);
    if (!id_eq(h->column, h->to) && col_index(t, h->to) >= 0)
        return mig_fail(d->err, MIG_E_INPUT, "rename hint: column \"%s\".\"%s\" to \"%s\": \"%s\" already exists",
                        h->table, h->column, h->to, h->to);
    if (col_index(&d->g[gi].u.table, h->to) < 0)
        return mig_fail(d->err, MIG_E_INPUT,
                        "rename hint: column \"%s\".\"%s\" to \"%s\": table \"%s\" of the new schema has no column \"%s\"",
                        h->table, h->column, h->to, h->table, h->to);
    old = t->cols[ci].name;
    if (rename_guard(d, &d->f[ti], d->f[ti].name, &d->stmts))
        return -1;
    {
        mig_buf b;
        mig_buf_init(&b, d->ar);
        mig_buf_puts(&b, "ALTER TABLE ");
        put_obj_name(&b, h->schema, d->f[ti].name);
        mig_buf_puts(&b, " RENAME COLUMN ");
        put_id(&b, old);
        mig_buf_puts(&b, " TO ");
        put_id(&b, h->to);
        if (add_stmt_buf(d, &b) || mark_changed(d, d->f[ti].name))
            return -1;
    }
    if (own_table(d, t))
        return -1;
    t->cols[ci].name = h->to;
    rename_in_parts(t->pk.parts, t->pk.nparts, old, h->to);
    for (i = 0; i < t->nuniques; i++)
        rename_in_parts(t->uniques[i].parts, t->uniques[i].nparts, old, h->to);
    for (i = 0; i < t->nfkeys; i++)
        rename_in_names(t->fkeys[i].columns, t->fkeys[i].ncolumns, old, h->to);
    /* indexes on the table, and foreign keys elsewhere that name the column */
    for (i = 0; i < d->nf; i++) {
        mig_sch_object *o = &d->f[i];
        if (o->kind == MIG_SO_INDEX && id_eq(o->u.index.table, d->f[ti].name)) {
            if (!(o->u.index.parts = parts_copy(d->ar, o->u.index.parts, o->u.index.nparts)))
                return mig_fail(d->err, MIG_E_NOMEM, "out of memory");
            rename_in_parts(o->u.index.parts, o->u.index.nparts, old, h->to);
        } else if (o->kind == MIG_SO_TABLE) {
            int k;
            mig_sch_table *ot = &o->u.table;
            if (ot == t)
                continue;
            for (k = 0; k < ot->nfkeys; k++)
                if (id_eq(ot->fkeys[k].ref_table, d->f[ti].name)) {
                    if (own_table(d, ot))
                        return -1;
                    break;
                }
            for (k = 0; k < ot->nfkeys; k++)
                if (id_eq(ot->fkeys[k].ref_table, d->f[ti].name))
                    rename_in_names(ot->fkeys[k].ref_columns, ot->fkeys[k].nref_columns, old, h->to);
        }
    }
    return 0;
}

/* ---- one table's change ------------------------------------------------------------------ */

/* SQLite's type affinity of a declared type (https://www.sqlite.org/datatype3.html, 3.1). */
static int affinity(const char *type)
{
    char up[256];
    size_t i;
    if (!type || !*type)
        return 'B';
    for (i = 0; i < sizeof up - 1 && type[i]; i++)
        up[i] = (char)toupper((unsigned char)type[i]);
    up[i] = 0;
    if (strstr(up, "INT"))
        return 'I';
    if (strstr(up, "CHAR") || strstr(up, "CLOB") || strstr(up, "TEXT"))
        return 'T';
    if (strstr(up, "BLOB"))
        return 'B';
    if (strstr(up, "REAL") || strstr(up, "FLOA") || strstr(up, "DOUB"))
        return 'R';
    return 'N';
}

/* A declared type for a message. */
static const char *type_name(const char *t)
{
    return t && *t ? t : "(none)";
}

/* Narrowing: the affinity changes to one that converts values (anything but BLOB). */
static int narrows(const char *from, const char *to)
{
    int a = affinity(from), b = affinity(to);
    return a != b && b != 'B';
}

/* A single literal SQLite's ADD COLUMN takes as a default: a signed number, a
 * string, a blob, NULL, TRUE or FALSE. */
static int constant_default(const char *v)
{
    const char *p;
    if (!v)
        return 1;
    p = v;
    if (*p == '+' || *p == '-')
        p++;
    if (isdigit((unsigned char)*p) || (*p == '.' && isdigit((unsigned char)p[1]))) {
        for (; *p; p++)
            if (!(isalnum((unsigned char)*p) || *p == '.' || ((*p == '+' || *p == '-') && (p[-1] == 'e' || p[-1] == 'E'))))
                return 0;
        return 1;
    }
    if (p != v)
        return 0;
    if ((*p == 'x' || *p == 'X') && p[1] == '\'')
        p++;
    if (*p == '\'') {
        for (p++; *p; p++)
            if (*p == '\'') {
                if (p[1] == '\'')
                    p++;
                else
                    return p[1] == 0;
            }
        return 0;
    }
    return strcasecmp(v, "NULL") == 0 || strcasecmp(v, "TRUE") == 0 || strcasecmp(v, "FALSE") == 0;
}

static int text_mentions(const char *text, const char *name)
{
    mig_span sp;
    if (!text)
        return 0;
    sp.off = 0;
    sp.len = strlen(text);
    return mig_ddl_mentions(text, sp, name);
}

static int parts_mention(const mig_sch_key_part *p, int n, const char *col)
{
    int i;
    for (i = 0; i < n; i++)
        if ((p[i].column && id_eq(p[i].column, col)) || (p[i].expr && text_mentions(p[i].expr, col)))
            return 1;
    return 0;
}

static int names_have(const char *const *v, int n, const char *col)
{
    int i;
    for (i = 0; i < n; i++)
        if (id_eq(v[i], col))
            return 1;
    return 0;
}

/* Does any of the columns of `t` that `g` lacks appear in this constraint? */
typedef struct {
    const mig_sch_table *f, *g;
} tpair;

static int drops_col(const tpair *p, const char *col)
{
    return col_index(p->f, col) >= 0 && col_index(p->g, col) < 0;
}

static int unique_needs_dropped(const tpair *p, const mig_sch_unique *u)
{
    int i;
    for (i = 0; i < p->f->ncols; i++)
        if (drops_col(p, p->f->cols[i].name) && parts_mention(u->parts, u->nparts, p->f->cols[i].name))
            return 1;
    return 0;
}

static int check_needs_dropped(const tpair *p, const mig_sch_check *c)
{
    int i;
    for (i = 0; i < p->f->ncols; i++)
        if (drops_col(p, p->f->cols[i].name) && text_mentions(c->expr, p->f->cols[i].name))
            return 1;
    return 0;
}

static int fkey_needs_dropped(const tpair *p, const mig_sch_fkey *f)
{
    int i;
    for (i = 0; i < p->f->ncols; i++)
        if (drops_col(p, p->f->cols[i].name) && names_have(f->columns, f->ncolumns, p->f->cols[i].name))
            return 1;
    return 0;
}

/* The ALTER TABLE actions that take table f to g for mig_batch, or 0 when
 * they cannot say it (then the table is rebuilt to g's CREATE TABLE).
 * *native: every action is an ADD COLUMN that SQLite's own ALTER does. */
static int table_actions(dctx *d, const mig_sch_object *fo, const mig_sch_object *go, mig_strlist *acts,
                         mig_strlist *losses, int *native)
{
    const mig_sch_table *f = &fo->u.table, *g = &go->u.table;
    tpair p;
    int i, k, last = -1, seen_new = 0;
    char *fk_inline = mig_alloc0(d->ar, (size_t)g->nfkeys + 1);
    mig_arena *ar = d->ar;
    p.f = f;
    p.g = g;
    *native = 1;
    if (!fk_inline)
        return mig_fail(d->err, MIG_E_NOMEM, "out of memory");
    if (f->without_rowid != g->without_rowid || f->strict != g->strict || !pk_eq(&f->pk, &g->pk))
        return 0;
    /* the kept columns in their old order, the new ones after them; none
     * kept: mig_batch would refuse to drop the last column, the rebuild
     * says it */
    for (i = 0, k = 0; i < g->ncols; i++)
        k += col_index(f, g->cols[i].name) >= 0;
    if (k == 0)
        return 0;
    for (i = 0; i < g->ncols; i++) {
        int fi = col_index(f, g->cols[i].name);
        if (fi < 0) {
            seen_new = 1;
            continue;
        }
        if (seen_new || fi < last)
            return 0;
        last = fi;
    }
#define ACT(...)                                                                                                   \
    do {                                                                                                           \
        const char *a_ = mig_sprintf(ar, __VA_ARGS__);                                                             \
        if (!a_ || mig_strlist_add(ar, acts, a_))                                                                  \
            return mig_fail(d->err, MIG_E_NOMEM, "out of memory");                                                 \
    } while (0)
#define LOSS(...)                                                                                                  \
    do {                                                                                                           \
        const char *l_ = mig_sprintf(ar, __VA_ARGS__);                                                             \
        if (!l_ || mig_strlist_add(ar, losses, l_))                                                                \
            return mig_fail(d->err, MIG_E_NOMEM, "out of memory");                                                 \
    } while (0)
    /* constraints that go: named ones by name; those on a dropped column go with it */
    for (i = 0; i < f->nuniques; i++) {
        int kept = unique_in(f->uniques, i, g->uniques, g->nuniques);
        if (kept && unique_needs_dropped(&p, &f->uniques[i]))
            return 0;
        if (!kept && !unique_needs_dropped(&p, &f->uniques[i])) {
            if (!f->uniques[i].name)
                return 0;
            const char *q = qid(ar, f->uniques[i].name);
            if (!q)
                return mig_fail(d->err, MIG_E_NOMEM, "out of memory");
            ACT("DROP CONSTRAINT %s", q);
            *native = 0;
        }
    }
    for (i = 0; i < f->nchecks; i++) {
        int kept = check_in(f->checks, i, g->checks, g->nchecks);
        if (kept && check_needs_dropped(&p, &f->checks[i]))
            return 0;
        if (!kept && !check_needs_dropped(&p, &f->checks[i])) {
            if (!f->checks[i].name)
                return 0;
            const char *q = qid(ar, f->checks[i].name);
            if (!q)
                return mig_fail(d->err, MIG_E_NOMEM, "out of memory");
            ACT("DROP CONSTRAINT %s", q);
            *native = 0;
        }
    }
    for (i = 0; i < f->nfkeys; i++) {
        int kept = fkey_in(f->fkeys, i, g->fkeys, g->nfkeys);
        if (kept && fkey_needs_dropped(&p, &f->fkeys[i]))
            return 0;
        if (!kept && !fkey_needs_dropped(&p, &f->fkeys[i])) {
            if (!f->fkeys[i].name)
                return 0;
            const char *q = qid(ar, f->fkeys[i].name);
            if (!q)
                return mig_fail(d->err, MIG_E_NOMEM, "out of memory");
            ACT("DROP CONSTRAINT %s", q);
            *native = 0;
        }
    }
    /* dropped columns: a generated column before the columns it reads
     * (mig_batch refuses to drop a column a generated column still uses) */
    {
        char *gone = mig_alloc0(ar, (size_t)f->ncols + 1);
        int left = 0;
        if (!gone)
            return mig_fail(d->err, MIG_E_NOMEM, "out of memory");
        for (i = 0; i < f->ncols; i++)
            left += gone[i] = col_index(g, f->cols[i].name) < 0;
        while (left > 0) {
            int pick = -1;
            for (i = 0; i < f->ncols && pick < 0; i++) {
                int read = 0;
                if (gone[i] != 1)
                    continue;
                for (k = 0; k < f->ncols && !read; k++)
                    read = k != i && gone[k] == 1 && f->cols[k].generated != MIG_GEN_NONE &&
                           text_mentions(f->cols[k].gen_expr, f->cols[i].name);
                if (!read)
                    pick = i;
            }
            for (i = 0; i < f->ncols && pick < 0; i++)
                if (gone[i] == 1)
                    pick = i;
            const char *q = qid(ar, f->cols[pick].name);
            if (!q)
                return mig_fail(d->err, MIG_E_NOMEM, "out of memory");
            gone[pick] = 2;
            left--;
            ACT("DROP COLUMN %s", q);
            LOSS("column %s.%s", fo->name, f->cols[pick].name);
            *native = 0;
        }
    }
    /* changed columns */
    for (i = 0; i < g->ncols; i++) {
        const mig_sch_column *gc = &g->cols[i], *fc;
        int fi = col_index(f, gc->name);
        const char *qn = qid(ar, gc->name);
        if (!qn)
            return mig_fail(d->err, MIG_E_NOMEM, "out of memory");
        if (fi < 0)
            continue;
        fc = &f->cols[fi];
        if (!s_eq(fc->collate, gc->collate) || fc->generated != gc->generated || !s_eq(fc->gen_expr, gc->gen_expr) ||
            (gc->notnull && !s_eq(fc->conflict, gc->conflict)) || !s_eq(fc->name, gc->name))
            return 0;
        if (!s_eq(fc->type ? fc->type : "", gc->type ? gc->type : "")) {
            /* mig_batch cannot alter a generated column's type: the rebuild can */
            if (!gc->type || !*gc->type || gc->generated != MIG_GEN_NONE)
                return 0;
            {
                const char *ty = type_sql(ar, gc->type);
                if (!ty)
                    return NOMEM_D(d);
                ACT("ALTER COLUMN %s TYPE %s", qn, ty);
            }
            if (narrows(fc->type, gc->type))
                LOSS("column %s.%s changes type from %s to %s", fo->name, gc->name, type_name(fc->type),
                     type_name(gc->type));
            *native = 0;
        }
        if (fc->notnull != gc->notnull) {
            /* a WITHOUT ROWID key column is NOT NULL anyway: mig_batch refuses DROP NOT NULL */
            if (g->without_rowid && parts_mention(g->pk.parts, g->pk.nparts, gc->name) && !gc->notnull)
                return 0;
            ACT("ALTER COLUMN %s %s NOT NULL", qn, gc->notnull ? "SET" : "DROP");
            *native = 0;
        }
        if (!s_eq(fc->dflt, gc->dflt)) {
            if (gc->dflt)
                ACT("ALTER COLUMN %s SET DEFAULT (%s)", qn, gc->dflt);
            else
                ACT("ALTER COLUMN %s DROP DEFAULT", qn);
            *native = 0;
        }
    }
    /* new columns, with a foreign key of their own written on them */
    for (i = 0; i < g->ncols; i++) {
        const mig_sch_column *gc = &g->cols[i];
        mig_buf b;
        int fk = -1;
        if (col_index(f, gc->name) >= 0)
            continue;
        for (k = 0; k < g->nfkeys; k++)
            if (g->fkeys[k].ncolumns == 1 && id_eq(g->fkeys[k].columns[0], gc->name) && !fk_inline[k] && fk < 0) {
                if (!fkey_in(g->fkeys, k, f->fkeys, f->nfkeys) && g->fkeys[k].nref_columns <= 1)
                    fk = k;
            }
        mig_buf_init(&b, ar);
        mig_buf_puts(&b, "ADD COLUMN ");
        put_column(&b, NULL, gc);
        if (fk >= 0) {
            fk_inline[fk] = 1;
            mig_buf_puts(&b, " ");
            put_cname(&b, g->fkeys[fk].name);
            put_references(&b, &g->fkeys[fk]);
        }
        if (b.oom || mig_strlist_add(ar, acts, b.data))
            return mig_fail(d->err, MIG_E_NOMEM, "out of memory");
        /* SQLite's own ADD COLUMN: a constant default; NOT NULL only with a
         * non-NULL default; not STORED; a foreign key only with a NULL default */
        if (!constant_default(gc->dflt) || (gc->notnull && (!gc->dflt || strcasecmp(gc->dflt, "NULL") == 0)) ||
            gc->generated == MIG_GEN_STORED || (fk >= 0 && gc->dflt && strcasecmp(gc->dflt, "NULL") != 0))
            *native = 0;
        for (k = 0; k < g->nuniques; k++)
            if (parts_mention(g->uniques[k].parts, g->uniques[k].nparts, gc->name))
                *native = 0; /* a UNIQUE on it: added below, which SQLite's ALTER cannot */
    }
    /* constraints that come */
    for (i = 0; i < g->nuniques; i++) {
        mig_buf b;
        if (unique_in(g->uniques, i, f->uniques, f->nuniques))
            continue;
        mig_buf_init(&b, ar);
        mig_buf_puts(&b, "ADD ");
        put_unique(&b, &g->uniques[i]);
        if (b.oom || mig_strlist_add(ar, acts, b.data))
            return mig_fail(d->err, MIG_E_NOMEM, "out of memory");
        *native = 0;
    }
    for (i = 0; i < g->nchecks; i++) {
        mig_buf b;
        if (check_in(g->checks, i, f->checks, f->nchecks))
            continue;
        mig_buf_init(&b, ar);
        mig_buf_puts(&b, "ADD ");
        put_check(&b, &g->checks[i]);
        if (b.oom || mig_strlist_add(ar, acts, b.data))
            return mig_fail(d->err, MIG_E_NOMEM, "out of memory");
        *native = 0;
    }
    for (i = 0; i < g->nfkeys; i++) {
        mig_buf b;
        if (fk_inline[i])
            continue;
        if (fkey_in(g->fkeys, i, f->fkeys, f->nfkeys))
            continue;
        mig_buf_init(&b, ar);
        mig_buf_puts(&b, "ADD ");
        put_fkey(&b, &g->fkeys[i]);
        if (b.oom || mig_strlist_add(ar, acts, b.data))
            return mig_fail(d->err, MIG_E_NOMEM, "out of memory");
        *native = 0;
    }
#undef ACT
#undef LOSS
    return 1;
}

/* One JSON string (for mig_batch's options), escaped. */
static void put_json_string(mig_buf *b, const char *s)
{
    mig_buf_puts(b, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            mig_buf_putn(b, "\\", 1);
            mig_buf_putn(b, s, 1);
        } else if (c < 0x20)
            mig_buf_printf(b, "\\u%04x", c);
        else
            mig_buf_putn(b, s, 1);
    }
    mig_buf_puts(b, "\"");
}

/* SQLite (3.40) refuses RENAME COLUMN of a primary-key column when a UNIQUE
 * that holds it is written before the table's PRIMARY KEY (...) ("error in
 * table t after rename: no such column").  The model does not keep the order
 * they were written in, so such a table is first rebuilt to its own CREATE
 * TABLE as the diff writes it (the key on its column, or first), which
 * SQLite renames in.  `name`: the table's name at this point.
 *
 * Decided once per table, before its first RENAME COLUMN, for all the
 * renames it will get (hinted or of case only): the model's expressions
 * (CHECK, generated columns) keep the old column names after a rename, so a
 * rebuild rendered from the model after one would name a column that is
 * gone. */
static int will_rename(const dctx *d, const char *schema, const char *table, const char *col)
{
    int i, gi, ci;
    for (i = 0; i < d->nhints; i++)
        if (d->hints[i].column && d->hints[i].table && id_eq(d->hints[i].table, table) &&
            id_eq(d->hints[i].column, col))
            return 1;
    gi = find_g(d, MIG_SO_TABLE, schema, table);
    if (gi < 0)
        return 0;
    ci = col_index(&d->g[gi].u.table, col);
    return ci >= 0 && !s_eq(d->g[gi].u.table.cols[ci].name, col);
}

static int rename_guard(dctx *d, const mig_sch_object *o, const char *name, mig_strlist *out)
{
    const mig_sch_table *t = &o->u.table;
    mig_sch_object c;
    mig_buf j, b;
    char *create;
    int i, k, risky = 0;
    for (i = 0; i < d->guarded.n; i++)
        if (id_eq(d->guarded.v[i], name))
            return 0;
    if (mig_strlist_add(d->ar, &d->guarded, name))
        return NOMEM_D(d);
    for (i = 0; i < t->pk.nparts && !risky; i++) {
        const char *col = t->pk.parts[i].column;
        if (!col || !will_rename(d, o->schema, name, col))
            continue;
        for (k = 0; k < t->nuniques && !risky; k++)
            risky = parts_mention(t->uniques[k].parts, t->uniques[k].nparts, col);
    }
    if (!risky)
        return 0;
    c = *o;
    c.name = name;
    /* a rowid table renames with the key first (on its column or the first
     * constraint); a WITHOUT ROWID table with its PRIMARY KEY (...) after the
     * UNIQUEs */
    mig_buf_init(&j, d->ar);
    put_table_ex(&j, &c, t->without_rowid);
    if (j.oom || !(create = j.data))
        return NOMEM_D(d);
    mig_buf_init(&j, d->ar);
    mig_buf_puts(&j, "{\"create\": ");
    put_json_string(&j, create);
    mig_buf_puts(&j, "}");
    mig_buf_init(&b, d->ar);
    mig_buf_puts(&b, "SELECT mig_batch(");
    mig_buf_quote(&b, name);
    mig_buf_puts(&b, ", '', ");
    mig_buf_quote(&b, j.data ? j.data : "");
    mig_buf_puts(&b, ")");
    if (j.oom || b.oom || !b.data || mig_strlist_add(d->ar, out, b.data))
        return NOMEM_D(d);
    return 0;
}

/* Is this table's change only SQLite's ADD COLUMN (views and triggers over it need not move)? */
typedef struct {
    mig_strlist stmts;
    int heavy;
} tchange;

static int table_change(dctx *d, const mig_sch_object *fo, const mig_sch_object *go, tchange *out)
{
    const mig_sch_table *f = &fo->u.table, *g = &go->u.table;
    mig_strlist acts = {0}, losses = {0};
    int native = 0, i, r, guarded = 0, nbefore;
    mig_arena *ar = d->ar;
    mig_buf b;
    memset(out, 0, sizeof *out);
    if (table_eq(f, g) && s_eq(fo->name, go->name))
        return 0;
#define PUSH(s)                                                                                                    \
    do {                                                                                                           \
        const char *p_ = (s);                                                                                      \
        if (!p_ || mig_strlist_add(ar, &out->stmts, p_))                                                           \
            return mig_fail(d->err, MIG_E_NOMEM, "out of memory");                                                 \
    } while (0)
    /* the name differs only by case: SQLite refuses RENAME TO its own name, so go through another */
    if (!s_eq(fo->name, go->name)) {
        const char *tmp = mig_sprintf(ar, "_mig_rename_%s", go->name);
        const char *qf = qid(ar, fo->name), *qt = tmp ? qid(ar, tmp) : NULL, *qg = qid(ar, go->name);
        if (!qf || !qt || !qg)
            return NOMEM_D(d);
        PUSH(mig_sprintf(ar, "ALTER TABLE %s RENAME TO %s", qf, qt));
        PUSH(mig_sprintf(ar, "ALTER TABLE %s RENAME TO %s", qt, qg));
        out->heavy = 1;
    }
    /* columns whose name differs only by case */
    nbefore = out->stmts.n;
    for (i = 0; i < g->ncols; i++) {
        int fi = col_index(f, g->cols[i].name);
        if (fi >= 0 && !s_eq(f->cols[fi].name, g->cols[i].name)) {
            if (!guarded) {
                if (rename_guard(d, fo, go->name, &out->stmts))
                    return -1;
                guarded = out->stmts.n > nbefore;
            }
            const char *qg = qid(ar, go->name), *qf = qid(ar, f->cols[fi].name), *qt = qid(ar, g->cols[i].name);
            if (!qg || !qf || !qt)
                return NOMEM_D(d);
            PUSH(mig_sprintf(ar, "ALTER TABLE %s RENAME COLUMN %s TO %s", qg, qf, qt));
            out->heavy = 1;
        }
    }
    if (out->heavy) {
        /* go on from the renamed table */
        mig_sch_object *c = mig_alloc(ar, sizeof *c);
        if (!c)
            return NOMEM_D(d);
        *c = *fo;
        c->name = go->name;
        if (own_table(d, &c->u.table))
            return -1;
        for (i = 0; i < g->ncols; i++) {
            int fi = col_index(&c->u.table, g->cols[i].name);
            if (fi >= 0 && !s_eq(c->u.table.cols[fi].name, g->cols[i].name)) {
                const char *old = c->u.table.cols[fi].name;
                int k;
                c->u.table.cols[fi].name = g->cols[i].name;
                rename_in_parts(c->u.table.pk.parts, c->u.table.pk.nparts, old, g->cols[i].name);
                for (k = 0; k < c->u.table.nuniques; k++)
                    rename_in_parts(c->u.table.uniques[k].parts, c->u.table.uniques[k].nparts, old, g->cols[i].name);
                for (k = 0; k < c->u.table.nfkeys; k++)
                    rename_in_names(c->u.table.fkeys[k].columns, c->u.table.fkeys[k].ncolumns, old, g->cols[i].name);
            }
        }
        fo = c;
        f = &c->u.table;
        if (table_eq(f, g))
            return 0;
    }
    if ((r = table_actions(d, fo, go, &acts, &losses, &native)) < 0)
        return -1;
    if (r && native) {
        const char *qg = qid(ar, go->name);
        if (!qg)
            return NOMEM_D(d);
        for (i = 0; i < acts.n; i++)
            PUSH(mig_sprintf(ar, "ALTER TABLE %s %s", qg, acts.v[i]));
        return 0;
    }
    out->heavy = 1;
    if (r) {
        for (i = 0; i < losses.n; i++) {
            mig_buf l;
            mig_buf_init(&l, ar);
            mig_buf_puts(&l, MIG_SCHEMA_LOSS_MARK);
            mig_buf_comment(&l, losses.v[i]);
            PUSH(l.oom ? NULL : l.data);
        }
        mig_buf_init(&b, ar);
        mig_buf_puts(&b, "SELECT mig_batch(");
        mig_buf_quote(&b, go->name);
        mig_buf_puts(&b, ", ");
        {
            const char *joined = mig_strlist_join(ar, &acts, ", ");
            if (!joined)
                return NOMEM_D(d);
            mig_buf_quote(&b, joined);
        }
        mig_buf_puts(&b, ")");
        PUSH(b.oom ? NULL : b.data);
        return 0;
    }
    /* a rebuild to the new CREATE TABLE */
    for (i = 0; i < f->ncols; i++) {
        int gi = col_index(g, f->cols[i].name);
        mig_buf l;
        mig_buf_init(&l, ar);
        mig_buf_puts(&l, MIG_SCHEMA_LOSS_MARK);
        if (gi < 0)
            mig_buf_printf(&l, "column %s.%s", go->name, f->cols[i].name);
        else if (g->cols[gi].generated != MIG_GEN_NONE && f->cols[i].generated == MIG_GEN_NONE)
            mig_buf_printf(&l, "column %s.%s becomes generated: its values are computed", go->name, f->cols[i].name);
        else if (g->cols[gi].generated == MIG_GEN_NONE && narrows(f->cols[i].type, g->cols[gi].type))
            mig_buf_printf(&l, "column %s.%s changes type from %s to %s", go->name, f->cols[i].name,
                           type_name(f->cols[i].type), type_name(g->cols[gi].type));
        else
            continue;
        {
            /* the line is a comment: no line break may end it early */
            mig_buf c2;
            mig_buf_init(&c2, ar);
            mig_buf_comment(&c2, l.data ? l.data : "");
            PUSH(c2.oom ? NULL : c2.data);
        }
    }
    {
        mig_buf j;
        char *create = mig_schema_create_sql(ar, NULL, go, d->err);
        if (!create)
            return -1;
        mig_buf_init(&j, ar);
        mig_buf_puts(&j, "{\"create\": ");
        put_json_string(&j, create);
        mig_buf_puts(&j, "}");
        if (j.oom)
            return NOMEM_D(d);
        mig_buf_init(&b, ar);
        mig_buf_puts(&b, "SELECT mig_batch(");
        mig_buf_quote(&b, go->name);
        mig_buf_puts(&b, ", '', ");
        mig_buf_quote(&b, j.data);
        mig_buf_puts(&b, ")");
        PUSH(b.oom ? NULL : b.data);
    }
#undef PUSH
    return 0;
}

/* ---- one direction ------------------------------------------------------------------------- */

static const char *dep_text(const mig_sch_object *o)
{
    return o->kind == MIG_SO_VIEW ? o->u.view.select : o->kind == MIG_SO_TRIGGER ? o->u.trigger.sql : NULL;
}

static int mentions_any(const mig_sch_object *o, const mig_strlist *names)
{
    int i;
    const char *t = dep_text(o);
    for (i = 0; i < names->n; i++)
        if ((t && text_mentions(t, names->v[i])) ||
            (o->kind == MIG_SO_TRIGGER && id_eq(o->u.trigger.table, names->v[i])))
            return 1;
    return 0;
}

static const char *drop_sql(mig_arena *ar, const mig_sch_object *o)
{
    mig_buf b;
    mig_buf_init(&b, ar);
    mig_buf_puts(&b, "DROP ");
    mig_buf_puts(&b, kind_sql(o->kind));
    mig_buf_puts(&b, " ");
    put_obj_name(&b, o->schema, o->name);
    return b.oom ? NULL : b.data;
}

/* Emit the objects of v marked in `pending` (1), each once, such that an object
 * comes after every other marked object it `needs` (the order for creating;
 * dropping passes the reverse relation).  A cycle is broken in list order. */
typedef int (*needs_fn)(const mig_sch_object *a, const mig_sch_object *b); /* does a need b? */

static int needs_view(const mig_sch_object *a, const mig_sch_object *b)
{
    const char *t = dep_text(a);
    return b->kind == MIG_SO_VIEW && a != b && t && text_mentions(t, b->name);
}
static int needed_by_view(const mig_sch_object *a, const mig_sch_object *b)
{
    return needs_view(b, a);
}
static int emit_ordered(dctx *d, mig_strlist *out, const mig_sch_object *v, int n, char *pending, needs_fn needs,
                        int create)
{
    int left = 0, i, k;
    for (i = 0; i < n; i++)
        left += pending[i] == 1;
    while (left > 0) {
        int pick = -1;
        for (i = 0; i < n && pick < 0; i++) {
            int blocked = 0;
            if (pending[i] != 1)
                continue;
            for (k = 0; k < n && !blocked; k++)
                blocked = k != i && pending[k] == 1 && needs(&v[i], &v[k]);
            if (!blocked)
                pick = i;
        }
        if (pick < 0)
            for (i = 0; i < n && pick < 0; i++)
                if (pending[i] == 1)
                    pick = i;
        pending[pick] = 2;
        left--;
        if (!create && v[pick].kind == MIG_SO_TABLE) {
            mig_buf l;
            mig_buf_init(&l, d->ar);
            mig_buf_puts(&l, MIG_SCHEMA_LOSS_MARK);
            mig_buf_puts(&l, "table ");
            mig_buf_comment(&l, v[pick].name);
            if (l.oom || mig_strlist_add(d->ar, out, l.data))
                return NOMEM_D(d);
        }
        {
            const char *s = create ? mig_schema_create_sql(d->ar, NULL, &v[pick], d->err) : drop_sql(d->ar, &v[pick]);
            if (!s)
                return create && d->err->code != MIG_E_NOMEM ? -1 : NOMEM_D(d);
            if (mig_strlist_add(d->ar, out, s))
                return NOMEM_D(d);
        }
    }
    return 0;
}

/* ---- the tables' statements, ordered by their foreign keys ----------------------------------- */

/* Do the key parts name exactly these columns (in any order)? */
static int parts_are(const mig_sch_key_part *p, int np, const char *const *names, int n)
{
    int i;
    if (np != n || n == 0)
        return 0;
    for (i = 0; i < np; i++)
        if (!p[i].column || !names_have(names, n, p[i].column))
            return 0;
    for (i = 0; i < n; i++)
        if (!parts_mention(p, np, names[i]))
            return 0;
    return 1;
}

/* Does table t hold the parent key the foreign key fk needs: its primary key
 * when fk names no columns, else a primary key or UNIQUE of exactly the
 * columns it names (as SQLite looks for a parent key)? */
static int has_parent_key(const mig_sch_table *t, const mig_sch_fkey *fk)
{
    int i;
    if (fk->nref_columns == 0) {
        for (i = 0; i < t->pk.nparts; i++)
            if (!t->pk.parts[i].column)
                return 0;
        return t->pk.nparts > 0 && t->pk.nparts == fk->ncolumns;
    }
    if (parts_are(t->pk.parts, t->pk.nparts, fk->ref_columns, fk->nref_columns))
        return 1;
    for (i = 0; i < t->nuniques; i++)
        if (parts_are(t->uniques[i].parts, t->uniques[i].nparts, fk->ref_columns, fk->nref_columns))
            return 1;
    return 0;
}

/* Two foreign keys that need the same parent key. */
static int same_parent_key(const mig_sch_fkey *a, const mig_sch_fkey *b)
{
    int i;
    if (!id_eq(a->ref_table, b->ref_table) || a->nref_columns != b->nref_columns || a->ncolumns != b->ncolumns)
        return 0;
    for (i = 0; i < a->nref_columns; i++)
        if (!names_have(b->ref_columns, b->nref_columns, a->ref_columns[i]))
            return 0;
    return 1;
}

static int needs_parent_key(const mig_sch_table *t, const mig_sch_fkey *fk)
{
    int i;
    for (i = 0; t && i < t->nfkeys; i++)
        if (same_parent_key(&t->fkeys[i], fk))
            return 1;
    return 0;
}

enum { TN_CREATE, TN_CHANGE, TN_DROP };

typedef struct {
    int kind;
    const mig_sch_object *old;  /* the table before (TN_CHANGE, TN_DROP), in `from` with the hints applied */
    const mig_sch_object *neu;  /* the table after (TN_CREATE, TN_CHANGE) */
    const mig_strlist *stmts;   /* TN_CHANGE */
} tnode;

/* The node whose table is named `name` before (old) or after (!old), or -1. */
static int tnode_named(const tnode *v, int n, const char *name, int old)
{
    int i;
    for (i = 0; i < n; i++) {
        const mig_sch_object *o = old ? v[i].old : v[i].neu;
        if (o && id_eq(o->name, name))
            return i;
    }
    return -1;
}

static int tnode_emit(dctx *d, mig_strlist *out, const tnode *x)
{
    int k;
    if (x->kind == TN_CHANGE) {
        for (k = 0; k < x->stmts->n; k++)
            if (mig_strlist_add(d->ar, out, x->stmts->v[k]))
                return NOMEM_D(d);
        return 0;
    }
    if (x->kind == TN_DROP) {
        mig_buf l;
        const char *s = drop_sql(d->ar, x->old);
        mig_buf_init(&l, d->ar);
        mig_buf_puts(&l, MIG_SCHEMA_LOSS_MARK);
        mig_buf_puts(&l, "table ");
        mig_buf_comment(&l, x->old->name);
        if (l.oom || !s || mig_strlist_add(d->ar, out, l.data) || mig_strlist_add(d->ar, out, s))
            return NOMEM_D(d);
        return 0;
    }
    {
        const char *s = mig_schema_create_sql(d->ar, NULL, x->neu, d->err);
        if (!s)
            return d->err->code != MIG_E_NOMEM ? -1 : NOMEM_D(d);
        if (mig_strlist_add(d->ar, out, s))
            return NOMEM_D(d);
    }
    return 0;
}

/*
 * New tables created, changed tables altered, removed tables dropped: one
 * graph of statements, ordered by what SQLite checks of foreign keys (a
 * rebuild checks the foreign keys of the table and of its children; a
 * parent key must exist while a foreign key references it):
 *   - a foreign key that goes (its table dropped or changed without it)
 *     goes before its parent is dropped or changed to lack that key;
 *   - a foreign key that comes (its table created or changed) comes after
 *     its parent is created or changed to have that key.
 * Otherwise the order is: created, changed, dropped, each in list order; a
 * cycle is broken in that order.
 */
static int table_statements(dctx *d, const tchange *tc, mig_strlist *out)
{
    mig_arena *ar = d->ar;
    tnode *v = mig_alloc0(ar, sizeof(*v) * (size_t)(d->nf + d->ng + 1));
    int *ef = NULL, *et = NULL, ne = 0, ecap = 0, n = 0, i, k, left;
    int *indeg = mig_alloc0(ar, sizeof(int) * (size_t)(d->nf + d->ng + 1));
    char *done = mig_alloc0(ar, (size_t)(d->nf + d->ng + 1));
    if (!v || !indeg || !done)
        return NOMEM_D(d);
    for (i = 0; i < d->ng; i++)
        if (d->g[i].kind == MIG_SO_TABLE && find_f(d, MIG_SO_TABLE, d->g[i].schema, d->g[i].name) < 0) {
            v[n].kind = TN_CREATE;
            v[n++].neu = &d->g[i];
        }
    for (i = 0; i < d->ng; i++)
        if (tc[i].stmts.n > 0) {
            int fi = find_f(d, MIG_SO_TABLE, d->g[i].schema, d->g[i].name);
            v[n].kind = TN_CHANGE;
            v[n].old = fi >= 0 ? &d->f[fi] : NULL;
            v[n].neu = &d->g[i];
            v[n++].stmts = &tc[i].stmts;
        }
    for (i = 0; i < d->nf; i++)
        if (d->f[i].kind == MIG_SO_TABLE && find_g(d, MIG_SO_TABLE, d->f[i].schema, d->f[i].name) < 0) {
            v[n].kind = TN_DROP;
            v[n++].old = &d->f[i];
        }
#define EDGE(a, b)                                                                                                 \
    do {                                                                                                           \
        if (ne == ecap) {                                                                                          \
            int nc_ = ecap ? ecap * 2 : 16;                                                                        \
            int *nf_ = mig_alloc(ar, sizeof(int) * (size_t)nc_), *nt_ = mig_alloc(ar, sizeof(int) * (size_t)nc_);  \
            if (!nf_ || !nt_)                                                                                      \
                return NOMEM_D(d);                                                                                 \
            if (ne) {                                                                                              \
                memcpy(nf_, ef, sizeof(int) * (size_t)ne);                                                         \
                memcpy(nt_, et, sizeof(int) * (size_t)ne);                                                         \
            }                                                                                                      \
            ef = nf_;                                                                                              \
            et = nt_;                                                                                              \
            ecap = nc_;                                                                                            \
        }                                                                                                          \
        ef[ne] = (a);                                                                                              \
        et[ne++] = (b);                                                                                            \
        indeg[b]++;                                                                                                \
    } while (0)
    for (i = 0; i < n; i++) {
        const mig_sch_table *xo = v[i].old ? &v[i].old->u.table : NULL, *xn = v[i].neu ? &v[i].neu->u.table : NULL;
        /* foreign keys that go: before their parent loses the key */
        for (k = 0; xo && k < xo->nfkeys; k++) {
            const mig_sch_fkey *fk = &xo->fkeys[k];
            int y;
            if (id_eq(fk->ref_table, v[i].old->name) || needs_parent_key(xn, fk) ||
                (y = tnode_named(v, n, fk->ref_table, 1)) < 0 || y == i)
                continue;
            if (!v[y].neu || !has_parent_key(&v[y].neu->u.table, fk))
                EDGE(i, y);
        }
        /* foreign keys that come: after their parent has the key */
        for (k = 0; xn && k < xn->nfkeys; k++) {
            const mig_sch_fkey *fk = &xn->fkeys[k];
            int y;
            if (id_eq(fk->ref_table, v[i].neu->name) || needs_parent_key(xo, fk) ||
                (y = tnode_named(v, n, fk->ref_table, 0)) < 0 || y == i)
                continue;
            if (!v[y].old || !has_parent_key(&v[y].old->u.table, fk))
                EDGE(y, i);
        }
    }
#undef EDGE
    for (left = n; left > 0; left--) {
        int pick = -1;
        for (i = 0; i < n && pick < 0; i++)
            if (!done[i] && indeg[i] == 0)
                pick = i;
        for (i = 0; i < n && pick < 0; i++) /* a cycle: list order */
            if (!done[i])
                pick = i;
        done[pick] = 1;
        for (k = 0; k < ne; k++)
            if (ef[k] == pick)
                indeg[et[k]]--;
        if (tnode_emit(d, out, &v[pick]))
            return -1;
    }
    return 0;
}

static int check_objects(const mig_schema *s, const char *side, mig_err *err)
{
    int i;
    if (s->nobjs < 0 || (s->nobjs > 0 && !s->objs))
        return mig_fail(err, MIG_E_INPUT, "schema diff: the %s schema is malformed", side);
    for (i = 0; i < s->nobjs; i++) {
        const mig_sch_object *o = &s->objs[i];
        if (!o->name)
            return mig_fail(err, MIG_E_INPUT, "schema diff: an object of the %s schema has no name", side);
        if (o->kind != MIG_SO_TABLE && o->kind != MIG_SO_INDEX && o->kind != MIG_SO_VIEW && o->kind != MIG_SO_TRIGGER)
            return mig_fail(err, MIG_E_INPUT, "schema diff: %s of the %s schema: a kind the diff does not handle yet",
                            o->name, side);
        if ((o->kind == MIG_SO_INDEX && !o->u.index.table) || (o->kind == MIG_SO_TRIGGER && !o->u.trigger.sql) ||
            (o->kind == MIG_SO_VIEW && !o->u.view.select))
            return mig_fail(err, MIG_E_INPUT, "schema diff: %s %s of the %s schema is incomplete", kind_name(o->kind),
                            o->name, side);
        if (o->kind == MIG_SO_TABLE && (o->u.table.ncols < 0 || (o->u.table.ncols && !o->u.table.cols)))
            return mig_fail(err, MIG_E_INPUT, "schema diff: table %s of the %s schema is malformed", o->name, side);
        if (o->kind == MIG_SO_TABLE) {
            int k;
            const mig_sch_table *t = &o->u.table;
            for (k = 0; k < t->ncols; k++)
                if (!t->cols[k].name)
                    return mig_fail(err, MIG_E_INPUT, "schema diff: table %s of the %s schema: a column without a name",
                                    o->name, side);
            if (t->nuniques < 0 || t->nchecks < 0 || t->nfkeys < 0 || t->pk.nparts < 0 ||
                (t->nuniques && !t->uniques) || (t->nchecks && !t->checks) || (t->nfkeys && !t->fkeys) ||
                (t->pk.nparts && !t->pk.parts))
                return mig_fail(err, MIG_E_INPUT, "schema diff: table %s of the %s schema is malformed", o->name, side);
        }
    }
    return 0;
}

static int direction(mig_arena *ar, const mig_schema *from, const mig_schema *to, const mig_schema_rename *hints,
                     int nhints, mig_strlist *out, mig_err *err)
{
    dctx d;
    int i, k, pass;
    char *aff, *pending, *gpending;
    tchange *tc;
    memset(&d, 0, sizeof d);
    memset(out, 0, sizeof *out);
    d.ar = ar;
    d.err = err;
    d.nf = from->nobjs;
    d.g = to->objs;
    d.ng = to->nobjs;
    d.hints = hints;
    d.nhints = nhints;
    d.f = mig_alloc(ar, sizeof(*d.f) * (size_t)(d.nf + 1));
    aff = mig_alloc0(ar, (size_t)d.nf + 1);
    pending = mig_alloc0(ar, (size_t)d.nf + 1);
    gpending = mig_alloc0(ar, (size_t)d.ng + 1);
    tc = mig_alloc0(ar, sizeof(*tc) * (size_t)(d.ng + 1));
    if (!d.f || !aff || !pending || !gpending || !tc)
        return NOMEM();
    if (d.nf)
        memcpy(d.f, from->objs, sizeof(*d.f) * (size_t)d.nf);
    if (mig_sch_names_build(ar, &d.gx, d.g, d.ng))
        return NOMEM();
    /* the hints: tables first, then columns (named by their table's new name) */
    for (pass = 0; pass < 2; pass++)
        for (i = 0; i < nhints; i++) {
            const mig_schema_rename *h = &hints[i];
            if (h->kind != MIG_SO_TABLE)
                return mig_fail(err, MIG_E_INPUT, "rename hint %d: only tables and columns can be renamed", i + 1);
            if (pass == 0 && !h->column && hint_table(&d, h))
                return -1;
            if (pass == 1 && h->column && hint_column(&d, h))
                return -1;
        }
    /* the hints renamed in f: its index from here on */
    if (mig_sch_names_build(ar, &d.fx, d.f, d.nf))
        return NOMEM();
    /* tables: changed, dropped */
    for (i = 0; i < d.ng; i++) {
        int fi;
        if (d.g[i].kind != MIG_SO_TABLE || (fi = find_f(&d, MIG_SO_TABLE, d.g[i].schema, d.g[i].name)) < 0)
            continue;
        if (table_change(&d, &d.f[fi], &d.g[i], &tc[i]))
            return -1;
        if (tc[i].heavy && (mark_changed(&d, d.f[fi].name) || mark_changed(&d, from->objs[fi].name)))
            return -1;
    }
    for (i = 0; i < d.nf; i++)
        if (d.f[i].kind == MIG_SO_TABLE && find_g(&d, MIG_SO_TABLE, d.f[i].schema, d.f[i].name) < 0 &&
            mark_changed(&d, d.f[i].name))
            return -1;
    /* views and triggers to drop: gone, changed, or over something that changes */
    for (i = 0; i < d.nf; i++) {
        const mig_sch_object *o = &d.f[i];
        int gi;
        if (o->kind != MIG_SO_VIEW && o->kind != MIG_SO_TRIGGER)
            continue;
        gi = find_g(&d, o->kind, o->schema, o->name);
        aff[i] = gi < 0 || !obj_eq(o, &d.g[gi]) || mentions_any(o, &d.changed);
    }
    for (;;) { /* and over a view dropped here */
        int more = 0;
        for (i = 0; i < d.nf; i++) {
            if (aff[i] || (d.f[i].kind != MIG_SO_VIEW && d.f[i].kind != MIG_SO_TRIGGER))
                continue;
            for (k = 0; k < d.nf && !aff[i]; k++)
                if (aff[k] && d.f[k].kind == MIG_SO_VIEW &&
                    (needs_view(&d.f[i], &d.f[k]) ||
                     (d.f[i].kind == MIG_SO_TRIGGER && id_eq(d.f[i].u.trigger.table, d.f[k].name))))
                    aff[i] = more = 1;
        }
        if (!more)
            break;
    }
    for (i = 0; i < d.nf; i++)
        pending[i] = aff[i] && d.f[i].kind == MIG_SO_TRIGGER;
    if (emit_ordered(&d, out, d.f, d.nf, pending, needed_by_view, 0))
        return -1;
    for (i = 0; i < d.nf; i++)
        pending[i] = aff[i] && d.f[i].kind == MIG_SO_VIEW;
    if (emit_ordered(&d, out, d.f, d.nf, pending, needed_by_view, 0))
        return -1;
    /* indexes gone or changed (those of a dropped table go with it) */
    for (i = 0; i < d.nf; i++) {
        const mig_sch_object *o = &d.f[i];
        int gi;
        pending[i] = 0;
        if (o->kind != MIG_SO_INDEX)
            continue;
        gi = find_g(&d, MIG_SO_INDEX, o->schema, o->name);
        if ((gi < 0 || !obj_eq(o, &d.g[gi])) && find_g(&d, MIG_SO_TABLE, o->schema, o->u.index.table) >= 0 &&
            find_f(&d, MIG_SO_TABLE, o->schema, o->u.index.table) >= 0)
            pending[i] = 1;
        aff[i] = gi < 0 || !obj_eq(o, &d.g[gi]);
    }
    if (emit_ordered(&d, out, d.f, d.nf, pending, needed_by_view, 0))
        return -1;
    /* the renames */
    for (i = 0; i < d.stmts.n; i++)
        if (mig_strlist_add(ar, out, d.stmts.v[i]))
            return NOMEM();
    /* new tables, changed tables, tables gone: ordered by their foreign keys */
    if (table_statements(&d, tc, out))
        return -1;
    /* indexes, views (what they read first) and triggers that are new or were dropped above */
    for (pass = 0; pass < 3; pass++) {
        mig_so_kind kind = pass == 0 ? MIG_SO_INDEX : pass == 1 ? MIG_SO_VIEW : MIG_SO_TRIGGER;
        for (i = 0; i < d.ng; i++) {
            int fi;
            gpending[i] = 0;
            if (d.g[i].kind != kind)
                continue;
            fi = find_f(&d, kind, d.g[i].schema, d.g[i].name);
            gpending[i] = fi < 0 || aff[fi] || !obj_eq(&d.f[fi], &d.g[i]);
        }
        if (emit_ordered(&d, out, d.g, d.ng, gpending, needs_view, 1))
            return -1;
    }
    return 0;
}

static void put_section(mig_buf *b, const char *marker, const mig_strlist *l)
{
    int i;
    mig_buf_puts(b, marker);
    for (i = 0; i < l->n; i++) {
        mig_buf_puts(b, l->v[i]);
        mig_buf_puts(b, strncmp(l->v[i], "--", 2) == 0 ? "\n" : ";\n");
    }
}

int mig_schema_diff(mig_arena *ar, const mig_schema *from, const mig_schema *to, const mig_diff_opts *opts,
                    char **body, mig_err *err)
{
    mig_strlist up, down;
    mig_schema_rename *inv = NULL;
    int n = opts ? opts->nrenames : 0;
    mig_buf b;
    *body = NULL;
    if (!from || !to)
        return mig_fail(err, MIG_E_INPUT, "schema diff: two schemas are needed");
    if (from->dialect == MIG_DIALECT_POSTGRES || to->dialect == MIG_DIALECT_POSTGRES)
        return mig_fail(err, MIG_E_INPUT, "schema diff: PostgreSQL schemas are not handled yet");
    if (n < 0 || (n > 0 && !opts->renames))
        return mig_fail(err, MIG_E_INPUT, "schema diff: malformed rename hints");
    if (check_objects(from, "current", err) || check_objects(to, "new", err))
        return -1;
    if (direction(ar, from, to, n ? opts->renames : NULL, n, &up, err))
        return -1;
    /* back: the hints inverted; a column hint names its table as the current schema has it */
    if (n) {
        int i, k;
        if (!(inv = mig_alloc0(ar, sizeof(*inv) * (size_t)n)))
            return NOMEM();
        for (i = 0; i < n; i++) {
            const mig_schema_rename *h = &opts->renames[i];
            inv[i] = *h;
            if (!h->column) {
                inv[i].table = h->to;
                inv[i].to = h->table;
                continue;
            }
            inv[i].column = h->to;
            inv[i].to = h->column;
            for (k = 0; k < n; k++)
                if (!opts->renames[k].column && id_eq(opts->renames[k].to, h->table))
                    inv[i].table = opts->renames[k].table;
        }
    }
    if (direction(ar, to, from, inv, n, &down, err)) {
        mig_err_prefix(err, "in the downgrade: ");
        return -1;
    }
    mig_buf_init(&b, ar);
    mig_buf_puts(&b, "");
    if (up.n || down.n) {
        put_section(&b, "-- mig:upgrade\n", &up);
        put_section(&b, "-- mig:downgrade\n", &down);
    }
    if (b.oom || !b.data)
        return NOMEM();
    *body = b.data;
    return 0;
}
