-- mig 0.4: migrations stored in the database.
-- 0.2 added the procedure mig_run, 0.3 the deploy lock functions mig_lock and
-- mig_unlock, 0.4 the schema functions mig_snapshot and mig_diff
-- (sql/mig--0.1--0.2.sql, sql/mig--0.2--0.3.sql and sql/mig--0.3--0.4.sql
-- update older installs).
-- The state tables live in schema mig; the functions in the extension's
-- schema (CREATE EXTENSION mig [SCHEMA s]).
\echo Use "CREATE EXTENSION mig" to load this file. \quit

CREATE SCHEMA mig;
REVOKE ALL ON SCHEMA mig FROM PUBLIC;

CREATE TABLE mig.mig_revision (
    env            text        NOT NULL,
    revision       text        NOT NULL,
    down_revisions text        NOT NULL DEFAULT '',
    branch_labels  text        NOT NULL DEFAULT '',
    depends_on     text        NOT NULL DEFAULT '',
    message        text        NOT NULL DEFAULT '',
    transactional  boolean     NOT NULL DEFAULT true,
    checksum       text        NOT NULL,
    uploaded_at    timestamptz NOT NULL DEFAULT now(),
    source         text        NOT NULL,
    seq            bigserial   NOT NULL, -- ORDER BY seq: the upload order
    PRIMARY KEY (env, revision)
);

CREATE TABLE mig.mig_version (
    env         text NOT NULL,
    tenant      text NOT NULL DEFAULT '',
    version_num text NOT NULL,
    PRIMARY KEY (env, tenant, version_num)
);

CREATE TABLE mig.mig_history (
    id          bigserial   PRIMARY KEY,
    env         text        NOT NULL,
    tenant      text        NOT NULL DEFAULT '',
    revision    text,
    direction   text        NOT NULL CHECK (direction IN ('upgrade', 'downgrade', 'stamp')),
    checksum    text,
    applied_by  text        DEFAULT current_user,
    started_at  timestamptz NOT NULL DEFAULT now(),
    duration_ms integer     NOT NULL DEFAULT 0
);
CREATE INDEX mig_history_env_tenant ON mig.mig_history (env, tenant, id);

-- pg_dump keeps the rows of the state tables
SELECT pg_catalog.pg_extension_config_dump('mig.mig_revision', '');
SELECT pg_catalog.pg_extension_config_dump('mig.mig_revision_seq_seq', '');
SELECT pg_catalog.pg_extension_config_dump('mig.mig_version', '');
SELECT pg_catalog.pg_extension_config_dump('mig.mig_history', '');
SELECT pg_catalog.pg_extension_config_dump('mig.mig_history_id_seq', '');

REVOKE ALL ON mig.mig_revision, mig.mig_version, mig.mig_history FROM PUBLIC;
REVOKE ALL ON SEQUENCE mig.mig_revision_seq_seq, mig.mig_history_id_seq FROM PUBLIC;

-- ---- functions (never SECURITY DEFINER: revisions run as the caller) ----
-- The functions that change state reach the state tables as the tables'
-- owner from inside the C code (with the search path pinned to pg_catalog),
-- so a deploying role needs EXECUTE on them and no write grant on the tables.

CREATE FUNCTION mig_put_revision(source text, opts text DEFAULT NULL) RETURNS text
    AS 'MODULE_PATHNAME', 'pg_mig_put_revision' LANGUAGE C VOLATILE;
CREATE FUNCTION mig_remove_revision(revision text, opts text DEFAULT NULL) RETURNS text
    AS 'MODULE_PATHNAME', 'pg_mig_remove_revision' LANGUAGE C VOLATILE;
CREATE FUNCTION mig_upgrade(target text, opts text DEFAULT NULL) RETURNS text
    AS 'MODULE_PATHNAME', 'pg_mig_upgrade' LANGUAGE C VOLATILE;
CREATE FUNCTION mig_downgrade(target text, opts text DEFAULT NULL) RETURNS text
    AS 'MODULE_PATHNAME', 'pg_mig_downgrade' LANGUAGE C VOLATILE;
