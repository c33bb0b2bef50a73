import { Deferred, Effect, Layer, Option, Redacted } from "effect"
import type { RawRequest, RawResponse } from "../../../src/adapters/http/WebhookServer.js"
import { WebhookServer } from "../../../src/adapters/http/WebhookServer.js"
import { JobLedgerMemory } from "../../../src/adapters/storage/memory/JobLedgerMemory.js"
import { PlatformHealthMemory } from "../../../src/adapters/storage/memory/PlatformHealthMemory.js"
import { ReplayStoreMemory } from "../../../src/adapters/storage/memory/ReplayStoreMemory.js"
import { aesConfigOf } from "../../../src/adapters/wechat/Inbound.js"
import { makeWeChatApi } from "../../../src/adapters/wechat/WeChatApi.js"
import { wechatRoutes } from "../../../src/adapters/wechat/WeChatWebhook.js"
import { Backend } from "../../../src/ports/Backend.js"
import { RateLimiter } from "../../../src/ports/RateLimiter.js"
import { ReplayStore } from "../../../src/ports/ReplayStore.js"
import { StoreError } from "../../../src/ports/StoreError.js"
import { type BackendStub, makeBackendStub } from "../../support/BackendStub.js"
import { settingsLayer } from "../../support/Builders.js"
import type { Delivery } from "../../e2e/support/WeChatClient.js"
import { makeWeChatClient } from "../../e2e/support/WeChatClient.js"
import { startFakeWeChatApi } from "../../e2e/support/WeChatFakeApi.js"

/**
 * The WeChat routes served on 127.0.0.1:0 over in-memory ports, a recording backend stub and the
 * fake WeChat API; plus `direct`, which runs one request through the POST route in-process (and
 * its `after` work, in the same fiber, as the server does) for fast property tests.
 */
export const PATH = "/wechat/webhook"
export const TOKEN = "test_token"
export const APP_ID = "wx_test_app_id"
export const AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
export const STATUS_TEXT = "[Online] System Status\n- Logs: 0\n- Errors: 0\n- Queue: 0"

export interface HarnessOptions {
  readonly passiveWaitMillis?: number
  /** Configure the EncodingAESKey and AppID (default true). */
  readonly aes?: boolean
  /** Every nonce/event claim fails (store down). */
  readonly storeDown?: boolean
  /** `/status`'s health call waits for this before answering. */
  readonly slowHealth?: Deferred.Deferred<void>
}

const storeDown = Layer.succeed(ReplayStore, ReplayStore.of({
  claim: () => Effect.fail(new StoreError({ reason: "unavailable", operation: "claim" })),
  commit: () => Effect.void,
  release: () => Effect.void,
  fail: () => Effect.void
}))

const backendLayer = (stub: BackendStub, gate: Deferred.Deferred<void> | undefined) =>
  gate === undefined
    ? stub.layer
    : Layer.effect(Backend, Effect.map(Backend, (b) => ({ ...b, health: Effect.zipRight(Deferred.await(gate), b.health) }))).pipe(
      Layer.provide(stub.layer)
    )

export const startHarness = (options: HarnessOptions = {}) =>
  Effect.gen(function*() {
    const fake = yield* Effect.acquireRelease(Effect.promise(startFakeWeChatApi), (api) => Effect.promise(api.close))
    const backend = makeBackendStub({
      health: { status: "ok", stats: { logs_processed: 0, errors_captured: 0 } },
      promptQueue: { exec_info: { queue_remaining: 0 } }
    })
    const withAes = options.aes ?? true
    const api = yield* makeWeChatApi({ apiRoot: fake.url, appId: Option.some(APP_ID), appSecret: Option.some(Redacted.make("app-secret")) })
    const routes = wechatRoutes({
      path: PATH,
      token: Redacted.make(TOKEN),
      aes: aesConfigOf(withAes ? Option.some(Redacted.make(AES_KEY)) : Option.none(), Option.some(APP_ID)),
      allowedUsers: [],
      api,
      ...(options.passiveWaitMillis === undefined ? {} : { passiveWaitMillis: options.passiveWaitMillis })
    })
    const ports = Layer.mergeAll(
      options.storeDown ? storeDown : ReplayStoreMemory,
      JobLedgerMemory,
      PlatformHealthMemory,
      Layer.succeed(RateLimiter, RateLimiter.of({ take: () => Effect.succeed(true) })),
      settingsLayer(),
      backendLayer(backend, options.slowHealth)
    )
    const context = yield* Layer.build(ports)
    const address = yield* WebhookServer.make({ name: "wechat", bind: "127.0.0.1", port: 0, routes }).pipe(Effect.provide(context))
    const url = `${address.url}${PATH}`
    const client = makeWeChatClient({ url, token: TOKEN, appId: APP_ID, encodingAesKey: AES_KEY })
    const post = routes.find((r) => r.method === "POST")!

    /** One delivery through the POST route in-process; `after` runs before this returns. */
    const direct = (delivery: Delivery | { readonly target: string; readonly body: Uint8Array | string }) =>
      Effect.gen(function*() {
        const q = delivery.target.indexOf("?")
        const request: RawRequest = {
          method: "POST",
          path: q < 0 ? delivery.target : delivery.target.slice(0, q),
          query: new URLSearchParams(q < 0 ? "" : delivery.target.slice(q + 1)),
          headers: {},
          body: Buffer.from(delivery.body),
          remoteAddress: "127.0.0.1"
        }
        const response: RawResponse = yield* post.handle(request)
        if (response.after !== undefined) yield* response.after
        return { status: response.status, text: typeof response.body === "string" ? response.body : Buffer.from(response.body).toString("utf8") }
      }).pipe(Effect.provide(context))

    const statusRuns = () => backend.callsTo("health").length
    return { fake, backend, url, client, direct, statusRuns }
  })

export type Harness = Effect.Effect.Success<ReturnType<typeof startHarness>>
