import { Effect } from "effect"
import { IngressRefused } from "../Errors.js"
import type { CommandRequest } from "../model/Request.js"
import type { Reply } from "../model/Reply.js"
import { type ClaimOutcome, isAccepted, ReplayStore } from "../../ports/ReplayStore.js"
import { handleCommand } from "../command/Router.js"

/** One verified, decoded inbound message plus the key its platform deduplicates it by. */
export interface InboundEvent {
  readonly request: CommandRequest
  /** Platform-built replay key (`kakao:<botUserKey>:<requestId>`); never empty. */
  readonly eventKey: string
  /** How long the key is remembered: at least the platform's freshness/redelivery window. */
  readonly replayTtlMillis: number
}

export type IngressOutcome =
  | { readonly _tag: "Replied"; readonly reply: Reply }
  | { readonly _tag: "Duplicate"; readonly outcome: ClaimOutcome }

/** The result of the admit step: run it, or acknowledge a duplicate without running anything. */
export type Admission =
  | { readonly _tag: "Admitted" }
  | { readonly _tag: "Duplicate"; readonly outcome: ClaimOutcome }

const refuse = () => new IngressRefused({ reason: "store-unavailable" })

/**
 * The admit step alone: claim the event's key. Webhook platforms that acknowledge before they
 * process (LINE, WhatsApp) admit every event of a delivery first, answer, then `runAdmitted`:
 * a store that cannot hold the claim refuses the delivery (the platform retries), and an
 * acknowledged event is always one the store remembers.
 */
export const admitInbound = Effect.fnUntraced(function*(event: InboundEvent) {
  if (event.eventKey.trim() === "") return yield* new IngressRefused({ reason: "invalid-event-key" })
  const store = yield* ReplayStore
  const outcome = yield* store.claim(event.eventKey, event.replayTtlMillis).pipe(Effect.mapError(refuse))
  return (isAccepted(outcome) ? { _tag: "Admitted" } : { _tag: "Duplicate", outcome }) as Admission
})

/**
 * Gives back the claims of admitted events that will not run now (a refused delivery, or work
 * interrupted by shutdown): the platform's redelivery runs them. Releasing a committed claim is a
 * no-op, so this is safe for events that already ran. A store failure is logged, never raised.
 */
export const releaseInbound = (events: ReadonlyArray<InboundEvent>) =>
  Effect.flatMap(ReplayStore, (store) =>
    Effect.forEach(events, (event) =>
      store.release(event.eventKey, event.replayTtlMillis).pipe(
        Effect.catchTag("StoreError", (e) => Effect.logWarning("replay release failed", e.operation, e.reason))
      ), { discard: true }))

/**
 * handle -> commit, for an event whose claim is held. The command itself never fails: every
 * problem is a reply. A defect while handling releases the claim so a platform retry can run it
 * again; a failed commit is logged, never turned into a refusal (the reply exists).
 */
export const runAdmitted = Effect.fnUntraced(function*(event: InboundEvent) {
  const store = yield* ReplayStore
  const reply = yield* handleCommand(event.request, { eventKey: event.eventKey }).pipe(
    Effect.onExit((exit) =>
      exit._tag === "Failure" ? store.release(event.eventKey, event.replayTtlMillis).pipe(Effect.ignore) : Effect.void
    )
  )
  yield* store.commit(event.eventKey, event.replayTtlMillis).pipe(
    Effect.catchTag("StoreError", (e) => Effect.logWarning("replay commit failed", e.operation))
  )
  return reply
})

/**
 * admit -> handle -> commit. A duplicate is acknowledged without running anything; a store that
 * cannot answer refuses the event (fail closed).
 */
export const handleInbound = Effect.fnUntraced(function*(event: InboundEvent) {
  const admission = yield* admitInbound(event)
  if (admission._tag === "Duplicate") {
    return { _tag: "Duplicate", outcome: admission.outcome } satisfies IngressOutcome as IngressOutcome
  }
  const reply = yield* runAdmitted(event)
  return { _tag: "Replied", reply } satisfies IngressOutcome as IngressOutcome
})
