/**
 * Schema migrations, applied in order; PRAGMA user_version holds how many have run.
 * Append only: a released migration is never edited.
 */
export const MIGRATIONS: string[] = [
  `
  CREATE TABLE nodes (
    xname TEXT PRIMARY KEY,
    nid INTEGER UNIQUE,
    hostname TEXT,
    aliases TEXT NOT NULL DEFAULT '[]',
    role TEXT,
    subrole TEXT,
    groups TEXT NOT NULL DEFAULT '[]',
    enabled INTEGER NOT NULL DEFAULT 1,
    arch TEXT,
    bmc_address TEXT,
    redfish_system_id TEXT,
    credentials_ref TEXT,
    updated_at TEXT NOT NULL
  ) STRICT;
  CREATE TABLE node_names (
    name TEXT PRIMARY KEY COLLATE NOCASE,
    xname TEXT NOT NULL REFERENCES nodes(xname) ON DELETE CASCADE
  ) STRICT;
  CREATE INDEX node_names_xname ON node_names(xname);
  CREATE TABLE node_groups (
    grp TEXT NOT NULL,
    xname TEXT NOT NULL REFERENCES nodes(xname) ON DELETE CASCADE,
    PRIMARY KEY (grp, xname)
  ) STRICT;
  CREATE INDEX node_groups_xname ON node_groups(xname);

  CREATE TABLE components (
    id TEXT PRIMARY KEY,
    enabled INTEGER NOT NULL DEFAULT 0,
    phase TEXT NOT NULL DEFAULT '',
    status_override TEXT NOT NULL DEFAULT '',
    session TEXT NOT NULL DEFAULT '',
    staged_session TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    retry_policy INTEGER,
    actual_state TEXT NOT NULL DEFAULT '{}',
    desired_state TEXT NOT NULL DEFAULT '{}',
    staged_state TEXT NOT NULL DEFAULT '{}',
    last_action TEXT NOT NULL DEFAULT '{}',
    event_stats TEXT NOT NULL DEFAULT '{}',
    tenant TEXT
  ) STRICT;
  CREATE INDEX components_session ON components(session) WHERE session <> '';
  CREATE INDEX components_staged_session ON components(staged_session) WHERE staged_session <> '';

  CREATE TABLE templates (
    name TEXT PRIMARY KEY,
    tenant TEXT,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  ) STRICT;

  CREATE TABLE sessions (
    name TEXT PRIMARY KEY,
    tenant TEXT,
    operation TEXT NOT NULL,
    template_name TEXT NOT NULL,
    limit_expr TEXT NOT NULL DEFAULT '',
    stage INTEGER NOT NULL,
    include_disabled INTEGER NOT NULL,
    components TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    start_time TEXT NOT NULL,
    end_time TEXT,
    error TEXT
  ) STRICT;

  CREATE TABLE options (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) STRICT;

  CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}',
    actor TEXT NOT NULL,
    via TEXT NOT NULL
  ) STRICT;
  CREATE INDEX events_subject ON events(kind, subject, id);
  CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
  CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
  `,
  // 2: what bosd wrote to BSS, by referral token (a booted node reports only the token);
  // each component's last stable state (for rollback) and a revision counter, so that bosd
  // never overwrites a change it has not seen.
  `
  CREATE TABLE bss_tokens (
    token TEXT PRIMARY KEY,
    kernel TEXT NOT NULL,
    initrd TEXT NOT NULL,
    params TEXT NOT NULL,
    created_at TEXT NOT NULL
  ) STRICT;
  ALTER TABLE components ADD COLUMN last_stable_state TEXT NOT NULL DEFAULT '{}';
  ALTER TABLE components ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;
  `,
  // 3: API tokens. Only a hash of each secret is kept.
  `
  CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    node TEXT,
    hash TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT
  ) STRICT;
  `,
  // 4: rollout safety: a session's failure budget and halt, and the state before the last
  // stable one (what rollback returns to).
  `
  ALTER TABLE sessions ADD COLUMN max_failures TEXT;
  ALTER TABLE sessions ADD COLUMN halted_at TEXT;
  ALTER TABLE components ADD COLUMN previous_stable_state TEXT NOT NULL DEFAULT '{}';
  `,
  // 5: full indexes: SQLite cannot use the partial ones with a bound parameter, and bosd
  // asks "does any node still work for session S" every time a node finishes.
  `
  DROP INDEX components_session;
  DROP INDEX components_staged_session;
  CREATE INDEX components_session ON components(session, enabled, id);
  CREATE INDEX components_staged_session ON components(staged_session, id);
  `,
  // 6 (issue 14, tenants): bosctl's tenant registry (its nodes resolved to xnames when set,
  // the expression kept to show and re-resolve); tokens bound to a tenant; templates and
  // sessions keyed by (tenant, name), '' being no tenant, keeping every existing row.
  `
  CREATE TABLE tenants (
    name TEXT PRIMARY KEY,
    nodes_expr TEXT NOT NULL,
    xnames TEXT NOT NULL DEFAULT '[]',
    description TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  ) STRICT;
  ALTER TABLE tokens ADD COLUMN tenant TEXT;

  CREATE TABLE templates_by_tenant (
    tenant TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant, name)
  ) STRICT;
  INSERT INTO templates_by_tenant (tenant, name, body, created_at, updated_at)
    SELECT coalesce(tenant, ''), name, body, created_at, updated_at FROM templates;
  DROP TABLE templates;
  ALTER TABLE templates_by_tenant RENAME TO templates;

  CREATE TABLE sessions_by_tenant (
    tenant TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL,
    operation TEXT NOT NULL,
    template_name TEXT NOT NULL,
    limit_expr TEXT NOT NULL DEFAULT '',
    stage INTEGER NOT NULL,
    include_disabled INTEGER NOT NULL,
    components TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    start_time TEXT NOT NULL,
    end_time TEXT,
    error TEXT,
    max_failures TEXT,
    halted_at TEXT,
    PRIMARY KEY (tenant, name)
  ) STRICT;
  INSERT INTO sessions_by_tenant (tenant, name, operation, template_name, limit_expr, stage, include_disabled, components, status, start_time, end_time, error, max_failures, halted_at)
    SELECT coalesce(tenant, ''), name, operation, template_name, limit_expr, stage, include_disabled, components, status, start_time, end_time, error, max_failures, halted_at FROM sessions;
  DROP TABLE sessions;
  ALTER TABLE sessions_by_tenant RENAME TO sessions;
  CREATE INDEX sessions_name ON sessions(name);
  `,
  // 7 (issue 14, BOS fidelity): a session's extended status as saved at completion (or by
  // POST /v2/sessions/{id}/status), returned as saved once the session is complete, as BOS does.
  `
  ALTER TABLE sessions ADD COLUMN saved_status TEXT;
  `,
  // 8 (issue 18, several bosd on one database): the reconciler's leadership lease. The epoch is
  // the fencing token every write of the leader checks; beat is its heartbeat; since is shown only.
  `
  CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    beat INTEGER NOT NULL,
    since TEXT NOT NULL DEFAULT ''
  ) STRICT;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;
