import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck as fc } from "effect"
import { formatJobsSummary, formatQueueFallback, jobsCommand } from "../../../src/domain/jobs/JobsCommand.js"
import type { CommandRequest } from "../../../src/domain/model/Request.js"
import { BackendError } from "../../../src/ports/Backend.js"
import { jobsBackend, rejected } from "./support/BackendFake.js"

const request: CommandRequest = {
  platform: "telegram", senderId: "1", channelId: "1", username: "admin", messageId: "m", text: "/jobs",
  workspaceId: "", threadId: ""
}

const EMPTY = "[Jobs] No jobs in the authoritative snapshot."
const MALFORMED = "[Jobs] Malformed or unsupported jobs response."
const DENIED = "[Jobs] Access denied. Check connector Admin authorization and token posture."
const COULD_NOT = "[Jobs] Could not fetch the authoritative jobs snapshot."
const FALLBACK_7 = "[Jobs fallback] Queue remaining: 7 (coarse count; not an authoritative jobs snapshot)."
const QUEUE_UNAVAILABLE = "[Jobs fallback] Coarse queue count is unavailable."

const snapshot = (jobs: Array<Record<string, unknown>>, pagination: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  ok: true,
  contract_version: 1,
  jobs,
  pagination: { limit: 50, offset: 0, warnings: [], total: jobs.length, has_more: false, ...pagination },
  source: { adapter: "comfy_execution.jobs", authority: "in_process" },
  scan: { window: 10000, examined: jobs.length, excluded: 0, malformed: 0, truncated: false },
  ...extra
})

const leaky = { workflow_id: "wf-secret", preview_output: "p", error: "err-secret", tenant: "t", trace: "tr", prompt: "pr", reasoning: "r", internal: "i" }
const mixed = [
  { id: "job-pending", status: "pending", ...leaky },
  { id: "job-running", status: "in_progress", ...leaky },
  { id: "job-done-1", status: "completed", ...leaky },
  { id: "job-failed", status: "failed", ...leaky },
  { id: "job-cancelled", status: "cancelled", ...leaky },
  { id: "job-done-2", status: "completed", ...leaky }
]

const run = (jobs: Effect.Effect<unknown, BackendError>, queue?: Effect.Effect<unknown, BackendError>) => {
  const fake = jobsBackend(jobs, queue)
  return Effect.map(Effect.provide(jobsCommand(request, []), fake.layer), (reply) => ({ reply, calls: fake.calls }))
}

