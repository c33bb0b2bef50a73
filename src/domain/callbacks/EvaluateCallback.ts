import { Clock, Effect, Either } from "effect"
import { CallbackSigner } from "../../ports/CallbackSigner.js"
import { isAccepted, ReplayStore } from "../../ports/ReplayStore.js"
import type { StoreError } from "../../ports/StoreError.js"
import { IngressRefused } from "../Errors.js"
import type { CommandClass } from "../model/Settings.js"
import {
  type ActionPolicy,
  type CallbackAcceptCode,
  type CallbackActor,
  CallbackRejected,
  type CallbackRejectCode,
  decideClass,
  DEFAULT_CALLBACK_ACTION_POLICY,
  installationRejectCode,
  lookupActionClass
} from "./CallbackPolicy.js"
import { canonicalJson } from "./CanonicalJson.js"
import { decodeCompactToken } from "./CompactToken.js"
import { constantTimeEqual } from "./ConstantTime.js"
import {
  type CallbackEnvelope,
  callbackReplayKey,
  DEFAULT_CALLBACK_DRIFT_SECONDS,
  isEnvelopeId,
  parseEnvelope,
  signatureBase
} from "./Envelope.js"

/** What the installation registry says about the workspace a press came from (§7 step 6). */
export type InstallationResolution =
  | { readonly ok: true; readonly installationId: string }
  | { readonly ok: false; readonly reason: string }

/**
 * The seam for §7 step 6 (the installation registry, built with the Slack multi-workspace work).
 * Without a resolver, step 6 is skipped and `installationId` is "".
 */
export type InstallationResolver = (request: {
  readonly platform: string
  readonly workspaceId: string
  readonly tenantId: string | undefined
}) => Effect.Effect<InstallationResolution, StoreError>

export interface CallbackOptions {
  /** Defaults to `DEFAULT_CALLBACK_ACTION_POLICY`. */
  readonly policy?: ActionPolicy | undefined
  /** Accepted clock drift in seconds, default 300, at least 1. */
  readonly driftSeconds?: number | undefined
  readonly resolveInstallation?: InstallationResolver | undefined
}

/** A press that may run. Settle it with `completeCallback` / `releaseCallback` / `failCallback`. */
export interface CallbackAdmission {
  readonly decisionCode: CallbackAcceptCode
  readonly commandClass: CommandClass
  /** True for `cb_require_approval`: route the command as an approval request (`--approval`). */
  readonly requiresApproval: boolean
  /** Stable per press identity (16 hex), so a retried press reuses it. */
  readonly callbackId: string
  readonly installationId: string
  readonly requestId: string
  readonly workspaceId: string
  readonly actionType: string
  readonly replayKey: string
  readonly replayTtlMillis: number
}

export interface CallbackPress {
  readonly platform: string
  /** The envelope exactly as received (wire field names). */
  readonly envelope: unknown
  /** The payload exactly as received next to it. */
  readonly payload: unknown
  readonly actor: CallbackActor
}

const reject = (reason: CallbackRejectCode, message: string) => new CallbackRejected({ reason, message })

/** The verified identity of a press plus how to check its signature (full or compact form). */
interface PressCheck {
  readonly fields: Omit<CallbackEnvelope, "signature" | "payloadHash">
  /** Step 3: the payload hash the press claims, when it carries one (the full envelope does). */
  readonly claimedPayloadHash: string | undefined
  readonly payload: unknown
  readonly verifySignature: (base: string) => Effect.Effect<boolean, never, CallbackSigner>
}

/** Steps 2-5 and 6-9 of §7, shared by the full envelope and the compact token. */
const admitPress = Effect.fn("Callbacks.admitPress")(function*(
  platform: string,
  actor: CallbackActor,
  check: PressCheck,
  options: CallbackOptions
) {
  const signer = yield* CallbackSigner
  const drift = Math.max(1, Math.floor(options.driftSeconds ?? DEFAULT_CALLBACK_DRIFT_SECONDS))
  // 2. Freshness.
  const nowSeconds = Math.floor((yield* Clock.currentTimeMillis) / 1000)
  if (Math.abs(nowSeconds - check.fields.timestamp) > drift) {
    return yield* reject("cb_reject_timestamp", "timestamp_out_of_window")
  }
  // 3. The payload is the one the envelope was minted for.
  const canonical = canonicalJson(check.payload)
  if (Either.isLeft(canonical)) return yield* reject("cb_reject_payload_hash", "payload_hash_mismatch")
  const actualHash = yield* signer.sha256Hex(canonical.right)
  if (check.claimedPayloadHash !== undefined && !constantTimeEqual(actualHash, check.claimedPayloadHash)) {
    return yield* reject("cb_reject_payload_hash", "payload_hash_mismatch")
  }
  // 4. The signature covers every field and the payload hash. Steps 1-4 claim nothing.
  const fields = { ...check.fields, payloadHash: actualHash }
  if (!(yield* check.verifySignature(signatureBase(fields)))) {
    return yield* reject("cb_reject_signature", "signature_mismatch")
  }
  // 5. One admission per press. A claim outlives every moment the envelope is still fresh.
  const store = yield* ReplayStore
  const replayKey = callbackReplayKey(fields)
  const ttl = 2 * drift * 1000
  const refused = () => new IngressRefused({ reason: "store-unavailable" })
  const outcome = yield* store.claim(replayKey, ttl).pipe(Effect.catchTag("StoreError", () => Effect.fail(refused())))
  if (!isAccepted(outcome)) return yield* reject("cb_reject_replay", outcome)

  // From here on the claim is ours: every refusal settles it before failing.
  const settleThen = (settle: "release" | "fail", error: CallbackRejected | IngressRefused) =>
    store[settle](replayKey, ttl).pipe(
      Effect.catchTag("StoreError", (e) => Effect.logWarning("callback claim could not be settled", e.reason)),
      Effect.zipRight(Effect.fail(error))
    )

  // 6. Installation registry seam.
  let installationId = ""
  if (options.resolveInstallation !== undefined) {
    const resolved = yield* Effect.either(
      options.resolveInstallation({ platform, workspaceId: fields.workspaceId, tenantId: actor.tenantId })
    )
    if (Either.isLeft(resolved)) return yield* settleThen("release", refused())
    const resolution = resolved.right
    if (!resolution.ok) {
      return yield* settleThen("fail", reject(installationRejectCode(resolution.reason), resolution.reason))
    }
    installationId = resolution.installationId
  }
  // 7. Policy lookup.
  const commandClass = lookupActionClass(options.policy ?? DEFAULT_CALLBACK_ACTION_POLICY, fields.actionType)
  if (commandClass === undefined) {
    return yield* settleThen("fail", reject("cb_reject_unknown_action", "unknown_action_type"))
  }
  // 9. Class decision. A denied press is released, not burnt: the button still works for an
  // admin (the reference marked it terminal, which burnt it for everyone).
  const decision = decideClass(commandClass, actor)
  if (decision._tag === "Deny") {
    return yield* settleThen(
      decision.code === "cb_reject_policy_denied" ? "release" : "fail",
      reject(decision.code, decision.message)
    )
  }
  // 8. The callback record id: derived from the press identity, so a retried press reuses it.
  const callbackId = (yield* signer.sha256Hex(`callback:${replayKey}`)).slice(0, 16)
  const admission: CallbackAdmission = {
    decisionCode: decision.code,
    commandClass: decision.commandClass,
    requiresApproval: decision.code === "cb_require_approval",
    callbackId,
    installationId,
    requestId: fields.requestId,
    workspaceId: fields.workspaceId,
    actionType: fields.actionType,
    replayKey,
    replayTtlMillis: ttl
  }
  return admission
})

