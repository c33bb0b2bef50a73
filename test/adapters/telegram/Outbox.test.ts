import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, FastCheck as fc, Layer, Redacted, Scope, TestClock } from "effect"
import { CallbackSignerHmac } from "../../../src/adapters/crypto/CallbackSignerHmac.js"
import { ButtonStoreMemory } from "../../../src/adapters/storage/memory/ButtonStoreMemory.js"
import {
  defaultDeliveryPolicy,
  keyboardOf,
  makeTelegramOutbox,
  messagesOf,
  nextDeliveryStep
} from "../../../src/adapters/telegram/Outbox.js"
import { TelegramCallError } from "../../../src/adapters/telegram/TelegramApi.js"
import { mintStoredButtons } from "../../../src/domain/callbacks/StoredPress.js"
import type { Button } from "../../../src/domain/model/Reply.js"
import { apiFixture } from "./fixtures.js"

const err = (reason: TelegramCallError["reason"], over: Partial<ConstructorParameters<typeof TelegramCallError>[0]> = {}) =>
  new TelegramCallError({ method: "sendMessage", reason, ...over })
const fresh = { failures: 0, rateLimitWaits: 0, hasThread: false }

describe("delivery policy", () => {
  it("waits exactly retry_after on a 429, then retries the same message; bounded", () => {
    expect(nextDeliveryStep(err("rate-limited", { retryAfterSeconds: 3 }), fresh, defaultDeliveryPolicy, 0.5)).toEqual({
      _tag: "Retry",
      delayMillis: 3000,
      dropThread: false
    })
    expect(nextDeliveryStep(err("rate-limited", { retryAfterSeconds: 1632 }), fresh, defaultDeliveryPolicy, 0.5)._tag).toBe("GiveUp")
    const exhausted = { ...fresh, rateLimitWaits: defaultDeliveryPolicy.maxRateLimitWaits }
    expect(nextDeliveryStep(err("rate-limited", { retryAfterSeconds: 1 }), exhausted, defaultDeliveryPolicy, 0.5)._tag).toBe("GiveUp")
  })

  it("backs off on 5xx and network failures with jitter, up to maxAttempts", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 10 }), fc.double({ min: 0, max: 0.999, noNaN: true }), (failures, jitter) => {
      const step = nextDeliveryStep(err("server", { status: 502 }), { ...fresh, failures }, defaultDeliveryPolicy, jitter)
      if (failures + 1 >= defaultDeliveryPolicy.maxAttempts) {
        expect(step._tag).toBe("GiveUp")
        return
      }
      expect(step._tag).toBe("Retry")
      const base = Math.min(500 * 2 ** failures, 30_000)
      const delay = step._tag === "Retry" ? step.delayMillis : -1
      expect(delay).toBeGreaterThanOrEqual(Math.floor(base * 0.8))
      expect(delay).toBeLessThanOrEqual(Math.ceil(base * 1.2))
    }))
  })

  it("gives up at once on 400/403/401; a vanished topic falls back to the parent chat", () => {
    expect(nextDeliveryStep(err("rejected", { status: 400, description: "Bad Request: message text is empty" }), fresh, defaultDeliveryPolicy, 0)._tag)
      .toBe("GiveUp")
    expect(nextDeliveryStep(err("forbidden", { status: 403 }), fresh, defaultDeliveryPolicy, 0)._tag).toBe("GiveUp")
    expect(nextDeliveryStep(err("unauthorized", { status: 401 }), fresh, defaultDeliveryPolicy, 0)._tag).toBe("GiveUp")
    const gone = err("rejected", { status: 400, description: "Bad Request: message thread not found" })
    expect(nextDeliveryStep(gone, { ...fresh, hasThread: true }, defaultDeliveryPolicy, 0)).toEqual({ _tag: "Retry", delayMillis: 0, dropThread: true })
    expect(nextDeliveryStep(gone, fresh, defaultDeliveryPolicy, 0)._tag).toBe("GiveUp")
  })
})

