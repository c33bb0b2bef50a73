import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, FastCheck as fc, Option, Queue, TestClock } from "effect"
import { decodeJobs, type JobsSnapshot, makeQueuePositions, queuePlace } from "../../../src/adapters/comfy/QueuePositions.js"
import { BackendError, type Json } from "../../../src/ports/Backend.js"

const body = (jobs: ReadonlyArray<unknown>, extra: Record<string, unknown> = {}) => ({
  ok: true,
  contract_version: 1,
  jobs,
  pagination: { limit: 50, offset: 0, warnings: [], total: jobs.length, has_more: false },
  source: { adapter: "comfy_execution.jobs", authority: "in_process" },
  scan: { window: 10000, examined: jobs.length, excluded: 0, malformed: 0, truncated: false },
  ...extra
})

const job = (id: string, status: string, create_time?: number, more: Record<string, unknown> = {}) => ({
  id,
  status,
  ...(create_time === undefined ? {} : { create_time }),
  ...more
})

const snapshot = (jobs: ReadonlyArray<unknown>): JobsSnapshot => Option.getOrThrow(decodeJobs(body(jobs)))

describe("decodeJobs", () => {
  it("reads the v1 body, ignoring extra fields at every level", () => {
    const decoded = decodeJobs(body([job("p-1", "pending", 5, { outputs_count: 0, workflow_id: "wf", novel: [1] })], { novel: {} }))
    expect(decoded).toEqual(Option.some([{ id: "p-1", status: "pending", create_time: 5 }]))
  })

  it("refuses bodies that are not the v1 contract or hold an unreadable job", () => {
    const bad: ReadonlyArray<Json> = [
      null,
      "jobs",
      { ok: false, error: "jobs_host_contract_unsupported" },
      { ...body([]), contract_version: true },
      { ...body([]), contract_version: 2 },
      { ok: true, contract_version: 1 },
      body([job("p-1", "queued", 1)]),
      body([{ status: "pending", create_time: 1 }]),
      body([job("p-1", "pending", 1, { create_time: "1" })]),
      { ...body([]), jobs: {} }
    ]
    for (const b of bad) expect(decodeJobs(b)).toEqual(Option.none())
  })

  it("accepts a null or missing create_time (the backend omits null optional fields)", () => {
    expect(Option.isSome(decodeJobs(body([job("p-1", "completed"), job("p-2", "failed", undefined, { create_time: null })])))).toBe(true)
  })
})

describe("queuePlace", () => {
  // Newest first, as the backend lists by default.
  const list = snapshot([
    job("p-5", "pending", 50),
    job("p-4", "pending", 40),
    job("p-3", "cancelled", 30),
    job("p-2", "in_progress", 20),
    job("p-1", "completed", 10)
  ])

  it("counts the running job and the pending ones created earlier", () => {
    expect(queuePlace("p-5", list)).toEqual({ _tag: "Waiting", ahead: 2 })
    expect(queuePlace("p-4", list)).toEqual({ _tag: "Waiting", ahead: 1 })
  })

  it("tells running, ended and unlisted prompts apart", () => {
    expect(queuePlace("p-2", list)).toEqual({ _tag: "Running" })
    expect(queuePlace("p-1", list)).toEqual({ _tag: "Ended" })
    expect(queuePlace("p-3", list)).toEqual({ _tag: "Ended" })
    expect(queuePlace("p-9", list)).toEqual({ _tag: "Unknown" })
  })

  it("a running job is ahead even when it was queued later (front of the queue)", () => {
    expect(queuePlace("p-1", snapshot([job("p-2", "in_progress", 20), job("p-1", "pending", 10)]))).toEqual({ _tag: "Waiting", ahead: 1 })
  })

  it("breaks create_time ties by priority when both have one, else by order in the list", () => {
    const tied = snapshot([
      job("a", "pending", 7, { priority: 3 }),
      job("b", "pending", 7, { priority: 2 }),
      job("c", "pending", 7)
    ])
    expect(queuePlace("a", tied)).toEqual({ _tag: "Waiting", ahead: 1 })
    expect(queuePlace("b", tied)).toEqual({ _tag: "Waiting", ahead: 0 })
    expect(queuePlace("c", tied)).toEqual({ _tag: "Waiting", ahead: 2 })
  })

  it("is unknown when its own or another pending job's create_time is missing", () => {
    expect(queuePlace("a", snapshot([job("a", "pending")]))).toEqual({ _tag: "Unknown" })
    expect(queuePlace("a", snapshot([job("b", "pending"), job("a", "pending", 1)]))).toEqual({ _tag: "Unknown" })
    expect(queuePlace("a", snapshot([job("b", "completed"), job("a", "pending", 1)]))).toEqual({ _tag: "Waiting", ahead: 0 })
  })

  it.prop("with distinct create_times: running jobs plus earlier pending ones, whatever the list order", [
    fc.uniqueArray(fc.record({
      time: fc.integer({ min: 0, max: 1_000_000 }),
      status: fc.constantFrom("pending", "in_progress", "completed", "failed", "cancelled")
    }), { selector: (j) => j.time, minLength: 1, maxLength: 30 }),
    fc.nat()
  ], ([jobs, pick]) => {
    const items = jobs.map((j, i) => job(`p-${i}`, j.status, j.time))
    const mine = { ...items[pick % items.length]!, status: "pending" }
    const all = items.map((j) => (j.id === mine.id ? mine : j))
    const expected = all.filter((j) =>
      j.id !== mine.id && (j.status === "in_progress" || (j.status === "pending" && j.create_time! < mine.create_time!))
    ).length
    expect(queuePlace(mine.id, snapshot(all))).toEqual({ _tag: "Waiting", ahead: expected })
    expect(queuePlace(mine.id, snapshot([...all].reverse()))).toEqual({ _tag: "Waiting", ahead: expected })
  })
})

