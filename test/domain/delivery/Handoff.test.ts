import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { JobLedgerMemory } from "../../../src/adapters/storage/memory/JobLedgerMemory.js"
import { handleCommand } from "../../../src/domain/command/Router.js"
import { recordApprovedJob, recordDelivery } from "../../../src/domain/handlers/Ledger.js"
import { JobLedger } from "../../../src/ports/JobLedger.js"
import { makeBackendStub } from "../../support/BackendStub.js"
import { ADMIN_ID, aRequest, saying, settingsLayer } from "../../support/Builders.js"
import { makeOpenLimiter } from "../fakes.js"
import { makeQueueFake } from "./fakes.js"

const requester = aRequest({ senderId: "555", channelId: "req-chat", threadId: "9" })
const approver = aRequest({ senderId: ADMIN_ID, channelId: "admin-chat" })

describe("handlers hand recorded entries to the delivery worker", () => {
  it.effect("recordDelivery enqueues the entry id when a DeliveryQueue is there", () => {
    const queue = makeQueueFake()
    return Effect.gen(function*() {
      expect(yield* recordDelivery("job", "p-1", requester, "ev", "tpl")).toBe(true)
      expect(yield* recordDelivery("approval", "apr_1", requester, "ev", "tpl")).toBe(true)
      expect(queue.enqueued).toEqual(["job:p-1", "approval:apr_1"])
    }).pipe(Effect.provide(Layer.merge(JobLedgerMemory, queue.layer)))
  })

  it.effect("without a DeliveryQueue the entry is still recorded (the worker's sweep finds it)", () =>
    Effect.gen(function*() {
      expect(yield* recordDelivery("job", "p-1", requester, "ev", "tpl")).toBe(true)
      expect(Option.isSome(yield* (yield* JobLedger).get("job:p-1"))).toBe(true)
    }).pipe(Effect.provide(JobLedgerMemory)))

  it.effect("/approve of an approval the ledger follows: the job goes to the requester's chat, once", () => {
    const queue = makeQueueFake()
    return Effect.gen(function*() {
      yield* recordDelivery("approval", "apr_1", requester, "ev-1", "sdxl")
      expect(yield* recordApprovedJob("apr_1", "p-9", approver, "ev-2", "")).toBe(true)
      const job = Option.getOrThrow(yield* (yield* JobLedger).get("job:p-9"))
      expect(job).toMatchObject({ target: { channelId: "req-chat", senderId: "555", threadId: "9" }, templateId: "sdxl", inboundEventKey: "ev-2" })
      expect(queue.enqueued).toEqual(["approval:apr_1", "job:p-9"])
    }).pipe(Effect.provide(Layer.merge(JobLedgerMemory, queue.layer)))
  })
})

describe("/run asking for approval without the admin token", () => {
  it.effect("replies with the reference's tracking warning and records nothing", () => {
    const backend = makeBackendStub({ submitJob: { pending: true, approval_id: "apr_7", trace_id: "t" } })
    const layer = Layer.mergeAll(backend.layer, JobLedgerMemory, makeOpenLimiter().layer, settingsLayer({ adminTokenConfigured: false }))
    return Effect.gen(function*() {
      const reply = yield* handleCommand(saying("/run tpl --approval", { senderId: ADMIN_ID }), { eventKey: "ev" })
      expect(reply.text).toBe("[Approval Requested]\nID: apr_7\nTrace: t\n⚠️ Approval tracking requires OPENCLAW_CONNECTOR_ADMIN_TOKEN.")
      expect(yield* (yield* JobLedger).unfinished).toEqual([])
    }).pipe(Effect.provide(layer))
  })
})
