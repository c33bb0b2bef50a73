import { Context, Effect, Layer, Logger, LogLevel, Option, Redacted } from "effect"
import { CallbackSignerHmac } from "../../../src/adapters/crypto/CallbackSignerHmac.js"
import { WebhookServer } from "../../../src/adapters/http/WebhookServer.js"
import { makeSlackCredentials } from "../../../src/adapters/slack/Credentials.js"
import { makeSlackDelivery } from "../../../src/adapters/slack/Delivery.js"
import { slackEventsRoute } from "../../../src/adapters/slack/EventsRoute.js"
import { slackInteractionsRoute } from "../../../src/adapters/slack/Interactions.js"
import { makeSlackApi } from "../../../src/adapters/slack/SlackApi.js"
import { JobLedgerMemory } from "../../../src/adapters/storage/memory/JobLedgerMemory.js"
import { PlatformHealthMemory } from "../../../src/adapters/storage/memory/PlatformHealthMemory.js"
import type { CoreSettings } from "../../../src/domain/model/Settings.js"
import { PlatformHealth } from "../../../src/ports/PlatformHealth.js"
import { RateLimiter } from "../../../src/ports/RateLimiter.js"
import { ReplayStore } from "../../../src/ports/ReplayStore.js"
import { type BackendStub, makeBackendStub } from "../../support/BackendStub.js"
import { settingsLayer } from "../../support/Builders.js"
import { makeRecordingReplayStore, type StoreProbe } from "../../support/RecordingReplayStore.js"
import { type SlackApiFake, startSlackApiFake } from "../../e2e/support/SlackApiFake.js"
import { interactionBody, type PostOptions, postSlack, type SlackAnswer } from "../../e2e/support/SlackClient.js"
import { makeRegistrySpy, type RegistrySpy } from "./support/RegistrySpy.js"

/**
 * The Slack events and interactions routes on 127.0.0.1:0 with a recording fake Slack Web API,
 * the in-memory installation registry (behind a spy) with two workspaces installed (A and B, each with its own bot
 * token and bot user id), a stubbed backend, the memory replay store (recorded) and captured logs.
 */
export const SIGNING_SECRET = "slack-signing-secret-for-tests"
export const TEAM_A = "T0AAAAAAA"
export const TOKEN_A = "xoxb-team-a-token"
export const BOT_A = "UBOTAAAAA"
export const TEAM_B = "T0BBBBBBB"
export const TOKEN_B = "xoxb-team-b-token"
export const BOT_B = "UBOTBBBBB"
export const LEGACY_TEAM = "T0LEGACY1"
export const LEGACY_TOKEN = "xoxb-legacy-token"
export const LEGACY_BOT = "UBOTLEGAC"
export const EVENTS_PATH = "/slack/events"
export const INTERACTIONS_PATH = "/slack/interactions"

export interface ServeOptions {
  readonly settings?: Partial<CoreSettings>
  readonly backend?: BackendStub
  readonly requireMention?: boolean
  readonly replyInThread?: boolean
  readonly legacyToken?: string
  readonly oauthEnabled?: boolean
  /** Install A and B in the registry (default true); bot ids in metadata unless `metadataBotIds` is false. */
  readonly install?: boolean
  readonly metadataBotIds?: boolean
  /** Claims numbered from 1 at or after this one fail with StoreError. */
  readonly failClaimsFrom?: number
  /** Claim number `n` (from 1) fails with StoreError when this says so (overrides failClaimsFrom). */
  readonly failClaim?: (n: number) => boolean
}

export const healthyBackend = (): BackendStub =>
  makeBackendStub({
    health: { ok: true, stats: { logs_processed: 3, errors_captured: 0 } },
    promptQueue: { exec_info: { queue_remaining: 1 } }
  })

export const allowAll = Layer.succeed(RateLimiter, RateLimiter.of({ take: () => Effect.succeed(true) }))

