import { type REST, Routes } from "discord.js"
import { Effect, Either } from "effect"
import { chunkText, isBlank } from "../../domain/render/Chunk.js"
import type { DeliveryTarget } from "../../domain/model/Request.js"
import { DeliveryError, type DeliveryImage, type DeliveryReceipt, type PlatformDelivery } from "../../ports/ChatDelivery.js"
import { PlatformHealth } from "../../ports/PlatformHealth.js"
import { noteOutcome } from "./Deliver.js"
import { DISCORD_UPLOAD_MAX_BYTES, discordDeliveryErrorOf, nonceOf } from "./DeliveryRules.js"
import { classifySendError } from "./DiscordRest.js"
import { MAX_CONTENT_LENGTH, wireMessagesOf } from "./Render.js"
import { uploadFilename } from "../http/UploadFilename.js"

/**
 * Discord's PlatformDelivery (issue 5, spec §6), through the logged-in client's REST manager
 * (its queue waits out 429s per bucket; 5xx and timeouts are retried by discord.js).
 * - Where: the thread when the target has one (`threadId`), else the channel (the reference
 *   ignored threads).
 * - sendText: create message, split at 2000 characters, `allowed_mentions: {parse: []}` (a result
 *   never pings anyone); the receipt's platformRef is the FIRST message's id. When a later part
 *   fails after earlier ones arrived, the error is `unknown-outcome` (as Telegram's): part of the
 *   text is in the chat. A receipt always names a message (a 2xx without an id is unknown-outcome).
 * - Every create carries `nonce` + `enforce_nonce`, derived from the idempotency key
 *   (DeliveryRules.ts), so a resend cannot post twice: `idempotentSends` is true, within Discord's
 *   nonce window of a few minutes.
 * - editText: edit message (content cut to its first 2000-character piece).
 * - sendImage: create message with one attachment (`files[0]`, the image's own filename and
 *   content type); over 10 MiB (the upload limit without boosts) or Discord's 413 is too-large.
 * - sendDocument: unsupported (an attachment is Discord's only file form; the worker goes on to
 *   the link). typing: the channel's typing indicator, failures ignored.
 */

const SNOWFLAKE = /^[0-9]{1,20}$/

const rejected = (message: string) => new DeliveryError({ reason: "rejected", message })

/**
 * The created message's id. A 2xx without one means the message exists but cannot be named (no
 * receipt can be given and a resend is not known to be safe): an unknown outcome.
 */
const idOf = (created: unknown): Effect.Effect<string, DeliveryError> => {
  const id = (created as { id?: unknown } | null)?.id
  return typeof id === "string" && SNOWFLAKE.test(id)
    ? Effect.succeed(id)
    : Effect.fail(new DeliveryError({ reason: "unknown-outcome", message: "Discord: created message without an id" }))
}

export const makeDiscordDelivery = (rest: REST): Effect.Effect<PlatformDelivery, never, PlatformHealth> =>
  Effect.gen(function*() {
    const health = yield* PlatformHealth

    /** One REST call: health recorded, the failure mapped; success only on Discord's 2xx. */
    const call = (request: () => Promise<unknown>) =>
      Effect.tryPromise({ try: request, catch: (cause) => cause }).pipe(
        Effect.tapBoth({
          onFailure: (cause) => noteOutcome(classifySendError(cause)),
          onSuccess: () => noteOutcome("ok")
        }),
        Effect.mapError(discordDeliveryErrorOf),
        Effect.provideService(PlatformHealth, health)
      )

    const channelOf = (target: DeliveryTarget): Effect.Effect<string, DeliveryError> => {
      const thread = target.threadId.trim()
      const channel = thread !== "" ? thread : target.channelId.trim()
      return SNOWFLAKE.test(channel) ? Effect.succeed(channel) : Effect.fail(rejected(`not a Discord channel id: ${JSON.stringify(channel.slice(0, 30))}`))
    }

    const sendText = (target: DeliveryTarget, text: string, idempotencyKey: string) =>
      Effect.gen(function*() {
        const channel = yield* channelOf(target)
        const messages = wireMessagesOf(text)
        if (messages.length === 0) return yield* Effect.fail(rejected("empty text"))
        let first: string | undefined
        for (const [i, message] of messages.entries()) {
          const body = { ...message, nonce: nonceOf("text", idempotencyKey, i), enforce_nonce: true }
          const created = yield* Effect.either(Effect.flatMap(call(() => rest.post(Routes.channelMessages(channel), { body })), idOf))
          if (Either.isLeft(created)) {
            if (first === undefined) return yield* Effect.fail(created.left)
            // Part 1 is in the chat already: the worker must not treat this as "nothing sent".
            return yield* Effect.fail(
              new DeliveryError({ reason: "unknown-outcome", message: `part ${i + 1} of ${messages.length} not delivered (${created.left.message}); earlier parts were` })
            )
          }
          first ??= created.right
        }
        return { rung: "text", platformRef: first! } satisfies DeliveryReceipt
      })

    const sendImage = (target: DeliveryTarget, image: DeliveryImage, idempotencyKey: string) =>
      Effect.gen(function*() {
        const channel = yield* channelOf(target)
        if (image.bytes.byteLength > DISCORD_UPLOAD_MAX_BYTES) {
          return yield* Effect.fail(
            new DeliveryError({ reason: "too-large", message: `${image.bytes.byteLength} bytes; Discord takes at most ${DISCORD_UPLOAD_MAX_BYTES}` })
          )
        }
        const name = uploadFilename(image.filename, "image.png")
        const body = {
          content: "",
          allowed_mentions: { parse: [] },
          attachments: [{ id: 0, filename: name }],
          nonce: nonceOf("image", idempotencyKey, 0),
          enforce_nonce: true
        }
        const file = { name, data: Buffer.from(image.bytes.buffer, image.bytes.byteOffset, image.bytes.byteLength), contentType: image.contentType }
        const created = yield* call(() => rest.post(Routes.channelMessages(channel), { body, files: [file] }))
        return { rung: "image", platformRef: yield* idOf(created) } satisfies DeliveryReceipt
      })

    return {
      platform: "discord",
      canEdit: true,
      idempotentSends: true,
      sendText,
      editText: (target, platformRef, text) =>
        Effect.gen(function*() {
          const channel = yield* channelOf(target)
          if (!SNOWFLAKE.test(platformRef)) return yield* Effect.fail(rejected(`not a Discord message id: ${JSON.stringify(platformRef.slice(0, 30))}`))
          if (isBlank(text)) return yield* Effect.fail(rejected("empty text"))
          const body = { content: chunkText(text, MAX_CONTENT_LENGTH)[0]!, allowed_mentions: { parse: [] } }
          yield* call(() => rest.patch(Routes.channelMessage(channel, platformRef), { body }))
        }),
      sendImage,
      sendDocument: () =>
        Effect.fail(new DeliveryError({ reason: "unsupported", message: "Discord has no document upload apart from attachments" })),
      typing: (target) =>
        Effect.gen(function*() {
          const channel = yield* Effect.option(channelOf(target))
          if (channel._tag === "None") return
          yield* call(() => rest.post(Routes.channelTyping(channel.value))).pipe(
            Effect.catchAll((e) => Effect.logDebug(`Discord typing indicator failed (${e.reason})`))
          )
        })
    } satisfies PlatformDelivery
  })
