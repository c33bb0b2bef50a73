import { Effect, Either } from "effect"
import { isSafeId } from "../model/Ids.js"
import type { Button } from "../model/Reply.js"
import { Texts } from "../render/Texts.js"
import { display, field, hasField, nonEmptyString } from "../render/Values.js"
import { Backend } from "../../ports/Backend.js"
import { adminTokenGuard, failed, type HandlerInput, idGuard, ok, usage } from "./Handled.js"
import { recordApprovedJob, withDeliveryNote } from "./Ledger.js"

const BUTTONED_ITEMS = 3

/** Approve and Reject buttons for one approval id. */
export const approvalButtons = (id: string): ReadonlyArray<Button> => [
  { label: `Approve ${id.slice(0, 8)}`, command: `/approve ${id}`, actionType: "approval.approve", approvalId: id, style: "primary" },
  { label: `Reject ${id.slice(0, 8)}`, command: `/reject ${id}`, actionType: "approval.reject", approvalId: id, style: "danger" }
]

const idOf = (item: unknown): string | undefined =>
  nonEmptyString(field(item, "approval_id")) ?? nonEmptyString(field(item, "id"))

/**
 * `/approvals` (ADMIN; token guard first). Lists pending approvals from the body
 * `{approvals, count, pending_count}`; the first 3 items get Approve/Reject buttons, except items
 * without a usable id (a button that can only fail is not offered).
 */
export const approvalsCommand = Effect.fn("Approvals.list")(function*({ settings }: HandlerInput) {
  const guarded = adminTokenGuard(settings)
  if (guarded !== undefined) return guarded
  const backend = yield* Backend
  const result = yield* Effect.either(backend.pendingApprovals)
  if (Either.isLeft(result)) return failed(`[Error] Failed to list approvals: ${result.left.message}`)
  const body = result.right
  const listed = field(body, "approvals") ?? field(body, "items")
  const items: ReadonlyArray<unknown> = Array.isArray(listed) ? listed : []
  if (items.length === 0) return ok("No pending approvals.")

  const count = field(body, "pending_count")
  const header = typeof count === "number" && Number.isInteger(count) ? `Pending Approvals (${count})` : "Pending Approvals"
  const lines = items.map((item) =>
    `- ${display(idOf(item))} [${display(field(item, "status"))}] template=${display(field(item, "template_id"))}` +
    ` by=${display(field(item, "requested_by"))} source=${display(field(item, "source"))}`
  )
  const buttons = items.slice(0, BUTTONED_ITEMS).flatMap((item) => {
    const id = idOf(item)
    return id !== undefined && isSafeId(id) ? approvalButtons(id) : []
  })
  return { reply: { text: `${header}:\n${lines.join("\n")}`, buttons }, outcome: "ok" as const }
})

/**
 * `/approve <id>` (ADMIN; usage, then token guard). Always asks the backend to execute. When it
 * did, the job is recorded for delivery: to the requester's chat when the ledger follows this
 * approval, else to the approver's chat (`recordApprovedJob`).
 */
export const approveCommand = Effect.fn("Approvals.approve")(function*({ args, context, request, settings }: HandlerInput) {
  const [id] = args
  if (id === undefined) return usage(Texts.approveUsage)
  const guarded = adminTokenGuard(settings) ?? idGuard(id)
  if (guarded !== undefined) return guarded
  const backend = yield* Backend
  const result = yield* Effect.either(backend.approve(id, true))
  if (Either.isLeft(result)) return failed(`[Failed] ${result.left.message}`)
  const body = result.right

  if (hasField(body, "prompt_id")) {
    const promptId = nonEmptyString(field(body, "prompt_id"))
    // A null or empty prompt id is shown as unknown and nothing is followed under a made-up id.
    if (promptId === undefined) return ok(`[Approved] ${id}\nExecuted: unknown`)
    const templateId = nonEmptyString(field(field(body, "approval"), "template_id")) ?? ""
    const recorded = yield* recordApprovedJob(id, promptId, request, context.eventKey, templateId)
    return ok(withDeliveryNote(`[Approved] ${id}\nExecuted: ${promptId}`, recorded, Texts.deliveryNotRecorded))
  }
  if (field(body, "executed") === false) {
    const error = field(body, "execution_error")
    return ok(`[Approved] ${id}\n(Not Executed)${error ? `\nError: ${display(error)}` : ""}`)
  }
  return ok(`[Approved] ${id}`)
})

/** `/reject <id> [reason...]` (ADMIN; usage, then token guard). */
export const rejectCommand = Effect.fn("Approvals.reject")(function*({ args, settings }: HandlerInput) {
  const [id, ...reasonWords] = args
  if (id === undefined) return usage(Texts.rejectUsage)
  const guarded = adminTokenGuard(settings) ?? idGuard(id)
  if (guarded !== undefined) return guarded
  const backend = yield* Backend
  const reason = reasonWords.length > 0 ? reasonWords.join(" ") : "Rejected via chat"
  const result = yield* Effect.either(backend.reject(id, reason))
  return Either.isRight(result) ? ok(`[Rejected] ${id}`) : failed(`[Failed] ${result.left.message}`)
})
