import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Option } from "effect"
import { readApproval } from "../../../src/domain/delivery/Approval.js"
import { approvalPollDelayMillis, retryDelayMillis } from "../../../src/domain/delivery/Timing.js"
import { JobLedger } from "../../../src/ports/JobLedger.js"
import { backendError } from "../../support/BackendStub.js"
import { advance, entry, target } from "./fakes.js"
import { harness, startFollowing, stateOf } from "./harness.js"

const approvalEntry = () => entry({ id: "approval:apr_1", kind: "approval", ref: "apr_1", state: "awaiting_approval" })
const HOUR = 3_600_000
const iso = (millis: number) => new Date(millis).toISOString()

describe("reading an approval", () => {
  it("the prompt id: metadata.executed_prompt_id, then metadata.prompt_id, then prompt_id", () => {
    expect(readApproval({ approval: { status: "approved", metadata: { executed_prompt_id: "a", prompt_id: "b" }, prompt_id: "c" } }).promptId).toBe("a")
    expect(readApproval({ approval: { status: "approved", metadata: { prompt_id: "b" }, prompt_id: "c" } }).promptId).toBe("b")
    expect(readApproval({ approval: { status: "approved", metadata: {}, prompt_id: "c" } }).promptId).toBe("c")
    expect(readApproval({ approval: { status: "approved", metadata: {} }, prompt_id: "d" }).promptId).toBe("d")
    expect(readApproval({ approval: { status: "approved", metadata: { executed_prompt_id: "" } } }).promptId).toBeUndefined()
  })

  it("the expiry, when the backend gives a parsable one", () => {
    expect(readApproval({ approval: { expires_at: "2026-01-05T11:11:12.123456+00:00" } }).expiresAtMillis).toBe(Date.UTC(2026, 0, 5, 11, 11, 12, 123))
    expect(readApproval({ approval: { expires_at: "soon" } }).expiresAtMillis).toBeUndefined()
    expect(readApproval({ approval: { expires_at: null } }).expiresAtMillis).toBeUndefined()
  })

  it("schedules: the reference's approval polls and the retry backoff", () => {
    expect([1, 2, 3, 4, 5, 9].map(approvalPollDelayMillis)).toEqual([2000, 4000, 8000, 15000, 15000, 15000])
    expect([1, 2, 3, 4, 5, 6, 7, 50].map(retryDelayMillis)).toEqual([2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000])
  })
})

