import { Duration, Effect, Either, Option, Redacted } from "effect"
import { ReplayStore } from "../../ports/ReplayStore.js"
import { jsonBodyProblemText, parseJsonObject } from "../http/JsonBody.js"
import { makeProcessingGate } from "../http/ProcessingGate.js"
import type { RawRequest, RawResponse, WebhookRoute } from "../http/WebhookServer.js"
import { admitUpdate, countInbound, executeUpdate, REPLAY_TTL_MILLIS, type Triage } from "./ExactlyOnce.js"
import { updateIdOf } from "./Update.js"
import { secretEquals } from "../crypto/SecretEquals.js"

/**
 * Webhook mode (OPENCLAW_CONNECTOR_TELEGRAM_MODE=webhook; new, not in the reference). Order for
 * every POST:
 * 1. `X-Telegram-Bot-Api-Secret-Token` must equal the configured secret (constant time), else
 *    401 and nothing is read further. Config refuses to start webhook mode without a secret.
 * 2. The body must be a JSON object with an integer `update_id`, else 400.
 * 3. The update is claimed in the replay store by `update_id` (a Telegram retry is a duplicate:
 *    200, nothing runs); a store that cannot claim gives 503 so Telegram retries later.
 * 4. 200 at once; the update then runs behind the answer (bounded by a processing gate), with
 *    the same processing as long polling. A request interrupted before its update started (a
 *    shutdown while it waits for a permit) releases the claim, so Telegram's retry runs it
 *    instead of finding it "in flight" for the key's whole lifetime.
 */

export const SECRET_HEADER = "x-telegram-bot-api-secret-token"

/** Whether the header carries exactly the configured secret (a repeated header never matches). */
export const secretTokenMatches = (
  header: string | ReadonlyArray<string> | undefined,
  secret: Redacted.Redacted
): boolean => secretEquals(typeof header === "string" ? header : undefined, secret)

export interface TelegramWebhookOptions<R> {
  readonly path: string
  readonly secretToken: Redacted.Redacted
  /** The triage once the bot's identity is known (None while `getMe` has not answered yet). */
  readonly triage: Effect.Effect<Option.Option<(raw: unknown, updateId: number) => Triage<R>>>
  /** Updates whose processing may run behind their answer at once (default 64). */
  readonly maxInFlight?: number
}

const OK: RawResponse = { status: 200, body: "OK" }

/** Gives an unfinished claim back (retryable); a committed or failed key stays as it is. */
const releaseClaim = (key: string) =>
  Effect.flatMap(ReplayStore, (store) => store.release(key, REPLAY_TTL_MILLIS)).pipe(
    Effect.catchTag("StoreError", (e) => Effect.logWarning("Telegram replay claim not released", e.operation))
  )

const UNAVAILABLE: RawResponse = { status: 503, body: "Service Unavailable" }

export const telegramWebhookRoute = <R>(
  options: TelegramWebhookOptions<R>
): Effect.Effect<WebhookRoute<R | ReplayStore>> =>
  Effect.map(makeProcessingGate(options.maxInFlight ?? 64), (gate) => {
    const handle = Effect.fnUntraced(function*(request: RawRequest) {
      if (!secretTokenMatches(request.headers[SECRET_HEADER], options.secretToken)) {
        yield* countInbound("unauthenticated")
        yield* Effect.logWarning("Telegram webhook refused: secret token missing or wrong")
        return { status: 401, body: "Unauthorized" } satisfies RawResponse
      }
      const parsed = parseJsonObject(request.body)
      if (Either.isLeft(parsed)) {
        yield* countInbound("malformed")
        return { status: 400, body: jsonBodyProblemText(parsed.left) } satisfies RawResponse
      }
      const updateId = updateIdOf(parsed.right)
      if (updateId === undefined) {
        yield* countInbound("malformed")
        return { status: 400, body: "Bad Request: update_id missing" } satisfies RawResponse
      }
      const triage = yield* options.triage
      if (Option.isNone(triage)) {
        yield* Effect.logWarning("Telegram webhook update deferred: the bot's identity is not known yet")
        return UNAVAILABLE
      }
      const admission = yield* admitUpdate(triage.value(parsed.right, updateId))
      switch (admission._tag) {
        case "Stall":
          return UNAVAILABLE
        case "Settled":
          return OK
        case "Admitted":
          return yield* gate.answerThen(OK, Effect.asVoid(executeUpdate(admission)), releaseClaim(admission.key))
      }
    })
    return { method: "POST", path: options.path, handle } satisfies WebhookRoute<R | ReplayStore>
  })

/** Waits up to `millis` for a value that another fiber provides (the bot identity). */
export const awaitFor = <A>(value: Effect.Effect<A>, millis: number): Effect.Effect<Option.Option<A>> =>
  Effect.timeoutOption(value, Duration.millis(millis))
