import type { InboundEvent } from "../../domain/ingress/Ingress.js"
import { isAddressedToBot } from "../../domain/ingress/SharedChatGate.js"
import type { CommandRequest } from "../../domain/model/Request.js"

/**
 * What one Discord message or button press becomes (spec platforms-webhook-polling.md §3, bugs
 * G1 and D4 fixed). Pure, over plain views of the gateway objects, so no discord.js type reaches
 * the core:
 * - messages from bots (the bot itself included), webhooks and system messages are ignored;
 * - in guild channels and threads a message is handled only when it mentions the bot
 *   (`<@id>` or `<@!id>`; a leading mention is stripped, so `<@bot> /status` is `/status`) or
 *   starts with `/`; ordinary chatter never reaches the core (isAddressedToBot). DMs always do;
 * - a thread message's chat is its parent channel (allowlists and button bindings follow the
 *   channel, so threads inherit it) and `threadId` is the thread, where the reply goes;
 * - replay key `discord:<message id>`: gateway RESUME replays and duplicate dispatches of one
 *   message run once. Edits arrive as MESSAGE_UPDATE, which is never handled.
 */

/** A Discord message, as much of it as the adapter needs. */
export interface MessageView {
  readonly id: string
  readonly content: string
  readonly authorId: string
  readonly authorName: string
  /** Bot accounts and webhook posts. */
  readonly authorIsBot: boolean
  /** Join notices, pins and other messages Discord itself writes. */
  readonly isSystem: boolean
  /** Where the message was posted: a thread's own id for thread messages. */
  readonly channelId: string
  /** The guild (server); undefined in DMs. */
  readonly guildId: string | undefined
  /** The thread's parent channel when `channelId` is a thread. */
  readonly parentChannelId: string | undefined
}

/** A button press (INTERACTION_CREATE of a message component). */
export interface PressView {
  readonly interactionId: string
  readonly customId: string
  readonly userId: string
  readonly userName: string
  /** Where the button was pressed: a thread's own id in threads. */
  readonly channelId: string
  readonly guildId: string | undefined
  readonly parentChannelId: string | undefined
}

/**
 * How long a message id is remembered. Discord replays dispatches only on RESUME, within minutes
 * of a disconnect; a day leaves a wide margin and keeps the store small.
 */
export const REPLAY_TTL_MILLIS = 24 * 60 * 60 * 1000

export type SkipReason = "bot" | "self" | "system" | "empty" | "not-addressed"

export type MessagePlan =
  | { readonly _tag: "Skip"; readonly reason: SkipReason }
  | {
    readonly _tag: "Command"
    readonly inbound: InboundEvent
    /** Where replies go: the channel or thread the message was posted in. */
    readonly replyChannelId: string
  }

const SNOWFLAKE = /^[0-9]{1,20}$/

/** `<@id>` or `<@!id>` of the bot, anywhere in the text. */
export const mentionsBot = (text: string, botId: string): boolean =>
  SNOWFLAKE.test(botId) && (text.includes(`<@${botId}>`) || text.includes(`<@!${botId}>`))

/** The text without the bot mentions it starts with (`<@bot> <@!bot> /status` -> `/status`). */
export const stripLeadingMentions = (text: string, botId: string): string => {
  if (!SNOWFLAKE.test(botId)) return text
  const forms = [`<@${botId}>`, `<@!${botId}>`]
  let rest = text.trimStart()
  for (;;) {
    const form = forms.find((f) => rest.startsWith(f))
    if (form === undefined) return rest
    rest = rest.slice(form.length).trimStart()
  }
}

/** The chat of a message or press: threads belong to their parent channel. */
const chatOf = (view: Pick<MessageView, "channelId" | "guildId" | "parentChannelId">) => ({
  channelId: view.parentChannelId ?? view.channelId,
  threadId: view.parentChannelId !== undefined ? view.channelId : "",
  channelKind: view.guildId !== undefined ? "channel" : "dm"
})

export const eventKeyOf = (messageId: string): string => `discord:${messageId}`

/** Decides one message; `botId` is the bot's own user id (from READY). */
export const planMessage = (view: MessageView, botId: string): MessagePlan => {
  if (view.authorId === botId) return { _tag: "Skip", reason: "self" }
  if (view.authorIsBot) return { _tag: "Skip", reason: "bot" }
  if (view.isSystem) return { _tag: "Skip", reason: "system" }
  if (view.content.trim() === "") return { _tag: "Skip", reason: "empty" }
  const mentioned = mentionsBot(view.content, botId)
  const request: CommandRequest = {
    platform: "discord",
    senderId: view.authorId,
    username: view.authorName === "" ? "unknown" : view.authorName,
    messageId: view.id,
    text: mentioned ? stripLeadingMentions(view.content, botId) : view.content,
    workspaceId: "",
    ...chatOf(view),
    mentioned
  }
  if (!isAddressedToBot(request)) return { _tag: "Skip", reason: "not-addressed" }
  return {
    _tag: "Command",
    inbound: { request, eventKey: eventKeyOf(view.id), replayTtlMillis: REPLAY_TTL_MILLIS },
    replyChannelId: view.channelId
  }
}

/** Who pressed where; the text is ignored by the press pipeline (the button decides). */
export const pressRequestOf = (view: PressView): CommandRequest => ({
  platform: "discord",
  senderId: view.userId,
  username: view.userName === "" ? "unknown" : view.userName,
  messageId: view.interactionId,
  text: "",
  workspaceId: "",
  ...chatOf(view),
  mentioned: true
})

/**
 * The reference's log-only allowlist (trimmed, case-insensitive): allowed when the user is in
 * DISCORD_ALLOWED_USERS or the channel in DISCORD_ALLOWED_CHANNELS (`discord:` prefixes allowed). Only logged; trust is decided
 * by the core from Settings, exactly.
 */
export const untrustedNote = (
  allowedUsers: ReadonlyArray<string>,
  allowedChannels: ReadonlyArray<string>,
  request: CommandRequest
): string | undefined => {
  const norm = (list: ReadonlyArray<string>) =>
    list.map((u) => u.trim().toLowerCase().replace(/^discord:/, "")).filter((u) => u !== "")
  const users = norm(allowedUsers)
  const channels = norm(allowedChannels)
  if (users.length === 0 && channels.length === 0) return "Allow lists empty; all users will require approval"
  const allowed = users.includes(request.senderId.toLowerCase()) || channels.includes(request.channelId.toLowerCase())
  return allowed ? undefined : "Not in allowlist; approval required"
}
