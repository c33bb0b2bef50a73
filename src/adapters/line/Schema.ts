import { Either, Schema } from "effect"
import { jsonBodyProblemText, parseJsonObject } from "../http/JsonBody.js"

/**
 * The parts of a LINE Messaging API webhook delivery the connector reads
 * (https://developers.line.biz/en/reference/messaging-api/#webhook-event-objects). Decoding only
 * ever runs on bytes whose `X-Line-Signature` was already verified (bug L3 fixed: bad bytes are a
 * 400 after the signature check, never a 500 before it).
 *
 * Two levels, so one odd event never costs its neighbours:
 * - the delivery: valid UTF-8, JSON, an object, `events` an array (missing = none) -> else 400;
 * - each event on its own (`decodeLineEvent`): an event whose known fields have the wrong types is
 *   skipped and logged, the others are still handled. Unknown fields are ignored everywhere.
 */

const Source = Schema.Struct({
  type: Schema.String,
  userId: Schema.optional(Schema.String),
  groupId: Schema.optional(Schema.String),
  roomId: Schema.optional(Schema.String)
})
export type LineSource = typeof Source.Type

/** One mention in a text message; `index`/`length` are UTF-16 offsets into `text`. */
const Mentionee = Schema.Struct({
  index: Schema.Number,
  length: Schema.Number,
  type: Schema.optional(Schema.String),
  userId: Schema.optional(Schema.String),
  /** Set by LINE when the mentionee is this bot (newer API; absent on older payloads). */
  isSelf: Schema.optional(Schema.Boolean)
})
export type LineMentionee = typeof Mentionee.Type

const Message = Schema.Struct({
  type: Schema.String,
  id: Schema.optional(Schema.String),
  text: Schema.optional(Schema.String),
  mention: Schema.optional(Schema.Struct({ mentionees: Schema.Array(Mentionee) }))
})

const Millis = Schema.Number.pipe(Schema.filter((n) => Number.isFinite(n), { message: () => "a finite number" }))

export const LineEvent = Schema.Struct({
  type: Schema.String,
  /** Milliseconds since the epoch, set by LINE; required (freshness is checked on it). */
  timestamp: Millis,
  /** ULID unique per event; the replay key. */
  webhookEventId: Schema.optional(Schema.String),
  replyToken: Schema.optional(Schema.String),
  /** `"standby"` when another channel module owns the chat: the bot must not answer. */
  mode: Schema.optional(Schema.String),
  source: Schema.optional(Source),
  message: Schema.optional(Message),
  postback: Schema.optional(Schema.Struct({ data: Schema.String }))
})
export type LineEvent = typeof LineEvent.Type

const Delivery = Schema.Struct({
  destination: Schema.optional(Schema.String),
  events: Schema.optionalWith(Schema.Array(Schema.Unknown), { default: () => [] })
})
export type LineDelivery = typeof Delivery.Type

/** Why a signed body was refused with 400. */
export class MalformedLineBody extends Schema.TaggedError<MalformedLineBody>()("MalformedLineBody", {
  reason: Schema.Literal("invalid-utf8", "bad-json", "not-an-object", "invalid-events")
}) {}

/** The plain-text body of the 400 answer (`Bad JSON` as the reference answers for a syntax error). */
export const malformedText = (error: MalformedLineBody): string => {
  switch (error.reason) {
    case "bad-json":
    case "invalid-utf8":
    case "not-an-object":
      return jsonBodyProblemText(error.reason)
    case "invalid-events":
      return "Bad Request: events must be an array"
  }
}

const decodeDeliveryFields = Schema.decodeUnknownEither(Delivery)
const decodeEventFields = Schema.decodeUnknownEither(LineEvent)

/** Verified raw bytes -> the delivery (events still undecoded). */
export const decodeLineDelivery = (body: Uint8Array): Either.Either<LineDelivery, MalformedLineBody> => {
  const parsed = parseJsonObject(body)
  if (Either.isLeft(parsed)) return Either.left(new MalformedLineBody({ reason: parsed.left }))
  const json = parsed.right
  // The error is replaced, never formatted: ParseResult formatters render the value (unbounded).
  return Either.mapLeft(decodeDeliveryFields(json), () => new MalformedLineBody({ reason: "invalid-events" }))
}

/** One event, or `undefined` when its known fields are not what LINE documents. */
export const decodeLineEvent = (raw: unknown): LineEvent | undefined =>
  Either.getOrUndefined(decodeEventFields(raw, { errors: "first" }))
