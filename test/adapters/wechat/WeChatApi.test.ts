import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Option, Redacted, TestClock } from "effect"
import { PlatformHealthMemory } from "../../../src/adapters/storage/memory/PlatformHealthMemory.js"
import { makeWeChatApi, refreshAfterSeconds } from "../../../src/adapters/wechat/WeChatApi.js"
import { PlatformHealth } from "../../../src/ports/PlatformHealth.js"
import { type FakeWeChatApi, startFakeWeChatApi } from "../../e2e/support/WeChatFakeApi.js"

const fakeApi = Effect.acquireRelease(Effect.promise(startFakeWeChatApi), (api) => Effect.promise(api.close))

const apiFor = (fake: FakeWeChatApi, over: { appSecret?: string | undefined } = {}) =>
  makeWeChatApi({
    apiRoot: `${fake.url}/`,
    appId: Option.some("wx app&id"),
    appSecret: "appSecret" in over && over.appSecret === undefined ? Option.none() : Option.some(Redacted.make(over.appSecret ?? "s3cr=t&x"))
  })

const healthOf = Effect.flatMap(PlatformHealth, (h) => h.snapshot)

describe("WeChat access token", () => {
  it("refreshes at 90 % of the lifetime, at least 5 minutes (or half) early", () => {
    expect(refreshAfterSeconds(7200)).toBe(6480)
    expect(refreshAfterSeconds(600)).toBe(300)
    expect(refreshAfterSeconds(60)).toBe(30)
  })

  it.scoped("is fetched once with URL-encoded credentials, cached, and refreshed after its refresh time", () =>
    Effect.gen(function*() {
      const fake = yield* fakeApi
      const api = yield* apiFor(fake)
      expect(Redacted.value(yield* api.accessToken)).toBe("token-1")
      expect(Redacted.value(yield* api.accessToken)).toBe("token-1")
      expect(fake.tokenCalls()).toHaveLength(1)
      expect(fake.tokenCalls()[0]!.query).toEqual({ grant_type: "client_credential", appid: "wx app&id", secret: "s3cr=t&x" })
      yield* TestClock.adjust("6479 seconds")
      expect(Redacted.value(yield* api.accessToken)).toBe("token-1")
      yield* TestClock.adjust("2 seconds")
      expect(Redacted.value(yield* api.accessToken)).toBe("token-2")
      expect(fake.tokenCalls()).toHaveLength(2)
    }).pipe(Effect.provide(PlatformHealthMemory)))

  it.scopedLive("concurrent callers share one refresh", () =>
    Effect.gen(function*() {
      const fake = yield* fakeApi
      let release!: () => void
      const gate = new Promise<void>((r) => (release = r))
      fake.onToken(async (_c, i) => {
        await gate
        return { status: 200, json: { access_token: `slow-${i + 1}`, expires_in: 7200 } }
      })
      const api = yield* apiFor(fake)
      const all = Effect.all(Array.from({ length: 5 }, () => api.accessToken), { concurrency: "unbounded" })
      const fiber = yield* Effect.fork(all)
      yield* Effect.promise(() => fake.waitUntil(() => fake.tokenCalls().length === 1, "the first token call"))
      release()
      const tokens = yield* Fiber.join(fiber)
      expect(tokens.map(Redacted.value)).toEqual(Array.from({ length: 5 }, () => "slow-1"))
      expect(fake.tokenCalls()).toHaveLength(1)
    }).pipe(Effect.provide(PlatformHealthMemory)))

  it.scoped("a failed refresh keeps using the old token until it expires", () =>
    Effect.gen(function*() {
      const fake = yield* fakeApi
      const api = yield* apiFor(fake)
      yield* api.accessToken
      fake.onToken(() => ({ status: 200, json: { errcode: -1, errmsg: "system busy" } }))
      yield* TestClock.adjust("7000 seconds")
      expect(Redacted.value(yield* api.accessToken)).toBe("token-1")
      yield* TestClock.adjust("201 seconds")
      const error = yield* Effect.flip(api.accessToken)
      expect(error.reason).toBe("token-unavailable")
      expect(error.errcode).toBe(-1)
    }).pipe(Effect.provide(PlatformHealthMemory)))

  it.scoped("without app id or secret nothing is called", () =>
    Effect.gen(function*() {
      const fake = yield* fakeApi
      const api = yield* apiFor(fake, { appSecret: undefined })
      expect((yield* Effect.flip(api.sendText("u1", "hi"))).reason).toBe("not-configured")
      expect(fake.calls).toHaveLength(0)
    }).pipe(Effect.provide(PlatformHealthMemory)))

  it.scoped("bad credentials at the token endpoint mark the installation invalid_token", () =>
    Effect.gen(function*() {
      const fake = yield* fakeApi
      fake.onToken(() => ({ status: 200, json: { errcode: 40125, errmsg: "invalid appsecret" } }))
      const api = yield* apiFor(fake)
      expect((yield* Effect.flip(api.accessToken)).errcode).toBe(40125)
      expect((yield* healthOf).map((h) => [h.platform, h.state])).toEqual([["wechat", "invalid_token"]])
    }).pipe(Effect.provide(PlatformHealthMemory)))
})

