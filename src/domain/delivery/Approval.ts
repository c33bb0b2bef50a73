import { Clock, Effect, Either } from "effect"
import { Backend } from "../../ports/Backend.js"
import type { LedgerEntry, LedgerState } from "../../ports/JobLedger.js"
import { field, isRecord, nonEmptyString } from "../render/Values.js"
import { DeliveryTexts } from "./DeliveryTexts.js"
import { type Item, TextItem } from "./Model.js"
import { approvalDeadline, approvalPollDelayMillis, type DeliverySettings } from "./Timing.js"

export type ApprovalOutcome =
  | { readonly _tag: "Executed"; readonly promptId: string }
  | { readonly _tag: "Ended"; readonly status: "rejected" | "expired" }
  | { readonly _tag: "TimedOut" }
  /** The backend says the approval id cannot be asked about (`invalid-id`): nothing to wait for. */
  | { readonly _tag: "NotFollowable" }

export interface ApprovalView {
  readonly status: string | undefined
  /** `metadata.executed_prompt_id`, else `metadata.prompt_id`, else a top-level `prompt_id`. */
  readonly promptId: string | undefined
  readonly expiresAtMillis: number | undefined
}

/** Reads GET /openclaw/approvals/{id} (`{approval: {...}}`, or the approval itself) (pure). */
export const readApproval = (body: unknown): ApprovalView => {
  const approval = isRecord(field(body, "approval")) ? field(body, "approval") : body
  const metadata = field(approval, "metadata")
  const expires = nonEmptyString(field(approval, "expires_at"))
  const parsed = expires === undefined ? Number.NaN : Date.parse(expires)
  return {
    status: nonEmptyString(field(approval, "status")),
    promptId: nonEmptyString(field(metadata, "executed_prompt_id")) ??
      nonEmptyString(field(metadata, "prompt_id")) ??
      nonEmptyString(field(approval, "prompt_id")) ??
      nonEmptyString(field(body, "prompt_id")),
    expiresAtMillis: Number.isFinite(parsed) ? parsed : undefined
  }
}

/**
 * Polls the approval on the reference's schedule (immediately, then 2, 4, 8, 15, 15 ... s) until
 * it is executed (approved with a prompt id), rejected or expired, or its deadline passes
 * (`approvalDeadline`: the approval's own expiry when known). Backend failures, 404s, `pending`
 * and `approved` without a prompt id keep it polling, as in the reference. A record still
 * `pending` after its expiry is expired (the backend's GET does not expire it lazily). An id the
 * backend refuses to look up (`invalid-id`) is NotFollowable at once: no wait can change that.
 */
export const awaitApproval = (entry: LedgerEntry, settings: DeliverySettings) =>
  Effect.gen(function*() {
    const backend = yield* Backend
    let polls = 0
    let expiresAt: number | undefined
    let lastStatus: string | undefined
    while (true) {
      const answer = yield* Effect.either(backend.approval(entry.ref))
      polls += 1
      if (Either.isRight(answer)) {
        const view = readApproval(answer.right)
        expiresAt = view.expiresAtMillis ?? expiresAt
        lastStatus = view.status
        if (view.status === "rejected" || view.status === "expired") return { _tag: "Ended", status: view.status } as const
        if (view.status === "approved" && view.promptId !== undefined) {
          return { _tag: "Executed", promptId: view.promptId } as const
        }
      } else if (answer.left.reason === "invalid-id") {
        yield* Effect.logWarning("approval id cannot be asked about; not following it", entry.ref)
        return { _tag: "NotFollowable" } as const
      }
      const now = yield* Clock.currentTimeMillis
      const deadline = approvalDeadline(entry.createdAtMillis, expiresAt, settings)
      if (now >= deadline) {
        const expired = lastStatus === "pending" && expiresAt !== undefined && now >= expiresAt
        return expired ? { _tag: "Ended", status: "expired" } as const : { _tag: "TimedOut" } as const
      }
      yield* Effect.sleep(Math.min(approvalPollDelayMillis(polls), deadline - now))
    }
  })

/** What the requester is told when the approval did not lead to a job (pure). */
export const approvalDelivery = (
  approvalId: string,
  outcome: Exclude<ApprovalOutcome, { readonly _tag: "Executed" }>
): { readonly items: ReadonlyArray<Item>; readonly state: LedgerState } => {
  switch (outcome._tag) {
    case "Ended":
      return {
        items: [{ _tag: "Text", index: TextItem.approvalEnded, text: DeliveryTexts.approvalEnded(approvalId, outcome.status) }],
        state: outcome.status === "rejected" ? "failed" : "expired"
      }
    case "TimedOut":
      return {
        items: [{ _tag: "Text", index: TextItem.approvalTimedOut, text: DeliveryTexts.approvalTimedOut(approvalId) }],
        state: "expired"
      }
    case "NotFollowable":
      return {
        items: [{
          _tag: "Text",
          index: TextItem.approvalNotFollowable,
          text: DeliveryTexts.approvalNotFollowable(approvalId)
        }],
        state: "failed"
      }
  }
}
