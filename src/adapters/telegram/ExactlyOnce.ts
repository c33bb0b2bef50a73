import { Cause, Effect, Fiber, Metric } from "effect"
import { inboundCounter } from "../../domain/model/Metrics.js"
import { isAccepted, ReplayStore } from "../../ports/ReplayStore.js"

/**
 * The exactly-once discipline for Telegram updates, shared by long polling and the webhook:
 *
 *   triage (pure) -> claim `telegram:<bot id>:<update_id>` -> run -> commit
 *
 * - The domain sees an update only after its key is claimed, so a redelivery (a restart before
 *   the offset was confirmed, a webhook retry) finds the key and runs nothing: at most once.
 * - A store that cannot claim stalls the update (not settled): the poller fetches it again
 *   later, the webhook answers 503 so Telegram retries. Nothing runs without a claim.
 * - Once started, an update's run completes even if the caller is interrupted (a shutdown waits
 *   for it): a graceful restart never leaves an update claimed but not run.
 * - A defect while running (a poisoned update) is logged and the key marked failed for good: it
 *   is settled and never retried, so it cannot stall anything.
 */

/** Keys outlive any redelivery: Telegram keeps unconfirmed updates for 24 h. */
export const REPLAY_TTL_MILLIS = 7 * 24 * 3600 * 1000

export type InboundOutcome = "handled" | "duplicate" | "refused" | "malformed" | "unauthenticated" | "ignored" | "error"

/** Counts Telegram inbound updates by how they ended (openclaw_connector_inbound_events_total). */
export const countInbound = (outcome: InboundOutcome) => Metric.increment(inboundCounter("telegram", outcome))

export type Triage<R> =
  /** Nothing to run; `note` logs and counts why. */
  | { readonly _tag: "Skip"; readonly reason: string; readonly note?: Effect.Effect<void> }
  | { readonly _tag: "Work"; readonly key: string; readonly run: Effect.Effect<void, never, R> }

export type Admission<R> =
  /** Nothing to run: skipped by triage, or already claimed (a duplicate). */
  | { readonly _tag: "Settled"; readonly outcome: "skipped" | "duplicate" }
  /** The replay store could not claim the key: not settled, retry later. */
  | { readonly _tag: "Stall" }
  | { readonly _tag: "Admitted"; readonly key: string; readonly run: Effect.Effect<void, never, R> }

export const admitUpdate = <R>(triage: Triage<R>): Effect.Effect<Admission<R>, never, ReplayStore> =>
  Effect.gen(function*() {
    if (triage._tag === "Skip") {
      if (triage.note !== undefined) yield* triage.note
      return { _tag: "Settled", outcome: "skipped" } as const
    }
    const store = yield* ReplayStore
    const claimed = yield* Effect.either(store.claim(triage.key, REPLAY_TTL_MILLIS))
    if (claimed._tag === "Left") {
      yield* countInbound("refused")
      yield* Effect.logWarning("Telegram update not admitted: replay store unavailable", claimed.left.operation)
      return { _tag: "Stall" } as const
    }
    if (!isAccepted(claimed.right)) {
      yield* countInbound("duplicate")
      yield* Effect.logInfo(`Telegram update skipped: duplicate (${claimed.right})`)
      return { _tag: "Settled", outcome: "duplicate" } as const
    }
    return { _tag: "Admitted", key: triage.key, run: triage.run } as const
  })

/**
 * Runs an admitted update to its end, then commits its key (or, after a defect, marks it failed).
 * Returns whether the run ended normally. The run goes on in its own fiber and the caller waits
 * for it uninterruptibly: interrupting the caller takes effect only after the update is settled.
 */
export const executeUpdate = <R>(
  admitted: Extract<Admission<R>, { readonly _tag: "Admitted" }>
): Effect.Effect<boolean, never, R | ReplayStore> =>
  Effect.gen(function*() {
    const store = yield* ReplayStore
    const exit = yield* Effect.exit(admitted.run)
    if (exit._tag === "Failure") {
      yield* countInbound("error")
      yield* Effect.logError("Telegram update failed with a defect; settled without retry", Cause.pretty(exit.cause))
      yield* store.fail(admitted.key, REPLAY_TTL_MILLIS).pipe(
        Effect.catchTag("StoreError", (e) => Effect.logWarning("Telegram replay fail-mark failed", e.operation))
      )
      return false
    }
    yield* store.commit(admitted.key, REPLAY_TTL_MILLIS).pipe(
      Effect.catchTag("StoreError", (e) => Effect.logWarning("Telegram replay commit failed", e.operation))
    )
    yield* countInbound("handled")
    return true
  }).pipe(runToCompletion)

/**
 * Runs `effect` in a fiber of its own (interruptible inside, so its timeouts work) and joins it
 * uninterruptibly: the caller's interruption waits until the effect has ended.
 */
export const runToCompletion = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.uninterruptible(Effect.flatMap(Effect.forkDaemon(Effect.interruptible(effect)), Fiber.join))
