/*
 * test_schema.c - unit tests of the schema model (core/schema.c): SQLite
 * CREATE statements to the model and its canonical JSON, the JSON read
 * back, the SQL normaliser, and errors.
 *
 * A standalone TAP program (built by the Makefile's TEST_BIN rule, run by
 * tests/run/10-core.t and, with ASan/UBSan, by 40-sanitize.t).
 */
#include "schema.h"
#include "sqltok.h"

#include "tap.h"

#include <string.h>

/* One arena for the whole run: every result stays valid until the end. */
static mig_arena AR;

/* The kind of a CREATE statement, from its leading words. */
static const char *stmt_kind(const char *s, size_t n)
{
    char w[64];
    unsigned k = mig_sql_leading_words(s, n, MIG_DIALECT_SQLITE, 3, w, sizeof w);
    const char *p = w;
    if (k < 2)
        return NULL;
    p += strlen("CREATE ");
    if (strncmp(p, "TEMP ", 5) == 0)
        p += 5;
    if (strncmp(p, "UNIQUE ", 7) == 0)
        p += 7;
    if (strncmp(p, "TABLE", 5) == 0)
        return "table";
    if (strncmp(p, "INDEX", 5) == 0)
        return "index";
    if (strncmp(p, "VIEW", 4) == 0)
        return "view";
    if (strncmp(p, "TRIGGER", 7) == 0)
        return "trigger";
    return NULL;
}

/*
 * The snapshot JSON of a script of CREATE statements (tables first, as a
 * frontend feeds them), or "ERROR: message".
 */
static const char *snap(const char *script)
{
    mig_schema s;
    mig_err err;
    int pass;
    char *j;
    mig_schema_init(&s, MIG_DIALECT_SQLITE);
    for (pass = 0; pass < 2; pass++) {
        mig_sql_iter it;
        mig_sql_stmt st;
        char eb[200];
        mig_sql_iter_init(&it, script, strlen(script), MIG_DIALECT_SQLITE);
        while (mig_sql_iter_next(&it, &st, eb, sizeof eb) == MIG_TOK_OK) {
            const char *k = stmt_kind(script + st.start, st.len);
            char *text = mig_strndup(&AR, script + st.start, st.len);
            if (!k)
                return mig_sprintf(&AR, "ERROR: not a CREATE statement: %s", text);
            if ((strcmp(k, "table") == 0) != (pass == 0))
                continue;
            if (mig_schema_add_sqlite(&AR, &s, k, NULL, NULL, text, &err))
                return mig_sprintf(&AR, "ERROR: %s", err.msg);
        }
    }
    mig_schema_finish(&s);
    j = mig_schema_to_json(&AR, &s, &err);
    return j ? j : mig_sprintf(&AR, "ERROR: %s", err.msg);
}

static void same(const char *a, const char *b, const char *desc)
{
    const char *ja = snap(a), *jb = snap(b);
    if (!ok(strcmp(ja, jb) == 0 && strncmp(ja, "ERROR", 5) != 0, "same model: %s", desc))
        printf("#   a: %s\n#   b: %s\n", ja, jb);
}

static void differ(const char *a, const char *b, const char *desc)
{
    const char *ja = snap(a), *jb = snap(b);
    if (!ok(strcmp(ja, jb) != 0 && strncmp(ja, "ERROR", 5) != 0 && strncmp(jb, "ERROR", 5) != 0,
            "different models: %s", desc))
        printf("#   a: %s\n#   b: %s\n", ja, jb);
}

static void contains(const char *script, const char *want, const char *desc)
{
    const char *j = snap(script);
    if (!ok(strstr(j, want) != NULL, "%s", desc))
        printf("#   got: %s\n#   expected to contain: %s\n", j, want);
}

/* ------------------------------------------------------------------------ */

static const char BASE[] =
    "CREATE TABLE parent(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);\n"
    "CREATE TABLE child(id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent(id) ON DELETE CASCADE,\n"
    "  qty INT DEFAULT 0 CHECK (qty >= 0), note VARCHAR(20) COLLATE NOCASE);\n"
    "CREATE INDEX child_pid ON child(pid);\n"
    "CREATE VIEW v AS SELECT c.id, p.name FROM child c JOIN parent p ON p.id = c.pid WHERE c.qty > 0;\n"
    "CREATE TRIGGER tr AFTER INSERT ON child BEGIN UPDATE child SET qty = qty + 1 WHERE id = new.id; END;\n";

