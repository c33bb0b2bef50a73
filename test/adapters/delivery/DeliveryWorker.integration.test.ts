import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { JobLedgerMemory } from "../../../src/adapters/storage/memory/JobLedgerMemory.js"
import { recordDelivery } from "../../../src/domain/handlers/Ledger.js"
import { Backend } from "../../../src/ports/Backend.js"
import { DeliveryQueue } from "../../../src/ports/DeliveryQueue.js"
import { JobLedger } from "../../../src/ports/JobLedger.js"
import { startFakeBackend } from "../../support/FakeBackend.js"
import { aRequest } from "../../support/Builders.js"
import { ADMIN_TOKEN, backendLayer } from "../backend/support.js"
import { comfyLayer, waitFor } from "../comfy/support.js"
import { makeMedia, makePlatform, makeRegistry } from "../../domain/delivery/fakes.js"
import { startWorker } from "./workerHarness.js"

const fakeBackend = Effect.acquireRelease(
  Effect.promise(() => startFakeBackend({ adminToken: ADMIN_TOKEN })),
  (fake) => Effect.promise(() => fake.close())
)

/** The real HTTP backend client and ComfyUI events adapter against the fake server; live clock. */
const world = (url: string) => {
  const platform = makePlatform({ canEdit: true })
  const registry = makeRegistry()
  registry.register(platform.delivery)
  const ports = Layer.mergeAll(JobLedgerMemory, registry.layer, makeMedia().layer, backendLayer(url), comfyLayer(url))
  return { platform, ports }
}

describe("DeliveryWorker over the HTTP backend and the ComfyUI websocket", () => {
  it.live("a submitted job: status message with progress, then its images fetched from /view", () =>
    Effect.scoped(Effect.gen(function*() {
      const fake = yield* fakeBackend
      const { platform, ports } = world(fake.url)
      const context = yield* Layer.build(ports)
      const worker = yield* startWorker(context)
      const body = yield* Effect.flatMap(Backend, (b) => b.submitJob({ templateId: "sdxl_basic", inputs: {}, requireApproval: false })).pipe(
        Effect.provide(context)
      )
      const promptId = (body as { prompt_id: string }).prompt_id
      yield* recordDelivery("job", promptId, aRequest({ channelId: "chat-9" }), "ev", "sdxl_basic").pipe(
        Effect.provide(context),
        Effect.provideService(DeliveryQueue, worker.queue)
      )
      yield* waitFor(() => fake.openSockets > 0, "the websocket")
      // The follower is subscribed once it has asked history (queued prompts answer `{}`).
      yield* waitFor(() => fake.calls.some((c) => c.path.endsWith(`/history/${promptId}`)), "the follower")
      fake.runPrompt(promptId)
      yield* waitFor(() => platform.images().length === 2, "two images", 10_000)
      expect(platform.images()).toEqual([`ComfyUI_${promptId}_00001_.png`, `ComfyUI_temp_${promptId}_00001_.png`])
      expect(platform.sent[0]).toMatchObject({ op: "text", key: `job:${promptId}:status` })
      yield* waitFor(() => platform.edits.some((e) => e.text.endsWith("done")), "the final status", 5_000)
      const state = yield* Effect.flatMap(JobLedger, (l) => l.get(`job:${promptId}`)).pipe(Effect.provide(context))
      expect(state).toMatchObject({ value: { state: "delivered" } })
      expect(fake.callsTo("GET", "/view").length).toBe(2)
    })))

  it.live("an approval approved in the UI: polled, handed over to its job, delivered to the requester", () =>
    Effect.scoped(Effect.gen(function*() {
      const fake = yield* fakeBackend
      const { platform, ports } = world(fake.url)
      const context = yield* Layer.build(ports)
      const worker = yield* startWorker(context)
      const body = yield* Effect.flatMap(Backend, (b) => b.submitJob({ templateId: "sdxl_basic", inputs: {}, requireApproval: true })).pipe(
        Effect.provide(context)
      )
      const approvalId = (body as { approval_id: string }).approval_id
      yield* recordDelivery("approval", approvalId, aRequest({ channelId: "requester" }), "ev", "sdxl_basic").pipe(
        Effect.provide(context),
        Effect.provideService(DeliveryQueue, worker.queue)
      )
      yield* waitFor(() => fake.callsTo("GET", `/openclaw/approvals/${approvalId}`).length === 1, "the first poll")
      const promptId = fake.approveInUi(approvalId)
      fake.completePrompt(promptId, { "9": { images: [{ filename: "out.png", subfolder: "", type: "output" }] } })
      // The next approval poll is 2 s after the first.
      yield* waitFor(() => platform.images().length === 1, "the image", 8_000)
      expect(platform.sent.filter((s) => s.op === "image").map((s) => [s.channelId, s.filename])).toEqual([["requester", "out.png"]])
    })))
})
