/*
 * schema.c — the schema model (schema.h): SQLite's sqlite_schema rows to
 * the model, the model's canonical JSON and back, and the SQL normaliser.
 *
 * CREATE TABLE and CREATE INDEX are read by core/ddl (the parser mig_batch
 * rebuilds tables with); what it only delimits (key parts with COLLATE and
 * DESC, ON CONFLICT clauses, foreign key actions, expressions) is read here
 * from its spans with a tokenizer that follows SQLite's (tokenize.c).  Views
 * and triggers are read here: the name, a view's column list and SELECT, a
 * trigger's table.
 *
 * Normalised SQL (mig_schema_norm_sql) is the token sequence of the text
 * printed again: comments dropped, one space between tokens except around
 * "(", ")", ",", "." and after a unary sign, keywords (SQLite's 147) in
 * upper case, "==" as "=" and "<>" as "!=", blobs as X'HEX'.  Identifiers:
 * a bare word stays as written (its case is kept: a view's column names
 * come from it); a quoted one ("x", [x], `x`) becomes "x" — except where
 * it cannot be a string literal, where it is written bare when it needs no
 * quotes: a column of the table (CHECK, generated columns, index parts and
 * WHERE), a qualifier or a qualified name (t."x", "t".x), after FROM, JOIN,
 * INTO, UPDATE, TABLE, AS, and a trigger's table.  SQLite reads a
 * double-quoted word that names no column as a string, so "x" is never
 * unquoted where it might be one.
 *
 * Memory: the caller's arena; jansson (from_json) allocates with malloc and
 * everything it returns is released before returning.  No globals.
 */
#include "schema.h"
#include "ddl.h"
#include "sqltok.h"

#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOMEM(err) mig_fail((err), MIG_E_NOMEM, "out of memory")

const char *mig_so_kind_name(mig_so_kind k)
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

static int kind_named(const char *s, mig_so_kind *k)
{
    static const char *const names[] = {"table", "index", "view", "trigger"};
    int i;
    for (i = 0; i < 4; i++) {
        if (s && strcmp(s, names[i]) == 0) {
            *k = (mig_so_kind)i;
            return 0;
        }
    }
    return -1;
}

void mig_schema_init(mig_schema *s, mig_dialect d)
{
    memset(s, 0, sizeof *s);
    s->dialect = d;
}

/* ------------------------------------------------------------------------ */
/* Small helpers                                                            */
/* ------------------------------------------------------------------------ */

static unsigned char up(unsigned char c) { return (c >= 'a' && c <= 'z') ? (unsigned char)(c - 32) : c; }

/* Case-insensitive (ASCII) compare of n bytes at p with NUL-terminated w. */
static int word_eq(const char *p, size_t n, const char *w)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (w[i] == '\0' || up((unsigned char)p[i]) != up((unsigned char)w[i]))
            return 0;
    }
    return w[n] == '\0';
}

static int ci_cmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned char x = up((unsigned char)*a), y = up((unsigned char)*b);
        if (x != y || !x)
            return (int)x - (int)y;
    }
}

/* NULL sorts first. */
static int str_cmp(const char *a, const char *b)
{
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

/* Grow an arena array to hold n + 1 elements. */
static int grow(mig_arena *ar, void **v, int n, int *cap, size_t el)
{
    void *nv;
    int nc;
    if (n < *cap)
        return 0;
    if (*cap > INT_MAX / 4)
        return -1;
    nc = *cap ? *cap * 2 : 4;
    if (!(nv = mig_alloc(ar, (size_t)nc * el)))
        return -1;
    if (n)
        memcpy(nv, *v, (size_t)n * el);
    *v = nv;
    *cap = nc;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Lookup by name (mig_sch_names)                                           */
/* ------------------------------------------------------------------------ */

/* Open addressing with linear probing over the slots; the hash is FNV-1a of
 * the kind, the namespace and the name with ASCII letters folded to lower
 * case, so every object a lookup may match (whatever the case of its name)
 * is on the probe sequence of the lookup's key.  The objects are put in
 * increasing index order and never removed, so along one probe sequence they
 * lie in index order: the first match is the first in the array, as a
 * linear search finds it. */

static unsigned names_hash(mig_so_kind k, const char *schema, const char *name)
{
    unsigned h = 2166136261u;
    const unsigned char *p;
    h = (h ^ (unsigned)k) * 16777619u;
    h = (h ^ (schema ? 1u : 0u)) * 16777619u;
    for (p = (const unsigned char *)(schema ? schema : ""); *p; p++)
        h = (h ^ (unsigned)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p)) * 16777619u;
    h = (h ^ 0x100u) * 16777619u;
    for (p = (const unsigned char *)name; *p; p++)
        h = (h ^ (unsigned)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p)) * 16777619u;
    return h;
}

static int names_match(const mig_sch_object *o, mig_so_kind k, const char *schema, const char *name, int exact)
{
    if (o->kind != k || !o->name)
        return 0;
    if (!o->schema || !schema) {
        if (o->schema != schema)
            return 0;
    } else if (!mig_ddl_ident_eq(o->schema, schema)) {
        return 0;
    }
    return exact ? strcmp(o->name, name) == 0 : mig_ddl_ident_eq(o->name, name);
}

/* Put v[i] in the slots (there is room: at most half are used). */
static void names_put(mig_sch_names *ix, int i)
{
    const mig_sch_object *o = &ix->v[i];
    unsigned j, m = ix->cap - 1;
    if (!o->name)
        return; /* matches no lookup */
    for (j = names_hash(o->kind, o->schema, o->name) & m; ix->slot[j]; j = (j + 1) & m)
        ;
    ix->slot[j] = i + 1;
}

/* Index v[0 .. n), v[0 .. ix->n) being indexed already (v may have moved:
 * an arena array that grew).  -1: out of memory, the index emptied. */
static int names_extend(mig_arena *ar, mig_sch_names *ix, const mig_sch_object *v, int n)
{
    int i, from = ix->slot && ix->n <= n ? ix->n : 0;
    ix->v = v;
    if (!ix->slot || (unsigned)n > ix->cap / 2) {
        unsigned cap = 16;
        int *slot;
        while ((unsigned)n > cap / 2) {
            if (cap >= (1u << 30))
                goto oom;
            cap *= 2;
        }
        if (!(slot = mig_alloc0(ar, (size_t)cap * sizeof *slot)))
            goto oom;
        ix->slot = slot;
        ix->cap = cap;
        from = 0;
    }
    for (i = from; i < n; i++)
        names_put(ix, i);
    ix->n = n;
    return 0;
oom:
    memset(ix, 0, sizeof *ix);
    return -1;
}

int mig_sch_names_build(mig_arena *ar, mig_sch_names *ix, const mig_sch_object *v, int n)
{
    memset(ix, 0, sizeof *ix);
    if (!ar || n < 0 || (n > 0 && !v))
        return -1;
    return names_extend(ar, ix, v, n);
}

int mig_sch_names_find(const mig_sch_names *ix, const mig_sch_object *v, int n, mig_so_kind k, const char *schema,
                       const char *name, int exact)
{
    int i;
    if (!v || !name)
        return -1;
    if (ix && ix->slot && ix->v == v && ix->n == n) {
        unsigned j, m = ix->cap - 1;
        for (j = names_hash(k, schema, name) & m; ix->slot[j]; j = (j + 1) & m)
            if (names_match(&v[ix->slot[j] - 1], k, schema, name, exact))
                return ix->slot[j] - 1;
        return -1;
    }
    for (i = 0; i < n; i++)
        if (names_match(&v[i], k, schema, name, exact))
            return i;
    return -1;
}

/* An object of s in the default namespace, name ASCII case-insensitive (a
 * new SQLite row's duplicate, an index's table). */
static const mig_sch_object *find_ci(const mig_schema *s, mig_so_kind k, const char *name)
{
    int i = mig_sch_names_find(&s->names, s->objs, s->nobjs, k, NULL, name, 0);
    return i >= 0 ? &s->objs[i] : NULL;
}

/* ------------------------------------------------------------------------ */
/* Tokens                                                                   */
/* ------------------------------------------------------------------------ */

enum { K_WORD, K_QID, K_STR, K_BLOB, K_NUM, K_VAR, K_LP, K_RP, K_COMMA, K_SEMI, K_DOT, K_OP };

typedef struct {
    int k;
    size_t off, len;
} stok;

typedef struct {
    const char *s; /* the text the offsets refer to */
    size_t len;
    stok *v;
    int n, cap;
} stoks;

