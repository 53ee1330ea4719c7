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

/* ---- the parser ----------------------------------------------------------- */

/* What the parser knows while it reads the lines of one file. */
typedef struct {
    mig_arena *ar;
    const char *src;
    size_t len;
    const char *name;     /* the source in error messages, or NULL */
    mig_revfile *out;
    mig_err *err;
    unsigned lineno;      /* 1-based number of the current line */
    unsigned seen;        /* bit i: header_keys[i] was given */
    int cap;              /* room in out->sections */
    size_t last_nonblank; /* end offset of the last section's last non-blank body line */
} parser;

/* A `-- mig:KEY value` line: the key, and the value without the white
 * space around it. */
typedef struct {
    const char *key, *val;
    size_t kn, vn;
} marker;

#define PFAIL(p, ...) return fail_at((p)->err, (p)->name, (p)->lineno, __VA_ARGS__)
#define PNOMEM(p) mig_fail((p)->err, MIG_E_NOMEM, "out of memory")

static int is_key(const marker *m, const char *key)
{
    return strlen(key) == m->kn && memcmp(m->key, key, m->kn) == 0;
}

/* ---- header lines: one setter per key ---- */

static int copy_value(parser *p, const char **dst, const char *val, size_t vn)
{
    *dst = mig_strndup(p->ar, val, vn);
    return *dst ? 0 : PNOMEM(p);
}

static int set_revision(parser *p, const char *val, size_t vn)
{
    if (!mig_valid_rev_id(val, vn)) {
        char why[600];
        mig_rev_id_problem(val, vn, why, sizeof why);
        PFAIL(p, "%s", why);
    }
    return copy_value(p, &p->out->id, val, vn);
}

/* A comma-separated value into l (an empty item is an error). */
static int split_list(parser *p, const char *key, mig_strlist *l, const char *val, size_t vn)
{
    int rc = mig_strlist_split(p->ar, l, val, vn);
    if (rc == -2)
        PFAIL(p, "empty item in '%s'", key);
    return rc ? PNOMEM(p) : 0;
}

/* down_revision: distinct revision ids */
static int set_down_revision(parser *p, const char *val, size_t vn)
{
    mig_strlist *l = &p->out->down;
    int i, j;
    if (split_list(p, "down_revision", l, val, vn))
        return -1;
    for (i = 0; i < l->n; i++) {
        const char *it = l->v[i];
        if (!mig_valid_rev_id(it, strlen(it))) {
            char why[600];
            mig_rev_id_problem(it, strlen(it), why, sizeof why);
            PFAIL(p, "%s in 'down_revision'", why);
        }
        for (j = 0; j < i; j++)
            if (strcmp(l->v[j], it) == 0)
                PFAIL(p, "'%s' appears twice in down_revision", it);
    }
    return 0;
}

/* A list of labels (`what` names an item in errors). */
static int set_label_list(parser *p, const char *key, const char *what, mig_strlist *l, const char *val, size_t vn)
{
    int i;
    if (split_list(p, key, l, val, vn))
        return -1;
    for (i = 0; i < l->n; i++)
        if (!mig_valid_label(l->v[i], strlen(l->v[i])))
            PFAIL(p, "malformed %s '%s' in '%s'", what, l->v[i], key);
    return 0;
}

static int set_branch_labels(parser *p, const char *val, size_t vn)
{
    return set_label_list(p, "branch_labels", "branch label", &p->out->labels, val, vn);
}

/* depends_on: revision ids or branch labels, which the label rule covers */
static int set_depends_on(parser *p, const char *val, size_t vn)
{
    return set_label_list(p, "depends_on", "revision id or label", &p->out->depends, val, vn);
}

static int set_message(parser *p, const char *val, size_t vn)
{
    return copy_value(p, &p->out->message, val, vn);
}

static int set_create_date(parser *p, const char *val, size_t vn)
{
    return copy_value(p, &p->out->create_date, val, vn);
}

static int set_transactional(parser *p, const char *val, size_t vn)
{
    if (vn == 4 && strncasecmp(val, "true", 4) == 0)
        p->out->transactional = 1;
    else if (vn == 5 && strncasecmp(val, "false", 5) == 0)
        p->out->transactional = 0;
    else
        PFAIL(p, "transactional must be true or false, not '%.*s'", (int)vn, val);
    return 0;
}

