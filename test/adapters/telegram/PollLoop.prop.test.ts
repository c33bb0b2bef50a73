import { Cause, Deferred, Effect, FastCheck as fc, Fiber, Logger, LogLevel } from "effect"
import { describe, expect, it } from "vitest"
import { type FetchFailure, runPollLoop } from "../../../src/adapters/telegram/PollLoop.js"
import { makeReplayStoreMemory, ReplayStoreMemory } from "../../../src/adapters/storage/memory/ReplayStoreMemory.js"
import { ReplayStore } from "../../../src/ports/ReplayStore.js"
import { StoreError } from "../../../src/ports/StoreError.js"

/**
 * "Whatever sequence of getUpdates batches, failures and restarts, each update id reaches the
 * domain at most once and every acknowledged one exactly once" (issue 4), for the real loop and
 * the real in-memory replay store, with a fake getUpdates that keeps Telegram's offset rules:
 * - updates arrive in arbitrary chunks between polls; polls fail at arbitrary points (5xx,
 *   429 with retry_after, 409);
 * - the replay store refuses arbitrary claims, the cursor store arbitrary writes;
 * - some updates are poisoned (their triage throws), some die inside the domain;
 * - the service is restarted (interrupted, as SIGTERM does, then started again over the same
 *   stores) at arbitrary points: during a poll, a claim, a command or a cursor write.
 * At the end every update has been confirmed to "Telegram" (the offset passed it); each
 * non-poisoned one reached the domain exactly once, each poisoned one never.
 */

interface Scenario {
  readonly poisoned: ReadonlyArray<boolean>
  readonly dies: ReadonlyArray<boolean>
  readonly chunks: ReadonlyArray<number>
  readonly fetchFailures: ReadonlyArray<number>
  readonly claimFailures: ReadonlyArray<number>
  readonly cursorFailures: ReadonlyArray<number>
  readonly restarts: ReadonlyArray<number>
  readonly batchLimit: number
}

const scenario: fc.Arbitrary<Scenario> = fc.integer({ min: 1, max: 25 }).chain((n) =>
  fc.record({
    poisoned: fc.array(fc.integer({ min: 0, max: 9 }).map((x) => x < 2), { minLength: n, maxLength: n }),
    dies: fc.array(fc.boolean(), { minLength: n, maxLength: n }).map((xs) => xs.map((x, i) => x && i % 3 === 0)),
    chunks: fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 10 }),
    fetchFailures: fc.uniqueArray(fc.integer({ min: 0, max: 40 }), { maxLength: 6 }),
    claimFailures: fc.uniqueArray(fc.integer({ min: 0, max: 40 }), { maxLength: 6 }),
    cursorFailures: fc.uniqueArray(fc.integer({ min: 0, max: 40 }), { maxLength: 6 }),
    restarts: fc.uniqueArray(fc.integer({ min: 0, max: 120 }), { maxLength: 6 }),
    batchLimit: fc.integer({ min: 1, max: 10 })
  })
)

const FAILURES: ReadonlyArray<FetchFailure> = [
  { _tag: "Retry", message: "Telegram getUpdates failed (server, HTTP 502)" },
  { _tag: "Retry", message: "Telegram getUpdates rate limited (429)", delayMillis: 1000 },
  { _tag: "Retry", message: "Telegram getUpdates refused (409 Conflict)" }
]

