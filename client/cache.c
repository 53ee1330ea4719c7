/*
 * cache.c — what the revision files' headers said, kept between runs.
 *
 * The commands that read only headers (current, check, heads, branches,
 * history) and a run with nothing to upload spend most of their time at
 * 100,000 revisions opening and reading every file (four system calls a
 * file).  Like Python's __pycache__ for Alembic's revision modules, the
 * client keeps the parsed header of each file (id, down revisions, labels,
 * depends_on, message, create date, transactional, checksum, whether it has
 * a downgrade), keyed by where the file is and what stat(2) says of it:
 * device, inode, size, modification and change times to the nanosecond.
 * A file whose stat differs in anything is read and parsed again.  The
 * change time moves on every write, rename or chmod and cannot be set back
 * by a program (touch -r restores only the modification time), so an
 * edited file is never taken for the cached one.  As git does with its
 * index, a file changed within two seconds of the run is not cached (two
 * writes within one clock tick give equal times), and neither is anything
 * when the client binary changes (its size and times are part of the key),
 * so a newer parser never trusts an older one's reading.
 *
 * The cache lives in $XDG_CACHE_HOME/mig (or ~/.cache/mig), one file per
 * set of version folders (named by a SHA-256 of their real paths), written
 * to a temporary file and renamed; nothing is written into the project.
 * It is an optimisation only: when it cannot be read, is damaged or cannot
 * be written, the files are read as without it, and MIG_CACHE=off turns it
 * off.  MIG_CACHE_CLOCK (seconds) replaces the clock of the two-second rule,
 * for tests.
 *
 * The format (version 2): a first line "mig-header-cache 2 <binary key>\n";
 * a second line, the summary of the whole listing when the graph it made
 * was valid and every file was cached ("summary N NONTX NODOWN DIGEST
 * HEAD...\n": the number of files, how many are `transactional false` and
 * how many have no downgrade, the SHA-256 of the headers that the store
 * digest of the database is compared with (run.c), the real heads), else
 * "summary -\n"; then each entry as fields each ended by a NUL byte: the
 * length of the rest of the entry, the location, the name, the stat key
 * (80 hex digits), then the header; then "end\n".  Revision files contain
 * no NUL byte (the reader refuses them), so no field does.  Entries are
 * found by name through a hash table, so the listing needs no sorting when
 * it is the cached one, and when every listed file is in the cache as it
 * is, a command that needs only the summary (current, check, a no-op
 * upgrade) builds no graph (files.c, FILES_SUMMARY).
 */
#include "mig.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum {
    F_LEN, F_LOC, F_NAME, F_KEY, /* the key */
    F_ID, F_DOWN, F_LABELS, F_DEPENDS, F_MESSAGE, F_DATE, F_TX, F_HASDOWN, F_CHECKSUM,
    FIELDS
};

#define KEYLEN 80 /* five 64-bit numbers in hex */

/* An entry read: its location, name and key (pointers into the file read);
 * its header starts after the key and ends at end. */
typedef struct cent {
    const char *loc_p;  /* "LOC\0NAME\0KEY\0": what a hit writes again */
    const char *name;
    const char *key;
    char *end;
    int loc;
    unsigned hash;      /* of (loc, name) */
    int used;           /* matched by a listed file */
} cent;

struct hcache {
    mig_arena *ar;
    char *path;               /* the cache file */
    char head[160];           /* its first line */
    cent *v; int n;           /* what was read */
    int *slots; unsigned mask; /* open addressing: entry index + 1 by (loc, name) */
    int *idslots;             /* the same by revision id (hcache_by_id builds it) */
    files_summary sum;        /* the summary read */
    int has_sum;
    const char **keys; int nkeys; /* per listed file: "LOC\0NAME\0KEY\0" (a hit's point into
                                 the cache read, a read file's are new); NULL: not to
                                 be written (racy) */
    int hits, misses;
    long long racy_after;     /* ns: files changed after this are not written */
};

static const char MAGIC[] = "mig-header-cache 2";

