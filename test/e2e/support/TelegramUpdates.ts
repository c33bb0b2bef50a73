/**
 * Builders of Telegram updates as the Bot API sends them (without `update_id`: the fake assigns
 * one unless given). Entities are computed like Telegram does for `@mentions` and a leading
 * `/command`, in UTF-16 offsets.
 */
export type Json = Record<string, unknown>

let messageIds = 100

export const entitiesOf = (text: string): Array<Json> => {
  const entities: Array<Json> = []
  const command = /^\/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?/.exec(text)
  if (command !== null) entities.push({ type: "bot_command", offset: 0, length: command[0].length })
  for (const m of text.matchAll(/(^|\s)(@[A-Za-z0-9_]{3,})/g)) {
    entities.push({ type: "mention", offset: m.index! + m[1]!.length, length: m[2]!.length })
  }
  return entities
}

export interface MessageOptions {
  readonly chat?: Json
  readonly from?: Json
  readonly threadId?: number
  readonly topic?: boolean
  readonly entities?: boolean
  readonly updateId?: number
  readonly extra?: Json
}

export const user = (id: number, username = `user${id}`): Json => ({ id, is_bot: false, first_name: username, username })
export const privateChat = (id: number): Json => ({ id, type: "private", first_name: `user${id}` })
export const supergroup = (id: number, forum = false): Json => ({ id, type: "supergroup", title: `group ${id}`, ...(forum ? { is_forum: true } : {}) })

/** A text message; a DM from `fromId` unless `chat` says otherwise. */
export const textMessage = (fromId: number, text: string, options: MessageOptions = {}): Json => {
  const entities = options.entities === false ? [] : entitiesOf(text)
  return {
    message_id: ++messageIds,
    date: Math.floor(Date.now() / 1000),
    chat: options.chat ?? privateChat(fromId),
    from: options.from ?? user(fromId),
    text,
    ...(entities.length > 0 ? { entities } : {}),
    ...(options.threadId === undefined ? {} : { message_thread_id: options.threadId }),
    ...(options.topic === true ? { is_topic_message: true } : {}),
    ...options.extra
  }
}

export const messageUpdate = (fromId: number, text: string, options: MessageOptions = {}): Json => ({
  ...(options.updateId === undefined ? {} : { update_id: options.updateId }),
  message: textMessage(fromId, text, options)
})

export const editedUpdate = (fromId: number, text: string, options: MessageOptions = {}): Json => ({
  ...(options.updateId === undefined ? {} : { update_id: options.updateId }),
  edited_message: { ...textMessage(fromId, text, options), edit_date: Math.floor(Date.now() / 1000) }
})

let queryIds = 1

/** A press of an inline button under the bot's message `messageId` in `chat`. */
export const pressUpdate = (
  fromId: number,
  data: string,
  options: { readonly chat: Json; readonly messageId?: number; readonly threadId?: number; readonly updateId?: number }
): Json => ({
  ...(options.updateId === undefined ? {} : { update_id: options.updateId }),
  callback_query: {
    id: `cbq-${queryIds++}`,
    from: user(fromId),
    chat_instance: "ci-1",
    data,
    message: {
      message_id: options.messageId ?? 1,
      date: Math.floor(Date.now() / 1000),
      chat: options.chat,
      from: { id: 777000111, is_bot: true, first_name: "OpenClaw Test", username: "OpenClawTestBot" },
      text: "buttons",
      ...(options.threadId === undefined ? {} : { message_thread_id: options.threadId, is_topic_message: true })
    }
  }
})
