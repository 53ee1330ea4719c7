/*
 * test_schema_pg.c - unit tests of core/schema_pg.c: the canonical
 * PostgreSQL snapshot document made from the catalog query's rows (order,
 * keys, filters, owners) and its errors.  The catalog query itself runs
 * against a server in tests/pg/t_schema.sh.
 *
 * A standalone TAP program (built by the Makefile's TEST_BIN rule, run by
 * tests/run/10-core.t and, with ASan/UBSan, by 40-sanitize.t).
 */
#include "schema_pg.h"

#include "tap.h"

#include <string.h>

static mig_arena AR;

#define HEAD "{\"mig_snapshot\":1,\"dialect\":\"postgresql\",\"objects\":"

/* The document of `rows` with filter options `opts` ("" = none), or the error message prefixed "ERROR: ". */
static const char *doc(const char *rows, const char *opts)
{
    mig_pg_filter f;
    mig_err err;
    char *d = NULL;
    mig_err_clear(&err);
    if (mig_pg_filter_parse(&AR, opts, &f, &err) || mig_pg_snapshot_doc(&AR, rows, strlen(rows), &f, &d, &err))
        return mig_sprintf(&AR, "ERROR: %s", err.msg);
    return d;
}

static void is(const char *got, const char *want, const char *desc)
{
    if (!ok(got && strcmp(got, want) == 0, "%s", desc))
        printf("#   got:  %s\n#   want: %s\n", got ? got : "(null)", want);
}

static void has_error(const char *got, const char *part, const char *desc)
{
    if (!ok(got && strncmp(got, "ERROR: ", 7) == 0 && strstr(got, part), "%s", desc))
        printf("#   got: %s\n#   want an error containing: %s\n", got ? got : "(null)", part);
}

static const char *ROWS =
    "[{\"kind\":\"trigger\",\"schema\":\"app\",\"name\":\"touch\",\"table\":\"b\",\"def\":\"CREATE TRIGGER touch ...\"},"
    " {\"kind\":\"table\",\"schema\":\"app\",\"name\":\"b\",\"owner\":\"alice\",\"columns\":[]},"
    " {\"kind\":\"trigger\",\"schema\":\"app\",\"name\":\"touch\",\"table\":\"a\",\"def\":\"CREATE TRIGGER touch ...\"},"
    " {\"name\":\"app\",\"kind\":\"schema\"},"
    " {\"kind\":\"function\",\"schema\":\"app\",\"name\":\"audit_f(integer)\",\"def\":\"x\"},"
    " {\"kind\":\"table\",\"schema\":\"app\",\"name\":\"a\",\"columns\":[{\"type\":\"integer\",\"name\":\"id\"}]},"
    " {\"kind\":\"index\",\"schema\":\"app\",\"name\":\"a_i\",\"table\":\"a\",\"def\":\"CREATE INDEX a_i ...\"},"
    " {\"kind\":\"table\",\"schema\":\"other\",\"name\":\"a\",\"columns\":[]}]";

static void test_order(void)
{
    is(doc("[]", ""), HEAD "[]}", "no rows: an empty list");
    is(doc(ROWS, ""),
       HEAD "[{\"kind\":\"schema\",\"name\":\"app\"},"
            "{\"def\":\"x\",\"kind\":\"function\",\"name\":\"audit_f(integer)\",\"schema\":\"app\"},"
            "{\"columns\":[{\"name\":\"id\",\"type\":\"integer\"}],\"kind\":\"table\",\"name\":\"a\",\"schema\":\"app\"},"
            "{\"columns\":[],\"kind\":\"table\",\"name\":\"b\",\"schema\":\"app\"},"
            "{\"columns\":[],\"kind\":\"table\",\"name\":\"a\",\"schema\":\"other\"},"
            "{\"def\":\"CREATE INDEX a_i ...\",\"kind\":\"index\",\"name\":\"a_i\",\"schema\":\"app\",\"table\":\"a\"},"
            "{\"def\":\"CREATE TRIGGER touch ...\",\"kind\":\"trigger\",\"name\":\"touch\",\"schema\":\"app\",\"table\":\"a\"},"
            "{\"def\":\"CREATE TRIGGER touch ...\",\"kind\":\"trigger\",\"name\":\"touch\",\"schema\":\"app\",\"table\":\"b\"}]}",
       "objects sorted by kind, schema, table, name; keys sorted; owners left out");
    {
        const char *d = doc(ROWS, "{\"owners\": true, \"kinds\": [\"table\"], \"schemas\": [\"app\"]}");
        ok(d && strstr(d, "\"owner\":\"alice\"") && !strstr(d, "\"other\"") && !strstr(d, "trigger"),
           "owners when asked; kinds and schemas filter (got %s)", d ? d : "");
    }
    {
        const char *d = doc(ROWS, "{\"exclude\": [\"a\"]}");
        ok(d && !strstr(d, "\"name\":\"a\"") && !strstr(d, "a_i") && strstr(d, "\"table\":\"b\"") &&
               !strstr(d, "\"table\":\"a\""),
           "exclude: the table and its index and trigger go (got %s)", d ? d : "");
    }
    {
        const char *d = doc(ROWS, "{\"include\": [\"audit_*\"]}");
        ok(d && strstr(d, "audit_f(integer)") && !strstr(d, "\"kind\":\"table\""),
           "a function's pattern is matched without its argument list (got %s)", d ? d : "");
    }
    {
        const char *a = doc(ROWS, ""), *b = doc(ROWS, "");
        ok(a && b && strcmp(a, b) == 0, "the same rows give the same text");
    }
}

static void test_errors(void)
{
    has_error(doc("{", ""), "invalid JSON", "rows that are not JSON");
    has_error(doc("{}", ""), "not a JSON array", "rows that are not an array");
    has_error(doc("[{\"kind\":\"table\"}]", ""), "objects[0]", "an object without a name names its index");
    has_error(doc("[{\"kind\":\"tabel\",\"name\":\"t\"}]", ""), "objects[0]", "an unknown kind");
    has_error(doc("[1]", ""), "objects[0]", "an element that is not an object");
    has_error(doc("[]", "{\"bogus\": 1}"), "unknown option \"bogus\"", "an unknown option");
    has_error(doc("[]", "{\"kinds\": [\"tables\"]}"), "\"kinds\"", "an unknown kind in the options");
    has_error(doc("[]", "{\"kinds\": []}"), "\"kinds\"", "an empty kinds list");
    has_error(doc("[]", "{\"schemas\": \"app\"}"), "\"schemas\" must be an array", "schemas not an array");
    has_error(doc("[]", "{\"include\": [\"\"]}"), "non-empty string", "an empty pattern");
    has_error(doc("[]", "{\"owners\": 1}"), "\"owners\" must be true or false", "owners not a boolean");
    has_error(doc("[]", "[1]"), "must be a JSON object", "options that are not an object");
    has_error(doc("[]", "{"), "invalid options JSON", "options that are not JSON");
    ok(mig_pg_kind_index("schema") == 0 && mig_pg_kind_index("event_trigger") == 10 && mig_pg_kind_index("x") < 0 &&
           mig_pg_kind_index(NULL) < 0,
       "kind positions");
    ok(strstr(MIG_PG_SNAPSHOT_QUERY, "pg_catalog.pg_get_viewdef") != NULL && strstr(MIG_PG_SNAPSHOT_QUERY, "$1"),
       "the catalog query is built in");
}

int main(void)
{
    mig_arena_init(&AR, &TAP_ALLOC);
    test_order();
    test_errors();
    mig_arena_free(&AR);
    return tap_done();
}
