import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, TestClock } from "effect"
import type { CallbackActor } from "../../../src/domain/callbacks/CallbackPolicy.js"
import { buildEnvelope, envelopeToWire } from "../../../src/domain/callbacks/Envelope.js"
import {
  type CallbackOptions,
  completeCallback,
  evaluateCallback,
  failCallback,
  type InstallationResolver,
  releaseCallback
} from "../../../src/domain/callbacks/EvaluateCallback.js"
import { StoreError } from "../../../src/ports/StoreError.js"
import { admin, freshLayer, NOW_MILLIS, NOW_SECONDS, signerLayer, stranger, trusted, V4_POLICY } from "./support/fixtures.js"
import { ReplayStoreBroken } from "./support/ReplayStoreMemory.js"

const payload = { button: "go", value: 1 }

const mint = (actionType = "action.status", requestId = "req-1", timestamp = NOW_SECONDS) =>
  Effect.map(buildEnvelope({ requestId, workspaceId: "T1", actionType, payload, timestamp }), envelopeToWire)

const press = (envelope: unknown, actor: CallbackActor = stranger, options: CallbackOptions = { policy: V4_POLICY }, body: unknown = payload) =>
  evaluateCallback({ platform: "slack", envelope, payload: body, actor }, options)

/** The rejection reason and message, or the accepted decision code. */
const outcome = (effect: ReturnType<typeof press>) =>
  Effect.match(effect, {
    onFailure: (e) => (e._tag === "CallbackRejected" ? `${e.reason}:${e.message}` : `${e._tag}:${e.reason}`),
    onSuccess: (a) => a.decisionCode
  })

const at = <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.zipRight(TestClock.setTime(NOW_MILLIS), self)

