import { Effect, Layer } from "effect"
import type { ConnectorConfig } from "../config/ConnectorConfig.js"
import { WebhookServer } from "../http/WebhookServer.js"
import { whatsappRoutes } from "./WhatsAppWebhook.js"

/**
 * The WhatsApp webhook server (own bind/port/path, default 127.0.0.1:8098 `/whatsapp/webhook`)
 * when the platform is enabled (access token and verify token set); `Layer.empty` otherwise.
 * Needs the ports from the app: ReplayStore, Backend, JobLedger, RateLimiter, Settings,
 * CallbackSigner and PlatformHealth.
 */
export const whatsappLive = (config: ConnectorConfig) => {
  const wa = config.whatsapp
  if (!wa.enabled) return Layer.empty
  return Layer.unwrapEffect(
    Effect.map(
      whatsappRoutes({
        path: wa.path,
        verifyToken: wa.verifyToken,
        appSecret: wa.appSecret,
        accessToken: wa.accessToken,
        phoneNumberId: wa.phoneNumberId,
        allowedUsers: wa.allowedUsers,
        apiRoot: wa.apiRoot,
        graphVersion: wa.graphVersion
      }),
      (routes) => WebhookServer.layer({ name: "whatsapp", bind: wa.bind, port: wa.port, routes })
    )
  ).pipe(Layer.tap(() => Effect.logInfo(`WhatsApp webhook listening on ${wa.bind}:${wa.port}${wa.path}`)))
}
