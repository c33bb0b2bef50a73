import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck as fc } from "effect"
import { sendInParts } from "../../../src/adapters/delivery/TextParts.js"
import { DeliveryError } from "../../../src/ports/ChatDelivery.js"

const REASONS = ["too-large", "unsupported", "rejected", "unavailable", "unknown-outcome"] as const

/** Parts 0..n-1; part `failAt` fails with `reason`; records what was sent. */
const run = (n: number, failAt: number, reason: DeliveryError["reason"]) => {
  const sent: Array<number> = []
  const effect = sendInParts({
    what: "Test text",
    parts: Array.from({ length: n }, (_, i) => i),
    send: (part) =>
      part === failAt
        ? Effect.fail(new DeliveryError({ reason, message: "no" }))
        : Effect.sync(() => {
          sent.push(part)
          return `ref-${part}`
        })
  })
  return { sent, effect }
}

describe("sendInParts", () => {
  it.effect("all parts in order; the receipt is the first part's ref", () =>
    Effect.gen(function*() {
      const { sent, effect } = run(3, -1, "rejected")
      expect(yield* effect).toEqual({ rung: "text", platformRef: "ref-0" })
      expect(sent).toEqual([0, 1, 2])
    }))

  it.effect("no parts: rejected, nothing sent", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(run(0, -1, "rejected").effect)
      expect(error.reason).toBe("rejected")
    }))

  it.effect.prop(
    "a first-part failure keeps its reason; any later failure is unknown-outcome and stops there",
    [fc.integer({ min: 1, max: 5 }), fc.nat(), fc.constantFrom(...REASONS)],
    ([n, k, reason]) =>
      Effect.gen(function*() {
        const failAt = k % n
        const { sent, effect } = run(n, failAt, reason)
        const error = yield* Effect.flip(effect)
        expect(error.reason).toBe(failAt === 0 ? reason : "unknown-outcome")
        expect(sent).toEqual(Array.from({ length: failAt }, (_, i) => i))
      })
  )
})
