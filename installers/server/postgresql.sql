-- Calmline team store on PostgreSQL, schema version 1.
-- Run once as a database owner:  psql -d calmline -f postgresql.sql
-- Then, per agent:  CREATE ROLE "agent-7" LOGIN PASSWORD '...' IN ROLE calmline_agent;
--   (the login name is the agent id Calmline writes; Kerberos/GSSAPI or client
--    certificates work too: only the role name matters here)
-- and per team lead: CREATE ROLE lead_anna LOGIN ... IN ROLE calmline_lead;
--
-- TLS: Calmline connects to a server that is not the agent's own computer only with
-- sslmode=verify-full, so turn on ssl in postgresql.conf with a certificate for the host
-- name in sync.target, signed by a CA the agents' machines trust (docs/deploying.md).
--
-- A row refused here (row-level security, a constraint) is set aside by Calmline with
-- the server's reason; the agent's other records still land.
--
-- The record column is the sync document's "record" (resources/schemas/sync-document.schema.json).
-- Its times are text, UTC to the microsecond as in the agent's own database (older Calmline
-- versions wrote milliseconds); (record->>'started_at')::timestamptz reads either, losslessly.
--
-- Each table holds the newest version of each record. Calmline upserts by id
-- and only where its version is newer, so a sync run twice or from two
-- computers changes nothing. Row-level security: an agent inserts, updates and
-- reads only rows whose agent_id is their own login; a team lead reads all.

BEGIN;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'calmline_agent') THEN
        CREATE ROLE calmline_agent NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'calmline_lead') THEN
        CREATE ROLE calmline_lead NOLOGIN;
    END IF;
END
$$;

CREATE SCHEMA IF NOT EXISTS calmline;
GRANT USAGE ON SCHEMA calmline TO calmline_agent, calmline_lead;

CREATE TABLE IF NOT EXISTS calmline.schema_version (
    version integer NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO calmline.schema_version (version)
    SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM calmline.schema_version WHERE version = 1);
GRANT SELECT ON calmline.schema_version TO calmline_agent, calmline_lead;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['shifts', 'incidents', 'notes', 'step_events', 'followups'] LOOP
        EXECUTE format(
            'CREATE TABLE IF NOT EXISTS calmline.%I (
                id uuid PRIMARY KEY,
                version integer NOT NULL CHECK (version > 0),
                agent_id text NOT NULL,
                shift_day date NOT NULL,
                record jsonb NOT NULL,
                received_at timestamptz NOT NULL DEFAULT now()
            )', t);
        EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON calmline.%I (agent_id, shift_day)',
                       t || '_agent_day', t);
        EXECUTE format('ALTER TABLE calmline.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE calmline.%I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE ON calmline.%I TO calmline_agent', t);
        EXECUTE format('GRANT SELECT ON calmline.%I TO calmline_lead', t);
        EXECUTE format('DROP POLICY IF EXISTS agent_own_rows ON calmline.%I', t);
        EXECUTE format(
            'CREATE POLICY agent_own_rows ON calmline.%I TO calmline_agent
                USING (agent_id = current_user) WITH CHECK (agent_id = current_user)', t);
        EXECUTE format('DROP POLICY IF EXISTS lead_reads_all ON calmline.%I', t);
        EXECUTE format(
            'CREATE POLICY lead_reads_all ON calmline.%I FOR SELECT TO calmline_lead
                USING (true)', t);
    END LOOP;
END
$$;

COMMIT;
