import { createServer } from "node:http"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, FastCheck as fc, Layer, Logger, LogLevel, Metric, Queue, Runtime } from "effect"
import { isLoopbackHttpUrl } from "../../../src/adapters/http/PublicUrl.js"
import { WebhookServer } from "../../../src/adapters/http/WebhookServer.js"
import { kakaoRoute, type KakaoRouteOptions } from "../../../src/adapters/kakao/KakaoWebhook.js"
import { inboundCounter } from "../../../src/domain/model/Metrics.js"
import type { ReplayStore } from "../../../src/ports/ReplayStore.js"
import { postJson, send } from "../http/client.js"
import { fakeReplayStore, otherPorts } from "./fakes.js"

const PATH = "/kakao/webhook"
const skillBody = (userId: string, utterance: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ bot: { id: "bot" }, userRequest: { user: { id: userId, type: "botUserKey" }, utterance, ...extra } })

/** Starts the Kakao route on 127.0.0.1:0 over the given replay store; returns the webhook URL and logs. */
const serve = (store: Layer.Layer<ReplayStore>, options: Partial<KakaoRouteOptions> = {}) =>
  Effect.gen(function*() {
    const logs: Array<string> = []
    const capture = Logger.make(({ message }) => {
      logs.push(Array.isArray(message) ? message.map(String).join(" ") : String(message))
    })
    const address = yield* WebhookServer.make({
      name: "kakao",
      bind: "127.0.0.1",
      port: 0,
      routes: [kakaoRoute({ path: PATH, allowedUsers: [], ...options })]
    }).pipe(Effect.provide(Layer.mergeAll(store, otherPorts, Logger.replace(Logger.defaultLogger, capture), Logger.minimumLogLevel(LogLevel.Debug))))
    return { url: `${address.url}${PATH}`, base: address.url, logs }
  })

/** A local stand-in for Kakao's callback endpoint: every POST body lands in the queue. */
const callbackServer = Effect.gen(function*() {
  const received = yield* Queue.unbounded<{ readonly path: string; readonly body: unknown }>()
  const runtime = yield* Effect.runtime<never>()
  const server = createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      Runtime.runSync(runtime)(Queue.offer(received, { path: req.url ?? "", body: JSON.parse(Buffer.concat(chunks).toString()) }))
      res.writeHead(200, { "content-type": "application/json" }).end("{}")
    })
  })
  const port = yield* Effect.acquireRelease(
    Effect.async<number>((resume) => {
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed((server.address() as { port: number }).port)))
    }),
    () => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
  )
  return { received, url: `http://127.0.0.1:${port}` }
})

const kakaoCount = (outcome: string) =>
  Effect.map(Metric.value(inboundCounter("kakao", outcome)), (s) => s.count)

const isSkillResponse = (json: unknown) => {
  const j = json as { version?: unknown; template?: { outputs?: Array<{ simpleText?: { text?: unknown } }> } }
  return j.version === "2.0" && Array.isArray(j.template?.outputs) && j.template.outputs.length >= 1 &&
    typeof j.template.outputs[0]?.simpleText?.text === "string" && (j.template.outputs[0].simpleText.text as string).startsWith("[OpenClaw] ")
}
const firstText = (json: unknown) => (json as { template: { outputs: Array<{ simpleText: { text: string } }> } }).template.outputs[0]!.simpleText.text