/* The header keys, `-- mig:KEY value`, and what each one sets. */
static const struct header_key {
    const char *name;
    int (*set)(parser *p, const char *val, size_t vn);
} header_keys[] = {
    {"revision", set_revision},
    {"down_revision", set_down_revision},
    {"branch_labels", set_branch_labels},
    {"depends_on", set_depends_on},
    {"message", set_message},
    {"create_date", set_create_date},
    {"transactional", set_transactional},
};
#define N_HEADER_KEYS (int)(sizeof header_keys / sizeof header_keys[0])

/* A header line: a known key, given once, before the first section. */
static int parse_header_line(parser *p, const marker *m)
{
    int k;
    for (k = 0; k < N_HEADER_KEYS && !is_key(m, header_keys[k].name); k++)
        ;
    if (k == N_HEADER_KEYS)
        PFAIL(p, "unknown header key '%.*s'", (int)m->kn, m->key);
    if (p->out->nsections)
        PFAIL(p, "header line '-- mig:%s' after the first section", header_keys[k].name);
    if (p->seen & (1u << k))
        PFAIL(p, "duplicate header key '%s'", header_keys[k].name);
    p->seen |= 1u << k;
    return header_keys[k].set(p, m->val, m->vn);
}

/* ---- section lines ---- */

/* The body of the last section ends at its last non-blank line. */
static void end_section(parser *p)
{
    mig_section *last;
    if (!p->out->nsections)
        return;
    last = &p->out->sections[p->out->nsections - 1];
    last->body_len = p->last_nonblank > last->body_off ? p->last_nonblank - last->body_off : 0;
}

static mig_section *add_section(parser *p)
{
    mig_revfile *out = p->out;
    mig_section *sec;
    if (out->nsections == p->cap) {
        int nc = p->cap ? p->cap * 2 : 4;
        mig_section *ns = mig_alloc(p->ar, sizeof(*ns) * (size_t)nc);
        if (!ns)
            return NULL;
        if (out->nsections)
            memcpy(ns, out->sections, sizeof(*ns) * (size_t)out->nsections);
        out->sections = ns;
        p->cap = nc;
    }
    sec = &out->sections[out->nsections++];
    memset(sec, 0, sizeof *sec);
    return sec;
}

/* `-- mig:upgrade|downgrade [if NAME] [dialect=D]`, after the revision
 * header: the body starts on the next line. */
static int parse_section_line(parser *p, const line_t *ln, const marker *m)
{
    mig_section *sec;
    if (!p->out->id)
        PFAIL(p, "section '-- mig:%.*s' before the header: the file must start with '-- mig:revision ID'",
              (int)m->kn, m->key);
    end_section(p);
    sec = add_section(p);
    if (!sec)
        return PNOMEM(p);
    sec->upgrade = m->key[0] == 'u';
    if (parse_section_mods(p->ar, m->val, m->vn, sec, p->name, p->lineno, p->err))
        return -1;
    sec->body_off = ln->next;
    sec->body_line = p->lineno + 1;
    p->last_nonblank = ln->next;
    return 0;
}

/* ---- other lines ---- */

/* The header may hold blank lines and comments only. */
static int check_header_filler(parser *p, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && sp((unsigned char)s[i]))
        i++;
    if (i < n && !(n - i >= 2 && s[i] == '-' && s[i + 1] == '-'))
        PFAIL(p, "SQL before the first section: put '-- mig:upgrade' above it");
    return 0;
}

/* One line: a `-- mig:` marker opens a section or sets a header key; any
 * other line is header filler before the first section, body after it. */
