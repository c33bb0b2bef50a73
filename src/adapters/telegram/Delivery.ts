import { Effect } from "effect"
import { chunkText, isBlank } from "../../domain/render/Chunk.js"
import type { DeliveryTarget } from "../../domain/model/Request.js"
import {
  type DeliveryImage,
  DeliveryError,
  type DeliveryReceipt,
  type DeliveryRung,
  type PlatformDelivery
} from "../../ports/ChatDelivery.js"
import { deliveryErrorOf, deliveryStepRule } from "./DeliveryRules.js"
import { type ChatTarget, chatTargetOf } from "./Inbound.js"
import { type DeliveryPolicy, TELEGRAM_TEXT_LIMIT, type TelegramOutbox } from "./Outbox.js"
import type { TelegramApi, TelegramCallError } from "./TelegramApi.js"

/**
 * Telegram's PlatformDelivery (issue 5, spec §6): job results into the chat and forum topic the
 * command came from (`target.channelId` / `target.threadId`, read by `chatTargetOf`).
 * - Every call waits its turn in the chat's outbox queue, behind the chat's replies, so a 429
 *   (`retry_after`) holds only that chat and nothing arrives out of order (rules: DeliveryRules.ts).
 * - sendText: sendMessage, plain text, split at 4096 characters; the receipt's platformRef is the
 *   FIRST message's id (its head is what a later `editText` rewrites). When a later piece fails
 *   after earlier ones arrived, the error is `unknown-outcome`: part of the text is in the chat.
 * - editText: editMessageText; "message is not modified" is success; text over 4096 characters
 *   is cut to its first piece (a status line never is that long).
 * - sendImage: sendPhoto, multipart with the image's own filename and content type (the
 *   reference always said image/png). Over 10 MB, or a photo Telegram cannot make (dimensions),
 *   is `too-large` so the worker moves on to sendDocument (50 MB).
 * - Receipts only on Telegram's `ok: true`. No idempotency exists: `idempotentSends` is false.
 */

/** The Bot API's limits for uploads by multipart (api.telegram.org; a local Bot API server allows more). */
export const TELEGRAM_PHOTO_MAX_BYTES = 10 * 1024 * 1024
export const TELEGRAM_DOCUMENT_MAX_BYTES = 50 * 1024 * 1024

export interface TelegramDeliveryDeps {
  readonly api: TelegramApi
  readonly outbox: TelegramOutbox
  /** Bounds of the in-queue retries (tests shorten the backoff). */
  readonly policy?: DeliveryPolicy
}

const MESSAGE_ID = /^[1-9][0-9]{0,15}$/

const rejected = (message: string) => new DeliveryError({ reason: "rejected", message })

export const makeTelegramDelivery = (deps: TelegramDeliveryDeps): PlatformDelivery => {
  const rule = deliveryStepRule(deps.policy)

  const chatOf = (target: DeliveryTarget): Effect.Effect<ChatTarget, DeliveryError> =>
    Effect.gen(function*() {
      const chat = chatTargetOf(target)
      if (chat === undefined) return yield* Effect.fail(rejected(`not a Telegram chat id: ${JSON.stringify(target.channelId.slice(0, 40))}`))
      if (chat.threadId === undefined && target.threadId.trim() !== "") {
        yield* Effect.logWarning(`Telegram topic id ${JSON.stringify(target.threadId.slice(0, 20))} is invalid; delivering to chat ${chat.chatId}`)
      }
      return chat
    })

  const queued = <A>(
    chat: ChatTarget,
    method: string,
    rung: DeliveryRung,
    call: (target: ChatTarget) => Effect.Effect<A, TelegramCallError>
  ) => Effect.mapError(deps.outbox.submit(chat, method, call, rule), (e) => deliveryErrorOf(e, rung))

  const upload = (
    target: DeliveryTarget,
    image: DeliveryImage,
    rung: "image" | "document",
    maxBytes: number
  ): Effect.Effect<DeliveryReceipt, DeliveryError> =>
    Effect.gen(function*() {
      const chat = yield* chatOf(target)
      if (image.bytes.byteLength > maxBytes) {
        return yield* Effect.fail(
          new DeliveryError({ reason: "too-large", message: `${image.bytes.byteLength} bytes; Telegram takes at most ${maxBytes} as ${rung === "image" ? "a photo" : "a document"}` })
        )
      }
      const method = rung === "image" ? "sendPhoto" : "sendDocument"
      const id = yield* queued(chat, method, rung, (t) => rung === "image" ? deps.api.sendPhoto(t, image) : deps.api.sendDocument(t, image))
      return { rung, platformRef: String(id) }
    })

  return {
    platform: "telegram",
    canEdit: true,
    idempotentSends: false,
    sendText: (target, text) =>
      Effect.gen(function*() {
        const chat = yield* chatOf(target)
        if (isBlank(text)) return yield* Effect.fail(rejected("empty text"))
        const pieces = chunkText(text, TELEGRAM_TEXT_LIMIT)
        let first: number | undefined
        for (const [i, piece] of pieces.entries()) {
          const sent = yield* Effect.either(queued(chat, "sendMessage", "text", (t) => deps.api.sendMessage(t, piece)))
          if (sent._tag === "Left") {
            if (first === undefined) return yield* Effect.fail(sent.left)
            return yield* Effect.fail(
              new DeliveryError({ reason: "unknown-outcome", message: `part ${i + 1} of ${pieces.length} not delivered (${sent.left.message}); earlier parts were` })
            )
          }
          first ??= sent.right
        }
        return { rung: "text", platformRef: String(first) } satisfies DeliveryReceipt
      }),
    editText: (target, platformRef, text) =>
      Effect.gen(function*() {
        const chat = yield* chatOf(target)
        if (!MESSAGE_ID.test(platformRef)) return yield* Effect.fail(rejected(`not a Telegram message id: ${JSON.stringify(platformRef.slice(0, 20))}`))
        if (isBlank(text)) return yield* Effect.fail(rejected("empty text"))
        const head = chunkText(text, TELEGRAM_TEXT_LIMIT)[0]!
        // Edits name the message, not the topic: queued with the chat alone.
        yield* queued({ chatId: chat.chatId, threadId: undefined }, "editMessageText", "text", (t) =>
          deps.api.editMessageText(t.chatId, Number(platformRef), head))
      }),
    sendImage: (target, image) => upload(target, image, "image", TELEGRAM_PHOTO_MAX_BYTES),
    sendDocument: (target, image) => upload(target, image, "document", TELEGRAM_DOCUMENT_MAX_BYTES),
    typing: (target) =>
      Effect.gen(function*() {
        const chat = chatTargetOf(target)
        if (chat === undefined) return
        yield* deps.api.sendTyping(chat).pipe(
          Effect.catchAll((e) => Effect.logDebug(`Telegram typing indicator failed (${e.reason})`))
        )
      })
  }
}
