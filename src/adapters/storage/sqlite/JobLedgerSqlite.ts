import type { SqlClient } from "@effect/sql"
import { Effect, Option, Schema } from "effect"
import { JobLedger, LEDGER_STATES, type LedgerEntry } from "../../../ports/JobLedger.js"
import { checkLedgerId, OPEN_LEDGER_STATES, statesBefore } from "../LedgerOrder.js"
import { refail } from "./sqlErrors.js"

const LedgerRow = Schema.Struct({
  id: Schema.String,
  kind: Schema.Literal("job", "approval"),
  ref: Schema.String,
  inbound_event_key: Schema.String,
  target_platform: Schema.String,
  target_channel_id: Schema.String,
  target_sender_id: Schema.String,
  target_workspace_id: Schema.String,
  target_thread_id: Schema.String,
  template_id: Schema.String,
  state: Schema.Literal(...LEDGER_STATES),
  attempts: Schema.Number,
  created_at: Schema.Number,
  updated_at: Schema.Number
})
const decodeRows = Schema.decodeUnknown(Schema.Array(LedgerRow))

const toEntry = (row: typeof LedgerRow.Type): LedgerEntry => ({
  id: row.id,
  kind: row.kind,
  ref: row.ref,
  inboundEventKey: row.inbound_event_key,
  target: {
    platform: row.target_platform,
    channelId: row.target_channel_id,
    senderId: row.target_sender_id,
    workspaceId: row.target_workspace_id,
    threadId: row.target_thread_id
  },
  templateId: row.template_id,
  state: row.state,
  attempts: row.attempts,
  createdAtMillis: row.created_at,
  updatedAtMillis: row.updated_at
})

/** JobLedger over SQLite: one row per entry; `advance` is a single conditional UPDATE (forward only). */
export const makeJobLedgerSqlite = (sql: SqlClient.SqlClient) =>
  JobLedger.of({
    record: (entry) =>
      Effect.gen(function*() {
        yield* checkLedgerId(entry.id, "record")
        yield* sql`INSERT INTO job_ledger ${
          sql.insert({
            id: entry.id,
            kind: entry.kind,
            ref: entry.ref,
            inbound_event_key: entry.inboundEventKey,
            target_platform: entry.target.platform,
            target_channel_id: entry.target.channelId,
            target_sender_id: entry.target.senderId,
            target_workspace_id: entry.target.workspaceId,
            target_thread_id: entry.target.threadId,
            template_id: entry.templateId,
            state: entry.state,
            attempts: entry.attempts,
            created_at: entry.createdAtMillis,
            updated_at: entry.updatedAtMillis
          })
        } ON CONFLICT (id) DO NOTHING`
      }).pipe(refail("record")),
    get: (id) =>
      sql`SELECT * FROM job_ledger WHERE id = ${id}`.pipe(
        Effect.flatMap(decodeRows),
        Effect.map((rows) => Option.map(Option.fromNullable(rows[0]), toEntry)),
        refail("get")
      ),
    advance: (id, state, atMillis) => {
      const earlier = statesBefore(state)
      if (earlier.length === 0) return Effect.succeed(false)
      return sql`UPDATE job_ledger SET state = ${state}, updated_at = ${atMillis}
        WHERE id = ${id} AND state IN ${sql.in(earlier)} RETURNING id`.pipe(
        Effect.map((rows) => rows.length > 0),
        refail("advance")
      )
    },
    unfinished: sql`SELECT * FROM job_ledger WHERE state IN ${sql.in(OPEN_LEDGER_STATES)} ORDER BY created_at, seq`.pipe(
      Effect.flatMap(decodeRows),
      Effect.map((rows) => rows.map(toEntry)),
      refail("unfinished")
    )
  })
