-- mig 0.3 -> 0.4 (ALTER EXTENSION mig UPDATE TO '0.4'): adds mig_snapshot
-- and mig_diff, the schema functions of autogenerate.  The state tables and
-- their rows are unchanged.
\echo Use "ALTER EXTENSION mig UPDATE TO '0.4'" to load this file. \quit

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
