/*
 * replay.c — the replay cache: the SQLite scratch database of the last
 * replay, kept between runs, so that the next replay runs only the
 * revisions that are new.
 *
 * `mig revision --autogenerate`, `mig check` and `mig test` replay the
 * revisions from an empty database.  In the everyday loop (autogenerate
 * revision N, upgrade, edit the schema, autogenerate N+1) each replay
 * repeats the one before and adds a revision.  After a replay the scratch
 * database (in memory) is written to the cache as an image
 * (sqlite3_serialize), with the revisions that ran in it, in order; the
 * next replay copies the image into its empty scratch database and lets
 * the normal upgrade to the targets push the files and run what is not
 * applied yet.
 *
 * The cached database is only taken when the replay from empty would have
 * run the same revisions, with the same sources, in the same order, up to
 * the point where the image was made:
 *
 * - each revision applied in it has a file whose checksum and header
 *   (down revisions, labels, depends_on, message, transactional) are the
 *   ones that ran (an edited applied revision would otherwise be kept: the
 *   engine keeps the body that ran, push_files' keep_edited);
 * - the revisions applied in it, in order, are the first ones the
 *   replay from empty runs: core's planner is asked for the replay's
 *   upgrades from empty to each target in turn on the files' graph (loaded
 *   in upload order, as the engine loads the stored one), and the cached
 *   sequence must be its prefix.  A target below the cached revisions (a
 *   check at an older current revision, a per-revision test) or on another
 *   branch is replayed from empty;
 * - after the run the database's whole sequence must be that plan (on a
 *   branched graph, planning from the cached heads could order the rest
 *   differently); when it is not, the replay is done again from empty.
 *
 * When the cache holds the whole plan, no upgrade runs at all: it could
 * only upload changed files that are not applied, into mig's own tables,
 * which no snapshot reads.  When revisions run over the cache and one
 * fails, that is the replay's error (the state before them is the one the
 * replay from empty reaches), printed once and not retried from empty.
 *
 * The file is keyed so that nothing else is trusted: the client binary
 * (cache.c's key), the SQLite library it runs on, and the options of the
 * run (env, -x values); it is named after the version folders, as the
 * header cache (cache.c) is, in its folder's sub-folder replay/, and is
 * written to a temporary file and renamed.  It is an optimisation
 * only: a cache that cannot be read, is damaged (a SHA-256 of the image is
 * checked) or does not apply is ignored, and MIG_CACHE=off turns it off.
 * One replay is kept per project: the longest (a check of an older
 * revision does not replace the head's).
 *
 * The format: "mig-replay-cache 1 <binary key>\n", "key <hex>\n" (SQLite's
 * source id and the options, hashed), "applied N\n", N lines "<id>
 * <fingerprint>\n" (the fingerprint: a SHA-256 of the file's checksum and
 * header), "image <bytes> <sha-256>\n", the image, "end\n".
 */
#include "mig.h"

#include <stdarg.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RMAGIC "mig-replay-cache 1"
/* no project's image is this large in memory; a damaged size is refused */
#define MAX_IMAGE ((size_t)1 << 33)

typedef struct rcache {
    const char *path;      /* the cache file */
    const char *head;      /* its first two lines, as this run writes them */
    mig_strlist seq;       /* the revisions applied in it, in order */
    mig_strlist fp;        /* their fingerprints */
    FILE *in;              /* the file read (its list; the image follows), or NULL */
    int found;             /* a file of this binary and key, well formed */
    int valid;             /* ... whose revisions are all in the files as they ran */
} rcache;

/* ---- hashing --------------------------------------------------------------------- */

