import { Option, Redacted } from "effect"
import { checkHmacSignature, type SignatureCheck } from "../crypto/HmacSignature.js"
import { secretEquals } from "../crypto/SecretEquals.js"
import type { RawRequest, RawResponse } from "../http/WebhookServer.js"

/**
 * Authentication of WhatsApp webhook requests (spec §5.2, §5.3; fixes W1 and W2).
 */

/**
 * Whether `given` equals the configured verify token, in constant time (fix W2: the reference
 * used `==`). Both sides are hashed first, so the comparison always runs on two 32-byte buffers
 * and neither the content nor the length of the token leaks through timing. An empty or absent
 * configured token matches nothing.
 */
export const verifyTokenMatches = (given: string | null, configured: Option.Option<Redacted.Redacted>): boolean =>
  secretEquals(given, Option.getOrUndefined(configured))

const VERIFICATION_FAILED: RawResponse = { status: 403, body: "Verification failed" }

/**
 * The Meta verification handshake (GET): `hub.mode=subscribe` with the right `hub.verify_token`
 * gets `hub.challenge` back verbatim as text/plain; anything else gets 403 `Verification failed`.
 */
export const handshake = (query: URLSearchParams, verifyToken: Option.Option<Redacted.Redacted>): RawResponse => {
  const tokenOk = verifyTokenMatches(query.get("hub.verify_token"), verifyToken)
  if (query.get("hub.mode") !== "subscribe" || !tokenOk) return VERIFICATION_FAILED
  return {
    status: 200,
    // The challenge is echoed as plain text only; nosniff keeps a browser from reading it as HTML.
    headers: { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" },
    body: query.get("hub.challenge") ?? ""
  }
}

/**
 * `X-Hub-Signature-256`: `sha256=` (optional) + lowercase hex HMAC-SHA256 of the raw body under
 * the app secret, checked before anything is decoded. Without an app secret every POST is
 * refused (`missing-secret`; fix W1: the reference skipped the check, fail open).
 */
export const checkDeliverySignature = (request: RawRequest, appSecret: Option.Option<Redacted.Redacted>): SignatureCheck =>
  checkHmacSignature(request.body, request.headers["x-hub-signature-256"], Option.getOrUndefined(appSecret), "hex")

export const INVALID_SIGNATURE: RawResponse = { status: 401, body: "Invalid Signature" }
