import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Metric } from "effect"
import { inboundCounter } from "../../../src/domain/model/Metrics.js"
import { Texts } from "../../../src/domain/render/Texts.js"
import { RateLimiter } from "../../../src/ports/RateLimiter.js"
import { PUSH_PATH, REPLY_PATH, textsOf } from "../../e2e/support/LineApiFake.js"
import { deliveryBody, eventId, followEvent, lineSignature, postbackEvent, textEvent } from "../../e2e/support/LineClient.js"
import { ACCESS_TOKEN, eventually, SECRET, serveLine } from "./harness.js"

const lineCount = (outcome: string) => Effect.map(Metric.value(inboundCounter("line", outcome)), (s) => s.count)

describe("LINE webhook: authentication and decoding", () => {
  it.scopedLive("the console's Verify request is answered 200 OK and runs nothing", () =>
    Effect.gen(function*() {
      const { post, api, probe } = yield* serveLine()
      const res = yield* post(`{"events":[]}`)
      expect(res).toEqual({ status: 200, text: "OK" })
      expect(probe.claims).toEqual([])
      expect(api.calls).toEqual([])
    }))

  it.scopedLive("a missing, wrong or other-secret signature gets 401 before anything is decoded", () =>
    Effect.gen(function*() {
      const { post, probe, backend } = yield* serveLine()
      const before = yield* lineCount("unauthenticated")
      const body = deliveryBody([textEvent("/status", { userId: "U1" })])
      expect(yield* post(body, "")).toEqual({ status: 401, text: "Invalid Signature" })
      expect(yield* post(body, "invalid_sig")).toEqual({ status: 401, text: "Invalid Signature" })
      expect(yield* post(body, lineSignature("another-secret", body))).toEqual({ status: 401, text: "Invalid Signature" })
      // Unsigned garbage is a 401 too: the signature is checked before the bytes are looked at.
      expect((yield* post(Buffer.from([0xff, 0xfe, 0x00]), "x")).status).toBe(401)
      expect((yield* lineCount("unauthenticated")) - before).toBe(4)
      expect(probe.claims).toEqual([])
      expect(backend.calls).toEqual([])
    }))

  it.scopedLive("a sha256= prefixed signature is accepted", () =>
    Effect.gen(function*() {
      const { post } = yield* serveLine()
      const body = `{"events":[]}`
      expect(yield* post(body, `sha256=${lineSignature(SECRET, body)}`)).toEqual({ status: 200, text: "OK" })
    }))

  it.scopedLive("signed bodies that do not decode get 400, never 500 (bug L3)", () =>
    Effect.gen(function*() {
      const { post, probe } = yield* serveLine()
      const cases: ReadonlyArray<readonly [string | Uint8Array, string]> = [
        ["{not json", "Bad JSON"],
        [Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d]), "Bad Request: body is not valid UTF-8"],
        ["[]", "Bad Request: expected a JSON object"],
        ["42", "Bad Request: expected a JSON object"],
        [`{"events":{"a":1}}`, "Bad Request: events must be an array"]
      ]
      for (const [body, text] of cases) expect(yield* post(body)).toEqual({ status: 400, text })
      expect(probe.claims).toEqual([])
    }))
})

