import { TRANSITIONS, type Transition } from "../ReplayLifecycle.js"

/**
 * The replay file's schema and statements, one row per statement (the direct driver makes a
 * statement cost a few microseconds inside a batch transaction). The claim's CASE arms are
 * `claimStep` of ReplayLifecycle in SQL: in an upsert, bare column names are the existing row and
 * `excluded.*` the proposed one.
 */
export const SCHEMA_VERSION = 1

export const CREATE_SCHEMA = `
  CREATE TABLE IF NOT EXISTS replay_claims (
    key TEXT PRIMARY KEY NOT NULL,
    state TEXT NOT NULL,
    claim_count INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    last_outcome TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS replay_claims_expires_at ON replay_claims (expires_at);`

/** Parameters: key, now, expires_at. Returns the row's `last_outcome`. */
export const CLAIM = `INSERT INTO replay_claims (key, state, claim_count, updated_at, expires_at, last_outcome)
  VALUES (?, 'claimed', 1, ?, ?, 'claimed')
  ON CONFLICT (key) DO UPDATE SET
    last_outcome = CASE
      WHEN expires_at <= excluded.updated_at THEN 'claimed'
      WHEN state = 'retryable' THEN 'retry_claimed'
      WHEN state = 'claimed' THEN 'duplicate_in_flight'
      WHEN state = 'delivered' THEN 'duplicate_after_success'
      WHEN state = 'terminal' THEN 'duplicate_after_terminal_failure'
      ELSE 'corrupt' END,
    claim_count = CASE
      WHEN expires_at <= excluded.updated_at THEN 1
      WHEN state = 'retryable' THEN claim_count + 1
      ELSE claim_count END,
    state = CASE WHEN expires_at <= excluded.updated_at OR state = 'retryable' THEN 'claimed' ELSE state END,
    expires_at = CASE WHEN expires_at <= excluded.updated_at OR state = 'retryable' THEN excluded.expires_at ELSE expires_at END,
    updated_at = excluded.updated_at
  RETURNING last_outcome`

/** Parameters: now, expires_at, key, now. Moves a live row in an allowed state; others stay. */
export const transitionSql = (transition: Transition): string => {
  const { from, target } = TRANSITIONS[transition]
  return `UPDATE replay_claims SET state = '${target}', updated_at = ?, expires_at = ?
    WHERE key = ? AND expires_at > ? AND state IN (${from.map((s) => `'${s}'`).join(", ")})`
}

/** Parameters: now, limit. Bounded work per purge. */
export const PURGE = `DELETE FROM replay_claims WHERE key IN (
  SELECT key FROM replay_claims WHERE expires_at <= ? LIMIT ?)`
