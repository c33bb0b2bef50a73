import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { PlatformHealthMemory } from "../../../src/adapters/storage/memory/PlatformHealthMemory.js"
import { makeTelegramDelivery, TELEGRAM_PHOTO_MAX_BYTES } from "../../../src/adapters/telegram/Delivery.js"
import { deliveryCallPolicy } from "../../../src/adapters/telegram/DeliveryRules.js"
import { makeTelegramOutbox } from "../../../src/adapters/telegram/Outbox.js"
import { makeTelegramApi } from "../../../src/adapters/telegram/TelegramApi.js"
import type { DeliveryTarget } from "../../../src/domain/model/Request.js"
import type { DeliveryImage, PlatformDelivery } from "../../../src/ports/ChatDelivery.js"
import { freePort } from "../../e2e/support/ServiceProcess.js"
import { startTelegramApiFake, type TelegramApiFake } from "../../e2e/support/TelegramApiFake.js"

/**
 * Telegram's PlatformDelivery over the real Bot API client and outbox queue, against the fake
 * Bot API on 127.0.0.1: what Telegram receives, and a receipt only when it answered ok.
 */

const TOKEN = "123456:delivery-test-token"
const FAST = { ...deliveryCallPolicy, baseBackoffMillis: 10, maxBackoffMillis: 50 }

const target = (channelId: string, threadId = ""): DeliveryTarget => ({ platform: "telegram", channelId, senderId: "42", workspaceId: "", threadId })
const image = (size: number, over: Partial<DeliveryImage> = {}): DeliveryImage => ({
  bytes: new Uint8Array(size).fill(7),
  filename: "ComfyUI_00001_.webp",
  contentType: "image/webp",
  ...over
})

interface Fixture {
  readonly telegram: TelegramApiFake
  readonly delivery: PlatformDelivery
}

const withDelivery = <A, E>(
  body: (f: Fixture) => Effect.Effect<A, E>,
  options: { readonly maxPhotoBytes?: number; readonly callTimeoutMillis?: number; readonly apiRoot?: string } = {}
) =>
  Effect.acquireUseRelease(
    Effect.promise(() => startTelegramApiFake({ token: TOKEN, ...(options.maxPhotoBytes === undefined ? {} : { maxPhotoBytes: options.maxPhotoBytes }) })),
    (telegram) =>
      Effect.scoped(Effect.gen(function*() {
        const timeout = options.callTimeoutMillis ?? 10_000
        const api = yield* makeTelegramApi({
          token: Redacted.make(TOKEN),
          apiRoot: options.apiRoot ?? telegram.url,
          callTimeoutMillis: timeout,
          uploadTimeoutMillis: timeout
        })
        const outbox = yield* makeTelegramOutbox(api)
        return yield* body({ telegram, delivery: makeTelegramDelivery({ api, outbox, policy: FAST }) })
      })).pipe(Effect.provide(Layer.fresh(PlatformHealthMemory))),
    (telegram) => Effect.promise(() => telegram.close())
  )

