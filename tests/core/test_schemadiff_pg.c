/*
 * test_schemadiff_pg.c — unit tests of the PostgreSQL schema diff
 * (core/schemadiff_pg.c): snapshot documents written by hand (in the shape
 * core/snapshot_pg.sql returns, checked against a PostgreSQL 15 server),
 * each kind's create, drop and change, the order rules, rename hints, data
 * loss marks, the non-transactional mark and bad documents; prints TAP.
 * In the documents below ` stands for " (SQL text keeps its ' quotes).
 */
#include "schemadiff_pg.h"
#include "schema.h"

#include "tap.h"

#include <string.h>

static mig_arena ar;
static mig_err err;

/* A snapshot document of objects written with ` for " */
static char *doc(const char *objs)
{
    char *s = mig_sprintf(&ar, "{`mig_snapshot`:1,`dialect`:`postgresql`,`objects`:[%s]}", objs), *p;
    for (p = s; *p; p++)
        if (*p == '`')
            *p = '"';
    return s;
}

static char *bt(const char *s)
{
    char *r = mig_strdup(&ar, s), *p;
    for (p = r; *p; p++)
        if (*p == '`')
            *p = '"';
    return r;
}

/* the diff of two object lists; NULL on error (err set) */
static char *diffo(const char *a, const char *b, const char *opts)
{
    char *da = doc(a), *db = doc(b), *body = NULL;
    mig_err_clear(&err);
    if (mig_pg_diff(&ar, da, strlen(da), db, strlen(db), opts ? bt(opts) : NULL, &body, &err))
        return NULL;
    return body;
}

static const char *up(const char *body)
{
    const char *d;
    char *u;
    if (!body)
        return "";
    d = strstr(body, "-- mig:downgrade\n");
    u = mig_strndup(&ar, body, d ? (size_t)(d - body) : strlen(body));
    return u;
}

static const char *down(const char *body)
{
    const char *d = body ? strstr(body, "-- mig:downgrade\n") : NULL;
    return d ? d : "";
}

static int has(const char *s, const char *needle)
{
    return s && strstr(s, needle) != NULL;
}

/* a and b both in s, a first */
static int before(const char *s, const char *a, const char *b)
{
    const char *x = s ? strstr(s, a) : NULL, *y = s ? strstr(s, b) : NULL;
    return x && y && x < y;
}

/* the line before the first line starting with `stmt` is `mark` */
static int marked(const char *s, const char *stmt, const char *mark)
{
    const char *p = s ? strstr(s, stmt) : NULL, *q;
    size_t n = strlen(mark);
    if (!p || p == s)
        return 0;
    for (q = p - 1; q > s && q[-1] != '\n'; q--)
        ;
    return (size_t)(p - q) > n && strncmp(q, mark, n) == 0;
}

static void show(const char *body)
{
    const char *p = body ? body : "(null)";
    printf("# body:\n# ");
    for (; *p; p++) {
        putchar(*p);
        if (*p == '\n' && p[1])
            printf("# ");
    }
    printf("\n");
}

#define CHECK(cond, ...)                                                                                               \
    do {                                                                                                               \
        int c_ = (cond);                                                                                               \
        ok(c_, __VA_ARGS__);                                                                                           \
        if (!c_)                                                                                                       \
            show(body);                                                                                                \
    } while (0)

/* the sample schema of /tmp/pgshare/s1.sql as PostgreSQL 15 snapshots it */
static const char *S1 =
    "{`kind`:`schema`,`name`:`public`,`grants`:[{`grantee`:`PUBLIC`,`privilege`:`USAGE`}],`comment`:`standard public schema`},"
    "{`kind`:`schema`,`name`:`app`,`grants`:[{`grantee`:`reader`,`privilege`:`USAGE`}],`comment`:`the app`},"
    "{`kind`:`extension`,`name`:`plpgsql`,`comment`:`PL/pgSQL procedural language`,`version`:`1.0`,`extension_schema`:`pg_catalog`},"
    "{`kind`:`extension`,`name`:`pgcrypto`,`comment`:`cryptographic functions`,`version`:`1.3`,`extension_schema`:`public`},"
    "{`kind`:`type`,`name`:`mood`,`labels`:[`sad`,`ok`,`happy`],`schema`:`app`,`type_kind`:`enum`},"
    "{`kind`:`type`,`name`:`posint`,`schema`:`app`,`default`:`1`,`not_null`:true,`base_type`:`integer`,`type_kind`:`domain`,`constraints`:[{`def`:`CHECK ((VALUE > 0))`,`name`:`pos`}]},"
    "{`kind`:`type`,`name`:`pair`,`schema`:`app`,`type_kind`:`composite`,`attributes`:[{`name`:`a`,`type`:`integer`},{`name`:`b`,`type`:`text`,`collation`:`pg_catalog.\\`C\\``}]},"
    "{`kind`:`type`,`name`:`floatrange`,`range`:`SUBTYPE = double precision, SUBTYPE_DIFF = float8mi`,`schema`:`app`,`type_kind`:`range`},"
    "{`max`:`9223372036854775807`,`min`:`1`,`kind`:`sequence`,`name`:`s1`,`type`:`bigint`,`cache`:`1`,`start`:`10`,`schema`:`app`,`increment`:`5`},"
    "{`max`:`2147483647`,`min`:`1`,`kind`:`sequence`,`name`:`u_id_seq`,`type`:`integer`,`cache`:`1`,`start`:`1`,`schema`:`app`,`owned_by`:`app.u.id`,`increment`:`1`},"
    "{`def`:`CREATE OR REPLACE FUNCTION app.trg()\\n RETURNS trigger\\n LANGUAGE plpgsql\\nAS $function$ BEGIN RETURN NEW; END $function$\\n`,`kind`:`function`,`name`:`trg()`,`schema`:`app`,`returns`:`trigger`,`arguments`:``},"
    "{`def`:`CREATE OR REPLACE PROCEDURE app.p(IN a text)\\n LANGUAGE sql\\nAS $procedure$ SELECT 1 $procedure$\\n`,`kind`:`function`,`name`:`p(text)`,`schema`:`app`,`arguments`:`IN a text`,`procedure`:true},"
    "{`def`:`CREATE OR REPLACE FUNCTION app.f(x integer)\\n RETURNS integer\\n LANGUAGE sql\\n IMMUTABLE\\nAS $function$ SELECT x + 1 $function$\\n`,`kind`:`function`,`name`:`f(integer)`,`grants`:[{`grantee`:`PUBLIC`,`revoked`:true,`privilege`:`EXECUTE`}],`schema`:`app`,`returns`:`integer`,`arguments`:`x integer`},"
    "{`kind`:`table`,`name`:`u`,`schema`:`app`,`columns`:[{`name`:`id`,`type`:`integer`,`default`:`nextval('app.u_id_seq'::regclass)`,`not_null`:true},{`name`:`t_id`,`type`:`integer`},{`name`:`v`,`type`:`integer`,`default`:`app.f(1)`}],`constraints`:[{`def`:`PRIMARY KEY (id)`,`name`:`u_pkey`,`type`:`primary key`},{`def`:`FOREIGN KEY (t_id) REFERENCES app.t(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED`,`name`:`u_t_id_fkey`,`type`:`foreign key`,`references`:`app.t`}]},"
    "{`kind`:`table`,`name`:`l`,`schema`:`app`,`columns`:[{`name`:`a`,`type`:`integer`}],`unlogged`:true},"
    "{`kind`:`table`,`name`:`parted_2025`,`schema`:`app`,`columns`:[{`name`:`k`,`type`:`date`,`not_null`:true,`inherited`:true},{`name`:`v`,`type`:`integer`,`inherited`:true}],`partition_of`:`app.parted`,`partition_bound`:`FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')`},"
    "{`kind`:`table`,`name`:`parted`,`schema`:`app`,`columns`:[{`name`:`k`,`type`:`date`,`not_null`:true},{`name`:`v`,`type`:`integer`}],`partition_by`:`RANGE (k)`},"
    "{`kind`:`table`,`name`:`t`,`grants`:[{`grantee`:`reader`,`privilege`:`SELECT`}],`schema`:`app`,`columns`:[{`name`:`id`,`type`:`integer`,`identity`:`always`,`not_null`:true,`identity_options`:`START WITH 1 INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 CACHE 1`},{`name`:`name`,`type`:`text`,`grants`:[{`grantee`:`reader`,`privilege`:`UPDATE`}],`comment`:`the name`,`default`:`'x'::text`,`not_null`:true,`collation`:`pg_catalog.\\`C\\``},{`name`:`m`,`type`:`app.mood`},{`name`:`n`,`type`:`app.posint`},{`name`:`g`,`type`:`integer`,`generated`:`(id * 2)`}],`comment`:`tee`,`constraints`:[{`def`:`CHECK ((length(name) < 100))`,`name`:`ck`,`type`:`check`},{`def`:`UNIQUE NULLS NOT DISTINCT (name)`,`name`:`t_name_key`,`type`:`unique`},{`def`:`PRIMARY KEY (id)`,`name`:`t_pkey`,`type`:`primary key`}],`row_security`:true},"
    "{`kind`:`view`,`name`:`v`,`schema`:`app`,`select`:` SELECT t.id,\\n    t.name\\n   FROM (app.t\\n     JOIN app.u ON ((u.t_id = t.id)));`,`depends_on`:[`app.t.id`,`app.t.name`,`app.u.t_id`]},"
    "{`kind`:`view`,`name`:`mv`,`schema`:`app`,`select`:` SELECT v.id\\n   FROM app.v;`,`depends_on`:[`app.v.id`],`materialized`:true},"
    "{`def`:`CREATE INDEX parted_v_idx ON ONLY app.parted USING btree (v)`,`kind`:`index`,`name`:`parted_v_idx`,`table`:`parted`,`schema`:`app`},"
    "{`def`:`CREATE INDEX u_v ON app.u USING btree (v DESC NULLS LAST) INCLUDE (id) WHERE (v > 0)`,`kind`:`index`,`name`:`u_v`,`table`:`u`,`schema`:`app`},"
    "{`def`:`CREATE INDEX mv_id_idx ON app.mv USING btree (id)`,`kind`:`index`,`name`:`mv_id_idx`,`table`:`mv`,`schema`:`app`},"
    "{`def`:`CREATE TRIGGER tr BEFORE INSERT ON app.t FOR EACH ROW EXECUTE FUNCTION app.trg()`,`kind`:`trigger`,`name`:`tr`,`table`:`t`,`schema`:`app`},"
    "{`kind`:`policy`,`name`:`pol`,`roles`:[`reader`],`table`:`t`,`using`:`(id > 0)`,`schema`:`app`,`command`:`SELECT`},"
    "{`kind`:`event_trigger`,`name`:`et`,`event`:`ddl_command_end`,`tags`:[`CREATE TABLE`],`function`:`app.evt`}";

