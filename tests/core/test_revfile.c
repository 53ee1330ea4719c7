/*
 * test_revfile.c — unit tests of the revision file parser and checksum
 * (SPEC §2) and of the JSON options (SPEC §4).  Prints TAP.
 */
#include "opts.h"
#include "revfile.h"

#include "tap.h"

#include <string.h>

static mig_arena ar;

static int parse(const char *src, mig_revfile *rf, mig_err *err)
{
    mig_err_clear(err);
    return mig_revfile_parse(&ar, src, strlen(src), "f.sql", rf, err);
}

/* the parse fails and the message contains `want` */
static void bad(const char *src, const char *want, const char *desc)
{
    mig_revfile rf;
    mig_err err;
    int rc = parse(src, &rf, &err);
    ok(rc != 0 && strstr(err.msg, want) != NULL, "%s", desc);
    if (rc == 0 || !strstr(err.msg, want))
        printf("#   got: %s\n#   want: %s\n", rc ? err.msg : "(success)", want);
}

static const char *body(const char *src, const mig_section *s, char *buf, size_t n)
{
    snprintf(buf, n, "%.*s", (int)s->body_len, src + s->body_off);
    return buf;
}

int main(void)
{
    mig_revfile rf, rf2;
    mig_err err;
    char buf[512];
    const char *full = "-- mig:revision 8e32f2af1bd2\n"
                       "-- mig:down_revision 90823bd3809e\n"
                       "-- mig:message Add schema & data migration\n"
                       "-- mig:branch_labels reporting\n"
                       "-- mig:depends_on 27c6a30d7c24, billing\n"
                       "-- mig:create_date 2026-11-21 18:04:00\n"
                       "-- mig:transactional false\n"
                       "\n"
                       "-- mig:upgrade\n"
                       "SELECT mig_batch('foo', 'ALTER COLUMN bar DROP NOT NULL');\n"
                       "\n"
                       "-- mig:upgrade if data\n"
                       "UPDATE foo SET bar = NULL WHERE bar = '';\n"
                       "\n"
                       "-- mig:upgrade dialect=postgresql\n"
                       "CREATE INDEX ix_foo_bar ON foo (bar);\n"
                       "\n"
                       "-- mig:downgrade\n"
                       "SELECT mig_batch('foo', 'ALTER COLUMN bar SET NOT NULL');\n";
    mig_arena_init(&ar, &TAP_ALLOC);

    /* a UTF-8 byte order mark before the first line (Windows editors) */
    {
        char bom[600];
        snprintf(bom, sizeof bom, "\xEF\xBB\xBF%s", full);
        ok(parse(bom, &rf, &err) == 0 && strcmp(rf.id, "8e32f2af1bd2") == 0, "a file starting with a UTF-8 BOM parses");
        ok(parse(full, &rf2, &err) == 0 && strcmp(rf.checksum, rf2.checksum) == 0,
           "... with the checksum of the same file without it");
    }

    /* the SPEC's example */
    ok(parse(full, &rf, &err) == 0, "the SPEC example parses");
    ok(strcmp(rf.id, "8e32f2af1bd2") == 0, "revision id");
    ok(rf.down.n == 1 && strcmp(rf.down.v[0], "90823bd3809e") == 0, "down_revision");
    ok(strcmp(rf.message, "Add schema & data migration") == 0, "message");
    ok(rf.labels.n == 1 && strcmp(rf.labels.v[0], "reporting") == 0, "branch_labels");
    ok(rf.depends.n == 2 && strcmp(rf.depends.v[0], "27c6a30d7c24") == 0 && strcmp(rf.depends.v[1], "billing") == 0,
       "depends_on: id and label, trimmed");
    ok(strcmp(rf.create_date, "2026-11-21 18:04:00") == 0, "create_date");
    ok(rf.transactional == 0, "transactional false");
    ok(rf.nsections == 4, "four sections");
    ok(rf.sections[0].upgrade && !rf.sections[0].if_name && rf.sections[0].dialect == MIG_DIALECT_ANY,
       "plain upgrade section");
    ok(rf.sections[1].upgrade && rf.sections[1].if_name && strcmp(rf.sections[1].if_name, "data") == 0,
       "upgrade if data");
    ok(rf.sections[2].dialect == MIG_DIALECT_POSTGRES, "dialect=postgresql");
    ok(!rf.sections[3].upgrade, "downgrade section");
    ok(strcmp(body(full, &rf.sections[0], buf, sizeof buf),
              "SELECT mig_batch('foo', 'ALTER COLUMN bar DROP NOT NULL');") == 0,
       "body without trailing blank lines");
    ok(rf.sections[0].body_line == 10, "body line number");
    ok(strlen(rf.checksum) == 64 && strspn(rf.checksum, "0123456789abcdef") == 64, "checksum is hex SHA-256");

    /* checksum stability */
    {
        const char *a = "-- mig:revision a1\n-- mig:message one\n-- a comment\n-- mig:upgrade\nCREATE TABLE t (x);\n";
        const char *b = "-- mig:revision a1\n-- mig:message two\n-- other comment\n\n-- mig:upgrade\nCREATE TABLE t (x);  \n\n\n";
        const char *c = "-- mig:revision a1\r\n-- mig:message one\r\n-- mig:upgrade\r\nCREATE TABLE t (x);\r\n";
        const char *d = "-- mig:revision a1\n-- mig:upgrade\nCREATE TABLE t (y);\n";
        const char *e = "-- mig:revision a1\n-- mig:upgrade\nCREATE TABLE t (x);\n-- mig:downgrade\nDROP TABLE t;\n";
        char ca[65];
        parse(a, &rf, &err);
        strcpy(ca, rf.checksum);
        ok(parse(b, &rf2, &err) == 0 && strcmp(ca, rf2.checksum) == 0,
           "message, header comments, trailing spaces and blank lines do not change the checksum");
        ok(parse(c, &rf2, &err) == 0 && strcmp(ca, rf2.checksum) == 0, "CRLF line endings do not change it");
        ok(parse(d, &rf2, &err) == 0 && strcmp(ca, rf2.checksum) != 0, "a body edit changes it");
        ok(parse(e, &rf2, &err) == 0 && strcmp(ca, rf2.checksum) != 0, "a new section changes it");
    }

    /* minimal and edge forms */
    ok(parse("-- mig:revision base1\n", &rf, &err) == 0 && rf.nsections == 0 && rf.down.n == 0,
       "a header only: empty upgrade and downgrade, a base");
    ok(parse("-- mig:revision m\n-- mig:down_revision a, b\n-- mig:upgrade\n", &rf, &err) == 0 && rf.down.n == 2,
       "two down revisions: a merge point");
    ok(parse("-- mig:revision m\n-- mig:down_revision\n-- mig:upgrade\n", &rf, &err) == 0 && rf.down.n == 0,
       "empty down_revision: a base");
    ok(parse("-- mig:revision x\n-- mig:upgrade dialect=sqlite if flag\nSELECT 1;", &rf, &err) == 0 &&
           rf.sections[0].dialect == MIG_DIALECT_SQLITE && strcmp(rf.sections[0].if_name, "flag") == 0 &&
           rf.sections[0].body_len == 9,
       "modifiers in any order; last line without newline");
    ok(parse("-- mig:revision x\n-- mig:transactional TRUE\n", &rf, &err) == 0 && rf.transactional == 1,
       "transactional true, any case");

    /* errors name the file and line */
    bad("-- mig:revision a1\n-- mig:colour red\n", "f.sql:2: unknown header key 'colour'", "unknown key");
    bad("-- mig:revision a1\n-- mig:message x\n-- mig:message y\n", "f.sql:3: duplicate header key 'message'",
        "duplicate key");
    bad("-- mig:revision a-1\n", "f.sql:1: Character(s) '-' not allowed in revision identifier 'a-1'", "id with '-'");
    bad("-- mig:revision a@1\n", "Character(s) '@' not allowed in revision identifier 'a@1'", "id with '@'");
    bad("-- mig:revision a 1\n", "malformed revision id 'a 1'", "id with a space");
    bad("-- mig:revision head\n", "malformed revision id 'head'", "reserved id");
    bad("-- mig:revision\n", "f.sql:1: malformed revision id ''", "empty id");
    bad("-- mig:upgrade\nSELECT 1;\n-- mig:revision a1\n", "f.sql:1: section '-- mig:upgrade' before the header",
        "section before the header");
    bad("-- mig:revision a1\nCREATE TABLE t (x);\n", "f.sql:2: SQL before the first section", "SQL before sections");
    bad("-- mig:revision a1\n-- mig:upgrade\n-- mig:message late\n", "f.sql:3: header line '-- mig:message' after",
        "header after a section");
    bad("-- mig:revision a1\n-- mig:transactional maybe\n", "f.sql:2: transactional must be true or false",
        "bad transactional");
    bad("-- mig:revision a1\n-- mig:upgrade dialect=oracle\n", "f.sql:2: unknown dialect 'oracle'", "unknown dialect");
    bad("-- mig:revision a1\n-- mig:upgrade if\n", "f.sql:2: 'if' needs the name", "if without a name");
    bad("-- mig:revision a1\n-- mig:upgrade when x\n", "f.sql:2: unexpected 'when'", "unknown modifier");
    bad("", "f.sql:1: missing '-- mig:revision ID' header", "empty file");
    bad("-- just a comment\n", "missing '-- mig:revision ID' header", "no revision header");
    bad("-- mig:revision a1\n-- mig:down_revision b, , c\n", "f.sql:2: empty item in 'down_revision'",
        "empty list item");
    bad("-- mig:revision a1\n-- mig:down_revision a1\n", "Self-loop is detected in revisions (a1)", "self-loop");
    bad("-- mig:revision a1\n-- mig:depends_on a1\n", "Dependency self-loop is detected in revisions (a1)",
        "dependency self-loop");
    bad("-- mig:revision a1\n-- mig:branch_labels x@y\n", "malformed branch label 'x@y'", "label with '@'");
    {
        const char nul[] = "-- mig:revision a1\n-- mig:upgrade\nSELECT 1;\0\n";
        ok(mig_revfile_parse(&ar, nul, sizeof nul - 1, "f.sql", &rf, &err) != 0 && strstr(err.msg, "NUL"),
           "NUL byte");
    }

    /* options */
    {
        mig_opts o;
        mig_err_clear(&err);
        ok(mig_opts_parse(&ar, NULL, &o, &err) == 0 && strcmp(o.env, "default") == 0 && !o.each &&
               o.lock_timeout_ms == -1,
           "no options: defaults");
        ok(mig_opts_parse(&ar,
                          "{\"env\":\"ci\",\"x\":{\"data\":\"yes\",\"n\":3,\"b\":true},\"purge\":true,\"force\":true,"
                          "\"transaction\":\"each\",\"lock_timeout\":\"5s\"}",
                          &o, &err) == 0 &&
               strcmp(o.env, "ci") == 0 && strcmp(mig_opts_x(&o, "data"), "yes") == 0 &&
               strcmp(mig_opts_x(&o, "n"), "3") == 0 && strcmp(mig_opts_x(&o, "b"), "true") == 0 && o.purge &&
               o.force && o.each && o.lock_timeout_ms == 5000,
           "every option");
        ok(mig_opts_parse(&ar, "{\"colour\":1}", &o, &err) != 0 && strstr(err.msg, "unknown option \"colour\""),
           "unknown option");
        ok(mig_opts_parse(&ar, "{\"env\":", &o, &err) != 0 && strstr(err.msg, "invalid options JSON"), "bad JSON");
        ok(mig_opts_parse(&ar, "[1]", &o, &err) != 0 && strstr(err.msg, "must be a JSON object"), "not an object");
        ok(mig_opts_parse(&ar, "{\"transaction\":\"some\"}", &o, &err) != 0, "bad transaction mode");
        ok(mig_opts_parse(&ar, "{\"lock_timeout\":\"soon\"}", &o, &err) != 0, "bad lock_timeout");
        ok(mig_opts_parse(&ar, "{\"env\":\"a\",\"env\":\"b\"}", &o, &err) != 0, "duplicate key");
        ok(mig_truthy("YES") && mig_truthy("on") && mig_truthy("1") && mig_truthy("True") && !mig_truthy("0") &&
               !mig_truthy("no") && !mig_truthy("") && !mig_truthy(NULL),
           "truthy values");
    }
    mig_arena_free(&ar);
    return tap_done();
}
