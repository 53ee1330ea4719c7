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
#include <stdint.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { H_LEN, H_ID, H_DOWN, H_LABELS, H_DEPENDS, H_MESSAGE, H_DATE, H_TX, H_HASDOWN, H_CHECKSUM, HFIELDS };

/* A file's key: what stat says of it. */
typedef struct hkey {
    uint64_t v[5]; /* device, inode, size, modification and change time (ns) */
} hkey;

/* One record of the key part (in the order the folder was read in, so
 * that an unchanged folder is matched record by record), fixed size (the cache is this machine's own,
 * written and read by the same binary: native byte order). */
typedef struct hrec {
    uint32_t loc;      /* the folder's index */
    uint32_t name_off; /* the name, in the names part */
    uint32_t hash;     /* of (loc, name) */
    uint32_t hdr;      /* its header's index in the header part */
    uint32_t id_off;   /* its revision id, in the names part (after the name) */
    uint32_t pad;
    hkey key;
    unsigned char ck[32]; /* its checksum */
} hrec;

/* What a listed file will be written as: its location, name and key. */
typedef struct wkey {
    const char *name;
    int loc;
    int set;
    hkey key;
} wkey;

struct hcache {
    mig_arena *ar;
    char *path;               /* the cache file */
    char head[160];           /* its first line */
    int fd;                   /* the cache file read (its header part is read when needed), or -1 */
    hrec *rec; int n;         /* the key part */
    const char *names; size_t nnames;
    unsigned char *used;      /* per entry: matched by a listed file */
    uint64_t *slots; unsigned mask; /* open addressing: hash << 32 | entry + 1 */
    uint64_t *idslots;        /* hash << 32 | record + 1 by revision id (hcache_checksum_is builds it) */
    off_t head_off; size_t head_len; /* the header part in the file */
    char **hdr, **hdr_end;    /* per entry: its header fields, and their end (NULL until read) */
    int hdr_state;            /* 0 not read, 1 read, -1 damaged */
    files_summary sum;        /* the summary read */
    int has_sum;
    wkey *keys; int nkeys;    /* per listed file (allocated on the first note or get) */
    int hits, misses;
    long long racy_after;     /* ns: files changed after this are not written */
};

static const char MAGIC[] = "mig-header-cache 3";