static const char *PUBLIC_ONLY = "{`kind`:`schema`,`name`:`public`,`grants`:[{`grantee`:`PUBLIC`,`privilege`:`USAGE`}],`comment`:`standard public schema`},"
                                 "{`kind`:`extension`,`name`:`plpgsql`,`comment`:`PL/pgSQL procedural language`,`version`:`1.0`,`extension_schema`:`pg_catalog`}";

static void test_equal_and_full(void)
{
    char *body = diffo(S1, S1, NULL);
    const char *u, *d;
    CHECK(body && strcmp(body, "") == 0, "diff(A, A) is empty (the sample schema)");
    body = diffo("", "", NULL);
    CHECK(body && strcmp(body, "") == 0, "diff of two empty snapshots is empty");
    body = diffo(PUBLIC_ONLY, S1, NULL);
    u = up(body);
    d = down(body);
    CHECK(body && strncmp(body, "-- mig:upgrade\nSELECT pg_catalog.set_config('check_function_bodies', 'false', true);\n",
                          strlen("-- mig:upgrade\nSELECT pg_catalog.set_config('check_function_bodies', 'false', true);\n")) == 0,
          "functions are made: set_config first");
    CHECK(has(u, "CREATE SCHEMA app;\n") && has(d, "DROP SCHEMA app;\n"), "schema: create, drop");
    CHECK(has(u, "CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public VERSION '1.3';\n") &&
              has(d, "DROP EXTENSION pgcrypto;\n"),
          "extension: create, drop");
    CHECK(has(u, "CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy');\n") && has(d, "DROP TYPE app.mood;\n"),
          "enum: create, drop");
    CHECK(has(u, "CREATE DOMAIN app.posint AS integer DEFAULT 1 NOT NULL CONSTRAINT pos CHECK ((VALUE > 0));\n") &&
              has(d, "DROP DOMAIN app.posint;\n"),
          "domain: create, drop");
    CHECK(has(u, "CREATE TYPE app.pair AS (a integer, b text COLLATE pg_catalog.\"C\");\n"), "composite: create");
    CHECK(has(u, "CREATE TYPE app.floatrange AS RANGE (SUBTYPE = double precision, SUBTYPE_DIFF = float8mi);\n"),
          "range: create");
    CHECK(has(u, "CREATE SEQUENCE app.s1 AS bigint INCREMENT BY 5 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 10 "
                 "CACHE 1;\n") &&
              has(d, "DROP SEQUENCE app.s1;\n"),
          "sequence: create, drop");
    CHECK(has(u, "CREATE OR REPLACE FUNCTION app.f(x integer)\n RETURNS integer\n LANGUAGE sql\n IMMUTABLE\nAS "
                 "$function$ SELECT x + 1 $function$;\n") &&
              has(d, "DROP FUNCTION app.f(x integer);\n") && has(d, "DROP PROCEDURE app.p(IN a text);\n"),
          "function, procedure: create (the definition, without its last line break), drop");
    CHECK(has(u, "CREATE TABLE app.t (id integer NOT NULL GENERATED ALWAYS AS IDENTITY (START WITH 1 INCREMENT BY 1 "
                 "MINVALUE 1 MAXVALUE 2147483647 CACHE 1), name text COLLATE pg_catalog.\"C\" DEFAULT 'x'::text NOT NULL, "
                 "m app.mood, n app.posint, g integer GENERATED ALWAYS AS ((id * 2)) STORED, CONSTRAINT ck CHECK "
                 "((length(name) < 100)), CONSTRAINT t_name_key UNIQUE NULLS NOT DISTINCT (name), CONSTRAINT t_pkey "
                 "PRIMARY KEY (id));\n"),
          "table: create with identity, collation, default, generated column, constraints");
    CHECK(has(u, "ALTER TABLE app.t ENABLE ROW LEVEL SECURITY;\n"), "table: row level security");
    CHECK(has(u, "CREATE UNLOGGED TABLE app.l (a integer);\n"), "unlogged table");
    CHECK(before(u, "CREATE TABLE app.parted (k date NOT NULL, v integer) PARTITION BY RANGE (k);\n",
                 "CREATE TABLE app.parted_2025 PARTITION OF app.parted FOR VALUES FROM ('2025-01-01') TO "
                 "('2026-01-01');\n"),
          "a partition after its parent (listed before it), its inherited columns not written");
    CHECK(before(u, "CREATE OR REPLACE FUNCTION app.f(", "CREATE TABLE app.u (") &&
              before(d, "DROP TABLE app.u;", "DROP FUNCTION app.f(x integer);"),
          "a function used by a default: made before the table, dropped after it");
    CHECK(before(u, "CREATE SEQUENCE app.u_id_seq", "CREATE TABLE app.u (") &&
              before(u, "CREATE TABLE app.u (", "ALTER SEQUENCE app.u_id_seq OWNED BY app.u.id;\n") &&
              before(d, "ALTER SEQUENCE app.u_id_seq OWNED BY NONE;", "DROP TABLE app.u;") &&
              before(d, "DROP TABLE app.u;", "DROP SEQUENCE app.u_id_seq;"),
          "a serial's sequence: created before its table, owned after; unowned, dropped after it");
    CHECK(before(u, "CREATE TABLE app.u (", "ALTER TABLE app.u ADD CONSTRAINT u_t_id_fkey FOREIGN KEY (t_id) "
                                            "REFERENCES app.t(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED;") &&
              before(u, "CREATE TABLE app.t (", "ALTER TABLE app.u ADD CONSTRAINT u_t_id_fkey") &&
              !has(u, "CONSTRAINT u_t_id_fkey FOREIGN KEY (t_id) REFERENCES app.t(id) ON DELETE CASCADE DEFERRABLE "
                      "INITIALLY DEFERRED)"),
          "a foreign key between new tables: added after both");
    CHECK(before(u, "CREATE VIEW app.v AS SELECT t.id,\n    t.name\n   FROM (app.t\n     JOIN app.u ON ((u.t_id = t.id)));\n",
                 "CREATE MATERIALIZED VIEW app.mv AS SELECT v.id\n   FROM app.v;\n") &&
              before(d, "DROP MATERIALIZED VIEW app.mv;", "DROP VIEW app.v;"),
          "views: the one read first; dropped after its reader; the trailing ';' of the SELECT left out");
    CHECK(before(u, "CREATE MATERIALIZED VIEW app.mv", "CREATE INDEX mv_id_idx ON app.mv USING btree (id);\n"),
          "a materialized view's index after it");
    CHECK(has(u, "CREATE INDEX parted_v_idx ON app.parted USING btree (v);\n"),
          "a partitioned table's index is created on its partitions too (not ON ONLY)");
    CHECK(before(u, "CREATE TABLE app.t (", "CREATE TRIGGER tr BEFORE INSERT ON app.t FOR EACH ROW EXECUTE FUNCTION "
                                           "app.trg();\n") &&
              before(d, "DROP TRIGGER tr ON app.t;", "DROP TABLE app.t;"),
          "trigger: create, drop");
    CHECK(has(u, "CREATE POLICY pol ON app.t FOR SELECT TO reader USING ((id > 0));\n") &&
              has(d, "DROP POLICY pol ON app.t;\n"),
          "policy: create, drop");
    CHECK(has(u, "CREATE EVENT TRIGGER et ON ddl_command_end WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION "
                 "app.evt();\n") &&
              before(d, "DROP EVENT TRIGGER et;", "DROP TRIGGER tr"),
          "event trigger: create, drop (first)");
    CHECK(has(u, "COMMENT ON SCHEMA app IS 'the app';\n") && has(u, "COMMENT ON TABLE app.t IS 'tee';\n") &&
              has(u, "COMMENT ON COLUMN app.t.name IS 'the name';\n"),
          "comments of new objects");
    CHECK(has(u, "GRANT USAGE ON SCHEMA app TO reader;\n") && has(u, "GRANT SELECT ON TABLE app.t TO reader;\n") &&
              has(u, "GRANT UPDATE (name) ON TABLE app.t TO reader;\n") &&
              has(u, "REVOKE EXECUTE ON FUNCTION app.f(x integer) FROM PUBLIC;\n"),
          "grants of new objects: schema, table, column, a default privilege revoked");
    CHECK(before(d, "DROP TABLE app.u;", "DROP TYPE app.mood;") && before(d, "DROP TYPE", "DROP EXTENSION") &&
              before(d, "DROP EXTENSION pgcrypto;", "DROP SCHEMA app;"),
          "drops: tables, types, extensions, schemas last");
    CHECK(marked(d, "DROP TABLE app.t;", MIG_SCHEMA_LOSS_MARK "table app.t"), "DROP TABLE is marked");
    CHECK(!has(d, MIG_SCHEMA_LOSS_MARK "view") && !has(d, "DROP SCHEMA app CASCADE"),
          "dropping views is not marked; no CASCADE");
}

