import { Duration, Effect, Random } from "effect"
import type { ReplayStore } from "../../ports/ReplayStore.js"
import type { StoreError } from "../../ports/StoreError.js"
import { admitUpdate, executeUpdate, runToCompletion, type Triage } from "./ExactlyOnce.js"
import { updateIdOf } from "./Update.js"

/**
 * The long-polling loop, independent of the Bot API client so a property test can drive it
 * (spec platforms-webhook-polling.md §2.1-2.2; bugs T1, T2, T5 fixed):
 *
 * - Updates of a batch are settled one by one, in `update_id` order (ExactlyOnce.ts); the offset
 *   moves past an update only once it is settled, so the next `getUpdates` confirms exactly the
 *   settled ones. The durable cursor is written once per batch, after it is settled (or stalled),
 *   to the offset the next fetch uses: one write per `getUpdates`, not one per update. A failed
 *   reply is the outbox's business and never holds the offset back (T1), and nothing is ever
 *   skipped over (T2).
 * - An update that cannot be claimed (store down) stops the batch: the loop backs off and
 *   fetches again from the same offset. A poisoned update (undecodable, or its triage throws) is
 *   logged and settled.
 * - Fetch failures back off exponentially with jitter (or as long as Telegram's `retry_after`
 *   says), including `ok:false` answers (T5); a fatal one (the token is refused) ends the loop.
 * - A restart in the middle of a batch: an update is either settled (its replay key committed)
 *   or untouched, because settling runs to completion once started; the cursor may lag the
 *   replay store (the batch's write did not happen or failed), never the other way round, and a
 *   lagging cursor only makes Telegram redeliver updates that the replay store then recognises
 *   (skipped and poisoned ones are triaged again and skipped again: triage is pure).
 */

export type FetchFailure =
  /** The loop cannot go on (token refused): it logs `message` and ends. */
  | { readonly _tag: "Fatal"; readonly message: string }
  /** Transient: retried after `delayMillis` when given (Telegram's retry_after), else a backoff. */
  | { readonly _tag: "Retry"; readonly message: string; readonly delayMillis?: number }

export interface PollSource {
  /** One `getUpdates` from `offset` (which confirms every update below it). */
  readonly fetch: (offset: number) => Effect.Effect<ReadonlyArray<unknown>, FetchFailure>
}

export interface PollCursorAccess {
  /** The stored offset (0 when none). */
  readonly read: Effect.Effect<number, StoreError>
  readonly advance: (offset: number) => Effect.Effect<void, StoreError>
}

export type Settlement = "skipped" | "duplicate" | "handled" | "defect"

export interface BackoffPolicy {
  readonly baseMillis: number
  readonly maxMillis: number
}

export const defaultBackoff: BackoffPolicy = { baseMillis: 1_000, maxMillis: 60_000 }

/** `base * 2^(failures-1)`, capped, spread by ±20 % (`jitter` in [0, 1)). */
export const backoffMillis = (failures: number, policy: BackoffPolicy, jitter: number): number => {
  const base = Math.min(policy.baseMillis * 2 ** Math.max(0, failures - 1), policy.maxMillis)
  return Math.round(base * (0.8 + 0.4 * jitter))
}

export interface PollLoopOptions<R> {
  readonly source: PollSource
  readonly cursor: PollCursorAccess
  /** Decides what an update needs; a throw counts as a poisoned update (logged, settled). */
  readonly triage: (raw: unknown, updateId: number) => Triage<R>
  /** Told about every settled update (metrics). */
  readonly onSettled?: (updateId: number, settlement: Settlement) => Effect.Effect<void>
  readonly backoff?: BackoffPolicy
  /** Defaults to `Effect.sleep`; tests pass an instant one. */
  readonly sleep?: (millis: number) => Effect.Effect<void>
}

const poisoned: Triage<never> = { _tag: "Skip", reason: "poisoned" }