static long long ns_of(struct timespec t)
{
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void key_of(const struct stat *st, hkey *k)
{
    k->v[0] = (uint64_t)st->st_dev;
    k->v[1] = (uint64_t)st->st_ino;
    k->v[2] = (uint64_t)st->st_size;
    k->v[3] = (uint64_t)ns_of(st->st_mtim);
    k->v[4] = (uint64_t)ns_of(st->st_ctim);
}

int cache_off(void)
{
    const char *v = getenv("MIG_CACHE");
    return v && (strcmp(v, "off") == 0 || strcmp(v, "0") == 0 || strcmp(v, "no") == 0 || strcmp(v, "false") == 0);
}

/* The cache file for these folders, or NULL (no home, or a folder that cannot be resolved). */
char *cache_path(mig_arena *ar, const mig_strlist *dirs, int recursive)
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

/* The client binary, as stat says of it: a cache written by another build
 * (or the same path rebuilt) is never trusted. */
int cache_binary_key(char *out, size_t n)
{
    struct stat st;
    if (stat("/proc/self/exe", &st) != 0)
        return -1;
    snprintf(out, n, "%llu:%llu:%lld:%lld:%lld", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
             (long long)st.st_size, ns_of(st.st_mtim), ns_of(st.st_ctim));
    return 0;
}

/* The first line: the format, and the client binary it was written by. */
static int head_line(char *out, size_t n)
{
    char key[120];
    if (cache_binary_key(key, sizeof key))
        return -1;
    snprintf(out, n, "%s %s\n", MAGIC, key);
    return 0;
}

static uint32_t hash_of(int loc, const char *name)
{
    uint32_t h = 2166136261u ^ (uint32_t)loc;
    for (; *name; name++)
        h = (h ^ (unsigned char)*name) * 16777619u;
    return h ^ (h >> 15);
}

static int pread_all(int fd, void *buf, size_t n, off_t off)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, (char *)buf + got, n - got, off + (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
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

/* Read the cache file's key part (and check its frame); any damage means
 * no entries.  The header part is read when a header is needed. */
static void load(hcache *c)
{
    int fd = open(c->path, O_RDONLY | O_CLOEXEC), i;
    struct stat st;
    char *text = NULL, *l2, *l3, *l4, tail[4];
    size_t hl = strlen(c->head), tl = 0;
    unsigned long long n = 0, nnames = 0, nhead = 0;
    off_t off;
    if (fd < 0)
        return;
    /* only a cache this user wrote and nobody else can write: another user's
     * file (a shared XDG_CACHE_HOME) could make an edited file look unchanged */
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022) != 0 ||
        (size_t)st.st_size < hl + 4)
        goto damaged;
    /* the three lines: the first, the summary, the sizes of the parts */
    for (tl = 4096;; tl *= 2) {
        size_t want = tl < (size_t)st.st_size ? tl : (size_t)st.st_size;
        if (!(text = mig_alloc(c->ar, want + 1)) || pread_all(fd, text, want, 0))
            goto damaged;
        text[want] = 0;
        {
            char *a = memchr(text, '\n', want), *b = a ? memchr(a + 1, '\n', want - (size_t)(a + 1 - text)) : NULL,
                 *d = b ? memchr(b + 1, '\n', want - (size_t)(b + 1 - text)) : NULL;
            if (d) {
                l2 = a + 1;
                l3 = b + 1;
                l4 = d + 1;
                break;
            }
        }
        if (want == (size_t)st.st_size || tl > (1u << 26))
            goto damaged;
    }
    if (memcmp(text, c->head, hl) != 0 || l2 != text + hl || !read_summary(c, l2, l3 - 1))
        goto damaged;
    l4[-1] = 0;
    if (sscanf(l3, "keys %llu %llu %llu", &n, &nnames, &nhead) != 3 || n > (1u << 26) || nnames > (1ull << 34) ||
        nhead > (1ull << 36))
        goto damaged;
    off = (off_t)(l4 - text);
    if ((unsigned long long)st.st_size != (unsigned long long)off + n * sizeof(hrec) + nnames + nhead + 4 ||
        pread_all(fd, tail, 4, st.st_size - 4) || memcmp(tail, "end\n", 4) != 0)
        goto damaged;
    c->n = (int)n;
    c->rec = mig_alloc(c->ar, sizeof *c->rec * (size_t)(n + 1));
    c->names = mig_alloc(c->ar, (size_t)nnames + 1);
    c->used = mig_alloc0(c->ar, (size_t)n + 1);
    if (!c->rec || !c->names || !c->used || pread_all(fd, c->rec, sizeof *c->rec * (size_t)n, off) ||
        pread_all(fd, (char *)c->names, (size_t)nnames, off + (off_t)(n * sizeof(hrec))))
        goto damaged;
    ((char *)c->names)[nnames] = 0;
    c->nnames = (size_t)nnames;
    if (nnames && c->names[nnames - 1] != 0)
        goto damaged;
    c->head_off = off + (off_t)(n * sizeof(hrec) + nnames);
    c->head_len = (size_t)nhead;
    /* the index by (location, name), at most half full */
    for (c->mask = 1023; c->mask < 2u * (unsigned)c->n; c->mask = 2 * c->mask + 1)
        ;
    if (!(c->slots = mig_alloc0(c->ar, sizeof *c->slots * ((size_t)c->mask + 1))))
        goto damaged;
    for (i = 0; i < c->n; i++) {
        unsigned h = c->rec[i].hash & c->mask;
        if (c->rec[i].name_off >= nnames || c->rec[i].id_off >= nnames || c->rec[i].hdr >= n)
            goto damaged;
        while (c->slots[h])
            h = (h + 1) & c->mask;
        c->slots[h] = (uint64_t)c->rec[i].hash << 32 | (uint64_t)(i + 1);
    }
    c->fd = fd;
    return;
damaged:
    close(fd);
    c->n = 0;
    c->has_sum = 0;
    c->slots = NULL;
}

/* The header part, read once; 0 when it is damaged. */
static int load_headers(hcache *c)
{
    char *data, *p, *end;
    int i;
    if (c->hdr_state)
        return c->hdr_state > 0;
    c->hdr_state = -1;
    if (c->fd < 0 || !(data = mig_alloc(c->ar, c->head_len + 1)) ||
        !(c->hdr = mig_alloc0(c->ar, sizeof *c->hdr * (size_t)(c->n + 1))) ||
        !(c->hdr_end = mig_alloc0(c->ar, sizeof *c->hdr_end * (size_t)(c->n + 1))) ||
        pread_all(c->fd, data, c->head_len, c->head_off))
        return 0;
    close(c->fd);
    c->fd = -1;
    data[c->head_len] = 0;
    p = data;
    end = data + c->head_len;
    for (i = 0; i < c->n; i++) {
        unsigned long len = 0;
        char *q = p;
        for (; q < end && *q >= '0' && *q <= '9' && len < (1ul << 30); q++)
            len = len * 10 + (unsigned long)(*q - '0');
        if (q == p || q >= end || *q || len < 2 || len > (unsigned long)(end - q - 1) || q[len] != 0)
            return 0;
        c->hdr[i] = q + 1;
        p = q + 1 + len;
        c->hdr_end[i] = p;
    }
    if (p != end)
        return 0;
    c->hdr_state = 1;
    return 1;
}

