import { Context, Effect, Layer, Logger, LogLevel, Option, Redacted } from "effect"
import { CallbackSignerHmac } from "../../../src/adapters/crypto/CallbackSignerHmac.js"
import type { RawRequest, RawResponse } from "../../../src/adapters/http/WebhookServer.js"
import { WebhookServer } from "../../../src/adapters/http/WebhookServer.js"
import { JobLedgerMemory } from "../../../src/adapters/storage/memory/JobLedgerMemory.js"
import { PlatformHealthMemory } from "../../../src/adapters/storage/memory/PlatformHealthMemory.js"
import { makeRecordingReplayStore, type StoreProbe } from "../../support/RecordingReplayStore.js"
import type { WhatsAppRequirements } from "../../../src/adapters/whatsapp/Process.js"
import { whatsappRoutes, type WhatsAppRouteOptions } from "../../../src/adapters/whatsapp/WhatsAppWebhook.js"
import type { CoreSettings } from "../../../src/domain/model/Settings.js"
import { PlatformHealth } from "../../../src/ports/PlatformHealth.js"
import { RateLimiter } from "../../../src/ports/RateLimiter.js"
import { ReplayStore } from "../../../src/ports/ReplayStore.js"
import { type BackendStub, makeBackendStub } from "../../support/BackendStub.js"
import { settingsLayer } from "../../support/Builders.js"
import { type FakeGraphApi, startFakeGraphApi } from "../../e2e/support/WhatsAppGraphApi.js"
import { signatureOf } from "../../e2e/support/WhatsAppClient.js"

/**
 * The WhatsApp routes with real memory storage, a recording backend stub, a real callback signer
 * and a fake Graph API on 127.0.0.1. `deliver` calls the POST route directly and then runs its
 * after-answer work to the end, so a test sees every outcome of a delivery when it returns.
 */
export const APP_SECRET = "wa-app-secret"
export const VERIFY_TOKEN = "dummy_verify"
export const ACCESS_TOKEN = "dummy_access"
export const PHONE_NUMBER_ID = "106540352242922"
export const ADMIN = "9000"
export const PATH = "/whatsapp/webhook"

export type { StoreProbe }

export interface HarnessOptions {
  readonly route?: Partial<WhatsAppRouteOptions>
  readonly settings?: Partial<CoreSettings>
  /** The claim with this 1-based number fails with a StoreError (store down). */
  readonly failClaimNumber?: number
  /** Every commit dies (a defect after the command ran). */
  readonly dieOnCommit?: boolean
}

/** A memory replay store that records what it was asked; optionally failing. */
const recordingStore = (options: HarnessOptions) =>
  makeRecordingReplayStore({
    failClaim: (n) => n === options.failClaimNumber,
    ...(options.dieOnCommit === undefined ? {} : { dieOnCommit: options.dieOnCommit })
  })

export interface Answer {
  readonly status: number
  readonly text: string
  readonly headers: Readonly<Record<string, string>>
}

const answerOf = (response: RawResponse): Answer => ({
  status: response.status,
  text: typeof response.body === "string" ? response.body : Buffer.from(response.body).toString("utf8"),
  headers: { "content-type": "text/plain; charset=utf-8", ...response.headers }
})

export const rawRequest = (method: string, body: string | Uint8Array, headers: Record<string, string> = {}, query = ""): RawRequest => ({
  method,
  path: PATH,
  query: new URLSearchParams(query),
  headers,
  body: Buffer.from(body),
  remoteAddress: "127.0.0.1"
})

export const setup = (options: HarnessOptions = {}) =>
  Effect.gen(function*() {
    const graph: FakeGraphApi = yield* Effect.acquireRelease(
      Effect.promise(() => startFakeGraphApi()),
      (g) => Effect.promise(() => g.close())
    )
    const backend: BackendStub = makeBackendStub()
    const logs: Array<string> = []
    const { service, probe } = yield* recordingStore(options)
    const ports = Layer.mergeAll(
      Layer.succeed(ReplayStore, service),
      JobLedgerMemory,
      backend.layer,
      settingsLayer({ adminUsers: [ADMIN], ...options.settings }),
      Layer.succeed(RateLimiter, RateLimiter.of({ take: () => Effect.succeed(true) })),
      CallbackSignerHmac.layer(Redacted.make("callback-key-for-tests")),
      PlatformHealthMemory
    )
    const context: Context.Context<WhatsAppRequirements> = yield* Layer.build(ports)
    const logger = Layer.mergeAll(
      Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => {
        logs.push(Array.isArray(message) ? message.map(String).join(" ") : String(message))
      })),
      Logger.minimumLogLevel(LogLevel.Debug)
    )
    const routes = yield* whatsappRoutes({
      path: PATH,
      verifyToken: Option.some(Redacted.make(VERIFY_TOKEN)),
      appSecret: Option.some(Redacted.make(APP_SECRET)),
      accessToken: Option.some(Redacted.make(ACCESS_TOKEN)),
      phoneNumberId: Option.some(PHONE_NUMBER_ID),
      allowedUsers: [],
      apiRoot: graph.url,
      graphVersion: "v19.0",
      ...options.route
    })
    const post = routes.find((r) => r.method === "POST")!
    const get = routes.find((r) => r.method === "GET")!
    const inPorts = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      effect.pipe(Effect.provide(context), Effect.provide(logger))

    /** POST exactly these bytes and headers; returns once the after-answer work has ended. */
    const deliverRaw = (body: string | Uint8Array, headers: Record<string, string>) =>
      inPorts(Effect.gen(function*() {
        const response = yield* post.handle(rawRequest("POST", body, headers))
        if (response.after) yield* response.after
        return answerOf(response)
      }))

    /** POST `payload` (JSON-encoded unless already bytes) signed with the app secret. */
    const deliver = (payload: unknown, secret = APP_SECRET) => {
      const body = typeof payload === "string" || payload instanceof Uint8Array ? payload : JSON.stringify(payload)
      return deliverRaw(body, { "x-hub-signature-256": signatureOf(secret, body) })
    }

    const verify = (query: string) => inPorts(Effect.map(get.handle(rawRequest("GET", "", {}, query)), answerOf))

    /** The same routes on a real socket (127.0.0.1, free port); returns the webhook URL. */
    const serve = inPorts(
      Effect.map(WebhookServer.make({ name: "whatsapp", bind: "127.0.0.1", port: 0, routes }), (a) => `${a.url}${PATH}`)
    )

    const health = inPorts(Effect.flatMap(PlatformHealth, (h) => h.snapshot))

    return { graph, backend, probe, logs, deliver, deliverRaw, verify, serve, health, context }
  })