static int id_start(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80; }
static int is_dig(unsigned char c) { return c >= '0' && c <= '9'; }
static int id_char(unsigned char c) { return id_start(c) || is_dig(c) || c == '$'; }
static int is_hex(unsigned char c) { return is_dig(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
static int is_sp(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

static size_t quoted_end(const char *s, size_t len, size_t i, char close)
{
    for (i++; i < len; i++) {
        if (s[i] == close) {
            if (close != ']' && i + 1 < len && s[i + 1] == close) {
                i++;
                continue;
            }
            return i + 1;
        }
    }
    return 0;
}

/* Tokenize s[0, len) as SQLite does; errors name the byte offset. */
static int lex_all(mig_arena *ar, const char *s, size_t len, stoks *out, mig_err *err)
{
    size_t i = 0;
    memset(out, 0, sizeof *out);
    out->s = s;
    out->len = len;
    if (!s && len)
        return mig_fail(err, MIG_E_INPUT, "no SQL text");
    for (;;) {
        size_t e;
        int k;
        unsigned char c;
        const char *why = NULL;
        while (i < len) {
            if (is_sp((unsigned char)s[i]))
                i++;
            else if (s[i] == '-' && i + 1 < len && s[i + 1] == '-') {
                while (i < len && s[i] != '\n')
                    i++;
            } else if (s[i] == '/' && i + 1 < len && s[i + 1] == '*') {
                for (i += 2; i < len && !(s[i] == '*' && i + 1 < len && s[i + 1] == '/'); i++)
                    ;
                i = i < len ? i + 2 : len; /* unterminated: a comment to the end, as in SQLite */
            } else
                break;
        }
        if (i >= len)
            return 0;
        c = (unsigned char)s[i];
        e = i + 1;
        k = K_OP;
        switch (c) {
        case '\'':
        case '"':
        case '`':
        case '[':
            k = c == '\'' ? K_STR : K_QID;
            e = quoted_end(s, len, i, c == '[' ? ']' : (char)c);
            if (!e)
                why = c == '\'' ? "unterminated string literal" : "unterminated quoted identifier";
            break;
        case '(':
            k = K_LP;
            break;
        case ')':
            k = K_RP;
            break;
        case ',':
            k = K_COMMA;
            break;
        case ';':
            k = K_SEMI;
            break;
        case '?':
            k = K_VAR;
            while (e < len && is_dig((unsigned char)s[e]))
                e++;
            break;
        case ':':
        case '@':
        case '$':
            k = K_VAR;
            if (e >= len || !id_char((unsigned char)s[e]))
                why = "malformed parameter";
            while (e < len && id_char((unsigned char)s[e]))
                e++;
            break;
        case '<':
            if (e < len && (s[e] == '=' || s[e] == '>' || s[e] == '<'))
                e++;
            break;
        case '>':
            if (e < len && (s[e] == '=' || s[e] == '>'))
                e++;
            break;
        case '=':
            if (e < len && s[e] == '=')
                e++;
            break;
        case '!':
            if (e < len && s[e] == '=')
                e++;
            else
                why = "unexpected \"!\"";
            break;
        case '|':
            if (e < len && s[e] == '|')
                e++;
            break;
        case '-':
            if (e < len && s[e] == '>') {
                e++;
                if (e < len && s[e] == '>')
                    e++;
            }
            break;
        case '+':
        case '*':
        case '/':
        case '%':
        case '&':
        case '~':
            break;
        default:
            if ((c == 'x' || c == 'X') && e < len && s[e] == '\'') {
                k = K_BLOB;
                for (e = i + 2; e < len && is_hex((unsigned char)s[e]); e++)
                    ;
                if (e >= len || s[e] != '\'' || (e - i - 2) % 2)
                    why = "malformed blob literal";
                else
                    e++;
            } else if (id_start(c)) {
                k = K_WORD;
                while (e < len && id_char((unsigned char)s[e]))
                    e++;
            } else if (is_dig(c) || (c == '.' && e < len && is_dig((unsigned char)s[e]))) {
                k = K_NUM;
                if (c == '0' && e + 1 < len && (s[e] == 'x' || s[e] == 'X') && is_hex((unsigned char)s[e + 1])) {
                    for (e++; e < len && is_hex((unsigned char)s[e]); e++)
                        ;
                } else {
                    while (e < len && is_dig((unsigned char)s[e]))
                        e++;
                    if (c != '.' && e < len && s[e] == '.')
                        for (e++; e < len && is_dig((unsigned char)s[e]); e++)
                            ;
                    if (e < len && (s[e] == 'e' || s[e] == 'E')) {
                        size_t x = e + 1;
                        if (x < len && (s[x] == '+' || s[x] == '-'))
                            x++;
                        if (x < len && is_dig((unsigned char)s[x]))
                            for (e = x; e < len && is_dig((unsigned char)s[e]); e++)
                                ;
                        else
                            why = "malformed number";
                    }
                }
                if (!why && e < len && id_char((unsigned char)s[e]))
                    why = "malformed number";
            } else if (c == '.') {
                k = K_DOT;
            } else if (c == 0) {
                why = "NUL byte";
            } else {
                why = "unexpected character";
            }
            break;
        }
        if (why)
            return mig_fail(err, MIG_E_INPUT, "%s at byte %zu", why, i);
        {
            void *v = out->v;
            if (grow(ar, &v, out->n, &out->cap, sizeof *out->v))
                return NOMEM(err);
            out->v = v;
        }
        out->v[out->n].k = k;
        out->v[out->n].off = i;
        out->v[out->n].len = e - i;
        out->n++;
        i = e;
    }
}

/* SQLite's keywords (sqlite3_keyword_name, 3.40), sorted. */
static const char *const KEYWORDS[] = {
    "ABORT", "ACTION", "ADD", "AFTER", "ALL", "ALTER", "ALWAYS", "ANALYZE", "AND", "AS", "ASC", "ATTACH",
    "AUTOINCREMENT", "BEFORE", "BEGIN", "BETWEEN", "BY", "CASCADE", "CASE", "CAST", "CHECK", "COLLATE",
    "COLUMN", "COMMIT", "CONFLICT", "CONSTRAINT", "CREATE", "CROSS", "CURRENT", "CURRENT_DATE",
    "CURRENT_TIME", "CURRENT_TIMESTAMP", "DATABASE", "DEFAULT", "DEFERRABLE", "DEFERRED", "DELETE", "DESC",
    "DETACH", "DISTINCT", "DO", "DROP", "EACH", "ELSE", "END", "ESCAPE", "EXCEPT", "EXCLUDE", "EXCLUSIVE",
    "EXISTS", "EXPLAIN", "FAIL", "FILTER", "FIRST", "FOLLOWING", "FOR", "FOREIGN", "FROM", "FULL",
    "GENERATED", "GLOB", "GROUP", "GROUPS", "HAVING", "IF", "IGNORE", "IMMEDIATE", "IN", "INDEX", "INDEXED",
    "INITIALLY", "INNER", "INSERT", "INSTEAD", "INTERSECT", "INTO", "IS", "ISNULL", "JOIN", "KEY", "LAST",
    "LEFT", "LIKE", "LIMIT", "MATCH", "MATERIALIZED", "NATURAL", "NO", "NOT", "NOTHING", "NOTNULL", "NULL",
    "NULLS", "OF", "OFFSET", "ON", "OR", "ORDER", "OTHERS", "OUTER", "OVER", "PARTITION", "PLAN", "PRAGMA",
    "PRECEDING", "PRIMARY", "QUERY", "RAISE", "RANGE", "RECURSIVE", "REFERENCES", "REGEXP", "REINDEX",
    "RELEASE", "RENAME", "REPLACE", "RESTRICT", "RETURNING", "RIGHT", "ROLLBACK", "ROW", "ROWS", "SAVEPOINT",
    "SELECT", "SET", "TABLE", "TEMP", "TEMPORARY", "THEN", "TIES", "TO", "TRANSACTION", "TRIGGER",
    "UNBOUNDED", "UNION", "UNIQUE", "UPDATE", "USING", "VACUUM", "VALUES", "VIEW", "VIRTUAL", "WHEN", "WHERE",
    "WINDOW", "WITH", "WITHOUT",
};

/* Compare the n bytes at p (upper-cased) with keyword w. */
static int kw_cmp(const char *p, size_t n, const char *w)
{
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned char a = up((unsigned char)p[i]), b = (unsigned char)w[i];
        if (!b)
            return 1;
        if (a != b)
            return (int)a - (int)b;
    }
    return w[n] ? -1 : 0;
}

static int is_keyword(const char *p, size_t n)
{
    int lo = 0, hi = (int)(sizeof KEYWORDS / sizeof KEYWORDS[0]) - 1;
    if (n < 2 || n > 17)
        return 0;
    while (lo <= hi) {
        int mid = (lo + hi) / 2, c = kw_cmp(p, n, KEYWORDS[mid]);
        if (c == 0)
            return 1;
        if (c < 0)
            hi = mid - 1;
        else
            lo = mid + 1;
    }
    return 0;
}

static int tok_is(const stoks *t, int i, const char *w)
{
    return i >= 0 && i < t->n && t->v[i].k == K_WORD && word_eq(t->s + t->v[i].off, t->v[i].len, w);
}

static int tok_kind(const stoks *t, int i) { return (i >= 0 && i < t->n) ? t->v[i].k : -1; }

/* A name token: a bare word, a quoted identifier or a 'string'. */
static int tok_name_like(const stoks *t, int i)
{
    int k = tok_kind(t, i);
    return k == K_WORD || k == K_QID || k == K_STR;
}

static char *tok_unquote(mig_arena *ar, const stoks *t, int i)
{
    return mig_ddl_unquote(ar, t->s + t->v[i].off, t->v[i].len);
}

/* Index of the ")" matching the "(" at i, or -1. */
static int match_paren(const stoks *t, int i, int end)
{
    int depth = 0;
    for (; i < end; i++) {
        if (t->v[i].k == K_LP)
            depth++;
        else if (t->v[i].k == K_RP && --depth == 0)
            return i;
    }
    return -1;
}

/* A name that needs no quotes: ASCII letter or '_', then letters, digits, '_', and no keyword. */
static int plain_name(const char *n)
{
    size_t i;
    if (!n || !((n[0] >= 'a' && n[0] <= 'z') || (n[0] >= 'A' && n[0] <= 'Z') || n[0] == '_'))
        return 0;
    for (i = 1; n[i]; i++) {
        unsigned char c = (unsigned char)n[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || is_dig(c)))
            return 0;
    }
    return !is_keyword(n, i) && !word_eq(n, i, "TRUE") && !word_eq(n, i, "FALSE");
}

static void put_quoted_ident(mig_buf *b, const char *n)
{
    mig_buf_putn(b, "\"", 1);
    for (; *n; n++) {
        if (*n == '"')
            mig_buf_putn(b, "\"\"", 2);
        else
            mig_buf_putn(b, n, 1);
    }
    mig_buf_putn(b, "\"", 1);
}

static void put_ident(mig_buf *b, const char *n)
{
    if (plain_name(n))
        mig_buf_puts(b, n);
    else
        put_quoted_ident(b, n);
}

/* ------------------------------------------------------------------------ */
/* The normaliser                                                           */
/* ------------------------------------------------------------------------ */

typedef struct {
    const mig_sch_column *cols; /* the table's columns (a bare or quoted name that is one of them is
                                   a column), or NULL */
    int ncols;
    int ident_tok;              /* a token known to be an identifier (a trigger's table), or -1 */
    int ident_lo, ident_hi;     /* tokens [lo, hi) known to be identifiers (UPDATE OF's column list) */
    int fold_calls;             /* write function names in lower case (not in a view: its column
                                   names come from the text) */
} nctx;

static const char *col_named(const nctx *cx, const char *p, size_t n)
{
    int i;
    if (!cx || !cx->cols)
        return NULL;
    for (i = 0; i < cx->ncols; i++) {
        if (word_eq(p, n, cx->cols[i].name))
            return cx->cols[i].name;
    }
    return NULL;
}

/* Keywords written like functions: no space before their "(". */
static int call_keyword(const char *p, size_t n)
{
    return word_eq(p, n, "CAST") || word_eq(p, n, "REPLACE") || word_eq(p, n, "LIKE") || word_eq(p, n, "GLOB") ||
           word_eq(p, n, "MATCH") || word_eq(p, n, "REGEXP") || word_eq(p, n, "RAISE");
}

/* Keywords that end a value: a sign after them is binary. */
static int value_keyword(const char *p, size_t n)
{
    return word_eq(p, n, "END") || word_eq(p, n, "NULL") || word_eq(p, n, "CURRENT_DATE") ||
           word_eq(p, n, "CURRENT_TIME") || word_eq(p, n, "CURRENT_TIMESTAMP");
}

/* Keywords after which a quoted name is an identifier, never a string. */
static int ident_after(const stoks *t, int i)
{
    return tok_is(t, i, "FROM") || tok_is(t, i, "JOIN") || tok_is(t, i, "INTO") || tok_is(t, i, "UPDATE") ||
           tok_is(t, i, "TABLE") || tok_is(t, i, "AS");
}

enum { P_NONE, P_NAME, P_KW, P_CALLKW, P_VALUE, P_UNARY, P_OP, P_LP, P_OTHER };

/* Normalise tokens [a, b) (trailing ';'s dropped) into b's text. */
static void norm_into(mig_buf *out, const stoks *t, int a, int b, const nctx *cx)
{
    int i, prev = P_NONE, prevk = -1;
    while (b > a && t->v[b - 1].k == K_SEMI)
        b--;
    for (i = a; i < b; i++) {
        const stok *k = &t->v[i];
        const char *p = t->s + k->off;
        stok w;
        int cls = P_OTHER, space;
        int next_lp = tok_kind(t, i + 1) == K_LP && i + 1 < b;

        if (i > a && ((prevk == K_DOT && k->k == K_NUM) || (k->k == K_DOT && prevk == K_NUM)))
            space = 1; /* "a . 0" written "a.0" would read back as a and .0 */
        else if (i == a || prevk == K_LP || prevk == K_DOT || k->k == K_DOT || k->k == K_RP || k->k == K_COMMA ||
                 k->k == K_SEMI || (prev == P_UNARY && k->k != K_OP))
            space = 0;
        else if (k->k == K_LP)
            space = !(prev == P_NAME || prev == P_CALLKW);
        else
            space = 1;
        if (space)
            mig_buf_putn(out, " ", 1);

        switch (k->k) {
        case K_WORD: {
            const char *cn;
        bare_word:
            cn = is_keyword(p, k->len) ? NULL : col_named(cx, p, k->len);
            if (cn && !next_lp) {
                put_ident(out, cn);
                cls = P_NAME;
            } else if (is_keyword(p, k->len) || word_eq(p, k->len, "TRUE") || word_eq(p, k->len, "FALSE")) {
                size_t j;
                for (j = 0; j < k->len; j++) {
                    char c = (char)up((unsigned char)p[j]);
                    mig_buf_putn(out, &c, 1);
                }
                cls = call_keyword(p, k->len) ? P_CALLKW
                      : (value_keyword(p, k->len) || !is_keyword(p, k->len)) ? P_VALUE
                                                                             : P_KW;
            } else if (cx && cx->fold_calls && next_lp) {
                size_t j;
                for (j = 0; j < k->len; j++) {
                    char c = p[j] >= 'A' && p[j] <= 'Z' ? (char)(p[j] + 32) : p[j];
                    mig_buf_putn(out, &c, 1);
                }
                cls = P_NAME;
            } else {
                mig_buf_putn(out, p, k->len);
                cls = P_NAME;
            }
            break;
        }
        case K_QID: {
            char *v = mig_ddl_unquote(out->ar, p, k->len);
            const char *cn;
            if (!v) {
                out->oom = 1;
                return;
            }
            /* [x] and `x` are always names in SQLite (only "x" may fall back to a
             * string): one that needs no quotes is the bare word x */
            if (p[0] != '"' && plain_name(v)) {
                w = *k;
                w.k = K_WORD;
                w.len = strlen(v);
                k = &w;
                p = v;
                goto bare_word;
            }
            cn = next_lp ? NULL : col_named(cx, v, strlen(v));
            if (cn)
                put_ident(out, cn);
            else if (p[0] != '"' || tok_kind(t, i - 1) == K_DOT || (tok_kind(t, i + 1) == K_DOT && i + 1 < b) ||
                     (cx && cx->ident_tok == i) || (cx && i >= cx->ident_lo && i < cx->ident_hi) ||
                     (i > a && ident_after(t, i - 1)))
                put_ident(out, v);
            else
                put_quoted_ident(out, v);
            cls = P_NAME;
            break;
        }
        case K_BLOB: {
            size_t j;
            mig_buf_putn(out, "X", 1);
            for (j = 1; j < k->len; j++) {
                char c = (char)up((unsigned char)p[j]);
                mig_buf_putn(out, &c, 1);
            }
            break;
        }
        case K_OP:
            if (k->len == 2 && p[0] == '=' && p[1] == '=')
                mig_buf_puts(out, "=");
            else if (k->len == 2 && p[0] == '<' && p[1] == '>')
                mig_buf_puts(out, "!=");
            else
                mig_buf_putn(out, p, k->len);
            cls = P_OP;
            if (k->len == 1 && (p[0] == '~' || ((p[0] == '-' || p[0] == '+') &&
                                                (prev == P_NONE || prev == P_KW || prev == P_CALLKW ||
                                                 prev == P_OP || prev == P_UNARY || prevk == K_LP ||
                                                 prevk == K_COMMA || prevk == K_SEMI))))
                cls = P_UNARY;
            break;
        case K_LP:
            mig_buf_putn(out, "(", 1);
            cls = P_LP;
            break;
        default:
            mig_buf_putn(out, p, k->len);
            break;
        }
        prev = cls;
        prevk = k->k;
    }
}

static char *norm_range(mig_arena *ar, const stoks *t, int a, int b, const nctx *cx, mig_err *err)
{
    mig_buf out;
    mig_buf_init(&out, ar);
    mig_buf_puts(&out, "");
    norm_into(&out, t, a, b, cx);
    if (out.oom || !out.data) {
        NOMEM(err);
        return NULL;
    }
    return out.data;
}

char *mig_schema_norm_sql(mig_arena *ar, mig_dialect d, const char *sql, size_t len, mig_err *err)
{
    stoks t;
    (void)d;
    if (!ar || !err)
        return NULL;
    if (lex_all(ar, sql, len, &t, err)) {
        mig_err_prefix(err, "cannot normalise SQL: ");
        return NULL;
    }
    return norm_range(ar, &t, 0, t.n, NULL, err);
}

static void strip_parens(const stoks *t, int *a, int *b);

/* Normalise the text of a span of sql in a table's context (outer
 * parentheses dropped: CHECK ((a > 0)) is CHECK (a > 0)). */
static char *norm_span(mig_arena *ar, const char *sql, mig_span sp, const nctx *cx, mig_err *err)
{
    stoks t;
    int a = 0, b;
    if (lex_all(ar, sql + sp.off, sp.len, &t, err))
        return NULL;
    b = t.n;
    strip_parens(&t, &a, &b);
    if (a >= b) {
        mig_fail(err, MIG_E_INPUT, "an empty expression: %.*s", (int)(sp.len > 60 ? 60 : sp.len), sql + sp.off);
        return NULL;
    }
    return norm_range(ar, &t, a, b, cx, err);
}

/* ------------------------------------------------------------------------ */
/* Pieces of a table                                                        */
/* ------------------------------------------------------------------------ */


/* A declared type: words upper-cased and one space apart, then "(n)" or
 * "(n,m)" with no "+" sign: "VARCHAR(20)", "DECIMAL(10,-2)". */
static char *norm_type(mig_arena *ar, const char *sql, mig_span sp, mig_err *err)
{
    stoks t;
    mig_buf b;
    int i, words = 0;
    if (lex_all(ar, sql + sp.off, sp.len, &t, err))
        return NULL;
    mig_buf_init(&b, ar);
    mig_buf_puts(&b, "");
    /* one quoted token with no quote inside: SQLite dequotes it (sqlite3DequoteToken) */
    if (t.n == 1 && (t.v[0].k == K_QID || t.v[0].k == K_STR) && t.v[0].len >= 2) {
        const char *p = t.s + t.v[0].off;
        size_t j, n = t.v[0].len;
        for (j = 1; j + 1 < n && !strchr("\"'`[]", p[j]); j++)
            ;
        if (j + 1 >= n) {
            for (j = 1; j + 1 < n; j++) {
                char c = (char)up((unsigned char)p[j]);
                mig_buf_putn(&b, &c, 1);
            }
            if (b.oom || !b.data) {
                NOMEM(err);
                return NULL;
            }
            return b.data;
        }
    }
    for (i = 0; i < t.n; i++) {
        const stok *k = &t.v[i];
        const char *p = t.s + k->off;
        if (k->k == K_QID || k->k == K_STR) {
            /* a quoted word keeps its quotes: unquoted, 'NOT NULL' would read
             * back as a constraint and "index" as a keyword */
            if (words++)
                mig_buf_putn(&b, " ", 1);
            mig_buf_putn(&b, p, k->len);
        } else if (k->k == K_WORD) {
            const char *w = p, *end = p + k->len;
            if (words++)
                mig_buf_putn(&b, " ", 1);
            for (; w < end; w++) {
                char c = (char)up((unsigned char)*w);
                mig_buf_putn(&b, &c, 1);
            }
        } else if (!(k->k == K_OP && k->len == 1 && p[0] == '+')) {
            mig_buf_putn(&b, p, k->len);
        }
    }
    if (b.oom || !b.data) {
        NOMEM(err);
        return NULL;
    }
    return b.data;
}

/* A collation name: unquoted; BINARY, NOCASE and RTRIM in upper case.
 * NULL: out of memory, or an empty name (err says which). */
static const char *norm_collate(mig_arena *ar, const char *p, size_t n, mig_err *err)
{
    char *c = mig_ddl_unquote(ar, p, n);
    if (!c) {
        NOMEM(err);
        return NULL;
    }
    if (!*c) {
        mig_fail(err, MIG_E_INPUT, "an empty collation name (\"\")");
        return NULL;
    }
    if ((mig_ddl_ident_eq(c, "BINARY") || mig_ddl_ident_eq(c, "NOCASE") || mig_ddl_ident_eq(c, "RTRIM"))) {
        char *q;
        for (q = c; *q; q++)
            *q = (char)up((unsigned char)*q);
    }
    return c;
}

static const char *upper_dup(mig_arena *ar, const char *p, size_t n)
{
    char *c = mig_strndup(ar, p, n);
    size_t i;
    if (c)
        for (i = 0; i < n; i++)
            c[i] = (char)up((unsigned char)c[i]);
    return c;
}

/* "ON CONFLICT x" in tokens [a, b): the resolution in upper case; NULL when
 * absent or ABORT (the default).  *oom on out of memory. */
static const char *find_conflict(mig_arena *ar, const stoks *t, int a, int b, int *oom)
{
    int i;
    for (i = a; i + 2 < b; i++) {
        if (tok_is(t, i, "ON") && tok_is(t, i + 1, "CONFLICT") && t->v[i + 2].k == K_WORD) {
            const stok *k = &t->v[i + 2];
            const char *r;
            if (word_eq(t->s + k->off, k->len, "ABORT"))
                return NULL;
            if (!(r = upper_dup(ar, t->s + k->off, k->len)))
                *oom = 1;
            return r;
        }
    }
    return NULL;
}

/* The clauses of a foreign key after "REFERENCES table [(cols)]" in
 * tokens [a, b): actions, MATCH, DEFERRABLE. */
static int fk_clauses(mig_arena *ar, const stoks *t, int a, int b, mig_sch_fkey *fk, mig_err *err)
{
    int i = a;
    while (i < b && !tok_is(t, i, "REFERENCES"))
        i++;
    i += 2; /* REFERENCES name */
    if (i < b && t->v[i].k == K_LP) {
        int m = match_paren(t, i, b);
        if (m < 0)
            return mig_fail(err, MIG_E_INPUT, "unbalanced parenthesis in REFERENCES");
        i = m + 1;
    }
    while (i < b) {
        if (tok_is(t, i, "MATCH") && i + 1 < b) {
            const char *m;
            if (!tok_name_like(t, i + 1))
                return mig_fail(err, MIG_E_INPUT, "expected a name after MATCH");
            if (!(m = tok_unquote(ar, t, i + 1)))
                return NOMEM(err);
            fk->match = mig_ddl_ident_eq(m, "SIMPLE") ? NULL : upper_dup(ar, m, strlen(m));
            if (!fk->match && !mig_ddl_ident_eq(m, "SIMPLE"))
                return NOMEM(err);
            i += 2;
        } else if (tok_is(t, i, "ON") && i + 2 < b) {
            const char **slot = tok_is(t, i + 1, "DELETE") ? &fk->on_delete
                                : tok_is(t, i + 1, "UPDATE") ? &fk->on_update
                                                             : NULL; /* ON INSERT: SQLite ignores it */
            const char *act = NULL;
            int n = 1;
            if (tok_is(t, i + 2, "SET") && tok_is(t, i + 3, "NULL"))
                act = "SET NULL", n = 2;
            else if (tok_is(t, i + 2, "SET") && tok_is(t, i + 3, "DEFAULT"))
                act = "SET DEFAULT", n = 2;
            else if (tok_is(t, i + 2, "CASCADE"))
                act = "CASCADE";
            else if (tok_is(t, i + 2, "RESTRICT"))
                act = "RESTRICT";
            else if (tok_is(t, i + 2, "NO") && tok_is(t, i + 3, "ACTION"))
                act = NULL, n = 2;
            else
                return mig_fail(err, MIG_E_INPUT, "unknown foreign key action");
            if (slot)
                *slot = act;
            i += 2 + n;
        } else if (tok_is(t, i, "NOT") && tok_is(t, i + 1, "DEFERRABLE")) {
            fk->deferrable = 0;
            i += 2;
            if (tok_is(t, i, "INITIALLY"))
                i += 2;
        } else if (tok_is(t, i, "DEFERRABLE")) {
            fk->deferrable = 1;
            i++;
            if (tok_is(t, i, "INITIALLY")) {
                if (tok_is(t, i + 1, "DEFERRED"))
                    fk->deferrable = 2;
                i += 2;
            }
        } else {
            break; /* the next column constraint */
        }
    }
    return 0;
}

/* The first comma of [a, b) outside parentheses; b when there is none. */
static int top_comma(const stoks *t, int a, int b)
{
    int depth = 0;
    for (; a < b; a++) {
        if (t->v[a].k == K_LP)
            depth++;
        else if (t->v[a].k == K_RP)
            depth--;
        else if (t->v[a].k == K_COMMA && depth == 0)
            break;
    }
    return a;
}

/* Strip pairs of parentheses around all of [*a, *b), but not those of a
 * row value: (x, y) is not x, y. */
static void strip_parens(const stoks *t, int *a, int *b)
{
    while (*b - *a >= 2 && t->v[*a].k == K_LP && match_paren(t, *a, *b) == *b - 1 &&
           top_comma(t, *a + 1, *b - 1) == *b - 1) {
        (*a)++;
        (*b)--;
    }
}

/*
 * Key parts: the elements of the list [a, b) (inside the parentheses),
 * each `expr [COLLATE c] [ASC|DESC] [NULLS FIRST|LAST]` (AUTOINCREMENT
 * after the last one of a primary key).  A lone name is a column (the
 * table's spelling when it is one); anything else an expression.
 */
static int key_parts(mig_arena *ar, const stoks *t, int a, int b, const nctx *cx, mig_sch_key_part **out,
                     int *nout, mig_err *err)
{
    int cap = 0, i = a;
    *out = NULL;
    *nout = 0;
    while (i < b) {
        int x = i, y = top_comma(t, i, b);
        mig_sch_key_part kp;
        memset(&kp, 0, sizeof kp);
        i = y + 1;
        if (i == b && y < b)
            return mig_fail(err, MIG_E_INPUT, "an empty element in a column list");
        if (y > x && tok_is(t, y - 1, "AUTOINCREMENT"))
            y--;
        if (y - x >= 2 && tok_is(t, y - 2, "NULLS"))
            y -= 2;
        if (y > x && (tok_is(t, y - 1, "ASC") || tok_is(t, y - 1, "DESC"))) {
            kp.desc = tok_is(t, y - 1, "DESC");
            y--;
        }
        if (y - x >= 2 && tok_is(t, y - 2, "COLLATE")) {
            if (!(kp.collate = norm_collate(ar, t->s + t->v[y - 1].off, t->v[y - 1].len, err)))
                return -1;
            y -= 2;
        }
        strip_parens(t, &x, &y);
        if (y <= x)
            return mig_fail(err, MIG_E_INPUT, "an empty element in a column list");
        if (y - x == 1 && tok_name_like(t, x)) {
            const stok *k = &t->v[x];
            char *n = tok_unquote(ar, t, x);
            const char *cn;
            if (!n)
                return NOMEM(err);
            if (!*n)
                return mig_fail(err, MIG_E_INPUT, "a column without a name (\"\") cannot go into a snapshot");
            cn = col_named(cx, n, strlen(n));
            if (cn)
                kp.column = cn;
            else if (k->k == K_QID || (k->k == K_WORD && !is_keyword(t->s + k->off, k->len)))
                kp.column = n;
        }
        if (!kp.column && !(kp.expr = norm_range(ar, t, x, y, cx, err)))
            return -1;
        {
            void *v = *out;
            if (grow(ar, &v, *nout, &cap, sizeof **out))
                return NOMEM(err);
            *out = v;
        }
        (*out)[(*nout)++] = kp;
    }
    if (*nout == 0)
        return mig_fail(err, MIG_E_INPUT, "an empty column list");
    return 0;
}

/* Key parts of a PRIMARY KEY / UNIQUE table constraint (its span). */
static int cons_parts(mig_arena *ar, const char *sql, mig_span sp, const nctx *cx, mig_sch_key_part **parts,
                      int *nparts, const char **conflict, mig_err *err)
{
    stoks t;
    int lp = 0, rp, oom = 0;
    if (lex_all(ar, sql + sp.off, sp.len, &t, err))
        return -1;
    while (lp < t.n && t.v[lp].k != K_LP)
        lp++;
    if (lp >= t.n || (rp = match_paren(&t, lp, t.n)) < 0)
        return mig_fail(err, MIG_E_INPUT, "a constraint without its column list");
    if (key_parts(ar, &t, lp + 1, rp, cx, parts, nparts, err))
        return -1;
    *conflict = find_conflict(ar, &t, rp + 1, t.n, &oom);
    return oom ? NOMEM(err) : 0;
}

typedef struct {
    mig_arena *ar;
    mig_err *err;
    int ucap, ccap, fcap;
} tbuild;

static int add_unique(tbuild *tb, mig_sch_table *tt, const mig_sch_unique *u)
{
    void *v = tt->uniques;
    if (grow(tb->ar, &v, tt->nuniques, &tb->ucap, sizeof *tt->uniques))
        return NOMEM(tb->err);
    tt->uniques = v;
    tt->uniques[tt->nuniques++] = *u;
    return 0;
}

static int add_check(tbuild *tb, mig_sch_table *tt, const char *name, const char *expr)
{
    void *v = tt->checks;
    if (grow(tb->ar, &v, tt->nchecks, &tb->ccap, sizeof *tt->checks))
        return NOMEM(tb->err);
    tt->checks = v;
    tt->checks[tt->nchecks].name = name;
    tt->checks[tt->nchecks].expr = expr;
    tt->nchecks++;
    return 0;
}

static int add_fkey(tbuild *tb, mig_sch_table *tt, const mig_sch_fkey *f)
{
    void *v = tt->fkeys;
    if (grow(tb->ar, &v, tt->nfkeys, &tb->fcap, sizeof *tt->fkeys))
        return NOMEM(tb->err);
    tt->fkeys = v;
    tt->fkeys[tt->nfkeys++] = *f;
    return 0;
}

/* The table's spelling of a column name (when it is one). */
static const char *col_spelling(const mig_sch_table *tt, const char *n)
{
    int i;
    for (i = 0; i < tt->ncols; i++)
        if (mig_ddl_ident_eq(tt->cols[i].name, n))
            return tt->cols[i].name;
    return n;
}

/* A DEFAULT value: outer parentheses dropped; a bare word or a quoted
 * name alone is the string SQLite stores ('x'); a "+" before a number
 * dropped. */
static char *norm_default(mig_arena *ar, const char *sql, mig_span sp, mig_err *err)
{
    stoks t;
    int a = 0, b;
    if (lex_all(ar, sql + sp.off, sp.len, &t, err))
        return NULL;
    b = t.n;
    strip_parens(&t, &a, &b);
    if (b - a == 1 && (t.v[a].k == K_QID || (t.v[a].k == K_WORD && a == 0 && !is_keyword(t.s + t.v[a].off, t.v[a].len) &&
                                              !word_eq(t.s + t.v[a].off, t.v[a].len, "TRUE") &&
                                              !word_eq(t.s + t.v[a].off, t.v[a].len, "FALSE")))) {
        mig_buf b2;
        char *v = tok_unquote(ar, &t, a);
        if (!v) {
            NOMEM(err);
            return NULL;
        }
        mig_buf_init(&b2, ar);
        mig_buf_quote(&b2, v);
        if (b2.oom) {
            NOMEM(err);
            return NULL;
        }
        return b2.data;
    }
    if (b - a == 2 && t.v[a].k == K_OP && t.s[t.v[a].off] == '+' && t.v[a + 1].k == K_NUM)
        a++;
    {
        nctx cx;
        memset(&cx, 0, sizeof cx);
        cx.ident_tok = -1;
        cx.fold_calls = 1;
        return norm_range(ar, &t, a, b, &cx, err);
    }
}

static int is_integer_type(const char *ty) { return ty && strcmp(ty, "INTEGER") == 0; }

/* One column's constraints into the table. */
static int column_constraints(tbuild *tb, const char *sql, const mig_ddl_column *dc, mig_sch_column *c,
                              mig_sch_table *tt, const nctx *cx)
{
    int j;
    mig_arena *ar = tb->ar;
    mig_err *err = tb->err;
    for (j = 0; j < dc->ncons; j++) {
        const mig_ddl_colcons *cc = &dc->cons[j];
        stoks t;
        int oom = 0;
        if (lex_all(ar, sql + cc->span.off, cc->span.len, &t, err))
            return -1;
        switch (cc->kind) {
        case MIG_CC_PRIMARY_KEY:
            if (tt->pk.nparts)
                return mig_fail(err, MIG_E_INPUT, "more than one primary key");
            if (!(tt->pk.parts = mig_alloc0(ar, sizeof *tt->pk.parts)))
                return NOMEM(err);
            tt->pk.nparts = 1;
            tt->pk.parts[0].column = c->name;
            tt->pk.parts[0].desc = cc->desc;
            tt->pk.name = cc->name;
            tt->pk.autoincrement = cc->autoincrement;
            tt->pk.conflict = find_conflict(ar, &t, 0, t.n, &oom);
            break;
        case MIG_CC_NOT_NULL:
            c->notnull = 1;
            c->conflict = find_conflict(ar, &t, 0, t.n, &oom);
            break;
        case MIG_CC_NULL:
            break;
        case MIG_CC_UNIQUE: {
            mig_sch_unique u;
            memset(&u, 0, sizeof u);
            if (!(u.parts = mig_alloc0(ar, sizeof *u.parts)))
                return NOMEM(err);
            u.nparts = 1;
            u.parts[0].column = c->name;
            u.name = cc->name;
            u.conflict = find_conflict(ar, &t, 0, t.n, &oom);
            if (add_unique(tb, tt, &u))
                return -1;
            break;
        }
        case MIG_CC_CHECK: {
            char *e = norm_span(ar, sql, cc->expr, cx, err);
            if (!e || add_check(tb, tt, cc->name, e))
                return -1;
            break;
        }
        case MIG_CC_DEFAULT:
            if (!(c->dflt = norm_default(ar, sql, cc->expr, err)))
                return -1;
            break;
        case MIG_CC_COLLATE:
            if (!(c->collate = norm_collate(ar, sql + cc->expr.off, cc->expr.len, err)))
                return -1;
            break;
        case MIG_CC_REFERENCES: {
            mig_sch_fkey f;
            memset(&f, 0, sizeof f);
            f.name = cc->name;
            if (!(f.columns = mig_alloc(ar, sizeof *f.columns)))
                return NOMEM(err);
            f.columns[0] = c->name;
            f.ncolumns = 1;
            f.ref_table = cc->ref_table;
            f.ref_columns = cc->ref_columns;
            f.nref_columns = cc->nref_columns;
            /* as SQLite refuses it, and a snapshot cannot hold it */
            if (f.nref_columns > 1)
                return mig_fail(err, MIG_E_INPUT, "foreign key on %s should reference only one column of table %s",
                                c->name, f.ref_table ? f.ref_table : "?");
            if (fk_clauses(ar, &t, 0, t.n, &f, err) || add_fkey(tb, tt, &f))
                return -1;
            break;
        }
        case MIG_CC_GENERATED:
            c->generated = cc->stored ? MIG_GEN_STORED : MIG_GEN_VIRTUAL;
            if (!(c->gen_expr = norm_span(ar, sql, cc->expr, cx, err)))
                return -1;
            break;
        }
        if (oom)
            return NOMEM(err);
    }
    return 0;
}

static int build_table(mig_arena *ar, const char *sql, mig_sch_table *tt, const char **name, mig_err *err)
{
    mig_ddl_table dt;
    tbuild tb;
    nctx cx;
    int i;

    memset(tt, 0, sizeof *tt);
    memset(&tb, 0, sizeof tb);
    tb.ar = ar;
    tb.err = err;
    if (mig_ddl_parse_create_table(ar, sql, strlen(sql), &dt, err))
        return -1;
    *name = dt.name;
    if (dt.ncols < 1)
        return mig_fail(err, MIG_E_INPUT, "a table without columns");
    if (!(tt->cols = mig_alloc0(ar, (size_t)dt.ncols * sizeof *tt->cols)))
        return NOMEM(err);
    tt->ncols = dt.ncols;
    for (i = 0; i < dt.ncols; i++) {
        int k;
        tt->cols[i].name = dt.cols[i].name;
        /* SQLite refuses a duplicate; it takes "" as a name, which a snapshot cannot hold */
        if (!*dt.cols[i].name)
            return mig_fail(err, MIG_E_INPUT, "a column without a name (\"\") cannot go into a snapshot");
        for (k = 0; k < i; k++)
            if (ci_cmp(dt.cols[k].name, dt.cols[i].name) == 0)
                return mig_fail(err, MIG_E_INPUT, "duplicate column name \"%s\"", dt.cols[i].name);
        if (!(tt->cols[i].type = norm_type(ar, sql, dt.cols[i].type_span, err)))
            return -1;
    }
    memset(&cx, 0, sizeof cx);
    cx.cols = tt->cols;
    cx.ncols = tt->ncols;
    cx.ident_tok = -1;
    cx.fold_calls = 1;
    for (i = 0; i < dt.ncols; i++) {
        if (column_constraints(&tb, sql, &dt.cols[i], &tt->cols[i], tt, &cx)) {
            mig_err_prefix(err, "column \"%s\": ", dt.cols[i].name);
            return -1;
        }
    }
    /* column-level INTEGER PRIMARY KEY DESC is no rowid alias; the table form is */
    if (tt->pk.nparts == 1 && tt->pk.parts[0].desc && !dt.without_rowid) {
        const char *pc = tt->pk.parts[0].column;
        int k;
        for (k = 0; k < tt->ncols; k++)
            if (tt->cols[k].name == pc && is_integer_type(tt->cols[k].type))
                tt->pk.column_level = 1;
    }
    for (i = 0; i < dt.ncons; i++) {
        const mig_ddl_tabcons *tc = &dt.cons[i];
        switch (tc->kind) {
        case MIG_TC_PRIMARY_KEY:
            if (tt->pk.nparts)
                return mig_fail(err, MIG_E_INPUT, "more than one primary key");
            if (cons_parts(ar, sql, tc->span, &cx, &tt->pk.parts, &tt->pk.nparts, &tt->pk.conflict, err))
                return -1;
            tt->pk.name = tc->name;
            tt->pk.autoincrement = tc->autoincrement;
            break;
        case MIG_TC_UNIQUE: {
            mig_sch_unique u;
            memset(&u, 0, sizeof u);
            u.name = tc->name;
            if (cons_parts(ar, sql, tc->span, &cx, &u.parts, &u.nparts, &u.conflict, err) || add_unique(&tb, tt, &u))
                return -1;
            break;
        }
        case MIG_TC_CHECK: {
            char *e = norm_span(ar, sql, tc->expr, &cx, err);
            if (!e || add_check(&tb, tt, tc->name, e))
                return -1;
            break;
        }
        case MIG_TC_FOREIGN_KEY: {
            mig_sch_fkey f;
            stoks t;
            int k;
            memset(&f, 0, sizeof f);
            f.name = tc->name;
            if (!(f.columns = mig_alloc(ar, (size_t)(tc->ncolumns ? tc->ncolumns : 1) * sizeof *f.columns)))
                return NOMEM(err);
            for (k = 0; k < tc->ncolumns; k++)
                f.columns[k] = col_spelling(tt, tc->columns[k]);
            f.ncolumns = tc->ncolumns;
            f.ref_table = tc->ref_table;
            f.ref_columns = tc->ref_columns;
            f.nref_columns = tc->nref_columns;
            if (f.nref_columns && f.nref_columns != f.ncolumns) /* as SQLite refuses it */
                return mig_fail(err, MIG_E_INPUT,
                                "number of columns in foreign key does not match the number of columns in the "
                                "referenced table %s",
                                f.ref_table ? f.ref_table : "?");
            if (lex_all(ar, sql + tc->span.off, tc->span.len, &t, err) || fk_clauses(ar, &t, 0, t.n, &f, err) ||
                add_fkey(&tb, tt, &f))
                return -1;
            break;
        }
        }
    }
    /* SQLite refuses it too ("PRIMARY KEY missing"), and a snapshot cannot hold it */
    if (dt.without_rowid && !tt->pk.nparts)
        return mig_fail(err, MIG_E_INPUT, "a WITHOUT ROWID table needs a primary key");
    tt->without_rowid = dt.without_rowid;
    tt->strict = dt.strict;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Indexes, views, triggers                                                 */
/* ------------------------------------------------------------------------ */

static int build_index(mig_arena *ar, const mig_schema *s, const char *sql, const char *tbl_name, mig_sch_index *ix,
                       const char **name, mig_err *err)
{
    mig_ddl_index di;
    const mig_sch_object *t;
    nctx cx;
    stoks tk;

    memset(ix, 0, sizeof *ix);
    if (mig_ddl_parse_create_index(ar, sql, strlen(sql), &di, err))
        return -1;
    *name = di.name;
    ix->table = tbl_name ? tbl_name : di.table;
    ix->unique = di.unique;
    memset(&cx, 0, sizeof cx);
    cx.ident_tok = -1;
    cx.fold_calls = 1;
    /* the table's columns, when its row came first (frontends add tables first) */
    if ((t = find_ci(s, MIG_SO_TABLE, ix->table)) != NULL) {
        cx.cols = t->u.table.cols;
        cx.ncols = t->u.table.ncols;
        ix->table = t->name;
    }
    if (lex_all(ar, sql + di.columns.off, di.columns.len, &tk, err) ||
        key_parts(ar, &tk, 0, tk.n, &cx, &ix->parts, &ix->nparts, err))
        return -1;
    if (di.where.len && !(ix->where = norm_span(ar, sql, di.where, &cx, err)))
        return -1;
    return 0;
}

/* "CREATE [TEMP] kind [IF NOT EXISTS] [schema.]name": the index of the
 * name token, or -1 with err. */
static int create_header(const stoks *t, const char *kind, mig_err *err)
{
    int i = 0;
    if (!tok_is(t, i, "CREATE"))
        return mig_fail(err, MIG_E_INPUT, "expected CREATE");
    i++;
    if (tok_is(t, i, "TEMP") || tok_is(t, i, "TEMPORARY"))
        i++;
    if (!tok_is(t, i, kind))
        return mig_fail(err, MIG_E_INPUT, "expected CREATE %s", kind);
    i++;
    if (tok_is(t, i, "IF")) {
        if (!tok_is(t, i + 1, "NOT") || !tok_is(t, i + 2, "EXISTS"))
            return mig_fail(err, MIG_E_INPUT, "expected IF NOT EXISTS");
        i += 3;
    }
    if (tok_name_like(t, i) && tok_kind(t, i + 1) == K_DOT)
        i += 2;
    if (!tok_name_like(t, i) || tok_kind(t, i + 1) == K_DOT)
        return mig_fail(err, MIG_E_INPUT, "expected the %s's name (schema.name at most)",
                        kind[0] == 'V' ? "view" : "trigger");
    return i;
}

static int build_view(mig_arena *ar, const char *sql, mig_sch_view *v, const char **name, mig_err *err)
{
    stoks t;
    int i;
    memset(v, 0, sizeof *v);
    if (lex_all(ar, sql, strlen(sql), &t, err) || (i = create_header(&t, "VIEW", err)) < 0)
        return -1;
    if (!(*name = tok_unquote(ar, &t, i)))
        return NOMEM(err);
    i++;
    if (tok_kind(&t, i) == K_LP) {
        int cap = 0;
        i++;
        for (;;) {
            void *a = v->columns;
            char *c;
            if (!tok_name_like(&t, i))
                return mig_fail(err, MIG_E_INPUT, "expected a column name in the view's column list");
            if (!(c = tok_unquote(ar, &t, i)) || grow(ar, &a, v->ncolumns, &cap, sizeof *v->columns))
                return NOMEM(err);
            v->columns = a;
            v->columns[v->ncolumns++] = c;
            i++;
            if (tok_kind(&t, i) == K_COMMA) {
                i++;
                continue;
            }
            if (tok_kind(&t, i) != K_RP)
                return mig_fail(err, MIG_E_INPUT, "expected \",\" or \")\" in the view's column list");
            i++;
            break;
        }
    }
    if (!tok_is(&t, i, "AS"))
        return mig_fail(err, MIG_E_INPUT, "expected AS after the view's name");
    i++;
    if (i >= t.n || t.v[i].k == K_SEMI)
        return mig_fail(err, MIG_E_INPUT, "expected a SELECT after AS");
    return (v->select = norm_range(ar, &t, i, t.n, NULL, err)) ? 0 : -1;
}

static int build_trigger(mig_arena *ar, const char *sql, mig_sch_trigger *tr, const char **name, mig_err *err)
{
    stoks t;
    int i, on, tbl;
    nctx cx;
    mig_buf b;
    memset(tr, 0, sizeof *tr);
    if (lex_all(ar, sql, strlen(sql), &t, err) || (i = create_header(&t, "TRIGGER", err)) < 0)
        return -1;
    if (!(*name = tok_unquote(ar, &t, i)))
        return NOMEM(err);
    for (on = i + 1; on < t.n && !tok_is(&t, on, "ON") && !tok_is(&t, on, "BEGIN"); on++)
        ;
    if (!tok_is(&t, on, "ON"))
        return mig_fail(err, MIG_E_INPUT, "expected ON and the trigger's table");
    tbl = on + 1;
    if (tok_name_like(&t, tbl) && tok_kind(&t, tbl + 1) == K_DOT)
        tbl += 2;
    if (!tok_name_like(&t, tbl))
        return mig_fail(err, MIG_E_INPUT, "expected the trigger's table after ON");
    if (!(tr->table = tok_unquote(ar, &t, tbl)))
        return NOMEM(err);
    {
        int k, begin = 0;
        for (k = tbl + 1; k < t.n; k++)
            if (tok_is(&t, k, "BEGIN"))
                begin = 1;
        if (!begin || !tok_is(&t, t.n - 1 - (t.v[t.n - 1].k == K_SEMI), "END"))
            return mig_fail(err, MIG_E_INPUT, "expected BEGIN ... END");
    }
    {
        /* SQLite's grammar: ON table [FOR EACH ROW] [WHEN expr] BEGIN */
        int k = tbl + 1 + (tok_is(&t, tbl + 1, "FOR") ? 3 : 0);
        if (k > tbl + 1 && !(tok_is(&t, tbl + 2, "EACH") && tok_is(&t, tbl + 3, "ROW")))
            return mig_fail(err, MIG_E_INPUT, "expected FOR EACH ROW");
        if (!tok_is(&t, k, "WHEN") && !tok_is(&t, k, "BEGIN"))
            return mig_fail(err, MIG_E_INPUT, "expected WHEN or BEGIN after the trigger's table");
    }
    memset(&cx, 0, sizeof cx);
    cx.ident_tok = tbl;
    /* UPDATE OF a, b: a list of column names (SQLite's idlist), never strings */
    {
        int k;
        for (k = i + 1; k + 1 < on; k++)
            if (tok_is(&t, k, "UPDATE") && tok_is(&t, k + 1, "OF")) {
                cx.ident_lo = k + 2;
                cx.ident_hi = on;
                break;
            }
    }
    mig_buf_init(&b, ar);
    mig_buf_puts(&b, "CREATE TRIGGER ");
    put_ident(&b, *name);
    mig_buf_putn(&b, " ", 1);
    if (tok_is(&t, tbl + 1, "FOR") && tok_is(&t, tbl + 2, "EACH") && tok_is(&t, tbl + 3, "ROW")) {
        /* FOR EACH ROW is the only kind of trigger SQLite has: left out */
        norm_into(&b, &t, i + 1, tbl + 1, &cx);
        mig_buf_putn(&b, " ", 1);
        norm_into(&b, &t, tbl + 4, t.n, &cx);
    } else {
        norm_into(&b, &t, i + 1, t.n, &cx);
    }
    if (b.oom)
        return NOMEM(err);
    tr->sql = b.data;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* The builder                                                              */
/* ------------------------------------------------------------------------ */

static int push_object(mig_arena *ar, mig_schema *s, const mig_sch_object *o, mig_err *err)
{
    void *v = s->objs;
    if (grow(ar, &v, s->nobjs, &s->cap, sizeof *s->objs))
        return NOMEM(err);
    s->objs = v;
    s->objs[s->nobjs++] = *o;
    return 0;
}

int mig_schema_add_sqlite(mig_arena *ar, mig_schema *s, const char *type, const char *name, const char *tbl_name,
                          const char *sql, mig_err *err)
{
    mig_sch_object o;
    const char *parsed = NULL, *on;
    int rc;

    if (!err)
        return -1;
    if (!ar || !s || !type)
        return mig_fail(err, MIG_E_INPUT, "mig_schema_add_sqlite: invalid arguments");
    if (name && strlen(name) >= 7 && word_eq(name, 7, "sqlite_"))
        return 0; /* SQLite's own objects */
    memset(&o, 0, sizeof o);
    if (kind_named(type, &o.kind))
        return mig_fail(err, MIG_E_INPUT, "%s \"%s\": unknown kind of schema object", type, name ? name : "?");
    if (!sql) {
        if (o.kind == MIG_SO_INDEX)
            return 0; /* an automatic index (UNIQUE, PRIMARY KEY) */
        return mig_fail(err, MIG_E_INPUT, "%s \"%s\": no CREATE statement", type, name ? name : "?");
    }
    if (!(o.sql = mig_strdup(ar, sql)))
        return NOMEM(err);
    if (o.kind == MIG_SO_TABLE) {
        char w[32];
        if (mig_sql_leading_words(o.sql, strlen(o.sql), MIG_DIALECT_SQLITE, 2, w, sizeof w) == 2 &&
            strcmp(w, "CREATE VIRTUAL") == 0)
            return mig_fail(err, MIG_E_INPUT, "table \"%s\": virtual tables are not in snapshots yet (leave it and its "
                                              "shadow tables out with the \"exclude\" option)", name ? name : "?");
    }
    switch (o.kind) {
    case MIG_SO_TABLE:
        rc = build_table(ar, o.sql, &o.u.table, &parsed, err);
        break;
    case MIG_SO_INDEX:
        rc = build_index(ar, s, o.sql, tbl_name, &o.u.index, &parsed, err);
        break;
    case MIG_SO_VIEW:
        rc = build_view(ar, o.sql, &o.u.view, &parsed, err);
        break;
    default:
        rc = build_trigger(ar, o.sql, &o.u.trigger, &parsed, err);
        if (!rc && tbl_name)
            o.u.trigger.table = tbl_name;
        break;
    }
    if (rc) {
        mig_err_prefix(err, "%s \"%s\": ", type, name ? name : parsed ? parsed : "?");
        return -1;
    }
    o.name = name ? name : parsed;
    if (!o.name || !*o.name)
        return mig_fail(err, MIG_E_INPUT, "a %s without a name (\"\") cannot go into a snapshot", type);
    on = o.kind == MIG_SO_INDEX ? o.u.index.table : o.kind == MIG_SO_TRIGGER ? o.u.trigger.table : "-";
    if (!on || !*on)
        return mig_fail(err, MIG_E_INPUT, "%s \"%s\": a table without a name (\"\") cannot go into a snapshot",
                        type, o.name);
    if (!(o.name = mig_strdup(ar, o.name)))
        return NOMEM(err);
    if (o.kind == MIG_SO_INDEX && !(o.u.index.table = mig_strdup(ar, o.u.index.table)))
        return NOMEM(err);
    if (o.kind == MIG_SO_TRIGGER && !(o.u.trigger.table = mig_strdup(ar, o.u.trigger.table)))
        return NOMEM(err);
    if (find_ci(s, o.kind, o.name))
        return mig_fail(err, MIG_E_INPUT, "%s \"%s\": listed twice", type, o.name);
    if (push_object(ar, s, &o, err))
        return -1;
    if (names_extend(ar, &s->names, s->objs, s->nobjs)) {
        s->nobjs--;
        return NOMEM(err);
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Canonical order                                                          */
/* ------------------------------------------------------------------------ */

static int parts_cmp(const mig_sch_key_part *a, int na, const mig_sch_key_part *b, int nb)
{
    int i, c;
    for (i = 0; i < na && i < nb; i++) {
        if ((c = str_cmp(a[i].column, b[i].column)) || (c = str_cmp(a[i].expr, b[i].expr)) ||
            (c = str_cmp(a[i].collate, b[i].collate)) || (c = a[i].desc - b[i].desc))
            return c;
    }
    return na - nb;
}

static int names_cmp(const char *const *a, int na, const char *const *b, int nb)
{
    int i, c;
    for (i = 0; i < na && i < nb; i++)
        if ((c = str_cmp(a[i], b[i])))
            return c;
    return na - nb;
}

static int unique_cmp(const void *x, const void *y)
{
    const mig_sch_unique *a = x, *b = y;
    int c;
    if ((c = parts_cmp(a->parts, a->nparts, b->parts, b->nparts)) || (c = str_cmp(a->name, b->name)))
        return c;
    return str_cmp(a->conflict, b->conflict);
}

static int check_cmp(const void *x, const void *y)
{
    const mig_sch_check *a = x, *b = y;
    int c = str_cmp(a->expr, b->expr);
    return c ? c : str_cmp(a->name, b->name);
}

static int fkey_cmp(const void *x, const void *y)
{
    const mig_sch_fkey *a = x, *b = y;
    int c;
    if ((c = names_cmp(a->columns, a->ncolumns, b->columns, b->ncolumns)) || (c = str_cmp(a->ref_schema, b->ref_schema)) ||
        (c = str_cmp(a->ref_table, b->ref_table)) ||
        (c = names_cmp(a->ref_columns, a->nref_columns, b->ref_columns, b->nref_columns)) ||
        (c = str_cmp(a->name, b->name)) || (c = str_cmp(a->on_delete, b->on_delete)) ||
        (c = str_cmp(a->on_update, b->on_update)) || (c = str_cmp(a->match, b->match)))
        return c;
    return a->deferrable - b->deferrable;
}

static int name_order(const char *a, const char *b)
{
    int c;
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    c = ci_cmp(a, b);
    return c ? c : strcmp(a, b);
}

static int object_cmp(const void *x, const void *y)
{
    const mig_sch_object *a = x, *b = y;
    int c;
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    if ((c = name_order(a->schema, b->schema)))
        return c;
    return name_order(a->name, b->name);
}

/* The schema's spelling of a table (or view) name: SQLite compares names
 * without case, so REFERENCES T and REFERENCES t are one reference. */
static const mig_sch_object *table_named(const mig_schema *s, const char *schema, const char *name)
{
    const mig_sch_object *o = mig_schema_find(s, MIG_SO_TABLE, schema, name);
    return o ? o : mig_schema_find(s, MIG_SO_VIEW, schema, name);
}

void mig_schema_finish(mig_schema *s)
{
    int i, j, k;
    if (!s)
        return;
    if (s->nobjs > 1) {
        /* the index, when it has every object, follows them to their new places */
        int indexed = s->names.slot && s->names.v == s->objs && s->names.n == s->nobjs;
        qsort(s->objs, (size_t)s->nobjs, sizeof *s->objs, object_cmp);
        if (indexed) {
            memset(s->names.slot, 0, (size_t)s->names.cap * sizeof *s->names.slot);
            for (i = 0; i < s->nobjs; i++)
                names_put(&s->names, i);
        }
    }
    for (i = 0; i < s->nobjs; i++) {
        mig_sch_object *o = &s->objs[i];
        const mig_sch_object *t;
        if (o->kind == MIG_SO_TABLE) {
            mig_sch_table *tt = &o->u.table;
            for (j = 0; j < tt->nfkeys; j++) {
                mig_sch_fkey *f = &tt->fkeys[j];
                if ((t = table_named(s, f->ref_schema, f->ref_table)) != NULL && t->kind == MIG_SO_TABLE) {
                    f->ref_table = t->name;
                    for (k = 0; k < f->nref_columns; k++)
                        f->ref_columns[k] = col_spelling(&t->u.table, f->ref_columns[k]);
                }
            }
            /* SQLite makes the primary-key columns of a WITHOUT ROWID table NOT NULL
             * whether written or not (ON CONFLICT ABORT when not written) */
            if (tt->without_rowid)
                for (j = 0; j < tt->pk.nparts; j++)
                    for (k = 0; tt->pk.parts[j].column && k < tt->ncols; k++)
                        if (tt->cols[k].name && mig_ddl_ident_eq(tt->cols[k].name, tt->pk.parts[j].column))
                            tt->cols[k].notnull = 1;
            if (tt->nuniques > 1)
                qsort(tt->uniques, (size_t)tt->nuniques, sizeof *tt->uniques, unique_cmp);
            if (tt->nchecks > 1)
                qsort(tt->checks, (size_t)tt->nchecks, sizeof *tt->checks, check_cmp);
            if (tt->nfkeys > 1)
                qsort(tt->fkeys, (size_t)tt->nfkeys, sizeof *tt->fkeys, fkey_cmp);
        } else if (o->kind == MIG_SO_INDEX) {
            if ((t = table_named(s, o->schema, o->u.index.table)) != NULL && t->kind == MIG_SO_TABLE) {
                o->u.index.table = t->name;
                for (k = 0; k < o->u.index.nparts; k++)
                    if (o->u.index.parts[k].column)
                        o->u.index.parts[k].column = col_spelling(&t->u.table, o->u.index.parts[k].column);
            }
        } else if (o->kind == MIG_SO_TRIGGER) {
            if ((t = table_named(s, o->schema, o->u.trigger.table)) != NULL)
                o->u.trigger.table = t->name;
        }
    }
}

const mig_sch_object *mig_schema_find(const mig_schema *s, mig_so_kind k, const char *schema, const char *name)
{
    int i;
    if (!s)
        return NULL;
    i = mig_sch_names_find(&s->names, s->objs, s->nobjs, k, schema, name, s->dialect == MIG_DIALECT_POSTGRES);
    return i >= 0 ? &s->objs[i] : NULL;
}

/* ------------------------------------------------------------------------ */
/* Canonical JSON                                                           */
/* ------------------------------------------------------------------------ */

typedef struct {
    mig_buf b;
    int bad; /* a string that is not UTF-8 */
} jw;

/* Length of the valid UTF-8 sequence at p (strict: no overlongs, no
 * surrogates, at most U+10FFFF), or 0. */
static int utf8_len(const unsigned char *p)
{
    unsigned c = p[0];
    int n, i;
    unsigned v;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2, v = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, v = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, v = c & 0x07;
    else
        return 0;
    for (i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (p[i] & 0x3F);
    }
    if ((n == 3 && (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF))) || (n == 4 && (v < 0x10000 || v > 0x10FFFF)))
        return 0;
    return n;
}

static void jstr(jw *w, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    mig_buf_putn(&w->b, "\"", 1);
    while (*p) {
        int n;
        if (*p == '"' || *p == '\\') {
            mig_buf_putn(&w->b, "\\", 1);
            mig_buf_putn(&w->b, (const char *)p, 1);
            p++;
        } else if (*p < 0x20) {
            switch (*p) {
            case '\n':
                mig_buf_puts(&w->b, "\\n");
                break;
            case '\t':
                mig_buf_puts(&w->b, "\\t");
                break;
            case '\r':
                mig_buf_puts(&w->b, "\\r");
                break;
            case '\b':
                mig_buf_puts(&w->b, "\\b");
                break;
            case '\f':
                mig_buf_puts(&w->b, "\\f");
                break;
            default:
                mig_buf_printf(&w->b, "\\u%04x", *p);
            }
            p++;
        } else if ((n = utf8_len(p)) > 0) {
            mig_buf_putn(&w->b, (const char *)p, (size_t)n);
            p += n;
        } else {
            w->bad = 1;
            p++;
        }
    }
    mig_buf_putn(&w->b, "\"", 1);
}

/* ,"key": then the value is written by the caller */
static void jkey(jw *w, const char *key)
{
    if (w->b.len && w->b.data[w->b.len - 1] != '{' && w->b.data[w->b.len - 1] != '[')
        mig_buf_putn(&w->b, ",", 1);
    jstr(w, key);
    mig_buf_putn(&w->b, ":", 1);
}

static void jkstr(jw *w, const char *key, const char *v)
{
    if (!v)
        return;
    jkey(w, key);
    jstr(w, v);
}

static void jktrue(jw *w, const char *key, int v)
{
    if (!v)
        return;
    jkey(w, key);
    mig_buf_puts(&w->b, "true");
}

static void jsep(jw *w, int i)
{
    if (i)
        mig_buf_putn(&w->b, ",", 1);
}

static void jknames(jw *w, const char *key, const char *const *v, int n)
{
    int i;
    if (n <= 0)
        return;
    jkey(w, key);
    mig_buf_putn(&w->b, "[", 1);
    for (i = 0; i < n; i++) {
        jsep(w, i);
        jstr(w, v[i]);
    }
    mig_buf_putn(&w->b, "]", 1);
}

static void jkparts(jw *w, const char *key, const mig_sch_key_part *p, int n)
{
    int i;
    jkey(w, key);
    mig_buf_putn(&w->b, "[", 1);
    for (i = 0; i < n; i++) {
        jsep(w, i);
        mig_buf_putn(&w->b, "{", 1);
        jkstr(w, "column", p[i].column);
        jkstr(w, "expr", p[i].expr);
        jkstr(w, "collate", p[i].collate);
        jktrue(w, "desc", p[i].desc);
        mig_buf_putn(&w->b, "}", 1);
    }
    mig_buf_putn(&w->b, "]", 1);
}

static void j_table(jw *w, const mig_sch_table *t)
{
    int i;
    jkey(w, "columns");
    mig_buf_putn(&w->b, "[", 1);
    for (i = 0; i < t->ncols; i++) {
        const mig_sch_column *c = &t->cols[i];
        jsep(w, i);
        mig_buf_putn(&w->b, "{", 1);
        jkstr(w, "name", c->name);
        jkstr(w, "type", c->type && *c->type ? c->type : NULL);
        jktrue(w, "not_null", c->notnull);
        jkstr(w, "not_null_on_conflict", c->conflict);
        jkstr(w, "default", c->dflt);
        jkstr(w, "collate", c->collate);
        jkstr(w, "generated", c->generated == MIG_GEN_STORED ? "stored" : c->generated == MIG_GEN_VIRTUAL ? "virtual" : NULL);
        jkstr(w, "generated_expr", c->gen_expr);
        mig_buf_putn(&w->b, "}", 1);
    }
    mig_buf_putn(&w->b, "]", 1);
    if (t->pk.nparts > 0) {
        jkey(w, "primary_key");
        mig_buf_putn(&w->b, "{", 1);
        jkstr(w, "name", t->pk.name);
        jkparts(w, "parts", t->pk.parts, t->pk.nparts);
        jktrue(w, "autoincrement", t->pk.autoincrement);
        jktrue(w, "column_level", t->pk.column_level);
        jkstr(w, "on_conflict", t->pk.conflict);
        mig_buf_putn(&w->b, "}", 1);
    }
    if (t->nuniques > 0) {
        jkey(w, "uniques");
        mig_buf_putn(&w->b, "[", 1);
        for (i = 0; i < t->nuniques; i++) {
            jsep(w, i);
            mig_buf_putn(&w->b, "{", 1);
            jkstr(w, "name", t->uniques[i].name);
            jkparts(w, "parts", t->uniques[i].parts, t->uniques[i].nparts);
            jkstr(w, "on_conflict", t->uniques[i].conflict);
            mig_buf_putn(&w->b, "}", 1);
        }
        mig_buf_putn(&w->b, "]", 1);
    }
    if (t->nchecks > 0) {
        jkey(w, "checks");
        mig_buf_putn(&w->b, "[", 1);
        for (i = 0; i < t->nchecks; i++) {
            jsep(w, i);
            mig_buf_putn(&w->b, "{", 1);
            jkstr(w, "name", t->checks[i].name);
            jkstr(w, "expr", t->checks[i].expr);
            mig_buf_putn(&w->b, "}", 1);
        }
        mig_buf_putn(&w->b, "]", 1);
    }
    if (t->nfkeys > 0) {
        jkey(w, "foreign_keys");
        mig_buf_putn(&w->b, "[", 1);
        for (i = 0; i < t->nfkeys; i++) {
            const mig_sch_fkey *f = &t->fkeys[i];
            jsep(w, i);
            mig_buf_putn(&w->b, "{", 1);
            jkstr(w, "name", f->name);
            jknames(w, "columns", f->columns, f->ncolumns);
            jkstr(w, "ref_schema", f->ref_schema);
            jkstr(w, "ref_table", f->ref_table);
            jknames(w, "ref_columns", f->ref_columns, f->nref_columns);
            jkstr(w, "on_delete", f->on_delete);
            jkstr(w, "on_update", f->on_update);
            jkstr(w, "match", f->match);
            jkstr(w, "deferrable", f->deferrable == 2 ? "deferred" : f->deferrable == 1 ? "immediate" : NULL);
            mig_buf_putn(&w->b, "}", 1);
        }
        mig_buf_putn(&w->b, "]", 1);
    }
    jktrue(w, "without_rowid", t->without_rowid);
    jktrue(w, "strict", t->strict);
}

char *mig_schema_to_json(mig_arena *ar, const mig_schema *s, mig_err *err)
{
    jw w;
    int i;
    if (!err)
        return NULL;
    if (!ar || !s) {
        mig_fail(err, MIG_E_INPUT, "mig_schema_to_json: invalid arguments");
        return NULL;
    }
    if (s->dialect != MIG_DIALECT_SQLITE && s->dialect != MIG_DIALECT_POSTGRES) {
        mig_fail(err, MIG_E_INPUT, "a snapshot is of one database: sqlite or postgresql");
        return NULL;
    }
    memset(&w, 0, sizeof w);
    mig_buf_init(&w.b, ar);
    mig_buf_printf(&w.b, "{\"mig_snapshot\":1,\"dialect\":\"%s\",\"objects\":[",
                   s->dialect == MIG_DIALECT_SQLITE ? "sqlite" : "postgresql");
    for (i = 0; i < s->nobjs; i++) {
        const mig_sch_object *o = &s->objs[i];
        jsep(&w, i);
        mig_buf_putn(&w.b, "{", 1);
        jkstr(&w, "kind", mig_so_kind_name(o->kind));
        jkstr(&w, "schema", o->schema);
        jkstr(&w, "name", o->name ? o->name : "");
        switch (o->kind) {
        case MIG_SO_TABLE:
            j_table(&w, &o->u.table);
            break;
        case MIG_SO_INDEX:
            jkstr(&w, "table", o->u.index.table ? o->u.index.table : "");
            jktrue(&w, "unique", o->u.index.unique);
            jkparts(&w, "parts", o->u.index.parts, o->u.index.nparts);
            jkstr(&w, "where", o->u.index.where);
            break;
        case MIG_SO_VIEW:
            jknames(&w, "columns", o->u.view.columns, o->u.view.ncolumns);
            jkstr(&w, "select", o->u.view.select ? o->u.view.select : "");
            break;
        case MIG_SO_TRIGGER:
            jkstr(&w, "table", o->u.trigger.table ? o->u.trigger.table : "");
            jkstr(&w, "sql", o->u.trigger.sql ? o->u.trigger.sql : "");
            break;
        }
        mig_buf_putn(&w.b, "}", 1);
        if (w.bad) {
            mig_fail(err, MIG_E_INPUT, "%s \"%s\": text that is not UTF-8 cannot go into a snapshot",
                     mig_so_kind_name(o->kind), o->name ? o->name : "?");
            return NULL;
        }
    }
    mig_buf_puts(&w.b, "]}");
    if (w.b.oom || !w.b.data) {
        NOMEM(err);
        return NULL;
    }
    return w.b.data;
}

/* ------------------------------------------------------------------------ */
/* Reading a snapshot back                                                  */
/* ------------------------------------------------------------------------ */

typedef struct {
    mig_arena *ar;
    mig_err *err;
    char path[400];
    size_t plen;
} jrd;

static size_t jpush(jrd *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static size_t jpush(jrd *r, const char *fmt, ...)
{
    size_t old = r->plen;
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(r->path + old, sizeof r->path - old, fmt, ap);
    va_end(ap);
    if (n > 0)
        r->plen = old + (size_t)n < sizeof r->path ? old + (size_t)n : sizeof r->path - 1;
    return old;
}

static void jpop(jrd *r, size_t old)
{
    r->plen = old;
    r->path[old] = '\0';
}

static int jfail(jrd *r, const char *what)
{
    return mig_fail(r->err, MIG_E_INPUT, "snapshot: %s: %s", r->plen ? r->path : "(top)", what);
}

/* Every key of obj must be in the NULL-terminated list. */
static int jkeys(jrd *r, json_t *obj, const char *const *allowed)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        int i, found = 0;
        for (i = 0; allowed[i]; i++)
            if (strcmp(key, allowed[i]) == 0)
                found = 1;
        if (!found) {
            size_t old = jpush(r, "%s%s", r->plen ? "." : "", key);
            int rc = jfail(r, "unknown key");
            jpop(r, old);
            return rc;
        }
    }
    return 0;
}

/* A string member (NULL when absent and optional); non-empty. */
static int jget_str(jrd *r, json_t *obj, const char *key, int required, const char **out)
{
    json_t *v = json_object_get(obj, key);
    size_t old;
    int rc = 0;
    *out = NULL;
    if (!v && !required)
        return 0;
    old = jpush(r, "%s%s", r->plen ? "." : "", key);
    if (!v)
        rc = jfail(r, "missing");
    else if (!json_is_string(v))
        rc = jfail(r, "expected a string");
    else if (json_string_length(v) == 0)
        rc = jfail(r, "expected a non-empty string");
    else if (!(*out = mig_strndup(r->ar, json_string_value(v), json_string_length(v))))
        rc = NOMEM(r->err);
    jpop(r, old);
    return rc;
}

/* One of the strings of a NULL-terminated list, or absent. */
static int jget_enum(jrd *r, json_t *obj, const char *key, const char *const *values, const char **out)
{
    int i;
    if (jget_str(r, obj, key, 0, out))
        return -1;
    if (!*out)
        return 0;
    for (i = 0; values[i]; i++)
        if (strcmp(*out, values[i]) == 0) {
            *out = values[i];
            return 0;
        }
    {
        size_t old = jpush(r, "%s%s", r->plen ? "." : "", key);
        char msg[300];
        size_t n = 0;
        n += (size_t)snprintf(msg, sizeof msg, "expected one of");
        for (i = 0; values[i] && n < sizeof msg; i++)
            n += (size_t)snprintf(msg + n, sizeof msg - n, "%s \"%s\"", i ? "," : "", values[i]);
        jfail(r, msg);
        jpop(r, old);
    }
    return -1;
}

static int jget_bool(jrd *r, json_t *obj, const char *key, int *out)
{
    json_t *v = json_object_get(obj, key);
    *out = 0;
    if (!v)
        return 0;
    if (!json_is_boolean(v)) {
        size_t old = jpush(r, "%s%s", r->plen ? "." : "", key);
        int rc = jfail(r, "expected true or false");
        jpop(r, old);
        return rc;
    }
    *out = json_is_true(v);
    return 0;
}

/* An array member; *n = 0 when absent and optional. */
static int jget_arr(jrd *r, json_t *obj, const char *key, int required, json_t **out)
{
    json_t *v = json_object_get(obj, key);
    size_t old;
    int rc = 0;
    *out = NULL;
    if (!v && !required)
        return 0;
    old = jpush(r, "%s%s", r->plen ? "." : "", key);
    if (!v)
        rc = jfail(r, "missing");
    else if (!json_is_array(v))
        rc = jfail(r, "expected an array");
    else if (json_array_size(v) == 0)
        rc = jfail(r, "expected a non-empty array");
    else if (json_array_size(v) > INT_MAX / 64)
        rc = jfail(r, "too many elements");
    jpop(r, old);
    *out = rc ? NULL : v;
    return rc;
}

static int jget_names(jrd *r, json_t *obj, const char *key, int required, const char ***out, int *n)
{
    json_t *a;
    size_t i;
    *out = NULL;
    *n = 0;
    if (jget_arr(r, obj, key, required, &a))
        return -1;
    if (!a)
        return 0;
    if (!(*out = mig_alloc(r->ar, json_array_size(a) * sizeof **out)))
        return NOMEM(r->err);
    for (i = 0; i < json_array_size(a); i++) {
        json_t *v = json_array_get(a, i);
        size_t old = jpush(r, ".%s[%zu]", key, i);
        int rc = 0;
        if (!json_is_string(v) || json_string_length(v) == 0)
            rc = jfail(r, "expected a non-empty string");
        else if (!((*out)[i] = mig_strndup(r->ar, json_string_value(v), json_string_length(v))))
            rc = NOMEM(r->err);
        jpop(r, old);
        if (rc)
            return -1;
    }
    *n = (int)json_array_size(a);
    return 0;
}

static int jget_parts(jrd *r, json_t *obj, const char *key, mig_sch_key_part **out, int *n)
{
    static const char *const keys[] = {"column", "expr", "collate", "desc", NULL};
    json_t *a;
    size_t i;
    if (jget_arr(r, obj, key, 1, &a))
        return -1;
    if (!(*out = mig_alloc0(r->ar, json_array_size(a) * sizeof **out)))
        return NOMEM(r->err);
    for (i = 0; i < json_array_size(a); i++) {
        json_t *v = json_array_get(a, i);
        mig_sch_key_part *p = &(*out)[i];
        size_t old = jpush(r, ".%s[%zu]", key, i);
        int rc;
        if (!json_is_object(v))
            rc = jfail(r, "expected an object");
        else if (!(rc = jkeys(r, v, keys)) && !(rc = jget_str(r, v, "column", 0, &p->column)) &&
                 !(rc = jget_str(r, v, "expr", 0, &p->expr)) && !(rc = jget_str(r, v, "collate", 0, &p->collate)) &&
                 !(rc = jget_bool(r, v, "desc", &p->desc)) && !p->column == !p->expr)
            rc = jfail(r, "expected either \"column\" or \"expr\"");
        jpop(r, old);
        if (rc)
            return -1;
    }
    *n = (int)json_array_size(a);
    return 0;
}

static const char *const CONFLICTS[] = {"ROLLBACK", "FAIL", "IGNORE", "REPLACE", NULL};
static const char *const ACTIONS[] = {"SET NULL", "SET DEFAULT", "CASCADE", "RESTRICT", NULL};

static int jcolumn(jrd *r, json_t *v, mig_sch_column *c)
{
    static const char *const keys[] = {"name", "type", "not_null", "not_null_on_conflict", "default", "collate",
                                       "generated", "generated_expr", NULL};
    static const char *const gens[] = {"virtual", "stored", NULL};
    const char *g;
    if (!json_is_object(v))
        return jfail(r, "expected an object");
    if (jkeys(r, v, keys) || jget_str(r, v, "name", 1, &c->name) || jget_str(r, v, "type", 0, &c->type) ||
        jget_bool(r, v, "not_null", &c->notnull) || jget_enum(r, v, "not_null_on_conflict", CONFLICTS, &c->conflict) ||
        jget_str(r, v, "default", 0, &c->dflt) || jget_str(r, v, "collate", 0, &c->collate) ||
        jget_enum(r, v, "generated", gens, &g) || jget_str(r, v, "generated_expr", 0, &c->gen_expr))
        return -1;
    if (!c->type)
        c->type = "";
    c->generated = !g ? MIG_GEN_NONE : strcmp(g, "stored") == 0 ? MIG_GEN_STORED : MIG_GEN_VIRTUAL;
    if (!g != !c->gen_expr)
        return jfail(r, "\"generated\" and \"generated_expr\" go together");
    if (c->conflict && !c->notnull)
        return jfail(r, "\"not_null_on_conflict\" without \"not_null\"");
    return 0;
}

static int jtable(jrd *r, json_t *o, mig_sch_table *t)
{
    json_t *a, *pk;
    size_t i;
    if (jget_arr(r, o, "columns", 1, &a))
        return -1;
    if (!(t->cols = mig_alloc0(r->ar, json_array_size(a) * sizeof *t->cols)))
        return NOMEM(r->err);
    t->ncols = (int)json_array_size(a);
    for (i = 0; i < json_array_size(a); i++) {
        size_t old = jpush(r, ".columns[%zu]", i);
        int rc = jcolumn(r, json_array_get(a, i), &t->cols[i]);
        jpop(r, old);
        if (rc)
            return -1;
    }
    if ((pk = json_object_get(o, "primary_key")) != NULL) {
        static const char *const keys[] = {"name", "parts", "autoincrement", "column_level", "on_conflict", NULL};
        size_t old = jpush(r, ".primary_key");
        int rc = json_is_object(pk) ? 0 : jfail(r, "expected an object");
        if (!rc)
            rc = jkeys(r, pk, keys) || jget_str(r, pk, "name", 0, &t->pk.name) ||
                 jget_parts(r, pk, "parts", &t->pk.parts, &t->pk.nparts) ||
                 jget_bool(r, pk, "autoincrement", &t->pk.autoincrement) ||
                 jget_bool(r, pk, "column_level", &t->pk.column_level) ||
                 jget_enum(r, pk, "on_conflict", CONFLICTS, &t->pk.conflict);
        jpop(r, old);
        if (rc)
            return -1;
    }
    if (jget_arr(r, o, "uniques", 0, &a))
        return -1;
    if (a) {
        static const char *const keys[] = {"name", "parts", "on_conflict", NULL};
        if (!(t->uniques = mig_alloc0(r->ar, json_array_size(a) * sizeof *t->uniques)))
            return NOMEM(r->err);
        t->nuniques = (int)json_array_size(a);
        for (i = 0; i < json_array_size(a); i++) {
            json_t *u = json_array_get(a, i);
            mig_sch_unique *x = &t->uniques[i];
            size_t old = jpush(r, ".uniques[%zu]", i);
            int rc = json_is_object(u) ? 0 : jfail(r, "expected an object");
            if (!rc)
                rc = jkeys(r, u, keys) || jget_str(r, u, "name", 0, &x->name) ||
                     jget_parts(r, u, "parts", &x->parts, &x->nparts) ||
                     jget_enum(r, u, "on_conflict", CONFLICTS, &x->conflict);
            jpop(r, old);
            if (rc)
                return -1;
        }
    }
    if (jget_arr(r, o, "checks", 0, &a))
        return -1;
    if (a) {
        static const char *const keys[] = {"name", "expr", NULL};
        if (!(t->checks = mig_alloc0(r->ar, json_array_size(a) * sizeof *t->checks)))
            return NOMEM(r->err);
        t->nchecks = (int)json_array_size(a);
        for (i = 0; i < json_array_size(a); i++) {
            json_t *u = json_array_get(a, i);
            size_t old = jpush(r, ".checks[%zu]", i);
            int rc = json_is_object(u) ? 0 : jfail(r, "expected an object");
            if (!rc)
                rc = jkeys(r, u, keys) || jget_str(r, u, "name", 0, &t->checks[i].name) ||
                     jget_str(r, u, "expr", 1, &t->checks[i].expr);
            jpop(r, old);
            if (rc)
                return -1;
        }
    }
    if (jget_arr(r, o, "foreign_keys", 0, &a))
        return -1;
    if (a) {
        static const char *const keys[] = {"name",      "columns",   "ref_schema", "ref_table", "ref_columns",
                                           "on_delete", "on_update", "match",      "deferrable", NULL};
        static const char *const defs[] = {"immediate", "deferred", NULL};
        if (!(t->fkeys = mig_alloc0(r->ar, json_array_size(a) * sizeof *t->fkeys)))
            return NOMEM(r->err);
        t->nfkeys = (int)json_array_size(a);
        for (i = 0; i < json_array_size(a); i++) {
            json_t *u = json_array_get(a, i);
            mig_sch_fkey *f = &t->fkeys[i];
            const char *d = NULL;
            size_t old = jpush(r, ".foreign_keys[%zu]", i);
            int rc = json_is_object(u) ? 0 : jfail(r, "expected an object");
            if (!rc)
                rc = jkeys(r, u, keys) || jget_str(r, u, "name", 0, &f->name) ||
                     jget_names(r, u, "columns", 1, &f->columns, &f->ncolumns) ||
                     jget_str(r, u, "ref_schema", 0, &f->ref_schema) || jget_str(r, u, "ref_table", 1, &f->ref_table) ||
                     jget_names(r, u, "ref_columns", 0, &f->ref_columns, &f->nref_columns) ||
                     jget_enum(r, u, "on_delete", ACTIONS, &f->on_delete) ||
                     jget_enum(r, u, "on_update", ACTIONS, &f->on_update) || jget_str(r, u, "match", 0, &f->match) ||
                     jget_enum(r, u, "deferrable", defs, &d);
            if (!rc && f->nref_columns && f->nref_columns != f->ncolumns)
                rc = jfail(r, "\"ref_columns\" and \"columns\" differ in length");
            f->deferrable = !d ? 0 : strcmp(d, "deferred") == 0 ? 2 : 1;
            jpop(r, old);
            if (rc)
                return -1;
        }
    }
    if (jget_bool(r, o, "without_rowid", &t->without_rowid) || jget_bool(r, o, "strict", &t->strict))
        return -1;
    if (t->without_rowid && t->pk.nparts == 0)
        return jfail(r, "a WITHOUT ROWID table needs a primary key");
    return 0;
}

/* A trigger's "sql" is what mig writes: a CREATE TRIGGER of this very
 * name, in normal form (else its CREATE would read back as another model). */
static int jtrigger_sql(jrd *r, const mig_sch_object *so)
{
    mig_sch_trigger t;
    const char *parsed = NULL;
    mig_err e2;
    size_t old = jpush(r, ".sql");
    int rc = 0;
    mig_err_clear(&e2);
    if (build_trigger(r->ar, so->u.trigger.sql, &t, &parsed, &e2)) {
        if (e2.code == MIG_E_NOMEM)
            rc = NOMEM(r->err);
        else
            rc = jfail(r, e2.msg);
    } else if (!parsed || strcmp(parsed, so->name) != 0)
        rc = jfail(r, "the CREATE TRIGGER names another trigger");
    else if (strcmp(t.sql, so->u.trigger.sql) != 0)
        rc = jfail(r, "not in the normal form mig writes");
    jpop(r, old);
    return rc;
}

static int jobject(jrd *r, json_t *o, mig_sch_object *so)
{
    static const char *const table_keys[] = {"kind",        "schema",       "name",          "columns", "primary_key",
                                             "uniques",     "checks",       "foreign_keys", "without_rowid", "strict",
                                             NULL};
    static const char *const index_keys[] = {"kind", "schema", "name", "table", "unique", "parts", "where", NULL};
    static const char *const view_keys[] = {"kind", "schema", "name", "columns", "select", NULL};
    static const char *const trigger_keys[] = {"kind", "schema", "name", "table", "sql", NULL};
    static const char *const kinds[] = {"table", "index", "view", "trigger", NULL};
    const char *k;
    if (!json_is_object(o))
        return jfail(r, "expected an object");
    if (jget_enum(r, o, "kind", kinds, &k))
        return -1;
    if (!k || kind_named(k, &so->kind))
        return jfail(r, "missing \"kind\"");
    if (jget_str(r, o, "schema", 0, &so->schema) || jget_str(r, o, "name", 1, &so->name))
        return -1;
    switch (so->kind) {
    case MIG_SO_TABLE:
        return jkeys(r, o, table_keys) || jtable(r, o, &so->u.table) ? -1 : 0;
    case MIG_SO_INDEX:
        return jkeys(r, o, index_keys) || jget_str(r, o, "table", 1, &so->u.index.table) ||
                       jget_bool(r, o, "unique", &so->u.index.unique) ||
                       jget_parts(r, o, "parts", &so->u.index.parts, &so->u.index.nparts) ||
                       jget_str(r, o, "where", 0, &so->u.index.where)
                   ? -1
                   : 0;
    case MIG_SO_VIEW:
        return jkeys(r, o, view_keys) ||
                       jget_names(r, o, "columns", 0, &so->u.view.columns, &so->u.view.ncolumns) ||
                       jget_str(r, o, "select", 1, &so->u.view.select)
                   ? -1
                   : 0;
    case MIG_SO_TRIGGER:
        return jkeys(r, o, trigger_keys) || jget_str(r, o, "table", 1, &so->u.trigger.table) ||
                       jget_str(r, o, "sql", 1, &so->u.trigger.sql) || jtrigger_sql(r, so)
                   ? -1
                   : 0;
    }
    return -1;
}

static int jdoc(jrd *r, json_t *root, mig_schema *out)
{
    static const char *const keys[] = {"mig_snapshot", "dialect", "objects", NULL};
    static const char *const dialects[] = {"sqlite", "postgresql", NULL};
    json_t *ver, *objs;
    const char *d;
    size_t i;
    if (!json_is_object(root) || !(ver = json_object_get(root, "mig_snapshot")))
        return mig_fail(r->err, MIG_E_INPUT, "not a mig snapshot (a JSON object with \"mig_snapshot\": 1)");
    if (jkeys(r, root, keys))
        return -1;
    if (!json_is_integer(ver) || json_integer_value(ver) != 1) {
        jpush(r, "mig_snapshot");
        return jfail(r, "unsupported snapshot version (this mig reads version 1)");
    }
    if (jget_enum(r, root, "dialect", dialects, &d))
        return -1;
    if (!d) {
        jpush(r, "dialect");
        return jfail(r, "missing");
    }
    mig_schema_init(out, strcmp(d, "sqlite") == 0 ? MIG_DIALECT_SQLITE : MIG_DIALECT_POSTGRES);
    objs = json_object_get(root, "objects");
    if (!objs || !json_is_array(objs)) {
        jpush(r, "objects");
        return jfail(r, objs ? "expected an array" : "missing");
    }
    if (json_array_size(objs) > INT_MAX / 64) {
        jpush(r, "objects");
        return jfail(r, "too many objects");
    }
    if (json_array_size(objs) &&
        !(out->objs = mig_alloc0(r->ar, json_array_size(objs) * sizeof *out->objs)))
        return NOMEM(r->err);
    out->cap = (int)json_array_size(objs);
    for (i = 0; i < json_array_size(objs); i++) {
        mig_sch_object *so = &out->objs[i];
        size_t old = jpush(r, "objects[%zu]", i);
        if (jobject(r, json_array_get(objs, i), so))
            return -1;
        if (mig_schema_find(out, so->kind, so->schema, so->name))
            return jfail(r, "a second object of this kind and name");
        if (out->dialect == MIG_DIALECT_SQLITE && so->schema)
            return jfail(r, "\"schema\" is for PostgreSQL objects");
        out->nobjs++;
        if (names_extend(r->ar, &out->names, out->objs, out->nobjs))
            return NOMEM(r->err);
        jpop(r, old);
    }
    mig_schema_finish(out);
    return 0;
}

int mig_schema_from_json(mig_arena *ar, const char *json, size_t len, mig_schema *out, mig_err *err)
{
    json_error_t jerr;
    json_t *root;
    jrd r;
    int rc;
    if (!err)
        return -1;
    if (!ar || !out || (!json && len))
        return mig_fail(err, MIG_E_INPUT, "mig_schema_from_json: invalid arguments");
    mig_schema_init(out, MIG_DIALECT_ANY);
    root = json_loadb(json ? json : "", len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return mig_fail(err, MIG_E_INPUT, "snapshot: invalid JSON at line %d, column %d: %s", jerr.line, jerr.column,
                        jerr.text);
    memset(&r, 0, sizeof r);
    r.ar = ar;
    r.err = err;
    rc = jdoc(&r, root, out);
    json_decref(root);
    if (rc)
        mig_schema_init(out, MIG_DIALECT_ANY);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Snapshot options                                                         */
/* ------------------------------------------------------------------------ */

int mig_schema_opt_patterns(mig_arena *ar, const struct json_t *v, const char *key, mig_strlist *l, mig_err *err)
{
    size_t i;
    if (!json_is_array(v))
        return mig_fail(err, MIG_E_INPUT, "option \"%s\" must be an array of name patterns, e.g. [\"audit_*\"]", key);
    for (i = 0; i < json_array_size(v); i++) {
        const json_t *p = json_array_get(v, i);
        char *c;
        if (!json_is_string(p) || json_string_length(p) == 0 || strlen(json_string_value(p)) != json_string_length(p))
            return mig_fail(err, MIG_E_INPUT, "option \"%s\": element %zu must be a non-empty string", key, i);
        if (!(c = mig_strdup(ar, json_string_value(p))) || mig_strlist_add(ar, l, c))
            return NOMEM(err);
    }
    return 0;
}

static int filter_obj(mig_arena *ar, mig_dialect d, json_t *root, mig_schema_filter *f, mig_err *err)
{
    const char *key;
    json_t *v;
    if (!json_is_object(root))
        return mig_fail(err, MIG_E_INPUT, "options must be a JSON object, e.g. '{\"kinds\": [\"table\"]}'");
    json_object_foreach(root, key, v) {
        if (strcmp(key, "kinds") == 0) {
            size_t i;
            if (!json_is_array(v) || json_array_size(v) == 0)
                return mig_fail(err, MIG_E_INPUT, "option \"kinds\" must be a non-empty array of \"table\", \"index\", "
                                                  "\"view\", \"trigger\"");
            for (i = 0; i < json_array_size(v); i++) {
                mig_so_kind k;
                if (kind_named(json_string_value(json_array_get(v, i)), &k))
                    return mig_fail(err, MIG_E_INPUT, "option \"kinds\": element %zu must be \"table\", \"index\", "
                                                      "\"view\" or \"trigger\"", i);
                f->kinds |= 1u << k;
            }
        } else if (strcmp(key, "include") == 0) {
            if (mig_schema_opt_patterns(ar, v, key, &f->include, err))
                return -1;
        } else if (strcmp(key, "exclude") == 0) {
            if (mig_schema_opt_patterns(ar, v, key, &f->exclude, err))
                return -1;
        } else if (strcmp(key, "schemas") == 0 && d == MIG_DIALECT_POSTGRES) {
            if (mig_schema_opt_patterns(ar, v, key, &f->schemas, err))
                return -1;
        } else if (strcmp(key, "schemas") == 0) {
            return mig_fail(err, MIG_E_INPUT, "option \"schemas\" is for PostgreSQL: a SQLite snapshot reads the main "
                                              "database");
        } else {
            return mig_fail(err, MIG_E_INPUT, "unknown option \"%s\" (known: kinds, include, exclude%s)", key,
                            d == MIG_DIALECT_POSTGRES ? ", schemas" : "");
        }
    }
    return 0;
}

int mig_schema_filter_parse(mig_arena *ar, mig_dialect d, const char *json, mig_schema_filter *f, mig_err *err)
{
    json_error_t jerr;
    json_t *root;
    int rc;
    if (!err)
        return -1;
    if (!ar || !f)
        return mig_fail(err, MIG_E_INPUT, "mig_schema_filter_parse: invalid arguments");
    memset(f, 0, sizeof *f);
    if (!json || !*json)
        return 0;
    root = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return mig_fail(err, MIG_E_INPUT, "invalid options JSON at line %d, column %d: %s", jerr.line, jerr.column,
                        jerr.text);
    rc = filter_obj(ar, d, root, f, err);
    json_decref(root);
    return rc;
}