/* two tables and a view over a column whose type changes */
static void test_column_changes(void)
{
    const char *a = "{`kind`:`table`,`schema`:`public`,`name`:`t`,`columns`:[{`name`:`id`,`type`:`integer`,`not_null`:true},"
                    "{`name`:`a`,`type`:`integer`,`default`:`0`},{`name`:`b`,`type`:`text`},{`name`:`c`,`type`:`text`}]},"
                    "{`kind`:`view`,`schema`:`public`,`name`:`v`,`select`:` SELECT t.a FROM t;`,`depends_on`:[`public.t.a`]},"
                    "{`kind`:`view`,`schema`:`public`,`name`:`w`,`select`:` SELECT v.a FROM v;`,`depends_on`:[`public.v.a`]},"
                    "{`kind`:`view`,`schema`:`public`,`name`:`z`,`select`:` SELECT t.c FROM t;`,`depends_on`:[`public.t.c`]}";
    const char *b = "{`kind`:`table`,`schema`:`public`,`name`:`t`,`columns`:[{`name`:`id`,`type`:`integer`},"
                    "{`name`:`a`,`type`:`bigint`,`default`:`1`},{`name`:`c`,`type`:`text`,`not_null`:true},{`name`:`d`,`type`:`character varying(20)`,`collation`:`pg_catalog.\\`C\\``}]},"
                    "{`kind`:`view`,`schema`:`public`,`name`:`v`,`select`:` SELECT t.a FROM t;`,`depends_on`:[`public.t.a`]},"
                    "{`kind`:`view`,`schema`:`public`,`name`:`w`,`select`:` SELECT v.a FROM v;`,`depends_on`:[`public.v.a`]},"
                    "{`kind`:`view`,`schema`:`public`,`name`:`z`,`select`:` SELECT t.c FROM t;`,`depends_on`:[`public.t.c`]}";
    char *body = diffo(a, b, NULL);
    const char *u = up(body);
    CHECK(before(u, "DROP VIEW public.w;", "DROP VIEW public.v;") &&
              before(u, "DROP VIEW public.v;", "ALTER TABLE public.t ALTER COLUMN a TYPE bigint USING a::bigint;") &&
              before(u, "ALTER COLUMN a TYPE", "CREATE VIEW public.v AS SELECT t.a FROM t;") &&
              before(u, "CREATE VIEW public.v", "CREATE VIEW public.w"),
          "a view over a column whose type changes, and the view over it, are dropped before and made after");
    CHECK(!has(u, "VIEW public.z"), "a view over an unchanged column stays");
    CHECK(marked(u, "ALTER TABLE public.t ALTER COLUMN a TYPE", MIG_SCHEMA_LOSS_MARK "column public.t.a changes type from integer to bigint"),
          "a type change is marked");
    CHECK(before(u, "ALTER TABLE public.t ALTER COLUMN a DROP DEFAULT;", "ALTER COLUMN a TYPE") &&
              before(u, "ALTER COLUMN a TYPE", "ALTER TABLE public.t ALTER COLUMN a SET DEFAULT 1;"),
          "the default is dropped around a type change");
    CHECK(marked(u, "ALTER TABLE public.t DROP COLUMN b;", MIG_SCHEMA_LOSS_MARK "column public.t.b"), "DROP COLUMN is marked");
    CHECK(has(u, "ALTER TABLE public.t ALTER COLUMN id DROP NOT NULL;\n") &&
              has(u, "ALTER TABLE public.t ALTER COLUMN c SET NOT NULL;\n"),
          "SET / DROP NOT NULL");
    CHECK(has(u, "ALTER TABLE public.t ADD COLUMN d character varying(20) COLLATE pg_catalog.\"C\";\n"), "ADD COLUMN");
    CHECK(has(down(body), "ALTER TABLE public.t ALTER COLUMN a TYPE integer USING a::integer;\n") &&
              has(down(body), "ALTER TABLE public.t ADD COLUMN b text;\n") &&
              has(down(body), "-- the columns of public.t end in another order than the new schema has them"),
          "the downgrade: type back, the column added back, at the end (noted)");
}

