/*
 * main.c — the mig command line: options, configuration (mig.ini, read
 * with inih), the commands, and `mig NAME` plugins run from PATH like git's.
 */
#include "mig.h"

#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <jansson.h>
#include <sqlite3.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MIG_VERSION "0.2"

static void *c_alloc(void *ud, size_t n)
{
    void *p;
    (void)ud;
    p = malloc(n);
    if (!p) {
        fputs("mig: out of memory\n", stderr);
        exit(EX_FAILED);
    }
    return p;
}
static void c_free(void *ud, void *p)
{
    (void)ud;
    free(p);
}
static const mig_allocator C_ALLOC = {c_alloc, c_free, NULL};

/* ---- messages ------------------------------------------------------------ */

void print_err(const char *prefix, const char *msg)
{
    const char *nl = strchr(msg, '\n');
    if (!nl) {
        fprintf(stderr, "mig: %s%s\n", prefix ? prefix : "", msg);
        return;
    }
    fprintf(stderr, "mig: %s%.*s\n", prefix ? prefix : "", (int)(nl - msg), msg);
    while (nl) {
        const char *line = nl + 1, *end = strchr(line, '\n');
        int n = end ? (int)(end - line) : (int)strlen(line);
        if (n > 0)
            fprintf(stderr, "  %.*s\n", n, line);
        nl = end;
    }
}

void errorf(const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    print_err(NULL, buf);
}

void die_usage(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fprintf(stderr, "mig: %s\n", buf);
    fputs("Try 'mig --help' for more information.\n", stderr);
    exit(EX_USAGE);
}

double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

void split_spaces(mig_arena *ar, const char *s, mig_strlist *out)
{
    while (s && *s) {
        const char *a;
        while (*s == ' ')
            s++;
        a = s;
        while (*s && *s != ' ')
            s++;
        if (s > a)
            mig_strlist_add(ar, out, mig_strndup(ar, a, (size_t)(s - a)));
    }
}

/* ---- help ----------------------------------------------------------------- */

static const char USAGE[] =
    "usage: mig [-c FILE] [-n NAME] [--url URL] [-x KEY=VALUE]... [--tenant SCHEMA] [--engine WHO]\n"
    "           [-q] [--json] [-v] COMMAND [ARGS]\n"
    "\n"
    "Alembic-style migrations that run inside the database (SQLite or PostgreSQL).\n"
    "\n"
    "Commands:\n"
    "  init [DIR]            create mig.ini and a versions folder\n"
    "  revision -m MSG       write a new revision file on the current head\n"
    "                        (--autogenerate: its SQL from the desired schema)\n"
    "  merge -m MSG REV...   write a revision that merges REVs (e.g. heads)\n"
    "  push                  upload every revision file (one transaction)\n"
    "  upgrade [TARGET]      push, then upgrade (default: heads); --sql prints the script\n"
    "  downgrade TARGET      push, then downgrade; --sql prints the script\n"
    "  stamp TARGET...       set the version state without running revisions; --sql too\n"
    "  current               the database's current revision(s)\n"
    "  heads                 the heads of the revision files\n"
    "  branches              the branch points of the revision files\n"
    "  history [-r RANGE]    the revisions, newest first\n"
    "  show REV              one revision\n"
    "  check                 exit 0 at head, 1 otherwise (naming what is pending, or the\n"
    "                        schema drift: the live schema against its revisions)\n"
    "  test                  single head, upgrade from base, every downgrade undoes its\n"
    "                        upgrade (in scratch databases)\n"
    "  dump [--table T]...   print the database's schema as SQL (--snapshot: as JSON)\n"
    "  baseline -m MSG       the first revision: the live database's schema; stamp it\n"
    "  squash REV -m MSG     replace REV and its ancestors by one revision\n"
    "  NAME                  any other NAME runs mig-NAME from PATH\n"
    "\n"
    "Options:\n"
    "  -c, --config FILE     the configuration file (default: mig.ini, or $MIG_CONFIG)\n"
    "  -n, --name NAME       the section of the configuration file (default: mig)\n"
    "  --url URL             the database (else the url of the -n section, $MIG_URL, $DATABASE_URL,\n"
    "                        url in mig.ini):\n"
    "                        sqlite:PATH, PATH.db, postgresql://... or a libpq string\n"
    "  -x KEY=VALUE          an x-argument for mig_x() and `if KEY` sections (repeatable)\n"
    "  --tenant SCHEMA       run in that PostgreSQL schema, with its own version state\n"
    "  --engine WHO          PostgreSQL: who runs the migrations: extension (the mig extension),\n"
    "                        client (this program, over libpq: no extension needed) or auto\n"
    "                        (default: the extension when it is or can be installed)\n"
    "  -q, --quiet           print nothing but errors\n"
    "  --json                machine-readable output\n"
    "  -v, --verbose         more detail (current, heads, branches, history)\n"
    "  -h, --help            this help; `mig COMMAND --help` for one command\n"
    "  --version             the version of mig\n"
    "\n"
    "Exit status: 0 done, 1 failed (check: not at head or drift; test: a check failed),\n"
    "2 usage error.\n"
    "See mig(1) for the details.\n";

