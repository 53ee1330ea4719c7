# mig — top-level build.  `make` builds the engine, the SQLite extension and
# the client; `make deps` installs every package the build and the tests need
# (as root, on Debian); `make check` builds and runs every suite through
# prove, installing no package; `make test` is deps + check; `make demo`
# migrates the sample project.

CC       ?= cc
CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2
CPPFLAGS += -D_GNU_SOURCE -Icore
ALL_CFLAGS = -std=c11 $(WARN) -fPIC $(CFLAGS)
LIBS     := -lcrypto -ljansson

CORE_SRC := core/mig_base.c core/dbinfo.c core/revfile.c core/graph.c core/plan.c core/opts.c core/sqltok.c core/guard.c core/engine.c \
            core/ddl.c core/batch.c core/schema.c core/schemadiff.c core/schema_pg.c core/schemadiff_pg.c
CORE_HDR := $(wildcard core/*.h)
CORE_OBJ := $(CORE_SRC:.c=.o)

SQLITE_SO := sqlite_ext/mig.so
CLIENT    := client/mig

# the core unit tests: every tests/core/test_*.c, one program each (tests/run/10-core.t runs them)
TEST_BIN := $(patsubst %.c,%,$(wildcard tests/core/test_*.c))

.PHONY: all install test test-deps build-deps demo bench bench-scale bench-schema bench-schema-pg bench-autogen clean

all: $(SQLITE_SO) $(CLIENT) META.json

core/%.o: core/%.c $(CORE_HDR)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c $< -o $@

# the PostgreSQL catalog query, built in as a C string
core/snapshot_pg.h: core/snapshot_pg.sql
	{ echo '/* made from core/snapshot_pg.sql by the Makefile: do not edit */'; \
	  echo '#define MIG_PG_SNAPSHOT_QUERY_TEXT \'; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$$/\\n" \\/' $<; \
	  echo '    ""'; } >$@.tmp && mv $@.tmp $@
core/schema_pg.o: core/snapshot_pg.h

core/libmigcore.a: $(CORE_OBJ)
	rm -f $@ && ar rcs $@ $^

SQLITE_SRC := sqlite_ext/mig_sqlite.c sqlite_ext/mig_batch_sqlite.c sqlite_ext/mig_diff_sqlite.c sqlite_ext/mig_schema_sqlite.c

$(SQLITE_SO): $(SQLITE_SRC) sqlite_ext/mig_sqlite.h core/libmigcore.a
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -shared -o $@ $(SQLITE_SRC) core/libmigcore.a $(LIBS)

# The client: libsqlite3 with the SQLite extension compiled in (SQLITE_CORE); libpq is
# loaded at run time (dlopen) when a PostgreSQL URL is used (PQ_INC is for its header):
# with its twenty dependencies it cost every run 2 ms of loading before main().
CLIENT_SRC := client/main.c client/db.c client/files.c client/cache.c client/show.c client/run.c client/autogen.c \
              client/drift.c client/test.c client/squash.c client/replay.c \
              client/pg_engine.c

# the extension's version (pg_ext/mig.control): PGXN metadata and the state tables below
PG_VERSION_MIG := $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" pg_ext/mig.control)

# The state tables of schema mig, for the client's engine (client/pg_engine.c): the
# extension's own install script's, from CREATE SCHEMA mig to its pg_dump marks, and its
# REVOKEs on them, so the two cannot differ (tests/client/pg_engine.sh compares them).
client/state_pg.h: sql/mig--$(PG_VERSION_MIG).sql
	{ echo '/* made from $< by the Makefile: do not edit */'; \
	  echo '#define MIG_PG_STATE_DDL \'; \
	  sed -n -e '/^CREATE SCHEMA mig;/,/^-- pg_dump keeps/{/^-- pg_dump keeps/d;p;}' \
	         -e '/^REVOKE ALL ON \(SEQUENCE \)\{0,1\}mig\./p' $< | \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$$/\\n" \\/'; \
	  echo '    ""'; } >$@.tmp && mv $@.tmp $@

PQ_INC := $(shell pkg-config --cflags libpq 2>/dev/null || echo -I/usr/include/postgresql)
$(CLIENT): $(CLIENT_SRC) client/mig.h client/state_pg.h $(SQLITE_SRC) sqlite_ext/mig_sqlite.h core/libmigcore.a
	$(CC) $(CPPFLAGS) -DSQLITE_CORE -Isqlite_ext $(PQ_INC) $(ALL_CFLAGS) -o $@ $(CLIENT_SRC) $(SQLITE_SRC) \
	    core/libmigcore.a -lsqlite3 -linih $(LIBS) -ldl -pthread