static void test_renames(void)
{
    const char *a = "{`kind`:`table`,`schema`:`app`,`name`:`old`,`columns`:[{`name`:`x`,`type`:`integer`},{`name`:`y`,`type`:`integer`}],"
                    "`constraints`:[{`name`:`old_pkey`,`type`:`primary key`,`def`:`PRIMARY KEY (x)`}]},"
                    "{`kind`:`trigger`,`schema`:`app`,`name`:`tr`,`table`:`old`,`def`:`CREATE TRIGGER tr AFTER INSERT ON app.old FOR EACH ROW EXECUTE FUNCTION f()`}";
    const char *b = "{`kind`:`table`,`schema`:`app`,`name`:`new`,`columns`:[{`name`:`x2`,`type`:`integer`},{`name`:`y`,`type`:`integer`}],"
                    "`constraints`:[{`name`:`old_pkey`,`type`:`primary key`,`def`:`PRIMARY KEY (x2)`}]},"
                    "{`kind`:`trigger`,`schema`:`app`,`name`:`tr`,`table`:`new`,`def`:`CREATE TRIGGER tr AFTER INSERT ON app.new FOR EACH ROW EXECUTE FUNCTION f()`}";
    const char *h = "{`renames`: [{`schema`: `app`, `table`: `old`, `to`: `new`}, {`schema`: `app`, `table`: `new`, `column`: `x`, `to`: `x2`}]}";
    char *body = diffo(a, b, h);
    const char *u = up(body), *d = down(body);
    CHECK(has(u, "ALTER TABLE app.old RENAME TO new;\n") && has(u, "ALTER TABLE app.new RENAME COLUMN x TO x2;\n") &&
              !has(u, "DROP TABLE") && !has(u, "DROP COLUMN") && !has(u, "ADD COLUMN"),
          "renames: a table and a column, no drop");
    CHECK(!has(u, "TRIGGER") && !has(u, "CONSTRAINT"),
          "a trigger and a key that PostgreSQL rewrites with the renames stay");
    CHECK(has(d, "ALTER TABLE app.new RENAME TO old;\n") && has(d, "ALTER TABLE app.old RENAME COLUMN x2 TO x;\n"),
          "the downgrade renames back");
    {
        /* what PostgreSQL rewrites itself on a rename is not touched */
        const char *pa = "{`kind`:`table`,`schema`:`s`,`name`:`p`,`columns`:[{`name`:`k`,`type`:`integer`},{`name`:`g`,`type`:`integer`,`generated`:`(k * 2)`}],`partition_by`:`RANGE (k)`,"
                         "`constraints`:[{`name`:`c`,`type`:`check`,`def`:`CHECK ((k > 0))`}]},"
                         "{`kind`:`table`,`schema`:`s`,`name`:`p1`,`columns`:[{`name`:`k`,`type`:`integer`,`inherited`:true},{`name`:`g`,`type`:`integer`,`generated`:`(k * 2)`,`inherited`:true}],`partition_of`:`s.p`,`partition_bound`:`FOR VALUES FROM (0) TO (10)`},"
                         "{`kind`:`index`,`schema`:`s`,`name`:`i`,`table`:`p`,`def`:`CREATE INDEX i ON ONLY s.p USING btree (k)`},"
                         "{`kind`:`table`,`schema`:`s`,`name`:`kid`,`columns`:[{`name`:`k`,`type`:`integer`,`inherited`:true}],`inherits`:[`s.p0`]},"
                         "{`kind`:`table`,`schema`:`s`,`name`:`p0`,`columns`:[{`name`:`k`,`type`:`integer`}]}";
        const char *pb = "{`kind`:`table`,`schema`:`s`,`name`:`q`,`columns`:[{`name`:`kk`,`type`:`integer`},{`name`:`g`,`type`:`integer`,`generated`:`(kk * 2)`}],`partition_by`:`RANGE (kk)`,"
                         "`constraints`:[{`name`:`c`,`type`:`check`,`def`:`CHECK ((kk > 0))`}]},"
                         "{`kind`:`table`,`schema`:`s`,`name`:`p1`,`columns`:[{`name`:`kk`,`type`:`integer`,`inherited`:true},{`name`:`g`,`type`:`integer`,`generated`:`(kk * 2)`,`inherited`:true}],`partition_of`:`s.q`,`partition_bound`:`FOR VALUES FROM (0) TO (10)`},"
                         "{`kind`:`index`,`schema`:`s`,`name`:`i`,`table`:`q`,`def`:`CREATE INDEX i ON ONLY s.q USING btree (kk)`},"
                         "{`kind`:`table`,`schema`:`s`,`name`:`kid`,`columns`:[{`name`:`k`,`type`:`integer`,`inherited`:true}],`inherits`:[`s.q0`]},"
                         "{`kind`:`table`,`schema`:`s`,`name`:`q0`,`columns`:[{`name`:`k`,`type`:`integer`}]}";
        body = diffo(pa, pb, "{`renames`: [{`schema`: `s`, `table`: `p`, `to`: `q`}, {`schema`: `s`, `table`: `p0`, `to`: `q0`}, {`schema`: `s`, `table`: `q`, `column`: `k`, `to`: `kk`}]}");
        u = up(body);
        CHECK(body && strcmp(u, "-- mig:upgrade\nALTER TABLE s.p RENAME TO q;\nALTER TABLE s.p0 RENAME TO q0;\nALTER TABLE s.q RENAME COLUMN k TO kk;\n") == 0 &&
                  strcmp(down(body), "-- mig:downgrade\nALTER TABLE s.q RENAME TO p;\nALTER TABLE s.q0 RENAME TO p0;\nALTER TABLE s.p RENAME COLUMN kk TO k;\n") == 0,
              "renames alone: a partition, a child, a generated column, a check and an index follow them");
    }
    {
        const char *ka = "{`kind`:`table`,`schema`:`public`,`name`:`t`,`columns`:[{`name`:`a`,`type`:`integer`},{`name`:`r`,`type`:`integer`}],"
                         "`constraints`:[{`name`:`t_a_key`,`type`:`unique`,`def`:`UNIQUE (a)`},{`name`:`t_r_fkey`,`type`:`foreign key`,`def`:`FOREIGN KEY (r) REFERENCES public.t(a)`,`references`:`public.t`}]}";
        const char *kb = "{`kind`:`table`,`schema`:`public`,`name`:`t`,`columns`:[{`name`:`b`,`type`:`integer`},{`name`:`r`,`type`:`integer`}],"
                         "`constraints`:[{`name`:`t_b_key`,`type`:`unique`,`def`:`UNIQUE (b)`},{`name`:`t_r_fkey`,`type`:`foreign key`,`def`:`FOREIGN KEY (r) REFERENCES public.t(b)`,`references`:`public.t`}]}";
        body = diffo(ka, kb, "{`renames`: [{`table`: `t`, `column`: `a`, `to`: `b`}]}");
        CHECK(body && strcmp(up(body), "-- mig:upgrade\nALTER TABLE public.t RENAME COLUMN a TO b;\nALTER TABLE public.t RENAME CONSTRAINT t_a_key TO t_b_key;\n") == 0,
              "a key whose name follows a renamed column is renamed (its own table's foreign key stays)");
        body = diffo(ka, kb, NULL);
        u = up(body);
        CHECK(before(u, "ALTER TABLE public.t DROP CONSTRAINT t_r_fkey;", "ALTER TABLE public.t DROP CONSTRAINT t_a_key;"),
              "a key made again: its own table's foreign key to it is dropped first");
    }
    body = diffo(a, b, "{`renames`: [{`schema`: `app`, `table`: `nope`, `to`: `new`}]}");
    ok(!body && err.code == MIG_E_INPUT && strstr(err.msg, "rename hint 0: from has no table app.nope"),
       "a hint whose table does not exist: %s", err.msg);
    body = diffo(a, b, "{`renames`: [{`table`: `old`, `to`: `new`}]}");
    ok(!body && err.code == MIG_E_INPUT && strstr(err.msg, "public.old"), "a hint's schema is public by default: %s",
       err.msg);
    body = diffo(a, b, "{`renames`: [{`schema`: `app`, `table`: `old`, `to`: `new`}, {`schema`: `app`, `table`: `new`, `column`: `q`, `to`: `x2`}]}");
    ok(!body && err.code == MIG_E_INPUT && strstr(err.msg, "has no column q"), "a column hint that matches nothing: %s",
       err.msg);
    body = diffo(a, b, "{`renames`: [{`schema`: `app`, `table`: `old`}]}");
    ok(!body && err.code == MIG_E_INPUT && strstr(err.msg, "renames[0]"), "a hint without to: %s", err.msg);
    body = diffo(a, b, "{`rename`: []}");
    ok(!body && err.code == MIG_E_INPUT && strstr(err.msg, "unknown key"), "unknown option: %s", err.msg);
}

