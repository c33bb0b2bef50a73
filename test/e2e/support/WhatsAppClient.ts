import { createHmac } from "node:crypto"

/**
 * Builds WhatsApp Cloud API webhook deliveries the way Meta sends them, signs them with the app
 * secret (`X-Hub-Signature-256: sha256=<hex>`) and posts them.
 */
export interface MessageOptions {
  readonly from: string
  readonly id: string
  /** Seconds since the epoch as Meta sends it (a string); defaults to now. */
  readonly timestamp?: string | number
  readonly name?: string
}

export const nowSeconds = () => String(Math.floor(Date.now() / 1000))

export const textMessage = (o: MessageOptions & { readonly text: string }) => ({
  from: o.from,
  id: o.id,
  timestamp: o.timestamp ?? nowSeconds(),
  type: "text",
  text: { body: o.text }
})

export const buttonReply = (o: MessageOptions & { readonly buttonId: string; readonly title?: string }) => ({
  context: { from: "15550009999", id: "wamid.original" },
  from: o.from,
  id: o.id,
  timestamp: o.timestamp ?? nowSeconds(),
  type: "interactive",
  interactive: { type: "button_reply", button_reply: { id: o.buttonId, title: o.title ?? "Approve" } }
})

/** One notification with `messages` (and optional statuses) in a single change. */
export const notification = (
  messages: ReadonlyArray<Record<string, unknown>>,
  extra: { readonly statuses?: ReadonlyArray<unknown>; readonly names?: Readonly<Record<string, string>> } = {}
) => {
  const senders = [...new Set(messages.map((m) => m["from"]).filter((f): f is string => typeof f === "string"))]
  return {
    object: "whatsapp_business_account",
    entry: [{
      id: "102290129340398",
      changes: [{
        field: "messages",
        value: {
          messaging_product: "whatsapp",
          metadata: { display_phone_number: "15550783881", phone_number_id: "106540352242922" },
          contacts: senders.map((wa_id) => ({ profile: { name: extra.names?.[wa_id] ?? `Name ${wa_id}` }, wa_id })),
          ...(messages.length > 0 ? { messages } : {}),
          ...(extra.statuses ? { statuses: extra.statuses } : {})
        }
      }]
    }]
  }
}

export const signatureOf = (secret: string, body: string | Uint8Array) =>
  `sha256=${createHmac("sha256", Buffer.from(secret, "utf8")).update(body).digest("hex")}`

export interface PostAnswer {
  readonly status: number
  readonly text: string
  readonly contentType: string
}

/** POSTs `body` with the given headers (no signature added). */
export const postRaw = async (url: string, body: string | Uint8Array, headers: Record<string, string> = {}): Promise<PostAnswer> => {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body })
  return { status: res.status, text: await res.text(), contentType: res.headers.get("content-type") ?? "" }
}

/** POSTs `payload` (an object is JSON-encoded) signed with `secret`. */
export const postSigned = (url: string, secret: string, payload: unknown) => {
  const body = typeof payload === "string" || payload instanceof Uint8Array ? payload : JSON.stringify(payload)
  return postRaw(url, body, { "x-hub-signature-256": signatureOf(secret, body) })
}

/** The Meta verification GET. */
export const verify = async (url: string, query: Readonly<Record<string, string>>): Promise<PostAnswer> => {
  const res = await fetch(`${url}?${new URLSearchParams(query).toString()}`)
  return { status: res.status, text: await res.text(), contentType: res.headers.get("content-type") ?? "" }
}
