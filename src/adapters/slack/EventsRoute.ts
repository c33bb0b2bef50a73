import { Cause, Clock, Effect, Either, Exit, type Redacted } from "effect"
import { type InboundEvent, runAdmitted } from "../../domain/ingress/Ingress.js"
import { Texts } from "../../domain/render/Texts.js"
import { field, isRecord, type JsonRecord } from "../../domain/render/Values.js"
import type { InstallationRegistry } from "../../ports/InstallationRegistry.js"
import { isAccepted, ReplayStore } from "../../ports/ReplayStore.js"
import { jsonBodyProblemText, parseJsonObject } from "../http/JsonBody.js"
import { makeProcessingGate } from "../http/ProcessingGate.js"
import type { RawRequest, RawResponse, WebhookRoute } from "../http/WebhookServer.js"
import type { WebhookServices } from "../http/WebhookServices.js"
import { countSlack } from "./Counters.js"
import type { SlackCredential, SlackCredentials } from "./Credentials.js"
import { filterEvent, messageKeyOf, planMessage, type SlackMessage, text, workspaceOf } from "./Events.js"
import { handleLifecycle, LIFECYCLE_EVENTS, type LifecycleEvent } from "./Lifecycle.js"
import { postReply } from "./Outbox.js"
import { signedRequestOf, verifySlackSignature } from "./Signature.js"

/**
 * `POST /slack/events` (spec platforms-slack-feishu.md §2.3, bugs 1-5 fixed). For every request:
 * 1. `v0` signature over the raw bytes within 300 s, before anything is decoded: else 401
 *    `Invalid signature`. 2. A JSON object: else 400. 3. `url_verification` -> `{"challenge"}`.
 * 4. Lifecycle (`app_uninstalled`, `tokens_revoked`, top-level `app_rate_limited`) -> registry
 *    health for that workspace only (Lifecycle.ts); 503 when the registry cannot record it. Their
 *    event key `slack:event:<team>:<event id>` is claimed so a redelivery (Slack retries up to ~6
 *    minutes later) cannot revoke a workspace reinstalled meanwhile; a replay store that cannot
 *    claim does not hold a revocation back (it is recorded, without dedupe).
 * 5. `event_callback` needs an `event_id`: else 400.
 * 6. The pure filters (Events.ts `filterEvent`) before any I/O: bots, edits and foreign events
 *    are acknowledged and skipped, having touched no store.
 * 7. The message key `slack:msg:<team>:<channel>:<ts>` is claimed in the ReplayStore for an hour
 *    before answering: it covers Slack's retries (`X-Slack-Retry-Num`, beyond the reference's
 *    300 s window) and the `message` / `app_mention` twins of one message, which are acknowledged
 *    200 without running. A store that cannot claim gets 503 (Slack retries; nothing ran). This
 *    is the only claim a message takes, and it is taken before the 200: after a 200 Slack never
 *    redelivers, so nothing that can fail for want of a store may come after it.
 * 8. The workspace's token is resolved: a registry that cannot answer gets 503 with the key
 *    released (Slack's retry runs it); a workspace without a usable installation runs nothing
 *    (fail closed).
 * 9. 200 `OK` (Slack waits 3 s), then, behind the answer: the workspace's bot user id (unknown:
 *    shared conversations are skipped, never fail open), the mention gate, the command and its
 *    reply in the channel, in the thread (`thread_ts` or, with reply-in-thread, the message's own
 *    `ts`). A shutdown before or during that work releases the key (ProcessingGate `giveBack`).
 */
export type SlackRouteRequirements = WebhookServices | InstallationRegistry

/** Everything the event pipeline needs: shared by the HTTP route and Socket Mode (SocketMode*.ts). */
export interface SlackEventPipelineOptions {
  readonly credentials: SlackCredentials
  readonly requireMention: boolean
  readonly replyInThread: boolean
  /** Events whose processing may run behind their acknowledgement at once (default 64). */
  readonly maxInFlight?: number
  /** How long event ids and message keys are remembered (default 1 hour). */
  readonly replayTtlMillis?: number
}

export interface SlackEventsOptions extends SlackEventPipelineOptions {
  readonly path: string
  readonly signingSecret: Redacted.Redacted
}

/**
 * Slack's redelivery marker: `X-Slack-Retry-Num` / `X-Slack-Retry-Reason` over HTTP,
 * `retry_attempt` / `retry_reason` in Socket Mode; `num` is "" for a first delivery.
 */
export interface SlackRetry {
  readonly num: string
  readonly reason: string
}

/**
 * Steps 3-7 for an authenticated, decoded payload (anything but `url_verification`): the answer
 * for Slack (200, 400 or 503) with the processing behind it in `after`. The HTTP route runs it
 * after the signature check; Socket Mode runs it for `events_api` envelopes (the socket is
 * authenticated by the app token), so both transports share dedupe, gating and lifecycle.
 */