static const struct {
    const char *name;
    const char *help;
} CMD_HELP[] = {
    {"init", "usage: mig init [DIR]\n\nCreate DIR/mig.ini (url = sqlite:mig.db, versions = versions) and the\n"
             "folder DIR/versions.  DIR defaults to the current folder.\n"},
    {"revision",
     "usage: mig revision -m MSG [--head REV] [--branch-label L] [--depends-on REV]\n"
     "                    [--rev-id ID] [--splice] [--version-path DIR]\n"
     "                    [--autogenerate [--from-db] [--rename-table OLD:NEW]...\n"
     "                     [--rename-column TABLE.OLD:NEW]...]\n\n"
     "Write versions/ID_SLUG.sql with a fresh 12-hex id whose down_revision is the\n"
     "current head of the files.  --head base starts a new base; --head REV builds on\n"
     "REV (which must be a head unless --splice); --branch-label and --depends-on\n"
     "may be repeated.  The file goes to the first folder of version_locations\n"
     "(mig.ini), or to --version-path DIR, one of them; file_template and\n"
     "truncate_slug_length name it, and the [post_write_hooks] run on it.\n\n"
     "--autogenerate writes both sections: the difference between the schema the\n"
     "revisions produce (replayed in a scratch database) and the desired schema\n"
     "(schema = PATH... in mig.ini); nothing is written when they agree.\n"
     "--from-db compares the live database instead of the replay.\n"
     "--rename-table OLD:NEW and --rename-column TABLE.OLD:NEW (repeatable; on\n"
     "PostgreSQL SCHEMA.TABLE) say what was renamed, instead of a drop and an add.\n"},
    {"merge", "usage: mig merge -m MSG [--branch-label L] [--rev-id ID] REV...\n\n"
              "Write a revision whose down_revisions are REVs (e.g. `heads`), named and\n"
              "placed as revision does (first version location, file_template, hooks).\n"},
    {"push", "usage: mig push [--force]\n\n"
             "Upload every revision file in one transaction and say what was added,\n"
             "changed, unchanged or removed (stored, unapplied revisions with no file).\n"
             "An applied revision whose body changed is refused unless --force.\n"},
    {"upgrade", "usage: mig upgrade [TARGET] [--sql] [--force]\n\n"
                "Push, then upgrade to TARGET (default: heads), printing each step as it runs.\n"
                "The whole plan is one transaction, except revisions marked\n"
                "`transactional false`, which run statement by statement outside a\n"
                "transaction and are then recorded.  --sql prints the script instead\n"
                "and changes nothing; with TARGET as FROM:TO (e.g. base:head) it does not\n"
                "connect to the database at all.  --force: as push --force.\n"},
    {"downgrade", "usage: mig downgrade TARGET [--sql] [--force]\n\n"
                  "Push, then downgrade to TARGET (e.g. -1, base, a revision).\n"
                  "--sql prints the script instead and changes nothing (TARGET may be\n"
                  "FROM:TO, written without connecting).  --force: as push --force.\n"},
    {"stamp", "usage: mig stamp TARGET... [--purge | --sql]\n       mig stamp --accept REV...\n\n"
              "Set the version state to TARGETs without running any revision.\n"
              "--purge starts from an empty version state.  --sql prints the stamp\n"
              "as a script and changes nothing (FROM:TO: without connecting).\n"
              "--accept records that the database has what the stored body of each\n"
              "applied REV does (after push --force), so check passes again; the\n"
              "version state does not move.\n"},
    {"current", "usage: mig current [-v] [--json]\n\nThe database's current revision(s); nothing at base.\n"},
    {"heads", "usage: mig heads [-v] [--json]\n\nThe heads of the revision files.\n"},
    {"branches", "usage: mig branches [-v] [--json]\n\nThe branch points of the revision files.\n"},
    {"history", "usage: mig history [-r RANGE] [-i|--indicate-current] [-v] [--json]\n\n"
                "The revisions from the heads down to base.  RANGE is [START]:[END]\n"
                "(e.g. base:head, current:, :ae10); `current` reads the database.\n"},
    {"show", "usage: mig show REV [--json | --sql]\n\nOne revision: parents, branches, path and message.\n"
             "--sql prints its source as the database stores it (to write a lost or\n"
             "edited file back): mig show REV --sql > versions/REV_slug.sql\n"},
    {"dump", "usage: mig dump [--table T]... [--snapshot]\n\n"
             "Print the database's schema as SQL: the statements that create it, in\n"
             "dependency order (mig's own tables are never in it).  --table T (repeatable)\n"
             "keeps table T with its indexes and triggers (and, on PostgreSQL, the\n"
             "sequences it owns; T may be SCHEMA.T).  mig.ini's schemas, kinds, include\n"
             "and exclude filter it.  The output is usable as a desired schema or as a\n"
             "revision's upgrade section.  --snapshot prints mig's snapshot document\n"
             "instead (the JSON that mig_snapshot() returns, what check and autogenerate\n"
             "compare), also where the extension is not installed.\n"},
    {"baseline", "usage: mig baseline -m MSG [--rev-id ID]\n\n"
                 "Start a project from a database that is not under mig yet: write one root\n"
                 "revision whose upgrade creates the database's schema (as mig dump prints it)\n"
                 "and whose downgrade drops it, then stamp the database at it.  The revision is\n"
                 "first upgraded in a scratch database and its schema compared with the live\n"
                 "one; when they differ, the objects are named and nothing is written.  mig.ini's\n"
                 "schemas, kinds, include and exclude filter it.  Refused when the versions\n"
                 "folder has revisions or the database has applied revisions.\n"},
    {"squash", "usage: mig squash REV -m MSG\n\n"
               "Replace REV and its ancestors by one revision that keeps REV's id (and branch\n"
               "labels), has no down_revision and creates the schema at REV (replayed in a\n"
               "scratch database); its downgrade drops it.  The new revision is proved in\n"
               "another scratch database before REV's file is rewritten and the others are\n"
               "deleted.  Refused when a revision that stays has a parent or dependency\n"
               "among the deleted ones, or one of them is `transactional false`, has an\n"
               "`if` or `dialect` section or writes rows (INSERT, UPDATE, ...).  On each\n"
               "database at or past REV run once `mig push --force` and\n"
               "`mig stamp --accept REV`.\n"},
    {"check", "usage: mig check [--single-head] [--no-drift] [--json]\n\n"
              "Exit 0 when the database is at the heads of the revision files and no\n"
              "applied revision was edited; otherwise exit 1 and say what is pending.\n"
              "--single-head: also exit 1 when the files have several heads (parallel\n"
              "branches to merge).\n\n"
              "Then the schema checks, in scratch databases: drift (the live schema\n"
              "against what its current revisions produce, replayed from base) and,\n"
              "with schema = ... in mig.ini, desired (the desired schema against the\n"
              "revisions at head); exit 1 naming each object that differs.  -v prints\n"
              "the SQL of the difference.  --no-drift (or check_drift = false in\n"
              "mig.ini) skips them: the replay costs about an upgrade from empty.\n"},
    {"test", "usage: mig test [--json]\n\n"
             "Check the revision files in scratch databases (never the live one):\n"
             "a single head; an upgrade from base to the heads; with schema = ..., the\n"
             "desired schema is what the revisions produce; and each revision, in\n"
             "upgrade order: upgrade, downgrade to its parent (the snapshot from before\n"
             "it), upgrade again (the same snapshot).  One line per check (ok, FAILED\n"
             "naming the revision and the objects, skip); exit 0 when all pass, 1 otherwise.\n"},
};

static void cmd_help(const char *cmd)
{
    size_t i;
    for (i = 0; i < sizeof CMD_HELP / sizeof CMD_HELP[0]; i++)
        if (strcmp(CMD_HELP[i].name, cmd) == 0) {
            fputs(CMD_HELP[i].help, stdout);
            fputs("\nGlobal options (see mig --help) may come before or after the command.\n", stdout);
            return;
        }
    fputs(USAGE, stdout);
}

/* ---- configuration --------------------------------------------------------------- */

/* mig.ini is read as configparser reads alembic.ini: [DEFAULT] values are
 * inherited by every section (the section's own key wins), and the keys
 * Alembic's users know are understood (version_locations,
 * recursive_version_locations, file_template, truncate_slug_length, the
 * [post_write_hooks] section).  Any other key of the chosen section (or of
 * [DEFAULT], which it inherits) is an error naming it. */

