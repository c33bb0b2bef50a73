import { Clock, Effect, Option, Ref } from "effect"
import { ChatDeliveries } from "../../ports/ChatDelivery.js"
import type { JobSignal } from "../../ports/ComfyEvents.js"
import { JobLedger, type LedgerEntry } from "../../ports/JobLedger.js"
import { DeliveryTexts } from "./DeliveryTexts.js"
import { EDIT_INTERVAL_MILLIS, TYPING_INTERVAL_MILLIS } from "./Timing.js"

/** The status line for a running job's signal; undefined for terminal signals (pure). */
export const statusText = (jobId: string, signal: JobSignal): string | undefined => {
  switch (signal._tag) {
    case "Queued":
      return DeliveryTexts.queued(jobId, signal.ahead === undefined ? undefined : signal.ahead + 1)
    case "Started":
      return DeliveryTexts.started(jobId)
    case "Node":
      return DeliveryTexts.node(jobId, signal.label)
    case "Progress": {
      const percent = signal.max > 0 ? Math.floor((signal.value / signal.max) * 100) : 0
      return DeliveryTexts.progress(jobId, signal.label, Math.min(100, Math.max(0, percent)))
    }
    case "Succeeded":
    case "Failed":
      return undefined
  }
}

export interface Progress {
  /** Show a running job's signal (best effort: a failure here never stops the delivery). */
  readonly onSignal: (signal: JobSignal) => Effect.Effect<void>
  /** Put the final line into the status message, if there is one to edit. */
  readonly finish: (text: string) => Effect.Effect<void>
}

interface State {
  /** The status message (or the "working" notice); undefined until one was sent. */
  readonly statusRef: string | undefined
  readonly shown: string
  readonly lastEditAt: number
  readonly lastTypingAt: number
}

/**
 * Live progress for one job entry. Where the platform edits messages: one status message per job
 * ("queued #n" -> "<node> <pct>%"), edited at most once per EDIT_INTERVAL_MILLIS; updates that
 * come faster are dropped (the next one, or the final line, shows the latest state). Elsewhere:
 * one "working" notice and the typing indicator. The status message's ref is kept in the ledger,
 * so a resumed job edits the same message. Progress is best effort: failures are logged only.
 */
export const makeProgress = (entry: LedgerEntry): Effect.Effect<Progress, never, ChatDeliveries | JobLedger> =>
  Effect.gen(function*() {
    const deliveries = yield* ChatDeliveries
    const ledger = yield* JobLedger
    const state = yield* Ref.make<State>({ statusRef: entry.statusRef, shown: "", lastEditAt: -Infinity, lastTypingAt: -Infinity })
    const target = entry.target

    const remember = (platformRef: string, now: number) =>
      Effect.zipRight(
        Ref.update(state, (s) => ({ ...s, statusRef: platformRef })),
        ledger.setStatusRef(entry.id, platformRef, now)
      )

    const onSignal = (signal: JobSignal) =>
      Effect.gen(function*() {
        const text = statusText(entry.ref, signal)
        const found = yield* deliveries.forPlatform(target.platform)
        if (text === undefined || Option.isNone(found)) return
        const platform = found.value
        const now = yield* Clock.currentTimeMillis
        const s = yield* Ref.get(state)
        if (!platform.canEdit) {
          if (s.statusRef === undefined) {
            yield* Ref.update(state, (x) => ({ ...x, statusRef: "" }))
            const receipt = yield* platform.sendText(target, DeliveryTexts.working(entry.ref), `${entry.id}:status`)
            yield* remember(receipt.platformRef, now)
          }
          if (now - s.lastTypingAt >= TYPING_INTERVAL_MILLIS) {
            yield* Ref.update(state, (x) => ({ ...x, lastTypingAt: now }))
            yield* platform.typing(target)
          }
          return
        }
        if (text === s.shown || now - s.lastEditAt < EDIT_INTERVAL_MILLIS) return
        yield* Ref.update(state, (x) => ({ ...x, shown: text, lastEditAt: now }))
        if (s.statusRef === undefined) {
          const receipt = yield* platform.sendText(target, text, `${entry.id}:status`)
          yield* remember(receipt.platformRef, now)
        } else if (s.statusRef !== "") {
          yield* platform.editText(target, s.statusRef, text)
        }
      }).pipe(
        Effect.catchTags({
          DeliveryError: (error) => Effect.logDebug("progress update not shown", error.reason),
          StoreError: (error) => Effect.logDebug("status message ref not stored", error.reason)
        })
      )

    const finish = (text: string) =>
      Effect.gen(function*() {
        const found = yield* deliveries.forPlatform(target.platform)
        const s = yield* Ref.get(state)
        if (Option.isNone(found) || !found.value.canEdit || s.statusRef === undefined || s.statusRef === "") return
        // The throttle holds for the final line too: wait out the rest of the interval.
        const wait = s.lastEditAt + EDIT_INTERVAL_MILLIS - (yield* Clock.currentTimeMillis)
        if (wait > 0) yield* Effect.sleep(wait)
        const now = yield* Clock.currentTimeMillis
        yield* Ref.update(state, (x) => ({ ...x, shown: text, lastEditAt: now }))
        yield* found.value.editText(target, s.statusRef, text)
      }).pipe(Effect.catchTag("DeliveryError", (error) => Effect.logDebug("final status not shown", error.reason)))

    return { onSignal, finish }
  })
