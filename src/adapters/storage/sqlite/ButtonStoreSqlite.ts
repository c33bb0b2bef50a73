import type { SqlClient } from "@effect/sql"
import { Clock, Effect, Option } from "effect"
import type { ButtonStore, StoredButton } from "../../../ports/ButtonStore.js"
import { StoreError } from "../../../ports/StoreError.js"
import { refail } from "./sqlErrors.js"

const ACTIONS: ReadonlyArray<StoredButton["action"]> = ["approval.approve", "approval.reject"]

/** Expired rows are deleted at most this often (by the Clock), on a put: not on every put. */
export const BUTTON_SWEEP_INTERVAL_MILLIS = 60_000

interface Row {
  readonly action: string
  readonly approval_id: string
}

/**
 * `button_refs` rows. `get` never returns an expired row; expired rows are deleted by a sweep
 * that a put runs when the last one is at least a minute old (a reply with buttons is a write
 * burst; one DELETE per burst is plenty). A row whose action is unknown is `corrupt`.
 */
export const makeButtonStoreSqlite = (sql: SqlClient.SqlClient): ButtonStore["Type"] => {
  let lastSweep: number | undefined
  const sweepIfDue = (now: number) =>
    lastSweep !== undefined && now - lastSweep < BUTTON_SWEEP_INTERVAL_MILLIS
      ? Effect.void
      : Effect.zipRight(sql`DELETE FROM button_refs WHERE expires_at <= ${now}`, Effect.sync(() => void (lastSweep = now)))
  return {
    put: (requestId, button, ttlMillis) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        yield* sweepIfDue(now)
        yield* sql`INSERT INTO button_refs (request_id, action, approval_id, expires_at)
          VALUES (${requestId}, ${button.action}, ${button.approvalId}, ${now + ttlMillis})
          ON CONFLICT (request_id) DO UPDATE SET action = excluded.action,
            approval_id = excluded.approval_id, expires_at = excluded.expires_at`
      }).pipe(refail("button-put")),
    get: (requestId) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const rows = yield* sql<Row>`SELECT action, approval_id FROM button_refs
          WHERE request_id = ${requestId} AND expires_at > ${now}`
        const row = rows[0]
        if (row === undefined) return Option.none()
        const action = ACTIONS.find((a) => a === row.action)
        if (action === undefined) return yield* new StoreError({ reason: "corrupt", operation: "button-get" })
        return Option.some({ action, approvalId: row.approval_id })
      }).pipe(refail("button-get"))
  }
}
