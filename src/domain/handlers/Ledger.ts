import { Clock, Effect } from "effect"
import { type CommandRequest, deliveryTargetOf } from "../model/Request.js"
import { JobLedger } from "../../ports/JobLedger.js"

/**
 * Records that the connector owes this chat a result: `job:<prompt_id>` (state `submitted`) or
 * `approval:<approval_id>` (state `awaiting_approval`), targeted at the requesting chat, workspace
 * and thread. Written before the user is told the command succeeded. Returns whether the record
 * was written; a store failure is logged and reported to the caller, never hidden.
 */
export const recordDelivery = Effect.fn("Ledger.recordDelivery")(function*(
  kind: "job" | "approval",
  ref: string,
  request: CommandRequest,
  inboundEventKey: string,
  templateId: string
) {
  const ledger = yield* JobLedger
  const now = yield* Clock.currentTimeMillis
  return yield* ledger.record({
    id: `${kind}:${ref}`,
    kind,
    ref,
    inboundEventKey,
    target: deliveryTargetOf(request),
    templateId,
    state: kind === "job" ? "submitted" : "awaiting_approval",
    attempts: 0,
    createdAtMillis: now,
    updatedAtMillis: now
  }).pipe(
    Effect.as(true),
    Effect.catchTag("StoreError", (error) =>
      Effect.as(
        Effect.logError("job ledger write failed; the user is told delivery was not recorded", error.reason, error.operation),
        false
      ))
  )
})

/** The submission text, with a final warning line when the ledger write failed. */
export const withDeliveryNote = (text: string, recorded: boolean, note: string): string =>
  recorded ? text : `${text}\n${note}`
