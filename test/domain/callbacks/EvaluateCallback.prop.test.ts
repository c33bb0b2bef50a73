import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, FastCheck as fc, Layer, TestClock } from "effect"
import { buildEnvelope, envelopeToWire } from "../../../src/domain/callbacks/Envelope.js"
import { evaluateCallback } from "../../../src/domain/callbacks/EvaluateCallback.js"
import { admin, freshLayer, NOW_MILLIS, NOW_SECONDS, signerLayer, trusted, V4_POLICY } from "./support/fixtures.js"
import { ReplayStoreBroken } from "./support/ReplayStoreMemory.js"

const idChars = fc.stringMatching(/^[A-Za-z0-9._-]{1,24}$/)
const payloadArb = fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.boolean(), fc.constant(null), fc.integer()))
const actionArb = fc.constantFrom("action.status", "action.run", "action.admin", "action.workflow.deploy")

const genuine = fc.record({ requestId: idChars, workspaceId: idChars, actionType: actionArb, payload: payloadArb })

type Wire = Record<string, unknown>
/** One change to the envelope, the payload or the signature. */
const mutation = fc.oneof(
  fc.record({ field: fc.constantFrom("request_id", "workspace_id", "action_type"), value: idChars })
    .map(({ field, value }) => ({ kind: "field" as const, field, value })),
  fc.integer({ min: -200, max: 200 }).filter((d) => d !== 0).map((d) => ({ kind: "timestamp" as const, delta: d })),
  fc.stringMatching(/^[0-9a-f]{64}$/).map((value) => ({ kind: "field" as const, field: "payload_hash", value })),
  fc.stringMatching(/^[0-9a-f]{64}$/).map((value) => ({ kind: "field" as const, field: "signature", value })),
  fc.nat({ max: 63 }).map((index) => ({ kind: "flip" as const, index })),
  fc.tuple(fc.string(), fc.oneof(fc.string(), fc.integer())).map(([key, value]) => ({ kind: "payload" as const, key, value }))
)
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never

const apply = (wire: Wire, payload: Record<string, unknown>, m: Mutation): [Wire, unknown] | undefined => {
  switch (m.kind) {
    case "field":
      return wire[m.field] === m.value ? undefined : [{ ...wire, [m.field]: m.value }, payload]
    case "timestamp":
      return [{ ...wire, timestamp: (wire["timestamp"] as number) + m.delta }, payload]
    case "flip": {
      const sig = wire["signature"] as string
      const flipped = sig.slice(0, m.index) + (sig[m.index] === "0" ? "1" : "0") + sig.slice(m.index + 1)
      return [{ ...wire, signature: flipped }, payload]
    }
    case "payload":
      return payload[m.key] === m.value ? undefined : [wire, { ...payload, [m.key]: m.value }]
  }
}

const at = <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.zipRight(TestClock.setTime(NOW_MILLIS), self)

describe("evaluateCallback properties", () => {
  it.effect.prop("any change to a field, the payload or the signature is refused, and claims nothing", [genuine, mutation], ([g, m]) =>
    at(Effect.gen(function*() {
      const wire = envelopeToWire(yield* buildEnvelope({ ...g, timestamp: NOW_SECONDS })) as unknown as Wire
      const changed = apply(wire, g.payload, m)
      if (changed === undefined) return
      const exit = yield* Effect.exit(evaluateCallback({ platform: "slack", envelope: changed[0], payload: changed[1], actor: admin }, { policy: V4_POLICY }))
      expect(Exit.isFailure(exit)).toBe(true)
      // The genuine press is still admitted afterwards: the forged one consumed nothing.
      const genuinePress = yield* Effect.exit(evaluateCallback({ platform: "slack", envelope: wire, payload: g.payload, actor: admin }, { policy: V4_POLICY }))
      expect(Exit.isSuccess(genuinePress)).toBe(true)
    })).pipe(Effect.provide(freshLayer())))

  it.effect.prop("a timestamp outside the window is refused", [genuine, fc.integer({ min: 301, max: 10_000_000 }), fc.boolean()], ([g, age, future]) =>
    at(Effect.gen(function*() {
      const timestamp = NOW_SECONDS + (future ? age : -age)
      const wire = envelopeToWire(yield* buildEnvelope({ ...g, timestamp }))
      const error = yield* Effect.flip(evaluateCallback({ platform: "slack", envelope: wire, payload: g.payload, actor: admin }, { policy: V4_POLICY }))
      expect(error).toMatchObject({ _tag: "CallbackRejected", reason: "cb_reject_timestamp" })
    })).pipe(Effect.provide(freshLayer())))

  it.effect.prop("a replayed envelope is refused after the first acceptance", [genuine, fc.integer({ min: 1, max: 4 })], ([g, replays]) =>
    at(Effect.gen(function*() {
      const wire = envelopeToWire(yield* buildEnvelope({ ...g, timestamp: NOW_SECONDS }))
      const run = evaluateCallback({ platform: "slack", envelope: wire, payload: g.payload, actor: admin }, { policy: V4_POLICY })
      yield* run
      for (let i = 0; i < replays; i++) {
        yield* TestClock.adjust(1000)
        expect(yield* Effect.flip(run)).toMatchObject({ reason: "cb_reject_replay" })
      }
    })).pipe(Effect.provide(freshLayer())))

  it.effect.prop("a failing replay store never accepts", [genuine, fc.boolean()], ([g, isAdmin]) =>
    at(Effect.gen(function*() {
      const wire = envelopeToWire(yield* buildEnvelope({ ...g, timestamp: NOW_SECONDS }))
      const exit = yield* Effect.exit(
        evaluateCallback({ platform: "slack", envelope: wire, payload: g.payload, actor: isAdmin ? admin : trusted }, { policy: V4_POLICY })
      )
      expect(Exit.isFailure(exit)).toBe(true)
    })).pipe(Effect.provide(Layer.merge(signerLayer, ReplayStoreBroken))))
})
