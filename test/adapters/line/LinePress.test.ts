import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { PressTexts } from "../../../src/domain/callbacks/Press.js"
import { makeBackendStub } from "../../support/BackendStub.js"
import { ADMIN_ID } from "../../support/Builders.js"
import type { LineApiCall } from "../../e2e/support/LineApiFake.js"
import { deliveryBody, type EventOptions, postbackEvent, textEvent } from "../../e2e/support/LineClient.js"
import { eventually, serveLine } from "./harness.js"

/** Approval buttons as LINE quick replies, and their presses as signed postbacks. */
const APPROVAL = "apr_000000000001"

const approvalsBackend = () =>
  makeBackendStub({
    pendingApprovals: {
      approvals: [{ approval_id: APPROVAL, status: "pending", template_id: "portrait", requested_by: "U5", source: "line" }],
      count: 1,
      pending_count: 1
    },
    approve: { approved: true, executed: true, prompt_id: "p-1", approval: { template_id: "portrait" } },
    reject: { rejected: true }
  })

interface Item {
  readonly type: string
  readonly action: { readonly type: string; readonly label: string; readonly data: string; readonly displayText: string }
}
const itemsOf = (call: LineApiCall): ReadonlyArray<Item> => call.body.messages.at(-1).quickReply?.items ?? []

/** Lists the approvals as `who` in `where` and returns the quick-reply items of the answer. */
const listApprovals = (served: Effect.Effect.Success<ReturnType<typeof serveLine>>, where: EventOptions) =>
  Effect.gen(function*() {
    const before = served.api.calls.length
    expect((yield* served.post(deliveryBody([textEvent("/approvals", where)]))).status).toBe(200)
    const calls = yield* Effect.promise(() => served.api.waitFor((c) => c.length > before))
    return itemsOf(calls[before]!)
  })

/** Posts `events` and waits for `n` more LINE API calls; returns those. */
const postAndWait = (served: Effect.Effect.Success<ReturnType<typeof serveLine>>, events: ReadonlyArray<unknown>, n: number) =>
  Effect.gen(function*() {
    const before = served.api.calls.length
    expect((yield* served.post(deliveryBody(events))).status).toBe(200)
    const calls = yield* Effect.promise(() => served.api.waitFor((c) => c.length >= before + n))
    return calls.slice(before)
  })

const textOf = (call: LineApiCall) => call.body.messages.map((m: { text: string }) => m.text).join("\n")