describe("makeQueuePositions (TestClock)", () => {
  const timing = { intervalMillis: 1_000, unsupportedMillis: 60_000 }

  /** Lets forked fibers run until `condition` holds (bounded). */
  const settle = (condition: () => boolean) =>
    Effect.gen(function*() {
      for (let i = 0; i < 1_000 && !condition(); i++) yield* Effect.yieldNow()
      expect(condition()).toBe(true)
    })

  it.scoped("asks only when asked; bursts coalesce into one call per interval; every subscriber gets each answer", () =>
    Effect.gen(function*() {
      let calls = 0
      const jobs = Effect.sync((): Json => (calls++, body([job("p-1", "pending", calls)])))
      const positions = yield* makeQueuePositions(jobs, timing)
      const a = yield* positions.subscribe
      const b = yield* positions.subscribe
      yield* TestClock.adjust("5 seconds")
      expect(calls).toBe(0)
      for (let i = 0; i < 50; i++) yield* positions.refresh
      yield* settle(() => calls === 1)
      yield* TestClock.adjust("999 millis")
      expect(calls).toBe(1)
      yield* TestClock.adjust("1 millis")
      yield* settle(() => calls === 2)
      yield* TestClock.adjust("10 seconds")
      expect(calls).toBe(2)
      expect((yield* Queue.takeAll(a)).length).toBe(2)
      expect((yield* Queue.takeAll(b)).length).toBe(2)
    }))

  it.scoped("refreshNow (a prompt ended) cuts the 1 s spacing to 100 ms; bursts of it still coalesce", () =>
    Effect.gen(function*() {
      const times: Array<number> = []
      const jobs = Effect.map(TestClock.currentTimeMillis, (t): Json => (times.push(t), body([])))
      const positions = yield* makeQueuePositions(jobs, { ...timing, urgentMillis: 100 })
      yield* positions.refresh // a status frame: a call at 0
      yield* settle(() => times.length === 1)
      yield* TestClock.adjust("10 millis")
      for (let i = 0; i < 20; i++) yield* positions.refreshNow // the queue shrank, seen by many followers
      yield* TestClock.adjust("99 millis")
      expect(times).toEqual([0])
      yield* TestClock.adjust("1 millis")
      yield* settle(() => times.length === 2)
      // Coalesced: one call for the burst; with nothing asked since, none follows.
      yield* TestClock.adjust("5 seconds")
      expect(times).toEqual([0, 110])
      // Without refreshNow the spacing stays 1 s.
      yield* positions.refresh
      yield* settle(() => times.length === 3)
      yield* positions.refresh
      yield* TestClock.adjust("999 millis")
      expect(times.length).toBe(3)
      yield* TestClock.adjust("1 millis")
      yield* settle(() => times.length === 4)
      expect(times[3]! - times[2]!).toBe(1_000)
    }))

  it.scoped("a failed or malformed answer publishes none and makes the list unusable; 501 waits the long interval", () =>
    Effect.gen(function*() {
      const answers: Array<Effect.Effect<Json, BackendError>> = [
        Effect.succeed({ ok: true, contract_version: 1, jobs: [{ id: 1 }] }),
        Effect.fail(new BackendError({ reason: "unreachable", message: "backend unreachable" })),
        Effect.fail(new BackendError({ reason: "rejected", status: 501, message: "jobs_host_contract_unsupported" })),
        Effect.succeed(body([]))
      ]
      const times: Array<number> = []
      let i = 0
      const jobs = Effect.suspend(() => Effect.zipRight(TestClock.currentTimeMillis.pipe(Effect.map((t) => times.push(t))), answers[i++]!))
      const positions = yield* makeQueuePositions(jobs, timing)
      const seen = yield* positions.subscribe
      expect(yield* positions.usable).toBe(false) // nothing asked yet
      const usable: Array<boolean> = []
      for (let n = 0; n < 4; n++) {
        yield* positions.refresh
        yield* TestClock.adjust("1 second")
        usable.push(yield* positions.usable)
      }
      yield* TestClock.adjust("60 seconds")
      usable.push(yield* positions.usable)
      expect(times).toEqual([0, 1_000, 2_000, 62_000])
      expect(usable).toEqual([false, false, false, false, true])
      expect(Chunk.toArray(yield* Queue.takeAll(seen))).toEqual([Option.none(), Option.none(), Option.none(), Option.some([])])
    }))
})