static void test_enum_and_functions(void)
{
    const char *fa = "{`kind`:`function`,`schema`:`s`,`name`:`f(integer)`,`arguments`:`x integer`,`returns`:`integer`,`def`:`CREATE OR REPLACE FUNCTION s.f(x integer)\\n RETURNS integer\\n LANGUAGE sql\\nAS $$ SELECT 1 $$\\n`}";
    const char *fb = "{`kind`:`function`,`schema`:`s`,`name`:`f(integer)`,`arguments`:`x integer`,`returns`:`integer`,`def`:`CREATE OR REPLACE FUNCTION s.f(x integer)\\n RETURNS integer\\n LANGUAGE sql\\nAS $$ SELECT 2 $$\\n`}";
    const char *fc = "{`kind`:`function`,`schema`:`s`,`name`:`f(integer)`,`arguments`:`x integer`,`returns`:`bigint`,`def`:`CREATE OR REPLACE FUNCTION s.f(x integer)\\n RETURNS bigint\\n LANGUAGE sql\\nAS $$ SELECT 2 $$\\n`}";
    const char *tbl = ",{`kind`:`table`,`schema`:`s`,`name`:`t`,`columns`:[{`name`:`a`,`type`:`integer`,`default`:`s.f(1)`}]}"
                      ",{`kind`:`view`,`schema`:`s`,`name`:`v`,`select`:` SELECT s.f(1) AS f;`,`depends_on`:[`s.f(integer)`]}";
    const char *ea = "{`kind`:`type`,`schema`:`s`,`name`:`e`,`type_kind`:`enum`,`labels`:[`a`,`c`]}";
    const char *eb = "{`kind`:`type`,`schema`:`s`,`name`:`e`,`type_kind`:`enum`,`labels`:[`z`,`a`,`b`,`c`,`d`]}";
    char *da = mig_sprintf(&ar, "%s%s", fa, tbl), *db = mig_sprintf(&ar, "%s%s", fb, tbl), *dc = mig_sprintf(&ar, "%s%s", fc, tbl);
    char *body = diffo(da, db, NULL);
    const char *u = up(body);
    CHECK(has(u, "AS $$ SELECT 2 $$;\n") && !has(u, "DROP FUNCTION") && !has(u, "DROP VIEW") && !has(u, "DROP DEFAULT"),
          "a function whose body changes is replaced; its users stay");
    body = diffo(da, dc, NULL);
    u = up(body);
    CHECK(before(u, "DROP VIEW s.v;", "DROP FUNCTION s.f(x integer);") &&
              before(u, "ALTER TABLE s.t ALTER COLUMN a DROP DEFAULT;", "DROP FUNCTION s.f(x integer);") &&
              before(u, "DROP FUNCTION s.f(x integer);", "RETURNS bigint") &&
              before(u, "RETURNS bigint", "ALTER TABLE s.t ALTER COLUMN a SET DEFAULT s.f(1);") &&
              before(u, "RETURNS bigint", "CREATE VIEW s.v"),
          "a function whose result type changes is dropped and made again, its view and default around it");
    body = diffo(ea, eb, NULL);
    u = up(body);
    CHECK(strcmp(u, "-- mig:upgrade\nALTER TYPE s.e ADD VALUE 'z' BEFORE 'a';\nALTER TYPE s.e ADD VALUE 'b' AFTER 'a';\n"
                    "ALTER TYPE s.e ADD VALUE 'd' AFTER 'c';\n") == 0,
          "enum: new labels with ADD VALUE, where `to` has them");
    body = diffo("{`kind`:`type`,`schema`:`s`,`name`:`e`,`type_kind`:`enum`}", ea, NULL);
    CHECK(strcmp(up(body), "-- mig:upgrade\nALTER TYPE s.e ADD VALUE 'a';\nALTER TYPE s.e ADD VALUE 'c' AFTER 'a';\n") == 0,
          "enum: labels added to an enum that had none");
    body = diffo(ea, eb, NULL);
    CHECK(has(down(body), "ALTER TYPE s.e RENAME TO e_mig_old;\nCREATE TYPE s.e AS ENUM ('a', 'c');\n") &&
              has(down(body), "DROP TYPE s.e_mig_old;\n"),
          "enum: labels removed: the type is made again");
    {
        char *ta = mig_sprintf(&ar, "%s,{`kind`:`table`,`schema`:`s`,`name`:`t`,`columns`:[{`name`:`m`,`type`:`s.e`}]}", ea);
        char *tb = mig_sprintf(&ar, "%s,{`kind`:`table`,`schema`:`s`,`name`:`t`,`columns`:[{`name`:`m`,`type`:`s.e`,`default`:`'b'::s.e`}]}", eb);
        body = diffo(ta, tb, NULL);
        u = up(body);
        CHECK(strncmp(u, "-- mig:upgrade\n" MIG_SCHEMA_NONTX_MARK, strlen("-- mig:upgrade\n" MIG_SCHEMA_NONTX_MARK)) == 0 &&
                  before(u, "ADD VALUE 'd' AFTER 'c';", "ALTER TABLE s.t ALTER COLUMN m SET DEFAULT 'b'::s.e;"),
              "a new label used in the same section: the non-transactional mark, ADD VALUE first");
        u = down(body);
        CHECK(before(u, "ALTER TYPE s.e RENAME TO e_mig_old;", "CREATE TYPE s.e AS ENUM ('a', 'c');") &&
                  before(u, "CREATE TYPE s.e AS ENUM", "ALTER TABLE s.t ALTER COLUMN m DROP DEFAULT;") &&
                  marked(u, "ALTER TABLE s.t ALTER COLUMN m TYPE s.e USING m::text::s.e;", MIG_SCHEMA_LOSS_MARK) &&
                  before(u, "USING m::text::s.e;", "DROP TYPE s.e_mig_old;") && !has(u, MIG_SCHEMA_NONTX_MARK),
              "an enum made again: its columns converted (marked), the old type dropped after");
    }
}

