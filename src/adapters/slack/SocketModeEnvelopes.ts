import { Effect, Either } from "effect"
import { isRecord } from "../../domain/render/Values.js"
import { countSlack } from "./Counters.js"
import type { RawResponse } from "../http/WebhookServer.js"
import type { SlackEventPipeline, SlackRetry, SlackRouteRequirements } from "./EventsRoute.js"
import type { SlackInteractionPipeline } from "./Interactions.js"

/**
 * One Socket Mode envelope (spec platforms-slack-feishu.md §2.9, bug 7 fixed), with no SDK type.
 * An envelope is acknowledged (`{"envelope_id"}` over the socket) when the HTTP route would have
 * answered 2xx/4xx, i.e. after the pipeline's synchronous part, the part that answers Slack:
 * 1. `events_api` -> the Events API pipeline (EventsRoute.ts `makeSlackEventPipeline`): the same
 *    message-key claim (`retry_attempt` counts as Slack's retry marker), lifecycle events, mention
 *    gate and replies as over HTTP. No signature: the socket is authenticated by the app token.
 * 2. `interactive` -> the interactions pipeline (Interactions.ts): our signed buttons are pressed
 *    once, by whoever pressed them, where they were pressed (the reference dropped these).
 * 3. `slash_commands`, unknown types and payloads that are not objects are acknowledged and
 *    ignored (counted `ignored` / `malformed`).
 * A 5xx answer (the replay store or the registry cannot answer right now; nothing ran and no claim
 * is held) is NOT acknowledged: Slack redelivers an envelope left unacknowledged for 3 s, and the
 * claim dedupes the redeliveries of what did run. The work behind the answer (`after`) runs once
 * the acknowledgement went out; an acknowledgement that cannot be sent (the socket just closed) is
 * logged and the work still runs, Slack's redelivery then finds the key claimed. A fiber
 * interrupted between the answer and its work (shutdown) gives the claim back (`abandon`).
 */
export interface SocketEnvelope {
  /** `events_api`, `interactive`, `slash_commands`... (`hello` / `disconnect` never get here). */
  readonly type: string
  /** "" when Slack sent none (nothing to acknowledge). */
  readonly envelopeId: string
  readonly payload: unknown
  /** `retry_attempt`: 0 or absent for a first delivery. */
  readonly retryAttempt: number
  readonly retryReason: string
}

export interface SocketPipelines {
  readonly events: SlackEventPipeline
  readonly interactions: SlackInteractionPipeline
}

/** Sends the acknowledgement for one envelope; fails when the socket cannot take it. */
export type Ack = Effect.Effect<void, AckFailed>

export interface AckFailed {
  readonly _tag: "AckFailed"
  /** Fixed words (the library's error name), never a payload. */
  readonly reason: string
}

const ENVELOPE_ID = /^[A-Za-z0-9._-]{1,128}$/

/** For logs: the envelope id when it looks like one, else a placeholder (never raw input). */
const idOf = (envelope: SocketEnvelope): string => ENVELOPE_ID.test(envelope.envelopeId) ? envelope.envelopeId : "(no id)"

export const retryOf = (envelope: SocketEnvelope): SlackRetry => ({
  num: Number.isSafeInteger(envelope.retryAttempt) && envelope.retryAttempt > 0 ? String(envelope.retryAttempt) : "",
  reason: envelope.retryReason.slice(0, 64)
})

const describe = (envelope: SocketEnvelope) => `${envelope.type.slice(0, 40) || "(none)"} envelope ${idOf(envelope)}`

/** What an envelope that runs nothing is answered: acknowledged. */
const IGNORED: RawResponse = { status: 200, body: "" }

/** The pipeline's answer for the envelope (what the HTTP route would answer), with its work behind it. */
const answerOf = (
  envelope: SocketEnvelope,
  pipelines: SocketPipelines
): Effect.Effect<RawResponse, never, SlackRouteRequirements> =>
  Effect.gen(function*() {
    const payload = envelope.payload
    if (envelope.type !== "events_api" && envelope.type !== "interactive") {
      yield* countSlack("ignored")
      yield* Effect.logDebug(`Slack Socket Mode ${describe(envelope)} ignored`)
      return IGNORED
    }
    if (!isRecord(payload)) {
      yield* countSlack("malformed")
      yield* Effect.logWarning(`Slack Socket Mode ${describe(envelope)} without a payload object; ignored`)
      return IGNORED
    }
    return envelope.type === "events_api"
      ? yield* pipelines.events.process(payload, retryOf(envelope))
      : yield* pipelines.interactions.process(payload)
  })

/** Runs the envelope's pipeline, acknowledges unless it answered 5xx, then runs the work behind the answer. */
export const handleEnvelope = (
  envelope: SocketEnvelope,
  ack: Ack,
  pipelines: SocketPipelines
): Effect.Effect<void, never, SlackRouteRequirements> =>
  Effect.gen(function*() {
    const response = yield* answerOf(envelope, pipelines)
    const acknowledgeAndWork = Effect.gen(function*() {
      if (response.status >= 500) {
        const why = typeof response.body === "string" ? response.body.slice(0, 80) : ""
        yield* Effect.logWarning(
          `Slack Socket Mode ${describe(envelope)} not handled (${response.status} ${why}); ` +
            "not acknowledged, so Slack redelivers it"
        )
      } else if (envelope.envelopeId !== "") {
        const acked = yield* Effect.either(ack)
        if (Either.isLeft(acked)) {
          yield* Effect.logWarning(
            `Slack Socket Mode ${describe(envelope)} not acknowledged (${acked.left.reason}); ` +
              "Slack redelivers it, the replay store keeps it from running twice"
          )
        }
      }
      if (response.after !== undefined) yield* response.after
    })
    yield* acknowledgeAndWork.pipe(Effect.onInterrupt(() => response.abandon ?? Effect.void))
  })