#define INI_DEFAULT "DEFAULT"
#define INI_HOOKS "post_write_hooks"
#define HOOK_TOKEN "REVISION_SCRIPT_FILENAME"

typedef struct ini_ent {
    const char *section, *name;
    const char *value;  /* the last line given for the key */
    const char *joined; /* every line given for it, joined with '\n' (lists, multi-line values) */
} ini_ent;

typedef struct ini_ctx {
    mig_arena *ar;
    ini_ent *v;
    int n, cap;
    mig_strlist sections; /* every [section] header of the file, empty sections too */
} ini_ctx;

static const char *const ENV_KEYS[] = {
    "url", "versions", "script_location", "env", "version_locations", "version_path_separator",
    "path_separator", "recursive_version_locations", "file_template", "truncate_slug_length",
    "schema", "dev_url", "schemas", "kinds", "include", "exclude", "check_drift", "engine", NULL,
};
static const char *const HOOK_KEYS[] = {"type", "executable", "options", "cwd", "entrypoint", NULL};

static int in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return 1;
    return 0;
}

static int ini_cb(void *user, const char *section, const char *name, const char *value)
{
    ini_ctx *c = user;
    int i;
    if (!name) /* a section header (inih calls with NULL name when INI_CALL_HANDLER_ON_NEW_SECTION) */
        return 1;
    /* a key given again, or the continuation line of a multi-line value
     * (inih cannot tell them apart): the last line is the value (as mig
     * always read it), the list keys take every line */
    for (i = c->n - 1; i >= 0; i--)
        if (strcmp(c->v[i].section, section) == 0 && strcmp(c->v[i].name, name) == 0) {
            c->v[i].value = mig_strdup(c->ar, value);
            c->v[i].joined = mig_sprintf(c->ar, "%s\n%s", c->v[i].joined, value);
            return 1;
        }
    if (c->n == c->cap) {
        int cap = c->cap ? 2 * c->cap : 16;
        ini_ent *v = mig_alloc(c->ar, sizeof *v * (size_t)cap);
        if (c->n)
            memcpy(v, c->v, sizeof *v * (size_t)c->n);
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n].section = mig_strdup(c->ar, section);
    c->v[c->n].name = mig_strdup(c->ar, name);
    c->v[c->n].value = c->v[c->n].joined = mig_strdup(c->ar, value);
    c->n++;
    return 1;
}

/* The [section] headers of the file: inih reports keys only, and an empty
 * [staging] under a [DEFAULT] that says everything is a section all the same. */
static void ini_headers(mig_arena *ar, const char *path, mig_strlist *out)
{
    FILE *f = fopen(path, "r");
    char *line = NULL, *s, *e;
    size_t cap = 0;
    int first = 1;
    if (!f)
        return;
    while (getline(&line, &cap, f) >= 0) {
        s = line;
        if (first && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB && (unsigned char)s[2] == 0xBF)
            s += 3; /* a UTF-8 BOM, which inih skips too */
        first = 0;
        if (*s != '[' || !(e = strchr(s, ']')))
            continue;
        s = mig_strndup(ar, s + 1, (size_t)(e - s - 1));
        if (!mig_strlist_has(out, s))
            mig_strlist_add(ar, out, s);
    }
    free(line);
    fclose(f);
}

/* The entry of the first of names (NULL-terminated) that section sec has. */
static const ini_ent *ini_find(const ini_ctx *c, const char *sec, const char *const *names)
{
    int i;
    if (!sec)
        return NULL;
    for (; *names; names++)
        for (i = 0; i < c->n; i++)
            if (strcmp(c->v[i].section, sec) == 0 && strcmp(c->v[i].name, *names) == 0)
                return &c->v[i];
    return NULL;
}

/* A key of section sec (or its alias), else of [DEFAULT], as configparser
 * gives it; NULL when sec is NULL (the section is missing). */
static const ini_ent *cfg_get(const ini_ctx *c, const char *sec, const char *name, const char *alias)
{
    const char *names[3] = {name, alias, NULL};
    const ini_ent *e;
    if (!sec)
        return NULL;
    e = ini_find(c, sec, names);
    return e ? e : ini_find(c, INI_DEFAULT, names);
}

/* The interpolation alembic.ini files use in the keys that come from
 * Alembic: %% is %, %(here)s the folder of the file (absolute); any other
 * % is kept as written.  url, versions and env are taken as written, as
 * they always were. */
static const char *ini_expand(mig_arena *ar, const char *v, const char *here)
{
    mig_buf b;
    mig_buf_init(&b, ar);
    mig_buf_putn(&b, "", 0);
    while (*v) {
        if (v[0] == '%' && v[1] == '%') {
            mig_buf_putn(&b, "%", 1);
            v += 2;
        } else if (strncmp(v, "%(here)s", 8) == 0) {
            mig_buf_puts(&b, here);
            v += 8;
        } else
            mig_buf_putn(&b, v++, 1);
    }
    return b.data;
}

/* configparser's booleans. */
static int ini_bool(const char *v)
{
    static const char *const yes[] = {"1", "yes", "true", "on", NULL}, *const no[] = {"0", "no", "false", "off", NULL};
    int i;
    for (i = 0; yes[i]; i++)
        if (strcasecmp(v, yes[i]) == 0)
            return 1;
    for (i = 0; no[i]; i++)
        if (strcasecmp(v, no[i]) == 0)
            return 0;
    return -1;
}

/* Split s on any character of seps, trimming white space, dropping empty items. */
static void split_on(mig_arena *ar, const char *s, const char *seps, mig_strlist *out)
{
    while (*s) {
        const char *a = s, *b;
        while (*s && !strchr(seps, *s))
            s++;
        b = s;
        while (a < b && strchr(" \t\r\n", *a))
            a++;
        while (b > a && strchr(" \t\r\n", b[-1]))
            b--;
        if (b > a)
            mig_strlist_add(ar, out, mig_strndup(ar, a, (size_t)(b - a)));
        if (*s)
            s++;
    }
}

/* Split a hook's options as Python's shlex.split does (POSIX mode): white
 * space separates words, '...' is literal, "..." and \ escape.  -1: an
 * unclosed quote or a trailing backslash. */
