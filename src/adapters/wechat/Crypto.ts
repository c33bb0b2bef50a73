import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto"
import { Either, Schema } from "effect"

/**
 * WeChat "safe mode" message encryption (spec §6.7; bug X5 fixed, X3 fixed by `encryptMessage`).
 *
 * key = base64(EncodingAESKey + "=") (32 bytes), IV = key[0:16], AES-256-CBC without the
 * cipher's own padding. Plaintext = 16 random bytes | 4-byte big-endian length L | message (L
 * bytes) | AppID, padded PKCS#7-style to a multiple of 32 bytes (pad value 1..32).
 * Every malformed input is a typed `DecryptFailed`, never an exception: too-short plaintexts
 * (the reference's struct.error and 500) included.
 */
export class DecryptFailed extends Schema.TaggedError<DecryptFailed>()("DecryptFailed", {
  reason: Schema.Literal("bad-key", "bad-base64", "bad-length", "bad-padding", "too-short", "bad-message-length", "appid-mismatch")
}) {}

const BLOCK = 32
const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** Strict standard base64 (padding required); Buffer.from alone silently skips bad characters. */
const decodeBase64 = (text: string): Buffer | undefined => (B64.test(text) ? Buffer.from(text, "base64") : undefined)

/** The 32-byte key of a 43-character EncodingAESKey, or a `bad-key` failure. */
export const aesKeyOf = (encodingAesKey: string): Either.Either<Buffer, DecryptFailed> => {
  const key = encodingAesKey.length === 43 ? decodeBase64(`${encodingAesKey}=`) : undefined
  return key !== undefined && key.length === 32 ? Either.right(key) : Either.left(new DecryptFailed({ reason: "bad-key" }))
}

/** Decrypts `Encrypt` and returns the inner message bytes (the inner XML) if the AppID matches. */
export const decryptMessage = (
  encodingAesKey: string,
  appId: string,
  encryptB64: string
): Either.Either<Buffer, DecryptFailed> =>
  Either.flatMap(aesKeyOf(encodingAesKey), (key) => {
    const fail = (reason: DecryptFailed["reason"]) => Either.left(new DecryptFailed({ reason }))
    const cipherText = decodeBase64(encryptB64)
    if (cipherText === undefined) return fail("bad-base64")
    if (cipherText.length === 0 || cipherText.length % 16 !== 0) return fail("bad-length")
    let plain: Buffer
    try {
      const decipher = createDecipheriv("aes-256-cbc", key, key.subarray(0, 16))
      decipher.setAutoPadding(false)
      plain = Buffer.concat([decipher.update(cipherText), decipher.final()])
    } catch {
      return fail("bad-length")
    }
    const pad = plain[plain.length - 1]!
    if (pad < 1 || pad > BLOCK || pad > plain.length) return fail("bad-padding")
    const content = plain.subarray(0, plain.length - pad)
    if (content.length < 20) return fail("too-short")
    const length = content.readUInt32BE(16)
    if (length > content.length - 20) return fail("bad-message-length")
    const message = content.subarray(20, 20 + length)
    const trailer = content.subarray(20 + length)
    const expected = Buffer.from(appId, "utf8")
    return trailer.equals(expected) ? Either.right(Buffer.from(message)) : fail("appid-mismatch")
  })

/**
 * Encrypts `message` for a passive reply (or any safe-mode payload) and returns the base64
 * `Encrypt` value. `random16` is for deterministic tests; production uses fresh random bytes.
 */
export const encryptMessage = (
  key: Buffer,
  appId: string,
  message: string | Uint8Array,
  random16: Uint8Array = randomBytes(16)
): string => {
  const body = typeof message === "string" ? Buffer.from(message, "utf8") : Buffer.from(message)
  const length = Buffer.alloc(4)
  length.writeUInt32BE(body.length, 0)
  const unpadded = Buffer.concat([Buffer.from(random16), length, body, Buffer.from(appId, "utf8")])
  const pad = BLOCK - (unpadded.length % BLOCK)
  const plain = Buffer.concat([unpadded, Buffer.alloc(pad, pad)])
  const cipher = createCipheriv("aes-256-cbc", key, key.subarray(0, 16))
  cipher.setAutoPadding(false)
  return Buffer.concat([cipher.update(plain), cipher.final()]).toString("base64")
}
