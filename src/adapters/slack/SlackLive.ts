import { Effect, Layer, Option, type Redacted } from "effect"
import { ChatDeliveries } from "../../ports/ChatDelivery.js"
import type { ConnectorConfig } from "../config/ConnectorConfig.js"
import { WebhookServer, type WebhookServerError } from "../http/WebhookServer.js"
import { makeSlackCredentials, type SlackCredentials } from "./Credentials.js"
import { makeSlackDelivery } from "./Delivery.js"
import { type SlackRouteRequirements, slackEventsRoute } from "./EventsRoute.js"
import { slackInteractionsRoute } from "./Interactions.js"
import { slackOAuthRoutes } from "./OAuthRoutes.js"
import { makeSlackApi } from "./SlackApi.js"
import { startSlackSocketMode } from "./SocketMode.js"

/**
 * Slack, plus its PlatformDelivery for the delivery worker. One credential resolver (registry
 * tokens, legacy token, bot user ids) serves inbound and delivery, so every reply and every later
 * delivery uses the token of its own workspace.
 *
 * - Events API mode (default): one webhook server on OPENCLAW_CONNECTOR_SLACK_BIND/PORT (default
 *   127.0.0.1:8095) serving the events path (`/slack/events`) and the interactions path
 *   (`/slack/interactions`) and, with OAuth on, the install and callback paths (OAuthRoutes.ts).
 * - Socket Mode (OPENCLAW_CONNECTOR_SLACK_MODE=socket, needs the `xapp-` app-level token in
 *   OPENCLAW_CONNECTOR_SLACK_APP_TOKEN): events and button presses arrive over the socket
 *   (SocketMode.ts) and no events or interactions path is served. With OAuth on, the install and
 *   callback paths are still served on the webhook server's bind/port (the browser must reach
 *   them); without OAuth no port is opened. An app token that is missing or not `xapp-` keeps
 *   Slack off (config/Slack.ts says why at startup).
 *
 * Needs the core's ports, the InstallationRegistry and ChatDeliveries. Nothing is served when
 * Slack is off (config explains why at startup).
 */
export const slackLive = (config: ConnectorConfig): Layer.Layer<never, WebhookServerError, SlackRouteRequirements | ChatDeliveries> =>
  // `inbound` is Some exactly when Slack is enabled, with the credential its transport needs
  // (checked once, in config/Slack.ts).
  Option.match(config.slack.inbound, {
    onNone: () => Layer.empty,
    onSome: (inbound) =>
      Layer.unwrapEffect(Effect.gen(function*() {
        const slack = config.slack
        const credentials = yield* makeSlackCredentials({
          api: makeSlackApi({ apiRoot: slack.apiRoot }),
          legacyToken: slack.botToken,
          oauthEnabled: slack.oauthEnabled
        })
        const transport = inbound.mode === "socket"
          ? socketLayer(config, credentials, inbound.appToken)
          : eventsLayer(config, credentials, inbound.signingSecret)
        const delivery = Layer.effectDiscard(
          Effect.flatMap(ChatDeliveries, (deliveries) => deliveries.register(makeSlackDelivery({ credentials })))
        )
        return Layer.merge(transport, delivery)
      }))
  })

const oauthRoutes = (config: ConnectorConfig) =>
  // OAuth install + callback, only when the client id and secret are set.
  config.slack.oauthEnabled ? slackOAuthRoutes({ slack: config.slack, publicBaseUrl: config.media.publicBaseUrl }) : []

const eventsLayer = (config: ConnectorConfig, credentials: SlackCredentials, signingSecret: Redacted.Redacted) =>
  Layer.unwrapEffect(Effect.gen(function*() {
    const slack = config.slack
    const common = { signingSecret, credentials, replyInThread: slack.replyInThread }
    const routes = [
      yield* slackEventsRoute({ ...common, path: slack.path, requireMention: slack.requireMention }),
      yield* slackInteractionsRoute({ ...common, path: slack.interactionsPath }),
      ...oauthRoutes(config)
    ]
    const oauth = slack.oauthEnabled ? `, OAuth install ${slack.oauthInstallPath}` : ""
    return WebhookServer.layer<SlackRouteRequirements>({ name: "slack", bind: slack.bind, port: slack.port, routes }).pipe(
      Layer.tap(() =>
        Effect.logInfo(
          `Slack Events API listening on ${slack.bind}:${slack.port}${slack.path} (interactions ${slack.interactionsPath}${oauth})`
        )
      )
    )
  }))

const socketLayer = (config: ConnectorConfig, credentials: SlackCredentials, appToken: Redacted.Redacted) => {
  const slack = config.slack
  const socket = Layer.scopedDiscard(startSlackSocketMode({
    appToken,
    apiRoot: slack.apiRoot,
    credentials,
    requireMention: slack.requireMention,
    replyInThread: slack.replyInThread
  }))
  if (!slack.oauthEnabled) return socket
  const oauth = WebhookServer.layer<SlackRouteRequirements>({ name: "slack", bind: slack.bind, port: slack.port, routes: oauthRoutes(config) })
    .pipe(
      Layer.tap(() =>
        Effect.logInfo(
          `Slack OAuth install listening on ${slack.bind}:${slack.port}${slack.oauthInstallPath} ` +
            `(callback ${slack.oauthCallbackPath}; Socket Mode: no events or interactions path)`
        )
      )
    )
  return Layer.merge(socket, oauth)
}
