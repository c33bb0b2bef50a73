import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Layer, Option } from "effect"
import { recordApprovedJob, recordDelivery } from "../../../src/domain/handlers/Ledger.js"
import { DeliveryQueue } from "../../../src/ports/DeliveryQueue.js"
import { JobLedger } from "../../../src/ports/JobLedger.js"
import { aRequest, ADMIN_ID } from "../../support/Builders.js"
import { tempSqliteStorage } from "../storage/tempSqlite.js"
import { advance, entry, until, view } from "../../domain/delivery/fakes.js"
import { makeWorld, startWorker } from "./workerHarness.js"

const stateOf = (id: string) => Effect.flatMap(JobLedger, (l) => l.get(id)).pipe(Effect.map(Option.map((e) => e.state)))
const allTerminal = Effect.flatMap(JobLedger, (l) => l.unfinished).pipe(Effect.map((open) => open.length === 0))

describe("DeliveryWorker", () => {
  it.scoped("on start it resumes every unfinished entry", () =>
    Effect.gen(function*() {
      const world = makeWorld()
      const ports = yield* Layer.build(world.ports)
      world.backend.set("approval", () => ({ approval: { status: "rejected" } }))
      yield* world.comfy.emit("p-1", { _tag: "Succeeded", images: [view("a.png")] })
      yield* Effect.gen(function*() {
        const ledger = yield* JobLedger
        yield* ledger.record(entry())
        yield* ledger.record(entry({ id: "approval:apr_1", kind: "approval", ref: "apr_1", state: "awaiting_approval" }))
        yield* ledger.record(entry({ id: "job:done", ref: "done", state: "delivered" }))
      }).pipe(Effect.provide(ports))
      yield* startWorker(ports)
      yield* until(() => world.platform.sent.length === 2, "both deliveries")
      yield* advance(0)
      expect(world.platform.images()).toEqual(["a.png"])
      expect(world.platform.texts()).toEqual(["❌ Approval apr_1 rejected."])
      expect(yield* Effect.provide(allTerminal, ports)).toBe(true)
      expect(world.comfy.follows.map((f) => f.promptId)).toEqual(["p-1"]) // not the delivered one
    }))

  it.scoped("a handler's recordDelivery hands the entry to the worker at once (no sweep needed)", () =>
    Effect.gen(function*() {
      const world = makeWorld()
      const ports = yield* Layer.build(world.ports)
      const worker = yield* startWorker(ports) // sweeps hourly: only the queue can explain a follow
      yield* advance(0)
      yield* recordDelivery("job", "p-9", aRequest(), "ev-1", "tpl").pipe(
        Effect.provide(ports),
        Effect.provideService(DeliveryQueue, worker.queue)
      )
      yield* until(() => world.comfy.follows.length === 1, "the follow")
      yield* world.comfy.emit("p-9", { _tag: "Succeeded", images: [view("x.png")] })
      yield* until(() => world.platform.sent.length === 1, "the image")
      expect(world.platform.sent[0]).toMatchObject({ op: "image", channelId: "1001", key: "job:p-9:0" })
    }))

  it.scoped("the reference's double delivery is gone: /approve and the approval poll deliver one prompt once, to the requester", () =>
    Effect.gen(function*() {
      const world = makeWorld()
      const ports = yield* Layer.build(world.ports)
      const worker = yield* startWorker(ports)
      const provide = <A, E>(e: Effect.Effect<A, E, JobLedger | DeliveryQueue>) =>
        e.pipe(Effect.provide(ports), Effect.provideService(DeliveryQueue, worker.queue))
      let approved = false
      world.backend.set("approval", () => ({
        approval: { status: approved ? "approved" : "pending", metadata: approved ? { executed_prompt_id: "p-5" } : {} }
      }))
      // The requester's untrusted /run asked for approval in their chat...
      yield* provide(recordDelivery("approval", "apr_1", aRequest({ channelId: "requester-chat", senderId: "555" }), "ev-1", "tpl"))
      yield* advance(2_000)
      // ... and an admin approves it from another chat; the backend executed it as p-5.
      approved = true
      yield* provide(recordApprovedJob("apr_1", "p-5", aRequest({ channelId: "admin-chat", senderId: ADMIN_ID }), "ev-2", ""))
      yield* world.comfy.emit("p-5", { _tag: "Succeeded", images: [view("cat.png")] })
      yield* advance(30_000)
      yield* until(() => world.platform.sent.length === 1, "the image")
      yield* advance(30_000)
      expect(world.platform.sent.map((s) => [s.op, s.channelId, s.filename])).toEqual([["image", "requester-chat", "cat.png"]])
      expect(yield* Effect.provide(stateOf("approval:apr_1"), ports)).toEqual(Option.some("delivered"))
      expect(yield* Effect.provide(stateOf("job:p-5"), ports)).toEqual(Option.some("delivered"))
    }))

  it.scoped("an approval the connector never recorded delivers to the approver's chat", () =>
    Effect.gen(function*() {
      const world = makeWorld()
      const ports = yield* Layer.build(world.ports)
      yield* recordApprovedJob("apr_ui", "p-6", aRequest({ channelId: "admin-chat" }), "ev-2", "tpl").pipe(Effect.provide(ports))
      const target = yield* Effect.flatMap(JobLedger, (l) => l.get("job:p-6")).pipe(Effect.provide(ports))
      expect(Option.map(target, (e) => e.target.channelId)).toEqual(Option.some("admin-chat"))
    }))

  it.scoped("stopping interrupts followers; the entry stays open and the next start finishes it (SQLite ledger)", () =>
    Effect.gen(function*() {
      const world = makeWorld({ ledger: tempSqliteStorage(), idempotentSends: false })
      const ports = yield* Layer.build(world.ports)
      const sending = yield* Deferred.make<void>()
      const original = world.platform.delivery.sendImage
      // The first image send reaches the chat, then hangs: the process "dies" before its receipt.
      Object.assign(world.platform.delivery, {
        sendImage: (...args: Parameters<typeof original>) =>
          Effect.zipRight(Effect.zipRight(original(...args), Deferred.succeed(sending, undefined)), Effect.never)
      })
      yield* Effect.provide(Effect.flatMap(JobLedger, (l) => l.record(entry())), ports)
      yield* world.comfy.emit("p-1", { _tag: "Succeeded", images: [view("a.png"), view("b.png")] })
      const first = yield* startWorker(ports)
      yield* Deferred.await(sending)
      yield* first.stop
      expect(yield* Effect.provide(stateOf("job:p-1"), ports)).toEqual(Option.some("submitted"))

      Object.assign(world.platform.delivery, { sendImage: original })
      yield* startWorker(ports)
      yield* until(() => world.platform.sent.length === 3, "the rest")
      yield* advance(0)
      expect(world.platform.images()).toEqual(["a.png", "b.png"]) // a.png once
      expect(world.platform.texts()).toEqual([
        "⚠️ Sending a.png was interrupted; it may not have arrived. Not resent, to avoid a duplicate."
      ])
      const after = yield* Effect.provide(Effect.flatMap(JobLedger, (l) => l.get("job:p-1")), ports)
      expect(Option.map(after, (e) => [e.state, e.attempts])).toEqual(Option.some(["delivered", 2]))
    }))

  it.scoped("at most `concurrency` entries are followed at once", () =>
    Effect.gen(function*() {
      const world = makeWorld()
      const ports = yield* Layer.build(world.ports)
      yield* Effect.provide(Effect.gen(function*() {
        const ledger = yield* JobLedger
        yield* ledger.record(entry({ id: "job:a", ref: "a", createdAtMillis: 0 }))
        yield* ledger.record(entry({ id: "job:b", ref: "b", createdAtMillis: 1 }))
      }), ports)
      yield* startWorker(ports, { concurrency: 1 })
      yield* until(() => world.comfy.follows.length === 1, "the first follow")
      yield* advance(0)
      expect(world.comfy.follows.map((f) => f.promptId)).toEqual(["a"])
      yield* world.comfy.emit("a", { _tag: "Failed", message: "boom" })
      yield* until(() => world.comfy.follows.length === 2, "the second follow")
      expect(world.comfy.follows.map((f) => f.promptId)).toEqual(["a", "b"])
    }))

  it.scoped("with concurrency 1, an entry waiting for its platform does not hold the permit: the ready one is delivered", () =>
    Effect.gen(function*() {
      const world = makeWorld()
      const ports = yield* Layer.build(world.ports)
      yield* Effect.provide(Effect.gen(function*() {
        const ledger = yield* JobLedger
        // Recorded first (oldest): its platform is not running, so it waits between attempts.
        yield* ledger.record(entry({ id: "job:away", ref: "away", createdAtMillis: 0, target: { ...entry().target, platform: "line" } }))
        yield* ledger.record(entry({ id: "job:ready", ref: "ready", createdAtMillis: 1 }))
      }), ports)
      yield* world.comfy.emit("ready", { _tag: "Succeeded", images: [view("r.png")] })
      yield* startWorker(ports, { concurrency: 1 })
      yield* advance(10_000)
      yield* until(() => world.platform.sent.length === 1, "the ready entry's image")
      expect(world.platform.images()).toEqual(["r.png"])
      expect(yield* Effect.provide(stateOf("job:ready"), ports)).toEqual(Option.some("delivered"))
      expect(yield* Effect.provide(stateOf("job:away"), ports)).toEqual(Option.some("submitted"))
    }))

  it.scoped("with concurrency 1, an approval being polled does not hold the permit either", () =>
    Effect.gen(function*() {
      const world = makeWorld()
      const ports = yield* Layer.build(world.ports)
      world.backend.set("approval", () => ({ approval: { status: "pending" } }))
      yield* Effect.provide(Effect.gen(function*() {
        const ledger = yield* JobLedger
        yield* ledger.record(entry({ id: "approval:apr_1", kind: "approval", ref: "apr_1", state: "awaiting_approval", createdAtMillis: 0 }))
        yield* ledger.record(entry({ id: "job:ready", ref: "ready", createdAtMillis: 1 }))
      }), ports)
      yield* world.comfy.emit("ready", { _tag: "Succeeded", images: [view("r.png")] })
      yield* startWorker(ports, { concurrency: 1 })
      yield* advance(30_000)
      yield* until(() => world.platform.sent.length === 1, "the ready entry's image")
      expect(world.platform.images()).toEqual(["r.png"])
      expect(yield* Effect.provide(stateOf("approval:apr_1"), ports)).toEqual(Option.some("awaiting_approval"))
    }))

  it.scoped("the sweep picks up entries nobody handed over", () =>
    Effect.gen(function*() {
      const world = makeWorld()
      const ports = yield* Layer.build(world.ports)
      yield* startWorker(ports, { sweepIntervalMillis: 60_000 })
      yield* advance(0)
      yield* Effect.provide(recordDelivery("job", "p-3", aRequest(), "ev", "tpl"), ports) // no queue in this context
      yield* world.comfy.emit("p-3", { _tag: "Succeeded", images: [] })
      yield* advance(59_000)
      expect(world.platform.sent).toEqual([])
      yield* advance(1_000)
      yield* until(() => world.platform.sent.length === 1, "the text")
      expect(world.platform.texts()).toEqual(["✅ Job p-3 finished (No images)."])
    }))
})
