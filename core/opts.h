/*
 * opts.h — the `opts` argument of the SQL API (SPEC §4): a JSON object as
 * text, parsed with jansson.  Unknown keys and wrong types are errors.
 */
#ifndef MIG_OPTS_H
#define MIG_OPTS_H

#include "mig_base.h"

typedef struct mig_opts {
    const char *env;        /* "default" */
    mig_strlist xnames;     /* x-arguments, parallel lists */
    mig_strlist xvalues;
    const char *tenant;     /* NULL unless given */
    int purge;
    int force;
    int each;               /* transaction: "each" */
    long lock_timeout_ms;   /* -1: not given */
    /* for clients that run `transactional false` revisions themselves: */
    mig_dialect dialect;    /* mig_sql: the database the script is for (ANY: this one) */
    int nontx_stop;         /* "nontransactional": "stop" — end the run, committed, before such a revision */
    const char *record_only; /* "record_only": REV — REV's body already ran outside a transaction: record
                                it (the first step of the plan), and end the run there */
} mig_opts;

void mig_opts_default(mig_opts *o);
/* json may be NULL (defaults). */
int mig_opts_parse(mig_arena *ar, const char *json, mig_opts *o, mig_err *err);
/* The value of an x-argument, or NULL. */
const char *mig_opts_x(const mig_opts *o, const char *name);

#endif
