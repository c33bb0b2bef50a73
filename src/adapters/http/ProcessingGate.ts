import { Cause, Effect } from "effect"
import type { RawResponse } from "./WebhookServer.js"

/**
 * Acknowledge first, process after (LINE and WhatsApp wait only a few seconds and redeliver on a
 * slow answer, bug L2), without unbounded work piling up behind the acknowledgements: a delivery
 * takes a permit before it is answered and returns it when its processing ends. With every permit
 * in use the next answer waits, which slows the platform down instead of queueing without bound.
 *
 * `giveBack` returns what the delivery holds for its work (its replay claims): it runs when the
 * request is interrupted while waiting for a permit, before its work started (the server runs the
 * response's `abandon`), or during the work. Releasing is safe at any point: a committed claim
 * stays committed, and an unfinished one is redelivered instead of being lost as "in flight".
 */
export interface ProcessingGate {
  /** Answers `response`, then runs `work` in the request's fiber; a defect in it is logged. */
  readonly answerThen: <R>(
    response: RawResponse,
    work: Effect.Effect<void, never, R>,
    giveBack?: Effect.Effect<void, never, R>
  ) => Effect.Effect<RawResponse, never, R>
}

/**
 * The body of `answerThen`, declared once: a generator function expression evaluated per call
 * costs ~1.5 µs on Node 20 (V8 builds its prototype and map each time), paid on every webhook.
 */
function* answerThenBody<R>(
  semaphore: Effect.Semaphore,
  response: RawResponse,
  work: Effect.Effect<void, never, R>,
  giveBack: Effect.Effect<void, never, R>
) {
  const context = yield* Effect.context<R>()
  const back = Effect.provide(giveBack, context)
  yield* semaphore.take(1).pipe(Effect.onInterrupt(() => back))
  let holding = true
  let started = false
  const returnPermit = Effect.suspend(() => (holding ? ((holding = false), semaphore.release(1)) : Effect.void))
  const after = Effect.suspend(() => {
    started = true
    return work
  }).pipe(
    Effect.catchAllCause((cause) =>
      Cause.isInterruptedOnly(cause) ? Effect.failCause(cause) : Effect.logError("webhook processing defect", Cause.pretty(cause))
    ),
    Effect.onInterrupt(() => back),
    Effect.ensuring(returnPermit),
    Effect.provide(context)
  )
  const abandon = Effect.suspend(() => (started ? Effect.void : Effect.zipRight(back, returnPermit)))
  return { ...response, after, abandon } satisfies RawResponse as RawResponse
}

export const makeProcessingGate = (permits: number): Effect.Effect<ProcessingGate> =>
  Effect.map(Effect.makeSemaphore(Math.max(1, permits)), (semaphore) => ({
    answerThen: <R>(response: RawResponse, work: Effect.Effect<void, never, R>, giveBack: Effect.Effect<void, never, R> = Effect.void) =>
      Effect.gen(() => answerThenBody(semaphore, response, work, giveBack))
  }))
