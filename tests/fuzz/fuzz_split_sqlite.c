/*
 * fuzz_split_sqlite.c - differential fuzzer: core/sqltok's SQLite statement
 * split against SQLite's own tokenizer and parser (libsqlite3, 3.40).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Icore \
 *         tests/fuzz/fuzz_split_sqlite.c core/sqltok.c -lsqlite3 -o /tmp/fss
 *   /tmp/fss -dict=tests/fuzz/split_sqlite.dict tests/fuzz/corpus/split_sqlite
 *
 * Input: SQL text, up to its first NUL byte (SQLite reads C strings; mig's
 * revision files cannot hold a NUL) and at most 4096 bytes.
 *
 * SQLite's tokens.  sqlite3GetToken() is not exported, and sqlite3_complete()
 * has a tokenizer of its own that differs from the real one (it reads the
 * parameter $a(') as '$', 'a', '(' and the start of a string), so neither
 * can be the reference.  Instead every token of the input is read from the
 * real tokenizer through sqlite3_prepare_v2() on an in-memory database:
 * after the prefix "PRAGMA x(1)" only ';' can follow, so preparing
 * "PRAGMA x(1)" + rest either succeeds (the first token of rest is ';', or
 * rest is only white space and comments) or fails with
 * `near "TOKEN": syntax error` / `unrecognized token: "TOKEN"`, whose
 * sqlite3_error_offset() and text give the token's place and length.  The
 * prefix ends with ')' so that the rest's first byte starts a token, as it
 * does in the input (that matters for \v, white space only inside a run).
 * A final ';' byte is told apart (a token, or the end of a comment) by a
 * second probe with that ';' replaced by a letter.
 *
 * The reference split over those tokens: ';' ends a statement, except in
 * the body of [EXPLAIN [QUERY PLAN]] CREATE [TEMP|TEMPORARY] TRIGGER: the
 * body opens at the first BEGIN outside parentheses and closes at the first
 * END that follows a ';' (the rule sqltok documents).
 *
 * Invariants (abort() on violation):
 *   1. sqltok's statements equal the reference's: same start, end and
 *      terminating ';' - unless sqltok returns MIG_TOK_ERROR (a refusal).
 *   2. The reference's trigger rule is SQLite's grammar: walking the input
 *      with sqlite3_prepare_v2() on a database with a few tables (t, t1, t2,
 *      log, a, b, begin; view v), every statement that compiles ends where
 *      the reference statement ends (its tail is just past the ';').
 */
#include "split_check.h"

#include <sqlite3.h>
#include <stdint.h>

#define MAX_INPUT 4096

static const char PROBE[] = "PRAGMA x(1)";
#define PROBE_LEN (sizeof PROBE - 1)

static sqlite3 *tok_db;    /* empty: for the token probes */
static sqlite3 *schema_db; /* a few tables: for invariant 2 */

static void open_dbs(void)
{
    static const char schema[] =
        "CREATE TABLE t(x, y, a, b, c, n, begin, end_date, begin_date);"
        "CREATE TABLE t1(a, b); CREATE TABLE t2(x); CREATE TABLE log(x, y);"
        "CREATE TABLE a(x); CREATE TABLE b(x); CREATE TABLE begin(x, end);"
        "CREATE VIEW v AS SELECT x FROM t;";
    if (tok_db)
        return;
    CHECK(sqlite3_open(":memory:", &tok_db) == SQLITE_OK);
    CHECK(sqlite3_open(":memory:", &schema_db) == SQLITE_OK);
    CHECK(sqlite3_exec(schema_db, schema, NULL, NULL, NULL) == SQLITE_OK);
}

typedef struct {
    size_t start, end;
} token;

/* The token reported by the failed prepare of buf: its offset in buf and
 * length, from the error offset and message. */
