import { Either, Schema } from "effect"
import { parseJsonObject } from "../http/JsonBody.js"

/**
 * The part of a WhatsApp Cloud API webhook delivery the connector reads (spec
 * platforms-webhook-polling.md §5.3). Decoded only after the signature over the raw bytes was
 * verified. Extra fields anywhere are ignored; a field we read with the wrong type refuses the
 * whole delivery with a 400 (it is signed nonsense, and nothing of it is claimed or run).
 *
 * Shape: `{object, entry: [{changes: [{field, value: {contacts, messages, statuses}}]}]}`.
 */

const ButtonReply = Schema.Struct({
  id: Schema.String,
  title: Schema.optional(Schema.String)
})

const Interactive = Schema.Struct({
  type: Schema.String,
  button_reply: Schema.optional(ButtonReply)
})

/**
 * One inbound message. `timestamp` is checked separately (seconds since the epoch, as a string
 * of digits or an integer) so that a bad one gets its own answer; `id` and `from` may be absent
 * or empty here and are then skipped one by one (they cannot be deduplicated or answered).
 */
export const InboundMessage = Schema.Struct({
  id: Schema.optional(Schema.String),
  from: Schema.optional(Schema.String),
  timestamp: Schema.optional(Schema.Unknown),
  type: Schema.optional(Schema.String),
  text: Schema.optional(Schema.Struct({ body: Schema.optional(Schema.String) })),
  interactive: Schema.optional(Interactive)
})
export type InboundMessage = typeof InboundMessage.Type

const Contact = Schema.Struct({
  wa_id: Schema.optional(Schema.String),
  profile: Schema.optional(Schema.Struct({ name: Schema.optional(Schema.String) }))
})
export type Contact = typeof Contact.Type

const ChangeValue = Schema.Struct({
  contacts: Schema.optional(Schema.Array(Contact)),
  messages: Schema.optional(Schema.Array(InboundMessage)),
  /** Delivery/read receipts: acknowledged, never run. Their content is not inspected. */
  statuses: Schema.optional(Schema.Array(Schema.Unknown))
})
export type ChangeValue = typeof ChangeValue.Type

const Change = Schema.Struct({
  field: Schema.optional(Schema.String),
  value: Schema.optional(ChangeValue)
})

export const Notification = Schema.Struct({
  object: Schema.Literal("whatsapp_business_account"),
  entry: Schema.optional(Schema.Array(Schema.Struct({ changes: Schema.optional(Schema.Array(Change)) })))
})
export type Notification = typeof Notification.Type

export const BUSINESS_ACCOUNT = "whatsapp_business_account"

/** Why a verified delivery was refused (all answered 400, nothing claimed). */
export class MalformedDelivery extends Schema.TaggedError<MalformedDelivery>()("MalformedDelivery", {
  reason: Schema.Literal("invalid-utf8", "bad-json", "not-an-object", "invalid-field", "bad-timestamp")
}) {}

/** The 400 body: `Bad JSON` for bytes that are not a JSON object, `Bad Request` for bad fields. */
export const malformedText = (error: MalformedDelivery): string =>
  error.reason === "invalid-field" || error.reason === "bad-timestamp" ? "Bad Request" : "Bad JSON"

export type Decoded =
  | { readonly _tag: "Notification"; readonly notification: Notification }
  /** `object` is not `whatsapp_business_account`: acknowledged and ignored (reference behaviour). */
  | { readonly _tag: "OtherObject" }

const decodeFields = Schema.decodeUnknownEither(Notification)

/**
 * Seconds since the epoch as Meta sends them (a string of digits; an integer is accepted too),
 * in milliseconds; `undefined` for anything else (missing, negative, fractional, non-numeric).
 */
export const timestampMillis = (value: unknown): number | undefined => {
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? value * 1000 : undefined
  if (typeof value === "string" && /^[0-9]{1,12}$/.test(value)) return Number(value) * 1000
  return undefined
}

/** Every message of the delivery with the value (contacts) it came in, in delivery order. */
export const messagesOf = (notification: Notification): ReadonlyArray<{ readonly message: InboundMessage; readonly value: ChangeValue }> =>
  (notification.entry ?? []).flatMap((entry) =>
    (entry.changes ?? []).flatMap((change) =>
      change.value === undefined ? [] : (change.value.messages ?? []).map((message) => ({ message, value: change.value! }))
    )
  )

/** How many status receipts the delivery carries (logged, never run). */
export const statusCountOf = (notification: Notification): number =>
  (notification.entry ?? []).reduce(
    (n, entry) => n + (entry.changes ?? []).reduce((m, change) => m + (change.value?.statuses?.length ?? 0), 0),
    0
  )

/**
 * Raw (already verified) bytes -> delivery: valid UTF-8, then JSON, then a JSON object; an
 * `object` other than the business account is acknowledged unread; then the fields we read, and
 * every message's timestamp (one bad timestamp refuses the delivery before anything is claimed,
 * fix W4: the reference answered 500).
 */
export const decodeDelivery = (body: Uint8Array): Either.Either<Decoded, MalformedDelivery> => {
  const parsed = parseJsonObject(body)
  if (Either.isLeft(parsed)) return Either.left(new MalformedDelivery({ reason: parsed.left }))
  const json = parsed.right
  if (json["object"] !== BUSINESS_ACCOUNT) return Either.right({ _tag: "OtherObject" })
  // Deliberately no ParseResult formatting: it renders values, which recurses on deep input.
  const decoded = decodeFields(json, { errors: "first" })
  if (Either.isLeft(decoded)) return Either.left(new MalformedDelivery({ reason: "invalid-field" }))
  const notification = decoded.right
  if (messagesOf(notification).some(({ message }) => timestampMillis(message.timestamp) === undefined)) {
    return Either.left(new MalformedDelivery({ reason: "bad-timestamp" }))
  }
  return Either.right({ _tag: "Notification", notification })
}