describe("WeChat Customer Service send", () => {
  it.scoped("posts the text as JSON without \\u escapes, with the token in the query", () =>
    Effect.gen(function*() {
      const fake = yield* fakeApi
      const api = yield* apiFor(fake)
      yield* api.sendText("oUser1", "你好 & <b>")
      const [send] = fake.sendCalls()
      expect(send!.query).toEqual({ access_token: "token-1" })
      expect(send!.body).toEqual({ touser: "oUser1", msgtype: "text", text: { content: "你好 & <b>" } })
      expect(send!.rawBody).toContain("你好")
      expect(send!.rawBody).not.toContain("\\u")
    }).pipe(Effect.provide(PlatformHealthMemory)))

  it.scoped("text over 2048 bytes goes out as several messages, none lost", () =>
    Effect.gen(function*() {
      const fake = yield* fakeApi
      const api = yield* apiFor(fake)
      const text = Array.from({ length: 200 }, (_, i) => `第${i}行 ${"字".repeat(10)}`).join("\n")
      yield* api.sendText("oUser1", text)
      const contents = fake.sendCalls().map((c) => (c.body as { text: { content: string } }).text.content)
      expect(contents.length).toBeGreaterThan(1)
      for (const c of contents) expect(Buffer.byteLength(c)).toBeLessThanOrEqual(2048)
      expect(contents.join("\n")).toBe(text)
      expect(fake.tokenCalls()).toHaveLength(1)
    }).pipe(Effect.provide(PlatformHealthMemory)))

  it.scoped("errcode 40001 clears the cached token, fetches a new one and sends once more (X4)", () =>
    Effect.gen(function*() {
      const fake = yield* fakeApi
      fake.onSend((_c, i) => ({ status: 200, json: i === 0 ? { errcode: 40001, errmsg: "invalid credential" } : { errcode: 0 } }))
      const api = yield* apiFor(fake)
      yield* api.sendText("oUser1", "hello")
      expect(fake.tokenCalls()).toHaveLength(2)
      expect(fake.sendCalls().map((c) => c.query["access_token"])).toEqual(["token-1", "token-2"])
      expect(Redacted.value(yield* api.accessToken)).toBe("token-2") // the new token is cached
      expect(fake.tokenCalls()).toHaveLength(2)
      expect((yield* healthOf).every((h) => h.state === "ok")).toBe(true)
    }).pipe(Effect.provide(PlatformHealthMemory)))

  it.scoped("42001 twice marks invalid_token and gives up after one retry", () =>
    Effect.gen(function*() {
      const fake = yield* fakeApi
      fake.onSend(() => ({ status: 200, json: { errcode: 42001, errmsg: "access_token expired" } }))
      const api = yield* apiFor(fake)
      const error = yield* Effect.flip(api.sendText("oUser1", "hello"))
      expect(error.reason).toBe("token-invalid")
      expect(fake.sendCalls()).toHaveLength(2)
      expect((yield* healthOf).map((h) => h.state)).toEqual(["invalid_token"])
    }).pipe(Effect.provide(PlatformHealthMemory)))

  it.scoped("40001 whose refresh also fails marks invalid_token", () =>
    Effect.gen(function*() {
      const fake = yield* fakeApi
      fake.onSend(() => ({ status: 200, json: { errcode: 40001, errmsg: "invalid credential" } }))
      fake.onToken((_c, i) => ({ status: 200, json: i === 0 ? { access_token: "t1", expires_in: 7200 } : { errcode: -1, errmsg: "busy" } }))
      const api = yield* apiFor(fake)
      expect((yield* Effect.flip(api.sendText("oUser1", "hello"))).reason).toBe("token-unavailable")
      expect(fake.sendCalls()).toHaveLength(1)
      expect((yield* healthOf).map((h) => h.state)).toEqual(["invalid_token"])
    }).pipe(Effect.provide(PlatformHealthMemory)))

  it.scoped("other errcodes are a rejection, not retried", () =>
    Effect.gen(function*() {
      const fake = yield* fakeApi
      fake.onSend(() => ({ status: 200, json: { errcode: 45015, errmsg: "response out of time limit" } }))
      const api = yield* apiFor(fake)
      const error = yield* Effect.flip(api.sendText("oUser1", "hello"))
      expect([error.reason, error.errcode]).toEqual(["rejected", 45015])
      expect(fake.sendCalls()).toHaveLength(1)
    }).pipe(Effect.provide(PlatformHealthMemory)))
})