static void hexify(const unsigned char *h, char out[65])
{
    int i;
    for (i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/* SHA-256 of n strings, each with its NUL; 0 or -1. */
static int sha256_strings(const char *const *v, int n, char out[65])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char h[EVP_MAX_MD_SIZE];
    unsigned hl = 0;
    int i, ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    for (i = 0; ok && i < n; i++)
        ok = EVP_DigestUpdate(md, v[i] ? v[i] : "", strlen(v[i] ? v[i] : "") + 1);
    ok = ok && EVP_DigestFinal_ex(md, h, &hl) && hl >= 32;
    EVP_MD_CTX_free(md);
    if (!ok)
        return -1;
    hexify(h, out);
    return 0;
}

static int sha256_bytes(const unsigned char *data, size_t n, char out[65])
{
    unsigned char h[EVP_MAX_MD_SIZE];
    unsigned hl = 0;
    if (!EVP_Digest(data, n, h, &hl, EVP_sha256(), NULL) || hl < 32)
        return -1;
    hexify(h, out);
    return 0;
}

/* What of a file decides what its upgrade did and what push compares: its
 * checksum (of the sections) and its header. */
static int fingerprint(mig_arena *ar, const revfile_ent *e, char out[65])
{
    const char *v[7];
    v[0] = e->rf.id;
    v[1] = e->rf.checksum;
    v[2] = mig_strlist_join(ar, &e->rf.down, ",");
    v[3] = mig_strlist_join(ar, &e->rf.labels, ",");
    v[4] = mig_strlist_join(ar, &e->rf.depends, ",");
    v[5] = e->rf.message;
    v[6] = e->rf.transactional ? "1" : "0";
    return sha256_strings(v, 7, out);
}

/* ---- what the replay runs ---------------------------------------------------------- */

/* The revisions an upgrade from empty to each target in turn runs, in
 * order, as core's planner plans them on the files' graph; -1 when it
 * cannot say (the replay then reports the error). */
static int planned_sequence(ctx *x, files *f, const mig_strlist *targets, mig_strlist *out)
{
    mig_idlist cur;
    int i, k;
    memset(&cur, 0, sizeof cur);
    memset(out, 0, sizeof *out);
    for (i = 0; i < targets->n; i++) {
        mig_plan plan;
        mig_err err;
        memset(&plan, 0, sizeof plan);
        mig_err_clear(&err);
        if (mig_plan_upgrade(&f->g, &cur, targets->v[i], &plan, &err))
            return -1;
        for (k = 0; k < plan.nsteps; k++) {
            if (plan.steps[k].dir != MIG_DIR_UPGRADE || plan.steps[k].node < 0)
                return -1;
            mig_strlist_add(x->ar, out, f->g.nodes[plan.steps[k].node].id);
        }
        cur = plan.heads;
    }
    return 0;
}

static int seq_row(void *arg, int nc, const char *const *v)
{
    void **a = arg;
    mig_arena *ar = a[0];
    mig_strlist *seq = a[1];
    int *other = a[2];
    if (nc < 2 || !v[0] || !v[1] || strcmp(v[0], "upgrade") != 0)
        *other = 1;
    else
        mig_strlist_add(ar, seq, mig_strdup(ar, v[1]));
    return 0;
}

/* The revisions upgraded in the scratch database, in order (its history);
 * -1 when it has anything but upgrades or cannot be read. */
static int applied_sequence(ctx *x, db *d, mig_strlist *out)
{
    mig_err err;
    const char *p[1];
    int other = 0, exists;
    void *arg[3] = {x->ar, out, &other};
    memset(out, 0, sizeof *out);
    mig_err_clear(&err);
    if ((exists = db_state_exists(d, &err)) <= 0)
        return exists; /* nothing ran: no state tables */
    p[0] = x->p->env;
    if (db_query(d, "SELECT direction, revision FROM main.mig_history WHERE env = $1 ORDER BY id", 1, p, seq_row,
                 arg, &err))
        return -1;
    return other ? -1 : 0;
}

static int seq_equal(const mig_strlist *a, const mig_strlist *b, int n)
{
    int i;
    if (a->n < n || b->n < n)
        return 0;
    for (i = 0; i < n; i++)
        if (strcmp(a->v[i], b->v[i]) != 0)
            return 0;
    return 1;
}

/* ---- the cache file ----------------------------------------------------------------- */

/* The file, and the first two lines this binary and these options write
 * (NULL: no cache here). */
static int cache_place(ctx *x, rcache *rc)
{
    mig_strlist dirs = {0};
    const char *v[3];
    char bin[120], key[65];
    cli c2 = *x->c;
    ctx x2 = *x;
    const char *base;
    if (x->p->version_locs.n)
        dirs = x->p->version_locs;
    else
        mig_strlist_add(x->ar, &dirs, x->p->versions);
    if (!(base = cache_path(x->ar, &dirs, x->p->version_locs.n ? x->p->recursive : 0)) ||
        cache_binary_key(bin, sizeof bin))
        return -1;
    /* the options of scratch_run's upgrade (no tenant) */
    c2.tenant = NULL;
    x2.c = &c2;
    v[0] = sqlite3_sourceid();
    v[1] = x->p->env;
    v[2] = opts_json(&x2, NULL);
    if (sha256_strings(v, 3, key))
        return -1;
    {
        /* mig/replay/<the header cache's name>: apart from the header caches */
        const char *slash = strrchr(base, '/');
        if (!slash)
            return -1;
        rc->path = mig_sprintf(x->ar, "%.*s/replay%s", (int)(slash - base), base, slash);
    }
    rc->head = mig_sprintf(x->ar, "%s %s\nkey %s\n", RMAGIC, bin, key);
    return 0;
}

/* A line of f into buf without its newline; 0, or -1 at the end or when
 * it is too long. */
static int get_line(FILE *f, char *buf, size_t n)
{
    size_t l;
    if (!fgets(buf, (int)n, f))
        return -1;
    l = strlen(buf);
    if (l == 0 || buf[l - 1] != '\n')
        return -1;
    buf[l - 1] = 0;
    return 0;
}

/* Open the cache file: only a regular file of this user that nobody else
 * can write (a shared XDG_CACHE_HOME could hand us another's database). */
static FILE *open_cache(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    FILE *f;
    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022) != 0 ||
        !(f = fdopen(fd, "rb"))) {
        close(fd);
        return NULL;
    }
    return f;
}

