import { DeliveryError, type DeliveryRung } from "../../ports/ChatDelivery.js"
import { defaultDeliveryPolicy, type DeliveryPolicy, nextDeliveryStep, type StepRule } from "./Outbox.js"
import type { TelegramCallError } from "./TelegramApi.js"

/**
 * The rules of the result deliveries (Delivery.ts), pure. Telegram has no idempotency key, so a
 * delivery call is retried inside the chat's queue only when a resend cannot post twice:
 * - 429: the request was refused, not run; wait exactly `retry_after` (bounded, as for replies);
 * - a network failure that certainly never reached Telegram (connection refused, DNS);
 * - a forum topic that no longer exists: the same call to the parent chat.
 * Everything else goes back to the delivery worker at once, as a DeliveryError whose reason tells
 * it what to do next.
 */

/** Fewer network retries than replies: the worker retries `unavailable` itself, later. */
export const deliveryCallPolicy: DeliveryPolicy = { ...defaultDeliveryPolicy, maxAttempts: 3 }

export const deliveryStepRule = (policy: DeliveryPolicy = deliveryCallPolicy): StepRule => (error, state, jitter) => {
  switch (error.reason) {
    case "rate-limited":
    case "rejected":
      return nextDeliveryStep(error, state, policy, jitter)
    case "unreachable":
      return error.neverSent === true
        ? nextDeliveryStep(error, state, policy, jitter)
        : { _tag: "GiveUp", why: "no answer; it may have been delivered" }
    default:
      return { _tag: "GiveUp", why: `${error.reason} (HTTP ${error.status ?? "?"})` }
  }
}

/**
 * Bot API refusals of a photo that the document rung can still carry: too big for a photo,
 * dimensions or format Telegram will not make a photo of.
 */
const PHOTO_REFUSALS = /PHOTO_INVALID_DIMENSIONS|PHOTO_SAVE_FILE_INVALID|PHOTO_EXT_INVALID|IMAGE_PROCESS_FAILED|file is too big|too large/i
const FILE_TOO_BIG = /file is too big|too large/i

const describe = (error: TelegramCallError) =>
  `Telegram ${error.method}: ${error.reason}${error.status === undefined ? "" : ` (HTTP ${error.status})`}${
    error.description ? `: ${error.description}` : ""
  }`

/**
 * A failed call as the port's error: 413 or a photo Telegram cannot take -> too-large (the
 * worker tries the next rung); 400/403/409 -> rejected; 429 past the bounded waits, 5xx, 401 (the
 * token, not the message) and never-sent network failures -> unavailable; no answer after the
 * request left (timeout, reset) -> unknown-outcome.
 */
export const deliveryErrorOf = (error: TelegramCallError, rung: DeliveryRung): DeliveryError => {
  const message = describe(error)
  switch (error.reason) {
    case "rejected": {
      const description = error.description ?? ""
      const tooLarge = error.status === 413 ||
        (rung === "image" && PHOTO_REFUSALS.test(description)) ||
        (rung === "document" && FILE_TOO_BIG.test(description))
      return new DeliveryError({ reason: tooLarge ? "too-large" : "rejected", message })
    }
    case "forbidden":
    case "conflict":
      return new DeliveryError({ reason: "rejected", message })
    case "unreachable":
      return new DeliveryError({ reason: error.neverSent === true ? "unavailable" : "unknown-outcome", message })
    case "rate-limited":
    case "server":
    case "unauthorized":
      return new DeliveryError({ reason: "unavailable", message })
  }
}
