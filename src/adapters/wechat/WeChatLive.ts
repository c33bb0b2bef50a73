import { Effect, Either, Layer, Option } from "effect"
import { ChatDeliveries } from "../../ports/ChatDelivery.js"
import type { ConnectorConfig } from "../config/ConnectorConfig.js"
import { WebhookServer } from "../http/WebhookServer.js"
import { makeWeChatDelivery } from "./Delivery.js"
import { aesConfigOf } from "./Inbound.js"
import { makeWeChatApi } from "./WeChatApi.js"
import { wechatRoutes } from "./WeChatWebhook.js"

/**
 * The WeChat webhook server when the platform is enabled (OPENCLAW_CONNECTOR_WECHAT_TOKEN set):
 * its own bind/port/path (127.0.0.1:8097 `/wechat/webhook` by default), GET handshake and POST
 * messages. Missing optional settings do not stop it, but are named at startup:
 * - no AppID or EncodingAESKey (or an EncodingAESKey that is not 43 base64 characters): safe-mode
 *   (encrypted) requests are refused with 400 "Decrypt Failed";
 * - no AppID or AppSecret: no access token, so slow results and long replies cannot follow
 *   through the Customer Service API (the user gets only the passive reply).
 * At start it registers WeChat's PlatformDelivery (Customer Service API, sharing the webhook's
 * token cache) for the delivery worker; it needs ChatDeliveries besides the webhook ports.
 */
export const wechatLive = (config: ConnectorConfig) => {
  const wechat = config.wechat
  if (!wechat.enabled || Option.isNone(wechat.token)) return Layer.empty
  const token = wechat.token.value
  const aes = aesConfigOf(wechat.encodingAesKey, wechat.appId)

  const warnings = Effect.gen(function*() {
    if (Either.isLeft(aes)) {
      yield* Effect.logWarning(
        aes.left === "missing"
          ? "WeChat safe mode unavailable: OPENCLAW_CONNECTOR_WECHAT_APP_ID and OPENCLAW_CONNECTOR_WECHAT_ENCODING_AES_KEY are both needed; encrypted requests will be refused."
          : "WeChat safe mode unavailable: OPENCLAW_CONNECTOR_WECHAT_ENCODING_AES_KEY must be the 43-character key from the WeChat console; encrypted requests will be refused."
      )
    }
    if (Option.isNone(wechat.appId) || Option.isNone(wechat.appSecret)) {
      yield* Effect.logWarning(
        "WeChat Customer Service API unavailable: OPENCLAW_CONNECTOR_WECHAT_APP_ID and OPENCLAW_CONNECTOR_WECHAT_APP_SECRET are both needed; slow results cannot be delivered after the passive reply."
      )
    }
  })

  return Layer.unwrapEffect(
    Effect.gen(function*() {
      yield* warnings
      const api = yield* makeWeChatApi({ apiRoot: wechat.apiRoot, appId: wechat.appId, appSecret: wechat.appSecret })
      const routes = wechatRoutes({ path: wechat.path, token, aes, allowedUsers: wechat.allowedUsers, api })
      const deliveries = yield* ChatDeliveries
      yield* deliveries.register(yield* makeWeChatDelivery({ apiRoot: wechat.apiRoot, api }))
      return WebhookServer.layer({ name: "wechat", bind: wechat.bind, port: wechat.port, routes }).pipe(
        Layer.tap(() => Effect.logInfo(`WeChat webhook listening on ${wechat.bind}:${wechat.port}${wechat.path}`))
      )
    })
  )
}