describe("LINE approval buttons", () => {
  it.scopedLive("/approvals carries signed postback quick replies on its message", () =>
    Effect.gen(function*() {
      const served = yield* serveLine({ backend: approvalsBackend() })
      const items = yield* listApprovals(served, { userId: ADMIN_ID })
      expect(items.map((i) => [i.type, i.action.type, i.action.label, i.action.displayText])).toEqual([
        ["action", "postback", "Approve apr_0000", "Approve apr_0000"],
        ["action", "postback", "Reject apr_0000", "Reject apr_0000"]
      ])
      expect(items[0]!.action.data).toMatch(new RegExp(`^oc1\\|a\\|${APPROVAL}\\|c1\\.`))
      expect(items[1]!.action.data).toMatch(new RegExp(`^oc1\\|r\\|${APPROVAL}\\|c1\\.`))
      expect(items.every((i) => i.action.data.length <= 300)).toBe(true)
    }))

  it.scopedLive("an admin's press approves once; the same event or the same button again does nothing", () =>
    Effect.gen(function*() {
      const backend = approvalsBackend()
      const served = yield* serveLine({ backend })
      const [approve] = yield* listApprovals(served, { userId: ADMIN_ID })
      const press = postbackEvent(approve!.action.data, { userId: ADMIN_ID, replyToken: "rt-press" })
      const [answer] = yield* postAndWait(served, [press], 1)
      expect(answer!.body.replyToken).toBe("rt-press")
      expect(textOf(answer!)).toBe(`[Approved] ${APPROVAL}\nExecuted: p-1`)
      expect(backend.callsTo("approve")).toEqual([[APPROVAL, true]])

      // The same event redelivered: refused at the event's replay key.
      expect((yield* served.post(deliveryBody([press]))).status).toBe(200)
      // The same button pressed again (a new event): refused by the button's own replay guard.
      const again = postbackEvent(approve!.action.data, { userId: ADMIN_ID })
      expect((yield* served.post(deliveryBody([again]))).status).toBe(200)
      yield* eventually(() => served.probe.commits.includes(`line:${again.webhookEventId}`), 5_000, "second press")
      expect(backend.callsTo("approve")).toHaveLength(1)
      expect(served.api.calls).toHaveLength(2)
    }))

  it.scopedLive("forged or altered button data is refused with a short text and never runs", () =>
    Effect.gen(function*() {
      const backend = approvalsBackend()
      const served = yield* serveLine({ backend })
      const [approve] = yield* listApprovals(served, { userId: ADMIN_ID })
      const data = approve!.action.data
      const flipped = data.slice(0, -1) + (data.endsWith("0") ? "1" : "0")
      const otherApproval = data.replace(APPROVAL, "apr_000000000002")
      const calls = yield* postAndWait(served, [
        postbackEvent(flipped, { userId: ADMIN_ID, replyToken: "rt-1" }),
        postbackEvent(otherApproval, { userId: ADMIN_ID, replyToken: "rt-2" })
      ], 2)
      expect(calls.map(textOf)).toEqual([PressTexts.invalid, PressTexts.invalid])
      expect(backend.callsTo("approve")).toEqual([])
    }))

  it.scopedLive("a button only works in the chat it was sent to; in a group only an admin may press it", () =>
    Effect.gen(function*() {
      const backend = approvalsBackend()
      const served = yield* serveLine({ backend })
      const [, reject] = yield* listApprovals(served, { userId: ADMIN_ID, groupId: "C1" })
      const data = reject!.action.data
      const [elsewhere] = yield* postAndWait(served, [postbackEvent(data, { userId: ADMIN_ID, groupId: "C2" })], 1)
      expect(textOf(elsewhere!)).toBe(PressTexts.invalid)
      const [stranger] = yield* postAndWait(served, [postbackEvent(data, { userId: "U5", groupId: "C1" })], 1)
      expect(textOf(stranger!)).toBe(PressTexts.adminOnly)
      expect(backend.callsTo("reject")).toEqual([])
      const [admin] = yield* postAndWait(served, [postbackEvent(data, { userId: ADMIN_ID, groupId: "C1" })], 1)
      expect(textOf(admin!)).toBe(`[Rejected] ${APPROVAL}`)
      expect(backend.callsTo("reject")).toHaveLength(1)
    }))

  it.scopedLive("a long list is split at 5000 characters: 5 messages by reply, the rest by push, buttons on the very last", () =>
    Effect.gen(function*() {
      const approvals = Array.from({ length: 400 }, (_, i) => ({
        approval_id: `apr_${String(i).padStart(12, "0")}`,
        status: "pending",
        template_id: "portrait",
        requested_by: "U5",
        source: "line"
      }))
      const backend = makeBackendStub({ pendingApprovals: { approvals, count: 400, pending_count: 400 } })
      const served = yield* serveLine({ backend })
      const calls = yield* postAndWait(served, [textEvent("/approvals", { userId: ADMIN_ID, replyToken: "rt-long" })], 2)
      expect(calls.map((c) => [c.path, c.body.messages.length])).toEqual([
        ["/v2/bot/message/reply", 5],
        ["/v2/bot/message/push", calls[1]!.body.messages.length]
      ])
      const messages = calls.flatMap((c) => c.body.messages as Array<{ text: string; quickReply?: unknown }>)
      expect(messages.length).toBeGreaterThan(5)
      expect(messages.every((m) => m.text.length <= 5000)).toBe(true)
      expect(messages.slice(0, -1).every((m) => m.quickReply === undefined)).toBe(true)
      expect(itemsOf(calls[1]!)).toHaveLength(6)
      const all = messages.map((m) => m.text).join("\n")
      for (const a of approvals) expect(all).toContain(a.approval_id)
      expect(calls[1]!.body.to).toBe(ADMIN_ID)
    }))
})
