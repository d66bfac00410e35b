import type { DuckDBConnection } from '@duckdb/node-api';

/**
 * Versioned schema migrations, applied in order inside one transaction
 * each. Never edit a shipped migration; add the next one.
 */
export const MIGRATIONS: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'spans, traces, scores, wal segments, model prices',
    sql: `
      CREATE TABLE spans (
        project_id VARCHAR NOT NULL, trace_id VARCHAR NOT NULL, span_id VARCHAR NOT NULL, parent_span_id VARCHAR,
        started_at TIMESTAMP NOT NULL, ended_at TIMESTAMP NOT NULL, duration_ms DOUBLE NOT NULL,
        name VARCHAR NOT NULL, span_kind VARCHAR, type VARCHAR NOT NULL, status VARCHAR NOT NULL,
        status_message VARCHAR, error_type VARCHAR,
        service_name VARCHAR, scope_name VARCHAR, framework VARCHAR, session_id VARCHAR, user_id VARCHAR, agent_name VARCHAR,
        provider VARCHAR, operation VARCHAR, request_model VARCHAR, response_model VARCHAR,
        input_tokens BIGINT, output_tokens BIGINT, cache_read_tokens BIGINT, cache_write_tokens BIGINT, reasoning_tokens BIGINT,
        cost_usd DOUBLE, cost_source VARCHAR NOT NULL, finish_reason VARCHAR,
        tool_name VARCHAR, tool_call_id VARCHAR, server_name VARCHAR,
        mcp_method VARCHAR, mcp_session_id VARCHAR, mcp_resource_uri VARCHAR,
        input VARCHAR, output VARCHAR,
        attributes JSON, resource JSON, events JSON, links JSON
      );
      CREATE TABLE traces (
        project_id VARCHAR NOT NULL, trace_id VARCHAR NOT NULL,
        started_at TIMESTAMP NOT NULL, ended_at TIMESTAMP NOT NULL,
        root_span_id VARCHAR, root_name VARCHAR, first_name VARCHAR, status VARCHAR NOT NULL,
        service_name VARCHAR, framework VARCHAR, session_id VARCHAR, user_id VARCHAR, agent_name VARCHAR,
        span_count BIGINT NOT NULL, error_count BIGINT NOT NULL, llm_call_count BIGINT NOT NULL, tool_call_count BIGINT NOT NULL,
        input_tokens BIGINT NOT NULL, output_tokens BIGINT NOT NULL, cost_usd DOUBLE,
        models VARCHAR[] NOT NULL,
        PRIMARY KEY (project_id, trace_id)
      );
      CREATE TABLE scores (
        id VARCHAR PRIMARY KEY, project_id VARCHAR NOT NULL, trace_id VARCHAR NOT NULL, span_id VARCHAR,
        name VARCHAR NOT NULL, value DOUBLE NOT NULL, comment VARCHAR, source VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL
      );
      CREATE TABLE wal_segments (
        seq BIGINT PRIMARY KEY, spans BIGINT NOT NULL, inserted BIGINT NOT NULL, bytes BIGINT NOT NULL, loaded_at TIMESTAMP NOT NULL
      );
      CREATE TABLE model_prices (
        model_id VARCHAR PRIMARY KEY, provider VARCHAR,
        input_per_mtok DOUBLE NOT NULL, output_per_mtok DOUBLE NOT NULL,
        cache_read_per_mtok DOUBLE, cache_write_per_mtok DOUBLE, reasoning_per_mtok DOUBLE,
        created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'hot traces know when they last grew; the lake file catalog',
    sql: `
      ALTER TABLE traces ADD COLUMN last_loaded_at TIMESTAMP;
      UPDATE traces SET last_loaded_at = now();
      CREATE TABLE lake_files (
        path VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL, project_id VARCHAR NOT NULL, date VARCHAR NOT NULL,
        rows BIGINT NOT NULL, bytes BIGINT NOT NULL, min_started_at TIMESTAMP NOT NULL, max_started_at TIMESTAMP NOT NULL,
        seal_seq BIGINT NOT NULL, created_at TIMESTAMP NOT NULL
      );
      CREATE TABLE lake_seals (
        seq BIGINT PRIMARY KEY, traces BIGINT NOT NULL, spans BIGINT NOT NULL, files BIGINT NOT NULL,
        duration_ms DOUBLE NOT NULL, sealed_at TIMESTAMP NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'the lake compaction log (its seqs are also reserved in lake_seals, so file names never clash)',
    sql: `
      CREATE TABLE lake_compactions (
        seq BIGINT PRIMARY KEY, partitions BIGINT NOT NULL, files_before BIGINT NOT NULL, files_after BIGINT NOT NULL,
        rows_before BIGINT NOT NULL, rows_after BIGINT NOT NULL, duration_ms DOUBLE NOT NULL, compacted_at TIMESTAMP NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: 'lake files uploaded to the object-storage mirror; the id of this data dir (claims its replica id in a shared lake)',
    sql: `
      CREATE TABLE lake_mirror_objects (
        target VARCHAR NOT NULL, path VARCHAR NOT NULL, key VARCHAR NOT NULL, bytes BIGINT NOT NULL, etag VARCHAR,
        uploaded_at TIMESTAMP NOT NULL,
        PRIMARY KEY (target, path)
      );
      CREATE TABLE store_identity (instance_id VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL);
      INSERT INTO store_identity VALUES (uuid()::VARCHAR, now());
    `,
  },
  {
    version: 5,
    name: 'a bloom filter over the trace ids of each lake file (files written before it have none and are always probed)',
    sql: `
      CREATE TABLE lake_trace_filters (path VARCHAR PRIMARY KEY, m BIGINT NOT NULL, k INTEGER NOT NULL, bits BIT NOT NULL);
    `,
  },
  {
    version: 6,
    name: 'access control: API keys (hashes only), projects, users, invitations and sessions (hashes only), project settings, the audit log',
    sql: `
      CREATE TABLE api_keys (
        id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, role VARCHAR NOT NULL, project_id VARCHAR,
        key_sha256 VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL, created_by VARCHAR, revoked_at TIMESTAMP
      );
      CREATE TABLE projects (id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL);
      CREATE TABLE users (
        id VARCHAR PRIMARY KEY, email VARCHAR NOT NULL, name VARCHAR, role VARCHAR NOT NULL, project_id VARCHAR,
        status VARCHAR NOT NULL, password_hash VARCHAR, created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL, last_login_at TIMESTAMP
      );
      CREATE TABLE user_invites (
        token_sha256 VARCHAR PRIMARY KEY, user_id VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL, expires_at TIMESTAMP NOT NULL, used_at TIMESTAMP
      );
      CREATE TABLE user_sessions (
        id VARCHAR PRIMARY KEY, user_id VARCHAR NOT NULL, token_sha256 VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL, expires_at TIMESTAMP NOT NULL
      );
      CREATE TABLE project_settings (project_id VARCHAR PRIMARY KEY, redact_payloads BOOLEAN NOT NULL, updated_at TIMESTAMP NOT NULL);
      CREATE TABLE audit_logs (
        event_id VARCHAR PRIMARY KEY, ts TIMESTAMP NOT NULL, actor VARCHAR NOT NULL, action VARCHAR NOT NULL, resource VARCHAR,
        result VARCHAR NOT NULL, project_id VARCHAR, client_address VARCHAR
      );
    `,
  },
  {
    version: 7,
    name: 'hot OTLP log records (GenAI and MCP events) and the log WAL segments loaded',
    sql: `
      CREATE TABLE logs (
        project_id VARCHAR NOT NULL, record_id VARCHAR NOT NULL, trace_id VARCHAR, span_id VARCHAR,
        logged_at TIMESTAMP NOT NULL, observed_at TIMESTAMP, position BIGINT NOT NULL,
        severity_number INTEGER, severity_text VARCHAR, event_name VARCHAR, kind VARCHAR NOT NULL,
        service_name VARCHAR, scope_name VARCHAR, scope_version VARCHAR,
        input VARCHAR, output VARCHAR, finish_reason VARCHAR, choice_index BIGINT,
        evaluation_name VARCHAR, score_value DOUBLE, score_label VARCHAR, explanation VARCHAR,
        response_id VARCHAR, error_type VARCHAR,
        body JSON, attributes JSON, resource JSON,
        loaded_at TIMESTAMP NOT NULL
      );
      CREATE TABLE log_wal_segments (
        seq BIGINT PRIMARY KEY, records BIGINT NOT NULL, inserted BIGINT NOT NULL, bytes BIGINT NOT NULL, loaded_at TIMESTAMP NOT NULL
      );
    `,
  },
  {
    version: 8,
    name: 'agent SLO definitions (success_rate, latency_p99)',
    sql: `
      CREATE TABLE slos (
        slo_id VARCHAR PRIMARY KEY, project_id VARCHAR NOT NULL, agent_name VARCHAR NOT NULL, metric VARCHAR NOT NULL,
        threshold DOUBLE NOT NULL, window_hours INTEGER NOT NULL, created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL
      );
    `,
  },
  {
    version: 9,
    name: 'alerts (config, rules, firing state, history) and prevention (configs, session violations)',
    sql: `
      CREATE TABLE alert_config (
        project_id VARCHAR PRIMARY KEY, slack_webhook VARCHAR, webhook_url VARCHAR, webhook_secret VARCHAR,
        alert_types JSON NOT NULL, updated_at TIMESTAMP NOT NULL
      );
      CREATE TABLE alert_rules (
        id VARCHAR PRIMARY KEY, project_id VARCHAR NOT NULL, kind VARCHAR NOT NULL, threshold DOUBLE NOT NULL,
        window_seconds BIGINT NOT NULL, min_spans BIGINT NOT NULL, agent_name VARCHAR, server_name VARCHAR, model VARCHAR,
        enabled BOOLEAN NOT NULL, created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL
      );
      CREATE TABLE alert_state (
        key VARCHAR PRIMARY KEY, project_id VARCHAR NOT NULL, type VARCHAR NOT NULL, alert_id VARCHAR NOT NULL, since TIMESTAMP NOT NULL
      );
      CREATE TABLE alerts (
        id VARCHAR PRIMARY KEY, seq BIGINT NOT NULL, project_id VARCHAR NOT NULL, type VARCHAR NOT NULL, status VARCHAR NOT NULL,
        severity VARCHAR NOT NULL, key VARCHAR NOT NULL, title VARCHAR NOT NULL, message VARCHAR NOT NULL,
        rule_id VARCHAR, session_id VARCHAR, agent_name VARCHAR, server_name VARCHAR, value DOUBLE, threshold DOUBLE,
        details JSON, deliveries JSON NOT NULL, triggered_at TIMESTAMP NOT NULL
      );
      CREATE TABLE prevention_configs (
        id VARCHAR PRIMARY KEY, project_id VARCHAR NOT NULL, agent_name VARCHAR NOT NULL, fields JSON NOT NULL,
        created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL, UNIQUE (project_id, agent_name)
      );
      CREATE TABLE session_prevention (
        project_id VARCHAR NOT NULL, session_id VARCHAR NOT NULL, health_tag VARCHAR NOT NULL, rule VARCHAR NOT NULL,
        agent_name VARCHAR, detail JSON, set_at TIMESTAMP NOT NULL, PRIMARY KEY (project_id, session_id)
      );
    `,
  },
  {
    version: 10,
    name: 'the agent and MCP server catalogs (metadata per project and name)',
    sql: `
      CREATE TABLE agent_metadata (
        project_id VARCHAR NOT NULL, agent_name VARCHAR NOT NULL, id VARCHAR NOT NULL, description VARCHAR NOT NULL,
        owner VARCHAR NOT NULL, tags JSON NOT NULL, status VARCHAR NOT NULL, runbook_url VARCHAR NOT NULL, source VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL, PRIMARY KEY (project_id, agent_name)
      );
      CREATE TABLE server_metadata (
        project_id VARCHAR NOT NULL, server_name VARCHAR NOT NULL, id VARCHAR NOT NULL, description VARCHAR NOT NULL,
        owner VARCHAR NOT NULL, tags JSON NOT NULL, runbook_url VARCHAR NOT NULL, source VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL, PRIMARY KEY (project_id, server_name)
      );
    `,
  },
  {
    version: 11,
    name: 'hourly span rollups of each lake span file (src/store/lake/rollup.ts) and session-id filters of trace files (session-filter.ts)',
    sql: `
      CREATE TABLE lake_rollups (
        path VARCHAR NOT NULL, project_id VARCHAR NOT NULL, hour TIMESTAMP NOT NULL,
        model VARCHAR, provider VARCHAR, agent_name VARCHAR, server_name VARCHAR, tool_name VARCHAR,
        is_call BOOLEAN NOT NULL, is_tool BOOLEAN NOT NULL,
        spans BIGINT NOT NULL, errors BIGINT NOT NULL, llm_spans BIGINT NOT NULL, tool_spans BIGINT NOT NULL, unpriced BIGINT NOT NULL,
        cost_usd DOUBLE, input_tokens HUGEINT, output_tokens HUGEINT, cache_read_tokens HUGEINT, cache_write_tokens HUGEINT,
        reasoning_tokens HUGEINT, duration_ms DOUBLE
      );
      CREATE TABLE lake_session_filters (path VARCHAR PRIMARY KEY, m BIGINT NOT NULL, k INTEGER NOT NULL, bits BIT NOT NULL);
    `,
  },
  {
    version: 12,
    name: 'evaluations: scores (one per trace, span, name and source), replays, judgements, datasets and their items, runs and their items',
    sql: `
      -- Migration 1's scores table was never written (its routes answered 404): replaced by one that holds
      -- categorical values and is keyed by what a score is about, so a score is updated in place.
      DROP TABLE scores;
      CREATE TABLE scores (
        id VARCHAR PRIMARY KEY, project_id VARCHAR NOT NULL, trace_id VARCHAR NOT NULL, span_id VARCHAR,
        name VARCHAR NOT NULL, source VARCHAR NOT NULL, data_type VARCHAR NOT NULL, value DOUBLE, label VARCHAR, comment VARCHAR,
        trace_started_at TIMESTAMP NOT NULL, created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL
      );
      CREATE INDEX scores_by_trace ON scores (project_id, trace_id);
      CREATE TABLE eval_replays (
        id VARCHAR PRIMARY KEY, project_id VARCHAR NOT NULL, trace_id VARCHAR NOT NULL, span_id VARCHAR NOT NULL,
        convention VARCHAR NOT NULL, status VARCHAR NOT NULL, provider VARCHAR NOT NULL, model VARCHAR NOT NULL,
        original_model VARCHAR, request JSON NOT NULL, output VARCHAR, original_output VARCHAR, diff JSON, finish_reason VARCHAR,
        input_tokens BIGINT, output_tokens BIGINT, cost_usd DOUBLE, latency_ms DOUBLE, original JSON NOT NULL, error JSON,
        replay_trace_id VARCHAR, replay_span_id VARCHAR, trace_started_at TIMESTAMP NOT NULL, created_at TIMESTAMP NOT NULL
      );
      CREATE INDEX eval_replays_by_trace ON eval_replays (project_id, trace_id);
      CREATE TABLE eval_judgements (
        id VARCHAR PRIMARY KEY, project_id VARCHAR NOT NULL, trace_id VARCHAR NOT NULL, span_id VARCHAR,
        metric VARCHAR NOT NULL, rubric VARCHAR, status VARCHAR NOT NULL, provider VARCHAR NOT NULL, model VARCHAR NOT NULL,
        score DOUBLE, passed BOOLEAN, reasoning VARCHAR, answer VARCHAR, error JSON, score_id VARCHAR,
        input_tokens BIGINT, output_tokens BIGINT, cost_usd DOUBLE, latency_ms DOUBLE,
        trace_started_at TIMESTAMP NOT NULL, created_at TIMESTAMP NOT NULL
      );
      CREATE INDEX eval_judgements_by_trace ON eval_judgements (project_id, trace_id);
      CREATE TABLE eval_datasets (
        id VARCHAR PRIMARY KEY, project_id VARCHAR NOT NULL, name VARCHAR NOT NULL, description VARCHAR,
        created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL, UNIQUE (project_id, name)
      );
      CREATE TABLE eval_dataset_items (
        id VARCHAR PRIMARY KEY, dataset_id VARCHAR NOT NULL, position BIGINT NOT NULL, input JSON NOT NULL, expected JSON,
        metadata JSON, source_trace_id VARCHAR, source_span_id VARCHAR, created_at TIMESTAMP NOT NULL
      );
      CREATE INDEX eval_dataset_items_by_dataset ON eval_dataset_items (dataset_id);
      CREATE TABLE eval_runs (
        id VARCHAR PRIMARY KEY, project_id VARCHAR NOT NULL, dataset_id VARCHAR NOT NULL, status VARCHAR NOT NULL,
        provider VARCHAR NOT NULL, model VARCHAR NOT NULL, metric VARCHAR NOT NULL, judge JSON, pass_threshold DOUBLE NOT NULL,
        concurrency INTEGER NOT NULL, total BIGINT NOT NULL, error VARCHAR,
        created_at TIMESTAMP NOT NULL, started_at TIMESTAMP, ended_at TIMESTAMP
      );
      CREATE INDEX eval_runs_by_dataset ON eval_runs (dataset_id);
      CREATE TABLE eval_run_items (
        run_id VARCHAR NOT NULL, item_id VARCHAR NOT NULL, position BIGINT NOT NULL, status VARCHAR NOT NULL,
        output VARCHAR, score DOUBLE, passed BOOLEAN, reasoning VARCHAR, error JSON,
        input_tokens BIGINT, output_tokens BIGINT, cost_usd DOUBLE, latency_ms DOUBLE, started_at TIMESTAMP, ended_at TIMESTAMP,
        PRIMARY KEY (run_id, item_id)
      );
    `,
  },
  {
    version: 13,
    name: 'MCP server health checks, tool snapshots, schema drift and security scans (src/mcp/store.ts; bounded per server)',
    sql: `
      CREATE TABLE mcp_health_checks (
        id VARCHAR PRIMARY KEY, server_name VARCHAR NOT NULL, project_id VARCHAR NOT NULL, checked_at TIMESTAMP NOT NULL,
        status VARCHAR NOT NULL, latency_ms DOUBLE, error VARCHAR, transport VARCHAR NOT NULL, trigger VARCHAR NOT NULL,
        protocol_version VARCHAR, server_info JSON, steps JSON NOT NULL, tools_count INTEGER NOT NULL,
        resources_count INTEGER, prompts_count INTEGER, schema_hash VARCHAR, consecutive_failures INTEGER NOT NULL
      );
      CREATE TABLE mcp_tool_snapshots (
        server_name VARCHAR NOT NULL, schema_hash VARCHAR NOT NULL, tools JSON NOT NULL, first_seen_at TIMESTAMP NOT NULL,
        PRIMARY KEY (server_name, schema_hash)
      );
      CREATE TABLE mcp_schema_drift (
        id VARCHAR PRIMARY KEY, server_name VARCHAR NOT NULL, project_id VARCHAR NOT NULL, detected_at TIMESTAMP NOT NULL,
        previous_checked_at TIMESTAMP, previous_hash VARCHAR, current_hash VARCHAR NOT NULL, has_breaking BOOLEAN NOT NULL,
        changes JSON NOT NULL, diff VARCHAR NOT NULL, sessions JSON NOT NULL
      );
      CREATE TABLE mcp_security_scans (
        id VARCHAR PRIMARY KEY, server_name VARCHAR NOT NULL, project_id VARCHAR NOT NULL, scanned_at TIMESTAMP NOT NULL,
        error VARCHAR, schema_hash VARCHAR, findings JSON NOT NULL
      );
    `,
  },
];

/** Applies every migration newer than the stored version; returns the resulting version. */
export async function migrate(conn: DuckDBConnection): Promise<number> {
  await conn.run(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)`);
  const reader = await conn.runAndReadAll('SELECT coalesce(max(version), 0) AS v FROM schema_migrations');
  let current = Number(reader.getRows()[0][0]);
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    await conn.run('BEGIN TRANSACTION');
    try {
      await conn.run(m.sql);
      await conn.run('INSERT INTO schema_migrations VALUES ($1, $2, now())', [m.version, m.name]);
      await conn.run('COMMIT');
    } catch (err) {
      await conn.run('ROLLBACK').catch(() => {});
      throw new Error(`migration ${m.version} (${m.name}) failed: ${(err as Error).message}`);
    }
    current = m.version;
  }
  return current;
}
