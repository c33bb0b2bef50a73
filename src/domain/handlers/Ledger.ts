import { Clock, Effect, Option } from "effect"
import { type CommandRequest, type DeliveryTarget, deliveryTargetOf } from "../model/Request.js"
import { DeliveryQueue } from "../../ports/DeliveryQueue.js"
import { JobLedger } from "../../ports/JobLedger.js"
import type { StoreError } from "../../ports/StoreError.js"

const logNotRecorded = (error: StoreError) =>
  Effect.as(
    Effect.logError("job ledger write failed; the user is told delivery was not recorded", error.reason, error.operation),
    false
  )

/**
 * Hands the entry to the delivery worker when one runs in this process. The queue is optional on
 * purpose: without it (tests, a process without the worker) the entry is still in the ledger and
 * the worker picks it up at its next sweep or start.
 */
const handToWorker = (id: string) =>
  Effect.flatMap(Effect.serviceOption(DeliveryQueue), Option.match({
    onNone: () => Effect.void,
    onSome: (queue) => queue.enqueue(id)
  }))

/**
 * Records `<kind>:<ref>` in its open state (`submitted` for a job, `awaiting_approval` for an
 * approval) for `target`, then hands it to the worker. Recording an id again keeps the first
 * record. Used by the handlers below and by the delivery worker when an approval turns into a job.
 */
export const recordAndHandOver = (
  kind: "job" | "approval",
  ref: string,
  target: DeliveryTarget,
  inboundEventKey: string,
  templateId: string
): Effect.Effect<true, StoreError, JobLedger> =>
  Effect.gen(function*() {
    const ledger = yield* JobLedger
    const now = yield* Clock.currentTimeMillis
    const id = `${kind}:${ref}`
    yield* ledger.record({
      id,
      kind,
      ref,
      inboundEventKey,
      target,
      templateId,
      state: kind === "job" ? "submitted" : "awaiting_approval",
      attempts: 0,
      createdAtMillis: now,
      updatedAtMillis: now
    })
    yield* handToWorker(id)
    return true as const
  })

/**
 * Records that the connector owes this chat a result: `job:<prompt_id>` (state `submitted`) or
 * `approval:<approval_id>` (state `awaiting_approval`), targeted at the requesting chat, workspace
 * and thread, then hands it to the delivery worker. Written before the user is told the command
 * succeeded. Returns whether the record was written; a store failure is logged and reported to
 * the caller, never hidden. Recording an id again keeps the first record, so one prompt id is
 * delivered once, to the chat recorded first.
 */
export const recordDelivery = Effect.fn("Ledger.recordDelivery")(function*(
  kind: "job" | "approval",
  ref: string,
  request: CommandRequest,
  inboundEventKey: string,
  templateId: string
) {
  return yield* recordAndHandOver(kind, ref, deliveryTargetOf(request), inboundEventKey, templateId).pipe(
    Effect.catchTag("StoreError", logNotRecorded)
  )
})

/**
 * `/approve` executed `promptId`. When the ledger already follows the approval (a `/run` that
 * asked for it), the job goes to that requester's chat, recorded first, and nowhere else: the
 * approver's reply names the prompt id. This is the fix for the reference's double delivery (the
 * approver's chat and the requester's chat both got the images). An approval the connector never
 * recorded (made by a trigger or the UI) delivers to the approver's chat.
 */
export const recordApprovedJob = Effect.fn("Ledger.recordApprovedJob")(function*(
  approvalId: string,
  promptId: string,
  request: CommandRequest,
  inboundEventKey: string,
  templateId: string
) {
  const ledger = yield* JobLedger
  return yield* ledger.get(`approval:${approvalId}`).pipe(
    Effect.flatMap((requested) => {
      const target = Option.match(requested, { onNone: () => deliveryTargetOf(request), onSome: (entry) => entry.target })
      const template = Option.match(requested, { onNone: () => templateId, onSome: (entry) => templateId || entry.templateId })
      return recordAndHandOver("job", promptId, target, inboundEventKey, template)
    }),
    Effect.catchTag("StoreError", logNotRecorded)
  )
})

/** The submission text, with a final warning line when the ledger write failed. */
export const withDeliveryNote = (text: string, recorded: boolean, note: string): string =>
  recorded ? text : `${text}\n${note}`
