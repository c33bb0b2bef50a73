import { validateSignature } from "@line/bot-sdk"
import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc, Redacted } from "effect"
import { checkHmacSignature } from "../../../src/adapters/crypto/HmacSignature.js"
import { lineSignature } from "../../e2e/support/LineClient.js"

/**
 * X-Line-Signature as the LINE route checks it: base64(HMAC-SHA256(channel secret, raw body)).
 * Vectors from spec §11.1; `@line/bot-sdk`'s `validateSignature` is an independent oracle.
 */
const check = (secret: string, body: string | Uint8Array, header: string | undefined) =>
  checkHmacSignature(typeof body === "string" ? Buffer.from(body, "utf8") : body, header, Redacted.make(secret), "base64")

const VECTORS = [
  ["mysecret", `{"events":[]}`, "H77WsMhJ9OTcNxCjlXNSDA4V9fhSDRRP+aQ+hZkzFYY="],
  ["test-secret", "test-body", "qmj5Sg2IxB2/qySyYvXSE7oWb0LCM9X/HrKzhI49YFA="],
  ["line-channel-secret", `{"events":[{"type":"message"}]}`, "e+Mci/nig9nuNsP5BIq5JkZqvHxZYdXe9p27lHQVn34="]
] as const

describe("LINE signature (spec §11.1)", () => {
  it("accepts the reference vectors, with or without a sha256= prefix, and the SDK agrees", () => {
    for (const [secret, body, signature] of VECTORS) {
      expect(check(secret, body, signature)).toBe("valid")
      expect(check(secret, body, `sha256=${signature}`)).toBe("valid")
      expect(check(secret, body, `SHA256=${signature}`)).toBe("valid")
      expect(check(secret, body, `  ${signature} `)).toBe("valid")
      expect(validateSignature(body, secret, signature)).toBe(true)
      expect(lineSignature(secret, body)).toBe(signature)
    }
  })

  it("refuses a wrong signature, an empty or missing header, a repeated header and an empty secret", () => {
    expect(check("mysecret", `{"events":[]}`, "invalid_sig")).toBe("mismatch")
    expect(check("mysecret", `{"events":[]}`, "")).toBe("missing-signature")
    expect(check("mysecret", `{"events":[]}`, "sha256=")).toBe("missing-signature")
    expect(check("mysecret", `{"events":[]}`, undefined)).toBe("missing-signature")
    expect(check("", `{"events":[]}`, VECTORS[0][2])).toBe("missing-secret")
    expect(checkHmacSignature(Buffer.from(`{"events":[]}`), [VECTORS[0][2], VECTORS[0][2]], Redacted.make("mysecret"), "base64"))
      .toBe("mismatch")
    // The signature of another body, lowercase hex and non-ASCII text are all plain mismatches.
    expect(check("mysecret", `{"events":[ ]}`, VECTORS[0][2])).toBe("mismatch")
    expect(check("mysecret", `{"events":[]}`, Buffer.from(VECTORS[0][2], "base64").toString("hex"))).toBe("mismatch")
    expect(check("mysecret", `{"events":[]}`, "é".repeat(44))).toBe("mismatch")
  })

  it("agrees with @line/bot-sdk's validateSignature on random bodies, secrets and candidate signatures", () => {
    const secret = fc.string({ minLength: 1, maxLength: 64, unit: "grapheme" })
    const body = fc.uint8Array({ maxLength: 512 })
    // A candidate is the right MAC, a random 32-byte MAC, or the right one with one bit flipped:
    // all canonical base64 (the SDK also accepts non-canonical spellings of the same bytes).
    const candidate = fc.oneof(
      fc.constant({ kind: "right" as const }),
      fc.record({ kind: fc.constant("random" as const), bytes: fc.uint8Array({ minLength: 32, maxLength: 32 }) }),
      fc.record({ kind: fc.constant("flipped" as const), bit: fc.integer({ min: 0, max: 255 }) })
    )
    fc.assert(
      fc.property(secret, body, candidate, (secret, body, c) => {
        const right = Buffer.from(lineSignature(secret, body), "base64")
        const bytes = c.kind === "right"
          ? right
          : c.kind === "random"
          ? Buffer.from(c.bytes)
          : Buffer.from(right.map((b, i) => (i === c.bit >> 3 ? b ^ (1 << (c.bit & 7)) : b)))
        const header = bytes.toString("base64")
        const ours = check(secret, body, header) === "valid"
        const sdk = validateSignature(Buffer.from(body), secret, header)
        expect(ours).toBe(sdk)
        expect(ours).toBe(bytes.equals(right))
      }),
      { numRuns: 500 }
    )
  })
})
