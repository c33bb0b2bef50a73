import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Redacted, TestClock } from "effect"
import { CallbackSignerHmac } from "../../../src/adapters/crypto/CallbackSignerHmac.js"
import {
  buildEnvelope,
  callbackReplayKey,
  envelopeToWire,
  parseEnvelope,
  payloadHash,
  signatureBase
} from "../../../src/domain/callbacks/Envelope.js"
import { NOW_MILLIS, signerLayer } from "./support/fixtures.js"

const V4 = {
  requestId: "req-1",
  workspaceId: "T1",
  actionType: "action.status",
  payload: { button: "go", value: 1 },
  timestamp: 1_700_000_000
}

const reason = (input: unknown) => Either.match(parseEnvelope(input), { onLeft: (e) => e.reason, onRight: () => "ok" })

describe("buildEnvelope", () => {
  it.effect("reproduces the V4 vector (§13)", () =>
    Effect.gen(function*() {
      const envelope = yield* buildEnvelope(V4)
      expect(envelope.payloadHash).toBe("ff791307c9273527401675aa2fd8b72db393d78d9b0f956614296cfc3730bc22")
      expect(signatureBase(envelope)).toBe(
        "v1:1700000000:req-1:T1:action.status:ff791307c9273527401675aa2fd8b72db393d78d9b0f956614296cfc3730bc22"
      )
      expect(envelope.signature).toBe("66916169335427664a3bc35bb05c899cb97affa6c852b5c5d3ec76117209a450")
      expect(envelopeToWire(envelope)).toEqual({
        signature: envelope.signature,
        timestamp: 1_700_000_000,
        request_id: "req-1",
        workspace_id: "T1",
        action_type: "action.status",
        payload_hash: envelope.payloadHash
      })
      expect(callbackReplayKey(envelope)).toBe("interactive:T1:action.status:req-1")
    }).pipe(Effect.provide(signerLayer)))

  it.effect("reproduces the V5 Feishu card vector (§13)", () =>
    Effect.gen(function*() {
      const envelope = yield* buildEnvelope({
        requestId: "0123456789abcdef01234567",
        workspaceId: "tenant-1",
        actionType: "approval.approve",
        timestamp: 1_700_000_000,
        payload: {
          label: "Approve apr_1", command: "/approve apr_1", approval_id: "apr_1", workspace_id: "tenant-1",
          account_id: "acct-default", channel_id: "oc_dm_1", message_id: "om_card_1"
        }
      })
      expect(envelope.payloadHash).toBe("05d0f1f400a1a64826c42b8ae5584a814cf2b7dacd84ca2529b09e47218f9951")
      expect(envelope.signature).toBe("62dd36c30a0117727029e28fc181be98b950e3afb3442d29c570d639b594201d")
    }).pipe(Effect.provide(CallbackSignerHmac.layer(Redacted.make("sec_test")))))

  it.effect("takes the timestamp from the Clock when none is given", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW_MILLIS + 999)
      const envelope = yield* buildEnvelope({ ...V4, timestamp: undefined })
      expect(envelope.timestamp).toBe(1_700_000_000)
      expect(envelope.signature).toBe("66916169335427664a3bc35bb05c899cb97affa6c852b5c5d3ec76117209a450")
    }).pipe(Effect.provide(signerLayer)))

  it.effect("refuses ids that would make the signature base or replay key ambiguous, and floats", () =>
    Effect.gen(function*() {
      const tag = (fields: Partial<Omit<typeof V4, "payload">> & { payload?: unknown }) =>
        Effect.flip(buildEnvelope({ ...V4, ...fields })).pipe(Effect.map((e) => `${e._tag}:${e.reason}`))
      expect(yield* tag({ requestId: "a:b" })).toBe("InvalidEnvelope:invalid-field")
      expect(yield* tag({ workspaceId: "" })).toBe("InvalidEnvelope:invalid-field")
      expect(yield* tag({ actionType: " x" })).toBe("InvalidEnvelope:invalid-field")
      expect(yield* tag({ actionType: "a\nb" })).toBe("InvalidEnvelope:invalid-field")
      expect(yield* tag({ timestamp: 0 })).toBe("InvalidEnvelope:invalid-timestamp")
      expect(yield* tag({ timestamp: 1.5 })).toBe("InvalidEnvelope:invalid-timestamp")
      expect(yield* tag({ payload: { n: 1.5 } })).toBe("CanonicalJsonError:float")
      expect(yield* Effect.flip(payloadHash({ x: undefined }))).toMatchObject({ reason: "unsupported-type" })
    }).pipe(Effect.provide(signerLayer)))
})

describe("parseEnvelope", () => {
  const wire = {
    signature: "s", timestamp: 1_700_000_000, request_id: "req-1", workspace_id: "T1",
    action_type: "action.status", payload_hash: "h"
  }

  it("reads the wire form, trimming string fields and accepting a digit-string timestamp", () => {
    expect(parseEnvelope({ ...wire, request_id: "  req-1 ", timestamp: " 1700000000 " })).toEqual(Either.right({
      signature: "s", timestamp: 1_700_000_000, requestId: "req-1", workspaceId: "T1", actionType: "action.status", payloadHash: "h"
    }))
  })

  it("refuses anything malformed", () => {
    expect(reason(null)).toBe("not-an-object")
    expect(reason([wire])).toBe("not-an-object")
    expect(reason("{}")).toBe("not-an-object")
    for (const key of ["signature", "request_id", "workspace_id", "action_type", "payload_hash"]) {
      expect(reason({ ...wire, [key]: "  " })).toBe("empty-field")
      expect(reason({ ...wire, [key]: 7 })).toBe("empty-field")
      const { [key]: _dropped, ...rest } = wire as Record<string, unknown>
      expect(reason(rest)).toBe("empty-field")
    }
    for (const timestamp of [0, -5, 1.5, "1.5", "", "abc", "1e9", true, null, undefined, 2 ** 53, "0x10"]) {
      expect(reason({ ...wire, timestamp })).toBe("invalid-timestamp")
    }
    expect(reason({ ...wire, request_id: "a:b" })).toBe("invalid-field")
    expect(reason({ ...wire, workspace_id: "T1\u0000" })).toBe("invalid-field")
  })
})
