import { Cause, Clock, Effect, Either, Exit, type Redacted } from "effect"
import { admitInbound, type InboundEvent, runAdmitted } from "../../domain/ingress/Ingress.js"
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
import { filterEvent, planMessage, type SlackMessage, text, workspaceOf } from "./Events.js"
import { handleLifecycle, LIFECYCLE_EVENTS, type LifecycleEvent } from "./Lifecycle.js"
import { postReply } from "./Outbox.js"
import { signedRequestOf, verifySlackSignature } from "./Signature.js"

/**
 * `POST /slack/events` (spec platforms-slack-feishu.md §2.3, bugs 1-5 fixed). For every request:
 * 1. `v0` signature over the raw bytes within 300 s, before anything is decoded: else 401
 *    `Invalid signature`. 2. A JSON object: else 400. 3. `url_verification` -> `{"challenge"}`.
 * 4. Lifecycle (`app_uninstalled`, `tokens_revoked`, top-level `app_rate_limited`) -> registry
 *    health for that workspace only (Lifecycle.ts); 503 when the registry cannot record it.
 * 5. `event_callback` needs an `event_id`: else 400. The key `slack:event:<team>:<event id>` is
 *    claimed in the ReplayStore for an hour (Slack's retries, `X-Slack-Retry-Num`, come up to
 *    ~6 minutes after the first delivery, beyond the reference's 300 s window): a duplicate or a
 *    retry of a known event is acknowledged 200 without running; a store that cannot claim gets
 *    503 (Slack retries; nothing ran).
 * 6. Bots, edits and foreign events are acknowledged and skipped. The workspace's token is
 *    resolved: a registry that cannot answer gets 503 with the key released (Slack's retry runs
 *    it); a workspace without a usable installation runs nothing (fail closed).
 * 7. 200 `OK` (Slack waits 3 s), then, behind the answer: the workspace's bot user id (unknown:
 *    shared conversations are skipped, never fail open); the mention gate; the message key
 *    `slack:msg:<team>:<channel>:<ts>` claimed, so the `message` and `app_mention` twins of one
 *    message run once; the command runs and its reply goes to the channel, in the thread
 *    (`thread_ts` or, with reply-in-thread, the message's own `ts`).
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
          return { status: 503, body: "Service Unavailable" } satisfies RawResponse
        }
        yield* countSlack("lifecycle")
        return OK
      })

    /** Everything after the acknowledgement; the event key is held (claimed) on entry. */
    const processMessage = (message: SlackMessage, credential: SlackCredential, eventKey: string) =>
      Effect.gen(function*() {
        const teamId = message.teamId
        const botUserId = yield* credentials.botUserIdOf(credential)
        const plan = planMessage(message, botUserId, options)
        if (plan._tag === "Skip") {
          yield* settle(eventKey, "commit")
          yield* countSlack("ignored")
          return plan.reason === "bot-id-unknown"
            ? yield* Effect.logWarning(`Slack message in ${message.channelId} skipped: bot user id of workspace ${teamId} unknown`)
            : yield* Effect.logDebug(`Slack message skipped: ${plan.reason}`)
        }
        const inbound: InboundEvent = { request: plan.request, eventKey: plan.messageKey, replayTtlMillis: ttl }
        const admission = yield* Effect.either(admitInbound(inbound))
        if (Either.isLeft(admission)) {
          yield* settle(eventKey, "release")
          yield* countSlack("refused")
          return yield* Effect.logWarning(`Slack message not run: replay store unavailable (${admission.left.reason})`)
        }
        yield* settle(eventKey, "commit")
        if (admission.right._tag === "Duplicate") {
          yield* countSlack("duplicate")
          return yield* Effect.logDebug(`Slack message ${plan.messageKey} already handled (${admission.right.outcome})`)
        }
        const conversation = { channelId: plan.request.channelId, threadTs: plan.request.threadId }
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
      if (LIFECYCLE_EVENTS.has(eventType)) return yield* lifecycle(eventType as LifecycleEvent, teamId, event)
      const eventId = text(payload, "event_id")
      if (!EVENT_ID.test(eventId)) {
        yield* countSlack("malformed")
        return { status: 400, body: "Missing event_id" } satisfies RawResponse
      }
      const eventKey = `slack:event:${teamId}:${eventId}`
      const store = yield* ReplayStore
      const claim = yield* Effect.either(store.claim(eventKey, ttl))
      if (Either.isLeft(claim)) {
        yield* countSlack("refused")
        yield* Effect.logWarning("Slack event refused: replay store unavailable", claim.left.reason)
        return { status: 503, body: "Service Unavailable" } satisfies RawResponse
      }
      if (!isAccepted(claim.right)) {
        yield* countSlack("duplicate")
        const why = retry.num === "" ? "duplicate" : `retry ${retry.num} (${retry.reason || "unknown reason"})`
        yield* Effect.logInfo(`Slack event ${eventId} acknowledged without running: ${why}, ${claim.right}`)
        return OK
      }
      if (retry.num !== "") yield* Effect.logInfo(`Slack retry ${retry.num} of event ${eventId} runs: its first delivery was not handled`)
      const filtered = filterEvent(teamId, event)
      if (filtered._tag === "Skip") {
        yield* settle(eventKey, "commit")
        yield* countSlack(filtered.reason === "malformed" ? "malformed" : "ignored")
        yield* Effect.logDebug(`Slack event skipped: ${filtered.reason}`)
        return OK
      }
      // The workspace's installation before the answer: a registry that cannot answer gets 503
      // (Slack retries later); a workspace without a usable installation runs nothing (fail closed).
      const resolved = yield* credentials.resolve(teamId)
      if (resolved._tag === "Missing") {
        yield* settle(eventKey, resolved.transient ? "release" : "commit")
        yield* countSlack(resolved.transient ? "refused" : "unbound")
        yield* Effect.logWarning(`Slack message from workspace ${teamId} not handled: no usable installation (${resolved.reason})`)
        return resolved.transient ? { status: 503, body: "Service Unavailable" } satisfies RawResponse : OK
      }
      return yield* gate.answerThen(OK, processMessage(filtered.message, resolved.credential, eventKey))
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
