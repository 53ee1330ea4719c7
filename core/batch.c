/*
 * batch.c — mig_batch actions (PostgreSQL's ALTER TABLE syntax) and their
 * SQLite plan.
 *
 * The plan works on a model of the table built from its CREATE TABLE as
 * written (core/ddl.c): each column keeps its definition text unless an
 * action changes it, each table constraint its text unless dropped.  A
 * rebuild is SQLite's documented 12-step procedure (create, copy, drop,
 * rename), in the order that keeps the new table's CREATE TABLE exactly as
 * composed: rename the old table away, create the new one under the real
 * name, copy, drop the old one, recreate indexes and triggers from their
 * stored SQL.  Semantics follow PostgreSQL: DROP COLUMN takes the indexes
 * and table constraints on the column with it, and refuses when a view,
 * trigger, generated column or another table's foreign key needs it.
 */
#include "batch.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define NOMEM() mig_fail(err, MIG_E_NOMEM, "out of memory")

/* ---- a small lexer for the actions text -------------------------------------- */

typedef enum { T_WORD, T_QIDENT, T_STRING, T_NUMBER, T_PUNCT, T_END } tkind;

typedef struct {
    tkind kind;
    size_t off, len;
} tok;

static size_t skip_space(const char *s, size_t len, size_t i)
{
    for (;;) {
        while (i < len && isspace((unsigned char)s[i]))
            i++;
        if (i + 1 < len && s[i] == '-' && s[i + 1] == '-') {
            while (i < len && s[i] != '\n')
                i++;
        } else if (i + 1 < len && s[i] == '/' && s[i + 1] == '*') {
            i += 2;
            while (i + 1 < len && !(s[i] == '*' && s[i + 1] == '/'))
                i++;
            i = i + 1 < len ? i + 2 : len;
        } else
            return i;
    }
}

/* The next token at i; unterminated quotes end at the end of the text. */
static tok next_tok(const char *s, size_t len, size_t i)
{
    tok t;
    i = skip_space(s, len, i);
    t.off = i;
    if (i >= len) {
        t.kind = T_END;
        t.len = 0;
        return t;
    }
    if (isalpha((unsigned char)s[i]) || s[i] == '_' || (unsigned char)s[i] >= 0x80) {
        size_t j = i;
        while (j < len && (isalnum((unsigned char)s[j]) || s[j] == '_' || s[j] == '$' || (unsigned char)s[j] >= 0x80))
            j++;
        t.kind = T_WORD;
        t.len = j - i;
    } else if (s[i] == '"' || s[i] == '`' || s[i] == '[' || s[i] == '\'') {
        char close = s[i] == '[' ? ']' : s[i];
        size_t j = i + 1;
        while (j < len) {
            if (s[j] == close) {
                if (close != ']' && j + 1 < len && s[j + 1] == close) {
                    j += 2;
                    continue;
                }
                j++;
                break;
            }
            j++;
        }
        t.kind = s[i] == '\'' ? T_STRING : T_QIDENT;
        t.len = j - i;
    } else if (isdigit((unsigned char)s[i]) || (s[i] == '.' && i + 1 < len && isdigit((unsigned char)s[i + 1]))) {
        size_t j = i;
        while (j < len && (isalnum((unsigned char)s[j]) || s[j] == '.'))
            j++;
        t.kind = T_NUMBER;
        t.len = j - i;
    } else {
        t.kind = T_PUNCT;
        t.len = 1;
    }
    return t;
}

static int is_kw(const char *s, tok t, const char *kw)
{
    return t.kind == T_WORD && strlen(kw) == t.len && strncasecmp(s + t.off, kw, t.len) == 0;
}

static int is_ident(tok t)
{
    return t.kind == T_WORD || t.kind == T_QIDENT || t.kind == T_STRING;
}

/* Rewrite identifier tokens equal to `from` (any quoting) as `to_sql`. */
static const char *rename_in_text(mig_arena *ar, const char *text, const char *from, const char *to_sql)
{
    size_t len = strlen(text), i = 0, last = 0;
    mig_buf b;
    mig_buf_init(&b, ar);
    mig_buf_puts(&b, "");
    for (;;) {
        tok t = next_tok(text, len, i);
        if (t.kind == T_END)
            break;
        if (t.kind == T_WORD || t.kind == T_QIDENT) {
            char *v = mig_ddl_unquote(ar, text + t.off, t.len);
            if (!v)
                return NULL;
            if (mig_ddl_ident_eq(v, from)) {
                mig_buf_putn(&b, text + last, t.off - last);
                mig_buf_puts(&b, to_sql);
                last = t.off + t.len;
            }
        }
        i = t.off + t.len;
    }
    mig_buf_puts(&b, text + last);
    return b.oom ? NULL : b.data;
}

/*
 * Does a CREATE TRIGGER use identifier `name` other than as the trigger's
 * own name or the table it is ON?
 */
static int trigger_mentions(mig_arena *ar, const char *sql, const char *name)
{
    size_t len = strlen(sql), i = 0;
    int state = 0; /* 0: before TRIGGER, 1: the name next, 2: body, 3: table after ON next */
    for (;;) {
        tok t = next_tok(sql, len, i);
        tok nx;
        if (t.kind == T_END)
            return 0;
        i = t.off + t.len;
        if (state == 0) {
            if (is_kw(sql, t, "TRIGGER"))
                state = 1;
            continue;
        }
        if (state == 1) {
            if (is_kw(sql, t, "IF") || is_kw(sql, t, "NOT") || is_kw(sql, t, "EXISTS"))
                continue;
            nx = next_tok(sql, len, i);
            if (nx.kind == T_PUNCT && sql[nx.off] == '.') /* schema.name */
                i = next_tok(sql, len, nx.off + 1).off + next_tok(sql, len, nx.off + 1).len;
            state = 2;
            continue;
        }
        if (state == 3) {
            nx = next_tok(sql, len, i);
            if (nx.kind == T_PUNCT && sql[nx.off] == '.')
                i = next_tok(sql, len, nx.off + 1).off + next_tok(sql, len, nx.off + 1).len;
            state = 4;
            continue;
        }
        if (state == 2 && is_kw(sql, t, "ON")) {
            state = 3;
            continue;
        }
        if (t.kind == T_WORD || t.kind == T_QIDENT) {
            char *v = mig_ddl_unquote(ar, sql + t.off, t.len);
            if (v && mig_ddl_ident_eq(v, name))
                return 1;
        }
    }
}

/* Does CREATE INDEX use column `name` (in its columns or WHERE)? */
static int index_mentions(mig_arena *ar, const char *sql, const char *name)
{
    mig_ddl_index ix;
    mig_err e2;
    mig_err_clear(&e2);
    if (mig_ddl_parse_create_index(ar, sql, strlen(sql), &ix, &e2)) {
        mig_span sp;
        sp.off = 0;
        sp.len = strlen(sql);
        return mig_ddl_mentions(sql, sp, name); /* unreadable: err on the side of dropping it */
    }
    return mig_ddl_mentions(sql, ix.columns, name) || (ix.where.len && mig_ddl_mentions(sql, ix.where, name));
}

/* CREATE INDEX / CREATE TRIGGER with its object name qualified by main. */
static const char *in_main(mig_arena *ar, const char *sql, int is_index)
{
    size_t at = 0, len = strlen(sql);
    if (is_index) {
        mig_ddl_index ix;
        mig_err e2;
        mig_err_clear(&e2);
        if (mig_ddl_parse_create_index(ar, sql, len, &ix, &e2) || ix.schema)
            return sql;
        at = ix.name_span.off;
    } else {
        size_t i = 0;
        int seen = 0;
        for (;;) {
            tok t = next_tok(sql, len, i);
            if (t.kind == T_END)
                return sql;
            i = t.off + t.len;
            if (!seen) {
                seen = is_kw(sql, t, "TRIGGER");
                continue;
            }
            if (is_kw(sql, t, "IF") || is_kw(sql, t, "NOT") || is_kw(sql, t, "EXISTS"))
                continue;
            {
                tok nx = next_tok(sql, len, i);
                if (nx.kind == T_PUNCT && sql[nx.off] == '.')
                    return sql; /* already qualified */
            }
            at = t.off;
            break;
        }
    }
    return mig_sprintf(ar, "%.*smain.%s", (int)at, sql, sql + at);
}

typedef struct {
    const char *s;     /* the whole actions text */
    size_t len;        /* end of this action */
    size_t i;          /* position after the current token */
    tok t;             /* current token */
    mig_arena *ar;
    mig_err *err;
} cursor;

static void adv(cursor *c)
{
    c->t = next_tok(c->s, c->len, c->i);
    c->i = c->t.off + c->t.len;
}

static int accept(cursor *c, const char *kw)
{
    if (is_kw(c->s, c->t, kw)) {
        adv(c);
        return 1;
    }
    return 0;
}

