import { isAddressedToBot } from "../../domain/ingress/SharedChatGate.js"
import type { CommandRequest } from "../../domain/model/Request.js"
import { field, isRecord, type JsonRecord } from "../../domain/render/Values.js"

/**
 * Pure reading of Slack Events API payloads (spec platforms-slack-feishu.md §2.3 steps 2 and
 * 6-11), with the reference's bugs fixed:
 * - bug 1: a channel message that mentions the bot arrives twice (`message` and `app_mention`,
 *   different event ids); both map to one message key (team, channel, ts) so it runs once;
 * - bugs 2/3: require-mention uses the bot user id of the event's own workspace, and a message in
 *   a shared conversation is skipped (never routed) while that id is unknown;
 * - decisions.md: with require-mention off, shared-chat chatter is still not answered (only a
 *   mention or a leading `/` reaches the core).
 * The user/channel allowlists do not drop anything here: they feed trust, which the core decides.
 */

/** A string field, or "" (never throws on foreign shapes). */
export const text = (value: unknown, key: string): string => {
  const v = field(value, key)
  return typeof v === "string" ? v : ""
}

/** First non-empty of payload.team_id, payload.team.id, authorizations[0].team_id, event.team. */
export const workspaceOf = (payload: JsonRecord, event: unknown): string => {
  const authorizations = field(payload, "authorizations")
  const first = Array.isArray(authorizations) ? authorizations[0] : undefined
  return [text(payload, "team_id"), text(field(payload, "team"), "id"), text(first, "team_id"), text(event, "team")]
    .find((id) => id !== "") ?? ""
}

/** Slack ids (team, channel, user, ts) as used in replay keys: bounded, no separators. */
const SLACK_ID = /^[A-Za-z0-9._-]{1,64}$/

/** A message or app_mention event that passed the cheap filters; the bot id is not needed yet. */
export interface SlackMessage {
  readonly type: "message" | "app_mention"
  readonly teamId: string
  readonly userId: string
  readonly channelId: string
  readonly channelKind: "dm" | "group" | "channel"
  /** Trimmed, mentions not yet removed. */
  readonly text: string
  readonly ts: string
  /** "" when the message is not in a thread. */
  readonly threadTs: string
}

export type SkipReason =
  | "unsupported" // not a message/app_mention event
  | "bot" // bot_id set or subtype bot_message (also our own posts)
  | "subtype" // message_changed, message_deleted, channel_join...
  | "malformed" // no user, channel or ts, or ids outside Slack's charset
  | "empty" // no text (or only the bot's mention)
  | "self" // the bot's own user id
  | "bot-id-unknown" // a shared conversation while the workspace's bot id is unknown
  | "not-addressed" // shared conversation, no mention (require-mention) or chatter

export type Filtered = { readonly _tag: "Skip"; readonly reason: SkipReason } | { readonly _tag: "Message"; readonly message: SlackMessage }

/** Subtypes that are still a person's message: a file with a comment, a thread reply also sent to the channel. */
const USER_SUBTYPES: ReadonlySet<string> = new Set(["file_share", "thread_broadcast"])

const kindOf = (channelType: string, channelId: string): SlackMessage["channelKind"] => {
  switch (channelType) {
    case "im":
      return "dm"
    case "mpim":
    case "group":
      return "group"
    case "channel":
      return "channel"
  }
  // app_mention events carry no channel_type: read the id's prefix. Unknown is shared (needs a mention).
  if (channelId.startsWith("D")) return "dm"
  if (channelId.startsWith("G")) return "group"
  return "channel"
}

const skip = (reason: SkipReason): Filtered => ({ _tag: "Skip", reason })

/** Steps that need no bot id: event type, bots, subtypes, required fields. */
export const filterEvent = (teamId: string, event: unknown): Filtered => {
  if (!isRecord(event)) return skip("malformed")
  const type = text(event, "type")
  if (type !== "message" && type !== "app_mention") return skip("unsupported")
  const subtype = text(event, "subtype")
  if (text(event, "bot_id") !== "" || subtype === "bot_message" || isRecord(field(event, "bot_profile"))) return skip("bot")
  if (subtype !== "" && !USER_SUBTYPES.has(subtype)) return skip("subtype")
  const userId = text(event, "user")
  const channelId = text(event, "channel")
  const ts = text(event, "ts")
  const threadTs = text(event, "thread_ts")
  if (![teamId, userId, channelId, ts].every((id) => SLACK_ID.test(id))) return skip("malformed")
  if (threadTs !== "" && !SLACK_ID.test(threadTs)) return skip("malformed")
  const body = text(event, "text").trim()
  if (body === "") return skip("empty")
  return {
    _tag: "Message",
    message: {
      type,
      teamId,
      userId,
      channelId,
      channelKind: kindOf(text(event, "channel_type"), channelId),
      text: body,
      ts,
      threadTs
    }
  }
}

export interface GateOptions {
  readonly requireMention: boolean
  readonly replyInThread: boolean
}

export type Planned =
  | { readonly _tag: "Skip"; readonly reason: SkipReason }
  | {
    readonly _tag: "Run"
    readonly request: CommandRequest
    /** `slack:msg:<team>:<channel>:<ts>`: the same for the `message` and `app_mention` twins. */
    readonly messageKey: string
  }

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** `<@U123>` and `<@U123|name>` for the bot. */
const mentionPattern = (botUserId: string) => new RegExp(`<@${escapeRegExp(botUserId)}(?:\\|[^>]*)?>`, "g")

export const messageKeyOf = (m: Pick<SlackMessage, "teamId" | "channelId" | "ts">): string =>
  `slack:msg:${m.teamId}:${m.channelId}:${m.ts}`

/**
 * The mention gate and the CommandRequest. `botUserId` is the bot of `message.teamId` (undefined
 * when unknown). Direct messages need no mention and no bot id.
 */
export const planMessage = (message: SlackMessage, botUserId: string | undefined, options: GateOptions): Planned => {
  if (botUserId !== undefined && message.userId === botUserId) return { _tag: "Skip", reason: "self" }
  const shared = message.channelKind !== "dm"
  if (shared && botUserId === undefined) return { _tag: "Skip", reason: "bot-id-unknown" }
  const stripped = botUserId === undefined ? message.text : message.text.replace(mentionPattern(botUserId), "").trim()
  const mentioned = message.type === "app_mention" || stripped !== message.text
  const command = stripped
  if (command === "") return { _tag: "Skip", reason: "empty" }
  const request: CommandRequest = {
    platform: "slack",
    senderId: message.userId,
    channelId: message.channelId,
    username: message.userId,
    // The message's ts: the same for both twins (the event ids differ).
    messageId: message.ts,
    text: command,
    workspaceId: message.teamId,
    threadId: message.threadTs !== "" ? message.threadTs : options.replyInThread ? message.ts : "",
    channelKind: message.channelKind,
    mentioned
  }
  if (shared && !(options.requireMention ? mentioned : isAddressedToBot(request))) return { _tag: "Skip", reason: "not-addressed" }
  return { _tag: "Run", request, messageKey: messageKeyOf(message) }
}
