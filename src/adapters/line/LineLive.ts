import { Effect, Layer, Option } from "effect"
import type { ConnectorConfig } from "../config/ConnectorConfig.js"
import { WebhookServer } from "../http/WebhookServer.js"
import { lineRoute } from "./LineWebhook.js"

/**
 * The LINE webhook server on its own bind/port/path when the platform is enabled (both the
 * channel secret and the access token are set); nothing otherwise. Needs the core's ports
 * (LineRouteRequirements), which main provides.
 */
export const lineLive = (config: ConnectorConfig) => {
  const line = config.line
  const secrets = Option.all([line.channelSecret, line.channelAccessToken])
  if (!line.enabled || Option.isNone(secrets)) return Layer.empty
  const [channelSecret, channelAccessToken] = secrets.value
  return Layer.unwrapEffect(
    Effect.map(
      lineRoute({
        path: line.path,
        channelSecret,
        channelAccessToken,
        apiRoot: line.apiRoot,
        allowedUsers: line.allowedUsers,
        allowedGroups: line.allowedGroups
      }),
      (route) => WebhookServer.layer({ name: "line", bind: line.bind, port: line.port, routes: [route] })
    )
  ).pipe(Layer.tap(() => Effect.logInfo(`LINE webhook listening on ${line.bind}:${line.port}${line.path}`)))
}