static int syntax(cursor *c, const char *expected)
{
    int n = (int)(c->t.kind == T_END ? 0 : c->len - c->t.off);
    if (n > 30)
        n = 30;
    if (c->t.kind == T_END)
        return mig_fail(c->err, MIG_E_INPUT, "mig_batch: syntax error at position %zu (end of the action): expected %s",
                        c->t.off + 1, expected);
    return mig_fail(c->err, MIG_E_INPUT, "mig_batch: syntax error at position %zu, near \"%.*s\": expected %s",
                    c->t.off + 1, n, c->s + c->t.off, expected);
}

static int expect_kw(cursor *c, const char *kw)
{
    char what[64];
    if (accept(c, kw))
        return 0;
    snprintf(what, sizeof what, "%s", kw);
    return syntax(c, what);
}

/* An identifier: its unquoted value, and its text as written. */
static int ident(cursor *c, const char **name, const char **as_written, const char *what)
{
    if (!is_ident(c->t))
        return syntax(c, what);
    *name = mig_ddl_unquote(c->ar, c->s + c->t.off, c->t.len);
    if (as_written)
        *as_written = mig_strndup(c->ar, c->s + c->t.off, c->t.len);
    if (!*name || (as_written && !*as_written))
        return mig_fail(c->err, MIG_E_NOMEM, "out of memory");
    adv(c);
    return 0;
}

/* The rest of the action from the current token, trimmed. */
static const char *rest_text(cursor *c, const char *what)
{
    size_t a = c->t.off, b = c->len;
    if (c->t.kind == T_END) {
        syntax(c, what);
        return NULL;
    }
    while (b > a && isspace((unsigned char)c->s[b - 1]))
        b--;
    {
        const char *r = mig_strndup(c->ar, c->s + a, b - a);
        if (!r)
            mig_fail(c->err, MIG_E_NOMEM, "out of memory");
        return r;
    }
}

static int at_end(cursor *c)
{
    if (c->t.kind != T_END)
        return syntax(c, "',' or the end of the actions");
    return 0;
}

#define NOMEM_C(c) mig_fail((c)->err, MIG_E_NOMEM, "out of memory")

static int parse_one(cursor *c, mig_batch_action *a)
{
    memset(a, 0, sizeof *a);
    a->pos = c->t.off;
    if (accept(c, "ADD")) {
        if (is_kw(c->s, c->t, "CONSTRAINT") || is_kw(c->s, c->t, "PRIMARY") || is_kw(c->s, c->t, "UNIQUE") ||
            is_kw(c->s, c->t, "CHECK") || is_kw(c->s, c->t, "FOREIGN")) {
            a->kind = MIG_BA_ADD_CONSTRAINT;
            if (is_kw(c->s, c->t, "CONSTRAINT")) {
                cursor peek = *c;
                adv(&peek);
                if (!is_ident(peek.t))
                    return syntax(&peek, "a constraint name");
                a->name = mig_ddl_unquote(c->ar, c->s + peek.t.off, peek.t.len);
                adv(&peek);
                if (!(is_kw(c->s, peek.t, "PRIMARY") || is_kw(c->s, peek.t, "UNIQUE") || is_kw(c->s, peek.t, "CHECK") ||
                      is_kw(c->s, peek.t, "FOREIGN")))
                    return syntax(&peek, "PRIMARY KEY, UNIQUE, CHECK or FOREIGN KEY");
            }
            a->text = rest_text(c, "a table constraint");
            return a->text ? 0 : -1;
        }
        a->kind = MIG_BA_ADD_COLUMN;
        accept(c, "COLUMN");
        if (is_kw(c->s, c->t, "IF")) {
            adv(c);
            if (expect_kw(c, "NOT") || expect_kw(c, "EXISTS"))
                return -1;
            a->if_exists = 1;
        }
        if (!is_ident(c->t))
            return syntax(c, "a column definition");
        a->column = mig_ddl_unquote(c->ar, c->s + c->t.off, c->t.len);
        a->text = rest_text(c, "a column definition");
        return a->text && a->column ? 0 : -1;
    }
    if (accept(c, "DROP")) {
        if (accept(c, "CONSTRAINT")) {
            a->kind = MIG_BA_DROP_CONSTRAINT;
            if (is_kw(c->s, c->t, "IF")) {
                adv(c);
                if (expect_kw(c, "EXISTS"))
                    return -1;
                a->if_exists = 1;
            }
            if (ident(c, &a->name, NULL, "a constraint name"))
                return -1;
        } else {
            a->kind = MIG_BA_DROP_COLUMN;
            accept(c, "COLUMN");
            if (is_kw(c->s, c->t, "IF")) {
                cursor peek = *c;
                adv(&peek);
                if (is_kw(c->s, peek.t, "EXISTS")) {
                    adv(c);
                    adv(c);
                    a->if_exists = 1;
                }
            }
            if (ident(c, &a->column, NULL, "a column name"))
                return -1;
        }
        if (is_kw(c->s, c->t, "CASCADE"))
            return mig_fail(c->err, MIG_E_INPUT, "mig_batch: CASCADE at position %zu is not supported: drop the "
                                                 "dependent objects first",
                            c->t.off + 1);
        accept(c, "RESTRICT");
        return at_end(c);
    }
    if (accept(c, "ALTER")) {
        accept(c, "COLUMN");
        if (ident(c, &a->column, NULL, "a column name"))
            return -1;
        if (accept(c, "SET")) {
            if (accept(c, "NOT")) {
                a->kind = MIG_BA_SET_NOT_NULL;
                return expect_kw(c, "NULL") || at_end(c);
            }
            if (accept(c, "DEFAULT")) {
                a->kind = MIG_BA_SET_DEFAULT;
                a->text = rest_text(c, "a default expression");
                return a->text ? 0 : -1;
            }
            if (accept(c, "DATA")) {
                if (!is_kw(c->s, c->t, "TYPE"))
                    return syntax(c, "TYPE");
            } else if (!is_kw(c->s, c->t, "TYPE"))
                return syntax(c, "NOT NULL, DEFAULT or DATA TYPE");
        }
        if (accept(c, "DROP")) {
            if (accept(c, "NOT")) {
                a->kind = MIG_BA_DROP_NOT_NULL;
                return expect_kw(c, "NULL") || at_end(c);
            }
            if (accept(c, "DEFAULT")) {
                a->kind = MIG_BA_DROP_DEFAULT;
                return at_end(c);
            }
            return syntax(c, "NOT NULL or DEFAULT");
        }
        if (accept(c, "TYPE")) {
            /* TYPE type [USING expr]: split at a USING outside parentheses */
            size_t a0 = c->t.off, u = 0, end = c->len;
            int depth = 0;
            cursor k = *c;
            a->kind = MIG_BA_ALTER_TYPE;
            if (c->t.kind == T_END)
                return syntax(c, "a type");
            while (k.t.kind != T_END) {
                if (k.t.kind == T_PUNCT && c->s[k.t.off] == '(')
                    depth++;
                else if (k.t.kind == T_PUNCT && c->s[k.t.off] == ')')
                    depth--;
                else if (depth == 0 && is_kw(c->s, k.t, "USING")) {
                    u = k.t.off;
                    break;
                }
                adv(&k);
            }
            if (u) {
                size_t b = u;
                while (b > a0 && isspace((unsigned char)c->s[b - 1]))
                    b--;
                a->text = mig_strndup(c->ar, c->s + a0, b - a0);
                adv(&k);
                *c = k;
                a->using_expr = rest_text(c, "an expression after USING");
                if (!a->using_expr)
                    return -1;
            } else {
                while (end > a0 && isspace((unsigned char)c->s[end - 1]))
                    end--;
                a->text = mig_strndup(c->ar, c->s + a0, end - a0);
            }
            if (!a->text)
                return NOMEM_C(c);
            return 0;
        }
        return syntax(c, "SET NOT NULL, DROP NOT NULL, SET DEFAULT, DROP DEFAULT or TYPE");
    }
    if (accept(c, "RENAME")) {
        if (accept(c, "TO")) {
            a->kind = MIG_BA_RENAME_TABLE;
            if (ident(c, &a->new_name, &a->new_name_sql, "a new table name"))
                return -1;
            return at_end(c);
        }
        a->kind = MIG_BA_RENAME_COLUMN;
        accept(c, "COLUMN");
        if (ident(c, &a->column, NULL, "a column name") || expect_kw(c, "TO") ||
            ident(c, &a->new_name, &a->new_name_sql, "a new column name"))
            return -1;
        return at_end(c);
    }
    return syntax(c, "ADD, DROP, ALTER or RENAME");
}