/* Read the cache's list of revisions (not the image) and check it against
 * the files: rc->found, rc->valid.  The file stays open (rc->in) for
 * read_image, so that the image is the list's even when another run
 * renames a new cache over it meanwhile. */
static void read_list(ctx *x, files *f, rcache *rc)
{
    FILE *in = open_cache(rc->path);
    char line[512], *sp;
    size_t hl = strlen(rc->head);
    long n, i;
    char *head;
    if (!in)
        return;
    head = mig_alloc(x->ar, hl + 1);
    if (!head || fread(head, 1, hl, in) != hl || memcmp(head, rc->head, hl) != 0 || get_line(in, line, sizeof line) ||
        sscanf(line, "applied %ld", &n) != 1 || n < 0 || n > (1L << 24))
        goto out;
    for (i = 0; i < n; i++) {
        if (get_line(in, line, sizeof line) || !(sp = strchr(line, ' ')) || strlen(sp + 1) != 64)
            goto out;
        *sp = 0;
        mig_strlist_add(x->ar, &rc->seq, mig_strdup(x->ar, line));
        mig_strlist_add(x->ar, &rc->fp, mig_strdup(x->ar, sp + 1));
    }
    rc->found = 1;
    rc->valid = 1;
    for (i = 0; i < n && rc->valid; i++) {
        const revfile_ent *e = files_by_id(f, rc->seq.v[i]);
        char fp[65];
        rc->valid = e && fingerprint(x->ar, e, fp) == 0 && strcmp(fp, rc->fp.v[i]) == 0;
    }
    rc->in = in;
    return;
out:
    fclose(in);
}

static void close_cache(rcache *rc)
{
    if (rc->in)
        fclose(rc->in);
    rc->in = NULL;
}

/* The image (malloc'd, *n bytes), its SHA-256 checked; NULL when damaged. */
static unsigned char *read_image(rcache *rc, size_t *n)
{
    FILE *in = rc->in;
    char line[160], want[65], got[65], tail[5];
    unsigned long long size = 0;
    unsigned char *data = NULL;
    *n = 0;
    if (!in)
        return NULL;
    if (get_line(in, line, sizeof line) ||
        sscanf(line, "image %llu %64s", &size, want) != 2 || size == 0 || size > MAX_IMAGE ||
        !(data = malloc((size_t)size)) || fread(data, 1, (size_t)size, in) != (size_t)size ||
        fread(tail, 1, 5, in) != 4 || memcmp(tail, "end\n", 4) != 0 || sha256_bytes(data, (size_t)size, got) ||
        strcmp(got, want) != 0) {
        free(data);
        close_cache(rc);
        return NULL;
    }
    close_cache(rc);
    *n = (size_t)size;
    return data;
}

/* Write the scratch database of holder, in which seq ran, to the cache;
 * best effort (a cache that cannot be written is not an error). */
static void save(ctx *x, files *f, db *holder, const rcache *rc, const mig_strlist *seq)
{
    size_t n = 0;
    int owned = 0;
    unsigned char *img = db_sqlite_image(holder, &n, &owned);
    char *dir, *slash, hex[65], fp[65];
    const char *tmp;
    FILE *out;
    int fd, i, ok;
    if (!img)
        return;
    if (sha256_bytes(img, n, hex)) {
        if (owned)
            sqlite3_free(img);
        return;
    }
    /* ~/.cache, ~/.cache/mig, then ~/.cache/mig/replay, private to the user (as cache.c) */
    dir = mig_strdup(x->ar, rc->path);
    if (dir && (slash = strrchr(dir, '/')) != NULL) {
        char *cut[3];
        int k = 0;
        *slash = 0;
        while (k < 2 && (cut[k] = strrchr(dir, '/')) != NULL && cut[k] != dir)
            *cut[k++] = 0;
        while (k > 0) {
            (void)mkdir(dir, 0700);
            *cut[--k] = '/';
        }
        (void)mkdir(dir, 0700);
    }
    tmp = mig_sprintf(x->ar, "%s.%ld.tmp", rc->path, (long)getpid());
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
        if (owned)
            sqlite3_free(img);
        return;
    }
    if (!(out = fdopen(fd, "wb"))) {
        close(fd);
        unlink(tmp);
        if (owned)
            sqlite3_free(img);
        return;
    }
    ok = fputs(rc->head, out) >= 0 && fprintf(out, "applied %d\n", seq->n) > 0;
    for (i = 0; ok && i < seq->n; i++) {
        const revfile_ent *e = files_by_id(f, seq->v[i]);
        ok = e && fingerprint(x->ar, e, fp) == 0 && fprintf(out, "%s %s\n", seq->v[i], fp) > 0;
    }
    ok = ok && fprintf(out, "image %zu %s\n", n, hex) > 0 && fwrite(img, 1, n, out) == n && fputs("end\n", out) >= 0;
    if (owned)
        sqlite3_free(img);
    if (fclose(out) != 0 || !ok || rename(tmp, rc->path) != 0)
        unlink(tmp);
}