describe("Telegram delivery: text", () => {
  it.live("sends plain text into the forum topic and returns the message id", () =>
    withDelivery(({ delivery, telegram }) =>
      Effect.gen(function*() {
        expect([delivery.platform, delivery.canEdit, delivery.idempotentSends]).toEqual(["telegram", true, false])
        const receipt = yield* delivery.sendText(target("-100123", "456"), "⏳ Job p-1 queued", "k1")
        const [call] = telegram.callsTo("sendMessage")
        expect(call!.body).toEqual({ chat_id: -100123, text: "⏳ Job p-1 queued", message_thread_id: 456 })
        expect(receipt).toEqual({ rung: "text", platformRef: "1" })
        expect(telegram.textOf(-100123, 1)).toBe("⏳ Job p-1 queued")
        yield* delivery.sendText(target("77"), "dm", "k2")
        expect(telegram.callsTo("sendMessage")[1]!.body).toEqual({ chat_id: 77, text: "dm" })
      })
    ))

  it.live("splits at 4096 characters, in order; the receipt names the first message", () =>
    withDelivery(({ delivery, telegram }) =>
      Effect.gen(function*() {
        const text = Array.from({ length: 300 }, (_, i) => `line ${i} ${"x".repeat(25)}`).join("\n")
        const receipt = yield* delivery.sendText(target("5"), text, "k")
        const sent = telegram.callsTo("sendMessage").map((c) => c.body.text as string)
        expect(sent.length).toBe(3)
        for (const piece of sent) expect(piece.length).toBeLessThanOrEqual(4096)
        expect(sent.join("")).toBe(text)
        expect(receipt.platformRef).toBe("1")
      })
    ))

  it.live("a later piece that fails after earlier ones arrived is unknown-outcome, never a receipt", () =>
    withDelivery(({ delivery, telegram }) =>
      Effect.gen(function*() {
        telegram.failWhen("sendMessage", (b) => String(b.text).startsWith("b"), { status: 400, description: "Bad Request: nope" })
        const text = `${"a ".repeat(1500)}\n${"b ".repeat(1500)}`
        const error = yield* Effect.flip(delivery.sendText(target("5"), text, "k"))
        expect(error.reason).toBe("unknown-outcome")
        expect(telegram.callsTo("sendMessage").length).toBe(2)
      })
    ))

  it.live("blank text and a chat id that is not Telegram's are rejected without a call", () =>
    withDelivery(({ delivery, telegram }) =>
      Effect.gen(function*() {
        expect((yield* Effect.flip(delivery.sendText(target("5"), "  \n", "k"))).reason).toBe("rejected")
        expect((yield* Effect.flip(delivery.sendText(target("C0123"), "hi", "k"))).reason).toBe("rejected")
        expect(telegram.calls).toEqual([])
      })
    ))

  it.live("a vanished topic: the same text goes to the parent chat", () =>
    withDelivery(({ delivery, telegram }) =>
      Effect.gen(function*() {
        telegram.fail("sendMessage", { status: 400, description: "Bad Request: message thread not found" })
        const receipt = yield* delivery.sendText(target("-100123", "9"), "result", "k")
        expect(telegram.callsTo("sendMessage").map((c) => c.body)).toEqual([
          { chat_id: -100123, text: "result", message_thread_id: 9 },
          { chat_id: -100123, text: "result" }
        ])
        expect(receipt.platformRef).toBe("1")
      })
    ))
})

describe("Telegram delivery: edits", () => {
  it.live("edits in place; an unchanged text ('message is not modified') is success", () =>
    withDelivery(({ delivery, telegram }) =>
      Effect.gen(function*() {
        const { platformRef } = yield* delivery.sendText(target("-100123", "456"), "⏳ queued", "k")
        yield* delivery.editText(target("-100123", "456"), platformRef, "▶️ running 40%")
        expect(telegram.textOf(-100123, Number(platformRef))).toBe("▶️ running 40%")
        yield* delivery.editText(target("-100123", "456"), platformRef, "▶️ running 40%")
        const edits = telegram.callsTo("editMessageText")
        expect(edits.map((c) => c.body)).toEqual([
          { chat_id: -100123, message_id: 1, text: "▶️ running 40%" },
          { chat_id: -100123, message_id: 1, text: "▶️ running 40%" }
        ])
      })
    ))

  it.live("a missing message or a ref that is not a message id is rejected", () =>
    withDelivery(({ delivery, telegram }) =>
      Effect.gen(function*() {
        expect((yield* Effect.flip(delivery.editText(target("5"), "99", "x"))).reason).toBe("rejected")
        expect((yield* Effect.flip(delivery.editText(target("5"), "", "x"))).reason).toBe("rejected")
        expect((yield* Effect.flip(delivery.editText(target("5"), "1e3", "x"))).reason).toBe("rejected")
        expect(telegram.callsTo("editMessageText").length).toBe(1)
      })
    ))
})

