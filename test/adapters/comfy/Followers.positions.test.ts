import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Either, Fiber, PubSub, Stream, TestClock } from "effect"
import { REFERENCE_POLL_SCHEDULE_MILLIS } from "../../../src/adapters/comfy/ComfyEventsLive.js"
import type { HubMessage } from "../../../src/adapters/comfy/ComfyMessages.js"
import { makeQueuePositions } from "../../../src/adapters/comfy/QueuePositions.js"
import { BackendError, type Json } from "../../../src/ports/Backend.js"
import type { ComfyFollowError, JobSignal } from "../../../src/ports/ComfyEvents.js"
import { historyAndJobsBackend, makeHubFollow } from "./support.js"

/**
 * Queue positions in followers, on the TestClock: the jobs list is scripted, `status` broadcasts
 * are published on the hub by hand, and every jobs call is counted.
 */

const timing = { pollScheduleMillis: REFERENCE_POLL_SCHEDULE_MILLIS, upPollMillis: 30_000 }
const positionsTiming = { intervalMillis: 1_000, unsupportedMillis: 60_000 }
const done = (id: string) => ({ [id]: { outputs: {}, status: { status_str: "success" } } })
const succeeded: JobSignal = { _tag: "Succeeded", images: [] }
const queued = (ahead: number | undefined): JobSignal => ({ _tag: "Queued", ahead })
const status: HubMessage = { _tag: "Status", queueRemaining: 3 }

type Job = { readonly id: string; readonly status: string; readonly create_time: number }
const v1 = (jobs: ReadonlyArray<Job>): Json => ({ ok: true, contract_version: 1, jobs, pagination: {}, source: {}, scan: {} })

/** A backend whose history and jobs answer from mutable state; `jobsCalls` counts the jobs calls. */
const scripted = () => {
  const state = {
    finished: new Set<string>(),
    jobs: [] as ReadonlyArray<Job>,
    jobsAnswer: undefined as Effect.Effect<Json, BackendError> | undefined,
    jobsCalls: 0,
    /** Clock time of each jobs call. */
    jobsTimes: [] as Array<number>,
    /** The prompt of each history call. */
    historyCalls: [] as Array<string>
  }
  const backend = historyAndJobsBackend(
    (id) => Effect.sync(() => (state.historyCalls.push(id), state.finished.has(id) ? done(id) : {})),
    Effect.flatMap(Clock.currentTimeMillis, (now) => {
      state.jobsCalls++
      state.jobsTimes.push(now)
      return state.jobsAnswer ?? Effect.succeed(v1(state.jobs))
    })
  )
  return { state, backend }
}

/** Follows `id`, recording signals as they come. */
const following = (follow: (id: string, o: { deadlineMillis: number }) => Stream.Stream<JobSignal, ComfyFollowError>, id: string) =>
  Effect.gen(function*() {
    const seen: Array<JobSignal> = []
    const fiber = yield* follow(id, { deadlineMillis: 3_600_000 }).pipe(
      Stream.runForEach((s) => Effect.sync(() => seen.push(s))),
      Effect.either,
      Effect.fork
    )
    return { seen, fiber }
  })

const settle = (condition: () => boolean) =>
  Effect.gen(function*() {
    for (let i = 0; i < 2_000 && !condition(); i++) yield* Effect.yieldNow()
    expect(condition()).toBe(true)
  })

