/*
 * dbinfo.c — what the engine knows of each database: the sections it runs,
 * where its state tables are, and how an offline script for it creates them.
 * One table, so that a script can be written for a database other than the
 * one that computes it (the client writes PostgreSQL scripts without a
 * server, from an in-memory SQLite engine).
 */
#include "engine.h"

/* SQLite: the state tables in the main database; created by the first call
 * that writes, and at the top of an offline script. */
static const char SQLITE_STATE_DDL[] =
    "CREATE TABLE IF NOT EXISTS main.mig_revision (\n"
    "  env TEXT NOT NULL,\n"
    "  revision TEXT NOT NULL,\n"
    "  down_revisions TEXT NOT NULL DEFAULT '',\n"
    "  branch_labels TEXT NOT NULL DEFAULT '',\n"
    "  depends_on TEXT NOT NULL DEFAULT '',\n"
    "  message TEXT NOT NULL DEFAULT '',\n"
    "  transactional INTEGER NOT NULL DEFAULT 1,\n"
    "  checksum TEXT NOT NULL,\n"
    "  uploaded_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),\n"
    "  source TEXT NOT NULL, -- last: reading the graph columns never pages through it\n"
    "  PRIMARY KEY (env, revision)\n"
    ");\n"
    "-- the graph columns, so loading a graph never reads the sources\n"
    "CREATE INDEX IF NOT EXISTS main.mig_revision_graph ON mig_revision\n"
    "  (env, down_revisions, branch_labels, depends_on, message, checksum, transactional, revision);\n"
    "-- the few revisions with several parents or a depends_on: `mig current` asks them\n"
    "-- whether the current revision has a child, without reading the whole graph\n"
    "CREATE INDEX IF NOT EXISTS main.mig_revision_multi ON mig_revision (env, down_revisions, depends_on)\n"
    "  WHERE instr(down_revisions, ',') > 0 OR depends_on <> '';\n"
    "CREATE TABLE IF NOT EXISTS main.mig_version (\n"
    "  env TEXT NOT NULL,\n"
    "  tenant TEXT NOT NULL DEFAULT '',\n"
    "  version_num TEXT NOT NULL,\n"
    "  PRIMARY KEY (env, tenant, version_num)\n"
    ");\n"
    "CREATE TABLE IF NOT EXISTS main.mig_history (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  env TEXT NOT NULL,\n"
    "  tenant TEXT NOT NULL DEFAULT '',\n"
    "  revision TEXT,\n"
    "  direction TEXT NOT NULL CHECK (direction IN ('upgrade', 'downgrade', 'stamp')),\n"
    "  checksum TEXT,\n"
    "  applied_by TEXT,\n"
    "  started_at TEXT NOT NULL,\n"
    "  duration_ms INTEGER NOT NULL DEFAULT 0\n"
    ");\n";

const mig_db_info mig_db_sqlite = {
    "sqlite", MIG_DIALECT_SQLITE, "main.", "rowid", SQLITE_STATE_DDL,
};

/* PostgreSQL: the state tables belong to the extension, in schema mig; an
 * offline script creates them with CREATE EXTENSION (script_begin). */
const mig_db_info mig_db_postgresql = {
    "postgresql", MIG_DIALECT_POSTGRES, "mig.", "seq", "",
};