hcache *hcache_open(mig_arena *ar, const mig_strlist *dirs, int recursive)
{
    hcache *c;
    struct timespec now;
    const char *clock;
    if (cache_off() || (c = mig_alloc0(ar, sizeof *c)) == NULL)
        return NULL;
    c->ar = ar;
    c->fd = -1;
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

/* Split a cached list in place (the loaded text is the cache's own), into
 * an array of exactly its items (most lists of 100,000 entries hold one). */
static void split_list(mig_arena *ar, char *s, mig_strlist *out)
{
    const char *q;
    memset(out, 0, sizeof *out);
    if (!*s)
        return;
    out->cap = 1;
    for (q = s; *q; q++)
        out->cap += *q == ' ';
    if (!(out->v = mig_alloc(ar, sizeof *out->v * (size_t)out->cap)))
        out->cap = 0; /* mig_strlist_add tries again, and fails as it does */
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
    if (c)
        c->nkeys = nfiles;
}

static wkey *wkey_of(hcache *c, int i)
{
    if (!c || i < 0 || i >= c->nkeys)
        return NULL;
    if (!c->keys && !(c->keys = mig_alloc0(c->ar, sizeof *c->keys * (size_t)(c->nkeys + 1)))) {
        c->nkeys = 0;
        return NULL;
    }
    return &c->keys[i];
}

static int note_key(hcache *c, int i, int loc, const char *name, const struct stat *st)
{
    wkey *w = wkey_of(c, i);
    if (!w)
        return -1;
    w->set = 0;
    /* racy: changed within two seconds of the run; read it again next time */
    if (ns_of(st->st_mtim) >= c->racy_after || ns_of(st->st_ctim) >= c->racy_after)
        return 0;
    w->name = name; /* the listing's, which lives as long as the cache */
    w->loc = loc;
    key_of(st, &w->key);
    w->set = 1;
    return 0;
}

/* The cache's entry for this file (folder loc, name relative to it), or -1. */
int hcache_find(hcache *c, int loc, const char *name)
{
    unsigned h;
    uint32_t hv;
    if (!c || !c->slots)
        return -1;
    hv = hash_of(loc, name);
    for (h = hv & c->mask; c->slots[h]; h = (h + 1) & c->mask) {
        int k = (int)(c->slots[h] & 0xffffffffu) - 1;
        if ((uint32_t)(c->slots[h] >> 32) == hv && c->rec[k].loc == (uint32_t)loc &&
            strcmp(c->names + c->rec[k].name_off, name) == 0)
            return k;
    }
    return -1;
}

int hcache_knows(hcache *c, int loc, const char *name)
{
    return hcache_find(c, loc, name) >= 0;
}

/* File i of the listing was read: what stat said of it, for the cache to
 * keep.  name is kept, not copied: the listing's, in the cache's arena. */
void hcache_note(hcache *c, int i, int loc, const char *name, const struct stat *st)
{
    if (note_key(c, i, loc, name, st) == 0)
        c->misses++;
}

/* Does entry k say what stat says of the file now? */
int hcache_same(hcache *c, int k, const struct stat *st)
{
    hkey key;
    if (!c || k < 0 || k >= c->n)
        return 0;
    key_of(st, &key);
    return memcmp(&key, &c->rec[k].key, sizeof key) == 0;
}

/* The header fields of header h, exactly HFIELDS - 1 of them: 0 when damaged. */
static int fields_of(hcache *c, int h, char *f[HFIELDS])
{
    char *p, *end;
    int j;
    if (!load_headers(c))
        return 0;
    p = c->hdr[h];
    end = c->hdr_end[h];
    for (j = H_ID; j < HFIELDS; j++) {
        char *z = p < end ? memchr(p, 0, (size_t)(end - p)) : NULL;
        if (!z)
            return 0;
        f[j] = p;
        p = z + 1;
    }
    return p == end && mig_valid_rev_id(f[H_ID], strlen(f[H_ID])) && strlen(f[H_CHECKSUM]) == 64;
}

/* Fill r's header from record k's (whose key matched): 0 when it is damaged. */
static int fill(hcache *c, int k, revfile_ent *r)
{
    char *f[HFIELDS];
    if (!fields_of(c, (int)c->rec[k].hdr, f))
        return 0;
    memset(&r->rf, 0, sizeof r->rf);
    r->rf.id = f[H_ID];
    split_list(c->ar, f[H_DOWN], &r->rf.down);
    split_list(c->ar, f[H_LABELS], &r->rf.labels);
    split_list(c->ar, f[H_DEPENDS], &r->rf.depends);
    r->rf.message = f[H_MESSAGE];
    r->rf.create_date = f[H_DATE];
    r->rf.transactional = f[H_TX][0] == '1';
    memcpy(r->rf.checksum, f[H_CHECKSUM], 65);
    r->has_down = f[H_HASDOWN][0] == '1';
    r->src = NULL;
    r->len = (size_t)c->rec[k].key.v[2];
    return 1;
}

/* File i of the listing, and what stat says of it now: 1 with r's header
 * filled from the cache, 0 when it must be read (then hcache_note it). */
int hcache_get(hcache *c, int i, int loc, const char *name, const struct stat *st, revfile_ent *r)
{
    int k = hcache_find(c, loc, name);
    wkey *w;
    if (k < 0 || c->used[k] || !hcache_same(c, k, st) || !(w = wkey_of(c, i)) || !fill(c, k, r))
        return 0; /* the caller reads the file and notes it */
    c->used[k] = 1;
    w->name = c->names + c->rec[k].name_off; /* written again as it was read */
    w->loc = loc;
    w->key = c->rec[k].key;
    w->set = 1;
    c->hits++;
    return 1;
}

static int hexval(int ch)
{
    return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* 64 hex digits into 32 bytes; -1 when it is not that. */
static int unhex(const char *hex, unsigned char out[32])
{
    int i;
    for (i = 0; i < 32; i++) {
        int a = hexval((unsigned char)hex[2 * i]), b = a < 0 ? -1 : hexval((unsigned char)hex[2 * i + 1]);
        if (b < 0)
            return -1;
        out[i] = (unsigned char)(a << 4 | b);
    }
    return hex[64] == 0 ? 0 : -1;
}

/* Is hex the checksum of revision id, as the key part has it?  1 yes, 0
 * no, -1 no entry has that id (the index by id is built on the first call). */
int hcache_checksum_is(hcache *c, const char *id, const char *hex)
{
    unsigned h;
    uint32_t hv;
    int i;
    unsigned char bin[32];
    if (!c || !c->slots)
        return -1;
    if (!c->idslots) {
        if (!(c->idslots = mig_alloc0(c->ar, sizeof *c->idslots * ((size_t)c->mask + 1))))
            return -1;
        for (i = 0; i < c->n; i++) {
            uint32_t hi = hash_of(0, c->names + c->rec[i].id_off);
            for (h = hi & c->mask; c->idslots[h]; h = (h + 1) & c->mask)
                ;
            c->idslots[h] = (uint64_t)hi << 32 | (uint64_t)(i + 1);
        }
    }
    hv = hash_of(0, id);
    for (h = hv & c->mask; c->idslots[h]; h = (h + 1) & c->mask) {
        int k = (int)(c->idslots[h] & 0xffffffffu) - 1;
        if ((uint32_t)(c->idslots[h] >> 32) == hv && strcmp(c->names + c->rec[k].id_off, id) == 0)
            return unhex(hex, bin) == 0 && memcmp(bin, c->rec[k].ck, 32) == 0;
    }
    return -1;
}

/* Would hcache_save write anything (given a summary)? */
int hcache_dirty(hcache *c)
{
    return c && (c->misses > 0 || c->hits != c->n || !c->has_sum);
}

/* The summary, when the cache has one and it is of exactly n entries. */
const files_summary *hcache_summary(hcache *c, int n)
{
    return c && c->has_sum && c->sum.n == n && c->n == n ? &c->sum : NULL;
}

/* The header of record k (its key matched) into r (0: damaged: read the file). */
int hcache_fill(hcache *c, int k, revfile_ent *r)
{
    return c && k >= 0 && k < c->n && fill(c, k, r);
}

/* The header index of record k: the order of the listing, sorted. */
int hcache_rank(hcache *c, int k)
{
    return (int)c->rec[k].hdr;
}

/* The record of the i-th file read from the folders (loc, name): record i
 * when the folders are as they were, else found by name; -1: none. */
int hcache_find_at(hcache *c, int i, int loc, const char *name)
{
    if (c && i >= 0 && i < c->n && c->rec[i].loc == (uint32_t)loc && strcmp(c->names + c->rec[i].name_off, name) == 0)
        return i;
    return hcache_find(c, loc, name);
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

static size_t hdr_len(const revfile_ent *e)
{
    const mig_revfile *rf = &e->rf;
    return strlen(rf->id) + 1 + list_len(&rf->down) + list_len(&rf->labels) + list_len(&rf->depends) +
           strlen(rf->message ? rf->message : "") + 1 + strlen(rf->create_date ? rf->create_date : "") + 1 + 2 + 2 +
           strlen(rf->checksum) + 1;
}

/* Write the cache when anything was read from a file, an entry is gone, or
 * a summary can be written that the cache lacks: the headers of v[0..n)
 * (the listing the gets saw), and sum (NULL: none) when every file is in
 * it, streamed to a temporary file renamed over the old one; best effort.
 * order[i]: file i's place in the order the folders were read in (NULL:
 * the listing's). */
void hcache_save(hcache *c, const revfile_ent *v, int n, const int *order, const files_summary *sum)
{
    char *dir, *tmp, *slash, line[128];
    wbuf *w;
    int i, all = 1, nw = 0;
    size_t nnames = 0, nhead = 0;
    uint32_t off = 0;
    if (!c || n != c->nkeys || (n > 0 && !c->keys))
        return;
    for (i = 0; i < n; i++) {
        if (!c->keys[i].set) {
            all = 0;
            continue;
        }
        nw++;
        nnames += strlen(c->keys[i].name) + 1 + strlen(v[i].rf.id) + 1;
        {
            char len[24];
            size_t h = hdr_len(&v[i]);
            nhead += (size_t)snprintf(len, sizeof len, "%zu", h) + 1 + h;
        }
    }
    if (!all)
        sum = NULL;
    if (c->misses == 0 && c->hits == c->n && (!sum || c->has_sum))
        return;
    if (nnames > 0xffffffffu)
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
        snprintf(line, sizeof line, "summary %d %d %d %s", sum->n, sum->nontx, sum->nodown, sum->digest);
        w_put(w, line, strlen(line));
        for (i = 0; i < sum->real_heads.n; i++) {
            w_put(w, " ", 1);
            w_put(w, sum->real_heads.v[i], strlen(sum->real_heads.v[i]));
        }
        w_put(w, "\n", 1);
    } else
        w_put(w, "summary -\n", 10);
    snprintf(line, sizeof line, "keys %d %zu %zu\n", nw, nnames, nhead);
    w_put(w, line, strlen(line));
    {
        /* records and names in the order the folders were read in, headers
         * in the listing's (sorted) */
        int *by_read = mig_alloc(c->ar, sizeof *by_read * (size_t)(n + 1)), *hdr = mig_alloc(c->ar, sizeof *hdr * (size_t)(n + 1)), h = 0;
        if (!by_read || !hdr) {
            close(w->fd);
            unlink(tmp);
            return;
        }
        for (i = 0; i < n; i++) {
            by_read[order ? order[i] : i] = i;
            hdr[i] = c->keys[i].set ? h++ : -1;
        }
        for (i = 0; i < n; i++) {
            const wkey *k = &c->keys[by_read[i]];
            hrec r;
            if (!k->set)
                continue;
            memset(&r, 0, sizeof r);
            r.loc = (uint32_t)k->loc;
            r.name_off = off;
            r.hash = hash_of(k->loc, k->name);
            r.hdr = (uint32_t)hdr[by_read[i]];
            r.key = k->key;
            off += (uint32_t)strlen(k->name) + 1;
            r.id_off = off;
            off += (uint32_t)strlen(v[by_read[i]].rf.id) + 1;
            if (unhex(v[by_read[i]].rf.checksum, r.ck)) {
                close(w->fd);
                unlink(tmp);
                return;
            }
            w_put(w, (const char *)&r, sizeof r);
        }
        for (i = 0; i < n; i++)
            if (c->keys[by_read[i]].set) {
                w_field(w, c->keys[by_read[i]].name);
                w_field(w, v[by_read[i]].rf.id);
            }
    }
    for (i = 0; i < n; i++) {
        const mig_revfile *rf = &v[i].rf;
        char len[24];
        if (!c->keys[i].set)
            continue;
        snprintf(len, sizeof len, "%zu", hdr_len(&v[i]));
        w_field(w, len);
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