static void test_spellings(void)
{
    same(BASE,
         "CREATE TABLE \"parent\"(\"id\" INTEGER PRIMARY KEY, [name] TEXT NOT NULL UNIQUE);\n"
         "CREATE TABLE `child`(\"id\" INTEGER PRIMARY KEY, \"pid\" INTEGER REFERENCES \"parent\"(\"id\") ON DELETE CASCADE,\n"
         "  \"qty\" INT DEFAULT 0 CHECK (\"qty\" >= 0), [note] VARCHAR(20) COLLATE \"NOCASE\");\n"
         "CREATE INDEX \"child_pid\" ON \"child\"(\"pid\");\n"
         "CREATE VIEW \"v\" AS SELECT \"c\".\"id\", p.\"name\" FROM \"child\" c JOIN \"parent\" p ON p.id = c.pid WHERE c.qty > 0;\n"
         "CREATE TRIGGER \"tr\" AFTER INSERT ON \"child\" BEGIN UPDATE \"child\" SET qty = qty + 1 WHERE id = new.\"id\"; END;\n",
         "quoted names (\"x\", [x], `x`) and bare names");
    same(BASE,
         "create table parent(id integer primary key, name text not null unique);\n"
         "create table child(id integer primary key, pid integer references parent(id) on delete cascade,\n"
         "  qty int default 0 check (qty >= 0), note varchar(20) collate nocase);\n"
         "create index child_pid on child(pid);\n"
         "create view v as select c.id, p.name from child c join parent p on p.id = c.pid where c.qty > 0;\n"
         "create trigger tr after insert on child begin update child set qty = qty + 1 where id = new.id; end;\n",
         "keywords and type names in lower case");
    same(BASE,
         "CREATE   TABLE parent  (\n  id INTEGER   PRIMARY KEY , -- the key\n  name TEXT NOT NULL UNIQUE /* unique */\n);\n"
         "CREATE TABLE child(\n\tid INTEGER PRIMARY KEY,\n\tpid INTEGER REFERENCES parent ( id )\n\t\tON DELETE CASCADE,\n"
         "  qty INT DEFAULT 0 CHECK(qty>=0),\n  note VARCHAR ( 20 ) COLLATE NOCASE\n);\n"
         "CREATE INDEX child_pid ON child (  pid  );\n"
         "CREATE VIEW v AS SELECT c.id,p.name FROM child c JOIN parent p ON p.id=c.pid -- x\n WHERE c.qty>0;\n"
         "CREATE TRIGGER tr AFTER INSERT ON child BEGIN\n  UPDATE child SET qty=qty+1 WHERE id=new.id;\nEND;\n",
         "odd spacing, line breaks and comments");
    same(BASE,
         "CREATE TABLE IF NOT EXISTS parent(id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL);\n"
         "CREATE TABLE IF NOT EXISTS main.child(id INTEGER PRIMARY KEY, pid INTEGER, qty INT CHECK (qty >= 0) DEFAULT (0),\n"
         "  note VARCHAR(20) COLLATE NOCASE, FOREIGN KEY (pid) REFERENCES parent(id) ON DELETE CASCADE);\n"
         "CREATE INDEX IF NOT EXISTS child_pid ON child(pid ASC);\n"
         "CREATE VIEW IF NOT EXISTS v AS SELECT c.id, p.name FROM child c JOIN parent p ON p.id == c.pid WHERE c.qty > 0;\n"
         "CREATE TRIGGER IF NOT EXISTS tr AFTER INSERT ON child BEGIN UPDATE child SET qty = qty + 1 WHERE id = new.id; END;\n",
         "IF NOT EXISTS, a schema prefix, constraints in another order, DEFAULT (0), table-level FOREIGN KEY, ASC, ==");
    same(BASE,
         "CREATE TABLE parent(id INTEGER, name TEXT NOT NULL, PRIMARY KEY (id), UNIQUE (name));\n"
         "CREATE TABLE child(id INTEGER PRIMARY KEY, pid INTEGER, qty INT DEFAULT 0, note VARCHAR(20) COLLATE NOCASE,\n"
         "  CHECK (qty >= 0), FOREIGN KEY(pid) REFERENCES parent(id) ON DELETE CASCADE ON UPDATE NO ACTION);\n"
         "CREATE INDEX child_pid ON child(pid);\n"
         "CREATE VIEW v AS SELECT c.id, p.name FROM child c JOIN parent p ON p.id = c.pid WHERE c.qty > 0;\n"
         "CREATE TRIGGER tr AFTER INSERT ON child BEGIN UPDATE child SET qty = qty + 1 WHERE id = new.id; END;\n",
         "table-level PRIMARY KEY, UNIQUE, CHECK and FOREIGN KEY; ON UPDATE NO ACTION");
    same(BASE,
         "CREATE TABLE \"parent\"(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);\n"
         "CREATE TABLE \"child\"(id INTEGER PRIMARY KEY, pid INTEGER REFERENCES \"parent\"(id) ON DELETE CASCADE,\n"
         "  qty INT DEFAULT 0 CHECK (qty >= 0), note VARCHAR(20) COLLATE NOCASE);\n"
         "CREATE INDEX child_pid on \"child\"(pid);\n"
         "CREATE VIEW v AS SELECT c.id, p.name FROM \"child\" c JOIN \"parent\" p ON p.id = c.pid WHERE c.qty > 0;\n"
         "CREATE TRIGGER tr AFTER INSERT on \"child\" BEGIN UPDATE \"child\" SET qty = qty + 1 WHERE id = new.id; END;\n",
         "the text SQLite leaves after ALTER TABLE RENAME TO and back (names quoted)");
    same("CREATE TABLE t(a, b);", "CREATE TABLE t(a,b)", "a trailing ';'");
    same("CREATE TABLE t(a INT, b TEXT);", "CREATE TABLE t(a INT,\n b TEXT)", "ADD COLUMN's text");
    same("CREATE TABLE t(a VARCHAR(10,2), b UNSIGNED BIG INT)", "CREATE TABLE t(a varchar( 10 , +2 ), b unsigned   big int)",
         "type names: case, spaces, a + sign");
    same("CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT)", "CREATE TABLE t(a \"INTEGER\" PRIMARY KEY, b [text])",
         "a type written as one quoted token is the type (SQLite dequotes it)");
    same("CREATE TABLE t(a DEFAULT 'x', b DEFAULT -1, c DEFAULT CURRENT_TIMESTAMP, d DEFAULT x'ab')",
         "CREATE TABLE t(a DEFAULT (\"x\"), b DEFAULT (-1), c DEFAULT (current_timestamp), d DEFAULT X'AB')",
         "DEFAULT values with and without parentheses, a double-quoted default");
    same("CREATE TABLE t(a DEFAULT 'x', b DEFAULT 1)", "CREATE TABLE t(a DEFAULT x, b DEFAULT +1)",
         "DEFAULT of a bare word is the string; DEFAULT +1 is 1");
    same("CREATE TABLE t(a CHECK (a IN (1, 2)), b CHECK (b <> 0))", "CREATE TABLE t(a CHECK (a in(1,2)), b CHECK (b != 0))",
         "IN lists and <> / !=");
    same("CREATE TABLE t(a, b, UNIQUE (a, b), UNIQUE (b), CHECK (a > 0), CHECK (b > 0))",
         "CREATE TABLE t(a, b UNIQUE CHECK (b > 0), CHECK (a > 0), UNIQUE (a, b))",
         "uniques and checks in any order, column or table form");
    same("CREATE TABLE t(a INTEGER NOT NULL ON CONFLICT ABORT)", "CREATE TABLE t(a INTEGER NOT NULL)",
         "ON CONFLICT ABORT is the default");
    same("CREATE TABLE t(a INTEGER, PRIMARY KEY (a ASC))", "CREATE TABLE t(a INTEGER PRIMARY KEY ASC)",
         "INTEGER PRIMARY KEY ASC, column or table form");
    same("CREATE TABLE t(a INT PRIMARY KEY DESC)", "CREATE TABLE t(a INT, PRIMARY KEY (a DESC))",
         "INT PRIMARY KEY DESC (not INTEGER: no rowid alias either way)");
    same("CREATE TABLE t(a TEXT, b TEXT AS (upper(a)))", "CREATE TABLE t(a TEXT, b TEXT GENERATED ALWAYS AS (upper(\"a\")) VIRTUAL)",
         "generated columns: short and long form, VIRTUAL is the default");
    same("CREATE TABLE p(id INTEGER PRIMARY KEY); CREATE TABLE c(x REFERENCES p)",
         "CREATE TABLE p(id INTEGER PRIMARY KEY); CREATE TABLE c(x REFERENCES P)", "REFERENCES in another case");
    same("CREATE TABLE t(a, b); CREATE INDEX i ON t(a, b COLLATE nocase DESC) WHERE a > 0",
         "CREATE TABLE t(a, b); CREATE INDEX i ON T(\"A\", [b] COLLATE NOCASE DESC) WHERE (\"a\" > 0)",
         "index: table and column names in another case, quoted, COLLATE case");
    same("CREATE TABLE t(a, b); CREATE INDEX i ON t(a + b, lower(b))",
         "CREATE TABLE t(a, b); CREATE INDEX i ON t((a+b), LOWER(b))", "index expressions");
    same("CREATE TABLE t(a, b, FOREIGN KEY (a) REFERENCES p(x) DEFERRABLE INITIALLY DEFERRED)",
         "CREATE TABLE t(a REFERENCES p(x) DEFERRABLE INITIALLY DEFERRED, b)", "DEFERRABLE INITIALLY DEFERRED");
    same("CREATE TABLE t(a REFERENCES p(x) NOT DEFERRABLE)", "CREATE TABLE t(a REFERENCES p(x) MATCH SIMPLE)",
         "NOT DEFERRABLE and MATCH SIMPLE are the defaults");
    same("CREATE VIEW v(a, b) AS SELECT 1, 2", "CREATE VIEW v (\"a\", [b]) AS select 1,2;", "view column list");
}

