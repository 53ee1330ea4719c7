/*
 * files.c — the revision files of a project: reading them, the graph they
 * make (core/), and writing new ones (init, revision, merge).
 */
#include "mig.h"
#include "sqltok.h"

#include <dirent.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

struct pos {
    const char *p;
    int raw;
};

static int by_pos(const void *a, const void *b)
{
    return strcmp(((const struct pos *)a)->p, ((const struct pos *)b)->p);
}

/* Read file path, opened as rel in the folder dirfd when dirfd >= 0 (no
 * walk of the whole path for each of 100,000 files: a fifth of the system
 * time of reading them here). */
static int read_whole_at(mig_arena *ar, int dirfd, const char *rel, const char *path, const char **out, size_t *len,
                         struct stat *st_out, mig_err *err)
{
    /* open, fstat, one read, close: stdio (fopen, fread to the end) took
     * two more reads a file, 20,000 more system calls (6 ms) on a
     * 10,000-file project */
    int fd = dirfd >= 0 ? openat(dirfd, rel, O_RDONLY | O_CLOEXEC) : open(path, O_RDONLY | O_CLOEXEC), e;
    struct stat st;
    size_t cap, n = 0;
    char *data;
    if (fd < 0)
        return mig_fail(err, MIG_E_INPUT, "cannot read %s: %s", path, strerror(errno));
    if (fstat(fd, &st) != 0)
        goto fail;
    /* one byte more than the size: a read of a regular file that fills less is its end */
    cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 65536;
    data = mig_alloc(ar, cap + 1);
    for (;;) {
        ssize_t r;
        if (n == cap) {
            char *more = mig_alloc(ar, 2 * cap + 1);
            memcpy(more, data, n);
            data = more;
            cap *= 2;
        }
        r = read(fd, data + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            goto fail;
        if (r == 0)
            break;
        n += (size_t)r;
        if (S_ISREG(st.st_mode) && n < cap)
            break;
    }
    close(fd);
    data[n] = 0;
    if (st_out)
        *st_out = st;
    if (memchr(data, 0, n))
        return mig_fail(err, MIG_E_INPUT, "%s: not a text file (it contains a NUL byte)", path);
    *out = data;
    *len = n;
    return 0;
fail:
    e = errno;
    close(fd);
    return mig_fail(err, MIG_E_INPUT, "cannot read %s: %s", path, strerror(e));
}

static int read_whole(mig_arena *ar, const char *path, const char **out, size_t *len, struct stat *st_out,
                      mig_err *err)
{
    return read_whole_at(ar, -1, NULL, path, out, len, st_out, err);
}

/* Add the *.sql files of dir to out (with recursive, those of its
 * sub-folders too, at any depth; hidden files and folders, and symbolic
 * links to folders, are skipped, as os.walk does for Alembic). */
static int list_sql(mig_arena *ar, const char *dir, int recursive, mig_strlist *out, mig_err *err)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    mig_strlist subs = {0};
    size_t dlen = strlen(dir);
    int i;
    if (!d)
        return mig_fail(err, MIG_E_INPUT, "cannot read the versions folder %s: %s", dir, strerror(errno));
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        const char *path;
        if (e->d_name[0] == '.')
            continue;
        if (strcmp(dir, ".") == 0)
            path = mig_strndup(ar, e->d_name, n);
        else {
            /* dir/name without a printf per file (100,000 of them) */
            char *pth = mig_alloc(ar, dlen + 1 + n + 1);
            memcpy(pth, dir, dlen);
            pth[dlen] = '/';
            memcpy(pth + dlen + 1, e->d_name, n + 1);
            path = pth;
        }
        if (recursive) {
            int is_dir = e->d_type == DT_DIR;
            if (e->d_type == DT_UNKNOWN) {
                struct stat st;
                is_dir = lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
            }
            if (is_dir) {
                mig_strlist_add(ar, &subs, path);
                continue;
            }
        }
        if (n > 4 && strcmp(e->d_name + n - 4, ".sql") == 0)
            mig_strlist_add(ar, out, path);
    }
    closedir(d);
    for (i = 0; i < subs.n; i++)
        if (list_sql(ar, subs.v[i], 1, out, err))
            return -1;
    return 0;
}

/* The folders themselves: one folder named twice, or (read recursively)
 * one inside another, would read the same files twice. */
static int check_locations(mig_arena *ar, const mig_strlist *dirs, int recursive, mig_err *err)
{
    const char **real;
    int i, j;
    if (dirs->n < 2)
        return 0;
    real = mig_alloc(ar, sizeof *real * (size_t)dirs->n);
    for (i = 0; i < dirs->n; i++) {
        char *r = realpath(dirs->v[i], NULL);
        if (!r)
            return mig_fail(err, MIG_E_INPUT, "cannot read the versions folder %s: %s", dirs->v[i], strerror(errno));
        real[i] = mig_strdup(ar, r);
        free(r);
    }
    for (i = 0; i < dirs->n; i++)
        for (j = 0; j < dirs->n; j++) {
            size_t n = strlen(real[i]);
            if (i == j)
                continue;
            if (j > i && strcmp(real[i], real[j]) == 0)
                return mig_fail(err, MIG_E_INPUT, "version_locations names one folder twice: %s and %s", dirs->v[i],
                                dirs->v[j]);
            if (recursive && strncmp(real[i], real[j], n) == 0 && (real[j][n] == '/' || n == 1))
                return mig_fail(err, MIG_E_INPUT,
                                "version_locations: %s is inside %s, which recursive_version_locations already "
                                "reads; remove it",
                                dirs->v[j], dirs->v[i]);
        }
    return 0;
}

static int ent_by_id_then_order(const void *a, const void *b)
{
    const revfile_ent *x = *(const revfile_ent *const *)a, *y = *(const revfile_ent *const *)b;
    int c = strcmp(x->rf.id, y->rf.id);
    return c ? c : x < y ? -1 : x > y;
}

/* Read and parse the revision files of every folder of dirs (in that
 * order; the files of each sorted by path); with build, build the graph. */
/* A downgrade section with a statement in it (not only comments or blanks). */
static int has_downgrade_text(const revfile_ent *e)
{
    int i;
    for (i = 0; i < e->rf.nsections; i++) {
        const mig_section *s = &e->rf.sections[i];
        const char *b = e->src + s->body_off, *end = b + s->body_len;
        if (!s->upgrade && mig_sql_skip_blank(b, end) < end)
            return 1;
    }
    return 0;
}

/* The header of a parsed file, copied into ar in one allocation (its lists
 * of exact size, its strings packed), without its sections: what a load that
 * keeps no text holds of each of 100,000 files, as the header cache fills
 * an entry (files_source parses the file again when its sections are
 * needed).  The parse itself (its sections, its lists with room to grow)
 * goes back to the scratch arena with the text. */
