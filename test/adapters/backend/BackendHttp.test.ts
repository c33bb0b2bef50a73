import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Redacted } from "effect"
import { afterAll, beforeAll, beforeEach } from "vitest"
import type { Backend } from "../../../src/ports/Backend.js"
import { startFakeBackend, type FakeBackend } from "../../support/FakeBackend.js"
import { ADMIN_TOKEN, withBackend } from "./support.js"

let fake: FakeBackend
beforeAll(async () => {
  fake = await startFakeBackend({ adminToken: ADMIN_TOKEN })
})
afterAll(() => fake.close())
beforeEach(() => fake.reset())

const run = <A, E>(f: (b: Backend["Type"]) => Effect.Effect<A, E>) => withBackend(fake.url, f)
const onlyCall = () => {
  expect(fake.calls).toHaveLength(1)
  return fake.calls[0]!
}

describe("BackendHttp requests", () => {
  it.live("sends the User-Agent and the admin token on every request, ComfyUI routes included", () =>
    Effect.gen(function*() {
      yield* run((b) => Effect.all([b.health, b.history("p-1"), b.interrupt()]))
      expect(fake.calls).toHaveLength(3)
      for (const call of fake.calls) {
        expect(call.headers["user-agent"]).toBe("OpenClaw-Connector/0.1.0")
        expect(call.headers["x-openclaw-admin-token"]).toBe(ADMIN_TOKEN)
        expect(call.headers["origin"]).toBeUndefined()
        expect(call.headers["sec-fetch-site"]).toBeUndefined()
        expect(call.headers["x-openclaw-obs-token"]).toBeUndefined()
        expect(call.headers["traceparent"]).toBeUndefined()
      }
    }))

  it.live("leaves the admin header out when the token is absent or empty", () =>
    Effect.gen(function*() {
      yield* withBackend(fake.url, (b) => b.health, { adminToken: Option.none() })
      yield* withBackend(fake.url, (b) => b.health, { adminToken: Option.some(Redacted.make("")) })
      expect(fake.calls).toHaveLength(2)
      for (const call of fake.calls) {
        expect(call.headers["x-openclaw-admin-token"]).toBeUndefined()
        expect(call.headers["user-agent"]).toBe("OpenClaw-Connector/0.1.0")
      }
    }))

  it.live("strips a trailing slash from the base URL", () =>
    Effect.gen(function*() {
      yield* withBackend(`${fake.url}/`, (b) => b.health)
      expect(onlyCall().path).toBe("/openclaw/health")
    }))

  const cases: ReadonlyArray<{
    readonly name: string
    readonly call: (b: Backend["Type"]) => Effect.Effect<unknown, unknown>
    readonly method: string
    readonly path: string
    readonly query?: Record<string, string>
    readonly body?: unknown
  }> = [
    { name: "health", call: (b) => b.health, method: "GET", path: "/openclaw/health" },
    { name: "config", call: (b) => b.config, method: "GET", path: "/openclaw/config" },
    { name: "templates", call: (b) => b.templates, method: "GET", path: "/openclaw/templates" },
    {
      name: "chatLlm",
      call: (b) => b.chatLlm({ system: "sys", userMessage: "hi", temperature: 0.7, maxTokens: 1024 }),
      method: "POST",
      path: "/openclaw/llm/chat",
      body: { system: "sys", user_message: "hi", temperature: 0.7, max_tokens: 1024 }
    },
    { name: "promptQueue", call: (b) => b.promptQueue, method: "GET", path: "/api/prompt" },
    { name: "history", call: (b) => b.history("p-1"), method: "GET", path: "/history/p-1" },
    { name: "trace", call: (b) => Effect.either(b.trace("p-1")), method: "GET", path: "/openclaw/trace/p-1" },
    { name: "jobs", call: (b) => b.jobs, method: "GET", path: "/openclaw/jobs", query: {} },
    {
      name: "cancelJob",
      call: (b) => Effect.either(b.cancelJob("p-1")),
      method: "POST",
      path: "/api/jobs/p-1/cancel",
      body: {}
    },
    {
      name: "cancelJobs",
      call: (b) => Effect.either(b.cancelJobs(["p-1", "p-2"])),
      method: "POST",
      path: "/api/jobs/cancel",
      body: { job_ids: ["p-1", "p-2"] }
    },
    { name: "global interrupt", call: (b) => b.interrupt(), method: "POST", path: "/api/interrupt", body: {} },
    {
      name: "targeted interrupt",
      call: (b) => b.interrupt("p-1"),
      method: "POST",
      path: "/api/interrupt",
      body: { prompt_id: "p-1" }
    },
    {
      name: "view",
      call: (b) => Effect.either(b.view({ filename: "a b&c.png", subfolder: "sub", type: "output" })),
      method: "GET",
      path: "/view",
      query: { filename: "a b&c.png", subfolder: "sub", type: "output" }
    },
    {
      name: "pendingApprovals",
      call: (b) => b.pendingApprovals,
      method: "GET",
      path: "/openclaw/approvals",
      query: { status: "pending" }
    },
    {
      name: "approval",
      call: (b) => Effect.either(b.approval("apr_1")),
      method: "GET",
      path: "/openclaw/approvals/apr_1"
    },
    {
      name: "approve",
      call: (b) => Effect.either(b.approve("apr_1", false)),
      method: "POST",
      path: "/openclaw/approvals/apr_1/approve",
      body: { auto_execute: false }
    },
    {
      name: "reject",
      call: (b) => Effect.either(b.reject("apr_1", "no")),
      method: "POST",
      path: "/openclaw/approvals/apr_1/reject",
      body: { reason: "no" }
    },
    { name: "schedules", call: (b) => b.schedules, method: "GET", path: "/openclaw/schedules" },
    {
      name: "runSchedule",
      call: (b) => Effect.either(b.runSchedule("sched_1")),
      method: "POST",
      path: "/openclaw/schedules/sched_1/run"
    }
  ]

  for (const c of cases) {
    it.live(`${c.name}: ${c.method} ${c.path}`, () =>
      Effect.gen(function*() {
        yield* run(c.call)
        const call = onlyCall()
        expect(call.method).toBe(c.method)
        expect(call.path).toBe(c.path)
        if (c.query !== undefined) expect(call.query).toEqual(c.query)
        if (c.body !== undefined) {
          expect(call.body).toEqual(c.body)
          expect(call.headers["content-type"]).toMatch(/^application\/json/)
        } else {
          expect(call.rawBody).toBe("")
        }
      }))
  }

  it.live("runSchedule sends no body at all", () =>
    Effect.gen(function*() {
      fake.state.schedules.push({ schedule_id: "sched_1", template_id: "sdxl_basic" })
      const body = yield* run((b) => b.runSchedule("sched_1"))
      expect(body).toEqual({ triggered: true, schedule_id: "sched_1", template_id: "sdxl_basic" })
      const call = onlyCall()
      expect(call.rawBody).toBe("")
      expect(call.body).toBeUndefined()
      expect(call.headers["content-type"]).toBeUndefined()
    }))

  it.live("submitJob sends template, inputs, explicit require_approval and a fresh UUID v4 trace id", () =>
    Effect.gen(function*() {
      const direct = yield* run((b) => b.submitJob({ templateId: "sdxl_basic", inputs: { seed: "1" }, requireApproval: false }))
      const pending = yield* run((b) => b.submitJob({ templateId: "sdxl_basic", inputs: {}, requireApproval: true }))
      const [first, second] = fake.callsTo("POST", "/openclaw/triggers/fire")
      expect(first!.body).toMatchObject({ template_id: "sdxl_basic", inputs: { seed: "1" }, require_approval: false })
      expect(second!.body).toMatchObject({ template_id: "sdxl_basic", inputs: {}, require_approval: true })
      const uuidV4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
      const t1 = (first!.body as { trace_id: string }).trace_id
      const t2 = (second!.body as { trace_id: string }).trace_id
      expect(t1).toMatch(uuidV4)
      expect(t2).toMatch(uuidV4)
      expect(t1).not.toBe(t2)
      expect(direct).toMatchObject({ triggered: true, trace_id: t1, deduped: false })
      expect(pending).toMatchObject({ pending: true, trace_id: t2 })
      expect((pending as { approval_id: string }).approval_id).toMatch(/^apr_[0-9a-f]{12}$/)
    }))

  it.live("percent-encodes ids placed in paths", () =>
    Effect.gen(function*() {
      yield* run((b) => Effect.either(b.cancelJob("job:one")))
      yield* run((b) => b.history("p:1"))
      expect(fake.calls.map((c) => c.path)).toEqual(["/api/jobs/job%3Aone/cancel", "/history/p%3A1"])
    }))

  const unsafe = ["job/one", "../etc", "", "a b", "p?x=1", "%2F", "x".repeat(129), "-leading"]
  for (const id of unsafe) {
    it.live(`refuses the unsafe id ${JSON.stringify(id.slice(0, 20))} without sending anything`, () =>
      Effect.gen(function*() {
        const results = yield* run((b) =>
          Effect.all([
            b.history(id), b.trace(id), b.cancelJob(id), b.approval(id), b.approve(id, true), b.reject(id, ""), b.runSchedule(id)
          ].map(Effect.flip)))
        for (const error of results) expect(error.reason).toBe("invalid-id")
        expect(fake.calls).toHaveLength(0)
      }))
  }
})
