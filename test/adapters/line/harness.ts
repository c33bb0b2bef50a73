import { Effect, Layer, Logger, LogLevel, Redacted } from "effect"
import { CallbackSignerHmac } from "../../../src/adapters/crypto/CallbackSignerHmac.js"
import { WebhookServer } from "../../../src/adapters/http/WebhookServer.js"
import { lineRoute, type LineRouteOptions } from "../../../src/adapters/line/LineWebhook.js"
import { JobLedgerMemory } from "../../../src/adapters/storage/memory/JobLedgerMemory.js"
import { PlatformHealthMemory } from "../../../src/adapters/storage/memory/PlatformHealthMemory.js"
import { makeRecordingReplayStore, type StoreProbe } from "../../support/RecordingReplayStore.js"
import type { CoreSettings } from "../../../src/domain/model/Settings.js"
import { RateLimiter } from "../../../src/ports/RateLimiter.js"
import { ReplayStore } from "../../../src/ports/ReplayStore.js"
import { type BackendStub, makeBackendStub } from "../../support/BackendStub.js"
import { settingsLayer } from "../../support/Builders.js"
import { type LineApiFake, startLineApiFake } from "../../e2e/support/LineApiFake.js"
import { type LineAnswer, postLine } from "../../e2e/support/LineClient.js"

/**
 * The LINE route on 127.0.0.1:0 with a recording fake LINE API, a stubbed backend, the real
 * memory replay store (wrapped to record what it was asked) and a captured log.
 */
export const SECRET = "line-channel-secret"
export const ACCESS_TOKEN = "line-access-token-value"
export const PATH = "/line/webhook"

export type { StoreProbe }

export interface StoreOptions {
  /** Claims numbered from 1 at or after this one fail with StoreError (store down). */
  readonly failClaimsFrom?: number
}

/** The memory ReplayStore, recording every call; optionally failing claims. */
export const recordingStore = (options: StoreOptions = {}) => {
  const made = Effect.runSync(makeRecordingReplayStore({
    failClaim: (n) => options.failClaimsFrom !== undefined && n >= options.failClaimsFrom
  }))
  return { layer: Layer.succeed(ReplayStore, made.service), probe: made.probe }
}

export const allowAll = Layer.succeed(RateLimiter, RateLimiter.of({ take: () => Effect.succeed(true) }))

export interface ServeOptions {
  readonly store?: StoreOptions
  readonly settings?: Partial<CoreSettings>
  readonly route?: Partial<LineRouteOptions>
  readonly backend?: BackendStub
  readonly rateLimiter?: Layer.Layer<RateLimiter>
}

export interface Served {
  readonly url: string
  readonly api: LineApiFake
  readonly backend: BackendStub
  readonly probe: StoreProbe
  readonly logs: Array<string>
  /** POST `body` signed with SECRET (or with `signature`; "" sends no header). */
  readonly post: (body: string | Uint8Array, signature?: string) => Effect.Effect<LineAnswer>
}

/** A stub answering /status and the approval calls like a healthy backend. */
export const healthyBackend = (): BackendStub =>
  makeBackendStub({
    health: { ok: true, stats: { logs_processed: 3, errors_captured: 0 } },
    promptQueue: { exec_info: { queue_remaining: 1 } }
  })

export const serveLine = (options: ServeOptions = {}) =>
  Effect.gen(function*() {
    const api = yield* Effect.acquireRelease(Effect.promise(startLineApiFake), (a) => Effect.promise(() => a.close()))
    const backend = options.backend ?? healthyBackend()
    const { layer: storeLayer, probe } = recordingStore(options.store)
    const logs: Array<string> = []
    const capture = Logger.make(({ message }) => {
      logs.push(Array.isArray(message) ? message.map(String).join(" ") : String(message))
    })
    const route = yield* lineRoute({
      path: PATH,
      channelSecret: Redacted.make(SECRET),
      channelAccessToken: Redacted.make(ACCESS_TOKEN),
      apiRoot: api.url,
      allowedUsers: [],
      allowedGroups: [],
      ...options.route
    })
    const ports = Layer.mergeAll(
      storeLayer,
      backend.layer,
      JobLedgerMemory,
      options.rateLimiter ?? allowAll,
      settingsLayer(options.settings),
      CallbackSignerHmac.layer(Redacted.make("callback-key-for-tests")),
      PlatformHealthMemory,
      Logger.replace(Logger.defaultLogger, capture),
      Logger.minimumLogLevel(LogLevel.Debug)
    )
    const address = yield* WebhookServer.make({ name: "line", bind: "127.0.0.1", port: 0, routes: [route] }).pipe(
      Effect.provide(ports)
    )
    const url = `${address.url}${PATH}`
    const post = (body: string | Uint8Array, signature?: string) =>
      Effect.promise(() => postLine(url, SECRET, body, signature === undefined ? {} : { signature }))
    return { url, api, backend, probe, logs, post } satisfies Served
  })

/** Polls `condition` every 10 ms until it holds; fails the test after `timeoutMs`. */
export const eventually = (condition: () => boolean, timeoutMs = 5_000, what = "condition") =>
  Effect.gen(function*() {
    const deadline = Date.now() + timeoutMs
    while (!condition()) {
      if (Date.now() > deadline) return yield* Effect.die(new Error(`timed out waiting for ${what}`))
      yield* Effect.sleep("10 millis")
    }
  })