describe("followers with queue positions (TestClock)", () => {
  it.scoped("two ahead, then one: each position once, then Started; no lookups after the start", () =>
    Effect.gen(function*() {
      const { state, backend } = scripted()
      state.jobs = [
        { id: "p-c", status: "pending", create_time: 3 },
        { id: "p-b", status: "pending", create_time: 2 },
        { id: "p-a", status: "in_progress", create_time: 1 }
      ]
      const positions = yield* makeQueuePositions(backend.jobs, positionsTiming)
      const { follow, hub } = yield* makeHubFollow(backend, timing, true, positions)
      const f = yield* following(follow, "p-c")
      yield* settle(() => f.seen.length === 2)
      expect(f.seen).toEqual([queued(undefined), queued(2)])

      // The same answer again changes nothing.
      yield* PubSub.publish(hub, status)
      yield* TestClock.adjust("1 second")
      yield* settle(() => state.jobsCalls === 2)

      // p-a finished: one left ahead.
      state.jobs = [
        { id: "p-c", status: "pending", create_time: 3 },
        { id: "p-b", status: "in_progress", create_time: 2 },
        { id: "p-a", status: "completed", create_time: 1 }
      ]
      yield* PubSub.publish(hub, status)
      yield* TestClock.adjust("1 second")
      yield* settle(() => f.seen.length === 3)

      yield* PubSub.publish(hub, { _tag: "Started", promptId: "p-c" })
      yield* settle(() => f.seen.length === 4)
      const callsAtStart = state.jobsCalls
      for (let i = 0; i < 5; i++) yield* PubSub.publish(hub, status)
      yield* TestClock.adjust("10 seconds")
      expect(state.jobsCalls).toBe(callsAtStart)

      state.finished.add("p-c")
      yield* PubSub.publish(hub, { _tag: "Success", promptId: "p-c" })
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.join(f.fiber)).toEqual(Either.right(undefined))
      expect(f.seen).toEqual([queued(undefined), queued(2), queued(1), { _tag: "Started" }, succeeded])
    }))

  it.scoped("the jobs list showing the prompt in progress gives Started once, even when the frame follows", () =>
    Effect.gen(function*() {
      const { state, backend } = scripted()
      state.jobs = [{ id: "p-a", status: "in_progress", create_time: 1 }]
      const positions = yield* makeQueuePositions(backend.jobs, positionsTiming)
      const { follow, hub } = yield* makeHubFollow(backend, timing, true, positions)
      const f = yield* following(follow, "p-a")
      yield* settle(() => f.seen.length === 2)
      yield* PubSub.publish(hub, { _tag: "Started", promptId: "p-a" })
      yield* PubSub.publish(hub, { _tag: "Executing", promptId: "p-a", node: "3" })
      yield* settle(() => f.seen.length === 3)
      expect(f.seen).toEqual([queued(undefined), { _tag: "Started" }, { _tag: "Node", node: "3", label: "3" }])
      yield* Fiber.interrupt(f.fiber)
    }))

  it.scoped("jobs API 501: no position, one call per long interval, and the follower still ends normally", () =>
    Effect.gen(function*() {
      const { state, backend } = scripted()
      state.jobsAnswer = Effect.fail(new BackendError({ reason: "rejected", status: 501, message: "jobs_host_contract_unsupported" }))
      const positions = yield* makeQueuePositions(backend.jobs, positionsTiming)
      const { follow, hub } = yield* makeHubFollow(backend, timing, true, positions)
      const f = yield* following(follow, "p-a")
      yield* settle(() => state.jobsCalls === 1)
      for (let i = 0; i < 20; i++) yield* PubSub.publish(hub, status)
      yield* TestClock.adjust("30 seconds")
      expect(state.jobsCalls).toBe(1)
      state.finished.add("p-a")
      yield* PubSub.publish(hub, { _tag: "Started", promptId: "p-a" })
      yield* PubSub.publish(hub, { _tag: "Executing", promptId: "p-a", node: undefined })
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.join(f.fiber)).toEqual(Either.right(undefined))
      expect(f.seen).toEqual([queued(undefined), { _tag: "Started" }, succeeded])
    }))

  it.scoped("a malformed list or an unlisted prompt emits nothing new", () =>
    Effect.gen(function*() {
      const { state, backend } = scripted()
      state.jobsAnswer = Effect.succeed({ ok: true, contract_version: 1, jobs: [{ id: "p-a", status: "waiting", create_time: 1 }] })
      const positions = yield* makeQueuePositions(backend.jobs, positionsTiming)
      const { follow, hub } = yield* makeHubFollow(backend, timing, true, positions)
      const f = yield* following(follow, "p-a")
      yield* settle(() => state.jobsCalls === 1)
      state.jobsAnswer = undefined
      state.jobs = [{ id: "p-other", status: "pending", create_time: 1 }]
      yield* PubSub.publish(hub, status)
      yield* TestClock.adjust("1 second")
      yield* settle(() => state.jobsCalls === 2)
      yield* TestClock.adjust("1 second")
      expect(f.seen).toEqual([queued(undefined)])
      yield* Fiber.interrupt(f.fiber)
    }))

  it.scoped("many followers and a burst of status frames: one jobs call per second answers them all", () =>
    Effect.gen(function*() {
      const { state, backend } = scripted()
      const ids = Array.from({ length: 20 }, (_, i) => `p-${i}`)
      state.jobs = ids.map((id, i) => ({ id, status: "pending", create_time: i })).reverse()
      const positions = yield* makeQueuePositions(backend.jobs, positionsTiming)
      const { follow, hub } = yield* makeHubFollow(backend, timing, true, positions)
      const followers = yield* Effect.forEach(ids, (id) => following(follow, id))
      for (let i = 0; i < 50; i++) yield* PubSub.publish(hub, status)
      yield* TestClock.adjust("10 seconds")
      yield* settle(() => followers.every((f) => f.seen.length === 2))
      expect(state.jobsCalls).toBe(2)
      followers.forEach((f, i) => expect(f.seen).toEqual([queued(undefined), queued(i)]))

      // Another burst, spread over a few seconds: still at most one call per second.
      for (let second = 0; second < 5; second++) {
        for (let i = 0; i < 50; i++) yield* PubSub.publish(hub, status)
        yield* TestClock.adjust("250 millis")
      }
      yield* TestClock.adjust("10 seconds")
      const later = state.jobsTimes.slice(2)
      expect(later.length).toBeGreaterThanOrEqual(1)
      expect(later.length).toBeLessThanOrEqual(3)
      state.jobsTimes.forEach((t, i) => i === 0 || expect(t - state.jobsTimes[i - 1]!).toBeGreaterThanOrEqual(1_000))
      yield* Effect.forEach(followers, (f) => Fiber.interrupt(f.fiber))
    }))

  it.scoped("without the socket, each history poll also refreshes the position", () =>
    Effect.gen(function*() {
      const { state, backend } = scripted()
      state.jobs = [{ id: "p-b", status: "pending", create_time: 2 }, { id: "p-a", status: "in_progress", create_time: 1 }]
      const positions = yield* makeQueuePositions(backend.jobs, positionsTiming)
      const { follow } = yield* makeHubFollow(backend, timing, false, positions)
      const f = yield* following(follow, "p-b")
      yield* settle(() => f.seen.length === 2)
      state.jobs = [{ id: "p-b", status: "pending", create_time: 2 }, { id: "p-a", status: "completed", create_time: 1 }]
      yield* TestClock.adjust("1 second")
      yield* settle(() => f.seen.length === 3)
      expect(f.seen).toEqual([queued(undefined), queued(1), queued(0)])
      yield* Fiber.interrupt(f.fiber)
    }))

  it.scoped("a queue shrink with a usable jobs list: a shared jobs call, and only the prompt that ended asks history", () =>
    Effect.gen(function*() {
      const { state, backend } = scripted()
      const ids = Array.from({ length: 8 }, (_, i) => `p-${i}`)
      state.jobs = ids.map((id, i) => ({ id, status: i === 0 ? "in_progress" : "pending", create_time: i }))
      const positions = yield* makeQueuePositions(backend.jobs, positionsTiming)
      const { follow, hub } = yield* makeHubFollow(backend, timing, true, positions)
      const followers = yield* Effect.forEach(ids, (id) => following(follow, id))
      yield* settle(() => followers.every((f) => f.seen.length === 2))
      yield* TestClock.adjust("2 seconds")
      const historyBefore = state.historyCalls.length
      const jobsBefore = state.jobsCalls

      // p-0 ended: ComfyUI's queue shrank, and the jobs list shows it completed.
      state.finished.add("p-0")
      state.jobs = ids.map((id, i) => ({ id, status: i === 0 ? "completed" : i === 1 ? "in_progress" : "pending", create_time: i }))
      yield* PubSub.publish(hub, { _tag: "QueueShrank" })
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.join(followers[0]!.fiber)).toEqual(Either.right(undefined))
      yield* TestClock.adjust("1 second")
      expect(state.historyCalls.slice(historyBefore)).toEqual(["p-0"])
      // The followers' asks coalesce: one call at once, at most one more after the interval.
      expect(state.jobsCalls - jobsBefore).toBeLessThanOrEqual(2)
      expect(followers[0]!.seen.at(-1)).toEqual(succeeded)
      expect(followers[1]!.seen.at(-1)).toEqual({ _tag: "Started" })
      yield* Effect.forEach(followers, (f) => Fiber.interrupt(f.fiber))
    }))

  it.scoped("a queue shrink just after a status lookup is not held behind the 1 s spacing", () =>
    Effect.gen(function*() {
      const { state, backend } = scripted()
      const ids = ["p-0", "p-1"]
      state.jobs = [{ id: "p-0", status: "in_progress", create_time: 0 }, { id: "p-1", status: "pending", create_time: 1 }]
      const positions = yield* makeQueuePositions(backend.jobs, { ...positionsTiming, urgentMillis: 100 })
      const { follow, hub } = yield* makeHubFollow(backend, timing, true, positions)
      const followers = yield* Effect.forEach(ids, (id) => following(follow, id))
      yield* settle(() => followers.every((f) => f.seen.length === 2))
      yield* TestClock.adjust("2 seconds")
      // A status broadcast makes a position lookup now; p-0 ends right after it.
      const jobsBefore = state.jobsCalls
      yield* PubSub.publish(hub, status)
      yield* settle(() => state.jobsCalls === jobsBefore + 1)
      state.finished.add("p-0")
      state.jobs = [{ id: "p-0", status: "completed", create_time: 0 }, { id: "p-1", status: "in_progress", create_time: 1 }]
      yield* PubSub.publish(hub, { _tag: "QueueShrank" })
      // The result is due within the urgent spacing (the safety poll is 30 s away).
      yield* TestClock.adjust("150 millis")
      yield* settle(() => followers[0]!.seen.at(-1)?._tag === "Succeeded")
      yield* Effect.forEach(followers, (f) => Fiber.interrupt(f.fiber))
    }))

  it.scoped("without a usable list (501), a queue shrink wakes every follower's history check at once", () =>
    Effect.gen(function*() {
      const { state, backend } = scripted()
      state.jobsAnswer = Effect.fail(new BackendError({ reason: "rejected", status: 501, message: "jobs_host_contract_unsupported" }))
      const positions = yield* makeQueuePositions(backend.jobs, positionsTiming)
      const { follow, hub } = yield* makeHubFollow(backend, timing, true, positions)
      const followers = yield* Effect.forEach(["p-a", "p-b", "p-c"], (id) => following(follow, id))
      yield* settle(() => state.jobsCalls === 1 && state.historyCalls.length === 3)
      state.finished.add("p-b")
      yield* PubSub.publish(hub, { _tag: "QueueShrank" })
      yield* settle(() => state.historyCalls.length === 6)
      expect(yield* Fiber.join(followers[1]!.fiber)).toEqual(Either.right(undefined))
      expect(state.historyCalls.slice(3).sort()).toEqual(["p-a", "p-b", "p-c"])
      yield* Effect.forEach(followers, (f) => Fiber.interrupt(f.fiber))
    }))

  it.scoped("a prompt the list does not show, or a snapshot that fails after the shrink: history is asked anyway", () =>
    Effect.gen(function*() {
      const { state, backend } = scripted()
      state.jobs = [{ id: "p-listed", status: "in_progress", create_time: 1 }]
      const positions = yield* makeQueuePositions(backend.jobs, positionsTiming)
      const { follow, hub } = yield* makeHubFollow(backend, timing, true, positions)
      const unlisted = yield* following(follow, "p-unlisted")
      const listed = yield* following(follow, "p-listed")
      yield* settle(() => unlisted.seen.length === 1 && listed.seen.length === 2)
      yield* TestClock.adjust("2 seconds")
      const before = state.historyCalls.length
      state.finished.add("p-unlisted")
      yield* PubSub.publish(hub, { _tag: "QueueShrank" })
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.join(unlisted.fiber)).toEqual(Either.right(undefined))
      expect(state.historyCalls.slice(before)).toEqual(["p-unlisted"])

      // The list worked before, but the call after this shrink fails: the listed prompt checks too.
      state.finished.add("p-listed")
      state.jobsAnswer = Effect.fail(new BackendError({ reason: "unreachable", message: "backend unreachable" }))
      yield* PubSub.publish(hub, { _tag: "QueueShrank" })
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.join(listed.fiber)).toEqual(Either.right(undefined))
      expect(listed.seen.at(-1)).toEqual(succeeded)
    }))
})
