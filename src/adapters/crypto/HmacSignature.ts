import { createHmac, timingSafeEqual } from "node:crypto"
import { Redacted } from "effect"

/**
 * Webhook body signatures (spec platforms-webhook-polling.md §1.3, `verify_hmac_signature`), for
 * LINE (`X-Line-Signature`, base64) and WhatsApp (`X-Hub-Signature-256`, hex):
 * HMAC-SHA256 over the raw body bytes with the secret's UTF-8 bytes; the header is trimmed and one
 * leading `sha256=` (any case) removed; the comparison is constant-time and case-sensitive.
 * Corrected: a header with non-ASCII characters is simply a mismatch (the reference raised, 500).
 * An empty secret or header never verifies.
 */
export type DigestEncoding = "base64" | "hex"

export type SignatureCheck = "valid" | "missing-secret" | "missing-signature" | "mismatch"

const PREFIX = /^sha256=/i

export const hmacSha256 = (secret: string, body: Uint8Array, encoding: DigestEncoding): string =>
  createHmac("sha256", Buffer.from(secret, "utf8")).update(body).digest(encoding)

export const checkHmacSignature = (
  body: Uint8Array,
  header: string | ReadonlyArray<string> | undefined,
  secret: Redacted.Redacted | undefined,
  encoding: DigestEncoding
): SignatureCheck => {
  const key = secret === undefined ? "" : Redacted.value(secret) as string
  if (key === "") return "missing-secret"
  // A repeated header is ambiguous: refuse rather than pick one.
  if (typeof header !== "string") return header === undefined ? "missing-signature" : "mismatch"
  const given = header.trim().replace(PREFIX, "")
  if (given === "") return "missing-signature"
  // eslint-disable-next-line no-control-regex
  if (!/^[\x21-\x7e]+$/.test(given)) return "mismatch"
  const expected = Buffer.from(hmacSha256(key, body, encoding), "ascii")
  const candidate = Buffer.from(given, "ascii")
  return candidate.length === expected.length && timingSafeEqual(candidate, expected) ? "valid" : "mismatch"
}