export interface SlackEventPipeline {
  readonly process: (payload: JsonRecord, retry: SlackRetry) => Effect.Effect<RawResponse, never, SlackRouteRequirements>
}

export const SLACK_REPLAY_TTL_MILLIS = 60 * 60 * 1000
const OK: RawResponse = { status: 200, body: "OK" }
const UNAVAILABLE: RawResponse = { status: 503, body: "Service Unavailable" }
const EVENT_ID = /^[A-Za-z0-9._-]{1,128}$/

const headerOf = (request: RawRequest, name: string): string => {
  const value = request.headers[name]
  return typeof value === "string" ? value.slice(0, 64) : ""
}

/** A refused signature: 401, counted (`stale` for the timestamp window) and logged without secrets. */
export const refuseSignature = (what: string, check: string) =>
  Effect.gen(function*() {
    yield* countSlack(check === "stale" || check === "bad-timestamp" ? "stale" : "unauthenticated")
    yield* Effect.logWarning(`Slack ${what} refused: signature ${check}`)
    return { status: 401, body: "Invalid signature" } satisfies RawResponse
  })

export const makeSlackEventPipeline = (options: SlackEventPipelineOptions): Effect.Effect<SlackEventPipeline> =>
  Effect.map(makeProcessingGate(options.maxInFlight ?? 64), (gate) => {
    const ttl = options.replayTtlMillis ?? SLACK_REPLAY_TTL_MILLIS
    const { credentials } = options

    const settle = (key: string, step: "commit" | "release") =>
      Effect.flatMap(ReplayStore, (store) => store[step](key, ttl)).pipe(
        Effect.catchTag("StoreError", (e) => Effect.logWarning(`Slack replay ${step} failed`, e.operation, e.reason))
      )

    const lifecycle = (kind: LifecycleEvent, teamId: string, event: unknown) =>
      Effect.gen(function*() {
        if (teamId === "") {
          yield* countSlack("malformed")
          return yield* Effect.as(Effect.logWarning(`Slack ${kind} without a workspace id; ignored`), OK)
        }
        const done = yield* Effect.either(handleLifecycle(credentials, kind, teamId, event))
        if (Either.isLeft(done)) {
          yield* countSlack("refused")
          yield* Effect.logWarning(`Slack ${kind} for ${teamId} not recorded: registry ${done.left.reason}`)
          return UNAVAILABLE
        }
        yield* countSlack("lifecycle")
        return OK
      })

    /**
     * Lifecycle events, once per event id (see the module comment). Without an id or a workspace
     * there is nothing to key on; the handling is idempotent anyway, the key only guards a
     * redelivery that would undo a reinstall.
     */
    const lifecycleOnce = (kind: LifecycleEvent, teamId: string, event: unknown, eventId: string) =>
      Effect.gen(function*() {
        if (!EVENT_ID.test(teamId) || !EVENT_ID.test(eventId)) return yield* lifecycle(kind, teamId, event)
        const key = `slack:event:${teamId}:${eventId}`
        const claim = yield* Effect.either(Effect.flatMap(ReplayStore, (store) => store.claim(key, ttl)))
        if (Either.isLeft(claim)) {
          yield* Effect.logWarning(`Slack ${kind} recorded without dedupe: replay store unavailable (${claim.left.reason})`)
          return yield* lifecycle(kind, teamId, event)
        }
        if (!isAccepted(claim.right)) {
          yield* countSlack("duplicate")
          yield* Effect.logInfo(`Slack ${kind} event ${eventId} acknowledged without running: ${claim.right}`)
          return OK
        }
        const response = yield* lifecycle(kind, teamId, event).pipe(Effect.onInterrupt(() => settle(key, "release")))
        yield* settle(key, response.status === 200 ? "commit" : "release")
        return response
      })

    /** Everything after the acknowledgement; the message key is held (claimed) on entry. */
    const processMessage = (message: SlackMessage, credential: SlackCredential, messageKey: string) =>
      Effect.gen(function*() {
        const botUserId = yield* credentials.botUserIdOf(credential)
        const plan = planMessage(message, botUserId, options)
        if (plan._tag === "Skip") {
          // Both twins of a message plan alike (an app_mention is a mention in the text), so the
          // skip is final for the key.
          yield* settle(messageKey, "commit")
          yield* plan.reason === "bot-id-unknown"
            ? Effect.logWarning(`Slack message in ${message.channelId} skipped: bot user id of workspace ${message.teamId} unknown`)
            : Effect.logDebug(`Slack message skipped: ${plan.reason}`)
          return yield* countSlack("ignored")
        }
        const inbound: InboundEvent = { request: plan.request, eventKey: messageKey, replayTtlMillis: ttl }
        const conversation = { channelId: plan.request.channelId, threadTs: plan.request.threadId }
        // handle -> commit (a defect releases the key); the claim was taken before the answer.
        const exit = yield* Effect.exit(runAdmitted(inbound))
        if (Exit.isFailure(exit)) {
          yield* countSlack("error")
          yield* Effect.logError("Slack command failed with a defect", Cause.pretty(exit.cause))
          return yield* postReply(credentials, credential, conversation, { text: Texts.internalError, buttons: [] })
        }
        yield* countSlack("handled")
        yield* postReply(credentials, credential, conversation, exit.value)
      })

    const processPayload = Effect.fnUntraced(function*(payload: JsonRecord, retry: SlackRetry) {
      const type = text(payload, "type")
      if (type === "app_rate_limited") return yield* lifecycle("app_rate_limited", text(payload, "team_id"), payload)
      if (type !== "event_callback") {
        yield* countSlack("ignored")
        return OK
      }
      const event = field(payload, "event")
      if (!isRecord(event)) {
        yield* countSlack("malformed")
        return { status: 400, body: "Bad Request: missing event" } satisfies RawResponse
      }
      const teamId = workspaceOf(payload, event)
      const eventType = text(event, "type")
      const eventId = text(payload, "event_id")
      if (LIFECYCLE_EVENTS.has(eventType)) return yield* lifecycleOnce(eventType as LifecycleEvent, teamId, event, eventId)
      if (!EVENT_ID.test(eventId)) {
        yield* countSlack("malformed")
        return { status: 400, body: "Missing event_id" } satisfies RawResponse
      }
      // Pure, before any store I/O: what is not a person's message is acknowledged and dropped.
      const filtered = filterEvent(teamId, event)
      if (filtered._tag === "Skip") {
        yield* countSlack(filtered.reason === "malformed" ? "malformed" : "ignored")
        yield* Effect.logDebug(`Slack event skipped: ${filtered.reason}`)
        return OK
      }
      const messageKey = messageKeyOf(filtered.message)
      const store = yield* ReplayStore
      const claim = yield* Effect.either(store.claim(messageKey, ttl))
      if (Either.isLeft(claim)) {
        yield* countSlack("refused")
        yield* Effect.logWarning("Slack event refused: replay store unavailable", claim.left.reason)
        return UNAVAILABLE
      }
      if (!isAccepted(claim.right)) {
        yield* countSlack("duplicate")
        const why = retry.num === "" ? "duplicate" : `retry ${retry.num} (${retry.reason || "unknown reason"})`
        yield* Effect.logInfo(`Slack event ${eventId} acknowledged without running: ${why}, ${claim.right}`)
        return OK
      }
      if (retry.num !== "") yield* Effect.logInfo(`Slack retry ${retry.num} of event ${eventId} runs: its first delivery was not handled`)
      // Interrupted before the answer (shutdown): the key goes back, so Slack's retry runs it.
      return yield* answerClaimed(filtered.message, messageKey).pipe(Effect.onInterrupt(() => settle(messageKey, "release")))
    })

    /**
     * The answer for a message whose key is claimed. The workspace's installation comes before it:
     * a registry that cannot answer gets 503 (Slack retries later); a workspace without a usable
     * installation runs nothing (fail closed).
     */
    const answerClaimed = (message: SlackMessage, messageKey: string) =>
      Effect.gen(function*() {
        const resolved = yield* credentials.resolve(message.teamId)
        if (resolved._tag === "Missing") {
          yield* settle(messageKey, resolved.transient ? "release" : "commit")
          yield* countSlack(resolved.transient ? "refused" : "unbound")
          yield* Effect.logWarning(
            `Slack message from workspace ${message.teamId} not handled: no usable installation (${resolved.reason})`
          )
          return resolved.transient ? UNAVAILABLE : OK
        }
        return yield* gate.answerThen(OK, processMessage(message, resolved.credential, messageKey), settle(messageKey, "release"))
      })

    return { process: processPayload } satisfies SlackEventPipeline
  })

export const slackEventsRoute = (options: SlackEventsOptions): Effect.Effect<WebhookRoute<SlackRouteRequirements>> =>
  Effect.map(makeSlackEventPipeline(options), (pipeline) => {
    const handle = Effect.fnUntraced(function*(request: RawRequest) {
      const check = verifySlackSignature(signedRequestOf(request), options.signingSecret, yield* Clock.currentTimeMillis)
      if (check !== "valid") return yield* refuseSignature("event", check)
      const decoded = parseJsonObject(request.body)
      if (Either.isLeft(decoded)) {
        yield* countSlack("malformed")
        return { status: 400, body: jsonBodyProblemText(decoded.left) } satisfies RawResponse
      }
      const payload = decoded.right
      if (text(payload, "type") === "url_verification") {
        return {
          status: 200,
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ challenge: text(payload, "challenge") })
        } satisfies RawResponse
      }
      const retry = { num: headerOf(request, "x-slack-retry-num"), reason: headerOf(request, "x-slack-retry-reason") }
      return yield* pipeline.process(payload, retry)
    })

    return { method: "POST", path: options.path, handle } satisfies WebhookRoute<SlackRouteRequirements>
  })