static int shell_split(mig_arena *ar, const char *s, mig_strlist *out)
{
    for (;;) {
        mig_buf b;
        while (*s && strchr(" \t\r\n", *s))
            s++;
        if (!*s)
            return 0;
        mig_buf_init(&b, ar);
        mig_buf_putn(&b, "", 0);
        while (*s && !strchr(" \t\r\n", *s)) {
            if (*s == '\'') {
                for (s++; *s && *s != '\''; s++)
                    mig_buf_putn(&b, s, 1);
                if (!*s++)
                    return -1;
            } else if (*s == '"') {
                for (s++; *s && *s != '"'; s++) {
                    if (*s == '\\' && s[1] && strchr("\\\"$`\n", s[1]))
                        s++;
                    mig_buf_putn(&b, s, 1);
                }
                if (!*s++)
                    return -1;
            } else if (*s == '\\') {
                if (!s[1])
                    return -1;
                mig_buf_putn(&b, s + 1, 1);
                s += 2;
            } else
                mig_buf_putn(&b, s++, 1);
        }
        mig_strlist_add(ar, out, b.data);
    }
}

/* A path of a hook: relative ones are relative to the file's folder (here). */
static const char *hook_path(mig_arena *ar, const char *here, const char *path)
{
    return path[0] == '/' ? path : mig_sprintf(ar, "%s/%s", here, path);
}

/* [post_write_hooks], as Alembic reads it: hooks = NAME, NAME...; NAME.type
 * = exec, NAME.executable, NAME.options (REVISION_SCRIPT_FILENAME is the
 * new file, put first when the options do not name it), NAME.cwd.  Keys of
 * a NAME that hooks does not list are allowed (that is how a hook is turned
 * off) but must be hook keys. */
static int load_hooks(mig_arena *ar, const ini_ctx *ic, const char *cfg, const char *here, project *p)
{
    static const char *const hooks_key[] = {"hooks", NULL};
    const ini_ent *h = ini_find(ic, INI_HOOKS, hooks_key);
    mig_strlist names = {0};
    int i;
    for (i = 0; i < ic->n; i++) {
        const ini_ent *e = &ic->v[i];
        const char *dot = strrchr(e->name, '.');
        if (strcmp(e->section, INI_HOOKS) != 0 || strcmp(e->name, "hooks") == 0)
            continue;
        if (!dot || dot == e->name || !in_list(dot + 1, HOOK_KEYS)) {
            errorf("%s: unknown key \"%s\" in section [" INI_HOOKS "] (known: hooks, and NAME.type, "
                   "NAME.executable, NAME.options, NAME.cwd for each NAME of hooks)",
                   cfg, e->name);
            return -1;
        }
    }
    if (!h)
        return 0;
    split_on(ar, h->joined, ", \t\r\n", &names);
    p->hooks = mig_alloc0(ar, sizeof *p->hooks * (size_t)(names.n + 1));
    for (i = 0; i < names.n; i++) {
        const char *n = names.v[i], *k[2] = {NULL, NULL};
        const ini_ent *type, *exe, *opts, *cwd;
        post_hook *hk = &p->hooks[p->nhooks];
        const char *o;
        k[0] = mig_sprintf(ar, "%s.type", n);
        type = ini_find(ic, INI_HOOKS, k);
        k[0] = mig_sprintf(ar, "%s.executable", n);
        exe = ini_find(ic, INI_HOOKS, k);
        k[0] = mig_sprintf(ar, "%s.options", n);
        opts = ini_find(ic, INI_HOOKS, k);
        k[0] = mig_sprintf(ar, "%s.cwd", n);
        cwd = ini_find(ic, INI_HOOKS, k);
        if (!type || !*type->value) {
            errorf("%s: [" INI_HOOKS "]: key %s.type is required for post write hook \"%s\" (type = exec)", cfg, n, n);
            return -1;
        }
        if (strcmp(type->value, "console_scripts") == 0) {
            errorf("%s: [" INI_HOOKS "]: post write hook \"%s\" has type console_scripts, which runs a Python "
                   "entry point: mig runs programs only; write %s.type = exec and %s.executable = the command "
                   "(e.g. black)",
                   cfg, n, n, n);
            return -1;
        }
        if (strcmp(type->value, "exec") != 0) {
            errorf("%s: [" INI_HOOKS "]: post write hook \"%s\": unknown type \"%s\" (mig runs type exec)", cfg, n,
                   type->value);
            return -1;
        }
        if (!exe || !*exe->value) {
            errorf("%s: [" INI_HOOKS "]: key %s.executable is required for post write hook \"%s\"", cfg, n, n);
            return -1;
        }
        hk->name = n;
        hk->executable = ini_expand(ar, exe->value, here);
        if (strchr(hk->executable, '/'))
            hk->executable = hook_path(ar, here, hk->executable);
        hk->cwd = cwd && *cwd->value ? hook_path(ar, here, ini_expand(ar, cwd->value, here)) : NULL;
        o = opts ? ini_expand(ar, opts->joined, here) : "";
        if (!strstr(o, HOOK_TOKEN))
            o = mig_sprintf(ar, HOOK_TOKEN " %s", o);
        if (shell_split(ar, o, &hk->args)) {
            errorf("%s: [" INI_HOOKS "]: %s.options: no closing quotation (or a trailing backslash): %s", cfg, n,
                   opts ? opts->value : "");
            return -1;
        }
        p->nhooks++;
    }
    return 0;
}

/* An Alembic key that mig does not read: say what to do instead. */
static const char *alembic_key_hint(const char *key)
{
    if (strcmp(key, "sqlalchemy.url") == 0)
        return "\nsqlalchemy.url is Alembic's name: write url = ... (sqlite:PATH, postgresql://...)";
    if (strcmp(key, "prepend_sys_path") == 0 || strcmp(key, "revision_environment") == 0 ||
        strcmp(key, "sourceless") == 0 || strcmp(key, "output_encoding") == 0 || strcmp(key, "timezone") == 0)
        return "\nan alembic.ini key that mig does not use (no Python; dates are local time): remove it";
    return "";
}

static const char *dir_of(mig_arena *ar, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return ".";
    if (slash == path)
        return "/";
    return mig_strndup(ar, path, (size_t)(slash - path));
}

/* A path from mig.ini is relative to the file's folder. */
static const char *ini_rel(mig_arena *ar, const char *inidir, const char *path)
{
    if (path[0] == '/' || strcmp(inidir, ".") == 0)
        return path;
    return mig_sprintf(ar, "%s/%s", inidir, path);
}

/* sqlite:PATH and sqlite:///PATH in mig.ini name files relative to it. */
static const char *ini_url(mig_arena *ar, const char *inidir, const char *url)
{
    const char *path = NULL;
    size_t plen = 0;
    if (strncmp(url, "sqlite:///", 10) == 0) {
        path = url + 10;
        plen = 10;
    } else if (strncmp(url, "sqlite:", 7) == 0 && strncmp(url, "sqlite://", 9) != 0) {
        path = url + 7;
        plen = 7;
    } else if (!strstr(url, "://") && !strchr(url, '=') &&
               (strstr(url, ".db") || strstr(url, ".sqlite"))) {
        path = url; /* a bare file name: app.db */
    }
    if (!path || !*path || path[0] == '/' || strcmp(path, ":memory:") == 0 || strcmp(inidir, ".") == 0)
        return url;
    return mig_sprintf(ar, "%.*s%s/%s", (int)plen, url, inidir, path);
}

