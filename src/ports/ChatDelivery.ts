import { Context, type Effect, type Option, Schema } from "effect"
import type { DeliveryTarget } from "../domain/model/Request.js"

/**
 * How results reach a chat after the command that caused them has been answered: the delivery
 * worker's view of one platform. Each platform adapter registers its `PlatformDelivery` in the
 * `ChatDeliveries` registry when it starts; the worker looks the platform up by the ledger entry's
 * target. Every call says what the platform confirmed: a Receipt only when the platform answered
 * success. `idempotencyKey` is stable per ledger entry and item, so a resumed delivery can resend
 * without a duplicate where the platform supports it (`idempotentSends`).
 */

export interface DeliveryImage {
  readonly bytes: Uint8Array
  /** ComfyUI's filename (shown to users, used for uploads). */
  readonly filename: string
  readonly contentType: string
}

/** The ladder, best first: native image -> file/document -> signed media link -> text notice. */
export type DeliveryRung = "image" | "document" | "link" | "text"

export interface DeliveryReceipt {
  readonly rung: DeliveryRung
  /** The platform's id for the message sent (message id, ts...); "" when it gives none. */
  readonly platformRef: string
}

export class DeliveryError extends Schema.TaggedError<DeliveryError>()("DeliveryError", {
  reason: Schema.Literal(
    "too-large", // this rung cannot carry that many bytes: try the next rung
    "unsupported", // this platform has no such rung: try the next rung
    "rejected", // the platform refused this message (4xx): retrying the same call will not help
    "unavailable", // network/5xx/rate limit beyond the bounded retries: retry later
    "unknown-outcome" // sent, but no answer: it may or may not have arrived
  ),
  message: Schema.String
}) {}

export interface PlatformDelivery {
  /** Lower-case platform name, as in DeliveryTarget.platform. */
  readonly platform: string
  /** Whether `editText` works (one status message edited in place); otherwise one notice is sent. */
  readonly canEdit: boolean
  /** Whether resending with the same idempotency key can never post twice. */
  readonly idempotentSends: boolean
  /**
   * `false` when nothing can reach the chat after the command's own answer (KakaoTalk has no
   * push API): the worker then ends such entries at once instead of following them. Default true.
   */
  readonly pushes?: boolean
  readonly sendText: (target: DeliveryTarget, text: string, idempotencyKey: string) => Effect.Effect<DeliveryReceipt, DeliveryError>
  readonly editText: (target: DeliveryTarget, platformRef: string, text: string) => Effect.Effect<void, DeliveryError>
  /** Native image upload (LINE/WhatsApp: image message by the MediaStore's https URL). */
  readonly sendImage: (target: DeliveryTarget, image: DeliveryImage, idempotencyKey: string) => Effect.Effect<DeliveryReceipt, DeliveryError>
  /** File/document upload; `unsupported` where the platform has none. */
  readonly sendDocument: (target: DeliveryTarget, image: DeliveryImage, idempotencyKey: string) => Effect.Effect<DeliveryReceipt, DeliveryError>
  /** Typing indicator while a job works, where the platform has one (a no-op otherwise). */
  readonly typing: (target: DeliveryTarget) => Effect.Effect<void>
}

export class ChatDeliveries extends Context.Tag("ports/ChatDeliveries")<ChatDeliveries, {
  readonly register: (delivery: PlatformDelivery) => Effect.Effect<void>
  /** None while the platform's adapter is not (yet) running: the worker keeps the entry and retries. */
  readonly forPlatform: (platform: string) => Effect.Effect<Option.Option<PlatformDelivery>>
}>() {}
