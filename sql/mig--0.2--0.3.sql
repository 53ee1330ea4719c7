-- mig 0.2 -> 0.3 (ALTER EXTENSION mig UPDATE TO '0.3'): adds mig_lock and
-- mig_unlock, the deploy lock at session level that the client holds for its
-- whole run.  The state tables and their rows are unchanged.
\echo Use "ALTER EXTENSION mig UPDATE TO '0.3'" to load this file. \quit

-- The deploy lock of an env/tenant at session level (the client holds it
-- for its whole run): an advisory lock in a key space SQL cannot reach, so
-- only a role that may run these can take it.
CREATE FUNCTION mig_lock(opts text DEFAULT NULL) RETURNS boolean
    AS 'MODULE_PATHNAME', 'pg_mig_lock' LANGUAGE C VOLATILE;
CREATE FUNCTION mig_unlock(opts text DEFAULT NULL) RETURNS boolean
    AS 'MODULE_PATHNAME', 'pg_mig_unlock' LANGUAGE C VOLATILE;

REVOKE ALL ON FUNCTION mig_lock(text), mig_unlock(text) FROM PUBLIC;