static void test_differences(void)
{
    static const char *const pairs[][3] = {
        {"CREATE TABLE t(a INT)", "CREATE TABLE t(a TEXT)", "column type"},
        {"CREATE TABLE t(a INTE\"x\"GER)", "CREATE TABLE t(a INTE x GER)", "a quoted word among others keeps its quotes"},
        {"CREATE TABLE t(a INT)", "CREATE TABLE t(a)", "a column with and without a type"},
        {"CREATE TABLE t(a INT)", "CREATE TABLE t(A INT)", "column name case"},
        {"CREATE TABLE t(a, b)", "CREATE TABLE t(b, a)", "column order"},
        {"CREATE TABLE t(a INT)", "CREATE TABLE t(a INT NOT NULL)", "NOT NULL"},
        {"CREATE TABLE t(a NOT NULL)", "CREATE TABLE t(a NOT NULL ON CONFLICT REPLACE)", "NOT NULL's ON CONFLICT"},
        {"CREATE TABLE t(a DEFAULT 0)", "CREATE TABLE t(a DEFAULT 1)", "DEFAULT value"},
        {"CREATE TABLE t(a DEFAULT 0)", "CREATE TABLE t(a DEFAULT '0')", "DEFAULT number vs string"},
        {"CREATE TABLE t(a DEFAULT NULL)", "CREATE TABLE t(a)", "DEFAULT NULL vs none"},
        {"CREATE TABLE t(a COLLATE NOCASE)", "CREATE TABLE t(a)", "COLLATE"},
        {"CREATE TABLE t(a, b AS (a + 1))", "CREATE TABLE t(a, b AS (a + 1) STORED)", "VIRTUAL vs STORED"},
        {"CREATE TABLE t(a, b AS (a + 1))", "CREATE TABLE t(a, b AS (a + 2))", "generated expression"},
        {"CREATE TABLE t(a INTEGER PRIMARY KEY DESC)", "CREATE TABLE t(a INTEGER, PRIMARY KEY (a DESC))",
         "INTEGER PRIMARY KEY DESC (no rowid alias) vs PRIMARY KEY (a DESC) (an alias)"},
        {"CREATE TABLE t(a INTEGER PRIMARY KEY)", "CREATE TABLE t(a INTEGER PRIMARY KEY AUTOINCREMENT)", "AUTOINCREMENT"},
        {"CREATE TABLE t(a, b, PRIMARY KEY (a, b))", "CREATE TABLE t(a, b, PRIMARY KEY (b, a))", "primary key order"},
        {"CREATE TABLE t(a PRIMARY KEY)", "CREATE TABLE t(a PRIMARY KEY ON CONFLICT IGNORE)", "primary key ON CONFLICT"},
        {"CREATE TABLE t(a PRIMARY KEY)", "CREATE TABLE t(a, CONSTRAINT pk PRIMARY KEY (a))", "primary key name"},
        {"CREATE TABLE t(a, b, UNIQUE (a, b))", "CREATE TABLE t(a, b, UNIQUE (b, a))", "unique column order"},
        {"CREATE TABLE t(a UNIQUE)", "CREATE TABLE t(a CONSTRAINT u UNIQUE)", "unique name"},
        {"CREATE TABLE t(a UNIQUE)", "CREATE TABLE t(a UNIQUE COLLATE NOCASE)", "column collation"},
        {"CREATE TABLE t(a, UNIQUE (a))", "CREATE TABLE t(a, UNIQUE (a COLLATE NOCASE))", "unique part collation"},
        {"CREATE TABLE t(a CHECK (a > 0))", "CREATE TABLE t(a CHECK (a >= 0))", "check expression"},
        {"CREATE TABLE t(a CHECK (a > 0))", "CREATE TABLE t(a CONSTRAINT c CHECK (a > 0))", "check name"},
        {"CREATE TABLE t(a CHECK (a != 'x'))", "CREATE TABLE t(a CHECK (a != \"x\"))",
         "a double-quoted name that is no column stays an identifier, not a string"},
        {"CREATE TABLE t(a REFERENCES p(x))", "CREATE TABLE t(a REFERENCES q(x))", "referenced table"},
        {"CREATE TABLE t(a REFERENCES p(x))", "CREATE TABLE t(a REFERENCES p(y))", "referenced column"},
        {"CREATE TABLE t(a REFERENCES p(x))", "CREATE TABLE t(a REFERENCES p)", "referenced columns or the primary key"},
        {"CREATE TABLE t(a REFERENCES p ON DELETE CASCADE)", "CREATE TABLE t(a REFERENCES p ON DELETE SET NULL)",
         "ON DELETE"},
        {"CREATE TABLE t(a REFERENCES p ON UPDATE CASCADE)", "CREATE TABLE t(a REFERENCES p)", "ON UPDATE"},
        {"CREATE TABLE t(a REFERENCES p DEFERRABLE)", "CREATE TABLE t(a REFERENCES p DEFERRABLE INITIALLY DEFERRED)",
         "DEFERRABLE INITIALLY IMMEDIATE vs DEFERRED"},
        {"CREATE TABLE t(a REFERENCES p)", "CREATE TABLE t(a REFERENCES p MATCH FULL)", "MATCH"},
        {"CREATE TABLE t(a REFERENCES p)", "CREATE TABLE t(a CONSTRAINT fk REFERENCES p)", "foreign key name"},
        {"CREATE TABLE t(a PRIMARY KEY)", "CREATE TABLE t(a PRIMARY KEY) WITHOUT ROWID", "WITHOUT ROWID"},
        {"CREATE TABLE t(a INT)", "CREATE TABLE t(a INT) STRICT", "STRICT"},
        {"CREATE TABLE t(a); CREATE INDEX i ON t(a)", "CREATE TABLE t(a); CREATE UNIQUE INDEX i ON t(a)", "UNIQUE index"},
        {"CREATE TABLE t(a); CREATE INDEX i ON t(a)", "CREATE TABLE t(a); CREATE INDEX i ON t(a DESC)", "index DESC"},
        {"CREATE TABLE t(a); CREATE INDEX i ON t(a)", "CREATE TABLE t(a); CREATE INDEX i ON t(a) WHERE a > 0", "partial index"},
        {"CREATE TABLE t(a); CREATE INDEX i ON t(a)", "CREATE TABLE t(a); CREATE INDEX j ON t(a)", "index name"},
        {"CREATE TABLE t(a); CREATE INDEX i ON t(a)", "CREATE TABLE t(a); CREATE INDEX i ON t(a COLLATE NOCASE)",
         "index collation"},
        {"CREATE TABLE t(a); CREATE INDEX i ON t(a)", "CREATE TABLE t(a); CREATE INDEX i ON t(lower(a))",
         "index column vs expression"},
        {"CREATE TABLE t(a); CREATE TABLE u(a); CREATE INDEX i ON t(a)",
         "CREATE TABLE t(a); CREATE TABLE u(a); CREATE INDEX i ON u(a)", "indexed table"},
        {"CREATE VIEW v AS SELECT 1 AS a", "CREATE VIEW v AS SELECT 1 AS b", "view select"},
        {"CREATE VIEW v AS SELECT 1 AS a", "CREATE VIEW v(a) AS SELECT 1 AS a", "view column list"},
        {"CREATE VIEW v AS SELECT a FROM t", "CREATE VIEW v AS SELECT A FROM t", "view column name case (it names the column)"},
        {"CREATE TABLE t(a); CREATE TRIGGER r AFTER INSERT ON t BEGIN SELECT 1; END",
         "CREATE TABLE t(a); CREATE TRIGGER r BEFORE INSERT ON t BEGIN SELECT 1; END", "trigger timing"},
        {"CREATE TABLE t(a); CREATE TABLE u(a); CREATE TRIGGER r AFTER INSERT ON t BEGIN SELECT 1; END",
         "CREATE TABLE t(a); CREATE TABLE u(a); CREATE TRIGGER r AFTER INSERT ON u BEGIN SELECT 1; END", "trigger table"},
        {"CREATE TABLE t(a)", "CREATE TABLE t(a); CREATE VIEW v AS SELECT 1", "one more object"},
    };
    size_t i;
    for (i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        differ(pairs[i][0], pairs[i][1], pairs[i][2]);
}

static void test_json_shape(void)
{
    const char *j = snap("CREATE TABLE b(x); CREATE TABLE a(y); CREATE VIEW c AS SELECT 1; CREATE INDEX a_i ON a(y)");
    ok(strcmp(j, "{\"mig_snapshot\":1,\"dialect\":\"sqlite\",\"objects\":["
                 "{\"kind\":\"table\",\"name\":\"a\",\"columns\":[{\"name\":\"y\"}]},"
                 "{\"kind\":\"table\",\"name\":\"b\",\"columns\":[{\"name\":\"x\"}]},"
                 "{\"kind\":\"index\",\"name\":\"a_i\",\"table\":\"a\",\"parts\":[{\"column\":\"y\"}]},"
                 "{\"kind\":\"view\",\"name\":\"c\",\"select\":\"SELECT 1\"}]}") == 0,
       "JSON: compact, objects by kind then name, defaults left out (got %s)", j);
    contains("CREATE TABLE t(a INTEGER PRIMARY KEY DESC)", "\"primary_key\":{\"parts\":[{\"column\":\"a\",\"desc\":true}],"
                                                          "\"column_level\":true}",
             "INTEGER PRIMARY KEY DESC keeps column_level");
    contains("CREATE TABLE t(a INTEGER, PRIMARY KEY (a DESC))", "\"primary_key\":{\"parts\":[{\"column\":\"a\",\"desc\":true}]}",
             "PRIMARY KEY (a DESC) has no column_level");
    contains("CREATE TABLE t(\"a b\" INT, c CHECK (\"a b\" > c AND \"zz\" != c))",
             "\"expr\":\"\\\"a b\\\" > c AND \\\"zz\\\" != c\"",
             "CHECK: a column needing quotes keeps them; \"zz\" (no column: maybe a string) stays quoted");
    contains("CREATE TABLE t(\"key\" INT CHECK (\"key\" > 0))", "\"expr\":\"\\\"key\\\" > 0\"",
             "a column named like a keyword stays quoted");
    contains("CREATE TABLE \"t\"\"q\"(a)", "\"name\":\"t\\\"q\"", "a name with a quote in it");
    contains("CREATE TABLE t(a DEFAULT 'it''s')", "\"default\":\"'it''s'\"", "a string default keeps its SQL quoting");
    contains("CREATE TABLE t(a DEFAULT (1 + 2))", "\"default\":\"1 + 2\"", "an expression default without its parentheses");
    contains("CREATE TABLE t(a TEXT COLLATE rtrim, b COLLATE my_coll)", "\"collate\":\"RTRIM\"},{\"name\":\"b\",\"collate\":\"my_coll\"}",
             "built-in collations in upper case, others as written");
    contains("CREATE TABLE t(a, b, UNIQUE (b), UNIQUE (a))", "\"uniques\":[{\"parts\":[{\"column\":\"a\"}]},{\"parts\":[{\"column\":\"b\"}]}]",
             "uniques sorted");
    contains("CREATE TABLE t(a); CREATE TRIGGER IF NOT EXISTS main.\"r\" after delete ON [t] FOR EACH ROW WHEN old.a > 0 "
             "BEGIN delete from \"t\" where \"a\" = old.\"a\"; END",
             "\"sql\":\"CREATE TRIGGER r AFTER DELETE ON t WHEN old.a > 0 BEGIN DELETE FROM t WHERE \\\"a\\\" = old.a; END\"",
             "trigger SQL normalised (name, IF NOT EXISTS, schema, quoting, FOR EACH ROW)");
    contains("CREATE TABLE t(a); CREATE INDEX i ON t(a) WHERE a IS NOT NULL", "\"where\":\"a IS NOT NULL\"", "partial index WHERE");
}

static void test_roundtrip(void)
{
    static const char *const scripts[] = {
        BASE,
        "CREATE TABLE t(a INTEGER PRIMARY KEY DESC ON CONFLICT REPLACE, b TEXT NOT NULL ON CONFLICT IGNORE DEFAULT 'x' "
        "COLLATE NOCASE, c AS (b || 'y') STORED, d REFERENCES t(a) ON DELETE SET DEFAULT ON UPDATE RESTRICT MATCH FULL "
        "DEFERRABLE, CONSTRAINT u1 UNIQUE (b COLLATE BINARY DESC, c) ON CONFLICT FAIL, CONSTRAINT c1 CHECK (a > 0)) STRICT;"
        "CREATE TABLE w(k TEXT PRIMARY KEY, \"weird \"\"name\"\"\" BLOB, \"\xc3\xa9t\xc3\xa9\" INT) WITHOUT ROWID;"
        "CREATE UNIQUE INDEX wi ON w(lower(k) DESC, \"\xc3\xa9t\xc3\xa9\") WHERE k > '\t';"
        "CREATE VIEW vv(x, y) AS SELECT k, 1 FROM w;"
        "CREATE TRIGGER tt INSTEAD OF INSERT ON vv BEGIN INSERT INTO w(k) VALUES (new.x); END;",
        "CREATE TABLE q(a INTE\"index\"GER, b 'NOT NULL', c \"DEFAULT\" DEFAULT 1, d [x y], e ',xb ' DEFAULT 0, f 'a(b');",
    };
    size_t i;
    for (i = 0; i < sizeof scripts / sizeof scripts[0]; i++) {
        const char *j = snap(scripts[i]);
        mig_schema s;
        mig_err err;
        char *j2 = NULL;
        int rc = mig_schema_from_json(&AR, j, strlen(j), &s, &err);
        if (!rc)
            j2 = mig_schema_to_json(&AR, &s, &err);
        if (!ok(rc == 0 && j2 && strcmp(j, j2) == 0, "JSON round trip %zu", i))
            printf("#   %s\n#   %s\n#   %s\n", j, j2 ? j2 : "", rc ? err.msg : "");
    }
    {
        /* a valid document in another order and spacing reads back to the canonical text */
        const char *in = "{ \"objects\": [ {\"name\": \"b\", \"kind\": \"table\", \"columns\": [{\"name\": \"x\"}]},"
                         " {\"kind\": \"table\", \"name\": \"a\", \"columns\": [{\"type\": \"INT\", \"name\": \"y\"}]} ],"
                         " \"dialect\": \"sqlite\", \"mig_snapshot\": 1 }";
        mig_schema s;
        mig_err err;
        char *j = mig_schema_from_json(&AR, in, strlen(in), &s, &err) ? NULL : mig_schema_to_json(&AR, &s, &err);
        ok(j && strcmp(j, "{\"mig_snapshot\":1,\"dialect\":\"sqlite\",\"objects\":[{\"kind\":\"table\",\"name\":\"a\","
                          "\"columns\":[{\"name\":\"y\",\"type\":\"INT\"}]},{\"kind\":\"table\",\"name\":\"b\","
                          "\"columns\":[{\"name\":\"x\"}]}]}") == 0,
           "from_json sorts objects and keys into the canonical form (got %s)", j ? j : err.msg);
    }
}

static void json_error(const char *json, const char *want, const char *desc)
{
    mig_schema s;
    mig_err err;
    int rc = mig_schema_from_json(&AR, json, strlen(json), &s, &err);
    if (!ok(rc == -1 && err.code == MIG_E_INPUT && strstr(err.msg, want), "from_json error: %s", desc))
        printf("#   rc %d, message: %s\n#   expected to contain: %s\n", rc, rc ? err.msg : "", want);
}

#define HEAD "{\"mig_snapshot\":1,\"dialect\":\"sqlite\",\"objects\":["

static void test_json_errors(void)
{
    json_error("", "invalid JSON", "empty text");
    json_error("{", "invalid JSON", "truncated");
    json_error("[]", "not a mig snapshot", "an array");
    json_error("{\"objects\":[]}", "not a mig snapshot", "no mig_snapshot key");
    json_error("{\"mig_snapshot\":2,\"dialect\":\"sqlite\",\"objects\":[]}", "mig_snapshot: unsupported snapshot version",
               "version 2");
    json_error("{\"mig_snapshot\":1,\"dialect\":\"oracle\",\"objects\":[]}", "dialect: expected one of", "unknown dialect");
    json_error("{\"mig_snapshot\":1,\"dialect\":\"sqlite\"}", "objects: missing", "no objects");
    json_error("{\"mig_snapshot\":1,\"dialect\":\"sqlite\",\"objects\":[],\"x\":1}", "x: unknown key", "unknown top key");
    json_error("{\"mig_snapshot\":1,\"mig_snapshot\":1}", "invalid JSON", "duplicate key");
    json_error(HEAD "1]}", "objects[0]: expected an object", "an object that is a number");
    json_error(HEAD "{\"kind\":\"table\",\"name\":\"t\"}]}", "objects[0].columns: missing", "a table without columns");
    json_error(HEAD "{\"kind\":\"sequence\",\"name\":\"t\"}]}", "objects[0].kind: expected one of", "unknown kind");
    json_error(HEAD "{\"kind\":\"table\",\"columns\":[{\"name\":\"a\"}]}]}", "objects[0].name: missing", "no name");
    json_error(HEAD "{\"kind\":\"table\",\"name\":\"t\",\"columns\":[{\"name\":\"a\"},{\"name\":5}]}]}",
               "objects[0].columns[1].name: expected a string", "a column name that is a number");
    json_error(HEAD "{\"kind\":\"table\",\"name\":\"t\",\"columns\":[{\"name\":\"a\",\"not_null\":1}]}]}",
               "objects[0].columns[0].not_null: expected true or false", "not_null that is a number");
    json_error(HEAD "{\"kind\":\"table\",\"name\":\"t\",\"columns\":[{\"name\":\"a\",\"colour\":\"red\"}]}]}",
               "objects[0].columns[0].colour: unknown key", "unknown column key");
    json_error(HEAD "{\"kind\":\"table\",\"name\":\"t\",\"columns\":[{\"name\":\"a\"}],\"foreign_keys\":[{\"columns\":[\"a\"],"
                    "\"ref_table\":\"p\",\"on_delete\":\"EXPLODE\"}]}]}",
               "objects[0].foreign_keys[0].on_delete: expected one of", "unknown foreign key action");
    json_error(HEAD "{\"kind\":\"table\",\"name\":\"t\",\"columns\":[{\"name\":\"a\"}],\"primary_key\":{\"parts\":[{}]}}]}",
               "objects[0].primary_key.parts[0]: expected either \"column\" or \"expr\"", "an empty key part");
    json_error(HEAD "{\"kind\":\"table\",\"name\":\"t\",\"columns\":[{\"name\":\"a\"}]},"
                    "{\"kind\":\"table\",\"name\":\"T\",\"columns\":[{\"name\":\"a\"}]}]}",
               "objects[1]: a second object", "two tables of one name (SQLite: any case)");
    json_error(HEAD "{\"kind\":\"index\",\"name\":\"i\",\"table\":\"t\",\"parts\":[]}]}",
               "objects[0].parts: expected a non-empty array", "an index without parts");
    json_error(HEAD "{\"kind\":\"view\",\"name\":\"v\"}]}", "objects[0].select: missing", "a view without select");
    json_error(HEAD "{\"kind\":\"trigger\",\"name\":\"r\",\"table\":\"\",\"sql\":\"x\"}]}",
               "objects[0].table: expected a non-empty string", "a trigger with an empty table");
    json_error(HEAD "{\"kind\":\"table\",\"name\":\"t\",\"columns\":[{\"name\":\"a\",\"generated\":\"stored\"}]}]}",
               "objects[0].columns[0]: \"generated\" and \"generated_expr\" go together", "generated without expression");
    json_error(HEAD "{\"kind\":\"table\",\"schema\":\"s\",\"name\":\"t\",\"columns\":[{\"name\":\"a\"}]}]}",
               "objects[0]: \"schema\" is for PostgreSQL", "a schema on SQLite");
}

static void norm(const char *in, const char *want)
{
    mig_err err;
    char *got = mig_schema_norm_sql(&AR, MIG_DIALECT_SQLITE, in, strlen(in), &err);
    char desc[200];
    size_t i;
    snprintf(desc, sizeof desc, "%s", in);
    for (i = 0; desc[i]; i++)
        if (desc[i] == '\n')
            desc[i] = ' ';
    if (!ok(got && strcmp(got, want) == 0, "norm_sql: %s", desc))
        printf("#   got:      %s\n#   expected: %s\n", got ? got : err.msg, want);
}

static void norm_error(const char *in, const char *want)
{
    mig_err err;
    char *got = mig_schema_norm_sql(&AR, MIG_DIALECT_SQLITE, in, strlen(in), &err);
    if (!ok(!got && strstr(err.msg, want), "norm_sql error: %s", in))
        printf("#   got: %s\n#   expected an error containing: %s\n", got ? got : err.msg, want);
}

static void test_norm(void)
{
    norm("select  a,b from t", "SELECT a, b FROM t");
    norm("SELECT /* c */ a -- d\n FROM t;", "SELECT a FROM t");
    norm("select abs ( - 1 ), x - 1, -x, - - 2", "SELECT abs(-1), x - 1, -x, - -2");
    norm("a==b AND c<>d OR e != f", "a = b AND c != d OR e != f");
    norm("x in(1,2) and exists(select 1)", "x IN (1, 2) AND EXISTS (SELECT 1)");
    norm("cast( x as text ) || replace(y,'a','b')", "CAST(x AS text) || REPLACE(y, 'a', 'b')");
    norm("\"x\" = [y] AND `z` = 'w'", "\"x\" = y AND z = 'w'");
    norm("[select] + `a b` + [A1](2)", "\"select\" + \"a b\" + A1(2)");
    norm("select \"t\".\"x\" from \"t\" as \"u\"", "SELECT t.x FROM t AS u");
    norm("select \"order\".\"select\" from \"order\"", "SELECT \"order\".\"select\" FROM \"order\"");
    norm("x'ab' || X'Cd'", "X'AB' || X'CD'");
    norm("case when a then 1 else -1 end - 1", "CASE WHEN a THEN 1 ELSE -1 END - 1");
    norm("a->>'$.x' , b -> 'y'", "a ->> '$.x', b -> 'y'");
    norm("true and false", "TRUE AND FALSE");
    norm("?1 + :name + @v + $x", "?1 + :name + @v + $x");
    norm("  ", "");
    norm("a /* an unterminated comment runs to the end", "a");
    norm_error("'abc", "unterminated string literal at byte 0");
    norm_error("select \"abc", "unterminated quoted identifier at byte 7");
    norm_error("select 1x", "malformed number");
    norm_error("x'abc'", "malformed blob literal");
    norm_error("a ! b", "unexpected \"!\"");
    norm_error("a # b", "unexpected character");
    {
        mig_err err;
        char *got = mig_schema_norm_sql(&AR, MIG_DIALECT_SQLITE, "a\0b", 3, &err);
        ok(!got && strstr(err.msg, "NUL byte at byte 1"), "norm_sql error: a NUL byte (%s)", got ? got : err.msg);
    }
}

static void add_error(const char *type, const char *name, const char *sql, const char *want)
{
    mig_schema s;
    mig_err err;
    int rc;
    mig_schema_init(&s, MIG_DIALECT_SQLITE);
    rc = mig_schema_add_sqlite(&AR, &s, type, name, NULL, sql, &err);
    if (!ok(rc == -1 && strstr(err.msg, want) != NULL, "add error: %s %s", type, sql ? sql : "(null)"))
        printf("#   rc %d: %s\n#   expected: %s\n", rc, rc ? err.msg : "", want);
}

static void test_add_errors(void)
{
    add_error("table", "t", "CREATE TABLE t(a", "table \"t\": CREATE TABLE:");
    add_error("table", "t", "CREATE TABLE t(a CHECK (a > 'x))", "table \"t\": ");
    add_error("table", "t", "CREATE TABLE t(a, b, PRIMARY KEY (a), PRIMARY KEY (b))", "table \"t\": more than one primary key");
    add_error("table", "t", "CREATE TABLE t(a PRIMARY KEY, b PRIMARY KEY)", "table \"t\": column \"b\": more than one primary key");
    add_error("table", "t", "CREATE TABLE t(a DEFAULT (1 ! 2))", "table \"t\": ");
    add_error("table", "ft", "CREATE VIRTUAL TABLE ft USING fts5(x)", "table \"ft\": virtual tables are not in snapshots yet");
    add_error("trigger", "r", "CREATE TRIGGER r AFTER DELETE ON t FOR EACH ROW) WHEN old.a > 0 BEGIN SELECT 1; END",
              "trigger \"r\": expected WHEN or BEGIN after the trigger's table");
    add_error("trigger", "r", "CREATE TRIGGER r AFTER DELETE ON t FOR ALL ROWS BEGIN SELECT 1; END",
              "trigger \"r\": expected FOR EACH ROW");
    /* as SQLite refuses them (fuzz_schema: a snapshot cannot hold them) */
    add_error("table", "c", "CREATE TABLE c(x REFERENCES p(a, b))",
              "table \"c\": column \"x\": foreign key on x should reference only one column of table p");
    add_error("table", "c", "CREATE TABLE c(x, y, FOREIGN KEY (x) REFERENCES p(a, b))",
              "table \"c\": number of columns in foreign key does not match");
    add_error("table", NULL, "CREATE TABLE t AS SELECT 1", "table \"?\": CREATE TABLE: CREATE TABLE ... AS SELECT");
    add_error("table", "t", NULL, "table \"t\": no CREATE statement");
    add_error("index", "i", "CREATE INDEX i ON t", "index \"i\": CREATE INDEX:");
    add_error("index", "i", "CREATE INDEX i ON t(a,)", "index \"i\": ");
    add_error("view", "v", "CREATE VIEW v SELECT 1", "view \"v\": expected AS");
    add_error("view", "v", "CREATE VIEW v(a,", "view \"v\": expected a column name");
    add_error("view", "v", "CREATE VIEW v AS", "view \"v\": expected a SELECT");
    add_error("view", "v", "CREATE TABLE v(a)", "view \"v\": expected CREATE VIEW");
    add_error("trigger", "r", "CREATE TRIGGER r AFTER INSERT BEGIN SELECT 1; END", "trigger \"r\": expected ON");
    add_error("trigger", "r", "CREATE TRIGGER r AFTER INSERT ON t BEGIN SELECT 1;", "trigger \"r\": expected BEGIN ... END");
    add_error("trigger", "r", "CREATE TRIGGER r AFTER INSERT ON t BEGIN SELECT 'x; END", "trigger \"r\": unterminated string");
    add_error("sequence", "s", "CREATE SEQUENCE s", "sequence \"s\": unknown kind");
    {
        mig_schema s;
        mig_err err;
        int rc;
        mig_schema_init(&s, MIG_DIALECT_SQLITE);
        rc = mig_schema_add_sqlite(&AR, &s, "table", "t", "t", "CREATE TABLE t(a)", &err) ||
             mig_schema_add_sqlite(&AR, &s, "table", "T", "T", "CREATE TABLE T(a)", &err);
        ok(rc && strstr(err.msg, "table \"T\": listed twice"), "a second table of one name is an error (%s)", err.msg);
        rc = mig_schema_add_sqlite(&AR, &s, "index", "sqlite_autoindex_t_1", "t", NULL, &err) ||
             mig_schema_add_sqlite(&AR, &s, "table", "sqlite_sequence", "sqlite_sequence", "CREATE TABLE sqlite_sequence(name,seq)",
                                   &err) ||
             mig_schema_add_sqlite(&AR, &s, "index", "auto", "t", NULL, &err);
        ok(rc == 0 && s.nobjs == 1, "SQLite's own objects and automatic indexes are skipped");
        ok(mig_schema_find(&s, MIG_SO_TABLE, NULL, "T") == &s.objs[0] && !mig_schema_find(&s, MIG_SO_INDEX, NULL, "t"),
           "mig_schema_find: SQLite names without case, by kind");
    }
}

/* Every prefix of some statements: an error or a model, never a crash
 * (ASan and valgrind runs of this program check the memory). */
static void test_prefixes(void)
{
    static const char *const stmts[][2] = {
        {"table", "CREATE TABLE IF NOT EXISTS \"t\"(a INTEGER PRIMARY KEY DESC ON CONFLICT FAIL AUTOINCREMENT, b TEXT "
                  "NOT NULL DEFAULT (x'00') COLLATE \"nocase\" REFERENCES p(a) ON DELETE SET NULL MATCH x DEFERRABLE "
                  "INITIALLY DEFERRED, c AS (a || b) STORED, UNIQUE (b DESC, (a + 1)) ON CONFLICT IGNORE, "
                  "CONSTRAINT k CHECK (a > 0), FOREIGN KEY (b, c) REFERENCES q(x, y) NOT DEFERRABLE) WITHOUT ROWID, STRICT;"},
        {"index", "CREATE UNIQUE INDEX IF NOT EXISTS main.i ON t(a COLLATE NOCASE DESC, lower(b) ASC) WHERE a > 0 AND b IS NOT NULL;"},
        {"view", "CREATE TEMP VIEW IF NOT EXISTS main.v(a, \"b\") AS SELECT x, \"y\" FROM t WHERE z = 'w' -- c\n;"},
        {"trigger", "CREATE TRIGGER IF NOT EXISTS r BEFORE UPDATE OF a, b ON t FOR EACH ROW WHEN new.a > 0 BEGIN "
                    "SELECT RAISE(ABORT, 'no'); UPDATE t SET b = 1 WHERE rowid = new.rowid; END;"},
    };
    size_t i, n;
    int crashes = 0, models = 0;
    for (i = 0; i < sizeof stmts / sizeof stmts[0]; i++) {
        size_t len = strlen(stmts[i][1]);
        for (n = 0; n <= len; n++) {
            mig_arena ar;
            mig_schema s;
            mig_err err;
            char *text = malloc(n + 1);
            if (!text)
                return;
            memcpy(text, stmts[i][1], n);
            text[n] = '\0';
            mig_arena_init(&ar, &TAP_ALLOC);
            mig_schema_init(&s, MIG_DIALECT_SQLITE);
            if (mig_schema_add_sqlite(&ar, &s, stmts[i][0], "x", NULL, text, &err) == 0) {
                models++;
                mig_schema_finish(&s);
                if (!mig_schema_to_json(&ar, &s, &err))
                    crashes++;
            } else if (!strstr(err.msg, "\"x\"")) {
                crashes++; /* an error that does not name the object */
                printf("#   %s: %s\n", text, err.msg);
            }
            mig_arena_free(&ar);
            free(text);
        }
        ok(crashes == 0, "every prefix of a %s statement gives a model or an error naming it", stmts[i][0]);
    }
    ok(models >= 4, "the full statements give models (%d prefixes did)", models);
    {
        const char *j = snap(stmts[0][1]);
        size_t len = strlen(j);
        int bad = 0;
        for (n = 0; n < len; n++) {
            mig_schema s;
            mig_err err;
            if (mig_schema_from_json(&AR, j, n, &s, &err) == 0)
                bad++;
        }
        ok(bad == 0 && strncmp(j, "ERROR", 5) != 0, "every proper prefix of a snapshot is an error to from_json");
    }
}

/* Cases the round-trip property test (tests/schema/roundtrip.c) found. */
static void test_roundtrip_findings(void)
{
    /* F1: [x] and `x` are names wherever they stand, never strings */
    same("CREATE TABLE c (f REAL);\nCREATE VIEW v AS SELECT [f] AS x, `f` AS y FROM c;",
         "CREATE TABLE c (f REAL);\nCREATE VIEW v AS SELECT f AS x, f AS y FROM c;", "F1: [f] and `f` in a view are f");
    same("CREATE TABLE c (f REAL);\nCREATE TRIGGER g AFTER INSERT ON c BEGIN SELECT [f], `new`.`f` FROM c; END;",
         "CREATE TABLE c (f REAL);\nCREATE TRIGGER g AFTER INSERT ON c BEGIN SELECT f, new.f FROM c; END;",
         "F1: [f] and `f` in a trigger are f");
    differ("CREATE TABLE c (f REAL);\nCREATE VIEW v AS SELECT \"g\" FROM c;",
           "CREATE TABLE c (f REAL);\nCREATE VIEW v AS SELECT [g] FROM c;", "F1: \"g\" (maybe a string) is not [g]");
    /* F2: UPDATE OF's list holds names */
    same("CREATE TABLE i (Total BLOB);\nCREATE TRIGGER g AFTER UPDATE OF `Total` ON i BEGIN SELECT 1; END;",
         "CREATE TABLE i (Total BLOB);\nCREATE TRIGGER g AFTER UPDATE OF Total ON i BEGIN SELECT 1; END;",
         "F2: UPDATE OF `Total` is UPDATE OF Total");
    same("CREATE TABLE i (Total BLOB, b INT);\nCREATE TRIGGER g AFTER UPDATE OF \"Total\", [b] ON i BEGIN SELECT 1; END;",
         "CREATE TABLE i (Total BLOB, b INT);\nCREATE TRIGGER g AFTER UPDATE OF Total, b ON i BEGIN SELECT 1; END;",
         "F2: UPDATE OF \"Total\", [b] is UPDATE OF Total, b");
    /* F6: a WITHOUT ROWID table's primary-key columns are NOT NULL, written or not */
    same("CREATE TABLE t (a NOT NULL COLLATE NOCASE, id INT, PRIMARY KEY (id, a)) WITHOUT ROWID;",
         "CREATE TABLE t (a COLLATE NOCASE, id INT, PRIMARY KEY (id, a)) WITHOUT ROWID;",
         "F6: NOT NULL of a WITHOUT ROWID primary-key column is implied");
    contains("CREATE TABLE t (a, id INT, PRIMARY KEY (id, a)) WITHOUT ROWID;",
             "{\"name\":\"a\",\"not_null\":true},{\"name\":\"id\",\"type\":\"INT\",\"not_null\":true}",
             "F6: both key columns are not_null");
    differ("CREATE TABLE t (a NOT NULL, id INT PRIMARY KEY);", "CREATE TABLE t (a, id INT PRIMARY KEY);",
           "F6: NOT NULL still counts outside the key");
    differ("CREATE TABLE t (a, id INT PRIMARY KEY NOT NULL);", "CREATE TABLE t (a, id INT PRIMARY KEY);",
           "F6: a rowid table's key column is not NOT NULL by itself");
}

/* The lookup index (mig_sch_names) finds what a linear search finds: the
 * first object of the kind, namespace and name (ASCII case-insensitive, or
 * byte for byte), through the builder, mig_schema_finish and the JSON. */
static void test_names(void)
{
    enum { NT = 300 };
    mig_schema s, r;
    mig_err err;
    char *j;
    int i, rc = 0, good = 1, hashed;
    mig_err_clear(&err);
    mig_schema_init(&s, MIG_DIALECT_SQLITE);
    /* tables added in reverse name order (finish sorts them), mixed case;
     * each index names its table in another case */
    for (i = NT - 1; i >= 0 && !rc; i--) {
        const char *t = mig_sprintf(&AR, i % 2 ? "Tab_%03d" : "tab_%03d", i);
        rc = mig_schema_add_sqlite(&AR, &s, "table", t, t, mig_sprintf(&AR, "CREATE TABLE %s(Id INTEGER PRIMARY KEY, "
                                                                            "P INT REFERENCES TAB_%03d(ID))",
                                                                       t, (i + 1) % NT),
                                   &err);
    }
    for (i = 0; i < NT && !rc; i++) {
        const char *ix = mig_sprintf(&AR, "ix_%03d", i);
        rc = mig_schema_add_sqlite(&AR, &s, "index", ix, NULL, mig_sprintf(&AR, "CREATE INDEX %s ON TAB_%03d(p)", ix, i),
                                   &err);
    }
    ok(rc == 0, "%d tables and %d indexes built (%s)", NT, NT, rc ? err.msg : "");
    hashed = s.names.slot && s.names.v == s.objs && s.names.n == s.nobjs;
    rc = mig_schema_add_sqlite(&AR, &s, "index", "IX_150", NULL, "CREATE INDEX IX_150 ON tab_001(id)", &err);
    ok(rc == -1 && strstr(err.msg, "index \"IX_150\": listed twice") && s.nobjs == 2 * NT,
       "a duplicate among many, another case: %s", err.msg);
    mig_schema_finish(&s);
    ok(hashed && s.names.slot && s.names.v == s.objs && s.names.n == s.nobjs, "the builder keeps the index");
    for (i = 0; i < NT; i++) {
        const char *lo = mig_sprintf(&AR, "tab_%03d", i), *up = mig_sprintf(&AR, "TAB_%03d", i);
        const mig_sch_object *a = mig_schema_find(&s, MIG_SO_TABLE, NULL, up),
                             *b = mig_schema_find(&s, MIG_SO_TABLE, NULL, lo),
                             *x = mig_schema_find(&s, MIG_SO_INDEX, NULL, mig_sprintf(&AR, "IX_%03d", i));
        int lin = mig_sch_names_find(NULL, s.objs, s.nobjs, MIG_SO_TABLE, NULL, up, 0);
        if (!a || a != b || lin < 0 || a != &s.objs[lin] || strcasecmp(a->name, lo) != 0 || !x ||
            strcmp(x->u.index.table, a->name) != 0 || strcmp(a->u.table.fkeys[0].ref_table, s.objs[(lin + 1) % NT].name) ||
            mig_schema_find(&s, MIG_SO_VIEW, NULL, lo) || mig_schema_find(&s, MIG_SO_TABLE, "main", lo)) {
            printf("#   %s: %s\n", lo, a ? a->name : "not found");
            good = 0;
        }
    }
    ok(good, "after finish: every table in any case, as a linear search finds it; the index's table and the foreign "
             "key's in the table's spelling; not another kind, not another namespace");
    ok(!mig_schema_find(&s, MIG_SO_TABLE, NULL, "tab_300") && !mig_schema_find(&s, MIG_SO_TABLE, NULL, "tab_00") &&
           !mig_schema_find(&s, MIG_SO_TABLE, NULL, NULL) && !mig_schema_find(NULL, MIG_SO_TABLE, NULL, "t"),
       "names that are not there: not found");
    /* and read back from the JSON */
    j = mig_schema_to_json(&AR, &s, &err);
    rc = j ? mig_schema_from_json(&AR, j, strlen(j), &r, &err) : -1;
    ok(rc == 0 && r.names.slot && r.names.v == r.objs && r.names.n == r.nobjs &&
           mig_schema_find(&r, MIG_SO_TABLE, NULL, "TAB_123") == &r.objs[123] &&
           mig_schema_find(&r, MIG_SO_INDEX, NULL, "Ix_123") == &r.objs[NT + 123],
       "mig_schema_from_json keeps the index");
    /* a model filled by hand: no index, the same answers */
    {
        mig_sch_object v[40];
        mig_sch_names ix;
        const char *nm[] = {"ab", "AB", "Ab", "x", "X"};
        int k, same = 1;
        memset(v, 0, sizeof v);
        for (i = 0; i < 40; i++) {
            v[i].kind = (mig_so_kind)(i % 3 == 0 ? MIG_SO_INDEX : MIG_SO_TABLE);
            v[i].schema = i % 4 == 0 ? NULL : i % 4 == 1 ? "pub" : "PUB";
            v[i].name = nm[i % 5];
        }
        v[7].name = NULL;
        ok(mig_sch_names_build(&AR, &ix, v, 40) == 0, "an index of 40 objects");
        for (k = 0; k < 2; k++)
            for (i = 0; i < 40; i++) {
                const char *sc[] = {NULL, "pub", "Pub", "other"};
                int c, e;
                for (c = 0; c < 4; c++)
                    for (e = 0; e < 2; e++) {
                        mig_so_kind kd = k ? MIG_SO_TABLE : MIG_SO_INDEX;
                        const char *n = nm[i % 5];
                        int h = mig_sch_names_find(&ix, v, 40, kd, sc[c], n, e),
                            l = mig_sch_names_find(NULL, v, 40, kd, sc[c], n, e), q;
                        for (q = 0; q < 40; q++) /* the reference: the first match */
                            if (v[q].kind == kd && v[q].name &&
                                (e ? strcmp(v[q].name, n) == 0 : strcasecmp(v[q].name, n) == 0) &&
                                (sc[c] ? v[q].schema && strcasecmp(v[q].schema, sc[c]) == 0 : !v[q].schema))
                                break;
                        if (h != l || l != (q < 40 ? q : -1)) {
                            printf("#   %s %s.%s exact %d: hash %d, linear %d, first %d\n", mig_so_kind_name(kd),
                                   sc[c] ? sc[c] : "-", n, e, h, l, q);
                            same = 0;
                        }
                    }
            }
        ok(same, "hash and linear search: the first match, names and namespaces without case or names exactly");
        ok(mig_sch_names_find(&ix, v, 39, MIG_SO_TABLE, "pub", "x", 0) == 13 &&
               mig_sch_names_find(&ix, v + 1, 39, MIG_SO_TABLE, "pub", "x", 0) == 12 &&
               mig_sch_names_find(&ix, NULL, 0, MIG_SO_TABLE, NULL, "x", 0) == -1,
           "another array or length: searched linearly");
    }
}

int main(void)
{
    mig_arena_init(&AR, &TAP_ALLOC);
    test_spellings();
    test_differences();
    test_json_shape();
    test_roundtrip();
    test_json_errors();
    test_norm();
    test_add_errors();
    test_prefixes();
    test_roundtrip_findings();
    test_names();
    mig_arena_free(&AR);
    return tap_done();
}
