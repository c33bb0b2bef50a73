import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck as fc } from "effect"
import { freshNonce, textMessageXml } from "../../e2e/support/WeChatClient.js"
import { startHarness } from "./harness.js"

/**
 * Fail-closed properties of the POST route, run in-process against one harness per test (each
 * run uses its own sender, MsgId and nonce, so runs do not see each other's claims).
 */
let serial = 0
const unique = () => `${Date.now()}-${++serial}`
const message = (id: string, compact = false) => {
  const xml = textMessageXml({ from: `o${id}`, content: "/status", to: "gh_official", msgId: id })
  return compact ? xml.replace(/\n/g, "") : xml
}

/** Runs `check` (which asserts with `expect`) as an async fast-check property. */
const runProperty = <T>(arb: fc.Arbitrary<T>, check: (value: T) => Effect.Effect<void>, numRuns: number) =>
  Effect.promise(() => fc.assert(fc.asyncProperty(arb, (value) => Effect.runPromise(check(value))), { numRuns }))

const mutateQuery = (target: string, key: string, at: number, replacement: string): string | undefined => {
  const [path, search] = target.split("?") as [string, string]
  const q = new URLSearchParams(search)
  const original = q.get(key) ?? ""
  if (original === "") return undefined
  const index = at % original.length
  const changed = original.slice(0, index) + replacement + original.slice(index + 1)
  const same = key === "signature" ? changed.toLowerCase() === original : changed === original
  if (same) return undefined
  q.set(key, changed)
  return `${path}?${q}`
}

describe("WeChat POST properties", () => {
  it.scopedLive("any single-character change to signature, timestamp or nonce is refused with 401 and runs nothing", () =>
    Effect.gen(function*() {
      const h = yield* startHarness()
      const arb = fc.tuple(
        fc.constantFrom("signature", "timestamp", "nonce"),
        fc.nat(),
        fc.string({ minLength: 1, maxLength: 1, unit: "binary" })
      )
      yield* runProperty(arb, ([key, at, replacement]) =>
        Effect.gen(function*() {
          const delivery = h.client.delivery(message(unique()))
          const target = mutateQuery(delivery.target, key, at, replacement)
          if (target === undefined) return
          const before = h.statusRuns()
          const res = yield* h.direct({ ...delivery, target })
          expect([res.status, res.text]).toEqual([401, "Invalid Signature"])
          expect(h.statusRuns()).toBe(before)
        }), 200)
    }))

  it.scopedLive("in safe mode any single-byte change to the body is refused (400/401) and runs nothing", () =>
    Effect.gen(function*() {
      const h = yield* startHarness()
      const arb = fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }))
      yield* runProperty(arb, ([at, byte]) =>
        Effect.gen(function*() {
          const delivery = h.client.delivery(message(unique(), true), { aes: true, nonce: freshNonce() })
          const body = Buffer.from(delivery.body, "utf8")
          const index = at % body.length
          if (body[index] === byte) return
          body[index] = byte
          const before = h.statusRuns()
          const res = yield* h.direct({ target: delivery.target, body })
          expect([400, 401]).toContain(res.status)
          expect(h.statusRuns()).toBe(before)
        }), 300)
    }))

  it.scopedLive("the unmodified safe-mode delivery is accepted (the property above is not vacuous)", () =>
    Effect.gen(function*() {
      const h = yield* startHarness()
      const res = yield* h.direct(h.client.delivery(message(unique(), true), { aes: true }))
      expect(res.status).toBe(200)
      expect(h.statusRuns()).toBe(1)
    }))

  it.scopedLive("however a message is redelivered (same request or new nonce), the backend runs it once", () =>
    Effect.gen(function*() {
      const h = yield* startHarness()
      const arb = fc.tuple(fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }), fc.boolean())
      yield* runProperty(arb, ([redeliveries, aes]) =>
        Effect.gen(function*() {
          const xml = message(unique())
          const first = h.client.delivery(xml, { aes })
          const before = h.statusRuns()
          expect((yield* h.direct(first)).status).toBe(200)
          for (const sameRequest of redeliveries) {
            const res = yield* h.direct(sameRequest ? first : h.client.delivery(xml, { aes }))
            expect(sameRequest ? [403, "Replay Rejected"] : [200, "success"]).toEqual([res.status, res.text])
          }
          expect(h.statusRuns() - before).toBe(1)
        }), 100)
    }))
})
