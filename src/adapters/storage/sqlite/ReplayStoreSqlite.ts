import type { SqlClient } from "@effect/sql"
import { Clock, Effect, Schema, type Scope } from "effect"
import { ReplayStore } from "../../../ports/ReplayStore.js"
import { clampTtl, normalizeKey, type Transition, TRANSITIONS } from "../ReplayLifecycle.js"
import { makeGroupCommit } from "./GroupCommit.js"
import { refail } from "./sqlErrors.js"

/** Expired rows deleted per purge: bounded work per claim. */
const PURGE_BATCH = 256
/** Purge at most this often, so a busy webhook does not pay a DELETE on every claim. */
const PURGE_INTERVAL_MILLIS = 1_000

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
 * A row in an unknown state answers `corrupt`, which refuses the event. Claims and transitions
 * are group-committed: each returns only once its transaction is durable in the WAL.
 */
export const makeReplayStoreSqlite = (sql: SqlClient.SqlClient): Effect.Effect<ReplayStore["Type"], never, Scope.Scope> =>
  Effect.map(makeGroupCommit(sql), (enlist) => {
  let lastPurgeAt = Number.NEGATIVE_INFINITY
  // Expired rows are harmless (a claim treats them as absent); purging only bounds the table.
  const purgeExpired = (now: number) => {
    if (now - lastPurgeAt < PURGE_INTERVAL_MILLIS && now >= lastPurgeAt) return Effect.void
    lastPurgeAt = now
    return sql`DELETE FROM replay_claims WHERE key IN (
        SELECT key FROM replay_claims WHERE expires_at <= ${now} LIMIT ${PURGE_BATCH})`
  }
  const claim = (key: string, ttlMillis: number) =>
    Effect.gen(function*() {
      const k = yield* normalizeKey(key, "claim")
      const now = yield* Clock.currentTimeMillis
      const expiresAt = now + clampTtl(ttlMillis)
      const rows = yield* enlist(refail("claim")(sql`
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
        RETURNING last_outcome`.pipe(Effect.tap(() => purgeExpired(now)))))
      const [row] = yield* decodeClaim(rows)
      return row.last_outcome
    }).pipe(refail("claim"))

  const transition = (name: Transition) => (key: string, ttlMillis: number) =>
    Effect.gen(function*() {
      const k = yield* normalizeKey(key, name)
      const now = yield* Clock.currentTimeMillis
      const { from, target } = TRANSITIONS[name]
      yield* enlist(refail(name)(sql`
        UPDATE replay_claims SET state = ${target}, updated_at = ${now}, expires_at = ${now + clampTtl(ttlMillis)}
        WHERE key = ${k} AND expires_at > ${now} AND state IN ${sql.in(from)}`))
    }).pipe(refail(name))

  return ReplayStore.of({
    claim,
    commit: transition("commit"),
    release: transition("release"),
    fail: transition("fail")
  })
})
