import { createServer } from "node:net"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Option, Redacted } from "effect"
import { PlatformHealthMemory } from "../../../src/adapters/storage/memory/PlatformHealthMemory.js"
import { MAX_IMAGE_BYTES, makeWhatsAppDelivery } from "../../../src/adapters/whatsapp/Delivery.js"
import { makeGraphClient } from "../../../src/adapters/whatsapp/GraphApi.js"
import type { DeliveryError } from "../../../src/ports/ChatDelivery.js"
import { PlatformHealth } from "../../../src/ports/PlatformHealth.js"
import { startFakeGraphApi } from "../../e2e/support/WhatsAppGraphApi.js"
import { eventually, makeMemoryMedia, png, startSilentServer, target } from "../line/DeliveryFakes.js"

const TOKEN = "wa-access-token-xyz"
const WA_ID = "15551234567"
const MESSAGES_PATH = "/v21.0/PN1/messages"

const setup = (options: { readonly apiRoot?: string; readonly phoneNumberId?: string; readonly timeoutMillis?: number } = {}) =>
  Effect.gen(function*() {
    const fake = yield* Effect.acquireRelease(Effect.promise(() => startFakeGraphApi()), (f) => Effect.promise(f.close))
    const media = makeMemoryMedia()
    const context = yield* Layer.build(Layer.merge(PlatformHealthMemory, media.layer))
    const graph = makeGraphClient({
      apiRoot: options.apiRoot ?? fake.url,
      graphVersion: "v21.0",
      phoneNumberId: options.phoneNumberId === undefined ? Option.some("PN1") : Option.none(),
      accessToken: Option.some(Redacted.make(TOKEN)),
      backoffMillis: 5,
      ...(options.timeoutMillis === undefined ? {} : { timeoutMillis: options.timeoutMillis })
    })
    const delivery = yield* Effect.provide(makeWhatsAppDelivery(graph), context)
    const health = Effect.provide(Effect.flatMap(PlatformHealth, (h) => h.snapshot), context)
    return { fake, media, delivery, health }
  })

const failure = <A>(exit: Exit.Exit<A, DeliveryError>): DeliveryError => {
  if (Exit.isSuccess(exit)) throw new Error(`expected a failure, got ${JSON.stringify(exit.value)}`)
  if (exit.cause._tag !== "Fail") throw new Error(`expected a typed failure, got ${String(exit.cause)}`)
  return exit.cause.error
}

describe("WhatsApp delivery: text", () => {
  it.scopedLive("a text is one Graph text message; the receipt is Graph's wamid", () =>
    Effect.gen(function*() {
      const { fake, delivery } = yield* setup()
      const receipt = yield* delivery.sendText(target(WA_ID), "✅ Job p1 finished (No images).", "k")
      expect(receipt).toEqual({ rung: "text", platformRef: "wamid.sent-1" })
      const call = fake.calls[0]!
      expect([call.method, call.path, call.headers["authorization"]]).toEqual(["POST", MESSAGES_PATH, `Bearer ${TOKEN}`])
      expect(call.body).toEqual({
        messaging_product: "whatsapp",
        recipient_type: "individual",
        to: WA_ID,
        type: "text",
        text: { preview_url: false, body: "✅ Job p1 finished (No images)." }
      })
      expect([delivery.platform, delivery.canEdit, delivery.idempotentSends]).toEqual(["whatsapp", false, false])
    }))

  it.scopedLive("long text is split at 4096 characters, nothing dropped; the receipt names the first message", () =>
    Effect.gen(function*() {
      const { fake, delivery } = yield* setup()
      const text = "a".repeat(4096) + "b".repeat(100)
      const receipt = yield* delivery.sendText(target(WA_ID), text, "k")
      expect(fake.textsTo(WA_ID)).toEqual(["a".repeat(4096), "b".repeat(100)])
      expect(receipt.platformRef).toBe("wamid.sent-1")
    }))

  it.scopedLive("a later piece refused after the first arrived: unknown-outcome (never resent, never 'failed'); a first-piece refusal stays rejected", () =>
    Effect.gen(function*() {
      const { fake, delivery } = yield* setup()
      const text = "a".repeat(4096) + "b".repeat(100)
      const refused = { status: 400, json: { error: { message: "graph 400", code: 100 } } }
      fake.answerNext({ status: 200, json: { messages: [{ id: "wamid.first" }] } }, refused)
      const later = failure(yield* Effect.exit(delivery.sendText(target(WA_ID), text, "k")))
      expect(later.reason).toBe("unknown-outcome")
      expect(later.message).toContain("part 2 of 2")
      expect(fake.textsTo(WA_ID)).toEqual(["a".repeat(4096), "b".repeat(100)])
      fake.reset()
      fake.answerNext(refused)
      expect(failure(yield* Effect.exit(delivery.sendText(target(WA_ID), text, "k"))).reason).toBe("rejected")
      expect(fake.calls).toHaveLength(1) // the second piece is not tried after the first was refused
    }))
})

