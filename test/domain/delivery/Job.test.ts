import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { backendError } from "../../support/BackendStub.js"
import { advance, entry, until } from "./fakes.js"
import { entryOf, harness, receiptsOf, startFollowing, stateOf, succeeded } from "./harness.js"

describe("job delivery timeline", () => {
  it.effect("one status message: queued, then throttled progress edits, then the images and a final line", () => {
    const h = harness({ canEdit: true })
    return Effect.gen(function*() {
      const fiber = yield* startFollowing(entry())
      yield* h.comfy.emit("p-1", { _tag: "Queued", ahead: 2 })
      yield* until(() => h.platform.sent.length === 1, "status message")
      expect(h.platform.sent[0]).toMatchObject({ op: "text", text: "⏳ Job p-1: queued #3", key: "job:p-1:status" })
      expect((yield* entryOf("job:p-1")).statusRef).toBe("m-1")

      const progress = (value: number) => ({ _tag: "Progress", node: "3", label: "KSampler", value, max: 10 }) as const
      yield* advance(500, 500)
      yield* h.comfy.emit("p-1", progress(1)) // 0.5 s after the message: dropped
      yield* advance(1500, 500)
      yield* h.comfy.emit("p-1", progress(6)) // 2 s: shown
      yield* advance(500, 500)
      yield* h.comfy.emit("p-1", progress(7)) // 2.5 s: dropped
      yield* advance(1500, 500)
      yield* h.comfy.emit("p-1", progress(10)) // 4 s: shown
      yield* until(() => h.platform.edits.length === 2, "two edits")
      expect(h.platform.edits.map((e) => [e.ref, e.text, e.at])).toEqual([
        ["m-1", "⏳ Job p-1: KSampler 60%", 2000],
        ["m-1", "⏳ Job p-1: KSampler 100%", 4000]
      ])

      yield* h.comfy.emit("p-1", succeeded("a.png", "b.png", "c.png", "d.png", "e.png"))
      yield* advance(2000, 500)
      yield* Fiber.join(fiber)
      expect(h.platform.images()).toEqual(["a.png", "b.png", "c.png", "d.png"]) // maxImages 4
      expect(h.platform.sent.filter((s) => s.op === "image").map((s) => s.key)).toEqual(
        ["job:p-1:0", "job:p-1:1", "job:p-1:2", "job:p-1:3"]
      )
      expect(h.platform.edits.at(-1)).toMatchObject({ text: "✅ Job p-1: done", at: 6000 })
      for (const [a, b] of h.platform.edits.slice(1).map((e, i) => [h.platform.edits[i]!.at, e.at])) {
        expect(b! - a!).toBeGreaterThanOrEqual(2000)
      }
      expect(yield* stateOf("job:p-1")).toBe("delivered")
      expect(yield* receiptsOf("job:p-1")).toEqual([0, 1, 2, 3].flatMap((i) => [[i, "image", "attempt"], [i, "image", "sent"]]))
      expect((yield* entryOf("job:p-1")).attempts).toBe(1)
    }).pipe(Effect.provide(h.layer))
  })

  it.effect("without edits: one working notice and the typing indicator", () => {
    const h = harness({ canEdit: false })
    return Effect.gen(function*() {
      const fiber = yield* startFollowing(entry())
      yield* h.comfy.emit("p-1", { _tag: "Started" })
      yield* advance(1000)
      yield* h.comfy.emit("p-1", { _tag: "Node", node: "4", label: "VAE Decode" })
      yield* advance(5000)
      yield* h.comfy.emit("p-1", { _tag: "Progress", node: "4", label: "VAE Decode", value: 1, max: 2 })
      yield* h.comfy.emit("p-1", succeeded())
      yield* Fiber.join(fiber)
      expect(h.platform.texts()).toEqual(["⏳ Job p-1 is running…", "✅ Job p-1 finished (No images)."])
      expect(h.platform.edits).toEqual([])
      expect(h.platform.typing).toEqual([0, 6000])
      expect(yield* stateOf("job:p-1")).toBe("delivered")
    }).pipe(Effect.provide(h.layer))
  })

  it.effect("a failed execution tells ComfyUI's message and ends failed", () => {
    const h = harness()
    return Effect.gen(function*() {
      const fiber = yield* startFollowing(entry())
      yield* h.comfy.emit("p-1", { _tag: "Failed", message: "CUDA out of memory" })
      yield* Fiber.join(fiber)
      expect(h.platform.texts()).toEqual(["❌ Job p-1 failed: CUDA out of memory"])
      expect(yield* stateOf("job:p-1")).toBe("failed")
    }).pipe(Effect.provide(h.layer))
  })

  it.effect("no terminal signal before DELIVERY_TIMEOUT_SEC: the timeout text, ended expired", () => {
    const h = harness()
    return Effect.gen(function*() {
      const fiber = yield* startFollowing(entry({ createdAtMillis: 0 }), { timeoutSec: 60 })
      yield* advance(59_000, 1000)
      expect(h.platform.texts()).toEqual([])
      yield* advance(1000)
      yield* Fiber.join(fiber)
      expect(h.comfy.follows).toEqual([{ promptId: "p-1", deadlineMillis: 60_000 }])
      expect(h.platform.texts()).toEqual(["⚠️ Job p-1 timed out waiting for results."])
      expect(yield* stateOf("job:p-1")).toBe("expired")
    }).pipe(Effect.provide(h.layer))
  })

  it.effect("a job resumed after its deadline still gets a grace period to be found in history", () => {
    const h = harness()
    return Effect.gen(function*() {
      yield* advance(3_600_000, 3_600_000)
      yield* h.comfy.emit("p-1", succeeded("late.png"))
      const fiber = yield* startFollowing(entry({ createdAtMillis: 0 }), { timeoutSec: 60 })
      yield* Fiber.join(fiber)
      expect(h.comfy.follows[0]!.deadlineMillis).toBe(3_600_000 + 30_000)
      expect(h.platform.images()).toEqual(["late.png"])
    }).pipe(Effect.provide(h.layer))
  })
})