static int keep_header(mig_arena *ar, const mig_revfile *in, mig_revfile *out)
{
    const mig_strlist *from[3] = {&in->down, &in->labels, &in->depends};
    mig_strlist *to[3] = {&out->down, &out->labels, &out->depends};
    const char *str[3] = {in->id, in->message, in->create_date}, **kept[3] = {&out->id, &out->message,
                                                                              &out->create_date};
    size_t need = 0;
    char *p;
    int i, j;
    for (i = 0; i < 3; i++) {
        need += sizeof(char *) * (size_t)from[i]->n + (str[i] ? strlen(str[i]) + 1 : 0);
        for (j = 0; j < from[i]->n; j++)
            need += strlen(from[i]->v[j]) + 1;
    }
    if (!(p = mig_alloc(ar, need)))
        return -1;
    *out = *in; /* checksum, transactional */
    out->sections = NULL;
    out->nsections = 0;
    for (i = 0; i < 3; i++) {
        /* the pointer arrays first: aligned as the allocation is */
        to[i]->v = from[i]->n ? (const char **)(void *)p : NULL;
        to[i]->n = to[i]->cap = from[i]->n;
        p += sizeof(char *) * (size_t)from[i]->n;
    }
    for (i = 0; i < 3; i++) {
        for (j = 0; j < from[i]->n; j++) {
            size_t n = strlen(from[i]->v[j]) + 1;
            to[i]->v[j] = memcpy(p, from[i]->v[j], n);
            p += n;
        }
        if (str[i]) {
            size_t n = strlen(str[i]) + 1;
            *kept[i] = memcpy(p, str[i], n);
            p += n;
        }
    }
    return 0;
}

/* Read and parse file i of the listing into f->v[f->n] (from the header
 * cache when it has the file as it is).  FILES_NO_SOURCE and FILES_LAZY
 * keep its header only (keep_header); the other loads its text and
 * sections too. */
static int load_one(mig_arena *ar, mig_arena *texts, hcache *cache, int dirfd, const char *path, int loc,
                    const char *rel, int flags, files *f, mig_err *err)
{
    revfile_ent *r = &f->v[f->n];
    mig_arena_mark m;
    struct stat st;
    int rc, header_only = (flags & (FILES_NO_SOURCE | FILES_LAZY)) != 0;
    r->path = path;
    /* a file the cache knows: stat it (relative to the folder: no walk of the
     * whole path for each of 100,000 files); one it does not know is read,
     * and the stat of what was read is noted */
    if (hcache_knows(cache, loc, rel) && fstatat(dirfd, rel, &st, 0) == 0 && S_ISREG(st.st_mode) &&
        hcache_get(cache, f->n, loc, rel, &st, r)) {
        f->n++;
        return 0;
    }
    mig_arena_mark_get(texts, &m);
    rc = read_whole_at(header_only ? texts : ar, dirfd, rel, r->path, &r->src, &r->len, &st, err) ||
                 mig_revfile_parse(header_only ? texts : ar, r->src, r->len, r->path, &r->rf, err)
             ? -1
             : 0;
    if (rc == 0) {
        hcache_note(cache, f->n, loc, rel, &st);
        r->has_down = has_downgrade_text(r);
        if (header_only) {
            mig_revfile parsed = r->rf;
            if (keep_header(ar, &parsed, &r->rf))
                rc = mig_fail(err, MIG_E_NOMEM, "out of memory");
            if (rc == 0 && (flags & FILES_LAZY) && r->len < f->text_room) {
                /* to be uploaded: kept while the texts kept stay small */
                r->src = mig_strndup(ar, r->src, r->len);
                r->src_only = 1;
                f->text_room -= r->len + 1;
            } else
                r->src = NULL; /* read again by files_source or files_text when needed */
        }
        f->n += rc == 0;
    }
    mig_arena_release(texts, &m);
    return rc;
}

/* The same id in two files, then the graph (build): what every load ends with. */
static int finish_load(mig_arena *ar, const mig_strlist *dirs, int build, files *f, mig_err *err)
{
    int i;
    /* the same id in two files (of one folder or of two): both are named */
    {
        const revfile_ent **byid = mig_alloc(ar, sizeof *byid * (size_t)(f->n + 1));
        for (i = 0; i < f->n; i++)
            byid[i] = &f->v[i];
        qsort(byid, (size_t)f->n, sizeof *byid, ent_by_id_then_order);
        for (i = 1; i < f->n; i++)
            if (strcmp(byid[i - 1]->rf.id, byid[i]->rf.id) == 0)
                return mig_fail(err, MIG_E_INPUT, "revision %s is in two files: %s and %s", byid[i]->rf.id,
                                byid[i - 1]->path, byid[i]->path);
    }
    if (!build)
        return 0;
    mig_graph_init(&f->g, ar);
    if (mig_graph_reserve(&f->g, f->n))
        return mig_fail(err, MIG_E_NOMEM, "out of memory");
    for (i = 0; i < f->n; i++) {
        const mig_revfile *rf = &f->v[i].rf;
        if (mig_graph_add(&f->g, rf->id, &rf->down, &rf->labels, &rf->depends, rf->message, rf->checksum,
                          rf->transactional, err)) {
            mig_err_prefix(err, "%s: ", f->v[i].path);
            return -1;
        }
        f->g.nodes[f->g.n - 1].user = &f->v[i];
    }
    if (mig_graph_finish(&f->g, err)) {
        mig_err_prefix(err, "the revision files in %s: ", mig_strlist_join(ar, dirs, ", "));
        return -1;
    }
    f->graph_ok = 1;
    return 0;
}

/* A revision's line of the digest, and the columns it is sorted by. */
typedef struct dline {
    const char *down, *labels, *deps, *message, *checksum, *id;
    int tx;
} dline;

