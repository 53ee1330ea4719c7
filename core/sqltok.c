/*
 * sqltok.c - SQL statement splitter of mig's shared engine (see sqltok.h).
 *
 * The splitter is a small hand-written lexer.  It only knows as much SQL as
 * it takes to find the ';' that ends a statement:
 *
 *   - tokens that may contain a ';' and must be skipped whole: quoted strings,
 *     quoted identifiers, comments, PostgreSQL dollar quotes;
 *   - bare words, so that keywords are recognised as whole words only;
 *   - parentheses (PostgreSQL, as psql does: "DO ALSO (a; b)");
 *   - two statement forms whose body holds several ';'-terminated statements:
 *       SQLite      [EXPLAIN [QUERY PLAN]] CREATE [TEMP|TEMPORARY] TRIGGER ...
 *                   BEGIN stmt; ... END
 *       PostgreSQL  CREATE [OR REPLACE] FUNCTION|PROCEDURE ... BEGIN ATOMIC
 *                   stmt; ... END
 *
 * Trigger bodies (SQLite).  Every statement of a trigger body ends with ';'
 * and the body holds at least one (the grammar requires both), so the END
 * that closes the body is exactly the first END that follows a ';' after
 * the BEGIN.  CASE ... END never follows a ';', and neither does a column
 * named "end", which SQLite allows.  This is also the rule of
 * sqlite3_complete() (which does not look for the BEGIN at all).  BEGIN can
 * be an identifier in SQLite (a trigger, table or column named begin, as in
 * "WHEN CASE WHEN x THEN begin END BEGIN ..."), so a body opened too early
 * must not close at an END that does not follow a ';'.
 *
 * BEGIN ATOMIC bodies (PostgreSQL).  As in psql, BEGIN ATOMIC opens a level,
 * CASE opens one and END closes one, counting only words outside
 * parentheses; the body ends when the count drops back to zero.  END and
 * CASE are reserved words, but they can still be column labels (SELECT 1
 * AS end, t.case, SELECT 1 end), which psql miscounts.  Following the
 * grammar instead: CASE and END right after '.' or AS are labels; a ';'
 * closes any CASE left open (none can be, outside parentheses, in valid
 * SQL); and the END of the body comes right after a ';' or the ATOMIC (a
 * body statement cannot start with END), so an END outside any CASE
 * anywhere else is a bare label.  A body statement that is itself a
 * CREATE [OR REPLACE] FUNCTION|PROCEDURE ... BEGIN ATOMIC opens a body
 * inside the body, closed by its own END.
 *
 * Lexical rules follow the databases' own tokenizers (SQLite 3.40's
 * sqlite3GetToken, PostgreSQL 15's scan.l) for every token that can hold a
 * ';', a quote or a comment starter; tests/fuzz/fuzz_split_sqlite.c and
 * fuzz_split_pg.c compare the splits with theirs:
 *
 *   SQLite      white space starts with [ \t\n\f\r] and runs on over \v too;
 *               a \v that starts a token is an illegal character, a UTF-8
 *               BOM that starts one is white space; "--" comments end at
 *               "\n" only; an unterminated block comment runs to the end of
 *               the input (but "/" "*" as the last two bytes are two
 *               operators); parameters $name :name @name #name may hold
 *               "::" and end with a TCL "(...)" suffix that takes everything
 *               up to ')' or white space, quotes included ($a(') is one
 *               token).
 *   PostgreSQL  \v is not white space; "--" comments end at "\n" or "\r";
 *               block comments nest; E'...' strings continue over white
 *               space holding a newline into a next '...' that keeps the
 *               backslash escapes ({quotecontinue}).
 *
 * Line numbers are not tracked token by token: the scanner remembers the
 * line of one offset and counts line breaks forward only when a line number
 * is actually needed (a statement start, an error).
 */
#include "sqltok.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

/* Returned by the skip_* helpers for a token that runs off the buffer. */
#define UNTERMINATED ((size_t)-1)

/* ------------------------------------------------------------------------ */
/* Character classes.  ASCII only and locale independent; bytes >= 0x80 are */
/* identifier characters, as in both PostgreSQL and SQLite.                 */
/* ------------------------------------------------------------------------ */

/* SQLite's sqlite3Isspace(): what continues a run of white space (and ends
 * a TCL parameter suffix). */
static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Characters that start white space: SQLite's CC_SPACE class, and all of
 * PostgreSQL's {space} (in PostgreSQL 15, \v is an ordinary character). */
