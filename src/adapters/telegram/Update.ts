import { Either, Schema } from "effect"

/**
 * The parts of a Telegram `Update` (https://core.telegram.org/bots/api#update) the connector reads.
 * Unknown fields are ignored everywhere. An update whose known fields have the wrong types is
 * "poisoned": it is logged, settled and skipped, never retried (it cannot stall the poll loop).
 */

const Id = Schema.Number.pipe(Schema.filter((n) => Number.isSafeInteger(n), { message: () => "a safe integer" }))

const User = Schema.Struct({
  id: Id,
  is_bot: Schema.optional(Schema.Boolean),
  username: Schema.optional(Schema.String)
})

const Chat = Schema.Struct({
  id: Id,
  type: Schema.String,
  username: Schema.optional(Schema.String)
})

/** `offset`/`length` are in UTF-16 code units, as JavaScript strings index. */
const Entity = Schema.Struct({
  type: Schema.String,
  offset: Schema.Number,
  length: Schema.Number,
  user: Schema.optional(User)
})
export type TelegramEntity = typeof Entity.Type

const Message = Schema.Struct({
  message_id: Id,
  chat: Chat,
  from: Schema.optional(User),
  sender_chat: Schema.optional(Chat),
  text: Schema.optional(Schema.String),
  entities: Schema.optional(Schema.Array(Entity)),
  message_thread_id: Schema.optional(Id),
  /** True only for messages in a forum topic; reply threads also carry `message_thread_id`. */
  is_topic_message: Schema.optional(Schema.Boolean),
  reply_to_message: Schema.optional(Schema.Struct({ message_id: Id, from: Schema.optional(User) }))
})
export type TelegramMessage = typeof Message.Type

/** The message a button hangs under; may be an "inaccessible message" (only chat and id). */
const ButtonMessage = Schema.Struct({
  message_id: Id,
  chat: Chat,
  message_thread_id: Schema.optional(Id),
  is_topic_message: Schema.optional(Schema.Boolean)
})

const CallbackQuery = Schema.Struct({
  id: Schema.String,
  from: User,
  /** Absent for buttons on inline-mode messages (not ours). */
  message: Schema.optional(ButtonMessage),
  data: Schema.optional(Schema.String)
})
export type TelegramCallbackQuery = typeof CallbackQuery.Type

export const TelegramUpdate = Schema.Struct({
  update_id: Id,
  message: Schema.optional(Message),
  channel_post: Schema.optional(Message),
  // Edits are recognised (and never run) without reading their content.
  edited_message: Schema.optional(Schema.Unknown),
  edited_channel_post: Schema.optional(Schema.Unknown),
  callback_query: Schema.optional(CallbackQuery)
})
export type TelegramUpdate = typeof TelegramUpdate.Type

const decode = Schema.decodeUnknownEither(TelegramUpdate)

/** One update, or `undefined` when its known fields are not what Telegram documents. */
export const decodeUpdate = (raw: unknown): TelegramUpdate | undefined =>
  Either.getOrUndefined(decode(raw, { errors: "first" }))

/** The update's id when it has a usable one (needed to settle it, even when the rest is poisoned). */
export const updateIdOf = (raw: unknown): number | undefined => {
  if (typeof raw !== "object" || raw === null) return undefined
  const id = (raw as { readonly update_id?: unknown }).update_id
  return typeof id === "number" && Number.isSafeInteger(id) && id >= 0 ? id : undefined
}