describe("evaluateCallback", () => {
  it.effect("accepts a fresh, genuine public press once", () =>
    at(Effect.gen(function*() {
      const admission = yield* press(yield* mint())
      expect(admission).toMatchObject({
        decisionCode: "cb_accept_public",
        commandClass: "public",
        requiresApproval: false,
        installationId: "",
        requestId: "req-1",
        workspaceId: "T1",
        actionType: "action.status",
        replayKey: "interactive:T1:action.status:req-1",
        replayTtlMillis: 600_000
      })
      expect(admission.callbackId).toMatch(/^[0-9a-f]{16}$/)
      expect(yield* outcome(press(yield* mint()))).toBe("cb_reject_replay:duplicate_in_flight")
    })).pipe(Effect.provide(freshLayer())))

  it.effect("refuses a tampered signature, payload, or envelope", () =>
    at(Effect.gen(function*() {
      const envelope = yield* mint()
      expect(yield* outcome(press({ ...envelope, signature: "0".repeat(64) }))).toBe("cb_reject_signature:signature_mismatch")
      expect(yield* outcome(press(envelope, stranger, { policy: V4_POLICY }, { button: "go", value: 2 })))
        .toBe("cb_reject_payload_hash:payload_hash_mismatch")
      expect(yield* outcome(press(envelope, stranger, { policy: V4_POLICY }, { button: "go", value: 1.5 })))
        .toBe("cb_reject_payload_hash:payload_hash_mismatch")
      expect(yield* outcome(press({ ...envelope, workspace_id: "T2" }))).toBe("cb_reject_signature:signature_mismatch")
      expect(yield* outcome(press({ ...envelope, timestamp: "soon" }))).toBe("cb_reject_invalid_envelope:invalid-timestamp")
      expect(yield* outcome(press({ ...envelope, request_id: "" }))).toBe("cb_reject_invalid_envelope:empty-field")
      // Steps 1-4 claimed nothing: the genuine press still goes through.
      expect(yield* outcome(press(envelope))).toBe("cb_accept_public")
    })).pipe(Effect.provide(freshLayer())))

  it.effect("refuses a stale or future timestamp outside the drift window (300 s by default)", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW_MILLIS + 1000 * 1000)
      expect(yield* outcome(press(yield* mint()))).toBe("cb_reject_timestamp:timestamp_out_of_window")
      yield* TestClock.setTime(NOW_MILLIS + 301 * 1000)
      expect(yield* outcome(press(yield* mint()))).toBe("cb_reject_timestamp:timestamp_out_of_window")
      yield* TestClock.setTime(NOW_MILLIS - 301 * 1000)
      expect(yield* outcome(press(yield* mint()))).toBe("cb_reject_timestamp:timestamp_out_of_window")
      yield* TestClock.setTime(NOW_MILLIS + 300 * 1000)
      expect(yield* outcome(press(yield* mint()))).toBe("cb_accept_public")
    }).pipe(Effect.provide(freshLayer())))

  it.effect("honours a custom drift window, clamped to at least 1 s", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW_MILLIS + 2000)
      expect(yield* outcome(press(yield* mint(), stranger, { policy: V4_POLICY, driftSeconds: 1 })))
        .toBe("cb_reject_timestamp:timestamp_out_of_window")
      expect(yield* outcome(press(yield* mint("action.status", "req-2"), stranger, { policy: V4_POLICY, driftSeconds: 0 })))
        .toBe("cb_reject_timestamp:timestamp_out_of_window")
      expect(yield* outcome(press(yield* mint(), stranger, { policy: V4_POLICY, driftSeconds: 2 }))).toBe("cb_accept_public")
    }).pipe(Effect.provide(freshLayer())))

  it.effect("a completed press is a duplicate afterwards; a released one may run again", () =>
    at(Effect.gen(function*() {
      const first = yield* press(yield* mint())
      yield* releaseCallback(first)
      const second = yield* press(yield* mint())
      expect(second.callbackId).toBe(first.callbackId)
      yield* completeCallback(second)
      expect(yield* outcome(press(yield* mint()))).toBe("cb_reject_replay:duplicate_after_success")
      const other = yield* press(yield* mint("action.status", "req-2"))
      yield* failCallback(other)
      expect(yield* outcome(press(yield* mint("action.status", "req-2"))))
        .toBe("cb_reject_replay:duplicate_after_terminal_failure")
    })).pipe(Effect.provide(freshLayer())))

  it.effect("run actions: trusted and admins run, strangers only as an approval request", () =>
    at(Effect.gen(function*() {
      expect(yield* outcome(press(yield* mint("action.run", "r1"), trusted))).toBe("cb_accept_run")
      expect(yield* outcome(press(yield* mint("action.run", "r2"), admin))).toBe("cb_accept_run")
      const approval = yield* press(yield* mint("action.run", "r3"), stranger)
      expect(approval).toMatchObject({ decisionCode: "cb_require_approval", requiresApproval: true, commandClass: "run" })
      // `action.workflow.*` matches as a prefix.
      expect(yield* outcome(press(yield* mint("action.workflow.deploy", "r4"), trusted))).toBe("cb_accept_run")
    })).pipe(Effect.provide(freshLayer())))

  it.effect("admin actions: a stranger is denied without burning the button for an admin", () =>
    at(Effect.gen(function*() {
      const envelope = yield* mint("action.admin", "a1")
      expect(yield* outcome(press(envelope, stranger))).toBe("cb_reject_policy_denied:admin_required")
      expect(yield* outcome(press(envelope, trusted))).toBe("cb_reject_policy_denied:admin_required")
      expect(yield* outcome(press(envelope, admin))).toBe("cb_accept_admin")
    })).pipe(Effect.provide(freshLayer())))

  it.effect("unknown actions and unsupported classes are refused for good", () =>
    at(Effect.gen(function*() {
      expect(yield* outcome(press(yield* mint("action.nope", "u1"), admin))).toBe("cb_reject_unknown_action:unknown_action_type")
      expect(yield* outcome(press(yield* mint("action.nope", "u1"), admin))).toBe("cb_reject_replay:duplicate_after_terminal_failure")
      const odd = { policy: new Map([["action.odd", "superuser"]]) }
      expect(yield* outcome(press(yield* mint("action.odd", "u2"), admin, odd)))
        .toBe("cb_reject_unknown_action:unsupported_command_class")
    })).pipe(Effect.provide(freshLayer())))

  it.effect("the default policy covers the core's approval buttons", () =>
    at(Effect.gen(function*() {
      expect(yield* outcome(press(yield* mint("approval.approve", "d1"), admin, {}))).toBe("cb_accept_admin")
      expect(yield* outcome(press(yield* mint("approval.reject", "d2"), stranger, {}))).toBe("cb_reject_policy_denied:admin_required")
      expect(yield* outcome(press(yield* mint("command.status", "d3"), stranger, {}))).toBe("cb_accept_public")
      expect(yield* outcome(press(yield* mint("command.run", "d4"), stranger, {}))).toBe("cb_require_approval")
      expect(yield* outcome(press(yield* mint("command.unknown", "d5"), admin, {}))).toBe("cb_reject_unknown_action:unknown_action_type")
    })).pipe(Effect.provide(freshLayer())))

  it.effect("installation seam: a failed resolution maps to its code and burns the claim", () =>
    at(Effect.gen(function*() {
      const seen: Array<unknown> = []
      const resolver = (reason: string | undefined): InstallationResolver => (request) => {
        seen.push(request)
        return Effect.succeed(reason === undefined ? { ok: true, installationId: "slack:T1" } : { ok: false, reason })
      }
      const cases: Array<[string, string]> = [
        ["missing_binding", "cb_reject_missing_installation"],
        ["ambiguous_binding", "cb_reject_ambiguous_installation"],
        ["inactive_binding", "cb_reject_inactive_installation"],
        ["stale_token_ref:bot_token", "cb_reject_stale_token_ref"],
        ["tenant_mismatch", "cb_reject_tenant_mismatch"],
        ["something_else", "cb_reject_invalid_envelope"]
      ]
      for (const [i, [reason, code]] of cases.entries()) {
        const envelope = yield* mint("action.status", `i${i}`)
        expect(yield* outcome(press(envelope, stranger, { policy: V4_POLICY, resolveInstallation: resolver(reason) })))
          .toBe(`${code}:${reason}`)
        expect(yield* outcome(press(envelope, stranger, { policy: V4_POLICY, resolveInstallation: resolver(undefined) })))
          .toBe("cb_reject_replay:duplicate_after_terminal_failure")
      }
      const ok = yield* press(yield* mint("action.status", "ok"), { ...admin, tenantId: "default" }, {
        policy: V4_POLICY,
        resolveInstallation: resolver(undefined)
      })
      expect(ok.installationId).toBe("slack:T1")
      expect(seen.at(-1)).toEqual({ platform: "slack", workspaceId: "T1", tenantId: "default" })
    })).pipe(Effect.provide(freshLayer())))

  it.effect("a resolver whose store fails refuses the press and releases the claim", () =>
    at(Effect.gen(function*() {
      const broken: InstallationResolver = () => Effect.fail(new StoreError({ reason: "unavailable", operation: "resolve" }))
      const envelope = yield* mint()
      expect(yield* outcome(press(envelope, stranger, { policy: V4_POLICY, resolveInstallation: broken })))
        .toBe("IngressRefused:store-unavailable")
      expect(yield* outcome(press(envelope))).toBe("cb_accept_public")
    })).pipe(Effect.provide(freshLayer())))

  it.effect("a failing replay store never admits a press", () =>
    at(Effect.gen(function*() {
      expect(yield* outcome(press(yield* mint(), admin))).toBe("IngressRefused:store-unavailable")
    })).pipe(Effect.provide(Layer.merge(signerLayer, ReplayStoreBroken))))
})