static void test_alters(void)
{
    const char *a = "{`kind`:`schema`,`name`:`s`},"
                    "{`kind`:`sequence`,`schema`:`s`,`name`:`q`,`type`:`bigint`,`increment`:`1`,`min`:`1`,`max`:`100`,`start`:`1`,`cache`:`1`},"
                    "{`kind`:`type`,`schema`:`s`,`name`:`d`,`type_kind`:`domain`,`base_type`:`integer`,`constraints`:[{`name`:`c1`,`def`:`CHECK ((VALUE > 0))`}]},"
                    "{`kind`:`type`,`schema`:`s`,`name`:`p`,`type_kind`:`composite`,`attributes`:[{`name`:`a`,`type`:`integer`},{`name`:`b`,`type`:`text`}]},"
                    "{`kind`:`table`,`schema`:`s`,`name`:`t`,`columns`:[{`name`:`i`,`type`:`integer`,`not_null`:true}],`options`:[`fillfactor=70`,`autovacuum_enabled=false`]},"
                    "{`kind`:`trigger`,`schema`:`s`,`name`:`tr`,`table`:`t`,`def`:`CREATE TRIGGER tr AFTER INSERT ON s.t FOR EACH ROW EXECUTE FUNCTION f()`},"
                    "{`kind`:`view`,`schema`:`s`,`name`:`m`,`materialized`:true,`select`:` SELECT 1;`}";
    const char *b = "{`kind`:`schema`,`name`:`s`,`comment`:`it's s`,`grants`:[{`privilege`:`USAGE`,`grantee`:`\\`Bob\\``,`grantable`:true}]},"
                    "{`kind`:`sequence`,`schema`:`s`,`name`:`q`,`type`:`bigint`,`increment`:`2`,`min`:`1`,`max`:`100`,`start`:`1`,`cache`:`1`,`cycle`:true},"
                    "{`kind`:`type`,`schema`:`s`,`name`:`d`,`type_kind`:`domain`,`base_type`:`integer`,`not_null`:true,`default`:`5`,`constraints`:[{`name`:`c1`,`def`:`CHECK ((VALUE > 1))`}]},"
                    "{`kind`:`type`,`schema`:`s`,`name`:`p`,`type_kind`:`composite`,`attributes`:[{`name`:`a`,`type`:`bigint`},{`name`:`c`,`type`:`text`}]},"
                    "{`kind`:`table`,`schema`:`s`,`name`:`t`,`columns`:[{`name`:`i`,`type`:`integer`,`not_null`:true,`identity`:`by default`,`identity_options`:`START WITH 1 INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 CACHE 1`}],`options`:[`fillfactor=50`],`row_security`:true,`unlogged`:true},"
                    "{`kind`:`trigger`,`schema`:`s`,`name`:`tr`,`table`:`t`,`def`:`CREATE TRIGGER tr AFTER INSERT ON s.t FOR EACH ROW EXECUTE FUNCTION f()`,`enabled`:`replica`},"
                    "{`kind`:`view`,`schema`:`s`,`name`:`m`,`materialized`:true,`with_no_data`:true,`select`:` SELECT 1;`}";
    char *body = diffo(a, b, NULL);
    const char *u = up(body), *d = down(body);
    CHECK(has(u, "ALTER SEQUENCE s.q INCREMENT BY 2 CYCLE;\n") && has(d, "ALTER SEQUENCE s.q INCREMENT BY 1 NO CYCLE;\n"),
          "sequence: ALTER SEQUENCE");
    CHECK(has(u, "ALTER DOMAIN s.d SET DEFAULT 5;\nALTER DOMAIN s.d SET NOT NULL;\nALTER DOMAIN s.d DROP CONSTRAINT c1;\n"
                 "ALTER DOMAIN s.d ADD CONSTRAINT c1 CHECK ((VALUE > 1));\n") &&
              has(d, "ALTER DOMAIN s.d DROP DEFAULT;\nALTER DOMAIN s.d DROP NOT NULL;\n"),
          "domain: ALTER DOMAIN");
    CHECK(has(u, "ALTER TYPE s.p DROP ATTRIBUTE b;\nALTER TYPE s.p ALTER ATTRIBUTE a TYPE bigint;\nALTER TYPE s.p ADD "
                 "ATTRIBUTE c text;\n"),
          "composite: ALTER TYPE ... ATTRIBUTE");
    CHECK(has(u, "ALTER TABLE s.t ALTER COLUMN i ADD GENERATED BY DEFAULT AS IDENTITY (START WITH 1 INCREMENT BY 1 "
                 "MINVALUE 1 MAXVALUE 2147483647 CACHE 1);\n") &&
              has(d, "ALTER TABLE s.t ALTER COLUMN i DROP IDENTITY;\n"),
          "identity: add, drop");
    CHECK(has(u, "ALTER TABLE s.t SET UNLOGGED;\n") && has(u, "ALTER TABLE s.t RESET (autovacuum_enabled);\n") &&
              has(u, "ALTER TABLE s.t SET (fillfactor=50);\n") && has(u, "ALTER TABLE s.t ENABLE ROW LEVEL SECURITY;\n") &&
              has(d, "ALTER TABLE s.t SET LOGGED;\n") && has(d, "ALTER TABLE s.t DISABLE ROW LEVEL SECURITY;\n") &&
              has(d, "ALTER TABLE s.t SET (fillfactor=70, autovacuum_enabled=false);\n"),
          "table options, logged, row level security");
    CHECK(has(u, "ALTER TABLE s.t ENABLE REPLICA TRIGGER tr;\n") && has(d, "ALTER TABLE s.t ENABLE TRIGGER tr;\n") &&
              !has(u, "DROP TRIGGER"),
          "trigger enabled state");
    CHECK(has(u, "REFRESH MATERIALIZED VIEW s.m WITH NO DATA;\n") && has(d, "REFRESH MATERIALIZED VIEW s.m;\n"),
          "materialized view data");
    CHECK(has(u, "COMMENT ON SCHEMA s IS 'it''s s';\n") && has(d, "COMMENT ON SCHEMA s IS NULL;\n"),
          "comments: quoted, and removed");
    CHECK(has(u, "GRANT USAGE ON SCHEMA s TO \"Bob\" WITH GRANT OPTION;\n") && has(d, "REVOKE USAGE ON SCHEMA s FROM \"Bob\";\n"),
          "grants: given with grant option, taken");
}

