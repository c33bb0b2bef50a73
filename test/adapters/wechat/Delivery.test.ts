import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Option, Redacted } from "effect"
import { PlatformHealthMemory } from "../../../src/adapters/storage/memory/PlatformHealthMemory.js"
import { makeWeChatDelivery, MAX_IMAGE_BYTES } from "../../../src/adapters/wechat/Delivery.js"
import { makeWeChatApi } from "../../../src/adapters/wechat/WeChatApi.js"
import type { DeliveryError } from "../../../src/ports/ChatDelivery.js"
import { startFakeWeChatApi, TYPING_PATH } from "../../e2e/support/WeChatFakeApi.js"
import { png, target } from "../line/DeliveryFakes.js"

const OPEN_ID = "oUser123"
const SECRET = "wechat-app-secret"

const setup = (options: { readonly configured?: boolean; readonly timeoutMillis?: number } = {}) =>
  Effect.gen(function*() {
    const fake = yield* Effect.acquireRelease(Effect.promise(startFakeWeChatApi), (f) => Effect.promise(f.close))
    const configured = options.configured ?? true
    const api = yield* makeWeChatApi({
      apiRoot: fake.url,
      appId: configured ? Option.some("wx_app") : Option.none(),
      appSecret: configured ? Option.some(Redacted.make(SECRET)) : Option.none(),
      ...(options.timeoutMillis === undefined ? {} : { timeoutMillis: options.timeoutMillis })
    })
    const delivery = yield* Effect.provide(makeWeChatDelivery({ apiRoot: `${fake.url}/`, api, backoffMillis: 5 }), PlatformHealthMemory)
    return { fake, delivery }
  })

const failure = <A>(exit: Exit.Exit<A, DeliveryError>): DeliveryError => {
  if (Exit.isSuccess(exit)) throw new Error(`expected a failure, got ${JSON.stringify(exit.value)}`)
  if (exit.cause._tag !== "Fail") throw new Error(`expected a typed failure, got ${String(exit.cause)}`)
  return exit.cause.error
}

describe("WeChat delivery: text through the Customer Service API", () => {
  it.scopedLive("a text is a Customer Service text message with the cached token; WeChat gives no message id", () =>
    Effect.gen(function*() {
      const { fake, delivery } = yield* setup()
      expect(yield* delivery.sendText(target(OPEN_ID), "✅ Job p1 finished (No images).", "k")).toEqual({ rung: "text", platformRef: "" })
      yield* delivery.sendText(target(OPEN_ID), "second", "k2")
      expect(fake.tokenCalls()).toHaveLength(1)
      const sends = fake.sendCalls()
      expect(sends.map((c) => c.body)).toEqual([
        { touser: OPEN_ID, msgtype: "text", text: { content: "✅ Job p1 finished (No images)." } },
        { touser: OPEN_ID, msgtype: "text", text: { content: "second" } }
      ])
      expect(sends[0]!.query["access_token"]).toBe("token-1")
      expect([delivery.platform, delivery.canEdit, delivery.idempotentSends]).toEqual(["wechat", false, false])
    }))

  it.scopedLive("a later piece failing after the first arrived: unknown-outcome (never resent in full); a first-piece failure stays as it is", () =>
    Effect.gen(function*() {
      const { fake, delivery } = yield* setup()
      const text = "a".repeat(2048) + "b".repeat(10)
      let sends = 0
      fake.onSend(() => (++sends === 2 ? { status: 200, json: { errcode: 45015, errmsg: "response out of time limit" } } : { status: 200, json: { errcode: 0 } }))
      const later = failure(yield* Effect.exit(delivery.sendText(target(OPEN_ID), text, "k")))
      expect([later.reason, later.message.includes("part 2 of 2")]).toEqual(["unknown-outcome", true])
      expect(fake.sendCalls().map((c) => (c.body as { text: { content: string } }).text.content)).toEqual(["a".repeat(2048), "b".repeat(10)])
      sends = 1 // the next send is the failing one: the first piece
      const first = failure(yield* Effect.exit(delivery.sendText(target(OPEN_ID), text, "k")))
      expect(first.reason).toBe("rejected")
      expect(fake.sendCalls()).toHaveLength(3) // nothing after a refused first piece
    }))

  it.scopedLive("errcodes: out of the 48 h window (45015) -> rejected, system busy (-1) -> unavailable", () =>
    Effect.gen(function*() {
      const { fake, delivery } = yield* setup()
      fake.onSend(() => ({ status: 200, json: { errcode: 45015, errmsg: "response out of time limit" } }))
      const late = failure(yield* Effect.exit(delivery.sendText(target(OPEN_ID), "hi", "k")))
      expect([late.reason, late.message]).toEqual(["rejected", "WeChat text refused errcode 45015: response out of time limit"])
      fake.onSend(() => ({ status: 200, json: { errcode: -1, errmsg: "system error" } }))
      expect(failure(yield* Effect.exit(delivery.sendText(target(OPEN_ID), "hi", "k"))).reason).toBe("unavailable")
    }))

  it.scopedLive("no answer to the send -> unknown-outcome; no answer from the token endpoint -> unavailable", () =>
    Effect.gen(function*() {
      const { fake, delivery } = yield* setup({ timeoutMillis: 100 })
      fake.onSend(() => new Promise(() => {}))
      const lost = failure(yield* Effect.exit(delivery.sendText(target(OPEN_ID), "hi", "k")))
      expect(lost.reason).toBe("unknown-outcome")
      expect(fake.sendCalls()).toHaveLength(1)

      const cold = yield* setup({ timeoutMillis: 100 })
      cold.fake.onToken(() => new Promise(() => {}))
      const noToken = failure(yield* Effect.exit(cold.delivery.sendText(target(OPEN_ID), "hi", "k")))
      expect(noToken.reason).toBe("unavailable")
      expect(cold.fake.sendCalls()).toHaveLength(0)
      expect(JSON.stringify([lost, noToken])).not.toContain(SECRET)
    }))

  it.scopedLive("without AppID/AppSecret every send is unsupported, naming the variables", () =>
    Effect.gen(function*() {
      const { fake, delivery } = yield* setup({ configured: false })
      const error = failure(yield* Effect.exit(delivery.sendText(target(OPEN_ID), "hi", "k")))
      expect(error.reason).toBe("unsupported")
      expect(error.message).toContain("OPENCLAW_CONNECTOR_WECHAT_APP_SECRET")
      yield* delivery.typing(target(OPEN_ID))
      expect(fake.calls).toHaveLength(0)
    }))
})