describe("approval delivery timeline", () => {
  it.effect("polls at 0, 2, 6, 14, 29, 44 s; approved with a prompt: becomes a job entry for the requester's chat", () => {
    const h = harness()
    let polls = 0
    let approvedAt = Infinity
    h.backend.set("approval", () => {
      polls += 1
      return polls < approvedAt
        ? { approval: { status: "pending", metadata: {} } }
        : { approval: { status: "approved", metadata: { executed_prompt_id: "p-77" } } }
    })
    return Effect.gen(function*() {
      const fiber = yield* startFollowing(approvalEntry())
      const counts: Array<[number, number]> = []
      let now = 0
      for (const t of [0, 1_999, 2_000, 5_999, 6_000, 13_999, 14_000, 28_999, 29_000, 43_999, 44_000]) {
        yield* advance(t - now, Math.max(1, t - now))
        now = t
        counts.push([t, polls])
      }
      expect(counts).toEqual([
        [0, 1], [1_999, 1], [2_000, 2], [5_999, 2], [6_000, 3], [13_999, 3], [14_000, 4],
        [28_999, 4], [29_000, 5], [43_999, 5], [44_000, 6]
      ])
      approvedAt = 7
      yield* advance(15_000)
      yield* Fiber.join(fiber)
      const ledger = yield* JobLedger
      expect(Option.getOrThrow(yield* ledger.get("job:p-77"))).toMatchObject({
        kind: "job", ref: "p-77", state: "submitted", target, templateId: "tpl", inboundEventKey: "telegram:1"
      })
      expect(h.queue.enqueued).toEqual(["job:p-77"])
      expect(yield* stateOf("approval:apr_1")).toBe("delivered")
      expect(h.platform.sent).toEqual([]) // the job entry delivers; the approval itself says nothing
    }).pipe(Effect.provide(h.layer))
  })

  it.effect("rejected: the reference's text, ended failed; expired: ended expired", () => {
    const h = harness()
    h.backend.set("approval", (id: unknown) => ({ approval: { status: id === "apr_1" ? "rejected" : "expired" } }))
    return Effect.gen(function*() {
      yield* Fiber.join(yield* startFollowing(approvalEntry()))
      yield* Fiber.join(yield* startFollowing(entry({ id: "approval:apr_2", kind: "approval", ref: "apr_2", state: "awaiting_approval" })))
      expect(h.platform.texts()).toEqual(["❌ Approval apr_1 rejected.", "❌ Approval apr_2 expired."])
      expect(yield* stateOf("approval:apr_1")).toBe("failed")
      expect(yield* stateOf("approval:apr_2")).toBe("expired")
    }).pipe(Effect.provide(h.layer))
  })

  it.effect("approved in the UI after DELIVERY_TIMEOUT_SEC but before its expiry: still executed and followed", () => {
    const h = harness()
    let approved = false
    h.backend.set("approval", () => ({
      approval: { status: approved ? "approved" : "pending", expires_at: iso(HOUR), metadata: approved ? { prompt_id: "p-late" } : {} }
    }))
    return Effect.gen(function*() {
      const fiber = yield* startFollowing(approvalEntry(), { timeoutSec: 600 })
      yield* advance(1_200_000, 15_000)
      approved = true
      yield* advance(15_000, 15_000)
      yield* Fiber.join(fiber)
      expect(h.queue.enqueued).toEqual(["job:p-late"])
      expect(h.platform.sent).toEqual([])
    }).pipe(Effect.provide(h.layer))
  })

  it.effect("still pending at its own expiry: expired (the backend's GET does not expire it)", () => {
    const h = harness()
    h.backend.set("approval", () => ({ approval: { status: "pending", expires_at: iso(HOUR) } }))
    return Effect.gen(function*() {
      const fiber = yield* startFollowing(approvalEntry())
      yield* advance(HOUR - 15_000, 15_000)
      expect(h.platform.sent).toEqual([])
      yield* advance(15_000, 15_000)
      yield* Fiber.join(fiber)
      expect(h.platform.texts()).toEqual(["❌ Approval apr_1 expired."])
      expect(yield* stateOf("approval:apr_1")).toBe("expired")
    }).pipe(Effect.provide(h.layer))
  })

  it.effect("no expiry known and never executed: followed for an hour, then the timed-out text", () => {
    const h = harness()
    let calls = 0
    // Approved without a prompt (execution failed), with backend errors in between: keeps polling.
    h.backend.set("approval", () => (++calls % 3 === 0 ? backendError("Approval not found", { status: 404 }) : { approval: { status: "approved", metadata: {} } }))
    return Effect.gen(function*() {
      const fiber = yield* startFollowing(approvalEntry(), { timeoutSec: 600 })
      yield* advance(HOUR - 15_000, 15_000)
      expect(h.platform.sent).toEqual([])
      yield* advance(15_000, 15_000)
      yield* Fiber.join(fiber)
      expect(h.platform.texts()).toEqual(["⚠️ Approval apr_1 timed out waiting for execution."])
      expect(yield* stateOf("approval:apr_1")).toBe("expired")
    }).pipe(Effect.provide(h.layer))
  })

  it.effect("an id the backend cannot look up (invalid-id): not followable, its own text, ended failed at once", () => {
    const h = harness()
    let polls = 0
    h.backend.set("approval", () => {
      polls += 1
      return backendError("bad approval id", { reason: "invalid-id" })
    })
    return Effect.gen(function*() {
      yield* Fiber.join(yield* startFollowing(approvalEntry()))
      expect(polls).toBe(1)
      expect(h.platform.texts()).toEqual(["❌ Approval apr_1 cannot be followed (invalid approval id)."])
      expect(yield* stateOf("approval:apr_1")).toBe("failed")
    }).pipe(Effect.provide(h.layer))
  })

  it.effect("a job already recorded for the prompt keeps its first chat (no second delivery target)", () => {
    const h = harness()
    h.backend.set("approval", () => ({ approval: { status: "approved", metadata: { executed_prompt_id: "p-1" } } }))
    return Effect.gen(function*() {
      const ledger = yield* JobLedger
      yield* ledger.record(entry({ target: { ...target, channelId: "first-chat" } }))
      yield* Fiber.join(yield* startFollowing(approvalEntry()))
      expect(Option.getOrThrow(yield* ledger.get("job:p-1")).target.channelId).toBe("first-chat")
    }).pipe(Effect.provide(h.layer))
  })
})