static void test_standard_bodies(void)
{
    const char *b = "{`kind`:`table`,`schema`:`public`,`name`:`t`,`columns`:[{`name`:`a`,`type`:`integer`}]},"
                    "{`kind`:`table`,`schema`:`public`,`name`:`u`,`columns`:[{`name`:`b`,`type`:`integer`,`default`:`public.f2(1)`}]},"
                    "{`kind`:`function`,`schema`:`public`,`name`:`f1()`,`arguments`:``,`returns`:`bigint`,`def`:`CREATE OR REPLACE FUNCTION public.f1()\\n RETURNS bigint\\n LANGUAGE sql\\nBEGIN ATOMIC\\n SELECT count(*) AS count\\n    FROM public.t;\\nEND\\n`},"
                    "{`kind`:`function`,`schema`:`public`,`name`:`f2(integer)`,`arguments`:`x integer`,`returns`:`integer`,`def`:`CREATE OR REPLACE FUNCTION public.f2(x integer)\\n RETURNS integer\\n LANGUAGE sql\\nRETURN (x + 1)\\n`}";
    char *body = diffo("", b, NULL);
    const char *u = up(body), *d = down(body);
    CHECK(before(u, "RETURN (x + 1);", "CREATE TABLE public.t") && before(u, "CREATE TABLE public.u", "BEGIN ATOMIC") &&
              before(d, "DROP FUNCTION public.f1();", "DROP TABLE public.t;") &&
              before(d, "DROP TABLE public.u;", "DROP FUNCTION public.f2(x integer);"),
          "an SQL-standard body is made after the tables and dropped before them, unless a default calls it");
}

static void test_owners(void)
{
    const char *a = "{`kind`:`schema`,`name`:`s`,`owner`:`alice`},"
                    "{`kind`:`table`,`schema`:`s`,`name`:`t`,`owner`:`alice`,`columns`:[{`name`:`a`,`type`:`integer`}]},"
                    "{`kind`:`function`,`schema`:`s`,`name`:`f()`,`owner`:`alice`,`returns`:`integer`,`def`:`CREATE OR REPLACE FUNCTION s.f()\\n RETURNS integer\\n LANGUAGE sql\\nAS $$ SELECT 1 $$\\n`}";
    const char *b = "{`kind`:`schema`,`name`:`s`,`owner`:`Bob`},"
                    "{`kind`:`table`,`schema`:`s`,`name`:`t`,`owner`:`alice`,`columns`:[{`name`:`a`,`type`:`integer`}]},"
                    "{`kind`:`function`,`schema`:`s`,`name`:`f()`,`owner`:`alice`,`returns`:`integer`,`def`:`CREATE OR REPLACE FUNCTION s.f()\\n RETURNS integer\\n LANGUAGE sql\\nAS $$ SELECT 1 $$\\n`},"
                    "{`kind`:`view`,`schema`:`s`,`name`:`v`,`owner`:`alice`,`select`:` SELECT 1;`}";
    char *body = diffo(a, b, NULL);
    const char *u = up(body);
    CHECK(has(u, "ALTER SCHEMA s OWNER TO \"Bob\";\n") && has(u, "ALTER VIEW s.v OWNER TO alice;\n") &&
              !has(u, "ALTER TABLE s.t OWNER") && !has(u, "ALTER FUNCTION"),
          "owners: of a new object, and a changed one");
}

static void test_column_grants(void)
{
    const char *a = "{`kind`:`table`,`schema`:`s`,`name`:`t`,`grants`:[{`privilege`:`SELECT`,`grantee`:`w`}],`columns`:[{`name`:`c`,`type`:`integer`,`grants`:[{`privilege`:`SELECT`,`grantee`:`w`}]}]}";
    const char *b = "{`kind`:`table`,`schema`:`s`,`name`:`t`,`columns`:[{`name`:`c`,`type`:`integer`,`grants`:[{`privilege`:`SELECT`,`grantee`:`w`}]}]}";
    char *body = diffo(a, b, NULL);
    CHECK(body && strcmp(up(body), "-- mig:upgrade\nREVOKE SELECT ON TABLE s.t FROM w;\nGRANT SELECT (c) ON TABLE s.t TO w;\n") == 0,
          "a table privilege revoked: the column privilege of that kind, which goes with it, is granted again");
}

static void test_storage(void)
{
    const char *a = "{`kind`:`table`,`schema`:`s`,`name`:`t`,`columns`:[{`name`:`n`,`type`:`numeric(10,2)`,`storage`:`e`},{`name`:`x`,`type`:`text`,`storage`:`m`}]}";
    const char *b = "{`kind`:`table`,`schema`:`s`,`name`:`t`,`columns`:[{`name`:`n`,`type`:`numeric(10,2)`},{`name`:`x`,`type`:`text`}]}";
    char *body = diffo(a, b, NULL);
    CHECK(body && strcmp(up(body), "-- mig:upgrade\nALTER TABLE s.t ALTER COLUMN n SET STORAGE MAIN;\nALTER TABLE s.t ALTER COLUMN x SET STORAGE EXTENDED;\n") == 0 &&
              has(down(body), "ALTER TABLE s.t ALTER COLUMN n SET STORAGE EXTERNAL;\nALTER TABLE s.t ALTER COLUMN x SET STORAGE MAIN;\n"),
          "column storage, and back to the type's");
}

static void test_names(void)
{
    const char *a = "";
    const char *b = "{`kind`:`schema`,`name`:`My Schema`},"
                    "{`kind`:`table`,`schema`:`My Schema`,`name`:`select`,`columns`:[{`name`:`Col`,`type`:`integer`},{`name`:`x\\`y`,`type`:`integer`},{`name`:`user`,`type`:`integer`},{`name`:`name`,`type`:`text`},{`name`:`_a1`,`type`:`integer`}]}";
    char *body = diffo(a, b, NULL);
    CHECK(has(body, "CREATE SCHEMA \"My Schema\";\n") &&
              has(body, "CREATE TABLE \"My Schema\".\"select\" (\"Col\" integer, \"x\"\"y\" integer, \"user\" integer, "
                        "name text, _a1 integer);\n"),
          "names quoted as quote_ident does (upper case, quotes, reserved words; not unreserved ones)");
}

