import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { planRun, promptKeyFor } from "../../../src/domain/handlers/Run.js"
import { Texts } from "../../../src/domain/render/Texts.js"
import { backendError } from "../../support/BackendStub.js"
import { ADMIN_ID, saying } from "../../support/Builders.js"
import { harness } from "../fakes.js"

const admin = (text: string) => saying(text, { senderId: ADMIN_ID, channelId: "chat-1", workspaceId: "w", threadId: "t" })
const stranger = (text: string) => saying(text, { senderId: "555", channelId: "chat-2" })

describe("planRun", () => {
  it("flags anywhere, k=v inputs, free text", () => {
    expect(planRun(["tpl", "a", "cat", "on", "a", "mat", "steps=3", "--approval", "-a"])).toEqual({
      templateId: "tpl",
      inputs: { steps: "3" },
      freeText: "a cat on a mat",
      explicitApproval: true
    })
  })

  it("input edge cases: empty key, empty value, first = only, later duplicates win, trimming", () => {
    const plan = planRun(["t", "=v", "k=", "a=b=c", "a= x ", " s =1", "E=mc2"])
    expect(plan).toMatchObject({ inputs: { "": "v", k: "", a: "x", s: "1", E: "mc2" }, freeText: undefined })
  })

  it("k=v in first position is the template id", () => {
    expect(planRun(["k=v", "x"])).toMatchObject({ templateId: "k=v", freeText: "x" })
  })

  it("usage cases", () => {
    expect(planRun([])).toBe("no-args")
    expect(planRun(["--approval", "-a"])).toBe("no-template")
  })

  it("a __proto__ key is plain data", () => {
    const plan = planRun(["t", "__proto__=x"])
    if (typeof plan === "string") throw new Error("unexpected")
    expect(Object.getPrototypeOf(plan.inputs)).toBe(Object.prototype)
    expect(Object.keys(plan.inputs)).toEqual(["__proto__"])
  })
})

describe("promptKeyFor", () => {
  it.each([
    [["seed"], "seed"],
    [["negative_prompt", "caption", "text"], "text"],
    [["positive_prompt", "prompt"], "positive_prompt"],
    [["seed", "steps"], "positive_prompt"],
    [[], "positive_prompt"],
    [undefined, "positive_prompt"],
    ["prompt", "positive_prompt"]
  ])("%j -> %s", (allowed, key) => expect(promptKeyFor(allowed)).toBe(key))
})