export const serveSlack = (options: ServeOptions = {}) =>
  Effect.gen(function*() {
    const api = yield* Effect.acquireRelease(Effect.promise(startSlackApiFake), (a) => Effect.promise(() => a.close()))
    api.addWorkspace({ teamId: TEAM_A, token: TOKEN_A, botUserId: BOT_A })
    api.addWorkspace({ teamId: TEAM_B, token: TOKEN_B, botUserId: BOT_B })
    api.addWorkspace({ teamId: LEGACY_TEAM, token: LEGACY_TOKEN, botUserId: LEGACY_BOT })
    const registry = makeRegistrySpy()
    if (options.install !== false) {
      const meta = (bot: string): Record<string, string> => options.metadataBotIds === false ? {} : { bot_user_id: bot }
      registry.install(TEAM_A, TOKEN_A, meta(BOT_A))
      registry.install(TEAM_B, TOKEN_B, meta(BOT_B))
    }
    const backend = options.backend ?? healthyBackend()
    const made = Effect.runSync(makeRecordingReplayStore({
      failClaim: options.failClaim ?? ((n) => options.failClaimsFrom !== undefined && n >= options.failClaimsFrom)
    }))
    const logs: Array<string> = []
    const capture = Logger.make(({ message }) => {
      logs.push(Array.isArray(message) ? message.map(String).join(" ") : String(message))
    })
    const context = yield* Layer.build(Layer.mergeAll(
      Layer.succeed(ReplayStore, made.service),
      backend.layer,
      JobLedgerMemory,
      allowAll,
      settingsLayer(options.settings),
      CallbackSignerHmac.layer(Redacted.make("callback-key-for-tests")),
      PlatformHealthMemory,
      registry.layer
    ))
    const logging = Layer.mergeAll(Logger.replace(Logger.defaultLogger, capture), Logger.minimumLogLevel(LogLevel.Debug))
    const credentials = yield* makeSlackCredentials({
      api: makeSlackApi({ apiRoot: api.apiRoot, timeoutMillis: 2_000 }),
      legacyToken: options.legacyToken === undefined ? Option.none() : Option.some(Redacted.make(options.legacyToken)),
      oauthEnabled: options.oauthEnabled ?? true
    }).pipe(Effect.provide(context))
    const secret = Redacted.make(SIGNING_SECRET)
    const common = { signingSecret: secret, credentials, replyInThread: options.replyInThread ?? true }
    const routes = [
      yield* slackEventsRoute({ ...common, path: EVENTS_PATH, requireMention: options.requireMention ?? true }),
      yield* slackInteractionsRoute({ ...common, path: INTERACTIONS_PATH })
    ]
    const address = yield* WebhookServer.make({ name: "slack", bind: "127.0.0.1", port: 0, routes }).pipe(
      Effect.provide(context),
      Effect.provide(logging)
    )
    const delivery = makeSlackDelivery({ credentials })
    const health = Context.get(context, PlatformHealth)
    const postEvent = (body: string | Uint8Array, post: PostOptions = {}): Effect.Effect<SlackAnswer> =>
      Effect.promise(() => postSlack(`${address.url}${EVENTS_PATH}`, SIGNING_SECRET, body, post))
    const postInteraction = (payload: unknown, post: PostOptions = {}): Effect.Effect<SlackAnswer> =>
      Effect.promise(() =>
        postSlack(`${address.url}${INTERACTIONS_PATH}`, SIGNING_SECRET, interactionBody(payload), {
          contentType: "application/x-www-form-urlencoded",
          ...post
        })
      )
    /** Runs an effect with the harness's ports and log capture (delivery calls). */
    const run = <A, E>(effect: Effect.Effect<A, E, any>) => effect.pipe(Effect.provide(context), Effect.provide(logging)) as Effect.Effect<A, E>
    return { url: address.url, api, registry, backend, probe: made.probe as StoreProbe, logs, credentials, delivery, health, postEvent, postInteraction, run }
  })

export type Served = Effect.Effect.Success<ReturnType<typeof serveSlack>>

/** Polls `condition` every 10 ms until it holds; fails the test after `timeoutMs`. */
export const eventually = (condition: () => boolean, timeoutMs = 5_000, what = "condition") =>
  Effect.gen(function*() {
    const deadline = Date.now() + timeoutMs
    while (!condition()) {
      if (Date.now() > deadline) return yield* Effect.die(new Error(`timed out waiting for ${what}`))
      yield* Effect.sleep("10 millis")
    }
  })

export { type RegistrySpy, type SlackApiFake }
