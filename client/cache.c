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
 * The format: a first line "mig-header-cache 1 <binary key>\n", then each
 * entry as FIELDS strings each ended by a NUL byte, in the order the files
 * are listed (folder by folder, by path), then "end\n".  Revision files
 * contain no NUL byte (the reader refuses them), so no field does.
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
    F_LOC, F_NAME, F_DEV, F_INO, F_SIZE, F_MTIME, F_CTIME, /* the key */
    F_ID, F_DOWN, F_LABELS, F_DEPENDS, F_MESSAGE, F_DATE, F_TX, F_HASDOWN, F_CHECKSUM,
    FIELDS
};

/* An entry read: where its fields start (found again when it is matched). */
typedef struct cent {
    const char *p;
} cent;

struct hcache {
    mig_arena *ar;
    char *path;               /* the cache file */
    char head[160];           /* its first line */
    cent *v; int n, cur;      /* what was read, and the next to match */
    const char **keys; int nkeys; /* per listed file: its key fields (location, name,
                                 dev, ino, size, mtime, ctime, each ended by a NUL): a
                                 hit's point into the cache read, a read file's are
                                 new; NULL: not to be written (racy) */
    int hits, misses;
    long long racy_after;     /* ns: files changed after this are not written */
};

static const char MAGIC[] = "mig-header-cache 1";

static long long ns_of(struct timespec t)
{
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void key_of(const struct stat *st, long long k[5])
{
    k[0] = (long long)st->st_dev;
    k[1] = (long long)st->st_ino;
    k[2] = (long long)st->st_size;
    k[3] = ns_of(st->st_mtim);
    k[4] = ns_of(st->st_ctim);
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

/* Read the cache file; any damage means no entries. */
static void load(hcache *c)
{
    int fd = open(c->path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    char *data, *p, *end;
    size_t hl = strlen(c->head), got = 0;
    int cap = 0;
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
    p = data + hl;
    end = data + got - 4;
    while (p < end) {
        cent e;
        int k;
        e.p = p;
        for (k = 0; k < FIELDS; k++) {
            char *z = memchr(p, 0, (size_t)(end - p));
            if (!z) {
                c->n = 0; /* truncated */
                return;
            }
            p = z + 1;
        }
        if (c->n == cap) {
            cent *more;
            cap = cap ? 2 * cap : 1024;
            more = mig_alloc(c->ar, sizeof *more * (size_t)cap);
            if (!more) {
                c->n = 0;
                return;
            }
            if (c->n)
                memcpy(more, c->v, sizeof *more * (size_t)c->n);
            c->v = more;
        }
        c->v[c->n++] = e;
    }
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

static int cmp_key(const cent *e, int loc, const char *name)
{
    int l = atoi(e->p);
    return l != loc ? (l < loc ? -1 : 1) : strcmp(e->p + strlen(e->p) + 1, name);
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
    long long k[5];
    char tmp[256], *out;
    size_t n, nl = strlen(name);
    int j;
    if (!c || !c->keys || i < 0 || i >= c->nkeys)
        return -1;
    key_of(st, k);
    c->keys[i] = NULL;
    /* racy: changed within two seconds of the run; read it again next time */
    if (k[3] >= c->racy_after || k[4] >= c->racy_after)
        return 0;
    /* the numbers, then one allocation of the exact size (one per file read) */
    n = (size_t)snprintf(tmp, sizeof tmp, "%d", loc) + 1;
    for (j = 0; j < 5; j++)
        n += (size_t)snprintf(tmp + n, sizeof tmp - n, "%lld", k[j]) + 1;
    if (!(out = mig_alloc(c->ar, n + nl + 1)))
        return 0;
    j = (int)strlen(tmp) + 1;                     /* the location */
    memcpy(out, tmp, (size_t)j);
    memcpy(out + j, name, nl + 1);                /* the name */
    memcpy(out + j + nl + 1, tmp + j, n - (size_t)j); /* dev .. ctime */
    c->keys[i] = out;
    return 0;
}

/* Has the cache an entry for this file (folder loc, name relative to it)?
 * Files are asked in listing order, the order the cache was written in. */
int hcache_knows(hcache *c, int loc, const char *name)
{
    if (!c)
        return 0;
    while (c->cur < c->n && cmp_key(&c->v[c->cur], loc, name) < 0)
        c->cur++;
    return c->cur < c->n && cmp_key(&c->v[c->cur], loc, name) == 0;
}

/* File i of the listing was read: what stat said of it, for the cache to keep. */
void hcache_note(hcache *c, int i, int loc, const char *name, const struct stat *st)
{
    if (note_key(c, i, loc, name, st) == 0)
        c->misses++;
}

/* File i of the listing, which the cache knows (hcache_knows), and what stat
 * says of it now: 1 with r's header filled from the cache, 0 when it must be
 * read (then hcache_note it). */
int hcache_get(hcache *c, int i, int loc, const char *name, const struct stat *st, revfile_ent *r)
{
    const char *f[FIELDS], *p;
    long long k[5];
    int j;
    if (!hcache_knows(c, loc, name) || !c->keys || i < 0 || i >= c->nkeys)
        return 0;
    for (p = c->v[c->cur++].p, j = 0; j < FIELDS; j++, p += strlen(p) + 1)
        f[j] = p;
    key_of(st, k);
    for (j = 0; j < 5; j++)
        if (strtoll(f[F_DEV + j], NULL, 10) != k[j])
            break;
    if (j < 5 || !mig_valid_rev_id(f[F_ID], strlen(f[F_ID])) || strlen(f[F_CHECKSUM]) != 64)
        return 0; /* the caller reads the file and notes it */
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
    r->len = (size_t)k[2];
    c->keys[i] = f[F_LOC]; /* written again as it was read */
    c->hits++;
    return 1;
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

/* Write the cache when anything was read from a file, or an entry is gone:
 * the headers of v[0..n) (the listing the gets saw), streamed to a
 * temporary file renamed over the old one; best effort. */
void hcache_save(hcache *c, const revfile_ent *v, int n)
{
    char *dir, *tmp, *slash;
    wbuf *w;
    int i, j;
    if (!c || !c->keys || n != c->nkeys || (c->misses == 0 && c->hits == c->n))
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
    for (i = 0; i < n; i++) {
        const mig_revfile *rf = &v[i].rf;
        const char *k = c->keys[i];
        if (!k)
            continue;
        for (j = 0; j < F_ID; j++) {
            w_field(w, k);
            k += strlen(k) + 1;
        }
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