describe("LINE webhook: events", () => {
  it.scopedLive("a DM /status is acknowledged, then answered with the reply API and the event's token", () =>
    Effect.gen(function*() {
      const { post, api, probe, backend } = yield* serveLine()
      const id = eventId()
      const res = yield* post(deliveryBody([textEvent("/status", { userId: "U1", webhookEventId: id, replyToken: "rt-1" })]))
      expect(res).toEqual({ status: 200, text: "OK" })
      const [call] = yield* Effect.promise(() => api.waitFor((c) => c.length >= 1))
      expect(call!.path).toBe(REPLY_PATH)
      expect(call!.headers["authorization"]).toBe(`Bearer ${ACCESS_TOKEN}`)
      expect(call!.body).toEqual({
        replyToken: "rt-1",
        messages: [{ type: "text", text: "[Online] System Status\n- Logs: 3\n- Errors: 0\n- Queue: 1" }]
      })
      expect(probe.claims).toEqual([{ key: `line:${id}`, ttlMillis: 720_000, outcome: "claimed" }])
      expect(probe.commits).toEqual([`line:${id}`])
      expect(backend.callsTo("health")).toHaveLength(1)
    }))

  it.scopedLive("stale, future and duplicate events are skipped while their neighbours run (bug L1)", () =>
    Effect.gen(function*() {
      const { post, api, probe, logs } = yield* serveLine()
      const seen = textEvent("/help", { userId: "U0" })
      expect((yield* post(deliveryBody([seen]))).status).toBe(200)
      yield* Effect.promise(() => api.waitFor((c) => c.length === 1))
      const staleBefore = yield* lineCount("stale")
      const batch = [
        textEvent("/help", { userId: "U1", replyToken: "rt-a" }),
        textEvent("/help", { userId: "U2", timestamp: Date.now() - 400_000 }),
        seen,
        textEvent("/help", { userId: "U3", timestamp: Date.now() + 120_000 }),
        textEvent("/help", { userId: "U4", replyToken: "rt-e" })
      ]
      expect(yield* post(deliveryBody(batch))).toEqual({ status: 200, text: "OK" })
      const calls = yield* Effect.promise(() => api.waitFor((c) => c.length === 3))
      expect(calls.slice(1).map((c) => c.body.replyToken)).toEqual(["rt-a", "rt-e"])
      expect(probe.claims.map((c) => c.outcome)).toEqual(["claimed", "claimed", "duplicate_after_success", "claimed"])
      expect((yield* lineCount("stale")) - staleBefore).toBe(2)
      expect(logs.filter((l) => l.includes("outside the freshness window"))).toHaveLength(2)
      // A delivery whose every event is skipped is still acknowledged.
      expect(yield* post(deliveryBody([seen, batch[1]!]))).toEqual({ status: 200, text: "OK" })
    }))

  it.scopedLive("a replay store that cannot hold a claim gets 503; claims already taken are released", () =>
    Effect.gen(function*() {
      const { post, api, probe, backend } = yield* serveLine({ store: { failClaimsFrom: 2 } })
      const before = yield* lineCount("refused")
      const first = textEvent("/status", { userId: "U1" })
      const res = yield* post(deliveryBody([first, textEvent("/status", { userId: "U2" })]))
      expect(res).toEqual({ status: 503, text: "Service Unavailable" })
      expect(probe.releases).toEqual([`line:${first.webhookEventId}`])
      expect((yield* lineCount("refused")) - before).toBe(2)
      expect(api.calls).toEqual([])
      expect(backend.calls).toEqual([])
    }))

  it.scopedLive("group chatter is claimed and committed without a reply; slash commands and mentions are answered (G1)", () =>
    Effect.gen(function*() {
      const { post, api, probe, backend } = yield* serveLine()
      const chatter = textEvent("status please", { userId: "U1", groupId: "C1" })
      const otherMention = textEvent("@Bob /status", { userId: "U1", groupId: "C1", mentionees: [{ index: 0, length: 4, userId: "U2" }] })
      expect((yield* post(deliveryBody([chatter]))).status).toBe(200)
      yield* eventually(() => probe.commits.length === 1, 5_000, "chatter commit")
      expect(api.calls).toEqual([])
      expect(backend.calls).toEqual([])
      const command = textEvent("/status", { userId: "U1", groupId: "C1", replyToken: "rt-cmd" })
      const mention = textEvent("@OpenClaw /help", { userId: "U1", roomId: "R1", replyToken: "rt-men", mentionees: [{ index: 0, length: 9, isSelf: true }] })
      expect((yield* post(deliveryBody([command, mention]))).status).toBe(200)
      const calls = yield* Effect.promise(() => api.waitFor((c) => c.length === 2))
      expect(calls.map((c) => c.body.replyToken)).toEqual(["rt-cmd", "rt-men"])
      expect(textsOf([calls[1]!])[0]).toBe(Texts.help)
      // The other user's mention starts with "@" and is not a slash command: ignored.
      expect((yield* post(deliveryBody([otherMention]))).status).toBe(200)
      yield* eventually(() => probe.commits.length === 4, 5_000, "mention commit")
      expect(api.calls).toHaveLength(2)
    }))

  it.scopedLive("events without a user id, without a key, and other event types run nothing and take no claim", () =>
    Effect.gen(function*() {
      const { post, api, probe } = yield* serveLine()
      const events = [
        textEvent("/help", { groupId: "C1" }),
        textEvent("/help", { userId: "U1", webhookEventId: null, replyToken: null }),
        followEvent({ userId: "U1" }),
        postbackEvent("action=buy", { userId: "U1" }),
        { ...textEvent("x", { userId: "U1" }), message: { id: "1", type: "sticker" } }
      ]
      expect(yield* post(deliveryBody(events))).toEqual({ status: 200, text: "OK" })
      expect(probe.claims).toEqual([])
      expect(api.calls).toEqual([])
    }))

  it.scopedLive("an event without webhookEventId is keyed by its reply token", () =>
    Effect.gen(function*() {
      const { post, api, probe } = yield* serveLine()
      const body = deliveryBody([textEvent("/help", { userId: "U1", webhookEventId: null, replyToken: "rt-only" })])
      expect((yield* post(body)).status).toBe(200)
      expect((yield* post(body)).status).toBe(200)
      yield* Effect.promise(() => api.waitFor((c) => c.length === 1))
      expect(probe.claims.map((c) => c.key)).toEqual(["line:rt:rt-only", "line:rt:rt-only"])
      expect(probe.claims[0]!.outcome).toBe("claimed")
      expect(["duplicate_in_flight", "duplicate_after_success"]).toContain(probe.claims[1]!.outcome)
    }))

  it.scopedLive("a room message is answered in the room; an old event goes by push to the room id", () =>
    Effect.gen(function*() {
      const { post, api } = yield* serveLine()
      const old = textEvent("/help", { userId: "U1", roomId: "R5", timestamp: Date.now() - 55_000 })
      expect((yield* post(deliveryBody([old]))).status).toBe(200)
      const [call] = yield* Effect.promise(() => api.waitFor((c) => c.length === 1))
      expect(call!.path).toBe(PUSH_PATH)
      expect(call!.body.to).toBe("R5")
    }))

  it.scopedLive("an unexpected failure while processing tells the user [Internal Error] and releases the claim", () =>
    Effect.gen(function*() {
      const broken = Layer.succeed(RateLimiter, RateLimiter.of({ take: () => Effect.die(new Error("limiter bug")) }))
      const { post, api, probe } = yield* serveLine({ rateLimiter: broken })
      const event = textEvent("/help", { userId: "U1", replyToken: "rt-x" })
      expect((yield* post(deliveryBody([event]))).status).toBe(200)
      const [call] = yield* Effect.promise(() => api.waitFor((c) => c.length === 1))
      expect(call!.body).toEqual({ replyToken: "rt-x", messages: [{ type: "text", text: Texts.internalError }] })
      expect(Texts.internalError.startsWith("[Internal Error]")).toBe(true)
      expect(probe.releases).toEqual([`line:${event.webhookEventId}`])
    }))
})