static int by_index_order(const void *a, const void *b)
{
    const dline *x = a, *y = b;
    int c;
    if ((c = strcmp(x->down, y->down)) || (c = strcmp(x->labels, y->labels)) || (c = strcmp(x->deps, y->deps)) ||
        (c = strcmp(x->message, y->message)) || (c = strcmp(x->checksum, y->checksum)))
        return c;
    if (x->tx != y->tx)
        return x->tx < y->tx ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* A list as one comma-separated string: allocated only for two items or
 * more (100,000 revisions have one down revision each). */
static const char *comma_list(mig_arena *ar, const mig_strlist *l)
{
    return l->n == 0 ? "" : l->n == 1 ? l->v[0] : mig_strlist_join(ar, l, ",");
}

int files_digest(mig_arena *ar, const files *f, char hex[65])
{
    dline *v;
    EVP_MD_CTX *md;
    unsigned char h[EVP_MAX_MD_SIZE];
    unsigned hl = 0;
    mig_buf b;
    int i, ok;
    if (!(v = mig_alloc(ar, sizeof *v * (size_t)(f->n + 1))))
        return -1;
    for (i = 0; i < f->n; i++) {
        const mig_revfile *rf = &f->v[i].rf;
        v[i].down = comma_list(ar, &rf->down);
        v[i].labels = comma_list(ar, &rf->labels);
        v[i].deps = comma_list(ar, &rf->depends);
        v[i].message = rf->message ? rf->message : "";
        v[i].checksum = rf->checksum;
        v[i].id = rf->id;
        v[i].tx = rf->transactional != 0;
        if (!v[i].down || !v[i].labels || !v[i].deps)
            return -1;
    }
    /* the order of SQLite's index on these columns: no sort in the database */
    qsort(v, (size_t)f->n, sizeof *v, by_index_order);
    if (!(md = EVP_MD_CTX_new()))
        return -1;
    ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    mig_buf_init(&b, ar);
    for (i = 0; ok && i < f->n; i++) {
        b.len = 0;
        mig_buf_puts(&b, v[i].id);
        mig_buf_putn(&b, "\t", 1);
        mig_buf_puts(&b, v[i].checksum);
        mig_buf_putn(&b, "\t", 1);
        mig_buf_puts(&b, v[i].down);
        mig_buf_putn(&b, "\t", 1);
        mig_buf_puts(&b, v[i].labels);
        mig_buf_putn(&b, "\t", 1);
        mig_buf_puts(&b, v[i].deps);
        mig_buf_putn(&b, "\t", 1);
        mig_buf_puts(&b, v[i].message);
        mig_buf_puts(&b, v[i].tx ? "\t1\n" : "\t0\n");
        ok = b.data && EVP_DigestUpdate(md, b.data, b.len);
    }
    ok = ok && EVP_DigestFinal_ex(md, h, &hl) && hl == 32;
    EVP_MD_CTX_free(md);
    if (!ok)
        return -1;
    for (i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", h[i]);
    return 0;
}

/* The summary of a listing whose graph is built, for the header cache. */
static int summarize(mig_arena *ar, const files *f, files_summary *s)
{
    int i;
    memset(s, 0, sizeof *s);
    s->n = f->n;
    for (i = 0; i < f->n; i++) {
        s->nontx += !f->v[i].rf.transactional;
        s->nodown += !f->v[i].has_down;
    }
    for (i = 0; i < f->g.real_heads.n; i++)
        mig_strlist_add(ar, &s->real_heads, f->g.nodes[f->g.real_heads.v[i]].id);
    return files_digest(ar, f, s->digest);
}

int files_is_real_head(const files *f, const char *id)
{
    int i, n;
    if (f->sum)
        return mig_strlist_has(&f->sum->real_heads, id);
    n = mig_graph_find(&f->g, id);
    for (i = 0; n >= 0 && i < f->g.real_heads.n; i++)
        if (f->g.real_heads.v[i] == n)
            return 1;
    return 0;
}

int files_checksum_is(const files *f, const char *id, const char *hex)
{
    const revfile_ent *e;
    if (f->sum)
        return hcache_checksum_is(f->lazy.cache, id, hex);
    e = files_by_id(f, id);
    return e ? strcmp(e->rf.checksum, hex) == 0 : -1;
}

int files_nreal_heads(const files *f)
{
    return f->sum ? f->sum->real_heads.n : f->g.real_heads.n;
}

/*
 * The stat of every listed file, each checked against its cache record
 * (krec[i]), in a few threads: one fstatat per file is what lets an edited
 * file be seen, and with 100,000 files it is most of the time of a command
 * the cache answers (0.25 s of system time here).  The kernel's path
 * lookups run in parallel, as git's preload-index does for its index.
 */
typedef struct stat_job {
    hcache *cache;
    const mig_strlist *dirs, *paths;
    const int *loc_end, *krec;
    int from, to, ok;
} stat_job;

static void *stat_range(void *arg)
{
    stat_job *j = arg;
    int i, loc = 0, dirfd = -1;
    j->ok = 1;
    for (i = j->from; i < j->to && j->ok; i++) {
        const char *rel = j->paths->v[i];
        struct stat st;
        if (dirfd < 0 || j->loc_end[loc] <= i) {
            while (j->loc_end[loc] <= i)
                loc++;
            if (dirfd >= 0)
                close(dirfd);
            dirfd = open(j->dirs->v[loc], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        }
        if (strcmp(j->dirs->v[loc], ".") != 0)
            rel += strlen(j->dirs->v[loc]) + 1;
        j->ok = dirfd >= 0 && fstatat(dirfd, rel, &st, 0) == 0 && S_ISREG(st.st_mode) &&
                hcache_same(j->cache, j->krec[i], &st);
    }
    if (dirfd >= 0)
        close(dirfd);
    return NULL;
}

#define STAT_THREADS_MAX 8
#define STAT_PER_THREAD 4096 /* fewer files a thread: not worth starting it */

static int stat_all(hcache *cache, const mig_strlist *dirs, const mig_strlist *paths, const int *loc_end,
                    const int *krec)
{
    stat_job job[STAT_THREADS_MAX];
    pthread_t tid[STAT_THREADS_MAX];
    int started[STAT_THREADS_MAX] = {0};
    int t, nt = paths->n / STAT_PER_THREAD, ok = 1;
    /* by the number of files, not of processors (as git's preload-index):
     * the threads mostly wait in the kernel */
    if (nt > STAT_THREADS_MAX)
        nt = STAT_THREADS_MAX;
    if (nt < 1)
        nt = 1;
    for (t = 0; t < nt; t++) {
        job[t] = (stat_job){cache, dirs, paths, loc_end, krec, (int)((long)paths->n * t / nt),
                            (int)((long)paths->n * (t + 1) / nt), 1};
        /* the first range in this thread; another that cannot start, too */
        if (t > 0)
            started[t] = pthread_create(&tid[t], NULL, stat_range, &job[t]) == 0;
    }
    stat_range(&job[0]);
    for (t = 1; t < nt; t++) {
        if (started[t])
            pthread_join(tid[t], NULL);
        else
            stat_range(&job[t]);
        ok &= job[t].ok;
    }
    return ok && job[0].ok;
}

/* FILES_SUMMARY: is every listed file in the cache as it is, and has the
 * cache the summary of exactly this listing?  Then the listing (in any
 * order) is the cached one, whose order is the sorted one. */
static int load_summary(mig_arena *ar, hcache *cache, const mig_strlist *dirs, const mig_strlist *paths,
                        const int *loc_end, int build, files *f)
{
    const files_summary *sum = hcache_summary(cache, paths->n);
    int *entry, *rec, *krec, i, loc = 0, ok = 1;
    if (!sum || !(entry = mig_alloc(ar, sizeof *entry * (size_t)(paths->n + 1))) ||
        !(rec = mig_alloc(ar, sizeof *rec * (size_t)(paths->n + 1))) ||
        !(krec = mig_alloc(ar, sizeof *krec * (size_t)(paths->n + 1))))
        return 0;
    for (i = 0; i < paths->n; i++)
        entry[i] = -1;
    for (i = 0; i < paths->n && ok; i++) {
        const char *rel = paths->v[i];
        int k, h = -1;
        while (loc_end[loc] <= i)
            loc++;
        if (strcmp(dirs->v[loc], ".") != 0)
            rel += strlen(dirs->v[loc]) + 1;
        /* the files in the order the folder gives them, as the cache has them */
        k = hcache_find_at(cache, i, loc, rel);
        ok = k >= 0 && (h = hcache_rank(cache, k)) >= 0 && h < paths->n && entry[h] < 0;
        if (ok) {
            entry[h] = i;
            rec[h] = k;
            krec[i] = k;
        }
    }
    if (!ok || !stat_all(cache, dirs, paths, loc_end, krec))
        return 0;
    f->n = paths->n;
    f->sum = sum;
    f->lazy.cache = cache;
    f->lazy.paths = paths->v;
    f->lazy.entry = entry;
    f->lazy.rec = rec;
    f->lazy.dirs = dirs;
    f->lazy.build = build;
    f->lazy.ar = ar;
    return 1;
}

int files_full(files *f, mig_err *err)
{
    mig_arena *ar = f->lazy.ar;
    int k;
    if (!f->sum)
        return 0;
    f->v = mig_alloc0(ar, sizeof *f->v * (size_t)(f->n + 1));
    for (k = 0; k < f->n; k++) {
        revfile_ent *r = &f->v[k];
        r->path = f->lazy.paths[f->lazy.entry[k]];
        if (!hcache_fill(f->lazy.cache, f->lazy.rec[k], r)) {
            /* a damaged entry: the file itself */
            if (read_whole(ar, r->path, &r->src, &r->len, NULL, err) ||
                mig_revfile_parse(ar, r->src, r->len, r->path, &r->rf, err))
                return -1;
            r->has_down = has_downgrade_text(r);
        }
    }
    f->sum = NULL;
    return finish_load(ar, f->lazy.dirs, f->lazy.build, f, err);
}

static int load_locations(mig_arena *ar, const mig_strlist *dirs, int recursive, int flags, files *f, mig_err *err)
{
    mig_strlist paths = {0};
    mig_arena texts; /* FILES_NO_SOURCE, FILES_LAZY: each text and its parse, released once kept */
    int i, build = flags & FILES_GRAPH, rc = 0, *loc_end, loc = 0, dirfd = -1, *order = NULL;
    hcache *cache = NULL;
    memset(f, 0, sizeof *f);
    if (check_locations(ar, dirs, recursive, err))
        return -1;
    loc_end = mig_alloc(ar, sizeof *loc_end * (size_t)(dirs->n + 1));
    for (i = 0; i < dirs->n; i++) {
        if (list_sql(ar, dirs->v[i], recursive, &paths, err))
            return -1;
        loc_end[i] = paths.n;
    }
    if (flags & (FILES_NO_SOURCE | FILES_LAZY)) {
        cache = hcache_open(ar, dirs, recursive);
        hcache_expect(cache, paths.n);
        if ((flags & FILES_SUMMARY) && load_summary(ar, cache, dirs, &paths, loc_end, build, f))
            return 0;
    }
    if (cache) {
        /* sorted, remembering the order the folders gave (the cache's) */
        struct pos *ps = mig_alloc(ar, sizeof *ps * (size_t)(paths.n + 1));
        order = mig_alloc(ar, sizeof *order * (size_t)(paths.n + 1));
        for (i = 0; i < paths.n; i++) {
            ps[i].p = paths.v[i];
            ps[i].raw = i;
        }
        for (i = 0; i < dirs->n; i++) {
            int from = i ? loc_end[i - 1] : 0;
            if (loc_end[i] - from > 1)
                qsort(ps + from, (size_t)(loc_end[i] - from), sizeof *ps, by_pos);
        }
        for (i = 0; i < paths.n; i++) {
            paths.v[i] = ps[i].p;
            order[i] = ps[i].raw;
        }
    } else
        for (i = 0; i < dirs->n; i++) {
            int from = i ? loc_end[i - 1] : 0;
            if (loc_end[i] - from > 1)
                qsort(paths.v + from, (size_t)(loc_end[i] - from), sizeof *paths.v, by_name);
        }
    f->v = mig_alloc0(ar, sizeof *f->v * (size_t)(paths.n + 1));
    f->text_room = FILES_TEXT_ROOM;
    mig_arena_init(&texts, &ar->a);
    for (i = 0; i < paths.n && rc == 0; i++) {
        const char *rel = paths.v[i];
        if (i == 0 || loc_end[loc] <= i) {
            while (loc_end[loc] <= i)
                loc++;
            if (dirfd >= 0)
                close(dirfd);
            dirfd = cache ? open(dirs->v[loc], O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
        }
        if (strcmp(dirs->v[loc], ".") != 0)
            rel += strlen(dirs->v[loc]) + 1;
        rc = load_one(ar, &texts, cache, dirfd, paths.v[i], loc, rel, flags, f, err);
    }
    if (dirfd >= 0)
        close(dirfd);
    mig_arena_free(&texts);
    if (rc)
        return -1;
    rc = finish_load(ar, dirs, build, f, err);
    if (cache) {
        /* the summary and the writing need memory only while they run
         * (several MB at 100,000 revisions): given back after */
        files_summary sum;
        mig_arena_mark m;
        mig_arena_mark_get(ar, &m);
        hcache_save(cache, f->v, f->n, order,
                    rc == 0 && build && hcache_dirty(cache) && summarize(ar, f, &sum) == 0 ? &sum : NULL);
        mig_arena_release(ar, &m);
    }
    return rc;
}

int files_load(mig_arena *ar, const char *dir, int flags, files *f, mig_err *err)
{
    mig_strlist one = {0};
    mig_strlist_add(ar, &one, dir);
    return load_locations(ar, &one, 0, flags, f, err);
}

int files_source(mig_arena *ar, const revfile_ent *e_, mig_err *err)
{
    revfile_ent *e = (revfile_ent *)e_; /* the entry's text is filled in on demand */
    mig_revfile rf;
    const char *src = e->src;
    size_t len = e->len;
    if (src && !e->src_only)
        return 0;
    /* a text kept without its sections is parsed again, not read again */
    if ((!src && read_whole(ar, e->path, &src, &len, NULL, err)) || mig_revfile_parse(ar, src, len, e->path, &rf, err))
        return -1;
    if (strcmp(rf.id, e->rf.id) != 0)
        return mig_fail(err, MIG_E_INPUT, "%s changed while mig was running (it was revision %s, it is now %s)",
                        e->path, e->rf.id, rf.id);
    e->src = src;
    e->len = len;
    e->src_only = 0;
    e->rf = rf;
    e->has_down = has_downgrade_text(e);
    return 0;
}

int files_text(mig_arena *ar, const revfile_ent *e, const char **src, mig_err *err)
{
    mig_revfile rf;
    size_t len;
    if (e->src) {
        *src = e->src;
        return 0;
    }
    if (read_whole(ar, e->path, src, &len, NULL, err) || mig_revfile_parse(ar, *src, len, e->path, &rf, err))
        return -1;
    if (strcmp(rf.id, e->rf.id) != 0)
        return mig_fail(err, MIG_E_INPUT, "%s changed while mig was running (it was revision %s, it is now %s)",
                        e->path, e->rf.id, rf.id);
    if (strcmp(rf.checksum, e->rf.checksum) != 0)
        return mig_fail(err, MIG_E_INPUT, "%s changed while mig was running (revision %s has another body now)",
                        e->path, e->rf.id);
    return 0;
}

void files_release(files *f, mig_arena *ar)
{
    mig_arena_free(ar);
    memset(f, 0, sizeof *f);
    f->released = 1;
}

const revfile_ent *files_by_id(const files *f, const char *id)
{
    int i;
    if (f->sum)
        return NULL; /* not loaded: files_full first */
    if (f->graph_ok) {
        i = mig_graph_find(&f->g, id);
        return i >= 0 ? f->g.nodes[i].user : NULL;
    }
    for (i = 0; i < f->n; i++)
        if (strcmp(f->v[i].rf.id, id) == 0)
            return &f->v[i];
    return NULL;
}

static int project_load_in(ctx *x, mig_arena *ar, files *f, int flags, int quiet)
{
    mig_err err;
    struct stat st;
    mig_err_clear(&err);
    if (!x->p->ini_found && stat(x->p->versions, &st) != 0) {
        if (!quiet)
            errorf("no %s and no versions folder here: run 'mig init' to start a project, or give -c FILE",
                   x->p->ini_path);
        return -1;
    }
    if (x->p->version_locs.n ? load_locations(ar, &x->p->version_locs, x->p->recursive, flags, f, &err)
                             : files_load(ar, x->p->versions, flags, f, &err)) {
        if (quiet)
            return -1;
        print_err(NULL, err.msg);
        if (err.hint[0])
            fprintf(stderr, "  hint: %s\n", err.hint);
        return -1;
    }
    return 0;
}

static int project_load_files(ctx *x, files *f, int flags)
{
    return project_load_in(x, x->ar, f, flags, 0);
}

int project_files_lazy_sum_in(ctx *x, mig_arena *ar, files *f)
{
    return project_load_in(x, ar, f, FILES_GRAPH | FILES_LAZY | FILES_SUMMARY, 0);
}

int project_files_quiet(ctx *x, files *f)
{
    return project_load_in(x, x->ar, f, FILES_GRAPH | FILES_NO_SOURCE, 1);
}

int project_files(ctx *x, files *f)
{
    return project_load_files(x, f, FILES_GRAPH);
}

int project_headers(ctx *x, files *f)
{
    return project_load_files(x, f, FILES_GRAPH | FILES_NO_SOURCE);
}

int project_files_lazy(ctx *x, files *f)
{
    return project_load_files(x, f, FILES_GRAPH | FILES_LAZY);
}

int project_headers_sum(ctx *x, files *f)
{
    return project_load_files(x, f, FILES_GRAPH | FILES_NO_SOURCE | FILES_SUMMARY);
}


/* ---- init ----------------------------------------------------------------------- */

static const char INI_TEXT[] =
    "# mig configuration: see `mig --help` and mig(1).\n"
    "#\n"
    "# mig NAME: each [section] is an environment, chosen with -n NAME ([mig] by\n"
    "# default). Keys:\n"
    "#   url       the database: sqlite:PATH (relative to this file), a\n"
    "#             postgresql:// URL or a libpq connection string; --url\n"
    "#             overrides it, and MIG_URL and DATABASE_URL override the\n"
    "#             url of [mig] (not that of a section chosen with -n)\n"
    "#   versions  the folder of revision files, relative to this file\n"
    "#   env       the lineage in the database (default: \"default\" for [mig],\n"
    "#             the section's name for the others)\n"
    "# and alembic.ini's: version_locations (several folders, the first gets new\n"
    "# revisions), recursive_version_locations, file_template (%%(rev)s_%%(slug)s),\n"
    "# truncate_slug_length, a [DEFAULT] section every section inherits, and a\n"
    "# [post_write_hooks] section (hooks = NAME; NAME.type = exec;\n"
    "# NAME.executable = PROGRAM; NAME.options = REVISION_SCRIPT_FILENAME ...).\n"
    "\n"
    "[mig]\n"
    "url = sqlite:mig.db\n"
    "versions = versions\n";

int cmd_init(ctx *x)
{
    const char *dir = x->c->args.n ? x->c->args.v[0] : ".";
    const char *ini, *ver;
    FILE *f;
    int fd;
    {
        /* like mkdir -p */
        char *path = mig_strdup(x->ar, dir), *q;
        for (q = path + 1; ; q++) {
            if (*q == '/' || *q == 0) {
                char c = *q;
                *q = 0;
                if (mkdir(path, 0777) != 0 && errno != EEXIST) {
                    errorf("cannot create %s: %s", path, strerror(errno));
                    return EX_FAILED;
                }
                *q = c;
                if (!c)
                    break;
            }
        }
    }
    ini = strcmp(dir, ".") == 0 ? "mig.ini" : mig_sprintf(x->ar, "%s/mig.ini", dir);
    ver = strcmp(dir, ".") == 0 ? "versions" : mig_sprintf(x->ar, "%s/versions", dir);
    if (access(ini, F_OK) == 0) {
        errorf("%s already exists; nothing was changed", ini);
        return EX_FAILED;
    }
    if (mkdir(ver, 0777) != 0 && errno != EEXIST) {
        errorf("cannot create %s: %s", ver, strerror(errno));
        return EX_FAILED;
    }
    fd = open(ini, O_WRONLY | O_CREAT | O_EXCL, 0666);
    if (fd < 0 || !(f = fdopen(fd, "w"))) {
        errorf("cannot create %s: %s", ini, strerror(errno));
        if (fd >= 0)
            close(fd);
        return EX_FAILED;
    }
    fputs(INI_TEXT, f);
    if (fclose(f) != 0) {
        errorf("cannot write %s: %s", ini, strerror(errno));
        unlink(ini);
        return EX_FAILED;
    }
    if (x->c->json)
        json_print(json_pack("{s:s, s:s}", "config", ini, "versions", ver));
    else if (!x->c->quiet) {
        printf("Creating directory %s ...  done\n", ver);
        printf("Generating %s ...  done\n", ini);
        printf("Please edit %s to set the database URL (default: sqlite:mig.db), then run "
               "'mig revision -m \"first\"'.\n",
               ini);
    }
    return EX_DONE;
}

/* ---- revision / merge ---------------------------------------------------------------- */

/* Alembic's slug: the words of the message, lower case, joined by '_', cut
 * at max characters (truncate_slug_length, 40 by default) and then after
 * the last '_'. */
static const char *slug(mig_arena *ar, const char *msg, int max)
{
    mig_buf b;
    const char *p = msg;
    mig_buf_init(&b, ar);
    mig_buf_putn(&b, "", 0);
    while (*p) {
        const char *w;
        while (*p && !mig_is_ident_char((unsigned char)*p))
            p++;
        if (!*p)
            break;
        w = p;
        while (*p && mig_is_ident_char((unsigned char)*p))
            p++;
        if (b.len)
            mig_buf_puts(&b, "_");
        mig_buf_putn(&b, w, (size_t)(p - w));
    }
    {
        char *s = b.data, *q;
        for (q = s; *q; q++)
            if (*q >= 'A' && *q <= 'Z')
                *q = (char)(*q - 'A' + 'a');
        if (strlen(s) > (size_t)max) {
            char *us;
            s[max] = 0;
            us = strrchr(s, '_');
            if (us)
                us[1] = 0;
        }
        return s;
    }
}

const char *revision_new_id(mig_arena *ar)
{
    unsigned char r[6];
    int fd = open("/dev/urandom", O_RDONLY);
    size_t got = 0;
    if (fd >= 0) {
        while (got < sizeof r) {
            ssize_t n = read(fd, r + got, sizeof r - got);
            if (n <= 0)
                break;
            got += (size_t)n;
        }
        close(fd);
    }
    if (got < sizeof r) {
        struct timespec ts;
        unsigned long v;
        size_t i;
        clock_gettime(CLOCK_REALTIME, &ts);
        v = (unsigned long)ts.tv_nsec ^ ((unsigned long)ts.tv_sec << 20) ^ (unsigned long)getpid();
        for (i = 0; i < sizeof r; i++, v >>= 7)
            r[i] = (unsigned char)(v * 2654435761u >> 24);
    }
    return mig_sprintf(ar, "%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4], r[5]);
}

/* Resolve one REV (or `heads`) of the files' graph to ids. */
static int resolve_ids(files *f, const char *rev, mig_strlist *out, mig_arena *ar, mig_err *err)
{
    mig_idlist ids = {0};
    int i;
    if (mig_resolve(&f->g, rev, &ids, err))
        return -1;
    for (i = 0; i < ids.n; i++)
        if (!mig_strlist_has(out, f->g.nodes[ids.v[i]].id))
            mig_strlist_add(ar, out, f->g.nodes[ids.v[i]].id);
    return 0;
}

/* ---- where a new revision file goes, its name, the hooks run on it ------------------ */

/* Alembic's file_template: %(NAME)s with NAME rev or slug, %(NAME)d (or
 * with flags, width and precision: %(month).2d, %(day)02d) with NAME year,
 * month, day, hour, minute, second or epoch, and %% for %.  (mig.ini
 * already read %%(rev)s as %(rev)s, as configparser does.)  The name
 * comes without ".sql".  NULL and why on a malformed template. */
static const char *template_name(mig_arena *ar, const char *tmpl, const char *rev, const char *sl,
                                 const struct tm *tm, long long epoch, char *why, size_t whylen)
{
    static const char *const NUMS[] = {"year", "month", "day", "hour", "minute", "second", "epoch", NULL};
    const long long numv[] = {tm->tm_year + 1900LL, tm->tm_mon + 1LL, tm->tm_mday, tm->tm_hour, tm->tm_min,
                              tm->tm_sec, epoch};
    mig_buf b;
    const char *s = tmpl;
    mig_buf_init(&b, ar);
    mig_buf_putn(&b, "", 0);
    while (*s) {
        const char *name, *spec, *text = NULL;
        char conv, val[64];
        size_t nlen, slen;
        long long num = 0;
        int k;
        if (*s != '%') {
            mig_buf_putn(&b, s++, 1);
            continue;
        }
        if (s[1] == '%') {
            mig_buf_putn(&b, "%", 1);
            s += 2;
            continue;
        }
        if (s[1] != '(' || !strchr(s, ')')) {
            snprintf(why, whylen, "a %% must start %%(NAME)s, or be written %%%%%%%% in mig.ini for a %% in the name (at \"%.20s\")", s);
            return NULL;
        }
        name = s + 2;
        nlen = (size_t)(strchr(s, ')') - name);
        spec = s = name + nlen + 1;
        s += strspn(s, "#0- +");
        s += strspn(s, "0123456789");
        if (*s == '.') {
            s++;
            s += strspn(s, "0123456789");
        }
        conv = *s;
        slen = (size_t)(s - spec);
        if (!conv || !strchr("sdi", conv) || slen > 8) {
            snprintf(why, whylen, "%%(%.*s)%.*s: expected s or d after %%(NAME) (e.g. %%(rev)s, %%(month).2d)",
                     (int)nlen, name, (int)(slen + (conv != 0)), spec);
            return NULL;
        }
        s++;
        if (nlen == 3 && strncmp(name, "rev", 3) == 0)
            text = rev;
        else if (nlen == 4 && strncmp(name, "slug", 4) == 0)
            text = sl;
        else {
            for (k = 0; NUMS[k] && !(strlen(NUMS[k]) == nlen && strncmp(NUMS[k], name, nlen) == 0); k++)
                ;
            if (!NUMS[k]) {
                snprintf(why, whylen,
                         "unknown token %%(%.*s) (known: rev, slug, year, month, day, hour, minute, second, "
                         "epoch)",
                         (int)nlen, name);
                return NULL;
            }
            num = numv[k];
        }
        if (text && conv != 's') {
            snprintf(why, whylen, "%%(%.*s)%c: %.*s is text, write %%(%.*s)s", (int)nlen, name, conv, (int)nlen, name,
                     (int)nlen, name);
            return NULL;
        }
        {
            /* Python's %-format, as far as a file name needs it: flags - 0 +
             * and space, a width, a precision (the digits of a number, the
             * length of text) */
            const char *f = spec, *end = spec + slen;
            int left = 0, zero = 0, plus = 0, space = 0, width = 0, prec = -1, numeric = !text && conv != 's';
            size_t len;
            for (; f < end && strchr("#0- +", *f); f++) {
                left |= *f == '-';
                zero |= *f == '0';
                plus |= *f == '+';
                space |= *f == ' ';
            }
            for (; f < end && *f >= '0' && *f <= '9'; f++)
                width = width * 10 + (*f - '0');
            if (f < end && *f == '.')
                for (prec = 0, f++; f < end && *f >= '0' && *f <= '9'; f++)
                    prec = prec * 10 + (*f - '0');
            if (width > 255 || prec > 255) {
                snprintf(why, whylen, "%%(%.*s)%.*s%c: a width or precision over 255", (int)nlen, name, (int)slen,
                         spec, conv);
                return NULL;
            }
            if (!text) {
                if (numeric)
                    snprintf(val, sizeof val, "%s%.*lld", plus ? "+" : space ? " " : "", prec < 0 ? 1 : prec, num);
                else
                    snprintf(val, sizeof val, "%lld", num);
                text = val;
            }
            len = strlen(text);
            if (!numeric && prec >= 0 && (size_t)prec < len)
                len = (size_t)prec;
            if (left) {
                mig_buf_putn(&b, text, len);
                for (; width > (int)len; width--)
                    mig_buf_putn(&b, " ", 1);
            } else {
                if (numeric && zero && (*text == '+' || *text == ' ')) {
                    mig_buf_putn(&b, text++, 1);
                    len--;
                    width--;
                }
                for (; width > (int)len; width--)
                    mig_buf_putn(&b, numeric && zero ? "0" : " ", 1);
                mig_buf_putn(&b, text, len);
            }
        }
    }
    return b.data;
}

/* --version-path DIR: one of the version locations (or, read recursively,
 * a folder inside one), as Alembic requires. */
static int pick_version_path(ctx *x, const char *dir, const char **out)
{
    const project *p = x->p;
    char *want = realpath(dir, NULL);
    size_t n = strlen(dir);
    int i, ok = 0;
    if (!want) {
        errorf("--version-path %s: %s", dir, strerror(errno));
        return -1;
    }
    for (i = 0; i < p->version_locs.n && !ok; i++) {
        char *loc = realpath(p->version_locs.v[i], NULL);
        if (loc) {
            size_t l = strlen(loc);
            ok = strcmp(loc, want) == 0 ||
                 (p->recursive && strncmp(loc, want, l) == 0 && (want[l] == '/' || l == 1));
            free(loc);
        }
    }
    free(want);
    if (!ok) {
        errorf("--version-path %s is not one of the version locations of %s [%s]%s: %s", dir, p->ini_path,
               p->section, p->recursive ? " (nor inside one)" : "",
               mig_strlist_join(x->ar, &p->version_locs, ", "));
        return -1;
    }
    while (n > 1 && dir[n - 1] == '/')
        n--;
    *out = mig_strndup(x->ar, dir, n);
    return 0;
}

/* The folders of a file_template with '/' (like mkdir -p, below the version location). */
static int make_subdirs(mig_arena *ar, const char *base, const char *name)
{
    const char *q;
    for (q = strchr(name, '/'); q; q = strchr(q + 1, '/')) {
        const char *d = mig_sprintf(ar, "%s/%.*s", base, (int)(q - name), name);
        if (q > name && mkdir(d, 0777) != 0 && errno != EEXIST) {
            errorf("cannot create %s: %s", d, strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* Each occurrence of REVISION_SCRIPT_FILENAME in arg replaced by file. */
static char *hook_arg(mig_arena *ar, const char *arg, const char *file)
{
    static const char TOKEN[] = "REVISION_SCRIPT_FILENAME";
    mig_buf b;
    const char *q;
    mig_buf_init(&b, ar);
    mig_buf_putn(&b, "", 0);
    while ((q = strstr(arg, TOKEN)) != NULL) {
        mig_buf_putn(&b, arg, (size_t)(q - arg));
        mig_buf_puts(&b, file);
        arg = q + sizeof TOKEN - 1;
    }
    mig_buf_puts(&b, arg);
    return b.data;
}

/* The [post_write_hooks] of mig.ini on the file just written, in order; the
 * first that fails stops them.  The file stays either way. */
static int run_hooks(ctx *x, const char *path)
{
    const project *p = x->p;
    int i, j, talk = !x->c->quiet && !x->c->json;
    for (i = 0; i < p->nhooks; i++) {
        const post_hook *h = &p->hooks[i];
        const char *file = path;
        char **av = mig_alloc(x->ar, sizeof *av * (size_t)(h->args.n + 2));
        pid_t pid;
        int st;
        if (h->cwd) {
            /* the hook runs elsewhere: give it the file's absolute path */
            char *abs = realpath(path, NULL);
            if (abs) {
                file = mig_strdup(x->ar, abs);
                free(abs);
            }
        }
        av[0] = mig_strdup(x->ar, h->executable);
        for (j = 0; j < h->args.n; j++)
            av[j + 1] = hook_arg(x->ar, h->args.v[j], file);
        av[h->args.n + 1] = NULL;
        if (talk)
            printf("Running post write hook \"%s\" ...\n", h->name);
        fflush(stdout);
        fflush(stderr);
        pid = fork();
        if (pid < 0) {
            errorf("post write hook \"%s\": cannot start %s: %s; %s is written and kept", h->name, h->executable,
                   strerror(errno), path);
            return -1;
        }
        if (pid == 0) {
            /* --json: standard output holds the JSON document only; -q: nothing but errors */
            if (x->c->json)
                dup2(2, 1);
            else if (x->c->quiet) {
                int null = open("/dev/null", O_WRONLY);
                if (null >= 0)
                    dup2(null, 1);
            }
            if (h->cwd && chdir(h->cwd) != 0) {
                fprintf(stderr, "mig: post write hook \"%s\": cannot change to %s: %s\n", h->name, h->cwd,
                        strerror(errno));
                _exit(127);
            }
            execvp(av[0], av);
            fprintf(stderr, "mig: post write hook \"%s\": cannot run %s: %s\n", h->name, av[0], strerror(errno));
            _exit(127);
        }
        while (waitpid(pid, &st, 0) < 0)
            if (errno != EINTR) {
                errorf("post write hook \"%s\": %s", h->name, strerror(errno));
                return -1;
            }
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
            if (talk)
                printf("  done\n");
            continue;
        }
        if (WIFEXITED(st))
            errorf("post write hook \"%s\" (%s) failed with exit status %d; %s is written and kept", h->name,
                   h->executable, WEXITSTATUS(st), path);
        else
            errorf("post write hook \"%s\" (%s) was killed by signal %d (%s); %s is written and kept", h->name,
                   h->executable, WTERMSIG(st), strsignal(WTERMSIG(st)), path);
        return -1;
    }
    return 0;
}

/* The path of a new revision file: the first version location (or
 * --version-path), named by mig.ini's file_template or ID_SLUG; its
 * sub-folders are made.  NULL when it cannot be (printed). */
const char *revision_file_path(ctx *x, const char *id, const char *msg, const struct tm *tm, long long t)
{
    const cli *c = x->c;
    const char *s = slug(x->ar, msg, x->p->truncate_slug), *dir = x->p->versions, *name;
    if (c->version_path && pick_version_path(x, c->version_path, &dir))
        return NULL;
    if (x->p->file_template) {
        char why[256];
        const char *q;
        if (!(name = template_name(x->ar, x->p->file_template, id, s, tm, t, why, sizeof why))) {
            errorf("%s: file_template = %s: %s", x->p->ini_path, x->p->file_template, why);
            return NULL;
        }
        for (q = name; ; q = strchr(q, '/') + 1) {
            /* each part of the name: not empty, not hidden (mig skips those when it reads) */
            if (*q == '/' || *q == 0 || *q == '.') {
                errorf("%s: file_template = %s makes the file name \"%s.sql\", which mig would not read back "
                       "(an empty part, or one starting with '.')",
                       x->p->ini_path, x->p->file_template, name);
                return NULL;
            }
            if (!strchr(q, '/'))
                break;
        }
        if (strchr(name, '/') && !x->p->recursive) {
            errorf("%s: file_template = %s puts the file in a sub-folder (%s.sql): set "
                   "recursive_version_locations = true so that mig reads it",
                   x->p->ini_path, x->p->file_template, name);
            return NULL;
        }
        if (make_subdirs(x->ar, dir, name))
            return NULL;
    } else
        name = mig_sprintf(x->ar, "%s%s%s", id, *s ? "_" : "", s);
    return mig_sprintf(x->ar, "%s/%s.sql", dir, name);
}

int revision_write(ctx *x, const char *path, const newrev *r)
{
    FILE *out;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0666);
    const char *body = r->body;
    if (fd < 0 || !(out = fdopen(fd, "w"))) {
        errorf("cannot create %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    fprintf(out, "-- mig:revision %s\n", r->id);
    if (r->down && r->down->n)
        fprintf(out, "-- mig:down_revision %s\n", mig_strlist_join(x->ar, r->down, ", "));
    if (*r->message)
        fprintf(out, "-- mig:message %s\n", r->message);
    if (r->labels && r->labels->n)
        fprintf(out, "-- mig:branch_labels %s\n", mig_strlist_join(x->ar, r->labels, ", "));
    if (r->deps && r->deps->n)
        fprintf(out, "-- mig:depends_on %s\n", mig_strlist_join(x->ar, r->deps, ", "));
    fprintf(out, "-- mig:create_date %s\n", r->create_date);
    if (r->nontx)
        fputs("-- mig:transactional false\n", out);
    if (body && *body)
        fprintf(out, "\n%s%s", body, body[strlen(body) - 1] == '\n' ? "" : "\n");
    else
        fputs("\n-- mig:upgrade\n\n\n-- mig:downgrade\n\n", out);
    if (fclose(out) != 0) {
        errorf("cannot write %s: %s", path, strerror(errno));
        unlink(path);
        return -1;
    }
    return 0;
}

int cmd_revision(ctx *x, int merge)
{
    cli *c = x->c;
    mig_err err;
    files f;
    mig_strlist down = {0}, deps = {0};
    const char *id, *path, *msg = c->message, *body = NULL;
    char date[32];
    int i, hooks_rc, nontx = 0;
    mig_err_clear(&err);
    if (project_files(x, &f))
        return EX_FAILED;
    if (strchr(msg, '\n') || strchr(msg, '\r')) {
        errorf("the message must be one line");
        return EX_FAILED;
    }
    if (merge) {
        for (i = 0; i < c->args.n; i++)
            if (resolve_ids(&f, c->args.v[i], &down, x->ar, &err)) {
                errorf("merge %s: %s", c->args.v[i], err.msg);
                return EX_FAILED;
            }
        if (down.n < 2) {
            errorf("merge needs two or more revisions to merge; %s resolve%s to %s", c->args.n == 1 ? "it" : "they",
                   c->args.n == 1 ? "s" : "", down.n ? down.v[0] : "nothing");
            return EX_FAILED;
        }
    } else if (!c->head) {
        /* the current head; several: the user chooses */
        for (i = 0; i < f.g.heads.n; i++)
            mig_strlist_add(x->ar, &down, f.g.nodes[f.g.heads.v[i]].id);
        if (down.n > 1) {
            mig_strlist_sort(&down);
            errorf("multiple heads are present (%s); give --head REV to build on one, or run "
                   "'mig merge -m MSG heads' first",
                   mig_strlist_join(x->ar, &down, ", "));
            return EX_FAILED;
        }
    } else if (strcmp(c->head, "base") != 0) {
        if (resolve_ids(&f, c->head, &down, x->ar, &err)) {
            errorf("--head %s: %s", c->head, err.msg);
            return EX_FAILED;
        }
        if (down.n != 1) {
            errorf("--head %s names %d revisions; give exactly one", c->head, down.n);
            return EX_FAILED;
        }
        if (!c->splice) {
            int n = mig_graph_find(&f.g, down.v[0]);
            if (f.g.nodes[n].next.n > 0) {
                errorf("revision %s is not a head revision; give --splice to create a new branch from it",
                       down.v[0]);
                return EX_FAILED;
            }
        }
    }
    for (i = 0; i < c->depends_on.n; i++) {
        const char *dep = c->depends_on.v[i];
        int lab = mig_graph_label(&f.g, dep);
        if (lab >= 0) {
            mig_strlist_add(x->ar, &deps, dep); /* a branch label is kept as written */
            continue;
        }
        if (resolve_ids(&f, dep, &deps, x->ar, &err)) {
            errorf("--depends-on %s: %s", dep, err.msg);
            return EX_FAILED;
        }
    }
    for (i = 0; i < c->branch_labels.n; i++) {
        const char *l = c->branch_labels.v[i];
        if (!mig_valid_label(l, strlen(l))) {
            errorf("--branch-label '%s' is not a valid branch label: use letters, digits, '_', '-' and '.', not "
                   "starting with '-' or '.', and not head, heads or base",
                   l);
            return EX_FAILED;
        }
        if (mig_graph_label(&f.g, l) >= 0 || mig_graph_find(&f.g, l) >= 0) {
            errorf("--branch-label %s: already used by revision %s",
                   l, f.g.nodes[mig_graph_label(&f.g, l) >= 0 ? mig_graph_label(&f.g, l) : mig_graph_find(&f.g, l)].id);
            return EX_FAILED;
        }
    }
    if (c->rev_id) {
        char why[256];
        id = c->rev_id;
        if (!mig_valid_rev_id(id, strlen(id))) {
            mig_rev_id_problem(id, strlen(id), why, sizeof why);
            errorf("--rev-id %s: %s", id, why);
            return EX_FAILED;
        }
        if (mig_graph_find(&f.g, id) >= 0) {
            errorf("--rev-id %s: revision %s already exists (%s)", id, id, files_by_id(&f, id)->path);
            return EX_FAILED;
        }
    } else {
        do
            id = revision_new_id(x->ar);
        while (mig_graph_find(&f.g, id) >= 0);
    }
    /* --autogenerate: the sections (autogen.c); no change, no file */
    if (c->autogenerate && !merge) {
        if (autogen_body(x, &f, &down, &body, &nontx))
            return EX_FAILED;
        if (!*body) {
            if (c->json)
                json_print(json_pack("{s:n, s:n, s:b}", "revision", "path", "changes", 0));
            else if (!c->quiet)
                printf("No changes in schema detected; no revision written\n");
            return EX_DONE;
        }
    }
    {
        newrev r;
        time_t t = time(NULL);
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &tm);
        if (!(path = revision_file_path(x, id, msg, &tm, (long long)t)))
            return EX_FAILED;
        memset(&r, 0, sizeof r);
        r.id = id;
        r.message = msg;
        r.create_date = date;
        r.down = &down;
        r.labels = &c->branch_labels;
        r.deps = &deps;
        r.nontx = nontx;
        r.body = body;
        if (revision_write(x, path, &r))
            return EX_FAILED;
    }
    if (!c->json && !c->quiet)
        printf("Generating %s ...  done\n", path);
    /* a hook that fails keeps the file (it is written, and valid) but fails the command */
    hooks_rc = run_hooks(x, path);
    if (c->json) {
        json_t *o = json_pack("{s:s, s:s}", "revision", id, "path", path);
        json_print(o);
    }
    return hooks_rc ? EX_FAILED : EX_DONE;
}
