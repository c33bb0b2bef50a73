import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { CallbackSignerHmac } from "../../../src/adapters/crypto/CallbackSignerHmac.js"
import { CallbackSigner } from "../../../src/ports/CallbackSigner.js"

// spec/platforms-slack-feishu.md §13 V4
const V4_BASE = "v1:1700000000:req-1:T1:action.status:ff791307c9273527401675aa2fd8b72db393d78d9b0f956614296cfc3730bc22"
const V4_SIG = "66916169335427664a3bc35bb05c899cb97affa6c852b5c5d3ec76117209a450"

const withKey = (key: string) => <A, E>(self: Effect.Effect<A, E, CallbackSigner>) =>
  Effect.provide(self, CallbackSignerHmac.layer(Redacted.make(key)))

describe("CallbackSignerHmac", () => {
  it.effect("signs the V4 base to the reference signature", () =>
    Effect.gen(function*() {
      const signer = yield* CallbackSigner
      expect(yield* signer.sign(V4_BASE)).toBe(V4_SIG)
      expect(yield* signer.verify(V4_BASE, V4_SIG)).toBe(true)
    }).pipe(withKey("signing-secret")))

  it.effect("refuses a wrong key, a changed message and malformed signatures without throwing", () =>
    Effect.gen(function*() {
      const signer = yield* CallbackSigner
      expect(yield* signer.verify(V4_BASE + "x", V4_SIG)).toBe(false)
      for (const bad of ["", "deadbeef", V4_SIG.slice(0, 63), V4_SIG + "0", V4_SIG.toUpperCase(), "z".repeat(64), "0".repeat(64)]) {
        expect(yield* signer.verify(V4_BASE, bad)).toBe(false)
      }
      expect(yield* signer.verify(V4_BASE, 42 as unknown as string)).toBe(false)
    }).pipe(withKey("signing-secret")))

  it.effect("a different key does not verify the V4 signature", () =>
    Effect.gen(function*() {
      expect(yield* (yield* CallbackSigner).verify(V4_BASE, V4_SIG)).toBe(false)
    }).pipe(withKey("other-secret")))

  it.effect("an empty key verifies nothing, not even its own signatures", () =>
    Effect.gen(function*() {
      const signer = yield* CallbackSigner
      const own = yield* signer.sign(V4_BASE)
      expect(yield* signer.verify(V4_BASE, own)).toBe(false)
      expect(yield* signer.verifyTruncated(V4_BASE, own.slice(0, 32))).toBe(false)
    }).pipe(withKey("")))

  it.effect("verifyTruncated accepts 96..256-bit prefixes only", () =>
    Effect.gen(function*() {
      const signer = yield* CallbackSigner
      expect(yield* signer.verifyTruncated(V4_BASE, V4_SIG.slice(0, 24))).toBe(true)
      expect(yield* signer.verifyTruncated(V4_BASE, V4_SIG.slice(0, 32))).toBe(true)
      expect(yield* signer.verifyTruncated(V4_BASE, V4_SIG)).toBe(true)
      expect(yield* signer.verifyTruncated(V4_BASE, V4_SIG.slice(0, 22))).toBe(false) // 88 bits
      expect(yield* signer.verifyTruncated(V4_BASE, V4_SIG.slice(0, 25))).toBe(false) // odd
      expect(yield* signer.verifyTruncated(V4_BASE, V4_SIG.slice(0, 32).toUpperCase())).toBe(false)
      expect(yield* signer.verifyTruncated(V4_BASE, "0".repeat(32))).toBe(false)
      expect(yield* signer.verifyTruncated(V4_BASE, V4_SIG.slice(1, 33))).toBe(false)
    }).pipe(withKey("signing-secret")))

  it.effect("sha256Hex is plain SHA-256 of UTF-8", () =>
    Effect.gen(function*() {
      const signer = yield* CallbackSigner
      expect(yield* signer.sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
      // §13 V5 canonicalisation edge case: the canonical text Python produced, hashed.
      expect(yield* signer.sha256Hex("{\"b\":true,\"n\":1.0,\"text\":\"h\\u00e9llo \\u2713\",\"z\":null}"))
        .toBe("d9cd0d4b3cc9f5cb379b01bc64bed5e1b83504ab2cb33939d2fa151aa434832c")
    }).pipe(withKey("k")))
})