int mig_batch_parse(mig_arena *ar, const char *text, size_t len, mig_batch_actions *out, mig_err *err)
{
    size_t i = 0;
    int cap = 0;
    memset(out, 0, sizeof *out);
    if (memchr(text, 0, len))
        return mig_fail(err, MIG_E_INPUT, "mig_batch: the actions contain a NUL byte");
    while (1) {
        size_t start = i, end;
        int depth = 0;
        tok t = next_tok(text, len, i);
        cursor c;
        if (t.kind == T_END) {
            if (out->n == 0)
                return mig_fail(err, MIG_E_INPUT, "mig_batch: no action given (e.g. 'ALTER COLUMN bar DROP NOT NULL')");
            return mig_fail(err, MIG_E_INPUT, "mig_batch: empty action at position %zu after ','", start + 1);
        }
        /* the action ends at a ',' outside parentheses and quotes */
        while (t.kind != T_END && !(depth == 0 && t.kind == T_PUNCT && text[t.off] == ',')) {
            if (t.kind == T_PUNCT && text[t.off] == ';')
                return mig_fail(err, MIG_E_INPUT,
                                "mig_batch: ';' at position %zu: the actions are ALTER TABLE actions separated by "
                                "commas, not statements",
                                t.off + 1);
            if (t.kind == T_PUNCT && text[t.off] == '(')
                depth++;
            else if (t.kind == T_PUNCT && text[t.off] == ')')
                depth--;
            t = next_tok(text, len, t.off + t.len);
        }
        end = t.kind == T_END ? len : t.off;
        if (out->n == cap) {
            int nc = cap ? cap * 2 : 8;
            mig_batch_action *nv = mig_alloc(ar, sizeof(*nv) * (size_t)nc);
            if (!nv)
                return NOMEM();
            if (out->n)
                memcpy(nv, out->v, sizeof(*nv) * (size_t)out->n);
            out->v = nv;
            cap = nc;
        }
        c.s = text;
        c.len = end;
        c.i = start;
        c.ar = ar;
        c.err = err;
        adv(&c);
        if (parse_one(&c, &out->v[out->n]))
            return -1;
        {
            size_t e = end;
            while (e > out->v[out->n].pos && isspace((unsigned char)text[e - 1]))
                e--;
            out->v[out->n].len = e - out->v[out->n].pos;
        }
        out->n++;
        if (t.kind == T_END)
            return 0;
        i = t.off + 1;
    }
}

/* ---- renames ------------------------------------------------------------------ */

static int has_column(const mig_ddl_table *t, const char *name)
{
    return mig_ddl_find_column(t, name) >= 0;
}

/*
 * A constraint name written as PostgreSQL's default name of an unnamed
 * constraint (t_pkey, t_a_b_key, t_a_fkey, t_a_check), read after column
 * `from` is renamed `to`: the column's segment is renamed in it.  The name
 * as written still finds a constraint of that explicit name.
 */
static const char *default_name_renamed(mig_arena *ar, const char *table, const char *name, const char *from,
                                        const char *to)
{
    size_t tl = strlen(table), nl = strlen(name), fl = strlen(from);
    mig_buf b;
    const char *p, *end;
    if (nl <= tl + 1 || strncasecmp(name, table, tl) != 0 || name[tl] != '_')
        return name;
    mig_buf_init(&b, ar);
    mig_buf_putn(&b, name, tl);
    p = name + tl; /* at "_seg_seg..._suffix" */
    end = name + nl;
    while (p < end) {
        const char *q = p + 1, *seg_end = q;
        while (seg_end < end && *seg_end != '_')
            seg_end++;
        /* a column name may itself hold '_': compare the whole old name at q */
        if ((size_t)(end - q) > fl && strncasecmp(q, from, fl) == 0 && q[fl] == '_') {
            mig_buf_puts(&b, "_");
            mig_buf_puts(&b, to);
            p = q + fl;
            continue;
        }
        mig_buf_putn(&b, p, (size_t)(seg_end - p));
        p = seg_end;
    }
    return b.oom ? NULL : b.data;
}

int mig_batch_split(mig_arena *ar, const char *table, const char *table_sql, const mig_batch_actions *actions,
                    mig_strlist *first, mig_batch_actions *rest, mig_strlist *last, mig_err *err)
{
    mig_ddl_table t;
    int i, j;
    const char *qt = mig_sprintf(ar, "main.%s", mig_ddl_quote(ar, table));
    memset(rest, 0, sizeof *rest);
    if (!qt)
        return NOMEM();
    if (mig_ddl_parse_create_table(ar, table_sql, strlen(table_sql), &t, err)) {
        mig_err_prefix(err, "mig_batch: cannot read the definition of table %s: ", table);
        return -1;
    }
    rest->v = mig_alloc(ar, sizeof(mig_batch_action) * (size_t)(actions->n + 1));
    if (!rest->v)
        return NOMEM();
    for (i = 0; i < actions->n; i++) {
        const mig_batch_action *a = &actions->v[i];
        if (a->kind == MIG_BA_RENAME_TABLE) {
            char *q = mig_sprintf(ar, "ALTER TABLE %s RENAME TO %s", qt, mig_ddl_quote(ar, a->new_name));
            if (i != actions->n - 1)
                return mig_fail(err, MIG_E_INPUT, "mig_batch: RENAME TO (position %zu) must be the last action",
                                a->pos + 1);
            if (!q || mig_strlist_add(ar, last, q))
                return NOMEM();
            continue;
        }
        if (a->kind == MIG_BA_RENAME_COLUMN && has_column(&t, a->column)) {
            /* SQLite's own RENAME COLUMN keeps indexes, triggers, views and
             * foreign keys elsewhere in step; the actions before it name
             * the column by its old name */
            char *q = mig_sprintf(ar, "ALTER TABLE %s RENAME COLUMN %s TO %s", qt, mig_ddl_quote(ar, a->column),
                                  mig_ddl_quote(ar, a->new_name));
            if (has_column(&t, a->new_name) && !mig_ddl_ident_eq(a->column, a->new_name))
                return mig_fail(err, MIG_E_INPUT, "mig_batch: column \"%s\" of table %s already exists", a->new_name,
                                table);
            if (!q || mig_strlist_add(ar, first, q))
                return NOMEM();
            for (j = 0; j < rest->n; j++) {
                /* the earlier actions, written before the rename, see it done */
                mig_batch_action *b = &rest->v[j];
                const char *nq = mig_ddl_quote(ar, a->new_name);
                if (!nq)
                    return NOMEM();
                if (b->column && mig_ddl_ident_eq(b->column, a->column))
                    b->column = a->new_name;
                if (b->kind == MIG_BA_DROP_CONSTRAINT && b->name &&
                    !(b->default_name = default_name_renamed(ar, table, b->default_name ? b->default_name : b->name,
                                                             a->column, a->new_name)))
                    return NOMEM();
                if (b->text && b->kind != MIG_BA_ALTER_TYPE &&
                    !(b->text = rename_in_text(ar, b->text, a->column, nq)))
                    return NOMEM();
                if (b->using_expr && !(b->using_expr = rename_in_text(ar, b->using_expr, a->column, nq)))
                    return NOMEM();
            }
            /* the model of the table follows the rename */
            {
                int k = mig_ddl_find_column(&t, a->column);
                t.cols[k].name = a->new_name;
            }
            continue;
        }
        rest->v[rest->n++] = *a;
    }
    return 0;
}

/* ---- the model of the table ------------------------------------------------------ */

typedef struct {
    mig_colcons_kind kind;
    const char *text;
    const char *name;
} mcons_t;

typedef struct {
    const char *name;      /* unquoted */
    const char *name_sql;  /* as written */
    const char *type_sql;  /* as written, "" when none */
    mcons_t *cons;
    int ncons;
    const char *def;       /* the definition as written, while unchanged */
    const char *src;       /* the expression that fills it from the old table, NULL: new column */
    int dropped;
} mcol_t;

typedef struct {
    mig_tabcons_kind kind;
    const char *name;
    const char *text;
    const char **columns;
    int ncolumns;
    const char *expr;      /* CHECK */
    const char *ref_table; /* FOREIGN KEY: the parent */
    const char **ref_columns; int nref_columns; /* FOREIGN KEY: the parent's columns, when written */
    int dropped;
} mtcons_t;

typedef struct {
    mig_arena *ar;
    mig_err *err;
    const char *table;
    const char *qtable;
    mig_ddl_table t;
    const char *sql;
    mcol_t *cols;
    int ncols, capcols;
    mtcons_t *tcons;
    int ntcons, captcons;
    mig_strlist dropped_indexes;
    int need_rebuild;
    mig_strlist native;    /* SQLite ALTER statements, while no rebuild is needed */
} model;

static const char *span_dup(model *m, mig_span sp)
{
    return mig_ddl_span_dup(m->ar, m->sql, sp);
}

