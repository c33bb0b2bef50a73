import { isButtonData } from "../../domain/callbacks/ButtonData.js"
import { DEFAULT_FRESHNESS, freshnessOf, replayTtlMillisFor } from "../../domain/ingress/Freshness.js"
import type { InboundEvent } from "../../domain/ingress/Ingress.js"
import type { CommandRequest } from "../../domain/model/Request.js"
import { decodeLineEvent, type LineEvent, type LineMentionee } from "./Schema.js"

/**
 * What to do with one LINE webhook event (spec §4.2-4.3, bugs L1 and L3 fixed). Pure: the route
 * claims the actionable ones and logs the skipped ones; one skipped event never affects another.
 *
 * - Handled: `message` events with a text message, and `postback` events carrying our signed
 *   button data. Everything else (follow, join, image, foreign postbacks...) is acknowledged and
 *   ignored without a claim.
 * - Skipped: events LINE sends in `standby` mode (another module owns the chat), events without
 *   a user id (never the string "None"), without a usable replay key, or outside the freshness
 *   window (older than 300 s, more than 60 s ahead).
 * - Replay key: `line:<webhookEventId>`, else `line:rt:<replyToken>`. An event with neither cannot
 *   be deduplicated, so it is skipped (fail safe) rather than run without protection. The console
 *   verification tokens (32 zeros, 32 f's) never count as a key.
 * - Claims live `replayTtlMillisFor()`: longer than any replay the freshness window lets through.
 */

export const REPLAY_TTL_MILLIS = replayTtlMillisFor(DEFAULT_FRESHNESS)
const MAX_KEY_LENGTH = 128
const VERIFY_TOKEN = /^(?:0{32}|f{32})$/i

export type SkipReason =
  | "malformed"
  | "unsupported"
  | "foreign-postback"
  | "standby"
  | "no-user"
  | "no-key"
  | "stale"
  | "future"

export interface PlannedBase {
  readonly inbound: InboundEvent
  readonly replyToken: string
  /** The event's own timestamp (ms): the reply token is valid for about a minute after it. */
  readonly eventMillis: number
}

export type EventPlan =
  | { readonly _tag: "Skip"; readonly reason: SkipReason; readonly eventType: string }
  | (PlannedBase & { readonly _tag: "Message" })
  | (PlannedBase & { readonly _tag: "Press"; readonly data: string })

const skip = (reason: SkipReason, eventType = "unknown"): EventPlan => ({ _tag: "Skip", reason, eventType })

/** The replay key of an event, or `undefined` when it has none usable. */
export const replayKeyOf = (event: Pick<LineEvent, "webhookEventId" | "replyToken">): string | undefined => {
  const id = event.webhookEventId?.trim() ?? ""
  if (id !== "" && id.length <= MAX_KEY_LENGTH) return `line:${id}`
  const token = event.replyToken?.trim() ?? ""
  if (token !== "" && token.length <= MAX_KEY_LENGTH && !VERIFY_TOKEN.test(token)) return `line:rt:${token}`
  return undefined
}

/** Where the event happened: the chat id and its kind, or `undefined` when the source is incoherent. */
const chatOf = (event: LineEvent): { readonly channelId: string; readonly kind: "dm" | "group" | "room" } | undefined => {
  const source = event.source
  const userId = source?.userId ?? ""
  switch (source?.type) {
    case "group":
      return source.groupId ? { channelId: source.groupId, kind: "group" } : undefined
    case "room":
      return source.roomId ? { channelId: source.roomId, kind: "room" } : undefined
    case "user":
      return userId !== "" ? { channelId: userId, kind: "dm" } : undefined
    default:
      return undefined
  }
}

/**
 * Mentions of this bot: LINE marks them `isSelf`; payloads without that flag are matched on the
 * delivery's `destination` (the bot's own user id), when known.
 */
const selfMentions = (event: LineEvent, botUserId?: string): ReadonlyArray<LineMentionee> =>
  (event.message?.mention?.mentionees ?? []).filter((m) =>
    m.isSelf === true || (botUserId !== undefined && botUserId !== "" && m.isSelf === undefined && m.userId === botUserId)
  )

