import { isStoredButtonData } from "../../domain/callbacks/StoredPress.js"
import { isAddressedToBot } from "../../domain/ingress/SharedChatGate.js"
import type { CommandRequest } from "../../domain/model/Request.js"
import type { TelegramCallbackQuery, TelegramEntity, TelegramMessage, TelegramUpdate } from "./Update.js"

/**
 * What one decoded update means for the connector (pure). Bugs of the reference fixed here
 * (spec platforms-webhook-polling.md §10): edits never run commands (T4); a thread id is taken
 * only from forum-topic messages (T3); shared-chat chatter is not answered (G1); commands
 * addressed to another bot (`/status@OtherBot`) are ignored silently (decisions.md).
 */

/** Who the bot is (from `getMe`): mentions and `/cmd@name` suffixes are matched against it. */
export interface BotIdentity {
  readonly id: number
  readonly username: string
}

/** Where a reply goes: the chat and, for forum topics only, the topic. */
export interface ChatTarget {
  readonly chatId: number
  readonly threadId: number | undefined
}

export type SkipReason = "edited" | "no-text" | "no-sender" | "from-bot" | "other-bot" | "chatter" | "unsupported"

export type UpdatePlan =
  | { readonly _tag: "Skip"; readonly reason: SkipReason }
  | { readonly _tag: "Message"; readonly request: CommandRequest; readonly target: ChatTarget }
  /** A press of one of our stored buttons: `request` is who pressed, in which chat/topic. */
  | {
    readonly _tag: "Press"
    readonly callbackQueryId: string
    readonly data: string
    readonly request: CommandRequest
    readonly target: ChatTarget
  }
  /** A callback we did not mint (other data, inline-mode message): answered, otherwise ignored. */
  | { readonly _tag: "ForeignPress"; readonly callbackQueryId: string }

const skip = (reason: SkipReason): UpdatePlan => ({ _tag: "Skip", reason })

const MAX_THREAD_ID = 9_999_999_999

/** The forum topic of a message, only when Telegram marks it as a topic message (T3 fixed). */
export const topicThreadOf = (
  message: { readonly message_thread_id?: number | undefined; readonly is_topic_message?: boolean | undefined }
): number | undefined => {
  const id = message.message_thread_id
  return message.is_topic_message === true && id !== undefined && id > 0 && id <= MAX_THREAD_ID ? id : undefined
}

const DECIMAL_ID = /^-?[0-9]{1,16}$/

/**
 * The chat target of a stored delivery target (`channelId`/`threadId` strings, e.g. from the job
 * ledger), for later deliveries into the same chat and forum topic. Undefined when the chat id is
 * not a Telegram chat id; a thread id that is not a positive integer of at most 10 digits is
 * dropped (the message then goes to the chat itself, as the reference does).
 */
export const chatTargetOf = (target: { readonly channelId: string; readonly threadId: string }): ChatTarget | undefined => {
  const chat = target.channelId.trim()
  if (!DECIMAL_ID.test(chat) || !Number.isSafeInteger(Number(chat))) return undefined
  const thread = target.threadId.trim()
  const threadId = /^[0-9]{1,10}$/.test(thread) && Number(thread) > 0 ? Number(thread) : undefined
  return { chatId: Number(chat), threadId }
}

/** "dm" for private chats, else Telegram's chat type ("group", "supergroup", "channel"). */
export const channelKindOf = (chatType: string): string => (chatType === "private" ? "dm" : chatType)

export type Addressing =
  | { readonly _tag: "ForUs"; readonly text: string; readonly mentioned: boolean }
  | { readonly _tag: "OtherBot"; readonly bot: string }

const LEADING_MENTION = /^@([A-Za-z0-9_]{1,64})(?=\s|$)/

const isOurMention = (text: string, entity: TelegramEntity, bot: BotIdentity): boolean => {
  if (entity.type === "text_mention") return entity.user?.id === bot.id
  if (entity.type !== "mention") return false
  const slice = text.slice(entity.offset, entity.offset + entity.length)
  return slice.toLowerCase() === `@${bot.username.toLowerCase()}`
}

/**
 * Removes mentions of this bot (mention entities, `text_mention` of its id, or a leading
 * `@username` when Telegram sent no entities) and the `@botname` suffix of a leading command.
 * A command suffixed with another bot's name is not for us. Usernames compare case-insensitively.
 */
