import { Cause, Deferred, Duration, Effect, Layer, Option, Random, type Redacted } from "effect"
import { ChatDeliveries } from "../../ports/ChatDelivery.js"
import { PollCursor } from "../../ports/PollCursor.js"
import type { TelegramConfig } from "../config/Platforms.js"
import type { ConnectorConfig } from "../config/ConnectorConfig.js"
import { WebhookServer } from "../http/WebhookServer.js"
import { makeTelegramDelivery } from "./Delivery.js"
import type { Triage } from "./ExactlyOnce.js"
import type { BotIdentity } from "./Inbound.js"
import { makeTelegramOutbox, type TelegramOutbox } from "./Outbox.js"
import { backoffMillis, defaultBackoff, type FetchFailure, runPollLoop } from "./PollLoop.js"
import { makeTriage, type ProcessRequirements } from "./Process.js"
import { makeTelegramApi, type TelegramApi, type TelegramCallError } from "./TelegramApi.js"
import { awaitFor, telegramWebhookRoute } from "./Webhook.js"

/**
 * The Telegram adapter (issue 4) when a bot token is configured: long polling by default, or a
 * webhook server with OPENCLAW_CONNECTOR_TELEGRAM_MODE=webhook. Both learn the bot's id and
 * username from `getMe` (retried with backoff; a refused token stops the adapter with an error
 * log and `invalid_token` health, the rest of the connector keeps running).
 * Shutdown order: stop taking updates (the one being handled finishes), then let queued replies
 * go out (bounded), then close.
 */

export type TelegramRequirements = ProcessRequirements | PollCursor | ChatDeliveries

/** Long-poll timeout; a local Bot API server or a test fake may answer earlier. */
const POLL_TIMEOUT_SECONDS = 25

const TOKEN_REFUSED =
  "Telegram refused the bot token (401 Unauthorized): check OPENCLAW_CONNECTOR_TELEGRAM_TOKEN. Telegram stays off until restart."

const describe = (e: TelegramCallError) =>
  `${e.reason}${e.status === undefined ? "" : `, HTTP ${e.status}`}${e.description ? `: ${e.description}` : ""}`

/** `getMe` until it answers; none when the token is refused. */
const acquireIdentity = (api: TelegramApi): Effect.Effect<Option.Option<BotIdentity>> =>
  Effect.gen(function*() {
    for (let failures = 1;; failures++) {
      const me = yield* Effect.either(api.getMe)
      if (me._tag === "Right") return Option.some(me.right)
      if (me.left.reason === "unauthorized") {
        yield* Effect.logError(TOKEN_REFUSED)
        return Option.none()
      }
      const delay = backoffMillis(failures, defaultBackoff, yield* Random.next)
      yield* Effect.logWarning(`Telegram getMe failed (${describe(me.left)}); retrying in ${delay} ms`)
      yield* Effect.sleep(Duration.millis(delay))
    }
  })

const MAX_RETRY_AFTER_MILLIS = 300_000

/** How the poll loop treats a failed getUpdates (never a crash; 401 ends polling). */
export const fetchFailureOf = (e: TelegramCallError): FetchFailure => {
  switch (e.reason) {
    case "unauthorized":
      return { _tag: "Fatal", message: `${TOKEN_REFUSED} Polling stopped.` }
    case "conflict":
      return {
        _tag: "Retry",
        message: /webhook/i.test(e.description ?? "")
          ? "Telegram getUpdates refused (409 Conflict): a webhook is set for this bot. Either delete it (Bot API deleteWebhook) to use long polling, or set OPENCLAW_CONNECTOR_TELEGRAM_MODE=webhook"
          : "Telegram getUpdates refused (409 Conflict): another process is polling with this bot token; stop it (only one poller per bot)"
      }
    case "rate-limited":
      return {
        _tag: "Retry",
        message: "Telegram getUpdates rate limited (429)",
        delayMillis: Math.min((e.retryAfterSeconds ?? 1) * 1000, MAX_RETRY_AFTER_MILLIS)
      }
    default:
      return { _tag: "Retry", message: `Telegram getUpdates failed (${describe(e)})` }
  }
}

/** Job results (the delivery worker) reach Telegram from here on: the bot answered getMe. */
const registerDelivery = (api: TelegramApi, outbox: TelegramOutbox) =>
  Effect.flatMap(ChatDeliveries, (deliveries) => deliveries.register(makeTelegramDelivery({ api, outbox })))

const adapterParts = (telegram: TelegramConfig, token: Redacted.Redacted) =>
  Effect.gen(function*() {
    const api = yield* makeTelegramApi({ token, apiRoot: telegram.apiRoot })
    const outbox = yield* makeTelegramOutbox(api)
    return { api, outbox }
  })

