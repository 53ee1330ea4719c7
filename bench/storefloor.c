/*
 * storefloor DB DIR MANIFEST N: the store floor of bench/scale.sh, what a
 * tool that keeps what mig keeps must pay at least for an upgrade from
 * empty, with no migration logic at all: in one transaction, for each of
 * the first N revisions of MANIFEST (lines "file<TAB>id<TAB>down<TAB>
 * message<TAB>upgrade body", chain order, from gen_chain.py --manifest),
 * read its file from DIR, take the text's SHA-256 and insert the stored
 * file into mig_revision; then run each body and insert its history row;
 * then write the version row.  The statements are prepared once (the
 * bodies, all different, are prepared as they run, as any tool must).  DB
 * holds mig's tables already (`mig stamp base`, untimed).  Prints the
 * number of revisions stored.
 */
#include <fcntl.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static sqlite3 *db;

static void die(const char *what)
{
    fprintf(stderr, "storefloor: %s: %s\n", what, db ? sqlite3_errmsg(db) : "");
    exit(1);
}

static sqlite3_stmt *prep(const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        die(sql);
    return st;
}

static void step(sqlite3_stmt *st, const char *what)
{
    if (sqlite3_step(st) != SQLITE_DONE)
        die(what);
    sqlite3_reset(st);
}

typedef struct {
    char *file, *id, *down, *message, *body;
    char sha[65];
} rev;

int main(int argc, char **argv)
{
    static char buf[1 << 16];
    FILE *m;
    char *line = NULL;
    size_t cap = 0;
    long n, i, k = 0;
    rev *r;
    sqlite3_stmt *ins, *hist;
    int dfd;
    if (argc != 5 || (n = atol(argv[4])) <= 0) {
        fprintf(stderr, "usage: storefloor DB DIR MANIFEST N\n");
        return 2;
    }
    if (!(m = fopen(argv[3], "r")) || (dfd = open(argv[2], O_RDONLY | O_DIRECTORY)) < 0) {
        perror("storefloor");
        return 1;
    }
    if (!(r = calloc((size_t)n, sizeof *r)))
        return 1;
    while (k < n && getline(&line, &cap, m) > 0) {
        char *f[5], *p = line;
        int j;
        line[strcspn(line, "\n")] = 0;
        for (j = 0; j < 5; j++) {
            f[j] = strsep(&p, "\t");
            if (!f[j] || !(f[j] = strdup(f[j])))
                return fprintf(stderr, "storefloor: bad manifest line %ld\n", k + 1), 1;
        }
        r[k].file = f[0], r[k].id = f[1], r[k].down = f[2], r[k].message = f[3], r[k].body = f[4];
        k++;
    }
    if (k != n)
        return fprintf(stderr, "storefloor: the manifest has %ld lines, not %ld\n", k, n), 1;
    fclose(m);
    if (sqlite3_open(argv[1], &db) != SQLITE_OK)
        die("open");
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        die("BEGIN");
    ins = prep("INSERT INTO mig_revision (env, revision, down_revisions, message, checksum, source) "
               "VALUES ('default', ?1, ?2, ?3, ?4, ?5)");
    hist = prep("INSERT INTO mig_history (env, revision, direction, checksum, applied_by, started_at) "
                "VALUES ('default', ?1, 'upgrade', ?2, 'bench', strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))");
    for (i = 0; i < n; i++) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int mdlen, j;
        size_t len = 0;
        ssize_t got;
        char *text = NULL;
        int fd = openat(dfd, r[i].file, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return perror(r[i].file), 1;
        while ((got = read(fd, buf, sizeof buf)) > 0) {
            if (!(text = realloc(text, len + (size_t)got + 1)))
                return 1;
            memcpy(text + len, buf, (size_t)got);
            len += (size_t)got;
        }
        close(fd);
        if (!text)
            return fprintf(stderr, "storefloor: %s is empty\n", r[i].file), 1;
        text[len] = 0;
        if (!EVP_Digest(text, len, md, &mdlen, EVP_sha256(), NULL))
            return 1;
        for (j = 0; j < mdlen; j++)
            snprintf(r[i].sha + 2 * j, 3, "%02x", md[j]);
        sqlite3_bind_text(ins, 1, r[i].id, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 2, r[i].down, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 3, r[i].message, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 4, r[i].sha, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 5, text, (int)len, SQLITE_STATIC);
        step(ins, "INSERT INTO mig_revision");
        free(text);
    }
    for (i = 0; i < n; i++) {
        if (sqlite3_exec(db, r[i].body, NULL, NULL, NULL) != SQLITE_OK)
            die(r[i].body);
        sqlite3_bind_text(hist, 1, r[i].id, -1, SQLITE_STATIC);
        sqlite3_bind_text(hist, 2, r[i].sha, -1, SQLITE_STATIC);
        step(hist, "INSERT INTO mig_history");
    }
    sqlite3_finalize(ins);
    sqlite3_finalize(hist);
    {
        char *q = sqlite3_mprintf("DELETE FROM mig_version WHERE env = 'default'; "
                                  "INSERT INTO mig_version (env, version_num) VALUES ('default', %Q); COMMIT",
                                  r[n - 1].id);
        if (!q || sqlite3_exec(db, q, NULL, NULL, NULL) != SQLITE_OK)
            die("COMMIT");
        sqlite3_free(q);
    }
    if (sqlite3_close(db) != SQLITE_OK)
        die("close");
    printf("%ld revisions stored\n", n);
    return 0;
}
