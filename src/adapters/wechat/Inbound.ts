import { Either, Option, Redacted } from "effect"
import { aesKeyOf, decryptMessage } from "./Crypto.js"
import { verifyMsgSignature } from "./Signature.js"
import { parseWeChatXml, type WeChatFields } from "./Xml.js"

/**
 * The body of a POST whose query already passed the signature, freshness and nonce checks ->
 * the message fields (spec §6.4 steps 5-6; bug X5 fixed: nothing here answers 5xx).
 *
 * Plain mode: the body is the message XML. Safe mode (`encrypt_type=aes`, also when the body
 * carries plain fields next to `Encrypt`, "compatible mode"): the outer XML's `Encrypt` must be
 * covered by `msg_signature`, decrypts to the message XML, and the outer `ToUserName`, when
 * present, must equal the inner one (so no byte of a compact body can change unnoticed).
 * Missing or unusable AES settings are the operator's problem: logged, answered 400.
 */
export interface AesSettings {
  readonly key: Buffer
  readonly appId: string
  /** The EncodingAESKey as configured (decryption re-derives the key from it). */
  readonly encodingAesKey: string
}

/** Usable AES settings, or why there are none (`missing` / `bad-key`). */
export type AesConfig = Either.Either<AesSettings, "missing" | "bad-key">

export const aesConfigOf = (encodingAesKey: Option.Option<Redacted.Redacted>, appId: Option.Option<string>): AesConfig => {
  if (Option.isNone(encodingAesKey) || Option.isNone(appId)) return Either.left("missing")
  const raw = Redacted.value(encodingAesKey.value)
  return Either.match(aesKeyOf(raw), {
    onLeft: () => Either.left("bad-key" as const),
    onRight: (key) => Either.right({ key, appId: appId.value, encodingAesKey: raw })
  })
}

export interface BodyRejection {
  readonly status: 400 | 401
  readonly text: string
  /** Why, for the log (never secret). */
  readonly reason: string
}

export interface DecodedBody {
  readonly fields: WeChatFields
  /** Whether the request came in safe mode (the passive reply must then be encrypted). */
  readonly encrypted: boolean
}

const badRequest = (reason: string): Either.Either<never, BodyRejection> => Either.left({ status: 400, text: "Bad Request", reason })
const decryptFailed = (reason: string): Either.Either<never, BodyRejection> =>
  Either.left({ status: 400, text: "Decrypt Failed", reason })

export const decodeBody = (
  query: URLSearchParams,
  body: Uint8Array,
  token: string,
  aes: AesConfig
): Either.Either<DecodedBody, BodyRejection> => {
  if ((query.get("encrypt_type") ?? "").toLowerCase() !== "aes") {
    return Either.match(parseWeChatXml(body), {
      onLeft: (e) => badRequest(`xml ${e.reason}`),
      onRight: (fields) => Either.right({ fields, encrypted: false })
    })
  }
  if (Either.isLeft(aes)) return decryptFailed(`AES config ${aes.left} (set the EncodingAESKey and AppID)`)
  const outer = parseWeChatXml(body)
  if (Either.isLeft(outer)) return badRequest(`outer xml ${outer.left.reason}`)
  const encrypt = outer.right["Encrypt"] ?? ""
  if (encrypt === "") return badRequest("no Encrypt")
  const timestamp = query.get("timestamp") ?? ""
  const nonce = query.get("nonce") ?? ""
  if (!verifyMsgSignature(token, timestamp, nonce, encrypt, query.get("msg_signature") ?? "")) {
    return Either.left({ status: 401, text: "Invalid msg_signature", reason: "msg_signature mismatch" })
  }
  const inner = decryptMessage(aes.right.encodingAesKey, aes.right.appId, encrypt)
  if (Either.isLeft(inner)) return decryptFailed(inner.left.reason)
  const fields = parseWeChatXml(inner.right)
  if (Either.isLeft(fields)) return badRequest(`inner xml ${fields.left.reason}`)
  const outerTo = outer.right["ToUserName"]
  if (outerTo !== undefined && outerTo !== (fields.right["ToUserName"] ?? "")) return badRequest("ToUserName mismatch")
  return Either.right({ fields: fields.right, encrypted: true })
}
