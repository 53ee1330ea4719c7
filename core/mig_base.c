/*
 * mig_base.c — errors, arena allocator, growable strings and string lists.
 */
#include "mig_base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- errors ---------------------------------------------------------- */

static void vset(char *dst, size_t cap, const char *fmt, va_list ap)
{
    vsnprintf(dst, cap, fmt, ap);
}

int mig_fail_(mig_err *err, mig_errcode code, const char *fmt, ...)
{
    va_list ap;
    if (!err)
        return -1;
    err->code = code;
    va_start(ap, fmt);
    vset(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

void mig_err_clear(mig_err *err)
{
    err->code = MIG_OK;
    err->sqlstate[0] = 0;
    err->msg[0] = err->detail[0] = err->hint[0] = 0;
    err->reason = MIG_R_NONE;
    err->revision[0] = 0;
}

void mig_err_about(mig_err *err, mig_reason reason, const char *revision)
{
    err->reason = reason;
    snprintf(err->revision, sizeof err->revision, "%s", revision ? revision : "");
}

static const char *const REASON_NAMES[] = {"", "revision", "step_failed", "body_changed", "graph_changed"};

const char *mig_reason_name(mig_reason r)
{
    return (unsigned)r < sizeof REASON_NAMES / sizeof REASON_NAMES[0] ? REASON_NAMES[r] : "";
}

mig_reason mig_reason_named(const char *name, size_t len)
{
    size_t i;
    for (i = 1; i < sizeof REASON_NAMES / sizeof REASON_NAMES[0]; i++)
        if (strlen(REASON_NAMES[i]) == len && memcmp(REASON_NAMES[i], name, len) == 0)
            return (mig_reason)i;
    return MIG_R_NONE;
}

void mig_err_detail(mig_err *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset(err->detail, sizeof err->detail, fmt, ap);
    va_end(ap);
}

static void set_at(char *dst, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_at(char *dst, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset(dst, cap, fmt, ap);
    va_end(ap);
}

void mig_err_statement(mig_err *err, const char *s, const char *e)
{
    size_t n, used;
    while (e > s && (e[-1] == ' ' || e[-1] == '\n' || e[-1] == '\r' || e[-1] == '\t' || e[-1] == ';'))
        e--;
    n = (size_t)(e - s);
    /* cppcheck-suppress knownConditionTrueFalse ; false positive: cppcheck takes e == s after the loop */
    if (n > 400) {
        n = 400;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) /* not inside a UTF-8 character */
            n--;
    }
    used = strlen(err->detail);
    set_at(err->detail + used, sizeof err->detail - used, "%sThe failing statement: %.*s%s", used ? "\n" : "", (int)n, s,
           n < (size_t)(e - s) ? "..." : "");
}

void mig_err_hint(mig_err *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset(err->hint, sizeof err->hint, fmt, ap);
    va_end(ap);
}

void mig_err_prefix(mig_err *err, const char *fmt, ...)
{
    char pre[512], old[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vset(pre, sizeof pre, fmt, ap);
    va_end(ap);
    size_t pl = strlen(pre), ol;
    memcpy(old, err->msg, sizeof old);
    old[sizeof old - 1] = 0;
    ol = strlen(old);
    if (pl >= sizeof err->msg)
        pl = sizeof err->msg - 1;
    if (ol > sizeof err->msg - 1 - pl)
        ol = sizeof err->msg - 1 - pl;
    memcpy(err->msg, pre, pl);
    memcpy(err->msg + pl, old, ol);
    err->msg[pl + ol] = 0;
}

/* ---- arena ------------------------------------------------------------ */

struct mig_arena_block {
    mig_arena_block *next;
    size_t size;
    /* payload follows, aligned */
};

#define ALIGN 16
#define BLOCK_MIN 8192
#define HDR ((sizeof(mig_arena_block) + ALIGN - 1) & ~(size_t)(ALIGN - 1))

void mig_arena_init(mig_arena *ar, const mig_allocator *a)
{
    ar->a = *a;
    ar->blocks = NULL;
    ar->cur = NULL;
    ar->left = 0;
}

void mig_arena_free(mig_arena *ar)
{
    mig_arena_block *b = ar->blocks;
    while (b) {
        mig_arena_block *next = b->next;
        ar->a.free(ar->a.ud, b);
        b = next;
    }
    ar->blocks = NULL;
    ar->cur = NULL;
    ar->left = 0;
}

void mig_arena_mark_get(const mig_arena *ar, mig_arena_mark *m)
{
    m->blocks = ar->blocks;
    m->cur = ar->cur;
    m->left = ar->left;
}

void mig_arena_release(mig_arena *ar, const mig_arena_mark *m)
{
    while (ar->blocks && ar->blocks != m->blocks) {
        mig_arena_block *next = ar->blocks->next;
        ar->a.free(ar->a.ud, ar->blocks);
        ar->blocks = next;
    }
    ar->cur = m->cur;
    ar->left = m->left;
}

void *mig_alloc(mig_arena *ar, size_t n)
{
    void *p;
    if (n == 0)
        n = 1;
    if (n > ((size_t)-1) / 4)
        return NULL;
    n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (n > ar->left) {
        mig_arena_block *b;
        size_t sz;
        if (n > BLOCK_MIN / 2) {
            /* a big request gets a block of its own; the current one stays */
            b = ar->a.alloc(ar->a.ud, HDR + n);
            if (!b)
                return NULL;
            b->size = n;
            b->next = ar->blocks;
            ar->blocks = b;
            return (char *)b + HDR;
        }
        /* small requests share blocks that grow with the arena (up to 1 MiB),
         * so a 100,000-revision graph needs few of them */
        sz = BLOCK_MIN;
        if (ar->blocks && ar->blocks->size >= sz)
            sz = ar->blocks->size < (1u << 20) ? ar->blocks->size * 2 : (1u << 20);
        b = ar->a.alloc(ar->a.ud, HDR + sz);
        if (!b)
            return NULL;
        b->size = sz;
        b->next = ar->blocks;
        ar->blocks = b;
        ar->cur = (char *)b + HDR;
        ar->left = sz;
    }
    p = ar->cur;
    ar->cur += n;
    ar->left -= n;
    return p;
}

void *mig_alloc0(mig_arena *ar, size_t n)
{
    void *p = mig_alloc(ar, n);
    if (p)
        memset(p, 0, n);
    return p;
}

char *mig_strndup(mig_arena *ar, const char *s, size_t n)
{
    char *p = mig_alloc(ar, n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *mig_strdup(mig_arena *ar, const char *s)
{
    return mig_strndup(ar, s, strlen(s));
}

char *mig_sprintf(mig_arena *ar, const char *fmt, ...)
{
    va_list ap;
    int n;
    char *p;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    p = mig_alloc(ar, (size_t)n + 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

/* ---- growable strings ---------------------------------------------------- */

void mig_buf_init(mig_buf *b, mig_arena *ar)
{
    b->ar = ar;
    b->data = NULL;
    b->len = b->cap = 0;
    b->oom = 0;
}

static int buf_reserve(mig_buf *b, size_t extra)
{
    size_t need, cap;
    char *p;
    if (b->oom)
        return -1;
    need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    p = mig_alloc(b->ar, cap);
    if (!p) {
        b->oom = 1;
        return -1;
    }
    if (b->len)
        memcpy(p, b->data, b->len);
    p[b->len] = 0;
    b->data = p;
    b->cap = cap;
    return 0;
}

void mig_buf_putn(mig_buf *b, const char *s, size_t n)
{
    if (buf_reserve(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = 0;
}

void mig_buf_puts(mig_buf *b, const char *s)
{
    mig_buf_putn(b, s, strlen(s));
}

void mig_buf_printf(mig_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || buf_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void mig_buf_quote(mig_buf *b, const char *s)
{
    mig_buf_putn(b, "'", 1);
    for (; *s; s++) {
        if (*s == '\'')
            mig_buf_putn(b, "''", 2);
        else
            mig_buf_putn(b, s, 1);
    }
    mig_buf_putn(b, "'", 1);
}

void mig_buf_comment(mig_buf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        mig_buf_putn(b, c < 0x20 || c == 0x7f ? "?" : s, 1);
    }
}

int mig_has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
            return 1;
    return 0;
}

/* ---- string lists ------------------------------------------------------ */

int mig_strlist_add(mig_arena *ar, mig_strlist *l, const char *s)
{
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 4;
        const char **v = mig_alloc(ar, sizeof(*v) * (size_t)cap);
        if (!v)
            return -1;
        if (l->n)
            memcpy(v, l->v, sizeof(*v) * (size_t)l->n);
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = s;
    return 0;
}

static int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

int mig_strlist_split(mig_arena *ar, mig_strlist *l, const char *s, size_t n)
{
    size_t i = 0;
    /* an entirely blank value is an empty list */
    while (i < n && is_space((unsigned char)s[i]))
        i++;
    if (i == n)
        return 0;
    {
        /* room for exactly the items: a list grown by doubling leaves room
         * for 4 where most hold one (a down revision of each of 100,000
         * revisions) */
        size_t k, items = 1;
        for (k = 0; k < n; k++)
            items += s[k] == ',';
        if ((size_t)l->n + items > (size_t)l->cap) {
            const char **v = mig_alloc(ar, sizeof(*v) * ((size_t)l->n + items));
            if (!v)
                return -1;
            if (l->n)
                memcpy(v, l->v, sizeof(*v) * (size_t)l->n);
            l->v = v;
            l->cap = l->n + (int)items;
        }
    }
    i = 0;
    for (;;) {
        size_t a = i, b;
        char *item;
        while (i < n && s[i] != ',')
            i++;
        b = i;
        while (a < b && is_space((unsigned char)s[a]))
            a++;
        while (b > a && is_space((unsigned char)s[b - 1]))
            b--;
        if (a == b)
            return -2;
        item = mig_strndup(ar, s + a, b - a);
        if (!item || mig_strlist_add(ar, l, item))
            return -1;
        if (i >= n)
            break;
        i++; /* skip ',' */
    }
    return 0;
}

char *mig_strlist_join(mig_arena *ar, const mig_strlist *l, const char *sep)
{
    /* one allocation of the exact size: joins run per revision, 100,000
     * times in a large project */
    size_t n = 1, seplen = strlen(sep), k;
    char *out, *p;
    int i;
    for (i = 0; i < l->n; i++)
        n += strlen(l->v[i]) + (i ? seplen : 0);
    if (!(out = mig_alloc(ar, n)))
        return NULL;
    p = out;
    for (i = 0; i < l->n; i++) {
        if (i) {
            memcpy(p, sep, seplen);
            p += seplen;
        }
        k = strlen(l->v[i]);
        memcpy(p, l->v[i], k);
        p += k;
    }
    *p = 0;
    return out;
}

int mig_strlist_has(const mig_strlist *l, const char *s)
{
    int i;
    for (i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return 1;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void mig_strlist_sort(mig_strlist *l)
{
    if (l->n > 1)
        qsort(l->v, (size_t)l->n, sizeof(*l->v), cmp_str);
}

/* ---- identifiers --------------------------------------------------------- */

int mig_is_ident_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

int mig_valid_rev_id(const char *s, size_t n)
{
    size_t i;
    if (n == 0 || n > 255)
        return 0;
    for (i = 0; i < n; i++)
        if (!mig_is_ident_char((unsigned char)s[i]))
            return 0;
    /* the symbolic targets cannot be revision ids */
    if ((n == 4 && memcmp(s, "head", 4) == 0) || (n == 5 && memcmp(s, "heads", 5) == 0) ||
        (n == 4 && memcmp(s, "base", 4) == 0))
        return 0;
    return 1;
}

int mig_valid_label(const char *s, size_t n)
{
    size_t i;
    if (n == 0 || n > 255 || s[0] == '-' || s[0] == '.')
        return 0;
    for (i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (!mig_is_ident_char(c) && c != '.' && c != '-')
            return 0;
    }
    return !((n == 4 && memcmp(s, "head", 4) == 0) || (n == 5 && memcmp(s, "heads", 5) == 0) ||
             (n == 4 && memcmp(s, "base", 4) == 0));
}

void mig_rev_id_problem(const char *id, size_t n, char *buf, size_t buflen)
{
    char bad[8] = "";
    size_t i;
    const char *order = "+-@";
    for (i = 0; i < 3; i++)
        if (memchr(id, order[i], n)) {
            size_t l = strlen(bad);
            if (l)
                bad[l++] = ',', bad[l++] = ' ';
            bad[l++] = order[i];
            bad[l] = 0;
        }
    if (bad[0])
        snprintf(buf, buflen, "Character(s) '%s' not allowed in revision identifier '%.*s'", bad, (int)n, id);
    else
        snprintf(buf, buflen, "malformed revision id '%.*s': use letters, digits and '_' only (not head, heads or "
                              "base)",
                 (int)n, id);
}
