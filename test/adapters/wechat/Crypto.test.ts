import { describe, expect, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"
import { createCipheriv } from "node:crypto"
import { aesKeyOf, decryptMessage, encryptMessage } from "../../../src/adapters/wechat/Crypto.js"

// spec platforms-webhook-polling.md §11.3
const AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
const APP_ID = "wx_test_app_id"
const INNER = "<xml><Content>Hello</Content></xml>"
const VECTOR =
  "sLR/n4SbHXvKAdlBki8FGP+agLaSchHe+ieYDB89QmcpLus2ySnC0GxhUfWkBClm23pKI5VRaoV8U2yFtTd8GUTpTkSYwfWFFee0iNdVNhsNNt6EXX6b8dUSVUTCfI8r"

const key = Either.getOrThrow(aesKeyOf(AES_KEY))
const reasonOf = (r: Either.Either<unknown, { reason: string }>) => (Either.isLeft(r) ? r.left.reason : "ok")

/** Raw AES-CBC of an arbitrary (already padded) plaintext with the test key. */
const rawEncrypt = (plain: Buffer) => {
  const cipher = createCipheriv("aes-256-cbc", key, key.subarray(0, 16)).setAutoPadding(false)
  return Buffer.concat([cipher.update(plain), cipher.final()]).toString("base64")
}

describe("WeChat AES (safe mode)", () => {
  it("derives the 32-byte key from EncodingAESKey + '='", () => {
    expect(key.toString("hex")).toBe("69b71d79f8218a39259a7a29aabb2dbafc31cb3d35db7e39ebbf3d0010831051")
  })

  it("decrypts the reference vector to the inner XML", () => {
    const inner = decryptMessage(AES_KEY, APP_ID, VECTOR)
    expect(Either.getOrThrow(inner).toString("utf8")).toBe(INNER)
  })

  it("our encryption with the same random prefix reproduces the vector", () => {
    expect(encryptMessage(key, APP_ID, INNER, Buffer.alloc(16))).toBe(VECTOR)
  })

  it("refuses a different AppID", () => {
    expect(reasonOf(decryptMessage(AES_KEY, "wrong_app_id", VECTOR))).toBe("appid-mismatch")
  })

  it("a plaintext shorter than 20 bytes is a typed failure, not an exception (X5)", () => {
    const short = Buffer.concat([Buffer.alloc(10, 0x41), Buffer.alloc(22, 22)]) // 10 bytes + padding 22
    expect(reasonOf(decryptMessage(AES_KEY, APP_ID, rawEncrypt(short)))).toBe("too-short")
  })

  it("refuses bad base64, block sizes, padding, message lengths and keys", () => {
    expect(reasonOf(decryptMessage(AES_KEY, APP_ID, "not base64!"))).toBe("bad-base64")
    expect(reasonOf(decryptMessage(AES_KEY, APP_ID, ""))).toBe("bad-length")
    expect(reasonOf(decryptMessage(AES_KEY, APP_ID, Buffer.alloc(20).toString("base64")))).toBe("bad-length")
    expect(reasonOf(decryptMessage(AES_KEY, APP_ID, rawEncrypt(Buffer.alloc(32, 0))))).toBe("bad-padding")
    expect(reasonOf(decryptMessage(AES_KEY, APP_ID, rawEncrypt(Buffer.alloc(32, 33))))).toBe("bad-padding")
    const hugeLength = Buffer.concat([Buffer.alloc(16), Buffer.from([0xff, 0xff, 0xff, 0xff]), Buffer.from("abcdefghijk"), Buffer.alloc(1, 1)])
    expect(reasonOf(decryptMessage(AES_KEY, APP_ID, rawEncrypt(hugeLength)))).toBe("bad-message-length")
    expect(reasonOf(decryptMessage("short", APP_ID, VECTOR))).toBe("bad-key")
    expect(reasonOf(aesKeyOf(`${AES_KEY.slice(0, 42)}!`))).toBe("bad-key")
  })

  it.prop("encrypt then decrypt is the identity, padded to 32-byte blocks", [fc.string({ unit: "grapheme", maxLength: 300 })], ([text]) => {
    const encrypted = encryptMessage(key, APP_ID, text)
    expect(Buffer.from(encrypted, "base64").length % 32).toBe(0)
    expect(Either.getOrThrow(decryptMessage(AES_KEY, APP_ID, encrypted)).toString("utf8")).toBe(text)
  })

  it.prop("decryption never throws on arbitrary base64", [fc.uint8Array({ maxLength: 200 })], ([bytes]) => {
    const result = decryptMessage(AES_KEY, APP_ID, Buffer.from(bytes).toString("base64"))
    expect(Either.isEither(result)).toBe(true)
  })
})
