import { createHash, createHmac, timingSafeEqual } from "node:crypto"
import { Effect, Layer, Redacted } from "effect"
import { CallbackSigner } from "../../ports/CallbackSigner.js"

const FULL_HEX = /^[0-9a-f]{64}$/
const TRUNCATED_HEX = /^(?:[0-9a-f]{2}){12,32}$/

const hmac = (key: string, message: string): Buffer =>
  createHmac("sha256", Buffer.from(key, "utf8")).update(message, "utf8").digest()

/** Constant-time comparison of `expected` with the hex `given`, on equal-length buffers only. */
const sameBytes = (expected: Buffer, givenHex: string): boolean => {
  const given = Buffer.from(givenHex, "hex")
  return given.length === expected.length && timingSafeEqual(expected, given)
}

/**
 * `CallbackSigner` over node:crypto HMAC-SHA256. The key stays `Redacted` until the call site.
 * An empty key signs (the result can never verify) and verifies nothing.
 */
export const CallbackSignerHmac = {
  layer: (key: Redacted.Redacted<string>): Layer.Layer<CallbackSigner> =>
    Layer.succeed(CallbackSigner, CallbackSigner.of({
      sign: (message) => Effect.sync(() => hmac(Redacted.value(key), message).toString("hex")),
      verify: (message, signatureHex) =>
        Effect.sync(() => {
          const secret = Redacted.value(key)
          if (secret.length === 0 || typeof signatureHex !== "string" || !FULL_HEX.test(signatureHex)) return false
          return sameBytes(hmac(secret, message), signatureHex)
        }),
      verifyTruncated: (message, macHex) =>
        Effect.sync(() => {
          const secret = Redacted.value(key)
          if (secret.length === 0 || typeof macHex !== "string" || !TRUNCATED_HEX.test(macHex)) return false
          return sameBytes(hmac(secret, message).subarray(0, macHex.length / 2), macHex)
        }),
      sha256Hex: (text) => Effect.sync(() => createHash("sha256").update(text, "utf8").digest("hex"))
    }))
}
