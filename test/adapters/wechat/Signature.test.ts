import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import {
  msgSignature,
  plainSignature,
  verifyMsgSignature,
  verifyPlainSignature
} from "../../../src/adapters/wechat/Signature.js"

// spec platforms-webhook-polling.md §11.3
describe("WeChat signatures (vectors)", () => {
  it("plain signature: sha1 of the sorted token, timestamp and nonce", () => {
    expect(plainSignature("my-token", "1234567890", "nonce123")).toBe("b5e90c8ef6a1850b2360da4c9d57a09ff9399dc3")
    expect(plainSignature("abc", "999", "xyz")).toBe("058c169da26e2ca40cc86b4eb9cfb80f5eaca099")
  })

  it("the incoming plain signature is compared case-insensitively", () => {
    expect(verifyPlainSignature("abc", "999", "xyz", "058c169da26e2ca40cc86b4eb9cfb80f5eaca099")).toBe(true)
    expect(verifyPlainSignature("abc", "999", "xyz", "058C169DA26E2CA40CC86B4EB9CFB80F5EACA099")).toBe(true)
  })

  it("wrong, empty, truncated and non-ASCII signatures are mismatches, never exceptions", () => {
    const good = "b5e90c8ef6a1850b2360da4c9d57a09ff9399dc3"
    expect(verifyPlainSignature("my-token", "1234567890", "nonce123", "bad")).toBe(false)
    expect(verifyPlainSignature("my-token", "1234567890", "nonce123", "")).toBe(false)
    expect(verifyPlainSignature("my-token", "1234567890", "nonce123", good.slice(0, 39))).toBe(false)
    expect(verifyPlainSignature("my-token", "1234567890", "nonce123", `${good.slice(0, 39)}é`)).toBe(false)
    expect(verifyPlainSignature("my-token", "1234567890", "nonce123", "İ".repeat(40))).toBe(false)
    expect(verifyPlainSignature("other", "1234567890", "nonce123", good)).toBe(false)
  })

  it("msg_signature: sha1 of the sorted token, timestamp, nonce and Encrypt, compared exactly", () => {
    const sig = msgSignature("test_token", "1700000000", "abc123", "encrypted_content_here")
    expect(sig).toBe("ea9d20a4acca1af9bd197ad9637f1fe4990ffbe6")
    expect(verifyMsgSignature("test_token", "1700000000", "abc123", "encrypted_content_here", sig)).toBe(true)
    expect(verifyMsgSignature("test_token", "1700000000", "abc123", "encrypted_content_here", sig.toUpperCase())).toBe(false)
    expect(msgSignature("test_token", "1700000000", "abc123", "other")).not.toBe(sig)
  })
})

const mutate = (s: string, index: number, replacement: string) => s.slice(0, index) + replacement + s.slice(index + 1)

describe("WeChat signatures (properties)", () => {
  const token = "prop-token"
  const query = fc.record({
    timestamp: fc.integer({ min: 1_000_000_000, max: 2_000_000_000 }).map(String),
    nonce: fc.stringMatching(/^[0-9A-Za-z]{1,16}$/)
  })

  it.prop("any single-character change to the signature, timestamp or nonce is refused", [
    query,
    fc.constantFrom("signature" as const, "timestamp" as const, "nonce" as const),
    fc.nat(),
    fc.string({ minLength: 1, maxLength: 1, unit: "binary" })
  ], ([q, field, at, replacement]) => {
    const signature = plainSignature(token, q.timestamp, q.nonce)
    const parts = { signature, ...q }
    const original = parts[field]
    const index = at % original.length
    const changed = mutate(original, index, replacement)
    // Changing a signature letter's case is not a change (it is compared case-insensitively).
    fc.pre(field === "signature" ? changed.toLowerCase() !== original : changed !== original)
    const next = { ...parts, [field]: changed }
    return !verifyPlainSignature(token, next.timestamp, next.nonce, next.signature)
  })
})
