// One layer of the KakaoTalk webhook path behind the real WebhookServer, for the cost breakdown in
// bench/kakao-layers.mjs. Built from the compiled modules (dist/), with the ports main.ts uses
// (embedded SQLite store, in-memory rate limiter, Settings from the same configuration loader).
// Usage: node bench/kakao-layers-server.mjs <variant> <port> <stateDir>
//   constant       the server and one request fiber answering a fixed SkillResponse
//   decode-render  + body decode (Schema), replay key (sha256), /help rendering, metrics
//   replay         + durable replay claim before and commit after (SQLite), no command
//   replay-memory  the same with the in-memory ReplayStore (is it the store or the bookkeeping?)
//   full           the shipped Kakao route: + rate limit, parse, authorise, /help handler
// Loopback only; stops on SIGTERM.
import { NodeHttpClient } from "@effect/platform-node"
import { ConfigProvider, Effect, Either, Exit, Layer, ManagedRuntime, Metric, Scope } from "effect"
import { join } from "node:path"

const dist = new URL("../dist/", import.meta.url).href
const load = (path) => import(dist + path)
const [variant, port, stateDir] = process.argv.slice(2)

const { loadConnectorConfig } = await load("adapters/config/ConnectorConfig.js")
const { settingsLayer } = await load("adapters/config/CoreSettings.js")
const { SqliteStorage } = await load("adapters/storage/sqlite/SqliteStorage.js")
const { RateLimiterMemory } = await load("adapters/storage/memory/RateLimiterMemory.js")
const { BackendHttp } = await load("adapters/backend/BackendHttp.js")
const { LoggingLive } = await load("adapters/runtime/Logging.js")
const { WebhookServer } = await load("adapters/http/WebhookServer.js")
const { kakaoRoute } = await load("adapters/kakao/KakaoWebhook.js")
const { decodeSkillRequest } = await load("adapters/kakao/Schema.js")
const { inboundEventOf } = await load("adapters/kakao/Inbound.js")
const { skillResponseOf } = await load("adapters/kakao/SkillResponse.js")
const { admitInbound } = await load("domain/ingress/Ingress.js")
const { handleCommand } = await load("domain/command/Router.js")
const { inboundCounter } = await load("domain/model/Metrics.js")
const { ReplayStore } = await load("ports/ReplayStore.js")

const env = new Map([
  ["OPENCLAW_CONNECTOR_STATE_DIR", stateDir],
  ["OPENCLAW_CONNECTOR_URL", "http://127.0.0.1:9"],
  ["OPENCLAW_CONNECTOR_KAKAO_ENABLED", "true"]
])
const { config } = await Effect.runPromise(
  loadConnectorConfig.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(env)))
)
const SettingsLive = settingsLayer(config)
const Ports = Layer.mergeAll(
  SqliteStorage.layer({ filename: join(stateDir, "connector.sqlite") }),
  SettingsLive,
  RateLimiterMemory.pipe(Layer.provide(SettingsLive)),
  BackendHttp.layer({ baseUrl: config.backend.url, adminToken: config.backend.adminToken }).pipe(
    Layer.provide(NodeHttpClient.layerUndici)
  )
).pipe(Layer.provide(LoggingLive("warning")))
const runtime = ManagedRuntime.make(Ports)

// The /help reply, computed once by the real handler, for the layers that skip the command.
const helpReply = await runtime.runPromise(handleCommand({
  platform: "kakao", senderId: "bench", channelId: "bench", username: "bench", messageId: "m",
  text: "/help", workspaceId: "", threadId: "", channelKind: "dm"
}, { eventKey: "" }))
const handled = inboundCounter("kakao", "handled")
const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" }
const answer = (reply) => ({ status: 200, headers: JSON_HEADERS, body: JSON.stringify(skillResponseOf(reply)) })
const fixed = answer(helpReply)

/**
 * decode -> replay key -> (middle) -> render, as the Kakao route does around the pipeline.
 * Generator functions are created once, as in src/ (one created per call costs ~1.5 µs on Node 20).
 */
const around = (middle) => Effect.fnUntraced(function*(request) {
  const decoded = decodeSkillRequest(request.body)
  if (Either.isLeft(decoded)) return { status: 400, body: "bad" }
  const event = inboundEventOf(decoded.right, request.body)
  const reply = yield* middle(event)
  if (reply === undefined) return { status: 503, body: "store refused" }
  yield* Metric.increment(handled)
  return answer(reply)
})

const memoryStore = (await Effect.runPromise((await load("adapters/storage/memory/ReplayStoreMemory.js")).makeReplayStoreMemory)).store
const replay = Effect.fnUntraced(function*(event) {
  const store = yield* ReplayStore
  const admitted = yield* Effect.either(admitInbound(event))
  if (Either.isLeft(admitted)) return undefined
  yield* Effect.either(store.commit(event.eventKey, event.replayTtlMillis))
  return helpReply
})

const handlers = {
  constant: () => Effect.succeed(fixed),
  "decode-render": around(() => Effect.succeed(helpReply)),
  replay: around(replay),
  "replay-memory": around((event) => Effect.provideService(replay(event), ReplayStore, memoryStore)),
  full: kakaoRoute({ path: "/kakao/webhook", allowedUsers: [] }).handle
}
const handle = handlers[variant]
if (handle === undefined) throw new Error(`unknown variant ${variant}`)

const scope = await runtime.runPromise(Scope.make())
await runtime.runPromise(Scope.extend(WebhookServer.make({
  name: "kakao",
  bind: "127.0.0.1",
  port: Number(port),
  routes: [{ method: "POST", path: "/kakao/webhook", handle }]
}), scope))
process.stdout.write(`layer ${variant} listening\n`)
process.on("SIGTERM", () => {
  runtime.runPromise(Scope.close(scope, Exit.void)).then(() => runtime.dispose()).then(() => process.exit(0))
})
