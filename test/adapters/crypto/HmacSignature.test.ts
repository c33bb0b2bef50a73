import { describe, expect, it } from "vitest"
import { FastCheck as fc, Redacted } from "effect"
import { checkHmacSignature, hmacSha256 } from "../../../src/adapters/crypto/HmacSignature.js"

const bytes = (s: string) => Buffer.from(s, "utf8")
const secret = (s: string) => Redacted.make(s)

describe("webhook HMAC signatures (spec §11.1, §11.2)", () => {
  it("matches the reference vectors, base64 and hex, with or without sha256=", () => {
    expect(checkHmacSignature(bytes('{"events":[]}'), "H77WsMhJ9OTcNxCjlXNSDA4V9fhSDRRP+aQ+hZkzFYY=", secret("mysecret"), "base64")).toBe("valid")
    expect(checkHmacSignature(bytes("test-body"), "sha256=qmj5Sg2IxB2/qySyYvXSE7oWb0LCM9X/HrKzhI49YFA=", secret("test-secret"), "base64")).toBe("valid")
    const hex = "9e402917284946302bbda3be03ba5f9859d2745280066f88178145ad908ff098"
    expect(checkHmacSignature(bytes("{}"), `sha256=${hex}`, secret("secret123"), "hex")).toBe("valid")
    expect(checkHmacSignature(bytes("{}"), ` ${hex} `, secret("secret123"), "hex")).toBe("valid")
    expect(checkHmacSignature(bytes("{}"), `SHA256=${hex}`, secret("secret123"), "hex")).toBe("valid")
  })

  it("refuses uppercase hex, wrong values, empty or missing headers, repeated headers, non-ASCII and a missing secret", () => {
    const hex = "9e402917284946302bbda3be03ba5f9859d2745280066f88178145ad908ff098"
    expect(checkHmacSignature(bytes("{}"), `sha256=${hex.toUpperCase()}`, secret("secret123"), "hex")).toBe("mismatch")
    expect(checkHmacSignature(bytes("{}"), "sha256=bad_sig", secret("secret123"), "hex")).toBe("mismatch")
    expect(checkHmacSignature(bytes("{}"), "", secret("secret123"), "hex")).toBe("missing-signature")
    expect(checkHmacSignature(bytes("{}"), undefined, secret("secret123"), "hex")).toBe("missing-signature")
    expect(checkHmacSignature(bytes("{}"), [hex, hex], secret("secret123"), "hex")).toBe("mismatch")
    expect(checkHmacSignature(bytes("{}"), "sha256=ünïcode", secret("secret123"), "hex")).toBe("mismatch")
    expect(checkHmacSignature(bytes("{}"), hex, undefined, "hex")).toBe("missing-secret")
    expect(checkHmacSignature(bytes("{}"), hex, secret(""), "hex")).toBe("missing-secret")
  })

  it("any single-byte change to the body or the signature is refused", () => {
    fc.assert(fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 200 }),
      fc.string({ minLength: 1, maxLength: 40 }),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      fc.constantFrom("base64" as const, "hex" as const),
      (body, key, at, delta, encoding) => {
        const signature = hmacSha256(key, body, encoding)
        expect(checkHmacSignature(body, signature, secret(key), encoding)).toBe("valid")
        const changed = Uint8Array.from(body)
        changed[at % body.length] = (changed[at % body.length]! + delta) % 256
        expect(checkHmacSignature(changed, signature, secret(key), encoding)).toBe("mismatch")
        const i = at % signature.length
        const sigChanged = signature.slice(0, i) + String.fromCharCode(((signature.charCodeAt(i) - 0x21 + (delta % 93) + 1) % 94) + 0x21) + signature.slice(i + 1)
        expect(checkHmacSignature(body, sigChanged, secret(key), encoding)).not.toBe("valid")
      }
    ))
  })
})
