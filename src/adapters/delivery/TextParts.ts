import { Effect } from "effect"
import { DeliveryError, type DeliveryReceipt } from "../../ports/ChatDelivery.js"

/**
 * Sends one text item that the platform needs several messages (or calls) for, part by part, in
 * order, and says what the worker may conclude:
 *
 * - no parts: `rejected` (there is nothing to send);
 * - the first part fails: that failure as the platform reported it (nothing of the text arrived,
 *   unless the failure itself is `unknown-outcome`);
 * - a later part fails, whatever the reason: `unknown-outcome`. Part of the text is in the chat
 *   already, so resending the whole item would duplicate it where sends are not idempotent, and
 *   ending the entry `failed` would be untrue. Idempotent platforms resend with the same keys, so
 *   the parts that arrived are dropped by the platform and only the rest goes out.
 * - success: a receipt on the text rung with the first part's platform ref.
 */
export const sendInParts = <P, R>(options: {
  /** `<Platform> text`, for messages. */
  readonly what: string
  readonly parts: ReadonlyArray<P>
  /** Sends part `index`; its platform ref ("" when the platform gives none). */
  readonly send: (part: P, index: number) => Effect.Effect<string, DeliveryError, R>
}): Effect.Effect<DeliveryReceipt, DeliveryError, R> =>
  Effect.gen(function*() {
    const { parts, send, what } = options
    if (parts.length === 0) return yield* new DeliveryError({ reason: "rejected", message: `${what}: nothing to send` })
    const first = yield* send(parts[0]!, 0)
    for (let i = 1; i < parts.length; i++) {
      yield* Effect.mapError(send(parts[i]!, i), (error) =>
        new DeliveryError({
          reason: "unknown-outcome",
          message: `${what}: part ${i + 1} of ${parts.length} failed after part 1 arrived (${error.reason}: ${error.message})`
        }))
    }
    return { rung: "text", platformRef: first } satisfies DeliveryReceipt
  })
