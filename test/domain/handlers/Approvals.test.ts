import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { handleCommand } from "../../../src/domain/command/Router.js"
import { Texts } from "../../../src/domain/render/Texts.js"
import { backendError } from "../../support/BackendStub.js"
import { ADMIN_ID, saying } from "../../support/Builders.js"
import { harness } from "../fakes.js"

const admin = (text: string) => saying(text, { senderId: ADMIN_ID, channelId: "approver-chat" })
const APPROVAL = { approval_id: "apr_1", status: "pending", template_id: "tmpl_x", requested_by: "bob", source: "trigger" }

describe("/approvals", () => {
  it.effect("non-admins are denied without a backend call", () =>
    Effect.gen(function*() {
      const h = harness()
      expect(yield* h.handle(saying("/approvals", { senderId: "u" }))).toBe(Texts.adminRequired)
      expect(h.backend.calls).toEqual([])
    }))

  it.effect("lists pending approvals with a count header and buttons", () =>
    Effect.gen(function*() {
      const h = harness()
      h.backend.set("pendingApprovals", { approvals: [APPROVAL], count: 1, pending_count: 1 })
      const reply = yield* handleCommand(admin("/approvals"), { eventKey: "" }).pipe(Effect.provide(h.layer))
      expect(reply.text).toBe("Pending Approvals (1):\n- apr_1 [pending] template=tmpl_x by=bob source=trigger")
      expect(reply.buttons).toEqual([
        { label: "Approve apr_1", command: "/approve apr_1", actionType: "approval.approve", approvalId: "apr_1", style: "primary" },
        { label: "Reject apr_1", command: "/reject apr_1", actionType: "approval.reject", approvalId: "apr_1", style: "danger" }
      ])
    }))

  it.effect("missing fields are unknown; a boolean count is no count; buttons only for the first 3 with ids", () =>
    Effect.gen(function*() {
      const h = harness()
      const items = [
        { id: "apr_0123456789ab", status: "pending", requested_by: null },
        { status: "pending" },
        { approval_id: "apr_2" },
        { approval_id: "apr_3" }
      ]
      h.backend.set("pendingApprovals", { approvals: items, pending_count: true })
      const reply = yield* handleCommand(admin("approvals"), { eventKey: "" }).pipe(Effect.provide(h.layer))
      expect(reply.text).toBe([
        "Pending Approvals:",
        "- apr_0123456789ab [pending] template=unknown by=unknown source=unknown",
        "- unknown [pending] template=unknown by=unknown source=unknown",
        "- apr_2 [unknown] template=unknown by=unknown source=unknown",
        "- apr_3 [unknown] template=unknown by=unknown source=unknown"
      ].join("\n"))
      expect(reply.buttons.map((b) => b.command)).toEqual([
        "/approve apr_0123456789ab", "/reject apr_0123456789ab", "/approve apr_2", "/reject apr_2"
      ])
      expect(reply.buttons[0]!.label).toBe("Approve apr_0123")
    }))

  it.effect("empty list and failure", () =>
    Effect.gen(function*() {
      const h = harness()
      h.backend.set("pendingApprovals", { approvals: [], count: 0, pending_count: 0 })
      expect(yield* h.handle(admin("/approvals"))).toBe("No pending approvals.")
      h.backend.set("pendingApprovals", backendError("Invalid admin token.", { status: 403 }))
      expect(yield* h.handle(admin("/approvals"))).toBe("[Error] Failed to list approvals: Invalid admin token.")
    }))
})

describe("/approve", () => {
  it.effect("executed: reply, auto_execute true, job recorded for the approver's chat", () =>
    Effect.gen(function*() {
      const h = harness()
      h.backend.set("approve", { approved: true, executed: true, prompt_id: "p-999", approval: { template_id: "sdxl" } })
      expect(yield* h.handle(admin("/approve apr-1 extra"))).toBe("[Approved] apr-1\nExecuted: p-999")
      expect(h.backend.callsTo("approve")).toEqual([["apr-1", true]])
      expect(h.ledger.entries).toMatchObject([{
        id: "job:p-999",
        kind: "job",
        state: "submitted",
        templateId: "sdxl",
        inboundEventKey: "ev-1",
        target: { channelId: "approver-chat", senderId: ADMIN_ID }
      }])
    }))

  it.effect("not executed, with and without an error", () =>
    Effect.gen(function*() {
      const h = harness()
      h.backend.set("approve", { approved: true, executed: false, execution_error: "Missing submit_fn" })
      expect(yield* h.handle(admin("/approve apr-error"))).toBe("[Approved] apr-error\n(Not Executed)\nError: Missing submit_fn")
      h.backend.set("approve", { approved: true, executed: false })
      expect(yield* h.handle(admin("/approve apr-2"))).toBe("[Approved] apr-2\n(Not Executed)")
      h.backend.set("approve", { approved: true })
      expect(yield* h.handle(admin("/approve apr-3"))).toBe("[Approved] apr-3")
      expect(h.ledger.entries).toEqual([])
    }))

  it.effect("a null prompt id shows unknown and records nothing", () =>
    Effect.gen(function*() {
      const h = harness()
      h.backend.set("approve", { approved: true, executed: true, prompt_id: null })
      expect(yield* h.handle(admin("/approve apr-1"))).toBe("[Approved] apr-1\nExecuted: unknown")
      expect(h.ledger.entries).toEqual([])
    }))

  it.effect("failure, ledger failure, bad id", () =>
    Effect.gen(function*() {
      const h = harness({}, { ledgerFails: true })
      h.backend.set("approve", backendError("Approval request has expired: apr-1", { status: 400 }))
      expect(yield* h.handle(admin("/approve apr-1"))).toBe("[Failed] Approval request has expired: apr-1")
      h.backend.set("approve", { prompt_id: "p-1" })
      expect(yield* h.handle(admin("/approve apr-1"))).toBe(`[Approved] apr-1\nExecuted: p-1\n${Texts.deliveryNotRecorded}`)
      const calls = h.backend.calls.length
      expect(yield* h.handle(admin("/approve ../x"))).toBe(Texts.invalidId)
      expect(h.backend.calls.length).toBe(calls)
    }))
})

describe("/reject", () => {
  it.effect("reason defaults, joins, failure", () =>
    Effect.gen(function*() {
      const h = harness()
      h.backend.set("reject", { rejected: true })
      expect(yield* h.handle(admin("/reject apr-1"))).toBe("[Rejected] apr-1")
      expect(yield* h.handle(admin("reject apr-2 too   expensive \"for now\""))).toBe("[Rejected] apr-2")
      expect(h.backend.callsTo("reject")).toEqual([["apr-1", "Rejected via chat"], ["apr-2", "too expensive for now"]])
      h.backend.set("reject", backendError("Cannot reject request in status: approved", { status: 400 }))
      expect(yield* h.handle(admin("/reject apr-1"))).toBe("[Failed] Cannot reject request in status: approved")
    }))
})
