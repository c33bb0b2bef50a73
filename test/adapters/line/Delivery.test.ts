import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, FastCheck as fc, Layer, Redacted } from "effect"
import { LOADING_PATH, makeLineDelivery, MAX_IMAGE_BYTES, retryKeyOf } from "../../../src/adapters/line/Delivery.js"
import { PlatformHealthMemory } from "../../../src/adapters/storage/memory/PlatformHealthMemory.js"
import type { DeliveryError } from "../../../src/ports/ChatDelivery.js"
import { PlatformHealth } from "../../../src/ports/PlatformHealth.js"
import { PUSH_PATH, startLineApiFake } from "../../e2e/support/LineApiFake.js"
import { eventually, makeMemoryMedia, png, startSilentServer, target } from "./DeliveryFakes.js"

const TOKEN = "line-access-token-abc"
const UUID_V5 = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/** A LINE delivery against a fresh fake (or `apiRoot`), health in memory, the memory media store. */
const setup = (options: { readonly apiRoot?: string; readonly timeoutMillis?: number } = {}) =>
  Effect.gen(function*() {
    const fake = yield* Effect.acquireRelease(Effect.promise(startLineApiFake), (f) => Effect.promise(() => f.close()))
    const media = makeMemoryMedia()
    const context = yield* Layer.build(Layer.merge(PlatformHealthMemory, media.layer))
    const delivery = yield* Effect.provide(
      makeLineDelivery({
        apiRoot: options.apiRoot ?? `${fake.url}/`,
        channelAccessToken: Redacted.make(TOKEN),
        backoffMillis: 5,
        ...(options.timeoutMillis === undefined ? {} : { timeoutMillis: options.timeoutMillis })
      }),
      context
    )
    const health = Effect.provide(Effect.flatMap(PlatformHealth, (h) => h.snapshot), context)
    return { fake, media, delivery, health }
  })

const failure = <A>(exit: Exit.Exit<A, DeliveryError>): DeliveryError => {
  if (Exit.isSuccess(exit)) throw new Error(`expected a failure, got ${JSON.stringify(exit.value)}`)
  const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
  if (error === undefined) throw new Error(`expected a typed failure, got ${String(exit.cause)}`)
  return error
}