/* The keys of the chosen section (and of [DEFAULT]) that are not url,
 * versions and env: version_locations and the rest. */
static int load_alembic_keys(mig_arena *ar, const ini_ctx *ic, const char *cfg, const char *sec,
                             const char *inidir, const char *here, project *p)
{
    const ini_ent *locs = cfg_get(ic, sec, "version_locations", NULL);
    const ini_ent *sep = cfg_get(ic, sec, "version_path_separator", "path_separator");
    const ini_ent *rec = cfg_get(ic, sec, "recursive_version_locations", NULL);
    const ini_ent *tmpl = cfg_get(ic, sec, "file_template", NULL);
    const ini_ent *tsl = cfg_get(ic, sec, "truncate_slug_length", NULL);
    const ini_ent *schema = cfg_get(ic, sec, "schema", NULL);
    const ini_ent *dev = cfg_get(ic, sec, "dev_url", NULL);
    const ini_ent *drift = cfg_get(ic, sec, "check_drift", NULL);
    static const char *const fkeys[] = {"schemas", "kinds", "include", "exclude"};
    mig_strlist *flists[] = {&p->f_schemas, &p->f_kinds, &p->f_include, &p->f_exclude};
    size_t k;
    p->truncate_slug = 40;
    /* autogenerate: the desired schema (paths relative to mig.ini, as
     * version_locations), the server for scratch databases, the filters */
    if (schema) {
        mig_strlist items = {0};
        int j;
        split_on(ar, ini_expand(ar, schema->joined, here), " ,\t\r\n", &items);
        if (items.n == 0) {
            errorf("%s: schema is empty: name one .sql file or folder or more (or remove the key)", cfg);
            return -1;
        }
        for (j = 0; j < items.n; j++)
            mig_strlist_add(ar, &p->schema_paths, ini_rel(ar, inidir, items.v[j]));
        p->schema_from = mig_sprintf(ar, "%s [%s] schema", cfg, schema->section);
    }
    if (dev && *dev->value)
        p->dev_url = ini_url(ar, inidir, dev->value);
    for (k = 0; k < sizeof fkeys / sizeof fkeys[0]; k++) {
        const ini_ent *e = cfg_get(ic, sec, fkeys[k], NULL);
        if (e)
            split_on(ar, e->joined, " ,\t\r\n", flists[k]);
    }
    if (drift && (p->check_drift = ini_bool(drift->value)) < 0) {
        errorf("%s: check_drift = %s: expected true or false", cfg, drift->value);
        return -1;
    }
    if (rec && (p->recursive = ini_bool(rec->value)) < 0) {
        errorf("%s: recursive_version_locations = %s: expected true or false", cfg, rec->value);
        return -1;
    }
    if (tsl) {
        char *end;
        long v;
        errno = 0;
        v = strtol(tsl->value, &end, 10);
        if (!*tsl->value || *end || errno || v < 0 || v > 1000) {
            errorf("%s: truncate_slug_length = %s: expected a whole number from 0 to 1000 (default 40)", cfg,
                   tsl->value);
            return -1;
        }
        p->truncate_slug = (int)v;
    }
    if (tmpl)
        p->file_template = ini_expand(ar, tmpl->value, here);
    if (locs) {
        /* Alembic: split on version_path_separator, else on spaces and commas */
        const char *seps = " ,\t\r\n";
        mig_strlist items = {0};
        int i;
        if (sep) {
            static const char *const names[] = {"space", "comma", "colon", "semicolon", "newline", "os", NULL};
            static const char *const chars[] = {" ", ",", ":", ";", "\n", ":"};
            for (i = 0; names[i] && strcmp(names[i], sep->value) != 0; i++)
                ;
            if (!names[i]) {
                errorf("%s: %s = %s: expected space, comma, colon, semicolon, newline or os", cfg, sep->name,
                       sep->value);
                return -1;
            }
            seps = chars[i];
        }
        split_on(ar, locs->joined, seps, &items);
        if (items.n == 0) {
            errorf("%s: version_locations is empty: name one folder or more (or remove the key)", cfg);
            return -1;
        }
        for (i = 0; i < items.n; i++)
            mig_strlist_add(ar, &p->version_locs, ini_rel(ar, inidir, ini_expand(ar, items.v[i], here)));
        p->versions = p->version_locs.v[0];
    }
    return 0;
}

