import { Effect, Layer, Option } from "effect"
import { ChatDeliveries } from "../../ports/ChatDelivery.js"
import type { MediaStore } from "../../ports/MediaStore.js"
import type { ConnectorConfig } from "../config/ConnectorConfig.js"
import { WebhookServer } from "../http/WebhookServer.js"
import { mediaRoute } from "../media/MediaRoute.js"
import { makeLineDelivery } from "./Delivery.js"
import { type LineRouteRequirements, lineRoute } from "./LineWebhook.js"

/**
 * The LINE webhook server on its own bind/port/path when the platform is enabled (both the
 * channel secret and the access token are set); nothing otherwise. Needs the core's ports
 * (LineRouteRequirements), which main provides, plus ChatDeliveries and MediaStore:
 * - the server also serves the signed media links (`GET <MEDIA_PATH>/<token>`, as the reference
 *   does on the LINE server), which LINE fetches for image messages;
 * - at start it registers LINE's PlatformDelivery (push API) for the delivery worker.
 */
export const lineLive = (config: ConnectorConfig) => {
  const line = config.line
  const secrets = Option.all([line.channelSecret, line.channelAccessToken])
  if (!line.enabled || Option.isNone(secrets)) return Layer.empty
  const [channelSecret, channelAccessToken] = secrets.value
  const server = Layer.unwrapEffect(
    Effect.map(
      lineRoute({
        path: line.path,
        channelSecret,
        channelAccessToken,
        apiRoot: line.apiRoot,
        allowedUsers: line.allowedUsers,
        allowedGroups: line.allowedGroups
      }),
      (route) =>
        WebhookServer.layer<LineRouteRequirements | MediaStore>({ name: "line", bind: line.bind, port: line.port, routes: [route, mediaRoute({ path: config.media.path })] })
    )
  ).pipe(Layer.tap(() => Effect.logInfo(`LINE webhook listening on ${line.bind}:${line.port}${line.path}`)))
  const delivery = Layer.effectDiscard(
    Effect.gen(function*() {
      const deliveries = yield* ChatDeliveries
      yield* deliveries.register(yield* makeLineDelivery({ apiRoot: line.apiRoot, channelAccessToken }))
    })
  )
  return Layer.merge(server, delivery)
}