static int model_init(model *m, mig_arena *ar, const char *table, const char *sql, mig_err *err)
{
    int i, k;
    memset(m, 0, sizeof *m);
    m->ar = ar;
    m->err = err;
    m->table = table;
    m->sql = sql;
    m->qtable = mig_sprintf(ar, "main.%s", mig_ddl_quote(ar, table));
    if (!m->qtable)
        return NOMEM();
    if (mig_ddl_parse_create_table(ar, sql, strlen(sql), &m->t, err)) {
        mig_err_prefix(err, "mig_batch: cannot read the definition of table %s: ", table);
        return -1;
    }
    m->capcols = m->t.ncols + 8;
    m->cols = mig_alloc0(ar, sizeof(mcol_t) * (size_t)m->capcols);
    m->captcons = m->t.ncons + 8;
    m->tcons = mig_alloc0(ar, sizeof(mtcons_t) * (size_t)m->captcons);
    if (!m->cols || !m->tcons)
        return NOMEM();
    for (i = 0; i < m->t.ncols; i++) {
        const mig_ddl_column *c = &m->t.cols[i];
        mcol_t *mc = &m->cols[m->ncols++];
        mc->name = c->name;
        mc->name_sql = span_dup(m, c->name_span);
        mc->type_sql = c->type_span.len ? span_dup(m, c->type_span) : "";
        mc->def = span_dup(m, c->def_span);
        mc->src = mig_ddl_quote(ar, c->name);
        mc->ncons = c->ncons;
        mc->cons = mig_alloc0(ar, sizeof(mcons_t) * (size_t)(c->ncons + 4));
        if (!mc->name_sql || !mc->type_sql || !mc->def || !mc->src || !mc->cons)
            return NOMEM();
        for (k = 0; k < c->ncons; k++) {
            mc->cons[k].kind = c->cons[k].kind;
            mc->cons[k].name = c->cons[k].name;
            mc->cons[k].text = span_dup(m, c->cons[k].span);
            if (!mc->cons[k].text)
                return NOMEM();
        }
    }
    for (i = 0; i < m->t.ncons; i++) {
        const mig_ddl_tabcons *tc = &m->t.cons[i];
        mtcons_t *mt = &m->tcons[m->ntcons++];
        mt->kind = tc->kind;
        mt->name = tc->name;
        mt->text = span_dup(m, tc->span);
        mt->columns = tc->columns;
        mt->ncolumns = tc->ncolumns;
        mt->expr = tc->expr.len ? span_dup(m, tc->expr) : NULL;
        mt->ref_table = tc->ref_table;
        mt->ref_columns = tc->ref_columns;
        mt->nref_columns = tc->nref_columns;
        if (!mt->text)
            return NOMEM();
    }
    return 0;
}

static int find_col(model *m, const char *name)
{
    int i;
    for (i = 0; i < m->ncols; i++)
        if (!m->cols[i].dropped && mig_ddl_ident_eq(m->cols[i].name, name))
            return i;
    return -1;
}

static int no_column(model *m, const char *name)
{
    return mig_fail(m->err, MIG_E_INPUT, "mig_batch: column \"%s\" of table %s does not exist", name, m->table);
}

static int text_mentions(const char *text, const char *name)
{
    mig_span sp;
    sp.off = 0;
    sp.len = strlen(text);
    return mig_ddl_mentions(text, sp, name);
}

static int col_has(const mcol_t *c, mig_colcons_kind k)
{
    int i;
    for (i = 0; i < c->ncons; i++)
        if (c->cons[i].kind == k)
            return 1;
    return 0;
}

static void col_remove(mcol_t *c, mig_colcons_kind k)
{
    int i, j = 0;
    for (i = 0; i < c->ncons; i++)
        if (c->cons[i].kind != k)
            c->cons[j++] = c->cons[i];
    c->ncons = j;
    c->def = NULL;
}

static int col_add(model *m, mcol_t *c, mig_colcons_kind k, const char *text)
{
    mcons_t *nc = mig_alloc(m->ar, sizeof(mcons_t) * (size_t)(c->ncons + 1));
    if (!nc)
        return mig_fail(m->err, MIG_E_NOMEM, "out of memory");
    if (c->ncons)
        memcpy(nc, c->cons, sizeof(mcons_t) * (size_t)c->ncons);
    nc[c->ncons].kind = k;
    nc[c->ncons].text = text;
    nc[c->ncons].name = NULL;
    c->cons = nc;
    c->ncons++;
    c->def = NULL;
    return 0;
}

static int in_primary_key(model *m, int ci)
{
    int i, k;
    if (col_has(&m->cols[ci], MIG_CC_PRIMARY_KEY))
        return 1;
    for (i = 0; i < m->ntcons; i++)
        if (!m->tcons[i].dropped && m->tcons[i].kind == MIG_TC_PRIMARY_KEY)
            for (k = 0; k < m->tcons[i].ncolumns; k++)
                if (mig_ddl_ident_eq(m->tcons[i].columns[k], m->cols[ci].name))
                    return 1;
    return 0;
}

static int parent_exists(model *m, const mig_batch_schema *sch, const char *parent);

/* Is a DEFAULT value a literal SQLite's ADD COLUMN accepts? */
static int literal_default(const char *v)
{
    size_t n;
    if (!v)
        return 1;
    while (*v == '+' || *v == '-' || isspace((unsigned char)*v))
        v++;
    n = strlen(v);
    if (n == 0)
        return 0;
    if (v[0] == '\'' || isdigit((unsigned char)v[0]) || v[0] == '.')
        return 1;
    if ((v[0] == 'x' || v[0] == 'X') && v[1] == '\'')
        return 1;
    return strcasecmp(v, "NULL") == 0 || strcasecmp(v, "TRUE") == 0 || strcasecmp(v, "FALSE") == 0;
}

/* A value for DEFAULT: literals as written, anything else in parentheses. */
static const char *default_sql(model *m, const char *expr)
{
    const char *v = expr;
    while (isspace((unsigned char)*v))
        v++;
    if (literal_default(v) || strcasecmp(v, "CURRENT_TIMESTAMP") == 0 || strcasecmp(v, "CURRENT_DATE") == 0 ||
        strcasecmp(v, "CURRENT_TIME") == 0 || v[0] == '(')
        return mig_sprintf(m->ar, "DEFAULT %s", v);
    return mig_sprintf(m->ar, "DEFAULT (%s)", v);
}

static int add_column(model *m, const mig_batch_action *a, const mig_batch_schema *sch)
{
    mig_ddl_table tt;
    char *wrapped;
    const char *def = a->text;
    const mig_ddl_column *c;
    mcol_t *mc;
    int k, native = 1;
    mig_err sub;
    if (find_col(m, a->column) >= 0) {
        if (a->if_exists)
            return 0;
        return mig_fail(m->err, MIG_E_INPUT, "mig_batch: column \"%s\" of table %s already exists", a->column,
                        m->table);
    }
    wrapped = mig_sprintf(m->ar, "CREATE TABLE x (%s)", def);
    if (!wrapped)
        return mig_fail(m->err, MIG_E_NOMEM, "out of memory");
    mig_err_clear(&sub);
    if (mig_ddl_parse_create_table(m->ar, wrapped, strlen(wrapped), &tt, &sub) || tt.ncols != 1 || tt.ncons != 0)
        return mig_fail(m->err, MIG_E_INPUT, "mig_batch: ADD COLUMN at position %zu: not one column definition: %s",
                        a->pos + 1, sub.msg[0] ? sub.msg : def);
    c = &tt.cols[0];
    if (m->ncols == m->capcols) {
        mcol_t *nc = mig_alloc0(m->ar, sizeof(mcol_t) * (size_t)(m->capcols * 2));
        if (!nc)
            return mig_fail(m->err, MIG_E_NOMEM, "out of memory");
        memcpy(nc, m->cols, sizeof(mcol_t) * (size_t)m->ncols);
        m->cols = nc;
        m->capcols *= 2;
    }
    mc = &m->cols[m->ncols++];
    mc->name = c->name;
    mc->name_sql = mig_ddl_span_dup(m->ar, wrapped, c->name_span);
    mc->type_sql = c->type_span.len ? mig_ddl_span_dup(m->ar, wrapped, c->type_span) : "";
    mc->def = mig_ddl_span_dup(m->ar, wrapped, c->def_span);
    mc->src = NULL;
    mc->ncons = c->ncons;
    mc->cons = mig_alloc0(m->ar, sizeof(mcons_t) * (size_t)(c->ncons + 1));
    if (!mc->name_sql || !mc->type_sql || !mc->def || !mc->cons)
        return mig_fail(m->err, MIG_E_NOMEM, "out of memory");
    {
        int not_null = 0, has_default = 0, default_null = 1;
        for (k = 0; k < c->ncons; k++) {
            const mig_ddl_colcons *cc = &c->cons[k];
            mc->cons[k].kind = cc->kind;
            mc->cons[k].name = cc->name;
            mc->cons[k].text = mig_ddl_span_dup(m->ar, wrapped, cc->span);
            switch (cc->kind) {
            case MIG_CC_PRIMARY_KEY:
            case MIG_CC_UNIQUE:
                native = 0;
                break;
            case MIG_CC_NOT_NULL:
                not_null = 1;
                break;
            case MIG_CC_DEFAULT: {
                const char *v = mig_ddl_span_dup(m->ar, wrapped, cc->expr);
                has_default = 1;
                default_null = v && strcasecmp(v, "NULL") == 0;
                if (!v || !literal_default(v))
                    native = 0;
                break;
            }
            case MIG_CC_GENERATED:
                if (cc->stored)
                    native = 0;
                break;
            case MIG_CC_REFERENCES:
                if (parent_exists(m, sch, cc->ref_table))
                    return -1;
                if (has_default && !default_null)
                    native = 0;
                break;
            default:
                break;
            }
        }
        if (not_null && (!has_default || default_null))
            native = 0; /* SQLite refuses; a rebuild fills the rows or fails on them */
    }
    if (native) {
        char *q = mig_sprintf(m->ar, "ALTER TABLE %s ADD COLUMN %s", m->qtable, def);
        if (!q || mig_strlist_add(m->ar, &m->native, q))
            return mig_fail(m->err, MIG_E_NOMEM, "out of memory");
    } else
        m->need_rebuild = 1;
    return 0;
}