/* ---- the replay ----------------------------------------------------------------------- */

/* With -v: what the replay did with the cache. */
static void say(ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(ctx *x, const char *fmt, ...)
{
    va_list ap;
    if (!x->c->verbose)
        return;
    fputs("mig: replay: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* Empty the scratch database again (the cached one did not serve). */
static int empty_again(db *holder)
{
    if (db_sqlite_load_image(holder, NULL, 0) == 0)
        return 0;
    errorf("the scratch database could not be emptied after the replay cache was found not to apply");
    return -1;
}

int replay_cached(ctx *x, db *holder, const char *url, const mig_strlist *targets)
{
    files f;
    rcache rc;
    mig_strlist plan, done;
    unsigned char *img;
    size_t n;
    int used = 0;
    memset(&f, 0, sizeof f);
    memset(&rc, 0, sizeof rc);
    /* no cache, or nothing to plan with (the run reports a problem of the files) */
    if (cache_off() || project_files_quiet(x, &f) || !f.graph_ok || planned_sequence(x, &f, targets, &plan) ||
        cache_place(x, &rc))
        return scratch_run(x, url, targets, 0);
    read_list(x, &f, &rc);
    if (!rc.found)
        say(x, "no cache of an earlier replay");
    else if (!rc.valid)
        say(x, "the cache is not used: a revision applied in it was edited or removed");
    else if (rc.seq.n > plan.n || !seq_equal(&rc.seq, &plan, rc.seq.n))
        say(x, "the cache is not used: its %d revisions are not where this replay starts", rc.seq.n);
    else if (!(img = read_image(&rc, &n)))
        say(x, "the cache is not used: its file is damaged");
    else {
        used = db_sqlite_load_image(holder, img, n) == 0;
        free(img);
        if (!used) {
            say(x, "the cache is not used: its database could not be loaded");
            if (empty_again(holder))
                return -1;
        }
    }
    close_cache(&rc); /* (read_image closed it) */
    if (used && plan.n == rc.seq.n) {
        /* nothing new to run: the schema is the replay's.  The upgrade is
         * not run at all (it would only upload the files that changed
         * without running: mig's own tables, which no snapshot reads) */
        say(x, "%d revision%s from the cache, 0 run", rc.seq.n, rc.seq.n == 1 ? "" : "s");
        return 0;
    }
    if (used) {
        /* a failure here is the new revisions' own: the state before them
         * is the one a replay from empty reaches */
        if (scratch_run(x, url, targets, 0))
            return -1;
        if (applied_sequence(x, holder, &done) == 0 && seq_equal(&done, &plan, plan.n) && done.n == plan.n) {
            say(x, "%d revision%s from the cache, %d run", rc.seq.n, rc.seq.n == 1 ? "" : "s", plan.n - rc.seq.n);
            if (plan.n > rc.seq.n)
                save(x, &f, holder, &rc, &done);
            return 0;
        }
        /* planned from the cached heads, the rest ran in another order than
         * from empty (a branched graph): do it again from empty */
        say(x, "the cache is not used: the revisions after it ran in another order than from empty");
        if (empty_again(holder))
            return -1;
        rc.valid = 0; /* and replace it */
    }
    if (scratch_run(x, url, targets, 0))
        return -1;
    say(x, "%d revision%s run from empty", plan.n, plan.n == 1 ? "" : "s");
    /* keep the longest valid replay (a check of an older revision does not
     * replace the head's), and only when the database is the plan's */
    if (plan.n > 0 && (!rc.valid || plan.n > rc.seq.n || (plan.n == rc.seq.n && !seq_equal(&rc.seq, &plan, plan.n))) &&
        applied_sequence(x, holder, &done) == 0 && done.n == plan.n && seq_equal(&done, &plan, plan.n))
        save(x, &f, holder, &rc, &done);
    return 0;
}