export const addressText = (text: string, entities: ReadonlyArray<TelegramEntity>, bot: BotIdentity): Addressing => {
  const spans = entities
    .filter((e) => Number.isInteger(e.offset) && Number.isInteger(e.length) && e.offset >= 0 && e.length > 0)
    .filter((e) => e.offset + e.length <= text.length && isOurMention(text, e, bot))
    .sort((a, b) => b.offset - a.offset)
  let rest = text
  for (const span of spans) rest = rest.slice(0, span.offset) + rest.slice(span.offset + span.length)
  let mentioned = spans.length > 0
  rest = rest.trim()
  const leading = LEADING_MENTION.exec(rest)
  if (leading !== null && leading[1]!.toLowerCase() === bot.username.toLowerCase()) {
    mentioned = true
    rest = rest.slice(leading[0].length).trim()
  }
  const first = /^\/[^\s@]*@([A-Za-z0-9_]+)(?=\s|$)/.exec(rest)
  if (first !== null) {
    const named = first[1]!
    if (named.toLowerCase() !== bot.username.toLowerCase()) return { _tag: "OtherBot", bot: named }
    const at = first[0].length - named.length - 1
    rest = rest.slice(0, at) + rest.slice(first[0].length)
  }
  return { _tag: "ForUs", text: rest, mentioned }
}

/**
 * Who sent a message; undefined when Telegram names nobody (fail closed: the chat's id is never
 * taken as a sender, it could match a trusted or admin id and grant its rights to anyone there).
 */
const senderOf = (message: TelegramMessage): { readonly id: number; readonly username: string } | undefined => {
  // Sent on behalf of a chat (channel posts, anonymous group admins): the chat is the sender;
  // `from` is then a placeholder bot account that must not be trusted as a person.
  if (message.sender_chat !== undefined) {
    return { id: message.sender_chat.id, username: message.sender_chat.username ?? "unknown" }
  }
  if (message.from !== undefined) return { id: message.from.id, username: message.from.username ?? "unknown" }
  return undefined
}

const repliesToBot = (message: TelegramMessage, bot: BotIdentity): boolean => {
  const parent = message.reply_to_message
  if (parent === undefined || parent.from?.id !== bot.id) return false
  // In a forum topic every message "replies" to the topic's first message; that is not addressing.
  return !(message.is_topic_message === true && parent.message_id === message.message_thread_id)
}

const planMessage = (message: TelegramMessage, bot: BotIdentity): UpdatePlan => {
  if (message.text === undefined) return skip("no-text")
  if (message.sender_chat === undefined && message.from?.is_bot === true) return skip("from-bot")
  const addressed = addressText(message.text, message.entities ?? [], bot)
  if (addressed._tag === "OtherBot") return skip("other-bot")
  const sender = senderOf(message)
  if (sender === undefined) return skip("no-sender")
  const threadId = topicThreadOf(message)
  const request: CommandRequest = {
    platform: "telegram",
    senderId: String(sender.id),
    channelId: String(message.chat.id),
    username: sender.username,
    messageId: String(message.message_id),
    text: addressed.text,
    workspaceId: "",
    threadId: threadId === undefined ? "" : String(threadId),
    channelKind: channelKindOf(message.chat.type),
    mentioned: addressed.mentioned || repliesToBot(message, bot)
  }
  if (!isAddressedToBot(request)) return skip("chatter")
  return { _tag: "Message", request, target: { chatId: message.chat.id, threadId } }
}

const planPress = (query: TelegramCallbackQuery): UpdatePlan => {
  const data = query.data
  const message = query.message
  if (message === undefined || data === undefined || !isStoredButtonData(data)) {
    return { _tag: "ForeignPress", callbackQueryId: query.id }
  }
  const threadId = topicThreadOf(message)
  const request: CommandRequest = {
    platform: "telegram",
    senderId: String(query.from.id),
    channelId: String(message.chat.id),
    username: query.from.username ?? "unknown",
    messageId: String(message.message_id),
    text: "",
    workspaceId: "",
    threadId: threadId === undefined ? "" : String(threadId),
    channelKind: channelKindOf(message.chat.type)
  }
  return { _tag: "Press", callbackQueryId: query.id, data, request, target: { chatId: message.chat.id, threadId } }
}

export const planUpdate = (update: TelegramUpdate, bot: BotIdentity): UpdatePlan => {
  if (update.message !== undefined) return planMessage(update.message, bot)
  if (update.channel_post !== undefined) return planMessage(update.channel_post, bot)
  if (update.callback_query !== undefined) return planPress(update.callback_query)
  if (update.edited_message !== undefined || update.edited_channel_post !== undefined) return skip("edited")
  return skip("unsupported")
}
