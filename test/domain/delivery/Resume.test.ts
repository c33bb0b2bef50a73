import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { JobLedger } from "../../../src/ports/JobLedger.js"
import { backendError } from "../../support/BackendStub.js"
import { advance, entry, until } from "./fakes.js"
import { entryOf, harness, receiptsOf, startFollowing, stateOf, succeeded } from "./harness.js"

const receipt = (itemIndex: number, outcome: "attempt" | "sent", rung: "image" | "text" = "image") =>
  ({ entryId: "job:p-1", itemIndex, rung, outcome, platformRef: outcome === "sent" ? "old" : "", atMillis: 0 }) as const

describe("retries: the entry stays open and is tried again later", () => {
  it.effect("platform not registered yet: backoff 2, 4, 8 s, each attempt counted, then delivered", () => {
    const h = harness({ registered: false })
    return Effect.gen(function*() {
      yield* h.comfy.emit("p-1", succeeded("a.png"))
      const fiber = yield* startFollowing(entry())
      yield* advance(13_000)
      expect((yield* entryOf("job:p-1")).attempts).toBe(3) // t = 0, 2, 6; the next at 14
      h.registry.register(h.platform.delivery)
      yield* advance(1_000)
      yield* Fiber.join(fiber)
      expect(h.platform.images()).toEqual(["a.png"])
      expect(yield* entryOf("job:p-1")).toMatchObject({ attempts: 4, state: "delivered" })
      expect(h.comfy.follows).toHaveLength(1) // the outcome is kept across retries
    }).pipe(Effect.provide(h.layer))
  })

  it.effect("a job resumed before its platform is up still gets its status message once it is", () => {
    const h = harness({ registered: false })
    return Effect.gen(function*() {
      yield* h.comfy.emit("p-1", { _tag: "Queued", ahead: undefined })
      const fiber = yield* startFollowing(entry())
      yield* advance(3_000)
      expect(h.platform.sent).toHaveLength(0)
      h.registry.register(h.platform.delivery)
      yield* advance(5_000)
      yield* h.comfy.emit("p-1", succeeded("a.png"))
      yield* advance(5_000)
      yield* Fiber.join(fiber)
      expect(h.platform.sent.filter((s) => s.op === "text" && s.text.includes("queued"))).toHaveLength(1)
      expect(h.platform.images()).toEqual(["a.png"])
    }).pipe(Effect.provide(h.layer))
  })

  it.effect("platform unavailable: paused, retried, delivered once", () => {
    const h = harness()
    let calls = 0
    h.platform.behave = (op) => (op === "image" && ++calls <= 2 ? "unavailable" : "ok")
    return Effect.gen(function*() {
      yield* h.comfy.emit("p-1", succeeded("a.png"))
      const fiber = yield* startFollowing(entry())
      yield* advance(10_000)
      yield* Fiber.join(fiber)
      expect(h.platform.images()).toEqual(["a.png"])
      expect(yield* receiptsOf("job:p-1")).toEqual([
        [0, "image", "attempt"], [0, "image", "unavailable"],
        [0, "image", "attempt"], [0, "image", "unavailable"],
        [0, "image", "attempt"], [0, "image", "sent"]
      ])
      expect(yield* entryOf("job:p-1")).toMatchObject({ attempts: 3, state: "delivered" })
    }).pipe(Effect.provide(h.layer))
  })

  it.effect("unavailable on a lower rung: the retry resumes there, the refused rungs are not tried again", () => {
    const h = harness()
    let documents = 0
    h.platform.behave = (op) => (op === "image" ? "unsupported" : op === "document" && ++documents <= 2 ? "unavailable" : "ok")
    return Effect.gen(function*() {
      yield* h.comfy.emit("p-1", succeeded("a.png"))
      const fiber = yield* startFollowing(entry())
      yield* advance(10_000)
      yield* Fiber.join(fiber)
      expect(h.platform.sent.map((s) => [s.op, s.filename])).toEqual([["document", "a.png"]])
      expect(yield* receiptsOf("job:p-1")).toEqual([
        [0, "image", "attempt"], [0, "image", "refused"],
        [0, "document", "attempt"], [0, "document", "unavailable"],
        [0, "document", "attempt"], [0, "document", "unavailable"],
        [0, "document", "attempt"], [0, "document", "sent"]
      ])
      expect(yield* entryOf("job:p-1")).toMatchObject({ attempts: 3, state: "delivered" })
    }).pipe(Effect.provide(h.layer))
  })

  it.effect("unavailable on the link rung: the retry makes one new link, no image or document upload again", () => {
    const h = harness()
    let links = 0
    h.platform.behave = (op) => (op === "image" || op === "document" ? "rejected" : op === "link" && ++links === 1 ? "unavailable" : "ok")
    return Effect.gen(function*() {
      yield* h.comfy.emit("p-1", succeeded("a.png"))
      const fiber = yield* startFollowing(entry())
      yield* advance(5_000)
      yield* Fiber.join(fiber)
      expect((yield* receiptsOf("job:p-1")).filter(([, , outcome]) => outcome === "attempt").map(([, rung]) => rung)).toEqual([
        "image", "document", "link", "link"
      ])
      expect(h.media.stored).toEqual(["a.png", "a.png"])
      expect(h.platform.texts()).toEqual(["🖼️ a.png: https://media.test/m/2"])
    }).pipe(Effect.provide(h.layer))
  })

  it.effect("ComfyUI unreachable for /view: paused, then delivered", () => {
    const h = harness()
    let calls = 0
    h.backend.set("view", () => (++calls === 1 ? backendError("down", { reason: "unreachable" }) : new Uint8Array(5)))
    return Effect.gen(function*() {
      yield* h.comfy.emit("p-1", succeeded("a.png"))
      const fiber = yield* startFollowing(entry())
      yield* advance(2_000)
      yield* Fiber.join(fiber)
      expect(h.platform.images()).toEqual(["a.png"])
      expect(yield* entryOf("job:p-1")).toMatchObject({ attempts: 2, state: "delivered" })
    }).pipe(Effect.provide(h.layer))
  })

  it.effect("the maximum age ends an entry that can never be delivered as failed", () => {
    const h = harness({ registered: false })
    return Effect.gen(function*() {
      yield* h.comfy.emit("p-1", succeeded("a.png"))
      const fiber = yield* startFollowing(entry(), { maxAgeMillis: 600_000 })
      yield* advance(660_000, 10_000)
      yield* Fiber.join(fiber)
      expect(yield* stateOf("job:p-1")).toBe("failed")
      expect(h.platform.sent).toEqual([])
    }).pipe(Effect.provide(h.layer))
  })

  it.effect("at the maximum age the user is told when the platform takes texts", () => {
    const h = harness()
    h.platform.behave = (op) => (op === "text" ? "ok" : "unavailable")
    return Effect.gen(function*() {
      yield* h.comfy.emit("p-1", succeeded("a.png"))
      const fiber = yield* startFollowing(entry(), { maxAgeMillis: 600_000 })
      yield* advance(660_000, 10_000)
      yield* Fiber.join(fiber)
      expect(h.platform.texts()).toEqual(["⚠️ Results of job p-1 could not be delivered in time."])
      expect(yield* stateOf("job:p-1")).toBe("failed")
    }).pipe(Effect.provide(h.layer))
  })
})

