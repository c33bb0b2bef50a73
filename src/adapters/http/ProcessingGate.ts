import { Cause, Effect } from "effect"
import type { RawResponse } from "./WebhookServer.js"

/**
 * Acknowledge first, process after (LINE and WhatsApp wait only a few seconds and redeliver on a
 * slow answer, bug L2), without unbounded work piling up behind the acknowledgements: a delivery
 * takes a permit before it is answered and returns it when its processing ends. With every permit
 * in use the next answer waits, which slows the platform down instead of queueing without bound.
 */
export interface ProcessingGate {
  /** Answers `response`, then runs `work` in the request's fiber; a defect in it is logged. */
  readonly answerThen: <R>(response: RawResponse, work: Effect.Effect<void, never, R>) => Effect.Effect<RawResponse, never, R>
}

export const makeProcessingGate = (permits: number): Effect.Effect<ProcessingGate> =>
  Effect.map(Effect.makeSemaphore(Math.max(1, permits)), (semaphore) => ({
    answerThen: <R>(response: RawResponse, work: Effect.Effect<void, never, R>) =>
      Effect.gen(function*() {
        yield* semaphore.take(1)
        const context = yield* Effect.context<R>()
        const after = work.pipe(
          Effect.catchAllCause((cause) =>
            Cause.isInterruptedOnly(cause) ? Effect.void : Effect.logError("webhook processing defect", Cause.pretty(cause))
          ),
          Effect.ensuring(semaphore.release(1)),
          Effect.provide(context)
        )
        return { ...response, after }
      })
  }))
