/*
 * revfile.h — the revision file format (SPEC §2): header lines, sections and
 * the checksum.  Pure parsing: no database, no graph.
 */
#ifndef MIG_REVFILE_H
#define MIG_REVFILE_H

#include "mig_base.h"

typedef struct mig_section {
    int upgrade;              /* 1 upgrade, 0 downgrade */
    const char *if_name;      /* NULL, or the x-argument that must be truthy */
    mig_dialect dialect;
    size_t body_off;          /* the body: bytes [body_off, body_off+body_len) of the source */
    size_t body_len;
    unsigned body_line;       /* 1-based line of the body's first byte in the source */
} mig_section;

typedef struct mig_revfile {
    const char *id;
    mig_strlist down;         /* down_revision(s) */
    mig_strlist labels;       /* branch_labels */
    mig_strlist depends;      /* depends_on: ids or labels */
    const char *message;      /* "" when absent */
    const char *create_date;  /* "" when absent */
    int transactional;        /* 1 unless `transactional false` */
    mig_section *sections;
    int nsections;
    char checksum[65];        /* hex SHA-256 of the normalised sections */
} mig_revfile;

/*
 * Parse one revision file.  `name` names the source in error messages (a
 * file name; NULL for "revision source").  Strings point into the arena.
 */
int mig_revfile_parse(mig_arena *ar, const char *src, size_t len, const char *name, mig_revfile *out,
                      mig_err *err);

/* Does an x-argument select `if NAME` sections?  Given, and not one of the
 * false values: empty, 0, false, no, off (any case).  NULL: not given. */
int mig_truthy(const char *v);

/* The value of x-argument `name` (the last one given), or NULL. */
const char *mig_x_value(const mig_strlist *names, const mig_strlist *values, const char *name);

/* Does section s run in a run of this direction (upgrade 1/0), on database
 * `db`, with these x-arguments?  The one rule for the engine and the client. */
int mig_section_runs(const mig_section *s, int upgrade, mig_dialect db, const mig_strlist *xnames,
                     const mig_strlist *xvalues);

/* Alembic's log line for a step, "Running upgrade A, B -> C, message"
 * (downgrade: "Running downgrade C -> A, B, message"): the down revisions,
 * not depends_on, as Alembic prints them; `outside` adds " (outside a
 * transaction)".  NULL when out of memory. */
const char *mig_running_line(mig_arena *ar, int upgrade, const char *id, const mig_strlist *down,
                             const char *message, int outside);

#endif
