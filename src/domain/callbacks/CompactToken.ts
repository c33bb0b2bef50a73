import { Effect, Either, Schema } from "effect"
import { CallbackSigner } from "../../ports/CallbackSigner.js"
import type { CanonicalJsonError } from "./CanonicalJson.js"
import { InvalidEnvelope, isEnvelopeId, payloadHash, signatureBase } from "./Envelope.js"

/**
 * The compact form of a callback envelope, for platforms with small payload limits (Telegram
 * `callback_data` is 1-64 bytes): `c1.<request_id>.<timestamp>.<mac>`, at most 63 ASCII bytes.
 *
 * - `request_id`: 8-16 characters of `[A-Za-z0-9_-]` (e.g. 12 random bytes in base64url);
 * - `timestamp`: Unix seconds in decimal, no leading zero, at most 10 digits;
 * - `mac`: the first 128 bits (32 lowercase hex) of the same HMAC-SHA256 as the full envelope,
 *   over `v1:<ts>:<request_id>:<workspace_id>:<action_type>:<payload_hash>`.
 *
 * Workspace, action type and payload are not carried: the verifier supplies them from what it
 * knows about the press (the chat it came from, the button it stored), and the MAC binds them.
 */
export interface CompactToken {
  readonly requestId: string
  readonly timestamp: number
  readonly mac: string
}

export const COMPACT_TOKEN_MAX_BYTES = 64
export const COMPACT_MAC_HEX_LENGTH = 32

const TOKEN = /^c1\.([A-Za-z0-9_-]{8,16})\.([1-9][0-9]{0,9})\.([0-9a-f]{32})$/
const REQUEST_ID = /^[A-Za-z0-9_-]{8,16}$/

/** A string that is not a well-formed compact token (or fields that cannot make one). */
export class MalformedCompactToken extends Schema.TaggedError<MalformedCompactToken>()("MalformedCompactToken", {
  reason: Schema.Literal("format", "request-id", "timestamp", "mac")
}) {}

export const encodeCompactToken = (token: CompactToken): Either.Either<string, MalformedCompactToken> => {
  if (!REQUEST_ID.test(token.requestId)) return Either.left(new MalformedCompactToken({ reason: "request-id" }))
  if (!Number.isSafeInteger(token.timestamp) || token.timestamp <= 0 || token.timestamp > 9_999_999_999) {
    return Either.left(new MalformedCompactToken({ reason: "timestamp" }))
  }
  if (!/^[0-9a-f]{32}$/.test(token.mac)) return Either.left(new MalformedCompactToken({ reason: "mac" }))
  return Either.right(`c1.${token.requestId}.${token.timestamp}.${token.mac}`)
}

/** Strict: exactly the grammar above, nothing before or after, no other version. */
export const decodeCompactToken = (input: string): Either.Either<CompactToken, MalformedCompactToken> => {
  const m = typeof input === "string" && input.length <= COMPACT_TOKEN_MAX_BYTES ? TOKEN.exec(input) : null
  if (m === null) return Either.left(new MalformedCompactToken({ reason: "format" }))
  return Either.right({ requestId: m[1]!, timestamp: Number(m[2]!), mac: m[3]! })
}

export interface CompactTokenFields {
  readonly requestId: string
  readonly workspaceId: string
  readonly actionType: string
  readonly payload: unknown
  /** Unix seconds (the caller reads the Clock). */
  readonly timestamp: number
}

/** Mint the compact token for one button: same signature base as `buildEnvelope`, truncated MAC. */
export const buildCompactToken: (fields: CompactTokenFields) => Effect.Effect<string, MalformedCompactToken | InvalidEnvelope | CanonicalJsonError, CallbackSigner> = Effect.fnUntraced(
  function*(fields: CompactTokenFields) {
    if (!isEnvelopeId(fields.workspaceId) || !isEnvelopeId(fields.actionType)) {
      return yield* new InvalidEnvelope({ reason: "invalid-field" })
    }
    const hash = yield* payloadHash(fields.payload)
    const signature = yield* (yield* CallbackSigner).sign(signatureBase({
      timestamp: fields.timestamp,
      requestId: fields.requestId,
      workspaceId: fields.workspaceId,
      actionType: fields.actionType,
      payloadHash: hash
    }))
    return yield* encodeCompactToken({
      requestId: fields.requestId,
      timestamp: fields.timestamp,
      mac: signature.slice(0, COMPACT_MAC_HEX_LENGTH)
    })
  }
)