/**
 * Decide whether a button press may run (spec/platforms-slack-feishu.md §7, steps 1-5 and 7-9,
 * with step 6 behind `options.resolveInstallation`). Fails with `CallbackRejected` for a press
 * that must not run, and with `IngressRefused` when the replay store cannot hold the claim (the
 * adapter answers "try again later"; nothing ran). Only a verified, fresh, first press claims.
 */
export const evaluateCallback = (
  press: CallbackPress,
  options: CallbackOptions = {}
): Effect.Effect<CallbackAdmission, CallbackRejected | IngressRefused, CallbackSigner | ReplayStore> =>
  Effect.gen(function*() {
    // 1. Parse.
    const parsed = parseEnvelope(press.envelope)
    if (Either.isLeft(parsed)) return yield* reject("cb_reject_invalid_envelope", parsed.left.reason)
    const envelope = parsed.right
    const signer = yield* CallbackSigner
    return yield* admitPress(press.platform, press.actor, {
      fields: envelope,
      claimedPayloadHash: envelope.payloadHash,
      payload: press.payload,
      verifySignature: (base) => signer.verify(base, envelope.signature)
    }, options)
  }).pipe(Effect.withSpan("Callbacks.evaluateCallback"))

export interface CompactPress {
  readonly platform: string
  /** The compact token exactly as received (e.g. Telegram `callback_data`). */
  readonly token: string
  /** What the verifier knows independently of the token; the MAC binds all three. */
  readonly workspaceId: string
  readonly actionType: string
  readonly payload: unknown
  readonly actor: CallbackActor
}

/**
 * `evaluateCallback` for a compact token (see CompactToken.ts): the same steps and outcomes,
 * with the truncated MAC (128 bits) standing in for the signature and the payload hash.
 */
export const evaluateCompactCallback = (
  press: CompactPress,
  options: CallbackOptions = {}
): Effect.Effect<CallbackAdmission, CallbackRejected | IngressRefused, CallbackSigner | ReplayStore> =>
  Effect.gen(function*() {
    const token = decodeCompactToken(press.token)
    if (Either.isLeft(token)) return yield* reject("cb_reject_invalid_envelope", token.left.reason)
    if (!isEnvelopeId(press.workspaceId) || !isEnvelopeId(press.actionType)) {
      return yield* reject("cb_reject_invalid_envelope", "invalid-field")
    }
    const signer = yield* CallbackSigner
    const { requestId, timestamp, mac } = token.right
    return yield* admitPress(press.platform, press.actor, {
      fields: { requestId, timestamp, workspaceId: press.workspaceId, actionType: press.actionType },
      claimedPayloadHash: undefined,
      payload: press.payload,
      verifySignature: (base) => signer.verifyTruncated(base, mac)
    }, options)
  }).pipe(Effect.withSpan("Callbacks.evaluateCompactCallback"))

/** The command ran and its reply went out: later presses are duplicates (acknowledged, no-op). */
export const completeCallback = (admission: CallbackAdmission): Effect.Effect<void, StoreError, ReplayStore> =>
  Effect.flatMap(ReplayStore, (store) => store.commit(admission.replayKey, admission.replayTtlMillis))

/** The command failed before it ran: the same button may be pressed again. */
export const releaseCallback = (admission: CallbackAdmission): Effect.Effect<void, StoreError, ReplayStore> =>
  Effect.flatMap(ReplayStore, (store) => store.release(admission.replayKey, admission.replayTtlMillis))

/** The command failed for good: later presses are acknowledged and never run. */
export const failCallback = (admission: CallbackAdmission): Effect.Effect<void, StoreError, ReplayStore> =>
  Effect.flatMap(ReplayStore, (store) => store.fail(admission.replayKey, admission.replayTtlMillis))