/**
 * The text with a leading mention of the bot removed (`@OpenClaw /status` -> `/status`), when
 * LINE says where it is and that span really is an `@` mention; otherwise unchanged.
 */
export const stripLeadingSelfMention = (text: string, mentions: ReadonlyArray<LineMentionee>): string => {
  for (const m of mentions) {
    if (!Number.isInteger(m.index) || !Number.isInteger(m.length) || m.index < 0 || m.length <= 0) continue
    if (text.slice(0, m.index).trim() !== "") continue
    const span = text.slice(m.index, m.index + m.length)
    if (span.length === m.length && span.startsWith("@")) return text.slice(m.index + m.length).trimStart()
  }
  return text
}

/** The request for the core; `text` is "" for a press (the button data decides the command). */
export const commandRequestOf = (event: LineEvent, text: string, botUserId?: string): CommandRequest | undefined => {
  const userId = event.source?.userId ?? ""
  const chat = chatOf(event)
  if (userId.trim() === "" || chat === undefined) return undefined
  return {
    platform: "line",
    senderId: userId,
    channelId: chat.channelId,
    username: "line_user",
    messageId: event.webhookEventId ?? event.message?.id ?? "",
    text,
    workspaceId: "",
    threadId: "",
    channelKind: chat.kind,
    mentioned: selfMentions(event, botUserId).length > 0
  }
}

/**
 * Decides one raw event at `nowMillis`; see the module comment for the order of the checks.
 * `botUserId` is the delivery's `destination`.
 */
export const planEvent = (raw: unknown, nowMillis: number, botUserId?: string): EventPlan => {
  const event = decodeLineEvent(raw)
  if (event === undefined) return skip("malformed", typeOfRaw(raw))
  const type = event.type
  const isText = type === "message" && event.message?.type === "text" && typeof event.message.text === "string"
  const postbackData = type === "postback" ? event.postback?.data : undefined
  if (!isText && postbackData === undefined) return skip("unsupported", type)
  if (postbackData !== undefined && !isButtonData(postbackData)) return skip("foreign-postback", type)
  if (event.mode === "standby") return skip("standby", type)
  const text = isText ? stripLeadingSelfMention(event.message!.text!, selfMentions(event, botUserId)) : ""
  const request = commandRequestOf(event, text, botUserId)
  if (request === undefined) return skip("no-user", type)
  const eventKey = replayKeyOf(event)
  if (eventKey === undefined) return skip("no-key", type)
  const freshness = freshnessOf(nowMillis, event.timestamp)
  if (freshness !== "fresh") return skip(freshness, type)
  const base: PlannedBase = {
    inbound: { request, eventKey, replayTtlMillis: REPLAY_TTL_MILLIS },
    replyToken: event.replyToken ?? "",
    eventMillis: event.timestamp
  }
  return postbackData !== undefined ? { ...base, _tag: "Press", data: postbackData } : { ...base, _tag: "Message" }
}

const typeOfRaw = (raw: unknown): string => {
  const t = typeof raw === "object" && raw !== null ? (raw as { type?: unknown }).type : undefined
  return typeof t === "string" ? t.slice(0, 32) : "unknown"
}

/**
 * The reference's log-only allowlist (trimmed, case-insensitive): allowed when the user is in
 * LINE_ALLOWED_USERS or the group/room is in LINE_ALLOWED_GROUPS. Only logged; the core decides
 * trust exactly and case-sensitively from Settings.
 */
export const untrustedNote = (
  allowedUsers: ReadonlyArray<string>,
  allowedGroups: ReadonlyArray<string>,
  request: CommandRequest
): string | undefined => {
  const norm = (list: ReadonlyArray<string>) => list.map((u) => u.trim().toLowerCase()).filter((u) => u !== "")
  const users = norm(allowedUsers)
  const groups = norm(allowedGroups)
  if (users.length === 0 && groups.length === 0) return "Allow lists are empty; all users will require approval"
  const allowed = users.includes(request.senderId.trim().toLowerCase()) ||
    (request.channelKind !== "dm" && groups.includes(request.channelId.trim().toLowerCase()))
  return allowed ? undefined : "Not in allowlist; approval required"
}