describe("WhatsApp delivery: images and documents by MediaStore link", () => {
  it.scopedLive("an image is stored and sent as an image message by its link", () =>
    Effect.gen(function*() {
      const { fake, media, delivery } = yield* setup()
      const image = png(256, "ComfyUI_00003_.png")
      const receipt = yield* delivery.sendImage(target(WA_ID), image, "k")
      expect(receipt).toEqual({ rung: "image", platformRef: "wamid.sent-1" })
      expect(media.puts).toEqual([{ bytes: image.bytes, filename: "ComfyUI_00003_.png", contentType: "image/png" }])
      expect(fake.messagesTo(WA_ID)).toEqual([
        { messaging_product: "whatsapp", recipient_type: "individual", to: WA_ID, type: "image", image: { link: media.stored[0]!.url } }
      ])
    }))

  it.scopedLive("a document carries the link and the ComfyUI filename", () =>
    Effect.gen(function*() {
      const { fake, media, delivery } = yield* setup()
      const image = { ...png(64, "ComfyUI_00004_.webp"), contentType: "image/webp" }
      const receipt = yield* delivery.sendDocument(target(WA_ID), image, "k")
      expect(receipt).toEqual({ rung: "document", platformRef: "wamid.sent-1" })
      expect(fake.messagesTo(WA_ID)[0]).toEqual({
        messaging_product: "whatsapp",
        recipient_type: "individual",
        to: WA_ID,
        type: "document",
        document: { link: media.stored[0]!.url, filename: "ComfyUI_00004_.webp" }
      })
    }))

  it.scopedLive("images Graph cannot take go to the next rung: over 5 MB too-large, not JPEG/PNG unsupported", () =>
    Effect.gen(function*() {
      const { fake, media, delivery } = yield* setup()
      expect(failure(yield* Effect.exit(delivery.sendImage(target(WA_ID), png(MAX_IMAGE_BYTES + 1), "k"))).reason).toBe("too-large")
      const webp = { ...png(), contentType: "image/webp" }
      expect(failure(yield* Effect.exit(delivery.sendImage(target(WA_ID), webp, "k"))).reason).toBe("unsupported")
      expect(failure(yield* Effect.exit(delivery.editText(target(WA_ID), "wamid.1", "x"))).reason).toBe("unsupported")
      yield* delivery.typing(target(WA_ID))
      expect(media.puts).toHaveLength(0)
      expect(fake.calls).toHaveLength(0)
    }))

  it.scopedLive("MediaStore failures: no public URL -> unsupported, too large -> too-large; nothing sent", () =>
    Effect.gen(function*() {
      const { fake, media, delivery } = yield* setup()
      media.failWith("no-public-url")
      expect(failure(yield* Effect.exit(delivery.sendImage(target(WA_ID), png(), "k"))).reason).toBe("unsupported")
      expect(failure(yield* Effect.exit(delivery.sendDocument(target(WA_ID), png(), "k"))).reason).toBe("unsupported")
      media.failWith("too-large")
      expect(failure(yield* Effect.exit(delivery.sendDocument(target(WA_ID), png(), "k"))).reason).toBe("too-large")
      expect(fake.calls).toHaveLength(0)
    }))
})

describe("WhatsApp delivery: failures", () => {
  it.scopedLive("4xx -> rejected (401 marks the health), 413 -> too-large, 429/5xx beyond retries -> unavailable", () =>
    Effect.gen(function*() {
      const { fake, delivery, health } = yield* setup()
      const outcome = (status: number) =>
        Effect.gen(function*() {
          fake.reset()
          const answer = { status, json: { error: { message: `graph ${status}`, code: 100 } } }
          fake.answerNext(answer, answer, answer)
          return failure(yield* Effect.exit(delivery.sendText(target(WA_ID), "hi", "k")))
        })
      const rejected = yield* outcome(400)
      expect([rejected.reason, rejected.message]).toEqual(["rejected", "WhatsApp text refused (HTTP 400): graph 400"])
      expect((yield* outcome(401)).reason).toBe("rejected")
      expect((yield* health).find((r) => r.platform === "whatsapp")?.state).toBe("invalid_token")
      expect((yield* outcome(413)).reason).toBe("too-large")
      expect((yield* outcome(429)).reason).toBe("unavailable")
      expect(fake.calls).toHaveLength(3)
      expect((yield* outcome(500)).reason).toBe("unavailable")
    }))

  it.scopedLive("a send that gets no answer is unknown-outcome and is not retried (Graph has no idempotency key)", () =>
    Effect.gen(function*() {
      const silent = yield* Effect.acquireRelease(Effect.promise(startSilentServer), (s) => Effect.promise(s.close))
      const { delivery } = yield* setup({ apiRoot: silent.url, timeoutMillis: 100 })
      const error = failure(yield* Effect.exit(delivery.sendText(target(WA_ID), "hi", "k")))
      expect(error.reason).toBe("unknown-outcome")
      yield* eventually(() => silent.requests.length >= 1, "the request")
      expect(silent.requests).toHaveLength(1)
    }))

  it.scopedLive("a Graph API that refuses connections is unavailable (never sent: the worker retries later)", () =>
    Effect.gen(function*() {
      const port = yield* Effect.promise(() => new Promise<number>((resolve) => {
        const probe = createServer().listen(0, "127.0.0.1", () => {
          const { port } = probe.address() as { port: number }
          probe.close(() => resolve(port))
        })
      }))
      const { delivery } = yield* setup({ apiRoot: `http://127.0.0.1:${port}`, timeoutMillis: 100 })
      expect(failure(yield* Effect.exit(delivery.sendText(target(WA_ID), "hi", "k"))).reason).toBe("unavailable")
    }))

  it.scopedLive("without a phone number id every send is unsupported, naming the variable; nothing is called", () =>
    Effect.gen(function*() {
      const { fake, delivery } = yield* setup({ phoneNumberId: "" })
      const error = failure(yield* Effect.exit(delivery.sendText(target(WA_ID), "hi", "k")))
      expect(error.reason).toBe("unsupported")
      expect(error.message).toContain("OPENCLAW_CONNECTOR_WHATSAPP_PHONE_NUMBER_ID")
      expect(fake.calls).toHaveLength(0)
    }))
})