/** Runs until the source fails fatally (then returns); interrupt it to stop. */
export const runPollLoop = <R>(options: PollLoopOptions<R>): Effect.Effect<void, never, R | ReplayStore> =>
  Effect.gen(function*() {
    const policy = options.backoff ?? defaultBackoff
    const sleep = options.sleep ?? ((millis: number) => Effect.sleep(Duration.millis(millis)))
    const onSettled = options.onSettled ?? (() => Effect.void)
    const pause = (failures: number, what: string, given?: number) =>
      Effect.gen(function*() {
        const delay = given ?? backoffMillis(failures, policy, yield* Random.next)
        yield* Effect.logWarning(`${what}; retrying in ${delay} ms`)
        yield* sleep(delay)
      })

    /** Settles one update; "stall" when it could not be claimed (left for the next fetch). */
    const settleOne = (raw: unknown, updateId: number) =>
      runToCompletion(Effect.gen(function*() {
        const triage = yield* Effect.try(() => options.triage(raw, updateId)).pipe(
          Effect.catchAll((error) =>
            Effect.as(Effect.logError(`Telegram update ${updateId} is poisoned (triage failed); skipped`, String(error)), poisoned)
          )
        )
        const admission = yield* admitUpdate(triage)
        if (admission._tag === "Stall") return "stall" as const
        const settlement: Settlement = admission._tag === "Settled"
          ? admission.outcome
          : (yield* executeUpdate(admission)) ? "handled" : "defect"
        yield* onSettled(updateId, settlement)
        return "settled" as const
      })).pipe(
        // A defect outside the command (a storage adapter bug) must not end polling: retry later.
        Effect.catchAllDefect((defect) =>
          Effect.as(Effect.logError(`Telegram update ${updateId} could not be settled (defect)`, defect), "stall" as const)
        )
      )

    /** Settles a batch in id order; returns the next offset and whether it stalled. */
    const settleBatch = (batch: ReadonlyArray<unknown>, from: number) =>
      Effect.gen(function*() {
        const withIds: Array<readonly [number, unknown]> = []
        for (const raw of batch) {
          const id = updateIdOf(raw)
          if (id === undefined) yield* Effect.logWarning("Telegram update without a usable update_id skipped")
          else withIds.push([id, raw])
        }
        withIds.sort((a, b) => a[0] - b[0])
        let next = from
        for (const [id, raw] of withIds) {
          if (id < next) continue
          if ((yield* settleOne(raw, id)) === "stall") return { next, stalled: true }
          next = id + 1
        }
        return { next, stalled: false }
      })

    let offset = 0
    for (let failures = 1;; failures++) {
      const read = yield* Effect.either(options.cursor.read)
      if (read._tag === "Right") {
        offset = read.right
        break
      }
      yield* pause(failures, `Telegram poll cursor unreadable (${read.left.operation})`)
    }

    let fetchFailures = 0
    let stalls = 0
    for (;;) {
      const fetched = yield* Effect.either(options.source.fetch(offset))
      if (fetched._tag === "Left") {
        const failure = fetched.left
        if (failure._tag === "Fatal") return yield* Effect.logError(failure.message)
        fetchFailures++
        yield* pause(fetchFailures, failure.message, failure.delayMillis)
        continue
      }
      fetchFailures = 0
      const { next, stalled } = yield* settleBatch(fetched.right, offset)
      if (next > offset) {
        // A lost write only makes Telegram redeliver settled updates, which the replay store skips.
        yield* options.cursor.advance(next).pipe(
          Effect.catchTag("StoreError", (e) => Effect.logWarning("Telegram poll cursor not saved", e.operation)),
          Effect.catchAllDefect((defect) => Effect.logError("Telegram poll cursor not saved (defect)", defect))
        )
      }
      offset = next
      if (stalled) {
        stalls++
        yield* pause(stalls, "Telegram updates wait for the replay store")
      } else {
        stalls = 0
      }
    }
  })
