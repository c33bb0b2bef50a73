import type { SqlClient } from "@effect/sql"
import { Effect, Option, Schema } from "effect"
import {
  ITEM_OUTCOMES,
  type ItemReceipt,
  JobLedger,
  LEDGER_STATES,
  type LedgerEntry,
  OPEN_LEDGER_STATES
} from "../../../ports/JobLedger.js"
import { StoreError } from "../../../ports/StoreError.js"
import { checkLedgerId, statesMovableTo } from "../LedgerOrder.js"
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
  updated_at: Schema.Number,
  status_ref: Schema.NullOr(Schema.String)
})
const decodeRows = Schema.decodeUnknown(Schema.Array(LedgerRow))

const ReceiptRow = Schema.Struct({
  entry_id: Schema.String,
  item_index: Schema.Number,
  rung: Schema.Literal("image", "document", "link", "text"),
  outcome: Schema.Literal(...ITEM_OUTCOMES),
  platform_ref: Schema.String,
  at: Schema.Number
})
const decodeReceipts = Schema.decodeUnknown(Schema.Array(ReceiptRow))

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
  updatedAtMillis: row.updated_at,
  // Absent rather than undefined, so an entry reads back exactly as it was recorded.
  ...(row.status_ref === null ? {} : { statusRef: row.status_ref })
})

const toReceipt = (row: typeof ReceiptRow.Type): ItemReceipt => ({
  entryId: row.entry_id,
  itemIndex: row.item_index,
  rung: row.rung,
  outcome: row.outcome,
  platformRef: row.platform_ref,
  atMillis: row.at
})

/**
 * JobLedger over SQLite: one row per entry; `advance` is a single conditional UPDATE (open
 * entries only, forward only); item receipts are an append-only table ordered by insertion.
 */
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
            updated_at: entry.updatedAtMillis,
            status_ref: entry.statusRef ?? null
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
      // Only open entries move, and only forward: terminal ones are never in this list.
      const earlier = statesMovableTo(state)
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
    ),
    countAttempt: (id, atMillis) =>
      sql<{ attempts: number }>`UPDATE job_ledger SET attempts = attempts + 1, updated_at = ${atMillis}
        WHERE id = ${id} RETURNING attempts`.pipe(
        Effect.map((rows) => rows[0]?.attempts ?? 0),
        refail("countAttempt")
      ),
    setStatusRef: (id, platformRef, atMillis) =>
      sql`UPDATE job_ledger SET status_ref = ${platformRef}, updated_at = ${atMillis} WHERE id = ${id}`.pipe(
        Effect.asVoid,
        refail("setStatusRef")
      ),
    recordReceipt: (receipt) =>
      Effect.gen(function*() {
        // One statement: the row is written only when its entry exists.
        const rows = yield* sql`INSERT INTO job_ledger_receipts (entry_id, item_index, rung, outcome, platform_ref, at)
          SELECT ${receipt.entryId}, ${receipt.itemIndex}, ${receipt.rung}, ${receipt.outcome}, ${receipt.platformRef}, ${receipt.atMillis}
          WHERE EXISTS (SELECT 1 FROM job_ledger WHERE id = ${receipt.entryId}) RETURNING seq`
        if (rows.length === 0) return yield* new StoreError({ reason: "invalid-key", operation: "recordReceipt" })
      }).pipe(refail("recordReceipt")),
    receipts: (id) =>
      sql`SELECT entry_id, item_index, rung, outcome, platform_ref, at FROM job_ledger_receipts
        WHERE entry_id = ${id} ORDER BY seq`.pipe(
        Effect.flatMap(decodeReceipts),
        Effect.map((rows) => rows.map(toReceipt)),
        refail("receipts")
      )
  })
