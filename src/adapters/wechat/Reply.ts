import { randomInt } from "node:crypto"
import { chunkText } from "../../domain/render/Chunk.js"
import { encryptMessage } from "./Crypto.js"
import { msgSignature } from "./Signature.js"

/**
 * Passive reply XML (spec §6.8; bugs X2 and X3 fixed) and WeChat's byte limits.
 *
 * - Text goes inside CDATA exactly as written: no entity escaping, so users see `&`, `<` and `>`
 *   (the reference showed `&amp;`). A `]]>` inside the text is split across two CDATA sections
 *   (`]]]]><![CDATA[>`), which XML readers join back into `]]>`. Characters XML 1.0 cannot carry
 *   (most C0 controls, lone surrogates, U+FFFE/U+FFFF) are dropped.
 * - WeChat caps a text message at 2048 bytes; `splitUtf8` cuts longer text into pieces that
 *   fit, preferring line breaks, then spaces, never inside a character.
 * - In safe (AES) mode the reply is the encrypted envelope with its own `MsgSignature`.
 */
export const MAX_TEXT_BYTES = 2048

const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/** `text` as the content of CDATA sections. */
export const cdata = (text: string): string =>
  `<![CDATA[${text.replace(NOT_XML_CHAR, "").replaceAll("]]>", "]]]]><![CDATA[>")}]]>`

export interface TextReply {
  /** The user's OpenID (the request's FromUserName). */
  readonly toUser: string
  /** The official account's id (the request's ToUserName). */
  readonly fromUser: string
  readonly content: string
  readonly createTime: number
}

/** One line, no whitespace between elements, as the reference writes it. */
export const textReplyXml = (reply: TextReply): string =>
  `<xml><ToUserName>${cdata(reply.toUser)}</ToUserName><FromUserName>${cdata(reply.fromUser)}</FromUserName>` +
  `<CreateTime>${Math.floor(reply.createTime)}</CreateTime><MsgType><![CDATA[text]]></MsgType>` +
  `<Content>${cdata(reply.content)}</Content></xml>`

export interface Envelope {
  readonly token: string
  readonly key: Buffer
  readonly appId: string
  readonly timestamp: string
  readonly nonce?: string
  /** Fixed random prefix for deterministic tests. */
  readonly random16?: Uint8Array
}

/** The safe-mode reply: `Encrypt`, `MsgSignature = sha1(sorted(token, ts, nonce, Encrypt))`, ts, nonce. */
export const encryptedReplyXml = (xml: string, envelope: Envelope): string => {
  const nonce = envelope.nonce ?? String(randomInt(1_000_000_000, 9_999_999_999))
  const encrypt = encryptMessage(envelope.key, envelope.appId, xml, envelope.random16)
  const signature = msgSignature(envelope.token, envelope.timestamp, nonce, encrypt)
  return `<xml><Encrypt>${cdata(encrypt)}</Encrypt><MsgSignature>${cdata(signature)}</MsgSignature>` +
    `<TimeStamp>${envelope.timestamp}</TimeStamp><Nonce>${cdata(nonce)}</Nonce></xml>`
}

/** How many UTF-16 units of `text`, from the start, fit in `maxBytes` of UTF-8 (whole characters). */
const unitsFitting = (text: string, maxBytes: number): number => {
  let bytes = 0
  let i = 0
  while (i < text.length) {
    const code = text.codePointAt(i)!
    const size = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4
    if (bytes + size > maxBytes) break
    bytes += size
    i += code >= 0x10000 ? 2 : 1
  }
  return i
}

/**
 * Splits `text` into pieces of at most `maxBytes` UTF-8 bytes each (`chunkText`'s preferences:
 * after the last newline, else the last space, else at a character boundary). No piece is blank;
 * pieces after the first lose their leading whitespace and every cut piece its trailing one.
 */
export const splitUtf8 = (text: string, maxBytes: number = MAX_TEXT_BYTES): Array<string> => {
  const pieces: Array<string> = []
  let rest = text
  while (rest.trim() !== "") {
    const fit = unitsFitting(rest, maxBytes)
    if (fit >= rest.length) {
      pieces.push(rest)
      break
    }
    const piece = chunkText(rest, Math.max(1, fit))[0]!
    if (piece.trim() !== "") pieces.push(piece.trimEnd()) // only whitespace fitted: drop it
    rest = rest.slice(piece.length).trimStart()
  }
  return pieces
}