const polling = (telegram: TelegramConfig, token: Redacted.Redacted) =>
  Effect.gen(function*() {
    const { api, outbox } = yield* adapterParts(telegram, token)
    const cursors = yield* PollCursor
    const run = Effect.gen(function*() {
      const identity = yield* acquireIdentity(api)
      if (Option.isNone(identity)) return
      const bot = identity.value
      const name = `telegram:${bot.id}`
      yield* registerDelivery(api, outbox)
      yield* Effect.logInfo(`Telegram polling as @${bot.username}`)
      const loop = runPollLoop({
        source: {
          fetch: (offset) => Effect.mapError(api.getUpdates(offset, POLL_TIMEOUT_SECONDS), fetchFailureOf)
        },
        cursor: {
          read: Effect.map(cursors.read(name), Option.getOrElse(() => 0)),
          advance: (offset) => cursors.advance(name, offset)
        },
        triage: makeTriage({ bot, api, outbox })
      })
      // The loop returns only when the token is refused; a defect (a bug) restarts it after a pause.
      for (let failures = 1;; failures++) {
        const exit = yield* Effect.exit(loop)
        if (exit._tag === "Success" || Cause.isInterruptedOnly(exit.cause)) return
        const delay = backoffMillis(failures, defaultBackoff, yield* Random.next)
        yield* Effect.logError(`Telegram polling failed with a defect; restarting in ${delay} ms`, Cause.pretty(exit.cause))
        yield* Effect.sleep(Duration.millis(delay))
      }
    })
    yield* Effect.forkScoped(run)
    // Added after the fork, so it runs first on shutdown (finalizers run in reverse).
    yield* Effect.addFinalizer(() => Effect.logInfo("Telegram polling stopping"))
  })

const webhook = (telegram: TelegramConfig, token: Redacted.Redacted, secretToken: Redacted.Redacted) =>
  Effect.gen(function*() {
    const { api, outbox } = yield* adapterParts(telegram, token)
    type TriageFn = (raw: unknown, updateId: number) => Triage<ProcessRequirements>
    const ready = yield* Deferred.make<Option.Option<TriageFn>>()
    const { bind, port, path } = telegram.webhook
    const route = yield* telegramWebhookRoute({
      path,
      secretToken,
      triage: Effect.map(awaitFor(Deferred.await(ready), 5_000), Option.flatten)
    })
    yield* WebhookServer.make({ name: "telegram", bind, port, routes: [route] })
    yield* Effect.logInfo(`Telegram webhook listening on ${bind}:${port}${path}`)
    const start = Effect.gen(function*() {
      const identity = yield* acquireIdentity(api)
      yield* Deferred.succeed(ready, Option.map(identity, (bot) => makeTriage({ bot, api, outbox })))
      if (Option.isNone(identity)) return
      yield* registerDelivery(api, outbox)
      yield* Effect.logInfo(`Telegram webhook serving @${identity.value.username}`)
      if (Option.isNone(telegram.webhook.publicUrl)) {
        return yield* Effect.logInfo("OPENCLAW_CONNECTOR_TELEGRAM_WEBHOOK_URL unset: register the webhook with Telegram yourself")
      }
      for (let attempt = 1;; attempt++) {
        const set = yield* Effect.either(api.setWebhook(telegram.webhook.publicUrl.value, secretToken))
        if (set._tag === "Right") return yield* Effect.logInfo("Telegram webhook registered (setWebhook)")
        if (attempt >= 5 || set.left.reason === "unauthorized" || set.left.reason === "rejected") {
          return yield* Effect.logError(`Telegram setWebhook failed (${describe(set.left)}); updates will not arrive until it is set`)
        }
        yield* Effect.sleep(Duration.millis(backoffMillis(attempt, defaultBackoff, yield* Random.next)))
      }
    })
    yield* Effect.forkScoped(start)
  })

/** The Telegram adapter as a Layer for main.ts; empty when no token is configured. */
export const telegramLive = (config: ConnectorConfig) => {
  const telegram = config.telegram
  if (!telegram.enabled || Option.isNone(telegram.token)) return Layer.empty
  const token = telegram.token.value
  if (telegram.mode === "webhook") {
    // Config loading refuses webhook mode without a secret; this guard only keeps it closed.
    const secret = telegram.webhook.secretToken
    if (Option.isNone(secret)) return Layer.effectDiscard(Effect.logError("Telegram webhook mode needs OPENCLAW_CONNECTOR_TELEGRAM_WEBHOOK_SECRET; Telegram is off"))
    return Layer.scopedDiscard(webhook(telegram, token, secret.value))
  }
  return Layer.scopedDiscard(polling(telegram, token))
}
