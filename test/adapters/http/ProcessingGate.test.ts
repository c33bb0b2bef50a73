import { Deferred, Effect, Fiber, Ref } from "effect"
import { describe, expect, it } from "@effect/vitest"
import { makeProcessingGate } from "../../../src/adapters/http/ProcessingGate.js"

describe("processing gate (acknowledge, then process, bounded)", () => {
  it.effect("answers at once while permits last, then makes the next answer wait until work finishes", () =>
    Effect.gen(function*() {
      const gate = yield* makeProcessingGate(2)
      const release = yield* Deferred.make<void>()
      const done: Array<number> = []
      const work = (n: number) => Effect.zipRight(Deferred.await(release), Effect.sync(() => void done.push(n)))
      const first = yield* gate.answerThen({ status: 200, body: "OK" }, work(1))
      const second = yield* gate.answerThen({ status: 200, body: "OK" }, work(2))
      expect(first.status).toBe(200)
      const running = [yield* Effect.fork(first.after!), yield* Effect.fork(second.after!)]
      const third = yield* Effect.fork(gate.answerThen({ status: 200, body: "OK" }, work(3)))
      yield* Effect.yieldNow()
      expect(third.unsafePoll()).toBeNull()
      yield* Deferred.succeed(release, undefined)
      yield* Fiber.joinAll(running)
      const answered = yield* Fiber.join(third)
      expect(answered.body).toBe("OK")
      yield* answered.after!
      expect(done.sort()).toEqual([1, 2, 3])
    }))

  it.effect("a defect in the work is contained and its permit comes back", () =>
    Effect.gen(function*() {
      const gate = yield* makeProcessingGate(1)
      const failing = yield* gate.answerThen({ status: 200, body: "OK" }, Effect.die("boom"))
      yield* failing.after!
      const next = yield* gate.answerThen({ status: 200, body: "OK" }, Effect.void)
      expect(next.status).toBe(200)
    }))

  it.effect("a delivery interrupted while waiting for a permit gives its claims back", () =>
    Effect.gen(function*() {
      const gate = yield* makeProcessingGate(1)
      const given = yield* Ref.make(0)
      const holder = yield* gate.answerThen({ status: 200, body: "OK" }, Effect.void)
      const waiting = yield* Effect.fork(gate.answerThen({ status: 200, body: "OK" }, Effect.void, Ref.update(given, (n) => n + 1)))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(waiting)
      expect(yield* Ref.get(given)).toBe(1)
      yield* holder.after!
      // The permit count is intact: exactly one delivery can hold it again.
      const next = yield* gate.answerThen({ status: 200, body: "OK" }, Effect.void)
      const blocked = yield* Effect.fork(gate.answerThen({ status: 200, body: "OK" }, Effect.void))
      yield* Effect.yieldNow()
      expect(blocked.unsafePoll()).toBeNull()
      yield* next.after!
      yield* Fiber.join(blocked)
    }))

  it.effect("abandon before the work starts gives back claims and permit once; after it started it does nothing", () =>
    Effect.gen(function*() {
      const gate = yield* makeProcessingGate(1)
      const given = yield* Ref.make(0)
      const back = Ref.update(given, (n) => n + 1)
      const unstarted = yield* gate.answerThen({ status: 200, body: "OK" }, Effect.void, back)
      yield* unstarted.abandon!
      yield* unstarted.abandon!
      expect(yield* Ref.get(given)).toBe(2) // claims released twice is harmless; the permit once:
      const ran = yield* gate.answerThen({ status: 200, body: "OK" }, Effect.void, back)
      const blocked = yield* Effect.fork(gate.answerThen({ status: 200, body: "OK" }, Effect.void))
      yield* Effect.yieldNow()
      expect(blocked.unsafePoll()).toBeNull()
      yield* ran.after!
      yield* ran.abandon!
      expect(yield* Ref.get(given)).toBe(2)
      yield* Fiber.join(blocked)
    }))

  it.effect("work interrupted by shutdown gives its claims back and returns the permit", () =>
    Effect.gen(function*() {
      const gate = yield* makeProcessingGate(1)
      const given = yield* Ref.make(0)
      const started = yield* Deferred.make<void>()
      const answer = yield* gate.answerThen(
        { status: 200, body: "OK" },
        Effect.zipRight(Deferred.succeed(started, undefined), Effect.never),
        Ref.update(given, (n) => n + 1)
      )
      const running = yield* Effect.fork(answer.after!)
      yield* Deferred.await(started)
      yield* Fiber.interrupt(running)
      expect(yield* Ref.get(given)).toBe(1)
      const next = yield* gate.answerThen({ status: 200, body: "OK" }, Effect.void)
      expect(next.status).toBe(200)
    }))
})
