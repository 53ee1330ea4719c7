/*
 * guard.c — transaction control in revision bodies (see guard.h).
 */
#include "guard.h"
#include "sqltok.h"

#include <stdio.h>
#include <string.h>

void mig_txn_guard_init(mig_txn_guard *g, mig_arena *ar)
{
    memset(g, 0, sizeof *g);
    g->ar = ar;
}

int mig_txn_refuse(mig_err *err, const char *what, int postgres)
{
    int svp = strcmp(what, "SAVEPOINT") == 0 || strcmp(what, "RELEASE") == 0 || strcmp(what, "ROLLBACK TO") == 0;
    if (postgres && svp) {
        mig_fail(err, MIG_E_USAGE, "%s is not allowed in a PostgreSQL revision", what);
        mig_err_detail(err, "mig runs each revision in a subtransaction of the call; a function cannot open or "
                            "release savepoints.");
        mig_err_hint(err, "Use a BEGIN ... EXCEPTION block in a DO statement to handle an error inside a revision.");
        return -1;
    }
    mig_fail(err, MIG_E_USAGE, "%s is not allowed in a revision%s", what,
             svp ? " (except of a savepoint the revision opens itself)" : "");
    mig_err_detail(err, "mig runs each revision inside the transaction of the call, so that a failure leaves "
                        "everything as it was.");
    mig_err_hint(err, "Remove the statement; for work that cannot run in a transaction, mark the revision "
                      "'transactional false' and run it with the mig client.");
    return -1;
}

/* Skip white space, comments and empty statements, as SQLite's tokenizer does before a statement. */
static const char *skip_to_statement(const char *p, const char *end)
{
    for (;;) {
        p = mig_sql_skip_blank(p, end);
        if (p < end && *p == ';')
            p++;
        else
            return p;
    }
}

int mig_txn_guard_sqlite(mig_txn_guard *g, const char *stmt, size_t len, int is_explain, mig_err *err)
{
    const char *end = stmt + len, *t = skip_to_statement(stmt, end);
    char word[32], words[256];
    const char *last;
    unsigned n;
    if (is_explain)
        return 0; /* EXPLAIN COMMIT compiles COMMIT but does not run it */
    mig_sql_first_word(t, (size_t)(end - t), word, sizeof word);
    if (strcmp(word, "BEGIN") == 0 || strcmp(word, "COMMIT") == 0 || strcmp(word, "END") == 0)
        return mig_txn_refuse(err, word, 0);
    if (strcmp(word, "SAVEPOINT") != 0 && strcmp(word, "RELEASE") != 0 && strcmp(word, "ROLLBACK") != 0)
        return 0;
    /* SAVEPOINT name | RELEASE [SAVEPOINT] name | ROLLBACK [TRANSACTION] [TO [SAVEPOINT] name] */
    n = mig_sql_leading_words(t, (size_t)(end - t), MIG_DIALECT_SQLITE, 6, words, sizeof words);
    last = strrchr(words, ' ');
    last = last ? last + 1 : words;
    if (strcmp(word, "ROLLBACK") == 0 && strncmp(words, "ROLLBACK TO ", 12) != 0 &&
        strncmp(words, "ROLLBACK TRANSACTION TO ", 24) != 0)
        return mig_txn_refuse(err, "ROLLBACK", 0);
    if (strcmp(word, "SAVEPOINT") == 0) {
        char *name;
        if (n != 2) /* a quoted name: it cannot be released by name later, so it is not tracked */
            return 0;
        /* upper-cased by mig_sql_leading_words: SQLite compares savepoint
         * names case-insensitively */
        name = mig_strdup(g->ar, last);
        if (!name || mig_strlist_add(g->ar, &g->own, name))
            return mig_fail(err, MIG_E_NOMEM, "out of memory");
        return 0;
    }
    /* RELEASE / ROLLBACK TO: only of a savepoint the body opened (and with a bare name) */
    {
        if (n < 2 || strcmp(last, "SAVEPOINT") == 0 || strcmp(last, "TO") == 0 || !mig_strlist_has(&g->own, last))
            return mig_txn_refuse(err, strcmp(word, "RELEASE") == 0 ? "RELEASE" : "ROLLBACK TO", 0);
    }
    return 0;
}
