import { Effect, Layer, Option } from "effect"
import { ChatDeliveries } from "../../ports/ChatDelivery.js"
import type { ConnectorConfig } from "../config/ConnectorConfig.js"
import { WebhookServer, type WebhookServerError } from "../http/WebhookServer.js"
import { makeSlackCredentials } from "./Credentials.js"
import { makeSlackDelivery } from "./Delivery.js"
import { type SlackRouteRequirements, slackEventsRoute } from "./EventsRoute.js"
import { slackInteractionsRoute } from "./Interactions.js"
import { slackOAuthRoutes } from "./OAuthRoutes.js"
import { makeSlackApi } from "./SlackApi.js"

/**
 * Slack in Events API mode: one webhook server on OPENCLAW_CONNECTOR_SLACK_BIND/PORT (default
 * 127.0.0.1:8095) serving the events path (`/slack/events`) and the interactions path
 * (`/slack/interactions`) and, with OAuth on, the install and callback paths (OAuthRoutes.ts),
 * plus Slack's PlatformDelivery for the delivery worker. One credential resolver (registry tokens,
 * legacy token, bot user ids) serves both, so every reply and every later delivery uses the token
 * of its own workspace.
 *
 * Needs the core's ports, the InstallationRegistry and ChatDeliveries. Nothing is served when
 * Slack is off (config explains why at startup).
 */
export const slackLive = (config: ConnectorConfig): Layer.Layer<never, WebhookServerError, SlackRouteRequirements | ChatDeliveries> => {
  const slack = config.slack
  if (!slack.enabled || Option.isNone(slack.signingSecret)) return Layer.empty
  if (slack.mode === "socket") {
    return Layer.effectDiscard(
      Effect.logWarning("Slack Socket Mode (OPENCLAW_CONNECTOR_SLACK_MODE=socket) is not served by this build yet; use events mode.")
    )
  }
  const signingSecret = slack.signingSecret.value
  return Layer.unwrapEffect(
    Effect.gen(function*() {
      const credentials = yield* makeSlackCredentials({
        api: makeSlackApi({ apiRoot: slack.apiRoot }),
        legacyToken: slack.botToken,
        oauthEnabled: slack.oauthEnabled
      })
      const common = { signingSecret, credentials, replyInThread: slack.replyInThread }
      const routes = [
        yield* slackEventsRoute({ ...common, path: slack.path, requireMention: slack.requireMention }),
        yield* slackInteractionsRoute({ ...common, path: slack.interactionsPath }),
        // OAuth install + callback on the same server, only when the client id and secret are set.
        ...(slack.oauthEnabled ? slackOAuthRoutes({ slack, publicBaseUrl: config.media.publicBaseUrl }) : [])
      ]
      const oauth = slack.oauthEnabled ? `, OAuth install ${slack.oauthInstallPath}` : ""
      const server = WebhookServer.layer<SlackRouteRequirements>({ name: "slack", bind: slack.bind, port: slack.port, routes }).pipe(
        Layer.tap(() =>
          Effect.logInfo(
            `Slack Events API listening on ${slack.bind}:${slack.port}${slack.path} (interactions ${slack.interactionsPath}${oauth})`
          )
        )
      )
      const delivery = Layer.effectDiscard(
        Effect.flatMap(ChatDeliveries, (deliveries) => deliveries.register(makeSlackDelivery({ credentials })))
      )
      return Layer.merge(server, delivery)
    })
  )
}