int project_load(mig_arena *ar, const cli *c, project *p, int need_ini)
{
    ini_ctx ic;
    const char *cfg = c->config ? c->config : getenv("MIG_CONFIG");
    const char *sec = NULL; /* the chosen section, when the file has it */
    int explicit_cfg = cfg != NULL, i;
    memset(p, 0, sizeof *p);
    p->check_drift = 1;
    p->ar = ar;
    p->truncate_slug = 40;
    if (!cfg)
        cfg = "mig.ini";
    p->ini_path = cfg;
    p->section = c->name ? c->name : "mig";
    memset(&ic, 0, sizeof ic);
    ic.ar = ar;
    if (strcmp(p->section, INI_DEFAULT) == 0 || strcmp(p->section, INI_HOOKS) == 0) {
        errorf("-n %s: [%s] is not an environment (it holds %s)", p->section, p->section,
               strcmp(p->section, INI_DEFAULT) == 0 ? "the values every section inherits"
                                                    : "the hooks run on the files revision and merge write");
        return -1;
    }
    if (access(cfg, F_OK) == 0) {
        int rc = ini_parse(cfg, ini_cb, &ic);
        if (rc < 0) {
            errorf("cannot read %s: %s", cfg, strerror(errno ? errno : EACCES));
            return -1;
        }
        if (rc > 0) {
            errorf("%s, line %d: not an ini line (expected [section] or key = value)", cfg, rc);
            return -1;
        }
        ini_headers(ar, cfg, &ic.sections);
        for (i = 0; i < ic.n; i++) {
            const ini_ent *e = &ic.v[i];
            int is_default = strcmp(e->section, INI_DEFAULT) == 0;
            if (!is_default && strcmp(e->section, p->section) != 0)
                continue;
            if (!in_list(e->name, ENV_KEYS)) {
                errorf("%s: unknown key \"%s\" in section [%s]%s (known: url, versions, env, version_locations, "
                       "recursive_version_locations, file_template, truncate_slug_length, "
                       "version_path_separator, schema, dev_url, schemas, kinds, include, exclude, check_drift, engine)%s",
                       cfg, e->name, e->section,
                       is_default ? ", which every section inherits" : "",
                       alembic_key_hint(e->name));
                return -1;
            }
        }
        for (i = 0; i < ic.n && !sec; i++)
            if (strcmp(ic.v[i].section, p->section) == 0)
                sec = p->section;
        if (!sec && mig_strlist_has(&ic.sections, p->section))
            sec = p->section;
        if (!sec) {
            if (c->name || need_ini) {
                errorf("%s has no section [%s]%s", cfg, p->section,
                       c->name ? " (selected with -n)" : "; run 'mig init' or add it");
                return -1;
            }
        }
        p->ini_found = 1;
    } else if (explicit_cfg) {
        errorf("cannot read %s: %s", cfg, strerror(errno));
        return -1;
    } else if (c->name) {
        errorf("-n %s: there is no %s here (run 'mig init' first, or give -c FILE)", c->name, cfg);
        return -1;
    } else if (need_ini) {
        errorf("no %s in this folder: run 'mig init' to create one, or give -c FILE", cfg);
        return -1;
    }
    {
        const char *inidir = dir_of(ar, cfg), *here = inidir;
        const ini_ent *url = cfg_get(&ic, sec, "url", NULL);
        const ini_ent *ver = cfg_get(&ic, sec, "versions", "script_location");
        const ini_ent *env = cfg_get(&ic, sec, "env", NULL);
        const char *u = url ? url->value : NULL, *envu;
        char *abs = realpath(inidir, NULL);
        if (abs) {
            here = mig_strdup(ar, abs);
            free(abs);
        }
        if (load_alembic_keys(ar, &ic, cfg, sec, inidir, here, p))
            return -1;
        if (!p->version_locs.n) {
            p->versions = ini_rel(ar, inidir, ver ? ver->value : "versions");
            mig_strlist_add(ar, &p->version_locs, p->versions);
        }
        /* the hooks matter to the commands that write a file only: a hook
         * an upgrade never runs must not stop it */
        if (p->ini_found && c->command &&
            (strcmp(c->command, "revision") == 0 || strcmp(c->command, "merge") == 0) &&
            load_hooks(ar, &ic, cfg, here, p))
            return -1;
        if (c->url) {
            p->url = c->url;
            p->url_from = "--url";
        } else if (c->name && u && *u) {
            /* a section chosen with -n says which database: DATABASE_URL,
             * which usually holds the application's own database, must not
             * send `mig -n prod upgrade` elsewhere */
            p->url = ini_url(ar, inidir, u);
            p->url_from = mig_sprintf(ar, "%s [%s] url", cfg, url->section);
        } else if ((envu = getenv("MIG_URL")) && *envu) {
            p->url = envu;
            p->url_from = "MIG_URL";
        } else if ((envu = getenv("DATABASE_URL")) && *envu) {
            p->url = envu;
            p->url_from = "DATABASE_URL";
        } else if (u && *u) {
            p->url = ini_url(ar, inidir, u);
            p->url_from = mig_sprintf(ar, "%s [%s] url", cfg, url->section);
        }
        {
            /* PostgreSQL: who runs the engine (--engine, $MIG_ENGINE, engine = in mig.ini) */
            const ini_ent *eng = cfg_get(&ic, sec, "engine", NULL);
            const char *ee = getenv("MIG_ENGINE");
            p->engine = c->engine ? c->engine : ee && *ee ? ee : eng && *eng->value ? eng->value : "auto";
        }
        /* a section other than [mig] is an independent environment */
        p->env = env && *env->value ? env->value : strcmp(p->section, "mig") == 0 ? "default" : p->section;
    }
    return 0;
}

const char *opts_json(ctx *x, const char *extra)
{
    mig_buf b;
    char *s;
    json_t *o = json_object(), *xo;
    int i;
    json_object_set_new(o, "env", json_string(x->p->env));
    if (x->c->tenant)
        json_object_set_new(o, "tenant", json_string(x->c->tenant));
    if (x->c->xk.n) {
        xo = json_object();
        for (i = 0; i < x->c->xk.n; i++)
            json_object_set_new(xo, x->c->xk.v[i], json_string(x->c->xv.v[i]));
        json_object_set_new(o, "x", xo);
    }
    s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    if (!s) {
        fputs("mig: out of memory\n", stderr);
        exit(EX_FAILED);
    }
    mig_buf_init(&b, x->ar);
    if (extra && *extra && strlen(s) > 2) {
        mig_buf_putn(&b, s, strlen(s) - 1);
        mig_buf_printf(&b, ",%s}", extra);
    } else if (extra && *extra)
        mig_buf_printf(&b, "{%s}", extra);
    else
        mig_buf_puts(&b, s);
    free(s);
    return b.data;
}

/* ---- plugins ----------------------------------------------------------------------- */

static int run_plugin(ctx *x, const char *name, int argc, char **argv)
{
    char prog[PATH_MAX];
    char **av;
    int i;
    if (strchr(name, '/') || snprintf(prog, sizeof prog, "mig-%s", name) >= (int)sizeof prog)
        die_usage("'%s' is not a mig command", name);
    if (x->p->url)
        setenv("MIG_URL", x->p->url, 1);
    if (x->p->ini_found)
        setenv("MIG_CONFIG", x->p->ini_path, 1);
    setenv("MIG_NAME", x->p->section, 1);
    setenv("MIG_ENV", x->p->env, 1);
    setenv("MIG_VERSIONS", x->p->versions, 1);
    if (x->c->tenant)
        setenv("MIG_TENANT", x->c->tenant, 1);
    setenv("MIG_OPTS", opts_json(x, NULL), 1);
    av = calloc((size_t)argc + 2, sizeof *av);
    if (!av)
        return EX_FAILED;
    av[0] = prog;
    for (i = 0; i < argc; i++)
        av[i + 1] = argv[i];
    fflush(stdout);
    execvp(prog, av);
    if (errno == ENOENT)
        die_usage("'%s' is not a mig command, and there is no %s on PATH", name, prog);
    errorf("cannot run %s: %s", prog, strerror(errno));
    free(av);
    return EX_FAILED;
}

/* ---- the command line ---------------------------------------------------------------- */

enum {
    O_URL = 1000, O_ENGINE, O_TENANT, O_JSON, O_HEAD, O_BRANCH_LABEL, O_DEPENDS_ON, O_REV_ID, O_SPLICE, O_SQL, O_PURGE,
    O_INDICATE_CURRENT, O_FORCE, O_ACCEPT, O_SINGLE_HEAD, O_VERSION, O_VERSION_PATH, O_AUTOGENERATE, O_FROM_DB,
    O_RENAME_TABLE, O_RENAME_COLUMN, O_TABLE, O_NO_DRIFT, O_SNAPSHOT
};

