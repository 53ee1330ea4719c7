/*
 * files.c — the revision files of a project: reading them, the graph they
 * make (core/), and writing new ones (init, revision, merge).
 */
#include "mig.h"

#include <dirent.h>
#include <jansson.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int ent_by_id(const void *a, const void *b)
{
    return strcmp((*(const revfile_ent *const *)a)->rf.id, (*(const revfile_ent *const *)b)->rf.id);
}

static int read_whole(mig_arena *ar, const char *path, const char **out, size_t *len, mig_err *err)
{
    /* open, fstat, one read, close: stdio (fopen, fread to the end) took
     * two more reads a file, 20,000 more system calls (6 ms) on a
     * 10,000-file project */
    int fd = open(path, O_RDONLY | O_CLOEXEC), e;
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

int files_load(mig_arena *ar, const char *dir, int build, files *f, mig_err *err)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    mig_strlist names = {0};
    int i;
    memset(f, 0, sizeof *f);
    if (!d)
        return mig_fail(err, MIG_E_INPUT, "cannot read the versions folder %s: %s", dir, strerror(errno));
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n > 4 && strcmp(e->d_name + n - 4, ".sql") == 0 && e->d_name[0] != '.')
            mig_strlist_add(ar, &names, mig_strdup(ar, e->d_name));
    }
    closedir(d);
    if (names.n > 1)
        qsort(names.v, (size_t)names.n, sizeof *names.v, by_name);
    f->v = mig_alloc0(ar, sizeof *f->v * (size_t)(names.n + 1));
    for (i = 0; i < names.n; i++) {
        revfile_ent *r = &f->v[f->n];
        r->path = strcmp(dir, ".") == 0 ? names.v[i] : mig_sprintf(ar, "%s/%s", dir, names.v[i]);
        if (read_whole(ar, r->path, &r->src, &r->len, err))
            return -1;
        if (mig_revfile_parse(ar, r->src, r->len, r->path, &r->rf, err))
            return -1;
        f->n++;
    }
    /* the same id in two files */
    {
        const revfile_ent **byid = mig_alloc(ar, sizeof *byid * (size_t)(f->n + 1));
        for (i = 0; i < f->n; i++)
            byid[i] = &f->v[i];
        qsort(byid, (size_t)f->n, sizeof *byid, ent_by_id);
        for (i = 1; i < f->n; i++)
            if (strcmp(byid[i - 1]->rf.id, byid[i]->rf.id) == 0)
                return mig_fail(err, MIG_E_INPUT, "revision %s is in two files: %s and %s", byid[i]->rf.id,
                                byid[i - 1]->path, byid[i]->path);
    }
    if (!build)
        return 0;
    mig_graph_init(&f->g, ar);
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
        mig_err_prefix(err, "the revision files in %s: ", dir);
        return -1;
    }
    f->graph_ok = 1;
    return 0;
}

const revfile_ent *files_by_id(const files *f, const char *id)
{
    int i;
    if (f->graph_ok) {
        i = mig_graph_find(&f->g, id);
        return i >= 0 ? f->g.nodes[i].user : NULL;
    }
    for (i = 0; i < f->n; i++)
        if (strcmp(f->v[i].rf.id, id) == 0)
            return &f->v[i];
    return NULL;
}

int project_files(ctx *x, files *f)
{
    mig_err err;
    struct stat st;
    mig_err_clear(&err);
    if (!x->p->ini_found && stat(x->p->versions, &st) != 0) {
        errorf("no %s and no versions folder here: run 'mig init' to start a project, or give -c FILE",
               x->p->ini_path);
        return -1;
    }
    if (files_load(x->ar, x->p->versions, 1, f, &err)) {
        print_err(NULL, err.msg);
        if (err.hint[0])
            fprintf(stderr, "  hint: %s\n", err.hint);
        return -1;
    }
    return 0;
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

/* Alembic's slug: the words of the message, lower case, joined by '_', cut at 40 characters. */
static const char *slug(mig_arena *ar, const char *msg)
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
        if (strlen(s) > 40) {
            char *us;
            s[40] = 0;
            us = strrchr(s, '_');
            if (us)
                us[1] = 0;
        }
        return s;
    }
}

static const char *new_rev_id(mig_arena *ar)
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

int cmd_revision(ctx *x, int merge)
{
    cli *c = x->c;
    mig_err err;
    files f;
    mig_strlist down = {0}, deps = {0};
    const char *id, *path, *msg = c->message;
    char date[32];
    int i;
    FILE *out;
    int fd;
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
            id = new_rev_id(x->ar);
        while (mig_graph_find(&f.g, id) >= 0);
    }
    {
        time_t t = time(NULL);
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &tm);
    }
    {
        const char *s = slug(x->ar, msg);
        path = mig_sprintf(x->ar, "%s/%s%s%s.sql", x->p->versions, id, *s ? "_" : "", s);
    }
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0666);
    if (fd < 0 || !(out = fdopen(fd, "w"))) {
        errorf("cannot create %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return EX_FAILED;
    }
    fprintf(out, "-- mig:revision %s\n", id);
    if (down.n)
        fprintf(out, "-- mig:down_revision %s\n", mig_strlist_join(x->ar, &down, ", "));
    if (*msg)
        fprintf(out, "-- mig:message %s\n", msg);
    if (c->branch_labels.n)
        fprintf(out, "-- mig:branch_labels %s\n", mig_strlist_join(x->ar, &c->branch_labels, ", "));
    if (deps.n)
        fprintf(out, "-- mig:depends_on %s\n", mig_strlist_join(x->ar, &deps, ", "));
    fprintf(out, "-- mig:create_date %s\n", date);
    fputs("\n-- mig:upgrade\n\n\n-- mig:downgrade\n\n", out);
    if (fclose(out) != 0) {
        errorf("cannot write %s: %s", path, strerror(errno));
        unlink(path);
        return EX_FAILED;
    }
    if (c->json) {
        json_t *o = json_pack("{s:s, s:s}", "revision", id, "path", path);
        json_print(o);
    } else if (!c->quiet)
        printf("Generating %s ...  done\n", path);
    return EX_DONE;
}
