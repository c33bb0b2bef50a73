import { Cause, Effect, Exit, Metric, Option } from "effect"
import { handlePress, mintButtons } from "../../domain/callbacks/Press.js"
import { type InboundEvent, runAdmitted } from "../../domain/ingress/Ingress.js"
import { inboundCounter } from "../../domain/model/Metrics.js"
import type { Reply } from "../../domain/model/Reply.js"
import { Texts } from "../../domain/render/Texts.js"
import { ReplayStore } from "../../ports/ReplayStore.js"
import type { GraphClient } from "./GraphApi.js"
import type { Planned } from "./Inbound.js"
import { buttonMessages, buttonPayload, textChunks, textPayload } from "./Render.js"
import type { WebhookServices } from "../http/WebhookServices.js"

/**
 * What happens to an admitted message after the webhook was acknowledged: run it, then send the
 * reply through the Graph API (text first, then one interactive message per approval's buttons).
 * Nothing here fails: a send failure is logged (and health recorded by the API client); a defect
 * while running a command gets the user `[Internal Error]`.
 */
export type WhatsAppRequirements = WebhookServices

export const UNAVAILABLE_TEXT = Texts.unavailable

const OUTCOMES = [
  "handled", "duplicate", "refused", "malformed", "error", "unauthenticated", "stale", "ignored"
] as const
export type InboundOutcome = typeof OUTCOMES[number]
const counters = Object.fromEntries(OUTCOMES.map((o) => [o, inboundCounter("whatsapp", o)])) as Record<
  InboundOutcome,
  Metric.Metric.Counter<number>
>
/** Counts inbound WhatsApp messages (or whole deliveries, when refused before decoding) by outcome. */
export const countInbound = (outcome: InboundOutcome, n = 1) =>
  n === 0 ? Effect.void : Metric.incrementBy(counters[outcome], n)

/** Sends `payloads` in order, stopping at the first failure (a later chunk alone would confuse). */
const sendAll = (graph: GraphClient, payloads: ReadonlyArray<Parameters<GraphClient["send"]>[0]>) =>
  Effect.forEach(payloads, graph.send, { discard: true }).pipe(
    Effect.catchTags({
      PlatformCallError: (e) =>
        Effect.logWarning("WhatsApp send failed", e.reason, e.status ?? "", e.detail ?? ""),
      // Already warned once by the client.
      WhatsAppNotConfigured: () => Effect.void
    })
  )

/** A text message, chunked to WhatsApp's limit. */
export const sendText = (graph: GraphClient, to: string, text: string) =>
  sendAll(graph, textChunks(text).map((chunk) => textPayload(to, chunk)))

/** A core reply: its text, then its buttons as signed reply buttons bound to this chat. */
export const sendReply = Effect.fnUntraced(function*(graph: GraphClient, to: string, reply: Reply) {
  const buttons = yield* mintButtons(reply, { channelId: to })
  const payloads = [
    ...textChunks(reply.text).map((chunk) => textPayload(to, chunk)),
    ...buttonMessages(buttons).map((message) => buttonPayload(to, message))
  ]
  yield* sendAll(graph, payloads)
})

const isInterruption = <E>(cause: Cause.Cause<E>) => Cause.isInterruptedOnly(cause)

const runCommand = Effect.fnUntraced(function*(graph: GraphClient, event: InboundEvent) {
  const exit = yield* Effect.exit(runAdmitted(event))
  if (Exit.isSuccess(exit)) {
    yield* countInbound("handled")
    return yield* sendReply(graph, event.request.channelId, exit.value)
  }
  if (isInterruption(exit.cause)) return
  // runAdmitted already released the claim.
  yield* Effect.logError("WhatsApp command failed with a defect", Cause.pretty(exit.cause))
  yield* countInbound("error")
  yield* sendText(graph, event.request.channelId, Texts.internalError)
})

/**
 * A reply-button press. The message's own claim (`whatsapp:<id>`) is held; the press then goes
 * through the callback contract (`handlePress`: verify, freshness, one admission per button,
 * policy). The message claim is committed once the press was decided, released if it could not be.
 */
const runPress = Effect.fnUntraced(function*(graph: GraphClient, event: InboundEvent, data: string) {
  const store = yield* ReplayStore
  const to = event.request.channelId
  const release = store.release(event.eventKey, event.replayTtlMillis).pipe(
    Effect.catchTag("StoreError", (e) => Effect.logWarning("replay release failed", e.operation))
  )
  const exit = yield* Effect.exit(handlePress(event.request, data))
  if (Exit.isFailure(exit)) {
    if (isInterruption(exit.cause)) return yield* release
    yield* release
    const refused = Cause.failureOption(exit.cause)
    if (Option.isSome(refused)) {
      yield* Effect.logWarning("WhatsApp button press refused", refused.value.reason)
      yield* countInbound("refused")
      return yield* sendText(graph, to, UNAVAILABLE_TEXT)
    }
    yield* Effect.logError("WhatsApp button press failed with a defect", Cause.pretty(exit.cause))
    yield* countInbound("error")
    return yield* sendText(graph, to, Texts.internalError)
  }
  yield* store.commit(event.eventKey, event.replayTtlMillis).pipe(
    Effect.catchTag("StoreError", (e) => Effect.logWarning("replay commit failed", e.operation))
  )
  const outcome = exit.value
  switch (outcome._tag) {
    case "Replied":
      yield* countInbound("handled")
      return yield* sendReply(graph, to, outcome.reply)
    case "Rejected":
      yield* Effect.logInfo("WhatsApp button press rejected", outcome.reason)
      yield* countInbound("handled")
      return yield* sendText(graph, to, outcome.text)
    case "Duplicate":
      yield* countInbound("duplicate")
      return
  }
})

/** Runs admitted messages one after another, in delivery order. */
export const processAdmitted = (
  graph: GraphClient,
  admitted: ReadonlyArray<Exclude<Planned, { readonly _tag: "Skip" }>>
): Effect.Effect<void, never, WhatsAppRequirements> =>
  Effect.forEach(
    admitted,
    (planned) => planned._tag === "Command" ? runCommand(graph, planned.event) : runPress(graph, planned.event, planned.data),
    { discard: true }
  )
