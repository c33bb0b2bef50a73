/**
 * Composition root: read the configuration once, pick the adapters it asks for, merge their
 * layers and run until SIGINT/SIGTERM. No rule lives here.
 */
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Effect, Layer, Option } from "effect"
import { join } from "node:path"
import { BackendHttp } from "./adapters/backend/BackendHttp.js"
import { ConfigLoadError } from "./adapters/config/ConfigLoadError.js"
import { type ConnectorConfig, loadConnectorConfig } from "./adapters/config/ConnectorConfig.js"
import { settingsLayer } from "./adapters/config/CoreSettings.js"
import { dotenvConfigLayer } from "./adapters/config/Dotenv.js"
import { OperatorServerLive } from "./adapters/http/OperatorServer.js"
import { WebhookServer } from "./adapters/http/WebhookServer.js"
import { KakaoDeliveryLive } from "./adapters/kakao/Delivery.js"
import { kakaoRoute } from "./adapters/kakao/KakaoWebhook.js"
import { discordLive } from "./adapters/discord/DiscordLive.js"
import { lineLive } from "./adapters/line/LineLive.js"
import { slackLive } from "./adapters/slack/SlackLive.js"
import { telegramLive } from "./adapters/telegram/TelegramLive.js"
import { wechatLive } from "./adapters/wechat/WeChatLive.js"
import { whatsappLive } from "./adapters/whatsapp/WhatsAppLive.js"
import { CallbackKey } from "./adapters/crypto/CallbackKey.js"
import { ComfyEventsLive } from "./adapters/comfy/ComfyEventsLive.js"
import { DeliveryWorkerLive } from "./adapters/delivery/DeliveryWorker.js"
import { ChatDeliveriesRegistry } from "./adapters/delivery/ChatDeliveriesRegistry.js"
import { MediaStoreFile } from "./adapters/media/MediaStoreFile.js"
import { LoggingLive } from "./adapters/runtime/Logging.js"
import { announce, probeBackend, unservedPlatforms, warnUnserved } from "./adapters/runtime/Startup.js"
import { PlatformHealthMemory } from "./adapters/storage/memory/PlatformHealthMemory.js"
import { RateLimiterMemory } from "./adapters/storage/memory/RateLimiterMemory.js"
import { SqliteStorage } from "./adapters/storage/sqlite/SqliteStorage.js"

const storageFor = (config: ConnectorConfig) =>
  Option.isSome(config.databaseUrl)
    ? Layer.fail(
      new ConfigLoadError({
        reason: "malformed",
        variable: "OPENCLAW_CONNECTOR_DATABASE_URL",
        message: "OPENCLAW_CONNECTOR_DATABASE_URL is set, but this build stores state in embedded SQLite only; unset it."
      })
    )
    : SqliteStorage.layer({
      filename: join(config.stateDir, "connector.sqlite"),
      installations: { stateDir: config.stateDir, secretKey: config.secretKey, multiTenant: config.tenancy.multiTenantEnabled }
    })

const portsFor = (config: ConnectorConfig) => {
  const SettingsLive = settingsLayer(config)
  const BackendLive = BackendHttp.layer({ baseUrl: config.backend.url, adminToken: config.backend.adminToken }).pipe(
    Layer.provide(NodeHttpClient.layerUndici)
  )
  const Ports = Layer.mergeAll(
    storageFor(config),
    BackendLive,
    ComfyEventsLive({ baseUrl: config.backend.url, adminToken: config.backend.adminToken }).pipe(Layer.provide(BackendLive)),
    SettingsLive,
    RateLimiterMemory.pipe(Layer.provide(SettingsLive)),
    PlatformHealthMemory,
    ChatDeliveriesRegistry,
    MediaStoreFile.layerFromConfig(config),
    CallbackKey.layer({ stateDir: config.stateDir, secretKey: config.secretKey })
  )
  // The worker shares the ports (one ChatDeliveries registry the platform adapters register into).
  return DeliveryWorkerLive(config.delivery).pipe(Layer.provideMerge(Ports))
}

const kakaoFor = (config: ConnectorConfig) =>
  config.kakao.enabled
    ? WebhookServer.layer({
      name: "kakao",
      bind: config.kakao.bind,
      port: config.kakao.port,
      routes: [kakaoRoute({ path: config.kakao.path, allowedUsers: config.kakao.allowedUsers })]
    }).pipe(
      Layer.tap(() => Effect.logInfo(`Kakao webhook listening on ${config.kakao.bind}:${config.kakao.port}${config.kakao.path}`)),
      Layer.merge(KakaoDeliveryLive)
    )
    : Layer.empty

const App = Layer.unwrapEffect(
  Effect.gen(function*() {
    const { config, warnings, info } = yield* loadConnectorConfig
    const Servers = Layer.mergeAll(
      OperatorServerLive({
        ...config.operator,
        mediaPath: config.media.path,
        diagnostics: { adminToken: config.backend.adminToken, tenancy: config.tenancy }
      }).pipe(
        Layer.tap(() => Effect.logInfo(`Operator server listening on ${config.operator.bind}:${config.operator.port}`))
      ),
      kakaoFor(config),
      lineLive(config),
      whatsappLive(config),
      wechatLive(config),
      telegramLive(config),
      discordLive(config),
      slackLive(config)
    )
    const unserved = unservedPlatforms({
      telegram: config.telegram.enabled,
      discord: config.discord.enabled,
      line: config.line.enabled,
      whatsapp: config.whatsapp.enabled,
      wechat: config.wechat.enabled,
      kakao: config.kakao.enabled,
      slack: config.slack.enabled,
      feishu: config.feishu.enabled
    })
    const Startup = Layer.effectDiscard(
      Effect.all([announce(warnings, info), warnUnserved(unserved), probeBackend], { discard: true })
    )
    return Layer.mergeAll(Startup, Servers).pipe(
      Layer.tap(() => Effect.logInfo("Connector ready")),
      Layer.provide(portsFor(config)),
      Layer.provide(LoggingLive(config.logLevel))
    )
  })
).pipe(Layer.provide(dotenvConfigLayer()))

NodeRuntime.runMain(Layer.launch(App), { disablePrettyLogger: true })