static int parse_line(parser *p, const line_t *ln)
{
    size_t keyoff, n = rtrim(ln->s, ln->n);
    marker m;
    if (!marker_key(ln, &keyoff)) {
        if (!p->out->nsections)
            return check_header_filler(p, ln->s, n);
        if (n > 0)
            p->last_nonblank = (size_t)(ln->s - p->src) + ln->n;
        return 0;
    }
    m.key = ln->s + keyoff;
    m.kn = 0;
    while (keyoff + m.kn < n && !sp((unsigned char)m.key[m.kn]))
        m.kn++;
    m.val = m.key + m.kn;
    m.vn = n - keyoff - m.kn;
    while (m.vn && sp((unsigned char)*m.val))
        m.val++, m.vn--;
    if (is_key(&m, "upgrade") || is_key(&m, "downgrade"))
        return parse_section_line(p, ln, &m);
    return parse_header_line(p, &m);
}

/* ---- the checksum ---- */

/* Append [s, s+n) right-trimmed and LF-terminated. */
static void put_line(mig_buf *b, const char *s, size_t n)
{
    mig_buf_putn(b, s, rtrim(s, n));
    mig_buf_putn(b, "\n", 1);
}

/* A section's marker line (the line before the body) and its body lines. */
static void put_section(mig_buf *b, const char *src, size_t len, const mig_section *sec)
{
    size_t m = sec->body_off, mstart;
    size_t p = sec->body_off, end = sec->body_off + sec->body_len;
    if (m > 0)
        m--; /* at the '\n' ending the marker line (or end of file) */
    mstart = m;
    while (mstart > 0 && src[mstart - 1] != '\n')
        mstart--;
    if (m < len && src[m] != '\n')
        m = len; /* marker is the last line without a newline */
    put_line(b, src + mstart, m - mstart);
    while (p < end) {
        size_t q = p;
        while (q < end && src[q] != '\n')
            q++;
        put_line(b, src + p, q - p);
        p = q + 1;
    }
}

/* The checksum text: each marker line and its body (trailing blank lines
 * already cut), right-trimmed, LF-terminated; its SHA-256 in hex. */
static int set_checksum(mig_arena *ar, const char *src, size_t len, mig_revfile *out, mig_err *err)
{
    mig_buf text;
    mig_arena_mark mark;
    int s, ok;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    /* the text is only hashed: its memory goes back at once (a project of
     * 100,000 files would otherwise keep 100,000 copies of its sections) */
    mig_arena_mark_get(ar, &mark);
    mig_buf_init(&text, ar);
    mig_buf_puts(&text, "");
    for (s = 0; s < out->nsections; s++)
        put_section(&text, src, len, &out->sections[s]);
    ok = !text.oom && EVP_Digest(text.data, text.len, md, &mdlen, EVP_sha256(), NULL) && mdlen == 32;
    mig_arena_release(ar, &mark);
    if (!ok)
        return mig_fail(err, MIG_E_NOMEM, text.oom ? "out of memory" : "cannot compute SHA-256");
    for (s = 0; s < 32; s++) {
        out->checksum[2 * s] = "0123456789abcdef"[md[s] >> 4];
        out->checksum[2 * s + 1] = "0123456789abcdef"[md[s] & 15];
    }
    out->checksum[64] = 0;
    return 0;
}

/* After the last line: the revision id is required, and may be neither its
 * own down revision nor its own dependency. */
static int finish(parser *p)
{
    const char *name = p->name ? p->name : "revision source";
    mig_revfile *out = p->out;
    end_section(p);
    if (!out->id) {
        p->lineno = 1;
        PFAIL(p, "missing '-- mig:revision ID' header");
    }
    if (mig_strlist_has(&out->down, out->id))
        return mig_fail(p->err, MIG_E_INPUT,
                        "%s: Self-loop is detected in revisions (%s): it is its own down_revision", name, out->id);
    if (mig_strlist_has(&out->depends, out->id))
        return mig_fail(p->err, MIG_E_INPUT,
                        "%s: Dependency self-loop is detected in revisions (%s): it depends on itself", name, out->id);
    return set_checksum(p->ar, p->src, p->len, out, p->err);
}

int mig_revfile_parse(mig_arena *ar, const char *src, size_t len, const char *name, mig_revfile *out,
                      mig_err *err)
{
    parser p = {ar, src, len, name, out, err, 0, 0, 0, 0};
    size_t pos = 0;
    line_t ln;

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
    for (; next_line(src, len, pos, &ln); pos = ln.next) {
        p.lineno++;
        if (parse_line(&p, &ln))
            return -1;
    }
    return finish(&p);
}
