/*
 * fuzz_revfile.c - libFuzzer target for the revision-file parser
 * (core/revfile.c, SPEC §2).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Icore \
 *         tests/fuzz/fuzz_revfile.c core/mig_base.c core/revfile.c -lcrypto
 *   ./a.out -dict=tests/fuzz/revfile.dict tests/fuzz/corpus/revfile
 *
 * Input: the bytes of one revision file, as is.  The parser gets an
 * exact-size heap copy, so ASan catches any read past len.
 *
 * Invariants checked (abort() on violation):
 *   - failure: an error code and a non-empty, NUL-terminated message;
 *   - success: a valid revision id; down_revision ids valid, distinct and
 *     not the id itself; labels and depends_on valid labels (depends_on not
 *     the id); message and create_date on one line; transactional 0/1;
 *     sections in file order, each body inside the buffer, not overlapping
 *     the next, starting right after its marker line, with body_line the
 *     1-based line of the body; their number equals the number of marker
 *     lines counted independently; checksum is 64 lowercase hex digits;
 *   - the checksum equals a reference SHA-256 computed here, independently,
 *     from the spec's rule (marker lines and bodies, trailing white space
 *     removed, trailing blank body lines dropped, LF line ends);
 *   - parsing is deterministic (same result and message twice);
 *   - metamorphic: CRLF -> LF, and extra trailing white space on every
 *     line, change neither the outcome nor the checksum;
 *   - out of memory: with the allocator failing at one point chosen from
 *     the input, the parse fails cleanly or gives the very same result
 *     (MIG_FUZZ_OOM=0 in the environment turns that off);
 *   - every arena block is released (counted), so a leak shows up too.
 */
#include "fuzz_common.h"
#include "mig_base.h"
#include "revfile.h"

#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- independent helpers ------------------------------------------------------ */