describe("LINE delivery: text by push", () => {
  it.scopedLive("a text is one push to the chat, with the bearer token and a retry key derived from the idempotency key", () =>
    Effect.gen(function*() {
      const { fake, delivery } = yield* setup()
      const receipt = yield* delivery.sendText(target("C42", "U1"), "✅ done", "entry-1:text")
      expect(receipt).toEqual({ rung: "text", platformRef: "m1" })
      expect(fake.calls).toHaveLength(1)
      const call = fake.calls[0]!
      expect([call.method, call.path]).toEqual(["POST", PUSH_PATH])
      expect(call.headers["authorization"]).toBe(`Bearer ${TOKEN}`)
      expect(call.headers["x-line-retry-key"]).toBe(retryKeyOf("entry-1:text", "text:0"))
      expect(call.body).toEqual({ to: "C42", messages: [{ type: "text", text: "✅ done" }] })
      expect(delivery.canEdit).toBe(false)
      expect(delivery.idempotentSends).toBe(true)
    }))

  it.scopedLive("long text is split at 5000 characters, 5 messages per push, each push with its own stable key", () =>
    Effect.gen(function*() {
      const { fake, delivery } = yield* setup()
      const text = Array.from({ length: 6 }, (_, i) => String(i).repeat(4999)).join("\n") + "\nend"
      const receipt = yield* delivery.sendText(target("U9"), text, "k")
      const pushes = fake.callsTo(PUSH_PATH)
      expect(pushes.map((c) => c.body.messages.length)).toEqual([5, 2])
      const sent = pushes.flatMap((c) => c.body.messages.map((m: { text: string }) => m.text))
      expect(sent.every((t: string) => t.length <= 5000)).toBe(true)
      expect(sent.join("")).toBe(text)
      expect(pushes.map((c) => c.headers["x-line-retry-key"])).toEqual([retryKeyOf("k", "text:0"), retryKeyOf("k", "text:1")])
      expect(receipt.platformRef).toBe("m1")
    }))

  it.scopedLive("a 5xx is retried with the same retry key; a later resend of the item is deduplicated by LINE (409 = success)", () =>
    Effect.gen(function*() {
      const { fake, delivery, health } = yield* setup()
      let n = 0
      fake.answer(PUSH_PATH, () => (++n === 1 ? { status: 500, json: { message: "oops" } } : { status: 200, json: { sentMessages: [{ id: "777" }] } }))
      const first = yield* delivery.sendText(target("U1"), "hello", "entry-7")
      expect(first).toEqual({ rung: "text", platformRef: "777" })
      const keys = fake.callsTo(PUSH_PATH).map((c) => c.headers["x-line-retry-key"])
      expect(keys).toHaveLength(2)
      expect(keys[0]).toBe(keys[1])
      // The worker resumes after a restart and sends the same item again: LINE answers 409.
      const again = yield* delivery.sendText(target("U1"), "hello", "entry-7")
      expect(again).toEqual({ rung: "text", platformRef: "" })
      expect(fake.callsTo(PUSH_PATH).map((c) => c.headers["x-line-retry-key"])).toEqual([keys[0], keys[0], keys[0]])
      expect((yield* health).map((r) => r.state)).toEqual(["ok"])
      // Another item gets another key.
      yield* delivery.sendText(target("U1"), "hello", "entry-8")
      expect(fake.callsTo(PUSH_PATH)[3]!.headers["x-line-retry-key"]).not.toBe(keys[0])
    }))

  it.scopedLive("a later push refused after the first went through: unknown-outcome; the resend is dropped by LINE for the first push", () =>
    Effect.gen(function*() {
      const { fake, delivery } = yield* setup()
      const text = Array.from({ length: 6 }, (_, i) => String(i).repeat(4999)).join("\n")
      let secondPushes = 0
      fake.answer(PUSH_PATH, (call) =>
        call.headers["x-line-retry-key"] === retryKeyOf("k", "text:1") && ++secondPushes === 1
          ? { status: 400, json: { message: "refused" } }
          : { status: 200, json: { sentMessages: [{ id: `m-${call.headers["x-line-retry-key"]!.slice(0, 4)}` }] } })
      const error = failure(yield* Effect.exit(delivery.sendText(target("U9"), text, "k")))
      expect([error.reason, error.message.includes("part 2 of 2")]).toEqual(["unknown-outcome", true])
      // The worker resends the item with the same key (LINE's sends are idempotent): 409 for the
      // first push (already accepted), the second goes out now.
      const receipt = yield* delivery.sendText(target("U9"), text, "k")
      expect(receipt).toEqual({ rung: "text", platformRef: "" })
      expect(fake.callsTo(PUSH_PATH).map((c) => c.headers["x-line-retry-key"])).toEqual([
        retryKeyOf("k", "text:0"), retryKeyOf("k", "text:1"), retryKeyOf("k", "text:0"), retryKeyOf("k", "text:1")
      ])
    }))

  it.prop(
    "retry keys are name-based UUIDs: equal for equal inputs, different for different ones",
    [fc.string(), fc.string(), fc.constantFrom("text:0", "text:1", "image")],
    ([a, b, part]) => {
      expect(retryKeyOf(a, part)).toMatch(UUID_V5)
      expect(retryKeyOf(a, part)).toBe(retryKeyOf(a, part))
      if (a !== b) expect(retryKeyOf(a, part)).not.toBe(retryKeyOf(b, part))
      expect(retryKeyOf(a, "text:0")).not.toBe(retryKeyOf(a, "image"))
    }
  )
})