tests/core/test_%: tests/core/test_%.c tests/core/tap.h core/libmigcore.a
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $< core/libmigcore.a $(LIBS)

# the round-trip property test of autogenerate (tests/run/23-sqlite-roundtrip.t); loads sqlite_ext/mig.so
tests/tmp/roundtrip: tests/schema/roundtrip.c tests/schema/gen.c tests/schema/gen.h
	@mkdir -p tests/tmp
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ tests/schema/roundtrip.c tests/schema/gen.c -lsqlite3

# Debian packages the build and the tests need; installed when missing and root.
DEB_BUILD := gcc make pkg-config libsqlite3-dev sqlite3 libssl-dev libjansson-dev uthash-dev libpq-dev libinih-dev
DEB_TEST  := clang libclang-rt-14-dev cppcheck valgrind perl libpg-query-dev python3-alembic python3-sqlalchemy \
             postgresql-15 postgresql-server-dev-15 postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl
.PHONY: deps check
# everything the build and the tests need (apt-get as root; otherwise it says
# what is missing); test-deps is its old name
deps:
	@./tests/install-deps.sh $(DEB_BUILD) $(DEB_TEST)
test-deps: deps

# what building mig (and the demo) needs, and nothing of the test toolchain
build-deps:
	@./tests/install-deps.sh $(DEB_BUILD)

# Build and run every suite; installs no package (make deps does).  The
# PostgreSQL suites (60-pg.t, 71-client-pg.t, and 72-client-sanitize.t as
# root) install the extension into the system PostgreSQL themselves
# (make -C pg_ext install, as root): their throwaway clusters run that
# server, whose CREATE EXTENSION reads pg_config's directories.
check:
	@echo "make check: builds mig and runs every suite with prove; the PostgreSQL suites install the extension"
	@echo "(make -C pg_ext install, as root), start throwaway clusters (user postgres, a private socket) and"
	@echo "stop them. About 10 to 15 minutes on 2 cores."
	$(MAKE) all $(TEST_BIN)
	prove -v --timer tests/run/*.t

test: deps
	$(MAKE) check

# PGXN metadata: the version comes from the control file.
META.json: META.json.in pg_ext/mig.control
	sed 's/@VERSION@/$(PG_VERSION_MIG)/g' META.json.in > $@

# The PostgreSQL extension (PGXS): pg_ext/, installed with `make install` (as root).
install: all
	$(MAKE) -C pg_ext install

demo: build-deps
	$(MAKE) all
	./examples/demo.sh

bench: all
	./bench/chain.sh
	./bench/client.sh

# bench/scale.sh: the client on chains of 1,000, 10,000 and 100,000 revisions, on SQLite
# and PostgreSQL, with Alembic and knex (from npm, cached outside the tree) as references;
# installs the PostgreSQL extension first (as root) unless SKIP_PG=1. About 10 minutes.
bench-scale: all
	@if [ "$(SKIP_PG)" != 1 ]; then $(MAKE) -s -C pg_ext install; fi
	./bench/scale.sh

# bench/schema.sh: mig_snapshot, mig_snapshot_sql and mig_diff on a 2,000-table SQLite schema,
# against sqlite3's .schema and Alembic's autogenerate compare (reflect + compare_metadata).
# About 3 minutes (SKIP_ALEMBIC=1: mig alone, about 2).
bench-schema: all
	./bench/schema.sh

# bench/schema_pg.sh: mig_snapshot and mig_diff on a 10,000-table PostgreSQL schema
# against pg_dump --schema-only, and Alembic's autogenerate compare at 1,000 tables, on a
# throwaway cluster; installs the PostgreSQL extension first (as root).
bench-schema-pg:
	$(MAKE) -s -C pg_ext install
	./bench/schema_pg.sh

# bench/autogen.sh: mig revision --autogenerate on 1,000 tables in 200 revisions, SQLite and
# PostgreSQL, against alembic revision --autogenerate; installs the PostgreSQL extension first
# (as root) unless SKIP_PG=1. A few minutes.
bench-autogen: all
	@if [ "$(SKIP_PG)" != 1 ]; then $(MAKE) -s -C pg_ext install; fi
	./bench/autogen.sh

clean:
	rm -f core/*.o core/libmigcore.a $(SQLITE_SO) $(CLIENT) $(TEST_BIN) client/state_pg.h
	rm -rf tests/tmp
	$(MAKE) -C pg_ext clean