static int is_space_start(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static int is_alpha(unsigned char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

/* First character of an identifier (and of a dollar-quote tag). */
static int is_ident_start(unsigned char c) { return is_alpha(c) || c == '_' || c >= 0x80; }

/* Later characters of a dollar-quote tag: no '$'. */
static int is_tag_char(unsigned char c) { return is_ident_start(c) || is_digit(c); }

/* Later characters of an identifier: '$' is allowed after the first. */
static int is_ident_cont(unsigned char c) { return is_tag_char(c) || c == '$'; }

static unsigned char to_upper(unsigned char c)
{
    return (c >= 'a' && c <= 'z') ? (unsigned char)(c - 'a' + 'A') : c;
}

/* 1 if the n bytes at p spell keyword kw (upper case), ignoring case. */
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
/* Line counting                                                            */
/* ------------------------------------------------------------------------ */

/* Number of line breaks ("\n", "\r\n" or a lone "\r") in s[from, to).  A
 * "\r" counts only when no "\n" follows it anywhere in the buffer, so the
 * count does not depend on where a range is cut. */
static size_t count_breaks(const char *s, size_t len, size_t from, size_t to)
{
    size_t n = 0, i;
    for (i = from; i < to; i++) {
        if (s[i] == '\n' || (s[i] == '\r' && (i + 1 >= len || s[i + 1] != '\n')))
            n++;
    }
    return n;
}

/* ------------------------------------------------------------------------ */
/* Skipping tokens that can hide a ';'.  Each takes the offset of the token */
/* and returns the offset just past it, or UNTERMINATED.                    */
/* ------------------------------------------------------------------------ */

/* A quoted token opened by s[i] == q: '...', "...", `...`.  A doubled quote
 * stands for itself.  With backslash set (PostgreSQL E'...'), a backslash
 * escapes the next byte, including a quote. */
static size_t skip_quoted(const char *s, size_t len, size_t i, char q, int backslash)
{
    for (i++; i < len; i++) {
        if (backslash && s[i] == '\\') {
            i++; /* skip the escaped byte (the loop's i++ moves past it) */
            continue;
        }
        if (s[i] == q) {
            if (i + 1 < len && s[i + 1] == q) {
                i++; /* doubled quote */
                continue;
            }
            return i + 1;
        }
    }
    return UNTERMINATED;
}

/* SQLite [identifier]: no escapes, ends at the first ']'. */
static size_t skip_bracket(const char *s, size_t len, size_t i)
{
    const char *e = memchr(s + i + 1, ']', len - i - 1);
    return e ? (size_t)(e - s) + 1 : UNTERMINATED;
}

/* "-- ..." up to (not including) the line break, or to the end.  SQLite
 * ends it at "\n" only, PostgreSQL at "\n" or "\r". */
static size_t skip_line_comment(const char *s, size_t len, size_t i, int pg)
{
    for (i += 2; i < len; i++) {
        if (s[i] == '\n' || (pg && s[i] == '\r'))
            break;
    }
    return i;
}

/* Block comment opened by "/" "*" at i.  PostgreSQL nests them and an
 * unterminated one is an error; SQLite ends it at the first "*" "/", or at
 * the end of the input. */
static size_t skip_block_comment(const char *s, size_t len, size_t i, int pg)
{
    size_t depth = 1;
    i += 2;
    while (i < len) {
        if (s[i] == '*' && i + 1 < len && s[i + 1] == '/') {
            i += 2;
            if (--depth == 0)
                return i;
        } else if (pg && s[i] == '/' && i + 1 < len && s[i + 1] == '*') {
            i += 2;
            depth++;
        } else {
            i++;
        }
    }
    return pg ? UNTERMINATED : len;
}

/* Length of the dollar-quote delimiter ("$$" or "$tag$") at s[i] == '$', or
 * 0 when there is none there ("$1" is a parameter, "$x" alone is not a
 * delimiter).  The tag is an identifier that does not start with a digit and
 * holds no '$'. */
static size_t dollar_delim_len(const char *s, size_t len, size_t i)
{
    size_t j = i + 1;
    if (j < len && s[j] != '$') {
        if (!is_ident_start((unsigned char)s[j]))
            return 0;
        while (j < len && is_tag_char((unsigned char)s[j]))
            j++;
    }
    if (j >= len || s[j] != '$')
        return 0;
    return j + 1 - i;
}

/* Dollar-quoted string whose opening delimiter of dlen bytes is at i: ends
 * after the next occurrence of the same delimiter (case-sensitive).  As the
 * tag holds no '$', every comparison stops at the next '$' of the body, so
 * the search is linear. */
static size_t skip_dollar(const char *s, size_t len, size_t i, size_t dlen)
{
    size_t j = i + dlen;
    while (j < len) {
        const char *d = memchr(s + j, '$', len - j);
        if (!d)
            break;
        j = (size_t)(d - s);
        if (len - j >= dlen && memcmp(s + j, s + i, dlen) == 0)
            return j + dlen;
        j++;
    }
    return UNTERMINATED;
}

/* End of the comment starting at i: i itself when no comment starts there,
 * UNTERMINATED for an unterminated PostgreSQL block comment.  In SQLite,
 * "/" "*" as the last two bytes are not a comment but two operators. */
static size_t skip_comment(const char *s, size_t len, size_t i, int pg)
{
    if (i + 1 < len && s[i] == '-' && s[i + 1] == '-')
        return skip_line_comment(s, len, i, pg);
    if (i + 1 < len && s[i] == '/' && s[i + 1] == '*' && (pg || i + 2 < len))
        return skip_block_comment(s, len, i, pg);
    return i;
}

/* 1 if a UTF-8 byte order mark starts at i (white space to SQLite). */
static int is_bom(const char *s, size_t len, size_t i)
{
    return len - i >= 3 && (unsigned char)s[i] == 0xEF && (unsigned char)s[i + 1] == 0xBB &&
           (unsigned char)s[i + 2] == 0xBF;
}

/* End of the white space or comment token starting at i: i itself when
 * none starts there, UNTERMINATED for an unterminated PostgreSQL block
 * comment.  i must be at a token start. */
static size_t skip_blank_token(const char *s, size_t len, size_t i, int pg)
{
    if (i >= len)
        return i;
    if (is_space_start((unsigned char)s[i])) {
        for (i++; i < len && (pg ? is_space_start((unsigned char)s[i]) : is_space((unsigned char)s[i]));
             i++)
            ;
        return i;
    }
    if (!pg && is_bom(s, len, i))
        return i + 3;
    return skip_comment(s, len, i, pg);
}

/* Offset of the first byte at or after i that is neither white space nor in
 * a comment; len at the end (also when a block comment is unterminated). */
static size_t skip_insignificant(const char *s, size_t len, size_t i, int pg)
{
    while (i < len) {
        size_t e = skip_blank_token(s, len, i, pg);
        if (e == i)
            break;
        i = (e == UNTERMINATED) ? len : e;
    }
    return i;
}

/* SQLite parameter $name :name @name #name at i (sqlite3GetToken, cases
 * CC_DOLLAR and CC_VARALPHA): identifier characters and "::" pairs, and
 * after at least one identifier character an optional TCL suffix "(...)"
 * that ends at the first ')' (taken) or white space (not taken), whatever
 * lies between: quotes, ';', comment starters.  A '$' alone is a one-byte
 * token.  SQLite stops at a NUL byte; so does this. */
static size_t skip_sqlite_variable(const char *s, size_t len, size_t i)
{
    size_t n = 0;
    for (i++; i < len && s[i] != '\0'; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_ident_cont(c)) {
            n++;
        } else if (c == '(' && n > 0) {
            do
                i++;
            while (i < len && s[i] != '\0' && !is_space((unsigned char)s[i]) && s[i] != ')');
            if (i < len && s[i] == ')')
                i++;
            return i;
        } else if (c == ':' && i + 1 < len && s[i + 1] == ':') {
            i++;
        } else {
            break;
        }
    }
    return i;
}

static int is_xdigit(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* SQLite number at i (a digit, or '.' before a digit), as sqlite3GetToken
 * of SQLite 3.40 reads it: 0x and hex digits (nothing glued), or digits
 * [. digits] [e [+-] digits] with any identifier characters glued to it
 * ('$' included: "1$a(" is the token "1$a" and '(', not a parameter). */
static size_t skip_sqlite_number(const char *s, size_t len, size_t i)
{
    if (s[i] == '0' && i + 2 < len && (s[i + 1] == 'x' || s[i + 1] == 'X') &&
        is_xdigit((unsigned char)s[i + 2])) {
        for (i += 3; i < len && is_xdigit((unsigned char)s[i]); i++)
            ;
        return i;
    }
    while (i < len && is_digit((unsigned char)s[i]))
        i++;
    if (i < len && s[i] == '.') {
        for (i++; i < len && is_digit((unsigned char)s[i]); i++)
            ;
    }
    if (i + 1 < len && (s[i] == 'e' || s[i] == 'E') &&
        (is_digit((unsigned char)s[i + 1]) ||
         ((s[i + 1] == '+' || s[i + 1] == '-') && i + 2 < len && is_digit((unsigned char)s[i + 2])))) {
        for (i += 2; i < len && is_digit((unsigned char)s[i]); i++)
            ;
    }
    while (i < len && is_ident_cont((unsigned char)s[i]))
        i++;
    return i;
}

/* PostgreSQL 15 number at i (a digit, or '.' before a digit): digits, then
 * '.' and digits unless ".." follows the digits (1..2 is 1, "..", 2), then
 * an exponent e[+-]digits.  Identifier characters glued to it ("1end",
 * "1e", "1.E") make "trailing junk after numeric literal", an error to the
 * server; they are kept in the token so that no keyword is read from them.
 * '$' is not taken: "1$$...$$" is a number and a dollar quote. */
static size_t skip_pg_number(const char *s, size_t len, size_t i)
{
    size_t j;
    while (i < len && is_digit((unsigned char)s[i]))
        i++;
    if (i < len && s[i] == '.' && !(i + 1 < len && s[i + 1] == '.')) {
        for (i++; i < len && is_digit((unsigned char)s[i]); i++)
            ;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        j = i + 1;
        if (j < len && (s[j] == '+' || s[j] == '-'))
            j++;
        if (j < len && is_digit((unsigned char)s[j])) {
            for (i = j; i < len && is_digit((unsigned char)s[i]); i++)
                ;
        }
    }
    while (i < len && is_tag_char((unsigned char)s[i]))
        i++;
    return i;
}

/* PostgreSQL {quotecontinue}: after a string literal ending at i, white
 * space that holds at least one newline ("--" comments allowed: horizontal
 * space and comments, a newline, then any space and "comment newline"
 * sequences) followed by a quote continues the literal.  Returns the offset
 * of that quote, or 0 when the literal ends at i. */
static size_t quote_continue(const char *s, size_t len, size_t i)
{
    while (i < len) {
        if (s[i] == ' ' || s[i] == '\t' || s[i] == '\f')
            i++;
        else if (s[i] == '-' && i + 1 < len && s[i + 1] == '-')
            i = skip_line_comment(s, len, i, 1);
        else
            break;
    }
    if (i >= len || (s[i] != '\n' && s[i] != '\r'))
        return 0;
    for (i++; i < len;) {
        if (is_space_start((unsigned char)s[i])) {
            i++;
        } else if (s[i] == '-' && i + 1 < len && s[i + 1] == '-') {
            i = skip_line_comment(s, len, i, 1);
            if (i >= len)
                return 0;
            i++; /* the newline that ends the comment */
        } else {
            break;
        }
    }
    return (i < len && s[i] == '\'') ? i : 0;
}

/* PostgreSQL E'...' string whose first quote is at i: backslash escapes, in
 * the continuation segments too. */
static size_t skip_escape_string(const char *s, size_t len, size_t i)
{
    for (;;) {
        size_t e = skip_quoted(s, len, i, '\'', 1), q;
        if (e == UNTERMINATED)
            return e;
        q = quote_continue(s, len, e);
        if (q == 0)
            return e;
        i = q;
    }
}

/* ------------------------------------------------------------------------ */
/* The scanner                                                              */
/* ------------------------------------------------------------------------ */

typedef struct {
    const char *s;
    size_t len;
    int pg;           /* 1 for PostgreSQL rules, 0 for SQLite */
    size_t line_off;  /* line is the line number of offset line_off */
    unsigned line;
    char *errbuf;
    size_t errlen;
} scanner;

/* Line number of offset off. */
static unsigned line_at(scanner *sc, size_t off)
{
    size_t n;
    if (off < sc->line_off) { /* never happens in practice; stay correct */
        sc->line_off = 0;
        sc->line = 1;
    }
    n = count_breaks(sc->s, sc->len, sc->line_off, off);
    sc->line = (n > (size_t)(UINT_MAX - sc->line)) ? UINT_MAX : sc->line + (unsigned)n;
    sc->line_off = off;
    return sc->line;
}

static void set_error(char *errbuf, size_t errlen, const char *msg)
{
    if (errbuf && errlen > 0)
        snprintf(errbuf, errlen, "%s", msg);
}

/* Report "unterminated WHAT starting at line N" for a token at offset off. */
static void fail(scanner *sc, const char *what, size_t off)
{
    unsigned line = line_at(sc, off);
    if (sc->errbuf && sc->errlen > 0)
        snprintf(sc->errbuf, sc->errlen, "unterminated %s starting at line %u", what, line);
}

/* Token kinds that matter to the statement state. */
enum { T_WORD, T_SEMI, T_OPEN, T_CLOSE, T_OTHER };

/* How far the statement head "[EXPLAIN [QUERY PLAN]] CREATE [TEMP] TRIGGER" /
 * "CREATE [OR REPLACE] FUNCTION|PROCEDURE" has been matched. */
enum {
    H_START,
    H_EXPLAIN,
    H_EXPLAIN_QUERY,
    H_EXPLAIN_PLAN,
    H_CREATE,
    H_CREATE_TEMP,
    H_CREATE_OR,
    H_CREATE_OR_REPLACE,
    H_DONE
};

/* What kind of statement it is, as far as ';' is concerned. */
enum { K_PLAIN, K_TRIGGER, K_ROUTINE };

typedef struct {
    int head;           /* H_*: head matching progress */
    int kind;           /* K_* */
    size_t paren;       /* parenthesis depth (never below 0) */
    int in_body;        /* inside BEGIN ... END: ';' does not end the statement */
    int body_done;      /* the body was closed; no second one */
    size_t begin_off;   /* offset of the BEGIN that opened the body */
    int after_semi;     /* SQLite: previous body token was ';' */
    int pending_begin;  /* PostgreSQL: previous token was BEGIN (ATOMIC?) */
    size_t depth;       /* PostgreSQL: CASE levels open in the current body statement */
    size_t atomic;      /* PostgreSQL: BEGIN ATOMIC bodies open (a body statement can be a
                           CREATE FUNCTION with a body of its own) */
    int body_prev;      /* PostgreSQL: previous body token (B_*) */
    int ihead;          /* PostgreSQL: head of the current body statement (IH_*) */
    int ipending;       /* PostgreSQL: in a body's CREATE FUNCTION, previous token was BEGIN */
} stmt_state;

/* The head of a statement inside a BEGIN ATOMIC body: CREATE [OR REPLACE]
 * FUNCTION|PROCEDURE opens a body of its own at its BEGIN ATOMIC. */
enum { IH_START, IH_CREATE, IH_CREATE_OR, IH_CREATE_OR_REPLACE, IH_ROUTINE, IH_DONE };

/* The previous token in a BEGIN ATOMIC body, as far as CASE / END care. */
enum { B_OTHER, B_START, B_LABEL };

/* Advance the head matcher by one significant token. */
static void feed_head(stmt_state *st, int pg, int tok, const char *w, size_t n)
{
    int next = H_DONE;
    if (tok == T_WORD) {
        switch (st->head) {
        case H_START:
            if (word_is(w, n, "CREATE"))
                next = H_CREATE;
            else if (!pg && word_is(w, n, "EXPLAIN"))
                next = H_EXPLAIN;
            break;
        case H_EXPLAIN:
            if (word_is(w, n, "QUERY"))
                next = H_EXPLAIN_QUERY;
            else if (word_is(w, n, "CREATE"))
                next = H_CREATE;
            break;
        case H_EXPLAIN_QUERY:
            if (word_is(w, n, "PLAN"))
                next = H_EXPLAIN_PLAN;
            break;
        case H_EXPLAIN_PLAN:
            if (word_is(w, n, "CREATE"))
                next = H_CREATE;
            break;
        case H_CREATE:
            if (!pg && (word_is(w, n, "TEMP") || word_is(w, n, "TEMPORARY")))
                next = H_CREATE_TEMP;
            else if (!pg && word_is(w, n, "TRIGGER"))
                st->kind = K_TRIGGER;
            else if (pg && word_is(w, n, "OR"))
                next = H_CREATE_OR;
            else if (pg && (word_is(w, n, "FUNCTION") || word_is(w, n, "PROCEDURE")))
                st->kind = K_ROUTINE;
            break;
        case H_CREATE_TEMP:
            if (word_is(w, n, "TRIGGER"))
                st->kind = K_TRIGGER;
            break;
        case H_CREATE_OR:
            if (word_is(w, n, "REPLACE"))
                next = H_CREATE_OR_REPLACE;
            break;
        case H_CREATE_OR_REPLACE:
            if (word_is(w, n, "FUNCTION") || word_is(w, n, "PROCEDURE"))
                st->kind = K_ROUTINE;
            break;
        default:
            break;
        }
    }
    st->head = next;
}

/* Track BEGIN ... END bodies; off is the token's offset. */
static void feed_body(stmt_state *st, int tok, const char *w, size_t n, size_t off)
{
    if (st->kind == K_TRIGGER) {
        if (!st->in_body) {
            if (!st->body_done && tok == T_WORD && st->paren == 0 && word_is(w, n, "BEGIN")) {
                st->in_body = 1;
                st->begin_off = off;
                st->after_semi = 0; /* "BEGIN END" is no body (and begin may be a name) */
            }
            return;
        }
        if (tok == T_WORD && st->after_semi && word_is(w, n, "END")) {
            st->in_body = 0;
            st->body_done = 1;
            return;
        }
        st->after_semi = (tok == T_SEMI);
    } else if (st->kind == K_ROUTINE) {
        if (!st->in_body) {
            if (st->body_done)
                return;
            if (st->pending_begin && tok == T_WORD && word_is(w, n, "ATOMIC")) {
                st->pending_begin = 0;
                st->in_body = 1;
                st->atomic = 1;
                st->depth = 0;
                st->body_prev = B_START;
                st->ihead = IH_START;
                st->ipending = 0;
                return;
            }
            st->pending_begin = (tok == T_WORD && st->paren == 0 && word_is(w, n, "BEGIN"));
            if (st->pending_begin)
                st->begin_off = off;
            return;
        }
        {
            int prev = st->body_prev;
            st->body_prev = ((tok == T_OTHER && n == 1 && w[0] == '.') ||
                             (tok == T_WORD && word_is(w, n, "AS")))
                                ? B_LABEL
                                : B_OTHER;
            if (st->paren != 0)
                return;
            if (tok == T_SEMI) {
                st->depth = 0; /* no CASE is open at a ';' */
                st->body_prev = B_START;
                st->ihead = IH_START;
                st->ipending = 0;
                return;
            }
            /* a CREATE FUNCTION in the body: its BEGIN ATOMIC opens a body inside this one */
            if (tok != T_WORD) {
                if (st->ihead != IH_ROUTINE)
                    st->ihead = IH_DONE;
            } else if (st->ihead == IH_START) {
                st->ihead = word_is(w, n, "CREATE") ? IH_CREATE : IH_DONE;
            } else if (st->ihead == IH_CREATE && word_is(w, n, "OR")) {
                st->ihead = IH_CREATE_OR;
            } else if (st->ihead == IH_CREATE_OR) {
                st->ihead = word_is(w, n, "REPLACE") ? IH_CREATE_OR_REPLACE : IH_DONE;
            } else if (st->ihead == IH_CREATE || st->ihead == IH_CREATE_OR_REPLACE) {
                st->ihead = word_is(w, n, "FUNCTION") || word_is(w, n, "PROCEDURE") ? IH_ROUTINE : IH_DONE;
            }
            if (st->ihead == IH_ROUTINE) {
                if (st->ipending && tok == T_WORD && word_is(w, n, "ATOMIC")) {
                    st->atomic++;
                    st->depth = 0;
                    st->body_prev = B_START;
                    st->ihead = IH_START;
                    st->ipending = 0;
                    return;
                }
                st->ipending = tok == T_WORD && word_is(w, n, "BEGIN");
            }
            if (tok == T_WORD && prev != B_LABEL && word_is(w, n, "CASE")) {
                st->depth++;
            } else if (tok == T_WORD && prev != B_LABEL && word_is(w, n, "END")) {
                if (st->depth > 0) {
                    st->depth--;
                } else if (prev == B_START) {
                    /* the END of a body: the innermost one; the statement that
                     * opened a nested body goes on to its ';' */
                    if (--st->atomic == 0) {
                        st->in_body = 0;
                        st->body_done = 1;
                    } else {
                        st->ihead = IH_DONE;
                    }
                } /* else a bare column label */
            }
        }
    }
}

/* Lex one significant token other than ';' at i (no white space, no
 * comment).  Sets *tok and returns the offset past it, or UNTERMINATED after
 * reporting the error. */
static size_t lex_token(scanner *sc, size_t i, int *tok)
{
    const char *s = sc->s;
    size_t len = sc->len, e, n;
    unsigned char c = (unsigned char)s[i];

    *tok = T_OTHER;
    switch (c) {
    case '\'':
        e = skip_quoted(s, len, i, '\'', 0);
        if (e == UNTERMINATED)
            fail(sc, "quoted string", i);
        return e;
    case '"':
        e = skip_quoted(s, len, i, '"', 0);
        if (e == UNTERMINATED)
            fail(sc, "quoted identifier", i);
        return e;
    case '(':
        *tok = T_OPEN;
        return i + 1;
    case ')':
        *tok = T_CLOSE;
        return i + 1;
    default:
        break;
    }

    if (!sc->pg) {
        if (c == '`') {
            e = skip_quoted(s, len, i, '`', 0);
            if (e == UNTERMINATED)
                fail(sc, "backtick-quoted identifier", i);
            return e;
        }
        if (c == '[') {
            e = skip_bracket(s, len, i);
            if (e == UNTERMINATED)
                fail(sc, "bracket-quoted identifier", i);
            return e;
        }
        /* Parameters $name :name @name #name $a::b(...): one token, so
         * that ":end" is not the keyword END and $a(';') hides no ';'. */
        if (c == '$' || c == ':' || c == '@' || c == '#')
            return skip_sqlite_variable(s, len, i);
        if (c == '?') { /* ?NNN: "?1begin" is ?1 and the word begin */
            for (e = i + 1; e < len && is_digit((unsigned char)s[e]); e++)
                ;
            return e;
        }
    } else if (c == '$') {
        if (i + 1 < len && is_digit((unsigned char)s[i + 1])) {
            /* parameter $n ("$1.E'..'" is $1, '.' and an E'' string);
             * identifier characters glued to it are an error to the
             * server, kept in the token */
            for (e = i + 1; e < len && is_digit((unsigned char)s[e]); e++)
                ;
            while (e < len && is_tag_char((unsigned char)s[e]))
                e++;
            return e;
        }
        n = dollar_delim_len(s, len, i);
        if (n == 0)
            return i + 1; /* a stray '$' ("$x" without a closing '$') */
        e = skip_dollar(s, len, i, n);
        if (e == UNTERMINATED)
            fail(sc, "dollar-quoted string", i);
        return e;
    }

    if (is_ident_start(c)) {
        for (e = i + 1; e < len && is_ident_cont((unsigned char)s[e]); e++)
            ;
        /* PostgreSQL E'...': backslash escapes.  (U&'...', B'...', X'...'
         * and N'...' are lexed like plain strings, which they are for the
         * purpose of finding their end.) */
        if (sc->pg && e == i + 1 && (c == 'E' || c == 'e') && e < len && s[e] == '\'') {
            e = skip_escape_string(s, len, e);
            if (e == UNTERMINATED)
                fail(sc, "quoted string", i);
            return e;
        }
        *tok = T_WORD;
        return e;
    }

    if (is_digit(c) || (c == '.' && i + 1 < len && is_digit((unsigned char)s[i + 1])))
        return sc->pg ? skip_pg_number(s, len, i) : skip_sqlite_number(s, len, i);
    if (sc->pg && c == '.' && i + 1 < len && s[i + 1] == '.')
        return i + 2; /* PostgreSQL's ".." (DOT_DOT): "..5" is not '.' and ".5" */

    return i + 1; /* operator or punctuation byte */
}

/* Find the statement at or after *pos; see mig_sql_next. */
static mig_tok_result scan_stmt(scanner *sc, size_t *pos, mig_sql_stmt *out)
{
    const char *s = sc->s;
    size_t len = sc->len;
    size_t i = *pos, e, start, last_end;
    int terminated = 0;
    stmt_state st;

    /* 1. Skip white space, comments and empty statements. */
    for (;;) {
        if (i >= len) {
            *pos = len;
            return MIG_TOK_END;
        }
        if (s[i] == ';') {
            i++;
            continue;
        }
        e = skip_blank_token(s, len, i, sc->pg);
        if (e == UNTERMINATED) {
            fail(sc, "block comment", i);
            return MIG_TOK_ERROR;
        }
        if (e == i)
            break;
        i = e;
    }

    /* 2. Read tokens up to a ';' that ends the statement. */
    start = i;
    last_end = i; /* end of the last significant token */
    memset(&st, 0, sizeof st);
    st.head = H_START;
    st.kind = K_PLAIN;
    while (i < len) {
        size_t tok_start = i;
        int tok;

        e = skip_blank_token(s, len, i, sc->pg);
        if (e == UNTERMINATED) {
            fail(sc, "block comment", i);
            return MIG_TOK_ERROR;
        }
        if (e != i) {
            i = e;
            continue;
        }

        if (s[i] == ';') {
            if (!st.in_body && (!sc->pg || st.paren == 0)) {
                terminated = 1;
                break;
            }
            tok = T_SEMI;
            i++;
        } else {
            i = lex_token(sc, i, &tok);
            if (i == UNTERMINATED)
                return MIG_TOK_ERROR;
        }
        last_end = i;

        if (tok == T_OPEN)
            st.paren++;
        else if (tok == T_CLOSE && st.paren > 0)
            st.paren--;
        if (st.head != H_DONE)
            feed_head(&st, sc->pg, tok, s + tok_start, i - tok_start);
        feed_body(&st, tok, s + tok_start, i - tok_start, tok_start);
    }

    if (st.in_body) {
        fail(sc, sc->pg ? "BEGIN ATOMIC block (no matching END)"
                        : "trigger body (BEGIN without END)",
             st.begin_off);
        return MIG_TOK_ERROR;
    }

    out->start = start;
    out->len = last_end - start;
    out->line = line_at(sc, start);
    *pos = terminated ? i + 1 : len;
    return MIG_TOK_OK;
}

/* Shared entry of mig_sql_next and mig_sql_iter_next: *line is the line
 * number of *pos, updated with it on OK and END. */
static mig_tok_result next_stmt(const char *sql, size_t len, size_t *pos, unsigned *line,
                                mig_dialect d, mig_sql_stmt *out, char *errbuf, size_t errlen)
{
    scanner sc;
    size_t p;
    mig_tok_result r;

    if ((!sql && len > 0) || !pos || !out) {
        set_error(errbuf, errlen, "invalid arguments to mig_sql_next");
        return MIG_TOK_ERROR;
    }
    if (d != MIG_DIALECT_SQLITE && d != MIG_DIALECT_POSTGRES) {
        set_error(errbuf, errlen, "unknown SQL dialect");
        return MIG_TOK_ERROR;
    }
    if (*pos >= len) {
        *pos = len;
        return MIG_TOK_END;
    }

    sc.s = sql;
    sc.len = len;
    sc.pg = (d == MIG_DIALECT_POSTGRES);
    sc.line_off = *pos;
    sc.line = *line;
    sc.errbuf = errbuf;
    sc.errlen = errlen;

    p = *pos;
    r = scan_stmt(&sc, &p, out);
    if (r != MIG_TOK_ERROR) {
        *line = line_at(&sc, p);
        *pos = p;
    }
    return r;
}

mig_tok_result mig_sql_next(const char *sql, size_t len, size_t *pos, mig_dialect d,
                            mig_sql_stmt *out, char *errbuf, size_t errlen)
{
    unsigned line = 1;

    if (sql && pos && *pos < len) { /* else next_stmt validates and answers */
        size_t n = count_breaks(sql, len, 0, *pos);
        line = (n >= UINT_MAX) ? UINT_MAX : 1 + (unsigned)n;
    }
    return next_stmt(sql, len, pos, &line, d, out, errbuf, errlen);
}

void mig_sql_iter_init(mig_sql_iter *it, const char *sql, size_t len, mig_dialect d)
{
    it->sql = sql;
    it->len = len;
    it->pos = 0;
    it->line = 1;
    it->dialect = d;
}

mig_tok_result mig_sql_iter_next(mig_sql_iter *it, mig_sql_stmt *out, char *errbuf,
                                 size_t errlen)
{
    if (!it) {
        set_error(errbuf, errlen, "invalid arguments to mig_sql_iter_next");
        return MIG_TOK_ERROR;
    }
    return next_stmt(it->sql, it->len, &it->pos, &it->line, it->dialect, out, errbuf, errlen);
}

/* ------------------------------------------------------------------------ */
/* Keywords at the start of a statement                                     */
/* ------------------------------------------------------------------------ */

/* Length of the bare word at s[i], 0 if none.  A one-letter prefix of a
 * string literal (E'..', X'..', B'..', N'..') is not a word. */
static size_t bare_word_at(const char *s, size_t len, size_t i)
{
    size_t e;
    if (i >= len || !is_ident_start((unsigned char)s[i]))
        return 0;
    for (e = i + 1; e < len && is_ident_cont((unsigned char)s[e]); e++)
        ;
    if (e == i + 1 && e < len && s[e] == '\'') {
        unsigned char u = to_upper((unsigned char)s[i]);
        if (u == 'E' || u == 'X' || u == 'B' || u == 'N')
            return 0;
    }
    return e - i;
}

/* Skip white space and comments from *i and read a bare word there.
 * Returns its length (0 if the next token is not a bare word) and sets
 * *wstart to it and *i past it. */
static size_t next_word(const char *s, size_t len, size_t *i, int nested, size_t *wstart)
{
    size_t n;
    *i = skip_insignificant(s, len, *i, nested);
    n = bare_word_at(s, len, *i);
    *wstart = *i;
    *i += n;
    return n;
}

unsigned mig_sql_leading_words(const char *stmt, size_t len, mig_dialect d, unsigned nwords,
                               char *buf, size_t buflen)
{
    size_t i = 0, used = 0;
    unsigned count = 0;
    int nested = (d == MIG_DIALECT_POSTGRES);

    if (!buf || buflen == 0)
        return 0;
    buf[0] = '\0';
    if (!stmt)
        return 0;

    while (count < nwords) {
        size_t ws, k, n = next_word(stmt, len, &i, nested, &ws);
        if (n == 0)
            break;
        /* room for the separator, the word and the final NUL */
        if (n + (count > 0) >= buflen - used) {
            buf[0] = '\0'; /* never hand out a truncated keyword */
            return 0;
        }
        if (count > 0)
            buf[used++] = ' ';
        for (k = 0; k < n; k++)
            buf[used++] = (char)to_upper((unsigned char)stmt[ws + k]);
        count++;
    }
    buf[used] = '\0';
    return count;
}

void mig_sql_first_word(const char *stmt, size_t len, char *buf, size_t buflen)
{
    (void)mig_sql_leading_words(stmt, len, MIG_DIALECT_SQLITE, 1, buf, buflen);
}

void mig_sql_first_two_words(const char *stmt, size_t len, char *buf, size_t buflen)
{
    (void)mig_sql_leading_words(stmt, len, MIG_DIALECT_SQLITE, 2, buf, buflen);
}

int mig_sql_is_txn_control(const char *stmt, size_t len, mig_dialect d)
{
    int pg = (d == MIG_DIALECT_POSTGRES);
    size_t i = 0, w, n;

    if (!stmt)
        return 0;
    n = next_word(stmt, len, &i, pg, &w);
    if (n == 0)
        return 0;

    if (word_is(stmt + w, n, "BEGIN")) {
        /* PostgreSQL's BEGIN ATOMIC opens a routine body, not a transaction */
        if (pg) {
            n = next_word(stmt, len, &i, pg, &w);
            if (word_is(stmt + w, n, "ATOMIC"))
                return 0;
        }
        return 1;
    }
    if (word_is(stmt + w, n, "COMMIT") || word_is(stmt + w, n, "END"))
        return 1; /* includes COMMIT PREPARED 'gid' */
    if (word_is(stmt + w, n, "ABORT"))
        return pg;
    if (word_is(stmt + w, n, "START")) {
        n = next_word(stmt, len, &i, pg, &w);
        return word_is(stmt + w, n, "TRANSACTION");
    }
    if (word_is(stmt + w, n, "ROLLBACK")) {
        /* ROLLBACK [WORK|TRANSACTION] TO [SAVEPOINT] name stays inside */
        n = next_word(stmt, len, &i, pg, &w);
        if (word_is(stmt + w, n, "WORK") || word_is(stmt + w, n, "TRANSACTION"))
            n = next_word(stmt, len, &i, pg, &w);
        return !word_is(stmt + w, n, "TO");
    }
    if (pg && word_is(stmt + w, n, "PREPARE")) {
        /* PREPARE TRANSACTION 'gid', not PREPARE transaction [(types)] AS ... */
        n = next_word(stmt, len, &i, pg, &w);
        if (!word_is(stmt + w, n, "TRANSACTION"))
            return 0;
        i = skip_insignificant(stmt, len, i, pg);
        if (i < len && stmt[i] == '(')
            return 0;
        n = next_word(stmt, len, &i, pg, &w);
        return !word_is(stmt + w, n, "AS");
    }
    return 0;
}

const char *mig_sql_skip_blank(const char *p, const char *end)
{
    for (;;) {
        while (p < end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r' || *p == '\f' || *p == '\v'))
            p++;
        /* cppcheck takes p == end after the loop above (it ignores the second
         * condition): its "always false" on the three tests is a false positive */
        /* cppcheck-suppress knownConditionTrueFalse */
        if (end - p >= 3 && is_bom(p, (size_t)(end - p), 0)) {
            p += 3; /* SQLite's tokenizer reads a BOM as white space */
        /* cppcheck-suppress knownConditionTrueFalse */
        } else if (end - p >= 2 && p[0] == '-' && p[1] == '-') {
            while (p < end && *p != '\n')
                p++;
        /* cppcheck-suppress knownConditionTrueFalse */
        } else if (end - p >= 2 && p[0] == '/' && p[1] == '*') {
            p += 2;
            while (end - p >= 2 && !(p[0] == '*' && p[1] == '/'))
                p++;
            p = end - p >= 2 ? p + 2 : end;
        } else
            return p;
    }
}
