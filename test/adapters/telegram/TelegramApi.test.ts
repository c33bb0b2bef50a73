import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { PlatformHealthMemory } from "../../../src/adapters/storage/memory/PlatformHealthMemory.js"
import { makeTelegramApi } from "../../../src/adapters/telegram/TelegramApi.js"
import { fetchFailureOf } from "../../../src/adapters/telegram/TelegramLive.js"
import { PlatformHealth } from "../../../src/ports/PlatformHealth.js"
import { freePort } from "../../e2e/support/ServiceProcess.js"
import { apiFixture, TOKEN } from "./fixtures.js"

describe("Telegram Bot API client", () => {
  it.live("getMe, getUpdates with offset/timeout/allowed_updates, and plain sendMessage", () =>
    apiFixture((f) =>
      Effect.gen(function*() {
        expect(yield* f.api.getMe).toEqual({ id: 777000111, username: "OpenClawTestBot" })
        const [id] = f.telegram.push({ message: { message_id: 1, chat: { id: 5, type: "private" }, text: "/help" } })
        const batch = yield* f.api.getUpdates(0, 1)
        expect(batch.map((u: any) => u.update_id)).toEqual([id])
        expect(yield* f.api.getUpdates(id! + 1, 0)).toEqual([])
        expect(f.telegram.pending()).toEqual([])
        const poll = f.telegram.callsTo("getUpdates")[0]!
        expect(poll.body).toMatchObject({ offset: 0, timeout: 1, allowed_updates: ["message", "channel_post", "callback_query"] })
        yield* f.api.sendMessage({ chatId: 5, threadId: undefined }, "hello")
        expect(f.telegram.callsTo("sendMessage")[0]!.body).toEqual({ chat_id: 5, text: "hello" })
        expect(f.telegram.calls.every((c) => c.tokenOk)).toBe(true)
      })
    ))

  it.live("classifies 429 (retry_after), 5xx, 409 and 403, and records health", () =>
    apiFixture((f) =>
      Effect.gen(function*() {
        const target = { chatId: 5, threadId: undefined }
        f.telegram.fail("sendMessage", { status: 429, retryAfter: 3 })
        const limited = yield* Effect.flip(f.api.sendMessage(target, "x"))
        expect([limited.reason, limited.status, limited.retryAfterSeconds]).toEqual(["rate-limited", 429, 3])
        expect((yield* f.health.snapshot)[0]).toMatchObject({ platform: "telegram", state: "rate_limited" })
        f.telegram.fail("sendMessage", { status: 502, description: "Bad Gateway" })
        expect((yield* Effect.flip(f.api.sendMessage(target, "x"))).reason).toBe("server")
        f.telegram.fail("sendMessage", { status: 403, description: "Forbidden: bot was blocked by the user" })
        expect((yield* Effect.flip(f.api.sendMessage(target, "x"))).reason).toBe("forbidden")
        f.telegram.webhookUrl = "https://example.invalid/hook"
        const conflict = yield* Effect.flip(f.api.getUpdates(0, 0))
        expect([conflict.reason, conflict.status]).toEqual(["conflict", 409])
        expect(fetchFailureOf(conflict)).toMatchObject({ _tag: "Retry", message: expect.stringContaining("a webhook is set") })
        yield* f.api.sendMessage(target, "ok again")
        expect((yield* f.health.snapshot)[0]).toMatchObject({ state: "ok" })
      })
    ))

  it.live("a refused token is `unauthorized`, marks invalid_token and is fatal for polling", () =>
    apiFixture((f) =>
      Effect.gen(function*() {
        const refused = yield* Effect.flip(f.api.getMe)
        expect([refused.reason, refused.status]).toEqual(["unauthorized", 401])
        expect((yield* f.health.snapshot)[0]).toMatchObject({ state: "invalid_token", detail: "getMe: HTTP 401" })
        expect(fetchFailureOf(refused)._tag).toBe("Fatal")
      }), { token: "999:wrong-token" }))

  it.live("an unreachable API is `unreachable` (never sent) and no error carries the token", () =>
    Effect.gen(function*() {
      const port = yield* Effect.promise(() => freePort())
      const api = yield* makeTelegramApi({ token: Redacted.make(TOKEN), apiRoot: `http://127.0.0.1:${port}` })
      const error = yield* Effect.flip(api.sendMessage({ chatId: 1, threadId: undefined }, "x"))
      expect([error.reason, error.neverSent]).toEqual(["unreachable", true])
      expect(JSON.stringify(error)).not.toContain(TOKEN)
      expect(String(error)).not.toContain(TOKEN)
      const health = yield* (yield* PlatformHealth).snapshot
      expect(health[0]).toMatchObject({ state: "unreachable", detail: "sendMessage: no answer" })
    }).pipe(Effect.provide(Layer.fresh(PlatformHealthMemory))))
})
