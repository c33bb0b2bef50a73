import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck as fc, Layer } from "effect"
import { recordDelivery } from "../../../src/domain/handlers/Ledger.js"
import type { DeliveryRung } from "../../../src/ports/ChatDelivery.js"
import type { JobSignal } from "../../../src/ports/ComfyEvents.js"
import { DeliveryQueue } from "../../../src/ports/DeliveryQueue.js"
import { JobLedger } from "../../../src/ports/JobLedger.js"
import { aRequest } from "../../support/Builders.js"
import { advance, type Behaviour, view } from "../../domain/delivery/fakes.js"
import { makeWorld, type RunningWorker, startWorker } from "./workerHarness.js"

const job = fc.record({
  images: fc.integer({ min: 0, max: 3 }),
  end: fc.constantFrom("succeeded", "failed", "never"),
  progress: fc.integer({ min: 0, max: 3 }),
  /** Seconds after its entry exists when its signals start. */
  startsAfter: fc.integer({ min: 0, max: 40 }),
  /** 0: recorded before the worker starts (resumed); else recorded then and handed over. */
  recordAt: fc.integer({ min: 0, max: 30 })
})

const scenario = fc.record({
  jobs: fc.array(job, { minLength: 1, maxLength: 3 }),
  approvals: fc.array(fc.record({ decision: fc.constantFrom("approve", "reject", "none"), at: fc.integer({ min: 1, max: 90 }), job }), { maxLength: 2 }),
  idempotent: fc.boolean(),
  canEdit: fc.boolean(),
  /** Consumed one per send, in order; then every send succeeds. */
  failures: fc.array(
    fc.constantFrom<Behaviour>("ok", "unavailable", "unknown-outcome", "delivered-unknown", "rejected", "too-large", "unsupported"),
    { maxLength: 12 }
  ),
  /** Seconds at which the worker is stopped mid-way and started again on the same ledger. */
  crashes: fc.array(fc.integer({ min: 0, max: 150 }), { maxLength: 3 }),
  /**
   * The process dies during the n-th platform send: `before` it reaches the chat (the attempt is
   * marked, nothing arrived) or `after` (it arrived, its receipt was never written).
   */
  sendCrashes: fc.array(fc.record({ call: fc.integer({ min: 1, max: 8 }), phase: fc.constantFrom("before", "after") }), { maxLength: 2 }),
  /** Milliseconds a platform send takes before and after it reaches the chat. */
  latency: fc.integer({ min: 0, max: 700 })
})

type Scenario = typeof scenario extends fc.Arbitrary<infer A> ? A : never
type JobSpec = Scenario["jobs"][number]
type Event = { readonly at: number; readonly run: () => Effect.Effect<void> }

const MINUTE = 60_000

