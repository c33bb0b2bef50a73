import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Exit, FastCheck as fc, TestClock } from "effect"
import {
  buildCompactToken,
  COMPACT_TOKEN_MAX_BYTES,
  decodeCompactToken,
  encodeCompactToken
} from "../../../src/domain/callbacks/CompactToken.js"
import { buildEnvelope } from "../../../src/domain/callbacks/Envelope.js"
import { type CompactPress, evaluateCompactCallback } from "../../../src/domain/callbacks/EvaluateCallback.js"
import { admin, freshLayer, NOW_MILLIS, NOW_SECONDS, signerLayer, stranger, V4_POLICY } from "./support/fixtures.js"

const fields = {
  requestId: "AbCdEfGh_-012345",
  workspaceId: "-1001234567890",
  actionType: "approval.approve",
  payload: { command: "/approve apr_1", approval_id: "apr_1" },
  timestamp: NOW_SECONDS
}

const pressOf = (token: string, over: Partial<CompactPress> = {}): CompactPress => ({
  platform: "telegram",
  token,
  workspaceId: fields.workspaceId,
  actionType: fields.actionType,
  payload: fields.payload,
  actor: admin,
  ...over
})

const outcome = (press: CompactPress) =>
  Effect.match(evaluateCompactCallback(press, {}), {
    onFailure: (e) => (e._tag === "CallbackRejected" ? `${e.reason}:${e.message}` : e._tag),
    onSuccess: (a) => a.decisionCode
  })

const at = <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.zipRight(TestClock.setTime(NOW_MILLIS), self)

