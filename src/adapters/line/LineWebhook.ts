import { Cause, Clock, Effect, Either, Exit, Metric, type Redacted } from "effect"
import { handlePress, mintButtons } from "../../domain/callbacks/Press.js"
import { admitInbound, releaseInbound, runAdmitted } from "../../domain/ingress/Ingress.js"
import { isAddressedToBot } from "../../domain/ingress/SharedChatGate.js"
import { inboundCounter } from "../../domain/model/Metrics.js"
import type { Reply } from "../../domain/model/Reply.js"
import { Texts } from "../../domain/render/Texts.js"
import { ReplayStore } from "../../ports/ReplayStore.js"
import { checkHmacSignature } from "../crypto/HmacSignature.js"
import { makeProcessingGate } from "../http/ProcessingGate.js"
import type { RawRequest, RawResponse, WebhookRoute } from "../http/WebhookServer.js"
import { type EventPlan, planEvent, untrustedNote } from "./Inbound.js"
import { makeLineApi } from "./LineApi.js"
import { textMessagesOf } from "./Messages.js"
import { decodeLineDelivery, malformedText } from "./Schema.js"
import type { WebhookServices } from "../http/WebhookServices.js"

/**
 * The LINE Messaging API webhook (spec platforms-webhook-polling.md §4, bugs L1-L4 and G1 fixed).
 *
 * Order for every POST, and what LINE sees:
 * 1. `X-Line-Signature` over the raw bytes, before anything is decoded: else 401 "Invalid Signature".
 * 2. Decode (UTF-8, JSON object, `events` array): else 400 ("Bad JSON" for a syntax error).
 * 3. Each event on its own (Inbound.ts): unsupported, stale, keyless or user-less events are
 *    skipped and logged; the rest are claimed in the replay store, in order. A duplicate is
 *    skipped. If the store cannot hold a claim, the claims this delivery took are released and
 *    the answer is 503 (LINE redelivers; nothing ran).
 * 4. 200 "OK" at once (also when every event was skipped, and for the console's `{"events":[]}`),
 *    then the admitted events run, in order, after the answer (ProcessingGate: bounded work
 *    behind the acknowledgements). Replies go out through the reply/push API (LineApi.ts).
 * Shared chats: a group/room message that neither mentions the bot nor starts with `/` is claimed
 * and committed without running (no "Unknown command" to chatter). Trust is decided by the core;
 * the allowlists here only feed a debug log line.
 */

export type LineRouteRequirements = WebhookServices

export interface LineRouteOptions {
  readonly path: string
  readonly channelSecret: Redacted.Redacted
  readonly channelAccessToken: Redacted.Redacted
  /** `https://api.line.me` in production. */
  readonly apiRoot: string
  /** LINE_ALLOWED_USERS / LINE_ALLOWED_GROUPS: only logged here; the core decides trust. */
  readonly allowedUsers: ReadonlyArray<string>
  readonly allowedGroups: ReadonlyArray<string>
  /** Deliveries whose processing may run behind their acknowledgement at once (default 64). */
  readonly maxInFlight?: number
  /** Use the reply token only while the event is younger than this (default 50 s). */
  readonly replyWindowMillis?: number
  readonly apiTimeoutMillis?: number
}

export const UNAVAILABLE_TEXT = Texts.unavailable

const OK: RawResponse = { status: 200, body: "OK" }

const OUTCOMES = ["handled", "duplicate", "refused", "malformed", "unauthenticated", "stale", "ignored", "error"] as const
type Outcome = typeof OUTCOMES[number]
const counters = Object.fromEntries(OUTCOMES.map((o) => [o, inboundCounter("line", o)])) as Record<
  Outcome,
  Metric.Metric.Counter<number>
>
/** Counts inbound LINE events (or refused deliveries) by how they ended. */
const count = (outcome: Outcome, n = 1) => Metric.incrementBy(counters[outcome], n)

type Planned = Exclude<EventPlan, { readonly _tag: "Skip" }>
type Skipped = Extract<EventPlan, { readonly _tag: "Skip" }>

/** Logs and counts a skipped event: anomalies as warnings, ordinary non-commands at debug. */
const noteSkip = (index: number, plan: Skipped) => {
  const what = `LINE event ${index} (${plan.eventType}) skipped: ${plan.reason}`
  switch (plan.reason) {
    case "stale":
    case "future":
      return Effect.zipRight(count("stale"), Effect.logWarning(`${what} (outside the freshness window; replay rejected)`))
    case "malformed":
    case "no-user":
    case "no-key":
      return Effect.zipRight(count("malformed"), Effect.logWarning(what))
    case "unsupported":
    case "foreign-postback":
    case "standby":
      return Effect.zipRight(count("ignored"), Effect.logDebug(what))
  }
}

/** Replay-store bookkeeping after the answer: a failure is logged, never turned into a rerun. */
const settleKey = (plan: Planned, step: "commit" | "release") =>
  Effect.flatMap(ReplayStore, (store) => store[step](plan.inbound.eventKey, plan.inbound.replayTtlMillis)).pipe(
    Effect.catchTag("StoreError", (e) => Effect.logWarning(`LINE replay ${step} failed`, e.operation, e.reason))
  )

/**
 * Claims every actionable event, in order. `undefined` when the store refused one: the claims
 * already taken are released so a redelivery runs them, and the delivery is answered 503.
 */