describe("Kakao webhook over a real socket", () => {
  it.scopedLive("a valid request is run once and answered with a SkillResponse as JSON", () =>
    Effect.gen(function*() {
      const { layer, probe } = fakeReplayStore()
      const { url } = yield* serve(layer)
      const before = yield* kakaoCount("handled")
      const raw = `{"userRequest": {"user": {"id": "user1"}, "utterance": "ping"}}`
      const res = yield* postJson(url, raw)
      expect(res.status).toBe(200)
      expect(res.headers["content-type"]).toBe("application/json; charset=utf-8")
      expect(res.json).toEqual({
        version: "2.0",
        template: { outputs: [{ simpleText: { text: "[OpenClaw] Unknown command: ping. Type /help for options." } }] }
      })
      expect(probe.claims).toEqual([{
        key: "kakao:user1:97fe905ce4796d0a5a5169015e91fa169ddf729f2a9a4b3341f353add901f90d",
        ttlMillis: 10_000,
        outcome: "claimed"
      }])
      expect(probe.commits).toHaveLength(1)
      expect((yield* kakaoCount("handled")) - before).toBe(1)
    }))

  it.scopedLive("a duplicate is answered with a valid SkillResponse and not run again", () =>
    Effect.gen(function*() {
      const { layer, probe } = fakeReplayStore()
      const { url } = yield* serve(layer)
      const before = yield* kakaoCount("duplicate")
      const body = skillBody("u1", "/status", { callbackUrl: null })
      expect((yield* postJson(url, body)).status).toBe(200)
      const again = yield* postJson(url, body)
      expect(again.status).toBe(200)
      expect(again.json).toEqual({
        version: "2.0",
        template: { outputs: [{ simpleText: { text: "[OpenClaw] This request was already received." } }] }
      })
      expect(probe.claims.map((c) => c.outcome)).toEqual(["claimed", "duplicate_after_success"])
      expect(probe.commits).toHaveLength(1)
      expect((yield* kakaoCount("duplicate")) - before).toBe(1)
    }))

  it.scopedLive("the same utterance in two requests with their own callbackUrls runs twice (K2)", () =>
    Effect.gen(function*() {
      const { layer, probe } = fakeReplayStore()
      const cb = yield* callbackServer
      const { url } = yield* serve(layer, { callbackUrlAllowed: isLoopbackHttpUrl })
      for (const id of ["a", "b"]) {
        const res = yield* postJson(url, skillBody("u1", "/status", { callbackUrl: `${cb.url}/cb/${id}` }))
        expect(isSkillResponse(res.json)).toBe(true)
      }
      expect(probe.claims.map((c) => [c.outcome, c.ttlMillis])).toEqual([["claimed", 300_000], ["claimed", 300_000]])
      expect(probe.commits).toHaveLength(2)
      expect(yield* Queue.size(cb.received)).toBe(0) // fast commands answer in the response itself
    }))

  it.scopedLive("malformed bodies get 400 with a short reason and run nothing; a valid request is then served", () =>
    Effect.gen(function*() {
      const { layer, probe } = fakeReplayStore()
      const { url } = yield* serve(layer)
      const before = yield* kakaoCount("malformed")
      const cases: ReadonlyArray<readonly [string | Uint8Array, string]> = [
        ["{not json", "Bad JSON"],
        [Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d]), "Bad Request: body is not valid UTF-8"],
        ["[]", "Bad Request: expected a JSON object"],
        ["42", "Bad Request: expected a JSON object"],
        [`{"userRequest":{"utterance":"hi","user":{}}}`, "Bad Request: missing or invalid userRequest.user.id"],
        [`{"userRequest":{"utterance":"hi","user":{"id":""}}}`, "Bad Request: missing or invalid userRequest.user.id"]
      ]
      for (const [body, reason] of cases) {
        const res = yield* send(url, { body })
        expect([res.status, res.text]).toEqual([400, reason])
        expect(res.headers["content-type"]).toBe("text/plain; charset=utf-8")
      }
      expect(probe.claims).toEqual([])
      expect((yield* kakaoCount("malformed")) - before).toBe(cases.length)
      const ok = yield* postJson(url, skillBody("u1", "hello"))
      expect(ok.status).toBe(200)
      expect(isSkillResponse(ok.json)).toBe(true)
    }))

  it.scopedLive("framework answers: 413 for 2 MiB, 405 on GET, 404 elsewhere; nothing runs", () =>
    Effect.gen(function*() {
      const { layer, probe } = fakeReplayStore()
      const { url, base } = yield* serve(layer)
      const padded = skillBody("u1", "x".repeat(2 * 1024 * 1024))
      expect((yield* send(url, { body: padded })).status).toBe(413)
      expect((yield* send(url, { body: padded, chunked: true })).status).toBe(413)
      const get = yield* send(url, { method: "GET" })
      expect(get.status).toBe(405)
      const missing = yield* send(`${base}/kakao/other`, { body: skillBody("u1", "hi") })
      expect([missing.status, missing.text]).toEqual([404, "404: Not Found"])
      expect(probe.claims).toEqual([])
    }))

  it.scopedLive("a replay store that cannot answer gets 503 with a SkillResponse, and nothing runs", () =>
    Effect.gen(function*() {
      const { layer, probe } = fakeReplayStore({ failClaims: true })
      const { url } = yield* serve(layer)
      const before = yield* kakaoCount("refused")
      const res = yield* postJson(url, skillBody("u1", "/run sdxl cat"))
      expect(res.status).toBe(503)
      expect(res.headers["content-type"]).toBe("application/json; charset=utf-8")
      expect(firstText(res.json)).toBe("[OpenClaw] [Error] Service temporarily unavailable. Please try again.")
      expect(probe.commits).toEqual([])
      expect((yield* kakaoCount("refused")) - before).toBe(1)
    }))

  it.scopedLive("a defect in the core gets a 500 SkillResponse error and the server keeps serving", () =>
    Effect.gen(function*() {
      const { layer } = fakeReplayStore({ dieOnClaim: true })
      const { url, logs } = yield* serve(layer)
      const res = yield* postJson(url, skillBody("u1", "hi"))
      expect(res.status).toBe(500)
      expect(firstText(res.json)).toBe("[OpenClaw] [Error] Internal Error")
      expect(logs.some((l) => l.includes("Kakao command failed with a defect"))).toBe(true)
      expect((yield* postJson(url, skillBody("u1", "hi again"))).status).toBe(500)
    }))

  it.scopedLive("untrusted senders are logged (at debug level) and still routed", () =>
    Effect.gen(function*() {
      const { layer, probe } = fakeReplayStore()
      const { url, logs } = yield* serve(layer, { allowedUsers: ["trusted-1"] })
      const res = yield* postJson(url, skillBody("stranger", "/run sdxl cat"))
      expect(res.status).toBe(200)
      expect(probe.claims.map((c) => c.outcome)).toEqual(["claimed"])
      expect(logs).toContain("Untrusted Kakao message from user=stranger (Not in allowlist; approval required)")
      yield* postJson(url, skillBody("TRUSTED-1", "/help"))
      expect(logs.filter((l) => l.startsWith("Untrusted"))).toHaveLength(1)
    }))
})

