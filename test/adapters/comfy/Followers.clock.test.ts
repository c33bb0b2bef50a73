import { describe, expect, it } from "@effect/vitest"
import { Clock, Deferred, Effect, Either, Fiber, PubSub, Ref, Stream, TestClock } from "effect"
import { REFERENCE_POLL_SCHEDULE_MILLIS } from "../../../src/adapters/comfy/ComfyEventsLive.js"
import { BackendError, type Json } from "../../../src/ports/Backend.js"
import { ComfyFollowError, type JobSignal } from "../../../src/ports/ComfyEvents.js"
import { historyBackend, makeHubFollow } from "./support.js"

const timing = { pollScheduleMillis: REFERENCE_POLL_SCHEDULE_MILLIS, upPollMillis: 30_000 }
const done = (id: string) => ({ [id]: { outputs: { "9": { images: [{ filename: "a.png", subfolder: "", type: "output" }] } }, status: { status_str: "success" } } })
const succeeded: JobSignal = { _tag: "Succeeded", images: [{ filename: "a.png", subfolder: "", type: "output" }] }

/** A history that records when it was asked and answers `answer()` (`{}` by default). */
const recordingHistory = (answer: () => Json = () => ({})) => {
  const times: Array<number> = []
  const backend = historyBackend(() => Effect.map(Clock.currentTimeMillis, (t) => (times.push(t), answer())))
  return { times, backend }
}

/** Lets forked fibers run until `condition` holds (bounded). */
const settle = (condition: () => boolean) =>
  Effect.gen(function*() {
    for (let i = 0; i < 1_000 && !condition(); i++) yield* Effect.yieldNow()
    expect(condition()).toBe(true)
  })

const collect = (stream: Stream.Stream<JobSignal, ComfyFollowError>) =>
  stream.pipe(Stream.runCollect, Effect.map((c) => [...c]), Effect.either, Effect.fork)

describe("following by polling (TestClock)", () => {
  it.effect("asks history at 0, 1, 3, 7, 15, 30, 45, 60 s while the socket is down, then times out", () =>
    Effect.gen(function*() {
      const { times, backend } = recordingHistory()
      const { follow } = yield* makeHubFollow(backend, timing)
      const fiber = yield* collect(follow("p1", { deadlineMillis: 61_000 }))
      yield* TestClock.adjust("61 seconds")
      const result = yield* Fiber.join(fiber)
      expect(times).toEqual([0, 1_000, 3_000, 7_000, 15_000, 30_000, 45_000, 60_000])
      expect(Either.isLeft(result) && result.left).toEqual(
        new ComfyFollowError({ reason: "timeout", message: "no result for prompt p1 before the deadline" })
      )
    }))

  it.effect("keeps polling through backend failures and times out at the deadline", () =>
    Effect.gen(function*() {
      let calls = 0
      const backend = historyBackend(() =>
        Effect.suspend(() => (calls++, Effect.fail(new BackendError({ reason: "unreachable", message: "backend unreachable" }))))
      )
      const { follow } = yield* makeHubFollow(backend, timing)
      const fiber = yield* collect(follow("p1", { deadlineMillis: 20_000 }))
      yield* TestClock.adjust("20 seconds")
      const result = yield* Fiber.join(fiber)
      expect(calls).toBe(5)
      expect(Either.isLeft(result) && result.left.reason).toBe("timeout")
    }))

  it.effect("a prompt that already finished resolves at once, even past its deadline", () =>
    Effect.gen(function*() {
      yield* TestClock.adjust("1 hour")
      const { backend } = recordingHistory(() => done("p1"))
      const { follow } = yield* makeHubFollow(backend, timing)
      expect(yield* Fiber.join(yield* collect(follow("p1", { deadlineMillis: 0 })))).toEqual(Either.right([succeeded]))
    }))

  it.effect("ends with the entry found by a later poll", () =>
    Effect.gen(function*() {
      let finished = false
      const { times, backend } = recordingHistory(() => (finished ? done("p1") : {}))
      const { follow } = yield* makeHubFollow(backend, timing)
      const fiber = yield* collect(follow("p1", { deadlineMillis: 600_000 }))
      yield* TestClock.adjust("3 seconds")
      finished = true
      yield* TestClock.adjust("4 seconds")
      expect(yield* Fiber.join(fiber)).toEqual(Either.right([{ _tag: "Queued", ahead: undefined }, succeeded]))
      expect(times).toEqual([0, 1_000, 3_000, 7_000])
    }))

  it.effect("while the socket is up: safety polls every upPollMillis, queue-shrank wakes an immediate check", () =>
    Effect.gen(function*() {
      const { times, backend } = recordingHistory()
      const { follow, hub } = yield* makeHubFollow(backend, timing, true)
      const fiber = yield* collect(follow("p1", { deadlineMillis: 600_000 }))
      yield* TestClock.adjust("10 seconds")
      expect(times).toEqual([0])
      yield* PubSub.publish(hub, { _tag: "QueueShrank" })
      yield* settle(() => times.length === 2)
      yield* TestClock.adjust("30 seconds")
      expect(times).toEqual([0, 10_000, 40_000])
      yield* Fiber.interrupt(fiber)
    }))

  it.effect("a success frame before history is written is re-checked on the reference schedule", () =>
    Effect.gen(function*() {
      let finished = false
      const { times, backend } = recordingHistory(() => (finished ? done("p1") : {}))
      const { follow, hub } = yield* makeHubFollow(backend, timing, true)
      const fiber = yield* collect(follow("p1", { deadlineMillis: 600_000 }))
      yield* TestClock.adjust("5 seconds")
      yield* PubSub.publish(hub, { _tag: "Success", promptId: "p1" })
      yield* settle(() => times.length === 2)
      finished = true
      yield* TestClock.adjust("2 seconds")
      expect(yield* Fiber.join(fiber)).toEqual(Either.right([{ _tag: "Queued", ahead: undefined }, succeeded]))
      expect(times).toEqual([0, 5_000, 7_000])
    }))

  it.effect("an id the backend refuses fails with invalid-id", () =>
    Effect.gen(function*() {
      const backend = historyBackend(() => Effect.fail(new BackendError({ reason: "invalid-id", message: "invalid prompt id" })))
      const { follow } = yield* makeHubFollow(backend, timing)
      const result = yield* Fiber.join(yield* collect(follow("../x", { deadlineMillis: 600_000 })))
      expect(Either.isLeft(result) && result.left).toEqual(new ComfyFollowError({ reason: "invalid-id", message: "invalid prompt id" }))
    }))

  it.effect("shutdown ends the stream quietly; later follows are empty", () =>
    Effect.gen(function*() {
      const { backend } = recordingHistory()
      const { follow, shutdown, linkUp } = yield* makeHubFollow(backend, timing)
      const fiber = yield* collect(follow("p1", { deadlineMillis: 600_000 }))
      yield* TestClock.adjust("1 second")
      yield* Deferred.succeed(shutdown, undefined)
      expect(yield* Fiber.join(fiber)).toEqual(Either.right([{ _tag: "Queued", ahead: undefined }]))
      expect(yield* Fiber.join(yield* collect(follow("p2", { deadlineMillis: 600_000 })))).toEqual(Either.right([]))
      expect(yield* Ref.get(linkUp)).toBe(false)
    }))
})
