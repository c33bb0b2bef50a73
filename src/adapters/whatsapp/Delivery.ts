import { type Context, Effect } from "effect"
import {
  DeliveryError,
  type DeliveryImage,
  type DeliveryReceipt,
  type DeliveryRung,
  type PlatformDelivery
} from "../../ports/ChatDelivery.js"
import type { DeliveryTarget } from "../../domain/model/Request.js"
import { MediaStore } from "../../ports/MediaStore.js"
import type { PlatformHealth } from "../../ports/PlatformHealth.js"
import { JPEG_OR_PNG, mediaDeliveryError, platformCallDeliveryError } from "../delivery/DeliveryErrors.js"
import { sendInParts } from "../delivery/TextParts.js"
import type { PlatformCallError } from "../http/PlatformApi.js"
import type { GraphClient, WhatsAppNotConfigured } from "./GraphApi.js"
import { textChunks, textPayload } from "./Render.js"

/**
 * Results delivered to a WhatsApp user after the command was answered (spec §6 WhatsApp row; its
 * bugs fixed: text is split at 4096 characters instead of cut at 4000, failures reach the worker,
 * a 401/410 only marks the health).
 *
 * - Text: Graph `messages` calls of type `text`, one per 4096-character piece (TextParts.ts: a
 *   failure after the first piece arrived is `unknown-outcome`, never resent).
 * - Images and documents: stored in the MediaStore; Graph fetches them by the signed https link
 *   (`{type:"image", image:{link}}`, `{type:"document", document:{link, filename}}`). Graph takes
 *   JPEG/PNG images up to 5 MB (others are `unsupported`/`too-large` here, so the worker tries
 *   the document rung) and documents up to 100 MB.
 * - Graph has no edit and no idempotency key: `canEdit` and `idempotentSends` are false; a send
 *   that got no answer is `unknown-outcome`. No typing indicator (Graph's needs the inbound
 *   message id, which a delivery does not have).
 * - Receipts carry the `wamid` Graph answers with (`messages[0].id`).
 */
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024
export const MAX_DOCUMENT_BYTES = 100 * 1024 * 1024

const fail = (reason: DeliveryError["reason"], message: string) => Effect.fail(new DeliveryError({ reason, message }))

/** What a failed Graph call means for the worker (see ChatDelivery's reasons). */
export const whatsappDeliveryError = (e: PlatformCallError | WhatsAppNotConfigured, what: string): DeliveryError =>
  e._tag === "WhatsAppNotConfigured"
    ? new DeliveryError({
      reason: "unsupported",
      message: e.reason === "phone-number-id-missing"
        ? "WhatsApp cannot send: OPENCLAW_CONNECTOR_WHATSAPP_PHONE_NUMBER_ID is not set"
        : "WhatsApp cannot send: OPENCLAW_CONNECTOR_WHATSAPP_ACCESS_TOKEN is not set"
    })
    : platformCallDeliveryError(e, { platform: "WhatsApp", what })

const messageId = (body: unknown): string => {
  const messages = (body as { messages?: unknown } | undefined)?.messages
  const id = Array.isArray(messages) ? (messages[0] as { id?: unknown } | undefined)?.id : undefined
  return typeof id === "string" ? id : ""
}

const envelope = (to: string) => ({ messaging_product: "whatsapp", recipient_type: "individual", to })

export const makeWhatsAppDelivery = (graph: GraphClient): Effect.Effect<PlatformDelivery, never, PlatformHealth | MediaStore> =>
  Effect.map(Effect.context<PlatformHealth | MediaStore>(), (context) => {
    const run = <A, E>(effect: Effect.Effect<A, E, PlatformHealth | MediaStore>): Effect.Effect<A, E> =>
      Effect.provide(effect, context as Context.Context<PlatformHealth | MediaStore>)

    const post = (payload: object, what: string) =>
      graph.post(payload).pipe(
        Effect.map((answer) => messageId(answer.body)),
        Effect.mapError((e) => whatsappDeliveryError(e, what))
      )

    /** Stores `image` and sends the message `build(url)` gives; a receipt of `rung`. */
    const sendStored = (image: DeliveryImage, rung: DeliveryRung, build: (url: string) => object) =>
      Effect.gen(function*() {
        const media = yield* MediaStore
        const stored = yield* media.put({ bytes: image.bytes, contentType: image.contentType, filename: image.filename }).pipe(
          Effect.mapError((e) => mediaDeliveryError(e, "WhatsApp"))
        )
        const id = yield* post(build(stored.url), rung)
        return { rung, platformRef: id } satisfies DeliveryReceipt
      })

    const sendText = (target: DeliveryTarget, text: string) =>
      run(sendInParts({
        what: "WhatsApp text",
        parts: textChunks(text),
        send: (piece) => post(textPayload(target.channelId, piece), "text")
      }))

    const sendImage = (target: DeliveryTarget, image: DeliveryImage) => {
      if (!JPEG_OR_PNG.has(image.contentType)) {
        return fail("unsupported", `WhatsApp image messages take JPEG or PNG, not ${image.contentType}`)
      }
      if (image.bytes.byteLength > MAX_IMAGE_BYTES) return fail("too-large", "WhatsApp image messages take at most 5 MB")
      return run(sendStored(image, "image", (link) => ({ ...envelope(target.channelId), type: "image", image: { link } })))
    }

    const sendDocument = (target: DeliveryTarget, image: DeliveryImage) =>
      image.bytes.byteLength > MAX_DOCUMENT_BYTES
        ? fail("too-large", "WhatsApp documents take at most 100 MB")
        : run(sendStored(image, "document", (link) => ({
          ...envelope(target.channelId),
          type: "document",
          document: { link, filename: image.filename }
        })))

    return {
      platform: "whatsapp",
      canEdit: false,
      idempotentSends: false,
      sendText,
      editText: () => fail("unsupported", "WhatsApp messages cannot be edited"),
      sendImage,
      sendDocument,
      typing: () => Effect.void
    } satisfies PlatformDelivery
  })
