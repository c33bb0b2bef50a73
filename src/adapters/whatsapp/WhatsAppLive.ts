import { Effect, Layer } from "effect"
import { ChatDeliveries } from "../../ports/ChatDelivery.js"
import type { MediaStore } from "../../ports/MediaStore.js"
import type { ConnectorConfig } from "../config/ConnectorConfig.js"
import { WebhookServer } from "../http/WebhookServer.js"
import { mediaRoute } from "../media/MediaRoute.js"
import { makeWhatsAppDelivery } from "./Delivery.js"
import { makeGraphClient } from "./GraphApi.js"
import type { WhatsAppRequirements } from "./Process.js"
import { whatsappRoutes } from "./WhatsAppWebhook.js"

/**
 * The WhatsApp webhook server (own bind/port/path, default 127.0.0.1:8098 `/whatsapp/webhook`)
 * when the platform is enabled (access token and verify token set); `Layer.empty` otherwise.
 * Needs the ports from the app: ReplayStore, Backend, JobLedger, RateLimiter, Settings,
 * CallbackSigner and PlatformHealth, plus ChatDeliveries and MediaStore:
 * - the server also serves the signed media links (`GET <MEDIA_PATH>/<token>`, as the reference
 *   does on the WhatsApp server), which Graph fetches for image and document messages;
 * - at start it registers WhatsApp's PlatformDelivery (Graph messages) for the delivery worker.
 */
export const whatsappLive = (config: ConnectorConfig) => {
  const wa = config.whatsapp
  if (!wa.enabled) return Layer.empty
  const server = Layer.unwrapEffect(
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
      (routes) =>
        WebhookServer.layer<WhatsAppRequirements | MediaStore>({
          name: "whatsapp",
          bind: wa.bind,
          port: wa.port,
          routes: [...routes, mediaRoute({ path: config.media.path })]
        })
    )
  ).pipe(Layer.tap(() => Effect.logInfo(`WhatsApp webhook listening on ${wa.bind}:${wa.port}${wa.path}`)))
  const delivery = Layer.effectDiscard(
    Effect.gen(function*() {
      const deliveries = yield* ChatDeliveries
      const graph = makeGraphClient({
        apiRoot: wa.apiRoot,
        graphVersion: wa.graphVersion,
        phoneNumberId: wa.phoneNumberId,
        accessToken: wa.accessToken
      })
      yield* deliveries.register(yield* makeWhatsAppDelivery(graph))
    })
  )
  return Layer.merge(server, delivery)
}
