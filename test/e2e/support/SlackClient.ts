import { createHmac } from "node:crypto"

/**
 * Builds and posts signed Slack requests (Events API and interactions) for tests, as Slack does:
 * `X-Slack-Request-Timestamp` and `X-Slack-Signature: v0=hex(HMAC-SHA256(secret, "v0:<ts>:<body>"))`.
 */
export const slackSign = (secret: string, timestamp: string, body: string | Uint8Array): string =>
  "v0=" + createHmac("sha256", secret).update(`v0:${timestamp}:`).update(typeof body === "string" ? Buffer.from(body) : body).digest("hex")

export const nowSeconds = () => String(Math.floor(Date.now() / 1000))

export interface SlackAnswer {
  readonly status: number
  readonly text: string
  readonly contentType: string
}

export interface PostOptions {
  /** Default: now. */
  readonly timestamp?: string
  /** Default: the right signature; "" sends none. */
  readonly signature?: string
  readonly headers?: Readonly<Record<string, string>>
  readonly contentType?: string
}

export const postSlack = async (url: string, secret: string, body: string | Uint8Array, options: PostOptions = {}): Promise<SlackAnswer> => {
  const timestamp = options.timestamp ?? nowSeconds()
  const signature = options.signature ?? slackSign(secret, timestamp, body)
  const headers: Record<string, string> = {
    "content-type": options.contentType ?? "application/json",
    ...(timestamp === "" ? {} : { "x-slack-request-timestamp": timestamp }),
    ...(signature === "" ? {} : { "x-slack-signature": signature }),
    ...options.headers
  }
  const res = await fetch(url, { method: "POST", headers, body })
  return { status: res.status, text: await res.text(), contentType: res.headers.get("content-type") ?? "" }
}

let sequence = 0
/** A fresh Slack-looking event id. */
export const eventId = () => `Ev${Date.now().toString(36).toUpperCase()}${String(++sequence).padStart(4, "0")}`
/** A fresh Slack-looking message ts. */
export const messageTs = () => `${Math.floor(Date.now() / 1000)}.${String(++sequence).padStart(6, "0")}`

export interface MessageOptions {
  readonly team: string
  readonly channel: string
  readonly user: string
  readonly text: string
  readonly ts?: string
  readonly threadTs?: string
  /** im | channel | group | mpim; omitted for app_mention. */
  readonly channelType?: string
  readonly type?: "message" | "app_mention"
  readonly extra?: Record<string, unknown>
}

export const slackEvent = (o: MessageOptions): Record<string, unknown> => ({
  type: o.type ?? "message",
  user: o.user,
  text: o.text,
  ts: o.ts ?? messageTs(),
  channel: o.channel,
  team: o.team,
  ...(o.type === "app_mention" || o.channelType === undefined ? {} : { channel_type: o.channelType }),
  ...(o.threadTs === undefined ? {} : { thread_ts: o.threadTs }),
  ...o.extra
})

/** The `event_callback` envelope around `event`. */
export const eventCallback = (team: string, event: Record<string, unknown>, id = eventId()): string =>
  JSON.stringify({
    token: "verification-token-unused",
    team_id: team,
    api_app_id: "A0APP",
    event,
    type: "event_callback",
    event_id: id,
    event_time: Math.floor(Date.now() / 1000)
  })

/** A `block_actions` payload for pressing `value` in `channel` (a message with `messageTs`, maybe in a thread). */
export const blockActions = (o: {
  readonly team: string
  readonly user: string
  readonly channel: string
  readonly value: string
  readonly messageTs?: string
  readonly threadTs?: string
  readonly actionId?: string
}): Record<string, unknown> => {
  const ts = o.messageTs ?? messageTs()
  return {
    type: "block_actions",
    team: { id: o.team, domain: "example" },
    user: { id: o.user, username: "presser", team_id: o.team },
    api_app_id: "A0APP",
    trigger_id: `trigger-${++sequence}`,
    container: { type: "message", message_ts: ts, channel_id: o.channel, is_ephemeral: false, ...(o.threadTs === undefined ? {} : { thread_ts: o.threadTs }) },
    channel: { id: o.channel, name: "general" },
    message: { type: "message", ts, ...(o.threadTs === undefined ? {} : { thread_ts: o.threadTs }) },
    response_url: "https://hooks.slack.com/actions/T/1/secret-response-url",
    actions: [{ type: "button", action_id: o.actionId ?? "openclaw.0", block_id: "openclaw.actions.0", value: o.value, action_ts: messageTs() }]
  }
}

/** The form body Slack posts to the interactions URL. */
export const interactionBody = (payload: unknown): string => `payload=${encodeURIComponent(JSON.stringify(payload))}`