describe("WeChat delivery: images as temporary media", () => {
  it.scopedLive("the image is uploaded (multipart `media`, type=image), then sent by its media_id", () =>
    Effect.gen(function*() {
      const { fake, delivery } = yield* setup()
      const image = png(300, "ComfyUI_00005_.png")
      expect(yield* delivery.sendImage(target(OPEN_ID), image, "k")).toEqual({ rung: "image", platformRef: "" })
      const upload = fake.uploadCalls()
      expect(upload).toHaveLength(1)
      expect(upload[0]!.query).toEqual({ access_token: "token-1", type: "image" })
      expect(upload[0]!.upload?.filename).toBe("ComfyUI_00005_.png")
      expect(upload[0]!.upload?.contentType).toBe("image/png")
      expect(new Uint8Array(upload[0]!.upload!.bytes)).toEqual(image.bytes)
      expect(fake.sendCalls().map((c) => c.body)).toEqual([{ touser: OPEN_ID, msgtype: "image", image: { media_id: "media-1" } }])
    }))

  it.scopedLive("an upload refused for its token gets a fresh token and is uploaded once more", () =>
    Effect.gen(function*() {
      const { fake, delivery } = yield* setup()
      fake.onUpload((_call, index) =>
        index === 0
          ? { status: 200, json: { errcode: 40001, errmsg: "invalid credential" } }
          : { status: 200, json: { type: "image", media_id: "media-fresh" } }
      )
      yield* delivery.sendImage(target(OPEN_ID), png(), "k")
      expect(fake.uploadCalls().map((c) => c.query["access_token"])).toEqual(["token-1", "token-2"])
      expect(fake.sendCalls().map((c) => [c.query["access_token"], c.body])).toEqual([
        ["token-2", { touser: OPEN_ID, msgtype: "image", image: { media_id: "media-fresh" } }]
      ])
    }))

  it.scopedLive("upload failures never send: size errcode -> too-large, 5xx -> unavailable, no media_id -> rejected", () =>
    Effect.gen(function*() {
      const { fake, delivery } = yield* setup()
      fake.onUpload(() => ({ status: 200, json: { errcode: 40009, errmsg: "invalid image size" } }))
      expect(failure(yield* Effect.exit(delivery.sendImage(target(OPEN_ID), png(), "k"))).reason).toBe("too-large")
      fake.onUpload(() => ({ status: 502, json: {} }))
      const down = failure(yield* Effect.exit(delivery.sendImage(target(OPEN_ID), png(), "k")))
      expect([down.reason, down.message]).toEqual(["unavailable", "WeChat media upload unavailable (HTTP 502)"])
      expect(fake.uploadCalls()).toHaveLength(1 + 3)
      fake.onUpload(() => ({ status: 200, json: { type: "image" } }))
      expect(failure(yield* Effect.exit(delivery.sendImage(target(OPEN_ID), png(), "k"))).reason).toBe("rejected")
      expect(fake.sendCalls()).toHaveLength(0)
      expect(down.message).not.toContain("access_token")
    }))

  it.scopedLive("images WeChat cannot take, documents and edits are refused without calling WeChat", () =>
    Effect.gen(function*() {
      const { fake, delivery } = yield* setup()
      expect(failure(yield* Effect.exit(delivery.sendImage(target(OPEN_ID), png(MAX_IMAGE_BYTES + 1), "k"))).reason).toBe("too-large")
      const webp = { ...png(), contentType: "image/webp" }
      expect(failure(yield* Effect.exit(delivery.sendImage(target(OPEN_ID), webp, "k"))).reason).toBe("unsupported")
      expect(failure(yield* Effect.exit(delivery.sendDocument(target(OPEN_ID), png(), "k"))).reason).toBe("unsupported")
      expect(failure(yield* Effect.exit(delivery.editText(target(OPEN_ID), "", "x"))).reason).toBe("unsupported")
      expect(fake.calls).toHaveLength(0)
    }))

  it.scopedLive("typing sends the Customer Service Typing command", () =>
    Effect.gen(function*() {
      const { fake, delivery } = yield* setup()
      yield* delivery.typing(target(OPEN_ID))
      const typing = fake.calls.filter((c) => c.path === TYPING_PATH)
      expect(typing.map((c) => [c.query["access_token"], c.body])).toEqual([["token-1", { touser: OPEN_ID, command: "Typing" }]])
    }))
})