static int drop_column(model *m, const mig_batch_action *a, const mig_batch_schema *sch)
{
    int ci = find_col(m, a->column), i, k, native = 1, live = 0;
    mcol_t *c;
    if (ci < 0)
        return a->if_exists ? 0 : no_column(m, a->column);
    c = &m->cols[ci];
    for (i = 0; i < m->ncols; i++)
        live += !m->cols[i].dropped;
    if (live == 1)
        return mig_fail(m->err, MIG_E_INPUT, "mig_batch: cannot drop column \"%s\": it is the only column of table %s",
                        c->name, m->table);
    /* what needs it elsewhere is an error, as in PostgreSQL (views are
     * checked by compiling them after the change) */
    for (i = 0; i < sch->nrefs; i++)
        if (sch->refs[i].to ? mig_ddl_ident_eq(sch->refs[i].to, c->name) : in_primary_key(m, ci))
            return mig_fail(m->err, MIG_E_INPUT,
                            "mig_batch: cannot drop column \"%s\" of table %s: the foreign key %s(%s) of table %s "
                            "references it",
                            c->name, m->table, sch->refs[i].child, sch->refs[i].from, sch->refs[i].child);
    for (i = 0; i < sch->nothers; i++) {
        mig_span sp;
        const char *sql = sch->others[i].sql;
        if (!sql || !sch->others[i].type || strcmp(sch->others[i].type, "trigger") != 0)
            continue;
        sp.off = 0;
        sp.len = strlen(sql);
        if (mig_ddl_mentions(sql, sp, m->table) && trigger_mentions(m->ar, sql, c->name))
            return mig_fail(m->err, MIG_E_INPUT, "mig_batch: cannot drop column \"%s\" of table %s: trigger %s uses it",
                            c->name, m->table, sch->others[i].name);
    }
    for (i = 0; i < sch->ntriggers; i++)
        if (sch->triggers[i].sql && trigger_mentions(m->ar, sch->triggers[i].sql, c->name))
            return mig_fail(m->err, MIG_E_INPUT, "mig_batch: cannot drop column \"%s\" of table %s: trigger %s uses it",
                            c->name, m->table, sch->triggers[i].name);
    for (i = 0; i < m->ncols; i++) {
        const mcol_t *o = &m->cols[i];
        if (i == ci || o->dropped)
            continue;
        for (k = 0; k < o->ncons; k++)
            if (o->cons[k].kind == MIG_CC_GENERATED && text_mentions(o->cons[k].text, c->name))
                return mig_fail(m->err, MIG_E_INPUT,
                                "mig_batch: cannot drop column \"%s\" of table %s: generated column \"%s\" uses it",
                                c->name, m->table, o->name);
    }
    /* what goes with it: constraints on it and its indexes */
    if (col_has(c, MIG_CC_PRIMARY_KEY) || col_has(c, MIG_CC_UNIQUE) || col_has(c, MIG_CC_REFERENCES))
        native = 0;
    for (i = 0; i < m->ncols; i++) {
        mcol_t *o = &m->cols[i];
        if (i == ci || o->dropped)
            continue;
        for (k = 0; k < o->ncons; k++)
            if (o->cons[k].kind == MIG_CC_CHECK && text_mentions(o->cons[k].text, c->name)) {
                /* a CHECK of another column that reads this one: it goes */
                memmove(&o->cons[k], &o->cons[k + 1], sizeof(mcons_t) * (size_t)(o->ncons - k - 1));
                o->ncons--;
                o->def = NULL;
                k--;
                native = 0;
            }
    }
    for (i = 0; i < m->ntcons; i++) {
        mtcons_t *tc = &m->tcons[i];
        int hit = 0;
        if (tc->dropped)
            continue;
        for (k = 0; k < tc->ncolumns; k++)
            hit |= mig_ddl_ident_eq(tc->columns[k], c->name);
        if (tc->kind == MIG_TC_CHECK && tc->expr && text_mentions(tc->expr, c->name))
            hit = 1;
        /* a foreign key of the table to itself that references the column (the
         * constraint's other words are no column: PRIMARY KEY (p, f) keeps when
         * a column "key" goes) */
        if (tc->kind == MIG_TC_FOREIGN_KEY && tc->ref_table && mig_ddl_ident_eq(tc->ref_table, m->table))
            for (k = 0; k < tc->nref_columns; k++)
                hit |= tc->ref_columns[k] && mig_ddl_ident_eq(tc->ref_columns[k], c->name);
        if (hit) {
            tc->dropped = 1;
            native = 0;
        }
    }
    for (i = 0; i < sch->nindexes; i++) {
        const mig_schema_obj *ix = &sch->indexes[i];
        if (ix->sql && index_mentions(m->ar, ix->sql, c->name) && !mig_strlist_has(&m->dropped_indexes, ix->name)) {
            if (mig_strlist_add(m->ar, &m->dropped_indexes, ix->name))
                return mig_fail(m->err, MIG_E_NOMEM, "out of memory");
            native = 0;
        }
    }
    c->dropped = 1;
    if (native && c->src) {
        char *q = mig_sprintf(m->ar, "ALTER TABLE %s DROP COLUMN %s", m->qtable, mig_ddl_quote(m->ar, c->name));
        if (!q || mig_strlist_add(m->ar, &m->native, q))
            return mig_fail(m->err, MIG_E_NOMEM, "out of memory");
    } else
        m->need_rebuild = 1;
    return 0;
}

/*
 * PostgreSQL's default name of an unnamed constraint: t_pkey; t_a_b_key
 * (unique), t_a_b_fkey (the local columns), t_a_check (a check reading one
 * column) or t_check (none or several).
 */
static const char *pg_name(model *m, mig_tabcons_kind kind, const char *const *cols, int ncols, const char *expr)
{
    mig_buf b;
    int i, n = 0;
    const char *only = NULL;
    mig_buf_init(&b, m->ar);
    mig_buf_puts(&b, m->table);
    if (kind == MIG_TC_PRIMARY_KEY)
        mig_buf_puts(&b, "_pkey");
    else if (kind == MIG_TC_CHECK) {
        for (i = 0; expr && i < m->ncols; i++)
            if (!m->cols[i].dropped && text_mentions(expr, m->cols[i].name)) {
                n++;
                only = m->cols[i].name;
            }
        if (n == 1)
            mig_buf_printf(&b, "_%s", only);
        mig_buf_puts(&b, "_check");
    } else {
        for (i = 0; i < ncols; i++)
            mig_buf_printf(&b, "_%s", cols[i]);
        mig_buf_puts(&b, kind == MIG_TC_UNIQUE ? "_key" : "_fkey");
    }
    return b.oom ? NULL : b.data;
}

/* The expression inside CHECK ( ... ) of a column constraint's text. */
static const char *check_expr(model *m, const char *text)
{
    const char *o = strchr(text, '('), *c = strrchr(text, ')');
    if (!o || !c || c < o)
        return text;
    return mig_strndup(m->ar, o + 1, (size_t)(c - o - 1));
}

/* A foreign key elsewhere that needs this key: one that references exactly
 * its columns (in any order, as SQLite matches a parent key), or the primary
 * key implicitly.  A foreign key's rows (one per column) share child and id. */
static int referenced(model *m, const mig_batch_schema *sch, const char *const *cols, int ncols, int is_pk)
{
    int i, j, k;
    (void)m;
    for (i = 0; i < sch->nrefs; i++) {
        const mig_fk_ref *r = &sch->refs[i];
        int n = 0, implicit = 0, all_in = 1, first = 1;
        for (j = 0; j < sch->nrefs; j++) {
            const mig_fk_ref *o = &sch->refs[j];
            if (o->id != r->id || !o->child || !r->child || strcmp(o->child, r->child) != 0)
                continue;
            if (j < i)
                first = 0; /* the foreign key was looked at with its first row */
            n++;
            if (!o->to)
                implicit = 1;
            else {
                int hit = 0;
                for (k = 0; k < ncols && !hit; k++)
                    hit = cols[k] && mig_ddl_ident_eq(o->to, cols[k]);
                all_in &= hit;
            }
        }
        if (!first)
            continue;
        if (implicit ? is_pk : (n == ncols && all_in))
            return i;
    }
    return -1;
}

