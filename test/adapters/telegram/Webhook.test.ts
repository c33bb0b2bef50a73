import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck as fc, Logger, LogLevel, Option, Redacted } from "effect"
import type { RawRequest } from "../../../src/adapters/http/WebhookServer.js"
import type { Triage } from "../../../src/adapters/telegram/ExactlyOnce.js"
import { SECRET_HEADER, secretTokenMatches, telegramWebhookRoute } from "../../../src/adapters/telegram/Webhook.js"
import { ReplayStore } from "../../../src/ports/ReplayStore.js"
import { makeRecordingReplayStore } from "../../support/RecordingReplayStore.js"

const SECRET = "s3cret_Token-value"

const request = (headers: RawRequest["headers"], body: string | Buffer): RawRequest => ({
  method: "POST",
  path: "/telegram/webhook",
  query: new URLSearchParams(),
  headers,
  body: typeof body === "string" ? Buffer.from(body) : body,
  remoteAddress: "127.0.0.1"
})

/** A route whose triage records what reached it; `ran` lists the update ids whose work ran. */
const setup = (options: { readonly ready?: boolean; readonly failClaim?: (n: number) => boolean } = {}) =>
  Effect.gen(function*() {
    const seen: Array<number> = []
    const ran: Array<number> = []
    const triage = (_raw: unknown, id: number): Triage<never> => {
      seen.push(id)
      return { _tag: "Work", key: `telegram:1:${id}`, run: Effect.sync(() => void ran.push(id)) }
    }
    const recording = yield* makeRecordingReplayStore({ ...(options.failClaim ? { failClaim: options.failClaim } : {}) })
    const route = yield* telegramWebhookRoute<never>({
      path: "/telegram/webhook",
      secretToken: Redacted.make(SECRET),
      triage: Effect.succeed(options.ready === false ? Option.none() : Option.some(triage))
    })
    /** Handles a request like the server does: the answer, then the work behind it. */
    const send = (req: RawRequest) =>
      Effect.gen(function*() {
        const res = yield* route.handle(req)
        if (res.after !== undefined) yield* res.after
        return { status: res.status, body: String(res.body) }
      }).pipe(Effect.provideService(ReplayStore, recording.service))
    /** The server's view of a request interrupted after its answer, before its work started. */
    const abandon = (req: RawRequest) =>
      Effect.gen(function*() {
        const res = yield* route.handle(req)
        expect(res.abandon).toBeDefined()
        yield* res.abandon!
        return res.status
      }).pipe(Effect.provideService(ReplayStore, recording.service))
    return { send, abandon, seen, ran, probe: recording.probe }
  })

const update = (id: number) => JSON.stringify({ update_id: id, message: { message_id: 1, chat: { id: 5, type: "private" }, text: "/status" } })

describe("Telegram webhook route", () => {
  it.effect("the exact secret token is required; a valid update runs once, a redelivery is acknowledged", () =>
    Effect.gen(function*() {
      const h = yield* setup()
      expect(yield* h.send(request({ [SECRET_HEADER]: SECRET }, update(10)))).toEqual({ status: 200, body: "OK" })
      expect(yield* h.send(request({ [SECRET_HEADER]: SECRET }, update(10)))).toEqual({ status: 200, body: "OK" })
      expect(h.ran).toEqual([10])
      expect(h.probe.claims.map((c) => [c.key, c.outcome])).toEqual([
        ["telegram:1:10", "claimed"],
        ["telegram:1:10", "duplicate_after_success"]
      ])
    }))

  it.effect("an update interrupted before its work started gives its claim back: Telegram's retry runs it", () =>
    Effect.gen(function*() {
      const h = yield* setup()
      const ok = { [SECRET_HEADER]: SECRET }
      expect(yield* h.abandon(request(ok, update(13)))).toBe(200)
      expect(h.ran).toEqual([])
      expect(h.probe.releases).toEqual(["telegram:1:13"])
      expect(yield* h.send(request(ok, update(13)))).toEqual({ status: 200, body: "OK" })
      expect(h.ran).toEqual([13])
      expect(h.probe.claims.map((c) => c.outcome)).toEqual(["claimed", "retry_claimed"])
      expect(h.probe.commits).toEqual(["telegram:1:13"])
      expect(yield* h.send(request(ok, update(13)))).toEqual({ status: 200, body: "OK" })
      expect(h.ran).toEqual([13])
    }))

  it.effect("bad bodies are 400, an unknown identity or a store that cannot claim is 503 (Telegram retries)", () =>
    Effect.gen(function*() {
      const h = yield* setup({ failClaim: (n) => n === 1 })
      const ok = { [SECRET_HEADER]: SECRET }
      expect((yield* h.send(request(ok, "{oops"))).status).toBe(400)
      expect((yield* h.send(request(ok, "[1]"))).status).toBe(400)
      expect((yield* h.send(request(ok, Buffer.from([0xff, 0xfe])))).status).toBe(400)
      expect((yield* h.send(request(ok, JSON.stringify({ message: {} })))).status).toBe(400)
      expect((yield* h.send(request(ok, update(11)))).status).toBe(503)
      expect((yield* h.send(request(ok, update(11)))).status).toBe(200)
      expect(h.ran).toEqual([11])
      const waiting = yield* setup({ ready: false })
      expect((yield* waiting.send(request(ok, update(12)))).status).toBe(503)
      expect(waiting.ran).toEqual([])
    }))

  const notTheSecret = fc.oneof(
    fc.string({ maxLength: 300 }).filter((s) => s !== SECRET),
    fc.constantFrom("", " ", SECRET.toUpperCase(), `${SECRET} `, ` ${SECRET}`, SECRET.slice(0, -1), `${SECRET}x`, `${SECRET}\u0000`)
  )
  const header = fc.oneof(
    fc.constant(undefined),
    notTheSecret,
    fc.array(fc.oneof(notTheSecret, fc.constant(SECRET)), { minLength: 1, maxLength: 3 })
  )

  it.effect.prop(
    "any request without exactly the secret is refused with 401 and never reaches the domain or the store",
    [header, fc.oneof(fc.integer({ min: 0, max: 1_000_000 }).map(update), fc.string())],
    ([value, body]) =>
      Effect.gen(function*() {
        const h = yield* setup()
        const headers = value === undefined ? {} : { [SECRET_HEADER]: value as string }
        expect(yield* h.send(request(headers, body))).toEqual({ status: 401, body: "Unauthorized" })
        expect(h.seen).toEqual([])
        expect(h.probe.claims).toEqual([])
      }).pipe(Logger.withMinimumLogLevel(LogLevel.None)),
    { fastCheck: { numRuns: 300 } }
  )

  it("secretTokenMatches compares exactly and never matches an empty secret", () => {
    expect(secretTokenMatches(SECRET, Redacted.make(SECRET))).toBe(true)
    expect(secretTokenMatches("", Redacted.make(""))).toBe(false)
    expect(secretTokenMatches([SECRET], Redacted.make(SECRET))).toBe(false)
    expect(secretTokenMatches(undefined, Redacted.make(SECRET))).toBe(false)
  })
})
