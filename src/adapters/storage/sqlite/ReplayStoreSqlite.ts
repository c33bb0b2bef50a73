import type { SqlClient } from "@effect/sql"
import { Clock, Effect, Schema } from "effect"
import { ReplayStore } from "../../../ports/ReplayStore.js"
import { clampTtl, normalizeKey, type Transition, TRANSITIONS } from "../ReplayLifecycle.js"
import { refail } from "./sqlErrors.js"

/** Expired rows deleted per claim: bounded work, and enough to keep up with any claim rate. */
const PURGE_BATCH = 64

const ClaimRow = Schema.Struct({
  last_outcome: Schema.Literal(
    "claimed",
    "retry_claimed",
    "duplicate_in_flight",
    "duplicate_after_success",
    "duplicate_after_terminal_failure"
  )
})
const decodeClaim = Schema.decodeUnknown(Schema.Tuple(ClaimRow))

/**
 * ReplayStore over SQLite. A claim is one `INSERT ... ON CONFLICT DO UPDATE ... RETURNING`
 * statement, so it is atomic even across processes sharing the file; the CASE arms are
 * `claimStep` of ReplayLifecycle written in SQL (SET expressions read the row before the update).
 * A row in an unknown state answers `corrupt`, which refuses the event.
 */
export const makeReplayStoreSqlite = (sql: SqlClient.SqlClient) => {
  const claim = (key: string, ttlMillis: number) =>
    Effect.gen(function*() {
      const k = yield* normalizeKey(key, "claim")
      const now = yield* Clock.currentTimeMillis
      const expiresAt = now + clampTtl(ttlMillis)
      const rows = yield* sql`
        INSERT INTO replay_claims (key, state, claim_count, updated_at, expires_at, last_outcome)
        VALUES (${k}, 'claimed', 1, ${now}, ${expiresAt}, 'claimed')
        ON CONFLICT (key) DO UPDATE SET
          last_outcome = CASE
            WHEN expires_at <= ${now} THEN 'claimed'
            WHEN state = 'retryable' THEN 'retry_claimed'
            WHEN state = 'claimed' THEN 'duplicate_in_flight'
            WHEN state = 'delivered' THEN 'duplicate_after_success'
            WHEN state = 'terminal' THEN 'duplicate_after_terminal_failure'
            ELSE 'corrupt' END,
          claim_count = CASE
            WHEN expires_at <= ${now} THEN 1
            WHEN state = 'retryable' THEN claim_count + 1
            ELSE claim_count END,
          state = CASE WHEN expires_at <= ${now} OR state = 'retryable' THEN 'claimed' ELSE state END,
          expires_at = CASE WHEN expires_at <= ${now} OR state = 'retryable' THEN ${expiresAt} ELSE expires_at END,
          updated_at = ${now}
        RETURNING last_outcome`
      const [row] = yield* decodeClaim(rows)
      yield* sql`DELETE FROM replay_claims WHERE key IN (
        SELECT key FROM replay_claims WHERE expires_at <= ${now} LIMIT ${PURGE_BATCH})`
      return row.last_outcome
    }).pipe(refail("claim"))

  const transition = (name: Transition) => (key: string, ttlMillis: number) =>
    Effect.gen(function*() {
      const k = yield* normalizeKey(key, name)
      const now = yield* Clock.currentTimeMillis
      const { from, target } = TRANSITIONS[name]
      yield* sql`
        UPDATE replay_claims SET state = ${target}, updated_at = ${now}, expires_at = ${now + clampTtl(ttlMillis)}
        WHERE key = ${k} AND expires_at > ${now} AND state IN ${sql.in(from)}`
    }).pipe(refail(name))

  return ReplayStore.of({
    claim,
    commit: transition("commit"),
    release: transition("release"),
    fail: transition("fail")
  })
}