static const struct option LONGOPTS[] = {
    {"config", required_argument, NULL, 'c'},
    {"name", required_argument, NULL, 'n'},
    {"url", required_argument, NULL, O_URL},
    {"x-arg", required_argument, NULL, 'x'},
    {"tenant", required_argument, NULL, O_TENANT},
    {"engine", required_argument, NULL, O_ENGINE},
    {"quiet", no_argument, NULL, 'q'},
    {"json", no_argument, NULL, O_JSON},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, O_VERSION},
    {"message", required_argument, NULL, 'm'},
    {"head", required_argument, NULL, O_HEAD},
    {"branch-label", required_argument, NULL, O_BRANCH_LABEL},
    {"depends-on", required_argument, NULL, O_DEPENDS_ON},
    {"rev-id", required_argument, NULL, O_REV_ID},
    {"splice", no_argument, NULL, O_SPLICE},
    {"sql", no_argument, NULL, O_SQL},
    {"purge", no_argument, NULL, O_PURGE},
    {"rev-range", required_argument, NULL, 'r'},
    {"indicate-current", no_argument, NULL, O_INDICATE_CURRENT},
    {"force", no_argument, NULL, O_FORCE},
    {"accept", no_argument, NULL, O_ACCEPT},
    {"single-head", no_argument, NULL, O_SINGLE_HEAD},
    {"version-path", required_argument, NULL, O_VERSION_PATH},
    {"autogenerate", no_argument, NULL, O_AUTOGENERATE},
    {"from-db", no_argument, NULL, O_FROM_DB},
    {"rename-table", required_argument, NULL, O_RENAME_TABLE},
    {"rename-column", required_argument, NULL, O_RENAME_COLUMN},
    {"table", required_argument, NULL, O_TABLE},
    {"no-drift", no_argument, NULL, O_NO_DRIFT},
    {"snapshot", no_argument, NULL, O_SNAPSHOT},
    {NULL, 0, NULL, 0},
};

static int cmd_merge(ctx *x)
{
    return cmd_revision(x, 1);
}
static int cmd_new_revision(ctx *x)
{
    return cmd_revision(x, 0);
}
static int cmd_upgrade(ctx *x)
{
    return cmd_run(x, 0);
}
static int cmd_downgrade(ctx *x)
{
    return cmd_run(x, 1);
}

enum { NO_PROJECT = 1, NEEDS_INI = 2, NEEDS_MESSAGE = 4 };

/* The commands: the command options each takes (global options go
 * anywhere), how many arguments, and what runs it. */
static const struct {
    const char *cmd;
    const char *takes; /* letters: m message, H head, B branch-label, D depends-on, I rev-id, S splice,
                          Q sql, P purge, R range, C indicate-current, F force, A accept,
                          U single-head, L version-path, G autogenerate, O from-db,
                          W rename-table / rename-column, T table, Y no-drift, N snapshot */
    int min_args, max_args; /* -1: any number */
    int flags;
    int (*run)(ctx *x);
} CMDS[] = {
    {"init", "", 0, 1, NO_PROJECT, cmd_init},
    {"revision", "mHBDISLGOW", 0, 0, NEEDS_INI | NEEDS_MESSAGE, cmd_new_revision},
    {"merge", "mBI", 1, -1, NEEDS_INI | NEEDS_MESSAGE, cmd_merge},
    {"push", "F", 0, 0, 0, cmd_push},
    {"upgrade", "QF", 0, 1, 0, cmd_upgrade},
    {"downgrade", "QF", 1, 1, 0, cmd_downgrade},
    {"stamp", "PAQ", 1, -1, 0, cmd_stamp},
    {"current", "", 0, 0, 0, cmd_current},
    {"heads", "", 0, 0, 0, cmd_heads},
    {"branches", "", 0, 0, 0, cmd_branches},
    {"history", "RC", 0, 0, 0, cmd_history},
    {"show", "Q", 1, 1, 0, cmd_show},
    {"check", "UY", 0, 0, 0, cmd_check},
    {"test", "", 0, 0, 0, cmd_test},
    {"dump", "TN", 0, 0, 0, cmd_dump},
    {"baseline", "mI", 0, 0, NEEDS_INI | NEEDS_MESSAGE, cmd_baseline},
    {"squash", "m", 1, 1, NEEDS_INI | NEEDS_MESSAGE, cmd_squash},
};

static void add_x(mig_arena *ar, cli *c, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv)
        die_usage("-x %s: expected KEY=VALUE", kv);
    mig_strlist_add(ar, &c->xk, mig_strndup(ar, kv, (size_t)(eq - kv)));
    mig_strlist_add(ar, &c->xv, mig_strdup(ar, eq + 1));
}

/* Parse options; returns the letter of the command option seen (for
 * validation), or 0 for a global one. */
static int take_opt(mig_arena *ar, cli *c, int ch, const char *arg)
{
    switch (ch) {
    case 'c': c->config = arg; return 0;
    case 'n': c->name = arg; return 0;
    case O_URL: c->url = arg; return 0;
    case 'x': add_x(ar, c, arg); return 0;
    case O_TENANT: c->tenant = arg; return 0;
    case O_ENGINE: c->engine = arg; return 0;
    case 'q': c->quiet = 1; return 0;
    case O_JSON: c->json = 1; return 0;
    case 'v': c->verbose = 1; return 0;
    case 'm': c->message = arg; return 'm';
    case O_HEAD: c->head = arg; return 'H';
    case O_BRANCH_LABEL: mig_strlist_split(ar, &c->branch_labels, arg, strlen(arg)); return 'B';
    case O_DEPENDS_ON: mig_strlist_split(ar, &c->depends_on, arg, strlen(arg)); return 'D';
    case O_REV_ID: c->rev_id = arg; return 'I';
    case O_SPLICE: c->splice = 1; return 'S';
    case O_SQL: c->sql = 1; return 'Q';
    case O_PURGE: c->purge = 1; return 'P';
    case 'r': c->range = arg; return 'R';
    case 'i': /* Alembic's short form of --indicate-current */
    case O_INDICATE_CURRENT: c->indicate_current = 1; return 'C';
    case O_FORCE: c->force = 1; return 'F';
    case O_ACCEPT: c->accept = 1; return 'A';
    case O_SINGLE_HEAD: c->single_head = 1; return 'U';
    case O_VERSION_PATH: c->version_path = arg; return 'L';
    case O_AUTOGENERATE: c->autogenerate = 1; return 'G';
    case O_FROM_DB: c->from_db = 1; return 'O';
    case O_RENAME_TABLE: mig_strlist_add(ar, &c->rename_tables, arg); return 'W';
    case O_RENAME_COLUMN: mig_strlist_add(ar, &c->rename_columns, arg); return 'W';
    case O_TABLE: mig_strlist_add(ar, &c->tables, arg); return 'T';
    case O_NO_DRIFT: c->no_drift = 1; return 'Y';
    case O_SNAPSHOT: c->snapshot = 1; return 'N';
    default: return -1;
    }
}