static void test_partitions(void)
{
    const char *a = "{`kind`:`table`,`schema`:`s`,`name`:`p`,`columns`:[{`name`:`k`,`type`:`integer`}],`partition_by`:`RANGE (k)`},"
                    "{`kind`:`table`,`schema`:`s`,`name`:`p1`,`columns`:[{`name`:`k`,`type`:`integer`,`inherited`:true}],`partition_of`:`s.p`,`partition_bound`:`FOR VALUES FROM (0) TO (10)`},"
                    "{`kind`:`table`,`schema`:`s`,`name`:`c`,`columns`:[{`name`:`k`,`type`:`integer`}],`constraints`:[{`name`:`c_fk`,`type`:`foreign key`,`def`:`FOREIGN KEY (k) REFERENCES s.u(k)`,`references`:`s.u`}]},"
                    "{`kind`:`table`,`schema`:`s`,`name`:`u`,`columns`:[{`name`:`k`,`type`:`integer`}],`constraints`:[{`name`:`u_pkey`,`type`:`primary key`,`def`:`PRIMARY KEY (k)`}]}";
    const char *b = "{`kind`:`table`,`schema`:`s`,`name`:`p`,`columns`:[{`name`:`k`,`type`:`integer`}],`partition_by`:`LIST (k)`},"
                    "{`kind`:`table`,`schema`:`s`,`name`:`p1`,`columns`:[{`name`:`k`,`type`:`integer`,`inherited`:true}],`partition_of`:`s.p`,`partition_bound`:`FOR VALUES IN (1)`},"
                    "{`kind`:`table`,`schema`:`s`,`name`:`c`,`columns`:[{`name`:`k`,`type`:`integer`}],`constraints`:[{`name`:`c_fk`,`type`:`foreign key`,`def`:`FOREIGN KEY (k) REFERENCES s.u(k)`,`references`:`s.u`}]},"
                    "{`kind`:`table`,`schema`:`s`,`name`:`u`,`columns`:[{`name`:`k`,`type`:`integer`}],`constraints`:[{`name`:`u_pkey`,`type`:`primary key`,`def`:`PRIMARY KEY (k, k)`}]}";
    char *body = diffo(a, b, NULL);
    const char *u = up(body);
    CHECK(marked(u, "DROP TABLE s.p1;", MIG_SCHEMA_LOSS_MARK) && before(u, "DROP TABLE s.p1;", "DROP TABLE s.p;") &&
              before(u, "DROP TABLE s.p;", "CREATE TABLE s.p (k integer) PARTITION BY LIST (k);") &&
              before(u, "PARTITION BY LIST (k);", "CREATE TABLE s.p1 PARTITION OF s.p FOR VALUES IN (1);"),
          "a new partition key: the table and its partitions are dropped (marked) and made again");
    CHECK(before(u, "ALTER TABLE s.c DROP CONSTRAINT c_fk;", "ALTER TABLE s.u DROP CONSTRAINT u_pkey;") &&
              before(u, "ALTER TABLE s.u ADD CONSTRAINT u_pkey PRIMARY KEY (k, k);", "ALTER TABLE s.c ADD CONSTRAINT c_fk"),
          "a foreign key to a key that changes: dropped before it, added after");
}

static void test_bad_documents(void)
{
    char *body;
    const char *good = "{\"mig_snapshot\":1,\"dialect\":\"postgresql\",\"objects\":[]}";
    struct {
        const char *doc, *msg;
    } bad[] = {
        {"{", "to: invalid JSON"},
        {"[]", "to: not a snapshot document"},
        {"{`mig_snapshot`:2,`dialect`:`postgresql`,`objects`:[]}", "to: mig_snapshot: expected 1"},
        {"{`mig_snapshot`:1,`dialect`:`sqlite`,`objects`:[]}", "to: dialect: expected \"postgresql\""},
        {"{`mig_snapshot`:1,`dialect`:`postgresql`,`objects`:{}}", "to: objects: expected an array"},
        {"{`mig_snapshot`:1,`dialect`:`postgresql`,`objects`:[],`x`:1}", "to: x: unknown key"},
        {"{`mig_snapshot`:1,`dialect`:`postgresql`,`objects`:[{`kind`:`widget`,`name`:`w`}]}", "to: objects[0].kind: unknown kind"},
        {"{`mig_snapshot`:1,`dialect`:`postgresql`,`objects`:[1]}", "to: objects[0]: expected an object"},
        {"{`mig_snapshot`:1,`dialect`:`postgresql`,`objects`:[{`kind`:`schema`,`name`:`a`},{`kind`:`table`,`schema`:`a`,`name`:`t`,`columns`:[{`name`:`a`,`type`:`integer`},{`name`:`b`,`type`:5}]}]}",
         "to: objects[1].columns[1].type: expected a string"},
        {"{`mig_snapshot`:1,`dialect`:`postgresql`,`objects`:[{`kind`:`table`,`schema`:`a`,`name`:`t`,`colour`:`red`}]}", "to: objects[0].colour: unknown key"},
        {"{`mig_snapshot`:1,`dialect`:`postgresql`,`objects`:[{`kind`:`table`,`name`:`t`}]}", "to: objects[0].schema: expected a string"},
        {"{`mig_snapshot`:1,`dialect`:`postgresql`,`objects`:[{`kind`:`table`,`schema`:`a`,`name`:`t`,`unlogged`:`yes`}]}", "to: objects[0].unlogged: expected true or false"},
        {"{`mig_snapshot`:1,`dialect`:`postgresql`,`objects`:[{`kind`:`table`,`schema`:`a`,`name`:`t`,`columns`:[{`name`:`a`,`type`:`int`,`identity`:`sometimes`}]}]}", "to: objects[0].columns[0].identity: unknown value"},
        {"{`mig_snapshot`:1,`dialect`:`postgresql`,`objects`:[{`kind`:`view`,`schema`:`a`,`name`:`v`,`select`:`x`,`depends_on`:[1]}]}", "to: objects[0].depends_on[0]: expected a string"},
        {"{`mig_snapshot`:1,`dialect`:`postgresql`,`objects`:[{`kind`:`function`,`schema`:`a`,`name`:`f`,`def`:`x`}]}", "to: objects[0].name: expected a name with its argument types"},
        {"{`mig_snapshot`:1,`dialect`:`postgresql`,`objects`:[{`kind`:`schema`,`name`:`a`},{`kind`:`schema`,`name`:`a`}]}", "to: objects[1]: a second schema a"},
        {"{`mig_snapshot`:1,`dialect`:`postgresql`,`objects`:[{`kind`:`index`,`schema`:`a`,`name`:`i`,`table`:`t`}]}", "to: objects[0].def: expected a string"},
        {"{`mig_snapshot`:1,`dialect`:`postgresql`,`objects`:[{`kind`:`table`,`schema`:`a`,`name`:`t`,`columns`:[{`name`:`a`,`type`:`int`},{`name`:`a`,`type`:`int`}]}]}", "to: objects[0].columns[1]: \"a\" a second time"},
        {"{`mig_snapshot`:1,`dialect`:`postgresql`,`objects`:[{`kind`:`type`,`schema`:`a`,`name`:`e`,`type_kind`:`enum`,`labels`:[`x`,`y`,`x`]}]}", "to: objects[0].labels[2]: \"x\" a second time"},
    };
    size_t i;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *d = bt(bad[i].doc);
        body = NULL;
        mig_err_clear(&err);
        ok(mig_pg_diff(&ar, good, strlen(good), d, strlen(d), NULL, &body, &err) == -1 && err.code == MIG_E_INPUT &&
               strncmp(err.msg, bad[i].msg, strlen(bad[i].msg)) == 0,
           "bad document %zu: %s", i, err.msg);
    }
    mig_err_clear(&err);
    ok(mig_pg_diff(&ar, "{", 1, good, strlen(good), NULL, &body, &err) == -1 && strncmp(err.msg, "from: ", 6) == 0,
       "errors in from name it: %s", err.msg);
}

int main(void)
{
    mig_arena_init(&ar, &TAP_ALLOC);
    test_equal_and_full();
    test_column_changes();
    test_renames();
    test_enum_and_functions();
    test_alters();
    test_names();
    test_owners();
    test_storage();
    test_column_grants();
    test_standard_bodies();
    test_partitions();
    test_bad_documents();
    mig_arena_free(&ar);
    return tap_done();
}