static int drop_constraint(model *m, const mig_batch_action *a, const mig_batch_schema *sch)
{
    int i, k, r;
    for (i = 0; i < m->ntcons; i++) {
        mtcons_t *tc = &m->tcons[i];
        const char *dn;
        if (tc->dropped)
            continue;
        dn = tc->name ? NULL : pg_name(m, tc->kind, tc->columns, tc->ncolumns, tc->expr);
        if ((tc->name && mig_ddl_ident_eq(tc->name, a->name)) ||
            (dn && mig_ddl_ident_eq(dn, a->default_name ? a->default_name : a->name))) {
            if ((tc->kind == MIG_TC_PRIMARY_KEY || tc->kind == MIG_TC_UNIQUE) &&
                (r = referenced(m, sch, tc->columns, tc->ncolumns, tc->kind == MIG_TC_PRIMARY_KEY)) >= 0)
                return mig_fail(m->err, MIG_E_INPUT,
                                "mig_batch: cannot drop constraint \"%s\" of table %s: the foreign key %s(%s) of "
                                "table %s needs it",
                                a->name, m->table, sch->refs[r].child, sch->refs[r].from, sch->refs[r].child);
            tc->dropped = 1;
            m->need_rebuild = 1;
            return 0;
        }
    }
    for (i = 0; i < m->ncols; i++) {
        mcol_t *c = &m->cols[i];
        if (c->dropped)
            continue;
        for (k = 0; k < c->ncons; k++) {
            mcons_t *cc = &c->cons[k];
            const char *cols[1];
            const char *dn = NULL;
            cols[0] = c->name;
            if (!cc->name) {
                if (cc->kind == MIG_CC_PRIMARY_KEY)
                    dn = pg_name(m, MIG_TC_PRIMARY_KEY, cols, 1, NULL);
                else if (cc->kind == MIG_CC_UNIQUE)
                    dn = pg_name(m, MIG_TC_UNIQUE, cols, 1, NULL);
                else if (cc->kind == MIG_CC_REFERENCES)
                    dn = pg_name(m, MIG_TC_FOREIGN_KEY, cols, 1, NULL);
                else if (cc->kind == MIG_CC_CHECK)
                    dn = pg_name(m, MIG_TC_CHECK, cols, 0, check_expr(m, cc->text));
            }
            if ((cc->name && mig_ddl_ident_eq(cc->name, a->name)) ||
                (dn && mig_ddl_ident_eq(dn, a->default_name ? a->default_name : a->name))) {
                if (cc->kind == MIG_CC_NOT_NULL || cc->kind == MIG_CC_DEFAULT || cc->kind == MIG_CC_COLLATE ||
                    cc->kind == MIG_CC_GENERATED || cc->kind == MIG_CC_NULL)
                    continue;
                if ((cc->kind == MIG_CC_PRIMARY_KEY || cc->kind == MIG_CC_UNIQUE) &&
                    (r = referenced(m, sch, cols, 1, cc->kind == MIG_CC_PRIMARY_KEY)) >= 0)
                    return mig_fail(m->err, MIG_E_INPUT,
                                    "mig_batch: cannot drop constraint \"%s\" of table %s: the foreign key %s(%s) of "
                                    "table %s needs it",
                                    a->name, m->table, sch->refs[r].child, sch->refs[r].from, sch->refs[r].child);
                memmove(&c->cons[k], &c->cons[k + 1], sizeof(mcons_t) * (size_t)(c->ncons - k - 1));
                c->ncons--;
                c->def = NULL;
                m->need_rebuild = 1;
                return 0;
            }
        }
    }
    if (a->if_exists)
        return 0;
    return mig_fail(m->err, MIG_E_INPUT, "mig_batch: constraint \"%s\" of table %s does not exist", a->name, m->table);
}

/* A foreign key must point at an existing table (SQLite would accept any name). */
static int parent_exists(model *m, const mig_batch_schema *sch, const char *parent)
{
    int i;
    if (!parent || sch->nnames == 0 || mig_ddl_ident_eq(parent, m->table))
        return 0;
    for (i = 0; i < sch->nnames; i++)
        if (mig_ddl_ident_eq(sch->names[i], parent))
            return 0;
    return mig_fail(m->err, MIG_E_INPUT, "mig_batch: table \"%s\", referenced by a foreign key of %s, does not exist",
                    parent, m->table);
}

static int add_constraint(model *m, const mig_batch_action *a, const mig_batch_schema *sch)
{
    mig_ddl_table tt;
    char *wrapped = mig_sprintf(m->ar, "CREATE TABLE x (x_ int, %s)", a->text);
    mig_err sub;
    mtcons_t *mt;
    int i, k;
    if (!wrapped)
        return mig_fail(m->err, MIG_E_NOMEM, "out of memory");
    mig_err_clear(&sub);
    if (mig_ddl_parse_create_table(m->ar, wrapped, strlen(wrapped), &tt, &sub) || tt.ncons != 1 || tt.ncols != 1)
        return mig_fail(m->err, MIG_E_INPUT, "mig_batch: ADD CONSTRAINT at position %zu: not one table constraint: %s",
                        a->pos + 1, sub.msg[0] ? sub.msg : a->text);
    if (a->name) {
        for (i = 0; i < m->ntcons; i++)
            if (!m->tcons[i].dropped && m->tcons[i].name && mig_ddl_ident_eq(m->tcons[i].name, a->name))
                return mig_fail(m->err, MIG_E_INPUT, "mig_batch: constraint \"%s\" of table %s already exists",
                                a->name, m->table);
    }
    if (tt.cons[0].kind == MIG_TC_PRIMARY_KEY)
        for (i = 0; i < m->ncols; i++)
            if (!m->cols[i].dropped && in_primary_key(m, i))
                return mig_fail(m->err, MIG_E_INPUT, "mig_batch: multiple primary keys for table %s are not allowed",
                                m->table);
    for (k = 0; k < tt.cons[0].ncolumns; k++)
        if (find_col(m, tt.cons[0].columns[k]) < 0)
            return no_column(m, tt.cons[0].columns[k]);
    if (tt.cons[0].kind == MIG_TC_FOREIGN_KEY && parent_exists(m, sch, tt.cons[0].ref_table))
        return -1;
    if (m->ntcons == m->captcons) {
        mtcons_t *nt = mig_alloc0(m->ar, sizeof(mtcons_t) * (size_t)(m->captcons * 2));
        if (!nt)
            return mig_fail(m->err, MIG_E_NOMEM, "out of memory");
        memcpy(nt, m->tcons, sizeof(mtcons_t) * (size_t)m->ntcons);
        m->tcons = nt;
        m->captcons *= 2;
    }
    mt = &m->tcons[m->ntcons++];
    mt->kind = tt.cons[0].kind;
    mt->name = tt.cons[0].name;
    mt->text = mig_ddl_span_dup(m->ar, wrapped, tt.cons[0].span);
    mt->columns = tt.cons[0].columns;
    mt->ncolumns = tt.cons[0].ncolumns;
    mt->expr = tt.cons[0].expr.len ? mig_ddl_span_dup(m->ar, wrapped, tt.cons[0].expr) : NULL;
    mt->ref_table = tt.cons[0].ref_table;
    mt->ref_columns = tt.cons[0].ref_columns;
    mt->nref_columns = tt.cons[0].nref_columns;
    if (!mt->text)
        return mig_fail(m->err, MIG_E_NOMEM, "out of memory");
    m->need_rebuild = 1;
    return 0;
}

static int apply(model *m, const mig_batch_action *a, const mig_batch_schema *sch)
{
    int ci;
    mcol_t *c;
    switch (a->kind) {
    case MIG_BA_ADD_COLUMN:
        return add_column(m, a, sch);
    case MIG_BA_DROP_COLUMN:
        return drop_column(m, a, sch);
    case MIG_BA_ADD_CONSTRAINT:
        return add_constraint(m, a, sch);
    case MIG_BA_DROP_CONSTRAINT:
        return drop_constraint(m, a, sch);
    case MIG_BA_RENAME_TABLE:
        return mig_fail(m->err, MIG_E_INPUT, "mig_batch: internal: RENAME TO reached the planner");
    default:
        break;
    }
    ci = find_col(m, a->column);
    if (ci < 0)
        return no_column(m, a->column);
    c = &m->cols[ci];
    switch (a->kind) {
    case MIG_BA_RENAME_COLUMN:
        /* a column added by an earlier action of this call */
        if (find_col(m, a->new_name) >= 0)
            return mig_fail(m->err, MIG_E_INPUT, "mig_batch: column \"%s\" of table %s already exists", a->new_name,
                            m->table);
        c->name = a->new_name;
        c->name_sql = a->new_name_sql;
        c->def = NULL;
        m->need_rebuild = 1;
        return 0;
    case MIG_BA_ALTER_TYPE:
        if (col_has(c, MIG_CC_GENERATED))
            return mig_fail(m->err, MIG_E_INPUT, "mig_batch: cannot alter the type of generated column \"%s\"",
                            c->name);
        c->type_sql = a->text;
        if (a->using_expr && c->src)
            c->src = mig_sprintf(m->ar, "(%s)", a->using_expr);
        c->def = NULL;
        m->need_rebuild = 1;
        return 0;
    case MIG_BA_SET_NOT_NULL:
        if (!col_has(c, MIG_CC_NOT_NULL) && col_add(m, c, MIG_CC_NOT_NULL, "NOT NULL"))
            return -1;
        m->need_rebuild = 1;
        return 0;
    case MIG_BA_DROP_NOT_NULL:
        if (in_primary_key(m, ci) && m->t.without_rowid)
            return mig_fail(m->err, MIG_E_INPUT, "mig_batch: column \"%s\" is in a primary key", c->name);
        if (col_has(c, MIG_CC_NOT_NULL)) {
            col_remove(c, MIG_CC_NOT_NULL);
            m->need_rebuild = 1;
        }
        return 0;
    case MIG_BA_SET_DEFAULT: {
        const char *d = default_sql(m, a->text);
        if (!d)
            return mig_fail(m->err, MIG_E_NOMEM, "out of memory");
        col_remove(c, MIG_CC_DEFAULT);
        if (col_add(m, c, MIG_CC_DEFAULT, d))
            return -1;
        m->need_rebuild = 1;
        return 0;
    }
    case MIG_BA_DROP_DEFAULT:
        if (col_has(c, MIG_CC_DEFAULT)) {
            col_remove(c, MIG_CC_DEFAULT);
            m->need_rebuild = 1;
        }
        return 0;
    default:
        return mig_fail(m->err, MIG_E_INPUT, "mig_batch: internal: unknown action");
    }
}

