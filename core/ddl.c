/*
 * ddl.c - SQLite CREATE TABLE / CREATE INDEX parser for mig_batch (see
 * ddl.h).
 *
 * Two layers:
 *
 *   - a lexer that follows SQLite's tokenizer (tokenize.c): white space,
 *     "--" and C comments (an unterminated C comment runs to the end, as in
 *     SQLite), 'strings' with '' escapes, identifiers quoted "..." (""
 *     escapes), `...` (`` escapes) and [...] (no escapes), x'..' blobs,
 *     numbers, parameters, and one-byte operators (the parser never needs
 *     to tell "<" from "<=");
 *
 *   - a recursive-descent-free parser of the CREATE TABLE grammar of
 *     parse.y: the column list, each column's type name and constraints,
 *     the table constraints and the table options.  Expressions are only
 *     delimited (balanced parentheses), so nesting depth costs no stack.
 *
 * Keywords.  SQLite reserves only some of its keywords; the others (ABORT,
 * KEY, REPLACE, ...) "fall back" to identifiers wherever the grammar has no
 * use for them as keywords.  kw_class() sorts a bare word into: a plain
 * identifier (also every fallback keyword), a reserved keyword, a join
 * keyword (CROSS, LEFT...: a name but not a type or DEFAULT word), INDEXED
 * (a name and a DEFAULT word, not a type) and CURRENT_DATE/TIME/TIMESTAMP
 * (a DEFAULT term).  The lists were checked against SQLite 3.40 by trying
 * every keyword of sqlite3_keyword_name() as a column name, a type word, a
 * table name and a DEFAULT value.
 *
 * One quirk of SQLite is reproduced on purpose: its grammar reads
 * "x INT GENERATED ALWAYS AS (e)" as the type "INT GENERATED ALWAYS" and the
 * short form "AS (e)", then strips "GENERATED ALWAYS" from the type.  Here
 * the type is INT and the constraint spans "GENERATED ALWAYS AS (e)".
 *
 * Errors latch: the first one (lexical or syntactic) is kept in the
 * mig_err, later checks only return -1.
 */
#include "ddl.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#define NONE ((size_t)-1)

/* ------------------------------------------------------------------------ */
/* Characters                                                               */
/* ------------------------------------------------------------------------ */

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int is_alpha(unsigned char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static int is_xdigit(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
/* SQLite: identifiers start with a letter, '_' or a byte >= 0x80 ... */
static int is_id_start(unsigned char c) { return is_alpha(c) || c == '_' || c >= 0x80; }
/* ... and go on with those, digits and '$'. */
static int is_id_char(unsigned char c) { return is_id_start(c) || is_digit(c) || c == '$'; }

static unsigned char to_upper(unsigned char c)
{
    return (c >= 'a' && c <= 'z') ? (unsigned char)(c - 'a' + 'A') : c;
}

/* 1 if the n bytes at p spell kw (upper case), ignoring ASCII case. */
static int word_is(const char *p, size_t n, const char *kw)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (kw[i] == '\0' || to_upper((unsigned char)p[i]) != (unsigned char)kw[i])
            return 0;
    }
    return kw[n] == '\0';
}

/* ------------------------------------------------------------------------ */
/* Keywords                                                                 */
/* ------------------------------------------------------------------------ */

enum { KW_ID, KW_RESERVED, KW_JOIN, KW_INDEXED, KW_CTIME };

/* SQLite keywords that never fall back to an identifier. */
static const char *const reserved_words[] = {
    "ADD",        "ALL",       "ALTER",   "AND",     "AS",        "AUTOINCREMENT", "BETWEEN",
    "CASE",       "CHECK",     "COLLATE", "COMMIT",  "CONSTRAINT", "CREATE",       "DEFAULT",
    "DEFERRABLE", "DELETE",    "DISTINCT", "DROP",   "ELSE",      "ESCAPE",        "EXCEPT",
    "EXISTS",     "FOREIGN",   "FROM",    "GROUP",   "HAVING",    "IN",            "INDEX",
    "INSERT",     "INTERSECT", "INTO",    "IS",      "ISNULL",    "JOIN",          "LIMIT",
    "NOT",        "NOTHING",   "NOTNULL", "NULL",    "ON",        "OR",            "ORDER",
    "PRIMARY",    "REFERENCES", "RETURNING", "SELECT", "SET",     "TABLE",         "THEN",
    "TO",         "TRANSACTION", "UNION", "UNIQUE",  "UPDATE",    "USING",         "VALUES",
    "WHEN",       "WHERE",
};

static const char *const join_words[] = {"CROSS", "FULL", "INNER", "LEFT", "NATURAL", "OUTER", "RIGHT"};
static const char *const ctime_words[] = {"CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP"};

static int in_list(const char *w, size_t n, const char *const *list, size_t count)
{
    size_t i;
    for (i = 0; i < count; i++) {
        if (word_is(w, n, list[i]))
            return 1;
    }
    return 0;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int kw_class(const char *w, size_t n)
{
    if (n < 2 || n > 17) /* the shortest keyword has 2 bytes, the longest 17 */
        return KW_ID;
    if (in_list(w, n, reserved_words, COUNT(reserved_words)))
        return KW_RESERVED;
    if (in_list(w, n, join_words, COUNT(join_words)))
        return KW_JOIN;
    if (in_list(w, n, ctime_words, COUNT(ctime_words)))
        return KW_CTIME;
    if (word_is(w, n, "INDEXED"))
        return KW_INDEXED;
    return KW_ID;
}

/* ------------------------------------------------------------------------ */
/* Lexer                                                                    */
/* ------------------------------------------------------------------------ */

enum {
    T_EOF,
    T_WORD,   /* bare identifier or keyword */
    T_QID,    /* "x", [x], `x` */
    T_STRING, /* 'x' */
    T_BLOB,   /* x'00' */
    T_NUMBER,
    T_VAR,    /* ?1 :a @a $a */
    T_LP,
    T_RP,
    T_COMMA,
    T_SEMI,
    T_DOT,
    T_PLUS,
    T_MINUS,
    T_OP      /* any other operator or punctuation byte */
};

typedef struct {
    int kind;
    size_t off, len;
} token;

/* Quoted token opened by s[i] (close is its closing quote; a doubled close
 * quote stands for itself unless close is ']').  Offset past it, or NONE. */
static size_t skip_quoted(const char *s, size_t len, size_t i, char close)
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
    return NONE;
}