static void error_token(const char *buf, size_t blen, size_t *off, size_t *n)
{
    static const char near_pre[] = "near \"", near_post[] = "\": syntax error";
    static const char unrec_pre[] = "unrecognized token: \"", unrec_post[] = "\"";
    const char *msg = sqlite3_errmsg(tok_db);
    size_t mlen = strlen(msg);
    int o = sqlite3_error_offset(tok_db);
    const char *text = NULL;

    if (mlen > sizeof near_pre + sizeof near_post - 2 &&
        strncmp(msg, near_pre, sizeof near_pre - 1) == 0 &&
        strcmp(msg + mlen - (sizeof near_post - 1), near_post) == 0) {
        text = msg + sizeof near_pre - 1;
        *n = mlen - (sizeof near_pre - 1) - (sizeof near_post - 1);
    } else if (mlen > sizeof unrec_pre + sizeof unrec_post - 2 &&
               strncmp(msg, unrec_pre, sizeof unrec_pre - 1) == 0 &&
               strcmp(msg + mlen - (sizeof unrec_post - 1), unrec_post) == 0) {
        text = msg + sizeof unrec_pre - 1;
        *n = mlen - (sizeof unrec_pre - 1) - (sizeof unrec_post - 1);
    }
    if (!text || o < (int)PROBE_LEN || (size_t)o + *n > blen || *n == 0 ||
        memcmp(buf + o, text, *n) != 0) {
        fprintf(stderr, "token probe: unexpected answer at offset %d: %s\n", o, msg);
        abort();
    }
    *off = (size_t)o;
}

/* Prepare PROBE + s[from, to) + extra (0 or 1 byte).  Returns the prepare
 * result; *tail_off is the tail's offset in that text. */
static int probe(char *buf, const char *s, size_t from, size_t to, char extra, size_t *tail_off,
                 size_t *blen)
{
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    size_t m = PROBE_LEN + (to - from);
    int rc;
    memcpy(buf, PROBE, PROBE_LEN);
    memcpy(buf + PROBE_LEN, s + from, to - from);
    if (extra)
        buf[m++] = extra;
    buf[m] = '\0';
    *blen = m;
    /* nByte includes the NUL: SQLite reads buf in place */
    rc = sqlite3_prepare_v2(tok_db, buf, (int)m + 1, &st, &tail);
    sqlite3_finalize(st);
    *tail_off = tail ? (size_t)(tail - buf) : m;
    return rc;
}

/* SQLite's significant tokens of s[0, n) (no white space, no comments). */
static size_t sqlite_tokens(const char *s, size_t n, token *out)
{
    char *buf = malloc(PROBE_LEN + n + 2);
    size_t pos = 0, ntok = 0;
    CHECK(buf != NULL);
    while (pos < n) {
        size_t t, blen, off, tl;
        if (probe(buf, s, pos, n, 0, &t, &blen) == SQLITE_OK) {
            CHECK(t >= PROBE_LEN && t <= blen);
            if (t < blen) { /* stopped just past a ';' token */
                CHECK(t > PROBE_LEN && buf[t - 1] == ';');
                out[ntok].start = pos + (t - 1 - PROBE_LEN);
                out[ntok].end = out[ntok].start + 1;
                ntok++;
                pos += t - PROBE_LEN;
                continue;
            }
            /* only white space and comments left, unless the last byte is a
             * ';' token: then with a letter in its place the letter is the
             * first token */
            if (s[n - 1] == ';') {
                int rc = probe(buf, s, pos, n - 1, 'X', &t, &blen);
                if (rc != SQLITE_OK) {
                    error_token(buf, blen, &off, &tl);
                    CHECK(off == blen - 1 && tl == 1);
                    out[ntok].start = n - 1;
                    out[ntok].end = n;
                    ntok++;
                }
            }
            break;
        }
        error_token(buf, blen, &off, &tl);
        out[ntok].start = pos + (off - PROBE_LEN);
        out[ntok].end = out[ntok].start + tl;
        ntok++;
        pos = out[ntok - 1].end;
    }
    free(buf);
    return ntok;
}

/* 1 if s[a, b) is a bare word (keyword or unquoted identifier). */
static int is_word(const char *s, size_t a, size_t b)
{
    size_t i;
    for (i = a; i < b; i++) {
        unsigned char c = (unsigned char)s[i];
        int alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c >= 0x80;
        if (!alpha && (i == a || !((c >= '0' && c <= '9') || c == '$')))
            return 0;
    }
    return b > a;
}