/* ---- the plan ----------------------------------------------------------------------- */

static const char *col_def(model *m, const mcol_t *c)
{
    mig_buf b;
    int k;
    if (c->def)
        return c->def;
    mig_buf_init(&b, m->ar);
    mig_buf_puts(&b, c->name_sql);
    if (*c->type_sql) {
        mig_buf_puts(&b, " ");
        mig_buf_puts(&b, c->type_sql);
    }
    for (k = 0; k < c->ncons; k++) {
        mig_buf_puts(&b, " ");
        mig_buf_puts(&b, c->cons[k].text);
    }
    return b.oom ? NULL : b.data;
}

/* Is there an INTEGER PRIMARY KEY that is the rowid (not DESC)? */
static int integer_pk_alias(const model *m)
{
    int i, k;
    if (m->t.without_rowid)
        return 1;
    for (i = 0; i < m->t.ncols; i++) {
        const mig_ddl_column *c = &m->t.cols[i];
        for (k = 0; k < c->ncons; k++)
            if (c->cons[k].kind == MIG_CC_PRIMARY_KEY && !c->cons[k].desc && c->type_span.len == 7 &&
                strncasecmp(m->sql + c->type_span.off, "INTEGER", 7) == 0)
                return 1;
    }
    for (i = 0; i < m->t.ncons; i++)
        if (m->t.cons[i].kind == MIG_TC_PRIMARY_KEY && m->t.cons[i].ncolumns == 1) {
            int ci = mig_ddl_find_column(&m->t, m->t.cons[i].columns[0]);
            if (ci >= 0 && m->t.cols[ci].type_span.len == 7 &&
                strncasecmp(m->sql + m->t.cols[ci].type_span.off, "INTEGER", 7) == 0)
                return 1;
        }
    return 0;
}

/* A name for the rowid that no column shadows (NULL: all three are columns). */
static const char *rowid_name(const model *m)
{
    static const char *const names[] = {"rowid", "_rowid_", "oid"};
    int i;
    for (i = 0; i < 3; i++)
        if (mig_ddl_find_column(&m->t, names[i]) < 0)
            return names[i];
    return NULL;
}

/* An SQL string literal. */
static const char *lit(mig_arena *ar, const char *s)
{
    mig_buf b;
    mig_buf_init(&b, ar);
    mig_buf_quote(&b, s);
    return b.oom ? NULL : b.data;
}

static const char *free_name(model *m, const mig_batch_schema *sch)
{
    int n, i;
    for (n = 0; n < 1000; n++) {
        char *cand = n ? mig_sprintf(m->ar, "_mig_old_%s_%d", m->table, n) : mig_sprintf(m->ar, "_mig_old_%s", m->table);
        int taken = 0;
        if (!cand)
            return NULL;
        for (i = 0; i < sch->nnames; i++)
            taken |= mig_ddl_ident_eq(sch->names[i], cand);
        if (!taken)
            return cand;
    }
    return NULL;
}

/*
 * Steps 4-6 of a rebuild, after the copy: the AUTOINCREMENT high-water mark,
 * the old table dropped, the table's indexes (but those in dropped_indexes)
 * and triggers recreated from their stored SQL; and what to verify after.
 */
static int rebuild_tail(mig_arena *ar, const char *table, const char *old, const char *qold,
                        const mig_batch_schema *schema, const mig_strlist *dropped_indexes, int keep_sequence,
                        mig_batch_plan *out, mig_err *err)
{
    int i, k;
#define ADD(q)                                                                                                     \
    do {                                                                                                           \
        const char *q_ = (q);                                                                                      \
        if (!q_ || mig_strlist_add(ar, &out->stmts, q_))                                                           \
            return NOMEM();                                                                                        \
    } while (0)
    if (keep_sequence) {
        /* AUTOINCREMENT: keep the old high-water mark */
        const char *lt = lit(ar, table), *lo = lit(ar, old);
        if (!lt || !lo)
            return NOMEM();
        ADD(mig_sprintf(ar,
                        "INSERT INTO main.sqlite_sequence (name, seq) SELECT %s, 0 WHERE NOT EXISTS (SELECT 1 FROM "
                        "main.sqlite_sequence WHERE name = %s)",
                        lt, lt));
        ADD(mig_sprintf(ar,
                        "UPDATE main.sqlite_sequence SET seq = max(seq, (SELECT seq FROM main.sqlite_sequence WHERE name = %s)) "
                        "WHERE name = %s",
                        lo, lt));
    }
    ADD(mig_sprintf(ar, "DROP TABLE %s", qold));
    for (i = 0; i < schema->nindexes; i++)
        if (schema->indexes[i].sql && !(dropped_indexes && mig_strlist_has(dropped_indexes, schema->indexes[i].name)))
            ADD(in_main(ar, schema->indexes[i].sql, 1));
    for (i = 0; i < schema->ntriggers; i++)
        if (schema->triggers[i].sql)
            ADD(in_main(ar, schema->triggers[i].sql, 0));
    /* then: views that use the table must still compile, and foreign keys hold */
    for (i = 0; i < schema->nothers; i++) {
        mig_span sp;
        const char *sql = schema->others[i].sql;
        if (!sql || !schema->others[i].type || strcmp(schema->others[i].type, "view") != 0)
            continue;
        sp.off = 0;
        sp.len = strlen(sql);
        if (mig_ddl_mentions(sql, sp, table) && mig_strlist_add(ar, &out->views, schema->others[i].name))
            return NOMEM();
    }
    if (mig_strlist_add(ar, &out->fk_tables, table))
        return NOMEM();
    for (i = 0; i < schema->nrefs; i++) {
        int seen = 0;
        for (k = 0; k < out->fk_tables.n; k++)
            seen |= mig_ddl_ident_eq(out->fk_tables.v[k], schema->refs[i].child);
        if (!seen && mig_strlist_add(ar, &out->fk_tables, schema->refs[i].child))
            return NOMEM();
    }
#undef ADD
    return 0;
}

