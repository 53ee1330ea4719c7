/*
 * ddl.h - parser of SQLite's CREATE TABLE and CREATE INDEX statements for
 * mig_batch (SPEC §5).
 *
 * A batch rebuild of a SQLite table must produce a new CREATE TABLE that
 * differs from the stored one (sqlite_master.sql) only where an ALTER action
 * changed it.  So the parser does not build an expression tree: it records
 * every piece of the statement as a byte span into the original text, and a
 * rebuild copies the spans it keeps as written (quoting, comments inside a
 * definition, odd spellings and all) and writes new text only for what an
 * action changes.
 *
 * The grammar is SQLite's (https://www.sqlite.org/lang_createtable.html and
 * parse.y), including its keyword fallback: non-reserved keywords (KEY,
 * ACTION, REPLACE, ...) are identifiers wherever an identifier may stand, a
 * 'string' may name a table, column or constraint, CROSS/LEFT/... may name
 * them too.  Expressions (CHECK, DEFAULT (...), GENERATED ... AS (...)) are
 * not parsed, only delimited: their parentheses must balance.
 *
 * Plain C11: all memory comes from the caller's arena; no globals.  Every
 * function returns 0 on success and -1 with a filled mig_err (MIG_E_INPUT
 * naming the byte offset and an excerpt, or MIG_E_NOMEM) on failure.  The
 * parsed text need not be NUL-terminated and is not modified; spans refer
 * to it, so it must outlive the result.
 */
#ifndef MIG_DDL_H
#define MIG_DDL_H

#include "mig_base.h"

#include <stddef.h>

/* Bytes [off, off+len) of the parsed text.  len 0 means absent; off then
 * still lies inside [0, text length] and marks where the piece would go. */
typedef struct {
    size_t off, len;
} mig_span;

typedef enum {
    MIG_CC_PRIMARY_KEY,
    MIG_CC_NOT_NULL,
    MIG_CC_NULL,
    MIG_CC_UNIQUE,
    MIG_CC_CHECK,
    MIG_CC_DEFAULT,
    MIG_CC_COLLATE,
    MIG_CC_REFERENCES,
    MIG_CC_GENERATED
} mig_colcons_kind;

typedef struct {
    mig_colcons_kind kind;
    mig_span span;          /* the whole constraint incl. an optional leading "CONSTRAINT name";
                               a [NOT] DEFERRABLE clause (SQLite's grammar makes it a constraint of
                               its own) goes with the constraint before it, normally REFERENCES */
    const char *name;       /* constraint name (unquoted) or NULL */
    mig_span expr;          /* DEFAULT: the value as written, from its sign to its end, incl. parens
                               if written; CHECK/GENERATED: the expression inside the parens (first to
                               last token); COLLATE: the collation name as written */
    int autoincrement;      /* PRIMARY KEY ... AUTOINCREMENT */
    /* additions */
    int desc;               /* PRIMARY KEY DESC */
    int stored;             /* GENERATED ... STORED (0: VIRTUAL, the default) */
    const char *ref_table;  /* REFERENCES: the parent table (unquoted) */
    const char **ref_columns; int nref_columns; /* REFERENCES t(c, ...): the parent columns */
} mig_ddl_colcons;

typedef struct {
    const char *name;       /* unquoted value of the identifier ("a b" for "a b", [a b], `a b`,
                               'a b') */
    mig_span name_span;     /* as written, quotes included */
    mig_span type_span;     /* type name as written, e.g. VARCHAR(512) or "unsigned big int";
                               len 0 when absent (off: just after the name) */
    mig_span def_span;      /* the whole column definition, first to last token */
    mig_ddl_colcons *cons; int ncons;
} mig_ddl_column;

typedef enum { MIG_TC_PRIMARY_KEY, MIG_TC_UNIQUE, MIG_TC_CHECK, MIG_TC_FOREIGN_KEY } mig_tabcons_kind;

