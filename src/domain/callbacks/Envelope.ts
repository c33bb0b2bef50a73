import { Clock, Effect, Either, Schema } from "effect"
import { CallbackSigner } from "../../ports/CallbackSigner.js"
import { canonicalJson, type CanonicalJsonError } from "./CanonicalJson.js"

/**
 * A signed, expiring callback envelope (spec/platforms-slack-feishu.md §7). Every interactive
 * button carries one next to its payload, never raw command text; a press is admitted only when
 * the envelope verifies (see `evaluateCallback`).
 */
export interface CallbackEnvelope {
  /** Lowercase hex HMAC-SHA256 of `signatureBase(envelope)`. */
  readonly signature: string
  /** Unix seconds when the button was minted. */
  readonly timestamp: number
  readonly requestId: string
  readonly workspaceId: string
  readonly actionType: string
  /** Lowercase hex SHA-256 of the payload's canonical JSON. */
  readonly payloadHash: string
}

/** The envelope as it travels inside a platform payload (the reference's field names). */
export interface CallbackEnvelopeWire {
  readonly signature: string
  readonly timestamp: number
  readonly request_id: string
  readonly workspace_id: string
  readonly action_type: string
  readonly payload_hash: string
}

/**
 * An envelope that cannot be read: a missing, empty or non-string field, a timestamp that is not
 * a positive integer, or an id containing `:` (the separator of the signature base and of the
 * replay key; refusing it keeps both unambiguous).
 */
export class InvalidEnvelope extends Schema.TaggedError<InvalidEnvelope>()("InvalidEnvelope", {
  reason: Schema.Literal("not-an-object", "empty-field", "invalid-timestamp", "invalid-field")
}) {}

export const DEFAULT_CALLBACK_DRIFT_SECONDS = 300

/** `v1:<ts>:<request_id>:<workspace_id>:<action_type>:<payload_hash>`, the string that is signed. */
export const signatureBase = (fields: Omit<CallbackEnvelope, "signature">): string =>
  `v1:${fields.timestamp}:${fields.requestId}:${fields.workspaceId}:${fields.actionType}:${fields.payloadHash}`

/** The replay-lifecycle key of a press: one button press is admitted once. */
export const callbackReplayKey = (envelope: Pick<CallbackEnvelope, "workspaceId" | "actionType" | "requestId">): string =>
  `interactive:${envelope.workspaceId}:${envelope.actionType}:${envelope.requestId}`

export const envelopeToWire = (envelope: CallbackEnvelope): CallbackEnvelopeWire => ({
  signature: envelope.signature,
  timestamp: envelope.timestamp,
  request_id: envelope.requestId,
  workspace_id: envelope.workspaceId,
  action_type: envelope.actionType,
  payload_hash: envelope.payloadHash
})

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** An id usable in the signature base and the replay key: non-empty, trimmed, no `:`, no controls. */
export const isEnvelopeId = (s: string): boolean => s.length > 0 && s === s.trim() && !/[:\u0000-\u001f\u007f]/.test(s)

const parseTimestamp = (value: unknown): number | undefined => {
  if (typeof value === "number") return Number.isSafeInteger(value) && value > 0 ? value : undefined
  if (typeof value === "string" && /^[0-9]{1,15}$/.test(value.trim())) {
    const n = Number(value.trim())
    return Number.isSafeInteger(n) && n > 0 ? n : undefined
  }
  return undefined
}

/**
 * Read an envelope from platform input (§7 "Parsing"): string fields are trimmed and must be
 * non-empty; the timestamp is a positive integer (a number, or a string of digits). Stricter than
 * the reference: no booleans or floats as timestamps, no `:` or control characters in ids.
 */
export const parseEnvelope = (input: unknown): Either.Either<CallbackEnvelope, InvalidEnvelope> => {
  if (!isRecord(input)) return Either.left(new InvalidEnvelope({ reason: "not-an-object" }))
  const text = (key: string): string | undefined => {
    const v = input[key]
    return typeof v === "string" ? v.trim() : undefined
  }
  const signature = text("signature")
  const requestId = text("request_id")
  const workspaceId = text("workspace_id")
  const actionType = text("action_type")
  const payloadHash = text("payload_hash")
  if (!signature || !requestId || !workspaceId || !actionType || !payloadHash) {
    return Either.left(new InvalidEnvelope({ reason: "empty-field" }))
  }
  const timestamp = parseTimestamp(input["timestamp"])
  if (timestamp === undefined) return Either.left(new InvalidEnvelope({ reason: "invalid-timestamp" }))
  if (![requestId, workspaceId, actionType].every(isEnvelopeId)) {
    return Either.left(new InvalidEnvelope({ reason: "invalid-field" }))
  }
  return Either.right({ signature, timestamp, requestId, workspaceId, actionType, payloadHash })
}

/** Lowercase hex SHA-256 of the payload's canonical JSON. */
export const payloadHash: (payload: unknown) => Effect.Effect<string, CanonicalJsonError, CallbackSigner> = Effect.fnUntraced(
  function*(payload: unknown) {
    const canonical = yield* canonicalJson(payload)
    const signer = yield* CallbackSigner
    return yield* signer.sha256Hex(canonical)
  }
)

export interface EnvelopeFields {
  readonly requestId: string
  readonly workspaceId: string
  readonly actionType: string
  readonly payload: unknown
  /** Unix seconds; defaults to now from Effect's `Clock`. */
  readonly timestamp?: number | undefined
}

/**
 * Mint the envelope for one button (§7 `build_envelope`): hash the payload, then sign the base.
 * The caller supplies a fresh, unguessable request id (random bytes from an adapter).
 */
export const buildEnvelope = Effect.fn("Callbacks.buildEnvelope")(function*(fields: EnvelopeFields) {
  if (![fields.requestId, fields.workspaceId, fields.actionType].every(isEnvelopeId)) {
    return yield* new InvalidEnvelope({ reason: "invalid-field" })
  }
  const timestamp = fields.timestamp ?? Math.floor((yield* Clock.currentTimeMillis) / 1000)
  if (!Number.isSafeInteger(timestamp) || timestamp <= 0) return yield* new InvalidEnvelope({ reason: "invalid-timestamp" })
  const hash = yield* payloadHash(fields.payload)
  const unsigned = {
    timestamp,
    requestId: fields.requestId,
    workspaceId: fields.workspaceId,
    actionType: fields.actionType,
    payloadHash: hash
  }
  const signature = yield* (yield* CallbackSigner).sign(signatureBase(unsigned))
  return { ...unsigned, signature } satisfies CallbackEnvelope
})
