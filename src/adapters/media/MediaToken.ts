import { createHmac, timingSafeEqual } from "node:crypto"
import { Option } from "effect"

/**
 * Media link tokens. The shape stays the reference's `<hex(payload)>.<hex(hmac)>`, as the last
 * path segment of the link (decisions.md keeps the token format), with the fixes decisions.md asks
 * for: no channel id in the payload, and a key that is not the admin token itself (MediaKey.ts).
 *
 *   link    = <PUBLIC_BASE_URL><MEDIA_PATH>/<token>
 *   token   = hex(payload) "." hex(HMAC-SHA256(key, payload))        (lower-case hex)
 *   payload = "<id>:<expiry unix seconds>:<content type>"            (UTF-8)
 *
 * - `id`: 32 lower-case hex characters (128 random bits); it names the stored file.
 * - The signature covers the id, the expiry and the content type the file is served with, so none
 *   can be changed without the key. It is checked, in constant time, before anything is decoded.
 * - A link is valid up to and including its expiry second (as in the reference).
 * - The query string is ignored: a proxy or client that adds one does not break a link, and it
 *   cannot carry anything the signature does not cover.
 * Tokens are capabilities: never log them or the links that carry them.
 */
export interface TokenClaims {
  readonly id: string
  /** Unix seconds. */
  readonly expiresAt: number
  readonly contentType: string
}

export const ID_PATTERN = /^[0-9a-f]{32}$/
/** Lower-cased `type/subtype`, no parameters; the only content types a token can carry. */
export const CONTENT_TYPE_PATTERN = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$/
/** Upper bound of the hex payload (id 32 + exp 12 + type 129 + separators, doubled), with slack. */
const MAX_PAYLOAD_HEX = 400
const SEGMENT = /^\/([0-9a-f]{2,400})\.([0-9a-f]{64})$/
const PAYLOAD = /^([0-9a-f]{32}):([0-9]{1,12}):([^:]+)$/

const hmac = (key: Uint8Array, payload: Uint8Array): Buffer => createHmac("sha256", key).update(payload).digest()

/** `type/subtype` lower-cased without parameters, or `application/octet-stream` when unusable. */
export const normalizeContentType = (raw: string): string => {
  const bare = (raw.split(";")[0] ?? "").trim().toLowerCase()
  return CONTENT_TYPE_PATTERN.test(bare) ? bare : "application/octet-stream"
}

export const mintToken = (key: Uint8Array, claims: TokenClaims): string => {
  const payload = Buffer.from(`${claims.id}:${claims.expiresAt}:${claims.contentType}`, "utf8")
  return `${payload.toString("hex")}.${hmac(key, payload).toString("hex")}`
}

/** The path below MEDIA_PATH (`/<token>`, optionally `?...`), with the query dropped. */
const segmentOf = (pathAndQuery: string): string => {
  const q = pathAndQuery.indexOf("?")
  return q < 0 ? pathAndQuery : pathAndQuery.slice(0, q)
}

const decodeClaims = (payloadHex: string): Option.Option<TokenClaims> => {
  if (payloadHex.length % 2 !== 0 || payloadHex.length > MAX_PAYLOAD_HEX) return Option.none()
  let text: string
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(payloadHex, "hex"))
  } catch {
    return Option.none()
  }
  const m = PAYLOAD.exec(text)
  if (m === null || !CONTENT_TYPE_PATTERN.test(m[3]!)) return Option.none()
  return Option.some({ id: m[1]!, expiresAt: Number(m[2]!), contentType: m[3]! })
}

/**
 * The claims of a token this key signed, or none: wrong shape, bad signature, or a payload that
 * does not parse. Expiry is not checked here (`isExpired`).
 */
export const verifyToken = (key: Uint8Array, pathAndQuery: string): Option.Option<TokenClaims> => {
  const m = SEGMENT.exec(segmentOf(pathAndQuery))
  if (m === null || m[1]!.length % 2 !== 0) return Option.none()
  const expected = hmac(key, Buffer.from(m[1]!, "hex"))
  if (!timingSafeEqual(expected, Buffer.from(m[2]!, "hex"))) return Option.none()
  return decodeClaims(m[1]!)
}

/** A link is still valid during its expiry second. */
export const isExpired = (claims: TokenClaims, nowMillis: number): boolean => Math.floor(nowMillis / 1000) > claims.expiresAt