static long long ns_of(struct timespec t)
{
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* What stat says of a file, as the cache keeps it: 80 hex digits. */
static void key_of(const struct stat *st, char out[KEYLEN + 1])
{
    static const char HEX[] = "0123456789abcdef";
    unsigned long long k[5];
    int i, j;
    k[0] = (unsigned long long)st->st_dev;
    k[1] = (unsigned long long)st->st_ino;
    k[2] = (unsigned long long)st->st_size;
    k[3] = (unsigned long long)ns_of(st->st_mtim);
    k[4] = (unsigned long long)ns_of(st->st_ctim);
    for (i = 0; i < 5; i++)
        for (j = 0; j < 16; j++)
            out[16 * i + j] = HEX[(k[i] >> (60 - 4 * j)) & 15];
    out[KEYLEN] = 0;
}

static int cache_off(void)
{
    const char *v = getenv("MIG_CACHE");
    return v && (strcmp(v, "off") == 0 || strcmp(v, "0") == 0 || strcmp(v, "no") == 0 || strcmp(v, "false") == 0);
}

/* The cache file for these folders, or NULL (no home, or a folder that cannot be resolved). */
static char *cache_path(mig_arena *ar, const mig_strlist *dirs, int recursive)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char h[EVP_MAX_MD_SIZE];
    unsigned hl = 0, i;
    char hex[65], *base;
    int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    for (i = 0; ok && i < (unsigned)dirs->n; i++) {
        char *r = realpath(dirs->v[i], NULL);
        ok = r && EVP_DigestUpdate(md, r, strlen(r) + 1);
        free(r);
    }
    ok = ok && EVP_DigestUpdate(md, recursive ? "r" : "-", 1) && EVP_DigestFinal_ex(md, h, &hl) && hl >= 32;
    EVP_MD_CTX_free(md);
    if (!ok)
        return NULL;
    for (i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", h[i]);
    if (xdg && xdg[0] == '/')
        base = mig_sprintf(ar, "%s/mig", xdg);
    else if (home && home[0] == '/')
        base = mig_sprintf(ar, "%s/.cache/mig", home);
    else
        return NULL;
    return mig_sprintf(ar, "%s/%s", base, hex);
}

/* The first line: the format, and the client binary it was written by. */
static int head_line(char *out, size_t n)
{
    struct stat st;
    if (stat("/proc/self/exe", &st) != 0)
        return -1;
    snprintf(out, n, "%s %llu:%llu:%lld:%lld:%lld\n", MAGIC, (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino, (long long)st.st_size, ns_of(st.st_mtim), ns_of(st.st_ctim));
    return 0;
}

static unsigned hash_of(int loc, const char *name)
{
    unsigned h = 2166136261u ^ (unsigned)loc;
    for (; *name; name++)
        h = (h ^ (unsigned char)*name) * 16777619u;
    return h ^ (h >> 15);
}

/* A decimal number ended by a NUL within [p, end): its value, *next after the NUL; -1 when not. */
static long dec_field(const char *p, const char *end, const char **next)
{
    long v = 0;
    if (p >= end || *p < '0' || *p > '9')
        return -1;
    for (; p < end && *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (*p - '0');
        if (v > 1L << 40)
            return -1;
    }
    if (p >= end || *p)
        return -1;
    *next = p + 1;
    return v;
}

/* The summary line (after the first line); 0 when it is malformed. */
static int read_summary(hcache *c, char *line, char *nl)
{
    char *p, *tok;
    int k = 0;
    *nl = 0;
    if (strcmp(line, "summary -") == 0)
        return 1;
    for (p = line; (tok = strsep(&p, " ")) != NULL; k++) {
        if (k == 0 && strcmp(tok, "summary") != 0)
            return 0;
        if (k >= 1 && k <= 3) {
            char *e;
            long v = strtol(tok, &e, 10);
            if (*e || v < 0 || v > 1 << 30)
                return 0;
            if (k == 1)
                c->sum.n = (int)v;
            else if (k == 2)
                c->sum.nontx = (int)v;
            else
                c->sum.nodown = (int)v;
        } else if (k == 4) {
            if (strlen(tok) != 64)
                return 0;
            memcpy(c->sum.digest, tok, 65);
        } else if (k >= 5) {
            if (!mig_valid_rev_id(tok, strlen(tok)))
                return 0;
            mig_strlist_add(c->ar, &c->sum.real_heads, tok);
        }
    }
    if (k < 5)
        return 0;
    c->has_sum = 1;
    return 1;
}

/* Read the cache file; any damage means no entries. */
static void load(hcache *c)
{
    int fd = open(c->path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    char *data, *p, *end, *nl;
    size_t hl = strlen(c->head), got = 0;
    int cap = 0, i;
    if (fd < 0)
        return;
    /* only a cache this user wrote and nobody else can write: another user's
     * file (a shared XDG_CACHE_HOME) could make an edited file look unchanged */
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022) != 0 ||
        (size_t)st.st_size < hl + 4 ||
        (data = mig_alloc(c->ar, (size_t)st.st_size + 1)) == NULL) {
        close(fd);
        return;
    }
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, data + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (got != (size_t)st.st_size || memcmp(data, c->head, hl) != 0 || memcmp(data + got - 4, "end\n", 4) != 0)
        return;
    data[got] = 0;
    end = data + got - 4;
    p = data + hl;
    if (!(nl = memchr(p, '\n', (size_t)(end - p))) || !read_summary(c, p, nl)) {
        c->has_sum = 0;
        return;
    }
    p = nl + 1;
    while (p < end) {
        cent e;
        const char *q;
        long len = dec_field(p, end, &q), loc;
        if (len < 0 || len > end - q || len < 2 || q[len - 1] != 0)
            goto damaged;
        e.end = (char *)q + len;
        e.loc_p = q;
        if ((loc = dec_field(q, e.end, &q)) < 0 || loc > 1 << 20)
            goto damaged;
        e.loc = (int)loc;
        e.name = q;
        q += strlen(q) + 1;
        e.key = q;
        if (e.end - q < KEYLEN + 1 || q[KEYLEN] != 0)
            goto damaged;
        e.used = 0;
        e.hash = hash_of(e.loc, e.name);
        if (c->n == cap) {
            cent *more;
            cap = cap ? 2 * cap : 1024;
            more = mig_alloc(c->ar, sizeof *more * (size_t)cap);
            if (!more)
                goto damaged;
            if (c->n)
                memcpy(more, c->v, sizeof *more * (size_t)c->n);
            c->v = more;
        }
        c->v[c->n++] = e;
        p = e.end;
    }
    /* the index by (location, name), at most half full */
    for (c->mask = 1023; c->mask < 2u * (unsigned)c->n; c->mask = 2 * c->mask + 1)
        ;
    if (!(c->slots = mig_alloc0(c->ar, sizeof *c->slots * ((size_t)c->mask + 1))))
        goto damaged;
    for (i = 0; i < c->n; i++) {
        unsigned h = c->v[i].hash & c->mask;
        while (c->slots[h])
            h = (h + 1) & c->mask;
        c->slots[h] = i + 1;
    }
    return;
damaged:
    c->n = 0;
    c->has_sum = 0;
    c->slots = NULL;
}

hcache *hcache_open(mig_arena *ar, const mig_strlist *dirs, int recursive)
{
    hcache *c;
    struct timespec now;
    const char *clock;
    if (cache_off() || (c = mig_alloc0(ar, sizeof *c)) == NULL)
        return NULL;
    c->ar = ar;
    if (head_line(c->head, sizeof c->head) || (c->path = cache_path(ar, dirs, recursive)) == NULL)
        return NULL;
    clock_gettime(CLOCK_REALTIME, &now);
    c->racy_after = ns_of(now) - 2000000000LL;
    /* the tests' clock (seconds since the epoch): what counts as just changed, without waiting */
    if ((clock = getenv("MIG_CACHE_CLOCK")) != NULL)
        c->racy_after = strtoll(clock, NULL, 10) * 1000000000LL - 2000000000LL;
    load(c);
    return c;
}

/* Split a cached list in place (the loaded text is the cache's own). */
static void split_list(mig_arena *ar, char *s, mig_strlist *out)
{
    memset(out, 0, sizeof *out);
    while (*s) {
        char *a = s;
        while (*s && *s != ' ')
            s++;
        if (*s)
            *s++ = 0;
        mig_strlist_add(ar, out, a);
    }
}

/* The number of listed files: call before the first get. */
void hcache_expect(hcache *c, int nfiles)
{
    if (c && (c->keys = mig_alloc0(c->ar, sizeof *c->keys * (size_t)(nfiles + 1))) != NULL)
        c->nkeys = nfiles;
}

static int note_key(hcache *c, int i, int loc, const char *name, const struct stat *st)
{
    char key[KEYLEN + 1], ls[16], *out;
    size_t nl = strlen(name), ll;
    if (!c || !c->keys || i < 0 || i >= c->nkeys)
        return -1;
    c->keys[i] = NULL;
    /* racy: changed within two seconds of the run; read it again next time */
    if (ns_of(st->st_mtim) >= c->racy_after || ns_of(st->st_ctim) >= c->racy_after)
        return 0;
    key_of(st, key);
    ll = (size_t)snprintf(ls, sizeof ls, "%d", loc) + 1;
    if (!(out = mig_alloc(c->ar, ll + nl + 1 + KEYLEN + 1)))
        return 0;
    memcpy(out, ls, ll);
    memcpy(out + ll, name, nl + 1);
    memcpy(out + ll + nl + 1, key, KEYLEN + 1);
    c->keys[i] = out;
    return 0;
}

/* The cache's entry for this file (folder loc, name relative to it), or -1. */
int hcache_find(hcache *c, int loc, const char *name)
{
    unsigned h, hv;
    if (!c || !c->slots)
        return -1;
    hv = hash_of(loc, name);
    for (h = hv & c->mask; c->slots[h]; h = (h + 1) & c->mask) {
        const cent *e = &c->v[c->slots[h] - 1];
        if (e->hash == hv && e->loc == loc && strcmp(e->name, name) == 0)
            return c->slots[h] - 1;
    }
    return -1;
}

int hcache_knows(hcache *c, int loc, const char *name)
{
    return hcache_find(c, loc, name) >= 0;
}

/* File i of the listing was read: what stat said of it, for the cache to keep. */
void hcache_note(hcache *c, int i, int loc, const char *name, const struct stat *st)
{
    if (note_key(c, i, loc, name, st) == 0)
        c->misses++;
}

/* Does entry k say what stat says of the file now? */
int hcache_same(hcache *c, int k, const struct stat *st)
{
    char key[KEYLEN + 1];
    if (!c || k < 0 || k >= c->n)
        return 0;
    key_of(st, key);
    return memcmp(key, c->v[k].key, KEYLEN) == 0;
}

/* Fill r's header from entry k (whose key matched): 0 when the entry is damaged. */
static int fill(hcache *c, int k, revfile_ent *r)
{
    const char *f[FIELDS];
    char *p = (char *)c->v[k].key + KEYLEN + 1, *end = c->v[k].end;
    int j;
    for (j = F_ID; j < FIELDS; j++) {
        char *z;
        if (p >= end || !(z = memchr(p, 0, (size_t)(end - p))))
            return 0;
        f[j] = p;
        p = z + 1;
    }
    if (p != end || !mig_valid_rev_id(f[F_ID], strlen(f[F_ID])) || strlen(f[F_CHECKSUM]) != 64)
        return 0;
    memset(&r->rf, 0, sizeof r->rf);
    r->rf.id = f[F_ID];
    split_list(c->ar, (char *)f[F_DOWN], &r->rf.down);
    split_list(c->ar, (char *)f[F_LABELS], &r->rf.labels);
    split_list(c->ar, (char *)f[F_DEPENDS], &r->rf.depends);
    r->rf.message = f[F_MESSAGE];
    r->rf.create_date = f[F_DATE];
    r->rf.transactional = f[F_TX][0] == '1';
    memcpy(r->rf.checksum, f[F_CHECKSUM], 65);
    r->has_down = f[F_HASDOWN][0] == '1';
    r->src = NULL;
    {
        /* the size: the third number of the key */
        unsigned long long size = 0;
        const char *h = c->v[k].key + 32;
        for (j = 0; j < 16; j++)
            size = size << 4 | (unsigned)(h[j] <= '9' ? h[j] - '0' : h[j] - 'a' + 10);
        r->len = (size_t)size;
    }
    return 1;
}

/* File i of the listing, and what stat says of it now: 1 with r's header
 * filled from the cache, 0 when it must be read (then hcache_note it). */
int hcache_get(hcache *c, int i, int loc, const char *name, const struct stat *st, revfile_ent *r)
{
    int k = hcache_find(c, loc, name);
    if (k < 0 || !c->keys || i < 0 || i >= c->nkeys || c->v[k].used || !hcache_same(c, k, st) || !fill(c, k, r))
        return 0; /* the caller reads the file and notes it */
    c->v[k].used = 1;
    c->keys[i] = c->v[k].loc_p; /* written again as it was read */
    c->hits++;
    return 1;
}

/* The entry of revision id (among the entries' headers), or -1; *checksum its checksum. */
int hcache_by_id(hcache *c, const char *id, const char **checksum)
{
    unsigned h;
    int i;
    if (!c || !c->slots)
        return -1;
    if (!c->idslots) {
        if (!(c->idslots = mig_alloc0(c->ar, sizeof *c->idslots * ((size_t)c->mask + 1))))
            return -1;
        for (i = 0; i < c->n; i++) {
            for (h = hash_of(0, c->v[i].key + KEYLEN + 1) & c->mask; c->idslots[h]; h = (h + 1) & c->mask)
                ;
            c->idslots[h] = i + 1;
        }
    }
    for (h = hash_of(0, id) & c->mask; c->idslots[h]; h = (h + 1) & c->mask) {
        const cent *e = &c->v[c->idslots[h] - 1];
        if (strcmp(e->key + KEYLEN + 1, id) == 0) {
            if (e->end - e->key < KEYLEN + 1 + 66 || strlen(e->end - 65) != 64)
                return -1;
            *checksum = e->end - 65;
            return c->idslots[h] - 1;
        }
    }
    return -1;
}

/* Would hcache_save write anything (given a summary)? */
int hcache_dirty(hcache *c)
{
    return c && c->keys && (c->misses > 0 || c->hits != c->n || !c->has_sum);
}

/* The summary, when the cache has one and it is of exactly n entries. */
const files_summary *hcache_summary(hcache *c, int n)
{
    return c && c->has_sum && c->sum.n == n && c->n == n ? &c->sum : NULL;
}

/* The header of entry k (its key matched) into r (0: damaged: read the file). */
int hcache_fill(hcache *c, int k, revfile_ent *r)
{
    return c && k >= 0 && k < c->n && fill(c, k, r);
}

/* A buffered writer of the cache file. */
typedef struct wbuf {
    int fd, failed;
    size_t n;
    char b[65536];
} wbuf;

static void w_flush(wbuf *w)
{
    size_t off = 0;
    while (!w->failed && off < w->n) {
        ssize_t k = write(w->fd, w->b + off, w->n - off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            w->failed = 1;
        else
            off += (size_t)k;
    }
    w->n = 0;
}

static void w_put(wbuf *w, const char *s, size_t n)
{
    while (n > 0) {
        size_t k = sizeof w->b - w->n < n ? sizeof w->b - w->n : n;
        memcpy(w->b + w->n, s, k);
        w->n += k;
        s += k;
        n -= k;
        if (w->n == sizeof w->b)
            w_flush(w);
    }
}

/* a field and its NUL */
static void w_field(wbuf *w, const char *s)
{
    w_put(w, s ? s : "", (s ? strlen(s) : 0) + 1);
}

static void w_list(wbuf *w, const mig_strlist *l)
{
    int i;
    for (i = 0; i < l->n; i++) {
        if (i)
            w_put(w, " ", 1);
        w_put(w, l->v[i], strlen(l->v[i]));
    }
    w_put(w, "", 1);
}

static size_t list_len(const mig_strlist *l)
{
    size_t n = 0;
    int i;
    for (i = 0; i < l->n; i++)
        n += strlen(l->v[i]) + (i > 0);
    return n + 1;
}

/* Write the cache when anything was read from a file, an entry is gone, or
 * a summary can be written that the cache lacks: the headers of v[0..n)
 * (the listing the gets saw), and sum (NULL: none) when every file is in
 * it, streamed to a temporary file renamed over the old one; best effort. */
void hcache_save(hcache *c, const revfile_ent *v, int n, const files_summary *sum)
{
    char *dir, *tmp, *slash;
    wbuf *w;
    int i, all = 1;
    if (!c || !c->keys || n != c->nkeys)
        return;
    for (i = 0; i < n && all; i++)
        all = c->keys[i] != NULL;
    if (!all)
        sum = NULL;
    if (c->misses == 0 && c->hits == c->n && (!sum || c->has_sum))
        return;
    dir = mig_strdup(c->ar, c->path);
    slash = strrchr(dir, '/');
    *slash = 0;
    /* ~/.cache, then ~/.cache/mig, private to the user */
    slash = strrchr(dir, '/');
    *slash = 0;
    (void)mkdir(dir, 0700);
    *slash = '/';
    (void)mkdir(dir, 0700);
    tmp = mig_sprintf(c->ar, "%s.%ld.tmp", c->path, (long)getpid());
    if (!(w = mig_alloc(c->ar, sizeof *w)))
        return;
    w->n = 0;
    w->failed = 0;
    if ((w->fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
        return;
    w_put(w, c->head, strlen(c->head));
    if (sum) {
        char line[128];
        snprintf(line, sizeof line, "summary %d %d %d %s", sum->n, sum->nontx, sum->nodown, sum->digest);
        w_put(w, line, strlen(line));
        for (i = 0; i < sum->real_heads.n; i++) {
            w_put(w, " ", 1);
            w_put(w, sum->real_heads.v[i], strlen(sum->real_heads.v[i]));
        }
        w_put(w, "\n", 1);
    } else
        w_put(w, "summary -\n", 10);
    for (i = 0; i < n; i++) {
        const mig_revfile *rf = &v[i].rf;
        const char *k = c->keys[i], *loc, *name, *key;
        char len[24];
        size_t total;
        if (!k)
            continue;
        loc = k;
        name = loc + strlen(loc) + 1;
        key = name + strlen(name) + 1;
        total = strlen(loc) + 1 + strlen(name) + 1 + KEYLEN + 1 + strlen(rf->id) + 1 + list_len(&rf->down) +
                list_len(&rf->labels) + list_len(&rf->depends) + strlen(rf->message ? rf->message : "") + 1 +
                strlen(rf->create_date ? rf->create_date : "") + 1 + 2 + 2 + strlen(rf->checksum) + 1;
        snprintf(len, sizeof len, "%zu", total);
        w_field(w, len);
        w_field(w, loc);
        w_field(w, name);
        w_put(w, key, KEYLEN + 1);
        w_field(w, rf->id);
        w_list(w, &rf->down);
        w_list(w, &rf->labels);
        w_list(w, &rf->depends);
        w_field(w, rf->message);
        w_field(w, rf->create_date);
        w_field(w, rf->transactional ? "1" : "0");
        w_field(w, v[i].has_down ? "1" : "0");
        w_field(w, rf->checksum);
    }
    w_put(w, "end\n", 4);
    w_flush(w);
    if (close(w->fd) != 0 || w->failed || rename(tmp, c->path) != 0)
        unlink(tmp);
}