int mig_batch_plan_sqlite(mig_arena *ar, const char *table, const mig_batch_actions *actions,
                          const mig_batch_schema *schema, mig_batch_plan *out, mig_err *err)
{
    model m;
    int i, first = 1;
    mig_buf create, ins, sel;
    const char *old, *qold;
    memset(out, 0, sizeof *out);
    if (model_init(&m, ar, table, schema->table_sql, err))
        return -1;
    if (m.t.temp)
        return mig_fail(err, MIG_E_INPUT, "mig_batch: %s is a temporary table", table);
    for (i = 0; i < actions->n; i++)
        if (apply(&m, &actions->v[i], schema))
            return -1;
    if (!m.need_rebuild) {
        out->stmts = m.native;
        return 0;
    }
    out->rebuild = 1;
    old = free_name(&m, schema);
    if (!old)
        return NOMEM();
    out->temp_name = old;
    /* the new CREATE TABLE: the name and every kept piece as written */
    mig_buf_init(&create, ar);
    mig_buf_puts(&create, "CREATE TABLE main.");
    mig_buf_puts(&create, mig_ddl_span_dup(ar, m.sql, m.t.name_span));
    mig_buf_puts(&create, " (\n    ");
    for (i = 0; i < m.ncols; i++) {
        const char *d;
        if (m.cols[i].dropped)
            continue;
        d = col_def(&m, &m.cols[i]);
        if (!d)
            return NOMEM();
        if (!first)
            mig_buf_puts(&create, ",\n    ");
        mig_buf_puts(&create, d);
        first = 0;
    }
    for (i = 0; i < m.ntcons; i++) {
        if (m.tcons[i].dropped)
            continue;
        mig_buf_puts(&create, ",\n    ");
        mig_buf_puts(&create, m.tcons[i].text);
    }
    mig_buf_puts(&create, "\n)");
    if (m.t.options.len) {
        mig_buf_puts(&create, " ");
        mig_buf_puts(&create, mig_ddl_span_dup(ar, m.sql, m.t.options));
    }
    /* the copy: every kept column that is not generated, plus the rowid */
    mig_buf_init(&ins, ar);
    mig_buf_init(&sel, ar);
    first = 1;
    if (!integer_pk_alias(&m) && rowid_name(&m)) {
        mig_buf_puts(&ins, rowid_name(&m));
        mig_buf_puts(&sel, rowid_name(&m));
        first = 0;
    }
    for (i = 0; i < m.ncols; i++) {
        const mcol_t *c = &m.cols[i];
        if (c->dropped || !c->src || col_has(c, MIG_CC_GENERATED))
            continue;
        if (!first) {
            mig_buf_puts(&ins, ", ");
            mig_buf_puts(&sel, ", ");
        }
        mig_buf_puts(&ins, mig_ddl_quote(ar, c->name));
        mig_buf_puts(&sel, c->src);
        first = 0;
    }
    if (create.oom || ins.oom || sel.oom)
        return NOMEM();
    {
        /* The same columns, copied as they are, into a table whose rowid is
         * its key: INSERT ... SELECT * lets SQLite copy whole records and
         * index entries (its transfer optimization) */
        int same = integer_pk_alias(&m) && m.ncols == m.t.ncols;
        for (i = 0; same && i < m.ncols; i++) {
            const mcol_t *c = &m.cols[i];
            same = !c->dropped && c->src && !col_has(c, MIG_CC_GENERATED) &&
                   mig_ddl_ident_eq(c->name, m.t.cols[i].name) && strcmp(c->src, mig_ddl_quote(ar, c->name)) == 0;
        }
        if (same) {
            mig_buf_init(&ins, ar);
            mig_buf_init(&sel, ar);
            mig_buf_puts(&sel, "*");
        }
    }
#define ADD(q)                                                                                                     \
    do {                                                                                                           \
        const char *q_ = (q);                                                                                      \
        if (!q_ || mig_strlist_add(ar, &out->stmts, q_))                                                           \
            return NOMEM();                                                                                        \
    } while (0)
    ADD(mig_sprintf(ar, "ALTER TABLE %s RENAME TO %s", m.qtable, mig_ddl_quote(ar, old)));
    qold = mig_sprintf(ar, "main.%s", mig_ddl_quote(ar, old));
    if (!qold)
        return NOMEM();
    ADD(create.data);
    if (!first)
        ADD(ins.len ? mig_sprintf(ar, "INSERT INTO %s (%s) SELECT %s FROM %s", m.qtable, ins.data, sel.data, qold)
                    : mig_sprintf(ar, "INSERT INTO %s SELECT * FROM %s", m.qtable, qold));
    if (rebuild_tail(ar, table, old, qold, schema, &m.dropped_indexes, schema->has_sequence, out, err))
        return -1;
#undef ADD
    return 0;
}

/* ---- a rebuild to a given CREATE TABLE ("create" option) ------------------------- */

/* The column that is the rowid (INTEGER PRIMARY KEY, not DESC on the column), or -1. */
static int rowid_alias_column(const model *m)
{
    int i, k;
    if (m->t.without_rowid)
        return -1;
    for (i = 0; i < m->t.ncols; i++) {
        const mig_ddl_column *c = &m->t.cols[i];
        for (k = 0; k < c->ncons; k++)
            if (c->cons[k].kind == MIG_CC_PRIMARY_KEY && !c->cons[k].desc && c->type_span.len == 7 &&
                strncasecmp(m->sql + c->type_span.off, "INTEGER", 7) == 0)
                return i;
    }
    for (i = 0; i < m->t.ncons; i++)
        if (m->t.cons[i].kind == MIG_TC_PRIMARY_KEY && m->t.cons[i].ncolumns == 1) {
            int ci = mig_ddl_find_column(&m->t, m->t.cons[i].columns[0]);
            if (ci >= 0 && m->t.cols[ci].type_span.len == 7 &&
                strncasecmp(m->sql + m->t.cols[ci].type_span.off, "INTEGER", 7) == 0)
                return ci;
        }
    return -1;
}

static int ddl_col_generated(const mig_ddl_column *c)
{
    int k;
    for (k = 0; k < c->ncons; k++)
        if (c->cons[k].kind == MIG_CC_GENERATED)
            return 1;
    return 0;
}

static int ddl_autoincrement(const mig_ddl_table *t)
{
    int i, k;
    for (i = 0; i < t->ncols; i++)
        for (k = 0; k < t->cols[i].ncons; k++)
            if (t->cols[i].cons[k].autoincrement)
                return 1;
    for (i = 0; i < t->ncons; i++)
        if (t->cons[i].autoincrement)
            return 1;
    return 0;
}

int mig_batch_plan_create(mig_arena *ar, const char *table, const char *create_sql, const mig_batch_schema *schema,
                          mig_batch_plan *out, mig_err *err)
{
    model m, nm;
    mig_buf create, ins, sel;
    const char *old, *qold, *tail;
    int i, first = 1, alias;
    memset(out, 0, sizeof *out);
    if (model_init(&m, ar, table, schema->table_sql, err))
        return -1;
    if (m.t.temp)
        return mig_fail(err, MIG_E_INPUT, "mig_batch: %s is a temporary table", table);
    if (mig_ddl_parse_create_table(ar, create_sql, strlen(create_sql), &nm.t, err)) {
        mig_err_prefix(err, "mig_batch: option \"create\": ");
        return -1;
    }
    if (nm.t.temp || nm.t.if_not_exists || (nm.t.schema && !mig_ddl_ident_eq(nm.t.schema, "main")))
        return mig_fail(err, MIG_E_INPUT,
                        "mig_batch: option \"create\" must be a plain CREATE TABLE of the main database (no TEMP, "
                        "no IF NOT EXISTS)");
    if (!mig_ddl_ident_eq(nm.t.name, table))
        return mig_fail(err, MIG_E_INPUT, "mig_batch: option \"create\" creates table \"%s\", not \"%s\"", nm.t.name,
                        table);
    if (model_init(&nm, ar, table, create_sql, err))
        return -1;
    out->rebuild = 1;
    if (!(old = free_name(&m, schema)))
        return NOMEM();
    out->temp_name = old;
    /* the statement as given, its name qualified by main */
    tail = create_sql + nm.t.name_span.off;
    mig_buf_init(&create, ar);
    mig_buf_puts(&create, "CREATE TABLE main.");
    mig_buf_puts(&create, tail);
    /* the copy: the new table's columns that the old one has (by name), not generated */
    mig_buf_init(&ins, ar);
    mig_buf_init(&sel, ar);
    alias = rowid_alias_column(&nm);
    {
        int keep_rowid = !m.t.without_rowid && !nm.t.without_rowid && rowid_name(&m) && rowid_name(&nm);
        if (alias >= 0 && mig_ddl_find_column(&m.t, nm.t.cols[alias].name) >= 0)
            keep_rowid = 0; /* the key column is copied: it is the rowid */
        if (keep_rowid) {
            mig_buf_puts(&ins, rowid_name(&nm));
            mig_buf_puts(&sel, rowid_name(&m));
            first = 0;
        }
    }
    for (i = 0; i < nm.t.ncols; i++) {
        int oi = mig_ddl_find_column(&m.t, nm.t.cols[i].name);
        if (oi < 0 || ddl_col_generated(&nm.t.cols[i]))
            continue;
        if (!first) {
            mig_buf_puts(&ins, ", ");
            mig_buf_puts(&sel, ", ");
        }
        mig_buf_puts(&ins, mig_ddl_quote(ar, nm.t.cols[i].name));
        mig_buf_puts(&sel, mig_ddl_quote(ar, m.t.cols[oi].name));
        first = 0;
    }
    if (create.oom || ins.oom || sel.oom)
        return NOMEM();
    if (mig_strlist_add(ar, &out->stmts, mig_sprintf(ar, "ALTER TABLE %s RENAME TO %s", m.qtable, mig_ddl_quote(ar, old))) ||
        !(qold = mig_sprintf(ar, "main.%s", mig_ddl_quote(ar, old))) || mig_strlist_add(ar, &out->stmts, create.data))
        return NOMEM();
    if (!first && mig_strlist_add(ar, &out->stmts,
                                  mig_sprintf(ar, "INSERT INTO %s (%s) SELECT %s FROM %s", m.qtable, ins.data, sel.data, qold)))
        return NOMEM();
    return rebuild_tail(ar, table, old, qold, schema, NULL, schema->has_sequence && ddl_autoincrement(&nm.t), out,
                        err);
}
