import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck as fc, Runtime } from "effect"
import { notification, nowSeconds, signatureOf, textMessage } from "../../e2e/support/WhatsAppClient.js"
import { waitUntil } from "../../e2e/support/WhatsAppGraphApi.js"
import { send } from "../http/client.js"
import { APP_SECRET, setup } from "./harness.js"

/**
 * Fail-closed properties of the WhatsApp webhook: a delivery whose bytes or signature differ in
 * any single byte is refused before anything is decoded or run; a delivery seen before never
 * reaches the backend again.
 */
const COMMANDS = ["/status", "/help", "/run portrait a cat", "/approvals", "/jobs", "hello", "/history p-1"]
let sequence = 0
const freshBody = (text: string) =>
  JSON.stringify(notification([textMessage({ from: "123456789", id: `wamid.prop-${++sequence}`, text, timestamp: nowSeconds() })]))

/** Changes byte `index` of `bytes` to `value`, or to its successor when that would change nothing. */
const mutate = (bytes: Buffer, index: number, value: number): Buffer => {
  const copy = Buffer.from(bytes)
  const i = index % copy.length
  copy[i] = value === copy[i] ? (value + 1) % 256 : value
  return copy
}

describe("WhatsApp webhook properties", () => {
  it.scopedLive("any single-byte change to a signed body is refused with 401 and never reaches the backend", () =>
    Effect.gen(function*() {
      const h = yield* setup()
      const run = Runtime.runPromise(yield* Effect.runtime<never>())
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(fc.constantFrom(...COMMANDS), fc.nat(), fc.integer({ min: 0, max: 255 }), async (command, index, value) => {
            const body = Buffer.from(freshBody(command))
            const header = signatureOf(APP_SECRET, body)
            const res = await run(h.deliverRaw(mutate(body, index, value), { "x-hub-signature-256": header }))
            expect([res.status, res.text]).toEqual([401, "Invalid Signature"])
          }),
          { numRuns: 300 }
        )
      )
      expect(h.probe.claims).toEqual([])
      expect(h.backend.calls).toEqual([])
      expect(h.graph.calls).toEqual([])
    }))

  it.scopedLive("any single-byte change to the signature header is refused (except the prefix's letter case)", () =>
    Effect.gen(function*() {
      const h = yield* setup()
      const run = Runtime.runPromise(yield* Effect.runtime<never>())
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(
            fc.constantFrom(...COMMANDS),
            fc.boolean(),
            fc.nat(),
            fc.integer({ min: 0x20, max: 0xff }),
            async (command, withPrefix, index, value) => {
              const body = freshBody(command)
              const header = withPrefix ? signatureOf(APP_SECRET, body) : signatureOf(APP_SECRET, body).slice("sha256=".length)
              const changed = mutate(Buffer.from(header, "latin1"), index, value).toString("latin1")
              // `sha256=` is matched case-insensitively (spec §1.3): `SHA256=` is the same header.
              fc.pre(changed.slice(0, 7).toLowerCase() !== "sha256=" || changed.slice(7) !== header.slice(7))
              const res = await run(h.deliverRaw(body, { "x-hub-signature-256": changed }))
              expect([res.status, res.text]).toEqual([401, "Invalid Signature"])
            }
          ),
          { numRuns: 300 }
        )
      )
      expect(h.probe.claims).toEqual([])
      expect(h.backend.calls).toEqual([])
    }))

  it.scopedLive("a duplicate delivery never produces a second backend call or reply", () =>
    Effect.gen(function*() {
      const h = yield* setup()
      h.backend.set("health", { ok: true })
      h.backend.set("promptQueue", { queue_running: [], queue_pending: [] })
      h.backend.set("templates", { templates: [{ id: "portrait", allowed_inputs: ["positive_prompt"] }] })
      h.backend.set("submitJob", { pending: true, approval_id: "apr_000000000009", trace_id: "t", expires_at: "2099-01-01T00:00:00Z" })
      const run = Runtime.runPromise(yield* Effect.runtime<never>())
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(
            fc.oneof(fc.constantFrom(...COMMANDS), fc.string({ maxLength: 40 })),
            fc.integer({ min: 2, max: 4 }),
            async (command, copies) => {
              const body = freshBody(command)
              const first = await run(h.deliver(body))
              expect(first.status).toBe(200)
              const [backendCalls, replies] = [h.backend.calls.length, h.graph.calls.length]
              for (let n = 1; n < copies; n++) {
                const again = await run(h.deliver(body))
                expect([again.status, again.text]).toEqual([200, "OK"])
              }
              expect(h.backend.calls).toHaveLength(backendCalls)
              expect(h.graph.calls).toHaveLength(replies)
            }
          ),
          { numRuns: 100 }
        )
      )
    }))
})

describe("WhatsApp webhook over a real socket", () => {
  it.scopedLive("framework answers, and a signed message is answered after the 200", () =>
    Effect.gen(function*() {
      const h = yield* setup()
      const url = yield* h.serve
      const head = yield* send(`${url}?hub.mode=subscribe&hub.verify_token=dummy_verify&hub.challenge=77`, { method: "HEAD" })
      expect(head.status).toBe(200)
      const get = yield* send(`${url}?hub.mode=subscribe&hub.verify_token=dummy_verify&hub.challenge=77`, { method: "GET" })
      expect([get.status, get.text, get.headers["content-type"]]).toEqual([200, "77", "text/plain; charset=utf-8"])
      expect((yield* send(url, { method: "PUT", body: "{}" })).status).toBe(405)
      expect((yield* send(url, { body: "x".repeat(2 * 1024 * 1024) })).status).toBe(413)
      const unsigned = yield* send(url, { body: freshBody("/help") })
      expect([unsigned.status, unsigned.text, unsigned.headers["content-type"]]).toEqual([401, "Invalid Signature", "text/plain; charset=utf-8"])
      const body = freshBody("/help")
      const ok = yield* send(url, { body, headers: { "x-hub-signature-256": signatureOf(APP_SECRET, body) } })
      expect([ok.status, ok.text]).toEqual([200, "OK"])
      yield* Effect.promise(() => waitUntil(() => h.graph.calls.length === 1, 5_000, "the reply"))
      expect(h.graph.calls[0]!.body.to).toBe("123456789")
    }))
})