/* The reference split over SQLite's tokens. */
static void reference_split(const char *s, size_t n, const token *tk, size_t ntok, ref_split *ref)
{
    ref_builder b;
    size_t k, paren = 0;
    int head = 0;      /* 0 start, 1 EXPLAIN, 2 EXPLAIN QUERY, 3 EXPLAIN QUERY PLAN,
                          4 CREATE, 5 CREATE TEMP, -1 done */
    int trigger = 0, in_body = 0, body_done = 0, after_semi = 0;

    memset(&b, 0, sizeof b);
    ref_init(ref);
    ref->known = n;
    for (k = 0; k < ntok; k++) {
        size_t a = tk[k].start, e = tk[k].end;
        int semi = (e - a == 1 && s[a] == ';');
        int word = is_word(s, a, e);

        if (semi && !in_body) {
            ref_close(ref, &b, a);
            head = 0;
            trigger = in_body = body_done = after_semi = 0;
            paren = 0;
            continue;
        }
        ref_token(&b, a, e);
        if (e - a == 1 && s[a] == '(')
            paren++;
        else if (e - a == 1 && s[a] == ')' && paren > 0)
            paren--;

        if (head >= 0) {
            int next = -1;
            if (word) {
                if ((head == 0 || head == 1 || head == 3) && ref_word_is(s, a, e, "CREATE"))
                    next = 4;
                else if (head == 0 && ref_word_is(s, a, e, "EXPLAIN"))
                    next = 1;
                else if (head == 1 && ref_word_is(s, a, e, "QUERY"))
                    next = 2;
                else if (head == 2 && ref_word_is(s, a, e, "PLAN"))
                    next = 3;
                else if (head == 4 && (ref_word_is(s, a, e, "TEMP") || ref_word_is(s, a, e, "TEMPORARY")))
                    next = 5;
                else if ((head == 4 || head == 5) && ref_word_is(s, a, e, "TRIGGER"))
                    trigger = 1;
            }
            head = next;
            continue;
        }
        if (!trigger)
            continue;
        if (!in_body) {
            if (!body_done && word && paren == 0 && ref_word_is(s, a, e, "BEGIN")) {
                in_body = 1;
                after_semi = 0;
            }
            continue;
        }
        if (word && after_semi && ref_word_is(s, a, e, "END")) {
            in_body = 0;
            body_done = 1;
            continue;
        }
        after_semi = semi;
    }
    ref_close(ref, &b, NO_TERM);
}

/* Invariant 2: the statements that compile end where the reference's do. */
static void check_prepare(const char *s, size_t n, const ref_split *ref)
{
    size_t p = 0, k = 0;
    while (p < n) {
        sqlite3_stmt *st = NULL;
        const char *tail = NULL;
        size_t t, want;
        int rc = sqlite3_prepare_v2(schema_db, s + p, (int)(n - p), &st, &tail);
        if (rc != SQLITE_OK)
            return; /* the rest does not run: nothing to compare */
        t = tail ? (size_t)(tail - s) : n;
        if (!st) { /* only white space and comments were left */
            if (k != ref->n)
                disagree("SQLite's parser", "sqlite3_prepare_v2 sees no more statements", s, n,
                         MIG_DIALECT_SQLITE, ref);
            return;
        }
        sqlite3_finalize(st);
        if (k >= ref->n)
            disagree("SQLite's parser", "sqlite3_prepare_v2 compiled one more statement", s, n,
                     MIG_DIALECT_SQLITE, ref);
        want = ref->v[k].term == NO_TERM ? n : ref->v[k].term + 1;
        if (t != want) {
            fprintf(stderr, "statement %zu compiles up to offset %zu, the reference ends it at %zu\n",
                    k, t, want);
            disagree("SQLite's parser", "sqlite3_prepare_v2's tail differs", s, n,
                     MIG_DIALECT_SQLITE, ref);
        }
        CHECK(t > p);
        p = t;
        k++;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n = input_len(data, size, MAX_INPUT), ntok;
    char *s;
    token *tk;
    ref_split ref;

    open_dbs();
    s = malloc(n ? n : 1); /* exact size: ASan sees any read past the end */
    tk = malloc((n + 1) * sizeof *tk);
    CHECK(s != NULL && tk != NULL);
    memcpy(s, data, n);

    ntok = sqlite_tokens(s, n, tk);
    reference_split(s, n, tk, ntok, &ref);
    compare_split("SQLite", s, n, MIG_DIALECT_SQLITE, &ref);
    check_prepare(s, n, &ref);

    ref_free(&ref);
    free(tk);
    free(s);
    return 0;
}