const runScenario = (s: Scenario) =>
  Effect.gen(function*() {
    const total = s.poisoned.length
    const firstId = 100
    const domain = new Map<number, number>()
    let pending: Array<number> = []
    let arrived = 0
    let confirmed = 0
    let fetches = 0
    let claims = 0
    let advances = 0
    /** Cursor writes asked for since the last getUpdates, and the most seen between two fetches. */
    let writesSinceFetch = 0
    let mostWritesPerBatch = 0
    let events = 0
    let stop = yield* Deferred.make<void>()
    const finished = yield* Deferred.make<void>()
    const restarts = new Set(s.restarts)

    /** Every hook is a place where the process may be told to stop. */
    const hook = Effect.suspend(() => {
      if (!restarts.has(events++)) return Effect.void
      return Effect.zipRight(Deferred.succeed(stop, undefined), Effect.yieldNow())
    })

    const realStore = (yield* makeReplayStoreMemory).store
    const store = ReplayStore.of({
      ...realStore,
      claim: (key, ttl) =>
        Effect.zipRight(
          hook,
          s.claimFailures.includes(claims++)
            ? Effect.fail(new StoreError({ reason: "unavailable", operation: "claim" }))
            : realStore.claim(key, ttl)
        )
    })
    let cursor: number | undefined = undefined

    const fetch = (offset: number) =>
      Effect.zipRight(hook, Effect.suspend(() => {
        writesSinceFetch = 0
        const n = fetches++
        const chunk = n < s.chunks.length ? s.chunks[n]! : total
        for (let i = 0; i < chunk && arrived < total; i++) pending.push(firstId + arrived++)
        if (s.fetchFailures.includes(n)) return Effect.fail(FAILURES[n % FAILURES.length]!)
        if (offset > 0) {
          pending = pending.filter((id) => id >= offset)
          confirmed = Math.max(confirmed, offset)
        }
        if (arrived === total && confirmed === firstId + total) Deferred.unsafeDone(finished, Effect.void)
        const batch = pending.filter((id) => id >= offset).slice(0, s.batchLimit)
        return Effect.succeed(batch.map((id) => ({ update_id: id })))
      }))

    const triage = (_raw: unknown, id: number) => {
      const index = id - firstId
      if (s.poisoned[index]) throw new Error(`poisoned update ${id}`)
      return {
        _tag: "Work" as const,
        key: `telegram:1:${id}`,
        run: Effect.gen(function*() {
          yield* hook
          domain.set(id, (domain.get(id) ?? 0) + 1)
          if (s.dies[index]) return yield* Effect.die(new Error("handler bug"))
        })
      }
    }

    const loop = runPollLoop({
      source: { fetch },
      cursor: {
        read: Effect.sync(() => cursor ?? 0),
        advance: (offset) =>
          Effect.zipRight(
            Effect.zipRight(Effect.sync(() => {
              mostWritesPerBatch = Math.max(mostWritesPerBatch, ++writesSinceFetch)
            }), hook),
            s.cursorFailures.includes(advances++)
              ? Effect.fail(new StoreError({ reason: "unavailable", operation: "advance" }))
              : Effect.sync(() => {
                cursor = Math.max(cursor ?? 0, offset)
              })
          )
      },
      triage,
      sleep: () => Effect.yieldNow()
    }).pipe(Effect.provideService(ReplayStore, store))

    let lives = 0
    for (;;) {
      lives++
      expect(lives).toBeLessThan(s.restarts.length + 3)
      const fiber = yield* Effect.fork(loop)
      const ended = yield* Effect.raceFirst(
        Effect.as(Deferred.await(finished), "finished" as const),
        Effect.as(Deferred.await(stop), "restart" as const)
      )
      yield* Fiber.interrupt(fiber)
      if (ended === "finished") break
      stop = yield* Deferred.make<void>()
    }

    for (let i = 0; i < total; i++) {
      const id = firstId + i
      expect(domain.get(id) ?? 0, `update ${id}`).toBe(s.poisoned[i] ? 0 : 1)
    }
    expect(confirmed).toBe(firstId + total)
    // The durable cursor may lag (a failed write), never lead: it only saves settled updates.
    expect(cursor ?? 0).toBeLessThanOrEqual(confirmed)
    // One cursor write per getUpdates batch at most, not one per update.
    expect(mostWritesPerBatch).toBeLessThanOrEqual(1)
  }).pipe(Logger.withMinimumLogLevel(LogLevel.None))

describe("Telegram poll loop (property)", () => {
  it("each update reaches the domain at most once, every acknowledged one exactly once", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, (s) => Effect.runPromise(runScenario(s))),
      { numRuns: 300 }
    )
  })

  it("the cursor is written once per batch: after a settled batch, after a stalled one, never for nothing", async () => {
    const batches: ReadonlyArray<ReadonlyArray<number>> = [[1, 2, 3, 4, 5], [], [6, 7, 8], [7, 8]]
    const fetched: Array<number> = []
    const writes: Array<number> = []
    let claims = 0
    const exit = await Effect.runPromiseExit(Effect.gen(function*() {
      const real = (yield* makeReplayStoreMemory).store
      // The 7th claim fails once (store down): update 7 stalls the third batch after 6.
      const store = ReplayStore.of({
        ...real,
        claim: (key, ttl) => ++claims === 7 ? Effect.fail(new StoreError({ reason: "unavailable", operation: "claim" })) : real.claim(key, ttl)
      })
      return yield* runPollLoop<never>({
        source: {
          fetch: (offset) =>
            Effect.suspend(() => {
              const batch = batches[fetched.push(offset) - 1]
              return batch === undefined
                ? Effect.fail({ _tag: "Fatal", message: "done" } as const)
                : Effect.succeed(batch.filter((id) => id >= offset).map((id) => ({ update_id: id })))
            })
        },
        cursor: { read: Effect.succeed(0), advance: (offset) => Effect.sync(() => void writes.push(offset)) },
        triage: (_raw, id) => ({ _tag: "Work", key: `telegram:1:${id}`, run: Effect.void }),
        sleep: () => Effect.void
      }).pipe(Effect.provideService(ReplayStore, store))
    }).pipe(Logger.withMinimumLogLevel(LogLevel.None)))
    if (exit._tag === "Failure") throw new Error(Cause.pretty(exit.cause))
    expect(fetched).toEqual([0, 6, 6, 7, 9])
    expect(writes).toEqual([6, 7, 9])
  })

  it("a fatal fetch failure (token refused) ends the loop", async () => {
    const exit = await Effect.runPromiseExit(
      runPollLoop<never>({
        source: { fetch: () => Effect.fail({ _tag: "Fatal", message: "token refused" } as const) },
        cursor: { read: Effect.succeed(0), advance: () => Effect.void },
        triage: () => ({ _tag: "Skip", reason: "none" })
      }).pipe(Effect.provide(ReplayStoreMemory), Logger.withMinimumLogLevel(LogLevel.None))
    )
    expect(exit._tag).toBe("Success")
  })
})
