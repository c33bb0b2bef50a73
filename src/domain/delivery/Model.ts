import { Effect, Schema } from "effect"
import type { ViewRequest } from "../../ports/Backend.js"
import type { PlatformDelivery } from "../../ports/ChatDelivery.js"
import type { LedgerEntry } from "../../ports/JobLedger.js"
import type { StoreError } from "../../ports/StoreError.js"
import type { DeliverySettings } from "./Timing.js"

/**
 * The delivery cannot go on now, but may later: the entry stays open, the attempt is counted and
 * the worker tries again after a backoff (bounded by the entry's maximum age).
 */
export class DeliveryPaused extends Schema.TaggedError<DeliveryPaused>()("DeliveryPaused", {
  reason: Schema.Literal(
    "platform-missing", // the platform's adapter has not registered (yet)
    "platform-unavailable", // the platform answered `unavailable`
    "unknown-outcome", // an idempotent platform could not confirm a send: resend later, same key
    "backend-unreachable", // /view could not reach ComfyUI
    "store-unavailable" // the ledger could not be written
  ),
  message: Schema.String
}) {}

/** A ledger failure pauses the delivery: nothing is sent that the ledger cannot account for. */
export const pauseOnStore = <A, R>(effect: Effect.Effect<A, StoreError, R>): Effect.Effect<A, DeliveryPaused, R> =>
  Effect.catchTag(effect, "StoreError", (error) =>
    Effect.fail(new DeliveryPaused({ reason: "store-unavailable", message: `${error.operation}: ${error.reason}` })))

/**
 * Item numbers in an entry's receipts: images by their position (0 .. maxImages-1, at most 16);
 * each kind of text its own number, so a text never takes an image's receipts for its own (the
 * outcome of a job can differ between a run and its resume, e.g. history pruned meanwhile).
 */
export const TextItem = {
  noImages: 1000,
  jobFailed: 1001,
  jobTimedOut: 1002,
  approvalEnded: 1003,
  approvalTimedOut: 1004,
  givenUp: 1005,
  possiblyDelivered: 1006,
  notFollowable: 1007,
  approvalNotFollowable: 1008
} as const

export type Item =
  | { readonly _tag: "Image"; readonly index: number; readonly view: ViewRequest }
  | { readonly _tag: "Text"; readonly index: number; readonly text: string }

/** How an item ended: confirmed, maybe (not resent), or not at all (not even a notice got through). */
export type ItemResult = "sent" | "possibly-delivered" | "failed"

/** What one delivery attempt works with. */
export interface DeliveryContext {
  readonly entry: LedgerEntry
  readonly platform: PlatformDelivery
  readonly settings: DeliverySettings
}
