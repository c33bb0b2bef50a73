import { randomBytes } from "node:crypto"
import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc, Option } from "effect"
import {
  isExpired,
  mintToken,
  normalizeContentType,
  verifyToken
} from "../../../src/adapters/media/MediaToken.js"

const key = new Uint8Array(randomBytes(32))
const claims = { id: "0123456789abcdef0123456789abcdef", expiresAt: 1_767_600_000, contentType: "image/png" }

/** Replaces the character at `i` with a different hex digit. */
const flipHex = (s: string, i: number) => s.slice(0, i) + (s[i] === "0" ? "1" : "0") + s.slice(i + 1)

describe("media tokens", () => {
  it("round trip: a minted token verifies to its claims; the query is ignored", () => {
    const token = mintToken(key, claims)
    expect(token).toMatch(/^[0-9a-f]+\.[0-9a-f]{64}$/)
    expect(verifyToken(key, `/${token}`)).toEqual(Option.some(claims))
    expect(verifyToken(key, `/${token}?utm=1`)).toEqual(Option.some(claims))
  })

  it("the payload carries no channel id: only the id, the expiry and the content type", () => {
    const [payload] = mintToken(key, claims).split(".")
    expect(Buffer.from(payload!, "hex").toString("utf8")).toBe(`${claims.id}:${claims.expiresAt}:image/png`)
  })

  it("another key, a changed id, expiry or content type, a flipped signature: refused", () => {
    const token = mintToken(key, claims)
    expect(verifyToken(new Uint8Array(randomBytes(32)), `/${token}`)).toEqual(Option.none())
    const sig = token.split(".")[1]!
    for (const changed of [
      { ...claims, id: flipHex(claims.id, 0) },
      { ...claims, expiresAt: claims.expiresAt + 1 },
      { ...claims, contentType: "text/html" }
    ]) {
      const forged = `${Buffer.from(`${changed.id}:${changed.expiresAt}:${changed.contentType}`).toString("hex")}.${sig}`
      expect(verifyToken(key, `/${forged}`)).toEqual(Option.none())
    }
    expect(verifyToken(key, `/${flipHex(token, token.length - 1)}`)).toEqual(Option.none())
    expect(verifyToken(key, `/${token.toUpperCase()}`)).toEqual(Option.none())
    expect(verifyToken(key, token)).toEqual(Option.none()) // no leading "/"
    expect(verifyToken(key, `/${token}/`)).toEqual(Option.none())
  })

  it("a correctly signed payload that is not well formed is refused (no path can be smuggled in the id)", () => {
    for (const bad of [
      { ...claims, id: "../../etc/passwd" },
      { ...claims, id: "0123456789ABCDEF0123456789ABCDEF" },
      { ...claims, contentType: "image/png:x" },
      { ...claims, contentType: "" }
    ]) {
      expect(verifyToken(key, `/${mintToken(key, bad)}`)).toEqual(Option.none())
    }
  })

  it("a link is valid through its expiry second, not after", () => {
    expect(isExpired(claims, claims.expiresAt * 1000 + 999)).toBe(false)
    expect(isExpired(claims, (claims.expiresAt + 1) * 1000)).toBe(true)
  })

  it("content types are lower-cased without parameters; junk becomes application/octet-stream", () => {
    expect(normalizeContentType("Image/PNG; charset=binary")).toBe("image/png")
    expect(normalizeContentType("not a type")).toBe("application/octet-stream")
    expect(normalizeContentType("image/png:evil")).toBe("application/octet-stream")
    expect(normalizeContentType("")).toBe("application/octet-stream")
  })

  it.prop("no string that was not minted with the key verifies", [fc.string({ maxLength: 400 })], ([s]) => {
    expect(verifyToken(key, s)).toEqual(Option.none())
    expect(verifyToken(key, `/${s}`)).toEqual(Option.none())
  })

  it.prop(
    "any single-character change to a minted token is refused",
    [fc.nat(), fc.constantFrom(..."0123456789abcdefABCDEF./?%")],
    ([at, c]) => {
      const token = `/${mintToken(key, claims)}`
      const i = 1 + (at % (token.length - 1))
      const changed = token.slice(0, i) + c + token.slice(i + 1)
      fc.pre(changed !== token)
      expect(verifyToken(key, changed)).toEqual(Option.none())
    }
  )
})
