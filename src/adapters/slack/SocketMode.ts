import { Effect, type Redacted, type Scope } from "effect"
import type { SlackCredentials } from "./Credentials.js"
import { makeSlackEventPipeline, type SlackRouteRequirements } from "./EventsRoute.js"
import { makeSlackInteractionPipeline } from "./Interactions.js"
import { runSocketConnection } from "./SocketModeClient.js"
import { handleEnvelope } from "./SocketModeEnvelopes.js"

/**
 * Slack in Socket Mode (OPENCLAW_CONNECTOR_SLACK_MODE=socket): events and button presses arrive
 * over the app-level WebSocket instead of HTTP, and run through exactly the pipelines of the
 * events and interactions routes (EventsRoute.ts, Interactions.ts) with the same credentials, so
 * dedupe, the mention gate, lifecycle events, presses and replies behave as in events mode.
 * An envelope is acknowledged once its pipeline answered, and not when the pipeline could not
 * answer (SocketModeEnvelopes.ts); the connection, its reconnects and a refused app token are
 * SocketModeClient.ts's.
 */
export interface SlackSocketModeOptions {
  /** The `xapp-` token (checked by config/Slack.ts). */
  readonly appToken: Redacted.Redacted
  readonly apiRoot: string
  readonly credentials: SlackCredentials
  readonly requireMention: boolean
  readonly replyInThread: boolean
  readonly clientPingTimeoutMillis?: number
  readonly retryBaseMillis?: number
  readonly shutdownGraceMillis?: number
}

export const startSlackSocketMode = (
  options: SlackSocketModeOptions
): Effect.Effect<void, never, Scope.Scope | SlackRouteRequirements> =>
  Effect.gen(function*() {
    const { credentials, replyInThread } = options
    const pipelines = {
      events: yield* makeSlackEventPipeline({ credentials, replyInThread, requireMention: options.requireMention }),
      interactions: yield* makeSlackInteractionPipeline({ credentials, replyInThread })
    }
    yield* runSocketConnection({
      appToken: options.appToken,
      apiRoot: options.apiRoot,
      onEnvelope: (envelope, ack) => handleEnvelope(envelope, ack, pipelines),
      clientPingTimeoutMillis: options.clientPingTimeoutMillis,
      retryBaseMillis: options.retryBaseMillis,
      shutdownGraceMillis: options.shutdownGraceMillis
    })
  })