describe("stale entries", () => {
  it.effect("an entry found long past its maximum age ends failed without a message", () => {
    const h = harness()
    return Effect.gen(function*() {
      yield* advance(1_200_000, 1_200_000)
      yield* Fiber.join(yield* startFollowing(entry({ createdAtMillis: 0 }), { maxAgeMillis: 600_000 }))
      expect(h.platform.sent).toEqual([])
      expect(h.comfy.follows).toEqual([])
      expect(yield* stateOf("job:p-1")).toBe("failed")
    }).pipe(Effect.provide(h.layer))
  })
})

describe("unknown outcomes are never sent twice", () => {
  it.effect("live, not idempotent: possibly delivered, one short note, no resend", () => {
    const h = harness({ idempotentSends: false })
    h.platform.behave = (op, name) => (op === "image" && name === "a.png" ? "delivered-unknown" : "ok")
    return Effect.gen(function*() {
      yield* h.comfy.emit("p-1", succeeded("a.png", "b.png"))
      yield* Fiber.join(yield* startFollowing(entry()))
      expect(h.platform.images()).toEqual(["a.png", "b.png"])
      expect(h.platform.texts()).toEqual([
        "⚠️ Sending a.png was interrupted; it may not have arrived. Not resent, to avoid a duplicate."
      ])
      expect((yield* receiptsOf("job:p-1")).filter(([i]) => i === 0)).toEqual([
        [0, "image", "attempt"], [0, "image", "unknown"], [0, "image", "possibly-delivered"]
      ])
      expect(yield* stateOf("job:p-1")).toBe("delivered")
    }).pipe(Effect.provide(h.layer))
  })

  it.effect("live, idempotent: resent later from the same rung with the same key", () => {
    const h = harness({ idempotentSends: true })
    let calls = 0
    h.platform.behave = (op) => (op === "image" && ++calls === 1 ? "unknown-outcome" : "ok")
    return Effect.gen(function*() {
      yield* h.comfy.emit("p-1", succeeded("a.png"))
      const fiber = yield* startFollowing(entry())
      yield* advance(2_000)
      yield* Fiber.join(fiber)
      expect(h.platform.sent.map((s) => [s.op, s.key])).toEqual([["image", "job:p-1:0"]])
      expect(yield* stateOf("job:p-1")).toBe("delivered")
    }).pipe(Effect.provide(h.layer))
  })

  it.effect("resumed, not idempotent: an interrupted send is marked possibly delivered, not resent", () => {
    const h = harness({ idempotentSends: false })
    return Effect.gen(function*() {
      const ledger = yield* JobLedger
      yield* ledger.record(entry())
      yield* Effect.forEach([receipt(0, "attempt"), receipt(0, "sent"), receipt(1, "attempt")], ledger.recordReceipt)
      yield* h.comfy.emit("p-1", succeeded("a.png", "b.png", "c.png"))
      yield* Fiber.join(yield* startFollowing(entry()))
      expect(h.platform.images()).toEqual(["c.png"])
      expect(h.platform.texts()).toEqual([
        "⚠️ Sending b.png was interrupted; it may not have arrived. Not resent, to avoid a duplicate."
      ])
      expect((yield* receiptsOf("job:p-1")).filter(([i]) => i === 1)).toEqual([[1, "image", "attempt"], [1, "image", "possibly-delivered"]])
      expect(yield* stateOf("job:p-1")).toBe("delivered")
    }).pipe(Effect.provide(h.layer))
  })

  it.effect("resumed, idempotent: resent with the same key, so the chat has it once", () => {
    const h = harness({ idempotentSends: true })
    return Effect.gen(function*() {
      // The send reached the chat before the crash; only its receipt is missing.
      yield* h.platform.delivery.sendImage(entry().target, { bytes: new Uint8Array(1), filename: "a.png", contentType: "image/png" }, "job:p-1:0")
      const ledger = yield* JobLedger
      yield* ledger.record(entry())
      yield* ledger.recordReceipt(receipt(0, "attempt"))
      yield* h.comfy.emit("p-1", succeeded("a.png"))
      yield* Fiber.join(yield* startFollowing(entry()))
      expect(h.platform.images()).toEqual(["a.png"])
      expect(h.platform.texts()).toEqual([])
      expect((yield* receiptsOf("job:p-1")).at(-1)).toEqual([0, "image", "sent"])
    }).pipe(Effect.provide(h.layer))
  })

  it.effect("a resumed job edits the status message it already has", () => {
    const h = harness({ canEdit: true })
    return Effect.gen(function*() {
      const fiber = yield* startFollowing(entry({ statusRef: "m-old" }))
      yield* h.comfy.emit("p-1", { _tag: "Progress", node: "1", label: "KSampler", value: 1, max: 4 })
      yield* until(() => h.platform.edits.length === 1, "an edit")
      yield* h.comfy.emit("p-1", succeeded())
      yield* advance(2_000)
      yield* Fiber.join(fiber)
      expect(h.platform.edits.map((e) => [e.ref, e.text])).toEqual([
        ["m-old", "⏳ Job p-1: KSampler 25%"],
        ["m-old", "✅ Job p-1: done"]
      ])
      expect(h.platform.texts()).toEqual(["✅ Job p-1 finished (No images)."])
    }).pipe(Effect.provide(h.layer))
  })
})

describe("platforms that cannot push", () => {
  it.effect("an entry for a platform without a push API ends at once, unfollowed and untold", () => {
    const h = harness()
    h.registry.register({ ...h.platform.delivery, pushes: false })
    return Effect.gen(function*() {
      const fiber = yield* startFollowing(entry())
      yield* Fiber.join(fiber)
      expect(yield* stateOf("job:p-1")).toBe("failed")
      expect(h.comfy.follows).toHaveLength(0)
      expect(h.platform.sent).toHaveLength(0)
    }).pipe(Effect.provide(h.layer))
  })
})
