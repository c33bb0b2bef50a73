import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { historyStatus } from "../../../src/domain/handlers/Inspect.js"
import { Texts } from "../../../src/domain/render/Texts.js"
import { backendError } from "../../support/BackendStub.js"
import { ADMIN_ID, saying } from "../../support/Builders.js"
import { harness } from "../fakes.js"

const admin = (text: string) => saying(text, { senderId: ADMIN_ID })

describe("historyStatus", () => {
  it("reads the entry under the prompt id, then a top-level status, else unknown; {} is pending", () => {
    expect(historyStatus({ p1: { status: { status_str: "success" } } }, "p1")).toBe("success")
    expect(historyStatus({ status: { status_str: "error" } }, "p1")).toBe("error")
    expect(historyStatus({ p1: { outputs: {} } }, "p1")).toBe("unknown")
    expect(historyStatus({}, "p1")).toBe("pending")
    expect(historyStatus([], "p1")).toBe("unknown")
  })
})

describe("/history (public)", () => {
  it.effect("a finished prompt from real ComfyUI (nested under its id)", () =>
    Effect.gen(function*() {
      const h = harness()
      h.backend.set("history", { p1: { status: { status_str: "success", completed: true } } })
      expect(yield* h.handle(saying("/history p1", { senderId: "anyone" }))).toBe(
        "Job p1: success\nFull details: not implemented in connector view yet."
      )
      expect(h.backend.callsTo("history")).toEqual([["p1"]])
    }))

  it.effect("a top-level status (the reference's test shape) is read too", () =>
    Effect.gen(function*() {
      const h = harness()
      h.backend.set("history", { status: { status_str: "success" } })
      expect(yield* h.handle(saying("history p1"))).toContain("success")
    }))

  it.effect("no entry yet is pending", () =>
    Effect.gen(function*() {
      const h = harness()
      h.backend.set("history", {})
      expect(yield* h.handle(saying("/history p1"))).toBe(
        "Job p1: pending\nNo history entry yet: the job is queued or still running (or the id is unknown)."
      )
    }))

  it.effect("usage, error, bad id", () =>
    Effect.gen(function*() {
      const h = harness()
      expect(yield* h.handle(saying("/history"))).toBe("Usage: /history <prompt_id>")
      expect(yield* h.handle(saying("/history ../../openclaw/config"))).toBe(Texts.invalidId)
      expect(h.backend.calls).toEqual([])
      h.backend.set("history", backendError("HTTP 500"))
      expect(yield* h.handle(saying("/history p1"))).toBe("[Error] HTTP 500")
    }))
})

describe("/trace (admin)", () => {
  it.effect("non-admins are denied without a call", () =>
    Effect.gen(function*() {
      const h = harness()
      expect(yield* h.handle(saying("/trace p1", { senderId: "u" }))).toBe(Texts.adminRequired)
      expect(h.backend.calls).toEqual([])
    }))

  it.effect("sanitised JSON, no ellipsis when short", () =>
    Effect.gen(function*() {
      const h = harness()
      h.backend.set("trace", { ok: true, trace: { prompt_id: "p1", reasoning: "secret thoughts", events: [{ type: "thinking" }, { event: "completed" }] } })
      expect(yield* h.handle(admin("/trace p1"))).toBe(
        "Trace p1: {\"ok\":true,\"trace\":{\"prompt_id\":\"p1\",\"events\":[{\"event\":\"completed\"}]}}"
      )
      expect(h.backend.callsTo("trace")).toEqual([["p1"]])
    }))

  it.effect("long traces are cut at 1000 characters with ...", () =>
    Effect.gen(function*() {
      const h = harness()
      h.backend.set("trace", { trace: { blob: "x".repeat(5000) } })
      const reply = yield* h.handle(admin("/trace p1"))
      const body = reply.slice("Trace p1: ".length)
      expect(body.endsWith("...")).toBe(true)
      expect(body.length).toBe(1003)
    }))

  it.effect("usage, failure, bad id", () =>
    Effect.gen(function*() {
      const h = harness()
      expect(yield* h.handle(admin("/trace"))).toBe("Usage: /trace <prompt_id>")
      expect(yield* h.handle(admin("/trace a?b"))).toBe(Texts.invalidId)
      h.backend.set("trace", backendError("not_found", { status: 404 }))
      expect(yield* h.handle(admin("/trace p1"))).toBe("[Error] not_found")
    }))
})

describe("/schedules and /schedule", () => {
  it.effect("lists the real schedule shape", () =>
    Effect.gen(function*() {
      const h = harness()
      h.backend.set("schedules", {
        count: 3,
        schedules: [
          { schedule_id: "sched_1", cron_expr: "0 3 * * *", template_id: "sdxl_basic", enabled: true },
          { schedule_id: "sched_2", trigger_type: "interval", cron_expr: null, interval_sec: 600, template_id: "t2", enabled: false },
          { name: "broken" }
        ]
      })
      expect(yield* h.handle(admin("/schedules"))).toBe([
        "Schedules:",
        "[+] sched_1: 0 3 * * * - sdxl_basic",
        "[-] sched_2: every 600s - t2",
        "[-] unknown: unknown - unknown"
      ].join("\n"))
    }))

  it.effect("empty and failure", () =>
    Effect.gen(function*() {
      const h = harness()
      h.backend.set("schedules", { schedules: [], count: 0 })
      expect(yield* h.handle(admin("schedules"))).toBe("No schedules found.")
      h.backend.set("schedules", backendError("Invalid admin token.", { status: 403 }))
      expect(yield* h.handle(admin("schedules"))).toBe("[Error] Invalid admin token.")
    }))

  it.effect("run, other sub-commands, usage, failure, bad id", () =>
    Effect.gen(function*() {
      const h = harness()
      h.backend.set("runSchedule", { triggered: true })
      expect(yield* h.handle(admin("/schedule RUN sched_1"))).toBe("[Success] Schedule sched_1 triggered manually.")
      expect(h.backend.callsTo("runSchedule")).toEqual([["sched_1"]])
      expect(yield* h.handle(admin("/schedule toggle sched_1"))).toBe("Not implemented yet.")
      expect(yield* h.handle(admin("/schedule run"))).toBe("Usage: /schedule <run|toggle> <id>")
      expect(yield* h.handle(admin("/schedule run a/b"))).toBe(Texts.invalidId)
      h.backend.set("runSchedule", backendError("Schedule not found", { status: 404 }))
      expect(yield* h.handle(admin("/schedule run sched_9"))).toBe("[Error] Schedule not found")
      expect(h.backend.callsTo("runSchedule").length).toBe(2)
    }))
})
