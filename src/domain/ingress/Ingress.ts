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

const refuse = () => new IngressRefused({ reason: "store-unavailable" })

/**
 * admit -> handle -> commit. A duplicate is acknowledged without running anything; a store that
 * cannot answer refuses the event (fail closed). The command itself never fails: every problem is
 * a reply. A defect while handling releases the claim so a platform retry can run it again.
 */
export const handleInbound = Effect.fnUntraced(function*(event: InboundEvent) {
  if (event.eventKey.trim() === "") return yield* new IngressRefused({ reason: "invalid-event-key" })
  const store = yield* ReplayStore
  const outcome = yield* store.claim(event.eventKey, event.replayTtlMillis).pipe(Effect.mapError(refuse))
  if (!isAccepted(outcome)) return { _tag: "Duplicate", outcome } satisfies IngressOutcome as IngressOutcome

  const reply = yield* handleCommand(event.request, { eventKey: event.eventKey }).pipe(
    Effect.onExit((exit) =>
      exit._tag === "Failure" ? store.release(event.eventKey, event.replayTtlMillis).pipe(Effect.ignore) : Effect.void
    )
  )
  // The reply exists; a failed commit must not turn it into a refusal (it would be re-run on retry).
  yield* store.commit(event.eventKey, event.replayTtlMillis).pipe(
    Effect.catchTag("StoreError", (e) => Effect.logWarning("replay commit failed", e.operation))
  )
  return { _tag: "Replied", reply } satisfies IngressOutcome as IngressOutcome
})
