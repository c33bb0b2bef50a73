import { Context, Effect, Option } from "effect"
import type { DeliveryTarget } from "../domain/model/Request.js"
import type { StoreError } from "./StoreError.js"

/**
 * Ledger states, in the only order they may move: an entry never goes backwards.
 * `submitted` (a prompt is queued) and `awaiting_approval` (an approval request exists) are open;
 * the rest are terminal and are written by the delivery worker (a later issue).
 */
export const LEDGER_STATES = [
  "awaiting_approval",
  "submitted",
  "delivered",
  "failed",
  "expired"
] as const
export type LedgerState = typeof LEDGER_STATES[number]

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
  readonly attempts: number
  readonly createdAtMillis: number
  readonly updatedAtMillis: number
}

/**
 * Durable record of everything the connector promised to follow: each submitted job and each
 * approval request, with where its result must go. Written before the user is told "submitted".
 */
export class JobLedger extends Context.Tag("ports/JobLedger")<JobLedger, {
  /** Insert an entry; recording the same id again keeps the first record (idempotent). */
  readonly record: (entry: LedgerEntry) => Effect.Effect<void, StoreError>
  readonly get: (id: string) => Effect.Effect<Option.Option<LedgerEntry>, StoreError>
  /** Move an entry forward; a move to an earlier or equal state is ignored and returns false. */
  readonly advance: (id: string, state: LedgerState, atMillis: number) => Effect.Effect<boolean, StoreError>
  /** Entries not yet in a terminal state, oldest first. */
  readonly unfinished: Effect.Effect<ReadonlyArray<LedgerEntry>, StoreError>
}>() {}
