import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck as fc } from "effect"
import { deliveryBody, lineSignature, postLine, textEvent } from "../../e2e/support/LineClient.js"
import { eventually, SECRET, serveLine } from "./harness.js"

/** Properties of the LINE webhook over a real socket. */

const PRINTABLE = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i))

describe("LINE webhook properties", () => {
  it.scopedLive("any single-byte change to a signed body or to its signature is refused with 401 and runs nothing", () =>
    Effect.gen(function*() {
      const { url, backend, probe, api } = yield* serveLine()
      const mutation = fc.record({
        target: fc.constantFrom("body" as const, "header" as const),
        position: fc.nat(),
        delta: fc.integer({ min: 1, max: 255 }),
        pick: fc.nat()
      })
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(fc.constantFrom("/status", "/run portrait a cat", "/help"), mutation, async (text, m) => {
            const body = Buffer.from(deliveryBody([textEvent(text, { userId: "U1" })]), "utf8")
            const signature = lineSignature(SECRET, body)
            let sentBody: Uint8Array = body
            let sentSignature = signature
            if (m.target === "body") {
              const copy = Buffer.from(body)
              const i = m.position % copy.length
              copy[i] = (copy[i]! + m.delta) % 256
              sentBody = copy
            } else {
              const i = m.position % signature.length
              const choices = PRINTABLE.filter((c) => c !== signature[i])
              sentSignature = signature.slice(0, i) + choices[m.pick % choices.length]! + signature.slice(i + 1)
            }
            const res = await postLine(url, SECRET, sentBody, { signature: sentSignature })
            expect(res).toEqual({ status: 401, text: "Invalid Signature" })
          }),
          { numRuns: 80 }
        )
      )
      expect(backend.calls).toEqual([])
      expect(probe.claims).toEqual([])
      expect(api.calls).toEqual([])
    }), 60_000)

  it.scopedLive("redeliveries (concurrent, partial, reordered) never make a second backend call for an event", () =>
    Effect.gen(function*() {
      const { url, backend, probe, api } = yield* serveLine()
      const scenario = fc.integer({ min: 1, max: 4 }).chain((n) =>
        fc.record({
          n: fc.constant(n),
          redeliveries: fc.array(
            fc.shuffledSubarray(Array.from({ length: n }, (_, i) => i), { minLength: 1 }),
            { minLength: 1, maxLength: 4 }
          )
        })
      )
      let run = 0
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(scenario, async ({ n, redeliveries }) => {
            run += 1
            const events = Array.from({ length: n }, (_, i) => textEvent("/status", { userId: `U${run}-${i}` }))
            const healthBefore = backend.callsTo("health").length
            const apiBefore = api.calls.length
            const deliveries = [events, ...redeliveries.map((indices) => indices.map((i) => events[i]!))]
            const answers = await Promise.all(deliveries.map((batch) => postLine(url, SECRET, deliveryBody(batch))))
            expect(answers.every((a) => a.status === 200 && a.text === "OK")).toBe(true)
            // Every admitted event ends with one outbound reply; duplicates were never admitted.
            await Effect.runPromise(eventually(() => api.calls.length >= apiBefore + n, 10_000, "replies"))
            const keys = events.map((e) => `line:${e.webhookEventId}`)
            expect(keys.every((k) => probe.commits.filter((c) => c === k).length === 1)).toBe(true)
            expect(backend.callsTo("health").length - healthBefore).toBe(n)
            expect(api.calls.length - apiBefore).toBe(n)
          }),
          { numRuns: 25 }
        )
      )
    }), 60_000)
})