describe("/run", () => {
  it.effect("usage texts", () =>
    Effect.gen(function*() {
      const h = harness()
      expect(yield* h.handle(admin("/run"))).toBe("Usage: /run <template_id> [prompt text] [key=value ...] [--approval]")
      expect(yield* h.handle(admin("/run --approval -a"))).toBe("Usage: /run <template_id> ...")
      expect(h.backend.calls).toEqual([])
    }))

  it.effect("an admin's run is submitted without approval, recorded, then confirmed", () =>
    Effect.gen(function*() {
      yield* TestClock.adjust(5_000)
      const h = harness()
      h.backend.set("submitJob", { triggered: true, prompt_id: "p-123", trace_id: "tr-1" })
      const reply = yield* h.handle(admin("/run my-template prompt=\"hello world\" steps=20"))
      expect(h.backend.callsTo("submitJob")).toEqual([[{
        templateId: "my-template",
        inputs: { prompt: "hello world", steps: "20" },
        requireApproval: false
      }]])
      expect(reply).toBe("[Job Submitted]\nID: p-123\nTemplate: my-template\nTrace: tr-1")
      expect(h.ledger.entries).toEqual([{
        id: "job:p-123",
        kind: "job",
        ref: "p-123",
        inboundEventKey: "ev-1",
        target: { platform: "telegram", channelId: "chat-1", senderId: ADMIN_ID, workspaceId: "w", threadId: "t" },
        templateId: "my-template",
        state: "submitted",
        attempts: 0,
        createdAtMillis: 5_000,
        updatedAtMillis: 5_000
      }])
      expect(h.backend.callsTo("templates")).toEqual([]) // no free text, no metadata look-up
    }))

  it.effect("an explicit flag asks for approval even for an admin; pending reply and ledger entry", () =>
    Effect.gen(function*() {
      const h = harness()
      h.backend.set("submitJob", { pending: true, approval_id: "apr-new", trace_id: "tr", expires_at: "2026-01-05T11:11:12+00:00" })
      const reply = yield* h.handle(admin("/run my-template --approval"))
      expect(h.backend.callsTo("submitJob")).toEqual([[{ templateId: "my-template", inputs: {}, requireApproval: true }]])
      expect(reply).toBe("[Approval Requested]\nID: apr-new\nTrace: tr\nExpires: 2026-01-05T11:11:12+00:00")
      expect(h.ledger.entries).toMatchObject([{ id: "approval:apr-new", kind: "approval", state: "awaiting_approval" }])
    }))

  it.effect("an untrusted sender is downgraded to approval", () =>
    Effect.gen(function*() {
      const h = harness()
      h.backend.set("submitJob", { pending: true, approval_id: "apr-2" })
      const reply = yield* h.handle(stranger("/run my-template prompt=hi"))
      expect(h.backend.callsTo("submitJob")).toEqual([[{ templateId: "my-template", inputs: { prompt: "hi" }, requireApproval: true }]])
      expect(reply).toBe("[Approval Requested]\nID: apr-2\nTrace: unknown")
    }))

  it.effect("a trusted (allowlisted) sender auto-executes", () =>
    Effect.gen(function*() {
      const h = harness({ trust: { telegram: { users: ["555"], chats: [] } } })
      h.backend.set("submitJob", { prompt_id: "p-9" })
      yield* h.handle(stranger("/run t"))
      expect(h.backend.callsTo("submitJob")[0]).toEqual([{ templateId: "t", inputs: {}, requireApproval: false }])
    }))

  it.effect("Expires renders unknown when present but null; absent when the key is absent", () =>
    Effect.gen(function*() {
      const h = harness()
      h.backend.set("submitJob", { pending: true, approval_id: "apr-3", trace_id: null, expires_at: null })
      expect(yield* h.handle(admin("/run t -a"))).toBe("[Approval Requested]\nID: apr-3\nTrace: unknown\nExpires: unknown")
    }))

  it.effect("free text goes to the template's declared prompt input", () =>
    Effect.gen(function*() {
      const h = harness()
      h.backend.set("templates", {
        ok: true,
        templates: [{ id: "other", allowed_inputs: ["x"] }, { id: "sd", allowed_inputs: ["text", "seed"] }]
      })
      h.backend.set("submitJob", { prompt_id: "p" })
      yield* h.handle(admin("/run sd a red fox seed=1"))
      expect(h.backend.callsTo("submitJob")[0]).toEqual([{ templateId: "sd", inputs: { seed: "1", text: "a red fox" }, requireApproval: false }])
    }))

  it.effect("a failed template look-up falls back to positive_prompt; explicit key wins over free text", () =>
    Effect.gen(function*() {
      const h = harness()
      h.backend.set("templates", backendError("Forbidden", { status: 403 }))
      h.backend.set("submitJob", { prompt_id: "p" })
      yield* h.handle(admin("/run sd a cat on a mat steps=3 --approval -a"))
      yield* h.handle(admin("/run sd ignored words positive_prompt=kept"))
      expect(h.backend.callsTo("submitJob").map(([r]) => r)).toEqual([
        { templateId: "sd", inputs: { steps: "3", positive_prompt: "a cat on a mat" }, requireApproval: true },
        { templateId: "sd", inputs: { positive_prompt: "kept" }, requireApproval: false }
      ])
    }))

  it.effect("a backend failure shows its error text", () =>
    Effect.gen(function*() {
      const h = harness()
      h.backend.set("submitJob", backendError("template_id 'x' not found", { status: 404 }))
      expect(yield* h.handle(admin("/run x"))).toBe("[Submission Failed] Reason: template_id 'x' not found")
      expect(h.ledger.entries).toEqual([])
    }))

  it.effect("a success without prompt_id (or approval_id) is an error and nothing is recorded", () =>
    Effect.gen(function*() {
      const h = harness()
      h.backend.set("submitJob", { triggered: true, prompt_id: null })
      expect(yield* h.handle(admin("/run x"))).toBe(
        "[Submission Failed] Reason: the backend reply has no prompt_id, so the job cannot be followed."
      )
      h.backend.set("submitJob", {})
      expect(yield* h.handle(admin("/run x"))).toContain("no prompt_id")
      h.backend.set("submitJob", { pending: true })
      expect(yield* h.handle(admin("/run x"))).toBe(
        "[Submission Failed] Reason: the backend reply has no approval_id, so the approval cannot be followed."
      )
      expect(h.ledger.entries).toEqual([])
    }))

  it.effect("a failed ledger write still confirms the submission, with a warning line", () =>
    Effect.gen(function*() {
      const h = harness({}, { ledgerFails: true })
      h.backend.set("submitJob", { prompt_id: "p-1", trace_id: "t" })
      expect(yield* h.handle(admin("/run x"))).toBe(
        `[Job Submitted]\nID: p-1\nTemplate: x\nTrace: t\n${Texts.deliveryNotRecorded}`
      )
      h.backend.set("submitJob", { pending: true, approval_id: "apr" })
      expect(yield* h.handle(admin("/run x"))).toBe(`[Approval Requested]\nID: apr\nTrace: unknown\n${Texts.deliveryNotRecorded}`)
    }))
})
