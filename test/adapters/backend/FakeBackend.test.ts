import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { afterAll, beforeAll, beforeEach } from "vitest"
import { startFakeBackend, type FakeBackend } from "../../support/FakeBackend.js"
import { ADMIN_TOKEN, withBackend } from "./support.js"

let fake: FakeBackend
beforeAll(async () => {
  fake = await startFakeBackend({ adminToken: ADMIN_TOKEN, templates: [{ id: "only", allowed_inputs: ["text"] }] })
})
afterAll(() => fake.close())
beforeEach(() => fake.reset())

const fetchText = (path: string, init?: RequestInit) =>
  Effect.promise(async () => {
    const res = await fetch(`${fake.url}${path}`, init)
    return { status: res.status, text: await res.text() }
  })

describe("FakeBackend (spec backend-and-delivery §3, §8)", () => {
  it.live("answers unknown routes and wrong methods aiohttp-style in plain text", () =>
    Effect.gen(function*() {
      expect(yield* fetchText("/nope")).toEqual({ status: 404, text: "404: Not Found" })
      expect(yield* fetchText("/openclaw/health", { method: "POST" })).toEqual({ status: 405, text: "405: Method Not Allowed" })
      expect((yield* fetchText("/api/openclaw/health")).status).toBe(200)
    }))

  it.live("serves the configured templates, sorted, with count", () =>
    Effect.gen(function*() {
      const body = yield* withBackend(fake.url, (b) => b.templates)
      expect(body).toEqual({ ok: true, count: 1, templates: [{ id: "only", allowed_inputs: ["text"], defaults: {} }] })
    }))

  it.live("denies admin routes with a wrong token, with each family's body", () =>
    Effect.gen(function*() {
      const errors = yield* withBackend(fake.url, (b) =>
        Effect.all([b.schedules, b.jobs, b.trace("p-1"), b.chatLlm({ system: "", userMessage: "x", temperature: 0, maxTokens: 1 })]
          .map(Effect.flip)), { adminToken: Option.none() })
      expect(errors.map((e) => [e.status, e.body])).toEqual([
        [403, { error: "Invalid admin token." }],
        [403, { ok: false, error: "jobs_admin_required" }],
        [403, { ok: false, error: "Invalid admin token." }],
        [403, { ok: false, error: "Invalid admin token." }]
      ])
    }))

  it.live("without a server token, a headless caller is denied with the S33 text", () =>
    Effect.gen(function*() {
      const open = yield* Effect.promise(() => startFakeBackend())
      const error = yield* withBackend(open.url, (b) => Effect.flip(b.pendingApprovals)).pipe(
        Effect.ensuring(Effect.promise(() => open.close()))
      )
      expect(error.message).toBe("Cross-origin request denied (S33). Set OPENCLAW_ADMIN_TOKEN to use token-based auth.")
    }))

  it.live("a queued job shows in the queue and jobs, then in history once completed", () =>
    Effect.gen(function*() {
      const fired = (yield* withBackend(fake.url, (b) =>
        b.submitJob({ templateId: "only", inputs: { text: "cat" }, requireApproval: false }))) as { prompt_id: string }
      const id = fired.prompt_id
      const [queue, before, jobs] = yield* withBackend(fake.url, (b) => Effect.all([b.promptQueue, b.history(id), b.jobs]))
      expect(queue).toEqual({ exec_info: { queue_remaining: 1 } })
      expect(before).toEqual({})
      expect(jobs).toMatchObject({ ok: true, contract_version: 1, jobs: [{ id, status: "in_progress" }], pagination: { total: 1, has_more: false } })
      fake.completePrompt(id, { "9": { images: [{ filename: "out.png", subfolder: "", type: "output" }] } })
      const after = (yield* withBackend(fake.url, (b) => b.history(id))) as Record<string, { status: { status_str: string } }>
      expect(after[id]?.status.status_str).toBe("success")
      const bytes = yield* withBackend(fake.url, (b) => b.view({ filename: "out.png", subfolder: "", type: "output" }))
      expect(bytes.length).toBeGreaterThan(0)
    }))

  it.live("the approval flow: pending 202, listed, approved in the UI with an executed prompt", () =>
    Effect.gen(function*() {
      const pending = (yield* withBackend(fake.url, (b) =>
        b.submitJob({ templateId: "only", inputs: {}, requireApproval: true }))) as Record<string, string>
      expect(pending["approval_id"]).toMatch(/^apr_[0-9a-f]{12}$/)
      expect(pending["expires_at"]).toMatch(/\+00:00$/)
      expect(fake.calls.at(-1)?.path).toBe("/openclaw/triggers/fire")
      const list = yield* withBackend(fake.url, (b) => b.pendingApprovals)
      expect(list).toMatchObject({ count: 1, pending_count: 1, approvals: [{ approval_id: pending["approval_id"], status: "pending" }] })
      fake.approveInUi(pending["approval_id"]!, "p-ui")
      const got = yield* withBackend(fake.url, (b) => b.approval(pending["approval_id"]!))
      expect(got).toMatchObject({ approval: { status: "approved", metadata: { executed_prompt_id: "p-ui" } } })
    }))

  it.live("approve and reject errors are 400 (also for unknown ids); GET of an unknown approval is 404", () =>
    Effect.gen(function*() {
      const [approve, reject, get] = yield* withBackend(fake.url, (b) =>
        Effect.all([Effect.flip(b.approve("apr_000000000000", true)), Effect.flip(b.reject("apr_000000000000", "")), Effect.flip(b.approval("apr_000000000000"))]))
      expect([approve.status, approve.message]).toEqual([400, "Approval request not found: apr_000000000000"])
      expect([reject.status, reject.message]).toEqual([400, "Approval request not found: apr_000000000000"])
      expect([get.status, get.message]).toEqual([404, "Approval not found"])
    }))

  it.live("approve executes by default and answers with the prompt id", () =>
    Effect.gen(function*() {
      const pending = (yield* withBackend(fake.url, (b) =>
        b.submitJob({ templateId: "only", inputs: {}, requireApproval: true }))) as Record<string, string>
      const approved = yield* withBackend(fake.url, (b) => b.approve(pending["approval_id"]!, true))
      expect(approved).toMatchObject({ approved: true, executed: true, prompt_id: expect.any(String) })
      const again = yield* withBackend(fake.url, (b) => Effect.flip(b.reject(pending["approval_id"]!, "")))
      expect(again.message).toBe("Cannot reject request in status: approved")
    }))

  it.live("jobs cancel is unsupported by default and can be switched on", () =>
    Effect.gen(function*() {
      const before = yield* withBackend(fake.url, (b) => Effect.flip(b.cancelJobs(["a"])))
      expect(before.message).toBe("HTTP 404: 404: Not Found")
      fake.state.jobsCancel = "supported"
      yield* withBackend(fake.url, (b) => Effect.all([b.cancelJob("a"), b.cancelJobs(["a", "b"])]))
    }))

  it.live("overrides win over the built-in routes, match regexes, and vanish on reset", () =>
    Effect.gen(function*() {
      fake.override("GET", /^\/history\//, () => ({ status: 500, json: { error: "boom" } }))
      expect((yield* withBackend(fake.url, (b) => Effect.flip(b.history("p-1")))).message).toBe("boom")
      fake.reset()
      expect(yield* withBackend(fake.url, (b) => b.history("p-1"))).toEqual({})
      expect(fake.calls).toHaveLength(1)
    }))
})
