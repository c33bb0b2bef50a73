import { createHmac, randomUUID } from "node:crypto"

/**
 * Builds LINE webhook deliveries the way LINE sends them (with the fields we ignore too) and posts
 * them signed: `X-Line-Signature` = base64(HMAC-SHA256(channel secret, raw body)).
 */
export const lineSignature = (secret: string, body: string | Uint8Array): string =>
  createHmac("sha256", Buffer.from(secret, "utf8")).update(body).digest("base64")

export interface EventSource {
  readonly userId?: string
  readonly groupId?: string
  readonly roomId?: string
}

export interface EventOptions extends EventSource {
  readonly webhookEventId?: string | null
  readonly replyToken?: string | null
  readonly timestamp?: number
  readonly mode?: "active" | "standby"
}

/** A fresh ULID-looking event id (26 characters). */
export const eventId = (): string => randomUUID().replace(/-/g, "").toUpperCase().slice(0, 26)

const sourceOf = (s: EventSource) =>
  s.groupId !== undefined
    ? { type: "group", groupId: s.groupId, ...(s.userId !== undefined ? { userId: s.userId } : {}) }
    : s.roomId !== undefined
    ? { type: "room", roomId: s.roomId, ...(s.userId !== undefined ? { userId: s.userId } : {}) }
    : { type: "user", ...(s.userId !== undefined ? { userId: s.userId } : {}) }

const common = (type: string, o: EventOptions) => ({
  type,
  ...(o.webhookEventId === null ? {} : { webhookEventId: o.webhookEventId ?? eventId() }),
  ...(o.replyToken === null ? {} : { replyToken: o.replyToken ?? randomUUID().replace(/-/g, "") }),
  timestamp: o.timestamp ?? Date.now(),
  mode: o.mode ?? "active",
  deliveryContext: { isRedelivery: false },
  source: sourceOf(o)
})

export interface Mention {
  readonly index: number
  readonly length: number
  readonly isSelf?: boolean
  readonly userId?: string
}

export const textEvent = (text: string, o: EventOptions & { readonly mentionees?: ReadonlyArray<Mention> } = {}) => ({
  ...common("message", o),
  message: {
    id: String(Math.floor(Math.random() * 1e15)),
    type: "text",
    quoteToken: "q-token",
    text,
    ...(o.mentionees ? { mention: { mentionees: o.mentionees.map((m) => ({ type: "user", ...m })) } } : {})
  }
})

export const postbackEvent = (data: string, o: EventOptions = {}) => ({
  ...common("postback", o),
  postback: { data }
})

export const followEvent = (o: EventOptions = {}) => common("follow", o)

export const deliveryBody = (events: ReadonlyArray<unknown>, destination = "Ubot0000000000000000000000000000"): string =>
  JSON.stringify({ destination, events })

export interface LineAnswer {
  readonly status: number
  readonly text: string
}

/** POSTs `body` to the webhook, signed with `secret` unless `signature` is given ("" = no header). */
export const postLine = async (
  url: string,
  secret: string,
  body: string | Uint8Array,
  options: { readonly signature?: string } = {}
): Promise<LineAnswer> => {
  const signature = options.signature ?? lineSignature(secret, body)
  const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8" }
  if (signature !== "") headers["x-line-signature"] = signature
  const res = await fetch(url, { method: "POST", headers, body })
  return { status: res.status, text: await res.text() }
}
