import { Effect, Either } from "effect"
import { isRecord } from "../../domain/render/Values.js"
import { countSlack } from "./Counters.js"
import type { SlackEventPipeline, SlackRetry, SlackRouteRequirements } from "./EventsRoute.js"
import type { SlackInteractionPipeline } from "./Interactions.js"

/**
 * One Socket Mode envelope (spec platforms-slack-feishu.md §2.9, bug 7 fixed), with no SDK type:
 * 1. It is acknowledged first (`{"envelope_id"}` over the socket), before anything is decoded or
 *    run: Slack redelivers an envelope that is not acknowledged within 3 s. An ack that cannot be
 *    sent (the socket just closed) is logged; Slack then redelivers the envelope on the next
 *    connection, and the replay keys below keep it from running twice.
 * 2. `events_api` -> the Events API pipeline (EventsRoute.ts `makeSlackEventPipeline`): the same
 *    event-id dedupe (`retry_attempt` counts as Slack's retry marker), lifecycle events, mention
 *    gate and message key as over HTTP. No signature: the socket is authenticated by the app token.
 * 3. `interactive` -> the interactions pipeline (Interactions.ts): our signed buttons are pressed
 *    once, by whoever pressed them, where they were pressed (the reference dropped these).
 * 4. `slash_commands` and unknown types are acknowledged and ignored (counted `ignored`).
 * The pipeline's answer is what the HTTP route would have answered; as the envelope is already
 * acknowledged, a non-200 answer (a replay store or registry that cannot answer right now) means
 * the event is dropped, which is logged and counted by the pipeline.
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

/** Acknowledges, then runs the envelope through its pipeline, including the work behind the answer. */
export const handleEnvelope = (
  envelope: SocketEnvelope,
  ack: Ack,
  pipelines: SocketPipelines
): Effect.Effect<void, never, SlackRouteRequirements> =>
  Effect.gen(function*() {
    if (envelope.envelopeId !== "") {
      const acked = yield* Effect.either(ack)
      if (Either.isLeft(acked)) {
        yield* Effect.logWarning(
          `Slack Socket Mode envelope ${idOf(envelope)} (${envelope.type.slice(0, 40)}) not acknowledged (${acked.left.reason}); ` +
            "Slack redelivers it, the replay store keeps it from running twice"
        )
      }
    }
    if (envelope.type !== "events_api" && envelope.type !== "interactive") {
      yield* countSlack("ignored")
      return yield* Effect.logDebug(`Slack Socket Mode envelope of type ${envelope.type.slice(0, 40) || "(none)"} ignored`)
    }
    const payload = envelope.payload
    if (!isRecord(payload)) {
      yield* countSlack("malformed")
      return yield* Effect.logWarning(`Slack Socket Mode ${envelope.type} envelope ${idOf(envelope)} without a payload object; ignored`)
    }
    const response = envelope.type === "events_api"
      ? yield* pipelines.events.process(payload, retryOf(envelope))
      : yield* pipelines.interactions.process(payload)
    if (response.status !== 200) {
      const why = typeof response.body === "string" ? response.body.slice(0, 80) : ""
      yield* Effect.logWarning(
        `Slack Socket Mode ${envelope.type} envelope ${idOf(envelope)} not handled (${response.status} ${why}); ` +
          "it was acknowledged, so Slack will not redeliver it"
      )
    }
    if (response.after !== undefined) yield* response.after
  })