typedef struct {
    mig_tabcons_kind kind;
    const char *name;       /* CONSTRAINT name (unquoted) or NULL */
    mig_span span;          /* whole table constraint as written, incl. "CONSTRAINT name" */
    const char **columns; int ncolumns;  /* PK/UNIQUE: indexed columns (unquoted names; an
                               expression element is skipped); FK: the local columns */
    mig_span expr;          /* CHECK: the expression inside the parens (first to last token) */
    const char *ref_table;  /* FK: referenced table (unquoted) */
    /* additions */
    const char **ref_columns; int nref_columns; /* FK: the parent columns, when written */
    int autoincrement;      /* PRIMARY KEY (a AUTOINCREMENT) */
} mig_ddl_tabcons;

typedef struct {
    const char *schema;     /* "main", "temp"... as written (unquoted) or NULL */
    const char *name;       /* unquoted table name */
    mig_span name_span;     /* as written (without the schema prefix) */
    int temp, if_not_exists;
    mig_ddl_column *cols; int ncols;
    mig_ddl_tabcons *cons; int ncons;
    mig_span body;          /* from after "(" to before the matching ")" */
    mig_span options;       /* after the closing ")": e.g. "WITHOUT ROWID, STRICT"; len 0 when none */
    int without_rowid, strict;
} mig_ddl_table;

/* Parse one CREATE [TEMP] TABLE statement (an optional trailing ';' and
 * comments allowed).  CREATE TABLE ... AS SELECT and CREATE VIRTUAL TABLE
 * are errors: they have no column definitions to rebuild. */
int mig_ddl_parse_create_table(mig_arena *ar, const char *sql, size_t len, mig_ddl_table *out,
                               mig_err *err);

/* Does the SQL text in span mention identifier `name` (as an identifier
 * token, any quoting, ASCII case-insensitive, not inside string literals or
 * comments)?  1 or 0.  For CHECK expressions, index definitions (pass the
 * whole CREATE INDEX text), view and trigger SQL.  Bare reserved keywords
 * (PRIMARY, SELECT, ...) never count, other bare words do (KEY may be a
 * column).  Never fails: malformed text is scanned as far as it goes. */
int mig_ddl_mentions(const char *sql, mig_span span, const char *name);

/* Quote an identifier for SQLite: always "..." with " doubled.  NULL when
 * out of memory. */
char *mig_ddl_quote(mig_arena *ar, const char *name);

/* Compare identifiers as SQLite does (ASCII case-insensitive): 1 if equal.
 * NULL equals nothing. */
int mig_ddl_ident_eq(const char *a, const char *b);

/* CREATE [UNIQUE] INDEX [IF NOT EXISTS] [schema.]name ON table (columns)
 * [WHERE expr]. */
typedef struct {
    const char *name;       /* unquoted index name */
    const char *table;      /* unquoted table name */
    int unique;
    mig_span where;         /* the WHERE expression (first to last token); len 0: not partial */
    mig_span columns;       /* inside the parentheses (first to last token) */
    /* additions */
    const char *schema;     /* schema prefix of the index name (unquoted) or NULL */
    int if_not_exists;
    mig_span name_span;     /* index name as written */
    mig_span table_span;    /* table name as written */
} mig_ddl_index;

int mig_ddl_parse_create_index(mig_arena *ar, const char *sql, size_t len, mig_ddl_index *out,
                               mig_err *err);

/* Helpers. */

/* Index of the column named `name` (mig_ddl_ident_eq), or -1. */
int mig_ddl_find_column(const mig_ddl_table *t, const char *name);

/* Copy of the text of a span (NUL-terminated), NULL when out of memory. */
char *mig_ddl_span_dup(mig_arena *ar, const char *sql, mig_span span);

/* Unquoted value of one identifier or string token as written ("a""b",
 * [x], `x`, 'x', or a bare word); NULL when out of memory.  Used on
 * name_span and the like. */
char *mig_ddl_unquote(mig_arena *ar, const char *s, size_t n);

#endif /* MIG_DDL_H */
