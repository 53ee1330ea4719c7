-- mig 0.1 -> 0.2 (ALTER EXTENSION mig UPDATE TO '0.2'): adds the procedure
-- mig_run.  The state tables and their rows are unchanged.
\echo Use "ALTER EXTENSION mig UPDATE TO '0.2'" to load this file. \quit

-- upgrade / downgrade / stamp as a procedure: CALLed on its own, outside a
-- transaction block, it may commit, so {"transaction": "each"} commits after
-- every revision.  Inside a transaction block it nests like mig_upgrade.
CREATE PROCEDURE mig_run(direction text, target text, opts text DEFAULT NULL)
    AS 'MODULE_PATHNAME', 'pg_mig_run' LANGUAGE C;

-- PUBLIC cannot change the state (as the functions of 0.1)
REVOKE ALL ON PROCEDURE mig_run(text, text, text) FROM PUBLIC;
