import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted } from "effect"
import { CallbackSignerHmac } from "../../../src/adapters/crypto/CallbackSignerHmac.js"
import { ChatDeliveriesRegistry } from "../../../src/adapters/delivery/ChatDeliveriesRegistry.js"
import { lineLive } from "../../../src/adapters/line/LineLive.js"
import { MemoryStorage } from "../../../src/adapters/storage/memory/MemoryStorage.js"
import { PlatformHealthMemory } from "../../../src/adapters/storage/memory/PlatformHealthMemory.js"
import { wechatLive } from "../../../src/adapters/wechat/WeChatLive.js"
import { whatsappLive } from "../../../src/adapters/whatsapp/WhatsAppLive.js"
import { ChatDeliveries } from "../../../src/ports/ChatDelivery.js"
import { MediaStore } from "../../../src/ports/MediaStore.js"
import { RateLimiter } from "../../../src/ports/RateLimiter.js"
import { makeBackendStub } from "../../support/BackendStub.js"
import { settingsLayer } from "../../support/Builders.js"
import { C, loadFrom } from "../config/env.js"
import { freePort } from "../../e2e/support/ServiceProcess.js"
import { PUSH_PATH, startLineApiFake } from "../../e2e/support/LineApiFake.js"
import { makeMemoryMedia, png, target } from "./DeliveryFakes.js"

/**
 * The platform layers as main.ts runs them (over memory ports): each registers its delivery at
 * start, and the LINE and WhatsApp servers also serve MEDIA_PATH from the MediaStore.
 */
const start = Effect.gen(function*() {
  const lineApi = yield* Effect.acquireRelease(Effect.promise(startLineApiFake), (f) => Effect.promise(() => f.close()))
  const [linePort, waPort, wechatPort] = yield* Effect.promise(() => Promise.all([freePort(), freePort(), freePort()]))
  const { config } = yield* loadFrom({
    [`${C}LINE_CHANNEL_SECRET`]: "line-secret",
    [`${C}LINE_CHANNEL_ACCESS_TOKEN`]: "line-token",
    [`${C}LINE_PORT`]: String(linePort),
    [`${C}LINE_API_ROOT`]: lineApi.url,
    [`${C}WHATSAPP_ACCESS_TOKEN`]: "wa-token",
    [`${C}WHATSAPP_VERIFY_TOKEN`]: "wa-verify",
    [`${C}WHATSAPP_PORT`]: String(waPort),
    [`${C}WECHAT_TOKEN`]: "wechat-token",
    [`${C}WECHAT_PORT`]: String(wechatPort),
    [`${C}MEDIA_PATH`]: "/files/media"
  })
  const media = makeMemoryMedia()
  const ports = Layer.mergeAll(
    MemoryStorage,
    PlatformHealthMemory,
    Layer.succeed(RateLimiter, RateLimiter.of({ take: () => Effect.succeed(true) })),
    settingsLayer(),
    makeBackendStub().layer,
    CallbackSignerHmac.layer(Redacted.make("callback-key")),
    ChatDeliveriesRegistry,
    media.layer
  )
  const context = yield* Layer.build(
    Layer.mergeAll(lineLive(config), whatsappLive(config), wechatLive(config)).pipe(Layer.provideMerge(ports))
  )
  const deliveries = yield* Effect.provide(ChatDeliveries, context)
  return { lineApi, media, deliveries, linePort, waPort, wechatPort }
})

describe("platform layers: deliveries registered, media served", () => {
  it.scopedLive("LINE, WhatsApp and WeChat register their deliveries at start", () =>
    Effect.gen(function*() {
      const { deliveries, lineApi } = yield* start
      const found = yield* Effect.forEach(["line", "whatsapp", "wechat"], (p) => deliveries.forPlatform(p))
      expect(found.map(Option.map((d) => [d.platform, d.canEdit, d.idempotentSends]))).toEqual([
        Option.some(["line", false, true]),
        Option.some(["whatsapp", false, false]),
        Option.some(["wechat", false, false])
      ])
      // The registered LINE delivery talks to the configured API root with the configured token.
      const line = Option.getOrThrow(found[0]!)
      yield* line.sendText(target("U1"), "hello", "k")
      expect(lineApi.callsTo(PUSH_PATH).map((c) => [c.headers["authorization"], c.body.to])).toEqual([["Bearer line-token", "U1"]])
    }))

  it.scopedLive("the LINE and WhatsApp servers serve MEDIA_PATH links from the MediaStore; WeChat's does not", () =>
    Effect.gen(function*() {
      const { media, linePort, waPort, wechatPort } = yield* start
      const image = png(32)
      const stored = yield* Effect.provide(Effect.flatMap(MediaStore, (store) => store.put(image)), media.layer)
      expect(stored.url).toContain("/media/1?sig=s1")
      const get = (port: number, path: string) =>
        Effect.promise(async () => {
          const res = await fetch(`http://127.0.0.1:${port}${path}`)
          return { status: res.status, bytes: new Uint8Array(await res.arrayBuffer()) }
        })
      const fromLine = yield* get(linePort, "/files/media/1?sig=s1")
      const fromWa = yield* get(waPort, "/files/media/1?sig=s1")
      expect([fromLine.status, fromWa.status]).toEqual([200, 200])
      expect(fromLine.bytes).toEqual(image.bytes)
      expect(fromWa.bytes).toEqual(image.bytes)
      expect((yield* get(linePort, "/files/media/1?sig=forged")).status).toBe(404)
      expect((yield* get(wechatPort, "/files/media/1?sig=s1")).status).toBe(404)
    }))
})