describe("the delivery ladder", () => {
  it.effect("image refused, document unsupported: the signed link; each rung's outcome recorded", () => {
    const h = harness()
    h.platform.behave = (op) => (op === "image" ? "too-large" : op === "document" ? "unsupported" : "ok")
    return Effect.gen(function*() {
      yield* h.comfy.emit("p-1", succeeded("a.png"))
      yield* Fiber.join(yield* startFollowing(entry()))
      expect(h.platform.texts()).toEqual(["🖼️ a.png: https://media.test/m/1"])
      expect(yield* receiptsOf("job:p-1")).toEqual([
        [0, "image", "attempt"], [0, "image", "refused"],
        [0, "document", "attempt"], [0, "document", "refused"],
        [0, "link", "attempt"], [0, "link", "sent"]
      ])
      expect(yield* stateOf("job:p-1")).toBe("delivered")
    }).pipe(Effect.provide(h.layer))
  })

  it.effect("no public URL for a link: the text notice is the last rung", () => {
    const h = harness()
    h.platform.behave = (op) => (op === "image" || op === "document" ? "rejected" : "ok")
    h.media.state.failWith = "no-public-url"
    return Effect.gen(function*() {
      yield* h.comfy.emit("p-1", succeeded("a.png"))
      yield* Fiber.join(yield* startFollowing(entry()))
      expect(h.platform.texts()).toEqual(["⚠️ Failed to send image: a.png"])
      expect((yield* receiptsOf("job:p-1")).slice(-3)).toEqual([[0, "link", "refused"], [0, "text", "attempt"], [0, "text", "sent"]])
      expect(yield* stateOf("job:p-1")).toBe("delivered")
    }).pipe(Effect.provide(h.layer))
  })

  it.effect("when even the notice is refused the item failed and so does the entry", () => {
    const h = harness()
    h.platform.behave = () => "rejected"
    return Effect.gen(function*() {
      yield* h.comfy.emit("p-1", succeeded("a.png"))
      yield* Fiber.join(yield* startFollowing(entry()))
      expect((yield* receiptsOf("job:p-1")).at(-1)).toEqual([0, "text", "failed"])
      expect(yield* stateOf("job:p-1")).toBe("failed")
    }).pipe(Effect.provide(h.layer))
  })

  it.effect("too large for DELIVERY_MAX_BYTES, or not fetchable: the reference's texts", () => {
    const h = harness()
    h.backend.set("view", (req: unknown) => {
      const name = (req as { filename: string }).filename
      if (name === "gone.png") return backendError("HTTP 404", { status: 404 })
      return new Uint8Array(name === "big.png" ? 1001 : 1000)
    })
    return Effect.gen(function*() {
      yield* h.comfy.emit("p-1", succeeded("big.png", "gone.png", "fits.png"))
      yield* Fiber.join(yield* startFollowing(entry()))
      expect(h.platform.texts()).toEqual(["⚠️ Image big.png skipped (too large).", "⚠️ Failed to send image: gone.png"])
      expect(h.platform.images()).toEqual(["fits.png"])
      expect(h.backend.callsTo("view")).toEqual([[{ filename: "big.png", subfolder: "", type: "output" }], [
        { filename: "gone.png", subfolder: "", type: "output" }
      ], [{ filename: "fits.png", subfolder: "", type: "output" }]])
    }).pipe(Effect.provide(h.layer))
  })
})
