import { Context, Effect, Option } from "effect"
import type { DeliveryTarget } from "../domain/model/Request.js"
import type { DeliveryRung } from "./ChatDelivery.js"
import type { StoreError } from "./StoreError.js"

/**
 * Ledger states, in the only order they may move: an entry never goes backwards.
 * `awaiting_approval` (an approval request exists) and `submitted` (a prompt is queued) are open;
 * the rest are terminal and are written by the delivery worker:
 * - `delivered`: every item reached the chat (or, for an approval, it was handed to its job entry);
 * - `failed`: the job failed or the approval was rejected, and the user was told; or the result
 *   could not be delivered at all before the entry's maximum age (logged);
 * - `expired`: a deadline passed (job timeout, approval expiry) and the user was told.
 */
export const LEDGER_STATES = [
  "awaiting_approval",
  "submitted",
  "delivered",
  "failed",
  "expired"
] as const
export type LedgerState = typeof LEDGER_STATES[number]

/** States the delivery worker still follows; only an entry in one of them may move. */
export const OPEN_LEDGER_STATES: ReadonlyArray<LedgerState> = ["awaiting_approval", "submitted"]

/** Final states: an entry that reached one never moves again. */
export const TERMINAL_LEDGER_STATES: ReadonlyArray<LedgerState> = ["delivered", "failed", "expired"]

export const isOpenLedgerState = (state: LedgerState): boolean => OPEN_LEDGER_STATES.includes(state)

export interface LedgerEntry {
  /** `job:<prompt_id>` or `approval:<approval_id>`. */
  readonly id: string
  readonly kind: "job" | "approval"
  /** The prompt id or approval id as the backend returned it. */
  readonly ref: string
  /** Key of the inbound event that caused this entry ("" when not known). */
  readonly inboundEventKey: string
  readonly target: DeliveryTarget
  readonly templateId: string
  readonly state: LedgerState
  /** Delivery attempts the worker started (first follow, resumes, retries after `unavailable`). */
  readonly attempts: number
  readonly createdAtMillis: number
  readonly updatedAtMillis: number
  /**
   * The platform's ref of the job's status message (edited with progress) or of its one
   * "working" notice; absent until one was sent. Lets a resumed worker edit instead of re-sending.
   */
  readonly statusRef?: string
}

/**
 * What happened to one delivery item on one rung, as a log line (receipts are never rewritten):
 * - `attempt`: written just before a send; if nothing follows it, the send's outcome is unknown
 *   (the process stopped mid-send);
 * - `sent`: the platform confirmed it (a receipt, with its `platformRef`); final;
 * - `refused`: this rung cannot carry it (too-large, unsupported, rejected): the next rung is tried;
 * - `unavailable`: the platform is down; the entry stays open and retries later;
 * - `unknown`: the platform could not say whether it arrived;
 * - `possibly-delivered`: an unknown outcome that is not resent (the platform's sends are not
 *   idempotent), so it is never sent twice; final;
 * - `failed`: no rung could carry it, not even a text notice; final.
 */
export const ITEM_OUTCOMES = ["attempt", "sent", "refused", "unavailable", "unknown", "possibly-delivered", "failed"] as const
export type ItemOutcome = typeof ITEM_OUTCOMES[number]

export interface ItemReceipt {
  readonly entryId: string
  /** The item's position in the entry's delivery (images in output order; texts by the worker's numbering). */
  readonly itemIndex: number
  readonly rung: DeliveryRung
  readonly outcome: ItemOutcome
  /** The platform's message id for `sent`; "" otherwise. */
  readonly platformRef: string
  readonly atMillis: number
}

/**
 * Durable record of everything the connector promised to follow: each submitted job and each
 * approval request, with where its result must go and how far its delivery got. Written before the
 * user is told "submitted"; read back by the delivery worker when it starts, so a restart resumes
 * every open entry and never sends an item twice.
 */
export class JobLedger extends Context.Tag("ports/JobLedger")<JobLedger, {
  /** Insert an entry; recording the same id again keeps the first record (idempotent). */
  readonly record: (entry: LedgerEntry) => Effect.Effect<void, StoreError>
  readonly get: (id: string) => Effect.Effect<Option.Option<LedgerEntry>, StoreError>
  /**
   * Move an open entry forward; returns whether it moved. A move to an earlier or equal state is
   * ignored, and so is any move of a terminal entry (delivered never becomes failed or expired).
   */
  readonly advance: (id: string, state: LedgerState, atMillis: number) => Effect.Effect<boolean, StoreError>
  /** Entries not yet in a terminal state, oldest first. */
  readonly unfinished: Effect.Effect<ReadonlyArray<LedgerEntry>, StoreError>
  /** Count one more delivery attempt; the new count (0 when the id is unknown). */
  readonly countAttempt: (id: string, atMillis: number) => Effect.Effect<number, StoreError>
  /** Remember the status message's ref (replacing an earlier one); ignored for an unknown id. */
  readonly setStatusRef: (id: string, platformRef: string, atMillis: number) => Effect.Effect<void, StoreError>
  /** Append one item record; fails `invalid-key` when the entry does not exist. */
  readonly recordReceipt: (receipt: ItemReceipt) => Effect.Effect<void, StoreError>
  /** The entry's item records in the order they were written (empty for an unknown id). */
  readonly receipts: (id: string) => Effect.Effect<ReadonlyArray<ItemReceipt>, StoreError>
}>() {}