const admitAll = Effect.fnUntraced(function*(plans: ReadonlyArray<Planned>) {
  const admitted: Array<Planned> = []
  for (const [index, plan] of plans.entries()) {
    const result = yield* Effect.either(admitInbound(plan.inbound))
    if (Either.isLeft(result)) {
      yield* Effect.logWarning("LINE delivery refused: replay store unavailable", result.left.reason)
      yield* releaseInbound(admitted.map((a) => a.inbound))
      // Refused: the released ones and every event not yet claimed (duplicates were counted).
      yield* count("refused", admitted.length + plans.length - index)
      return undefined
    }
    if (result.right._tag === "Duplicate") {
      yield* count("duplicate")
      yield* Effect.logInfo(`LINE event skipped: duplicate (${result.right.outcome})`)
      continue
    }
    admitted.push(plan)
  }
  return admitted
})

export const lineRoute = (options: LineRouteOptions): Effect.Effect<WebhookRoute<LineRouteRequirements>> =>
  Effect.map(makeProcessingGate(options.maxInFlight ?? 64), (gate) => {
    const api = makeLineApi({
      apiRoot: options.apiRoot,
      channelAccessToken: options.channelAccessToken,
      ...(options.replyWindowMillis !== undefined ? { replyWindowMillis: options.replyWindowMillis } : {}),
      ...(options.apiTimeoutMillis !== undefined ? { timeoutMillis: options.apiTimeoutMillis } : {})
    })

    /** Sends `text` (and buttons already minted) to the event's chat; failures are logged by LineApi. */
    const send = Effect.fnUntraced(function*(plan: Planned, text: string, reply?: Reply) {
      const channelId = plan.inbound.request.channelId
      const buttons = reply === undefined ? [] : yield* mintButtons(reply, { channelId })
      yield* api.deliver(
        { channelId, replyToken: plan.replyToken, eventMillis: plan.eventMillis },
        textMessagesOf(text, buttons)
      )
    })

    const failedWithDefect = Effect.fnUntraced(function*(plan: Planned, cause: Cause.Cause<unknown>) {
      yield* Effect.logError("LINE command failed with a defect", Cause.pretty(cause))
      yield* count("error")
      yield* send(plan, Texts.internalError)
    })

    const processMessage = Effect.fnUntraced(function*(plan: Planned) {
      const request = plan.inbound.request
      if (!isAddressedToBot(request)) {
        yield* settleKey(plan, "commit")
        yield* count("ignored")
        return yield* Effect.logDebug(`LINE ${request.channelKind} message not addressed to the bot; ignored`)
      }
      const note = untrustedNote(options.allowedUsers, options.allowedGroups, request)
      // Debug, not info: every stranger message would otherwise write a line (trust is decided by the core).
      if (note !== undefined) yield* Effect.logDebug(`Untrusted LINE message from user=${request.senderId} (${note})`)
      const exit = yield* Effect.exit(runAdmitted(plan.inbound))
      if (Exit.isFailure(exit)) return yield* failedWithDefect(plan, exit.cause)
      yield* count("handled")
      yield* send(plan, exit.value.text, exit.value)
    })

    const processPress = Effect.fnUntraced(function*(plan: Extract<Planned, { readonly _tag: "Press" }>) {
      const exit = yield* Effect.exit(Effect.either(handlePress(plan.inbound.request, plan.data)))
      if (Exit.isFailure(exit)) {
        yield* settleKey(plan, "release")
        return yield* failedWithDefect(plan, exit.cause)
      }
      if (Either.isLeft(exit.value)) {
        // The press did not run; LINE will not redeliver an acknowledged event, so say so.
        yield* settleKey(plan, "release")
        yield* count("refused")
        return yield* send(plan, UNAVAILABLE_TEXT)
      }
      yield* settleKey(plan, "commit")
      const outcome = exit.value.right
      switch (outcome._tag) {
        case "Duplicate":
          return yield* count("duplicate")
        case "Rejected":
          yield* count("handled")
          yield* Effect.logInfo(`LINE button press refused: ${outcome.reason}`)
          return yield* send(plan, outcome.text)
        case "Replied":
          yield* count("handled")
          return yield* send(plan, outcome.reply.text, outcome.reply)
      }
    })

    /** In delivery order: LINE batches a chat's events in the order they happened. */
    const processAll = (admitted: ReadonlyArray<Planned>) =>
      Effect.forEach(admitted, (plan) => plan._tag === "Press" ? processPress(plan) : processMessage(plan), {
        discard: true
      })

    const handle = Effect.fnUntraced(function*(request: RawRequest) {
      const check = checkHmacSignature(request.body, request.headers["x-line-signature"], options.channelSecret, "base64")
      if (check !== "valid") {
        yield* count("unauthenticated")
        yield* Effect.logWarning(`LINE webhook refused: signature ${check}`)
        return { status: 401, body: "Invalid Signature" } satisfies RawResponse
      }
      const decoded = decodeLineDelivery(request.body)
      if (Either.isLeft(decoded)) {
        yield* count("malformed")
        yield* Effect.logWarning(`LINE webhook body refused: ${decoded.left.reason}`)
        return { status: 400, body: malformedText(decoded.left) } satisfies RawResponse
      }
      const now = yield* Clock.currentTimeMillis
      const actionable: Array<Planned> = []
      for (const [index, raw] of decoded.right.events.entries()) {
        const plan = planEvent(raw, now, decoded.right.destination)
        if (plan._tag === "Skip") yield* noteSkip(index, plan)
        else actionable.push(plan)
      }
      const admitted = yield* admitAll(actionable)
      if (admitted === undefined) return { status: 503, body: "Service Unavailable" } satisfies RawResponse
      if (admitted.length === 0) return OK
      return yield* gate.answerThen(OK, processAll(admitted), releaseInbound(admitted.map((a) => a.inbound)))
    })

    return { method: "POST", path: options.path, handle } satisfies WebhookRoute<LineRouteRequirements>
  })