describe("compact callback tokens", () => {
  it.effect("carry a 128-bit prefix of the full envelope's signature and fit in 64 bytes", () =>
    Effect.gen(function*() {
      const token = yield* buildCompactToken(fields)
      const envelope = yield* buildEnvelope(fields)
      expect(token).toBe(`c1.${fields.requestId}.${NOW_SECONDS}.${envelope.signature.slice(0, 32)}`)
      expect(Buffer.byteLength(token, "utf8")).toBeLessThanOrEqual(COMPACT_TOKEN_MAX_BYTES)
      expect(decodeCompactToken(token)).toEqual(
        Either.right({ requestId: fields.requestId, timestamp: NOW_SECONDS, mac: envelope.signature.slice(0, 32) })
      )
    }).pipe(Effect.provide(signerLayer)))

  it("the longest token is 63 bytes", () => {
    const longest = Either.getOrThrow(encodeCompactToken({ requestId: "x".repeat(16), timestamp: 9_999_999_999, mac: "a".repeat(32) }))
    expect(longest.length).toBe(63)
  })

  it("refuses to encode or decode anything malformed", () => {
    const mac = "0123456789abcdef0123456789abcdef"
    const bad = (token: { requestId: string; timestamp: number; mac: string }) =>
      Either.match(encodeCompactToken(token), { onLeft: (e) => e.reason, onRight: () => "ok" })
    expect(bad({ requestId: "short", timestamp: 1, mac })).toBe("request-id")
    expect(bad({ requestId: "has space in", timestamp: 1, mac })).toBe("request-id")
    expect(bad({ requestId: "x".repeat(17), timestamp: 1, mac })).toBe("request-id")
    expect(bad({ requestId: "abcdefgh", timestamp: 0, mac })).toBe("timestamp")
    expect(bad({ requestId: "abcdefgh", timestamp: 1.5, mac })).toBe("timestamp")
    expect(bad({ requestId: "abcdefgh", timestamp: 10_000_000_000, mac })).toBe("timestamp")
    expect(bad({ requestId: "abcdefgh", timestamp: 1, mac: mac.slice(0, 24) })).toBe("mac")
    expect(bad({ requestId: "abcdefgh", timestamp: 1, mac: mac.toUpperCase() })).toBe("mac")
    const good = `c1.abcdefgh.1700000000.${mac}`
    expect(Either.isRight(decodeCompactToken(good))).toBe(true)
    for (const token of [
      "", "c1", `c2.abcdefgh.1700000000.${mac}`, `C1.abcdefgh.1700000000.${mac}`, ` ${good}`, `${good}\n`, `${good}.x`,
      `c1.abcdefgh.01700000000.${mac}`, `c1.abcdefgh.-1.${mac}`, `c1.abcdefgh.1700000000.${mac.slice(1)}`,
      `c1.abc.defgh.1700000000.${mac}`, `c1.abcdefgh.1700000000.${mac.toUpperCase()}`, `c1.abcdéfgh.1700000000.${mac}`
    ]) {
      expect(Either.isLeft(decodeCompactToken(token))).toBe(true)
    }
    expect(Either.isLeft(decodeCompactToken(42 as unknown as string))).toBe(true)
  })

  it.prop("decoding never accepts a string that encoding would not produce", [fc.string({ maxLength: 80 })], ([s]) => {
    Either.match(decodeCompactToken(s), {
      onLeft: () => undefined,
      onRight: (t) => expect(encodeCompactToken(t)).toEqual(Either.right(s))
    })
  })

  it.effect("a genuine token is admitted once; any changed binding is refused", () =>
    at(Effect.gen(function*() {
      const token = yield* buildCompactToken(fields)
      const mac = token.slice(-32)
      const flipped = token.slice(0, -1) + (token.endsWith("0") ? "1" : "0")
      expect(yield* outcome(pressOf(flipped))).toBe("cb_reject_signature:signature_mismatch")
      expect(yield* outcome(pressOf(token, { workspaceId: "-100999" }))).toBe("cb_reject_signature:signature_mismatch")
      expect(yield* outcome(pressOf(token, { actionType: "approval.reject" }))).toBe("cb_reject_signature:signature_mismatch")
      expect(yield* outcome(pressOf(token, { payload: { command: "/approve apr_2", approval_id: "apr_2" } })))
        .toBe("cb_reject_signature:signature_mismatch")
      expect(yield* outcome(pressOf(token.replace(`.${NOW_SECONDS}.`, `.${NOW_SECONDS + 1}.`)))).toBe("cb_reject_signature:signature_mismatch")
      expect(yield* outcome(pressOf(token.replace(fields.requestId, "AbCdEfGh_-012346")))).toBe("cb_reject_signature:signature_mismatch")
      expect(yield* outcome(pressOf(`c1.${fields.requestId}.${NOW_SECONDS}.${mac.slice(0, 24)}`))).toBe("cb_reject_invalid_envelope:format")
      expect(yield* outcome(pressOf(token, { workspaceId: "a:b" }))).toBe("cb_reject_invalid_envelope:invalid-field")
      expect(yield* outcome(pressOf(token, { payload: { n: 0.5 } }))).toBe("cb_reject_payload_hash:payload_hash_mismatch")
      expect(yield* outcome(pressOf(token, { actor: stranger }))).toBe("cb_reject_policy_denied:admin_required")
      expect(yield* outcome(pressOf(token))).toBe("cb_accept_admin")
      expect(yield* outcome(pressOf(token))).toBe("cb_reject_replay:duplicate_in_flight")
    })).pipe(Effect.provide(freshLayer())))

  it.effect("a stale token is refused", () =>
    Effect.gen(function*() {
      const token = yield* buildCompactToken(fields)
      yield* TestClock.setTime(NOW_MILLIS + 301_000)
      expect(yield* outcome(pressOf(token))).toBe("cb_reject_timestamp:timestamp_out_of_window")
    }).pipe(Effect.provide(freshLayer())))

  it.effect("the same policy map applies (a run action from a stranger needs approval)", () =>
    at(Effect.gen(function*() {
      const token = yield* buildCompactToken({ ...fields, actionType: "action.run" })
      const exit = yield* Effect.exit(
        evaluateCompactCallback(pressOf(token, { actionType: "action.run", actor: stranger }), { policy: V4_POLICY })
      )
      expect(exit).toEqual(Exit.succeed(expect.objectContaining({ decisionCode: "cb_require_approval", requiresApproval: true })))
    })).pipe(Effect.provide(freshLayer())))
})
