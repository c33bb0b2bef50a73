import { Clock, Effect, Layer } from "effect"
import { ReplayStore } from "../../../ports/ReplayStore.js"
import {
  claimStep,
  clampTtl,
  normalizeKey,
  type ReplayRecord,
  type Transition,
  transitionStep
} from "../ReplayLifecycle.js"

/** Expired records are swept at most this often (lazily, on a claim); no live key is ever dropped. */
const SWEEP_INTERVAL_MILLIS = 60_000

/**
 * ReplayStore in process memory (single replica, lost on restart). Each operation reads the
 * Effect Clock and then updates the map in one synchronous step, so claims are atomic.
 */
export const makeReplayStoreMemory = Effect.sync(() => {
  const records = new Map<string, ReplayRecord>()
  let nextSweepAt = 0

  const sweep = (now: number) => {
    if (now < nextSweepAt) return
    nextSweepAt = now + SWEEP_INTERVAL_MILLIS
    for (const [key, record] of records) if (record.expiresAt <= now) records.delete(key)
  }

  // Generator functions created once (one created per call costs ~1.5 µs on Node 20).
  const transition = (name: Transition) =>
    Effect.fnUntraced(function*(key: string, ttlMillis: number) {
      const k = yield* normalizeKey(key, name)
      const now = yield* Clock.currentTimeMillis
      const next = transitionStep(records.get(k), name, now, clampTtl(ttlMillis))
      if (next !== undefined) records.set(k, next)
    })

  const claim = Effect.fnUntraced(function*(key: string, ttlMillis: number) {
    const k = yield* normalizeKey(key, "claim")
    const now = yield* Clock.currentTimeMillis
    sweep(now)
    const { next, outcome } = claimStep(records.get(k), now, clampTtl(ttlMillis))
    records.set(k, next)
    return outcome
  })

  const store = ReplayStore.of({
    claim,
    commit: transition("commit"),
    release: transition("release"),
    fail: transition("fail")
  })
  /** Records held right now, live or not yet swept (for tests of the lazy purge). */
  const size = Effect.sync(() => records.size)
  return { store, size }
})

export const ReplayStoreMemory: Layer.Layer<ReplayStore> = Layer.effect(
  ReplayStore,
  Effect.map(makeReplayStoreMemory, (m) => m.store)
)