describe("LINE delivery: images by MediaStore URL", () => {
  it.scopedLive("the image goes to the MediaStore; the push carries its URL and preview URL", () =>
    Effect.gen(function*() {
      const { fake, media, delivery } = yield* setup()
      const image = png(128, "ComfyUI_00042_.png")
      const receipt = yield* delivery.sendImage(target("C7", "U2"), image, "entry-2:0")
      expect(receipt).toEqual({ rung: "image", platformRef: "m1" })
      expect(media.puts).toEqual([{ bytes: image.bytes, filename: "ComfyUI_00042_.png", contentType: "image/png" }])
      const call = fake.callsTo(PUSH_PATH)[0]!
      expect(call.body).toEqual({
        to: "C7",
        messages: [{ type: "image", originalContentUrl: media.stored[0]!.url, previewImageUrl: media.stored[0]!.previewUrl }]
      })
      expect(call.headers["x-line-retry-key"]).toBe(retryKeyOf("entry-2:0", "image"))
    }))

  it.scopedLive("no public base URL -> unsupported; store too large -> too-large; nothing is pushed", () =>
    Effect.gen(function*() {
      const { fake, media, delivery } = yield* setup()
      media.failWith("no-public-url")
      const noUrl = failure(yield* Effect.exit(delivery.sendImage(target("U1"), png(), "a")))
      expect(noUrl.reason).toBe("unsupported")
      expect(noUrl.message).toContain("OPENCLAW_CONNECTOR_PUBLIC_BASE_URL")
      media.failWith("too-large")
      expect(failure(yield* Effect.exit(delivery.sendImage(target("U1"), png(), "b"))).reason).toBe("too-large")
      media.failWith("unavailable")
      expect(failure(yield* Effect.exit(delivery.sendImage(target("U1"), png(), "c"))).reason).toBe("unavailable")
      expect(fake.calls).toHaveLength(0)
    }))

  it.scopedLive("images LINE cannot show (over 10 MB, not JPEG/PNG) are refused before storing; no documents, no edits", () =>
    Effect.gen(function*() {
      const { fake, media, delivery } = yield* setup()
      const big = failure(yield* Effect.exit(delivery.sendImage(target("U1"), png(MAX_IMAGE_BYTES + 1), "a")))
      expect(big.reason).toBe("too-large")
      const webp = failure(yield* Effect.exit(delivery.sendImage(target("U1"), { ...png(), contentType: "image/webp" }, "b")))
      expect(webp.reason).toBe("unsupported")
      expect(failure(yield* Effect.exit(delivery.sendDocument(target("U1"), png(), "c"))).reason).toBe("unsupported")
      expect(failure(yield* Effect.exit(delivery.editText(target("U1"), "m1", "x"))).reason).toBe("unsupported")
      expect(media.puts).toHaveLength(0)
      expect(fake.calls).toHaveLength(0)
    }))
})

describe("LINE delivery: failures and typing", () => {
  it.scopedLive("4xx -> rejected (401 also marks the health), 413 -> too-large, 429 and 5xx beyond retries -> unavailable", () =>
    Effect.gen(function*() {
      const { fake, delivery, health } = yield* setup()
      const outcome = (status: number) =>
        Effect.gen(function*() {
          fake.reset()
          fake.answer(PUSH_PATH, { status, json: { message: `status ${status}` } })
          return failure(yield* Effect.exit(delivery.sendText(target("U1"), "hi", `s${status}`)))
        })
      const rejected = yield* outcome(400)
      expect([rejected.reason, rejected.message]).toEqual(["rejected", "LINE push refused (HTTP 400): status 400"])
      expect((yield* outcome(401)).reason).toBe("rejected")
      expect((yield* health).find((r) => r.platform === "line")?.state).toBe("invalid_token")
      expect((yield* outcome(413)).reason).toBe("too-large")
      expect((yield* outcome(429)).reason).toBe("unavailable")
      expect(fake.calls).toHaveLength(3) // first try + 2 retries
      expect((yield* outcome(503)).reason).toBe("unavailable")
      expect(JSON.stringify(yield* health)).not.toContain(TOKEN)
    }))

  it.scopedLive("no answer at all -> unknown-outcome (LINE dedupes a later resend by the retry key)", () =>
    Effect.gen(function*() {
      const silent = yield* Effect.acquireRelease(Effect.promise(startSilentServer), (s) => Effect.promise(s.close))
      const { delivery } = yield* setup({ apiRoot: silent.url, timeoutMillis: 100 })
      const error = failure(yield* Effect.exit(delivery.sendText(target("U1"), "hi", "k")))
      expect(error.reason).toBe("unknown-outcome")
      expect(error.message).not.toContain(silent.url)
      // Idempotent thanks to the key: retried (first try + 2 retries), always with the same key.
      yield* eventually(() => silent.requests.length === 3, "three attempts")
      expect(new Set(silent.requests.map((h) => h["x-line-retry-key"]))).toEqual(new Set([retryKeyOf("k", "text:0")]))
    }))

  it.scopedLive("typing shows the loading animation in 1:1 chats only, and never fails", () =>
    Effect.gen(function*() {
      const { fake, delivery } = yield* setup()
      yield* delivery.typing(target("U1234"))
      yield* delivery.typing(target("C5678", "U1234"))
      yield* delivery.typing(target("R9", "U1234"))
      expect(fake.calls.map((c) => [c.path, c.body])).toEqual([[LOADING_PATH, { chatId: "U1234", loadingSeconds: 20 }]])
      expect(fake.calls[0]!.headers["authorization"]).toBe(`Bearer ${TOKEN}`)
      fake.answer(LOADING_PATH, { status: 500, json: {} })
      yield* delivery.typing(target("U1234"))
      expect(fake.callsTo(LOADING_PATH)).toHaveLength(2) // not retried
    }))
})
