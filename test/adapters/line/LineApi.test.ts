import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Logger, LogLevel, Redacted } from "effect"
import { makeLineApi, replyTokenUsable } from "../../../src/adapters/line/LineApi.js"
import { type TextMessage } from "../../../src/adapters/line/Messages.js"
import { PlatformHealthMemory } from "../../../src/adapters/storage/memory/PlatformHealthMemory.js"
import { PlatformHealth } from "../../../src/ports/PlatformHealth.js"
import { PUSH_PATH, REPLY_PATH, startLineApiFake } from "../../e2e/support/LineApiFake.js"

const TOKEN = "secret-access-token-xyz"
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const texts = (n: number): Array<TextMessage> => Array.from({ length: n }, (_, i) => ({ type: "text", text: `m${i}` }))

/** A LineApi against a fresh fake, with health in memory and logs captured. */
const setup = Effect.gen(function*() {
  const fake = yield* Effect.acquireRelease(Effect.promise(startLineApiFake), (f) => Effect.promise(() => f.close()))
  const logs: Array<string> = []
  const capture = Logger.make(({ message }) => void logs.push(Array.isArray(message) ? message.map(String).join(" ") : String(message)))
  const api = makeLineApi({ apiRoot: `${fake.url}/`, channelAccessToken: Redacted.make(TOKEN) })
  const layer = Layer.mergeAll(PlatformHealthMemory, Logger.replace(Logger.defaultLogger, capture), Logger.minimumLogLevel(LogLevel.Debug))
  const context = yield* Layer.build(layer)
  const run = <A, E>(effect: Effect.Effect<A, E, PlatformHealth>) => Effect.provide(effect, context)
  return { fake, logs, api, run }
})

const fresh = (channelId = "U1", replyToken = "token-1") => ({ channelId, replyToken, eventMillis: Date.now() })

describe("LINE outbound: reply first, then push", () => {
  it("reply token rule: non-empty, not a console token, and within the window", () => {
    expect(replyTokenUsable("t", 1000, 1000 + 49_999)).toBe(true)
    expect(replyTokenUsable("t", 1000, 1000 + 50_000)).toBe(false)
    expect(replyTokenUsable("", 1000, 1000)).toBe(false)
    expect(replyTokenUsable("0".repeat(32), 1000, 1000)).toBe(false)
    expect(replyTokenUsable("f".repeat(32), 1000, 1000)).toBe(false)
  })

  it.scopedLive("a fresh event is answered with one reply call, bearer token and JSON", () =>
    Effect.gen(function*() {
      const { fake, api, run } = yield* setup
      const result = yield* run(api.deliver(fresh(), texts(1)))
      expect(result).toEqual({ _tag: "Delivered", calls: ["reply"] })
      expect(fake.calls).toHaveLength(1)
      const call = fake.calls[0]!
      expect([call.method, call.path]).toEqual(["POST", REPLY_PATH])
      expect(call.headers["authorization"]).toBe(`Bearer ${TOKEN}`)
      expect(call.headers["content-type"]).toMatch(/^application\/json/)
      expect(call.headers["x-line-retry-key"]).toBeUndefined()
      expect(call.body).toEqual({ replyToken: "token-1", messages: [{ type: "text", text: "m0" }] })
    }))

  it.scopedLive("more than 5 messages: the reply carries 5, the rest go in push calls of 5 with their own retry keys", () =>
    Effect.gen(function*() {
      const { fake, api, run } = yield* setup
      const result = yield* run(api.deliver(fresh("C9"), texts(12)))
      expect(result).toEqual({ _tag: "Delivered", calls: ["reply", "push", "push"] })
      expect(fake.calls.map((c) => [c.path, c.body.messages.length])).toEqual([[REPLY_PATH, 5], [PUSH_PATH, 5], [PUSH_PATH, 2]])
      const pushes = fake.callsTo(PUSH_PATH)
      expect(pushes.every((c) => c.body.to === "C9")).toBe(true)
      expect(pushes.map((c) => c.body.messages[0].text)).toEqual(["m5", "m10"])
      const keys = pushes.map((c) => c.headers["x-line-retry-key"])
      expect(keys.every((k) => UUID.test(k ?? ""))).toBe(true)
      expect(new Set(keys).size).toBe(2)
    }))

  it.scopedLive("a reply refused with 400 (expired token) falls back to push with the same messages", () =>
    Effect.gen(function*() {
      const { fake, api, run, logs } = yield* setup
      fake.answer(REPLY_PATH, { status: 400, json: { message: "Invalid reply token" } })
      const result = yield* run(api.deliver(fresh("U7"), texts(2)))
      expect(result).toEqual({ _tag: "Delivered", calls: ["reply", "push"] })
      expect(fake.callsTo(PUSH_PATH)[0]!.body).toEqual({ to: "U7", messages: texts(2) })
      expect(logs.join("\n")).toContain("sending with push instead")
    }))

  it.scopedLive("an old event, an empty token or a console token goes straight to push", () =>
    Effect.gen(function*() {
      const { fake, api, run } = yield* setup
      yield* run(api.deliver({ channelId: "U1", replyToken: "t", eventMillis: Date.now() - 55_000 }, texts(1)))
      yield* run(api.deliver({ ...fresh(), replyToken: "" }, texts(1)))
      yield* run(api.deliver({ ...fresh(), replyToken: "0".repeat(32) }, texts(1)))
      expect(fake.calls.map((c) => c.path)).toEqual([PUSH_PATH, PUSH_PATH, PUSH_PATH])
      expect(yield* run(api.deliver(fresh(), []))).toEqual({ _tag: "Nothing" })
      expect(fake.calls).toHaveLength(3)
    }))

  it.scopedLive("a 401 stops delivery, marks the health invalid_token and never logs the token or URL", () =>
    Effect.gen(function*() {
      const { fake, api, run, logs } = yield* setup
      fake.answer(REPLY_PATH, { status: 401, json: { message: "Authentication failed" } })
      const result = yield* run(api.deliver(fresh(), texts(7)))
      expect(result._tag).toBe("Failed")
      expect(fake.calls.map((c) => c.path)).toEqual([REPLY_PATH])
      const health = yield* run(Effect.flatMap(PlatformHealth, (h) => h.snapshot))
      expect(health.map((h) => [h.platform, h.state])).toEqual([["line", "invalid_token"]])
      const text = logs.join("\n")
      expect(text).toContain("LINE reply failed")
      expect(text).not.toContain(TOKEN)
      expect(text).not.toContain(fake.url)
    }))

  it.scopedLive("a push answered 500 is retried with the same X-Line-Retry-Key", () =>
    Effect.gen(function*() {
      const { fake, api, run } = yield* setup
      let n = 0
      fake.answer(PUSH_PATH, () => (++n === 1 ? { status: 500, json: {} } : { status: 200, json: {} }))
      const result = yield* run(api.deliver({ ...fresh(), replyToken: "" }, texts(1)))
      expect(result).toEqual({ _tag: "Delivered", calls: ["push"] })
      const keys = fake.callsTo(PUSH_PATH).map((c) => c.headers["x-line-retry-key"])
      expect(keys).toHaveLength(2)
      expect(keys[0]).toBe(keys[1])
    }))
})
