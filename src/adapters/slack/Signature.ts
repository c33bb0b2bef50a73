import { Redacted } from "effect"
import { hmacSha256 } from "../crypto/HmacSignature.js"
import { secretEquals } from "../crypto/SecretEquals.js"

/**
 * Slack request signing, version `v0` (spec platforms-slack-feishu.md §2.2), protecting the
 * events and the interactions endpoints:
 * - base string `v0:<X-Slack-Request-Timestamp>:<raw body bytes>`, HMAC-SHA256 with the signing
 *   secret's UTF-8 bytes, header `X-Slack-Signature: v0=<lowercase hex>`;
 * - the timestamp must be within 300 s of now, either way (exactly 300 s is accepted);
 * - checked over the raw bytes before anything is decoded, compared in constant time
 *   (crypto/HmacSignature.ts computes the HMAC, crypto/SecretEquals.ts compares).
 * Corrected quirks: invalid UTF-8 in the body and non-ASCII signature headers are plain
 * mismatches (the reference answered 500); the timestamp must be digits only (the reference's
 * `int()` also took signs, spaces and `_`), and a repeated header is refused as ambiguous.
 */
export const SLACK_SIGNATURE_VERSION = "v0"
export const SLACK_MAX_DRIFT_SECONDS = 300

export type SlackSignatureCheck =
  | "valid"
  | "missing-secret"
  | "missing-timestamp"
  | "missing-signature"
  | "bad-timestamp"
  | "stale"
  | "mismatch"

type Header = string | ReadonlyArray<string> | undefined

const TIMESTAMP = /^[0-9]{1,12}$/

/** `v0=<hex>` for `body` sent at `timestamp` (the header string exactly as sent). */
export const slackSignature = (secret: string, timestamp: string, body: Uint8Array | string): string => {
  const base = Buffer.concat([
    Buffer.from(`${SLACK_SIGNATURE_VERSION}:${timestamp}:`, "utf8"),
    typeof body === "string" ? Buffer.from(body, "utf8") : body
  ])
  return `${SLACK_SIGNATURE_VERSION}=${hmacSha256(secret, base, "hex")}`
}

export interface SlackSignedRequest {
  readonly body: Uint8Array
  /** `x-slack-request-timestamp` as received. */
  readonly timestamp: Header
  /** `x-slack-signature` as received. */
  readonly signature: Header
}

export const verifySlackSignature = (
  request: SlackSignedRequest,
  secret: Redacted.Redacted | undefined,
  nowMillis: number
): SlackSignatureCheck => {
  const key = secret === undefined ? "" : Redacted.value(secret) as string
  if (key === "") return "missing-secret"
  if (request.timestamp === undefined || request.timestamp === "") return "missing-timestamp"
  if (request.signature === undefined || request.signature === "") return "missing-signature"
  if (typeof request.timestamp !== "string" || typeof request.signature !== "string") return "mismatch"
  const timestamp = request.timestamp
  if (!TIMESTAMP.test(timestamp)) return "bad-timestamp"
  if (Math.abs(nowMillis / 1000 - Number(timestamp)) > SLACK_MAX_DRIFT_SECONDS) return "stale"
  const expected = Redacted.make(slackSignature(key, timestamp, request.body))
  return secretEquals(request.signature, expected) ? "valid" : "mismatch"
}

/** The signature headers of a raw request (header names are lower case). */
export const signedRequestOf = (request: { readonly body: Uint8Array; readonly headers: Readonly<Record<string, Header>> }): SlackSignedRequest => ({
  body: request.body,
  timestamp: request.headers["x-slack-request-timestamp"],
  signature: request.headers["x-slack-signature"]
})