/* Offset of the first byte at or after i that is neither white space nor
 * in a comment. */
static size_t skip_insignificant(const char *s, size_t len, size_t i)
{
    while (i < len) {
        if (is_space((unsigned char)s[i])) {
            i++;
        } else if (s[i] == '-' && i + 1 < len && s[i + 1] == '-') {
            for (i += 2; i < len && s[i] != '\n'; i++)
                ;
        } else if (s[i] == '/' && i + 1 < len && s[i + 1] == '*') {
            for (i += 2; i < len && !(s[i] == '*' && i + 1 < len && s[i + 1] == '/'); i++)
                ;
            i = (i < len) ? i + 2 : len; /* unterminated: a comment to the end, as in SQLite */
        } else {
            break;
        }
    }
    return i;
}

/*
 * Lex the token at or after *pos into *t and move *pos past it.  Returns 0,
 * or -1 with *why set for an unterminated or malformed token (*pos is then
 * the token's offset).  lenient: never fails (an unterminated quote runs to
 * the end, a malformed token is lexed as well as it goes).
 */
static int lex(const char *s, size_t len, size_t *pos, token *t, int lenient, const char **why)
{
    size_t i = skip_insignificant(s, len, *pos), e;
    unsigned char c;

    t->off = i;
    t->len = 0;
    if (i >= len) {
        t->kind = T_EOF;
        t->off = len;
        *pos = len;
        return 0;
    }
    c = (unsigned char)s[i];
    e = i + 1;
    t->kind = T_OP;
    switch (c) {
    case '\'':
    case '"':
    case '`':
    case '[':
        t->kind = (c == '\'') ? T_STRING : T_QID;
        e = skip_quoted(s, len, i, c == '[' ? ']' : (char)c);
        if (e == NONE) {
            if (!lenient) {
                *why = (c == '\'') ? "unterminated string literal" : "unterminated quoted identifier";
                *pos = i;
                return -1;
            }
            e = len;
        }
        break;
    case '(':
        t->kind = T_LP;
        break;
    case ')':
        t->kind = T_RP;
        break;
    case ',':
        t->kind = T_COMMA;
        break;
    case ';':
        t->kind = T_SEMI;
        break;
    case '+':
        t->kind = T_PLUS;
        break;
    case '-':
        t->kind = T_MINUS;
        break;
    case '?':
        t->kind = T_VAR;
        for (; e < len && is_digit((unsigned char)s[e]); e++)
            ;
        break;
    case ':':
    case '@':
    case '$':
        if (e < len && is_id_char((unsigned char)s[e])) {
            t->kind = T_VAR;
            for (; e < len && is_id_char((unsigned char)s[e]); e++)
                ;
        }
        break;
    case '\0':
        if (!lenient) {
            *why = "NUL byte";
            *pos = i;
            return -1;
        }
        break;
    default:
        if ((c == 'x' || c == 'X') && e < len && s[e] == '\'') {
            /* blob literal: an even number of hex digits */
            t->kind = T_BLOB;
            for (e = i + 2; e < len && is_xdigit((unsigned char)s[e]); e++)
                ;
            if (e >= len || s[e] != '\'' || (e - i - 2) % 2 != 0) {
                if (!lenient) {
                    *why = "malformed blob literal";
                    *pos = i;
                    return -1;
                }
                e = skip_quoted(s, len, i + 1, '\'');
                if (e == NONE)
                    e = len;
            } else {
                e++;
            }
        } else if (is_id_start(c)) {
            t->kind = T_WORD;
            for (; e < len && is_id_char((unsigned char)s[e]); e++)
                ;
        } else if (is_digit(c) || (c == '.' && e < len && is_digit((unsigned char)s[e]))) {
            t->kind = T_NUMBER;
            if (c == '0' && e < len && (s[e] == 'x' || s[e] == 'X') && e + 1 < len &&
                is_xdigit((unsigned char)s[e + 1])) {
                for (e += 1; e < len && is_xdigit((unsigned char)s[e]); e++)
                    ;
            } else {
                for (; e < len && (is_digit((unsigned char)s[e]) || s[e] == '_'); e++)
                    ;
                if (c != '.' && e < len && s[e] == '.')
                    for (e++; e < len && (is_digit((unsigned char)s[e]) || s[e] == '_'); e++)
                        ;
                if (e < len && (s[e] == 'e' || s[e] == 'E')) {
                    size_t x = e + 1;
                    if (x < len && (s[x] == '+' || s[x] == '-'))
                        x++;
                    if (x < len && is_digit((unsigned char)s[x]))
                        for (e = x; e < len && is_digit((unsigned char)s[e]); e++)
                            ;
                }
            }
            if (e < len && is_id_char((unsigned char)s[e])) {
                if (!lenient) {
                    *why = "malformed number";
                    *pos = i;
                    return -1;
                }
                for (; e < len && is_id_char((unsigned char)s[e]); e++)
                    ;
            }
        } else if (c == '.') {
            t->kind = T_DOT;
        }
        break;
    }
    t->len = e - i;
    *pos = e;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Identifiers                                                              */
/* ------------------------------------------------------------------------ */

char *mig_ddl_unquote(mig_arena *ar, const char *s, size_t n)
{
    char *out, close;
    size_t i, j = 0;

    if (!ar || (!s && n))
        return NULL;
    if (n == 0 || (s[0] != '"' && s[0] != '\'' && s[0] != '`' && s[0] != '['))
        return mig_strndup(ar, s ? s : "", n);
    close = (s[0] == '[') ? ']' : s[0];
    out = mig_alloc(ar, n);
    if (!out)
        return NULL;
    for (i = 1; i < n; i++) {
        if (s[i] == close) {
            if (close != ']' && i + 1 < n && s[i + 1] == close) {
                out[j++] = close;
                i++;
                continue;
            }
            break;
        }
        out[j++] = s[i];
    }
    out[j] = '\0';
    return out;
}

int mig_ddl_ident_eq(const char *a, const char *b)
{
    if (!a || !b)
        return 0;
    for (; *a && *b; a++, b++) {
        if (to_upper((unsigned char)*a) != to_upper((unsigned char)*b))
            return 0;
    }
    return *a == *b;
}

char *mig_ddl_quote(mig_arena *ar, const char *name)
{
    size_t n = 2, i, j = 0;
    char *out;

    if (!ar || !name)
        return NULL;
    for (i = 0; name[i]; i++)
        n += (name[i] == '"') ? 2 : 1;
    out = mig_alloc(ar, n + 1);
    if (!out)
        return NULL;
    out[j++] = '"';
    for (i = 0; name[i]; i++) {
        if (name[i] == '"')
            out[j++] = '"';
        out[j++] = name[i];
    }
    out[j++] = '"';
    out[j] = '\0';
    return out;
}

char *mig_ddl_span_dup(mig_arena *ar, const char *sql, mig_span span)
{
    if (!ar || (!sql && span.len))
        return NULL;
    return mig_strndup(ar, span.len ? sql + span.off : "", span.len);
}

int mig_ddl_find_column(const mig_ddl_table *t, const char *name)
{
    int i;
    if (!t || !name)
        return -1;
    for (i = 0; i < t->ncols; i++) {
        if (mig_ddl_ident_eq(t->cols[i].name, name))
            return i;
    }
    return -1;
}

/* Does the identifier token s[0, n) (bare or quoted) spell name? */
static int token_names(const char *s, size_t n, int kind, const char *name)
{
    const unsigned char *m = (const unsigned char *)name;
    size_t i;
    char close;

    if (kind == T_WORD) {
        for (i = 0; i < n; i++, m++) {
            if (*m == '\0' || to_upper((unsigned char)s[i]) != to_upper(*m))
                return 0;
        }
        return *m == '\0';
    }
    close = (s[0] == '[') ? ']' : s[0];
    for (i = 1; i < n; i++, m++) {
        if (s[i] == close) {
            if (close != ']' && i + 1 < n && s[i + 1] == close)
                i++;
            else
                break;
        }
        if (*m == '\0' || to_upper((unsigned char)s[i]) != to_upper(*m))
            return 0;
    }
    return *m == '\0';
}

int mig_ddl_mentions(const char *sql, mig_span span, const char *name)
{
    size_t pos, end;
    const char *why = NULL;
    token t;

    if (!sql || !name || span.len == 0 || span.off > (size_t)-1 - span.len)
        return 0;
    pos = span.off;
    end = span.off + span.len;
    for (;;) {
        (void)lex(sql, end, &pos, &t, 1, &why);
        if (t.kind == T_EOF)
            return 0;
        if (t.kind == T_WORD && kw_class(sql + t.off, t.len) == KW_RESERVED)
            continue;
        if ((t.kind == T_WORD || t.kind == T_QID) && token_names(sql + t.off, t.len, t.kind, name))
            return 1;
    }
}

/* ------------------------------------------------------------------------ */
/* Parser plumbing                                                          */
/* ------------------------------------------------------------------------ */

typedef struct {
    mig_arena *ar;
    mig_err *err;
    const char *s;
    size_t len;
    const char *stmt; /* "CREATE TABLE" / "CREATE INDEX", for messages */
    token t;          /* the lookahead token */
    size_t next;      /* lexer position after t */
    size_t last_end;  /* end of the last consumed token */
    int failed;       /* an error is set: keep it */
} parser;

/* A short printable excerpt of the text at off: control bytes become
 * spaces, the cut does not split a UTF-8 sequence. */
static void excerpt(const char *s, size_t len, size_t off, char *buf, size_t size)
{
    size_t n = 0, max = size - 4, i;
    for (i = off; i < len && n < max; i++, n++) {
        unsigned char c = (unsigned char)s[i];
        buf[n] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
    }
    if (i < len) {
        /* drop a partial UTF-8 sequence at the cut */
        size_t k = n;
        while (k > 0 && ((unsigned char)buf[k - 1] & 0xC0) == 0x80)
            k--;
        if (k > 0 && (unsigned char)buf[k - 1] >= 0xC0)
            n = k - 1;
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
}

static int fail_at(parser *p, size_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail_at(parser *p, size_t off, const char *fmt, ...)
{
    char what[256], ex[40];
    va_list ap;

    if (p->failed)
        return -1;
    p->failed = 1;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (off >= p->len)
        return mig_fail(p->err, MIG_E_INPUT, "%s: %s at the end of the text (byte %zu)", p->stmt,
                        what, p->len);
    excerpt(p->s, p->len, off, ex, sizeof ex);
    return mig_fail(p->err, MIG_E_INPUT, "%s: %s at byte %zu near \"%s\"", p->stmt, what, off, ex);
}

static int nomem(parser *p)
{
    if (p->failed)
        return -1;
    p->failed = 1;
    return mig_fail(p->err, MIG_E_NOMEM, "%s: out of memory", p->stmt);
}

static void advance(parser *p)
{
    const char *why = NULL;
    if (p->failed) {
        p->t.kind = T_EOF;
        return;
    }
    if (p->t.kind != T_EOF)
        p->last_end = p->t.off + p->t.len;
    if (lex(p->s, p->len, &p->next, &p->t, 0, &why) != 0) {
        fail_at(p, p->next, "%s", why);
        p->t.kind = T_EOF;
        p->t.off = p->len;
        p->t.len = 0;
    }
}

static void parser_init(parser *p, mig_arena *ar, const char *sql, size_t len, mig_err *err,
                        const char *stmt)
{
    memset(p, 0, sizeof *p);
    p->ar = ar;
    p->err = err;
    p->s = sql;
    p->len = len;
    p->stmt = stmt;
    p->t.kind = T_WORD; /* anything but EOF, so advance() reads the first token */
    {
        /* SQLite's text ends at a NUL: one inside a quoted name or a
         * comment here would not be what SQLite stored. */
        const char *nul = len ? memchr(sql, '\0', len) : NULL;
        if (nul) {
            fail_at(p, (size_t)(nul - sql), "NUL byte");
            p->t.kind = T_EOF;
            p->t.off = len;
            return;
        }
    }
    advance(p);
    p->last_end = p->t.off; /* nothing consumed yet */
}

/* Describe the lookahead for messages. */
static const char *tok_desc(const parser *p)
{
    switch (p->t.kind) {
    case T_EOF:
        return "end of text";
    case T_WORD:
        return kw_class(p->s + p->t.off, p->t.len) == KW_RESERVED ? "keyword" : "word";
    case T_QID:
        return "quoted identifier";
    case T_STRING:
        return "string";
    case T_NUMBER:
        return "number";
    default:
        return "token";
    }
}

static int fail_here(parser *p, const char *expected)
{
    if (p->t.kind == T_EOF)
        return fail_at(p, p->len, "expected %s", expected);
    return fail_at(p, p->t.off, "expected %s, found %s", expected, tok_desc(p));
}

static int at_kw(const parser *p, const char *kw)
{
    return p->t.kind == T_WORD && word_is(p->s + p->t.off, p->t.len, kw);
}

static int accept_kw(parser *p, const char *kw)
{
    if (!at_kw(p, kw))
        return 0;
    advance(p);
    return 1;
}

static int expect_kw(parser *p, const char *kw)
{
    if (accept_kw(p, kw))
        return 0;
    return fail_here(p, kw);
}

static int accept(parser *p, int kind)
{
    if (p->t.kind != kind)
        return 0;
    advance(p);
    return 1;
}

static int cur_class(const parser *p) { return kw_class(p->s + p->t.off, p->t.len); }

/* SQLite's "id"/"ids" token ID: a quoted identifier or a bare word that is
 * not reserved (fallback keywords included). */
static int at_id(const parser *p)
{
    int c;
    if (p->t.kind == T_QID)
        return 1;
    if (p->t.kind != T_WORD)
        return 0;
    c = cur_class(p);
    return c == KW_ID || c == KW_CTIME;
}

/* "nm": ID, INDEXED, a join keyword or a 'string'. */
static int at_nm(const parser *p)
{
    int c;
    if (at_id(p) || p->t.kind == T_STRING)
        return 1;
    if (p->t.kind != T_WORD)
        return 0;
    c = cur_class(p);
    return c == KW_JOIN || c == KW_INDEXED;
}

static mig_span tok_span(const token *t)
{
    mig_span sp;
    sp.off = t->off;
    sp.len = t->len;
    return sp;
}

static const char *tok_name(parser *p, const token *t)
{
    char *n = mig_ddl_unquote(p->ar, p->s + t->off, t->len);
    if (!n)
        nomem(p);
    return n;
}

/* Read an "nm" into *name (and *sp when not NULL); what names it in errors. */
static int read_nm(parser *p, const char **name, mig_span *sp, const char *what)
{
    if (!at_nm(p))
        return fail_here(p, what);
    if (sp)
        *sp = tok_span(&p->t);
    *name = tok_name(p, &p->t);
    if (!*name)
        return -1;
    advance(p);
    return p->failed ? -1 : 0;
}

/* Make room for one more element in an arena array. */
static int grow(parser *p, void **arr, int n, int *cap, size_t elsize)
{
    void *na;
    int ncap;
    if (n < *cap)
        return 0;
    if (*cap > INT_MAX / 2)
        return fail_at(p, p->t.off, "too many elements");
    ncap = *cap ? *cap * 2 : 4;
    na = mig_alloc(p->ar, (size_t)ncap * elsize);
    if (!na)
        return nomem(p);
    if (n)
        memcpy(na, *arr, (size_t)n * elsize);
    *arr = na;
    *cap = ncap;
    return 0;
}

typedef struct {
    const char **v;
    int n, cap;
} name_list;

static int list_add(parser *p, name_list *l, const char *s)
{
    void *v = (void *)l->v;
    if (grow(p, &v, l->n, &l->cap, sizeof(*l->v)))
        return -1;
    l->v = v;
    l->v[l->n++] = s;
    return 0;
}

/*
 * The lookahead is "(": skip to the matching ")", setting *inner to the
 * tokens inside (first to last).  An empty pair is an error, so is a ';'
 * or the end of the text before the match.
 */
static int paren_expr(parser *p, mig_span *inner, const char *what)
{
    size_t open = p->t.off, first = NONE, depth = 1;

    if (p->t.kind != T_LP)
        return fail_here(p, "\"(\"");
    advance(p);
    for (;;) {
        if (p->failed)
            return -1;
        if (p->t.kind == T_EOF)
            return fail_at(p, open, "unbalanced parenthesis in %s", what);
        if (p->t.kind == T_SEMI)
            return fail_at(p, p->t.off, "\";\" inside %s", what);
        if (p->t.kind == T_LP)
            depth++;
        else if (p->t.kind == T_RP && --depth == 0)
            break;
        if (first == NONE)
            first = p->t.off;
        advance(p);
    }
    if (first == NONE)
        return fail_at(p, open, "empty %s", what);
    inner->off = first;
    inner->len = p->last_end - first;
    advance(p); /* the ")" */
    return p->failed ? -1 : 0;
}

/* [ON CONFLICT ROLLBACK|ABORT|FAIL|IGNORE|REPLACE] */
static int onconf(parser *p)
{
    if (!accept_kw(p, "ON"))
        return p->failed ? -1 : 0;
    if (expect_kw(p, "CONFLICT"))
        return -1;
    if (accept_kw(p, "ROLLBACK") || accept_kw(p, "ABORT") || accept_kw(p, "FAIL") ||
        accept_kw(p, "IGNORE") || accept_kw(p, "REPLACE"))
        return p->failed ? -1 : 0;
    return fail_here(p, "ROLLBACK, ABORT, FAIL, IGNORE or REPLACE");
}

/* [INITIALLY DEFERRED|IMMEDIATE] after DEFERRABLE */
static int init_deferred(parser *p)
{
    if (!accept_kw(p, "INITIALLY"))
        return p->failed ? -1 : 0;
    if (accept_kw(p, "DEFERRED") || accept_kw(p, "IMMEDIATE"))
        return p->failed ? -1 : 0;
    return fail_here(p, "DEFERRED or IMMEDIATE");
}

/* [COLLATE ids] */
static int opt_collate(parser *p)
{
    if (!accept_kw(p, "COLLATE"))
        return p->failed ? -1 : 0;
    if (!at_id(p) && p->t.kind != T_STRING)
        return fail_here(p, "a collation name");
    advance(p);
    return p->failed ? -1 : 0;
}

/* "(" nm [COLLATE ids] [ASC|DESC], ... ")": a column list of a foreign key. */
static int eidlist(parser *p, name_list *l)
{
    if (p->t.kind != T_LP)
        return fail_here(p, "\"(\"");
    advance(p);
    for (;;) {
        const char *n = NULL;
        if (read_nm(p, &n, NULL, "a column name") || list_add(p, l, n) || opt_collate(p))
            return -1;
        if (!accept_kw(p, "ASC"))
            accept_kw(p, "DESC");
        if (accept(p, T_COMMA))
            continue;
        if (accept(p, T_RP))
            return p->failed ? -1 : 0;
        return fail_here(p, "\",\" or \")\"");
    }
}

/* REFERENCES already read: nm ["(" columns ")"] {MATCH nm | ON INSERT|DELETE|UPDATE action} */
static int fk_target(parser *p, const char **table, name_list *cols)
{
    if (read_nm(p, table, NULL, "the referenced table name"))
        return -1;
    if (p->t.kind == T_LP && eidlist(p, cols))
        return -1;
    for (;;) {
        if (accept_kw(p, "MATCH")) {
            const char *ignored;
            if (read_nm(p, &ignored, NULL, "a MATCH name"))
                return -1;
        } else if (accept_kw(p, "ON")) {
            if (!accept_kw(p, "DELETE") && !accept_kw(p, "UPDATE") && !accept_kw(p, "INSERT"))
                return fail_here(p, "DELETE or UPDATE");
            if (accept_kw(p, "SET")) {
                if (!accept_kw(p, "NULL") && !accept_kw(p, "DEFAULT"))
                    return fail_here(p, "NULL or DEFAULT");
            } else if (accept_kw(p, "NO")) {
                if (expect_kw(p, "ACTION"))
                    return -1;
            } else if (!accept_kw(p, "CASCADE") && !accept_kw(p, "RESTRICT")) {
                return fail_here(p, "SET NULL, SET DEFAULT, CASCADE, RESTRICT or NO ACTION");
            }
        } else {
            return p->failed ? -1 : 0;
        }
    }
}

/* [NOT] DEFERRABLE [INITIALLY ...]; returns 1 if one was read, 0 if none,
 * -1 on error.  The lookahead "NOT" must be followed by DEFERRABLE. */
static int defer_clause(parser *p)
{
    if (at_kw(p, "NOT")) {
        advance(p);
        if (expect_kw(p, "DEFERRABLE"))
            return -1;
    } else if (!accept_kw(p, "DEFERRABLE")) {
        return p->failed ? -1 : 0;
    }
    return init_deferred(p) ? -1 : 1;
}

/* ------------------------------------------------------------------------ */
/* Column definitions                                                       */
/* ------------------------------------------------------------------------ */

typedef struct {
    token t;
    size_t next, last_end;
} lex_state;

static void save_state(const parser *p, lex_state *st)
{
    st->t = p->t;
    st->next = p->next;
    st->last_end = p->last_end;
}

static void restore_state(parser *p, const lex_state *st)
{
    p->t = st->t;
    p->next = st->next;
    p->last_end = st->last_end;
}

/* A type word: ID (fallback keywords included) or a 'string'. */
static int at_type_word(const parser *p) { return at_id(p) || p->t.kind == T_STRING; }

/* Type name: words, then optionally "(" signed ["," signed] ")". */
static int column_type(parser *p, mig_ddl_column *c)
{
    size_t start = p->t.off;
    int nwords = 0;
    lex_state before[2]; /* the states before the last two words */
    token words[2];      /* the last two words */

    memset(before, 0, sizeof before);
    memset(words, 0, sizeof words);
    while (at_type_word(p)) {
        before[0] = before[1];
        words[0] = words[1];
        save_state(p, &before[1]);
        words[1] = p->t;
        nwords++;
        advance(p);
    }
    if (p->failed)
        return -1;
    /* "... GENERATED ALWAYS AS (e)": the words belong to the constraint. */
    if (nwords >= 2 && at_kw(p, "AS") && words[0].kind == T_WORD && words[1].kind == T_WORD &&
        word_is(p->s + words[0].off, words[0].len, "GENERATED") &&
        word_is(p->s + words[1].off, words[1].len, "ALWAYS")) {
        restore_state(p, &before[0]);
        nwords -= 2;
    }
    if (nwords == 0) {
        c->type_span.off = c->name_span.off + c->name_span.len;
        c->type_span.len = 0;
        return 0;
    }
    if (p->t.kind == T_LP) {
        int k;
        advance(p);
        for (k = 0; k < 2; k++) {
            if (!accept(p, T_PLUS))
                accept(p, T_MINUS);
            if (!accept(p, T_NUMBER))
                return fail_here(p, "a number in the type's size");
            if (k == 0 && !accept(p, T_COMMA))
                break;
        }
        if (!accept(p, T_RP))
            return fail_here(p, "\")\" after the type's size");
    }
    c->type_span.off = start;
    c->type_span.len = p->last_end - start;
    return p->failed ? -1 : 0;
}

/* DEFAULT already read: the value. */
static int default_value(parser *p, mig_span *expr)
{
    size_t start = p->t.off;
    int c = (p->t.kind == T_WORD) ? cur_class(p) : -1;

    if (p->t.kind == T_LP) {
        mig_span inner;
        if (paren_expr(p, &inner, "the DEFAULT expression"))
            return -1;
    } else {
        int sign = (p->t.kind == T_PLUS || p->t.kind == T_MINUS);
        if (sign) {
            advance(p);
            c = (p->t.kind == T_WORD) ? cur_class(p) : -1;
        }
        if (p->t.kind == T_NUMBER || p->t.kind == T_STRING || p->t.kind == T_BLOB ||
            c == KW_CTIME || at_kw(p, "NULL")) {
            advance(p);
        } else if (!sign && (at_id(p) || c == KW_INDEXED)) {
            advance(p); /* DEFAULT true, DEFAULT "x", DEFAULT some_word */
        } else {
            return fail_here(p, sign ? "a number, string, blob or NULL after the sign"
                                     : "a DEFAULT value");
        }
    }
    expr->off = start;
    expr->len = p->last_end - start;
    return p->failed ? -1 : 0;
}

/* "(" expr ")" [STORED|VIRTUAL] of a generated column. */
static int generated(parser *p, mig_ddl_colcons *cc)
{
    if (paren_expr(p, &cc->expr, "the generated column expression"))
        return -1;
    if (p->t.kind == T_QID || (p->t.kind == T_WORD && cur_class(p) == KW_ID)) {
        if (at_kw(p, "STORED"))
            cc->stored = 1;
        else if (!at_kw(p, "VIRTUAL"))
            return fail_at(p, p->t.off, "unknown generated column type (expected STORED or VIRTUAL)");
        advance(p);
    }
    return p->failed ? -1 : 0;
}

static int column_def(parser *p, mig_ddl_column *c)
{
    size_t pending = NONE; /* offset of a "CONSTRAINT name" waiting for its constraint */
    const char *pending_name = NULL;
    int cap = 0;

    memset(c, 0, sizeof *c);
    c->def_span.off = p->t.off;
    if (read_nm(p, &c->name, &c->name_span, "a column name") || column_type(p, c))
        return -1;

    for (;;) {
        mig_ddl_colcons cc;
        name_list refcols = {NULL, 0, 0};
        size_t start = p->t.off;
        int is_not;

        if (p->failed)
            return -1;
        if (at_kw(p, "CONSTRAINT")) {
            advance(p);
            if (read_nm(p, &pending_name, NULL, "a constraint name"))
                return -1;
            if (pending == NONE)
                pending = start;
            continue;
        }
        if (p->t.kind == T_COMMA || p->t.kind == T_RP || p->t.kind == T_EOF)
            break;

        is_not = accept_kw(p, "NOT");
        if (accept_kw(p, "DEFERRABLE")) {
            /* [NOT] DEFERRABLE: SQLite applies it to the table's last
             * foreign key; its text goes with the constraint just before. */
            if (init_deferred(p))
                return -1;
            if (pending == NONE && c->ncons > 0) {
                mig_ddl_colcons *prev = &c->cons[c->ncons - 1];
                prev->span.len = p->last_end - prev->span.off;
            }
            continue;
        }

        memset(&cc, 0, sizeof cc);
        cc.span.off = (pending != NONE) ? pending : start;
        cc.name = pending_name;

        if (is_not) {
            if (expect_kw(p, "NULL") || onconf(p))
                return -1;
            cc.kind = MIG_CC_NOT_NULL;
        } else if (accept_kw(p, "NULL")) {
            if (onconf(p))
                return -1;
            cc.kind = MIG_CC_NULL;
        } else if (accept_kw(p, "DEFAULT")) {
            cc.kind = MIG_CC_DEFAULT;
            if (default_value(p, &cc.expr))
                return -1;
        } else if (accept_kw(p, "PRIMARY")) {
            cc.kind = MIG_CC_PRIMARY_KEY;
            if (expect_kw(p, "KEY"))
                return -1;
            if (accept_kw(p, "DESC"))
                cc.desc = 1;
            else
                accept_kw(p, "ASC");
            if (onconf(p))
                return -1;
            if (accept_kw(p, "AUTOINCREMENT"))
                cc.autoincrement = 1;
        } else if (accept_kw(p, "UNIQUE")) {
            cc.kind = MIG_CC_UNIQUE;
            if (onconf(p))
                return -1;
        } else if (accept_kw(p, "CHECK")) {
            cc.kind = MIG_CC_CHECK;
            if (paren_expr(p, &cc.expr, "the CHECK expression"))
                return -1;
        } else if (accept_kw(p, "REFERENCES")) {
            cc.kind = MIG_CC_REFERENCES;
            if (fk_target(p, &cc.ref_table, &refcols))
                return -1;
            cc.ref_columns = refcols.v;
            cc.nref_columns = refcols.n;
        } else if (accept_kw(p, "COLLATE")) {
            cc.kind = MIG_CC_COLLATE;
            if (!at_id(p) && p->t.kind != T_STRING)
                return fail_here(p, "a collation name");
            cc.expr = tok_span(&p->t);
            advance(p);
        } else if (accept_kw(p, "GENERATED")) {
            cc.kind = MIG_CC_GENERATED;
            if (expect_kw(p, "ALWAYS") || expect_kw(p, "AS") || generated(p, &cc))
                return -1;
        } else if (accept_kw(p, "AS")) {
            cc.kind = MIG_CC_GENERATED;
            if (generated(p, &cc))
                return -1;
        } else {
            return fail_at(p, p->t.off, "unexpected %s in the definition of column \"%s\"",
                           tok_desc(p), c->name);
        }
        if (p->failed)
            return -1;
        cc.span.len = p->last_end - cc.span.off;
        {
            void *v = c->cons;
            if (grow(p, &v, c->ncons, &cap, sizeof *c->cons))
                return -1;
            c->cons = v;
        }
        c->cons[c->ncons++] = cc;
        pending = NONE;
        pending_name = NULL;
    }
    if (p->failed)
        return -1;
    c->def_span.len = p->last_end - c->def_span.off;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Table constraints                                                        */
/* ------------------------------------------------------------------------ */

/* A bare word that can stand for a column in an expression: ID, INDEXED or
 * a join keyword (not CURRENT_TIME & co., which are values). */
static int at_expr_name(const parser *p)
{
    int c;
    if (p->t.kind == T_QID || p->t.kind == T_STRING)
        return 1; /* SQLite reads a lone 'string' here as a column name too */
    if (p->t.kind != T_WORD)
        return 0;
    c = cur_class(p);
    return c == KW_ID || c == KW_JOIN || c == KW_INDEXED;
}

/*
 * "(" sortlist ")" of PRIMARY KEY / UNIQUE: elements are expressions with
 * [COLLATE x] [ASC|DESC] [NULLS FIRST|LAST]; an element that is a lone
 * column name (with those) adds the name to l, other expressions are
 * skipped.  pk: a final AUTOINCREMENT is allowed and sets *autoinc.
 */
static int sortlist(parser *p, name_list *l, int pk, int *autoinc)
{
    if (p->t.kind != T_LP)
        return fail_here(p, "\"(\"");
    advance(p);
    for (;;) {
        /* state: 0 start, 1 after the name, 2 after COLLATE x, 3 after
         * ASC/DESC, 4 after NULLS FIRST/LAST, 5 an expression */
        int state = 0;
        size_t depth = 0;
        const char *name = NULL;
        token name_tok = p->t;

        for (;;) {
            if (p->failed)
                return -1;
            if (p->t.kind == T_EOF || p->t.kind == T_SEMI)
                return fail_here(p, "\")\"");
            if (depth == 0 && (p->t.kind == T_COMMA || p->t.kind == T_RP))
                break;
            if (depth == 0 && at_kw(p, "AUTOINCREMENT")) {
                if (state == 0)
                    return fail_here(p, "a column");
                advance(p);
                if (!pk || p->t.kind != T_RP)
                    return fail_at(p, p->last_end, "AUTOINCREMENT must end a PRIMARY KEY column list");
                *autoinc = 1;
                break;
            }
            if (state == 0 && at_expr_name(p)) {
                state = 1;
            } else if (state == 1 && at_kw(p, "COLLATE")) {
                advance(p);
                if (!at_id(p) && p->t.kind != T_STRING)
                    return fail_here(p, "a collation name");
                state = 2;
            } else if ((state == 1 || state == 2) && (at_kw(p, "ASC") || at_kw(p, "DESC"))) {
                state = 3;
            } else if (state >= 1 && state <= 3 && at_kw(p, "NULLS")) {
                advance(p);
                if (!at_kw(p, "FIRST") && !at_kw(p, "LAST"))
                    return fail_here(p, "FIRST or LAST");
                state = 4;
            } else {
                state = 5;
                if (p->t.kind == T_LP)
                    depth++;
                else if (p->t.kind == T_RP)
                    depth--;
            }
            advance(p);
        }
        if (state == 0)
            return fail_here(p, "a column");
        if (state >= 1 && state <= 4) {
            if (!(name = tok_name(p, &name_tok)) || list_add(p, l, name))
                return -1;
        }
        if (accept(p, T_RP))
            return p->failed ? -1 : 0;
        advance(p); /* "," */
    }
}

/*
 * One table constraint, the lookahead on its first token.  *have is 0 when
 * it was only "CONSTRAINT name" with nothing after it (SQLite ignores
 * that).
 */
static int table_constraint(parser *p, mig_ddl_tabcons *tc, int *have)
{
    size_t start = p->t.off;
    name_list cols = {NULL, 0, 0}, refcols = {NULL, 0, 0};

    memset(tc, 0, sizeof *tc);
    *have = 0;
    while (accept_kw(p, "CONSTRAINT")) {
        if (read_nm(p, &tc->name, NULL, "a constraint name"))
            return -1;
    }
    if (tc->name && (p->t.kind == T_COMMA || p->t.kind == T_RP))
        return p->failed ? -1 : 0;

    if (accept_kw(p, "PRIMARY")) {
        tc->kind = MIG_TC_PRIMARY_KEY;
        if (expect_kw(p, "KEY") || sortlist(p, &cols, 1, &tc->autoincrement) || onconf(p))
            return -1;
    } else if (accept_kw(p, "UNIQUE")) {
        tc->kind = MIG_TC_UNIQUE;
        if (sortlist(p, &cols, 0, &tc->autoincrement) || onconf(p))
            return -1;
    } else if (accept_kw(p, "CHECK")) {
        tc->kind = MIG_TC_CHECK;
        if (paren_expr(p, &tc->expr, "the CHECK expression") || onconf(p))
            return -1;
    } else if (accept_kw(p, "FOREIGN")) {
        tc->kind = MIG_TC_FOREIGN_KEY;
        if (expect_kw(p, "KEY") || eidlist(p, &cols) || expect_kw(p, "REFERENCES") ||
            fk_target(p, &tc->ref_table, &refcols) || defer_clause(p) < 0)
            return -1;
    } else if (at_nm(p)) {
        return fail_at(p, p->t.off, "column definitions must come before the table constraints");
    } else {
        return fail_here(p, "PRIMARY KEY, UNIQUE, CHECK or FOREIGN KEY");
    }
    if (p->failed)
        return -1;
    tc->columns = cols.v;
    tc->ncolumns = cols.n;
    tc->ref_columns = refcols.v;
    tc->nref_columns = refcols.n;
    tc->span.off = start;
    tc->span.len = p->last_end - start;
    *have = 1;
    return 0;
}

static int at_table_constraint(const parser *p)
{
    return at_kw(p, "CONSTRAINT") || at_kw(p, "PRIMARY") || at_kw(p, "UNIQUE") ||
           at_kw(p, "CHECK") || at_kw(p, "FOREIGN");
}

/* ------------------------------------------------------------------------ */
/* CREATE TABLE                                                             */
/* ------------------------------------------------------------------------ */

/* [schema "."] name */
static int qualified_name(parser *p, const char **schema, const char **name, mig_span *sp,
                          const char *what)
{
    if (read_nm(p, name, sp, what))
        return -1;
    if (accept(p, T_DOT)) {
        *schema = *name;
        if (read_nm(p, name, sp, what))
            return -1;
    }
    return p->failed ? -1 : 0;
}

/* After the statement: ';'s, white space and comments only. */
static int statement_end(parser *p)
{
    while (accept(p, T_SEMI))
        ;
    if (p->failed)
        return -1;
    if (p->t.kind != T_EOF)
        return fail_at(p, p->t.off, "unexpected text after the end of the statement");
    return 0;
}

static int create_table(parser *p, mig_ddl_table *out)
{
    int colcap = 0, conscap = 0;

    if (expect_kw(p, "CREATE"))
        return -1;
    if (accept_kw(p, "TEMP") || accept_kw(p, "TEMPORARY"))
        out->temp = 1;
    if (at_kw(p, "VIRTUAL"))
        return fail_at(p, p->t.off, "CREATE VIRTUAL TABLE has no column definitions to rebuild");
    if (expect_kw(p, "TABLE"))
        return -1;
    if (accept_kw(p, "IF")) {
        if (expect_kw(p, "NOT") || expect_kw(p, "EXISTS"))
            return -1;
        out->if_not_exists = 1;
    }
    if (qualified_name(p, &out->schema, &out->name, &out->name_span, "a table name"))
        return -1;
    if (at_kw(p, "AS"))
        return fail_at(p, p->t.off,
                       "CREATE TABLE ... AS SELECT has no column definitions to rebuild");
    if (p->t.kind != T_LP)
        return fail_here(p, "\"(\" after the table name");
    out->body.off = p->t.off + 1;
    advance(p);

    /* columns */
    for (;;) {
        if (p->failed)
            return -1;
        if (at_table_constraint(p)) {
            if (out->ncols == 0)
                return fail_at(p, p->t.off, "a table needs a column before its constraints");
            break;
        }
        {
            void *v = out->cols;
            if (grow(p, &v, out->ncols, &colcap, sizeof *out->cols))
                return -1;
            out->cols = v;
        }
        if (column_def(p, &out->cols[out->ncols]))
            return -1;
        out->ncols++;
        if (accept(p, T_COMMA))
            continue;
        if (p->t.kind == T_RP)
            break;
        return fail_here(p, "\",\" or \")\" after the column definition");
    }

    /* table constraints, separated by commas (or, as SQLite allows, not) */
    while (p->t.kind != T_RP) {
        mig_ddl_tabcons tc;
        int have;
        if (table_constraint(p, &tc, &have))
            return -1;
        if (have) {
            void *v = out->cons;
            if (grow(p, &v, out->ncons, &conscap, sizeof *out->cons))
                return -1;
            out->cons = v;
            out->cons[out->ncons++] = tc;
        }
        if (accept(p, T_COMMA))
            continue;
        if (p->t.kind != T_RP && !at_table_constraint(p))
            return fail_here(p, "\",\" or \")\" after the table constraint");
    }
    if (p->failed)
        return -1;
    out->body.len = p->t.off - out->body.off;
    advance(p); /* ")" */

    /* table options */
    out->options.off = out->body.off + out->body.len + 1;
    if (p->t.kind != T_EOF && p->t.kind != T_SEMI) {
        size_t start = p->t.off;
        for (;;) {
            if (accept_kw(p, "WITHOUT")) {
                if (p->t.kind != T_WORD || !word_is(p->s + p->t.off, p->t.len, "ROWID"))
                    return at_nm(p) ? fail_at(p, p->t.off, "unknown table option (expected WITHOUT ROWID)")
                                    : fail_here(p, "ROWID");
                advance(p);
                out->without_rowid = 1;
            } else if (p->t.kind == T_WORD && word_is(p->s + p->t.off, p->t.len, "STRICT")) {
                advance(p);
                out->strict = 1;
            } else if (at_nm(p)) {
                return fail_at(p, p->t.off, "unknown table option (expected WITHOUT ROWID or STRICT)");
            } else {
                return fail_here(p, "WITHOUT ROWID, STRICT or the end of the statement");
            }
            if (!accept(p, T_COMMA))
                break;
        }
        if (p->failed)
            return -1;
        out->options.off = start;
        out->options.len = p->last_end - start;
    }
    return statement_end(p);
}

int mig_ddl_parse_create_table(mig_arena *ar, const char *sql, size_t len, mig_ddl_table *out,
                               mig_err *err)
{
    parser p;

    if (!ar || !out || !err || (!sql && len)) {
        if (out)
            memset(out, 0, sizeof *out);
        return err ? mig_fail(err, MIG_E_INPUT, "mig_ddl_parse_create_table: invalid arguments")
                   : -1;
    }
    memset(out, 0, sizeof *out);
    mig_err_clear(err);
    parser_init(&p, ar, sql ? sql : "", len, err, "CREATE TABLE");
    if (create_table(&p, out) || p.failed) {
        memset(out, 0, sizeof *out);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* CREATE INDEX                                                             */
/* ------------------------------------------------------------------------ */

static int create_index(parser *p, mig_ddl_index *out)
{
    if (expect_kw(p, "CREATE"))
        return -1;
    if (accept_kw(p, "UNIQUE"))
        out->unique = 1;
    if (expect_kw(p, "INDEX"))
        return -1;
    if (accept_kw(p, "IF")) {
        if (expect_kw(p, "NOT") || expect_kw(p, "EXISTS"))
            return -1;
        out->if_not_exists = 1;
    }
    if (qualified_name(p, &out->schema, &out->name, &out->name_span, "an index name") ||
        expect_kw(p, "ON") || read_nm(p, &out->table, &out->table_span, "a table name"))
        return -1;
    if (paren_expr(p, &out->columns, "the indexed columns"))
        return -1;
    out->where.off = p->t.off;
    if (accept_kw(p, "WHERE")) {
        size_t start = p->t.off;
        out->where.off = start;
        while (p->t.kind != T_EOF && p->t.kind != T_SEMI && !p->failed)
            advance(p);
        if (p->failed)
            return -1;
        if (p->t.off == start)
            return fail_here(p, "an expression after WHERE");
        out->where.len = p->last_end - start;
    }
    return statement_end(p);
}

int mig_ddl_parse_create_index(mig_arena *ar, const char *sql, size_t len, mig_ddl_index *out,
                               mig_err *err)
{
    parser p;

    if (!ar || !out || !err || (!sql && len)) {
        if (out)
            memset(out, 0, sizeof *out);
        return err ? mig_fail(err, MIG_E_INPUT, "mig_ddl_parse_create_index: invalid arguments")
                   : -1;
    }
    memset(out, 0, sizeof *out);
    mig_err_clear(err);
    parser_init(&p, ar, sql ? sql : "", len, err, "CREATE INDEX");
    if (create_index(&p, out) || p.failed) {
        memset(out, 0, sizeof *out);
        return -1;
    }
    return 0;
}
