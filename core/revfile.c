/*
 * revfile.c — parser and checksum of revision files (SPEC §2).
 *
 * A file is a header of `-- mig:KEY value` lines (plus blank and comment
 * lines), then sections opened by `-- mig:upgrade` / `-- mig:downgrade`,
 * each optionally followed by `if NAME` and/or `dialect=postgresql|sqlite`.
 * The checksum covers the section marker lines and bodies, with line endings
 * normalised to LF, trailing white space removed and blank lines at the end
 * of a section dropped, so editing the message or a header comment does not
 * change it.
 */
#include "revfile.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef struct {
    const char *s; /* line start */
    size_t n;      /* length without the line terminator */
    size_t next;   /* offset of the next line */
} line_t;

static int next_line(const char *src, size_t len, size_t pos, line_t *ln)
{
    size_t i = pos;
    if (pos >= len)
        return 0;
    while (i < len && src[i] != '\n')
        i++;
    ln->s = src + pos;
    ln->n = i - pos;
    if (ln->n && ln->s[ln->n - 1] == '\r')
        ln->n--;
    ln->next = i < len ? i + 1 : len;
    return 1;
}

static int sp(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static size_t rtrim(const char *s, size_t n)
{
    while (n && sp((unsigned char)s[n - 1]))
        n--;
    return n;
}

/* `--` [spaces] `mig:` at the start of the line: return offset of the key. */
static int marker_key(const line_t *ln, size_t *keyoff)
{
    size_t i = 0;
    if (ln->n < 2 || ln->s[0] != '-' || ln->s[1] != '-')
        return 0;
    i = 2;
    while (i < ln->n && sp((unsigned char)ln->s[i]))
        i++;
    if (ln->n - i < 4 || memcmp(ln->s + i, "mig:", 4) != 0)
        return 0;
    *keyoff = i + 4;
    return 1;
}

static const char *const header_keys[] = {"revision",   "down_revision", "branch_labels", "depends_on",
                                          "message",    "create_date",   "transactional", NULL};

int mig_truthy(const char *v)
{
    /* Alembic users test presence (if x.get('admin_email')): any given value
     * counts but the false ones */
    return v && *v && strcmp(v, "0") != 0 && strcasecmp(v, "false") != 0 && strcasecmp(v, "no") != 0 &&
           strcasecmp(v, "off") != 0;
}

const char *mig_x_value(const mig_strlist *names, const mig_strlist *values, const char *name)
{
    int i;
    for (i = names->n - 1; i >= 0; i--)
        if (strcmp(names->v[i], name) == 0)
            return values->v[i];
    return NULL;
}

int mig_section_runs(const mig_section *s, int upgrade, mig_dialect db, const mig_strlist *xnames,
                     const mig_strlist *xvalues)
{
    if (s->upgrade != upgrade)
        return 0;
    if (s->dialect != MIG_DIALECT_ANY && s->dialect != db)
        return 0;
    return !s->if_name || mig_truthy(mig_x_value(xnames, xvalues, s->if_name));
}

const char *mig_running_line(mig_arena *ar, int upgrade, const char *id, const mig_strlist *down,
                             const char *message, int outside)
{
    mig_buf b;
    int i;
    mig_buf_init(&b, ar);
    mig_buf_puts(&b, upgrade ? "Running upgrade " : "Running downgrade ");
    if (!upgrade)
        mig_buf_puts(&b, id);
    for (i = 0; upgrade && i < down->n; i++)
        mig_buf_printf(&b, "%s%s", i ? ", " : "", down->v[i]);
    mig_buf_puts(&b, " -> ");
    if (upgrade)
        mig_buf_puts(&b, id);
    for (i = 0; !upgrade && i < down->n; i++)
        mig_buf_printf(&b, "%s%s", i ? ", " : "", down->v[i]);
    if (message && *message)
        mig_buf_printf(&b, ", %s", message);
    if (outside)
        mig_buf_puts(&b, " (outside a transaction)");
    return b.oom ? NULL : b.data;
}

#define FAIL(...) return fail_at(err, name, lineno, __VA_ARGS__)

static int fail_at(mig_err *err, const char *name, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail_at(mig_err *err, const char *name, unsigned line, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return mig_fail(err, MIG_E_INPUT, "%s:%u: %s", name ? name : "revision source", line, msg);
}

/* Parse the modifiers after upgrade/downgrade. */
static int parse_section_mods(mig_arena *ar, const char *s, size_t n, mig_section *sec, const char *name,
                              unsigned lineno, mig_err *err)
{
    size_t i = 0;
    int seen_if = 0, seen_dialect = 0;
    while (i < n) {
        size_t a;
        while (i < n && sp((unsigned char)s[i]))
            i++;
        if (i >= n)
            break;
        a = i;
        while (i < n && !sp((unsigned char)s[i]))
            i++;
        if (i - a == 2 && memcmp(s + a, "if", 2) == 0) {
            size_t b;
            if (seen_if)
                FAIL("section has more than one 'if'");
            while (i < n && sp((unsigned char)s[i]))
                i++;
            b = i;
            while (i < n && !sp((unsigned char)s[i]))
                i++;
            if (i == b)
                FAIL("'if' needs the name of an x-argument");
            {
                size_t k;
                for (k = b; k < i; k++)
                    if (!mig_is_ident_char((unsigned char)s[k]))
                        FAIL("invalid x-argument name '%.*s' after 'if'", (int)(i - b), s + b);
            }
            sec->if_name = mig_strndup(ar, s + b, i - b);
            if (!sec->if_name)
                return mig_fail(err, MIG_E_NOMEM, "out of memory");
            seen_if = 1;
        } else if (i - a > 8 && memcmp(s + a, "dialect=", 8) == 0) {
            const char *d = s + a + 8;
            size_t dn = i - a - 8;
            if (seen_dialect)
                FAIL("section has more than one 'dialect='");
            if (dn == 10 && memcmp(d, "postgresql", 10) == 0)
                sec->dialect = MIG_DIALECT_POSTGRES;
            else if (dn == 6 && memcmp(d, "sqlite", 6) == 0)
                sec->dialect = MIG_DIALECT_SQLITE;
            else
                FAIL("unknown dialect '%.*s' (expected postgresql or sqlite)", (int)dn, d);
            seen_dialect = 1;
        } else {
            FAIL("unexpected '%.*s' in section marker (expected 'if NAME' or 'dialect=postgresql|sqlite')",
                 (int)(i - a), s + a);
        }
    }
    return 0;
}

int mig_revfile_parse(mig_arena *ar, const char *src, size_t len, const char *name, mig_revfile *out,
                      mig_err *err)
{
    size_t pos = 0;
    unsigned lineno = 0;
    int seen[7] = {0};
    int in_sections = 0, cap = 0;
    line_t ln;
    mig_section *cur = NULL;
    size_t cur_last_nonblank = 0; /* end offset of the last non-blank body line */

    memset(out, 0, sizeof *out);
    out->message = "";
    out->create_date = "";
    out->transactional = 1;

    if (memchr(src, '\0', len))
        return mig_fail(err, MIG_E_INPUT, "%s: contains a NUL byte", name ? name : "revision source");
    /* a UTF-8 byte order mark, as some Windows editors write: not part of
     * the first line (offsets stay those of the source) */
    if (len >= 3 && memcmp(src, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;

    while (next_line(src, len, pos, &ln)) {
        size_t keyoff, kn, n = rtrim(ln.s, ln.n);
        lineno++;
        if (marker_key(&ln, &keyoff)) {
            const char *key = ln.s + keyoff, *val;
            size_t vn;
            int k;
            kn = 0;
            while (keyoff + kn < n && !sp((unsigned char)key[kn]))
                kn++;
            val = key + kn;
            vn = n - keyoff - kn;
            while (vn && sp((unsigned char)*val))
                val++, vn--;
            if ((kn == 7 && memcmp(key, "upgrade", 7) == 0) || (kn == 9 && memcmp(key, "downgrade", 9) == 0)) {
                mig_section *sec;
                if (!seen[0])
                    FAIL("section '-- mig:%.*s' before the header: the file must start with '-- mig:revision ID'",
                         (int)kn, key);
                if (cur) {
                    cur->body_len = cur_last_nonblank > cur->body_off ? cur_last_nonblank - cur->body_off : 0;
                }
                if (out->nsections == cap) {
                    int nc = cap ? cap * 2 : 4;
                    mig_section *ns = mig_alloc(ar, sizeof(*ns) * (size_t)nc);
                    if (!ns)
                        return mig_fail(err, MIG_E_NOMEM, "out of memory");
                    if (out->nsections)
                        memcpy(ns, out->sections, sizeof(*ns) * (size_t)out->nsections);
                    out->sections = ns;
                    cap = nc;
                }
                sec = &out->sections[out->nsections++];
                memset(sec, 0, sizeof *sec);
                sec->upgrade = key[0] == 'u';
                if (parse_section_mods(ar, val, vn, sec, name, lineno, err))
                    return -1;
                sec->body_off = ln.next;
                sec->body_line = lineno + 1;
                cur = sec;
                cur_last_nonblank = ln.next;
                in_sections = 1;
                pos = ln.next;
                continue;
            }
            for (k = 0; header_keys[k]; k++)
                if (strlen(header_keys[k]) == kn && memcmp(header_keys[k], key, kn) == 0)
                    break;
            if (!header_keys[k])
                FAIL("unknown header key '%.*s'", (int)kn, key);
            if (in_sections)
                FAIL("header line '-- mig:%s' after the first section", header_keys[k]);
            if (seen[k])
                FAIL("duplicate header key '%s'", header_keys[k]);
            seen[k] = 1;
            switch (k) {
            case 0: /* revision */
                if (!mig_valid_rev_id(val, vn)) {
                    char why[600];
                    mig_rev_id_problem(val, vn, why, sizeof why);
                    FAIL("%s", why);
                }
                out->id = mig_strndup(ar, val, vn);
                break;
            case 1: /* down_revision */
            case 3: /* depends_on */
            case 2: /* branch_labels */
            {
                mig_strlist *l = k == 1 ? &out->down : k == 2 ? &out->labels : &out->depends;
                int rc = mig_strlist_split(ar, l, val, vn), i;
                if (rc == -2)
                    FAIL("empty item in '%s'", header_keys[k]);
                if (rc)
                    return mig_fail(err, MIG_E_NOMEM, "out of memory");
                for (i = 0; i < l->n; i++) {
                    const char *it = l->v[i];
                    int ok = k == 1 ? mig_valid_rev_id(it, strlen(it)) : mig_valid_label(it, strlen(it));
                    if (!ok && k == 1) {
                        char why[600];
                        mig_rev_id_problem(it, strlen(it), why, sizeof why);
                        FAIL("%s in 'down_revision'", why);
                    }
                    if (!ok)
                        FAIL("malformed %s '%s' in '%s'", k == 2 ? "branch label" : "revision id or label", it,
                             header_keys[k]);
                    if (k == 1 && i > 0) {
                        int j;
                        for (j = 0; j < i; j++)
                            if (strcmp(l->v[j], it) == 0)
                                FAIL("'%s' appears twice in down_revision", it);
                    }
                }
                break;
            }
            case 4:
                out->message = mig_strndup(ar, val, vn);
                break;
            case 5:
                out->create_date = mig_strndup(ar, val, vn);
                break;
            case 6:
                if (vn == 4 && strncasecmp(val, "true", 4) == 0)
                    out->transactional = 1;
                else if (vn == 5 && strncasecmp(val, "false", 5) == 0)
                    out->transactional = 0;
                else
                    FAIL("transactional must be true or false, not '%.*s'", (int)vn, val);
                break;
            }
            if ((k == 0 && !out->id) || (k == 4 && !out->message) || (k == 5 && !out->create_date))
                return mig_fail(err, MIG_E_NOMEM, "out of memory");
            pos = ln.next;
            continue;
        }
        if (!in_sections) {
            /* the header may hold blank lines and comments only */
            size_t i = 0;
            while (i < n && sp((unsigned char)ln.s[i]))
                i++;
            if (i < n && !(n - i >= 2 && ln.s[i] == '-' && ln.s[i + 1] == '-'))
                FAIL("SQL before the first section: put '-- mig:upgrade' above it");
        } else {
            if (n > 0)
                cur_last_nonblank = (size_t)(ln.s - src) + ln.n;
        }
        pos = ln.next;
    }
    if (cur)
        cur->body_len = cur_last_nonblank > cur->body_off ? cur_last_nonblank - cur->body_off : 0;
    if (!out->id) {
        lineno = 1;
        FAIL("missing '-- mig:revision ID' header");
    }
    if (mig_strlist_has(&out->down, out->id))
        return mig_fail(err, MIG_E_INPUT, "%s: Self-loop is detected in revisions (%s): it is its own down_revision",
                        name ? name : "revision source", out->id);
    if (mig_strlist_has(&out->depends, out->id))
        return mig_fail(err, MIG_E_INPUT, "%s: Dependency self-loop is detected in revisions (%s): it depends on itself",
                        name ? name : "revision source", out->id);

    /* The checksum text: each marker line and its body (trailing blank lines
     * already cut), right-trimmed, LF-terminated. */
    {
        mig_buf c2;
        int s;
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int mdlen = 0;
        mig_buf_init(&c2, ar);
        mig_buf_puts(&c2, "");
        for (s = 0; s < out->nsections; s++) {
            const mig_section *sec = &out->sections[s];
            /* the marker line is the line before the body */
            size_t m = sec->body_off;
            size_t mstart;
            size_t p = sec->body_off, end = sec->body_off + sec->body_len;
            if (m > 0)
                m--; /* at the '\n' ending the marker line (or end of file) */
            mstart = m;
            while (mstart > 0 && src[mstart - 1] != '\n')
                mstart--;
            if (m < len && src[m] != '\n')
                m = len; /* marker is the last line without a newline */
            {
                size_t mn = rtrim(src + mstart, m - mstart);
                mig_buf_putn(&c2, src + mstart, mn);
                mig_buf_putn(&c2, "\n", 1);
            }
            while (p < end) {
                size_t q = p;
                while (q < end && src[q] != '\n')
                    q++;
                mig_buf_putn(&c2, src + p, rtrim(src + p, q - p));
                mig_buf_putn(&c2, "\n", 1);
                p = q + 1;
            }
        }
        if (c2.oom)
            return mig_fail(err, MIG_E_NOMEM, "out of memory");
        if (!EVP_Digest(c2.data, c2.len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
            return mig_fail(err, MIG_E_NOMEM, "cannot compute SHA-256");
        for (s = 0; s < 32; s++) {
            out->checksum[2 * s] = "0123456789abcdef"[md[s] >> 4];
            out->checksum[2 * s + 1] = "0123456789abcdef"[md[s] & 15];
        }
        out->checksum[64] = 0;
    }
    return 0;
}