describe("jobsCommand", () => {
  it.effect("renders a mixed page exactly, without leaking other job fields or fetching the queue", () =>
    Effect.gen(function*() {
      const { reply, calls } = yield* run(Effect.succeed(snapshot(mixed, { total: 12, has_more: true })))
      expect(reply.text).toBe([
        "[Jobs] Authoritative snapshot",
        "Snapshot total: 12; returned page: 6",
        "Page states: Active 2 (pending 1, in progress 1); Terminal 4 (completed 2, failed 1, cancelled 1)",
        "- job-pending \u2014 pending",
        "- job-running \u2014 in progress",
        "- job-done-1 \u2014 completed",
        "- job-failed \u2014 failed",
        "- job-cancelled \u2014 cancelled",
        "Showing 5 of 6 returned jobs."
      ].join("\n"))
      expect(reply.buttons).toEqual([])
      for (const leak of ["job-done-2", "secret", "wf-", "{'", "reasoning"]) expect(reply.text).not.toContain(leak)
      expect(reply.text.length).toBeLessThanOrEqual(1000)
      expect(calls).toEqual({ jobs: 1, promptQueue: 0 })
    }))

  it.effect("an empty snapshot is exactly the no-jobs text", () =>
    Effect.gen(function*() {
      const { reply, calls } = yield* run(Effect.succeed(snapshot([])))
      expect(reply.text).toBe(EMPTY)
      expect(calls).toEqual({ jobs: 1, promptQueue: 0 })
    }))

  it.effect("falls back to the queue count only for the two host-contract failures", () =>
    Effect.gen(function*() {
      for (const [status, code] of [[501, "jobs_host_contract_unsupported"], [503, "jobs_backend_unavailable"]] as const) {
        const { reply, calls } = yield* run(rejected(status, { ok: false, error: code }), Effect.succeed({ exec_info: { queue_remaining: 7 } }))
        expect(reply.text).toBe(FALLBACK_7)
        expect(calls).toEqual({ jobs: 1, promptQueue: 1 })
      }
    }))

  it.effect("401/403 give the fixed access-denied text, never the backend's error, and no fallback", () =>
    Effect.gen(function*() {
      for (const status of [401, 403]) {
        const { reply, calls } = yield* run(rejected(status, { ok: false, error: "jobs_admin_required secret-token-xyz" }))
        expect(reply.text).toBe(DENIED)
        expect(reply.text).not.toContain("secret")
        expect(calls.promptQueue).toBe(0)
      }
    }))

  it.effect("every other failure is 'Could not fetch', with no raw text and no fallback", () =>
    Effect.gen(function*() {
      const failures = [
        Effect.fail(new BackendError({ reason: "unreachable", message: "connect ECONNREFUSED secret-host" })),
        rejected(500, { ok: false, error: "boom secret" }),
        rejected(501, { ok: false, error: "something_else" }),
        rejected(503, { ok: false, error: "jobs_host_contract_unsupported" }),
        rejected(501, { ok: false, error: ["jobs_host_contract_unsupported"] }),
        rejected(501, undefined, "jobs_host_contract_unsupported"),
        rejected(429, { ok: false, error: "jobs_rate_limited" }),
        rejected(404, {}, "HTTP 404: 404: Not Found"),
        Effect.fail(new BackendError({ reason: "invalid-id", message: "x" }))
      ]
      for (const failure of failures) {
        const { reply, calls } = yield* run(failure)
        expect(reply.text).toBe(COULD_NOT)
        expect(calls.promptQueue).toBe(0)
      }
    }))

  it.effect("a success status with an unreadable body is malformed", () =>
    Effect.gen(function*() {
      const { reply } = yield* run(Effect.fail(new BackendError({ reason: "malformed", status: 200, message: "bad json" })))
      expect(reply.text).toBe(MALFORMED)
    }))

  it.effect("malformed success payloads are refused with the fixed text and no fallback", () =>
    Effect.gen(function*() {
      const one = [{ id: "job-1", status: "pending" }]
      const { jobs: _j, ...withoutJobs } = snapshot(one)
      const { pagination: _p, ...withoutPagination } = snapshot(one)
      const { source: _s, ...withoutSource } = snapshot(one)
      const { scan: _c, ...withoutScan } = snapshot(one)
      const payloads: Array<unknown> = [
        snapshot(one, {}, { contract_version: 2 }),
        snapshot(one, {}, { contract_version: true }),
        snapshot(one, {}, { contract_version: "1" }),
        snapshot(one, {}, { ok: false }),
        snapshot(one, {}, { ok: "true" }),
        withoutJobs, withoutPagination, withoutSource, withoutScan,
        snapshot(one, {}, { jobs: "job-1" }),
        snapshot(one, {}, { source: [] }),
        snapshot([{ id: "job-1", status: "running" }]),
        snapshot([{ id: "job\n1", status: "pending" }]),
        snapshot([{ id: "<b>job</b>", status: "pending" }]),
        snapshot([{ id: "", status: "pending" }]),
        snapshot([{ id: "-job", status: "pending" }]),
        snapshot([{ id: "j".repeat(129), status: "pending" }]),
        snapshot([{ id: 7, status: "pending" }]),
        snapshot(["job-1"] as unknown as Array<Record<string, unknown>>),
        snapshot(Array.from({ length: 201 }, (_, i) => ({ id: `job-${i}`, status: "pending" })), { limit: 200 }),
        snapshot(one, { total: true }),
        snapshot(one, { total: 1.5 }),
        snapshot(one, { total: 10001 }),
        snapshot(one, { offset: -1, total: 1 }),
        snapshot(one, { limit: 0 }),
        snapshot(one, { limit: 201 }),
        snapshot(one, { has_more: "false" }),
        snapshot(one, { has_more: true }),
        snapshot(one, { total: 2, has_more: false }),
        snapshot(one, { total: 0 }),
        snapshot([...one, { id: "job-2", status: "failed" }], { limit: 1 }),
        snapshot(one, { warnings: [1, 2, 3] }),
        snapshot(one, { warnings: "none" }),
        snapshot(one, { warnings: undefined }),
        [snapshot(one)],
        "ok",
        null,
        {}
      ]
      for (const payload of payloads) {
        const { reply, calls } = yield* run(Effect.succeed(payload))
        expect(reply.text).toBe(MALFORMED)
        expect(calls.promptQueue).toBe(0)
      }
    }))

  it.effect("a fallback count that is not an integer in range is unavailable", () =>
    Effect.gen(function*() {
      for (const remaining of [true, -1, 1_000_001, "secret-unbounded", 1.5, null]) {
        const { reply } = yield* run(
          rejected(503, { ok: false, error: "jobs_backend_unavailable" }),
          Effect.succeed({ exec_info: { queue_remaining: remaining } })
        )
        expect(reply.text).toBe(QUEUE_UNAVAILABLE)
      }
      const failedQueue = yield* run(rejected(503, { error: "jobs_backend_unavailable" }), rejected(500, {}))
      expect(failedQueue.reply.text).toBe(QUEUE_UNAVAILABLE)
      expect(failedQueue.calls.promptQueue).toBe(1)
    }))
})