describe("message rendering", () => {
  it("splits at 4096 characters on line boundaries and puts the keyboard on the last piece only", () => {
    const line = "x".repeat(99) + "\n"
    const text = line.repeat(100) // 10,000 characters
    const messages = messagesOf(text, [{ label: "Approve", data: "c1.a", style: "primary" }])
    expect(messages.length).toBe(3)
    for (const m of messages) {
      expect(m.text.length).toBeLessThanOrEqual(4096)
      expect(m.text.endsWith("\n") || m === messages.at(-1)).toBe(true)
    }
    expect(messages.map((m) => m.text).join("")).toBe(text)
    expect(messages.map((m) => m.replyMarkup === undefined)).toEqual([true, true, false])
  })

  it("lays buttons out two per row with their style", () => {
    const keyboard = keyboardOf([
      { label: "Approve a", data: "c1.1", style: "primary" },
      { label: "Reject a", data: "c1.2", style: "danger" },
      { label: "Approve b", data: "c1.3", style: "primary" }
    ])
    expect(keyboard).toEqual({
      inline_keyboard: [
        [{ text: "Approve a", callback_data: "c1.1", style: "primary" }, { text: "Reject a", callback_data: "c1.2", style: "danger" }],
        [{ text: "Approve b", callback_data: "c1.3", style: "primary" }]
      ]
    })
    expect(messagesOf("", [])).toEqual([])
  })

  const chatId = fc.oneof(fc.integer({ min: -1_009_999_999_999, max: -1 }), fc.integer({ min: 1, max: 9_999_999_999 })).map(String)
  /** Every approval id a press accepts (model/Ids.ts `isSafeId`); others get no button at all. */
  const approvalId = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/)

  it.effect.prop("callback_data of every minted button fits Telegram's 64 bytes", [chatId, approvalId], ([channelId, id]) =>
    Effect.gen(function*() {
      yield* TestClock.setTime(1_700_000_000_000)
      const buttons: Array<Button> = [
        { label: "Approve", command: `/approve ${id}`, actionType: "approval.approve", approvalId: id, style: "primary" },
        { label: "Reject", command: `/reject ${id}`, actionType: "approval.reject", approvalId: id, style: "danger" }
      ]
      const minted = yield* mintStoredButtons({ text: "t", buttons }, { channelId })
      expect(minted).toHaveLength(2)
      for (const b of minted) expect(Buffer.byteLength(b.data, "utf8")).toBeLessThanOrEqual(64)
    }).pipe(Effect.provide(Layer.merge(ButtonStoreMemory, CallbackSignerHmac.layer(Redacted.make("k"))))))
})

describe("outbox against the fake Bot API", () => {
  it.live("a 429 is waited out for retry_after and the same message is sent again, in order with the next", () =>
    apiFixture((f) =>
      Effect.gen(function*() {
        const scope = yield* Scope.make()
        const outbox = yield* makeTelegramOutbox(f.api).pipe(Scope.extend(scope))
        f.telegram.fail("sendMessage", { status: 429, retryAfter: 1 })
        yield* outbox.send({ chatId: 42, threadId: undefined }, "first")
        yield* outbox.send({ chatId: 42, threadId: undefined }, "second")
        const calls = yield* Effect.promise(() => f.telegram.waitFor((c) => c.filter((x) => x.method === "sendMessage").length >= 3))
        const sends = calls.filter((c) => c.method === "sendMessage")
        expect(sends.map((c) => c.body.text)).toEqual(["first", "first", "second"])
        expect(sends[1]!.at - sends[0]!.at).toBeGreaterThanOrEqual(1000)
        yield* Scope.close(scope, Exit.void)
      })
    ))

  it.live("a 500 is retried after a backoff; topics get an integer message_thread_id and no parse_mode", () =>
    apiFixture((f) =>
      Effect.gen(function*() {
        const scope = yield* Scope.make()
        const outbox = yield* makeTelegramOutbox(f.api, { policy: { ...defaultDeliveryPolicy, baseBackoffMillis: 20 } }).pipe(Scope.extend(scope))
        f.telegram.fail("sendMessage", { status: 500 })
        yield* outbox.send({ chatId: -100123, threadId: 456 }, "in the topic")
        const calls = yield* Effect.promise(() => f.telegram.waitFor((c) => c.filter((x) => x.method === "sendMessage").length >= 2))
        const sends = calls.filter((c) => c.method === "sendMessage")
        for (const s of sends) {
          expect(s.body).toEqual({ chat_id: -100123, text: "in the topic", message_thread_id: 456 })
        }
        yield* Scope.close(scope, Exit.void)
      })
    ))

  it.live("closing the outbox lets queued messages go out first", () =>
    apiFixture((f) =>
      Effect.gen(function*() {
        const scope = yield* Scope.make()
        const outbox = yield* makeTelegramOutbox(f.api).pipe(Scope.extend(scope))
        for (const n of [1, 2, 3]) yield* outbox.send({ chatId: 7, threadId: undefined }, `m${n}`)
        yield* Scope.close(scope, Exit.void)
        expect(f.telegram.callsTo("sendMessage").map((c) => c.body.text)).toEqual(["m1", "m2", "m3"])
      })
    ))

  it.live("the typing indicator runs while the work runs and stops after it", () =>
    apiFixture((f) =>
      Effect.gen(function*() {
        const scope = yield* Scope.make()
        const outbox = yield* makeTelegramOutbox(f.api, { typingIntervalMillis: 10 }).pipe(Scope.extend(scope))
        const target = { chatId: -100123, threadId: 9 }
        const result = yield* outbox.whileTyping(target, Effect.promise(() => f.telegram.waitFor((c) => c.filter((x) => x.method === "sendChatAction").length >= 2)).pipe(Effect.as("done")))
        expect(result).toBe("done")
        const typing = f.telegram.callsTo("sendChatAction")
        expect(typing[0]!.body).toEqual({ chat_id: -100123, action: "typing", message_thread_id: 9 })
        const count = typing.length
        // A message round trip later (tens of typing intervals), at most one late indicator landed.
        yield* outbox.send(target, "after")
        yield* Effect.promise(() => f.telegram.waitFor((c) => c.some((x) => x.method === "sendMessage")))
        expect(f.telegram.callsTo("sendChatAction").length).toBeLessThanOrEqual(count + 1)
        yield* Scope.close(scope, Exit.void)
      })
    ))
})
