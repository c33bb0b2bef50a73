import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { cancelUnsupported, stopTargets } from "../../../src/domain/handlers/Stop.js"
import { Texts } from "../../../src/domain/render/Texts.js"
import { BackendError } from "../../../src/ports/Backend.js"
import { backendError } from "../../support/BackendStub.js"
import { ADMIN_ID, saying } from "../../support/Builders.js"
import { harness } from "../fakes.js"

const admin = (text: string) => saying(text, { senderId: ADMIN_ID })

describe("stopTargets", () => {
  it("splits on commas and whitespace, drops empties, de-duplicates in order", () => {
    expect(stopTargets(["p-1,p-2", "p-3"])).toEqual(["p-1", "p-2", "p-3"])
    expect(stopTargets(["a, b", " ,a,, c "])).toEqual(["a", "b", "c"])
    expect(stopTargets([",", " , "])).toEqual([])
  })
})

describe("cancelUnsupported", () => {
  it.each([
    [{ status: 404, message: "x" }, true],
    [{ status: 405, message: "x" }, true],
    [{ status: 501, message: "x" }, true],
    [{ status: 500, message: "HTTP 500: 404: Not Found" }, true],
    [{ status: 400, message: "Method Not Allowed" }, true],
    [{ status: 500, message: "jobs API UNSUPPORTED here" }, true],
    [{ status: 500, message: "Not Implemented" }, true],
    [{ status: 500, message: "boom" }, false],
    [{ status: 403, message: "Invalid admin token." }, false]
  ])("%j -> %s", (fields, expected) => {
    expect(cancelUnsupported(backendError(fields.message, { status: fields.status }))).toBe(expected)
  })

  it("a transport failure without status is judged by its text; an invalid id never", () => {
    expect(cancelUnsupported(new BackendError({ reason: "unreachable", message: "connection refused" }))).toBe(false)
    expect(cancelUnsupported(new BackendError({ reason: "invalid-id", message: "not found" }))).toBe(false)
  })
})

describe("/stop family", () => {
  it.effect("no args: global interrupt only", () =>
    Effect.gen(function*() {
      const h = harness()
      h.backend.set("interrupt", {})
      expect(yield* h.handle(admin("/stop"))).toBe("[Stop] Global Interrupt sent to ComfyUI.")
      expect(h.backend.calls).toEqual([{ op: "interrupt", args: [] }])
    }))

  it.effect("global interrupt failure", () =>
    Effect.gen(function*() {
      const h = harness()
      h.backend.set("interrupt", backendError("HTTP 500"))
      expect(yield* h.handle(admin("interrupt"))).toBe("[Stop Failed] HTTP 500")
    }))

  it.effect("separators only are a usage error, never a global interrupt", () =>
    Effect.gen(function*() {
      const h = harness()
      h.backend.set("interrupt", {})
      expect(yield* h.handle(admin("/stop ,"))).toBe("Usage: /stop [job_id ...] (no ids sends a global interrupt)")
      expect(yield* h.handle(admin("/cancel \" , \""))).toBe(Texts.stopUsage)
      expect(h.backend.calls).toEqual([])
    }))

  it.effect("one target: cancel only", () =>
    Effect.gen(function*() {
      const h = harness()
      h.backend.set("cancelJob", {})
      expect(yield* h.handle(admin("/stop p-123"))).toBe("[Stop] Cancellation requested for job p-123.")
      expect(h.backend.calls).toEqual([{ op: "cancelJob", args: ["p-123"] }])
    }))

  it.effect("duplicates collapse to one target", () =>
    Effect.gen(function*() {
      const h = harness()
      h.backend.set("cancelJob", {})
      expect(yield* h.handle(admin("/stop p-1,p-1 p-1"))).toBe("[Stop] Cancellation requested for job p-1.")
      expect(h.backend.calls).toEqual([{ op: "cancelJob", args: ["p-1"] }])
    }))

  it.effect("several targets: one batch cancel", () =>
    Effect.gen(function*() {
      const h = harness()
      h.backend.set("cancelJobs", {})
      expect(yield* h.handle(admin("/cancel p-1,p-2 p-3 p-2"))).toBe("[Stop] Cancellation requested for 3 jobs.")
      expect(h.backend.calls).toEqual([{ op: "cancelJobs", args: [["p-1", "p-2", "p-3"]] }])
    }))

  it.effect("cancel unsupported: targeted interrupt fallback, never global", () =>
    Effect.gen(function*() {
      const h = harness()
      h.backend.set("cancelJob", backendError("HTTP 404", { status: 404 }))
      h.backend.set("interrupt", {})
      expect(yield* h.handle(admin("/interrupt p-legacy"))).toBe(
        "[Stop] Targeted interrupt sent for job p-legacy (jobs cancel unsupported)."
      )
      expect(h.backend.calls).toEqual([
        { op: "cancelJob", args: ["p-legacy"] },
        { op: "interrupt", args: ["p-legacy"] }
      ])
    }))

  it.effect("failed fallback shows the fallback's error", () =>
    Effect.gen(function*() {
      const h = harness()
      h.backend.set("cancelJob", backendError("HTTP 405: 405: Method Not Allowed", { status: 405 }))
      h.backend.set("interrupt", backendError("connection reset", { reason: "unreachable" }))
      expect(yield* h.handle(admin("/stop p-1"))).toBe("[Stop Failed] connection reset")
    }))

  it.effect("another cancel failure: no fallback", () =>
    Effect.gen(function*() {
      const h = harness()
      h.backend.set("cancelJob", backendError("boom", { status: 500 }))
      expect(yield* h.handle(admin("/stop p-1"))).toBe("[Stop Failed] boom")
      expect(h.backend.callsTo("interrupt")).toEqual([])
    }))

  it.effect("batch failure: no fallback of any kind", () =>
    Effect.gen(function*() {
      const h = harness()
      h.backend.set("cancelJobs", backendError("HTTP 404", { status: 404 }))
      expect(yield* h.handle(admin("/stop p-1 p-2"))).toBe("[Stop Failed] HTTP 404")
      expect(h.backend.callsTo("interrupt")).toEqual([])
    }))

  it.effect("an unsafe id stops everything before any backend call", () =>
    Effect.gen(function*() {
      const h = harness()
      expect(yield* h.handle(admin("/stop ../etc"))).toBe(
        "[Error] Invalid id: ids are 1-128 letters, digits, '.', '_', ':' or '-'."
      )
      expect(yield* h.handle(admin("/stop p-1 a/b"))).toBe(Texts.invalidId)
      expect(yield* h.handle(admin(`/stop ${"x".repeat(129)}`))).toBe(Texts.invalidId)
      expect(h.backend.calls).toEqual([])
    }))
})
