import { createHash, timingSafeEqual } from "node:crypto"
import { Redacted } from "effect"

const sha256 = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest()

/**
 * Whether `given` is exactly the configured secret (admin tokens, webhook secret tokens, verify
 * tokens). Both sides are hashed first, so `timingSafeEqual` always compares two 32-byte digests:
 * neither the first differing byte nor the secret's length shows in the time taken. A missing or
 * empty value on either side never matches (fail closed).
 */
export const secretEquals = (given: string | undefined | null, configured: Redacted.Redacted | undefined): boolean => {
  const expected = configured === undefined ? "" : String(Redacted.value(configured))
  const presented = given ?? ""
  const same = timingSafeEqual(sha256(presented), sha256(expected))
  return same && expected !== "" && presented !== ""
}
