import { SqlClient } from "@effect/sql"
import * as Migrator from "@effect/sql/Migrator"
import { Effect } from "effect"

/**
 * Schema history of the connector's SQLite file. Append new steps; never edit a released one.
 * Timestamps are epoch milliseconds taken from Effect's Clock (replay) or given by the caller (ledger).
 */
const migrations = {
  "1_replay_and_ledger": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`CREATE TABLE replay_claims (
      key TEXT PRIMARY KEY NOT NULL,
      state TEXT NOT NULL,
      claim_count INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      last_outcome TEXT NOT NULL
    )`
    yield* sql`CREATE INDEX replay_claims_expires_at ON replay_claims (expires_at)`
    yield* sql`CREATE TABLE job_ledger (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      kind TEXT NOT NULL,
      ref TEXT NOT NULL,
      inbound_event_key TEXT NOT NULL,
      target_platform TEXT NOT NULL,
      target_channel_id TEXT NOT NULL,
      target_sender_id TEXT NOT NULL,
      target_workspace_id TEXT NOT NULL,
      target_thread_id TEXT NOT NULL,
      template_id TEXT NOT NULL,
      state TEXT NOT NULL,
      attempts INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    )`
    yield* sql`CREATE INDEX job_ledger_state_created ON job_ledger (state, created_at, seq)`
    yield* sql`CREATE TABLE store_probe (id INTEGER PRIMARY KEY CHECK (id = 1), touched_at INTEGER NOT NULL)`
  }),
  "2_poll_cursors": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`CREATE TABLE poll_cursors (
      name TEXT PRIMARY KEY NOT NULL,
      value INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    )`
  }),
  "3_button_refs": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`CREATE TABLE button_refs (
      request_id TEXT PRIMARY KEY NOT NULL,
      action TEXT NOT NULL,
      approval_id TEXT NOT NULL,
      expires_at INTEGER NOT NULL
    )`
    yield* sql`CREATE INDEX button_refs_expires_at ON button_refs (expires_at)`
  }),
  // Replay claims moved to their own file (ReplayStoreSqlite.ts); rows here were short-lived.
  "4_replay_claims_moved": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`DROP TABLE IF EXISTS replay_claims`
  }),
  // Delivery worker (issue 5): the status message to edit, and one log row per item and rung.
  "5_ledger_delivery_receipts": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`ALTER TABLE job_ledger ADD COLUMN status_ref TEXT`
    yield* sql`CREATE TABLE job_ledger_receipts (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      entry_id TEXT NOT NULL,
      item_index INTEGER NOT NULL,
      rung TEXT NOT NULL,
      outcome TEXT NOT NULL,
      platform_ref TEXT NOT NULL,
      at INTEGER NOT NULL
    )`
    yield* sql`CREATE INDEX job_ledger_receipts_entry ON job_ledger_receipts (entry_id, seq)`
  }),
  // Installation registry (issue 6, src/adapters/installations): records hold token refs only;
  // secrets are AES-256-GCM sealed values (never plaintext); the audit trail keeps 500 events.
  "6_installations": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`CREATE TABLE installations (
      installation_id TEXT PRIMARY KEY NOT NULL,
      platform TEXT NOT NULL,
      tenant_id TEXT NOT NULL,
      workspace_id TEXT NOT NULL,
      token_refs TEXT NOT NULL,
      status TEXT NOT NULL,
      status_reason TEXT NOT NULL,
      metadata TEXT NOT NULL,
      health_state TEXT,
      health_reason TEXT,
      health_updated_at INTEGER,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    )`
    yield* sql`CREATE INDEX installations_workspace ON installations (platform, workspace_id)`
    yield* sql`CREATE TABLE installation_secrets (
      tenant_id TEXT NOT NULL,
      ref TEXT NOT NULL,
      nonce TEXT NOT NULL,
      ciphertext TEXT NOT NULL,
      updated_at INTEGER NOT NULL,
      PRIMARY KEY (tenant_id, ref)
    )`
    yield* sql`CREATE TABLE installation_audit (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      at INTEGER NOT NULL,
      action TEXT NOT NULL,
      installation_id TEXT NOT NULL,
      platform TEXT NOT NULL,
      tenant_id TEXT NOT NULL,
      workspace_id TEXT NOT NULL,
      status TEXT NOT NULL,
      details TEXT NOT NULL
    )`
    yield* sql`CREATE INDEX installation_audit_installation ON installation_audit (installation_id, seq)`
  })
}

export const migrate = Migrator.make({})({
  loader: Migrator.fromRecord(migrations),
  table: "openclaw_migrations"
})