static int ws(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static size_t trim_len(const char *s, size_t n)
{
    while (n && ws((unsigned char)s[n - 1]))
        n--;
    return n;
}

static int ident(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static int valid_id(const char *s)
{
    size_t n = strlen(s), i;
    if (n == 0 || n > 255 || !strcmp(s, "head") || !strcmp(s, "heads") || !strcmp(s, "base"))
        return 0;
    for (i = 0; i < n; i++)
        if (!ident((unsigned char)s[i]))
            return 0;
    return 1;
}

static int valid_label(const char *s)
{
    size_t n = strlen(s), i;
    if (n == 0 || n > 255 || s[0] == '-' || s[0] == '.' || !strcmp(s, "head") || !strcmp(s, "heads") ||
        !strcmp(s, "base"))
        return 0;
    for (i = 0; i < n; i++)
        if (!ident((unsigned char)s[i]) && s[i] != '.' && s[i] != '-')
            return 0;
    return 1;
}

/* Is line [s, s+n) (without '\n') a section marker "-- mig:upgrade|downgrade ..."? */
static int is_marker(const char *s, size_t n)
{
    size_t i = 2, k;
    if (n < 2 || s[0] != '-' || s[1] != '-')
        return 0;
    while (i < n && ws((unsigned char)s[i]))
        i++;
    if (n - i < 4 || memcmp(s + i, "mig:", 4) != 0)
        return 0;
    i += 4;
    k = i;
    while (k < n && !ws((unsigned char)s[k]))
        k++;
    return (k - i == 7 && !memcmp(s + i, "upgrade", 7)) || (k - i == 9 && !memcmp(s + i, "downgrade", 9));
}

/* The spec's checksum, computed from scratch; hex into out[65]. */
static void reference_checksum(const char *src, size_t len, char out[65])
{
    char *text = malloc(2 * len + 2);
    size_t tl = 0, pos = 0, pending_start = 0;
    int in_sec = 0, i;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    CHECK(text != NULL);
    /* body lines are appended; trailing blank lines of a section are cut
     * when the next marker (or the end) arrives: pending_start marks the
     * text offset after the section's last non-blank line */
    while (pos < len) {
        size_t e = pos, n;
        while (e < len && src[e] != '\n')
            e++;
        n = trim_len(src + pos, e - pos);
        if (is_marker(src + pos, e - pos)) {
            if (in_sec)
                tl = pending_start;
            memcpy(text + tl, src + pos, n);
            tl += n;
            text[tl++] = '\n';
            pending_start = tl;
            in_sec = 1;
        } else if (in_sec) {
            memcpy(text + tl, src + pos, n);
            tl += n;
            text[tl++] = '\n';
            if (n > 0)
                pending_start = tl;
        }
        pos = e < len ? e + 1 : len;
    }
    if (in_sec)
        tl = pending_start;
    CHECK(EVP_Digest(text, tl, md, &mdlen, EVP_sha256(), NULL) && mdlen == 32);
    for (i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    free(text);
}

/* ---- one parse ---------------------------------------------------------------- */

typedef struct {
    int rc;
    mig_errcode code;
    char msg[2048];
    char checksum[65];
    char id[300];
    int nsections;
    long allocs;
} result;

static void check_success(const char *src, size_t len, const mig_revfile *rf)
{
    int i, j;
    size_t pos;
    int markers = 0;

    CHECK(rf->id && valid_id(rf->id));
    for (i = 0; i < rf->down.n; i++) {
        CHECK(rf->down.v[i] && valid_id(rf->down.v[i]));
        CHECK(strcmp(rf->down.v[i], rf->id) != 0);
        for (j = 0; j < i; j++)
            CHECK(strcmp(rf->down.v[i], rf->down.v[j]) != 0);
    }
    for (i = 0; i < rf->labels.n; i++)
        CHECK(rf->labels.v[i] && valid_label(rf->labels.v[i]));
    for (i = 0; i < rf->depends.n; i++) {
        CHECK(rf->depends.v[i] && valid_label(rf->depends.v[i]));
        CHECK(strcmp(rf->depends.v[i], rf->id) != 0);
    }
    CHECK(rf->message && !strchr(rf->message, '\n'));
    CHECK(rf->create_date && !strchr(rf->create_date, '\n'));
    CHECK(rf->transactional == 0 || rf->transactional == 1);
    CHECK(rf->nsections >= 0);
    CHECK(rf->nsections == 0 || rf->sections);

    for (i = 0; i < rf->nsections; i++) {
        const mig_section *s = &rf->sections[i];
        size_t k, nl = 0;
        CHECK(s->upgrade == 0 || s->upgrade == 1);
        CHECK(s->dialect == MIG_DIALECT_ANY || s->dialect == MIG_DIALECT_SQLITE ||
              s->dialect == MIG_DIALECT_POSTGRES);
        if (s->if_name) {
            CHECK(*s->if_name);
            for (k = 0; s->if_name[k]; k++)
                CHECK(ident((unsigned char)s->if_name[k]));
        }
        CHECK(s->body_off <= len);
        CHECK(s->body_len <= len - s->body_off);
        if (i + 1 < rf->nsections)
            CHECK(s->body_off + s->body_len < rf->sections[i + 1].body_off);
        if (i > 0)
            CHECK(rf->sections[i - 1].body_off < s->body_off);
        /* the body starts right after a marker line */
        CHECK(s->body_off > 0);
        if (src[s->body_off - 1] == '\n') {
            size_t ms = s->body_off - 1;
            while (ms > 0 && src[ms - 1] != '\n')
                ms--;
            CHECK(is_marker(src + ms, s->body_off - 1 - ms));
            for (k = 0; k < s->body_off; k++)
                nl += src[k] == '\n';
            CHECK(s->body_line == nl + 1);
        } else {
            /* a marker on the last line, without a newline */
            CHECK(s->body_off == len);
            CHECK(s->body_len == 0);
        }
        if (s->body_len) {
            /* trailing blank lines are cut: the body ends inside a line */
            CHECK(src[s->body_off + s->body_len - 1] != '\n');
            CHECK(memchr(src + s->body_off, '\0', s->body_len) == NULL);
        }
    }
    /* the number of sections equals the number of marker lines */
    pos = 0;
    while (pos < len) {
        size_t e = pos;
        while (e < len && src[e] != '\n')
            e++;
        markers += is_marker(src + pos, e - pos);
        pos = e < len ? e + 1 : len;
    }
    CHECK(markers == rf->nsections);

    CHECK(strlen(rf->checksum) == 64);
    for (i = 0; i < 64; i++)
        CHECK((rf->checksum[i] >= '0' && rf->checksum[i] <= '9') || (rf->checksum[i] >= 'a' && rf->checksum[i] <= 'f'));
    {
        char ref[65];
        reference_checksum(src, len, ref);
        if (strcmp(ref, rf->checksum) != 0) {
            fprintf(stderr, "checksum %s, reference %s\n", rf->checksum, ref);
            CHECK(!"checksum differs from the reference");
        }
    }
}

static void parse(const char *data, size_t len, long fail_at, int check, result *r)
{
    alloc_state st = {0, fail_at, 0, 0, 0};
    mig_allocator a = {t_alloc, t_free, &st};
    mig_arena ar;
    mig_err err;
    mig_revfile rf;
    /* an exact-size copy: reads past len are caught */
    char *src = malloc(len ? len : 1);
    CHECK(src != NULL);
    if (len)
        memcpy(src, data, len);

    mig_err_clear(&err);
    mig_arena_init(&ar, &a);
    memset(r, 0, sizeof *r);
    r->rc = mig_revfile_parse(&ar, src, len, "fuzz.sql", &rf, &err);
    CHECK(r->rc == 0 || r->rc == -1);
    r->code = err.code;
    CHECK(memchr(err.msg, '\0', sizeof err.msg) != NULL);
    CHECK(memchr(err.detail, '\0', sizeof err.detail) != NULL);
    CHECK(memchr(err.hint, '\0', sizeof err.hint) != NULL);
    snprintf(r->msg, sizeof r->msg, "%s", err.msg);
    if (r->rc == 0) {
        CHECK(err.code == MIG_OK);
        if (check)
            check_success(src, len, &rf);
        CHECK(rf.id && strlen(rf.id) < sizeof r->id);
        snprintf(r->id, sizeof r->id, "%s", rf.id);
        memcpy(r->checksum, rf.checksum, 65);
        r->nsections = rf.nsections;
    } else {
        CHECK(err.code != MIG_OK);
        CHECK(err.msg[0] != 0);
    }
    r->allocs = st.calls;
    mig_arena_free(&ar);
    CHECK(st.live == 0);
    free(src);
}

static int same(const result *a, const result *b)
{
    return a->rc == b->rc && a->code == b->code && strcmp(a->msg, b->msg) == 0 &&
           strcmp(a->checksum, b->checksum) == 0 && strcmp(a->id, b->id) == 0 && a->nsections == b->nsections;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *src = (const char *)data;
    result r1, r2;
    char *v;
    size_t i, n;

    if (size > 1 << 16)
        return 0;
    parse(src, size, -1, 1, &r1);

    /* deterministic */
    parse(src, size, -1, 0, &r2);
    CHECK(same(&r1, &r2));

    /* CRLF -> LF changes nothing (messages name lines, not bytes) */
    if (memchr(src, '\r', size)) {
        v = malloc(size + 1);
        CHECK(v != NULL);
        for (i = n = 0; i < size; i++)
            if (!(src[i] == '\r' && i + 1 < size && src[i + 1] == '\n'))
                v[n++] = src[i];
        parse(v, n, -1, 1, &r2);
        CHECK(r1.rc == r2.rc);
        if (r1.rc == 0) {
            CHECK(strcmp(r1.checksum, r2.checksum) == 0);
            CHECK(strcmp(r1.id, r2.id) == 0);
            CHECK(r1.nsections == r2.nsections);
        }
        free(v);
    }

    /* trailing white space on every line changes nothing */
    {
        size_t lines = 1;
        for (i = 0; i < size; i++)
            lines += src[i] == '\n';
        v = malloc(size + 3 * lines + 1);
        CHECK(v != NULL);
        for (i = n = 0; i <= size; i++) {
            if (i == size || src[i] == '\n') {
                /* before the line's "\r\n" or "\n" (a '\r' that ends the
                 * line is itself trailing white space) */
                size_t at = n;
                if (i < size && i > 0 && src[i - 1] == '\r')
                    at = n - 1;
                memmove(v + at + 3, v + at, n - at);
                memcpy(v + at, " \t ", 3);
                n += 3;
            }
            if (i < size)
                v[n++] = src[i];
        }
        parse(v, n, -1, 1, &r2);
        if (r1.rc != r2.rc)
            fprintf(stderr, "with trailing white space: rc %d -> %d (%s)\n", r1.rc, r2.rc, r2.msg);
        CHECK(r1.rc == r2.rc);
        if (r1.rc == 0) {
            CHECK(strcmp(r1.checksum, r2.checksum) == 0);
            CHECK(strcmp(r1.id, r2.id) == 0);
            CHECK(r1.nsections == r2.nsections);
        }
        free(v);
    }

    /* out of memory at one allocation: a clean failure or the same result */
    if (oom_on && r1.allocs > 0) {
        long k = (long)(fnv(data, size) % (uint32_t)r1.allocs);
        parse(src, size, k, 0, &r2);
        if (r2.rc == 0)
            CHECK(same(&r1, &r2));
        else
            CHECK(r2.code != MIG_OK && r2.msg[0]);
    }
    return 0;
}