describe("Telegram delivery: images and documents", () => {
  it.live("sendPhoto is multipart with the topic, the real filename and content type", () =>
    withDelivery(({ delivery, telegram }) =>
      Effect.gen(function*() {
        const receipt = yield* delivery.sendImage(target("-100123", "456"), image(3000), "k")
        const [call] = telegram.callsTo("sendPhoto")
        expect(call!.body).toEqual({ chat_id: "-100123", message_thread_id: "456" })
        expect(call!.files).toEqual([{ field: "photo", filename: "ComfyUI_00001_.webp", contentType: "image/webp", size: 3000 }])
        expect(receipt).toEqual({ rung: "image", platformRef: "1" })
      })
    ))

  it.live("over 10 MiB is too-large before any upload; Telegram's 413 is too-large too; then sendDocument carries it", () =>
    withDelivery(({ delivery, telegram }) =>
      Effect.gen(function*() {
        const big = yield* Effect.flip(delivery.sendImage(target("5"), image(TELEGRAM_PHOTO_MAX_BYTES + 1), "k"))
        expect(big.reason).toBe("too-large")
        expect(telegram.callsTo("sendPhoto")).toEqual([])
        const refused = yield* Effect.flip(delivery.sendImage(target("5"), image(5000, { filename: "a.png", contentType: "image/png" }), "k"))
        expect(refused.reason).toBe("too-large")
        expect(telegram.callsTo("sendPhoto").length).toBe(1)
        const receipt = yield* delivery.sendDocument(target("5"), image(5000, { filename: "a.png", contentType: "image/png" }), "k")
        expect(receipt).toEqual({ rung: "document", platformRef: "1" })
        expect(telegram.callsTo("sendDocument")[0]!.files).toEqual([{ field: "document", filename: "a.png", contentType: "image/png", size: 5000 }])
      }), { maxPhotoBytes: 4000 }))

  it.live("a photo Telegram cannot make (dimensions) is too-large, so the worker moves to the document", () =>
    withDelivery(({ delivery, telegram }) =>
      Effect.gen(function*() {
        telegram.fail("sendPhoto", { status: 400, description: "Bad Request: PHOTO_INVALID_DIMENSIONS" })
        expect((yield* Effect.flip(delivery.sendImage(target("5"), image(10), "k"))).reason).toBe("too-large")
        telegram.fail("sendDocument", { status: 400, description: "Bad Request: chat not found" })
        expect((yield* Effect.flip(delivery.sendDocument(target("5"), image(10), "k"))).reason).toBe("rejected")
      })
    ))
})

describe("Telegram delivery: failures", () => {
  it.live("a 429 waits retry_after in the chat's queue, then succeeds", () =>
    withDelivery(({ delivery, telegram }) =>
      Effect.gen(function*() {
        telegram.fail("sendPhoto", { status: 429, retryAfter: 1 })
        const receipt = yield* delivery.sendImage(target("5"), image(100), "k")
        const calls = telegram.callsTo("sendPhoto")
        expect(calls.length).toBe(2)
        expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(1000)
        expect(receipt.rung).toBe("image")
      })
    ))

  it.live("500 is unavailable (not resent: it may have run), 403 rejected; no receipt", () =>
    withDelivery(({ delivery, telegram }) =>
      Effect.gen(function*() {
        telegram.fail("sendMessage", { status: 500 })
        expect((yield* Effect.flip(delivery.sendText(target("5"), "x", "k"))).reason).toBe("unavailable")
        expect(telegram.callsTo("sendMessage").length).toBe(1)
        telegram.fail("sendMessage", { status: 403, description: "Forbidden: bot was blocked by the user" })
        expect((yield* Effect.flip(delivery.sendText(target("5"), "x", "k"))).reason).toBe("rejected")
        telegram.fail("sendMessage", { status: 429, retryAfter: 100_000 })
        expect((yield* Effect.flip(delivery.sendText(target("5"), "x", "k"))).reason).toBe("unavailable")
      })
    ))

  it.live("no answer after the request was sent is unknown-outcome", () =>
    withDelivery(({ delivery, telegram }) =>
      Effect.gen(function*() {
        telegram.stall("sendPhoto")
        expect((yield* Effect.flip(delivery.sendImage(target("5"), image(100), "k"))).reason).toBe("unknown-outcome")
        telegram.stall("sendMessage")
        expect((yield* Effect.flip(delivery.sendText(target("5"), "x", "k"))).reason).toBe("unknown-outcome")
        expect(telegram.callsTo("sendPhoto").length).toBe(1)
      }), { callTimeoutMillis: 300 }))

  it.live("an API that cannot be reached is unavailable after bounded retries (never sent)", () =>
    Effect.gen(function*() {
      const port = yield* Effect.promise(() => freePort())
      yield* withDelivery(({ delivery }) =>
        Effect.gen(function*() {
          const error = yield* Effect.flip(delivery.sendImage(target("5"), image(10), "k"))
          expect(error.reason).toBe("unavailable")
          expect(error.message).not.toContain(TOKEN)
          expect((yield* Effect.flip(delivery.sendText(target("5"), "x", "k"))).reason).toBe("unavailable")
        }), { apiRoot: `http://127.0.0.1:${port}` })
    }))

  it.live("typing sends the chat action into the topic and never fails", () =>
    withDelivery(({ delivery, telegram }) =>
      Effect.gen(function*() {
        yield* delivery.typing(target("-100123", "456"))
        expect(telegram.callsTo("sendChatAction")[0]!.body).toEqual({ chat_id: -100123, action: "typing", message_thread_id: 456 })
        telegram.fail("sendChatAction", { status: 500 })
        yield* delivery.typing(target("-100123"))
        yield* delivery.typing(target("not-a-chat"))
        expect(telegram.callsTo("sendChatAction").length).toBe(2)
      })
    ))
})