describe("formatJobsSummary", () => {
  it("cuts ids longer than 24 characters to 21 plus '...'", () => {
    const id = "a".repeat(84)
    const text = formatJobsSummary(snapshot([{ id, status: "completed" }]))
    expect(text).toContain(`- ${"a".repeat(21)}... \u2014 completed`)
    expect(text).not.toContain(id)
    const exact24 = formatJobsSummary(snapshot([{ id: "b".repeat(24), status: "pending" }]))
    expect(exact24).toContain(`- ${"b".repeat(24)} \u2014 pending`)
  })

  it("says so when the page is empty but the snapshot is not", () => {
    expect(formatJobsSummary(snapshot([], { offset: 10, total: 10 }))).toBe([
      "[Jobs] Authoritative snapshot",
      "Snapshot total: 10; returned page: 0",
      "Page states: Active 0 (pending 0, in progress 0); Terminal 0 (completed 0, failed 0, cancelled 0)",
      "No jobs are present on this page."
    ].join("\n"))
  })

  it("accepts the largest valid page and stays within 1000 characters", () => {
    const jobs = Array.from({ length: 200 }, (_, i) => ({ id: `${"x".repeat(120)}-${i}`, status: "in_progress" }))
    const text = formatJobsSummary(snapshot(jobs, { limit: 200, total: 10000, offset: 0, has_more: true, warnings: [{}, {}] }))
    expect(text).toContain("Showing 5 of 200 returned jobs.")
    expect(text.length).toBeLessThanOrEqual(1000)
  })

  it.prop("never throws and never renders anything but a fixed text or a summary", [fc.anything()], ([payload]) => {
    const text = formatJobsSummary(payload)
    expect(text === MALFORMED || text === EMPTY || text.startsWith("[Jobs] Authoritative snapshot\n")).toBe(true)
  })
})

describe("formatQueueFallback", () => {
  it("shows only a bounded integer count", () => {
    expect(formatQueueFallback({ exec_info: { queue_remaining: 0 } })).toBe(
      "[Jobs fallback] Queue remaining: 0 (coarse count; not an authoritative jobs snapshot)."
    )
    expect(formatQueueFallback({ exec_info: { queue_remaining: 1_000_000 } })).toContain("Queue remaining: 1000000 ")
    for (const body of [null, {}, { exec_info: null }, { exec_info: [] }, { queue_remaining: 3 }, "7", []]) {
      expect(formatQueueFallback(body)).toBe(QUEUE_UNAVAILABLE)
    }
  })
})
