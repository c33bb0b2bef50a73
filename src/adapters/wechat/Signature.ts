import { createHash, timingSafeEqual } from "node:crypto"

/**
 * WeChat's request signatures (spec platforms-webhook-polling.md §6.2).
 *
 * - Plain `signature`: lowercase hex SHA-1 of the sorted parts `token, timestamp, nonce`
 *   concatenated. The incoming value is compared case-insensitively, as the reference does.
 * - AES mode `msg_signature`: the same over `token, timestamp, nonce, Encrypt`, compared exactly
 *   (WeChat sends lowercase hex; the reference rejects an uppercase one).
 *
 * Neither covers the plain-mode body: only the nonce replay claim stops a captured URL from
 * carrying another body. Comparisons are constant time over 40 hex characters; anything else
 * (wrong length, non-hex, non-ASCII) is simply a mismatch, never an exception.
 */

/** Python's `sorted` on str orders by code point, which is the byte order of UTF-8. */
const byCodePoint = (a: string, b: string): number => Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"))

/** Lowercase hex SHA-1 of the sorted parts joined without separator. */
export const sha1Sorted = (parts: ReadonlyArray<string>): string =>
  createHash("sha1").update([...parts].sort(byCodePoint).join(""), "utf8").digest("hex")

export const plainSignature = (token: string, timestamp: string, nonce: string): string =>
  sha1Sorted([token, timestamp, nonce])

export const msgSignature = (token: string, timestamp: string, nonce: string, encrypt: string): string =>
  sha1Sorted([token, timestamp, nonce, encrypt])

const HEX40 = /^[0-9a-f]{40}$/

/** Constant-time equality of a computed lowercase hex digest and a candidate already normalised. */
const sameDigest = (expected: string, candidate: string): boolean =>
  HEX40.test(candidate) && timingSafeEqual(Buffer.from(expected, "ascii"), Buffer.from(candidate, "ascii"))

/** The plain query signature; the candidate's case is ignored. Empty parts simply fail to match. */
export const verifyPlainSignature = (
  token: string,
  timestamp: string,
  nonce: string,
  signature: string
): boolean => signature !== "" && sameDigest(plainSignature(token, timestamp, nonce), signature.toLowerCase())

/** The AES-mode `msg_signature`, compared exactly (lowercase hex only). */
export const verifyMsgSignature = (
  token: string,
  timestamp: string,
  nonce: string,
  encrypt: string,
  signature: string
): boolean => sameDigest(msgSignature(token, timestamp, nonce, encrypt), signature)