describe("Kakao callback mode (bug K4 fixed)", () => {
  it.scopedLive("a slow command answers useCallback, then POSTs the final SkillResponse once", () =>
    Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const { layer, probe } = fakeReplayStore({ commitGate: gate })
      const cb = yield* callbackServer
      const { url } = yield* serve(layer, { callbackAfterMillis: 50, callbackUrlAllowed: isLoopbackHttpUrl })
      const res = yield* postJson(url, skillBody("u1", "/status", { callbackUrl: `${cb.url}/cb/token-1` }))
      expect(res.status).toBe(200)
      expect(res.json).toEqual({ version: "2.0", useCallback: true, data: { text: "[OpenClaw] Working on it..." } })
      expect(yield* Queue.size(cb.received)).toBe(0) // the command cannot finish before the gate opens
      yield* Deferred.succeed(gate, undefined)
      const delivered = yield* Queue.take(cb.received)
      expect(delivered.path).toBe("/cb/token-1")
      expect(isSkillResponse(delivered.body)).toBe(true)
      expect(probe.claims).toHaveLength(1)
      expect(probe.commits).toHaveLength(1)
      expect(yield* Queue.size(cb.received)).toBe(0)
    }))

  it.scopedLive("a callbackUrl outside the allowed targets is not used: the answer waits for the reply", () =>
    Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const started = yield* Deferred.make<void>()
      const { layer, probe } = fakeReplayStore({ commitGate: gate, commitStarted: started })
      const cb = yield* callbackServer
      const { url, logs } = yield* serve(layer, { callbackAfterMillis: 1 }) // default rule: public https only
      const pending = yield* Effect.fork(postJson(url, skillBody("u1", "/status", { callbackUrl: `${cb.url}/cb/x` })))
      yield* Deferred.await(started)
      yield* Deferred.succeed(gate, undefined)
      const res = yield* pending
      expect(res.status).toBe(200)
      expect(isSkillResponse(res.json)).toBe(true)
      expect(probe.commits).toHaveLength(1)
      expect(yield* Queue.size(cb.received)).toBe(0)
      expect(logs.some((l) => l.includes("callbackUrl refused"))).toBe(true)
    }))
})

describe("Kakao webhook robustness", () => {
  const arbitraryBody = fc.oneof(
    fc.uint8Array({ maxLength: 4096 }),
    fc.string({ unit: "binary", maxLength: 2000 }).map((s) => Buffer.from(s, "utf8")),
    fc.json().map((s) => Buffer.from(s)),
    fc.record({
      userRequest: fc.record({
        user: fc.oneof(fc.record({ id: fc.oneof(fc.string(), fc.jsonValue()) }), fc.jsonValue()),
        utterance: fc.oneof(fc.string({ unit: "grapheme", maxLength: 300 }), fc.jsonValue()),
        callbackUrl: fc.oneof(fc.constant(undefined), fc.webUrl(), fc.string(), fc.jsonValue())
      }, { requiredKeys: [] })
    }, { requiredKeys: [] }).map((v) => Buffer.from(JSON.stringify(v)))
  )

  it.scopedLive("for any body bytes the answer is below 500", () =>
    Effect.gen(function*() {
      const { layer } = fakeReplayStore()
      const { url } = yield* serve(layer)
      const run = Runtime.runPromise(yield* Effect.runtime<never>())
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(arbitraryBody, async (body) => {
            const res = await run(send(url, { body }))
            expect(res.status).toBeLessThan(500)
            expect([200, 400]).toContain(res.status)
          }),
          { numRuns: 300 }
        )
      )
    }))
})