describe("DeliveryWorker properties", () => {
  it.scoped.prop(
    "over random event orders, crashes and platform failures every entry ends terminal and nothing is sent twice",
    { s: scenario },
    ({ s }) =>
      Effect.gen(function*() {
        // Texts over 20 characters go out in several messages, each a send that can fail on its own.
        const world = makeWorld({ canEdit: s.canEdit, idempotentSends: s.idempotent, textPartChars: 20 })
        const failures = [...s.failures]
        world.platform.behave = (op) => (op === "edit" ? "ok" : failures.shift() ?? "ok")
        const { sendText, sendImage, sendDocument } = world.platform.delivery
        let calls = 0
        let dying = false
        // A send the process dies in hangs there until the test "kills" the worker.
        const dieAt = (phase: "before" | "after", call: number) =>
          s.sendCrashes.some((c) => c.call === call && c.phase === phase)
            ? Effect.zipRight(Effect.sync(() => void (dying = true)), Effect.never)
            : Effect.void
        const slow = <A extends ReadonlyArray<unknown>, B, E>(f: (...a: A) => Effect.Effect<B, E>) => (...a: A) =>
          Effect.suspend(() => {
            const call = ++calls
            return Effect.sleep(s.latency).pipe(
              Effect.zipRight(dieAt("before", call)),
              Effect.zipRight(f(...a)),
              Effect.zipLeft(dieAt("after", call)),
              Effect.zipLeft(Effect.sleep(s.latency))
            )
          })
        Object.assign(world.platform.delivery, { sendText: slow(sendText), sendImage: slow(sendImage), sendDocument: slow(sendDocument) })

        const decisions = new Map<string, { status: string; promptId?: string }>()
        world.backend.set("approval", (id: unknown) => {
          const d = decisions.get(id as string) ?? { status: "pending" }
          return { approval: { status: d.status, expires_at: new Date(5 * MINUTE).toISOString(), metadata: d.promptId ? { executed_prompt_id: d.promptId } : {} } }
        })
        const ports = yield* Layer.build(world.ports)
        let worker: RunningWorker | undefined
        const options = { timeoutSec: 120, maxAgeMillis: 10 * MINUTE, sweepIntervalMillis: MINUTE }
        const record = (kind: "job" | "approval", ref: string) =>
          recordDelivery(kind, ref, aRequest({ channelId: `chat-${ref}` }), `ev-${ref}`, "tpl").pipe(
            Effect.provide(ports),
            Effect.provideService(DeliveryQueue, worker!.queue),
            Effect.asVoid
          )
        const signals = (promptId: string, spec: JobSpec, from: number): ReadonlyArray<Event> => {
          const progress = Array.from({ length: spec.progress }, (_, i): Event => ({
            at: from + i * 700,
            run: () => world.comfy.emit(promptId, { _tag: "Progress", node: "3", label: "KSampler", value: i + 1, max: spec.progress })
          }))
          const terminal: JobSignal | undefined = spec.end === "never" ? undefined : spec.end === "failed"
            ? { _tag: "Failed", message: "boom" }
            : { _tag: "Succeeded", images: Array.from({ length: spec.images }, (_, i) => view(`${promptId}-${i}.png`)) }
          return terminal === undefined ? progress : [...progress, { at: from + spec.progress * 700 + 100, run: () => world.comfy.emit(promptId, terminal) }]
        }

        const events: Array<Event> = []
        const before: Array<Effect.Effect<void, unknown, JobLedger>> = []
        s.jobs.forEach((spec, i) => {
          const ref = `p-${i}`
          if (spec.recordAt === 0) {
            before.push(Effect.flatMap(JobLedger, (l) => l.record({
              id: `job:${ref}`, kind: "job", ref, inboundEventKey: "", templateId: "tpl", state: "submitted", attempts: 0,
              createdAtMillis: 0, updatedAtMillis: 0,
              target: { platform: "telegram", channelId: `chat-${ref}`, senderId: "1001", workspaceId: "", threadId: "" }
            })))
          } else events.push({ at: spec.recordAt * 1000, run: () => record("job", ref) })
          events.push(...signals(ref, spec, (spec.recordAt + spec.startsAfter) * 1000))
        })
        s.approvals.forEach((a, k) => {
          const id = `apr_${k}`
          events.push({ at: 0, run: () => record("approval", id) })
          if (a.decision === "none") return
          events.push({
            at: a.at * 1000,
            run: () => Effect.sync(() => decisions.set(id, a.decision === "approve" ? { status: "approved", promptId: `pa-${k}` } : { status: "rejected" }))
          })
          if (a.decision === "approve") events.push(...signals(`pa-${k}`, a.job, (a.at + a.job.startsAfter) * 1000))
        })
        for (const at of s.crashes) {
          events.push({ at: at * 1000, run: () => restart })
        }
        events.sort((a, b) => a.at - b.at)

        yield* Effect.provide(Effect.all(before, { discard: true }), ports)
        worker = yield* startWorker(ports, options)
        const restart = Effect.flatMap(Effect.suspend(() => worker!.stop), () => Effect.map(startWorker(ports, options), (w) => void (worker = w)))
        const reapDying = Effect.suspend(() => (dying ? Effect.zipRight(Effect.sync(() => void (dying = false)), restart) : Effect.void))
        let now = 0
        for (const event of events) {
          yield* advance(event.at - now, Math.max(1, event.at - now))
          yield* reapDying
          now = event.at
          yield* event.run()
        }
        // Everything is over by the maximum age (10 min) plus a retry; a send that "died" late
        // gets its restart and a little more time.
        const unfinished = Effect.provide(Effect.flatMap(JobLedger, (l) => l.unfinished), ports)
        for (let round = 0; now < 12 * MINUTE || (round < 5 && (dying || (yield* unfinished).length > 0)); round++) {
          yield* advance(MINUTE, MINUTE)
          now += MINUTE
          yield* reapDying
        }

        const open = yield* unfinished
        expect(open.map((e) => e.id)).toEqual([])
        // Every message (each part of a split text counted on its own) reached its chat at most once.
        const perKey = new Map<string, Array<DeliveryRung>>()
        for (const sent of world.platform.sent.filter((x) => !x.key.endsWith(":status"))) {
          const key = `${sent.key}#${sent.part}`
          perKey.set(key, [...(perKey.get(key) ?? []), sent.op])
        }
        for (const [key, ops] of perKey) expect([key, ops.length]).toEqual([key, 1])
        // An item recorded `failed` means the user was told nothing: no part of it is in the chat.
        const told = [...new Set(world.platform.sent.filter((x) => !x.key.endsWith(":status")).map((x) => x.key))]
        const receipts = yield* Effect.provide(
          Effect.forEach(told, (key) => Effect.flatMap(JobLedger, (l) => l.receipts(key.slice(0, key.lastIndexOf(":"))))),
          ports
        )
        told.forEach((key, i) => {
          const index = Number(key.slice(key.lastIndexOf(":") + 1))
          const failed = receipts[i]!.some((r) => r.itemIndex === index && r.outcome === "failed")
          expect([key, failed]).toEqual([key, false])
        })
        if (s.failures.every((f) => f === "ok") && s.crashes.length === 0 && s.sendCrashes.length === 0) {
          // Nothing went wrong: every image of every finished job is in its chat.
          const expected = s.jobs.flatMap((spec, i) =>
            spec.end === "succeeded" ? Array.from({ length: spec.images }, (_, n) => `p-${i}-${n}.png`) : []
          )
          expect(world.platform.images().filter((f) => f.startsWith("p-")).sort()).toEqual(expected.sort())
        }
        yield* worker.stop
      }),
    { timeout: 120_000, fastCheck: { numRuns: 30 } }
  )
})