CREATE FUNCTION mig_stamp(target text, opts text DEFAULT NULL) RETURNS text
    AS 'MODULE_PATHNAME', 'pg_mig_stamp' LANGUAGE C VOLATILE;
CREATE FUNCTION mig_current(opts text DEFAULT NULL) RETURNS text
    AS 'MODULE_PATHNAME', 'pg_mig_current' LANGUAGE C VOLATILE;
CREATE FUNCTION mig_heads(opts text DEFAULT NULL) RETURNS text
    AS 'MODULE_PATHNAME', 'pg_mig_heads' LANGUAGE C VOLATILE;
CREATE FUNCTION mig_check(opts text DEFAULT NULL) RETURNS boolean
    AS 'MODULE_PATHNAME', 'pg_mig_check' LANGUAGE C VOLATILE;
-- the arguments are unnamed: RETURNS TABLE already has a column "direction"
CREATE FUNCTION mig_plan(text, text, opts text DEFAULT NULL)
    RETURNS TABLE (step integer, direction text, revision text, message text)
    AS 'MODULE_PATHNAME', 'pg_mig_plan' LANGUAGE C VOLATILE ROWS 20;
CREATE FUNCTION mig_sql(direction text, target text, opts text DEFAULT NULL) RETURNS text
    AS 'MODULE_PATHNAME', 'pg_mig_sql' LANGUAGE C VOLATILE;
CREATE FUNCTION mig_batch(tbl text, actions text, opts text DEFAULT NULL) RETURNS text
    AS 'MODULE_PATHNAME', 'pg_mig_batch' LANGUAGE C VOLATILE;

CREATE FUNCTION mig_x(name text) RETURNS text
    AS 'MODULE_PATHNAME', 'pg_mig_x' LANGUAGE C VOLATILE;

-- upgrade / downgrade / stamp as a procedure: CALLed on its own, outside a
-- transaction block, it may commit, so {"transaction": "each"} commits after
-- every revision.  Inside a transaction block it nests like mig_upgrade.
CREATE PROCEDURE mig_run(direction text, target text, opts text DEFAULT NULL)
    AS 'MODULE_PATHNAME', 'pg_mig_run' LANGUAGE C;

-- The deploy lock of an env/tenant at session level (the client holds it
-- for its whole run): an advisory lock in a key space SQL cannot reach, so
-- only a role that may run these can take it.
CREATE FUNCTION mig_lock(opts text DEFAULT NULL) RETURNS boolean
    AS 'MODULE_PATHNAME', 'pg_mig_lock' LANGUAGE C VOLATILE;
CREATE FUNCTION mig_unlock(opts text DEFAULT NULL) RETURNS boolean
    AS 'MODULE_PATHNAME', 'pg_mig_unlock' LANGUAGE C VOLATILE;

-- Schemas (autogenerate): the database's schema as a canonical JSON
-- document, and the revision body between two such documents.  The
-- snapshot reads the catalogs as the caller, with an empty search_path so
-- every name the server prints is schema-qualified, and the settings that
-- change how values print (a partition bound, a default) pinned as pg_dump
-- pins them, with UTC; mig_diff reads no database.
CREATE FUNCTION mig_snapshot(opts text DEFAULT NULL) RETURNS text
    AS 'MODULE_PATHNAME', 'pg_mig_snapshot' LANGUAGE C STABLE
    SET search_path = '' SET TimeZone = 'UTC' SET DateStyle = 'ISO, YMD' SET IntervalStyle = 'postgres'
    SET extra_float_digits = 3 SET jit = off;
CREATE FUNCTION mig_diff("from" text, "to" text, opts text DEFAULT NULL) RETURNS text
    AS 'MODULE_PATHNAME', 'pg_mig_diff' LANGUAGE C IMMUTABLE;

-- PUBLIC cannot change the state; the extension's owner grants these to
-- the roles that deploy.
REVOKE ALL ON FUNCTION mig_put_revision(text, text), mig_remove_revision(text, text), mig_upgrade(text, text),
    mig_downgrade(text, text), mig_stamp(text, text) FROM PUBLIC;
REVOKE ALL ON PROCEDURE mig_run(text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION mig_lock(text), mig_unlock(text) FROM PUBLIC;
