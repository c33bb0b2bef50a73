import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto"

/**
 * Builds WeChat Official Account deliveries the way WeChat's servers do (a signed query; in safe
 * mode an encrypted body with `msg_signature`), posts them, and reads passive replies, decrypting
 * encrypted ones. Written independently of the adapter's code so the two check each other.
 */
export interface WeChatClientOptions {
  /** Webhook URL without query. */
  readonly url: string
  readonly token: string
  readonly appId?: string
  readonly encodingAesKey?: string
}

export interface Delivery {
  readonly target: string
  readonly body: string
}

export interface WeChatAnswer {
  readonly status: number
  readonly contentType: string
  readonly text: string
}

let nonceCounter = 0
export const freshNonce = (): string => `${Date.now()}${++nonceCounter}${randomBytes(3).toString("hex")}`
export const nowSeconds = (): string => String(Math.floor(Date.now() / 1000))

export const sha1Sorted = (parts: ReadonlyArray<string>): string =>
  createHash("sha1").update([...parts].sort().join("")).digest("hex")

const aesKey = (encodingAesKey: string) => Buffer.from(`${encodingAesKey}=`, "base64")

export const encrypt = (encodingAesKey: string, appId: string, message: string): string => {
  const key = aesKey(encodingAesKey)
  const msg = Buffer.from(message, "utf8")
  const len = Buffer.alloc(4)
  len.writeUInt32BE(msg.length)
  const raw = Buffer.concat([randomBytes(16), len, msg, Buffer.from(appId)])
  const pad = 32 - (raw.length % 32)
  const cipher = createCipheriv("aes-256-cbc", key, key.subarray(0, 16)).setAutoPadding(false)
  return Buffer.concat([cipher.update(Buffer.concat([raw, Buffer.alloc(pad, pad)])), cipher.final()]).toString("base64")
}

/** Returns the inner message and the AppID found after it. */
export const decrypt = (encodingAesKey: string, encrypted: string): { readonly message: string; readonly appId: string } => {
  const key = aesKey(encodingAesKey)
  const decipher = createDecipheriv("aes-256-cbc", key, key.subarray(0, 16)).setAutoPadding(false)
  const plain = Buffer.concat([decipher.update(Buffer.from(encrypted, "base64")), decipher.final()])
  const content = plain.subarray(0, plain.length - plain[plain.length - 1]!)
  const length = content.readUInt32BE(16)
  return {
    message: content.subarray(20, 20 + length).toString("utf8"),
    appId: content.subarray(20 + length).toString("utf8")
  }
}

export interface TextMessage {
  readonly from: string
  readonly content: string
  readonly to?: string
  readonly msgId?: string
  readonly createTime?: string
}

const cdata = (s: string) => `<![CDATA[${s.replaceAll("]]>", "]]]]><![CDATA[>")}]]>`

/** A text message as WeChat sends it (with newlines between elements). */
export const textMessageXml = (m: TextMessage): string =>
  [
    "<xml>",
    `<ToUserName>${cdata(m.to ?? "gh_official")}</ToUserName>`,
    `<FromUserName>${cdata(m.from)}</FromUserName>`,
    `<CreateTime>${m.createTime ?? nowSeconds()}</CreateTime>`,
    "<MsgType><![CDATA[text]]></MsgType>",
    `<Content>${cdata(m.content)}</Content>`,
    m.msgId === undefined ? "" : `<MsgId>${m.msgId}</MsgId>`,
    "</xml>"
  ].join("\n")

export interface SignOptions {
  readonly timestamp?: string
  readonly nonce?: string
  readonly signature?: string
  readonly aes?: boolean
  /** Overrides the computed msg_signature. */
  readonly msgSignature?: string
}

export const makeWeChatClient = (options: WeChatClientOptions) => {
  /** A signed delivery of `innerXml` (encrypted when `aes`), as target (path + query) and body. */
  const delivery = (innerXml: string, sign: SignOptions = {}): Delivery => {
    const timestamp = sign.timestamp ?? nowSeconds()
    const nonce = sign.nonce ?? freshNonce()
    const query = new URLSearchParams({
      signature: sign.signature ?? sha1Sorted([options.token, timestamp, nonce]),
      timestamp,
      nonce
    })
    const path = new URL(options.url).pathname
    if (!sign.aes) return { target: `${path}?${query}`, body: innerXml }
    const encrypted = encrypt(options.encodingAesKey!, options.appId!, innerXml)
    query.set("encrypt_type", "aes")
    query.set("msg_signature", sign.msgSignature ?? sha1Sorted([options.token, timestamp, nonce, encrypted]))
    const to = /<ToUserName><!\[CDATA\[(.*?)\]\]><\/ToUserName>/.exec(innerXml)?.[1] ?? "gh_official"
    return { target: `${path}?${query}`, body: `<xml><ToUserName><![CDATA[${to}]]></ToUserName><Encrypt><![CDATA[${encrypted}]]></Encrypt></xml>` }
  }

  const post = async (d: Delivery): Promise<WeChatAnswer> => {
    const origin = new URL(options.url).origin
    const res = await fetch(`${origin}${d.target}`, { method: "POST", headers: { "content-type": "text/xml" }, body: d.body })
    return { status: res.status, contentType: res.headers.get("content-type") ?? "", text: await res.text() }
  }

  /** The GET handshake with `echostr`. */
  const handshake = async (echostr: string, sign: SignOptions = {}): Promise<WeChatAnswer> => {
    const timestamp = sign.timestamp ?? nowSeconds()
    const nonce = sign.nonce ?? freshNonce()
    const query = new URLSearchParams({
      signature: sign.signature ?? sha1Sorted([options.token, timestamp, nonce]),
      timestamp,
      nonce,
      echostr
    })
    const res = await fetch(`${options.url}?${query}`)
    return { status: res.status, contentType: res.headers.get("content-type") ?? "", text: await res.text() }
  }

  /**
   * Opens an encrypted passive reply: checks its MsgSignature and AppID and returns the inner XML.
   * Throws when the envelope does not verify.
   */
  const openReply = (xml: string): string => {
    const field = (name: string) => new RegExp(`<${name}>(?:<!\\[CDATA\\[)?(.*?)(?:\\]\\]>)?</${name}>`).exec(xml)?.[1] ?? ""
    const encrypted = field("Encrypt")
    const expected = sha1Sorted([options.token, field("TimeStamp"), field("Nonce"), encrypted])
    if (field("MsgSignature") !== expected) throw new Error("reply MsgSignature does not verify")
    const { message, appId } = decrypt(options.encodingAesKey!, encrypted)
    if (appId !== options.appId) throw new Error(`reply AppID ${appId} is not ours`)
    return message
  }

  return { delivery, post, handshake, openReply, send: (xml: string, sign?: SignOptions) => post(delivery(xml, sign)) }
}

/** The Content of a passive reply XML, with CDATA sections joined back. */
export const replyContent = (xml: string): string => {
  const inner = /<Content>([\s\S]*)<\/Content>/.exec(xml)?.[1] ?? ""
  return [...inner.matchAll(/<!\[CDATA\[([\s\S]*?)\]\]>/g)].map((m) => m[1]).join("")
}