static const char *opt_name(int letter)
{
    switch (letter) {
    case 'm': return "-m/--message";
    case 'H': return "--head";
    case 'B': return "--branch-label";
    case 'D': return "--depends-on";
    case 'I': return "--rev-id";
    case 'S': return "--splice";
    case 'Q': return "--sql";
    case 'P': return "--purge";
    case 'R': return "-r/--rev-range";
    case 'C': return "--indicate-current";
    case 'F': return "--force";
    case 'A': return "--accept";
    case 'U': return "--single-head";
    case 'L': return "--version-path";
    case 'G': return "--autogenerate";
    case 'O': return "--from-db";
    case 'W': return "--rename-table/--rename-column";
    case 'T': return "--table";
    case 'Y': return "--no-drift";
    case 'N': return "--snapshot";
    default: return "?";
    }
}

int main(int argc, char **argv)
{
    mig_arena ar;
    cli c;
    project p;
    ctx x;
    int ch, i, cmd = -1, rc;
    const char *SHORT = "+c:n:x:qvhm:r:i";

    /* SQLite's allocation statistics take a global mutex on every malloc
     * and free; the client never reads them (6% of an upload's CPU) */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    mig_arena_init(&ar, &C_ALLOC);
    memset(&c, 0, sizeof c);
    opterr = 0;
    /* global options before the command */
    while ((ch = getopt_long(argc, argv, SHORT, LONGOPTS, NULL)) != -1) {
        if (ch == 'h') {
            fputs(USAGE, stdout);
            return EX_DONE;
        }
        if (ch == O_VERSION) {
            printf("mig %s\n", MIG_VERSION);
            return EX_DONE;
        }
        if (ch == '?' || ch == ':')
            die_usage("%s: unknown option or missing value", argv[optind - 1]);
        if (take_opt(&ar, &c, ch, optarg) != 0)
            die_usage("%s must come after the command it belongs to", argv[optind - 1]);
    }
    if (optind >= argc) {
        fputs(USAGE, stderr);
        return EX_USAGE;
    }
    c.command = argv[optind];
    for (i = 0; i < (int)(sizeof CMDS / sizeof CMDS[0]); i++)
        if (strcmp(CMDS[i].cmd, c.command) == 0)
            cmd = i;
    if (strcmp(c.command, "help") == 0) {
        if (optind + 1 < argc)
            cmd_help(argv[optind + 1]);
        else
            fputs(USAGE, stdout);
        return EX_DONE;
    }
    x.ar = &ar;
    x.c = &c;
    x.p = &p;
    if (cmd < 0) {
        /* mig NAME: a plugin, given the rest of the command line untouched */
        if (c.command[0] == '-')
            die_usage("%s: unknown option", c.command);
        if (project_load(&ar, &c, &p, 0))
            rc = EX_FAILED;
        else
            rc = run_plugin(&x, c.command, argc - optind - 1, argv + optind + 1);
        mig_arena_free(&ar);
        return rc;
    }
    /* the command's own options (and global ones) after it */
    optind++;
    while (optind < argc) {
        const char *a = argv[optind];
        int letter;
        /* a relative target such as -1 or -2 is an argument, not an option */
        if (a[0] == '-' && a[1] >= '0' && a[1] <= '9') {
            mig_strlist_add(&ar, &c.args, a);
            optind++;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            for (optind++; optind < argc; optind++)
                mig_strlist_add(&ar, &c.args, argv[optind]);
            break;
        }
        if (a[0] != '-' || a[1] == 0) {
            mig_strlist_add(&ar, &c.args, a);
            optind++;
            continue;
        }
        ch = getopt_long(argc, argv, SHORT, LONGOPTS, NULL);
        if (ch == -1)
            break;
        if (ch == 'h') {
            cmd_help(c.command);
            return EX_DONE;
        }
        if (ch == '?' || ch == ':')
            die_usage("%s %s: unknown option or missing value", c.command, argv[optind - 1]);
        if (ch == O_VERSION) {
            printf("mig %s\n", MIG_VERSION);
            return EX_DONE;
        }
        letter = take_opt(&ar, &c, ch, optarg);
        if (letter > 0) {
            if (!strchr(CMDS[cmd].takes, letter))
                die_usage("%s does not take %s (see mig %s --help)", c.command, opt_name(letter), c.command);
        }
    }
    if (c.args.n < CMDS[cmd].min_args)
        die_usage("%s: missing argument (see mig %s --help)", c.command, c.command);
    if (CMDS[cmd].max_args >= 0 && c.args.n > CMDS[cmd].max_args)
        die_usage("%s: unexpected argument '%s'", c.command, c.args.v[CMDS[cmd].max_args]);
    if ((CMDS[cmd].flags & NEEDS_MESSAGE) && !c.message)
        die_usage("%s needs a message: -m MSG", c.command);
    if ((c.from_db || c.rename_tables.n || c.rename_columns.n) && !c.autogenerate)
        die_usage("%s: --from-db, --rename-table and --rename-column go with --autogenerate", c.command);
    if (c.tenant && !*c.tenant)
        die_usage("--tenant needs a schema name");

    if (CMDS[cmd].flags & NO_PROJECT)
        memset(&p, 0, sizeof p);
    else if (project_load(&ar, &c, &p, (CMDS[cmd].flags & NEEDS_INI) != 0) || (x.opts = opts_json(&x, NULL)) == NULL) {
        mig_arena_free(&ar);
        return EX_FAILED;
    }
    if (!(CMDS[cmd].flags & NO_PROJECT)) {
        const char *e = p.engine ? p.engine : "auto";
        if (strcmp(e, "auto") != 0 && strcmp(e, "client") != 0 && strcmp(e, "extension") != 0) {
            errorf("engine = %s: expected client, extension or auto", e);
            mig_arena_free(&ar);
            return EX_USAGE;
        }
        db_set_engine(strcmp(e, "client") == 0 ? DB_ENGINE_CLIENT : strcmp(e, "extension") == 0 ? DB_ENGINE_EXTENSION
                                                                                              : DB_ENGINE_AUTO,
                      c.quiet || c.json);
    }
    rc = CMDS[cmd].run(&x);
    fflush(stdout);
    mig_arena_free(&ar);
    return rc;
}
