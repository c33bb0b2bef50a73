import { Deferred, Effect, Fiber } from "effect"
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
})
